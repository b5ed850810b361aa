/* The DAG executor: order, skips, fail-fast, interrupt, parallelism. */
#include <pthread.h>
#include <unistd.h>

#include "tap.h"
#include "run/run.h"

void test_run(void);

/* a -> b -> d, a -> c -> d, e alone */
static struct gmanifest *diamond(struct arena *a)
{
	struct gmanifest *m = gmanifest_new(a);
	static const char *const deps_b[] = { "model.p.a" }, *const deps_c[] = { "model.p.a" };
	static const char *const deps_d[] = { "model.p.b", "model.p.c" };
	const char *ids[] = { "model.p.a", "model.p.b", "model.p.c", "model.p.d", "model.p.e" };
	const char *const *deps[] = { NULL, deps_b, deps_c, deps_d, NULL };
	const uint32_t ndeps[] = { 0, 1, 1, 2, 0 };
	for (int i = 0; i < 5; i++) {
		struct gnode *g = gmanifest_add(m, GTAB_NODES, GT_MODEL, ids[i], NULL);
		g->name = ids[i] + 8;
		g->package = "p";
		g->depends_on = (const char **)deps[i];
		g->ndepends_on = ndeps[i];
	}
	struct diag d;
	diag_init(&d);
	graph_link(m, &d);
	diag_release(&d);
	return m;
}

struct trace {
	pthread_mutex_t mu;
	char order[64];
	int n;
	const char *fail; /* the node name that errors */
	int concurrent, max_concurrent;
	volatile sig_atomic_t *interrupt_after_first;
	int done;
};

static enum run_status exec_node(void *ud, int worker, struct run_item *item)
{
	(void)worker;
	struct trace *t = ud;
	pthread_mutex_lock(&t->mu);
	t->order[t->n++] = item->node->name[0];
	if (++t->concurrent > t->max_concurrent)
		t->max_concurrent = t->concurrent;
	pthread_mutex_unlock(&t->mu);
	usleep(20000);
	pthread_mutex_lock(&t->mu);
	t->concurrent--;
	if (t->interrupt_after_first)
		*t->interrupt_after_first = 1;
	pthread_mutex_unlock(&t->mu);
	return t->fail && !strcmp(item->node->name, t->fail) ? RUN_ERROR : RUN_SUCCESS;
}

static void on_done(void *ud, const struct run_item *item, int total)
{
	(void)item;
	(void)total;
	((struct trace *)ud)->done++;
}

static int run_case(struct gmanifest *m, int threads, bool fail_fast, const char *fail,
                    volatile sig_atomic_t *interrupt, struct trace *t, struct run_item items[5])
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	t->fail = fail;
	t->interrupt_after_first = interrupt;
	struct run_opts o = { .threads = threads, .fail_fast = fail_fast, .execute = exec_node,
		              .on_done = on_done, .ud = t, .interrupt = interrupt };
	int rc = run_dag(m, m->nodes, m->n, &o, items);
	pthread_mutex_destroy(&t->mu);
	return rc;
}

static int pos(const struct trace *t, char c)
{
	for (int i = 0; i < t->n; i++)
		if (t->order[i] == c)
			return i;
	return -1;
}

void test_run(void)
{
	struct arena a;
	arena_init(&a);
	struct gmanifest *m = diamond(&a);
	struct run_item items[5];
	struct trace t;

	int rc = run_case(m, 2, false, NULL, NULL, &t, items);
	ok(rc == 0 && t.n == 5 && t.done == 5, "every node runs once and is reported (ran %d)", t.n);
	ok(pos(&t, 'a') < pos(&t, 'b') && pos(&t, 'a') < pos(&t, 'c') && pos(&t, 'b') < pos(&t, 'd') &&
	       pos(&t, 'c') < pos(&t, 'd'),
	   "parents run before children (%.*s)", t.n, t.order);
	ok(t.max_concurrent == 2, "two threads run independent nodes at once (%d)", t.max_concurrent);

	rc = run_case(m, 1, false, "b", NULL, &t, items);
	ok(rc == 1 && items[1].status == RUN_ERROR && items[3].status == RUN_SKIPPED &&
	       items[2].status == RUN_SUCCESS && items[4].status == RUN_SUCCESS,
	   "a failure skips its descendants and the rest go on");
	ok(items[3].skipped_because == m->nodes[1], "a skipped node names the failure it follows");
	ok(pos(&t, 'd') < 0 && t.done == 5, "a skipped node is reported but never executed");

	rc = run_case(m, 1, true, "a", NULL, &t, items);
	ok(rc == 1 && t.n == 1 && items[4].status == RUN_SKIPPED,
	   "fail-fast starts nothing after the first error (ran %.*s)", t.n, t.order);

	volatile sig_atomic_t stop = 0;
	rc = run_case(m, 1, false, NULL, &stop, &t, items);
	ok(rc == 1 && t.n == 1, "an interrupt lets the running node finish and starts no other (ran %d)", t.n);
	int skipped = 0;
	for (int i = 0; i < 5; i++)
		skipped += items[i].status == RUN_SKIPPED;
	ok(skipped == 4, "after an interrupt the rest are skipped (%d)", skipped);

	struct gnode *sub[] = { m->nodes[3], m->nodes[0] };
	rc = run_case(m, 2, false, NULL, NULL, &t, items);
	struct run_item two[2];
	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&t.mu, NULL);
	struct run_opts o = { .threads = 2, .execute = exec_node, .ud = &t };
	rc = run_dag(m, sub, 2, &o, two);
	ok(rc == 0 && t.n == 2 && two[0].status == RUN_SUCCESS,
	   "unselected parents are not waited for (a selection of d and a)");
	pthread_mutex_destroy(&t.mu);
	gmanifest_free(m);
	arena_release(&a);
}
