#!/usr/bin/python3
"""Writes the input sections of the CSV cases; `oracle.py --write` then adds the expectations.

Usage: gen.py  (in tests/csv; overwrites the cases listed here, leaves others alone)
A csv text ending in "\\n" is a file ending with a newline. Cases with "escaped": true spell
\\r, \\t, \\0 and \\xHH bytes with backslashes (the CSV then has no literal newline at the end)."""
import json
import os

E = {"escaped": True}
CASES = {
    # tokenisation (Python csv, excel dialect)
    "basic": ("id,name\n1,alice\n2,bob\n", None),
    "no-trailing-newline": ("id,name\n1,alice\n2,bob", None),
    "crlf": (r"id,name\r\n1,a\r\n2,b\r\n", E),
    "cr-only": (r"id,name\r1,a\r2,b\r", E),
    "mixed-newlines": (r"a,b\n1,2\r\n3,4\r5,6", E),
    "quoted-comma": ('a,b\n"x,y",2\n', None),
    "quoted-doubled-quote": ('a,b\n"say ""hi""",2\n', None),
    "quoted-newline": ('a,b\n"line1\nline2",2\n3,4\n', None),
    "quoted-crlf-inside": (r'a,b\r\n"x\r\ny",1\r\n', E),
    "quoted-cr-inside": (r'a,b\n"x\ry",1\n', E),
    "stray-quote-in-field": ('a,b\nab"c,1\n', None),
    "text-after-closing-quote": ('a,b\n"ab"cd,1\n"x" y,2\n', None),
    "quote-after-text-then-quoted": ('a,b\n"ab"c"d",1\n', None),
    "unterminated-quote-eof": ('a,b\n1,"abc', None),
    "unterminated-quote-newline-eof": ('a,b\n1,"abc\n', None),
    "empty-quoted": ('a,b\n"",""\n', None),
    "empty-lines": ("a,b\n1,2\n\n3,4\n\n", None),
    "empty-line-first": ("\na,b\n1,2\n", None),
    "blank-only-line-first": ("\n\n", None),
    "whitespace-fields": ("a,b\n 1 , x \n", None),
    "spaces-before-quote": ('a,b\n "x",1\n', None),
    "nul-byte": (r"a,b\n1,x\0y\n", E),
    "bom": ("\ufeffid,name\n1,a\n", None),
    "double-bom": ("\ufeff\ufeffid\n1\n", None),
    "unicode-text": ("name,city\nZoë,Zürich\n日本,東京\n", None),
    "delimiter-semicolon": ("a;b\n1,5;2\n", {"delimiter": ";"}),
    "delimiter-tab": (r"a\tb\n1\t2\n", {"delimiter": "\t", "escaped": True}),
    "delimiter-pipe-quoted": ('a|b\n"x|y"|2\n', {"delimiter": "|"}),
    "delimiter-unicode": ("a§b\n1§2\n", {"delimiter": "§"}),
    "delimiter-quote-char": ('a"b\n"x,y",z\n', {"delimiter": '"'}),
    "header-only": ("a,b,c\n", None),
    "trailing-delimiter": ("a,b,\n1,2,\n", None),
    # column names (agate)
    "names-duplicate": ("a,a,a,b\n1,2,3,4\n", None),
    "names-blank": (",x,\n1,2,3\n", None),
    "names-blank-collides": (",a\n1,2\n", None),
    "names-dup-suffix-collides": ("a,a_2,a\n1,2,3\n", None),
    "names-many-blank": ("," * 27 + "\n" + "," * 27 + "\n", None),
    # ragged rows
    "short-row-padded": ("a,b,c\n1\n2,3\n", None),
    "long-row-error": ("a,b\n1,2\n3,4,5\n", None),
    "long-row-after-multiline": ('a,b\n"x\ny",2\n3,4,5\n', None),
    "empty-line-row-short": ("a,b\n\n1,2\n", None),
    # nulls
    "nulls": ("a,b,c\n,null,NULL\n1, Null ,x\n", None),
    "null-like-text": ("a\nna\nn/a\nnone\n.\n", None),
    "all-null-column": ("a,b\n,x\nnull,y\n", None),
    "no-rows-types": ("a,b\n", None),
    # numbers
    "int-column": ("n\n1\n-2\n300\n", None),
    "decimal-column": ("n\n1.5\n2\n-0.25\n", None),
    "decimal-trailing-zero": ("n\n1.0\n2.50\n", None),
    "number-leading-zeros": ("zip\n007\n01234\n", None),
    "number-thousands": ("n\n\"1,234\"\n\"1,234,567.5\"\n", None),
    "number-currency": ("n\n$5\n€10.50\n-$3\n£1\n", None),
    "number-percent": ("n\n50%\n%12.5%%\n", None),
    "number-exponent": ("n\n1e5\n2.5E-3\n1E+2\n", None),
    "number-special": ("n\nNaN\nInfinity\n-inf\n", None),
    "number-signs": ("n\n+5\n--5\n-+5\n", None),
    "number-underscore": ("n\n1_000\n_5\n", None),
    "number-dot-forms": ("n\n.5\n5.\n-.5\n", None),
    "number-negative-zero": ("n\n-0\n-0.00\n", None),
    "number-big-int": ("n\n123456789012345678901234567890\n9223372036854775808\n", None),
    "number-int64-edges": ("n\n9223372036854775807\n-9223372036854775808\n", None),
    "number-29-digits-round": ("n\n1.0000000000000000000000000005\n99999999999999999999999999995\n", None),
    "number-precision-clamp": ("n\n1e30\n0.5\n", None),
    "number-beyond-double": ("n\n1e400\n0.5\n", None),
    "number-nan-payload": ("n\nNaN123\n-nan\nsNaN\n", None),
    "number-whitespace-inside": ("n\n\"$ 5\"\n\" - 5 \"\n", None),
    "unicode-digits-number": ("n\n١٢\n３.５\n-٣\n", None),
    "unicode-digits-date": ("d\n٢٠٢٤-٠١-٣١\n２０２４-1-５\n", None),
    "unicode-digits-datetime": ("t\n2024-01-31 １٠:2:٣\n", None),
    "unicode-digits-strptime-ok": ("t,d\n2024-01-31 1٠:2:٣,٢٠٢٤-01-3١\n", None),
    "unicode-digits-iso-is-text": ("t\n２０２４-01-31T10:00\n", None),
    "number-exponent-limits": ("n\n0e999999999999999999\n1e-1999999999999999997\n0e-1999999999999999997\n", None),
    "number-exponent-beyond-limits": ("n\n1e-712345678901234567890123456789\n0e1000000000000000000\n1e-1999999999999999998\n", None),
    "number-tiny": ("n\n1e-1000027\n6e-1000027\n", None),
    "number-overflow-error": ("n\n1\n1e999999999\n", None),
    "number-overflow-after-text": ("n\nabc\n1e999999999\n", None),
    "number-mixed-text": ("n\n1\ntwo\n", None),
    "number-commas-only": ('n\n","\n', None),
    # dates and datetimes
    "date-column": ("d\n2024-01-31\n1999-12-01\n", None),
    "date-single-digits": ("d\n2024-1-5\n2024-12- 7\n", None),
    "date-invalid-day": ("d\n2024-02-30\n", None),
    "date-leap": ("d\n2024-02-29\n2023-02-28\n", None),
    "date-year-zero": ("d\n0000-01-01\n", None),
    "datetime-column": ("t\n2024-01-31 10:20:30\n2024-1-2 3:4:5\n", None),
    "datetime-tab-space": (r"t\n2024-01-31\t \t10:20:30\n", E),
    "datetime-bad-second": ("t\n2024-01-31 10:20:60\n", None),
    "date-and-datetime-mixed": ("t\n2024-01-31\n2024-01-31 10:20:30\n", None),
    "iso-utc": ("t\n2024-01-31T10:20:30Z\n2018-08-06T11:33:29.320Z\n", None),
    "iso-offset": ("t\n2024-01-31T10:20:30+05:30\n2024-01-31T10:20:30-0800\n2024-01-31T10:20+01\n", None),
    "iso-naive": ("t\n2024-01-31T10:20:30\n2024-01-31T10\n", None),
    "iso-basic": ("t\n20240131T102030\n20240131T1020\n", None),
    "iso-week-ordinal": ("t\n2024-W05-3T00:00\n2024W053T00:00\n2024-032T12:00\n2024032T12\n", None),
    "iso-reduced-date": ("t\n2024-02T01:00\n2024T01:00\n20T01:00\n", None),
    "iso-fractions": ("t\n\"2024-01-31T10:20:30,5\"\n2024-01-31T10:20.5\n2024-01-31T10.25\n2024-01-31T10:20:30.1234567\n", None),
    "iso-prefix-garbage": ("t\n2024-01-31xyzT10:20:30abc\n", None),
    "iso-month-zero": ("t\n2024-00-15T00:00\n", None),
    "iso-two-t": ("t\n2024-01-31T10:20T30\n", None),
    "iso-offset-too-big": ("t\n2024-01-31T10:20:30+24:00\n", None),
    "iso-bad-hour": ("t\n2024-01-31T24:00:00\n", None),
    "iso-lowercase-t": ("t\n2024-01-31t10:20:30\n", None),
    "iso-and-date-mixed": ("t\n2024-01-31\n2024-01-31T10:20:30\n", None),
    # booleans
    "boolean-column": ("b\ntrue\nFALSE\n True \n", None),
    "boolean-commas": ('b\n"tr,ue"\n"false,"\n', None),
    "boolean-yes-no-text": ("b\nyes\nno\n", None),
    "boolean-one-zero-number": ("b\n1\n0\n", None),
    # column_types
    "column-types-forced": ("id,zip,d\n1,007,2024-01-01\n2,,null\n", {"column_types": {"zip": "varchar(10)", "d": "text"}}),
    "column-types-unknown-name": ("a\n1\n", {"column_types": {"b": "text"}}),
    "column-types-renamed-dup": ("a,a\n1,2\n", {"column_types": {"a_2": "text"}}),
    # errors
    "empty-file": ("", None),
    "bom-only": ("\ufeff", None),
    "invalid-utf8": (r"a,b\n1,\xff\n", E),
    "invalid-utf8-surrogate": (r"a\n\xed\xa0\x80\n", E),
    "latin1-file": (r"name\nZo\xeb\n", E),
    "field-too-large": ("a\n" + "x" * 131073 + "\n", None),
    "field-at-limit": ("a\n" + "x" * 131072 + "\n", None),
    "bad-delimiter": ("a,b\n", {"delimiter": ";;"}),
    "mixed-types-to-text": ("v\n1\n2024-01-01\ntrue\n", None),
    "realistic-customers": ("id,first_name,last_name,signup_date,active,balance\n"
                            "1,Michael,P.,2018-01-01,true,\"1,234.50\"\n"
                            "2,Shawn,M.,2018-01-02,false,0\n"
                            "3,Kathleen,P.,,TRUE,-12.5\n", None),
}

here = os.path.dirname(os.path.abspath(__file__))
for name, (text, opts) in CASES.items():
    with open(os.path.join(here, name + ".case"), "w", encoding="utf-8", newline="") as f:
        if opts:
            f.write("--- opts\n" + json.dumps(opts, ensure_ascii=False) + "\n")
        f.write("--- csv\n" + text + "\n")
