#!/usr/bin/env python3
"""`make bench`, API part (issue 6): discovery API latency on a 10,000-model environment and
throughput under 50 concurrent clients, over real HTTP on loopback.

The production environment is filled by `silt ingest` of the 10,000-model project's manifest
(scripts/gen-bench-project.py, build/bench-10000) with one success per model. `silt serve`
(no workers, no scheduler, reads without a token) then answers, each client on a keep-alive
connection:
  - a single-model query, GET /api/v1/environments/prod/nodes/<id> (1000 times, ids cycling);
  - a full lineage query, GET /api/v1/environments/prod/lineage (30 times);
  - 50 clients for 10 s mixing single-node, node-page and +model lineage queries.
Reports p50/p99 of each and the load's throughput and failures. Targets: single-model p99
<= 5 ms, full lineage p99 <= 100 ms.

usage: bench-serve.py SILT BUILD_DIR [SECONDS]
"""
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

silt, build = os.path.abspath(sys.argv[1]), sys.argv[2]
load_seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
here = os.path.dirname(os.path.abspath(__file__))
proj = os.path.join(build, "bench-10000")
if not os.path.isdir(proj):
    subprocess.run([sys.executable, os.path.join(here, "gen-bench-project.py"), proj, "10000"], check=True)

tmp = tempfile.mkdtemp(prefix="silt-bench-serve-")
server = None
try:
    target = os.path.join(tmp, "target")
    subprocess.run([silt, "parse", "--project-dir", proj, "--profiles-dir", proj, "--target-path", target],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(target, "manifest.json")) as f:
        manifest = json.load(f)
    now = manifest["metadata"]["generated_at"]
    models = [u for u, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    results = [{"status": "success", "timing": [], "thread_id": "Thread-1", "execution_time": 0.01,
                "adapter_response": {}, "message": "OK", "failures": None, "unique_id": u}
               for u in models]
    with open(os.path.join(target, "run_results.json"), "w") as f:
        json.dump({"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
                                "generated_at": now}, "results": results, "elapsed_time": 1.0, "args": {}}, f)
    env = dict(os.environ, SILT_STORE=os.path.join(tmp, "silt.db"), SILT_STORE_KEY="ab" * 32, HOME=tmp)
    subprocess.run([silt, "env", "create", "prod", "--type", "production"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run([silt, "ingest", "--env", "prod", target], check=True, env=env, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([silt, "serve", "--port", "0", "--read-without-token", "--workers", "0",
                               "--no-scheduler", "--threads", "4"], env=env, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    port = int(line.split("http://127.0.0.1:")[1].split(" ")[0].split("/")[0])

    def get(conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        return r.status, body

    def pct(v, p):
        v = sorted(v)
        return v[min(len(v) - 1, int(p * len(v)))]

    conn = http.client.HTTPConnection("127.0.0.1", port)
    s, _ = get(conn, "/api/v1/environments/prod/lineage")  # loads the definition state
    assert s == 200, s
    single = []
    for i in range(1000):
        t0 = time.perf_counter()
        s, _ = get(conn, "/api/v1/environments/prod/nodes/" + models[i % len(models)])
        single.append(time.perf_counter() - t0)
        assert s == 200, s
    lineage = []
    size = 0
    for i in range(30):
        t0 = time.perf_counter()
        s, body = get(conn, "/api/v1/environments/prod/lineage")
        lineage.append(time.perf_counter() - t0)
        size = len(body)
        assert s == 200, s
    conn.close()
    print(f"discovery API, 10000 models: single-model query p50 {pct(single, 0.5) * 1e3:.2f} ms, "
          f"p99 {pct(single, 0.99) * 1e3:.2f} ms (target <= 5 ms)")
    print(f"discovery API, 10000 models: full lineage ({size / 1e6:.1f} MB) p50 "
          f"{pct(lineage, 0.5) * 1e3:.1f} ms, p99 {pct(lineage, 0.99) * 1e3:.1f} ms (target <= 100 ms)")

    lat, fails, lock = [], [0], threading.Lock()
    stop = time.monotonic() + load_seconds

    def client(k):
        rnd = random.Random(k)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            m = rnd.choice(models)
            path = rnd.choice(["/api/v1/environments/prod/nodes/" + m,
                               "/api/v1/environments/prod/nodes?resource_type=model&limit=50",
                               "/api/v1/environments/prod/lineage?select=%2B" + m.split(".")[-1]])
            t0 = time.perf_counter()
            try:
                s, _ = get(c, path)
                ok = s == 200
            except Exception:
                ok = False
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    fails[0] += 1
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(50)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    print(f"discovery API under 50 clients for {load_seconds:.0f} s: {len(lat) / wall:.0f} requests/s, "
          f"p50 {pct(lat, 0.5) * 1e3:.1f} ms, p99 {pct(lat, 0.99) * 1e3:.1f} ms, {fails[0]} failed")
finally:
    if server:
        server.terminate()
        server.wait()
    shutil.rmtree(tmp, ignore_errors=True)
