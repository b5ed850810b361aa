/* Unit tests for the metadata store: migrations (idempotent, a newer store refused), the
 * one-production/one-staging rule (in C and in the schema's partial unique index), credentials
 * sealed with AES-256-GCM (round trip, nothing in clear on disk, a wrong key refused), rollback
 * of failed writes and of caller transactions, a store locked by another connection, variable
 * precedence, runs and the applied state. Runs in a mkdtemp directory. */
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store_db.h"
#include "tap.h"

void test_store(void);

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static char dir[64];
static struct diag dg;

static const char *last_msg(void) { return dg.msgs.n ? dg.msgs.v[dg.msgs.n - 1].msg : ""; }
/* ok() with the last message shown (evaluated after the condition) */
#define okm(cond, what)                                                                            \
	do {                                                                                       \
		bool c_ = (cond);                                                                  \
		ok(c_, "%s%s%s", (what), dg.msgs.n ? ": " : "", last_msg());                     \
	} while (0)
static bool said(const char *needle) { return strstr(last_msg(), needle) != NULL; }

static char *path_in(const char *name)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

static struct store *open_with(const char *path, const char *key, int busy_ms)
{
	struct store_opts o = { .key = key, .home = dir, .user = "alice", .busy_timeout_ms = busy_ms };
	diag_clear(&dg);
	return store_open(path, &o, &dg);
}

/* The first column of the first row, through a connection of our own. */
static long long raw_int(const char *path, const char *sql) { return test_raw_int(path, sql); }
static int raw_exec(const char *path, const char *sql) { return test_raw_exec(path, sql); }

/* A new store named `name`: a file in dir, or a PostgreSQL database (store_db.h). */
static char *store_in(const char *name) { return test_store_loc(dir, name); }

static int64_t mkenv(struct store *s, const char *name, enum store_env_type t)
{
	struct store_env e = { .name = name, .type = t };
	diag_clear(&dg);
	return store_env_create(s, &e, &dg) < 0 ? 0 : e.id;
}

static void test_migrations(void)
{
	char *p = store_in("m/.silt/silt.db");
	struct store *s = open_with(p, KEY_A, 0);
	ok(s != NULL, "a new store opens");
	if (!s)
		return;
	int known = store_known_version();
	ok(known >= 1, "the binary embeds its migrations (%d)", known);
	is_int(store_schema_version(s, &dg), known, "a new store is migrated to the newest version");
	is_int(store_migrate(s, &dg), 0, "migrating again does nothing");
	store_close(s);
	if (!test_store_pg()) {
		char *gi = path_in("m/.silt/.gitignore");
		ok(access(gi, F_OK) == 0, "the .silt folder gets a .gitignore");
		free(gi);
	}
	s = open_with(p, KEY_A, 0);
	ok(s != NULL, "the store reopens");
	store_close(s);
	is_int(raw_int(p, "SELECT count(*) FROM schema_migrations"), known,
	       "schema_migrations has one row per migration after two opens");
	is_int(raw_int(p, "SELECT count(DISTINCT applied_at) FROM schema_migrations WHERE version = 1"),
	       1, "migration 1 ran once");
	if (!test_store_pg())
		ok(raw_int(p, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1,
		   "the store is in WAL mode");

	/* a store from a newer silt */
	raw_exec(p, "INSERT INTO schema_migrations VALUES (999, 'store/migrations/0999_future.sql', "
	            "'2099-01-01T00:00:00.000Z')");
	s = open_with(p, KEY_A, 0);
	okm(!s && said("newer silt") && said("version 999"), "a newer store is refused");
	store_close(s);
	is_int(raw_int(p, "SELECT count(*) FROM schema_migrations"), known + 1,
	       "the newer store is left as it is");

	/* a file that is not a database */
	if (test_store_pg()) {
		free(p);
		return;
	}
	char *junk = path_in("junk.db");
	FILE *f = fopen(junk, "w");
	fputs("this is not a database, not even close; it is just some text that goes on\n", f);
	fclose(f);
	s = open_with(junk, KEY_A, 0);
	okm(!s && said("not a silt store"), "a foreign file is refused");
	store_close(s);
	free(junk);
	free(p);
}

static void test_environments(void)
{
	char *p = store_in("env.db");
	struct store *s = open_with(p, KEY_A, 0);
	if (!s) {
		ok(0, "store opens");
		return;
	}
	struct arena a;
	arena_init(&a);
	int64_t prod = mkenv(s, "prod", SENV_PRODUCTION);
	ok(prod > 0, "a production environment is created");
	okm(mkenv(s, "prod2", SENV_PRODUCTION) == 0 && said("'prod' is already the production"), "a second production environment is refused");
	okm(mkenv(s, "prod", SENV_GENERAL) == 0 && said("already exists"), "a taken name is refused");
	okm(mkenv(s, "bad name", SENV_GENERAL) == 0 && said("letters, digits"),
	   "a name with a space is refused");
	int64_t stg = mkenv(s, "stg", SENV_STAGING);
	okm(stg > 0 && mkenv(s, "stg2", SENV_STAGING) == 0 && said("staging"),
	   "one staging environment, not two");
	ok(mkenv(s, "dev", SENV_DEVELOPMENT) > 0 && mkenv(s, "dev2", SENV_DEVELOPMENT) == 0,
	   "one development environment, not two");
	int64_t ci = mkenv(s, "ci", SENV_GENERAL);
	ok(ci > 0 && mkenv(s, "qa", SENV_GENERAL) > 0, "general environments are not limited");
	/* the schema's own guard, past the C checks */
	int rc = raw_exec(p, "INSERT INTO environment (name, type, created_at, updated_at) VALUES "
	                     "('sneaky', 'production', 'x', 'x')");
	ok(rc < 0 && raw_int(p, "SELECT count(*) FROM environment WHERE name = 'sneaky'") == 0,
	   "the partial unique index refuses a second production");

	/* edit: the type rule holds on update too */
	struct store_env e;
	diag_clear(&dg);
	store_env_get(s, "ci", &a, &e, &dg);
	e.type = SENV_STAGING;
	okm(store_env_update(s, &e, &dg) < 0 && said("'stg' is already the staging"),
	   "editing a second environment into staging is refused");
	e.type = SENV_GENERAL;
	e.schema = "ci_schema";
	e.threads = 8;
	e.defer_env_id = prod;
	diag_clear(&dg);
	ok(store_env_update(s, &e, &dg) == 0, "an edit is saved");
	store_env_get(s, "ci", &a, &e, &dg);
	ok(e.threads == 8 && e.schema && !strcmp(e.schema, "ci_schema") && e.defer_env_name &&
	       !strcmp(e.defer_env_name, "prod"),
	   "the edit reads back with its deferral environment");
	store_env_get(s, "dev", &a, &e, &dg);
	e.type = SENV_GENERAL;
	diag_clear(&dg);
	okm(store_env_update(s, &e, &dg) < 0 && said("development"),
	   "the development environment keeps its type");

	/* mark-production moves the mark */
	const char *prev = NULL;
	diag_clear(&dg);
	ok(store_env_mark_production(s, "stg", &a, &prev, &dg) == 0 && prev && !strcmp(prev, "prod"),
	   "mark-production moves the mark from prod");
	store_env_get(s, "prod", &a, &e, &dg);
	is_str(store_env_type_name(e.type), "general", "the old production environment is general");
	store_env_get(s, "stg", &a, &e, &dg);
	is_str(store_env_type_name(e.type), "production", "the marked one is production");
	ok(store_env_mark_production(s, "dev", &a, &prev, &dg) < 0, "development cannot be marked");

	/* delete cascades to jobs and keeps runs */
	const char *steps[] = { "silt build" };
	struct store_job j = { .name = "nightly", .env_id = ci, .steps = steps, .nsteps = 1 };
	diag_clear(&dg);
	ok(store_job_create(s, &j, &dg) == 0, "a job is created");
	struct store_run r = { .env_id = ci, .job_id = j.id };
	ok(store_run_create(s, &r, &dg) == 0, "a run is created");
	int njobs = -1;
	ok(store_env_delete(s, "ci", &njobs, &dg) == 0 && njobs == 1,
	   "deleting an environment deletes its job");
	ok(store_job_get(s, "nightly", &a, &j, &dg) < 0, "the job is gone");
	struct store_run back;
	ok(store_run_get(s, r.id, &a, &back, &dg) == 0 && back.env_id == 0 && back.env_name &&
	       !strcmp(back.env_name, "ci"),
	   "its run stays, still naming the environment");
	diag_clear(&dg);
	okm(store_env_get(s, "nope", &a, &e, &dg) < 0 && said("environments: "), "an unknown name lists the known ones");
	arena_release(&a);
	store_close(s);
	free(p);
}

static void test_credentials(void)
{
	char *p = store_in("cred.db");
	struct store *s = open_with(p, KEY_A, 0);
	if (!s)
		return;
	struct arena a;
	arena_init(&a);
	int64_t prod = mkenv(s, "prod", SENV_PRODUCTION);
	int64_t dev = mkenv(s, "dev", SENV_DEVELOPMENT);
	diag_clear(&dg);
	ok(store_cred_set(s, prod, "password", "hunter2-very-secret", &dg) == 0 &&
	       store_cred_set(s, prod, "user", "loader", &dg) == 0, "credentials are stored");
	okm(store_cred_set(s, dev, "password", "x", &dg) < 0 && said("each developer"),
	   "the development environment stores no credentials");
	struct store_kv *kv;
	size_t n;
	ok(store_cred_list(s, prod, true, &a, &kv, &n, &dg) == 0 && n == 2 &&
	       !strcmp(kv[0].key, "password") && !strcmp(kv[0].value, "hunter2-very-secret") &&
	       !strcmp(kv[1].value, "loader"),
	   "they decrypt to what was stored");
	ok(store_cred_list(s, prod, false, &a, &kv, &n, &dg) == 0 && n == 2 && !kv[0].value,
	   "listing without reveal gives keys only");
	store_close(s);
	/* nothing in clear on disk (the WAL was checkpointed on close) */
	if (test_store_pg()) {
		ok(raw_int(p, "SELECT count(*) FROM credential WHERE position('hunter2-very-secret'::bytea "
		              "IN sealed) > 0") == 0,
		   "the database holds no plain credential");
	} else {
		size_t len;
		char *bytes = file_read_all(p, &len);
		ok(bytes && !memmem(bytes, len, "hunter2-very-secret", 19), "the database file holds no "
		                                                             "plain credential");
		free(bytes);
	}
	is_int(raw_int(p, "SELECT length(sealed) FROM credential WHERE key = 'password'"),
	       12 + 19 + 16, "a sealed value is nonce + ciphertext + tag");

	/* a wrong key */
	s = open_with(p, KEY_B, 0);
	diag_clear(&dg);
	okm(s && store_cred_list(s, prod, true, &a, &kv, &n, &dg) < 0 && said("not the key"), "a wrong key does not open the credentials");
	diag_clear(&dg);
	okm(s && store_cred_set(s, prod, "role", "r", &dg) < 0 && said("not the key"),
	   "nor seals new ones under a second key");
	ok(!strstr(last_msg(), "hunter2"), "the error does not show the value");
	store_close(s);
	s = open_with(p, "abc", 0);
	diag_clear(&dg);
	okm(s && store_cred_list(s, prod, true, &a, &kv, &n, &dg) < 0 && said("64 hexadecimal"),
	   "a malformed key is refused");
	store_close(s);

	/* a moved sealed value does not open (the row is in the AAD) */
	raw_exec(p, "UPDATE credential SET sealed = (SELECT sealed FROM credential WHERE key = "
	            "'password') WHERE key = 'user'");
	s = open_with(p, KEY_A, 0);
	diag_clear(&dg);
	okm(s && store_cred_list(s, prod, true, &a, &kv, &n, &dg) < 0 && said("credential 'user'"), "a sealed value copied to another row is refused");
	store_close(s);

	/* the key file: created 0600 on first use, refused when others can read it */
	unsetenv("SILT_STORE_KEY");
	char *p2 = store_in("cred2.db");
	struct store_opts o = { .home = dir, .user = "alice" };
	diag_clear(&dg);
	s = store_open(p2, &o, &dg);
	int64_t e2 = s ? mkenv(s, "prod", SENV_PRODUCTION) : 0;
	diag_clear(&dg);
	ok(s && store_cred_set(s, e2, "password", "pw", &dg) == 0, "a key file is made on first use");
	store_close(s);
	char *kf = path_in(".silt/key");
	struct stat st;
	ok(stat(kf, &st) == 0 && (st.st_mode & 0777) == 0600, "~/.silt/key is created with mode 0600");
	s = store_open(p2, &o, &dg);
	ok(s && store_cred_list(s, e2, true, &a, &kv, &n, &dg) == 0 && n == 1 &&
	       !strcmp(kv[0].value, "pw"),
	   "the key file opens what it sealed");
	store_close(s);
	chmod(kf, 0644);
	s = store_open(p2, &o, &dg);
	diag_clear(&dg);
	okm(s && store_cred_list(s, e2, true, &a, &kv, &n, &dg) < 0 && said("chmod 600"), "a key file others can read is refused");
	store_close(s);
	chmod(kf, 0600);
	free(kf);
	free(p2);
	arena_release(&a);
	free(p);
}

static void test_transactions(void)
{
	char *p = store_in("tx.db");
	struct store *s = open_with(p, KEY_A, 200);
	if (!s)
		return;
	struct arena a;
	arena_init(&a);
	struct store_env e;
	/* a caller's transaction: a failing write inside rolls back to its savepoint, the caller's
	 * rollback undoes the rest */
	diag_clear(&dg);
	ok(store_begin(s, &dg) == 0, "begin");
	ok(mkenv(s, "a", SENV_PRODUCTION) > 0, "a write inside the transaction");
	ok(mkenv(s, "b", SENV_PRODUCTION) == 0, "a failing write inside it");
	store_rollback(s);
	ok(store_env_get(s, "a", &a, &e, &dg) < 0, "the caller's rollback undoes the first write");
	/* commit keeps both */
	store_begin(s, &dg);
	mkenv(s, "a", SENV_PRODUCTION);
	mkenv(s, "b", SENV_GENERAL);
	ok(store_commit(s, &dg) == 0 && store_env_get(s, "b", &a, &e, &dg) == 0, "a commit keeps "
	                                                                         "them");
	/* a failing write of its own leaves nothing behind (a definition state that fails half way
	 * is in test_runs_and_state) */
	const char *steps[] = { "silt build", "" };
	struct store_job j = { .name = "j", .env_id = e.id, .steps = steps, .nsteps = 2 };
	diag_clear(&dg);
	okm(store_job_create(s, &j, &dg) < 0 && said("step 2 is empty"), "a job with an empty step "
	                                                                 "is refused");
	is_int(raw_int(p, "SELECT count(*) FROM job") + raw_int(p, "SELECT count(*) FROM job_step"), 0,
	       "and leaves no job or step rows");
	struct store_node_result bad = { .unique_id = "model.p.x", .status = "success" };
	diag_clear(&dg);
	ok(store_node_record(s, e.id, 4242, 0, &bad, &dg) < 0, "a result for an unknown run fails");
	is_int(raw_int(p, "SELECT count(*) FROM node_history"), 0, "and writes no history");

	/* locked by another process */
	ok(test_store_lock(p), "another connection takes the write lock");
	diag_clear(&dg);
	okm(mkenv(s, "c", SENV_GENERAL) == 0 && said("locked by another process"), "a write to a locked store fails clearly");
	ok(store_env_get(s, "b", &a, &e, &dg) == 0, "reads still work while it is locked");
	test_store_unlock();
	ok(mkenv(s, "c", SENV_GENERAL) > 0, "the write succeeds once the lock is gone");
	is_int(raw_int(p, "SELECT count(*) FROM environment"), 3, "and the store holds a, b, c");
	arena_release(&a);
	store_close(s);
	free(p);
}

static const char *find_env_str(const struct store_effective *eff, const char *name)
{
	size_t n = strlen(name);
	for (const char **e = eff->env; *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void test_vars(void)
{
	char *p = store_in("vars.db");
	struct store *s = open_with(p, KEY_A, 0);
	if (!s)
		return;
	struct arena a;
	arena_init(&a);
	int64_t prod = mkenv(s, "prod", SENV_PRODUCTION);
	int64_t dev = mkenv(s, "dev", SENV_DEVELOPMENT);
	const char *steps[] = { "silt build" };
	struct store_job j = { .name = "deploy", .env_id = prod, .steps = steps, .nsteps = 1 };
	store_job_create(s, &j, &dg);
	struct store_var v = { .name = "DBT_X", .scope = SVAR_PROJECT, .value = "project" };
	diag_clear(&dg);
	ok(store_var_set(s, &v, &dg) == 0, "a project default is set");
	v.name = "DBT_Y";
	store_var_set(s, &v, &dg);
	v = (struct store_var){ .name = "DBT_X", .scope = SVAR_ENVIRONMENT, .env_id = prod,
		                .value = "prod" };
	store_var_set(s, &v, &dg);
	v = (struct store_var){ .name = "DBT_X", .scope = SVAR_JOB, .job_id = j.id, .value = "job" };
	store_var_set(s, &v, &dg);
	v = (struct store_var){ .name = "DBT_X", .scope = SVAR_PERSONAL, .value = "mine" };
	store_var_set(s, &v, &dg);
	v = (struct store_var){ .name = "DBT_ENV_SECRET_TOKEN", .scope = SVAR_ENVIRONMENT,
		                .env_id = prod, .value = "s3cr3t-token" };
	diag_clear(&dg);
	ok(store_var_set(s, &v, &dg) == 0, "a secret is set");
	v = (struct store_var){ .name = "dbt_lower", .scope = SVAR_PROJECT, .value = "x" };
	okm(store_var_set(s, &v, &dg) < 0 && said("upper case"), "a lower-case name is refused");
	v.name = "MY_VAR";
	okm(store_var_set(s, &v, &dg) < 0 && said("DBT_"), "a name without DBT_ is refused");

	struct store_env e;
	struct store_effective eff;
	store_env_get(s, "prod", &a, &e, &dg);
	ok(store_effective_env(s, &e, NULL, &a, &eff, &dg) == 0, "effective variables of prod");
	is_str(find_env_str(&eff, "DBT_X"), "prod", "the environment value beats the project default");
	is_str(find_env_str(&eff, "DBT_Y"), "project", "the project default fills in");
	is_str(find_env_str(&eff, "DBT_ENV_SECRET_TOKEN"), "s3cr3t-token", "secrets are revealed to "
	                                                                   "the run");
	is_str(find_env_str(&eff, "SILT_ENVIRONMENT_TYPE"), "production", "SILT_ENVIRONMENT_TYPE");
	ok(!find_env_str(&eff, "SILT_RUN_ID"), "no SILT_RUN_ID outside a run");
	struct buf m = BUF_INIT;
	store_mask_secrets(&eff, STR("token=s3cr3t-token!"), &m);
	is_str(buf_cstr(&m), "token=*****!", "secrets are masked in output");
	buf_release(&m);
	struct store_run_ctx ctx = { .run_id = 7, .job_id = j.id, .pr_id = "12", .git_sha = "abc" };
	store_effective_env(s, &e, &ctx, &a, &eff, &dg);
	is_str(find_env_str(&eff, "DBT_X"), "job", "the job override beats the environment");
	is_str(find_env_str(&eff, "SILT_RUN_ID"), "7", "SILT_RUN_ID");
	is_str(find_env_str(&eff, "SILT_PR_ID"), "12", "SILT_PR_ID");
	is_str(find_env_str(&eff, "SILT_GIT_SHA"), "abc", "SILT_GIT_SHA");
	store_env_get(s, "dev", &a, &e, &dg);
	ctx.job_id = 0;
	store_effective_env(s, &e, &ctx, &a, &eff, &dg);
	is_str(find_env_str(&eff, "DBT_X"), "mine", "in development the personal value wins");
	ok(!find_env_str(&eff, "DBT_ENV_SECRET_TOKEN"), "prod's secret is not dev's");
	(void)dev;

	struct store_var *list;
	size_t n;
	ok(store_var_list(s, &a, &list, &n, &dg) == 0 && n == 6, "every value is listed");
	bool masked = false;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].name, "DBT_ENV_SECRET_TOKEN"))
			masked = list[i].secret && !list[i].value;
	ok(masked, "the list does not reveal the secret");
	is_int(raw_int(p, "SELECT count(*) FROM env_var WHERE value LIKE '%s3cr3t%'"), 0,
	       "the secret is sealed at rest");
	v = (struct store_var){ .name = "DBT_X", .scope = SVAR_ENVIRONMENT, .env_id = prod };
	ok(store_var_unset(s, &v, &dg) == 0, "unset removes the environment value");
	diag_clear(&dg);
	okm(store_var_unset(s, &v, &dg) < 0 && said("no value in environment 'prod'"),
	   "unsetting it again says there is none");
	arena_release(&a);
	store_close(s);
	free(p);
}

static void test_runs_and_state(void)
{
	char *p = store_in("runs.db");
	struct store *s = open_with(p, KEY_A, 0);
	if (!s)
		return;
	struct arena a;
	arena_init(&a);
	int64_t prod = mkenv(s, "prod", SENV_PRODUCTION);
	struct store_run r = { .env_id = prod, .command = "silt build", .git_sha = "s1" };
	diag_clear(&dg);
	ok(store_run_create(s, &r, &dg) == 0 && r.id > 0, "a run is queued");
	store_run_set_status(s, r.id, SST_RUNNING, NULL, &dg);
	int64_t step;
	ok(store_step_add(s, r.id, "silt build", &step, &dg) == 0, "a step is added");
	store_step_set_status(s, step, SST_RUNNING, -1, &dg);
	store_step_append_log(s, step, STR("line 1\n"), &dg);
	store_step_append_log(s, step, STR("line 2\n"), &dg);
	store_step_set_status(s, step, SST_SUCCESS, 0, &dg);
	struct store_artifact art = { .run_id = r.id, .step_id = step, .path = "manifest.json",
		                      .content = "{}", .len = 2 };
	ok(store_artifact_put(s, &art, &dg) == 0, "an artifact is stored");
	art.content = "{\"a\":1}";
	art.len = 7;
	ok(store_artifact_put(s, &art, &dg) == 0, "and replaced");
	struct store_node_result ok1 = { .unique_id = "model.p.m", .resource_type = "model",
		                         .status = "success", .succeeded = true, .schema = "main",
		                         .identifier = "m", .checksum = "c1", .node = "{}" };
	ok(store_node_record(s, prod, r.id, step, &ok1, &dg) == 0, "a success is recorded");
	store_run_set_status(s, r.id, SST_SUCCESS, NULL, &dg);

	struct store_run r2 = { .env_id = prod, .command = "silt build" };
	store_run_create(s, &r2, &dg);
	struct store_node_result fail = { .unique_id = "model.p.m", .resource_type = "model",
		                          .status = "error", .message = "boom", .checksum = "c2" };
	ok(store_node_record(s, prod, r2.id, 0, &fail, &dg) == 0, "a failure is recorded");
	store_run_set_status(s, r2.id, SST_ERROR, "a node failed", &dg);

	struct store_node_applied ap;
	ok(store_applied_get(s, prod, "model.p.m", &a, &ap, &dg) == 1, "the node has applied state");
	ok(ap.last_run_id == r2.id && !strcmp(ap.last_status, "error"), "last attempt: the failure");
	ok(ap.success_run_id == r.id && !strcmp(ap.checksum, "c1") && !strcmp(ap.identifier, "m"),
	   "a failure keeps what the last success applied");
	struct store_history *h;
	size_t n;
	ok(store_history_list(s, "model.p.m", 0, &a, &h, &n, &dg) == 0 && n == 2 &&
	       !strcmp(h[1].status, "error"),
	   "history has both executions");
	struct store_step *steps;
	ok(store_step_list(s, r.id, &a, &steps, &n, &dg) == 0 && n == 1 &&
	       !strcmp(steps[0].logs, "line 1\nline 2\n") && steps[0].exit_code == 0 &&
	       steps[0].status == SST_SUCCESS && steps[0].finished_at,
	   "the step keeps its logs, exit code and times");
	struct store_artifact got;
	ok(store_artifact_get(s, r.id, step, "manifest.json", &a, &got, &dg) == 1 && got.len == 7,
	   "the artifact reads back replaced");
	struct store_run back;
	store_run_get(s, r2.id, &a, &back, &dg);
	ok(back.status == SST_ERROR && back.finished_at && !strcmp(back.message, "a node failed"),
	   "the run ends in error with its message");
	struct store_run *runs;
	struct store_run_filter f = { .env_id = prod };
	ok(store_run_list(s, &f, &a, &runs, &n, &dg) == 0 && n == 2 && runs[0].id == r2.id,
	   "runs list newest first");

	/* definitions: a newer manifest replaces, an older one does not */
	struct store_node_def defs[] = { { "model.p.m", "model", "c1", "{}", "{}" },
		                         { "model.p.n", "model", "c9", "{}", "{}" } };
	bool replaced;
	ok(store_defs_replace(s, prod, r.id, "2025-01-02T00:00:00.000000Z", defs, 2, &replaced,
	                      &dg) == 0 &&
	       replaced,
	   "a definition state is written");
	ok(store_defs_replace(s, prod, r2.id, "2025-01-01T00:00:00.000000Z", defs, 1, &replaced,
	                      &dg) == 0 &&
	       !replaced,
	   "an older manifest does not replace it");
	struct store_node_def *got_defs;
	const char *gen;
	ok(store_defs_list(s, prod, &a, &got_defs, &n, &gen, &dg) == 0 && n == 2 &&
	       !strcmp(gen, "2025-01-02T00:00:00.000000Z"),
	   "the newer state stays");
	struct store_node_def dup[] = { defs[0], defs[0] };
	diag_clear(&dg);
	ok(store_defs_replace(s, prod, r.id, "2025-01-03T00:00:00.000000Z", dup, 2, &replaced, &dg) <
	           0 &&
	       said("appears twice"),
	   "a duplicate node is refused");
	ok(store_defs_list(s, prod, &a, &got_defs, &n, &gen, &dg) == 0 && n == 2,
	   "and the old definition state is intact");
	arena_release(&a);
	store_close(s);
	free(p);
}

void test_store(void)
{
	snprintf(dir, sizeof(dir), "/tmp/silt-store-XXXXXX");
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	if (!test_store_available()) {
		printf("# skipped: no PostgreSQL server\n");
		return;
	}
	diag_init(&dg);
	test_migrations();
	test_environments();
	test_credentials();
	test_transactions();
	test_vars();
	test_runs_and_state();
	diag_release(&dg);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}
