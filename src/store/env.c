/* Environments, their sealed credentials, and a developer's personal development settings. */
#include <errno.h>
#include <sys/stat.h>

#include "store_int.h"
#include "yaml/yaml.h"

extern char **environ;

typedef VEC(struct store_kv) kvvec;

static const char *const type_names[] = { "production", "staging", "general", "development" };

const char *store_env_type_name(enum store_env_type t) { return type_names[t]; }

int store_env_type_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(type_names); i++)
		if (s && !strcmp(s, type_names[i]))
			return (int)i;
	return -1;
}

static bool name_ok(const char *n)
{
	if (!n || !*n)
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.'))
			return false;
	return true;
}

#define ENV_SELECT                                                                                 \
	"SELECT e.id, e.name, e.type, e.target_name, e.database, e.schema, e.threads, "            \
	"e.git_branch, e.dbt_version, e.defer_env_id, x.name, e.extended_attributes, "             \
	"e.created_at, e.updated_at FROM environment e LEFT JOIN environment x ON x.id = "         \
	"e.defer_env_id "

static void read_env(struct st *st, struct arena *a, struct store_env *e)
{
	memset(e, 0, sizeof(*e));
	e->id = st_int(st, 0);
	e->name = st_text(st, 1, a);
	int t = store_env_type_parse(st_ctext(st, 2));
	e->type = t < 0 ? SENV_GENERAL : (enum store_env_type)t;
	e->target_name = st_text(st, 3, a);
	e->database = st_text(st, 4, a);
	e->schema = st_text(st, 5, a);
	e->threads = st_int(st, 6);
	e->git_branch = st_text(st, 7, a);
	e->dbt_version = st_text(st, 8, a);
	e->defer_env_id = st_int(st, 9);
	e->defer_env_name = st_text(st, 10, a);
	e->extended_attributes = st_text(st, 11, a);
	e->created_at = st_text(st, 12, a);
	e->updated_at = st_text(st, 13, a);
}

/* 1 and *out when found, 0 when not, -1 on error. */
static int find_env(struct store *s, const char *where, const char *types, const void *key,
                    struct arena *a, struct store_env *out, struct diag *d)
{
	struct buf sql = BUF_INIT;
	buf_printf(&sql, ENV_SELECT "WHERE %s", where);
	struct st *st = !types[0]        ? st_prep(s, d, sql.p, NULL)
	                   : types[0] == 't' ? st_prep(s, d, sql.p, types, (const char *)key)
	                                     : st_prep(s, d, sql.p, types, *(const int64_t *)key);
	buf_release(&sql);
	int rc = st ? st_row(s, d, st) : -1;
	if (rc == 1) {
		read_env(st, a, out);
		st_free(st);
	}
	return rc;
}

static void no_such_env(struct store *s, const char *name, struct diag *d)
{
	struct buf names = BUF_INIT;
	struct st *st = st_prep(s, d, "SELECT name FROM environment ORDER BY name", NULL);
	int rc;
	while (st && (rc = st_row(s, d, st)) == 1)
		buf_printf(&names, "%s%s", names.n ? ", " : "", st_ctext(st, 0));
	if (names.n)
		serr(d, "no environment named '%s' (environments: %s)", name, names.p);
	else
		serr(d, "no environment named '%s' (the store has no environments)", name);
	buf_release(&names);
}

int store_env_get(struct store *s, const char *name, struct arena *a, struct store_env *out,
                  struct diag *d)
{
	int rc = find_env(s, "e.name = ?", "t", name, a, out, d);
	if (rc == 0)
		no_such_env(s, name, d);
	return rc == 1 ? 0 : -1;
}

int store_env_get_id(struct store *s, int64_t id, struct arena *a, struct store_env *out,
                     struct diag *d)
{
	int rc = find_env(s, "e.id = ?", "i", &id, a, out, d);
	if (rc == 0)
		serr(d, "no environment with id %lld", (long long)id);
	return rc == 1 ? 0 : -1;
}

int store_env_list(struct store *s, struct arena *a, struct store_env **out, size_t *n,
                   struct diag *d)
{
	VEC(struct store_env) v = { 0 };
	struct st *st = st_prep(s, d, ENV_SELECT "ORDER BY e.name", NULL);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_env e;
		read_env(st, a, &e);
		vec_push(&v, e);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc;
}

/* The one-of-a-kind rule, said plainly before the unique index would say it tersely. */
static int check_type_free(struct store *s, enum store_env_type t, int64_t self, struct diag *d)
{
	if (t == SENV_GENERAL)
		return 0;
	struct arena a;
	arena_init(&a);
	struct store_env other;
	const char *tn = store_env_type_name(t);
	int rc = find_env(s, "e.type = ?", "t", tn, &a, &other, d);
	if (rc == 1 && other.id != self) {
		if (t == SENV_PRODUCTION)
			serr(d, "environment '%s' is already the production environment, and a project has "
			        "at most one; `silt env mark-production NAME` moves the mark",
			     other.name);
		else if (t == SENV_STAGING)
			serr(d, "environment '%s' is already the staging environment, and a project has at "
			        "most one",
			     other.name);
		else
			serr(d, "environment '%s' is already the development environment, and a project has "
			        "one: each developer's credentials and schema come from "
			        "~/.silt/development.yml or SILT_DEV_* variables",
			     other.name);
		rc = -1;
	}
	arena_release(&a);
	return rc < 0 ? -1 : 0;
}

static int check_env_fields(struct store *s, const struct store_env *e, struct diag *d)
{
	if (!name_ok(e->name)) {
		serr(d, "environment name '%s': use letters, digits, '_', '-' and '.'",
		     e->name ? e->name : "");
		return -1;
	}
	if ((int)e->type < 0 || (size_t)e->type >= ARRAY_LEN(type_names)) {
		serr(d, "environment '%s': unknown type", e->name);
		return -1;
	}
	if (e->threads < 0) {
		serr(d, "environment '%s': threads must be a positive number", e->name);
		return -1;
	}
	if (e->defer_env_id && e->defer_env_id == e->id) {
		serr(d, "environment '%s' cannot defer to itself", e->name);
		return -1;
	}
	struct arena a;
	arena_init(&a);
	struct store_env other;
	int rc = find_env(s, "e.name = ?", "t", e->name, &a, &other, d);
	if (rc == 1 && other.id != e->id) {
		serr(d, "an environment named '%s' already exists", e->name);
		rc = -1;
	}
	arena_release(&a);
	if (rc < 0)
		return -1;
	return check_type_free(s, e->type, e->id, d);
}

static const char *nz(const char *s) { return s && *s ? s : NULL; }

int store_env_create(struct store *s, struct store_env *e, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	e->id = 0;
	int rc = check_env_fields(s, e, d);
	if (rc == 0) {
		const char *now = store_now(NULL);
		rc = st_do_id(s, d, &e->id,
		           "INSERT INTO environment (name, type, target_name, database, schema, threads, "
		           "git_branch, dbt_version, defer_env_id, extended_attributes, created_at, "
		           "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		           "ttttt" "Itt" "Ittt", e->name, store_env_type_name(e->type),
		           nz(e->target_name), nz(e->database), nz(e->schema), e->threads,
		           nz(e->git_branch), nz(e->dbt_version), e->defer_env_id,
		           nz(e->extended_attributes), now, now);
	}
	return st_end(s, d, rc);
}

int store_env_update(struct store *s, struct store_env *e, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_env old;
	int rc = find_env(s, "e.id = ?", "i", &e->id, &a, &old, d);
	if (rc == 0) {
		serr(d, "no environment with id %lld", (long long)e->id);
		rc = -1;
	}
	if (rc == 1 && old.type != e->type &&
	    (old.type == SENV_DEVELOPMENT || e->type == SENV_DEVELOPMENT)) {
		serr(d, "environment '%s' is %s environment and cannot become %s one: create a new "
		        "environment instead",
		     old.name, old.type == SENV_DEVELOPMENT ? "the development" : "a deployment",
		     e->type == SENV_DEVELOPMENT ? "the development" : "a deployment");
		rc = -1;
	}
	arena_release(&a);
	if (rc == 1)
		rc = check_env_fields(s, e, d);
	if (rc >= 0)
		rc = st_do(s, d,
		           "UPDATE environment SET name = ?, type = ?, target_name = ?, database = ?, "
		           "schema = ?, threads = ?, git_branch = ?, dbt_version = ?, defer_env_id = ?, "
		           "extended_attributes = ?, updated_at = ? WHERE id = ?",
		           "ttttt" "Itt" "Itti", e->name, store_env_type_name(e->type),
		           nz(e->target_name), nz(e->database), nz(e->schema), e->threads,
		           nz(e->git_branch), nz(e->dbt_version), e->defer_env_id,
		           nz(e->extended_attributes), store_now(NULL), e->id);
	return st_end(s, d, rc < 0 ? -1 : 0);
}

int store_env_delete(struct store *s, const char *name, int *njobs, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_env e;
	int rc = store_env_get(s, name, &a, &e, d);
	struct st *st = rc < 0 ? NULL
	                       : st_prep(s, d, "SELECT count(*) FROM job WHERE environment_id = ?",
	                                 "i", e.id);
	if (rc == 0 && (!st || st_row(s, d, st) != 1))
		rc = -1;
	if (rc == 0) {
		if (njobs)
			*njobs = (int)st_int(st, 0);
		st_free(st);
		rc = st_do(s, d, "DELETE FROM environment WHERE id = ?", "i", e.id);
	}
	arena_release(&a);
	return st_end(s, d, rc);
}

int store_env_mark_production(struct store *s, const char *name, struct arena *a,
                              const char **previous, struct diag *d)
{
	*previous = NULL;
	if (store_begin(s, d) < 0)
		return -1;
	struct store_env e, old;
	int rc = store_env_get(s, name, a, &e, d);
	if (rc == 0 && e.type == SENV_DEVELOPMENT) {
		serr(d, "environment '%s' is the development environment and cannot be production",
		     name);
		rc = -1;
	}
	if (rc == 0 && e.type != SENV_PRODUCTION) {
		int found = find_env(s, "e.type = 'production'", "", NULL, a, &old, d);
		const char *now = store_now(NULL);
		if (found < 0)
			rc = -1;
		if (found == 1) {
			*previous = old.name;
			rc = st_do(s, d,
			           "UPDATE environment SET type = 'general', updated_at = ? WHERE id = ?",
			           "ti", now, old.id);
		}
		if (rc == 0)
			rc = st_do(s, d,
			           "UPDATE environment SET type = 'production', updated_at = ? WHERE id = ?",
			           "ti", now, e.id);
	}
	return st_end(s, d, rc);
}

/* ---- credentials ---- */
static bool cred_key_ok(const char *k)
{
	if (!k || !*k)
		return false;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return true;
}

static void cred_aad(struct buf *b, int64_t env_id, const char *key)
{
	buf_reset(b);
	buf_printf(b, "silt:credential:%lld:%s", (long long)env_id, key);
}

static int env_for_cred(struct store *s, int64_t env_id, struct arena *a, struct store_env *e,
                        struct diag *d)
{
	if (store_env_get_id(s, env_id, a, e, d) < 0)
		return -1;
	if (e->type == SENV_DEVELOPMENT) {
		serr(d, "environment '%s' is the development environment: its credentials are each "
		        "developer's own (~/.silt/development.yml or SILT_DEV_CREDENTIAL_* variables), "
		        "never stored",
		     e->name);
		return -1;
	}
	return 0;
}

int store_cred_set(struct store *s, int64_t env_id, const char *key, const char *val,
                   struct diag *d)
{
	if (!cred_key_ok(key)) {
		serr(d, "credential key '%s': use letters, digits and '_' (a profile field such as "
		        "user or password)",
		     key ? key : "");
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_env e;
	struct buf aad = BUF_INIT, sealed = BUF_INIT;
	int rc = env_for_cred(s, env_id, &a, &e, d);
	cred_aad(&aad, env_id, key);
	if (rc == 0)
		rc = store_seal(s, aad.p, str_from(val), &sealed, d);
	if (rc == 0)
		rc = st_do(s, d,
		           "INSERT INTO credential VALUES (?, ?, ?) ON CONFLICT (environment_id, key) "
		           "DO UPDATE SET sealed = excluded.sealed",
		           "itb", env_id, key, sealed.p, sealed.n);
	if (rc == 0)
		rc = st_do(s, d, "UPDATE environment SET updated_at = ? WHERE id = ?", "ti",
		           store_now(NULL), env_id);
	buf_release(&aad);
	buf_release(&sealed);
	arena_release(&a);
	return st_end(s, d, rc);
}

int store_cred_unset(struct store *s, int64_t env_id, const char *key, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_env e;
	int rc = store_env_get_id(s, env_id, &a, &e, d);
	if (rc == 0)
		rc = st_do(s, d, "DELETE FROM credential WHERE environment_id = ? AND key = ?", "it",
		           env_id, key);
	if (rc == 0 && st_changes(s) == 0) {
		serr(d, "environment '%s' has no credential '%s'", e.name, key);
		rc = -1;
	}
	arena_release(&a);
	return st_end(s, d, rc);
}

int store_cred_list(struct store *s, int64_t env_id, bool reveal, struct arena *a,
                    struct store_kv **out, size_t *n, struct diag *d)
{
	kvvec v = { 0 };
	struct store_env e;
	int rc = store_env_get_id(s, env_id, a, &e, d);
	struct st *st = rc < 0 ? NULL
	                       : st_prep(s, d,
	                                 "SELECT key, sealed FROM credential WHERE "
	                                 "environment_id = ? ORDER BY key",
	                                 "i", env_id);
	if (!st)
		rc = -1;
	struct buf aad = BUF_INIT, what = BUF_INIT;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_kv kv = { st_text(st, 0, a), NULL };
		if (reveal) {
			cred_aad(&aad, env_id, kv.key);
			buf_reset(&what);
			buf_printf(&what, "credential '%s' of environment '%s'", kv.key, e.name);
			size_t bn;
			const void *bv = st_blob(st, 1, &bn);
			if (store_unseal(s, aad.p, bv, bn, a, &kv.value, what.p, d) < 0) {
				st_free(st);
				rc = -1;
				break;
			}
		}
		vec_push(&v, kv);
	}
	buf_release(&aad);
	buf_release(&what);
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}

/* ---- personal development settings ---- */
static const char *scalar_text(const struct yaml_node *n, struct arena *a)
{
	if (!n || n->kind != YAML_K_SCALAR || n->tag == YAML_T_NULL)
		return NULL;
	return arena_strndup(a, n->text, n->len);
}

static void put_cred(kvvec *v, const char *key, const char *val)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i].key, key)) {
			v->v[i].value = val;
			return;
		}
	struct store_kv kv = { key, val };
	vec_push(v, kv);
}

static int cmp_kv(const void *x, const void *y)
{
	return strcmp(((const struct store_kv *)x)->key, ((const struct store_kv *)y)->key);
}

static int read_personal_file(const char *file, struct arena *a, struct store_personal *out,
                              kvvec *creds, struct diag *d)
{
	size_t len;
	char *text = file_read_all(file, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		serr(d, "%s: %s", file, strerror(errno));
		return -1;
	}
	out->file = arena_strndup(a, file, strlen(file));
	const char *copy = arena_strndup(a, text, len);
	free(text);
	struct yaml_doc *doc;
	if (yaml_load(a, out->file, copy, len, &doc, d) < 0)
		return -1;
	const struct yaml_node *root = doc->root;
	if (!root)
		return 0;
	if (!yaml_is_map(root)) {
		yaml_error(d, root, "expected a mapping with schema, database, threads, credentials");
		return -1;
	}
	for (uint32_t i = 0; i < root->len; i++) {
		const struct yaml_node *k = root->pairs[i].key, *v = root->pairs[i].val;
		const char *key = yaml_is_str(k) ? k->text : "";
		if (!strcmp(key, "schema") || !strcmp(key, "database")) {
			if (v->kind != YAML_K_SCALAR) {
				yaml_error(d, v, "'%s' must be a string", key);
				return -1;
			}
			*(!strcmp(key, "schema") ? &out->schema : &out->database) = scalar_text(v, a);
		} else if (!strcmp(key, "threads")) {
			if (v->tag != YAML_T_INT || v->i <= 0) {
				yaml_error(d, v, "'threads' must be a positive integer");
				return -1;
			}
			out->threads = v->i;
		} else if (!strcmp(key, "credentials")) {
			if (!yaml_is_map(v)) {
				yaml_error(d, v, "'credentials' must be a mapping of profile fields to values");
				return -1;
			}
			for (uint32_t j = 0; j < v->len; j++) {
				const struct yaml_node *ck = v->pairs[j].key, *cv = v->pairs[j].val;
				if (!yaml_is_str(ck) || !cred_key_ok(ck->text) || cv->kind != YAML_K_SCALAR) {
					yaml_error(d, ck, "credentials: expected `field: value` pairs");
					return -1;
				}
				put_cred(creds, scalar_text(ck, a), scalar_text(cv, a));
			}
		} else {
			yaml_error(d, k, "unknown key '%s' (expected schema, database, threads, "
			                 "credentials)",
			           key);
			return -1;
		}
	}
	struct stat st;
	if (creds->n && stat(file, &st) == 0 && (st.st_mode & 077)) {
		serr(d, "%s holds credentials but is readable by other users (mode %03o); run "
		        "`chmod 600 %s`",
		     file, (unsigned)(st.st_mode & 0777), file);
		return -1;
	}
	return 0;
}

int store_personal_load(struct store *s, struct arena *a, struct store_personal *out,
                        struct diag *d)
{
	memset(out, 0, sizeof(*out));
	kvvec creds = { 0 };
	int rc = 0;
	if (*s->home) {
		struct buf f = BUF_INIT;
		buf_printf(&f, "%s/.silt/development.yml", s->home);
		rc = read_personal_file(f.p, a, out, &creds, d);
		buf_release(&f);
	}
	const char *v;
	if (rc == 0 && (v = getenv("SILT_DEV_SCHEMA")) && *v)
		out->schema = arena_strndup(a, v, strlen(v));
	if (rc == 0 && (v = getenv("SILT_DEV_DATABASE")) && *v)
		out->database = arena_strndup(a, v, strlen(v));
	if (rc == 0 && (v = getenv("SILT_DEV_THREADS")) && *v) {
		char *end;
		long t = strtol(v, &end, 10);
		if (*end || t <= 0) {
			serr(d, "SILT_DEV_THREADS must be a positive integer, not '%s'", v);
			rc = -1;
		}
		out->threads = t;
	}
	static const char prefix[] = "SILT_DEV_CREDENTIAL_";
	for (char **e = environ; rc == 0 && e && *e; e++) {
		if (strncmp(*e, prefix, sizeof(prefix) - 1))
			continue;
		const char *k = *e + sizeof(prefix) - 1, *eq = strchr(k, '=');
		if (!eq || eq == k)
			continue;
		char *key = arena_strndup(a, k, (size_t)(eq - k));
		for (char *p = key; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		put_cred(&creds, key, arena_strndup(a, eq + 1, strlen(eq + 1)));
	}
	if (creds.n)
		qsort(creds.v, creds.n, sizeof(*creds.v), cmp_kv);
	out->creds = arena_alloc(a, (creds.n ? creds.n : 1) * sizeof(*out->creds));
	if (creds.n)
		memcpy(out->creds, creds.v, creds.n * sizeof(*creds.v));
	out->ncreds = creds.n;
	vec_free(&creds);
	return rc;
}
