/* selectors.yml: named selector definitions (dbt's graph/cli.py parse_from_definition), compiled
 * into spec trees at load time. */
#include "graph_int.h"
#include "yaml/yaml.h"

struct yctx {
	struct arena *a;
	struct diag *d;
	struct gselectors *out; /* selectors defined so far (for method: selector) */
};

static struct gspec *parse_def(struct yctx *c, const struct yaml_node *n, bool rootlevel);

static void key_list(const struct yaml_node *n, struct buf *b)
{
	buf_putc(b, '[');
	for (uint32_t i = 0; i < n->len; i++) {
		if (i)
			buf_puts(b, ", ");
		buf_printf(b, "'%s'", n->pairs[i].key->text ? n->pairs[i].key->text : "");
	}
	buf_putc(b, ']');
}

/* _get_list_dicts: the list under `key`, each item a str or a dict with str keys. */
static const struct yaml_node *list_of(struct yctx *c, const struct yaml_node *n, const char *key)
{
	const struct yaml_node *v = yaml_map_get(n, key);
	if (!yaml_is_seq(v)) {
		yaml_error(c->d, v ? v : n, "Invalid value for key \"%s\". Expected a list.", key);
		return NULL;
	}
	for (uint32_t i = 0; i < v->len; i++) {
		const struct yaml_node *it = v->items[i];
		if (yaml_is_map(it)) {
			for (uint32_t k = 0; k < it->len; k++)
				if (!yaml_is_str(it->pairs[k].key)) {
					yaml_error(
					    c->d, it->pairs[k].key,
					    "Expected all keys to \"%s\" dict to be strings, but "
					    "\"%s\" is a \"%s\"",
					    key,
					    it->pairs[k].key->text ? it->pairs[k].key->text : "",
					    yaml_type_name(it->pairs[k].key));
					return NULL;
				}
		} else if (!yaml_is_str(it)) {
			yaml_error(c->d, it,
			           "Invalid value type %s in key \"%s\", expected dict or str",
			           yaml_type_name(it), key);
			return NULL;
		}
	}
	return v;
}

static struct gspec *parse_exclusions(struct yctx *c, const struct yaml_node *n)
{
	const struct yaml_node *l = list_of(c, n, "exclude");
	if (!l)
		return NULL;
	if (l->len == 1)
		return parse_def(c, l->items[0], false);
	struct gspec *u = graph_spec_new(c->a, GS_UNION);
	for (uint32_t i = 0; i < l->len; i++) {
		struct gspec *k = parse_def(c, l->items[i], false);
		if (!k)
			return NULL;
		graph_spec_push(u, c->a, k);
	}
	return u;
}

static struct gspec *parse_set(struct yctx *c, const struct yaml_node *n, const char *key,
                               enum gspec_kind kind)
{
	const struct yaml_node *l = list_of(c, n, key);
	if (!l)
		return NULL;
	struct gspec *set = graph_spec_new(c->a, kind), *diff = NULL;
	for (uint32_t i = 0; i < l->len; i++) {
		const struct yaml_node *it = l->items[i];
		if (yaml_is_map(it) && yaml_map_get(it, "exclude")) {
			if (diff) {
				yaml_error(
				    c->d, it,
				    "You cannot provide multiple exclude arguments to the same "
				    "selector set operator");
				return NULL;
			}
			diff = parse_exclusions(c, it);
			if (!diff)
				return NULL;
			continue;
		}
		struct gspec *k = parse_def(c, it, false);
		if (!k)
			return NULL;
		graph_spec_push(set, c->a, k);
	}
	if (!diff)
		return set;
	struct gspec *d = graph_spec_new(c->a, GS_DIFFERENCE);
	graph_spec_push(d, c->a, set);
	graph_spec_push(d, c->a, diff);
	return d;
}

/* _match_to_int: a falsy value is None (unlimited). */
static int depth_of(struct yctx *c, const struct yaml_node *n, int64_t *out)
{
	*out = -1;
	if (!n || yaml_is_null(n))
		return 0;
	value v = yaml_to_value(c->a, n);
	if (!v_truthy(v))
		return 0;
	if (v.type == VT_INT && v.i >= 0) {
		*out = v.i;
		return 0;
	}
	if (v.type == VT_STR && v.len) {
		int64_t x = 0;
		bool ok = true;
		for (uint32_t i = 0; i < v.len && ok; i++) {
			ok = v.s[i] >= '0' && v.s[i] <= '9';
			x = x < 1000000000 ? x * 10 + (v.s[i] - '0') : x;
		}
		if (ok) {
			*out = x;
			return 0;
		}
	}
	struct buf b = BUF_INIT;
	v_to_str(v, &b);
	yaml_error(c->d, n, "Invalid node spec - could not handle parent depth %s", buf_cstr(&b));
	buf_release(&b);
	return -1;
}

static bool truthy(struct yctx *c, const struct yaml_node *n)
{
	return n && v_truthy(yaml_to_value(c->a, n));
}

/* selection_criteria_from_dict over {method, value, parents, ...}. */
static struct gspec *criteria(struct yctx *c, const struct yaml_node *at,
                              const struct yaml_node *method, const struct yaml_node *val,
                              const struct yaml_node *opts)
{
	struct gspec *s = graph_spec_new(c->a, GS_CRITERIA);
	/* dbt builds these with IndirectSelection.Eager unless the definition says otherwise:
	 * --indirect-selection does not reach a YAML selector */
	s->indirect = GI_EAGER;
	if (!yaml_is_str(method)) {
		yaml_error(c->d, method ? method : at, "expected a string for the selector method");
		return NULL;
	}
	if (graph_spec_set_method(s, c->a, yaml_str(method), c->d, at->doc->file, method->line,
	                          method->col))
		return NULL;
	if (!val) {
		yaml_error(c->d, at, "Invalid node spec - no search value!");
		return NULL;
	}
	s->v = yaml_to_value(c->a, val);
	struct buf b = BUF_INIT;
	v_to_str(s->v, &b);
	s->value = arena_strndup(c->a, buf_cstr(&b), b.n);
	buf_reset(&b);
	buf_printf(&b, "%s:%s", method->text, s->value);
	s->raw = arena_strndup(c->a, buf_cstr(&b), b.n);
	buf_release(&b);
	if (opts) {
		s->parents = truthy(c, yaml_map_get(opts, "parents"));
		s->children = truthy(c, yaml_map_get(opts, "children"));
		s->childrens_parents = truthy(c, yaml_map_get(opts, "childrens_parents"));
		if (depth_of(c, yaml_map_get(opts, "parents_depth"), &s->parents_depth) ||
		    depth_of(c, yaml_map_get(opts, "children_depth"), &s->children_depth))
			return NULL;
		const struct yaml_node *ind = yaml_map_get(opts, "indirect_selection");
		if (ind && !yaml_is_null(ind)) {
			int k = yaml_is_str(ind) ? graph_indirect_parse(yaml_str(ind)) : -1;
			if (k < 0) {
				value iv = yaml_to_value(c->a, ind);
				struct buf r = BUF_INIT;
				v_to_repr(iv, &r);
				yaml_error(c->d, ind, "%s is not a valid IndirectSelection",
				           buf_cstr(&r));
				buf_release(&r);
				return NULL;
			}
			s->indirect = (int8_t)k;
		}
	}
	if (s->children && s->childrens_parents) {
		yaml_error(c->d, at,
		           "Invalid node spec %s - \"@\" prefix and \"+\" suffix are "
		           "incompatible",
		           s->raw);
		return NULL;
	}
	if (s->method == GM_SOURCE_STATUS) {
		yaml_error(c->d, method, "the '%s' selector method is not supported yet",
		           method->text);
		return NULL;
	}
	return s;
}

static struct gspec *parse_dict(struct yctx *c, const struct yaml_node *n)
{
	if (n->len == 1) {
		const struct yaml_pair *p = &n->pairs[0];
		if (!yaml_is_str(p->key)) {
			yaml_error(c->d, p->key,
			           "Expected definition key to be a \"str\", got one of "
			           "type \"%s\"",
			           yaml_type_name(p->key));
			return NULL;
		}
		return criteria(c, n, p->key, p->val, NULL);
	}
	const struct yaml_node *method = yaml_map_get(n, "method"), *val = yaml_map_get(n, "value");
	if (yaml_is_str(method) && !strcmp(method->text, "selector")) {
		const char *name = yaml_is_str(val) ? val->text : "";
		for (uint32_t i = 0; i < c->out->n; i++)
			if (!strcmp(c->out->v[i].name, name))
				return c->out->v[i].spec;
		yaml_error(c->d, val ? val : n, "Existing selector definition for %s not found.",
		           name);
		return NULL;
	}
	if (!method || !val) {
		struct buf b = BUF_INIT;
		key_list(n, &b);
		yaml_error(
		    c->d, n,
		    "Expected either 1 key or else \"method\" and \"value\" keys, but got %s",
		    buf_cstr(&b));
		buf_release(&b);
		return NULL;
	}
	struct gspec *base = criteria(c, n, method, val, n);
	if (!base)
		return NULL;
	if (!yaml_map_get(n, "exclude"))
		return base;
	struct gspec *exc = parse_exclusions(c, n);
	if (!exc)
		return NULL;
	struct gspec *d = graph_spec_new(c->a, GS_DIFFERENCE);
	graph_spec_push(d, c->a, base);
	graph_spec_push(d, c->a, exc);
	return d;
}

static struct gspec *parse_def(struct yctx *c, const struct yaml_node *n, bool rootlevel)
{
	if (!n) {
		diag_add(c->d, DIAG_ERROR, c->out->file, 0, 0, NULL, 0,
		         "Expected to find union, intersection, str or dict, instead found None");
		return NULL;
	}
	bool has_set =
	    yaml_is_map(n) && (yaml_map_get(n, "union") || yaml_map_get(n, "intersection"));
	if (has_set && rootlevel && n->len > 1) {
		struct buf b = BUF_INIT;
		for (uint32_t i = 0; i < n->len; i++)
			buf_printf(&b, "%s%s", i ? "," : "",
			           n->pairs[i].key->text ? n->pairs[i].key->text : "");
		yaml_error(c->d, n,
		           "Only a single 'union' or 'intersection' key is allowed in a root level "
		           "selector definition; found %s.",
		           buf_cstr(&b));
		buf_release(&b);
		return NULL;
	}
	if (yaml_is_str(n)) {
		struct gspec *s = graph_spec_parse(c->a, n->text, n->len, GI_EAGER, c->d);
		if (!s && c->d->msgs.n) {
			/* give the parse error the node's position */
			struct diag_msg *m = &c->d->msgs.v[c->d->msgs.n - 1];
			if (!m->file && n->doc->file) {
				m->file = xstrdup(n->doc->file);
				m->line = n->line;
				m->col = n->col;
			}
		}
		return s;
	}
	if (yaml_is_map(n) && yaml_map_get(n, "union"))
		return parse_set(c, n, "union", GS_UNION);
	if (yaml_is_map(n) && yaml_map_get(n, "intersection"))
		return parse_set(c, n, "intersection", GS_INTERSECTION);
	if (yaml_is_map(n))
		return parse_dict(c, n);
	yaml_error(c->d, n, "Expected to find union, intersection, str or dict, instead found %s",
	           yaml_type_name(n));
	return NULL;
}

int graph_selectors_load(struct arena *a, const char *file, const char *text, size_t len,
                         struct gselectors **out, struct diag *d)
{
	struct yaml_doc *doc;
	*out = NULL;
	if (yaml_load(a, file, text, len, &doc, d))
		return -1;
	struct gselectors *ss = arena_zalloc(a, sizeof(*ss));
	ss->file = doc->file;
	const struct yaml_node *root = doc->root;
	const struct yaml_node *list = yaml_map_get(root, "selectors");
	if (!yaml_is_seq(list)) {
		if (root)
			yaml_error(d, list ? list : root, "expected a list under 'selectors'");
		else
			diag_add(d, DIAG_ERROR, file, 0, 0, NULL, 0,
			         "expected a list under 'selectors'");
		return -1;
	}
	ss->v = arena_zalloc(a, (list->len ? list->len : 1) * sizeof(*ss->v));
	struct yctx c = {a, d, ss};
	const char *first_default = NULL;
	for (uint32_t i = 0; i < list->len; i++) {
		const struct yaml_node *it = list->items[i];
		if (!yaml_is_map(it)) {
			yaml_error(d, it, "expected a mapping for a selector, got %s",
			           yaml_type_name(it));
			return -1;
		}
		const struct yaml_node *name = yaml_map_get(it, "name");
		if (!yaml_is_str(name)) {
			yaml_error(d, name ? name : it, "a selector needs a 'name' (a string)");
			return -1;
		}
		for (uint32_t k = 0; k < ss->n; k++)
			if (!strcmp(ss->v[k].name, name->text)) {
				yaml_error(d, name, "selector '%s' is defined twice", name->text);
				return -1;
			}
		const struct yaml_node *def = yaml_map_get(it, "definition");
		if (!def) {
			yaml_error(d, it, "selector '%s' has no 'definition'", name->text);
			return -1;
		}
		const struct yaml_node *dflt = yaml_map_get(it, "default");
		bool is_default = dflt && dflt->tag == YAML_T_BOOL && dflt->b;
		if (dflt && !yaml_is_null(dflt) && dflt->tag != YAML_T_BOOL) {
			yaml_error(d, dflt, "expected true or false for 'default', got %s",
			           yaml_type_name(dflt));
			return -1;
		}
		if (is_default && first_default) {
			yaml_error(d, dflt, "Found multiple selectors with `default: true`: %s, %s",
			           first_default, name->text);
			return -1;
		}
		if (is_default)
			first_default = name->text;
		struct gspec *spec = parse_def(&c, def, true);
		if (!spec)
			return -1;
		ss->v[ss->n++] = (struct gsel_entry){name->text, is_default, spec};
	}
	*out = ss;
	return 0;
}

const char *graph_selectors_default(const struct gselectors *s)
{
	for (uint32_t i = 0; s && i < s->n; i++)
		if (s->v[i].is_default)
			return s->v[i].name;
	return NULL;
}

uint32_t graph_selectors_count(const struct gselectors *s)
{
	return s ? s->n : 0;
}

const char *graph_selectors_name(const struct gselectors *s, uint32_t i)
{
	return s && i < s->n ? s->v[i].name : NULL;
}
