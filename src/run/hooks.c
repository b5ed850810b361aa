/* Project hooks and failure texts shared by the run tasks (run/hooks.h). */
#include <time.h>

#include "hooks.h"

char *run_error_text(const struct diag *d)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->msgs.n; i++)
		if (d->msgs.v[i].level == DIAG_ERROR) {
			diag_format_msg(&d->msgs.v[i], &b);
			break;
		}
	while (b.n && b.p[b.n - 1] == '\n')
		b.n--;
	if (!b.n)
		buf_puts(&b, "unknown error");
	return buf_detach(&b, NULL);
}

/* A render in the root project's context at execute time on *h->conn (hooks, run-operation);
 * exec_end releases what it made. */
struct exec_ctx {
	struct arena a;
	struct dbt_runtime rt;
	struct dbt_render r;
	struct jinja_render opts;
	struct node_compiler *nc;
	struct dbt_runtime *nc_rt; /* nc's runtime before */
};

static void exec_begin(const struct hook_run *h, struct exec_ctx *x)
{
	arena_init(&x->a);
	dbt_runtime_init(&x->rt, *h->conn, &x->a);
	x->r = (struct dbt_render){ 0 };
	x->r.proj = &h->nc->info;
	x->r.env = h->r->env;
	x->r.phase = DBT_EXECUTE;
	x->r.package = h->p->name;
	x->r.rt = &x->rt;
	x->opts = (struct jinja_render){ 0 };
	h->nc->info.adapter = h->ad;
	dbt_render_setup(&x->r, &x->a, &x->opts);
	/* adapter.get_relation (and --defer's existence checks) ask the compiler's runtime */
	x->nc = h->nc;
	x->nc_rt = h->nc->rt;
	h->nc->rt = &x->rt;
}

static void exec_end(struct exec_ctx *x)
{
	x->nc->rt = x->nc_rt;
	arena_release(&x->a);
}

int run_operation(const struct hook_run *h, const char *ns, const char *name, value kwargs,
                  struct diag *d)
{
	struct exec_ctx x;
	exec_begin(h, &x);
	uint32_t n = kwargs.type == VT_DICT ? kwargs.dict->n : 0, k = 0;
	struct vkwarg *kw = arena_alloc(&x.a, (n + 1) * sizeof(*kw));
	for (uint32_t i = 0; i < n; i++)
		if (kwargs.dict->k[i].type == VT_STR)
			kw[k++] = (struct vkwarg){ v_as_str(kwargs.dict->k[i]), kwargs.dict->v[i] };
	struct vargs va = { NULL, 0, k, kw };
	value res;
	int rc = jinja_call_macro(h->r->env, ns, name, &va, &x.opts, &res, d);
	if (rc == 0 && *h->conn && adapter_in_transaction(*h->conn))
		rc = adapter_commit(*h->conn, d);
	exec_end(&x);
	return rc;
}

/* One hook's SQL rendered and executed; 0 or -1 with d. */
static int run_hook(const struct hook_run *h, const char *name, value sql, value results,
                    struct diag *d)
{
	struct exec_ctx x;
	exec_begin(h, &x);
	vdict_sets(x.r.ctx.dict, "results", results);
	char *src = arena_strndup(&x.a, sql.s, sql.len);
	struct jinja_template *tm = jinja_parse_in(h->r->env, &x.a, name, src, sql.len, d);
	struct buf out = BUF_INIT;
	int rc = tm ? jinja_render(h->r->env, tm, &x.opts, &out, d) : -1;
	const char *body = buf_cstr(&out);
	while (*body == ' ' || *body == '\n' || *body == '\t')
		body++;
	if (rc == 0 && *body)
		rc = adapter_exec(*h->conn, body, NULL, d);
	if (rc == 0 && adapter_in_transaction(*h->conn))
		rc = adapter_commit(*h->conn, d);
	buf_release(&out);
	exec_end(&x);
	return rc;
}

int run_project_hooks(const struct hook_run *h, const char *which, value hooks, value results)
{
	if (hooks.type != VT_LIST || !hooks.list->n)
		return 0;
	int n = (int)hooks.list->n, failed = 0;
	console_line(h->con, "Running %d %s hook%s", n, which, n == 1 ? "" : "s");
	struct diag d;
	diag_init(&d);
	if (!*h->conn)
		*h->conn = adapter_open(h->ad, &d);
	for (int i = 0; i < n; i++) {
		struct buf name = BUF_INIT, m = BUF_INIT;
		buf_printf(&name, "%s.%s.%d", h->p->name, which, i);
		buf_printf(&m, "START hook: %s", name.p);
		console_progress(h->con, i + 1, n, m.p, "RUN", CC_NONE, -1);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		value sql = hooks.list->v[i];
		if (sql.type == VT_DICT)
			sql = v_item(sql, "sql");
		int rc = *h->conn && sql.type == VT_STR ? run_hook(h, name.p, sql, results, &d) : -1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		buf_reset(&m);
		buf_printf(&m, "%s hook: %s", rc == 0 ? "OK" : "ERROR", name.p);
		double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (rc == 0)
			console_progress(h->con, i + 1, n, m.p, "OK", CC_GREEN, secs);
		else
			console_progress_error(h->con, i + 1, n, m.p, "ERROR", CC_RED, secs);
		if (rc < 0) {
			failed++;
			char *msg = run_error_text(&d);
			console_error_line(h->con, "  on-run hook failed: %s", msg);
			free(msg);
			diag_clear(&d);
		}
		buf_release(&name);
		buf_release(&m);
	}
	console_line(h->con, "%s", "");
	diag_release(&d);
	return failed;
}
