/* A parallel loop over item indexes (see base.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base.h"

struct par_loop {
	size_t n, chunk;
	void (*fn)(void *ud, int worker, size_t i);
	void *ud;
	atomic_size_t next;
};

struct par_thread {
	struct par_loop *l;
	int worker;
	pthread_t th;
};

static void par_run(struct par_loop *l, int worker)
{
	for (;;) {
		size_t i0 = atomic_fetch_add(&l->next, l->chunk);
		if (i0 >= l->n)
			return;
		size_t i1 = i0 + l->chunk < l->n ? i0 + l->chunk : l->n;
		for (size_t i = i0; i < i1; i++)
			l->fn(l->ud, worker, i);
	}
}

static void *par_main(void *arg)
{
	struct par_thread *t = arg;
	par_run(t->l, t->worker);
	return NULL;
}

int par_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

void par_for(size_t n, int nworkers, size_t chunk, void (*fn)(void *ud, int worker, size_t i),
             void *ud)
{
	struct par_loop l = {.n = n, .chunk = chunk ? chunk : 1, .fn = fn, .ud = ud};
	atomic_init(&l.next, 0);
	if (nworkers < 1)
		nworkers = 1;
	if ((size_t)nworkers > n)
		nworkers = n ? (int)n : 1;
	struct par_thread *t = xcalloc((size_t)nworkers, sizeof(*t));
	int started = 0;
	for (int k = 1; k < nworkers; k++) {
		t[k] = (struct par_thread){&l, k, 0};
		if (pthread_create(&t[k].th, NULL, par_main, &t[k]) != 0)
			break; /* the threads started share the items */
		started = k;
	}
	par_run(&l, 0);
	for (int k = 1; k <= started; k++)
		pthread_join(t[k].th, NULL);
	free(t);
}

void par_spawn(struct par_task *t, void *(*fn)(void *arg), void *arg)
{
	t->threaded = pthread_create(&t->th, NULL, fn, arg) == 0;
	if (!t->threaded)
		fn(arg);
}

void par_wait(struct par_task *t)
{
	if (t->threaded)
		pthread_join(t->th, NULL);
	t->threaded = false;
}
