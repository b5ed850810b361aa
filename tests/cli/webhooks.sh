#!/bin/sh
# Git-triggered runs end to end on a local git repository, through a real silt serve and its
# worker: a signed push to main runs the production merge job in a checkout of that commit; a
# pull request that changes one model runs the CI job, which builds only state:modified+ into
# the PR's schema, deferring the rest to production; closing the pull request drops that
# schema; the CI run's commit status (pending, then success) is posted to the git host's
# endpoint. Forged or missing signatures are refused and queue nothing.
. "$(dirname "$0")/lib/common.sh" "$1"
need_pg_store
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
SILT_STORE=$(store_new store)
export HOME=$t/home SILT_STORE WH_DB=$t/warehouse.db
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
unset DBT_PROJECT_DIR DBT_TARGET
# wq DB SQL: the first column of the rows, joined by spaces (the store on either database)
wq() {
	case $1 in
	postgres://*) sq "$1" "$2" | cut -d '|' -f 1 | tr '\n' ' ' | sed 's/ $//' ;;
	*) /usr/bin/python3 -c "import sqlite3,sys; print(' '.join(str(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()))" "$1" "$2" ;;
	esac
}

# the project's repository
R=$t/repo
mkdir -p "$R/models"
cd "$R" || exit 1
git init -q -b main .
printf 'name: hooks\nversion: "1.0"\nprofile: hooks\nmodels:\n  hooks:\n    +materialized: table\n' > dbt_project.yml
printf "hooks:\n  target: prod\n  outputs:\n    prod: {type: sqlite, path: \"{{ env_var('WH_DB') }}\", schema: prod}\n" > profiles.yml
echo "select 1 as id" > models/a.sql
echo "select id, 'v1' as v from {{ ref('a') }}" > models/b.sql
echo "select * from {{ ref('b') }}" > models/c.sql
echo "select 2 as id" > models/d.sql
git add . && git commit -q -m one
main1=$(git rev-parse HEAD)
git checkout -q -b feature
echo "select id, 'v2' as v from {{ ref('a') }}" > models/b.sql
git commit -q -am "change b"
pr_sha=$(git rev-parse HEAD)
git checkout -q main

cd "$t" || exit 1
silt env create prod --type production --branch main > /dev/null
silt env create ci --type general --branch main > /dev/null
silt job create deploy --env prod --type merge --step "silt build" > /dev/null
silt job create pr_check --env ci --type ci --step "silt ci run" > "$t/out" 2>&1
check "jobs take a --type" grep -q "Created job 'pr_check'" "$t/out"
silt repo set "$R" --webhook-secret s3cret > "$t/out" 2>&1
check "silt repo set keeps the repository and the secret" grep -q "webhook secret set" "$t/out"
silt repo show > "$t/out" 2>&1
check "silt repo show never prints the secret" test "$(grep -c s3cret "$t/out")" = 0
jid=$(wq "$SILT_STORE" "select id from job where name = 'pr_check'")

# a git host's commit-status endpoint, recording what it is sent
/usr/bin/python3 - "$t/statuses.jsonl" "$t/status.port" <<'PY' &
import http.server, json, sys, threading
out, portfile = sys.argv[1:3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                "body": json.loads(body)}) + "\n")
        self.send_response(201)
        self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(srv.server_port))
threading.Timer(300, srv.shutdown).start()
srv.serve_forever()
PY
sp=$!
i=0
while [ $i -lt 50 ] && [ ! -s "$t/status.port" ]; do sleep 0.1; i=$((i + 1)); done
silt webhook create gh --format commit-status --url "http://127.0.0.1:$(cat "$t/status.port")/repos/o/r/statuses/{sha}" \
	--event run.started --event run.completed --secret ghtoken > /dev/null 2>&1
"$SILT" serve --port 0 > "$t/serve.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "listening on" "$t/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$t/serve.out" | head -n 1)

# hook EVENT BODY [SECRET]: posts a signed GitHub event, prints the HTTP status and body
hook() {
	/usr/bin/python3 - "$url" "$1" "$2" "${3:-s3cret}" <<'PY'
import hashlib, hmac, sys, urllib.request, urllib.error
url, event, body, secret = sys.argv[1:5]
sig = "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(url + "/api/v1/webhooks/github", data=body.encode(), method="POST",
                             headers={"X-GitHub-Event": event, "X-Hub-Signature-256": sig,
                                      "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        print(r.status, r.read().decode().replace("\n", " "))
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().replace("\n", " "))
PY
}
# wait_run ID: until the run has ended; prints its status
wait_run() {
	i=0
	while [ $i -lt 600 ]; do
		st=$(wq "$SILT_STORE" "select status from run where id = $1")
		case $st in success | error | cancelled) echo "$st"; return;; esac
		sleep 0.2
		i=$((i + 1))
	done
	echo "timeout:$st"
}
ids() { echo "$1" | sed -n 's/.*"queued": \[\([0-9, ]*\)\].*/\1/p' | tr -d ' '; }

out=$(hook ping '{"zen": "hi"}')
check "a ping is accepted and ignored" test "${out%% *}" = 202
out=$(hook push "{\"ref\": \"refs/heads/main\", \"after\": \"$main1\"}" wrong)
check "a forged signature is a 401" test "${out%% *}" = 401
check "... and queues nothing" test "$(wq "$SILT_STORE" "select count(*) from run")" = 0

out=$(hook push "{\"ref\": \"refs/heads/main\", \"after\": \"$main1\"}")
check "a push to main is accepted ($out)" test "${out%% *}" = 202
run=$(ids "$out")
check "... and queues the merge job" test "$(wq "$SILT_STORE" "select job_name || ' ' || trigger from run where id = ${run:-0}")" = "deploy push"
check "the worker deploys it" test "$(wait_run "${run:-0}")" = success
check "... from a checkout of the pushed commit" test "$(wq "$SILT_STORE" "select git_sha from run where id = ${run:-0}")" = "$main1"
check "... into production" test "$(wq "$WH_DB" "select v from prod__b")" = v1
check "... and the checkout is removed afterwards" test ! -e "$t/checkouts/run-$run"

out=$(hook pull_request "{\"action\": \"opened\", \"number\": 7, \"pull_request\": {\"head\": {\"sha\": \"$pr_sha\", \"ref\": \"feature\"}, \"base\": {\"ref\": \"main\"}}}")
check "an opened pull request is accepted ($out)" test "${out%% *}" = 202
run=$(ids "$out")
check "... and queues the CI job" test "$(wq "$SILT_STORE" "select job_name || ' ' || is_ci || ' ' || pr_id from run where id = ${run:-0}")" = "pr_check 1 7"
check "the CI run succeeds" test "$(wait_run "${run:-0}")" = success
check "... on the pull request's commit" test "$(wq "$SILT_STORE" "select git_sha from run where id = ${run:-0}")" = "$pr_sha"
tables=$(wq "$WH_DB" "select name from sqlite_master where name like 'silt_pr_${jid}_7__%' order by name")
check "it builds only state:modified+ (b and c) into the PR's schema (got '$tables')" \
	test "$tables" = "silt_pr_${jid}_7__b silt_pr_${jid}_7__c"
check "... reading production's a" test "$(wq "$WH_DB" "select v from silt_pr_${jid}_7__b")" = v2
check "production is untouched" test "$(wq "$WH_DB" "select v from prod__b")" = v1
check "the CI run did not change production's applied state" \
	test "$(wq "$SILT_STORE" "select count(*) from node_applied where last_run_id = ${run:-0}")" = 0

i=0
while [ $i -lt 100 ] && [ "$(grep -c '"success"' "$t/statuses.jsonl" 2>/dev/null)" != 1 ]; do sleep 0.1; i=$((i + 1)); done
check "the CI run's commit status is posted: pending, then success" /usr/bin/python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r['body']['state'] for r in rows] == ['pending', 'success'], rows
assert all(r['path'] == '/repos/o/r/statuses/' + sys.argv[2] and r['auth'] == 'Bearer ghtoken'
           and r['body']['context'] == 'silt/pr_check' for r in rows), rows
" "$t/statuses.jsonl" "$pr_sha"

out=$(hook pull_request "{\"action\": \"closed\", \"number\": 7, \"pull_request\": {\"head\": {\"sha\": \"$pr_sha\", \"ref\": \"feature\"}, \"base\": {\"ref\": \"main\"}}}")
run=$(ids "$out")
check "a closed pull request queues its cleanup" test "$(wq "$SILT_STORE" "select trigger from run where id = ${run:-0}")" = pull_request_closed
check "the cleanup succeeds" test "$(wait_run "${run:-0}")" = success
check "... and the PR's schema is gone" test "$(wq "$WH_DB" "select count(*) from sqlite_master where name like 'silt_pr_%'")" = 0
check "... and production stays" test "$(wq "$WH_DB" "select v from prod__b")" = v1

out=$(hook pull_request '{"action": "opened", "number": 8}')
check "a pull request event without its commit is a 400" test "${out%% *}" = 400
out=$(hook push '{"ref": "refs/heads/other", "after": "0123"}')
check "a push to a branch no environment follows queues nothing" test "$(ids "$out")" = ""

kill -TERM $pid
wait $pid
check "the server stops cleanly" test $? -eq 0
kill $sp 2>/dev/null
wait $sp 2>/dev/null
finish
