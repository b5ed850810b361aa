/* run/microbatch: the batches of an incremental model with incremental_strategy 'microbatch'
 * (dbt 1.9's MicrobatchBuilder). From `batch_size` (hour, day, month, year), `begin`,
 * `lookback` (default 1) and --event-time-start/--event-time-end: the end is the ceiling of
 * --event-time-end or now; the start is --event-time-start truncated, else `begin` truncated on
 * a first run or full refresh, else the end moved back `lookback` + 1 batches. Batches are
 * [start, start + 1 batch), ... and the last one ends at the end. Times are UTC, kept as
 * microseconds since 0001-01-01 (datetime_ordinal_us). */
#ifndef SILT_RUN_MICROBATCH_H
#define SILT_RUN_MICROBATCH_H

#include "../base/base.h"
#include "../value/value.h"

enum mb_size { MB_HOUR, MB_DAY, MB_MONTH, MB_YEAR };

struct microbatch {
	enum mb_size size;
	const char *event_time; /* the model's event_time column (borrowed from its config) */
	size_t n;
	int64_t *start, *end; /* n each, malloc'd */
};

/* config: the model's config dict. flag_start/flag_end: the command's --event-time-start/-end
 * or NULL. now_us: the run's start. -1 with dbt's error text when a config is missing or wrong. */
int microbatch_plan(const char *model, value config, bool incremental, const char *flag_start,
                    const char *flag_end, int64_t now_us, struct microbatch *mb, struct diag *d);
void microbatch_release(struct microbatch *mb);

/* A time as str() of an aware UTC datetime: "2024-09-17 16:00:00+00:00" (with_zone) or
 * without the zone ("2024-09-17 16:00:00", what SQLite compares its text timestamps with). */
void microbatch_time_text(int64_t us, bool with_zone, struct buf *out);
/* dbt's batch id: "20240917" (day, month, year) or "20240917T16" (hour). */
void microbatch_id(const struct microbatch *mb, size_t i, struct buf *out);
/* model.batch for batch i: {"id", "event_time_start", "event_time_end"} (aware datetimes). */
value microbatch_batch_value(struct arena *a, const struct microbatch *mb, size_t i);
/* Parses a --event-time-start/-end value ("2024-01-01", "2024-01-01T10:00:00", "2024-01-01
 * 10:00:00"); false when it is not one. */
bool microbatch_parse_time(const char *s, int64_t *us);
/* A Unix time (seconds and microseconds) on the same scale. */
int64_t microbatch_unix_us(int64_t sec, int64_t usec);

#endif
