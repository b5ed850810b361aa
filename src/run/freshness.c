/* dbt's source freshness task (see freshness.h). */
#include "freshness.h"

#include <pthread.h>
#include <time.h>

#include "adapter/adapter.h"
#include "artifacts/artifacts.h"
#include "comment.h"
#include "compile.h"
#include "console.h"
#include "run.h"
#include "task.h"
#include "hooks.h"
#include "value/datetime.h"

enum fstatus { FS_PASS, FS_WARN, FS_ERROR, FS_RUNTIME };
static const char *const fstatus_names[] = { "pass", "warn", "error", "runtime error" };

/* One source's check: its settings (read before the run) and what it found. */
struct check {
	struct gnode *g;
	const char *loaded_at_field, *loaded_at_query, *filter;
	int64_t warn_s, error_s; /* thresholds in seconds; -1 = none */
	value criteria;          /* sources.json's criteria, built in the task arena */
	enum fstatus status;
	char *error;             /* runtime error text */
	char *max_loaded_at, *snapshotted_at; /* ISO 8601, UTC */
	double age;
	char *response;
	int64_t rows_affected;
	struct timespec c0, c1, e0, e1;
	int thread;
};

struct ftask {
	struct project *p;
	struct parse_result *r;
	struct adapter *ad;
	struct adapter_conn **conns;
	int threads;
	struct node_compiler nc;
	struct query_comment qc;
	pthread_mutex_t render_mu;
	struct console con;
	struct check *checks;
	int32_t *slot; /* manifest idx -> position in checks */
	size_t *done_order, ndone;
};

/* ---- settings ---- */

/* config.<key> when set (dbt 1.9+ accepts freshness and loaded_at_field under config:), else
 * the top-level <key> */
static value setting(const struct gnode *g, const char *key)
{
	value v = v_item(g->config, key);
	if (v.type == VT_UNDEF || v.type == VT_NONE)
		v = v_item(g->raw, key);
	return v;
}

/* A Time ({count, period}) in seconds, or -1 when count or period is missing. */
static int64_t time_secs(value t)
{
	value c = v_item(t, "count");
	const char *p = v_item_str(t, "period");
	if (c.type != VT_INT || !p)
		return -1;
	int64_t unit = !strcmp(p, "minute") ? 60 : !strcmp(p, "hour") ? 3600 : !strcmp(p, "day") ? 86400 : 0;
	return unit ? c.i * unit : -1;
}

bool freshness_applies(const struct gnode *g)
{
	if (g->type != GT_SOURCE || !g->enabled)
		return false;
	value f = setting(g, "freshness");
	return f.type == VT_DICT &&
	       (time_secs(v_item(f, "warn_after")) >= 0 || time_secs(v_item(f, "error_after")) >= 0);
}

/* {count, period} as dbt writes a Time: both keys, null when unset */
static value time_value(struct arena *a, value t)
{
	value out = v_dict(a, 2), c = v_item(t, "count"), p = v_item(t, "period");
	vdict_sets(out.dict, "count", c.type == VT_INT ? c : v_none());
	vdict_sets(out.dict, "period", p.type == VT_STR ? p : v_none());
	return out;
}

static void check_init(struct check *c, struct gnode *g, struct arena *a)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
	value f = setting(g, "freshness");
	value laf = setting(g, "loaded_at_field"), laq = setting(g, "loaded_at_query");
	c->loaded_at_field = laf.type == VT_STR ? laf.s : NULL;
	c->loaded_at_query = laq.type == VT_STR ? laq.s : NULL;
	value filter = v_item(f, "filter");
	c->filter = filter.type == VT_STR ? filter.s : NULL;
	c->warn_s = time_secs(v_item(f, "warn_after"));
	c->error_s = time_secs(v_item(f, "error_after"));
	c->criteria = v_dict(a, 3);
	vdict_sets(c->criteria.dict, "warn_after", time_value(a, v_item(f, "warn_after")));
	vdict_sets(c->criteria.dict, "error_after", time_value(a, v_item(f, "error_after")));
	vdict_sets(c->criteria.dict, "filter", filter.type == VT_STR ? filter : v_none());
}

/* ---- timestamps ---- */

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* ISO 8601 as databases print timestamps: YYYY-MM-DD[( |T)HH:MM[:SS[.f…]]][Z|±HH[:MM]]. A
 * value without a zone is taken to be UTC, as dbt's _utc() does. */
static bool parse_timestamp(const char *s, struct vdatetime *dt)
{
	memset(dt, 0, sizeof(*dt));
	dt->has_time = true;
	size_t n = strlen(s);
	if (n < 10 || !digits(s, 4, &dt->year) || s[4] != '-' || !digits(s + 5, 2, &dt->month) ||
	    s[7] != '-' || !digits(s + 8, 2, &dt->day))
		return false;
	const char *p = s + 10;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (!digits(p, 2, &dt->hour) || p[2] != ':' || !digits(p + 3, 2, &dt->minute))
			return false;
		p += 5;
		if (*p == ':') {
			if (!digits(p + 1, 2, &dt->second))
				return false;
			p += 3;
			if (*p == '.') {
				p++;
				int us = 0, k = 0;
				for (; *p >= '0' && *p <= '9'; p++, k++)
					if (k < 6)
						us = us * 10 + (*p - '0');
				if (!k)
					return false;
				for (; k < 6; k++)
					us *= 10;
				dt->microsecond = us;
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		dt->has_tz = true;
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, hh, mm = 0;
		if (!digits(p + 1, 2, &hh))
			return false;
		p += 3;
		if (*p == ':')
			p++;
		if (*p && !digits(p, 2, &mm))
			return false;
		if (*p)
			p += 2;
		dt->has_tz = true;
		dt->utcoffset = sign * (hh * 60 + mm);
	}
	if (*p)
		return false;
	struct buf why = BUF_INIT;
	int rc = datetime_check(dt, &why);
	buf_release(&why);
	return rc == 0;
}

/* The value as microseconds since 0001-01-01 UTC and its ISO text ("+00:00", as Python's
 * isoformat of an aware UTC datetime); false when it is not a timestamp. */
static bool utc_of(value v, int64_t *us, char **iso)
{
	struct vdatetime dt;
	const struct vdatetime *given = v_as_datetime(v);
	if (given)
		dt = *given;
	else if (v.type != VT_STR || !parse_timestamp(v.s, &dt))
		return false;
	dt.has_time = true;
	*us = datetime_ordinal_us(&dt);
	struct vdatetime u;
	datetime_from_ordinal_us(*us, &u);
	struct buf b = BUF_INIT;
	buf_printf(&b, "%04d-%02d-%02dT%02d:%02d:%02d", u.year, u.month, u.day, u.hour, u.minute,
	           u.second);
	if (u.microsecond)
		buf_printf(&b, ".%06d", u.microsecond);
	buf_puts(&b, "+00:00");
	*iso = buf_detach(&b, NULL);
	return true;
}

/* Python's type name of a query value, for dbt's "received value of type" error */
static const char *py_type(value v)
{
	switch (v.type) {
	case VT_INT: return "int";
	case VT_FLOAT: return "Decimal"; /* agate's Number */
	case VT_BOOL: return "bool";
	case VT_STR: return "str";
	default: return v_as_datetime(v) ? "date" : "object";
	}
}

/* ---- one check ---- */

static void set_runtime(struct check *c, const char *kind, const char *msg)
{
	struct buf b = BUF_INIT;
	const char *path = c->g->original_file_path ? c->g->original_file_path : c->g->path;
	buf_printf(&b, "%s Error in source %s (%s)", kind, c->g->name, path ? path : "");
	for (const char *s = msg; *s;) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		buf_puts(&b, "\n  ");
		buf_append(&b, s, n);
		s += n + (e != NULL);
	}
	c->error = buf_detach(&b, NULL);
	c->status = FS_RUNTIME;
}


/* dbt's macro resolution for adapter macros: the root project, the packages, then dbt's own */
static const char *macro_namespace(struct ftask *t, const char *name)
{
	size_t nns = t->r->npkgs + 2;
	for (size_t i = 0; i < nns; i++) {
		const char *ns = i == 0 ? t->p->name : i == nns - 1 ? "dbt" : t->r->pkgs[i - 1].name;
		value nsv, m;
		if (ns && jinja_get_global(t->r->env, ns, &nsv) && nsv.type == VT_DICT &&
		    vdict_gets(nsv.dict, str_from(name), &m))
			return ns;
	}
	return NULL;
}

static void run_check(struct ftask *t, struct adapter_conn *conn, struct check *c)
{
	clock_gettime(CLOCK_REALTIME, &c->c0);
	c->c1 = c->e0 = c->c0;
	if (!c->loaded_at_field && !c->loaded_at_query) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "Could not compute freshness for source %s: no 'loaded_at_field' provided "
		               "and %s adapter does not support metadata-based freshness checks.",
		           c->g->name, t->nc.info.adapter_type);
		set_runtime(c, "Runtime", m.p);
		buf_release(&m);
		clock_gettime(CLOCK_REALTIME, &c->e1);
		return;
	}
	struct arena a;
	arena_init(&a);
	struct dbt_runtime rt;
	dbt_runtime_init(&rt, conn, &a);
	struct dbt_render r = { 0 };
	r.proj = &t->nc.info;
	r.env = t->r->env;
	r.phase = DBT_EXECUTE;
	r.package = t->p->name;
	r.rt = &rt;
	struct jinja_render opts = { 0 };
	dbt_render_setup(&r, &a, &opts);
	struct diag d;
	diag_init(&d);
	const struct gnode *g = c->g;
	value rel = dbt_relation_named(&a, v_item(g->raw, "database"), v_item(g->raw, "schema"),
	                               v_item(g->raw, "identifier"), v_item(g->raw, "relation_name"));
	const char *macro = c->loaded_at_field ? "collect_freshness" : "collect_freshness_custom_sql";
	struct vkwarg kw[3] = { { STR("source"), rel } };
	uint32_t nkw = 1;
	if (c->loaded_at_field) {
		kw[nkw++] = (struct vkwarg){ STR("loaded_at_field"), v_cstr(c->loaded_at_field) };
		kw[nkw++] = (struct vkwarg){ STR("filter"), c->filter ? v_cstr(c->filter) : v_none() };
	} else {
		kw[nkw++] = (struct vkwarg){ STR("loaded_at_query"), v_cstr(c->loaded_at_query) };
	}
	struct vargs args = { .kw = kw, .nkw = nkw };
	const char *ns = macro_namespace(t, macro);
	value ret = v_none();
	int rc = ns ? jinja_call_macro(t->r->env, ns, macro, &args, &opts, &ret, &d) : -1;
	struct diag ignore;
	diag_init(&ignore);
	if (adapter_in_transaction(conn))
		adapter_rollback(conn, &ignore);
	diag_release(&ignore);
	if (!ns) {
		set_runtime(c, "Compilation", "No macro named 'collect_freshness' was found");
		goto done;
	}
	if (rc < 0) {
		char *msg = rt.db_error ? strdup(rt.db_message) : run_error_text(&d);
		set_runtime(c, rt.db_error ? "Database" : "Compilation", msg);
		free(msg);
		goto done;
	}
	value data = v_item(ret, "data"), row = v_undef();
	if (data.type == VT_LIST && data.list->n >= 1)
		row = data.list->v[0];
	if (row.type != VT_LIST || row.list->n < 2) {
		set_runtime(c, "Runtime", "the freshness query did not return a row of "
		                          "(max_loaded_at, snapshotted_at)");
		goto done;
	}
	const char *field = c->loaded_at_field ? c->loaded_at_field : "max_loaded_at";
	int64_t us[2] = { 0, 0 };
	char *iso[2] = { NULL, NULL };
	for (int i = 0; i < 2; i++) {
		value v = row.list->v[i];
		struct buf m = BUF_INIT;
		if (v.type == VT_NONE)
			buf_printf(&m, "Expected a non-null value when querying field '%s' of table  %s but "
			               "received value 'null' instead", field, v_item_str(g->raw, "relation_name"));
		else if (!utc_of(v, &us[i], &iso[i]))
			buf_printf(&m, "Expected a timestamp value when querying field '%s' of table %s but "
			               "received value of type '%s' instead", field,
			           v_item_str(g->raw, "relation_name"), py_type(v));
		if (m.n) {
			set_runtime(c, "Database", m.p);
			buf_release(&m);
			free(iso[0]);
			goto done;
		}
	}
	c->max_loaded_at = iso[0];
	c->snapshotted_at = iso[1];
	c->age = (double)(us[1] - us[0]) / 1e6;
	if (c->error_s >= 0 && c->age > (double)c->error_s)
		c->status = FS_ERROR;
	else if (c->warn_s >= 0 && c->age > (double)c->warn_s)
		c->status = FS_WARN;
	else
		c->status = FS_PASS;
	const char *msg;
	int64_t rows;
	if (dbt_response_parts(v_item(ret, "response"), &msg, &rows)) {
		c->response = strdup(msg);
		c->rows_affected = rows;
	}
done:
	clock_gettime(CLOCK_REALTIME, &c->e1);
	diag_release(&d);
	arena_release(&a);
}

/* ---- the pool's callbacks ---- */

static enum run_status execute(void *ud, int worker, struct run_item *it)
{
	struct ftask *t = ud;
	struct check *c = &t->checks[t->slot[it->node->idx]];
	c->thread = worker;
	pthread_mutex_lock(&t->render_mu);
	if (!t->conns[worker]) {
		struct diag d;
		diag_init(&d);
		t->conns[worker] = adapter_open(t->ad, &d);
		if (!t->conns[worker]) {
			char *msg = run_error_text(&d);
			set_runtime(c, "Database", msg);
			free(msg);
		}
		diag_release(&d);
	}
	if (t->conns[worker]) {
		struct diag d;
		diag_init(&d);
		if (query_comment_set_node(&t->qc, t->r->env, &t->nc.info, t->conns[worker],
		                           c->g->raw, &d) < 0) {
			char *msg = run_error_text(&d);
			set_runtime(c, "Runtime", msg);
			free(msg);
		} else {
			run_check(t, t->conns[worker], c);
		}
		adapter_reset_comment(t->conns[worker]);
		diag_release(&d);
	}
	pthread_mutex_unlock(&t->render_mu);
	/* the pool only needs to know nothing depends on a failure here: sources have no
	 * selected children in this task */
	return c->status == FS_PASS ? RUN_SUCCESS : c->status == FS_WARN ? RUN_WARN : RUN_ERROR;
}

static void describe(const struct gnode *g, const char *word, struct buf *out)
{
	buf_printf(out, "%s freshness of %s.%s", word, g->source_name ? g->source_name : "", g->name);
}

static void on_start(void *ud, const struct run_item *it, int total)
{
	struct ftask *t = ud;
	struct buf m = BUF_INIT;
	describe(it->node, "START", &m);
	console_progress(&t->con, it->index, total, m.p, "RUN", CC_NONE, -1);
	buf_release(&m);
}

static void on_done(void *ud, const struct run_item *it, int total)
{
	struct ftask *t = ud;
	size_t pos = (size_t)t->slot[it->node->idx];
	struct check *c = &t->checks[pos];
	t->done_order[t->ndone++] = pos;
	static const char *const words[] = { "PASS", "WARN", "ERROR STALE", "ERROR" };
	static const enum console_colour colours[] = { CC_GREEN, CC_YELLOW, CC_RED, CC_RED };
	const char *word = it->status == RUN_SKIPPED ? "SKIP" : words[c->status];
	struct buf m = BUF_INIT;
	describe(it->node, word, &m);
	if (it->status == RUN_SKIPPED)
		console_progress(&t->con, it->index, total, m.p, word, CC_YELLOW, -1);
	else if (c->status < FS_ERROR)
		console_progress(&t->con, it->index, total, m.p, word, colours[c->status],
		                 it->finished - it->started);
	else /* (an error's line stays under --quiet) */
		console_progress_error(&t->con, it->index, total, m.p, word, colours[c->status],
		                       it->finished - it->started);
	buf_release(&m);
}

static void on_stop(void *ud)
{
	struct ftask *t = ud;
	adapter_cancel_all(t->conns, t->threads);
}

/* ---- project hooks ---- */

/* on-run-start / on-run-end, as the run tasks run them (dbt 1.9+ runs them for freshness unless
 * flags.source_freshness_run_project_hooks is false): rendered in the root project's context on
 * connection 0, `results` given to on-run-end. Returns how many ran; *failed counts failures. */
static int run_hooks(struct ftask *t, const char *which, value hooks, value results, int *failed)
{
	struct hook_run h = { t->p, t->r, &t->nc, t->ad, &t->conns[0], &t->con };
	*failed += run_project_hooks(&h, which, hooks, results);
	return hooks.type == VT_LIST ? (int)hooks.list->n : 0;
}

/* ---- sources.json ---- */

static void iso_time(const struct timespec *ts, char out[40])
{
	struct tm tm;
	gmtime_r(&ts->tv_sec, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06ldZ", ts->tv_nsec / 1000);
}

static value result_value(struct arena *a, const struct check *c, const struct run_item *it)
{
	value r = v_dict(a, 10);
	vdict_sets(r.dict, "unique_id", v_cstr(c->g->unique_id));
	if (c->status == FS_RUNTIME || it->status == RUN_SKIPPED) {
		vdict_sets(r.dict, "error", c->error ? v_cstr(c->error) : v_cstr("skipped"));
		vdict_sets(r.dict, "status", v_cstr(fstatus_names[FS_RUNTIME]));
		return r;
	}
	vdict_sets(r.dict, "max_loaded_at", v_cstr(c->max_loaded_at));
	vdict_sets(r.dict, "snapshotted_at", v_cstr(c->snapshotted_at));
	vdict_sets(r.dict, "max_loaded_at_time_ago_in_s", v_float(c->age));
	vdict_sets(r.dict, "status", v_cstr(fstatus_names[c->status]));
	vdict_sets(r.dict, "criteria", c->criteria);
	value resp = v_dict(a, 3);
	if (c->response) {
		vdict_sets(resp.dict, "_message", v_cstr(c->response));
		const char *sp = strchr(c->response, ' ');
		vdict_sets(resp.dict, "code", sp ? v_strdup(a, c->response, (size_t)(sp - c->response))
		                                 : v_cstr(c->response));
		vdict_sets(resp.dict, "rows_affected", v_int(c->rows_affected));
	}
	vdict_sets(r.dict, "adapter_response", resp);
	value timing = v_list(a, 2);
	static const char *const phases[2] = { "compile", "execute" };
	const struct timespec *ts[2][2] = { { &c->c0, &c->c1 }, { &c->e0, &c->e1 } };
	for (int i = 0; i < 2; i++) {
		char s0[40], s1[40];
		iso_time(ts[i][0], s0);
		iso_time(ts[i][1], s1);
		value tm = v_dict(a, 3);
		vdict_sets(tm.dict, "name", v_cstr(phases[i]));
		vdict_sets(tm.dict, "started_at", v_strdup(a, s0, strlen(s0)));
		vdict_sets(tm.dict, "completed_at", v_strdup(a, s1, strlen(s1)));
		vlist_push(timing.list, tm);
	}
	vdict_sets(r.dict, "timing", timing);
	char thread[32];
	snprintf(thread, sizeof(thread), "Thread-%d (worker)", c->thread + 1);
	vdict_sets(r.dict, "thread_id", v_strdup(a, thread, strlen(thread)));
	vdict_sets(r.dict, "execution_time", v_float(it->finished - it->started));
	return r;
}

static int write_sources_json(struct ftask *t, struct arena *a, const struct run_item *items,
                              double elapsed, const char *started_at, const char *path,
                              struct diag *d)
{
	value top = v_dict(a, 3), meta = v_dict(a, 6);
	vdict_sets(meta.dict, "dbt_schema_version", v_cstr("https://schemas.getdbt.com/dbt/sources/v3.json"));
	vdict_sets(meta.dict, "dbt_version", v_cstr(ARTIFACTS_DBT_VERSION));
	vdict_sets(meta.dict, "generated_at", v_cstr(artifacts_now_iso(a)));
	vdict_sets(meta.dict, "invocation_id", v_cstr(t->nc.info.invocation_id));
	vdict_sets(meta.dict, "invocation_started_at", v_cstr(started_at));
	vdict_sets(meta.dict, "env", v_dict(a, 0));
	vdict_sets(top.dict, "metadata", meta);
	value results = v_list(a, (uint32_t)t->ndone);
	for (size_t i = 0; i < t->ndone; i++) {
		size_t pos = t->done_order[i];
		vlist_push(results.list, result_value(a, &t->checks[pos], &items[pos]));
	}
	vdict_sets(top.dict, "results", results);
	vdict_sets(top.dict, "elapsed_time", v_float(elapsed));
	return artifacts_write_json(path, top, d);
}

/* ---- the task ---- */

static double secs_between_mono(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int freshness_run(struct project *p, struct parse_result *r, struct gnode *const *nodes, size_t n,
                  const struct freshness_opts *o, struct diag *d)
{
	struct ftask t = { 0 };
	t.p = p;
	t.r = r;
	console_init(&t.con, stdout);
	t.ad = adapter_new(p->profile.output, p->dir, d);
	if (!t.ad)
		return 2;
	struct arena a;
	arena_init(&a);
	const char *tp = p->target_path ? p->target_path : "target";
	const char *path = o->output ? o->output
	                   : tp[0] == '/' ? arena_printf(&a, "%s/sources.json", tp)
	                                  : arena_printf(&a, "%s/%s/sources.json", p->dir, tp);
	t.threads = o->threads > 0 ? o->threads : (int)(p->profile.threads > 0 ? p->profile.threads : 1);
	t.conns = xcalloc((size_t)t.threads, sizeof(*t.conns));
	node_compiler_init(&t.nc, p, r);
	t.nc.ad = t.ad;
	t.nc.info.adapter = t.ad;
	vdict_sets(t.nc.info.flags.dict, "WHICH", v_cstr("freshness"));
	t.nc.info.invocation_id = artifacts_uuid4(&a);
	pthread_mutex_init(&t.render_mu, NULL);

	struct gnode **sel = xcalloc(n + 1, sizeof(*sel));
	size_t nsel = 0;
	for (size_t i = 0; i < n; i++)
		if (freshness_applies(nodes[i]))
			sel[nsel++] = nodes[i];
	node_compiler_select(&t.nc, sel, nsel);
	t.checks = xcalloc(nsel + 1, sizeof(*t.checks));
	t.done_order = xcalloc(nsel + 1, sizeof(*t.done_order));
	t.slot = xcalloc(r->m->n + 1, sizeof(*t.slot));
	for (size_t i = 0; i < nsel; i++) {
		check_init(&t.checks[i], sel[i], &a);
		t.slot[sel[i]->idx] = (int32_t)i;
	}

	struct timespec wall0, t0, t1;
	clock_gettime(CLOCK_REALTIME, &wall0);
	char started_at[40];
	iso_time(&wall0, started_at);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	task_found_line(&t.con, r);
	console_line(&t.con, "%s", "");
	int rc = 0;
	struct run_item *items = xcalloc(nsel + 1, sizeof(*items));
	bool comment_ok = query_comment_init(&t.qc, p, d) == 0 &&
	                  query_comment_set_default(&t.qc, r->env, &t.nc.info, t.ad, d) == 0;
	if (!nsel) {
		console_line(&t.con, "Nothing to do. Try checking your model configs and model specification args");
	} else if (!comment_ok) {
		rc = 2;
	} else {
		console_line(&t.con, "Concurrency: %d thread%s (target='%s')", t.threads,
		             t.threads == 1 ? "" : "s", o->target_name ? o->target_name : "");
		console_line(&t.con, "%s", "");
		value flag = v_item(p->flags, "source_freshness_run_project_hooks");
		bool hooks = flag.type == VT_UNDEF || flag.type == VT_NONE || v_truthy(flag);
		int nhooks = 0, hook_failures = 0;
		if (hooks)
			nhooks += run_hooks(&t, "on-run-start", p->on_run_start, v_undef(), &hook_failures);
		struct run_opts ro = { .threads = t.threads, .execute = execute, .on_start = on_start,
			               .on_done = on_done, .on_stop = on_stop, .ud = &t,
			               .interrupt = o->interrupt };
		/* a failed on-run-start skips the checks only under skip_nodes_if_on_run_start_fails */
		if (hook_failures && v_truthy(v_item(p->flags, "skip_nodes_if_on_run_start_fails"))) {
			for (size_t i = 0; i < nsel; i++) {
				items[i] = (struct run_item){ .node = sel[i], .status = RUN_SKIPPED };
				t.checks[i].status = FS_RUNTIME;
				t.checks[i].error = strdup("Skipped because an on-run-start hook failed");
				t.done_order[t.ndone++] = i;
			}
			rc = 1;
		} else {
			rc = run_dag(r->m, sel, nsel, &ro, items);
		}
		console_line(&t.con, "%s", "");
		if (hooks) {
			value res = v_list(&a, (uint32_t)t.ndone);
			for (size_t i = 0; i < t.ndone; i++) {
				size_t pos = t.done_order[i];
				value x = result_value(&a, &t.checks[pos], &items[pos]);
				vdict_sets(x.dict, "node", t.checks[pos].g->raw);
				vlist_push(res.list, x);
			}
			nhooks += run_hooks(&t, "on-run-end", p->on_run_end, res, &hook_failures);
		}
		if (hook_failures)
			rc = 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* dbt's counts, sorted by name: "1 project hook, 3 sources" */
		struct buf line = BUF_INIT;
		buf_puts(&line, "Finished running ");
		if (nhooks)
			buf_printf(&line, "%d project hook%s, ", nhooks, nhooks == 1 ? "" : "s");
		buf_printf(&line, "%zu source%s in ", nsel, nsel == 1 ? "" : "s");
		console_duration_text(&line, secs_between_mono(&t0, &t1));
		buf_putc(&line, '.');
		console_line(&t.con, "%s", line.p);
		buf_release(&line);
		/* dbt's task_end_messages: the text of each runtime error (a stale source has none) */
		for (size_t i = 0; i < t.ndone; i++) {
			const struct check *c = &t.checks[t.done_order[i]];
			if (c->status != FS_RUNTIME || !c->error)
				continue;
			console_line(&t.con, "%s", "");
			for (const char *x = c->error; *x;) {
				const char *e = strchr(x, '\n');
				size_t len = e ? (size_t)(e - x) : strlen(x);
				console_error_line(&t.con, "  %.*s", (int)len, x);
				x += len + (e != NULL);
			}
		}
	}
	console_line(&t.con, "Done.");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->no_write_json &&
	    write_sources_json(&t, &a, items, nsel ? secs_between_mono(&t0, &t1) : 0.0, started_at,
	                       path, d) < 0)
		rc = rc ? rc : 1;
	for (size_t i = 0; i < nsel && rc == 0; i++)
		if (t.checks[i].status == FS_ERROR || t.checks[i].status == FS_RUNTIME)
			rc = 1;
	free(items);
	for (int i = 0; i < t.threads; i++)
		if (t.conns[i])
			adapter_close(t.conns[i]);
	for (size_t i = 0; i < nsel; i++) {
		free(t.checks[i].error);
		free(t.checks[i].max_loaded_at);
		free(t.checks[i].snapshotted_at);
		free(t.checks[i].response);
	}
	free(t.checks);
	free(t.done_order);
	free(t.slot);
	free(t.conns);
	free(sel);
	node_compiler_release(&t.nc);
	pthread_mutex_destroy(&t.render_mu);
	adapter_free(t.ad);
	arena_release(&a);
	return rc;
}
