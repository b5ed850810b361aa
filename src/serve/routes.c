/* The routes of `silt serve` and their handlers: health, environments, jobs, runs with their
 * steps, logs and artifacts. Each handler reads the request through http.c's helpers and
 * answers with one reply_* call. The table documents itself (openapi.c). */
#include <errno.h>

#include "serve_int.h"
#include "json/json.h"

/* ---- JSON shapes ---- */

static value opt_str(const char *s) { return s ? v_cstr(s) : v_none(); }
static value opt_id(int64_t id) { return id ? v_int(id) : v_none(); }

static value env_json(struct arena *a, const struct store_env *e)
{
	value v = v_dict(a, 12);
	vdict_sets(v.dict, "id", v_int(e->id));
	vdict_sets(v.dict, "name", v_cstr(e->name));
	vdict_sets(v.dict, "type", v_cstr(store_env_type_name(e->type)));
	vdict_sets(v.dict, "target_name", opt_str(e->target_name));
	vdict_sets(v.dict, "database", opt_str(e->database));
	vdict_sets(v.dict, "schema", opt_str(e->schema));
	vdict_sets(v.dict, "threads", e->threads ? v_int(e->threads) : v_none());
	vdict_sets(v.dict, "git_branch", opt_str(e->git_branch));
	vdict_sets(v.dict, "dbt_version", opt_str(e->dbt_version));
	vdict_sets(v.dict, "defer_env", opt_str(e->defer_env_name));
	vdict_sets(v.dict, "created_at", opt_str(e->created_at));
	vdict_sets(v.dict, "updated_at", opt_str(e->updated_at));
	return v;
}

static value job_json(struct arena *a, const struct store_job *j)
{
	value v = v_dict(a, 16), steps = v_list(a, (uint32_t)j->nsteps);
	for (size_t i = 0; i < j->nsteps; i++)
		vlist_push(steps.list, v_cstr(j->steps[i]));
	vdict_sets(v.dict, "id", v_int(j->id));
	vdict_sets(v.dict, "name", v_cstr(j->name));
	vdict_sets(v.dict, "environment", opt_str(j->env_name));
	vdict_sets(v.dict, "environment_id", v_int(j->env_id));
	vdict_sets(v.dict, "description", opt_str(j->description));
	vdict_sets(v.dict, "job_type", opt_str(j->job_type));
	vdict_sets(v.dict, "schedule", opt_str(j->schedule_cron));
	vdict_sets(v.dict, "threads", j->threads ? v_int(j->threads) : v_none());
	vdict_sets(v.dict, "target_name", opt_str(j->target_name));
	vdict_sets(v.dict, "timeout_seconds", j->timeout_seconds ? v_int(j->timeout_seconds) : v_none());
	vdict_sets(v.dict, "defer_env_id", opt_id(j->defer_env_id));
	vdict_sets(v.dict, "generate_docs", v_bool(j->generate_docs));
	vdict_sets(v.dict, "run_source_freshness", v_bool(j->run_source_freshness));
	vdict_sets(v.dict, "steps", steps);
	value trig = v_none();
	struct diag d;
	diag_init(&d);
	if (j->triggers && json_parse(a, "triggers", j->triggers, strlen(j->triggers), &trig, &d) < 0)
		trig = v_none();
	diag_release(&d);
	vdict_sets(v.dict, "triggers", trig);
	vdict_sets(v.dict, "created_at", opt_str(j->created_at));
	vdict_sets(v.dict, "updated_at", opt_str(j->updated_at));
	return v;
}

static value run_json(struct arena *a, const struct store_run *r)
{
	value v = v_dict(a, 18);
	vdict_sets(v.dict, "id", v_int(r->id));
	vdict_sets(v.dict, "environment", opt_str(r->env_name));
	vdict_sets(v.dict, "environment_id", opt_id(r->env_id));
	vdict_sets(v.dict, "job", opt_str(r->job_name));
	vdict_sets(v.dict, "job_id", opt_id(r->job_id));
	vdict_sets(v.dict, "status", v_cstr(store_status_name(r->status)));
	vdict_sets(v.dict, "trigger", v_cstr(r->trigger ? r->trigger : "manual"));
	vdict_sets(v.dict, "is_ci", v_bool(r->is_ci));
	vdict_sets(v.dict, "command", opt_str(r->command));
	vdict_sets(v.dict, "git_sha", opt_str(r->git_sha));
	vdict_sets(v.dict, "git_branch", opt_str(r->git_branch));
	vdict_sets(v.dict, "pr_id", opt_str(r->pr_id));
	vdict_sets(v.dict, "rerun_of", opt_id(r->rerun_of));
	vdict_sets(v.dict, "message", opt_str(r->message));
	vdict_sets(v.dict, "created_at", opt_str(r->created_at));
	vdict_sets(v.dict, "started_at", opt_str(r->started_at));
	vdict_sets(v.dict, "finished_at", opt_str(r->finished_at));
	return v;
}

static value step_json(struct arena *a, const struct store_step *s, bool logs)
{
	value v = v_dict(a, 8);
	vdict_sets(v.dict, "id", v_int(s->id));
	vdict_sets(v.dict, "position", v_int(s->position));
	vdict_sets(v.dict, "command", v_cstr(s->command));
	vdict_sets(v.dict, "status", v_cstr(store_status_name(s->status)));
	vdict_sets(v.dict, "exit_code", s->exit_code >= 0 ? v_int(s->exit_code) : v_none());
	vdict_sets(v.dict, "started_at", opt_str(s->started_at));
	vdict_sets(v.dict, "finished_at", opt_str(s->finished_at));
	if (logs)
		vdict_sets(v.dict, "logs", v_cstr(s->logs ? s->logs : ""));
	return v;
}

/* ---- small helpers ---- */

/* The path parameter `name` as a positive id; false after replying 400. */
static bool param_id(struct req *r, const char *name, int64_t *out)
{
	const char *s = req_param(r, name);
	char *end;
	errno = 0;
	long long v = s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || errno || v <= 0) {
		reply_error(r, 400, "bad_request", "'%s' must be a positive integer id, not '%s'", name,
		            s ? s : "");
		return false;
	}
	*out = v;
	return true;
}

static bool load_run(struct req *r, struct store_run *run)
{
	int64_t id;
	if (!param_id(r, "run_id", &id))
		return false;
	struct diag d;
	diag_init(&d);
	int rc = store_run_get(r->store, id, &r->a, run, &d);
	if (rc < 0)
		reply_diag(r, &d);
	diag_release(&d);
	return rc == 0;
}

/* ---- handlers ---- */

static void get_health(struct req *r)
{
	struct diag d;
	diag_init(&d);
	int version = store_schema_version(r->store, &d);
	diag_release(&d);
	value v = v_dict(&r->a, 4);
	vdict_sets(v.dict, "status", v_cstr(version >= 0 ? "ok" : "degraded"));
	vdict_sets(v.dict, "store", v_cstr(store_display(r->store)));
	vdict_sets(v.dict, "store_schema_version", v_int(version));
	vdict_sets(v.dict, "store_schema_known", v_int(store_known_version()));
	reply_json(r, 200, v);
}

static void get_openapi(struct req *r) { reply_json(r, 200, serve_openapi(&r->a)); }

static void list_envs(struct req *r)
{
	struct store_env *envs;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_env_list(r->store, &r->a, &envs, &n, &d), &d))
		return;
	const char *type = req_query(r, "type");
	if (type && store_env_type_parse(type) < 0) {
		reply_error(r, 400, "bad_request",
		            "type must be production, staging, general or development, not '%s'", type);
		return;
	}
	struct page pg = page_new(r, n);
	for (size_t i = 0; i < n; i++)
		if (!type || !strcmp(store_env_type_name(envs[i].type), type))
			page_add(r, &pg, envs[i].id, env_json(&r->a, &envs[i]));
	reply_page(r, &pg);
}

static void get_env(struct req *r)
{
	struct store_env e;
	struct diag d;
	diag_init(&d);
	if (store_env_get(r->store, req_param(r, "env"), &r->a, &e, &d) < 0)
		reply_diag(r, &d);
	else
		reply_json(r, 200, env_json(&r->a, &e));
	diag_release(&d);
}

/* Sets e's settings from a create/update body; false after replying 400/404. */
static bool env_from_body(struct req *r, value body, struct store_env *e)
{
	value v;
	const char *name;
	if ((v = v_item(body, "type")).type == VT_STR) {
		int t = store_env_type_parse(v.s);
		if (t < 0) {
			reply_error(r, 400, "invalid_field",
			            "type must be production, staging, general or development, not '%s'", v.s);
			return false;
		}
		e->type = (enum store_env_type)t;
	}
	struct {
		const char *key;
		const char **slot;
	} strs[] = { { "name", &e->name },       { "target_name", &e->target_name },
		     { "database", &e->database }, { "schema", &e->schema },
		     { "git_branch", &e->git_branch }, { "dbt_version", &e->dbt_version } };
	for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
		v = v_item(body, strs[i].key);
		if (v.type == VT_STR)
			*strs[i].slot = v.len ? v.s : NULL;
		else if (v.type == VT_NONE && strcmp(strs[i].key, "name"))
			*strs[i].slot = NULL;
	}
	if ((v = v_item(body, "threads")).type == VT_INT) {
		if (v.i < 1 || v.i > 1024) {
			reply_error(r, 400, "invalid_field", "threads must be from 1 to 1024");
			return false;
		}
		e->threads = v.i;
	} else if (v.type == VT_NONE) {
		e->threads = 0;
	}
	v = v_item(body, "defer_env");
	if (v.type == VT_NONE) {
		e->defer_env_id = 0;
	} else if (v.type == VT_STR && (name = v.s) != NULL) {
		struct store_env other;
		struct diag d;
		diag_init(&d);
		if (store_env_get(r->store, name, &r->a, &other, &d) < 0) {
			reply_diag(r, &d);
			diag_release(&d);
			return false;
		}
		diag_release(&d);
		e->defer_env_id = other.id;
	}
	return true;
}

static void create_env(struct req *r);
static void update_env(struct req *r);
static const struct route *route_of_var_put(void);
static const struct route *route_of_cred_put(void);

static const struct route_field env_body[] = {
	{ "name", "string", "unique name" },
	{ "type", "string", "production, staging, general or development" },
	{ "target_name", "string", "profile output (target.name)" },
	{ "database", "string", "database, overriding the output's" },
	{ "schema", "string", "schema, overriding the output's" },
	{ "threads", "integer", "threads, overriding the output's" },
	{ "git_branch", "string", "the branch deploy jobs check out" },
	{ "dbt_version", "string", "the dbt version the environment pins" },
	{ "defer_env", "string", "the environment deferral reads by default" },
	{ NULL, NULL, NULL },
};

static const struct route *route_of(route_fn fn);

static void create_env(struct req *r)
{
	bool ok;
	value body = req_body(r, route_of(create_env), &ok);
	if (!ok)
		return;
	struct store_env e = { .type = SENV_GENERAL };
	if (!env_from_body(r, body, &e))
		return;
	if (!e.name || v_item(body, "type").type != VT_STR) {
		reply_error(r, 400, "missing_field", "an environment needs a 'name' and a 'type'");
		return;
	}
	struct diag d;
	diag_init(&d);
	if (store_env_create(r->store, &e, &d) < 0 || store_env_get_id(r->store, e.id, &r->a, &e, &d) < 0)
		reply_diag(r, &d);
	else
		reply_json(r, 201, env_json(&r->a, &e));
	diag_release(&d);
}

static void update_env(struct req *r)
{
	bool ok;
	value body = req_body(r, route_of(update_env), &ok);
	if (!ok)
		return;
	struct store_env e;
	struct diag d;
	diag_init(&d);
	if (store_env_get(r->store, req_param(r, "env"), &r->a, &e, &d) < 0) {
		reply_diag(r, &d);
	} else if (env_from_body(r, body, &e)) {
		if (!e.name)
			reply_error(r, 400, "invalid_field", "name cannot be empty");
		else if (store_env_update(r->store, &e, &d) < 0 ||
		         store_env_get_id(r->store, e.id, &r->a, &e, &d) < 0)
			reply_diag(r, &d);
		else
			reply_json(r, 200, env_json(&r->a, &e));
	}
	diag_release(&d);
}

static void delete_env(struct req *r)
{
	int njobs = 0;
	struct diag d;
	diag_init(&d);
	if (store_env_delete(r->store, req_param(r, "env"), &njobs, &d) < 0) {
		reply_diag(r, &d);
	} else {
		value v = v_dict(&r->a, 2);
		vdict_sets(v.dict, "deleted", v_cstr(req_param(r, "env")));
		vdict_sets(v.dict, "jobs_deleted", v_int(njobs));
		reply_json(r, 200, v);
	}
	diag_release(&d);
}

static void list_jobs(struct req *r)
{
	struct diag d;
	diag_init(&d);
	const char *env = req_query(r, "environment");
	struct store_env e;
	struct store_job *jobs;
	size_t n;
	int rc = env ? store_env_get(r->store, env, &r->a, &e, &d) : 0;
	if (rc == 0)
		rc = store_job_list(r->store, env ? e.id : 0, &r->a, &jobs, &n, &d);
	if (reply_failed(r, rc, &d))
		return;
	struct page pg = page_new(r, n);
	for (size_t i = 0; i < n; i++)
		page_add(r, &pg, jobs[i].id, job_json(&r->a, &jobs[i]));
	reply_page(r, &pg);
}

static void get_job(struct req *r)
{
	struct store_job j;
	struct diag d;
	diag_init(&d);
	const char *key = req_param(r, "job");
	char *end;
	long long id = strtoll(key, &end, 10);
	int rc = *end == 0 && id > 0 ? store_job_get_id(r->store, id, &r->a, &j, &d)
	                             : store_job_get(r->store, key, &r->a, &j, &d);
	if (rc < 0)
		reply_diag(r, &d);
	else
		reply_json(r, 200, job_json(&r->a, &j));
	diag_release(&d);
}

static void list_runs(struct req *r)
{
	struct store_run_filter f = { 0 };
	struct diag d;
	diag_init(&d);
	const char *env = req_query(r, "environment"), *job = req_query(r, "job"),
	           *status = req_query(r, "status");
	struct store_env e;
	struct store_job j;
	if ((env && store_env_get(r->store, env, &r->a, &e, &d) < 0) ||
	    (job && store_job_get(r->store, job, &r->a, &j, &d) < 0)) {
		reply_diag(r, &d);
		diag_release(&d);
		return;
	}
	if (status && (store_status_parse(status) < 0 || !strcmp(status, "skipped"))) {
		reply_error(r, 400, "bad_request",
		            "status must be queued, running, success, error or cancelled, not '%s'", status);
		diag_release(&d);
		return;
	}
	f.env_id = env ? e.id : 0;
	f.job_id = job ? j.id : 0;
	f.pr_id = req_query(r, "pr");
	struct store_run *runs;
	size_t n;
	if (reply_failed(r, store_run_list(r->store, &f, &r->a, &runs, &n, &d), &d))
		return;
	struct page pg = page_new(r, n);
	for (size_t i = 0; i < n; i++)
		if (!status || !strcmp(store_status_name(runs[i].status), status))
			page_add(r, &pg, runs[i].id, run_json(&r->a, &runs[i]));
	reply_page(r, &pg);
}

static void get_run(struct req *r)
{
	struct store_run run;
	if (load_run(r, &run))
		reply_json(r, 200, run_json(&r->a, &run));
}

static void list_steps(struct req *r)
{
	struct store_run run;
	if (!load_run(r, &run))
		return;
	struct store_step *steps;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_step_list(r->store, run.id, &r->a, &steps, &n, &d), &d))
		return;
	value items = v_list(&r->a, (uint32_t)n), top = v_dict(&r->a, 1);
	for (size_t i = 0; i < n; i++)
		vlist_push(items.list, step_json(&r->a, &steps[i], false));
	vdict_sets(top.dict, "data", items);
	reply_json(r, 200, top);
}

static void get_logs(struct req *r)
{
	struct store_run run;
	if (!load_run(r, &run))
		return;
	int64_t step;
	if (!req_int(r, "step", 1, 1000, 0, &step))
		return;
	struct store_step *steps;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_step_list(r->store, run.id, &r->a, &steps, &n, &d), &d))
		return;
	struct buf b = BUF_INIT;
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		if (step && steps[i].position != step)
			continue;
		found = true;
		if (!step)
			buf_printf(&b, "== step %d: %s (%s)\n", steps[i].position, steps[i].command,
			           store_status_name(steps[i].status));
		buf_puts(&b, steps[i].logs ? steps[i].logs : "");
	}
	if (step && !found)
		reply_error(r, 404, "not_found", "run %lld has no step %lld", (long long)run.id, (long long)step);
	else
		reply_text(r, 200, "text/plain; charset=utf-8", b.p ? b.p : "", b.n);
	buf_release(&b);
}

static void list_artifacts(struct req *r)
{
	struct store_run run;
	if (!load_run(r, &run))
		return;
	struct store_artifact *arts;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_artifact_list(r->store, run.id, false, &r->a, &arts, &n, &d), &d))
		return;
	value items = v_list(&r->a, (uint32_t)n), top = v_dict(&r->a, 1);
	for (size_t i = 0; i < n; i++) {
		value v = v_dict(&r->a, 3);
		vdict_sets(v.dict, "path", v_cstr(arts[i].path));
		vdict_sets(v.dict, "step_id", opt_id(arts[i].step_id));
		vdict_sets(v.dict, "size", v_int((int64_t)arts[i].len));
		vlist_push(items.list, v);
	}
	vdict_sets(top.dict, "data", items);
	reply_json(r, 200, top);
}

static void get_artifact(struct req *r)
{
	struct store_run run;
	if (!load_run(r, &run))
		return;
	int64_t step;
	if (!req_int(r, "step_id", 0, INT64_MAX, 0, &step))
		return;
	const char *path = req_param(r, "path");
	struct store_artifact art;
	struct diag d;
	diag_init(&d);
	int rc = store_artifact_get(r->store, run.id, step, path, &r->a, &art, &d);
	if (rc < 0)
		reply_diag(r, &d);
	else if (rc == 0)
		reply_error(r, 404, "not_found", "run %lld has no artifact '%s'%s", (long long)run.id, path,
		            step ? " for that step" : " of its own (give ?step_id=N for a step's)");
	else
		reply_text(r, 200,
		           strlen(path) > 5 && !strcmp(path + strlen(path) - 5, ".json")
		               ? "application/json"
		               : "application/octet-stream",
		           art.content, art.len);
	diag_release(&d);
}

static const struct route_field trigger_body[] = {
	{ "cause", "string", "why (kept as the run's trigger; default: api)" },
	{ "git_sha", "string", "the commit to run" },
	{ "git_branch", "string", "the branch to run" },
	{ "steps", "array", "commands to run instead of the job's" },
	{ "threads", "integer", "--threads for every step" },
	{ "target_name", "string", "--target for every step" },
	{ NULL, NULL, NULL },
};

static void trigger_job(struct req *r)
{
	bool ok;
	value body = req_body(r, route_of(trigger_job), &ok);
	if (!ok)
		return;
	struct store_job j;
	struct diag d;
	diag_init(&d);
	const char *key = req_param(r, "job");
	char *end;
	long long jid = strtoll(key, &end, 10);
	int rc = *end == 0 && jid > 0 ? store_job_get_id(r->store, jid, &r->a, &j, &d)
	                              : store_job_get(r->store, key, &r->a, &j, &d);
	if (reply_failed(r, rc, &d))
		return;
	value steps = v_item(body, "steps"), threads = v_item(body, "threads"),
	      target = v_item(body, "target_name");
	size_t n = steps.type == VT_LIST ? steps.list->n : j.nsteps;
	if (steps.type == VT_LIST && n == 0) {
		reply_error(r, 400, "invalid_field", "steps must hold at least one command");
		return;
	}
	if (threads.type == VT_INT && (threads.i < 1 || threads.i > 1024)) {
		reply_error(r, 400, "invalid_field", "threads must be from 1 to 1024");
		return;
	}
	const char **cmds = arena_alloc(&r->a, (n + 1) * sizeof(*cmds));
	for (size_t i = 0; i < n; i++) {
		const char *c = j.steps[i < j.nsteps ? i : 0];
		if (steps.type == VT_LIST) {
			value v = steps.list->v[i];
			if (v.type != VT_STR || strncmp(v.s, "silt ", 5)) {
				reply_error(r, 400, "invalid_field", "steps[%zu] must be a command starting with 'silt '", i);
				return;
			}
			c = v.s;
		}
		if (threads.type == VT_INT)
			c = arena_printf(&r->a, "%s --threads %lld", c, (long long)threads.i);
		if (target.type == VT_STR && target.len)
			c = arena_printf(&r->a, "%s --target %s", c, target.s);
		cmds[i] = c;
	}
	struct store_run run = { .env_id = j.env_id, .job_id = j.id };
	value cause = v_item(body, "cause"), sha = v_item(body, "git_sha"), branch = v_item(body, "git_branch");
	run.trigger = cause.type == VT_STR && cause.len ? cause.s : "api";
	run.git_sha = sha.type == VT_STR ? sha.s : NULL;
	run.git_branch = branch.type == VT_STR ? branch.s : NULL;
	int replaced = 0;
	diag_init(&d);
	if (reply_failed(r, store_run_enqueue(r->store, &run, cmds, n, &replaced, &d), &d))
		return;
	struct store_run got;
	diag_init(&d);
	if (reply_failed(r, store_run_get(r->store, run.id, &r->a, &got, &d), &d))
		return;
	value v = run_json(&r->a, &got);
	vdict_sets(v.dict, "replaced_runs", v_int(replaced));
	reply_json(r, 201, v);
}

/* A 409 whose message is d's first (why the store refused), then d released. */
static void reply_conflict(struct req *r, struct diag *d)
{
	struct buf b = BUF_INIT;
	if (d->msgs.n)
		diag_format_msg(&d->msgs.v[0], &b);
	reply_error(r, 409, "conflict", "%s", buf_cstr(&b));
	buf_release(&b);
	diag_release(d);
}

static void cancel_run(struct req *r)
{
	struct store_run run;
	if (!load_run(r, &run))
		return;
	struct diag d;
	diag_init(&d);
	if (store_run_cancel(r->store, run.id, "cancelled through the API", &d) < 0) {
		reply_conflict(r, &d);
		return;
	}
	diag_init(&d);
	if (reply_failed(r, store_run_get(r->store, run.id, &r->a, &run, &d), &d))
		return;
	reply_json(r, 200, run_json(&r->a, &run));
}

/* Rerun from failure: a queued run of the same job that starts from the failed step of this
 * one with dbt retry's selection (store_run_enqueue_rerun); a run that did not error is a 409. */
static void rerun_run(struct req *r)
{
	struct store_run run, got;
	struct store_rerun plan;
	if (!load_run(r, &run))
		return;
	struct diag d;
	diag_init(&d);
	int replaced = 0;
	int rc = store_run_enqueue_rerun(r->store, run.id, &r->a, &got, &plan, &replaced, &d);
	if (rc == 0) {
		reply_conflict(r, &d);
		return;
	}
	if (reply_failed(r, rc < 0 ? -1 : 0, &d))
		return;
	diag_init(&d);
	if (reply_failed(r, store_run_get(r->store, got.id, &r->a, &got, &d), &d))
		return;
	value v = run_json(&r->a, &got);
	vdict_sets(v.dict, "rerun_from_step", v_int(plan.position));
	vdict_sets(v.dict, "replaced_runs", v_int(replaced));
	reply_json(r, 201, v);
}

/* ---- environment variables and credentials ---- */

static value var_json(struct arena *a, const struct store_var *v)
{
	value x = v_dict(a, 6);
	vdict_sets(x.dict, "name", v_cstr(v->name));
	vdict_sets(x.dict, "scope", v_cstr(store_var_scope_name(v->scope)));
	vdict_sets(x.dict, "environment", opt_str(v->env_name));
	vdict_sets(x.dict, "job", opt_str(v->job_name));
	vdict_sets(x.dict, "secret", v_bool(v->secret));
	vdict_sets(x.dict, "value", v->secret ? v_cstr(STORE_MASK) : opt_str(v->value));
	return x;
}

/* GET /api/v1/variables: dbt Cloud's matrix — per name, the project default and each
 * environment's and job's value (secrets masked). */
static void var_matrix(struct req *r)
{
	struct store_var *v;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_var_list(r->store, &r->a, &v, &n, &d), &d))
		return;
	value rows = v_list(&r->a, 8), top = v_dict(&r->a, 1), row = v_none();
	const char *name = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!name || strcmp(name, v[i].name)) {
			name = v[i].name;
			row = v_dict(&r->a, 5);
			vdict_sets(row.dict, "name", v_cstr(name));
			vdict_sets(row.dict, "secret", v_bool(v[i].secret));
			vdict_sets(row.dict, "project", v_none());
			vdict_sets(row.dict, "environments", v_dict(&r->a, 4));
			vdict_sets(row.dict, "jobs", v_dict(&r->a, 2));
			vlist_push(rows.list, row);
		}
		value val = v[i].secret ? v_cstr(STORE_MASK) : opt_str(v[i].value);
		if (v[i].scope == SVAR_PROJECT)
			vdict_sets(row.dict, "project", val);
		else if (v[i].scope == SVAR_ENVIRONMENT && v[i].env_name)
			vdict_sets(v_item(row, "environments").dict, v[i].env_name, val);
		else if (v[i].scope == SVAR_JOB && v[i].job_name)
			vdict_sets(v_item(row, "jobs").dict, v[i].job_name, val);
	}
	vdict_sets(top.dict, "data", rows);
	reply_json(r, 200, top);
}

static void env_vars(struct req *r)
{
	struct store_env e;
	struct store_var *v;
	size_t n;
	struct diag d;
	diag_init(&d);
	int rc = store_env_get(r->store, req_param(r, "env"), &r->a, &e, &d);
	if (rc == 0)
		rc = store_var_list(r->store, &r->a, &v, &n, &d);
	if (reply_failed(r, rc, &d))
		return;
	value items = v_list(&r->a, 8), top = v_dict(&r->a, 1);
	for (size_t i = 0; i < n; i++)
		if (v[i].scope == SVAR_PROJECT || (v[i].scope == SVAR_ENVIRONMENT && v[i].env_id == e.id))
			vlist_push(items.list, var_json(&r->a, &v[i]));
	vdict_sets(top.dict, "data", items);
	reply_json(r, 200, top);
}

static const struct route_field value_body[] = {
	{ "value", "string", "the value (secret names, DBT_ENV_SECRET_*, are sealed and never shown)" },
	{ NULL, NULL, NULL },
};

/* PUT/DELETE a variable: of the environment {env}, or of the project when there is none. */
static void var_write(struct req *r, bool set)
{
	struct store_var v = { .name = req_param(r, "name"), .scope = SVAR_PROJECT };
	struct diag d;
	diag_init(&d);
	if (store_var_check_name(v.name, &d) < 0) {
		struct buf b = BUF_INIT;
		diag_format_msg(&d.msgs.v[0], &b);
		reply_error(r, 400, "invalid_field", "%s", buf_cstr(&b));
		buf_release(&b);
		diag_release(&d);
		return;
	}
	if (req_param(r, "env")) {
		struct store_env e;
		if (reply_failed(r, store_env_get(r->store, req_param(r, "env"), &r->a, &e, &d), &d))
			return;
		diag_init(&d);
		v.scope = SVAR_ENVIRONMENT;
		v.env_id = e.id;
	}
	if (set) {
		bool ok;
		value body = req_body(r, route_of_var_put(), &ok);
		if (!ok) {
			diag_release(&d);
			return;
		}
		value val = v_item(body, "value");
		if (val.type != VT_STR) {
			reply_error(r, 400, "missing_field", "a variable needs a 'value' string");
			diag_release(&d);
			return;
		}
		v.value = val.s;
		v.secret = store_var_is_secret(v.name);
	}
	if (reply_failed(r, set ? store_var_set(r->store, &v, &d) : store_var_unset(r->store, &v, &d), &d))
		return;
	value x = v_dict(&r->a, 3);
	vdict_sets(x.dict, "name", v_cstr(v.name));
	vdict_sets(x.dict, "scope", v_cstr(store_var_scope_name(v.scope)));
	vdict_sets(x.dict, set ? "set" : "deleted", v_bool(true));
	reply_json(r, 200, x);
}

static void var_put(struct req *r) { var_write(r, true); }
static void var_delete(struct req *r) { var_write(r, false); }

static void creds_list(struct req *r)
{
	struct store_env e;
	struct store_kv *kv;
	size_t n;
	struct diag d;
	diag_init(&d);
	int rc = store_env_get(r->store, req_param(r, "env"), &r->a, &e, &d);
	if (rc == 0)
		rc = store_cred_list(r->store, e.id, false, &r->a, &kv, &n, &d);
	if (reply_failed(r, rc, &d))
		return;
	value keys = v_list(&r->a, (uint32_t)n), top = v_dict(&r->a, 1);
	for (size_t i = 0; i < n; i++)
		vlist_push(keys.list, v_cstr(kv[i].key));
	vdict_sets(top.dict, "keys", keys);
	reply_json(r, 200, top);
}

static void cred_write(struct req *r, bool set)
{
	struct store_env e;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_env_get(r->store, req_param(r, "env"), &r->a, &e, &d), &d))
		return;
	const char *val = NULL;
	if (set) {
		bool ok;
		value body = req_body(r, route_of_cred_put(), &ok);
		if (!ok)
			return;
		value v = v_item(body, "value");
		if (v.type != VT_STR) {
			reply_error(r, 400, "missing_field", "a credential needs a 'value' string");
			return;
		}
		val = v.s;
	}
	diag_init(&d);
	const char *key = req_param(r, "key");
	if (reply_failed(r, set ? store_cred_set(r->store, e.id, key, val, &d)
	                        : store_cred_unset(r->store, e.id, key, &d),
	                 &d))
		return;
	value x = v_dict(&r->a, 2);
	vdict_sets(x.dict, "key", v_cstr(key));
	vdict_sets(x.dict, set ? "set" : "deleted", v_bool(true));
	reply_json(r, 200, x);
}

static void cred_put(struct req *r) { cred_write(r, true); }
static void cred_delete(struct req *r) { cred_write(r, false); }

/* ---- webhooks out ---- */

static const struct route_field hook_body[] = {
	{ "name", "string", "unique name" },
	{ "url", "string", "http:// or https:// address the events are POSTed to" },
	{ "events", "array", "run.started, run.completed, run.errored" },
	{ "secret", "string", "signs each body (X-Silt-Signature-256), or the commit-status bearer token; never shown again" },
	{ "format", "string", "event (default) or commit-status (a CI run's commit status to a URL with {sha})" },
	{ NULL, NULL, NULL },
};

static void hooks_list(struct req *r)
{
	struct store_webhook *w;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_webhook_list(r->store, &r->a, &w, &n, &d), &d))
		return;
	value items = v_list(&r->a, (uint32_t)n), top = v_dict(&r->a, 1);
	for (size_t i = 0; i < n; i++) {
		value x = v_dict(&r->a, 6);
		vdict_sets(x.dict, "name", v_cstr(w[i].name));
		vdict_sets(x.dict, "url", v_cstr(w[i].url));
		vdict_sets(x.dict, "events", v_cstr(w[i].events));
		vdict_sets(x.dict, "signed", v_bool(w[i].signed_));
		vdict_sets(x.dict, "format", v_cstr(w[i].format));
		vdict_sets(x.dict, "delivered", v_int(w[i].delivered));
		vdict_sets(x.dict, "failed", v_int(w[i].failed));
		vlist_push(items.list, x);
	}
	vdict_sets(top.dict, "data", items);
	reply_json(r, 200, top);
}

static void hooks_create(struct req *r);

static void hooks_create(struct req *r)
{
	bool ok;
	value body = req_body(r, route_of(hooks_create), &ok);
	if (!ok)
		return;
	value name = v_item(body, "name"), url = v_item(body, "url"), ev = v_item(body, "events"),
	      secret = v_item(body, "secret");
	if (name.type != VT_STR || url.type != VT_STR || ev.type != VT_LIST) {
		reply_error(r, 400, "missing_field", "a webhook needs 'name', 'url' and 'events'");
		return;
	}
	struct buf events = BUF_INIT;
	for (uint32_t i = 0; i < ev.list->n; i++)
		if (ev.list->v[i].type == VT_STR)
			buf_printf(&events, "%s%s", events.n ? "," : "", ev.list->v[i].s);
	struct diag d;
	diag_init(&d);
	value format = v_item(body, "format");
	int rc = store_webhook_create(r->store, name.s, url.s, buf_cstr(&events),
	                              secret.type == VT_STR ? secret.s : NULL,
	                              format.type == VT_STR ? format.s : NULL, &d);
	buf_release(&events);
	if (rc < 0) {
		struct buf b = BUF_INIT;
		if (d.msgs.n)
			diag_format_msg(&d.msgs.v[0], &b);
		reply_error(r, strstr(buf_cstr(&b), "exists already") ? 409 : 400,
		            strstr(buf_cstr(&b), "exists already") ? "conflict" : "invalid_field", "%s", buf_cstr(&b));
		buf_release(&b);
		diag_release(&d);
		return;
	}
	diag_release(&d);
	value x = v_dict(&r->a, 2);
	vdict_sets(x.dict, "name", name);
	vdict_sets(x.dict, "created", v_bool(true));
	reply_json(r, 201, x);
}

static void hooks_delete(struct req *r)
{
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_webhook_delete(r->store, req_param(r, "name"), &d), &d))
		return;
	value x = v_dict(&r->a, 1);
	vdict_sets(x.dict, "deleted", v_cstr(req_param(r, "name")));
	reply_json(r, 200, x);
}

static void hooks_deliveries(struct req *r)
{
	int64_t limit;
	if (!req_int(r, "limit", 1, SERVE_PAGE_MAX, SERVE_PAGE_DEFAULT, &limit))
		return;
	struct store_delivery *v;
	size_t n;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_delivery_list(r->store, req_param(r, "name"), (int)limit, &r->a, &v, &n, &d), &d))
		return;
	value items = v_list(&r->a, (uint32_t)n), top = v_dict(&r->a, 1);
	for (size_t i = 0; i < n; i++) {
		value x = v_dict(&r->a, 6);
		vdict_sets(x.dict, "id", v_int(v[i].id));
		vdict_sets(x.dict, "event", v_cstr(v[i].event));
		vdict_sets(x.dict, "status", v_cstr(v[i].status));
		vdict_sets(x.dict, "attempts", v_int(v[i].attempts));
		vdict_sets(x.dict, "response_code", v[i].response_code ? v_int(v[i].response_code) : v_none());
		vdict_sets(x.dict, "error", opt_str(v[i].error));
		vlist_push(items.list, x);
	}
	vdict_sets(top.dict, "data", items);
	reply_json(r, 200, top);
}

/* ---- the table ---- */

/* the query fields of every paged list */
#define PAGE_QUERY                                                                                 \
	{ "limit", "integer", "items per page, 1-500 (default 100)" },                            \
	{ "cursor", "string", "next_cursor of the previous page" }

static const struct route_field env_query[] = {
	{ "type", "string", "only environments of this type" },
	PAGE_QUERY,
	{ NULL, NULL, NULL },
};
static const struct route_field job_query[] = {
	{ "environment", "string", "only this environment's jobs" },
	PAGE_QUERY,
	{ NULL, NULL, NULL },
};
static const struct route_field run_query[] = {
	{ "environment", "string", "only this environment's runs" },
	{ "job", "string", "only this job's runs" },
	{ "status", "string", "queued, running, success, error or cancelled" },
	{ "pr", "string", "only this pull request's CI runs" },
	PAGE_QUERY,
	{ NULL, NULL, NULL },
};
static const struct route_field node_query[] = {
	{ "resource_type", "string", "model, seed, snapshot, test, source, exposure, ... (comma list)" },
	{ "tag", "string", "only nodes with this tag" },
	{ "package", "string", "only this package's nodes" },
	{ "schema", "string", "only nodes in this schema" },
	{ "layer", "string", "only models of this folder under models/ (staging, marts, ...)" },
	{ "status", "string", "only nodes whose last execution has this status" },
	{ "unique_id", "string", "only these nodes (comma list)" },
	{ "search", "string", "name, unique_id, description, a tag, a column (name or description) or the SQL contains this (any case); each hit says where in `matched`" },
	{ "search_in", "string", "with search: only these of name, description, tags, columns, sql (comma list)" },
	{ "select", "string", "a silt/dbt selector: +orders, tag:finance, path:marts" },
	{ "exclude", "string", "with select: a selector to leave out" },
	PAGE_QUERY,
	{ NULL, NULL, NULL },
};
static const struct route_field lineage_query[] = {
	{ "select", "string", "a silt/dbt selector (default: everything)" },
	{ "focus", "string", "instead of select: the neighbourhood of this node (unique_id)" },
	{ "dir", "string", "with focus: both (default), upstream or downstream" },
	{ "depth", "integer", "with focus: how many steps, 1-20 (default 2; lowered to stay within max)" },
	{ "max", "integer", "with focus: at most this many nodes, nearest first (default 400)" },
	{ "exclude", "string", "a selector to leave out" },
	{ "tests", "boolean", "include tests (any value)" },
	{ NULL, NULL, NULL },
};
/* the Explorer's discovery routes (compare, freshness): kept together, apart from the rest */
static const struct route_field compare_query[] = {
	{ "base", "string", "the environment to compare with (default: the production one)" },
	{ "pr", "string", "the newest CI run of this pull request in the environment" },
	{ "run", "integer", "this run's manifest (a run of the environment)" },
	{ "tests", "boolean", "include tests (any value)" },
	{ NULL, NULL, NULL },
};
static const struct route_field limit_query[] = {
	{ "limit", "integer", "how many, 1-500 (default 100)" },
	{ NULL, NULL, NULL },
};
static const struct route_field changes_query[] = {
	{ "days", "integer", "how far back, 1-366 (default 7)" },
	{ NULL, NULL, NULL },
};
static const struct route_field log_query[] = {
	{ "step", "integer", "only this step (its position, from 1)" },
	{ NULL, NULL, NULL },
};
static const struct route_field artifact_query[] = {
	{ "step_id", "integer", "the step whose artifact to read (default: the run's own)" },
	{ NULL, NULL, NULL },
};

const struct route serve_routes[] = {
	{ "GET", "/", "public", "The Explorer (web UI)", serve_ui_index, NULL, NULL, false, "text/html" },
	{ "GET", "/ui/{path*}", "public", "The Explorer's files (HTML, CSS, JavaScript modules)", serve_ui_file, NULL, NULL, false, "*/*" },
	{ "GET", "/api/v1/health", "public", "Server and store status", get_health, NULL, NULL, false, NULL },
	{ "GET", "/api/openapi.json", "public", "This document", get_openapi, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/environments", "metadata:read", "List environments", list_envs, env_query, NULL, true, NULL },
	{ "POST", "/api/v1/environments", "admin", "Create an environment", create_env, NULL, env_body, false, NULL },
	{ "GET", "/api/v1/environments/{env}", "metadata:read", "Get an environment", get_env, NULL, NULL, false, NULL },
	{ "PATCH", "/api/v1/environments/{env}", "admin", "Change an environment's settings", update_env, NULL, env_body, false, NULL },
	{ "DELETE", "/api/v1/environments/{env}", "admin", "Delete an environment and its jobs", delete_env, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/environments/{env}/state", "metadata:read", "What the environment's definition state holds", serve_env_state, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/environments/{env}/nodes", "metadata:read", "The environment's nodes with their last execution", serve_env_nodes, node_query, NULL, true, NULL },
	{ "GET", "/api/v1/environments/{env}/nodes/{unique_id}", "metadata:read", "One node: definition, applied relation, execution, parents and children", serve_env_node, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/environments/{env}/nodes/{unique_id}/history", "metadata:read", "A node's executions in the environment, newest first", serve_env_node_history, limit_query, NULL, false, NULL },
	{ "GET", "/api/v1/environments/{env}/lineage", "metadata:read", "The DAG, or the part a selector names", serve_env_lineage, lineage_query, NULL, false, NULL },
	{ "GET", "/api/v1/environments/{env}/changes", "metadata:read", "Nodes the environment deployed in the last N days", serve_env_changes, changes_query, NULL, false, NULL },
	/* the Explorer's discovery routes */
	{ "GET", "/api/v1/environments/{env}/compare", "metadata:read", "Nodes modified, new and removed against another environment (production by default), with the graph around them", serve_env_compare, compare_query, NULL, false, NULL },
	{ "GET", "/api/v1/environments/{env}/freshness", "metadata:read", "Each source's latest freshness check (from the sources.json of the environment's runs)", serve_env_freshness, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/variables", "admin", "Environment variables: each name's project, environment and job values (secrets masked)", var_matrix, NULL, NULL, false, NULL },
	{ "PUT", "/api/v1/variables/{name}", "admin", "Set a project-wide default", var_put, NULL, value_body, false, NULL },
	{ "DELETE", "/api/v1/variables/{name}", "admin", "Remove a project-wide default", var_delete, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/environments/{env}/variables", "admin", "The variables an environment sets and the project defaults (secrets masked)", env_vars, NULL, NULL, false, NULL },
	{ "PUT", "/api/v1/environments/{env}/variables/{name}", "admin", "Set an environment's value", var_put, NULL, value_body, false, NULL },
	{ "DELETE", "/api/v1/environments/{env}/variables/{name}", "admin", "Remove an environment's value", var_delete, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/environments/{env}/credentials", "admin", "The credential keys an environment has (never the values)", creds_list, NULL, NULL, false, NULL },
	{ "PUT", "/api/v1/environments/{env}/credentials/{key}", "admin", "Set a credential (write-only)", cred_put, NULL, value_body, false, NULL },
	{ "DELETE", "/api/v1/environments/{env}/credentials/{key}", "admin", "Remove a credential", cred_delete, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/webhook-subscriptions", "admin", "Webhooks out: where run events are POSTed", hooks_list, NULL, NULL, false, NULL },
	{ "POST", "/api/v1/webhook-subscriptions", "admin", "Subscribe an address to run events", hooks_create, NULL, hook_body, false, NULL },
	{ "DELETE", "/api/v1/webhook-subscriptions/{name}", "admin", "Remove a subscription", hooks_delete, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/webhook-subscriptions/{name}/deliveries", "admin", "A subscription's delivery log, newest first", hooks_deliveries, limit_query, NULL, false, NULL },
	{ "GET", "/api/v1/jobs", "metadata:read", "List jobs", list_jobs, job_query, NULL, true, NULL },
	{ "GET", "/api/v1/jobs/{job}", "metadata:read", "Get a job (by id or name)", get_job, NULL, NULL, false, NULL },
	{ "POST", "/api/v1/jobs/{job}/runs", "job:run", "Queue a run of a job (with overrides)", trigger_job, NULL, trigger_body, false, NULL },
	{ "POST", "/api/v1/runs/{run_id}/cancel", "job:run", "Cancel a queued or running run", cancel_run, NULL, NULL, false, NULL },
	{ "POST", "/api/v1/runs/{run_id}/rerun", "job:run", "Queue a rerun from failure: the failed step's failed and skipped nodes, then the later steps", rerun_run, NULL, NULL, false, NULL },
	{ "POST", "/api/v1/webhooks/github", "public", "GitHub pull_request and push events (signed: X-Hub-Signature-256)", serve_webhook_github, NULL, NULL, false, NULL },
	{ "POST", "/api/v1/webhooks/generic", "public", "pull_request and push events of other git hosts (signed: X-Silt-Signature-256)", serve_webhook_generic, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/runs", "metadata:read", "List runs, newest first", list_runs, run_query, NULL, true, NULL },
	{ "GET", "/api/v1/runs/{run_id}", "metadata:read", "Get a run", get_run, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/runs/{run_id}/steps", "metadata:read", "A run's steps", list_steps, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/runs/{run_id}/logs", "metadata:read", "A run's logs (all steps, or one)", get_logs, log_query, NULL, false, "text/plain" },
	{ "GET", "/api/v1/runs/{run_id}/logs/stream", "metadata:read", "A run's steps and logs as Server-Sent Events until it ends", serve_run_log_stream, NULL, NULL, false, "text/event-stream" },
	{ "GET", "/api/v1/runs/{run_id}/artifacts", "metadata:read", "A run's artifacts", list_artifacts, NULL, NULL, false, NULL },
	{ "GET", "/api/v1/runs/{run_id}/artifacts/{path*}", "metadata:read", "One artifact's content", get_artifact, artifact_query, NULL, false, "application/octet-stream" },
};
const size_t serve_nroutes = ARRAY_LEN(serve_routes);

static const struct route *route_of(route_fn fn)
{
	for (size_t i = 0; i < serve_nroutes; i++)
		if (serve_routes[i].fn == fn)
			return &serve_routes[i];
	return NULL;
}

static const struct route *route_of_var_put(void) { return route_of(var_put); }
static const struct route *route_of_cred_put(void) { return route_of(cred_put); }
