#!/usr/bin/python3
"""Writes NAME.json for every NAME.yml that PyYAML loads, as
json.dumps(yaml.load(text, Loader=CSafeLoader), default=str, ensure_ascii=False).
For inputs PyYAML rejects it writes nothing and lists them: their NAME.error holds silt's
exact message (checked against PyYAML's position by oracle.py). Run after adding cases:
    /usr/bin/python3 tests/yaml/gen.py
"""
import glob
import json
import os
import sys

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
here = os.path.dirname(os.path.abspath(__file__))


def load(path):
    # dbt reads files as bytes decoded UTF-8 (dbt.clients.system.load_file_contents)
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    return yaml.load(text, Loader=Loader)


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


def main():
    wrote = 0
    skip = disabled()
    for path in sorted(glob.glob(os.path.join(here, "*.yml"))):
        base = path[:-4]
        name = os.path.basename(base)
        if name in skip and os.path.exists(base + ".error"):
            continue  # silt refuses what PyYAML accepts: no .json
        try:
            data = load(path)
        except Exception as e:  # PyYAML's own errors and the ValueErrors of its constructors
            msg = str(e).replace("\n", " | ")
            state = "has .error" if os.path.exists(base + ".error") else "NEEDS .error"
            print(f"{name}: raises {type(e).__name__}: {msg} [{state}]")
            continue
        try:
            out = json.dumps(data, default=str, ensure_ascii=False, sort_keys=False)
        except (TypeError, ValueError) as e:
            print(f"{name}: loads but json.dumps fails: {e}")
            continue
        with open(base + ".json", "w", encoding="utf-8") as f:
            f.write(out + "\n")
        wrote += 1
        if os.path.exists(base + ".error"):
            print(f"{name}: PyYAML loads it but {name}.error exists")
    print(f"wrote {wrote} .json files")


if __name__ == "__main__":
    sys.exit(main())
