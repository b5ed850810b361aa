/* graph: the in-memory manifest (nodes, sources, exposures, ..., macros), the DAG over it, and
 * dbt's node selection (--select / --exclude / --selector / selectors.yml / indirect selection).
 *
 * Ownership: a gmanifest lives in the arena it was created with; every node, string and value
 * hanging off it is allocated there. gmanifest_free releases the few heap tables (id index,
 * node array) but not the arena. Strings given to the builder functions are borrowed: keep them
 * alive as long as the arena (copy them into it first when in doubt). A selection is allocated
 * in the arena passed to graph_select. Errors are appended to a struct diag as "message" (no
 * location) or "file:line:col: message" for selectors.yml; functions return 0 / -1.
 *
 * Filling the model (project loader or manifest.json): create nodes with gmanifest_add, set the
 * fields below, then call graph_link once; after it, parents/children, the topological order
 * and the flattened fqn are valid and selection can run. See docs/internals/graph.md. */
#ifndef SILT_GRAPH_H
#define SILT_GRAPH_H

#include "../value/value.h"

/* dbt's NodeType values, in dbt's order. */
enum gtype {
	GT_MODEL,
	GT_ANALYSIS,
	GT_TEST,
	GT_SNAPSHOT,
	GT_OPERATION,
	GT_SEED,
	GT_RPC,
	GT_SQL_OPERATION,
	GT_DOC,
	GT_SOURCE,
	GT_MACRO,
	GT_EXPOSURE,
	GT_METRIC,
	GT_GROUP,
	GT_SAVED_QUERY,
	GT_SEMANTIC_MODEL,
	GT_UNIT_TEST,
	GT_FIXTURE,
	GT_FUNCTION,
	GT__COUNT
};
const char *graph_type_name(enum gtype t); /* "model", "unit_test", ... */
int graph_type_parse(struct str s);        /* enum gtype, or -1 */

/* Which manifest.json table a node lives in (selector methods iterate tables, as dbt does). */
enum gtable {
	GTAB_NODES, /* models, seeds, snapshots, tests, analyses, operations */
	GTAB_SOURCES,
	GTAB_EXPOSURES,
	GTAB_METRICS,
	GTAB_SEMANTIC_MODELS,
	GTAB_SAVED_QUERIES,
	GTAB_UNIT_TESTS,
	GTAB__COUNT
};
const char *graph_table_name(enum gtable t); /* "nodes", "sources", ... */
enum gtable graph_table_of(enum gtype t);    /* the manifest table a node of type t is in */

struct gnode {
	uint32_t idx;        /* position in gmanifest.nodes */
	uint8_t type;        /* enum gtype */
	uint8_t table;       /* enum gtable */
	bool enabled;        /* config.enabled (default true); disabled nodes are not selectable */
	bool generic_test;   /* a test with test_metadata */
	bool docs_plain;     /* parse: no description of it or its columns holds Jinja */
	bool missing_parent; /* set by graph_link: a depends_on id names no node */
	/* parse: its raw code and unrendered config name no var() / env_var() (graph_reads_var),
	 * so the vars it reads are its macros' only (see graph_node_vars) */
	bool vars_plain;
	const char *unique_id; /* canonical: compare by pointer after graph_find */
	const char *package;   /* package_name */
	const char *name;
	const char *path, *original_file_path;
	const char *patch_path; /* "pkg://models/schema.yml", or NULL */
	const char **fqn;
	uint32_t nfqn;
	const char **tags;
	uint32_t ntags;
	value config; /* dict (materialized, enabled, tags, meta, severity, ...) or none */
	const char **depends_on; /* depends_on.nodes, unique ids as written */
	uint32_t ndepends_on;
	/* the node each depends_on id names, when whoever set them knew it (else NULL, or a NULL
	 * entry): graph_link takes it instead of looking the id up (it checks the id is its) */
	struct gnode **depends_hint;
	const char **macros; /* depends_on.macros */
	uint32_t nmacros;
	const char *test_name;      /* generic tests: test_metadata.name ("unique") */
	const char *test_namespace; /* test_metadata.namespace, or NULL */
	const char *attached_node;  /* generic tests: the node the test is attached to, or NULL */
	const char *column_name;    /* generic tests, or NULL */
	const char *source_name;    /* sources */
	const char *version;        /* models: str() of version, NULL when unversioned */
	const char *latest_version; /* models: str() of latest_version, or NULL */
	const char *access;         /* models: "protected" / "private" / "public", or NULL */
	const char *group;          /* config.group, else the node's group, or NULL */
	value raw; /* the node's whole manifest dict (none when built by a loader) */
	value depends_list; /* raw's depends_on.nodes list, when parse resolved it (else undefined) */

	/* filled by graph_link */
	uint32_t *parents, nparents;   /* indexes of depends_on nodes that exist, in order */
	uint32_t *children, nchildren; /* in dbt's edge order */
	const char **flat_fqn;         /* fqn with dotted parts split ("a.b" -> "a", "b") */
	uint32_t nflat_fqn;
	uint32_t nflat_head;  /* how many flat parts fqn[0] gave (1 unless it has dots) */
	uint32_t fqn_hash[4]; /* graph_name_hash of fqn[-1], fqn[-2], flat_fqn[0], flat_fqn[1]
	                         (0 when absent): lets selection skip most string compares */
};

struct gmacro {
	const char *unique_id, *package, *name;
	const char **macros; /* depends_on.macros */
	uint32_t nmacros;
	value raw;
	bool no_vars; /* graph_node_vars found no var()/env_var() in its macro_sql (a memo) */
	/* nor in any macro it reaches: 0 not known yet, 1 none, 2 some (a memo of graph_node_vars) */
	uint8_t quiet;
};

struct gmanifest {
	struct arena *a;
	const char *project_name; /* metadata.project_name; `package:this` resolves to it */
	struct gnode **nodes;     /* every table, in the order they were added */
	uint32_t n, cap;
	struct map ids; /* unique_id -> gnode* */
	struct gmacro **macros;
	uint32_t nmacros, capmacros;
	struct map macro_ids;
	value raw; /* the whole manifest.json when loaded from one, else none */
	/* filled by graph_link */
	bool linked;
	uint32_t *topo;  /* every node, parents before children (ties: insertion order) */
	uint32_t *by_id; /* every node, sorted by unique_id (strcmp) */
};

struct gmanifest *gmanifest_new(struct arena *a);
void gmanifest_free(struct gmanifest *m);
/* A zeroed node (enabled, config none) registered under unique_id (borrowed); NULL and an error
 * when the id is taken. */
struct gnode *gmanifest_add(struct gmanifest *m, enum gtable table, enum gtype type,
                            const char *unique_id, struct diag *d);
struct gmacro *gmanifest_add_macro(struct gmanifest *m, const char *unique_id);
struct gnode *graph_find(const struct gmanifest *m, struct str unique_id);
struct gmacro *graph_find_macro(const struct gmanifest *m, struct str unique_id);

/* Builds parents/children from depends_on (an id that names no node is a warning and is left
 * out), the flat fqn and the topological order. A cycle is an error worded as dbt's:
 * "Found a cycle: model.p.a --> model.p.b" (the edges of the cycle, parent to child, each tail). */
int graph_link(struct gmanifest *m, struct diag *d);

/* Reads a dbt manifest.json (v12; tolerant of other versions and of fields it does not know)
 * into a linked manifest. path_or_name is used in messages. */
int graph_load_manifest_json(struct arena *a, const char *path_or_name, const char *text,
                             size_t len, struct gmanifest **out, struct diag *d);

/* ---- selection ---- */
enum gindirect { GI_EAGER, GI_CAUTIOUS, GI_BUILDABLE, GI_EMPTY };
int graph_indirect_parse(struct str s); /* enum gindirect, or -1 */

struct gselectors; /* a parsed selectors.yml */
/* Parses selectors.yml (text as read; the YAML module reads it). Each definition is checked and
 * compiled now, as dbt does at load time. */
int graph_selectors_load(struct arena *a, const char *file, const char *text, size_t len,
                         struct gselectors **out, struct diag *d);
uint32_t graph_selectors_count(const struct gselectors *s);
const char *graph_selectors_name(const struct gselectors *s, uint32_t i); /* file order */
/* The name of the selector with `default: true`, or NULL. */
const char *graph_selectors_default(const struct gselectors *s);

struct gselect_opts {
	const char *const *select; /* --select values (each split on spaces); none: the default */
	size_t nselect;
	const char *const *exclude;
	size_t nexclude;
	const char *selector;               /* --selector NAME, or NULL */
	const struct gselectors *selectors; /* selectors.yml, or NULL */
	enum gindirect indirect;            /* --indirect-selection (GI_EAGER by default) */
	uint32_t resource_types;            /* mask of 1u << GT_x to keep; 0 = every type */
	/* --state: what state:/result: compare with (NULL: those methods are errors) */
	const struct gstate *state;
	/* the project's flag state_modified_compare_more_unrendered_values (sources then compare
	 * unrendered_database/unrendered_schema) */
	bool state_unrendered;
	/* state:modified.vars: the var()/env_var() values a node of m would be built with now,
	 * as graph_node_vars returns them (NULL: nothing changed is ever seen) */
	value (*node_vars)(void *ud, const struct gnode *g);
	void *vars_ud;
};

struct gselection {
	const struct gnode **nodes; /* selected, sorted by unique_id */
	uint32_t n;
	uint64_t *bits; /* bit i set: m->nodes[i] selected */
};

/* The resource-type mask of `dbt ls --resource-type ... --exclude-resource-type ...`: no names or
 * "default" = model, snapshot, seed, test, unit_test, source, exposure, metric, semantic_model,
 * saved_query; "all" adds analysis; other names are dbt's type names ("data_test" = test). An
 * unknown name is an error. */
int graph_resource_types(const char *const *names, size_t n, const char *const *exclude,
                         size_t nexclude, uint32_t *mask, struct diag *d);

/* Runs dbt's selection: --selector NAME if given; else, with neither --select nor --exclude, the
 * selectors.yml default; else (union of --select, or dbt's default set) minus (union of
 * --exclude), with tests added by indirect selection, then the resource-type filter. Selector
 * strings that cannot be parsed are errors ("'taag' is not a valid method name"). A criterion
 * that matches nothing adds the warning "The selection criterion 'x' does not match any enabled
 * nodes". The manifest must be linked. */
int graph_select(struct arena *a, const struct gmanifest *m, const struct gselect_opts *o,
                 struct gselection *out, struct diag *d);

/* ---- state: what a target or an environment has (state:, result:, --defer) ----
 *
 * A gstate is a set of nodes keyed by unique_id holding what dbt's state comparison reads
 * (checksum, body, unrendered config, the relation, descriptions, macros, contract) plus, beyond
 * dbt, the var()/env_var() values each node was built with; the macros (macro_sql) and the
 * previous run's statuses. graph_state_load_dir builds one from a dbt target directory
 * (manifest.json, run_results.json); the metadata store builds one from an environment's applied
 * state with gstate_new / gstate_add / gstate_add_macro / gstate_set_result, filling the fields
 * it knows. Every string and value given is borrowed: allocate them in gstate_arena(s). See
 * docs/internals/state.md. */
struct gstate;
struct gstate_node {
	const char *unique_id;
	uint8_t type;  /* enum gtype */
	uint8_t table; /* enum gtable */
	bool generic_test;
	const char *package, *name;
	const char **fqn;
	uint32_t nfqn;
	const char *checksum_name, *checksum; /* the file checksum: "sha256", "path" or "none" */
	const char *raw_code;                 /* the body; NULL when the node has none */
	value config;            /* the rendered config dict (materialized, persist_docs, ...) */
	value unrendered_config; /* dict: what state:modified.configs compares */
	/* the relation the node was built as (sources: identifier in alias); deferral reads these */
	const char *database, *schema, *alias, *relation_name;
	const char *description;
	value columns;     /* dict: name -> {description, data_type, constraints, ...} */
	value constraints; /* models: model-level constraints (list), or none */
	const char **macros; /* depends_on.macros */
	uint32_t nmacros;
	bool contract_enforced;
	const char *contract_checksum; /* NULL: none */
	value version, latest_version, deprecation_date; /* models; none when unset */
	const char *access;                              /* models, or NULL */
	/* dict "var.NAME" / "env_var.NAME" -> value used (env values as "sha256:<hex>"), or none
	 * when not recorded (a manifest written by dbt): state:modified.vars then sees nothing */
	value vars;
	/* the manifest dict (sources, exposures, metrics, semantic models, saved queries, unit
	 * tests: their comparison reads fields of it), or none */
	value raw;
	/* A node known by its digest only (the metadata store): gstate_node_digest of the node as
	 * it was, with type, table, the relation and config.materialized set; the comparison loads
	 * the rest through the state's loader when the current node's digest differs. NULL: the
	 * node is complete. */
	const unsigned char *digest;
	const void *load_ref; /* the loader's record of the node (whatever it keeps) */
};

struct gstate *gstate_new(void);
void gstate_free(struct gstate *s);
struct arena *gstate_arena(struct gstate *s);
/* A zeroed node (config/unrendered_config/columns empty dicts — shared: replace them, do not
 * add to them —, the rest none) under unique_id (borrowed); the existing one when the id is
 * taken. */
struct gstate_node *gstate_add(struct gstate *s, const char *unique_id, enum gtable table,
                               enum gtype type);
const struct gstate_node *gstate_find(const struct gstate *s, struct str unique_id);
uint32_t gstate_count(const struct gstate *s);
const struct gstate_node *gstate_at(const struct gstate *s, uint32_t i); /* in insertion order */
/* A macro: its macro_sql and depends_on.macros (both borrowed). */
void gstate_add_macro(struct gstate *s, const char *unique_id, const char *macro_sql,
                      const char *const *macros, uint32_t nmacros);
/* result:<status>: the previous invocation's status of a node ("success", "fail", ...). */
void gstate_set_result(struct gstate *s, const char *unique_id, const char *status);
/* The var()/env_var() values n was built with (a dict as gstate_node.vars; borrowed):
 * state:modified.vars then compares them. */
void gstate_set_vars(struct gstate *s, struct gstate_node *n, value vars);
/* Which state the comparison reads from where (printed in messages): "prod-artifacts/". */
void gstate_set_origin(struct gstate *s, const char *origin);
const char *gstate_origin(const struct gstate *s);
/* Fills n from a manifest node dict (what dbt writes in manifest.json nodes/sources/...). */
void gstate_node_from_dict(struct gstate *s, struct gstate_node *n, value dict);
/* The digest of everything a state: comparison reads of n (body, configs, relation, persisted
 * descriptions, contract, fqn, versions; not macros or vars), 32 bytes: two nodes with the same
 * digest are not modified against each other. False when n cannot be compared by digest (a
 * seed whose checksum is its path, which warns; a value JSON cannot hold). */
bool gstate_node_digest(const struct gstate_node *n, unsigned char out[32]);
/* A state whose nodes carry digests loads a node in full through fn (which fills n with
 * gstate_node_from_dict and sets n->digest to NULL; 0 or -1 after an error in d). release(ud)
 * is called by gstate_free. */
typedef int (*gstate_load_fn)(void *ud, struct gstate *s, struct gstate_node *n, struct diag *d);
void gstate_set_loader(struct gstate *s, gstate_load_fn fn, void *ud, void (*release)(void *ud));

/* Reads DIR/manifest.json (required: "no comparison manifest" otherwise), DIR/run_results.json
 * and DIR/node_vars.json when present. A manifest whose dbt_schema_version is not one dbt reads
 * (v4 to v12) is an error naming the version found. */
int graph_state_load_dir(const char *dir, struct gstate **out, struct diag *d);
/* The same from a manifest.json text already read (path_or_name for messages). */
int graph_state_from_manifest_json(const char *path_or_name, const char *text, size_t len,
                                   struct gstate **out, struct diag *d);

/* target/node_vars.json's silt_schema_version. Since v2 the file lists only the nodes that read
 * some var or env var: a node of the manifest's nodes table missing from it reads none. */
#define NODE_VARS_VERSION "node_vars/v2"

/* The names a node reads with var('x') / env_var('X') in its body, its config and the macros it
 * depends on (recursively), as "var.x" / "env_var.X", each once, in first-seen order. */
typedef int (*graph_var_fn)(void *ud, const struct gnode *g, bool env, struct str name,
                            value *out); /* 1 found, 0 missing */
value graph_node_vars(struct arena *a, const struct gmanifest *m, const struct gnode *g,
                      graph_var_fn lookup, void *ud);
/* Whether a string in v (a string, or a list or dict holding some) has a var('x') / env_var('X')
 * that graph_node_vars would record. */
bool graph_reads_var(value v);
/* Whether some macro of ids (macro unique ids), or one it reaches, reads a var: when none does, a
 * node that is vars_plain reads none (graph_node_vars gives {}). */
bool graph_macros_read_vars(const struct gmanifest *m, const char *const *ids, uint32_t n);

/* ---- deferral (--defer): which state relation an unselected parent resolves to ---- */
struct gdefer {
	const struct gstate *state; /* --defer-state, else --state */
	bool favor_state;           /* --favor-state */
	const struct gselection *selected;
};
/* The state node ref(g) may defer to: g is a model, seed or snapshot, exists in the state with a
 * relation and is not ephemeral there, and is not selected; NULL otherwise. Whether to use it
 * (favor_state, or g's relation is missing in the target) is the caller's check. */
const struct gstate_node *graph_defer_node(const struct gdefer *df, const struct gnode *g);

/* Checks one selector string (as one --select value) without a manifest: 0 or -1 + error. */
int graph_selector_check(const char *spec, struct diag *d);

/* The hash graph_link keeps in gnode.fqn_hash (FNV-1a, never 0). */
uint32_t graph_name_hash(struct str s);

/* Python's fnmatch.fnmatchcase (POSIX: case-sensitive): * ? [seq] [!seq]. */
bool graph_fnmatch(struct str name, struct str pat);

#endif
