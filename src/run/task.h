/* run/task: dbt's run, test, seed and build tasks over a selection — the on-run-start hooks, each
 * node compiled and materialized by its materialization macro (seeds loaded by run/seed), the
 * DAG walked by the thread pool (run.h), the console lines dbt prints, the on-run-end hooks,
 * target/compiled/ and target/run/, and target/run_results.json.
 *
 * Rendering is serialized (one Jinja environment serves every thread); the warehouse work of a
 * node happens inside its render, so with SQLite — one writer at a time anyway — the threads
 * mostly overlap bookkeeping, not SQL. */
#ifndef SILT_RUN_TASK_H
#define SILT_RUN_TASK_H

#include <signal.h>

#include "parse/parse.h"

enum task_kind { TASK_RUN, TASK_TEST, TASK_SEED, TASK_BUILD, TASK_SNAPSHOT };

struct task_opts {
	enum task_kind kind;
	int threads;         /* 0: the profile's */
	bool fail_fast;      /* --fail-fast */
	bool full_refresh;   /* --full-refresh */
	bool store_failures; /* --store-failures */
	bool no_write_json;  /* --no-write-json */
	bool warn_error;     /* --warn-error: a test's warning fails it */
	bool empty;          /* --empty: refs and sources read no rows (node_compiler.empty) */
	const char *target_name; /* for the Concurrency line */
	const struct gdefer *defer;      /* --defer: unselected parents from the state, or NULL */
	const char *event_time_start, *event_time_end; /* microbatch models' window, or NULL */
	volatile sig_atomic_t *interrupt; /* set by a SIGINT handler */
};

/* Runs the selected nodes (any order) and prints dbt's lines to stdout. Returns the exit status:
 * 0 when every node succeeded or warned, 1 when any errored, failed or was skipped, 2 when the
 * task could not start (no warehouse connection). */
struct console;
/* "Found 5 models, 3 seeds, 20 data tests, 2 sources, 471 macros" (zero counts left out). */
void task_found_line(struct console *con, const struct parse_result *r);

int task_run(struct project *p, struct parse_result *r, struct gnode *const *nodes, size_t n,
             const struct task_opts *o, struct diag *d);

#endif
