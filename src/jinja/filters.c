/* Jinja2 3.1's builtin filters, with Python's semantics (argument names, Undefined handling,
 * error messages), plus dbt's as_bool / as_number / as_native / as_text.
 *
 * Filters that Jinja2 implements as generators (map, select, reject, selectattr, rejectattr,
 * unique, batch, slice, items, reverse) return one-shot iterator objects (jb_iterator): they are
 * truthy, print as `<generator object ...>`, have no len(), and iterate once, as in Python. */
#include <ctype.h>
#include <math.h>
#include <regex.h>

#include "jinja_int.h"
#include "builtins_int.h"
#include "../json/json.h"

/* shared helpers (methods.c, format.c, globals.c) */

#define IT_GENERATOR 0
#define IT_LIST_REVERSE 1
#define IT_REVERSED 2
#define IT_DICT_REVERSE 3

/* Jinja2 Undefined carrying a hint: the interpreter's convention (flags 1 = whole message). */
#define UNDEF_HINT 1

static const struct vargs no_args = { NULL, 0, 0, NULL };

static value undef_hint(struct jstate *st, const char *msg)
{
	size_t n = strlen(msg);
	value u = v_undef_named(arena_strndup(jinja_arena(st), msg, n), n);
	u.flags = UNDEF_HINT;
	return u;
}

/* soft_str: strings as they are (Markup kept), anything else str()'d (Undefined → ''). */
static value soft_str(struct jstate *st, value v)
{
	if (v.type == VT_STR)
		return v;
	return jinja_str_value(st, v);
}

static value str_value(struct jstate *st, value v)
{
	value s = soft_str(st, v);
	s.flags &= (uint8_t)~VF_SAFE;
	return s;
}

static int call_str_method(struct jstate *st, value s, const char *name, const struct vargs *args,
                           value *out)
{
	int r = jinja_call_method(st, s, str_from(name), args ? args : &no_args, out);
	return r < 0 ? -1 : 0;
}

static bool is_namespace(value v) { return v.type == VT_DICT && (v.flags & VF_NAMESPACE); }

/* iter(v) materialised; Python's TypeError for non-iterables. */
static int to_items(struct jstate *st, value v, value *out)
{
	if (is_namespace(v))
		return jinja_error(st, "'Namespace' object is not iterable");
	return jinja_iterate(st, v, out);
}

/* A fresh list with the items of v (safe to mutate). */
static int to_new_list(struct jstate *st, value v, value *out)
{
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	value l = v_list(jinja_arena(st), items.list->n);
	if (items.list->n)
		memcpy(l.list->v, items.list->v, items.list->n * sizeof(value));
	l.list->n = items.list->n;
	*out = l;
	return 0;
}

/* len(v), or -1 with Python's TypeError */
static int py_len(struct jstate *st, value v, int64_t *out)
{
	int64_t n;
	switch (v.type) {
	case VT_UNDEF:
		*out = 0;
		return 0;
	case VT_STR:
		*out = (int64_t)jb_cplen(v.s, v.len);
		return 0;
	case VT_LIST:
		*out = v.list->n;
		return 0;
	case VT_DICT:
		if (is_namespace(v))
			break;
		*out = v.dict->live;
		return 0;
	case VT_OBJ:
		if (v.obj->cls->len) {
			*out = v.obj->cls->len(v);
			return 0;
		}
		if (jb_range_info(v, NULL, NULL, NULL, &n)) {
			*out = n;
			return 0;
		}
		value d;
		if (jb_dict_view(v, &d)) {
			*out = d.dict->live;
			return 0;
		}
		if (!strcmp(v.obj->cls->name, "_GroupTuple")) {
			*out = 2;
			return 0;
		}
		if (!strcmp(v.obj->cls->name, "LoopContext") && v.obj->cls->getattr) {
			value l;
			if (v.obj->cls->getattr(st, v, STR("length"), &l) < 0)
				return -1;
			if (l.type == VT_INT) {
				*out = l.i;
				return 0;
			}
		}
		break;
	default:
		break;
	}
	return jinja_error(st, "object of type '%s' has no len()", v_type_name(v));
}

/* ---- attribute getters (make_attrgetter / make_multi_attrgetter) ---- */

struct getter {
	uint32_t ngroups;
	uint32_t *nparts; /* per group */
	value **parts;    /* per group: str or int keys */
	value dflt;       /* used when a part gives undefined (VT_NONE = none) */
	bool lower;
};

static bool digits_only(struct str s)
{
	if (!s.n)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	return true;
}

static void parse_parts(struct jstate *st, value attr, value **parts, uint32_t *n)
{
	struct arena *a = jinja_arena(st);
	if (attr.type == VT_NONE || attr.type == VT_UNDEF) {
		*parts = NULL;
		*n = 0;
		return;
	}
	if (attr.type != VT_STR) {
		*parts = arena_alloc(a, sizeof(value));
		(*parts)[0] = attr;
		*n = 1;
		return;
	}
	uint32_t cnt = 1;
	for (uint32_t i = 0; i < attr.len; i++)
		cnt += attr.s[i] == '.';
	value *p = arena_alloc(a, cnt * sizeof(value));
	uint32_t k = 0;
	size_t s = 0;
	for (size_t i = 0; i <= attr.len; i++) {
		if (i < attr.len && attr.s[i] != '.')
			continue;
		struct str part = str_make(attr.s + s, i - s);
		if (digits_only(part)) {
			int64_t v = 0;
			for (size_t j = 0; j < part.n && v < INT64_MAX / 10 - 10; j++)
				v = v * 10 + (part.p[j] - '0');
			p[k++] = v_int(v);
		} else {
			p[k++] = v_strs(part);
		}
		s = i + 1;
	}
	*parts = p;
	*n = k;
}

static void getter_init(struct jstate *st, struct getter *g, value attr, value dflt, bool lower,
                        bool multi)
{
	struct arena *a = jinja_arena(st);
	g->dflt = dflt;
	g->lower = lower;
	if (multi && attr.type == VT_STR) {
		uint32_t cnt = 1;
		for (uint32_t i = 0; i < attr.len; i++)
			cnt += attr.s[i] == ',';
		g->ngroups = cnt;
		g->parts = arena_alloc(a, cnt * sizeof(value *));
		g->nparts = arena_alloc(a, cnt * sizeof(uint32_t));
		size_t s = 0;
		uint32_t k = 0;
		for (size_t i = 0; i <= attr.len; i++) {
			if (i < attr.len && attr.s[i] != ',')
				continue;
			parse_parts(st, v_str(attr.s + s, i - s), &g->parts[k], &g->nparts[k]);
			k++;
			s = i + 1;
		}
		return;
	}
	g->ngroups = 1;
	g->parts = arena_alloc(a, sizeof(value *));
	g->nparts = arena_alloc(a, sizeof(uint32_t));
	parse_parts(st, attr, &g->parts[0], &g->nparts[0]);
}

static int getter_group(struct jstate *st, const struct getter *g, uint32_t grp, value item,
                        value *out)
{
	for (uint32_t i = 0; i < g->nparts[grp]; i++) {
		if (jinja_getitem(st, item, g->parts[grp][i], &item) < 0)
			return -1;
		if (g->dflt.type != VT_NONE && item.type == VT_UNDEF)
			item = g->dflt;
	}
	*out = g->lower ? jb_ignore_case(st, item) : item;
	return 0;
}

/* A single value for one group, a list of values for several. */
static int getter_apply(struct jstate *st, const struct getter *g, value item, value *out)
{
	if (g->ngroups == 1)
		return getter_group(st, g, 0, item, out);
	value l = v_list(jinja_arena(st), g->ngroups);
	for (uint32_t k = 0; k < g->ngroups; k++) {
		if (getter_group(st, g, k, item, &l.list->v[k]) < 0)
			return -1;
	}
	l.list->n = g->ngroups;
	*out = l;
	return 0;
}

/* ---- HTML escaping ---- */

static void escape_into(struct str s, struct buf *out)
{
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		switch (c) {
		case '&':
			buf_puts(out, "&amp;");
			break;
		case '<':
			buf_puts(out, "&lt;");
			break;
		case '>':
			buf_puts(out, "&gt;");
			break;
		case '"':
			buf_puts(out, "&#34;");
			break;
		case '\'':
			buf_puts(out, "&#39;");
			break;
		default:
			buf_putc(out, c);
		}
	}
}

static value escape_value(struct jstate *st, value v, bool force)
{
	if (!force && v.type == VT_STR && (v.flags & VF_SAFE))
		return v;
	value s = soft_str(st, v);
	struct buf b = BUF_INIT;
	escape_into(v_as_str(s), &b);
	value r = jb_strval(st, &b);
	r.flags |= VF_SAFE;
	return r;
}

/* ---- the filters ---- */

#define FILTER(name) static int f_##name(struct jstate *st, value v, const struct vargs *args, value *out)

FILTER(abs)
{
	if (jb_bind(st, "do_abs", args, "", NULL, NULL) < 0)
		return -1;
	switch (v.type) {
	case VT_INT:
		*out = v.i == INT64_MIN ? v_float(9223372036854775808.0) : v_int(v.i < 0 ? -v.i : v.i);
		return 0;
	case VT_BOOL:
		*out = v_int(v.b);
		return 0;
	case VT_FLOAT:
		*out = v_float(fabs(v.f));
		return 0;
	case VT_UNDEF:
		return jinja_undefined_error(st, v);
	default:
		return jinja_error(st, "bad operand type for abs(): '%s'", v_type_name(v));
	}
}

FILTER(attr)
{
	value a[1];
	if (jb_bind(st, "do_attr", args, "!name", a, NULL) < 0)
		return -1;
	if (a[0].type != VT_STR)
		return jinja_error(st, "attribute name must be string, not '%s'", v_type_name(a[0]));
	struct str name = v_as_str(a[0]);
	if (v.type == VT_UNDEF)
		return jinja_undefined_error(st, v);
	bool has = false;
	if (v.type == VT_OBJ || is_namespace(v)) {
		has = true; /* the object's own attributes */
	} else if (jinja_has_method(v, name)) {
		has = true;
	}
	if (has) {
		if (is_namespace(v)) {
			value r;
			if (vdict_gets(v.dict, name, &r)) {
				*out = r;
				return 0;
			}
		} else if (!(name.n && name.p[0] == '_')) {
			return jinja_getattr(st, v, name, out);
		}
	}
	struct buf b = BUF_INIT;
	buf_printf(&b, "'%s object' has no attribute '%.*s'", v_type_name(v), (int)name.n, name.p);
	*out = undef_hint(st, buf_cstr(&b));
	buf_release(&b);
	return 0;
}

FILTER(batch)
{
	value a[2] = { v_none(), v_none() };
	if (jb_bind(st, "do_batch", args, "!linecount,fill_with", a, NULL) < 0)
		return -1;
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	struct arena *ar = jinja_arena(st);
	value res = v_list(ar, 4), tmp = v_list(ar, 4);
	for (uint32_t i = 0; i < items.list->n; i++) {
		if (v_equal(v_int(tmp.list->n), a[0])) {
			vlist_push(res.list, tmp);
			tmp = v_list(ar, 4);
		}
		vlist_push(tmp.list, items.list->v[i]);
	}
	if (tmp.list->n) {
		bool short_;
		if (a[1].type != VT_NONE) {
			if (jb_compare(st, OP_LT, v_int(tmp.list->n), a[0], &short_) < 0)
				return -1;
			if (short_) {
				int64_t lc;
				if (jb_index_arg(st, a[0], &lc) < 0)
					return -1;
				if (lc > 10000000)
					return jinja_error(st, "result too large");
				while ((int64_t)tmp.list->n < lc)
					vlist_push(tmp.list, a[1]);
			}
		}
		vlist_push(res.list, tmp);
	}
	*out = jb_iterator(st, IT_GENERATOR, "do_batch", res);
	return 0;
}

FILTER(capitalize)
{
	if (jb_bind(st, "do_capitalize", args, "", NULL, NULL) < 0)
		return -1;
	return call_str_method(st, soft_str(st, v), "capitalize", NULL, out);
}

FILTER(center)
{
	value a[1] = { v_int(80) };
	if (jb_bind(st, "do_center", args, "width", a, NULL) < 0)
		return -1;
	struct vargs ca = { a, 1, 0, NULL };
	return call_str_method(st, soft_str(st, v), "center", &ca, out);
}

FILTER(length)
{
	if (jb_bind(st, "len", args, "", NULL, NULL) < 0)
		return -1;
	int64_t n;
	if (py_len(st, v, &n) < 0)
		return -1;
	*out = v_int(n);
	return 0;
}

FILTER(default)
{
	value a[2] = { v_str("", 0), v_bool(false) };
	if (jb_bind(st, "do_default", args, "default_value,boolean", a, NULL) < 0)
		return -1;
	if (v.type == VT_UNDEF || (v_truthy(a[1]) && !v_truthy(v)))
		*out = a[0];
	else
		*out = v;
	return 0;
}

FILTER(dictsort)
{
	value a[3] = { v_bool(false), v_str("key", 3), v_bool(false) };
	if (jb_bind(st, "do_dictsort", args, "case_sensitive,by,reverse", a, NULL) < 0)
		return -1;
	int pos;
	if (a[1].type == VT_STR && str_eqc(v_as_str(a[1]), "key"))
		pos = 0;
	else if (a[1].type == VT_STR && str_eqc(v_as_str(a[1]), "value"))
		pos = 1;
	else
		return jinja_error(st, "You can only sort by either \"key\" or \"value\"");
	if (v.type == VT_UNDEF)
		return jinja_undefined_error(st, v);
	if (v.type != VT_DICT || is_namespace(v))
		return jinja_error(st, "'%s' object has no attribute 'items'", v_type_name(v));
	struct arena *ar = jinja_arena(st);
	uint32_t n = v.dict->live, k = 0;
	value *items = xmalloc((n + 1) * sizeof(value)), *keys = xmalloc((n + 1) * sizeof(value));
	bool cs = v_truthy(a[0]);
	for (uint32_t i = 0; i < v.dict->n; i++) {
		const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
		if (e->k.type == VT_UNDEF)
			continue;
		value kv[2] = { e->k, e->v };
		items[k] = v_tuple(ar, 2, kv);
		keys[k] = cs ? kv[pos] : jb_ignore_case(st, kv[pos]);
		k++;
	}
	int rc = jb_list_sort(st, items, keys, n, v_truthy(a[2]));
	if (rc == 0) {
		value l = v_list(ar, n);
		if (n)
			memcpy(l.list->v, items, n * sizeof(value));
		l.list->n = n;
		*out = l;
	}
	free(items);
	free(keys);
	return rc;
}

FILTER(escape)
{
	if (jb_bind(st, "escape", args, "", NULL, NULL) < 0)
		return -1;
	*out = escape_value(st, v, false);
	return 0;
}

FILTER(forceescape)
{
	if (jb_bind(st, "do_forceescape", args, "", NULL, NULL) < 0)
		return -1;
	*out = escape_value(st, v, true);
	return 0;
}

/* Python float(x) for a string: 0 and *out, or -1 when it is not a float literal. */
static int parse_py_float(struct str s, double *out)
{
	struct str t = s;
	/* strip Unicode whitespace (ASCII is what matters) */
	while (t.n && (jb_isspace((unsigned char)t.p[0]) && (unsigned char)t.p[0] < 0x80)) {
		t.p++;
		t.n--;
	}
	while (t.n && (jb_isspace((unsigned char)t.p[t.n - 1]) && (unsigned char)t.p[t.n - 1] < 0x80))
		t.n--;
	if (!t.n || t.n > 400)
		return -1;
	char buf[512];
	size_t k = 0, i = 0;
	if (t.p[0] == '+' || t.p[0] == '-')
		buf[k++] = t.p[i++];
	struct str rest = str_make(t.p + i, t.n - i);
	char low[16];
	if (rest.n < sizeof(low)) {
		for (size_t j = 0; j < rest.n; j++)
			low[j] = (char)((rest.p[j] >= 'A' && rest.p[j] <= 'Z') ? rest.p[j] + 32 : rest.p[j]);
		low[rest.n] = 0;
		if (!strcmp(low, "inf") || !strcmp(low, "infinity")) {
			*out = buf[0] == '-' ? -INFINITY : INFINITY;
			return 0;
		}
		if (!strcmp(low, "nan")) {
			*out = NAN;
			return 0;
		}
	}
	/* digits [. digits] [e [+-] digits], underscores only between digits */
	bool digit_before = false, any = false;
	int state = 0; /* 0 int part, 1 fraction, 2 exponent sign, 3 exponent digits */
	for (; i < t.n; i++) {
		char c = t.p[i];
		if (c >= '0' && c <= '9') {
			buf[k++] = c;
			digit_before = true;
			if (state < 2)
				any = true;
			if (state == 2)
				state = 3;
		} else if (c == '_') {
			if (!digit_before || i + 1 >= t.n || t.p[i + 1] < '0' || t.p[i + 1] > '9')
				return -1;
		} else if (c == '.' && state == 0) {
			buf[k++] = c;
			state = 1;
			digit_before = false;
		} else if ((c == 'e' || c == 'E') && state <= 1 && any) {
			buf[k++] = 'e';
			state = 2;
			digit_before = false;
			if (i + 1 < t.n && (t.p[i + 1] == '+' || t.p[i + 1] == '-'))
				buf[k++] = t.p[++i];
		} else {
			return -1;
		}
	}
	if (!any || state == 2)
		return -1;
	buf[k] = 0;
	*out = strtod(buf, NULL);
	return 0;
}

/* Python int(s, base): 0, 1 (not an int literal) */
static int parse_py_int(struct str s, int64_t base, int64_t *out, bool *overflow)
{
	struct str t = s;
	*overflow = false;
	while (t.n && (unsigned char)t.p[0] < 0x80 && jb_isspace((unsigned char)t.p[0])) {
		t.p++;
		t.n--;
	}
	while (t.n && (unsigned char)t.p[t.n - 1] < 0x80 && jb_isspace((unsigned char)t.p[t.n - 1]))
		t.n--;
	size_t i = 0;
	bool neg = false;
	if (i < t.n && (t.p[i] == '+' || t.p[i] == '-'))
		neg = t.p[i++] == '-';
	if (i + 1 < t.n && t.p[i] == '0') {
		char p = (char)(t.p[i + 1] | 32);
		int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
		if (pb && (base == pb || base == 0)) {
			base = pb;
			i += 2;
			if (i < t.n && t.p[i] == '_')
				i++;
		}
	}
	if (base == 0) {
		base = 10;
		/* base 0: a decimal literal may not have leading zeros */
		if (i + 1 < t.n && t.p[i] == '0') {
			for (size_t j = i; j < t.n; j++)
				if (t.p[j] != '0' && t.p[j] != '_')
					return 1;
		}
	}
	if (i >= t.n)
		return 1;
	uint64_t v = 0;
	bool prev_digit = false;
	for (; i < t.n; i++) {
		char c = t.p[i];
		int d;
		if (c == '_') {
			if (!prev_digit || i + 1 >= t.n || t.p[i + 1] == '_')
				return 1;
			prev_digit = false;
			continue;
		}
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 32) >= 'a' && (c | 32) <= 'z')
			d = (c | 32) - 'a' + 10;
		else
			return 1;
		if (d >= base)
			return 1;
		prev_digit = true;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			*overflow = true;
		else
			v = v * (uint64_t)base + (uint64_t)d;
	}
	if (!prev_digit)
		return 1;
	if (v > (uint64_t)INT64_MAX + neg)
		*overflow = true;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

FILTER(float)
{
	value a[1] = { v_float(0.0) };
	if (jb_bind(st, "do_float", args, "default", a, NULL) < 0)
		return -1;
	double d;
	switch (v.type) {
	case VT_FLOAT:
		*out = v;
		return 0;
	case VT_INT:
		*out = v_float((double)v.i);
		return 0;
	case VT_BOOL:
		*out = v_float(v.b);
		return 0;
	case VT_STR:
		*out = parse_py_float(v_as_str(v), &d) == 0 ? v_float(d) : a[0];
		return 0;
	case VT_UNDEF:
		return jinja_undefined_error(st, v);
	default:
		*out = a[0];
		return 0;
	}
}

static int float_to_int(struct jstate *st, double d, value dflt, value *out)
{
	if (isnan(d)) {
		*out = dflt;
		return 0;
	}
	if (isinf(d))
		return jinja_error(st, "cannot convert float infinity to integer");
	double t = trunc(d);
	if (t >= 9223372036854775808.0 || t < -9223372036854775808.0)
		*out = v_float(t); /* beyond int64: the nearest we can carry */
	else
		*out = v_int((int64_t)t);
	return 0;
}

FILTER(int)
{
	value a[2] = { v_int(0), v_int(10) };
	if (jb_bind(st, "do_int", args, "default,base", a, NULL) < 0)
		return -1;
	switch (v.type) {
	case VT_INT:
		*out = v;
		return 0;
	case VT_BOOL:
		*out = v_int(v.b);
		return 0;
	case VT_FLOAT:
		return float_to_int(st, v.f, a[0], out);
	case VT_STR: {
		int64_t base, r;
		bool ovf;
		if (a[1].type != VT_INT && a[1].type != VT_BOOL) {
			if (a[1].type == VT_UNDEF)
				return jinja_undefined_error(st, a[1]);
			return jinja_error(st, "'%s' object cannot be interpreted as an integer",
			                   v_type_name(a[1]));
		}
		base = a[1].type == VT_INT ? a[1].i : a[1].b;
		if (base != 0 && (base < 2 || base > 36))
			return jinja_error(st, "int() base must be >= 2 and <= 36, or 0");
		if (parse_py_int(v_as_str(v), base, &r, &ovf) == 0) {
			if (ovf) {
				double d;
				if (parse_py_float(v_as_str(v), &d) == 0)
					*out = v_float(trunc(d));
				else
					*out = a[0];
			} else {
				*out = v_int(r);
			}
			return 0;
		}
		double d;
		if (parse_py_float(v_as_str(v), &d) == 0)
			return float_to_int(st, d, a[0], out);
		*out = a[0];
		return 0;
	}
	case VT_UNDEF:
		return jinja_undefined_error(st, v);
	default:
		*out = a[0];
		return 0;
	}
}

FILTER(first)
{
	if (jb_bind(st, "do_first", args, "", NULL, NULL) < 0)
		return -1;
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	if (!items.list->n)
		*out = undef_hint(st, "No first item, sequence was empty.");
	else
		*out = items.list->v[0];
	return 0;
}

FILTER(last)
{
	if (jb_bind(st, "do_last", args, "", NULL, NULL) < 0)
		return -1;
	value dv;
	if (v.type == VT_OBJ && !jb_range_info(v, NULL, NULL, NULL, NULL) &&
	    !jb_dict_view(v, &dv) && strcmp(v.obj->cls->name, "_GroupTuple") != 0)
		return jinja_error(st, "'%s' object is not reversible", v_type_name(v));
	if (v.type != VT_UNDEF && v.type != VT_STR && v.type != VT_LIST && v.type != VT_OBJ &&
	    (v.type != VT_DICT || is_namespace(v)))
		return jinja_error(st, "'%s' object is not reversible", v_type_name(v));
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	if (!items.list->n)
		*out = undef_hint(st, "No last item, sequence was empty.");
	else
		*out = items.list->v[items.list->n - 1];
	return 0;
}

FILTER(random)
{
	if (jb_bind(st, "do_random", args, "", NULL, NULL) < 0)
		return -1;
	if (v.type == VT_DICT && !is_namespace(v))
		return jinja_error(st, "0"); /* random.choice(dict) looks up an int key */
	if (v.type != VT_UNDEF && v.type != VT_STR && v.type != VT_LIST &&
	    !jb_range_info(v, NULL, NULL, NULL, NULL))
		return jinja_error(st, "object of type '%s' has no len()", v_type_name(v));
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	if (!items.list->n) {
		*out = undef_hint(st, "No random item, sequence was empty.");
		return 0;
	}
	/* any item will do; a cheap, deterministic choice */
	uint64_t h = (uint64_t)(uintptr_t)items.list * 0x9e3779b97f4a7c15ULL;
	*out = items.list->v[(h >> 33) % items.list->n];
	return 0;
}

FILTER(filesizeformat)
{
	value a[1] = { v_bool(false) };
	if (jb_bind(st, "do_filesizeformat", args, "binary", a, NULL) < 0)
		return -1;
	double bytes;
	if (v.type == VT_INT)
		bytes = (double)v.i;
	else if (v.type == VT_BOOL)
		bytes = v.b;
	else if (v.type == VT_FLOAT)
		bytes = v.f;
	else if (v.type == VT_STR) {
		if (parse_py_float(v_as_str(v), &bytes) < 0)
			return jinja_error(st, "could not convert string to float: %s",
			                   "the given value");
	} else if (v.type == VT_UNDEF)
		return jinja_undefined_error(st, v);
	else
		return jinja_error(st, "float() argument must be a string or a real number, not '%s'",
		                   v_type_name(v));
	bool bin = v_truthy(a[0]);
	double base = bin ? 1024 : 1000;
	static const char *const dec[] = { "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
	static const char *const bi[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB" };
	char tmp[64];
	if (bytes == 1) {
		*out = v_cstr("1 Byte");
		return 0;
	}
	if (bytes < base) {
		value iv;
		if (float_to_int(st, bytes, v_int(0), &iv) < 0)
			return -1;
		struct buf b = BUF_INIT;
		v_to_str(iv, &b);
		buf_puts(&b, " Bytes");
		*out = jb_strval(st, &b);
		return 0;
	}
	double unit = base;
	int i;
	for (i = 0; i < 8; i++) {
		unit = pow(base, i + 2);
		if (bytes < unit)
			break;
	}
	if (i == 8)
		i = 7;
	snprintf(tmp, sizeof(tmp), "%.1f %s", base * bytes / unit, bin ? bi[i] : dec[i]);
	*out = v_strdup(jinja_arena(st), tmp, strlen(tmp));
	return 0;
}

FILTER(format)
{
	if (args->npos && args->nkw)
		return jinja_error(st,
		                   "can't handle positional and keyword arguments at the same time");
	struct arena *ar = jinja_arena(st);
	value fargs;
	if (args->nkw) {
		fargs = v_dict(ar, args->nkw);
		for (uint32_t k = 0; k < args->nkw; k++)
			vdict_set(fargs.dict, v_strs(args->kw[k].name), args->kw[k].v);
	} else {
		fargs = v_tuple(ar, args->npos, args->pos);
	}
	value s = soft_str(st, v);
	return jinja_percent_format(st, v_as_str(s), fargs, out);
}

/* ---- groupby ---- */

struct group_data {
	value grouper, list;
};

static int group_iter(struct jstate *st, value self, value *out)
{
	const struct group_data *g = self.obj->data;
	value t[2] = { g->grouper, g->list };
	*out = v_tuple(jinja_arena(st), 2, t);
	return 0;
}

static void group_repr(value self, struct buf *out)
{
	const struct group_data *g = self.obj->data;
	buf_putc(out, '(');
	v_to_repr(g->grouper, out);
	buf_puts(out, ", ");
	v_to_repr(g->list, out);
	buf_putc(out, ')');
}

static int group_getattr(struct jstate *st, value self, struct str name, value *out)
{
	(void)st;
	const struct group_data *g = self.obj->data;
	if (str_eqc(name, "grouper"))
		*out = g->grouper;
	else if (str_eqc(name, "list"))
		*out = g->list;
	else
		return 0;
	return 1;
}

static bool group_equal(value a, value b)
{
	const struct group_data *x = a.obj->data, *y = b.obj->data;
	return v_equal(x->grouper, y->grouper) && v_equal(x->list, y->list);
}

static const struct vclass group_class = {
	.name = "_GroupTuple",
	.getattr = group_getattr,
	.str = group_repr,
	.repr = group_repr,
	.iter = group_iter,
	.equal = group_equal,
};

FILTER(groupby)
{
	value a[3] = { v_none(), v_none(), v_bool(false) };
	if (jb_bind(st, "do_groupby", args, "!attribute,default,case_sensitive", a, NULL) < 0)
		return -1;
	bool cs = v_truthy(a[2]);
	struct getter g, gout;
	getter_init(st, &g, a[0], a[1], !cs, false);
	getter_init(st, &gout, a[0], a[1], false, false);
	value items;
	if (to_new_list(st, v, &items) < 0)
		return -1;
	uint32_t n = items.list->n;
	value *keys = xmalloc((n + 1) * sizeof(value));
	for (uint32_t i = 0; i < n; i++)
		if (getter_apply(st, &g, items.list->v[i], &keys[i]) < 0) {
			free(keys);
			return -1;
		}
	if (jb_list_sort(st, items.list->v, keys, n, false) < 0) {
		free(keys);
		return -1;
	}
	struct arena *ar = jinja_arena(st);
	value res = v_list(ar, 4);
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i + 1;
		while (j < n && v_equal(keys[j], keys[i]))
			j++;
		struct group_data *gd = arena_alloc(ar, sizeof(*gd));
		gd->list = v_list(ar, j - i);
		memcpy(gd->list.list->v, items.list->v + i, (j - i) * sizeof(value));
		gd->list.list->n = j - i;
		if (cs) {
			gd->grouper = keys[i];
		} else if (getter_apply(st, &gout, items.list->v[i], &gd->grouper) < 0) {
			free(keys);
			return -1;
		}
		vlist_push(res.list, v_obj(ar, &group_class, gd));
		i = j;
	}
	free(keys);
	*out = res;
	return 0;
}

FILTER(indent)
{
	value a[3] = { v_int(4), v_bool(false), v_bool(false) };
	if (jb_bind(st, "do_indent", args, "width,first,blank", a, NULL) < 0)
		return -1;
	if (v.type != VT_STR) {
		if (v.type == VT_UNDEF)
			return jinja_undefined_error(st, v);
		return jinja_error(st, "unsupported operand type(s) for +=: '%s' and 'str'",
		                   v_type_name(v));
	}
	struct buf ind = BUF_INIT;
	if (a[0].type == VT_STR) {
		buf_append(&ind, a[0].s, a[0].len);
	} else {
		int64_t w;
		if (jb_index_arg(st, a[0], &w) < 0) {
			if (a[0].type != VT_FLOAT)
				return -1;
			return -1; /* ' ' * float: TypeError already recorded */
		}
		if (jb_check_size(st, w > 0 ? (uint64_t)w : 0) < 0) {
			buf_release(&ind);
			return -1;
		}
		for (int64_t i = 0; i < w; i++)
			buf_putc(&ind, ' ');
	}
	/* s += "\n"; lines = s.splitlines() */
	struct buf sb = BUF_INIT;
	buf_append(&sb, v.s, v.len);
	buf_putc(&sb, '\n');
	value lines;
	value sv = v_str(buf_cstr(&sb), sb.n);
	int rc = call_str_method(st, sv, "splitlines", NULL, &lines);
	if (rc < 0) {
		buf_release(&sb);
		buf_release(&ind);
		return -1;
	}
	if (jb_check_size(st, (uint64_t)ind.n * (lines.list->n + 1) + v.len) < 0) {
		buf_release(&sb);
		buf_release(&ind);
		return -1;
	}
	struct buf b = BUF_INIT;
	if (v_truthy(a[1]))
		buf_append(&b, ind.p, ind.n);
	for (uint32_t i = 0; i < lines.list->n; i++) {
		value l = lines.list->v[i];
		if (i) {
			buf_putc(&b, '\n');
			if (l.len || v_truthy(a[2]))
				buf_append(&b, ind.p, ind.n);
		}
		buf_append(&b, l.s, l.len);
	}
	value r = jb_strval(st, &b);
	if (v.flags & VF_SAFE)
		r.flags |= VF_SAFE;
	buf_release(&sb);
	buf_release(&ind);
	*out = r;
	return 0;
}

FILTER(items)
{
	if (jb_bind(st, "do_items", args, "", NULL, NULL) < 0)
		return -1;
	struct arena *ar = jinja_arena(st);
	if (v.type == VT_UNDEF) {
		*out = jb_iterator(st, IT_GENERATOR, "do_items", v_list(ar, 0));
		return 0;
	}
	if (v.type != VT_DICT || is_namespace(v))
		return jinja_error(st, "Can only get item pairs from a mapping.");
	value l = v_list(ar, v.dict->live);
	for (uint32_t i = 0; i < v.dict->n; i++) {
		const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
		if (e->k.type == VT_UNDEF)
			continue;
		value kv[2] = { e->k, e->v };
		vlist_push(l.list, v_tuple(ar, 2, kv));
	}
	*out = jb_iterator(st, IT_GENERATOR, "do_items", l);
	return 0;
}

FILTER(join)
{
	value a[2] = { v_str("", 0), v_none() };
	if (jb_bind(st, "do_join", args, "d,attribute", a, NULL) < 0)
		return -1;
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	struct getter g;
	bool attr = a[1].type != VT_NONE;
	if (attr)
		getter_init(st, &g, a[1], v_none(), false, false);
	struct buf b = BUF_INIT, sep = BUF_INIT;
	jinja_to_str(a[0], &sep);
	for (uint32_t i = 0; i < items.list->n; i++) {
		value x = items.list->v[i];
		if (attr && getter_apply(st, &g, x, &x) < 0) {
			buf_release(&b);
			buf_release(&sep);
			return -1;
		}
		if (i)
			buf_append(&b, sep.p, sep.n);
		jinja_to_str(x, &b);
		if (b.n > st->max_bytes) {
			buf_release(&b);
			buf_release(&sep);
			return jb_check_size(st, UINT64_MAX);
		}
	}
	buf_release(&sep);
	*out = jb_strval(st, &b);
	return 0;
}

FILTER(list)
{
	if (jb_bind(st, "list", args, "", NULL, NULL) < 0)
		return -1;
	return to_new_list(st, v, out);
}

FILTER(lower)
{
	if (jb_bind(st, "do_lower", args, "", NULL, NULL) < 0)
		return -1;
	return call_str_method(st, soft_str(st, v), "lower", NULL, out);
}

FILTER(upper)
{
	if (jb_bind(st, "do_upper", args, "", NULL, NULL) < 0)
		return -1;
	return call_str_method(st, soft_str(st, v), "upper", NULL, out);
}

/* Calls filter `name` on item with extra args. */
static int call_filter_by_name(struct jstate *st, value name, value item, const value *pos,
                               uint32_t npos, const struct vkwarg *kw, uint32_t nkw, value *out)
{
	if (name.type != VT_STR)
		return jinja_error(st, "no filter named %s", "(not a string)");
	const struct jinja_filter *f = jinja_find_filter(v_as_str(name));
	if (!f)
		return jinja_error(st, "no filter named '%.*s'", (int)name.len, name.s);
	struct vargs a = { pos, npos, nkw, kw };
	return f->fn(st, item, &a, out);
}

static int call_test_by_name(struct jstate *st, value name, value item, const value *pos,
                             uint32_t npos, const struct vkwarg *kw, uint32_t nkw, bool *out)
{
	if (name.type != VT_STR) {
		struct buf b = BUF_INIT;
		v_to_repr(name, &b);
		jinja_error(st, "no test named %s", buf_cstr(&b));
		buf_release(&b);
		return -1;
	}
	const struct jinja_test *t = jinja_find_test(v_as_str(name));
	if (!t)
		return jinja_error(st, "no test named '%.*s'", (int)name.len, name.s);
	struct vargs a = { pos, npos, nkw, kw };
	return t->fn(st, item, &a, out);
}

FILTER(map)
{
	struct arena *ar = jinja_arena(st);
	value res = v_list(ar, 0);
	if (!v_truthy(v)) {
		if (v.type != VT_UNDEF && v.type != VT_LIST && v.type != VT_STR && v.type != VT_DICT &&
		    v.type != VT_OBJ && v.type != VT_NONE && !v_is_num(v))
			return jinja_error(st, "'%s' object is not iterable", v_type_name(v));
		*out = jb_iterator(st, IT_GENERATOR, "sync_do_map", res);
		return 0;
	}
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	bool by_attr = false;
	value attr = v_none(), dflt = v_none();
	if (!args->npos) {
		for (uint32_t k = 0; k < args->nkw; k++)
			if (str_eqc(args->kw[k].name, "attribute")) {
				by_attr = true;
				attr = args->kw[k].v;
			}
	}
	if (by_attr) {
		for (uint32_t k = 0; k < args->nkw; k++) {
			if (str_eqc(args->kw[k].name, "default"))
				dflt = args->kw[k].v;
			else if (!str_eqc(args->kw[k].name, "attribute"))
				return jinja_error(st, "Unexpected keyword argument '%.*s'",
				                   (int)args->kw[k].name.n, args->kw[k].name.p);
		}
		struct getter g;
		getter_init(st, &g, attr, dflt, false, false);
		res = v_list(ar, items.list->n);
		for (uint32_t i = 0; i < items.list->n; i++) {
			value x;
			if (getter_apply(st, &g, items.list->v[i], &x) < 0)
				return -1;
			vlist_push(res.list, x);
		}
	} else {
		if (!args->npos)
			return jinja_error(st, "map requires a filter argument");
		res = v_list(ar, items.list->n);
		for (uint32_t i = 0; i < items.list->n; i++) {
			value x;
			if (call_filter_by_name(st, args->pos[0], items.list->v[i], args->pos + 1,
			                        args->npos - 1, args->kw, args->nkw, &x) < 0)
				return -1;
			vlist_push(res.list, x);
		}
	}
	*out = jb_iterator(st, IT_GENERATOR, "sync_do_map", res);
	return 0;
}

static int select_reject(struct jstate *st, value v, const struct vargs *args, value *out,
                         bool want, bool lookup_attr)
{
	struct arena *ar = jinja_arena(st);
	value res = v_list(ar, 0);
	if (!v_truthy(v)) {
		*out = jb_iterator(st, IT_GENERATOR, "select_or_reject", res);
		return 0;
	}
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	uint32_t off = 0;
	struct getter g;
	if (lookup_attr) {
		if (!args->npos)
			return jinja_error(st, "Missing parameter for attribute name");
		getter_init(st, &g, args->pos[0], v_none(), false, false);
		off = 1;
	}
	bool have_test = args->npos > off;
	res = v_list(ar, items.list->n);
	for (uint32_t i = 0; i < items.list->n; i++) {
		value x = items.list->v[i];
		if (lookup_attr && getter_apply(st, &g, x, &x) < 0)
			return -1;
		bool r;
		if (have_test) {
			if (call_test_by_name(st, args->pos[off], x, args->pos + off + 1,
			                      args->npos - off - 1, args->kw, args->nkw, &r) < 0)
				return -1;
		} else {
			r = v_truthy(x);
		}
		if (r == want)
			vlist_push(res.list, items.list->v[i]);
	}
	*out = jb_iterator(st, IT_GENERATOR, "select_or_reject", res);
	return 0;
}

FILTER(select) { return select_reject(st, v, args, out, true, false); }
FILTER(reject) { return select_reject(st, v, args, out, false, false); }
FILTER(selectattr) { return select_reject(st, v, args, out, true, true); }
FILTER(rejectattr) { return select_reject(st, v, args, out, false, true); }

static int min_max(struct jstate *st, value v, const struct vargs *args, value *out, bool max)
{
	value a[2] = { v_bool(false), v_none() };
	if (jb_bind(st, max ? "do_max" : "do_min", args, "case_sensitive,attribute", a, NULL) < 0)
		return -1;
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	if (!items.list->n) {
		*out = undef_hint(st, "No aggregated item, sequence was empty.");
		return 0;
	}
	struct getter g;
	getter_init(st, &g, a[1], v_none(), !v_truthy(a[0]), false);
	value best = items.list->v[0], bestkey;
	if (getter_apply(st, &g, best, &bestkey) < 0)
		return -1;
	for (uint32_t i = 1; i < items.list->n; i++) {
		value k;
		bool better;
		if (getter_apply(st, &g, items.list->v[i], &k) < 0)
			return -1;
		if (jb_compare(st, max ? OP_GT : OP_LT, k, bestkey, &better) < 0)
			return -1;
		if (better) {
			best = items.list->v[i];
			bestkey = k;
		}
	}
	*out = best;
	return 0;
}

FILTER(max) { return min_max(st, v, args, out, true); }
FILTER(min) { return min_max(st, v, args, out, false); }

/* ---- pprint (pprint.pformat: width 80, sorted dicts) ---- */

static void pp_repr(value v, struct buf *out, int depth);

static int pp_key_cmp(const struct ventry *a, const struct ventry *b)
{
	int c;
	if (v_compare(a->k, b->k, &c) == 0)
		return c;
	/* _safe_key: unorderable keys order by type name */
	return strcmp(v_type_name(a->k), v_type_name(b->k));
}

/* The entries, sorted by key (malloc'd). */
static struct ventry *pp_sorted(const struct vdict *d)
{
	struct ventry *e = xmalloc((d->live + 1) * sizeof(*e));
	uint32_t k = 0;
	for (uint32_t i = 0; i < d->n; i++)
		if (d->k[i].type != VT_UNDEF)
			e[k++] = vdict_at(d, i);
	/* stable insertion sort (qsort is not stable) */
	for (uint32_t i = 1; i < k; i++) {
		struct ventry x = e[i];
		uint32_t j = i;
		while (j > 0 && pp_key_cmp(&x, &e[j - 1]) < 0) {
			e[j] = e[j - 1];
			j--;
		}
		e[j] = x;
	}
	return e;
}

static void pp_repr(value v, struct buf *out, int depth)
{
	if (depth > 100) {
		buf_puts(out, "...");
		return;
	}
	if (v.type == VT_LIST) {
		bool tuple = v.flags & VF_TUPLE;
		buf_putc(out, tuple ? '(' : '[');
		for (uint32_t i = 0; i < v.list->n; i++) {
			if (i)
				buf_puts(out, ", ");
			pp_repr(v.list->v[i], out, depth + 1);
		}
		if (tuple && v.list->n == 1)
			buf_putc(out, ',');
		buf_putc(out, tuple ? ')' : ']');
	} else if (v.type == VT_DICT && !is_namespace(v)) {
		struct ventry *e = pp_sorted(v.dict);
		buf_putc(out, '{');
		for (uint32_t i = 0; i < v.dict->live; i++) {
			if (i)
				buf_puts(out, ", ");
			pp_repr(e[i].k, out, depth + 1);
			buf_puts(out, ": ");
			pp_repr(e[i].v, out, depth + 1);
		}
		buf_putc(out, '}');
		free(e);
	} else if (v.type == VT_UNDEF) {
		buf_puts(out, "Undefined");
	} else if (v.type == VT_STR && (v.flags & VF_SAFE)) {
		buf_puts(out, "Markup(");
		v_repr_str(v_as_str(v), out);
		buf_putc(out, ')');
	} else {
		v_to_repr(v, out);
	}
}

static void pp_format(value v, struct buf *out, size_t indent, size_t allowance, int level);

static size_t buf_cols(struct buf *b, size_t from) { return jb_cplen(b->p + from, b->n - from); }

static void pp_items(const value *items, uint32_t n, struct buf *out, size_t indent,
                     size_t allowance, int level)
{
	indent += 1;
	for (uint32_t i = 0; i < n; i++) {
		bool last = i + 1 == n;
		if (i) {
			buf_puts(out, ",\n");
			for (size_t k = 0; k < indent; k++)
				buf_putc(out, ' ');
		}
		pp_format(items[i], out, indent, last ? allowance : 1, level);
	}
}

static void pp_str(struct str s, struct buf *out, size_t indent, size_t allowance, int level)
{
	/* split into repr'd chunks at whitespace so each fits the width */
	struct buf rep = BUF_INIT;
	if (!s.n) {
		v_repr_str(s, out);
		return;
	}
	if (level == 1) {
		indent += 1;
		allowance += 1;
	}
	size_t max_width1 = 80 > indent ? 80 - indent : 0, max_width = max_width1;
	VEC(struct str) chunks = { 0 };
	/* lines with their ends */
	size_t ls = 0;
	size_t nlines = 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == '\n' || s.p[i] == '\r')
			nlines++;
	nlines += s.p[s.n - 1] != '\n' && s.p[s.n - 1] != '\r';
	size_t li = 0;
	for (size_t i = 0; i <= s.n; i++) {
		bool end = i == s.n;
		if (!end && s.p[i] != '\n' && s.p[i] != '\r')
			continue;
		size_t le = end ? i : i + 1;
		if (!end && s.p[i] == '\r' && i + 1 < s.n && s.p[i + 1] == '\n')
			le = ++i + 1;
		if (end && ls == s.n)
			break;
		struct str line = str_make(s.p + ls, le - ls);
		ls = le;
		if (li == nlines - 1)
			max_width1 = max_width1 > allowance ? max_width1 - allowance : 0;
		buf_reset(&rep);
		v_repr_str(line, &rep);
		if (jb_cplen(rep.p, rep.n) <= max_width1) {
			vec_push(&chunks, line);
		} else {
			/* parts: \S*\s* */
			size_t max_width2 = max_width;
			size_t cur_s = line.n, cur_e = line.n; /* empty */
			size_t p = 0;
			size_t nparts = 0;
			for (size_t q = 0; q < line.n;) {
				while (q < line.n && !jb_isspace((unsigned char)line.p[q]))
					q++;
				while (q < line.n && jb_isspace((unsigned char)line.p[q]))
					q++;
				nparts++;
			}
			size_t j = 0;
			while (p < line.n) {
				size_t q = p;
				while (q < line.n && !jb_isspace((unsigned char)line.p[q]))
					q++;
				while (q < line.n && jb_isspace((unsigned char)line.p[q]))
					q++;
				size_t cand_s = cur_s == cur_e ? p : cur_s;
				if (j == nparts - 1 && li == nlines - 1)
					max_width2 = max_width2 > allowance ? max_width2 - allowance : 0;
				buf_reset(&rep);
				v_repr_str(str_make(line.p + cand_s, q - cand_s), &rep);
				if (jb_cplen(rep.p, rep.n) > max_width2) {
					if (cur_s != cur_e)
						vec_push(&chunks, str_make(line.p + cur_s, cur_e - cur_s));
					cur_s = p;
					cur_e = q;
				} else {
					cur_s = cand_s;
					cur_e = q;
				}
				p = q;
				j++;
			}
			if (cur_s != cur_e)
				vec_push(&chunks, str_make(line.p + cur_s, cur_e - cur_s));
		}
		li++;
		if (end)
			break;
	}
	buf_release(&rep);
	if (chunks.n == 1) {
		v_repr_str(s, out);
		vec_free(&chunks);
		return;
	}
	if (level == 1)
		buf_putc(out, '(');
	for (size_t i = 0; i < chunks.n; i++) {
		if (i) {
			buf_putc(out, '\n');
			for (size_t k = 0; k < indent; k++)
				buf_putc(out, ' ');
		}
		v_repr_str(chunks.v[i], out);
	}
	if (level == 1)
		buf_putc(out, ')');
	vec_free(&chunks);
}

static void pp_format(value v, struct buf *out, size_t indent, size_t allowance, int level)
{
	struct buf rep = BUF_INIT;
	pp_repr(v, &rep, 0);
	size_t maxw = 80 > indent + allowance ? 80 - indent - allowance : 0;
	if (buf_cols(&rep, 0) <= maxw) {
		buf_append(out, rep.p, rep.n);
		buf_release(&rep);
		return;
	}
	buf_release(&rep);
	level++;
	if (v.type == VT_LIST) {
		bool tuple = v.flags & VF_TUPLE;
		buf_putc(out, tuple ? '(' : '[');
		const char *end = tuple ? (v.list->n == 1 ? ",)" : ")") : "]";
		pp_items(v.list->v, v.list->n, out, indent, allowance + strlen(end), level);
		buf_puts(out, end);
	} else if (v.type == VT_DICT && !is_namespace(v)) {
		struct ventry *e = pp_sorted(v.dict);
		buf_putc(out, '{');
		size_t ind = indent + 1;
		for (uint32_t i = 0; i < v.dict->live; i++) {
			bool last = i + 1 == v.dict->live;
			if (i) {
				buf_puts(out, ",\n");
				for (size_t k = 0; k < ind; k++)
					buf_putc(out, ' ');
			}
			size_t before = out->n;
			pp_repr(e[i].k, out, 0);
			size_t klen = buf_cols(out, before);
			buf_puts(out, ": ");
			pp_format(e[i].v, out, ind + klen + 2, last ? allowance + 1 : 1, level);
		}
		buf_putc(out, '}');
		free(e);
	} else if (v.type == VT_STR) {
		pp_str(v_as_str(v), out, indent, allowance, level);
	} else {
		pp_repr(v, out, 0);
	}
}

FILTER(pprint)
{
	if (jb_bind(st, "do_pprint", args, "", NULL, NULL) < 0)
		return -1;
	struct buf b = BUF_INIT;
	pp_format(v, &b, 0, 0, 0);
	*out = jb_strval(st, &b);
	return 0;
}

FILTER(replace)
{
	value a[3] = { v_none(), v_none(), v_none() };
	if (jb_bind(st, "do_replace", args, "!old,!new,count", a, NULL) < 0)
		return -1;
	int64_t count = -1;
	if (a[2].type != VT_NONE && jb_index_arg(st, a[2], &count) < 0)
		return -1;
	value s = str_value(st, v), o = str_value(st, a[0]), n = str_value(st, a[1]);
	*out = jb_str_replace(st, v_as_str(s), v_as_str(o), v_as_str(n), count);
	if (out->type == VT_UNDEF)
		return jb_check_size(st, UINT64_MAX);
	out->flags &= (uint8_t)~VF_SAFE;
	return 0;
}

FILTER(reverse)
{
	if (jb_bind(st, "do_reverse", args, "", NULL, NULL) < 0)
		return -1;
	struct arena *ar = jinja_arena(st);
	if (v.type == VT_STR) {
		struct buf b = BUF_INIT;
		size_t e = v.len;
		while (e > 0) {
			size_t k = e - 1;
			while (k > 0 && ((unsigned char)v.s[k] & 0xc0) == 0x80)
				k--;
			buf_append(&b, v.s + k, e - k);
			e = k;
		}
		*out = jb_strval(st, &b);
		return 0;
	}
	int kind;
	if (v.type == VT_LIST)
		kind = (v.flags & VF_TUPLE) ? IT_REVERSED : IT_LIST_REVERSE;
	else if (v.type == VT_DICT && !is_namespace(v))
		kind = IT_DICT_REVERSE;
	else if (v.type == VT_UNDEF)
		kind = IT_REVERSED;
	else if (v.type == VT_OBJ && v.obj->cls->iter)
		kind = -1; /* generators etc.: list(value) reversed */
	else
		return jinja_error(st, "argument must be iterable");
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	uint32_t n = items.list->n;
	value l = v_list(ar, n);
	for (uint32_t i = 0; i < n; i++)
		l.list->v[i] = items.list->v[n - 1 - i];
	l.list->n = n;
	if (kind < 0 || jb_range_info(v, NULL, NULL, NULL, NULL)) {
		*out = kind < 0 ? l : jb_iterator(st, IT_REVERSED, NULL, l);
		return 0;
	}
	*out = jb_iterator(st, kind, NULL, l);
	return 0;
}

/* Python's round(x, n) for floats: correctly rounded, ties to even on the exact binary value. */
static double py_round(double x, int64_t n)
{
	if (!isfinite(x) || x == 0)
		return x;
	if (n > 323)
		return x;
	if (n < -308)
		return 0.0 * x;
	/* exact decimal expansion of |x| */
	int len = snprintf(NULL, 0, "%.1100f", fabs(x));
	char *d = xmalloc((size_t)len + 1);
	snprintf(d, (size_t)len + 1, "%.1100f", fabs(x));
	char *dot = strchr(d, '.');
	size_t ilen = (size_t)(dot - d);
	/* digits without the point */
	char *digits = xmalloc((size_t)len + 2);
	memcpy(digits, d, ilen);
	memcpy(digits + ilen, dot + 1, (size_t)len - ilen - 1);
	size_t nd = (size_t)len - 1;
	digits[nd] = 0;
	/* keep digits[0 .. keep) where keep = ilen + n */
	int64_t keep = (int64_t)ilen + n;
	double r;
	if (keep < 0) {
		r = 0;
	} else {
		char *k = xmalloc(nd + 3);
		k[0] = '0'; /* room for a carry */
		memcpy(k + 1, digits, (size_t)keep);
		size_t kl = (size_t)keep + 1;
		/* decide rounding from digits[keep ..] */
		bool up = false;
		if ((size_t)keep < nd) {
			char first = digits[keep];
			bool rest_nonzero = false;
			for (size_t i = (size_t)keep + 1; i < nd; i++)
				if (digits[i] != '0') {
					rest_nonzero = true;
					break;
				}
			if (first > '5' || (first == '5' && rest_nonzero))
				up = true;
			else if (first == '5') {
				char prev = kl > 1 ? k[kl - 1] : '0';
				up = (prev - '0') % 2 == 1;
			}
		}
		if (up) {
			size_t i = kl;
			while (i > 0) {
				i--;
				if (k[i] == '9') {
					k[i] = '0';
				} else {
					k[i]++;
					break;
				}
			}
		}
		/* value = k * 10^(ilen - keep) = k * 10^-n */
		char *num = xmalloc(kl + 32);
		snprintf(num, kl + 32, "%.*se%lld", (int)kl, k, (long long)-n);
		r = strtod(num, NULL);
		free(num);
		free(k);
	}
	free(digits);
	free(d);
	return x < 0 ? -r : r;
}

FILTER(round)
{
	value a[2] = { v_int(0), v_str("common", 6) };
	if (jb_bind(st, "do_round", args, "precision,method", a, NULL) < 0)
		return -1;
	struct str m = a[1].type == VT_STR ? v_as_str(a[1]) : STR("");
	int method = str_eqc(m, "common") ? 0 : str_eqc(m, "ceil") ? 1 : str_eqc(m, "floor") ? 2 : -1;
	if (method < 0)
		return jinja_error(st, "method must be common, ceil or floor");
	if (!v_is_num(v)) {
		if (v.type == VT_UNDEF && method)
			return jinja_undefined_error(st, v);
		if (method == 0)
			return jinja_error(st, "type %s doesn't define __round__ method", v_type_name(v));
		return jinja_error(st, "unsupported operand type(s) for *: '%s' and 'int'",
		                   v_type_name(v));
	}
	int64_t prec;
	if (method == 0) {
		if (a[0].type != VT_INT && a[0].type != VT_BOOL) {
			if (a[0].type == VT_UNDEF)
				return jinja_undefined_error(st, a[0]);
			return jinja_error(st, "'%s' object cannot be interpreted as an integer",
			                   v_type_name(a[0]));
		}
		prec = a[0].type == VT_INT ? a[0].i : a[0].b;
		if (v.type == VT_FLOAT) {
			*out = v_float(py_round(v.f, prec));
			return 0;
		}
		int64_t x = v.type == VT_INT ? v.i : v.b;
		if (prec >= 0) {
			*out = v_int(x);
			return 0;
		}
		if (prec < -18) {
			*out = v_int(0);
			return 0;
		}
		int64_t p = 1;
		for (int64_t i = 0; i < -prec; i++)
			p *= 10;
		int64_t q = x / p, r = x % p;
		if (r < 0) {
			r += p;
			q--;
		}
		/* half to even */
		if (2 * r > p || (2 * r == p && (q & 1)))
			q++;
		*out = v_int(q * p);
		return 0;
	}
	/* ceil/floor: func(value * 10**precision) / 10**precision */
	value scale, prod, rounded;
	if (jinja_binop(st, OP_POW, v_int(10), a[0], &scale) < 0 ||
	    jinja_binop(st, OP_MUL, v, scale, &prod) < 0)
		return -1;
	double p = prod.type == VT_FLOAT ? prod.f : prod.type == VT_INT ? (double)prod.i : prod.b;
	if (prod.type == VT_FLOAT) {
		if (isinf(p))
			return jinja_error(st, "cannot convert float infinity to integer");
		if (isnan(p))
			return jinja_error(st, "cannot convert float NaN to integer");
		p = method == 1 ? ceil(p) : floor(p);
		rounded = v_float(p);
	} else {
		rounded = prod.type == VT_BOOL ? v_int(prod.b) : prod;
	}
	return jinja_binop(st, OP_DIV, rounded, scale, out);
}

FILTER(safe)
{
	if (jb_bind(st, "do_mark_safe", args, "", NULL, NULL) < 0)
		return -1;
	value s = soft_str(st, v);
	s.flags |= VF_SAFE;
	*out = s;
	return 0;
}

FILTER(slice)
{
	value a[2] = { v_none(), v_none() };
	if (jb_bind(st, "do_slice", args, "!slices,fill_with", a, NULL) < 0)
		return -1;
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	int64_t slices;
	if (a[0].type == VT_UNDEF)
		return jinja_undefined_error(st, a[0]);
	if (jb_index_arg(st, a[0], &slices) < 0)
		return -1;
	int64_t length = items.list->n;
	if (slices == 0)
		return jinja_error(st, "integer division or modulo by zero");
	int64_t per = length / slices, extra = length % slices;
	if ((length % slices != 0) && ((length < 0) != (slices < 0))) {
		per--;
		extra += slices;
	}
	struct arena *ar = jinja_arena(st);
	value res = v_list(ar, slices > 0 ? (uint32_t)slices : 0);
	int64_t offset = 0;
	if (slices > 10000000)
		return jinja_error(st, "result too large");
	for (int64_t sn = 0; sn < slices; sn++) {
		int64_t start = offset + sn * per;
		if (sn < extra)
			offset++;
		int64_t end = offset + (sn + 1) * per;
		if (start < 0)
			start = 0;
		if (end > length)
			end = length;
		value tmp = v_list(ar, 4);
		for (int64_t i = start; i < end; i++)
			vlist_push(tmp.list, items.list->v[i]);
		if (a[1].type != VT_NONE && sn >= extra)
			vlist_push(tmp.list, a[1]);
		vlist_push(res.list, tmp);
	}
	*out = jb_iterator(st, IT_GENERATOR, "sync_do_slice", res);
	return 0;
}

FILTER(sort)
{
	value a[3] = { v_bool(false), v_bool(false), v_none() };
	if (jb_bind(st, "do_sort", args, "reverse,case_sensitive,attribute", a, NULL) < 0)
		return -1;
	value items;
	if (to_new_list(st, v, &items) < 0)
		return -1;
	struct getter g;
	getter_init(st, &g, a[2], v_none(), !v_truthy(a[1]), true);
	uint32_t n = items.list->n;
	value *keys = xmalloc((n + 1) * sizeof(value));
	for (uint32_t i = 0; i < n; i++)
		if (getter_apply(st, &g, items.list->v[i], &keys[i]) < 0) {
			free(keys);
			return -1;
		}
	/* make_multi_attrgetter's keys are lists: equal keys never meet `<` */
	int rc = jb_list_sort2(st, items.list->v, keys, n, v_truthy(a[0]), true);
	free(keys);
	if (rc < 0)
		return -1;
	*out = items;
	return 0;
}

FILTER(string)
{
	if (jb_bind(st, "soft_str", args, "", NULL, NULL) < 0)
		return -1;
	*out = soft_str(st, v);
	return 0;
}

/* ---- striptags (Markup.striptags: drop comments and tags, collapse spaces, unescape) ---- */

/* html.unescape's table, abridged: `legacy` names also match without ';' (longest prefix) */
static const struct {
	const char *name;
	uint32_t cp;
	bool legacy;
} html_entities[] = {
	{ "AMP", '&', true },      { "COPY", 0xa9, true },    { "GT", '>', true },
	{ "LT", '<', true },       { "QUOT", '"', true },     { "REG", 0xae, true },
	{ "amp", '&', true },      { "apos", '\'', false },   { "bull", 0x2022, false },
	{ "cent", 0xa2, true },    { "copy", 0xa9, true },    { "deg", 0xb0, true },
	{ "euro", 0x20ac, false }, { "gt", '>', true },       { "hellip", 0x2026, false },
	{ "laquo", 0xab, true },   { "ldquo", 0x201c, false }, { "lsquo", 0x2018, false },
	{ "lt", '<', true },       { "mdash", 0x2014, false }, { "middot", 0xb7, true },
	{ "nbsp", 0xa0, true },    { "ndash", 0x2013, false }, { "para", 0xb6, true },
	{ "pound", 0xa3, true },   { "quot", '"', true },     { "raquo", 0xbb, true },
	{ "rdquo", 0x201d, false }, { "reg", 0xae, true },    { "rsquo", 0x2019, false },
	{ "sect", 0xa7, true },    { "times", 0xd7, true },   { "trade", 0x2122, false },
	{ "yen", 0xa5, true },
};

static void html_unescape(struct str s, struct buf *out)
{
	for (size_t i = 0; i < s.n;) {
		if (s.p[i] != '&') {
			buf_putc(out, s.p[i++]);
			continue;
		}
		size_t j = i + 1;
		if (j < s.n && s.p[j] == '#') {
			j++;
			bool hex = j < s.n && (s.p[j] == 'x' || s.p[j] == 'X');
			if (hex)
				j++;
			size_t ds = j;
			uint32_t cp = 0;
			while (j < s.n && (hex ? isxdigit((unsigned char)s.p[j]) : isdigit((unsigned char)s.p[j]))) {
				char c = s.p[j];
				int d = c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
				if (cp < 0x110000)
					cp = cp * (hex ? 16 : 10) + (uint32_t)d;
				j++;
			}
			if (j > ds) {
				if (j < s.n && s.p[j] == ';')
					j++;
				if (cp == 0 || cp >= 0x110000 || (cp >= 0xd800 && cp <= 0xdfff))
					cp = 0xfffd;
				jb_utf8_put(out, cp);
				i = j;
				continue;
			}
			buf_putc(out, s.p[i++]);
			continue;
		}
		size_t ns = j;
		while (j < s.n && isalnum((unsigned char)s.p[j]))
			j++;
		struct str name = str_make(s.p + ns, j - ns);
		bool semi = j < s.n && s.p[j] == ';';
		int best = -1;
		size_t best_len = 0;
		for (size_t k = 0; k < ARRAY_LEN(html_entities); k++) {
			size_t ln = strlen(html_entities[k].name);
			if (semi && ln == name.n && !memcmp(name.p, html_entities[k].name, ln)) {
				best = (int)k;
				best_len = ln + 1;
				break;
			}
			if (html_entities[k].legacy && ln <= name.n && ln > best_len &&
			    !memcmp(name.p, html_entities[k].name, ln)) {
				best = (int)k;
				best_len = ln;
			}
		}
		if (best < 0) {
			buf_putc(out, s.p[i++]);
			continue;
		}
		jb_utf8_put(out, html_entities[best].cp);
		i = ns + best_len;
	}
}

FILTER(striptags)
{
	if (jb_bind(st, "do_striptags", args, "", NULL, NULL) < 0)
		return -1;
	value sv = soft_str(st, v);
	struct str s = v_as_str(sv);
	struct buf t = BUF_INIT;
	/* remove comments <!-- ... --> then tags <...> */
	struct buf nc = BUF_INIT;
	for (size_t i = 0; i < s.n;) {
		if (i + 4 <= s.n && !memcmp(s.p + i, "<!--", 4)) {
			const char *e = memmem(s.p + i + 4, s.n - i - 4, "-->", 3);
			if (e) {
				i = (size_t)(e - s.p) + 3;
				continue;
			}
		}
		buf_putc(&nc, s.p[i++]);
	}
	struct str c = buf_str(&nc);
	for (size_t i = 0; i < c.n;) {
		if (c.p[i] == '<') {
			const char *e = memchr(c.p + i + 1, '>', c.n - i - 1);
			if (e) {
				i = (size_t)(e - c.p) + 1;
				continue;
			}
		}
		buf_putc(&t, c.p[i++]);
	}
	/* " ".join(value.split()) */
	struct buf j = BUF_INIT;
	struct str ts = buf_str(&t);
	bool first = true;
	for (size_t i = 0; i < ts.n;) {
		uint32_t cp;
		size_t l = jb_utf8_dec(ts.p + i, ts.n - i, &cp);
		if (jb_isspace(cp)) {
			i += l;
			continue;
		}
		size_t k = i;
		while (k < ts.n) {
			l = jb_utf8_dec(ts.p + k, ts.n - k, &cp);
			if (jb_isspace(cp))
				break;
			k += l;
		}
		if (!first)
			buf_putc(&j, ' ');
		first = false;
		buf_append(&j, ts.p + i, k - i);
		i = k;
	}
	struct buf r = BUF_INIT;
	html_unescape(buf_str(&j), &r);
	buf_release(&nc);
	buf_release(&t);
	buf_release(&j);
	*out = jb_strval(st, &r);
	return 0;
}

FILTER(sum)
{
	value a[2] = { v_none(), v_int(0) };
	if (jb_bind(st, "do_sum", args, "attribute,start", a, NULL) < 0)
		return -1;
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	if (a[1].type == VT_STR)
		return jinja_error(st, "sum() can't sum strings [use ''.join(seq) instead]");
	struct getter g;
	bool attr = a[0].type != VT_NONE;
	if (attr)
		getter_init(st, &g, a[0], v_none(), false, false);
	value acc = a[1];
	for (uint32_t i = 0; i < items.list->n; i++) {
		value x = items.list->v[i];
		if (attr && getter_apply(st, &g, x, &x) < 0)
			return -1;
		if (jinja_binop(st, OP_ADD, acc, x, &acc) < 0)
			return -1;
	}
	*out = acc;
	return 0;
}

FILTER(title)
{
	if (jb_bind(st, "do_title", args, "", NULL, NULL) < 0)
		return -1;
	value sv = soft_str(st, v);
	struct str s = v_as_str(sv);
	struct buf b = BUF_INIT;
	bool word_start = true;
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
		bool sep = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' ||
		           jb_isspace(cp);
		if (sep) {
			buf_append(&b, s.p + i, l);
			word_start = true;
		} else if (l == 1 && cp >= 0x80) {
			buf_putc(&b, s.p[i]);
			word_start = false;
		} else if (word_start) {
			if (cp == 0xdf)
				buf_puts(&b, "SS");
			else
				jb_utf8_put(&b, jb_upper(cp));
			word_start = false;
		} else {
			jb_utf8_put(&b, jb_lower(cp));
		}
		i += l;
	}
	*out = jb_strval(st, &b);
	return 0;
}

/* ---- tojson: json.dumps(sort_keys=True) made HTML-safe (htmlsafe_json_dumps) ---- */

/* json_write's default=: groupby's tuples serialise as arrays */
static int tojson_default(value v, value *replacement, void *ud)
{
	if (v.type == VT_OBJ && v.obj->cls == &group_class)
		return group_iter(ud, v, replacement);
	return -1;
}

FILTER(tojson)
{
	value a[1] = { v_none() };
	if (jb_bind(st, "do_tojson", args, "indent", a, NULL) < 0)
		return -1;
	struct json_opts o = JSON_OPTS_INIT;
	struct buf b = BUF_INIT, err = BUF_INIT;
	o.sort_keys = true;
	o.html_safe = true;
	o.default_fn = tojson_default;
	o.default_ud = st;
	o.err = &err;
	char *ind = NULL;
	if (a[0].type == VT_STR) {
		ind = xmemdup0(a[0].s, a[0].len);
		o.indent_str = ind;
	} else if (a[0].type == VT_INT || a[0].type == VT_BOOL) {
		int64_t n = a[0].type == VT_INT ? a[0].i : a[0].b;
		o.indent = n < 0 ? 0 : n > 1000 ? 1000 : (int)n;
	} else if (a[0].type != VT_NONE) {
		return jinja_error(st, "can't multiply sequence by non-int of type '%s'",
		                   v_type_name(a[0]));
	}
	int rc = json_write(&b, v, &o);
	free(ind);
	if (rc < 0) {
		jinja_error(st, "%s", err.n ? buf_cstr(&err) : "Object is not JSON serializable");
		buf_release(&err);
		buf_release(&b);
		return -1;
	}
	buf_release(&err);
	*out = jb_strval(st, &b);
	out->flags |= VF_SAFE;
	return 0;
}

FILTER(trim)
{
	value a[1] = { v_none() };
	if (jb_bind(st, "do_trim", args, "chars", a, NULL) < 0)
		return -1;
	struct vargs ca = { a, 1, 0, NULL };
	return call_str_method(st, soft_str(st, v), "strip", &ca, out);
}

FILTER(truncate)
{
	value a[4] = { v_int(255), v_bool(false), v_str("...", 3), v_int(5) };
	if (jb_bind(st, "do_truncate", args, "length,killwords,end,leeway", a, NULL) < 0)
		return -1;
	if (a[3].type == VT_NONE)
		a[3] = v_int(5);
	int64_t length, leeway, slen;
	if (jb_index_arg(st, a[0], &length) < 0 || jb_index_arg(st, a[3], &leeway) < 0)
		return -1;
	if (a[2].type != VT_STR)
		return jinja_error(st, "object of type '%s' has no len()", v_type_name(a[2]));
	int64_t endlen = (int64_t)jb_cplen(a[2].s, a[2].len);
	if (length < endlen)
		return jinja_error(st, "expected length >= %lld, got %lld", (long long)endlen,
		                   (long long)length);
	if (leeway < 0)
		return jinja_error(st, "expected leeway >= 0, got %lld", (long long)leeway);
	if (py_len(st, v, &slen) < 0)
		return -1;
	if (slen <= length + leeway) {
		*out = v;
		return 0;
	}
	if (v.type != VT_STR)
		return jinja_error(st, "'%s' object is not subscriptable", v_type_name(v));
	size_t cut = jb_cpoff(v.s, v.len, (size_t)(length - endlen));
	struct buf b = BUF_INIT;
	if (v_truthy(a[1])) {
		buf_append(&b, v.s, cut);
	} else {
		/* s[:length - len(end)].rsplit(' ', 1)[0] */
		size_t k = cut;
		while (k > 0 && v.s[k - 1] != ' ')
			k--;
		buf_append(&b, v.s, k ? k - 1 : cut);
	}
	buf_append(&b, a[2].s, a[2].len);
	*out = jb_strval(st, &b);
	return 0;
}

FILTER(unique)
{
	value a[2] = { v_bool(false), v_none() };
	if (jb_bind(st, "do_unique", args, "case_sensitive,attribute", a, NULL) < 0)
		return -1;
	value items;
	if (to_items(st, v, &items) < 0)
		return -1;
	struct getter g;
	getter_init(st, &g, a[1], v_none(), !v_truthy(a[0]), false);
	struct arena *ar = jinja_arena(st);
	value seen = v_dict(ar, 8), res = v_list(ar, items.list->n);
	for (uint32_t i = 0; i < items.list->n; i++) {
		value k, dummy;
		if (getter_apply(st, &g, items.list->v[i], &k) < 0)
			return -1;
		if (k.type == VT_OBJ && k.obj->cls == &group_class)
			return jinja_error(st, "unhashable type: 'list'");
		if (!v_hashable(k))
			return jinja_error(st, "unhashable type: '%s'", v_type_name(k));
		if (vdict_get(seen.dict, k, &dummy))
			continue;
		vdict_set(seen.dict, k, v_none());
		vlist_push(res.list, items.list->v[i]);
	}
	*out = jb_iterator(st, IT_GENERATOR, "do_unique", res);
	return 0;
}

/* ---- urlencode ---- */

static void url_quote(struct str s, bool for_qs, struct buf *out)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' || (!for_qs && c == '/'))
			buf_putc(out, (char)c);
		else if (for_qs && c == ' ')
			buf_putc(out, '+');
		else
			buf_printf(out, "%%%02X", c);
	}
}

static void url_quote_value(value v, bool for_qs, struct buf *out)
{
	struct buf t = BUF_INIT;
	jinja_to_str(v, &t);
	url_quote(buf_str(&t), for_qs, out);
	buf_release(&t);
}

FILTER(urlencode)
{
	if (jb_bind(st, "do_urlencode", args, "", NULL, NULL) < 0)
		return -1;
	struct buf b = BUF_INIT;
	bool iterable = v.type == VT_LIST || (v.type == VT_DICT && !is_namespace(v)) ||
	                (v.type == VT_OBJ && v.obj->cls->iter) || v.type == VT_UNDEF;
	if (v.type == VT_STR || !iterable) {
		url_quote_value(v, false, &b);
		*out = jb_strval(st, &b);
		return 0;
	}
	value pairs;
	if (v.type == VT_DICT) {
		value view;
		if (jinja_call_method(st, v, STR("items"), &no_args, &view) < 0 ||
		    to_items(st, view, &pairs) < 0)
			return -1;
	} else if (to_items(st, v, &pairs) < 0) {
		return -1;
	}
	for (uint32_t i = 0; i < pairs.list->n; i++) {
		value kv;
		if (to_items(st, pairs.list->v[i], &kv) < 0) {
			buf_release(&b);
			return -1;
		}
		if (kv.list->n != 2) {
			buf_release(&b);
			return jinja_error(st, "%s (expected 2, got %u)",
			                   kv.list->n > 2 ? "too many values to unpack"
			                                  : "not enough values to unpack",
			                   kv.list->n);
		}
		if (i)
			buf_putc(&b, '&');
		url_quote_value(kv.list->v[0], true, &b);
		buf_putc(&b, '=');
		url_quote_value(kv.list->v[1], true, &b);
	}
	*out = jb_strval(st, &b);
	return 0;
}

/* ---- urlize (jinja2.utils.urlize with the default policies: rel="noopener") ---- */

static bool match_re(const char *pattern, struct str s)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB))
		return false;
	char *z = xmemdup0(s.p, s.n);
	bool m = regexec(&re, z, 0, NULL, 0) == 0;
	free(z);
	regfree(&re);
	return m;
}

#define W "[[:alnum:]_]"
static const char http_re[] =
	"^(((https?://|www\\.)((" W "|[%-])+\\.)*([a-z]{2,63}|xn--(" W "|%){2,59}))"
	"|((" W "|[%-]){2,63}\\.)+(com|net|int|edu|gov|org|info|mil)"
	"|((https?://)(([0-9]{1,3})(\\.[0-9]{1,3}){3}|\\[([0-9a-f]{0,4}:){2}([0-9a-f]{0,4}:?){1,6}])))"
	"(:[0-9]{1,5})?([/?#][^[:space:]]*)?$";
static const char email_re[] = "^[^[:space:]]+@" W "(" W "|[.-])*\\." W "+$";
#undef W

static size_t count_sub(struct str s, const char *sub)
{
	size_t n = 0, l = strlen(sub);
	for (size_t i = 0; i + l <= s.n;) {
		if (!memcmp(s.p + i, sub, l)) {
			n++;
			i += l;
		} else {
			i++;
		}
	}
	return n;
}

static bool ends_with_c(struct str s, const char *suf) { return str_ends_with(s, str_from(suf)); }

FILTER(urlize)
{
	value a[5] = { v_none(), v_bool(false), v_none(), v_none(), v_none() };
	if (jb_bind(st, "do_urlize", args, "trim_url_limit,nofollow,target,rel,extra_schemes", a,
	            NULL) < 0)
		return -1;
	int64_t trim = -1;
	if (a[0].type != VT_NONE && jb_index_arg(st, a[0], &trim) < 0)
		return -1;
	/* rel: sorted set of words from rel, nofollow, and the policy's "noopener" */
	const char *relw[16];
	int nrel = 0;
	struct buf relsrc = BUF_INIT;
	if (a[3].type != VT_NONE)
		jinja_to_str(a[3], &relsrc);
	buf_puts(&relsrc, v_truthy(a[1]) ? " nofollow noopener" : " noopener");
	char *rs = xmemdup0(relsrc.p, relsrc.n);
	for (char *p = rs; *p && nrel < 16;) {
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		char *w = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = 0;
		bool dup = false;
		for (int k = 0; k < nrel; k++)
			dup |= !strcmp(relw[k], w);
		if (!dup)
			relw[nrel++] = w;
	}
	for (int i = 1; i < nrel; i++)
		for (int j = i; j > 0 && strcmp(relw[j], relw[j - 1]) < 0; j--) {
			const char *t = relw[j];
			relw[j] = relw[j - 1];
			relw[j - 1] = t;
		}
	struct buf rel_attr = BUF_INIT, target_attr = BUF_INIT;
	buf_puts(&rel_attr, " rel=\"");
	for (int i = 0; i < nrel; i++) {
		if (i)
			buf_putc(&rel_attr, ' ');
		escape_into(str_from(relw[i]), &rel_attr);
	}
	buf_putc(&rel_attr, '"');
	if (a[2].type != VT_NONE && v_truthy(a[2])) {
		struct buf t = BUF_INIT;
		jinja_to_str(a[2], &t);
		buf_puts(&target_attr, " target=\"");
		escape_into(buf_str(&t), &target_attr);
		buf_putc(&target_attr, '"');
		buf_release(&t);
	}
	free(rs);
	buf_release(&relsrc);
	value extra = v_none();
	if (a[4].type != VT_NONE && to_items(st, a[4], &extra) < 0)
		return -1;

	struct buf text = BUF_INIT, out_b = BUF_INIT;
	value sv = escape_value(st, v, false);
	buf_append(&text, sv.s, sv.len);
	struct str t = buf_str(&text);
	for (size_t i = 0; i < t.n;) {
		/* whitespace runs are copied; words are processed */
		size_t j = i;
		uint32_t cp;
		size_t l = jb_utf8_dec(t.p + i, t.n - i, &cp);
		if (jb_isspace(cp)) {
			while (j < t.n) {
				l = jb_utf8_dec(t.p + j, t.n - j, &cp);
				if (!jb_isspace(cp))
					break;
				j += l;
			}
			buf_append(&out_b, t.p + i, j - i);
			i = j;
			continue;
		}
		while (j < t.n) {
			l = jb_utf8_dec(t.p + j, t.n - j, &cp);
			if (jb_isspace(cp))
				break;
			j += l;
		}
		struct str word = str_make(t.p + i, j - i);
		i = j;
		/* head: ^([(<]|&lt;)+ */
		size_t h = 0;
		for (;;) {
			if (h < word.n && (word.p[h] == '(' || word.p[h] == '<'))
				h++;
			else if (h + 4 <= word.n && !memcmp(word.p + h, "&lt;", 4))
				h += 4;
			else
				break;
		}
		struct buf middle = BUF_INIT, tail = BUF_INIT;
		buf_append(&middle, word.p + h, word.n - h);
		/* tail: ([)>.,\n]|&gt;)+$ */
		struct str m = buf_str(&middle);
		size_t te = m.n;
		for (;;) {
			if (te > 0 && strchr(")>.,\n", m.p[te - 1]) && m.p[te - 1])
				te--;
			else if (te >= 4 && !memcmp(m.p + te - 4, "&gt;", 4))
				te -= 4;
			else
				break;
		}
		buf_append(&tail, m.p + te, m.n - te);
		middle.n = te;
		/* balance parentheses by moving from the tail */
		static const char *const pairs[3][2] = { { "(", ")" }, { "<", ">" }, { "&lt;", "&gt;" } };
		for (int p = 0; p < 3; p++) {
			size_t sc = count_sub(buf_str(&middle), pairs[p][0]);
			if (sc <= count_sub(buf_str(&middle), pairs[p][1]))
				continue;
			size_t moves = count_sub(buf_str(&tail), pairs[p][1]);
			if (moves > sc)
				moves = sc;
			for (size_t k = 0; k < moves; k++) {
				struct str ts = buf_str(&tail);
				const char *f = memmem(ts.p, ts.n, pairs[p][1], strlen(pairs[p][1]));
				size_t endi = (size_t)(f - ts.p) + strlen(pairs[p][1]);
				buf_append(&middle, ts.p, endi);
				memmove(tail.p, tail.p + endi, tail.n - endi);
				tail.n -= endi;
			}
		}
		m = buf_str(&middle);
		struct buf mid = BUF_INIT;
		struct buf shown = BUF_INIT;
		buf_putstr(&shown, m);
		if (trim >= 0 && (int64_t)jb_cplen(m.p, m.n) > trim) {
			shown.n = jb_cpoff(m.p, m.n, (size_t)trim);
			buf_puts(&shown, "...");
		}
		if (m.n && match_re(http_re, m)) {
			bool scheme = str_starts_with(m, STR("https://")) || str_starts_with(m, STR("http://"));
			buf_printf(&mid, "<a href=\"%s%.*s\"%s%s>%.*s</a>", scheme ? "" : "https://",
			           (int)m.n, m.p, buf_cstr(&rel_attr), buf_cstr(&target_attr),
			           (int)shown.n, shown.p);
		} else if (str_starts_with(m, STR("mailto:")) &&
		           match_re(email_re, str_make(m.p + 7, m.n - 7))) {
			buf_printf(&mid, "<a href=\"%.*s\">%.*s</a>", (int)m.n, m.p, (int)m.n - 7, m.p + 7);
		} else if (memchr(m.p, '@', m.n) && !str_starts_with(m, STR("www.")) &&
		           !memchr(m.p, ':', m.n) && match_re(email_re, m)) {
			buf_printf(&mid, "<a href=\"mailto:%.*s\">%.*s</a>", (int)m.n, m.p, (int)m.n, m.p);
		} else {
			bool done = false;
			if (extra.type == VT_LIST)
				for (uint32_t k = 0; k < extra.list->n && !done; k++) {
					value sc = extra.list->v[k];
					if (sc.type == VT_STR && !str_eq(m, v_as_str(sc)) &&
					    str_starts_with(m, v_as_str(sc))) {
						buf_printf(&mid, "<a href=\"%.*s\"%s%s>%.*s</a>", (int)m.n, m.p,
						           buf_cstr(&rel_attr), buf_cstr(&target_attr),
						           (int)m.n, m.p);
						done = true;
					}
				}
			if (!done)
				buf_putstr(&mid, m);
		}
		buf_append(&out_b, word.p, h);
		buf_append(&out_b, mid.p, mid.n);
		buf_append(&out_b, tail.p, tail.n);
		buf_release(&mid);
		buf_release(&shown);
		buf_release(&middle);
		buf_release(&tail);
	}
	(void)ends_with_c;
	buf_release(&text);
	buf_release(&rel_attr);
	buf_release(&target_attr);
	*out = jb_strval(st, &out_b);
	return 0;
}

FILTER(wordcount)
{
	if (jb_bind(st, "do_wordcount", args, "", NULL, NULL) < 0)
		return -1;
	value sv = soft_str(st, v);
	int64_t n = 0;
	bool in = false;
	for (size_t i = 0; i < sv.len;) {
		uint32_t cp;
		i += jb_utf8_dec(sv.s + i, sv.len - i, &cp);
		bool w = cp == '_' || jb_isalnum(cp);
		if (w && !in)
			n++;
		in = w;
	}
	*out = v_int(n);
	return 0;
}

/* ---- wordwrap (textwrap.wrap per line) ---- */

static bool tw_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool tw_letter(struct str s, size_t i)
{
	if (i >= s.n)
		return false;
	uint32_t cp;
	jb_utf8_dec(s.p + i, s.n - i, &cp);
	return jb_isalpha(cp);
}

struct chunk {
	size_t s, e; /* byte range in the line */
};
struct chunks {
	struct chunk *v;
	size_t n, cap;
};

/* textwrap's chunks: whitespace runs and words, words split after hyphens when asked */
static void tw_chunks(struct str line, bool hyphens, struct chunks *out)
{
	for (size_t i = 0; i < line.n;) {
		size_t j = i;
		if (tw_space(line.p[i])) {
			while (j < line.n && tw_space(line.p[j]))
				j++;
			vec_push(out, ((struct chunk){ i, j }));
			i = j;
			continue;
		}
		while (j < line.n && !tw_space(line.p[j]))
			j++;
		size_t ws = i;
		if (hyphens) {
			/* split after '-' between letters: two letters (or letter-letter-) before,
			 * letter [-] letter after */
			for (size_t k = i + 1; k + 1 < j; k++) {
				if (line.p[k] != '-')
					continue;
				bool before = (k >= ws + 2 && tw_letter(line, k - 2) && tw_letter(line, k - 1)) ||
				              (k >= ws + 3 && tw_letter(line, k - 3) && line.p[k - 2] == '-' &&
				               tw_letter(line, k - 1));
				bool after = tw_letter(line, k + 1) &&
				             (tw_letter(line, k + 2) ||
				              (k + 3 < j && line.p[k + 2] == '-' && tw_letter(line, k + 3)));
				if (before && after) {
					vec_push(out, ((struct chunk){ ws, k + 1 }));
					ws = k + 1;
				}
			}
		}
		vec_push(out, ((struct chunk){ ws, j }));
		i = j;
	}
}

static size_t cplen_range(struct str line, size_t s, size_t e) { return jb_cplen(line.p + s, e - s); }

static void tw_wrap(struct str line, size_t width, bool break_long, bool hyphens,
                    struct str wrapstring, struct buf *out, bool *first_line)
{
	struct chunks ch = { 0 };
	tw_chunks(line, hyphens, &ch);
	/* reversed stack */
	size_t top = ch.n; /* chunks [0, top) remain, in order; we take from index `next` */
	size_t next = 0;
	bool any_line = false;
	(void)top;
	while (next < ch.n) {
		VEC(struct chunk) cur = { 0 };
		size_t cur_len = 0;
		if (any_line && ch.v[next].s < ch.v[next].e && tw_space(line.p[ch.v[next].s]))
			next++;
		while (next < ch.n) {
			size_t l = cplen_range(line, ch.v[next].s, ch.v[next].e);
			if (cur_len + l <= width) {
				vec_push(&cur, ch.v[next]);
				cur_len += l;
				next++;
			} else {
				break;
			}
		}
		if (next < ch.n && cplen_range(line, ch.v[next].s, ch.v[next].e) > width) {
			size_t space_left = width < 1 ? 1 : width - cur_len;
			struct chunk c = ch.v[next];
			if (break_long) {
				size_t endcp = space_left;
				size_t clen = cplen_range(line, c.s, c.e);
				if (hyphens && clen > space_left) {
					/* chunk.rfind('-', 0, space_left) */
					size_t lim = c.s + jb_cpoff(line.p + c.s, c.e - c.s, space_left);
					size_t hy = SIZE_MAX;
					for (size_t k = c.s; k < lim; k++)
						if (line.p[k] == '-')
							hy = k;
					if (hy != SIZE_MAX && hy > c.s) {
						bool nondash = false;
						for (size_t k = c.s; k < hy; k++)
							nondash |= line.p[k] != '-';
						if (nondash)
							endcp = jb_cplen(line.p + c.s, hy - c.s) + 1;
					}
				}
				size_t cut = c.s + jb_cpoff(line.p + c.s, c.e - c.s, endcp);
				vec_push(&cur, ((struct chunk){ c.s, cut }));
				ch.v[next].s = cut;
				if (cut >= c.e)
					next++;
			} else if (!cur.n) {
				vec_push(&cur, c);
				next++;
			}
		}
		if (cur.n && tw_space(line.p[cur.v[cur.n - 1].s]))
			cur.n--;
		if (cur.n) {
			if (!*first_line)
				buf_putstr(out, wrapstring);
			*first_line = false;
			for (size_t k = 0; k < cur.n; k++)
				buf_append(out, line.p + cur.v[k].s, cur.v[k].e - cur.v[k].s);
			any_line = true;
		}
		vec_free(&cur);
	}
	vec_free(&ch);
}

FILTER(wordwrap)
{
	value a[4] = { v_int(79), v_bool(true), v_none(), v_bool(true) };
	if (jb_bind(st, "do_wordwrap", args, "width,break_long_words,wrapstring,break_on_hyphens", a,
	            NULL) < 0)
		return -1;
	if (v.type != VT_STR) {
		if (v.type == VT_UNDEF)
			return jinja_undefined_error(st, v);
		return jinja_error(st, "'%s' object has no attribute 'splitlines'", v_type_name(v));
	}
	int64_t width;
	if (jb_index_arg(st, a[0], &width) < 0)
		return -1;
	if (width <= 0)
		return jinja_error(st, "invalid width %lld (must be > 0)", (long long)width);
	struct str wrap = a[2].type == VT_STR ? v_as_str(a[2]) : STR("\n");
	value lines;
	if (call_str_method(st, v, "splitlines", NULL, &lines) < 0)
		return -1;
	struct buf b = BUF_INIT;
	for (uint32_t i = 0; i < lines.list->n; i++) {
		if (i)
			buf_putstr(&b, wrap);
		bool first = true;
		tw_wrap(v_as_str(lines.list->v[i]), (size_t)width, v_truthy(a[1]), v_truthy(a[3]), wrap,
		        &b, &first);
		if (b.n > st->max_bytes) {
			buf_release(&b);
			return jb_check_size(st, UINT64_MAX);
		}
	}
	*out = jb_strval(st, &b);
	return 0;
}

FILTER(xmlattr)
{
	value a[1] = { v_bool(true) };
	if (jb_bind(st, "do_xmlattr", args, "autospace", a, NULL) < 0)
		return -1;
	if (v.type == VT_UNDEF)
		return jinja_undefined_error(st, v);
	if (v.type != VT_DICT || is_namespace(v))
		return jinja_error(st, "'%s' object has no attribute 'items'", v_type_name(v));
	struct buf b = BUF_INIT;
	bool first = true;
	for (uint32_t i = 0; i < v.dict->n; i++) {
		const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
		if (e->k.type == VT_UNDEF || e->v.type == VT_NONE || e->v.type == VT_UNDEF)
			continue;
		struct buf k = BUF_INIT;
		jinja_to_str(e->k, &k);
		for (size_t j = 0; j < k.n; j++)
			if (k.p[j] == ' ' || k.p[j] == '/' || k.p[j] == '>' || k.p[j] == '=' ||
			    (k.p[j] >= '\t' && k.p[j] <= '\r') || (k.p[j] >= 0x1c && k.p[j] <= 0x1f)) {
				struct buf r = BUF_INIT;
				v_to_repr(e->k, &r);
				jinja_error(st, "Invalid character in attribute name: %s", buf_cstr(&r));
				buf_release(&r);
				buf_release(&k);
				buf_release(&b);
				return -1;
			}
		if (!first || v_truthy(a[0]))
			buf_putc(&b, ' ');
		first = false;
		escape_into(buf_str(&k), &b);
		buf_puts(&b, "=\"");
		buf_release(&k);
		value ev = escape_value(st, e->v, false);
		buf_append(&b, ev.s, ev.len);
		buf_putc(&b, '"');
	}
	*out = jb_strval(st, &b);
	return 0;
}

/* ---- dbt's native-rendering markers ----
 * Text rendering: identity. Native rendering: dbt's TextMarker/BoolMarker/NumberMarker/
 * NativeMarker, i.e. str(value) marked so jinja_render_native keeps it as text (as_text) or
 * literal-evaluates it (the others), checking the type for as_bool / as_number. */
static int native_marker(struct jstate *st, value v, const struct vargs *args, value *out,
                         const char *name, uint8_t flags)
{
	if (jb_bind(st, name, args, "", NULL, NULL) < 0)
		return -1;
	if (!st->native) {
		*out = v;
		return 0;
	}
	value s = jinja_str_value(st, v);
	s.flags = (uint8_t)((s.flags & ~(VF_NATIVE | VF_NATIVE_TEXT | VF_NATIVE_BOOL |
	                                 VF_NATIVE_NUMBER)) |
	                    flags);
	*out = s;
	return 0;
}

FILTER(as_text) { return native_marker(st, v, args, out, "as_text", VF_NATIVE_TEXT); }
FILTER(as_bool) { return native_marker(st, v, args, out, "as_bool", VF_NATIVE | VF_NATIVE_BOOL); }
FILTER(as_number)
{
	return native_marker(st, v, args, out, "as_number", VF_NATIVE | VF_NATIVE_NUMBER);
}
FILTER(as_native) { return native_marker(st, v, args, out, "as_native", VF_NATIVE); }

/* sorted by name (strcmp order) for binary search */
static const struct jinja_filter filters[] = {
	{ "abs", f_abs },
	{ "as_bool", f_as_bool },
	{ "as_native", f_as_native },
	{ "as_number", f_as_number },
	{ "as_text", f_as_text },
	{ "attr", f_attr },
	{ "batch", f_batch },
	{ "capitalize", f_capitalize },
	{ "center", f_center },
	{ "count", f_length },
	{ "d", f_default },
	{ "default", f_default },
	{ "dictsort", f_dictsort },
	{ "e", f_escape },
	{ "escape", f_escape },
	{ "filesizeformat", f_filesizeformat },
	{ "first", f_first },
	{ "float", f_float },
	{ "forceescape", f_forceescape },
	{ "format", f_format },
	{ "groupby", f_groupby },
	{ "indent", f_indent },
	{ "int", f_int },
	{ "items", f_items },
	{ "join", f_join },
	{ "last", f_last },
	{ "length", f_length },
	{ "list", f_list },
	{ "lower", f_lower },
	{ "map", f_map },
	{ "max", f_max },
	{ "min", f_min },
	{ "pprint", f_pprint },
	{ "random", f_random },
	{ "reject", f_reject },
	{ "rejectattr", f_rejectattr },
	{ "replace", f_replace },
	{ "reverse", f_reverse },
	{ "round", f_round },
	{ "safe", f_safe },
	{ "select", f_select },
	{ "selectattr", f_selectattr },
	{ "slice", f_slice },
	{ "sort", f_sort },
	{ "string", f_string },
	{ "striptags", f_striptags },
	{ "sum", f_sum },
	{ "title", f_title },
	{ "tojson", f_tojson },
	{ "trim", f_trim },
	{ "truncate", f_truncate },
	{ "unique", f_unique },
	{ "upper", f_upper },
	{ "urlencode", f_urlencode },
	{ "urlize", f_urlize },
	{ "wordcount", f_wordcount },
	{ "wordwrap", f_wordwrap },
	{ "xmlattr", f_xmlattr },
};

const struct jinja_filter *jinja_find_filter(struct str name)
{
	size_t lo = 0, hi = ARRAY_LEN(filters);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = str_cmp(name, str_from(filters[mid].name));
		if (!c)
			return &filters[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
