/* The flags every dbt command shares (--project-dir, --profiles-dir, --profile, --target/-t,
 * --vars, --target-path, --threads), parsed into project_opts, and dbt's global flags among
 * them (globals.c). */
#include <pthread.h>
#include <strings.h>

#include "artifacts/artifacts.h"
#include "cli.h"
#include "store/store.h"

int cli_parse_project_flags(int argc, char **argv, struct project_opts *o, char **rest, int *nrest)
{
	*nrest = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (!strcmp(a, "--project-dir"))
			slot = &o->project_dir;
		else if (!strcmp(a, "--profiles-dir"))
			slot = &o->profiles_dir;
		else if (!strcmp(a, "--profile"))
			slot = &o->profile;
		else if (!strcmp(a, "--target") || !strcmp(a, "-t"))
			slot = &o->target;
		else if (!strcmp(a, "--vars"))
			slot = &o->vars;
		else if (!strcmp(a, "--target-path"))
			slot = &o->target_path;
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "silt: option %s needs a value\n", a);
				return -1;
			}
			*slot = argv[++i];
			continue;
		}
		int g = cli_take_global_flag(argc, argv, &i);
		if (g < 0)
			return -1;
		if (g)
			continue;
		if (!strcmp(a, "--threads")) {
			if (i + 1 >= argc || atoi(argv[i + 1]) <= 0) {
				fprintf(stderr, "silt: --threads needs a positive number\n");
				return -1;
			}
			o->threads = atoi(argv[++i]);
			continue;
		}
		rest[(*nrest)++] = argv[i];
	}
	return 0;
}

char **cli_project_flags_rest(int argc, char **argv, struct project_opts *o, int *nrest)
{
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	if (cli_parse_project_flags(argc, argv, o, rest, nrest) < 0) {
		free(rest);
		return NULL;
	}
	return rest;
}

int cli_only_project_flags(int argc, char **argv, struct project_opts *o)
{
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest, rc = 0;
	if (cli_parse_project_flags(argc, argv, o, rest, &nrest) < 0) {
		rc = -1;
	} else if (nrest) {
		fprintf(stderr, "silt %s: unknown argument '%s'\n", argv[0], rest[0]);
		rc = -1;
	}
	free(rest);
	return rc;
}

void cli_print_diag(const struct diag *d)
{
	struct buf msg = BUF_INIT;
	diag_print(d, &msg);
	fputs(buf_cstr(&msg), stderr);
	buf_release(&msg);
}

/* ---- selection flags and the parsed project, shared by ls, compile, seed ---- */

static bool is_flag(const char *a) { return a[0] == '-'; }

int cli_take_selection_flag(char **rest, int nrest, int *i, struct cli_selection *s)
{
	const char *a = rest[*i];
	strvec_t *into = NULL;
	if (!strcmp(a, "-s") || !strcmp(a, "--select") || !strcmp(a, "-m") || !strcmp(a, "--models") ||
	    !strcmp(a, "--model"))
		into = &s->select;
	else if (!strcmp(a, "--exclude"))
		into = &s->exclude;
	else if (!strcmp(a, "--resource-type") || !strcmp(a, "--resource-types"))
		into = &s->types;
	else if (!strcmp(a, "--exclude-resource-type") || !strcmp(a, "--exclude-resource-types"))
		into = &s->extypes;
	if (into) {
		/* dbt takes every following word until the next flag */
		while (*i + 1 < nrest && !is_flag(rest[*i + 1]))
			vec_push(into, rest[++*i]);
		return 1;
	}
	if (!strcmp(a, "--selector") && *i + 1 < nrest) {
		s->selector = rest[++*i];
		return 1;
	}
	if (!strcmp(a, "--indirect-selection") && *i + 1 < nrest) {
		s->indirect = rest[++*i];
		return 1;
	}
	if ((!strcmp(a, "--state") || !strcmp(a, "--defer-state")) && *i + 1 < nrest) {
		*(a[2] == 's' ? &s->state_dir : &s->defer_state_dir) = rest[++*i];
		return 1;
	}
	if ((!strcmp(a, "--state-env") || !strcmp(a, "--defer-env")) && *i + 1 < nrest) {
		*(a[2] == 's' ? &s->state_env : &s->defer_env) = rest[++*i];
		return 1;
	}
	if (!strcmp(a, "--defer") || !strcmp(a, "--no-defer")) {
		s->defer = a[2] == 'd' ? 1 : -1;
		return 1;
	}
	if (!strcmp(a, "--favor-state") || !strcmp(a, "--no-favor-state")) {
		s->favor_state = a[2] == 'f' ? 1 : -1;
		return 1;
	}
	return 0;
}

int cli_selection_opts(const struct cli_selection *s, uint32_t only_types, struct gselect_opts *o,
                       const struct gselectors *selectors, struct diag *d)
{
	memset(o, 0, sizeof(*o));
	o->selectors = selectors;
	o->select = s->select.v;
	o->nselect = s->select.n;
	o->exclude = s->exclude.v;
	o->nexclude = s->exclude.n;
	o->selector = s->selector;
	const char *ind = s->indirect ? s->indirect : getenv("DBT_INDIRECT_SELECTION");
	if (ind && *ind) {
		int mode = graph_indirect_parse(str_from(ind));
		if (mode < 0) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "Invalid value for '--indirect-selection': '%s' is not one of 'eager', "
			         "'cautious', 'buildable', 'empty'.", ind);
			return -1;
		}
		o->indirect = (enum gindirect)mode;
	}
	if (only_types) {
		o->resource_types = only_types;
		return 0;
	}
	return graph_resource_types(s->types.v, s->types.n, s->extypes.v, s->extypes.n,
	                            &o->resource_types, d);
}

/* ---- --state, --defer ---- */

struct var_ctx {
	struct project *p;
	struct parse_result *r;
	struct arena *a;
};

static int var_lookup(void *ud, const struct gnode *g, bool env, struct str name, value *out)
{
	struct var_ctx *vc = ud;
	char *n = xmemdup0(name.p, name.n);
	int rc = 0;
	if (env) {
		const char *v = project_getenv(vc->p, n);
		if (v) {
			*out = v_cstr(v);
			rc = 1;
		}
	} else { /* a package's node also sees the package's own vars (as run/compile.c) */
		const struct project *dep = NULL;
		bool in_pkg = vc->p->name && strcmp(g->package, vc->p->name);
		for (size_t i = 0; in_pkg && i < vc->r->npkgs && !dep; i++)
			if (vc->r->pkgs[i].name && !strcmp(vc->r->pkgs[i].name, g->package))
				dep = &vc->r->pkgs[i];
		rc = project_var_lookup(vc->p, dep, in_pkg ? g->package : NULL, n, out);
	}
	free(n);
	return rc;
}

static value node_vars(void *ud, const struct gnode *g)
{
	struct var_ctx *vc = ud;
	return graph_node_vars(vc->a, vc->r->m, g, var_lookup, vc);
}

value cli_node_vars(struct project *p, struct parse_result *r, struct arena *a)
{
	struct var_ctx vc = {p, r, a};
	value root = v_dict(a, 2), meta = v_dict(a, 1), nodes = v_dict(a, 0);
	/* v2 lists only the nodes that read a var or an env var: a node of the manifest's nodes
	 * table that is not listed reads none ({}). v1 listed every node, and writing 30,000
	 * empty entries was a tenth of a 10k parse's CPU. */
	vdict_sets(meta.dict, "silt_schema_version", v_cstr(NODE_VARS_VERSION));
	vdict_sets(root.dict, "metadata", meta);
	/* what a node's vars depend on (see graph_node_vars): a node whose package, raw code,
	 * unrendered config and macros are those of one of the last few nodes (a folder's generic
	 * tests share them, as the same strings and dicts, kind by kind) reads the same vars and
	 * shares that node's value (it is only written) */
	struct seen {
		const struct gnode *g;
		value raw, unrendered, vars;
	} seen[4] = {0};
	uint32_t nseen = 0;
	struct vdict_at raw_at = {0}, unrendered_at = {0};
	/* a node whose raw code and unrendered config name no var (gnode.vars_plain, as the parse
	 * left most) reads a var only through its macros: the answer for the last few macro lists
	 * is kept, and its dict is not read */
	struct plain_seen {
		const char *const *ids;
		uint32_t n;
		bool loud;
	} plain[4] = {0};
	uint32_t nplain = 0;
	for (uint32_t i = 0; i < r->m->n; i++) {
		const struct gnode *g = r->m->nodes[i];
		if (g->table != GTAB_NODES || !g->enabled)
			continue;
		if (g->vars_plain) {
			int loud = -1;
			for (uint32_t j = 0; j < nplain && j < 4 && loud < 0; j++)
				if (plain[j].n == g->nmacros &&
				    (!g->nmacros ||
				     !memcmp(plain[j].ids, g->macros, g->nmacros * sizeof(*g->macros))))
					loud = plain[j].loud;
			if (loud < 0) {
				loud = graph_macros_read_vars(r->m, g->macros, g->nmacros);
				plain[nplain++ % 4] = (struct plain_seen){g->macros, g->nmacros, loud};
			}
			if (!loud)
				continue; /* reads none: {} (not listed) */
		}
		value raw = v_undef(), unrendered = v_undef();
		if (g->raw.type == VT_DICT) {
			raw = vdict_get_at(g->raw.dict, STR("raw_code"), &raw_at);
			unrendered = vdict_get_at(g->raw.dict, STR("unrendered_config"), &unrendered_at);
		}
		const struct seen *hit = NULL;
		for (uint32_t j = 0; j < nseen && j < 4 && !hit; j++) {
			const struct seen *e = &seen[j];
			bool same = g->package == e->g->package && g->nmacros == e->g->nmacros &&
			            raw.type == VT_STR && e->raw.type == VT_STR && raw.s == e->raw.s &&
			            raw.len == e->raw.len && unrendered.type == VT_DICT &&
			            e->unrendered.type == VT_DICT && unrendered.dict == e->unrendered.dict;
			for (uint32_t k = 0; same && k < g->nmacros; k++)
				same = g->macros[k] == e->g->macros[k];
			if (same)
				hit = e;
		}
		value vars = hit ? hit->vars : node_vars(&vc, g);
		if (!hit)
			seen[nseen++ % 4] = (struct seen){g, raw, unrendered, vars};
		if (vars.type != VT_DICT || vars.dict->live)
			vdict_sets(nodes.dict, g->unique_id, vars);
	}
	vdict_sets(root.dict, "nodes", nodes);
	return root;
}


static const char *flag_env(const char *given, const char *name)
{
	if (given)
		return given;
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int bool_env(int given, const char *name)
{
	if (given)
		return given > 0 ? 1 : -1;
	const char *v = getenv(name);
	return v && (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) ? 1 : -1;
}

static int load_state(const char *dir, struct cli_parsed *c, struct gstate **out)
{
	const char *full = dir[0] == '/' ? dir : arena_printf(&c->a, "%s/%s", c->p.dir, dir);
	if (graph_state_load_dir(full, out, &c->d) < 0)
		return -1;
	gstate_set_origin(*out, dir);
	/* dbt warns when the state is the target it is about to overwrite */
	const char *tp = c->p.target_path;
	const char *target = tp[0] == '/' ? tp : arena_printf(&c->a, "%s/%s", c->p.dir, tp);
	char *x = realpath(full, NULL), *y = realpath(target, NULL);
	if (x && y && !strcmp(x, y))
		diag_add(&c->d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
		         "The state and target directories are the same: '%s'. This could lead to "
		         "missing changes due to overwritten state including non-idempotent retries.",
		         x);
	free(x);
	free(y);
	return 0;
}

struct state_prefetch {
	pthread_t th;
	char *project_dir;
	const char *env;
	struct gstate *state;
	struct diag d;
	int rc;
};

static void *prefetch_main(void *arg)
{
	struct state_prefetch *p = arg;
	struct store *st;
	p->rc = cli_open_store(p->project_dir, &st, &p->d);
	if (p->rc == 0) {
		p->rc = cli_state_from_env(st, p->env, &p->state, &p->d);
		store_close(st);
	}
	return NULL;
}

void cli_selection_prefetch(struct cli_selection *s, const char *project_dir)
{
	if (!s->state_env || s->state || s->prefetch)
		return;
	struct state_prefetch *p = xcalloc(1, sizeof(*p));
	p->project_dir = project_dir ? xstrdup(project_dir) : NULL;
	p->env = s->state_env;
	diag_init(&p->d);
	if (pthread_create(&p->th, NULL, prefetch_main, p) != 0) {
		diag_release(&p->d);
		free(p->project_dir);
		free(p);
		return;
	}
	s->prefetch = p;
}

/* Waits for the prefetch and takes its state (or its errors, into d). */
static int prefetch_take(struct cli_selection *s, struct diag *d)
{
	struct state_prefetch *p = s->prefetch;
	s->prefetch = NULL;
	pthread_join(p->th, NULL);
	for (size_t i = 0; i < p->d.msgs.n; i++)
		diag_move(d, &p->d.msgs.v[i]);
	int rc = p->rc;
	s->state = p->state;
	diag_release(&p->d);
	free(p->project_dir);
	free(p);
	return rc;
}

/* --state-env / --defer-env: one store, opened once; prints which state is compared */
static int load_env_states(struct cli_selection *s, struct cli_parsed *c)
{
	if (s->prefetch) {
		if (prefetch_take(s, &c->d) < 0)
			return -1;
		fprintf(stderr, "Comparing with the applied state of %s\n", gstate_origin(s->state));
	}
	bool want_state = s->state_env && !s->state, want_defer = s->defer_env && !s->defer_state;
	if (!want_state && !want_defer)
		return 0;
	struct store *st;
	if (cli_open_store(c->p.dir, &st, &c->d) < 0)
		return -1;
	int rc = 0;
	if (want_state && (rc = cli_state_from_env(st, s->state_env, &s->state, &c->d)) == 0)
		fprintf(stderr, "Comparing with the applied state of %s\n", gstate_origin(s->state));
	if (rc == 0 && want_defer &&
	    (rc = cli_state_from_env(st, s->defer_env, &s->defer_state, &c->d)) == 0)
		fprintf(stderr, "Deferring to the relations of %s\n", gstate_origin(s->defer_state));
	store_close(st);
	return rc;
}

int cli_selection_state(struct cli_selection *s, struct cli_parsed *c, struct gselect_opts *o)
{
	const char *state = flag_env(s->state_dir, "DBT_STATE");
	const char *defer_state = flag_env(s->defer_state_dir, "DBT_DEFER_STATE");
	if (s->defer_env && !s->defer)
		s->defer = 1;
	s->defer = bool_env(s->defer, "DBT_DEFER");
	s->favor_state = bool_env(s->favor_state, "DBT_FAVOR_STATE");
	if (s->state_env && s->state_dir) {
		diag_add(&c->d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "--state and --state-env both name a comparison state: give one");
		return -1;
	}
	if (s->defer_env && s->defer_state_dir) {
		diag_add(&c->d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "--defer-state and --defer-env both name a deferral state: give one");
		return -1;
	}
	if (s->state_env)
		state = NULL; /* DBT_STATE yields to an explicit --state-env */
	if (s->defer_env)
		defer_state = NULL;
	if (load_env_states(s, c) < 0)
		return -1;
	if (state && !s->state && load_state(state, c, &s->state) < 0)
		return -1;
	o->state = s->state;
	value flag = v_item(c->p.flags, "state_modified_compare_more_unrendered_values");
	o->state_unrendered = v_truthy(flag);
	struct var_ctx *vc = arena_zalloc(&c->a, sizeof(*vc));
	*vc = (struct var_ctx){&c->p, &c->r, &c->a};
	o->node_vars = node_vars;
	o->vars_ud = vc;
	if (s->defer <= 0)
		return 0;
	if (defer_state && !s->defer_state && load_state(defer_state, c, &s->defer_state) < 0)
		return -1;
	if (!s->defer_state && !s->state) {
		diag_add(&c->d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "Received a --defer argument, but no value was provided to --state");
		return -1;
	}
	return 0;
}

const struct gdefer *cli_selection_defer(struct cli_selection *s, const struct gselection *sel)
{
	if (s->defer <= 0 || (!s->state && !s->defer_state))
		return NULL;
	s->deferral.state = s->defer_state ? s->defer_state : s->state;
	s->deferral.favor_state = s->favor_state > 0;
	s->deferral.selected = sel;
	return &s->deferral;
}

void cli_selection_release(struct cli_selection *s)
{
	if (s->prefetch) { /* the command failed before taking it */
		struct diag d;
		diag_init(&d);
		prefetch_take(s, &d);
		diag_release(&d);
	}
	gstate_free(s->state);
	gstate_free(s->defer_state);
	s->state = s->defer_state = NULL;
	vec_free(&s->select);
	vec_free(&s->exclude);
	vec_free(&s->types);
	vec_free(&s->extypes);
}

int cli_load_parse(struct cli_parsed *c, const struct project_opts *o)
{
	return cli_load_parse_schema(c, o, NULL);
}

int cli_load_parse_schema(struct cli_parsed *c, const struct project_opts *o, const char *schema)
{
	struct cli_overlay ov = { .schema = schema };
	return cli_load_parse_over(c, o, &ov);
}

int cli_load_parse_over(struct cli_parsed *c, const struct project_opts *o,
                        const struct cli_overlay *ov)
{
	memset(c, 0, sizeof(*c));
	diag_init(&c->d);
	arena_init(&c->a);
	c->loaded = true; /* project_release is needed even when loading fails */
	if (project_load(&c->p, o, &c->d) < 0)
		return -1;
	/* a warehouse that takes concurrent writers gets a Jinja environment per thread, so nodes
	 * render (and run their SQL) side by side (run/task.c); SQLite builds one at a time */
	const char *type = v_item_str(c->p.profile.output, "type");
	if (type && strcmp(type, "sqlite"))
		c->p.parse_envs_min = o->threads > 0 ? o->threads : (int)c->p.profile.threads;
	/* an environment's schema, database and credentials laid over the profile output before
	 * the parse (target.schema feeds generate_schema_name) */
	value out = c->p.profile.output, tgt = c->p.profile.target;
	if (ov && out.type == VT_DICT && tgt.type == VT_DICT) {
		const char *keys[2] = { "schema", "database" }, *vals[2] = { ov->schema, ov->database };
		for (int k = 0; k < 2; k++)
			if (vals[k]) {
				value v = v_cstr(arena_strndup(&c->a, vals[k], strlen(vals[k])));
				vdict_sets(out.dict, keys[k], v);
				vdict_sets(tgt.dict, keys[k], v);
			}
		for (size_t i = 0; i < ov->ncreds; i++)
			if (ov->creds[i].value)
				vdict_sets(out.dict, ov->creds[i].key, v_cstr(ov->creds[i].value));
	}
	if (parse_project(&c->p, &c->a, &c->r, &c->d) < 0)
		return -1;
	c->parsed = true;
	if (cli_warnings_fail(&c->d) < 0)
		return -1;
	/* selectors.yml beside dbt_project.yml: --selector names and the default selector */
	char *path = arena_printf(&c->a, "%s/selectors.yml", c->p.dir);
	size_t len;
	char *text = file_read_all(path, &len);
	if (text) {
		char *kept = arena_strndup(&c->a, text, len);
		free(text);
		if (graph_selectors_load(&c->a, "selectors.yml", kept, len, &c->selectors, &c->d) < 0)
			return -1;
	}
	return 0;
}

void cli_parsed_release(struct cli_parsed *c)
{
	if (c->d.msgs.n)
		cli_print_diag(&c->d);
	parse_result_release(&c->r); /* a failed parse leaves a partial result too */
	if (c->loaded)
		project_release(&c->p);
	arena_release(&c->a);
	diag_release(&c->d);
}

struct gnode *cli_inline_node(struct arena *a, const char *pkg, const char *sql)
{
	struct gnode *g = arena_zalloc(a, sizeof(*g));
	g->type = GT_SQL_OPERATION;
	g->table = GTAB_NODES;
	g->enabled = true;
	g->package = pkg;
	g->name = "inline_query";
	g->unique_id = arena_printf(a, "sql_operation.%s.inline_query", pkg);
	g->path = g->original_file_path = "from remote system.sql";
	g->config = v_dict(a, 0);
	value raw = v_dict(a, 10);
	vdict_sets(raw.dict, "name", v_cstr(g->name));
	vdict_sets(raw.dict, "resource_type", v_cstr("sql_operation"));
	vdict_sets(raw.dict, "package_name", v_cstr(pkg));
	vdict_sets(raw.dict, "path", v_cstr(g->path));
	vdict_sets(raw.dict, "original_file_path", v_cstr(g->path));
	vdict_sets(raw.dict, "unique_id", v_cstr(g->unique_id));
	vdict_sets(raw.dict, "raw_code", v_cstr(sql));
	vdict_sets(raw.dict, "config", g->config);
	g->raw = raw;
	return g;
}

void cli_quote_word(struct buf *b, const char *w)
{
	if (*w && !strpbrk(w, " \t'\"\\")) {
		buf_puts(b, w);
		return;
	}
	buf_putc(b, '\'');
	for (; *w; w++) {
		if (*w == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *w);
	}
	buf_putc(b, '\'');
}

char *cli_join_words(int argc, char **argv)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "silt");
	for (int i = 0; i < argc; i++) {
		buf_putc(&b, ' ');
		cli_quote_word(&b, argv[i]);
	}
	return buf_detach(&b, NULL);
}
