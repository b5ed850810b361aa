/* Ingestion: a target/ folder's manifest.json and run_results.json recorded in the metadata store
 * as a run of an environment (cli/jobs.h), and `silt ingest`:
 *
 *   silt ingest --env NAME [--job NAME] [--sha SHA] [--ci] [--store PATH] [--project-dir DIR]
 *               TARGET_DIR
 *
 * records artifacts produced elsewhere (by dbt itself, say) as a new, finished run. */
#include <errno.h>
#include <sys/stat.h>

#include "jobs.h"
#include "json/json.h"

struct cli_job_ctx *cli_job_current;

static char *strf(const char *fmt, ...) SILT_PRINTF(1, 2);
static char *strf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b, NULL);
}

void cli_print_diag_as(const char *cmd, const struct diag *d)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->msgs.n; i++) {
		buf_reset(&b);
		diag_format_msg(&d->msgs.v[i], &b);
		fprintf(stderr, "silt %s: %s\n", cmd, buf_cstr(&b));
	}
	buf_release(&b);
}

struct store *cli_store_open(const char *cmd, const char *explicit_path, const char *project_dir)
{
	struct diag d;
	diag_init(&d);
	struct buf path = BUF_INIT;
	struct store *s = NULL;
	if (store_locate(explicit_path, project_dir, &path, &d) == 0)
		s = store_open(buf_cstr(&path), NULL, &d);
	cli_print_diag_as(cmd, &d);
	diag_release(&d);
	buf_release(&path);
	return s;
}

/* The file's text with secrets masked; NULL (not an error) when it does not exist. */
static char *read_masked(const char *path, const struct store_effective *eff, size_t *len,
                         int *err, struct diag *d)
{
	char *text = file_read_all(path, len);
	if (!text) {
		if (errno != ENOENT) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot read %s: %s", path,
			         strerror(errno));
			*err = 1;
		}
		return NULL;
	}
	if (eff && eff->nsecrets) {
		struct buf b = BUF_INIT;
		store_mask_secrets(eff, (struct str){ text, *len }, &b);
		free(text);
		*len = b.n;
		text = buf_detach(&b, NULL);
	}
	return text;
}

static const char *json_text(struct arena *a, value v)
{
	if (v.type == VT_NONE || v_is_undef(v))
		return NULL;
	struct json_opts o = JSON_OPTS_INIT;
	o.ensure_ascii = false;
	o.item_sep = ",";
	o.key_sep = ":";
	struct buf b = BUF_INIT;
	const char *r = json_write(&b, v, &o) == 0 ? arena_strndup(a, b.p, b.n) : NULL;
	buf_release(&b);
	return r;
}

static const char *str_item(value d, const char *key)
{
	if (d.type != VT_DICT)
		return NULL;
	value v = v_item(d, key);
	return v_is_str(v) ? v_item_str(d, key) : NULL;
}

/* ---- the manifest, scanned in place ----
 * A 10,000-model manifest is some 60 MB; building values for all of it costs more than the rest
 * of ingestion together. Ingestion needs each node's JSON (a slice of the file, whitespace dropped),
 * its config (a slice too) and a few strings, so the text is walked, not parsed: values are
 * skipped by matching brackets outside strings, and only the small strings are decoded. */
struct span {
	const char *p;
	size_t n;
};

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* The end of the string starting at p ('"'), or NULL. */
static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the value starting at p, or NULL when it is malformed. */
static const char *skip_value(const char *p, const char *e)
{
	if (p >= e)
		return NULL;
	if (*p == '"')
		return skip_string(p, e);
	if (*p != '{' && *p != '[') {
		const char *q = p;
		while (q < e && !strchr(",}] \n\r\t", *q))
			q++;
		return q > p ? q : NULL;
	}
	int depth = 0;
	for (; p < e; p++) {
		if (*p == '"') {
			p = skip_string(p, e);
			if (!p)
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

/* Walks the members of the object at *p: 1 with the next key (quotes included) and value, 0 at
 * its end, -1 when malformed. *p must start at '{' on the first call (state 0). */
static int obj_next(const char **p, const char *e, int *state, struct span *key, struct span *val)
{
	const char *q = skip_ws(*p, e);
	if (*state == 0) {
		if (q >= e || *q != '{')
			return -1;
		q = skip_ws(q + 1, e);
		*state = 1;
		if (q < e && *q == '}') {
			*p = q + 1;
			return 0;
		}
	} else {
		if (q < e && *q == '}') {
			*p = q + 1;
			return 0;
		}
		if (q >= e || *q != ',')
			return -1;
		q = skip_ws(q + 1, e);
	}
	if (q >= e || *q != '"')
		return -1;
	const char *k = skip_string(q, e);
	if (!k)
		return -1;
	key->p = q;
	key->n = (size_t)(k - q);
	q = skip_ws(k, e);
	if (q >= e || *q != ':')
		return -1;
	q = skip_ws(q + 1, e);
	const char *v = skip_value(q, e);
	if (!v)
		return -1;
	val->p = q;
	val->n = (size_t)(v - q);
	*p = v;
	return 1;
}

static bool key_is(struct span k, const char *name)
{
	size_t n = strlen(name);
	return k.n == n + 2 && !memcmp(k.p + 1, name, n);
}

/* A JSON string's text (decoded when it holds escapes), NULL when v is not a string. */
static const char *span_str(struct arena *a, struct span v)
{
	if (!v.n || v.p[0] != '"')
		return NULL;
	if (!memchr(v.p, '\\', v.n))
		return arena_strndup(a, v.p + 1, v.n - 2);
	value x;
	struct diag d;
	diag_init(&d);
	const char *r = json_parse(a, NULL, v.p, v.n, &x, &d) == 0 && v_is_str(x)
	                    ? arena_strndup(a, x.s, x.len)
	                    : NULL;
	diag_release(&d);
	return r;
}

/* The JSON text of v without the whitespace outside strings (manifests are written with ", "
 * and ": "), NUL-terminated in a. */
static const char *span_compact(struct arena *a, struct span v)
{
	char *out = arena_alloc(a, v.n + 1), *o = out;
	const char *p = v.p, *e = v.p + v.n;
	while (p < e) {
		if (*p == '"') {
			const char *q = skip_string(p, e);
			if (!q)
				q = e;
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
		} else {
			if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
				*o++ = *p;
			p++;
		}
	}
	*o = 0;
	return out;
}

/* What ingestion reads of one node. */
struct mnode {
	const char *unique_id, *resource_type, *checksum, *database, *schema, *alias, *identifier;
	struct span node, config;
};

static int scan_node(struct arena *a, struct span key, struct span obj, struct mnode *m)
{
	memset(m, 0, sizeof(*m));
	m->unique_id = span_str(a, key);
	m->node = obj;
	const char *p = obj.p, *e = obj.p + obj.n;
	int state = 0, r;
	struct span k, v;
	while ((r = obj_next(&p, e, &state, &k, &v)) == 1) {
		if (key_is(k, "resource_type"))
			m->resource_type = span_str(a, v);
		else if (key_is(k, "config"))
			m->config = v;
		else if (key_is(k, "database"))
			m->database = span_str(a, v);
		else if (key_is(k, "schema"))
			m->schema = span_str(a, v);
		else if (key_is(k, "alias"))
			m->alias = span_str(a, v);
		else if (key_is(k, "identifier"))
			m->identifier = span_str(a, v);
		else if (key_is(k, "checksum") && v.n && v.p[0] == '{') {
			const char *cp = v.p;
			int cs = 0;
			struct span ck, cv;
			while (obj_next(&cp, v.p + v.n, &cs, &ck, &cv) == 1)
				if (key_is(ck, "checksum"))
					m->checksum = span_str(a, cv);
		}
	}
	return r < 0 || !m->unique_id ? -1 : 0;
}

/* the definition state: every node of these (macros too: state:modified.macros needs them) */
static const char *const node_groups[] = { "nodes",          "sources",       "macros",
	                                   "exposures",      "metrics",       "semantic_models",
	                                   "saved_queries",  "unit_tests" };

typedef VEC(struct mnode) mnodevec_t;
typedef VEC(struct store_node_def) defvec_t;

/* The manifest's nodes (in mv, by unique_id in map) and metadata.generated_at. */
static int scan_manifest(struct arena *a, const char *path, const char *text, size_t len,
                         mnodevec_t *mv, struct map *byid, const char **generated_at,
                         struct diag *d)
{
	const char *p = text, *e = text + len;
	int state = 0, r;
	struct span k, v;
	*generated_at = NULL;
	while ((r = obj_next(&p, e, &state, &k, &v)) == 1) {
		if (key_is(k, "metadata") && v.p[0] == '{') {
			const char *mp = v.p;
			int ms = 0;
			struct span mk, mval;
			while (obj_next(&mp, v.p + v.n, &ms, &mk, &mval) == 1)
				if (key_is(mk, "generated_at"))
					*generated_at = span_str(a, mval);
			continue;
		}
		size_t g = 0;
		while (g < ARRAY_LEN(node_groups) && !key_is(k, node_groups[g]))
			g++;
		if (g == ARRAY_LEN(node_groups) || v.p[0] != '{')
			continue;
		const char *np = v.p;
		int ns = 0, nr;
		struct span nk, nv;
		while ((nr = obj_next(&np, v.p + v.n, &ns, &nk, &nv)) == 1) {
			struct mnode m;
			if (nv.p[0] != '{' || scan_node(a, nk, nv, &m) < 0) {
				r = -1;
				break;
			}
			if (!m.resource_type)
				m.resource_type = arena_strndup(a, node_groups[g], strlen(node_groups[g]) - 1);
			vec_push(mv, m);
		}
		if (nr < 0)
			r = -1;
		if (r < 0)
			break;
	}
	if (r < 0 || skip_ws(p, e) != e) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "%s: not a well-formed JSON object (near byte %zu)", path, (size_t)(p - text));
		return -1;
	}
	for (size_t i = 0; i < mv->n; i++)
		map_set(byid, (struct str){ mv->v[i].unique_id, strlen(mv->v[i].unique_id) },
		        &mv->v[i]);
	return 0;
}

/* The "execute" timing of a result (dbt's timing list), else "compile"'s start. */
static void result_times(value res, const char **started, const char **completed)
{
	*started = *completed = NULL;
	value t = v_item(res, "timing");
	if (t.type != VT_LIST)
		return;
	for (uint32_t i = 0; i < t.list->n; i++) {
		value x = t.list->v[i];
		const char *name = str_item(x, "name");
		if (!name)
			continue;
		if (!*started || !strcmp(name, "execute"))
			*started = str_item(x, "started_at");
		if (!strcmp(name, "execute") || !*completed)
			*completed = str_item(x, "completed_at");
	}
}

static bool status_succeeded(const char *st)
{
	return st && (!strcmp(st, "success") || !strcmp(st, "pass") || !strcmp(st, "warn"));
}

static int put_artifact(struct store *s, int64_t run_id, int64_t step_id, const char *name,
                        const char *text, size_t len, struct diag *d)
{
	struct store_artifact art = { .run_id = run_id, .step_id = step_id, .path = name,
		                      .content = text, .len = len };
	return store_artifact_put(s, &art, d);
}

int cli_ingest(struct store *s, const struct store_env *env, int64_t run_id, int64_t step_id,
               bool is_ci, const char *target_dir, const struct store_effective *eff,
               struct ingest_stats *stats, struct diag *d)
{
	struct ingest_stats none;
	if (!stats)
		stats = &none;
	memset(stats, 0, sizeof(*stats));
	struct arena a;
	arena_init(&a);
	int err = 0, rc = -1;
	size_t mlen = 0, rlen = 0, vlen = 0;
	char *mpath = arena_printf(&a, "%s/manifest.json", target_dir);
	char *rpath = arena_printf(&a, "%s/run_results.json", target_dir);
	char *vpath = arena_printf(&a, "%s/node_vars.json", target_dir);
	char *mtext = read_masked(mpath, eff, &mlen, &err, d);
	char *rtext = err ? NULL : read_masked(rpath, eff, &rlen, &err, d);
	char *vtext = err ? NULL : read_masked(vpath, eff, &vlen, &err, d);
	value results = v_none(), vars = v_none();
	defvec_t defs = { 0 };
	mnodevec_t mv = { 0 };
	struct map byid;
	map_init(&byid);
	const char *generated_at = NULL;
	if (err)
		goto done;
	if (!mtext && !rtext) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "%s holds neither manifest.json nor run_results.json", target_dir);
		goto done;
	}
	if ((mtext && scan_manifest(&a, mpath, mtext, mlen, &mv, &byid, &generated_at, d) < 0) ||
	    (rtext && json_parse(&a, rpath, rtext, rlen, &results, d) < 0) ||
	    (vtext && json_parse(&a, vpath, vtext, vlen, &vars, d) < 0))
		goto done;
	if (rtext && results.type != VT_DICT) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "%s: expected a JSON object", rpath);
		goto done;
	}
	if (mtext && !generated_at) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "%s: metadata.generated_at is missing; is this a dbt manifest?", mpath);
		goto done;
	}
	value list = rtext ? v_item(results, "results") : v_none();
	if (rtext && list.type != VT_LIST) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "%s: `results` is not a list; is this a dbt run_results.json?", rpath);
		goto done;
	}
	for (size_t i = 0; mtext && !is_ci && i < mv.n; i++) {
		struct mnode *m = &mv.v[i];
		struct store_node_def x = { .unique_id = m->unique_id, .resource_type = m->resource_type,
			                    .checksum = m->checksum };
		x.node = span_compact(&a, m->node);
		x.config = m->config.n ? span_compact(&a, m->config) : NULL;
		vec_push(&defs, x);
	}
	value node_vars = v_item(vars, "nodes");
	if (store_begin(s, d) < 0)
		goto done;
	rc = 0;
	if (mtext && !is_ci)
		rc = store_defs_replace(s, env->id, run_id, generated_at, defs.v, defs.n,
		                        &stats->defs_replaced, d);
	stats->ndefs = defs.n;
	for (uint32_t i = 0; rc == 0 && list.type == VT_LIST && i < list.list->n; i++) {
		value res = list.list->v[i];
		struct store_node_result r = { 0 };
		r.unique_id = str_item(res, "unique_id");
		r.status = str_item(res, "status");
		if (!r.unique_id || !r.status) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "%s: result %u lacks its unique_id or status", rpath, i + 1);
			rc = -1;
			break;
		}
		struct mnode *m = map_get(&byid, (struct str){ r.unique_id, strlen(r.unique_id) });
		r.resource_type = m ? m->resource_type : NULL;
		if (!r.resource_type) {
			const char *dot = strchr(r.unique_id, '.');
			r.resource_type = dot ? arena_strndup(&a, r.unique_id, (size_t)(dot - r.unique_id))
			                      : "unknown";
		}
		r.succeeded = status_succeeded(r.status);
		r.message = str_item(res, "message");
		result_times(res, &r.started_at, &r.completed_at);
		value et = v_item(res, "execution_time");
		r.execution_time = et.type == VT_FLOAT ? et.f : et.type == VT_INT ? (double)et.i : 0;
		if (r.succeeded && m) {
			r.database = m->database;
			r.schema = m->schema;
			r.identifier = m->alias ? m->alias : m->identifier;
			r.checksum = m->checksum;
			r.config = m->config.n ? span_compact(&a, m->config) : NULL;
			r.node = span_compact(&a, m->node);
			if (node_vars.type == VT_DICT)
				r.vars = json_text(&a, v_item(node_vars, r.unique_id));
		}
		rc = store_node_record(s, is_ci ? 0 : env->id, run_id, step_id, &r, d);
		stats->nresults++;
	}
	if (rc == 0 && mtext)
		rc = put_artifact(s, run_id, step_id, "manifest.json", mtext, mlen, d);
	if (rc == 0 && rtext)
		rc = put_artifact(s, run_id, step_id, "run_results.json", rtext, rlen, d);
	if (rc == 0)
		rc = store_commit(s, d);
	else
		store_rollback(s);
done:
	vec_free(&defs);
	vec_free(&mv);
	map_release(&byid);
	free(mtext);
	free(rtext);
	free(vtext);
	arena_release(&a);
	return rc;
}

int cli_keep_artifacts(struct store *s, int64_t run_id, int64_t step_id, const char *target_dir,
                       double since, const struct store_effective *eff, struct diag *d)
{
	static const char *const names[] = { "manifest.json", "run_results.json", "catalog.json",
		                             "sources.json", "semantic_manifest.json" };
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < ARRAY_LEN(names); i++) {
		char *path = strf("%s/%s", target_dir, names[i]);
		struct stat sb;
		if (stat(path, &sb) == 0 &&
		    (double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec / 1e9 >= since) {
			size_t len;
			int err = 0;
			char *text = read_masked(path, eff, &len, &err, d);
			if (text)
				rc = put_artifact(s, run_id, step_id, names[i], text, len, d);
			else if (err)
				rc = -1;
			free(text);
		}
		free(path);
	}
	return rc;
}

/* ---- silt ingest ---- */
static const char ingest_usage[] =
    "usage: silt ingest --env NAME [--job NAME] [--sha SHA] [--ci] [--store PATH]\n"
    "                   [--project-dir DIR] TARGET_DIR\n"
    "  records TARGET_DIR/manifest.json and run_results.json (e.g. written by dbt) as a run\n"
    "  of the environment; --ci records results without touching its applied state\n";

int cmd_ingest(int argc, char **argv)
{
	const char *env_name = NULL, *store_path = NULL, *project_dir = NULL, *dir = NULL;
	const char *job_name = NULL, *sha = NULL;
	bool ci = false;
	for (int i = 1; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--env")           ? &env_name
		                    : !strcmp(argv[i], "--store")       ? &store_path
		                    : !strcmp(argv[i], "--project-dir") ? &project_dir
		                    : !strcmp(argv[i], "--job")         ? &job_name
		                    : !strcmp(argv[i], "--sha")         ? &sha
		                                                        : NULL;
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "silt ingest: %s needs a value\n%s", argv[i], ingest_usage);
				return 2;
			}
			*slot = argv[++i];
		} else if (!strcmp(argv[i], "--ci")) {
			ci = true;
		} else if (argv[i][0] == '-' || dir) {
			fprintf(stderr, "silt ingest: unexpected argument '%s'\n%s", argv[i], ingest_usage);
			return 2;
		} else {
			dir = argv[i];
		}
	}
	if (!env_name || !dir) {
		fprintf(stderr, "silt ingest: %s\n%s", !env_name ? "--env NAME is required"
		                                                 : "which target folder? (TARGET_DIR)",
		        ingest_usage);
		return 2;
	}
	struct store *s = cli_store_open("ingest", store_path, project_dir);
	if (!s)
		return 2;
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	int rc = 1;
	struct store_env env;
	struct store_run run = { .status = SST_RUNNING, .trigger = "ingest", .is_ci = ci };
	struct ingest_stats st;
	char *cmd = strf("silt ingest %s", dir);
	run.command = cmd;
	run.git_sha = sha;
	if (store_env_get(s, env_name, &a, &env, &d) < 0)
		goto done;
	run.env_id = env.id;
	if (job_name) { /* a run of that job (which must belong to the environment) */
		struct store_job j;
		if (store_job_get(s, job_name, &a, &j, &d) < 0)
			goto done;
		run.job_id = j.id;
	}
	if (store_run_create(s, &run, &d) < 0)
		goto done;
	if (cli_ingest(s, &env, run.id, 0, ci, dir, NULL, &st, &d) < 0) {
		struct diag ignore;
		diag_init(&ignore);
		store_run_set_status(s, run.id, SST_ERROR, "ingestion failed", &ignore);
		diag_release(&ignore);
		goto done;
	}
	/* the run's status is the invocation's: error when any node errored or failed */
	rc = 0;
	struct store_history *h;
	size_t nh;
	bool failed = false;
	if (store_history_list(s, NULL, run.id, &a, &h, &nh, &d) == 0)
		for (size_t i = 0; i < nh; i++)
			failed |= !strcmp(h[i].status, "error") || !strcmp(h[i].status, "fail") ||
			          !strcmp(h[i].status, "runtime error");
	if (store_run_set_status(s, run.id, failed ? SST_ERROR : SST_SUCCESS,
	                         failed ? "a node errored or failed" : NULL, &d) < 0)
		rc = 1;
	if (rc == 0)
		printf("Ingested %s as run %lld of environment '%s': %zu results%s\n", dir,
		       (long long)run.id, env.name, st.nresults,
		       ci ? " (CI: applied state untouched)"
		       : st.defs_replaced ? ", definition state replaced"
		                          : ", definition state kept (newer than this manifest)");
done:
	free(cmd);
	cli_print_diag_as("ingest", &d);
	diag_release(&d);
	arena_release(&a);
	store_close(s);
	return rc;
}

const char *cli_stdin_value(const char *v, struct arena *a)
{
	if (!v || strcmp(v, "-"))
		return v;
	struct buf b = BUF_INIT;
	int c;
	while ((c = getchar()) != EOF && c != '\n')
		buf_putc(&b, (char)c);
	if (b.n && b.p[b.n - 1] == '\r')
		b.n--;
	const char *r = arena_strndup(a, buf_cstr(&b), b.n);
	buf_release(&b);
	return r;
}
