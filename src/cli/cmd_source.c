/* silt source freshness: dbt's `dbt source freshness` — select sources (-s/--select, --exclude,
 * --selector; only sources with a freshness check run), check them (run/freshness.c) and write
 * sources.json to the target folder or to -o/--output.
 *
 * Inside a step of `silt job run` (cli_job_current) the check runs in the step's environment:
 * its target, threads, schema, database, credentials and variables, as the run commands do; the
 * sources.json it writes is kept as the step's artifact. cli_load_parse_step (here, shared with
 * cmd_clone.c) does that set-up. */
#include <signal.h>

#include "jobs.h"
#include "run/freshness.h"

int cli_load_parse_step(struct cli_parsed *c, struct project_opts *o, struct arena *a)
{
	struct cli_job_ctx *ctx = cli_job_current;
	if (!ctx)
		return cli_load_parse(c, o);
	struct cli_overlay ov;
	struct store_effective eff;
	struct diag d;
	diag_init(&d);
	int rc = cli_step_env(ctx, o, a, &ov, &eff, &d);
	if (rc == 0)
		rc = cli_load_parse_over(c, o, &ov);
	else {
		memset(c, 0, sizeof(*c));
		diag_init(&c->d);
		arena_init(&c->a);
	}
	for (size_t i = 0; i < d.msgs.n; i++)
		diag_move(&c->d, &d.msgs.v[i]);
	diag_release(&d);
	if (c->loaded && c->p.dir) { /* the step's artifacts are read from its target folder (cmd_job.c) */
		const char *tp = c->p.target_path ? c->p.target_path : "target";
		free(ctx->target_dir);
		ctx->target_dir = tp[0] == '/' ? strdup(tp) : strdup(arena_printf(&c->a, "%s/%s", c->p.dir, tp));
	}
	return rc;
}

static int freshness(int argc, char **argv)
{
	struct project_opts o = { 0 };
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	struct cli_selection csel = { 0 };
	struct freshness_opts fo = { 0 };
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (cli_take_selection_flag(rest, nrest, &i, &csel))
			continue;
		if ((!strcmp(rest[i], "-o") || !strcmp(rest[i], "--output")) && i + 1 < nrest)
			fo.output = rest[++i];
		else {
			fprintf(stderr, "silt source freshness: %s '%s'\n",
			        rest[i][0] == '-' ? "unknown option or missing value" : "unknown argument",
			        rest[i]);
			rc = 2;
		}
	}
	free(rest);
	fo.no_write_json = !cli_globals.write_json;
	if (rc) {
		cli_selection_release(&csel);
		return rc;
	}
	struct arena ea;
	arena_init(&ea);
	struct cli_parsed c;
	struct gselect_opts so;
	struct gselection sel;
	rc = 2;
	if (cli_load_parse_step(&c, &o, &ea) < 0 ||
	    cli_selection_opts(&csel, 1u << GT_SOURCE, &so, c.selectors, &c.d) < 0 ||
	    cli_selection_state(&csel, &c, &so) < 0 || graph_select(&c.a, c.r.m, &so, &sel, &c.d) < 0)
		goto done;
	if (!fo.no_write_json && cli_write_manifest(&c.p, &c.r, &c.a, &c.d) < 0)
		goto done;
	fo.threads = o.threads;
	fo.target_name = c.p.profile.target_name;
	fo.interrupt = &cli_interrupted;
	struct sigaction old;
	cli_catch_sigint(&old);
	rc = freshness_run(&c.p, &c.r, (struct gnode *const *)sel.nodes, sel.n, &fo, &c.d);
	sigaction(SIGINT, &old, NULL);
	if (cli_interrupted) {
		fprintf(stderr, "silt: %s; sources that had not started were not checked\n",
		        cli_interrupt_why ? cli_interrupt_why : "interrupted");
		rc = rc ? rc : 1;
	}
done:
	cli_parsed_release(&c);
	cli_selection_release(&csel);
	arena_release(&ea);
	return rc;
}

int cmd_source(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "freshness")) {
		fprintf(stderr, "usage: silt source freshness [-s SELECTOR] [--exclude SELECTOR] "
		                "[-o PATH] [project flags]\n");
		return 2;
	}
	return freshness(argc - 1, argv + 1);
}
