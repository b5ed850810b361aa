/* serve: `silt serve`, the HTTP API over the metadata store (issue 6; docs/internals/serve.md).
 *
 * One libmicrohttpd daemon with a pool of threads; each request is routed by method and path
 * through the table in routes.c, answered in JSON (errors too, in one shape), and documented by
 * the OpenAPI 3 document the same table produces (/api/openapi.json). Each worker thread keeps
 * its own connection to the store. */
#ifndef SILT_SERVE_H
#define SILT_SERVE_H
#include <signal.h>

#include "../base/base.h"

struct serve_opts {
	const char *host;       /* NULL: 127.0.0.1 */
	int port;               /* 0: any free port (the one bound is printed) */
	const char *store_path; /* the metadata store's file */
	size_t max_body;        /* request body limit in bytes; 0: 1 MiB */
	int threads;            /* worker threads; 0: 4 */
	/* routes of scope metadata:read answer without a token (a local, single-user server) */
	bool read_without_token;
	/* background work: the cron scheduler (queues scheduled runs) and worker processes that
	 * execute queued runs (`<worker_exe> worker --store S [--project-dir D] [--profiles-dir P]`) */
	bool scheduler;
	int workers;            /* 0: none */
	const char *worker_exe; /* the silt binary (/proc/self/exe) */
	const char *project_dir, *profiles_dir; /* for the workers; NULL: theirs by default */
	/* called once the socket is bound, with the address to print (e.g. "http://127.0.0.1:8580") */
	void (*on_ready)(const char *url, void *ud);
	void *ud;
};

/* Serves until *stop becomes non-zero (a signal handler sets it). 0 after a clean stop, -1 with
 * an error on d when the server cannot start (address in use, store unreadable). */
int serve_run(const struct serve_opts *o, volatile sig_atomic_t *stop, struct diag *d);

#endif
