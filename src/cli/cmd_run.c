/* silt run / test / seed / build: select, then hand the nodes to run/task (dbt's tasks).
 *
 * With --env NAME (or inside a step of `silt job run`, cli_job_current) the invocation runs in
 * that environment of the metadata store — its profile output (target), schema, database,
 * threads and credentials, its variables (store_effective_env, read-only SILT_* included) — and
 * is recorded as a run of it: afterwards target/'s manifest and run results are ingested in one
 * transaction (cli/ingest.c). `silt run list|show|logs|artifacts|rerun` are the run records
 * (cmd_job.c): `run` followed by one of those words is never dbt's run command. */
#include <signal.h>

#include "jobs.h"
#include "json/json.h"
#include "run/task.h"

volatile sig_atomic_t cli_interrupted;
const char *cli_interrupt_why;

static void on_sigint(int sig)
{
	(void)sig;
	if (cli_interrupted) /* a second Ctrl-C: stop now */
		_exit(130);
	cli_interrupted = 1;
}

void cli_catch_sigint(struct sigaction *old)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old);
}

int cli_step_env(struct cli_job_ctx *ctx, struct project_opts *o, struct arena *a,
                 struct cli_overlay *ov, struct store_effective *eff, struct diag *d)
{
	const struct store_env *e = &ctx->env;
	const struct store_job *j = ctx->job;
	memset(ov, 0, sizeof(*ov));
	if (!o->target)
		o->target = j && j->target_name ? j->target_name : e->target_name;
	if (!o->threads)
		o->threads = (int)(j && j->threads ? j->threads : e->threads);
	ov->schema = e->schema;
	ov->database = e->database;
	struct store_kv *creds = NULL;
	size_t ncreds = 0;
	if (e->type == SENV_DEVELOPMENT) {
		struct store_personal me;
		if (store_personal_load(ctx->s, a, &me, d) < 0)
			return -1;
		if (me.schema)
			ov->schema = me.schema;
		if (me.database)
			ov->database = me.database;
		if (!o->threads && me.threads)
			o->threads = (int)me.threads;
		creds = me.creds;
		ncreds = me.ncreds;
	} else if (store_cred_list(ctx->s, e->id, true, a, &creds, &ncreds, d) < 0) {
		return -1;
	}
	ov->creds = creds;
	ov->ncreds = ncreds;
	struct store_run_ctx rc = { .run_id = ctx->run_id, .job_id = j ? j->id : 0 };
	if (store_effective_env(ctx->s, e, &rc, a, eff, d) < 0)
		return -1;
	o->env = eff->env;
	return 0;
}

static int run_task(int argc, char **argv, enum task_kind kind)
{
	struct project_opts o = { 0 };
	const char *env_name = NULL, *store_path = NULL;
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	struct cli_selection csel = { 0 };
	struct task_opts to = { .kind = kind };
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (cli_take_selection_flag(rest, nrest, &i, &csel))
			continue;
		if ((!strcmp(rest[i], "--env") || !strcmp(rest[i], "--store")) && i + 1 < nrest) {
			const char **slot = !strcmp(rest[i], "--env") ? &env_name : &store_path;
			*slot = rest[++i];
		} else if (!strcmp(rest[i], "--env") || !strcmp(rest[i], "--store")) {
			fprintf(stderr, "silt %s: %s needs a value\n", argv[0], rest[i]);
			rc = 2;
		} else if ((!strcmp(rest[i], "--full-refresh") || !strcmp(rest[i], "-f")) && kind != TASK_TEST)
			to.full_refresh = true;
		else if (!strcmp(rest[i], "--store-failures") && (kind == TASK_TEST || kind == TASK_BUILD))
			to.store_failures = true;
		else if (!strcmp(rest[i], "--empty") && (kind == TASK_RUN || kind == TASK_BUILD))
			to.empty = true;
		else if ((!strcmp(rest[i], "--event-time-start") || !strcmp(rest[i], "--event-time-end")) &&
		         i + 1 < nrest && (kind == TASK_RUN || kind == TASK_BUILD)) {
			const char **slot = !strcmp(rest[i], "--event-time-start") ? &to.event_time_start
			                                                           : &to.event_time_end;
			*slot = rest[++i];
		} else {
			fprintf(stderr, "silt %s: unknown argument '%s'\n", argv[0], rest[i]);
			rc = 2;
		}
	}
	free(rest);
	to.fail_fast = cli_globals.fail_fast > 0;
	to.no_write_json = !cli_globals.write_json;
	to.warn_error = cli_globals.warn_error;
	/* (a flag given wins over its variable) */
	if (!to.empty && (kind == TASK_RUN || kind == TASK_BUILD) && cli_env_bool("DBT_EMPTY") > 0)
		to.empty = true;
	if (!to.full_refresh && kind != TASK_TEST && cli_env_bool("DBT_FULL_REFRESH") > 0)
		to.full_refresh = true;
	if (!to.store_failures && (kind == TASK_TEST || kind == TASK_BUILD) &&
	    cli_env_bool("DBT_STORE_FAILURES") > 0)
		to.store_failures = true;
	if (rc) {
		cli_selection_release(&csel);
		return rc;
	}
	/* the environment's run this invocation is recorded as */
	struct cli_job_ctx own = { 0 }, *ctx = cli_job_current;
	struct arena ea;
	arena_init(&ea);
	struct cli_overlay ov = { 0 };
	struct store_effective eff = { 0 };
	struct diag ed;
	diag_init(&ed);
	if (ctx && env_name && strcmp(env_name, ctx->env.name)) {
		fprintf(stderr, "silt %s: --env %s: this step runs in environment '%s'\n", argv[0],
		        env_name, ctx->env.name);
		rc = 2;
	} else if (!ctx && env_name) {
		own.s = cli_store_open(argv[0], store_path, o.project_dir);
		rc = 2;
		if (own.s && store_env_get(own.s, env_name, &ea, &own.env, &ed) == 0) {
			char *cmd = cli_join_words(argc, argv);
			struct store_run r = { .env_id = own.env.id, .status = SST_RUNNING,
				               .command = cmd };
			if (store_run_create(own.s, &r, &ed) == 0) {
				own.run_id = r.id;
				ctx = &own;
				rc = 0;
			}
			free(cmd);
		}
	}
	if (rc == 0 && ctx && cli_step_env(ctx, &o, &ea, &ov, &eff, &ed) < 0)
		rc = 2;
	/* a job's deferral environment applies to its steps unless a step names its own state */
	if (rc == 0 && ctx && ctx->job && ctx->job->defer_env_id && !csel.defer_env &&
	    !csel.defer_state_dir && !csel.state_dir) {
		struct store_env de;
		if (store_env_get_id(ctx->s, ctx->job->defer_env_id, &ea, &de, &ed) < 0)
			rc = 2;
		else
			csel.defer_env = de.name;
	}
	if (rc) {
		cli_print_diag_as(argv[0], &ed);
		if (own.run_id)
			store_run_set_status(own.s, own.run_id, SST_ERROR,
			                     "the environment could not be resolved", &ed);
		store_close(own.s);
		diag_release(&ed);
		arena_release(&ea);
		cli_selection_release(&csel);
		return rc;
	}
	static const uint32_t masks[] = {
		[TASK_RUN] = 1u << GT_MODEL,
		[TASK_TEST] = 1u << GT_TEST,
		[TASK_SEED] = 1u << GT_SEED,
		[TASK_BUILD] = 0,
		[TASK_SNAPSHOT] = 1u << GT_SNAPSHOT,
	};
	struct cli_parsed c;
	struct gselect_opts so;
	struct gselection sel;
	rc = 2;
	cli_selection_prefetch(&csel, o.project_dir);
	if ((ctx ? cli_load_parse_over(&c, &o, &ov) : cli_load_parse(&c, &o)) < 0 ||
	    cli_selection_opts(&csel, masks[kind], &so, c.selectors, &c.d) < 0 ||
	    cli_selection_state(&csel, &c, &so) < 0 ||
	    graph_select(&c.a, c.r.m, &so, &sel, &c.d) < 0)
		goto done;
	/* dbt writes the manifest first (it also creates target/ before anything connects) */
	if (!to.no_write_json && cli_write_manifest(&c.p, &c.r, &c.a, &c.d) < 0)
		goto done;
	to.threads = o.threads;
	to.defer = cli_selection_defer(&csel, &sel);
	to.target_name = c.p.profile.target_name;
	to.interrupt = &cli_interrupted;
	struct sigaction old;
	cli_catch_sigint(&old);
	rc = task_run(&c.p, &c.r, (struct gnode *const *)sel.nodes, sel.n, &to, &c.d);
	sigaction(SIGINT, &old, NULL);
	if (cli_interrupted) {
		fprintf(stderr, "silt: %s; nodes that had not started were skipped\n",
		        cli_interrupt_why ? cli_interrupt_why : "interrupted");
		rc = rc ? rc : 1;
	}
	if (ctx) {
		char *tdir = arena_printf(&c.a, "%s/%s", c.p.dir,
		                          c.p.target_path ? c.p.target_path : "target");
		free(ctx->target_dir);
		ctx->target_dir = strdup(tdir);
		struct ingest_stats st;
		if (!to.no_write_json &&
		    cli_ingest(ctx->s, &ctx->env, ctx->run_id, ctx->step_id, ctx->is_ci, tdir, &eff,
		               &st, &ed) < 0)
			rc = rc ? rc : 2;
	}
done:
	if (own.run_id) {
		bool ok = rc == 0;
		store_run_set_status(own.s, own.run_id,
		                     ok ? SST_SUCCESS : cli_interrupted ? SST_CANCELLED : SST_ERROR,
		                     ok ? NULL : cli_interrupted ? "interrupted (Ctrl-C)" : "a node errored or failed",
		                     &ed);
	}
	cli_print_diag_as(argv[0], &ed);
	store_close(own.s);
	free(own.target_dir);
	diag_release(&ed);
	arena_release(&ea);
	cli_parsed_release(&c);
	cli_selection_release(&csel);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	if (argc > 1 && cli_is_run_record_command(argv[1]))
		return cmd_run_records(argc, argv);
	return run_task(argc, argv, TASK_RUN);
}
int cmd_test(int argc, char **argv) { return run_task(argc, argv, TASK_TEST); }
int cmd_seed(int argc, char **argv) { return run_task(argc, argv, TASK_SEED); }
int cmd_build(int argc, char **argv) { return run_task(argc, argv, TASK_BUILD); }
int cmd_snapshot(int argc, char **argv) { return run_task(argc, argv, TASK_SNAPSHOT); }
