/* silt job: the jobs of an environment (src/store/), run now in this process; and the run records
 * (`silt run list|show|logs|artifacts|rerun`, reached through cmd_run.c because `silt run` is
 * also dbt's run command).
 *
 *   silt job create NAME --env E --step "silt build" [--step ...] [--schedule CRON] [--type T]
 *        [--threads N] [--target-name T] [--timeout S] [--defer-env E] [--description TEXT]
 *   silt job list [--env E] | show NAME | edit NAME [same flags; --step replaces the steps;
 *        --env moves the job, its runs stay its own] | delete NAME | run NAME
 *   silt run list [--env E] [--job J] [--limit N] | show ID | logs ID [--step N]
 *   silt run artifacts ID [--step N] [PATH] | rerun ID
 *
 * A step is a silt command line (`silt build --select x`, `dbt test` is accepted too): build,
 * run, test, seed, snapshot-free dbt commands silt has (compile, parse, ls, docs generate). Each
 * step's console output is kept as its log (secrets masked) and its target/ JSON files as its
 * artifacts; the first failing step skips the rest. Every command takes --store PATH and
 * --project-dir DIR. docs/internals/store.md, "Jobs, runs and ingestion". */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "artifacts/artifacts.h"
#include "jobs.h"
#include "json/json.h"
#include "sched/cron.h"

static const char job_usage[] =
    "usage: silt job [--store PATH] [--project-dir DIR] <command>\n"
    "  create NAME --env E --step \"silt build\" [--step ...] [--schedule CRON] [--type scheduled|ci|merge|other] [--threads N]\n"
    "         [--target-name T] [--timeout SECONDS] [--defer-env E] [--description TEXT]\n"
    "  list [--env E]\n"
    "  show NAME\n"
    "  edit NAME [--name NEW] [--env E] [settings as for create; --step replaces the steps]\n"
    "  delete NAME\n"
    "  run NAME [--profiles-dir DIR]\n"
    "  (--project-dir and --profiles-dir are passed on to every step)\n";

static const char run_usage[] =
    "usage: silt run [--store PATH] [--project-dir DIR] <list|show|logs|artifacts|rerun|cancel> ...\n"
    "  list [--env E] [--job J] [--limit N]\n"
    "  show ID\n"
    "  logs ID [--step N]\n"
    "  artifacts ID [--step N] [PATH]   (PATH prints that artifact)\n"
    "  rerun ID [--profiles-dir DIR]    (queues a run from the failed step, its failed and skipped\n"
    "                                   nodes as dbt retry, then the later steps; and executes it)\n"
    "  cancel ID                        (a queued run ends; a running one stops its statements)\n"
    "  (any other first argument: dbt's run command)\n";

static const char *dash(const char *s) { return s && *s ? s : "-"; }

static double now_secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- command lines ---- */
/* Splits a step's command line into words (single and double quotes, backslash escapes). */
static int split_words(const char *line, struct arena *a, strvec_t *out, struct diag *d)
{
	const char *p = line;
	struct buf w = BUF_INIT;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		buf_reset(&w);
		char q = 0;
		while (*p && (q || (*p != ' ' && *p != '\t'))) {
			if (q && *p == q) {
				q = 0;
			} else if (!q && (*p == '\'' || *p == '"')) {
				q = *p;
			} else if (*p == '\\' && p[1] && q != '\'') {
				buf_putc(&w, *++p);
			} else {
				buf_putc(&w, *p);
			}
			p++;
		}
		if (q) {
			buf_release(&w);
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "step `%s`: unterminated %c quote",
			         line, q);
			return -1;
		}
		vec_push(out, arena_strndup(a, w.p ? w.p : "", w.n));
	}
	buf_release(&w);
	return 0;
}


/* The command a step names (its words without the leading silt/dbt), or NULL with an error. */
cli_cmd_fn cli_step_command(const char *line, struct arena *a, strvec_t *words, struct diag *d)
{
	if (split_words(line, a, words, d) < 0)
		return NULL;
	size_t skip = words->n && (!strcmp(words->v[0], "silt") || !strcmp(words->v[0], "dbt"));
	if (skip) {
		memmove(words->v, words->v + 1, (words->n - 1) * sizeof(*words->v));
		words->n--;
	}
	/* dbt's global flags before the command (`dbt --warn-error build`) go after it, where
	 * the command takes them as its own */
	size_t lead = 0;
	for (int k; lead < words->n && (k = cli_global_flag_words(words->v[lead])) > 0;)
		lead += (size_t)k;
	if (lead && lead < words->n) {
		const char *cmd = words->v[lead];
		const char **flags = arena_alloc(a, lead * sizeof(*flags));
		memcpy(flags, words->v, lead * sizeof(*flags));
		memmove(words->v + 1, words->v + lead + 1, (words->n - lead - 1) * sizeof(*words->v));
		words->v[0] = cmd;
		memcpy(words->v + words->n - lead, flags, lead * sizeof(*flags));
	}
	static const struct {
		const char *name;
		cli_cmd_fn fn;
	} cmds[] = { { "build", cmd_build }, { "run", cmd_run },     { "test", cmd_test },
		     { "seed", cmd_seed },   { "docs", cmd_docs },   { "compile", cmd_compile },
		     { "parse", cmd_parse }, { "ls", cmd_ls },       { "list", cmd_ls },
		     { "source", cmd_source }, { "clone", cmd_clone }, { "ci", cmd_ci },
		     { "snapshot", cmd_snapshot }, { "run-operation", cmd_run_operation } };
	for (size_t i = 0; words->n && i < ARRAY_LEN(cmds); i++)
		if (!strcmp(words->v[0], cmds[i].name)) {
			if (cmds[i].fn == cmd_run && words->n > 1 && cli_is_run_record_command(words->v[1]))
				break;
			return cmds[i].fn;
		}
	diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
	         "step `%s`: expected a silt command (build, run, test, seed, docs generate, compile, "
	         "parse, ls, snapshot, run-operation, source freshness, clone, ci run, ci cleanup)",
	         line);
	return NULL;
}

static int check_steps(const char **steps, size_t n, struct diag *d)
{
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct arena a;
		arena_init(&a);
		strvec_t w = { 0 };
		if (!cli_step_command(steps[i], &a, &w, d))
			rc = -1;
		vec_free(&w);
		arena_release(&a);
	}
	return rc;
}

/* ---- running a run's steps in this process ---- */
/* --project-dir / --profiles-dir given to `job run` or `run rerun`, passed on to every step */
static const char *step_project_dir, *step_profiles_dir;

void cli_job_set_profiles_dir(const char *dir) { step_profiles_dir = dir; }

struct capture {
	int saved_out, saved_err, fd;
	char path[64];
};

static int capture_begin(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	snprintf(c->path, sizeof(c->path), "/tmp/silt-step-XXXXXX");
	c->fd = mkstemp(c->path);
	if (c->fd < 0)
		return -1;
	unlink(c->path);
	c->saved_out = dup(1);
	c->saved_err = dup(2);
	dup2(c->fd, 1);
	dup2(c->fd, 2);
	return 0;
}

static char *capture_end(struct capture *c, size_t *len)
{
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved_out, 1);
	dup2(c->saved_err, 2);
	close(c->saved_out);
	close(c->saved_err);
	struct buf b = BUF_INIT;
	lseek(c->fd, 0, SEEK_SET);
	char chunk[8192];
	ssize_t r;
	while ((r = read(c->fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)r);
	close(c->fd);
	*len = b.n;
	return buf_detach(&b, NULL);
}

/* The project's target folder (for artifacts of steps that are not run tasks). */
static char *project_target(const char *project_dir)
{
	char cwd[4096];
	const char *dir = project_dir ? project_dir : getenv("DBT_PROJECT_DIR");
	if (!dir) {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		dir = cwd;
	}
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/target", dir);
	return buf_detach(&b, NULL);
}

/* Queues the runs of the jobs that wait for `job`'s run ending with `status` (--after). */
static void queue_triggered(struct store *s, const struct store_job *job, enum store_status status,
                            int64_t run_id, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct store_job *jobs;
	size_t n;
	if (store_job_list(s, 0, &a, &jobs, &n, d) < 0) {
		arena_release(&a);
		return;
	}
	const char *st = store_status_name(status);
	for (size_t i = 0; i < n; i++) {
		value t;
		struct diag jd;
		diag_init(&jd);
		if (!jobs[i].triggers ||
		    json_parse(&a, "triggers", jobs[i].triggers, strlen(jobs[i].triggers), &t, &jd) < 0) {
			diag_release(&jd);
			continue;
		}
		diag_release(&jd);
		value after = v_item(t, "after_job_id"), on = v_item(t, "on");
		bool match = false;
		for (uint32_t k = 0; on.type == VT_LIST && k < on.list->n; k++)
			match |= on.list->v[k].type == VT_STR && !strcmp(on.list->v[k].s, st);
		if (after.type != VT_INT || after.i != job->id || !match || !jobs[i].nsteps)
			continue;
		struct store_run r = { .env_id = jobs[i].env_id, .job_id = jobs[i].id,
			               .trigger = "job_completion" };
		if (store_run_enqueue(s, &r, jobs[i].steps, jobs[i].nsteps, NULL, d) == 0)
			printf("Queued run %lld of job '%s' (after run %lld of '%s' ended %s)\n",
			       (long long)r.id, jobs[i].name, (long long)run_id, job->name, st);
	}
	arena_release(&a);
}

/* ---- rerun from failure ---- */
/* Words of the failed step with the selection flags removed, then dbt retry's selection. */
const char *cli_retry_command(struct arena *a, const char *line, const char *state_dir,
                              const char *results, struct diag *d)
{
	strvec_t w = { 0 };
	if (split_words(line, a, &w, d) < 0) {
		vec_free(&w);
		return NULL;
	}
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < w.n; i++) {
		const char *x = w.v[i];
		bool list = !strcmp(x, "-s") || !strcmp(x, "--select") || !strcmp(x, "-m") ||
		            !strcmp(x, "--models") || !strcmp(x, "--model") || !strcmp(x, "--exclude");
		if (list || !strcmp(x, "--selector") || !strcmp(x, "--state")) {
			i++;
			while (list && i + 1 < w.n && w.v[i + 1][0] != '-')
				i++;
			continue;
		}
		if (b.n)
			buf_putc(&b, ' ');
		cli_quote_word(&b, x); /* (read back by split_words) */
	}
	buf_printf(&b, " --select %s --state '%s'",
	           results ? results : "result:error result:fail result:skipped", state_dir);
	const char *r = arena_strndup(a, b.p, b.n);
	buf_release(&b);
	vec_free(&w);
	return r;
}

/* Whether a step's command selects nodes from a state as dbt retry does (build, run, test, seed,
 * snapshot, compile, clone, docs generate); others (ci run, source freshness, parse, ls) are
 * rerun whole. */
bool cli_retry_selects(const char *line, struct arena *a)
{
	strvec_t w = { 0 };
	struct diag d;
	diag_init(&d);
	bool ok = split_words(line, a, &w, &d) == 0;
	diag_release(&d);
	size_t k = ok && w.n && (!strcmp(w.v[0], "silt") || !strcmp(w.v[0], "dbt"));
	for (int n; ok && k < w.n && (n = cli_global_flag_words(w.v[k])) > 0;)
		k += (size_t)n; /* (global flags before the command) */
	static const char *const cmds[] = { "build", "run",   "test", "seed",
		                            "snapshot", "compile", "clone", "docs" };
	bool sel = false;
	for (size_t i = 0; ok && k < w.n && i < ARRAY_LEN(cmds); i++)
		sel |= !strcmp(w.v[k], cmds[i]);
	vec_free(&w);
	return sel;
}

/* The state a rerun's first step retries from: the failed step's manifest.json and
 * run_results.json, written to a folder of their own while the run executes. */
struct retry_state {
	char dir[32]; /* "" when there is none: the step runs whole */
	int64_t of_run;
	int position;
};

/* For a rerun (self.rerun_of): finds the original run's failed step and writes its artifacts to
 * a temporary folder. A step that left no results (it failed before running nodes) has none and
 * runs again whole. -1 after an error in d. */
static int retry_state_begin(struct store *s, const struct store_run *self, struct arena *a,
                             struct retry_state *rs, struct diag *d)
{
	memset(rs, 0, sizeof(*rs));
	struct store_run orig;
	struct store_rerun plan;
	if (!self->rerun_of)
		return 0;
	if (store_run_get(s, self->rerun_of, a, &orig, d) < 0 ||
	    store_rerun_plan(s, &orig, a, &plan, d) != 1)
		return -1;
	rs->of_run = orig.id;
	rs->position = plan.position;
	struct store_artifact mf, rr;
	int hm = store_artifact_get(s, orig.id, plan.step_id, "manifest.json", a, &mf, d);
	int hr = store_artifact_get(s, orig.id, plan.step_id, "run_results.json", a, &rr, d);
	if (hm < 0 || hr < 0)
		return -1;
	if (!hm || !hr)
		return 0;
	snprintf(rs->dir, sizeof(rs->dir), "/tmp/silt-rerun-XXXXXX");
	if (!mkdtemp(rs->dir)) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot make a temporary folder: %s",
		         strerror(errno));
		rs->dir[0] = 0;
		return -1;
	}
	if (file_write_all(arena_printf(a, "%s/manifest.json", rs->dir), mf.content, mf.len) < 0 ||
	    file_write_all(arena_printf(a, "%s/run_results.json", rs->dir), rr.content, rr.len) < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot write %s: %s", rs->dir,
		         strerror(errno));
		return -1;
	}
	return 0;
}

static void retry_state_end(struct retry_state *rs, struct arena *a)
{
	if (!rs->dir[0])
		return;
	unlink(arena_printf(a, "%s/manifest.json", rs->dir));
	unlink(arena_printf(a, "%s/run_results.json", rs->dir));
	rmdir(rs->dir);
	rs->dir[0] = 0;
}

/* While a run executes: a thread that stops the running step as Ctrl-C would (cancelling its
 * statements) when the job's timeout passes or when someone cancels the run (its status in the
 * store becomes cancelled: `silt run cancel`, the API, a newer CI run of the same pull request).
 * It reads the store through a connection of its own, twice a second. */
struct watchdog {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	const char *store_path;
	int64_t run_id;
	double deadline; /* now_secs() time; 0 = none */
	bool done, timed_out, cancelled, started;
	/* the running step's captured output, streamed into its log line by line */
	int log_fd;        /* -1: no step is capturing */
	int64_t log_step;
	off_t log_sent;    /* bytes of the capture already in the store */
	const struct store_effective *eff; /* secrets to mask */
};

/* Appends what the running step printed since the last call to its log in the store (complete
 * lines only unless `all`), masked. w->mu held. */
static void stream_log(struct watchdog *w, struct store *s, bool all, struct diag *d)
{
	if (w->log_fd < 0 || !s)
		return;
	struct buf b = BUF_INIT;
	char chunk[8192];
	ssize_t r;
	off_t at = w->log_sent;
	while ((r = pread(w->log_fd, chunk, sizeof(chunk), at)) > 0) {
		buf_append(&b, chunk, (size_t)r);
		at += r;
	}
	size_t n = b.n;
	if (!all)
		while (n > 0 && b.p[n - 1] != '\n')
			n--;
	if (n > 0) {
		struct buf masked = BUF_INIT;
		store_mask_secrets(w->eff, (struct str){ b.p, n }, &masked);
		if (store_step_append_log(s, w->log_step, (struct str){ masked.p ? masked.p : "", masked.n },
		                          d) == 0)
			w->log_sent += (off_t)n;
		buf_release(&masked);
	}
	buf_release(&b);
}

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct diag d;
	diag_init(&d);
	struct store *s = store_open(w->store_path, NULL, &d);
	struct arena a;
	arena_init(&a);
	/* the heartbeat: a worker on another machine is known to be alive only by it */
	double beat = store_heartbeat_interval(), next_beat = 0;
	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 500 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		if (w->done)
			break;
		struct store_run r;
		arena_reset(&a);
		stream_log(w, s, false, &d);
		diag_clear(&d);
		if (s && now_secs() >= next_beat) {
			(void)store_run_heartbeat(s, w->run_id, &d);
			next_beat = now_secs() + beat;
			diag_clear(&d);
		}
		if (s && store_run_get(s, w->run_id, &a, &r, &d) == 0 && r.status == SST_CANCELLED) {
			w->cancelled = true;
			cli_interrupt_why = "the run was cancelled";
			cli_interrupted = 1;
			break;
		}
		diag_clear(&d);
		if (w->deadline > 0 && now_secs() >= w->deadline) {
			w->timed_out = true;
			cli_interrupt_why = "the job's timeout was exceeded";
			cli_interrupted = 1;
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	arena_release(&a);
	store_close(s);
	diag_release(&d);
	return NULL;
}

static void watchdog_start(struct watchdog *w, struct store *s, int64_t run_id, int64_t timeout,
                           const struct store_effective *eff)
{
	memset(w, 0, sizeof(*w));
	w->log_fd = -1;
	w->eff = eff;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->store_path = store_path(s);
	w->run_id = run_id;
	w->deadline = timeout > 0 ? now_secs() + (double)timeout : 0;
	w->started = pthread_create(&w->th, NULL, watchdog_main, w) == 0;
}

/* What the watchdog has seen so far (read under its lock). */
static void watchdog_seen(struct watchdog *w, bool *timed_out, bool *cancelled)
{
	pthread_mutex_lock(&w->mu);
	*timed_out = w->timed_out;
	*cancelled = w->cancelled;
	pthread_mutex_unlock(&w->mu);
}

static void watchdog_stop(struct watchdog *w)
{
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->done = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

/* Executes the run's queued steps in order; the first failure skips the rest. Returns the
 * run's final status. */
static enum store_status execute_run(struct store *s, const struct store_env *env,
                                     const struct store_job *job, int64_t run_id,
                                     const char *project_dir, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct store_step *steps;
	size_t nsteps;
	enum store_status final = SST_SUCCESS;
	char *message = NULL;
	double started = now_secs();
	if (store_run_set_status(s, run_id, SST_RUNNING, NULL, d) < 0 ||
	    store_step_list(s, run_id, &a, &steps, &nsteps, d) < 0) {
		arena_release(&a);
		return SST_ERROR;
	}
	/* secrets to mask in the logs, for steps that do not compute them */
	struct store_effective eff = { 0 };
	struct store_run_ctx rctx = { .run_id = run_id, .job_id = job ? job->id : 0 };
	if (store_effective_env(s, env, &rctx, &a, &eff, d) < 0) {
		final = SST_ERROR;
		message = strdup("cannot resolve the environment's variables");
	}
	struct store_run self = { 0 };
	bool is_ci = store_run_get(s, run_id, &a, &self, d) == 0 && self.is_ci;
	struct retry_state rs;
	if (retry_state_begin(s, &self, &a, &rs, d) < 0 && final == SST_SUCCESS) {
		final = SST_ERROR;
		struct buf m = BUF_INIT;
		buf_printf(&m, "cannot rerun run %lld from its failure", (long long)self.rerun_of);
		message = buf_detach(&m, NULL);
	}
	struct watchdog wd;
	cli_interrupted = 0;
	cli_interrupt_why = NULL;
	watchdog_start(&wd, s, run_id, job ? job->timeout_seconds : 0, &eff);
	for (size_t i = 0; i < nsteps; i++) {
		struct store_step *st = &steps[i];
		if (final != SST_SUCCESS) {
			store_step_set_status(s, st->id, final == SST_CANCELLED ? SST_CANCELLED : SST_SKIPPED,
			                      -1, d);
			continue;
		}
		bool timed_out, cancelled;
		watchdog_seen(&wd, &timed_out, &cancelled);
		if (cancelled) {
			final = SST_CANCELLED;
			store_step_set_status(s, st->id, SST_CANCELLED, -1, d);
			continue;
		}
		if (cli_interrupted ||
		    (job && job->timeout_seconds > 0 && now_secs() - started > (double)job->timeout_seconds)) {
			final = SST_CANCELLED;
			message = strdup("the job's timeout was exceeded");
			store_step_set_status(s, st->id, SST_CANCELLED, -1, d);
			continue;
		}
		store_step_set_status(s, st->id, SST_RUNNING, -1, d);
		const char *line = st->command;
		strvec_t words = { 0 };
		struct diag sd;
		diag_init(&sd);
		if (i == 0 && rs.of_run) {
			/* said in the step's log too, so the API's reader sees what the step ran */
			bool sel = rs.dir[0] && cli_retry_selects(line, &a);
			const char *note = arena_printf(
			    &a, "Rerun of run %lld from step %d: %s\n", (long long)rs.of_run, rs.position,
			    sel            ? "its failed and skipped nodes"
			    : rs.dir[0] ? "the command selects no nodes, so all of it"
			                : "it left no results, so all of it");
			printf("Step %d: %s\n%s", st->position, line, note);
			store_step_append_log(s, st->id, (struct str){ note, strlen(note) }, d);
			if (sel)
				line = cli_retry_command(&a, line, rs.dir, NULL, &sd);
		} else {
			printf("Step %d: %s\n", st->position, line);
		}
		cli_cmd_fn fn = line ? cli_step_command(line, &a, &words, &sd) : NULL;
		int rc = 2;
		struct cli_job_ctx ctx = { .s = s, .env = *env, .job = job, .run_id = run_id,
			                   .step_id = st->id, .is_ci = is_ci, .is_ci_queued = is_ci };
		double step_start = now_secs();
		char *log = NULL;
		size_t loglen = 0;
		bool streamed = false;
		if (fn) {
			struct capture c;
			if (step_project_dir) {
				vec_push(&words, "--project-dir");
				vec_push(&words, step_project_dir);
			}
			if (step_profiles_dir) {
				vec_push(&words, "--profiles-dir");
				vec_push(&words, step_profiles_dir);
			}
			vec_push(&words, NULL);
			bool captured = capture_begin(&c) == 0;
			if (captured) { /* the watchdog streams its lines into the store meanwhile */
				pthread_mutex_lock(&wd.mu);
				wd.log_fd = c.fd;
				wd.log_step = st->id;
				wd.log_sent = 0;
				pthread_mutex_unlock(&wd.mu);
			}
			cli_whole_process = false; /* the step's command runs inside this one */
			cli_job_current = &ctx;
			/* a step's global flags are its own: it starts from the defaults */
			struct cli_globals saved = cli_globals;
			const char *saved_line = artifacts_invocation_command;
			cli_globals_reset();
			artifacts_invocation_command = line;
			rc = fn((int)words.n - 1, (char **)words.v);
			artifacts_invocation_command = saved_line;
			cli_globals = saved;
			cli_globals_publish();
			cli_job_current = NULL;
			if (captured) {
				fflush(stdout);
				fflush(stderr);
				pthread_mutex_lock(&wd.mu);
				stream_log(&wd, s, true, d); /* the rest, then the whole log is printed */
				wd.log_fd = -1;
				pthread_mutex_unlock(&wd.mu);
				log = capture_end(&c, &loglen);
				streamed = true;
			}
		} else {
			struct buf b = BUF_INIT;
			for (size_t k = 0; k < sd.msgs.n; k++) {
				diag_format_msg(&sd.msgs.v[k], &b);
				buf_putc(&b, '\n');
			}
			loglen = b.n;
			log = buf_detach(&b, NULL);
		}
		if (log) {
			struct buf masked = BUF_INIT;
			store_mask_secrets(&eff, (struct str){ log, loglen },
			                   &masked);
			fwrite(masked.p ? masked.p : "", 1, masked.n, stdout);
			if (!streamed)
				store_step_append_log(s, st->id,
				                      (struct str){ masked.p ? masked.p : "", masked.n }, d);
			buf_release(&masked);
			free(log);
		}
		char *tdir = ctx.target_dir ? strdup(ctx.target_dir) : project_target(project_dir);
		if (tdir)
			cli_keep_artifacts(s, run_id, st->id, tdir, step_start - 1,
			                   &eff, d);
		free(tdir);
		free(ctx.target_dir);
		watchdog_seen(&wd, &timed_out, &cancelled);
		if (rc != 0 && cli_interrupted && (timed_out || cancelled)) {
			store_step_set_status(s, st->id, SST_CANCELLED, rc, d);
			final = SST_CANCELLED;
			if (timed_out) {
				struct buf m = BUF_INIT;
				buf_printf(&m, "the job's timeout of %llds was exceeded during step %d (%s)",
				           (long long)job->timeout_seconds, st->position, st->command);
				message = buf_detach(&m, NULL);
			}
		} else {
			store_step_set_status(s, st->id, rc == 0 ? SST_SUCCESS : SST_ERROR, rc, d);
		}
		if (rc != 0 && final == SST_SUCCESS) {
			final = SST_ERROR;
			struct buf m = BUF_INIT;
			buf_printf(&m, "step %d (%s) exited %d", st->position, st->command, rc);
			message = buf_detach(&m, NULL);
		}
		vec_free(&words);
		diag_release(&sd);
	}
	watchdog_stop(&wd);
	retry_state_end(&rs, &a);
	cli_interrupted = 0;
	cli_interrupt_why = NULL;
	store_run_set_status(s, run_id, final, message, d);
	printf("Run %lld: %s%s%s\n", (long long)run_id, store_status_name(final),
	       message ? ": " : "", message ? message : "");
	if (job)
		queue_triggered(s, job, final, run_id, d);
	free(message);
	arena_release(&a);
	return final;
}

/* ---- flags ---- */
struct job_flags {
	const char *name, *env, *schedule, *threads, *target_name, *timeout, *defer_env,
	    *description, *type, *after;
	strvec_t steps;
};

static int usage_error(const char *usage, const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "silt %s: ", cmd);
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

static int take_job_flags(int argc, char **argv, int start, struct job_flags *f, bool edit)
{
	for (int i = start; i < argc; i++) {
		static const char *const names[] = { "--env",     "--schedule",    "--threads",
			                             "--target-name", "--timeout", "--defer-env",
			                             "--description", "--step", "--name", "--type",
			                             "--after" };
		size_t k = 0;
		while (k < ARRAY_LEN(names) && strcmp(argv[i], names[k]))
			k++;
		if (k == ARRAY_LEN(names) || (k == 8 && !edit))
			return usage_error(job_usage, "job", "unknown argument '%s'", argv[i]);
		if (i + 1 >= argc)
			return usage_error(job_usage, "job", "%s needs a value", argv[i]);
		const char *v = argv[++i];
		const char **slots[] = { &f->env,         &f->schedule, &f->threads,
			                 &f->target_name, &f->timeout,  &f->defer_env,
			                 &f->description, NULL,         &f->name,   &f->type,
			                 &f->after };
		if (k == 7)
			vec_push(&f->steps, v);
		else
			*slots[k] = v;
	}
	return 0;
}

static int parse_count(const char *flag, const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < 0) {
		fprintf(stderr, "silt job: %s expects a whole number of 0 or more, not '%s'\n", flag, v);
		return -1;
	}
	*out = n;
	return 0;
}

/* Applies f to j (ids of named environments looked up); -1 after printing why. */
/* --after JOB[:STATUS[,STATUS...]]: run this job when JOB's run ends so (default: success);
 * kept in the job's triggers as {"after_job_id": ID, "on": [...]}; "" clears it. */
static int after_trigger(struct store *s, struct arena *a, const char *spec, struct store_job *j,
                         struct diag *d)
{
	if (!*spec) {
		j->triggers = NULL;
		return 0;
	}
	const char *colon = strchr(spec, ':');
	const char *name = colon ? arena_strndup(a, spec, (size_t)(colon - spec)) : spec;
	const char *on = colon ? colon + 1 : "success";
	struct store_job other;
	if (store_job_get(s, name, a, &other, d) < 0)
		return -1;
	if (j->id && other.id == j->id) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "--after: a job cannot trigger itself");
		return -1;
	}
	struct buf b = BUF_INIT;
	buf_printf(&b, "{\"after_job_id\": %lld, \"on\": [", (long long)other.id);
	for (const char *p = on; *p;) {
		size_t n = strcspn(p, ",");
		if (!((n == 7 && !strncmp(p, "success", 7)) || (n == 5 && !strncmp(p, "error", 5)) ||
		      (n == 9 && !strncmp(p, "cancelled", 9)))) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "--after %s: statuses are success, error and cancelled, not '%.*s'", spec,
			         (int)n, p);
			buf_release(&b);
			return -1;
		}
		buf_printf(&b, "%s\"%.*s\"", p == on ? "" : ", ", (int)n, p);
		p += n + (p[n] == ',');
	}
	buf_puts(&b, "]}");
	j->triggers = arena_strndup(a, b.p, b.n);
	buf_release(&b);
	return 0;
}

static int apply_job_flags(struct store *s, struct arena *a, const struct job_flags *f,
                           struct store_job *j, struct diag *d)
{
	if (f->name)
		j->name = f->name;
	if (f->env) {
		struct store_env e;
		if (store_env_get(s, f->env, a, &e, d) < 0)
			return -1;
		j->env_id = e.id;
	}
	if (f->defer_env) {
		if (!*f->defer_env) {
			j->defer_env_id = 0;
		} else {
			struct store_env e;
			if (store_env_get(s, f->defer_env, a, &e, d) < 0)
				return -1;
			j->defer_env_id = e.id;
		}
	}
	if (f->schedule) {
		struct cron cr;
		if (*f->schedule && cron_parse(f->schedule, "--schedule", &cr, d) < 0)
			return -1;
		j->schedule_cron = *f->schedule ? f->schedule : NULL;
	}
	if (f->target_name)
		j->target_name = *f->target_name ? f->target_name : NULL;
	if (f->after && after_trigger(s, a, f->after, j, d) < 0)
		return -1;
	if (f->type) {
		static const char *const types[] = { "scheduled", "ci", "merge", "other" };
		size_t k = 0;
		while (k < ARRAY_LEN(types) && strcmp(f->type, types[k]))
			k++;
		if (k == ARRAY_LEN(types)) {
			fprintf(stderr, "silt job: --type must be scheduled, ci, merge or other, not '%s'\n",
			        f->type);
			return -2;
		}
		j->job_type = types[k];
	}
	if (f->description)
		j->description = *f->description ? f->description : NULL;
	if (f->threads) {
		if (!*f->threads)
			j->threads = 0;
		else if (parse_count("--threads", f->threads, &j->threads) < 0 || j->threads == 0) {
			if (j->threads == 0)
				fprintf(stderr, "silt job: --threads must be 1 or more\n");
			return -2;
		}
	}
	if (f->timeout && parse_count("--timeout", *f->timeout ? f->timeout : "0", &j->timeout_seconds) < 0)
		return -2;
	if (f->steps.n) {
		if (check_steps(f->steps.v, f->steps.n, d) < 0)
			return -1;
		j->steps = f->steps.v;
		j->nsteps = f->steps.n;
	}
	return 0;
}

static void print_job(const struct store_job *j, struct store *s, struct arena *a)
{
	struct diag d;
	diag_init(&d);
	struct store_env de = { 0 };
	if (j->defer_env_id)
		store_env_get_id(s, j->defer_env_id, a, &de, &d);
	diag_release(&d);
	printf("name:         %s\n", j->name);
	printf("environment:  %s\n", j->env_name);
	printf("description:  %s\n", dash(j->description));
	printf("schedule:     %s\n", dash(j->schedule_cron));
	printf("threads:      %s\n", j->threads ? arena_printf(a, "%lld", (long long)j->threads) : "-");
	printf("target name:  %s\n", dash(j->target_name));
	printf("timeout:      %s\n",
	       j->timeout_seconds ? arena_printf(a, "%llds", (long long)j->timeout_seconds) : "-");
	printf("defer to:     %s\n", dash(de.name));
	printf("triggers:     %s\n", dash(j->triggers));
	printf("steps:\n");
	for (size_t i = 0; i < j->nsteps; i++)
		printf("  %zu. %s\n", i + 1, j->steps[i]);
}

int cli_execute_claimed(struct store *s, int64_t run_id, const char *project_dir, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct store_run r;
	struct store_env env;
	struct store_job job;
	int rc = store_run_get(s, run_id, &a, &r, d);
	if (rc == 0 && !r.env_id) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "run %lld's environment '%s' was deleted",
		         (long long)run_id, r.env_name);
		store_run_set_status(s, run_id, SST_ERROR, "its environment was deleted", d);
		rc = -1;
	}
	if (rc == 0)
		rc = store_env_get_id(s, r.env_id, &a, &env, d);
	if (rc == 0 && r.job_id)
		rc = store_job_get_id(s, r.job_id, &a, &job, d);
	const char *tree = NULL;
	if (rc == 0 && cli_checkout_run(s, &r, &env, &a, &tree, d) < 0) {
		store_run_set_status(s, run_id, SST_ERROR, "its commit could not be checked out", NULL);
		rc = -1;
	}
	enum store_status st = SST_ERROR;
	const char *saved = step_project_dir;
	if (tree)
		step_project_dir = tree;
	if (rc == 0)
		st = execute_run(s, &env, r.job_id ? &job : NULL, run_id, tree ? tree : project_dir, d);
	step_project_dir = saved;
	cli_checkout_remove(tree);
	arena_release(&a);
	return rc < 0 ? -1 : st == SST_SUCCESS ? 0 : 1;
}

static int await_and_execute(struct store *s, int64_t run_id, const char *project_dir,
                             struct diag *d);

/* Queues a run of the job (or of env when job is NULL) with the given steps, waits until it may
 * start (another run of the same job may be running), executes it and returns the process exit
 * status (0 success, 1 error or cancelled, 2 when it could not be recorded). */
static int start_run(struct store *s, const struct store_env *env, const struct store_job *job,
                     const char **steps, size_t nsteps, const char *project_dir, struct diag *d)
{
	struct store_run r = { .env_id = env->id, .job_id = job ? job->id : 0, .trigger = "manual" };
	if (!job)
		r.command = nsteps ? steps[0] : NULL;
	int replaced = 0;
	if (store_run_enqueue(s, &r, (const char *const *)steps, nsteps, &replaced, d) < 0)
		return 2;
	printf("Run %lld of %s%s%s (environment '%s'): %zu step%s\n", (long long)r.id,
	       job ? "job '" : "", job ? job->name : "an ad-hoc run", job ? "'" : "", env->name,
	       nsteps, nsteps == 1 ? "" : "s");
	if (replaced)
		printf("It replaces %d queued run%s of the job that had not started\n", replaced,
		       replaced == 1 ? "" : "s");
	return await_and_execute(s, r.id, project_dir, d);
}

/* Waits until the queued run run_id may start (another run of the same job may be running),
 * executes it and returns the process exit status (0 success, 1 error or cancelled, 2 when it
 * could not be executed). */
static int await_and_execute(struct store *s, int64_t run_id, const char *project_dir,
                             struct diag *d)
{
	struct arena a;
	arena_init(&a);
	bool said = false;
	for (;;) {
		int64_t claimed;
		int c = store_run_claim(s, run_id, &claimed, d);
		if (c < 0) {
			arena_release(&a);
			return 2;
		}
		if (c == 1)
			break;
		struct store_run now;
		arena_reset(&a);
		if (store_run_get(s, run_id, &a, &now, d) < 0) {
			arena_release(&a);
			return 2;
		}
		if (now.status != SST_QUEUED) { /* cancelled or replaced while it waited */
			printf("Run %lld: %s%s%s\n", (long long)run_id, store_status_name(now.status),
			       now.message ? ": " : "", now.message ? now.message : "");
			arena_release(&a);
			return 1;
		}
		if (!said)
			printf("Waiting: another run of job '%s' is running\n", dash(now.job_name));
		said = true;
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	arena_release(&a);
	int rc = cli_execute_claimed(s, run_id, project_dir, d);
	return rc < 0 ? 2 : rc;
}

int cmd_job(int argc, char **argv)
{
	const char *store_path = NULL, *project_dir = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			return usage_error(job_usage, "job", "%s needs a value", argv[i]);
		if (!strcmp(argv[i], "--store"))
			store_path = argv[i + 1];
		else if (!strcmp(argv[i], "--project-dir"))
			project_dir = argv[i + 1];
		else
			return usage_error(job_usage, "job", "unknown argument '%s'", argv[i]);
	}
	if (i >= argc)
		return usage_error(job_usage, "job", "%s", "which command?");
	const char *sub = argv[i++];
	const char *name = NULL;
	step_project_dir = project_dir;
	if (strcmp(sub, "list")) {
		if (i >= argc || argv[i][0] == '-')
			return usage_error(job_usage, "job", "%s needs a job name", sub);
		name = argv[i++];
	}
	struct job_flags f = { 0 };
	if (!strcmp(sub, "create") || !strcmp(sub, "edit") || !strcmp(sub, "list")) {
		if (take_job_flags(argc, argv, i, &f, !strcmp(sub, "edit")) != 0) {
			vec_free(&f.steps);
			return 2;
		}
	} else if (strcmp(sub, "show") && strcmp(sub, "delete") && strcmp(sub, "run")) {
		return usage_error(job_usage, "job", "unknown command '%s'", sub);
	} else if (!strcmp(sub, "run") && i + 1 < argc && !strcmp(argv[i], "--profiles-dir")) {
		step_profiles_dir = argv[i + 1];
		if (i + 2 < argc)
			return usage_error(job_usage, "job", "unexpected argument '%s'", argv[i + 2]);
	} else if (i < argc) {
		return usage_error(job_usage, "job", "unexpected argument '%s'", argv[i]);
	}
	struct store *s = cli_store_open("job", store_path, project_dir);
	if (!s) {
		vec_free(&f.steps);
		return 2;
	}
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	int rc = 1;
	struct store_job j = { 0 };
	if (!strcmp(sub, "create")) {
		if (!f.env) {
			rc = usage_error(job_usage, "job", "%s", "create needs --env E");
		} else if (!f.steps.n) {
			rc = usage_error(job_usage, "job", "%s", "create needs at least one --step");
		} else {
			j.name = name;
			j.job_type = "other";
			int r = apply_job_flags(s, &a, &f, &j, &d);
			if (r == -2)
				rc = 2;
			else if (r == 0 && store_job_create(s, &j, &d) == 0) {
				printf("Created job '%s' in environment '%s'\n", name, f.env);
				rc = 0;
			}
		}
	} else if (!strcmp(sub, "list")) {
		int64_t env_id = 0;
		struct store_env e;
		struct store_job *v;
		size_t n;
		if ((!f.env || store_env_get(s, f.env, &a, &e, &d) == 0) &&
		    store_job_list(s, f.env ? e.id : 0, &a, &v, &n, &d) == 0) {
			(void)env_id;
			printf("%-20s %-16s %-6s %-16s %s\n", "NAME", "ENVIRONMENT", "STEPS", "SCHEDULE",
			       "FIRST STEP");
			for (size_t k = 0; k < n; k++)
				printf("%-20s %-16s %-6zu %-16s %s\n", v[k].name, v[k].env_name, v[k].nsteps,
				       dash(v[k].schedule_cron), v[k].nsteps ? v[k].steps[0] : "-");
			rc = 0;
		}
	} else if (!strcmp(sub, "show")) {
		if (store_job_get(s, name, &a, &j, &d) == 0) {
			print_job(&j, s, &a);
			rc = 0;
		}
	} else if (!strcmp(sub, "edit")) {
		if (store_job_get(s, name, &a, &j, &d) == 0) {
			const char *old_env = j.env_name;
			int r = apply_job_flags(s, &a, &f, &j, &d);
			if (r == -2)
				rc = 2;
			else if (r == 0 && store_job_update(s, &j, &d) == 0) {
				if (f.env && strcmp(f.env, old_env))
					printf("Moved job '%s' from environment '%s' to '%s' (its runs stay its "
					       "own)\n",
					       j.name, old_env, f.env);
				else
					printf("Updated job '%s'\n", j.name);
				rc = 0;
			}
		}
	} else if (!strcmp(sub, "delete")) {
		if (store_job_delete(s, name, &d) == 0) {
			printf("Deleted job '%s' (its runs are kept)\n", name);
			rc = 0;
		}
	} else { /* run */
		struct store_env e;
		if (store_job_get(s, name, &a, &j, &d) == 0) {
			if (store_env_get_id(s, j.env_id, &a, &e, &d) < 0)
				diag_add(&d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
				         "job '%s' points at an environment that no longer exists", name);
			else
				rc = start_run(s, &e, &j, j.steps, j.nsteps, project_dir, &d);
		}
	}
	cli_print_diag_as("job", &d);
	diag_release(&d);
	vec_free(&f.steps);
	arena_release(&a);
	store_close(s);
	return rc;
}

/* ---- silt run list|show|logs|artifacts|rerun ---- */
bool cli_is_run_record_command(const char *w)
{
	return w && (!strcmp(w, "list") || !strcmp(w, "show") || !strcmp(w, "logs") ||
	             !strcmp(w, "artifacts") || !strcmp(w, "rerun") || !strcmp(w, "cancel"));
}

static int parse_id(const char *v, int64_t *out)
{
	if (parse_count("run id", v, out) < 0 || *out == 0) {
		fprintf(stderr, "silt run: expected a run id (a number from `silt run list`), not '%s'\n",
		        v);
		return -1;
	}
	return 0;
}

static void print_run_line(const struct store_run *r)
{
	printf("%-6lld %-10s %-14s %-16s %-8s %-24s %s\n", (long long)r->id,
	       store_status_name(r->status), dash(r->env_name), dash(r->job_name),
	       dash(r->trigger), dash(r->started_at), r->is_ci ? "(CI)" : "");
}

/* Queues the rerun from failure of run id (store_run_enqueue_rerun) and executes it here, as
 * `silt job run` does; a worker could take it as well. */
static int rerun(struct store *s, int64_t id, const char *project_dir, struct arena *a,
                 struct diag *d)
{
	struct store_run r;
	struct store_rerun plan;
	int replaced = 0;
	if (store_run_enqueue_rerun(s, id, a, &r, &plan, &replaced, d) != 1)
		return 1;
	printf("Rerunning run %lld from step %d (%s) as run %lld: %zu step%s\n", (long long)id,
	       plan.position, plan.commands[0], (long long)r.id, plan.ncommands,
	       plan.ncommands == 1 ? "" : "s");
	if (replaced)
		printf("It replaces %d queued run%s of the job that had not started\n", replaced,
		       replaced == 1 ? "" : "s");
	return await_and_execute(s, r.id, project_dir, d);
}

int cmd_run_records(int argc, char **argv)
{
	const char *store_path = NULL, *project_dir = NULL, *env_name = NULL, *job_name = NULL;
	const char *sub = NULL, *id_text = NULL, *path = NULL, *limit_text = NULL, *step_text = NULL;
	for (int i = 1; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--store")         ? &store_path
		                    : !strcmp(argv[i], "--project-dir") ? &project_dir
		                    : !strcmp(argv[i], "--env")         ? &env_name
		                    : !strcmp(argv[i], "--job")         ? &job_name
		                    : !strcmp(argv[i], "--limit")       ? &limit_text
		                    : !strcmp(argv[i], "--step")        ? &step_text
		                    : !strcmp(argv[i], "--profiles-dir") ? &step_profiles_dir
		                                                        : NULL;
		if (slot) {
			if (i + 1 >= argc)
				return usage_error(run_usage, "run", "%s needs a value", argv[i]);
			*slot = argv[++i];
		} else if (argv[i][0] == '-') {
			return usage_error(run_usage, "run", "unknown argument '%s'", argv[i]);
		} else if (!sub) {
			sub = argv[i];
		} else if (!id_text && strcmp(sub, "list")) {
			id_text = argv[i];
		} else if (!path && !strcmp(sub, "artifacts")) {
			path = argv[i];
		} else {
			return usage_error(run_usage, "run", "unexpected argument '%s'", argv[i]);
		}
	}
	int64_t id = 0, limit = 0, step_pos = 0;
	step_project_dir = project_dir;
	if (!sub)
		return usage_error(run_usage, "run", "%s", "which command?");
	if (strcmp(sub, "list") && !id_text)
		return usage_error(run_usage, "run", "%s needs a run id", sub);
	if ((id_text && parse_id(id_text, &id) < 0) ||
	    (limit_text && parse_count("--limit", limit_text, &limit) < 0) ||
	    (step_text && parse_count("--step", step_text, &step_pos) < 0))
		return 2;
	struct store *s = cli_store_open("run", store_path, project_dir);
	if (!s)
		return 2;
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	int rc = 1;
	struct store_run r;
	struct store_step *steps = NULL;
	size_t nsteps = 0;
	if (!strcmp(sub, "list")) {
		struct store_run_filter flt = { .limit = (int)limit };
		struct store_env e;
		struct store_job j;
		struct store_run *v;
		size_t n;
		if ((!env_name || store_env_get(s, env_name, &a, &e, &d) == 0) &&
		    (!job_name || store_job_get(s, job_name, &a, &j, &d) == 0)) {
			flt.env_id = env_name ? e.id : 0;
			flt.job_id = job_name ? j.id : 0;
			if (store_run_list(s, &flt, &a, &v, &n, &d) == 0) {
				printf("%-6s %-10s %-14s %-16s %-8s %-24s\n", "ID", "STATUS", "ENVIRONMENT",
				       "JOB", "TRIGGER", "STARTED");
				for (size_t k = 0; k < n; k++)
					print_run_line(&v[k]);
				rc = 0;
			}
		}
	} else if (!strcmp(sub, "rerun")) {
		rc = rerun(s, id, project_dir, &a, &d);
	} else if (!strcmp(sub, "cancel")) {
		if (store_run_cancel(s, id, "cancelled by request", &d) == 0) {
			printf("Cancelled run %lld\n", (long long)id);
			rc = 0;
		}
	} else if (store_run_get(s, id, &a, &r, &d) == 0 &&
	           store_step_list(s, id, &a, &steps, &nsteps, &d) == 0) {
		rc = 0;
		if (!strcmp(sub, "show")) {
			printf("run:          %lld\n", (long long)r.id);
			printf("status:       %s\n", store_status_name(r.status));
			printf("environment:  %s\n", dash(r.env_name));
			printf("job:          %s\n", dash(r.job_name));
			printf("trigger:      %s%s\n", dash(r.trigger), r.is_ci ? " (CI)" : "");
			printf("command:      %s\n", dash(r.command));
			printf("rerun of:     %s\n",
			       r.rerun_of ? arena_printf(&a, "%lld", (long long)r.rerun_of) : "-");
			printf("created:      %s\n", dash(r.created_at));
			printf("started:      %s\n", dash(r.started_at));
			printf("finished:     %s\n", dash(r.finished_at));
			printf("message:      %s\n", dash(r.message));
			printf("steps:\n");
			for (size_t k = 0; k < nsteps; k++)
				printf("  %d. %-9s exit %-3s %s\n", steps[k].position,
				       store_status_name(steps[k].status),
				       steps[k].exit_code < 0 ? "-"
				                              : arena_printf(&a, "%d", steps[k].exit_code),
				       steps[k].command);
			struct store_history *h;
			size_t nh;
			if (store_history_list(s, NULL, id, &a, &h, &nh, &d) == 0 && nh) {
				printf("nodes:\n");
				for (size_t k = 0; k < nh; k++)
					printf("  %-8s %s\n", h[k].status, h[k].unique_id);
			}
		} else if (!strcmp(sub, "logs")) {
			bool found = false;
			for (size_t k = 0; k < nsteps; k++) {
				if (step_pos && steps[k].position != step_pos)
					continue;
				found = true;
				printf("== step %d: %s (%s)\n", steps[k].position, steps[k].command,
				       store_status_name(steps[k].status));
				fputs(steps[k].logs ? steps[k].logs : "", stdout);
			}
			if (!found && step_pos) {
				diag_add(&d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "run %lld has no step %lld",
				         (long long)id, (long long)step_pos);
				rc = 1;
			}
		} else if (!strcmp(sub, "artifacts")) {
			struct store_artifact *arts;
			size_t na;
			if (store_artifact_list(s, id, path != NULL, &a, &arts, &na, &d) < 0) {
				rc = 1;
			} else {
				/* the artifact of the asked step, else the last step's that has it */
				const struct store_artifact *hit = NULL;
				for (size_t k = 0; k < na; k++) {
					int pos = 0;
					for (size_t m = 0; m < nsteps; m++)
						if (steps[m].id == arts[k].step_id)
							pos = steps[m].position;
					if (step_pos && pos != step_pos)
						continue;
					if (!path)
						printf("%-6s %-24s %zu bytes\n",
						       pos ? arena_printf(&a, "%d", pos) : "-", arts[k].path,
						       arts[k].len);
					else if (!strcmp(arts[k].path, path))
						hit = &arts[k];
				}
				if (path && hit)
					fwrite(hit->content, 1, hit->len, stdout);
				else if (path) {
					diag_add(&d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "run %lld has no artifact %s",
					         (long long)id, path);
					rc = 1;
				}
			}
		} else {
			rc = usage_error(run_usage, "run", "unknown command '%s'", sub);
		}
	}
	cli_print_diag_as("run", &d);
	diag_release(&d);
	arena_release(&a);
	store_close(s);
	return rc;
}
