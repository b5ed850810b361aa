#!/usr/bin/env python3
"""`make bench`, project part: generates synthetic projects of 2,000 and 10,000 models
(scripts/gen-bench-project.py) and reports `silt parse` wall time, CPU time and peak RSS for
each, best of three runs.

usage: bench-parse.py SILT BUILD_DIR
"""
import os
import resource
import subprocess
import sys
import time

silt, build = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
for n in (2000, 10000):
    proj = os.path.join(build, f"bench-{n}")
    if not os.path.exists(os.path.join(proj, "dbt_project.yml")):
        subprocess.run([sys.executable, os.path.join(here, "gen-bench-project.py"), proj, str(n)], check=True)
    best = None
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.execv(silt, [silt, "parse", "--project-dir", proj, "--profiles-dir", proj])
        _, status, usage = os.wait4(pid, 0)
        wall = time.monotonic() - t0
        if status != 0:
            sys.exit(f"silt parse failed on {proj}")
        run = (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
        best = run if best is None or run[0] < best[0] else best
    print(f"parse {n:>6} models: {best[0]:.2f} s wall, {best[1]:.2f} s CPU, {best[2]:.0f} MB peak RSS")
