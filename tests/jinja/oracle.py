#!/usr/bin/python3
"""Check the Jinja case corpus against Python's Jinja2 (run with /usr/bin/python3).

Usage: oracle.py [-v] [--fill] [--dbt] [PATH ...]

Walks the given paths (default: the folder holding this script) for `*.case` files, renders each
case the way dbt does (see README.md) and compares with its `--- output` / `--- error` section.
Cases flagged `dbt` or `lenient` are skipped.

  -v      print a line for every case (and Jinja2's own message for error cases)
  --fill  for a case that has neither `--- output` nor `--- error`, append the `--- output`
          section Jinja2 produces (the way the corpus's expected outputs are generated)
  --dbt   also run `dbt`/`lenient` cases through a best-effort emulation of dbt (return(),
          dbt block tags, as_* filters, parse-time undefined, `--- macros NAME`); a development
          aid for checking hand-derived expectations, not an authority
"""

import ast
import json
import os
import re
import sys
from itertools import chain, islice

import jinja2
import jinja2.ext
import jinja2.nativetypes
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox

KNOWN_SECTIONS = ("template", "context", "output", "error", "flags")
KNOWN_FLAGS = ("dbt", "native", "lenient")


class CaseError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# case files


def parse_case(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    sections = {}
    name = None
    buf = []

    def close():
        if name is None:
            return
        content = "".join(buf)
        if content.endswith("\n"):
            content = content[:-1]
        if name in sections:
            raise CaseError(f"duplicate section '{name}'")
        sections[name] = content

    # split on "\n" only (str.splitlines would also split on \r, \x0b, \u2028, ...)
    for line in re.findall(r"[^\n]*\n|[^\n]+$", text):
        if line.startswith("--- "):
            close()
            name = line[4:].rstrip("\n")
            buf = []
            if name not in KNOWN_SECTIONS and not re.fullmatch(r"macros [A-Za-z_][A-Za-z0-9_]*", name):
                raise CaseError(f"unknown section '{name}'")
        elif name is None:
            raise CaseError("text before the first section")
        else:
            buf.append(line)
    close()

    if "template" not in sections:
        raise CaseError("no template section")
    if "output" in sections and "error" in sections:
        raise CaseError("both output and error sections")
    flags = set(sections.get("flags", "").split())
    for fl in flags:
        if fl not in KNOWN_FLAGS:
            raise CaseError(f"unknown flag '{fl}'")
    if "lenient" in flags:
        flags.add("dbt")
    ctx = {}
    if "context" in sections and sections["context"].strip():
        try:
            ctx = json.loads(sections["context"])
        except ValueError as e:
            raise CaseError(f"bad context JSON: {e}")
        if not isinstance(ctx, dict):
            raise CaseError("context is not a JSON object")
    macros = {k[len("macros "):]: v for k, v in sections.items() if k.startswith("macros ")}
    if macros and "dbt" not in flags:
        raise CaseError("`--- macros NAME` needs the dbt flag")
    return {"sections": sections, "flags": flags, "context": ctx, "macros": macros}


# ---------------------------------------------------------------------------------------------
# environments (mirroring dbt_common.clients.jinja)


class TextMarker(str):
    pass


class NativeMarker(str):
    pass


class BoolMarker(NativeMarker):
    pass


class NumberMarker(NativeMarker):
    pass


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class NativeConversionError(Exception):
    pass


def quoted_native_concat(nodes):
    """dbt's rule (dbt_common.clients.jinja.quoted_native_concat)."""
    head = list(islice(nodes, 2))
    if not head:
        return ""
    if len(head) == 1:
        raw = head[0]
        if isinstance(raw, TextMarker):
            return str(raw)
        elif not isinstance(raw, NativeMarker):
            return raw
    else:
        return "".join([str(v) for v in chain(head, nodes)])
    try:
        result = ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError):
        result = raw
    if isinstance(raw, BoolMarker) and not isinstance(result, bool):
        raise NativeConversionError(f"Could not convert value '{raw!s}' into type 'bool'")
    if isinstance(raw, NumberMarker) and not _is_number(result):
        raise NativeConversionError(f"Could not convert value '{raw!s}' into type 'number'")
    return result


class TextEnv(jinja2.sandbox.SandboxedEnvironment):
    pass


class NativeEnv(jinja2.sandbox.SandboxedEnvironment):
    code_generator_class = jinja2.nativetypes.NativeCodeGenerator


class NativeTemplate(jinja2.nativetypes.NativeTemplate):
    environment_class = NativeEnv

    def render(self, *args, **kwargs):
        ctx = dict(*args, **kwargs)
        try:
            return quoted_native_concat(self.root_render_func(self.new_context(ctx)))
        except Exception:
            return self.environment.handle_exception()


NativeEnv.template_class = NativeTemplate

TEXT_FILTERS = {"as_text": lambda x: x, "as_bool": lambda x: x, "as_native": lambda x: x, "as_number": lambda x: x}
NATIVE_FILTERS = {"as_text": TextMarker, "as_bool": BoolMarker, "as_native": NativeMarker, "as_number": NumberMarker}


# --- dbt emulation (only with --dbt) ---


class MacroReturn(Exception):
    def __init__(self, value):
        super().__init__("return")
        self.value = value


def dbt_return(value):
    raise MacroReturn(value)


_orig_invoke = jinja2.runtime.Macro._invoke


def _invoke_catching_return(self, arguments, autoescape):
    try:
        return _orig_invoke(self, arguments, autoescape)
    except MacroReturn as e:
        return e.value


def _block_extension(tag, with_signature):
    class BlockExt(jinja2.ext.Extension):
        tags = {tag}

        def parse(self, parser):
            node = jinja2.nodes.Macro(lineno=next(parser.stream).lineno)
            name = parser.parse_assign_target(name_only=True).name
            node.args = []
            node.defaults = []
            if with_signature == "signature":
                parser.parse_signature(node)
            elif with_signature == "materialization":
                while parser.stream.skip_if("comma"):
                    target = parser.parse_assign_target(name_only=True)
                    if target.name in ("adapter", "supported_languages"):
                        parser.stream.expect("assign")
                        parser.parse_expression()
            node.name = f"dbt_{tag}__{name}"
            node.body = parser.parse_statements((f"name:end{tag}",), drop_needle=True)
            return node

    # Jinja2 keys extensions by module + class name: give each its own name
    BlockExt.__name__ = BlockExt.__qualname__ = f"{tag.capitalize()}Extension"
    BlockExt.identifier = f"{__name__}.{BlockExt.__name__}"
    return BlockExt


def lenient_undefined():
    class Undefined(jinja2.Undefined):
        def __init__(self, hint=None, obj=None, name=None, exc=None):
            super().__init__(hint=hint, name=name)
            self.name = name
            self.hint = hint
            self.unsafe_callable = False
            self.alters_data = False

        def __getitem__(self, name):
            return self

        def __getattr__(self, name):
            if name == "name" or (name.startswith("__") and name.endswith("__")):
                raise AttributeError(name)
            self.name = name
            return self.__class__(hint=self.hint, name=self.name)

        def __call__(self, *args, **kwargs):
            return self

    return Undefined


def dbt_zip(*args, default=None):
    try:
        return zip(*args)
    except TypeError:
        return default


def make_env(native, dbt, lenient):
    exts = ["jinja2.ext.do", "jinja2.ext.loopcontrols"]
    kw = {}
    if dbt:
        exts += [
            _block_extension("materialization", "materialization"),
            _block_extension("docs", None),
            _block_extension("test", "signature"),
            _block_extension("snapshot", None),
        ]
        if lenient:
            kw["undefined"] = lenient_undefined()
    env = (NativeEnv if native else TextEnv)(extensions=exts, **kw)
    if dbt:
        env.filters.update(NATIVE_FILTERS if native else TEXT_FILTERS)
        env.globals["return"] = dbt_return
        env.globals["zip"] = dbt_zip
        env.globals["tojson"] = lambda value, default=None, sort_keys=False: json.dumps(value, sort_keys=sort_keys)
        env.globals["fromjson"] = lambda string, default=None: json.loads(string)
    return env


# ---------------------------------------------------------------------------------------------
# running one case


def typed_equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(typed_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a.keys()) == list(b.keys()) and all(typed_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def plain(value):
    """Drop dbt's str marker subclasses so values compare and dump as plain data."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def native_dump(value):
    try:
        return json.dumps(plain(value))
    except (TypeError, ValueError):
        return f"<not JSON: {value!r}>"


ERR_SYNTAX = re.compile(r"tmpl:(\d+):(\d+): \S")
ERR_RUNTIME = re.compile(r"tmpl:(\d+): \S")


def run_case(case):
    """Return (status, expected, actual, note) with status 'pass' or 'fail'."""
    flags = case["flags"]
    native = "native" in flags
    dbt = "dbt" in flags
    env = make_env(native, dbt, "lenient" in flags)
    ctx = dict(case["context"])
    secs = case["sections"]
    if dbt:
        jinja2.runtime.Macro._invoke = _invoke_catching_return
    try:
        for name, src in case["macros"].items():
            ctx[name] = env.from_string(src).make_module(dict(case["context"]))
        if "error" in secs:
            return check_error(env, secs["template"], ctx, secs["error"])
        try:
            tmpl = env.from_string(secs["template"])
            value = tmpl.render(ctx)
        except Exception as e:
            return ("fail", secs.get("output"), f"raised {type(e).__name__}: {e}", "")
        if native:
            actual = native_dump(value)
            if "output" not in secs:
                return ("fill", None, actual, "")
            try:
                expected_value = json.loads(secs["output"])
            except ValueError:
                return ("fail", secs["output"], actual, "output is not JSON")
            ok = typed_equal(expected_value, plain(value))
            return ("pass" if ok else "fail", secs["output"], actual, "")
        if not isinstance(value, str):
            return ("fail", secs.get("output"), repr(value), "text render gave a non-string")
        if "output" not in secs:
            return ("fill", None, value, "")
        return ("pass" if value == secs["output"] else "fail", secs["output"], value, "")
    finally:
        jinja2.runtime.Macro._invoke = _orig_invoke


def check_error(env, source, ctx, expected):
    m = ERR_SYNTAX.match(expected)
    if m:
        line = int(m.group(1))
        try:
            env.from_string(source)
        except jinja2.TemplateSyntaxError as e:
            note = f"jinja2: line {e.lineno}: {e.message}"
            # At the end of the template Jinja2 reports the line where the last token starts,
            # silt the true end: there the oracle only checks that Jinja2's line is not later.
            at_eof = expected[m.end(2) + 2:].startswith("unexpected end of template")
            if e.lineno != line and not (at_eof and e.lineno is not None and e.lineno <= line):
                return ("fail", expected, f"TemplateSyntaxError at line {e.lineno}: {e.message}", note)
            return ("pass", expected, expected, note)
        except SyntaxError as e:
            # found by Python's compiler in the generated code (e.g. 'break' outside loop):
            # Jinja2 reports no template line for these.
            note = f"jinja2: compile-time SyntaxError: {e.msg}"
            return ("pass", expected, expected, note)
        return ("fail", expected, "parsed and compiled without error", "")
    m = ERR_RUNTIME.match(expected)
    if m:
        try:
            tmpl = env.from_string(source)
        except Exception as e:
            return ("fail", expected, f"raised at compile time, not run time: {type(e).__name__}: {e}", "")
        try:
            value = tmpl.render(ctx)
        except Exception as e:
            note = f"jinja2: {type(e).__name__}: {e}"
            return ("pass", expected, expected, note)
        return ("fail", expected, f"rendered without error: {value!r}", "")
    return ("fail", expected, "", "malformed error section (want `tmpl:L:C: msg` or `tmpl:L: msg`)")


# ---------------------------------------------------------------------------------------------


def find_cases(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for fn in sorted(files):
                    if fn.endswith(".case"):
                        out.append(os.path.join(root, fn))
        else:
            out.append(p)
    return out


def append_output(path, actual):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if not text.endswith("\n"):
        text += "\n"
    text += "--- output\n" + actual + "\n"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def main(argv):
    verbose = fill = with_dbt = False
    paths = []
    for a in argv:
        if a == "-v":
            verbose = True
        elif a == "--fill":
            fill = True
        elif a == "--dbt":
            with_dbt = True
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        elif a.startswith("-"):
            print(f"oracle.py: unknown option {a}", file=sys.stderr)
            return 2
        else:
            paths.append(a)
    if not paths:
        paths = [os.path.dirname(os.path.abspath(__file__))]

    passed = failed = skipped = 0
    for path in find_cases(paths):
        try:
            case = parse_case(path)
        except (CaseError, OSError, UnicodeDecodeError) as e:
            failed += 1
            print(f"not ok - {path}: bad case file: {e}")
            continue
        if "dbt" in case["flags"] and not with_dbt:
            skipped += 1
            if verbose:
                print(f"ok - {path} # SKIP dbt-only")
            continue
        status, expected, actual, note = run_case(case)
        if status == "fill":
            if fill:
                append_output(path, actual)
                passed += 1
                if verbose:
                    print(f"ok - {path} # filled {actual!r}")
            else:
                failed += 1
                print(f"not ok - {path}: no output or error section (Jinja2 gives {actual!r}; use --fill)")
            continue
        if status == "pass":
            passed += 1
            if verbose:
                print(f"ok - {path}" + (f"  # {note}" if note else ""))
        else:
            failed += 1
            print(f"not ok - {path}")
            print(f"#   expected: {expected!r}")
            print(f"#   actual:   {actual!r}")
            if note:
                print(f"#   {note}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
