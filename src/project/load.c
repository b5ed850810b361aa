/* project: locating and rendering dbt_project.yml (dbt's PartialProject + DbtProjectYamlRenderer
 * + create_project, core/dbt/config/project.py and renderer.py). */
#include <unistd.h>

#include "project_int.h"

static const char *const rt_keys[PRT_COUNT] = {
    "models",  "seeds",           "snapshots",     "data_tests", "sources",  "exposures",
    "metrics", "semantic-models", "saved-queries", "unit_tests", "analyses", "functions",
};
static const char *const rt_singular[PRT_COUNT] = {
    "model",  "seed",           "snapshot",    "test",      "source",   "exposure",
    "metric", "semantic_model", "saved_query", "unit_test", "analysis", "function",
};

const char *project_rt_name(enum project_rt rt)
{
	return rt < PRT_COUNT ? rt_keys[rt] : "?";
}

int project_rt_parse(const char *name)
{
	for (int i = 0; i < PRT_COUNT; i++)
		if (!strcmp(name, rt_keys[i]) || !strcmp(name, rt_singular[i]))
			return i;
	if (!strcmp(name, "tests") || !strcmp(name, "data_test"))
		return PRT_DATA_TESTS;
	if (!strcmp(name, "semantic_models"))
		return PRT_SEMANTIC_MODELS;
	if (!strcmp(name, "saved_queries"))
		return PRT_SAVED_QUERIES;
	return -1;
}

/* Keys dbt_project.yml may hold (the ProjectContract fields, hyphenated). */
static const char *const known_keys[] = {
    "name",
    "config-version",
    "version",
    "project-root",
    "source-paths",
    "model-paths",
    "macro-paths",
    "data-paths",
    "seed-paths",
    "test-paths",
    "analysis-paths",
    "docs-paths",
    "asset-paths",
    "target-path",
    "snapshot-paths",
    "function-paths",
    "clean-targets",
    "profile",
    "log-path",
    "packages-install-path",
    "quoting",
    "on-run-start",
    "on-run-end",
    "require-dbt-version",
    "dispatch",
    "models",
    "seeds",
    "snapshots",
    "analyses",
    "sources",
    "tests",
    "data_tests",
    "unit_tests",
    "metrics",
    "semantic-models",
    "saved-queries",
    "exposures",
    "functions",
    "vars",
    "packages",
    "query-comment",
    "restrict-access",
    "dbt-cloud",
    "flags",
};

static const char *const banned_names[] = {
    "_sql_results",
    "adapter",
    "api",
    "column",
    "config",
    "context",
    "database",
    "env",
    "env_var",
    "exceptions",
    "execute",
    "flags",
    "fromjson",
    "fromyaml",
    "graph",
    "invocation_id",
    "load_agate_table",
    "load_result",
    "log",
    "model",
    "modules",
    "post_hooks",
    "pre_hooks",
    "ref",
    "render",
    "return",
    "run_started_at",
    "schema",
    "source",
    "sql",
    "sql_now",
    "store_result",
    "store_raw_result",
    "target",
    "this",
    "tojson",
    "toyaml",
    "try_or_compiler_error",
    "var",
    "write",
};

/* ---- locating the project ---- */
static char *normalize_dir(struct arena *a, const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n > 2 && path[n - 1] == '.' && path[n - 2] == '/')
		n -= 2;
	return arena_strndup(a, path, n);
}

static const char *find_project_dir(struct project *p, const struct project_opts *o)
{
	if (o->project_dir)
		return normalize_dir(&p->a, o->project_dir);
	const char *env = project_getenv(p, "DBT_PROJECT_DIR");
	if (env && *env)
		return normalize_dir(&p->a, env);
	/* cwd, then its parents, holding dbt_project.yml; else cwd */
	char *dir = arena_strndup(&p->a, p->cwd, strlen(p->cwd));
	for (;;) {
		if (pfile_exists(ppath_join(&p->a, dir, "dbt_project.yml")))
			return dir;
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = 0;
	}
	return p->cwd;
}

/* ---- rendering the project dict (DbtProjectYamlRenderer.should_render_keypath) ---- */
struct kp {
	const char *first;
	bool hooks; /* a pre-hook/post-hook key on the path under models/seeds/snapshots/tests */
};

static bool is_hook_key(value k)
{
	if (k.type != VT_STR)
		return false;
	struct str s = v_as_str(k);
	while (s.n && (*s.p == '+' || *s.p == ' '))
		s.p++, s.n--;
	return str_eqc(s, "pre-hook") || str_eqc(s, "post-hook") || str_eqc(s, "pre_hook") ||
	       str_eqc(s, "post_hook");
}

static int render_tree(struct project *p, const struct yaml_node *n, value v, struct kp kp,
                       enum project_render_ctx ctx, value *out, struct diag *d)
{
	if (kp.first) {
		if (!strcmp(kp.first, "on-run-start") || !strcmp(kp.first, "on-run-end") ||
		    !strcmp(kp.first, "query-comment") || !strcmp(kp.first, "vars") || kp.hooks) {
			*out = v;
			return 0;
		}
	}
	if (v.type == VT_STR)
		return prender_str(p, ctx, v, n, out, d);
	if (v.type == VT_OBJ) { /* dates are rendered as isoformat strings */
		struct buf b = BUF_INIT;
		v_to_str(v, &b);
		*out = v_buf(&p->a, &b);
		buf_release(&b);
		return 0;
	}
	if (v.type == VT_LIST) {
		value r = v_list(&p->a, v.list->n);
		int rc = 0;
		for (uint32_t i = 0; i < v.list->n; i++) {
			value item;
			const struct yaml_node *in = yaml_seq_at(n, i);
			if (render_tree(p, in ? in : n, v.list->v[i], kp, ctx, &item, d) < 0) {
				rc = -1;
				item = v.list->v[i];
			}
			vlist_push(r.list, item);
		}
		*out = r;
		return rc;
	}
	if (v.type == VT_DICT) {
		value r = v_dict(&p->a, v.dict->live);
		int rc = 0;
		for (uint32_t i = 0; i < v.dict->n; i++) {
			const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
			if (e->k.type == VT_UNDEF)
				continue;
			struct kp sub = kp;
			if (!sub.first && e->k.type == VT_STR)
				sub.first = arena_strndup(&p->a, e->k.s, e->k.len);
			if (sub.first &&
			    (!strcmp(sub.first, "models") || !strcmp(sub.first, "seeds") ||
			     !strcmp(sub.first, "snapshots") || !strcmp(sub.first, "tests") ||
			     !strcmp(sub.first, "data_tests")) &&
			    is_hook_key(e->k))
				sub.hooks = true;
			const struct yaml_node *cn = NULL;
			if (e->k.type == VT_STR && yaml_is_map(n))
				cn = yaml_map_getn(n, v_as_str(e->k));
			value item;
			if (render_tree(p, cn ? cn : n, e->v, sub, ctx, &item, d) < 0) {
				rc = -1;
				item = e->v;
			}
			vdict_set(r.dict, e->k, item);
		}
		*out = r;
		return rc;
	}
	*out = v;
	return 0;
}

/* ---- field readers ---- */
static const struct yaml_node *node_at(const struct project *p, const struct yaml_node *root,
                                       const char *key)
{
	(void)p;
	const struct yaml_node *n = yaml_map_get(root, key);
	return n ? n : root;
}

static int read_strlist(struct project *p, const struct yaml_node *root, const char *key,
                        struct strlist *out, bool *present, struct diag *d)
{
	value v;
	*present = pv_get(p->rendered, key, &v) && v.type != VT_NONE;
	if (!*present)
		return 0;
	if (v.type == VT_STR) { /* dbt's jsonschema refuses it; be precise about it */
		yaml_error(d, node_at(p, root, key), "'%s' must be a list of strings, got str",
		           key);
		return -1;
	}
	if (v.type != VT_LIST) {
		yaml_error(d, node_at(p, root, key), "'%s' must be a list of strings, got %s", key,
		           v_type_name(v));
		return -1;
	}
	out->n = 0;
	out->v = arena_alloc(&p->a, (v.list->n + 1) * sizeof(char *));
	for (uint32_t i = 0; i < v.list->n; i++) {
		value it = v.list->v[i];
		if (it.type != VT_STR) {
			const struct yaml_node *in = yaml_seq_at(yaml_map_get(root, key), i);
			yaml_error(d, in ? in : node_at(p, root, key),
			           "'%s' must be a list of strings, but item %u is %s", key, i,
			           v_type_name(it));
			return -1;
		}
		out->v[out->n++] = arena_strndup(&p->a, it.s, it.len);
	}
	return 0;
}

static void default_list(struct project *p, struct strlist *l, const char *one)
{
	l->n = 1;
	l->v = arena_alloc(&p->a, 2 * sizeof(char *));
	l->v[0] = one;
}

static int read_str(struct project *p, const struct yaml_node *root, const char *key,
                    const char **out, struct diag *d)
{
	value v;
	if (!pv_get(p->rendered, key, &v) || v.type == VT_NONE)
		return 0;
	if (v.type != VT_STR) {
		yaml_error(d, node_at(p, root, key), "'%s' must be a string, got %s", key,
		           v_type_name(v));
		return -1;
	}
	*out = arena_strndup(&p->a, v.s, v.len);
	return 0;
}

static value hooks_list(struct project *p, value v)
{
	if (v.type == VT_NONE || v.type == VT_UNDEF)
		return v_list(&p->a, 0);
	if (v.type == VT_STR)
		return pv_listify(&p->a, v);
	return v;
}

static bool valid_name(const char *s)
{
	/* ^[^\d\W]\w*$ for ASCII names; non-ASCII letters are accepted */
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (!(*c == '_' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z') || *c >= 0x80))
			return false;
	return true;
}

/* ---- the whole load ---- */
static int load_project_file(struct project *p, const struct yaml_node **rootp, struct diag *d)
{
	p->file = ppath_join(&p->a, p->dir, "dbt_project.yml");
	size_t len;
	char *text = pread_file(p->file, &len);
	if (!text) {
		diag_add(
		    d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		    "No dbt_project.yml found at expected path %s\nVerify that each entry within "
		    "packages.yml (and their transitive dependencies) contains a file named "
		    "dbt_project.yml",
		    p->file);
		return -1;
	}
	char *kept = arena_strndup(&p->a, text, len);
	free(text);
	struct yaml_doc *doc;
	if (yaml_load(&p->a, p->file, kept, len, &doc, d) < 0)
		return -1;
	if (!yaml_is_map(doc->root)) {
		diag_add(d, DIAG_ERROR, p->file, doc->root ? doc->root->line : 0,
		         doc->root ? doc->root->col : 0, NULL, 0,
		         "dbt_project.yml does not parse to a dictionary");
		return -1;
	}
	*rootp = doc->root;
	p->raw = yaml_to_value(&p->a, doc->root);
	return 0;
}

static int check_fields(struct project *p, const struct yaml_node *root, struct diag *d)
{
	int rc = 0;
	for (uint32_t i = 0; i < root->len; i++) {
		const struct yaml_node *k = root->pairs[i].key;
		if (!yaml_is_str(k))
			continue;
		bool known = false;
		for (size_t j = 0; j < ARRAY_LEN(known_keys); j++)
			if (!strcmp(k->text, known_keys[j]))
				known = true;
		if (!known)
			diag_add(d, DIAG_WARNING, p->file, k->line, k->col, NULL, 0,
			         "unknown key '%s' in dbt_project.yml is ignored", k->text);
	}
	value cv;
	if (pv_get(p->raw, "config-version", &cv) && !(cv.type == VT_INT && cv.i == 2)) {
		struct buf b = BUF_INIT;
		v_to_str(cv, &b);
		yaml_error(d, yaml_map_get(root, "config-version"),
		           "Invalid config version: %s, expected 2", buf_cstr(&b));
		buf_release(&b);
		rc = -1;
	}
	value tv, dv;
	if (pv_get(p->raw, "tests", &tv) && pv_get(p->raw, "data_tests", &dv) && v_truthy(tv) &&
	    v_truthy(dv)) {
		yaml_error(
		    d, yaml_map_get(root, "tests"),
		    "Invalid project config: cannot have both 'tests' and 'data_tests' defined");
		rc = -1;
	}
	static const char *const pairs[][2] = {{"source-paths", "model-paths"},
	                                       {"data-paths", "seed-paths"}};
	for (size_t i = 0; i < ARRAY_LEN(pairs); i++)
		if (yaml_map_get(root, pairs[i][0]) && yaml_map_get(root, pairs[i][1])) {
			yaml_error(
			    d, yaml_map_get(root, pairs[i][0]),
			    "%s and %s cannot both be defined. The `%s` config has been deprecated "
			    "in favor of `%s`. Please update your `dbt_project.yml` configuration "
			    "to reflect this change.",
			    pairs[i][0], pairs[i][1], pairs[i][0], pairs[i][1]);
			rc = -1;
		}
	return rc;
}

static int fill_fields(struct project *p, const struct yaml_node *root, struct diag *d)
{
	int rc = 0;
	value v;
	/* name */
	if (!pv_get(p->rendered, "name", &v) || v.type == VT_NONE) {
		diag_add(d, DIAG_ERROR, p->file, 0, 0, NULL, 0,
		         "Required \"name\" field not present in project");
		return -1;
	}
	if (v.type != VT_STR) {
		yaml_error(d, node_at(p, root, "name"), "'name' must be a string, got %s",
		           v_type_name(v));
		return -1;
	}
	p->name = arena_strndup(&p->a, v.s, v.len);
	if (!valid_name(p->name)) {
		yaml_error(
		    d, node_at(p, root, "name"),
		    "Invalid project name '%s': it must match ^[^\\d\\W]\\w*$ (letters, digits "
		    "and underscores, not starting with a digit)",
		    p->name);
		rc = -1;
	}
	for (size_t i = 0; i < ARRAY_LEN(banned_names); i++)
		if (!strcmp(p->name, banned_names[i])) {
			yaml_error(d, node_at(p, root, "name"),
			           "Invalid project name: %s is a reserved word", p->name);
			rc = -1;
		}
	p->version = v_none();
	if (pv_get(p->rendered, "version", &v) && v.type != VT_NONE) {
		if (v.type != VT_STR && v.type != VT_FLOAT && v.type != VT_INT) {
			yaml_error(d, node_at(p, root, "version"),
			           "'version' must be a version string or a number, got %s",
			           v_type_name(v));
			rc = -1;
		}
		p->version = v;
	}
	if (read_str(p, root, "profile", &p->profile_name, d) < 0)
		rc = -1;

	struct {
		const char *key, *legacy, *def;
		struct strlist *dst;
	} lists[] = {
	    {"model-paths", "source-paths", "models", &p->model_paths},
	    {"seed-paths", "data-paths", "seeds", &p->seed_paths},
	    {"test-paths", NULL, "tests", &p->test_paths},
	    {"analysis-paths", NULL, "analyses", &p->analysis_paths},
	    {"macro-paths", NULL, "macros", &p->macro_paths},
	    {"snapshot-paths", NULL, "snapshots", &p->snapshot_paths},
	    {"function-paths", NULL, "functions", &p->function_paths},
	};
	for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
		bool present;
		if (read_strlist(p, root, lists[i].key, lists[i].dst, &present, d) < 0)
			rc = -1;
		if (!present && lists[i].legacy) {
			if (read_strlist(p, root, lists[i].legacy, lists[i].dst, &present, d) < 0)
				rc = -1;
			if (present)
				diag_add(d, DIAG_WARNING, p->file,
				         node_at(p, root, lists[i].legacy)->line,
				         node_at(p, root, lists[i].legacy)->col, NULL, 0,
				         "The `%s` config has been renamed to `%s`",
				         lists[i].legacy, lists[i].key);
		}
		if (!present)
			default_list(p, lists[i].dst, lists[i].def);
	}
	bool present;
	if (read_strlist(p, root, "docs-paths", &p->docs_paths, &present, d) < 0)
		rc = -1;
	if (!present) { /* the union of the source paths, trailing slashes stripped, deduplicated */
		struct strlist *src[] = {&p->model_paths,    &p->seed_paths,  &p->snapshot_paths,
		                         &p->analysis_paths, &p->macro_paths, &p->test_paths,
		                         &p->function_paths};
		size_t cap = 0;
		for (size_t i = 0; i < ARRAY_LEN(src); i++)
			cap += src[i]->n;
		p->docs_paths.v = arena_alloc(&p->a, (cap + 1) * sizeof(char *));
		p->docs_paths.n = 0;
		for (size_t i = 0; i < ARRAY_LEN(src); i++)
			for (size_t j = 0; j < src[i]->n; j++) {
				const char *s = src[i]->v[j];
				size_t n = strlen(s);
				while (n > 1 && s[n - 1] == '/')
					n--;
				char *c = arena_strndup(&p->a, s, n);
				bool dup = false;
				for (size_t k = 0; k < p->docs_paths.n; k++)
					if (!strcmp(p->docs_paths.v[k], c))
						dup = true;
				if (!dup)
					p->docs_paths.v[p->docs_paths.n++] = c;
			}
	}
	if (read_strlist(p, root, "asset-paths", &p->asset_paths, &present, d) < 0)
		rc = -1;
	p->target_path = "target";
	if (read_str(p, root, "target-path", &p->target_path, d) < 0)
		rc = -1;
	p->log_path = "logs";
	if (read_str(p, root, "log-path", &p->log_path, d) < 0)
		rc = -1;
	p->packages_install_path = "dbt_packages";
	if (read_str(p, root, "packages-install-path", &p->packages_install_path, d) < 0)
		rc = -1;
	if (read_strlist(p, root, "clean-targets", &p->clean_targets, &present, d) < 0)
		rc = -1;
	if (!present)
		default_list(p, &p->clean_targets, p->target_path);

	p->require_dbt_version = v_none();
	if (pv_get(p->rendered, "require-dbt-version", &v))
		p->require_dbt_version = v;
	p->quoting = v_dict(&p->a, 4);
	if (pv_get(p->rendered, "quoting", &v) && v.type != VT_NONE) {
		if (v.type != VT_DICT) {
			yaml_error(d, node_at(p, root, "quoting"),
			           "'quoting' must be a dictionary, got %s", v_type_name(v));
			rc = -1;
		} else {
			for (uint32_t i = 0; i < v.dict->n; i++) {
				const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
				if (e->k.type == VT_UNDEF)
					continue;
				if (e->v.type == VT_NONE)
					continue;
				if (e->k.type != VT_STR ||
				    !(str_eqc(v_as_str(e->k), "database") ||
				      str_eqc(v_as_str(e->k), "schema") ||
				      str_eqc(v_as_str(e->k), "identifier") ||
				      str_eqc(v_as_str(e->k), "project")) ||
				    e->v.type != VT_BOOL) {
					struct buf b = BUF_INIT;
					v_to_str(e->k, &b);
					yaml_error(
					    d,
					    node_at(p, yaml_map_get(root, "quoting"), buf_cstr(&b)),
					    "quoting: expected database, schema, identifier or "
					    "project "
					    "set to true or false, got '%s'",
					    buf_cstr(&b));
					buf_release(&b);
					rc = -1;
					continue;
				}
				vdict_set(p->quoting.dict, e->k, e->v);
			}
		}
	}
	p->vars = v_dict(&p->a, 4);
	if (pv_get(p->raw, "vars", &v) && v.type != VT_NONE) {
		if (v.type != VT_DICT) {
			yaml_error(d, node_at(p, root, "vars"),
			           "'vars' must be a dictionary, got %s", v_type_name(v));
			rc = -1;
		} else {
			p->vars = v;
		}
	}
	value rs = v_none(), re = v_none();
	pv_get(p->rendered, "on-run-start", &rs);
	pv_get(p->rendered, "on-run-end", &re);
	p->on_run_start = hooks_list(p, rs);
	p->on_run_end = hooks_list(p, re);
	static const char *const hook_keys[] = {"on-run-start", "on-run-end"};
	for (size_t h = 0; h < ARRAY_LEN(hook_keys); h++) {
		value l = h ? p->on_run_end : p->on_run_start;
		bool ok = l.type == VT_LIST;
		for (uint32_t i = 0; ok && i < l.list->n; i++)
			ok = l.list->v[i].type == VT_STR;
		if (!ok) {
			yaml_error(d, node_at(p, root, hook_keys[h]),
			           "'%s' must be a SQL string or a list of them", hook_keys[h]);
			rc = -1;
			if (h)
				p->on_run_end = v_list(&p->a, 0);
			else
				p->on_run_start = v_list(&p->a, 0);
		}
	}
	p->dispatch = v_list(&p->a, 0);
	if (pv_get(p->rendered, "dispatch", &v) && v.type != VT_NONE) {
		const struct yaml_node *dn = node_at(p, root, "dispatch");
		if (v.type != VT_LIST) {
			yaml_error(d, dn, "'dispatch' must be a list, got %s", v_type_name(v));
			rc = -1;
		} else {
			for (uint32_t i = 0; i < v.list->n; i++) {
				value e = v.list->v[i], ns, so;
				if (e.type != VT_DICT || !pv_get(e, "macro_namespace", &ns) ||
				    !pv_get(e, "search_order", &so) || so.type != VT_LIST) {
					struct buf b = BUF_INIT;
					v_to_repr(e, &b);
					const struct yaml_node *en = yaml_seq_at(dn, i);
					yaml_error(d, en ? en : dn,
					           "Invalid project dispatch config: %s",
					           buf_cstr(&b));
					buf_release(&b);
					rc = -1;
				}
			}
			p->dispatch = v;
		}
	}
	p->flags = v_dict(&p->a, 0);
	if (pv_get(p->rendered, "flags", &v) && v.type != VT_NONE) {
		if (v.type != VT_DICT) {
			yaml_error(d, node_at(p, root, "flags"),
			           "'flags' must be a dictionary, got %s", v_type_name(v));
			rc = -1;
		} else {
			p->flags = v;
		}
	}
	p->query_comment = v_undef();
	pv_get(p->raw, "query-comment", &p->query_comment);
	p->restrict_access = v_bool(false);
	pv_get(p->rendered, "restrict-access", &p->restrict_access);
	p->dbt_cloud = v_none();
	pv_get(p->rendered, "dbt-cloud", &p->dbt_cloud);

	for (int t = 0; t < PRT_COUNT; t++) {
		const char *key = rt_keys[t];
		value tree = v_none(), raw = v_none();
		pv_get(p->rendered, key, &tree);
		pv_get(p->raw, key, &raw);
		if (tree.type == VT_NONE) {
			tree = v_dict(&p->a, 0);
			raw = tree;
		}
		if (tree.type != VT_DICT) {
			yaml_error(d, node_at(p, root, key), "'%s' must be a dictionary, got %s",
			           key, v_type_name(tree));
			rc = -1;
			tree = v_dict(&p->a, 0);
			raw = tree;
		}
		p->trees[t] = tree;
		p->raw_trees[t] = raw.type == VT_DICT ? raw : tree;
	}
	return rc;
}

static int load_common(struct project *p, const struct project_opts *o, bool root_load,
                       const struct project *root, struct diag *d)
{
	const struct yaml_node *yroot;
	if (load_project_file(p, &yroot, d) < 0)
		return -1;
	/* legacy `tests:` becomes `data_tests:` before anything else (load_raw_project) */
	value tv, dv;
	if (pv_get(p->raw, "tests", &tv) && !pv_get(p->raw, "data_tests", &dv)) {
		value copy = v_dict(&p->a, p->raw.dict->live);
		for (uint32_t i = 0; i < p->raw.dict->n; i++) {
			const struct ventry e_at = vdict_at(p->raw.dict, i), *e = &e_at;
			if (e->k.type == VT_UNDEF)
				continue;
			if (e->k.type == VT_STR && str_eqc(v_as_str(e->k), "tests"))
				vdict_sets(copy.dict, "data_tests", e->v);
			else
				vdict_set(copy.dict, e->k, e->v);
		}
		p->raw = copy;
	}
	if (check_fields(p, yroot, d) < 0)
		return -1;
	/* the profile name is rendered alone, before the profile exists, by the ProfileRenderer
	 * (load_profile in core/dbt/config/runtime.py): secrets allowed, no target */
	if (root_load && !o->no_profile) {
		const char *pname =
		    o->profile ? arena_strndup(&p->a, o->profile, strlen(o->profile)) : NULL;
		if (!pname) {
			const char *env = project_getenv(p, "DBT_PROFILE");
			if (env && *env)
				pname = env;
		}
		const struct yaml_node *pn = yaml_map_get(yroot, "profile");
		if (!pname) {
			value raw, r;
			if (pv_get(p->raw, "profile", &raw) && raw.type != VT_NONE) {
				if (prender_str(p, PRC_SECRET, raw, pn, &r, d) < 0)
					return -1;
				if (r.type != VT_STR) {
					yaml_error(d, pn, "'profile' must be a string, got %s",
					           v_type_name(r));
					return -1;
				}
				pname = arena_strndup(&p->a, r.s, r.len);
			}
		}
		if (!pname) {
			diag_add(
			    d, DIAG_ERROR, p->file, 0, 0, NULL, 0,
			    "dbt cannot run because no profile was specified for this dbt "
			    "project.\n"
			    "To specify a profile for this project, add a line like the this to\n"
			    "your dbt_project.yml file:\n\nprofile: [profile name]\n\nHere, "
			    "[profile "
			    "name] should be replaced with a profile name\ndefined in your "
			    "profiles.yml file.");
			return -1;
		}
		if (profile_load(p, o, pname, o->profile ? NULL : pn, d) < 0)
			return -1;
		p->has_profile = true;
		jinja_set_global(p->jenv, "target", p->profile.target);
	} else if (root && root->has_profile) {
		jinja_set_global(p->jenv, "target", p->profile.target);
	}
	if (render_tree(p, yroot, p->raw, (struct kp){0}, PRC_PROJECT, &p->rendered, d) < 0)
		return -1;
	if (fill_fields(p, yroot, d) < 0)
		return -1;
	if (p->has_profile && !p->profile_name)
		p->profile_name = p->profile.name;
	/* --target-path / DBT_TARGET_PATH win over target-path:, and the default clean-targets
	 * follows the winner (flag_or, create_project) */
	const char *tp =
	    o && o->target_path ? o->target_path : project_getenv(p, "DBT_TARGET_PATH");
	if (tp && *tp) {
		value ct;
		p->target_path = arena_strndup(&p->a, tp, strlen(tp));
		if (!pv_get(p->rendered, "clean-targets", &ct) || ct.type == VT_NONE)
			default_list(p, &p->clean_targets, p->target_path);
	}
	if (packages_load(p, d) < 0)
		return -1;
	return 0;
}

static void project_init(struct project *p)
{
	memset(p, 0, sizeof *p);
	arena_init(&p->a);
	p->cli_vars = v_dict(&p->a, 0);
	p->raw = p->rendered = v_dict(&p->a, 0);
	p->vars = p->quoting = p->flags = v_dict(&p->a, 0);
	for (int i = 0; i < PRT_COUNT; i++)
		p->trees[i] = p->raw_trees[i] = v_dict(&p->a, 0);
	p->profile.output = p->profile.target = p->profile.config = v_none();
	p->packages.projects = v_none();
}

int project_load(struct project *p, const struct project_opts *o, struct diag *d)
{
	project_init(p);
	penv_init(p, o);
	p->normalized_checksums = o->normalized_checksums;
	if (o->cwd) {
		p->cwd = normalize_dir(&p->a, o->cwd);
	} else {
		char buf[4096];
		const char *cwd = getcwd(buf, sizeof buf) ? buf : ".";
		p->cwd = arena_strndup(&p->a, cwd, strlen(cwd));
	}
	prender_init(p);
	if (project_parse_cli_vars(&p->a, o->vars, &p->cli_vars, d) < 0)
		return -1;
	p->dir = find_project_dir(p, o);
	return load_common(p, o, true, NULL, d);
}

int project_load_package(struct project *pkg, const struct project *root, const char *dir,
                         struct diag *d)
{
	project_init(pkg);
	map_init(&pkg->env_over);
	for (size_t i = 0; i < root->env_over.n; i++)
		if (root->env_over.e[i].key.p)
			map_set(&pkg->env_over, root->env_over.e[i].key, root->env_over.e[i].val);
	pkg->env_process = root->env_process;
	pkg->normalized_checksums = root->normalized_checksums;
	pkg->cwd = root->cwd;
	pkg->cli_vars = root->cli_vars;
	pkg->profile = root->profile;
	pkg->has_profile = false;
	prender_init(pkg);
	pkg->dir = normalize_dir(&pkg->a, dir);
	struct project_opts o = {0};
	return load_common(pkg, &o, false, root, d);
}

void project_release(struct project *p)
{
	if (p->jenv)
		jinja_env_free(p->jenv);
	map_release(&p->env_over);
	vec_free(&p->secrets);
	for (size_t i = 0; i < p->texts.n; i++)
		free(p->texts.v[i]);
	vec_free(&p->texts);
	free(p->packages.v);
	arena_release(&p->a);
	memset(p, 0, sizeof *p);
}
