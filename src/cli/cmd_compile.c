/* silt compile: render every selected model, analysis and test in the execute phase and write
 * target/compiled/<package>/<path> and target/manifest.json (dbt compile). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapter/adapter.h"
#include "cli.h"
#include "run/compile.h"

/* True when path already holds exactly text: rewriting it would cost a truncate and, on ext4, a
 * flush at close for each of thousands of unchanged files. */
static bool same_file(const char *path, const struct buf *text)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == text->n;
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

int cmd_compile(int argc, char **argv)
{
	struct project_opts o = { 0 };
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest;
	if (cli_parse_project_flags(argc, argv, &o, rest, &nrest) < 0) {
		free(rest);
		return 2;
	}
	struct cli_selection sel = { 0 };
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (cli_take_selection_flag(rest, nrest, &i, &sel))
			continue;
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
	if (cli_load_parse(&c, &o) < 0 || cli_selection_opts(&sel, 0, &so, c.selectors, &c.d) < 0 ||
	    cli_selection_state(&sel, &c, &so) < 0 ||
	    graph_select(&c.a, c.r.m, &so, &chosen, &c.d) < 0)
		goto done;
	struct project *pp = &c.p;
	struct diag *d = &c.d;
	struct node_compiler nc;
	node_compiler_init(&nc, pp, &c.r);
	nc.defer = cli_selection_defer(&sel, &chosen);
	/* dbt compile connects: introspective queries (run_query, is_incremental) need the warehouse */
	struct adapter_conn *conn = NULL;
	if (nc.own_ad) {
		conn = adapter_open(nc.own_ad, d);
		if (!conn) {
			node_compiler_release(&nc);
			rc = 2;
			goto done;
		}
	}
	rc = 0;
	int written = 0;
	for (uint32_t i = 0; i < chosen.n; i++) {
		struct gnode *g = (struct gnode *)chosen.nodes[i];
		if (g->type != GT_MODEL && g->type != GT_ANALYSIS && g->type != GT_TEST)
			continue;
		struct buf sql = BUF_INIT;
		struct arena ra;
		arena_init(&ra);
		struct dbt_runtime rt;
		dbt_runtime_init(&rt, conn, &ra);
		nc.rt = conn ? &rt : NULL;
		int crc = node_compile(&nc, g, &sql, d);
		nc.rt = NULL;
		arena_release(&ra);
		if (crc < 0) {
			rc = 1;
			buf_release(&sql);
			continue;
		}
		struct buf out = BUF_INIT;
		buf_printf(&out, "%s/%s/compiled/", pp->dir, pp->target_path ? pp->target_path : "target");
		node_target_path(g, &out);
		if (same_file(out.p, &sql)) {
			written++;
			buf_release(&out);
			buf_release(&sql);
			continue;
		}
		FILE *f = NULL;
		if (file_make_parents(out.p) == 0)
			f = fopen(out.p, "w");
		if (!f || fwrite(buf_cstr(&sql), 1, sql.n, f) != sql.n) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot write %s", out.p);
			rc = 2;
		} else {
			written++;
		}
		if (f)
			fclose(f);
		buf_release(&out);
		buf_release(&sql);
	}
	adapter_close(conn);
	node_compiler_release(&nc);
	if (cli_write_manifest(pp, &c.r, &c.a, d) < 0)
		rc = 2;
	printf("Compiled %d node%s into %s/compiled\n", written, written == 1 ? "" : "s",
	       pp->target_path ? pp->target_path : "target");
done:
	cli_parsed_release(&c);
	cli_selection_release(&sel);
	return rc;
}
