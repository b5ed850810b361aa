/* silt selftest compile DIR: renders templates in the dbt context (tests/compile/README.md). */
#include "cli.h"
#include "casefile.h"
#include "adapter/adapter.h"
#include "compile/compile.h"
#include "json/json.h"

#include <unistd.h>

struct case_project {
	value vars, env, refs, sources;
};

static int case_var(void *ud, const char *package, struct str name, value *out)
{
	(void)package;
	const struct case_project *cp = ud;
	return cp->vars.type == VT_DICT && vdict_gets(cp->vars.dict, name, out) ? 1 : 0;
}

static int case_env(void *ud, struct str name, value *out)
{
	const struct case_project *cp = ud;
	return cp->env.type == VT_DICT && vdict_gets(cp->env.dict, name, out) ? 1 : 0;
}

static int case_ref(void *ud, const char *from, struct str package, struct str name, value version,
                    value *out)
{
	(void)from;
	(void)package;
	(void)version;
	const struct case_project *cp = ud;
	return cp->refs.type == VT_DICT && vdict_gets(cp->refs.dict, name, out) ? 1 : 0;
}

static int case_source(void *ud, struct str source, struct str table, value *out)
{
	const struct case_project *cp = ud;
	char key[256];
	snprintf(key, sizeof(key), "%.*s.%.*s", (int)source.n, source.p, (int)table.n, table.p);
	return cp->sources.type == VT_DICT && vdict_gets(cp->sources.dict, str_from(key), out) ? 1 : 0;
}

static const char *get_cstr(struct arena *a, value d, const char *key, const char *dflt)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(key), &v) && v.type == VT_STR)
		return arena_strndup(a, v.s, v.len);
	return dflt;
}

static value get_val(value d, const char *key)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(key), &v))
		return v;
	return v_undef();
}

/* The capture as JSON: {"refs": [[pkg, name, version]], "sources": [[s, t]], "config": {...}} */
static value capture_value(struct arena *a, const struct dbt_capture *c)
{
	value out = v_dict(a, 3), refs = v_list(a, 0), sources = v_list(a, 0);
	for (size_t i = 0; i < c->refs.n; i++) {
		const struct dbt_ref *r = &c->refs.v[i];
		value t[3] = { v_strs(r->package), v_strs(r->name),
			       r->version.type == VT_UNDEF ? v_none() : r->version };
		vlist_push(refs.list, v_list(a, 0));
		for (int k = 0; k < 3; k++)
			vlist_push(refs.list->v[refs.list->n - 1].list, t[k]);
	}
	for (size_t i = 0; i < c->sources.n; i++) {
		value t = v_list(a, 2);
		vlist_push(t.list, v_strs(c->sources.v[i].source));
		vlist_push(t.list, v_strs(c->sources.v[i].table));
		vlist_push(sources.list, t);
	}
	vdict_sets(out.dict, "refs", refs);
	vdict_sets(out.dict, "sources", sources);
	vdict_sets(out.dict, "config", c->config.type == VT_DICT ? c->config : v_dict(a, 0));
	return out;
}

/* `--- table NAME` holds JSON {"columns": [names], "rows": [[cells]]}: a query result, put in the
 * context under NAME as the agate table dbt would make of it. */
static int case_table(struct arena *a, const struct case_section *s, value *out, struct diag *d)
{
	value spec, cols, rows;
	if (json_parse(a, "table", s->body.p, s->body.n, &spec, d) < 0)
		return -1;
	if (spec.type != VT_DICT || !vdict_gets(spec.dict, STR("columns"), &cols) ||
	    cols.type != VT_LIST || !vdict_gets(spec.dict, STR("rows"), &rows) || rows.type != VT_LIST) {
		diag_add(d, DIAG_ERROR, "table", 0, 0, NULL, 0, "a table wants {\"columns\": [...], \"rows\": [[...]]}");
		return -1;
	}
	struct adapter_table t = { cols.list->n, rows.list->n, NULL, rows };
	t.cols = arena_zalloc(a, (t.ncols + 1) * sizeof(*t.cols));
	for (size_t i = 0; i < t.ncols; i++) {
		value n = cols.list->v[i];
		t.cols[i].name = n.type == VT_STR ? arena_strndup(a, n.s, n.len) : "";
		t.cols[i].type = "";
		t.cols[i].index = (int)i + 1;
	}
	for (size_t r = 0; r < t.nrows; r++)
		if (rows.list->v[r].type != VT_LIST || rows.list->v[r].list->n != t.ncols) {
			diag_add(d, DIAG_ERROR, "table", 0, 0, NULL, 0, "row %zu does not have %zu cells", r + 1, t.ncols);
			return -1;
		}
	*out = dbt_agate_table(a, &t);
	return 0;
}

/* Renders with stdout sent to a temporary file whose text ends up in `out` (print, log,
 * print_table), when `capture` is set. */
static void render_capturing(struct jinja_env *env, struct jinja_template *t, struct jinja_render *opts,
                             struct buf *got, struct diag *d, bool capture, struct buf *out)
{
	FILE *tmp = capture ? tmpfile() : NULL;
	int saved = -1;
	if (tmp) {
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		dup2(fileno(tmp), STDOUT_FILENO);
	}
	jinja_render(env, t, opts, got, d);
	if (!tmp)
		return;
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(tmp);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), tmp)) > 0)
		buf_append(out, chunk, n);
	fclose(tmp);
}

static bool run_case(const struct casefile *cf, struct buf *why)
{
	const struct case_section *tmpl = casefile_get(cf, "template");
	const struct case_section *projs = casefile_get(cf, "project");
	const struct case_section *want = casefile_get(cf, "output");
	const struct case_section *wantcap = casefile_get(cf, "captured");
	const struct case_section *err = casefile_get(cf, "error");
	const struct case_section *wantout = casefile_get(cf, "stdout");
	if (!tmpl) {
		buf_puts(why, "case needs a template");
		return false;
	}
	struct jinja_env *env = jinja_env_new();
	dbt_context_install(env);
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	struct buf got = BUF_INIT, printed = BUF_INIT;
	bool pass = true;
	value proj = v_undef();
	if (projs && json_parse(&a, "project", projs->body.p, projs->body.n, &proj, &d) < 0)
		goto report;
	for (size_t i = 0; i < cf->sections.n; i++) {
		const struct case_section *s = &cf->sections.v[i];
		if (!str_eqc(s->name, "macros"))
			continue;
		char *ns = xmemdup0(s->arg.p, s->arg.n);
		struct jinja_template *mt = jinja_parse(env, ns, s->body.p, s->body.n, &d);
		if (mt)
			jinja_add_macros(env, ns, mt);
		free(ns);
		if (!mt)
			goto report;
	}
	struct case_project cp = { get_val(proj, "vars"), get_val(proj, "env"), get_val(proj, "refs"),
		                   get_val(proj, "sources") };
	struct dbt_project_info info = { 0 };
	info.root_package = get_cstr(&a, proj, "root", "shop");
	info.adapter_type = get_cstr(&a, proj, "adapter", "sqlite");
	info.parent_adapters[0] = get_cstr(&a, proj, "parent_adapter", NULL);
	info.target = get_val(proj, "target");
	info.dispatch = get_val(proj, "dispatch");
	info.invocation_id = "00000000-0000-0000-0000-000000000000";
	info.var = case_var;
	info.env_var = case_env;
	info.resolve_ref = case_ref;
	info.resolve_source = case_source;
	info.ud = &cp;
	const char *phase = get_cstr(&a, proj, "phase", "parse");
	struct dbt_capture cap;
	dbt_capture_init(&cap);
	struct dbt_render r = { 0 };
	r.proj = &info;
	r.env = env;
	r.phase = !strcmp(phase, "execute") ? DBT_EXECUTE : DBT_PARSE;
	r.package = get_cstr(&a, proj, "package", info.root_package);
	r.node = get_val(proj, "node");
	r.this = get_val(proj, "this");
	r.cap = &cap;
	struct jinja_template *t = jinja_parse(env, "tmpl", tmpl->body.p, tmpl->body.n, &d);
	if (t) {
		struct jinja_render opts = { 0 };
		dbt_render_setup(&r, &a, &opts);
		for (size_t i = 0; i < cf->sections.n && !d.msgs.n; i++) {
			const struct case_section *s = &cf->sections.v[i];
			value tv;
			if (str_eqc(s->name, "table") && case_table(&a, s, &tv, &d) == 0)
				vdict_set(opts.ctx.dict, v_strdup(&a, s->arg.p, s->arg.n), tv);
		}
		if (!d.msgs.n)
			render_capturing(env, t, &opts, &got, &d, wantout != NULL, &printed);
	}
	if (!d.msgs.n && wantcap) {
		value wv, gv = capture_value(&a, &cap);
		struct diag d2;
		diag_init(&d2);
		if (json_parse(&a, "captured", wantcap->body.p, wantcap->body.n, &wv, &d2) < 0 ||
		    !v_equal(wv, gv)) {
			struct json_opts jo = JSON_OPTS_INIT;
			buf_puts(why, "captured: ");
			json_write(why, gv, &jo);
			buf_printf(why, "\n#   want:     %.*s\n#   ", (int)wantcap->body.n, wantcap->body.p);
			pass = false;
		}
		diag_release(&d2);
	}
	dbt_capture_release(&cap);
report:
	if (printed.n && printed.p[printed.n - 1] == '\n')
		printed.p[--printed.n] = 0; /* a section's text ends without its last newline */
	if (d.msgs.n) {
		struct buf msg = BUF_INIT;
		diag_format_msg(&d.msgs.v[0], &msg);
		if (!err || !str_eq(buf_str(&msg), err->body)) {
			buf_printf(why, "error: %s", buf_cstr(&msg));
			if (err)
				buf_printf(why, "\n#   want error: %.*s", (int)err->body.n, err->body.p);
			pass = false;
		}
		buf_release(&msg);
	} else if (err) {
		buf_printf(why, "no error; want: %.*s", (int)err->body.n, err->body.p);
		pass = false;
	} else if (wantout && !str_eq(buf_str(&printed), wantout->body)) {
		struct buf rg = BUF_INIT, rw = BUF_INIT;
		v_repr_str(buf_str(&printed), &rg);
		v_repr_str(wantout->body, &rw);
		buf_printf(why, "stdout: %s\n#   want:   %s", buf_cstr(&rg), buf_cstr(&rw));
		buf_release(&rg);
		buf_release(&rw);
		pass = false;
	} else if (want && !str_eq(buf_str(&got), want->body)) {
		struct buf rg = BUF_INIT, rw = BUF_INIT;
		v_repr_str(buf_str(&got), &rg);
		v_repr_str(want->body, &rw);
		buf_printf(why, "got:  %s\n#   want: %s", buf_cstr(&rg), buf_cstr(&rw));
		buf_release(&rg);
		buf_release(&rw);
		pass = false;
	}
	buf_release(&got);
	buf_release(&printed);
	diag_release(&d);
	arena_release(&a);
	jinja_env_free(env);
	return pass;
}

int selftest_compile(const char *dir) { return casefile_suite(dir, run_case); }
