/* silt selftest json DIR: runs the *.case files of a directory (format in tests/json/README.md).
 * Each case's `--- json` is read with json_parse and written with json_write under `--- opts`;
 * the result must equal `--- output` byte for byte, or the error must equal `--- error`. */
#include <dirent.h>

#include "cli.h"
#include "json/json.h"

struct section {
	const char *name;
	struct str text;
	bool present;
};

enum { S_INPUT, S_OPTS, S_JSON, S_OUTPUT, S_ERROR, S_DIVERGES, S_NOTE, S_COUNT };
static const char *const section_names[S_COUNT] = {"input", "opts",     "json", "output",
                                                   "error", "diverges", "note"};

/* Splits text into sections; returns NULL or a message naming what is wrong. */
static const char *split_sections(struct str text, struct section *s)
{
	const char *p = text.p, *end = text.p + text.n;
	int cur = -1;
	const char *body = NULL;
	for (int k = 0; k < S_COUNT; k++)
		s[k] = (struct section){section_names[k], {"", 0}, false};
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct str line = str_make(p, (size_t)(eol - p));
		if (str_starts_with(line, STR("--- "))) {
			if (cur >= 0) {
				/* the newline ending the section's last line is not part of it */
				size_t n = (size_t)(p - body);
				s[cur].text = str_make(body, n ? n - 1 : 0);
			}
			struct str name = str_trim(str_make(line.p + 4, line.n - 4));
			cur = -1;
			for (int k = 0; k < S_COUNT; k++)
				if (str_eqc(name, section_names[k]))
					cur = k;
			if (cur < 0)
				return "unknown section";
			if (s[cur].present)
				return "repeated section";
			s[cur].present = true;
			body = nl ? nl + 1 : end;
		} else if (cur < 0 && str_trim(line).n) {
			return "text before the first section";
		}
		p = nl ? nl + 1 : end;
	}
	if (cur >= 0) {
		size_t n = (size_t)(end - body);
		if (n && body[n - 1] == '\n')
			n--;
		s[cur].text = str_make(body, n);
	}
	return NULL;
}

static bool opt_bool(value v, bool *out)
{
	if (v.type != VT_BOOL)
		return false;
	*out = v.b;
	return true;
}

/* Reads the json.dumps keyword arguments of `--- opts`. */
static const char *read_opts(struct arena *a, struct str text, struct json_opts *o)
{
	struct diag d;
	diag_init(&d);
	value v;
	int rc = json_parse(a, "opts", text.p, text.n, &v, &d);
	diag_release(&d);
	if (rc || v.type != VT_DICT)
		return "opts is not a JSON object";
	for (uint32_t i = 0; i < v.dict->n; i++) {
		const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
		struct str k = v_as_str(e->k);
		bool good;
		if (str_eqc(k, "indent")) {
			good = e->v.type == VT_NONE || e->v.type == VT_INT || e->v.type == VT_STR;
			/* Python: a negative indent still breaks lines, like 0; ours would be None
			 */
			o->indent = e->v.type != VT_INT ? -1 : e->v.i < 0 ? 0 : (int)e->v.i;
			o->indent_str = e->v.type == VT_STR ? e->v.s : NULL;
		} else if (str_eqc(k, "sort_keys")) {
			good = opt_bool(e->v, &o->sort_keys);
		} else if (str_eqc(k, "ensure_ascii")) {
			good = opt_bool(e->v, &o->ensure_ascii);
		} else if (str_eqc(k, "allow_nan")) {
			good = opt_bool(e->v, &o->allow_nan);
		} else if (str_eqc(k, "skipkeys")) {
			good = opt_bool(e->v, &o->skipkeys);
		} else if (str_eqc(k, "html_safe")) {
			good = opt_bool(e->v, &o->html_safe);
		} else if (str_eqc(k, "separators")) {
			value s = e->v;
			good = s.type == VT_LIST && s.list->n == 2 && v_is_str(s.list->v[0]) &&
			       v_is_str(s.list->v[1]);
			if (good) {
				o->item_sep = s.list->v[0].s; /* arena strings are NUL-terminated */
				o->key_sep = s.list->v[1].s;
			}
		} else {
			return "unknown option in opts";
		}
		if (!good)
			return "bad value in opts";
	}
	return NULL;
}

/* "#   label:" and the text, one "#     |line|" per line, for after the "not ok" line. */
static void diag_lines(struct buf *notes, const char *label, struct str text)
{
	buf_printf(notes, "#   %s:\n", label);
	const char *p = text.p, *end = text.p + text.n;
	do {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		buf_printf(notes, "#     |%.*s|\n", (int)(eol - p), p);
		p = nl ? nl + 1 : end;
	} while (p < end);
}

/* Runs one case; returns NULL on success or why it failed (details appended to notes). */
static const char *run_case(struct str text, struct buf *got, struct buf *notes)
{
	struct section s[S_COUNT];
	const char *why = split_sections(text, s);
	if (why)
		return why;
	if (!s[S_JSON].present)
		return "no --- json section";
	if (s[S_OUTPUT].present == s[S_ERROR].present)
		return "needs exactly one of --- output and --- error";
	struct arena a;
	arena_init(&a);
	struct json_opts o = JSON_OPTS_INIT;
	struct buf err = BUF_INIT;
	struct diag d;
	diag_init(&d);
	value v;
	o.err = &err;
	why = s[S_OPTS].present ? read_opts(&a, s[S_OPTS].text, &o) : NULL;
	if (!why && json_parse(&a, "json", s[S_JSON].text.p, s[S_JSON].text.n, &v, &d) == 0) {
		if (json_write(got, v, &o) != 0)
			buf_putstr(got, buf_str(&err));
		else if (s[S_ERROR].present)
			why = "wrote output where an error was expected";
	} else if (!why) {
		if (d.msgs.n)
			diag_format_msg(&d.msgs.v[0], got);
		if (!s[S_ERROR].present)
			why = "json_parse failed";
	}
	struct str want = s[S_OUTPUT].present ? s[S_OUTPUT].text : s[S_ERROR].text;
	if (!why && !str_eq(buf_str(got), want))
		why = s[S_OUTPUT].present ? "output differs" : "error differs";
	if (why && strcmp(why, "unknown option in opts") && strcmp(why, "bad value in opts")) {
		diag_lines(notes, "got", buf_str(got));
		diag_lines(notes, "want", want);
	}
	diag_release(&d);
	buf_release(&err);
	arena_release(&a);
	return why;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int selftest_json(const char *dir)
{
	DIR *dh = opendir(dir);
	if (!dh) {
		printf("not ok 1 - cannot open %s\n0 passed, 1 failed\n", dir);
		return 1;
	}
	VEC(char *) names = {0};
	for (struct dirent *de; (de = readdir(dh));) {
		struct str n = str_from(de->d_name);
		if (str_ends_with(n, STR(".case")) && n.p[0] != '.')
			vec_push(&names, xstrdup(de->d_name));
	}
	closedir(dh);
	qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	int passed = 0, failed = 0;
	struct buf path = BUF_INIT, got = BUF_INIT, notes = BUF_INIT;
	for (size_t i = 0; i < names.n; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, names.v[i]);
		size_t len;
		char *text = cli_read_file(buf_cstr(&path), &len);
		const char *why = "cannot read the file";
		buf_reset(&got);
		buf_reset(&notes);
		if (text)
			why = run_case(str_make(text, len), &got, &notes);
		free(text);
		int n = (int)strlen(names.v[i]) - 5;
		if (why) {
			printf("not ok %zu - %.*s: %s\n%s", i + 1, n, names.v[i], why,
			       buf_cstr(&notes));
			failed++;
		} else {
			printf("ok %zu - %.*s\n", i + 1, n, names.v[i]);
			passed++;
		}
		free(names.v[i]);
	}
	vec_free(&names);
	buf_release(&path);
	buf_release(&got);
	buf_release(&notes);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
