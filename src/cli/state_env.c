/* --state-env / --defer-env: a gstate built from an environment's applied state in the metadata
 * store — what every non-CI run of the environment left, whichever job ran it — instead of one
 * target directory's manifest. docs/internals/state.md ("The environment's applied state"). */
#include "cli.h"
#include "jobs.h"
#include "json/json.h"
#include "store/store.h"

/* The type of a resource_type the comparison knows; -1 for macros, docs, groups, unknowns. */
static int compared_type(const char *rtype)
{
	int t = rtype ? graph_type_parse(str_from(rtype)) : -1;
	if (t < 0 && rtype && !strcmp(rtype, "data_test"))
		t = GT_TEST;
	if (t < 0 || t == GT_MACRO || t == GT_DOC || t == GT_GROUP)
		return -1;
	return t;
}

static const char *adup(struct arena *a, const char *s) { return s ? arena_strndup(a, s, strlen(s)) : NULL; }

static const char *item_str(value d, const char *k)
{
	value v = d.type == VT_DICT ? v_item(d, k) : v_undef();
	return v.type == VT_STR ? v.s : NULL;
}

int cli_node_info(const char *unique_id, const char *rtype, const char *json, size_t len,
                  struct arena *a, struct store_node_info *out, struct diag *d)
{
	memset(out, 0, sizeof(*out));
	struct gstate *s = gstate_new();
	value dict;
	int rc = json_parse(gstate_arena(s), unique_id, json, len, &dict, d);
	if (rc == 0 && dict.type != VT_DICT) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "node %s: expected a JSON object",
		         unique_id);
		rc = -1;
	}
	if (rc == 0 && rtype && !strcmp(rtype, "macro")) {
		out->macro_sql = adup(a, item_str(dict, "macro_sql"));
		value deps = v_item(v_item(dict, "depends_on"), "macros");
		struct buf b = BUF_INIT;
		for (uint32_t j = 0; deps.type == VT_LIST && j < deps.list->n; j++)
			if (deps.list->v[j].type == VT_STR)
				buf_printf(&b, "%s\n", deps.list->v[j].s);
		out->macro_deps = adup(a, buf_cstr(&b));
		buf_release(&b);
	}
	int t = rc == 0 ? compared_type(rtype) : -1;
	if (t >= 0) {
		struct gstate_node *n = gstate_add(s, unique_id, graph_table_of((enum gtype)t), (enum gtype)t);
		gstate_node_from_dict(s, n, dict);
		unsigned char dg[32];
		if (gstate_node_digest(n, dg)) {
			unsigned char *x = arena_alloc(a, 32);
			memcpy(x, dg, 32);
			out->digest = x;
		}
		out->database = adup(a, n->database);
		out->schema = adup(a, n->schema);
		out->alias = adup(a, n->alias);
		out->relation_name = adup(a, n->relation_name);
		out->materialized = adup(a, item_str(n->config, "materialized"));
	}
	gstate_free(s);
	return rc;
}

/* ---- the state: nodes by digest, loaded in full when a comparison needs them ---- */
struct env_node { /* a node's gstate_node.load_ref */
	int64_t blob_id;
	const char *json; /* a row from before blobs: its JSON */
	const char *database, *schema, *identifier; /* the applied relation, or NULL */
};

struct env_loader {
	char *store_path, *env_name;
	struct store *st;       /* opened on first use (the selection outlives the caller's store) */
	struct store *borrowed; /* the caller's, while the state is built */
	struct arena a;
};

static void loader_release(void *ud)
{
	struct env_loader *l = ud;
	store_close(l->st);
	arena_release(&l->a);
	free(l->store_path);
	free(l->env_name);
	free(l);
}

static int loader_load(void *ud, struct gstate *s, struct gstate_node *n, struct diag *d)
{
	struct env_loader *l = ud;
	const struct env_node *e = n->load_ref;
	struct arena *sa = gstate_arena(s);
	const char *json = e ? e->json : NULL;
	size_t len;
	if (!e) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "the applied state of '%s' has no record of %s", l->env_name, n->unique_id);
		return -1;
	}
	if (!json) {
		if (!l->borrowed && !l->st && !(l->st = store_open(l->store_path, NULL, d)))
			return -1;
		if (store_blob_get(l->borrowed ? l->borrowed : l->st, e->blob_id, &l->a, &json, &len,
		                   d) < 0)
			return -1;
	}
	value dict;
	const char *what = arena_printf(sa, "applied state of %s in '%s'", n->unique_id, l->env_name);
	if (json_parse(sa, what, json, strlen(json), &dict, d) < 0)
		return -1;
	if (dict.type != VT_DICT) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "%s: expected a JSON object", what);
		return -1;
	}
	gstate_node_from_dict(s, n, dict);
	if (e->schema && e->identifier) { /* the relation the environment really has */
		n->database = e->database ? e->database : n->database;
		n->schema = e->schema;
		n->alias = e->identifier;
	}
	n->digest = NULL;
	return 0;
}

struct run_seen {
	int64_t id;
	const char *job, *sha;
};

struct build {
	struct gstate *s;
	struct arena *sa;
	struct env_loader *l;
	struct diag *d;
	const char *env_name;
	VEC(struct run_seen) runs;
	size_t nmacros, nrows;
	struct map configs; /* materialized -> struct vdict* */
	value no_vars;      /* {} */
};

/* A node: by digest (type, relation and materialization only), else loaded now. */
static struct gstate_node *add_node(struct build *b, const char *uid, int t, int64_t blob_id,
                                    const char *json, const struct store_node_info *f,
                                    bool applied)
{
	struct arena *sa = b->sa;
	struct gstate_node *n = gstate_add(b->s, uid, graph_table_of((enum gtype)t), (enum gtype)t);
	struct env_node *e = arena_alloc(sa, sizeof(*e));
	*e = (struct env_node){ blob_id, blob_id ? NULL : adup(sa, json),
		                applied ? adup(sa, f->database) : NULL,
		                applied ? adup(sa, f->schema) : NULL, applied ? adup(sa, f->alias) : NULL };
	n->load_ref = e;
	if (!blob_id || !f->digest) /* no digest (a row from before blobs, a seed...): in full */
		return loader_load(b->l, b->s, n, b->d) < 0 ? NULL : n;
	unsigned char *dg = arena_alloc(sa, 32);
	memcpy(dg, f->digest, 32);
	n->digest = dg;
	n->database = adup(sa, f->database);
	n->schema = adup(sa, f->schema);
	n->alias = adup(sa, f->alias);
	n->relation_name = adup(sa, f->relation_name);
	if (f->materialized) { /* {"materialized": X}, one per X (nodes are never changed) */
		struct vdict *cfg = map_get(&b->configs, str_from(f->materialized));
		if (!cfg) {
			value v = v_dict(sa, 1);
			const char *m = adup(sa, f->materialized);
			vdict_sets(v.dict, "materialized", v_strdup(sa, m, strlen(m)));
			map_set(&b->configs, str_from(m), v.dict);
			cfg = v.dict;
		}
		n->config.type = VT_DICT;
		n->config.dict = cfg;
	}
	return n;
}

/* what each node's last success applied; the relation the environment really has */
static int on_applied(void *ud, const struct store_node_applied *r)
{
	struct build *b = ud;
	struct arena *sa = b->sa;
	b->nrows++;
	const char *uid = adup(sa, r->unique_id);
	if (r->last_status) { /* a few statuses for many nodes: shared */
		static const char *const common[] = { "success", "pass", "error", "fail", "skipped",
			                              "warn" };
		const char *st = NULL;
		for (size_t i = 0; i < ARRAY_LEN(common) && !st; i++)
			if (!strcmp(r->last_status, common[i]))
				st = common[i];
		gstate_set_result(b->s, uid, st ? st : adup(sa, r->last_status));
	}
	if (!r->success_run_id || (!r->node && !r->blob_id))
		return 0;
	int t = compared_type(r->resource_type);
	if (t < 0)
		return 0;
	struct gstate_node *n = add_node(b, uid, t, r->blob_id, r->node, &r->info, true);
	if (!n)
		return -1;
	if (r->vars) {
		value vars;
		if (!strcmp(r->vars, "{}")) { /* one {} for all: vars are never changed */
			if (b->no_vars.type != VT_DICT)
				b->no_vars = v_dict(sa, 0);
			gstate_set_vars(b->s, n, b->no_vars);
		}
		else if (json_parse(sa, "applied vars", r->vars, strlen(r->vars), &vars, b->d) == 0 &&
		         vars.type == VT_DICT)
			gstate_set_vars(b->s, n, vars);
	}
	size_t k = 0;
	while (k < b->runs.n && b->runs.v[k].id != r->success_run_id)
		k++;
	if (k == b->runs.n)
		vec_push(&b->runs, ((struct run_seen){ r->success_run_id, NULL, NULL }));
	return 0;
}

/* never-built nodes and the macros: the environment's newest manifest */
static bool want_def(void *ud, const char *uid, const char *rtype)
{
	struct build *b = ud;
	b->nrows++;
	return (rtype && !strcmp(rtype, "macro")) || !gstate_find(b->s, str_from(uid));
}

static int on_def(void *ud, const struct store_node_ref *r)
{
	struct build *b = ud;
	struct arena *sa = b->sa;
	const char *uid = adup(sa, r->unique_id);
	if (!r->resource_type || strcmp(r->resource_type, "macro")) {
		int t = compared_type(r->resource_type);
		return t < 0 || add_node(b, uid, t, r->blob_id, r->node, &r->info, false) ? 0 : -1;
	}
	b->nmacros++;
	const char *sql = r->info.macro_sql, *deps = r->info.macro_deps;
	value dict = v_none();
	if (!r->blob_id || !deps) { /* from before blobs, or stored without info: its JSON */
		const char *json = r->node;
		size_t len;
		if (!json && store_blob_get(b->l->borrowed, r->blob_id, sa, &json, &len, b->d) < 0)
			return -1;
		const char *what = arena_printf(sa, "definition of %s in '%s'", uid, b->env_name);
		if (json_parse(sa, what, json, strlen(json), &dict, b->d) < 0)
			return -1;
		sql = item_str(dict, "macro_sql");
	}
	VEC(const char *) m = { 0 };
	if (dict.type == VT_DICT) {
		value dl = v_item(v_item(dict, "depends_on"), "macros");
		for (uint32_t j = 0; dl.type == VT_LIST && j < dl.list->n; j++)
			if (dl.list->v[j].type == VT_STR)
				vec_push(&m, dl.list->v[j].s);
	} else {
		for (const char *p = deps; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			if (n)
				vec_push(&m, arena_strndup(sa, p, n));
			p += n + (nl ? 1 : 0);
		}
	}
	const char **mv = arena_alloc(sa, (m.n + 1) * sizeof(*mv));
	if (m.n)
		memcpy(mv, m.v, m.n * sizeof(*mv));
	gstate_add_macro(b->s, uid, adup(sa, sql), mv, (uint32_t)m.n);
	vec_free(&m);
	return 0;
}

int cli_state_from_env(struct store *st, const char *env_name, struct gstate **out,
                       struct diag *d)
{
	*out = NULL;
	struct arena a;
	arena_init(&a);
	struct store_env env;
	const char *generated_at = NULL;
	struct build b = { .s = gstate_new(), .d = d, .env_name = env_name };
	b.sa = gstate_arena(b.s);
	map_init(&b.configs);
	b.l = xcalloc(1, sizeof(*b.l));
	b.l->store_path = xstrdup(store_path(st));
	b.l->env_name = xstrdup(env_name);
	b.l->borrowed = st;
	arena_init(&b.l->a);
	gstate_set_loader(b.s, loader_load, b.l, loader_release);
	int rc = -1;
	if (store_env_get(st, env_name, &a, &env, d) < 0)
		goto done;
	if (store_state_each(st, env.id, on_applied, want_def, on_def, &b, d) != 0)
		goto done;
	if (!b.nrows) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "environment '%s' has no applied state yet: no run of it has been recorded "
		         "(build with --env %s, or silt ingest --env %s target/)",
		         env_name, env_name, env_name);
		goto done;
	}
	if (store_defs_generated_at(st, env.id, &a, &generated_at, d) < 0)
		goto done;
	if (!b.nmacros)
		diag_add(d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
		         "environment '%s' records no macros in its definition state: state:modified "
		         "compares nodes without their macros",
		         env_name);
	/* "environment 'production' (applied by runs 3 (job deploy_a, git 1a2b3c), 7 (…))" */
	struct buf o = BUF_INIT;
	buf_printf(&o, "environment '%s'", env_name);
	for (size_t k = 0; k < b.runs.n; k++) {
		struct store_run run;
		buf_puts(&o, k ? ", " : " (applied by runs ");
		if (store_run_get(st, b.runs.v[k].id, &a, &run, d) < 0) {
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
	if (b.runs.n)
		buf_puts(&o, ")");
	if (generated_at)
		buf_printf(&o, "%s definitions of %s", b.runs.n ? "," : "", generated_at);
	gstate_set_origin(b.s, buf_cstr(&o));
	buf_release(&o);
	*out = b.s;
	b.s = NULL;
	rc = 0;
done:
	b.l->borrowed = NULL;
	map_release(&b.configs);
	vec_free(&b.runs);
	gstate_free(b.s);
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
