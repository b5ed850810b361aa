/* silt's entry point: a table of commands, one row each (git's commands[]). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "artifacts/artifacts.h"
#include "cli.h"
#include "jobs.h"

#define SILT_VERSION "0.1.0"

static const struct command commands[] = {
	{ "version", cmd_version, "print silt's version", false },
	{ "render", cmd_render, "render a Jinja template file with a JSON context", false },
	{ "deps", cmd_deps, "install the project's packages (local and git)", true },
	{ "debug", cmd_debug, "check the project, the profile and the connection", true },
	{ "clean", cmd_clean, "delete the project's clean-targets", true },
	{ "parse", cmd_parse, "parse the project and write target/manifest.json", true },
	{ "compile", cmd_compile, "render the selected nodes into target/compiled", true },
	{ "seed", cmd_seed, "load the project's CSV seeds into the warehouse", true },
	{ "run", cmd_run, "build the selected models in the warehouse", true },
	{ "snapshot", cmd_snapshot, "record the selected snapshots' changes (type 2 history)", true },
	{ "run-operation", cmd_run_operation, "call a macro with --args on the target (dbt's run-operation)", true },
	{ "retry", cmd_retry, "run the previous command again on its failed and skipped nodes", true },
	{ "test", cmd_test, "run the selected data tests", true },
	{ "build", cmd_build, "seed, run and test the selection in DAG order", true },
	{ "docs", cmd_docs, "docs generate: write target/manifest.json and catalog.json", true },
	{ "source", cmd_source, "source freshness: check the sources' freshness, write sources.json", true },
	{ "clone", cmd_clone, "clone: views in the target over the state's relations (--state DIR)", true },
	{ "show", cmd_show, "run a node's or an inline query's SQL and print the rows", true },
	{ "init", cmd_init, "create a starter project (and a SQLite profile)", true },
	{ "ls", cmd_ls, "list the nodes a selection names", true },
	{ "list", cmd_ls, "list the nodes a selection names", true },
	{ "env", cmd_env, "environments, their credentials and variables (the metadata store)", false },
	{ "job", cmd_job, "jobs of an environment: create, list, show, edit, delete, run now", false },
	{ "ingest", cmd_ingest, "record a target/ folder's manifest and run results as a run", false },
	{ "ci", cmd_ci, "Slim CI: build a pull request's changes against an environment's state", false },
	{ "webhook", cmd_webhook, "webhooks out: where silt serve posts run events", false },
	{ "repo", cmd_repo, "the project's git repository (runs check it out) and webhook secret", false },
	{ "token", cmd_token, "service tokens of the API: create, list, revoke", false },
	{ "worker", cmd_worker, "execute queued runs of the metadata store's jobs", false },
	{ "serve", cmd_serve, "serve the HTTP API over the metadata store (127.0.0.1:8580)", false },
	{ "selftest", cmd_selftest, "run data-driven test cases (jinja, yaml, json)", false },
	{ "bench", cmd_bench, "measure template parse and render speed", false },
};

bool cli_whole_process;

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/* The memory of a process is given back by the last task using it: a process whose end unmaps
 * a 10k project's ~110 MB keeps whoever waits for it (a shell, a job step, a benchmark) ~10 ms
 * after its last file is written and its status known. So, as mold does (its --fork), the
 * process leaves that to a child sharing its memory (CLONE_VM, not one of its threads), which
 * ends once its parent is gone: the child closes its copies of the descriptors but the read end
 * of `gone` (the parent waits for that, so no descriptor of silt's stays open in the child
 * after the parent ends) and reads until the parent's exit closes the write end, which the
 * kernel does after the parent let go of the memory. System calls only: the child runs on the
 * parent's thread pointer. A caller whose PID 1 never reaps orphans keeps one zombie per run. */
static _Alignas(16) char reaper_stack[16384];

static int reaper_main(void *arg)
{
	unsigned fd = (unsigned)(uintptr_t)arg;
	char byte;
	/* without close_range (kernels before 5.9, seccomp filters that refuse it) the child
	 * ends at once: its exit closes its descriptors and the parent frees the memory itself */
	if ((fd > 0 && syscall(SYS_close_range, 0u, fd - 1, 0u) != 0) ||
	    syscall(SYS_close_range, fd + 1, ~0u, 0u) != 0)
		syscall(SYS_exit, 0);
	syscall(SYS_chdir, "/"); /* (not to keep the caller's folder busy meanwhile) */
	while (syscall(SYS_read, fd, &byte, 1) < 0)
		;
	syscall(SYS_exit, 0);
	return 0;
}

static void leave_memory_to_child(void)
{
	/* valgrind, which cannot follow a clone sharing the memory, exits the ordinary way (its
	 * preloaded library says it runs: callgrind counts of a parse stay comparable) */
	const char *pre = getenv("LD_PRELOAD");
	if (pre && strstr(pre, "vgpreload"))
		return;
	int gone[2], closed[2];
	if (pipe2(gone, O_CLOEXEC) < 0)
		return;
	if (pipe2(closed, O_CLOEXEC) < 0) {
		close(gone[0]);
		close(gone[1]);
		return;
	}
	/* syscall() bound now, not by the dynamic linker on the child's first call */
	(void)syscall(SYS_getpid);
	/* the child starts with every signal blocked (it has no handlers of its own to run) and
	 * no exit signal: once the parent is gone, its new parent reaps it */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	bool started = clone(reaper_main, reaper_stack + sizeof(reaper_stack),
	                     CLONE_VM | CLONE_UNTRACED, (void *)(uintptr_t)gone[0]) > 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(closed[1]);
	if (started) { /* end of file once the child closed its copy of closed[1] */
		char byte;
		while (read(closed[0], &byte, 1) < 0 && errno == EINTR)
			;
	}
	close(closed[0]);
	close(gone[0]);
	if (!started)
		close(gone[1]);
	/* gone[1] stays open until the exit closes it */
}
#endif

void cli_exit_now(int rc)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)rc;
#else
	if (cli_whole_process) {
		fflush(stdout);
#if !defined(__SANITIZE_THREAD__)
		leave_memory_to_child();
#endif
		exit(rc);
	}
#endif
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("silt: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

char *cli_read_file(const char *path, size_t *len)
{
	char *text = file_read_all(path, len);
	if (!text)
		fprintf(stderr, "silt: cannot read %s: %s\n", path, strerror(errno));
	return text;
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	puts("silt " SILT_VERSION);
	return 0;
}

static const char dbt_flags[] =
    "project: --project-dir DIR, --profiles-dir DIR, --profile NAME, --target/-t NAME,\n"
    "  --vars YAML, --target-path DIR, --threads N\n"
    "selection: -s/--select ..., --exclude ..., --selector NAME, --resource-type ...,\n"
    "  --exclude-resource-type ..., --indirect-selection eager|cautious|buildable|empty,\n"
    "  --state DIR, --defer, --favor-state, --state-env ENV, --defer-env ENV\n"
    "global (before the command or among its flags): --quiet/-q, --no-write-json,\n"
    "  --fail-fast/-x, --warn-error, --warn-error-options YAML, --no-print,\n"
    "  --log-level LEVEL, --printer-width N, --use-colors/--no-use-colors\n"
    "(each command takes those that apply to it, as dbt's do; see README.md)\n";

static void usage(FILE *out)
{
	fputs("usage: silt [global flags] <command> [args]\n\ncommands:\n", out);
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	cli_globals_reset();
	/* dbt's global flags may come before the command: `silt --quiet build` */
	int first = 1;
	while (first < argc && argv[first][0] == '-' && cli_global_flag_words(argv[first])) {
		if (cli_take_global_flag(argc, argv, &first) < 0)
			return 2;
		first++;
	}
	if (first > 1 && first == argc) {
		usage(stderr);
		return 2;
	}
	/* the command line as typed, leading global flags included (run_results.json's
	 * invocation_command, which silt retry runs again) */
	if (argc > 1)
		artifacts_invocation_command = cli_join_words(argc - 1, argv + 1);
	if (first > 1) {
		argv[first - 1] = argv[0];
		argv += first - 1;
		argc -= first - 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "-v"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (!strcmp(argv[1], commands[i].name) && commands[i].dbt && argc > 2 &&
		    (!strcmp(argv[argc - 1], "--help") || !strcmp(argv[argc - 1], "-h")) &&
		    !(commands[i].run == cmd_run && cli_is_run_record_command(argv[2]))) {
			printf("usage: silt %s [flags]\n\n%s\n\n%s", argv[1], commands[i].summary,
			       dbt_flags);
			return 0;
		}
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			cli_whole_process = true;
			return commands[i].run(argc - 1, argv + 1);
		}
	fprintf(stderr, "silt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
