/* silt ci: Slim CI. `ci run` builds a pull request's changes into a schema of its own
 * (silt_pr_<job>_<pr>), selecting state:modified+ against the applied state of the environment it
 * compares with (default: the production environment) and deferring the rest to the relations
 * that environment has; it records a CI run (history and artifacts, never any environment's
 * applied state) and cancels an older CI run of the same PR. `ci cleanup` drops exactly the
 * schemas the PR's runs wrote to. docs/internals/state.md ("Slim CI"). */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "adapter/adapter.h"
#include "cli.h"
#include "json/json.h"
#include "run/task.h"
#include "jobs.h"
#include "store/store.h"

static const char usage[] =
    "usage: silt ci run --env NAME --pr N --sha SHA [--compare-env NAME] [--job NAME]\n"
    "                   [--project-dir DIR] [--profiles-dir DIR] [--target T] [--threads N]\n"
    "       silt ci cleanup --pr N [--project-dir DIR] [--profiles-dir DIR] [--target T]\n";

/* the artifact of a CI run that lists the schemas it wrote to (ci cleanup reads it) */
#define CI_SCHEMAS "silt/ci_schemas.json"
#define PR_PREFIX "silt_pr_"

static bool all_of(const char *s, const char *set, size_t lo, size_t hi)
{
	size_t n = strlen(s);
	if (n < lo || n > hi)
		return false;
	return strspn(s, set) == n;
}

static int fail(struct diag *d, const char *fmt, const char *arg)
{
	diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, fmt, arg);
	return -1;
}

/* ---- watching for a newer run of the same PR ---- */

static volatile sig_atomic_t stop;

struct watch {
	const char *store_path;
	int64_t run_id;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

/* Polls the run's status on a connection of its own; a newer CI run of the PR marks it
 * cancelled, and then the build stops starting nodes (as Ctrl-C does). */
static void *watch_run(void *p)
{
	struct watch *w = p;
	struct diag d;
	diag_init(&d);
	struct store *st = store_open(w->store_path, NULL, &d);
	pthread_mutex_lock(&w->mu);
	while (st && !w->done && !stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		if (w->done)
			break;
		pthread_mutex_unlock(&w->mu);
		struct arena a;
		arena_init(&a);
		struct store_run r;
		if (store_run_get(st, w->run_id, &a, &r, &d) == 0 && r.status == SST_CANCELLED)
			stop = 1;
		arena_release(&a);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	store_close(st);
	diag_release(&d);
	return NULL;
}

/* ---- ci run ---- */

struct ci_args {
	const char *env, *pr, *sha, *compare, *job;
};

static int parse_run_args(char **rest, int nrest, struct ci_args *a)
{
	for (int i = 0; i < nrest; i++) {
		const char **slot = !strcmp(rest[i], "--env")           ? &a->env
		                    : !strcmp(rest[i], "--pr")          ? &a->pr
		                    : !strcmp(rest[i], "--sha")         ? &a->sha
		                    : !strcmp(rest[i], "--compare-env") ? &a->compare
		                    : !strcmp(rest[i], "--job")         ? &a->job
		                                                        : NULL;
		if (!slot) {
			fprintf(stderr, "silt ci run: unknown argument '%s'\n%s", rest[i], usage);
			return -1;
		}
		if (i + 1 >= nrest) {
			fprintf(stderr, "silt ci run: option %s needs a value\n", rest[i]);
			return -1;
		}
		*slot = rest[++i];
	}
	if (!a->env || !a->pr || !a->sha) {
		fprintf(stderr, "silt ci run: --env, --pr and --sha are required\n%s", usage);
		return -1;
	}
	if (!all_of(a->pr, "0123456789", 1, 18)) {
		fprintf(stderr, "silt ci run: --pr must be a pull request number, got '%s'\n", a->pr);
		return -1;
	}
	if (!all_of(a->sha, "0123456789abcdefABCDEF", 4, 64)) {
		fprintf(stderr, "silt ci run: --sha must be a git commit SHA (hex digits), got '%s'\n",
		        a->sha);
		return -1;
	}
	return 0;
}

/* The environment CI compares with: --compare-env, else the production environment. */
static int compare_env(struct store *st, const char *given, struct arena *a, struct store_env *out,
                       struct diag *d)
{
	if (given)
		return store_env_get(st, given, a, out, d);
	struct store_env *v;
	size_t n;
	if (store_env_list(st, a, &v, &n, d) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].type == SENV_PRODUCTION) {
			*out = v[i];
			return 0;
		}
	return fail(d,
	            "silt ci run: no environment to compare with: no environment is marked as "
	            "production (silt env mark-production NAME) and no --compare-env was given%s",
	            "");
}

/* Cancels the CI runs of the PR that have not finished (an older push of the same PR). */
static int supersede(struct store *st, const char *pr, int64_t env_id, int64_t new_id,
                     struct arena *a, struct diag *d)
{
	struct store_run_filter f = { .pr_id = pr };
	struct store_run *v;
	size_t n;
	if (store_run_list(st, &f, a, &v, &n, d) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i].id == new_id || !v[i].is_ci || v[i].env_id != env_id ||
		    (v[i].status != SST_QUEUED && v[i].status != SST_RUNNING))
			continue;
		const char *why = arena_printf(a, "superseded by run %lld of the same pull request",
		                               (long long)new_id);
		if (store_run_set_status(st, v[i].id, SST_CANCELLED, why, d) < 0)
			return -1;
		printf("Cancelled run %lld of pull request %s: %s\n", (long long)v[i].id, pr, why);
	}
	return 0;
}

static char *read_target_file(struct project *p, struct arena *a, const char *name, size_t *len)
{
	char *text = file_read_all(project_target_file(p, a, name), len);
	if (!text)
		return NULL;
	char *kept = arena_strndup(a, text, *len);
	free(text);
	return kept;
}

static const char *item_str(value d, const char *k)
{
	value v = d.type == VT_DICT ? v_item(d, k) : v_undef();
	return v.type == VT_STR ? v.s : NULL;
}

/* Records the run's node results (history only: environment 0), its manifest and run_results,
 * and the schemas its models, seeds and snapshots wrote to. */
static int record_results(struct store *st, int64_t run_id, struct cli_parsed *c, struct diag *d)
{
	struct arena *a = &c->a;
	size_t len;
	const char *names[] = { "manifest.json", "run_results.json" };
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *text = read_target_file(&c->p, a, names[i], &len);
		struct store_artifact art = { run_id, 0, names[i], text, len };
		if (text && store_artifact_put(st, &art, d) < 0)
			return -1;
	}
	char *text = read_target_file(&c->p, a, "run_results.json", &len);
	value root, res = v_undef();
	if (text && json_parse(a, "run_results.json", text, len, &root, d) == 0)
		res = v_item(root, "results");
	value schemas = v_list(a, 4);
	struct buf seen = BUF_INIT;
	for (uint32_t i = 0; res.type == VT_LIST && i < res.list->n; i++) {
		value r = res.list->v[i];
		const char *uid = item_str(r, "unique_id"), *status = item_str(r, "status");
		struct gnode *g = uid ? graph_find(c->r.m, str_from(uid)) : NULL;
		if (!g || !status)
			continue;
		value et = v_item(r, "execution_time");
		struct store_node_result nr = {
			.unique_id = uid,
			.resource_type = graph_type_name((enum gtype)g->type),
			.status = status,
			.succeeded = !strcmp(status, "success") || !strcmp(status, "pass"),
			.message = item_str(r, "message"),
			.execution_time = et.type == VT_FLOAT ? et.f : et.type == VT_INT ? (double)et.i : 0,
		};
		value timing = v_item(r, "timing");
		for (uint32_t k = 0; timing.type == VT_LIST && k < timing.list->n; k++) {
			value tm = timing.list->v[k];
			const char *name = item_str(tm, "name");
			if (name && !strcmp(name, "execute")) {
				nr.started_at = item_str(tm, "started_at");
				nr.completed_at = item_str(tm, "completed_at");
			}
		}
		if (store_node_record(st, 0, run_id, 0, &nr, d) < 0)
			return -1;
		const char *mat = item_str(g->config, "materialized");
		bool writes = g->type == GT_MODEL || g->type == GT_SEED || g->type == GT_SNAPSHOT;
		if (!writes || !strcmp(status, "skipped") || (mat && !strcmp(mat, "ephemeral")))
			continue;
		const char *db = item_str(g->raw, "database"), *schema = item_str(g->raw, "schema");
		if (!schema)
			continue;
		const char *key = arena_printf(a, "\n%s.%s\n", db ? db : "", schema);
		if (!seen.n)
			buf_puts(&seen, "\n");
		if (strstr(buf_cstr(&seen), key))
			continue;
		buf_puts(&seen, key + 1);
		value e = v_dict(a, 2);
		vdict_sets(e.dict, "database", db ? v_cstr(db) : v_none());
		vdict_sets(e.dict, "schema", v_cstr(schema));
		vlist_push(schemas.list, e);
	}
	buf_release(&seen);
	struct buf out = BUF_INIT;
	json_write(&out, schemas, NULL);
	struct store_artifact art = { run_id, 0, CI_SCHEMAS, buf_cstr(&out), out.n };
	int rc = store_artifact_put(st, &art, d);
	buf_release(&out);
	return rc;
}

static int ci_run(int argc, char **argv)
{
	struct project_opts o = { 0 };
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest;
	struct ci_args args = { 0 };
	if (cli_parse_project_flags(argc, argv, &o, rest, &nrest) < 0 ||
	    parse_run_args(rest, nrest, &args) < 0) {
		free(rest);
		return 2;
	}
	free(rest);
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	struct buf spath = BUF_INIT;
	struct store *st = NULL;
	struct store_env env, cmp;
	struct store_job job = { 0 };
	struct store_run run = { 0 };
	struct gstate *state = NULL;
	struct store_effective eff = { 0 };
	int rc = 2;
	if (store_locate(NULL, o.project_dir, &spath, &d) < 0 ||
	    !(st = store_open(buf_cstr(&spath), NULL, &d)) ||
	    store_env_get(st, args.env, &a, &env, &d) < 0 ||
	    compare_env(st, args.compare, &a, &cmp, &d) < 0)
		goto out;
	if (args.job) {
		if (store_job_get(st, args.job, &a, &job, &d) < 0)
			goto out;
		if (job.env_id != env.id) {
			diag_add(&d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "silt ci run: job '%s' belongs to environment '%s', not '%s'", job.name,
			         job.env_name ? job.env_name : "?", env.name);
			goto out;
		}
	}
	const char *schema = arena_printf(&a, PR_PREFIX "%lld_%s", (long long)job.id, args.pr);
	/* the comparison state first: a CI run without one cannot select anything */
	if (cli_state_from_env(st, cmp.name, &state, &d) < 0)
		goto out;
	run = (struct store_run){
		.env_id = env.id, .job_id = job.id, .status = SST_RUNNING, .trigger = "pull_request",
		.is_ci = true, .git_sha = args.sha, .pr_id = args.pr,
		.command = arena_printf(&a, "silt ci run --env %s --pr %s --sha %s --compare-env %s",
		                        env.name, args.pr, args.sha, cmp.name),
	};
	/* a step of a queued CI run (a webhook's, through a worker) records into that run, which the
	 * queue already made and which superseded the PR's older runs; else the run is made here */
	struct cli_job_ctx *jc = cli_job_current;
	if (jc && jc->is_ci_queued) {
		run.id = jc->run_id;
	} else if (store_run_create(st, &run, &d) < 0 ||
	           store_run_set_status(st, run.id, SST_RUNNING, NULL, &d) < 0 ||
	           supersede(st, args.pr, env.id, run.id, &a, &d) < 0) {
		goto out;
	}
	struct store_run_ctx ctx = { run.id, job.id, args.pr, args.sha, false };
	if (store_effective_env(st, &env, &ctx, &a, &eff, &d) < 0) {
		store_run_set_status(st, run.id, SST_ERROR, "could not read the environment's variables", NULL);
		goto out;
	}
	o.env = eff.env;
	if (!o.target && env.target_name)
		o.target = env.target_name;
	if (!o.threads && env.threads > 0)
		o.threads = (int)env.threads;
	printf("CI run %lld of pull request %s (git %.12s) in environment '%s', schema %s\n",
	       (long long)run.id, args.pr, args.sha, env.name, schema);
	printf("Comparing with and deferring to the applied state of %s\n", gstate_origin(state));
	fflush(stdout);

	struct cli_parsed c;
	struct cli_selection csel = { 0 };
	struct gselect_opts so;
	struct gselection sel;
	vec_push(&csel.select, "state:modified+");
	csel.state = state;
	state = NULL; /* csel owns it */
	csel.defer = 1;
	csel.favor_state = -1;
	struct task_opts to = { .kind = TASK_BUILD, .threads = o.threads, .interrupt = &stop };
	int brc = 2;
	if (cli_load_parse_schema(&c, &o, schema) < 0 ||
	    cli_selection_opts(&csel, 0, &so, c.selectors, &c.d) < 0 ||
	    cli_selection_state(&csel, &c, &so) < 0 || graph_select(&c.a, c.r.m, &so, &sel, &c.d) < 0 ||
	    cli_write_manifest(&c.p, &c.r, &c.a, &c.d) < 0)
		goto built;
	to.defer = cli_selection_defer(&csel, &sel);
	to.target_name = c.p.profile.target_name;
	struct watch w = { .store_path = store_path(st), .run_id = run.id };
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	pthread_t th;
	bool watching = pthread_create(&th, NULL, watch_run, &w) == 0;
	brc = task_run(&c.p, &c.r, (struct gnode *const *)sel.nodes, sel.n, &to, &c.d);
	pthread_mutex_lock(&w.mu);
	w.done = true;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
	if (watching)
		pthread_join(th, NULL);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	if (record_results(st, run.id, &c, &d) < 0 && brc == 0)
		brc = 2;
built:;
	struct store_run now;
	bool cancelled = store_run_get(st, run.id, &a, &now, &d) == 0 && now.status == SST_CANCELLED;
	if (cancelled) {
		fprintf(stderr, "silt ci run: run %lld was cancelled: %s\n", (long long)run.id,
		        now.message ? now.message : "");
		brc = brc ? brc : 1;
	} else if (!(jc && jc->is_ci_queued)) { /* a queued run's status is its executor's to set */
		store_run_set_status(st, run.id, brc ? SST_ERROR : SST_SUCCESS,
		                     brc ? "the CI build failed" : NULL, &d);
	}
	rc = brc;
	cli_parsed_release(&c);
	cli_selection_release(&csel);
out:
	if (d.msgs.n)
		cli_print_diag(&d);
	if (rc == 2 && run.id && st && !(cli_job_current && cli_job_current->is_ci_queued))
		store_run_set_status(st, run.id, SST_ERROR, "the CI run could not start", NULL);
	gstate_free(state);
	store_close(st);
	buf_release(&spath);
	arena_release(&a);
	diag_release(&d);
	return rc;
}

/* ---- ci cleanup ---- */

static int ci_cleanup(int argc, char **argv)
{
	struct project_opts o = { 0 };
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest;
	const char *pr = NULL;
	if (cli_parse_project_flags(argc, argv, &o, rest, &nrest) < 0) {
		free(rest);
		return 2;
	}
	for (int i = 0; i < nrest; i++) {
		if (!strcmp(rest[i], "--pr") && i + 1 < nrest) {
			pr = rest[++i];
		} else {
			fprintf(stderr, "silt ci cleanup: unknown argument '%s'\n%s", rest[i], usage);
			free(rest);
			return 2;
		}
	}
	free(rest);
	if (!pr || !all_of(pr, "0123456789", 1, 18)) {
		fprintf(stderr, "silt ci cleanup: --pr N (a pull request number) is required\n");
		return 2;
	}
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	struct buf spath = BUF_INIT;
	struct store *st = NULL;
	struct cli_parsed c = { 0 };
	struct adapter *ad = NULL;
	struct adapter_conn *conn = NULL;
	int rc = 2;
	struct store_run *runs;
	size_t nruns;
	struct store_run_filter f = { .pr_id = pr };
	if (store_locate(NULL, o.project_dir, &spath, &d) < 0 ||
	    !(st = store_open(buf_cstr(&spath), NULL, &d)) ||
	    store_run_list(st, &f, &a, &runs, &nruns, &d) < 0)
		goto out;
	/* the schemas, each once */
	VEC(value) todo = { 0 };
	for (size_t i = 0; i < nruns; i++) {
		struct store_artifact art;
		int got = runs[i].is_ci ? store_artifact_get(st, runs[i].id, 0, CI_SCHEMAS, &a, &art, &d) : 0;
		if (got < 0)
			goto out_todo;
		value list;
		if (!got || json_parse(&a, CI_SCHEMAS, art.content, art.len, &list, &d) < 0 ||
		    list.type != VT_LIST)
			continue;
		for (uint32_t k = 0; k < list.list->n; k++) {
			value e = list.list->v[k];
			const char *s = item_str(e, "schema"), *db = item_str(e, "database");
			bool dup = false;
			for (size_t j = 0; j < todo.n && !dup; j++) {
				const char *s2 = item_str(todo.v[j], "schema"), *db2 = item_str(todo.v[j], "database");
				dup = !strcmp(s, s2) && !strcmp(db ? db : "", db2 ? db2 : "");
			}
			/* only the PR schemas: a generate_schema_name that drops the prefix is kept */
			if (s && !dup && !strncmp(s, PR_PREFIX, strlen(PR_PREFIX)))
				vec_push(&todo, e);
		}
	}
	if (!todo.n) {
		printf("Pull request %s has no CI schemas to drop\n", pr);
		rc = 0;
		goto out_todo;
	}
	o.no_profile = false;
	if (cli_load_parse(&c, &o) < 0 || !(ad = adapter_new(c.p.profile.output, c.p.dir, &d)) ||
	    !(conn = adapter_open(ad, &d)))
		goto out_todo;
	rc = 0;
	for (size_t j = 0; j < todo.n; j++) {
		const char *s = item_str(todo.v[j], "schema"), *db = item_str(todo.v[j], "database");
		if (adapter_drop_schema(conn, db, s, &d) < 0) {
			rc = 1;
			continue;
		}
		printf("Dropped schema %s%s%s\n", db ? db : "", db ? "." : "", s);
	}
out_todo:
	vec_free(&todo);
out:
	if (conn)
		adapter_close(conn);
	if (ad)
		adapter_free(ad);
	if (c.loaded)
		cli_parsed_release(&c);
	if (d.msgs.n)
		cli_print_diag(&d);
	store_close(st);
	buf_release(&spath);
	arena_release(&a);
	diag_release(&d);
	return rc;
}

int cmd_ci(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return ci_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "cleanup"))
		return ci_cleanup(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return 2;
}
