#!/usr/bin/python3
"""(Re)writes the generated JSON cases of tests/json from the list below (run with /usr/bin/python3).

Every `--- output` and `--- error` here is what Python itself prints: json.dumps(obj, **opts), or
jinja2.utils.htmlsafe_json_dumps(obj, **opts) for cases with "html_safe": true, or the message of
the exception it raises. The `--- json` section is json.dumps(obj) unless a case gives its own
text (to exercise the parser) or asks for raw UTF-8 (ascii=False). Cases not in this list (the
parse-error cases, named error-*.case) are written by hand and left alone.

Usage: gen.py            write every case below into the folder of this script
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import dumps, safe_eval  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# (name, input expression, opts, extra) -- extra: {"json": text} or {"ascii": False}
CASES = [
    # ---- scalars
    ("null", "None", {}, {}),
    ("bools", "[True, False]", {}, {}),
    ("int-zero", "0", {}, {}),
    ("int-negative", "-42", {}, {}),
    ("int64-max", "9223372036854775807", {}, {}),
    ("int64-min", "-9223372036854775808", {}, {}),
    ("int-various", "[0, 1, -1, 2147483647, -2147483648, 4294967296, 9007199254740993, -0]", {}, {}),
    ("int-edges-in-dict", "{'max': 9223372036854775807, 'min': -9223372036854775808}", {"indent": 2}, {}),
    ("top-level-string", "'hello'", {}, {}),
    ("top-level-float", "1.5", {}, {}),
    ("top-level-json-whitespace", "[1, {'a': None}]", {},
     {"json": " \t\r\n [ 1 ,\r\n\t{ \"a\" :\n null } ] \n"}),
    # ---- floats: Python's repr, shortest round trip
    ("float-simple", "[0.1, 0.2, 0.5, 2.5, 100.0, 1.0, -1.0, 3.0]", {}, {}),
    ("float-shortest", "[0.30000000000000004, 1.1, 2.2, 3.3000000000000003, 0.1, 1/3, 2/3]", {}, {}),
    ("float-exponent-switch", "[1e16, 1e15, 9999999999999998.0, 1.2345e16, 123456789012345678.0, 1e17]", {}, {}),
    ("float-small", "[1e-7, 1e-4, 0.0001, 0.00001, 1.5e-5, 0.000123, 1e-10, 1.5e-300]", {}, {}),
    ("float-signed-zero", "[-0.0, 0.0, {'z': -0.0}]", {}, {}),
    ("float-extremes", "[5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, "
     "1e22, 1e23, 1e300, -1.7976931348623157e308]", {}, {}),
    ("float-misc", "[123456789.123, 3.141592653589793, 2.718281828459045, 1e21, 6.02214076e23, "
     "1.602176634e-19, 299792458.0, 0.1 + 0.7]", {}, {}),
    ("float-integral", "[1.0, 10.0, 1e1, 1e2, 12345.0, 9007199254740992.0, 9007199254740993.0, 2.0**63]", {}, {}),
    ("float-powers-of-two", "[2.0**-1074, 2.0**-1022, 2.0**-100, 2.0**52, 2.0**53, 2.0**64, 2.0**1023, "
     "2.0**-1, 2.0**-20]", {}, {}),
    ("float-nan-inf", "[float('nan'), float('inf'), float('-inf')]", {}, {}),
    ("float-nan-inf-in-dict", "{'n': float('nan'), 'p': float('inf'), 'm': float('-inf'), 'x': 1.0}",
     {"indent": 2}, {}),
    ("float-nan-json-spelling", "[float('nan'), {'a': float('inf')}, [float('-inf')]]", {},
     {"json": "[NaN,{\"a\":Infinity},[-Infinity]]"}),
    ("float-overflow-to-inf", "[float('inf'), float('-inf'), 1e308]", {},
     {"json": "[1e400, -1.5E+999, 1e308]"}),
    ("float-underflow-to-zero", "[0.0, -0.0, 5e-324]", {}, {"json": "[1e-400, -1e-999, 4.9e-324]"}),
    ("float-json-spellings", "[100.0, 100.0, 0.0015, -0.0, 0.5, 1200.0]", {},
     {"json": "[1E2, 1e+2, 1.5e-3, -0e0, 5E-1, 1.2e3]"}),
    ("float-allow-nan-false-finite", "[0.1, 1e300, -0.0]", {"allow_nan": False}, {}),
    ("float-allow-nan-false-nan", "[1.0, float('nan')]", {"allow_nan": False}, {}),
    ("float-allow-nan-false-inf", "{'a': {'b': float('-inf')}}", {"allow_nan": False}, {}),
    ("float-allow-nan-false-indent", "{'a': {'b': float('-inf')}}", {"allow_nan": False, "indent": 2}, {}),
    ("float-allow-nan-false-indent-0", "[{'k': float('nan')}]", {"allow_nan": False, "indent": 0}, {}),
    # ---- strings and escapes
    ("string-empty", "''", {}, {}),
    ("string-escapes", r"""'quote " backslash \\ slash / nl \n cr \r tab \t bs \b ff \f'""", {}, {}),
    ("string-control-chars", r"""'\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f""" +
     r"""\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x7f'""", {}, {}),
    ("string-control-chars-no-ascii", r"""'\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\x7f"\\'""",
     {"ensure_ascii": False}, {}),
    ("string-del", r"""'a\x7fb'""", {}, {}),
    ("string-latin1", "'café naïve façade ß ÿ Ä ñ'", {}, {}),
    ("string-latin1-no-ascii", "'café naïve façade ß ÿ Ä ñ'", {"ensure_ascii": False}, {"ascii": False}),
    ("string-c1-and-nbsp", r"""'\x80\x9f\xa0\xad\xff'""", {}, {}),
    ("string-c1-and-nbsp-no-ascii", r"""'\x80\x9f\xa0\xad\xff'""", {"ensure_ascii": False}, {}),
    ("string-bmp", r"""'中文 日本語 한국어 \u20ac \u2028 \u2029 \ufeff \ufffd \uffff \u0800 \u07ff'""", {}, {}),
    ("string-bmp-no-ascii", r"""'中文 日本語 한국어 \u20ac \u2028 \u2029 \ufeff \ufffd \uffff \u0800 \u07ff'""",
     {"ensure_ascii": False}, {"ascii": False}),
    ("string-astral", r"""'\U0001F600 \U00010000 \U0010FFFF \U0001D11E \U0002A6D6'""", {}, {}),
    ("string-astral-no-ascii", r"""'\U0001F600 \U00010000 \U0010FFFF \U0001D11E \U0002A6D6'""",
     {"ensure_ascii": False}, {"ascii": False}),
    ("string-astral-raw-json", r"""['\U0001F600', 'x\U0010FFFFy']""", {}, {"ascii": False}),
    ("string-json-escape-spellings", r"""'/\x08\x0c\n\r\t"\\éÉ\U0001F600'""", {"ensure_ascii": False},
     {"json": r'"\/\b\f\n\r\t\"\\\u00e9\u00C9\uD83D\uDE00"'}),
    ("string-nul", r"""['a\x00b', '\x00', '\x00\x00']""", {}, {}),
    ("string-nul-with-nan", r"""['\x00N', float('nan'), '\x00', '\x00\x00I', '\x00-', float('-inf')]""",
     {}, {}),
    ("string-long", "'abc\"def' * 2000", {}, {}),
    ("string-brief-example", r"""{'b': 1, 'a': [1.0, 0.1, 1e300, float('nan'), True, None, 'é\n"\u2028\U0001F600']}""",
     {}, {}),
    ("string-brief-example-sorted-indent", r"""{'b': 1, 'a': [1.0, 0.1, 1e300, float('nan'), True, None, 'é\n"\u2028\U0001F600']}""",
     {"sort_keys": True, "indent": 2}, {}),
    ("string-brief-example-no-ascii", r"""{'b': 1, 'a': [1.0, 0.1, 1e300, float('nan'), True, None, 'é\n"\u2028\U0001F600']}""",
     {"ensure_ascii": False}, {"ascii": False}),
    # ---- containers and layout
    ("list-empty", "[]", {}, {}),
    ("dict-empty", "{}", {}, {}),
    ("tuple-as-array", "(1, (2,), (), [3, (4, 5)])", {}, {}),
    ("empty-containers-indent-2", "{'a': [], 'b': {}, 'c': [[]], 'd': [{}], 'e': {'f': {}}, 'g': [[], {}]}",
     {"indent": 2}, {}),
    ("empty-containers-indent-4", "{'a': [], 'b': {}, 'c': [[]], 'd': [{}], 'e': {'f': {}}, 'g': [[], {}]}",
     {"indent": 4}, {}),
    ("empty-top-level-indent", "[]", {"indent": 2}, {}),
    ("empty-dict-top-level-indent", "{}", {"indent": 4}, {}),
    ("indent-0", "{'a': [1, 2, {'b': None}], 'c': {}}", {"indent": 0}, {}),
    ("indent-1-deep", "[[[[[[[[[[1, 'x']]]]]]]]], {'k': [[{'j': [True]}]]}]", {"indent": 1}, {}),
    ("indent-2-mixed", "{'name': 'orders', 'cols': [{'name': 'id', 'tests': ['unique', 'not_null']}, "
     "{'name': 'amount', 'meta': {}}], 'tags': [], 'n': 3, 'x': 0.5}", {"indent": 2}, {}),
    ("indent-8", "[1, {'a': [2]}]", {"indent": 8}, {}),
    ("indent-string-tab", "{'a': [1, {'b': []}], 'c': {}}", {"indent": "\t"}, {}),
    ("indent-string-empty", "{'a': [1, {'b': []}], 'c': {}}", {"indent": ""}, {}),
    ("indent-string-dashes", "[1, [2, [3]]]", {"indent": "->", "separators": [",", ":"]}, {}),
    ("indent-negative", "[1, [2]]", {"indent": -1}, {}),
    ("nested-compact", "{'a': [1, [2, [3, [4, {'b': None, 'c': [True, False]}]]]]}", {}, {}),
    ("key-order-preserved", "{'z': 1, 'a': 2, 'm': 3, 'b': {'y': 1, 'x': 2}}", {}, {}),
    ("duplicate-keys-last-wins", "{'a': 3, 'b': 2, 'c': {'x': 'second'}}", {},
     {"json": "{\"a\": 1, \"b\": 2, \"a\": 3, \"c\": {\"x\": \"first\"}, \"c\": {\"x\": \"second\"}}"}),
    ("dict-many-keys", "{" + ", ".join(f"'k{i:02d}': {i}" for i in (17, 3, 11, 0, 19, 8, 5, 14, 1, 12,
                                                                        9, 16, 2, 18, 7, 10, 4, 13, 6, 15)) + "}",
     {}, {}),
    ("dict-many-keys-sorted", "{" + ", ".join(f"'k{i:02d}': {i}" for i in (17, 3, 11, 0, 19, 8, 5, 14, 1, 12,
                                                                               9, 16, 2, 18, 7, 10, 4, 13, 6, 15)) + "}",
     {"sort_keys": True}, {}),
    # ---- sort_keys
    ("sort-keys-nested", "{'b': {'z': 1, 'y': 2}, 'a': [{'d': 1, 'c': 2}], 'c': None}", {"sort_keys": True}, {}),
    ("sort-keys-nested-indent", "{'b': {'z': 1, 'y': 2}, 'a': [{'d': 1, 'c': 2}], 'c': None}",
     {"sort_keys": True, "indent": 2}, {}),
    ("sort-keys-unicode", r"""{'é': 1, 'e': 2, 'z': 3, 'E': 4, '\U0001F600': 5, '\uffff': 6, 'aa': 7, 'a': 8, '': 9, 'Z': 10, '_': 11, '1': 12, '10': 13, '9': 14, '\x01': 15, '\u00ff': 16, '\u0100': 17}""",
     {"sort_keys": True}, {}),
    ("sort-keys-unicode-no-ascii", r"""{'é': 1, 'e': 2, 'z': 3, '\U0001F600': 5, '\uffff': 6, 'ä': 7}""",
     {"sort_keys": True, "ensure_ascii": False}, {"ascii": False}),
    # ---- separators
    ("separators-compact", "{'a': [1, 2, {'b': None}], 'c': 'd'}", {"separators": [",", ":"]}, {}),
    ("separators-compact-indent", "{'a': [1, 2, {'b': None}], 'c': 'd'}", {"separators": [",", ":"], "indent": 2}, {}),
    ("separators-custom", "{'a': [1, 2], 'b': {'c': 3}}", {"separators": [" ; ", " = "]}, {}),
    ("separators-default-with-indent", "{'a': [1, 2], 'b': 'x'}", {"indent": 2}, {}),
    ("separators-python2-style-indent", "{'a': [1, 2], 'b': 'x'}", {"indent": 2, "separators": [", ", ": "]}, {}),
    ("separators-empty", "[1, {'a': 2}]", {"separators": ["", ""]}, {}),
    # ---- keys
    ("keys-unicode", "{'ключ': 'значение', 'κλειδί': ['τιμή'], '鍵': '値'}", {}, {}),
    ("keys-unicode-no-ascii", "{'ключ': 'значение', 'κλειδί': ['τιμή'], '鍵': '値'}", {"ensure_ascii": False},
     {"ascii": False}),
    ("keys-escapes", r"""{'a"b': 1, 'c\\d': 2, 'e\nf': 3, '\t': 4, '': 5, '\U0001F600': 6}""", {}, {}),
    ("keys-look-like-other-types", "{'1': 'one', 'true': True, 'null': None, '1.5': 1.5, 'NaN': float('nan')}",
     {"sort_keys": True}, {}),
    # ---- Jinja2's tojson (htmlsafe_json_dumps)
    ("html-script", "'<script>alert(\"x&y\")</script>'", {"html_safe": True, "sort_keys": True}, {}),
    ("html-keys-and-values", "{'<k>': \"it's\", 'a&b': ['<', '>', '&', \"'\", '\"']}",
     {"html_safe": True, "sort_keys": True}, {}),
    ("html-indent", "{'b': '</script>', 'a': {'x': \"'\"}}", {"html_safe": True, "sort_keys": True, "indent": 2}, {}),
    ("html-no-ascii", "{'é': '<é>', 'x': '\\u2028&'}", {"html_safe": True, "sort_keys": True, "ensure_ascii": False},
     {"ascii": False}),
    ("html-separators", "{'a': [1, 2]}", {"html_safe": True, "separators": ["&", "<'>"]}, {}),
    ("html-unsorted", "{'z': '&amp;', 'a': \"<a href='x'>\"}", {"html_safe": True}, {}),
]


def case_text(name, expr, opts, extra):
    obj = safe_eval(expr)
    if "json" in extra:
        jtext = extra["json"]
    else:
        jtext = json.dumps(obj, ensure_ascii=extra.get("ascii", True))
    out = ["--- input", expr, "--- opts", json.dumps(opts), "--- json", jtext]
    try:
        out += ["--- output", dumps(obj, opts)]
    except (TypeError, ValueError) as e:
        out += ["--- error", str(e)]
    return "\n".join(out) + "\n"


def main():
    names = set()
    for name, expr, opts, extra in CASES:
        if name in names:
            sys.exit(f"duplicate case name {name}")
        names.add(name)
        path = os.path.join(HERE, name + ".case")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(case_text(name, expr, opts, extra))
    print(f"wrote {len(CASES)} cases")


if __name__ == "__main__":
    main()
