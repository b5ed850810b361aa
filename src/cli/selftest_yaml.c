/* silt selftest yaml DIR: each DIR/NAME.yml is loaded and compared with DIR/NAME.json (the value
 * as json.dumps(data, default=str, ensure_ascii=False) prints PyYAML's result) or with
 * DIR/NAME.error (silt's exact message, "NAME.yml:LINE:COL: message"). Cases named in
 * DIR/DISABLED ("NAME  reason" per line) are skipped: there silt knowingly differs from PyYAML. */
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>

#include "cli.h"
#include "value/value.h"
#include "yaml/yaml.h"

/* ---- json.dumps(v, default=str, ensure_ascii=False), enough for YAML data ---- */

static void json_str(struct buf *out, const char *s, size_t n)
{
	buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			buf_puts(out, "\\\"");
			break;
		case '\\':
			buf_puts(out, "\\\\");
			break;
		case '\n':
			buf_puts(out, "\\n");
			break;
		case '\r':
			buf_puts(out, "\\r");
			break;
		case '\t':
			buf_puts(out, "\\t");
			break;
		case '\b':
			buf_puts(out, "\\b");
			break;
		case '\f':
			buf_puts(out, "\\f");
			break;
		default:
			if (c < 0x20)
				buf_printf(out, "\\u%04x", c);
			else
				buf_putc(out, (char)c);
		}
	}
	buf_putc(out, '"');
}

static void json_float(struct buf *out, double f)
{
	char num[32];
	if (f != f)
		buf_puts(out, "NaN");
	else if (f == INFINITY)
		buf_puts(out, "Infinity");
	else if (f == -INFINITY)
		buf_puts(out, "-Infinity");
	else
		buf_append(out, num, (size_t)fmt_double(f, num));
}

static int json_dump(struct buf *out, value v)
{
	switch (v.type) {
	case VT_NONE:
		buf_puts(out, "null");
		return 0;
	case VT_BOOL:
		buf_puts(out, v.b ? "true" : "false");
		return 0;
	case VT_INT:
		buf_printf(out, "%lld", (long long)v.i);
		return 0;
	case VT_FLOAT:
		json_float(out, v.f);
		return 0;
	case VT_STR:
		json_str(out, v.s, v.len);
		return 0;
	case VT_LIST:
		buf_putc(out, '[');
		for (uint32_t i = 0; i < v.list->n; i++) {
			if (i)
				buf_puts(out, ", ");
			if (json_dump(out, v.list->v[i]))
				return -1;
		}
		buf_putc(out, ']');
		return 0;
	case VT_DICT: {
		buf_putc(out, '{');
		bool first = true;
		for (uint32_t i = 0; i < v.dict->n; i++) {
			const struct ventry *e = &v.dict->e[i];
			if (e->k.type == VT_UNDEF)
				continue;
			if (!first)
				buf_puts(out, ", ");
			first = false;
			struct buf k = BUF_INIT;
			switch (e->k.type) {
			case VT_STR:
				buf_append(&k, e->k.s, e->k.len);
				break;
			case VT_NONE:
				buf_puts(&k, "null");
				break;
			case VT_BOOL:
				buf_puts(&k, e->k.b ? "true" : "false");
				break;
			case VT_INT:
				buf_printf(&k, "%lld", (long long)e->k.i);
				break;
			case VT_FLOAT:
				json_float(&k, e->k.f);
				break;
			default:
				buf_release(&k);
				buf_printf(out, "<keys must be str, int, float, bool or None, not %s>",
				           v_type_name(e->k));
				return -1;
			}
			json_str(out, buf_cstr(&k), k.n);
			buf_release(&k);
			buf_puts(out, ": ");
			if (json_dump(out, e->v))
				return -1;
		}
		buf_putc(out, '}');
		return 0;
	}
	default: { /* default=str */
		struct buf s = BUF_INIT;
		v_to_str(v, &s);
		json_str(out, buf_cstr(&s), s.n);
		buf_release(&s);
		return 0;
	}
	}
}

/* ---- the suite ---- */

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
		if (len > nl && p[0] != '#' && memcmp(p, name, nl) == 0 && (p[nl] == ' ' || p[nl] == '\t')) {
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
		if (json_dump(&got, v) != 0)
			buf_puts(&got, " (not JSON serializable)");
	} else if (d.msgs.n) {
		diag_format_msg(&d.msgs.v[0], &got);
	}
	bool pass = (rc != 0) == expect_error && strcmp(buf_cstr(&got), want) == 0;
	if (!pass) {
		show(notes, "got", rc == 0 && expect_error ? "(loaded without error)" : buf_cstr(&got));
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
	VEC(char *) names = { 0 };
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
		if (why) {
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
