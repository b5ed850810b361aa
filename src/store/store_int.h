/* store internals: the connection, statement helpers and sealing, shared by src/store/ only. */
#ifndef SILT_STORE_INT_H
#define SILT_STORE_INT_H

#include "store.h"

struct sqlite3;
struct pg_conn;
struct st;

/* The database a store lives in. */
enum store_kind { STORE_SQLITE, STORE_PG };

struct store {
	enum store_kind kind;
	struct sqlite3 *db;  /* STORE_SQLITE */
	struct pg_conn *pg;  /* STORE_PG */
	char *path;     /* for messages: the file, or the URL without its password */
	char *url;      /* what it was opened from (a URL keeps its password): store_path */
	int64_t changes; /* rows the last statement changed (st_changes) */
	int err;        /* the last error: SQLite's extended code; PostgreSQL: see pg_err */
	char sqlstate[6];
	char *errmsg;   /* owned; the last PostgreSQL error's text */
	int depth;      /* open transaction levels (1 = BEGIN, more = savepoints) */
	int busy_ms;
	char *key_hex;  /* from opts (owned), or NULL */
	char *home;     /* owned */
	char *user;     /* owned */
	unsigned char key[32];
	bool have_key;
	const char *key_source; /* "SILT_STORE_KEY", or the key file's path (owned by key_file) */
	char *key_file;
	/* prepared once, reused (st_cached): keyed by the SQL text's address */
	struct {
		const char *sql;
		struct st *st;
	} cache[32];
	int ncache;
	/* zlib streams, made on first use (blobs.c) */
	void *deflate, *inflate;
};

/* An error without a position: "message". */
#define serr(d, ...) diag_add((d), DIAG_ERROR, NULL, 0, 0, NULL, 0, __VA_ARGS__)

/* Statements, on either database (stmt.c). SQL is written once for both: `?` parameters,
 * coalesce, ON CONFLICT, RETURNING, IS NOT DISTINCT FROM; what differs lives in db.c and pg.c.
 *
 * Prepares sql and binds its parameters from `types`, one letter each:
 *   t  const char * (NULL binds NULL)     i  int64_t
 *   I  int64_t id (0 binds NULL)          f  double
 *   b  const void *, size_t (a blob)
 * NULL after an error in d. */
struct st *st_prep(struct store *s, struct diag *d, const char *sql, const char *types, ...);
/* st_prep for hot statements (sql must be a string literal): prepared once per store and reused;
 * run it with st_run_cached or st_step + st_reset, which reset instead of freeing. */
struct st *st_cached(struct store *s, struct diag *d, const char *sql, const char *types, ...);
int st_run_cached(struct store *s, struct diag *d, struct st *st);
/* A cached statement's next row: 1 for a row, 0 when done, -1 on error (in d); then st_reset. */
int st_step(struct store *s, struct diag *d, struct st *st);
void st_reset(struct st *st);
/* Runs a statement that returns no rows and frees it; 0 or -1. */
int st_run(struct store *s, struct diag *d, struct st *st);
/* st_prep + st_run. */
int st_do(struct store *s, struct diag *d, const char *sql, const char *types, ...);
/* st_prep + the first column of its first row as an integer in *id (an INSERT ... RETURNING id). */
int st_do_id(struct store *s, struct diag *d, int64_t *id, const char *sql, const char *types,
             ...);
/* The next row: 1 for a row, 0 when done (freed), -1 on error (freed). */
int st_row(struct store *s, struct diag *d, struct st *st);
/* Frees a statement whose rows were not all read (NULL is fine). */
void st_free(struct st *st);
/* Rows the last statement inserted, updated or deleted. */
int64_t st_changes(const struct store *s);
/* The last error of s in d, prefixed by `what`, with a store locked by another process said
 * plainly. */
void st_error(struct store *s, struct diag *d, const char *what);
/* Whether the last error was a foreign key violation; a unique (or primary) key one. */
bool st_fk_violation(const struct store *s);
bool st_unique_violation(const struct store *s);
/* Column i of the current row. */
bool st_null(struct st *st, int i);
bool st_is_blob(struct st *st, int i); /* a blob value (not NULL, not text) */
const char *st_ctext(struct st *st, int i); /* valid until the next row; NULL stays NULL */
const void *st_blob(struct st *st, int i, size_t *n);  /* valid until the next row */
int64_t st_int(struct st *st, int i);
double st_double(struct st *st, int i);
/* Column i as text in a (NULL stays NULL). */
const char *st_text(struct st *st, int i, struct arena *a);
/* A write of its own: begin (or savepoint); end with st_end(s, d, rc). */
static inline int st_end(struct store *s, struct diag *d, int rc)
{
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, d);
}
/* Hands a VEC's items over as an array in arena a (*out, *n) and frees the VEC. */
#define STORE_VEC_OUT(a, v, out, n)                                                                \
	do {                                                                                       \
		*(n) = (v).n;                                                                      \
		*(out) = arena_alloc((a), ((v).n ? (v).n : 1) * sizeof(**(out)));                  \
		if ((v).n)                                                                         \
			memcpy(*(out), (v).v, (v).n * sizeof(**(out)));                            \
		vec_free(&(v));                                                                    \
	} while (0)

/* This machine's name (owner of the runs its processes run; jobs.c). */
const char *store_host_name(void);
/* Now, as "2025-01-31T12:00:00.123Z", in a (or a static buffer when a is NULL — one at a time). */
const char *store_now(struct arena *a);
/* Now plus `seconds` (may be negative) in the same form, into out. */
void store_time(double seconds, char out[40]);

/* Sealing (seal.c): AES-256-GCM under the store key with `aad` bound to the ciphertext (so a
 * sealed value moved to another row does not open). seal creates the key (file) when missing. */
int store_seal(struct store *s, const char *aad, struct str plain, struct buf *out,
               struct diag *d);
/* The plain text in a; the error names `what` (never the value). */
int store_unseal(struct store *s, const char *aad, const void *blob, size_t n, struct arena *a,
                 const char **out, const char *what, struct diag *d);

/* Blobs and compression (blobs.c). */
/* Appends the zlib (level 1) compression of p to out; -1 (out unchanged) on failure. */
int store_zpack(struct store *s, const void *p, size_t n, struct buf *out);
/* Appends the inflation of p to out; -1 when it is not zlib data. */
int store_zunpack(struct store *s, const void *p, size_t n, struct buf *out);
/* Decodes an artifact's content of `encoding` ("raw", "zlib", "nodes") into out. */
int store_artifact_decode(struct store *s, const char *encoding, const void *p, size_t n,
                          struct buf *out, struct diag *d);
/* Column i as a 32-byte digest in a, or NULL. */
const unsigned char *st_digest(struct st *st, int i, struct arena *a);
/* Frees the zlib streams. */
void store_blobs_close(struct store *s);

/* The PostgreSQL side (pg.c). */
/* Whether `locator` names a PostgreSQL store (postgres:// or postgresql://). */
bool store_is_pg_url(const char *locator);
/* The URL without its password (malloc'd). */
char *store_pg_display(const char *url);
/* Connects s (s->url) and sets the session up; 0, or -1 with a message naming s->path. */
int store_pg_connect(struct store *s, struct diag *d);
void store_pg_close(struct store *s);
/* Runs SQL text of one or more statements without parameters or rows; 0 or -1 (error kept in
 * s: st_error). */
int store_pg_exec(struct store *s, const char *sql);
/* Whether a transaction is open on the connection. */
bool store_pg_in_transaction(struct store *s);

/* Wipes the key from memory. */
void store_forget_key(struct store *s);

#endif
