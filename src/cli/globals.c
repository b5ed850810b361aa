/* dbt's global flags (its cli `global_flags` decorator): accepted before the command, among its
 * own flags, and from DBT_* environment variables, as dbt takes them. Those that change what
 * silt does set cli_globals; the rest (partial parsing, the adapter cache, version checks,
 * usage statistics, log files) name machinery silt does not have and are accepted as given. */
#include <strings.h>

#include "cli.h"
#include "compile/compile.h"
#include "run/console.h"
#include "yaml/yaml.h"

struct cli_globals cli_globals = { .write_json = true };

enum gf_kind {
	GF_IGNORED,       /* a switch that changes nothing here */
	GF_IGNORED_VALUE, /* an option with a value that changes nothing here */
	GF_WRITE_JSON,
	GF_FAIL_FAST,
	GF_QUIET,
	GF_PRINT,
	GF_WARN_ERROR,
	GF_COLOURS,
	GF_LOG_LEVEL,
	GF_LOG_FORMAT,
	GF_PRINTER_WIDTH,
	GF_WARN_ERROR_OPTIONS,
};

static const struct global_flag {
	const char *name;
	uint8_t kind;  /* enum gf_kind */
	int8_t on;     /* a switch: 1 for its positive form, -1 for its --no- form */
} global_flags[] = {
	{ "--write-json", GF_WRITE_JSON, 1 },
	{ "--no-write-json", GF_WRITE_JSON, -1 },
	{ "--fail-fast", GF_FAIL_FAST, 1 },
	{ "-x", GF_FAIL_FAST, 1 },
	{ "--no-fail-fast", GF_FAIL_FAST, -1 },
	{ "--quiet", GF_QUIET, 1 },
	{ "-q", GF_QUIET, 1 },
	{ "--no-quiet", GF_QUIET, -1 },
	{ "--print", GF_PRINT, 1 },
	{ "--no-print", GF_PRINT, -1 },
	{ "--warn-error", GF_WARN_ERROR, 1 },
	{ "--use-colors", GF_COLOURS, 1 },
	{ "--no-use-colors", GF_COLOURS, -1 },
	{ "--log-level", GF_LOG_LEVEL, 0 },
	{ "--log-format", GF_LOG_FORMAT, 0 },
	{ "--printer-width", GF_PRINTER_WIDTH, 0 },
	{ "--warn-error-options", GF_WARN_ERROR_OPTIONS, 0 },
	/* silt parses the whole project every time, keeps no adapter cache to populate, checks
	 * no version, sends no statistics, writes no log file and prints no debug events */
	{ "--partial-parse", GF_IGNORED, 1 },
	{ "--no-partial-parse", GF_IGNORED, -1 },
	{ "--partial-parse-file-diff", GF_IGNORED, 1 },
	{ "--no-partial-parse-file-diff", GF_IGNORED, -1 },
	{ "--populate-cache", GF_IGNORED, 1 },
	{ "--no-populate-cache", GF_IGNORED, -1 },
	{ "--cache-selected-only", GF_IGNORED, 1 },
	{ "--no-cache-selected-only", GF_IGNORED, -1 },
	{ "--version-check", GF_IGNORED, 1 },
	{ "--no-version-check", GF_IGNORED, -1 },
	{ "--send-anonymous-usage-stats", GF_IGNORED, 1 },
	{ "--no-send-anonymous-usage-stats", GF_IGNORED, -1 },
	{ "--static-parser", GF_IGNORED, 1 },
	{ "--no-static-parser", GF_IGNORED, -1 },
	{ "--use-experimental-parser", GF_IGNORED, 1 },
	{ "--no-use-experimental-parser", GF_IGNORED, -1 },
	{ "--use-colors-file", GF_IGNORED, 1 },
	{ "--no-use-colors-file", GF_IGNORED, -1 },
	{ "--log-cache-events", GF_IGNORED, 1 },
	{ "--no-log-cache-events", GF_IGNORED, -1 },
	{ "--introspect", GF_IGNORED, 1 }, /* (compile's: silt always runs introspective queries) */
	{ "--no-introspect", GF_IGNORED, -1 },
	{ "--macro-debugging", GF_IGNORED, 1 },
	{ "--no-macro-debugging", GF_IGNORED, -1 },
	{ "--debug", GF_IGNORED, 1 },
	{ "-d", GF_IGNORED, 1 },
	{ "--no-debug", GF_IGNORED, -1 },
	{ "--log-path", GF_IGNORED_VALUE, 0 },
	{ "--log-level-file", GF_IGNORED_VALUE, 0 },
	{ "--log-format-file", GF_IGNORED_VALUE, 0 },
	{ "--log-file-max-bytes", GF_IGNORED_VALUE, 0 },
	{ "--partial-parse-file-path", GF_IGNORED_VALUE, 0 },
};

static const struct global_flag *find_flag(const char *a)
{
	for (size_t i = 0; i < ARRAY_LEN(global_flags); i++)
		if (!strcmp(a, global_flags[i].name))
			return &global_flags[i];
	return NULL;
}

static bool takes_value(const struct global_flag *f)
{
	return f->kind >= GF_LOG_LEVEL || f->kind == GF_IGNORED_VALUE;
}

int cli_global_flag_words(const char *a)
{
	const struct global_flag *f = find_flag(a);
	return !f ? 0 : takes_value(f) ? 2 : 1;
}

/* What consoles and templates read. */
void cli_globals_publish(void)
{
	cli_globals.quiet = cli_globals.quiet_flag || cli_globals.log_level_quiet;
	console_flags.quiet = cli_globals.quiet;
	console_flags.colour = cli_globals.use_colors;
	console_flags.width = cli_globals.printer_width;
	dbt_output_flags.quiet = cli_globals.quiet;
	dbt_output_flags.no_print = cli_globals.no_print;
	dbt_output_flags.warn_error = cli_globals.warn_error_all;
}

int cli_env_bool(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	static const char *const yes[] = { "1", "true", "t", "yes", "y", "on" },
	                         *const no[] = { "0", "false", "f", "no", "n", "off" };
	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return -1;
	}
	return 0;
}

static int warn_error_options(const char *text);

void cli_globals_reset(void)
{
	cli_globals = (struct cli_globals){ .write_json = cli_env_bool("DBT_WRITE_JSON") >= 0,
		                            .fail_fast = cli_env_bool("DBT_FAIL_FAST"),
		                            .quiet_flag = cli_env_bool("DBT_QUIET") > 0,
		                            .no_print = cli_env_bool("DBT_PRINT") < 0,
		                            .use_colors = cli_env_bool("DBT_USE_COLORS") };
	if (cli_env_bool("DBT_WARN_ERROR") > 0)
		cli_globals.warn_error = cli_globals.warn_error_all = true;
	const char *weo = getenv("DBT_WARN_ERROR_OPTIONS");
	if (weo && *weo)
		warn_error_options(weo); /* (a value that does not parse says so and counts for nothing) */
	const char *lv = getenv("DBT_LOG_LEVEL"); /* (DBT_LOG_FORMAT=json is not refused here) */
	cli_globals.log_level_quiet =
	    lv && (!strcasecmp(lv, "warn") || !strcasecmp(lv, "error") || !strcasecmp(lv, "none"));
	const char *w = getenv("DBT_PRINTER_WIDTH");
	if (w && atoi(w) > 0)
		cli_globals.printer_width = atoi(w);
	cli_globals_publish();
}

/* Whether a --warn-error-options list (a string or a list of strings) names name. */
static bool names(value v, const char *name)
{
	if (v.type == VT_STR)
		return str_eqc(v_as_str(v), name);
	if (v.type != VT_LIST)
		return false;
	for (uint32_t i = 0; i < v.list->n; i++)
		if (names(v.list->v[i], name))
			return true;
	return false;
}

/* --warn-error-options '{"include": "all", "exclude": [...]}' (or error / warn, dbt's newer
 * names): every warning becomes an error when include is all and nothing is excluded; a
 * test's warning when all are included but not LogTestResult, or LogTestResult is. */
static int warn_error_options(const char *text)
{
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	value v = v_undef();
	int rc = yaml_load_value(&a, "--warn-error-options", text, strlen(text), &v, &d);
	if (rc == 0 && v.type != VT_DICT) {
		diag_add(&d, DIAG_ERROR, "--warn-error-options", 0, 0, NULL, 0,
		         "expected a mapping such as {\"include\": \"all\"}");
		rc = -1;
	}
	if (rc < 0) {
		struct buf b = BUF_INIT;
		diag_print(&d, &b);
		fprintf(stderr, "silt: %s", buf_cstr(&b));
		buf_release(&b);
	} else {
		value inc = v_item(v, "include"), exc = v_item(v, "exclude");
		if (inc.type == VT_UNDEF)
			inc = v_item(v, "error");
		if (exc.type == VT_UNDEF)
			exc = v_item(v, "warn");
		bool all = names(inc, "all") || names(inc, "*");
		bool none_excluded = exc.type == VT_UNDEF || exc.type == VT_NONE ||
		                     (exc.type == VT_LIST && !exc.list->n);
		cli_globals.warn_error_all = all && none_excluded;
		cli_globals.warn_error =
		    (all && !names(exc, "LogTestResult")) || names(inc, "LogTestResult");
	}
	diag_release(&d);
	arena_release(&a);
	return rc;
}

int cli_warnings_fail(struct diag *d)
{
	if (!cli_globals.warn_error_all)
		return 0;
	int n = 0;
	for (size_t i = 0; i < d->msgs.n; i++)
		if (d->msgs.v[i].level == DIAG_WARNING) {
			d->msgs.v[i].level = DIAG_ERROR;
			d->errors++;
			n++;
		}
	return n ? -1 : 0;
}

int cli_take_global_flag(int argc, char **argv, int *i)
{
	const struct global_flag *f = find_flag(argv[*i]);
	if (!f)
		return 0;
	const char *v = NULL;
	if (takes_value(f)) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "silt: option %s needs a value\n", f->name);
			return -1;
		}
		v = argv[++*i];
	}
	switch ((enum gf_kind)f->kind) {
	case GF_IGNORED:
	case GF_IGNORED_VALUE:
		break;
	case GF_WRITE_JSON:
		cli_globals.write_json = f->on > 0;
		break;
	case GF_FAIL_FAST:
		cli_globals.fail_fast = f->on;
		break;
	case GF_QUIET:
		cli_globals.quiet_flag = f->on > 0;
		break;
	case GF_PRINT:
		cli_globals.no_print = f->on < 0;
		break;
	case GF_WARN_ERROR:
		cli_globals.warn_error = cli_globals.warn_error_all = true;
		break;
	case GF_COLOURS:
		cli_globals.use_colors = f->on;
		break;
	case GF_LOG_LEVEL: {
		static const char *const levels[] = { "debug", "info", "warn", "error", "none" };
		size_t k = 0;
		while (k < ARRAY_LEN(levels) && strcmp(v, levels[k]))
			k++;
		if (k == ARRAY_LEN(levels)) {
			fprintf(stderr, "silt: Invalid value for '--log-level': '%s' is not one of 'debug', "
			                "'info', 'warn', 'error', 'none'.\n", v);
			return -1;
		}
		cli_globals.log_level_quiet = k >= 2; /* silt's console lines are info or error */
		break;
	}
	case GF_LOG_FORMAT:
		if (!strcmp(v, "json")) {
			fprintf(stderr, "silt: --log-format json is not supported: silt writes its console "
			                "lines as text (--log-format text, debug or default)\n");
			return -1;
		}
		if (strcmp(v, "text") && strcmp(v, "debug") && strcmp(v, "default")) {
			fprintf(stderr, "silt: Invalid value for '--log-format': '%s' is not one of 'text', "
			                "'debug', 'json', 'default'.\n", v);
			return -1;
		}
		break;
	case GF_PRINTER_WIDTH:
		if (atoi(v) <= 0 || strspn(v, "0123456789") != strlen(v)) {
			fprintf(stderr, "silt: Invalid value for '--printer-width': '%s' is not a valid "
			                "integer.\n", v);
			return -1;
		}
		cli_globals.printer_width = atoi(v);
		break;
	case GF_WARN_ERROR_OPTIONS:
		if (warn_error_options(v) < 0)
			return -1;
		break;
	}
	cli_globals_publish();
	return 1;
}
