/* run: executing a selection of the DAG with a pool of threads, as dbt's runner does — a node
 * starts when every selected parent has finished; a node whose selected parent failed (or was
 * skipped) is skipped; --fail-fast stops starting new nodes after the first failure; an
 * interrupt (Ctrl-C) stops starting new nodes and lets the running ones finish or be cancelled.
 *
 * The work of one node is a callback: it runs on a worker thread, gets the worker's number (for
 * its connection) and returns the node's status. Start and finish notifications run under the
 * scheduler's lock, in the order dbt prints them ("1 of 5 START ...", "1 of 5 OK ..."). */
#ifndef SILT_RUN_H
#define SILT_RUN_H

#include <signal.h>

#include "graph/graph.h"

enum run_status {
	RUN_PENDING = 0,
	RUN_SUCCESS, /* built / passed */
	RUN_WARN,    /* a test that warned */
	RUN_ERROR,   /* the node failed (SQL error, compile error) */
	RUN_FAIL,    /* a test that failed */
	RUN_SKIPPED, /* an upstream node failed, or the run stopped first */
};
const char *run_status_name(enum run_status s); /* "success", "warn", "error", "fail", "skipped" */

struct run_item {
	struct gnode *node;
	enum run_status status;
	int index;           /* 1-based, in the order nodes started (dbt's "N of M") */
	double started, finished; /* seconds since the run began */
	const struct gnode *skipped_because; /* for RUN_SKIPPED after a failure: the failed parent */
};

struct run_opts {
	int threads;    /* >= 1 */
	bool fail_fast; /* stop starting nodes after the first error or failure */
	/* The node's work. Returns its status (RUN_SUCCESS, RUN_WARN, RUN_ERROR, RUN_FAIL). */
	enum run_status (*execute)(void *ud, int worker, struct run_item *item);
	/* Called with the scheduler's lock held: before a node runs, and after (skips too). */
	void (*on_start)(void *ud, const struct run_item *item, int total);
	void (*on_done)(void *ud, const struct run_item *item, int total);
	/* Called once (from the scheduler) when fail-fast or an interrupt stops the run, so the
	 * caller can cancel in-flight queries. */
	void (*on_stop)(void *ud);
	void *ud;
	/* build: a node also waits for the tests of its parents (dbt's test edges), and a failing
	 * test skips its parent's children. */
	bool test_edges;
	/* Set (to non-zero) by a signal handler or another thread to stop: no new node starts. */
	volatile sig_atomic_t *interrupt;
};

/* Runs the selected nodes (any order; the DAG decides) and fills items[i] for nodes[i].
 * Returns 0 when every node succeeded or warned, 1 when any errored, failed or was skipped. */
int run_dag(struct gmanifest *m, struct gnode *const *nodes, size_t n, const struct run_opts *o,
            struct run_item *items);

#endif
