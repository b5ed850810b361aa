/* silt selftest jinja DIR: runs every tests/jinja case (see tests/jinja/README.md). */
#include "cli.h"
#include "casefile.h"
#include "jinja/jinja.h"
#include "json/json.h"

static bool has_flag(const struct casefile *cf, const char *flag)
{
	const struct case_section *s = casefile_get(cf, "flags");
	if (!s)
		return false;
	struct str f = s->body;
	size_t i = 0;
	while (i < f.n) {
		while (i < f.n && (f.p[i] == ' ' || f.p[i] == '\n' || f.p[i] == '\t'))
			i++;
		size_t j = i;
		while (j < f.n && f.p[j] != ' ' && f.p[j] != '\n' && f.p[j] != '\t')
			j++;
		if (j > i && str_eqc(str_make(f.p + i, j - i), flag))
			return true;
		i = j;
	}
	return false;
}

/* Runs one case; returns true when it passes, else fills why. */
static bool run_case(const struct casefile *cf, struct buf *why)
{
	const struct case_section *tmpl = casefile_get(cf, "template");
	const struct case_section *ctxs = casefile_get(cf, "context");
	const struct case_section *want = casefile_get(cf, "output");
	const struct case_section *err = casefile_get(cf, "error");
	if (!tmpl || (!want && !err)) {
		buf_puts(why, "case needs a template and an output or error section");
		return false;
	}
	bool native = has_flag(cf, "native"), lenient = has_flag(cf, "lenient");
	struct jinja_env *env = jinja_env_new();
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	struct buf got = BUF_INIT;
	bool pass = false, failed = false;

	for (size_t i = 0; i < cf->sections.n && !failed; i++) {
		const struct case_section *s = &cf->sections.v[i];
		if (!str_eqc(s->name, "macros"))
			continue;
		char *ns = xmemdup0(s->arg.p, s->arg.n);
		struct jinja_template *mt = jinja_parse(env, ns, s->body.p, s->body.n, &d);
		if (mt)
			jinja_add_macros(env, ns, mt);
		else
			failed = true;
		free(ns);
	}
	value ctx = v_undef();
	if (!failed && ctxs && json_parse(&a, "context", ctxs->body.p, ctxs->body.n, &ctx, &d) < 0)
		failed = true;
	struct jinja_template *t = failed ? NULL : jinja_parse(env, "tmpl", tmpl->body.p, tmpl->body.n, &d);
	if (t) {
		struct jinja_render opts = { .ctx = ctx, .arena = &a,
			                     .undef = lenient ? JINJA_UNDEF_LENIENT : JINJA_UNDEF_DEFAULT };
		if (native) {
			value v;
			if (jinja_render_native(env, t, &opts, &v, &d) == 0) {
				struct json_opts jo = JSON_OPTS_INIT;
				if (json_write(&got, v, &jo) < 0)
					buf_puts(&got, "<not JSON serializable>");
			}
		} else {
			jinja_render(env, t, &opts, &got, &d);
		}
	}
	if (d.msgs.n) {
		struct buf msg = BUF_INIT;
		diag_format_msg(&d.msgs.v[0], &msg);
		if (err && str_eq(buf_str(&msg), err->body)) {
			pass = true;
		} else {
			buf_printf(why, "error: %s", buf_cstr(&msg));
			if (err)
				buf_printf(why, "\n#   want error: %.*s", (int)err->body.n, err->body.p);
		}
		buf_release(&msg);
	} else if (err) {
		buf_printf(why, "no error; want: %.*s\n#   got output: %s", (int)err->body.n, err->body.p,
		           buf_cstr(&got));
	} else if (native) {
		/* compare values, not text: reparse the expected JSON */
		value wv, gv;
		struct diag d2;
		diag_init(&d2);
		if (json_parse(&a, "output", want->body.p, want->body.n, &wv, &d2) == 0 &&
		    json_parse(&a, "got", got.p, got.n, &gv, &d2) == 0 && v_equal(wv, gv) &&
		    wv.type == gv.type)
			pass = true;
		else
			buf_printf(why, "got:  %s\n#   want: %.*s", buf_cstr(&got), (int)want->body.n, want->body.p);
		diag_release(&d2);
	} else if (str_eq(buf_str(&got), want->body)) {
		pass = true;
	} else {
		struct buf r = BUF_INIT;
		v_repr_str(buf_str(&got), &r);
		buf_printf(why, "got:  %s\n#   want: ", buf_cstr(&r));
		buf_reset(&r);
		v_repr_str(want->body, &r);
		buf_puts(why, buf_cstr(&r));
		buf_release(&r);
	}
	buf_release(&got);
	diag_release(&d);
	arena_release(&a);
	jinja_env_free(env);
	return pass;
}

int selftest_jinja(const char *dir) { return casefile_suite(dir, run_case); }
