/* The dbt Jinja context: the functions and objects dbt puts in front of every model, macro,
 * hook and test, for the parse phase (record ref/source/config) and the execute phase. */
#include <pthread.h>
#include <time.h>

#include "compile_int.h"
#include "json/json.h"
#include "yaml/yaml.h"

void dbt_capture_init(struct dbt_capture *c) { memset(c, 0, sizeof(*c)); }

void dbt_capture_release(struct dbt_capture *c)
{
	vec_free(&c->refs);
	vec_free(&c->sources);
	vec_free(&c->macros);
}

static struct dbt_render *R(struct jstate *st) { return jinja_userdata(st); }

/* ---- relations: what ref/source/this return (relation.c) ---- */

const struct adapter *dbt_render_adapter(struct jstate *st) { return R(st)->proj->adapter; }

static void rel_part(value v, struct buf *out)
{
	if (v.type != VT_STR)
		return;
	buf_putc(out, '"');
	for (uint32_t i = 0; i < v.len; i++) {
		if (v.s[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, v.s[i]);
	}
	buf_putc(out, '"');
}

/* The placeholder relation ref/source return at parse time: target database and schema. */
static value placeholder(struct jstate *st, struct str identifier)
{
	struct dbt_render *r = R(st);
	value db = v_none(), schema = v_none();
	if (r->proj->target.type == VT_DICT) {
		vdict_gets(r->proj->target.dict, STR("database"), &db);
		vdict_gets(r->proj->target.dict, STR("schema"), &schema);
	}
	return dbt_relation(jinja_arena(st), NULL, db, schema, v_strs(identifier), v_none());
}

static struct str arena_str(struct jstate *st, value v)
{
	return str_make(arena_strndup(jinja_arena(st), v.s, v.len), v.len);
}

/* ---- ref, source ---- */

static int fn_ref(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_render *r = R(st);
	value version = v_undef();
	for (uint32_t i = 0; i < args->nkw; i++) {
		if (str_eqc(args->kw[i].name, "v") || str_eqc(args->kw[i].name, "version"))
			version = args->kw[i].v;
		else
			return jinja_error(st, "ref() got an unexpected keyword argument '%.*s'",
			                   (int)args->kw[i].name.n, args->kw[i].name.p);
	}
	if (args->npos < 1 || args->npos > 2)
		return jinja_error(st, "ref() takes at most two arguments (%u given)", args->npos);
	for (uint32_t i = 0; i < args->npos; i++)
		if (args->pos[i].type != VT_STR)
			return jinja_error(st, "The name argument to ref() must be a string, got %s",
			                   v_type_name(args->pos[i]));
	struct str pkg = args->npos == 2 ? v_as_str(args->pos[0]) : STR("");
	struct str name = v_as_str(args->pos[args->npos - 1]);
	if (r->phase == DBT_PARSE) {
		if (r->cap) {
			struct dbt_ref ref = { pkg.n ? arena_str(st, args->pos[0]) : STR(""),
				               arena_str(st, args->pos[args->npos - 1]), version, 0 };
			vec_push(&r->cap->refs, ref);
		}
		*out = placeholder(st, name);
		return 0;
	}
	if (r->proj->resolve_ref &&
	    r->proj->resolve_ref(r->proj->ud, r->package, pkg, name, version, out) == 1)
		return 0;
	if (pkg.n)
		return jinja_error(st, "ref('%.*s', '%.*s') names no node", (int)pkg.n, pkg.p,
		                   (int)name.n, name.p);
	return jinja_error(st, "ref('%.*s') names no node", (int)name.n, name.p);
}

static int fn_source(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_render *r = R(st);
	if (args->npos != 2 || args->nkw)
		return jinja_error(st, "source() takes exactly two arguments (%u given)", args->npos + args->nkw);
	if (args->pos[0].type != VT_STR || args->pos[1].type != VT_STR)
		return jinja_error(st, "the arguments to source() must be strings");
	struct str s = v_as_str(args->pos[0]), t = v_as_str(args->pos[1]);
	if (r->phase == DBT_PARSE) {
		if (r->cap) {
			struct dbt_source_ref sr = { arena_str(st, args->pos[0]), arena_str(st, args->pos[1]), 0 };
			vec_push(&r->cap->sources, sr);
		}
		*out = placeholder(st, t);
		return 0;
	}
	if (r->proj->resolve_source && r->proj->resolve_source(r->proj->ud, s, t, out) == 1)
		return 0;
	return jinja_error(st, "source('%.*s', '%.*s') names no source", (int)s.n, s.p, (int)t.n, t.p);
}

/* ---- config: callable, with get/require ---- */

static value node_config(struct dbt_render *r)
{
	value c;
	if (r->phase == DBT_PARSE && r->cap && r->cap->config.type == VT_DICT)
		return r->cap->config;
	if (r->node.type == VT_DICT && vdict_gets(r->node.dict, STR("config"), &c) && c.type == VT_DICT)
		return c;
	return v_undef();
}

static int config_call(struct jstate *st, value self, const struct vargs *args, value *out)
{
	(void)self;
	struct dbt_render *r = R(st);
	*out = v_str("", 0);
	if (r->phase != DBT_PARSE || !r->cap)
		return 0;
	if (args->npos > 1 || (args->npos == 1 && args->pos[0].type != VT_DICT))
		return jinja_error(st, "config() takes keyword arguments or one dict");
	if (r->cap->config.type != VT_DICT)
		r->cap->config = v_dict(jinja_arena(st), 8);
	struct vdict *cfg = r->cap->config.dict;
	if (args->npos) {
		const struct vdict *d = args->pos[0].dict;
		for (uint32_t i = 0; i < d->n; i++)
			if (d->k[i].type != VT_UNDEF)
				vdict_set(cfg, d->k[i], d->v[i]);
	}
	for (uint32_t i = 0; i < args->nkw; i++)
		vdict_set(cfg, v_strs(args->kw[i].name), args->kw[i].v);
	return 0;
}

static int config_get(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)self;
	bool require = data != NULL;
	if (args->npos < 1 || args->pos[0].type != VT_STR)
		return jinja_error(st, "config.%s() wants a config name", require ? "require" : "get");
	value cfg = node_config(R(st)), v;
	if (cfg.type == VT_DICT && vdict_get(cfg.dict, args->pos[0], &v) && (!require || v.type != VT_NONE)) {
		*out = v;
		return 0;
	}
	if (require)
		return jinja_error(st, "missing config: %.*s", (int)args->pos[0].len, args->pos[0].s);
	*out = args->npos > 1 ? args->pos[1] : v_none();
	for (uint32_t i = 0; i < args->nkw; i++)
		if (str_eqc(args->kw[i].name, "default"))
			*out = args->kw[i].v;
	return 0;
}

static int config_getattr(struct jstate *st, value self, struct str name, value *out)
{
	if (str_eqc(name, "get"))
		*out = v_func(jinja_arena(st), "get", config_get, NULL, self);
	else if (str_eqc(name, "require"))
		*out = v_func(jinja_arena(st), "require", config_get, (void *)1, self);
	else
		return 0;
	return 1;
}

static const struct vclass config_class = {
	.name = "Config", .getattr = config_getattr, .call = config_call
};

/* ---- var, env_var ---- */

/* dbt's Var.get_rendered_var: a string var is itself rendered (as text) in the node's context. */
static int render_var(struct jstate *st, struct dbt_render *r, struct str name, value *out)
{
	if (out->type != VT_STR || !r->opts || (!memmem(out->s, out->len, "{{", 2) &&
	                                        !memmem(out->s, out->len, "{%", 2)))
		return 0;
	struct arena *a = jinja_arena(st);
	char *src = arena_strndup(a, out->s, out->len);
	char *tname = arena_printf(a, "var('%.*s')", (int)name.n, name.p);
	struct diag d;
	diag_init(&d);
	struct jinja_template *t = jinja_parse_in(r->env, a, tname, src, out->len, &d);
	struct buf b = BUF_INIT;
	int rc = t ? jinja_render(r->env, t, r->opts, &b, &d) : -1;
	if (rc < 0) {
		struct buf msg = BUF_INIT;
		diag_print(&d, &msg);
		rc = jinja_error(st, "%s", buf_cstr(&msg));
		buf_release(&msg);
	} else {
		*out = v_buf(a, &b);
	}
	buf_release(&b);
	diag_release(&d);
	return rc;
}

static int fn_var(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_render *r = R(st);
	if (args->npos < 1 || args->pos[0].type != VT_STR)
		return jinja_error(st, "var() wants the name of a variable");
	struct str name = v_as_str(args->pos[0]);
	if (r->proj->var) {
		int rc = r->proj->var(r->proj->ud, r->package, name, out);
		if (rc < 0)
			return jinja_error(st, "var('%.*s') could not be read", (int)name.n, name.p);
		if (rc == 1)
			return render_var(st, r, name, out);
	}
	if (args->npos > 1) {
		*out = args->pos[1];
		return 0;
	}
	if (r->phase == DBT_PARSE) {
		*out = v_none();
		return 0;
	}
	return jinja_error(st, "Required var '%.*s' not found in config", (int)name.n, name.p);
}

static int fn_env_var(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_render *r = R(st);
	if (args->npos < 1 || args->pos[0].type != VT_STR)
		return jinja_error(st, "env_var() wants the name of an environment variable");
	struct str name = v_as_str(args->pos[0]);
	if (r->proj->env_var && r->proj->env_var(r->proj->ud, name, out) == 1)
		return 0;
	if (args->npos > 1) {
		*out = jinja_str_value(st, args->pos[1]);
		return 0;
	}
	return jinja_error(st, "Env var required but not provided: '%.*s'", (int)name.n, name.p);
}

/* ---- helpers: log, print, exceptions, json, yaml, md5 ---- */

static _Thread_local struct dbt_output *output_capture;

void dbt_output_capture(struct dbt_output *o) { output_capture = o; }

static void output_direct(int stream, const char *s, size_t n)
{
	FILE *f = stream == 2 ? stderr : stdout;
	fwrite(s, 1, n, f);
	fflush(f);
}

void dbt_output_write(int stream, const char *s, size_t n)
{
	struct dbt_output *o = output_capture;
	if (!o) {
		output_direct(stream, s, n);
		return;
	}
	buf_putc(&o->text, (char)stream);
	buf_append(&o->text, (const char *)&n, sizeof(n));
	buf_append(&o->text, s, n);
}

void dbt_output_flush(struct dbt_output *o)
{
	for (size_t at = 0; at + 1 + sizeof(size_t) <= o->text.n;) {
		int stream = o->text.p[at];
		size_t n;
		memcpy(&n, o->text.p + at + 1, sizeof(n));
		at += 1 + sizeof(n);
		output_direct(stream, o->text.p + at, n);
		at += n;
	}
	buf_release(&o->text);
}

struct dbt_output_flags dbt_output_flags;

static int fn_log(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	value info = v_bool(false), msg = v_str("", 0);
	jinja_arg(args, 0, "msg", &msg);
	jinja_arg(args, 1, "info", &info);
	if (v_truthy(info) && !dbt_output_flags.quiet) {
		/* dbt's console shows a log event as "HH:MM:SS  message" (UTC), like silt's console */
		struct buf b = BUF_INIT;
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		buf_printf(&b, "%02d:%02d:%02d  ", tm.tm_hour, tm.tm_min, tm.tm_sec);
		jinja_to_str(msg, &b);
		buf_putc(&b, '\n');
		dbt_output_write(1, b.p, b.n);
		buf_release(&b);
	}
	(void)st;
	*out = v_str("", 0);
	return 0;
}

static int fn_print(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	(void)st;
	*out = v_str("", 0);
	if (dbt_output_flags.no_print)
		return 0;
	struct buf b = BUF_INIT;
	for (uint32_t i = 0; i < args->npos; i++) {
		if (i)
			buf_putc(&b, ' ');
		jinja_to_str(args->pos[i], &b);
	}
	buf_putc(&b, '\n');
	dbt_output_write(1, b.p, b.n);
	buf_release(&b);
	return 0;
}

static int fn_raise(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)self;
	(void)out;
	value msg = v_str("", 0);
	jinja_arg(args, 0, "msg", &msg);
	struct buf b = BUF_INIT;
	jinja_to_str(msg, &b);
	jinja_error(st, "%s%s", (const char *)data, buf_cstr(&b));
	buf_release(&b);
	return -1;
}

static int fn_warn(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	value msg = v_str("", 0);
	jinja_arg(args, 0, "msg", &msg);
	struct buf b = BUF_INIT;
	jinja_to_str(msg, &b);
	if (dbt_output_flags.warn_error) { /* (dbt's warn_or_error) */
		jinja_error(st, "%s", buf_cstr(&b));
		buf_release(&b);
		return -1;
	}
	if (!dbt_output_flags.quiet) {
		struct buf line = BUF_INIT;
		buf_printf(&line, "[WARNING]: %s\n", buf_cstr(&b));
		dbt_output_write(2, line.p, line.n);
		buf_release(&line);
	}
	buf_release(&b);
	*out = v_str("", 0);
	return 0;
}

static int fn_fromjson(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	value s = v_undef(), dflt = v_none();
	jinja_arg(args, 0, "string", &s);
	jinja_arg(args, 1, "default", &dflt);
	struct diag d;
	diag_init(&d);
	if (s.type != VT_STR || json_parse(jinja_arena(st), NULL, s.s, s.len, out, &d) < 0)
		*out = dflt;
	diag_release(&d);
	return 0;
}

static int fn_tojson(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	value v = v_none(), sort = v_bool(false);
	jinja_arg(args, 0, "value", &v);
	jinja_arg(args, 1, "sort_keys", &sort);
	struct json_opts o = JSON_OPTS_INIT;
	o.sort_keys = v_truthy(sort);
	struct buf b = BUF_INIT;
	if (json_write(&b, v, &o) < 0) {
		buf_release(&b);
		*out = v_none(); /* dbt returns the default (None) when it cannot serialise */
		return 0;
	}
	*out = v_buf(jinja_arena(st), &b);
	buf_release(&b);
	return 0;
}

static int fn_fromyaml(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	value s = v_undef(), dflt = v_none();
	jinja_arg(args, 0, "value", &s);
	jinja_arg(args, 1, "default", &dflt);
	struct diag d;
	diag_init(&d);
	if (s.type != VT_STR || yaml_load_value(jinja_arena(st), "<fromyaml>", s.s, s.len, out, &d) < 0)
		*out = dflt;
	diag_release(&d);
	return 0;
}

static int fn_local_md5(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	value s = v_str("", 0);
	jinja_arg(args, 0, "value", &s);
	s = jinja_str_value(st, s);
	char hex[33];
	md5_hex(s.s, s.len, hex);
	*out = v_strdup(jinja_arena(st), hex, 32);
	return 0;
}

/* ---- adapter: dispatch, quote, type ---- */

/* The macro namespace (a dict global) named by s, or NULL. */
static const struct vdict *ns_dict(const struct dbt_render *r, struct str s)
{
	char small[128];
	char *name = s.n < sizeof(small) ? small : xmalloc(s.n + 1);
	memcpy(name, s.p, s.n);
	name[s.n] = 0;
	value v;
	bool ok = jinja_get_global(r->env, name, &v) && v.type == VT_DICT;
	if (name != small)
		free(name);
	return ok ? v.dict : NULL;
}

size_t dbt_dispatch_packages(const struct dbt_project_info *p, struct str ns, bool ns_loaded,
                             struct str *out, size_t cap)
{
	size_t n = 0;
	value order;
	if (!ns.n) {
		out[n++] = STR("");
	} else if (p->dispatch.type == VT_DICT && vdict_gets(p->dispatch.dict, ns, &order) &&
	           order.type == VT_LIST) {
		for (uint32_t i = 0; i < order.list->n && n < cap; i++)
			if (order.list->v[i].type == VT_STR)
				out[n++] = v_as_str(order.list->v[i]);
	} else {
		/* an installed package: the root project may override its default__ macros */
		if (ns_loaded && p->root_package && !str_eqc(ns, p->root_package))
			out[n++] = str_from(p->root_package);
		out[n++] = ns;
	}
	return n;
}

size_t dbt_dispatch_prefixes(const struct dbt_project_info *p, const char **out, size_t cap)
{
	size_t n = 0;
	if (p->adapter_type)
		out[n++] = p->adapter_type;
	for (size_t i = 0; i < ARRAY_LEN(p->parent_adapters) && p->parent_adapters[i] && n < cap - 1;
	     i++)
		out[n++] = p->parent_adapters[i];
	out[n++] = "default";
	return n;
}

int dbt_dispatch(const struct dbt_render *r, struct str name, struct str ns, value *out)
{
	const struct dbt_project_info *p = r->proj;
	/* the packages to search, in order; an empty entry means the normal namespace */
	struct str packages[16];
	size_t npk = dbt_dispatch_packages(p, ns, ns.n && ns_dict(r, ns), packages,
	                                   ARRAY_LEN(packages));
	const char *prefixes[8];
	size_t npre = dbt_dispatch_prefixes(p, prefixes, ARRAY_LEN(prefixes));
	struct buf key = BUF_INIT;
	int found = 0;
	for (size_t i = 0; i < npk && !found; i++) {
		const struct vdict *scopes[3];
		size_t nscopes = 0;
		if (packages[i].n) {
			const struct vdict *d = ns_dict(r, packages[i]);
			if (d)
				scopes[nscopes++] = d;
		} else {
			for (size_t k = 0; k < ARRAY_LEN(r->scopes); k++)
				if (r->scopes[k])
					scopes[nscopes++] = r->scopes[k];
		}
		for (size_t j = 0; j < npre && !found; j++) {
			buf_reset(&key); /* "<prefix>__<name>" */
			buf_puts(&key, prefixes[j]);
			buf_append(&key, "__", 2);
			buf_putstr(&key, name);
			for (size_t k = 0; k < nscopes && !found; k++)
				if (vdict_gets(scopes[k], buf_str(&key), out))
					found = 1;
		}
	}
	buf_release(&key);
	return found;
}

static int adapter_dispatch(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_render *r = R(st);
	value name = v_undef(), ns = v_none();
	jinja_arg(args, 0, "macro_name", &name);
	jinja_arg(args, 1, "macro_namespace", &ns);
	if (name.type != VT_STR)
		return jinja_error(st, "adapter.dispatch() wants a macro name");
	if (memchr(name.s, '.', name.len))
		return jinja_error(st, "In adapter.dispatch, got a string packages argument ('%.*s'), but "
		                       "macro names may not contain dots", (int)name.len, name.s);
	struct str nss = ns.type == VT_STR ? v_as_str(ns) : STR("");
	if (dbt_dispatch(r, v_as_str(name), nss, out))
		return 0;
	if (r->phase == DBT_PARSE && jinja_undef_mode(st) == JINJA_UNDEF_LENIENT) {
		*out = v_undef();
		return 0;
	}
	return jinja_error(st, "In dispatch: No macro named '%.*s' found within namespace: '%.*s'",
	                   (int)name.len, name.s, (int)nss.n, nss.p);
}

static int adapter_quote(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	value s = v_str("", 0);
	jinja_arg(args, 0, "identifier", &s);
	s = jinja_str_value(st, s);
	struct buf b = BUF_INIT;
	rel_part(s, &b);
	*out = v_buf(jinja_arena(st), &b);
	buf_release(&b);
	return 0;
}

static int adapter_type(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	(void)args;
	const char *t = R(st)->proj->adapter_type;
	*out = v_cstr(t ? t : "");
	return 0;
}

static int adapter_get_relation(struct jstate *st, void *data, value self, const struct vargs *args,
                                value *out)
{
	(void)data;
	(void)self;
	struct dbt_render *r = R(st);
	value db = v_none(), schema = v_none(), ident = v_none();
	jinja_arg(args, 0, "database", &db);
	jinja_arg(args, 1, "schema", &schema);
	jinja_arg(args, 2, "identifier", &ident);
	*out = v_none();
	if (r->phase == DBT_EXECUTE && r->proj->get_relation &&
	    r->proj->get_relation(r->proj->ud, db, schema, ident, out) < 0)
		return jinja_error(st, "%s", r->rt && r->rt->db_message ? r->rt->db_message
		                                                         : "adapter.get_relation failed");
	return 0;
}

static int adapter_getattr(struct jstate *st, value self, struct str name, value *out)
{
	if (str_eqc(name, "dispatch"))
		*out = v_func(jinja_arena(st), "dispatch", adapter_dispatch, NULL, self);
	else if (str_eqc(name, "quote"))
		*out = v_func(jinja_arena(st), "quote", adapter_quote, NULL, self);
	else if (str_eqc(name, "type"))
		*out = v_func(jinja_arena(st), "type", adapter_type, NULL, self);
	else if (str_eqc(name, "get_relation"))
		*out = v_func(jinja_arena(st), "get_relation", adapter_get_relation, NULL, self);
	else
		return dbt_adapter_method(st, self, name, out);
	return 1;
}

static const struct vclass adapter_class = { .name = "Adapter", .getattr = adapter_getattr };

/* ---- installation and per-render setup ---- */

struct dbt_fn {
	const char *name;
	vfunc_fn fn;
	void *data;
};
static const struct dbt_fn dbt_functions[] = {
	{ "ref", fn_ref, NULL },
	{ "source", fn_source, NULL },
	{ "var", fn_var, NULL },
	{ "env_var", fn_env_var, NULL },
	{ "log", fn_log, NULL },
	{ "print", fn_print, NULL },
	{ "fromjson", fn_fromjson, NULL },
	{ "tojson", fn_tojson, NULL },
	{ "fromyaml", fn_fromyaml, NULL },
	{ "toyaml", dbt_fn_toyaml, NULL },
	{ "local_md5", fn_local_md5, NULL },
};

void dbt_context_install(struct jinja_env *env)
{
	struct arena *a = jinja_env_arena(env);
	value builtins = v_dict(a, 16);
	for (size_t i = 0; i < ARRAY_LEN(dbt_functions); i++) {
		const struct dbt_fn *f = &dbt_functions[i];
		jinja_set_function(env, f->name, f->fn, f->data);
		value v;
		jinja_get_global(env, f->name, &v);
		vdict_sets(builtins.dict, f->name, v);
	}
	value exceptions = v_dict(a, 4);
	vdict_sets(exceptions.dict, "raise_compiler_error",
	           v_func(a, "raise_compiler_error", fn_raise, (void *)"Compilation Error: ", v_undef()));
	vdict_sets(exceptions.dict, "raise_not_implemented",
	           v_func(a, "raise_not_implemented", fn_raise, (void *)"Not implemented: ", v_undef()));
	vdict_sets(exceptions.dict, "warn", v_func(a, "warn", fn_warn, NULL, v_undef()));
	jinja_set_global(env, "exceptions", exceptions);
	vdict_sets(builtins.dict, "exceptions", exceptions);
	jinja_set_global(env, "builtins", builtins);
	value modules = v_dict(a, 4);
	modules.flags = VF_NAMESPACE;
	vdict_sets(modules.dict, "re", dbt_module_re(a));
	vdict_sets(modules.dict, "datetime", dbt_module_datetime(a));
	vdict_sets(modules.dict, "itertools", dbt_module_itertools(a));
	jinja_set_global(env, "modules", modules);
	/* dbt's base context: the version of dbt silt stands for (its artifacts say the same) */
	jinja_set_global(env, "dbt_version", v_cstr(SILT_DBT_VERSION));
	dbt_runtime_install(env);
}

/* The render context's keys, in the order dbt_render_setup has always set them. Every render
 * makes the same dict shape, so the entries (keys, hashes) and the hash index are made once with
 * vdict_sets and copied per render: the same dict the sets would build, without hashing and
 * comparing 13 keys each time. */
enum {
	CTX_TARGET, CTX_EXECUTE, CTX_THIS, CTX_MODEL, CTX_FLAGS, CTX_INVOCATION_ID, CTX_RUN_STARTED_AT,
	CTX_PROJECT_NAME, CTX_CONFIG, CTX_ADAPTER, CTX_GRAPH, CTX_SELECTED_RESOURCES, CTX_CONTEXT,
	CTX_NKEYS
};
static const char *const ctx_keys[CTX_NKEYS] = {
	"target", "execute", "this", "model", "flags", "invocation_id", "run_started_at",
	"project_name", "config", "adapter", "graph", "selected_resources", "context",
};
#define CTX_CAP 16
#define CTX_ICAP_MAX 64
static struct {
	value k[CTX_NKEYS];
	uint32_t index[CTX_ICAP_MAX];
	uint32_t icap;
} ctx_proto;
static pthread_once_t ctx_proto_once = PTHREAD_ONCE_INIT;

static void ctx_proto_init(void)
{
	struct arena a;
	arena_init(&a);
	value d = v_dict(&a, CTX_CAP);
	for (int i = 0; i < CTX_NKEYS; i++)
		vdict_sets(d.dict, ctx_keys[i], v_none());
	/* the keys are distinct literals, so nothing was replaced and the entries did not move */
	if (d.dict->n != CTX_NKEYS || d.dict->cap != CTX_CAP || d.dict->icap > CTX_ICAP_MAX)
		silt_abort("render context prototype: unexpected dict shape");
	memcpy(ctx_proto.k, d.dict->k, sizeof(ctx_proto.k));
	ctx_proto.icap = d.dict->icap;
	if (d.dict->icap)
		memcpy(ctx_proto.index, d.dict->index, d.dict->icap * sizeof(uint32_t));
	arena_release(&a);
}

static value ctx_dict(struct arena *a)
{
	pthread_once(&ctx_proto_once, ctx_proto_init);
	value ctx = v_dict(a, CTX_CAP);
	struct vdict *d = ctx.dict;
	memcpy(d->k, ctx_proto.k, sizeof(ctx_proto.k));
	for (int i = 0; i < CTX_NKEYS; i++)
		d->v[i] = v_none();
	d->n = d->live = CTX_NKEYS;
	if (ctx_proto.icap) {
		d->icap = ctx_proto.icap;
		d->index = arena_alloc(a, ctx_proto.icap * sizeof(uint32_t));
		memcpy(d->index, ctx_proto.index, ctx_proto.icap * sizeof(uint32_t));
	}
	return ctx;
}

void dbt_render_setup(struct dbt_render *r, struct arena *a, struct jinja_render *opts)
{
	const struct dbt_project_info *p = r->proj;
	value ctx = ctx_dict(a);
	value *e = ctx.dict->v;
	e[CTX_TARGET] = p->target.type == VT_DICT ? p->target : v_dict(a, 0);
	e[CTX_EXECUTE] = v_bool(r->phase == DBT_EXECUTE);
	e[CTX_THIS] = r->this.type != VT_UNDEF ? r->this : v_none();
	e[CTX_MODEL] = r->node.type == VT_DICT ? r->node : v_dict(a, 0);
	e[CTX_FLAGS] = p->flags.type == VT_DICT ? p->flags : v_dict(a, 0);
	e[CTX_INVOCATION_ID] = v_cstr(p->invocation_id ? p->invocation_id : "");
	e[CTX_RUN_STARTED_AT] = p->run_started_at.type != VT_UNDEF ? p->run_started_at : dbt_now_utc(a);
	e[CTX_PROJECT_NAME] = v_cstr(p->root_package ? p->root_package : "");
	e[CTX_CONFIG] = v_obj(a, &config_class, NULL);
	e[CTX_ADAPTER] = v_obj(a, &adapter_class, NULL);
	/* dbt's flat graph is empty while parsing; selected_resources is [] outside a run */
	e[CTX_GRAPH] = r->phase == DBT_EXECUTE && p->graph.type == VT_DICT ? p->graph : v_dict(a, 0);
	e[CTX_SELECTED_RESOURCES] =
	    p->selected_resources.type == VT_LIST ? p->selected_resources : v_list(a, 0);
	e[CTX_CONTEXT] = ctx;
	r->ctx = ctx;
	/* unqualified macro names: the node's package, then the root project, then dbt's */
	memset(r->scopes, 0, sizeof(r->scopes));
	const char *order[3] = { r->package, p->root_package, "dbt" };
	uint32_t n = 0;
	for (int i = 0; i < 3; i++) {
		value nsv;
		/* a name already looked up gives the same dict, which would be skipped */
		if (!order[i] || (i == 1 && order[0] && !strcmp(order[0], order[1])) ||
		    !jinja_get_global(r->env, order[i], &nsv) || nsv.type != VT_DICT)
			continue;
		bool dup = false;
		for (uint32_t k = 0; k < n; k++)
			dup |= r->scopes[k] == nsv.dict;
		if (!dup)
			r->scopes[n++] = nsv.dict;
	}
	opts->ctx = ctx;
	opts->scopes = r->scopes;
	opts->nscopes = n;
	opts->userdata = r;
	opts->arena = a;
	r->opts = opts;
	opts->undef = r->phase == DBT_PARSE ? JINJA_UNDEF_LENIENT : JINJA_UNDEF_DEFAULT;
}
