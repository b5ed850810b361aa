/* project: config trees of dbt_project.yml resolved for a node (BaseConfigGenerator in
 * core/dbt/context/context_config.py, fqn_search in core/dbt/utils.py) and merged with dbt's
 * per-key behaviour (MergeBehavior / _merge_field_value in dbt_common/contracts/config/base.py,
 * field metadata in core/dbt/artifacts/resources/v1/config.py). */
#include "json/json.h"
#include "project_int.h"

enum merge { M_CLOBBER, M_APPEND, M_UPDATE, M_DICT_KEY_APPEND };

static enum merge merge_of(struct str k)
{
	static const char *const append[] = {"pre-hook", "post-hook", "tags", "packages"};
	static const char *const update[] = {"meta", "quoting", "column_types", "docs", "contract"};
	for (size_t i = 0; i < ARRAY_LEN(append); i++)
		if (str_eqc(k, append[i]))
			return M_APPEND;
	for (size_t i = 0; i < ARRAY_LEN(update); i++)
		if (str_eqc(k, update[i]))
			return M_UPDATE;
	if (str_eqc(k, "grants"))
		return M_DICT_KEY_APPEND;
	return M_CLOBBER;
}

static void type_error(struct diag *d, struct str key, value v)
{
	struct buf b = BUF_INIT;
	v_to_repr(v, &b);
	diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "config '%.*s': expected a dict, got %s",
	         (int)key.n, key.p, buf_cstr(&b));
	buf_release(&b);
}

int project_config_merge(struct arena *a, value acc, value partial, struct diag *d)
{
	if (partial.type != VT_DICT)
		return 0;
	int rc = 0;
	for (uint32_t i = 0; i < partial.dict->n; i++) {
		struct ventry *e = &partial.dict->e[i];
		if (e->k.type != VT_STR)
			continue;
		struct str key = v_as_str(e->k);
		/* translate_hook_names: pre_hook/post_hook are written pre-hook/post-hook */
		if (str_eqc(key, "pre_hook"))
			key = STR("pre-hook");
		else if (str_eqc(key, "post_hook"))
			key = STR("post-hook");
		value kv = v_strs(key), old;
		bool had = vdict_get(acc.dict, kv, &old);
		value v = e->v;
		switch (merge_of(key)) {
		case M_CLOBBER:
			vdict_set(acc.dict, kv, v);
			break;
		case M_APPEND: {
			value l = had ? pv_listify(a, old) : v_list(a, 4);
			value add = pv_listify(a, v);
			for (uint32_t k = 0; k < add.list->n; k++)
				vlist_push(l.list, add.list->v[k]);
			vdict_set(acc.dict, kv, l);
			break;
		}
		case M_UPDATE: {
			if (v.type != VT_DICT) {
				type_error(d, key, v);
				rc = -1;
				break;
			}
			value m = had && old.type == VT_DICT ? pv_dict_copy(a, old) : v_dict(a, 4);
			for (uint32_t k = 0; k < v.dict->n; k++)
				if (v.dict->e[k].k.type != VT_UNDEF)
					vdict_set(m.dict, v.dict->e[k].k, v.dict->e[k].v);
			vdict_set(acc.dict, kv, m);
			break;
		}
		case M_DICT_KEY_APPEND: {
			if (v.type != VT_DICT) {
				type_error(d, key, v);
				rc = -1;
				break;
			}
			value m = v_dict(a, 4);
			if (had && old.type == VT_DICT)
				for (uint32_t k = 0; k < old.dict->n; k++)
					if (old.dict->e[k].k.type != VT_UNDEF)
						vdict_set(m.dict, old.dict->e[k].k,
						          pv_listify(a, old.dict->e[k].v));
			for (uint32_t k = 0; k < v.dict->n; k++) {
				struct ventry *g = &v.dict->e[k];
				if (g->k.type == VT_UNDEF)
					continue;
				value gk = g->k, prev;
				bool extend = false;
				if (gk.type == VT_STR && gk.len && gk.s[0] == '+') {
					struct str s = v_as_str(gk);
					while (s.n && s.p[0] == '+')
						s.p++, s.n--;
					gk = v_strs(s);
					extend = true;
				}
				if (extend && vdict_get(m.dict, gk, &prev)) {
					value l = pv_listify(a, prev);
					value add = pv_listify(a, g->v);
					for (uint32_t j = 0; j < add.list->n; j++)
						vlist_push(l.list, add.list->v[j]);
					vdict_set(m.dict, gk, l);
				} else {
					vdict_set(m.dict, gk, pv_listify(a, g->v));
				}
			}
			vdict_set(acc.dict, kv, m);
			break;
		}
		}
	}
	return rc;
}

/* The configs written at one level of a tree: `+key` (prefix and spaces stripped) and non-dict
 * values of plain keys. */
static value level_configs(struct arena *a, value level)
{
	value r = v_dict(a, 8);
	for (uint32_t i = 0; i < level.dict->n; i++) {
		struct ventry *e = &level.dict->e[i];
		if (e->k.type != VT_STR)
			continue;
		struct str k = v_as_str(e->k);
		if (k.n && k.p[0] == '+') {
			k = str_trim(str_make(k.p + 1, k.n - 1));
			vdict_set(r.dict, v_strs(k), e->v);
		} else if (e->v.type != VT_DICT) {
			vdict_set(r.dict, e->k, e->v);
		}
	}
	return r;
}

static void plain_update(value acc, value partial)
{
	for (uint32_t i = 0; i < partial.dict->n; i++)
		if (partial.dict->e[i].k.type != VT_UNDEF)
			vdict_set(acc.dict, partial.dict->e[i].k, partial.dict->e[i].v);
}

static int walk(struct arena *a, value tree, const struct strlist *fqn, value acc, bool raw,
                struct diag *d)
{
	int rc = 0;
	value level = tree;
	if (level.type != VT_DICT)
		return 0;
	if (raw)
		plain_update(acc, level_configs(a, level));
	else if (project_config_merge(a, acc, level_configs(a, level), d) < 0)
		rc = -1;
	for (size_t i = 0; i < fqn->n; i++) {
		value next;
		if (!vdict_gets(level.dict, str_from(fqn->v[i]), &next) || next.type != VT_DICT)
			break;
		level = next;
		if (raw)
			plain_update(acc, level_configs(a, level));
		else if (project_config_merge(a, acc, level_configs(a, level), d) < 0)
			rc = -1;
	}
	return rc;
}

/* hooks.get_hook_dict + Hook defaults: "sql" → {sql, transaction: true, index: None} */
static value fix_hooks(struct arena *a, value l)
{
	value r = v_list(a, l.list->n);
	for (uint32_t i = 0; i < l.list->n; i++) {
		value h = l.list->v[i], out = v_dict(a, 3);
		if (h.type == VT_STR) { /* get_hook_dict: a string holding JSON is a hook dict */
			struct str s = str_trim(v_as_str(h));
			value j;
			struct diag jd;
			diag_init(&jd);
			if (s.n && s.p[0] == '{' &&
			    json_parse(a, "<hook>", s.p, s.n, &j, &jd) == 0 && j.type == VT_DICT)
				h = j;
			diag_release(&jd);
		}
		if (h.type == VT_DICT) {
			value s, t, ix;
			vdict_sets(out.dict, "sql", pv_get(h, "sql", &s) ? s : v_none());
			vdict_sets(out.dict, "transaction",
			           pv_get(h, "transaction", &t) ? t : v_bool(true));
			vdict_sets(out.dict, "index", pv_get(h, "index", &ix) ? ix : v_none());
		} else {
			vdict_sets(out.dict, "sql", h);
			vdict_sets(out.dict, "transaction", v_bool(true));
			vdict_sets(out.dict, "index", v_none());
		}
		vlist_push(r.list, out);
	}
	return r;
}

int project_config_apply_tree(const struct project *p, enum project_rt rt,
                              const struct strlist *fqn, bool raw, struct arena *a, value acc,
                              struct diag *d)
{
	return walk(a, raw ? p->raw_trees[rt] : p->trees[rt], fqn, acc, raw, d);
}

void project_config_finish(struct arena *a, value acc)
{
	static const char *const hook_keys[] = {"pre-hook", "post-hook"};
	for (size_t i = 0; i < ARRAY_LEN(hook_keys); i++) {
		value h;
		if (pv_get(acc, hook_keys[i], &h) && h.type == VT_LIST)
			vdict_sets(acc.dict, hook_keys[i], fix_hooks(a, h));
	}
}

int project_node_config(const struct project *root, const struct project *own, enum project_rt rt,
                        const struct strlist *fqn, bool raw, struct arena *a, value *out,
                        struct diag *d)
{
	if (!own)
		own = root;
	value acc = v_dict(a, 8);
	int rc = 0;
	if (project_config_apply_tree(own, rt, fqn, raw, a, acc, d) < 0)
		rc = -1;
	if (own != root && strcmp(own->name, root->name) &&
	    project_config_apply_tree(root, rt, fqn, raw, a, acc, d) < 0)
		rc = -1;
	if (!raw)
		project_config_finish(a, acc);
	*out = acc;
	return rc;
}

/* ---- config paths (RuntimeConfig._get_config_paths / _is_config_used) ---- */
static bool path_seen(value list, value path)
{
	for (uint32_t i = 0; i < list.list->n; i++) {
		value q = list.list->v[i];
		if (q.list->n != path.list->n)
			continue;
		bool same = true;
		for (uint32_t k = 0; k < q.list->n && same; k++)
			same = str_eq(v_as_str(q.list->v[k]), v_as_str(path.list->v[k]));
		if (same)
			return true;
	}
	return false;
}

static void collect_paths(struct arena *a, value tree, value prefix, value out)
{
	for (uint32_t i = 0; i < tree.dict->n; i++) {
		struct ventry *e = &tree.dict->e[i];
		if (e->k.type == VT_UNDEF)
			continue;
		bool plus = e->k.type == VT_STR && e->k.len && e->k.s[0] == '+';
		if (e->v.type == VT_DICT && !plus && e->k.type == VT_STR) {
			value sub = v_list(a, prefix.list->n + 1);
			for (uint32_t k = 0; k < prefix.list->n; k++)
				vlist_push(sub.list, prefix.list->v[k]);
			vlist_push(sub.list, e->k);
			collect_paths(a, e->v, sub, out);
		} else if (!path_seen(out, prefix)) {
			vlist_push(out.list, prefix);
		}
	}
}

value project_config_paths(const struct project *p, enum project_rt rt, struct arena *a)
{
	value out = v_list(a, 8);
	if (p->trees[rt].type == VT_DICT)
		collect_paths(a, p->trees[rt], v_list(a, 0), out);
	return out;
}

bool project_config_path_used(value path, const struct strlist *fqn)
{
	if (path.type != VT_LIST || path.list->n > fqn->n)
		return false;
	for (uint32_t i = 0; i < path.list->n; i++)
		if (!str_eqc(v_as_str(path.list->v[i]), fqn->v[i]))
			return false;
	return true;
}
