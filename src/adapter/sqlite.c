/* sqlite: the embedded SQLite adapter.
 *
 * One file is one target database; schemas are a name prefix: relation (staging, orders) is the
 * table `staging__orders`, schema `main` has no prefix, and everything renders as
 * "main"."<physical name>" so that views can reference any relation of the file. Each worker
 * thread opens its own sqlite3 handle (SQLITE_OPEN_NOMUTEX) in WAL mode with a busy timeout;
 * foreign keys are off and `legacy_alter_table` is on, so renaming a table never rewrites (or
 * checks) the views that read it — a view keeps reading whatever table carries the name. */
#include "adapter_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <strings.h>

struct sqlite_adapter {
	struct adapter base;
	char *path;
	int timeout_ms;
};

struct sqlite_conn {
	struct adapter_conn base;
	sqlite3 *db;
	atomic_bool cancel;
	pthread_mutex_t close_mu; /* a cancel from another thread never meets a closing handle */
};

static const struct adapter_ops sqlite_ops;

/* ---- names ---- */

static bool is_main(const char *schema)
{
	return !schema || !*schema || strcasecmp(schema, "main") == 0;
}

static void sq_join_name(const struct adapter *ad, const char *schema, const char *ident,
                         struct buf *out)
{
	(void)ad;
	if (!is_main(schema)) {
		buf_puts(out, schema);
		buf_puts(out, "__");
	}
	buf_puts(out, ident);
}

static bool sq_split_name(const struct adapter *ad, const char *schema, const char *name,
                          const char **ident)
{
	(void)ad;
	if (is_main(schema)) {
		*ident = name;
		return strstr(name, "__") == NULL;
	}
	size_t n = strlen(schema);
	if (strncasecmp(name, schema, n) != 0 || name[n] != '_' || name[n + 1] != '_' ||
	    !name[n + 2])
		return false;
	*ident = name + n + 2;
	return true;
}

static bool plain_ident(const char *s)
{
	if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static void put_name(struct buf *out, const char *s, bool quote)
{
	if (quote || !plain_ident(s))
		sql_quote_ident(out, '"', s, strlen(s));
	else
		buf_puts(out, s);
}

static void sq_render_relation(const struct adapter *ad, const struct relation *r, struct buf *out)
{
	if (!(r->omit & REL_OMIT_DATABASE)) {
		const char *db = adapter_dbname(ad, r->database);
		put_name(out, strcasecmp(db, ad->database) == 0 ? "main" : db,
		         ad->quoting.database);
		buf_putc(out, '.');
	}
	/* the schema is part of the physical name, so REL_OMIT_SCHEMA cannot drop it */
	struct buf name = BUF_INIT;
	sq_join_name(ad, adapter_schemaname(ad, r->schema), r->identifier ? r->identifier : "",
	             &name);
	put_name(out, buf_cstr(&name), ad->quoting.identifier || ad->quoting.schema);
	buf_release(&name);
}

/* ---- connections ---- */

static int progress_cb(void *p)
{
	struct sqlite_conn *c = p;
	return atomic_load(&c->cancel) ? 1 : 0;
}

static int run_simple(struct sqlite_conn *c, const char *sql, struct diag *d)
{
	char *err = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		adapter_error(d, "%s", err ? err : sqlite3_errmsg(c->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* md5(text): the lower-case hex digest PostgreSQL's md5() gives (NULL stays NULL), which dbt's
 * snapshots hash their dbt_scd_id with. */
static void sql_md5(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	const unsigned char *p = sqlite3_value_text(argv[0]);
	int n = sqlite3_value_bytes(argv[0]);
	char hex[33];
	md5_hex(p ? (const void *)p : "", p ? (size_t)n : 0, hex);
	sqlite3_result_text(ctx, hex, 32, SQLITE_TRANSIENT);
}

static struct adapter_conn *sq_open(struct adapter *ad, struct diag *d)
{
	struct sqlite_adapter *sa = (struct sqlite_adapter *)ad;
	sqlite3 *db = NULL;
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
	if (sqlite3_open_v2(sa->path, &db, flags, NULL) != SQLITE_OK) {
		adapter_error(d, "cannot open SQLite database '%s': %s", sa->path,
		              db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	struct sqlite_conn *c = xcalloc(1, sizeof(*c));
	c->base.ad = ad;
	c->db = db;
	atomic_init(&c->cancel, false);
	pthread_mutex_init(&c->close_mu, NULL);
	sqlite3_busy_timeout(db, sa->timeout_ms);
	sqlite3_extended_result_codes(db, 0);
	if (run_simple(c,
	               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	               "PRAGMA foreign_keys=OFF; PRAGMA legacy_alter_table=ON;",
	               d) < 0) {
		sqlite3_close(db);
		pthread_mutex_destroy(&c->close_mu);
		free(c);
		return NULL;
	}
	sqlite3_create_function(db, "md5", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_md5, NULL,
	                        NULL);
	sqlite3_progress_handler(db, 1000, progress_cb, c);
	return &c->base;
}

static void sq_close(struct adapter_conn *base)
{
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	pthread_mutex_lock(&c->close_mu);
	sqlite3_close(c->db);
	c->db = NULL;
	pthread_mutex_unlock(&c->close_mu);
	pthread_mutex_destroy(&c->close_mu);
	free(c);
}

static void sq_cancel(struct adapter_conn *base)
{
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	atomic_store(&c->cancel, true);
	pthread_mutex_lock(&c->close_mu);
	if (c->db)
		sqlite3_interrupt(c->db);
	pthread_mutex_unlock(&c->close_mu);
}

/* ---- running SQL ---- */

static value column_value(sqlite3_stmt *st, int i, struct arena *a)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return v_int(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return v_float(sqlite3_column_double(st, i));
	case SQLITE_TEXT: {
		const unsigned char *t = sqlite3_column_text(st, i);
		return v_strdup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
	}
	case SQLITE_BLOB: {
		const void *b = sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i);
		return n ? v_strdup(a, b, (size_t)n) : v_str("", 0);
	}
	default:
		return v_none();
	}
}

static const char *storage_name(int t)
{
	switch (t) {
	case SQLITE_INTEGER:
		return "integer";
	case SQLITE_FLOAT:
		return "real";
	case SQLITE_TEXT:
		return "text";
	case SQLITE_BLOB:
		return "blob";
	default:
		return "";
	}
}

static void report(struct sqlite_conn *c, int rc, struct diag *d)
{
	if (rc == SQLITE_INTERRUPT || atomic_load(&c->cancel)) {
		atomic_store(&c->cancel, false);
		adapter_error(d, "query cancelled (%s)", sqlite3_errmsg(c->db));
	} else {
		adapter_error(d, "%s", sqlite3_errmsg(c->db));
	}
}

/* Runs every statement of sql; with `a`/`out`, keeps the rows of the last statement that has
 * columns. */
static int run_sql(struct sqlite_conn *c, const char *sql, struct adapter_response *resp,
                   struct arena *a, struct adapter_table *out, struct diag *d)
{
	const char *tail = sql;
	if (resp) {
		memcpy(resp->message, "OK", 3);
		resp->rows_affected = -1;
	}
	if (out)
		*out = (struct adapter_table){0, 0, NULL, v_list(a, 0)};
	while (tail && *tail) {
		if (atomic_load(&c->cancel)) {
			atomic_store(&c->cancel, false);
			adapter_error(d, "query cancelled (interrupted)");
			return -1;
		}
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(c->db, tail, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			report(c, rc, d);
			return -1;
		}
		if (!st)
			continue; /* whitespace or a comment */
		int ncols = sqlite3_column_count(st);
		bool keep = out && ncols > 0;
		value *items = NULL;
		if (keep) {
			out->ncols = (size_t)ncols;
			out->nrows = 0;
			out->rows = v_list(a, 8);
			out->cols = arena_zalloc(a, (size_t)ncols * sizeof(*out->cols));
			for (int i = 0; i < ncols; i++) {
				const char *nm = sqlite3_column_name(st, i);
				const char *dt = sqlite3_column_decltype(st, i);
				out->cols[i].name =
				    arena_strndup(a, nm ? nm : "", nm ? strlen(nm) : 0);
				out->cols[i].type = dt ? arena_strndup(a, dt, strlen(dt)) : "";
				out->cols[i].index = i + 1;
			}
			items = xmalloc((size_t)ncols * sizeof(*items));
		}
		int64_t before = sqlite3_total_changes64(c->db);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (!keep)
				continue;
			for (int i = 0; i < ncols; i++) {
				items[i] = column_value(st, i, a);
				if (!*out->cols[i].type && items[i].type != VT_NONE)
					out->cols[i].type =
					    storage_name(sqlite3_column_type(st, i));
			}
			vlist_push(out->rows.list, v_tuple(a, (uint32_t)ncols, items));
			out->nrows++;
		}
		free(items);
		if (rc != SQLITE_DONE) {
			report(c, rc, d);
			sqlite3_finalize(st);
			return -1;
		}
		if (resp)
			resp->rows_affected = sqlite3_stmt_readonly(st)
			                          ? -1
			                          : sqlite3_total_changes64(c->db) - before;
		sqlite3_finalize(st);
	}
	return 0;
}

static int sq_exec(struct adapter_conn *base, const char *sql, struct adapter_response *resp,
                   struct diag *d)
{
	return run_sql((struct sqlite_conn *)base, sql, resp, NULL, NULL, d);
}

static int sq_query(struct adapter_conn *base, const char *sql, struct adapter_response *resp,
                    struct arena *a, struct adapter_table *out, struct diag *d)
{
	return run_sql((struct sqlite_conn *)base, sql, resp, a, out, d);
}

static int bind_value(sqlite3_stmt *st, int i, value v)
{
	switch (v.type) {
	case VT_NONE:
	case VT_UNDEF:
		return sqlite3_bind_null(st, i);
	case VT_BOOL:
		return sqlite3_bind_int(st, i, v.b);
	case VT_INT:
		return sqlite3_bind_int64(st, i, v.i);
	case VT_FLOAT:
		return sqlite3_bind_double(st, i, v.f);
	case VT_STR:
		return sqlite3_bind_text64(st, i, v.s, v.len, SQLITE_TRANSIENT, SQLITE_UTF8);
	default: {
		struct buf b = BUF_INIT;
		v_to_str(v, &b);
		int rc =
		    sqlite3_bind_text64(st, i, buf_cstr(&b), b.n, SQLITE_TRANSIENT, SQLITE_UTF8);
		buf_release(&b);
		return rc;
	}
	}
}

static int sq_exec_params(struct adapter_conn *base, const char *sql, const value *params,
                          size_t nparams, struct adapter_response *resp, struct diag *d)
{
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	memcpy(resp->message, "OK", 3);
	resp->rows_affected = -1;
	if (atomic_load(&c->cancel)) {
		atomic_store(&c->cancel, false);
		adapter_error(d, "query cancelled (interrupted)");
		return -1;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK || !st) {
		if (rc == SQLITE_OK)
			adapter_error(d, "no statement to run");
		else
			report(c, rc, d);
		return -1;
	}
	if ((size_t)sqlite3_bind_parameter_count(st) != nparams) {
		adapter_error(d, "the statement has %d parameters; %zu values given",
		              sqlite3_bind_parameter_count(st), nparams);
		sqlite3_finalize(st);
		return -1;
	}
	for (size_t i = 0; i < nparams; i++) {
		if ((rc = bind_value(st, (int)i + 1, params[i])) != SQLITE_OK) {
			report(c, rc, d);
			sqlite3_finalize(st);
			return -1;
		}
	}
	int64_t before = sqlite3_total_changes64(c->db);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		report(c, rc, d);
		sqlite3_finalize(st);
		return -1;
	}
	resp->rows_affected =
	    sqlite3_stmt_readonly(st) ? -1 : sqlite3_total_changes64(c->db) - before;
	sqlite3_finalize(st);
	return 0;
}

static void sq_placeholder(int i, struct buf *out)
{
	(void)i;
	buf_putc(out, '?');
}

static bool sq_in_transaction(struct adapter_conn *base)
{
	return !sqlite3_get_autocommit(((struct sqlite_conn *)base)->db);
}

/* Writers take the lock up front: a deferred transaction that reads first cannot always
 * upgrade (SQLITE_BUSY_SNAPSHOT) when another thread wrote meanwhile. */
static int sq_begin(struct adapter_conn *base, struct diag *d)
{
	return run_simple((struct sqlite_conn *)base, "BEGIN IMMEDIATE", d);
}

static int sq_commit(struct adapter_conn *base, struct diag *d)
{
	return run_simple((struct sqlite_conn *)base, "COMMIT", d);
}

static int sq_rollback(struct adapter_conn *base, struct diag *d)
{
	if (!sq_in_transaction(base))
		return 0; /* SQLite already rolled back (e.g. after an interrupt) */
	return run_simple((struct sqlite_conn *)base, "ROLLBACK", d);
}

/* An atomic unit that nests: BEGIN IMMEDIATE outside a transaction, a savepoint inside one. */
static int atomic_begin(struct sqlite_conn *c, bool *own, struct diag *d)
{
	*own = !sq_in_transaction(&c->base);
	return run_simple(c, *own ? "BEGIN IMMEDIATE" : "SAVEPOINT silt_atomic", d);
}

static int atomic_end(struct sqlite_conn *c, bool own, int rcode, struct diag *d)
{
	if (rcode == 0) {
		if (run_simple(c, own ? "COMMIT" : "RELEASE silt_atomic", d) == 0)
			return 0;
	}
	if (own)
		sq_rollback(&c->base, NULL);
	else if (sq_in_transaction(&c->base))
		run_simple(c, "ROLLBACK TO silt_atomic; RELEASE silt_atomic", NULL);
	return -1;
}

/* ---- metadata ---- */

static enum rel_type type_of(const char *t)
{
	if (strcmp(t, "table") == 0)
		return REL_TABLE;
	if (strcmp(t, "view") == 0)
		return REL_VIEW;
	return REL_UNKNOWN;
}

static int sq_list_relations(struct adapter_conn *base, const char *database, const char *schema,
                             adapter_list_fn fn, void *ctx, struct diag *d)
{
	(void)schema; /* one query lists every schema of the file */
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	/* another database is an ATTACHed file of that name (an error when there is none) */
	bool own = strcasecmp(database, base->ad->database) == 0;
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, NULL,
	       "select name, type from %I.sqlite_master where type in ('table', 'view') "
	       "and name not like 'sqlite\\_%%' escape '\\'",
	       own ? "main" : database);
	sqlite3_stmt *st;
	int prc = sqlite3_prepare_v2(c->db, buf_cstr(&sql), -1, &st, NULL);
	buf_release(&sql);
	if (prc != SQLITE_OK) {
		report(c, prc, d);
		return -1;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(st, 0),
		   type_of((const char *)sqlite3_column_text(st, 1)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		report(c, rc, d);
		return -1;
	}
	return 0;
}

static void phys_name(const struct adapter *ad, const struct relation *r, struct buf *out)
{
	sq_join_name(ad, adapter_schemaname(ad, r->schema), r->identifier, out);
}

/* The type the file says a physical name has: REL_UNKNOWN when absent. -1 on error. */
static int phys_type(struct sqlite_conn *c, const char *name, enum rel_type *t, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, NULL, "select type, sql from sqlite_master where name = %L collate nocase",
	       name);
	struct adapter_table tab;
	int rcode = run_sql(c, buf_cstr(&sql), NULL, &a, &tab, d);
	*t = REL_UNKNOWN;
	if (rcode == 0 && tab.nrows) {
		value row = tab.rows.list->v[0];
		struct str ty = v_as_str(row.list->v[0]);
		*t = str_eqc(ty, "table")  ? REL_TABLE
		     : str_eqc(ty, "view") ? REL_VIEW
		                           : REL_UNKNOWN;
	}
	buf_release(&sql);
	arena_release(&a);
	return rcode;
}

static int sq_get_columns(struct adapter_conn *base, const struct relation *r, struct arena *a,
                          struct adapter_column **cols, size_t *n, struct diag *d)
{
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	struct buf name = BUF_INIT, sql = BUF_INIT;
	phys_name(base->ad, r, &name);
	sqlfmt(&sql, NULL, "select cid, name, type from pragma_table_info(%L) order by cid",
	       buf_cstr(&name));
	struct adapter_table tab;
	int rcode = run_sql(c, buf_cstr(&sql), NULL, a, &tab, d);
	*cols = NULL;
	*n = 0;
	if (rcode == 0 && tab.nrows) {
		*cols = arena_zalloc(a, tab.nrows * sizeof(**cols));
		for (size_t i = 0; i < tab.nrows; i++) {
			value *row = tab.rows.list->v[i].list->v;
			(*cols)[i].index = (int)row[0].i + 1;
			(*cols)[i].name = arena_strndup(a, row[1].s, row[1].len);
			(*cols)[i].type =
			    row[2].type == VT_STR ? arena_strndup(a, row[2].s, row[2].len) : "";
		}
		*n = tab.nrows;
	}
	buf_release(&name);
	buf_release(&sql);
	return rcode;
}

static int sq_row_count(struct adapter_conn *base, const struct relation *r, int64_t *n,
                        struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, base->ad, "select count(*) from %R", r);
	struct adapter_table tab;
	int rcode = run_sql((struct sqlite_conn *)base, buf_cstr(&sql), NULL, &a, &tab, d);
	*n = rcode == 0 && tab.nrows ? tab.rows.list->v[0].list->v[0].i : -1;
	buf_release(&sql);
	arena_release(&a);
	return rcode;
}

static const char *sq_catalog_label(enum rel_type t)
{
	return rel_type_name(t);
}

/* ---- DDL ---- */

static int sq_create_schema(struct adapter_conn *c, const char *database, const char *schema,
                            struct diag *d)
{
	(void)c, (void)database, (void)schema, (void)d;
	return 0; /* schemas are name prefixes: nothing to create */
}

static int sq_drop_relation(struct adapter_conn *base, const struct relation *r, struct diag *d)
{
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, base->ad, "drop %s if exists %R", r->type == REL_VIEW ? "view" : "table", r);
	int rcode = run_sql((struct sqlite_conn *)base, buf_cstr(&sql), NULL, NULL, NULL, d);
	buf_release(&sql);
	return rcode;
}

/* A view's stored text is normalised by SQLite: "CREATE VIEW name ..." with the database
 * qualifier removed. Return the part after the name, or NULL. */
static const char *view_body(const char *sql)
{
	const char *p = sql;
	if (strncasecmp(p, "CREATE VIEW ", 12) != 0)
		return NULL;
	p += 12;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "IF NOT EXISTS ", 14) == 0)
		p += 14;
	while (*p == ' ')
		p++;
	char close = *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : *p == '\'' ? '\'' : 0;
	if (close) {
		for (p++; *p; p++) {
			if (*p == close) {
				if (close != ']' && p[1] == close) {
					p++;
					continue;
				}
				return p + 1;
			}
		}
		return NULL;
	}
	while (*p && *p != ' ' && *p != '(' && *p != '\n' && *p != '\t')
		p++;
	return p;
}

/* Inside an atomic unit (or a transaction) of the caller. */
static int rename_in_txn(struct sqlite_conn *c, const struct relation *from, enum rel_type type,
                         const char *new_ident, struct diag *d)
{
	struct adapter *ad = c->base.ad;
	struct buf to = BUF_INIT, sql = BUF_INIT;
	sq_join_name(ad, adapter_schemaname(ad, from->schema), new_ident, &to);
	int rcode;
	if (type != REL_VIEW) {
		sqlfmt(&sql, ad, "alter table %R rename to %I", from, buf_cstr(&to));
		rcode = run_sql(c, buf_cstr(&sql), NULL, NULL, NULL, d);
	} else {
		/* SQLite cannot rename a view: re-create it under the new name */
		struct buf name = BUF_INIT;
		phys_name(ad, from, &name);
		struct arena a;
		arena_init(&a);
		sqlfmt(&sql, NULL,
		       "select sql from sqlite_master where type = 'view' and name = %L",
		       buf_cstr(&name));
		struct adapter_table tab;
		rcode = run_sql(c, buf_cstr(&sql), NULL, &a, &tab, d);
		const char *body = NULL;
		if (rcode == 0 && tab.nrows) {
			value v = tab.rows.list->v[0].list->v[0];
			body = v.type == VT_STR ? view_body(arena_strndup(&a, v.s, v.len)) : NULL;
		}
		if (rcode == 0 && !body) {
			adapter_error(d, "cannot rename view '%s': its definition was not found",
			              buf_cstr(&name));
			rcode = -1;
		}
		if (rcode == 0) {
			buf_reset(&sql);
			/* body is SQL text the database itself stored */
			sqlfmt(&sql, ad, "drop view %R; create view %I%s", from, buf_cstr(&to),
			       body);
			rcode = run_sql(c, buf_cstr(&sql), NULL, NULL, NULL, d);
		}
		arena_release(&a);
		buf_release(&name);
	}
	buf_release(&to);
	buf_release(&sql);
	return rcode;
}

static int sq_rename_relation(struct adapter_conn *base, const struct relation *from,
                              const char *new_ident, struct diag *d)
{
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	bool own;
	if (atomic_begin(c, &own, d) < 0)
		return -1;
	return atomic_end(c, own, rename_in_txn(c, from, from->type, new_ident, d), d);
}

/* target := tmp in one transaction: drop a leftover backup, rename target → backup, rename
 * tmp → target, drop backup. Readers (WAL) see the old relation until the commit, then the new. */
static int sq_swap(struct adapter_conn *base, const struct relation *target, enum rel_type old_type,
                   const struct relation *tmp, struct diag *d)
{
	(void)old_type; /* the file, read inside the transaction, is the authority */
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	struct adapter *ad = base->ad;
	bool own;
	if (atomic_begin(c, &own, d) < 0)
		return -1;
	struct buf bname = BUF_INIT, phys = BUF_INIT;
	buf_printf(&bname, "%s__dbt_backup", target->identifier);
	struct relation backup = {target->database, target->schema, buf_cstr(&bname), REL_UNKNOWN,
	                          0};
	struct relation old = *target;
	int rcode = 0;
	phys_name(ad, &backup, &phys);
	rcode = phys_type(c, buf_cstr(&phys), &backup.type, d);
	if (rcode == 0 && backup.type != REL_UNKNOWN)
		rcode = sq_drop_relation(base, &backup, d);
	buf_reset(&phys);
	phys_name(ad, target, &phys);
	if (rcode == 0)
		rcode = phys_type(c, buf_cstr(&phys), &old.type, d);
	if (rcode == 0 && old.type != REL_UNKNOWN)
		rcode = rename_in_txn(c, &old, old.type, backup.identifier, d);
	enum rel_type tmp_type = REL_UNKNOWN;
	buf_reset(&phys);
	phys_name(ad, tmp, &phys);
	if (rcode == 0)
		rcode = phys_type(c, buf_cstr(&phys), &tmp_type, d);
	if (rcode == 0 && tmp_type == REL_UNKNOWN) {
		adapter_error(d, "cannot swap in '%s': it does not exist", buf_cstr(&phys));
		rcode = -1;
	}
	if (rcode == 0)
		rcode = rename_in_txn(c, tmp, tmp_type, target->identifier, d);
	backup.type = old.type;
	if (rcode == 0 && old.type != REL_UNKNOWN)
		rcode = sq_drop_relation(base, &backup, d);
	buf_release(&bname);
	buf_release(&phys);
	return atomic_end(c, own, rcode, d);
}

/* ---- the adapter ---- */

static void sq_free(struct adapter *ad)
{
	struct sqlite_adapter *sa = (struct sqlite_adapter *)ad;
	adapter_base_release(ad);
	free(sa->path);
	free(sa);
}

static const struct adapter_ops sqlite_ops = {
    .type = "sqlite",
    .database_alias = "main",
    .lists_whole_database = true,
    .quote_char = '"',
    .free = sq_free,
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .query = sq_query,
    .exec_params = sq_exec_params,
    .placeholder = sq_placeholder,
    .max_params = 32766, /* SQLITE_MAX_VARIABLE_NUMBER's default since 3.32 */
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_transaction = sq_in_transaction,
    .cancel = sq_cancel,
    .join_name = sq_join_name,
    .split_name = sq_split_name,
    .render_relation = sq_render_relation,
    .list_relations = sq_list_relations,
    .get_columns = sq_get_columns,
    .row_count = sq_row_count,
    .catalog_label = sq_catalog_label,
    .create_schema = sq_create_schema,
    .drop_relation = sq_drop_relation,
    .rename_relation = sq_rename_relation,
    .swap = sq_swap,
    .seed_types =
        {
            [SEED_TEXT] = "text",
            [SEED_INTEGER] = "integer",
            [SEED_NUMBER] = "real",
            [SEED_BOOLEAN] = "boolean",
            [SEED_DATE] = "date",
            [SEED_DATETIME] = "datetime",
            [SEED_TIME] = "time",
            [SEED_TIMEDELTA] = "text",
        },
};

struct adapter *sqlite_adapter_new(value target, const char *project_dir, struct diag *d)
{
	char *path = target_strdup(target, "path");
	value sp;
	if (!path && target.type == VT_DICT &&
	    vdict_gets(target.dict, STR("schemas_and_paths"), &sp) && sp.type == VT_DICT) {
		value m;
		if (vdict_gets(sp.dict, STR("main"), &m) && m.type == VT_STR)
			path = xmemdup0(m.s, m.len);
		if (sp.dict->live > 1)
			diag_add(d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
			         "sqlite: schemas_and_paths entries other than 'main' are ignored; "
			         "schemas are name prefixes in one file");
	}
	if (!path || !*path) {
		free(path);
		adapter_error(
		    d, "the sqlite target needs 'path' (or schemas_and_paths: {main: FILE})");
		return NULL;
	}
	if (target_has(target, "schema_directory"))
		diag_add(
		    d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
		    "sqlite: 'schema_directory' is ignored; schemas are name prefixes in one file");
	struct sqlite_adapter *sa = xcalloc(1, sizeof(*sa));
	if (path[0] != '/' && strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0 &&
	    project_dir && *project_dir) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s/%s", project_dir, path);
		free(path);
		path = buf_detach(&b, NULL);
	}
	sa->path = path;
	int64_t t = target_int(target, "timeout", 30);
	sa->timeout_ms = t > 0 && t < 3600 ? (int)t * 1000 : 30000;
	adapter_base_init(&sa->base, &sqlite_ops, target, "main");
	return &sa->base;
}
