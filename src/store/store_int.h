/* store internals: the connection, statement helpers and sealing, shared by src/store/ only. */
#ifndef SILT_STORE_INT_H
#define SILT_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

struct store {
	sqlite3 *db;
	char *path;
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
		sqlite3_stmt *st;
	} cache[32];
	int ncache;
	/* zlib streams, made on first use (blobs.c) */
	void *deflate, *inflate;
};

/* An error without a position: "message". */
#define serr(d, ...) diag_add((d), DIAG_ERROR, NULL, 0, 0, NULL, 0, __VA_ARGS__)

/* Prepares sql and binds its parameters from `types`, one letter each:
 *   t  const char * (NULL binds NULL)     i  int64_t
 *   I  int64_t id (0 binds NULL)          f  double
 *   b  const void *, size_t (a blob)
 * NULL after an error in d. */
sqlite3_stmt *st_prep(struct store *s, struct diag *d, const char *sql, const char *types, ...);
/* st_prep for hot statements (sql must be a string literal): prepared once per store and reused;
 * run it with st_run_cached, which resets instead of finalizing. */
sqlite3_stmt *st_cached(struct store *s, struct diag *d, const char *sql, const char *types, ...);
int st_run_cached(struct store *s, struct diag *d, sqlite3_stmt *st);
/* Runs a statement that returns no rows and finalizes it; 0 or -1. */
int st_run(struct store *s, struct diag *d, sqlite3_stmt *st);
/* st_prep + st_run. */
int st_do(struct store *s, struct diag *d, const char *sql, const char *types, ...);
/* sqlite3_step: 1 for a row, 0 when done (finalized), -1 on error (finalized). */
int st_row(struct store *s, struct diag *d, sqlite3_stmt *st);
/* The error of a failed call, with the store locked by another process said plainly. */
void st_error(struct store *s, struct diag *d, int rc, const char *what);
/* Column i as text in a (NULL stays NULL). */
const char *st_text(sqlite3_stmt *st, int i, struct arena *a);
static inline int64_t st_int(sqlite3_stmt *st, int i) { return sqlite3_column_int64(st, i); }
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
const unsigned char *st_digest(sqlite3_stmt *st, int i, struct arena *a);
/* Frees the zlib streams. */
void store_blobs_close(struct store *s);

/* Wipes the key from memory. */
void store_forget_key(struct store *s);

#endif
