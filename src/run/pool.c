/* The scheduler: a ready queue over the selected sub-DAG, worked by a pool of threads. */
#include <pthread.h>
#include <time.h>

#include "run.h"

const char *run_status_name(enum run_status s)
{
	static const char *const names[] = { "pending", "success", "warn", "error", "fail", "skipped" };
	return (unsigned)s < ARRAY_LEN(names) ? names[s] : "?";
}

struct sched {
	const struct run_opts *o;
	struct run_item *items;
	size_t n;
	int32_t *slot;        /* gmanifest node idx -> position in items, or -1 */
	uint32_t *waiting;    /* per item: selected parents not finished yet */
	uint32_t **kids;      /* per item: selected children (item positions) */
	uint32_t *nkids;
	size_t *ready;        /* queue of item positions */
	size_t head, tail;
	size_t finished, running;
	int started;          /* for "N of M" */
	bool stopping;        /* fail-fast or interrupt: start nothing new */
	bool stop_reported;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct timespec t0;
	int failures;
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* With the lock held: a finished item releases its children; a failed one skips them all. */
static void finish(struct sched *s, size_t i)
{
	struct run_item *it = &s->items[i];
	it->finished = since(&s->t0);
	if (!it->index) /* skipped nodes are numbered where they are reported, as dbt prints them */
		it->index = ++s->started;
	s->finished++;
	if (s->o->on_done)
		s->o->on_done(s->o->ud, it, (int)s->n);
	bool bad = it->status == RUN_ERROR || it->status == RUN_FAIL || it->status == RUN_SKIPPED;
	if (bad && it->status != RUN_SKIPPED)
		s->failures++;
	for (uint32_t k = 0; k < s->nkids[i]; k++) {
		size_t c = s->kids[i][k];
		struct run_item *ci = &s->items[c];
		if (bad && ci->status == RUN_PENDING) {
			ci->status = RUN_SKIPPED;
			ci->skipped_because = it->status == RUN_SKIPPED && it->skipped_because ? it->skipped_because : it->node;
		}
		if (--s->waiting[c] == 0) {
			if (ci->status == RUN_SKIPPED)
				finish(s, c);
			else
				s->ready[s->tail++] = c;
		}
	}
	pthread_cond_broadcast(&s->cv);
}

static bool should_stop(struct sched *s)
{
	if (s->o->interrupt && *s->o->interrupt)
		return true;
	return s->o->fail_fast && s->failures > 0;
}

static void *worker(void *arg)
{
	struct { struct sched *s; int id; } *w = arg;
	struct sched *s = w->s;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->head == s->tail && s->finished < s->n && !s->stopping) {
			if (should_stop(s))
				break;
			pthread_cond_wait(&s->cv, &s->mu);
		}
		if (!s->stopping && should_stop(s)) {
			s->stopping = true;
			if (s->o->on_stop && !s->stop_reported) {
				s->stop_reported = true;
				s->o->on_stop(s->o->ud);
			}
			pthread_cond_broadcast(&s->cv);
		}
		if (s->finished >= s->n || (s->stopping && s->head == s->tail) ||
		    (s->stopping && s->running == 0))
			break;
		if (s->stopping) {
			/* drain: what is ready is skipped, not started */
			size_t i = s->ready[s->head++];
			s->items[i].status = RUN_SKIPPED;
			finish(s, i);
			continue;
		}
		if (s->head == s->tail)
			continue;
		size_t i = s->ready[s->head++];
		struct run_item *it = &s->items[i];
		it->index = ++s->started;
		it->started = since(&s->t0);
		if (s->o->on_start)
			s->o->on_start(s->o->ud, it, (int)s->n);
		s->running++;
		pthread_mutex_unlock(&s->mu);
		enum run_status st = s->o->execute(s->o->ud, w->id, it);
		pthread_mutex_lock(&s->mu);
		s->running--;
		it->status = st == RUN_PENDING ? RUN_ERROR : st;
		finish(s, i);
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* dbt build's extra edges: a selected test of node P gates every selected non-test child C of P
 * that is not itself upstream of the test (a relationships test reads two models; the one it
 * points at must not wait for it). */
static void test_edges(const struct gmanifest *m, struct gnode *const *nodes, size_t n,
                       const int32_t *slot, void *out_vec)
{
	VEC(uint32_t) *out = out_vec;
	uint32_t *mark = xcalloc(m->n ? m->n : 1, sizeof(uint32_t));
	uint32_t *added = xcalloc(m->n ? m->n : 1, sizeof(uint32_t));
	VEC(uint32_t) stack = { 0 };
	for (size_t i = 0; i < n; i++) {
		const struct gnode *t = nodes[i];
		if (t->type != GT_TEST)
			continue;
		uint32_t stamp = (uint32_t)i + 1;
		/* the test's ancestors */
		vec_push(&stack, t->idx);
		while (stack.n) {
			const struct gnode *x = m->nodes[stack.v[--stack.n]];
			for (uint32_t k = 0; k < x->nparents; k++)
				if (mark[x->parents[k]] != stamp) {
					mark[x->parents[k]] = stamp;
					vec_push(&stack, x->parents[k]);
				}
		}
		for (uint32_t k = 0; k < t->nparents; k++) {
			const struct gnode *parent = m->nodes[t->parents[k]];
			for (uint32_t c = 0; c < parent->nchildren; c++) {
				uint32_t ci = parent->children[c];
				const struct gnode *child = m->nodes[ci];
				if (slot[ci] < 0 || child->type == GT_TEST || mark[ci] == stamp ||
				    added[ci] == stamp)
					continue;
				added[ci] = stamp;
				vec_push(out, (uint32_t)i);
				vec_push(out, (uint32_t)slot[ci]);
			}
		}
	}
	vec_free(&stack);
	free(mark);
	free(added);
}

int run_dag(struct gmanifest *m, struct gnode *const *nodes, size_t n, const struct run_opts *o,
            struct run_item *items)
{
	struct sched s = { 0 };
	s.o = o;
	s.items = items;
	s.n = n;
	s.slot = xmalloc((size_t)m->n * sizeof(int32_t));
	for (uint32_t i = 0; i < m->n; i++)
		s.slot[i] = -1;
	for (size_t i = 0; i < n; i++) {
		items[i] = (struct run_item){ .node = nodes[i] };
		s.slot[nodes[i]->idx] = (int32_t)i;
	}
	s.waiting = xcalloc(n ? n : 1, sizeof(uint32_t));
	s.kids = xcalloc(n ? n : 1, sizeof(uint32_t *));
	s.nkids = xcalloc(n ? n : 1, sizeof(uint32_t));
	s.ready = xmalloc((n ? n : 1) * sizeof(size_t));
	/* edges between selected nodes, through unselected ones as dbt's get_subset_graph keeps
	 * them: a model behind an ephemeral (never run) or an unselected model still waits for
	 * the selected nodes upstream of it */
	VEC(uint32_t) extra = { 0 }; /* test edges: pairs (test item, child item) */
	if (o->test_edges)
		test_edges(m, nodes, n, s.slot, &extra);
	uint32_t *nextra = xcalloc(n ? n : 1, sizeof(uint32_t));
	for (size_t e = 0; e < extra.n; e += 2)
		nextra[extra.v[e]]++;
	uint32_t *seen = xcalloc(m->n ? m->n : 1, sizeof(uint32_t));
	VEC(uint32_t) stack = { 0 }, kids = { 0 };
	for (size_t i = 0; i < n; i++) {
		const struct gnode *g = nodes[i];
		uint32_t stamp = (uint32_t)i + 1;
		kids.n = 0;
		vec_push(&stack, g->idx);
		while (stack.n) {
			const struct gnode *x = m->nodes[stack.v[--stack.n]];
			for (uint32_t k = 0; k < x->nchildren; k++) {
				uint32_t ci = x->children[k];
				if (seen[ci] == stamp)
					continue;
				seen[ci] = stamp;
				if (s.slot[ci] >= 0)
					vec_push(&kids, (uint32_t)s.slot[ci]);
				else
					vec_push(&stack, ci);
			}
		}
		s.nkids[i] = (uint32_t)kids.n + nextra[i];
		s.kids[i] = xmalloc((s.nkids[i] ? s.nkids[i] : 1) * sizeof(uint32_t));
		for (size_t k = 0; k < kids.n; k++) {
			s.kids[i][k] = kids.v[k];
			s.waiting[kids.v[k]]++;
		}
		nextra[i] = (uint32_t)kids.n; /* where this item's test edges go */
	}
	vec_free(&stack);
	vec_free(&kids);
	free(seen);
	for (size_t e = 0; e < extra.n; e += 2) {
		uint32_t from = extra.v[e], to = extra.v[e + 1];
		s.kids[from][nextra[from]++] = to;
		s.waiting[to]++;
	}
	vec_free(&extra);
	free(nextra);
	/* ready in dbt's order: topological, ties as the manifest lists them */
	for (uint32_t t = 0; t < m->n; t++) {
		int32_t i = s.slot[m->topo ? m->topo[t] : t];
		if (i >= 0 && s.waiting[i] == 0)
			s.ready[s.tail++] = (size_t)i;
	}
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	int threads = o->threads > 0 ? o->threads : 1;
	pthread_t *tids = xmalloc((size_t)threads * sizeof(pthread_t));
	struct wk { struct sched *s; int id; } *args = xmalloc((size_t)threads * sizeof(*args));
	for (int t = 0; t < threads; t++) {
		args[t].s = &s;
		args[t].id = t;
		if (pthread_create(&tids[t], NULL, worker, &args[t]) != 0)
			silt_abort("cannot start a worker thread");
	}
	/* the calling thread watches for an interrupt: a signal handler cannot wake the workers,
	 * and a worker busy with a long statement would not see it until the statement ends */
	if (o->interrupt) {
		pthread_mutex_lock(&s.mu);
		while (s.finished < s.n && !s.stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 50 * 1000 * 1000;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s.cv, &s.mu, &until);
			if (*o->interrupt && !s.stopping) {
				s.stopping = true;
				if (o->on_stop && !s.stop_reported) {
					s.stop_reported = true;
					o->on_stop(o->ud);
				}
				pthread_cond_broadcast(&s.cv);
			}
		}
		pthread_mutex_unlock(&s.mu);
	}
	for (int t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	/* anything never reached (a stop) is skipped */
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (items[i].status == RUN_PENDING)
			items[i].status = RUN_SKIPPED;
		if (items[i].status != RUN_SUCCESS && items[i].status != RUN_WARN)
			rc = 1;
	}
	for (size_t i = 0; i < n; i++)
		free(s.kids[i]);
	free(s.kids);
	free(s.nkids);
	free(s.waiting);
	free(s.ready);
	free(s.slot);
	free(tids);
	free(args);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return rc;
}
