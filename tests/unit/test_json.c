/* Unit tests for json/: what the data cases in tests/json cannot express -- parser errors and
 * their positions, int64 edges, non-string keys, invalid UTF-8, unserialisable values, the
 * default hook, cycles and limits. Expected JSON text was produced by /usr/bin/python3 (3.11). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "json/json.h"
#include "tap.h"

void test_json(void);

static struct arena A;

/* Parses text; on error returns the first message as "file:line:col: msg". */
static const char *parse(const char *text, value *out)
{
	struct diag d;
	diag_init(&d);
	int rc = json_parse(&A, "t.json", text, strlen(text), out, &d);
	const char *res = NULL;
	if (rc) {
		struct buf b = BUF_INIT;
		if (d.msgs.n)
			diag_format_msg(&d.msgs.v[0], &b);
		else
			buf_puts(&b, "(no message)");
		res = arena_strndup(&A, buf_cstr(&b), b.n);
		buf_release(&b);
	}
	diag_release(&d);
	return res;
}

/* json_write into a fresh buf: the text, or "ERROR: message". */
static const char *dump(value v, const struct json_opts *opts)
{
	struct json_opts o = JSON_OPTS_INIT;
	if (opts)
		o = *opts;
	struct buf out = BUF_INIT, err = BUF_INIT;
	o.err = &err;
	const char *res;
	if (json_write(&out, v, &o) == 0) {
		res = arena_strndup(&A, buf_cstr(&out), out.n);
	} else {
		ok(out.n == 0, "a failed json_write leaves nothing behind");
		res = arena_printf(&A, "ERROR: %s", buf_cstr(&err));
	}
	buf_release(&out);
	buf_release(&err);
	return res;
}

static const char *roundtrip(const char *text, const struct json_opts *o)
{
	value v;
	const char *e = parse(text, &v);
	return e ? e : dump(v, o);
}

static void test_parse_values(void)
{
	value v;
	ok(!parse("{\"z\": 1, \"a\": 2, \"m\": 3, \"a\": 4}", &v) && v.type == VT_DICT,
	   "object parses");
	is_int(v.dict->live, 3, "a repeated key counts once");
	is_str(dump(v, NULL), "{\"z\": 1, \"a\": 4, \"m\": 3}",
	       "document order; a repeated key keeps its first place and its last value");

	ok(!parse("[9223372036854775807, -9223372036854775808, 0, -0, 1.0, -0.0, 1e2]", &v),
	   "numbers");
	ok(v.list->v[0].type == VT_INT && v.list->v[0].i == INT64_MAX, "int64 max is exact");
	ok(v.list->v[1].type == VT_INT && v.list->v[1].i == INT64_MIN, "int64 min is exact");
	ok(v.list->v[3].type == VT_INT && v.list->v[3].i == 0, "-0 is the int 0");
	ok(v.list->v[4].type == VT_FLOAT && v.list->v[4].f == 1.0, "1.0 is a float");
	ok(v.list->v[5].type == VT_FLOAT && signbit(v.list->v[5].f), "-0.0 keeps its sign");
	ok(v.list->v[6].type == VT_FLOAT && v.list->v[6].f == 100.0, "1e2 is a float");
	ok(!parse("9007199254740993", &v) && v.i == 9007199254740993LL, "2**53 + 1 stays exact");

	ok(!parse("[NaN, Infinity, -Infinity, 1e400, -1e400, 1e-400]", &v), "Python's extensions");
	ok(isnan(v.list->v[0].f) && v.list->v[1].f == INFINITY && v.list->v[2].f == -INFINITY &&
	       v.list->v[3].f == INFINITY && v.list->v[4].f == -INFINITY && v.list->v[5].f == 0.0,
	   "NaN, Infinity, -Infinity; overflow to inf; underflow to 0");
	ok(!parse("{\"NaN\": \"NaN\", \"x\": [\"\\u0000N\", NaN, \"\\u0000\"]}", &v), "markers");
	value l;
	ok(vdict_gets(v.dict, STR("x"), &l) && l.list->n == 3 && l.list->v[0].len == 2 &&
	       memcmp(l.list->v[0].s, "\0N", 2) == 0 && isnan(l.list->v[1].f) &&
	       l.list->v[2].len == 1 && l.list->v[2].s[0] == 0,
	   "strings that start with NUL survive next to NaN");
	value s;
	ok(vdict_gets(v.dict, STR("NaN"), &s) && v_is_str(s) && str_eqc(v_as_str(s), "NaN"),
	   "the string \"NaN\" is a string");

	ok(!parse("\"a\\u0000b\\ud83d\\ude00\"", &v) && v.len == 7 &&
	       memcmp(v.s, "a\0b\xf0\x9f\x98\x80", 7) == 0,
	   "escapes: NUL and a surrogate pair");
	ok(!parse(" true ", &v) && v.type == VT_BOOL && v.b, "top-level true with whitespace");
	ok(!parse("null", &v) && v.type == VT_NONE, "top-level null");

	char text[] = "{\"key\": \"value\"}";
	ok(!parse(text, &v), "parse a buffer");
	memset(text, 'x', sizeof(text) - 1);
	ok(vdict_gets(v.dict, STR("key"), &s) && str_eqc(v_as_str(s), "value"),
	   "the result does not point into the text");

	/* nesting: jansson allows 2048 levels, and json_write writes whatever json_parse read */
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 2048; i++)
		buf_putc(&deep, '[');
	for (int i = 0; i < 2048; i++)
		buf_putc(&deep, ']');
	ok(!parse(buf_cstr(&deep), &v), "2048 nested arrays parse");
	struct buf out = BUF_INIT;
	ok(json_write(&out, v, NULL) == 0 && str_eq(buf_str(&out), buf_str(&deep)),
	   "and are written back");
	buf_release(&out);
	buf_reset(&deep);
	for (int i = 0; i < 2049; i++)
		buf_putc(&deep, '[');
	ok(parse(buf_cstr(&deep), &v) != NULL, "2049 nested arrays are an error");
	buf_release(&deep);
}

static void test_parse_errors(void)
{
	value v;
	is_str(parse("[1, 2,]", &v), "t.json:1:7: unexpected token near ']'", "trailing comma");
	is_str(parse("{\n  \"a\": 1,\n  \"b\": tru\n}", &v), "t.json:3:8: invalid token near 'tru'",
	       "line and column of the offending token");
	is_str(parse("[1,\n 9223372036854775808]", &v),
	       "t.json:2:2: too big integer near '9223372036854775808'", "int64 overflow");
	is_str(parse("-9223372036854775809", &v),
	       "t.json:1:1: too big negative integer near '-9223372036854775809'",
	       "int64 underflow");
	is_str(parse("{\"a\": NaN,\n \"b\": Infinity, \"c\": [1 2]}", &v),
	       "t.json:2:25: ']' expected near '2'",
	       "positions after NaN/Infinity map to the text");
	is_str(parse("[1 NaN]", &v), "t.json:1:4: ']' expected near 'NaN'",
	       "messages name NaN as written");
	is_str(parse("{NaN: 1}", &v), "t.json:1:2: string or '}' expected near 'NaN'",
	       "NaN is no key");
	is_str(parse("", &v), "t.json:1:1: unexpected token near end of file", "empty text");
	is_str(parse("{\"a\\u0000\": 1}", &v),
	       "t.json:1:2: NUL byte in object key not supported near '\"a\\u0000\"'",
	       "NUL in a key (Python allows it; jansson does not)");
	is_str(parse("[\"\\udc00\"]", &v),
	       "t.json:1:2: invalid Unicode '\\uDC00' near '\"\\udc00\"'",
	       "lone surrogate (Python allows it; UTF-8 cannot hold it)");
	is_str(parse("\"a\xff\"", &v), "t.json:1:1: unable to decode byte 0xff near '\"a'",
	       "invalid UTF-8 in the text");
	is_str(parse("[\"\xc3\xa9\", x]", &v), "t.json:1:8: invalid token near 'x'",
	       "columns count bytes");

	struct diag d;
	diag_init(&d);
	const char *text = "[\n  1,\n  2 3\n]";
	ok(json_parse(&A, NULL, text, strlen(text), &v, &d) == -1 && d.errors == 1, "one error");
	ok(d.msgs.n == 1 && d.msgs.v[0].line == 3 && d.msgs.v[0].col == 5 && !d.msgs.v[0].file,
	   "no file name: line 3, column 5");
	is_str(d.msgs.n ? d.msgs.v[0].excerpt : NULL, "3 |   2 3\n  |     ^",
	       "excerpt with a caret");
	diag_release(&d);
}

/* ---- writing ---- */

static void test_keys(void)
{
	value d = v_dict(&A, 0);
	vdict_set(d.dict, v_int(2), v_int(1));
	vdict_set(d.dict, v_int(10), v_int(2));
	vdict_set(d.dict, v_float(1.5), v_int(3));
	vdict_set(d.dict, v_bool(false), v_int(4));
	is_str(dump(d, NULL), "{\"2\": 1, \"10\": 2, \"1.5\": 3, \"false\": 4}", "non-string keys");
	struct json_opts sorted = JSON_OPTS_INIT;
	sorted.sort_keys = true;
	is_str(dump(d, &sorted), "{\"false\": 4, \"1.5\": 3, \"2\": 1, \"10\": 2}",
	       "sort_keys sorts numbers by value, before they become text");

	value k = v_dict(&A, 0);
	vdict_set(k.dict, v_int(1), v_cstr("a"));
	vdict_set(k.dict, v_int(-5), v_cstr("b"));
	vdict_set(k.dict, v_float(1.5), v_cstr("c"));
	vdict_set(k.dict, v_bool(true), v_cstr("d")); /* True == 1: replaces the value */
	vdict_set(k.dict, v_none(), v_cstr("e"));
	is_str(dump(k, NULL), "{\"1\": \"d\", \"-5\": \"b\", \"1.5\": \"c\", \"null\": \"e\"}",
	       "int, float, bool and None keys");

	value f = v_dict(&A, 0);
	vdict_set(f.dict, v_float(1e16), v_int(1));
	vdict_set(f.dict, v_float(-0.0), v_int(2));
	vdict_set(f.dict, v_float(1e-7), v_int(3));
	vdict_set(f.dict, v_float(NAN), v_int(4));
	vdict_set(f.dict, v_float(-INFINITY), v_int(5));
	is_str(dump(f, NULL),
	       "{\"1e+16\": 1, \"-0.0\": 2, \"1e-07\": 3, \"NaN\": 4, \"-Infinity\": 5}",
	       "float keys as repr, NaN and -Infinity");
	struct json_opts strict = JSON_OPTS_INIT;
	strict.allow_nan = false;
	is_str(dump(f, &strict), "ERROR: Out of range float values are not JSON compliant",
	       "a NaN key with allow_nan=False");

	value one = v_int(1);
	value t = v_dict(&A, 0);
	vdict_sets(t.dict, "a", v_int(1));
	vdict_set(t.dict, v_tuple(&A, 1, &one), v_int(2));
	vdict_sets(t.dict, "b", v_int(3));
	is_str(dump(t, NULL), "ERROR: keys must be str, int, float, bool or None, not tuple",
	       "a tuple key is an error");
	struct json_opts skip = JSON_OPTS_INIT;
	skip.skipkeys = true;
	is_str(dump(t, &skip), "{\"a\": 1, \"b\": 3}", "skipkeys skips it");
	skip.indent = 2;
	is_str(dump(t, &skip), "{\n  \"a\": 1,\n  \"b\": 3\n}", "skipkeys with indent");
	value only = v_dict(&A, 0);
	vdict_set(only.dict, v_tuple(&A, 1, &one), v_int(2));
	is_str(dump(only, &skip), "{\n  \n}",
	       "every key skipped, with indent (as Python's encoder)");
	skip.indent = -1;
	is_str(dump(only, &skip), "{}", "every key skipped, without indent");

	value mixed = v_dict(&A, 0);
	vdict_set(mixed.dict, v_int(1), v_int(1));
	vdict_sets(mixed.dict, "a", v_int(2));
	ok(strstr(dump(mixed, &sorted), "ERROR: '<' not supported between instances of ") != NULL,
	   "sort_keys with str and int keys is an error");
	is_str(dump(mixed, NULL), "{\"1\": 1, \"a\": 2}", "without sort_keys they are fine");
	value none = v_dict(&A, 0);
	vdict_set(none.dict, v_none(), v_int(1));
	is_str(dump(none, &sorted), "{\"null\": 1}", "a lone None key sorts");
	value nums = v_dict(&A, 0);
	vdict_set(nums.dict, v_bool(true), v_int(1));
	vdict_set(nums.dict, v_float(0.5), v_int(2));
	vdict_set(nums.dict, v_int(-3), v_int(3));
	is_str(dump(nums, &sorted), "{\"-3\": 3, \"0.5\": 2, \"true\": 1}",
	       "bool, float and int sort together");

	/* string keys sort by code point; NUL keys can come from C (not from jansson) */
	value u = v_dict(&A, 0);
	const char *names[] = {"é", "e", "\xef\xbf\xbf", "\xf0\x9f\x98\x80", "", "a", "aa", "B"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		vdict_sets(u.dict, names[i], v_int((int64_t)i));
	vdict_set(u.dict, v_str("a\0b", 3), v_int(99));
	vdict_set(u.dict, v_str("\0", 1), v_int(98));
	is_str(dump(u, &sorted),
	       "{\"\": 4, \"\\u0000\": 98, \"B\": 7, \"a\": 5, \"a\\u0000b\": 99, \"aa\": 6, "
	       "\"e\": 1, "
	       "\"\\u00e9\": 0, \"\\uffff\": 2, \"\\ud83d\\ude00\": 3}",
	       "string keys sort by code point, NUL included");

	/* many keys: the merge sort */
	value big = v_dict(&A, 0);
	for (int i = 0; i < 300; i++) {
		int key = (i * 7919) % 300;
		vdict_set(big.dict, v_int(key), v_int(key));
	}
	struct buf want = BUF_INIT;
	for (int i = 0; i < 300; i++)
		buf_printf(&want, "%s\"%d\": %d", i ? ", " : "{", i, i);
	buf_putc(&want, '}');
	is_str(dump(big, &sorted), buf_cstr(&want),
	       "300 int keys in scrambled order come out sorted");
	buf_release(&want);
}

static void test_utf8(void)
{
	static const struct {
		const char *in, *ascii, *raw;
	} t[] = {
	    /* bytes.decode('utf-8', 'replace') then json.dumps: one U+FFFD per maximal subpart */
	    {"a\xff"
	     "b",
	     "\"a\\ufffdb\"",
	     "\"a\xef\xbf\xbd"
	     "b\""},
	    {"\xc3", "\"\\ufffd\"", "\"\xef\xbf\xbd\""},
	    {"\xc3(", "\"\\ufffd(\"", "\"\xef\xbf\xbd(\""},
	    {"\xe2\x82", "\"\\ufffd\"", "\"\xef\xbf\xbd\""},
	    {"\xe2\x82(", "\"\\ufffd(\"", "\"\xef\xbf\xbd(\""},
	    {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"",
	     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"\xf0\x9f\x98", "\"\\ufffd\"", "\"\xef\xbf\xbd\""},
	    {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"\xc0\xaf", "\"\\ufffd\\ufffd\"", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"",
	     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"\x80\xbf", "\"\\ufffd\\ufffd\"", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"ok\xf0\x9f\x98\x80\xe9t\xc3\xa9", "\"ok\\ud83d\\ude00\\ufffdt\\u00e9\"",
	     "\"ok\xf0\x9f\x98\x80\xef\xbf\xbdt\xc3\xa9\""},
	};
	struct json_opts raw = JSON_OPTS_INIT;
	raw.ensure_ascii = false;
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char what[64];
		snprintf(what, sizeof(what), "invalid UTF-8 #%zu, ensure_ascii", i + 1);
		is_str(dump(v_cstr(t[i].in), NULL), t[i].ascii, what);
		snprintf(what, sizeof(what), "invalid UTF-8 #%zu, raw", i + 1);
		is_str(dump(v_cstr(t[i].in), &raw), t[i].raw, what);
	}
	/* a long string crosses the 64 KiB slices of the escaper */
	struct buf s = BUF_INIT, want = BUF_INIT;
	buf_putc(&want, '"');
	for (int i = 0; i < 50000; i++) {
		buf_puts(&s, "\x01\xf0\x9f\x98\x80");
		buf_puts(&want, "\\u0001\\ud83d\\ude00");
	}
	buf_putc(&want, '"');
	is_str(dump(v_strs(buf_str(&s)), NULL), buf_cstr(&want), "a 250 KB string of worst cases");
	buf_release(&s);
	buf_release(&want);
}

static const struct vclass date_class = {.name = "date"};

static int to_iso(value v, value *rep, void *ud)
{
	(void)ud;
	if (v.type == VT_OBJ && v.obj->cls == &date_class) {
		*rep = v_cstr((const char *)v.obj->data);
		return 0;
	}
	if (v.type == VT_UNDEF) {
		*rep = v_none();
		return 0;
	}
	return -1;
}

static int self_default(value v, value *rep, void *ud)
{
	(void)ud;
	*rep = v; /* default returns the object itself: Python reports a cycle */
	return 0;
}

static int wrap_default(value v, value *rep, void *ud)
{
	/* default returns a list holding a new object: endless, so the depth limit stops it */
	*rep = v_list((struct arena *)ud, 1);
	vlist_push(rep->list, v_obj((struct arena *)ud, v.obj->cls, v.obj->data));
	return 0;
}

static int box_default(value v, value *rep, void *ud)
{
	/* default returns a list holding the same object: Python reports a cycle */
	*rep = v_list((struct arena *)ud, 1);
	vlist_push(rep->list, v);
	return 0;
}

static int dummy_fn(struct jstate *st, void *data, value self, const struct vargs *args, value *ret)
{
	(void)st, (void)data, (void)self, (void)args;
	*ret = v_none();
	return 0;
}

static void test_unserialisable(void)
{
	value date = v_obj(&A, &date_class, (void *)"2024-01-31");
	value items[] = {v_int(1), date};
	value l = v_list(&A, 0);
	vlist_push(l.list, items[0]);
	vlist_push(l.list, items[1]);
	is_str(dump(l, NULL), "ERROR: Object of type date is not JSON serializable", "an object");
	is_str(dump(v_undef(), NULL), "ERROR: Object of type Undefined is not JSON serializable",
	       "Undefined");
	is_str(dump(v_func(&A, "f", dummy_fn, NULL, v_undef()), NULL),
	       "ERROR: Object of type function is not JSON serializable", "a function");
	value ns = v_dict(&A, 0);
	ns.flags = VF_NAMESPACE;
	is_str(dump(ns, NULL), "ERROR: Object of type Namespace is not JSON serializable",
	       "a namespace is not a dict for json");

	struct json_opts o = JSON_OPTS_INIT;
	o.default_fn = to_iso;
	vlist_push(l.list, v_undef());
	is_str(dump(l, &o), "[1, \"2024-01-31\", null]", "the default hook replaces objects");
	vlist_push(l.list, v_func(&A, "f", dummy_fn, NULL, v_undef()));
	is_str(dump(l, &o), "ERROR: Object of type function is not JSON serializable",
	       "a hook that declines gives Python's TypeError");
	o.default_fn = self_default;
	is_str(dump(date, &o), "ERROR: Circular reference detected", "default returning its input");
	o.default_fn = box_default;
	o.default_ud = &A;
	is_str(dump(date, &o), "ERROR: Circular reference detected", "default returning [input]");
	o.default_fn = wrap_default;
	is_str(dump(date, &o),
	       "ERROR: maximum recursion depth exceeded while encoding a JSON object",
	       "endless default is stopped by the depth limit");

	/* failure leaves the buf as it was */
	struct buf out = BUF_INIT;
	buf_puts(&out, "prefix");
	ok(json_write(&out, l, NULL) == -1 && str_eqc(buf_str(&out), "prefix"),
	   "json_write appends nothing when it fails");
	ok(json_write(&out, v_int(7), NULL) == 0 && str_eqc(buf_str(&out), "prefix7"),
	   "json_write appends");
	buf_release(&out);
}

static void test_cycles_and_limits(void)
{
	value l = v_list(&A, 0);
	vlist_push(l.list, v_int(1));
	vlist_push(l.list, l);
	is_str(dump(l, NULL), "ERROR: Circular reference detected", "a list that holds itself");
	value d = v_dict(&A, 0);
	value inner = v_list(&A, 0);
	vlist_push(inner.list, d);
	vdict_sets(d.dict, "x", inner);
	is_str(dump(d, NULL), "ERROR: Circular reference detected", "a dict inside itself");
	value shared = v_list(&A, 0);
	vlist_push(shared.list, v_int(1));
	value twice = v_list(&A, 0);
	vlist_push(twice.list, shared);
	vlist_push(twice.list, shared);
	is_str(dump(twice, NULL), "[[1], [1]]", "the same list twice is no cycle");

	value deep = v_list(&A, 0), cur = deep;
	for (int i = 0; i < JSON_MAX_DEPTH + 10; i++) {
		value next = v_list(&A, 0);
		vlist_push(cur.list, next);
		cur = next;
	}
	vlist_push(cur.list, v_int(1));
	is_str(dump(deep, NULL),
	       "ERROR: maximum recursion depth exceeded while encoding a JSON object",
	       "nesting deeper than JSON_MAX_DEPTH");

	struct buf small = BUF_INIT;
	struct buf err = BUF_INIT;
	struct json_opts o = JSON_OPTS_INIT;
	o.err = &err;
	small.max = 10;
	ok(json_write(&small, v_cstr("0123456789abcdef"), &o) == -1 && small.overflow &&
	       small.n == 0,
	   "a bounded buf: output past its maximum is an error");
	is_str(buf_cstr(&err), "JSON output exceeds 10 bytes", "with a message");
	buf_release(&small);
	buf_release(&err);
}

static void test_layout(void)
{
	const char *doc = "{\"b\": [1, [], {}, {\"c\": null}], \"a\": \"x\"}";
	struct json_opts o = JSON_OPTS_INIT;
	is_str(roundtrip(doc, NULL), "{\"b\": [1, [], {}, {\"c\": null}], \"a\": \"x\"}",
	       "defaults");
	o.indent = 3;
	o.sort_keys = true;
	o.item_sep = ";";
	o.key_sep = "=";
	is_str(roundtrip("{\"b\": 1, \"a\": null}", &o), "{\n   \"a\"=null;\n   \"b\"=1\n}",
	       "indent 3, sorted, custom separators");
	struct json_opts h = JSON_OPTS_INIT;
	h.html_safe = true;
	h.ensure_ascii = false;
	is_str(roundtrip("{\"\xc3\xa9<\": \"'&'\"}", &h),
	       "{\"\xc3\xa9\\u003c\": \"\\u0027\\u0026\\u0027\"}",
	       "html_safe without ensure_ascii");
	struct json_opts zero;
	memset(&zero, 0, sizeof(zero));
	is_str(roundtrip("[1, \"\xc3\xa9\"]", &zero), "[\n1,\n\"\xc3\xa9\"\n]",
	       "a zeroed json_opts is indent=0, ensure_ascii=False (use JSON_OPTS_INIT)");
	is_str(dump(v_int(INT64_MIN), NULL), "-9223372036854775808", "int64 min");
	is_str(dump(v_int(INT64_MAX), NULL), "9223372036854775807", "int64 max");
	value safe = v_cstr("<b>");
	safe.flags = VF_SAFE;
	is_str(dump(safe, NULL), "\"<b>\"", "Markup strings are strings");
	value one = v_int(1);
	is_str(dump(v_tuple(&A, 1, &one), NULL), "[1]", "a tuple is an array");
}

/* json_write_fd into a temporary file: the text, or "ERROR: message". */
static const char *dump_fd(value v, const struct json_opts *opts)
{
	struct json_opts o = JSON_OPTS_INIT;
	if (opts)
		o = *opts;
	struct buf err = BUF_INIT;
	o.err = &err;
	FILE *f = tmpfile();
	const char *res;
	if (json_write_fd(fileno(f), v, &o) == 0) {
		off_t n = lseek(fileno(f), 0, SEEK_END);
		char *text = arena_alloc(&A, (size_t)n + 1);
		ssize_t got = pread(fileno(f), text, (size_t)n, 0);
		text[got > 0 ? got : 0] = 0;
		res = text;
	} else {
		res = arena_printf(&A, "ERROR: %s", buf_cstr(&err));
	}
	fclose(f);
	buf_release(&err);
	return res;
}

/* One dict in two writes (json_opts.no_close, then no_open): the text of the dict holding the
 * entries of both, a big table among them. */
static void test_two_part_dict(void)
{
	value head = v_dict(&A, 0), tail = v_dict(&A, 0), whole = v_dict(&A, 0);
	value big = v_dict(&A, 0);
	for (int i = 0; i < 5000; i++)
		vdict_set(big.dict, v_cstr(arena_printf(&A, "n%05d", i)), v_int(i));
	vdict_sets(head.dict, "metadata", v_cstr("m"));
	vdict_sets(head.dict, "nodes", big);
	vdict_sets(tail.dict, "parent_map", big);
	vdict_sets(tail.dict, "empty", v_dict(&A, 0));
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < 2; i++) {
			value from = k ? tail : head;
			vdict_set(whole.dict, from.dict->k[i], from.dict->v[i]);
		}
	FILE *f = tmpfile();
	struct json_opts o = JSON_OPTS_INIT;
	o.no_close = true;
	int rc = json_write_fd(fileno(f), head, &o);
	o.no_close = false;
	o.no_open = true;
	rc |= json_write_fd(fileno(f), tail, &o);
	off_t n = lseek(fileno(f), 0, SEEK_END);
	char *text = arena_alloc(&A, (size_t)n + 1);
	ssize_t got = pread(fileno(f), text, (size_t)n, 0);
	text[got > 0 ? got : 0] = 0;
	fclose(f);
	ok(rc == 0 && !strcmp(text, dump(whole, NULL)), "a dict in two writes is the whole dict");
	o.no_open = o.no_close = true;
	is_str(dump(v_dict(&A, 0), &o), "", "an empty dict with neither brace");
	o.no_close = false;
	is_str(dump(v_dict(&A, 0), &o), "}", "... and with its closing one");
}

/* Containers of thousands of items are written to a file by two threads (write_par): the text
 * and the errors must be the ones a single writer gives. */
static void test_big_containers(void)
{
	value shared = v_dict(&A, 0);
	for (int k = 0; k < 6; k++)
		vdict_set(shared.dict, v_int(k), v_cstr("shared"));
	value l = v_list(&A, 0), d = v_dict(&A, 0);
	for (int i = 0; i < 9000; i++) {
		value item = v_list(&A, 0);
		vlist_push(item.list, v_int(i));
		vlist_push(item.list, i % 3 ? shared : v_cstr("caf\xc3\xa9 \"q\"\n"));
		vlist_push(item.list, v_float(i / 8.0));
		vlist_push(l.list, item);
		vdict_set(d.dict, v_cstr(arena_printf(&A, "k%05d", i)), item);
	}
	vdict_del(d.dict, v_cstr("k00070"), NULL); /* a hole in an odd batch */
	value top = v_dict(&A, 0);
	vdict_sets(top.dict, "list", l);
	vdict_sets(top.dict, "dict", d);
	vdict_sets(top.dict, "empty", v_list(&A, 0));
	const char *one = dump(top, NULL);
	ok(strlen(one) > 300000, "a big document");
	ok(!strcmp(dump_fd(top, NULL), one), "a big document written to a file on two threads");
	struct json_opts single = JSON_OPTS_INIT;
	single.one_thread = true;
	ok(!strcmp(dump_fd(top, &single), one), "... and on one (one_thread)");
	/* a write that fails (/dev/full: ENOSPC), from the window or from the helper's buffer */
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full >= 0) {
		struct json_opts fo = JSON_OPTS_INIT;
		struct buf err = BUF_INIT;
		fo.err = &err;
		int rc = json_write_fd(full, top, &fo);
		ok(rc < 0 && strstr(buf_cstr(&err), "No space left"),
		   "a big document to a full device: %s", buf_cstr(&err));
		err.n = 0;
		rc = json_write_fd(full, v_cstr("x"), &fo);
		ok(rc < 0 && strstr(buf_cstr(&err), "No space left"), "a small one: %s",
		   buf_cstr(&err));
		buf_release(&err);
		close(full);
	}
	struct json_opts sk = JSON_OPTS_INIT;
	sk.skipkeys = true;
	value keys = v_dict(&A, 0);
	for (int i = 0; i < 5000; i++)
		vdict_set(keys.dict, i % 700 == 100 ? v_list(&A, 0) : v_int(i), v_int(i));
	ok(!strcmp(dump_fd(keys, &sk), dump(keys, &sk)), "skipkeys over batches");
	/* the first failure in item order is reported, whichever thread met it (the threads take
	 * the batches as they come free, so which one writes a batch varies). Items of a kilobyte
	 * of text keep the batches at 64 items (write_par sizes them by the text of the first 64):
	 * batch b holds the items from IN_BATCH(b) */
#define IN_BATCH(b) (64 + 64 * (b) + 10)
	char *kilo = arena_alloc(&A, 1024);
	memset(kilo, 'x', 1024);
	value date = v_obj(&A, &date_class, (void *)"2024-01-31");
	value bad = v_list(&A, 0);
	for (int i = 0; i < 5000; i++)
		vlist_push(bad.list, v_str(kilo, 1024));
	bad.list->v[IN_BATCH(64)] = v_func(&A, "f", dummy_fn, NULL, v_undef());
	bad.list->v[IN_BATCH(66)] = date;
	is_str(dump_fd(bad, NULL), "ERROR: Object of type function is not JSON serializable",
	       "the first of two failures");
	/* failures in every batch from 40 on: whichever thread meets a later one first (the
	 * caller may be writing ahead while the helper is on the batch due), the first is told */
	value many = v_list(&A, 0);
	for (int i = 0; i < 5000; i++)
		vlist_push(many.list, v_str(kilo, 1024));
	for (int b = 40; b < 70; b++)
		many.list->v[IN_BATCH(b)] = b == 40 ? v_func(&A, "f", dummy_fn, NULL, v_undef()) : date;
	int firsts = 0;
	for (int k = 0; k < 20; k++)
		firsts += !strcmp(dump_fd(many, NULL),
		                  "ERROR: Object of type function is not JSON serializable");
	ok(firsts == 20, "failures in many batches: the first one, 20 times of 20 (%d)", firsts);
	bad.list->v[IN_BATCH(63)] = date;
	is_str(dump_fd(bad, NULL), "ERROR: Object of type date is not JSON serializable",
	       "a failure in an earlier batch than another");
	bad.list->v[30] = date; /* the first 64, before the helper starts */
	is_str(dump_fd(bad, NULL), "ERROR: Object of type date is not JSON serializable",
	       "a failure in the first items");
	value cyc = v_list(&A, 0);
	for (int i = 0; i < 3000; i++)
		vlist_push(cyc.list, v_str(kilo, 1024));
	value back = v_list(&A, 0);
	vlist_push(back.list, cyc);
	cyc.list->v[IN_BATCH(33)] = back;
	is_str(dump_fd(cyc, NULL), "ERROR: Circular reference detected", "a cycle in a batch");
	cyc.list->v[IN_BATCH(33)] = v_int(0);
	cyc.list->v[IN_BATCH(34)] = back;
	cyc.list->v[IN_BATCH(36)] = back;
#undef IN_BATCH
	is_str(dump_fd(cyc, NULL), "ERROR: Circular reference detected", "cycles in two batches");
}

/* A plain writer for what the tests below build (str keys; None, bools, ints, ASCII strings,
 * lists, dicts): the text the real one must give. */
static void ref_dump(struct buf *b, value v)
{
	switch (v.type) {
	case VT_NONE:
		buf_puts(b, "null");
		return;
	case VT_BOOL:
		buf_puts(b, v.b ? "true" : "false");
		return;
	case VT_INT:
		buf_printf(b, "%lld", (long long)v.i);
		return;
	case VT_STR:
		buf_putc(b, '"');
		for (uint32_t i = 0; i < v.len; i++) {
			unsigned char c = (unsigned char)v.s[i];
			if (c == '"' || c == '\\')
				buf_printf(b, "\\%c", c);
			else if (c == '\n')
				buf_puts(b, "\\n");
			else if (c < 0x20 || c >= 0x7f)
				buf_printf(b, "\\u%04x", c);
			else
				buf_putc(b, (char)c);
		}
		buf_putc(b, '"');
		return;
	case VT_LIST:
		buf_putc(b, '[');
		for (uint32_t i = 0; i < v.list->n; i++) {
			if (i)
				buf_puts(b, ", ");
			ref_dump(b, v.list->v[i]);
		}
		buf_putc(b, ']');
		return;
	case VT_DICT: {
		buf_putc(b, '{');
		bool first = true;
		for (uint32_t i = 0; i < v.dict->n; i++) {
			const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
			if (e->k.type == VT_UNDEF)
				continue;
			if (!first)
				buf_puts(b, ", ");
			first = false;
			ref_dump(b, e->k);
			buf_puts(b, ": ");
			ref_dump(b, e->v);
		}
		buf_putc(b, '}');
		return;
	}
	default:
		buf_puts(b, "?");
	}
}

/* Whether json_write and json_write_fd both give ref_dump's text. */
static bool same_as_ref(value v)
{
	struct buf want = BUF_INIT;
	ref_dump(&want, v);
	bool same =
	    !strcmp(dump(v, NULL), buf_cstr(&want)) && !strcmp(dump_fd(v, NULL), buf_cstr(&want));
	buf_release(&want);
	return same;
}

/* Short plain strings are checked and copied a word at a time, the last word overlapping the
 * one before: every length up to 40 and around the word sizes, a byte to escape anywhere. The
 * strings are malloc'd to their exact size, so that a read past the end shows under ASan. */
static void test_plain_strings(void)
{
	static const char special[] = {'"', '\\', '\n', 1, 0x1f, 0x7f, (char)0xc3};
	size_t lens[80], nl = 0;
	for (size_t n = 0; n <= 40; n++)
		lens[nl++] = n;
	static const size_t more[] = {47, 48, 49, 63, 64, 65, 100, 255, 256, 257, 300};
	for (size_t i = 0; i < ARRAY_LEN(more); i++)
		lens[nl++] = more[i];
	int bad = 0, cases = 0;
	for (size_t li = 0; li < nl; li++) {
		size_t n = lens[li];
		for (size_t pos = 0; pos <= n; pos++) { /* pos == n: no byte to escape */
			if (n > 40 && pos > 2 && pos + 17 < n && pos != n / 2)
				continue;
			for (size_t k = 0; k < (pos < n ? ARRAY_LEN(special) : 1); k++) {
				char *p = xmalloc(n ? n : 1);
				for (size_t i = 0; i < n; i++)
					p[i] = (char)('a' + (i * 7) % 26);
				if (pos < n)
					p[pos] = special[k];
				value s = v_str(p, n);
				if (special[k] == (char)0xc3 && pos < n) {
					/* an invalid sequence: U+FFFD */
					struct buf want = BUF_INIT;
					buf_printf(&want, "\"%.*s\\ufffd%.*s\"", (int)pos, p,
					           (int)(n - pos - 1), p + pos + 1);
					bad += strcmp(dump(s, NULL), buf_cstr(&want)) != 0;
					buf_release(&want);
				} else {
					bad += !same_as_ref(s);
				}
				cases++;
				free(p);
			}
		}
	}
	ok(!bad, "%d strings with and without a byte to escape, anywhere", cases);
	struct json_opts raw = JSON_OPTS_INIT;
	raw.ensure_ascii = false;
	is_str(dump(v_cstr("caf\xc3\xa9 12345678901234"), &raw), "\"caf\xc3\xa9 12345678901234\"",
	       "ensure_ascii=False keeps UTF-8");
	is_str(dump(v_cstr("<a href='x'>&amp;</a>"), NULL), "\"<a href='x'>&amp;</a>\"",
	       "html characters are plain by default");
	struct json_opts h = JSON_OPTS_INIT;
	h.html_safe = true;
	is_str(dump(v_cstr("<a href='x'>&amp;</a>"), &h),
	       "\"\\u003ca href=\\u0027x\\u0027\\u003e\\u0026amp;\\u003c/a\\u003e\"",
	       "but not with html_safe");
}

/* Dicts with the same keys in the same order (shaped node dicts) are written with the text of
 * their keys kept from the first ones; a dict that only resembles them must still be written
 * as it is. */
static void test_shapes(void)
{
	static const char *const keys[] = {"database", "schema", "name", "a\"b",
	                                   "tags",     "none",   "n"};
	enum { NK = ARRAY_LEN(keys) };
	value all = v_list(&A, 0);
	value shape = v_undef();
	for (int i = 0; i < 12; i++) {
		value d = v_dict(&A, 0);
		for (int k = 0; k < NK; k++) {
			value x;
			switch (k) {
			case 2:
				x = v_cstr(arena_printf(&A, i % 3 ? "m%d" : "m\"%d\"\n", i));
				break;
			case 4:
				x = v_list(&A, 0);
				for (int t = 0; t < i % 3; t++)
					vlist_push(x.list, v_cstr("t"));
				break;
			case 5:
				x = i % 4 ? v_none() : v_bool(true);
				break;
			case 6:
				x = v_int(i);
				break;
			default:
				x = v_cstr(keys[k]);
			}
			vdict_sets(d.dict, keys[k], x);
		}
		if (i == 0)
			shape = d;
		vlist_push(all.list, d);
	}
	ok(same_as_ref(all), "a list of dicts with the same keys");

	/* the same first key and length, but another key further on: same bytes elsewhere, other
	 * bytes at the same length, a prefix of the shape's key (same address, shorter) */
	value other = v_list(&A, 0);
	for (int i = 0; i < 4; i++)
		vlist_push(other.list, shape);
	char *copy = arena_strndup(&A, "schema", 6);
	const char *replace[] = {copy, "SCHEMA", NULL};
	for (int r = 0; r < 3; r++) {
		value d = v_dict(&A, 0);
		for (int k = 0; k < NK; k++) {
			value key = v_cstr(keys[k]);
			if (k == 1)
				key = replace[r] ? v_cstr(replace[r]) : v_str(keys[1], 3);
			vdict_set(d.dict, key, shape.dict->v[k]);
		}
		vlist_push(other.list, d);
		vlist_push(other.list, shape);
	}
	ok(same_as_ref(other), "dicts whose keys differ from the shape's are written as they are");

	/* a hole (a removed key) and a first key that is skipped */
	value holes = v_list(&A, 0);
	value h = v_dict(&A, 0);
	for (int k = 0; k < NK; k++)
		vdict_sets(h.dict, keys[k], v_int(k));
	vdict_del(h.dict, v_cstr("name"), NULL);
	for (int i = 0; i < 3; i++) {
		vlist_push(holes.list, shape);
		vlist_push(holes.list, h);
	}
	ok(same_as_ref(holes), "a dict with a hole among dicts of the shape");
	value one = v_int(1);
	value sk = v_list(&A, 0);
	value first_bad = v_dict(&A, 0);
	vdict_set(first_bad.dict, v_tuple(&A, 1, &one), v_int(0));
	for (int k = 1; k < NK; k++)
		vdict_sets(first_bad.dict, keys[k], v_int(k));
	value first_ok = v_dict(&A, 0);
	vdict_set(first_ok.dict, v_str("x", 1), v_int(0));
	for (int k = 1; k < NK; k++)
		vdict_sets(first_ok.dict, keys[k], v_int(k));
	for (int i = 0; i < 3; i++)
		vlist_push(sk.list, first_ok);
	vlist_push(sk.list, first_bad);
	struct json_opts skip = JSON_OPTS_INIT;
	skip.skipkeys = true;
	const char *text = dump(sk, &skip);
	ok(strstr(text, "}, {\"schema\": 1, \"name\": 2") != NULL,
	   "a skipped first key leaves no separator before the next");

	/* dicts of many shapes inside dicts of one (met twice before): the shape being written
	 * stays as it is */
	value outer = v_list(&A, 0);
	const char **inner_keys = arena_alloc(&A, 400 * sizeof(*inner_keys));
	for (int j = 0; j < 400; j++)
		inner_keys[j] = arena_printf(&A, "k%d", j);
	for (int o = 0; o < 6; o++) {
		value d = v_dict(&A, 0);
		for (int k = 0; k < NK; k++) {
			if (o < 2) {
				vdict_sets(d.dict, keys[k], v_int(k));
				continue;
			}
			value x = v_list(&A, 0);
			for (int j = 0; j < 200; j++) {
				/* two dicts of each inner shape, one after the other */
				for (int twice = 0; twice < 2; twice++) {
					value in = v_dict(&A, 0);
					vdict_sets(in.dict, inner_keys[2 * j], v_int(j));
					vdict_sets(in.dict, inner_keys[2 * j + 1], v_int(twice));
					vlist_push(x.list, in);
				}
			}
			vdict_sets(d.dict, keys[k], x);
		}
		vlist_push(outer.list, d);
	}
	ok(same_as_ref(outer), "dicts of 400 shapes nested in dicts of one");

	/* dicts sharing one array of keys (vdict_share_keys), whose values repeat the previous
	 * dict's or not: the text of a repeated value is copied (shape_key.last) */
	static const char *const sk3[] = {"a", "b", "c", "d", "e"};
	value proto = v_dict(&A, 0);
	for (int k = 0; k < 5; k++)
		vdict_sets(proto.dict, sk3[k], v_none());
	value empty = v_list(&A, 0), one_item = v_list(&A, 0), same_str = v_cstr("same \"str\"");
	vlist_push(one_item.list, v_cstr("x"));
	char *longer = arena_alloc(&A, 201);
	memset(longer, 'y', 200);
	longer[200] = 0;
	value rows = v_list(&A, 0);
	for (int i = 0; i < 300; i++) {
		value vals[5] = {
		    i % 7 ? same_str : v_cstr(arena_printf(&A, "s%d", i)),
		    i % 3 ? v_int(i / 3) : v_int(-1),
		    i % 2 ? empty : v_list(&A, 0),
		    i % 11 ? one_item : v_cstr(longer),
		    i % 5 ? v_bool(i % 10 > 5) : v_none(),
		};
		vlist_push(rows.list, vdict_share_keys(&A, proto.dict, vals, 5));
	}
	ok(same_as_ref(rows), "dicts of one shape repeating some values of the one before");
}

void test_json(void)
{
	arena_init(&A);
	test_parse_values();
	test_parse_errors();
	test_keys();
	test_utf8();
	test_unserialisable();
	test_cycles_and_limits();
	test_layout();
	test_big_containers();
	test_two_part_dict();
	test_plain_strings();
	test_shapes();
	arena_release(&A);
}
