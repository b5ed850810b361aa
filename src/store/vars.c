/* Environment variables: values per scope (project default, environment, job override,
 * personal), secrets sealed, and the effective list an invocation in an environment sees. */
#include "store_int.h"

#define SECRET_PREFIX "DBT_ENV_SECRET_"

static const char *const scope_names[] = { "project", "environment", "job", "personal" };

const char *store_var_scope_name(enum store_var_scope sc) { return scope_names[sc]; }

static int scope_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(scope_names); i++)
		if (s && !strcmp(s, scope_names[i]))
			return (int)i;
	return -1;
}

bool store_var_is_secret(const char *name)
{
	return name && !strncmp(name, SECRET_PREFIX, strlen(SECRET_PREFIX));
}

int store_var_check_name(const char *name, struct diag *d)
{
	bool ok = name && !strncmp(name, "DBT_", 4) && name[4];
	for (const char *p = name; ok && *p; p++)
		ok = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
	if (!ok)
		serr(d, "environment variable '%s': names are upper case (A-Z, 0-9, _) and start with "
		        "DBT_ (DBT_ENV_SECRET_ for secrets), as in dbt Cloud",
		     name ? name : "");
	return ok ? 0 : -1;
}

static void var_aad(struct buf *b, enum store_var_scope sc, int64_t env_id, int64_t job_id,
                    const char *user, const char *name)
{
	buf_reset(b);
	buf_printf(b, "silt:env_var:%s:%lld:%lld:%s:%s", scope_names[sc], (long long)env_id,
	           (long long)job_id, user ? user : "", name);
}

/* Checks that the scope's owner exists; its name in *owner (for messages). */
static int var_owner(struct store *s, const struct store_var *v, const char **user,
                     struct arena *a, const char **owner, struct diag *d)
{
	*user = NULL;
	*owner = "the project default";
	if ((int)v->scope < 0 || (size_t)v->scope >= ARRAY_LEN(scope_names)) {
		serr(d, "environment variable '%s': unknown scope", v->name);
		return -1;
	}
	if (v->scope == SVAR_ENVIRONMENT) {
		struct store_env e;
		if (store_env_get_id(s, v->env_id, a, &e, d) < 0)
			return -1;
		*owner = arena_printf(a, "environment '%s'", e.name);
	} else if (v->scope == SVAR_JOB) {
		struct store_job j;
		if (store_job_get_id(s, v->job_id, a, &j, d) < 0)
			return -1;
		*owner = arena_printf(a, "job '%s'", j.name);
	} else if (v->scope == SVAR_PERSONAL) {
		*user = v->user ? v->user : s->user;
		*owner = arena_printf(a, "the personal values of '%s'", *user);
	}
	return 0;
}

static const char *const match_row =
    "name = ? AND scope = ? AND environment_id IS NOT DISTINCT FROM ? AND job_id IS NOT DISTINCT "
    "FROM ? AND user_name IS NOT DISTINCT FROM ?";

int store_var_set(struct store *s, const struct store_var *v, struct diag *d)
{
	if (store_var_check_name(v->name, d) < 0)
		return -1;
	if (!v->value) {
		serr(d, "environment variable '%s': no value given", v->name);
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	const char *user, *owner;
	struct buf sql = BUF_INIT, aad = BUF_INIT, sealed = BUF_INIT;
	int64_t env_id = v->scope == SVAR_ENVIRONMENT ? v->env_id : 0;
	int64_t job_id = v->scope == SVAR_JOB ? v->job_id : 0;
	int rc = var_owner(s, v, &user, &a, &owner, d);
	bool secret = store_var_is_secret(v->name);
	if (rc == 0 && secret) {
		var_aad(&aad, v->scope, env_id, job_id, user, v->name);
		rc = store_seal(s, aad.p, str_from(v->value), &sealed, d);
	}
	buf_printf(&sql, "DELETE FROM env_var WHERE %s", match_row);
	if (rc == 0)
		rc = st_do(s, d, sql.p, "ttIIt", v->name, scope_names[v->scope], env_id, job_id, user);
	if (rc == 0)
		rc = st_do(s, d,
		           "INSERT INTO env_var (name, scope, environment_id, job_id, user_name, value, "
		           "sealed, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		           "ttIItt" "bt", v->name, scope_names[v->scope], env_id, job_id, user,
		           secret ? NULL : v->value, secret ? sealed.p : NULL,
		           secret ? sealed.n : (size_t)0, store_now(NULL));
	buf_release(&sql);
	buf_release(&aad);
	buf_release(&sealed);
	arena_release(&a);
	return st_end(s, d, rc);
}

int store_var_unset(struct store *s, const struct store_var *v, struct diag *d)
{
	if (store_var_check_name(v->name, d) < 0)
		return -1;
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	const char *user, *owner;
	struct buf sql = BUF_INIT;
	int rc = var_owner(s, v, &user, &a, &owner, d);
	buf_printf(&sql, "DELETE FROM env_var WHERE %s", match_row);
	if (rc == 0)
		rc = st_do(s, d, sql.p, "ttIIt", v->name, scope_names[v->scope],
		           v->scope == SVAR_ENVIRONMENT ? v->env_id : 0,
		           v->scope == SVAR_JOB ? v->job_id : 0, user);
	if (rc == 0 && st_changes(s) == 0) {
		serr(d, "environment variable '%s' has no value in %s", v->name, owner);
		rc = -1;
	}
	buf_release(&sql);
	arena_release(&a);
	return st_end(s, d, rc);
}

typedef VEC(struct store_var) varvec;

static void var_out(varvec *v, struct arena *a, struct store_var **out, size_t *n)
{
	*out = arena_alloc(a, (v->n ? v->n : 1) * sizeof(**out));
	if (v->n)
		memcpy(*out, v->v, v->n * sizeof(**out));
	*n = v->n;
	vec_free(v);
}

#define VAR_SELECT                                                                                 \
	"SELECT v.name, v.scope, v.environment_id, e.name, v.job_id, j.name, v.user_name, "        \
	"v.value, v.sealed FROM env_var v LEFT JOIN environment e ON e.id = v.environment_id "     \
	"LEFT JOIN job j ON j.id = v.job_id "

static void read_var(struct st *st, struct arena *a, struct store_var *v)
{
	memset(v, 0, sizeof(*v));
	v->name = st_text(st, 0, a);
	int sc = scope_parse(st_ctext(st, 1));
	v->scope = sc < 0 ? SVAR_PROJECT : (enum store_var_scope)sc;
	v->env_id = st_int(st, 2);
	v->env_name = st_text(st, 3, a);
	v->job_id = st_int(st, 4);
	v->job_name = st_text(st, 5, a);
	v->user = st_text(st, 6, a);
	v->value = st_text(st, 7, a);
	v->secret = !st_null(st, 8);
}

int store_var_list(struct store *s, struct arena *a, struct store_var **out, size_t *n,
                   struct diag *d)
{
	varvec v = { 0 };
	struct st *st = st_prep(s, d,
	                        VAR_SELECT "ORDER BY v.name, CASE v.scope WHEN 'project' THEN 0 "
	                                   "WHEN 'environment' THEN 1 WHEN 'job' THEN 2 ELSE 3 "
	                                   "END, e.name, j.name, v.user_name",
	                        NULL);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_var x;
		read_var(st, a, &x);
		vec_push(&v, x);
	}
	var_out(&v, a, out, n);
	return rc < 0 ? -1 : 0;
}

int store_effective_env(struct store *s, const struct store_env *e, const struct store_run_ctx *ctx,
                        struct arena *a, struct store_effective *out, struct diag *d)
{
	static const struct store_run_ctx none = { 0 };
	if (!ctx)
		ctx = &none;
	memset(out, 0, sizeof(*out));
	bool dev = e->type == SENV_DEVELOPMENT;
	if (ctx->job_id) {
		struct store_job j;
		if (store_job_get_id(s, ctx->job_id, a, &j, d) < 0)
			return -1;
		if (j.env_id != e->id) {
			serr(d, "job '%s' belongs to environment '%s', not '%s'", j.name, j.env_name,
			     e->name);
			return -1;
		}
	}
	/* every candidate, lowest precedence first; a later row of a name wins */
	struct st *st = st_prep(
	    s, d,
	    VAR_SELECT "WHERE v.scope = 'project' OR (v.scope = 'environment' AND v.environment_id = "
	               "?) OR (v.scope = 'job' AND v.job_id = ? AND ? = 0) OR (v.scope = 'personal' "
	               "AND v.user_name = ? AND ? <> 0) ORDER BY v.name, CASE v.scope WHEN 'project' "
	               "THEN 0 WHEN 'environment' THEN 1 ELSE 2 END",
	    "iIiti", e->id, ctx->job_id, (int64_t)dev, s->user, (int64_t)dev);
	varvec v = { 0 };
	int rc = st ? 0 : -1;
	struct buf aad = BUF_INIT, what = BUF_INIT;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_var x;
		read_var(st, a, &x);
		if (x.secret && !ctx->keep_sealed) {
			var_aad(&aad, x.scope, x.env_id, x.job_id, x.user, x.name);
			buf_reset(&what);
			buf_printf(&what, "the %s value of %s", scope_names[x.scope], x.name);
			size_t bn;
			const void *bv = st_blob(st, 8, &bn);
			if (store_unseal(s, aad.p, bv, bn, a, &x.value, what.p, d) < 0) {
				st_free(st);
				rc = -1;
				break;
			}
		}
		if (v.n && !strcmp(v.v[v.n - 1].name, x.name))
			v.v[v.n - 1] = x;
		else
			vec_push(&v, x);
	}
	buf_release(&aad);
	buf_release(&what);
	if (rc < 0) {
		vec_free(&v);
		return -1;
	}
	var_out(&v, a, &out->vars, &out->nvars);

	size_t cap = out->nvars + 8, k = 0, ns = 0;
	out->env = arena_alloc(a, cap * sizeof(*out->env));
	out->secrets = arena_alloc(a, (out->nvars + 1) * sizeof(*out->secrets));
	for (size_t i = 0; i < out->nvars; i++) {
		const struct store_var *x = &out->vars[i];
		out->env[k++] = arena_printf(a, "%s=%s", x->name, x->value ? x->value : STORE_MASK);
		if (x->secret && x->value && *x->value)
			out->secrets[ns++] = x->value;
	}
	out->nsecrets = ns;
	out->env[k++] = arena_printf(a, "SILT_ENVIRONMENT_NAME=%s", e->name);
	out->env[k++] = arena_printf(a, "SILT_ENVIRONMENT_TYPE=%s", store_env_type_name(e->type));
	out->env[k++] = arena_printf(a, "SILT_ENVIRONMENT_ID=%lld", (long long)e->id);
	if (ctx->run_id)
		out->env[k++] = arena_printf(a, "SILT_RUN_ID=%lld", (long long)ctx->run_id);
	if (ctx->job_id)
		out->env[k++] = arena_printf(a, "SILT_JOB_ID=%lld", (long long)ctx->job_id);
	if (ctx->pr_id && *ctx->pr_id)
		out->env[k++] = arena_printf(a, "SILT_PR_ID=%s", ctx->pr_id);
	if (ctx->git_sha && *ctx->git_sha)
		out->env[k++] = arena_printf(a, "SILT_GIT_SHA=%s", ctx->git_sha);
	out->env[k] = NULL;
	return 0;
}

void store_mask_secrets(const struct store_effective *eff, struct str text, struct buf *out)
{
	for (size_t i = 0; i < text.n;) {
		size_t best = 0;
		for (size_t k = 0; k < eff->nsecrets; k++) {
			size_t n = strlen(eff->secrets[k]);
			if (n > best && n <= text.n - i && !memcmp(text.p + i, eff->secrets[k], n))
				best = n;
		}
		if (best) {
			buf_puts(out, STORE_MASK);
			i += best;
		} else {
			buf_putc(out, text.p[i++]);
		}
	}
}
