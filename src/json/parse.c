/* Reading JSON: jansson parses, then its tree is copied into values in the caller's arena.
 *
 * jansson knows neither Python's NaN/Infinity/-Infinity nor reals that overflow to inf. When a
 * first parse fails, the text is scanned once: every such token standing where a value may stand
 * is replaced by a marker string ("\u0000N", "\u0000I", "\u0000-"), every string literal that
 * begins with \u0000 gets one more \u0000 in front (so no real string can look like a marker),
 * and the rewritten text is parsed again. Error positions are mapped back to the original text.
 * Documents without those tokens pay for nothing. */
#include <jansson.h>
#include <math.h>

#include "json.h"

/* One change made by the rewrite: bytes [orig, orig+olen) became [at, at+nlen). */
struct edit {
	size_t orig, olen, at, nlen;
};
struct rewrite {
	struct buf text;
	VEC(struct edit) edits;
};

static const char MARK_NAN[] = "\"\\u0000N\"", MARK_INF[] = "\"\\u0000I\"",
                  MARK_NINF[] = "\"\\u0000-\"";

static void rw_replace(struct rewrite *rw, size_t orig, size_t olen, const char *with, size_t n)
{
	struct edit e = {orig, olen, rw->text.n, n};
	vec_push(&rw->edits, e);
	buf_append(&rw->text, with, n);
}

/* Length of the JSON number at s (RFC 8259 grammar), or 0 if s does not start with one;
 * *real tells whether it has a fraction or an exponent. */
static size_t number_len(const char *s, size_t n, bool *real)
{
	size_t p = 0;
	*real = false;
	if (p < n && s[p] == '-')
		p++;
	if (p < n && s[p] == '0') {
		p++;
	} else if (p < n && s[p] >= '1' && s[p] <= '9') {
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	} else {
		return 0;
	}
	if (p < n && s[p] == '.') {
		size_t q = ++p;
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
		if (p == q)
			return 0;
		*real = true;
	}
	if (p < n && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < n && (s[p] == '+' || s[p] == '-'))
			p++;
		size_t q = p;
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
		if (p == q)
			return 0;
		*real = true;
	}
	return p;
}

static bool starts(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(s, lit, l) == 0;
}

/* Rewrites Python's extensions as described at the top; returns false if there were none. This
 * does not validate: whatever is not an extension is copied for jansson to judge. */
static bool rewrite_extensions(const char *s, size_t n, struct rewrite *rw)
{
	VEC(char) stack = {0};
	bool expect_key = false;
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == '"') {
			size_t j = i + 1;
			while (j < n && s[j] != '"')
				j += s[j] == '\\' ? 2 : 1;
			j = j < n ? j + 1 : n;
			if (starts(s + i, j - i, "\"\\u0000")) {
				buf_putc(&rw->text, '"');
				rw_replace(rw, i + 1, 0, "\\u0000", 6);
				buf_append(&rw->text, s + i + 1, j - i - 1);
			} else {
				buf_append(&rw->text, s + i, j - i);
			}
			expect_key = false;
			i = j;
			continue;
		}
		if (c == '{' || c == '[') {
			vec_push(&stack, c);
			expect_key = c == '{';
		} else if (c == '}' || c == ']') {
			if (stack.n)
				stack.n--;
			expect_key = false;
		} else if (c == ',') {
			expect_key = stack.n && stack.v[stack.n - 1] == '{';
		} else if (c == ':') {
			expect_key = false;
		} else if (!expect_key) {
			const char *mark = NULL;
			size_t len = 0;
			bool real;
			if (starts(s + i, n - i, "NaN")) {
				mark = MARK_NAN;
				len = 3;
			} else if (starts(s + i, n - i, "Infinity")) {
				mark = MARK_INF;
				len = 8;
			} else if (starts(s + i, n - i, "-Infinity")) {
				mark = MARK_NINF;
				len = 9;
			} else if (c == '-' || (c >= '0' && c <= '9')) {
				len = number_len(s + i, n - i, &real);
				if (len && real) {
					char *num = xmemdup0(s + i, len);
					double f = strtod(num, NULL);
					free(num);
					if (isinf(f))
						mark = f < 0 ? MARK_NINF : MARK_INF;
				}
				if (!mark) {
					len = len ? len : 1;
					buf_append(&rw->text, s + i, len);
					i += len;
					continue;
				}
			}
			if (mark) {
				rw_replace(rw, i, len, mark, strlen(mark));
				i += len;
				continue;
			}
		}
		buf_putc(&rw->text, c);
		i++;
	}
	vec_free(&stack);
	return rw->edits.n > 0;
}

/* Offset in the original text of offset p of the rewritten text. */
static size_t map_back(const struct rewrite *rw, size_t p)
{
	size_t orig = p;
	for (size_t k = 0; k < rw->edits.n; k++) {
		const struct edit *e = &rw->edits.v[k];
		if (p < e->at)
			break;
		if (p < e->at + e->nlen)
			return e->orig + (p - e->at < e->olen ? p - e->at : e->olen);
		orig = p - (e->at + e->nlen) + (e->orig + e->olen);
	}
	return orig;
}

/* jansson's message with the markers turned back into what the user wrote. */
static void unmark_message(const char *msg, struct buf *out)
{
	static const struct {
		const char *mark, *text;
	} subst[] = {
	    {MARK_NAN, "NaN"},
	    {MARK_INF, "Infinity"},
	    {MARK_NINF, "-Infinity"},
	    {"\"\\u0000\\u0000", "\"\\u0000"},
	};
	for (const char *p = msg; *p;) {
		size_t k;
		for (k = 0; k < ARRAY_LEN(subst); k++)
			if (starts(p, strlen(p), subst[k].mark))
				break;
		if (k < ARRAY_LEN(subst)) {
			buf_puts(out, subst[k].text);
			p += strlen(subst[k].mark);
		} else {
			buf_putc(out, *p++);
		}
	}
}

/* Adds jansson's error to d, at the first byte of the token it names ("... near 'TOKEN'"), which
 * ends at e->position in the text jansson read. */
static void report(const char *file, const char *text, size_t len, const char *parsed, size_t plen,
                   const json_error_t *e, const struct rewrite *rw, struct diag *d)
{
	size_t pos = e->position > 0 ? (size_t)e->position : 0;
	if (pos > plen)
		pos = plen;
	size_t start = pos;
	const char *near = strstr(e->text, " near '");
	size_t tl = strlen(e->text);
	if (near && tl > 0 && e->text[tl - 1] == '\'') {
		const char *tok = near + 7;
		size_t n = (size_t)(e->text + tl - 1 - tok);
		if (n && n <= pos && memcmp(parsed + pos - n, tok, n) == 0)
			start = pos - n;
	}
	struct buf msg = BUF_INIT;
	if (rw) {
		start = map_back(rw, start);
		unmark_message(e->text, &msg);
	} else {
		buf_puts(&msg, e->text);
	}
	if (start > len)
		start = len;
	int line, col;
	text_position(text, start, &line, &col);
	/* an excerpt of a long minified line would not show the place */
	bool excerpt = col <= 160;
	diag_add(d, DIAG_ERROR, file, line, col, excerpt ? text : NULL, excerpt ? len : 0, "%s",
	         buf_cstr(&msg));
	buf_release(&msg);
}

struct conv {
	struct arena *a;
	bool marked; /* the text was rewritten: strings may be markers */
	const char *file;
	struct diag *d;
};

static int too_big(struct conv *c, const char *what, size_t n)
{
	diag_add(c->d, DIAG_ERROR, c->file, 0, 0, NULL, 0, "%s of %zu elements is too big", what,
	         n);
	return -1;
}

static int convert(struct conv *c, json_t *j, value *out)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(j);
		if (n >= UINT32_MAX)
			return too_big(c, "an object", n);
		value dict = v_dict(c->a, (uint32_t)n);
		for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
			value v;
			if (convert(c, json_object_iter_value(it), &v))
				return -1;
			vdict_set(
			    dict.dict,
			    v_strdup(c->a, json_object_iter_key(it), json_object_iter_key_len(it)),
			    v);
		}
		*out = dict;
		return 0;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		if (n >= UINT32_MAX)
			return too_big(c, "an array", n);
		value list = v_list(c->a, (uint32_t)n);
		for (size_t i = 0; i < n; i++)
			if (convert(c, json_array_get(j, i), &list.list->v[i]))
				return -1;
		list.list->n = (uint32_t)n;
		*out = list;
		return 0;
	}
	case JSON_STRING: {
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		if (c->marked && n >= 2 && s[0] == 0) {
			if (s[1] == 0) {
				s++;
				n--;
			} else if (n == 2) {
				*out = v_float(s[1] == 'N'   ? NAN
				               : s[1] == 'I' ? INFINITY
				                             : -INFINITY);
				return 0;
			}
		}
		if (n >= UINT32_MAX)
			return too_big(c, "a string", n);
		*out = v_strdup(c->a, s, n);
		return 0;
	}
	case JSON_INTEGER:
		*out = v_int((int64_t)json_integer_value(j));
		return 0;
	case JSON_REAL:
		*out = v_float(json_real_value(j));
		return 0;
	case JSON_TRUE:
		*out = v_bool(true);
		return 0;
	case JSON_FALSE:
		*out = v_bool(false);
		return 0;
	case JSON_NULL:
		*out = v_none();
		return 0;
	}
	*out = v_none();
	return 0;
}

int json_parse(struct arena *a, const char *file, const char *text, size_t len, value *out,
               struct diag *d)
{
	const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
	json_error_t e;
	struct rewrite rw = {BUF_INIT, {0}};
	bool marked = false;
	*out = v_none();
	if (!text) {
		text = "";
		len = 0;
	}
	json_t *j = json_loadb(text, len, flags, &e);
	if (!j) {
		if (!rewrite_extensions(text, len, &rw)) {
			report(file, text, len, text, len, &e, NULL, d);
			buf_release(&rw.text);
			vec_free(&rw.edits);
			return -1;
		}
		j = json_loadb(rw.text.p, rw.text.n, flags, &e);
		if (!j) {
			report(file, text, len, rw.text.p, rw.text.n, &e, &rw, d);
			buf_release(&rw.text);
			vec_free(&rw.edits);
			return -1;
		}
		marked = true;
	}
	buf_release(&rw.text);
	vec_free(&rw.edits);
	struct conv c = {a, marked, file, d};
	int rc = convert(&c, j, out);
	json_decref(j);
	return rc;
}
