/* silt seed: load the project's CSV seeds into the warehouse (dbt seed). Each seed is read as
 * dbt reads it (csv/), built beside the old table as <alias>__dbt_tmp and swapped in one
 * transaction, so a reader never sees a half-loaded table and a failure leaves the old one. */
#include <pthread.h>
#include <time.h>

#include "adapter/adapter.h"
#include "cli.h"
#include "csv/csv.h"
#include "parse/parse.h"
#include "run/console.h"
#include "run/run.h"
#include "value/datetime.h"

struct seed_run {
	struct project *p;
	struct parse_result *r;
	struct adapter *ad;
	struct adapter_conn **conns; /* one per worker */
	struct console con;
	pthread_mutex_t mu;
	struct diag *d; /* errors, under mu */
	const char **why; /* per item: the error text shown in the summary */
	char **status;     /* per item: the status text ("INSERT 10") */
};

static value dget(value d, const char *k)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(k), &v))
		return v;
	return v_undef();
}

static const char *dstr(value d, const char *k)
{
	value v = dget(d, k);
	return v.type == VT_STR ? v.s : NULL;
}

static enum seed_type seed_type_of(const struct csv_table *t, size_t c)
{
	switch (t->types[c]) {
	case CSV_INTEGER: return SEED_INTEGER;
	case CSV_NUMBER: return t->places[c] == 0 ? SEED_INTEGER : SEED_NUMBER;
	case CSV_DATE: return SEED_DATE;
	case CSV_DATETIME:
	case CSV_ISODATETIME: return SEED_DATETIME;
	case CSV_BOOLEAN: return SEED_BOOLEAN;
	default: return SEED_TEXT;
	}
}

/* Loads one seed on connection c; status text into st. */
static int load_seed(struct seed_run *s, struct adapter_conn *c, const struct gnode *g, struct buf *st,
                     struct diag *d)
{
	struct arena a;
	arena_init(&a);
	int rc = -1;
	const char *dir = s->p->dir;
	for (size_t i = 0; i < s->r->npkgs; i++)
		if (!strcmp(s->r->pkgs[i].name, g->package))
			dir = s->r->pkgs[i].dir;
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/%s", dir, g->original_file_path);
	size_t len;
	char *text = cli_read_file(path.p, &len);
	value types = dget(g->config, "column_types");
	struct csv_opts o = { 0 };
	o.delimiter = dstr(g->config, "delimiter");
	struct str *text_cols = NULL;
	if (types.type == VT_DICT) {
		text_cols = arena_alloc(&a, (types.dict->n + 1) * sizeof(*text_cols));
		for (uint32_t i = 0; i < types.dict->n; i++)
			if (types.dict->e[i].k.type == VT_STR)
				text_cols[o.n_text_columns++] = v_as_str(types.dict->e[i].k);
		o.text_columns = text_cols;
	}
	struct csv_table *t;
	if (!text) {
		diag_add(d, DIAG_ERROR, g->original_file_path, 0, 0, NULL, 0, "cannot read the seed file");
		goto done;
	}
	if (csv_read(&a, g->original_file_path, text, len, &o, &t, d) < 0)
		goto done;
	struct relation target = { dstr(g->raw, "database"), dstr(g->raw, "schema"), dstr(g->raw, "alias"), REL_TABLE, 0 };
	struct relation tmp = target;
	tmp.identifier = arena_printf(&a, "%s__dbt_tmp", target.identifier);
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, s->ad, "create table %R (", &tmp);
	const char **cols = arena_alloc(&a, (t->ncols + 1) * sizeof(char *));
	for (size_t i = 0; i < t->ncols; i++) {
		cols[i] = arena_strndup(&a, t->names[i].p, t->names[i].n);
		value override = v_undef();
		if (types.type == VT_DICT)
			vdict_gets(types.dict, t->names[i], &override);
		const char *sqltype = override.type == VT_STR ? override.s : adapter_seed_type(s->ad, seed_type_of(t, i));
		sqlfmt(&sql, s->ad, "%s%I %s", i ? ", " : "", cols[i], sqltype);
	}
	buf_putc(&sql, ')');
	/* rows as lists; dates and datetimes as their ISO text */
	value rows = v_list(&a, (uint32_t)t->nrows);
	for (size_t r = 0; r < t->nrows; r++) {
		value row = v_list(&a, (uint32_t)t->ncols);
		for (size_t ci = 0; ci < t->ncols; ci++) {
			value v = t->cells[r * t->ncols + ci];
			if (v.type == VT_OBJ) {
				struct buf b = BUF_INIT;
				v_to_str(v, &b);
				v = v_buf(&a, &b);
				buf_release(&b);
			}
			vlist_push(row.list, v);
		}
		vlist_push(rows.list, row);
	}
	int64_t inserted = 0;
	adapter_drop_relation(c, &tmp, d);
	if (adapter_exec(c, sql.p, NULL, d) == 0 &&
	    adapter_insert_rows(c, &tmp, cols, t->ncols, rows, &inserted, d) == 0 &&
	    adapter_swap(c, &target, &tmp, d) == 0) {
		buf_printf(st, "INSERT %lld", (long long)inserted);
		rc = 0;
	} else {
		struct diag ignore;
		diag_init(&ignore);
		adapter_drop_relation(c, &tmp, &ignore);
		diag_release(&ignore);
	}
	buf_release(&sql);
done:
	free(text);
	buf_release(&path);
	arena_release(&a);
	return rc;
}

static void relation_label(const struct gnode *g, struct buf *out)
{
	buf_printf(out, "%s.%s", dstr(g->raw, "schema") ? dstr(g->raw, "schema") : "",
	           dstr(g->raw, "alias") ? dstr(g->raw, "alias") : g->name);
}

static void on_start(void *ud, const struct run_item *it, int total)
{
	struct seed_run *s = ud;
	struct buf m = BUF_INIT;
	buf_puts(&m, "START seed file ");
	relation_label(it->node, &m);
	console_progress(&s->con, it->index, total, m.p, "RUN", CC_NONE, -1);
	buf_release(&m);
}

static void on_done(void *ud, const struct run_item *it, int total)
{
	struct seed_run *s = ud;
	struct buf m = BUF_INIT;
	if (it->status == RUN_SUCCESS) {
		buf_puts(&m, "OK loaded seed file ");
		relation_label(it->node, &m);
		console_progress(&s->con, it->index, total, m.p, s->status[it->node->idx], CC_GREEN,
		                 it->finished - it->started);
	} else if (it->status == RUN_SKIPPED) {
		buf_puts(&m, "SKIP relation ");
		relation_label(it->node, &m);
		console_progress(&s->con, it->index, total, m.p, "SKIP", CC_YELLOW, -1);
	} else {
		buf_puts(&m, "ERROR loading seed file ");
		relation_label(it->node, &m);
		console_progress(&s->con, it->index, total, m.p, "ERROR", CC_RED, it->finished - it->started);
	}
	buf_release(&m);
}

static enum run_status execute(void *ud, int worker, struct run_item *it)
{
	struct seed_run *s = ud;
	struct diag d;
	diag_init(&d);
	enum run_status st = RUN_ERROR;
	if (!s->conns[worker])
		s->conns[worker] = adapter_open(s->ad, &d);
	struct buf status = BUF_INIT;
	if (s->conns[worker] && load_seed(s, s->conns[worker], it->node, &status, &d) == 0)
		st = RUN_SUCCESS;
	pthread_mutex_lock(&s->mu);
	s->status[it->node->idx] = buf_detach(&status, NULL);
	if (d.msgs.n) {
		struct buf msg = BUF_INIT;
		diag_print(&d, &msg);
		s->why[it->node->idx] = buf_detach(&msg, NULL);
	}
	pthread_mutex_unlock(&s->mu);
	diag_release(&d);
	return st;
}

int cmd_seed(int argc, char **argv)
{
	struct project_opts o = { 0 };
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest;
	if (cli_parse_project_flags(argc, argv, &o, rest, &nrest) < 0) {
		free(rest);
		return 2;
	}
	struct cli_selection csel = { 0 };
	bool fail_fast = false;
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (cli_take_selection_flag(rest, nrest, &i, &csel))
			continue;
		if (!strcmp(rest[i], "--fail-fast") || !strcmp(rest[i], "-x")) {
			fail_fast = true;
		} else if (!strcmp(rest[i], "--full-refresh") || !strcmp(rest[i], "-f")) {
			/* seeds are always rebuilt whole (built beside and swapped in) */
		} else {
			fprintf(stderr, "silt seed: unknown argument '%s'\n", rest[i]);
			rc = 2;
		}
	}
	free(rest);
	if (rc) {
		cli_selection_release(&csel);
		return rc;
	}
	struct cli_parsed c;
	struct seed_run s = { 0 };
	struct gselect_opts so;
	struct gselection sel;
	rc = 2;
	if (cli_load_parse(&c, &o) < 0 || cli_selection_opts(&csel, 1u << GT_SEED, &so, &c.d) < 0 ||
	    graph_select(&c.a, c.r.m, &so, &sel, &c.d) < 0)
		goto done;
	struct project *pp = &c.p;
	struct parse_result *rr = &c.r;
	s.ad = adapter_new(pp->profile.output, pp->dir, &c.d);
	if (!s.ad)
		goto done;
	s.p = pp;
	s.r = rr;
	console_init(&s.con, stdout);
	pthread_mutex_init(&s.mu, NULL);
	int threads = o.threads ? o.threads : (int)(pp->profile.threads > 0 ? pp->profile.threads : 1);
	s.conns = xcalloc((size_t)threads, sizeof(*s.conns));
	s.why = xcalloc(rr->m->n, sizeof(char *));
	s.status = xcalloc(rr->m->n, sizeof(char *));
	console_line(&s.con, "Found %u seed%s", sel.n, sel.n == 1 ? "" : "s");
	console_line(&s.con, "%s", "");
	console_line(&s.con, "Concurrency: %d thread%s (target='%s')", threads, threads == 1 ? "" : "s",
	             pp->profile.target_name);
	console_line(&s.con, "%s", "");
	struct run_item *items = xcalloc(sel.n + 1, sizeof(*items));
	struct run_opts ro = { .threads = threads, .fail_fast = fail_fast, .execute = execute,
		               .on_start = on_start, .on_done = on_done, .ud = &s };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int failed = run_dag(rr->m, (struct gnode *const *)sel.nodes, sel.n, &ro, items);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int pass = 0, err = 0, skip = 0;
	for (uint32_t i = 0; i < sel.n; i++)
		pass += items[i].status == RUN_SUCCESS, err += items[i].status == RUN_ERROR,
		    skip += items[i].status == RUN_SKIPPED;
	console_line(&s.con, "%s", "");
	struct buf line = BUF_INIT;
	const struct console_count cnt[] = { { "seed", "seeds", (int)sel.n } };
	buf_puts(&line, "Finished running ");
	console_counts_text(&line, cnt, 1);
	if (!sel.n)
		buf_puts(&line, "0 seeds");
	buf_puts(&line, " in ");
	console_duration_text(&line, secs);
	buf_putc(&line, '.');
	console_line(&s.con, "%s", line.p);
	console_line(&s.con, "%s", "");
	if (!err && !skip) {
		console_line(&s.con, "Completed successfully");
	} else {
		console_line(&s.con, "Completed with %d error%s:", err, err == 1 ? "" : "s");
		for (uint32_t i = 0; i < sel.n; i++)
			if (items[i].status == RUN_ERROR && s.why[items[i].node->idx]) {
				console_line(&s.con, "%s", "");
				console_line(&s.con, "Failure in seed %s (%s)", items[i].node->name,
				             items[i].node->original_file_path);
				fputs(s.why[items[i].node->idx], stdout);
			}
	}
	console_line(&s.con, "%s", "");
	buf_reset(&line);
	console_done_text(&line, pass, 0, err, skip, 0);
	console_line(&s.con, "%s", line.p);
	buf_release(&line);
	rc = failed ? 1 : 0;
	for (int i = 0; i < threads; i++)
		if (s.conns[i])
			adapter_close(s.conns[i]);
	for (uint32_t i = 0; i < rr->m->n; i++) {
		free((char *)s.why[i]);
		free(s.status[i]);
	}
	free(s.why);
	free(s.status);
	free(s.conns);
	free(items);
	pthread_mutex_destroy(&s.mu);
done:
	if (s.ad)
		adapter_free(s.ad);
	cli_parsed_release(&c);
	cli_selection_release(&csel);
	return rc;
}
