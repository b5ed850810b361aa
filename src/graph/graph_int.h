/* graph: private to src/graph/. The selection spec tree (dbt's SelectionCriteria, Union,
 * Intersection, Difference) shared by the CLI grammar (select.c) and selectors.yml
 * (selectors.c). */
#ifndef SILT_GRAPH_INT_H
#define SILT_GRAPH_INT_H

#include "graph.h"

enum gmethod {
	GM_FQN,
	GM_TAG,
	GM_GROUP,
	GM_ACCESS,
	GM_SOURCE,
	GM_PATH,
	GM_FILE,
	GM_PACKAGE,
	GM_CONFIG,
	GM_TEST_NAME,
	GM_TEST_TYPE,
	GM_RESOURCE_TYPE,
	GM_STATE,
	GM_EXPOSURE,
	GM_METRIC,
	GM_RESULT,
	GM_SOURCE_STATUS,
	GM_WILDCARD,
	GM_VERSION,
	GM_SEMANTIC_MODEL,
	GM_SAVED_QUERY,
	GM_UNIT_TEST,
	GM__COUNT
};

enum gspec_kind { GS_CRITERIA, GS_UNION, GS_INTERSECTION, GS_DIFFERENCE };
#define GI_FLAG (-1) /* indirect selection: whatever --indirect-selection says */

struct gspec {
	uint8_t kind;       /* enum gspec_kind */
	int8_t indirect;    /* enum gindirect or GI_FLAG */
	bool expect_exists; /* warn when nothing matches (CLI tokens) */
	const char *raw;    /* for messages */
	/* GS_CRITERIA */
	uint8_t method; /* enum gmethod */
	bool parents, children, childrens_parents;
	int64_t parents_depth, children_depth; /* -1: unlimited */
	const char **args;                     /* config.meta.owner -> "meta", "owner" */
	uint32_t nargs;
	const char *value; /* str() of the value */
	value v;           /* the value as given (YAML may give a bool or a number) */
	/* sets */
	struct gspec **kids;
	uint32_t nkids;
};

/* Parses one selector token (no spaces or commas are special here) into a criteria spec.
 * Returns NULL after an error on d. */
struct gspec *graph_spec_parse(struct arena *a, const char *raw, size_t len, int indirect,
                               struct diag *d);
/* Checks the parts of a criteria dict from selectors.yml: fills method/args from `method`
 * (dotted), and reports dbt's errors. Returns 0 or -1. */
int graph_spec_set_method(struct gspec *s, struct arena *a, struct str method, struct diag *d,
                          const char *file, int line, int col);
struct gspec *graph_spec_new(struct arena *a, enum gspec_kind k);
void graph_spec_push(struct gspec *set, struct arena *a, struct gspec *kid);

struct gselectors {
	struct gsel_entry {
		const char *name;
		bool is_default;
		struct gspec *spec;
	} * v;
	uint32_t n;
	const char *file;
};

/* ---- state.c: the comparisons behind state: and result: ---- */
struct state_cmp;
struct state_cmp *graph_state_cmp_new(const struct gmanifest *m, const struct gselect_opts *o,
                                      struct diag *d);
void graph_state_cmp_free(struct state_cmp *c);
bool graph_state_cmp_failed(const struct state_cmp *c);
/* The check a state: value names ("modified.body" ...), or -1 and dbt's error. */
int graph_state_check_parse(const char *check, struct diag *d);
bool graph_state_check(struct state_cmp *c, int which, const struct gnode *g);
bool graph_state_has_results(const struct gstate *s);
const char *graph_state_result(const struct gstate *s, const char *unique_id); /* or NULL */

#endif
