/* Jobs with their steps, runs, run steps and artifacts. */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "store_int.h"

static bool job_name_ok(const char *n)
{
	if (!n || !*n)
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.'))
			return false;
	return true;
}

/* ---- jobs ---- */
#define JOB_SELECT                                                                                 \
	"SELECT j.id, j.name, j.environment_id, e.name, j.description, j.job_type, "              \
	"j.schedule_cron, j.triggers, j.threads, j.target_name, j.timeout_seconds, "               \
	"j.defer_env_id, j.generate_docs, j.run_source_freshness, j.created_at, j.updated_at "     \
	"FROM job j JOIN environment e ON e.id = j.environment_id "

static int read_job(struct store *s, struct st *st, struct arena *a, struct store_job *j,
                    struct diag *d)
{
	memset(j, 0, sizeof(*j));
	j->id = st_int(st, 0);
	j->name = st_text(st, 1, a);
	j->env_id = st_int(st, 2);
	j->env_name = st_text(st, 3, a);
	j->description = st_text(st, 4, a);
	j->job_type = st_text(st, 5, a);
	j->schedule_cron = st_text(st, 6, a);
	j->triggers = st_text(st, 7, a);
	j->threads = st_int(st, 8);
	j->target_name = st_text(st, 9, a);
	j->timeout_seconds = st_int(st, 10);
	j->defer_env_id = st_int(st, 11);
	j->generate_docs = st_int(st, 12) != 0;
	j->run_source_freshness = st_int(st, 13) != 0;
	j->created_at = st_text(st, 14, a);
	j->updated_at = st_text(st, 15, a);
	VEC(const char *) steps = { 0 };
	struct st *ss = st_prep(s, d, "SELECT command FROM job_step WHERE job_id = ? ORDER BY "
	                                 "position",
	                           "i", j->id);
	int rc = ss ? 0 : -1;
	while (ss && (rc = st_row(s, d, ss)) == 1)
		vec_push(&steps, st_text(ss, 0, a));
	j->steps = arena_alloc(a, (steps.n + 1) * sizeof(*j->steps));
	if (steps.n)
		memcpy(j->steps, steps.v, steps.n * sizeof(*steps.v));
	j->steps[steps.n] = NULL;
	j->nsteps = steps.n;
	vec_free(&steps);
	return rc < 0 ? -1 : 0;
}

static int find_job(struct store *s, const char *where, const char *types, const void *key,
                    struct arena *a, struct store_job *out, struct diag *d)
{
	struct buf sql = BUF_INIT;
	buf_printf(&sql, JOB_SELECT "WHERE %s", where);
	struct st *st = types[0] == 't' ? st_prep(s, d, sql.p, types, (const char *)key)
	                                   : st_prep(s, d, sql.p, types, *(const int64_t *)key);
	buf_release(&sql);
	int rc = st ? st_row(s, d, st) : -1;
	if (rc == 1) {
		struct st *keep = st;
		rc = read_job(s, keep, a, out, d) < 0 ? -1 : 1;
		st_free(keep);
	}
	return rc;
}

int store_job_get(struct store *s, const char *name, struct arena *a, struct store_job *out,
                  struct diag *d)
{
	int rc = find_job(s, "j.name = ?", "t", name, a, out, d);
	if (rc == 0)
		serr(d, "no job named '%s'", name);
	return rc == 1 ? 0 : -1;
}

int store_job_get_id(struct store *s, int64_t id, struct arena *a, struct store_job *out,
                     struct diag *d)
{
	int rc = find_job(s, "j.id = ?", "i", &id, a, out, d);
	if (rc == 0)
		serr(d, "no job with id %lld", (long long)id);
	return rc == 1 ? 0 : -1;
}

int store_job_list(struct store *s, int64_t env_id, struct arena *a, struct store_job **out,
                   size_t *n, struct diag *d)
{
	VEC(int64_t) ids = { 0 };
	struct st *st = st_prep(s, d, "SELECT id FROM job WHERE ? = 0 OR environment_id = ? "
	                                 "ORDER BY name",
	                           "ii", env_id, env_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1)
		vec_push(&ids, st_int(st, 0));
	*out = arena_alloc(a, (ids.n ? ids.n : 1) * sizeof(**out));
	*n = 0;
	for (size_t i = 0; rc == 0 && i < ids.n; i++)
		if (store_job_get_id(s, ids.v[i], a, &(*out)[(*n)++], d) < 0)
			rc = -1;
	vec_free(&ids);
	return rc;
}

static const char *nz(const char *s) { return s && *s ? s : NULL; }

static int check_job(struct store *s, struct store_job *j, struct arena *a, struct diag *d)
{
	if (!job_name_ok(j->name)) {
		serr(d, "job name '%s': use letters, digits, '_', '-' and '.'", j->name ? j->name : "");
		return -1;
	}
	static const char *const types[] = { "scheduled", "ci", "merge", "other" };
	bool typed = !j->job_type;
	for (size_t i = 0; !typed && i < ARRAY_LEN(types); i++)
		typed = !strcmp(j->job_type, types[i]);
	if (!typed) {
		serr(d, "job '%s': type '%s' is not one of scheduled, ci, merge, other", j->name,
		     j->job_type);
		return -1;
	}
	if (j->threads < 0 || j->timeout_seconds < 0) {
		serr(d, "job '%s': threads and timeout cannot be negative", j->name);
		return -1;
	}
	if (!j->nsteps) {
		serr(d, "job '%s' has no steps: give at least one command, such as `silt build`",
		     j->name);
		return -1;
	}
	for (size_t i = 0; i < j->nsteps; i++)
		if (!j->steps[i] || !*j->steps[i]) {
			serr(d, "job '%s': step %zu is empty", j->name, i + 1);
			return -1;
		}
	struct store_env e;
	if (store_env_get_id(s, j->env_id, a, &e, d) < 0)
		return -1;
	if (j->defer_env_id && store_env_get_id(s, j->defer_env_id, a, &e, d) < 0)
		return -1;
	struct store_job other;
	int rc = find_job(s, "j.name = ?", "t", j->name, a, &other, d);
	if (rc == 1 && other.id != j->id) {
		serr(d, "a job named '%s' already exists", j->name);
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

static int write_steps(struct store *s, const struct store_job *j, struct diag *d)
{
	int rc = st_do(s, d, "DELETE FROM job_step WHERE job_id = ?", "i", j->id);
	for (size_t i = 0; rc == 0 && i < j->nsteps; i++)
		rc = st_do(s, d, "INSERT INTO job_step VALUES (?, ?, ?)", "iit", j->id, (int64_t)i + 1,
		           j->steps[i]);
	return rc;
}

int store_job_create(struct store *s, struct store_job *j, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	j->id = 0;
	int rc = check_job(s, j, &a, d);
	arena_release(&a);
	const char *now = store_now(NULL);
	if (rc == 0)
		rc = st_do_id(s, d, &j->id,
		           "INSERT INTO job (name, environment_id, description, job_type, schedule_cron, "
		           "triggers, threads, target_name, timeout_seconds, defer_env_id, "
		           "generate_docs, run_source_freshness, created_at, updated_at) VALUES "
		           "(?, ?, ?, coalesce(?, 'other'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		           "titttt" "Iti" "Iii" "tt", j->name, j->env_id, nz(j->description),
		           nz(j->job_type), nz(j->schedule_cron), nz(j->triggers), j->threads,
		           nz(j->target_name), j->timeout_seconds, j->defer_env_id,
		           (int64_t)j->generate_docs, (int64_t)j->run_source_freshness, now, now);
	if (rc == 0) {
		rc = write_steps(s, j, d);
	}
	return st_end(s, d, rc);
}

int store_job_update(struct store *s, struct store_job *j, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_job old;
	int rc = store_job_get_id(s, j->id, &a, &old, d);
	if (rc == 0)
		rc = check_job(s, j, &a, d);
	arena_release(&a);
	if (rc == 0)
		rc = st_do(s, d,
		           "UPDATE job SET name = ?, environment_id = ?, description = ?, job_type = "
		           "coalesce(?, 'other'), schedule_cron = ?, triggers = ?, threads = ?, "
		           "target_name = ?, timeout_seconds = ?, defer_env_id = ?, generate_docs = ?, "
		           "run_source_freshness = ?, updated_at = ? WHERE id = ?",
		           "titttt" "Iti" "Iii" "ti", j->name, j->env_id, nz(j->description),
		           nz(j->job_type), nz(j->schedule_cron), nz(j->triggers), j->threads,
		           nz(j->target_name), j->timeout_seconds, j->defer_env_id,
		           (int64_t)j->generate_docs, (int64_t)j->run_source_freshness,
		           store_now(NULL), j->id);
	if (rc == 0)
		rc = write_steps(s, j, d);
	return st_end(s, d, rc);
}

int store_job_delete(struct store *s, const char *name, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_job j;
	int rc = store_job_get(s, name, &a, &j, d);
	if (rc == 0)
		rc = st_do(s, d, "DELETE FROM job WHERE id = ?", "i", j.id);
	arena_release(&a);
	return st_end(s, d, rc);
}

/* ---- statuses ---- */
static const char *const status_names[] = { "queued",    "running",   "success",
	                                    "error",     "cancelled", "skipped" };

const char *store_status_name(enum store_status st) { return status_names[st]; }

int store_status_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(status_names); i++)
		if (s && !strcmp(s, status_names[i]))
			return (int)i;
	return -1;
}

static enum store_status col_status(struct st *st, int i)
{
	int v = store_status_parse(st_ctext(st, i));
	return v < 0 ? SST_ERROR : (enum store_status)v;
}

static bool terminal(enum store_status st)
{
	return st == SST_SUCCESS || st == SST_ERROR || st == SST_CANCELLED || st == SST_SKIPPED;
}

/* ---- runs ---- */
const char *store_host_name(void)
{
	static char host[256];
	/* SILT_HOST names the machine instead (containers that share a host name; the tests'
	 * workers "on other machines") */
	const char *env = getenv("SILT_HOST");
	if (!host[0] && env && *env)
		snprintf(host, sizeof(host), "%s", env);
	else if (!host[0] && gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	return host;
}

int store_heartbeat_timeout(void)
{
	const char *t = getenv("SILT_RUN_HEARTBEAT_TIMEOUT");
	char *end = NULL;
	long v = t && *t ? strtol(t, &end, 10) : 0;
	return v >= 1 && v <= 86400 && end && !*end ? (int)v : 30;
}

double store_heartbeat_interval(void)
{
	double i = store_heartbeat_timeout() / 5.0;
	return i > 5 ? 5 : i;
}

int store_run_heartbeat(struct store *s, int64_t run_id, struct diag *d)
{
	return st_do(s, d,
	             "UPDATE run SET heartbeat_at = ? WHERE id = ? AND status IN ('queued', "
	             "'running')",
	             "ti", store_now(NULL), run_id);
}

static bool process_alive(int64_t pid)
{
	if (pid <= 0 || pid > INT32_MAX)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int store_recover_runs(struct store *s, int *nrecovered, struct diag *d)
{
	if (nrecovered)
		*nrecovered = 0;
	VEC(int64_t) dead = { 0 };
	VEC(int64_t) pids = { 0 };
	VEC(const char *) hosts = { 0 };
	VEC(bool) stales = { 0 };
	struct arena a;
	arena_init(&a);
	/* this host's runs whose process is gone (the fast path), and anyone's runs whose worker
	 * stopped beating (another machine's, whose pid says nothing here) */
	char cutoff[40];
	int timeout = store_heartbeat_timeout();
	store_time(-(double)timeout, cutoff);
	struct st *st = st_prep(s, d,
	                        "SELECT id, owner_pid, owner_host, heartbeat_at IS NOT NULL AND "
	                        "heartbeat_at < ? FROM run WHERE status IN ('queued', 'running') AND "
	                        "owner_pid IS NOT NULL AND (owner_host = ? OR (heartbeat_at IS NOT "
	                        "NULL AND heartbeat_at < ?))",
	                        "ttt", cutoff, store_host_name(), cutoff);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		int64_t pid = st_int(st, 1);
		const char *host = st_text(st, 2, &a);
		bool stale = st_int(st, 3) != 0;
		if (stale || (host && !strcmp(host, store_host_name()) && !process_alive(pid))) {
			vec_push(&dead, st_int(st, 0));
			vec_push(&pids, pid);
			vec_push(&hosts, host ? host : "?");
			vec_push(&stales, stale);
		}
	}
	if (rc < 0 || !dead.n) {
		vec_free(&dead);
		vec_free(&pids);
		vec_free(&hosts);
		vec_free(&stales);
		arena_release(&a);
		return rc < 0 ? -1 : 0;
	}
	rc = store_begin(s, d);
	const char *now = store_now(NULL);
	for (size_t i = 0; rc == 0 && i < dead.n; i++) {
		char msg[512];
		if (stales.v[i])
			snprintf(msg, sizeof(msg),
			         "the process running it (pid %lld on %s) ended without finishing it: no "
			         "heartbeat for %d s (killed, or its machine lost?); marked errored",
			         (long long)pids.v[i], hosts.v[i], timeout);
		else
			snprintf(msg, sizeof(msg),
			         "the process running it (pid %lld on %s) ended without finishing it "
			         "(killed?); marked errored when the store was next opened",
			         (long long)pids.v[i], hosts.v[i]);
		/* re-checked inside the transaction: another process may have recovered it */
		rc = st_do(s, d,
		           "UPDATE run SET status = 'error', message = ?, finished_at = ?, "
		           "started_at = coalesce(started_at, ?) WHERE id = ? AND status IN ('queued', "
		           "'running') AND (? = 0 OR heartbeat_at < ?)",
		           "tttiit", msg, now, now, dead.v[i], (int64_t)stales.v[i], cutoff);
		if (rc == 0 && nrecovered)
			*nrecovered += st_changes(s) > 0;
		if (rc == 0)
			rc = st_do(s, d,
			           "UPDATE run_step SET status = CASE status WHEN 'running' THEN 'error' "
			           "ELSE 'skipped' END, finished_at = ? WHERE run_id = ? AND status IN "
			           "('queued', 'running')",
			           "ti", now, dead.v[i]);
	}
	vec_free(&dead);
	vec_free(&pids);
	vec_free(&hosts);
	vec_free(&stales);
	arena_release(&a);
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, d);
}

#define RUN_SELECT                                                                                 \
	"SELECT id, environment_id, job_id, rerun_of, environment_name, job_name, status, "        \
	"trigger, is_ci, command, git_sha, git_branch, pr_id, message, created_at, started_at, "    \
	"finished_at FROM run "

static void read_run(struct st *st, struct arena *a, struct store_run *r)
{
	memset(r, 0, sizeof(*r));
	r->id = st_int(st, 0);
	r->env_id = st_int(st, 1);
	r->job_id = st_int(st, 2);
	r->rerun_of = st_int(st, 3);
	r->env_name = st_text(st, 4, a);
	r->job_name = st_text(st, 5, a);
	r->status = col_status(st, 6);
	r->trigger = st_text(st, 7, a);
	r->is_ci = st_int(st, 8) != 0;
	r->command = st_text(st, 9, a);
	r->git_sha = st_text(st, 10, a);
	r->git_branch = st_text(st, 11, a);
	r->pr_id = st_text(st, 12, a);
	r->message = st_text(st, 13, a);
	r->created_at = st_text(st, 14, a);
	r->started_at = st_text(st, 15, a);
	r->finished_at = st_text(st, 16, a);
}

int store_run_create(struct store *s, struct store_run *r, struct diag *d)
{
	if (r->status == SST_SKIPPED) {
		serr(d, "a run cannot be created as skipped");
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_env e;
	struct store_job j = { 0 };
	int rc = store_env_get_id(s, r->env_id, &a, &e, d);
	if (rc == 0 && r->job_id) {
		rc = store_job_get_id(s, r->job_id, &a, &j, d);
		if (rc == 0 && j.env_id != e.id) {
			serr(d, "job '%s' belongs to environment '%s', not '%s'", j.name, j.env_name,
			     e.name);
			rc = -1;
		}
	}
	const char *now = store_now(NULL);
	if (rc == 0)
		rc = st_do_id(s, d, &r->id,
		           "INSERT INTO run (environment_id, environment_name, job_id, job_name, status, "
		           "trigger, is_ci, command, git_sha, git_branch, pr_id, rerun_of, message, "
		           "created_at, started_at, finished_at) VALUES (?, ?, ?, ?, ?, coalesce(?, "
		           "'manual'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		           "itIttt" "itttt" "Itttt", e.id, e.name, r->job_id, r->job_id ? j.name : NULL,
		           status_names[r->status], nz(r->trigger), (int64_t)r->is_ci, nz(r->command),
		           nz(r->git_sha), nz(r->git_branch), nz(r->pr_id), r->rerun_of, nz(r->message),
		           now, r->status == SST_QUEUED ? NULL : now,
		           terminal(r->status) ? now : NULL);
	if (rc == 0) {
		if (!terminal(r->status)) /* so a dead owner's run can be found (store_recover_runs) */
			rc = st_do(s, d, "UPDATE run SET owner_host = ?, owner_pid = ? WHERE id = ?", "tii",
			           store_host_name(), (int64_t)getpid(), r->id);
		r->env_name = NULL;
		r->job_name = NULL;
	}
	arena_release(&a);
	return st_end(s, d, rc);
}

int store_run_set_status(struct store *s, int64_t run_id, enum store_status st,
                         const char *message, struct diag *d)
{
	if (st == SST_SKIPPED) {
		serr(d, "a run cannot be skipped (its steps can)");
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
	const char *now = store_now(NULL);
	int rc = st_do(s, d,
	               "UPDATE run SET status = ?, message = coalesce(?, message), started_at = CASE "
	               "WHEN started_at IS NULL AND ? <> 'queued' THEN ? ELSE started_at END, "
	               "finished_at = CASE WHEN ? <> 0 THEN ? ELSE NULL END WHERE id = ?",
	               "tttt" "iti", status_names[st], nz(message), status_names[st], now,
	               (int64_t)terminal(st), now, run_id);
	if (rc == 0 && st_changes(s) == 0) {
		serr(d, "no run with id %lld", (long long)run_id);
		rc = -1;
	}
	/* webhooks out, in the same transaction */
	if (rc == 0 && st == SST_RUNNING)
		rc = store_webhook_emit(s, "run.started", run_id, d);
	if (rc == 0 && terminal(st))
		rc = store_webhook_emit(s, "run.completed", run_id, d);
	if (rc == 0 && st == SST_ERROR)
		rc = store_webhook_emit(s, "run.errored", run_id, d);
	return st_end(s, d, rc);
}

int store_run_get(struct store *s, int64_t id, struct arena *a, struct store_run *out,
                  struct diag *d)
{
	struct st *st = st_prep(s, d, RUN_SELECT "WHERE id = ?", "i", id);
	int rc = st ? st_row(s, d, st) : -1;
	if (rc == 1) {
		read_run(st, a, out);
		st_free(st);
		return 0;
	}
	if (rc == 0)
		serr(d, "no run with id %lld", (long long)id);
	return -1;
}

int store_run_list(struct store *s, const struct store_run_filter *f, struct arena *a,
                   struct store_run **out, size_t *n, struct diag *d)
{
	static const struct store_run_filter all = { 0 };
	if (!f)
		f = &all;
	VEC(struct store_run) v = { 0 };
	struct st *st = st_prep(s, d,
	                        RUN_SELECT "WHERE (? = 0 OR environment_id = ?) AND (? = 0 OR "
	                                   "job_id = ?) AND (? IS NULL OR pr_id = ?) ORDER BY id "
	                                   "DESC LIMIT ?",
	                        "iiiitti", f->env_id, f->env_id, f->job_id, f->job_id, f->pr_id,
	                        f->pr_id, f->limit > 0 ? (int64_t)f->limit : INT64_MAX);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_run r;
		read_run(st, a, &r);
		vec_push(&v, r);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}

/* ---- run steps ---- */
int store_step_add(struct store *s, int64_t run_id, const char *command, int64_t *id,
                   struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_run r;
	int rc = store_run_get(s, run_id, &a, &r, d);
	arena_release(&a);
	int64_t step_id = 0;
	if (rc == 0)
		rc = st_do_id(s, d, &step_id,
		              "INSERT INTO run_step (run_id, position, command, status) VALUES (?, "
		              "(SELECT coalesce(max(position), 0) + 1 FROM run_step WHERE run_id = ?), "
		              "?, 'queued') RETURNING id",
		              "iit", run_id, run_id, command ? command : "");
	if (rc == 0 && id)
		*id = step_id;
	return st_end(s, d, rc);
}

int store_step_set_status(struct store *s, int64_t step_id, enum store_status st, int exit_code,
                          struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	const char *now = store_now(NULL);
	int rc = st_do(s, d,
	               "UPDATE run_step SET status = ?, exit_code = CASE WHEN ? < 0 THEN exit_code "
	               "ELSE ? END, started_at = CASE WHEN started_at IS NULL AND ? = 'running' "
	               "THEN ? ELSE started_at END, finished_at = CASE WHEN ? <> 0 THEN ? ELSE NULL END "
	               "WHERE id = ?",
	               "tiitt" "iti", status_names[st], (int64_t)exit_code, (int64_t)exit_code,
	               status_names[st], now, (int64_t)terminal(st), now, step_id);
	if (rc == 0 && st_changes(s) == 0) {
		serr(d, "no run step with id %lld", (long long)step_id);
		rc = -1;
	}
	return st_end(s, d, rc);
}

int store_step_append_log(struct store *s, int64_t step_id, struct str text, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	char *t = xmemdup0(text.p, text.n);
	int rc = st_do(s, d, "UPDATE run_step SET logs = coalesce(logs, '') || ? WHERE id = ?", "ti",
	               t, step_id);
	free(t);
	if (rc == 0 && st_changes(s) == 0) {
		serr(d, "no run step with id %lld", (long long)step_id);
		rc = -1;
	}
	return st_end(s, d, rc);
}

int store_step_list(struct store *s, int64_t run_id, struct arena *a, struct store_step **out,
                    size_t *n, struct diag *d)
{
	VEC(struct store_step) v = { 0 };
	struct st *st = st_prep(s, d,
	                        "SELECT id, run_id, position, command, status, coalesce(exit_code, "
	                        "-1), logs, started_at, finished_at FROM run_step WHERE run_id = "
	                        "? ORDER BY position",
	                        "i", run_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_step x = {
			.id = st_int(st, 0),
			.run_id = st_int(st, 1),
			.position = (int)st_int(st, 2),
			.command = st_text(st, 3, a),
			.status = col_status(st, 4),
			.exit_code = (int)st_int(st, 5),
			.logs = st_text(st, 6, a),
			.started_at = st_text(st, 7, a),
			.finished_at = st_text(st, 8, a),
		};
		vec_push(&v, x);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}

/* ---- artifacts (written by blobs.c) ---- */
/* columns: run_id, step, path, content (or its decoded size), encoding */
static int read_artifact(struct store *s, struct st *st, bool contents, struct arena *a,
                         struct store_artifact *x, struct diag *d)
{
	x->run_id = st_int(st, 0);
	x->step_id = st_int(st, 1);
	x->path = st_text(st, 2, a);
	x->content = NULL;
	if (!contents) {
		x->len = (size_t)st_int(st, 3);
		return 0;
	}
	const char *enc = st_ctext(st, 4);
	size_t pn;
	const void *p = st_blob(st, 3, &pn);
	struct buf b = BUF_INIT;
	int rc = store_artifact_decode(s, enc, p ? p : "", pn, &b, d);
	x->len = b.n;
	x->content = arena_strndup(a, buf_cstr(&b), b.n);
	buf_release(&b);
	return rc;
}

int store_artifact_list(struct store *s, int64_t run_id, bool contents, struct arena *a,
                        struct store_artifact **out, size_t *n, struct diag *d)
{
	VEC(struct store_artifact) v = { 0 };
	struct st *st = st_prep(s, d,
	                        contents ? "SELECT run_id, coalesce(step_id, 0), path, content, "
	                                   "encoding FROM artifact WHERE run_id = ? ORDER BY "
	                                   "coalesce(step_id, 0), path"
	                                 : "SELECT run_id, coalesce(step_id, 0), path, "
	                                   "coalesce(size, length(content)) FROM artifact WHERE "
	                                   "run_id = ? ORDER BY coalesce(step_id, 0), path",
	                        "i", run_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_artifact x;
		if (read_artifact(s, st, contents, a, &x, d) < 0) {
			st_free(st);
			rc = -1;
			break;
		}
		vec_push(&v, x);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}

int store_artifact_get(struct store *s, int64_t run_id, int64_t step_id, const char *path,
                       struct arena *a, struct store_artifact *out, struct diag *d)
{
	struct st *st = st_prep(s, d,
	                        "SELECT run_id, coalesce(step_id, 0), path, content, encoding FROM "
	                        "artifact WHERE run_id = ? AND coalesce(step_id, 0) = ? AND path = ?",
	                        "iit", run_id, step_id, path);
	int rc = st ? st_row(s, d, st) : -1;
	if (rc == 1) {
		if (read_artifact(s, st, true, a, out, d) < 0)
			rc = -1;
		st_free(st);
	}
	return rc;
}
