/* silt env: the environments of the metadata store (src/store/) and their variables.
 *
 *   silt env create NAME --type production|staging|general|development [settings]
 *   silt env list | show NAME | edit NAME [settings] | delete NAME | mark-production NAME
 *   silt env var set NAME VALUE [--env E | --job J | --personal]
 *   silt env var unset NAME [--env E | --job J | --personal]
 *   silt env var list [--env E [--job J]]
 *
 * Settings: --target T, --database D, --schema S, --threads N, --branch B, --dbt-version V,
 * --defer-env E, --credential key=value ... (value `-` reads it from stdin); edit also takes
 * --name NEW, --type T and --unset-credential KEY ...; an empty value clears a setting. Every
 * command takes --store PATH (else SILT_STORE, else <project>/.silt/silt.db) and
 * --project-dir DIR. Credentials and DBT_ENV_SECRET_* values are never printed. */
#include "cli.h"
#include "jobs.h"
#include "store/store.h"

static const char usage_text[] =
    "usage: silt env [--store PATH] [--project-dir DIR] <command>\n"
    "  create NAME --type production|staging|general|development [--target T] [--database D]\n"
    "         [--schema S] [--threads N] [--branch B] [--dbt-version V] [--defer-env E]\n"
    "         [--credential key=value ...]\n"
    "  list\n"
    "  show NAME\n"
    "  edit NAME [--name NEW] [--type T] [settings as for create] [--unset-credential KEY ...]\n"
    "  delete NAME\n"
    "  mark-production NAME\n"
    "  var set NAME VALUE [--env E | --job J | --personal]   (VALUE - reads stdin)\n"
    "  var unset NAME [--env E | --job J | --personal]\n"
    "  var list [--env E [--job J]]\n";

static void print_errors(const struct diag *d)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->msgs.n; i++) {
		buf_reset(&b);
		diag_format_msg(&d->msgs.v[i], &b);
		fprintf(stderr, "silt env: %s\n", buf_cstr(&b));
	}
	buf_release(&b);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("silt env: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return 2;
}

static const char *dash(const char *s) { return s && *s ? s : "-"; }

/* ---- the settings flags of create and edit ---- */
struct env_flags {
	const char *name, *type, *target, *database, *schema, *threads, *branch, *dbt_version,
	    *defer_env;
	VEC(const char *) creds;   /* key=value */
	VEC(const char *) uncreds; /* keys */
};

static int take_value(int argc, char **argv, int *i, const char **out)
{
	if (*i + 1 >= argc)
		return usage_error("%s needs a value", argv[*i]);
	*out = argv[++*i];
	return 0;
}

/* Parses argv[from..argc); `edit` allows --name and --unset-credential. */
static int parse_env_flags(int argc, char **argv, int from, bool edit, struct env_flags *f)
{
	static const struct {
		const char *flag;
		size_t off;
	} single[] = {
		{ "--type", offsetof(struct env_flags, type) },
		{ "--target", offsetof(struct env_flags, target) },
		{ "--database", offsetof(struct env_flags, database) },
		{ "--schema", offsetof(struct env_flags, schema) },
		{ "--threads", offsetof(struct env_flags, threads) },
		{ "--branch", offsetof(struct env_flags, branch) },
		{ "--dbt-version", offsetof(struct env_flags, dbt_version) },
		{ "--defer-env", offsetof(struct env_flags, defer_env) },
		{ "--name", offsetof(struct env_flags, name) },
	};
	for (int i = from; i < argc; i++) {
		const char *a = argv[i];
		bool done = false;
		for (size_t k = 0; k < ARRAY_LEN(single) && !done; k++) {
			if (strcmp(a, single[k].flag))
				continue;
			if (!edit && !strcmp(a, "--name"))
				return usage_error("'%s' is for edit", a);
			if (take_value(argc, argv, &i, (const char **)((char *)f + single[k].off)) < 0)
				return 2;
			done = true;
		}
		if (done)
			continue;
		bool cred = !strcmp(a, "--credential");
		if (cred || (edit && !strcmp(a, "--unset-credential"))) {
			int n = 0;
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) {
				const char *v = argv[++i];
				if (cred && !strchr(v, '='))
					return usage_error("--credential takes key=value, not '%s'", v);
				if (cred)
					vec_push(&f->creds, v);
				else
					vec_push(&f->uncreds, v);
				n++;
			}
			if (!n)
				return usage_error("%s needs at least one value", a);
			continue;
		}
		return usage_error("unexpected argument '%s'", a);
	}
	return 0;
}

static void env_flags_release(struct env_flags *f)
{
	vec_free(&f->creds);
	vec_free(&f->uncreds);
}

/* Applies the flags to e (NULL fields keep e's values; "" clears). */
static int apply_env_flags(struct store *s, const struct env_flags *f, struct store_env *e,
                           struct arena *a, struct diag *d)
{
	if (f->type) {
		int t = store_env_type_parse(f->type);
		if (t < 0) {
			fprintf(stderr, "silt env: --type '%s' is not one of production, staging, general, "
			                "development\n",
			        f->type);
			return -1;
		}
		e->type = (enum store_env_type)t;
	}
	if (f->name)
		e->name = f->name;
	if (f->target)
		e->target_name = f->target;
	if (f->database)
		e->database = f->database;
	if (f->schema)
		e->schema = f->schema;
	if (f->branch)
		e->git_branch = f->branch;
	if (f->dbt_version)
		e->dbt_version = f->dbt_version;
	if (f->threads) {
		char *end;
		long n = strtol(f->threads, &end, 10);
		if (!*f->threads) {
			e->threads = 0;
		} else if (*end || n <= 0 || n > 1024) {
			fprintf(stderr, "silt env: --threads '%s' is not a positive number\n", f->threads);
			return -1;
		} else {
			e->threads = n;
		}
	}
	if (f->defer_env) {
		e->defer_env_id = 0;
		if (*f->defer_env) {
			struct store_env other;
			if (store_env_get(s, f->defer_env, a, &other, d) < 0)
				return -1;
			e->defer_env_id = other.id;
		}
	}
	return 0;
}

static int write_creds(struct store *s, int64_t env_id, const struct env_flags *f, struct arena *a,
                       struct diag *d)
{
	for (size_t i = 0; i < f->creds.n; i++) {
		const char *kv = f->creds.v[i], *eq = strchr(kv, '=');
		char *key = arena_strndup(a, kv, (size_t)(eq - kv));
		if (store_cred_set(s, env_id, key, cli_stdin_value(eq + 1, a), d) < 0)
			return -1;
	}
	for (size_t i = 0; i < f->uncreds.n; i++)
		if (store_cred_unset(s, env_id, f->uncreds.v[i], d) < 0)
			return -1;
	return 0;
}

/* ---- commands ---- */
static int env_create(struct store *s, int argc, char **argv, struct arena *a, struct diag *d)
{
	if (argc < 2 || !strncmp(argv[1], "--", 2))
		return usage_error("%s needs an environment name", "create");
	struct env_flags f = { 0 };
	int rc = parse_env_flags(argc, argv, 2, false, &f);
	if (rc == 0 && !f.type)
		rc = usage_error("create needs --type (%s)", "production, staging, general or development");
	struct store_env e = { .name = argv[1] };
	if (rc == 0 && store_begin(s, d) < 0)
		rc = 1;
	if (rc == 0) {
		rc = apply_env_flags(s, &f, &e, a, d) < 0 || store_env_create(s, &e, d) < 0 ||
		     write_creds(s, e.id, &f, a, d) < 0;
		if (rc)
			store_rollback(s);
		else if (store_commit(s, d) < 0)
			rc = 1;
	}
	if (rc == 0)
		printf("Created environment '%s' (%s)%s.\n", e.name, store_env_type_name(e.type),
		       f.creds.n ? ", with its credentials sealed" : "");
	env_flags_release(&f);
	return rc;
}

static int env_edit(struct store *s, int argc, char **argv, struct arena *a, struct diag *d)
{
	if (argc < 2 || !strncmp(argv[1], "--", 2))
		return usage_error("%s needs an environment name", "edit");
	struct env_flags f = { 0 };
	int rc = parse_env_flags(argc, argv, 2, true, &f);
	struct store_env e;
	if (rc == 0 && store_begin(s, d) < 0)
		rc = 1;
	if (rc == 0) {
		rc = store_env_get(s, argv[1], a, &e, d) < 0 || apply_env_flags(s, &f, &e, a, d) < 0 ||
		     store_env_update(s, &e, d) < 0 || write_creds(s, e.id, &f, a, d) < 0;
		if (rc)
			store_rollback(s);
		else if (store_commit(s, d) < 0)
			rc = 1;
	}
	if (rc == 0)
		printf("Updated environment '%s'.\n", e.name);
	env_flags_release(&f);
	return rc;
}

static int env_list(struct store *s, int argc, char **argv, struct arena *a, struct diag *d)
{
	(void)argv;
	if (argc > 1)
		return usage_error("list takes no arguments, not '%s'", argv[1]);
	struct store_env *v;
	size_t n;
	if (store_env_list(s, a, &v, &n, d) < 0)
		return 1;
	if (!n) {
		puts("No environments. Create one with `silt env create NAME --type TYPE`.");
		return 0;
	}
	printf("%-16s %-12s %-12s %-12s %-16s %-7s %s\n", "NAME", "TYPE", "TARGET", "DATABASE",
	       "SCHEMA", "THREADS", "BRANCH");
	for (size_t i = 0; i < n; i++) {
		char th[24];
		snprintf(th, sizeof(th), "%lld", (long long)v[i].threads);
		printf("%-16s %-12s %-12s %-12s %-16s %-7s %s\n", v[i].name,
		       store_env_type_name(v[i].type), dash(v[i].target_name), dash(v[i].database),
		       dash(v[i].schema), v[i].threads ? th : "-", dash(v[i].git_branch));
	}
	return 0;
}

static const char *scope_label(const struct store_var *v, struct arena *a)
{
	switch (v->scope) {
	case SVAR_PROJECT:
		return "project default";
	case SVAR_ENVIRONMENT:
		return arena_printf(a, "environment %s", dash(v->env_name));
	case SVAR_JOB:
		return arena_printf(a, "job %s", dash(v->job_name));
	case SVAR_PERSONAL:
		return arena_printf(a, "personal (%s)", dash(v->user));
	}
	return "";
}

/* The variables an environment (and job) sees, secrets masked. */
static int print_effective(struct store *s, const struct store_env *e, int64_t job_id,
                           const char *indent, struct arena *a, struct diag *d)
{
	struct store_run_ctx ctx = { .job_id = job_id, .keep_sealed = true };
	struct store_effective eff;
	if (store_effective_env(s, e, &ctx, a, &eff, d) < 0)
		return -1;
	for (size_t i = 0; i < eff.nvars; i++) {
		const struct store_var *v = &eff.vars[i];
		printf("%s%s=%s  (%s)\n", indent, v->name, v->secret ? STORE_MASK : v->value,
		       scope_label(v, a));
	}
	for (const char **x = eff.env + eff.nvars; *x; x++)
		printf("%s%s  (read-only)\n", indent, *x);
	return 0;
}

static int env_show(struct store *s, int argc, char **argv, struct arena *a, struct diag *d)
{
	if (argc != 2)
		return usage_error("%s takes one environment name", "show");
	struct store_env e;
	if (store_env_get(s, argv[1], a, &e, d) < 0)
		return 1;
	/* everything that can fail is read before anything is printed */
	struct store_personal p = { 0 };
	struct store_kv *kv = NULL;
	size_t n = 0;
	if (e.type == SENV_DEVELOPMENT ? store_personal_load(s, a, &p, d) < 0
	                               : store_cred_list(s, e.id, false, a, &kv, &n, d) < 0)
		return 1;
	struct store_job *jobs;
	size_t nj;
	if (store_job_list(s, e.id, a, &jobs, &nj, d) < 0)
		return 1;
	char th[24];
	snprintf(th, sizeof(th), "%lld", (long long)e.threads);
	printf("name:         %s\n", e.name);
	printf("type:         %s\n", store_env_type_name(e.type));
	printf("target:       %s\n", dash(e.target_name));
	printf("database:     %s\n", dash(e.database));
	printf("schema:       %s\n", dash(e.schema));
	printf("threads:      %s\n", e.threads ? th : "-");
	printf("git branch:   %s\n", dash(e.git_branch));
	printf("dbt version:  %s\n", dash(e.dbt_version));
	printf("defer to:     %s\n", dash(e.defer_env_name));
	printf("created:      %s\n", e.created_at);
	printf("updated:      %s\n", e.updated_at);
	if (e.type == SENV_DEVELOPMENT) {
		printf("personal settings of %s (%s, SILT_DEV_*):\n", store_user(s),
		       p.file ? p.file : "~/.silt/development.yml absent");
		printf("  schema:     %s\n", dash(p.schema));
		printf("  database:   %s\n", dash(p.database));
		if (p.threads)
			printf("  threads:    %lld\n", (long long)p.threads);
		printf("  credentials:%s\n", p.ncreds ? "" : " none");
		for (size_t i = 0; i < p.ncreds; i++)
			printf("    %s: %s\n", p.creds[i].key, STORE_MASK);
	} else {
		printf("credentials:%s\n", n ? "" : " none");
		for (size_t i = 0; i < n; i++)
			printf("  %s: %s\n", kv[i].key, STORE_MASK);
	}
	printf("variables:\n");
	if (print_effective(s, &e, 0, "  ", a, d) < 0)
		return 1;
	printf("jobs:%s\n", nj ? "" : " none");
	for (size_t i = 0; i < nj; i++)
		printf("  %s\n", jobs[i].name);
	return 0;
}

static int env_delete(struct store *s, int argc, char **argv, struct arena *a, struct diag *d)
{
	(void)a;
	if (argc != 2)
		return usage_error("%s takes one environment name", "delete");
	int njobs = 0;
	if (store_env_delete(s, argv[1], &njobs, d) < 0)
		return 1;
	if (njobs)
		printf("Deleted environment '%s' and its %d job%s (their runs are kept).\n", argv[1],
		       njobs, njobs == 1 ? "" : "s");
	else
		printf("Deleted environment '%s'.\n", argv[1]);
	return 0;
}

static int env_mark_production(struct store *s, int argc, char **argv, struct arena *a,
                               struct diag *d)
{
	if (argc != 2)
		return usage_error("%s takes one environment name", "mark-production");
	const char *prev;
	if (store_env_mark_production(s, argv[1], a, &prev, d) < 0)
		return 1;
	if (prev)
		printf("Environment '%s' is now the production environment; '%s' is now general.\n",
		       argv[1], prev);
	else
		printf("Environment '%s' is the production environment.\n", argv[1]);
	return 0;
}

/* ---- variables ---- */
/* Parses [--env E | --job J | --personal] from argv[from..) into v. */
static int parse_scope(struct store *s, int argc, char **argv, int from, bool listing,
                       struct store_var *v, struct store_env *env, struct arena *a, struct diag *d)
{
	const char *env_name = NULL, *job_name = NULL;
	bool personal = false;
	for (int i = from; i < argc; i++) {
		if (!strcmp(argv[i], "--env") || !strcmp(argv[i], "--job")) {
			const char **into = argv[i][2] == 'e' ? &env_name : &job_name;
			if (take_value(argc, argv, &i, into) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--personal") && !listing) {
			personal = true;
		} else {
			return usage_error("unexpected argument '%s'", argv[i]);
		}
	}
	if ((env_name != NULL) + (job_name != NULL) + personal > 1 && !listing)
		return usage_error("%s", "give one of --env, --job and --personal");
	if (listing && job_name && !env_name)
		return usage_error("%s", "var list --job needs --env");
	v->scope = SVAR_PROJECT;
	if (env_name) {
		if (store_env_get(s, env_name, a, env, d) < 0)
			return 1;
		v->scope = SVAR_ENVIRONMENT;
		v->env_id = env->id;
	}
	if (job_name) {
		struct store_job j;
		if (store_job_get(s, job_name, a, &j, d) < 0)
			return 1;
		v->scope = SVAR_JOB;
		v->job_id = j.id;
	}
	if (personal)
		v->scope = SVAR_PERSONAL;
	return 0;
}

static const char *scope_phrase(const struct store_var *v, const char *env, const char *job,
                                struct store *s, struct arena *a)
{
	switch (v->scope) {
	case SVAR_PROJECT:
		return "as the project default";
	case SVAR_ENVIRONMENT:
		return arena_printf(a, "in environment '%s'", env);
	case SVAR_JOB:
		return arena_printf(a, "for job '%s'", job);
	case SVAR_PERSONAL:
		return arena_printf(a, "as %s's personal value (development)", store_user(s));
	}
	return "";
}

static const char *arg_after(int argc, char **argv, const char *flag)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], flag))
			return argv[i + 1];
	return NULL;
}

static int var_cmd(struct store *s, int argc, char **argv, struct arena *a, struct diag *d)
{
	if (argc < 2)
		return usage_error("%s needs set, unset or list", "var");
	const char *sub = argv[1];
	struct store_var v = { 0 };
	struct store_env env = { 0 };
	if (!strcmp(sub, "set") || !strcmp(sub, "unset")) {
		bool set = sub[0] == 's';
		int need = set ? 4 : 3;
		if (argc < need || !strncmp(argv[2], "--", 2) || (set && !strncmp(argv[3], "--", 2)))
			return usage_error("%s", set ? "var set needs NAME VALUE" : "var unset needs NAME");
		v.name = argv[2];
		int rc = parse_scope(s, argc, argv, need, false, &v, &env, a, d);
		if (rc)
			return rc;
		if (set)
			v.value = cli_stdin_value(argv[3], a);
		if ((set ? store_var_set(s, &v, d) : store_var_unset(s, &v, d)) < 0)
			return 1;
		printf("%s %s %s.\n", set ? "Set" : "Unset", v.name,
		       scope_phrase(&v, env.name, arg_after(argc, argv, "--job"), s, a));
		return 0;
	}
	if (!strcmp(sub, "list")) {
		int rc = parse_scope(s, argc, argv, 2, true, &v, &env, a, d);
		if (rc)
			return rc;
		if (env.name)
			return print_effective(s, &env, v.job_id, "", a, d) < 0 ? 1 : 0;
		struct store_var *list;
		size_t n;
		if (store_var_list(s, a, &list, &n, d) < 0)
			return 1;
		if (!n) {
			puts("No environment variables. Set one with `silt env var set NAME VALUE`.");
			return 0;
		}
		printf("%-32s %-24s %s\n", "NAME", "SCOPE", "VALUE");
		for (size_t i = 0; i < n; i++)
			printf("%-32s %-24s %s\n", list[i].name, scope_label(&list[i], a),
			       list[i].secret ? STORE_MASK : list[i].value);
		return 0;
	}
	return usage_error("unknown var command '%s'", sub);
}

static const struct {
	const char *name;
	int (*run)(struct store *s, int argc, char **argv, struct arena *a, struct diag *d);
} env_commands[] = {
	{ "create", env_create },     { "list", env_list },
	{ "show", env_show },         { "edit", env_edit },
	{ "delete", env_delete },     { "mark-production", env_mark_production },
	{ "var", var_cmd },
};

int cmd_env(int argc, char **argv)
{
	const char *store_arg = NULL, *project_dir = NULL;
	char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
	int nrest = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "--store") || !strcmp(a, "--project-dir")) && i + 1 < argc) {
			*(a[2] == 's' ? &store_arg : &project_dir) = argv[++i];
		} else if (!strncmp(a, "--store=", 8)) {
			store_arg = a + 8;
		} else if (!strncmp(a, "--project-dir=", 14)) {
			project_dir = a + 14;
		} else if (!strcmp(a, "--store") || !strcmp(a, "--project-dir")) {
			free(rest);
			return usage_error("%s needs a value", a);
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (!nrest || !strcmp(rest[0], "--help") || !strcmp(rest[0], "help")) {
		free(rest);
		fputs(usage_text, nrest ? stdout : stderr);
		return nrest ? 0 : 2;
	}
	int found = -1;
	for (size_t i = 0; i < ARRAY_LEN(env_commands); i++)
		if (!strcmp(rest[0], env_commands[i].name))
			found = (int)i;
	if (found < 0) {
		int rc = usage_error("unknown command '%s'", rest[0]);
		free(rest);
		return rc;
	}
	struct diag d;
	diag_init(&d);
	struct buf path = BUF_INIT;
	struct arena a;
	arena_init(&a);
	int rc = 1;
	struct store *s = NULL;
	if (store_locate(store_arg, project_dir, &path, &d) == 0 &&
	    (s = store_open(path.p, NULL, &d)) != NULL)
		rc = env_commands[found].run(s, nrest, rest, &a, &d);
	print_errors(&d);
	if (rc && !d.errors && rc != 2 && !d.msgs.n)
		fputs("silt env: failed\n", stderr);
	store_close(s);
	arena_release(&a);
	buf_release(&path);
	diag_release(&d);
	free(rest);
	return rc;
}
