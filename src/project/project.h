/* project: loading a dbt project's configuration as dbt does — dbt_project.yml (rendered),
 * profiles.yml (the chosen target, rendered natively), packages.yml / dependencies.yml, vars and
 * env_var, the config trees (`models:` …) merged for a node's fqn, and file discovery with
 * .dbtignore and checksums.
 *
 * Ownership: a struct project owns one arena; every string, value and list it hands out lives in
 * it until project_release. Functions that take an arena allocate their results there (values
 * may still borrow strings from the project's arena, so keep the project alive as long as them).
 * Errors: functions return 0, or -1 after adding "file:line:col: message" (or a plain message
 * when dbt's own has no position) to the diag. Messages keep dbt's wording where dbt has one. */
#ifndef SILT_PROJECT_H
#define SILT_PROJECT_H

#include "../value/value.h"

struct jinja_env;

/* Resource types that have a config tree in dbt_project.yml. */
enum project_rt {
	PRT_MODELS,
	PRT_SEEDS,
	PRT_SNAPSHOTS,
	PRT_DATA_TESTS, /* `data_tests:`, legacy `tests:` */
	PRT_SOURCES,
	PRT_EXPOSURES,
	PRT_METRICS,
	PRT_SEMANTIC_MODELS, /* `semantic-models:` */
	PRT_SAVED_QUERIES,   /* `saved-queries:` */
	PRT_UNIT_TESTS,
	PRT_ANALYSES,
	PRT_FUNCTIONS,
	PRT_COUNT
};
/* "models", "seeds", … (the dbt_project.yml key); project_rt_parse accepts those and the
 * singular resource names ("model", "seed", "snapshot", "test", "source", "exposure", "metric",
 * "semantic_model", "saved_query", "unit_test", "analysis", "function"); -1 when unknown. */
const char *project_rt_name(enum project_rt rt);
int project_rt_parse(const char *name);

struct strlist {
	const char **v;
	size_t n;
};

/* Command-line inputs (each NULL/0 = not given). */
struct project_opts {
	const char *project_dir; /* --project-dir (else DBT_PROJECT_DIR, else cwd or a parent) */
	/* --profiles-dir (else DBT_PROFILES_DIR, cwd, project dir, ~/.dbt) */
	const char *profiles_dir;
	const char *profile;     /* --profile (else DBT_PROFILE, else dbt_project.yml) */
	const char *target;      /* --target (else DBT_TARGET, else the profile's `target:`) */
	const char *vars;        /* --vars: a YAML (or JSON) mapping */
	const char *target_path; /* --target-path (else DBT_TARGET_PATH) */
	int threads;             /* --threads, 0 = not given */
	const char *cwd;         /* NULL = getcwd() */
	/* Environment: "NAME=value" strings (NULL-terminated) consulted first; then the process
	 * environment unless no_process_env. */
	const char *const *env;
	bool no_process_env;
	bool no_profile; /* load the project alone (dbt deps, debug): `target` is undefined */
	/* checksums as dbt-core main (2026) computes them: whitespace runs folded to one space
	 * before hashing; default is v1.11's sha256 of the stripped text */
	bool normalized_checksums;
};

struct profile {
	const char *file;        /* profiles.yml path that was read */
	const char *name;        /* profile name */
	const char *target_name; /* chosen output */
	int64_t threads;
	const char *type; /* adapter type */
	/* the rendered output: aliases translated (pass, dbname), adapter defaults filled in
	 * (postgres connect_timeout …, sqlite schema/database main), threads set */
	value output;
	/* the `target` context dict (Profile.to_target_dict): postgres's connection keys, or for
	 * other adapters the output minus secrets; then type, threads, name, target_name,
	 * profile_name */
	value target;
	value config; /* the profiles.yml top-level `config:` dict, or None */
};

enum package_kind { PKG_LOCAL, PKG_GIT, PKG_HUB, PKG_TARBALL, PKG_PRIVATE };
struct package_spec {
	enum package_kind kind;
	const char *source; /* local path, git URL, hub name (org/name), tarball URL */
	value version;      /* hub: str / number / list, git: revision (str or number), else None */
	const char *subdirectory; /* git */
	int warn_unpinned;        /* git: -1 unset, 0, 1 */
	bool install_prerelease;  /* hub */
	const char *name;         /* tarball */
	value raw;                /* the entry as rendered */
	value unrendered;         /* the entry as written */
	int line, col;
};
struct packages {
	const char *file; /* "packages.yml" or "dependencies.yml", NULL when neither exists */
	struct package_spec *v;
	size_t n;
	value projects; /* dependencies.yml `projects:` (dbt Mesh), or None */
};

struct project {
	struct arena a;
	struct jinja_env *jenv;
	/* Jinja environments the parse should leave (one per concurrent render of a run against a
	 * warehouse that takes concurrent writers); 0 = as many as the parse itself wants */
	int parse_envs_min;
	const char *dir;  /* project root as given or found (normalised, no trailing slash) */
	const char *file; /* <dir>/dbt_project.yml */
	const char *name;
	value version; /* str, float or None */
	const char *profile_name;
	struct strlist model_paths, seed_paths, test_paths, analysis_paths, macro_paths,
	    snapshot_paths, docs_paths, asset_paths, function_paths, clean_targets;
	const char *target_path, *packages_install_path, *log_path;
	value require_dbt_version;      /* as written (str, list or None) */
	value quoting;                  /* dict */
	value vars;                     /* dict, unrendered (rendered when read) */
	value on_run_start, on_run_end; /* lists of str, unrendered */
	value dispatch;                 /* list of {macro_namespace, search_order} */
	value flags;                    /* dict */
	value query_comment;            /* unrendered: str, dict or None when absent */
	value restrict_access, dbt_cloud;
	value trees[PRT_COUNT];     /* rendered config trees (dicts) */
	value raw_trees[PRT_COUNT]; /* as written, for unrendered_config */
	value raw;                  /* dbt_project.yml as written (a dict) */
	value rendered;             /* dbt_project.yml as rendered */
	value cli_vars;             /* --vars, a dict */
	bool has_profile;
	struct profile profile;
	struct packages packages;
	/* environment (see project_getenv) and secrets seen, for masking */
	struct map env_over;
	bool env_process;
	VEC(const char *) secrets;
	VEC(char *) texts; /* file texts read by project_discover (project_file.contents), owned */
	bool normalized_checksums;
	const char *cwd;
};

/* Locates, reads and renders everything: project dir, profile (unless o->no_profile),
 * dbt_project.yml rendered with `target`, `env_var`, `var` (CLI vars), packages.yml. On error p
 * still needs project_release. */
int project_load(struct project *p, const struct project_opts *o, struct diag *d);
/* Loads an installed package's project (dir holds dbt_project.yml), rendered with the root's
 * CLI vars, target and environment. */
int project_load_package(struct project *pkg, const struct project *root, const char *dir,
                         struct diag *d);
void project_release(struct project *p);
/* The path of name in the project's target folder (target-path, absolute or from the project
 * directory), in a. */
char *project_target_file(const struct project *p, struct arena *a, const char *name);

/* dbt deps: installs every package of packages.yml / dependencies.yml into
 * packages-install-path — local ones as a symlink, git ones cloned with git (branch or tag
 * shallow, commits whole) — and writes package-lock.yml. A package-lock.yml written for the
 * same packages (its sha1_hash) pins the git revisions, unless upgrade; lock_only writes the
 * lock and installs nothing (dbt deps --upgrade, --lock). Hub, tarball and private packages are
 * refused up front with an error naming each. Progress lines go to log. */
struct deps_opts {
	bool upgrade, lock_only;
};
int project_deps(struct project *p, const struct deps_opts *o, struct buf *log, struct diag *d);

/* ---- environment ---- */
/* The value of an environment variable as the project sees it, or NULL. */
const char *project_getenv(const struct project *p, const char *name);
/* Replaces every secret value (DBT_ENV_SECRET_* read through env_var) in s with "*****". */
void project_mask_secrets(const struct project *p, struct str s, struct buf *out);
/* Parses --vars text (YAML or JSON mapping) into a dict in a. */
int project_parse_cli_vars(struct arena *a, const char *text, value *out, struct diag *d);

/* ---- rendering ---- */
enum project_render_ctx {
	PRC_PROJECT, /* dbt_project.yml, selectors: DBT_ENV_SECRET_ refused */
	PRC_SECRET,  /* profiles.yml, packages.yml: secrets allowed */
};
/* Renders one value natively as dbt's renderers do (strings only; others returned as is). */
int project_render_value(struct project *p, enum project_render_ctx ctx, value v, value *out,
                         struct diag *d);

/* ---- vars ----
 * var(name) for a node of package `pkg` (NULL = the root project): CLI vars, then the root
 * project's vars (its `pkg:` block before its globals), then the node's package's vars (same
 * order). dep may be NULL. Returns 1 and *out (raw, unrendered), or 0 when not found. */
int project_var_lookup(const struct project *root, const struct project *dep, const char *pkg,
                       const char *name, value *out);
/* dbt's error for a missing var: "Required var 'x' not found in config:\nVars supplied to
 * <node> = {…}" (node NULL = "<Configuration>"). */
void project_var_missing_msg(const struct project *root, const struct project *dep, const char *pkg,
                             const char *name, const char *node, struct buf *out);

/* ---- config trees ----
 * The config dict for a node: the own project's tree walked along fqn (fqn[0] is the package
 * name), then, when own != root, the root project's tree on top. `+key` is a config at any level;
 * a key without `+` whose value is not a dict is a config too; dict values without `+` are
 * folders. Merge per key as dbt's BaseConfig: append (tags, pre-hook, post-hook, packages),
 * update (meta, quoting, column_types, docs, contract), grants (keys clobber, `+key` extends),
 * everything else clobbers. pre_hook/post_hook are spelled pre-hook/post-hook; hooks become
 * {sql, transaction, index} dicts. own == NULL means the root. raw = use the unrendered trees. */
int project_node_config(const struct project *root, const struct project *own, enum project_rt rt,
                        const struct strlist *fqn, bool raw, struct arena *a, value *out,
                        struct diag *d);
/* The layers one at a time, for node parsing, in dbt's order (combine_config_dicts):
 *   acc = {}; project_config_apply_tree(own, …, acc); project_config_merge(acc, schema-yml
 *   config); project_config_merge(acc, config() calls); if own is a package:
 *   project_config_apply_tree(root, …, acc); project_config_finish(acc).
 * raw = unrendered trees with plain dict updates (unrendered_config). project_config_merge
 * merges `partial` into `acc` with dbt's rules; project_config_finish turns hooks into
 * {sql, transaction, index} dicts. */
int project_config_apply_tree(const struct project *p, enum project_rt rt,
                              const struct strlist *fqn, bool raw, struct arena *a, value acc,
                              struct diag *d);
int project_config_merge(struct arena *a, value acc, value partial, struct diag *d);
void project_config_finish(struct arena *a, value acc);
/* The deepest level of p's tree that project_config_apply_tree reaches along fqn (NULL: the
 * project has no such tree): two fqns that reach the same level get the same layers. */
const void *project_config_level(const struct project *p, enum project_rt rt,
                                 const struct strlist *fqn, bool raw);

/* dbt's _get_config_paths: every folder path (list of str, in tree order, [] for the tree's
 * root) that directly holds a config, for the "Configuration paths exist in your
 * dbt_project.yml file which do not apply to any resources" warning. A path is used when it is
 * a prefix of some node's fqn (project_config_path_used). */
value project_config_paths(const struct project *p, enum project_rt rt, struct arena *a);
bool project_config_path_used(value path, const struct strlist *fqn);

/* ---- files ---- */
enum project_file_kind {
	PF_MACRO,
	PF_MODEL,
	PF_SNAPSHOT,
	PF_ANALYSIS,
	PF_SINGULAR_TEST,
	PF_GENERIC_TEST,
	PF_SEED,
	PF_DOC,
	PF_SCHEMA,
	PF_FIXTURE,
	PF_FUNCTION,
	PF_KIND_COUNT
};
const char *project_file_kind_name(enum project_file_kind k); /* "macro", "model", … */

struct project_file {
	enum project_file_kind kind;
	const char *searched_path; /* the configured path, as written ("models", "../shared") */
	const char *relative_path; /* below searched_path ("staging/stg_orders.sql") */
	const char *path;          /* searched_path/relative_path (dbt's original_file_path) */
	const char *abs_path;      /* project dir joined with path */
	const char *checksum_name; /* "sha256", or "path" for seeds over 1 MiB */
	const char *checksum;      /* hex digest, or the path */
	const char *contents;      /* stripped text (NULL for seeds) */
	size_t len;
};
struct project_files {
	struct project_file *v;
	size_t n;
};
/* Walks the project's configured paths (sorted, deterministic), applies .dbtignore, reads and
 * checksums every file. Kinds come in dbt's read order (macros, models, snapshots, analyses,
 * singular tests, generic tests, seeds, docs, schema files, fixtures, functions). */
int project_discover(struct project *p, struct project_files *out, struct diag *d);

/* .dbtignore: gitwildmatch patterns as Python's pathspec applies them (every pattern is tried,
 * the last one matching decides; `!` re-includes). */
struct ignore_spec;
struct ignore_spec *ignore_spec_parse(struct arena *a, const char *text, size_t len);
bool ignore_spec_match(const struct ignore_spec *s, const char *path);

/* sha256 of a file's text as dbt computes it (strip, optionally normalise whitespace). */
void project_checksum(const char *text, size_t len, bool normalized, char out[65]);
/* Python's str.strip() for UTF-8 text. */
struct str project_strip(struct str s);

#endif
