/* silt run / test / seed / build: select, then hand the nodes to run/task (dbt's tasks). */
#include <signal.h>

#include "cli.h"
#include "run/task.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	if (interrupted) /* a second Ctrl-C: stop now */
		_exit(130);
	interrupted = 1;
}

static int run_task(int argc, char **argv, enum task_kind kind)
{
	struct project_opts o = { 0 };
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest;
	if (cli_parse_project_flags(argc, argv, &o, rest, &nrest) < 0) {
		free(rest);
		return 2;
	}
	struct cli_selection csel = { 0 };
	struct task_opts to = { .kind = kind };
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (cli_take_selection_flag(rest, nrest, &i, &csel))
			continue;
		if (!strcmp(rest[i], "--fail-fast") || !strcmp(rest[i], "-x"))
			to.fail_fast = true;
		else if (!strcmp(rest[i], "--no-fail-fast"))
			to.fail_fast = false;
		else if ((!strcmp(rest[i], "--full-refresh") || !strcmp(rest[i], "-f")) && kind != TASK_TEST)
			to.full_refresh = true;
		else if (!strcmp(rest[i], "--store-failures") && (kind == TASK_TEST || kind == TASK_BUILD))
			to.store_failures = true;
		else if (!strcmp(rest[i], "--no-write-json"))
			to.no_write_json = true;
		else if (!strcmp(rest[i], "--write-json"))
			to.no_write_json = false;
		else {
			fprintf(stderr, "silt %s: unknown argument '%s'\n", argv[0], rest[i]);
			rc = 2;
		}
	}
	free(rest);
	if (rc) {
		cli_selection_release(&csel);
		return rc;
	}
	static const uint32_t masks[] = {
		[TASK_RUN] = 1u << GT_MODEL,
		[TASK_TEST] = 1u << GT_TEST,
		[TASK_SEED] = 1u << GT_SEED,
		[TASK_BUILD] = 0,
	};
	struct cli_parsed c;
	struct gselect_opts so;
	struct gselection sel;
	rc = 2;
	if (cli_load_parse(&c, &o) < 0 || cli_selection_opts(&csel, masks[kind], &so, c.selectors, &c.d) < 0 ||
	    cli_selection_state(&csel, &c, &so) < 0 ||
	    graph_select(&c.a, c.r.m, &so, &sel, &c.d) < 0)
		goto done;
	/* dbt writes the manifest first (it also creates target/ before anything connects) */
	if (!to.no_write_json && cli_write_manifest(&c.p, &c.r, &c.a, &c.d) < 0)
		goto done;
	to.threads = o.threads;
	to.defer = cli_selection_defer(&csel, &sel);
	to.target_name = c.p.profile.target_name;
	to.interrupt = &interrupted;
	struct sigaction sa = { 0 }, old;
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	rc = task_run(&c.p, &c.r, (struct gnode *const *)sel.nodes, sel.n, &to, &c.d);
	sigaction(SIGINT, &old, NULL);
	if (interrupted) {
		fprintf(stderr, "silt: interrupted; nodes that had not started were skipped\n");
		rc = rc ? rc : 1;
	}
done:
	cli_parsed_release(&c);
	cli_selection_release(&csel);
	return rc;
}

int cmd_run(int argc, char **argv) { return run_task(argc, argv, TASK_RUN); }
int cmd_test(int argc, char **argv) { return run_task(argc, argv, TASK_TEST); }
int cmd_seed(int argc, char **argv) { return run_task(argc, argv, TASK_SEED); }
int cmd_build(int argc, char **argv) { return run_task(argc, argv, TASK_BUILD); }
