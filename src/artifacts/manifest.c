/* manifest.json v12 from a linked gmanifest. */
#include "artifacts/artifacts.h"
#include "json/json.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

const char *artifacts_uuid4(struct arena *a)
{
	unsigned char b[16];
	FILE *f = fopen("/dev/urandom", "rb");
	if (!f || fread(b, 1, sizeof(b), f) != sizeof(b)) {
		/* no /dev/urandom: the clock is random enough for an invocation id */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
		for (int i = 0; i < 16; i++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			b[i] = (unsigned char)(x >> 56);
		}
	}
	if (f)
		fclose(f);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return arena_printf(a,
	                    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	                    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	                    b[11], b[12], b[13], b[14], b[15]);
}

const char *artifacts_now_iso(struct arena *a)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	return arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
	                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	                    ts.tv_nsec / 1000);
}

const char *artifacts_invocation_command;

value artifacts_run_results(struct arena *a, const char *invocation_id, const char *started_at,
                            value results, double elapsed, const char *which)
{
	value top = v_dict(a, 4), meta = v_dict(a, 6);
	vdict_sets(meta.dict, "dbt_schema_version",
	           v_cstr("https://schemas.getdbt.com/dbt/run-results/v6.json"));
	vdict_sets(meta.dict, "dbt_version", v_cstr(ARTIFACTS_DBT_VERSION));
	vdict_sets(meta.dict, "generated_at", v_cstr(artifacts_now_iso(a)));
	vdict_sets(meta.dict, "invocation_id", v_cstr(invocation_id));
	vdict_sets(meta.dict, "invocation_started_at", v_cstr(started_at));
	vdict_sets(meta.dict, "env", v_dict(a, 0));
	vdict_sets(top.dict, "metadata", meta);
	vdict_sets(top.dict, "results", results);
	vdict_sets(top.dict, "elapsed_time", v_float(elapsed));
	value args = v_dict(a, 2);
	vdict_sets(args.dict, "which", v_cstr(which));
	if (artifacts_invocation_command)
		vdict_sets(args.dict, "invocation_command", v_cstr(artifacts_invocation_command));
	vdict_sets(top.dict, "args", args);
	return top;
}

/* A node's unique id with its length and hash (v_hash's), as the id map keeps them. */
struct node_key {
	struct str id;
	uint64_t hash;
};

/* The keys of m's nodes, by index: taken from the id map when it holds the nodes in order (it
 * does when they were added with gmanifest_add and none failed), else computed. */
static struct node_key *node_keys(const struct gmanifest *m)
{
	struct node_key *k = xmalloc((m->n + 1) * sizeof(*k));
	bool aligned = m->ids.n == m->n && m->ids.live == m->n;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct map_entry *e = aligned ? &m->ids.e[i] : NULL;
		if (e && e->val == m->nodes[i] && e->key.p == m->nodes[i]->unique_id) {
			k[i] = (struct node_key){e->key, e->hash};
		} else {
			struct str id = str_from(m->nodes[i]->unique_id);
			k[i] = (struct node_key){id, str_hash(id)};
		}
	}
	return k;
}

/* A dict of cap entries to fill with table_add: for writing, so it gets no hash index (a
 * lookup would search it from the start). */
static value table_dict(struct arena *a, uint32_t cap)
{
	value d = v_dict(a, 0);
	d.dict->k = arena_alloc(a, 2 * ((size_t)cap + 1) * sizeof(value));
	d.dict->v = d.dict->k + cap + 1;
	d.dict->cap = cap;
	return d;
}

/* Adds an entry whose key (a node's id) is not in d yet. */
static void table_add(value d, const struct node_key *k, value v)
{
	struct vdict *x = d.dict;
	x->k[x->n] = vdict_key(v_str(k->id.p, k->id.n), k->hash);
	x->v[x->n++] = v;
	x->live++;
}

/* Sets entry `at` of a table_dict that every entry below its cap is then set in (the caller
 * sets n and live once all are). */
static void table_put(value d, uint32_t at, const struct node_key *k, value v)
{
	d.dict->k[at] = vdict_key(v_str(k->id.p, k->id.n), k->hash);
	d.dict->v[at] = v;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* Sorts r[0..n) and drops repeats; returns how many are left. */
static uint32_t sort_unique(uint32_t *r, uint32_t n)
{
	if (n > 16) {
		qsort(r, n, sizeof(*r), cmp_u32);
	} else {
		for (uint32_t i = 1; i < n; i++) {
			uint32_t x = r[i], j = i;
			for (; j && r[j - 1] > x; j--)
				r[j] = r[j - 1];
			r[j] = x;
		}
	}
	uint32_t w = 0;
	for (uint32_t i = 0; i < n; i++)
		if (!w || r[i] != r[w - 1])
			r[w++] = r[i];
	return w;
}

/* The ids of the nodes whose ranks (positions in by_id: the nodes in unique_id order) are
 * r[0..n), sorted and without repeats, as a list; `empty` when there are none: the manifest
 * value is only written, so one empty list serves every node without parents or children.
 * same_as (the node's depends_on.nodes) when it already is that list (a test's one node, most
 * models' refs): parent_map then shares it. */
static value id_list(struct arena *a, const uint32_t *by_id, const struct node_key *keys,
                     uint32_t *r, uint32_t n, value empty, value same_as)
{
	if (!n)
		return empty;
	n = sort_unique(r, n);
	if (same_as.type == VT_LIST && same_as.list->n == n) {
		uint32_t i = 0;
		for (; i < n; i++) {
			value x = same_as.list->v[i];
			struct str id = keys[by_id[r[i]]].id;
			if (x.type != VT_STR ||
			    !(x.s == id.p ? x.len == id.n : str_eq(v_as_str(x), id)))
				break;
		}
		if (i == n)
			return same_as;
	}
	value l = v_list(a, n);
	for (uint32_t i = 0; i < n; i++) {
		struct str id = keys[by_id[r[i]]].id;
		l.list->v[i] = v_str(id.p, id.n);
	}
	l.list->n = n;
	return l;
}

/* The node's depends_on.nodes, else undefined. */
static value depends_nodes(const struct gnode *g, struct vdict_at c[2])
{
	if (g->raw.type != VT_DICT)
		return v_undef();
	value dep = vdict_get_at(g->raw.dict, STR("depends_on"), &c[0]);
	return dep.type == VT_DICT ? vdict_get_at(dep.dict, STR("nodes"), &c[1]) : v_undef();
}

static int cmp_cstr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* parent_map and child_map, built in an arena of their own (on a thread of their own while the
 * entries before them are written: see artifacts_write_manifest). */
struct maps_job {
	const struct gmanifest *m;
	const struct node_key *keys;
	struct arena a;
	value parent_map, child_map;
};

static void *build_maps(void *arg)
{
	struct maps_job *job = arg;
	const struct gmanifest *m = job->m;
	const struct node_key *keys = job->keys;
	struct arena *a = &job->a;
	/* every node in unique_id order (m->by_id; in the order added before graph_link), its
	 * parents' and children's ids sorted by their rank in that order */
	uint32_t *by_id = m->by_id, *rank = xmalloc((m->n + 1) * sizeof(*rank));
	if (!by_id) {
		by_id = xmalloc((m->n + 1) * sizeof(*by_id));
		const char **ids = xmalloc((m->n + 1) * sizeof(*ids));
		for (uint32_t i = 0; i < m->n; i++)
			ids[i] = m->nodes[i]->unique_id;
		qsort(ids, m->n, sizeof(*ids), cmp_cstr);
		for (uint32_t k = 0; k < m->n; k++)
			by_id[k] = graph_find(m, str_from(ids[k]))->idx;
		free(ids);
	}
	for (uint32_t k = 0; k < m->n; k++)
		rank[by_id[k]] = k;
	value parent_map = table_dict(a, m->n), child_map = table_dict(a, m->n);
	value empty = v_list(a, 0);
	uint32_t *r = xmalloc((m->n + 1) * sizeof(*r));
	struct vdict_at dep_at[2] = {{NULL, 0}, {NULL, 0}};
	/* the nodes in the order they lie in memory, each entry put at its rank: walked in id
	 * order, nearly every node, its dict and its lists missed the cache (~20 ms for 30,000) */
	for (uint32_t i = 0; i < m->n; i++) {
		const struct gnode *g = m->nodes[i];
		for (uint32_t j = 0; j < g->nparents; j++)
			r[j] = rank[g->parents[j]];
		value same = !g->nparents                       ? v_undef()
		             : g->depends_list.type == VT_LIST ? g->depends_list
		                                               : depends_nodes(g, dep_at);
		table_put(parent_map, rank[i], &keys[i],
		          id_list(a, by_id, keys, r, g->nparents, empty, same));
		for (uint32_t j = 0; j < g->nchildren; j++)
			r[j] = rank[g->children[j]];
		table_put(child_map, rank[i], &keys[i],
		          id_list(a, by_id, keys, r, g->nchildren, empty, v_undef()));
	}
	parent_map.dict->n = parent_map.dict->live = m->n;
	child_map.dict->n = child_map.dict->live = m->n;
	free(r);
	free(rank);
	if (by_id != m->by_id)
		free(by_id);
	job->parent_map = parent_map;
	job->child_map = child_map;
	return NULL;
}

/* The manifest's entries up to disabled (head) and from parent_map on (tail, parent_map and
 * child_map None until the caller puts the maps in their places). */
static void manifest_parts(struct arena *a, const struct gmanifest *m,
                           const struct manifest_meta *mm, const struct node_key *keys,
                           value *head, value *tail)
{
	value top = v_dict(a, 12), rest = v_dict(a, 8);
	value meta = v_dict(a, 16);
	const char *now = artifacts_now_iso(a);
	vdict_sets(meta.dict, "dbt_schema_version",
	           v_cstr("https://schemas.getdbt.com/dbt/manifest/v12.json"));
	vdict_sets(meta.dict, "dbt_version", v_cstr(ARTIFACTS_DBT_VERSION));
	vdict_sets(meta.dict, "generated_at", v_cstr(now));
	vdict_sets(meta.dict, "invocation_id",
	           v_cstr(mm->invocation_id ? mm->invocation_id : artifacts_uuid4(a)));
	vdict_sets(meta.dict, "invocation_started_at", v_cstr(now));
	vdict_sets(meta.dict, "env", mm->env.type == VT_DICT ? mm->env : v_dict(a, 0));
	vdict_sets(meta.dict, "project_name",
	           mm->project_name ? v_cstr(mm->project_name) : v_none());
	if (mm->project_name) {
		char md[33];
		md5_hex(mm->project_name, strlen(mm->project_name), md);
		vdict_sets(meta.dict, "project_id", v_strdup(a, md, 32));
	} else {
		vdict_sets(meta.dict, "project_id", v_none());
	}
	vdict_sets(meta.dict, "user_id", v_none());
	vdict_sets(meta.dict, "send_anonymous_usage_stats", v_bool(false));
	vdict_sets(meta.dict, "adapter_type",
	           mm->adapter_type ? v_cstr(mm->adapter_type) : v_none());
	value q = v_dict(a, 4);
	vdict_sets(q.dict, "database", v_bool(true));
	vdict_sets(q.dict, "schema", v_bool(true));
	vdict_sets(q.dict, "identifier", v_bool(true));
	vdict_sets(q.dict, "column", v_none());
	vdict_sets(meta.dict, "quoting", q);
	vdict_sets(meta.dict, "run_started_at", v_cstr(now));
	vdict_sets(top.dict, "metadata", meta);

	/* node ids are unique: the tables are filled without looking their keys up */
	value tabs[GTAB__COUNT];
	uint32_t count[GTAB__COUNT] = {0};
	for (uint32_t i = 0; i < m->n; i++)
		count[m->nodes[i]->table]++;
	for (int t = 0; t < GTAB__COUNT; t++)
		tabs[t] = table_dict(a, count[t]);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct gnode *g = m->nodes[i];
		table_add(tabs[g->table], &keys[i], g->raw.type == VT_DICT ? g->raw : v_dict(a, 0));
	}
	value macros = v_dict(a, m->nmacros + 1);
	for (uint32_t i = 0; i < m->nmacros; i++)
		vdict_sets(macros.dict, m->macros[i]->unique_id,
		           m->macros[i]->raw.type == VT_DICT ? m->macros[i]->raw : v_dict(a, 0));

	vdict_sets(top.dict, "nodes", tabs[GTAB_NODES]);
	vdict_sets(top.dict, "sources", tabs[GTAB_SOURCES]);
	vdict_sets(top.dict, "macros", macros);
	vdict_sets(top.dict, "docs", mm->docs.type == VT_DICT ? mm->docs : v_dict(a, 0));
	vdict_sets(top.dict, "exposures", tabs[GTAB_EXPOSURES]);
	vdict_sets(top.dict, "metrics", tabs[GTAB_METRICS]);
	vdict_sets(top.dict, "groups", v_dict(a, 0));
	vdict_sets(top.dict, "selectors", v_dict(a, 0));
	vdict_sets(top.dict, "disabled",
	           mm->disabled.type == VT_DICT ? mm->disabled : v_dict(a, 0));
	vdict_sets(rest.dict, "parent_map", v_none());
	vdict_sets(rest.dict, "child_map", v_none());
	vdict_sets(rest.dict, "group_map", v_dict(a, 0));
	vdict_sets(rest.dict, "saved_queries", tabs[GTAB_SAVED_QUERIES]);
	vdict_sets(rest.dict, "semantic_models", tabs[GTAB_SEMANTIC_MODELS]);
	vdict_sets(rest.dict, "unit_tests", tabs[GTAB_UNIT_TESTS]);
	vdict_sets(rest.dict, "functions", v_dict(a, 0));
	*head = top;
	*tail = rest;
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	return 0;
}

/* Artifacts this big keep their previous file for the next write (artifacts_commit_json). */
#define ARTIFACT_REUSE_MIN (1 << 20)

static void *close_fd(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

/* Lets go of the file replaced (fd, still open on it) on another thread: freeing the pages and
 * blocks of a big file (a 62 MB manifest: 0.05-0.09 s) happens when its last descriptor is
 * closed, and the caller has other work meanwhile. */
static void drop_replaced(int fd)
{
	pthread_t th;
	pthread_attr_t at;
	if (fd < 0)
		return;
	if (pthread_attr_init(&at) == 0) {
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&th, &at, close_fd, (void *)(intptr_t)fd);
		pthread_attr_destroy(&at);
		if (rc == 0)
			return;
	}
	close(fd);
}

/* path.tmp opened for writing (tmp gets its name), or -1 with the message on d. It is streamed
 * into and put in path's place at the end: the text of a big manifest is never held whole,
 * and a failed write leaves the previous file as it was. The temporary file may be the file
 * path held two writes ago (see artifacts_commit_json): it is written over from the start,
 * not truncated first, and cut to length at the end (tmp_close), so the pages the kernel
 * caches for it are written into, not freed and allocated again (a 65 MB manifest: 12 ms,
 * against 30 ms for a new file and freeing the old one). */
static int tmp_open(const char *path, struct buf *tmp, struct diag *d)
{
	buf_printf(tmp, "%s.tmp", path);
	int fd = -1;
	if (make_parent_dirs(path) == 0)
		fd = open(tmp->p, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write the file: %s",
		         strerror(errno));
	return fd;
}

/* The end of a write into tmp_open's file: rc < 0 when the JSON could not be written (err
 * says why); the file cut to what was written and closed, or removed after a failure. */
static int tmp_close(const char *path, const struct buf *tmp, int fd, int rc,
                     struct buf *err, struct diag *d)
{
	off_t len = 0;
	if (rc < 0) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write JSON: %s",
		         buf_cstr(err));
	} else if ((len = lseek(fd, 0, SEEK_CUR)) < 0 || ftruncate(fd, len) != 0) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write the file: %s",
		         strerror(errno));
		rc = -1;
	}
	if (close(fd) != 0 && rc == 0) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write the file: %s",
		         strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(tmp->p);
	return rc;
}

int artifacts_write_json_tmp(const char *path, value v, bool one_thread, struct diag *d)
{
	struct buf err = BUF_INIT, tmp = BUF_INIT;
	struct json_opts o = JSON_OPTS_INIT;
	o.err = &err;
	o.one_thread = one_thread;
	int fd = tmp_open(path, &tmp, d), rc = -1;
	if (fd >= 0)
		rc = tmp_close(path, &tmp, fd, json_write_fd(fd, v, &o), &err, d);
	buf_release(&tmp);
	buf_release(&err);
	return rc;
}

int artifacts_write_manifest(const char *path, const struct gmanifest *m,
                             const struct manifest_meta *mm, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct node_key *keys = node_keys(m);
	/* parent_map and child_map (a serial walk of every node: ~8 ms for 30,000) are built on a
	 * thread of their own while the entries before them, nodes first, are written */
	struct maps_job j = {.m = m, .keys = keys};
	arena_init(&j.a);
	struct par_task maps;
	par_spawn(&maps, build_maps, &j);
	value head, rest;
	manifest_parts(&a, m, mm, keys, &head, &rest);
	trace_phase("manifest: dict built");
	struct buf err = BUF_INIT, tmp = BUF_INIT;
	struct json_opts o = JSON_OPTS_INIT;
	o.err = &err;
	int fd = tmp_open(path, &tmp, d), rc = -1;
	if (fd >= 0) {
		o.no_close = true; /* one dict, in two writes */
		rc = json_write_fd(fd, head, &o);
	}
	trace_phase("manifest: nodes written");
	par_wait(&maps);
	trace_phase("manifest: maps built");
	if (rc == 0) {
		o.no_close = false;
		o.no_open = true;
		vdict_sets(rest.dict, "parent_map", j.parent_map);
		vdict_sets(rest.dict, "child_map", j.child_map);
		rc = json_write_fd(fd, rest, &o);
	}
	if (fd >= 0)
		rc = tmp_close(path, &tmp, fd, rc, &err, d);
	if (artifacts_commit_json(path, rc == 0, d) < 0)
		rc = -1;
	buf_release(&tmp);
	buf_release(&err);
	free(keys);
	arena_release(&j.a);
	arena_release(&a);
	return rc;
}

int artifacts_commit_json(const char *path, bool keep, struct diag *d)
{
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "%s.tmp", path);
	int rc = 0;
	if (!keep) {
		unlink(tmp.p);
	} else {
		/* a big file's previous version is kept as path.tmp, for the next write to fill in
		 * place (artifacts_write_json_tmp); a reader still holding it open sees it change
		 * then, two writes later (dbt itself rewrites its artifacts in place) */
		struct stat st;
		bool reuse = stat(tmp.p, &st) == 0 && st.st_size >= ARTIFACT_REUSE_MIN;
		/* else the file replaced is held open across the rename, so it is not freed by it */
		int old = reuse ? -1 : open(path, O_RDONLY | O_CLOEXEC);
		int swapped = reuse ? file_replace_keep(tmp.p, path) : file_replace(tmp.p, path);
		if (swapped < 0) {
			diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write the file: %s",
			         strerror(errno));
			unlink(tmp.p);
			rc = -1;
		}
		drop_replaced(old);
	}
	buf_release(&tmp);
	return rc;
}

int artifacts_write_json(const char *path, value v, struct diag *d)
{
	if (artifacts_write_json_tmp(path, v, false, d) < 0)
		return -1;
	return artifacts_commit_json(path, true, d);
}
