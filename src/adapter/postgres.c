/* postgres: the PostgreSQL adapter, through libpq.
 *
 * The profile fields are dbt-postgres' (host, port, user, password|pass, dbname|database, schema,
 * threads, sslmode, sslcert, sslkey, sslrootcert, connect_timeout, search_path, role,
 * keepalives_idle, application_name, retries). Each worker thread opens its own PGconn; the
 * relation cache is filled by one pg_class query per schema. Relations render as dbt-postgres
 * renders them: "database"."schema"."identifier", each part quoted unless `quoting:` says not.
 *
 * Results come back as text and are converted by type OID: integers to int, floats and
 * non-integral numerics to float, booleans to bool, everything else to str.
 *
 * Cancel (from any thread) sends PQcancel on a PGcancel taken at connect time and sets a sticky
 * flag: the running statement, or the next one to start, fails with "query cancelled". A
 * connection the server dropped (pg_terminate_backend, a restart) is re-opened before its next
 * statement; the statement that saw the loss fails, so the node using it fails and its
 * transaction — with whatever it had built beside the old relation — is gone. */
#include "adapter_int.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>
#include <time.h>

struct pg_adapter {
	struct adapter base;
	/* libpq connection keywords and values, NULL-terminated */
	const char *keys[20];
	const char *vals[20];
	char *owned[20]; /* the values we allocated */
	char *role;
	int retries;
};

struct pg_conn {
	struct adapter_conn base;
	PGconn *conn;
	PGcancel *cancel_obj;
	atomic_bool cancel;
	bool cascaded;           /* a notice said "drop cascades to ..." */
	pthread_mutex_t cancel_mu; /* a cancel from another thread never meets a closing handle */
};

static const struct adapter_ops pg_ops;

/* ---- names ---- */

/* The cache key of a relation: "schema.identifier" (one database per PostgreSQL connection). */
static void pg_join_name(const struct adapter *ad, const char *schema, const char *ident,
                         struct buf *out)
{
	(void)ad;
	buf_puts(out, schema);
	buf_putc(out, '.');
	buf_puts(out, ident);
}

static bool pg_split_name(const struct adapter *ad, const char *schema, const char *name,
                          const char **ident)
{
	(void)ad;
	size_t n = strlen(schema);
	if (strncasecmp(name, schema, n) != 0 || name[n] != '.' || !name[n + 1])
		return false;
	*ident = name + n + 1;
	return true;
}

static void put_part(struct buf *out, const char *s, bool quote)
{
	if (quote)
		sql_quote_ident(out, '"', s, strlen(s));
	else
		buf_puts(out, s);
}

static void pg_render_relation(const struct adapter *ad, const struct relation *r, struct buf *out)
{
	size_t start = out->n;
	if (!(r->omit & REL_OMIT_DATABASE)) {
		put_part(out, adapter_dbname(ad, r->database), ad->quoting.database);
	}
	if (!(r->omit & REL_OMIT_SCHEMA)) {
		if (out->n > start)
			buf_putc(out, '.');
		put_part(out, adapter_schemaname(ad, r->schema), ad->quoting.schema);
	}
	if (r->identifier && *r->identifier) {
		if (out->n > start)
			buf_putc(out, '.');
		put_part(out, r->identifier, ad->quoting.identifier);
	}
}

/* ---- errors ---- */

/* libpq's messages end in newlines and server errors start with "ERROR:  "; dbt shows the rest. */
static void pg_message(struct diag *d, const char *prefix, const char *msg)
{
	if (!msg || !*msg)
		msg = "unknown error";
	if (strncmp(msg, "ERROR:  ", 8) == 0)
		msg += 8;
	else if (strncmp(msg, "FATAL:  ", 8) == 0)
		msg += 8;
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	adapter_error(d, "%s%.*s", prefix ? prefix : "", (int)n, msg);
}

static void conn_error(struct pg_conn *c, PGresult *res, struct diag *d)
{
	bool cancelled = atomic_exchange(&c->cancel, false);
	const char *msg = res ? PQresultErrorMessage(res) : NULL;
	/* a lost connection: the connection's message carries the server's last word ("FATAL:
	 * terminating connection due to administrator command") before libpq's own */
	if (!msg || !*msg || PQstatus(c->conn) == CONNECTION_BAD)
		msg = PQerrorMessage(c->conn);
	pg_message(d, cancelled ? "query cancelled: " : NULL, msg);
}

/* ---- connections ---- */

static void notice_receiver(void *arg, const PGresult *res)
{
	struct pg_conn *c = arg;
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (m && strncmp(m, "drop cascades to", 16) == 0)
		c->cascaded = true;
	/* other notices ("schema ... already exists, skipping") are not the user's concern */
}

/* Connection failures worth another attempt: the server is not there (yet), not a refusal. */
static bool retryable(const char *msg)
{
	static const char *const words[] = {"Connection refused", "timeout expired",
	                                    "starting up", "shutting down", "could not connect",
	                                    "Connection reset", "No route to host", NULL};
	for (size_t i = 0; words[i]; i++)
		if (msg && strstr(msg, words[i]))
			return true;
	return false;
}

static int run_simple(struct pg_conn *c, const char *sql, struct diag *d);

static PGconn *connect_with_retries(struct pg_adapter *pa, struct diag *d)
{
	for (int attempt = 0;; attempt++) {
		PGconn *conn = PQconnectdbParams(pa->keys, pa->vals, 0);
		if (conn && PQstatus(conn) == CONNECTION_OK)
			return conn;
		const char *msg = conn ? PQerrorMessage(conn) : "out of memory";
		if (attempt >= pa->retries || !retryable(msg)) {
			pg_message(d, "could not connect to PostgreSQL: ", msg);
			PQfinish(conn);
			return NULL;
		}
		PQfinish(conn);
		struct timespec ts = {attempt < 3 ? 1 << attempt : 8, 0};
		nanosleep(&ts, NULL);
	}
}

/* After (re)connecting: notices, the role, a cancel handle. */
static int setup_conn(struct pg_conn *c, struct diag *d)
{
	struct pg_adapter *pa = (struct pg_adapter *)c->base.ad;
	PQsetNoticeReceiver(c->conn, notice_receiver, c);
	if (pa->role) {
		struct buf sql = BUF_INIT;
		sqlfmt(&sql, NULL, "set role %I", pa->role);
		int rc = run_simple(c, buf_cstr(&sql), d);
		buf_release(&sql);
		if (rc < 0)
			return -1;
	}
	pthread_mutex_lock(&c->cancel_mu);
	if (c->cancel_obj)
		PQfreeCancel(c->cancel_obj);
	c->cancel_obj = PQgetCancel(c->conn);
	pthread_mutex_unlock(&c->cancel_mu);
	return 0;
}

static struct adapter_conn *pg_open(struct adapter *ad, struct diag *d)
{
	struct pg_adapter *pa = (struct pg_adapter *)ad;
	PGconn *conn = connect_with_retries(pa, d);
	if (!conn)
		return NULL;
	struct pg_conn *c = xcalloc(1, sizeof(*c));
	c->base.ad = ad;
	c->conn = conn;
	atomic_init(&c->cancel, false);
	pthread_mutex_init(&c->cancel_mu, NULL);
	if (setup_conn(c, d) < 0) {
		PQfinish(conn);
		pthread_mutex_destroy(&c->cancel_mu);
		free(c);
		return NULL;
	}
	return &c->base;
}

static void pg_close(struct adapter_conn *base)
{
	struct pg_conn *c = (struct pg_conn *)base;
	pthread_mutex_lock(&c->cancel_mu);
	if (c->cancel_obj)
		PQfreeCancel(c->cancel_obj);
	c->cancel_obj = NULL;
	pthread_mutex_unlock(&c->cancel_mu);
	PQfinish(c->conn);
	pthread_mutex_destroy(&c->cancel_mu);
	free(c);
}

static void pg_cancel(struct adapter_conn *base)
{
	struct pg_conn *c = (struct pg_conn *)base;
	atomic_store(&c->cancel, true);
	pthread_mutex_lock(&c->cancel_mu);
	if (c->cancel_obj) {
		char err[256];
		PQcancel(c->cancel_obj, err, sizeof(err)); /* best effort: the flag is sticky */
	}
	pthread_mutex_unlock(&c->cancel_mu);
}

/* Before a statement: a pending cancel fails it; a connection the server dropped is re-opened
 * (only outside a transaction — a lost transaction cannot be resumed anyway). */
static int before_statement(struct pg_conn *c, struct diag *d)
{
	if (atomic_exchange(&c->cancel, false)) {
		adapter_error(d, "query cancelled");
		return -1;
	}
	if (PQstatus(c->conn) == CONNECTION_BAD) {
		struct pg_adapter *pa = (struct pg_adapter *)c->base.ad;
		PGconn *fresh = connect_with_retries(pa, d);
		if (!fresh)
			return -1;
		PQfinish(c->conn);
		c->conn = fresh;
		if (setup_conn(c, d) < 0)
			return -1;
	}
	c->cascaded = false;
	return 0;
}

/* ---- running SQL ---- */

enum {
	OID_BOOL = 16,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_OID = 26,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_NUMERIC = 1700,
};

static const struct {
	Oid oid;
	const char *name;
} type_names[] = {
    {16, "boolean"},
    {20, "bigint"},
    {21, "smallint"},
    {23, "integer"},
    {25, "text"},
    {26, "oid"},
    {19, "name"},
    {114, "json"},
    {700, "real"},
    {701, "double precision"},
    {1042, "character"},
    {1043, "character varying"},
    {1082, "date"},
    {1083, "time without time zone"},
    {1114, "timestamp without time zone"},
    {1184, "timestamp with time zone"},
    {1186, "interval"},
    {1700, "numeric"},
    {2950, "uuid"},
    {3802, "jsonb"},
};

static const char *type_name(Oid oid)
{
	for (size_t i = 0; i < ARRAY_LEN(type_names); i++)
		if (type_names[i].oid == oid)
			return type_names[i].name;
	return "";
}

static value cell_value(PGresult *res, int r, int i, struct arena *a)
{
	if (PQgetisnull(res, r, i))
		return v_none();
	const char *s = PQgetvalue(res, r, i);
	size_t n = (size_t)PQgetlength(res, r, i);
	char *end;
	switch (PQftype(res, i)) {
	case OID_BOOL:
		return v_bool(s[0] == 't');
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return v_int(strtoll(s, NULL, 10));
	case OID_FLOAT4:
	case OID_FLOAT8:
		return v_float(strtod(s, NULL));
	case OID_NUMERIC:
		if (!strpbrk(s, ".eEN")) {
			errno = 0;
			long long x = strtoll(s, &end, 10);
			if (errno == 0 && *end == 0)
				return v_int(x);
		}
		return v_float(strtod(s, NULL));
	default:
		return v_strdup(a, s, n);
	}
}

static void fill_response(PGresult *res, struct adapter_response *resp)
{
	if (!resp)
		return;
	const char *status = PQcmdStatus(res);
	snprintf(resp->message, sizeof(resp->message), "%s", status && *status ? status : "OK");
	const char *tuples = PQcmdTuples(res);
	resp->rows_affected = tuples && *tuples ? strtoll(tuples, NULL, 10) : -1;
}

static void fill_table(PGresult *res, struct arena *a, struct adapter_table *out)
{
	int ncols = PQnfields(res), nrows = PQntuples(res);
	out->ncols = (size_t)ncols;
	out->nrows = (size_t)nrows;
	out->cols = arena_zalloc(a, (size_t)(ncols ? ncols : 1) * sizeof(*out->cols));
	for (int i = 0; i < ncols; i++) {
		const char *nm = PQfname(res, i);
		out->cols[i].name = arena_strndup(a, nm, strlen(nm));
		out->cols[i].type = type_name(PQftype(res, i));
		out->cols[i].index = i + 1;
	}
	out->rows = v_list(a, (uint32_t)nrows);
	value *items = xmalloc((size_t)(ncols ? ncols : 1) * sizeof(*items));
	for (int r = 0; r < nrows; r++) {
		for (int i = 0; i < ncols; i++)
			items[i] = cell_value(res, r, i, a);
		vlist_push(out->rows.list, v_tuple(a, (uint32_t)ncols, items));
	}
	free(items);
}

static bool result_ok(PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
}

/* One or several statements (the simple query protocol); rows of the last one. */
static int send_sql(struct pg_conn *c, const char *sql, struct adapter_response *resp,
                   struct arena *a, struct adapter_table *out, struct diag *d)
{
	if (resp) {
		memcpy(resp->message, "OK", 3);
		resp->rows_affected = -1;
	}
	if (out)
		*out = (struct adapter_table){0, 0, NULL, v_list(a, 0)};
	if (before_statement(c, d) < 0)
		return -1;
	PGresult *res = PQexec(c->conn, sql);
	if (!res || !result_ok(res)) {
		conn_error(c, res, d);
		PQclear(res);
		return -1;
	}
	fill_response(res, resp);
	if (out && PQresultStatus(res) == PGRES_TUPLES_OK)
		fill_table(res, a, out);
	PQclear(res);
	return 0;
}

/* Transaction control: sent as it is, without the query comment (as dbt sends BEGIN). */
static int run_simple(struct pg_conn *c, const char *sql, struct diag *d)
{
	return send_sql(c, sql, NULL, NULL, NULL, d);
}

/* The adapter's own metadata and DDL statements, with the query comment. */
static int run_sql(struct pg_conn *c, const char *sql, struct adapter_response *resp,
                   struct arena *a, struct adapter_table *out, struct diag *d)
{
	struct buf b = BUF_INIT;
	int rc = send_sql(c, adapter_commented(&c->base, sql, &b), resp, a, out, d);
	buf_release(&b);
	return rc;
}

static int run_ddl(struct pg_conn *c, const char *sql, struct diag *d)
{
	return run_sql(c, sql, NULL, NULL, NULL, d);
}

/* adapter_exec/adapter_query have added the comment already */
static int pg_exec(struct adapter_conn *base, const char *sql, struct adapter_response *resp,
                   struct diag *d)
{
	return send_sql((struct pg_conn *)base, sql, resp, NULL, NULL, d);
}

static int pg_query(struct adapter_conn *base, const char *sql, struct adapter_response *resp,
                    struct arena *a, struct adapter_table *out, struct diag *d)
{
	return send_sql((struct pg_conn *)base, sql, resp, a, out, d);
}

/* Bound parameters, all as text: the server infers their types from where they are used. */
static int params_query(struct pg_conn *c, const char *sql, const value *params, size_t nparams,
                        struct adapter_response *resp, struct arena *a,
                        struct adapter_table *out, struct diag *d)
{
	if (nparams > 65535) {
		adapter_error(d, "%zu parameters; PostgreSQL allows 65535 per statement", nparams);
		return -1;
	}
	if (before_statement(c, d) < 0)
		return -1;
	struct arena tmp;
	arena_init(&tmp);
	const char **vals = arena_zalloc(&tmp, (nparams ? nparams : 1) * sizeof(*vals));
	for (size_t i = 0; i < nparams; i++) {
		value v = params[i];
		switch (v.type) {
		case VT_NONE:
		case VT_UNDEF:
			vals[i] = NULL;
			break;
		case VT_BOOL:
			vals[i] = v.b ? "true" : "false";
			break;
		case VT_STR:
			vals[i] = arena_strndup(&tmp, v.s, v.len);
			break;
		default: {
			struct buf b = BUF_INIT;
			v_to_str(v, &b);
			vals[i] = arena_strndup(&tmp, buf_cstr(&b), b.n);
			buf_release(&b);
		}
		}
	}
	PGresult *res = PQexecParams(c->conn, sql, (int)nparams, NULL, vals, NULL, NULL, 0);
	int rc = 0;
	if (!res || !result_ok(res)) {
		conn_error(c, res, d);
		rc = -1;
	} else {
		fill_response(res, resp);
		if (out && PQresultStatus(res) == PGRES_TUPLES_OK)
			fill_table(res, a, out);
	}
	PQclear(res);
	arena_release(&tmp);
	return rc;
}

/* The adapter's own catalog queries, with the query comment. */
static int meta_query(struct pg_conn *c, const char *sql, const value *params, size_t nparams,
                      struct adapter_response *resp, struct arena *a, struct adapter_table *out,
                      struct diag *d)
{
	struct buf b = BUF_INIT;
	int rc = params_query(c, adapter_commented(&c->base, sql, &b), params, nparams, resp, a, out, d);
	buf_release(&b);
	return rc;
}

static int pg_exec_params(struct adapter_conn *base, const char *sql, const value *params,
                          size_t nparams, struct adapter_response *resp, struct diag *d)
{
	memcpy(resp->message, "OK", 3);
	resp->rows_affected = -1;
	return params_query((struct pg_conn *)base, sql, params, nparams, resp, NULL, NULL, d);
}

static void pg_placeholder(int i, struct buf *out)
{
	buf_printf(out, "$%d", i);
}

static bool pg_in_transaction(struct adapter_conn *base)
{
	PGTransactionStatusType s = PQtransactionStatus(((struct pg_conn *)base)->conn);
	return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

static int pg_begin(struct adapter_conn *base, struct diag *d)
{
	return run_simple((struct pg_conn *)base, "begin", d);
}

static int pg_commit(struct adapter_conn *base, struct diag *d)
{
	return run_simple((struct pg_conn *)base, "commit", d);
}

static int pg_rollback(struct adapter_conn *base, struct diag *d)
{
	struct pg_conn *c = (struct pg_conn *)base;
	if (!pg_in_transaction(base))
		return 0; /* nothing open (or the connection is gone, and the transaction with it) */
	/* a rollback must not be refused by a pending cancel */
	PGresult *res = PQexec(c->conn, "rollback");
	int rc = 0;
	if (!res || !result_ok(res)) {
		pg_message(d, NULL, res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* An atomic unit that nests: a transaction outside one, a savepoint inside one. */
static int atomic_begin(struct pg_conn *c, bool *own, struct diag *d)
{
	*own = !pg_in_transaction(&c->base);
	return run_simple(c, *own ? "begin" : "savepoint silt_atomic", d);
}

static int atomic_end(struct pg_conn *c, bool own, int rcode, struct diag *d)
{
	if (rcode == 0 && run_simple(c, own ? "commit" : "release savepoint silt_atomic", d) == 0)
		return 0;
	if (own) {
		pg_rollback(&c->base, NULL);
	} else if (pg_in_transaction(&c->base)) {
		PGresult *res = PQexec(c->conn, "rollback to savepoint silt_atomic; "
		                                "release savepoint silt_atomic");
		PQclear(res);
	}
	return -1;
}

/* ---- metadata ---- */

static enum rel_type relkind_type(const char *k)
{
	switch (k[0]) {
	case 'r':
	case 'p':
	case 'f':
		return REL_TABLE;
	case 'v':
		return REL_VIEW;
	case 'm':
		return REL_MATERIALIZED_VIEW;
	default:
		return REL_UNKNOWN;
	}
}

/* PostgreSQL reaches one database per connection. */
static int same_database(struct pg_conn *c, const char *database, struct diag *d)
{
	const char *cur = c->base.ad->database;
	if (!database || !*database || strcmp(database, cur) == 0)
		return 0;
	adapter_error(d,
	              "cross-database reference to '%s': PostgreSQL reaches only the connection's "
	              "database '%s'",
	              database, cur);
	return -1;
}

static int pg_list_relations(struct adapter_conn *base, const char *database, const char *schema,
                             adapter_list_fn fn, void *ctx, struct diag *d)
{
	struct pg_conn *c = (struct pg_conn *)base;
	if (same_database(c, database, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct adapter_table t;
	value p = v_cstr(schema);
	int rc = meta_query(c,
	                      "select c.relname, c.relkind::text from pg_catalog.pg_class c "
	                      "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
	                      "where n.nspname = $1 and c.relkind in ('r', 'p', 'f', 'v', 'm')",
	                      &p, 1, NULL, &a, &t, d);
	if (rc == 0) {
		struct buf name = BUF_INIT;
		for (size_t i = 0; i < t.nrows; i++) {
			value *row = t.rows.list->v[i].list->v;
			buf_reset(&name);
			pg_join_name(base->ad, schema, row[0].s, &name);
			fn(ctx, buf_cstr(&name), relkind_type(row[1].s));
		}
		buf_release(&name);
	}
	arena_release(&a);
	return rc;
}

/* The regclass text of a relation: "schema"."ident", or just "ident" for a temporary relation
 * rendered without its schema (search_path finds pg_temp first). */
static void regclass_text(const struct adapter *ad, const struct relation *r, struct buf *out)
{
	if (r->omit & REL_OMIT_SCHEMA)
		sqlfmt(out, NULL, "%I", r->identifier);
	else
		sqlfmt(out, NULL, "%I.%I", adapter_schemaname(ad, r->schema), r->identifier);
}

static int pg_get_columns(struct adapter_conn *base, const struct relation *r, struct arena *a,
                          struct adapter_column **cols, size_t *n, struct diag *d)
{
	struct pg_conn *c = (struct pg_conn *)base;
	*cols = NULL;
	*n = 0;
	if (!(r->omit & REL_OMIT_DATABASE) && same_database(c, r->database ? adapter_dbname(base->ad, r->database) : NULL, d) < 0)
		return -1;
	struct buf name = BUF_INIT;
	regclass_text(base->ad, r, &name);
	value p = v_cstr(buf_cstr(&name));
	struct adapter_table t;
	/* to_regclass: a missing relation has no columns, as in dbt */
	int rc = meta_query(c,
	                      "select a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) "
	                      "from pg_catalog.pg_attribute a "
	                      "where a.attrelid = pg_catalog.to_regclass($1) and a.attnum > 0 "
	                      "and not a.attisdropped order by a.attnum",
	                      &p, 1, NULL, a, &t, d);
	buf_release(&name);
	if (rc < 0 || !t.nrows)
		return rc;
	*cols = arena_zalloc(a, t.nrows * sizeof(**cols));
	for (size_t i = 0; i < t.nrows; i++) {
		value *row = t.rows.list->v[i].list->v;
		(*cols)[i].name = row[0].s;
		(*cols)[i].type = row[1].type == VT_STR ? row[1].s : "";
		(*cols)[i].index = (int)i + 1;
	}
	*n = t.nrows;
	return 0;
}

static int pg_row_count(struct adapter_conn *base, const struct relation *r, int64_t *n,
                        struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, base->ad, "select count(*) from %R", r);
	struct adapter_table t;
	int rc = run_sql((struct pg_conn *)base, buf_cstr(&sql), NULL, &a, &t, d);
	*n = rc == 0 && t.nrows ? t.rows.list->v[0].list->v[0].i : -1;
	buf_release(&sql);
	arena_release(&a);
	return rc;
}

static const char *pg_catalog_label(enum rel_type t)
{
	switch (t) {
	case REL_TABLE:
		return "BASE TABLE";
	case REL_VIEW:
		return "VIEW";
	case REL_MATERIALIZED_VIEW:
		return "MATERIALIZED VIEW";
	default:
		return "UNKNOWN";
	}
}

/* docs generate: every relation of the schemas with its columns, in one query. */
static int pg_catalog(struct adapter_conn *base, const char *database, const char *const *schemas,
                      size_t nschemas, bool row_counts, struct arena *a,
                      struct adapter_catalog_rel **out, size_t *nout, struct diag *d)
{
	struct pg_conn *c = (struct pg_conn *)base;
	*out = NULL;
	*nout = 0;
	if (!nschemas)
		return 0;
	if (same_database(c, adapter_dbname(base->ad, database), d) < 0)
		return -1;
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, NULL,
	       "select n.nspname::text, c.relname::text, c.relkind::text, a.attname::text, "
	       "pg_catalog.format_type(a.atttypid, a.atttypmod), %s "
	       "from pg_catalog.pg_class c "
	       "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
	       "left join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 "
	       "and not a.attisdropped "
	       "where c.relkind in ('r', 'p', 'f', 'v', 'm') and n.nspname in (",
	       row_counts ? "c.reltuples::bigint" : "null::bigint");
	for (size_t i = 0; i < nschemas; i++)
		sqlfmt(&sql, NULL, i ? ", %L" : "%L", schemas[i]);
	buf_puts(&sql, ") order by 1, 2, a.attnum");
	struct adapter_table t;
	int rc = run_sql(c, buf_cstr(&sql), NULL, a, &t, d);
	buf_release(&sql);
	if (rc < 0)
		return -1;
	VEC(struct adapter_catalog_rel) v = {0};
	VEC(struct adapter_column) cols = {0};
	for (size_t i = 0; i <= t.nrows; i++) {
		value *row = i < t.nrows ? t.rows.list->v[i].list->v : NULL;
		struct adapter_catalog_rel *last = v.n ? &v.v[v.n - 1] : NULL;
		bool same = row && last && strcmp(last->rel.schema, row[0].s) == 0 &&
		            strcmp(last->rel.identifier, row[1].s) == 0;
		if (!same && last) { /* close the previous relation */
			last->ncols = cols.n;
			last->cols = arena_alloc(a, (cols.n ? cols.n : 1) * sizeof(*last->cols));
			memcpy(last->cols, cols.v, cols.n * sizeof(*cols.v));
			cols.n = 0;
		}
		if (!row)
			break;
		if (!same) {
			struct adapter_catalog_rel cr = {0};
			cr.rel = (struct relation){adapter_dbname(base->ad, database), row[0].s,
			                           row[1].s, relkind_type(row[2].s), 0};
			cr.type_label = pg_catalog_label(cr.rel.type);
			cr.row_count = row[5].type == VT_INT && cr.rel.type == REL_TABLE ? row[5].i : -1;
			vec_push(&v, cr);
		}
		if (row[3].type == VT_STR) {
			struct adapter_column col = {row[3].s, row[4].type == VT_STR ? row[4].s : "",
			                             (int)cols.n + 1};
			vec_push(&cols, col);
		}
	}
	if (v.n) {
		*out = arena_alloc(a, v.n * sizeof(**out));
		memcpy(*out, v.v, v.n * sizeof(**out));
		*nout = v.n;
	}
	vec_free(&v);
	vec_free(&cols);
	return 0;
}

/* ---- DDL ---- */

static int pg_create_schema(struct adapter_conn *base, const char *database, const char *schema,
                            struct diag *d)
{
	struct pg_conn *c = (struct pg_conn *)base;
	if (same_database(c, database, d) < 0)
		return -1;
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, NULL, "create schema if not exists %I", schema);
	int rc = run_ddl(c, buf_cstr(&sql), d);
	buf_release(&sql);
	return rc;
}

static int pg_drop_schema(struct adapter_conn *base, const char *database, const char *schema,
                          struct diag *d)
{
	struct pg_conn *c = (struct pg_conn *)base;
	if (same_database(c, database, d) < 0)
		return -1;
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, NULL, "drop schema if exists %I cascade", schema);
	int rc = run_ddl(c, buf_cstr(&sql), d);
	buf_release(&sql);
	return rc;
}

static const char *kind_word(enum rel_type t)
{
	return t == REL_VIEW                ? "view"
	       : t == REL_MATERIALIZED_VIEW ? "materialized view"
	                                    : "table";
}

/* `drop ... cascade` as dbt-postgres does: views that read the relation go with it, so the
 * cache, which does not know them, is forgotten when the server says something cascaded. */
static int drop_in(struct pg_conn *c, const struct relation *r, struct diag *d)
{
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, c->base.ad, "drop %s if exists %R cascade", kind_word(r->type), r);
	int rc = run_ddl(c, buf_cstr(&sql), d);
	buf_release(&sql);
	if (rc == 0 && c->cascaded)
		adapter_cache_clear(c->base.ad);
	return rc;
}

static int pg_drop_relation(struct adapter_conn *base, const struct relation *r, struct diag *d)
{
	return drop_in((struct pg_conn *)base, r, d);
}

static int rename_in(struct pg_conn *c, const struct relation *from, enum rel_type type,
                     const char *new_ident, struct diag *d)
{
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, c->base.ad, "alter %s %R rename to %I", kind_word(type), from, new_ident);
	int rc = run_ddl(c, buf_cstr(&sql), d);
	buf_release(&sql);
	return rc;
}

static int pg_rename_relation(struct adapter_conn *base, const struct relation *from,
                              const char *new_ident, struct diag *d)
{
	return rename_in((struct pg_conn *)base, from, from->type, new_ident, d);
}

/* The type the catalog says a relation has: REL_UNKNOWN when absent. -1 on error. */
static int live_type(struct pg_conn *c, const struct relation *r, enum rel_type *t, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct buf name = BUF_INIT;
	regclass_text(c->base.ad, r, &name);
	value p = v_cstr(buf_cstr(&name));
	struct adapter_table tab;
	int rc = meta_query(c,
	                      "select c.relkind::text from pg_catalog.pg_class c "
	                      "where c.oid = pg_catalog.to_regclass($1)",
	                      &p, 1, NULL, &a, &tab, d);
	*t = rc == 0 && tab.nrows ? relkind_type(tab.rows.list->v[0].list->v[0].s) : REL_UNKNOWN;
	buf_release(&name);
	arena_release(&a);
	return rc;
}

/* The views (and materialized views) that read a relation, directly or through each other,
 * with their definitions as the server prints them now, in an order they can be re-created in. */
static int dependents(struct pg_conn *c, const struct relation *r, struct arena *a,
                      struct adapter_table *out, struct diag *d)
{
	struct buf name = BUF_INIT;
	regclass_text(c->base.ad, r, &name);
	value p = v_cstr(buf_cstr(&name));
	int rc = meta_query(
	    c,
	    "with recursive deps(oid, depth) as ("
	    " select r.ev_class, 1 from pg_catalog.pg_depend d"
	    " join pg_catalog.pg_rewrite r on r.oid = d.objid"
	    " where d.classid = 'pg_catalog.pg_rewrite'::regclass"
	    " and d.refclassid = 'pg_catalog.pg_class'::regclass"
	    " and d.refobjid = pg_catalog.to_regclass($1) and r.ev_class <> d.refobjid"
	    " union all"
	    " select r.ev_class, deps.depth + 1 from deps"
	    " join pg_catalog.pg_depend d on d.refobjid = deps.oid"
	    " and d.classid = 'pg_catalog.pg_rewrite'::regclass"
	    " and d.refclassid = 'pg_catalog.pg_class'::regclass"
	    " join pg_catalog.pg_rewrite r on r.oid = d.objid where r.ev_class <> deps.oid)"
	    " select n.nspname::text, c.relname::text, c.relkind::text,"
	    " pg_catalog.pg_get_viewdef(c.oid)"
	    " from (select oid, max(depth) as depth from deps group by oid) x"
	    " join pg_catalog.pg_class c on c.oid = x.oid"
	    " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
	    " order by x.depth, c.oid",
	    &p, 1, NULL, a, out, d);
	buf_release(&name);
	return rc;
}

static int recreate(struct pg_conn *c, const struct adapter_table *deps, struct diag *d)
{
	struct buf sql = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < deps->nrows && rc == 0; i++) {
		value *row = deps->rows.list->v[i].list->v;
		buf_reset(&sql);
		/* the definition is SQL text the server itself printed */
		sqlfmt(&sql, NULL, "create %s %I.%I as %s",
		       row[2].s[0] == 'm' ? "materialized view" : "view", row[0].s, row[1].s,
		       row[3].type == VT_STR ? row[3].s : "");
		rc = run_ddl(c, buf_cstr(&sql), d);
	}
	buf_release(&sql);
	return rc;
}

/* target := tmp in one transaction: drop a leftover backup, rename target → backup, rename
 * tmp → target, drop the backup. Other sessions see the old relation until the commit. Views
 * that read the target are re-created over the new one (a seed's reload keeps its dependants,
 * as dbt's truncate-and-insert does); one that no longer fits fails the swap. */
static int pg_swap_once(struct adapter_conn *base, const struct relation *target,
                        const struct relation *tmp, struct diag *d)
{
	struct pg_conn *c = (struct pg_conn *)base;
	bool own;
	if (atomic_begin(c, &own, d) < 0)
		return -1;
	struct buf bname = BUF_INIT;
	buf_printf(&bname, "%s__dbt_backup", target->identifier);
	struct relation backup = {target->database, target->schema, buf_cstr(&bname), REL_UNKNOWN,
	                          0};
	struct relation old = *target, x = *tmp;
	int rc = live_type(c, &backup, &backup.type, d);
	if (rc == 0 && backup.type != REL_UNKNOWN)
		rc = drop_in(c, &backup, d);
	if (rc == 0)
		rc = live_type(c, target, &old.type, d);
	struct arena a;
	arena_init(&a);
	struct adapter_table deps = {0};
	if (rc == 0 && old.type != REL_UNKNOWN)
		rc = dependents(c, &old, &a, &deps, d);
	if (rc == 0 && old.type != REL_UNKNOWN)
		rc = rename_in(c, &old, old.type, backup.identifier, d);
	if (rc == 0)
		rc = live_type(c, tmp, &x.type, d);
	if (rc == 0 && x.type == REL_UNKNOWN) {
		adapter_error(d, "cannot swap in '%s': it does not exist", tmp->identifier);
		rc = -1;
	}
	if (rc == 0)
		rc = rename_in(c, &x, x.type, target->identifier, d);
	backup.type = old.type;
	if (rc == 0 && old.type != REL_UNKNOWN)
		rc = drop_in(c, &backup, d);
	if (rc == 0 && deps.nrows)
		rc = recreate(c, &deps, d);
	arena_release(&a);
	buf_release(&bname);
	return atomic_end(c, own, rc, d);
}

/* Whether the messages d gained since `from` say the server broke a deadlock. */
static bool deadlocked(const struct diag *d, size_t from)
{
	for (size_t i = from; i < d->msgs.n; i++)
		if (d->msgs.v[i].msg && strstr(d->msgs.v[i].msg, "deadlock detected"))
			return true;
	return false;
}

static int pg_swap(struct adapter_conn *base, const struct relation *target, enum rel_type old_type,
                   const struct relation *tmp, struct diag *d)
{
	(void)old_type; /* the catalog, read inside the transaction, is the authority */
	for (int attempt = 1;; attempt++) {
		size_t from = d->msgs.n;
		int errors = d->errors;
		int rc = pg_swap_once(base, target, tmp, d);
		if (rc == 0 || attempt == 3 || !deadlocked(d, from))
			return rc;
		/* a reader of a view over the old relation locked the view, then the table; the swap
		 * locks the table, then (dropping and re-creating the view) the view: the server
		 * aborted the swap, which rolled back whole, so it runs again */
		for (size_t i = from; i < d->msgs.n; i++) {
			free(d->msgs.v[i].file);
			free(d->msgs.v[i].msg);
			free(d->msgs.v[i].excerpt);
		}
		d->msgs.n = from;
		d->errors = errors;
	}
}

/* ---- the adapter ---- */

static void pg_free(struct adapter *ad)
{
	struct pg_adapter *pa = (struct pg_adapter *)ad;
	adapter_base_release(ad);
	for (size_t i = 0; i < ARRAY_LEN(pa->owned); i++)
		free(pa->owned[i]);
	free(pa->role);
	free(pa);
}

static const struct adapter_ops pg_ops = {
    .type = "postgres",
    .database_alias = NULL,
    .lists_whole_database = false,
    .quote_char = '"',
	.folds_lower = true,
    .free = pg_free,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .exec_params = pg_exec_params,
    .placeholder = pg_placeholder,
    .max_params = 65535,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_transaction = pg_in_transaction,
    .cancel = pg_cancel,
    .join_name = pg_join_name,
    .split_name = pg_split_name,
    .render_relation = pg_render_relation,
    .list_relations = pg_list_relations,
    .get_columns = pg_get_columns,
    .row_count = pg_row_count,
    .catalog_label = pg_catalog_label,
    .catalog = pg_catalog,
    .create_schema = pg_create_schema,
    .drop_schema = pg_drop_schema,
    .drop_relation = pg_drop_relation,
    .rename_relation = pg_rename_relation,
    .swap = pg_swap,
    .seed_types =
        {
            [SEED_TEXT] = "text",
            [SEED_INTEGER] = "integer",
            [SEED_NUMBER] = "numeric",
            [SEED_BOOLEAN] = "boolean",
            [SEED_DATE] = "date",
            [SEED_DATETIME] = "timestamp without time zone",
            [SEED_TIME] = "time",
            [SEED_TIMEDELTA] = "text",
        },
};

/* A target field as text (strings as they are, numbers in decimal); NULL when absent. */
static char *field_text(value target, const char *key)
{
	value v;
	if (target.type != VT_DICT || !vdict_gets(target.dict, str_from(key), &v) ||
	    v.type == VT_NONE || v.type == VT_UNDEF)
		return NULL;
	if (v.type == VT_STR)
		return xmemdup0(v.s, v.len);
	struct buf b = BUF_INIT;
	v_to_str(v, &b);
	return buf_detach(&b, NULL);
}

static void add_param(struct pg_adapter *pa, size_t *n, const char *key, char *val)
{
	if (!val)
		return;
	pa->keys[*n] = key;
	pa->vals[*n] = val;
	pa->owned[*n] = val;
	(*n)++;
}

struct adapter *postgres_adapter_new(value target, const char *project_dir, struct diag *d)
{
	(void)project_dir;
	char *dbname = field_text(target, "dbname");
	if (!dbname)
		dbname = field_text(target, "database");
	char *host = field_text(target, "host"), *user = field_text(target, "user");
	const char *missing = !host ? "host" : !user ? "user" : !dbname ? "dbname" : NULL;
	if (missing || !target_has(target, "schema")) {
		adapter_error(d, "the postgres target needs '%s' (fields: host, port, user, password, "
		                 "dbname, schema)",
		              missing ? missing : "schema");
		free(dbname);
		free(host);
		free(user);
		return NULL;
	}
	struct pg_adapter *pa = xcalloc(1, sizeof(*pa));
	size_t n = 0;
	add_param(pa, &n, "host", host);
	char *port = field_text(target, "port");
	add_param(pa, &n, "port", port ? port : xstrdup("5432"));
	add_param(pa, &n, "user", user);
	char *pw = field_text(target, "password");
	if (!pw)
		pw = field_text(target, "pass");
	add_param(pa, &n, "password", pw);
	add_param(pa, &n, "dbname", xstrdup(dbname));
	static const char *const passthrough[] = {"sslmode", "sslcert", "sslkey", "sslrootcert"};
	for (size_t i = 0; i < ARRAY_LEN(passthrough); i++)
		add_param(pa, &n, passthrough[i], field_text(target, passthrough[i]));
	char *ct = field_text(target, "connect_timeout");
	add_param(pa, &n, "connect_timeout", ct ? ct : xstrdup("10"));
	int64_t ka = target_int(target, "keepalives_idle", 0);
	if (ka > 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%lld", (long long)ka);
		add_param(pa, &n, "keepalives_idle", buf_detach(&b, NULL));
	}
	char *app = field_text(target, "application_name");
	add_param(pa, &n, "application_name", app ? app : xstrdup("silt"));
	char *sp = field_text(target, "search_path");
	if (sp && *sp) { /* dbt-postgres: options='-c search_path=...', spaces escaped */
		struct buf b = BUF_INIT;
		buf_puts(&b, "-c search_path=");
		for (const char *s = sp; *s; s++) {
			if (*s == ' ' || *s == '\\')
				buf_putc(&b, '\\');
			buf_putc(&b, *s);
		}
		add_param(pa, &n, "options", buf_detach(&b, NULL));
	}
	free(sp);
	pa->keys[n] = NULL;
	pa->vals[n] = NULL;
	pa->role = field_text(target, "role");
	pa->retries = (int)target_int(target, "retries", 1);
	if (pa->retries < 0)
		pa->retries = 0;
	adapter_base_init(&pa->base, &pg_ops, target, dbname);
	/* `database` is the name dbt's target shows (dbname is its alias, not shown) */
	free(pa->base.database);
	pa->base.database = dbname;
	if (pa->base.target.type == VT_DICT) {
		vdict_del(pa->base.target.dict, v_cstr("dbname"), NULL);
		vdict_sets(pa->base.target.dict, "database",
		           v_strdup(&pa->base.arena, dbname, strlen(dbname)));
	}
	return &pa->base;
}
