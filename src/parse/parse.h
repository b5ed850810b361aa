/* parse: reading a loaded dbt project's files into a manifest, as `dbt parse` does — macros
 * (the project's and the embedded global project as package `dbt`), models, seeds, singular
 * tests, schema .yml (model/seed properties, sources, generic tests), parse-time rendering that
 * records ref/source/config, configs merged layer by layer, names through the
 * generate_*_name macros, refs resolved to unique ids, the DAG linked.
 *
 * Ownership: everything the result holds (nodes, their manifest dicts in gnode.raw, strings)
 * lives in the arena given to parse_project and in the result's helper arenas (the parse's
 * other threads, see docs/internals/parse-speed.md); the project must outlive it too (values
 * borrow its text). Node dicts share equal parts (configs, unrendered configs, columns, contracts, docs):
 * treat everything under gnode.raw and gnode.config as read-only, and to change a node, set a
 * new value on its own dict. Errors: every error found is added to d ("file:line:col: message" where known) and
 * parse_project returns -1; the manifest is then not usable. */
#ifndef SILT_PARSE_H
#define SILT_PARSE_H

#include "graph/graph.h"
#include "project/project.h"

struct jinja_env;

struct parse_result {
	struct gmanifest *m; /* linked; each node's and macro's manifest dict is its raw */
	value disabled;      /* dict unique_id -> [node dict] */
	value docs;          /* dict "doc.pkg.name" -> the docs block's manifest entry */
	uint32_t nmodels, nsnapshots, nanalyses, ntests, nseeds, nsources, nmacros, nsemantic_models, nunit_tests;
	struct jinja_env *env; /* the parse environment (values borrow from its arena) */
	struct project *pkgs;  /* installed packages (dbt_packages/), loaded and parsed too */
	size_t npkgs;
	/* the parse's other threads: the arena each allocated node parts in and its environment
	 * (values may borrow from it), nhelpers of each */
	struct arena *helper_arenas;
	struct jinja_env **helper_envs;
	size_t nhelpers;
};

int parse_project(struct project *p, struct arena *a, struct parse_result *out, struct diag *d);
void parse_result_release(struct parse_result *r);

/* dbt's generic test name synthesis: full name (e.g. "not_null_orders_id",
 * "accepted_values_orders_status__a__b") from the test name, target and sorted kwargs (without
 * `model`). Exposed for tests. */
const char *parse_test_full_name(struct arena *a, const char *test, const char *target,
                                 value kwargs);

#endif
