/* silt clone: dbt's `dbt clone` — for each selected model, seed and snapshot that the state
 * (--state DIR, or --state-env NAME: an environment's applied state) built as a relation, make a
 * relation in the current target that points at the state's, through the `clone`
 * materialization (compile/macros/clone.sql): a zero-copy table clone where the adapter can,
 * else a view `select * from <state relation>`. A relation that already exists in the target is
 * left alone unless --full-refresh. Nodes run independently (a failure skips nothing), print no
 * progress lines (as dbt's clone runner), and end in dbt's summary and run_results.json. As a step
 * of `silt job run` it clones into the step environment's target and schema. */
#include <time.h>

#include "adapter/adapter.h"
#include "artifacts/artifacts.h"
#include "cli.h"
#include "run/hooks.h"
#include "run/compile.h"
#include "run/console.h"
#include "run/task.h"

struct clone_result {
	const struct gnode *g;
	bool ok;
	char *message; /* "No-op", the response, or the error text */
	char *response;
	int64_t rows_affected;
	double secs;
};

/* The state node g is cloned from: a model, seed or snapshot the state built (not ephemeral
 * there) — dbt's defer_relation; NULL when there is none. */
static const struct gstate_node *state_node(const struct gstate *s, const struct gnode *g)
{
	const struct gstate_node *sn = gstate_find(s, str_from(g->unique_id));
	if (!sn || !sn->relation_name ||
	    (sn->type != GT_MODEL && sn->type != GT_SEED && sn->type != GT_SNAPSHOT))
		return NULL;
	const char *mat = v_item_str(sn->config, "materialized");
	return mat && !strcmp(mat, "ephemeral") ? NULL : sn;
}

static value str_or_none(const char *s) { return s ? v_cstr(s) : v_none(); }

static char *error_text(const struct gnode *g, bool database, const char *msg)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s Error in %s %s (%s)", database ? "Database" : "Compilation",
	           graph_type_name(g->type), g->name,
	           g->original_file_path ? g->original_file_path : g->path);
	for (const char *s = msg; *s;) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		buf_puts(&b, "\n  ");
		buf_append(&b, s, n);
		s += n + (e != NULL);
	}
	return buf_detach(&b, NULL);
}


/* sql, defer_relation, the hooks and `model` as the materialization sees them under clone */
static void clone_context(struct node_render *nr, const struct gnode *g,
                          const struct gstate_node *sn)
{
	struct vdict *ctx = nr->r.ctx.dict;
	struct arena *a = nr->a;
	value defer = v_none();
	if (sn) {
		defer = dbt_relation_named(a, str_or_none(sn->database), str_or_none(sn->schema),
		                           str_or_none(sn->alias), v_cstr(sn->relation_name));
		char *sql = arena_printf(a, "select * from %s", sn->relation_name);
		vdict_sets(ctx, "sql", v_cstr(sql));
	}
	vdict_sets(ctx, "defer_relation", defer);
	static const char *const hook_keys[2][2] = { { "pre-hook", "pre_hooks" },
		                                     { "post-hook", "post_hooks" } };
	for (int h = 0; h < 2; h++) {
		value hooks = v_item(g->config, hook_keys[h][0]), list = v_list(a, 2);
		if (hooks.type == VT_LIST)
			for (uint32_t i = 0; i < hooks.list->n; i++) {
				value x = hooks.list->v[i];
				if (x.type == VT_STR) {
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
	vdict_sets(ctx, "model", g->raw);
}

/* materialization_clone_<adapter>, else _default: the root project's, the packages', dbt's */
static bool find_clone(struct parse_result *r, struct project *p, const char *adapter_type,
                       const char **ns_out, struct buf *key)
{
	const char *adapters[2] = { adapter_type, "default" };
	for (int k = 0; k < 2; k++) {
		buf_reset(key);
		buf_printf(key, "materialization_clone_%s", adapters[k]);
		size_t nns = r->npkgs + 2;
		for (size_t i = 0; i < nns; i++) {
			const char *ns = i == 0 ? p->name : i == nns - 1 ? "dbt" : r->pkgs[i - 1].name;
			value nsv, m;
			if (ns && jinja_get_global(r->env, ns, &nsv) && nsv.type == VT_DICT &&
			    vdict_gets(nsv.dict, buf_str(key), &m)) {
				*ns_out = ns;
				return true;
			}
		}
	}
	return false;
}

static void clone_one(struct node_compiler *nc, struct adapter *ad, struct adapter_conn *c,
                      const struct gstate *state, struct gnode *g, struct clone_result *res)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct arena a;
	arena_init(&a);
	struct dbt_runtime rt;
	dbt_runtime_init(&rt, c, &a);
	nc->rt = &rt;
	struct diag d;
	diag_init(&d);
	res->g = g;
	const char *ns = NULL;
	struct buf key = BUF_INIT;
	struct node_render nr;
	if (!find_clone(nc->r, nc->p, nc->info.adapter_type, &ns, &key)) {
		res->message = error_text(g, false, "No materialization 'clone' was found");
		goto done;
	}
	if (node_render_begin(nc, g, &a, &nr, &d) < 0) {
		char *msg = run_error_text(&d);
		res->message = error_text(g, false, msg);
		free(msg);
		goto done;
	}
	clone_context(&nr, g, state_node(state, g));
	struct vargs none = { 0 };
	value ret = v_none();
	int rc = jinja_call_macro(nc->r->env, ns, buf_cstr(&key), &none, &nr.opts, &ret, &d);
	node_render_end(&nr);
	struct diag ignore;
	diag_init(&ignore);
	if (rc < 0) {
		if (adapter_in_transaction(c))
			adapter_rollback(c, &ignore);
		char *msg = rt.db_error ? strdup(rt.db_message) : run_error_text(&d);
		res->message = error_text(g, rt.db_error, msg);
		free(msg);
	} else if (adapter_in_transaction(c) && adapter_commit(c, &ignore) < 0) {
		char *msg = run_error_text(&ignore);
		res->message = error_text(g, true, msg);
		free(msg);
	} else {
		res->ok = true;
		value rels = v_item(ret, "relations");
		for (uint32_t i = 0; rels.type == VT_LIST && i < rels.list->n; i++) {
			struct relation rel;
			if (dbt_relation_to_adapter(rels.list->v[i], &a, &rel))
				adapter_cache_added(ad, &rel);
		}
		const char *msg;
		int64_t rows;
		if (rt.response.type != VT_UNDEF && dbt_response_parts(rt.response, &msg, &rows)) {
			res->response = strdup(msg);
			res->rows_affected = rows;
			res->message = strdup(msg);
		} else {
			res->message = strdup("No-op");
		}
	}
	diag_release(&ignore);
done:
	nc->rt = NULL;
	buf_release(&key);
	diag_release(&d);
	arena_release(&a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static int write_results(struct project *p, const char *invocation_id, const char *started_at,
                         const struct clone_result *res, size_t n, double elapsed,
                         struct arena *a, struct diag *d)
{
	value results = v_list(a, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const struct clone_result *x = &res[i];
		value r = v_dict(a, 12);
		vdict_sets(r.dict, "status", v_cstr(x->ok ? "success" : "error"));
		vdict_sets(r.dict, "timing", v_list(a, 0));
		vdict_sets(r.dict, "thread_id", v_cstr("Thread-1 (worker)"));
		vdict_sets(r.dict, "execution_time", v_float(x->secs));
		value resp = v_dict(a, 3);
		if (x->response) {
			vdict_sets(resp.dict, "_message", v_cstr(x->response));
			const char *sp = strchr(x->response, ' ');
			vdict_sets(resp.dict, "code", sp ? v_strdup(a, x->response, (size_t)(sp - x->response))
			                                 : v_cstr(x->response));
			vdict_sets(resp.dict, "rows_affected", v_int(x->rows_affected));
		}
		vdict_sets(r.dict, "adapter_response", resp);
		vdict_sets(r.dict, "message", str_or_none(x->message));
		vdict_sets(r.dict, "failures", v_none());
		vdict_sets(r.dict, "unique_id", v_cstr(x->g->unique_id));
		vdict_sets(r.dict, "compiled", v_bool(false));
		vdict_sets(r.dict, "compiled_code", v_none());
		value rel = v_item(x->g->raw, "relation_name");
		vdict_sets(r.dict, "relation_name", rel.type == VT_STR ? rel : v_none());
		vdict_sets(r.dict, "batch_results", v_none());
		vlist_push(results.list, r);
	}
	value top = artifacts_run_results(a, invocation_id, started_at, results, elapsed, "clone");
	return artifacts_write_json(project_target_file(p, a, "run_results.json"), top, d);
}

/* Clones sel's nodes one after the other on one connection and prints dbt's lines. */
static int clone_nodes(struct cli_parsed *c, struct gnode *const *sel, size_t n,
                       const struct gstate *state, bool full_refresh, int threads,
                       bool write_json)
{
	struct console con;
	console_init(&con, stdout);
	struct adapter *ad = adapter_new(c->p.profile.output, c->p.dir, &c->d);
	if (!ad)
		return 2;
	struct arena a;
	arena_init(&a);
	struct node_compiler nc;
	node_compiler_init(&nc, &c->p, &c->r);
	nc.ad = ad;
	nc.info.adapter = ad;
	vdict_sets(nc.info.flags.dict, "WHICH", v_cstr("clone"));
	vdict_sets(nc.info.flags.dict, "FULL_REFRESH", v_bool(full_refresh));
	nc.info.invocation_id = artifacts_uuid4(&a);
	node_compiler_select(&nc, sel, n);
	struct timespec wall0, t0, t1;
	clock_gettime(CLOCK_REALTIME, &wall0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct tm tm;
	gmtime_r(&wall0.tv_sec, &tm);
	char started_at[40];
	size_t sl = strftime(started_at, sizeof(started_at), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(started_at + sl, sizeof(started_at) - sl, ".%06ldZ", wall0.tv_nsec / 1000);

	task_found_line(&con, &c->r);
	console_line(&con, "%s", "");
	struct clone_result *res = xcalloc(n + 1, sizeof(*res));
	int rc = 0, errors = 0;
	if (!n) {
		console_line(&con, "Nothing to do. Try checking your model configs and model specification args");
		goto results;
	}
	int nthreads = threads > 0 ? threads : (int)(c->p.profile.threads > 0 ? c->p.profile.threads : 1);
	console_line(&con, "Concurrency: %d thread%s (target='%s')", nthreads, nthreads == 1 ? "" : "s",
	             c->p.profile.target_name ? c->p.profile.target_name : "");
	console_line(&con, "%s", "");
	struct diag cd;
	diag_init(&cd);
	struct adapter_conn *conn = adapter_open(ad, &cd);
	if (!conn) {
		cli_print_diag(&cd);
		diag_release(&cd);
		rc = 2;
		goto out;
	}
	diag_release(&cd);
	/* dbt's create_schemas first: each target schema once */
	for (size_t i = 0; i < n; i++) {
		const char *db = v_item_str(sel[i]->raw, "database"), *schema = v_item_str(sel[i]->raw, "schema");
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			const char *db2 = v_item_str(sel[k]->raw, "database"), *s2 = v_item_str(sel[k]->raw, "schema");
			seen = s2 && schema && !strcmp(s2, schema) && !strcmp(db ? db : "", db2 ? db2 : "");
		}
		diag_init(&cd);
		if (schema && !seen && adapter_create_schema(conn, db, schema, &cd) < 0)
			cli_print_diag(&cd);
		diag_release(&cd);
	}
	for (size_t i = 0; i < n; i++) {
		clone_one(&nc, ad, conn, state, sel[i], &res[i]);
		errors += !res[i].ok;
	}
	adapter_close(conn);
	console_line(&con, "%s", "");
	if (!errors) {
		console_line(&con, "Completed successfully");
	} else {
		console_line(&con, "Completed with %d error%s, 0 partial successes, and 0 warnings:", errors,
		             errors == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			if (res[i].ok)
				continue;
			console_line(&con, "%s", "");
			for (const char *x = res[i].message; *x;) {
				const char *e = strchr(x, '\n');
				size_t len = e ? (size_t)(e - x) : strlen(x);
				console_error_line(&con, "  %.*s", (int)len, x);
				x += len + (e != NULL);
			}
		}
		rc = 1;
	}
	console_line(&con, "%s", "");
	struct buf line = BUF_INIT;
	console_done_text(&line, (int)n - errors, 0, errors, 0, 0);
	console_line(&con, "%s", line.p);
	buf_release(&line);
results:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (write_json &&
	    write_results(&c->p, nc.info.invocation_id, started_at, res, n,
	                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	                  &a, &c->d) < 0)
		rc = rc ? rc : 1;
out:
	for (size_t i = 0; i < n; i++) {
		free(res[i].message);
		free(res[i].response);
	}
	free(res);
	node_compiler_release(&nc);
	adapter_free(ad);
	arena_release(&a);
	return rc;
}

int cmd_clone(int argc, char **argv)
{
	struct project_opts o = { 0 };
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	struct cli_selection csel = { 0 };
	bool full_refresh = false, write_json = cli_globals.write_json;
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (cli_take_selection_flag(rest, nrest, &i, &csel))
			continue;
		if (!strcmp(rest[i], "--full-refresh") || !strcmp(rest[i], "-f"))
			full_refresh = true;
		else {
			fprintf(stderr, "silt clone: %s '%s'\n",
			        rest[i][0] == '-' ? "unknown option or missing value" : "unknown argument",
			        rest[i]);
			rc = 2;
		}
	}
	free(rest);
	if (rc) {
		cli_selection_release(&csel);
		return rc;
	}
	const char *env_state = getenv("DBT_STATE");
	if (!csel.state_dir && !csel.state_env && !(env_state && *env_state)) {
		fprintf(stderr, "silt clone: clone reads the relations of a state: give --state DIR "
		                "(a folder with manifest.json) or --state-env NAME\n");
		cli_selection_release(&csel);
		return 2;
	}
	const uint32_t refable = 1u << GT_MODEL | 1u << GT_SEED | 1u << GT_SNAPSHOT;
	struct cli_parsed c;
	struct gselect_opts so;
	struct gselection sel;
	rc = 2;
	struct arena ea; /* a job step's environment settings */
	arena_init(&ea);
	if (cli_load_parse_step(&c, &o, &ea) < 0 ||
	    cli_selection_opts(&csel, csel.types.n || csel.extypes.n ? 0 : refable, &so, c.selectors,
	                       &c.d) < 0 ||
	    cli_selection_state(&csel, &c, &so) < 0 || graph_select(&c.a, c.r.m, &so, &sel, &c.d) < 0)
		goto done;
	if (!csel.state) {
		diag_add(&c.d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "clone: no state was loaded");
		goto done;
	}
	/* only refable nodes, even when --resource-type names others (dbt filters them out) */
	/* in the order a run takes them: topological, ties as the manifest lists them */
	struct gnode **nodes = xcalloc(sel.n + 1, sizeof(*nodes));
	size_t n = 0;
	const struct gmanifest *m = c.r.m;
	for (uint32_t t = 0; t < m->n; t++) {
		uint32_t i = m->topo ? m->topo[t] : t;
		if ((sel.bits[i / 64] >> (i % 64) & 1) && (refable & (1u << m->nodes[i]->type)))
			nodes[n++] = m->nodes[i];
	}
	if (write_json && cli_write_manifest(&c.p, &c.r, &c.a, &c.d) < 0) {
		free(nodes);
		goto done;
	}
	rc = clone_nodes(&c, nodes, n, csel.state, full_refresh, o.threads, write_json);
	free(nodes);
done:
	cli_parsed_release(&c);
	cli_selection_release(&csel);
	arena_release(&ea);
	return rc;
}
