/* The scheduler: cron schedules of jobs turned into queued runs (sched/cron.h). `silt serve`
 * calls sched_tick every second over the time since its last call; workers take the runs from the queue (store/queue.c). */
#include <time.h>

#include "cron.h"
#include "store/store.h"

int64_t sched_parse_time(const char *iso)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, s;
	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

int sched_tick(struct store *s, int64_t from, int64_t to, int *nqueued, struct diag *d)
{
	*nqueued = 0;
	struct arena a;
	arena_init(&a);
	struct store_job *jobs;
	size_t n;
	int rc = store_job_list(s, 0, &a, &jobs, &n, d);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct store_job *j = &jobs[i];
		if (!j->schedule_cron || !j->nsteps)
			continue;
		struct cron c;
		char what[256];
		snprintf(what, sizeof(what), "job '%s' schedule", j->name);
		if (cron_parse(j->schedule_cron, what, &c, d) < 0)
			continue; /* reported; the other jobs go on */
		int64_t next = cron_next(&c, from);
		if (next < 0 || next > to)
			continue;
		struct store_run r = { .env_id = j->env_id, .job_id = j->id, .trigger = "schedule" };
		rc = store_run_enqueue(s, &r, j->steps, j->nsteps, NULL, d);
		if (rc == 0)
			(*nqueued)++;
	}
	arena_release(&a);
	return rc;
}
