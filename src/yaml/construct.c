/* yaml_to_value: the DOM as values, as PyYAML's SafeConstructor builds Python objects.
 *
 * Every node reached through aliases is built once and shared (construct_object's cache), so a
 * "billion laughs" document stays as small as its text. yaml_load has already refused what
 * SafeConstructor would refuse, so nothing here fails. */
#include "value/datetime.h"
#include "yaml_int.h"

struct conv {
	struct arena *a;
	value *cache; /* by node id; VT_UNDEF until built */
};

static value conv(struct conv *c, const struct yaml_node *n);

/* dict[k] = v. Objects (dates) hash by identity in vdict, so equal dates are found by hand. */
static void dset(struct vdict *d, value k, value v)
{
	if (k.type == VT_OBJ) {
		for (uint32_t i = 0; i < d->n; i++) {
			if (d->k[i].type != VT_UNDEF && v_equal(d->k[i], k)) {
				d->v[i] = v;
				return;
			}
		}
	}
	vdict_set(d, k, v);
}

static value scalar(struct conv *c, const struct yaml_node *n)
{
	switch (n->tag) {
	case YAML_T_NULL:
		return v_none();
	case YAML_T_BOOL:
		return v_bool(n->b);
	case YAML_T_INT:
		return n->flags & YAML_F_BIGINT ? v_float(n->f) : v_int(n->i);
	case YAML_T_FLOAT:
		return v_float(n->f);
	case YAML_T_TIMESTAMP:
		/* dt is NULL only under a `!!merge` key, which PyYAML never builds */
		return n->dt ? v_datetime(c->a, n->dt) : v_str(n->text, n->len);
	default: /* str, and the key `=` */
		return v_str(n->text, n->len);
	}
}

/* The pairs `<<` brings, applied to d: a mapping's, or each mapping's of a list with the earlier
 * ones winning (flatten_mapping reverses the list). */
static void merge_into(struct conv *c, struct vdict *d, const struct yaml_node *src)
{
	if (src->kind == YAML_K_SEQ) {
		for (uint32_t i = src->len; i-- > 0;)
			merge_into(c, d, src->items[i]);
		return;
	}
	value m = conv(c, src);
	for (uint32_t i = 0; i < m.dict->n; i++)
		if (m.dict->k[i].type != VT_UNDEF)
			dset(d, m.dict->k[i], m.dict->v[i]);
}

static value mapping(struct conv *c, const struct yaml_node *n)
{
	value d = v_dict(c->a, n->len);
	/* merged pairs come first, explicit ones after them and so win (flatten_mapping) */
	if (n->flags & YAML_F_MERGE)
		for (uint32_t i = 0; i < n->len; i++)
			if (n->pairs[i].key->tag == YAML_T_MERGE)
				merge_into(c, d.dict, n->pairs[i].val);
	for (uint32_t i = 0; i < n->len; i++) {
		const struct yaml_pair *p = &n->pairs[i];
		if (p->key->tag == YAML_T_MERGE)
			continue;
		value k = conv(c, p->key);
		dset(d.dict, k, conv(c, p->val));
	}
	return d;
}

static value sequence(struct conv *c, const struct yaml_node *n)
{
	value l = v_list(c->a, n->len);
	for (uint32_t i = 0; i < n->len; i++) {
		const struct yaml_node *it = n->items[i];
		if (n->tag == YAML_T_OMAP || n->tag == YAML_T_PAIRS) {
			/* [(key, value), ...] from single-pair mappings */
			value kv[2] = {conv(c, it->pairs[0].key), conv(c, it->pairs[0].val)};
			l.list->v[i] = v_tuple(c->a, 2, kv);
		} else {
			l.list->v[i] = conv(c, it);
		}
	}
	l.list->n = n->len;
	return l;
}

static value conv(struct conv *c, const struct yaml_node *n)
{
	if (n->id && c->cache[n->id].type != VT_UNDEF)
		return c->cache[n->id];
	value v;
	switch (n->kind) {
	case YAML_K_SEQ:
		v = sequence(c, n);
		break;
	case YAML_K_MAP:
		v = mapping(c, n);
		break;
	default:
		v = scalar(c, n);
		break;
	}
	if (n->id)
		c->cache[n->id] = v;
	return v;
}

value yaml_to_value(struct arena *a, const struct yaml_node *n)
{
	if (!n)
		return v_none();
	const struct yaml_doc *doc = n->doc;
	struct conv c = {.a = a};
	if (!doc->shared)
		return conv(&c, n);
	c.cache = xcalloc(doc->shared + 1, sizeof(value)); /* zero is VT_UNDEF */
	/* Shared nodes first, in the order they were completed: each one's aliases are then built
	 * already, so the recursion never goes deeper than the document's nesting. */
	for (uint32_t i = 0; i < doc->nanchored; i++)
		if (doc->anchored[i]->id && doc->anchored[i]->tag != YAML_T_MERGE)
			conv(&c, doc->anchored[i]);
	value v = conv(&c, n);
	free(c.cache);
	return v;
}

int yaml_load_value(struct arena *a, const char *file, const char *text, size_t len, value *out,
                    struct diag *d)
{
	struct yaml_doc *doc;
	if (yaml_load(a, file, text, len, &doc, d)) {
		*out = v_none();
		return -1;
	}
	*out = yaml_to_value(a, doc->root);
	return 0;
}
