/* Python methods on builtin values (str, list, dict, tuple) as Jinja2's sandbox exposes them,
 * the argument binder every builtin uses (jinja_arg, jb_bind), and the Unicode helpers the other
 * builtin files share (prototypes repeated there: no header of their own). */
#include <math.h>

#include "jinja_int.h"
#include "builtins_int.h"
#include "../value/datetime.h"

/* ---- shared helpers (also declared in filters.c, format.c, tests.c, globals.c) ---- */

/* ---- UTF-8 ---- */

size_t jb_utf8_dec(const char *s, size_t n, uint32_t *cp) { return v_utf8_decode(s, n, cp); }

void jb_utf8_put(struct buf *b, uint32_t cp)
{
	char t[4];
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, t, 2);
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, t, 3);
	} else {
		t[0] = (char)(0xf0 | (cp >> 18));
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, t, 4);
	}
}

size_t jb_cplen(const char *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Byte offset of code point index cpi (n when past the end). */
size_t jb_cpoff(const char *p, size_t n, size_t cpi)
{
	size_t i = 0;
	uint32_t cp;
	while (cpi && i < n) {
		i += jb_utf8_dec(p + i, n - i, &cp);
		cpi--;
	}
	return i;
}

/* ---- character classes (ASCII, Latin, Greek, Cyrillic; an approximation of Unicode's) ---- */

uint32_t jb_lower(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c + 1 : c;
	if (c == 0x130)
		return 'i';
	if (c == 0x178)
		return 0xff;
	if (c >= 0x1c4 && c <= 0x1cc)
		return c <= 0x1c6 ? 0x1c6 : c <= 0x1c9 ? 0x1c9 : 0x1cc;
	if (c == 0x1f1 || c == 0x1f2)
		return 0x1f3;
	if (c >= 0x1cd && c <= 0x1dc)
		return (c & 1) ? c + 1 : c;
	if ((c >= 0x1de && c <= 0x1ef) || (c >= 0x1f8 && c <= 0x21f) || (c >= 0x222 && c <= 0x233) ||
	    c == 0x1f4)
		return c | 1;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) || (c >= 0x1e00 && c <= 0x1e95) ||
	    (c >= 0x1ea0 && c <= 0x1eff))
		return c | 1;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if (c >= 0xff21 && c <= 0xff3a)
		return c + 32;
	return c;
}

uint32_t jb_upper(uint32_t c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z' ? c - 32 : c;
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return c - 32;
	if (c == 0xff)
		return 0x178;
	if (c == 0xb5)
		return 0x39c;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c & ~1u;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c : c - 1;
	if (c == 0x131)
		return 'I';
	if (c == 0x17f)
		return 'S';
	if (c >= 0x1c4 && c <= 0x1cc)
		return c <= 0x1c6 ? 0x1c4 : c <= 0x1c9 ? 0x1c7 : 0x1ca;
	if (c == 0x1f2 || c == 0x1f3)
		return 0x1f1;
	if (c >= 0x1ce && c <= 0x1dc)
		return (c & 1) ? c : c - 1;
	if ((c >= 0x1df && c <= 0x1ef) || (c >= 0x1f9 && c <= 0x21f) || (c >= 0x223 && c <= 0x233) ||
	    c == 0x1f5)
		return (c & 1) ? c - 1 : c;
	if (c >= 0x3b1 && c <= 0x3c9)
		return c == 0x3c2 ? 0x3a3 : c - 32;
	if (c == 0x3ac)
		return 0x386;
	if (c >= 0x3ad && c <= 0x3af)
		return c - 37;
	if (c == 0x3cc)
		return 0x38c;
	if (c == 0x3cd || c == 0x3ce)
		return c - 63;
	if (c >= 0x430 && c <= 0x44f)
		return c - 32;
	if (c >= 0x450 && c <= 0x45f)
		return c - 80;
	if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) || (c >= 0x1e00 && c <= 0x1e95) ||
	    (c >= 0x1ea0 && c <= 0x1eff))
		return c & ~1u;
	if (c >= 0x561 && c <= 0x586)
		return c - 48;
	if (c >= 0xff41 && c <= 0xff5a)
		return c - 32;
	return c;
}

static bool is_upper_cp(uint32_t c) { return jb_lower(c) != c; }
static bool is_lower_cp(uint32_t c)
{
	return jb_upper(c) != c || c == 0xdf || c == 0x138 || c == 0x149;
}
static bool is_cased(uint32_t c) { return is_upper_cp(c) || is_lower_cp(c); }

bool jb_isspace(uint32_t c)
{
	return (c >= 9 && c <= 13) || c == ' ' || (c >= 0x1c && c <= 0x1f) || c == 0x85 ||
	       c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

bool jb_isdigit(uint32_t c)
{
	return (c >= '0' && c <= '9') || c == 0xb2 || c == 0xb3 || c == 0xb9 ||
	       (c >= 0x660 && c <= 0x669) || (c >= 0x6f0 && c <= 0x6f9) ||
	       (c >= 0x966 && c <= 0x96f) || (c >= 0xff10 && c <= 0xff19);
}

static bool is_decimal_cp(uint32_t c) { return jb_isdigit(c) && c != 0xb2 && c != 0xb3 && c != 0xb9; }

bool jb_isalpha(uint32_t c)
{
	if (c < 0x80)
		return (c | 32) >= 'a' && (c | 32) <= 'z';
	if (c < 0xc0)
		return c == 0xaa || c == 0xb5 || c == 0xba;
	if (c == 0xd7 || c == 0xf7)
		return false;
	if (c < 0x2b0)
		return true;
	if (is_cased(c))
		return true;
	if (c < 0x370)
		return false; /* modifier letters, combining marks */
	if (jb_isspace(c) || jb_isdigit(c))
		return false;
	if ((c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xe000 && c <= 0xf8ff) || (c >= 0xfe30 && c <= 0xfe4f) ||
	    (c >= 0xff00 && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) ||
	    (c >= 0xff5b && c <= 0xff65) || (c >= 0x1f000 && c <= 0x1faff) || c == 0x37e ||
	    c == 0x387 || (c >= 0x55a && c <= 0x55f) || c == 0x589 || c == 0x5be || c == 0x5c0 ||
	    c == 0x5c3 || c == 0x60c || c == 0x61b || c == 0x61f || c == 0x6d4 || c == 0x964 ||
	    c == 0x965 || c == 0xfeff)
		return false;
	return true;
}

bool jb_isalnum(uint32_t c) { return jb_isalpha(c) || jb_isdigit(c); }

void jb_str_lower(struct str s, struct buf *out)
{
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (cp < 0x80)
			buf_putc(out, (char)jb_lower(cp));
		else if (l == 1)
			buf_putc(out, s.p[i]);
		else
			jb_utf8_put(out, jb_lower(cp));
		i += l;
	}
}

static void put_upper(struct buf *out, uint32_t cp)
{
	if (cp == 0xdf)
		buf_puts(out, "SS");
	else
		jb_utf8_put(out, jb_upper(cp));
}

void jb_str_upper(struct str s, struct buf *out)
{
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (cp < 0x80)
			buf_putc(out, (char)jb_upper(cp));
		else if (l == 1)
			buf_putc(out, s.p[i]);
		else
			put_upper(out, cp);
		i += l;
	}
}

value jb_strval(struct jstate *st, struct buf *b)
{
	value v = v_buf(jinja_arena(st), b);
	buf_release(b);
	return v;
}

/* Jinja2's ignore_case: strings lower-cased, anything else as is. */
value jb_ignore_case(struct jstate *st, value v)
{
	if (v.type != VT_STR)
		return v;
	size_t i;
	for (i = 0; i < v.len; i++)
		if ((v.s[i] >= 'A' && v.s[i] <= 'Z') || (unsigned char)v.s[i] >= 0x80)
			break;
	if (i == v.len)
		return v;
	struct buf b = BUF_INIT;
	jb_str_lower(v_as_str(v), &b);
	return jb_strval(st, &b);
}

/* Results are capped like the interpreter's repetition (64 MiB of text, 10M items): the sandbox
 * must not be made to exhaust memory by a template. */
#define JB_MAX_BYTES (st->max_bytes)

int jb_check_size(struct jstate *st, uint64_t bytes)
{
	if (bytes > JB_MAX_BYTES)
		return jinja_error(st, "result too large");
	return 0;
}

/* ---- arguments ---- */

bool jinja_arg(const struct vargs *args, uint32_t i, const char *name, value *out)
{
	if (!args)
		return false;
	if (i < args->npos) {
		*out = args->pos[i];
		return true;
	}
	if (name)
		for (uint32_t k = 0; k < args->nkw; k++)
			if (str_eqc(args->kw[k].name, name)) {
				*out = args->kw[k].v;
				return true;
			}
	return false;
}

/* Binds args to the parameters in spec: names separated by ',', '!' before a name marks it
 * required, an entry '/' makes the names before it positional-only, an entry '*' the names after
 * it keyword-only. Fills out[i] for each given parameter (others untouched) and sets bit i of
 * *given (may be NULL). Returns 0, or -1 with a Python-style TypeError recorded. */
int jb_bind(struct jstate *st, const char *fname, const struct vargs *args, const char *spec,
            value *out, uint32_t *given)
{
	struct {
		const char *p;
		size_t n;
		bool req, posonly, kwonly;
	} par[16];
	int np = 0, posonly_end = -1;
	bool kwonly = false;
	for (const char *p = spec; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 1 && *p == '/') {
			posonly_end = np;
		} else if (n == 1 && *p == '*') {
			kwonly = true;
		} else if (n) {
			bool req = *p == '!';
			par[np].p = p + req;
			par[np].n = n - req;
			par[np].req = req;
			par[np].posonly = false;
			par[np].kwonly = kwonly;
			np++;
		}
		p += n + (e != NULL);
	}
	for (int i = 0; i < posonly_end; i++)
		par[i].posonly = true;
	uint32_t got = 0;
	int maxpos = 0;
	while (maxpos < np && !par[maxpos].kwonly)
		maxpos++;
	uint32_t npos = args ? args->npos : 0, nkw = args ? args->nkw : 0;
	if (npos > (uint32_t)maxpos) {
		if (maxpos == 0)
			return jinja_error(st, "%s() takes no positional arguments (%u given)", fname,
			                   npos);
		return jinja_error(st, "%s() takes at most %d positional argument%s (%u given)", fname,
		                   maxpos, maxpos == 1 ? "" : "s", npos);
	}
	for (uint32_t i = 0; i < npos; i++) {
		out[i] = args->pos[i];
		got |= 1u << i;
	}
	for (uint32_t k = 0; k < nkw; k++) {
		struct str kn = args->kw[k].name;
		int j;
		for (j = 0; j < np; j++)
			if (!par[j].posonly && kn.n == par[j].n && !memcmp(kn.p, par[j].p, kn.n))
				break;
		if (j == np) {
			if (posonly_end == np && !kwonly)
				return jinja_error(st, "%s() takes no keyword arguments", fname);
			return jinja_error(st, "%s() got an unexpected keyword argument '%.*s'", fname,
			                   (int)kn.n, kn.p);
		}
		if (got & (1u << j))
			return jinja_error(st, "%s() got multiple values for argument '%.*s'", fname,
			                   (int)kn.n, kn.p);
		out[j] = args->kw[k].v;
		got |= 1u << j;
	}
	for (int j = 0; j < np; j++)
		if (par[j].req && !(got & (1u << j)))
			return jinja_error(st, "%s() missing required argument '%.*s'", fname,
			                   (int)par[j].n, par[j].p);
	if (given)
		*given = got;
	return 0;
}

/* An integer argument (int or bool; Python's __index__). */
int jb_index_arg(struct jstate *st, value v, int64_t *out)
{
	if (v.type == VT_INT) {
		*out = v.i;
		return 0;
	}
	if (v.type == VT_BOOL) {
		*out = v.b;
		return 0;
	}
	if (v.type == VT_UNDEF)
		return jinja_undefined_error(st, v);
	return jinja_error(st, "'%s' object cannot be interpreted as an integer", v_type_name(v));
}

/* Formats fmt with the repr of v in place of "%R" (messages like "x is not in list"). */
void jb_repr_join(struct buf *out, const char *fmt, value v)
{
	const char *r = strstr(fmt, "%R");
	if (!r) {
		buf_puts(out, fmt);
		return;
	}
	buf_append(out, fmt, (size_t)(r - fmt));
	v_to_repr(v, out);
	buf_puts(out, r + 2);
}

static int error_repr(struct jstate *st, const char *fmt, value v)
{
	struct buf b = BUF_INIT;
	jb_repr_join(&b, fmt, v);
	jinja_error(st, "%s", buf_cstr(&b));
	buf_release(&b);
	return -1;
}

/* ---- sorting: stable merge sort by Python's `<`, errors recorded ---- */

/* Python's comparison operators (OP_EQ .. OP_NOTIN), as the interpreter evaluates them. */
int jb_compare(struct jstate *st, int op, value a, value b, bool *out)
{
	switch (op) {
	case OP_EQ:
		*out = v_equal(a, b);
		return 0;
	case OP_NE:
		*out = !v_equal(a, b);
		return 0;
	case OP_IN:
	case OP_NOTIN: {
		bool r = false;
		if (b.type == VT_STR) {
			if (a.type != VT_STR)
				return jinja_error(st,
				                   "'in <string>' requires string as left operand, not %s",
				                   v_type_name(a));
			r = a.len == 0 || memmem(b.s, b.len, a.s, a.len) != NULL;
		} else if (b.type == VT_DICT && !(b.flags & VF_NAMESPACE)) {
			value dummy;
			r = v_hashable(a) && vdict_get(b.dict, a, &dummy);
		} else if (b.type == VT_LIST || (b.type == VT_OBJ && b.obj->cls->iter)) {
			value l;
			if (jinja_iterate(st, b, &l) < 0)
				return -1;
			for (uint32_t i = 0; i < l.list->n && !r; i++)
				r = v_equal(l.list->v[i], a);
		} else if (b.type != VT_UNDEF) {
			return jinja_error(st, "argument of type '%s' is not iterable", v_type_name(b));
		}
		*out = op == OP_IN ? r : !r;
		return 0;
	}
	default:
		break;
	}
	int c;
	const struct vdatetime *da = v_as_datetime(a), *db = v_as_datetime(b);
	if (da && db) {
		/* date vs datetime and naive vs aware do not order, as in Python */
		if (da->has_time != db->has_time)
			return jinja_error(st, "can't compare %s to %s",
			                   da->has_time ? "datetime.datetime" : "datetime.date",
			                   db->has_time ? "datetime.datetime" : "datetime.date");
		if (da->has_tz != db->has_tz)
			return jinja_error(st, "can't compare offset-naive and offset-aware datetimes");
		int64_t x = datetime_ordinal_us(da), y = datetime_ordinal_us(db);
		c = x < y ? -1 : x > y;
		*out = op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
		return 0;
	}
	if (v_compare(a, b, &c) < 0) {
		if (a.type == VT_UNDEF)
			return jinja_undefined_error(st, a);
		if (b.type == VT_UNDEF)
			return jinja_undefined_error(st, b);
		const char *sym = op == OP_LT ? "<" : op == OP_LE ? "<=" : op == OP_GT ? ">" : ">=";
		return jinja_error(st, "'%s' not supported between instances of '%s' and '%s'", sym,
		                   v_type_name(a), v_type_name(b));
	}
	if ((a.type == VT_FLOAT && isnan(a.f)) || (b.type == VT_FLOAT && isnan(b.f))) {
		*out = false;
		return 0;
	}
	*out = op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
	return 0;
}

static int less_than(struct jstate *st, value a, value b, bool *lt)
{
	return jb_compare(st, OP_LT, a, b, lt);
}

struct sortctx {
	struct jstate *st;
	value *keys;
	bool reverse, err;
	bool eqfirst; /* keys equal by == never compare with < (Python's list keys) */
};

static bool sort_before(struct sortctx *c, uint32_t right, uint32_t left)
{
	/* true when the right-hand element must come before the left-hand one */
	bool lt = false;
	if (c->err)
		return false;
	if (c->eqfirst && v_equal(c->keys[left], c->keys[right]))
		return false;
	int rc = c->reverse ? less_than(c->st, c->keys[left], c->keys[right], &lt)
	                    : less_than(c->st, c->keys[right], c->keys[left], &lt);
	if (rc < 0)
		c->err = true;
	return lt;
}

static void merge_sort(struct sortctx *c, uint32_t *ix, uint32_t *tmp, uint32_t n)
{
	if (n < 2)
		return;
	if (n <= 8) {
		for (uint32_t i = 1; i < n && !c->err; i++) {
			uint32_t x = ix[i], j = i;
			while (j > 0 && sort_before(c, x, ix[j - 1])) {
				ix[j] = ix[j - 1];
				j--;
			}
			ix[j] = x;
		}
		return;
	}
	uint32_t h = n / 2;
	merge_sort(c, ix, tmp, h);
	merge_sort(c, ix + h, tmp, n - h);
	if (c->err)
		return;
	uint32_t i = 0, j = h, k = 0;
	while (i < h && j < n) {
		if (sort_before(c, ix[j], ix[i]))
			tmp[k++] = ix[j++];
		else
			tmp[k++] = ix[i++];
	}
	while (i < h)
		tmp[k++] = ix[i++];
	while (j < n)
		tmp[k++] = ix[j++];
	memcpy(ix, tmp, n * sizeof(*ix));
}

/* Sorts items[0..n) in place by keys (NULL: the items themselves), stable, like sorted().
 * eqfirst: keys that are == are not compared with < (the keys were lists in Python). */
int jb_list_sort2(struct jstate *st, value *items, value *keys, uint32_t n, bool reverse,
                  bool eqfirst)
{
	if (n < 2)
		return 0;
	uint32_t *ix = xmalloc(n * sizeof(*ix) * 2);
	for (uint32_t i = 0; i < n; i++)
		ix[i] = i;
	struct sortctx c = { st, keys ? keys : items, reverse, false, eqfirst };
	merge_sort(&c, ix, ix + n, n);
	if (!c.err) {
		value *copy = xmalloc(n * sizeof(value));
		memcpy(copy, items, n * sizeof(value));
		for (uint32_t i = 0; i < n; i++)
			items[i] = copy[ix[i]];
		if (keys) {
			memcpy(copy, keys, n * sizeof(value));
			for (uint32_t i = 0; i < n; i++)
				keys[i] = copy[ix[i]];
		}
		free(copy);
	}
	free(ix);
	return c.err ? -1 : 0;
}

int jb_list_sort(struct jstate *st, value *items, value *keys, uint32_t n, bool reverse)
{
	return jb_list_sort2(st, items, keys, n, reverse, false);
}

/* ---- str methods ---- */

typedef int (*method_fn)(struct jstate *st, value self, const struct vargs *args, value *out);
struct method {
	const char *name;
	method_fn fn;
};

#define SELF_STR(self) ((struct str){ (self).s, (self).len })

static value keep_safe(value self, value r)
{
	if (r.type == VT_STR && (self.flags & VF_SAFE))
		r.flags |= VF_SAFE;
	return r;
}

static int need_str(struct jstate *st, const char *fname, value v, int argn)
{
	if (v.type == VT_STR)
		return 0;
	if (v.type == VT_UNDEF)
		return jinja_undefined_error(st, v);
	(void)argn;
	return jinja_error(st, "%s() argument must be str, not %s", fname, v_type_name(v));
}

/* Python slice-index semantics for start/end arguments (None = default), in code points. */
static int slice_bounds(struct jstate *st, value vs, value ve, size_t len, size_t *start,
                        size_t *end)
{
	int64_t s = 0, e = (int64_t)len;
	if (vs.type != VT_NONE && jb_index_arg(st, vs, &s) < 0)
		return -1;
	if (ve.type != VT_NONE && jb_index_arg(st, ve, &e) < 0)
		return -1;
	if (s < 0)
		s += (int64_t)len;
	if (s < 0)
		s = 0;
	if (e < 0)
		e += (int64_t)len;
	if (e < 0)
		e = 0;
	if (e > (int64_t)len)
		e = (int64_t)len;
	*start = (size_t)s;
	*end = (size_t)e;
	return 0;
}

static int m_lower(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "str.lower", args, "", NULL, NULL) < 0)
		return -1;
	struct buf b = BUF_INIT;
	jb_str_lower(SELF_STR(self), &b);
	*out = keep_safe(self, jb_strval(st, &b));
	return 0;
}

static int m_upper(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "str.upper", args, "", NULL, NULL) < 0)
		return -1;
	struct buf b = BUF_INIT;
	jb_str_upper(SELF_STR(self), &b);
	*out = keep_safe(self, jb_strval(st, &b));
	return 0;
}

static int m_casefold(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "str.casefold", args, "", NULL, NULL) < 0)
		return -1;
	struct buf b = BUF_INIT;
	struct str s = SELF_STR(self);
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (cp == 0xdf)
			buf_puts(&b, "ss");
		else if (cp == 0x3c2)
			jb_utf8_put(&b, 0x3c3);
		else if (l == 1 && cp >= 0x80)
			buf_putc(&b, s.p[i]);
		else
			jb_utf8_put(&b, jb_lower(cp));
		i += l;
	}
	*out = jb_strval(st, &b);
	return 0;
}

static int m_swapcase(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "str.swapcase", args, "", NULL, NULL) < 0)
		return -1;
	struct buf b = BUF_INIT;
	struct str s = SELF_STR(self);
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (l == 1 && cp >= 0x80)
			buf_putc(&b, s.p[i]);
		else if (is_upper_cp(cp))
			jb_utf8_put(&b, jb_lower(cp));
		else if (is_lower_cp(cp))
			put_upper(&b, cp);
		else
			jb_utf8_put(&b, cp);
		i += l;
	}
	*out = keep_safe(self, jb_strval(st, &b));
	return 0;
}

static int m_title(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "str.title", args, "", NULL, NULL) < 0)
		return -1;
	struct buf b = BUF_INIT;
	struct str s = SELF_STR(self);
	bool prev_cased = false;
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (l == 1 && cp >= 0x80) {
			buf_putc(&b, s.p[i]);
			prev_cased = false;
		} else if (is_cased(cp)) {
			if (prev_cased)
				jb_utf8_put(&b, jb_lower(cp));
			else
				put_upper(&b, cp);
			prev_cased = true;
		} else {
			jb_utf8_put(&b, cp);
			prev_cased = false;
		}
		i += l;
	}
	*out = keep_safe(self, jb_strval(st, &b));
	return 0;
}

static int m_capitalize(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "str.capitalize", args, "", NULL, NULL) < 0)
		return -1;
	struct buf b = BUF_INIT;
	struct str s = SELF_STR(self);
	if (s.n) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p, s.n, &cp);
		if (l == 1 && cp >= 0x80)
			buf_putc(&b, s.p[0]);
		else
			put_upper(&b, cp);
		jb_str_lower(str_make(s.p + l, s.n - l), &b);
	}
	*out = keep_safe(self, jb_strval(st, &b));
	return 0;
}

/* the set of code points in chars (None: whitespace) contains cp? */
static bool in_chars(struct str chars, bool ws, uint32_t cp)
{
	if (ws)
		return jb_isspace(cp);
	for (size_t i = 0; i < chars.n;) {
		uint32_t c;
		i += jb_utf8_dec(chars.p + i, chars.n - i, &c);
		if (c == cp)
			return true;
	}
	return false;
}

static int do_strip(struct jstate *st, value self, const struct vargs *args, value *out,
                    const char *fname, bool left, bool right)
{
	value a[1] = { v_none() };
	if (jb_bind(st, fname, args, "chars,/", a, NULL) < 0)
		return -1;
	bool ws = a[0].type == VT_NONE;
	if (!ws && a[0].type != VT_STR) {
		if (a[0].type == VT_UNDEF)
			return jinja_undefined_error(st, a[0]);
		return jinja_error(st, "%s arg must be None or str", fname + 4);
	}
	struct str s = SELF_STR(self), chars = v_as_str(a[0]);
	size_t b = 0, e = s.n;
	if (left) {
		while (b < e) {
			uint32_t cp;
			size_t l = jb_utf8_dec(s.p + b, e - b, &cp);
			if (!in_chars(chars, ws, cp))
				break;
			b += l;
		}
	}
	if (right) {
		while (e > b) {
			size_t k = e - 1;
			while (k > b && ((unsigned char)s.p[k] & 0xc0) == 0x80)
				k--;
			uint32_t cp;
			jb_utf8_dec(s.p + k, e - k, &cp);
			if (!in_chars(chars, ws, cp))
				break;
			e = k;
		}
	}
	*out = keep_safe(self, v_str(s.p + b, e - b));
	return 0;
}

static int m_strip(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return do_strip(st, self, args, out, "str.strip", true, true);
}
static int m_lstrip(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return do_strip(st, self, args, out, "str.lstrip", true, false);
}
static int m_rstrip(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return do_strip(st, self, args, out, "str.rstrip", false, true);
}

static int split_common(struct jstate *st, value self, const struct vargs *args, value *out,
                        bool reverse)
{
	value a[2] = { v_none(), v_int(-1) };
	const char *fname = reverse ? "str.rsplit" : "str.split";
	if (jb_bind(st, fname, args, "sep,maxsplit", a, NULL) < 0)
		return -1;
	int64_t maxsplit = 0;
	if (jb_index_arg(st, a[1], &maxsplit) < 0)
		return -1;
	if (a[0].type != VT_NONE && a[0].type != VT_STR) {
		if (a[0].type == VT_UNDEF)
			return jinja_undefined_error(st, a[0]);
		return jinja_error(st, "must be str or None, not %s", v_type_name(a[0]));
	}
	struct arena *ar = jinja_arena(st);
	struct str s = SELF_STR(self);
	value res = v_list(ar, 4);
	if (maxsplit < 0)
		maxsplit = INT64_MAX;
	if (a[0].type == VT_NONE) {
		/* runs of whitespace; empty strings never produced */
		if (!reverse) {
			size_t i = 0;
			for (;;) {
				uint32_t cp;
				size_t l;
				while (i < s.n) {
					l = jb_utf8_dec(s.p + i, s.n - i, &cp);
					if (!jb_isspace(cp))
						break;
					i += l;
				}
				if (i >= s.n)
					break;
				if (maxsplit == 0) {
					vlist_push(res.list, v_str(s.p + i, s.n - i));
					break;
				}
				size_t j = i;
				while (j < s.n) {
					l = jb_utf8_dec(s.p + j, s.n - j, &cp);
					if (jb_isspace(cp))
						break;
					j += l;
				}
				vlist_push(res.list, v_str(s.p + i, j - i));
				maxsplit--;
				i = j;
			}
		} else {
			size_t e = s.n;
			for (;;) {
				/* skip trailing whitespace */
				while (e > 0) {
					size_t k = e - 1;
					while (k > 0 && ((unsigned char)s.p[k] & 0xc0) == 0x80)
						k--;
					uint32_t cp;
					jb_utf8_dec(s.p + k, e - k, &cp);
					if (!jb_isspace(cp))
						break;
					e = k;
				}
				if (e == 0)
					break;
				if (maxsplit == 0) {
					vlist_insert(res.list, 0, v_str(s.p, e));
					break;
				}
				size_t b = e;
				while (b > 0) {
					size_t k = b - 1;
					while (k > 0 && ((unsigned char)s.p[k] & 0xc0) == 0x80)
						k--;
					uint32_t cp;
					jb_utf8_dec(s.p + k, b - k, &cp);
					if (jb_isspace(cp))
						break;
					b = k;
				}
				vlist_insert(res.list, 0, v_str(s.p + b, e - b));
				maxsplit--;
				e = b;
			}
		}
	} else {
		struct str sep = v_as_str(a[0]);
		if (!sep.n)
			return jinja_error(st, "empty separator");
		if (!reverse) {
			size_t i = 0;
			while (maxsplit > 0) {
				const char *f = sep.n <= s.n - i
				                        ? memmem(s.p + i, s.n - i, sep.p, sep.n)
				                        : NULL;
				if (!f)
					break;
				vlist_push(res.list, v_str(s.p + i, (size_t)(f - s.p) - i));
				i = (size_t)(f - s.p) + sep.n;
				maxsplit--;
			}
			vlist_push(res.list, v_str(s.p + i, s.n - i));
		} else {
			size_t e = s.n;
			while (maxsplit > 0 && e >= sep.n) {
				size_t k = e - sep.n;
				for (;;) {
					if (!memcmp(s.p + k, sep.p, sep.n))
						break;
					if (k == 0) {
						k = SIZE_MAX;
						break;
					}
					k--;
				}
				if (k == SIZE_MAX)
					break;
				vlist_insert(res.list, 0, v_str(s.p + k + sep.n, e - k - sep.n));
				e = k;
				maxsplit--;
			}
			vlist_insert(res.list, 0, v_str(s.p, e));
		}
	}
	*out = res;
	return 0;
}

static int m_split(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return split_common(st, self, args, out, false);
}
static int m_rsplit(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return split_common(st, self, args, out, true);
}

static int m_splitlines(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1] = { v_bool(false) };
	if (jb_bind(st, "str.splitlines", args, "keepends", a, NULL) < 0)
		return -1;
	bool keep = v_truthy(a[0]);
	struct str s = SELF_STR(self);
	value res = v_list(jinja_arena(st), 4);
	size_t i = 0, start = 0;
	while (i < s.n) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
		bool nl = cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || cp == 0x1c ||
		          cp == 0x1d || cp == 0x1e || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
		if (!nl) {
			i += l;
			continue;
		}
		size_t eol = i;
		i += l;
		if (cp == '\r' && i < s.n && s.p[i] == '\n')
			i++;
		vlist_push(res.list, v_str(s.p + start, (keep ? i : eol) - start));
		start = i;
	}
	if (start < s.n)
		vlist_push(res.list, v_str(s.p + start, s.n - start));
	*out = res;
	return 0;
}

static int startsends(struct jstate *st, value self, const struct vargs *args, value *out,
                      bool ends)
{
	const char *fname = ends ? "str.endswith" : "str.startswith";
	value a[3] = { v_none(), v_none(), v_none() };
	if (jb_bind(st, fname, args, "!prefix,start,end,/", a, NULL) < 0)
		return -1;
	struct str s = SELF_STR(self);
	size_t len = jb_cplen(s.p, s.n), cs, ce;
	if (slice_bounds(st, a[1], a[2], len, &cs, &ce) < 0)
		return -1;
	const value *cands = &a[0];
	uint32_t nc = 1;
	if (a[0].type == VT_LIST && (a[0].flags & VF_TUPLE)) {
		cands = a[0].list->v;
		nc = a[0].list->n;
	} else if (a[0].type != VT_STR) {
		if (a[0].type == VT_UNDEF)
			return jinja_undefined_error(st, a[0]);
		return jinja_error(st, "%s first arg must be str or a tuple of str, not %s",
		                   ends ? "endswith" : "startswith", v_type_name(a[0]));
	}
	bool r = false;
	for (uint32_t i = 0; i < nc; i++) {
		if (cands[i].type != VT_STR)
			return jinja_error(st,
			                   "tuple for %s must only contain str, not %s",
			                   ends ? "endswith" : "startswith", v_type_name(cands[i]));
		if (r)
			continue;
		if (cs > len || ce < cs)
			continue;
		size_t bs = jb_cpoff(s.p, s.n, cs), be = jb_cpoff(s.p, s.n, ce);
		struct str p = v_as_str(cands[i]);
		if (p.n > be - bs)
			continue;
		if (ends ? !memcmp(s.p + be - p.n, p.p, p.n) : !memcmp(s.p + bs, p.p, p.n))
			r = true;
	}
	*out = v_bool(r);
	return 0;
}

static int m_startswith(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return startsends(st, self, args, out, false);
}
static int m_endswith(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return startsends(st, self, args, out, true);
}

static int m_removeprefix(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1];
	if (jb_bind(st, "str.removeprefix", args, "!prefix,/", a, NULL) < 0 ||
	    need_str(st, "removeprefix", a[0], 1) < 0)
		return -1;
	struct str s = SELF_STR(self);
	*out = self;
	if (str_starts_with(s, v_as_str(a[0])))
		*out = v_str(s.p + a[0].len, s.n - a[0].len);
	return 0;
}

static int m_removesuffix(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1];
	if (jb_bind(st, "str.removesuffix", args, "!suffix,/", a, NULL) < 0 ||
	    need_str(st, "removesuffix", a[0], 1) < 0)
		return -1;
	struct str s = SELF_STR(self);
	*out = self;
	if (a[0].len && str_ends_with(s, v_as_str(a[0])))
		*out = v_str(s.p, s.n - a[0].len);
	return 0;
}

/* str.replace semantics shared with the replace filter: count < 0 = all. */
static value str_replace(struct jstate *st, struct str s, struct str old, struct str new,
                         int64_t count)
{
	if (count == 0)
		return v_strs(s);
	struct buf b = BUF_INIT;
	if (!old.n) {
		/* insert `new` before every code point and at the end */
		if ((uint64_t)new.n * (s.n + 1) + s.n > JB_MAX_BYTES) {
			buf_release(&b);
			return v_undef();
		}
		size_t i = 0;
		while (count != 0) {
			buf_putstr(&b, new);
			count--;
			if (i >= s.n)
				break;
			uint32_t cp;
			size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
			buf_append(&b, s.p + i, l);
			i += l;
		}
		if (i < s.n)
			buf_append(&b, s.p + i, s.n - i);
		return jb_strval(st, &b);
	}
	size_t i = 0;
	bool any = false;
	if (new.n > old.n) {
		/* bound the growth before building */
		uint64_t occ = 0;
		for (size_t k = 0; k + old.n <= s.n && (count < 0 || (int64_t)occ < count);) {
			const char *f = memmem(s.p + k, s.n - k, old.p, old.n);
			if (!f)
				break;
			occ++;
			k = (size_t)(f - s.p) + old.n;
		}
		if (s.n + occ * (new.n - old.n) > JB_MAX_BYTES) {
			buf_release(&b);
			return v_undef();
		}
	}
	while (count != 0 && i + old.n <= s.n) {
		const char *f = memmem(s.p + i, s.n - i, old.p, old.n);
		if (!f)
			break;
		buf_append(&b, s.p + i, (size_t)(f - s.p) - i);
		buf_putstr(&b, new);
		i = (size_t)(f - s.p) + old.n;
		count--;
		any = true;
	}
	if (!any) {
		buf_release(&b);
		return v_strs(s);
	}
	buf_append(&b, s.p + i, s.n - i);
	return jb_strval(st, &b);
}

value jb_str_replace(struct jstate *st, struct str s, struct str old, struct str new,
                     int64_t count)
{
	return str_replace(st, s, old, new, count);
}

static int m_replace(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[3] = { v_none(), v_none(), v_int(-1) };
	if (jb_bind(st, "str.replace", args, "!old,!new,count,/", a, NULL) < 0)
		return -1;
	if (need_str(st, "replace", a[0], 1) < 0 || need_str(st, "replace", a[1], 2) < 0)
		return -1;
	int64_t count = 0;
	if (jb_index_arg(st, a[2], &count) < 0)
		return -1;
	value r = str_replace(st, SELF_STR(self), v_as_str(a[0]), v_as_str(a[1]), count);
	if (r.type == VT_UNDEF)
		return jb_check_size(st, UINT64_MAX);
	*out = keep_safe(self, r);
	return 0;
}

static int m_format(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return jinja_str_format(st, SELF_STR(self), args, out);
}

static int m_format_map(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (args->nkw)
		return jinja_error(st, "format_map() takes no keyword arguments");
	if (args->npos != 1)
		return jinja_error(st, "format_map() takes exactly one argument (%u given)",
		                   args->npos);
	value m = args->pos[0];
	if (m.type != VT_DICT)
		return jinja_error(st, "'%s' object is not a mapping", v_type_name(m));
	uint32_t n = 0;
	struct vkwarg *kw = arena_alloc(jinja_arena(st), (m.dict->live + 1) * sizeof(*kw));
	for (uint32_t i = 0; i < m.dict->n; i++) {
		const struct ventry e_at = vdict_at(m.dict, i), *e = &e_at;
		if (e->k.type == VT_STR)
			kw[n++] = (struct vkwarg){ v_as_str(e->k), e->v };
	}
	struct vargs a = { NULL, 0, n, kw };
	return jinja_str_format(st, SELF_STR(self), &a, out);
}

static int m_join(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1];
	if (jb_bind(st, "str.join", args, "!iterable,/", a, NULL) < 0)
		return -1;
	value items;
	if (a[0].type == VT_UNDEF)
		return jinja_undefined_error(st, a[0]);
	if (a[0].type != VT_STR && a[0].type != VT_LIST && a[0].type != VT_DICT &&
	    a[0].type != VT_OBJ)
		return jinja_error(st, "can only join an iterable");
	if (jinja_iterate(st, a[0], &items) < 0)
		return -1;
	struct buf b = BUF_INIT;
	for (uint32_t i = 0; i < items.list->n; i++) {
		value x = items.list->v[i];
		if (x.type != VT_STR) {
			buf_release(&b);
			return jinja_error(st, "sequence item %u: expected str instance, %s found", i,
			                   v_type_name(x));
		}
		if (i)
			buf_append(&b, self.s, self.len);
		buf_append(&b, x.s, x.len);
		if (b.n > JB_MAX_BYTES) {
			buf_release(&b);
			return jb_check_size(st, UINT64_MAX);
		}
	}
	*out = jb_strval(st, &b);
	return 0;
}

/* find/rfind/index/rindex/count: returns the code point index or -1 */
static int find_common(struct jstate *st, value self, const struct vargs *args, const char *fname,
                       bool rev, int64_t *pos, int64_t *count)
{
	value a[3] = { v_none(), v_none(), v_none() };
	if (jb_bind(st, fname, args, "!sub,start,end,/", a, NULL) < 0)
		return -1;
	if (a[0].type != VT_STR) {
		if (a[0].type == VT_UNDEF)
			return jinja_undefined_error(st, a[0]);
		return jinja_error(st, "must be str, not %s", v_type_name(a[0]));
	}
	struct str s = SELF_STR(self), sub = v_as_str(a[0]);
	size_t len = jb_cplen(s.p, s.n), cs, ce;
	if (slice_bounds(st, a[1], a[2], len, &cs, &ce) < 0)
		return -1;
	*pos = -1;
	if (count)
		*count = 0;
	if (cs > len || (ce < cs) || (ce - cs < jb_cplen(sub.p, sub.n)))
		return 0;
	size_t bs = jb_cpoff(s.p, s.n, cs), be = jb_cpoff(s.p, s.n, ce);
	if (count) {
		if (!sub.n) {
			*count = (int64_t)(ce - cs) + 1;
			return 0;
		}
		size_t i = bs;
		while (i + sub.n <= be) {
			const char *f = memmem(s.p + i, be - i, sub.p, sub.n);
			if (!f)
				break;
			(*count)++;
			i = (size_t)(f - s.p) + sub.n;
		}
		return 0;
	}
	size_t found = SIZE_MAX;
	if (!rev) {
		const char *f = sub.n ? memmem(s.p + bs, be - bs, sub.p, sub.n) : s.p + bs;
		if (f)
			found = (size_t)(f - s.p);
	} else {
		if (be - bs >= sub.n) {
			size_t k = be - sub.n;
			for (;;) {
				if (!memcmp(s.p + k, sub.p, sub.n)) {
					found = k;
					break;
				}
				if (k == bs)
					break;
				k--;
			}
		}
	}
	if (found != SIZE_MAX)
		*pos = (int64_t)jb_cplen(s.p, found);
	return 0;
}

static int m_find(struct jstate *st, value self, const struct vargs *args, value *out)
{
	int64_t p;
	if (find_common(st, self, args, "str.find", false, &p, NULL) < 0)
		return -1;
	*out = v_int(p);
	return 0;
}
static int m_rfind(struct jstate *st, value self, const struct vargs *args, value *out)
{
	int64_t p;
	if (find_common(st, self, args, "str.rfind", true, &p, NULL) < 0)
		return -1;
	*out = v_int(p);
	return 0;
}
static int m_index(struct jstate *st, value self, const struct vargs *args, value *out)
{
	int64_t p;
	if (find_common(st, self, args, "str.index", false, &p, NULL) < 0)
		return -1;
	if (p < 0)
		return jinja_error(st, "substring not found");
	*out = v_int(p);
	return 0;
}
static int m_rindex(struct jstate *st, value self, const struct vargs *args, value *out)
{
	int64_t p;
	if (find_common(st, self, args, "str.rindex", true, &p, NULL) < 0)
		return -1;
	if (p < 0)
		return jinja_error(st, "substring not found");
	*out = v_int(p);
	return 0;
}
static int m_count(struct jstate *st, value self, const struct vargs *args, value *out)
{
	int64_t p, c;
	if (find_common(st, self, args, "str.count", false, &p, &c) < 0)
		return -1;
	*out = v_int(c);
	return 0;
}

typedef bool (*cp_pred)(uint32_t);
static int str_all(struct jstate *st, value self, const struct vargs *args, value *out,
                   const char *fname, cp_pred pred)
{
	if (jb_bind(st, fname, args, "", NULL, NULL) < 0)
		return -1;
	struct str s = SELF_STR(self);
	bool r = s.n > 0;
	for (size_t i = 0; i < s.n && r;) {
		uint32_t cp;
		i += jb_utf8_dec(s.p + i, s.n - i, &cp);
		r = pred(cp);
	}
	*out = v_bool(r);
	return 0;
}

static bool is_ascii_cp(uint32_t c) { return c < 0x80; }
static int m_isdigit(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return str_all(st, self, args, out, "str.isdigit", jb_isdigit);
}
static int m_isdecimal(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return str_all(st, self, args, out, "str.isdecimal", is_decimal_cp);
}
static int m_isnumeric(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return str_all(st, self, args, out, "str.isnumeric", jb_isdigit);
}
static int m_isalpha(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return str_all(st, self, args, out, "str.isalpha", jb_isalpha);
}
static int m_isalnum(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return str_all(st, self, args, out, "str.isalnum", jb_isalnum);
}
static int m_isspace(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return str_all(st, self, args, out, "str.isspace", jb_isspace);
}
static int m_isascii(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (str_all(st, self, args, out, "str.isascii", is_ascii_cp) < 0)
		return -1;
	if (!self.len)
		*out = v_bool(true);
	return 0;
}

/* islower/isupper: every cased character has that case, and there is one */
static int case_check(struct jstate *st, value self, const struct vargs *args, value *out,
                      bool upper)
{
	if (jb_bind(st, upper ? "str.isupper" : "str.islower", args, "", NULL, NULL) < 0)
		return -1;
	struct str s = SELF_STR(self);
	bool any = false, ok = true;
	for (size_t i = 0; i < s.n && ok;) {
		uint32_t cp;
		i += jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (upper ? is_lower_cp(cp) : is_upper_cp(cp))
			ok = false;
		else if (is_cased(cp))
			any = true;
	}
	*out = v_bool(ok && any);
	return 0;
}

bool jb_str_islower(struct str s)
{
	bool any = false;
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		i += jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (is_upper_cp(cp))
			return false;
		if (is_cased(cp))
			any = true;
	}
	return any;
}
bool jb_str_isupper(struct str s)
{
	bool any = false;
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		i += jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (is_lower_cp(cp))
			return false;
		if (is_cased(cp))
			any = true;
	}
	return any;
}

static int m_islower(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return case_check(st, self, args, out, false);
}
static int m_isupper(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return case_check(st, self, args, out, true);
}

static int m_istitle(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "str.istitle", args, "", NULL, NULL) < 0)
		return -1;
	struct str s = SELF_STR(self);
	bool prev_cased = false, any = false, ok = true;
	for (size_t i = 0; i < s.n && ok;) {
		uint32_t cp;
		i += jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (is_upper_cp(cp)) {
			if (prev_cased)
				ok = false;
			prev_cased = any = true;
		} else if (is_lower_cp(cp)) {
			if (!prev_cased)
				ok = false;
			prev_cased = any = true;
		} else {
			prev_cased = false;
		}
	}
	*out = v_bool(ok && any);
	return 0;
}

static int m_isidentifier(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "str.isidentifier", args, "", NULL, NULL) < 0)
		return -1;
	struct str s = SELF_STR(self);
	bool ok = s.n > 0;
	size_t k = 0;
	for (size_t i = 0; i < s.n && ok; k++) {
		uint32_t cp;
		i += jb_utf8_dec(s.p + i, s.n - i, &cp);
		ok = cp == '_' || jb_isalpha(cp) || (k > 0 && jb_isdigit(cp));
	}
	*out = v_bool(ok);
	return 0;
}

static void put_fill(struct buf *b, struct str fill, size_t n)
{
	while (n--)
		buf_putstr(b, fill);
}

static int get_fill(struct jstate *st, value f, struct str *out)
{
	if (f.type != VT_STR) {
		if (f.type == VT_UNDEF)
			return jinja_undefined_error(st, f);
		return jinja_error(st, "The fill character must be a unicode character, not %s",
		                   v_type_name(f));
	}
	if (jb_cplen(f.s, f.len) != 1)
		return jinja_error(st, "The fill character must be exactly one character long");
	*out = v_as_str(f);
	return 0;
}

/* kind: 0 ljust, 1 rjust, 2 center */
static int justify(struct jstate *st, value self, const struct vargs *args, value *out, int kind)
{
	static const char *const names[] = { "str.ljust", "str.rjust", "str.center" };
	value a[2] = { v_none(), v_str(" ", 1) };
	if (jb_bind(st, names[kind], args, "!width,fillchar,/", a, NULL) < 0)
		return -1;
	int64_t w = 0;
	struct str fill = { 0 };
	if (jb_index_arg(st, a[0], &w) < 0 || get_fill(st, a[1], &fill) < 0)
		return -1;
	struct str s = SELF_STR(self);
	int64_t len = (int64_t)jb_cplen(s.p, s.n);
	if (w <= len) {
		*out = self;
		return 0;
	}
	if (jb_check_size(st, (uint64_t)(w - len) * fill.n + s.n) < 0)
		return -1;
	size_t pad = (size_t)(w - len), left;
	if (kind == 0)
		left = 0;
	else if (kind == 1)
		left = pad;
	else
		left = pad / 2 + (pad & (size_t)w & 1);
	struct buf b = BUF_INIT;
	put_fill(&b, fill, left);
	buf_putstr(&b, s);
	put_fill(&b, fill, pad - left);
	*out = keep_safe(self, jb_strval(st, &b));
	return 0;
}

static int m_ljust(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return justify(st, self, args, out, 0);
}
static int m_rjust(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return justify(st, self, args, out, 1);
}
static int m_center(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return justify(st, self, args, out, 2);
}

static int m_zfill(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1];
	if (jb_bind(st, "str.zfill", args, "!width,/", a, NULL) < 0)
		return -1;
	int64_t w = 0;
	if (jb_index_arg(st, a[0], &w) < 0)
		return -1;
	struct str s = SELF_STR(self);
	int64_t len = (int64_t)jb_cplen(s.p, s.n);
	if (w <= len) {
		*out = self;
		return 0;
	}
	if (jb_check_size(st, (uint64_t)(w - len) + s.n) < 0)
		return -1;
	struct buf b = BUF_INIT;
	size_t k = 0;
	if (s.n && (s.p[0] == '+' || s.p[0] == '-')) {
		buf_putc(&b, s.p[0]);
		k = 1;
	}
	for (int64_t i = 0; i < w - len; i++)
		buf_putc(&b, '0');
	buf_append(&b, s.p + k, s.n - k);
	*out = jb_strval(st, &b);
	return 0;
}

static int partition_common(struct jstate *st, value self, const struct vargs *args, value *out,
                            bool rev)
{
	value a[1];
	if (jb_bind(st, rev ? "str.rpartition" : "str.partition", args, "!sep,/", a, NULL) < 0)
		return -1;
	if (need_str(st, rev ? "rpartition" : "partition", a[0], 1) < 0)
		return -1;
	struct str s = SELF_STR(self), sep = v_as_str(a[0]);
	if (!sep.n)
		return jinja_error(st, "empty separator");
	size_t found = SIZE_MAX;
	if (!rev) {
		const char *f = memmem(s.p, s.n, sep.p, sep.n);
		if (f)
			found = (size_t)(f - s.p);
	} else if (s.n >= sep.n) {
		for (size_t k = s.n - sep.n + 1; k-- > 0;)
			if (!memcmp(s.p + k, sep.p, sep.n)) {
				found = k;
				break;
			}
	}
	value t[3];
	if (found == SIZE_MAX) {
		if (!rev) {
			t[0] = self;
			t[1] = t[2] = v_str("", 0);
		} else {
			t[0] = t[1] = v_str("", 0);
			t[2] = self;
		}
	} else {
		t[0] = v_str(s.p, found);
		t[1] = a[0];
		t[2] = v_str(s.p + found + sep.n, s.n - found - sep.n);
	}
	*out = v_tuple(jinja_arena(st), 3, t);
	return 0;
}

static int m_partition(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return partition_common(st, self, args, out, false);
}
static int m_rpartition(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return partition_common(st, self, args, out, true);
}

static int m_expandtabs(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1] = { v_int(8) };
	if (jb_bind(st, "str.expandtabs", args, "tabsize", a, NULL) < 0)
		return -1;
	int64_t ts = 0;
	if (jb_index_arg(st, a[0], &ts) < 0)
		return -1;
	struct str s = SELF_STR(self);
	struct buf b = BUF_INIT;
	int64_t col = 0;
	for (size_t i = 0; i < s.n;) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p + i, s.n - i, &cp);
		if (cp == '\t') {
			if (ts > 0) {
				int64_t n = ts - col % ts;
				if (jb_check_size(st, b.n + (uint64_t)n) < 0) {
					buf_release(&b);
					return -1;
				}
				for (int64_t k = 0; k < n; k++)
					buf_putc(&b, ' ');
				col += n;
			}
		} else {
			buf_append(&b, s.p + i, l);
			col = (cp == '\n' || cp == '\r') ? 0 : col + 1;
		}
		i += l;
	}
	*out = jb_strval(st, &b);
	return 0;
}

static const struct method str_methods[] = {
	{ "capitalize", m_capitalize },
	{ "casefold", m_casefold },
	{ "center", m_center },
	{ "count", m_count },
	{ "endswith", m_endswith },
	{ "expandtabs", m_expandtabs },
	{ "find", m_find },
	{ "format", m_format },
	{ "format_map", m_format_map },
	{ "index", m_index },
	{ "isalnum", m_isalnum },
	{ "isalpha", m_isalpha },
	{ "isascii", m_isascii },
	{ "isdecimal", m_isdecimal },
	{ "isdigit", m_isdigit },
	{ "isidentifier", m_isidentifier },
	{ "islower", m_islower },
	{ "isnumeric", m_isnumeric },
	{ "isspace", m_isspace },
	{ "istitle", m_istitle },
	{ "isupper", m_isupper },
	{ "join", m_join },
	{ "ljust", m_ljust },
	{ "lower", m_lower },
	{ "lstrip", m_lstrip },
	{ "partition", m_partition },
	{ "removeprefix", m_removeprefix },
	{ "removesuffix", m_removesuffix },
	{ "replace", m_replace },
	{ "rfind", m_rfind },
	{ "rindex", m_rindex },
	{ "rjust", m_rjust },
	{ "rpartition", m_rpartition },
	{ "rsplit", m_rsplit },
	{ "rstrip", m_rstrip },
	{ "split", m_split },
	{ "splitlines", m_splitlines },
	{ "startswith", m_startswith },
	{ "strip", m_strip },
	{ "swapcase", m_swapcase },
	{ "title", m_title },
	{ "upper", m_upper },
	{ "zfill", m_zfill },
};

/* ---- list and tuple methods ---- */

/* A value to store into container arena `a`: copied when it may live in a shorter arena. */
static value store_val(struct jstate *st, struct arena *a, value x)
{
	return a == jinja_arena(st) ? x : value_copy(a, x);
}

static int m_list_append(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1];
	if (jb_bind(st, "list.append", args, "!object,/", a, NULL) < 0)
		return -1;
	vlist_push(self.list, store_val(st, self.list->a, a[0]));
	*out = v_none();
	return 0;
}

static int m_list_extend(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1], items;
	if (jb_bind(st, "list.extend", args, "!iterable,/", a, NULL) < 0)
		return -1;
	if (a[0].type == VT_UNDEF)
		return jinja_undefined_error(st, a[0]);
	if (jinja_iterate(st, a[0], &items) < 0)
		return -1;
	uint32_t n = items.list->n; /* extending by itself */
	for (uint32_t i = 0; i < n; i++)
		vlist_push(self.list, store_val(st, self.list->a, items.list->v[i]));
	*out = v_none();
	return 0;
}

static int m_list_insert(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[2];
	int64_t i = 0;
	if (jb_bind(st, "list.insert", args, "!index,!object,/", a, NULL) < 0 ||
	    jb_index_arg(st, a[0], &i) < 0)
		return -1;
	int64_t n = self.list->n;
	if (i < 0)
		i += n;
	if (i < 0)
		i = 0;
	if (i > n)
		i = n;
	vlist_insert(self.list, (uint32_t)i, store_val(st, self.list->a, a[1]));
	*out = v_none();
	return 0;
}

static int m_list_pop(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1] = { v_int(-1) };
	int64_t i = 0;
	if (jb_bind(st, "list.pop", args, "index,/", a, NULL) < 0 || jb_index_arg(st, a[0], &i) < 0)
		return -1;
	int64_t n = self.list->n;
	if (!n)
		return jinja_error(st, "pop from empty list");
	if (i < 0)
		i += n;
	if (i < 0 || i >= n)
		return jinja_error(st, "pop index out of range");
	*out = self.list->v[i];
	vlist_remove(self.list, (uint32_t)i);
	return 0;
}

static int seq_index(struct jstate *st, value self, const struct vargs *args, value *out,
                     const char *fname)
{
	value a[3] = { v_none(), v_int(0), v_int(INT64_MAX) };
	if (jb_bind(st, fname, args, "!value,start,stop,/", a, NULL) < 0)
		return -1;
	int64_t s = 0, e = 0, n = self.list->n;
	if (jb_index_arg(st, a[1], &s) < 0 || jb_index_arg(st, a[2], &e) < 0)
		return -1;
	if (s < 0 && (s += n) < 0)
		s = 0;
	if (e < 0 && (e += n) < 0)
		e = 0;
	for (int64_t i = s; i < e && i < n; i++)
		if (v_equal(self.list->v[i], a[0])) {
			*out = v_int(i);
			return 0;
		}
	if (self.flags & VF_TUPLE)
		return jinja_error(st, "tuple.index(x): x not in tuple");
	return error_repr(st, "%R is not in list", a[0]);
}

static int m_list_index(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return seq_index(st, self, args, out, self.flags & VF_TUPLE ? "tuple.index" : "list.index");
}

static int m_list_count(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1];
	if (jb_bind(st, self.flags & VF_TUPLE ? "tuple.count" : "list.count", args, "!value,/", a,
	            NULL) < 0)
		return -1;
	int64_t c = 0;
	for (uint32_t i = 0; i < self.list->n; i++)
		c += v_equal(self.list->v[i], a[0]);
	*out = v_int(c);
	return 0;
}

static int m_list_remove(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[1];
	if (jb_bind(st, "list.remove", args, "!value,/", a, NULL) < 0)
		return -1;
	for (uint32_t i = 0; i < self.list->n; i++)
		if (v_equal(self.list->v[i], a[0])) {
			vlist_remove(self.list, i);
			*out = v_none();
			return 0;
		}
	return jinja_error(st, "list.remove(x): x not in list");
}

static int m_list_reverse(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "list.reverse", args, "", NULL, NULL) < 0)
		return -1;
	struct vlist *l = self.list;
	for (uint32_t i = 0, j = l->n ? l->n - 1 : 0; i < j; i++, j--) {
		value t = l->v[i];
		l->v[i] = l->v[j];
		l->v[j] = t;
	}
	*out = v_none();
	return 0;
}

static int m_list_sort(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[2] = { v_none(), v_bool(false) };
	if (jb_bind(st, "list.sort", args, "*,key,reverse", a, NULL) < 0)
		return -1;
	struct vlist *l = self.list;
	value *keys = NULL;
	if (a[0].type != VT_NONE) {
		keys = xmalloc((l->n + 1) * sizeof(value));
		for (uint32_t i = 0; i < l->n; i++) {
			struct vargs ka = { &l->v[i], 1, 0, NULL };
			if (jinja_call(st, a[0], &ka, &keys[i]) < 0) {
				free(keys);
				return -1;
			}
		}
	}
	int rc = jb_list_sort(st, l->v, keys, l->n, v_truthy(a[1]));
	free(keys);
	if (rc < 0)
		return -1;
	*out = v_none();
	return 0;
}

static int m_list_copy(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "list.copy", args, "", NULL, NULL) < 0)
		return -1;
	value c = v_list(jinja_arena(st), self.list->n);
	memcpy(c.list->v, self.list->v, self.list->n * sizeof(value));
	c.list->n = self.list->n;
	*out = c;
	return 0;
}

static int m_list_clear(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "list.clear", args, "", NULL, NULL) < 0)
		return -1;
	self.list->n = 0;
	*out = v_none();
	return 0;
}

static const struct method list_methods[] = {
	{ "append", m_list_append },   { "clear", m_list_clear }, { "copy", m_list_copy },
	{ "count", m_list_count },     { "extend", m_list_extend }, { "index", m_list_index },
	{ "insert", m_list_insert },   { "pop", m_list_pop },     { "remove", m_list_remove },
	{ "reverse", m_list_reverse }, { "sort", m_list_sort },
};

static const struct method tuple_methods[] = {
	{ "count", m_list_count },
	{ "index", m_list_index },
};

/* ---- dict methods ---- */

static int need_hashable(struct jstate *st, value k)
{
	if (v_hashable(k))
		return 0;
	return jinja_error(st, "unhashable type: '%s'", v_type_name(k));
}

static int m_dict_get(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[2] = { v_none(), v_none() };
	if (jb_bind(st, "dict.get", args, "!key,default,/", a, NULL) < 0 || need_hashable(st, a[0]) < 0)
		return -1;
	if (!vdict_get(self.dict, a[0], out))
		*out = a[1];
	return 0;
}

/* dict views: live (they see later changes of the dict), iterable, sized, printed as
 * dict_keys([...]) / dict_values([...]) / dict_items([...]); not subscriptable, as in Python. */
struct view_data {
	value dict;
	int kind; /* 0 keys, 1 values, 2 items */
};

static value view_list(struct arena *a, const struct view_data *d)
{
	const struct vdict *dict = d->dict.dict;
	value l = v_list(a, dict->live);
	for (uint32_t i = 0; i < dict->n; i++) {
		const struct ventry e_at = vdict_at(dict, i), *e = &e_at;
		if (e->k.type == VT_UNDEF)
			continue;
		if (d->kind == 2) {
			value kv[2] = { e->k, e->v };
			vlist_push(l.list, v_tuple(a, 2, kv));
		} else {
			vlist_push(l.list, d->kind ? e->v : e->k);
		}
	}
	return l;
}

static int view_iter(struct jstate *st, value self, value *out)
{
	*out = view_list(jinja_arena(st), self.obj->data);
	return 0;
}

static void view_str(value self, struct buf *out)
{
	const struct view_data *d = self.obj->data;
	struct arena a;
	arena_init(&a);
	buf_puts(out, self.obj->cls->name);
	buf_putc(out, '(');
	v_to_repr(view_list(&a, d), out);
	buf_putc(out, ')');
	arena_release(&a);
}

static bool view_truthy(value self)
{
	const struct view_data *d = self.obj->data;
	return d->dict.dict->live != 0;
}

static bool view_equal(value a, value b)
{
	const struct view_data *x = a.obj->data, *y = b.obj->data;
	if (x->kind == 1) /* values views compare by identity */
		return a.obj == b.obj;
	if (x->dict.dict->live != y->dict.dict->live)
		return false;
	struct arena ar;
	arena_init(&ar);
	value lx = view_list(&ar, x), ly = view_list(&ar, y);
	bool eq = true;
	for (uint32_t i = 0; i < lx.list->n && eq; i++) {
		bool found = false;
		for (uint32_t j = 0; j < ly.list->n && !found; j++)
			found = v_equal(lx.list->v[i], ly.list->v[j]);
		eq = found;
	}
	arena_release(&ar);
	return eq;
}

static const struct vclass view_classes[3] = {
	{ .name = "dict_keys", .str = view_str, .iter = view_iter, .truthy = view_truthy,
	  .equal = view_equal },
	{ .name = "dict_values", .str = view_str, .iter = view_iter, .truthy = view_truthy,
	  .equal = view_equal },
	{ .name = "dict_items", .str = view_str, .iter = view_iter, .truthy = view_truthy,
	  .equal = view_equal },
};

/* The dict behind a dict view, for len(): true and *dict set when v is one. */
bool jb_dict_view(value v, value *dict)
{
	if (v.type != VT_OBJ || v.obj->cls < view_classes || v.obj->cls >= view_classes + 3)
		return false;
	*dict = ((const struct view_data *)v.obj->data)->dict;
	return true;
}

static int dict_view(struct jstate *st, value self, const struct vargs *args, value *out,
                     int kind)
{
	static const char *const names[] = { "dict.keys", "dict.values", "dict.items" };
	if (jb_bind(st, names[kind], args, "", NULL, NULL) < 0)
		return -1;
	struct arena *a = jinja_arena(st);
	struct view_data *d = arena_alloc(a, sizeof(*d));
	d->dict = self;
	d->kind = kind;
	*out = v_obj(a, &view_classes[kind], d);
	return 0;
}

static int m_dict_keys(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return dict_view(st, self, args, out, 0);
}
static int m_dict_values(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return dict_view(st, self, args, out, 1);
}
static int m_dict_items(struct jstate *st, value self, const struct vargs *args, value *out)
{
	return dict_view(st, self, args, out, 2);
}

static void dict_store(struct jstate *st, struct vdict *d, value k, value v)
{
	vdict_set(d, store_val(st, d->a, k), store_val(st, d->a, v));
}

/* dict(x) / d.update(x): x is a mapping or an iterable of pairs. Shared with globals.c. */
int jb_dict_merge(struct jstate *st, struct vdict *d, value src, const char *fname)
{
	if (src.type == VT_DICT) {
		if (src.dict == d)
			return 0;
		for (uint32_t i = 0; i < src.dict->n; i++) {
			const struct ventry e_at = vdict_at(src.dict, i), *e = &e_at;
			if (e->k.type != VT_UNDEF)
				dict_store(st, d, e->k, e->v);
		}
		return 0;
	}
	if (src.type == VT_UNDEF)
		return jinja_undefined_error(st, src);
	if (src.type != VT_LIST && src.type != VT_STR && src.type != VT_OBJ)
		return jinja_error(st, "'%s' object is not iterable", v_type_name(src));
	value items;
	if (jinja_iterate(st, src, &items) < 0)
		return -1;
	for (uint32_t i = 0; i < items.list->n; i++) {
		value p = items.list->v[i], pl;
		if (p.type == VT_STR) {
			size_t n = jb_cplen(p.s, p.len);
			if (n != 2)
				return jinja_error(st,
				                   "dictionary update sequence element #%u has length %zu; "
				                   "2 is required",
				                   i, n);
			size_t o = jb_cpoff(p.s, p.len, 1);
			value kv[2] = { v_str(p.s, o), v_str(p.s + o, p.len - o) };
			dict_store(st, d, kv[0], kv[1]);
			continue;
		}
		if (p.type != VT_LIST && p.type != VT_OBJ && p.type != VT_DICT)
			return jinja_error(st,
			                   "cannot convert dictionary update sequence element #%u to a "
			                   "sequence",
			                   i);
		if (jinja_iterate(st, p, &pl) < 0)
			return -1;
		if (pl.list->n != 2)
			return jinja_error(st,
			                   "dictionary update sequence element #%u has length %u; 2 is "
			                   "required",
			                   i, pl.list->n);
		if (need_hashable(st, pl.list->v[0]) < 0)
			return -1;
		dict_store(st, d, pl.list->v[0], pl.list->v[1]);
	}
	(void)fname;
	return 0;
}

static int m_dict_update(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (args->npos > 1)
		return jinja_error(st, "update expected at most 1 argument, got %u", args->npos);
	if (args->npos && jb_dict_merge(st, self.dict, args->pos[0], "update") < 0)
		return -1;
	for (uint32_t k = 0; k < args->nkw; k++) {
		value key = v_strdup(self.dict->a, args->kw[k].name.p, args->kw[k].name.n);
		vdict_set(self.dict, key, store_val(st, self.dict->a, args->kw[k].v));
	}
	*out = v_none();
	return 0;
}

static int m_dict_pop(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[2];
	uint32_t given = 0;
	if (jb_bind(st, "dict.pop", args, "!key,default,/", a, &given) < 0 ||
	    need_hashable(st, a[0]) < 0)
		return -1;
	if (vdict_del(self.dict, a[0], out))
		return 0;
	if (given & 2) {
		*out = a[1];
		return 0;
	}
	return error_repr(st, "%R", a[0]);
}

static int m_dict_setdefault(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value a[2] = { v_none(), v_none() };
	if (jb_bind(st, "dict.setdefault", args, "!key,default,/", a, NULL) < 0 ||
	    need_hashable(st, a[0]) < 0)
		return -1;
	if (vdict_get(self.dict, a[0], out))
		return 0;
	dict_store(st, self.dict, a[0], a[1]);
	if (!vdict_get(self.dict, a[0], out)) /* the stored (possibly copied) value */
		*out = a[1];
	return 0;
}

static int m_dict_copy(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "dict.copy", args, "", NULL, NULL) < 0)
		return -1;
	value c = v_dict(jinja_arena(st), self.dict->live);
	for (uint32_t i = 0; i < self.dict->n; i++) {
		const struct ventry e_at = vdict_at(self.dict, i), *e = &e_at;
		if (e->k.type != VT_UNDEF)
			vdict_set(c.dict, e->k, e->v);
	}
	*out = c;
	return 0;
}

static int m_dict_clear(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "dict.clear", args, "", NULL, NULL) < 0)
		return -1;
	struct vdict *d = self.dict;
	d->n = d->live = 0;
	/* dropped rather than zeroed: an index may be shared (the parse's node dicts of a kind
	 * share one); the dict builds its own again when it grows */
	d->index = NULL;
	d->icap = 0;
	*out = v_none();
	return 0;
}

static int m_dict_popitem(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "dict.popitem", args, "", NULL, NULL) < 0)
		return -1;
	struct vdict *d = self.dict;
	for (uint32_t i = d->n; i-- > 0;) {
		struct ventry e = vdict_at(d, i);
		if (e.k.type == VT_UNDEF)
			continue;
		value kv[2] = { e.k, e.v };
		vdict_del(d, e.k, NULL);
		*out = v_tuple(jinja_arena(st), 2, kv);
		return 0;
	}
	return jinja_error(st, "'popitem(): dictionary is empty'");
}

static const struct method dict_methods[] = {
	{ "clear", m_dict_clear },   { "copy", m_dict_copy },     { "get", m_dict_get },
	{ "items", m_dict_items },   { "keys", m_dict_keys },     { "pop", m_dict_pop },
	{ "popitem", m_dict_popitem }, { "setdefault", m_dict_setdefault },
	{ "update", m_dict_update }, { "values", m_dict_values },
};

/* ---- dispatch ---- */

/* ---- date and datetime methods ---- */

static int m_strftime(struct jstate *st, value self, const struct vargs *args, value *out)
{
	value fmt = v_undef();
	if (!jinja_arg(args, 0, "format", &fmt) || fmt.type != VT_STR)
		return jinja_error(st, "strftime() argument 1 must be str, not %s", v_type_name(fmt));
	struct buf b = BUF_INIT;
	datetime_strftime(v_as_datetime(self), v_as_str(fmt), &b);
	*out = jb_strval(st, &b);
	return 0;
}

static int m_isoformat(struct jstate *st, value self, const struct vargs *args, value *out)
{
	const struct vdatetime *dt = v_as_datetime(self);
	value sep = v_cstr("T");
	jinja_arg(args, 0, "sep", &sep);
	struct buf b = BUF_INIT;
	buf_printf(&b, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
	if (dt->has_time) {
		jinja_to_str(sep, &b);
		buf_printf(&b, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
		if (dt->microsecond)
			buf_printf(&b, ".%06d", dt->microsecond);
		if (dt->has_tz)
			buf_printf(&b, "%c%02d:%02d", dt->utcoffset < 0 ? '-' : '+', abs(dt->utcoffset) / 60,
			           abs(dt->utcoffset) % 60);
	}
	*out = jb_strval(st, &b);
	return 0;
}

static int m_date(struct jstate *st, value self, const struct vargs *args, value *out)
{
	(void)args;
	const struct vdatetime *dt = v_as_datetime(self);
	*out = v_date(jinja_arena(st), dt->year, dt->month, dt->day);
	return 0;
}

static int m_weekday(struct jstate *st, value self, const struct vargs *args, value *out)
{
	(void)st;
	(void)args;
	*out = v_int(datetime_weekday(v_as_datetime(self)));
	return 0;
}

static int m_isoweekday(struct jstate *st, value self, const struct vargs *args, value *out)
{
	(void)st;
	(void)args;
	*out = v_int(datetime_weekday(v_as_datetime(self)) + 1);
	return 0;
}

static int m_dt_replace(struct jstate *st, value self, const struct vargs *args, value *out)
{
	struct vdatetime dt = *v_as_datetime(self);
	static const char *const names[] = { "year", "month", "day", "hour", "minute", "second", "microsecond" };
	int *fields[] = { &dt.year, &dt.month, &dt.day, &dt.hour, &dt.minute, &dt.second, &dt.microsecond };
	size_t n = dt.has_time ? ARRAY_LEN(names) : 3;
	for (uint32_t k = 0; k < args->nkw; k++) {
		size_t i;
		for (i = 0; i < n; i++)
			if (str_eqc(args->kw[k].name, names[i]))
				break;
		if (i == n || args->kw[k].v.type != VT_INT)
			return jinja_error(st, "replace() got an unexpected keyword argument '%.*s'",
			                   (int)args->kw[k].name.n, args->kw[k].name.p);
		*fields[i] = (int)args->kw[k].v.i;
	}
	struct buf why = BUF_INIT;
	if (datetime_check(&dt, &why) < 0) {
		jinja_error(st, "%s", buf_cstr(&why));
		buf_release(&why);
		return -1;
	}
	*out = v_datetime(jinja_arena(st), &dt);
	return 0;
}

static int m_timestamp(struct jstate *st, value self, const struct vargs *args, value *out)
{
	(void)st;
	(void)args;
	const struct vdatetime *dt = v_as_datetime(self);
	struct vdatetime epoch = { 1970, 1, 1, 0, 0, 0, 0, true, dt->has_tz, 0 };
	*out = v_float((double)(datetime_ordinal_us(dt) - datetime_ordinal_us(&epoch)) / 1e6);
	return 0;
}

static const struct method date_methods[] = {
	{ "isoformat", m_isoformat }, { "isoweekday", m_isoweekday }, { "replace", m_dt_replace },
	{ "strftime", m_strftime },   { "weekday", m_weekday },
};
static const struct method datetime_methods[] = {
	{ "date", m_date },           { "isoformat", m_isoformat }, { "isoweekday", m_isoweekday },
	{ "replace", m_dt_replace },  { "strftime", m_strftime },   { "timestamp", m_timestamp },
	{ "weekday", m_weekday },
};

static const struct method *find_in(const struct method *t, size_t n, struct str name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = str_cmp(name, str_from(t[mid].name));
		if (!c)
			return &t[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct method *lookup_method(value self, struct str name)
{
	switch (self.type) {
	case VT_STR:
		return find_in(str_methods, ARRAY_LEN(str_methods), name);
	case VT_LIST:
		if (self.flags & VF_TUPLE)
			return find_in(tuple_methods, ARRAY_LEN(tuple_methods), name);
		return find_in(list_methods, ARRAY_LEN(list_methods), name);
	case VT_DICT:
		if (self.flags & VF_NAMESPACE)
			return NULL;
		return find_in(dict_methods, ARRAY_LEN(dict_methods), name);
	case VT_OBJ: {
		const struct vdatetime *dt = v_as_datetime(self);
		if (!dt)
			return NULL;
		return dt->has_time ? find_in(datetime_methods, ARRAY_LEN(datetime_methods), name)
		                    : find_in(date_methods, ARRAY_LEN(date_methods), name);
	}
	default:
		return NULL;
	}
}

bool jinja_has_method(value self, struct str name)
{
	return lookup_method(self, name) != NULL;
}

int jinja_call_method(struct jstate *st, value self, struct str name, const struct vargs *args,
                      value *out)
{
	const struct method *m = lookup_method(self, name);
	if (!m)
		return 0;
	static const struct vargs none = { NULL, 0, 0, NULL };
	if (m->fn(st, self, args ? args : &none, out) < 0)
		return -1;
	return 1;
}
