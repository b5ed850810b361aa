/* silt selftest compile DIR: renders templates in the dbt context (tests/compile/README.md). */
#include "cli.h"
#include "casefile.h"
#include "compile/compile.h"
#include "json/json.h"

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

static bool run_case(const struct casefile *cf, struct buf *why)
{
	const struct case_section *tmpl = casefile_get(cf, "template");
	const struct case_section *projs = casefile_get(cf, "project");
	const struct case_section *want = casefile_get(cf, "output");
	const struct case_section *wantcap = casefile_get(cf, "captured");
	const struct case_section *err = casefile_get(cf, "error");
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
	struct buf got = BUF_INIT;
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
		jinja_render(env, t, &opts, &got, &d);
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
	diag_release(&d);
	arena_release(&a);
	jinja_env_free(env);
	return pass;
}

int selftest_compile(const char *dir) { return casefile_suite(dir, run_case); }
