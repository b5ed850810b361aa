#!/usr/bin/python3
"""Test-only ingestion: records a target directory's invocation as a successful run of a job (or
an environment) in silt's metadata store, as `silt ingest` / `--env` builds do — the newest
manifest becomes the environment's definition state, and each node that succeeded updates the
environment's applied state (relation, checksum, config, node JSON, vars). Used by
scripts/bench-state.py to fill a 10,000-model applied state without a run_results.json
(tests/cli/ci.sh records real builds with `silt ingest`).

usage: ci_ingest.py STORE TARGET_DIR (--job NAME | --env NAME) [--sha SHA]
"""
import datetime
import json
import os
import sqlite3
import sys


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def main(argv):
    store, target = argv[1], argv[2]
    opts = dict(zip(argv[3::2], argv[4::2]))
    db = sqlite3.connect(store)
    db.execute("PRAGMA foreign_keys = ON")
    job_id = job_name = None
    if "--job" in opts:
        row = db.execute("SELECT id, name, environment_id FROM job WHERE name = ?", (opts["--job"],)).fetchone()
        if not row:
            sys.exit("no job %r" % opts["--job"])
        job_id, job_name, env_id = row
    else:
        row = db.execute("SELECT id FROM environment WHERE name = ?", (opts["--env"],)).fetchone()
        if not row:
            sys.exit("no environment %r" % opts["--env"])
        env_id = row[0]
    env_name = db.execute("SELECT name FROM environment WHERE id = ?", (env_id,)).fetchone()[0]
    manifest = json.load(open(os.path.join(target, "manifest.json")))
    results = json.load(open(os.path.join(target, "run_results.json")))["results"]
    vars_path = os.path.join(target, "node_vars.json")
    node_vars = json.load(open(vars_path))["nodes"] if os.path.exists(vars_path) else {}
    t = now()
    with db:
        cur = db.execute(
            "INSERT INTO run (environment_id, environment_name, job_id, job_name, status, trigger, "
            "is_ci, command, git_sha, created_at, started_at, finished_at) "
            "VALUES (?, ?, ?, ?, 'success', 'manual', 0, 'silt build', ?, ?, ?, ?)",
            (env_id, env_name, job_id, job_name, opts.get("--sha"), t, t, t))
        run_id = cur.lastrowid
        tables = {}
        for tab in ("nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries", "unit_tests", "macros"):
            tables.update(manifest.get(tab) or {})
        db.execute("DELETE FROM node_definition WHERE environment_id = ?", (env_id,))
        db.execute(
            "INSERT OR REPLACE INTO definition_state (environment_id, run_id, generated_at, updated_at) VALUES (?, ?, ?, ?)",
            (env_id, run_id, manifest["metadata"]["generated_at"], t))
        db.executemany(
            "INSERT INTO node_definition (environment_id, unique_id, resource_type, checksum, config, node) VALUES (?, ?, ?, ?, ?, ?)",
            [(env_id, uid, n.get("resource_type", "macro"), (n.get("checksum") or {}).get("checksum") if isinstance(n.get("checksum"), dict) else None,
              json.dumps(n.get("config")), json.dumps(n)) for uid, n in tables.items()])
        for r in results:
            uid = r["unique_id"]
            n = tables.get(uid)
            if n is None:
                continue
            ok = r["status"] in ("success", "pass")
            db.execute(
                "INSERT INTO node_applied (environment_id, unique_id, resource_type, last_run_id, last_status, last_at, last_message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (environment_id, unique_id) DO UPDATE SET "
                "last_run_id = excluded.last_run_id, last_status = excluded.last_status, last_at = excluded.last_at, "
                "last_message = excluded.last_message",
                (env_id, uid, n["resource_type"], run_id, r["status"], t, r.get("message")))
            if ok:
                cs = n.get("checksum")
                db.execute(
                    "UPDATE node_applied SET success_run_id = ?, success_at = ?, relation_database = ?, "
                    "relation_schema = ?, relation_identifier = ?, applied_checksum = ?, applied_config = ?, "
                    "applied_node = ?, applied_vars = ? WHERE environment_id = ? AND unique_id = ?",
                    (run_id, t, n.get("database"), n.get("schema"), n.get("alias") or n.get("identifier"),
                     cs.get("checksum") if isinstance(cs, dict) else cs, json.dumps(n.get("config")), json.dumps(n),
                     json.dumps(node_vars[uid]) if uid in node_vars else None, env_id, uid))
    print("run %d" % run_id)


if __name__ == "__main__":
    main(sys.argv)
