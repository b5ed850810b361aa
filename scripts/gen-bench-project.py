#!/usr/bin/env python3
"""Writes a synthetic dbt project for `make bench`: a layered DAG of N models in folders of 100,
each with a config(), one to three refs (to models of the layer above; the first layer refs
seeds), a source, a macro call and an if, and one schema.yml per folder with column tests.

usage: gen-bench-project.py DIR N
"""
import os
import random
import sys


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(42)
    os.makedirs(os.path.join(out, "macros"), exist_ok=True)
    with open(os.path.join(out, "dbt_project.yml"), "w") as f:
        f.write("name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\n"
                "models:\n  bench:\n    +materialized: view\n")
    with open(os.path.join(out, "profiles.yml"), "w") as f:
        f.write("bench:\n  target: dev\n  outputs:\n    dev:\n      type: sqlite\n"
                "      path: bench.db\n      schema: main\n      threads: 2\n")
    with open(os.path.join(out, "macros", "money.sql"), "w") as f:
        f.write("{% macro cents_to_dollars(col, scale=2) -%}\n"
                "    round({{ col }} / 100.0, {{ scale }})\n{%- endmacro %}\n")
    os.makedirs(os.path.join(out, "seeds"), exist_ok=True)
    for s in range(10):
        with open(os.path.join(out, "seeds", f"seed_{s}.csv"), "w") as f:
            f.write("id,amount\n" + "".join(f"{r},{r * 100 + s}\n" for r in range(5)))
    per_folder = 100
    layers = 10
    per_layer = max(1, n // layers)
    os.makedirs(os.path.join(out, "models", "sources"), exist_ok=True)
    with open(os.path.join(out, "models", "sources", "sources.yml"), "w") as f:
        f.write("version: 2\nsources:\n  - name: raw\n    tables:\n")
        for t in range(20):
            f.write(f"      - name: table_{t}\n")
    for i in range(n):
        folder = f"f{i // per_folder:04d}"
        d = os.path.join(out, "models", folder)
        os.makedirs(d, exist_ok=True)
        layer = i // per_layer
        if layer == 0:
            refs = sorted({f"seed_{rnd.randint(0, 9)}" for _ in range(rnd.randint(1, 3))})
        else:
            lo, hi = (layer - 1) * per_layer, layer * per_layer - 1
            refs = [f"m{r}" for r in sorted({rnd.randint(lo, hi) for _ in range(rnd.randint(1, 3))})]
        joins = "".join(f"\nleft join {{{{ ref('{r}') }}}} as r{k} on r{k}.id = base.id"
                        for k, r in enumerate(refs[1:], 1))
        src = f"{{{{ source('raw', 'table_{i % 20}') }}}}"
        sql = (f"{{{{ config(materialized='{'table' if i % 7 == 0 else 'view'}', tags=['layer_{layer}']) }}}}\n"
               f"select\n    base.id,\n    base.amount,\n    {{{{ cents_to_dollars('base.amount') }}}} as dollars\n"
               f"from {{{{ ref('{refs[0]}') }}}} as base{joins}\n"
               f"left join {src} as s on s.id = base.id\n"
               "{% if target.name == 'dev' %}\nwhere base.id < 1000\n{% endif %}\n")
        with open(os.path.join(d, f"m{i}.sql"), "w") as f:
            f.write(sql)
    for folder in sorted(os.listdir(os.path.join(out, "models"))):
        if not folder.startswith("f"):
            continue
        names = sorted(x[:-4] for x in os.listdir(os.path.join(out, "models", folder)) if x.endswith(".sql"))
        with open(os.path.join(out, "models", folder, "schema.yml"), "w") as f:
            f.write("version: 2\nmodels:\n")
            for m in names:
                f.write(f"  - name: {m}\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n")


if __name__ == "__main__":
    main()
