/* cli: one file per command (cmd_<name>.c), registered by one row in main.c's table. */
#ifndef SILT_CLI_H
#define SILT_CLI_H

#include "base/base.h"
#include "graph/graph.h"
#include "parse/parse.h"
#include "project/project.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;
	bool dbt; /* one of dbt's commands: --help lists dbt's flags (main.c) */
};

SILT_NORETURN void die(const char *fmt, ...) SILT_PRINTF(1, 2);
/* Reads a whole file; returns NULL and prints an error when it cannot. Caller frees. */
char *cli_read_file(const char *path, size_t *len);

/* A command that is the process's whole work (main ran it, not a job step) may end with
 * cli_exit_now(rc) instead of releasing its memory: exit(rc) when set by main and built
 * without AddressSanitizer (whose leak check wants every release), else it returns. Freeing a
 * 10k project's parse arenas and environments one by one costs ~10 ms that the process's end
 * does anyway; and that end's unmapping is left to a child sharing the memory, which ends
 * after the process (main.c), so the caller has the exit status ~10 ms sooner. */
extern bool cli_whole_process;
void cli_exit_now(int rc);

/* The index of compiled files (compiled_index.c): each file silt compile wrote into
 * target/compiled, its text's SHA-256 and the inode, size and mtime it had once written. */
struct stat;
struct compiled_rec {
	char hex[65];
	uint64_t ino, size, sec, nsec;
};
struct compiled_index {
	struct map recs; /* path under compiled/ -> its line in text */
	char *text;
	const char *path; /* where it is read from and written to (the caller's) */
};
void compiled_index_init(struct compiled_index *ix);
void compiled_index_release(struct compiled_index *ix);
/* Reads the index at path (none, or a line that does not parse: no record). */
void compiled_index_load(struct compiled_index *ix, const char *path);
/* The record of the file at key (a path under compiled/): false when there is none. */
bool compiled_index_get(const struct compiled_index *ix, struct str key, struct compiled_rec *r);
void compiled_rec_set(struct compiled_rec *r, const char *hex, const struct stat *st);
bool compiled_rec_same(const struct compiled_rec *a, const struct compiled_rec *b);
/* Writes the index at path: recs[i] (NULL: none) for nodes[i]'s compiled file, then the loaded
 * records of other paths (the loaded ones of nodes[] are dropped from ix). 0, or -1 when it cannot be written. */
int compiled_index_save(struct compiled_index *ix, const char *path,
                        const struct compiled_rec *const *recs, const struct gnode *const *nodes,
                        size_t n);

int cmd_version(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_deps(int argc, char **argv);
int cmd_debug(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_run_operation(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_docs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_job(int argc, char **argv);
int cmd_ci(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_source(int argc, char **argv);
int cmd_clone(int argc, char **argv);
int cmd_repo(int argc, char **argv);
int cmd_webhook(int argc, char **argv);

/* dbt's global flags (its `global_flags`: `dbt --quiet run` and `dbt run --quiet` alike), as the
 * command line gave them: main takes those before the command, cli_parse_project_flags those
 * among a command's own, and a job step's are its own (cmd_job.c). Flags that change nothing
 * silt does (--no-partial-parse, --no-version-check, --log-path ...) are accepted and
 * ignored; --log-format json, which silt cannot write, is refused. The parts templates and
 * consoles read are copied into dbt_output_flags and console_flags. */
struct cli_globals {
	bool write_json; /* --write-json (the default) / --no-write-json: the JSON artifacts */
	int fail_fast;   /* --fail-fast / -x: 1, --no-fail-fast: -1, not given: 0 */
	bool quiet;      /* error lines only: quiet_flag or log_level_quiet (cli_globals_publish) */
	bool quiet_flag; /* --quiet / -q (--no-quiet) */
	bool log_level_quiet; /* --log-level warn|error|none: silt's console has no warn lines */
	bool no_print;   /* --no-print: print() writes nothing */
	bool warn_error; /* --warn-error, --warn-error-options naming all warnings (or tests') */
	bool warn_error_all; /* the parse's warnings are errors too (not only tests') */
	int use_colors;  /* --use-colors: 1, --no-use-colors: -1 */
	int printer_width; /* --printer-width (0: 80) */
};
extern struct cli_globals cli_globals;
/* A boolean DBT_* variable as click reads one (1/true/yes/y/t/on, 0/false/no/n/f/off): 1
 * true, -1 false, 0 unset or unreadable. */
int cli_env_bool(const char *name);
/* Back to the defaults and the DBT_* environment variables (a job step starts from them). */
void cli_globals_reset(void);
/* Copies cli_globals into what consoles and templates read (after cli_globals is set whole). */
void cli_globals_publish(void);
/* How many words the global flag at argv[i] takes (1, or 2 with its value), or 0 when it is
 * not one. */
int cli_global_flag_words(const char *a);
/* Takes the global flag argv[*i] (and its value, *i moved past it): 1, 0 when it is not one,
 * -1 after printing why its value is wrong. */
int cli_take_global_flag(int argc, char **argv, int *i);
/* Under --warn-error (or options including all), the warnings in d become errors: -1 when
 * there were any. Called once the project is loaded and parsed. */
int cli_warnings_fail(struct diag *d);

/* Parses the flags all dbt commands share into o (dbt's global flags into cli_globals); the
 * other arguments go to rest (argv[0] is skipped). Returns -1 after printing an error. */
int cli_parse_project_flags(int argc, char **argv, struct project_opts *o, char **rest, int *nrest);
/* cli_parse_project_flags into a rest array of its own (the caller frees it), or NULL after
 * printing the error. */
char **cli_project_flags_rest(int argc, char **argv, struct project_opts *o, int *nrest);
/* The node of an inline query (show --inline, compile --inline): dbt's sql_operation
 * "inline_query" of package pkg, its raw code sql. */
struct gnode *cli_inline_node(struct arena *a, const char *pkg, const char *sql);
/* w appended to b quoted so that a job step's command line (cmd_job.c: split_words) reads it
 * back as one word: as it is when it has no blank, quote or backslash (and is not empty), else
 * in single quotes, a quote inside written '\'' */
void cli_quote_word(struct buf *b, const char *w);
/* "silt WORD ..." with each word quoted by cli_quote_word; malloc'd. */
char *cli_join_words(int argc, char **argv);
/* For commands that take nothing else: -1 (after printing why) on any other argument. */
int cli_only_project_flags(int argc, char **argv, struct project_opts *o);
void cli_print_diag(const struct diag *d);

/* The selection flags (-s/--select/-m, --exclude, --selector, --resource-type(s),
 * --exclude-resource-type(s), --indirect-selection); each list flag takes the words up to the
 * next flag, as dbt. */
typedef VEC(const char *) strvec_t;
struct cli_selection {
	strvec_t select, exclude, types, extypes;
	const char *selector;
	const char *indirect; /* --indirect-selection (or DBT_INDIRECT_SELECTION), NULL: eager */
	/* --state DIR, --defer-state DIR, --defer, --favor-state (or DBT_STATE, DBT_DEFER_STATE,
	 * DBT_DEFER, DBT_FAVOR_STATE); loaded by cli_selection_state */
	const char *state_dir, *defer_state_dir;
	/* --state-env NAME, --defer-env NAME: an environment's applied state in the store
	 * (SILT_STORE, else <project>/.silt/silt.db); --defer-env implies --defer */
	const char *state_env, *defer_env;
	int defer, favor_state; /* 0: not given, 1: on, -1: off */
	struct gstate *state, *defer_state;
	struct gdefer deferral;
	struct state_prefetch *prefetch; /* --state-env read while the project parses */
};
/* Starts reading the --state-env environment's state on a thread of its own (it needs only the
 * store), so that it overlaps the parse; cli_selection_state takes it. No-op without
 * --state-env. project_dir as given to the command (NULL: found as the store finds it). */
void cli_selection_prefetch(struct cli_selection *s, const char *project_dir);
/* 1 when rest[*i] is a selection flag (its values consumed, *i moved past them), else 0. */
int cli_take_selection_flag(char **rest, int nrest, int *i, struct cli_selection *s);
/* graph_select options from s; only_types (a mask) overrides the resource-type flags. */
int cli_selection_opts(const struct cli_selection *s, uint32_t only_types, struct gselect_opts *o,
                       const struct gselectors *selectors, struct diag *d);
void cli_selection_release(struct cli_selection *s);
struct cli_parsed;
/* Loads --state / --defer-state (relative to the project directory, as dbt) into o: state:,
 * result: and state:modified.vars then work. 0, or -1 with an error in c->d. */
int cli_selection_state(struct cli_selection *s, struct cli_parsed *c, struct gselect_opts *o);
/* With --defer: what run/compile.c defers unselected parents to (sel: the selection); else
 * NULL. */
const struct gdefer *cli_selection_defer(struct cli_selection *s, const struct gselection *sel);
struct store;
/* The store of the project in project_dir (SILT_STORE, else <project>/.silt/silt.db). */
int cli_open_store(const char *project_dir, struct store **out, struct diag *d);
/* The applied state of environment env_name (state_env.c): per node what its last successful
 * non-CI execution applied (relation, node, vars), then the definition state for the nodes never
 * built and the macros; the origin names the environment, the runs and their git SHAs. */
int cli_state_from_env(struct store *st, const char *env_name, struct gstate **out,
                       struct diag *d);
/* cli_load_parse with the profile's target schema replaced by schema (Slim CI's PR schema)
 * before the project is parsed, so generate_schema_name sees it. */
int cli_load_parse_schema(struct cli_parsed *c, const struct project_opts *o, const char *schema);
/* target/node_vars.json's document: the var()/env_var() values each node reads
 * (state:modified.vars); only reads the parse result (cli_write_manifest writes it). */
value cli_node_vars(struct project *p, struct parse_result *r, struct arena *a);

/* A project loaded and parsed, for the commands that need the manifest. */
struct cli_parsed {
	struct project p;
	struct arena a;
	struct diag d;
	struct parse_result r;
	struct gselectors *selectors; /* the project's selectors.yml, or NULL */
	bool loaded, parsed;
};
int cli_load_parse(struct cli_parsed *c, const struct project_opts *o);
/* What an environment lays over the profile output before the parse (NULL fields: none). */
struct store_kv;
struct cli_overlay {
	const char *schema, *database;
	const struct store_kv *creds;
	size_t ncreds;
};
int cli_load_parse_over(struct cli_parsed *c, const struct project_opts *o,
                        const struct cli_overlay *ov);
/* cli_load_parse in the environment of the `silt job run` step being run, if any (jobs.h:
 * cli_step_env), recording the step's target folder for its artifacts (cmd_source.c). */
int cli_load_parse_step(struct cli_parsed *c, struct project_opts *o, struct arena *a);
/* Prints the collected errors, then releases everything. */
void cli_parsed_release(struct cli_parsed *c);
/* target/manifest.json of a parsed project (cmd_parse.c); 0 or -1 with an error in d. */
int cli_write_manifest(struct project *p, struct parse_result *r, struct arena *a, struct diag *d);
int cmd_bench(int argc, char **argv);

/* Data-driven suites, one per kind; each prints TAP and "N passed, N failed" and returns the
 * exit status. A suite whose file is not linked in is reported as missing (weak). */
int selftest_jinja(const char *dir) __attribute__((weak));
int selftest_yaml(const char *dir) __attribute__((weak));
int selftest_json(const char *dir) __attribute__((weak));
int selftest_selectors(const char *dir) __attribute__((weak));
int selftest_csv(const char *dir) __attribute__((weak));
int selftest_project(const char *dir) __attribute__((weak));
int selftest_compile(const char *dir) __attribute__((weak));

#endif
