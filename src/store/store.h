/* store: silt's metadata store — environments, their credentials and variables, jobs, runs,
 * run steps, artifacts, and per environment the definition state (newest manifest), the applied
 * state (what each node last did and what its last success left in the warehouse) and the node
 * history. SQLite (`.silt/silt.db` beside the project) in WAL mode; the schema is the numbered
 * migrations in src/store/migrations/, embedded in the binary. docs/internals/store.md.
 *
 * Ownership: functions borrow their arguments. Records read from the store are allocated in the
 * arena the caller passes and live as long as it. Errors: 0 on success, -1 after adding one
 * message to the diag (a store locked by another process, a constraint such as a second
 * production environment, a wrong key, an unknown name). Secret values (credentials,
 * DBT_ENV_SECRET_* variables) never appear in a message.
 *
 * Transactions: every write function runs in a transaction of its own, or, inside
 * store_begin/store_commit, in a savepoint of the caller's transaction, so a caller can make
 * several writes atomic (ingestion) and a failed write never leaves half of itself behind. */
#ifndef SILT_STORE_H
#define SILT_STORE_H

#include "../base/base.h"

struct store;

struct store_opts {
	int busy_timeout_ms; /* 0 = SILT_STORE_BUSY_TIMEOUT, else 5000 */
	const char *key;     /* 64 hex digits; NULL = SILT_STORE_KEY, else the key file */
	const char *home;    /* NULL = $HOME; the key file is <home>/.silt/key */
	const char *user;    /* owner of personal values; NULL = $USER, else the login name */
};

/* ---- opening ---- */
/* The store's path: explicit (--store) if given, else SILT_STORE, else <project>/.silt/silt.db
 * where the project is project_dir, else DBT_PROJECT_DIR, else the first of cwd and its parents
 * that holds dbt_project.yml. A postgres:// or postgresql:// URL (libpq's URL form) names a
 * store in a PostgreSQL database. */
int store_locate(const char *explicit_path, const char *project_dir, struct buf *out,
                 struct diag *d);
/* Opens (creating the file and its folder when missing) and migrates to the newest schema.
 * A store written by a newer silt is refused. NULL on error. */
struct store *store_open(const char *path, const struct store_opts *o, struct diag *d);
void store_close(struct store *s);
/* What the store was opened from (a URL with its password: for opening it again). */
const char *store_path(const struct store *s);
/* The store for messages: its path, or its URL without the password. */
const char *store_display(const struct store *s);
/* A folder on this machine for the store's working files (run checkouts), in a: the store
 * file's folder, or for a PostgreSQL store ~/.silt/<host>_<port>_<database>. */
const char *store_local_dir(const struct store *s, struct arena *a);
int store_schema_version(struct store *s, struct diag *d); /* migrations applied, or -1 */
int store_known_version(void);                              /* the binary's newest migration */
/* Applies the embedded migrations the store lacks, each in a transaction of its own (store_open
 * does this; calling it again does nothing). */
int store_migrate(struct store *s, struct diag *d);

/* ---- transactions (nest: inner levels are savepoints) ---- */
int store_begin(struct store *s, struct diag *d);
int store_commit(struct store *s, struct diag *d);
void store_rollback(struct store *s);

/* ---- environments ---- */
enum store_env_type { SENV_PRODUCTION, SENV_STAGING, SENV_GENERAL, SENV_DEVELOPMENT };
const char *store_env_type_name(enum store_env_type t); /* "production", … */
int store_env_type_parse(const char *s);                /* -1 when unknown */

struct store_env {
	int64_t id;
	const char *name;
	enum store_env_type type;
	const char *target_name;        /* profile output; NULL = the profile's target */
	const char *database, *schema;  /* explicit; NULL = the output's */
	int64_t threads;                /* 0 = the output's */
	const char *git_branch;         /* NULL = the repository's default branch */
	const char *dbt_version;        /* NULL = any */
	int64_t defer_env_id;           /* 0 = no default deferral */
	const char *defer_env_name;     /* read only */
	const char *extended_attributes; /* JSON object of profile fields, or NULL */
	const char *created_at, *updated_at;
};
/* Creates e (id, created_at, updated_at are set). Refuses a second production, staging or
 * development environment and a name in use. */
int store_env_create(struct store *s, struct store_env *e, struct diag *d);
int store_env_get(struct store *s, const char *name, struct arena *a, struct store_env *out,
                  struct diag *d);
int store_env_get_id(struct store *s, int64_t id, struct arena *a, struct store_env *out,
                     struct diag *d);
int store_env_list(struct store *s, struct arena *a, struct store_env **out, size_t *n,
                   struct diag *d);
/* Writes every field of e (found by e->id). The type may move between production, staging and
 * general (the one-of-each rule holds); development is for good. */
int store_env_update(struct store *s, struct store_env *e, struct diag *d);
/* Deletes the environment with its credentials, variables, jobs and node state; its runs stay
 * (named). *njobs (may be NULL) gets the number of jobs deleted with it. */
int store_env_delete(struct store *s, const char *name, int *njobs, struct diag *d);
/* Makes `name` the production environment; the previous one (its name in *previous, allocated
 * in a, or NULL) becomes general. */
int store_env_mark_production(struct store *s, const char *name, struct arena *a,
                              const char **previous, struct diag *d);

/* ---- credentials (sealed with AES-256-GCM under the store key) ---- */
struct store_kv {
	const char *key, *value;
};
int store_cred_set(struct store *s, int64_t env_id, const char *key, const char *val,
                   struct diag *d);
int store_cred_unset(struct store *s, int64_t env_id, const char *key, struct diag *d);
/* The environment's credentials sorted by key; values only when reveal (they are decrypted,
 * which needs the key), else NULL. */
int store_cred_list(struct store *s, int64_t env_id, bool reveal, struct arena *a,
                    struct store_kv **out, size_t *n, struct diag *d);

/* A developer's own settings for the development environment: <home>/.silt/development.yml
 * (`schema:`, `database:`, `threads:`, `credentials: {key: value}`; must not be readable by
 * others when it holds credentials), overridden by SILT_DEV_SCHEMA, SILT_DEV_DATABASE,
 * SILT_DEV_THREADS and SILT_DEV_CREDENTIAL_<KEY> (key lower-cased). */
struct store_personal {
	const char *file; /* the file read, or NULL when there is none */
	const char *schema, *database;
	int64_t threads;
	struct store_kv *creds;
	size_t ncreds;
};
int store_personal_load(struct store *s, struct arena *a, struct store_personal *out,
                        struct diag *d);
const char *store_user(const struct store *s);

/* ---- environment variables ----
 * dbt Cloud's precedence, low to high: env_var()'s default < project default < environment
 * value < job override, or in the development environment the developer's personal value. */
enum store_var_scope { SVAR_PROJECT, SVAR_ENVIRONMENT, SVAR_JOB, SVAR_PERSONAL };
const char *store_var_scope_name(enum store_var_scope s); /* "project", "environment", … */

struct store_var {
	const char *name;
	enum store_var_scope scope;
	int64_t env_id;             /* SVAR_ENVIRONMENT */
	int64_t job_id;             /* SVAR_JOB */
	const char *user;           /* SVAR_PERSONAL; NULL = the store's user */
	const char *env_name, *job_name; /* read only */
	const char *value;          /* NULL for a secret that was not revealed */
	bool secret;                /* DBT_ENV_SECRET_*: sealed at rest, masked in output */
};
#define STORE_MASK "*****"
bool store_var_is_secret(const char *name);
/* Names must be upper case and start with DBT_ (DBT_ENV_SECRET_, DBT_ENV_CUSTOM_ENV_ …). */
int store_var_check_name(const char *name, struct diag *d);
int store_var_set(struct store *s, const struct store_var *v, struct diag *d);
int store_var_unset(struct store *s, const struct store_var *v, struct diag *d);
/* Every value (secret values NULL), by name, then scope, environment, job. */
int store_var_list(struct store *s, struct arena *a, struct store_var **out, size_t *n,
                   struct diag *d);

/* What an invocation in an environment sees. */
struct store_run_ctx {
	int64_t run_id, job_id; /* 0 = none */
	const char *pr_id, *git_sha;
	bool keep_sealed; /* for display: secret values stay NULL (STORE_MASK in env), no key needed */
};
struct store_effective {
	/* "NAME=value" strings, NULL-terminated, for project_opts.env: the winning value of every
	 * variable, then SILT_ENVIRONMENT_NAME, SILT_ENVIRONMENT_TYPE and, when known, SILT_RUN_ID,
	 * SILT_JOB_ID, SILT_PR_ID, SILT_GIT_SHA */
	const char **env;
	struct store_var *vars; /* the winning values (revealed), sorted by name */
	size_t nvars;
	const char **secrets; /* values to mask in any output */
	size_t nsecrets;
};
int store_effective_env(struct store *s, const struct store_env *e, const struct store_run_ctx *ctx,
                        struct arena *a, struct store_effective *out, struct diag *d);
/* text with every secret value replaced by STORE_MASK. */
void store_mask_secrets(const struct store_effective *eff, struct str text, struct buf *out);

/* ---- jobs ---- */
struct store_job {
	int64_t id;
	const char *name;
	int64_t env_id;
	const char *env_name; /* read only */
	const char *description;
	const char *job_type;      /* "scheduled", "ci", "merge", "other" */
	const char *schedule_cron; /* NULL = none */
	const char *triggers;      /* JSON object, or NULL */
	int64_t threads;           /* 0 = the environment's */
	const char *target_name;
	int64_t timeout_seconds; /* 0 = never */
	int64_t defer_env_id;    /* 0 = none */
	bool generate_docs, run_source_freshness;
	const char **steps; /* commands, in order */
	size_t nsteps;
	const char *created_at, *updated_at;
};
int store_job_create(struct store *s, struct store_job *j, struct diag *d);
int store_job_get(struct store *s, const char *name, struct arena *a, struct store_job *out,
                  struct diag *d);
int store_job_get_id(struct store *s, int64_t id, struct arena *a, struct store_job *out,
                     struct diag *d);
/* env_id 0 = every environment's */
int store_job_list(struct store *s, int64_t env_id, struct arena *a, struct store_job **out,
                   size_t *n, struct diag *d);
int store_job_update(struct store *s, struct store_job *j, struct diag *d); /* steps too */
int store_job_delete(struct store *s, const char *name, struct diag *d);

/* ---- runs ---- */
enum store_status { SST_QUEUED, SST_RUNNING, SST_SUCCESS, SST_ERROR, SST_CANCELLED, SST_SKIPPED };
const char *store_status_name(enum store_status st);
int store_status_parse(const char *s);

struct store_run {
	int64_t id, env_id, job_id, rerun_of; /* 0 = none */
	const char *env_name, *job_name;      /* filled in from the ids when created */
	enum store_status status;             /* never SST_SKIPPED */
	const char *trigger;                  /* NULL = "manual" */
	bool is_ci;
	const char *command, *git_sha, *git_branch, *pr_id, *message;
	const char *created_at, *started_at, *finished_at;
};
int store_run_create(struct store *s, struct store_run *r, struct diag *d);
/* Sets the status (started_at when it becomes running, finished_at when it ends) and message. */
int store_run_set_status(struct store *s, int64_t run_id, enum store_status st,
                         const char *message, struct diag *d);
/* Marks errored every run that is queued or running but whose owning process (host and pid,
 * recorded by store_run_create) is no longer alive on this host — a run killed mid-way — or
 * whose heartbeat (store_run_heartbeat: a worker on any machine) is older than
 * store_heartbeat_timeout(), with its unfinished steps (running: error, queued: skipped).
 * store_open calls it, as do the scheduler's tick and the workers. */
int store_recover_runs(struct store *s, int *nrecovered, struct diag *d);
/* The worker executing run_id says it is alive (run.heartbeat_at = now); it does so every
 * store_heartbeat_interval() seconds while the run runs. */
int store_run_heartbeat(struct store *s, int64_t run_id, struct diag *d);
/* SILT_RUN_HEARTBEAT_TIMEOUT seconds (1 to 86400), else 30; the interval is a fifth of it, at
 * most 5 s. */
int store_heartbeat_timeout(void);
double store_heartbeat_interval(void);
int store_run_get(struct store *s, int64_t id, struct arena *a, struct store_run *out,
                  struct diag *d);
struct store_run_filter {
	int64_t env_id, job_id; /* 0 = any */
	const char *pr_id;      /* NULL = any */
	int limit;              /* 0 = all */
};
/* Newest first. */
int store_run_list(struct store *s, const struct store_run_filter *f, struct arena *a,
                   struct store_run **out, size_t *n, struct diag *d);

/* The queue (queue.c). store_run_enqueue adds a queued run nobody owns yet with its steps, in one
 * transaction; a deploy job's older unclaimed queued runs are cancelled (replaced), and a CI
 * run's pull request's older runs of the same job are cancelled, running or not; *ncancelled
 * counts them. store_run_claim takes the oldest run a worker may start (want = 0) or run `want`
 * if it may start now: 1 and *claimed, 0 when there is none, -1 on error. store_run_cancel ends
 * a queued or running run as cancelled (a worker running it notices and stops); a run that has
 * ended is an error. */
int store_run_enqueue(struct store *s, struct store_run *r, const char *const *steps,
                      size_t nsteps, int *ncancelled, struct diag *d);
int store_run_claim(struct store *s, int64_t want, int64_t *claimed, struct diag *d);
int store_run_cancel(struct store *s, int64_t id, const char *message, struct diag *d);

/* Rerun from failure (dbt Cloud's "rerun from failure", dbt's `retry`): a new run of the same
 * job and environment, at the same commit, that starts from the step that failed and runs the
 * steps after it. store_rerun_plan says where run r would start: its first errored step, or, for
 * a run without steps that ran a command of its own (`silt build --env E`), that command as step
 * 1 with id 0. 1 when r can be rerun; 0 when it cannot (it did not error, it has no failed step,
 * its environment was deleted: d says why); -1 on error. Strings in a. */
struct store_rerun {
	int64_t step_id;       /* the failed step: its run_results.json is the retry's state */
	int position;          /* its position in r */
	const char **commands; /* the failed step's command, then the later steps' */
	size_t ncommands;
};
int store_rerun_plan(struct store *s, const struct store_run *r, struct arena *a,
                     struct store_rerun *out, struct diag *d);
/* Queues the rerun of run id (store_run_enqueue's rules; trigger "rerun", rerun_of = id, the
 * original's commit, branch, pull request and CI flag) in one transaction: 1 with the new run in
 * *out and its plan in *plan (may be NULL), 0 when id cannot be rerun (d says why), -1 on error
 * (an unknown id: "no run with id N"). A CI run is rerun only while it is its pull request's
 * newest run of the job (the rerun would cancel the newer ones). The executor (cli_execute_claimed) runs the new run's
 * first step with the selection of dbt retry: the failed, errored and skipped nodes of the
 * original step's run_results.json. */
int store_run_enqueue_rerun(struct store *s, int64_t id, struct arena *a, struct store_run *out,
                            struct store_rerun *plan, int *ncancelled, struct diag *d);

struct store_step {
	int64_t id, run_id;
	int position;
	const char *command;
	enum store_status status;
	int exit_code; /* -1 = none yet */
	const char *logs;
	const char *started_at, *finished_at;
};
/* Appends a queued step at the end of the run; its id in *id. */
int store_step_add(struct store *s, int64_t run_id, const char *command, int64_t *id,
                   struct diag *d);
int store_step_set_status(struct store *s, int64_t step_id, enum store_status st, int exit_code,
                          struct diag *d);
int store_step_append_log(struct store *s, int64_t step_id, struct str text, struct diag *d);
int store_step_list(struct store *s, int64_t run_id, struct arena *a, struct store_step **out,
                    size_t *n, struct diag *d);

struct store_artifact {
	int64_t run_id, step_id; /* step 0 = the run's own */
	const char *path;
	const char *content; /* NULL when listed without contents */
	size_t len;
};
/* Adds or replaces the artifact `path` of the run (and step); kept compressed when large. */
int store_artifact_put(struct store *s, const struct store_artifact *art, struct diag *d);
/* The same for an artifact made of pieces: text (text, len), or a node blob (blob_id not 0)
 * with `len` bytes of `text` put back at byte `at` of its JSON (the created_at member ingestion
 * leaves out of the blob). The manifest of an ingestion is kept so: its nodes are not stored
 * twice. */
struct store_piece {
	const char *text;
	size_t len;
	int64_t blob_id;
	size_t at;
	size_t blob_len; /* the blob's JSON length when known (0: looked up) */
};
int store_artifact_put_pieces(struct store *s, const struct store_artifact *art,
                              const struct store_piece *v, size_t n, struct diag *d);
int store_artifact_list(struct store *s, int64_t run_id, bool contents, struct arena *a,
                        struct store_artifact **out, size_t *n, struct diag *d);
/* 1 and *out when found, 0 when not, -1 on error. */
int store_artifact_get(struct store *s, int64_t run_id, int64_t step_id, const char *path,
                       struct arena *a, struct store_artifact *out, struct diag *d);

/* ---- reads for the discovery API (discover.c) ---- */
/* The run whose manifest is the environment's definition state and its generated_at (0/NULL
 * when it has none). */
int store_defs_source(struct store *s, int64_t env_id, struct arena *a, int64_t *run_id,
                      const char **generated_at, struct diag *d);
/* A node's execution state in an environment (strings valid during the callback). */
struct store_exec {
	const char *unique_id;
	int64_t last_run_id;
	const char *last_status, *last_at, *last_message;
	int64_t success_run_id;
	const char *success_at;
	int64_t job_id; /* of the last run, 0 when it was no job's */
	const char *job_name;
};
/* fn for every node with applied state; a non-zero return stops and is returned. */
int store_exec_each(struct store *s, int64_t env_id,
                    int (*fn)(void *ud, const struct store_exec *e), void *ud, struct diag *d);
/* A text that changes whenever the environment's applied state does (the newest history row;
 * another environment's runs change it too), for caches of store_exec_each. */
int store_exec_version(struct store *s, int64_t env_id, struct arena *a, const char **version,
                       struct diag *d);
/* Executions in the environment's own non-CI runs, newest first: of one node (unique_id), or
 * (unique_id NULL) the successful ones of every node — what it deployed lately. */
struct store_env_exec {
	int64_t run_id, job_id;
	const char *job_name, *unique_id, *status, *started_at, *completed_at;
	double execution_time;
	const char *message;
};
int store_env_history(struct store *s, int64_t env_id, const char *unique_id, int limit,
                      struct arena *a, struct store_env_exec **out, size_t *n, struct diag *d);

/* ---- webhooks out (webhooks.c) ---- */
struct store_webhook {
	int64_t id;
	const char *name, *url, *events; /* events: comma list */
	bool signed_;                    /* has a secret (never read back) */
	const char *created_at;
	const char *format;              /* "event", or "commit-status" (CI runs' commit status) */
	int64_t delivered, failed;
};
/* events: comma list of run.started, run.completed, run.errored; secret NULL: unsigned.
 * format "event" (NULL) posts silt's run event signed with the secret; "commit-status" posts a
 * CI run's commit status in GitHub's shape to url with {sha} filled in, the secret sent as its
 * bearer token (other runs are skipped). */
int store_webhook_create(struct store *s, const char *name, const char *url, const char *events,
                         const char *secret, const char *format, struct diag *d);
int store_webhook_delete(struct store *s, const char *name, struct diag *d);
int store_webhook_list(struct store *s, struct arena *a, struct store_webhook **out, size_t *n,
                       struct diag *d);
/* Queues a delivery of `event` about run_id to every subscription (store_run_set_status does). */
int store_webhook_emit(struct store *s, const char *event, int64_t run_id, struct diag *d);
struct store_delivery {
	int64_t id;
	const char *webhook, *url, *secret, *event, *payload;
	int attempts;
	const char *status; /* pending, delivered, failed (lists only) */
	int response_code;
	const char *error;
	const char *format; /* due deliveries: the subscription's */
};
/* Deliveries whose next attempt is due, with their url and secret. */
int store_delivery_due(struct store *s, struct arena *a, struct store_delivery **out, size_t *n,
                       struct diag *d);
/* Records an attempt: 2xx delivered; else retried with back-off, failed after max_attempts. */
int store_delivery_result(struct store *s, int64_t id, int code, const char *error, int max_attempts,
                          struct diag *d);
/* The delivery log, newest first (webhook NULL: all). */
int store_delivery_list(struct store *s, const char *webhook, int limit, struct arena *a,
                        struct store_delivery **out, size_t *n, struct diag *d);

/* ---- the project's repository (repo.c) ---- */
/* Sets the repository (url NULL: unchanged, "": none) and, when set_secret, the webhook secret
 * (sealed; NULL or "": none). */
int store_repo_set(struct store *s, const char *url, const char *secret, bool set_secret,
                   struct diag *d);
/* *url and *secret (when secret is not NULL) in a, NULL when unset. */
int store_repo_get(struct store *s, struct arena *a, const char **url, const char **secret,
                   struct diag *d);
/* Records the commit (and branch) a run checked out; NULL leaves a field as it is. */
int store_run_set_git(struct store *s, int64_t run_id, const char *sha, const char *branch,
                      struct diag *d);

/* ---- service tokens (tokens.c) ---- */
enum { STORE_SCOPE_METADATA_READ = 1, STORE_SCOPE_JOB_RUN = 2, STORE_SCOPE_ADMIN = 4 };
int store_scope_parse(const char *s);            /* "metadata:read" → its bit, -1 unknown */
bool store_scopes_allow(unsigned have, unsigned need); /* admin ⊇ job:run ⊇ metadata:read */
void store_scopes_text(unsigned scopes, struct buf *out); /* "metadata:read,job:run" */
struct store_token {
	const char *name, *prefix;
	unsigned scopes;
	const char *created_at, *last_used_at, *revoked_at;
};
/* Makes a token with the given scopes; *token (in a) is the secret, shown this once. */
int store_token_create(struct store *s, const char *name, unsigned scopes, struct arena *a,
                       const char **token, struct diag *d);
enum { STORE_TOKEN_OK, STORE_TOKEN_UNKNOWN, STORE_TOKEN_REVOKED, STORE_TOKEN_SCOPE };
/* Whether `token` may do what `need` (a scope bit) allows: STORE_TOKEN_*, or -1 on a store
 * error; *who is the token's name when it is known. */
int store_token_check(struct store *s, const char *token, unsigned need, const char **who,
                      struct arena *a, struct diag *d);
int store_token_revoke(struct store *s, const char *name, struct diag *d);
int store_token_list(struct store *s, struct arena *a, struct store_token **out, size_t *n,
                     struct diag *d);

/* ---- node state ---- */
/* ---- node blobs: a node's manifest JSON, stored once (content-addressed) ----
 * The hash is the caller's: ingestion uses SHA-256 of the node's JSON without its created_at
 * member (store_node_hash). What state comparison reads of a node is kept beside the references
 * to it (store_node_def, store_node_applied), computed by the caller when the blob is new. */
struct store_node_info {
	const unsigned char *digest; /* 32 bytes (graph/state.c gstate_node_digest), or NULL */
	const char *database, *schema, *alias, *relation_name, *materialized;
	const char *macro_sql, *macro_deps; /* macros: macro_sql, depends_on.macros one a line */
};
/* SHA-256 of text without [cut, cut + cutlen) (cutlen 0: all of it). */
void store_node_hash(const char *text, size_t len, size_t cut, size_t cutlen,
                     unsigned char out[32]);
/* 1 and *id (and *info, in a, when info is not NULL) when a blob of hash is stored, 0 when not,
 * -1 on error. */
int store_blob_find(struct store *s, const unsigned char hash[32], int64_t *id, struct arena *a,
                    struct store_node_info *info, struct diag *d);
/* Stores json under hash with info (may be NULL; compressed when that pays) unless it is there;
 * *id either way. */
int store_blob_put(struct store *s, const unsigned char hash[32], const char *json, size_t len,
                   const struct store_node_info *info, int64_t *id, struct diag *d);
/* The JSON of blob id, NUL-terminated in a. */
int store_blob_get(struct store *s, int64_t id, struct arena *a, const char **json, size_t *len,
                   struct diag *d);

struct store_node_def {
	const char *unique_id, *resource_type, *checksum;
	const char *config; /* JSON (rows written before schema version 5, or given) */
	const char *node;   /* the manifest JSON of the node */
};
/* A definition by reference to its blob, with what comparison reads of it. */
struct store_node_ref {
	const char *unique_id, *resource_type, *checksum;
	int64_t blob_id; /* read: 0 for a row written before schema version 5 ... */
	const char *node; /* ... whose JSON is then here (NULL otherwise); ignored when written */
	struct store_node_info info;
	const unsigned char *hash; /* the blob's (32 bytes), or NULL */
};
/* Replaces the environment's definition state with v[0..n) when generated_at (the manifest's
 * metadata.generated_at, ISO-8601) is not older than the stored one; *replaced tells which. */
int store_defs_replace(struct store *s, int64_t env_id, int64_t run_id, const char *generated_at,
                       const struct store_node_def *v, size_t n, bool *replaced, struct diag *d);
/* Sorted by unique_id; *generated_at (may be NULL) gets the state's manifest time or NULL. */
int store_defs_list(struct store *s, int64_t env_id, struct arena *a, struct store_node_def **out,
                    size_t *n, const char **generated_at, struct diag *d);
/* The definition state's manifest time, or NULL when there is none. */
int store_defs_generated_at(struct store *s, int64_t env_id, struct arena *a,
                            const char **generated_at, struct diag *d);
/* store_defs_replace by reference: the blobs are stored already (ingestion). Only the rows
 * whose blob changed are written. known: the definitions as store_defs_known read them in this
 * transaction, or NULL (then they are read). */
int store_defs_replace_refs(struct store *s, int64_t env_id, int64_t run_id,
                            const char *generated_at, const struct store_node_ref *v, size_t n,
                            const struct map *known, bool *replaced, struct diag *d);
/* The environment's definitions by unique_id (map values: struct store_node_ref *, in a): blob
 * id and hash, and of the info only digest, relation_name and materialized — what ingestion
 * compares a manifest's nodes with and copies into the applied state. */
int store_defs_known(struct store *s, int64_t env_id, struct arena *a, struct map *out,
                     struct diag *d);
/* The definitions without their JSON: blob references and info — what --state-env reads. */
int store_defs_brief(struct store *s, int64_t env_id, struct arena *a, struct store_node_ref **out,
                     size_t *n, const char **generated_at, struct diag *d);

/* One node's execution in a run. */
struct store_node_result {
	const char *unique_id, *resource_type;
	const char *status;    /* run_results' status: success, error, skipped, pass, fail, … */
	bool succeeded;        /* the warehouse now holds what this run applied */
	const char *message;
	const char *started_at, *completed_at;
	double execution_time;
	/* on success: what was applied */
	const char *database, *schema, *identifier;
	const char *checksum, *config, *node, *vars; /* config/node/vars JSON */
	int64_t blob_id; /* the node's blob (then node/config are not stored); 0 = store `node` */
	struct store_node_info info;
};
/* Appends a history row and, when env_id is not 0, updates the environment's applied state:
 * the last attempt always; on success also the last success, relation, checksum, config, node
 * and vars. A failure keeps what the last success applied. */
int store_node_record(struct store *s, int64_t env_id, int64_t run_id, int64_t step_id,
                      const struct store_node_result *r, struct diag *d);
/* store_node_record of v[0..n) as one write (all or none). */
int store_node_record_all(struct store *s, int64_t env_id, int64_t run_id, int64_t step_id,
                          const struct store_node_result *v, size_t n, struct diag *d);

struct store_node_applied {
	const char *unique_id, *resource_type;
	int64_t last_run_id;
	const char *last_status, *last_at, *last_message;
	int64_t success_run_id; /* 0 = never succeeded */
	const char *success_at;
	const char *database, *schema, *identifier;
	const char *checksum, *config, *node, *vars;
	/* node/config: only rows written before schema version 5 (else read the blob) */
	int64_t blob_id;
	struct store_node_info info; /* database/schema/alias are the applied relation above */
};
/* Sorted by unique_id. */
int store_applied_list(struct store *s, int64_t env_id, struct arena *a,
                       struct store_node_applied **out, size_t *n, struct diag *d);
/* 1 and *out when the node has state, 0 when not, -1 on error. */
int store_applied_get(struct store *s, int64_t env_id, const char *unique_id, struct arena *a,
                      struct store_node_applied *out, struct diag *d);

/* For --state-env, without copies: fn is called with each row of the environment's applied
 * state (strings and digest valid during the call only; node_applied.config not read), then
 * with each definition the applied rows do not cover (a macro, or a node without an applied
 * success) for which want (may be NULL) says true given its unique_id and resource_type. A
 * non-zero return of fn stops and is returned. */
int store_state_each(struct store *s, int64_t env_id,
                     int (*applied)(void *ud, const struct store_node_applied *r),
                     bool (*want)(void *ud, const char *unique_id, const char *resource_type),
                     int (*def)(void *ud, const struct store_node_ref *r), void *ud,
                     struct diag *d);

struct store_history {
	int64_t run_id, step_id;
	const char *unique_id, *status, *message, *started_at, *completed_at;
	double execution_time;
};
/* A node's executions (unique_id given) or a run's (run_id given), oldest first. */
int store_history_list(struct store *s, const char *unique_id, int64_t run_id, struct arena *a,
                       struct store_history **out, size_t *n, struct diag *d);

#endif
