/* silt selftest yaml DIR: each DIR/NAME.yml is loaded and compared with DIR/NAME.json (PyYAML's
 * result as json.dumps(data, default=str, ensure_ascii=False) prints it) or with DIR/NAME.error
 * (silt's exact message, "NAME.yml:LINE:COL: message"). DIR/DISABLED ("NAME  reason" per line)
 * names the cases where silt knowingly differs from PyYAML: a NAME.json there is PyYAML's value,
 * which silt cannot give, and is skipped; a NAME.error there is silt's own refusal, and is run. */
#include <dirent.h>
#include <sys/stat.h>

#include "cli.h"
#include "json/json.h"
#include "yaml/yaml.h"

/* json.dumps's default=str: dates and datetimes print as str() does */
static int default_str(value v, value *replacement, void *ud)
{
	struct buf b = BUF_INIT;
	v_to_str(v, &b);
	*replacement = v_buf(ud, &b);
	buf_release(&b);
	return 0;
}

/* ---- the suite ---- */

static bool exists(const char *dir, const char *name, const char *ext)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	return stat(path, &st) == 0;
}

static char *read_opt(const char *dir, const char *name, const char *ext, size_t *len)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	if (stat(path, &st) != 0)
		return NULL;
	return cli_read_file(path, len);
}

static void chomp(char *s, size_t *n)
{
	while (*n && (s[*n - 1] == '\n' || s[*n - 1] == '\r'))
		s[--*n] = 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The reason a case is disabled, or NULL. DISABLED holds "NAME reason" lines and # comments. */
static const char *disabled_reason(const char *disabled, const char *name, struct buf *reason)
{
	size_t nl = strlen(name);
	for (const char *p = disabled; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && p[0] != '#' && memcmp(p, name, nl) == 0 &&
		    (p[nl] == ' ' || p[nl] == '\t')) {
			buf_reset(reason);
			buf_putstr(reason, str_trim(str_make(p + nl, len - nl)));
			return buf_cstr(reason);
		}
		if (len == nl && memcmp(p, name, nl) == 0)
			return "";
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* TAP diagnostics: "#   label: text", continuation lines indented */
static void show(struct buf *out, const char *label, const char *s)
{
	buf_printf(out, "#   %s:", label);
	for (const char *p = s; *p;) {
		const char *eol = strchr(p, '\n');
		int len = eol ? (int)(eol - p) : (int)strlen(p);
		buf_printf(out, " %.*s\n", len, p);
		if (!eol)
			break;
		p = eol + 1;
		if (*p)
			buf_puts(out, "#         ");
	}
	if (!*s)
		buf_putc(out, '\n');
}

static bool run_case(const char *dir, const char *name, struct buf *notes)
{
	size_t len, want_len = 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.yml", dir, name);
	char *text = cli_read_file(path, &len);
	if (!text)
		return false;
	bool expect_error = false;
	char *want = read_opt(dir, name, ".json", &want_len);
	if (!want) {
		want = read_opt(dir, name, ".error", &want_len);
		expect_error = true;
	}
	if (!want) {
		buf_printf(notes, "#   neither %s.json nor %s.error exists\n", name, name);
		free(text);
		return false;
	}
	chomp(want, &want_len);

	struct arena a;
	struct diag d;
	arena_init(&a);
	diag_init(&d);
	char file[300];
	snprintf(file, sizeof(file), "%s.yml", name);
	value v;
	int rc = yaml_load_value(&a, file, text, len, &v, &d);
	struct buf got = BUF_INIT;
	if (rc == 0) {
		/* json.dumps(data, default=str, ensure_ascii=False, sort_keys=False) */
		struct json_opts o = JSON_OPTS_INIT;
		struct buf err = BUF_INIT;
		o.ensure_ascii = false;
		o.default_fn = default_str;
		o.default_ud = &a;
		o.err = &err;
		if (json_write(&got, v, &o) != 0)
			buf_printf(&got, "(json.dumps fails: %s)", buf_cstr(&err));
		buf_release(&err);
	} else if (d.msgs.n) {
		diag_format_msg(&d.msgs.v[0], &got);
	}
	bool pass = (rc != 0) == expect_error && strcmp(buf_cstr(&got), want) == 0;
	if (!pass) {
		show(notes, "got",
		     rc == 0 && expect_error ? "(loaded without error)" : buf_cstr(&got));
		show(notes, "want", want);
	}
	buf_release(&got);
	diag_release(&d);
	arena_release(&a);
	free(want);
	free(text);
	return pass;
}

int selftest_yaml(const char *dir)
{
	DIR *dh = opendir(dir);
	if (!dh) {
		printf("not ok 1 - cannot open %s\n0 passed, 1 failed\n", dir);
		return 1;
	}
	VEC(char *) names = {0};
	struct dirent *de;
	while ((de = readdir(dh))) {
		size_t n = strlen(de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".yml") == 0)
			vec_push(&names, xmemdup0(de->d_name, n - 4));
	}
	closedir(dh);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	size_t dlen;
	char *disabled = read_opt(dir, "DISABLED", "", &dlen);
	int passed = 0, failed = 0, skipped = 0, num = 0;
	struct buf reason = BUF_INIT, notes = BUF_INIT;
	for (size_t i = 0; i < names.n; i++) {
		const char *why = disabled_reason(disabled, names.v[i], &reason);
		num++;
		if (why && exists(dir, names.v[i], ".json")) {
			printf("ok %d - %s # SKIP %s\n", num, names.v[i], why);
			skipped++;
			continue;
		}
		buf_reset(&notes);
		bool ok = run_case(dir, names.v[i], &notes);
		printf("%s %d - %s\n%s", ok ? "ok" : "not ok", num, names.v[i], buf_cstr(&notes));
		if (ok)
			passed++;
		else
			failed++;
	}
	if (skipped)
		printf("# %d skipped (DISABLED)\n", skipped);
	printf("%d passed, %d failed\n", passed, failed);
	for (size_t i = 0; i < names.n; i++)
		free(names.v[i]);
	vec_free(&names);
	buf_release(&reason);
	buf_release(&notes);
	free(disabled);
	return failed ? 1 : 0;
}
