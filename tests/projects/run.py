#!/usr/bin/python3
"""End-to-end dbt projects: runs every tests/projects/<case>/case.yml against silt.

Usage: run.py SILT [--all] [--adapter postgres] [CASE...]
  SILT    the silt binary
  --all   also run the cases listed in DISABLED
  --adapter postgres
          run the cases against PostgreSQL (SILT_PG_HOST/PORT/USER/PASSWORD/DATABASE): each
          case gets a fresh database, its SQLite outputs in profiles.yml become postgres ones
          with the same schema and threads, and the checks read PostgreSQL (see README.md);
          cases listed in SQLITE_ONLY are skipped
  CASE    run only these cases (listed ones run even when DISABLED)

Each case folder is a dbt project plus case.yml (format in README.md). The project is copied
into a fresh temporary directory (without case.yml and expected/), then the steps run in order
in that copy. Prints one TAP line per step, then "N passed, N failed" (and a skip count).
"""
import datetime
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PG_QUERY_KEYS = {"pg", "pg_rows", "pg_skip"}
STEP_KEYS = {
    "cmd", "about", "write", "delete", "env", "exit", "stdout", "stderr", "output", "lines",
    "absent", "stdout_exact", "results", "messages", "compiled", "missing", "exists", "sql", "json", "timeout",
    "pg_output", "pg_absent", "pg_messages", "keep_results",
}
CASE_KEYS = {"about", "covers", "db", "env", "steps"}


def load_disabled(name="DISABLED"):
    out = {}
    path = os.path.join(HERE, name)
    if not os.path.exists(path):
        return out
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        out[parts[0]] = parts[1] if len(parts) > 1 else "(no reason given)"
    return out


TS = re.compile(r"^\d\d:\d\d:\d\d(  |$)")
DUR = re.compile(r" in \d+\.\d+s\]")
FIN = re.compile(r"in \d+ hours \d+ minutes and \d+\.\d+ seconds \(\d+\.\d+s\)")


def normalise(text, proj):
    """Drop dbt's HH:MM:SS prefixes, mask durations and the temporary project path."""
    lines = []
    for line in text.replace(proj, "<project>").splitlines():
        line = TS.sub("", line)
        line = DUR.sub(" in N.NNs]", line)
        line = FIN.sub("in 0 hours 0 minutes and N.NN seconds (N.NNs)", line)
        lines.append(line.rstrip())
    return lines


def plain(v):
    """YAML scalars as sqlite3 returns them (dates are text in SQLite)."""
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat(sep=" ") if isinstance(v, datetime.datetime) else v.isoformat()
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def copy_project(src, dst):
    def ignore(d, names):
        if os.path.abspath(d) == os.path.abspath(src):
            return [n for n in names if n in ("case.yml", "expected")]
        return []
    shutil.copytree(src, dst, symlinks=True, ignore=ignore)


class Postgres:
    """The PostgreSQL side of --adapter postgres: a database per case, reached with psql."""

    def __init__(self):
        self.env = dict(os.environ)
        self.env.update({
            "PGHOST": os.environ["SILT_PG_HOST"],
            "PGPORT": os.environ.get("SILT_PG_PORT", "5432"),
            "PGUSER": os.environ.get("SILT_PG_USER", "silt"),
            "PGPASSWORD": os.environ.get("SILT_PG_PASSWORD", ""),
            "PGCONNECT_TIMEOUT": "10",
        })
        self.admin_db = os.environ.get("SILT_PG_DATABASE", "postgres")
        self.db = None

    def psql(self, db, sql, options=None):
        env = dict(self.env)
        if options:
            env["PGOPTIONS"] = options
        return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", db, "-c", sql], env=env, capture_output=True, text=True,
                              timeout=60)

    def new_database(self, case):
        self.db = "silt_t_" + case.lower()
        for sql in (f'drop database if exists "{self.db}" with (force)',
                    f'create database "{self.db}"'):
            p = self.psql(self.admin_db, sql)
            if p.returncode:
                raise RuntimeError(p.stderr.strip())
        # SQLite's catalog as the cases query it: schema main unprefixed, others schema__name
        p = self.psql(self.db, SQLITE_MASTER)
        if p.returncode:
            raise RuntimeError(p.stderr.strip())

    def drop_database(self):
        if self.db:
            self.psql(self.admin_db, f'drop database if exists "{self.db}" with (force)')
            self.db = None

    def profile(self, proj):
        """The project's SQLite outputs as postgres outputs of this case's database."""
        path = os.path.join(proj, "profiles.yml")
        prof = yaml.safe_load(open(path, encoding="utf-8"))
        for p in prof.values():
            for out in ((p or {}).get("outputs") or {}).values():
                if out.get("type") != "sqlite":
                    continue
                keep = {k: out[k] for k in ("schema", "threads") if k in out}
                out.clear()
                out.update({"type": "postgres", "host": self.env["PGHOST"],
                            "port": int(self.env["PGPORT"]), "user": self.env["PGUSER"],
                            "password": self.env["PGPASSWORD"], "dbname": self.db,
                            "schema": "main", "threads": 1})
                out.update(keep)
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(prof, f, sort_keys=False)

    def sqlite_text(self, text):
        """Relations as PostgreSQL renders them ("db"."schema"."id") written as SQLite's
        ("main"."schema__id"), so that compiled SQL and messages compare with the cases."""
        if not self.db:
            return text
        def one(m):
            schema, ident = m.group(1), m.group(2)
            return f'"main"."{ident}"' if schema == "main" else f'"main"."{schema}__{ident}"'
        return re.sub(r'"' + re.escape(self.db) + r'"\."([^"]+)"\."([^"]+)"', one, text)

    def query(self, q):
        """(rows, error): rows as lists of Python values, via JSON."""
        sql = translate_names(q, self.schemas())
        p = self.psql(self.db, f"select coalesce(json_agg(silt_q), '[]') from ({sql}) silt_q",
                      options="-c search_path=main,public,silt_compat")
        if p.returncode:
            return None, p.stderr.strip()
        rows = json.loads(p.stdout, object_pairs_hook=lambda pairs: [v for _, v in pairs])
        return [[pg_plain(v) for v in r] for r in rows], None

    def schemas(self):
        p = self.psql(self.db, "select nspname from pg_namespace where nspname not like 'pg\\_%' "
                               "and nspname not in ('information_schema', 'silt_compat')")
        return set(p.stdout.split()) if p.returncode == 0 else set()


SQLITE_MASTER = """
create schema silt_compat;
create view silt_compat.sqlite_master as
select case when n.nspname = 'main' then c.relname else n.nspname || '__' || c.relname end as name,
       case when c.relkind in ('v', 'm') then 'view' else 'table' end as type
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm', 'f')
  and n.nspname not in ('pg_catalog', 'information_schema', 'silt_compat')
  and n.nspname not like 'pg\\_%';
"""

TS_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def pg_plain(v):
    """PostgreSQL's JSON as SQLite's rows: timestamps with a space."""
    if isinstance(v, str) and TS_ISO.match(v):
        return v[:10] + " " + v[11:]
    return v


def translate_names(q, schemas):
    """SQLite physical names outside string literals (schema__name) as "schema"."name"."""
    out, i = [], 0
    for m in re.finditer(r"'(?:[^']|'')*'|\b([A-Za-z_][A-Za-z0-9_]*)\b", q):
        out.append(q[i:m.start()])
        word = m.group(1)
        schema = max((s for s in schemas if word and word.startswith(s + "__")
                      and len(word) > len(s) + 2), key=len, default=None)
        if schema:
            out.append(f'"{schema}"."{word[len(schema) + 2:]}"')
        else:
            out.append(m.group(0))
        i = m.end()
    out.append(q[i:])
    return "".join(out)


class Step:
    def __init__(self, case, idx, spec):
        self.case, self.idx, self.spec = case, idx, spec
        self.errors = []

    def fail(self, msg):
        self.errors.append(msg)


def check_step(silt, case_dir, proj, case, idx, spec, case_env, db, pg=None):
    st = Step(case, idx, spec)
    unknown = set(spec) - STEP_KEYS
    if unknown:
        st.fail(f"case.yml: unknown step keys {sorted(unknown)}")
        return st
    for rel, text in (spec.get("write") or {}).items():
        p = os.path.join(proj, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    for rel in spec.get("delete") or []:
        p = os.path.join(proj, rel)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        elif os.path.lexists(p):
            os.remove(p)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.update({"NO_COLOR": "1", "HOME": os.path.join(proj, ".home"), "TZ": "UTC"})
    for k, v in {**case_env, **(spec.get("env") or {})}.items():
        env[k] = str(v)
    argv = shlex.split(spec["cmd"])
    if not argv or argv[0] != "silt":
        st.fail(f"cmd must start with 'silt': {spec['cmd']!r}")
        return st
    argv[0] = silt
    results_path = os.path.join(proj, "target", "run_results.json")
    if os.path.exists(results_path) and not spec.get("keep_results"):
        os.remove(results_path)  # a step only sees the results of its own command
    try:
        p = subprocess.run(argv, cwd=proj, env=env, capture_output=True,
                           timeout=spec.get("timeout", 60))
    except subprocess.TimeoutExpired:
        st.fail("timed out")
        return st
    except OSError as e:
        st.fail(f"cannot run {silt}: {e}")
        return st
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if pg:
        out, err = pg.sqlite_text(out), pg.sqlite_text(err)
    o_lines, e_lines = normalise(out, proj), normalise(err, proj)
    both = o_lines + e_lines
    o_text, e_text, b_text = "\n".join(o_lines), "\n".join(e_lines), "\n".join(both)
    want_rc = spec.get("exit", 0)
    if p.returncode != want_rc:
        st.fail(f"exit {p.returncode}, want {want_rc}")
    if p.returncode < 0 or p.returncode > 2:
        st.fail(f"silt crashed or exited oddly ({p.returncode})")
    for key, text in (("stdout", o_text), ("stderr", e_text), ("output", b_text)):
        if pg and key == "output" and "pg_output" in spec:
            key = "pg_output"
        for want in spec.get(key) or []:
            if want not in text:
                st.fail(f"{key} lacks {want!r}")
    for want in spec.get("pg_absent" if pg and "pg_absent" in spec else "absent") or []:
        if want in b_text:
            st.fail(f"output has {want!r}, which must be absent")
    if "stdout_exact" in spec:
        got_lines = [line for line in o_lines if line]
        if got_lines != spec["stdout_exact"]:
            st.fail(f"stdout lines are {got_lines}, want exactly {spec['stdout_exact']}")
    want_lines = spec.get("lines") or []
    if want_lines:
        i = 0
        for line in both:
            if i < len(want_lines) and line == want_lines[i]:
                i += 1
        if i < len(want_lines):
            st.fail(f"output lacks line {want_lines[i]!r} (after the ones before it)")
    if "results" in spec or "messages" in spec:
        if pg and "pg_messages" in spec:
            spec = {**spec, "messages": spec["pg_messages"]}
        check_results(st, results_path, spec)
    compiled = spec.get("compiled") or []
    if isinstance(compiled, list):
        compiled = {rel: os.path.join("expected", "compiled", rel) for rel in compiled}
    for rel, exp in compiled.items():
        got_p = os.path.join(proj, "target", "compiled", rel)
        exp_p = os.path.join(case_dir, exp)
        if not os.path.exists(exp_p):
            st.fail(f"case has no expected file {exp}")
            continue
        if not os.path.exists(got_p):
            st.fail(f"target/compiled/{rel} was not written")
            continue
        got = open(got_p, encoding="utf-8").read()
        if pg:
            got = pg.sqlite_text(got)
        want = open(exp_p, encoding="utf-8").read()
        if got != want:
            st.fail(f"target/compiled/{rel} differs from {exp}:\n--- got\n{got}\n--- want\n{want}")
    for rel in spec.get("missing") or []:
        if os.path.lexists(os.path.join(proj, rel)):
            st.fail(f"{rel} exists but must not")
    for rel in spec.get("exists") or []:
        if not os.path.lexists(os.path.join(proj, rel)):
            st.fail(f"{rel} does not exist")
    for q in spec.get("sql") or []:
        if pg:
            check_pg_query(st, pg, q)
        else:
            check_query(st, os.path.join(proj, q.get("db", db)), q)
    for j in spec.get("json") or []:
        check_json(st, proj, j, pg)
    if st.errors:
        tail = lambda s: "\n".join(s.splitlines()[-25:])
        st.errors.append("--- stdout\n" + tail(out) + "\n--- stderr\n" + tail(err))
    return st


def check_results(st, path, spec):
    if not os.path.exists(path):
        st.fail("target/run_results.json was not written")
        return
    try:
        rr = json.load(open(path, encoding="utf-8"))
        got = {r["unique_id"]: r for r in rr["results"]}
    except (ValueError, KeyError, TypeError) as e:
        st.fail(f"target/run_results.json is malformed: {e}")
        return
    want = spec.get("results")
    if want is not None:
        gs = {k: v.get("status") for k, v in got.items()}
        want = dict(want)
        for key in [k for k in want if k.endswith(".*")]:  # generic tests: name without hash
            hits = [k for k in gs if k.startswith(key[:-1]) and k.count(".") == key.count(".")]
            if len(hits) == 1:
                want[hits[0]] = want.pop(key)
        if gs != want:
            extra = {k: gs[k] for k in gs if k not in want}
            lack = {k: want[k] for k in want if k not in gs}
            wrong = {k: (gs[k], want[k]) for k in want if k in gs and gs[k] != want[k]}
            st.fail(f"run_results statuses differ: extra {extra} missing {lack} "
                    f"wrong (got, want) {wrong}")
    for uid, sub in (spec.get("messages") or {}).items():
        if uid.endswith(".*"):
            uid = next((k for k in got if k.startswith(uid[:-1])), uid)
        msg = (got.get(uid) or {}).get("message")
        if msg is None or sub not in str(msg):
            st.fail(f"run_results message of {uid} is {msg!r}, want it to contain {sub!r}")


def check_json(st, proj, j, pg=None):
    """{file, path: [keys...], equals: value}: one value inside a JSON artifact."""
    path = os.path.join(proj, j.get("file", "target/manifest.json"))
    try:
        v = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as e:
        st.fail(f"cannot read {j.get('file')}: {e}")
        return
    for k in j["path"]:
        try:
            if isinstance(k, dict):  # {name: x}: the member of a mapping whose "name" is x
                v = next(x for x in v.values() if isinstance(x, dict) and x.get("name") == k["name"])
                continue
            v = v[k]
        except (KeyError, IndexError, TypeError, StopIteration):
            st.fail(f"{j.get('file', 'target/manifest.json')} has no {j['path']} (stops at {k!r})")
            return
    if pg and isinstance(v, str):
        v = pg.sqlite_text(v)
    if "equals" in j and v != plain(j["equals"]):
        st.fail(f"{j['path']} is {v!r}, want {j['equals']!r}")


def check_pg_query(st, pg, q):
    """A case's query against PostgreSQL: `pg:` replaces the SQLite text, `pg_rows:` the
    expected rows, `pg_skip:` (a reason) leaves the query out. SQLite's "no such table" is
    PostgreSQL's "does not exist"."""
    unknown = set(q) - {"q", "rows", "error", "db"} - PG_QUERY_KEYS
    if unknown:
        st.fail(f"case.yml: unknown query keys {sorted(unknown)}")
        return
    if "pg_skip" in q:
        return
    text = q.get("pg", q["q"])
    rows, err = pg.query(text)
    if err is not None:
        want_err = q.get("error")
        if want_err and (want_err in err or (want_err == "no such table" and "does not exist" in err)):
            return
        st.fail(f"query {text!r} failed: {err}")
        return
    if "error" in q:
        st.fail(f"query {text!r} succeeded, want an error {q['error']!r}")
        return
    want = plain(q.get("pg_rows", q.get("rows", [])))
    if rows != want:
        st.fail(f"query {text!r}\n  got  {rows}\n  want {want}")


def check_query(st, dbpath, q):
    if not os.path.exists(dbpath):
        st.fail(f"no database file {os.path.basename(dbpath)}")
        return
    con = sqlite3.connect(dbpath)
    try:
        rows = [list(r) for r in con.execute(q["q"]).fetchall()]
    except sqlite3.Error as e:
        if "error" in q and q["error"] in str(e):
            return
        st.fail(f"query {q['q']!r} failed: {e}")
        return
    finally:
        con.close()
    if "error" in q:
        st.fail(f"query {q['q']!r} succeeded, want an error {q['error']!r}")
        return
    want = plain(q.get("rows", []))
    if rows != want:
        st.fail(f"query {q['q']!r}\n  got  {rows}\n  want {want}")


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    silt = os.path.abspath(args[0])
    run_all = "--all" in args
    adapter = "sqlite"
    if "--adapter" in args:
        i = args.index("--adapter")
        adapter = args[i + 1] if i + 1 < len(args) else ""
        del args[i:i + 2]
        if adapter not in ("sqlite", "postgres"):
            print(f"--adapter wants sqlite or postgres, got {adapter!r}")
            return 2
    only = [a for a in args[1:] if not a.startswith("--")]
    disabled = load_disabled()
    pg = None
    if adapter == "postgres":
        if not os.environ.get("SILT_PG_HOST"):
            print("# skipped: no PostgreSQL server (SILT_PG_HOST is not set; "
                  "tests/run.sh starts one with scripts/pg-test-server.sh)")
            print("0 passed, 0 failed")
            return 0
        pg = Postgres()
        for name, why in load_disabled("SQLITE_ONLY").items():
            disabled.setdefault(name, "SQLite only: " + why)
    cases = sorted(d for d in os.listdir(HERE)
                   if os.path.isfile(os.path.join(HERE, d, "case.yml")))
    for name in disabled:
        if name not in cases:
            print(f"# DISABLED names an unknown case {name}")
    n = passed = failed = skipped = 0
    tmp = tempfile.mkdtemp(prefix="silt-projects-")
    try:
        for case in cases:
            if only and case not in only:
                continue
            if case in disabled and not run_all and not only:
                skipped += 1
                print(f"# skip {case}: {disabled[case]}")
                continue
            case_dir = os.path.join(HERE, case)
            try:
                spec = yaml.safe_load(open(os.path.join(case_dir, "case.yml"), encoding="utf-8"))
                bad = set(spec) - CASE_KEYS
                if bad:
                    raise ValueError(f"unknown case keys {sorted(bad)}")
                steps = spec["steps"]
            except (OSError, yaml.YAMLError, ValueError, KeyError, TypeError) as e:
                n += 1
                failed += 1
                print(f"not ok {n} - {case}: case.yml: {e}")
                continue
            proj = os.path.join(tmp, case)
            copy_project(case_dir, proj)
            broken = False
            if pg:
                try:
                    pg.new_database(case)
                    pg.profile(proj)
                except (RuntimeError, OSError, yaml.YAMLError, subprocess.TimeoutExpired) as e:
                    n += 1
                    failed += 1
                    print(f"not ok {n} - {case}: cannot prepare the PostgreSQL database: {e}")
                    continue
            for i, step in enumerate(steps, 1):
                n += 1
                label = f"{case}: step {i} ({step.get('cmd', '?')})"
                if broken:
                    failed += 1
                    print(f"not ok {n} - {label} # not run: an earlier step failed")
                    continue
                st = check_step(silt, case_dir, proj, case, i, step, spec.get("env") or {},
                                spec.get("db", "db.sqlite"), pg)
                if st.errors:
                    failed += 1
                    broken = True
                    print(f"not ok {n} - {label}")
                    for e in st.errors:
                        for line in e.splitlines():
                            print("#   " + line)
                else:
                    passed += 1
                    print(f"ok {n} - {label}")
            shutil.rmtree(proj, ignore_errors=True)
            if pg:
                pg.drop_database()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{n}")
    if skipped:
        print(f"# {skipped} cases skipped (listed in tests/projects/DISABLED"
              + (" or SQLITE_ONLY)" if pg else ")"))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
