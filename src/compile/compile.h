/* compile: the dbt Jinja context — what models, macros, hooks and tests see: ref, source,
 * config, var, env_var, target, this, execute, adapter.dispatch, return, log/print,
 * exceptions, fromjson/tojson/fromyaml/toyaml, local_md5, invocation_id, flags, builtins and
 * context — and dbt's macro resolution across packages.
 *
 * One environment holds every package's macros (jinja_add_macros(env, package, template), the
 * global project under "dbt"); dbt_context_install adds the context functions to it once. Each
 * render then gets a struct dbt_render as its userdata, which says which node is rendered, in
 * which phase, and where parse-time calls are recorded. dbt_render_setup fills the
 * jinja_render options for it (context dict, macro scopes in dbt's order).
 *
 * Ownership: the capture and every value a render returns live in the render's arena. */
#ifndef SILT_COMPILE_H
#define SILT_COMPILE_H

#include "jinja/jinja.h"

struct adapter;
struct adapter_conn;
struct adapter_table;
struct relation;

enum dbt_phase {
	DBT_PARSE,   /* execute is false; ref/source/config are recorded */
	DBT_EXECUTE, /* execute is true; ref/source resolve to relations */
};

/* The current time as an aware UTC datetime (run_started_at). */
value dbt_now_utc(struct arena *a);

/* What templates write while they render (log with info=True, print, exceptions.warn, an
 * agate table's print_table/print_structure): to stdout or stderr at once, or, on a thread
 * that set a capture, kept in it in order until dbt_output_flush writes it. Parse workers
 * render files out of order and capture each file's output, which the main thread writes in
 * file order, as one thread would have. */
struct dbt_output {
	struct buf text; /* records: the stream (1 or 2), the length (a size_t), the bytes */
};
/* Sets the calling thread's capture (NULL: none). A capture's text.n taken between writes is a
 * mark it can be cut back to (the records after it dropped). */
void dbt_output_capture(struct dbt_output *o);
void dbt_output_write(int stream, const char *s, size_t n);
void dbt_output_flush(struct dbt_output *o); /* writes what o kept and empties it */

/* dbt's global flags that change what templates write, as the command line set them (all off
 * by default): print() writes nothing under --no-print; under --quiet only errors reach the
 * console, so log(info=True) and exceptions.warn write nothing; under --warn-error
 * exceptions.warn raises its message as an error. */
struct dbt_output_flags {
	bool no_print, quiet, warn_error;
};
extern struct dbt_output_flags dbt_output_flags;

/* What the context needs to know about the project (filled by project/, tests fill it by hand). */
struct dbt_project_info {
	const char *root_package;  /* the root project's name */
	const char *adapter_type;  /* "sqlite", "postgres": dispatch prefixes */
	const char *parent_adapters[4]; /* adapters this one inherits macros from, NULL-ended */
	value target;              /* the target dict */
	value dispatch;            /* dict: namespace → list of packages (dbt_project.yml dispatch) */
	value flags;               /* dict: FULL_REFRESH, WHICH, ... */
	/* Execute phase: dbt's flat graph, {"nodes": {unique_id: manifest dict}, "sources": ...,
	 * "exposures", "metrics", "groups", "semantic_models", "saved_queries", "unit_tests"}, shared
	 * by every render and read-only; VT_UNDEF leaves `graph` undefined (parse). */
	value graph;
	value selected_resources;  /* list of the selected unique_ids; VT_UNDEF = [] */
	const char *invocation_id;
	/* an aware UTC datetime, dbt_now_utc() once per invocation (dbt's is the invocation's
	 * start); VT_UNDEF = the time of the render */
	value run_started_at;
	/* var(name) for a node of `package`: 1 found (*out set), 0 missing, -1 error. */
	int (*var)(void *ud, const char *package, struct str name, value *out);
	/* env_var(name): 1 found, 0 missing. */
	int (*env_var)(void *ud, struct str name, value *out);
	/* Execute phase: the relation of ref(package?, name, version?) / source(s, t) from the node
	 * of package `from`, as a value (usually a relation object); 1 found, 0 not found. */
	int (*resolve_ref)(void *ud, const char *from, struct str package, struct str name,
	                   value version, value *out);
	int (*resolve_source)(void *ud, struct str source, struct str table, value *out);
	/* adapter.get_relation(database, schema, identifier): 1 found (*out a relation with
	 * .type), 0 absent. NULL: no warehouse is attached (parse, compile without a connection),
	 * and every relation reads as absent. */
	int (*get_relation)(void *ud, value database, value schema, value identifier, value *out);
	void *ud;
	/* Renders relation names (SQLite's schema prefixes); NULL = ANSI "db"."schema"."name". */
	const struct adapter *adapter;
};

struct dbt_ref {
	struct str package; /* empty: not given */
	struct str name;
	value version;      /* VT_UNDEF: not given */
	int line;
};
struct dbt_source_ref {
	struct str source, table;
	int line;
};

/* What a parse-time render records: refs, sources, configs, and macros called at depth 0. */
struct dbt_capture {
	VEC(struct dbt_ref) refs;
	VEC(struct dbt_source_ref) sources;
	value config; /* dict, merged from every config(...) call in order */
	VEC(const char *) macros;
};
void dbt_capture_init(struct dbt_capture *c);
void dbt_capture_release(struct dbt_capture *c);

/* One render's view: the node and phase. Set as jinja_render.userdata by dbt_render_setup. */
struct dbt_render {
	const struct dbt_project_info *proj;
	struct jinja_env *env;
	enum dbt_phase phase;
	const char *package; /* the node's package */
	value node;          /* the node as a dict ("model"): name, unique_id, resource_type, config */
	value this;          /* the node's relation (execute phase), or undefined */
	struct dbt_capture *cap; /* where parse-time calls go; may be NULL */
	value ctx;           /* built by dbt_render_setup */
	struct vdict *scopes[3];
	const struct jinja_render *opts; /* set by dbt_render_setup: render() renders with them */
	struct dbt_runtime *rt;          /* execute phase against a warehouse, or NULL */
};

/* A node's run against the warehouse: the connection statements use, the results they stored
 * (statement/store_result/load_result), the SQL write() kept for target/run/, and whether a
 * failure came from the database. Everything lives in the arena the node renders with. */
struct dbt_runtime {
	struct adapter_conn *conn;
	struct arena *a;
	value results;  /* dict: statement name -> {response, data, table} */
	value written;  /* str, or VT_UNDEF when write() was not called */
	value response; /* the "main" statement's AdapterResponse, or VT_UNDEF */
	bool db_error;  /* the render failed in the database */
	const char *db_message;
};
void dbt_runtime_init(struct dbt_runtime *rt, struct adapter_conn *conn, struct arena *a);
/* An AdapterResponse value's parts; false when v is not one. */
bool dbt_response_parts(value v, const char **message, int64_t *rows_affected);

/* Relations as templates see them. `ad` renders the name (NULL = ANSI); strings or none. */
value dbt_relation(struct arena *a, const struct adapter *ad, value database, value schema,
                   value identifier, value type);
/* A relation that prints as `rendered` (the manifest's relation_name) until it is changed. */
value dbt_relation_named(struct arena *a, value database, value schema, value identifier,
                         value rendered);
bool dbt_relation_parts(value v, value *database, value *schema, value *identifier, value *type);
/* The relation value as an adapter relation (strings copied into a); false when not one. */
bool dbt_relation_to_adapter(value v, struct arena *a, struct relation *out);



/* Adds the context functions (ref, source, config, ...) to env as globals. */
void dbt_context_install(struct jinja_env *env);

/* Fills opts for rendering as r describes: context dict (target, this, execute, model, config,
 * builtins, context...), macro scopes (node package, root project, dbt), userdata. */
void dbt_render_setup(struct dbt_render *r, struct arena *a, struct jinja_render *opts);

/* The packages adapter.dispatch(name, ns) searches, in order (dbt's dispatch): the project's
 * dispatch config for ns, else the root project then ns when ns names a loaded project
 * (ns_loaded), else ns; an empty ns gives one empty entry, the caller's own namespace. */
size_t dbt_dispatch_packages(const struct dbt_project_info *p, struct str ns, bool ns_loaded,
                             struct str *out, size_t cap);
/* The prefixes dispatch tries in each package: the adapter's, its parents', "default". */
size_t dbt_dispatch_prefixes(const struct dbt_project_info *p, const char **out, size_t cap);

/* adapter.dispatch's resolution, for callers outside templates too: the macro value for
 * `name` in macro namespace `ns` (NULL = none given) as dbt would find it. 1 found, 0 not. */
int dbt_dispatch(const struct dbt_render *r, struct str name, struct str ns, value *out);

/* ---- query results (agate.c, docs/internals/agate.md) ---- */
struct adapter_table;
/* The agate.Table dbt builds from a query result (dbt-adapters' get_result_from_cursor): column
 * names deduplicated as dbt does, one data type per column (Integer, Number, Date, DateTime,
 * Boolean, Text) inferred as dbt_common's table_from_data_flat does, rows and columns as agate's
 * MappedSequences. Everything is allocated in `a`; `t` may be released afterwards. */
value dbt_agate_table(struct arena *a, const struct adapter_table *t);
/* The rows of a table value as a list of tuples (dbt's as_matrix, load_result's `data`); false
 * when v is not a table. */
bool dbt_agate_rows(struct arena *a, value v, value *rows);
bool dbt_is_agate_table(value v);
/* agate's Table.print_table(max_rows, max_columns, max_column_width, max_precision) text
 * (-1 for None), as it writes to stdout. */
void dbt_agate_print_table(value table, int64_t max_rows, int64_t max_columns,
                           int64_t max_column_width, int64_t max_precision, struct buf *out);

#endif
