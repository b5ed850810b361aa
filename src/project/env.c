/* project: environment variables, env_var() and var() for config rendering, native rendering
 * of config strings, secrets, --vars. */
#include <sys/stat.h>

#include "json/json.h"
#include "project_int.h"

/* ---- small helpers ---- */
value pv_str(struct arena *a, const char *s)
{
	return v_strdup(a, s, strlen(s));
}

bool pv_get(value dict, const char *key, value *out)
{
	if (dict.type != VT_DICT)
		return false;
	return vdict_gets(dict.dict, str_from(key), out);
}

value pv_dict_copy(struct arena *a, value d)
{
	value r = v_dict(a, d.type == VT_DICT ? d.dict->live + 4 : 4);
	if (d.type != VT_DICT)
		return r;
	for (uint32_t i = 0; i < d.dict->n; i++)
		if (d.dict->k[i].type != VT_UNDEF)
			vdict_set(r.dict, d.dict->k[i], d.dict->v[i]);
	return r;
}

value pv_listify(struct arena *a, value v)
{
	value r = v_list(a, 4);
	if (v.type == VT_LIST) {
		for (uint32_t i = 0; i < v.list->n; i++)
			vlist_push(r.list, v.list->v[i]);
	} else {
		vlist_push(r.list, v);
	}
	return r;
}

char *ppath_join(struct arena *a, const char *dir, const char *rel)
{
	if (!dir || !*dir || rel[0] == '/')
		return arena_strndup(a, rel, strlen(rel));
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	size_t m = strlen(rel);
	char *p = arena_text(a, n + 1 + m + 1);
	memcpy(p, dir, n);
	p[n] = '/';
	memcpy(p + n + 1, rel, m + 1);
	return p;
}

char *project_target_file(const struct project *p, struct arena *a, const char *name)
{
	const char *tp = p->target_path ? p->target_path : "target";
	return ppath_join(a, ppath_join(a, p->dir, tp), name);
}

bool pfile_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *pread_file(const char *path, size_t *len)
{
	return file_read_all(path, len);
}

void pjson_pretty(value v, struct buf *out)
{
	struct json_opts o = JSON_OPTS_INIT;
	o.indent = 4;
	o.sort_keys = true;
	if (json_write(out, v, &o) < 0)
		v_to_repr(v, out);
}

/* ---- environment ---- */
void penv_init(struct project *p, const struct project_opts *o)
{
	map_init(&p->env_over);
	p->env_process = !o->no_process_env;
	for (const char *const *e = o->env; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		char *name = arena_strndup(&p->a, *e, (size_t)(eq - *e));
		char *val = arena_strndup(&p->a, eq + 1, strlen(eq + 1));
		map_set(&p->env_over, str_from(name), val);
	}
}

const char *project_getenv(const struct project *p, const char *name)
{
	const char *v = map_get(&p->env_over, str_from(name));
	if (v)
		return v;
	return p->env_process ? getenv(name) : NULL;
}

static void remember_secret(struct project *p, const char *val)
{
	if (!val || !str_trim(str_from(val)).n)
		return;
	for (size_t i = 0; i < p->secrets.n; i++)
		if (!strcmp(p->secrets.v[i], val))
			return;
	vec_push(&p->secrets, val);
}

void project_mask_secrets(const struct project *p, struct str s, struct buf *out)
{
	size_t i = 0;
	while (i < s.n) {
		size_t best = 0;
		for (size_t k = 0; k < p->secrets.n; k++) {
			size_t n = strlen(p->secrets.v[k]);
			if (n > best && n <= s.n - i && !memcmp(s.p + i, p->secrets.v[k], n))
				best = n;
		}
		if (best) {
			buf_puts(out, "*****");
			i += best;
		} else {
			buf_putc(out, s.p[i++]);
		}
	}
}

int project_parse_cli_vars(struct arena *a, const char *text, value *out, struct diag *d)
{
	*out = v_dict(a, 4);
	if (!text || !str_trim(str_from(text)).n)
		return 0;
	value v;
	char *copy = arena_strndup(a, text, strlen(text));
	struct diag d2;
	diag_init(&d2);
	if (yaml_load_value(a, "--vars", copy, strlen(copy), &v, &d2) < 0) {
		struct buf m = BUF_INIT;
		if (d2.msgs.n)
			diag_format_msg(&d2.msgs.v[0], &m);
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "The YAML provided in the --vars argument is not valid: %s", buf_cstr(&m));
		buf_release(&m);
		diag_release(&d2);
		return -1;
	}
	diag_release(&d2);
	if (v.type == VT_NONE)
		return 0;
	if (v.type != VT_DICT) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "The --vars argument must be a YAML dictionary, but was of type '%s'",
		         v_type_name(v));
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- the rendering context ---- */
struct rctx {
	struct project *p;
	enum project_render_ctx ctx;
};

static bool arg(const struct vargs *a, uint32_t i, const char *name, value *out)
{
	if (i < a->npos) {
		*out = a->pos[i];
		return true;
	}
	for (uint32_t k = 0; k < a->nkw; k++)
		if (str_eqc(a->kw[k].name, name)) {
			*out = a->kw[k].v;
			return true;
		}
	return false;
}

static int fn_env_var(struct jstate *st, void *data, value self, const struct vargs *args,
                      value *ret)
{
	(void)data;
	(void)self;
	struct rctx *rc = jinja_userdata(st);
	value name, def = v_none();
	if (!arg(args, 0, "var", &name) || name.type != VT_STR)
		return jinja_error(st, "env_var() takes the variable name as a string");
	arg(args, 1, "default", &def);
	char *nm = arena_strndup(jinja_arena(st), name.s, name.len);
	bool secret = !strncmp(nm, SECRET_ENV_PREFIX, strlen(SECRET_ENV_PREFIX));
	if (secret && rc->ctx == PRC_PROJECT)
		return jinja_error(
		    st,
		    "Secret env vars are allowed only in profiles.yml or packages.yml. "
		    "Found '%s' referenced elsewhere.",
		    nm);
	const char *v = project_getenv(rc->p, nm);
	if (v) {
		char *copy = arena_strndup(&rc->p->a, v, strlen(v));
		if (secret)
			remember_secret(rc->p, copy);
		*ret = v_str(copy, strlen(copy));
		return 0;
	}
	if (def.type != VT_NONE && def.type != VT_UNDEF) {
		*ret = def;
		return 0;
	}
	return jinja_error(st, "Env var required but not provided: '%s'", nm);
}

static int fn_var(struct jstate *st, void *data, value self, const struct vargs *args, value *ret)
{
	(void)data;
	(void)self;
	struct rctx *rc = jinja_userdata(st);
	value name, def;
	if (!arg(args, 0, "var_name", &name) || name.type != VT_STR)
		return jinja_error(st, "var() takes the variable name as a string");
	bool has_def = arg(args, 1, "default", &def);
	value raw;
	if (vdict_get(rc->p->cli_vars.dict, name, &raw)) {
		if (raw.type != VT_STR) {
			*ret = raw;
			return 0;
		}
		/* dbt re-renders string vars (as text, not natively) */
		struct diag d2;
		diag_init(&d2);
		struct jinja_template *t = jinja_parse(rc->p->jenv, "<var>", raw.s, raw.len, &d2);
		struct buf b = BUF_INIT;
		struct jinja_render r = {
		    .ctx = v_undef(), .arena = jinja_arena(st), .userdata = rc};
		int rcode = t ? jinja_render(rc->p->jenv, t, &r, &b, &d2) : -1;
		if (rcode < 0) {
			struct buf m = BUF_INIT;
			if (d2.msgs.n)
				buf_puts(&m, d2.msgs.v[0].msg);
			diag_release(&d2);
			int e = jinja_error(st, "%s", buf_cstr(&m));
			buf_release(&m);
			buf_release(&b);
			return e;
		}
		diag_release(&d2);
		*ret = v_buf(jinja_arena(st), &b);
		buf_release(&b);
		return 0;
	}
	if (has_def) {
		*ret = def;
		return 0;
	}
	struct buf m = BUF_INIT;
	char *nm = arena_strndup(jinja_arena(st), name.s, name.len);
	buf_printf(
	    &m, "Required var '%s' not found in config:\nVars supplied to <Configuration> = ", nm);
	pjson_pretty(rc->p->cli_vars, &m);
	int e = jinja_error(st, "%s", buf_cstr(&m));
	buf_release(&m);
	return e;
}

int prender_init(struct project *p)
{
	p->jenv = jinja_env_new();
	jinja_set_function(p->jenv, "env_var", fn_env_var, NULL);
	jinja_set_function(p->jenv, "var", fn_var, NULL);
	return 0;
}

/* dbt's _HAS_RENDER_CHARS_PAT: ({[{%#]|[#}%]}) */
static bool has_render_chars(struct str s)
{
	for (size_t i = 0; i + 1 < s.n; i++) {
		char a = s.p[i], b = s.p[i + 1];
		if (a == '{' && (b == '{' || b == '%' || b == '#'))
			return true;
		if (b == '}' && (a == '#' || a == '}' || a == '%'))
			return true;
	}
	return false;
}

int prender_str(struct project *p, enum project_render_ctx ctx, value v,
                const struct yaml_node *where, value *out, struct diag *d)
{
	if (v.type != VT_STR || !has_render_chars(v_as_str(v))) {
		*out = v;
		return 0;
	}
	struct rctx rc = {p, ctx};
	struct diag d2;
	diag_init(&d2);
	const char *name = where && where->doc ? where->doc->file : "<config>";
	struct jinja_template *t = jinja_parse(p->jenv, name, v.s, v.len, &d2);
	struct jinja_render r = {.ctx = v_undef(), .arena = &p->a, .userdata = &rc};
	int rcode = t ? jinja_render_native(p->jenv, t, &r, out, &d2) : -1;
	if (rcode < 0) {
		const char *why = d2.msgs.n ? d2.msgs.v[0].msg : "render failed";
		if (where)
			yaml_error(d, where, "Could not render %.*s: %s", (int)v.len, v.s, why);
		else
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "Could not render %.*s: %s",
			         (int)v.len, v.s, why);
		diag_release(&d2);
		return -1;
	}
	diag_release(&d2);
	return 0;
}

int project_render_value(struct project *p, enum project_render_ctx ctx, value v, value *out,
                         struct diag *d)
{
	return prender_str(p, ctx, v, NULL, out, d);
}

/* ---- var() lookup for nodes ---- */
static int lookup_in(const struct project *proj, const char *pkg, value name, value *out)
{
	if (!proj || proj->vars.type != VT_DICT)
		return 0;
	value scoped;
	if (pkg && vdict_gets(proj->vars.dict, str_from(pkg), &scoped) && scoped.type == VT_DICT &&
	    vdict_get(scoped.dict, name, out))
		return 1;
	return vdict_get(proj->vars.dict, name, out) ? 1 : 0;
}

int project_var_lookup(const struct project *root, const struct project *dep, const char *pkg,
                       const char *name, value *out)
{
	value nm = v_cstr(name);
	if (!pkg)
		pkg = root->name;
	if (root->cli_vars.type == VT_DICT && vdict_get(root->cli_vars.dict, nm, out))
		return 1;
	if (lookup_in(root, pkg, nm, out))
		return 1;
	if (dep && dep != root && lookup_in(dep, pkg, nm, out))
		return 1;
	return 0;
}

static void merged_add(value merged, const struct project *proj, const char *pkg)
{
	if (!proj || proj->vars.type != VT_DICT)
		return;
	struct vdict *g = proj->vars.dict;
	for (uint32_t i = 0; i < g->n; i++)
		if (g->k[i].type != VT_UNDEF)
			vdict_set(merged.dict, g->k[i], g->v[i]);
	value scoped;
	if (pkg && vdict_gets(g, str_from(pkg), &scoped) && scoped.type == VT_DICT)
		for (uint32_t i = 0; i < scoped.dict->n; i++)
			if (scoped.dict->k[i].type != VT_UNDEF)
				vdict_set(merged.dict, scoped.dict->k[i], scoped.dict->v[i]);
}

void project_var_missing_msg(const struct project *root, const struct project *dep, const char *pkg,
                             const char *name, const char *node, struct buf *out)
{
	struct arena a;
	arena_init(&a);
	value merged = v_dict(&a, 8);
	if (!pkg)
		pkg = root->name;
	if (dep && dep != root)
		merged_add(merged, dep, pkg);
	merged_add(merged, root, pkg);
	if (root->cli_vars.type == VT_DICT)
		for (uint32_t i = 0; i < root->cli_vars.dict->n; i++)
			if (root->cli_vars.dict->k[i].type != VT_UNDEF)
				vdict_set(merged.dict, root->cli_vars.dict->k[i],
				          root->cli_vars.dict->v[i]);
	buf_printf(out, "Required var '%s' not found in config:\nVars supplied to %s = ", name,
	           node ? node : "<Configuration>");
	pjson_pretty(merged, out);
	arena_release(&a);
}
