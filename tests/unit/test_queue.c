/* The run queue and the scheduler (store/queue.c, sched/scheduler.c): enqueue with steps and no
 * owner, claims taken once and in order, one running run per deploy job, a newer queued run
 * replacing an older one, a new CI run of a pull request cancelling the older ones, cancelling
 * queued/running/ended runs, and sched_tick queuing each due job once per interval. Runs in a
 * mkdtemp directory. */
#include <unistd.h>

#include "sched/cron.h"
#include "store/store.h"
#include "store_db.h"
#include "tap.h"

void test_queue(void);

#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static struct diag qd;

static const char *msg(void) { return qd.msgs.n ? qd.msgs.v[qd.msgs.n - 1].msg : ""; }

static enum store_status status_of(struct store *s, int64_t id)
{
	struct arena a;
	arena_init(&a);
	struct store_run r = { 0 };
	int rc = store_run_get(s, id, &a, &r, &qd);
	arena_release(&a);
	return rc == 0 ? r.status : (enum store_status)-1;
}

static int64_t enqueue(struct store *s, int64_t env, int64_t job, bool ci, const char *pr, int *replaced)
{
	static const char *const steps[] = { "silt seed", "silt build" };
	struct store_run r = { .env_id = env, .job_id = job, .is_ci = ci, .pr_id = pr, .trigger = "api" };
	if (store_run_enqueue(s, &r, steps, 2, replaced, &qd) < 0)
		return -1;
	return r.id;
}

void test_queue(void)
{
	char dir[] = "/tmp/silt-queue-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	if (!test_store_available()) {
		printf("# skipped: no PostgreSQL server\n");
		return;
	}
	diag_init(&qd);
	char *path = test_store_loc(dir, "q.db");
	struct store_opts o = { .key = KEY, .home = dir, .user = "q" };
	struct store *s = store_open(path, &o, &qd);
	ok(s != NULL, "a store opens: %s", msg());
	if (!s) {
		free(path);
		return;
	}
	struct store_env prod = { .name = "prod", .type = SENV_PRODUCTION };
	struct store_env ci = { .name = "ci", .type = SENV_GENERAL };
	const char *steps[] = { "silt build" };
	struct store_job nightly = { .name = "nightly", .job_type = "scheduled", .steps = steps, .nsteps = 1,
		                     .schedule_cron = "0 2 * * *" };
	struct store_job hourly = { .name = "hourly", .job_type = "scheduled", .steps = steps, .nsteps = 1,
		                    .schedule_cron = "@hourly" };
	struct store_job pr = { .name = "pr_check", .job_type = "ci", .steps = steps, .nsteps = 1 };
	ok(store_env_create(s, &prod, &qd) == 0 && store_env_create(s, &ci, &qd) == 0, "environments: %s", msg());
	nightly.env_id = hourly.env_id = prod.id;
	pr.env_id = ci.id;
	ok(store_job_create(s, &nightly, &qd) == 0 && store_job_create(s, &hourly, &qd) == 0 &&
	       store_job_create(s, &pr, &qd) == 0,
	   "jobs: %s", msg());

	/* enqueue: queued, two steps, nobody owns it (a dead enqueuer does not error it) */
	int replaced = -1;
	int64_t r1 = enqueue(s, prod.id, nightly.id, false, NULL, &replaced);
	ok(r1 > 0 && replaced == 0, "a run is queued: %s", msg());
	is_int(status_of(s, r1), SST_QUEUED, "... with status queued");
	struct arena a;
	arena_init(&a);
	struct store_step *st;
	size_t nst = 0;
	ok(store_step_list(s, r1, &a, &st, &nst, &qd) == 0 && nst == 2 && !strcmp(st[1].command, "silt build"),
	   "... with its steps in order");
	ok(store_run_enqueue(s, &(struct store_run){ .env_id = prod.id }, steps, 0, NULL, &qd) < 0 &&
	       strstr(msg(), "at least one step"),
	   "a run without steps is refused");

	/* a newer queued run of the same deploy job replaces the older one */
	int64_t r2 = enqueue(s, prod.id, nightly.id, false, NULL, &replaced);
	is_int(replaced, 1, "a newer run of the job replaces the queued one");
	is_int(status_of(s, r1), SST_CANCELLED, "... which is cancelled");
	arena_reset(&a);
	struct store_run got;
	ok(store_run_get(s, r1, &a, &got, &qd) == 0 && got.message && strstr(got.message, "replaced by run"),
	   "... saying by which run");

	/* claims: oldest first, each once */
	int64_t h1 = enqueue(s, prod.id, hourly.id, false, NULL, NULL);
	int64_t id;
	ok(store_run_claim(s, 0, &id, &qd) == 1 && id == r2, "the oldest queued run is claimed first");
	ok(store_run_claim(s, r2, &id, &qd) == 0, "a claimed run cannot be claimed again");
	ok(store_run_set_status(s, r2, SST_RUNNING, NULL, &qd) == 0, "it starts");
	/* one running run per deploy job: a new nightly run waits; hourly goes first */
	int64_t r3 = enqueue(s, prod.id, nightly.id, false, NULL, &replaced);
	is_int(replaced, 0, "a running run is not replaced");
	ok(store_run_claim(s, r3, &id, &qd) == 0, "a job's run waits while another run of the job runs");
	ok(store_run_claim(s, 0, &id, &qd) == 1 && id == h1, "... and another job's run goes first");
	ok(store_run_claim(s, 0, &id, &qd) == 0, "then nothing may start");
	ok(store_run_set_status(s, r2, SST_SUCCESS, NULL, &qd) == 0, "the running nightly run ends");
	ok(store_run_claim(s, 0, &id, &qd) == 1 && id == r3, "... and the waiting one may start");

	/* CI: pull requests side by side; a new commit cancels the older run of that PR */
	int64_t c1 = enqueue(s, ci.id, pr.id, true, "7", NULL);
	int64_t c2 = enqueue(s, ci.id, pr.id, true, "8", NULL);
	ok(store_run_claim(s, 0, &id, &qd) == 1 && id == c1, "a CI run is claimed");
	ok(store_run_set_status(s, c1, SST_RUNNING, NULL, &qd) == 0, "... and runs");
	ok(store_run_claim(s, 0, &id, &qd) == 1 && id == c2, "another PR's CI run of the same job runs beside it");
	int64_t c3 = enqueue(s, ci.id, pr.id, true, "7", &replaced);
	is_int(replaced, 1, "a new commit of PR 7 cancels its older run");
	is_int(status_of(s, c1), SST_CANCELLED, "... even while it runs");
	is_int(status_of(s, c2), SST_QUEUED, "... and PR 8's run is untouched");
	ok(c3 > 0, "the new run is queued");

	/* cancel */
	int64_t q = enqueue(s, prod.id, 0, false, NULL, NULL);
	ok(store_run_cancel(s, q, "no longer needed", &qd) == 0, "a queued run is cancelled");
	is_int(status_of(s, q), SST_CANCELLED, "... and stays so");
	ok(store_run_cancel(s, q, "again", &qd) < 0 && strstr(msg(), "already ended"), "an ended run cannot be cancelled");
	ok(store_run_claim(s, q, &id, &qd) == 0, "a cancelled run is never claimed");

	/* the scheduler: hourly at minute 0, nightly at 02:00 */
	int64_t t0 = sched_parse_time("2026-11-26T01:30:00.000Z");
	is_int(t0, 1795656600, "store times parse as UTC");
	is_int(sched_parse_time("yesterday"), -1, "a malformed time is -1");
	int n = -1;
	ok(sched_tick(s, t0, t0 + 60, &n, &qd) == 0 && n == 0, "nothing is due between 01:30 and 01:31");
	ok(sched_tick(s, t0 + 60, t0 + 1800, &n, &qd) == 0 && n == 2, "02:00 comes: hourly and nightly are due (%s)", msg());
	struct store_run_filter f = { .job_id = hourly.id };
	struct store_run *runs;
	size_t nr;
	arena_reset(&a);
	ok(store_run_list(s, &f, &a, &runs, &nr, &qd) == 0 && nr >= 1 && !strcmp(runs[0].trigger, "schedule"),
	   "the scheduled run's trigger is schedule");
	ok(sched_tick(s, t0 + 1800, t0 + 1801, &n, &qd) == 0 && n == 0, "the next second queues nothing more");
	ok(sched_tick(s, t0 + 1801, t0 + 3 * 3600, &n, &qd) == 0 && n == 1,
	   "hours later: one hourly run for all the missed hours");

	/* heartbeats: a worker on another machine is known to be alive only by them */
	setenv("SILT_RUN_HEARTBEAT_TIMEOUT", "10", 1);
	is_int(store_heartbeat_timeout(), 10, "SILT_RUN_HEARTBEAT_TIMEOUT sets the heartbeat timeout");
	ok(store_heartbeat_interval() == 2.0, "... and a worker beats every fifth of it");
	setenv("SILT_RUN_HEARTBEAT_TIMEOUT", "soon", 1);
	is_int(store_heartbeat_timeout(), 30, "a malformed timeout is the default, 30 s");
	unsetenv("SILT_RUN_HEARTBEAT_TIMEOUT");
	int64_t gone = enqueue(s, prod.id, 0, false, NULL, NULL);
	int64_t alive = enqueue(s, prod.id, 0, false, NULL, NULL);
	int64_t quiet = enqueue(s, prod.id, 0, false, NULL, NULL);
	ok(store_run_claim(s, gone, &id, &qd) == 1 && store_run_claim(s, alive, &id, &qd) == 1 &&
	       store_run_claim(s, quiet, &id, &qd) == 1,
	   "three runs are claimed: %s", msg());
	ok(store_run_heartbeat(s, alive, &qd) == 0, "a worker's heartbeat is recorded");
	char sql[400];
	snprintf(sql, sizeof(sql),
	         "UPDATE run SET status = 'running', owner_host = 'another-machine', owner_pid = 1 "
	         "WHERE id IN (%lld, %lld, %lld)",
	         (long long)gone, (long long)alive, (long long)quiet);
	int raw = test_raw_exec(path, sql);
	snprintf(sql, sizeof(sql),
	         "UPDATE run SET heartbeat_at = '2020-01-01T00:00:00.000Z' WHERE id = %lld; "
	         "UPDATE run SET heartbeat_at = NULL WHERE id = %lld",
	         (long long)gone, (long long)quiet);
	raw |= test_raw_exec(path, sql);
	ok(raw == 0, "they are moved to another machine, one silent since 2020, one without any");
	int rec = -1;
	ok(store_recover_runs(s, &rec, &qd) == 0 && rec == 1, "one run is recovered (%d): %s", rec,
	   msg());
	is_int(status_of(s, gone), SST_ERROR, "the silent one is marked errored");
	arena_reset(&a);
	ok(store_run_get(s, gone, &a, &got, &qd) == 0 && got.message &&
	       strstr(got.message, "on another-machine) ended without finishing it: no heartbeat for "
	                           "30 s"),
	   "... saying its worker stopped beating");
	is_int(status_of(s, alive), SST_RUNNING,
	       "a run whose worker beats is left alone, whatever its pid would say here");
	is_int(status_of(s, quiet), SST_RUNNING,
	       "a run of another machine that never beat is left alone (no pid check across hosts)");
	free(path);
	arena_release(&a);
	store_close(s);
	diag_release(&qd);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ok(0, "cleanup");
}
