/* sched: when jobs run. cron.c parses a job's 5-field cron schedule (UTC, as dbt Cloud reads it)
 * and computes its next run time; the scheduler of `silt serve` (issue 6) builds on it.
 *
 * Grammar (Vixie cron): five fields separated by blanks — minute 0-59, hour 0-23, day of month
 * 1-31, month 1-12 or JAN-DEC, day of week 0-7 (0 and 7 are Sunday) or SUN-SAT. A field is a
 * comma list of items; an item is `*`, `N`, `N-M`, and any of those followed by `/STEP`
 * (`N/STEP` means N to the field's maximum). Names are case-insensitive. `@yearly`
 * (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly` stand for their
 * five-field forms. When both day fields are restricted (neither starts with `*`), a day matches
 * when either does, as cron has always done; otherwise both must match. */
#ifndef SILT_SCHED_CRON_H
#define SILT_SCHED_CRON_H
#include "../base/base.h"

struct cron {
	uint64_t minutes; /* bit m: minute m */
	uint32_t hours;   /* bit h */
	uint32_t mdays;   /* bit d, 1..31 */
	uint16_t months;  /* bit m, 1..12 */
	uint8_t wdays;    /* bit w, 0..6 (Sunday 0) */
	bool mday_any, wday_any; /* the field started with `*` */
};

/* Parses expr into *out. 0, or -1 with one error on d: what was expected in which field,
 * ", at column N of 'EXPR'" (1-based), under the name `what` (e.g. "--schedule"). */
int cron_parse(const char *expr, const char *what, struct cron *out, struct diag *d);

/* The first minute strictly after `after` (seconds since the epoch, UTC) that c matches, in
 * seconds since the epoch; -1 when none comes within five years (e.g. `0 0 30 2 *`). */
int64_t cron_next(const struct cron *c, int64_t after);

/* ---- the scheduler (scheduler.c) ---- */
struct store;

/* One pass of the scheduler over the interval (from, to] (seconds since the epoch): every job
 * with a schedule that names a minute in it gets one run queued with trigger "schedule" (one,
 * however many minutes of the interval match). `silt serve` calls it every second with `from`
 * the previous call's `to`, so a minute is never scheduled twice; minutes that pass while no
 * server runs are not caught up, as cron does. *nqueued counts the runs. 0, or -1 with d; a
 * stored schedule that no longer parses is reported on d and skipped, the other jobs go on. */
int sched_tick(struct store *s, int64_t from, int64_t to, int *nqueued, struct diag *d);

/* "2026-01-31T12:00:00.123Z" (the store's times) as seconds since the epoch; -1 if malformed. */
int64_t sched_parse_time(const char *iso);

#endif
