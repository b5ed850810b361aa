/* cli jobs: what the run commands share with `silt job run` and `silt ingest` — the run of an
 * environment a dbt command is recorded as, and the ingestion of a target/ folder's artifacts
 * into the metadata store (docs/internals/store.md, "Jobs, runs and ingestion"). */
#ifndef SILT_CLI_JOBS_H
#define SILT_CLI_JOBS_H
#include <signal.h>

#include "cli.h"
#include "store/store.h"

/* A run being recorded. `silt job run` sets cli_job_current for the duration of each step, so
 * the step's command (cmd_run.c, in the same process) joins that run instead of making one. */
struct cli_job_ctx {
	struct store *s;
	struct store_env env;
	const struct store_job *job; /* NULL for a run that is not a job's */
	int64_t run_id, step_id;     /* step 0: the run's own */
	bool is_ci;
	bool is_ci_queued; /* a queued CI run (silt ci run joins it instead of making one) */
	/* set by the step's command: the target folder it wrote, NULL if none */
	char *target_dir;
};
extern struct cli_job_ctx *cli_job_current;

/* Executes run_id, which this process has claimed from the queue (store_run_claim), step by step
 * in project_dir (NULL: the current folder): 0 success, 1 error or cancelled, -1 when it could
 * not start (d says why). cmd_job.c; `silt job run` and `silt worker` use it. */
int cli_execute_claimed(struct store *s, int64_t run_id, const char *project_dir, struct diag *d);
/* The settings the job step's environment (and job) give the invocation: target name, threads
 * and variables go into o; schema, database and credentials into *ov for cli_load_parse_over;
 * *eff: the variables (secrets to mask). cmd_run.c. */
int cli_step_env(struct cli_job_ctx *ctx, struct project_opts *o, struct arena *a,
                 struct cli_overlay *ov, struct store_effective *eff, struct diag *d);

/* checkout.c: when the store names a repository, clones it for run r and checks out its commit
 * (*dir: the work tree, in a; NULL when there is no repository); cli_checkout_remove deletes a
 * work tree. */
int cli_checkout_run(struct store *s, const struct store_run *r, const struct store_env *env,
                     struct arena *a, const char **dir, struct diag *d);
void cli_checkout_remove(const char *dir);
/* The --profiles-dir every step of the runs this process executes is given. */
void cli_job_set_profiles_dir(const char *dir);

/* A step's command line (cmd_job.c), as `silt retry` reuses it: */
typedef int (*cli_cmd_fn)(int argc, char **argv);
/* the command it names (words: its words without the leading silt/dbt, global flags after the
 * command), or NULL with an error on d */
cli_cmd_fn cli_step_command(const char *line, struct arena *a, strvec_t *words, struct diag *d);
/* the line with its selection flags removed, then dbt retry's selection: the nodes of the state
 * in state_dir (its manifest.json and run_results.json) that results names ("result:error
 * result:skipped"; NULL: the errored, failed and skipped ones) */
const char *cli_retry_command(struct arena *a, const char *line, const char *state_dir,
                              const char *results, struct diag *d);
/* whether the line's command selects nodes (build, run, test, seed, snapshot, compile, clone,
 * docs): the others are retried whole */
bool cli_retry_selects(const char *line, struct arena *a);

/* Set by Ctrl-C (cmd_run.c's handler) or by a job's timeout (cmd_job.c): the running task stops
 * starting nodes and cancels the statements in flight. */
extern volatile sig_atomic_t cli_interrupted;
extern const char *cli_interrupt_why; /* set before the flag when it is not Ctrl-C */
/* Installs the handler that sets cli_interrupted on Ctrl-C (a second Ctrl-C exits at once);
 * *old is what to restore with sigaction(SIGINT, old, NULL) when the task ends. cmd_run.c. */
void cli_catch_sigint(struct sigaction *old);

struct ingest_stats {
	size_t ndefs, nresults;
	size_t nfailed; /* results with status error, fail or runtime error */
	bool defs_replaced;
};
/* Records target_dir's manifest.json and run_results.json (either may be missing, not both) as
 * the run `run_id` (step step_id) of env: in one transaction, a history row per result, the
 * artifacts (secrets masked with eff when given) and, unless is_ci, the environment's
 * definition state (when the manifest is not older) and its applied state per executed node. */
int cli_ingest(struct store *s, const struct store_env *env, int64_t run_id, int64_t step_id,
               bool is_ci, const char *target_dir, const struct store_effective *eff,
               struct ingest_stats *st, struct diag *d);
/* What the store keeps beside a node's blob (store_node_info) from its manifest JSON: the
 * comparison digest, the relation, the materialization, a macro's SQL and dependencies
 * (cli/state_env.c). Strings in a. -1 after an error in d when json is not a JSON object. */
int cli_node_info(const char *unique_id, const char *resource_type, const char *json,
                  size_t len, struct arena *a, struct store_node_info *out, struct diag *d);
/* Keeps target_dir's *.json files written at or after `since` (seconds) as artifacts of the run
 * and step, secrets masked; one the step has already (ingestion's manifest) is left as it is. */
int cli_keep_artifacts(struct store *s, int64_t run_id, int64_t step_id, const char *target_dir,
                       double since, const struct store_effective *eff, struct diag *d);
/* Opens the store of --store/SILT_STORE/the project (errors printed as "silt CMD: ..."). */
struct store *cli_store_open(const char *cmd, const char *explicit_path, const char *project_dir);
void cli_print_diag_as(const char *cmd, const struct diag *d);
/* A value given as `-` is read from stdin (one line, in a), so secrets stay out of the shell's
 * history and the process list; any other value is returned as it is. */
const char *cli_stdin_value(const char *v, struct arena *a);

int cmd_ingest(int argc, char **argv);
int cmd_job(int argc, char **argv);
/* silt run list|show|logs|artifacts|rerun (argv[0] is "run") */
int cmd_run_records(int argc, char **argv);
bool cli_is_run_record_command(const char *word);

#endif
