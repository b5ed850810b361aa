#!/usr/bin/env python3
"""`make bench`, project part: generates synthetic projects of 2,000 and 10,000 models
(scripts/gen-bench-project.py) and reports, best of three runs each, wall time, CPU time and
peak RSS of a cold `silt parse` (target/manifest.json) and of a full `silt compile`
(target/compiled/ and target/manifest.json; target/ is kept between runs), then the start-up time of `silt --version` (best
of 30). Targets (issue 3, on a 2-core machine): 10k parse <= 0.3 s, 10k compile <= 0.6 s, peak
RSS <= 150 MB, start-up <= 5 ms.

usage: bench-parse.py SILT BUILD_DIR
"""
import os
import shutil
import subprocess
import sys
import time

silt, build = os.path.abspath(sys.argv[1]), sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
devnull = os.open(os.devnull, os.O_WRONLY)


def run(argv):
    """(wall s, CPU s, peak RSS MB) of one run of argv, stdout discarded."""
    t0 = time.monotonic()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    if status != 0:
        sys.exit(f"failed: {' '.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def best(argv, times):
    b = None
    for _ in range(times):
        r = run(argv)
        b = r if b is None or r[0] < b[0] else b
    return b


for n in (2000, 10000):
    proj = os.path.join(build, f"bench-{n}")
    stamp = os.path.join(proj, ".generator")
    gen = os.path.join(here, "gen-bench-project.py")
    # regenerate when the generator changed since the project was written
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < os.path.getmtime(gen):
        shutil.rmtree(proj, ignore_errors=True)
        subprocess.run([sys.executable, gen, proj, str(n)], check=True)
        open(stamp, "w").close()
    flags = ["--project-dir", proj, "--profiles-dir", proj]
    # target/ is left from the previous run, as between two commands of a session: deleting
    # it would time the file system (this one discards freed blocks) more than silt
    for cmd in ("parse", "compile"):
        w, c, m = best([silt, cmd] + flags, 3)
        print(f"{cmd:<7} {n:>6} models: {w:.2f} s wall, {c:.2f} s CPU, {m:.0f} MB peak RSS")
w, c, m = best([silt, "--version"], 30)
print(f"start-up (silt --version): {w * 1000:.1f} ms wall, {m:.0f} MB peak RSS")
