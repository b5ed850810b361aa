/* silt parse: read the project and write target/manifest.json (dbt parse). */

#include "artifacts/artifacts.h"
#include "cli.h"
#include "parse/parse.h"
#include "project/project.h"

extern char **environ;



/* dbt's stat line lists the kinds that have nodes: "Found 2 models, 1 seed, 450 macros". */
static void count(struct buf *b, uint32_t n, const char *one, const char *many)
{
	if (!n)
		return;
	buf_printf(b, "%s%u %s", b->n > 6 ? ", " : "", n, n == 1 ? one : many);
}

/* DBT_ENV_CUSTOM_ENV_* variables, prefix stripped (manifest metadata.env). */
static value custom_env(struct arena *a)
{
	value d = v_dict(a, 4);
	static const char prefix[] = "DBT_ENV_CUSTOM_ENV_";
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, prefix, sizeof(prefix) - 1))
			continue;
		const char *k = *e + sizeof(prefix) - 1, *eq = strchr(k, '=');
		if (!eq)
			continue;
		vdict_set(d.dict, v_strdup(a, k, (size_t)(eq - k)),
		          v_strdup(a, eq + 1, strlen(eq + 1)));
	}
	return d;
}

/* node_vars.json, built and written (to node_vars.json.tmp) on another thread while the
 * manifest is built and written: both only read the parse result, each allocates in its own
 * arena; the file is renamed into place once the manifest is written, as it was written after
 * it before */
struct vars_job {
	struct project *p;
	struct parse_result *r;
	struct arena a;
	const char *path;
	struct diag d;
	int rc;
};

static void *write_vars(void *arg)
{
	struct vars_job *j = arg;
	j->rc = artifacts_write_json_tmp(j->path, cli_node_vars(j->p, j->r, &j->a), true, &j->d);
	return NULL;
}

int cli_write_manifest(struct project *p, struct parse_result *r, struct arena *a, struct diag *d)
{
	struct vars_job vj = {.p = p, .r = r};
	arena_init(&vj.a);
	diag_init(&vj.d);
	vj.path = project_target_file(p, a, "node_vars.json");
	struct par_task vars;
	par_spawn(&vars, write_vars, &vj);
	struct arena tmp;
	arena_init(&tmp);
	struct manifest_meta mm = {0};
	mm.project_name = p->name;
	mm.adapter_type = p->has_profile ? p->profile.type : NULL;
	mm.env = custom_env(&tmp);
	mm.disabled = r->disabled;
	mm.docs = r->docs;
	const char *path = project_target_file(p, &tmp, "manifest.json");
	int rc = artifacts_write_manifest(path, r->m, &mm, d);
	trace_phase("manifest: written");
	arena_release(&tmp);
	par_wait(&vars);
	/* node_vars.json only beside a manifest written, its messages after the manifest's */
	if (rc == 0) {
		for (size_t i = 0; i < vj.d.msgs.n; i++)
			diag_move(d, &vj.d.msgs.v[i]);
		rc = vj.rc;
	}
	if (vj.rc == 0 && artifacts_commit_json(vj.path, rc == 0, d) < 0)
		rc = -1;
	diag_release(&vj.d);
	trace_phase("node_vars: written");
	arena_release(&vj.a);
	return rc < 0 ? -1 : 0;
}

int cmd_parse(int argc, char **argv)
{
	struct project_opts o = {0};
	if (cli_only_project_flags(argc, argv, &o) < 0)
		return 2;
	struct project p;
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	struct parse_result r = {0};
	int rc = 0;
	trace_phase("parse: command");
	if (project_load(&p, &o, &d) < 0 || parse_project(&p, &a, &r, &d) < 0 ||
	    cli_warnings_fail(&d) < 0) {
		rc = 2;
	} else if (cli_globals.write_json && cli_write_manifest(&p, &r, &a, &d) < 0) {
		rc = 2;
	}
	if (d.msgs.n)
		cli_print_diag(&d);
	if (rc == 0 && !cli_globals.quiet) {
		struct buf b = BUF_INIT;
		buf_puts(&b, "Found ");
		count(&b, r.nmodels, "model", "models");
		count(&b, r.nsnapshots, "snapshot", "snapshots");
		count(&b, r.nanalyses, "analysis", "analyses");
		count(&b, r.nseeds, "seed", "seeds");
		count(&b, r.ntests, "data test", "data tests");
		count(&b, r.nsources, "source", "sources");
		count(&b, r.nmacros, "macro", "macros");
		count(&b, r.nsemantic_models, "semantic model", "semantic models");
		count(&b, r.nunit_tests, "unit test", "unit tests");
		printf("%s\n", buf_cstr(&b));
		buf_release(&b);
	}
	cli_exit_now(rc);
	parse_result_release(&r);
	arena_release(&a);
	diag_release(&d);
	project_release(&p);
	trace_phase("parse: memory released");
	return rc;
}
