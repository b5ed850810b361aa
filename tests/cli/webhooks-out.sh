#!/bin/sh
# Webhooks out through a real silt serve to a receiver on loopback: a run's start and end are
# POSTed with the run's details, signed with X-Silt-Signature-256 (HMAC-SHA256 of the body);
# a receiver that fails is retried with back-off until it answers 2xx; an address that never
# answers ends failed after its attempts; the delivery log says what happened.
. "$(dirname "$0")/lib/common.sh" "$1"
need_pg_store
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db* "$t/shop/.silt"
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
SILT_STORE=$(store_new store)
export HOME=$t/home SILT_STORE
unset DBT_PROJECT_DIR DBT_TARGET
cd "$t/shop" || exit 1
# wq SQL: the first column of the store's rows, joined by spaces (on either database)
wq() { sq "$SILT_STORE" "$1" | cut -d '|' -f 1 | tr '\n' ' ' | sed 's/ $//'; }

# the receiver: answers 500 to its first request, then 200; records every request
/usr/bin/python3 - "$t/received.jsonl" "$t/receiver.port" <<'PY' &
import hashlib, hmac, http.server, json, sys, threading
out, portfile = sys.argv[1:3]
seen = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        seen[0] += 1
        good = "sha256=" + hmac.new(b"whsec", body, hashlib.sha256).hexdigest()
        with open(out, "a") as f:
            f.write(json.dumps({"n": seen[0], "event": self.headers.get("X-Silt-Event"),
                                "signed_ok": self.headers.get("X-Silt-Signature-256") == good,
                                "body": json.loads(body)}) + "\n")
        self.send_response(500 if seen[0] == 1 else 200)
        self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(srv.server_port))
threading.Timer(120, srv.shutdown).start()
srv.serve_forever()
PY
recv=$!
i=0
while [ $i -lt 50 ] && [ ! -s "$t/receiver.port" ]; do sleep 0.1; i=$((i + 1)); done
rport=$(cat "$t/receiver.port")

silt env create prod --type production > /dev/null 2>&1
silt job create nightly --env prod --step "silt seed" > /dev/null 2>&1
silt webhook create ops --url "http://127.0.0.1:$rport/hook" --event run.started --event run.completed --secret whsec > "$t/out" 2>&1
check "silt webhook create" grep -q "Created webhook 'ops'" "$t/out"
silt webhook create dead --url "http://127.0.0.1:9/nothing" --event run.completed > /dev/null 2>&1
silt webhook create bad --url "ftp://x" --event run.completed > "$t/out" 2>&1
check "a non-HTTP address is refused" grep -q "expected an http:// or https:// address" "$t/out"
silt webhook create bad --url "http://x" --event run.finished > "$t/out" 2>&1
check "an unknown event is refused" grep -q "expected run.started, run.completed or run.errored" "$t/out"
silt webhook list > "$t/out" 2>&1
check "silt webhook list never shows the secret" test "$(grep -c whsec "$t/out")" = 0

silt job run nightly > /dev/null 2>&1
run=$(wq "select max(id) from run")
check "a run queues deliveries in its transaction" test "$(wq "select count(*) from webhook_delivery where run_id = $run")" = 3

"$SILT" serve --port 0 > "$t/serve.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 300 ] && [ "$(wq "select count(*) from webhook_delivery w join webhook h on h.id = w.webhook_id where h.name = 'ops' and w.status = 'delivered'")" != 2 ]; do sleep 0.1; i=$((i + 1)); done
check "the server delivers both events to the receiver" test "$(wq "select count(*) from webhook_delivery w join webhook h on h.id = w.webhook_id where h.name = 'ops' and w.status = 'delivered'")" = 2
check "... after retrying the one the receiver failed" test "$(wq "select max(attempts) from webhook_delivery w join webhook h on h.id = w.webhook_id where h.name = 'ops'")" = 2
check "every request is signed with the secret" /usr/bin/python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows and all(r['signed_ok'] for r in rows), rows
ev = sorted(r['event'] for r in rows if r['n'] > 1) + [rows[0]['event']]
assert sorted(ev) == ['run.completed', 'run.started', 'run.started'] or sorted(ev) == ['run.completed', 'run.completed', 'run.started'], ev
done = [r for r in rows if r['event'] == 'run.completed'][-1]['body']
assert done['run']['id'] == int(sys.argv[2]) and done['run']['status'] == 'success' and done['run']['job'] == 'nightly', done
" "$t/received.jsonl" "$run"
silt webhook deliveries ops > "$t/out" 2>&1
check "the delivery log shows them delivered" test "$(grep -c " delivered " "$t/out")" = 2
check "the unreachable address is being retried" test "$(wq "select status from webhook_delivery w join webhook h on h.id = w.webhook_id where h.name = 'dead'")" = pending
check "... with its error kept" grep -q "cannot connect" "$t/serve.out"
kill -TERM $pid
wait $pid
check "the server stops cleanly" test $? -eq 0
kill $recv 2>/dev/null
wait $recv 2>/dev/null
finish
