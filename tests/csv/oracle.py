#!/usr/bin/python3
"""Check (or write) the CSV seed cases against Python's csv module and agate, as dbt reads seeds.

Usage: oracle.py [-v] [--write] [PATH ...]   (default: every *.case next to this script)

For each case the seed bytes (`--- csv`, after the escapes when opts has "escaped": true) are read
the way dbt_common.clients.agate_helper.from_csv does: open(encoding='utf-8') (strict decoding,
universal newlines), one BOM skipped, agate.Table.from_csv(delimiter=...) with dbt's type tester
(build_type_tester, copied below because dbt itself is not installed). The table is written in
the layout `silt selftest csv` prints and must equal `--- expect`; when dbt would fail, the
message silt gives must equal `--- error`. With --write the expect/error section is (re)written.
Without python3-agate only the tokenisation (columns, row count and row lines) is checked.
Ends with "N passed, N failed".
"""

import csv
import datetime
import decimal
import io
import json
import os
import re
import sys
import warnings
from copy import copy

try:
    import agate
    import isodate
except ImportError:  # pragma: no cover
    agate = None

SECTIONS = ("csv", "opts", "expect", "error", "note")
FIELD_LIMIT = 131072


class CaseError(Exception):
    pass


class SeedError(Exception):
    pass


def parse_case(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    sections, order = {}, []
    name, buf = None, []

    def close():
        if name is None:
            return
        content = "".join(buf)
        if content.endswith("\n"):
            content = content[:-1]
        if name in sections:
            raise CaseError(f"repeated section '{name}'")
        sections[name] = content
        order.append(name)

    for line in re.findall(r"[^\n]*\n|[^\n]+$", text):
        if line.startswith("--- "):
            close()
            name = line[4:].strip()
            buf = []
            if name not in SECTIONS:
                raise CaseError(f"unknown section '{name}'")
        elif name is not None:
            buf.append(line)
    close()
    return sections, order


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            e = s[i + 1]
            i += 2
            if e == "n":
                out += b"\n"
            elif e == "r":
                out += b"\r"
            elif e == "t":
                out += b"\t"
            elif e == "0":
                out += b"\0"
            elif e == "x" and i + 1 < len(s):
                out.append(int(s[i:i + 2], 16))
                i += 2
            else:
                out += e.encode()
            continue
        out += c.encode()
        i += 1
    return bytes(out)


# ---- dbt_common.clients.agate_helper (Integer, Number, ISODateTime, build_type_tester) ----

if agate is not None:

    class Integer(agate.data_types.DataType):
        def cast(self, d):
            if type(d) == int or d is None:
                return d
            raise agate.exceptions.CastError('Can not parse value "%s" as Integer.' % d)

    class Number(agate.data_types.Number):
        def cast(self, d):
            if type(d) == bool:
                raise agate.exceptions.CastError("Do not cast True to 1 or False to 0.")
            return super().cast(d)

    class ISODateTime(agate.data_types.DateTime):
        def cast(self, d):
            if isinstance(d, datetime.datetime) or d is None:
                return d
            elif isinstance(d, datetime.date):
                return datetime.datetime.combine(d, datetime.time(0, 0, 0))
            elif isinstance(d, str):
                d = d.strip()
                if d.lower() in self.null_values:
                    return None
            try:
                return isodate.parse_datetime(d)
            except:  # noqa: E722
                pass
            raise agate.exceptions.CastError('Can not parse value "%s" as datetime.' % d)

    def build_type_tester(text_columns, string_null_values=("null", "")):
        types = [
            Integer(null_values=("null", "")),
            Number(null_values=("null", "")),
            agate.data_types.Date(null_values=("null", ""), date_format="%Y-%m-%d"),
            agate.data_types.DateTime(null_values=("null", ""), datetime_format="%Y-%m-%d %H:%M:%S"),
            ISODateTime(null_values=("null", "")),
            agate.data_types.Boolean(true_values=("true",), false_values=("false",), null_values=("null", "")),
            agate.data_types.Text(null_values=string_null_values),
        ]
        force = {k: agate.data_types.Text(null_values=string_null_values) for k in text_columns}
        return agate.TypeTester(force=force, types=types), types, force

    TYPE_NAMES = ["integer", "number", "date", "datetime", "isodatetime", "boolean", "text"]


def open_seed(data):
    """dbt: open(abspath, encoding='utf-8'), skip one BOM. Returns the text file object."""
    fp = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    if fp.read(1) != "\ufeff":
        fp.seek(0)
    return fp


def tokenize(text, delimiter):
    """Python's csv reader: the records and the line each one starts on."""
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
    records, lines, last = [], [], 0
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            if "field larger than field limit" in str(e):
                raise SeedError(f"{reader.line_num}: field larger than field limit ({FIELD_LIMIT})")
            raise
        records.append(rec)
        lines.append(last + 1)
        last = reader.line_num
    return records, lines


def letter_name(i):
    return "abcdefghijklmnopqrstuvwxyz"[i % 26] * (i // 26 + 1)


def column_names(records):
    """agate: the header row, deduplicated; no header -> letter names of the first row."""
    if records[0]:
        final = []
        for i, v in enumerate(records[0]):
            new = v if v else letter_name(i)
            fin, dup = new, 0
            while fin in final:
                fin = new + "_" + str(dup + 2)
                dup += 1
            final.append(fin)
        return final
    return [letter_name(i) for i in range(len(records[1]) if len(records) > 1 else 0)]


def compute(data, opts):
    """Returns ('expect', text) or ('error', message-without-file), or raises CaseError."""
    delimiter = opts.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        return "error", f": delimiter '{delimiter}' must be a 1-character string"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        pre = data[: e.start]
        line = pre.count(b"\n") + 1
        col = e.start - (pre.rfind(b"\n") + 1) + 1
        return "error", f":{line}:{col}: 'utf-8' codec can't decode byte 0x{data[e.start]:02x} in position {e.start}"
    text = open_seed(data).read()
    try:
        records, lines = tokenize(text, delimiter)
    except SeedError as e:
        return "error", f":{e}"
    if not records:
        return "error", ": the file is empty; a seed needs a header row"
    names = column_names(records)
    rows, row_lines = records[1:], lines[1:]
    text_columns = list(opts.get("column_types", {}).keys())
    if agate is None:
        return "tokens", (names, row_lines)
    tester, types, force = build_type_tester(text_columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            table = agate.Table.from_csv(open_seed(data), column_types=tester, delimiter=delimiter)
        except StopIteration:
            return "error", ": the file is empty; a seed needs a header row"
        except decimal.Overflow:
            return "error", overflow_error(rows, row_lines, names, types, force)
        except ValueError as e:
            m = re.match(r"Row (\d+) has (\d+) values, but Table only has (\d+) columns\.", str(e))
            if not m:
                raise
            line = row_lines[int(m.group(1))]
            return "error", f":{line}: row has {m.group(2)} values but the header has {m.group(3)}"
    if list(table.column_names) != names:
        raise CaseError(f"agate names {table.column_names} but the oracle's tokenizer {names}")
    if len(table.rows) != len(row_lines):
        raise CaseError("agate and the csv reader disagree on the number of rows")
    tnames = []
    for name, t in zip(table.column_names, table.column_types):
        if name in force and force[name] is t:
            tnames.append("forced_text")
        else:
            tnames.append(TYPE_NAMES[[id(x) for x in types].index(id(t))])
    places = []
    for name, tn in zip(table.column_names, tnames):
        places.append(table.aggregate(agate.MaxPrecision(name)) if tn == "number" else None)
    out_rows = []
    for r, row in enumerate(table.rows):
        cells = []
        for i, v in enumerate(row.values()):
            if v is None:
                cells.append("null")
            elif isinstance(v, bool):
                cells.append("true" if v else "false")
            elif isinstance(v, decimal.Decimal):
                cells.append(str(v))
            elif isinstance(v, (datetime.date, datetime.datetime)):
                try:
                    cells.append(json.dumps(str(v), ensure_ascii=False))
                except ValueError:
                    raw = rows[r][i]
                    return "error", (f":{row_lines[r]}: '{raw}' in column '{names[i]}' has a time zone "
                                     "offset of 24 hours or more")
            else:
                cells.append(json.dumps(v, ensure_ascii=False))
        out_rows.append("[" + ", ".join(cells) + "]")
    out = ('{"columns": ' + json.dumps(list(table.column_names), ensure_ascii=False) + ",\n"
           ' "types": ' + json.dumps(tnames) + ",\n"
           ' "places": ' + json.dumps([None if p is None else int(p) for p in places]) + ",\n"
           ' "lines": ' + json.dumps(row_lines) + ",\n"
           ' "rows": [')
    out += ("\n  " + ",\n  ".join(out_rows) + "\n ]}") if out_rows else "]}"
    return "expect", out


def overflow_error(rows, row_lines, names, types, force):
    """Which value made agate's TypeTester raise decimal.Overflow (its own loop, replayed)."""
    hyp = [set(types) for _ in names]
    for r, row in enumerate(rows):
        for i in range(len(names)):
            if names[i] in force or len(hyp[i]) == 1:
                continue
            for t in copy(hyp[i]):
                try:
                    ok = len(row) > i and not t.test(row[i])
                except decimal.Overflow:
                    return f":{row_lines[r]}: '{row[i]}' in column '{names[i]}' is too large for a decimal number"
                if ok:
                    hyp[i].remove(t)
    raise CaseError("decimal.Overflow not reproduced")


def case_input(sections):
    opts = json.loads(sections["opts"]) if "opts" in sections else {}
    body = sections.get("csv", "")
    data = unescape(body) if opts.get("escaped") else body.encode("utf-8")
    return data, opts


def check(path, write, verbose):
    sections, order = parse_case(path)
    if "csv" not in sections:
        raise CaseError("no --- csv section")
    data, opts = case_input(sections)
    kind, got = compute(data, opts)
    file = opts.get("file", "seeds/x.csv")
    if kind == "error":
        got = file + got
    if write:
        if kind == "tokens":
            raise CaseError("--write needs python3-agate")
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
        text = re.split(r"^--- (?:expect|error)\n", text, flags=re.M)[0]
        if not text.endswith("\n"):
            text += "\n"
        text += f"--- {kind}\n{got}\n"
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return None
    if kind == "tokens":
        names, row_lines = got
        want = sections.get("expect")
        if want is None:
            return None  # errors need agate to check
        w = json.loads(want)
        if w["columns"] != names or w["lines"] != row_lines:
            return "tokenisation differs"
        return None
    want = sections.get(kind)
    if want is None:
        return f"Python gives an {kind} but the case has none:\n{got}"
    if want != got:
        return f"{kind} differs:\n--- python\n{got}\n--- case\n{want}"
    return None


def main(argv):
    verbose = "-v" in argv
    write = "--write" in argv
    paths = [a for a in argv if not a.startswith("-")]
    if not paths:
        here = os.path.dirname(os.path.abspath(__file__))
        paths = sorted(os.path.join(here, f) for f in os.listdir(here) if f.endswith(".case"))
    if agate is None:
        print("# python3-agate is not installed: checking the tokenisation only")
    passed = failed = 0
    for p in paths:
        try:
            why = check(p, write, verbose)
        except (CaseError, json.JSONDecodeError) as e:
            why = f"bad case: {e}"
        name = os.path.basename(p)
        if why:
            failed += 1
            print(f"not ok - {name}: {why}")
        else:
            passed += 1
            if verbose:
                print(f"ok - {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
