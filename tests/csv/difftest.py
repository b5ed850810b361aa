#!/usr/bin/python3
"""Differential test: random seeds, expectations from oracle.py (Python csv + agate), checked by
`silt selftest csv` on a temporary folder. Not part of `make check`.

Usage: difftest.py SILT [N] [SEED]     e.g. tests/csv/difftest.py build/asan/silt 2000
Failing cases are kept in the printed folder."""
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

ATOMS = ["", "1", "-2", "007", "1.5", "1,234", "$5", "-$3", "€1", "5%", "1e5", "1E-3", "NaN", "inf",
         "-0", "+7", "1_0", ".5", "5.", "null", "NULL", " null ", "na", "true", "False", " TRUE ",
         "t,rue", "yes", "0", "2024-01-31", "2024-1-5", "2024-02-30", "2024-01-31 10:20:30",
         "2024-01-31  1:2:3", "2024-01-31T10:20:30Z", "2024-01-31T10:20:30+05:30",
         "20240131T1020", "2024-W05-3T00", "2024-032T12", "2024T10.5", "2024-01-31T10:20.25",
         "2024-01-31T10:20:30.9999999", "2024-01-31T10:20:59.9999996", "T", "1999-12-31T23:59:59-08",
         "x", "hello world", "a\"b", "Zoë", "12345678901234567890123456789", "9223372036854775808",
         "0.000000000000000000000000000001", "1e-7", "1.10", "99.990", "2024-00T00", "20T00",
         "\u00a05\u3000", "\u2007", "\u00a3\u20ac5", "5\u20ac", "%-$5%", "--", "-", "", "\x00", "\u0085true", "١٢", "٢٠٢٤-٠١-٣١", "2024-01-31 １٠:2:٣", "３.５E١"]
SPECIAL = ['"', ",", "\n", "\r", "\r\n", " ", ";", "\t", "x", "1", "\ufeff", "T", "-", ":", "."]


def rand_field(r):
    k = r.random()
    if k < 0.45:
        return r.choice(ATOMS)
    if k < 0.75:  # number and date lookalikes
        alpha = "0123456789-+.:eETZW $%_,/"
        return "".join(r.choice(alpha if r.random() < 0.5 else "0123456789") for _ in range(r.randint(1, 24)))
    if k < 0.9:
        return "".join(r.choice(SPECIAL) for _ in range(r.randint(0, 5)))
    return '"' + r.choice(ATOMS).replace('"', '""') + '"'


def rand_csv(r):
    ncols = r.randint(1, 4)
    lines = []
    for i in range(r.randint(1, 6)):
        n = ncols + (r.choice([-1, 0, 0, 0, 0, 1]) if i else 0)
        if i == 0:
            lines.append(",".join(r.choice(["a", "b", "", "a", "c"]) for _ in range(ncols)))
        else:
            col = r.randint(0, 8)
            lines.append(",".join(ATOMS[(col * 7 + j) % len(ATOMS)] if r.random() < 0.3 else rand_field(r)
                                  for j in range(max(n, 0))))
    sep = r.choice(["\n", "\r\n", "\r"])
    return sep.join(lines) + r.choice(["", sep])


def esc(b):
    out = []
    for c in b.decode("utf-8"):
        if c == "\\":
            out.append("\\\\")
        elif c == "\r":
            out.append("\\r")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\0":
            out.append("\\0")
        else:
            out.append(c)
    return "".join(out)


def main():
    silt = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    r = random.Random(seed)
    d = tempfile.mkdtemp(prefix="csvdiff-")
    for i in range(n):
        data = rand_csv(r).encode()
        opts = {"escaped": True}
        if r.random() < 0.3:
            d0 = r.choice([";", "\t", "|", '"', " ", "\u00a7", "x"])
            data = data.replace(b",", d0.encode()) if r.random() < 0.7 else data
            opts["delimiter"] = d0
        if r.random() < 0.2:
            opts["column_types"] = {"a": "text"}
        try:
            kind, got = oracle.compute(data, opts)
        except Exception as e:  # the oracle itself could not reproduce something
            print(f"skip {i}: {e!r}")
            continue
        if kind == "error":
            got = "seeds/x.csv" + got
        import json
        with open(os.path.join(d, f"r{i:05d}.case"), "w", encoding="utf-8", newline="") as f:
            f.write("--- opts\n" + json.dumps(opts) + "\n--- csv\n" + esc(data) + "\n--- " + kind + "\n" + got + "\n")
    p = subprocess.run([silt, "selftest", "csv", d], capture_output=True, text=True)
    bad = [l for l in p.stdout.splitlines() if not l.startswith("ok")]
    print("\n".join(bad[:60]))
    print(d)
    return 1 if p.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
