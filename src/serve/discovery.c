/* The discovery API: what an environment has, read from its definition state (the manifest of
 * the run that last set it, loaded once into a linked graph and kept until the environment's
 * definition state changes) and its applied state (each node's last attempt and last success,
 * read from the store on every request). Lineage takes silt's selector syntax. Only the
 * environment's own non-CI runs feed it. */
#include <pthread.h>
#include <time.h>

#include "serve_int.h"
#include "graph/graph.h"
#include "json/json.h"

/* The execution state of an environment's nodes (unique_id -> struct store_exec *), kept while
 * the applied state's version (store_exec_version) stays the same. */
struct xsnap {
	int refs;
	char *version;
	struct arena a;
	struct map by_id;
};

/* An environment's loaded definition state, shared by the requests that use it. */
struct dstate {
	int64_t env_id, def_run;
	char *generated_at;
	struct arena a;
	struct gmanifest *m;
	struct xsnap *x; /* the newest execution state read, or NULL */
	int refs;        /* requests using it, +1 while it is the cached one */
	struct dstate *next;
};

static void xsnap_unref_locked(struct xsnap *x)
{
	if (!x || --x->refs > 0)
		return;
	map_release(&x->by_id);
	arena_release(&x->a);
	free(x->version);
	free(x);
}

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct dstate *cache;

static void dstate_unref_locked(struct dstate *ds)
{
	if (--ds->refs > 0)
		return;
	xsnap_unref_locked(ds->x);
	gmanifest_free(ds->m);
	arena_release(&ds->a);
	free(ds->generated_at);
	free(ds);
}

static void dstate_release(struct dstate *ds)
{
	if (!ds)
		return;
	pthread_mutex_lock(&cache_mu);
	dstate_unref_locked(ds);
	pthread_mutex_unlock(&cache_mu);
}

/* The manifest of run_id: the run's own artifact, else its last step's. */
static int load_manifest(struct req *r, int64_t run_id, struct dstate *ds, struct diag *d)
{
	struct store_artifact *arts, art;
	size_t n;
	if (store_artifact_list(r->store, run_id, false, &r->a, &arts, &n, d) < 0)
		return -1;
	int64_t step = -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(arts[i].path, "manifest.json") && arts[i].step_id >= step)
			step = arts[i].step_id;
	if (step < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "run %lld kept no manifest.json",
		         (long long)run_id);
		return -1;
	}
	if (store_artifact_get(r->store, run_id, step, "manifest.json", &r->a, &art, d) != 1)
		return -1;
	return graph_load_manifest_json(&ds->a, "manifest.json", art.content, art.len, &ds->m, d);
}

/* The environment's definition state, loaded or reused; NULL after a reply. */
static struct dstate *dstate_get(struct req *r, const struct store_env *e)
{
	struct diag d;
	diag_init(&d);
	int64_t run;
	const char *gen;
	if (reply_failed(r, store_defs_source(r->store, e->id, &r->a, &run, &gen, &d), &d))
		return NULL;
	if (!gen) {
		reply_error(r, 404, "not_found",
		            "environment '%s' has no definition state yet (no run has been recorded in it)",
		            e->name);
		return NULL;
	}
	pthread_mutex_lock(&cache_mu);
	struct dstate **pp = &cache, *ds = NULL;
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->env_id == e->id)
			break;
	if (*pp && (*pp)->def_run == run && !strcmp((*pp)->generated_at, gen)) {
		ds = *pp;
		ds->refs++;
		pthread_mutex_unlock(&cache_mu);
		return ds;
	}
	if (*pp) { /* stale: drop it from the cache (requests using it keep it alive) */
		struct dstate *old = *pp;
		*pp = old->next;
		dstate_unref_locked(old);
	}
	ds = xcalloc(1, sizeof(*ds));
	ds->env_id = e->id;
	ds->def_run = run;
	ds->generated_at = xstrdup(gen);
	arena_init(&ds->a);
	diag_init(&d);
	if (load_manifest(r, run, ds, &d) < 0) {
		pthread_mutex_unlock(&cache_mu);
		ds->refs = 1;
		dstate_release(ds);
		reply_diag(r, &d);
		diag_release(&d);
		return NULL;
	}
	diag_release(&d);
	ds->refs = 2; /* the cache's and this request's */
	ds->next = cache;
	cache = ds;
	pthread_mutex_unlock(&cache_mu);
	return ds;
}

static bool load_env(struct req *r, struct store_env *e)
{
	struct diag d;
	diag_init(&d);
	return !reply_failed(r, store_env_get(r->store, req_param(r, "env"), &r->a, e, &d), &d);
}

/* ---- JSON shapes ---- */

static value str_or_none(const char *s) { return s ? v_cstr(s) : v_none(); }

static value raw_get(const struct gnode *g, const char *key)
{
	value v = v_item(g->raw, key);
	return v.type == VT_UNDEF ? v_none() : v;
}

static value exec_json(struct arena *a, const struct store_exec *x)
{
	if (!x)
		return v_none();
	value v = v_dict(a, 9);
	vdict_sets(v.dict, "last_run_id", x->last_run_id ? v_int(x->last_run_id) : v_none());
	vdict_sets(v.dict, "last_status", str_or_none(x->last_status));
	vdict_sets(v.dict, "last_run_at", str_or_none(x->last_at));
	vdict_sets(v.dict, "last_success_run_id", x->success_run_id ? v_int(x->success_run_id) : v_none());
	vdict_sets(v.dict, "last_success_at", str_or_none(x->success_at));
	vdict_sets(v.dict, "job_id", x->job_id ? v_int(x->job_id) : v_none());
	vdict_sets(v.dict, "job", str_or_none(x->job_name));
	vdict_sets(v.dict, "error", x->last_status && strcmp(x->last_status, "success") &&
	                                    strcmp(x->last_status, "pass")
	                                ? str_or_none(x->last_message)
	                                : v_none());
	return v;
}

/* The layer of a model: the folder under models/ (staging, intermediate, marts, ...). */
static const char *layer_of(const struct gnode *g)
{
	return g->type == GT_MODEL && g->nfqn > 2 ? g->fqn[1] : NULL;
}

static value node_json(struct arena *a, const struct gnode *g, const struct store_exec *x)
{
	value v = v_dict(a, 16), tags = v_list(a, g->ntags);
	for (uint32_t i = 0; i < g->ntags; i++)
		vlist_push(tags.list, v_cstr(g->tags[i]));
	vdict_sets(v.dict, "unique_id", v_cstr(g->unique_id));
	vdict_sets(v.dict, "name", v_cstr(g->name ? g->name : ""));
	vdict_sets(v.dict, "resource_type", v_cstr(graph_type_name((enum gtype)g->type)));
	vdict_sets(v.dict, "package", str_or_none(g->package));
	vdict_sets(v.dict, "path", str_or_none(g->original_file_path));
	vdict_sets(v.dict, "layer", str_or_none(layer_of(g)));
	vdict_sets(v.dict, "tags", tags);
	vdict_sets(v.dict, "materialized", g->config.type == VT_DICT ? v_item(g->config, "materialized").type == VT_STR ? v_item(g->config, "materialized") : v_none() : v_none());
	vdict_sets(v.dict, "database", raw_get(g, "database"));
	vdict_sets(v.dict, "schema", raw_get(g, "schema"));
	vdict_sets(v.dict, "relation_name", raw_get(g, "relation_name"));
	vdict_sets(v.dict, "description", raw_get(g, "description"));
	vdict_sets(v.dict, "execution", exec_json(a, x));
	return v;
}

/* ---- execution state ---- */

static int keep_exec(void *ud, const struct store_exec *e)
{
	struct xsnap *x = ud;
	struct store_exec *c = arena_alloc(&x->a, sizeof(*c));
	*c = *e;
	c->unique_id = arena_strndup(&x->a, e->unique_id, strlen(e->unique_id));
#define DUP(f) c->f = e->f ? arena_strndup(&x->a, e->f, strlen(e->f)) : NULL
	DUP(last_status);
	DUP(last_at);
	DUP(last_message);
	DUP(success_at);
	DUP(job_name);
#undef DUP
	map_set(&x->by_id, str_from(c->unique_id), c);
	return 0;
}

/* The environment's execution state, read again only when it changed; NULL after a reply.
 * Release with xsnap_release. */
static struct xsnap *execs_get(struct req *r, struct dstate *ds)
{
	const char *version;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_exec_version(r->store, ds->env_id, &r->a, &version, &d), &d))
		return NULL;
	pthread_mutex_lock(&cache_mu);
	struct xsnap *x = ds->x;
	if (x && version && !strcmp(x->version, version)) {
		x->refs++;
		pthread_mutex_unlock(&cache_mu);
		return x;
	}
	x = xcalloc(1, sizeof(*x));
	x->version = xstrdup(version ? version : "");
	arena_init(&x->a);
	map_init(&x->by_id);
	diag_init(&d);
	if (store_exec_each(r->store, ds->env_id, keep_exec, x, &d) < 0) {
		x->refs = 1;
		xsnap_unref_locked(x);
		pthread_mutex_unlock(&cache_mu);
		reply_failed(r, -1, &d);
		return NULL;
	}
	diag_release(&d);
	xsnap_unref_locked(ds->x); /* requests still using the old one keep it */
	x->refs = 2;              /* the dstate's and this request's */
	ds->x = x;
	pthread_mutex_unlock(&cache_mu);
	return x;
}

static void xsnap_release(struct xsnap *x)
{
	pthread_mutex_lock(&cache_mu);
	xsnap_unref_locked(x);
	pthread_mutex_unlock(&cache_mu);
}

/* ---- handlers ---- */

static bool has_tag(const struct gnode *g, const char *tag)
{
	for (uint32_t i = 0; i < g->ntags; i++)
		if (!strcmp(g->tags[i], tag))
			return true;
	return false;
}

static bool in_list(const char *list, const char *s)
{
	size_t n = strlen(s);
	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && !strncmp(p, s, n))
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

static bool selected(struct req *r, const struct gmanifest *m, const char *select,
                     struct gselection *sel)
{
	struct gselect_opts o = { 0 };
	const char *one[1] = { select };
	o.select = one;
	o.nselect = 1;
	const char *exclude = req_query(r, "exclude");
	const char *ex[1] = { exclude };
	if (exclude) {
		o.exclude = ex;
		o.nexclude = 1;
	}
	o.indirect = GI_EAGER;
	struct diag d;
	diag_init(&d);
	int rc = graph_select(&r->a, m, &o, sel, &d);
	if (rc < 0) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < d.msgs.n; i++)
			if (d.msgs.v[i].level == DIAG_ERROR) {
				diag_format_msg(&d.msgs.v[i], &b);
				break;
			}
		reply_error(r, 400, "bad_selector", "%s", b.n ? buf_cstr(&b) : "a bad selector");
		buf_release(&b);
	}
	diag_release(&d);
	return rc == 0;
}

/* ---- search: names, descriptions, tags, columns and SQL ---- */

enum { SIN_NAME = 1, SIN_DESCRIPTION = 2, SIN_TAGS = 4, SIN_COLUMNS = 8, SIN_SQL = 16 };
static const char *const search_field_names[] = { "name", "description", "tags", "columns", "sql" };

/* search_in= (a comma list of the names above; all by default); false after a 400. */
static bool search_fields(struct req *r, unsigned *out)
{
	const char *in = req_query(r, "search_in");
	*out = 0;
	for (const char *p = in; p && *p;) {
		size_t k = strcspn(p, ","), i = 0;
		while (i < 5 && (strlen(search_field_names[i]) != k || strncmp(p, search_field_names[i], k)))
			i++;
		if (i == 5) {
			reply_error(r, 400, "bad_search_in",
			            "search_in '%.*s' is not one of name, description, tags, columns, sql",
			            (int)k, p);
			return false;
		}
		*out |= 1u << i;
		p += k + (p[k] == ',');
	}
	if (!*out)
		*out = SIN_NAME | SIN_DESCRIPTION | SIN_TAGS | SIN_COLUMNS | SIN_SQL;
	return true;
}

/* Where a search matched, for the reply: "name", "description", "tag:T", "column:C" and
 * "sql:<the line>", each once. */
struct search_why {
	struct arena *a;
	value list;
};

static bool why_add(struct search_why *w, const char *kind, const char *what, size_t n)
{
	if (!w)
		return true;
	vlist_push(w->list.list, what ? v_cstr(arena_printf(w->a, "%s:%.*s", kind, (int)n, what))
	                              : v_cstr(kind));
	return true;
}

/* The line of text holding the match at p, at most 160 bytes around it. */
static void line_at(const char *text, const char *p, const char **from, size_t *n)
{
	const char *b = p, *e = p;
	while (b > text && b[-1] != '\n' && p - b < 80)
		b--;
	while (*e && *e != '\n' && e - p < 80)
		e++;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	*from = b;
	*n = (size_t)(e - b);
}

/* Whether g matches `search` in the fields of `in`; with why, every place it matched. */
static bool search_hit(const struct gnode *g, const char *search, unsigned in,
                       struct search_why *why)
{
	bool hit = false;
	if ((in & SIN_NAME) && ((g->name && strcasestr(g->name, search)) || strcasestr(g->unique_id, search))) {
		hit = why_add(why, "name", NULL, 0);
		if (!why)
			return true;
	}
	value desc = raw_get(g, "description");
	if ((in & SIN_DESCRIPTION) && desc.type == VT_STR && strcasestr(desc.s, search)) {
		hit = why_add(why, "description", NULL, 0);
		if (!why)
			return true;
	}
	for (uint32_t i = 0; (in & SIN_TAGS) && i < g->ntags; i++)
		if (strcasestr(g->tags[i], search)) {
			hit = why_add(why, "tag", g->tags[i], strlen(g->tags[i]));
			if (!why)
				return true;
		}
	value cols = raw_get(g, "columns");
	for (uint32_t i = 0; (in & SIN_COLUMNS) && cols.type == VT_DICT && i < cols.dict->n; i++) {
		const struct ventry e_at = vdict_at(cols.dict, i), *e = &e_at;
		if (e->k.type != VT_STR)
			continue;
		value cd = e->v.type == VT_DICT ? v_item(e->v, "description") : v_undef();
		if (strcasestr(e->k.s, search) || (cd.type == VT_STR && strcasestr(cd.s, search))) {
			hit = why_add(why, "column", e->k.s, strlen(e->k.s));
			if (!why)
				return true;
		}
	}
	value sql = raw_get(g, "raw_code");
	if (sql.type != VT_STR && g->type == GT_MACRO)
		sql = raw_get(g, "macro_sql");
	const char *at;
	if ((in & SIN_SQL) && sql.type == VT_STR && (at = strcasestr(sql.s, search))) {
		const char *from;
		size_t n;
		line_at(sql.s, at, &from, &n);
		hit = why_add(why, "sql", from, n);
	}
	return hit;
}

void serve_env_nodes(struct req *r)
{
	struct store_env e;
	int64_t limit;
	if (!load_env(r, &e) || !req_int(r, "limit", 1, SERVE_PAGE_MAX, SERVE_PAGE_DEFAULT, &limit))
		return;
	struct dstate *ds = dstate_get(r, &e);
	if (!ds)
		return;
	struct xsnap *x = execs_get(r, ds);
	if (!x) {
		dstate_release(ds);
		return;
	}
	const char *type = req_query(r, "resource_type"), *tag = req_query(r, "tag"),
	           *pkg = req_query(r, "package"), *schema = req_query(r, "schema"),
	           *status = req_query(r, "status"), *ids = req_query(r, "unique_id"),
	           *search = req_query(r, "search"), *layer = req_query(r, "layer"),
	           *select = req_query(r, "select"), *cursor = req_query(r, "cursor");
	struct gselection sel = { 0 };
	const struct gmanifest *m = ds->m;
	unsigned search_in = 0;
	if (search && !search_fields(r, &search_in))
		goto out;
	if (select && !selected(r, m, select, &sel))
		goto out;
	/* the matches in unique_id order; JSON only for the page's */
	const struct gnode **hits = arena_alloc(&r->a, (m->n + 1) * sizeof(*hits));
	uint32_t nhits = 0, start = 0;
	for (uint32_t k = 0; k < m->n; k++) {
		const struct gnode *g = m->nodes[m->by_id[k]];
		if (select && !(sel.bits[g->idx / 64] >> (g->idx % 64) & 1))
			continue;
		if (type && !in_list(type, graph_type_name((enum gtype)g->type)))
			continue;
		if ((tag && !has_tag(g, tag)) || (pkg && (!g->package || strcmp(pkg, g->package))) ||
		    (ids && !in_list(ids, g->unique_id)))
			continue;
		if (layer && (!layer_of(g) || strcmp(layer, layer_of(g))))
			continue;
		value sc = raw_get(g, "schema");
		if (schema && (sc.type != VT_STR || strcmp(sc.s, schema)))
			continue;
		if (search && !search_hit(g, search, search_in, NULL))
			continue;
		const struct store_exec *xe = map_get(&x->by_id, str_from(g->unique_id));
		if (status && (!xe || !xe->last_status || strcmp(xe->last_status, status)))
			continue;
		if (cursor && !strcmp(cursor, g->unique_id))
			start = nhits + 1;
		hits[nhits++] = g;
	}
	if (cursor && !start) {
		reply_error(r, 400, "bad_cursor",
		            "cursor '%s' is not one this list gave (it may have been deleted)", cursor);
		goto out;
	}
	uint32_t end = nhits - start > (uint32_t)limit ? start + (uint32_t)limit : nhits;
	value page = v_list(&r->a, end - start), top = v_dict(&r->a, 3);
	for (uint32_t i = start; i < end; i++) {
		value v = node_json(&r->a, hits[i], map_get(&x->by_id, str_from(hits[i]->unique_id)));
		if (search) {
			struct search_why why = { &r->a, v_list(&r->a, 4) };
			search_hit(hits[i], search, search_in, &why);
			vdict_sets(v.dict, "matched", why.list);
		}
		vlist_push(page.list, v);
	}
	vdict_sets(top.dict, "data", page);
	vdict_sets(top.dict, "next_cursor", end < nhits ? v_cstr(hits[end - 1]->unique_id) : v_none());
	vdict_sets(top.dict, "total", v_int(nhits));
	reply_json(r, 200, top);
out:
	xsnap_release(x);
	dstate_release(ds);
}

static const struct gnode *find_node(struct req *r, const struct dstate *ds)
{
	const char *id = req_param(r, "unique_id");
	const struct gnode *g = graph_find(ds->m, str_from(id));
	if (!g)
		reply_error(r, 404, "not_found", "the environment's definition state has no node '%s'", id);
	return g;
}

static value ids_of(struct arena *a, const struct gmanifest *m, const uint32_t *v, uint32_t n)
{
	value l = v_list(a, n);
	for (uint32_t i = 0; i < n; i++)
		vlist_push(l.list, v_cstr(m->nodes[v[i]]->unique_id));
	return l;
}

void serve_env_node(struct req *r)
{
	struct store_env e;
	if (!load_env(r, &e))
		return;
	struct dstate *ds = dstate_get(r, &e);
	if (!ds)
		return;
	const struct gnode *g = find_node(r, ds);
	if (g) {
		struct store_node_applied ap;
		struct diag d;
		diag_init(&d);
		int rc = store_applied_get(r->store, e.id, g->unique_id, &r->a, &ap, &d);
		if (rc < 0) {
			reply_failed(r, rc, &d);
		} else {
			diag_release(&d);
			struct store_exec xe = { g->unique_id, ap.last_run_id, ap.last_status, ap.last_at,
				                 ap.last_message, ap.success_run_id, ap.success_at, 0, NULL };
			value v = node_json(&r->a, g, rc == 1 ? &xe : NULL);
			vdict_sets(v.dict, "parents", ids_of(&r->a, ds->m, g->parents, g->nparents));
			vdict_sets(v.dict, "children", ids_of(&r->a, ds->m, g->children, g->nchildren));
			if (rc == 1) {
				value rel = v_dict(&r->a, 3);
				vdict_sets(rel.dict, "database", str_or_none(ap.database));
				vdict_sets(rel.dict, "schema", str_or_none(ap.schema));
				vdict_sets(rel.dict, "identifier", str_or_none(ap.identifier));
				vdict_sets(v.dict, "applied_relation", ap.identifier ? rel : v_none());
				vdict_sets(v.dict, "applied_checksum", str_or_none(ap.checksum));
			}
			vdict_sets(v.dict, "definition", g->raw);
			reply_json(r, 200, v);
		}
	}
	dstate_release(ds);
}

static value exec_row(struct arena *a, const struct store_env_exec *h)
{
	value v = v_dict(a, 9);
	vdict_sets(v.dict, "run_id", v_int(h->run_id));
	vdict_sets(v.dict, "job_id", h->job_id ? v_int(h->job_id) : v_none());
	vdict_sets(v.dict, "job", str_or_none(h->job_name));
	vdict_sets(v.dict, "unique_id", str_or_none(h->unique_id));
	vdict_sets(v.dict, "status", str_or_none(h->status));
	vdict_sets(v.dict, "started_at", str_or_none(h->started_at));
	vdict_sets(v.dict, "completed_at", str_or_none(h->completed_at));
	vdict_sets(v.dict, "execution_time", v_float(h->execution_time));
	vdict_sets(v.dict, "message", str_or_none(h->message));
	return v;
}

void serve_env_node_history(struct req *r)
{
	struct store_env e;
	int64_t limit;
	if (!load_env(r, &e) || !req_int(r, "limit", 1, SERVE_PAGE_MAX, SERVE_PAGE_DEFAULT, &limit))
		return;
	struct store_env_exec *h;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_env_history(r->store, e.id, req_param(r, "unique_id"), (int)limit,
	                                      &r->a, &h, &n, &d),
	                 &d))
		return;
	value items = v_list(&r->a, (uint32_t)n), top = v_dict(&r->a, 1);
	for (size_t i = 0; i < n; i++)
		vlist_push(items.list, exec_row(&r->a, &h[i]));
	vdict_sets(top.dict, "data", items);
	reply_json(r, 200, top);
}

void serve_env_changes(struct req *r)
{
	struct store_env e;
	int64_t days;
	if (!load_env(r, &e) || !req_int(r, "days", 1, 366, 7, &days))
		return;
	time_t since = time(NULL) - (time_t)days * 86400;
	struct tm tm;
	gmtime_r(&since, &tm);
	char cut[32];
	strftime(cut, sizeof(cut), "%Y-%m-%dT%H:%M:%S", &tm);
	struct store_env_exec *h;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_env_history(r->store, e.id, NULL, 100000, &r->a, &h, &n, &d), &d))
		return;
	/* the newest successful execution of each node deployed since the cut */
	struct map seen;
	map_init(&seen);
	value items = v_list(&r->a, 16), top = v_dict(&r->a, 3);
	for (size_t i = 0; i < n; i++) {
		if (!h[i].completed_at || strcmp(h[i].completed_at, cut) < 0)
			continue;
		if (map_get(&seen, str_from(h[i].unique_id)))
			continue;
		map_set(&seen, str_from(h[i].unique_id), (void *)1);
		vlist_push(items.list, exec_row(&r->a, &h[i]));
	}
	map_release(&seen);
	vdict_sets(top.dict, "since", v_cstr(arena_printf(&r->a, "%sZ", cut)));
	vdict_sets(top.dict, "data", items);
	reply_json(r, 200, top);
}

/* The neighbourhood of a focus node as a selection: its ancestors (dir "upstream"), descendants
 * ("downstream") or both, up to `depth` steps, walked level by level (nearest first, tests only
 * with `tests`). When that is more than `max` nodes the depth is lowered (not below 1), then the
 * walk's first `max` are kept; *used_depth and *total (before the cut) say what was done. */
static void focus_select(struct arena *a, const struct gmanifest *m, const struct gnode *focus,
                         const char *dir, int64_t depth, int64_t max, bool tests,
                         struct gselection *sel, int64_t *used_depth, uint32_t *total)
{
	bool up = strcmp(dir, "downstream") != 0, down = strcmp(dir, "upstream") != 0;
	uint8_t *seen = arena_alloc(a, m->n + 1); /* 0 = not reached, else 1 + level */
	memset(seen, 0, m->n + 1);
	uint32_t *order = arena_alloc(a, (m->n + 1) * sizeof(*order)), n = 0;
	uint32_t *fu = arena_alloc(a, (m->n + 1) * sizeof(*fu)), *fd = arena_alloc(a, (m->n + 1) * sizeof(*fd));
	uint32_t *next = arena_alloc(a, (m->n + 1) * sizeof(*next));
	uint32_t nfu = 0, nfd = 0;
	int64_t per_level[256] = { 0 };
	seen[focus->idx] = 1;
	order[n++] = focus->idx;
	per_level[0] = 1;
	fu[nfu++] = focus->idx;
	fd[nfd++] = focus->idx;
	if (depth > 250)
		depth = 250;
	for (int64_t lv = 1; lv <= depth && (nfu || nfd); lv++) {
		for (int side = 0; side < 2; side++) {
			if ((side == 0 && !up) || (side == 1 && !down))
				continue;
			uint32_t *f = side == 0 ? fu : fd, nf = side == 0 ? nfu : nfd, nn = 0;
			for (uint32_t i = 0; i < nf; i++) {
				const struct gnode *g = m->nodes[f[i]];
				const uint32_t *adj = side == 0 ? g->parents : g->children;
				uint32_t nadj = side == 0 ? g->nparents : g->nchildren;
				for (uint32_t j = 0; j < nadj; j++) {
					uint32_t k = adj[j];
					if (seen[k] || (m->nodes[k]->type == GT_TEST && !tests))
						continue;
					seen[k] = (uint8_t)(lv + 1);
					order[n++] = k;
					next[nn++] = k;
					per_level[lv]++;
				}
			}
			memcpy(f, next, nn * sizeof(*next));
			if (side == 0)
				nfu = nn;
			else
				nfd = nn;
		}
	}
	int64_t d = depth, within = 0;
	for (int64_t lv = 0; lv <= depth; lv++)
		within += per_level[lv];
	while (within > max && d > 1)
		within -= per_level[d--];
	*used_depth = d;
	*total = (uint32_t)within;
	sel->bits = arena_alloc(a, (m->n / 64 + 1) * sizeof(uint64_t));
	memset(sel->bits, 0, (m->n / 64 + 1) * sizeof(uint64_t));
	sel->n = 0;
	for (uint32_t i = 0; i < n && (int64_t)sel->n < max; i++)
		if (seen[order[i]] - 1 <= d) {
			sel->bits[order[i] / 64] |= 1ull << (order[i] % 64);
			sel->n++;
		}
}

void serve_env_lineage(struct req *r)
{
	struct store_env e;
	int64_t depth, max;
	if (!load_env(r, &e) || !req_int(r, "depth", 1, 20, 2, &depth) ||
	    !req_int(r, "max", 1, 100000, 400, &max))
		return;
	const char *fid = req_query(r, "focus"), *dir = req_query(r, "dir");
	if (dir && strcmp(dir, "both") && strcmp(dir, "upstream") && strcmp(dir, "downstream")) {
		reply_error(r, 400, "bad_dir", "dir '%s' is not both, upstream or downstream", dir);
		return;
	}
	struct dstate *ds = dstate_get(r, &e);
	if (!ds)
		return;
	const char *select = req_query(r, "select");
	struct gselection sel = { 0 };
	const struct gmanifest *m = ds->m;
	if (fid && select) {
		reply_error(r, 400, "bad_request", "give select or focus, not both");
		dstate_release(ds);
		return;
	}
	int64_t used_depth = 0;
	uint32_t total = 0;
	if (fid) {
		const struct gnode *f = graph_find(m, str_from(fid));
		if (!f) {
			reply_error(r, 404, "not_found", "the environment's definition state has no node '%s'", fid);
			dstate_release(ds);
			return;
		}
		focus_select(&r->a, m, f, dir ? dir : "both", depth, max, req_query(r, "tests") != NULL,
		             &sel, &used_depth, &total);
		select = fid; /* filter by sel below */
	}
	if (select && !fid && !selected(r, m, select, &sel)) {
		dstate_release(ds);
		return;
	}
	struct xsnap *x = execs_get(r, ds);
	if (!x) {
		dstate_release(ds);
		return;
	}
	value nodes = v_list(&r->a, select ? sel.n : m->n), edges = v_list(&r->a, 16),
	      top = v_dict(&r->a, 3);
	for (uint32_t k = 0; k < m->n; k++) {
		const struct gnode *g = m->nodes[m->topo[k]];
		if (select && !(sel.bits[g->idx / 64] >> (g->idx % 64) & 1))
			continue;
		if (g->type == GT_TEST && !req_query(r, "tests"))
			continue;
		const struct store_exec *xe = map_get(&x->by_id, str_from(g->unique_id));
		value v = v_dict(&r->a, 5);
		vdict_sets(v.dict, "unique_id", v_cstr(g->unique_id));
		vdict_sets(v.dict, "name", v_cstr(g->name ? g->name : ""));
		vdict_sets(v.dict, "resource_type", v_cstr(graph_type_name((enum gtype)g->type)));
		vdict_sets(v.dict, "status", xe ? str_or_none(xe->last_status) : v_none());
		vdict_sets(v.dict, "layer", str_or_none(layer_of(g)));
		vlist_push(nodes.list, v);
		for (uint32_t i = 0; i < g->nparents; i++) {
			const struct gnode *p = m->nodes[g->parents[i]];
			if (select && !(sel.bits[p->idx / 64] >> (p->idx % 64) & 1))
				continue;
			if (p->type == GT_TEST && !req_query(r, "tests"))
				continue;
			value edge = v_list(&r->a, 2);
			vlist_push(edge.list, v_cstr(p->unique_id));
			vlist_push(edge.list, v_cstr(g->unique_id));
			vlist_push(edges.list, edge);
		}
	}
	vdict_sets(top.dict, "nodes", nodes);
	vdict_sets(top.dict, "edges", edges);
	vdict_sets(top.dict, "generated_at", v_cstr(ds->generated_at));
	if (fid) {
		value fv = v_dict(&r->a, 3);
		vdict_sets(fv.dict, "unique_id", v_cstr(fid));
		vdict_sets(fv.dict, "depth", v_int(used_depth));
		vdict_sets(fv.dict, "total", v_int(total));
		vdict_sets(top.dict, "focus", fv);
	}
	reply_json_compact(r, 200, top);
	xsnap_release(x);
	dstate_release(ds);
}

void serve_env_state(struct req *r)
{
	struct store_env e;
	if (!load_env(r, &e))
		return;
	struct dstate *ds = dstate_get(r, &e);
	if (!ds)
		return;
	value counts = v_dict(&r->a, 8), top = v_dict(&r->a, 5);
	for (uint32_t k = 0; k < ds->m->n; k++) {
		value key = v_cstr(graph_type_name((enum gtype)ds->m->nodes[k]->type)), c;
		vdict_set(counts.dict, key, v_int(vdict_get(counts.dict, key, &c) ? c.i + 1 : 1));
	}
	vdict_sets(top.dict, "environment", v_cstr(e.name));
	vdict_sets(top.dict, "type", v_cstr(store_env_type_name(e.type)));
	vdict_sets(top.dict, "definition_run_id", ds->def_run ? v_int(ds->def_run) : v_none());
	vdict_sets(top.dict, "generated_at", v_cstr(ds->generated_at));
	vdict_sets(top.dict, "counts", counts);
	reply_json(r, 200, top);
	dstate_release(ds);
}

void serve_discovery_release(void)
{
	pthread_mutex_lock(&cache_mu);
	while (cache) {
		struct dstate *ds = cache;
		cache = ds->next;
		dstate_unref_locked(ds);
	}
	pthread_mutex_unlock(&cache_mu);
}

/* ---- compare: how an environment (or a pull request's CI run) differs from another ----
 *
 * The head is a manifest: the run's given by `run`, else the newest CI run of `pr`, else the
 * environment's definition state, else (an environment only CI runs use) its newest CI run.
 * The base (`base`, default the production environment) is what that environment really has,
 * as --state-env reads it: each node's digest from its last success, or from the definition
 * state for a node never built; the nodes it has are those of its definition state. A node is
 * new (not in the base), removed (in the base only), or modified: its digest differs
 * (gstate_node_digest of the head's node, as ingestion computes the stored ones), or a macro it
 * depends on (directly or through other macros) differs, was added or removed. */

struct cmp_base {
	struct arena *a;
	struct map dig;    /* unique_id -> 32-byte digest, or (void *)1 when it has none */
	struct map macros; /* unique_id -> macro_sql */
	struct store *store;
	struct diag *d;
};

static const unsigned char *digest_of_dict(struct arena *a, const char *uid, int type, int table,
                                           value dict)
{
	if (type < 0 || type == GT_MACRO || type == GT_DOC || type == GT_GROUP || dict.type != VT_DICT)
		return NULL;
	struct gstate *s = gstate_new();
	struct gstate_node *n = gstate_add(s, uid, (enum gtable)table, (enum gtype)type);
	gstate_node_from_dict(s, n, dict);
	unsigned char dg[32], *out = NULL;
	if (gstate_node_digest(n, dg)) {
		out = arena_alloc(a, 32);
		memcpy(out, dg, 32);
	}
	gstate_free(s);
	return out;
}

static int type_of_name(const char *rtype)
{
	int t = rtype ? graph_type_parse(str_from(rtype)) : -1;
	return t < 0 && rtype && !strcmp(rtype, "data_test") ? GT_TEST : t;
}

/* A stored row without a digest (written before digests, or kept inline): from its JSON. */
static const unsigned char *digest_of_stored(struct cmp_base *b, const char *uid,
                                             const char *rtype, int64_t blob_id,
                                             const char *inline_json)
{
	const char *json = inline_json;
	size_t len = json ? strlen(json) : 0;
	if (!json && blob_id && store_blob_get(b->store, blob_id, b->a, &json, &len, b->d) < 0)
		return NULL;
	value dict;
	if (!json || json_parse(b->a, uid, json, len, &dict, b->d) < 0)
		return NULL;
	int t = type_of_name(rtype);
	return digest_of_dict(b->a, uid, t, graph_table_of((enum gtype)t), dict);
}

static void keep_digest(struct cmp_base *b, const char *uid, const unsigned char *dg)
{
	const char *k = arena_strndup(b->a, uid, strlen(uid));
	unsigned char *v = NULL;
	if (dg) {
		v = arena_alloc(b->a, 32);
		memcpy(v, dg, 32);
	}
	map_set(&b->dig, str_from(k), v ? (void *)v : (void *)1);
}

static int cmp_applied(void *ud, const struct store_node_applied *x)
{
	struct cmp_base *b = ud;
	if (!x->success_run_id)
		return 0; /* never built: its definition speaks for it */
	const unsigned char *dg = x->info.digest;
	if (!dg)
		dg = digest_of_stored(b, x->unique_id, x->resource_type, x->blob_id, x->node);
	keep_digest(b, x->unique_id, dg);
	return 0;
}

static bool cmp_want(void *ud, const char *uid, const char *rtype)
{
	(void)ud, (void)uid, (void)rtype;
	return true;
}

static int cmp_def(void *ud, const struct store_node_ref *x)
{
	struct cmp_base *b = ud;
	if (x->resource_type && !strcmp(x->resource_type, "macro")) {
		map_set(&b->macros, str_from(arena_strndup(b->a, x->unique_id, strlen(x->unique_id))),
		        (void *)arena_strndup(b->a, x->info.macro_sql ? x->info.macro_sql : "",
		                              x->info.macro_sql ? strlen(x->info.macro_sql) : 0));
		return 0;
	}
	const unsigned char *dg = x->info.digest;
	if (!dg)
		dg = digest_of_stored(b, x->unique_id, x->resource_type, x->blob_id, x->node);
	keep_digest(b, x->unique_id, dg);
	return 0;
}

static const char *macro_sql_of(const struct gmacro *mc)
{
	value v = mc->raw.type == VT_DICT ? v_item(mc->raw, "macro_sql") : v_undef();
	return v.type == VT_STR ? v.s : "";
}

/* The head's macros that differ from the base's (or are new), closed over the macros that
 * call them; NULL when the base has no macros to compare with (an ingestion that kept none). */
static struct map *changed_macros(struct arena *a, const struct gmanifest *m,
                                  const struct cmp_base *b, struct map *out)
{
	(void)a;
	if (!b->macros.live)
		return NULL;
	map_init(out);
	for (uint32_t i = 0; i < m->nmacros; i++) {
		const char *was = map_get(&b->macros, str_from(m->macros[i]->unique_id));
		if (!was || strcmp(was, macro_sql_of(m->macros[i])))
			map_set(out, str_from(m->macros[i]->unique_id), (void *)1);
	}
	/* a macro the base has and the head does not: its callers' depends_on names it */
	for (size_t i = 0; i < b->macros.n; i++)
		if (b->macros.e[i].key.p && !graph_find_macro(m, b->macros.e[i].key))
			map_set(out, b->macros.e[i].key, (void *)1);
	for (bool grew = out->live > 0; grew;) {
		grew = false;
		for (uint32_t i = 0; i < m->nmacros; i++) {
			const struct gmacro *mc = m->macros[i];
			if (map_get(out, str_from(mc->unique_id)))
				continue;
			for (uint32_t j = 0; j < mc->nmacros; j++)
				if (map_get(out, str_from(mc->macros[j]))) {
					map_set(out, str_from(mc->unique_id), (void *)1);
					grew = true;
					break;
				}
		}
	}
	return out;
}

/* The run whose manifest is the head, or 0 for the environment's definition state; false
 * after a reply. */
static bool head_run(struct req *r, const struct store_env *e, int64_t *run, struct store_run *info)
{
	struct diag d;
	diag_init(&d);
	int64_t want = 0;
	if (!req_int(r, "run", 1, INT64_MAX, 0, &want))
		return false;
	const char *pr = req_query(r, "pr");
	*run = 0;
	memset(info, 0, sizeof(*info));
	if (want) {
		if (reply_failed(r, store_run_get(r->store, want, &r->a, info, &d), &d))
			return false;
		if (info->env_id != e->id) {
			reply_error(r, 400, "bad_run", "run %lld is not a run of environment '%s'",
			            (long long)want, e->name);
			return false;
		}
		*run = want;
		return true;
	}
	if (!pr) {
		int64_t def;
		const char *gen;
		if (reply_failed(r, store_defs_source(r->store, e->id, &r->a, &def, &gen, &d), &d))
			return false;
		if (gen)
			return true; /* the definition state */
	}
	struct store_run_filter f = { .env_id = e->id, .pr_id = pr, .limit = 200 };
	struct store_run *runs;
	size_t n;
	diag_init(&d);
	if (reply_failed(r, store_run_list(r->store, &f, &r->a, &runs, &n, &d), &d))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!runs[i].is_ci)
			continue;
		struct store_artifact *arts;
		size_t na;
		diag_init(&d);
		if (reply_failed(r, store_artifact_list(r->store, runs[i].id, false, &r->a, &arts, &na, &d), &d))
			return false;
		for (size_t k = 0; k < na; k++)
			if (!strcmp(arts[k].path, "manifest.json")) {
				*run = runs[i].id;
				*info = runs[i];
				return true;
			}
	}
	if (pr)
		reply_error(r, 404, "not_found",
		            "environment '%s' has no CI run of pull request %s that kept a manifest", e->name, pr);
	else
		reply_error(r, 404, "not_found",
		            "environment '%s' has no definition state and no CI run that kept a manifest",
		            e->name);
	return false;
}

static value cmp_item(struct arena *a, const struct gnode *g, const char *change, const char *why)
{
	value v = v_dict(a, 6);
	vdict_sets(v.dict, "unique_id", v_cstr(g->unique_id));
	vdict_sets(v.dict, "name", v_cstr(g->name ? g->name : ""));
	vdict_sets(v.dict, "resource_type", v_cstr(graph_type_name((enum gtype)g->type)));
	vdict_sets(v.dict, "layer", str_or_none(layer_of(g)));
	vdict_sets(v.dict, "change", v_cstr(change));
	if (why)
		vdict_sets(v.dict, "reason", v_cstr(why));
	return v;
}

enum { CH_NONE, CH_MODIFIED, CH_NEW, CH_REMOVED };
static const char *const change_names[] = { NULL, "modified", "new", "removed" };

void serve_env_compare(struct req *r)
{
	struct store_env e, be;
	struct diag d;
	if (!load_env(r, &e))
		return;
	const char *base = req_query(r, "base");
	diag_init(&d);
	if (base) {
		if (reply_failed(r, store_env_get(r->store, base, &r->a, &be, &d), &d))
			return;
	} else {
		struct store_env *envs;
		size_t n;
		if (reply_failed(r, store_env_list(r->store, &r->a, &envs, &n, &d), &d))
			return;
		size_t i = 0;
		while (i < n && envs[i].type != SENV_PRODUCTION)
			i++;
		if (i == n) {
			reply_error(r, 400, "no_base",
			            "no environment is marked as production (silt env mark-production NAME): "
			            "name the one to compare with in base=");
			return;
		}
		be = envs[i];
	}
	int64_t run;
	struct store_run ri;
	if (!head_run(r, &e, &run, &ri))
		return;
	bool tests = req_query(r, "tests") != NULL;
	/* the head */
	struct dstate *head = NULL;
	if (run) {
		head = xcalloc(1, sizeof(*head));
		head->refs = 1;
		head->env_id = e.id;
		head->def_run = run;
		head->generated_at = xstrdup("");
		arena_init(&head->a);
		diag_init(&d);
		if (load_manifest(r, run, head, &d) < 0) {
			dstate_release(head);
			reply_diag(r, &d);
			diag_release(&d);
			return;
		}
		diag_release(&d);
	} else if (!(head = dstate_get(r, &e))) {
		return;
	}
	struct dstate *bs = dstate_get(r, &be);
	if (!bs) {
		dstate_release(head);
		return;
	}
	/* the base's digests and macros */
	struct cmp_base b = { .a = &r->a, .store = r->store, .d = &d };
	map_init(&b.dig);
	map_init(&b.macros);
	diag_init(&d);
	if (reply_failed(r, store_state_each(r->store, be.id, cmp_applied, cmp_want, cmp_def, &b, &d), &d))
		goto out;
	const struct gmanifest *hm = head->m, *bm = bs->m;
	struct map chm, *changed = changed_macros(&r->a, hm, &b, &chm);
	uint8_t *hch = arena_alloc(&r->a, hm->n + 1), *bch = arena_alloc(&r->a, bm->n + 1);
	memset(hch, 0, hm->n + 1);
	memset(bch, 0, bm->n + 1);
	value lists[4] = { v_none(), v_list(&r->a, 16), v_list(&r->a, 16), v_list(&r->a, 16) };
	for (uint32_t k = 0; k < hm->n; k++) {
		const struct gnode *g = hm->nodes[hm->by_id[k]];
		if (g->type == GT_DOC || g->type == GT_GROUP || (g->type == GT_TEST && !tests))
			continue;
		const char *why = NULL;
		if (!graph_find(bm, str_from(g->unique_id))) {
			hch[g->idx] = CH_NEW;
		} else {
			const unsigned char *was = map_get(&b.dig, str_from(g->unique_id)),
			                    *now = digest_of_dict(&r->a, g->unique_id, g->type, g->table, g->raw);
			if (!was || was == (void *)1 || !now || memcmp(was, now, 32))
				why = "definition";
			for (uint32_t j = 0; !why && changed && j < g->nmacros; j++)
				if (map_get(changed, str_from(g->macros[j])))
					why = "macros";
			if (why)
				hch[g->idx] = CH_MODIFIED;
		}
		if (hch[g->idx])
			vlist_push(lists[hch[g->idx]].list, cmp_item(&r->a, g, change_names[hch[g->idx]], why));
	}
	for (uint32_t k = 0; k < bm->n; k++) {
		const struct gnode *g = bm->nodes[bm->by_id[k]];
		if (g->type == GT_DOC || g->type == GT_GROUP || (g->type == GT_TEST && !tests))
			continue;
		if (!graph_find(hm, str_from(g->unique_id))) {
			bch[g->idx] = CH_REMOVED;
			vlist_push(lists[CH_REMOVED].list, cmp_item(&r->a, g, "removed", NULL));
		}
	}
	if (changed)
		map_release(changed);
	/* the graph: what changed, with its parents and children (the head's; a removed node's
	 * from the base) */
	struct xsnap *x = execs_get(r, bs);
	if (!x)
		goto out;
	struct map shown;
	map_init(&shown);
	value nodes = v_list(&r->a, 16), edges = v_list(&r->a, 16);
	const struct gmanifest *ms[2] = { hm, bm };
	const uint8_t *chs[2] = { hch, bch };
	for (int side = 0; side < 2; side++) {
		const struct gmanifest *m = ms[side];
		/* mark: changed nodes and their neighbours (1 = neighbour, 2 = changed) */
		uint8_t *keep = arena_alloc(&r->a, m->n + 1);
		memset(keep, 0, m->n + 1);
		for (uint32_t i = 0; i < m->n; i++) {
			if (!chs[side][i])
				continue;
			const struct gnode *g = m->nodes[i];
			keep[i] = 2;
			for (uint32_t j = 0; j < g->nparents; j++)
				keep[g->parents[j]] |= 1;
			for (uint32_t j = 0; j < g->nchildren; j++)
				keep[g->children[j]] |= 1;
		}
		for (uint32_t k = 0; k < m->n; k++) {
			const struct gnode *g = m->nodes[m->topo[k]];
			if (!keep[g->idx] || (g->type == GT_TEST && !tests))
				continue;
			if (side == 1 && !(keep[g->idx] & 2) && graph_find(hm, str_from(g->unique_id)))
				continue; /* a neighbour of a removed node that the head drew already */
			if (map_get(&shown, str_from(g->unique_id)))
				continue;
			map_set(&shown, str_from(g->unique_id), (void *)1);
			const struct store_exec *xe = map_get(&x->by_id, str_from(g->unique_id));
			value v = v_dict(&r->a, 6);
			vdict_sets(v.dict, "unique_id", v_cstr(g->unique_id));
			vdict_sets(v.dict, "name", v_cstr(g->name ? g->name : ""));
			vdict_sets(v.dict, "resource_type", v_cstr(graph_type_name((enum gtype)g->type)));
			vdict_sets(v.dict, "status", xe ? str_or_none(xe->last_status) : v_none());
			vdict_sets(v.dict, "layer", str_or_none(layer_of(g)));
			vdict_sets(v.dict, "change", chs[side][g->idx] ? v_cstr(change_names[chs[side][g->idx]]) : v_none());
			vlist_push(nodes.list, v);
		}
		for (uint32_t i = 0; i < m->n; i++) {
			const struct gnode *g = m->nodes[i];
			if (!keep[i] || (g->type == GT_TEST && !tests))
				continue;
			for (uint32_t j = 0; j < g->nparents; j++) {
				const struct gnode *p = m->nodes[g->parents[j]];
				if (!keep[p->idx] || (p->type == GT_TEST && !tests))
					continue;
				/* the base's edges only where they touch a removed node */
				if (side == 1 && !chs[1][i] && !chs[1][p->idx])
					continue;
				value edge = v_list(&r->a, 2);
				vlist_push(edge.list, v_cstr(p->unique_id));
				vlist_push(edge.list, v_cstr(g->unique_id));
				vlist_push(edges.list, edge);
			}
		}
	}
	map_release(&shown);
	xsnap_release(x);

	value top = v_dict(&r->a, 10), hd = v_dict(&r->a, 6), bd = v_dict(&r->a, 3),
	      counts = v_dict(&r->a, 3);
	vdict_sets(hd.dict, "environment", v_cstr(e.name));
	vdict_sets(hd.dict, "source", v_cstr(run ? "ci_run" : "definition_state"));
	vdict_sets(hd.dict, "run_id", v_int(run ? run : head->def_run));
	vdict_sets(hd.dict, "pr", run ? str_or_none(ri.pr_id) : v_none());
	vdict_sets(hd.dict, "git_sha", run ? str_or_none(ri.git_sha) : v_none());
	vdict_sets(hd.dict, "generated_at", run ? str_or_none(ri.created_at) : v_cstr(head->generated_at));
	vdict_sets(bd.dict, "environment", v_cstr(be.name));
	vdict_sets(bd.dict, "type", v_cstr(store_env_type_name(be.type)));
	vdict_sets(bd.dict, "generated_at", v_cstr(bs->generated_at));
	for (int i = CH_MODIFIED; i <= CH_REMOVED; i++)
		vdict_sets(counts.dict, change_names[i], v_int(lists[i].list->n));
	vdict_sets(top.dict, "head", hd);
	vdict_sets(top.dict, "base", bd);
	vdict_sets(top.dict, "macros_compared", v_bool(changed != NULL));
	vdict_sets(top.dict, "counts", counts);
	for (int i = CH_MODIFIED; i <= CH_REMOVED; i++)
		vdict_sets(top.dict, change_names[i], lists[i]);
	vdict_sets(top.dict, "nodes", nodes);
	vdict_sets(top.dict, "edges", edges);
	reply_json_compact(r, 200, top);
out:
	map_release(&b.dig);
	map_release(&b.macros);
	dstate_release(bs);
	dstate_release(head);
}

/* ---- source freshness: the newest `silt source freshness` result of each source ----
 * From the sources.json artifacts of the environment's own non-CI runs (a job step that ran
 * `silt source freshness` keeps it), newest run first: each source's latest check. */

#define FRESHNESS_RUNS 200 /* how many of the newest runs are looked through */

void serve_env_freshness(struct req *r)
{
	struct store_env e;
	struct diag d;
	if (!load_env(r, &e))
		return;
	struct store_run_filter f = { .env_id = e.id, .limit = FRESHNESS_RUNS };
	struct store_run *runs;
	size_t n;
	diag_init(&d);
	if (reply_failed(r, store_run_list(r->store, &f, &r->a, &runs, &n, &d), &d))
		return;
	struct map seen;
	map_init(&seen);
	value items = v_list(&r->a, 16), counts = v_dict(&r->a, 4), top = v_dict(&r->a, 3);
	for (size_t i = 0; i < n; i++) {
		if (runs[i].is_ci)
			continue;
		struct store_artifact *arts;
		size_t na;
		diag_init(&d);
		if (reply_failed(r, store_artifact_list(r->store, runs[i].id, false, &r->a, &arts, &na, &d), &d))
			goto out;
		for (size_t k = na; k-- > 0;) { /* the last step's first */
			if (strcmp(arts[k].path, "sources.json"))
				continue;
			struct store_artifact art;
			value doc;
			diag_init(&d);
			int got = store_artifact_get(r->store, runs[i].id, arts[k].step_id, "sources.json",
			                             &r->a, &art, &d);
			if (got < 0 && reply_failed(r, got, &d))
				goto out;
			diag_release(&d);
			diag_init(&d);
			if (got != 1 || json_parse(&r->a, "sources.json", art.content, art.len, &doc, &d) < 0 ||
			    doc.type != VT_DICT) {
				diag_release(&d);
				continue; /* not one silt can read: the next */
			}
			diag_release(&d);
			value res = v_item(doc, "results"), meta = v_item(doc, "metadata");
			value at = meta.type == VT_DICT ? v_item(meta, "generated_at") : v_undef();
			for (uint32_t j = 0; res.type == VT_LIST && j < res.list->n; j++) {
				value x = res.list->v[j], uid = x.type == VT_DICT ? v_item(x, "unique_id") : v_undef();
				if (uid.type != VT_STR || map_get(&seen, str_from(uid.s)))
					continue;
				map_set(&seen, str_from(uid.s), (void *)1);
				value st = v_item(x, "status"), v = v_dict(&r->a, 10), c;
				vdict_sets(v.dict, "unique_id", uid);
				vdict_sets(v.dict, "status", st.type == VT_STR ? st : v_none());
#define COPY(k)                                                                                    \
	do {                                                                                       \
		value y = v_item(x, k);                                                            \
		vdict_sets(v.dict, k, y.type == VT_UNDEF ? v_none() : y);                          \
	} while (0)
				COPY("max_loaded_at");
				COPY("snapshotted_at");
				COPY("max_loaded_at_time_ago_in_s");
				COPY("criteria");
				COPY("error");
#undef COPY
				vdict_sets(v.dict, "checked_at", at.type == VT_STR ? at : v_none());
				vdict_sets(v.dict, "run_id", v_int(runs[i].id));
				vlist_push(items.list, v);
				if (st.type == VT_STR)
					vdict_set(counts.dict, st, v_int(vdict_get(counts.dict, st, &c) ? c.i + 1 : 1));
			}
		}
	}
	/* names from the definition state, when the environment has one */
	const char *gen;
	int64_t def;
	diag_init(&d);
	if (store_defs_source(r->store, e.id, &r->a, &def, &gen, &d) == 0 && gen) {
		struct dstate *ds = dstate_get(r, &e);
		if (!ds)
			goto out;
		for (uint32_t i = 0; i < items.list->n; i++) {
			value v = items.list->v[i];
			const struct gnode *g = graph_find(ds->m, str_from(v_item(v, "unique_id").s));
			vdict_sets(v.dict, "source_name", g ? str_or_none(g->source_name) : v_none());
			vdict_sets(v.dict, "name", g ? str_or_none(g->name) : v_none());
		}
		dstate_release(ds);
	}
	diag_release(&d);
	vdict_sets(top.dict, "data", items);
	vdict_sets(top.dict, "counts", counts);
	vdict_sets(top.dict, "runs_read", v_int((int64_t)n));
	reply_json(r, 200, top);
out:
	map_release(&seen);
}
