#!/usr/bin/python3
"""Check the oracle-backed compile cases against Python (run with /usr/bin/python3).

Usage: oracle.py [-v] [--update] [PATH ...]
       (default: the cases of this folder whose names start with one of ORACLE_PREFIXES)

Each case's template is rendered by Jinja2 with what dbt puts in the context for these helpers:
  - `--- table NAME` (JSON {"columns": [...], "rows": [[...]]}): the rows as a database cursor
    would return them, turned into an agate.Table the way dbt does (dbt-adapters'
    get_result_from_cursor / process_results, dbt_common's table_from_data_flat and its
    Integer / Number / ISODateTime types, reproduced below over the installed agate);
  - toyaml / tojson / fromyaml as dbt defines them;
  - modules.itertools with dbt's list of exports, modules.pytz.
The rendered text must equal `--- output`, what the render printed to stdout (its final newline
dropped) `--- stdout`, and a case with `--- error` must raise. With --update the `--- output`
and `--- stdout` sections are rewritten from Python instead.

Known divergence, kept out of the cases: agate holds Number cells as Decimal (repr
`Decimal('1.5')`), silt as int/float.
Prints one line per mismatch (every case with -v) and ends with "N passed, N failed".
"""

import itertools
import json
import os
import re
import sys
import tempfile
import warnings

import agate
import isodate
import jinja2
import pytz
import yaml

ORACLE_PREFIXES = ("agate_", "toyaml_", "itertools_")


# ---- dbt_common.clients.agate_helper, as dbt 1.8-1.10 configure agate for query results ----

class Integer(agate.data_types.DataType):
    def cast(self, d):
        if type(d) == int or d is None:
            return d
        raise agate.exceptions.CastError('Can not parse value "%s" as Integer.' % d)

    def jsonify(self, d):
        return d


class Number(agate.data_types.Number):
    def cast(self, d):
        if type(d) == bool:
            raise agate.exceptions.CastError("Do not cast True to 1 or False to 0.")
        return super().cast(d)


class ISODateTime(agate.data_types.DateTime):
    def cast(self, d):
        import datetime
        if isinstance(d, datetime.datetime) or d is None:
            return d
        if isinstance(d, datetime.date):
            return datetime.datetime.combine(d, datetime.time(0, 0, 0))
        if isinstance(d, str):
            d = d.strip()
            if d.lower() in self.null_values:
                return None
        try:
            return isodate.parse_datetime(d)
        except Exception:
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
    return agate.TypeTester(force=force, types=types)


def table_from_data_flat(data, column_names):
    rows = []
    text_only_columns = set()
    for _row in data:
        row = []
        for col_name in column_names:
            value = _row[col_name]
            if isinstance(value, (dict, list, tuple)):
                value = json.dumps(value)
                text_only_columns.add(col_name)
            elif isinstance(value, str):
                text_only_columns.add(col_name)
            row.append(value)
        rows.append(row)
    return agate.Table(rows, column_names,
                       column_types=build_type_tester(text_only_columns, string_null_values=()))


def result_table(spec):
    """dbt-adapters' get_result_from_cursor over rows a cursor returned."""
    column_names = list(spec["columns"])
    seen = {}
    for idx, name in enumerate(column_names):
        if name in seen:
            seen[name] += 1
            column_names[idx] = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
    data = [dict(zip(column_names, row)) for row in spec["rows"]]
    return table_from_data_flat(data, column_names)


# ---- dbt's context helpers ----

def toyaml(value, default=None, sort_keys=False):
    try:
        return yaml.safe_dump(data=value, sort_keys=sort_keys)
    except (ValueError, yaml.YAMLError):
        return default


def tojson(value, default=None, sort_keys=False):
    try:
        return json.dumps(value, sort_keys=sort_keys)
    except ValueError:
        return default


def fromyaml(value, default=None):
    try:
        return yaml.safe_load(value)
    except (AttributeError, ValueError, yaml.YAMLError):
        return default


ITERTOOLS = ["count", "cycle", "repeat", "accumulate", "chain", "compress", "islice", "starmap",
             "tee", "zip_longest", "product", "permutations", "combinations",
             "combinations_with_replacement"]


def modules():
    return {
        "itertools": {name: getattr(itertools, name) for name in ITERTOOLS},
        "pytz": {name: getattr(pytz, name) for name in pytz.__all__},
    }


# ---- case files ----

def parse_case(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    sections = []  # [name, arg, body]
    for line in re.findall(r"[^\n]*\n|[^\n]+$", text):
        if line.startswith("--- "):
            head = line[4:].rstrip("\n").split(" ", 1)
            sections.append([head[0], head[1] if len(head) > 1 else "", ""])
        elif sections:
            sections[-1][2] += line
    for s in sections:
        if s[2].endswith("\n"):
            s[2] = s[2][:-1]
    return sections


def write_case(path, sections):
    with open(path, "w", encoding="utf-8", newline="") as f:
        for name, arg, body in sections:
            f.write(f"--- {name}{' ' + arg if arg else ''}\n{body}\n")


def render(sections):
    ctx = {"toyaml": toyaml, "tojson": tojson, "fromyaml": fromyaml, "modules": modules()}
    template = None
    for name, arg, body in sections:
        if name == "table":
            ctx[arg] = result_table(json.loads(body))
        elif name == "template":
            template = body
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    # agate's print_table took sys.stdout as a default argument at import: capture the fd
    with tempfile.TemporaryFile() as tmp:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(tmp.fileno(), 1)
        try:
            text = env.from_string(template).render(ctx)
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        tmp.seek(0)
        printed = tmp.read().decode("utf-8")
    if printed.endswith("\n"):
        printed = printed[:-1]
    return text, printed


def check(path, update, verbose):
    sections = parse_case(path)
    want = {name: body for name, _, body in sections}
    try:
        got, printed = render(sections)
    except Exception as e:  # noqa: BLE001 - any exception is the template's error
        if "error" in want:
            return True, ""
        return False, f"raised {type(e).__name__}: {e}"
    if "error" in want:
        return False, f"no error; rendered {got!r}"
    if update:
        for s in sections:
            if s[0] == "output":
                s[2] = got
            elif s[0] == "stdout":
                s[2] = printed
        write_case(path, sections)
        return True, ""
    if "output" in want and want["output"] != got:
        return False, f"output {got!r}, case says {want['output']!r}"
    if "stdout" in want and want["stdout"] != printed:
        return False, f"stdout {printed!r}, case says {want['stdout']!r}"
    return True, ""


def main(argv):
    warnings.simplefilter("ignore")  # agate warns about renamed columns
    verbose = "-v" in argv
    update = "--update" in argv
    paths = [a for a in argv if not a.startswith("-")]
    if not paths:
        here = os.path.dirname(os.path.abspath(__file__))
        paths = sorted(os.path.join(here, f) for f in os.listdir(here)
                       if f.endswith(".case") and f.startswith(ORACLE_PREFIXES))
    npass = nfail = 0
    for p in paths:
        ok, why = check(p, update, verbose)
        if ok:
            npass += 1
            if verbose:
                print(f"ok - {os.path.basename(p)}")
        else:
            nfail += 1
            print(f"not ok - {os.path.basename(p)}: {why}")
    print(f"{npass} passed, {nfail} failed")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
