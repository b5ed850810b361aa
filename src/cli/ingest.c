/* Ingestion: a target/ folder's manifest.json and run_results.json recorded in the metadata store
 * as a run of an environment (cli/jobs.h), and `silt ingest`:
 *
 *   silt ingest --env NAME [--job NAME] [--sha SHA] [--ci] [--store PATH] [--project-dir DIR]
 *               TARGET_DIR
 *
 * records artifacts produced elsewhere (by dbt itself, say) as a new, finished run. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A file's text for ingestion: mapped when nothing is to be masked (a 60 MB manifest is
 * otherwise copied, and its pages faulted in, for nothing), else read and masked. */
struct text {
	char *p; /* NULL: the file does not exist */
	size_t n;
	bool mapped;
};

static char *read_masked(const char *path, const struct store_effective *eff, size_t *len,
                         int *err, struct diag *d);

static void text_read(struct text *t, const char *path, const struct store_effective *eff,
                      int *err, struct diag *d)
{
	memset(t, 0, sizeof(*t));
	if (*err)
		return;
	if (!eff || !eff->nsecrets) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
			               0);
			if (m != MAP_FAILED) {
				close(fd);
				t->p = m;
				t->n = (size_t)st.st_size;
				t->mapped = true;
				return;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	t->p = read_masked(path, eff, &t->n, err, d);
}

static void text_free(struct text *t)
{
	if (t->mapped)
		munmap(t->p, t->n);
	else
		free(t->p);
	memset(t, 0, sizeof(*t));
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

/* The end of the string starting at p ('"'), or NULL: the next quote not escaped (an odd run of
 * backslashes before it escapes it). */
static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e;) {
		const char *q = memchr(p, '"', (size_t)(e - p));
		if (!q)
			return NULL;
		const char *b = q;
		while (b > p && b[-1] == '\\')
			b--;
		if (((q - b) & 1) == 0)
			return q + 1;
		p = q + 1;
	}
	return NULL;
}

/* bytes skip_value stops at inside objects and arrays */
static const unsigned char structural[256] = {
	['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3,
};

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
	while (p < e) {
		unsigned char k = structural[(unsigned char)*p];
		if (!k) {
			p++;
			continue;
		}
		if (k == 1) {
			p = skip_string(p, e);
			if (!p)
				return NULL;
			continue;
		}
		p++;
		if (k == 2)
			depth++;
		else if (--depth == 0)
			return p;
	}
	return NULL;
}

/* Walks the members of the object at *p, or (with close ']') the items of the array: 1 with
 * the next key (quotes included; none in arrays) and *p at its value, which the caller skips
 * (sets *p to its end), 0 at the end, -1 when malformed. *p must start at '{' or '[' on the
 * first call (state 0). */
static int next_lazy(const char **p, const char *e, int *state, char close, struct span *key)
{
	const char *q = skip_ws(*p, e);
	if (*state == 0) {
		if (q >= e || *q != (close == '}' ? '{' : '['))
			return -1;
		q = skip_ws(q + 1, e);
		*state = 1;
		if (q < e && *q == close) {
			*p = q + 1;
			return 0;
		}
	} else {
		if (q < e && *q == close) {
			*p = q + 1;
			return 0;
		}
		if (q >= e || *q != ',')
			return -1;
		q = skip_ws(q + 1, e);
	}
	if (close == '}') {
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
	}
	if (q >= e)
		return -1;
	*p = q;
	return 1;
}

/* As next_lazy, with the value skipped: 1 with the next key and value. */
static int obj_next(const char **p, const char *e, int *state, struct span *key, struct span *val)
{
	int r = next_lazy(p, e, state, '}', key);
	if (r != 1)
		return r;
	const char *v = skip_value(*p, e);
	if (!v)
		return -1;
	val->p = *p;
	val->n = (size_t)(v - *p);
	*p = v;
	return 1;
}

static int arr_next(const char **p, const char *e, int *state, struct span *val)
{
	struct span none;
	int r = next_lazy(p, e, state, ']', &none);
	if (r != 1)
		return r;
	const char *v = skip_value(*p, e);
	if (!v)
		return -1;
	val->p = *p;
	val->n = (size_t)(v - *p);
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

/* What ingestion reads of one node: its bytes in the file, without the created_at member
 * ([cut, cut + cutlen) of them), which changes at every parse, so a node that did not change
 * keeps its hash (and its blob) from one run to the next. */
struct mnode {
	const char *unique_id, *resource_type, *checksum, *database, *schema, *alias, *identifier;
	struct span node;
	size_t cut, cutlen;
	unsigned char hash[32];
	int64_t blob_id;
	struct store_node_info info;
};

/* The node whose object starts at obj.p (obj.n: the rest of the file); m->node gets its bytes. */
static int scan_node(struct arena *a, struct span key, struct span obj, struct mnode *m)
{
	memset(m, 0, sizeof(*m));
	m->unique_id = span_str(a, key);
	const char *p = obj.p, *e = obj.p + obj.n, *prev_end = NULL;
	const char *ca_key = NULL, *ca_end = NULL, *ca_prev = NULL, *ca_next = NULL;
	int state = 0, r;
	struct span k, v;
	while ((r = obj_next(&p, e, &state, &k, &v)) == 1) {
		if (ca_key && !ca_next && ca_end == prev_end)
			ca_next = k.p; /* the member after created_at */
		if (key_is(k, "resource_type"))
			m->resource_type = span_str(a, v);
		else if (key_is(k, "database"))
			m->database = span_str(a, v);
		else if (key_is(k, "schema"))
			m->schema = span_str(a, v);
		else if (key_is(k, "alias"))
			m->alias = span_str(a, v);
		else if (key_is(k, "identifier"))
			m->identifier = span_str(a, v);
		else if (key_is(k, "created_at") && !ca_key) {
			ca_key = k.p;
			ca_end = v.p + v.n;
			ca_prev = prev_end;
		} else if (key_is(k, "checksum") && v.n && v.p[0] == '{') {
			const char *cp = v.p;
			int cs = 0;
			struct span ck, cv;
			while (obj_next(&cp, v.p + v.n, &cs, &ck, &cv) == 1)
				if (key_is(ck, "checksum"))
					m->checksum = span_str(a, cv);
		}
		prev_end = v.p + v.n;
	}
	m->node = (struct span){ obj.p, (size_t)(p - obj.p) };
	/* what is cut leaves a JSON object: `"created_at": X, ` before another member, else
	 * `, "created_at": X` after one, else the member alone */
	if (ca_key) {
		const char *from = ca_next ? ca_key : ca_prev ? ca_prev : ca_key;
		const char *to = ca_next ? ca_next : ca_end;
		m->cut = (size_t)(from - obj.p);
		m->cutlen = (size_t)(to - from);
	}
	return r < 0 || !m->unique_id ? -1 : 0;
}

/* the definition state: every node of these (macros too: state:modified.macros needs them) */
static const char *const node_groups[] = { "nodes",          "sources",       "macros",
	                                   "exposures",      "metrics",       "semantic_models",
	                                   "saved_queries",  "unit_tests" };

/* Text between nodes at least this long is kept as a blob of its own. */
#define BIG_PIECE 65536

typedef VEC(struct mnode) mnodevec_t;
typedef VEC(struct store_node_ref) refvec_t;
typedef VEC(struct store_piece) piecevec_t;

/* The manifest's nodes (in mv, by unique_id in map), metadata.generated_at, and the text
 * between the nodes (pieces: text, or the index of a node in mv + 1 in blob_id). */
static int scan_manifest(struct arena *a, const char *path, const char *text, size_t len,
                         mnodevec_t *mv, struct map *byid, piecevec_t *pieces,
                         const char **generated_at, struct diag *d)
{
	const char *p = text, *e = text + len, *done = text;
	int state = 0, r;
	struct span k, v;
	*generated_at = NULL;
	/* one pass: the groups of nodes are walked in place, each node by scan_node */
	while ((r = next_lazy(&p, e, &state, '}', &k)) == 1) {
		size_t g = 0;
		while (g < ARRAY_LEN(node_groups) && !key_is(k, node_groups[g]))
			g++;
		if (g == ARRAY_LEN(node_groups) || *p != '{') {
			const char *end = skip_value(p, e);
			if (!end) {
				r = -1;
				break;
			}
			v = (struct span){ p, (size_t)(end - p) };
			p = end;
			if (key_is(k, "metadata") && v.p[0] == '{') {
				const char *mp = v.p;
				int ms = 0;
				struct span mk, mval;
				while (obj_next(&mp, v.p + v.n, &ms, &mk, &mval) == 1)
					if (key_is(mk, "generated_at"))
						*generated_at = span_str(a, mval);
			}
			continue;
		}
		int ns = 0, nr;
		struct span nk;
		while ((nr = next_lazy(&p, e, &ns, '}', &nk)) == 1) {
			struct mnode m;
			struct span nv = { p, (size_t)(e - p) };
			if (*p != '{' || scan_node(a, nk, nv, &m) < 0) {
				r = -1;
				break;
			}
			nv = m.node;
			p = nv.p + nv.n;
			if (!m.resource_type)
				m.resource_type = arena_strndup(a, node_groups[g], strlen(node_groups[g]) - 1);
			if (nv.p > done)
				vec_push(pieces, ((struct store_piece){ done, (size_t)(nv.p - done), 0, 0, 0 }));
			vec_push(pieces, ((struct store_piece){ NULL, 0, (int64_t)mv->n + 1, 0, 0 }));
			done = nv.p + nv.n;
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
	if (e > done)
		vec_push(pieces, ((struct store_piece){ done, (size_t)(e - done), 0, 0, 0 }));
	for (size_t i = 0; i < mv->n; i++)
		map_set(byid, (struct str){ mv->v[i].unique_id, strlen(mv->v[i].unique_id) },
		        &mv->v[i]);
	return 0;
}

/* Each node's blob: the one the environment's definition has when its hash is the same, else
 * found by its hash, else stored now with what comparison reads of it. */
static int store_nodes(struct store *s, const struct store_env *env, struct arena *a,
                       mnodevec_t *mv, struct map *known_out, struct diag *d)
{
	struct buf norm = BUF_INIT;
	struct map known;
	map_init(&known);
	int rc = store_defs_known(s, env->id, a, &known, d);
	*known_out = known;
	for (size_t i = 0; rc == 0 && i < mv->n; i++) {
		struct mnode *m = &mv->v[i];
		store_node_hash(m->node.p, m->node.n, m->cut, m->cutlen, m->hash);
		const struct store_node_ref *k = map_get(&known, str_from(m->unique_id));
		if (k && !memcmp(k->hash, m->hash, 32)) {
			m->blob_id = k->blob_id;
			m->info = k->info;
			continue;
		}
		int r = store_blob_find(s, m->hash, &m->blob_id, a, &m->info, d);
		if (r < 0) {
			rc = -1;
			break;
		}
		if (r == 1)
			continue;
		buf_reset(&norm);
		buf_append(&norm, m->node.p, m->cut);
		buf_append(&norm, m->node.p + m->cut + m->cutlen, m->node.n - m->cut - m->cutlen);
		if (cli_node_info(m->unique_id, m->resource_type, buf_cstr(&norm), norm.n, a, &m->info,
		                  d) < 0 ||
		    store_blob_put(s, m->hash, buf_cstr(&norm), norm.n, &m->info, &m->blob_id, d) < 0)
			rc = -1;
	}
	buf_release(&norm);
	return rc;
}

/* ---- run_results.json and node_vars.json, scanned the same way ---- */
struct rres {
	const char *unique_id, *status, *message, *started_at, *completed_at;
	double execution_time;
};
typedef VEC(struct rres) rresvec_t;

static void malformed(struct diag *d, const char *path, const char *text, const char *at)
{
	diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
	         "%s: not a well-formed JSON object (near byte %zu)", path, (size_t)(at - text));
}

/* The "execute" timing of a result (dbt's timing list), else "compile"'s start. */
static int result_times(struct arena *a, struct span t, struct rres *r)
{
	const char *p = t.p, *e = t.p + t.n;
	int st = 0, rc;
	struct span item;
	while ((rc = arr_next(&p, e, &st, &item)) == 1) {
		if (item.p[0] != '{')
			continue;
		const char *ip = item.p, *name = NULL, *started = NULL, *completed = NULL;
		int is = 0;
		struct span k, v;
		while (obj_next(&ip, item.p + item.n, &is, &k, &v) == 1) {
			if (key_is(k, "name"))
				name = span_str(a, v);
			else if (key_is(k, "started_at"))
				started = span_str(a, v);
			else if (key_is(k, "completed_at"))
				completed = span_str(a, v);
		}
		if (!name)
			continue;
		if (!r->started_at || !strcmp(name, "execute"))
			r->started_at = started;
		if (!strcmp(name, "execute") || !r->completed_at)
			r->completed_at = completed;
	}
	return rc;
}

static int scan_results(struct arena *a, const char *path, const char *text, size_t len,
                        rresvec_t *out, struct diag *d)
{
	const char *p = skip_ws(text, text + len), *e = text + len;
	if (p >= e || *p != '{') {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "%s: expected a JSON object", path);
		return -1;
	}
	int st = 0, r;
	struct span k, v, list = { NULL, 0 };
	while ((r = obj_next(&p, e, &st, &k, &v)) == 1)
		if (key_is(k, "results"))
			list = v;
	if (r < 0 || skip_ws(p, e) != e) {
		malformed(d, path, text, p);
		return -1;
	}
	if (!list.p || list.p[0] != '[') {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "%s: `results` is not a list; is this a dbt run_results.json?", path);
		return -1;
	}
	const char *lp = list.p;
	int ls = 0;
	struct span item;
	while ((r = arr_next(&lp, list.p + list.n, &ls, &item)) == 1) {
		struct rres x = { 0 };
		const char *ip = item.p;
		int is = 0, ir = item.p[0] == '{' ? 0 : -1;
		while (ir == 0 && (ir = obj_next(&ip, item.p + item.n, &is, &k, &v)) == 1) {
			ir = 0;
			if (key_is(k, "unique_id"))
				x.unique_id = span_str(a, v);
			else if (key_is(k, "status"))
				x.status = span_str(a, v);
			else if (key_is(k, "message"))
				x.message = span_str(a, v);
			else if (key_is(k, "execution_time") && v.n < 64 && v.p[0] != '"') {
				char num[64];
				memcpy(num, v.p, v.n);
				num[v.n] = 0;
				x.execution_time = strtod(num, NULL);
			} else if (key_is(k, "timing") && v.p[0] == '[')
				ir = result_times(a, v, &x) < 0 ? -1 : 0;
		}
		if (ir < 0) {
			malformed(d, path, text, ip);
			return -1;
		}
		vec_push(out, x);
	}
	if (r < 0) {
		malformed(d, path, text, lp);
		return -1;
	}
	return 0;
}

/* node_vars.json: unique_id -> the text of its {"var.x": ...} object (a slice of the file);
 * *every: the file is NODE_VARS_VERSION, which leaves out the nodes that read no var. */
static int scan_vars(struct arena *a, const char *path, const char *text, size_t len,
                     struct map *out, bool *every, struct diag *d)
{
	const char *p = text, *e = text + len;
	int st = 0, r;
	struct span k, v;
	while ((r = obj_next(&p, e, &st, &k, &v)) == 1) {
		if (key_is(k, "metadata") && v.p[0] == '{') {
			const char *mp = v.p;
			int ms = 0;
			struct span mk, mv;
			while (obj_next(&mp, v.p + v.n, &ms, &mk, &mv) == 1)
				if (key_is(mk, "silt_schema_version")) {
					const char *version = span_str(a, mv);
					*every = version && !strcmp(version, NODE_VARS_VERSION);
				}
			continue;
		}
		if (!key_is(k, "nodes") || v.p[0] != '{')
			continue;
		const char *np = v.p;
		int ns = 0, nr;
		struct span nk, nv;
		while ((nr = obj_next(&np, v.p + v.n, &ns, &nk, &nv)) == 1) {
			const char *uid = span_str(a, nk);
			if (uid && nv.p[0] == '{')
				map_set(out, str_from(uid), (void *)arena_strndup(a, nv.p, nv.n));
		}
		if (nr < 0)
			r = -1;
	}
	if (r < 0 || skip_ws(p, e) != e) {
		malformed(d, path, text, p);
		return -1;
	}
	return 0;
}

struct ordered {
	struct store_node_result r;
	size_t i;
};

static int cmp_result(const void *x, const void *y)
{
	const struct ordered *a = x, *b = y;
	int c = strcmp(a->r.unique_id, b->r.unique_id);
	return c ? c : (a->i > b->i) - (a->i < b->i); /* a node listed twice keeps its order */
}

/* The kinds node_vars.json covers: the manifest's nodes table. */
static bool in_nodes_table(const char *resource_type)
{
	int t = graph_type_parse(str_from(resource_type));
	return t >= 0 && graph_table_of((enum gtype)t) == GTAB_NODES;
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
	struct text mt, rt, vt;
	text_read(&mt, mpath, eff, &err, d);
	text_read(&rt, rpath, eff, &err, d);
	text_read(&vt, vpath, eff, &err, d);
	char *mtext = mt.p, *rtext = rt.p, *vtext = vt.p;
	mlen = mt.n, rlen = rt.n, vlen = vt.n;
	rresvec_t results = { 0 };
	struct map vars;
	map_init(&vars);
	bool vars_every = false;
	refvec_t defs = { 0 };
	mnodevec_t mv = { 0 };
	piecevec_t pieces = { 0 };
	struct map byid, known;
	map_init(&byid);
	map_init(&known);
	const char *generated_at = NULL;
	bool began = false;
	if (err)
		goto done;
	if (!mtext && !rtext) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "%s holds neither manifest.json nor run_results.json", target_dir);
		goto done;
	}
	if ((mtext && scan_manifest(&a, mpath, mtext, mlen, &mv, &byid, &pieces, &generated_at,
	                            d) < 0) ||
	    (rtext && scan_results(&a, rpath, rtext, rlen, &results, d) < 0) ||
	    (vtext && scan_vars(&a, vpath, vtext, vlen, &vars, &vars_every, d) < 0))
		goto done;
	if (mtext && !generated_at) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "%s: metadata.generated_at is missing; is this a dbt manifest?", mpath);
		goto done;
	}
	if (store_begin(s, d) < 0)
		goto done;
	began = true;
	/* the nodes' blobs: a node that did not change since it was last stored is not written */
	if (mtext && store_nodes(s, env, &a, &mv, &known, d) < 0)
		goto done;
	for (size_t i = 0; mtext && !is_ci && i < mv.n; i++) {
		struct mnode *m = &mv.v[i];
		struct store_node_ref x = { .unique_id = m->unique_id, .resource_type = m->resource_type,
			                    .checksum = m->checksum, .blob_id = m->blob_id,
			                    .info = m->info, .hash = m->hash };
		vec_push(&defs, x);
	}
	rc = 0;
	if (mtext && !is_ci)
		rc = store_defs_replace_refs(s, env->id, run_id, generated_at, defs.v, defs.n,
		                             &known, &stats->defs_replaced, d);
	stats->ndefs = defs.n;
	VEC(struct store_node_result) recs = { 0 };
	for (size_t i = 0; rc == 0 && i < results.n; i++) {
		const struct rres *res = &results.v[i];
		struct store_node_result r = { 0 };
		r.unique_id = res->unique_id;
		r.status = res->status;
		if (!r.unique_id || !r.status) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "%s: result %zu lacks its unique_id or status", rpath, i + 1);
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
		r.message = res->message;
		r.started_at = res->started_at;
		r.completed_at = res->completed_at;
		r.execution_time = res->execution_time;
		if (r.succeeded && m) {
			r.database = m->database;
			r.schema = m->schema;
			r.identifier = m->alias ? m->alias : m->identifier;
			r.checksum = m->checksum;
			r.blob_id = m->blob_id;
			r.info = m->info;
			r.vars = map_get(&vars, str_from(r.unique_id));
			if (!r.vars && vars_every && in_nodes_table(r.resource_type))
				r.vars = "{}";
		}
		vec_push(&recs, r);
		stats->nresults++;
		stats->nfailed += !strcmp(r.status, "error") || !strcmp(r.status, "fail") ||
		                  !strcmp(r.status, "runtime error");
	}
	/* in unique_id order: the applied state's rows and the history's index are visited in their
	 * own order, not at random */
	if (rc == 0 && recs.n > 1) {
		struct ordered *o = xmalloc(recs.n * sizeof(*o));
		for (size_t i = 0; i < recs.n; i++)
			o[i] = (struct ordered){ recs.v[i], i };
		qsort(o, recs.n, sizeof(*o), cmp_result);
		for (size_t i = 0; i < recs.n; i++)
			recs.v[i] = o[i].r;
		free(o);
	}
	if (rc == 0 && recs.n)
		rc = store_node_record_all(s, is_ci ? 0 : env->id, run_id, step_id, recs.v, recs.n, d);
	vec_free(&recs);
	if (rc == 0 && mtext) { /* the manifest: its text between nodes, and the nodes' blobs */
		for (size_t i = 0; rc == 0 && i < pieces.n; i++) {
			struct store_piece *pc = &pieces.v[i];
			if (!pc->blob_id && pc->len >= BIG_PIECE) {
				/* parent_map, child_map...: a blob too, the same from run to run */
				unsigned char h[32];
				store_node_hash(pc->text, pc->len, 0, 0, h);
				rc = store_blob_put(s, h, pc->text, pc->len, NULL, &pc->blob_id, d);
				pc->blob_len = pc->len;
				pc->len = 0;
				continue;
			}
			if (!pc->blob_id)
				continue;
			const struct mnode *m = &mv.v[pc->blob_id - 1];
			*pc = (struct store_piece){ m->node.p + m->cut, m->cutlen, m->blob_id, m->cut,
				                    m->node.n - m->cutlen };
		}
		struct store_artifact art = { .run_id = run_id, .step_id = step_id,
			                      .path = "manifest.json" };
		if (rc == 0)
			rc = store_artifact_put_pieces(s, &art, pieces.v, pieces.n, d);
	}
	if (rc == 0 && rtext)
		rc = put_artifact(s, run_id, step_id, "run_results.json", rtext, rlen, d);
	if (rc == 0)
		rc = store_commit(s, d); /* which rolls back when it fails */
	else
		store_rollback(s);
	began = false;
done:
	if (began) {
		store_rollback(s);
		rc = -1;
	}
	vec_free(&defs);
	vec_free(&results);
	map_release(&vars);
	vec_free(&mv);
	vec_free(&pieces);
	map_release(&byid);
	map_release(&known);
	text_free(&mt);
	text_free(&rt);
	text_free(&vt);
	arena_release(&a);
	return rc;
}

int cli_keep_artifacts(struct store *s, int64_t run_id, int64_t step_id, const char *target_dir,
                       double since, const struct store_effective *eff, struct diag *d)
{
	static const char *const names[] = { "manifest.json", "run_results.json", "catalog.json",
		                             "sources.json", "semantic_manifest.json" };
	int rc = 0;
	/* what ingestion kept already (the manifest as pieces) is not kept again */
	struct arena a;
	arena_init(&a);
	struct store_artifact *have = NULL;
	size_t nhave = 0;
	if (store_artifact_list(s, run_id, false, &a, &have, &nhave, d) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < ARRAY_LEN(names); i++) {
		bool kept = false;
		for (size_t k = 0; k < nhave && !kept; k++)
			kept = have[k].step_id == step_id && !strcmp(have[k].path, names[i]);
		if (kept)
			continue;
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
	arena_release(&a);
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
	bool failed = st.nfailed > 0;
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
