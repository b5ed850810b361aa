/* dbt's run/test/seed/build tasks (see task.h). */
#include "task.h"
#include "comment.h"
#include "hooks.h"
#include "microbatch.h"

#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "adapter/adapter.h"
#include "artifacts/artifacts.h"
#include "compile.h"
#include "console.h"
#include "run.h"
#include "seed.h"

/* What one node's run left: its run_results entry and its console summary block. */
struct outcome {
	char *message;   /* run_results message (NULL: null) */
	char *block;     /* the "Failure in ..." text of the closing summary, or NULL */
	char *status_text; /* the progress line's bracket: "OK", "INSERT 3", "FAIL 2", ... */
	char *response;  /* adapter response message, or NULL */
	int64_t rows_affected;
	int64_t failures; /* tests; -1 = null */
	char *compiled_code;
	bool compiled;
	struct timespec c0, c1, e0, e1; /* compile and execute, wall clock */
	int thread;
};

struct task {
	struct project *p;
	struct parse_result *r;
	const struct task_opts *o;
	struct adapter *ad;
	struct adapter_conn **conns; /* one per worker */
	int threads;
	/* Jinja environments: a Jinja environment serves one render at a time, and a node's SQL
	 * runs inside its render, so each environment has a compiler and a lock; worker w renders
	 * with environment w % nenvs. The parse leaves one environment per parse thread. SQLite
	 * gets one (a database file takes one writer at a time anyway). */
	struct node_compiler *ncs;
	struct parse_result *rs; /* the parse result seen through each environment */
	pthread_mutex_t *env_mu;
	int nenvs;
	struct seed_ctx seeds;
	struct console con;
	struct outcome *out;        /* per manifest node */
	const char *target_dir;     /* <project>/<target-path> */
	struct query_comment qc;
};

static void iso_time(const struct timespec *t, char out[40])
{
	struct tm tm;
	gmtime_r(&t->tv_sec, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06ldZ", t->tv_nsec / 1000);
}

static double secs_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static bool is_ephemeral(const struct gnode *g)
{
	const char *m = v_item_str(g->config, "materialized");
	return m && !strcmp(m, "ephemeral");
}

/* target/<kind>/<package>/<path>: models by their file, tests by their manifest path */
static void node_out_path(const struct task *t, const struct gnode *g, const char *kind,
                          struct buf *out, bool relative)
{
	if (relative)
		buf_printf(out, "%s/%s/", t->p->target_path ? t->p->target_path : "target", kind);
	else
		buf_printf(out, "%s/%s/", t->target_dir, kind);
	node_target_path(g, out);
}

static void write_text(const struct task *t, const struct gnode *g, const char *kind, const char *text)
{
	struct buf path = BUF_INIT;
	node_out_path(t, g, kind, &path, false);
	FILE *f = file_make_parents(path.p) == 0 ? fopen(path.p, "w") : NULL;
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	buf_release(&path);
}

/* ---- materializations ---- */

/* dbt's lookup: materialization_<name>_<adapter>, then _default; the root project's first, then
 * the packages', then dbt's own. Sets the namespace and macro name to call. */
static bool find_materialization(struct task *t, struct jinja_env *env, const char *name,
                                 const char **ns_out, struct buf *key)
{
	const char *adapters[2] = { t->ncs[0].info.adapter_type, "default" };
	for (int a = 0; a < 2; a++) {
		buf_reset(key);
		buf_printf(key, "materialization_%s_%s", name, adapters[a]);
		size_t nns = t->r->npkgs + 2;
		for (size_t i = 0; i < nns; i++) {
			const char *nsname = i == 0 ? t->p->name : i == nns - 1 ? "dbt" : t->r->pkgs[i - 1].name;
			value ns, m;
			if (nsname && jinja_get_global(env, nsname, &ns) && ns.type == VT_DICT &&
			    vdict_gets(ns.dict, buf_str(key), &m)) {
				*ns_out = nsname;
				return true;
			}
		}
	}
	return false;
}

static const char *type_label(const struct gnode *g)
{
	switch (g->type) {
	case GT_MODEL: return "model";
	case GT_TEST: return "test";
	case GT_SEED: return "seed";
	case GT_SNAPSHOT: return "snapshot";
	default: return "node";
	}
}

/* The first error of d as one text (diag_print without the trailing newline). */

/* "  line\n" for each line of text, indented as dbt indents error bodies */
static void indent_into(struct buf *out, const char *text)
{
	const char *s = text;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		buf_puts(out, "  ");
		buf_append(out, s, n);
		buf_putc(out, '\n');
		s += n + (e != NULL);
	}
}

static void set_error(struct task *t, const struct gnode *g, struct outcome *oc, bool database,
                      const char *msg)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s Error in %s %s (%s)\n", database ? "Database" : "Compilation", type_label(g),
	           g->name, g->original_file_path ? g->original_file_path : g->path);
	indent_into(&b, msg);
	if (database) {
		buf_puts(&b, "  compiled code at ");
		node_out_path(t, g, "run", &b, true);
		buf_putc(&b, '\n');
	}
	while (b.n && b.p[b.n - 1] == '\n')
		b.n--;
	oc->message = buf_detach(&b, NULL);
	oc->block = strdup(oc->message);
	oc->status_text = strdup("ERROR");
}

/* A test's verdict from its "main" result: failures, should_warn, should_error. Under
 * --warn-error a warning fails the test, "configured to fail if" its warn_if (as dbt's test
 * runner). */
static enum run_status test_verdict(const struct gnode *g, struct dbt_runtime *rt, struct outcome *oc,
                                    bool warn_error)
{
	value res = v_undef(), data;
	vdict_gets(rt->results.dict, STR("main"), &res);
	data = v_item(res, "data");
	if (data.type != VT_LIST || data.list->n != 1 || data.list->v[0].type != VT_LIST ||
	    data.list->v[0].list->n < 3) {
		oc->message = strdup("the test query did not return one row of "
		                     "(failures, should_warn, should_error)");
		oc->status_text = strdup("ERROR");
		oc->block = strdup(oc->message);
		return RUN_ERROR;
	}
	const value *row = data.list->v[0].list->v;
	oc->failures = row[0].type == VT_INT ? row[0].i : row[0].type == VT_FLOAT ? (int64_t)row[0].f : 0;
	const char *severity = v_item_str(g->config, "severity");
	bool error_sev = !severity || strcasecmp(severity, "warn") != 0;
	bool should_error = v_truthy(row[2]), should_warn = v_truthy(row[1]);
	enum run_status st = RUN_SUCCESS;
	const char *cond = NULL, *verb = NULL;
	if (error_sev && should_error) {
		st = RUN_FAIL;
		verb = "fail";
		cond = v_item_str(g->config, "error_if");
	} else if (should_warn) {
		st = warn_error ? RUN_FAIL : RUN_WARN;
		verb = warn_error ? "fail" : "warn";
		cond = v_item_str(g->config, "warn_if");
	}
	if (st == RUN_SUCCESS) {
		oc->status_text = strdup("PASS");
		return st;
	}
	struct buf b = BUF_INIT;
	buf_printf(&b, "Got %lld result%s, configured to %s if %s", (long long)oc->failures,
	           oc->failures == 1 ? "" : "s", verb, cond ? cond : "!= 0");
	oc->message = buf_detach(&b, NULL);
	buf_printf(&b, "%s %lld", st == RUN_FAIL ? "FAIL" : "WARN", (long long)oc->failures);
	oc->status_text = buf_detach(&b, NULL);
	return st;
}

/* The context a materialization adds to the node's: sql/compiled_code, the hooks. */
static void materialization_context(struct node_render *nr, const struct gnode *g, const char *sql)
{
	struct vdict *ctx = nr->r.ctx.dict;
	struct arena *a = nr->a;
	value code = v_strdup(a, sql, strlen(sql));
	vdict_sets(ctx, "sql", code);
	vdict_sets(ctx, "compiled_code", code);
	static const char *const hook_keys[2][2] = { { "pre-hook", "pre_hooks" }, { "post-hook", "post_hooks" } };
	const struct node_compiler *nc = nr->nc;
	for (int h = 0; h < 2; h++) {
		value hooks = v_item(g->config, hook_keys[h][0]);
		if (nc->batch.node == g && !(h == 0 ? nc->batch.first : nc->batch.last))
			hooks = v_undef(); /* a microbatch model's pre-hooks run once, before the first
			                      batch, and its post-hooks after the last */
		value list = v_list(a, 2);
		if (hooks.type == VT_LIST)
			for (uint32_t i = 0; i < hooks.list->n; i++) {
				value x = hooks.list->v[i];
				if (x.type == VT_STR) { /* a plain string hook runs inside the transaction */
					value d = v_dict(a, 3);
					vdict_sets(d.dict, "sql", x);
					vdict_sets(d.dict, "transaction", v_bool(true));
					vdict_sets(d.dict, "index", v_int(i));
					x = d;
				}
				vlist_push(list.list, x);
			}
		vdict_sets(ctx, hook_keys[h][1], list);
	}
	value model = v_dict(a, nr->r.node.type == VT_DICT ? nr->r.node.dict->n + 2 : 4);
	if (nr->r.node.type == VT_DICT)
		for (uint32_t i = 0; i < nr->r.node.dict->n; i++)
			if (nr->r.node.dict->k[i].type != VT_UNDEF)
				vdict_set(model.dict, nr->r.node.dict->k[i], nr->r.node.dict->v[i]);
	vdict_sets(model.dict, "compiled_code", code);
	vdict_sets(model.dict, "compiled", v_bool(true));
	vdict_sets(ctx, "model", model);
}

/* Compiles and materializes a model or test on connection c. Render lock held. */
static enum run_status run_sql_node(struct task *t, struct node_compiler *nc,
                                    struct adapter_conn *c, struct gnode *g, struct outcome *oc)
{
	struct arena a;
	arena_init(&a);
	struct dbt_runtime rt;
	dbt_runtime_init(&rt, c, &a);
	nc->rt = &rt;
	struct diag d;
	diag_init(&d);
	enum run_status st = RUN_ERROR;
	struct buf sql = BUF_INIT;
	clock_gettime(CLOCK_REALTIME, &oc->c0);
	int rc = node_compile(nc, g, &sql, &d);
	clock_gettime(CLOCK_REALTIME, &oc->c1);
	oc->e0 = oc->c1;
	if (rc < 0) {
		char *msg = rt.db_error ? strdup(rt.db_message) : run_error_text(&d);
		set_error(t, g, oc, rt.db_error, msg);
		free(msg);
		goto done;
	}
	oc->compiled = true;
	oc->compiled_code = strdup(buf_cstr(&sql));
	write_text(t, g, "compiled", oc->compiled_code);
	const char *mat = g->type == GT_TEST ? "test" : v_item_str(g->config, "materialized");
	if (!mat)
		mat = "view";
	const char *ns = NULL;
	struct buf key = BUF_INIT;
	if (!find_materialization(t, nc->r->env, mat, &ns, &key)) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "No materialization '%s' was found for adapter %s! (searched types "
		               "'default' and '%s')", mat, nc->info.adapter_type, nc->info.adapter_type);
		set_error(t, g, oc, false, buf_cstr(&b));
		buf_release(&b);
		buf_release(&key);
		goto done;
	}
	struct node_render nr;
	if (node_render_begin(nc, g, &a, &nr, &d) < 0) {
		char *msg = rt.db_error ? strdup(rt.db_message) : run_error_text(&d);
		set_error(t, g, oc, rt.db_error, msg);
		free(msg);
		buf_release(&key);
		goto done;
	}
	materialization_context(&nr, g, oc->compiled_code);
	struct vargs none = { 0 };
	value ret = v_none();
	rc = jinja_call_macro(nc->r->env, ns, buf_cstr(&key), &none, &nr.opts, &ret, &d);
	node_render_end(&nr);
	buf_release(&key);
	if (rt.written.type == VT_STR)
		write_text(t, g, "run", rt.written.s);
	struct diag ignore;
	diag_init(&ignore);
	if (rc < 0) {
		if (adapter_in_transaction(c))
			adapter_rollback(c, &ignore);
		char *msg = rt.db_error ? strdup(rt.db_message) : run_error_text(&d);
		set_error(t, g, oc, rt.db_error, msg);
		free(msg);
		diag_release(&ignore);
		goto done;
	}
	if (adapter_in_transaction(c) && adapter_commit(c, &ignore) < 0) {
		char *msg = run_error_text(&ignore);
		set_error(t, g, oc, true, msg);
		free(msg);
		diag_release(&ignore);
		goto done;
	}
	diag_release(&ignore);
	value rels = v_item(ret, "relations");
	if (rels.type == VT_LIST)
		for (uint32_t i = 0; i < rels.list->n; i++) {
			struct relation r;
			if (dbt_relation_to_adapter(rels.list->v[i], &a, &r))
				adapter_cache_added(t->ad, &r);
		}
	const char *msg = NULL;
	int64_t rows = -1;
	if (rt.response.type != VT_UNDEF && dbt_response_parts(rt.response, &msg, &rows)) {
		oc->response = strdup(msg);
		oc->rows_affected = rows;
	}
	if (g->type == GT_TEST) {
		st = test_verdict(g, &rt, oc, t->o->warn_error);
	} else {
		st = RUN_SUCCESS;
		oc->message = strdup(oc->response ? oc->response : "OK");
		oc->status_text = strdup(oc->message);
	}
done:
	clock_gettime(CLOCK_REALTIME, &oc->e1);
	nc->rt = NULL;
	buf_release(&sql);
	diag_release(&d);
	arena_release(&a);
	return st;
}

/* Whether node g is rebuilt from scratch: its `full_refresh` config when set, else the flag. */
static bool full_refresh(const struct task *t, const struct gnode *g)
{
	value fr = v_item(g->config, "full_refresh");
	return fr.type == VT_BOOL ? fr.b : t->o->full_refresh;
}

static enum run_status run_seed_node(struct task *t, struct adapter_conn *c, struct gnode *g,
                                     struct outcome *oc)
{
	struct diag d;
	diag_init(&d);
	struct buf st = BUF_INIT;
	int64_t rows = 0;
	clock_gettime(CLOCK_REALTIME, &oc->c0);
	oc->c1 = oc->e0 = oc->c0;
	int rc = seed_load(&t->seeds, c, g, full_refresh(t, g), &st, &rows, &d);
	clock_gettime(CLOCK_REALTIME, &oc->e1);
	enum run_status s = RUN_SUCCESS;
	if (rc < 0) {
		char *msg = run_error_text(&d);
		set_error(t, g, oc, false, msg);
		/* a seed's failure is reported as dbt reports it: "Failure in seed x (path)" */
		free(oc->block);
		struct buf b = BUF_INIT;
		buf_printf(&b, "Error in seed %s (%s)\n", g->name, g->original_file_path);
		indent_into(&b, msg);
		while (b.n && b.p[b.n - 1] == '\n')
			b.n--;
		free(oc->message);
		oc->message = buf_detach(&b, NULL);
		oc->block = strdup(oc->message);
		free(msg);
		s = RUN_ERROR;
	} else {
		oc->response = strdup(buf_cstr(&st));
		oc->rows_affected = rows;
		oc->message = strdup(oc->response);
		oc->status_text = strdup(oc->response);
	}
	buf_release(&st);
	diag_release(&d);
	return s;
}

static bool is_microbatch(const struct gnode *g)
{
	const char *m = v_item_str(g->config, "materialized");
	const char *s = v_item_str(g->config, "incremental_strategy");
	return g->type == GT_MODEL && m && !strcmp(m, "incremental") && s && !strcmp(s, "microbatch");
}

static void outcome_release(struct outcome *oc)
{
	free(oc->message);
	free(oc->block);
	free(oc->status_text);
	free(oc->response);
	free(oc->compiled_code);
}

/* "Batch 2 of 3 OK created batch 20240102 of main.daily ..... [SUCCESS 1 in 0.01s]" */
static void batch_line(struct task *t, size_t i, size_t n, const char *what, const char *id,
                       const struct gnode *g, const char *status, enum console_colour col,
                       double secs)
{
	const char *schema = v_item_str(g->raw, "schema"), *alias = v_item_str(g->raw, "alias");
	struct buf m = BUF_INIT, line = BUF_INIT;
	buf_printf(&m, "%s batch %s of %s.%s", what, id, schema ? schema : "", alias ? alias : g->name);
	buf_puts(&line, "Batch ");
	console_progress_text(&line, (int)i + 1, (int)n, m.p, status, col, t->con.colour, secs);
	console_line(&t->con, "%s", line.p);
	buf_release(&m);
	buf_release(&line);
}

static double secs_of(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* A microbatch model, as dbt's MicrobatchModelRunner runs it: the incremental materialization
 * once per batch (run/microbatch.h) with model.batch set and refs filtered to the batch's
 * window; the pre-hooks with the first batch, the post-hooks with the last. A failed first
 * batch skips the rest; a later failure leaves the other batches to run, and the model reads
 * SUCCESS, ERROR or PARTIAL SUCCESS (k/n). */
static enum run_status run_microbatch_node(struct task *t, struct node_compiler *nc,
                                           struct adapter_conn *c, struct gnode *g,
                                           struct outcome *oc)
{
	struct diag d;
	diag_init(&d);
	clock_gettime(CLOCK_REALTIME, &oc->c0);
	oc->c1 = oc->e0 = oc->e1 = oc->c0;
	bool full = full_refresh(t, g);
	const char *alias = v_item_str(g->raw, "alias");
	struct relation rel;
	int found = adapter_get_relation(c, v_item_str(g->raw, "database"), v_item_str(g->raw, "schema"),
	                                 alias ? alias : g->name, &rel, &d);
	bool incremental = found == 1 && rel.type == REL_TABLE && !full;
	struct microbatch mb = { 0 };
	if (found < 0 ||
	    microbatch_plan(g->name, g->config, incremental, t->o->event_time_start,
	                    t->o->event_time_end,
	                    microbatch_unix_us(oc->c0.tv_sec, oc->c0.tv_nsec / 1000), &mb, &d) < 0) {
		char *msg = run_error_text(&d);
		set_error(t, g, oc, found < 0, msg);
		free(msg);
		diag_release(&d);
		return RUN_ERROR;
	}
	bool zone = strcmp(t->ad->ops->type, "sqlite") != 0; /* SQLite compares text timestamps */
	size_t ok = 0, failed = 0;
	struct outcome err = { .failures = -1 }; /* the first failed batch's, for the summary */
	bool have_err = false;
	for (size_t i = 0; i < mb.n; i++) {
		struct buf id = BUF_INIT;
		microbatch_id(&mb, i, &id);
		if (i > 0 && failed && !ok) { /* the first batch failed: the others are skipped */
			batch_line(t, i, mb.n, "SKIP", id.p, g, "SKIPPED", CC_YELLOW, -1);
			failed++;
			buf_release(&id);
			continue;
		}
		batch_line(t, i, mb.n, "START", id.p, g, "RUN", CC_NONE, -1);
		struct arena a;
		arena_init(&a);
		struct buf s = BUF_INIT, e = BUF_INIT;
		microbatch_time_text(mb.start[i], zone, &s);
		microbatch_time_text(mb.end[i], zone, &e);
		nc->batch.node = g;
		nc->batch.start = s.p;
		nc->batch.end = e.p;
		nc->batch.value = microbatch_batch_value(&a, &mb, i);
		nc->batch.incremental = i > 0 || incremental;
		nc->batch.first = i == 0;
		nc->batch.last = i + 1 == mb.n;
		struct outcome bo = { .failures = -1, .thread = oc->thread };
		enum run_status bs = run_sql_node(t, nc, c, g, &bo);
		nc->batch.node = NULL;
		buf_release(&s);
		buf_release(&e);
		arena_release(&a);
		double secs = secs_of(&bo.c0, &bo.e1);
		if (bs == RUN_SUCCESS) {
			ok++;
			batch_line(t, i, mb.n, "OK created", id.p, g,
			           bo.status_text ? bo.status_text : "OK", CC_GREEN, secs);
		} else {
			failed++;
			batch_line(t, i, mb.n, "ERROR creating", id.p, g, "ERROR", CC_RED, secs);
		}
		if (i == 0) {
			oc->c0 = bo.c0;
			oc->c1 = bo.c1;
		}
		oc->e1 = bo.e1;
		if (bs != RUN_SUCCESS && !have_err) {
			err = bo;
			have_err = true;
		} else if (bs == RUN_SUCCESS && i + 1 == mb.n && !have_err) {
			outcome_release(oc);
			struct timespec c0 = oc->c0, c1 = oc->c1, e1 = oc->e1;
			*oc = bo;
			oc->c0 = c0, oc->c1 = c1, oc->e1 = e1;
		} else {
			outcome_release(&bo);
		}
		buf_release(&id);
	}
	enum run_status st = RUN_SUCCESS;
	char word[64];
	if (!failed) {
		snprintf(word, sizeof(word), "SUCCESS");
	} else {
		/* a failure is the node's error; dbt's PartialSuccess is reported as one too */
		struct timespec c0 = oc->c0, c1 = oc->c1, e1 = oc->e1;
		outcome_release(oc);
		*oc = err;
		oc->c0 = c0, oc->c1 = c1, oc->e1 = e1;
		st = RUN_ERROR;
		if (ok)
			snprintf(word, sizeof(word), "PARTIAL SUCCESS (%zu/%zu)", ok, ok + failed);
		else
			snprintf(word, sizeof(word), "ERROR");
	}
	if (st == RUN_SUCCESS) {
		free(oc->message);
		free(oc->status_text);
		oc->message = strdup(word);
		oc->status_text = strdup(word);
	} else if (ok) {
		free(oc->status_text);
		oc->status_text = strdup(word);
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s: %s", word, oc->message ? oc->message : "");
		free(oc->message);
		oc->message = buf_detach(&b, NULL);
	}
	microbatch_release(&mb);
	diag_release(&d);
	return st;
}

static enum run_status execute(void *ud, int worker, struct run_item *it)
{
	struct task *t = ud;
	struct gnode *g = it->node;
	struct outcome *oc = &t->out[g->idx];
	oc->thread = worker;
	int k = worker % t->nenvs;
	pthread_mutex_lock(&t->env_mu[k]);
	enum run_status st = RUN_ERROR;
	if (!t->conns[worker]) {
		struct diag d;
		diag_init(&d);
		t->conns[worker] = adapter_open(t->ad, &d);
		if (!t->conns[worker]) {
			char *msg = run_error_text(&d);
			set_error(t, g, oc, true, msg);
			free(msg);
		}
		diag_release(&d);
	}
	if (t->conns[worker]) {
		struct diag d;
		diag_init(&d);
		if (query_comment_set_node(&t->qc, t->rs[k].env, &t->ncs[k].info, t->conns[worker],
		                           g->raw, &d) < 0) {
			char *msg = run_error_text(&d);
			set_error(t, g, oc, false, msg);
			free(msg);
		} else {
			st = g->type == GT_SEED     ? run_seed_node(t, t->conns[worker], g, oc)
			     : is_microbatch(g) ? run_microbatch_node(t, &t->ncs[k], t->conns[worker], g, oc)
			                        : run_sql_node(t, &t->ncs[k], t->conns[worker], g, oc);
		}
		adapter_reset_comment(t->conns[worker]);
		diag_release(&d);
	}
	pthread_mutex_unlock(&t->env_mu[k]);
	return st;
}

/* ---- console ---- */

/* "sql table model main.customers", "seed file main.raw_orders", "test not_null_x" */
static void describe(const struct gnode *g, struct buf *out)
{
	const char *schema = v_item_str(g->raw, "schema"), *alias = v_item_str(g->raw, "alias");
	if (g->type == GT_TEST) {
		buf_printf(out, "test %s", g->name);
	} else if (g->type == GT_SEED) {
		buf_printf(out, "seed file %s.%s", schema ? schema : "", alias ? alias : g->name);
	} else if (g->type == GT_SNAPSHOT) {
		buf_printf(out, "snapshot %s.%s", schema ? schema : "", alias ? alias : g->name);
	} else {
		const char *mat = is_microbatch(g) ? "microbatch" : v_item_str(g->config, "materialized");
		buf_printf(out, "sql %s model %s.%s", mat ? mat : "view", schema ? schema : "",
		           alias ? alias : g->name);
	}
}

static void on_start(void *ud, const struct run_item *it, int total)
{
	struct task *t = ud;
	struct buf m = BUF_INIT;
	buf_puts(&m, "START ");
	describe(it->node, &m);
	console_progress(&t->con, it->index, total, m.p, "RUN", CC_NONE, -1);
	buf_release(&m);
}

static void on_done(void *ud, const struct run_item *it, int total)
{
	struct task *t = ud;
	const struct gnode *g = it->node;
	struct outcome *oc = &t->out[g->idx];
	struct buf m = BUF_INIT;
	double secs = it->finished - it->started;
	if (it->status == RUN_SKIPPED) {
		if (g->type == GT_TEST)
			buf_printf(&m, "SKIP test %s", g->name);
		else
			buf_printf(&m, "SKIP relation %s.%s", v_item_str(g->raw, "schema") ? v_item_str(g->raw, "schema") : "",
			           v_item_str(g->raw, "alias") ? v_item_str(g->raw, "alias") : g->name);
		console_progress(&t->con, it->index, total, m.p, "SKIP", CC_YELLOW, -1);
	} else if (g->type == GT_TEST) {
		const char *word = it->status == RUN_SUCCESS ? "PASS" : it->status == RUN_ERROR ? "ERROR" : oc->status_text;
		buf_printf(&m, "%s %s", word ? word : "ERROR", g->name);
		enum console_colour col = it->status == RUN_SUCCESS ? CC_GREEN : it->status == RUN_WARN ? CC_YELLOW : CC_RED;
		if (it->status == RUN_SUCCESS || it->status == RUN_WARN)
			console_progress(&t->con, it->index, total, m.p, word ? word : "ERROR", col, secs);
		else /* (dbt logs a failed or errored test's line at the error level) */
			console_progress_error(&t->con, it->index, total, m.p, word ? word : "ERROR", col,
			                       secs);
	} else if (it->status == RUN_SUCCESS) {
		if (g->type == GT_SNAPSHOT) /* dbt: "OK snapshotted <schema>.<alias>" */
			buf_printf(&m, "OK snapshotted %s.%s", v_item_str(g->raw, "schema") ? v_item_str(g->raw, "schema") : "",
			           v_item_str(g->raw, "alias") ? v_item_str(g->raw, "alias") : g->name);
		else {
			buf_puts(&m, g->type == GT_SEED ? "OK loaded " : "OK created ");
			describe(g, &m);
		}
		console_progress(&t->con, it->index, total, m.p, oc->status_text ? oc->status_text : "OK", CC_GREEN, secs);
	} else {
		if (g->type == GT_SNAPSHOT)
			buf_printf(&m, "ERROR snapshotting %s.%s", v_item_str(g->raw, "schema") ? v_item_str(g->raw, "schema") : "",
			           v_item_str(g->raw, "alias") ? v_item_str(g->raw, "alias") : g->name);
		else {
			buf_puts(&m, g->type == GT_SEED ? "ERROR loading " : "ERROR creating ");
			describe(g, &m);
		}
		console_progress_error(&t->con, it->index, total, m.p, "ERROR", CC_RED, secs);
	}
	buf_release(&m);
}

static void on_stop(void *ud)
{
	struct task *t = ud;
	adapter_cancel_all(t->conns, t->threads);
}

/* ---- project hooks ---- */

/* Renders and runs on-run-start / on-run-end hooks on connection 0. `results` is the list the
 * on-run-end context gets. Returns the number that failed. */
static int task_hooks(struct task *t, const char *which, value hooks, value results)
{
	struct hook_run h = { t->p, t->r, &t->ncs[0], t->ad, &t->conns[0], &t->con };
	return run_project_hooks(&h, which, hooks, results);
}

/* ---- run_results.json ---- */

static value result_value(struct arena *a, const struct run_item *it, const struct outcome *oc)
{
	const struct gnode *g = it->node;
	value r = v_dict(a, 12);
	static const char *const test_names[] = { "pending", "pass", "warn", "error", "fail", "skipped" };
	const char *status = g->type == GT_TEST ? test_names[it->status] : run_status_name(it->status);
	vdict_sets(r.dict, "status", v_cstr(status));
	value timing = v_list(a, 2);
	if (it->status != RUN_SKIPPED) {
		char s0[40], s1[40];
		static const char *const phases[2] = { "compile", "execute" };
		const struct timespec *ts[2][2] = { { &oc->c0, &oc->c1 }, { &oc->e0, &oc->e1 } };
		for (int i = 0; i < 2; i++) {
			value tm = v_dict(a, 3);
			iso_time(ts[i][0], s0);
			iso_time(ts[i][1], s1);
			vdict_sets(tm.dict, "name", v_cstr(phases[i]));
			vdict_sets(tm.dict, "started_at", v_strdup(a, s0, strlen(s0)));
			vdict_sets(tm.dict, "completed_at", v_strdup(a, s1, strlen(s1)));
			vlist_push(timing.list, tm);
		}
	}
	vdict_sets(r.dict, "timing", timing);
	char thread[32];
	snprintf(thread, sizeof(thread), "Thread-%d (worker)", oc->thread + 1);
	vdict_sets(r.dict, "thread_id", v_strdup(a, thread, strlen(thread)));
	vdict_sets(r.dict, "execution_time",
	           v_float(it->status == RUN_SKIPPED ? 0.0 : it->finished - it->started));
	value resp = v_dict(a, 3);
	if (oc->response) {
		vdict_sets(resp.dict, "_message", v_cstr(oc->response));
		const char *sp = strchr(oc->response, ' ');
		vdict_sets(resp.dict, "code", sp ? v_strdup(a, oc->response, (size_t)(sp - oc->response))
		                                 : v_cstr(oc->response));
		vdict_sets(resp.dict, "rows_affected", v_int(oc->rows_affected));
	}
	vdict_sets(r.dict, "adapter_response", resp);
	vdict_sets(r.dict, "message", oc->message ? v_cstr(oc->message) : v_none());
	vdict_sets(r.dict, "failures", oc->failures >= 0 ? v_int(oc->failures) : v_none());
	vdict_sets(r.dict, "unique_id", v_cstr(g->unique_id));
	vdict_sets(r.dict, "compiled", g->type == GT_SEED ? v_none() : v_bool(oc->compiled));
	vdict_sets(r.dict, "compiled_code", oc->compiled_code ? v_cstr(oc->compiled_code) : v_none());
	value rel = v_item(g->raw, "relation_name");
	vdict_sets(r.dict, "relation_name", g->type == GT_TEST || rel.type != VT_STR ? v_none() : rel);
	vdict_sets(r.dict, "batch_results", v_none());
	return r;
}

static int write_run_results(struct task *t, struct arena *a, const struct run_item *items, size_t n,
                             double elapsed, const char *started_at, struct diag *d)
{
	value results = v_list(a, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		vlist_push(results.list, result_value(a, &items[i], &t->out[items[i].node->idx]));
	static const char *const which[] = { "run", "test", "seed", "build", "snapshot" };
	value top = artifacts_run_results(a, t->ncs[0].info.invocation_id, started_at, results, elapsed,
	                                  which[t->o->kind]);
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/run_results.json", t->target_dir);
	int rc = artifacts_write_json(path.p, top, d);
	buf_release(&path);
	return rc;
}

/* on-run-end's `results`: one dict per node with node, status, message, failures, timing */
static value results_context(struct arena *a, struct task *t, const struct run_item *items, size_t n)
{
	value l = v_list(a, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		value r = result_value(a, &items[i], &t->out[items[i].node->idx]);
		vdict_sets(r.dict, "node", items[i].node->raw);
		vlist_push(l.list, r);
	}
	return l;
}

/* ---- the task ---- */

static bool runs_in(enum task_kind k, const struct gnode *g)
{
	switch (g->type) {
	case GT_MODEL: return (k == TASK_RUN || k == TASK_BUILD) && !is_ephemeral(g);
	case GT_TEST: return k == TASK_TEST || k == TASK_BUILD;
	case GT_SEED: return k == TASK_SEED || k == TASK_BUILD;
	case GT_SNAPSHOT: return k == TASK_SNAPSHOT || k == TASK_BUILD;
	default: return false;
	}
}

void task_found_line(struct console *con, const struct parse_result *r)
{
	const struct console_count c[] = {
		{ "model", "models", (int)r->nmodels },     { "snapshot", "snapshots", (int)r->nsnapshots },
		{ "analysis", "analyses", (int)r->nanalyses },
		{ "seed", "seeds", (int)r->nseeds },         { "data test", "data tests", (int)r->ntests },
		{ "source", "sources", (int)r->nsources },   { "macro", "macros", (int)r->nmacros },
		{ "semantic model", "semantic models", (int)r->nsemantic_models },
		{ "unit test", "unit tests", (int)r->nunit_tests },
	};
	struct buf b = BUF_INIT;
	buf_puts(&b, "Found ");
	console_counts_text(&b, c, ARRAY_LEN(c));
	console_line(con, "%s", b.p);
	buf_release(&b);
}

/* "2 table models, 3 view models, 4 data tests": by "<materialized> model" and resource type,
 * sorted by name as dbt sorts them */
static void finished_counts(const struct run_item *items, size_t n, struct buf *out)
{
	struct map counts;
	map_init(&counts);
	VEC(const char *) keys = { 0 };
	struct arena a;
	arena_init(&a);
	for (size_t i = 0; i < n; i++) {
		const struct gnode *g = items[i].node;
		const char *k = g->type == GT_MODEL
		                    ? arena_printf(&a, "%s model", v_item_str(g->config, "materialized") ? v_item_str(g->config, "materialized") : "view")
		                    : g->type == GT_TEST ? "data test" : g->type == GT_SEED ? "seed"
		                    : g->type == GT_SNAPSHOT ? "snapshot" : "node";
		uintptr_t c = (uintptr_t)map_get(&counts, str_from(k));
		if (!c)
			vec_push(&keys, k);
		map_set(&counts, str_from(k), (void *)(c + 1));
	}
	for (size_t i = 1; i < keys.n; i++) /* insertion sort: a handful of keys */
		for (size_t j = i; j > 0 && strcmp(keys.v[j - 1], keys.v[j]) > 0; j--) {
			const char *x = keys.v[j];
			keys.v[j] = keys.v[j - 1];
			keys.v[j - 1] = x;
		}
	for (size_t i = 0; i < keys.n; i++) {
		uintptr_t c = (uintptr_t)map_get(&counts, str_from(keys.v[i]));
		const char *k = keys.v[i];
		buf_printf(out, "%s%zu %s%s", i ? ", " : "", (size_t)c, k,
		           c == 1 ? "" : !strcmp(k + strlen(k) - 1, "s") ? "es" : "s");
	}
	if (!keys.n)
		buf_puts(out, "0 nodes");
	vec_free(&keys);
	map_release(&counts);
	arena_release(&a);
}

/* dbt's create_schemas before a run: the schema of every selected node that becomes a relation
 * (models but ephemeral ones, seeds, snapshots, tests that store failures), each once. */
static int create_schemas(struct task *t, struct gnode *const *sel, size_t nsel, struct diag *d)
{
	struct map done;
	map_init(&done);
	struct arena a;
	arena_init(&a);
	int rc = 0;
	for (size_t i = 0; i < nsel && rc == 0; i++) {
		const struct gnode *g = sel[i];
		const char *mat = v_item_str(g->config, "materialized");
		bool relational = (g->type == GT_MODEL && !(mat && !strcmp(mat, "ephemeral"))) ||
		                  g->type == GT_SEED || g->type == GT_SNAPSHOT ||
		                  (g->type == GT_TEST && (v_item(g->config, "store_failures").type == VT_BOOL
		                                              ? v_item(g->config, "store_failures").b
		                                              : t->o->store_failures));
		const char *db = v_item_str(g->raw, "database"), *schema = v_item_str(g->raw, "schema");
		if (!relational || !schema)
			continue;
		const char *key = arena_printf(&a, "%s\x1f%s", db ? db : "", schema);
		if (map_has(&done, str_from(key)))
			continue;
		map_set(&done, str_from(key), (void *)1);
		if (!t->conns[0] && !(t->conns[0] = adapter_open(t->ad, d)))
			rc = -1;
		else
			rc = adapter_create_schema(t->conns[0], db, schema, d);
	}
	map_release(&done);
	arena_release(&a);
	return rc;
}

/* What task_run set up for its threads: connections, results, compilers, the adapter. */
static void task_release(struct task *t)
{
	free(t->out);
	free(t->conns);
	for (int k = 0; k < t->nenvs; k++) {
		node_compiler_release(&t->ncs[k]);
		pthread_mutex_destroy(&t->env_mu[k]);
	}
	free(t->ncs);
	free(t->rs);
	free(t->env_mu);
	adapter_free(t->ad);
}

int task_run(struct project *p, struct parse_result *r, struct gnode *const *nodes, size_t n,
             const struct task_opts *o, struct diag *d)
{
	struct task t = { 0 };
	t.p = p;
	t.r = r;
	t.o = o;
	console_init(&t.con, stdout);
	t.ad = adapter_new(p->profile.output, p->dir, d);
	if (!t.ad)
		return 2;
	struct arena a;
	arena_init(&a);
	t.target_dir = arena_printf(&a, "%s/%s", p->dir, p->target_path ? p->target_path : "target");
	t.threads = o->threads > 0 ? o->threads : (int)(p->profile.threads > 0 ? p->profile.threads : 1);
	t.conns = xcalloc((size_t)t.threads, sizeof(*t.conns));
	t.out = xcalloc(r->m->n ? r->m->n : 1, sizeof(*t.out));
	for (uint32_t i = 0; i < r->m->n; i++)
		t.out[i].failures = -1;
	int nenvs = 1;
	if (strcmp(t.ad->ops->type, "sqlite"))
		while (nenvs < t.threads && (size_t)nenvs <= r->nhelpers && r->helper_envs[nenvs - 1])
			nenvs++;
	t.nenvs = nenvs;
	t.ncs = xcalloc((size_t)nenvs, sizeof(*t.ncs));
	t.rs = xcalloc((size_t)nenvs, sizeof(*t.rs));
	t.env_mu = xcalloc((size_t)nenvs, sizeof(*t.env_mu));
	const char *invocation = artifacts_uuid4(&a);
	for (int k = 0; k < nenvs; k++) {
		t.rs[k] = *r;
		if (k)
			t.rs[k].env = r->helper_envs[k - 1];
		struct node_compiler *nc = &t.ncs[k];
		node_compiler_init_like(nc, p, &t.rs[k], k ? &t.ncs[0] : NULL);
		nc->defer = o->defer;
		nc->empty = o->empty;
		nc->ad = t.ad;
		nc->info.adapter = t.ad;
		static const char *const which[] = { "run", "test", "seed", "build", "snapshot" };
		vdict_sets(nc->info.flags.dict, "WHICH", v_cstr(which[o->kind]));
		vdict_sets(nc->info.flags.dict, "FULL_REFRESH", v_bool(o->full_refresh));
		vdict_sets(nc->info.flags.dict, "STORE_FAILURES", v_bool(o->store_failures));
		nc->info.invocation_id = invocation;
		pthread_mutex_init(&t.env_mu[k], NULL);
	}
	t.seeds = (struct seed_ctx){ p, r, t.ad };
	if (query_comment_init(&t.qc, p, d) < 0 ||
	    query_comment_set_default(&t.qc, t.rs[0].env, &t.ncs[0].info, t.ad, d) < 0) {
		task_release(&t);
		arena_release(&a);
		return 2;
	}

	struct gnode **sel = xcalloc(n + 1, sizeof(*sel));
	size_t nsel = 0;
	for (size_t i = 0; i < n; i++)
		if (runs_in(o->kind, nodes[i]))
			sel[nsel++] = nodes[i];
	for (int k = 0; k < t.nenvs; k++)
		node_compiler_select(&t.ncs[k], sel, nsel);
	struct timespec wall0, t0, t1;
	clock_gettime(CLOCK_REALTIME, &wall0);
	char started_at[40];
	iso_time(&wall0, started_at);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	task_found_line(&t.con, r);
	console_line(&t.con, "%s", "");
	int rc = 0;
	if (!nsel) {
		console_line(&t.con, "Nothing to do. Try checking your model configs and model specification args");
		goto finish;
	}
	console_line(&t.con, "Concurrency: %d thread%s (target='%s')", t.threads, t.threads == 1 ? "" : "s",
	             o->target_name ? o->target_name : "");
	console_line(&t.con, "%s", "");
	if (create_schemas(&t, sel, nsel, d) < 0) {
		rc = 2;
		goto finish;
	}
	int hook_failures = task_hooks(&t, "on-run-start", p->on_run_start, v_undef());
	struct run_item *items = xcalloc(nsel + 1, sizeof(*items));
	struct run_opts ro = { .threads = t.threads, .fail_fast = o->fail_fast, .execute = execute,
		               .on_start = on_start, .on_done = on_done, .on_stop = on_stop, .ud = &t,
		               .interrupt = o->interrupt, .test_edges = o->kind == TASK_BUILD };
	if (hook_failures) {
		for (size_t i = 0; i < nsel; i++)
			items[i] = (struct run_item){ .node = sel[i], .status = RUN_SKIPPED };
		rc = 1;
	} else {
		rc = run_dag(r->m, sel, nsel, &ro, items);
	}
	console_line(&t.con, "%s", "");
	hook_failures += task_hooks(&t, "on-run-end", p->on_run_end, results_context(&a, &t, items, nsel));
	if (hook_failures)
		rc = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = secs_between(&t0, &t1);
	struct buf line = BUF_INIT;
	buf_puts(&line, "Finished running ");
	finished_counts(items, nsel, &line);
	buf_puts(&line, " in ");
	console_duration_text(&line, secs);
	buf_putc(&line, '.');
	console_line(&t.con, "%s", line.p);
	console_line(&t.con, "%s", "");
	int pass = 0, warn = 0, err = 0, skip = 0;
	for (size_t i = 0; i < nsel; i++) {
		enum run_status s = items[i].status;
		pass += s == RUN_SUCCESS, warn += s == RUN_WARN, err += s == RUN_ERROR || s == RUN_FAIL,
		    skip += s == RUN_SKIPPED;
	}
	if (!err && !warn) {
		console_line(&t.con, "Completed successfully");
	} else {
		if (err)
			console_line(&t.con, "Completed with %d error%s, 0 partial successes, and %d warning%s:",
			             err, err == 1 ? "" : "s", warn, warn == 1 ? "" : "s");
		else
			console_line(&t.con, "Completed with %d warning%s:", warn, warn == 1 ? "" : "s");
		for (size_t i = 0; i < nsel; i++) {
			const struct gnode *g = items[i].node;
			const struct outcome *oc = &t.out[g->idx];
			enum run_status s = items[i].status;
			if (s != RUN_ERROR && s != RUN_FAIL && s != RUN_WARN)
				continue;
			console_line(&t.con, "%s", "");
			if (s == RUN_ERROR) {
				const char *text = oc->block ? oc->block : "unknown error";
				for (const char *x = text; *x;) {
					const char *e = strchr(x, '\n');
					size_t len = e ? (size_t)(e - x) : strlen(x);
					console_error_line(&t.con, "  %.*s", (int)len, x);
					x += len + (e != NULL);
				}
			} else {
				if (s == RUN_FAIL) { /* error lines, a warning's not (dbt's levels) */
					console_error_line(&t.con, "Failure in test %s (%s)", g->name,
					                   g->original_file_path);
					console_error_line(&t.con, "  %s", oc->message ? oc->message : "");
				} else {
					console_line(&t.con, "Warning in test %s (%s)", g->name,
					             g->original_file_path);
					console_line(&t.con, "  %s", oc->message ? oc->message : "");
				}
				console_line(&t.con, "%s", "");
				buf_reset(&line);
				node_out_path(&t, g, "compiled", &line, true);
				console_line(&t.con, "  compiled code at %s", line.p);
			}
		}
	}
	console_line(&t.con, "%s", "");
	buf_reset(&line);
	console_done_text(&line, pass, warn, err, skip, 0);
	console_line(&t.con, "%s", line.p);
	buf_release(&line);
	if (!o->no_write_json && write_run_results(&t, &a, items, nsel, secs, started_at, d) < 0)
		rc = rc ? rc : 1;
	free(items);
finish:
	for (int i = 0; i < t.threads; i++)
		if (t.conns[i])
			adapter_close(t.conns[i]);
	for (uint32_t i = 0; i < r->m->n; i++) {
		struct outcome *oc = &t.out[i];
		free(oc->message);
		free(oc->block);
		free(oc->status_text);
		free(oc->response);
		free(oc->compiled_code);
	}
	free(sel);
	task_release(&t);
	arena_release(&a);
	return rc;
}
