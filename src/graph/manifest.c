/* The manifest model: nodes by table, the id index, linking into a DAG (parents, children, the
 * topological order, cycle detection worded as dbt's) and reading a dbt manifest.json. */
#include <pthread.h>

#include "graph.h"
#include "json/json.h"

static const char *const type_names[GT__COUNT] = {
    "model",          "analysis",  "test",          "snapshot", "operation",
    "seed",           "rpc",       "sql_operation", "doc",      "source",
    "macro",          "exposure",  "metric",        "group",    "saved_query",
    "semantic_model", "unit_test", "fixture",       "function",
};

static const char *const table_names[GTAB__COUNT] = {
    "nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries", "unit_tests",
};

const char *graph_type_name(enum gtype t)
{
	return (unsigned)t < GT__COUNT ? type_names[t] : "?";
}

int graph_type_parse(struct str s)
{
	for (int i = 0; i < GT__COUNT; i++)
		if (str_eqc(s, type_names[i]))
			return i;
	return -1;
}

const char *graph_table_name(enum gtable t)
{
	return (unsigned)t < GTAB__COUNT ? table_names[t] : "?";
}

enum gtable graph_table_of(enum gtype t)
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

struct gmanifest *gmanifest_new(struct arena *a)
{
	struct gmanifest *m = xcalloc(1, sizeof(*m));
	m->a = a;
	map_init(&m->ids);
	map_init(&m->macro_ids);
	m->raw = v_none();
	return m;
}

void gmanifest_free(struct gmanifest *m)
{
	if (!m)
		return;
	map_release(&m->ids);
	map_release(&m->macro_ids);
	free(m->nodes);
	free(m->macros);
	free(m->topo);
	free(m->by_id);
	free(m);
}

struct gnode *gmanifest_add(struct gmanifest *m, enum gtable table, enum gtype type,
                            const char *unique_id, struct diag *d)
{
	bool created;
	void **slot = map_slot(&m->ids, str_from(unique_id), &created);
	if (!created) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "duplicate unique_id '%s'", unique_id);
		return NULL;
	}
	struct gnode *n = arena_zalloc(m->a, sizeof(*n));
	n->idx = m->n;
	n->type = (uint8_t)type;
	n->table = (uint8_t)table;
	n->enabled = true;
	n->unique_id = unique_id;
	n->config = v_none();
	n->raw = v_none();
	n->package = n->name = n->path = n->original_file_path = "";
	*slot = n;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->nodes = xrealloc(m->nodes, m->cap * sizeof(*m->nodes));
	}
	m->nodes[m->n++] = n;
	m->linked = false;
	return n;
}

struct gmacro *gmanifest_add_macro(struct gmanifest *m, const char *unique_id)
{
	bool created;
	void **slot = map_slot(&m->macro_ids, str_from(unique_id), &created);
	if (!created)
		return *slot;
	struct gmacro *mc = arena_zalloc(m->a, sizeof(*mc));
	mc->unique_id = unique_id;
	mc->package = mc->name = "";
	mc->raw = v_none();
	*slot = mc;
	if (m->nmacros == m->capmacros) {
		m->capmacros = m->capmacros ? m->capmacros * 2 : 64;
		m->macros = xrealloc(m->macros, m->capmacros * sizeof(*m->macros));
	}
	m->macros[m->nmacros++] = mc;
	return mc;
}

struct gnode *graph_find(const struct gmanifest *m, struct str unique_id)
{
	return map_get(&m->ids, unique_id);
}

struct gmacro *graph_find_macro(const struct gmanifest *m, struct str unique_id)
{
	return map_get(&m->macro_ids, unique_id);
}

/* ---- linking ---- */

/* dbt's linker adds sources first, then nodes, semantic models, exposures, metrics, unit tests
 * and saved queries; networkx keeps nodes and edges in insertion order, which decides the
 * order children are visited in and so which cycle find_cycle reports. */
static const uint8_t link_rank[GTAB__COUNT] = {
    [GTAB_SOURCES] = 0, [GTAB_NODES] = 1,      [GTAB_SEMANTIC_MODELS] = 2, [GTAB_EXPOSURES] = 3,
    [GTAB_METRICS] = 4, [GTAB_UNIT_TESTS] = 5, [GTAB_SAVED_QUERIES] = 6,
};

uint32_t graph_name_hash(struct str s)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < s.n; i++)
		h = (h ^ (unsigned char)s.p[i]) * 16777619u;
	return h ? h : 1;
}

static void fqn_hashes(struct gnode *n);

static void flatten_fqn(struct gmanifest *m, struct gnode *n)
{
	uint32_t parts = 0;
	for (uint32_t i = 0; i < n->nfqn; i++) {
		parts++;
		for (const char *p = n->fqn[i]; *p; p++)
			parts += *p == '.';
	}
	n->flat_fqn = arena_alloc(m->a, (parts ? parts : 1) * sizeof(char *));
	n->nflat_fqn = 0;
	n->nflat_head = 0;
	for (uint32_t i = 0; i < n->nfqn; i++) {
		if (i == 1)
			n->nflat_head = n->nflat_fqn;
		const char *s = n->fqn[i];
		if (!strchr(s, '.')) {
			n->flat_fqn[n->nflat_fqn++] = s;
			continue;
		}
		for (;;) {
			const char *dot = strchr(s, '.');
			size_t len = dot ? (size_t)(dot - s) : strlen(s);
			n->flat_fqn[n->nflat_fqn++] = arena_strndup(m->a, s, len);
			if (!dot)
				break;
			s = dot + 1;
		}
	}
	if (n->nfqn == 1)
		n->nflat_head = n->nflat_fqn;
	fqn_hashes(n);
}

/* flat_fqn is fqn itself when no part has a dot (nearly always): false when one has. */
static bool flat_fqn_shared(struct gnode *n)
{
	for (uint32_t i = 0; i < n->nfqn; i++)
		if (strchr(n->fqn[i], '.'))
			return false;
	n->flat_fqn = n->fqn;
	n->nflat_fqn = n->nfqn;
	n->nflat_head = n->nfqn ? 1 : 0;
	fqn_hashes(n);
	return true;
}

static void fqn_hashes(struct gnode *n)
{
	memset(n->fqn_hash, 0, sizeof(n->fqn_hash));
	if (n->nfqn >= 1)
		n->fqn_hash[0] = graph_name_hash(str_from(n->fqn[n->nfqn - 1]));
	if (n->nfqn >= 2)
		n->fqn_hash[1] = graph_name_hash(str_from(n->fqn[n->nfqn - 2]));
	for (uint32_t i = 0; i < 2 && i < n->nflat_fqn; i++)
		n->fqn_hash[2 + i] = graph_name_hash(str_from(n->flat_fqn[i]));
}

/* networkx.find_cycle over the graph in dbt's insertion order: a DFS along parent -> child
 * edges; the cycle is the path from the node reached twice to the current node. */
static bool find_cycle(struct gmanifest *m, const uint32_t *order, struct buf *out)
{
	uint32_t n = m->n;
	uint8_t *color = xcalloc(n ? n : 1, 1); /* 0 new, 1 on the path, 2 done */
	uint32_t *stack = xmalloc((n ? n : 1) * sizeof(uint32_t));
	uint32_t *next = xcalloc(n ? n : 1, sizeof(uint32_t));
	bool found = false;
	for (uint32_t s = 0; s < n && !found; s++) {
		uint32_t start = order[s];
		if (color[start])
			continue;
		uint32_t sp = 0;
		stack[sp++] = start;
		color[start] = 1;
		while (sp && !found) {
			uint32_t cur = stack[sp - 1];
			struct gnode *g = m->nodes[cur];
			if (next[cur] == g->nchildren) {
				color[cur] = 2;
				sp--;
				continue;
			}
			uint32_t child = g->children[next[cur]++];
			if (color[child] == 0) {
				color[child] = 1;
				stack[sp++] = child;
			} else if (color[child] == 1) {
				uint32_t from = sp;
				while (from > 0 && stack[from - 1] != child)
					from--;
				for (uint32_t k = from - 1; k < sp; k++) {
					if (k > from - 1)
						buf_puts(out, " --> ");
					buf_puts(out, m->nodes[stack[k]]->unique_id);
				}
				found = true;
			}
		}
	}
	free(color);
	free(stack);
	free(next);
	return found;
}

static int cmp_by_id(const void *x, const void *y, void *ud)
{
	const struct gmanifest *m = ud;
	return strcmp(m->nodes[*(const uint32_t *)x]->unique_id,
	              m->nodes[*(const uint32_t *)y]->unique_id);
}

static void *sort_by_id(void *arg)
{
	struct gmanifest *m = arg;
	for (uint32_t i = 0; i < m->n; i++)
		m->by_id[i] = i;
	qsort_r(m->by_id, m->n, sizeof(uint32_t), cmp_by_id, m); /* glibc (_GNU_SOURCE) */
	return NULL;
}

/* Below this many nodes the id order is sorted on the calling thread. */
#define SORT_THREAD_MIN 4096

/* Below this many nodes the parents are linked on the calling thread alone. */
#define LINK_THREADS_MIN 4096

struct link_job {
	struct gmanifest *m;
	uint32_t *pool;    /* the parents of node i start at pool + off[i] */
	const uint32_t *off;
	uint8_t *split;    /* node i has a dotted fqn part: flattened afterwards (allocates) */
};

/* Node i's parents (ids that name no node are skipped and flagged) and its flat fqn. */
static void link_node(void *ud, int worker, size_t i)
{
	(void)worker;
	struct link_job *j = ud;
	struct gnode *g = j->m->nodes[i];
	g->parents = j->pool + j->off[i];
	g->nparents = 0;
	g->missing_parent = false;
	for (uint32_t k = 0; k < g->ndepends_on; k++) {
		struct gnode *p = g->depends_hint ? g->depends_hint[k] : NULL;
		if (!p || p->unique_id != g->depends_on[k])
			p = graph_find(j->m, str_from(g->depends_on[k]));
		if (!p) {
			g->missing_parent = true;
			continue;
		}
		bool dup = false;
		for (uint32_t q = 0; q < g->nparents; q++)
			dup |= g->parents[q] == p->idx;
		if (!dup)
			g->parents[g->nparents++] = p->idx;
	}
	j->split[i] = !flat_fqn_shared(g);
}

int graph_link(struct gmanifest *m, struct diag *d)
{
	uint32_t n = m->n;
	/* the id order reads only the unique ids: sorted on another thread meanwhile */
	free(m->by_id);
	m->by_id = xmalloc((n ? n : 1) * sizeof(uint32_t));
	pthread_t sorter;
	bool sorting = n >= SORT_THREAD_MIN && pthread_create(&sorter, NULL, sort_by_id, m) == 0;
	/* link order: tables in dbt's order, each in insertion order (a counting sort by rank,
	 * in one pass over the nodes with the parents' offsets below) */
	uint32_t *link = xmalloc((n ? n : 1) * sizeof(uint32_t));
	uint8_t *rank = xmalloc(n ? n : 1);
	uint32_t start[GTAB__COUNT + 1] = {0};
	/* resolve parents (on two threads for big graphs: the id index is only read), then count
	 * children and report missing parents in node order */
	uint32_t *off = xmalloc((n ? n : 1) * sizeof(uint32_t));
	size_t total = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct gnode *g = m->nodes[i];
		rank[i] = link_rank[g->table];
		start[rank[i] + 1]++;
		off[i] = (uint32_t)total;
		total += g->ndepends_on ? g->ndepends_on : 1;
	}
	for (int r = 0; r < GTAB__COUNT; r++)
		start[r + 1] += start[r];
	for (uint32_t i = 0; i < n; i++)
		link[start[rank[i]]++] = i;
	free(rank);
	struct link_job job = {m, arena_alloc(m->a, (total ? total : 1) * sizeof(uint32_t)), off,
	                       xcalloc(n ? n : 1, 1)};
	par_for(n, n >= LINK_THREADS_MIN ? par_cores() : 1, 256, link_node, &job);
	uint32_t *nchild = xcalloc(n ? n : 1, sizeof(uint32_t));
	for (uint32_t i = 0; i < n; i++) {
		struct gnode *g = m->nodes[i];
		for (uint32_t j = 0; g->missing_parent && j < g->ndepends_on; j++)
			if (!graph_find(m, str_from(g->depends_on[j])))
				diag_add(d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
				         "'%s' depends on '%s' which is not in the graph", g->unique_id,
				         g->depends_on[j]);
		for (uint32_t j = 0; j < g->nparents; j++)
			nchild[g->parents[j]]++;
		if (job.split[i])
			flatten_fqn(m, g);
	}
	free(job.split);
	free(off);
	for (uint32_t i = 0; i < n; i++) {
		m->nodes[i]->children =
		    arena_alloc(m->a, (nchild[i] ? nchild[i] : 1) * sizeof(uint32_t));
		m->nodes[i]->nchildren = 0;
	}
	/* networkx node order: each node as linked, then its parents not seen yet */
	uint32_t *order = xmalloc((n ? n : 1) * sizeof(uint32_t));
	uint8_t *seen = xcalloc(n ? n : 1, 1);
	uint32_t no = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct gnode *g = m->nodes[link[i]];
		if (!seen[g->idx]) {
			seen[g->idx] = 1;
			order[no++] = g->idx;
		}
		for (uint32_t j = 0; j < g->nparents; j++) {
			struct gnode *p = m->nodes[g->parents[j]];
			p->children[p->nchildren++] = g->idx;
			if (!seen[p->idx]) {
				seen[p->idx] = 1;
				order[no++] = p->idx;
			}
		}
	}
	int rc = 0;
	/* topological order (Kahn), ties broken by insertion order; it leaves out exactly the
	 * nodes on or below a cycle, so the DFS that names one runs only then */
	free(m->topo);
	m->topo = xmalloc((n ? n : 1) * sizeof(uint32_t));
	uint32_t *indeg = nchild; /* reuse */
	for (uint32_t i = 0; i < n; i++)
		indeg[i] = m->nodes[i]->nparents;
	uint32_t head = 0, tail = 0;
	for (uint32_t i = 0; i < n; i++)
		if (!indeg[i])
			m->topo[tail++] = i;
	while (head < tail) {
		struct gnode *g = m->nodes[m->topo[head++]];
		for (uint32_t j = 0; j < g->nchildren; j++)
			if (--indeg[g->children[j]] == 0)
				m->topo[tail++] = g->children[j];
	}
	/* nodes on a cycle: appended in insertion order so the array stays a permutation */
	if (tail < n) {
		struct buf cyc = BUF_INIT;
		if (find_cycle(m, order, &cyc)) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "Found a cycle: %s",
			         buf_cstr(&cyc));
			rc = -1;
		}
		buf_release(&cyc);
		memset(seen, 0, n);
		for (uint32_t i = 0; i < tail; i++)
			seen[m->topo[i]] = 1;
		for (uint32_t i = 0; i < n; i++)
			if (!seen[i])
				m->topo[tail++] = i;
	}
	if (sorting)
		pthread_join(sorter, NULL);
	else
		sort_by_id(m);
	free(seen);
	free(order);
	free(nchild);
	free(link);
	m->linked = rc == 0;
	return rc;
}

/* ---- manifest.json ---- */

static bool dget(value dict, const char *key, value *out)
{
	if (dict.type != VT_DICT)
		return false;
	return vdict_gets(dict.dict, str_from(key), out);
}

/* A string field: arena strings from json_parse are NUL-terminated. */
static const char *dstr(value dict, const char *key)
{
	value v;
	if (!dget(dict, key, &v) || v.type != VT_STR)
		return NULL;
	return v.s;
}

/* str() of a scalar field (versions are ints, floats or strings), NULL for none/absent. */
static const char *dscalar(struct arena *a, value dict, const char *key)
{
	value v;
	if (!dget(dict, key, &v) || v.type == VT_NONE)
		return NULL;
	if (v.type == VT_STR)
		return v.s;
	struct buf b = BUF_INIT;
	v_to_str(v, &b);
	char *s = arena_strndup(a, buf_cstr(&b), b.n);
	buf_release(&b);
	return s;
}

static const char **dstrlist(struct arena *a, value dict, const char *key, uint32_t *n)
{
	value v;
	*n = 0;
	if (!dget(dict, key, &v) || v.type != VT_LIST)
		return NULL;
	const char **out = arena_alloc(a, (v.list->n ? v.list->n : 1) * sizeof(char *));
	for (uint32_t i = 0; i < v.list->n; i++)
		if (v.list->v[i].type == VT_STR)
			out[(*n)++] = v.list->v[i].s;
	return out;
}

static int load_node(struct gmanifest *m, enum gtable table, const char *key, value nd,
                     struct diag *d)
{
	if (nd.type != VT_DICT)
		return 0;
	const char *rt = dstr(nd, "resource_type");
	int type = rt ? graph_type_parse(str_from(rt)) : -1;
	if (type < 0) {
		static const uint8_t deflt[GTAB__COUNT] = {
		    GT_MODEL,          GT_SOURCE,      GT_EXPOSURE,  GT_METRIC,
		    GT_SEMANTIC_MODEL, GT_SAVED_QUERY, GT_UNIT_TEST,
		};
		if (rt && !strcmp(rt, "data_test"))
			type = GT_TEST;
		else
			type = deflt[table];
	}
	const char *uid = dstr(nd, "unique_id");
	struct gnode *n = gmanifest_add(m, table, (enum gtype)type, uid ? uid : key, d);
	if (!n)
		return -1;
	const char *s;
	n->raw = nd;
	if ((s = dstr(nd, "package_name")))
		n->package = s;
	if ((s = dstr(nd, "name")))
		n->name = s;
	if ((s = dstr(nd, "path")))
		n->path = s;
	if ((s = dstr(nd, "original_file_path")))
		n->original_file_path = s;
	n->patch_path = dstr(nd, "patch_path");
	n->fqn = dstrlist(m->a, nd, "fqn", &n->nfqn);
	n->tags = dstrlist(m->a, nd, "tags", &n->ntags);
	value v;
	if (dget(nd, "config", &v) && v.type == VT_DICT) {
		n->config = v;
		value en;
		if (dget(v, "enabled", &en) && en.type == VT_BOOL)
			n->enabled = en.b;
	}
	if (dget(nd, "depends_on", &v)) {
		n->depends_on = dstrlist(m->a, v, "nodes", &n->ndepends_on);
		n->macros = dstrlist(m->a, v, "macros", &n->nmacros);
	}
	if (dget(nd, "test_metadata", &v) && v.type == VT_DICT) {
		n->generic_test = true;
		n->test_name = dstr(v, "name");
		n->test_namespace = dstr(v, "namespace");
	}
	n->attached_node = dstr(nd, "attached_node");
	n->column_name = dstr(nd, "column_name");
	n->source_name = dstr(nd, "source_name");
	n->version = dscalar(m->a, nd, "version");
	n->latest_version = dscalar(m->a, nd, "latest_version");
	n->access = dstr(nd, "access");
	n->group = dstr(n->config, "group");
	if (!n->group)
		n->group = dstr(nd, "group");
	return 0;
}

int graph_load_manifest_json(struct arena *a, const char *path_or_name, const char *text,
                             size_t len, struct gmanifest **out, struct diag *d)
{
	value root;
	*out = NULL;
	if (json_parse(a, path_or_name, text, len, &root, d))
		return -1;
	if (root.type != VT_DICT) {
		diag_add(d, DIAG_ERROR, path_or_name, 0, 0, NULL, 0,
		         "expected a JSON object for a manifest, got %s", v_type_name(root));
		return -1;
	}
	struct gmanifest *m = gmanifest_new(a);
	m->raw = root;
	value meta, tab;
	if (dget(root, "metadata", &meta))
		m->project_name = dstr(meta, "project_name");
	int rc = 0;
	for (int t = 0; t < GTAB__COUNT && !rc; t++) {
		if (!dget(root, table_names[t], &tab) || tab.type != VT_DICT)
			continue;
		for (uint32_t i = 0; i < tab.dict->n && !rc; i++) {
			const struct ventry e_at = vdict_at(tab.dict, i), *e = &e_at;
			if (e->k.type != VT_STR)
				continue;
			rc = load_node(m, (enum gtable)t, e->k.s, e->v, d);
		}
	}
	if (!rc && dget(root, "macros", &tab) && tab.type == VT_DICT) {
		for (uint32_t i = 0; i < tab.dict->n; i++) {
			const struct ventry e_at = vdict_at(tab.dict, i), *e = &e_at;
			if (e->k.type != VT_STR || e->v.type != VT_DICT)
				continue;
			struct gmacro *mc = gmanifest_add_macro(m, e->k.s);
			const char *s;
			mc->raw = e->v;
			if ((s = dstr(e->v, "package_name")))
				mc->package = s;
			if ((s = dstr(e->v, "name")))
				mc->name = s;
			value dep;
			if (dget(e->v, "depends_on", &dep))
				mc->macros = dstrlist(a, dep, "macros", &mc->nmacros);
		}
	}
	if (!rc)
		rc = graph_link(m, d);
	if (rc) {
		gmanifest_free(m);
		return -1;
	}
	*out = m;
	return 0;
}
