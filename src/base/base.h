/* base: memory, strings, containers, diagnostics and hashing that every other module uses.
 *
 * Ownership: an arena owns everything allocated from it; nothing allocated from an arena is freed
 * on its own. Slices (struct str) borrow: they never own their bytes. A buf owns its bytes until
 * buf_detach hands them over. Allocation failure aborts (xmalloc), so no function here returns
 * NULL for lack of memory. */
#ifndef SILT_BASE_H
#define SILT_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dbt version silt stands for: its artifacts' dbt_version and the templates' dbt_version. */
#define SILT_DBT_VERSION "1.11.6"

#if defined(__GNUC__)
#define SILT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SILT_NORETURN __attribute__((noreturn))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#else
#define SILT_PRINTF(f, a)
#define SILT_NORETURN
#define likely(x) (x)
#define unlikely(x) (x)
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation (aborts on failure) ---- */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
/* Zeroed by writing: for a table filled by probing (read, then written). calloc's fresh pages
 * are mapped to the shared zero page when first read, and the first write then replaces it,
 * which flushes the TLB of every core the process runs on (an interrupt to each); written
 * first, each page faults once. */
void *xzalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xmemdup0(const void *p, size_t n); /* copy of n bytes plus a NUL */
SILT_NORETURN void silt_abort(const char *what);

/* A big array for one phase of work (megabytes), and its release: its memory goes on to the
 * next arenas (see alloc.c), which a malloc'd array's would not (glibc unmaps it). */
void *big_alloc(size_t n);
void big_free(void *p, size_t n);

/* ---- arena: bump allocation, freed all at once ---- */
struct arena_chunk;
struct arena {
	struct arena_chunk *head; /* current chunk; older chunks follow ->next */
	char *cur, *end;
	size_t total; /* bytes handed out, for statistics */
};
void arena_init(struct arena *a);
void arena_release(struct arena *a); /* frees every chunk */
void arena_reset(struct arena *a);   /* keeps the newest (biggest) chunk, drops the rest */
/* Makes what `from` holds a's (freed with a); `from` is left empty. */
void arena_adopt(struct arena *a, struct arena *from);
void *arena_alloc_slow(struct arena *a, size_t n);
/* Under AddressSanitizer an arena's memory is poisoned until it is handed out, and again
 * once the arena is reset, restored or released (chunks are reused: a pointer kept past that
 * would otherwise read whatever came next). */
#if defined(__SANITIZE_ADDRESS__)
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define ARENA_POISON(p, n) __asan_poison_memory_region((p), (n))
#define ARENA_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
/* 8-byte aligned (enough for every type silt allocates there: a project's half a million
 * dicts and lists would lose 8 bytes each to 16-byte rounding), uninitialised */
#define ARENA_ALIGN 8
static inline void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (likely(a->cur && (size_t)(a->end - a->cur) >= n)) {
		void *p = a->cur;
		a->cur += n;
		a->total += n;
		ARENA_UNPOISON(p, n);
		return p;
	}
	return arena_alloc_slow(a, n);
}
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n); /* NUL-terminated copy */
char *arena_text(struct arena *a, size_t n); /* n bytes for text: not aligned */
char *arena_printf(struct arena *a, const char *fmt, ...) SILT_PRINTF(2, 3);
/* Saved position: arena_restore frees everything allocated after arena_mark. */
struct arena_mark {
	struct arena_chunk *head;
	char *cur, *end;
};
struct arena_mark arena_mark(const struct arena *a);
void arena_restore(struct arena *a, struct arena_mark m);

/* ---- borrowed string slice ---- */
struct str {
	const char *p;
	size_t n;
};
#define STR(lit) ((struct str){ "" lit, sizeof(lit) - 1 })
static inline struct str str_from(const char *s) { return (struct str){ s, s ? strlen(s) : 0 }; }
static inline struct str str_make(const char *p, size_t n) { return (struct str){ p, n }; }
static inline bool str_eq(struct str a, struct str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}
static inline bool str_eqc(struct str a, const char *c) { return str_eq(a, str_from(c)); }
/* A letter, digit or '_' (ASCII): a character of a Python or Jinja name. */
static inline bool char_is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}
bool str_starts_with(struct str s, struct str prefix);
bool str_ends_with(struct str s, struct str suffix);
struct str str_trim(struct str s);
int str_cmp(struct str a, struct str b);
uint64_t str_hash(struct str s); /* 64 bits, in-memory tables only */

/* ---- growable byte buffer (string builder); always NUL-terminated when non-empty ---- */
struct buf {
	char *p;
	size_t n, cap;
	size_t max; /* 0 = unbounded; appends past max set 'overflow' and are dropped */
	bool overflow;
};
#define BUF_INIT { 0 }
void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b); /* n = 0, keeps memory */
void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
static inline void buf_puts(struct buf *b, const char *s) { buf_append(b, s, strlen(s)); }
static inline void buf_putstr(struct buf *b, struct str s) { buf_append(b, s.p, s.n); }
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) SILT_PRINTF(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
char *buf_detach(struct buf *b, size_t *len); /* caller frees; b is reset */
/* A whole file, NUL-terminated (caller frees); NULL with errno set when it cannot be read. */
char *file_read_all(const char *path, size_t *len);
/* As file_read_all, path relative to the directory open as dirfd (AT_FDCWD: the current one). */
char *file_read_at(int dirfd, const char *path, size_t *len);
/* As file_read_at, for a file known to be regular (readdir said so): no fstat to size it. */
char *file_read_regular_at(int dirfd, const char *path, size_t *len);
/* Writes text as the whole file path (created or truncated). 0, or -1 with errno. */
int file_write_all(const char *path, const char *text, size_t len);
/* Puts the file tmp in path's place (atomically: path names the old or the new file at every
 * moment). 0, or -1 with errno. */
int file_replace(const char *tmp, const char *path);
/* As file_replace, but the old file is left at tmp (the names swapped): 1 when it was, 0 when
 * path did not exist or the file system cannot swap (tmp renamed over path), -1 with errno. */
int file_replace_keep(const char *tmp, const char *path);
/* mkdir -p of the directory part of path (path is restored before returning). 0, or -1 with errno. */
int file_make_parents(char *path);
static inline const char *buf_cstr(const struct buf *b) { return b->p ? b->p : ""; }
static inline struct str buf_str(const struct buf *b) { return (struct str){ buf_cstr(b), b->n }; }

/* ---- vector of T: struct { T *v; size_t n, cap; } ---- */
#define VEC(T)                                                                                     \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n, cap;                                                                     \
	}
#define vec_push(vec, x)                                                                           \
	do {                                                                                       \
		if ((vec)->n == (vec)->cap) {                                                      \
			(vec)->cap = (vec)->cap ? (vec)->cap * 2 : 8;                              \
			(vec)->v = xrealloc((vec)->v, (vec)->cap * sizeof(*(vec)->v));             \
		}                                                                                  \
		(vec)->v[(vec)->n++] = (x);                                                        \
	} while (0)
#define vec_free(vec)                                                                              \
	do {                                                                                       \
		free((vec)->v);                                                                    \
		(vec)->v = NULL;                                                                   \
		(vec)->n = (vec)->cap = 0;                                                         \
	} while (0)

/* ---- small vector: the first N elements live inside the struct, so short lists cost no malloc.
 * Never copy one by value (v may point at its own inl); svec_init before use. ---- */
#define SVEC(T, N)                                                                                 \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n, cap;                                                                     \
		T inl[N];                                                                          \
	}
#define svec_init(s) ((s)->v = (s)->inl, (s)->n = 0, (s)->cap = ARRAY_LEN((s)->inl))
#define svec_push(s, x)                                                                            \
	do {                                                                                       \
		if ((s)->n == (s)->cap) {                                                          \
			size_t nc_ = (s)->cap * 2;                                                 \
			void *nv_ = xmalloc(nc_ * sizeof(*(s)->v));                                \
			memcpy(nv_, (s)->v, (s)->n * sizeof(*(s)->v));                             \
			if ((s)->v != (s)->inl)                                                    \
				free((s)->v);                                                      \
			(s)->v = nv_;                                                              \
			(s)->cap = nc_;                                                            \
		}                                                                                  \
		(s)->v[(s)->n++] = (x);                                                            \
	} while (0)
#define svec_free(s)                                                                               \
	do {                                                                                       \
		if ((s)->v != (s)->inl)                                                            \
			free((s)->v);                                                              \
		svec_init(s);                                                                      \
	} while (0)

/* ---- insertion-ordered hash map: string key -> void * ----
 * Keys are borrowed (the caller keeps them alive, e.g. in an arena or interned). Iterate in
 * insertion order with `for (size_t i = 0; i < m.n; i++) if (m.e[i].key.p) ...`: removed entries
 * leave a hole whose key.p is NULL until the map is compacted. */
struct map_entry {
	struct str key;
	uint64_t hash;
	void *val;
};
struct map {
	struct map_entry *e;
	size_t n, cap;   /* entries, including holes */
	size_t live;     /* entries without holes */
	uint32_t *index; /* open addressing: entry index + 1, 0 = empty */
	size_t icap;     /* power of two */
};
void map_init(struct map *m);
void map_release(struct map *m);
void map_copy(struct map *dst, const struct map *src); /* dst: a new map with src's entries */
void *map_get(const struct map *m, struct str key);
bool map_has(const struct map *m, struct str key);
void **map_slot(struct map *m, struct str key, bool *created); /* insert NULL if absent */
void map_set(struct map *m, struct str key, void *val);
bool map_del(struct map *m, struct str key);

/* ---- interning: equal strings get one pointer, so interned names compare by pointer ---- */
struct intern;
struct intern *intern_new(void);
void intern_free(struct intern *in);
const char *intern(struct intern *in, const char *s, size_t n); /* NUL-terminated, stable */

/* ---- diagnostics ----
 * A diag collects messages; each has a location (file, 1-based line and column; 0 = unknown),
 * a message and, when the source text is known, a source excerpt with a caret. */
enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };
struct diag_msg {
	enum diag_level level;
	char *file; /* owned */
	int line, col;
	char *msg;     /* owned */
	char *excerpt; /* owned, may be NULL: "  3 | {{ x }\n    |      ^" */
};
struct diag {
	VEC(struct diag_msg) msgs;
	int errors;
	int max_errors; /* 0 = unlimited; further errors are counted but not kept */
};
void diag_init(struct diag *d);
void diag_release(struct diag *d);
void diag_clear(struct diag *d);
/* src/srclen may be NULL/0; when given, an excerpt of line `line` with a caret is kept. */
void diag_add(struct diag *d, enum diag_level lv, const char *file, int line, int col,
              const char *src, size_t srclen, const char *fmt, ...) SILT_PRINTF(8, 9);
void diag_vadd(struct diag *d, enum diag_level lv, const char *file, int line, int col,
               const char *src, size_t srclen, const char *fmt, va_list ap);
/* Adds m (taken from another diag, counted and capped as diag_add does) to d; m is left empty,
 * so releasing its diag does not free what d now holds. */
void diag_move(struct diag *d, struct diag_msg *m);
/* "file:line:col: message" (parts that are unknown are left out), no excerpt. */
void diag_format_msg(const struct diag_msg *m, struct buf *out);
/* All messages, each with its excerpt, as a user sees them. */
void diag_print(const struct diag *d, struct buf *out);
/* Line and column (1-based) of byte offset `off` in src. */
void text_position(const char *src, size_t off, int *line, int *col);

/* ---- a parallel loop ----
 * par_for calls fn(ud, worker, i) for every i in [0, n) on up to nworkers threads, the caller
 * being worker 0 (fewer when a thread cannot start), which take the items in increasing order,
 * `chunk` at a time; it returns when every call has returned. fn must only write what item i
 * or worker `worker` owns. par_cores: the online processors. */
void par_for(size_t n, int nworkers, size_t chunk, void (*fn)(void *ud, int worker, size_t i),
             void *ud);
int par_cores(void);
/* fn(arg) on a thread of its own, or on the caller's when none can start (then it has run when
 * par_spawn returns); par_wait waits for it. */
struct par_task {
	pthread_t th;
	bool threaded;
};
void par_spawn(struct par_task *t, void *(*fn)(void *arg), void *arg);
void par_wait(struct par_task *t);

/* ---- phase timing ----
 * With SILT_TRACE_PHASES set in the environment, trace_phase prints "phase <ms> <name>" to
 * stderr: milliseconds since the first trace_phase of the process (see
 * docs/internals/parse-speed.md). Otherwise it does nothing. */
void trace_phase(const char *name);

/* ---- hashing (hash.c; not OpenSSL's, see there) ---- */
struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed */
	unsigned char buf[64];
	size_t fill; /* bytes of buf waiting for a whole block */
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, unsigned char out[32]);
void sha256_hex(const void *p, size_t n, char out[65]);
/* Tests: hash with the CPU's SHA extensions (false when it has none) or without. */
bool sha256_use(bool extensions);
void md5_hex(const void *p, size_t n, char out[33]);
/* The n bytes at d as 2n lowercase hex digits and a NUL at out. */
void hex_of(const unsigned char *d, size_t n, char *out);

#include "banned.h"
/* ---- libraries loaded on first use (dynlib.c) ---- */
struct dynlib {
	const char *soname, *package, *user; /* "libpq.so.5", "libpq5", "PostgreSQL" */
	pthread_mutex_t mu;
	void *handle;
};
/* The address of `name` in l, loading l first; exits with a clear message when the library or
 * the symbol is missing. */
void *dynlib_sym(struct dynlib *l, const char *name);
/* Defines `ret name params` as a call through l, resolved once. */
#define DYNLIB_FORWARD(l, ret, name, params, args)                                                 \
	ret name params                                                                            \
	{                                                                                          \
		static ret(*_Atomic fp) params;                                                    \
		ret(*f) params = fp;                                                               \
		if (!f)                                                                            \
			fp = f = (ret(*) params)dynlib_sym(&(l), #name);                           \
		return f args;                                                                     \
	}

#endif
