/* --state-env / --defer-env: a gstate built from an environment's applied state in the metadata
 * store — what every non-CI run of the environment left, whichever job ran it — instead of one
 * target directory's manifest. docs/internals/state.md ("The environment's applied state"). */
#include "cli.h"
#include "json/json.h"
#include "store/store.h"

static enum gtable table_of(enum gtype t)
{
	switch (t) {
	case GT_SOURCE: return GTAB_SOURCES;
	case GT_EXPOSURE: return GTAB_EXPOSURES;
	case GT_METRIC: return GTAB_METRICS;
	case GT_SEMANTIC_MODEL: return GTAB_SEMANTIC_MODELS;
	case GT_SAVED_QUERY: return GTAB_SAVED_QUERIES;
	case GT_UNIT_TEST: return GTAB_UNIT_TESTS;
	default: return GTAB_NODES;
	}
}

static const char *dup(struct arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

static int parse_json(struct gstate *s, const char *what, const char *text, value *out,
                      struct diag *d)
{
	if (json_parse(gstate_arena(s), what, text, strlen(text), out, d) < 0)
		return -1;
	return 0;
}

static const char *item_str(value d, const char *k)
{
	value v = d.type == VT_DICT ? v_item(d, k) : v_undef();
	return v.type == VT_STR ? v.s : NULL;
}

/* Adds the node of unique_id from its manifest JSON; NULL (and nothing added) for a macro or a
 * resource type silt does not compare. */
static struct gstate_node *add_node(struct gstate *s, const char *uid, const char *rtype,
                                    value dict)
{
	int t = rtype ? graph_type_parse(str_from(rtype)) : -1;
	if (t < 0 && rtype && !strcmp(rtype, "data_test"))
		t = GT_TEST;
	if (t < 0 || t == GT_MACRO || t == GT_DOC || t == GT_GROUP)
		return NULL;
	struct gstate_node *n = gstate_add(s, uid, table_of((enum gtype)t), (enum gtype)t);
	gstate_node_from_dict(s, n, dict);
	return n;
}

struct run_seen {
	int64_t id;
	const char *job, *sha;
};

int cli_state_from_env(struct store *st, const char *env_name, struct gstate **out,
                       struct diag *d)
{
	*out = NULL;
	struct arena a;
	arena_init(&a);
	struct store_env env;
	struct store_node_applied *ap = NULL;
	struct store_node_def *defs = NULL;
	size_t nap = 0, ndefs = 0, nmacros = 0;
	const char *generated_at = NULL;
	struct gstate *s = gstate_new();
	struct arena *sa = gstate_arena(s);
	VEC(struct run_seen) runs = { 0 };
	int rc = -1;
	if (store_env_get(st, env_name, &a, &env, d) < 0 ||
	    store_applied_list(st, env.id, &a, &ap, &nap, d) < 0 ||
	    store_defs_list(st, env.id, &a, &defs, &ndefs, &generated_at, d) < 0)
		goto done;
	if (!nap && !ndefs) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "environment '%s' has no applied state yet: no run of it has been recorded "
		         "(build with --env %s, or silt ingest --env %s target/)",
		         env_name, env_name, env_name);
		goto done;
	}
	/* what each node's last success applied; the relation the environment really has */
	for (size_t i = 0; i < nap; i++) {
		const struct store_node_applied *r = &ap[i];
		if (r->last_status)
			gstate_set_result(s, dup(sa, r->unique_id),
			                  dup(sa, r->last_status));
		if (!r->success_run_id || !r->node)
			continue;
		value dict, vars;
		const char *what = arena_printf(sa, "applied state of %s in '%s'", r->unique_id, env_name);
		if (parse_json(s, what, r->node, &dict, d) < 0)
			goto done;
		struct gstate_node *n = add_node(s, dup(sa, r->unique_id), r->resource_type, dict);
		if (!n)
			continue;
		if (r->schema && r->identifier) {
			n->database = r->database ? dup(sa, r->database) : n->database;
			n->schema = dup(sa, r->schema);
			n->alias = dup(sa, r->identifier);
		}
		if (r->vars && parse_json(s, what, r->vars, &vars, d) == 0 && vars.type == VT_DICT)
			gstate_set_vars(s, n, vars);
		size_t k = 0;
		while (k < runs.n && runs.v[k].id != r->success_run_id)
			k++;
		if (k == runs.n)
			vec_push(&runs, ((struct run_seen){ r->success_run_id, NULL, NULL }));
	}
	/* never-built nodes and the macros: the environment's newest manifest */
	for (size_t i = 0; i < ndefs; i++) {
		const struct store_node_def *r = &defs[i];
		bool macro = r->resource_type && !strcmp(r->resource_type, "macro");
		if (!macro && gstate_find(s, str_from(r->unique_id)))
			continue;
		value dict;
		const char *what = arena_printf(sa, "definition of %s in '%s'", r->unique_id, env_name);
		if (parse_json(s, what, r->node, &dict, d) < 0)
			goto done;
		const char *uid = dup(sa, r->unique_id);
		if (macro) {
			nmacros++;
			value deps = v_item(v_item(dict, "depends_on"), "macros");
			uint32_t nm = deps.type == VT_LIST ? deps.list->n : 0;
			const char **m = arena_alloc(sa, (nm + 1) * sizeof(*m));
			uint32_t k = 0;
			for (uint32_t j = 0; j < nm; j++)
				if (deps.list->v[j].type == VT_STR)
					m[k++] = deps.list->v[j].s;
			gstate_add_macro(s, uid, item_str(dict, "macro_sql"), m, k);
		} else {
			add_node(s, uid, r->resource_type, dict);
		}
	}
	if (!nmacros)
		diag_add(d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
		         "environment '%s' records no macros in its definition state: state:modified "
		         "compares nodes without their macros",
		         env_name);
	/* "environment 'production' (applied by runs 3 (job deploy_a, git 1a2b3c), 7 (…))" */
	struct buf o = BUF_INIT;
	buf_printf(&o, "environment '%s'", env_name);
	for (size_t k = 0; k < runs.n; k++) {
		struct store_run run;
		buf_puts(&o, k ? ", " : " (applied by runs ");
		if (store_run_get(st, runs.v[k].id, &a, &run, d) < 0) {
			buf_release(&o);
			goto done;
		}
		buf_printf(&o, "%lld", (long long)run.id);
		if (run.job_name || run.git_sha) {
			buf_puts(&o, " [");
			if (run.job_name)
				buf_printf(&o, "job %s%s", run.job_name, run.git_sha ? ", " : "");
			if (run.git_sha)
				buf_printf(&o, "git %.12s", run.git_sha);
			buf_puts(&o, "]");
		}
	}
	if (runs.n)
		buf_puts(&o, ")");
	if (generated_at)
		buf_printf(&o, "%s definitions of %s", runs.n ? "," : "", generated_at);
	gstate_set_origin(s, buf_cstr(&o));
	buf_release(&o);
	*out = s;
	s = NULL;
	rc = 0;
done:
	vec_free(&runs);
	gstate_free(s);
	arena_release(&a);
	return rc;
}

int cli_open_store(const char *project_dir, struct store **out, struct diag *d)
{
	struct buf path = BUF_INIT;
	*out = NULL;
	if (store_locate(NULL, project_dir, &path, d) == 0)
		*out = store_open(buf_cstr(&path), NULL, d);
	buf_release(&path);
	return *out ? 0 : -1;
}
