/* artifacts: the JSON files dbt writes to target/ — so far manifest.json (v12), written from a
 * parsed, linked manifest whose nodes carry their manifest dicts (gnode.raw, gmacro.raw).
 *
 * Ownership: the functions borrow everything; the values they build live in the arena given.
 * Errors: 0, or -1 after adding a message to the diag. */
#ifndef SILT_ARTIFACTS_H
#define SILT_ARTIFACTS_H

#include "graph/graph.h"

/* The dbt version silt's artifacts claim (metadata.dbt_version). */
#define ARTIFACTS_DBT_VERSION "1.11.6"

struct manifest_meta {
	const char *project_name;
	const char *adapter_type;
	const char *invocation_id; /* NULL: a fresh uuid4 */
	value env;                 /* dict of DBT_ENV_CUSTOM_ENV_* (prefix stripped), or undef */
	value disabled;            /* dict unique_id -> [node], or undef */
};

/* The whole manifest.json as a value: metadata, nodes, sources, macros, docs, exposures,
 * metrics, groups, selectors, disabled, parent_map, child_map, group_map, saved_queries,
 * semantic_models, unit_tests, functions. */
value artifacts_manifest(struct arena *a, const struct gmanifest *m,
                         const struct manifest_meta *mm);

/* Writes v as JSON (json.dumps defaults, as dbt writes artifacts) to path, creating the
 * directory when needed. */
int artifacts_write_json(const char *path, value v, struct diag *d);

/* A random uuid4 string in a. */
const char *artifacts_uuid4(struct arena *a);
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" for now, in a. */
const char *artifacts_now_iso(struct arena *a);

#endif
