#!/usr/bin/env python3
"""Writes the shared manifests of the selector cases (jaffle.json, chain.json): small dbt
manifest.json v12 documents with only the fields selection reads, plus a few others. Run it
from this directory after changing it; the cases pin the node sets these produce."""
import json

V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def node(uid, rtype, pkg, name, ofp, fqn, deps=(), tags=(), cfg=None, path=None, **extra):
    config = {"enabled": True, "tags": list(tags), "meta": {}}
    if rtype in ("model", "seed", "snapshot", "analysis"):
        config["materialized"] = {"seed": "seed", "snapshot": "snapshot"}.get(rtype, "view")
    if rtype == "test":
        config.update({"materialized": "test", "severity": "ERROR", "schema": "dbt_test__audit"})
    config.update(cfg or {})
    n = {
        "unique_id": uid, "resource_type": rtype, "package_name": pkg, "name": name,
        "path": path or ofp.split("/", 1)[-1], "original_file_path": ofp, "fqn": list(fqn),
        "tags": list(tags), "config": config,
        "depends_on": {"macros": [], "nodes": list(deps)},
    }
    n.update(extra)
    return n


def jaffle():
    P, U = "jaffle_shop", "jaffle_utils"
    nodes, sources, tests = {}, {}, []

    def add(t, n):
        t[n["unique_id"]] = n

    def src(sname, table, tags=(), ofp="models/staging/sources.yml", enabled=True):
        add(sources, node(f"source.{P}.{sname}.{table}", "source", P, table, ofp,
                          [P, "staging", sname, table], tags=tags, cfg={"enabled": enabled},
                          source_name=sname, patch_path=None))

    src("raw", "customers")
    src("raw", "orders", tags=["nightly"])
    src("raw", "payments", tags=["pii"])
    src("stripe", "charges", tags=["pii", "finance"], ofp="models/staging/stripe/sources.yml")
    src("stripe", "refunds", enabled=False, ofp="models/staging/stripe/sources.yml")

    def model(name, ofp, fqn, deps, tags=(), cfg=None, pkg=P, version=None, latest=None,
              access="protected", group=None, patch="models/staging/schema.yml"):
        uid = f"model.{pkg}.{name}" + (f".v{version}" if version is not None else "")
        c = dict(cfg or {})
        c.setdefault("access", access)
        if group:
            c["group"] = group
        add(nodes, node(uid, "model", pkg, name, ofp, fqn, deps, tags, c,
                        version=version, latest_version=latest, access=access, group=group,
                        patch_path=f"{pkg}://{patch}" if patch else None))
        return uid

    add(nodes, node(f"seed.{P}.country_codes", "seed", P, "country_codes",
                    "seeds/country_codes.csv", [P, "country_codes"], tags=["reference"]))
    stg_c = model("stg_customers", "models/staging/stg_customers.sql",
                  [P, "staging", "stg_customers"],
                  [f"source.{P}.raw.customers", f"seed.{P}.country_codes"], tags=["staging"])
    stg_o = model("stg_orders", "models/staging/stg_orders.sql", [P, "staging", "stg_orders"],
                  [f"source.{P}.raw.orders"], tags=["staging", "nightly"])
    stg_p = model("stg_payments", "models/staging/stg_payments.sql",
                  [P, "staging", "stg_payments"],
                  [f"source.{P}.raw.payments", f"source.{P}.stripe.charges"], tags=["staging"],
                  cfg={"meta": {"owner": "finance", "contains_pii": True}})
    items = model("int_order_items", "models/intermediate/int_order_items.sql",
                  [P, "intermediate", "int_order_items"], [stg_o],
                  cfg={"materialized": "ephemeral"}, patch=None)
    cust = model("customers", "models/marts/customers.sql", [P, "marts", "customers"],
                 [stg_c, stg_o, stg_p], tags=["marts", "nightly"],
                 cfg={"materialized": "table", "meta": {"owner": "growth"}},
                 access="public", group="customer_success", patch="models/marts/schema.yml")
    o1 = model("orders", "models/marts/orders_v1.sql", [P, "marts", "orders", "v1"],
               [stg_o, stg_p], tags=["marts"], cfg={"materialized": "table"}, version=1,
               latest=2, access="public", patch="models/marts/schema.yml")
    o2 = model("orders", "models/marts/orders.sql", [P, "marts", "orders", "v2"],
               [stg_o, stg_p, items], tags=["marts"],
               cfg={"materialized": "incremental", "on_schema_change": "append_new_columns"},
               version=2, latest=2, access="public", patch="models/marts/schema.yml")
    o3 = model("orders", "models/marts/orders_v3.sql", [P, "marts", "orders", "v3"],
               [stg_o, stg_p, items], tags=["marts", "beta"], cfg={"materialized": "table"},
               version=3, latest=2, access="public", patch="models/marts/schema.yml")
    cm = model("customer_metrics", "models/marts/finance/customer_metrics.sql",
               [P, "marts", "finance", "customer_metrics"], [cust, o2], tags=["finance"],
               cfg={"materialized": "table", "meta": {"owner": "finance", "tier": 1},
                    "tags": ["finance", "daily"]},
               access="private", group="finance", patch="models/marts/finance/finance.yml")
    model("legacy_orders", "models/marts/legacy_orders.sql", [P, "marts", "legacy_orders"],
          [stg_o], cfg={"enabled": False}, patch=None)
    spine = model("date_spine", "models/date_spine.sql", [U, "date_spine"], [], pkg=U,
                  tags=["utils"], patch=None)
    model("util_calendar", "models/util.calendar.sql", [U, "util.calendar"], [spine], pkg=U,
          patch=None)
    add(nodes, node(f"analysis.{P}.revenue_by_month", "analysis", P, "revenue_by_month",
                    "analyses/revenue_by_month.sql", [P, "analysis", "revenue_by_month"], [o2]))
    add(nodes, node(f"snapshot.{P}.orders_snapshot", "snapshot", P, "orders_snapshot",
                    "snapshots/orders_snapshot.sql", [P, "orders_snapshot", "orders_snapshot"],
                    [f"source.{P}.raw.orders"], cfg={"strategy": "timestamp",
                                                     "unique_key": "id"}))
    add(nodes, node(f"operation.{P}.{P}-on-run-end-0", "operation", P, f"{P}-on-run-end-0",
                    "./dbt_project.yml", [P, "hooks", f"{P}-on-run-end-0"],
                    path=f"hooks/{P}-on-run-end-0.sql"))

    def gtest(name, tname, model_uid, deps, column=None, ns=None, yml="models/staging/schema.yml",
              sev="ERROR", tags=(), h="0000000000", subdirs=("staging",)):
        uid = f"test.{P}.{name}.{h}"
        add(nodes, node(uid, "test", P, name, yml, [P, *subdirs, name], deps, tags,
                        {"severity": sev}, path=f"{name}.sql",
                        test_metadata={"name": tname, "namespace": ns,
                                       "kwargs": {"column_name": column}},
                        column_name=column, attached_node=model_uid,
                        file_key_name=("models." + model_uid.split(".")[2]) if model_uid else "sources.raw"))

    gtest("unique_stg_customers_customer_id", "unique", stg_c, [stg_c], "customer_id",
          h="c7614daada")
    gtest("not_null_stg_customers_customer_id", "not_null", stg_c, [stg_c], "customer_id",
          h="e2cfb1f9aa")
    gtest("accepted_values_stg_orders_status__placed__shipped__completed", "accepted_values",
          stg_o, [stg_o], "status", sev="warn", h="080fb20aad")
    gtest("relationships_stg_orders_customer_id__customer_id__ref_stg_customers_",
          "relationships", stg_o, [stg_c, stg_o], "customer_id", h="430bf21276")
    gtest("source_not_null_raw_customers_id", "not_null", None, [f"source.{P}.raw.customers"],
          "id", yml="models/staging/sources.yml", h="de3e9fff76")
    gtest("unique_customers_customer_id", "unique", cust, [cust], "customer_id",
          yml="models/marts/schema.yml", h="c5af1ff4b1", subdirs=("marts",), tags=["marts"])
    gtest("jaffle_utils_expression_is_true_customer_metrics_ltv_0", "expression_is_true", cm,
          [cm], None, ns=U, yml="models/marts/finance/finance.yml", h="5d8e1c2b9a",
          subdirs=("marts", "finance"), sev="WARN")
    for (name, deps, tags) in (
        ("assert_total_payment_amount_is_positive", [stg_p], ["finance"]),
        ("assert_customers_match_orders", [cust, o2], []),
    ):
        add(nodes, node(f"test.{P}.{name}", "test", P, name, f"tests/{name}.sql", [P, name],
                        deps, tags, {"severity": "ERROR"}))

    unit_tests = {}
    add(unit_tests, node(f"unit_test.{P}.customers.test_customer_lifetime_value", "unit_test",
                         P, "test_customer_lifetime_value", "models/marts/schema.yml",
                         [P, "marts", "customers", "test_customer_lifetime_value"], [cust],
                         path="marts/schema.yml", model="customers"))
    exposures = {}
    add(exposures, node(f"exposure.{P}.weekly_dashboard", "exposure", P, "weekly_dashboard",
                        "models/marts/exposures.yml", [P, "marts", "weekly_dashboard"],
                        [cust, o2], tags=["bi"], type="dashboard", maturity="high"))
    semantic = {}
    add(semantic, node(f"semantic_model.{P}.orders", "semantic_model", P, "orders",
                       "models/marts/semantic.yml", [P, "marts", "orders"], [o2]))
    metrics = {}
    add(metrics, node(f"metric.{P}.total_revenue", "metric", P, "total_revenue",
                      "models/marts/semantic.yml", [P, "marts", "total_revenue"],
                      [f"semantic_model.{P}.orders"], cfg={"group": "finance"}))
    saved = {}
    add(saved, node(f"saved_query.{P}.revenue_report", "saved_query", P, "revenue_report",
                    "models/marts/semantic.yml", [P, "marts", "revenue_report"],
                    [f"metric.{P}.total_revenue"]))
    macros = {
        f"macro.{P}.cents_to_dollars": {"unique_id": f"macro.{P}.cents_to_dollars",
                                        "resource_type": "macro", "package_name": P,
                                        "name": "cents_to_dollars",
                                        "depends_on": {"macros": []}},
        f"macro.{U}.date_spine": {"unique_id": f"macro.{U}.date_spine", "resource_type": "macro",
                                  "package_name": U, "name": "date_spine",
                                  "depends_on": {"macros": [f"macro.{P}.cents_to_dollars"]}},
    }
    return {
        "metadata": {"dbt_schema_version": V12, "dbt_version": "1.10.0", "project_name": P,
                     "adapter_type": "sqlite"},
        "nodes": nodes, "sources": sources, "macros": macros, "docs": {},
        "exposures": exposures, "metrics": metrics, "groups": {}, "selectors": {},
        "disabled": {}, "parent_map": {}, "child_map": {}, "group_map": {},
        "saved_queries": saved, "semantic_models": semantic, "unit_tests": unit_tests,
    }


def chain():
    """a -> b -> c -> d -> e; a -> x; y <- (b, x); tests on c, on (c, x) and on (c, a)."""
    P = "chain"
    nodes = {}
    deps = {"a": [], "b": ["a"], "c": ["b"], "d": ["c"], "e": ["d"], "x": ["a"], "y": ["b", "x"]}
    for name, ds in deps.items():
        nodes[f"model.{P}.{name}"] = node(f"model.{P}.{name}", "model", P, name,
                                          f"models/{name}.sql", [P, name],
                                          [f"model.{P}.{d}" for d in ds])
    nodes[f"test.{P}.not_null_c_id.1111111111"] = node(
        f"test.{P}.not_null_c_id.1111111111", "test", P, "not_null_c_id", "models/schema.yml",
        [P, "not_null_c_id"], [f"model.{P}.c"], path="not_null_c_id.sql",
        test_metadata={"name": "not_null", "namespace": None, "kwargs": {}},
        attached_node=f"model.{P}.c", column_name="id")
    nodes[f"test.{P}.relationships_c_x.2222222222"] = node(
        f"test.{P}.relationships_c_x.2222222222", "test", P, "relationships_c_x",
        "models/schema.yml", [P, "relationships_c_x"], [f"model.{P}.x", f"model.{P}.c"],
        path="relationships_c_x.sql",
        test_metadata={"name": "relationships", "namespace": None, "kwargs": {}},
        attached_node=f"model.{P}.c", column_name="id")
    nodes[f"test.{P}.expr_c_a.3333333333"] = node(
        f"test.{P}.expr_c_a.3333333333", "test", P, "expr_c_a", "models/schema.yml",
        [P, "expr_c_a"], [f"model.{P}.c", f"model.{P}.a"], path="expr_c_a.sql",
        test_metadata={"name": "expr", "namespace": None, "kwargs": {}},
        attached_node=f"model.{P}.c")
    return {"metadata": {"dbt_schema_version": V12, "project_name": P}, "nodes": nodes,
            "sources": {}, "macros": {}, "exposures": {}, "metrics": {}}


for fname, doc in (("jaffle.json", jaffle()), ("chain.json", chain())):
    with open(fname, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
