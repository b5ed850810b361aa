/* Unit tests for yaml/: the DOM API (positions, lookups, styles, merges, aliases), the limits,
 * and value/datetime. The loader's PyYAML compatibility is tested by data in tests/yaml/. */
#include <math.h>

#include "tap.h"
#include "value/datetime.h"
#include "yaml/yaml.h"
#include "yaml/yaml_int.h"

void test_yaml(void);

static struct arena A;

static const struct yaml_node *load(const char *text)
{
	struct diag d;
	diag_init(&d);
	struct yaml_doc *doc = NULL;
	int rc = yaml_load(&A, "t.yml", text, strlen(text), &doc, &d);
	if (rc) {
		struct buf b = BUF_INIT;
		diag_print(&d, &b);
		printf("# unexpected error: %s", buf_cstr(&b));
		buf_release(&b);
	}
	diag_release(&d);
	return rc ? NULL : doc->root;
}

/* The first error message for text, "file:line:col: message", in the arena. */
static const char *load_error(const char *text, size_t len)
{
	struct diag d;
	diag_init(&d);
	struct yaml_doc *doc = NULL;
	const char *msg = "(no error)";
	if (yaml_load(&A, "t.yml", text, len, &doc, &d) && d.msgs.n) {
		struct buf b = BUF_INIT;
		diag_format_msg(&d.msgs.v[0], &b);
		msg = arena_strndup(&A, buf_cstr(&b), b.n);
		buf_release(&b);
	}
	diag_release(&d);
	return msg;
}

static const char *repr(value v)
{
	struct buf b = BUF_INIT;
	v_to_repr(v, &b);
	const char *s = arena_strndup(&A, buf_cstr(&b), b.n);
	buf_release(&b);
	return s;
}

static const char *pos(const struct yaml_node *n)
{
	return n ? arena_printf(&A, "%d:%d", n->line, n->col) : "(null)";
}

static const char schema_yml[] = "version: 2\n"
                                 "models:\n"
                                 "  - name: orders\n"
                                 "    description: \"All orders\"\n"
                                 "    config: {materialized: table}\n"
                                 "    columns:\n"
                                 "      - name: id\n"
                                 "        tests: [unique, not_null]\n"
                                 "      - name: status\n"
                                 "        tests:\n"
                                 "          - accepted_values:\n"
                                 "              values: ['placed', 'shipped']\n"
                                 "  - name: customers\n"
                                 "    columns: {}\n";

static void test_positions_and_paths(void)
{
	const struct yaml_node *root = load(schema_yml);
	ok(root != NULL, "schema.yml loads");
	is_str(pos(root), "1:1", "the root mapping starts at 1:1");
	const struct yaml_node *models = yaml_map_get(root, "models");
	ok(yaml_is_seq(models) && models->len == 2, "models is a list of two");
	is_str(pos(models), "3:3", "a block sequence starts at its first '-'");
	const struct yaml_node *cols = yaml_get_path(root, "models.0.columns");
	ok(yaml_is_seq(cols), "models.0.columns is a list");
	is_str(pos(yaml_get_path(root, "models.0.columns.1.name")), "9:15", "position of a scalar");
	const struct yaml_node *vals =
	    yaml_get_path(root, "models.0.columns.1.tests.0.accepted_values.values");
	ok(yaml_is_seq(vals) && vals->len == 2 && vals->style == YAML_S_FLOW, "nested flow list");
	is_str(yaml_seq_at(vals, 1)->text, "shipped", "yaml_seq_at");
	ok(yaml_seq_at(vals, 2) == NULL, "yaml_seq_at past the end is NULL");
	ok(yaml_get_path(root, "models.5.name") == NULL, "a missing index is NULL");
	ok(yaml_get_path(root, "models.x") == NULL, "a key into a list is NULL");
	ok(yaml_get_path(root, "") == root, "the empty path is the node itself");
	ok(yaml_map_get(root, "nope") == NULL, "a missing key is NULL");
	ok(yaml_map_get(models, "name") == NULL, "yaml_map_get on a list is NULL");
	const struct yaml_node *v = yaml_map_get(root, "version");
	ok(v && v->tag == YAML_T_INT && v->i == 2, "version: 2 is an int");
	is_str(yaml_type_name(v), "int", "yaml_type_name int");

	/* later layers report at a node */
	const struct yaml_node *bad = yaml_get_path(root, "models.1.columns");
	struct diag d;
	diag_init(&d);
	yaml_error(&d, bad, "expected a list for 'columns', got %s", yaml_type_name(bad));
	struct buf b = BUF_INIT;
	diag_format_msg(&d.msgs.v[0], &b);
	is_str(buf_cstr(&b), "t.yml:14:14: expected a list for 'columns', got dict",
	       "yaml_error places the message at the node");
	ok(d.msgs.v[0].excerpt && strstr(d.msgs.v[0].excerpt, "columns: {}") &&
	       strchr(d.msgs.v[0].excerpt, '^'),
	   "yaml_error keeps a source excerpt with a caret");
	buf_release(&b);
	diag_release(&d);
}

static void test_styles_and_tags(void)
{
	const struct yaml_node *r = load("plain: yes\n"
	                                 "single: 'yes'\n"
	                                 "double: \"yes\"\n"
	                                 "literal: |\n  yes\n"
	                                 "folded: >\n  yes\n"
	                                 "flow: [a]\n"
	                                 "block:\n  - a\n"
	                                 "tagged: !!str 12\n"
	                                 "date: 2024-01-02\n"
	                                 "on: key\n");
	const struct yaml_node *n = yaml_map_get(r, "plain");
	ok(n->style == YAML_S_PLAIN && n->tag == YAML_T_BOOL && n->b, "plain yes is True");
	ok(!yaml_is_str(n), "a plain yes is not a string");
	n = yaml_map_get(r, "single");
	ok(n->style == YAML_S_SINGLE && yaml_is_str(n), "'yes' stays a string");
	ok(yaml_map_get(r, "double")->style == YAML_S_DOUBLE, "double-quoted style");
	n = yaml_map_get(r, "literal");
	ok(n->style == YAML_S_LITERAL && str_eqc(yaml_str(n), "yes\n"), "literal style and text");
	ok(yaml_map_get(r, "folded")->style == YAML_S_FOLDED, "folded style");
	ok(yaml_map_get(r, "flow")->style == YAML_S_FLOW, "flow sequence");
	ok(yaml_map_get(r, "block")->style == YAML_S_BLOCK, "block sequence");
	n = yaml_map_get(r, "tagged");
	ok(yaml_is_str(n) && (n->flags & YAML_F_TAGGED) && str_eqc(yaml_str(n), "12"),
	   "!!str 12 is a string, flagged as tagged");
	ok(!(yaml_map_get(r, "plain")->flags & YAML_F_TAGGED), "a resolved tag is not flagged");
	ok(sizeof(struct yaml_node) <= 48, "a node takes 48 bytes");
	is_str(yaml_type_name(yaml_map_get(r, "date")), "date", "a date's type name");
	ok(yaml_map_get(r, "on") == NULL, "the key on: is True, not the string 'on'");
	value v = yaml_to_value(&A, r);
	value got;
	ok(vdict_get(v.dict, v_bool(true), &got) && str_eqc(v_as_str(got), "key"),
	   "the value has the key True");
}

static void test_merge(void)
{
	const struct yaml_node *r = load("a: &a {x: a, y: a, z: a}\n"
	                                 "b: &b {x: b, w: b}\n"
	                                 "m:\n"
	                                 "  <<: [*a, *b]\n"
	                                 "  y: own\n"
	                                 "n:\n"
	                                 "  <<: *a\n"
	                                 "  <<: *b\n");
	const struct yaml_node *m = yaml_map_get(r, "m");
	ok(m->flags & YAML_F_MERGE, "a mapping with << is flagged");
	is_str(yaml_map_get(m, "y")->text, "own", "an explicit key wins over merged ones");
	is_str(yaml_map_get(m, "x")->text, "a", "the earlier mapping of a merge list wins");
	is_str(yaml_map_get(m, "w")->text, "b", "keys of later mappings are merged too");
	is_str(yaml_map_get(yaml_map_get(r, "n"), "x")->text, "b", "a later << key wins");

	/* merges of merges sharing their sources: 2**60 paths, each source searched once */
	struct buf t = BUF_INIT;
	buf_puts(&t, "x0: &x0 {a: 1}\n");
	for (int i = 1; i <= 60; i++)
		buf_printf(&t, "x%d: &x%d {<<: [*x%d, *x%d], k%d: %d}\n", i, i, i - 1, i - 1, i, i);
	struct diag d;
	diag_init(&d);
	struct yaml_doc *doc;
	ok(yaml_load(&A, "chain.yml", t.p, t.n, &doc, &d) == 0,
	   "a chain of 60 doubled merges loads");
	const struct yaml_node *x60 = yaml_map_get(doc->root, "x60");
	ok(yaml_map_get(x60, "missing") == NULL, "a missing key is looked up in linear time");
	ok(yaml_map_get(x60, "a") && yaml_map_get(x60, "a")->i == 1,
	   "a key from the far end is found");
	value c = yaml_to_value(&A, x60);
	ok(c.type == VT_DICT && c.dict->live == 61,
	   "its value has the 61 keys, built in linear time");
	diag_release(&d);
	buf_release(&t);
	value v = yaml_to_value(&A, m);
	is_str(repr(v), "{'x': 'a', 'w': 'b', 'y': 'own', 'z': 'a'}",
	       "merged dict: keys of the last mapping first, as PyYAML orders them");
}

static void test_aliases(void)
{
	const struct yaml_node *r = load("base: &l [1, 2]\nx: *l\ny: *l\nd: &d {k: v}\ne: *d\n");
	const struct yaml_node *base = yaml_map_get(r, "base");
	ok(yaml_map_get(r, "x") == base, "an alias is the anchored node itself");
	ok(base->id != 0, "an aliased node has an id");
	ok(yaml_map_get(r, "e")->id != 0 && yaml_map_get(r, "base")->id != yaml_map_get(r, "e")->id,
	   "ids differ");
	value v = yaml_to_value(&A, r);
	value a, b, c;
	vdict_gets(v.dict, STR("base"), &a);
	vdict_gets(v.dict, STR("x"), &b);
	vdict_gets(v.dict, STR("y"), &c);
	ok(a.list == b.list && b.list == c.list, "aliases share one list, as PyYAML's objects");
	/* converting a subtree on its own still shares */
	value sub = yaml_to_value(&A, yaml_map_get(r, "y"));
	is_str(repr(sub), "[1, 2]", "a subtree converts on its own");

	/* a billion laughs: ten levels of ten aliases stay small */
	struct buf t = BUF_INIT;
	buf_puts(&t, "l0: &l0 [lol]\n");
	for (int i = 1; i <= 10; i++) {
		buf_printf(&t, "l%d: &l%d [", i, i);
		for (int j = 0; j < 10; j++)
			buf_printf(&t, "%s*l%d", j ? ", " : "", i - 1);
		buf_puts(&t, "]\n");
	}
	struct diag d;
	diag_init(&d);
	struct yaml_doc *doc;
	size_t before = A.total;
	int rc = yaml_load(&A, "lol.yml", t.p, t.n, &doc, &d);
	ok(rc == 0 && doc->nodes < 200, "the DOM of a billion laughs is linear (%u nodes)",
	   doc ? doc->nodes : 0);
	v = rc == 0 ? yaml_to_value(&A, doc->root) : v_none();
	ok(A.total - before < 200000, "so is its value (%zu bytes)", A.total - before);
	value l10;
	ok(v.type == VT_DICT && vdict_gets(v.dict, STR("l10"), &l10) && l10.list->n == 10 &&
	       l10.list->v[0].list == l10.list->v[9].list,
	   "the ten items of l10 are one shared list");
	buf_release(&t);
	diag_release(&d);
}

static void test_errors_and_limits(void)
{
	is_str(load_error("a: &a [1, *a]\n", 14),
	       "t.yml:1:11: found recursive alias 'a' (silt does not support recursive structures)",
	       "a recursive alias is refused");
	struct buf t = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_putc(&t, '[');
	is_str(load_error(t.p, t.n), "t.yml:1:513: nesting deeper than 512 levels",
	       "nesting is bounded");
	buf_reset(&t);
	for (int i = 0; i < 600; i++)
		buf_printf(&t, "%*sk:\n", i * 2, "");
	is_str(load_error(t.p, t.n), "t.yml:513:1025: nesting deeper than 512 levels",
	       "block nesting is bounded too");
	buf_release(&t);
	is_str(load_error("a: 1\n---\nb: 2\n", 14),
	       "t.yml:2:1: expected a single document in the stream, but found another document",
	       "one document only");
	is_str(
	    load_error("a: [1\n", 6),
	    "t.yml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at line 1, "
	    "column 4)",
	    "libyaml's parser errors keep their context");
	is_str(load_error("a: !Ref x\nb: [\n", 15),
	       "t.yml:3:1: did not find expected node content (while parsing a flow node)",
	       "a syntax error is reported before a construction error, as PyYAML does");
	is_str(load_error("a: \"x\0y\"", 8),
	       "t.yml:1:6: unacceptable character #x0000: control characters are not allowed",
	       "NUL bytes are refused");

	struct diag d;
	diag_init(&d);
	value v;
	ok(yaml_load_value(&A, "e.yml", "", 0, &v, &d) == 0 && v.type == VT_NONE,
	   "an empty stream is None");
	ok(yaml_load_value(&A, "e.yml", "# c\n", 4, &v, &d) == 0 && v.type == VT_NONE,
	   "a comment alone is None");
	ok(yaml_load_value(&A, "e.yml", NULL, 0, &v, &d) == 0 && v.type == VT_NONE,
	   "NULL text of length 0 is an empty stream");
	ok(yaml_load_value(&A, "e.yml", "n: 12345678901234567890\n", 24, &v, &d) == 0,
	   "a big int loads");
	value n;
	vdict_gets(v.dict, STR("n"), &n);
	ok(n.type == VT_FLOAT && n.f == 12345678901234567890.0, "and is a float in silt");
	ok(yaml_load_value(&A, "e.yml", "n: -9223372036854775808\n", 24, &v, &d) == 0 &&
	       vdict_gets(v.dict, STR("n"), &n) && n.type == VT_INT && n.i == INT64_MIN,
	   "INT64_MIN stays an int");
	ok(d.errors == 0, "no errors on the way");
	diag_release(&d);
}

static void test_values(void)
{
	struct diag d;
	diag_init(&d);
	value v;
	const char *text = "2024-01-01: a\n2024-01-01: b\n1: one\ntrue: T\n1.0: float\n"
	                   "x: [.inf, -.inf, .nan, 1:30, 0o7, 0x10, 010]\n";
	int rc = yaml_load_value(&A, "v.yml", text, strlen(text), &v, &d);
	ok(rc == 0, "loads");
	is_str(
	    repr(v),
	    "{datetime.date(2024, 1, 1): 'b', 1: 'float', 'x': [inf, -inf, nan, 90, '0o7', 16, 8]}",
	    "equal keys collapse (dates too, 1 == True == 1.0), keeping the first key");
	diag_release(&d);
}

static void test_datetime(void)
{
	struct vdatetime dt = {
	    .year = 2024, .month = 1, .day = 1, .hour = 12, .minute = 30, .has_time = true};
	value v = v_datetime(&A, &dt);
	struct buf b = BUF_INIT;
	v_to_str(v, &b);
	is_str(buf_cstr(&b), "2024-01-01 12:30:00", "str(datetime)");
	is_str(repr(v), "datetime.datetime(2024, 1, 1, 12, 30)", "repr drops zero seconds");
	is_str(v_type_name(v), "datetime", "type name");
	dt.microsecond = 500000;
	dt.has_tz = true;
	buf_reset(&b);
	v_to_str(v_datetime(&A, &dt), &b);
	is_str(buf_cstr(&b), "2024-01-01 12:30:00.500000+00:00", "str with microseconds and UTC");
	is_str(repr(v_datetime(&A, &dt)),
	       "datetime.datetime(2024, 1, 1, 12, 30, 0, 500000, tzinfo=datetime.timezone.utc)",
	       "repr with UTC");
	dt.utcoffset = -300;
	dt.microsecond = 0;
	buf_reset(&b);
	v_to_str(v_datetime(&A, &dt), &b);
	is_str(buf_cstr(&b), "2024-01-01 12:30:00-05:00", "str with a negative offset");
	is_str(repr(v_datetime(&A, &dt)),
	       "datetime.datetime(2024, 1, 1, 12, 30, tzinfo=datetime.timezone("
	       "datetime.timedelta(days=-1, seconds=68400)))",
	       "repr with a negative offset");
	value d1 = v_date(&A, 5, 3, 9);
	buf_reset(&b);
	v_to_str(d1, &b);
	is_str(buf_cstr(&b), "0005-03-09", "str(date) pads the year");
	is_str(repr(d1), "datetime.date(5, 3, 9)", "repr(date)");
	ok(v_equal(d1, v_date(&A, 5, 3, 9)), "equal dates are equal");
	ok(!v_equal(d1, v_date(&A, 5, 3, 10)), "different dates differ");

	struct vdatetime utc = {.year = 2024,
	                        .month = 1,
	                        .day = 1,
	                        .hour = 17,
	                        .minute = 30,
	                        .has_time = true,
	                        .has_tz = true};
	ok(v_equal(v_datetime(&A, &dt), v_datetime(&A, &utc)),
	   "aware datetimes compare as instants (12:30-05:00 == 17:30Z)");
	utc.has_tz = false;
	ok(!v_equal(v_datetime(&A, &dt), v_datetime(&A, &utc)), "naive never equals aware");
	struct vdatetime as_date = {.year = 2024, .month = 1, .day = 1};
	struct vdatetime midnight = {.year = 2024, .month = 1, .day = 1, .has_time = true};
	ok(!v_equal(v_datetime(&A, &as_date), v_datetime(&A, &midnight)),
	   "a date never equals a datetime");

	struct vdatetime bad = {.year = 2023, .month = 2, .day = 29};
	buf_reset(&b);
	ok(datetime_check(&bad, &b) == -1, "2023-02-29 is invalid");
	is_str(buf_cstr(&b), "day is out of range for month", "with Python's message");
	bad.year = 2024;
	ok(datetime_check(&bad, NULL) == 0, "2024-02-29 is valid");
	buf_release(&b);
}

/* Plain scalars resolve as PyYAML resolves them (yaml.safe_load checked each): a word whose
 * first letter starts no bool or null, or that is longer than any, is a string at once. */
static void test_plain_resolution(void)
{
	static const struct {
		const char *text;
		uint8_t tag;
	} cases[] = {
	    {"yes", YAML_T_BOOL},   {"Yesterday", YAML_T_STR}, {"no", YAML_T_BOOL},
	    {"None", YAML_T_STR},   {"null", YAML_T_NULL},     {"Null", YAML_T_NULL},
	    {"nULL", YAML_T_STR},   {"NULL", YAML_T_NULL},     {"off", YAML_T_BOOL},
	    {"Offset", YAML_T_STR}, {"on", YAML_T_BOOL},       {"ON", YAML_T_BOOL},
	    {"oN", YAML_T_STR},     {"True", YAML_T_BOOL},     {"tRUE", YAML_T_STR},
	    {"FALSE", YAML_T_BOOL}, {"falsey", YAML_T_STR},    {"n", YAML_T_STR},
	    {"Y", YAML_T_STR},      {"name", YAML_T_STR},      {"not_null", YAML_T_STR},
	    {"~", YAML_T_NULL},     {"id", YAML_T_STR},        {"unique", YAML_T_STR},
	    {"Off", YAML_T_BOOL},   {"12", YAML_T_INT},        {"1.5", YAML_T_FLOAT},
	    {"no\n", YAML_T_BOOL},  {"", YAML_T_NULL},
	};
	int bad = 0;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (yaml_resolve_plain(cases[i].text, strlen(cases[i].text)) != cases[i].tag) {
			printf("# %s\n", cases[i].text);
			bad++;
		}
	ok(!bad, "%zu plain scalars resolve as PyYAML's", ARRAY_LEN(cases));
}

void test_yaml(void)
{
	arena_init(&A);
	test_positions_and_paths();
	test_styles_and_tags();
	test_merge();
	test_aliases();
	test_errors_and_limits();
	test_values();
	test_datetime();
	test_plain_resolution();
	arena_release(&A);
}
