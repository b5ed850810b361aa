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

static int cmp_cstr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Sorted, deduplicated list of ids (sorted in place); `empty` when there are none: the
 * manifest value is only written, so one empty list serves every node without parents or
 * children. */
static value sorted_ids(struct arena *a, const char **ids, uint32_t n, value empty)
{
	if (!n)
		return empty;
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_cstr);
	value l = v_list(a, n);
	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || strcmp(ids[i], ids[i - 1]))
			vlist_push(l.list, v_cstr(ids[i]));
	return l;
}

/* The node's depends_on.nodes list when it already is its sorted parent list (a test's one
 * node, most models' refs): parent_map then shares it. Else undefined. */
static value depends_list(const struct gnode *g, const char *const *ids, uint32_t n)
{
	value dep, nodes;
	if (!n || g->raw.type != VT_DICT || !vdict_gets(g->raw.dict, STR("depends_on"), &dep) ||
	    dep.type != VT_DICT || !vdict_gets(dep.dict, STR("nodes"), &nodes) ||
	    nodes.type != VT_LIST || nodes.list->n != n)
		return v_undef();
	for (uint32_t i = 0; i < n; i++) {
		value x = nodes.list->v[i];
		if (x.type != VT_STR || !str_eqc(v_as_str(x), ids[i]) ||
		    (i && strcmp(ids[i - 1], ids[i]) >= 0))
			return v_undef();
	}
	return nodes;
}

value artifacts_manifest(struct arena *a, const struct gmanifest *m, const struct manifest_meta *mm)
{
	value top = v_dict(a, 20);
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

	value tabs[GTAB__COUNT];
	uint32_t count[GTAB__COUNT] = {0};
	for (uint32_t i = 0; i < m->n; i++)
		count[m->nodes[i]->table]++;
	for (int t = 0; t < GTAB__COUNT; t++)
		tabs[t] = v_dict(a, count[t]);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct gnode *g = m->nodes[i];
		vdict_sets(tabs[g->table].dict, g->unique_id,
		           g->raw.type == VT_DICT ? g->raw : v_dict(a, 0));
	}
	value macros = v_dict(a, m->nmacros + 1);
	for (uint32_t i = 0; i < m->nmacros; i++)
		vdict_sets(macros.dict, m->macros[i]->unique_id,
		           m->macros[i]->raw.type == VT_DICT ? m->macros[i]->raw : v_dict(a, 0));

	value parent_map = v_dict(a, m->n), empty = v_list(a, 0);
	value *children = arena_alloc(a, (m->n + 1) * sizeof(*children));
	const char **ids = xcalloc(m->n + 1, sizeof(*ids));
	for (uint32_t k = 0; k < m->n; k++) {
		const struct gnode *g = m->nodes[m->by_id ? m->by_id[k] : k];
		uint32_t n = 0;
		for (uint32_t j = 0; j < g->nparents; j++)
			ids[n++] = m->nodes[g->parents[j]]->unique_id;
		value same = depends_list(g, ids, n);
		vdict_sets(parent_map.dict, g->unique_id,
		           same.type == VT_LIST ? same : sorted_ids(a, ids, n, empty));
		n = 0;
		for (uint32_t j = 0; j < g->nchildren; j++)
			ids[n++] = m->nodes[g->children[j]]->unique_id;
		children[k] = sorted_ids(a, ids, n, empty);
	}
	free(ids);
	/* child_map has parent_map's keys in its order: it takes their hashes and shares the hash
	 * index (a full dict never writes its index; the manifest is only written) */
	value child_map = v_dict(a, 0);
	struct vdict *pm = parent_map.dict, *cm = child_map.dict;
	if (pm->n == m->n && pm->live == pm->n && pm->cap == pm->n && pm->icap) {
		cm->e = arena_alloc(a, (pm->n + 1) * sizeof(*cm->e));
		for (uint32_t k = 0; k < pm->n; k++)
			cm->e[k] = (struct ventry){pm->e[k].k, children[k], pm->e[k].hash};
		cm->n = cm->cap = cm->live = pm->n;
		cm->index = pm->index;
		cm->icap = pm->icap;
	} else {
		for (uint32_t k = 0; k < m->n; k++)
			vdict_sets(cm, m->nodes[m->by_id ? m->by_id[k] : k]->unique_id, children[k]);
	}

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
	vdict_sets(top.dict, "parent_map", parent_map);
	vdict_sets(top.dict, "child_map", child_map);
	vdict_sets(top.dict, "group_map", v_dict(a, 0));
	vdict_sets(top.dict, "saved_queries", tabs[GTAB_SAVED_QUERIES]);
	vdict_sets(top.dict, "semantic_models", tabs[GTAB_SEMANTIC_MODELS]);
	vdict_sets(top.dict, "unit_tests", tabs[GTAB_UNIT_TESTS]);
	vdict_sets(top.dict, "functions", v_dict(a, 0));
	return top;
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

int artifacts_write_json(const char *path, value v, struct diag *d)
{
	struct buf err = BUF_INIT, tmp = BUF_INIT;
	struct json_opts o = JSON_OPTS_INIT;
	o.err = &err;
	/* streamed into a temporary file renamed over path at the end: the text of a big manifest
	 * is never held whole, and a failed write leaves the previous file as it was */
	buf_printf(&tmp, "%s.tmp", path);
	int fd = -1;
	if (make_parent_dirs(path) == 0)
		fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	int rc = 0;
	if (fd < 0) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write the file: %s",
		         strerror(errno));
		rc = -1;
	} else if (json_write_fd(fd, v, &o) < 0) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write JSON: %s",
		         buf_cstr(&err));
		rc = -1;
	}
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write the file: %s",
		         strerror(errno));
		rc = -1;
	}
	/* the file replaced is held open across the rename, so it is not freed by the rename */
	int old = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (rc == 0 && rename(tmp.p, path) != 0) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot write the file: %s",
		         strerror(errno));
		rc = -1;
	}
	drop_replaced(old);
	if (rc < 0 && fd >= 0)
		unlink(tmp.p);
	buf_release(&tmp);
	buf_release(&err);
	return rc;
}
