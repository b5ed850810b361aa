/* silt docs generate: parse the project, compile the selected nodes (unless --no-compile), write
 * target/manifest.json, then read the warehouse's relations in the schemas the manifest uses and
 * write target/catalog.json (dbt docs generate). dbt also copies its static docs site
 * (index.html); silt has none — its Explorer serves the docs — so nothing else is written. */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "adapter/adapter.h"
#include "artifacts/artifacts.h"
#include "cli.h"
#include "run/task.h"
#include "run/compile.h"
#include "run/console.h"

extern char **environ;

static value dget(value d, const char *k)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(k), &v))
		return v;
	return v_undef();
}

static bool is_ephemeral(const struct gnode *g)
{
	value m = dget(g->config, "materialized");
	return m.type == VT_STR && str_eqc(v_as_str(m), "ephemeral");
}

/* DBT_ENV_CUSTOM_ENV_* variables, prefix stripped (artifact metadata.env). */
static value custom_env(struct arena *a)
{
	value d = v_dict(a, 4);
	static const char prefix[] = "DBT_ENV_CUSTOM_ENV_";
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, prefix, sizeof(prefix) - 1))
			continue;
		const char *k = *e + sizeof(prefix) - 1, *eq = strchr(k, '=');
		if (eq)
			vdict_set(d.dict, v_strdup(a, k, (size_t)(eq - k)),
			          v_strdup(a, eq + 1, strlen(eq + 1)));
	}
	return d;
}

static int write_file(const char *path, const char *text, size_t n, struct diag *d)
{
	char *p = xstrdup(path);
	FILE *f = NULL;
	if (file_make_parents(p) == 0)
		f = fopen(p, "w");
	free(p);
	int rc = 0;
	if (!f || fwrite(text, 1, n, f) != n)
		rc = -1;
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc)
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "cannot write %s: %s", path,
		         strerror(errno));
	return rc;
}

/* g's manifest dict with the keys a compiled node gains (dbt's CompiledNode): compiled,
 * compiled_code, extra_ctes_injected and extra_ctes follow compiled_path, which is set. */
static value compiled_raw(struct arena *a, value raw, const char *sql, const char *compiled_path,
                          value extra_ctes)
{
	uint32_t n = raw.dict->n;
	value out = v_dict(a, n + 4);
	bool placed = false;
	for (uint32_t i = 0; i < n; i++) {
		value k = raw.dict->k[i];
		if (k.type == VT_STR && (str_eqc(v_as_str(k), "compiled") ||
		                         str_eqc(v_as_str(k), "compiled_code") ||
		                         str_eqc(v_as_str(k), "extra_ctes_injected") ||
		                         str_eqc(v_as_str(k), "extra_ctes")))
			continue;
		bool is_path = k.type == VT_STR && str_eqc(v_as_str(k), "compiled_path");
		vdict_set(out.dict, k, is_path ? v_cstr(compiled_path) : raw.dict->v[i]);
		if (is_path) {
			vdict_sets(out.dict, "compiled", v_bool(true));
			vdict_sets(out.dict, "compiled_code", v_cstr(sql));
			vdict_sets(out.dict, "extra_ctes_injected", v_bool(true));
			vdict_sets(out.dict, "extra_ctes", extra_ctes);
			placed = true;
		}
	}
	if (!placed) {
		vdict_sets(out.dict, "compiled_path", v_cstr(compiled_path));
		vdict_sets(out.dict, "compiled", v_bool(true));
		vdict_sets(out.dict, "compiled_code", v_cstr(sql));
		vdict_sets(out.dict, "extra_ctes_injected", v_bool(true));
		vdict_sets(out.dict, "extra_ctes", extra_ctes);
	}
	return out;
}

/* dbt compile's part of docs generate: every selected model, analysis and singular test is
 * rendered, written to target/compiled/<package>/<path> and marked compiled in the manifest.
 * Returns the number of nodes that failed (their errors are on d). */
static int compile_selected(struct cli_parsed *c, const struct gselection *sel, struct diag *d)
{
	struct project *p = &c->p;
	struct gmanifest *m = c->r.m;
	const char *tp = p->target_path ? p->target_path : "target";
	struct node_compiler nc;
	node_compiler_init(&nc, p, &c->r);
	int failed = 0;
	for (uint32_t k = 0; k < m->n; k++) {
		struct gnode *g = m->nodes[m->topo[k]];
		if (!(sel->bits[g->idx / 64] >> (g->idx % 64) & 1))
			continue;
		if (g->type != GT_MODEL && g->type != GT_ANALYSIS && g->type != GT_TEST)
			continue;
		if (g->generic_test || is_ephemeral(g) || g->raw.type != VT_DICT)
			continue; /* as silt compile: ephemerals land in their consumers */
		struct buf sql = BUF_INIT;
		if (node_compile(&nc, g, &sql, d) < 0) {
			failed++;
			buf_release(&sql);
			continue;
		}
		/* the ephemeral models injected as CTEs, as silt's compiler injects them */
		value ctes = v_list(&c->a, 0);
		for (uint32_t j = 0; j < g->nparents; j++) {
			struct gnode *e = m->nodes[g->parents[j]];
			if (e->type != GT_MODEL || !is_ephemeral(e))
				continue;
			struct buf inner = BUF_INIT;
			if (node_compile(&nc, e, &inner, d) == 0) {
				value cte = v_dict(&c->a, 2);
				vdict_sets(cte.dict, "id", v_cstr(e->unique_id));
				vdict_sets(cte.dict, "sql",
				           v_cstr(arena_printf(&c->a, "__dbt__cte__%s as (\n%s\n)", e->name,
				                               buf_cstr(&inner))));
				vlist_push(ctes.list, cte);
			}
			buf_release(&inner);
		}
		value path = dget(g->raw, "original_file_path");
		const char *rel = path.type == VT_STR && g->type != GT_TEST ? path.s : g->path;
		const char *cpath = arena_printf(&c->a, "%s/compiled/%s/%s", tp, g->package, rel);
		const char *full =
		    tp[0] == '/' ? cpath : arena_printf(&c->a, "%s/%s", p->dir, cpath);
		if (write_file(full, buf_cstr(&sql), sql.n, d) < 0)
			failed++;
		const char *code = arena_strndup(&c->a, buf_cstr(&sql), sql.n);
		g->raw = compiled_raw(&c->a, g->raw, code, cpath, ctes);
		buf_release(&sql);
	}
	node_compiler_release(&nc);
	return failed;
}

static int docs_generate(int argc, char **argv)
{
	struct project_opts o = { 0 };
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	struct cli_selection csel = { 0 };
	bool compile = true, empty_catalog = false;
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (cli_take_selection_flag(rest, nrest, &i, &csel))
			continue;
		if (!strcmp(rest[i], "--no-compile"))
			compile = false;
		else if (!strcmp(rest[i], "--compile"))
			compile = true;
		else if (!strcmp(rest[i], "--empty-catalog"))
			empty_catalog = true;
		else if (!strcmp(rest[i], "--static")) {
			fprintf(stderr, "silt docs generate: --static writes dbt's static docs site, "
			                "which silt does not have (its Explorer serves the docs)\n");
			rc = 2;
		} else {
			fprintf(stderr, "silt docs generate: unknown argument '%s'\n", rest[i]);
			rc = 2;
		}
	}
	free(rest);
	if (rc) {
		cli_selection_release(&csel);
		return rc;
	}
	struct cli_parsed c;
	struct adapter *ad = NULL;
	struct adapter_conn *conn = NULL;
	struct console con;
	console_init(&con, stdout);
	rc = 2;
	if (cli_load_parse(&c, &o) < 0)
		goto done;
	struct project *p = &c.p;
	struct gmanifest *m = c.r.m;
	struct diag *d = &c.d;
	task_found_line(&con, &c.r);
	const char *invocation = artifacts_uuid4(&c.a), *started = artifacts_now_iso(&c.a);

	/* dbt keeps the selection only when it compiles (the compile step's job queue decides
	 * which nodes the catalog keeps); --no-compile catalogs everything */
	const uint64_t *keep = NULL;
	int failed = 0;
	if (compile) {
		struct gselect_opts so;
		struct gselection sel;
		if (cli_selection_opts(&csel, 0, &so, c.selectors, d) < 0 ||
		    cli_selection_state(&csel, &c, &so) < 0 || graph_select(&c.a, m, &so, &sel, d) < 0)
			goto done;
		int threads = o.threads ? o.threads : (p->profile.threads > 0 ? (int)p->profile.threads : 1);
		console_line(&con, "%s", "");
		console_line(&con, "Concurrency: %d threads (target='%s')", threads,
		             p->profile.target_name ? p->profile.target_name : "");
		console_line(&con, "%s", "");
		failed = compile_selected(&c, &sel, d);
		keep = sel.bits;
	}

	const char *tp = p->target_path ? p->target_path : "target";
	const char *tdir = tp[0] == '/' ? tp : arena_printf(&c.a, "%s/%s", p->dir, tp);
	struct manifest_meta mm = { 0 };
	mm.project_name = p->name;
	mm.adapter_type = p->has_profile ? p->profile.type : NULL;
	mm.invocation_id = invocation;
	mm.env = custom_env(&c.a);
	mm.disabled = c.r.disabled;
	mm.docs = c.r.docs;
	/* (the catalog is what the command makes: it is written either way, as dbt's) */
	if (cli_globals.write_json &&
	    artifacts_write_manifest(arena_printf(&c.a, "%s/manifest.json", tdir), m, &mm, d) < 0)
		goto done;
	if (failed) {
		cli_print_diag(d);
		diag_release(d);
		diag_init(d);
		console_line(&con, "compile failed, cannot generate docs");
		rc = 1;
		goto done;
	}

	struct adapter_catalog_rel *rels = NULL;
	size_t nrels = 0;
	value errors = v_none();
	if (empty_catalog) {
		static const uint64_t none[1] = { 0 };
		keep = m->n ? arena_zalloc(&c.a, ((m->n + 63) / 64) * sizeof(uint64_t)) : none;
	} else {
		ad = adapter_new(p->profile.output, p->dir, d);
		if (!ad || !(conn = adapter_open(ad, d)))
			goto done;
		console_line(&con, "Building catalog");
		if (artifacts_catalog_query(conn, m, &c.a, &rels, &nrels, &errors, d) < 0)
			goto done;
	}
	struct catalog_meta cm = { invocation, started, mm.env };
	value cat = artifacts_catalog(&c.a, m, rels, nrels, keep, errors, &cm);
	const char *cpath = arena_printf(&c.a, "%s/catalog.json", tdir);
	if (artifacts_write_json(cpath, cat, d) < 0)
		goto done;
	size_t nerr = errors.type == VT_LIST ? errors.list->n : 0;
	if (nerr)
		console_line(&con, "silt encountered %zu failure%s while writing the catalog", nerr,
		             nerr == 1 ? "" : "s");
	char abs[PATH_MAX];
	console_line(&con, "Catalog written to %s", realpath(cpath, abs) ? abs : cpath);
	rc = nerr ? 1 : 0;
done:
	if (conn)
		adapter_close(conn);
	if (ad)
		adapter_free(ad);
	cli_parsed_release(&c);
	cli_selection_release(&csel);
	return rc;
}

int cmd_docs(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "generate"))
		return docs_generate(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "serve")) {
		fprintf(stderr, "silt docs serve: silt has no static docs site; its Explorer "
		                "will serve the docs (silt serve)\n");
		return 2;
	}
	fprintf(stderr, "usage: silt docs generate [--no-compile] [--empty-catalog] "
	                "[--select ...] [--exclude ...] [project flags]\n");
	return 2;
}
