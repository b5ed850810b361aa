#!/usr/bin/python3
"""Checks the YAML cases against PyYAML, the loader dbt uses (CSafeLoader when libyaml is there).

For NAME.yml with NAME.json: yaml.load must give exactly that value, dumped as
json.dumps(data, default=str, ensure_ascii=False, sort_keys=False).
For NAME.yml with NAME.error ("NAME.yml:LINE:COL: message", silt's text): PyYAML must raise too,
and when its exception carries a position (problem_mark, 0-based; or a ReaderError's byte
offset) it must be the same line and column. Where silt words a message as PyYAML does, the
words are checked too: libyaml's and the constructor's problem text starts silt's message, and a
constructor's ValueError ("day is out of range for month") is silt's whole message. Other errors
without a position (KeyError, IndexError, ...) only have to be raised.
Cases listed in DISABLED with a NAME.error are silt's own refusals of what PyYAML accepts, and are
skipped. Prints TAP and "N passed, N failed"; exits 1 on a failure.
"""
import glob
import json
import os
import re
import sys

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
here = os.path.dirname(os.path.abspath(__file__))


def disabled():
    names = set()
    try:
        with open(os.path.join(here, "DISABLED"), encoding="utf-8") as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    names.add(line.split()[0])
    except FileNotFoundError:
        pass
    return names


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().rstrip("\r\n")


def position(exc, raw):
    """(line, column), 1-based, of a PyYAML exception, or None when it has none."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    if isinstance(exc, yaml.reader.ReaderError):
        off = exc.position  # libyaml: a byte offset into the UTF-8 text
        before = raw[:off]
        return before.count(b"\n") + 1, off - (before.rfind(b"\n") + 1) + 1
    return None


def main():
    skip = disabled()
    passed = failed = skipped = 0
    num = 0
    for path in sorted(glob.glob(os.path.join(here, "*.yml"))):
        base = path[:-4]
        name = os.path.basename(base)
        num += 1
        has_json = os.path.exists(base + ".json")
        has_error = os.path.exists(base + ".error")
        if name in skip and has_error:
            print(f"ok {num} - {name} # SKIP silt refuses it on purpose (DISABLED)")
            skipped += 1
            continue
        notes = []
        with open(path, "rb") as f:
            raw = f.read()
        data = exc = None
        try:
            # as dbt.clients.system.load_file_contents + dbt.clients.yaml_helper.load_yaml_text
            data = yaml.load(raw.decode("utf-8"), Loader=Loader)
        except Exception as e:  # YAMLError, and ValueError/KeyError/... from the constructors
            exc = e
        if has_json:
            want = read(base + ".json")
            if exc is not None:
                notes.append(f"PyYAML raised {type(exc).__name__}: {exc}")
            else:
                try:
                    got = json.dumps(data, default=str, ensure_ascii=False, sort_keys=False)
                except (TypeError, ValueError) as e:
                    got = f"<json.dumps failed: {e}>"
                if got != want:
                    notes.append(f"PyYAML: {got}")
                    notes.append(f"NAME.json: {want}")
        elif has_error:
            want = read(base + ".error")
            m = re.match(r"^[^:]+\.yml:(\d+):(\d+): (.*)$", want, re.S)
            if exc is None:
                notes.append(f"PyYAML loads it: {json.dumps(data, default=str)[:200]}")
            elif not m:
                notes.append(f"{name}.error has no LINE:COL: {want}")
            else:
                pos = position(exc, raw)
                msg = m.group(3)
                if pos is not None and pos != (int(m.group(1)), int(m.group(2))):
                    notes.append(f"PyYAML's position {pos[0]}:{pos[1]}, silt's {m.group(1)}:{m.group(2)}")
                words = None
                if isinstance(exc, (yaml.scanner.ScannerError, yaml.parser.ParserError,
                                    yaml.constructor.ConstructorError)):
                    if not msg.startswith(exc.problem):
                        words = f"silt's message does not start with PyYAML's problem {exc.problem!r}"
                elif isinstance(exc, ValueError) and not isinstance(exc, UnicodeError):
                    if msg != str(exc):
                        words = f"silt's message is not PyYAML's {str(exc)!r}"
                if words:
                    notes.append(words)
                if notes:
                    notes.append("PyYAML: " + str(exc).replace("\n", " | "))
        else:
            notes.append(f"neither {name}.json nor {name}.error exists")
        if notes:
            failed += 1
            print(f"not ok {num} - {name}")
            for n in notes:
                print(f"#   {n}")
        else:
            passed += 1
            print(f"ok {num} - {name}")
    if skipped:
        print(f"# {skipped} skipped (DISABLED)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
