/* silt compile: render every selected model, analysis and test in the execute phase and write
 * target/compiled/<package>/<path> and target/manifest.json (dbt compile). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapter/adapter.h"
#include "cli.h"
#include "run/compile.h"

/* The directories of the compiled files a worker has opened (O_PATH), by path: a file is then
 * opened by its last name only, not looked up again from the project directory down (for
 * 30,000 files, most of the cost of checking them). */
#define DIR_FDS_MAX 32 /* per worker */

struct dir_fds {
	struct map fds; /* directory path (in a) -> fd + 1, or -1 */
	struct arena a;
};

static void dir_fds_release(struct dir_fds *df)
{
	for (size_t i = 0; i < df->fds.n; i++)
		if ((intptr_t)df->fds.e[i].val > 0)
			close((int)((intptr_t)df->fds.e[i].val - 1));
	map_release(&df->fds);
	arena_release(&df->a);
}

/* The folder of path opened (O_PATH) in df: its fd, or -1 when it cannot be (or path has no
 * folder); *name: the last name of path. */
static int dir_fd_of(struct dir_fds *df, const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path || !slash[1])
		return -1;
	*name = slash + 1;
	struct str dir = str_make(path, (size_t)(slash - path));
	intptr_t v = (intptr_t)map_get(&df->fds, dir); /* fd + 1; -1: cannot be opened */
	if (!v) {
		if (df->fds.live >= DIR_FDS_MAX) { /* nodes come folder by folder: start over */
			dir_fds_release(df);
			map_init(&df->fds);
			arena_init(&df->a);
		}
		char *copy = arena_strndup(&df->a, dir.p, dir.n);
		int dfd = open(copy, O_PATH | O_DIRECTORY | O_CLOEXEC);
		v = dfd < 0 ? -1 : (intptr_t)dfd + 1;
		map_set(&df->fds, str_make(copy, dir.n), (void *)v);
	}
	return v < 0 ? -1 : (int)(v - 1);
}

static int open_file_in(struct dir_fds *df, const char *path)
{
	const char *name;
	int dfd = dir_fd_of(df, path, &name);
	return dfd < 0 ? open(path, O_RDONLY | O_CLOEXEC) : openat(dfd, name, O_RDONLY | O_CLOEXEC);
}

static int stat_file_in(struct dir_fds *df, const char *path, struct stat *st)
{
	const char *name;
	int dfd = dir_fd_of(df, path, &name);
	return dfd < 0 ? lstat(path, st) : fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW);
}

/* True when path already holds exactly text: rewriting it would cost a truncate and, on ext4, a
 * flush at close for each of thousands of unchanged files. */
static bool same_file(struct dir_fds *df, const char *path, const struct buf *text,
                      struct stat *st_out)
{
	int fd = open_file_in(df, path);
	if (fd < 0)
		return false;
	struct stat st;
	bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == text->n;
	*st_out = st;
	char chunk[8192];
	for (size_t off = 0; same && off < text->n;) {
		ssize_t k = read(fd, chunk, sizeof(chunk));
		if (k <= 0 || off + (size_t)k > text->n || memcmp(chunk, text->p + off, (size_t)k))
			same = false;
		else
			off += (size_t)k;
	}
	close(fd);
	return same;
}

/* The nodes compile on as many threads as the parse left Jinja environments (an environment
 * serves one thread), each with its own compiler and diag; the messages are then moved to the
 * main diag in node order, so the output is the same as on one thread. */
struct compile_worker {
	struct parse_result r; /* the parse's, with this worker's environment */
	struct node_compiler nc;
	struct adapter_conn *conn; /* dbt compile connects: run_query and is_incremental() need it */
	struct diag d;
	struct dir_fds dirs;
	struct arena ra; /* a node's render (reset after each) */
};

struct compiled {
	int rc; /* 0, 1 (compile error) or 2 (cannot write) */
	bool written;
	uint32_t w, from, to; /* its messages: worker w's diag [from, to) */
	struct compiled_rec rec;  /* the file as it is now, for the index (with has_rec) */
	bool has_rec;
	struct dbt_output out; /* on several workers: what its templates wrote (log, print) */
};

struct compile_job {
	struct gnode **nodes;
	size_t n;
	bool capture; /* several workers: each node's output is kept, written in node order */
	struct compile_worker *w;
	struct compiled *items;
	const struct compiled_index *ix; /* what the last compile wrote */
	const char *compiled_dir;        /* target/compiled */
};

static void compile_node(void *ud, int worker, size_t i)
{
	struct compile_job *job = ud;
	struct compile_worker *cw = &job->w[worker];
	struct compiled *it = &job->items[i];
	struct gnode *g = job->nodes[i];
	struct diag *d = &cw->d;
	it->w = (uint32_t)worker;
	it->from = (uint32_t)d->msgs.n;
	struct buf sql = BUF_INIT, out = BUF_INIT;
	struct dbt_runtime rt;
	dbt_runtime_init(&rt, cw->conn, &cw->ra);
	cw->nc.rt = cw->conn ? &rt : NULL;
	if (job->capture)
		dbt_output_capture(&it->out);
	int crc = node_compile(&cw->nc, g, &sql, d);
	if (job->capture)
		dbt_output_capture(NULL);
	cw->nc.rt = NULL;
	arena_reset(&cw->ra); /* the render's memory, reused by the worker's next node */
	if (crc < 0) {
		it->rc = 1;
		goto done;
	}
	buf_puts(&out, job->compiled_dir);
	buf_putc(&out, '/');
	size_t base = out.n;
	node_target_path(g, &out);
	struct str key = str_make(out.p + base, out.n - base);
	char hex[65];
	sha256_hex(sql.p ? sql.p : "", sql.n, hex);
	/* unchanged since the last compile wrote it: one fstatat (see compiled_index.c) */
	struct compiled_rec old;
	struct stat st;
	if (job->ix && compiled_index_get(job->ix, key, &old) &&
	    !memcmp(old.hex, hex, 64) && old.size == sql.n &&
	    stat_file_in(&cw->dirs, out.p, &st) == 0 && S_ISREG(st.st_mode)) {
		compiled_rec_set(&it->rec, hex, &st);
		if (compiled_rec_same(&old, &it->rec)) {
			it->has_rec = it->written = true;
			goto done;
		}
	}
	if (same_file(&cw->dirs, out.p, &sql, &st)) {
		compiled_rec_set(&it->rec, hex, &st);
		it->has_rec = it->written = true;
		goto done;
	}
	FILE *f = NULL;
	if (file_make_parents(out.p) == 0)
		f = fopen(out.p, "w");
	if (!f || fwrite(buf_cstr(&sql), 1, sql.n, f) != sql.n || fflush(f) != 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot write %s", out.p);
		it->rc = 2;
	} else {
		it->written = true;
		if (fstat(fileno(f), &st) == 0) {
			compiled_rec_set(&it->rec, hex, &st);
			it->has_rec = true;
		}
	}
	if (f)
		fclose(f);
done:
	it->to = (uint32_t)d->msgs.n;
	buf_release(&out);
	buf_release(&sql);
}

static void *load_index(void *arg)
{
	struct compiled_index *ix = arg;
	compiled_index_load(ix, ix->path);
	return NULL;
}

/* the first worker's compiler, built on a thread of its own */
struct first_init {
	struct compile_worker *w;
	struct project *p;
};

static void *init_first(void *arg)
{
	struct first_init *fi = arg;
	node_compiler_init(&fi->w->nc, fi->p, &fi->w->r);
	return NULL;
}

struct index_save {
	struct compiled_index *ix;
	const struct compiled_rec **recs;
	struct gnode **nodes;
	size_t n;
};

static void *save_index(void *arg)
{
	struct index_save *s = arg;
	/* the index is a cache: a failure to write it says nothing */
	compiled_index_save(s->ix, s->ix->path, s->recs, (const struct gnode *const *)s->nodes,
	                    s->n);
	return NULL;
}

/* What dbt prints of a compiled node --select names: "Compiled node 'name' is:" (or "Compiled
 * inline node is:") and its SQL; under --quiet the SQL alone, for piping. */
static void print_compiled(const char *name, const char *sql)
{
	if (!cli_globals.quiet) {
		if (name)
			printf("Compiled node '%s' is:\n", name);
		else
			printf("Compiled inline node is:\n");
	}
	printf("%s\n", sql);
}

/* compile --inline SQL: the query compiled in the root project's context and printed; nothing
 * is written under target/compiled. 0; 1 when it does not render, 2 when it does not parse
 * (dbt's "Error parsing inline query"), the error on c->d. */
static int compile_inline(struct cli_parsed *c, const char *sql, bool empty)
{
	if (!jinja_parse_in(c->r.env, &c->a, "inline_query", sql, strlen(sql), &c->d)) {
		diag_add(&c->d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "Error parsing inline query");
		return 2;
	}
	struct node_compiler nc;
	node_compiler_init(&nc, &c->p, &c->r);
	nc.empty = empty;
	struct adapter_conn *conn = nc.own_ad ? adapter_open(nc.own_ad, &c->d) : NULL;
	int rc = 2;
	if (!nc.own_ad || conn) {
		struct arena a;
		arena_init(&a);
		struct dbt_runtime rt;
		dbt_runtime_init(&rt, conn, &a);
		nc.rt = conn ? &rt : NULL;
		struct buf out = BUF_INIT;
		struct gnode *g = cli_inline_node(&c->a, c->p.name ? c->p.name : "", sql);
		rc = node_compile(&nc, g, &out, &c->d) == 0 ? 0 : 1;
		if (rc == 0)
			print_compiled(NULL, buf_cstr(&out));
		nc.rt = NULL;
		buf_release(&out);
		arena_release(&a);
	}
	if (conn)
		adapter_close(conn);
	node_compiler_release(&nc);
	return rc;
}

int cmd_compile(int argc, char **argv)
{
	struct project_opts o = { 0 };
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	struct cli_selection sel = { 0 };
	bool empty = false; /* --empty: refs and sources read no rows */
	const char *inl = NULL; /* --inline SQL */
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (cli_take_selection_flag(rest, nrest, &i, &sel))
			continue;
		if (!strcmp(rest[i], "--empty")) {
			empty = true;
			continue;
		}
		if (!strcmp(rest[i], "--inline") && i + 1 < nrest) {
			inl = rest[++i];
			continue;
		}
		fprintf(stderr, "silt compile: unknown argument '%s'\n", rest[i]);
		rc = 2;
	}
	free(rest);
	if (rc) {
		cli_selection_release(&sel);
		return rc;
	}
	struct cli_parsed c;
	struct gselect_opts so;
	struct gselection chosen;
	rc = 2;
	if (!empty && cli_env_bool("DBT_EMPTY") > 0)
		empty = true;
	if (cli_load_parse(&c, &o) < 0)
		goto done;
	if (inl) {
		rc = compile_inline(&c, inl, empty);
		goto done;
	}
	struct project *pp = &c.p;
	struct diag *d = &c.d;
	/* the nodes compile, a thread per parse environment (see compile_node) */
	int nw = 1;
	while ((size_t)nw <= c.r.nhelpers && c.r.helper_envs[nw - 1])
		nw++;
	struct compile_job job = {0};
	job.w = xcalloc((size_t)nw, sizeof(*job.w));
	for (int k = 0; k < nw; k++) {
		job.w[k].r = c.r;
		if (k)
			job.w[k].r.env = c.r.helper_envs[k - 1];
		diag_init(&job.w[k].d);
		arena_init(&job.w[k].ra);
		map_init(&job.w[k].dirs.fds);
		arena_init(&job.w[k].dirs.a);
	}
	/* while the selection is evaluated: the index of what the last compile wrote is read, and
	 * the first compiler indexes the manifest (the others copy its tables) */
	struct compiled_index ix;
	compiled_index_init(&ix);
	ix.path = project_target_file(pp, &c.a, ".silt_compiled");
	job.compiled_dir = project_target_file(pp, &c.a, "compiled");
	struct first_init fi = {&job.w[0], pp};
	struct par_task loading, initing;
	par_spawn(&loading, load_index, &ix);
	par_spawn(&initing, init_first, &fi);
	int srt = cli_selection_opts(&sel, 0, &so, c.selectors, d) < 0 ||
	                  cli_selection_state(&sel, &c, &so) < 0 ||
	                  graph_select(&c.a, c.r.m, &so, &chosen, d) < 0
	              ? -1
	              : 0;
	par_wait(&initing);
	for (int k = 1; k < nw; k++)
		node_compiler_init_like(&job.w[k].nc, pp, &job.w[k].r, &job.w[0].nc);
	par_wait(&loading);
	trace_phase("compile: ready");
	job.ix = &ix;
	job.nodes = srt == 0 ? xcalloc(chosen.n + 1, sizeof(*job.nodes)) : NULL;
	for (uint32_t i = 0; srt == 0 && i < chosen.n; i++) {
		struct gnode *g = (struct gnode *)chosen.nodes[i];
		if (g->type != GT_MODEL && g->type != GT_ANALYSIS && g->type != GT_TEST)
			continue;
		job.nodes[job.n++] = g; /* ephemeral models too: dbt writes their own file */
	}
	job.items = xcalloc(job.n + 1, sizeof(*job.items));
	rc = srt == 0 ? 0 : 2;
	for (int k = 0; k < nw && rc == 0; k++) {
		job.w[k].nc.defer = cli_selection_defer(&sel, &chosen);
		job.w[k].nc.empty = empty;
		if (job.w[k].nc.own_ad && !(job.w[k].conn = adapter_open(job.w[k].nc.own_ad, d)))
			rc = 2;
	}
	struct index_save save = {&ix, NULL, job.nodes, job.n};
	struct par_task saving = {0};
	if (rc == 0) {
		job.capture = nw > 1 && job.n > 1;
		par_for(job.n, nw, 8, compile_node, &job);
		trace_phase("compile: nodes compiled");
		save.recs = xcalloc(job.n + 1, sizeof(*save.recs));
		for (size_t i = 0; i < job.n; i++)
			save.recs[i] = job.items[i].has_rec ? &job.items[i].rec : NULL;
		/* written beside the manifest: nothing here reads it */
		par_spawn(&saving, save_index, &save);
	}
	int written = 0;
	for (size_t i = 0; i < job.n; i++) {
		struct compiled *it = &job.items[i];
		struct diag *from = &job.w[it->w].d;
		dbt_output_flush(&it->out);
		for (uint32_t k = it->from; k < it->to; k++)
			diag_move(d, &from->msgs.v[k]);
		if (it->rc)
			rc = it->rc;
		written += it->written;
	}
	for (int k = nw - 1; k >= 0; k--) { /* the first compiler last: the others share its graph */
		adapter_close(job.w[k].conn);
		node_compiler_release(&job.w[k].nc);
		diag_release(&job.w[k].d);
		arena_release(&job.w[k].ra);
		dir_fds_release(&job.w[k].dirs);
	}
	free(job.w);
	/* after the nodes: a model's render may change its node dict (model.clear()), and the
	 * manifest is written as compiling left it */
	if (srt == 0 && cli_globals.write_json && cli_write_manifest(pp, &c.r, &c.a, d) < 0)
		rc = 2;
	par_wait(&saving);
	free(save.recs);
	compiled_index_release(&ix);
	/* as dbt: with --select, the SQL of each node whose name is part of its first value */
	for (size_t i = 0; rc == 0 && sel.select.n && i < job.n; i++) {
		if (!strstr(sel.select.v[0], job.nodes[i]->name))
			continue;
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/", job.compiled_dir);
		node_target_path(job.nodes[i], &path);
		size_t len;
		char *text = file_read_all(path.p, &len);
		if (text)
			print_compiled(job.nodes[i]->name, text);
		free(text);
		buf_release(&path);
	}
	free(job.items);
	free(job.nodes);
	if (srt == 0 && !cli_globals.quiet)
		printf("Compiled %d node%s into %s/compiled\n", written, written == 1 ? "" : "s",
		       pp->target_path ? pp->target_path : "target");
done:
	if (c.d.msgs.n) { /* printed as cli_parsed_release prints them, before the exit */
		cli_print_diag(&c.d);
		diag_clear(&c.d);
	}
	cli_exit_now(rc);
	cli_parsed_release(&c);
	cli_selection_release(&sel);
	return rc;
}
