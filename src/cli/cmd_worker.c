/* silt worker [--store PATH] [--project-dir DIR] [--once] [--poll-ms N] [--profiles-dir DIR]
 *
 * Takes runs from the metadata store's queue (store_run_claim: one run of a deploy job at a
 * time, CI runs of different pull requests side by side) and executes them step by step in the
 * project folder, until SIGINT/SIGTERM (the run in progress is finished first; a second signal
 * stops it as Ctrl-C does) or, with --once, until the queue is empty. Several workers may
 * share a store: a claim is one transaction, so a run is taken once. `silt serve` starts its
 * workers with this command. */
#include <signal.h>
#include <time.h>

#include "cli.h"
#include "jobs.h"

static volatile sig_atomic_t worker_stop;

static void on_signal(int sig)
{
	(void)sig;
	if (worker_stop) { /* a second signal: stop the run in progress too */
		cli_interrupt_why = "the worker was stopped";
		cli_interrupted = 1;
	}
	worker_stop = 1;
}

static const char usage[] = "usage: silt worker [--store PATH] [--project-dir DIR] [--profiles-dir DIR] "
                            "[--once] [--poll-ms N]\n";

int cmd_worker(int argc, char **argv)
{
	const char *explicit_store = NULL, *project_dir = NULL, *profiles_dir = NULL;
	bool once = false;
	long poll_ms = 500;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--once")) {
			once = true;
			continue;
		}
		const char **slot = !strcmp(argv[i], "--store")          ? &explicit_store
		                    : !strcmp(argv[i], "--project-dir")  ? &project_dir
		                    : !strcmp(argv[i], "--profiles-dir") ? &profiles_dir
		                                                         : NULL;
		if (i + 1 < argc && !strcmp(argv[i], "--poll-ms")) {
			char *end;
			poll_ms = strtol(argv[++i], &end, 10);
			if (*end || poll_ms < 10 || poll_ms > 60000) {
				fprintf(stderr, "silt worker: --poll-ms wants 10 to 60000\n%s", usage);
				return 2;
			}
			continue;
		}
		if (!slot || i + 1 >= argc) {
			fprintf(stderr, "silt worker: %s '%s'\n%s", slot ? "missing value for" : "unknown argument",
			        argv[i], usage);
			return 2;
		}
		*slot = argv[++i];
	}
	if (profiles_dir)
		cli_job_set_profiles_dir(profiles_dir);
	struct store *s = cli_store_open("worker", explicit_store, project_dir);
	if (!s)
		return 2;
	/* the steps (silt ci run, silt ci cleanup) find this store whatever folder they run in */
	setenv("SILT_STORE", store_path(s), 1);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("silt worker: taking runs from %s\n", store_display(s));
	fflush(stdout);
	int rc = 0, nruns = 0;
	double next_recover = 0;
	struct diag d;
	diag_init(&d);
	while (!worker_stop) {
		int64_t id;
		int c = store_run_claim(s, 0, &id, &d);
		if (c < 0) {
			cli_print_diag_as("worker", &d);
			diag_clear(&d);
			rc = 1;
		}
		if (c == 1) {
			printf("silt worker: run %lld\n", (long long)id);
			fflush(stdout);
			if (cli_execute_claimed(s, id, project_dir, &d) < 0)
				cli_print_diag_as("worker", &d);
			diag_clear(&d);
			nruns++;
			fflush(stdout);
			continue;
		}
		if (once)
			break;
		/* while idle, runs whose worker died (on this machine, or silent past the heartbeat
		 * timeout on any) are marked errored, with or without a silt serve */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)now.tv_sec >= next_recover) {
			int recovered = 0;
			if (store_recover_runs(s, &recovered, &d) == 0 && recovered) {
				printf("silt worker: marked %d run%s errored whose worker died\n", recovered,
				       recovered == 1 ? "" : "s");
				fflush(stdout);
			}
			diag_clear(&d);
			next_recover = (double)now.tv_sec + store_heartbeat_interval();
		}
		struct timespec ts = { poll_ms / 1000, (poll_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	printf("silt worker: stopped after %d run%s\n", nruns, nruns == 1 ? "" : "s");
	diag_release(&d);
	store_close(s);
	return rc;
}
