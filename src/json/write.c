/* Writing JSON byte for byte as CPython's json.dumps (Lib/json/encoder.py and Modules/_json.c).
 *
 * Everything is written straight into the caller's buf: a string reserves room for its worst case
 * one 64 KiB slice at a time and is then escaped with a pointer, so no value costs an allocation.
 * The only heap memory is the stack of open containers (circular-reference check) and, with
 * sort_keys, one array of entry pointers shared by every dict. json_write_fd uses the same buf
 * as a window: when it fills, its bytes go to the file and it starts over. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json.h"

struct jw {
	struct buf *b;
	const struct json_opts *o;
	bool layout;    /* an indent was given: one item per line */
	size_t spaces;  /* integer indent: spaces per level */
	struct str ind; /* string indent (Python allows one): text per level */
	bool ascii, html, allow_nan, sort, skipkeys;
	unsigned plain;              /* bit k set: byte class k is copied as it is */
	struct str isep, ksep;       /* item and key separators */
	bool fast_sep;               /* both fit sep16 and no html escapes: copied whole */
	char isep16[16], ksep16[16]; /* their text, padded */
	bool fast_str; /* Python's defaults (ensure_ascii, no html escapes): copy_plain applies */
	VEC(const void *) open;             /* containers being written, innermost last */
	VEC(struct ventry) scratch; /* sort_keys: entries of the dicts being written */
	bool failed;
	int fd;          /* json_write_fd: where a full window goes (-1: everything stays in b) */
	uint64_t flushed; /* bytes of text that went to fd */
	int write_errno; /* the first write error */
	/* containers met more than once (a manifest's nodes share their configs): the second
	 * time the text is kept, later times it is copied. Open addressing on the pointer. */
	struct memo *memo;
	size_t memo_cap, memo_n;
	bool in_par; /* writing a part of a container split between threads (see write_par) */
	const void *nomemo; /* a container written without the memo: an item of a big one */
	/* the text of dict keys written (quoted, with the key separator), by the key's bytes'
	 * address: a manifest's 30,000 node dicts share their keys */
	struct key_text *keys;
	/* dicts met before with the same keys in the same order (a manifest's node dicts share
	 * their keys and hash index): the text of each key, with the separators around it */
	struct shape *shapes;
	/* the last float written and its text: a manifest repeats one created_at 30,000 times */
	double last_f;
	size_t last_len;
	char last_num[32];
};

#define KEY_TEXT_SLOTS 512
#define KEY_TEXT_MAX 60 /* bytes of text kept for a key */

struct key_text {
	const char *p; /* the key's bytes; NULL: free slot */
	uint32_t len;
	uint8_t n; /* bytes of text */
	char text[KEY_TEXT_MAX];
};

/* A dict shape: the dicts of n entries whose hash index is id (dicts made from one shape share
 * it) or, without an index, whose first key's bytes are at id. Its keys are built the second
 * time it is met; an entry whose key is not the shape's (bytes at the same address, same
 * length) takes the general path, so a dict that only looks like the shape is written right. */
#define SHAPE_SLOTS 64
#define SHAPE_MIN 2   /* entries */
#define SHAPE_MAX 256 /* entries: bigger dicts are not kept */
#define SHAPE_TEXT 48 /* bytes of text per key, copied whole */

#define SHAPE_LAST 80 /* bytes of a value's text kept (see shape_key.last) */

struct shape_key {
	/* the key (a string), compared whole: same bytes at the same address (and the same
	 * flags); an impossible type when it has no text (the general path) */
	value k;
	uint64_t n;            /* bytes of text */
	char text[SHAPE_TEXT]; /* the item separator (but for the first key), key, key separator */
	/* the value last written under this key and its text, when that was short: the next
	 * dict of the shape often has the same one (a manifest's nodes repeat their database,
	 * schema, package, config, created_at, empty lists ...), copied then. A value of the same
	 * 16 bytes has the same text: the same scalar, or the same string or container (nothing
	 * changes while a document is written); type 0xff: none kept */
	value last;
	uint32_t last_n;
	char last_text[SHAPE_LAST];
};

/* Whether two values have the same 16 bytes (two words): an entry's key and the shape's key,
 * or a value and the one last written under a key (shape_key.last). */
_Static_assert(sizeof(value) == 16, "a value is two words");
static inline bool same_bits(const value *a, const value *k)
{
	uint64_t x[2], y[2];
	memcpy(x, a, sizeof(x));
	memcpy(y, k, sizeof(y));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]));
}

struct shape {
	const void *id; /* NULL: free slot */
	const value *keys; /* the keys of the dict the texts were built from: a dict with these
	                      keys (one shape's, see vdict_share_keys) needs no key compared */
	uint32_t n;
	uint32_t busy; /* dicts of this shape being written: it is not replaced meanwhile */
	struct shape_key *k;
	const void *cand; /* a shape met once, built if it comes again first */
	uint32_t cand_n;
};

struct memo {
	const void *p; /* NULL: free slot */
	char *text;    /* kept text (owned), NULL until the second time */
	size_t len;
};

/* Only containers this big are remembered: smaller ones cost less to write than to look up. */
#define MEMO_MIN_ITEMS 4

/* Containers with this many items are written on two threads (see write_par), in batches of
 * about PAR_TEXT bytes: as many items as the first PAR_FIRST (written by the calling thread)
 * suggest, from PAR_FIRST (a manifest's nodes, 2 KB each) to 64 times more (its parent_map,
 * 80 bytes each; handing over each batch costs a thread wake-up or two, which on this virtual
 * machine took more than writing 64 such items). */
#define PAR_MIN 2048 /* items */
#define PAR_FIRST 64 /* items */
#define PAR_TEXT (64 * 1024)
#define PAR_RING 4 /* buffers in flight */

static struct memo *memo_slot(struct jw *w, const void *p)
{
	if (w->memo_n * 2 >= w->memo_cap) {
		size_t cap = w->memo_cap ? w->memo_cap * 2 : 1024;
		struct memo *m = xcalloc(cap, sizeof(*m));
		for (size_t i = 0; i < w->memo_cap; i++)
			if (w->memo[i].p) {
				size_t j =
				    ((uintptr_t)w->memo[i].p >> 4) * 0x9e3779b97f4a7c15ULL >> 20 &
				    (cap - 1);
				while (m[j].p)
					j = (j + 1) & (cap - 1);
				m[j] = w->memo[i];
			}
		free(w->memo);
		w->memo = m;
		w->memo_cap = cap;
	}
	size_t j = ((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL >> 20 & (w->memo_cap - 1);
	while (w->memo[j].p && w->memo[j].p != p)
		j = (j + 1) & (w->memo_cap - 1);
	return &w->memo[j];
}

static void memo_free(struct jw *w)
{
	free(w->keys);
	if (w->shapes)
		for (size_t i = 0; i < SHAPE_SLOTS; i++)
			free(w->shapes[i].k);
	free(w->shapes);
	for (size_t i = 0; i < w->memo_cap; i++)
		free(w->memo[i].text);
	free(w->memo);
}

/* json_write_fd window size: big enough that write() calls are few, small enough to stay in
 * cache. */
#define JSON_FD_WINDOW (256u * 1024)

static void flush_fd(struct jw *w)
{
	struct buf *b = w->b;
	size_t off = 0;
	w->flushed += b->n;
	while (off < b->n && !w->write_errno) {
		ssize_t k = write(w->fd, b->p + off, b->n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			w->write_errno = k < 0 ? errno : EIO;
		else
			off += (size_t)k;
	}
	b->n = 0;
}

/* Writes the window, then n bytes of text, to the file (one call when it takes them all);
 * the window is left empty. */
static void flush_fd_with(struct jw *w, const char *text, size_t n)
{
	struct buf *b = w->b;
	struct iovec v[2] = {{b->p, b->n}, {(void *)(uintptr_t)text, n}};
	w->flushed += b->n + n;
	int at = 0;
	while (!w->write_errno) {
		while (at < 2 && !v[at].iov_len)
			at++;
		if (at == 2)
			break;
		ssize_t k = writev(w->fd, v + at, 2 - at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->write_errno = k < 0 ? errno : EIO;
			break;
		}
		for (size_t got = (size_t)k; got;) {
			size_t t = got < v[at].iov_len ? got : v[at].iov_len;
			v[at].iov_base = (char *)v[at].iov_base + t;
			v[at].iov_len -= t;
			got -= t;
			if (!v[at].iov_len)
				at++;
		}
	}
	b->n = 0;
}

static void fail(struct jw *w, const char *fmt, ...) SILT_PRINTF(2, 3);
static void fail(struct jw *w, const char *fmt, ...)
{
	if (w->failed)
		return;
	w->failed = true;
	if (w->o->err) {
		va_list ap;
		va_start(ap, fmt);
		buf_vprintf(w->o->err, fmt, ap);
		va_end(ap);
	}
}

/* ---- raw output ---- */

/* Room for n more bytes (and the NUL); returns where they go. */
static inline char *reserve(struct jw *w, size_t n)
{
	struct buf *b = w->b;
	if (b->n + n + 1 > b->cap) {
		if (w->fd >= 0 && b->n)
			flush_fd(w);
		if (b->n + n + 1 > b->cap)
			buf_grow(b, n);
	}
	return b->p + b->n;
}

static inline void put(struct jw *w, const char *s, size_t n)
{
	memcpy(reserve(w, n), s, n);
	w->b->n += n;
}

static inline void putch(struct jw *w, char c)
{
	*reserve(w, 1) = c;
	w->b->n++;
}

#define PUTS(w, lit) put((w), "" lit, sizeof(lit) - 1)

static void newline(struct jw *w, int level)
{
	size_t n = (w->ind.p ? w->ind.n : w->spaces) * (size_t)level;
	char *o = reserve(w, n + 1);
	*o++ = '\n';
	if (!w->ind.p) {
		memset(o, ' ', n);
	} else {
		for (int i = 0; i < level; i++, o += w->ind.n)
			memcpy(o, w->ind.p, w->ind.n);
	}
	w->b->n += n + 1;
}

static const char hexdig[] = "0123456789abcdef";

static inline char *put_u(char *o, unsigned cp)
{
	o[0] = '\\';
	o[1] = 'u';
	o[2] = hexdig[(cp >> 12) & 15];
	o[3] = hexdig[(cp >> 8) & 15];
	o[4] = hexdig[(cp >> 4) & 15];
	o[5] = hexdig[cp & 15];
	return o + 6;
}

static bool is_html(char c)
{
	return c == '<' || c == '>' || c == '&' || c == '\'';
}

/* A separator, with the html replacements applied to it as Jinja2 does to the whole output. */
static void put_sep_html(struct jw *w, struct str s);

static inline void put_sep(struct jw *w, struct str s)
{
	if (!w->html) {
		put(w, s.p, s.n);
		return;
	}
	put_sep_html(w, s);
}

/* The item and key separators: short ones (all but odd separators= arguments) are copied
 * whole from their padded text. */
static inline void put_sep16(struct jw *w, struct str sep, const char *padded)
{
	if (!w->fast_sep) {
		put_sep(w, sep);
		return;
	}
	memcpy(reserve(w, 16), padded, 16);
	w->b->n += sep.n;
}

static inline void put_isep(struct jw *w) { put_sep16(w, w->isep, w->isep16); }
static inline void put_ksep(struct jw *w) { put_sep16(w, w->ksep, w->ksep16); }

static void put_sep_html(struct jw *w, struct str s)
{
	for (size_t i = 0; i < s.n; i++) {
		if (is_html(s.p[i])) {
			char *o = reserve(w, 6);
			put_u(o, (unsigned char)s.p[i]);
			w->b->n += 6;
		} else {
			putch(w, s.p[i]);
		}
	}
}

/* ---- strings ---- */

/* Byte classes: 0 always plain, 1 always escaped (controls, '"', '\\'), 2 html characters,
 * 3 DEL (escaped with ensure_ascii), 4 start of a non-ASCII sequence. */
enum { C_PLAIN, C_ESC, C_HTML, C_DEL, C_HIGH };
/* clang-format off */
static const unsigned char byte_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};
/* clang-format on */

/* Decodes the UTF-8 sequence at s[0..n) (n >= 1, s[0] >= 0x80). Returns its length and sets *cp,
 * or, for an ill-formed sequence, returns the length of its maximal subpart (Unicode 3.9, table
 * 3-7; what Python's 'replace' error handler turns into one U+FFFD) and sets *cp = -1. */
static size_t utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
	int32_t v;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = (int32_t)(c & 0x1f);
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = (int32_t)(c & 0x0f);
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = (int32_t)(c & 0x07);
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*cp = -1;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		unsigned b = i < n ? s[i] : 0;
		if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) {
			*cp = -1;
			return i;
		}
		v = (v << 6) | (int32_t)(b & 0x3f);
	}
	*cp = v;
	return len;
}

/* The first byte at or after i (before end) that is not copied as it is. With Python's
 * defaults (ensure_ascii, no html escapes) the plain bytes are 0x20-0x7e but '"' and '\\', and
 * eight are checked at a time. */
static inline size_t scan_plain(const struct jw *w, const unsigned char *s, size_t i, size_t end)
{
	const unsigned plain = w->plain;
	if (plain == ((1u << C_PLAIN) | (1u << C_HTML))) {
#ifdef __SSE2__
		/* sixteen at a time: as signed bytes, 0x80-0xff are below 0x20 too */
		const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f),
		              quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\');
		for (; i + 16 <= end; i += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			__m128i bad = _mm_or_si128(
			    _mm_or_si128(_mm_cmplt_epi8(x, sp), _mm_cmpeq_epi8(x, del)),
			    _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bsl)));
			unsigned m = (unsigned)_mm_movemask_epi8(bad);
			if (m)
				return i + (size_t)__builtin_ctz(m);
		}
#endif
		const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
		for (; i + 8 <= end; i += 8) {
			uint64_t x, q, b;
			memcpy(&x, s + i, 8);
			q = x ^ (ones * '"');
			b = x ^ (ones * '\\');
			/* any byte < 0x20, == '"', == '\\', or >= 0x7f (a carry only starts at
			 * 0xff, itself caught) */
			if (((x - ones * 0x20) & ~x & high) | ((q - ones) & ~q & high) |
			    ((b - ones) & ~b & high) | ((x + ones) & high) | (x & high))
				break;
		}
	}
	while (i < end && ((plain >> byte_class[s[i]]) & 1))
		i++;
	return i;
}

/* A high bit set in the result for each byte of x that is not plain under Python's defaults
 * (< 0x20, '"', '\\', >= 0x7f), maybe for some plain bytes above one that is not; never none
 * when one is not. */
static inline uint64_t not_plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | (x + ones) | x) &
	       high;
}

static inline uint64_t load8(const unsigned char *s)
{
	uint64_t x;
	memcpy(&x, s, 8);
	return x;
}

static inline uint32_t load4(const unsigned char *s)
{
	uint32_t x;
	memcpy(&x, s, 4);
	return x;
}

/* When the n bytes of s are all plain under Python's defaults (and so under any options but
 * html_safe), writes them quoted at o (room for n + 2 bytes) and returns true. Reads and writes
 * whole words, the last one overlapping the one before (never past the end of s). */
static inline bool copy_plain(char *o, const unsigned char *s, size_t n)
{
	o[0] = '"';
	if (n >= 16) {
		size_t i = 0;
#ifdef __SSE2__
		const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f),
		              quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\');
		for (;; i += 16) {
			if (i + 16 > n)
				i = n - 16; /* the last sixteen, overlapping */
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			__m128i bad = _mm_or_si128(
			    _mm_or_si128(_mm_cmplt_epi8(x, sp), _mm_cmpeq_epi8(x, del)),
			    _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bsl)));
			if (_mm_movemask_epi8(bad))
				return false;
			_mm_storeu_si128((__m128i *)(void *)(o + 1 + i), x);
			if (i + 16 == n)
				break;
		}
#else
		for (;; i += 8) {
			if (i + 8 > n)
				i = n - 8;
			uint64_t x = load8(s + i);
			if (not_plain8(x))
				return false;
			memcpy(o + 1 + i, &x, 8);
			if (i + 8 == n)
				break;
		}
#endif
	} else if (n >= 8) {
		uint64_t a = load8(s), b = load8(s + n - 8);
		if (not_plain8(a) | not_plain8(b))
			return false;
		memcpy(o + 1, &a, 8);
		memcpy(o + 1 + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a = load4(s), b = load4(s + n - 4);
		if (not_plain8((uint64_t)a | (uint64_t)b << 32))
			return false;
		memcpy(o + 1, &a, 4);
		memcpy(o + 1 + n - 4, &b, 4);
	} else if (n) {
		/* 1-3 bytes: the first, middle and last cover them; the rest of the word is plain
		 */
		unsigned char a = s[0], m = s[n / 2], z = s[n - 1];
		uint64_t x = 0x6161616161000000ULL | a | (uint64_t)m << 8 | (uint64_t)z << 16;
		if (not_plain8(x))
			return false;
		o[1] = (char)a;
		o[1 + n / 2] = (char)m;
		o[n] = (char)z;
	}
	o[n + 1] = '"';
	return true;
}

/* A string, escaped where it must be. */
static void write_escaped(struct jw *w, const unsigned char *s, size_t n)
{
	size_t i = 0;
	putch(w, '"');
	while (i < n) {
		/* worst case 6 output bytes per input byte; a sequence may run 3 bytes past end */
		size_t end = n - i > 65536 ? i + 65536 : n;
		char *o = reserve(w, 6 * (end - i + 3));
		char *const o0 = o;
		while (i < end) {
			size_t run = scan_plain(w, s, i, end);
			if (run > i) {
				memcpy(o, s + i, run - i);
				o += run - i;
				i = run;
				if (i == end)
					break;
			}
			unsigned char c = s[i];
			if (c < 0x80) {
				*o++ = '\\';
				switch (c) {
				case '"':
				case '\\':
					*o++ = (char)c;
					break;
				case '\n':
					*o++ = 'n';
					break;
				case '\r':
					*o++ = 'r';
					break;
				case '\t':
					*o++ = 't';
					break;
				case '\b':
					*o++ = 'b';
					break;
				case '\f':
					*o++ = 'f';
					break;
				default:
					o = put_u(o - 1, c);
				}
				i++;
				continue;
			}
			int32_t cp;
			size_t len = utf8_next(s + i, n - i, &cp);
			if (cp < 0) {
				if (w->ascii) {
					o = put_u(o, 0xfffd);
				} else {
					memcpy(o, "\xef\xbf\xbd", 3);
					o += 3;
				}
			} else if (!w->ascii) {
				memcpy(o, s + i, len);
				o += len;
			} else if (cp < 0x10000) {
				o = put_u(o, (unsigned)cp);
			} else {
				unsigned u = (unsigned)cp - 0x10000;
				o = put_u(o, 0xd800 + (u >> 10));
				o = put_u(o, 0xdc00 + (u & 0x3ff));
			}
			i += len;
		}
		w->b->n += (size_t)(o - o0);
	}
	putch(w, '"');
}

static void write_string(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	/* most strings (keys, names, ids) are short and plain: written in one piece */
	if (n <= 256 && w->fast_str) {
		if (copy_plain(reserve(w, n + 2), s, n)) {
			w->b->n += n + 2;
			return;
		}
	} else if (n <= 256 && scan_plain(w, s, 0, n) == n) {
		char *o = reserve(w, n + 2);
		o[0] = '"';
		memcpy(o + 1, s, n);
		o[n + 1] = '"';
		w->b->n += n + 2;
		return;
	}
	write_escaped(w, s, n);
}

/* Writes at o (room for 258 bytes) the text of v when it is a string of up to 256 plain bytes
 * (see copy_plain: not with html_safe), None, a bool, or an empty list or dict, and returns its
 * length; 0 for anything else. */
static inline size_t put_simple(char *o, value v)
{
	switch (v.type) {
	case VT_STR:
		return v.len <= 256 && copy_plain(o, (const unsigned char *)v.s, v.len) ? v.len + 2
		                                                                        : 0;
	case VT_NONE:
		memcpy(o, "null", 4);
		return 4;
	case VT_BOOL:
		memcpy(o, v.b ? "true" : "false", 5);
		return v.b ? 4 : 5;
	case VT_LIST:
		if (v.list->n)
			return 0;
		memcpy(o, "[]", 2);
		return 2;
	case VT_DICT:
		if (v.dict->live || (v.flags & VF_NAMESPACE))
			return 0;
		memcpy(o, "{}", 2);
		return 2;
	default:
		return 0;
	}
}

/* ---- numbers ---- */

static void write_int(struct jw *w, int64_t v)
{
	char tmp[24];
	put(w, tmp, (size_t)fmt_int(v, tmp));
}

static void write_float(struct jw *w, double f)
{
	if (isnan(f) || isinf(f)) {
		if (!w->allow_nan) {
			/* with an indent Python encodes in Python (json/encoder.py), whose message
			 * names the value; without, in C (_json.c), whose message does not */
			fail(w, "Out of range float values are not JSON compliant%s",
			     !w->layout ? ""
			     : isnan(f) ? ": nan"
			     : f > 0    ? ": inf"
			                : ": -inf");
			return;
		}
		if (isnan(f))
			PUTS(w, "NaN");
		else if (f > 0)
			PUTS(w, "Infinity");
		else
			PUTS(w, "-Infinity");
		return;
	}
	if (!w->last_len || memcmp(&f, &w->last_f, sizeof(f))) {
		w->last_f = f;
		w->last_len = (size_t)fmt_double(f, w->last_num);
	}
	put(w, w->last_num, w->last_len);
}

/* ---- containers ---- */

/* A cycle is looked for only this deep: a container inside itself is met again at every level
 * down its cycle, and the items before the way back in are written (and fail) at the first
 * level as at the later ones, so the outcome is the one checking every level gives (Python's
 * "Circular reference detected"), while the usual nesting of a few levels costs no search. */
#define CYCLE_CHECK_DEPTH 32

static bool enter(struct jw *w, const void *id)
{
	if (w->open.n >= JSON_MAX_DEPTH) {
		fail(w, "maximum recursion depth exceeded while encoding a JSON object");
		return false;
	}
	if (id && w->open.n >= CYCLE_CHECK_DEPTH)
		for (size_t k = 0; k < w->open.n; k++)
			if (w->open.v[k] == id) {
				fail(w, "Circular reference detected");
				return false;
			}
	vec_push(&w->open, id);
	return true;
}

static void leave(struct jw *w)
{
	w->open.n--;
}

static void write_value(struct jw *w, value v, int level);
static void write_container(struct jw *w, value v, int level);
static bool par_worth(const struct jw *w, uint32_t items);
static void write_par(struct jw *w, value v, int level);
static bool write_items(struct jw *w, value v, uint32_t lo, uint32_t hi, int level, bool first);

/* The items of l (its opening bracket written; no indent, no html_safe, no size limit): simple
 * ones (put_simple) with the separator before them in one step. */
static void write_list_items(struct jw *w, const struct vlist *l, int level)
{
	for (uint32_t i = 0; i < l->n && !w->failed; i++) {
		value v = l->v[i];
		char *o = reserve(w, sizeof(w->isep16) + 258);
		size_t sep = 0;
		if (i) {
			memcpy(o, w->isep16, sizeof(w->isep16));
			sep = w->isep.n;
		}
		size_t m = put_simple(o + sep, v);
		w->b->n += sep + m;
		if (m)
			continue;
		if (v.type == VT_STR && v.len <= 256)
			write_escaped(w, (const unsigned char *)v.s, v.len);
		else
			write_value(w, v, level + 1);
	}
}

static void write_list(struct jw *w, value v, int level)
{
	const struct vlist *l = v.list;
	if (!l->n) {
		PUTS(w, "[]");
		return;
	}
	if (!enter(w, l))
		return;
	putch(w, '[');
	if (w->layout)
		newline(w, level + 1);
	if (par_worth(w, l->n))
		write_par(w, v, level);
	else if (w->fast_sep && !w->layout && !w->b->max && l->n < PAR_MIN)
		write_list_items(w, l, level);
	else
		write_items(w, v, 0, l->n, level, true);
	if (w->layout)
		newline(w, level);
	putch(w, ']');
	leave(w);
}

static const char *key_kind(value k)
{
	switch (k.type) {
	case VT_STR:
		return "s";
	case VT_INT:
	case VT_FLOAT:
	case VT_BOOL:
	case VT_NONE:
		return "n";
	default:
		return NULL;
	}
}

/* a < b for sorted(): str by code point (UTF-8 byte order is the same), numbers by value,
 * other pairs as Python orders them or an error. */
static bool key_less(struct jw *w, value a, value b)
{
	if (a.type == VT_STR && b.type == VT_STR)
		return str_cmp(v_as_str(a), v_as_str(b)) < 0;
	int c;
	if (v_compare(a, b, &c)) {
		fail(w, "'<' not supported between instances of '%s' and '%s'", v_type_name(a),
		     v_type_name(b));
		return false;
	}
	return c < 0;
}

/* Stable bottom-up merge sort of e[0..n) using t[0..n); safe whatever key_less answers. */
static void sort_entries(struct jw *w, struct ventry *e, struct ventry *t, size_t n)
{
	for (size_t width = 1; width < n && !w->failed; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				t[k++] = key_less(w, e[j].k, e[i].k) ? e[j++] : e[i++];
			while (i < mid)
				t[k++] = e[i++];
			while (j < hi)
				t[k++] = e[j++];
		}
		memcpy(e, t, n * sizeof(*e));
	}
}

static void write_key(struct jw *w, value k)
{
	switch (k.type) {
	case VT_STR:
		write_string(w, k.s, k.len);
		return;
	case VT_INT:
		putch(w, '"');
		write_int(w, k.i);
		putch(w, '"');
		return;
	case VT_FLOAT:
		putch(w, '"');
		write_float(w, k.f);
		putch(w, '"');
		return;
	case VT_BOOL:
		if (k.b)
			PUTS(w, "\"true\"");
		else
			PUTS(w, "\"false\"");
		return;
	default:
		PUTS(w, "\"null\"");
		return;
	}
}

/* A key and the key separator; a short string key's text is kept and copied the next time the
 * same key (same bytes at the same address) comes. */
static void write_key_sep(struct jw *w, value k)
{
	if (k.type != VT_STR || k.len > KEY_TEXT_MAX / 2 || w->html || w->ksep.n > 8) {
		write_key(w, k);
		put_ksep(w);
		return;
	}
	if (!w->keys)
		w->keys = xcalloc(KEY_TEXT_SLOTS, sizeof(*w->keys));
	struct key_text *kt =
	    &w->keys[((uintptr_t)k.s * 0x9e3779b97f4a7c15ULL >> 32) & (KEY_TEXT_SLOTS - 1)];
	if (kt->p == k.s && kt->len == k.len) {
		put(w, kt->text, kt->n);
		return;
	}
	/* room first, so that the window is not flushed while the text is written */
	reserve(w, 6 * KEY_TEXT_MAX);
	size_t at = w->b->n;
	write_key(w, k);
	put_ksep(w);
	size_t n = w->b->n - at;
	if (n <= KEY_TEXT_MAX && !w->failed) {
		kt->p = k.s;
		kt->len = k.len;
		kt->n = (uint8_t)n;
		memcpy(kt->text, w->b->p + at, n);
	}
}

/* One dict entry, with the separator before it unless it is the first written; whether it was
 * written. keep: the key's text may be kept (see write_key_sep); not for the keys of a table
 * of thousands, each met once. */
static bool write_entry(struct jw *w, const value *k, const value *v, int level, bool *first,
                        bool keep)
{
	if (k->type == VT_UNDEF)
		return false;
	if (!key_kind(*k)) {
		if (!w->skipkeys)
			fail(w, "keys must be str, int, float, bool or None, not %s", v_type_name(*k));
		return false;
	}
	if (!*first) {
		put_isep(w);
		if (w->layout)
			newline(w, level + 1);
	}
	*first = false;
	if (keep) {
		write_key_sep(w, *k);
	} else {
		write_key(w, *k);
		put_ksep(w);
	}
	write_value(w, *v, level + 1);
	return true;
}

/* While item i of a big container is written: the header of the dict or list two items on,
 * and the values of the next one (its header asked for one item ago), so their lines are on
 * their way before they are needed (a manifest's nodes are scattered over its arenas). */
static inline void prefetch_ahead(value v, uint32_t i, uint32_t hi)
{
	const value *items = v.type == VT_DICT ? v.dict->v : v.list->v;
	if (i + 2 < hi && (items[i + 2].type == VT_DICT || items[i + 2].type == VT_LIST))
		__builtin_prefetch(items[i + 2].ptr);
	if (i + 1 < hi && items[i + 1].type == VT_DICT) {
		const value *vals = items[i + 1].dict->v;
		__builtin_prefetch(vals);
		__builtin_prefetch((const char *)vals + 64);
		__builtin_prefetch((const char *)vals + 128);
		__builtin_prefetch((const char *)vals + 192);
	}
}

/* Items [lo, hi) of a list or entries of a dict (in its order); returns whether any was
 * written. */
static bool write_items(struct jw *w, value v, uint32_t lo, uint32_t hi, int level, bool first)
{
	bool wrote = false;
	/* the items of a table of thousands (a manifest's nodes, parent_map) are each written once:
	 * remembering them in the memo would only cost its memory */
	bool big = (v.type == VT_DICT ? v.dict->live : v.list->n) >= PAR_MIN;
	for (uint32_t i = lo; i < hi && !w->failed; i++) {
		if (big)
			prefetch_ahead(v, i, hi);
		if (v.type == VT_DICT) {
			if (big)
				w->nomemo = v.dict->v[i].ptr;
			wrote |= write_entry(w, &v.dict->k[i], &v.dict->v[i], level, &first, !big);
			continue;
		}
		if (big)
			w->nomemo = v.list->v[i].ptr;
		wrote = true;
		if (!first) {
			put_isep(w);
			if (w->layout)
				newline(w, level + 1);
		}
		first = false;
		write_value(w, v.list->v[i], level + 1);
	}
	return wrote;
}

/* ---- big containers on two threads ----
 * A manifest's nodes, parent_map and child_map have tens of thousands of items. When writing to
 * a file, such a container is cut into batches (after its first PAR_FIRST items, which size
 * them) that the calling thread and a helper take in turn, whichever is free taking the next:
 * the two threads' speeds differ from run to run and from batch to batch (a fixed share left
 * one waiting for the other a quarter of the time). The calling thread writes the batch due
 * next straight into the window; a batch taken ahead of its turn (by the helper, or by the
 * caller while the helper finishes the one due) goes into one of a few buffers, which the
 * calling thread copies out in order, so the text is the same and memory stays bounded. The
 * helper has its own memo (shared parts are written once per thread) and stops at its first
 * failure, which the calling thread reports when it reaches that batch, as a single thread
 * would have. */

struct par_slot {
	struct buf text;
	struct buf err; /* the message of a batch the calling thread failed ahead of its turn */
	bool ready, failed, wrote;
	bool mine; /* written by the calling thread */
};

struct par {
	struct jw *w; /* the calling thread's writer */
	value v;
	int level;
	uint32_t n, nb;
	uint32_t base, batch; /* the batches cover items [base, n), batch items each */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu: the next batch nobody has taken, and the next one to copy out; batch b (taken,
	 * not copied out yet, so b < out + PAR_RING) is written into slot[b % PAR_RING] */
	uint32_t take, out;
	struct par_slot slot[PAR_RING];
	bool stop;
	struct json_opts o; /* the caller's, with the helper's own error buffer */
	struct buf err;
	const void **open; /* the caller's open containers when it started */
	size_t nopen;
};

/* The items [*lo, *hi) of batch b. */
static void par_range(const struct par *p, uint32_t b, uint32_t *lo, uint32_t *hi)
{
	*lo = p->base + b * p->batch;
	*hi = p->n - *lo > p->batch ? *lo + p->batch : p->n;
}

static bool par_worth(const struct jw *w, uint32_t items)
{
	return items >= PAR_MIN && w->fd >= 0 && !w->in_par && !w->layout && !w->sort &&
	       !w->o->default_fn && !w->b->max && !w->o->one_thread;
}

/* Under p->mu: whether a batch can be taken ahead (one is left and its slot is free). */
static bool par_can_take(const struct par *p)
{
	return p->take < p->nb && p->take < p->out + PAR_RING;
}

/* Batch b written by w into its slot (the window set aside meanwhile). The calling thread's
 * failure there is kept in the slot, to be reported in its turn (an earlier batch may fail
 * first). */
static void par_write_slot(struct par *p, struct jw *w, uint32_t b, bool caller)
{
	struct par_slot *s = &p->slot[b % PAR_RING];
	struct buf *out = w->b;
	int fd = w->fd;
	const struct json_opts *o = w->o;
	struct json_opts mine;
	if (caller) {
		mine = *o;
		s->err.n = 0;
		mine.err = &s->err;
		w->o = &mine;
	}
	s->text.n = 0;
	w->b = &s->text;
	w->fd = -1;
	uint32_t lo, hi;
	par_range(p, b, &lo, &hi);
	s->wrote = write_items(w, p->v, lo, hi, p->level, true);
	s->failed = w->failed;
	w->b = out;
	w->fd = fd;
	if (caller) {
		w->o = o;
		w->failed = false;
	}
}

static void jw_init(struct jw *w, struct buf *out, int fd, const struct json_opts *o);

static void *par_helper(void *arg)
{
	struct par *p = arg;
	struct jw h;
	jw_init(&h, NULL, -1, &p->o);
	h.in_par = true;
	for (size_t k = 0; k < p->nopen; k++) /* for the circular-reference check */
		vec_push(&h.open, p->open[k]);
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->take < p->nb && !par_can_take(p))
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || !par_can_take(p)) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		uint32_t b = p->take++;
		pthread_mutex_unlock(&p->mu);
		par_write_slot(p, &h, b, false);
		pthread_mutex_lock(&p->mu);
		p->slot[b % PAR_RING].ready = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (h.failed)
			break;
	}
	vec_free(&h.open);
	vec_free(&h.scratch);
	memo_free(&h);
	return NULL;
}

/* The batches of p on the calling thread, with the helper: each copied out in turn. */
static void par_run_caller(struct par *p, struct jw *w, bool first)
{
	while (!w->failed) {
		pthread_mutex_lock(&p->mu);
		uint32_t b = p->out;
		if (b == p->nb) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		struct par_slot *s = &p->slot[b % PAR_RING];
		if (p->take == b) { /* due and not taken: written straight into the window */
			p->take++;
			pthread_mutex_unlock(&p->mu);
			uint32_t lo, hi;
			par_range(p, b, &lo, &hi);
			if (write_items(w, p->v, lo, hi, p->level, first))
				first = false;
		} else if (s->ready) {
			pthread_mutex_unlock(&p->mu);
			if (s->failed) {
				fail(w, "%s", buf_cstr(s->mine ? &s->err : &p->err));
			} else if (s->wrote) {
				if (!first)
					put_isep(w);
				first = false;
				/* straight from the slot to the file, not through the window */
				flush_fd_with(w, s->text.p, s->text.n);
			}
		} else if (par_can_take(p)) { /* the helper is on the due one: the next, ahead */
			uint32_t ahead = p->take++;
			pthread_mutex_unlock(&p->mu);
			par_write_slot(p, w, ahead, true);
			pthread_mutex_lock(&p->mu);
			p->slot[ahead % PAR_RING].mine = true;
			p->slot[ahead % PAR_RING].ready = true;
			pthread_mutex_unlock(&p->mu);
			continue;
		} else {
			pthread_cond_wait(&p->cv, &p->mu);
			pthread_mutex_unlock(&p->mu);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		s->ready = s->mine = false;
		p->out++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* The items of v (a list or dict, its opening bracket written) on two threads. */
static void write_par(struct jw *w, value v, int level)
{
	struct par *p = xcalloc(1, sizeof(*p));
	p->w = w;
	p->v = v;
	p->level = level;
	p->n = v.type == VT_LIST ? v.list->n : v.dict->n;
	/* the first items here, to size the batches by their text */
	uint64_t at = w->flushed + w->b->n;
	bool first = !write_items(w, v, 0, PAR_FIRST, level, true);
	uint64_t per = (w->flushed + w->b->n - at) / PAR_FIRST + 1; /* bytes an item */
	p->base = PAR_FIRST;
	p->batch = PAR_TEXT / per < PAR_FIRST        ? PAR_FIRST
	           : PAR_TEXT / per > 64 * PAR_FIRST ? 64 * PAR_FIRST
	                                             : (uint32_t)(PAR_TEXT / per);
	p->nb = (p->n - p->base + p->batch - 1) / p->batch;
	p->o = *w->o;
	p->o.err = &p->err;
	p->nopen = w->open.n;
	p->open = xcalloc(p->nopen + 1, sizeof(*p->open));
	memcpy(p->open, w->open.v, p->nopen * sizeof(*p->open));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_t th;
	if (w->failed) {
		/* (the first items failed) */
	} else if (pthread_create(&th, NULL, par_helper, p) != 0) {
		write_items(w, v, p->base, p->n, level, first);
	} else {
		w->in_par = true;
		par_run_caller(p, w, first);
		w->in_par = false;
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(th, NULL);
	}
	for (int k = 0; k < PAR_RING; k++) {
		buf_release(&p->slot[k].text);
		buf_release(&p->slot[k].err);
	}
	buf_release(&p->err);
	free(p->open);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

/* The shape of d when it has one and has been met before (see struct shape), else NULL. */
static struct shape *shape_of(struct jw *w, const struct vdict *d)
{
	if (!w->fast_sep || w->layout || w->b->max || d->n != d->live || d->n < SHAPE_MIN ||
	    d->n > SHAPE_MAX || d->k[0].type != VT_STR)
		return NULL;
	const void *id = d->index ? (const void *)d->index : (const void *)d->k[0].s;
	if (!w->shapes)
		w->shapes = xcalloc(SHAPE_SLOTS, sizeof(*w->shapes));
	/* two slots: a dict nested in another (a test's kwargs in its test_metadata) is written
	 * while the outer one's shape is busy, and must not take the outer one's only slot */
	size_t h = (((uintptr_t)id + d->n) * 0x9e3779b97f4a7c15ULL >> 32) & (SHAPE_SLOTS - 1);
	struct shape *two[2] = {&w->shapes[h], &w->shapes[(h + 1) & (SHAPE_SLOTS - 1)]};
	for (int i = 0; i < 2; i++)
		if (two[i]->id == id && two[i]->n == d->n)
			return two[i];
	struct shape *sh = NULL;
	for (int i = 0; i < 2 && !sh; i++)
		if (two[i]->cand == id && two[i]->cand_n == d->n && !two[i]->busy)
			sh = two[i];
	if (!sh) { /* the first time: remembered in a free slot, else one not being written */
		sh = !two[0]->id ? two[0] : !two[1]->id ? two[1] : !two[0]->busy ? two[0] : two[1];
		sh->cand = id;
		sh->cand_n = d->n;
		return NULL;
	}
	/* the second time: the keys' text, with the separators */
	sh->cand = NULL;
	sh->id = id;
	sh->n = d->n;
	sh->k = xrealloc(sh->k, d->n * sizeof(*sh->k));
	struct buf *out = w->b, t = BUF_INIT;
	int fd = w->fd;
	w->b = &t;
	w->fd = -1;
	sh->keys = d->k;
	for (uint32_t i = 0; i < d->n; i++) {
		const value *dk = &d->k[i];
		struct shape_key *k = &sh->k[i];
		k->k = (value){.type = 0xff};
		k->n = 0;
		k->last = (value){.type = 0xff};
		if (dk->type != VT_STR)
			continue;
		t.n = 0;
		if (i)
			put_isep(w);
		write_string(w, dk->s, dk->len);
		put_ksep(w);
		if (t.n <= SHAPE_TEXT) {
			k->k = *dk;
			k->n = t.n;
			memcpy(k->text, t.p, t.n);
		}
	}
	w->b = out;
	w->fd = fd;
	buf_release(&t);
	return sh;
}

/* The entries of d (no holes; its opening brace written) with the key texts of its shape; an
 * entry with another key takes the general path. Plain short strings and None are written
 * with the key in one piece. */
static void write_shaped(struct jw *w, const struct vdict *d, struct shape *sh, int level)
{
	bool first = true, keys = d->k == sh->keys; /* (keys without text: n is 0) */
	sh->busy++;
	/* what the values point to (strings, lists, dicts) is mostly not in the cache: asked for
	 * all at once, its lines come in together rather than one after the other */
	for (uint32_t i = 0; i < d->n; i++)
		if (d->v[i].type == VT_STR || d->v[i].type == VT_LIST || d->v[i].type == VT_DICT)
			__builtin_prefetch(d->v[i].ptr);
	for (uint32_t i = 0; i < d->n && !w->failed; i++) {
		struct shape_key *k = &sh->k[i];
		if (!(keys ? k->n != 0 : same_bits(&d->k[i], &k->k)) || first != !i) {
			write_entry(w, &d->k[i], &d->v[i], level, &first, true);
			continue;
		}
		first = false;
		value v = d->v[i];
		char *o = reserve(w, SHAPE_TEXT + 258);
		memcpy(o, k->text, SHAPE_TEXT);
		if (same_bits(&v, &k->last)) {
			memcpy(o + k->n, k->last_text, SHAPE_LAST);
			w->b->n += k->n + k->last_n;
			continue;
		}
		w->b->n += k->n;
		size_t at = w->b->n;
		uint64_t flushed = w->flushed;
		size_t m = put_simple(o + k->n, v);
		w->b->n += m;
		if (!m) {
			if (v.type == VT_STR && v.len <= 256)
				write_escaped(w, (const unsigned char *)v.s, v.len);
			else
				write_value(w, v, level + 1);
		}
		/* kept for the next dict: not for objects (default= may answer differently) */
		if (!w->failed && w->flushed == flushed && w->b->n - at <= SHAPE_LAST &&
		    v.type <= VT_DICT && v.type != VT_UNDEF && !(v.flags & VF_NAMESPACE)) {
			k->last = v;
			k->last_n = (uint32_t)(w->b->n - at);
			memcpy(k->last_text, w->b->p + at, k->last_n);
		}
	}
	sh->busy--;
}

static void write_dict(struct jw *w, value v, int level)
{
	const struct vdict *d = v.dict;
	/* the top-level dict of a write in two (json_opts.no_open, no_close) */
	bool top = level == 0 && !w->open.n && !w->sort && !w->layout,
	     no_open = top && w->o->no_open, no_close = top && w->o->no_close;
	if (!d->live) {
		if (!no_open)
			putch(w, '{');
		if (!no_close)
			putch(w, '}');
		return;
	}
	if (!enter(w, d))
		return;
	/* with sort_keys the order lives in scratch[base .. base+count) */
	size_t base = w->scratch.n, count = 0;
	if (w->sort) {
		for (uint32_t i = 0; i < d->n; i++)
			if (d->k[i].type != VT_UNDEF)
				vec_push(&w->scratch, vdict_at(d, i));
		count = w->scratch.n - base;
		for (size_t i = 0; i < count; i++) /* room for the merge */
			vec_push(&w->scratch, (struct ventry){0});
		sort_entries(w, w->scratch.v + base, w->scratch.v + base + count, count);
		w->scratch.n = base + count;
	}
	if (!no_open)
		putch(w, '{');
	if (w->layout)
		newline(w, level + 1);
	bool first = !no_open;
	if (no_open || no_close) {
		write_items(w, v, 0, d->n, level, first);
	} else if (w->sort) {
		for (size_t i = 0; i < count && !w->failed; i++) {
			struct ventry e = w->scratch.v[base + i]; /* (nested dicts may move scratch) */
			write_entry(w, &e.k, &e.v, level, &first, true);
		}
	} else if (par_worth(w, d->live)) {
		write_par(w, v, level);
	} else {
		struct shape *sh = shape_of(w, d);
		if (sh)
			write_shaped(w, d, sh, level);
		else
			write_items(w, v, 0, d->n, level, true);
	}
	w->scratch.n = base;
	if (w->layout)
		newline(w, level);
	if (!no_close)
		putch(w, '}');
	leave(w);
}

/* Python's default= for values JSON has no form for. */
static void write_other(struct jw *w, value v, int level)
{
	const struct json_opts *o = w->o;
	value r;
	const void *id = v.type == VT_UNDEF ? NULL : v.ptr;
	if (!o->default_fn || o->default_fn(v, &r, o->default_ud) != 0) {
		fail(w, "Object of type %s is not JSON serializable", v_type_name(v));
		return;
	}
	if (!enter(w, id))
		return;
	write_value(w, r, level);
	leave(w);
}

/* A list or dict, through the memo when it is big enough, the text does not depend on the
 * nesting level (no indent) and it is not a list of simple items. */
static void write_container(struct jw *w, value v, int level)
{
	uint32_t items = v.type == VT_LIST ? v.list->n : v.dict->live;
	/* a list that starts with a string, a number, None or a bool (tags, fqn, depends_on):
	 * simple items are cheaper to write again than to look up */
	bool simple = v.type == VT_LIST && items && v.list->v[0].type < VT_LIST;
	if (w->layout || items < MEMO_MIN_ITEMS || v.ptr == w->nomemo || simple) {
		if (v.type == VT_LIST)
			write_list(w, v, level);
		else
			write_dict(w, v, level);
		return;
	}
	struct memo *m = memo_slot(w, v.ptr);
	if (m->text) {
		put(w, m->text, m->len);
		return;
	}
	if (!m->p) { /* the first time: remember that it was seen */
		m->p = v.ptr;
		w->memo_n++;
		if (v.type == VT_LIST)
			write_list(w, v, level);
		else
			write_dict(w, v, level);
		return;
	}
	/* the second time: write into a buffer of its own and keep the text */
	struct buf *out = w->b, own = BUF_INIT;
	int fd = w->fd;
	w->b = &own;
	w->fd = -1;
	if (v.type == VT_LIST)
		write_list(w, v, level);
	else
		write_dict(w, v, level);
	w->b = out;
	w->fd = fd;
	if (!w->failed) {
		put(w, buf_cstr(&own), own.n);
		m = memo_slot(w, v.ptr); /* the table may have grown meanwhile */
		m->len = own.n;
		m->text = buf_detach(&own, NULL);
	}
	buf_release(&own);
}

static void write_value(struct jw *w, value v, int level)
{
	switch (v.type) {
	case VT_STR:
		write_string(w, v.s, v.len);
		break;
	case VT_NONE:
		PUTS(w, "null");
		break;
	case VT_BOOL:
		if (v.b)
			PUTS(w, "true");
		else
			PUTS(w, "false");
		break;
	case VT_INT:
		write_int(w, v.i);
		break;
	case VT_FLOAT:
		write_float(w, v.f);
		break;
	case VT_LIST:
	case VT_DICT:
		if (v.type == VT_DICT && (v.flags & VF_NAMESPACE))
			write_other(w, v, level);
		else
			write_container(w, v, level);
		break;
	default:
		write_other(w, v, level);
		break;
	}
	struct buf *b = w->b;
	if (b->max && b->n > b->max && !w->failed) {
		b->overflow = true;
		fail(w, "JSON output exceeds %zu bytes", b->max);
	}
}

static void jw_init(struct jw *w, struct buf *out, int fd, const struct json_opts *o)
{
	*w = (struct jw){
	    .b = out,
	    .o = o,
	    .fd = fd,
	    .layout = o->indent >= 0 || o->indent_str,
	    .ascii = o->ensure_ascii,
	    .html = o->html_safe,
	    .allow_nan = o->allow_nan,
	    .sort = o->sort_keys,
	    .skipkeys = o->skipkeys,
	};
	w->plain = 1u << C_PLAIN;
	if (!w->html)
		w->plain |= 1u << C_HTML;
	if (!w->ascii)
		w->plain |= 1u << C_DEL;
	if (o->indent_str)
		w->ind = str_from(o->indent_str);
	else if (o->indent > 0)
		w->spaces = (size_t)o->indent;
	w->isep = str_from(o->item_sep ? o->item_sep : w->layout ? "," : ", ");
	w->ksep = str_from(o->key_sep ? o->key_sep : ": ");
	w->fast_sep = !w->html && w->isep.n <= sizeof(w->isep16) && w->ksep.n <= sizeof(w->ksep16);
	if (w->fast_sep) {
		memcpy(w->isep16, w->isep.p, w->isep.n);
		memcpy(w->ksep16, w->ksep.p, w->ksep.n);
	}
	w->fast_str = w->plain == ((1u << C_PLAIN) | (1u << C_HTML));
}

int json_write(struct buf *out, value v, const struct json_opts *o)
{
	static const struct json_opts defaults = JSON_OPTS_INIT;
	if (!o)
		o = &defaults;
	struct jw w;
	jw_init(&w, out, -1, o);
	size_t start = out->n;
	write_value(&w, v, 0);
	vec_free(&w.open);
	vec_free(&w.scratch);
	memo_free(&w);
	if (w.failed) {
		out->n = start;
		if (out->p)
			out->p[start] = 0;
		return -1;
	}
	if (out->p)
		out->p[out->n] = 0;
	return 0;
}

int json_write_fd(int fd, value v, const struct json_opts *o)
{
	static const struct json_opts defaults = JSON_OPTS_INIT;
	if (!o)
		o = &defaults;
	struct buf window = BUF_INIT;
	buf_grow(&window, JSON_FD_WINDOW);
	struct jw w;
	jw_init(&w, &window, fd, o);
	write_value(&w, v, 0);
	if (!w.failed)
		flush_fd(&w);
	vec_free(&w.open);
	vec_free(&w.scratch);
	memo_free(&w);
	buf_release(&window);
	if (w.write_errno && !w.failed && o->err)
		buf_puts(o->err, strerror(w.write_errno));
	return w.failed || w.write_errno ? -1 : 0;
}
