#!/usr/bin/env python3
"""The HTTP checks of tests/cli/serve.sh against a running `silt serve` (URL in argv[1]) whose
store holds examples/shop built into `prod` (run 1) and the job `nightly` run once (run 2).
Prints TAP lines and "N passed, N failed"."""
import http.client
import json
import sys
import urllib.error
import urllib.request

BASE, ADMIN, READ, RUNNER, REVOKED = sys.argv[1:6]
passed = failed = 0
bodies = []  # every response, to check no token is ever echoed


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok {passed + failed} - {name}")
    else:
        failed += 1
        print(f"not ok {passed + failed} - {name}")
        if detail:
            print("#   " + str(detail)[:400].replace("\n", "\n#   "))


def call(path, method="GET", body=None, raw=None, token=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": "application/json"}
    token = ADMIN if token is None else token
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(BASE + path, method=method, data=data, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            out = r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        out = e.code, e.headers.get("Content-Type", ""), e.read()
    bodies.append(out[2])
    return out


def jcall(path, method="GET", body=None, raw=None, token=None):
    status, ctype, data = call(path, method, body, raw, token)
    try:
        return status, json.loads(data)
    except ValueError:
        return status, {"_text": data.decode(errors="replace"), "_type": ctype}


def is_error(status, doc, want_status, want_code=None):
    e = doc.get("error") if isinstance(doc, dict) else None
    return (status == want_status and isinstance(e, dict) and e.get("status") == want_status
            and isinstance(e.get("message"), str) and e.get("message")
            and (want_code is None or e.get("code") == want_code))


# ---- the document and every route it names
s, doc = jcall("/api/openapi.json")
check("GET /api/openapi.json is an OpenAPI 3 document", s == 200 and doc.get("openapi", "").startswith("3."))
paths = doc.get("paths", {})
check("it documents the admin routes", all(p in paths for p in [
    "/api/v1/environments", "/api/v1/environments/{env}", "/api/v1/jobs", "/api/v1/jobs/{job}",
    "/api/v1/runs", "/api/v1/runs/{run_id}", "/api/v1/runs/{run_id}/steps",
    "/api/v1/runs/{run_id}/logs", "/api/v1/runs/{run_id}/artifacts",
    "/api/v1/runs/{run_id}/artifacts/{path}"]), list(paths))
fill = {"env": "prod", "job": "nightly", "run_id": "1", "path": "run_results.json", "unique_id": "model.shop.orders"}
for p, ops in paths.items():
    for method, op in ops.items():
        if method != "get":
            continue
        url = "/ui/app.js" if p == "/ui/{path}" else p  # the Explorer's files: one that exists
        for k, v in fill.items():
            url = url.replace("{" + k + "}", v)
        s, _, body = call(url)
        check(f"documented GET {p} answers 200", s == 200, f"{s} {body[:200]!r}")
        check(f"... with the documented parameters only in its path", all(
            prm["in"] in ("path", "query") for prm in op.get("parameters", [])))

# ---- undocumented routes are not answered
s, d = jcall("/api/v1/secret")
check("an unknown route is a 404 JSON error", is_error(s, d, 404, "not_found"), d)
s, d = jcall("/api/v1/runs", "DELETE")
check("a method a route lacks is a 405", is_error(s, d, 405, "method_not_allowed"), d)

# ---- reads
s, d = jcall("/api/v1/environments/prod")
check("GET an environment", s == 200 and d["name"] == "prod" and d["type"] == "production", d)
s, d = jcall("/api/v1/environments/nope")
check("an unknown environment is a 404", is_error(s, d, 404, "not_found"), d)
s, d = jcall("/api/v1/jobs/nightly")
check("GET a job by name", s == 200 and d["steps"] == ["silt seed", "silt run --select stg_orders"], d)
s, d2 = jcall(f"/api/v1/jobs/{d.get('id')}")
check("... and by id", s == 200 and d2.get("name") == "nightly", d2)
s, d = jcall("/api/v1/runs?environment=prod")
runs = d.get("data", [])
check("GET runs lists both runs newest first", s == 200 and [r["id"] for r in runs] == [2, 1], d)
check("... with their environment, job and status", runs and runs[0]["job"] == "nightly"
      and runs[0]["status"] == "success" and runs[1]["environment"] == "prod", runs)
s, d = jcall("/api/v1/runs?job=nightly")
check("runs filtered by job", [r["id"] for r in d.get("data", [])] == [2], d)
s, d = jcall("/api/v1/runs?status=error")
check("runs filtered by status", s == 200 and d.get("data") == [], d)
s, d = jcall("/api/v1/runs?status=bogus")
check("a bad status filter is a 400", is_error(s, d, 400), d)
s, d = jcall("/api/v1/runs/2/steps")
check("a run's steps in order", [x["command"] for x in d.get("data", [])] ==
      ["silt seed", "silt run --select stg_orders"] and all(x["status"] == "success" for x in d["data"]), d)
s, ctype, body = call("/api/v1/runs/2/logs")
text = body.decode()
check("a run's logs as text", s == 200 and ctype.startswith("text/plain") and "== step 1: silt seed" in text
      and "stg_orders" in text, text[:300])
s, ctype, body = call("/api/v1/runs/2/logs?step=2")
check("one step's logs", s == 200 and "== step" not in body.decode() and "stg_orders" in body.decode(), body[:200])
s, d = jcall("/api/v1/runs/2/logs?step=9")
check("a step the run lacks is a 404", is_error(s, d, 404), d)
s, d = jcall("/api/v1/runs/1/artifacts")
arts = [a["path"] for a in d.get("data", [])]
check("a run's artifacts", s == 200 and "manifest.json" in arts and "run_results.json" in arts, d)
s, d = jcall("/api/v1/runs/1/artifacts/run_results.json")
check("an artifact's content", s == 200 and d.get("metadata", {}).get("dbt_schema_version", "").endswith("run-results/v6.json"), str(d)[:200])
s, d = jcall("/api/v1/runs/1/artifacts/nope.json")
check("a missing artifact is a 404", is_error(s, d, 404), d)
s, d = jcall("/api/v1/runs/999")
check("an unknown run is a 404", is_error(s, d, 404), d)
s, d = jcall("/api/v1/runs/abc")
check("a run id that is not a number is a 400", is_error(s, d, 400), d)

# ---- writes and bad input
s, d = jcall("/api/v1/environments", "POST", {"name": "stg", "type": "staging", "schema": "stg", "threads": 2})
check("POST creates an environment (201)", s == 201 and d.get("name") == "stg" and d.get("schema") == "stg"
      and d.get("threads") == 2, d)
s, d = jcall("/api/v1/environments", "POST", {"name": "stg2", "type": "staging"})
check("a second staging environment is a 409", is_error(s, d, 409, "conflict"), d)
s, d = jcall("/api/v1/environments", "POST", {"name": "x", "type": "general", "colour": "red"})
check("an unknown field is a 400 naming it", is_error(s, d, 400, "unknown_field") and "colour" in d["error"]["message"], d)
s, d = jcall("/api/v1/environments", "POST", {"name": "x", "type": "general", "threads": "four"})
check("a field of the wrong type is a 400", is_error(s, d, 400, "invalid_field"), d)
s, d = jcall("/api/v1/environments", "POST", raw=b'{"name": "x", "type": ')
check("malformed JSON is a 400", is_error(s, d, 400, "invalid_json"), d)
s, d = jcall("/api/v1/environments", "POST", raw=b'[1, 2]')
check("a body that is not an object is a 400", is_error(s, d, 400, "invalid_body"), d)
s, d = jcall("/api/v1/environments", "POST", {"name": "x"})
check("a missing type is a 400", is_error(s, d, 400, "missing_field"), d)
s, d = jcall("/api/v1/environments", "POST", raw=json.dumps({"name": "big", "type": "general", "schema": "s" * 5000}).encode())
check("a body over --max-body is a 413", is_error(s, d, 413, "body_too_large"), d)
s, d = jcall("/api/v1/environments")
check("... and none of the refused writes changed anything", sorted(e["name"] for e in d.get("data", [])) == ["ci", "prod", "stg"], d)
evil = "x'; drop table run; --"
s, d = jcall("/api/v1/environments/" + urllib.request.quote(evil))
check("SQL metacharacters in a path are just a name (404)", is_error(s, d, 404), d)
s, d = jcall("/api/v1/runs?environment=" + urllib.request.quote(evil))
check("... and in a query parameter", is_error(s, d, 404), d)
s, d = jcall("/api/v1/environments", "POST", {"name": evil, "type": "general"})
check("... and in a body they meet the name rule (400)", is_error(s, d, 400) and "use letters" in d["error"]["message"], d)
s, d = jcall("/api/v1/environments", "POST", {"name": "tmp", "type": "general", "schema": evil})
check("... and a setting holding them is stored as written", s == 201 and d.get("schema") == evil, d)
s, d = jcall("/api/v1/runs")
check("... and the runs are all still there", len(d.get("data", [])) == 3, d)
s, d = jcall("/api/v1/environments/tmp", "DELETE")
check("DELETE an environment", s == 200 and d.get("deleted") == "tmp", d)
s, d = jcall("/api/v1/environments/tmp")
check("... and it is gone", is_error(s, d, 404), d)
s, d = jcall("/api/v1/environments/stg", "PATCH", {"schema": "staging_data", "git_branch": "main"})
check("PATCH changes settings", s == 200 and d.get("schema") == "staging_data" and d.get("git_branch") == "main", d)
s, d = jcall("/api/v1/environments/stg", "PATCH", {"type": "planet"})
check("PATCH with a bad type is a 400", is_error(s, d, 400), d)

# ---- pagination
for i in range(5):
    jcall("/api/v1/environments", "POST", {"name": f"gen{i}", "type": "general"})
seen, cursor, pages = [], None, 0
while True:
    s, d = jcall("/api/v1/environments?limit=2" + (f"&cursor={cursor}" if cursor else ""))
    if s != 200:
        break
    pages += 1
    seen += [e["name"] for e in d["data"]]
    cursor = d["next_cursor"]
    if not cursor or pages > 10:
        break
check("cursor pagination walks every environment once, by name", seen == ["ci"] + [f"gen{i}" for i in range(5)] + ["prod", "stg"]
      and pages == 4, (pages, seen))
s, d = jcall("/api/v1/environments?limit=501")
check("a page size over 500 is a 400", is_error(s, d, 400), d)
s, d = jcall("/api/v1/environments?cursor=424242")
check("an unknown cursor is a 400", is_error(s, d, 400, "bad_cursor"), d)
s, d = jcall("/api/v1/environments?type=general&limit=3")
check("a filtered page", s == 200 and [e["name"] for e in d["data"]] == ["ci", "gen0", "gen1"] and d["next_cursor"], d)

# ---- runs through the queue: the server's worker executes them
import time


def wait_run(rid, until, seconds=180):
    deadline = time.time() + seconds
    d = {}
    while time.time() < deadline:
        s, d = jcall(f"/api/v1/runs/{rid}")
        if s == 200 and d.get("status") in until:
            return d
        time.sleep(0.2)
    return d


s, d = jcall("/api/v1/jobs/nightly/runs", "POST", {"cause": "api test", "threads": 2, "git_sha": "abc123"})
check("POST a job's runs queues a run (201)", s == 201 and d.get("status") == "queued" and d.get("trigger") == "api test"
      and d.get("git_sha") == "abc123", d)
rid = d.get("id")
d = wait_run(rid, ("success", "error", "cancelled"))
check("the server's worker executes it", d.get("status") == "success", d)
s, d = jcall(f"/api/v1/runs/{rid}/steps")
check("... with the override on every step", [x["command"] for x in d.get("data", [])] ==
      ["silt seed --threads 2", "silt run --select stg_orders --threads 2"], d)
s, ctype, body = call(f"/api/v1/runs/{rid}/logs?step=2")
check("... and its logs", "stg_orders" in body.decode(), body[:300])
s, d = jcall(f"/api/v1/runs/{rid}/cancel", "POST")
check("cancelling a run that ended is a 409", is_error(s, d, 409, "conflict"), d)

# the logs of a run as Server-Sent Events, followed while it runs
s, d = jcall("/api/v1/jobs/nightly/runs", "POST", {})
eid = d.get("id")
conn = http.client.HTTPConnection(BASE.split("//")[1].split(":")[0], int(BASE.rsplit(":", 1)[1]), timeout=120)
conn.request("GET", f"/api/v1/runs/{eid}/logs/stream", headers={"Authorization": "Bearer " + ADMIN})
resp = conn.getresponse()
events, name = [], None
for raw in resp:
    line = raw.decode().rstrip("\n")
    if line.startswith("event: "):
        name = line[7:]
    elif line.startswith("data: "):
        events.append((name, json.loads(line[6:])))
conn.close()
kinds = [e[0] for e in events]
check("the stream is text/event-stream", resp.status == 200 and resp.getheader("Content-Type") == "text/event-stream", resp.status)
check("... with step, log and run events, ending with the run's", kinds and kinds[-1] == "run" and "step" in kinds and "log" in kinds, kinds)
logtext = "".join(e[1]["text"] for e in events if e[0] == "log")
check("... whose logs are the run's", "stg_orders" in logtext and "Completed successfully" in logtext, logtext[:200])
steps_seen = [(e[1]["position"], e[1]["status"]) for e in events if e[0] == "step"]
check("... and steps move from running to success", (1, "success") in steps_seen and (2, "success") in steps_seen
      and events[-1][1]["status"] == "success", steps_seen)
s, d = jcall("/api/v1/jobs/nojob/runs", "POST", {})
check("a run of an unknown job is a 404", is_error(s, d, 404), d)
s, d = jcall("/api/v1/jobs/nightly/runs", "POST", {"steps": ["rm -rf /"]})
check("a step that is not a silt command is a 400", is_error(s, d, 400, "invalid_field"), d)
s, d = jcall("/api/v1/jobs/nightly/runs", "POST", {"steps": []})
check("an empty step list is a 400", is_error(s, d, 400, "invalid_field"), d)

s, d = jcall("/api/v1/jobs/slowjob/runs", "POST", {})
sid = d.get("id")
d = wait_run(sid, ("running", "success", "error", "cancelled"))
t0 = time.time()
deadline = t0 + 60
while time.time() < deadline:  # until its first step is running
    s, st = jcall(f"/api/v1/runs/{sid}/steps")
    if st.get("data") and st["data"][0]["status"] == "running":
        break
    time.sleep(0.2)
live = ""
deadline = time.time() + 20
while time.time() < deadline and "START" not in live:  # the running step's lines arrive live
    s, ctype, body = call(f"/api/v1/runs/{sid}/logs?step=1")
    live = body.decode()
    time.sleep(0.2)
check("a running step's log lines are readable while it runs", "START" in live and "slow" in live, live[:300])
s, d = jcall(f"/api/v1/runs/{sid}/cancel", "POST")
check("POST cancel on a running run", s == 200 and d.get("status") == "cancelled"
      and d.get("message") == "cancelled through the API", d)
t1 = time.time()
deadline = t1 + 60
steps = []
while time.time() < deadline:  # the worker notices, stops the statement and ends the run
    s, st = jcall(f"/api/v1/runs/{sid}/steps")
    steps = [x["status"] for x in st.get("data", [])]
    s, d = jcall(f"/api/v1/runs/{sid}")
    if d.get("finished_at") and "running" not in steps and "queued" not in steps:
        break
    time.sleep(0.2)
check("its steps are cancelled", steps == ["cancelled", "cancelled"], steps)
s, d = jcall(f"/api/v1/runs/{sid}")
check("... and the run stays cancelled with the reason", d.get("status") == "cancelled"
      and d.get("message") == "cancelled through the API", d)

# the only worker is free again at once: the cancelled statement was stopped, not waited for
s, d = jcall("/api/v1/jobs/nightly/runs", "POST", {})
t2 = time.time()
d = wait_run(d.get("id"), ("success", "error", "cancelled"), 60)
check(f"the worker stopped the statement and takes the next run ({time.time() - t2:.1f}s)",
      d.get("status") == "success" and time.time() - t2 < 45, d)

# ---- environment variables and credentials
s, d = jcall("/api/v1/variables/DBT_REGION", "PUT", {"value": "eu"})
check("PUT a project-wide variable", s == 200 and d.get("scope") == "project", d)
s, d = jcall("/api/v1/environments/prod/variables/DBT_REGION", "PUT", {"value": "us"})
check("PUT an environment's value", s == 200 and d.get("scope") == "environment", d)
s, d = jcall("/api/v1/environments/prod/variables/DBT_ENV_SECRET_PW", "PUT", {"value": "hunter2"})
check("PUT a secret", s == 200, d)
s, d = jcall("/api/v1/environments/prod/variables/lower_case", "PUT", {"value": "x"})
check("a variable name dbt would not read is a 400", is_error(s, d, 400), d)
s, d = jcall("/api/v1/variables")
rows = {x["name"]: x for x in d.get("data", [])}
check("the matrix shows project and environment values", rows.get("DBT_REGION", {}).get("project") == "eu"
      and rows["DBT_REGION"]["environments"].get("prod") == "us", d)
check("... and a secret only masked", rows.get("DBT_ENV_SECRET_PW", {}).get("environments", {}).get("prod") == "*****", d)
s, d = jcall("/api/v1/environments/prod/variables")
check("an environment's variables", s == 200 and {x["name"] for x in d["data"]} >= {"DBT_REGION", "DBT_ENV_SECRET_PW"}, d)
s, d = jcall("/api/v1/variables/DBT_REGION", "DELETE")
check("DELETE a project-wide variable", s == 200 and d.get("deleted"), d)
s, d = jcall("/api/v1/environments/prod/credentials/password", "PUT", {"value": "pw-s3cr3t"})
check("PUT a credential", s == 200, d)
s, d = jcall("/api/v1/environments/prod/credentials")
check("credentials list keys only", s == 200 and d.get("keys") == ["password"], d)
s, d = jcall("/api/v1/environments/prod/credentials/password", "DELETE")
check("DELETE a credential", s == 200, d)
s, d = jcall("/api/v1/environments/prod/credentials", token=READ)
check("credentials need the admin scope", is_error(s, d, 403), d)
check("no response ever holds a secret value", not any(x in b for b in bodies for x in (b"hunter2", b"pw-s3cr3t")))

# ---- webhooks out through the API
s, d = jcall("/api/v1/webhook-subscriptions", "POST", {"name": "api_hook", "url": "http://127.0.0.1:9/x", "events": ["run.errored"], "secret": "zz-top"})
check("POST a webhook subscription", s == 201, d)
s, d = jcall("/api/v1/webhook-subscriptions", "POST", {"name": "api_hook", "url": "http://127.0.0.1:9/x", "events": ["run.errored"]})
check("... a second of that name is a 409", is_error(s, d, 409), d)
s, d = jcall("/api/v1/webhook-subscriptions", "POST", {"name": "h2", "url": "gopher://x", "events": ["run.errored"]})
check("... a bad address is a 400", is_error(s, d, 400), d)
s, d = jcall("/api/v1/webhook-subscriptions")
check("GET the subscriptions, signed but never the secret", s == 200 and d["data"][0]["signed"] and b"zz-top" not in bodies[-1], d)
s, d = jcall("/api/v1/webhook-subscriptions/api_hook/deliveries")
check("its delivery log", s == 200 and d.get("data") == [], d)
s, d = jcall("/api/v1/webhook-subscriptions/api_hook", "DELETE")
check("DELETE a subscription", s == 200, d)

# ---- discovery: what production has
s, d = jcall("/api/v1/environments/prod/state")
check("an environment's state counts its nodes", s == 200 and d.get("counts", {}).get("model", 0) >= 6
      and d.get("definition_run_id"), d)
s, d = jcall("/api/v1/environments/prod/nodes?resource_type=model&limit=500")
models = {n["unique_id"]: n for n in d.get("data", [])}
check("nodes lists the models", s == 200 and "model.shop.orders" in models and all(
    n["resource_type"] == "model" for n in models.values()), list(models)[:5])
o = models.get("model.shop.orders", {})
check("... with their last execution", (o.get("execution") or {}).get("last_status") == "success"
      and o["execution"].get("last_success_run_id"), o)
check("... relation, materialization and layer", o.get("relation_name") and o.get("materialized")
      and o.get("layer") == "marts", o)
s, d = jcall("/api/v1/environments/prod/nodes?layer=staging")
check("filtered by layer", s == 200 and sorted(n["name"] for n in d["data"]) == ["stg_customers", "stg_orders", "stg_payments"], d)
s, d = jcall("/api/v1/environments/prod/nodes?select=%2Borders&resource_type=model")
check("filtered by a selector (+orders)", s == 200 and "model.shop.stg_orders" in [n["unique_id"] for n in d["data"]]
      and "model.shop.customers" not in [n["unique_id"] for n in d["data"]], d)
s, d = jcall("/api/v1/environments/prod/nodes?search=orders&resource_type=model&search_in=name,description")
check("searched by name", s == 200 and all("orders" in n["unique_id"] or "orders" in (n.get("description") or "").lower() for n in d["data"]) and d["data"], d)
s, d = jcall("/api/v1/environments/prod/nodes?search=LIFETIME")
hit = {n["unique_id"]: n.get("matched") for n in d.get("data", [])}
check("search finds a column by its name (any case), saying so", s == 200 and
      "column:customer_lifetime_value" in (hit.get("model.shop.customers") or []), hit)
s, d = jcall("/api/v1/environments/prod/nodes?search=paid%20over%20every")
check("... and by its description", [n["unique_id"] for n in d.get("data", [])] == ["model.shop.customers"]
      and d["data"][0]["matched"] == ["column:customer_lifetime_value"], d)
s, d = jcall("/api/v1/environments/prod/nodes?search=coalesce&search_in=sql")
hit = {n["unique_id"]: n.get("matched") for n in d.get("data", [])}
check("search in the SQL, with the line that matched", s == 200 and "model.shop.large_orders" in hit and
      any(m.startswith("sql:") and "coalesce(max(order_date)" in m for m in hit["model.shop.large_orders"])
      and "model.shop.stg_orders" not in hit, hit)
s, d = jcall("/api/v1/environments/prod/nodes?search=marts&resource_type=model")
hit = {n["unique_id"]: n.get("matched") for n in d.get("data", [])}
check("search finds a tag", s == 200 and hit.get("model.shop.orders") == ["tag:marts"], hit)
s, d = jcall("/api/v1/environments/prod/nodes?search=coalesce&search_in=name,columns")
check("... only where search_in says", s == 200 and d.get("data") == [], d)
s, d = jcall("/api/v1/environments/prod/nodes?search=x&search_in=body")
check("an unknown search_in is a 400 naming the choices", is_error(s, d, 400, "bad_search_in") and "columns" in d["error"]["message"], d)
s, d = jcall("/api/v1/environments/prod/nodes/model.shop.orders")
check("one node: definition, parents, children, applied relation", s == 200 and "raw_code" in d.get("definition", {})
      and d.get("parents") and (d.get("applied_relation") or {}).get("identifier"), str(d)[:300])
s, d = jcall("/api/v1/environments/prod/nodes/model.shop.customers")
check("a description's {{ doc() }} is rendered (by silt parse)", s == 200 and (d.get("description") or "").startswith(
      "One row per customer") and "{{" not in d["description"], d.get("description"))
s, d = jcall("/api/v1/environments/prod/nodes/model.shop.nope")
check("an unknown node is a 404", is_error(s, d, 404), d)
s, d = jcall("/api/v1/environments/prod/nodes/model.shop.orders/history")
check("a node's history in the environment", s == 200 and d.get("data") and d["data"][0]["status"] == "success", d)
s, d = jcall("/api/v1/environments/prod/lineage?select=%2Borders")
ln = [n["unique_id"] for n in d.get("nodes", [])]
check("lineage of +orders", s == 200 and "model.shop.orders" in ln and "model.shop.stg_orders" in ln
      and "model.shop.customers" not in ln and not any(x.startswith("test.") for x in ln), ln)
check("... with its edges", ["model.shop.stg_orders", "model.shop.orders"] in d.get("edges", [])
      or any(e[1] == "model.shop.orders" for e in d.get("edges", [])), d.get("edges"))
s, d = jcall("/api/v1/environments/prod/lineage")
check("the whole lineage", s == 200 and len(d.get("nodes", [])) > len(ln), len(d.get("nodes", [])))
s, d = jcall("/api/v1/environments/prod/lineage?focus=model.shop.orders&depth=1")
ln = sorted(n["unique_id"] for n in d.get("nodes", []))
check("lineage around a focus, 1 step: the node, its parents and children", s == 200 and ln == sorted(
      ["model.shop.orders", "model.shop.stg_orders", "model.shop.int_order_payments", "model.shop.customers", "model.shop.large_orders"])
      and d.get("focus") == {"unique_id": "model.shop.orders", "depth": 1, "total": 5}, d)
s, d = jcall("/api/v1/environments/prod/lineage?focus=model.shop.orders&dir=upstream&depth=5")
ln = [n["unique_id"] for n in d.get("nodes", [])]
check("... upstream only, as deep as asked", s == 200 and "seed.shop.raw_payments" in ln and "model.shop.customers" not in ln
      and d["focus"]["depth"] == 5, d)
s, d = jcall("/api/v1/environments/prod/lineage?focus=model.shop.orders&depth=3&max=4")
check("... at most max nodes: less deep, then the nearest", s == 200 and len(d.get("nodes", [])) == 4
      and d["focus"]["depth"] == 1 and d["focus"]["total"] == 5, d)
s, d = jcall("/api/v1/environments/prod/lineage?focus=model.shop.orders&dir=sideways")
check("... a bad dir is a 400", is_error(s, d, 400, "bad_dir"), d)
s, d = jcall("/api/v1/environments/prod/lineage?focus=model.shop.nope")
check("... an unknown focus is a 404", is_error(s, d, 404), d)
s, d = jcall("/api/v1/environments/prod/lineage?select=taag:x")
check("a bad selector is a 400", is_error(s, d, 400, "bad_selector"), d)
s, d = jcall("/api/v1/environments/prod/changes?days=1")
check("what production deployed today", s == 200 and "model.shop.orders" in [x["unique_id"] for x in d.get("data", [])], d)

# ---- compare: a pull request's CI run against production
s, d = jcall("/api/v1/environments/ci/compare")
ids = lambda k: [x["unique_id"] for x in d.get(k, [])]
check("compare: the CI environment's newest PR run against production", s == 200 and d["head"]["source"] == "ci_run"
      and d["head"]["pr"] == "5" and d["head"]["git_sha"] == "5a5a5a5a" and d["base"]["environment"] == "prod", d)
# (production has the model `slow` too by now: the slowjob above built it after the PR branched)
check("... modified, new and removed, by digest", ids("modified") == ["model.shop.stg_customers"] and ids("new") == ["model.shop.order_totals"]
      and ids("removed") == ["model.shop.large_orders", "model.shop.slow"] and d["counts"] == {"modified": 1, "new": 1, "removed": 2}, d)
check("... the modified one for its own definition", d["modified"][0].get("reason") == "definition", d["modified"])
gn = {n["unique_id"]: n.get("change") for n in d.get("nodes", [])}
check("... with the graph around them: changes marked, parents and children plain",
      gn.get("model.shop.stg_customers") == "modified" and gn.get("model.shop.large_orders") == "removed"
      and "model.shop.customers" in gn and gn["model.shop.customers"] is None and "model.shop.stg_payments" not in gn, gn)
check("... and their edges (a removed node's from production)", ["model.shop.orders", "model.shop.large_orders"] in d.get("edges", [])
      and ["model.shop.orders", "model.shop.order_totals"] in d.get("edges", []), d.get("edges"))
s, d = jcall("/api/v1/environments/ci/compare?pr=5&tests=1")
check("... with tests: the removed model's tests are removed too", s == 200 and
      any(x.startswith("test.shop.unique_large_orders") for x in ids("removed")), ids("removed"))
s, d = jcall("/api/v1/environments/prod/compare?base=prod")
check("production against itself: nothing differs", s == 200 and d["counts"] == {"modified": 0, "new": 0, "removed": 0}, d.get("counts"))
s, d = jcall("/api/v1/environments/ci/compare?pr=99")
check("a PR without a CI run is a 404 saying so", is_error(s, d, 404) and "pull request 99" in d["error"]["message"], d)
s, d = jcall("/api/v1/environments/ci/compare?run=1")
check("a run of another environment is a 400", is_error(s, d, 400, "bad_run"), d)
s, d = jcall("/api/v1/environments/ci/compare?base=nope")
check("an unknown base is a 404", is_error(s, d, 404), d)

s, d = jcall("/api/v1/environments/stg/nodes")
check("an environment with no state yet is a 404 saying so", is_error(s, d, 404) and "no definition state" in d["error"]["message"], d)

# ---- service tokens and scopes
s, d = jcall("/api/v1/runs", token="")
check("no token: 401", is_error(s, d, 401, "unauthorized") and "silt token create" in d["error"]["message"], d)
s, d = jcall("/api/v1/health", token="")
check("health needs no token", s == 200, d)
s, d = jcall("/api/openapi.json", token="")
check("nor does the OpenAPI document", s == 200 and "token" in d.get("components", {}).get("securitySchemes", {}), str(d)[:200])
s, d = jcall("/api/v1/runs", token="slt_" + "0" * 48)
check("an unknown token: 401", is_error(s, d, 401, "unauthorized"), d)
s, d = jcall("/api/v1/runs", token=REVOKED)
check("a revoked token: 401 saying so", is_error(s, d, 401) and "revoked" in d["error"]["message"], d)
s, d = jcall("/api/v1/runs", token=READ)
check("a metadata:read token reads", s == 200, d)
s, d = jcall("/api/v1/environments", "POST", {"name": "nope", "type": "general"}, token=READ)
check("... but cannot write: 403 naming the scope", is_error(s, d, 403, "forbidden") and "admin" in d["error"]["message"], d)
s, d = jcall("/api/v1/jobs/nightly/runs", "POST", {}, token=READ)
check("... nor run jobs", is_error(s, d, 403), d)
s, d = jcall("/api/v1/runs/1", token=RUNNER)
check("a job:run token reads", s == 200, d)
s, d = jcall("/api/v1/environments/prod", "DELETE", token=RUNNER)
check("... but is no admin", is_error(s, d, 403), d)
s, d = jcall("/api/v1/environments", token=READ)
check("... and the environment is still there", "prod" in [e["name"] for e in d.get("data", [])], d)
check("no response ever holds a token", not any(t.encode() in b for b in bodies for t in (ADMIN, READ, RUNNER, REVOKED)))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
