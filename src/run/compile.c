/* Compiling nodes: execute-phase renders, ref/source resolution, ephemeral CTE injection. */
#include <strings.h>

#include "adapter/adapter.h"
#include "compile.h"

static value dget(value d, const char *k)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(k), &v))
		return v;
	return v_undef();
}

static bool is_ephemeral(const struct gnode *g)
{
	value m = dget(g->config, "materialized");
	return m.type == VT_STR && str_eqc(v_as_str(m), "ephemeral");
}


/* The relation a node builds (or a source names), as templates see it: rendered by the adapter
 * when one is attached, else printing as the manifest's relation_name. */
static value node_relation(struct node_compiler *nc, const struct gnode *g, struct arena *a)
{
	value db = dget(g->raw, "database"), schema = dget(g->raw, "schema");
	value ident = dget(g->raw, g->type == GT_SOURCE ? "identifier" : "alias");
	if (db.type != VT_STR)
		db = v_none();
	if (schema.type != VT_STR)
		schema = v_none();
	if (ident.type != VT_STR)
		ident = v_cstr(g->name);
	if (nc->ad)
		return dbt_relation(a, nc->ad, db, schema, ident, v_none());
	return dbt_relation_named(a, db, schema, ident, dget(g->raw, "relation_name"));
}

/* adapter.get_relation through the runtime's connection: absent without one. */
static int cc_get_relation(void *ud, value database, value schema, value identifier, value *out)
{
	struct node_render *u = ud;
	struct node_compiler *nc = u->nc;
	if (!nc->rt || !nc->rt->conn || identifier.type != VT_STR)
		return 0;
	struct arena *a = u->a;
	const char *db = database.type == VT_STR ? arena_strndup(a, database.s, database.len) : NULL;
	const char *sc = schema.type == VT_STR ? arena_strndup(a, schema.s, schema.len) : NULL;
	const char *id = arena_strndup(a, identifier.s, identifier.len);
	struct relation found;
	struct diag d;
	diag_init(&d);
	int rc = adapter_get_relation(nc->rt->conn, db, sc, id, &found, &d);
	if (rc < 0) {
		nc->rt->db_error = true;
		nc->rt->db_message = d.msgs.n ? arena_strndup(nc->rt->a, d.msgs.v[0].msg, strlen(d.msgs.v[0].msg))
		                              : "adapter.get_relation failed";
		diag_release(&d);
		return -1;
	}
	diag_release(&d);
	if (rc == 1)
		*out = dbt_relation(a, nc->ad, db ? v_cstr(db) : v_none(), sc ? v_cstr(sc) : v_none(),
		                    v_cstr(id), v_cstr(rel_type_name(found.type)));
	return rc;
}

static int cc_var(void *ud, const char *package, struct str name, value *out)
{
	struct node_render *u = ud;
	char *n = xmemdup0(name.p, name.n);
	int rc = project_var_lookup(u->nc->p, NULL, package && strcmp(package, u->nc->p->name) ? package : NULL, n, out);
	free(n);
	return rc;
}

static int cc_env(void *ud, struct str name, value *out)
{
	struct node_render *u = ud;
	char *n = xmemdup0(name.p, name.n);
	const char *v = project_getenv(u->nc->p, n);
	free(n);
	if (!v)
		return 0;
	*out = v_cstr(v);
	return 1;
}

static int cc_ref(void *ud, const char *from, struct str package, struct str name, value version,
                  value *out)
{
	(void)from;
	(void)version;
	struct node_render *u = ud;
	struct gnode *g = NULL;
	if (package.n) {
		struct gmanifest *m = u->nc->r->m;
		for (uint32_t i = 0; i < m->n && !g; i++) {
			struct gnode *x = m->nodes[i];
			if ((x->type == GT_MODEL || x->type == GT_SEED || x->type == GT_SNAPSHOT) &&
			    str_eqc(name, x->name) && str_eqc(package, x->package))
				g = x;
		}
	} else {
		g = map_get(&u->nc->by_name, name);
	}
	if (!g)
		return 0;
	if (is_ephemeral(g)) {
		bool seen = false;
		for (size_t i = 0; i < u->ctes.n; i++)
			seen |= u->ctes.v[i] == g;
		if (!seen)
			vec_push(&u->ctes, g);
		char *cte = arena_printf(u->a, "__dbt__cte__%s", g->name);
		*out = dbt_relation(u->a, NULL, v_none(), v_none(), v_cstr(cte), v_cstr("cte"));
		return 1;
	}
	*out = node_relation(u->nc, g, u->a);
	return 1;
}

/* "source\0table" -> the first source node of that name (an index: a scan per source() call
 * made compiling a big project quadratic) */
static const char *source_key(struct arena *a, struct str source, struct str table)
{
	char *k = arena_alloc(a, source.n + table.n + 1);
	memcpy(k, source.p, source.n);
	k[source.n] = 0;
	memcpy(k + source.n + 1, table.p, table.n);
	return k;
}

static int cc_source(void *ud, struct str source, struct str table, value *out)
{
	struct node_render *u = ud;
	struct arena_mark mk = arena_mark(&u->nc->a);
	const char *k = source_key(&u->nc->a, source, table);
	struct gnode *x = map_get(&u->nc->sources, str_make(k, source.n + 1 + table.n));
	arena_restore(&u->nc->a, mk);
	if (!x || dget(x->raw, "relation_name").type != VT_STR)
		return 0;
	*out = node_relation(u->nc, x, u->a);
	return 1;
}

void node_target_path(const struct gnode *g, struct buf *out)
{
	buf_printf(out, "%s/", g->package);
	if (g->generic_test && g->original_file_path)
		buf_printf(out, "%s/%s", g->original_file_path, g->path);
	else
		buf_puts(out, g->original_file_path ? g->original_file_path : g->path);
}

void node_compiler_init(struct node_compiler *nc, struct project *p, struct parse_result *r)
{
	memset(nc, 0, sizeof(*nc));
	nc->p = p;
	nc->r = r;
	arena_init(&nc->a);
	map_init(&nc->by_name);
	map_init(&nc->ephemeral_sql);
	map_init(&nc->sources);
	for (uint32_t i = 0; i < r->m->n; i++) {
		struct gnode *g = r->m->nodes[i];
		if (g->type != GT_SOURCE || !g->source_name)
			continue;
		struct str sn = str_from(g->source_name), tn = str_from(g->name);
		struct str key = str_make(source_key(&nc->a, sn, tn), sn.n + 1 + tn.n);
		value rel = dget(g->raw, "relation_name");
		if (rel.type == VT_STR && !map_has(&nc->sources, key))
			map_set(&nc->sources, key, g);
	}
	/* unqualified ref(): the root project's node first, then any package's */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < r->m->n; i++) {
			struct gnode *g = r->m->nodes[i];
			if (g->type != GT_MODEL && g->type != GT_SEED && g->type != GT_SNAPSHOT)
				continue;
			bool root = p->name && !strcmp(g->package, p->name);
			if ((pass == 0) == root && !map_has(&nc->by_name, str_from(g->name)))
				map_set(&nc->by_name, str_from(g->name), g);
		}
	struct dbt_project_info *info = &nc->info;
	info->root_package = p->name;
	info->adapter_type = p->has_profile && p->profile.type ? p->profile.type : "sqlite";
	info->target = p->has_profile ? p->profile.target : v_dict(&nc->a, 0);
	info->flags = v_dict(&nc->a, 2);
	vdict_sets(info->flags.dict, "WHICH", v_cstr("compile"));
	vdict_sets(info->flags.dict, "FULL_REFRESH", v_bool(false));
	info->invocation_id = "00000000-0000-0000-0000-000000000000";
	info->var = cc_var;
	info->env_var = cc_env;
	info->resolve_ref = cc_ref;
	info->resolve_source = cc_source;
	info->get_relation = cc_get_relation;
	value disp = v_dict(&nc->a, 2);
	if (p->dispatch.type == VT_LIST)
		for (uint32_t i = 0; i < p->dispatch.list->n; i++) {
			value ns = dget(p->dispatch.list->v[i], "macro_namespace");
			value so = dget(p->dispatch.list->v[i], "search_order");
			if (ns.type == VT_STR && so.type == VT_LIST)
				vdict_set(disp.dict, ns, so);
		}
	info->dispatch = disp;
}

void node_compiler_release(struct node_compiler *nc)
{
	map_release(&nc->by_name);
	map_release(&nc->ephemeral_sql);
	map_release(&nc->sources);
	arena_release(&nc->a);
}

/* dbt puts ephemeral CTEs first: into the query's own leading WITH, or a new one. */
static void inject_ctes(struct buf *out, const struct buf *ctes, struct str sql)
{
	struct str t = sql;
	size_t lead = 0;
	while (lead < t.n && (t.p[lead] == ' ' || t.p[lead] == '\n' || t.p[lead] == '\t' || t.p[lead] == '\r'))
		lead++;
	bool with = t.n - lead >= 5 && !strncasecmp(t.p + lead, "with", 4) &&
	            (t.p[lead + 4] == ' ' || t.p[lead + 4] == '\n' || t.p[lead + 4] == '\t');
	if (with) {
		buf_append(out, t.p, lead + 4);
		buf_puts(out, " ");
		buf_putstr(out, buf_str(ctes));
		buf_puts(out, ", ");
		buf_append(out, t.p + lead + 4, t.n - lead - 4);
	} else {
		buf_puts(out, "with ");
		buf_putstr(out, buf_str(ctes));
		buf_putc(out, '\n');
		buf_putstr(out, t);
	}
}

/* dbt's add_rendered_test_kwargs: each string argument of a generic test rendered natively in the
 * test's context (a bare ref(...)/source(...)/var(...)/env_var(...)/doc(...) call wrapped in
 * braces first); column_name stays text. Lists and dicts are walked. */
static bool looks_like_call(struct str s)
{
	static const char *const fns[] = { "env_var", "ref", "var", "source", "doc" };
	while (s.n && (*s.p == ' ' || *s.p == '\t' || *s.p == '\n'))
		s.p++, s.n--;
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\n'))
		s.n--;
	if (!s.n || s.p[s.n - 1] != ')')
		return false;
	for (size_t i = 0; i < ARRAY_LEN(fns); i++) {
		size_t k = strlen(fns[i]);
		if (s.n <= k || strncmp(s.p, fns[i], k))
			continue;
		size_t j = k;
		while (j < s.n && (s.p[j] == ' ' || s.p[j] == '\t'))
			j++;
		if (j < s.n && s.p[j] == '(' && s.n - j > 2)
			return true;
	}
	return false;
}

static int render_kwarg(struct node_render *nr, value v, bool column_name, value *out)
{
	struct arena *a = nr->a;
	if (v.type == VT_LIST) {
		value l = v_list(a, v.list->n);
		l.flags = v.flags;
		for (uint32_t i = 0; i < v.list->n; i++) {
			value x;
			if (render_kwarg(nr, v.list->v[i], false, &x) < 0)
				return -1;
			vlist_push(l.list, x);
		}
		*out = l;
		return 0;
	}
	if (v.type == VT_DICT) {
		value d = v_dict(a, v.dict->n);
		for (uint32_t i = 0; i < v.dict->n; i++) {
			if (v.dict->e[i].k.type == VT_UNDEF)
				continue;
			value x;
			if (render_kwarg(nr, v.dict->e[i].v, false, &x) < 0)
				return -1;
			vdict_set(d.dict, v.dict->e[i].k, x);
		}
		*out = d;
		return 0;
	}
	if (v.type != VT_STR || column_name) {
		*out = v;
		return 0;
	}
	struct str s = v_as_str(v);
	char *src = looks_like_call(s) ? arena_printf(a, "{{ %.*s }}", (int)s.n, s.p)
	                               : arena_strndup(a, s.p, s.n);
	/* the template and its source live as long as the render's arena */
	struct jinja_template *t = jinja_parse_in(nr->nc->r->env, a, nr->r.package, src, strlen(src), nr->d);
	if (!t)
		return -1;
	return jinja_render_native(nr->nc->r->env, t, &nr->opts, out, nr->d);
}

int node_render_begin(struct node_compiler *nc, struct gnode *g, struct arena *a,
                      struct node_render *nr, struct diag *d)
{
	memset(nr, 0, sizeof(*nr));
	nr->nc = nc;
	nr->d = d;
	nr->a = a;
	nr->prev_ud = nc->info.ud;
	nc->info.ud = nr;
	nc->info.adapter = nc->ad;
	struct dbt_render *r = &nr->r;
	r->proj = &nc->info;
	r->env = nc->r->env;
	r->phase = DBT_EXECUTE;
	r->package = g->package;
	r->node = g->raw;
	r->rt = nc->rt;
	r->this = g->type == GT_MODEL || g->type == GT_SEED || g->type == GT_SNAPSHOT || g->type == GT_TEST
	              ? node_relation(nc, g, a)
	              : v_undef();
	dbt_render_setup(r, a, &nr->opts);
	struct vdict *ctx = r->ctx.dict;
	vdict_sets(ctx, "schema", dget(g->raw, "schema"));
	vdict_sets(ctx, "database", dget(g->raw, "database"));
	value meta = dget(g->raw, "test_metadata");
	value kwargs = dget(meta, "kwargs");
	if (kwargs.type == VT_DICT) {
		value rendered = v_dict(a, kwargs.dict->n);
		for (uint32_t i = 0; i < kwargs.dict->n; i++) {
			value k = kwargs.dict->e[i].k, x;
			if (k.type == VT_UNDEF)
				continue;
			bool colname = k.type == VT_STR && str_eqc(v_as_str(k), "column_name");
			if (render_kwarg(nr, kwargs.dict->e[i].v, colname, &x) < 0) {
				node_render_end(nr);
				return -1;
			}
			vdict_set(rendered.dict, k, x);
		}
		vdict_sets(ctx, "_dbt_generic_test_kwargs", rendered);
	}
	return 0;
}

void node_render_end(struct node_render *nr)
{
	nr->nc->info.ud = nr->prev_ud;
	vec_free(&nr->ctes);
}

static int compile_into(struct node_compiler *nc, struct gnode *g, struct buf *out, struct diag *d,
                        int depth)
{
	if (depth > 64) {
		diag_add(d, DIAG_ERROR, g->original_file_path, 0, 0, NULL, 0,
		         "ephemeral models nest too deeply");
		return -1;
	}
	value raw = dget(g->raw, "raw_code");
	if (raw.type != VT_STR) {
		buf_reset(out);
		return 0;
	}
	/* the template lives in the render's scratch arena: kept in the environment, 10,000
	 * compiled models would stay in memory until the end */
	struct arena scratch;
	arena_init(&scratch);
	struct jinja_template *t =
	    jinja_parse_in(nc->r->env, &scratch, g->original_file_path ? g->original_file_path : g->name,
	                   raw.s, raw.len, d);
	if (!t) {
		arena_release(&scratch);
		return -1;
	}
	/* with a warehouse attached, render in the run's arena: statement results outlive this */
	struct node_render nr;
	if (node_render_begin(nc, g, nc->rt ? nc->rt->a : &scratch, &nr, d) < 0) {
		arena_release(&scratch);
		return -1;
	}
	nr.depth = depth;
	struct buf sql = BUF_INIT;
	int rc = jinja_render(nc->r->env, t, &nr.opts, &sql, d);
	if (rc == 0 && nr.ctes.n) {
		struct buf ctes = BUF_INIT;
		for (size_t i = 0; i < nr.ctes.n && rc == 0; i++) {
			struct buf inner = BUF_INIT;
			rc = compile_into(nc, nr.ctes.v[i], &inner, d, depth + 1);
			if (i)
				buf_puts(&ctes, ",  ");
			buf_printf(&ctes, "__dbt__cte__%s as (\n%s\n)", nr.ctes.v[i]->name, buf_cstr(&inner));
			buf_release(&inner);
		}
		buf_reset(out);
		if (rc == 0)
			inject_ctes(out, &ctes, buf_str(&sql));
		buf_release(&ctes);
	} else if (rc == 0) {
		buf_reset(out);
		buf_putstr(out, buf_str(&sql));
	}
	buf_release(&sql);
	node_render_end(&nr);
	arena_release(&scratch);
	return rc;
}

int node_compile(struct node_compiler *nc, struct gnode *g, struct buf *out, struct diag *d)
{
	return compile_into(nc, g, out, d, 0);
}
