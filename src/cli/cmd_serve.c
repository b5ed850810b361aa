/* silt serve [--host H] [--port P] [--store PATH] [--project-dir DIR] [--threads N]
 *            [--max-body BYTES]
 *
 * Serves the HTTP API (src/serve/) over the metadata store of the current project (or the one
 * named) until SIGINT or SIGTERM. Prints the address once it listens. */
#include <signal.h>

#include "cli.h"
#include "serve/serve.h"
#include "store/store.h"

static volatile sig_atomic_t serve_stop;

static void on_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

static void ready(const char *url, void *ud)
{
	(void)ud;
	printf("silt serve: listening on %s (the Explorer at %s/, the API under %s/api/v1/, OpenAPI "
	       "at %s/api/openapi.json)\n",
	       url, url, url, url);
	fflush(stdout);
}

static const char usage[] = "usage: silt serve [--host H] [--port P] [--store PATH] "
                            "[--project-dir DIR] [--profiles-dir DIR] [--threads N] [--max-body BYTES]\n"
                            "                  [--workers N] [--no-scheduler] [--read-without-token]\n";

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o = { .host = "127.0.0.1", .port = 8580, .on_ready = ready, .scheduler = true,
		                .workers = 1, .worker_exe = "/proc/self/exe" };
	const char *store = NULL, *project_dir = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n = 0;
		char *end = NULL;
		if (!strcmp(a, "--read-without-token")) {
			o.read_without_token = true;
			continue;
		}
		if (!strcmp(a, "--no-scheduler")) {
			o.scheduler = false;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!v || strncmp(a, "--", 2)) {
			fprintf(stderr, "silt serve: %s '%s'\n%s", v ? "unknown argument" : "missing value for", a, usage);
			return 2;
		}
		i++;
		if (!strcmp(a, "--host")) {
			o.host = v;
			continue;
		}
		if (!strcmp(a, "--store")) {
			store = v;
			continue;
		}
		if (!strcmp(a, "--project-dir")) {
			project_dir = v;
			o.project_dir = v;
			continue;
		}
		if (!strcmp(a, "--profiles-dir")) {
			o.profiles_dir = v;
			continue;
		}
		n = strtol(v, &end, 10);
		if (*end || end == v || n < 0) {
			fprintf(stderr, "silt serve: %s wants a non-negative number, not '%s'\n", a, v);
			return 2;
		}
		if (!strcmp(a, "--port") && n <= 65535)
			o.port = (int)n;
		else if (!strcmp(a, "--threads") && n >= 1 && n <= 256)
			o.threads = (int)n;
		else if (!strcmp(a, "--workers") && n <= 64)
			o.workers = (int)n;
		else if (!strcmp(a, "--max-body") && n >= 1)
			o.max_body = (size_t)n;
		else {
			fprintf(stderr, "silt serve: unknown argument or value out of range: %s %s\n%s", a, v, usage);
			return 2;
		}
	}
	struct diag d;
	diag_init(&d);
	struct buf path = BUF_INIT;
	int rc = 0;
	if (store_locate(store, project_dir, &path, &d) < 0) {
		rc = 2;
	} else {
		o.store_path = buf_cstr(&path);
		struct sigaction sa = { 0 };
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		if (serve_run(&o, &serve_stop, &d) < 0)
			rc = 1;
		else
			printf("silt serve: stopped\n");
	}
	for (size_t i = 0; i < d.msgs.n; i++) {
		struct buf b = BUF_INIT;
		diag_format_msg(&d.msgs.v[i], &b);
		fprintf(stderr, "silt serve: %s\n", buf_cstr(&b));
		buf_release(&b);
	}
	buf_release(&path);
	diag_release(&d);
	return rc;
}
