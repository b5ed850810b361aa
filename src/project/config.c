/* project: config trees of dbt_project.yml resolved for a node (BaseConfigGenerator in
 * core/dbt/context/context_config.py, fqn_search in core/dbt/utils.py) and merged with dbt's
 * per-key behaviour (MergeBehavior / _merge_field_value in dbt_common/contracts/config/base.py,
 * field metadata in core/dbt/artifacts/resources/v1/config.py). */
#include "json/json.h"
#include "project_int.h"

enum merge { M_CLOBBER, M_APPEND, M_UPDATE, M_DICT_KEY_APPEND };

static enum merge merge_of(struct str k)
{
	/* by length first: this runs for every config key of every node */
#define K_IS(lit) (k.n == sizeof(lit) - 1 && !memcmp(k.p, lit, sizeof(lit) - 1))
	switch (k.n) {
	case 4:
		if (K_IS("tags"))
			return M_APPEND;
		if (K_IS("meta") || K_IS("docs"))
			return M_UPDATE;
		break;
	case 6:
		if (K_IS("grants"))
			return M_DICT_KEY_APPEND;
		break;
	case 7:
		if (K_IS("quoting"))
			return M_UPDATE;
		break;
	case 8:
		if (K_IS("pre-hook") || K_IS("packages"))
			return M_APPEND;
		if (K_IS("contract"))
			return M_UPDATE;
		break;
	case 9:
		if (K_IS("post-hook"))
			return M_APPEND;
		break;
	case 12:
		if (K_IS("column_types"))
			return M_UPDATE;
		break;
	}
#undef K_IS
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

/* Merges one config (key, v) into acc as dbt's per-key behaviour says: 0, or -1 with an
 * error in d. kv is the key's value (a string), used as it is when no hook name is translated. */
static int merge_entry(struct arena *a, value acc, value kv, value v, struct diag *d)
{
	int rc = 0;
	struct str key = v_as_str(kv);
	/* translate_hook_names: pre_hook/post_hook are written pre-hook/post-hook */
	if (key.n == 8 && !memcmp(key.p, "pre_hook", 8))
		key = STR("pre-hook"), kv = v_strs(key);
	else if (key.n == 9 && !memcmp(key.p, "post_hook", 9))
		key = STR("post-hook"), kv = v_strs(key);
	else
		kv = v_strs(key);
	value old;
	bool had = vdict_get(acc.dict, kv, &old);
	{
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
				if (v.dict->k[k].type != VT_UNDEF)
					vdict_set(m.dict, v.dict->k[k], v.dict->v[k]);
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
					if (old.dict->k[k].type != VT_UNDEF)
						vdict_set(m.dict, old.dict->k[k],
						          pv_listify(a, old.dict->v[k]));
			for (uint32_t k = 0; k < v.dict->n; k++) {
				const struct ventry g_at = vdict_at(v.dict, k), *g = &g_at;
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

int project_config_merge(struct arena *a, value acc, value partial, struct diag *d)
{
	if (partial.type != VT_DICT)
		return 0;
	int rc = 0;
	for (uint32_t i = 0; i < partial.dict->n; i++) {
		const struct ventry e_at = vdict_at(partial.dict, i), *e = &e_at;
		if (e->k.type == VT_STR && merge_entry(a, acc, e->k, e->v, d) < 0)
			rc = -1;
	}
	return rc;
}

/* The configs written at one level of a tree: `+key` (prefix and spaces stripped) and non-dict
 * values of plain keys. */
static value level_configs(struct arena *a, value level)
{
	value r = v_dict(a, 8);
	for (uint32_t i = 0; i < level.dict->n; i++) {
		const struct ventry e_at = vdict_at(level.dict, i), *e = &e_at;
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
		if (partial.dict->k[i].type != VT_UNDEF)
			vdict_set(acc.dict, partial.dict->k[i], partial.dict->v[i]);
}

/* The key a level's entry configures (`+key` stripped, or a plain key with a non-dict value);
 * false when the entry configures nothing. */
static bool level_key(const struct ventry *e, struct str *k)
{
	if (e->k.type != VT_STR)
		return false;
	*k = v_as_str(e->k);
	if (k->n && k->p[0] == '+') {
		*k = str_trim(str_make(k->p + 1, k->n - 1));
		return true;
	}
	return e->v.type != VT_DICT;
}

/* Applies one level's configs to acc: what merging (or plainly updating with) level_configs'
 * dict does. When no key repeats, that dict holds the level's configs in their own order, so
 * they are applied straight from the level without building it. */
static int apply_level(struct arena *a, value level, value acc, bool raw, struct diag *d)
{
	enum { DIRECT_MAX = 16 };
	struct str keys[DIRECT_MAX];
	uint32_t nk = 0;
	bool direct = true;
	for (uint32_t i = 0; i < level.dict->n && direct; i++) {
		struct str k;
		struct ventry e = vdict_at(level.dict, i);
		if (!level_key(&e, &k))
			continue;
		if (nk == DIRECT_MAX) {
			direct = false;
			break;
		}
		for (uint32_t j = 0; j < nk && direct; j++)
			direct = !str_eq(keys[j], k);
		keys[nk++] = k;
	}
	if (!direct) {
		value r = level_configs(a, level);
		if (raw) {
			plain_update(acc, r);
			return 0;
		}
		return project_config_merge(a, acc, r, d);
	}
	int rc = 0;
	nk = 0;
	for (uint32_t i = 0; i < level.dict->n; i++) {
		const struct ventry e_at = vdict_at(level.dict, i), *e = &e_at;
		if (!level_key(e, &keys[0]))
			continue;
		/* level_configs keeps a plain key's own value, a `+key` as the stripped string */
		value kv = e->k.len && e->k.s[0] == '+' ? v_strs(keys[0]) : e->k;
		if (raw)
			vdict_set(acc.dict, kv, e->v);
		else if (merge_entry(a, acc, kv, e->v, d) < 0)
			rc = -1;
	}
	return rc;
}

static int walk(struct arena *a, value tree, const struct strlist *fqn, value acc, bool raw,
                struct diag *d)
{
	int rc = 0;
	value level = tree;
	if (level.type != VT_DICT)
		return 0;
	if (apply_level(a, level, acc, raw, d) < 0)
		rc = -1;
	for (size_t i = 0; i < fqn->n; i++) {
		value next;
		if (!vdict_gets(level.dict, str_from(fqn->v[i]), &next) || next.type != VT_DICT)
			break;
		level = next;
		if (apply_level(a, level, acc, raw, d) < 0)
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

const void *project_config_level(const struct project *p, enum project_rt rt,
                                 const struct strlist *fqn, bool raw)
{
	value level = raw ? p->raw_trees[rt] : p->trees[rt];
	if (level.type != VT_DICT)
		return NULL;
	for (size_t i = 0; i < fqn->n; i++) { /* as walk() descends */
		value next;
		if (!vdict_gets(level.dict, str_from(fqn->v[i]), &next) || next.type != VT_DICT)
			break;
		level = next;
	}
	return level.dict;
}

void project_config_finish(struct arena *a, value acc)
{
	static const struct str hook_keys[] = {STR("pre-hook"), STR("post-hook")};
	if (acc.type != VT_DICT)
		return;
	for (size_t i = 0; i < ARRAY_LEN(hook_keys); i++) {
		/* the entry's value replaced in place, as setting the key would */
		int64_t k = vdict_index(acc.dict, v_strs(hook_keys[i]));
		if (k >= 0 && acc.dict->v[k].type == VT_LIST)
			acc.dict->v[k] = fix_hooks(a, acc.dict->v[k]);
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
		const struct ventry e_at = vdict_at(tree.dict, i), *e = &e_at;
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
