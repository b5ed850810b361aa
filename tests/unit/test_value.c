/* Unit tests for value/: equality, hashing and dicts, ordering, repr/str and fmt_double, checked
 * against what CPython 3.11 prints (the expected strings were produced by /usr/bin/python3). */
#include <math.h>

#include "tap.h"
#include "value/value.h"

void test_value(void);

static struct arena A;

static const char *repr(value v)
{
	struct buf b = BUF_INIT;
	v_to_repr(v, &b);
	const char *s = arena_strndup(&A, buf_cstr(&b), b.n);
	buf_release(&b);
	return s;
}

static const char *str(value v)
{
	struct buf b = BUF_INIT;
	v_to_str(v, &b);
	const char *s = arena_strndup(&A, buf_cstr(&b), b.n);
	buf_release(&b);
	return s;
}

static value list_of(int n, const value *items)
{
	value l = v_list(&A, 0);
	for (int i = 0; i < n; i++)
		vlist_push(l.list, items[i]);
	return l;
}

static void test_equality(void)
{
	ok(v_equal(v_int(1), v_float(1.0)) && v_equal(v_float(1.0), v_bool(true)) &&
	       v_equal(v_int(1), v_bool(true)),
	   "1 == 1.0 == True");
	ok(v_equal(v_int(0), v_bool(false)) && v_equal(v_float(-0.0), v_int(0)),
	   "0 == False == -0.0");
	ok(!v_equal(v_int(2), v_bool(true)), "2 != True");
	ok(!v_equal(v_cstr("1"), v_int(1)), "'1' != 1");
	ok(v_equal(v_none(), v_none()) && !v_equal(v_none(), v_bool(false)),
	   "None == None, None != False");
	ok(!v_equal(v_float(NAN), v_float(NAN)), "nan != nan");
	ok(v_equal(v_int(INT64_MAX), v_int(INT64_MAX)) &&
	       !v_equal(v_int(INT64_MAX), v_int(INT64_MIN)),
	   "int64 extremes compare exactly");
	value a[] = {v_int(1), v_cstr("x")}, b[] = {v_float(1.0), v_cstr("x")};
	ok(v_equal(list_of(2, a), list_of(2, b)), "[1, 'x'] == [1.0, 'x']");
	ok(!v_equal(list_of(2, a), v_tuple(&A, 2, b)), "[1, 'x'] != (1.0, 'x')");
	ok(v_equal(v_tuple(&A, 2, a), v_tuple(&A, 2, b)), "(1, 'x') == (1.0, 'x')");
	value d1 = v_dict(&A, 0), d2 = v_dict(&A, 0);
	vdict_sets(d1.dict, "a", v_int(1));
	vdict_sets(d1.dict, "b", v_int(2));
	vdict_sets(d2.dict, "b", v_float(2.0));
	vdict_sets(d2.dict, "a", v_bool(true));
	ok(v_equal(d1, d2),
	   "dict equality ignores order: {'a': 1, 'b': 2} == {'b': 2.0, 'a': True}");
	vdict_sets(d2.dict, "c", v_none());
	ok(!v_equal(d1, d2), "dicts of different sizes differ");
	ok(v_hash(v_int(1)) == v_hash(v_float(1.0)) && v_hash(v_int(1)) == v_hash(v_bool(true)),
	   "hash(1) == hash(1.0) == hash(True)");
	ok(v_hash(v_int(0)) == v_hash(v_float(-0.0)), "hash(0) == hash(-0.0)");
	ok(v_hash(v_tuple(&A, 2, a)) == v_hash(v_tuple(&A, 2, b)), "equal tuples hash equal");
	ok(v_hashable(v_tuple(&A, 2, a)) && !v_hashable(list_of(2, a)) && !v_hashable(d1),
	   "tuples hash, lists and dicts do not");
}

static void test_dict(void)
{
	value d = v_dict(&A, 0);
	char keys[20][16];
	for (int i = 0; i < 20; i++) {
		snprintf(keys[i], sizeof(keys[i]), "s%d", i);
		vdict_set(d.dict, v_int(i * 7), v_int(i));
		vdict_sets(d.dict, keys[i], v_int(100 + i));
	}
	is_int(d.dict->live, 40, "40 entries: 20 int keys and 20 str keys");
	ok(d.dict->icap > 0, "a dict of more than 8 entries is indexed");
	bool all = true;
	for (int i = 0; i < 20; i++) {
		value got;
		all &= vdict_get(d.dict, v_int(i * 7), &got) && got.type == VT_INT && got.i == i;
		all &= vdict_gets(d.dict, str_from(keys[i]), &got) && got.i == 100 + i;
	}
	ok(all, "every int and str key is found through the index");
	value got;
	ok(vdict_get(d.dict, v_float(14.0), &got) && got.i == 2, "d[14.0] finds the int key 14");
	ok(vdict_get(d.dict, v_bool(false), &got) && got.i == 0, "d[False] finds the int key 0");
	ok(!vdict_get(d.dict, v_cstr("14"), &got), "d['14'] is not d[14]");
	vdict_set(d.dict, v_float(7.0), v_cstr("seven"));
	ok(d.dict->live == 40 && vdict_get(d.dict, v_int(7), &got) && v_is_str(got),
	   "d[7.0] = x replaces the value of key 7 in place");
	ok(d.dict->k[2].type == VT_INT, "and keeps the original key (7, not 7.0)");

	/* deletion keeps the order of the others; re-insertion goes to the end */
	value old;
	ok(vdict_del(d.dict, v_int(0), &old) && old.i == 0, "del d[0]");
	ok(vdict_del(d.dict, v_cstr("s5"), NULL), "del d['s5']");
	ok(!vdict_del(d.dict, v_cstr("s5"), NULL), "deleting a missing key fails");
	is_int(d.dict->live, 38, "38 entries left");
	struct buf order = BUF_INIT;
	for (uint32_t i = 0; i < d.dict->n && i < 6; i++) {
		if (d.dict->k[i].type == VT_UNDEF)
			continue;
		v_to_repr(d.dict->k[i], &order);
		buf_putc(&order, ' ');
	}
	is_str(buf_cstr(&order), "'s0' 7 's1' 14 's2' 21 ", "order after deletions");
	buf_release(&order);
	vdict_set(d.dict, v_int(0), v_cstr("back"));
	const struct ventry last_at = vdict_at(d.dict, d.dict->n - 1), *last = &last_at;
	ok(last->k.type == VT_INT && last->k.i == 0, "a re-inserted key goes to the end");
	all = true;
	for (int i = 1; i < 20; i++)
		all &= vdict_get(d.dict, v_int(i * 7), &got);
	all &= !vdict_get(d.dict, v_cstr("s5"), &got) && vdict_gets(d.dict, STR("s19"), &got);
	ok(all, "the index still finds every key after deletions");

	/* small dict: linear path; delete everything */
	value s = v_dict(&A, 0);
	vdict_set(s.dict, v_none(), v_int(1));
	vdict_set(s.dict, v_tuple(&A, 0, NULL), v_int(2));
	ok(vdict_get(s.dict, v_none(), &got) && got.i == 1, "None is a key");
	ok(vdict_get(s.dict, v_tuple(&A, 0, NULL), &got) && got.i == 2, "() is a key");
	vdict_del(s.dict, v_none(), NULL);
	vdict_del(s.dict, v_tuple(&A, 0, NULL), NULL);
	ok(s.dict->live == 0 && !vdict_get(s.dict, v_none(), &got), "a dict can be emptied");
}

static void test_compare(void)
{
	int c = 9;
	ok(v_compare(v_int(1), v_int(2), &c) == 0 && c == -1, "1 < 2");
	ok(v_compare(v_float(2.5), v_int(2), &c) == 0 && c == 1, "2.5 > 2");
	ok(v_compare(v_bool(true), v_float(1.0), &c) == 0 && c == 0, "True == 1.0 in ordering");
	ok(v_compare(v_int(INT64_MIN), v_int(INT64_MAX), &c) == 0 && c == -1, "int64 min < max");
	ok(v_compare(v_cstr("B"), v_cstr("a"), &c) == 0 && c == -1, "'B' < 'a'");
	ok(v_compare(v_cstr("z"), v_cstr("é"), &c) == 0 && c == -1, "'z' < 'é' (code points)");
	ok(v_compare(v_cstr("\xef\xbf\xbf"), v_cstr("\xf0\x9f\x98\x80"), &c) == 0 && c == -1,
	   "'\\uffff' < '\\U0001f600'");
	ok(v_compare(v_cstr("ab"), v_cstr("a"), &c) == 0 && c == 1, "'ab' > 'a'");
	value t1[] = {v_int(1), v_cstr("b")}, t2[] = {v_int(1), v_cstr("c")}, t3[] = {v_int(1)};
	ok(v_compare(v_tuple(&A, 2, t1), v_tuple(&A, 2, t2), &c) == 0 && c == -1,
	   "(1, 'b') < (1, 'c')");
	ok(v_compare(v_tuple(&A, 1, t3), v_tuple(&A, 2, t1), &c) == 0 && c == -1,
	   "(1,) < (1, 'b')");
	ok(v_compare(v_cstr("a"), v_int(1), &c) == -1, "'a' < 1 is a TypeError");
	ok(v_compare(v_none(), v_none(), &c) == -1, "None < None is a TypeError");
	ok(v_compare(list_of(1, t3), v_tuple(&A, 1, t3), &c) == -1, "[1] < (1,) is a TypeError");
}

static void test_repr(void)
{
	is_str(repr(v_cstr("a")), "'a'", "repr('a')");
	is_str(repr(v_cstr("it's")), "\"it's\"", "repr(\"it's\") picks double quotes");
	is_str(repr(v_cstr("say \"x\"")), "'say \"x\"'", "repr('say \"x\"')");
	is_str(repr(v_cstr("both ' \"")), "'both \\' \"'", "repr with both quotes escapes '");
	is_str(repr(v_cstr("\n\t\r\\")), "'\\n\\t\\r\\\\'", "repr escapes \\n \\t \\r \\\\");
	is_str(repr(v_cstr("\x01\x7f\x1f")), "'\\x01\\x7f\\x1f'", "repr of control characters");
	is_str(repr(v_cstr("\xc2\x80\xc2\x9f")), "'\\x80\\x9f'", "repr of C1 controls");
	is_str(repr(v_cstr("é€😀")), "'é€😀'", "repr keeps printable non-ASCII");
	is_str(repr(v_cstr("")), "''", "repr('')");
	is_str(str(v_cstr("it's")), "it's", "str of a string is the string");
	value items[] = {v_int(1), v_float(2.5), v_none(), v_bool(true)};
	value d = v_dict(&A, 0);
	vdict_sets(d.dict, "a", list_of(4, items));
	is_str(repr(d), "{'a': [1, 2.5, None, True]}", "nested dict repr");
	value one = v_int(1);
	is_str(repr(v_tuple(&A, 1, &one)), "(1,)", "repr((1,))");
	is_str(repr(v_tuple(&A, 0, NULL)), "()", "repr(())");
	value two[] = {v_int(1), v_int(2)};
	is_str(repr(v_tuple(&A, 2, two)), "(1, 2)", "repr((1, 2))");
	value inner[] = {v_int(2), v_cstr("x")};
	value kd = v_dict(&A, 0);
	vdict_sets(kd.dict, "k", v_tuple(&A, 2, inner));
	value mixed[] = {v_tuple(&A, 1, &one), kd};
	is_str(repr(list_of(2, mixed)), "[(1,), {'k': (2, 'x')}]", "tuples inside lists and dicts");
	value sl[] = {v_cstr("a"), v_float(1.0)};
	is_str(str(list_of(2, sl)), "['a', 1.0]", "str of a list uses repr for its items");
	value nk = v_dict(&A, 0);
	vdict_set(nk.dict, v_int(1), v_cstr("a"));
	vdict_sets(nk.dict, "b", v_float(2.0));
	vdict_set(nk.dict, v_none(), v_bool(false));
	is_str(repr(nk), "{1: 'a', 'b': 2.0, None: False}", "dict with int, str and None keys");
	is_str(repr(v_int(INT64_MIN)), "-9223372036854775808", "repr of int64 min");
	is_str(v_type_name(v_tuple(&A, 0, NULL)), "tuple", "type name of a tuple");
	is_str(v_type_name(v_none()), "NoneType", "type name of None");
	ok(!v_truthy(v_float(0.0)) && v_truthy(v_float(NAN)) && !v_truthy(v_cstr("")) &&
	       !v_truthy(v_dict(&A, 0)) && v_truthy(v_tuple(&A, 1, &one)),
	   "truthiness: 0.0, '' and {} are false; nan and (1,) are true");
}

/* fmt_double against repr(float) of CPython 3.11; doubles given by their bits. */
static const struct {
	uint64_t bits;
	const char *want;
} floats[] = {
    {0x0000000000000000ULL, "0.0"},
    {0x8000000000000000ULL, "-0.0"},
    {0x3ff0000000000000ULL, "1.0"},
    {0xbff0000000000000ULL, "-1.0"},
    {0x3fb999999999999aULL, "0.1"},
    {0x3fc999999999999aULL, "0.2"},
    {0x3fd3333333333334ULL, "0.30000000000000004"}, /* 0.1+0.2 */
    {0x3fd5555555555555ULL, "0.3333333333333333"},
    {0x3fe5555555555555ULL, "0.6666666666666666"},
    {0x4004000000000000ULL, "2.5"},
    {0x4059000000000000ULL, "100.0"},
    {0x4341c37937e08000ULL, "1e+16"},
    {0x430c6bf526340000ULL, "1000000000000000.0"},
    {0x4341c37937e07fffULL, "9999999999999998.0"},
    {0x4376345785d8a000ULL, "1e+17"},
    {0x437b69b4ba630f35ULL, "1.2345678901234568e+17"},
    {0x3f1a36e2eb1c432dULL, "0.0001"},
    {0x3ee4f8b588e368f1ULL, "1e-05"},
    {0x3f1f75104d551d69ULL, "0.00012"},
    {0x3eef75104d551d69ULL, "1.5e-05"},
    {0x3e7ad7f29abcaf48ULL, "1e-07"},
    {0x0000000000000001ULL, "5e-324"},
    {0x0000000000000003ULL, "1.5e-323"},
    {0x000012688b70e62bULL, "1e-310"},
    {0x00000000000013c4ULL, "2.5e-320"},
    {0x0000e3438f2fae29ULL, "1.2345678e-309"},
    {0x41d9d1275c07e6b4ULL, "1732550000.123456"},
    {0x3fd3333333333334ULL, "0.30000000000000004"},
    {0x0010000000000000ULL, "2.2250738585072014e-308"},
    {0x7fefffffffffffffULL, "1.7976931348623157e+308"},
    {0x4480f0cf064dd592ULL, "1e+22"},
    {0x44b52d02c7e14af6ULL, "1e+23"},
    {0x7e37e43c8800759cULL, "1e+300"},
    {0x81a56e1fc2f8f359ULL, "-1e-300"},
    {0x419d6f34547df3b6ULL, "123456789.123"},
    {0x400921fb54442d18ULL, "3.141592653589793"},
    {0x4340000000000000ULL, "9007199254740992.0"},     /* 2**53 */
    {0x43e0000000000000ULL, "9.223372036854776e+18"},  /* 2**63 */
    {0x43f0000000000000ULL, "1.8446744073709552e+19"}, /* 2**64 */
    {0x3fd3333333333333ULL, "0.3"},
    {0x3ff199999999999aULL, "1.1"},
    {0x40c81cd6c8b43958ULL, "12345.678"},
    {0x444b1ae4d6e2ef50ULL, "1e+21"},
    {0x44dfe185ca57c517ULL, "6.02214076e+23"},
    {0x4011666666666666ULL, "4.35"},
    {0x3fa1eb851eb851ecULL, "0.035"},
    {0x3f0a36e2eb1c432dULL, "5e-05"},
    {0x43118b54f22aeb03ULL, "1234567890123456.8"},
    {0x7ff0000000000000ULL, "inf"},
    {0xfff0000000000000ULL, "-inf"},
    {0x7ff8000000000000ULL, "nan"},
    {0x3ff0000000000001ULL, "1.0000000000000002"},
    {0x3fefffffffffffffULL, "0.9999999999999999"},
    {0x41b1de784a000000ULL, "299792458.0"},
    {0x3ff8000000000000ULL, "1.5"},
    {0xc006000000000000ULL, "-2.75"},
    {0x40f0000000000000ULL, "65536.0"},
    {0x41f0000000000000ULL, "4294967296.0"},
    {0x54b249ad2594c37dULL, "1e+100"},
    {0x0c0c45b72741e14cULL, "1.234e-250"},
    /* powers of two where Python's shortest repr is the decimal just above the value */
    {0x3e70000000000000ULL, "5.960464477539063e-08"},  /* 2**-24 */
    {0x4580000000000000ULL, "6.189700196426902e+26"},  /* 2**89 */
    {0x3d30000000000000ULL, "5.684341886080802e-14"},  /* 2**-44 */
    {0x0060000000000000ULL, "7.120236347223045e-307"}, /* 2**-1017 */
    {0x4790000000000000ULL, "5.316911983139664e+36"},  /* 2**122 */
};

static void test_fmt_double(void)
{
	int bad = 0;
	for (size_t i = 0; i < ARRAY_LEN(floats); i++) {
		double f;
		char out[32];
		memcpy(&f, &floats[i].bits, sizeof(f));
		int n = fmt_double(f, out);
		if (strcmp(out, floats[i].want) || n != (int)strlen(out)) {
			printf("#   fmt_double(0x%016llx) = %s, Python: %s\n",
			       (unsigned long long)floats[i].bits, out, floats[i].want);
			bad++;
		}
	}
	ok(bad == 0, "fmt_double matches Python's repr for %zu doubles", ARRAY_LEN(floats));
	is_str(repr(v_float(1e16)), "1e+16", "repr(1e16) goes through fmt_double");
}

static void test_python_repr_edges(void)
{
	is_str(repr(v_cstr("\xc2\xa0")), "'\\xa0'",
	       "repr('\\xa0'): NO-BREAK SPACE is not printable");
	is_str(repr(v_cstr("\xc2\xad")), "'\\xad'", "repr('\\xad'): SOFT HYPHEN (Cf)");
	is_str(repr(v_cstr("\xe2\x80\xa8")), "'\\u2028'", "repr('\\u2028'): LINE SEPARATOR");
	is_str(repr(v_cstr("\xe2\x80\x8b")), "'\\u200b'", "repr('\\u200b'): ZERO WIDTH SPACE");
	is_str(repr(v_cstr("\xef\xbb\xbf")), "'\\ufeff'", "repr('\\ufeff')");
	is_str(repr(v_cstr("\xf3\xa0\x80\x81")), "'\\U000e0001'", "repr('\\U000e0001')");
	volatile double big = 1e300;
	ok(v_hash(v_float(big)) != 0, "v_hash(1e300) (UB: float-cast-overflow under clang UBSan)");
}

static void test_copy(void)
{
	struct arena b;
	arena_init(&b);
	value inner = v_list(&b, 0);
	vlist_push(inner.list, v_strdup(&b, "deep", 4));
	value d = v_dict(&b, 0);
	vdict_set(d.dict, v_strdup(&b, "k", 1), inner);
	value one = v_int(1);
	vdict_set(d.dict, v_tuple(&b, 1, &one), v_float(0.5));
	value c = value_copy(&A, d);
	arena_release(&b); /* the copy must not point into b */
	is_str(repr(c), "{'k': ['deep'], (1,): 0.5}", "value_copy is deep");
}

void test_value(void)
{
	arena_init(&A);
	test_equality();
	test_dict();
	test_compare();
	test_repr();
	test_fmt_double();
	test_copy();
	test_python_repr_edges();
	arena_release(&A);
}
