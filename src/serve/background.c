/* What `silt serve` runs beside the HTTP server: a scheduler thread that queues the runs of jobs
 * whose cron schedule comes due (sched_tick every second, over the time since the last tick),
 * and worker processes (`silt worker`) that execute queued runs. Workers are processes, not
 * threads: a run changes the process's working state (its output, Ctrl-C handling) and a crash
 * in one must not take the API down. */
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve_int.h"
#include "sched/cron.h"
#include <openssl/hmac.h>

extern char **environ;

struct background {
	const struct serve_opts *o;
	pthread_t th, deliverer;
	bool thread_started, deliverer_started;
	int64_t sched_from; /* the scheduler's previous tick */
	struct ticker {
		struct background *bg;
		const char *name;
		void (*tick)(struct store *s, void *state, struct diag *d);
		void *state;
	} tickers[2];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	VEC(pid_t) pids;
};

/* A background thread (struct ticker): once a second, with a store connection of its own,
 * `tick` runs (the lock released) until the server stops. */

static void *ticker_main(void *arg)
{
	struct ticker *t = arg;
	struct background *bg = t->bg;
	struct diag d;
	diag_init(&d);
	struct store *s = store_open(bg->o->store_path, NULL, &d);
	pthread_mutex_lock(&bg->mu);
	while (s && !bg->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&bg->cv, &bg->mu, &ts);
		if (bg->stop)
			break;
		pthread_mutex_unlock(&bg->mu);
		t->tick(s, t->state, &d);
		for (size_t i = 0; i < d.msgs.n; i++) {
			struct buf b = BUF_INIT;
			diag_format_msg(&d.msgs.v[i], &b);
			fprintf(stderr, "silt serve: %s: %s\n", t->name, buf_cstr(&b));
			buf_release(&b);
		}
		diag_clear(&d);
		pthread_mutex_lock(&bg->mu);
	}
	pthread_mutex_unlock(&bg->mu);
	if (!s) {
		struct buf b = BUF_INIT;
		diag_print(&d, &b);
		fprintf(stderr, "silt serve: %s cannot open the store: %s\n", t->name, buf_cstr(&b));
		buf_release(&b);
	}
	store_close(s);
	diag_release(&d);
	return NULL;
}

/* The scheduler's tick: the runs due since its previous tick (state: that time). */
static void schedule_tick(struct store *s, void *state, struct diag *d)
{
	/* a run whose process died on this machine (a killed worker) is marked errored now, not
	 * when some process next opens the store */
	int recovered = 0;
	if (store_recover_runs(s, &recovered, d) == 0 && recovered) {
		printf("silt serve: marked %d run%s errored whose process died\n", recovered,
		       recovered == 1 ? "" : "s");
		fflush(stdout);
	}
	int64_t *from = state, to = (int64_t)time(NULL);
	if (to <= *from)
		return;
	int n = 0;
	sched_tick(s, *from, to, &n, d);
	*from = to;
	if (n) {
		printf("silt serve: scheduler queued %d run%s\n", n, n == 1 ? "" : "s");
		fflush(stdout);
	}
}

/* Webhooks out: every second, the deliveries that are due are POSTed (signed with
 * X-Silt-Signature-256 = HMAC-SHA256 of the body when the subscription has a secret) and their
 * outcome recorded: 2xx delivered, else retried with back-off, failed after 8 attempts. */
#define DELIVERY_ATTEMPTS 8

static void deliver_tick(struct store *s, void *state, struct diag *d)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct store_delivery *v;
	size_t n;
	if (store_delivery_due(s, &a, &v, &n, d) == 0) {
		for (size_t i = 0; i < n; i++) {
			char sig[128] = "", id[48], ev[64];
			bool status = v[i].format && !strcmp(v[i].format, "commit-status");
			char auth[600] = "";
			if (status && v[i].secret)
				snprintf(auth, sizeof(auth), "Authorization: Bearer %s", v[i].secret);
			if (v[i].secret && !status) {
				unsigned char mac[32];
				unsigned int ml = 0;
				HMAC(EVP_sha256(), v[i].secret, (int)strlen(v[i].secret),
				     (const unsigned char *)v[i].payload, strlen(v[i].payload), mac, &ml);
				int k = snprintf(sig, sizeof(sig), "X-Silt-Signature-256: sha256=");
				for (unsigned j = 0; j < ml; j++)
					k += snprintf(sig + k, sizeof(sig) - (size_t)k, "%02x", mac[j]);
			}
			snprintf(id, sizeof(id), "X-Silt-Delivery: %lld", (long long)v[i].id);
			snprintf(ev, sizeof(ev), "X-Silt-Event: %s", v[i].event);
			const char *headers[] = { "Content-Type: application/json", "User-Agent: silt", id, ev,
				                  sig[0] ? sig : auth[0] ? auth : NULL, NULL };
			struct buf err = BUF_INIT;
			int code = 0;
			http_post(v[i].url, headers, v[i].payload, strlen(v[i].payload), 10000, &code, &err);
			if (code < 200 || code >= 300) {
				if (!err.n)
					buf_printf(&err, "answered %d", code);
				fprintf(stderr, "silt serve: webhook '%s' delivery %lld (%s): %s\n", v[i].webhook,
				        (long long)v[i].id, v[i].event, buf_cstr(&err));
			}
			store_delivery_result(s, v[i].id, code, err.n ? buf_cstr(&err) : NULL,
			                      DELIVERY_ATTEMPTS, d);
			buf_release(&err);
		}
	}
	arena_release(&a);
}

static pid_t spawn_worker(const struct serve_opts *o)
{
	const char *argv[12];
	int n = 0;
	argv[n++] = "silt";
	argv[n++] = "worker";
	/* a store URL may hold a password: given in the worker's environment (SILT_STORE), never
	 * on a command line others can read */
	bool url = strstr(o->store_path, "://") != NULL;
	if (!url) {
		argv[n++] = "--store";
		argv[n++] = o->store_path;
	}
	if (o->project_dir) {
		argv[n++] = "--project-dir";
		argv[n++] = o->project_dir;
	}
	if (o->profiles_dir) {
		argv[n++] = "--profiles-dir";
		argv[n++] = o->profiles_dir;
	}
	argv[n] = NULL;
	size_t ne = 0;
	while (environ[ne])
		ne++;
	char **envp = xcalloc(ne + 2, sizeof(*envp));
	size_t k = 0;
	for (size_t i = 0; i < ne; i++)
		if (!url || strncmp(environ[i], "SILT_STORE=", 11))
			envp[k++] = environ[i];
	struct buf var = BUF_INIT;
	if (url) {
		buf_printf(&var, "SILT_STORE=%s", o->store_path);
		envp[k++] = var.p;
	}
	pid_t pid;
	int rc = posix_spawn(&pid, o->worker_exe, NULL, NULL, (char *const *)argv, envp);
	buf_release(&var);
	free(envp);
	return rc != 0 ? -1 : pid;
}

struct background *background_start(const struct serve_opts *o, struct diag *d)
{
	struct background *bg = xcalloc(1, sizeof(*bg));
	bg->o = o;
	pthread_mutex_init(&bg->mu, NULL);
	pthread_cond_init(&bg->cv, NULL);
	for (int i = 0; i < o->workers; i++) {
		pid_t pid = spawn_worker(o);
		if (pid < 0) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot start a worker (%s worker)",
			         o->worker_exe);
			background_stop(bg);
			return NULL;
		}
		vec_push(&bg->pids, pid);
	}
	bg->sched_from = (int64_t)time(NULL);
	bg->tickers[0] = (struct ticker){ bg, "scheduler", schedule_tick, &bg->sched_from };
	bg->tickers[1] = (struct ticker){ bg, "webhooks", deliver_tick, NULL };
	if (o->scheduler)
		bg->thread_started = pthread_create(&bg->th, NULL, ticker_main, &bg->tickers[0]) == 0;
	bg->deliverer_started = pthread_create(&bg->deliverer, NULL, ticker_main, &bg->tickers[1]) == 0;
	return bg;
}

/* Waits up to `ms` for every worker to exit; true when all have. */
static bool reap(struct background *bg, int ms)
{
	for (int waited = 0;; waited += 50) {
		bool all = true;
		for (size_t i = 0; i < bg->pids.n; i++) {
			if (bg->pids.v[i] <= 0)
				continue;
			if (waitpid(bg->pids.v[i], NULL, WNOHANG) == bg->pids.v[i])
				bg->pids.v[i] = 0;
			else
				all = false;
		}
		if (all || waited >= ms)
			return all;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void signal_workers(struct background *bg, int sig)
{
	for (size_t i = 0; i < bg->pids.n; i++)
		if (bg->pids.v[i] > 0)
			kill(bg->pids.v[i], sig);
}

void background_stop(struct background *bg)
{
	if (!bg)
		return;
	pthread_mutex_lock(&bg->mu);
	bg->stop = true;
	pthread_cond_broadcast(&bg->cv);
	pthread_mutex_unlock(&bg->mu);
	pthread_cond_broadcast(&bg->cv);
	if (bg->thread_started)
		pthread_join(bg->th, NULL);
	if (bg->deliverer_started)
		pthread_join(bg->deliverer, NULL);
	/* a worker finishes the run it has; a second signal stops that run; then it is killed */
	signal_workers(bg, SIGTERM);
	if (!reap(bg, 5000)) {
		signal_workers(bg, SIGTERM);
		if (!reap(bg, 5000)) {
			signal_workers(bg, SIGKILL);
			reap(bg, 5000);
		}
	}
	vec_free(&bg->pids);
	pthread_mutex_destroy(&bg->mu);
	pthread_cond_destroy(&bg->cv);
	free(bg);
}
