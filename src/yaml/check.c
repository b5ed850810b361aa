/* The construction pass of yaml_load: everything PyYAML's SafeConstructor would refuse, found in
 * the order it would find it, so that a document with several problems reports the same first
 * one. Scalars get their typed values (n->i, n->f, n->b, n->dt) here.
 *
 * SafeConstructor (yaml/constructor.py) builds a scalar the moment its parent reaches it, but a
 * sequence or mapping is a generator: it hands out an empty container at once and fills it
 * later, in FIFO order (construct_document's state_generators). Filling a mapping first
 * flattens its `<<` merges (checking what they bring), then builds its pairs: merged ones first,
 * then its own, each key checked for hashability. Every node is built once (constructed_objects);
 * merge keys and the lists after them are never built at all. */
#include "value/datetime.h"
#include "yaml_int.h"

/* node flags private to this pass */
enum {
	F_BUILT = 16, /* construct_object has run on it */
	F_FLAT = 32,  /* flatten_mapping has run on it */
	F_PAIRS = 64, /* every node of its (flattened) pairs is built */
};

/* A deep chain of merges of merges recurses; more than this many is refused. */
#define MAX_MERGE_DEPTH 4096

enum role { ROLE_VALUE, ROLE_KEY };

struct checker {
	struct arena *a;
	const struct yaml_tagtext *tags;
	size_t ntags;
	VEC(struct yaml_node *) queue; /* collections waiting to be filled */
	struct buf why;
	const struct yaml_node *at; /* where the first error is, once failed */
	bool failed;
};

static void fail(struct checker *ck, const struct yaml_node *n, const char *fmt, ...)
    SILT_PRINTF(3, 4);
static void fail(struct checker *ck, const struct yaml_node *n, const char *fmt, ...)
{
	if (ck->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	buf_reset(&ck->why);
	buf_vprintf(&ck->why, fmt, ap);
	va_end(ap);
	ck->failed = true;
	ck->at = n;
}

/* The tag as PyYAML names it in messages. */
static const char *tag_name(const struct checker *ck, const struct yaml_node *n)
{
	for (size_t i = 0; i < ck->ntags; i++)
		if (ck->tags[i].node == n)
			return ck->tags[i].text;
	return n->tag == YAML_T_MERGE ? "tag:yaml.org,2002:merge" : "tag:yaml.org,2002:value";
}

/* construct_object: scalars now, collections queued. */
static void construct(struct checker *ck, struct yaml_node *n, enum role role)
{
	if (ck->failed || (n->flags & F_BUILT))
		return;
	n->flags |= F_BUILT;
	if (n->tag == YAML_T_VALUE && role == ROLE_KEY)
		n->tag = YAML_T_STR; /* flatten_mapping made the key `=` a str */
	switch (n->tag) {
	case YAML_T_UNKNOWN:
	case YAML_T_MERGE:
	case YAML_T_VALUE:
		fail(ck, n, "could not determine a constructor for the tag '%s'", tag_name(ck, n));
		return;
	case YAML_T_UNSUPPORTED:
		fail(ck, n, "the tag '%s' is not supported (silt has no bytes or set values)",
		     tag_name(ck, n));
		return;
	case YAML_T_SEQ:
	case YAML_T_MAP:
	case YAML_T_OMAP:
	case YAML_T_PAIRS:
		vec_push(&ck->queue, n);
		return;
	default: /* null, bool, int, float, str, timestamp */
		if (n->kind != YAML_K_SCALAR) {
			fail(ck, n, "expected a scalar node, but found %s", yaml_kind_name(n));
			return;
		}
		buf_reset(&ck->why);
		if (yaml_scalar_build(ck->a, n, &ck->why)) {
			ck->failed = true;
			ck->at = n;
		}
		return;
	}
}

/* flatten_mapping: checks what each `<<` brings, merged mappings first. */
static void flatten(struct checker *ck, struct yaml_node *m, int depth)
{
	if (ck->failed || (m->flags & F_FLAT))
		return;
	m->flags |= F_FLAT;
	if (depth > MAX_MERGE_DEPTH) {
		fail(ck, m, "merges nested deeper than %d levels", MAX_MERGE_DEPTH);
		return;
	}
	for (uint32_t i = 0; i < m->len && !ck->failed; i++) {
		struct yaml_node *k = m->pairs[i].key, *v = m->pairs[i].val;
		if (k->tag == YAML_T_VALUE) {
			k->tag = YAML_T_STR;
			continue;
		}
		if (k->tag != YAML_T_MERGE)
			continue;
		if (v->kind == YAML_K_MAP) {
			flatten(ck, v, depth + 1);
		} else if (v->kind == YAML_K_SEQ) {
			for (uint32_t j = 0; j < v->len && !ck->failed; j++) {
				if (v->items[j]->kind != YAML_K_MAP)
					fail(ck, v->items[j],
					     "expected a mapping for merging, but found %s",
					     yaml_kind_name(v->items[j]));
				else
					flatten(ck, v->items[j], depth + 1);
			}
		} else {
			fail(ck, v,
			     "expected a mapping or list of mappings for merging, but found %s",
			     yaml_kind_name(v));
		}
	}
}

static bool hashable(const struct yaml_node *k)
{
	return k->tag != YAML_T_SEQ && k->tag != YAML_T_MAP && k->tag != YAML_T_OMAP &&
	       k->tag != YAML_T_PAIRS;
}

/* construct_mapping over the flattened pairs: those merged in (the last mapping of a merge list
 * first), then the mapping's own. */
static void build_pairs(struct checker *ck, struct yaml_node *m, int depth)
{
	if (ck->failed || (m->flags & F_PAIRS))
		return;
	if (depth > MAX_MERGE_DEPTH) {
		fail(ck, m, "merges nested deeper than %d levels", MAX_MERGE_DEPTH);
		return;
	}
	if (m->flags & YAML_F_MERGE) {
		for (uint32_t i = 0; i < m->len && !ck->failed; i++) {
			struct yaml_node *v = m->pairs[i].val;
			if (m->pairs[i].key->tag != YAML_T_MERGE)
				continue;
			if (v->kind == YAML_K_MAP)
				build_pairs(ck, v, depth + 1);
			else
				for (uint32_t j = v->len; j-- > 0 && !ck->failed;)
					build_pairs(ck, v->items[j], depth + 1);
		}
	}
	for (uint32_t i = 0; i < m->len && !ck->failed; i++) {
		struct yaml_node *k = m->pairs[i].key;
		if (k->tag == YAML_T_MERGE)
			continue;
		construct(ck, k, ROLE_KEY);
		if (!ck->failed && !hashable(k))
			fail(ck, k, "found unhashable key");
		construct(ck, m->pairs[i].val, ROLE_VALUE);
	}
	if (!ck->failed)
		m->flags |= F_PAIRS;
}

/* The body of a collection's generator. */
static void fill(struct checker *ck, struct yaml_node *n)
{
	switch (n->tag) {
	case YAML_T_SEQ:
		if (n->kind != YAML_K_SEQ) {
			fail(ck, n, "expected a sequence node, but found %s", yaml_kind_name(n));
			return;
		}
		for (uint32_t i = 0; i < n->len && !ck->failed; i++)
			construct(ck, n->items[i], ROLE_VALUE);
		return;
	case YAML_T_MAP:
		if (n->kind != YAML_K_MAP) {
			fail(ck, n, "expected a mapping node, but found %s", yaml_kind_name(n));
			return;
		}
		flatten(ck, n, 0);
		build_pairs(ck, n, 0);
		return;
	default: /* !!omap and !!pairs: single-pair mappings, not flattened */
		if (n->kind != YAML_K_SEQ) {
			fail(ck, n, "expected a sequence, but found %s", yaml_kind_name(n));
			return;
		}
		for (uint32_t i = 0; i < n->len && !ck->failed; i++) {
			struct yaml_node *it = n->items[i];
			if (it->kind != YAML_K_MAP) {
				fail(ck, it, "expected a mapping of length 1, but found %s",
				     yaml_kind_name(it));
			} else if (it->len != 1) {
				fail(ck, it, "expected a single mapping item, but found %u items",
				     (unsigned)it->len);
			} else {
				construct(ck, it->pairs[0].key, ROLE_VALUE);
				construct(ck, it->pairs[0].val, ROLE_VALUE);
			}
		}
		return;
	}
}

int yaml_check(struct yaml_doc *doc, struct arena *a, const struct yaml_tagtext *tags, size_t ntags,
               struct diag *d)
{
	if (!doc->root)
		return 0;
	struct checker ck = {.a = a, .tags = tags, .ntags = ntags};
	construct(&ck, doc->root, ROLE_VALUE);
	for (size_t head = 0; head < ck.queue.n && !ck.failed; head++)
		fill(&ck, ck.queue.v[head]);
	if (ck.failed)
		diag_add(d, DIAG_ERROR, doc->file, ck.at->line, ck.at->col, doc->text, doc->len,
		         "%s", buf_cstr(&ck.why));
	vec_free(&ck.queue);
	buf_release(&ck.why);
	return ck.failed ? -1 : 0;
}
