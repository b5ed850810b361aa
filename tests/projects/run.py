#!/usr/bin/python3
"""End-to-end dbt projects: runs every tests/projects/<case>/case.yml against silt.

Usage: run.py SILT [--all] [CASE...]
  SILT    the silt binary
  --all   also run the cases listed in DISABLED
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
STEP_KEYS = {
    "cmd", "about", "write", "delete", "env", "exit", "stdout", "stderr", "output", "lines",
    "absent", "stdout_exact", "results", "messages", "compiled", "missing", "exists", "sql", "json", "timeout",
}
CASE_KEYS = {"about", "covers", "db", "env", "steps"}


def load_disabled():
    out = {}
    path = os.path.join(HERE, "DISABLED")
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


class Step:
    def __init__(self, case, idx, spec):
        self.case, self.idx, self.spec = case, idx, spec
        self.errors = []

    def fail(self, msg):
        self.errors.append(msg)


def check_step(silt, case_dir, proj, case, idx, spec, case_env, db):
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
    if os.path.exists(results_path):
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
    o_lines, e_lines = normalise(out, proj), normalise(err, proj)
    both = o_lines + e_lines
    o_text, e_text, b_text = "\n".join(o_lines), "\n".join(e_lines), "\n".join(both)
    want_rc = spec.get("exit", 0)
    if p.returncode != want_rc:
        st.fail(f"exit {p.returncode}, want {want_rc}")
    if p.returncode < 0 or p.returncode > 2:
        st.fail(f"silt crashed or exited oddly ({p.returncode})")
    for key, text in (("stdout", o_text), ("stderr", e_text), ("output", b_text)):
        for want in spec.get(key) or []:
            if want not in text:
                st.fail(f"{key} lacks {want!r}")
    for want in spec.get("absent") or []:
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
        check_query(st, os.path.join(proj, q.get("db", db)), q)
    for j in spec.get("json") or []:
        check_json(st, proj, j)
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


def check_json(st, proj, j):
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
    if "equals" in j and v != plain(j["equals"]):
        st.fail(f"{j['path']} is {v!r}, want {j['equals']!r}")


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
    only = [a for a in args[1:] if not a.startswith("--")]
    disabled = load_disabled()
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
            for i, step in enumerate(steps, 1):
                n += 1
                label = f"{case}: step {i} ({step.get('cmd', '?')})"
                if broken:
                    failed += 1
                    print(f"not ok {n} - {label} # not run: an earlier step failed")
                    continue
                st = check_step(silt, case_dir, proj, case, i, step, spec.get("env") or {},
                                spec.get("db", "db.sqlite"))
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
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{n}")
    if skipped:
        print(f"# {skipped} cases skipped (listed in tests/projects/DISABLED)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
