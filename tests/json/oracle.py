#!/usr/bin/python3
"""Check the JSON case corpus against Python's json module (run with /usr/bin/python3).

Usage: oracle.py [-v] [PATH ...]   (default: every *.case in the folder of this script)

For a case with `--- input` (a Python literal expression; float('nan'), float('inf') and
arithmetic on constants are allowed):
  - json.loads(`--- json`) must equal the input: same types (1 is not 1.0, True is not 1), same
    dict order, NaN equal to NaN; tuples in the input stand for lists;
  - json.dumps(input, **opts) -- or jinja2.utils.htmlsafe_json_dumps when opts has
    "html_safe": true -- must equal `--- output` exactly, or raise with the message in `--- error`.
For a case without `--- input` (a parse error): json.loads(`--- json`) must raise, unless the
case has a `--- diverges` section (silt rejects what Python accepts), in which case it must not.
Prints one line per mismatch (every case with -v) and ends with "N passed, N failed".
"""

import ast
import json
import math
import os
import re
import sys

SECTIONS = ("input", "opts", "json", "output", "error", "diverges", "note")


class CaseError(Exception):
    pass


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
            raise CaseError(f"repeated section '{name}'")
        sections[name] = content

    # split on "\n" only (str.splitlines would also split on \r, \x0b, \u2028, ...)
    for line in re.findall(r"[^\n]*\n|[^\n]+$", text):
        if line.startswith("--- "):
            close()
            name = line[4:].strip()
            buf = []
            if name not in SECTIONS:
                raise CaseError(f"unknown section '{name}'")
        elif name is None:
            if line.strip():
                raise CaseError("text before the first section")
        else:
            buf.append(line)
    close()
    return sections


# ---------------------------------------------------------------------------------------------
# Python literals plus float('nan'), float('inf') and arithmetic on constants

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


def _check(node):
    if isinstance(node, ast.Expression):
        return _check(node.body)
    if isinstance(node, ast.Constant):
        return
    if isinstance(node, (ast.List, ast.Tuple)):
        for e in node.elts:
            _check(e)
        return
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if k is None:
                raise CaseError("no ** in dict displays")
            _check(k)
            _check(v)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _check(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
        if isinstance(node.op, ast.Pow) and not (
            isinstance(node.right, (ast.Constant, ast.UnaryOp)) and isinstance(node.left, ast.Constant)
        ):
            raise CaseError("** only between constants")
        _check(node.left)
        _check(node.right)
        return
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "float"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return
    raise CaseError(f"not allowed in --- input: {ast.dump(node)[:60]}")


def safe_eval(expr):
    tree = ast.parse(expr.strip(), mode="eval")
    _check(tree)
    return eval(compile(tree, "<input>", "eval"), {"__builtins__": {}, "float": float})


def dumps(obj, opts):
    """json.dumps(obj, **opts), with "html_safe": true meaning Jinja2's htmlsafe_json_dumps."""
    kw = dict(opts)
    html = kw.pop("html_safe", False)
    if "separators" in kw:
        kw["separators"] = tuple(kw["separators"])
    if html:
        import jinja2.utils

        return str(jinja2.utils.htmlsafe_json_dumps(obj, **kw))
    return json.dumps(obj, **kw)


def same(a, b):
    """Strict equality: types match (tuple may stand for list), NaN equals NaN, dict order counts."""
    if isinstance(a, tuple):
        a = list(a)
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


# ---------------------------------------------------------------------------------------------


def check(path):
    """Returns None when the case agrees with Python, else a message."""
    s = parse_case(path)
    if "json" not in s:
        raise CaseError("no --- json section")
    if ("output" in s) == ("error" in s):
        raise CaseError("needs exactly one of --- output and --- error")
    if "input" not in s:
        if "output" in s:
            raise CaseError("a parse-error case has --- error, not --- output")
        try:
            json.loads(s["json"])
        except ValueError as e:
            if "diverges" in s:
                return f"Python rejects it too ({e}); drop --- diverges"
            return None
        if "diverges" in s:
            return None
        return "Python accepts this JSON"
    obj = safe_eval(s["input"])
    opts = json.loads(s.get("opts", "{}"))
    loaded = json.loads(s["json"])
    if not same(obj, loaded):
        return f"json.loads(--- json) is {loaded!r}, not the input"
    try:
        got = dumps(obj, opts)
    except (TypeError, ValueError) as e:
        if "error" not in s:
            return f"Python raises {type(e).__name__}: {e}"
        if str(e) != s["error"]:
            return f"Python's message is {str(e)!r}, not {s['error']!r}"
        return None
    if "error" in s:
        return f"Python writes {got!r} instead of failing"
    if got != s["output"]:
        return f"Python writes {got!r}\n#   case says  {s['output']!r}"
    return None


def main(argv):
    verbose = "-v" in argv
    paths = [a for a in argv if a != "-v"] or [os.path.dirname(os.path.abspath(__file__))]
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".case"))
        else:
            files.append(p)
    passed = failed = 0
    for i, f in enumerate(files, 1):
        name = os.path.basename(f)[: -len(".case")]
        try:
            why = check(f)
        except (CaseError, SyntaxError, ValueError) as e:
            why = f"bad case: {e}"
        if why:
            failed += 1
            print(f"not ok {i} - {name}\n#   {why}")
        else:
            passed += 1
            if verbose:
                print(f"ok {i} - {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
