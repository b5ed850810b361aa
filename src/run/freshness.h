/* run/freshness: dbt's `source freshness` task — for each selected source table with a freshness
 * check, the `collect_freshness` macro (max(loaded_at_field) and the warehouse's current time,
 * dispatched per adapter) runs on a worker's connection; the age of the newest row against
 * warn_after / error_after gives pass, warn or error, and a query that fails a runtime error.
 * Prints dbt's console lines and writes sources.json (v3). See docs/internals/freshness.md. */
#ifndef SILT_RUN_FRESHNESS_H
#define SILT_RUN_FRESHNESS_H

#include <signal.h>

#include "parse/parse.h"

struct freshness_opts {
	int threads;              /* 0: the profile's */
	const char *target_name;  /* for the Concurrency line */
	const char *output;       /* -o/--output: the sources.json path (relative to the current
	                             directory, as dbt); NULL: <target-path>/sources.json */
	bool no_write_json;       /* --no-write-json */
	volatile sig_atomic_t *interrupt; /* set by a SIGINT handler */
};

/* True when g is an enabled source whose effective freshness (config.freshness over freshness)
 * has a warn_after or error_after with both count and period: dbt's has_freshness. */
bool freshness_applies(const struct gnode *g);

/* Checks the sources among nodes that freshness_applies to (others are ignored), in the
 * scheduler's order (the manifest's). Returns 0 when every check passed or warned, 1 when any
 * was stale past error_after or failed, 2 when the task could not start (no warehouse). */
int freshness_run(struct project *p, struct parse_result *r, struct gnode *const *nodes, size_t n,
                  const struct freshness_opts *o, struct diag *d);

#endif
