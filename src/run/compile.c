/* Compiling nodes: execute-phase renders, ref/source resolution, ephemeral CTE injection. */
#include <strings.h>

#include "adapter/adapter.h"
#include "compile.h"

/* d[k] for a key literal k: where k was in the last dict it was looked up in, per thread (the
 * node dicts of a kind hold it at one place: see vdict_get_at), else by the index. */
static value dget(value d, const char *k)
{
	static _Thread_local struct vdict_lit hints[32];
	return d.type == VT_DICT ? vdict_get_lit(d.dict, k, &hints[VDICT_LIT_SLOT(k, 5)])
	                         : v_undef();
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

/* --defer: the relation of a parent as the state has it (dbt's defer_relation). */
static value state_relation(struct node_compiler *nc, const struct gstate_node *st, struct arena *a)
{
	value db = st->database ? v_cstr(st->database) : v_none();
	value schema = st->schema ? v_cstr(st->schema) : v_none();
	if (nc->ad)
		return dbt_relation(a, nc->ad, db, schema, v_cstr(st->alias), v_none());
	return dbt_relation_named(a, db, schema, v_cstr(st->alias),
	                          st->relation_name ? v_cstr(st->relation_name) : v_none());
}

/* --defer: whether g's own relation exists in the target (without a connection it does not). */
static bool target_has(struct node_render *u, const struct gnode *g)
{
	value found;
	value ident = dget(g->raw, "alias");
	if (ident.type != VT_STR)
		ident = v_cstr(g->name);
	return cc_get_relation(u, dget(g->raw, "database"), dget(g->raw, "schema"), ident, &found) == 1;
}

static int cc_var(void *ud, const char *package, struct str name, value *out)
{
	struct node_render *u = ud;
	char *n = xmemdup0(name.p, name.n);
	/* a package's node also sees the package's own vars */
	const struct project *dep = NULL;
	bool in_pkg = package && u->nc->p->name && strcmp(package, u->nc->p->name);
	for (size_t i = 0; in_pkg && i < u->nc->r->npkgs && !dep; i++)
		if (u->nc->r->pkgs[i].name && !strcmp(u->nc->r->pkgs[i].name, package))
			dep = &u->nc->r->pkgs[i];
	int rc = project_var_lookup(u->nc->p, dep, in_pkg ? package : NULL, n, out);
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

/* rel read through a subquery, as dbt's BaseRelation renders a filtered or limited relation:
 * `(select * from <rel> <tail>) <alias><identifier>`, still carrying rel's parts. */
static value subquery_relation(struct node_render *u, value rel, const char *tail,
                               const char *alias)
{
	value db, schema, ident;
	if (!dbt_relation_parts(rel, &db, &schema, &ident, NULL))
		return rel;
	struct buf b = BUF_INIT;
	buf_puts(&b, "(select * from ");
	v_to_str(rel, &b);
	buf_printf(&b, " %s) %s", tail, alias);
	if (ident.type == VT_STR)
		buf_append(&b, ident.s, ident.len);
	value out = dbt_relation_named(u->a, db, schema, ident, v_strdup(u->a, b.p, b.n));
	buf_release(&b);
	return out;
}

/* dbt's event-time filter: inside a microbatch model's batch, a node with an event_time reads
 * as `(select * from <rel> where <et> >= '<start>' and <et> < '<end>') _dbt_et_filter_subq_<id>`. */
static value batch_filter(struct node_render *u, const struct gnode *g, value rel)
{
	struct node_compiler *nc = u->nc;
	value et = v_item(g->config, "event_time");
	if (!u->in_batch || et.type != VT_STR || !et.len)
		return rel;
	char *tail = arena_printf(u->a, "where %.*s >= '%s' and %.*s < '%s'", (int)et.len, et.s,
	                          nc->batch.start, (int)et.len, et.s, nc->batch.end);
	return subquery_relation(u, rel, tail, "_dbt_et_filter_subq_");
}

/* --empty: rel reads no rows (see node_compiler.empty) */
static value empty_filter(struct node_render *u, value rel)
{
	return u->nc->empty ? subquery_relation(u, rel, "where false limit 0", "_dbt_limit_subq_")
	                    : rel;
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
	const struct gstate_node *st = graph_defer_node(u->nc->defer, g);
	if (st && (u->nc->defer->favor_state || !target_has(u, g))) {
		*out = empty_filter(u, state_relation(u->nc, st, u->a));
		return 1;
	}
	*out = empty_filter(u, batch_filter(u, g, node_relation(u->nc, g, u->a)));
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
	*out = empty_filter(u, batch_filter(u, x, node_relation(u->nc, x, u->a)));
	return 1;
}

void node_target_path(const struct gnode *g, struct buf *out)
{
	buf_puts(out, g->package);
	buf_putc(out, '/');
	if (g->generic_test && g->original_file_path) {
		buf_puts(out, g->original_file_path);
		buf_putc(out, '/');
		buf_puts(out, g->path);
	} else {
		buf_puts(out, g->original_file_path ? g->original_file_path : g->path);
	}
}

static value flat_graph(struct arena *a, const struct gmanifest *m);

/* The tables node_compiler_init derives from the manifest: ref() and source() lookups and
 * whether get_where_subquery is dbt's own. */
static void index_manifest(struct node_compiler *nc, struct project *p, struct parse_result *r)
{
	nc->plain_where_subquery = true;
	for (uint32_t i = 0; i < r->m->nmacros; i++) {
		const struct gmacro *mm = r->m->macros[i];
		struct str name = str_from(mm->name ? mm->name : "");
		bool dbts = mm->package && !strcmp(mm->package, "dbt");
		if ((str_eqc(name, "get_where_subquery") && !dbts) ||
		    (str_ends_with(name, STR("__get_where_subquery")) &&
		     !(dbts && str_eqc(name, "default__get_where_subquery"))))
			nc->plain_where_subquery = false;
	}
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
}

void node_compiler_init(struct node_compiler *nc, struct project *p, struct parse_result *r)
{
	node_compiler_init_like(nc, p, r, NULL);
}

void node_compiler_init_like(struct node_compiler *nc, struct project *p, struct parse_result *r,
                             const struct node_compiler *like)
{
	memset(nc, 0, sizeof(*nc));
	nc->p = p;
	nc->r = r;
	arena_init(&nc->a);
	arena_init(&nc->scratch);
	map_init(&nc->by_name);
	map_init(&nc->ephemeral_sql);
	map_init(&nc->sources);
	if (p->has_profile) { /* relation names as the adapter renders them; no connection yet */
		struct diag ignore;
		diag_init(&ignore);
		nc->own_ad = adapter_new(p->profile.output, p->dir, &ignore);
		nc->ad = nc->own_ad;
		diag_release(&ignore);
	}
	if (like) { /* copies of its tables (the keys and nodes are the manifest's) */
		map_release(&nc->by_name);
		map_release(&nc->sources);
		map_copy(&nc->by_name, &like->by_name);
		map_copy(&nc->sources, &like->sources);
		nc->plain_where_subquery = like->plain_where_subquery;
	} else {
		index_manifest(nc, p, r);
	}
	struct dbt_project_info *info = &nc->info;
	info->root_package = p->name;
	info->adapter_type = p->has_profile && p->profile.type ? p->profile.type : "sqlite";
	info->target = p->has_profile ? p->profile.target : v_dict(&nc->a, 0);
	info->flags = v_dict(&nc->a, 2);
	vdict_sets(info->flags.dict, "WHICH", v_cstr("compile"));
	vdict_sets(info->flags.dict, "FULL_REFRESH", v_bool(false));
	info->invocation_id = "00000000-0000-0000-0000-000000000000";
	info->run_started_at = dbt_now_utc(&nc->a); /* (not once per node) */
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
	/* one flat graph for all: its tables are only read (the node dicts in them are shared
	 * anyway) */
	info->graph = like ? like->info.graph : flat_graph(&nc->a, r->m);
	nc->idle = xcalloc(1, sizeof(*nc->idle));
	nc->idle->nc = nc;
	/* (the relations ref() and source() make in hooks and operations live as long as nc) */
	nc->idle->a = &nc->a;
	info->ud = nc->idle;
}

/* dbt's flat graph: each enabled node's manifest dict under its table, keyed by unique_id. */
static const char *const flat_tables[] = {"exposures",       "groups",        "metrics",
                                          "nodes",           "sources",       "semantic_models",
                                          "saved_queries",   "unit_tests"};

/* The index in flat_tables of a table's name, or -1. */
static int flat_index(const char *t)
{
	for (size_t k = 0; k < ARRAY_LEN(flat_tables); k++)
		if (!strcmp(t, flat_tables[k]))
			return (int)k;
	return -1;
}

/* Where g goes in the flat graph (an index of flat_tables), or -1; by_table: flat_index of each
 * manifest table's name, groups: that of "groups". */
static int flat_table(const struct gnode *g, const int *by_table, int groups)
{
	if (!g->enabled || g->raw.type != VT_DICT)
		return -1;
	if (g->type == GT_GROUP)
		return groups;
	return g->table < GTAB__COUNT ? by_table[g->table] : -1;
}

static value flat_graph(struct arena *a, const struct gmanifest *m)
{
	int by_table[GTAB__COUNT], groups = flat_index("groups");
	for (int t = 0; t < GTAB__COUNT; t++)
		by_table[t] = flat_index(graph_table_name((enum gtable)t));
	/* each table is made with room for its nodes, counted first */
	uint32_t count[ARRAY_LEN(flat_tables)] = {0};
	for (uint32_t i = 0; i < m->n; i++) {
		int k = flat_table(m->nodes[i], by_table, groups);
		if (k >= 0)
			count[k]++;
	}
	value graph = v_dict(a, ARRAY_LEN(flat_tables)), tab[ARRAY_LEN(flat_tables)];
	for (size_t k = 0; k < ARRAY_LEN(flat_tables); k++) {
		tab[k] = v_dict(a, count[k] > 8 ? count[k] : 8);
		vdict_sets(graph.dict, flat_tables[k], tab[k]);
	}
	for (uint32_t i = 0; i < m->n; i++) {
		const struct gnode *g = m->nodes[i];
		int k = flat_table(g, by_table, groups);
		if (k >= 0)
			vdict_set(tab[k].dict, v_cstr(g->unique_id), g->raw);
	}
	return graph;
}

void node_compiler_select(struct node_compiler *nc, struct gnode *const *nodes, size_t n)
{
	value l = v_list(&nc->a, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		vlist_push(l.list, v_cstr(nodes[i]->unique_id));
	nc->info.selected_resources = l;
}

void node_compiler_release(struct node_compiler *nc)
{
	map_release(&nc->by_name);
	map_release(&nc->ephemeral_sql);
	map_release(&nc->sources);
	if (nc->idle)
		vec_free(&nc->idle->ctes);
	free(nc->idle);
	adapter_free(nc->own_ad);
	arena_release(&nc->scratch);
	arena_release(&nc->a);
}

/* dbt's inject_ctes_into_sql: the CTEs (each " name as (\n...\n)", joined by ", ") go right
 * after the statement's WITH (or WITH RECURSIVE) followed by a comma; without one, "with" and
 * the CTEs are put before the first token (comments count as tokens, whitespace does not) and
 * a space separates them from it. After a WITH, ", " separates the CTEs from the statement's. Comments before the WITH do not hide it. */
static size_t skip_space(struct str s, size_t i)
{
	while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\n' || s.p[i] == '\t' || s.p[i] == '\r'))
		i++;
	return i;
}

static size_t skip_comment(struct str s, size_t i)
{
	if (i + 1 < s.n && s.p[i] == '-' && s.p[i + 1] == '-') {
		while (i < s.n && s.p[i] != '\n')
			i++;
		return i;
	}
	if (i + 1 < s.n && s.p[i] == '/' && s.p[i + 1] == '*') {
		const char *e = memmem(s.p + i + 2, s.n - i - 2, "*/", 2);
		return e ? (size_t)(e - s.p) + 2 : s.n;
	}
	return i;
}

static bool word_at(struct str s, size_t i, const char *w)
{
	size_t n = strlen(w);
	if (i + n > s.n || strncasecmp(s.p + i, w, n))
		return false;
	char c = i + n < s.n ? s.p[i + n] : ' ';
	return !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
}

static void inject_ctes(struct buf *out, const struct buf *ctes, struct str sql)
{
	size_t first = skip_space(sql, 0), i = first;
	for (;;) { /* past comments to the first real token */
		size_t j = skip_comment(sql, i);
		if (j == i)
			break;
		i = skip_space(sql, j);
	}
	if (word_at(sql, i, "with")) {
		size_t end = i + 4;
		size_t k = skip_space(sql, end);
		if (word_at(sql, k, "recursive"))
			end = k + 9;
		buf_append(out, sql.p, end);
		buf_putstr(out, buf_str(ctes));
		buf_puts(out, ", ");
		buf_append(out, sql.p + end, sql.n - end);
		return;
	}
	buf_append(out, sql.p, first);
	buf_puts(out, "with");
	buf_putstr(out, buf_str(ctes));
	buf_putc(out, ' ');
	buf_append(out, sql.p + first, sql.n - first);
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
			if (v.dict->k[i].type == VT_UNDEF)
				continue;
			value x;
			if (render_kwarg(nr, v.dict->v[i], false, &x) < 0)
				return -1;
			vdict_set(d.dict, v.dict->k[i], x);
		}
		*out = d;
		return 0;
	}
	if (v.type != VT_STR || column_name) {
		*out = v;
		return 0;
	}
	struct str s = v_as_str(v);
	/* the `model` argument parse gives every generic test: dbt's get_where_subquery returns
	 * the relation itself when the test has no `where` config, so only the ref()/source()
	 * inside is rendered (the macro and its dispatch cost more than the rest of the test) */
	static const char head[] = "{{ get_where_subquery(", tail[] = ") }}";
	struct str inner = {0};
	if (nr->nc->plain_where_subquery && str_starts_with(s, str_make(head, sizeof(head) - 1)) &&
	    str_ends_with(s, str_make(tail, sizeof(tail) - 1))) {
		inner = str_make(s.p + sizeof(head) - 1, s.n - (sizeof(head) - 1) - (sizeof(tail) - 1));
		value cfg = v_item(nr->r.node, "config");
		bool plain = (str_starts_with(inner, STR("ref('")) ||
		              str_starts_with(inner, STR("source('"))) &&
		             inner.n && inner.p[inner.n - 1] == ')' &&
		             memchr(inner.p, ')', inner.n) == inner.p + inner.n - 1 &&
		             !memchr(inner.p, '{', inner.n) && !memchr(inner.p, '}', inner.n) &&
		             !v_truthy(v_item(cfg, "where"));
		if (!plain)
			inner.p = NULL;
	}
	char *src = inner.p ? arena_printf(a, "{{ %.*s }}", (int)inner.n, inner.p)
	            : looks_like_call(s) ? arena_printf(a, "{{ %.*s }}", (int)s.n, s.p)
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
	nr->in_batch = nc->batch.node == g;
	if (nr->in_batch && g->raw.type == VT_DICT) { /* model.batch on a copy of the node */
		value copy = v_dict(a, g->raw.dict->n + 1);
		for (uint32_t i = 0; i < g->raw.dict->n; i++)
			if (g->raw.dict->k[i].type != VT_UNDEF)
				vdict_set(copy.dict, g->raw.dict->k[i], g->raw.dict->v[i]);
		vdict_sets(copy.dict, "batch", nc->batch.value);
		r->node = copy;
	}
	dbt_render_setup(r, a, &nr->opts);
	struct vdict *ctx = r->ctx.dict;
	if (nr->in_batch)
		vdict_sets(ctx, "__silt_microbatch_incremental", v_bool(nc->batch.incremental));
	vdict_sets(ctx, "schema", dget(g->raw, "schema"));
	vdict_sets(ctx, "database", dget(g->raw, "database"));
	value meta = dget(g->raw, "test_metadata");
	value kwargs = dget(meta, "kwargs");
	if (kwargs.type == VT_DICT) {
		value rendered = v_dict(a, kwargs.dict->n);
		for (uint32_t i = 0; i < kwargs.dict->n; i++) {
			value k = kwargs.dict->k[i], x;
			if (k.type == VT_UNDEF)
				continue;
			bool colname = k.type == VT_STR && str_eqc(v_as_str(k), "column_name");
			if (render_kwarg(nr, kwargs.dict->v[i], colname, &x) < 0) {
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

/* Renders g (its SQL before injection into pre) and appends the CTEs it needs to ctes, as dbt's
 * _recursively_prepend_ctes does: an ephemeral model's own CTEs first, then its own, each once. */
struct cte_list {
	VEC(struct gnode *) nodes;
	struct buf sql; /* " __dbt__cte__a as (\n...\n), __dbt__cte__b as (...)" */
};

static struct jinja_template *test_template(struct node_compiler *nc, value raw, const char *name,
                                           struct diag *d)
{
	for (uint32_t i = 0; i < nc->ntest_tpl && i < ARRAY_LEN(nc->test_tpl); i++)
		if (nc->test_tpl[i].src == raw.s && nc->test_tpl[i].len == raw.len &&
		    nc->test_tpl[i].name == name)
			return nc->test_tpl[i].t;
	struct jinja_template *t = jinja_parse_in(nc->r->env, &nc->a, name, raw.s, raw.len, d);
	if (t) {
		uint32_t k = nc->ntest_tpl++ % ARRAY_LEN(nc->test_tpl);
		nc->test_tpl[k].src = raw.s;
		nc->test_tpl[k].len = raw.len;
		nc->test_tpl[k].name = name;
		nc->test_tpl[k].t = t;
	}
	return t;
}

static int compile_pre(struct node_compiler *nc, struct gnode *g, struct buf *pre,
                       struct cte_list *ctes, struct diag *d, int depth)
{
	if (depth > 64) {
		diag_add(d, DIAG_ERROR, g->original_file_path, 0, 0, NULL, 0,
		         "ephemeral models nest too deeply");
		return -1;
	}
	value raw = dget(g->raw, "raw_code");
	buf_reset(pre);
	if (raw.type != VT_STR)
		return 0;
	/* the template lives in the render's scratch arena: kept in the environment, 10,000
	 * compiled models would stay in memory until the end; a generic test's is kept in nc->a,
	 * shared by the tests of its file with the same raw code (their raw_code strings are one) */
	/* the top node's scratch is the compiler's, reset after it (it settles on one chunk);
	 * an ephemeral model's, rendered meanwhile, is its own */
	struct arena own, *scratch = depth ? &own : &nc->scratch;
	if (depth)
		arena_init(&own);
	const char *name = g->original_file_path ? g->original_file_path : g->name;
	struct jinja_template *t = g->generic_test ? test_template(nc, raw, name, d)
	                                           : jinja_parse_in(nc->r->env, scratch, name, raw.s,
	                                                            raw.len, d);
	/* with a warehouse attached, render in the run's arena: statement results outlive this */
	struct node_render nr;
	if (!t || node_render_begin(nc, g, nc->rt ? nc->rt->a : scratch, &nr, d) < 0) {
		if (depth)
			arena_release(&own);
		else
			arena_reset(&nc->scratch);
		return -1;
	}
	nr.depth = depth;
	int rc = jinja_render(nc->r->env, t, &nr.opts, pre, d);
	for (size_t i = 0; i < nr.ctes.n && rc == 0; i++) {
		struct gnode *e = nr.ctes.v[i];
		bool seen = false;
		for (size_t k = 0; k < ctes->nodes.n && !seen; k++)
			seen = ctes->nodes.v[k] == e;
		if (seen)
			continue;
		struct buf inner = BUF_INIT;
		rc = compile_pre(nc, e, &inner, ctes, d, depth + 1);
		if (rc == 0) {
			if (ctes->nodes.n)
				buf_puts(&ctes->sql, ", ");
			buf_printf(&ctes->sql, " __dbt__cte__%s as (\n%s\n)", e->name, buf_cstr(&inner));
			vec_push(&ctes->nodes, e);
		}
		buf_release(&inner);
	}
	node_render_end(&nr);
	if (depth)
		arena_release(&own);
	else
		arena_reset(&nc->scratch);
	return rc;
}

static int compile_into(struct node_compiler *nc, struct gnode *g, struct buf *out, struct diag *d,
                        int depth)
{
	struct cte_list ctes = { { 0 }, BUF_INIT };
	struct buf pre = BUF_INIT;
	int rc = compile_pre(nc, g, &pre, &ctes, d, depth);
	buf_reset(out);
	if (rc == 0 && ctes.nodes.n)
		inject_ctes(out, &ctes.sql, buf_str(&pre));
	else if (rc == 0)
		buf_putstr(out, buf_str(&pre));
	vec_free(&ctes.nodes);
	buf_release(&ctes.sql);
	buf_release(&pre);
	return rc;
}

int node_compile(struct node_compiler *nc, struct gnode *g, struct buf *out, struct diag *d)
{
	return compile_into(nc, g, out, d, 0);
}
