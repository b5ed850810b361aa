/* The Jinja interpreter: walks the AST with Jinja2's scoping (loops and macros open scopes, `if`
 * does not; a loop body starts every iteration from the enclosing values), Python's operators,
 * Jinja2's Undefined, the sandbox's attribute rules, dbt's return(), and the public API. */
#include <math.h>
#include <pthread.h>

#include "jinja_int.h"
#include "builtins_int.h"
#include "../value/datetime.h"

enum { ST_OK = 0, ST_ERR = -1, ST_BREAK = 1, ST_CONTINUE = 2, ST_RETURN = 3 };

/* Undefined values: flags 0 → s is the missing name ("'x' is undefined");
 * UNDEF_HINT → s is the whole message ("'dict object' has no attribute 'x'"). */
#define UNDEF_HINT 1

struct macro_val {
	const struct macro_def *def;
	struct vdict *ns;      /* the namespace it was registered in (sibling macros), or NULL */
	struct frame *closure; /* enclosing frame for nested macros and call blocks */
	value caller;          /* the caller macro bound for a call block, or undefined */
};

static int eval_in(struct jstate *st, const struct node *n, struct frame *f, value *out);
static int exec_body(struct jstate *st, const struct node *body, struct frame *f);
static int call_macro(struct jstate *st, const struct macro_val *mv, const struct vargs *args,
                      value *out);

/* ---- errors ---- */

int jinja_error(struct jstate *st, const char *fmt, ...)
{
	if (st->err)
		return -1;
	st->err = true;
	va_list ap;
	va_start(ap, fmt);
	const char *name = st->tmpl ? st->tmpl->name : "<template>";
	diag_vadd(st->d, DIAG_ERROR, name, st->line, 0, NULL, 0, fmt, ap);
	va_end(ap);
	return -1;
}

struct arena *jinja_arena(struct jstate *st) { return st->a; }
void *jinja_userdata(struct jstate *st) { return st->opts ? st->opts->userdata : NULL; }
enum jinja_undefined jinja_undef_mode(struct jstate *st)
{
	return st->opts ? st->opts->undef : JINJA_UNDEF_DEFAULT;
}

static value undef_hint(struct jstate *st, value obj, struct str name, bool is_item)
{
	struct buf b = BUF_INIT;
	char tn[64];
	if (obj.type == VT_NONE)
		snprintf(tn, sizeof(tn), "None");
	else
		snprintf(tn, sizeof(tn), "%s object", v_type_name(obj));
	if (is_item)
		buf_printf(&b, "'%s' has no element %.*s", tn, (int)name.n, name.p);
	else if (name.n > 1 && name.p[0] == '_' && name.p[1] == '_')
		buf_printf(&b, "access to attribute '%.*s' of '%s' object is unsafe.", (int)name.n, name.p,
		           v_type_name(obj));
	else
		buf_printf(&b, "'%s' has no attribute '%.*s'", tn, (int)name.n, name.p);
	value u = v_undef_named(arena_strndup(st->a, b.p, b.n), b.n);
	u.flags = UNDEF_HINT;
	buf_release(&b);
	return u;
}

int jinja_undefined_error(struct jstate *st, value u)
{
	if (u.flags & UNDEF_HINT)
		return jinja_error(st, "%.*s", (int)u.len, u.s);
	if (u.len)
		return jinja_error(st, "'%.*s' is undefined", (int)u.len, u.s);
	return jinja_error(st, "undefined value");
}

/* ---- frames ---- */

static struct frame *frame_new(struct jstate *st, struct frame *parent)
{
	struct frame *f = arena_alloc(st->a, sizeof(*f));
	f->parent = parent;
	f->n = f->cap = 0;
	f->names = NULL;
	f->vals = NULL;
	return f;
}

static void frame_set(struct jstate *st, struct frame *f, const char *name, value v)
{
	for (uint32_t i = 0; i < f->n; i++) {
		if (f->names[i] == name) {
			f->vals[i] = v;
			return;
		}
	}
	if (f->n == f->cap) {
		uint32_t cap = f->cap ? f->cap * 2 : 4;
		const char **names = arena_alloc(st->a, cap * sizeof(*names));
		value *vals = arena_alloc(st->a, cap * sizeof(*vals));
		if (f->n) {
			memcpy(names, f->names, f->n * sizeof(*names));
			memcpy(vals, f->vals, f->n * sizeof(*vals));
		}
		f->names = names;
		f->vals = vals;
		f->cap = cap;
	}
	f->names[f->n] = name;
	f->vals[f->n] = v;
	f->n++;
}

static bool frame_get(const struct frame *f, const char *name, value *out)
{
	for (; f; f = f->parent)
		for (uint32_t i = f->n; i-- > 0;)
			if (f->names[i] == name) {
				*out = f->vals[i];
				return true;
			}
	return false;
}

static value lookup(struct jstate *st, struct frame *f, const char *name)
{
	value v;
	if (frame_get(f, name, &v))
		return v;
	if (st->ns && vdict_gets(st->ns, str_from(name), &v))
		return v;
	if (st->ctx.type == VT_DICT && vdict_gets(st->ctx.dict, str_from(name), &v))
		return v;
	for (uint32_t i = 0; i < st->opts->nscopes; i++)
		if (vdict_gets(st->opts->scopes[i], str_from(name), &v))
			return v;
	if (vdict_gets(st->env->globals, str_from(name), &v))
		return v;
	return v_undef_named(name, strlen(name));
}

/* ---- conversions ---- */

void jinja_to_str(value v, struct buf *out)
{
	if (v.type == VT_STR)
		buf_append(out, v.s, v.len);
	else if (v.type != VT_UNDEF)
		v_to_str(v, out);
}

value jinja_str_value(struct jstate *st, value v)
{
	if (v.type == VT_STR)
		return v;
	if (v.type == VT_UNDEF)
		return v_str("", 0);
	struct buf b = BUF_INIT;
	v_to_str(v, &b);
	value s = v_buf(st->a, &b);
	buf_release(&b);
	return s;
}

static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

int jinja_iterate(struct jstate *st, value v, value *list_out)
{
	switch (v.type) {
	case VT_LIST:
		*list_out = v;
		return 0;
	case VT_UNDEF:
		*list_out = v_list(st->a, 0);
		return 0;
	case VT_DICT: {
		value l = v_list(st->a, v.dict->live);
		for (uint32_t i = 0; i < v.dict->n; i++)
			if (v.dict->k[i].type != VT_UNDEF)
				vlist_push(l.list, v.dict->k[i]);
		*list_out = l;
		return 0;
	}
	case VT_STR: {
		if (v.len > 1024u * 1024 || v.len > st->max_bytes / 16)
			return jinja_error(st, "a string of %u bytes is too long to iterate", v.len);
		value l = v_list(st->a, v.len);
		for (uint32_t i = 0; i < v.len;) {
			size_t n = utf8_len((unsigned char)v.s[i]);
			if (i + n > v.len)
				n = v.len - i;
			vlist_push(l.list, v_str(v.s + i, n));
			i += (uint32_t)n;
		}
		*list_out = l;
		return 0;
	}
	case VT_OBJ:
		if (v.obj->cls->iter)
			return v.obj->cls->iter(st, v, list_out);
		break;
	default:
		break;
	}
	return jinja_error(st, "'%s' object is not iterable", v_type_name(v));
}

/* ---- attribute and item access ---- */

static int list_index(struct jstate *st, value obj, value key, value *out)
{
	int64_t i = key.type == VT_BOOL ? key.b : key.i;
	uint32_t n = obj.type == VT_STR ? obj.len : obj.list->n;
	if (obj.type == VT_STR) {
		/* index by code point */
		value chars;
		if (jinja_iterate(st, obj, &chars) < 0)
			return -1;
		n = chars.list->n;
		if (i < 0)
			i += n;
		if (i < 0 || i >= n)
			return 0;
		*out = chars.list->v[i];
		return 1;
	}
	if (i < 0)
		i += n;
	if (i < 0 || i >= n)
		return 0;
	*out = obj.list->v[i];
	return 1;
}

/* 1 found, 0 not found, -1 error */
static int item_of(struct jstate *st, value obj, value key, value *out)
{
	switch (obj.type) {
	case VT_DICT:
		if (!v_hashable(key))
			return 0;
		return vdict_get(obj.dict, key, out) ? 1 : 0;
	case VT_LIST:
	case VT_STR:
		if (key.type == VT_INT || key.type == VT_BOOL)
			return list_index(st, obj, key, out);
		return 0;
	case VT_OBJ:
		if (obj.obj->cls->getitem)
			return obj.obj->cls->getitem(st, obj, key, out);
		if (key.type == VT_STR && obj.obj->cls->getattr)
			return obj.obj->cls->getattr(st, obj, v_as_str(key), out);
		return 0;
	default:
		return 0;
	}
}

/* attribute proper: methods of builtin types, object attributes. 1/0/-1 */
static int attr_of(struct jstate *st, value obj, struct str name, value *out)
{
	if (name.n && name.p[0] == '_')
		return 0;
	switch (obj.type) {
	case VT_STR:
	case VT_LIST:
		if (jinja_has_method(obj, name)) {
			*out = v_func(st->a, arena_strndup(st->a, name.p, name.n), NULL, NULL, obj);
			return 1;
		}
		return 0;
	case VT_DICT:
		if (!(obj.flags & VF_NAMESPACE) && jinja_has_method(obj, name)) {
			*out = v_func(st->a, arena_strndup(st->a, name.p, name.n), NULL, NULL, obj);
			return 1;
		}
		return 0;
	case VT_OBJ: {
		int r = obj.obj->cls->getattr ? obj.obj->cls->getattr(st, obj, name, out) : 0;
		if (r == 0 && jinja_has_method(obj, name)) {
			*out = v_func(st->a, arena_strndup(st->a, name.p, name.n), NULL, NULL, obj);
			return 1;
		}
		return r;
	}
	case VT_MACRO: {
		const struct macro_def *m = ((const struct macro_val *)obj.ptr)->def;
		if (str_eqc(name, "name")) {
			*out = v_cstr(m->name);
		} else if (str_eqc(name, "arguments")) {
			value t = v_list(st->a, m->nparams);
			for (uint32_t i = 0; i < m->nparams; i++)
				vlist_push(t.list, v_cstr(m->params[i]));
			t.flags = VF_TUPLE;
			*out = t;
		} else if (str_eqc(name, "catch_kwargs")) {
			*out = v_bool(m->uses_kwargs);
		} else if (str_eqc(name, "catch_varargs")) {
			*out = v_bool(m->uses_varargs);
		} else if (str_eqc(name, "caller")) {
			*out = v_bool(m->uses_caller);
		} else {
			return 0;
		}
		return 1;
	}
	default:
		if (jinja_has_method(obj, name)) {
			*out = v_func(st->a, arena_strndup(st->a, name.p, name.n), NULL, NULL, obj);
			return 1;
		}
		return 0;
	}
}

int jinja_getattr(struct jstate *st, value obj, struct str name, value *out)
{
	if (obj.type == VT_UNDEF) {
		if (jinja_undef_mode(st) == JINJA_UNDEF_LENIENT) {
			*out = v_undef_named(name.p, name.n);
			return 0;
		}
		return jinja_undefined_error(st, obj);
	}
	if (obj.type == VT_DICT && (obj.flags & VF_NAMESPACE) && name.n && name.p[0] == '_') {
		/* a namespace attribute is a real attribute: the sandbox hides private ones; but a
		 * package's macro namespace is a dict in dbt, so its _macros are items and reachable */
		if (vdict_gets(obj.dict, name, out) && out->type == VT_MACRO)
			return 0;
		*out = undef_hint(st, obj, name, false);
		return 0;
	}
	int r = attr_of(st, obj, name, out);
	if (r)
		return r < 0 ? -1 : 0;
	r = item_of(st, obj, v_strs(name), out);
	if (r)
		return r < 0 ? -1 : 0;
	*out = undef_hint(st, obj, name, false);
	return 0;
}

int jinja_getitem(struct jstate *st, value obj, value key, value *out)
{
	if (obj.type == VT_UNDEF) {
		if (jinja_undef_mode(st) == JINJA_UNDEF_LENIENT) {
			*out = v_undef();
			return 0;
		}
		return jinja_undefined_error(st, obj);
	}
	int r = item_of(st, obj, key, out);
	if (r)
		return r < 0 ? -1 : 0;
	if (key.type == VT_STR) {
		r = attr_of(st, obj, v_as_str(key), out);
		if (r)
			return r < 0 ? -1 : 0;
		*out = undef_hint(st, obj, v_as_str(key), false);
		return 0;
	}
	struct buf b = BUF_INIT;
	v_to_repr(key, &b);
	*out = undef_hint(st, obj, buf_str(&b), true);
	buf_release(&b);
	return 0;
}

/* ---- operators ---- */

static double as_double(value v)
{
	return v.type == VT_FLOAT ? v.f : v.type == VT_INT ? (double)v.i : (double)v.b;
}
static int64_t as_int(value v) { return v.type == VT_INT ? v.i : (int64_t)v.b; }

static const char *op_symbol(int op)
{
	static const char *const s[] = { [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*",
		                         [OP_DIV] = "/", [OP_FLOORDIV] = "//", [OP_MOD] = "%",
		                         [OP_POW] = "** or pow()", [OP_CONCAT] = "~" };
	return op < (int)ARRAY_LEN(s) && s[op] ? s[op] : "?";
}

static int type_error(struct jstate *st, int op, value a, value b)
{
	if (a.type == VT_UNDEF)
		return jinja_undefined_error(st, a);
	if (b.type == VT_UNDEF)
		return jinja_undefined_error(st, b);
	if (op == OP_ADD && (a.type == VT_STR || a.type == VT_LIST) && a.type != b.type)
		return jinja_error(st, "can only concatenate %s (not \"%s\") to %s", v_type_name(a),
		                   v_type_name(b), v_type_name(a));
	return jinja_error(st, "unsupported operand type(s) for %s: '%s' and '%s'", op_symbol(op),
	                   v_type_name(a), v_type_name(b));
}

static int repeat(struct jstate *st, value seq, int64_t n, value *out)
{
	if (n < 0)
		n = 0;
	if (seq.type == VT_STR) {
		if ((uint64_t)seq.len * (uint64_t)n > st->max_bytes)
			return jinja_error(st, "string repetition too large");
		struct buf b = BUF_INIT;
		for (int64_t i = 0; i < n; i++)
			buf_append(&b, seq.s, seq.len);
		*out = v_buf(st->a, &b);
		buf_release(&b);
		return 0;
	}
	if ((uint64_t)seq.list->n * (uint64_t)n > 10u * 1000 * 1000)
		return jinja_error(st, "list repetition too large");
	value l = v_list(st->a, (uint32_t)(seq.list->n * n));
	for (int64_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < seq.list->n; j++)
			vlist_push(l.list, seq.list->v[j]);
	l.flags = seq.flags & VF_TUPLE;
	*out = l;
	return 0;
}

/* + - * on numbers: ints stay ints unless the result leaves int64 (Python's ints are unbounded;
 * silt's become a float there), anything with a float is a float. */
static value num_arith(int op, value a, value b, bool ints)
{
	if (ints) {
		int64_t r;
		bool overflow = op == OP_ADD   ? __builtin_add_overflow(as_int(a), as_int(b), &r)
		                : op == OP_SUB ? __builtin_sub_overflow(as_int(a), as_int(b), &r)
		                               : __builtin_mul_overflow(as_int(a), as_int(b), &r);
		if (!overflow)
			return v_int(r);
	}
	double x = as_double(a), y = as_double(b);
	return v_float(op == OP_ADD ? x + y : op == OP_SUB ? x - y : x * y);
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Date arithmetic as Python's datetime module: datetime/date ± timedelta, datetime - datetime,
 * timedelta ± timedelta. 1 done, 0 not a date operation. */
static int date_arith(struct jstate *st, int op, value a, value b, value *out)
{
	const struct vdatetime *da = v_as_datetime(a), *db = v_as_datetime(b);
	int64_t ta, tb;
	bool tda = v_as_timedelta(a, &ta), tdb = v_as_timedelta(b, &tb);
	if (da && tdb && (op == OP_ADD || op == OP_SUB)) {
		struct vdatetime r = *da;
		int64_t us = datetime_ordinal_us(da) + (op == OP_ADD ? tb : -tb);
		if (da->has_tz) /* ordinal_us is UTC for aware datetimes: back to local time */
			us += (int64_t)da->utcoffset * 60000000;
		datetime_from_ordinal_us(us, &r);
		r.has_time = da->has_time;
		r.has_tz = da->has_tz;
		r.utcoffset = da->utcoffset;
		if (!da->has_time)
			r.hour = r.minute = r.second = r.microsecond = 0;
		struct buf why = BUF_INIT;
		if (datetime_check(&r, &why) < 0) {
			jinja_error(st, "OverflowError: date value out of range");
			buf_release(&why);
			return -1;
		}
		*out = v_datetime(st->a, &r);
		return 1;
	}
	if (tda && db && op == OP_ADD)
		return date_arith(st, op, b, a, out);
	if (da && db && op == OP_SUB && da->has_time == db->has_time) {
		if (da->has_tz != db->has_tz)
			return jinja_error(st, "can't subtract offset-naive and offset-aware datetimes");
		*out = v_timedelta(st->a, datetime_ordinal_us(da) - datetime_ordinal_us(db));
		return 1;
	}
	if (tda && tdb && (op == OP_ADD || op == OP_SUB)) {
		*out = v_timedelta(st->a, op == OP_ADD ? ta + tb : ta - tb);
		return 1;
	}
	return 0;
}

int jinja_add(struct jstate *st, value a, value b, value *out)
{
	return jinja_binop(st, OP_ADD, a, b, out);
}

int jinja_binop(struct jstate *st, int op, value a, value b, value *out)
{
	if (unlikely(a.type == VT_OBJ || b.type == VT_OBJ)) {
		int r = date_arith(st, op, a, b, out);
		if (r)
			return r < 0 ? -1 : 0;
	}
	bool nums = v_is_num(a) && v_is_num(b);
	bool ints = nums && a.type != VT_FLOAT && b.type != VT_FLOAT;
	switch (op) {
	case OP_CONCAT: {
		struct buf buf = BUF_INIT;
		jinja_to_str(a, &buf);
		jinja_to_str(b, &buf);
		*out = v_buf(st->a, &buf);
		buf_release(&buf);
		return 0;
	}
	case OP_ADD:
		if (nums) {
			*out = num_arith(op, a, b, ints);
			return 0;
		}
		if (a.type == VT_STR && b.type == VT_STR) {
			char *p = arena_alloc(st->a, (size_t)a.len + b.len + 1);
			memcpy(p, a.s, a.len);
			memcpy(p + a.len, b.s, b.len);
			p[a.len + b.len] = 0;
			*out = v_str(p, (size_t)a.len + b.len);
			return 0;
		}
		if (a.type == VT_LIST && b.type == VT_LIST && (a.flags & VF_TUPLE) == (b.flags & VF_TUPLE)) {
			value l = v_list(st->a, a.list->n + b.list->n);
			for (uint32_t i = 0; i < a.list->n; i++)
				vlist_push(l.list, a.list->v[i]);
			for (uint32_t i = 0; i < b.list->n; i++)
				vlist_push(l.list, b.list->v[i]);
			l.flags = a.flags & VF_TUPLE;
			*out = l;
			return 0;
		}
		return type_error(st, op, a, b);
	case OP_SUB:
		if (nums) {
			*out = num_arith(op, a, b, ints);
			return 0;
		}
		return type_error(st, op, a, b);
	case OP_MUL:
		if (nums) {
			*out = num_arith(op, a, b, ints);
			return 0;
		}
		if ((a.type == VT_STR || a.type == VT_LIST) && (b.type == VT_INT || b.type == VT_BOOL))
			return repeat(st, a, as_int(b), out);
		if ((b.type == VT_STR || b.type == VT_LIST) && (a.type == VT_INT || a.type == VT_BOOL))
			return repeat(st, b, as_int(a), out);
		if ((a.type == VT_STR || a.type == VT_LIST) && b.type != VT_UNDEF)
			return jinja_error(st, "can't multiply sequence by non-int of type '%s'", v_type_name(b));
		if ((b.type == VT_STR || b.type == VT_LIST) && a.type != VT_UNDEF)
			return jinja_error(st, "can't multiply sequence by non-int of type '%s'", v_type_name(a));
		return type_error(st, op, a, b);
	case OP_DIV:
		if (!nums)
			return type_error(st, op, a, b);
		if (as_double(b) == 0)
			return jinja_error(st, ints ? "division by zero" : "float division by zero");
		*out = v_float(as_double(a) / as_double(b));
		return 0;
	case OP_FLOORDIV:
		if (!nums)
			return type_error(st, op, a, b);
		if (ints) {
			if (as_int(b) == 0)
				return jinja_error(st, "integer division or modulo by zero");
			*out = v_int(floordiv(as_int(a), as_int(b)));
			return 0;
		}
		if (as_double(b) == 0)
			return jinja_error(st, "float floor division by zero");
		*out = v_float(floor(as_double(a) / as_double(b)));
		return 0;
	case OP_MOD:
		if (a.type == VT_STR)
			return jinja_percent_format(st, v_as_str(a), b, out);
		if (!nums)
			return type_error(st, op, a, b);
		if (ints) {
			int64_t y = as_int(b);
			if (y == 0)
				return jinja_error(st, "integer modulo by zero");
			int64_t r = as_int(a) % y;
			if (r != 0 && ((r < 0) != (y < 0)))
				r += y;
			*out = v_int(r);
			return 0;
		}
		{
			double x = as_double(a), y = as_double(b);
			if (y == 0)
				return jinja_error(st, "float modulo");
			double r = fmod(x, y);
			if (r != 0 && ((r < 0) != (y < 0)))
				r += y;
			*out = v_float(r);
			return 0;
		}
	case OP_POW:
		if (!nums)
			return type_error(st, op, a, b);
		if (ints && as_int(b) >= 0) {
			int64_t base = as_int(a), e = as_int(b), r = 1;
			bool overflow = false;
			while (e > 0 && !overflow) {
				if (e & 1)
					overflow |= __builtin_mul_overflow(r, base, &r);
				e >>= 1;
				if (e)
					overflow |= __builtin_mul_overflow(base, base, &base);
			}
			*out = overflow ? v_float(pow(as_double(a), as_double(b))) : v_int(r);
			return 0;
		}
		if (as_double(a) == 0 && as_double(b) < 0)
			return jinja_error(st, "0.0 cannot be raised to a negative power");
		*out = v_float(pow(as_double(a), as_double(b)));
		return 0;
	}
	return jinja_error(st, "unknown operator");
}

/* Comparison operators, with Python's rules (methods.c has the one implementation). */
static int compare(struct jstate *st, int op, value a, value b, bool *out)
{
	return jb_compare(st, op, a, b, out);
}

/* ---- calls ---- */

static int eval_args(struct jstate *st, struct frame *f, const struct call_args *ca,
                     struct vargs *va, const value *prefix, uint32_t nprefix)
{
	uint32_t npos = nprefix + (ca ? ca->npos : 0), nkw = ca ? ca->nkw : 0;
	value star = v_undef(), dstar = v_undef();
	if (ca && ca->star) {
		value s;
		if (eval_in(st, ca->star, f, &s) < 0 || jinja_iterate(st, s, &star) < 0)
			return -1;
		npos += star.list->n;
	}
	if (ca && ca->dstar) {
		if (eval_in(st, ca->dstar, f, &dstar) < 0)
			return -1;
		if (dstar.type != VT_DICT)
			return jinja_error(st, "argument after ** must be a mapping, not %s", v_type_name(dstar));
		nkw += dstar.dict->live;
	}
	value *pos = npos ? arena_alloc(st->a, npos * sizeof(value)) : NULL;
	struct vkwarg *kw = nkw ? arena_alloc(st->a, nkw * sizeof(struct vkwarg)) : NULL;
	uint32_t p = 0, k = 0;
	for (uint32_t i = 0; i < nprefix; i++)
		pos[p++] = prefix[i];
	if (ca) {
		for (uint32_t i = 0; i < ca->npos; i++)
			if (eval_in(st, ca->pos[i], f, &pos[p++]) < 0)
				return -1;
		if (star.type == VT_LIST)
			for (uint32_t i = 0; i < star.list->n; i++)
				pos[p++] = star.list->v[i];
		for (uint32_t i = 0; i < ca->nkw; i++) {
			kw[k].name = str_from(ca->kwnames[i]);
			if (eval_in(st, ca->kw[i], f, &kw[k].v) < 0)
				return -1;
			k++;
		}
		if (dstar.type == VT_DICT)
			for (uint32_t i = 0; i < dstar.dict->n; i++) {
				const struct ventry e_at = vdict_at(dstar.dict, i), *e = &e_at;
				if (e->k.type == VT_UNDEF)
					continue;
				if (e->k.type != VT_STR)
					return jinja_error(st, "keywords must be strings");
				kw[k].name = v_as_str(e->k);
				kw[k].v = e->v;
				k++;
			}
	}
	va->pos = pos;
	va->npos = p;
	va->kw = kw;
	va->nkw = k;
	return 0;
}

int jinja_call(struct jstate *st, value callee, const struct vargs *args, value *out)
{
	switch (callee.type) {
	case VT_FUNC:
		if (!callee.func->fn) /* a bound method of a builtin type */
			return jinja_call_method(st, callee.func->self, str_from(callee.func->name), args, out) < 0 ? -1 : 0;
		return callee.func->fn(st, callee.func->data, callee.func->self, args, out);
	case VT_MACRO:
		return call_macro(st, callee.ptr, args, out);
	case VT_OBJ:
		if (callee.obj->cls->call)
			return callee.obj->cls->call(st, callee, args, out);
		break;
	case VT_UNDEF:
		if (jinja_undef_mode(st) == JINJA_UNDEF_LENIENT) {
			*out = callee;
			return 0;
		}
		return jinja_undefined_error(st, callee);
	default:
		break;
	}
	return jinja_error(st, "'%s' object is not callable", v_type_name(callee));
}

/* A buffer from the pool, for capturing a macro's or block's output. */
static struct buf *pool_get(struct jstate *st)
{
	if (st->pool_used == st->pool_cap) {
		uint32_t cap = st->pool_cap ? st->pool_cap * 2 : 8;
		st->pool = xrealloc(st->pool, cap * sizeof(*st->pool));
		for (uint32_t i = st->pool_cap; i < cap; i++) {
			st->pool[i] = xmalloc(sizeof(struct buf));
			buf_init(st->pool[i]);
		}
		st->pool_cap = cap;
	}
	struct buf *b = st->pool[st->pool_used++];
	buf_reset(b);
	return b;
}
static void pool_put(struct jstate *st) { st->pool_used--; }

/* Runs body in frame f with output captured; returns the text (or the returned value). */
static int capture(struct jstate *st, const struct node *body, struct frame *f, value *out,
                   bool is_macro)
{
	struct buf *saved = st->out;
	struct buf *b = pool_get(st);
	st->out = b;
	int rc = exec_body(st, body, f);
	st->out = saved;
	if (rc == ST_ERR) {
		pool_put(st);
		return -1;
	}
	if (rc == ST_RETURN && is_macro) {
		st->returning = false;
		*out = st->retval;
		pool_put(st);
		return 0;
	}
	*out = v_strdup(st->a, b->p, b->n);
	pool_put(st);
	return rc == ST_RETURN ? ST_RETURN : 0;
}

static int call_macro(struct jstate *st, const struct macro_val *mv, const struct vargs *args,
                      value *out)
{
	const struct macro_def *m = mv->def;
	if (st->depth >= st->max_depth)
		return jinja_error(st, "maximum recursion depth exceeded calling macro '%s'", m->name);
	if (st->max_steps && ++st->steps > st->max_steps)
		return jinja_error(st, "the template ran past its limit of %llu steps",
		                   (unsigned long long)st->max_steps);
	struct frame *parent = mv->closure;
	if (!parent && m->tmpl == st->tmpl)
		parent = st->root;
	struct frame *f = frame_new(st, parent);
	uint32_t np = m->nparams;
	bool *bound = np ? arena_zalloc(st->a, np) : NULL;
	value varargs = v_undef(), kwargs = v_undef(), caller = mv->caller;
	if (args->npos > np) {
		if (!m->uses_varargs)
			return jinja_error(st, "macro '%s' takes not more than %u argument(s)", m->name, np);
		varargs = v_list(st->a, args->npos - np);
		for (uint32_t i = np; i < args->npos; i++)
			vlist_push(varargs.list, args->pos[i]);
		varargs.flags = VF_TUPLE;
	}
	for (uint32_t i = 0; i < np && i < args->npos; i++) {
		frame_set(st, f, m->params[i], args->pos[i]);
		bound[i] = true;
	}
	for (uint32_t k = 0; k < args->nkw; k++) {
		const struct vkwarg *kw = &args->kw[k];
		const char *name = intern(st->env->names, kw->name.p, kw->name.n);
		uint32_t i;
		for (i = 0; i < np; i++)
			if (m->params[i] == name)
				break;
		if (i < np && !bound[i]) {
			frame_set(st, f, name, kw->v);
			bound[i] = true;
			continue;
		}
		if (name == st->env->n_caller && m->uses_caller) {
			caller = kw->v;
			continue;
		}
		if (!m->uses_kwargs)
			return jinja_error(st, "macro '%s' takes no keyword argument '%s'", m->name, name);
		if (kwargs.type == VT_UNDEF)
			kwargs = v_dict(st->a, 4);
		vdict_set(kwargs.dict, v_strs(kw->name), kw->v);
	}
	st->depth++;
	for (uint32_t i = 0; i < np; i++) {
		if (bound[i])
			continue;
		value d;
		if (m->defaults[i]) {
			/* defaults see the parameters bound before them */
			const struct jinja_template *saved = st->tmpl;
			st->tmpl = m->tmpl;
			int rc = eval_in(st, m->defaults[i], f, &d);
			st->tmpl = saved;
			if (rc < 0) {
				st->depth--;
				return -1;
			}
		} else {
			d = v_undef_named(m->params[i], strlen(m->params[i]));
		}
		frame_set(st, f, m->params[i], d);
	}
	if (m->uses_varargs)
		frame_set(st, f, st->env->n_varargs, varargs.type == VT_UNDEF ? v_tuple(st->a, 0, NULL) : varargs);
	if (m->uses_kwargs)
		frame_set(st, f, st->env->n_kwargs, kwargs.type == VT_UNDEF ? v_dict(st->a, 0) : kwargs);
	if (m->uses_caller || caller.type != VT_UNDEF)
		frame_set(st, f, st->env->n_caller, caller.type == VT_UNDEF ? v_undef_named("caller", 6) : caller);
	const struct jinja_template *saved = st->tmpl;
	struct vdict *saved_ns = st->ns;
	st->tmpl = m->tmpl;
	if (mv->ns)
		st->ns = mv->ns;
	int rc = capture(st, m->body, f, out, true);
	st->tmpl = saved;
	st->ns = saved_ns;
	st->depth--;
	return rc < 0 ? -1 : 0;
}

/* ---- the loop object ---- */

struct loop_state {
	value items; /* list */
	uint32_t i;
	int depth;               /* 1 at the top; deeper for loop(items) in recursive loops */
	const struct node *node; /* the for statement, for loop(items) */
	struct frame *frame;     /* the frame the for statement runs in */
	value changed; /* loop.changed(): the last arguments */
	bool has_changed;
};

static int loop_cycle(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	struct loop_state *ls = self.obj->data;
	if (!args->npos)
		return jinja_error(st, "no items for cycling given");
	*out = args->pos[ls->i % args->npos];
	return 0;
}

static int loop_changed(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	struct loop_state *ls = self.obj->data;
	value now = v_tuple(st->a, args->npos, args->pos);
	bool changed = !ls->has_changed || !v_equal(now, ls->changed);
	ls->changed = now;
	ls->has_changed = true;
	*out = v_bool(changed);
	return 0;
}

static int loop_getattr(struct jstate *st, value self, struct str name, value *out)
{
	struct loop_state *ls = self.obj->data;
	int64_t n = ls->items.list->n, i = ls->i;
	if (str_eqc(name, "index"))
		*out = v_int(i + 1);
	else if (str_eqc(name, "index0"))
		*out = v_int(i);
	else if (str_eqc(name, "revindex"))
		*out = v_int(n - i);
	else if (str_eqc(name, "revindex0"))
		*out = v_int(n - i - 1);
	else if (str_eqc(name, "first"))
		*out = v_bool(i == 0);
	else if (str_eqc(name, "last"))
		*out = v_bool(i == n - 1);
	else if (str_eqc(name, "length"))
		*out = v_int(n);
	else if (str_eqc(name, "depth"))
		*out = v_int(ls->depth);
	else if (str_eqc(name, "depth0"))
		*out = v_int(ls->depth - 1);
	else if (str_eqc(name, "previtem"))
		*out = i > 0 ? ls->items.list->v[i - 1] : v_undef_named("there is no previous item", 25);
	else if (str_eqc(name, "nextitem"))
		*out = i + 1 < n ? ls->items.list->v[i + 1] : v_undef_named("there is no next item", 21);
	else if (str_eqc(name, "cycle"))
		*out = v_func(st->a, "cycle", loop_cycle, NULL, self);
	else if (str_eqc(name, "changed"))
		*out = v_func(st->a, "changed", loop_changed, NULL, self);
	else
		return 0;
	if (out->type == VT_UNDEF)
		out->flags = UNDEF_HINT;
	return 1;
}

static void loop_str(value self, struct buf *out)
{
	struct loop_state *ls = self.obj->data;
	buf_printf(out, "<LoopContext %u/%u>", ls->i + 1, ls->items.list->n);
}

static int loop_call(struct jstate *st, value self, const struct vargs *args, value *out);
static const struct vclass loop_class = {
	.name = "LoopContext", .getattr = loop_getattr, .call = loop_call, .str = loop_str
};

/* ---- assignment ---- */

static int assign(struct jstate *st, const struct node *target, value v, struct frame *f)
{
	if (target->kind == E_NAME) {
		frame_set(st, f, target->name, v);
		return 0;
	}
	if (target->kind == E_GETATTR) {
		value ns = lookup(st, f, target->a->name);
		if (ns.type != VT_DICT || !(ns.flags & VF_NAMESPACE))
			return jinja_error(st, "cannot assign attribute on non-namespace object");
		if (ns.dict->a != st->a)
			v = value_copy(ns.dict->a, v);
		vdict_set(ns.dict, v_cstr(target->name), v);
		return 0;
	}
	/* tuple unpacking */
	value items;
	if (jinja_iterate(st, v, &items) < 0)
		return -1;
	if (items.list->n != target->nkids) {
		if (items.list->n > target->nkids)
			return jinja_error(st, "too many values to unpack (expected %u)", target->nkids);
		return jinja_error(st, "not enough values to unpack (expected %u, got %u)", target->nkids,
		                   items.list->n);
	}
	for (uint16_t i = 0; i < target->nkids; i++)
		if (assign(st, target->kids[i], items.list->v[i], f) < 0)
			return -1;
	return 0;
}

/* ---- expressions ---- */


static int apply_filter(struct jstate *st, struct frame *f, const struct node *fn, value v, value *out)
{
	const struct jinja_filter *flt = fn->filter;
	if (!flt)
		return jinja_error(st, "no filter named '%s'", fn->name);
	struct vargs va = { 0 };
	if (fn->args && eval_args(st, f, fn->args, &va, NULL, 0) < 0)
		return -1;
	st->line = fn->line;
	return flt->fn(st, v, &va, out);
}

static int eval_filter_chain(struct jstate *st, struct frame *f, const struct node *n, value text,
                             value *out)
{
	/* the chain is nested: outermost filter first; its innermost object is E_BLOCKTEXT */
	if (n->kind == E_BLOCKTEXT) {
		*out = text;
		return 0;
	}
	value inner;
	if (eval_filter_chain(st, f, n->a, text, &inner) < 0)
		return -1;
	return apply_filter(st, f, n, inner, out);
}


static int eval_call(struct jstate *st, const struct node *n, struct frame *f, value *out)
{
	const struct node *fn = n->a;
	struct vargs va;
	/* obj.method(...) on builtin types without building a bound method */
	if (fn->kind == E_GETATTR) {
		value obj;
		if (eval_in(st, fn->a, f, &obj) < 0)
			return -1;
		struct str name = str_from(fn->name);
		if ((obj.type == VT_STR || obj.type == VT_LIST ||
		     (obj.type == VT_DICT && !(obj.flags & VF_NAMESPACE))) &&
		    jinja_has_method(obj, name)) {
			int rc = eval_args(st, f, n->args, &va, NULL, 0);
			if (rc < 0)
				return -1;
			st->line = n->line;
			return jinja_call_method(st, obj, name, &va, out) < 0 ? -1 : 0;
		}
		value callee;
		st->line = n->line;
		if (jinja_getattr(st, obj, name, &callee) < 0)
			return -1;
		int rc = eval_args(st, f, n->args, &va, NULL, 0);
		if (rc < 0)
			return -1;
		st->line = n->line;
		return jinja_call(st, callee, &va, out);
	}
	value callee;
	if (eval_in(st, fn, f, &callee) < 0)
		return -1;
	if (fn->kind == E_NAME && fn->name == st->env->n_return && callee.type == VT_FUNC &&
	    callee.func->data == (void *)st->env) {
		/* dbt's return(): unwind to the enclosing macro with this value */
		int rc = eval_args(st, f, n->args, &va, NULL, 0);
		if (rc < 0)
			return -1;
		st->retval = va.npos ? va.pos[0] : v_none();
		st->returning = true;
		*out = v_str("", 0);
		return 0;
	}
	int rc = eval_args(st, f, n->args, &va, NULL, 0);
	if (rc < 0)
		return -1;
	st->line = n->line;
	return jinja_call(st, callee, &va, out);
}

static int slice_index(value v, int64_t n, int64_t step, bool is_start, int64_t *out)
{
	if (v.type == VT_NONE || v.type == VT_UNDEF) {
		if (step > 0)
			*out = is_start ? 0 : n;
		else
			*out = is_start ? n - 1 : -1;
		return 0;
	}
	if (v.type != VT_INT && v.type != VT_BOOL)
		return -1;
	int64_t i = v.type == VT_INT ? v.i : v.b;
	if (i < 0) {
		i += n;
		if (i < 0)
			i = step > 0 ? 0 : -1;
	} else if (i >= n) {
		i = step > 0 ? n : n - 1;
	}
	*out = i;
	return 0;
}

static int eval_slice(struct jstate *st, const struct node *n, struct frame *f, value *out)
{
	value obj, lo = v_none(), hi = v_none(), stepv = v_none();
	if (eval_in(st, n->a, f, &obj) < 0 || (n->b && eval_in(st, n->b, f, &lo) < 0) ||
	    (n->c && eval_in(st, n->c, f, &hi) < 0) || (n->d && eval_in(st, n->d, f, &stepv) < 0))
		return -1;
	if (obj.type == VT_UNDEF) {
		if (jinja_undef_mode(st) == JINJA_UNDEF_LENIENT) {
			*out = obj;
			return 0;
		}
		return jinja_undefined_error(st, obj);
	}
	int64_t step = 1;
	if (stepv.type == VT_INT)
		step = stepv.i;
	else if (stepv.type != VT_NONE)
		return jinja_error(st, "slice indices must be integers or None");
	if (step == 0)
		return jinja_error(st, "slice step cannot be zero");
	value seq = obj;
	if (obj.type == VT_STR) {
		/* by code point unless pure ASCII */
		bool ascii = true;
		for (uint32_t i = 0; i < obj.len && ascii; i++)
			ascii = (unsigned char)obj.s[i] < 0x80;
		if (!ascii && jinja_iterate(st, obj, &seq) < 0)
			return -1;
		if (ascii) {
			int64_t a, b;
			if (slice_index(lo, obj.len, step, true, &a) < 0 || slice_index(hi, obj.len, step, false, &b) < 0)
				return jinja_error(st, "slice indices must be integers or None");
			struct buf buf = BUF_INIT;
			for (int64_t i = a; step > 0 ? i < b : i > b; i += step)
				buf_putc(&buf, obj.s[i]);
			*out = v_buf(st->a, &buf);
			buf_release(&buf);
			return 0;
		}
	} else if (obj.type == VT_OBJ && obj.obj->cls->len && obj.obj->cls->iter) {
		/* sequence objects (agate's rows and columns) slice into a tuple of their items */
		if (jinja_iterate(st, obj, &seq) < 0)
			return -1;
		obj = v_tuple(st->a, 0, NULL);
	} else if (obj.type != VT_LIST) {
		return jinja_error(st, "'%s' object is not subscriptable", v_type_name(obj));
	}
	int64_t len = seq.list->n, a, b;
	if (slice_index(lo, len, step, true, &a) < 0 || slice_index(hi, len, step, false, &b) < 0)
		return jinja_error(st, "slice indices must be integers or None");
	value l = v_list(st->a, 0);
	for (int64_t i = a; step > 0 ? i < b : i > b; i += step)
		vlist_push(l.list, seq.list->v[i]);
	if (obj.type == VT_STR) {
		struct buf buf = BUF_INIT;
		for (uint32_t i = 0; i < l.list->n; i++)
			buf_append(&buf, l.list->v[i].s, l.list->v[i].len);
		*out = v_buf(st->a, &buf);
		buf_release(&buf);
		return 0;
	}
	l.flags = obj.flags & VF_TUPLE;
	*out = l;
	return 0;
}

static int eval_in(struct jstate *st, const struct node *n, struct frame *f, value *out)
{
	if (st->err)
		return -1;
	switch (n->kind) {
	case E_CONST:
		*out = n->v;
		return 0;
	case E_NAME:
		*out = lookup(st, f, n->name);
		return 0;
	case E_GETATTR: {
		value obj;
		if (eval_in(st, n->a, f, &obj) < 0)
			return -1;
		st->line = n->line;
		return jinja_getattr(st, obj, str_from(n->name), out);
	}
	case E_GETITEM: {
		value obj, key;
		if (eval_in(st, n->a, f, &obj) < 0 || eval_in(st, n->b, f, &key) < 0)
			return -1;
		st->line = n->line;
		return jinja_getitem(st, obj, key, out);
	}
	case E_SLICE:
		st->line = n->line;
		return eval_slice(st, n, f, out);
	case E_CALL:
		return eval_call(st, n, f, out);
	case E_FILTER: {
		value v;
		if (eval_in(st, n->a, f, &v) < 0)
			return -1;
		return apply_filter(st, f, n, v, out);
	}
	case E_TEST: {
		value v;
		if (eval_in(st, n->a, f, &v) < 0)
			return -1;
		const struct jinja_test *t = n->test;
		st->line = n->line;
		if (!t)
			return jinja_error(st, "no test named '%s'", n->name);
		struct vargs va = { 0 };
		if (n->args) {
			int rc = eval_args(st, f, n->args, &va, NULL, 0);
			if (rc < 0)
				return -1;
		}
		bool r;
		if (t->fn(st, v, &va, &r) < 0)
			return -1;
		*out = v_bool(n->op ? !r : r);
		return 0;
	}
	case E_BINOP: {
		value a, b;
		if (eval_in(st, n->a, f, &a) < 0 || eval_in(st, n->b, f, &b) < 0)
			return -1;
		st->line = n->line;
		return jinja_binop(st, n->op, a, b, out);
	}
	case E_UNARY: {
		value a;
		if (eval_in(st, n->a, f, &a) < 0)
			return -1;
		st->line = n->line;
		if (a.type == VT_INT || a.type == VT_BOOL) {
			int64_t i = as_int(a);
			*out = v_int(n->op == OP_NEG ? -i : i);
		} else if (a.type == VT_FLOAT) {
			*out = v_float(n->op == OP_NEG ? -a.f : a.f);
		} else if (a.type == VT_UNDEF) {
			return jinja_undefined_error(st, a);
		} else {
			return jinja_error(st, "bad operand type for unary %c: '%s'", n->op == OP_NEG ? '-' : '+',
			                   v_type_name(a));
		}
		return 0;
	}
	case E_NOT: {
		value a;
		if (eval_in(st, n->a, f, &a) < 0)
			return -1;
		*out = v_bool(!v_truthy(a));
		return 0;
	}
	case E_AND:
	case E_OR: {
		value a;
		if (eval_in(st, n->a, f, &a) < 0)
			return -1;
		bool t = v_truthy(a);
		if ((n->kind == E_AND) != t) {
			*out = a;
			return 0;
		}
		return eval_in(st, n->b, f, out);
	}
	case E_COMPARE: {
		value l;
		if (eval_in(st, n->a, f, &l) < 0)
			return -1;
		for (uint16_t i = 0; i < n->nkids; i++) {
			value r;
			bool res;
			if (eval_in(st, n->kids[i], f, &r) < 0)
				return -1;
			st->line = n->line;
			if (compare(st, n->ops[i], l, r, &res) < 0)
				return -1;
			if (!res) {
				*out = v_bool(false);
				return 0;
			}
			l = r;
		}
		*out = v_bool(true);
		return 0;
	}
	case E_COND: {
		value c;
		if (eval_in(st, n->a, f, &c) < 0)
			return -1;
		if (v_truthy(c))
			return eval_in(st, n->b, f, out);
		if (n->c)
			return eval_in(st, n->c, f, out);
		*out = v_undef();
		return 0;
	}
	case E_LIST:
	case E_TUPLE: {
		value l = v_list(st->a, n->nkids);
		for (uint16_t i = 0; i < n->nkids; i++)
			if (eval_in(st, n->kids[i], f, &l.list->v[i]) < 0)
				return -1;
		l.list->n = n->nkids;
		if (n->kind == E_TUPLE)
			l.flags = VF_TUPLE;
		*out = l;
		return 0;
	}
	case E_DICT: {
		value d = v_dict(st->a, n->nkids / 2);
		for (uint16_t i = 0; i + 1 < n->nkids; i += 2) {
			value k, v;
			if (eval_in(st, n->kids[i], f, &k) < 0 || eval_in(st, n->kids[i + 1], f, &v) < 0)
				return -1;
			if (!v_hashable(k)) {
				st->line = n->line;
				return jinja_error(st, "unhashable type: '%s'", v_type_name(k));
			}
			vdict_set(d.dict, k, v);
		}
		*out = d;
		return 0;
	}
	default:
		return jinja_error(st, "cannot evaluate node");
	}
}

/* ---- statements ---- */

/* Would Jinja2's optimizer fold this expression into template text at compile time? */
static bool is_const_expr(const struct node *n)
{
	if (!n)
		return true;
	switch (n->kind) {
	case E_CONST:
		return true;
	case E_LIST:
	case E_TUPLE:
	case E_DICT:
		for (uint16_t i = 0; i < n->nkids; i++)
			if (!is_const_expr(n->kids[i]))
				return false;
		return true;
	case E_BINOP:
	case E_AND:
	case E_OR:
		return is_const_expr(n->a) && is_const_expr(n->b);
	case E_UNARY:
	case E_NOT:
		return is_const_expr(n->a);
	case E_COMPARE:
		for (uint16_t i = 0; i < n->nkids; i++)
			if (!is_const_expr(n->kids[i]))
				return false;
		return is_const_expr(n->a);
	case E_COND:
		return is_const_expr(n->a) && is_const_expr(n->b) && is_const_expr(n->c);
	case E_FILTER:
		if (n->args || !is_const_expr(n->a) || !strncmp(n->name, "as_", 3))
			return false;
		return true;
	default:
		return false;
	}
}

static void emit(struct jstate *st, value v)
{
	if (st->out) /* (NULL: a render whose text is not kept, see jinja_render) */
		jinja_to_str(v, st->out);
}

/* Native rendering counts the chunks the top level writes (dbt's quoted_native_concat). */
static void native_chunk(struct jstate *st, const struct node *n, value v)
{
	if (!st->native || st->out != st->root_out)
		return;
	st->nchunks++;
	st->chunk = v;
	st->chunk_const = !n || is_const_expr(n);
}

static int exec_for_items(struct jstate *st, const struct node *n, struct frame *f, value it,
                          int depth);

/* loop(items) in a recursive loop: the loop body over items, one level deeper, as text. */
static int loop_call(struct jstate *st, value self, const struct vargs *args, value *out)
{
	struct loop_state *ls = self.obj->data;
	if (!ls->node || !(ls->node->op & 1))
		return jinja_error(st, "The loop must have the 'recursive' marker to be called recursively.");
	if (args->npos != 1 || args->nkw)
		return jinja_error(st, "loop() takes exactly one argument");
	if (st->depth >= st->max_depth)
		return jinja_error(st, "maximum recursion depth exceeded in a recursive loop");
	struct buf *saved = st->out;
	struct buf *b = pool_get(st);
	st->out = b;
	st->depth++;
	int rc = exec_for_items(st, ls->node, ls->frame, args->pos[0], ls->depth + 1);
	st->depth--;
	st->out = saved;
	if (rc == ST_ERR) {
		pool_put(st);
		return -1;
	}
	*out = v_strdup(st->a, b->p, b->n);
	pool_put(st);
	return 0;
}

static int exec_for(struct jstate *st, const struct node *n, struct frame *f)
{
	value it;
	if (eval_in(st, n->a, f, &it) < 0)
		return ST_ERR;
	return exec_for_items(st, n, f, it, 1);
}

static int exec_for_items(struct jstate *st, const struct node *n, struct frame *f, value it,
                          int depth)
{
	value items;
	st->line = n->line;
	if (jinja_iterate(st, it, &items) < 0)
		return ST_ERR;
	if (n->d) {
		/* for x in xs if cond: filter first, so loop.* counts the kept items */
		value kept = v_list(st->a, items.list->n);
		struct frame *ff = frame_new(st, f);
		for (uint32_t i = 0; i < items.list->n; i++) {
			ff->n = 0;
			if (assign(st, n->target, items.list->v[i], ff) < 0)
				return ST_ERR;
			value c;
			if (eval_in(st, n->d, ff, &c) < 0)
				return ST_ERR;
			if (v_truthy(c))
				vlist_push(kept.list, items.list->v[i]);
		}
		items = kept;
	} else if (items.list == it.list && it.type == VT_LIST) {
		/* iterate over a snapshot: the body may append to the list */
		items = v_tuple(st->a, it.list->n, it.list->v);
	}
	uint32_t count = items.list->n;
	if (count == 0) {
		if (n->c)
			return exec_body(st, n->c, f);
		return ST_OK;
	}
	struct loop_state *ls = arena_alloc(st->a, sizeof(*ls));
	ls->items = items;
	ls->node = n;
	ls->frame = f;
	ls->depth = depth;
	value loopv = v_obj(st->a, &loop_class, ls);
	ls->changed = v_undef();
	ls->has_changed = false;
	struct frame *lf = frame_new(st, f);
	bool completed = false; /* Jinja2 runs `else` unless some iteration reached its end */
	for (uint32_t i = 0; i < count; i++) {
		if (st->max_steps && ++st->steps > st->max_steps) {
			jinja_error(st, "the template ran past its limit of %llu steps",
			            (unsigned long long)st->max_steps);
			return ST_ERR;
		}
		ls->i = i;
		lf->n = 0; /* every iteration starts from the enclosing scope */
		frame_set(st, lf, st->env->n_loop, loopv);
		if (assign(st, n->target, items.list->v[i], lf) < 0)
			return ST_ERR;
		int rc = exec_body(st, n->b, lf);
		if (rc == ST_BREAK)
			break;
		if (rc == ST_CONTINUE)
			continue;
		if (rc != ST_OK)
			return rc;
		completed = true;
	}
	if (!completed && n->c)
		return exec_body(st, n->c, f);
	return ST_OK;
}

static int exec_stmt(struct jstate *st, const struct node *n, struct frame *f)
{
	st->line = n->line;
	switch (n->kind) {
	case S_TEXT:
		if (st->out)
			buf_append(st->out, n->text.p, n->text.n);
		native_chunk(st, NULL, v_undef());
		return ST_OK;
	case S_OUTPUT: {
		value v;
		if (eval_in(st, n->a, f, &v) < 0)
			return ST_ERR;
		if (st->returning)
			return ST_RETURN;
		emit(st, v);
		native_chunk(st, n->a, v);
		return ST_OK;
	}
	case S_IF: {
		for (;;) {
			value c;
			if (eval_in(st, n->a, f, &c) < 0)
				return ST_ERR;
			if (v_truthy(c))
				return exec_body(st, n->b, f);
			if (!n->c)
				return ST_OK;
			if (n->c->kind != S_IF)
				return exec_body(st, n->c, f);
			n = n->c;
		}
	}
	case S_FOR:
		return exec_for(st, n, f);
	case S_SET: {
		value v;
		if (eval_in(st, n->a, f, &v) < 0)
			return ST_ERR;
		if (st->returning)
			return ST_RETURN;
		return assign(st, n->target, v, f) < 0 ? ST_ERR : ST_OK;
	}
	case S_SETBLOCK: {
		value text;
		int rc = capture(st, n->b, f, &text, false);
		if (rc < 0)
			return ST_ERR;
		if (rc == ST_RETURN)
			return ST_RETURN;
		if (n->a) {
			rc = eval_filter_chain(st, f, n->a, text, &text);
			if (rc < 0)
				return ST_ERR;
		}
		return assign(st, n->target, text, f) < 0 ? ST_ERR : ST_OK;
	}
	case S_FILTERBLOCK: {
		value text, res;
		int rc = capture(st, n->b, f, &text, false);
		if (rc < 0)
			return ST_ERR;
		rc = eval_filter_chain(st, f, n->a, text, &res);
		if (rc < 0)
			return ST_ERR;
		emit(st, res);
		return ST_OK;
	}
	case S_MACRO: {
		struct macro_val *mv = arena_zalloc(st->a, sizeof(*mv));
		mv->def = n->mac;
		mv->closure = f == st->root ? NULL : f;
		mv->caller = v_undef();
		frame_set(st, f, n->mac->name, (value){ .type = VT_MACRO, .ptr = mv });
		return ST_OK;
	}
	case S_CALLBLOCK: {
		struct macro_val *cv = arena_zalloc(st->a, sizeof(*cv));
		cv->def = n->mac;
		cv->closure = f;
		cv->caller = v_undef();
		value caller = { .type = VT_MACRO, .ptr = cv };
		const struct node *call = n->a;
		value callee;
		if (eval_in(st, call->a, f, &callee) < 0)
			return ST_ERR;
		struct vargs va;
		int rc = eval_args(st, f, call->args, &va, NULL, 0);
		if (rc < 0)
			return ST_ERR;
		/* pass caller= as a keyword argument */
		struct vkwarg *kw = arena_alloc(st->a, (va.nkw + 1) * sizeof(*kw));
		if (va.nkw)
			memcpy(kw, va.kw, va.nkw * sizeof(*kw));
		kw[va.nkw].name = STR("caller");
		kw[va.nkw].v = caller;
		va.kw = kw;
		va.nkw++;
		value res;
		st->line = n->line;
		if (jinja_call(st, callee, &va, &res) < 0)
			return ST_ERR;
		emit(st, res);
		return ST_OK;
	}
	case S_DO: {
		value v;
		if (eval_in(st, n->a, f, &v) < 0)
			return ST_ERR;
		return st->returning ? ST_RETURN : ST_OK;
	}
	case S_BREAK:
		return ST_BREAK;
	case S_CONTINUE:
		return ST_CONTINUE;
	case S_DBTBLOCK:
		/* handed to the embedder through jinja_template_blocks; renders nothing */
		return ST_OK;
	case S_BODY:
		return exec_body(st, n, f);
	default:
		jinja_error(st, "cannot execute node");
		return ST_ERR;
	}
}

static int exec_body(struct jstate *st, const struct node *body, struct frame *f)
{
	for (uint16_t i = 0; i < body->nkids; i++) {
		int rc = exec_stmt(st, body->kids[i], f);
		if (rc != ST_OK)
			return rc;
	}
	return ST_OK;
}

/* ---- the environment and the public API ---- */

static int fn_return(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	st->retval = args->npos ? args->pos[0] : v_none();
	st->returning = true;
	*out = v_str("", 0);
	return 0;
}

struct jinja_env *jinja_env_new(void)
{
	struct jinja_env *env = xcalloc(1, sizeof(*env));
	arena_init(&env->arena);
	env->names = intern_new();
	env->globals = v_dict(&env->arena, 32).dict;
	env->n_loop = intern(env->names, "loop", 4);
	env->n_varargs = intern(env->names, "varargs", 7);
	env->n_kwargs = intern(env->names, "kwargs", 6);
	env->n_caller = intern(env->names, "caller", 6);
	env->n_self = intern(env->names, "self", 4);
	env->n_return = intern(env->names, "return", 6);
	jinja_set_function(env, "return", fn_return, env);
	jinja_install_globals(env);
	return env;
}

void jinja_env_free(struct jinja_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->templates.n; i++)
		free(env->templates.v[i]);
	vec_free(&env->templates);
	free(env->tokbuf);
	intern_free(env->names);
	arena_release(&env->arena);
	free(env);
}

struct arena *jinja_env_arena(struct jinja_env *env) { return &env->arena; }

void jinja_set_global(struct jinja_env *env, const char *name, value v)
{
	const char *key = intern(env->names, name, strlen(name));
	vdict_set(env->globals, v_cstr(key), v);
}

void jinja_set_function(struct jinja_env *env, const char *name, vfunc_fn fn, void *data)
{
	const char *key = intern(env->names, name, strlen(name));
	jinja_set_global(env, key, v_func(&env->arena, key, fn, data, v_undef()));
}

bool jinja_get_global(struct jinja_env *env, const char *name, value *out)
{
	return vdict_gets(env->globals, str_from(name), out);
}

struct jinja_template *jinja_parse(struct jinja_env *env, const char *name, const char *src,
                                   size_t len, struct diag *d)
{
	struct jinja_template *t = xcalloc(1, sizeof(*t));
	t->name = intern(env->names, name, strlen(name));
	t->src = src;
	t->len = len;
	t->env = env;
	t->root = jinja_parse_template(env, &env->arena, t, d);
	if (!t->root) {
		free(t);
		return NULL;
	}
	vec_push(&env->templates, t);
	return t;
}

struct jinja_template *jinja_parse_in(struct jinja_env *env, struct arena *a, const char *name,
                                      const char *src, size_t len, struct diag *d)
{
	struct jinja_template *t = arena_zalloc(a, sizeof(*t));
	/* copied beside the template rather than interned: a project's files would fill the
	 * environment's name table with 10,000 paths each looked up once */
	t->name = arena_strndup(a, name, strlen(name));
	t->src = src;
	t->len = len;
	t->env = env;
	t->root = jinja_parse_template(env, a, t, d);
	return t->root ? t : NULL;
}

const char *jinja_template_name(const struct jinja_template *t) { return t->name; }

size_t jinja_template_blocks(const struct jinja_template *t, const struct jinja_block **out)
{
	*out = t->blocks;
	return t->nblocks;
}

void jinja_add_macros(struct jinja_env *env, const char *ns, struct jinja_template *t)
{
	struct vdict *target = env->globals;
	if (ns) {
		value nsv;
		if (!vdict_gets(env->globals, str_from(ns), &nsv) || nsv.type != VT_DICT) {
			nsv = v_dict(&env->arena, 16);
			nsv.flags = VF_NAMESPACE;
			jinja_set_global(env, ns, nsv);
		}
		target = nsv.dict;
	}
	for (size_t i = 0; i < t->nblocks; i++) {
		const struct jinja_block *b = &t->blocks[i];
		const struct node *n = b->node;
		const struct macro_def *m = NULL;
		if (!strcmp(b->kind, "macro"))
			m = n->mac;
		else if (!strcmp(b->kind, "test") || !strcmp(b->kind, "materialization"))
			m = b->macro;
		if (!m)
			continue;
		struct macro_val *mv = arena_zalloc(&env->arena, sizeof(*mv));
		mv->def = m;
		mv->caller = v_undef();
		mv->ns = ns ? target : NULL;
		const char *key = m->name;
		if (!strcmp(b->kind, "test"))
			key = arena_printf(&env->arena, "test_%s", m->name);
		vdict_set(target, v_cstr(key), (value){ .type = VT_MACRO, .ptr = mv });
	}
}

/* A thread's macro-output buffers, kept between its renders (a parse renders 10,000 models
 * on two threads, each calling a macro or two: allocating and freeing the buffers at every
 * render was ~1% of its CPU); freed when the thread ends. A render nested in another (a
 * function that renders) finds none kept and allocates its own. */
struct spare_pool {
	struct buf **pool;
	uint32_t cap;
};
#define SPARE_BUF_MAX (256u * 1024)
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static bool spare_ok;

static void pool_free(struct buf **pool, uint32_t cap)
{
	for (uint32_t i = 0; i < cap; i++) {
		buf_release(pool[i]);
		free(pool[i]);
	}
	free(pool);
}

static void spare_destroy(void *p)
{
	struct spare_pool *sp = p;
	pool_free(sp->pool, sp->cap);
	free(sp);
}

static void spare_key_make(void) { spare_ok = pthread_key_create(&spare_key, spare_destroy) == 0; }

static struct spare_pool *spare_get(bool make)
{
	pthread_once(&spare_once, spare_key_make);
	if (!spare_ok)
		return NULL;
	struct spare_pool *sp = pthread_getspecific(spare_key);
	if (!sp && make) {
		sp = xcalloc(1, sizeof(*sp));
		if (pthread_setspecific(spare_key, sp) != 0) {
			free(sp);
			sp = NULL;
		}
	}
	return sp;
}

static void state_init(struct jstate *st, struct jinja_env *env, const struct jinja_template *t,
                       const struct jinja_render *opts, struct arena *a, struct diag *d)
{
	memset(st, 0, sizeof(*st));
	struct spare_pool *sp = spare_get(false);
	if (sp && sp->pool) {
		st->pool = sp->pool;
		st->pool_cap = sp->cap;
		*sp = (struct spare_pool){0};
	}
	st->env = env;
	st->tmpl = t;
	st->opts = opts;
	st->a = a;
	st->d = d;
	st->ctx = opts->ctx;
	st->max_depth = opts->max_depth ? opts->max_depth : 200;
	st->max_steps = opts->max_steps;
	st->max_bytes = opts->max_bytes ? opts->max_bytes : 64u * 1024 * 1024;
}

static void state_release(struct jstate *st)
{
	struct spare_pool *sp = st->pool ? spare_get(true) : NULL;
	if (sp && !sp->pool) {
		/* (a long-lived thread does not keep a big macro's output between renders) */
		for (uint32_t i = 0; i < st->pool_cap; i++)
			if (st->pool[i]->cap > SPARE_BUF_MAX)
				buf_release(st->pool[i]);
		sp->pool = st->pool;
		sp->cap = st->pool_cap;
	} else {
		pool_free(st->pool, st->pool_cap);
	}
}

/* Runs t's top level into out; with native set, also reports the single emitted value. */
static int render_into(struct jinja_env *env, const struct jinja_template *t,
                       const struct jinja_render *opts, struct arena *a, struct buf *out,
                       struct diag *d, value *native)
{
	struct jstate st;
	state_init(&st, env, t, opts, a, d);
	st.out = out;
	st.root_out = out;
	st.native = native != NULL;
	st.root = frame_new(&st, NULL);
	int rc = exec_body(&st, t->root, st.root);
	if (native) {
		/* one dynamic chunk yields its value; anything else is the text */
		if (rc == ST_RETURN)
			*native = st.retval;
		else if (st.nchunks == 1 && !st.chunk_const)
			*native = st.chunk;
		else
			*native = v_buf(a, out);
	}
	state_release(&st);
	return rc == ST_ERR ? -1 : 0;
}

int jinja_render(struct jinja_env *env, const struct jinja_template *t,
                 const struct jinja_render *opts, struct buf *out, struct diag *d)
{
	static const struct jinja_render defaults;
	if (!opts)
		opts = &defaults;
	struct arena priv;
	struct arena *a = opts->arena;
	if (!a) {
		arena_init(&priv);
		a = &priv;
	}
	int rc = render_into(env, t, opts, a, out, d, NULL);
	if (a == &priv)
		arena_release(&priv);
	return rc;
}

int jinja_render_native(struct jinja_env *env, const struct jinja_template *t,
                        const struct jinja_render *opts, value *out, struct diag *d)
{
	struct buf b = BUF_INIT;
	value v = v_undef();
	int rc = render_into(env, t, opts, opts->arena, &b, d, &v);
	if (rc == 0) {
		if (v.type == VT_STR && (v.flags & VF_NATIVE)) {
			value lit, raw = v;
			if (jinja_literal_eval(env, opts->arena, v.s, v.len, &lit) == 0)
				v = lit;
			else
				v.flags &= (uint8_t)~(VF_NATIVE | VF_NATIVE_BOOL | VF_NATIVE_NUMBER);
			const char *want = NULL;
			if ((raw.flags & VF_NATIVE_BOOL) && v.type != VT_BOOL)
				want = "bool";
			else if ((raw.flags & VF_NATIVE_NUMBER) && v.type != VT_INT && v.type != VT_FLOAT)
				want = "number";
			if (want) {
				int line = t->root->nkids ? t->root->kids[0]->line : 1;
				diag_add(d, DIAG_ERROR, t->name, line, 0, NULL, 0,
				         "Could not convert value '%.*s' into type '%s'", (int)raw.len, raw.s, want);
				rc = -1;
			}
		} else if (v.type == VT_STR && (v.flags & VF_NATIVE_TEXT)) {
			v.flags &= (uint8_t)~VF_NATIVE_TEXT;
		}
		*out = v;
	}
	buf_release(&b);
	return rc;
}

int jinja_call_macro(struct jinja_env *env, const char *ns, const char *name,
                     const struct vargs *args, const struct jinja_render *opts, value *out,
                     struct diag *d)
{
	value m;
	if (ns) {
		value nsv;
		if (!vdict_gets(env->globals, str_from(ns), &nsv) || nsv.type != VT_DICT ||
		    !vdict_gets(nsv.dict, str_from(name), &m)) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "no macro named '%s.%s'", ns, name);
			return -1;
		}
	} else if (!vdict_gets(env->globals, str_from(name), &m)) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "no macro named '%s'", name);
		return -1;
	}
	struct jstate st;
	state_init(&st, env, NULL, opts, opts->arena, d);
	struct buf sink = BUF_INIT;
	st.out = &sink;
	st.root = frame_new(&st, NULL);
	int rc = jinja_call(&st, m, args, out);
	buf_release(&sink);
	state_release(&st);
	return rc;
}
