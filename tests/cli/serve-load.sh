#!/bin/sh
# The discovery API under load: 50 concurrent clients read production's nodes, lineage and runs
# for 30 seconds over real HTTP while the server's worker executes job runs that ingest into the
# same store. No request may fail; p50/p99 latency and throughput are reported.
. "$(dirname "$0")/lib/common.sh" "$1"
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db* "$t/shop/.silt"
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
export HOME=$t/home SILT_STORE=$t/store.db
unset DBT_PROJECT_DIR DBT_TARGET
cd "$t/shop" || exit 1
silt env create prod --type production > /dev/null 2>&1
silt build --env prod > "$t/build.out" 2>&1
check "production is built" grep -q "Completed successfully" "$t/build.out"
silt job create nightly --env prod --step "silt build --select +orders" > /dev/null 2>&1
token=$(silt token create load --scope job:run | grep '^slt_')
"$SILT" serve --port 0 --threads 4 > "$t/serve.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "listening on" "$t/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$t/serve.out" | head -n 1)
/usr/bin/python3 - "$url" "$token" 30 > "$t/load.out" 2>&1 <<'PY'
import http.client, json, sys, threading, time
url, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
host, port = url.split("//")[1].split(":")
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
paths = ["/api/v1/environments/prod/nodes/model.shop.orders", "/api/v1/environments/prod/nodes?resource_type=model",
         "/api/v1/environments/prod/lineage?select=%2Borders", "/api/v1/environments/prod/lineage",
         "/api/v1/runs?limit=5", "/api/v1/environments/prod/nodes/model.shop.customers/history"]
lat, fails, lock, stop = [], [], threading.Lock(), time.monotonic() + seconds
def client(k):
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    mine, i = [], k
    while time.monotonic() < stop:
        p = paths[i % len(paths)]; i += 1
        t0 = time.perf_counter()
        try:
            c.request("GET", p, headers=H); r = c.getresponse(); r.read(); ok = r.status == 200
        except Exception as e:
            ok = False; c = http.client.HTTPConnection(host, int(port), timeout=60)
        mine.append(time.perf_counter() - t0)
        if not ok:
            with lock: fails.append(p)
    with lock: lat.extend(mine)
def trigger():  # runs execute and ingest while the clients read
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    n = 0
    while time.monotonic() < stop - 5:
        c.request("POST", "/api/v1/jobs/nightly/runs", body="{}", headers=H); c.getresponse().read()
        n += 1
        time.sleep(4)
    print("triggered", n)
ts = [threading.Thread(target=client, args=(k,)) for k in range(50)] + [threading.Thread(target=trigger)]
t0 = time.monotonic()
for t in ts: t.start()
for t in ts: t.join()
wall = time.monotonic() - t0
lat.sort()
print(f"requests {len(lat)} failed {len(fails)} rate {len(lat) / wall:.0f}/s p50 {lat[len(lat) // 2] * 1e3:.1f} ms p99 {lat[int(len(lat) * 0.99)] * 1e3:.1f} ms")
print("failures", fails[:5])
PY
cat "$t/load.out"
check "50 clients for 30 s: every request answered 200" grep -q "failed 0 " "$t/load.out"
check "... and they made thousands of requests" test "$(sed -n 's/^requests \([0-9]*\) .*/\1/p' "$t/load.out")" -ge 1000
i=0
while [ $i -lt 600 ] && [ "$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from run where status in ('queued','running')\").fetchone()[0])" "$SILT_STORE")" != 0 ]; do sleep 0.2; i=$((i + 1)); done
done_runs=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from run where job_name = 'nightly' and status = 'success'\").fetchone()[0])" "$SILT_STORE")
check "runs executed and ingested meanwhile ($done_runs)" test "$done_runs" -ge 2
kill -TERM $pid
wait $pid
check "the server stops cleanly" test $? -eq 0
finish
