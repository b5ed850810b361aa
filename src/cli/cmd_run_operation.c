/* silt run-operation MACRO [--args YAML]: dbt's run-operation. The macro (`name`, or
 * `package.name`) is found as dbt's find_macro_by_name finds it — the root project's, then a
 * package's, then dbt's own — and called with the arguments of --args (a YAML mapping) at
 * execute time on the target's connection (run/hooks.c: run_operation): what it runs and logs
 * happens, what it returns is dropped. target/run_results.json holds the operation's one result
 * (its unique_id the macro's), manifest.json is written as by every parsing command.
 * Exit 0 when the macro ran, 1 when it failed ("Encountered an error while running
 * operation: ..."), 2 when there is no such macro or the arguments do not parse. */
#include <time.h>

#include "artifacts/artifacts.h"
#include "cli.h"
#include "run/compile.h"
#include "run/hooks.h"
#include "yaml/yaml.h"

/* The namespace that defines the macro (found's unique id set), or NULL. */
static const char *find_macro(struct cli_parsed *c, const char *pkg, const char *name,
                              const char **found)
{
	const char *order[64];
	size_t n = 0;
	if (pkg) {
		order[n++] = pkg;
	} else {
		if (c->p.name)
			order[n++] = c->p.name;
		for (size_t i = 0; i < c->r.npkgs && n < ARRAY_LEN(order) - 1; i++)
			if (c->r.pkgs[i].name)
				order[n++] = c->r.pkgs[i].name;
		order[n++] = "dbt";
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = arena_printf(&c->a, "macro.%s.%s", order[i], name);
		struct gmacro *m = graph_find_macro(c->r.m, str_from(id));
		if (m) {
			*found = m->unique_id;
			return order[i];
		}
	}
	return NULL;
}

static value result(struct arena *a, const char *unique_id, bool ok, double secs)
{
	value r = v_dict(a, 12);
	vdict_sets(r.dict, "status", v_cstr(ok ? "success" : "error"));
	vdict_sets(r.dict, "timing", v_list(a, 0));
	vdict_sets(r.dict, "thread_id", v_cstr("MainThread"));
	vdict_sets(r.dict, "execution_time", v_float(secs));
	vdict_sets(r.dict, "adapter_response", v_dict(a, 0));
	vdict_sets(r.dict, "message", v_none());
	vdict_sets(r.dict, "failures", v_int(ok ? 0 : 1));
	vdict_sets(r.dict, "unique_id", v_cstr(unique_id));
	vdict_sets(r.dict, "compiled", v_none());
	vdict_sets(r.dict, "compiled_code", v_none());
	vdict_sets(r.dict, "relation_name", v_none());
	vdict_sets(r.dict, "batch_results", v_none());
	return r;
}

static double now_secs(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int cmd_run_operation(int argc, char **argv)
{
	static const char usage[] = "usage: silt run-operation MACRO [--args YAML] [--project-dir D] "
	                            "[--profiles-dir D] [--target T] [--vars YAML]\n";
	struct project_opts o = { 0 };
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	const char *macro = NULL, *args_text = NULL;
	int rc = 0;
	for (int i = 0; i < nrest && !rc; i++) {
		if (!strcmp(rest[i], "--args") && i + 1 < nrest) {
			args_text = rest[++i];
		} else if (rest[i][0] != '-' && !macro) {
			macro = rest[i];
		} else {
			fprintf(stderr, "silt run-operation: unknown argument '%s'\n%s", rest[i], usage);
			rc = 2;
		}
	}
	free(rest);
	if (!rc && !macro) {
		fprintf(stderr, "silt run-operation: a macro name is required\n%s", usage);
		rc = 2;
	}
	if (rc)
		return rc;
	double t0 = now_secs();
	struct cli_parsed c;
	struct adapter *ad = NULL;
	struct adapter_conn *conn = NULL;
	rc = 2;
	if (cli_load_parse(&c, &o) < 0)
		goto done;
	struct diag *d = &c.d;
	value kwargs = v_undef();
	if (args_text && (yaml_load_value(&c.a, "--args", args_text, strlen(args_text), &kwargs, d) < 0 ||
	                  (kwargs.type != VT_DICT && kwargs.type != VT_NONE))) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "The YAML provided in the --args argument is not valid: expected a mapping "
		         "such as '{name: value}'");
		goto done;
	}
	const char *dot = strchr(macro, '.'), *pkg = NULL, *name = macro, *unique_id = NULL;
	if (dot) {
		pkg = arena_strndup(&c.a, macro, (size_t)(dot - macro));
		name = dot + 1;
	}
	const char *ns = find_macro(&c, pkg, name, &unique_id);
	if (!ns) {
		if (pkg)
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "dbt could not find a macro with the name \"%s\" in the \"%s\" package",
			         name, pkg);
		else
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "dbt could not find a macro with the name \"%s\" in any package", name);
		goto done;
	}
	if (cli_globals.write_json && cli_write_manifest(&c.p, &c.r, &c.a, d) < 0)
		goto done;
	struct project *p = &c.p;
	const char *invocation = artifacts_uuid4(&c.a), *started = artifacts_now_iso(&c.a);
	ad = adapter_new(p->profile.output, p->dir, d);
	if (!ad || !(conn = adapter_open(ad, d)))
		goto done;
	struct console con;
	console_init(&con, stdout);
	struct node_compiler nc;
	node_compiler_init(&nc, p, &c.r);
	struct hook_run h = { p, &c.r, &nc, ad, &conn, &con };
	struct diag od;
	diag_init(&od);
	bool ok = run_operation(&h, ns, name, kwargs, &od) == 0;
	if (!ok) {
		char *msg = run_error_text(&od);
		console_error_line(&con, "Encountered an error while running operation: %s", msg);
		free(msg);
	}
	diag_release(&od);
	node_compiler_release(&nc);
	rc = ok ? 0 : 1;
	if (cli_globals.write_json) {
		value results = v_list(&c.a, 1);
		vlist_push(results.list, result(&c.a, unique_id, ok, now_secs() - t0));
		value top = artifacts_run_results(&c.a, invocation, started, results, now_secs() - t0,
		                                  "run-operation");
		if (artifacts_write_json(project_target_file(p, &c.a, "run_results.json"), top, d) < 0)
			rc = 2;
	}
done:
	if (conn)
		adapter_close(conn);
	if (ad)
		adapter_free(ad);
	cli_parsed_release(&c);
	return rc;
}
