/* silt bench [N] [ROUNDS]: parse and render a typical ~1 KB dbt model N times (default 10,000) and
 * print the time per template and in total. Each of ROUNDS rounds (default 5) parses N new
 * templates into a fresh environment and renders each once; the best round is reported, since
 * on a shared machine the fastest round is the one least disturbed by other work. Times are CPU
 * time on one core (the bench is single-threaded), page faults included. The template has a config(), two refs, a for, an if and
 * a macro call; ref/config/is_incremental are small C callables standing in for the dbt context
 * that the project layer provides. */
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "jinja/jinja.h"

static const char bench_model[] =
	"{{ config(materialized='incremental', unique_key='order_id', tags=['finance', 'daily']) }}\n"
	"{%- set payment_methods = ['credit_card', 'coupon', 'bank_transfer', 'gift_card'] -%}\n"
	"\n"
	"with orders as (\n"
	"    select * from {{ ref('stg_orders') }}\n"
	"),\n"
	"\n"
	"payments as (\n"
	"    select * from {{ ref('stg_payments') }}\n"
	"),\n"
	"\n"
	"final as (\n"
	"    select\n"
	"        orders.order_id,\n"
	"        orders.customer_id,\n"
	"        orders.order_date,\n"
	"        orders.status,\n"
	"        {% for method in payment_methods -%}\n"
	"        sum(case when payments.payment_method = '{{ method }}' then payments.amount else 0 end) as {{ method }}_amount,\n"
	"        {% endfor -%}\n"
	"        sum(payments.amount) as amount\n"
	"    from orders\n"
	"    left join payments on orders.order_id = payments.order_id\n"
	"    {% if is_incremental() %}\n"
	"    where orders.order_date >= (select max(order_date) from {{ this }})\n"
	"    {% endif %}\n"
	"    group by 1, 2, 3, 4\n"
	")\n"
	"\n"
	"select *, {{ cents_to_dollars('amount') }} as amount_dollars from final\n";

static const char bench_macros[] =
	"{% macro cents_to_dollars(column_name, scale=2) -%}\n"
	"    round(cast({{ column_name }} as numeric) / 100, {{ scale }})\n"
	"{%- endmacro %}\n";

static int fn_ref(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	if (args->npos < 1 || args->pos[0].type != VT_STR)
		return jinja_error(st, "ref() wants a model name");
	static const char pre[] = "\"main\".\"analytics__";
	size_t n = sizeof(pre) - 1 + args->pos[0].len + 1;
	char *p = arena_alloc(jinja_arena(st), n + 1);
	memcpy(p, pre, sizeof(pre) - 1);
	memcpy(p + sizeof(pre) - 1, args->pos[0].s, args->pos[0].len);
	p[n - 1] = '"';
	p[n] = 0;
	*out = v_str(p, n);
	return 0;
}

static int fn_config(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)st;
	(void)data;
	(void)self;
	(void)args;
	*out = v_str("", 0);
	return 0;
}

static int fn_false(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)st;
	(void)data;
	(void)self;
	(void)args;
	*out = v_bool(false);
	return 0;
}

/* An environment with the stand-in dbt functions and the bench macros. */
static struct jinja_env *bench_env(struct diag *d)
{
	struct jinja_env *env = jinja_env_new();
	jinja_set_function(env, "ref", fn_ref, NULL);
	jinja_set_function(env, "config", fn_config, NULL);
	jinja_set_function(env, "is_incremental", fn_false, NULL);
	jinja_set_global(env, "this", v_cstr("\"main\".\"analytics__orders\""));
	struct jinja_template *mt = jinja_parse(env, "macros.sql", bench_macros, sizeof(bench_macros) - 1, d);
	if (!mt)
		die("bench macros do not parse");
	jinja_add_macros(env, NULL, mt);
	return env;
}

/* CPU time of this process: on a shared machine it counts the work, not the waiting for a core
 * (the bench is single-threaded, so it is the time on one core). */
/* Wall time of `silt --version` (start-up to exit), best of `runs`. */
static double startup_time(int runs)
{
	double best = 1e99;
	for (int i = 0; i < runs; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		/* posix_spawn, so the measurement does not include copying this process */
		pid_t pid;
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		char *const args[] = { "silt", "--version", NULL };
		int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, args, environ);
		posix_spawn_file_actions_destroy(&fa);
		int status;
		if (rc != 0 || waitpid(pid, &status, 0) < 0)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		double t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (t < best)
			best = t;
	}
	return best;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_bench(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	if (n <= 0)
		die("usage: silt bench [N] [ROUNDS]");
	long rounds = argc > 2 ? atol(argv[2]) : 5;
	if (rounds <= 0)
		die("usage: silt bench [N] [ROUNDS]");
	double startup = startup_time(20); /* before the bench grows this process */
	struct diag d;
	diag_init(&d);
	struct jinja_env *env = bench_env(&d);
	struct jinja_template **ts = xmalloc((size_t)n * sizeof(*ts));
	/* warm up */
	for (int i = 0; i < 100; i++)
		jinja_parse(env, "model.sql", bench_model, sizeof(bench_model) - 1, &d);
	struct arena a;
	arena_init(&a);
	struct buf out = BUF_INIT;
	struct jinja_render opts = { .arena = &a };
	size_t outlen = 0;
	double best_parse = 1e99, best_render = 1e99;
	for (long round = 0; round < rounds; round++) {
		if (round) {
			/* a fresh environment, so every round parses into new memory as the first did */
			jinja_env_free(env);
			env = bench_env(&d);
		}
		double t0 = now();
		for (long i = 0; i < n; i++) {
			ts[i] = jinja_parse(env, "model.sql", bench_model, sizeof(bench_model) - 1, &d);
			if (!ts[i])
				die("bench model does not parse");
		}
		double t1 = now();
		for (long i = 0; i < n; i++) {
			buf_reset(&out);
			arena_reset(&a);
			if (jinja_render(env, ts[i], &opts, &out, &d) < 0) {
				struct buf m = BUF_INIT;
				diag_print(&d, &m);
				die("bench render failed: %s", buf_cstr(&m));
			}
			outlen = out.n;
		}
		double t2 = now();
		if (t1 - t0 < best_parse)
			best_parse = t1 - t0;
		if (t2 - t1 < best_render)
			best_render = t2 - t1;
	}
	printf("template: %zu bytes in, %zu bytes out (config, 2 refs, for, if, macro call)\n",
	       sizeof(bench_model) - 1, outlen);
	printf("parse:  %.2f us per template, %.1f ms for %ld (best of %ld rounds)\n",
	       best_parse / (double)n * 1e6, best_parse * 1e3, n, rounds);
	printf("render: %.2f us per template, %.1f ms for %ld (best of %ld rounds)\n",
	       best_render / (double)n * 1e6, best_render * 1e3, n, rounds);
	printf("total:  %.1f ms for %ld templates parsed and rendered\n",
	       (best_parse + best_render) * 1e3, n);
	printf("start-up: %.2f ms for silt --version (best of 20)\n", startup * 1e3);
	buf_release(&out);
	arena_release(&a);
	free(ts);
	diag_release(&d);
	jinja_env_free(env);
	return 0;
}
