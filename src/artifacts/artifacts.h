/* artifacts: the JSON files dbt writes to target/ — so far manifest.json (v12), written from a
 * parsed, linked manifest whose nodes carry their manifest dicts (gnode.raw, gmacro.raw), and
 * catalog.json (v1) from the warehouse's relations.
 *
 * Ownership: the functions borrow everything; the values they build live in the arena given.
 * Errors: 0, or -1 after adding a message to the diag. */
#ifndef SILT_ARTIFACTS_H
#define SILT_ARTIFACTS_H

#include "adapter/adapter.h"
#include "graph/graph.h"

/* The dbt version silt's artifacts claim (metadata.dbt_version). */
#define ARTIFACTS_DBT_VERSION SILT_DBT_VERSION

struct manifest_meta {
	const char *project_name;
	const char *adapter_type;
	const char *invocation_id; /* NULL: a fresh uuid4 */
	value env;                 /* dict of DBT_ENV_CUSTOM_ENV_* (prefix stripped), or undef */
	value disabled;            /* dict unique_id -> [node], or undef */
	value docs;                /* dict "doc.pkg.name" -> docs block entry, or undef */
};

/* manifest.json written to path (through path.tmp, as artifacts_write_json): metadata, nodes,
 * sources, macros, docs, exposures, metrics, groups, selectors, disabled, parent_map,
 * child_map, group_map, saved_queries, semantic_models, unit_tests, functions. The tables keyed
 * by node id are dicts without a hash index, made to be written, whose lists and dicts may be
 * the nodes' own; parent_map and child_map are built on a thread of their own while the
 * entries before them are written. */
int artifacts_write_manifest(const char *path, const struct gmanifest *m,
                             const struct manifest_meta *mm, struct diag *d);

/* ---- catalog.json (dbt docs generate) ---- */
struct catalog_meta {
	const char *invocation_id; /* NULL: a fresh uuid4 */
	const char *started_at;    /* invocation_started_at; NULL: now */
	value env;                 /* dict of DBT_ENV_CUSTOM_ENV_*, or undef */
};
/* The relations (with columns) of every schema that the manifest's enabled, non-ephemeral
 * models, seeds, snapshots and sources use, one adapter_catalog call per database. A query
 * that fails does not fail the call: its message goes to *errors (a list of str, else None), as
 * dbt collects catalog exceptions; relations that cannot be read are warnings on d. */
int artifacts_catalog_query(struct adapter_conn *c, const struct gmanifest *m, struct arena *a,
                            struct adapter_catalog_rel **rels, size_t *nrels, value *errors,
                            struct diag *d);
/* The whole catalog.json as a value: metadata, nodes, sources, errors. Each relation is matched
 * (database, schema, name, case-insensitively) to the manifest node whose database, schema and
 * alias name it, and to every source whose database, schema and identifier do; with
 * selected_bits (gselection.bits) only selected ids are kept. errors: list of str or None. */
value artifacts_catalog(struct arena *a, const struct gmanifest *m,
                        const struct adapter_catalog_rel *rels, size_t nrels,
                        const uint64_t *selected_bits, value errors,
                        const struct catalog_meta *cm);

/* Writes v as JSON (json.dumps defaults, as dbt writes artifacts) to path, creating the
 * directory when needed. */
int artifacts_write_json(const char *path, value v, struct diag *d);
/* The same in two steps, for a file written beside another that decides whether it is kept:
 * the text goes to path.tmp (removed again when the write fails), which artifacts_commit_json
 * then puts in path's place (keep) or removes. A file of 1 MiB or more leaves its previous
 * version at path.tmp, which the next write fills in place. one_thread: see json_opts (for a
 * file written while another is). */
int artifacts_write_json_tmp(const char *path, value v, bool one_thread, struct diag *d);
int artifacts_commit_json(const char *path, bool keep, struct diag *d);

/* A random uuid4 string in a. */
const char *artifacts_uuid4(struct arena *a);
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" for now, in a. */
const char *artifacts_now_iso(struct arena *a);
/* The command line of this invocation as typed ("silt build -s orders", or a job step's line),
 * or NULL: run_results.json keeps it as args.invocation_command (dbt 1.8+), which `silt retry`
 * runs again. Set by the cli. */
extern const char *artifacts_invocation_command;
/* run_results.json (v6) around `results` (a list of result dicts): metadata (generated now),
 * elapsed_time and args {"which": which, "invocation_command": ...}. */
value artifacts_run_results(struct arena *a, const char *invocation_id, const char *started_at,
                            value results, double elapsed, const char *which);

#endif
