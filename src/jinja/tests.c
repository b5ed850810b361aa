/* Jinja2's builtin tests (`x is name(args)`), with Python's semantics for each. */
#include "jinja_int.h"
#include "builtins_int.h"


static int no_args(struct jstate *st, const char *name, const struct vargs *args)
{
	return jb_bind(st, name, args, "", NULL, NULL);
}

#define SIMPLE_TEST(fname, expr)                                                                   \
	static int t_##fname(struct jstate *st, value v, const struct vargs *args, bool *out)      \
	{                                                                                          \
		if (no_args(st, "test_" #fname, args) < 0)                                         \
			return -1;                                                                 \
		*out = (expr);                                                                     \
		return 0;                                                                          \
	}

SIMPLE_TEST(defined, v.type != VT_UNDEF)
SIMPLE_TEST(undefined, v.type == VT_UNDEF)
SIMPLE_TEST(none, v.type == VT_NONE)
SIMPLE_TEST(boolean, v.type == VT_BOOL)
SIMPLE_TEST(false, v.type == VT_BOOL && !v.b)
SIMPLE_TEST(true, v.type == VT_BOOL && v.b)
SIMPLE_TEST(integer, v.type == VT_INT)
SIMPLE_TEST(float, v.type == VT_FLOAT)
SIMPLE_TEST(string, v.type == VT_STR)
SIMPLE_TEST(mapping, v.type == VT_DICT && !(v.flags & VF_NAMESPACE))
SIMPLE_TEST(number, v.type == VT_INT || v.type == VT_FLOAT || v.type == VT_BOOL)
SIMPLE_TEST(escaped, v.type == VT_STR && (v.flags & VF_SAFE))

static bool is_callable(value v)
{
	return v.type == VT_FUNC || v.type == VT_MACRO ||
	       (v.type == VT_OBJ && v.obj->cls->call != NULL);
}
SIMPLE_TEST(callable, is_callable(v))

/* len(v) and v.__getitem__ both exist */
static bool is_sequence(value v)
{
	switch (v.type) {
	case VT_UNDEF:
	case VT_STR:
	case VT_LIST:
		return true;
	case VT_DICT:
		return !(v.flags & VF_NAMESPACE);
	case VT_OBJ:
		return strcmp(v.obj->cls->name, "range") == 0;
	default:
		return false;
	}
}
SIMPLE_TEST(sequence, is_sequence(v))

static bool is_iterable(value v)
{
	switch (v.type) {
	case VT_UNDEF:
	case VT_STR:
	case VT_LIST:
		return true;
	case VT_DICT:
		return !(v.flags & VF_NAMESPACE);
	case VT_OBJ:
		return v.obj->cls->iter != NULL;
	default:
		return false;
	}
}
SIMPLE_TEST(iterable, is_iterable(v))

static int str_of(struct jstate *st, value v, struct buf *b)
{
	(void)st;
	jinja_to_str(v, b);
	return 0;
}

static int t_lower(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	if (no_args(st, "test_lower", args) < 0)
		return -1;
	struct buf b = BUF_INIT;
	str_of(st, v, &b);
	*out = jb_str_islower(buf_str(&b));
	buf_release(&b);
	return 0;
}

static int t_upper(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	if (no_args(st, "test_upper", args) < 0)
		return -1;
	struct buf b = BUF_INIT;
	str_of(st, v, &b);
	*out = jb_str_isupper(buf_str(&b));
	buf_release(&b);
	return 0;
}

/* value % num == rem */
static int mod_is(struct jstate *st, value v, value num, int64_t rem, bool *out)
{
	value r;
	if (v.type == VT_UNDEF)
		return jinja_undefined_error(st, v);
	if (jinja_binop(st, OP_MOD, v, num, &r) < 0)
		return -1;
	*out = v_equal(r, v_int(rem));
	return 0;
}

static int t_odd(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	if (no_args(st, "test_odd", args) < 0)
		return -1;
	return mod_is(st, v, v_int(2), 1, out);
}

static int t_even(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	if (no_args(st, "test_even", args) < 0)
		return -1;
	return mod_is(st, v, v_int(2), 0, out);
}

static int t_divisibleby(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	value a[1];
	if (jb_bind(st, "test_divisibleby", args, "!num", a, NULL) < 0)
		return -1;
	if (a[0].type == VT_UNDEF)
		return jinja_undefined_error(st, a[0]);
	return mod_is(st, v, a[0], 0, out);
}

static int t_sameas(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	value a[1];
	if (jb_bind(st, "test_sameas", args, "!other", a, NULL) < 0)
		return -1;
	value o = a[0];
	bool r = false;
	if (v.type == o.type) {
		switch (v.type) {
		case VT_NONE:
			r = true;
			break;
		case VT_UNDEF: /* every reference makes a new Undefined */
			r = false;
			break;
		case VT_BOOL:
			r = v.b == o.b;
			break;
		case VT_INT:
			/* CPython caches the small ints */
			r = v.i == o.i && v.i >= -5 && v.i <= 256;
			break;
		case VT_FLOAT:
			r = memcmp(&v.f, &o.f, sizeof(double)) == 0;
			break;
		case VT_STR:
			r = v.len == o.len && (v.s == o.s || (v.len <= 1 && !memcmp(v.s, o.s, v.len)));
			break;
		default:
			r = v.ptr == o.ptr;
			break;
		}
	}
	*out = r;
	return 0;
}

static int t_in(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	value a[1];
	if (jb_bind(st, "test_in", args, "!seq", a, NULL) < 0)
		return -1;
	return jb_compare(st, OP_IN, v, a[0], out);
}

static int t_filter(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	if (no_args(st, "test_filter", args) < 0)
		return -1;
	*out = v.type == VT_STR && jinja_find_filter(v_as_str(v)) != NULL;
	return 0;
}

static int t_test(struct jstate *st, value v, const struct vargs *args, bool *out)
{
	if (no_args(st, "test_test", args) < 0)
		return -1;
	*out = v.type == VT_STR && jinja_find_test(v_as_str(v)) != NULL;
	return 0;
}

/* operator.eq etc.: positional only */
static int cmp_test(struct jstate *st, value v, const struct vargs *args, bool *out, int op,
                    const char *name)
{
	value a[1];
	if (jb_bind(st, name, args, "!b,/", a, NULL) < 0)
		return -1;
	return jb_compare(st, op, v, a[0], out);
}

#define CMP_TEST(fname, op)                                                                        \
	static int t_##fname(struct jstate *st, value v, const struct vargs *args, bool *out)      \
	{                                                                                          \
		return cmp_test(st, v, args, out, op, #fname);                                     \
	}
CMP_TEST(eq, OP_EQ)
CMP_TEST(ne, OP_NE)
CMP_TEST(lt, OP_LT)
CMP_TEST(le, OP_LE)
CMP_TEST(gt, OP_GT)
CMP_TEST(ge, OP_GE)

/* sorted by name (strcmp order) for binary search */
static const struct jinja_test tests[] = {
	{ "!=", t_ne },
	{ "<", t_lt },
	{ "<=", t_le },
	{ "==", t_eq },
	{ ">", t_gt },
	{ ">=", t_ge },
	{ "boolean", t_boolean },
	{ "callable", t_callable },
	{ "defined", t_defined },
	{ "divisibleby", t_divisibleby },
	{ "eq", t_eq },
	{ "equalto", t_eq },
	{ "escaped", t_escaped },
	{ "even", t_even },
	{ "false", t_false },
	{ "filter", t_filter },
	{ "float", t_float },
	{ "ge", t_ge },
	{ "greaterthan", t_gt },
	{ "gt", t_gt },
	{ "in", t_in },
	{ "integer", t_integer },
	{ "iterable", t_iterable },
	{ "le", t_le },
	{ "lessthan", t_lt },
	{ "lower", t_lower },
	{ "lt", t_lt },
	{ "mapping", t_mapping },
	{ "ne", t_ne },
	{ "none", t_none },
	{ "number", t_number },
	{ "odd", t_odd },
	{ "sameas", t_sameas },
	{ "sequence", t_sequence },
	{ "string", t_string },
	{ "test", t_test },
	{ "true", t_true },
	{ "undefined", t_undefined },
	{ "upper", t_upper },
};

const struct jinja_test *jinja_find_test(struct str name)
{
	size_t lo = 0, hi = ARRAY_LEN(tests);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = str_cmp(name, str_from(tests[mid].name));
		if (!c)
			return &tests[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
