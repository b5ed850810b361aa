/* Walking the DOM: lookups by key, index and path, names for messages, errors at nodes. */
#include "value/datetime.h"
#include "yaml_int.h"

/* A key that is the string s: a str scalar, or `=` (which flatten_mapping makes a str). */
static bool key_is(const struct yaml_node *k, struct str s)
{
	return k->kind == YAML_K_SCALAR && (k->tag == YAML_T_STR || k->tag == YAML_T_VALUE) &&
	       str_eq(str_make(k->text, k->len), s);
}

/* Merge sources already searched in one lookup: a source reached again along another path
 * (`<<: [*a, *a]` chains) would miss again, so it is skipped and lookups stay linear. */
struct seen {
	const struct yaml_node **v;
	size_t n, cap; /* open addressing, cap a power of two */
};

static bool seen_add(struct seen *s, const struct yaml_node *n)
{
	if ((s->n + 1) * 2 > s->cap) {
		struct seen t = {xcalloc(s->cap ? s->cap * 2 : 64, sizeof(*t.v)), 0,
		                 s->cap ? s->cap * 2 : 64};
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				seen_add(&t, s->v[i]);
		free(s->v);
		*s = t;
	}
	size_t j = ((uintptr_t)n >> 4) * 0x9e3779b97f4a7c15ULL >> 7 & (s->cap - 1);
	for (; s->v[j]; j = (j + 1) & (s->cap - 1))
		if (s->v[j] == n)
			return false;
	s->v[j] = n;
	s->n++;
	return true;
}

static const struct yaml_node *lookup(const struct yaml_node *n, struct str key, struct seen *seen)
{
	for (uint32_t i = n->len; i-- > 0;) /* the last one wins */
		if (n->pairs[i].key->tag != YAML_T_MERGE && key_is(n->pairs[i].key, key))
			return n->pairs[i].val;
	if (!(n->flags & YAML_F_MERGE))
		return NULL;
	for (uint32_t i = n->len; i-- > 0;) { /* a later `<<` wins over an earlier one */
		const struct yaml_node *src = n->pairs[i].val, *v = NULL;
		if (n->pairs[i].key->tag != YAML_T_MERGE)
			continue;
		if (src->kind == YAML_K_MAP) {
			if (seen_add(seen, src))
				v = lookup(src, key, seen);
		} else if (src->kind == YAML_K_SEQ) {
			for (uint32_t j = 0; j < src->len && !v; j++) /* the earlier mapping wins */
				if (src->items[j]->kind == YAML_K_MAP &&
				    seen_add(seen, src->items[j]))
					v = lookup(src->items[j], key, seen);
		}
		if (v)
			return v;
	}
	return NULL;
}

const struct yaml_node *yaml_map_getn(const struct yaml_node *n, struct str key)
{
	if (!n || n->kind != YAML_K_MAP)
		return NULL;
	struct seen seen = {0};
	const struct yaml_node *v = lookup(n, key, &seen);
	free(seen.v);
	return v;
}

const struct yaml_node *yaml_map_get(const struct yaml_node *n, const char *key)
{
	return yaml_map_getn(n, str_from(key));
}

const struct yaml_node *yaml_seq_at(const struct yaml_node *n, size_t i)
{
	if (!n || n->kind != YAML_K_SEQ || i >= n->len)
		return NULL;
	return n->items[i];
}

const struct yaml_node *yaml_get_path(const struct yaml_node *n, const char *path)
{
	const char *p = path;
	while (n && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		struct str seg = str_make(p, len);
		if (n->kind == YAML_K_SEQ) {
			size_t i = 0;
			bool digits = len > 0 && len < 10;
			for (size_t j = 0; j < len && digits; j++) {
				digits = p[j] >= '0' && p[j] <= '9';
				i = i * 10 + (size_t)(p[j] - '0');
			}
			n = digits ? yaml_seq_at(n, i) : NULL;
		} else {
			n = yaml_map_getn(n, seg);
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	return n;
}

const char *yaml_kind_name(const struct yaml_node *n)
{
	if (!n)
		return "scalar";
	return n->kind == YAML_K_SEQ ? "sequence" : n->kind == YAML_K_MAP ? "mapping" : "scalar";
}

const char *yaml_type_name(const struct yaml_node *n)
{
	if (!n)
		return "NoneType";
	switch (n->tag) {
	case YAML_T_NULL:
		return "NoneType";
	case YAML_T_BOOL:
		return "bool";
	case YAML_T_INT:
		return "int";
	case YAML_T_FLOAT:
		return "float";
	case YAML_T_TIMESTAMP:
		return n->dt->has_time ? "datetime" : "date";
	case YAML_T_SEQ:
	case YAML_T_OMAP:
	case YAML_T_PAIRS:
		return "list";
	case YAML_T_MAP:
		return "dict";
	default:
		return "str";
	}
}

void yaml_error(struct diag *d, const struct yaml_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (n)
		diag_vadd(d, DIAG_ERROR, n->doc->file, n->line, n->col, n->doc->text, n->doc->len,
		          fmt, ap);
	else
		diag_vadd(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, fmt, ap);
	va_end(ap);
}
