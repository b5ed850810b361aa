/* silt selftest csv DIR: runs the *.case files of a directory (format in tests/csv/README.md).
 * Each case's `--- csv` is read with csv_read under `--- opts`; the table, written as the
 * oracle writes it, must equal `--- expect` byte for byte, or the error must equal `--- error`. */
#include "cli.h"
#include "casefile.h"
#include "csv/csv.h"
#include "json/json.h"
#include "value/datetime.h"

static void put_json_str(struct buf *out, struct str s)
{
	struct json_opts o = JSON_OPTS_INIT;
	o.ensure_ascii = false;
	json_write(out, v_strs(s), &o);
}

/* The oracle's layout: one key per line, one row per line. */
static void write_table(const struct csv_table *t, struct buf *out)
{
	buf_puts(out, "{\"columns\": [");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			buf_puts(out, ", ");
		put_json_str(out, t->names[i]);
	}
	buf_puts(out, "],\n \"types\": [");
	for (size_t i = 0; i < t->ncols; i++)
		buf_printf(out, "%s\"%s\"", i ? ", " : "", csv_type_name(t->types[i]));
	buf_puts(out, "],\n \"places\": [");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			buf_puts(out, ", ");
		if (t->types[i] == CSV_NUMBER)
			buf_printf(out, "%d", t->places[i]);
		else
			buf_puts(out, "null");
	}
	buf_puts(out, "],\n \"lines\": [");
	for (size_t r = 0; r < t->nrows; r++)
		buf_printf(out, "%s%d", r ? ", " : "", t->lines[r]);
	buf_puts(out, "],\n \"rows\": [");
	for (size_t r = 0; r < t->nrows; r++) {
		buf_puts(out, r ? ",\n  [" : "\n  [");
		for (size_t i = 0; i < t->ncols; i++) {
			value v = t->cells[r * t->ncols + i];
			if (i)
				buf_puts(out, ", ");
			if (v.type == VT_NONE) {
				buf_puts(out, "null");
			} else if (v.type == VT_BOOL) {
				buf_puts(out, v.b ? "true" : "false");
			} else if (t->types[i] == CSV_NUMBER) {
				buf_putstr(out, t->decimals[r * t->ncols + i]);
			} else if (v.type == VT_STR) {
				put_json_str(out, v_as_str(v));
			} else {
				struct buf s = BUF_INIT;
				datetime_str(v_as_datetime(v), &s);
				put_json_str(out, buf_str(&s));
				buf_release(&s);
			}
		}
		buf_putc(out, ']');
	}
	buf_puts(out, t->nrows ? "\n ]}" : "]}");
}

/* A Number cell's value must agree with its decimal text. */
static const char *check_numbers(const struct csv_table *t)
{
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			value v = t->cells[r * t->ncols + i];
			if (t->types[i] != CSV_NUMBER || v.type == VT_NONE)
				continue;
			struct str s = t->decimals[r * t->ncols + i];
			char *z = xmemdup0(s.p, s.n);
			double f = strtod(z, NULL);
			free(z);
			if (v.type == VT_INT ? (double)v.i != f
			                     : v.type != VT_FLOAT || (f == f && v.f != f))
				return "a Number value disagrees with its decimal text";
		}
	return NULL;
}

/* `--- opts` with "escaped": true: \\ \n \r \t \0 \xHH in the csv text. */
static char *unescape(struct str s, size_t *len)
{
	char *o = xmalloc(s.n + 1);
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c == '\\' && i + 1 < s.n) {
			char e = s.p[++i];
			if (e == 'n')
				c = '\n';
			else if (e == 'r')
				c = '\r';
			else if (e == 't')
				c = '\t';
			else if (e == '0')
				c = 0;
			else if (e == 'x' && i + 2 < s.n) {
				char h[3] = {s.p[i + 1], s.p[i + 2], 0};
				c = (char)strtol(h, NULL, 16);
				i += 2;
			} else
				c = e;
		}
		o[n++] = c;
	}
	*len = n;
	return o;
}

static const char *run_case(const char *path, struct buf *got, struct str *want)
{
	struct casefile cf;
	if (casefile_load(&cf, path) < 0)
		return "cannot read the file";
	const struct case_section *csv = casefile_get(&cf, "csv"),
	                          *opts = casefile_get(&cf, "opts"),
	                          *expect = casefile_get(&cf, "expect"),
	                          *error = casefile_get(&cf, "error");
	const char *why = NULL;
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	struct csv_opts o = {0};
	const char *file = "seeds/x.csv";
	bool escaped = false;
	VEC(struct str) cols = {0};
	if (!csv)
		why = "no --- csv section";
	else if (!expect == !error)
		why = "needs exactly one of --- expect and --- error";
	if (!why && opts) {
		value v;
		if (json_parse(&a, "opts", opts->body.p, opts->body.n, &v, &d) ||
		    v.type != VT_DICT) {
			why = "opts is not a JSON object";
		} else {
			value x;
			if (vdict_gets(v.dict, STR("delimiter"), &x) && v_is_str(x))
				o.delimiter = x.s;
			if (vdict_gets(v.dict, STR("file"), &x) && v_is_str(x))
				file = x.s;
			if (vdict_gets(v.dict, STR("escaped"), &x) && x.type == VT_BOOL)
				escaped = x.b;
			if (vdict_gets(v.dict, STR("column_types"), &x) && x.type == VT_DICT)
				for (uint32_t i = 0; i < x.dict->n; i++)
					if (x.dict->k[i].type == VT_STR)
						vec_push(&cols, v_as_str(x.dict->k[i]));
			o.text_columns = cols.v;
			o.n_text_columns = cols.n;
		}
	}
	if (!why) {
		size_t len = csv->body.n;
		char *text = escaped ? unescape(csv->body, &len) : xmemdup0(csv->body.p, len);
		struct csv_table *t;
		if (csv_read(&a, file, text, len, &o, &t, &d) == 0) {
			write_table(t, got);
			why = check_numbers(t);
		} else if (d.msgs.n) {
			diag_format_msg(&d.msgs.v[0], got);
		} else {
			why = "csv_read failed without a message";
		}
		free(text);
		const struct case_section *w = expect ? expect : error;
		*want = str_make(xmemdup0(w->body.p, w->body.n), w->body.n);
		if (!why && !str_eq(buf_str(got), *want))
			why = expect ? "table differs" : "error differs";
	}
	vec_free(&cols);
	diag_release(&d);
	arena_release(&a);
	casefile_release(&cf);
	return why;
}

static void show(const char *label, struct str s)
{
	printf("#   %s:\n", label);
	const char *p = s.p, *end = s.p + s.n;
	do {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		printf("#     |%.*s|\n", (int)(eol - p), p);
		p = nl ? nl + 1 : end;
	} while (p < end);
}

int selftest_csv(const char *dir)
{
	size_t n;
	char **files = list_files(dir, ".case", &n);
	char **disabled = load_disabled(dir);
	int passed = 0, failed = 0, num = 0;
	size_t dl = strlen(dir);
	for (size_t i = 0; i < n; i++) {
		const char *rel = files[i] + (strncmp(files[i], dir, dl) == 0 ? dl + 1 : 0);
		if (is_disabled(disabled, rel)) {
			printf("ok %d - %s # SKIP disabled\n", ++num, rel);
			continue;
		}
		struct buf got = BUF_INIT;
		struct str want = {NULL, 0};
		const char *why = run_case(files[i], &got, &want);
		if (why) {
			printf("not ok %d - %s: %s\n", ++num, rel, why);
			if (want.p) {
				show("got", buf_str(&got));
				show("want", want);
			}
			failed++;
		} else {
			printf("ok %d - %s\n", ++num, rel);
			passed++;
		}
		free((char *)want.p);
		buf_release(&got);
	}
	if (n == 0) {
		printf("not ok 1 - no .case files in %s\n", dir);
		failed++;
	}
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free_strv(disabled);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
