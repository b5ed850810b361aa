/* silt selftest project DIR: runs every DIR/<case>/case.yml (format in tests/project/README.md).
 * Each case is a tiny dbt project; case.yml gives the command-line inputs and environment, and
 * the expected project fields, profile, packages, merged configs, var() results, rendered
 * strings, discovered files — or the exact first error. Prints TAP and "N passed, N failed". */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "project/project.h"
#include "yaml/yaml.h"

struct tcase {
	const char *dir; /* the case directory */
	struct arena *a;
	struct buf why; /* first failure */
	bool failed;
};

SILT_PRINTF(2, 3) static void fail(struct tcase *t, const char *fmt, ...)
{
	if (t->failed)
		return;
	t->failed = true;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&t->why, fmt, ap);
	va_end(ap);
}

/* Strict equality: types must agree (1 is not 1.0 nor True), dicts as sets of keys. */
static bool veq(value a, value b)
{
	if (a.type != b.type)
		return false;
	switch (a.type) {
	case VT_NONE:
	case VT_UNDEF:
		return true;
	case VT_BOOL:
		return a.b == b.b;
	case VT_INT:
		return a.i == b.i;
	case VT_FLOAT:
		return a.f == b.f;
	case VT_STR:
		return str_eq(v_as_str(a), v_as_str(b));
	case VT_LIST:
		if (a.list->n != b.list->n)
			return false;
		for (uint32_t i = 0; i < a.list->n; i++)
			if (!veq(a.list->v[i], b.list->v[i]))
				return false;
		return true;
	case VT_DICT:
		if (a.dict->live != b.dict->live)
			return false;
		for (uint32_t i = 0; i < a.dict->n; i++) {
			value o;
			if (a.dict->k[i].type == VT_UNDEF)
				continue;
			if (!vdict_get(b.dict, a.dict->k[i], &o) || !veq(a.dict->v[i], o))
				return false;
		}
		return true;
	default:
		return v_equal(a, b);
	}
}

static void check_val(struct tcase *t, const char *what, value got, value want)
{
	if (veq(got, want))
		return;
	struct buf g = BUF_INIT, w = BUF_INIT;
	v_to_repr(got, &g);
	v_to_repr(want, &w);
	fail(t, "%s:\n#   expected %s\n#   got      %s", what, buf_cstr(&w), buf_cstr(&g));
	buf_release(&g);
	buf_release(&w);
}

static bool get(value d, const char *k, value *out)
{
	return d.type == VT_DICT && vdict_gets(d.dict, str_from(k), out);
}

static const char *sget(struct tcase *t, value d, const char *k)
{
	value v;
	if (!get(d, k, &v) || v.type == VT_NONE)
		return NULL;
	if (v.type == VT_STR)
		return arena_strndup(t->a, v.s, v.len);
	struct buf b = BUF_INIT;
	v_to_str(v, &b);
	char *r = arena_strndup(t->a, buf_cstr(&b), b.n);
	buf_release(&b);
	return r;
}

static value strlist_value(struct arena *a, const struct strlist *l)
{
	value r = v_list(a, (uint32_t)l->n);
	for (size_t i = 0; i < l->n; i++)
		vlist_push(r.list, v_cstr(l->v[i]));
	return r;
}

static value project_fields(struct arena *a, const struct project *p)
{
	value r = v_dict(a, 40);
	vdict_sets(r.dict, "name", v_cstr(p->name ? p->name : ""));
	vdict_sets(r.dict, "version", p->version);
	vdict_sets(r.dict, "profile", p->profile_name ? v_cstr(p->profile_name) : v_none());
	const struct {
		const char *k;
		const struct strlist *l;
	} lists[] = {
	    {"model-paths", &p->model_paths},       {"seed-paths", &p->seed_paths},
	    {"test-paths", &p->test_paths},         {"analysis-paths", &p->analysis_paths},
	    {"macro-paths", &p->macro_paths},       {"snapshot-paths", &p->snapshot_paths},
	    {"docs-paths", &p->docs_paths},         {"asset-paths", &p->asset_paths},
	    {"function-paths", &p->function_paths}, {"clean-targets", &p->clean_targets},
	};
	for (size_t i = 0; i < ARRAY_LEN(lists); i++)
		vdict_sets(r.dict, lists[i].k, strlist_value(a, lists[i].l));
	vdict_sets(r.dict, "target-path", v_cstr(p->target_path));
	vdict_sets(r.dict, "log-path", v_cstr(p->log_path));
	vdict_sets(r.dict, "packages-install-path", v_cstr(p->packages_install_path));
	vdict_sets(r.dict, "require-dbt-version", p->require_dbt_version);
	vdict_sets(r.dict, "quoting", p->quoting);
	vdict_sets(r.dict, "vars", p->vars);
	vdict_sets(r.dict, "on-run-start", p->on_run_start);
	vdict_sets(r.dict, "on-run-end", p->on_run_end);
	vdict_sets(r.dict, "dispatch", p->dispatch);
	vdict_sets(r.dict, "flags", p->flags);
	vdict_sets(r.dict, "query-comment",
	           p->query_comment.type == VT_UNDEF ? v_none() : p->query_comment);
	vdict_sets(r.dict, "restrict-access", p->restrict_access);
	for (int i = 0; i < PRT_COUNT; i++)
		vdict_sets(r.dict, project_rt_name(i), p->trees[i]);
	vdict_sets(r.dict, "cli-vars", p->cli_vars);
	return r;
}

static const char *const pkg_kinds[] = {"local", "git", "hub", "tarball", "private"};

static value package_value(struct arena *a, const struct package_spec *s)
{
	value r = v_dict(a, 8);
	vdict_sets(r.dict, "kind", v_cstr(pkg_kinds[s->kind]));
	vdict_sets(r.dict, "source", v_cstr(s->source ? s->source : ""));
	if (s->version.type != VT_NONE)
		vdict_sets(r.dict, "version", s->version);
	if (s->subdirectory)
		vdict_sets(r.dict, "subdirectory", v_cstr(s->subdirectory));
	if (s->warn_unpinned >= 0)
		vdict_sets(r.dict, "warn-unpinned", v_bool(s->warn_unpinned));
	if (s->name)
		vdict_sets(r.dict, "name", v_cstr(s->name));
	return r;
}

/* Messages with the case directory prefix removed, so expectations read "dbt_project.yml:3:7". */
static void diag_text(struct tcase *t, const struct diag_msg *m, struct buf *out)
{
	struct buf raw = BUF_INIT;
	diag_format_msg(m, &raw);
	size_t pl = strlen(t->dir);
	const char *s = buf_cstr(&raw);
	while (*s) {
		if (!strncmp(s, t->dir, pl) && s[pl] == '/') {
			s += pl + 1;
			continue;
		}
		buf_putc(out, *s++);
	}
	buf_release(&raw);
}

static const struct diag_msg *first_error(const struct diag *d)
{
	for (size_t i = 0; i < d->msgs.n; i++)
		if (d->msgs.v[i].level == DIAG_ERROR)
			return &d->msgs.v[i];
	return NULL;
}

static void run_configs(struct tcase *t, struct project *p, value list, value pkgs_loaded)
{
	for (uint32_t i = 0; list.type == VT_LIST && i < list.list->n; i++) {
		value c = list.list->v[i], fqnv, want, pkgname;
		const char *type = sget(t, c, "type");
		int rt = type ? project_rt_parse(type) : -1;
		if (rt < 0 || !get(c, "fqn", &fqnv) || fqnv.type != VT_LIST ||
		    !get(c, "expect", &want)) {
			fail(t, "configs[%u]: needs type, fqn and expect", i);
			return;
		}
		struct strlist fqn = {arena_alloc(t->a, (fqnv.list->n + 1) * sizeof(char *)),
		                      fqnv.list->n};
		for (uint32_t k = 0; k < fqnv.list->n; k++) {
			struct buf b = BUF_INIT;
			v_to_str(fqnv.list->v[k], &b);
			fqn.v[k] = arena_strndup(t->a, buf_cstr(&b), b.n);
			buf_release(&b);
		}
		const struct project *own = p;
		if (get(c, "package", &pkgname)) {
			value ptr;
			if (!vdict_get(pkgs_loaded.dict, pkgname, &ptr)) {
				fail(
				    t,
				    "configs[%u]: package not loaded (list it under packages_dirs)",
				    i);
				return;
			}
			own = ptr.obj->data;
		}
		value rawv;
		bool raw = get(c, "raw", &rawv) && v_truthy(rawv);
		struct diag d;
		diag_init(&d);
		value got, layers;
		int lrc;
		if (get(c, "layers", &layers) && layers.type == VT_LIST) {
			/* own tree, then schema-yml / config() layers, then the root's tree */
			got = v_dict(t->a, 8);
			lrc = project_config_apply_tree(own, rt, &fqn, raw, t->a, got, &d);
			for (uint32_t k = 0; k < layers.list->n; k++)
				if (project_config_merge(t->a, got, layers.list->v[k], &d) < 0)
					lrc = -1;
			if (own != p &&
			    project_config_apply_tree(p, rt, &fqn, raw, t->a, got, &d) < 0)
				lrc = -1;
			project_config_finish(t->a, got);
		} else {
			lrc = project_node_config(p, own, rt, &fqn, raw, t->a, &got, &d);
		}
		if (lrc < 0) {
			value werr;
			const struct diag_msg *m = first_error(&d);
			struct buf e = BUF_INIT;
			if (m)
				diag_text(t, m, &e);
			if (get(c, "error", &werr))
				check_val(t, "config error", v_cstr(buf_cstr(&e)), werr);
			else
				fail(t, "configs[%u]: unexpected error: %s", i, buf_cstr(&e));
			buf_release(&e);
		} else {
			char what[64];
			snprintf(what, sizeof what, "configs[%u]", i);
			check_val(t, what, got, want);
		}
		diag_release(&d);
	}
}

static void run_vars(struct tcase *t, struct project *p, value list, value pkgs_loaded)
{
	for (uint32_t i = 0; list.type == VT_LIST && i < list.list->n; i++) {
		value c = list.list->v[i], want, pkgname;
		const char *name = sget(t, c, "name");
		const char *pkg = sget(t, c, "package");
		const char *node = sget(t, c, "node");
		const struct project *dep = NULL;
		if (pkg && get(c, "package", &pkgname)) {
			value ptr;
			if (vdict_get(pkgs_loaded.dict, pkgname, &ptr))
				dep = ptr.obj->data;
		}
		value got;
		char what[96];
		snprintf(what, sizeof what, "vars[%u] %s", i, name ? name : "?");
		if (project_var_lookup(p, dep, pkg, name ? name : "", &got)) {
			if (get(c, "expect", &want))
				check_val(t, what, got, want);
			else
				fail(t, "%s: found, expected missing", what);
		} else {
			struct buf m = BUF_INIT;
			project_var_missing_msg(p, dep, pkg, name ? name : "", node, &m);
			if (get(c, "missing", &want))
				check_val(t, what, v_cstr(buf_cstr(&m)), want);
			else
				fail(t, "%s: not found:\n%s", what, buf_cstr(&m));
			buf_release(&m);
		}
	}
}

static void run_renders(struct tcase *t, struct project *p, value list)
{
	for (uint32_t i = 0; list.type == VT_LIST && i < list.list->n; i++) {
		value c = list.list->v[i], text, want;
		get(c, "text", &text);
		const char *ctx = sget(t, c, "ctx");
		enum project_render_ctx rc =
		    ctx && !strcmp(ctx, "secret") ? PRC_SECRET : PRC_PROJECT;
		struct diag d;
		diag_init(&d);
		value got;
		char what[64];
		snprintf(what, sizeof what, "render[%u]", i);
		if (project_render_value(p, rc, text, &got, &d) < 0) {
			struct buf e = BUF_INIT;
			const struct diag_msg *m = first_error(&d);
			if (m)
				diag_text(t, m, &e);
			if (get(c, "error", &want))
				check_val(t, what, v_cstr(buf_cstr(&e)), want);
			else
				fail(t, "%s: unexpected error: %s", what, buf_cstr(&e));
			buf_release(&e);
		} else if (get(c, "expect", &want)) {
			check_val(t, what, got, want);
		} else {
			fail(t, "%s: rendered, expected an error", what);
		}
		diag_release(&d);
	}
}

static void run_files(struct tcase *t, struct project *p, value want)
{
	struct project_files files;
	struct diag d;
	diag_init(&d);
	if (project_discover(p, &files, &d) < 0) {
		fail(t, "discovery failed");
		diag_release(&d);
		return;
	}
	value got = v_list(t->a, (uint32_t)files.n);
	for (size_t i = 0; i < files.n; i++) {
		const struct project_file *f = &files.v[i];
		const char *sum = f->checksum;
		char *line = arena_printf(t->a, "%s %s %s%s", project_file_kind_name(f->kind),
		                          f->path, !strcmp(f->checksum_name, "path") ? "path:" : "",
		                          strlen(sum) > 12 && strcmp(f->checksum_name, "path")
		                              ? arena_strndup(t->a, sum, 12)
		                              : sum);
		vlist_push(got.list, v_cstr(line));
	}
	free(files.v);
	check_val(t, "files", got, want);
	diag_release(&d);
}

static void run_case(struct tcase *t, value c)
{
	value args = v_none(), env = v_none(), expect = v_none(), werr, warns;
	get(c, "args", &args);
	get(c, "env", &env);
	get(c, "expect", &expect);
	struct project_opts o = {0};
	const char *pd = sget(t, args, "project_dir");
	o.project_dir = pd ? arena_printf(t->a, "%s/%s", t->dir, pd) : t->dir;
	const char *prd = sget(t, args, "profiles_dir");
	o.profiles_dir = prd ? arena_printf(t->a, "%s/%s", t->dir, prd) : NULL;
	o.profile = sget(t, args, "profile");
	o.target = sget(t, args, "target");
	o.vars = sget(t, args, "vars");
	o.target_path = sget(t, args, "target_path");
	const char *th = sget(t, args, "threads");
	o.threads = th ? atoi(th) : 0;
	value b;
	o.no_profile = get(args, "no_profile", &b) && v_truthy(b);
	o.normalized_checksums = get(args, "normalized_checksums", &b) && v_truthy(b);
	const char *cwd = sget(t, c, "cwd");
	o.cwd = cwd ? arena_printf(t->a, "%s/%s", t->dir, cwd) : t->dir;
	if (get(c, "no_project_dir", &b) && v_truthy(b))
		o.project_dir = NULL;
	/* hermetic environment: HOME is the case's home/ unless given */
	uint32_t n = env.type == VT_DICT ? env.dict->n : 0;
	const char **envp = arena_alloc(t->a, (n + 2) * sizeof(char *));
	uint32_t k = 0;
	bool home = false;
	for (uint32_t i = 0; i < n; i++) {
		const struct ventry e_at = vdict_at(env.dict, i), *e = &e_at;
		if (e->k.type != VT_STR)
			continue;
		struct buf v = BUF_INIT;
		v_to_str(e->v, &v);
		char *nm = arena_strndup(t->a, e->k.s, e->k.len);
		if (!strcmp(nm, "HOME"))
			home = true;
		const char *val = buf_cstr(&v);
		if (!strcmp(nm, "HOME") || !strcmp(nm, "DBT_PROFILES_DIR") ||
		    !strcmp(nm, "DBT_PROJECT_DIR"))
			val = arena_printf(t->a, "%s/%s", t->dir, val);
		envp[k++] = arena_printf(t->a, "%s=%s", nm, val);
		buf_release(&v);
	}
	if (!home)
		envp[k++] = arena_printf(t->a, "HOME=%s/home", t->dir);
	envp[k] = NULL;
	o.env = envp;
	o.no_process_env = true;

	/* generated files (too big to keep in the tree): {path, header, line, times} */
	value gen = v_none();
	get(c, "generate", &gen);
	for (uint32_t i = 0; gen.type == VT_LIST && i < gen.list->n; i++) {
		value g = gen.list->v[i];
		const char *path = sget(t, g, "path"), *hdr = sget(t, g, "header");
		const char *line = sget(t, g, "line"), *times = sget(t, g, "times");
		FILE *f = path ? fopen(arena_printf(t->a, "%s/%s", t->dir, path), "wb") : NULL;
		if (!f)
			continue;
		if (hdr)
			fprintf(f, "%s\n", hdr);
		for (long k2 = 0, n2 = times ? atol(times) : 0; line && k2 < n2; k2++)
			fprintf(f, "%s\n", line);
		fclose(f);
	}

	struct project p;
	struct diag d;
	diag_init(&d);
	int rc = project_load(&p, &o, &d);
	/* installed packages to load next to the root */
	value pkgs_loaded = v_dict(t->a, 4), pdirs;
	struct project *deps[16];
	int ndeps = 0;
	if (rc == 0 && get(c, "packages_dirs", &pdirs) && pdirs.type == VT_DICT) {
		for (uint32_t i = 0; i < pdirs.dict->n && ndeps < 16; i++) {
			const struct ventry e_at = vdict_at(pdirs.dict, i), *e = &e_at;
			if (e->k.type != VT_STR || e->v.type != VT_STR)
				continue;
			struct project *dp = xcalloc(1, sizeof *dp);
			char *dir = arena_printf(t->a, "%s/%.*s", t->dir, (int)e->v.len, e->v.s);
			if (project_load_package(dp, &p, dir, &d) < 0)
				rc = -1;
			deps[ndeps++] = dp;
			static const struct vclass holder = {.name = "project"};
			vdict_set(pkgs_loaded.dict, e->k, v_obj(t->a, &holder, dp));
		}
	}
	if (get(c, "error", &werr)) {
		const struct diag_msg *m = first_error(&d);
		if (rc == 0 || !m) {
			fail(t, "expected an error, the project loaded");
		} else {
			struct buf e = BUF_INIT;
			diag_text(t, m, &e);
			check_val(t, "error", v_cstr(buf_cstr(&e)), werr);
			buf_release(&e);
		}
	} else if (rc < 0) {
		struct buf e = BUF_INIT;
		const struct diag_msg *m = first_error(&d);
		if (m)
			diag_text(t, m, &e);
		fail(t, "load failed: %s", buf_cstr(&e));
		buf_release(&e);
	} else {
		value v;
		if (get(expect, "project", &v) && v.type == VT_DICT) {
			value f = project_fields(t->a, &p);
			for (uint32_t i = 0; i < v.dict->n; i++) {
				const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
				if (e->k.type != VT_STR)
					continue;
				value got = v_none();
				vdict_get(f.dict, e->k, &got);
				char *what =
				    arena_printf(t->a, "project.%.*s", (int)e->k.len, e->k.s);
				check_val(t, what, got, e->v);
			}
		}
		if (get(expect, "profile", &v) && v.type == VT_DICT) {
			value f = v_dict(t->a, 8);
			vdict_sets(f.dict, "file", v_cstr(p.profile.file ? p.profile.file : ""));
			vdict_sets(f.dict, "name", v_cstr(p.profile.name ? p.profile.name : ""));
			vdict_sets(f.dict, "target_name",
			           v_cstr(p.profile.target_name ? p.profile.target_name : ""));
			vdict_sets(f.dict, "threads", v_int(p.profile.threads));
			vdict_sets(f.dict, "output", p.profile.output);
			vdict_sets(f.dict, "target", p.profile.target);
			vdict_sets(f.dict, "config", p.profile.config);
			for (uint32_t i = 0; i < v.dict->n; i++) {
				const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
				if (e->k.type != VT_STR)
					continue;
				value got = v_none();
				vdict_get(f.dict, e->k, &got);
				if (got.type == VT_STR && str_eqc(v_as_str(e->k), "file")) {
					size_t pl = strlen(t->dir);
					if (got.len > pl && !strncmp(got.s, t->dir, pl))
						got = v_str(got.s + pl + 1, got.len - pl - 1);
				}
				char *what =
				    arena_printf(t->a, "profile.%.*s", (int)e->k.len, e->k.s);
				check_val(t, what, got, e->v);
			}
		}
		if (get(expect, "packages", &v)) {
			value got = v_list(t->a, 4);
			for (size_t i = 0; i < p.packages.n; i++)
				vlist_push(got.list, package_value(t->a, &p.packages.v[i]));
			check_val(t, "packages", got, v);
		}
		if (get(expect, "packages_file", &v))
			check_val(t, "packages_file",
			          p.packages.file ? v_cstr(p.packages.file) : v_none(), v);
		if (get(expect, "configs", &v))
			run_configs(t, &p, v, pkgs_loaded);
		if (get(expect, "config_paths", &v) && v.type == VT_DICT) {
			for (uint32_t i = 0; i < v.dict->n; i++) {
				const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
				if (e->k.type != VT_STR)
					continue;
				char *tn = arena_strndup(t->a, e->k.s, e->k.len);
				int rt = project_rt_parse(tn);
				if (rt < 0) {
					fail(t, "config_paths: unknown resource type %s", tn);
					continue;
				}
				check_val(t, arena_printf(t->a, "config_paths.%s", tn),
				          project_config_paths(&p, rt, t->a), e->v);
			}
		}
		if (get(expect, "vars", &v))
			run_vars(t, &p, v, pkgs_loaded);
		if (get(expect, "render", &v))
			run_renders(t, &p, v);
		if (get(expect, "files", &v))
			run_files(t, &p, v);
		if (get(expect, "mask", &v)) {
			value in, want;
			get(v, "input", &in);
			get(v, "expect", &want);
			struct buf m = BUF_INIT;
			project_mask_secrets(&p, v_as_str(in), &m);
			check_val(t, "mask", v_cstr(buf_cstr(&m)), want);
			buf_release(&m);
		}
		if (get(expect, "ignore", &v) && v.type == VT_DICT) {
			/* {patterns: "...", match: [paths], no_match: [paths]} */
			value pats, yes, no;
			get(v, "patterns", &pats);
			struct ignore_spec *s = ignore_spec_parse(t->a, pats.s, pats.len);
			if (get(v, "match", &yes))
				for (uint32_t i = 0; i < yes.list->n; i++) {
					char *path = arena_strndup(t->a, yes.list->v[i].s,
					                           yes.list->v[i].len);
					if (!ignore_spec_match(s, path))
						fail(t, "ignore: '%s' should be ignored", path);
				}
			if (get(v, "no_match", &no))
				for (uint32_t i = 0; i < no.list->n; i++) {
					char *path =
					    arena_strndup(t->a, no.list->v[i].s, no.list->v[i].len);
					if (ignore_spec_match(s, path))
						fail(t, "ignore: '%s' should not be ignored", path);
				}
		}
	}
	if (get(c, "warnings", &warns)) {
		value got = v_list(t->a, 4);
		for (size_t i = 0; i < d.msgs.n; i++)
			if (d.msgs.v[i].level == DIAG_WARNING) {
				struct buf e = BUF_INIT;
				diag_text(t, &d.msgs.v[i], &e);
				vlist_push(got.list, v_buf(t->a, &e));
				buf_release(&e);
			}
		check_val(t, "warnings", got, warns);
	}
	for (uint32_t i = 0; gen.type == VT_LIST && i < gen.list->n; i++) {
		const char *path = sget(t, gen.list->v[i], "path");
		if (path)
			unlink(arena_printf(t->a, "%s/%s", t->dir, path));
	}
	for (int i = 0; i < ndeps; i++) {
		project_release(deps[i]);
		free(deps[i]);
	}
	diag_release(&d);
	project_release(&p);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int selftest_project(const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp)
		die("selftest project: cannot open %s", dir);
	VEC(char *) names = {0};
	struct dirent *de;
	while ((de = readdir(dp)))
		if (de->d_name[0] != '.')
			vec_push(&names, xstrdup(de->d_name));
	closedir(dp);
	qsort(names.v, names.n, sizeof(char *), cmp_names);
	int pass = 0, failn = 0, num = 0;
	for (size_t i = 0; i < names.n; i++) {
		struct arena a;
		arena_init(&a);
		char *cdir = arena_printf(&a, "%s/%s", dir, names.v[i]);
		char *cfile = arena_printf(&a, "%s/case.yml", cdir);
		size_t len;
		struct stat st;
		if (stat(cfile, &st) < 0) {
			arena_release(&a);
			continue;
		}
		char *text = cli_read_file(cfile, &len);
		struct tcase t = {.dir = cdir, .a = &a};
		buf_init(&t.why);
		struct diag d;
		diag_init(&d);
		value c;
		if (!text || yaml_load_value(&a, cfile, text, len, &c, &d) < 0 ||
		    c.type != VT_DICT) {
			struct buf e = BUF_INIT;
			diag_print(&d, &e);
			fail(&t, "case.yml unreadable: %s", buf_cstr(&e));
			buf_release(&e);
		} else {
			run_case(&t, c);
		}
		num++;
		if (t.failed) {
			failn++;
			printf("not ok %d - %s\n#   %s\n", num, names.v[i], buf_cstr(&t.why));
		} else {
			pass++;
			printf("ok %d - %s\n", num, names.v[i]);
		}
		diag_release(&d);
		buf_release(&t.why);
		free(text);
		arena_release(&a);
	}
	for (size_t i = 0; i < names.n; i++)
		free(names.v[i]);
	vec_free(&names);
	printf("1..%d\n%d passed, %d failed\n", num, pass, failn);
	return failn ? 1 : 0;
}
