/* silt retry: dbt retry. The previous invocation (target/run_results.json: its
 * args.invocation_command and results) runs again with the same command and flags, selecting
 * only the nodes that errored, failed or were skipped — `--select result:error result:fail
 * result:skipped` over a copy of the previous manifest.json and run_results.json, as
 * `silt run rerun` does for a job step (cmd_job.c). A command that selects no nodes
 * (run-operation, source freshness, ...) runs again whole. Nothing to retry: dbt's "Nothing to
 * do" and exit 0. No previous run, or one written without its command line: exit 2. --state
 * DIR reads the previous run from DIR instead of the target folder. */
#include <errno.h>
#include <unistd.h>

#include "artifacts/artifacts.h"
#include "cli.h"
#include "jobs.h"
#include "json/json.h"
#include "run/console.h"

static int copy_file(const char *from, const char *to)
{
	size_t len;
	char *text = file_read_all(from, &len);
	int rc = text ? file_write_all(to, text, len) : -1;
	free(text);
	return rc;
}

/* The result: selectors of the statuses dbt retry runs again that results hold ("" when none):
 * only those present, so that no criterion matches nothing (a warning, an error under
 * --warn-error). */
static const char *retry_selection(struct arena *a, value results)
{
	static const char *const statuses[] = { "error", "runtime error", "fail", "skipped" };
	static const char *const methods[] = { "result:error", "result:error", "result:fail",
		                               "result:skipped" };
	bool seen[ARRAY_LEN(statuses)] = { false };
	for (uint32_t i = 0; results.type == VT_LIST && i < results.list->n; i++) {
		const char *st = v_item_str(results.list->v[i], "status");
		for (size_t k = 0; st && k < ARRAY_LEN(statuses); k++)
			seen[k] |= !strcmp(st, statuses[k]);
	}
	seen[0] |= seen[1];
	seen[1] = false;
	struct buf b = BUF_INIT;
	for (size_t k = 0; k < ARRAY_LEN(statuses); k++)
		if (seen[k])
			buf_printf(&b, "%s%s", b.n ? " " : "", methods[k]);
	const char *s = arena_strndup(a, b.p ? b.p : "", b.n);
	buf_release(&b);
	return s;
}

int cmd_retry(int argc, char **argv)
{
	struct project_opts o = { 0 };
	int nrest, rc = 0;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	const char *state = NULL; /* --state DIR: the previous run's artifacts are there */
	for (int i = 0; i < nrest; i++) {
		if (!strcmp(rest[i], "--state") && i + 1 < nrest) {
			state = rest[++i];
		} else {
			fprintf(stderr, "silt retry: unknown argument '%s'\n", rest[i]);
			rc = 2;
		}
	}
	free(rest);
	if (rc)
		return rc;
	struct project p;
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	char dir[32] = "";
	rc = 2;
	o.no_profile = true; /* the command retried reads the profile itself */
	if (project_load(&p, &o, &d) < 0)
		goto done;
	const char *results_path =
	    state ? arena_printf(&a, "%s/run_results.json", state)
	          : project_target_file(&p, &a, "run_results.json");
	const char *manifest_path = state ? arena_printf(&a, "%s/manifest.json", state)
	                                  : project_target_file(&p, &a, "manifest.json");
	size_t len;
	char *text = file_read_all(results_path, &len);
	value prev = v_undef();
	if (!text) {
		diag_add(&d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "Could not find previous run in '%s' target directory: %s",
		         state ? state : p.target_path, strerror(errno));
		goto done;
	}
	int jrc = json_parse(&a, results_path, arena_strndup(&a, text, len), len, &prev, &d);
	free(text);
	if (jrc < 0)
		goto done;
	const char *line = v_item_str(v_item(prev, "args"), "invocation_command");
	if (!line) {
		diag_add(&d, DIAG_ERROR, results_path, 0, 0, NULL, 0,
		         "the previous run_results.json does not say which command wrote it "
		         "(args.invocation_command): run the command itself again");
		goto done;
	}
	const char *selection = retry_selection(&a, v_item(prev, "results"));
	if (!*selection) {
		struct console con;
		console_init(&con, stdout);
		console_line(&con, "Nothing to do. Try checking your model configs and model "
		                   "specification args");
		rc = 0;
		goto done;
	}
	const char *retried = arena_strndup(&a, line, strlen(line));
	/* the state the retry selects from: a copy, as the command writes the target anew */
	if (cli_retry_selects(line, &a)) {
		snprintf(dir, sizeof(dir), "/tmp/silt-retry-XXXXXX");
		if (!mkdtemp(dir) ||
		    copy_file(results_path, arena_printf(&a, "%s/run_results.json", dir)) < 0 ||
		    copy_file(manifest_path, arena_printf(&a, "%s/manifest.json", dir)) < 0) {
			diag_add(&d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "cannot copy the previous manifest.json and run_results.json to %s: %s",
			         dir, strerror(errno));
			goto done;
		}
		line = cli_retry_command(&a, line, dir, selection, &d);
		if (!line)
			goto done;
	}
	strvec_t words = { 0 };
	cli_cmd_fn fn = cli_step_command(line, &a, &words, &d);
	if (fn) {
		/* the project flags given to retry come last, so they win over the command's own */
		const char *given[][2] = { { "--project-dir", o.project_dir },
			                   { "--profiles-dir", o.profiles_dir },
			                   { "--profile", o.profile },
			                   { "--target", o.target },
			                   { "--vars", o.vars },
			                   { "--target-path", o.target_path },
			                   { "--threads", o.threads > 0 ? arena_printf(&a, "%d", o.threads)
			                                                : NULL } };
		for (size_t i = 0; i < ARRAY_LEN(given); i++)
			if (given[i][1]) {
				vec_push(&words, given[i][0]);
				vec_push(&words, given[i][1]);
			}
		vec_push(&words, NULL);
		cli_whole_process = false; /* the command returns here, to remove the copy */
		/* its run_results.json names the command retried, so a retry can be retried */
		const char *typed = artifacts_invocation_command;
		artifacts_invocation_command = retried;
		rc = fn((int)words.n - 1, (char **)words.v);
		artifacts_invocation_command = typed;
	}
	vec_free(&words);
done:
	if (d.msgs.n)
		cli_print_diag(&d);
	if (dir[0]) {
		unlink(arena_printf(&a, "%s/run_results.json", dir));
		unlink(arena_printf(&a, "%s/manifest.json", dir));
		rmdir(dir);
	}
	diag_release(&d);
	arena_release(&a);
	project_release(&p);
	return rc;
}
