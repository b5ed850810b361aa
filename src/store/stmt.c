/* Statements on either database (store_int.h, "Statements"): a `struct st` wraps a prepared
 * SQLite statement, or, on PostgreSQL, the SQL with its `?` rewritten to $1, $2 ..., the bound
 * parameters (blobs sent as binary bytea) and the result, whose rows st_row walks. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <time.h>

#include "store_int.h"

#define PG_TEXT 25
#define PG_INT8 20
#define PG_FLOAT8 701
#define PG_BYTEA 17

struct st {
	struct store *s;
	bool cached;
	sqlite3_stmt *lite;
	/* PostgreSQL */
	char *sql;      /* rewritten */
	int nparams;
	char **vals;
	int *lens, *fmts;
	Oid *types;
	PGresult *res;
	int row, nrows;
	bool ran;
	struct buf *dec; /* per column: a bytea decoded for row dec_row */
	int *dec_row;
	int ncols;
};

/* ---- errors ---- */
void st_error(struct store *s, struct diag *d, const char *what)
{
	if (s->kind == STORE_PG) {
		const char *m = s->errmsg ? s->errmsg : "unknown error";
		if (!strcmp(s->sqlstate, "55P03"))
			serr(d, "%s: the store is locked by another process (waited %d ms); nothing was "
			        "changed: try again when that process is done",
			     s->path, s->busy_ms);
		else
			serr(d, "%s: %s: %s", s->path, what, m);
		return;
	}
	int rc = s->err;
	int prim = rc & 0xff;
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		serr(d, "%s: the store is locked by another process (waited %d ms); nothing was "
		        "changed: try again when that process is done",
		     s->path, s->busy_ms);
	else if (prim == SQLITE_NOTADB)
		serr(d, "%s is not a silt store (file is not a database)", s->path);
	else if (prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN || prim == SQLITE_PERM)
		serr(d, "%s: cannot write the store: %s", s->path, sqlite3_errmsg(s->db));
	else
		serr(d, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

bool st_fk_violation(const struct store *s)
{
	if (s->kind == STORE_PG)
		return !strcmp(s->sqlstate, "23503");
	return s->err == SQLITE_CONSTRAINT_FOREIGNKEY;
}

bool st_unique_violation(const struct store *s)
{
	if (s->kind == STORE_PG)
		return !strcmp(s->sqlstate, "23505");
	return s->err == SQLITE_CONSTRAINT_UNIQUE || s->err == SQLITE_CONSTRAINT_PRIMARYKEY;
}

int64_t st_changes(const struct store *s) { return s->changes; }

static void pg_keep_error(struct store *s, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", state ? state : "");
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!m || !*m)
		m = PQerrorMessage((PGconn *)s->pg);
	free(s->errmsg);
	s->errmsg = xstrdup(m ? m : "");
	size_t n = strlen(s->errmsg);
	while (n && (s->errmsg[n - 1] == '\n' || s->errmsg[n - 1] == ' '))
		s->errmsg[--n] = 0;
}

int store_pg_exec(struct store *s, const char *sql)
{
	PGresult *r = PQexec((PGconn *)s->pg, sql);
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
		pg_keep_error(s, r);
		rc = -1;
	}
	PQclear(r);
	return rc;
}

bool store_pg_in_transaction(struct store *s)
{
	return PQtransactionStatus((PGconn *)s->pg) != PQTRANS_IDLE;
}

/* ---- PostgreSQL statements ---- */
/* sql with each `?` outside quotes and comments made $1, $2 ...; *n = how many. */
static char *pg_rewrite(const char *sql, int *n)
{
	struct buf b = BUF_INIT;
	*n = 0;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'' || *p == '"') {
			char q = *p;
			const char *e = p + 1;
			while (*e && *e != q)
				e++;
			buf_append(&b, p, (size_t)(e - p) + (*e ? 1 : 0));
			p = *e ? e : e - 1;
		} else if (p[0] == '-' && p[1] == '-') {
			const char *e = strchr(p, '\n');
			if (!e)
				e = p + strlen(p) - 1;
			buf_append(&b, p, (size_t)(e - p) + 1);
			p = e;
		} else if (*p == '?' && p[1] >= '1' && p[1] <= '9') {
			/* ?NNN: that parameter (SQLite numbers a later bare ? after the largest) */
			char *e;
			long k = strtol(p + 1, &e, 10);
			buf_printf(&b, "$%ld", k);
			if (k > *n)
				*n = (int)k;
			p = e - 1;
		} else if (*p == '?') {
			buf_printf(&b, "$%d", ++*n);
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_detach(&b, NULL);
}

static void pg_clear_params(struct st *st)
{
	for (int i = 0; i < st->nparams; i++) {
		free(st->vals[i]);
		st->vals[i] = NULL;
	}
}

static void pg_clear_result(struct st *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->ran = false;
	st->row = -1;
	st->nrows = 0;
}

static struct st *pg_new(struct store *s, const char *sql)
{
	struct st *st = xcalloc(1, sizeof(*st));
	st->s = s;
	st->sql = pg_rewrite(sql, &st->nparams);
	int n = st->nparams ? st->nparams : 1;
	st->vals = xcalloc((size_t)n, sizeof(*st->vals));
	st->lens = xcalloc((size_t)n, sizeof(*st->lens));
	st->fmts = xcalloc((size_t)n, sizeof(*st->fmts));
	st->types = xcalloc((size_t)n, sizeof(*st->types));
	st->row = -1;
	return st;
}

static void pg_free(struct st *st)
{
	pg_clear_result(st);
	pg_clear_params(st);
	for (int i = 0; i < st->ncols; i++)
		buf_release(&st->dec[i]);
	free(st->dec);
	free(st->dec_row);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st->types);
	free(st->sql);
	free(st);
}

static void pg_set(struct st *st, int i, Oid type, char *val, int len, int fmt)
{
	free(st->vals[i]);
	st->vals[i] = val;
	st->types[i] = type;
	st->lens[i] = len;
	st->fmts[i] = fmt;
}

static int pg_vbind(struct store *s, struct diag *d, struct st *st, const char *types, va_list ap)
{
	int i = 0;
	char num[40];
	for (; types && *types; types++, i++) {
		if (i >= st->nparams) {
			serr(d, "%s: a statement has fewer parameters than values bound", s->path);
			return -1;
		}
		switch (*types) {
		case 't': {
			const char *t = va_arg(ap, const char *);
			pg_set(st, i, PG_TEXT, t ? xstrdup(t) : NULL, 0, 0);
			break;
		}
		case 'i':
			snprintf(num, sizeof(num), "%lld", (long long)va_arg(ap, int64_t));
			pg_set(st, i, PG_INT8, xstrdup(num), 0, 0);
			break;
		case 'I': {
			int64_t id = va_arg(ap, int64_t);
			snprintf(num, sizeof(num), "%lld", (long long)id);
			pg_set(st, i, PG_INT8, id ? xstrdup(num) : NULL, 0, 0);
			break;
		}
		case 'f':
			snprintf(num, sizeof(num), "%.17g", va_arg(ap, double));
			pg_set(st, i, PG_FLOAT8, xstrdup(num), 0, 0);
			break;
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			if (n > INT32_MAX) {
				serr(d, "%s: a value of %zu bytes is too large to store", s->path, n);
				return -1;
			}
			char *v = NULL;
			if (p) {
				v = xmalloc(n ? n : 1);
				if (n)
					memcpy(v, p, n);
			}
			pg_set(st, i, PG_BYTEA, v, (int)n, 1);
			break;
		}
		default:
			silt_abort("st_prep: unknown parameter type");
		}
	}
	if (i != st->nparams) {
		serr(d, "%s: a statement has more parameters than values bound", s->path);
		return -1;
	}
	return 0;
}

static int pg_step(struct store *s, struct st *st)
{
	if (!st->ran) {
		st->ran = true;
		for (int attempt = 0;; attempt++) {
			st->res = PQexecParams((PGconn *)s->pg, st->sql, st->nparams, st->types,
			                       (const char *const *)st->vals, st->lens, st->fmts, 0);
			ExecStatusType t = st->res ? PQresultStatus(st->res) : PGRES_FATAL_ERROR;
			if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
				break;
			pg_keep_error(s, st->res);
			/* a statement of its own (no transaction of ours) chosen as a deadlock's or a
			 * serialization failure's victim is tried again, as SQLite waits out a busy
			 * store; inside a transaction the caller's rollback decides */
			bool retry = s->depth == 0 && attempt < 4 &&
			             (!strcmp(s->sqlstate, "40P01") || !strcmp(s->sqlstate, "40001"));
			if (!retry)
				return -1;
			PQclear(st->res);
			st->res = NULL;
			struct timespec ts = { 0, (long)(20 + 40 * attempt) * 1000000L };
			nanosleep(&ts, NULL);
		}
		const char *c = PQcmdTuples(st->res);
		s->changes = c && *c ? strtoll(c, NULL, 10) : 0;
		st->nrows = PQntuples(st->res);
		int nc = PQnfields(st->res);
		if (nc > st->ncols) {
			st->dec = xrealloc(st->dec, (size_t)nc * sizeof(*st->dec));
			st->dec_row = xrealloc(st->dec_row, (size_t)nc * sizeof(*st->dec_row));
			for (int i = st->ncols; i < nc; i++)
				st->dec[i] = (struct buf)BUF_INIT;
			st->ncols = nc;
		}
		for (int i = 0; i < st->ncols; i++)
			st->dec_row[i] = -1;
	}
	if (st->row + 1 < st->nrows) {
		st->row++;
		return 1;
	}
	return 0;
}

/* ---- both ---- */
static int lite_vbind(struct store *s, struct diag *d, sqlite3_stmt *st, const char *types,
                      va_list ap)
{
	int rc;
	for (int i = 1; types && *types; types++, i++) {
		switch (*types) {
		case 't': {
			const char *t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'I': {
			int64_t id = va_arg(ap, int64_t);
			rc = id ? sqlite3_bind_int64(st, i, id) : sqlite3_bind_null(st, i);
			break;
		}
		case 'f':
			rc = sqlite3_bind_double(st, i, va_arg(ap, double));
			break;
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = p ? sqlite3_bind_blob64(st, i, p, n, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
			break;
		}
		default:
			silt_abort("st_prep: unknown parameter type");
		}
		if (rc != SQLITE_OK) {
			s->err = rc;
			st_error(s, d, "binding a parameter");
			return -1;
		}
	}
	return 0;
}

static struct st *st_vprep(struct store *s, struct diag *d, const char *sql, const char *types,
                           va_list ap, bool persistent)
{
	if (s->kind == STORE_PG) {
		struct st *st = pg_new(s, sql);
		if (pg_vbind(s, d, st, types, ap) < 0) {
			pg_free(st);
			return NULL;
		}
		return st;
	}
	sqlite3_stmt *lite = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &lite,
	                            NULL);
	if (rc != SQLITE_OK) {
		s->err = rc;
		st_error(s, d, "preparing a statement");
		sqlite3_finalize(lite);
		return NULL;
	}
	if (lite_vbind(s, d, lite, types, ap) < 0) {
		sqlite3_finalize(lite);
		return NULL;
	}
	struct st *st = xcalloc(1, sizeof(*st));
	st->s = s;
	st->lite = lite;
	return st;
}

void st_free(struct st *st)
{
	if (!st)
		return;
	if (st->lite) {
		sqlite3_finalize(st->lite);
		free(st);
	} else {
		pg_free(st);
	}
}

struct st *st_prep(struct store *s, struct diag *d, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	struct st *st = st_vprep(s, d, sql, types, ap, false);
	va_end(ap);
	return st;
}

struct st *st_cached(struct store *s, struct diag *d, const char *sql, const char *types, ...)
{
	struct st *st = NULL;
	for (int i = 0; i < s->ncache && !st; i++)
		if (s->cache[i].sql == sql)
			st = s->cache[i].st;
	va_list ap;
	va_start(ap, types);
	if (!st) {
		st = st_vprep(s, d, sql, types, ap, true);
		va_end(ap);
		if (!st)
			return NULL;
		if (s->ncache == (int)ARRAY_LEN(s->cache))
			silt_abort("st_cached: too many cached statements");
		st->cached = true;
		s->cache[s->ncache].sql = sql;
		s->cache[s->ncache++].st = st;
		return st;
	}
	int rc;
	st_reset(st);
	if (st->lite) {
		sqlite3_clear_bindings(st->lite);
		rc = lite_vbind(s, d, st->lite, types, ap);
	} else {
		pg_clear_params(st);
		rc = pg_vbind(s, d, st, types, ap);
	}
	va_end(ap);
	return rc < 0 ? NULL : st;
}

void st_reset(struct st *st)
{
	if (st->lite)
		sqlite3_reset(st->lite);
	else
		pg_clear_result(st);
}

int st_step(struct store *s, struct diag *d, struct st *st)
{
	if (st->lite) {
		int rc = sqlite3_step(st->lite);
		if (rc == SQLITE_ROW)
			return 1;
		if (rc == SQLITE_DONE) {
			s->changes = sqlite3_changes64(s->db);
			return 0;
		}
		s->err = sqlite3_extended_errcode(s->db);
		if (!s->err)
			s->err = rc;
		st_error(s, d, "query");
		return -1;
	}
	int rc = pg_step(s, st);
	if (rc < 0)
		st_error(s, d, "query");
	return rc;
}

int st_run_cached(struct store *s, struct diag *d, struct st *st)
{
	if (!st)
		return -1;
	int rc = st_step(s, d, st);
	if (rc == 1 && st->lite) {
		/* RETURNING rows: run to the end so the change is made and counted */
		while ((rc = st_step(s, d, st)) == 1)
			;
	}
	st_reset(st);
	return rc < 0 ? -1 : 0;
}

int st_row(struct store *s, struct diag *d, struct st *st)
{
	int rc = st_step(s, d, st);
	if (rc != 1)
		st_free(st);
	return rc;
}

int st_run(struct store *s, struct diag *d, struct st *st)
{
	if (!st)
		return -1;
	int rc;
	while ((rc = st_step(s, d, st)) == 1)
		;
	st_free(st);
	return rc;
}

int st_do(struct store *s, struct diag *d, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	struct st *st = st_vprep(s, d, sql, types, ap, false);
	va_end(ap);
	return st_run(s, d, st);
}

int st_do_id(struct store *s, struct diag *d, int64_t *id, const char *sql, const char *types,
             ...)
{
	va_list ap;
	va_start(ap, types);
	struct st *st = st_vprep(s, d, sql, types, ap, false);
	va_end(ap);
	if (!st)
		return -1;
	int rc = st_step(s, d, st);
	if (rc == 1) {
		*id = st_int(st, 0);
		while ((rc = st_step(s, d, st)) == 1)
			;
		if (rc == 0 && st->lite)
			s->changes = 1;
	} else if (rc == 0) {
		*id = 0;
	}
	st_free(st);
	return rc < 0 ? -1 : 0;
}

/* ---- columns ---- */
bool st_null(struct st *st, int i)
{
	if (st->lite)
		return sqlite3_column_type(st->lite, i) == SQLITE_NULL;
	return PQgetisnull(st->res, st->row, i);
}

bool st_is_blob(struct st *st, int i)
{
	if (st->lite)
		return sqlite3_column_type(st->lite, i) == SQLITE_BLOB;
	return !PQgetisnull(st->res, st->row, i) && PQftype(st->res, i) == PG_BYTEA;
}

const char *st_ctext(struct st *st, int i)
{
	if (st->lite)
		return (const char *)sqlite3_column_text(st->lite, i);
	if (PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	                                       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                                                              : -1;
}

const void *st_blob(struct st *st, int i, size_t *n)
{
	if (st->lite) {
		const void *p = sqlite3_column_blob(st->lite, i);
		*n = (size_t)sqlite3_column_bytes(st->lite, i);
		return p;
	}
	*n = 0;
	if (PQgetisnull(st->res, st->row, i))
		return NULL;
	const char *v = PQgetvalue(st->res, st->row, i);
	size_t len = (size_t)PQgetlength(st->res, st->row, i);
	if (PQftype(st->res, i) != PG_BYTEA) {
		*n = len;
		return v;
	}
	struct buf *b = &st->dec[i];
	if (st->dec_row[i] != st->row) {
		/* bytea in text form: \x and two hex digits a byte */
		buf_reset(b);
		if (len >= 2 && v[0] == '\\' && v[1] == 'x') {
			for (size_t k = 2; k + 1 < len; k += 2) {
				int h = hexval(v[k]), l = hexval(v[k + 1]);
				if (h < 0 || l < 0)
					break;
				buf_putc(b, (char)(h << 4 | l));
			}
		}
		buf_putc(b, 0);
		b->n--;
		st->dec_row[i] = st->row;
	}
	*n = b->n;
	return b->p;
}

int64_t st_int(struct st *st, int i)
{
	if (st->lite)
		return sqlite3_column_int64(st->lite, i);
	if (PQgetisnull(st->res, st->row, i))
		return 0;
	const char *v = PQgetvalue(st->res, st->row, i);
	if (!strcmp(v, "t"))
		return 1;
	if (!strcmp(v, "f"))
		return 0;
	return strtoll(v, NULL, 10);
}

double st_double(struct st *st, int i)
{
	if (st->lite)
		return sqlite3_column_double(st->lite, i);
	if (PQgetisnull(st->res, st->row, i))
		return 0;
	return strtod(PQgetvalue(st->res, st->row, i), NULL);
}

const char *st_text(struct st *st, int i, struct arena *a)
{
	if (st->lite) {
		if (sqlite3_column_type(st->lite, i) == SQLITE_NULL)
			return NULL;
		const unsigned char *t = sqlite3_column_text(st->lite, i);
		return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st->lite, i));
	}
	if (PQgetisnull(st->res, st->row, i))
		return NULL;
	return arena_strndup(a, PQgetvalue(st->res, st->row, i),
	                     (size_t)PQgetlength(st->res, st->row, i));
}
