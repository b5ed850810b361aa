/* Insertion-ordered hash map (string keys) and string interning. */
#include "base.h"

void map_init(struct map *m) { memset(m, 0, sizeof(*m)); }

void map_release(struct map *m)
{
	free(m->e);
	free(m->index);
	map_init(m);
}

void map_copy(struct map *dst, const struct map *src)
{
	map_init(dst);
	if (!src->cap)
		return;
	dst->e = xmalloc(src->cap * sizeof(*dst->e));
	memcpy(dst->e, src->e, src->n * sizeof(*dst->e));
	if (src->icap) {
		dst->index = xmalloc(src->icap * sizeof(*dst->index));
		memcpy(dst->index, src->index, src->icap * sizeof(*dst->index));
	}
	dst->n = src->n;
	dst->cap = src->cap;
	dst->live = src->live;
	dst->icap = src->icap;
}

static void map_reindex(struct map *m, size_t icap)
{
	free(m->index);
	m->index = xzalloc(icap, sizeof(uint32_t)); /* (probed: see xzalloc) */
	m->icap = icap;
	for (size_t i = 0; i < m->n; i++) {
		if (!m->e[i].key.p)
			continue;
		size_t j = m->e[i].hash & (icap - 1);
		while (m->index[j])
			j = (j + 1) & (icap - 1);
		m->index[j] = (uint32_t)(i + 1);
	}
}

static void map_compact(struct map *m)
{
	size_t w = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].key.p)
			m->e[w++] = m->e[i];
	m->n = w;
}

/* Index slot holding key, or the empty slot where it would go. */
static size_t map_find(const struct map *m, struct str key, uint64_t h)
{
	size_t j = h & (m->icap - 1);
	for (;;) {
		uint32_t ix = m->index[j];
		if (!ix)
			return j;
		const struct map_entry *e = &m->e[ix - 1];
		if (e->hash == h && e->key.p && str_eq(e->key, key))
			return j;
		j = (j + 1) & (m->icap - 1);
	}
}

void *map_get(const struct map *m, struct str key)
{
	if (!m->live)
		return NULL;
	uint32_t ix = m->index[map_find(m, key, str_hash(key))];
	return ix ? m->e[ix - 1].val : NULL;
}

bool map_has(const struct map *m, struct str key)
{
	return m->live && m->index[map_find(m, key, str_hash(key))] != 0;
}

void **map_slot(struct map *m, struct str key, bool *created)
{
	uint64_t h = str_hash(key);
	if (m->icap) {
		uint32_t ix = m->index[map_find(m, key, h)];
		if (ix) {
			if (created)
				*created = false;
			return &m->e[ix - 1].val;
		}
	}
	if (m->n == m->cap) {
		if (m->live < m->n / 2) {
			map_compact(m);
			map_reindex(m, m->icap);
		} else {
			m->cap = m->cap ? m->cap * 2 : 8;
			m->e = xrealloc(m->e, m->cap * sizeof(*m->e));
		}
	}
	if ((m->n + 1) * 2 > m->icap)
		map_reindex(m, m->icap ? m->icap * 2 : 16);
	size_t slot = map_find(m, key, h);
	m->e[m->n] = (struct map_entry){ key, h, NULL };
	m->index[slot] = (uint32_t)(m->n + 1);
	m->n++;
	m->live++;
	if (created)
		*created = true;
	return &m->e[m->n - 1].val;
}

void map_set(struct map *m, struct str key, void *val) { *map_slot(m, key, NULL) = val; }

bool map_del(struct map *m, struct str key)
{
	if (!m->live)
		return false;
	size_t slot = map_find(m, key, str_hash(key));
	uint32_t ix = m->index[slot];
	if (!ix)
		return false;
	m->e[ix - 1].key.p = NULL;
	m->e[ix - 1].val = NULL;
	m->live--;
	/* Rebuild the index: simplest correct way to delete under linear probing. */
	map_reindex(m, m->icap);
	return true;
}

/* Interning has its own table: names are short, so a word-at-a-time hash and an inline compare
 * beat the general map (this is on the template parser's hot path). */
struct intern_slot {
	const char *p; /* NULL = empty */
	uint32_t n;
	uint32_t hash;
};
struct intern {
	struct intern_slot *slots;
	size_t cap, used; /* cap is a power of two */
	struct arena arena;
};

static inline uint32_t intern_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (uint32_t)h;
}

struct intern *intern_new(void)
{
	struct intern *in = xcalloc(1, sizeof(*in));
	in->cap = 1024;
	in->slots = xcalloc(in->cap, sizeof(*in->slots));
	arena_init(&in->arena);
	return in;
}

void intern_free(struct intern *in)
{
	if (!in)
		return;
	free(in->slots);
	arena_release(&in->arena);
	free(in);
}

static void intern_grow(struct intern *in)
{
	size_t cap = in->cap * 2;
	struct intern_slot *slots = xzalloc(cap, sizeof(*slots)); /* (probed: see xzalloc) */
	for (size_t i = 0; i < in->cap; i++) {
		struct intern_slot *e = &in->slots[i];
		if (!e->p)
			continue;
		size_t j = e->hash & (cap - 1);
		while (slots[j].p)
			j = (j + 1) & (cap - 1);
		slots[j] = *e;
	}
	free(in->slots);
	in->slots = slots;
	in->cap = cap;
}

const char *intern(struct intern *in, const char *s, size_t n)
{
	uint32_t h = intern_hash(s, n);
	size_t j = h & (in->cap - 1);
	for (;;) {
		struct intern_slot *e = &in->slots[j];
		if (!e->p)
			break;
		if (e->hash == h && e->n == n && memcmp(e->p, s, n) == 0)
			return e->p;
		j = (j + 1) & (in->cap - 1);
	}
	char *copy = arena_strndup(&in->arena, s, n);
	in->slots[j] = (struct intern_slot){ copy, (uint32_t)n, h };
	if (++in->used * 2 > in->cap)
		intern_grow(in);
	return copy;
}
