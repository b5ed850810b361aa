/* adapter: the warehouse interface (a vtable per database type), the SQL formatter and the
 * relation cache. docs/internals/adapter.md describes it.
 *
 * Objects: one `struct adapter` per target (owns the profile settings, the quoting policy and the
 * relation cache; shared by every thread); one `struct adapter_conn` per worker thread (never
 * used by two threads at once, except adapter_cancel, which any thread may call while the
 * connection is open).
 *
 * Ownership: functions borrow their arguments. Results (query tables, relation lists, columns,
 * catalog rows) are allocated in the arena the caller passes and live as long as it. Errors: 0 on
 * success, -1 with one DIAG_ERROR on `d` holding the database's own message.
 *
 * Callers use the adapter_* functions; they keep the relation cache in step with the DDL they
 * run. Backends implement struct adapter_ops and never touch the cache. */
#ifndef SILT_ADAPTER_H
#define SILT_ADAPTER_H

#include "../base/base.h"
#include "../value/value.h"

/* ---- relations ---- */
enum rel_type { REL_UNKNOWN, REL_TABLE, REL_VIEW, REL_MATERIALIZED_VIEW, REL_CTE };
const char *rel_type_name(enum rel_type t); /* "table", "view", "materialized_view", "cte", "" */

enum rel_omit { REL_OMIT_DATABASE = 1, REL_OMIT_SCHEMA = 2 }; /* dbt's include(database=False) */

/* A relation names a database object. Strings are borrowed; NULL/"" database means the target's
 * database and NULL/"" schema the target's schema. */
struct relation {
	const char *database, *schema, *identifier;
	enum rel_type type;
	unsigned omit; /* rel_omit bits; 0 renders the full name */
};

struct quote_policy {
	bool database, schema, identifier; /* dbt's `quoting:`; all true by default */
};

/* Agate column types of a seed, mapped to column types by adapter_seed_type. */
enum seed_type {
	SEED_TEXT,
	SEED_INTEGER, /* agate Number without decimals */
	SEED_NUMBER,  /* agate Number with decimals */
	SEED_BOOLEAN,
	SEED_DATE,
	SEED_DATETIME,
	SEED_TIME,
	SEED_TIMEDELTA,
	SEED_TYPE_COUNT
};

/* ---- results ---- */
struct adapter_column {
	const char *name;
	const char *type; /* the database's type name ("integer", "text", "" when it has none) */
	int index;        /* 1-based position */
};

/* Rows of a query: `rows` is a list of tuples of values (None, int, float, str; a blob is a str
 * of its bytes), all in the caller's arena. */
struct adapter_table {
	size_t ncols, nrows;
	struct adapter_column *cols;
	value rows;
};

/* What dbt's AdapterResponse carries. */
struct adapter_response {
	char message[64];      /* "OK" (SQLite), "SELECT 3", "CREATE VIEW" (PostgreSQL) */
	int64_t rows_affected; /* -1 when the statement has no count */
};

/* One relation of the catalog (dbt docs generate). */
struct adapter_catalog_rel {
	struct relation rel;    /* database, schema, identifier and type */
	const char *type_label; /* catalog metadata.type: "table"/"view" (SQLite) */
	int64_t row_count;      /* -1 unknown */
	size_t ncols;
	struct adapter_column *cols;
};

struct adapter;
/* A query comment (dbt's query-comment), already rendered: NULL text = none. */
struct adapter_comment {
	char *text;
	bool append; /* after the SQL instead of before it */
};

struct adapter_conn {
	struct adapter *ad;
	struct adapter_comment comment; /* this connection's, when comment_set */
	bool comment_set;               /* false: the adapter's default comment */
};

/* Called by list_relations once per relation; `name` is the physical name from join_name. */
typedef void (*adapter_list_fn)(void *ctx, const char *name, enum rel_type type);

/* ---- the vtable ---- */
struct adapter_ops {
	const char *type;           /* profile `type:` */
	const char *database_alias; /* a database name meaning the target's own ("main"), or NULL */
	bool lists_whole_database;  /* list_relations covers every schema of the database */
	char quote_char;            /* identifier quote, '"' */
	bool folds_lower;           /* unquoted identifiers are lowercased (PostgreSQL) */

	void (*free)(struct adapter *ad);
	/* connections: one per thread */
	struct adapter_conn *(*open)(struct adapter *ad, struct diag *d);
	void (*close)(struct adapter_conn *c);
	/* run SQL, one or several statements; rows are discarded */
	int (*exec)(struct adapter_conn *c, const char *sql, struct adapter_response *resp,
	            struct diag *d);
	/* run SQL and return the rows of its last statement; resp may be NULL */
	int (*query)(struct adapter_conn *c, const char *sql, struct adapter_response *resp,
	             struct arena *a, struct adapter_table *out, struct diag *d);
	/* one statement with bound parameters (None, bool, int, float, str; others as str()) */
	int (*exec_params)(struct adapter_conn *c, const char *sql, const value *params,
	                   size_t nparams, struct adapter_response *resp, struct diag *d);
	/* the text of bind parameter i (1-based): "?" (SQLite), "$1" (PostgreSQL) */
	void (*placeholder)(int i, struct buf *out);
	int max_params; /* bind parameters per statement */
	int (*begin)(struct adapter_conn *c, struct diag *d);
	int (*commit)(struct adapter_conn *c, struct diag *d);
	int (*rollback)(struct adapter_conn *c, struct diag *d);
	bool (*in_transaction)(struct adapter_conn *c);
	/* from any thread: stop the statement running on c (or the next one to start) */
	void (*cancel)(struct adapter_conn *c);

	/* names: the cache key of (schema, identifier) and its inverse */
	void (*join_name)(const struct adapter *ad, const char *schema, const char *ident,
	                  struct buf *out);
	/* true when physical `name` belongs to `schema`; *ident points into name */
	bool (*split_name)(const struct adapter *ad, const char *schema, const char *name,
	                   const char **ident);
	void (*render_relation)(const struct adapter *ad, const struct relation *r,
	                        struct buf *out);

	/* metadata: one query per schema (or per database when lists_whole_database) */
	int (*list_relations)(struct adapter_conn *c, const char *database, const char *schema,
	                      adapter_list_fn fn, void *ctx, struct diag *d);
	int (*get_columns)(struct adapter_conn *c, const struct relation *r, struct arena *a,
	                   struct adapter_column **cols, size_t *n, struct diag *d);
	int (*row_count)(struct adapter_conn *c, const struct relation *r, int64_t *n,
	                 struct diag *d);
	const char *(*catalog_label)(enum rel_type t);
	/* optional: docs generate's relations and columns of several schemas in one query (NULL:
	 * list_relations, then get_columns per relation) */
	int (*catalog)(struct adapter_conn *c, const char *database, const char *const *schemas,
	               size_t nschemas, bool row_counts, struct arena *a,
	               struct adapter_catalog_rel **out, size_t *n, struct diag *d);

	/* DDL; the adapter_* wrappers update the cache after these succeed */
	int (*create_schema)(struct adapter_conn *c, const char *database, const char *schema,
	                     struct diag *d);
	/* optional: drop a schema with everything in it (PostgreSQL: drop schema ... cascade);
	 * NULL drops the relations that list_relations finds, one by one */
	int (*drop_schema)(struct adapter_conn *c, const char *database, const char *schema,
	                   struct diag *d);
	int (*drop_relation)(struct adapter_conn *c, const struct relation *r, struct diag *d);
	int (*rename_relation)(struct adapter_conn *c, const struct relation *from,
	                       const char *new_ident, struct diag *d);
	/* target := tmp, atomically: readers see the old or the new relation, never neither.
	 * `old_type` is the target's current type (REL_UNKNOWN when it does not exist). */
	int (*swap)(struct adapter_conn *c, const struct relation *target, enum rel_type old_type,
	            const struct relation *tmp, struct diag *d);
	const char *seed_types[SEED_TYPE_COUNT];
};

struct relcache;
struct adapter {
	const struct adapter_ops *ops;
	char *database; /* the target's database (logical name) */
	char *schema;   /* the target's schema */
	int threads;
	struct quote_policy quoting;
	struct relcache *cache;
	struct map schemas_created; /* schemas create_schema was asked for; keys in `arena` */
	struct arena arena;         /* owns `target` and those keys (grown under the cache lock) */
	value target;               /* a copy of the profile target, without password */
	struct adapter_comment comment; /* the default query comment ("master"), set before threads */
};

/* ---- lifecycle ---- */
/* From a rendered profile target (a dict: type, threads, schema, database and the backend's own
 * fields). Relative paths are resolved against project_dir. NULL with a diag on error. */
struct adapter *adapter_new(value target, const char *project_dir, struct diag *d);
void adapter_free(struct adapter *ad);
struct adapter_conn *adapter_open(struct adapter *ad, struct diag *d);
void adapter_close(struct adapter_conn *c);

/* ---- SQL ---- */
int adapter_exec(struct adapter_conn *c, const char *sql, struct adapter_response *resp,
                 struct diag *d); /* resp may be NULL */
int adapter_query(struct adapter_conn *c, const char *sql, struct arena *a,
                  struct adapter_table *out, struct diag *d);
/* dbt's adapter.execute(sql, fetch=True): the response and the rows of the last statement. */
int adapter_execute(struct adapter_conn *c, const char *sql, struct adapter_response *resp,
                    struct arena *a, struct adapter_table *out, struct diag *d);
int adapter_exec_params(struct adapter_conn *c, const char *sql, const value *params,
                        size_t nparams, struct adapter_response *resp, struct diag *d);
void adapter_placeholder(const struct adapter *ad, int i, struct buf *out);
/* Seeds: insert rows (a list of lists/tuples of values, each ncols long) into r's columns with
 * bound parameters, in batches of at most 10000 rows (fewer when the backend's parameter limit
 * needs it). Sets *inserted to the rows written. */
int adapter_insert_rows(struct adapter_conn *c, const struct relation *r, const char *const *cols,
                        size_t ncols, value rows, int64_t *inserted, struct diag *d);
int adapter_begin(struct adapter_conn *c, struct diag *d);
int adapter_commit(struct adapter_conn *c, struct diag *d);
int adapter_rollback(struct adapter_conn *c, struct diag *d); /* also forgets the cache */
bool adapter_in_transaction(struct adapter_conn *c);
/* Thread-safe. Sticky: the running statement, or the next to start, fails with "cancelled";
 * the connection is usable again after that failure. */
void adapter_cancel(struct adapter_conn *c);
/* adapter_cancel on each open connection of conns[0..n) (NULL entries skipped). */
void adapter_cancel_all(struct adapter_conn *const *conns, int n);

/* ---- query comments (dbt's query-comment) ----
 * adapter_exec, adapter_query and adapter_execute send `/\* <text> *\/\n<sql>` (or, with
 * append, `<sql>\n/\* <text> *\/` before a final `;`), and PostgreSQL's own metadata and DDL
 * statements carry it too; transaction control and bound-parameter inserts (seeds) do not, as in
 * dbt. The connection's comment wins over the adapter's default; text NULL or "" is none. The
 * text is copied. Set the default before threads use the adapter; a connection's own comment
 * from its thread. */
void adapter_set_default_comment(struct adapter *ad, const char *text, bool append);
void adapter_set_comment(struct adapter_conn *c, const char *text, bool append);
void adapter_reset_comment(struct adapter_conn *c); /* back to the adapter's default */
/* sql with c's comment into b; returns sql itself when there is none, else buf_cstr(b). */
const char *adapter_commented(const struct adapter_conn *c, const char *sql, struct buf *b);

/* ---- names and quoting ---- */
void adapter_quote_ident(const struct adapter *ad, const char *s, size_t n, struct buf *out);
void adapter_render_relation(const struct adapter *ad, const struct relation *r, struct buf *out);
const char *adapter_seed_type(const struct adapter *ad, enum seed_type t);

/* ---- relations (through the cache) ---- */
/* 1 found (out->type set, strings borrowed from the arguments), 0 absent, -1 error. */
int adapter_get_relation(struct adapter_conn *c, const char *database, const char *schema,
                         const char *ident, struct relation *out, struct diag *d);
int adapter_list_relations(struct adapter_conn *c, const char *database, const char *schema,
                           struct arena *a, struct relation **out, size_t *n, struct diag *d);
int adapter_get_columns(struct adapter_conn *c, const struct relation *r, struct arena *a,
                        struct adapter_column **cols, size_t *n, struct diag *d);
int adapter_create_schema(struct adapter_conn *c, const char *database, const char *schema,
                          struct diag *d);
/* Drops every relation of the schema (SQLite: every `schema__*` object). */
int adapter_drop_schema(struct adapter_conn *c, const char *database, const char *schema,
                        struct diag *d);
int adapter_drop_relation(struct adapter_conn *c, const struct relation *r, struct diag *d);
int adapter_rename_relation(struct adapter_conn *c, const struct relation *from,
                            const char *new_ident, struct diag *d);
/* `create table|view r as <select_sql>` (r->type chooses). */
int adapter_create_as(struct adapter_conn *c, const struct relation *r, const char *select_sql,
                      struct diag *d);
/* Replace target by tmp in one transaction (the table materialization's last step). */
int adapter_swap(struct adapter_conn *c, const struct relation *target, const struct relation *tmp,
                 struct diag *d);
/* The whole table/view materialization: build `<id>__dbt_tmp` from select_sql, then swap. On
 * error nothing is left behind and the old relation is untouched. */
int adapter_build(struct adapter_conn *c, const struct relation *target, const char *select_sql,
                  struct diag *d);

/* Incremental models and snapshots: the columns of `from` that `to` lacks (matched
 * case-insensitively, in from's order), and `alter table r add column "c" type` for each. */
int adapter_missing_columns(struct adapter_conn *c, const struct relation *from,
                            const struct relation *to, struct arena *a,
                            struct adapter_column **cols, size_t *n, struct diag *d);
int adapter_add_columns(struct adapter_conn *c, const struct relation *r,
                        const struct adapter_column *cols, size_t n, struct diag *d);

/* Cache hooks for DDL run as plain SQL (dbt's adapter.cache_added/dropped/renamed). */
void adapter_cache_added(struct adapter *ad, const struct relation *r);
void adapter_cache_dropped(struct adapter *ad, const struct relation *r);
void adapter_cache_renamed(struct adapter *ad, const struct relation *from, const char *new_ident);
void adapter_cache_clear(struct adapter *ad);
/* Number of list queries the cache has run (for tests and --debug). */
unsigned adapter_cache_loads(const struct adapter *ad);

/* ---- catalog (docs generate): relations of the given schemas with their columns ----
 * A relation whose columns cannot be read (a view over a dropped table) is listed without
 * columns and adds a DIAG_WARNING; -1 only when listing fails. */
int adapter_catalog(struct adapter_conn *c, const char *database, const char *const *schemas,
                    size_t nschemas, bool row_counts, struct arena *a,
                    struct adapter_catalog_rel **out, size_t *n, struct diag *d);

/* ---- the SQL formatter ----
 * Conversions: %I identifier (const char *, quoted), %L literal (const char *; NULL → NULL),
 * %R relation (const struct relation *), %.*I / %.*L / %.*s with an int length first, %s trusted
 * SQL text, integers and floats as printf (%d %i %u %x %ld %lld %zu %g %f ...), %%.
 * `ad` may be NULL (ANSI double-quoted identifiers; %R then needs an adapter). An unknown
 * conversion aborts: formats are literals written by us. */
void sqlfmt(struct buf *out, const struct adapter *ad, const char *fmt, ...);
void sqlfmt_v(struct buf *out, const struct adapter *ad, const char *fmt, va_list ap);
/* Plain helpers used by the formatter. */
void sql_quote_ident(struct buf *out, char q, const char *s, size_t n);
void sql_quote_literal(struct buf *out, const char *s, size_t n);

#endif
