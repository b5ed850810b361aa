/* The run queue: runs waiting for a worker (`silt worker`, the workers `silt serve` starts, or
 * `silt job run` itself), the rules that decide which run goes next, and cancellation.
 *
 * A queued run has no owner until a worker claims it (owner_host/owner_pid set in the same
 * transaction that finds it), so two workers never take the same run, and a run whose worker
 * dies is found by store_recover_runs. Rules (environments.md, scheduler): one run at a time per
 * deploy job — a run of a job waits while another run of that job is running, and a newer
 * queued run replaces an older one that no worker has taken; CI runs of different pull requests
 * run side by side, and a newer CI run of a pull request cancels that pull request's older ones,
 * running or not. A running run is cancelled by setting its status: the worker executing it
 * watches the status and stops its statements. */
#include <unistd.h>

#include "store_int.h"

typedef VEC(int64_t) idvec_t;

/* Cancels run id (and its unfinished steps) if it has not ended; *done = whether it changed. */
static int cancel_one(struct store *s, int64_t id, const char *message, bool *done, struct diag *d)
{
	const char *now = store_now(NULL);
	int rc = st_do(s, d,
	               "UPDATE run SET status = 'cancelled', message = ?, finished_at = ?, started_at "
	               "= coalesce(started_at, ?) WHERE id = ? AND status IN ('queued', 'running')",
	               "ttti", message, now, now, id);
	*done = rc == 0 && st_changes(s) > 0;
	if (rc == 0 && *done)
		rc = st_do(s, d,
		           "UPDATE run_step SET status = 'cancelled', finished_at = ? WHERE run_id = ? AND "
		           "status IN ('queued', 'running')",
		           "ti", now, id);
	if (rc == 0 && *done)
		rc = store_webhook_emit(s, "run.completed", id, d);
	return rc;
}

/* The ids a prepared query returns (NULL st: the error is already on d). */
static int collect_ids(struct store *s, struct st *st, idvec_t *out, struct diag *d)
{
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1)
		vec_push(out, st_int(st, 0));
	return rc < 0 ? -1 : 0;
}

int store_run_enqueue(struct store *s, struct store_run *r, const char *const *steps,
                      size_t nsteps, int *ncancelled, struct diag *d)
{
	if (ncancelled)
		*ncancelled = 0;
	if (!nsteps) {
		serr(d, "a run needs at least one step");
		return -1;
	}
	r->status = SST_QUEUED;
	if (store_begin(s, d) < 0)
		return -1;
	int rc = store_run_create(s, r, d);
	if (rc == 0) /* nobody owns it until a worker claims it */
		rc = st_do(s, d, "UPDATE run SET owner_host = NULL, owner_pid = NULL WHERE id = ?", "i",
		           r->id);
	for (size_t i = 0; rc == 0 && i < nsteps; i++)
		rc = store_step_add(s, r->id, steps[i], NULL, d);
	idvec_t older = { 0 };
	char msg[160];
	if (rc == 0 && r->job_id && !r->is_ci) {
		snprintf(msg, sizeof(msg), "replaced by run %lld, queued after it", (long long)r->id);
		rc = collect_ids(s,
		                 st_prep(s, d,
		                         "SELECT id FROM run WHERE job_id = ? AND id < ? AND status = "
		                         "'queued' AND owner_pid IS NULL AND is_ci = 0",
		                         "ii", r->job_id, r->id),
		                 &older, d);
	} else if (rc == 0 && r->is_ci && r->pr_id) {
		snprintf(msg, sizeof(msg), "superseded by run %lld for a newer commit of pull request %s",
		         (long long)r->id, r->pr_id);
		rc = collect_ids(s,
		                 st_prep(s, d,
		                         "SELECT id FROM run WHERE is_ci = 1 AND job_id IS NOT DISTINCT FROM ? AND pr_id = ? "
		                         "AND id < ? AND status IN ('queued', 'running')",
		                         "Iti", r->job_id, r->pr_id, r->id),
		                 &older, d);
	}
	for (size_t i = 0; rc == 0 && i < older.n; i++) {
		bool done;
		rc = cancel_one(s, older.v[i], msg, &done, d);
		if (rc == 0 && done && ncancelled)
			(*ncancelled)++;
	}
	vec_free(&older);
	return st_end(s, d, rc);
}

int store_run_claim(struct store *s, int64_t want, int64_t *claimed, struct diag *d)
{
	*claimed = 0;
	if (store_begin(s, d) < 0)
		return -1;
	/* the oldest unowned queued run whose deploy job has no run running */
#define CLAIM_SQL                                                                                  \
	"SELECT r.id FROM run r WHERE r.status = 'queued' AND r.owner_pid IS NULL AND (? = 0 OR "  \
	"r.id = ?) AND (r.job_id IS NULL OR r.is_ci = 1 OR NOT EXISTS (SELECT 1 FROM run x WHERE " \
	"x.job_id = r.job_id AND x.is_ci = 0 AND x.status = 'running')) ORDER BY r.id LIMIT 1"
	/* PostgreSQL: the row is locked as it is read, and one another worker holds is passed
	 * over, so two workers never take the same run even outside the store's write lock */
	struct st *st = st_prep(s, d,
	                        s->kind == STORE_PG ? CLAIM_SQL " FOR UPDATE OF r SKIP LOCKED"
	                                            : CLAIM_SQL,
	                        "ii", want, want);
	int rc = st ? 0 : -1;
	int64_t id = 0;
	while (st && (rc = st_row(s, d, st)) == 1)
		id = st_int(st, 0);
	if (rc >= 0 && id)
		rc = st_do(s, d,
		           "UPDATE run SET owner_host = ?, owner_pid = ?, heartbeat_at = ? WHERE id = ?",
		           "titi", store_host_name(), (int64_t)getpid(), store_now(NULL), id);
	if (st_end(s, d, rc < 0 ? -1 : 0) < 0)
		return -1;
	*claimed = id;
	return id ? 1 : 0;
}

int store_run_cancel(struct store *s, int64_t id, const char *message, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	bool done = false;
	int rc = cancel_one(s, id, message, &done, d);
	if (rc == 0 && !done) {
		struct arena a;
		arena_init(&a);
		struct store_run r;
		rc = store_run_get(s, id, &a, &r, d);
		if (rc == 0) {
			serr(d, "run %lld has already ended (%s)", (long long)id, store_status_name(r.status));
			rc = -1;
		}
		arena_release(&a);
	}
	return st_end(s, d, rc);
}

int store_rerun_plan(struct store *s, const struct store_run *r, struct arena *a,
                     struct store_rerun *out, struct diag *d)
{
	memset(out, 0, sizeof(*out));
	if (r->status != SST_ERROR) {
		serr(d, "run %lld is %s: only a run that errored can be rerun from its failure",
		     (long long)r->id, store_status_name(r->status));
		return 0;
	}
	if (!r->env_id) {
		serr(d, "run %lld's environment '%s' no longer exists", (long long)r->id,
		     r->env_name ? r->env_name : "?");
		return 0;
	}
	struct store_step *steps;
	size_t n;
	if (store_step_list(s, r->id, a, &steps, &n, d) < 0)
		return -1;
	if (n == 0 && r->command && !r->job_id) { /* its own command is the step to retry */
		out->position = 1;
		out->commands = arena_alloc(a, sizeof(*out->commands));
		out->commands[0] = r->command;
		out->ncommands = 1;
		return 1;
	}
	size_t first = 0;
	while (first < n && steps[first].status != SST_ERROR)
		first++;
	if (first == n) {
		serr(d, "run %lld has no failed step to rerun from", (long long)r->id);
		return 0;
	}
	out->step_id = steps[first].id;
	out->position = steps[first].position;
	out->ncommands = n - first;
	out->commands = arena_alloc(a, out->ncommands * sizeof(*out->commands));
	for (size_t i = first; i < n; i++)
		out->commands[i - first] = steps[i].command;
	return 1;
}

int store_run_enqueue_rerun(struct store *s, int64_t id, struct arena *a, struct store_run *out,
                            struct store_rerun *plan, int *ncancelled, struct diag *d)
{
	struct store_rerun p;
	struct store_run r;
	if (ncancelled)
		*ncancelled = 0;
	if (store_begin(s, d) < 0)
		return -1;
	int rc = store_run_get(s, id, a, &r, d) < 0 ? -1 : store_rerun_plan(s, &r, a, &p, d);
	if (rc == 1 && r.is_ci && r.pr_id) {
		/* a rerun would cancel the pull request's newer runs (store_run_enqueue's rule) */
		struct st *st = st_prep(s, d,
		                        "SELECT max(id) FROM run WHERE is_ci = 1 AND "
		                        "job_id IS NOT DISTINCT FROM ? AND pr_id = ? AND id > ?",
		                        "Iti", r.job_id, r.pr_id, id);
		int64_t newer = 0;
		int got = st ? 0 : -1;
		while (st && (got = st_row(s, d, st)) == 1)
			newer = st_int(st, 0);
		if (got < 0) {
			rc = -1;
		} else if (newer) {
			serr(d, "run %lld is not the newest CI run of pull request %s (run %lld is): rerun "
			     "that one",
			     (long long)id, r.pr_id, (long long)newer);
			rc = 0;
		}
	}
	if (rc == 1) {
		*out = (struct store_run){ .env_id = r.env_id, .job_id = r.job_id, .rerun_of = id,
			                   .trigger = "rerun", .is_ci = r.is_ci, .pr_id = r.pr_id,
			                   .git_sha = r.git_sha, .git_branch = r.git_branch,
			                   .command = r.job_id ? NULL : p.commands[0] };
		if (store_run_enqueue(s, out, p.commands, p.ncommands, ncancelled, d) < 0)
			rc = -1;
		else if (plan)
			*plan = p;
	}
	if (st_end(s, d, rc < 0 ? -1 : 0) < 0)
		return -1;
	return rc;
}
