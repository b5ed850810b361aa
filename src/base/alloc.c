/* xmalloc family and arenas. */
#include <pthread.h>
#include <sys/mman.h>

#include "base.h"

void silt_abort(const char *what)
{
	fprintf(stderr, "silt: fatal: %s\n", what);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		silt_abort("out of memory");
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		silt_abort("out of memory");
	return p;
}

void *xzalloc(size_t count, size_t size)
{
	if (count && size > SIZE_MAX / count)
		silt_abort("out of memory");
	size_t n = (count ? count : 1) * (size ? size : 1);
	void *p = xmalloc(n);
	memset(p, 0, n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		silt_abort("out of memory");
	return p;
}

char *xmemdup0(const void *p, size_t n)
{
	char *s = xmalloc(n + 1);
	if (n)
		memcpy(s, p, n);
	s[n] = 0;
	return s;
}

char *xstrdup(const char *s) { return xmemdup0(s, strlen(s)); }

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	bool mapped; /* from mmap (a huge chunk), not malloc */
	_Alignas(16) char data[];
};

/* Chunks double from 16 KiB up to 2 MiB; those are mapped whole and their pages filled in
 * advance (MAP_POPULATE; measured faster than faulting them in one by one), so a long-lived
 * arena holding a big project (10,000 parsed templates) costs a few mmap calls instead of tens
 * of thousands of page faults. */
#define ARENA_HUGE (2u * 1024 * 1024)
#define ARENA_MAX_CHUNK (2u * 1024 * 1024)

/* Mappings given back are kept, cut into ARENA_HUGE pieces, for the next arenas (up to
 * POOL_MAX pieces; the rest are unmapped): on this kind of virtual machine a page costs far
 * more to fill the first time than to use again, and a parse frees megabytes between its
 * phases (a phase's arrays, a worker's scratch) just before the next phase asks for as many. */
#define POOL_MAX 16
static struct {
	pthread_mutex_t mu;
	struct arena_chunk *head;
	unsigned n;
} pool = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

/* Gives back the mapping [p, p + len) (a multiple of ARENA_HUGE). */
static void pool_put(char *p, size_t len)
{
	pthread_mutex_lock(&pool.mu);
	while (len && pool.n < POOL_MAX) {
		struct arena_chunk *c = (struct arena_chunk *)p;
		ARENA_UNPOISON(c, sizeof(*c));
		ARENA_POISON(c->data, ARENA_HUGE - sizeof(*c));
		c->size = ARENA_HUGE - sizeof(*c);
		c->mapped = true;
		c->next = pool.head;
		pool.head = c;
		pool.n++;
		p += ARENA_HUGE;
		len -= ARENA_HUGE;
	}
	pthread_mutex_unlock(&pool.mu);
	if (len) {
		/* (the shadow outlives the mapping: a later mapping at these addresses would start
		 * poisoned) */
		ARENA_UNPOISON(p, len);
		munmap(p, len);
	}
}

static struct arena_chunk *pool_take(void)
{
	pthread_mutex_lock(&pool.mu);
	struct arena_chunk *c = pool.head;
	if (c) {
		pool.head = c->next;
		pool.n--;
	}
	pthread_mutex_unlock(&pool.mu);
	return c;
}

static void chunk_free(struct arena_chunk *c)
{
	if (c->mapped)
		pool_put((char *)c, sizeof(*c) + c->size);
	else
		free(c);
}

static size_t huge_round(size_t n) { return (n + ARENA_HUGE - 1) / ARENA_HUGE * ARENA_HUGE; }

void *big_alloc(size_t n)
{
	/* not filled in advance: the workers that fill the array fault its pages in */
	size_t len = huge_round(n ? n : 1);
	struct arena_chunk *c = len == ARENA_HUGE ? pool_take() : NULL;
	if (c) {
		ARENA_UNPOISON(c, len);
		return c;
	}
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		silt_abort("out of memory");
	return m;
}

void big_free(void *p, size_t n)
{
	if (p)
		pool_put(p, huge_round(n ? n : 1));
}

#define ARENA_MIN_CHUNK (16 * 1024 - sizeof(struct arena_chunk))

void arena_init(struct arena *a) { memset(a, 0, sizeof(*a)); }

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		chunk_free(c);
		c = next;
	}
	arena_init(a);
}

void arena_adopt(struct arena *a, struct arena *from)
{
	struct arena_chunk *c = from->head;
	if (!c)
		return;
	if (!a->head) {
		*a = *from;
	} else {
		/* behind a's current chunk, which stays the one a allocates from */
		struct arena_chunk *tail = c;
		while (tail->next)
			tail = tail->next;
		tail->next = a->head->next;
		a->head->next = c;
		a->total += from->total;
	}
	arena_init(from);
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head;
	if (!c)
		return;
	/* keep the newest chunk (the biggest: sizes double), so an arena reset once per item of
	 * a loop settles on one chunk that fits an item and stops allocating */
	for (struct arena_chunk *o = c->next; o;) {
		struct arena_chunk *next = o->next;
		chunk_free(o);
		o = next;
	}
	c->next = NULL;
	a->head = c;
	a->cur = c->data;
	a->end = c->data + c->size;
	a->total = 0;
	ARENA_POISON(c->data, c->size);
}

static void arena_new_chunk(struct arena *a, size_t need)
{
	/* sizes double up to ARENA_MAX_CHUNK and stay there: a big arena is a run of 2 MiB
	 * mappings, and its last one, filled in advance, wastes at most that much */
	size_t size = ARENA_MIN_CHUNK;
	if (a->head)
		size = a->head->size * 2 + sizeof(struct arena_chunk);
	if (size + sizeof(struct arena_chunk) > ARENA_MAX_CHUNK)
		size = ARENA_MAX_CHUNK - sizeof(struct arena_chunk);
	if (size < need)
		size = need;
	struct arena_chunk *c = NULL;
	bool mapped = false;
	if (size + sizeof(*c) >= ARENA_HUGE) {
		size = huge_round(size + sizeof(*c)) - sizeof(*c);
		void *m = size + sizeof(*c) == ARENA_HUGE ? pool_take() : NULL;
		if (!m)
			m = mmap(NULL, size + sizeof(*c), PROT_READ | PROT_WRITE,
			         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (m != MAP_FAILED) {
#if defined(MADV_HUGEPAGE) && defined(SILT_ARENA_HUGEPAGES)
			madvise(m, size + sizeof(*c), MADV_HUGEPAGE);
#endif
			c = m;
			mapped = true;
		}
	}
	if (!c)
		c = xmalloc(sizeof(*c) + size);
	c->mapped = mapped;
	c->size = size;
	c->next = a->head;
	a->head = c;
	a->cur = c->data;
	a->end = c->data + size;
	ARENA_POISON(c->data, size);
}

void *arena_alloc_slow(struct arena *a, size_t n)
{
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if ((size_t)(a->end - a->cur) < n || !a->cur)
		arena_new_chunk(a, n);
	void *p = a->cur;
	a->cur += n;
	a->total += n;
	ARENA_UNPOISON(p, n);
	return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

/* Text is taken from the top of the current chunk downwards while arena_alloc takes from the
 * bottom upwards, so short strings do not cost rounding. */
char *arena_text(struct arena *a, size_t n)
{
	if (a->cur && (size_t)(a->end - a->cur) >= n) {
		a->end -= n;
		a->total += n;
		ARENA_UNPOISON(a->end, n);
		return a->end;
	}
	return arena_alloc(a, n);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_text(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	/* most texts are short: formatted once into a stack buffer and copied, instead of a
	 * measuring pass and a writing pass */
	char small[256];
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	char *p = arena_text(a, (size_t)n + 1);
	if ((size_t)n < sizeof(small))
		memcpy(p, small, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

struct arena_mark arena_mark(const struct arena *a)
{
	return (struct arena_mark){ a->head, a->cur, a->end };
}

void arena_restore(struct arena *a, struct arena_mark m)
{
	while (a->head != m.head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		chunk_free(c);
	}
	/* what was free at the mark is free again (from either end of its chunk) */
	if (m.head)
		ARENA_POISON(m.cur, (size_t)(m.end - m.cur));
	a->cur = m.cur;
	a->end = m.end;
}
