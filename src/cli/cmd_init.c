/* silt init: dbt init without the prompts. `silt init NAME` creates dbt's starter project in
 * ./NAME (dbt_project.yml, two example models and their schema.yml, and the empty analyses,
 * tests, seeds, macros and snapshots folders) and, unless --skip-profile-setup or --profile,
 * adds a SQLite profile named NAME to profiles.yml in --profiles-dir (else DBT_PROFILES_DIR,
 * else the current directory when it has a profiles.yml, else ~/.dbt). Run inside a project,
 * it only sets up that project's profile, as dbt does. An existing profile is never
 * overwritten: where dbt would ask, silt keeps it. */
#include <errno.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "run/console.h"
#include "yaml/yaml.h"

/* dbt's starter project; {project_name} and {profile_name} are filled in. */
static const char starter_project_yml[] =
    "# Name your project! Project names should contain only lowercase characters\n"
    "# and underscores. A good package name should reflect your organization's\n"
    "# name or the intended use of these models\n"
    "name: '{project_name}'\n"
    "version: '1.0.0'\n"
    "\n"
    "# This setting configures which \"profile\" dbt uses for this project.\n"
    "profile: '{profile_name}'\n"
    "\n"
    "# These configurations specify where dbt should look for different types of files.\n"
    "# The `model-paths` config, for example, states that models in this project can be\n"
    "# found in the \"models/\" directory. You probably won't need to change these!\n"
    "model-paths: [\"models\"]\n"
    "analysis-paths: [\"analyses\"]\n"
    "test-paths: [\"tests\"]\n"
    "seed-paths: [\"seeds\"]\n"
    "macro-paths: [\"macros\"]\n"
    "snapshot-paths: [\"snapshots\"]\n"
    "\n"
    "clean-targets:         # directories to be removed by `dbt clean`\n"
    "  - \"target\"\n"
    "  - \"dbt_packages\"\n"
    "\n"
    "# Configuring models\n"
    "# Full documentation: https://docs.getdbt.com/docs/configuring-models\n"
    "\n"
    "# In this example config, we tell dbt to build all models in the example/\n"
    "# directory as views. These settings can be overridden in the individual model\n"
    "# files using the `{{ config(...) }}` macro.\n"
    "models:\n"
    "  {project_name}:\n"
    "    # Config indicated by + and applies to all files under models/example/\n"
    "    example:\n"
    "      +materialized: view\n";

static const char first_model_sql[] =
    "\n"
    "/*\n"
    "    Welcome to your first dbt model!\n"
    "    Did you know that you can also configure models directly within SQL files?\n"
    "    This will override configurations stated in dbt_project.yml\n"
    "\n"
    "    Try changing \"table\" to \"view\" below\n"
    "*/\n"
    "\n"
    "{{ config(materialized='table') }}\n"
    "\n"
    "with source_data as (\n"
    "\n"
    "    select 1 as id\n"
    "    union all\n"
    "    select null as id\n"
    "\n"
    ")\n"
    "\n"
    "select *\n"
    "from source_data\n"
    "\n"
    "/*\n"
    "    Uncomment the line below to remove records with null `id` values\n"
    "*/\n"
    "\n"
    "-- where id is not null\n";

static const char second_model_sql[] =
    "\n"
    "-- Use the `ref` function to select from other models\n"
    "\n"
    "select *\n"
    "from {{ ref('my_first_dbt_model') }}\n"
    "where id = 1\n";

static const char schema_yml[] =
    "\n"
    "version: 2\n"
    "\n"
    "models:\n"
    "  - name: my_first_dbt_model\n"
    "    description: \"A starter dbt model\"\n"
    "    columns:\n"
    "      - name: id\n"
    "        description: \"The primary key for this table\"\n"
    "        data_tests:\n"
    "          - unique\n"
    "          - not_null\n"
    "\n"
    "  - name: my_second_dbt_model\n"
    "    description: \"A starter dbt model\"\n"
    "    columns:\n"
    "      - name: id\n"
    "        description: \"The primary key for this table\"\n"
    "        data_tests:\n"
    "          - unique\n"
    "          - not_null\n";

static const char readme_md[] =
    "Welcome to your new dbt project!\n"
    "\n"
    "### Using the starter project\n"
    "\n"
    "Try running the following commands:\n"
    "- silt run\n"
    "- silt test\n"
    "\n"
    "(silt runs dbt projects unchanged: `dbt run` and `dbt test` work on this project too.)\n"
    "\n"
    "### Resources:\n"
    "- Learn more about dbt [in the docs](https://docs.getdbt.com/docs/introduction)\n";

static const char gitignore[] = "\n"
                                "target/\n"
                                "dbt_packages/\n"
                                "logs/\n";

static const char *const empty_dirs[] = { "analyses", "tests", "seeds", "macros", "snapshots" };

/* dbt's ProjectName: ^[^\d\W]\w*$ (letters, digits, underscore; not a digit first). Bytes of
 * non-ASCII characters count as letters, as Python's \w takes Unicode letters. */
static bool valid_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (!(ch == '_' || ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9')))
			return false;
	}
	return true;
}

/* text with every {project_name} and {profile_name} replaced */
static void fill(struct buf *out, const char *text, const char *project, const char *profile)
{
	for (const char *s = text; *s;) {
		if (!strncmp(s, "{project_name}", 14)) {
			buf_puts(out, project);
			s += 14;
		} else if (!strncmp(s, "{profile_name}", 14)) {
			buf_puts(out, profile);
			s += 14;
		} else {
			buf_putc(out, *s++);
		}
	}
}

static int write_new(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wx");
	if (!f) {
		fprintf(stderr, "silt init: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	bool bad = fwrite(text, 1, n, f) != n;
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "silt init: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "silt init: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int create_project(struct arena *a, const char *name, const char *profile)
{
	if (mkdir(name, 0777) < 0) {
		fprintf(stderr, "silt init: cannot create %s: %s\n", name, strerror(errno));
		return -1;
	}
	struct buf yml = BUF_INIT;
	fill(&yml, starter_project_yml, name, profile);
	struct {
		const char *path, *text;
		size_t n;
	} files[] = {
		{ "dbt_project.yml", buf_cstr(&yml), yml.n },
		{ "README.md", readme_md, sizeof(readme_md) - 1 },
		{ ".gitignore", gitignore, sizeof(gitignore) - 1 },
		{ "models/example/my_first_dbt_model.sql", first_model_sql, sizeof(first_model_sql) - 1 },
		{ "models/example/my_second_dbt_model.sql", second_model_sql,
		  sizeof(second_model_sql) - 1 },
		{ "models/example/schema.yml", schema_yml, sizeof(schema_yml) - 1 },
	};
	int rc = make_dir(arena_printf(a, "%s/models", name)) < 0 ||
	                 make_dir(arena_printf(a, "%s/models/example", name)) < 0
	             ? -1
	             : 0;
	for (size_t i = 0; i < ARRAY_LEN(files) && rc == 0; i++)
		rc = write_new(arena_printf(a, "%s/%s", name, files[i].path), files[i].text, files[i].n);
	/* the empty folders, kept in git as dbt keeps them */
	for (size_t i = 0; i < ARRAY_LEN(empty_dirs) && rc == 0; i++)
		if (make_dir(arena_printf(a, "%s/%s", name, empty_dirs[i])) < 0 ||
		    write_new(arena_printf(a, "%s/%s/.gitkeep", name, empty_dirs[i]), "", 0) < 0)
			rc = -1;
	buf_release(&yml);
	return rc;
}

/* The profiles directory dbt init writes to. */
static const char *profiles_dir(struct arena *a, const char *flag)
{
	if (flag)
		return flag;
	const char *env = getenv("DBT_PROFILES_DIR");
	if (env && *env)
		return env;
	if (access("profiles.yml", F_OK) == 0) {
		char *cwd = getcwd(NULL, 0);
		const char *dir = cwd ? arena_printf(a, "%s", cwd) : ".";
		free(cwd);
		return dir;
	}
	const char *home = getenv("HOME");
	return arena_printf(a, "%s/.dbt", home ? home : "");
}

/* profiles.yml as a dict (None when the file is absent or empty); -1 after printing why. */
static int read_profiles(struct arena *a, const char *path, char **text, size_t *len, value *out)
{
	*text = NULL;
	*len = 0;
	*out = v_none();
	if (access(path, F_OK) != 0)
		return 0;
	if (!(*text = cli_read_file(path, len)))
		return -1;
	struct diag d;
	diag_init(&d);
	int rc = yaml_load_value(a, path, *text, *len, out, &d);
	if (rc == 0 && out->type != VT_DICT && out->type != VT_NONE) {
		diag_add(&d, DIAG_ERROR, path, 0, 0, NULL, 0, "expected a mapping of profiles, got %s",
		         v_type_name(*out));
		rc = -1;
	}
	if (rc < 0) {
		cli_print_diag(&d);
		free(*text);
		*text = NULL;
	}
	diag_release(&d);
	return rc;
}

static bool has_profile(value profiles, const char *name)
{
	value v;
	return profiles.type == VT_DICT && vdict_gets(profiles.dict, str_from(name), &v);
}

/* A plain scalar PyYAML would read as something else than this string gets quoted, as
 * yaml.dump quotes it. */
static void yaml_key(struct buf *out, const char *name)
{
	static const char *const special[] = { "yes", "no", "true", "false", "on", "off", "null" };
	bool quote = !strcmp(name, "~");
	for (size_t i = 0; i < ARRAY_LEN(special); i++)
		quote |= !strcasecmp(name, special[i]);
	if (quote)
		buf_printf(out, "'%s'", name);
	else
		buf_puts(out, name);
}

/* Adds a SQLite profile `name` (target dev, the warehouse file <name>.db in the project
 * directory) to dir/profiles.yml. 0 written or kept, -1 error. */
static int setup_profile(struct console *con, struct arena *a, const char *dir, const char *name)
{
	const char *path = arena_printf(a, "%s/profiles.yml", dir);
	char *text;
	size_t len;
	value profiles;
	if (read_profiles(a, path, &text, &len, &profiles) < 0)
		return -1;
	if (has_profile(profiles, name)) {
		console_line(con, "The profile %s already exists in %s; silt keeps it as it is", name,
		             path);
		free(text);
		return 0;
	}
	/* what yaml.dump writes for the profile (keys sorted), after the file's text: the
	 * existing profiles and their comments stay as they are */
	struct buf out = BUF_INIT;
	if (len) {
		buf_append(&out, text, len);
		if (text[len - 1] != '\n')
			buf_putc(&out, '\n');
	}
	yaml_key(&out, name);
	buf_printf(&out, ":\n  outputs:\n    dev:\n      path: %s.db\n      schema: main\n"
	                 "      threads: 1\n      type: sqlite\n  target: dev\n",
	           name);
	free(text);
	/* it must read back with the new profile (an existing file in flow style would not) */
	struct diag d;
	diag_init(&d);
	value back;
	int rc = 0;
	if (yaml_load_value(a, path, buf_cstr(&out), out.n, &back, &d) < 0 ||
	    !has_profile(back, name)) {
		fprintf(stderr, "silt init: cannot add the profile %s to %s: the file would not read "
		                "back with it; add it by hand\n",
		        name, path);
		rc = -1;
	}
	diag_release(&d);
	if (rc == 0 && access(dir, F_OK) != 0) {
		console_line(con, "Creating dbt configuration folder at %s", dir);
		struct buf p = BUF_INIT;
		buf_puts(&p, dir);
		for (char *s = strchr(p.p + 1, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
			*s = 0;
			rc = make_dir(p.p);
			*s = '/';
		}
		if (rc == 0)
			rc = make_dir(p.p);
		buf_release(&p);
	}
	if (rc == 0) {
		FILE *f = fopen(path, "w");
		if (!f || fwrite(out.p, 1, out.n, f) != out.n) {
			fprintf(stderr, "silt init: cannot write %s: %s\n", path, strerror(errno));
			rc = -1;
		}
		if (f && fclose(f) != 0 && rc == 0) {
			fprintf(stderr, "silt init: cannot write %s: %s\n", path, strerror(errno));
			rc = -1;
		}
	}
	if (rc == 0)
		console_line(con,
		             "Profile %s written to %s using silt's SQLite target (the warehouse is "
		             "%s.db in the project directory). Run 'silt debug' to validate the "
		             "connection.",
		             name, path, name);
	buf_release(&out);
	return rc;
}

/* The directory holding dbt_project.yml: the current one or a parent, as dbt looks. */
static char *find_project(void)
{
	char *dir = getcwd(NULL, 0);
	while (dir) {
		struct buf p = BUF_INIT;
		buf_printf(&p, "%s/dbt_project.yml", dir);
		bool found = access(p.p, F_OK) == 0;
		buf_release(&p);
		if (found)
			return dir;
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			free(dir);
			return NULL;
		}
		*slash = 0;
	}
	return NULL;
}

int cmd_init(int argc, char **argv)
{
	const char *name = NULL, *pdir = NULL, *profile = NULL;
	bool skip = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--skip-profile-setup") || !strcmp(a, "-s")) {
			skip = true;
		} else if (!strcmp(a, "--profiles-dir") && i + 1 < argc) {
			pdir = argv[++i];
		} else if (!strcmp(a, "--profile") && i + 1 < argc) {
			profile = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "silt init: unknown argument '%s'\n", a);
			return 2;
		} else if (!name) {
			name = a;
		} else {
			fprintf(stderr, "silt init: one project name only (got '%s' and '%s')\n", name, a);
			return 2;
		}
	}
	struct arena a;
	arena_init(&a);
	struct console con;
	console_init(&con, stdout);
	int rc = 2;
	const char *dir = profiles_dir(&a, pdir);
	char *inside = find_project();
	if (inside) {
		/* inside a project: only its profile is set up */
		if (profile) {
			fprintf(stderr, "silt init: Can not init existing project with specified profile, "
			                "edit dbt_project.yml instead\n");
			goto done;
		}
		rc = 0;
		if (skip)
			goto done;
		const char *file = arena_printf(&a, "%s/dbt_project.yml", inside);
		size_t len;
		char *text = cli_read_file(file, &len);
		value proj = v_none(), pn = v_none();
		struct diag d;
		diag_init(&d);
		if (!text || yaml_load_value(&a, file, text, len, &proj, &d) < 0) {
			cli_print_diag(&d);
			rc = 2;
		} else if (proj.type != VT_DICT || !vdict_gets(proj.dict, STR("profile"), &pn) ||
		           pn.type != VT_STR) {
			fprintf(stderr, "silt init: %s names no profile (a `profile:` string)\n", file);
			rc = 2;
		} else {
			console_line(&con, "Setting up your profile.");
			rc = setup_profile(&con, &a, dir, pn.s) < 0 ? 2 : 0;
		}
		diag_release(&d);
		free(text);
		goto done;
	}
	if (!name) {
		fprintf(stderr, "silt init: name the project: silt init NAME (letters, digits, "
		                "underscore)\n");
		goto done;
	}
	if (!valid_name(name)) {
		fprintf(stderr, "silt init: %s is not a valid project name (letters, digits, "
		                "underscore; not a digit first)\n",
		        name);
		goto done;
	}
	if (access(name, F_OK) == 0) {
		fprintf(stderr, "silt init: A project called %s already exists here.\n", name);
		goto done;
	}
	if (profile) {
		char *text;
		size_t len;
		value profiles;
		int r = read_profiles(&a, arena_printf(&a, "%s/profiles.yml", dir), &text, &len,
		                      &profiles);
		free(text);
		if (r < 0)
			goto done;
		if (!has_profile(profiles, profile)) {
			fprintf(stderr, "silt init: Could not find profile named %s\n", profile);
			goto done;
		}
	}
	if (create_project(&a, name, profile ? profile : name) < 0)
		goto done;
	console_line(&con, "\nYour new dbt project \"%s\" was created!\n\n"
	                   "For more information on how to configure the profiles.yml file,\n"
	                   "please consult the dbt documentation here:\n\n"
	                   "  https://docs.getdbt.com/docs/configure-your-profile\n\n"
	                   "Happy modeling!\n",
	             name);
	rc = 0;
	if (!skip && !profile)
		rc = setup_profile(&con, &a, dir, name) < 0 ? 2 : 0;
done:
	free(inside);
	arena_release(&a);
	return rc;
}
