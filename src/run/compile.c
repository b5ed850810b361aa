/* Compiling nodes: execute-phase renders, ref/source resolution, ephemeral CTE injection. */
#include <strings.h>

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

struct compile_ud {
	struct node_compiler *nc;
	struct diag *d;
	VEC(struct gnode *) ctes; /* ephemeral models this node refers to, in order */
	int depth;
};

static int cc_var(void *ud, const char *package, struct str name, value *out)
{
	struct compile_ud *u = ud;
	char *n = xmemdup0(name.p, name.n);
	int rc = project_var_lookup(u->nc->p, NULL, package && strcmp(package, u->nc->p->name) ? package : NULL, n, out);
	free(n);
	return rc;
}

static int cc_env(void *ud, struct str name, value *out)
{
	struct compile_ud *u = ud;
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
	struct compile_ud *u = ud;
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
		char *cte = arena_printf(&u->nc->a, "__dbt__cte__%s", g->name);
		*out = v_cstr(cte);
		return 1;
	}
	value rel = dget(g->raw, "relation_name");
	if (rel.type != VT_STR)
		return 0;
	*out = rel;
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
	struct compile_ud *u = ud;
	struct arena_mark mk = arena_mark(&u->nc->a);
	const char *k = source_key(&u->nc->a, source, table);
	struct gnode *x = map_get(&u->nc->sources, str_make(k, source.n + 1 + table.n));
	arena_restore(&u->nc->a, mk);
	value rel = x ? dget(x->raw, "relation_name") : v_undef();
	if (rel.type != VT_STR)
		return 0;
	*out = rel;
	return 1;
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
	struct compile_ud u = { nc, d, { 0 }, depth };
	nc->info.ud = &u;
	struct dbt_render r = { 0 };
	r.proj = &nc->info;
	r.env = nc->r->env;
	r.phase = DBT_EXECUTE;
	r.package = g->package;
	r.node = g->raw;
	value rel = dget(g->raw, "relation_name");
	r.this = rel.type == VT_STR ? rel : v_undef();
	struct jinja_render opts = { 0 };
	dbt_render_setup(&r, &scratch, &opts);
	struct buf sql = BUF_INIT;
	int rc = jinja_render(nc->r->env, t, &opts, &sql, d);
	arena_release(&scratch);
	if (rc == 0 && u.ctes.n) {
		struct buf ctes = BUF_INIT;
		for (size_t i = 0; i < u.ctes.n && rc == 0; i++) {
			struct buf inner = BUF_INIT;
			rc = compile_into(nc, u.ctes.v[i], &inner, d, depth + 1);
			if (i)
				buf_puts(&ctes, ",  ");
			buf_printf(&ctes, "__dbt__cte__%s as (\n%s\n)", u.ctes.v[i]->name, buf_cstr(&inner));
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
	vec_free(&u.ctes);
	return rc;
}

int node_compile(struct node_compiler *nc, struct gnode *g, struct buf *out, struct diag *d)
{
	return compile_into(nc, g, out, d, 0);
}
