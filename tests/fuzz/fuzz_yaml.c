/* libFuzzer target for yaml/: load any bytes, convert to values, walk the DOM and the values.
 * Build: make build/fuzz/fuzz_yaml; seeds in tests/fuzz/seeds/fuzz_yaml/. */
#include "value/datetime.h"
#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visits the value graph, printing scalars; shared containers are revisited, so a budget keeps
 * "billion laughs" inputs finite (the conversion itself must stay linear). */
static void walk(value v, struct buf *out, long *budget)
{
	if (--*budget < 0)
		return;
	switch (v.type) {
	case VT_LIST:
		for (uint32_t i = 0; i < v.list->n; i++)
			walk(v.list->v[i], out, budget);
		break;
	case VT_DICT:
		for (uint32_t i = 0; i < v.dict->n; i++) {
			if (v.dict->k[i].type == VT_UNDEF)
				continue;
			walk(v.dict->k[i], out, budget);
			walk(v.dict->v[i], out, budget);
		}
		break;
	default:
		buf_reset(out);
		v_to_repr(v, out);
		v_to_str(v, out);
		break;
	}
}

/* Visits the DOM (aliases revisit, hence the budget too), looking keys up. */
static void walk_dom(const struct yaml_node *n, int depth, long *budget)
{
	if (!n || depth > YAML_MAX_DEPTH + 1 || --*budget < 0)
		return;
	(void)yaml_type_name(n);
	(void)yaml_kind_name(n);
	if (yaml_is_map(n)) {
		for (uint32_t i = 0; i < n->len; i++) {
			const struct yaml_node *k = n->pairs[i].key;
			if (yaml_is_str(k) && yaml_map_getn(n, yaml_str(k)) == NULL)
				__builtin_trap(); /* a string key must be found */
			walk_dom(n->pairs[i].val, depth + 1, budget);
		}
		(void)yaml_map_get(n, "no such key"); /* searches every merge */
	} else if (yaml_is_seq(n)) {
		for (uint32_t i = 0; i < n->len; i++)
			walk_dom(yaml_seq_at(n, i), depth + 1, budget);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct diag d;
	arena_init(&a);
	diag_init(&d);
	struct yaml_doc *doc;
	if (yaml_load(&a, "fuzz.yml", (const char *)data, size, &doc, &d) == 0) {
		value v = yaml_to_value(&a, doc->root);
		struct buf out = BUF_INIT;
		long budget = 200000;
		walk(v, &out, &budget);
		budget = 20000;
		walk_dom(doc->root, 0, &budget);
		(void)yaml_get_path(doc->root, "models.0.columns");
		(void)yaml_get_path(doc->root, "a.b");
		/* a subtree on its own, as later layers convert parts of a file */
		if (yaml_is_map(doc->root) && doc->root->len)
			(void)yaml_to_value(&a, doc->root->pairs[doc->root->len - 1].val);
		buf_release(&out);
	} else {
		if (!d.msgs.n || d.errors < 1)
			__builtin_trap(); /* a failure always explains itself */
		struct buf out = BUF_INIT;
		diag_print(&d, &out);
		buf_release(&out);
	}
	diag_release(&d);
	arena_release(&a);
	return 0;
}
