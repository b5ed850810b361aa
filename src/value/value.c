/* The value type: construction, containers, and CPython's equality, ordering and printing. */
#include <math.h>

#include "value.h"

value v_strdup(struct arena *a, const char *p, size_t n)
{
	if (!n)
		return v_str("", 0);
	return v_str(arena_strndup(a, p, n), n);
}

value v_buf(struct arena *a, const struct buf *b) { return v_strdup(a, buf_cstr(b), b->n); }

value v_list(struct arena *a, uint32_t cap)
{
	struct vlist *l = arena_alloc(a, sizeof(*l));
	l->a = a;
	l->n = 0;
	l->cap = cap;
	l->v = cap ? arena_alloc(a, cap * sizeof(value)) : NULL;
	return (value){ .type = VT_LIST, .list = l };
}

value v_tuple(struct arena *a, uint32_t n, const value *items)
{
	value t = v_list(a, n);
	if (n)
		memcpy(t.list->v, items, n * sizeof(value));
	t.list->n = n;
	t.flags = VF_TUPLE;
	return t;
}

value v_dict(struct arena *a, uint32_t cap)
{
	struct vdict *d = arena_zalloc(a, sizeof(*d));
	d->a = a;
	if (cap) {
		d->cap = cap;
		d->k = arena_alloc(a, 2 * (size_t)cap * sizeof(value));
		d->v = d->k + cap;
	}
	return (value){ .type = VT_DICT, .dict = d };
}

value vdict_share_keys(struct arena *a, const struct vdict *shape, const value *vals, uint32_t n)
{
	struct vdict *d = arena_alloc(a, sizeof(*d));
	d->k = shape->k;
	d->v = arena_alloc(a, n * sizeof(value));
	memcpy(d->v, vals, n * sizeof(value));
	d->index = shape->index;
	d->icap = shape->icap;
	d->a = a;
	d->n = d->cap = d->live = n;
	return (value){ .type = VT_DICT, .dict = d };
}

value v_func(struct arena *a, const char *name, vfunc_fn fn, void *data, value self)
{
	struct vfunc *f = arena_alloc(a, sizeof(*f));
	f->name = name;
	f->fn = fn;
	f->data = data;
	f->self = self;
	return (value){ .type = VT_FUNC, .func = f };
}

value v_obj(struct arena *a, const struct vclass *cls, void *data)
{
	struct vobj *o = arena_alloc(a, sizeof(*o));
	o->cls = cls;
	o->data = data;
	return (value){ .type = VT_OBJ, .obj = o };
}

/* ---- lists ---- */

static void vlist_reserve(struct vlist *l, uint32_t need)
{
	if (need <= l->cap)
		return;
	uint32_t cap = l->cap ? l->cap * 2 : 4;
	while (cap < need)
		cap *= 2;
	value *v = arena_alloc(l->a, cap * sizeof(value));
	if (l->n)
		memcpy(v, l->v, l->n * sizeof(value));
	l->v = v;
	l->cap = cap;
}

void vlist_push(struct vlist *l, value x)
{
	vlist_reserve(l, l->n + 1);
	l->v[l->n++] = x;
}

void vlist_insert(struct vlist *l, uint32_t at, value x)
{
	if (at > l->n)
		at = l->n;
	vlist_reserve(l, l->n + 1);
	memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof(value));
	l->v[at] = x;
	l->n++;
}

void vlist_remove(struct vlist *l, uint32_t at)
{
	if (at >= l->n)
		return;
	memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(value));
	l->n--;
}

/* ---- hashing and equality ---- */

bool v_hashable(value v)
{
	switch (v.type) {
	case VT_NONE:
	case VT_BOOL:
	case VT_INT:
	case VT_FLOAT:
	case VT_STR:
	case VT_FUNC:
	case VT_MACRO:
	case VT_OBJ:
		return true;
	case VT_LIST:
		if (!(v.flags & VF_TUPLE))
			return false;
		for (uint32_t i = 0; i < v.list->n; i++)
			if (!v_hashable(v.list->v[i]))
				return false;
		return true;
	default:
		return false;
	}
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

uint64_t v_hash(value v)
{
	switch (v.type) {
	case VT_NONE:
		return 0x9e3779b97f4a7c15ULL;
	case VT_BOOL:
		return mix((uint64_t)v.b);
	case VT_INT:
		return mix((uint64_t)v.i);
	case VT_FLOAT:
		/* equal numbers hash equal: 1.0 hashes as 1 (range test first: the cast is UB outside) */
		if (fabs(v.f) < 9.2e18 && v.f == (double)(int64_t)v.f)
			return mix((uint64_t)(int64_t)v.f);
		{
			uint64_t bits;
			memcpy(&bits, &v.f, sizeof(bits));
			return mix(bits);
		}
	case VT_STR:
		return str_hash(v_as_str(v));
	case VT_LIST: {
		uint64_t h = 0x345678;
		for (uint32_t i = 0; i < v.list->n; i++)
			h = mix(h ^ v_hash(v.list->v[i]));
		return h;
	}
	default:
		return mix((uint64_t)(uintptr_t)v.ptr);
	}
}

static double num_as_double(value v)
{
	return v.type == VT_FLOAT ? v.f : v.type == VT_INT ? (double)v.i : (double)v.b;
}

bool v_equal(value a, value b)
{
	if (v_is_num(a) && v_is_num(b)) {
		if (a.type == VT_FLOAT || b.type == VT_FLOAT)
			return num_as_double(a) == num_as_double(b);
		int64_t x = a.type == VT_INT ? a.i : a.b, y = b.type == VT_INT ? b.i : b.b;
		return x == y;
	}
	if (a.type != b.type)
		return false;
	switch (a.type) {
	case VT_UNDEF:
	case VT_NONE:
		return true;
	case VT_STR:
		return str_eq(v_as_str(a), v_as_str(b));
	case VT_LIST:
		if ((a.flags & VF_TUPLE) != (b.flags & VF_TUPLE) || a.list->n != b.list->n)
			return false;
		for (uint32_t i = 0; i < a.list->n; i++)
			if (!v_equal(a.list->v[i], b.list->v[i]))
				return false;
		return true;
	case VT_DICT: {
		if (a.dict->live != b.dict->live)
			return false;
		for (uint32_t i = 0; i < a.dict->n; i++) {
			value other;
			if (a.dict->k[i].type == VT_UNDEF)
				continue;
			if (!vdict_get(b.dict, a.dict->k[i], &other) || !v_equal(a.dict->v[i], other))
				return false;
		}
		return true;
	}
	case VT_FUNC:
		return a.func == b.func ||
		       (a.func->fn == b.func->fn && a.func->data == b.func->data &&
		        v_equal(a.func->self, b.func->self) && a.func->self.type != VT_UNDEF);
	case VT_OBJ:
		if (a.obj->cls != b.obj->cls)
			return false;
		if (a.obj->cls->equal)
			return a.obj->cls->equal(a, b);
		return a.obj == b.obj;
	default:
		return a.ptr == b.ptr;
	}
}

int v_compare(value a, value b, int *cmp)
{
	if (v_is_num(a) && v_is_num(b)) {
		if (a.type == VT_FLOAT || b.type == VT_FLOAT) {
			double x = num_as_double(a), y = num_as_double(b);
			*cmp = x < y ? -1 : x > y ? 1 : 0;
		} else {
			int64_t x = a.type == VT_INT ? a.i : a.b, y = b.type == VT_INT ? b.i : b.b;
			*cmp = x < y ? -1 : x > y;
		}
		return 0;
	}
	if (a.type == VT_STR && b.type == VT_STR) {
		/* UTF-8 byte order equals code point order */
		int c = str_cmp(v_as_str(a), v_as_str(b));
		*cmp = c < 0 ? -1 : c > 0;
		return 0;
	}
	if (a.type == VT_LIST && b.type == VT_LIST && (a.flags & VF_TUPLE) == (b.flags & VF_TUPLE)) {
		uint32_t n = a.list->n < b.list->n ? a.list->n : b.list->n;
		for (uint32_t i = 0; i < n; i++) {
			if (v_equal(a.list->v[i], b.list->v[i]))
				continue;
			return v_compare(a.list->v[i], b.list->v[i], cmp);
		}
		*cmp = a.list->n < b.list->n ? -1 : a.list->n > b.list->n;
		return 0;
	}
	return -1;
}

/* ---- dicts ---- */

static uint32_t vdict_find(const struct vdict *d, value key, uint64_t h)
{
	uint32_t j = (uint32_t)h & (d->icap - 1);
	for (;;) {
		uint32_t ix = d->index[j];
		if (!ix)
			return j;
		const value *k = &d->k[ix - 1];
		if (k->spare == (uint16_t)h && k->type != VT_UNDEF &&
		    ((k->type == VT_STR && key.type == VT_STR && k->s == key.s && k->len == key.len) ||
		     v_equal(*k, key)))
			return j;
		j = (j + 1) & (d->icap - 1);
	}
}

static void vdict_reindex(struct vdict *d, uint32_t icap)
{
	d->index = arena_zalloc(d->a, icap * sizeof(uint32_t));
	d->icap = icap;
	for (uint32_t i = 0; i < d->n; i++) {
		if (d->k[i].type == VT_UNDEF)
			continue;
		/* the tag is the hash's low 16 bits: enough for the slot up to 65,536 slots */
		uint64_t h = icap <= 65536 ? d->k[i].spare : v_hash(d->k[i]);
		uint32_t j = (uint32_t)h & (icap - 1);
		while (d->index[j])
			j = (j + 1) & (icap - 1);
		d->index[j] = i + 1;
	}
}

/* Small dicts are searched linearly; the index is built once they grow. */
#define VDICT_LINEAR 8

/* A dict without an index (up to VDICT_LINEAR entries) is searched linearly; a string key is
 * compared by its bytes there, without hashing it (only a string equals a string). */
static int64_t vdict_linear(const struct vdict *d, value key)
{
	if (key.type == VT_STR) {
		for (uint32_t i = 0; i < d->n; i++) {
			const value *k = &d->k[i];
			if (k->type == VT_STR && k->len == key.len &&
			    (k->s == key.s || !memcmp(k->s, key.s, key.len)))
				return i;
		}
		return -1;
	}
	uint64_t h = v_hash(key);
	for (uint32_t i = 0; i < d->n; i++) {
		const value *k = &d->k[i];
		if (k->spare == (uint16_t)h && k->type != VT_UNDEF && v_equal(*k, key))
			return i;
	}
	return -1;
}

int64_t vdict_index(const struct vdict *d, value key)
{
	if (!d->live)
		return -1;
	if (!d->icap)
		return vdict_linear(d, key);
	uint32_t ix = d->index[vdict_find(d, key, v_hash(key))];
	return (int64_t)ix - 1;
}

value vdict_get_at_slow(const struct vdict *d, struct str key, struct vdict_at *at)
{
	int64_t i = vdict_index(d, v_strs(key));
	if (i < 0)
		return v_undef();
	*at = (struct vdict_at){d->k[i].s, (uint32_t)i};
	return d->v[i];
}

bool vdict_get(const struct vdict *d, value key, value *out)
{
	int64_t i = vdict_index(d, key);
	if (i < 0)
		return false;
	*out = d->v[i];
	return true;
}

bool vdict_gets(const struct vdict *d, struct str key, value *out)
{
	return vdict_get(d, v_strs(key), out);
}

/* Room for cap entries: the live ones copied to new arrays (shared keys stay with the shape). */
static void vdict_regrow(struct vdict *d, uint32_t cap)
{
	value *k = arena_alloc(d->a, 2 * (size_t)cap * sizeof(value)), *v = k + cap;
	uint32_t w = 0;
	for (uint32_t i = 0; i < d->n; i++)
		if (d->k[i].type != VT_UNDEF) {
			k[w] = d->k[i];
			v[w++] = d->v[i];
		}
	d->k = k;
	d->v = v;
	d->n = w;
	d->cap = cap;
}

void vdict_set(struct vdict *d, value key, value val)
{
	uint64_t h = v_hash(key);
	if (d->icap) {
		uint32_t ix = d->index[vdict_find(d, key, h)];
		if (ix) {
			d->v[ix - 1] = val;
			return;
		}
	} else {
		for (uint32_t i = 0; i < d->n; i++) {
			const value *k = &d->k[i];
			if (k->spare == (uint16_t)h && k->type != VT_UNDEF && v_equal(*k, key)) {
				d->v[i] = val;
				return;
			}
		}
	}
	if (d->n == d->cap) {
		vdict_regrow(d, d->cap ? d->cap * 2 : 4);
		if (d->icap)
			vdict_reindex(d, d->icap);
	}
	d->k[d->n] = vdict_key(key, h);
	d->v[d->n] = val;
	d->n++;
	d->live++;
	if (d->n > VDICT_LINEAR) {
		if (!d->icap || (d->n + 1) * 2 > d->icap) {
			uint32_t icap = d->icap ? d->icap * 2 : 32;
			while (icap < d->n * 2 + 2)
				icap *= 2;
			vdict_reindex(d, icap);
		} else {
			uint32_t j = vdict_find(d, key, h);
			d->index[j] = d->n;
		}
	}
}

void vdict_sets(struct vdict *d, const char *key, value val) { vdict_set(d, v_cstr(key), val); }

bool vdict_del(struct vdict *d, value key, value *old)
{
	if (!d->live)
		return false;
	uint64_t h = v_hash(key);
	for (uint32_t i = 0; i < d->n; i++) {
		const value *k = &d->k[i];
		if (k->spare == (uint16_t)h && k->type != VT_UNDEF && v_equal(*k, key)) {
			if (old)
				*old = d->v[i];
			/* the keys may be a shape's: new arrays without entry i */
			value *nk = arena_alloc(d->a, 2 * (size_t)d->cap * sizeof(value)),
			      *nv = nk + d->cap;
			memcpy(nk, d->k, i * sizeof(value));
			memcpy(nk + i, d->k + i + 1, (d->n - i - 1) * sizeof(value));
			memcpy(nv, d->v, i * sizeof(value));
			memcpy(nv + i, d->v + i + 1, (d->n - i - 1) * sizeof(value));
			d->k = nk;
			d->v = nv;
			d->n--;
			d->live--;
			if (d->icap)
				vdict_reindex(d, d->icap);
			return true;
		}
	}
	return false;
}

/* ---- truthiness, names, printing ---- */

bool v_truthy(value v)
{
	switch (v.type) {
	case VT_UNDEF:
	case VT_NONE:
		return false;
	case VT_BOOL:
		return v.b;
	case VT_INT:
		return v.i != 0;
	case VT_FLOAT:
		return v.f != 0.0;
	case VT_STR:
		return v.len != 0;
	case VT_LIST:
		return v.list->n != 0;
	case VT_DICT:
		return v.dict->live != 0;
	case VT_OBJ:
		return v.obj->cls->truthy ? v.obj->cls->truthy(v) : true;
	default:
		return true;
	}
}

const char *v_type_name(value v)
{
	switch (v.type) {
	case VT_UNDEF:
		return "Undefined";
	case VT_NONE:
		return "NoneType";
	case VT_BOOL:
		return "bool";
	case VT_INT:
		return "int";
	case VT_FLOAT:
		return "float";
	case VT_STR:
		return "str";
	case VT_LIST:
		return v.flags & VF_TUPLE ? "tuple" : "list";
	case VT_DICT:
		return v.flags & VF_NAMESPACE ? "Namespace" : "dict";
	case VT_FUNC:
		return "function";
	case VT_MACRO:
		return "Macro";
	case VT_OBJ:
		return v.obj->cls->name;
	}
	return "object";
}

/* Adds one unit in the last mantissa digit of "[-]D.DDDe+XX"; false when it would carry out. */
static bool bump_last_digit(char *e)
{
	char *q = strchr(e, 'e') - 1;
	for (; q >= e && *q != '-'; q--) {
		if (*q == '.')
			continue;
		if (*q != '9') {
			(*q)++;
			return true;
		}
		*q = '0';
	}
	return false;
}

int fmt_int(int64_t v, char out[24])
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	int n = (int)(tmp + sizeof(tmp) - p);
	memcpy(out, p, (size_t)n);
	return n;
}

int fmt_double(double f, char out[32])
{
	if (isnan(f))
		return snprintf(out, 32, "nan");
	if (isinf(f))
		return snprintf(out, 32, f < 0 ? "-inf" : "inf");
	if (f == 0)
		return snprintf(out, 32, signbit(f) ? "-0.0" : "0.0");
	/* shortest %.Ne that round-trips gives the digits and the exponent */
	char e[40];
	int prec, bexp;
	/* below a power of two the rounding interval is asymmetric: Python's shortest repr may be
	 * the decimal one unit above the correctly rounded one */
	bool pow2 = frexp(fabs(f), &bexp) == 0.5;
	/* Every decimal of at most 15 significant digits survives a trip through a double, so the
	 * nearest 15-digit decimal round-trips exactly when some shorter one does: then trailing
	 * zeros are dropped below. Otherwise 16, then 17 digits. Subnormals have fewer digits of
	 * precision, so they search from one digit up. */
	for (prec = fabs(f) < 2.2250738585072014e-308 ? 0 : 14; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, f);
		if (strtod(e, NULL) == f)
			break;
		if (pow2 && bump_last_digit(e) && strtod(e, NULL) == f)
			break;
	}
	if (prec == 17)
		snprintf(e, sizeof(e), "%.16e", f);
	/* e = [-]D[.DDDD]e[+-]XX */
	char digits[24];
	int nd = 0, neg = e[0] == '-';
	const char *p = e + neg;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	int exp = atoi(p + 1);
	char *o = out;
	if (neg)
		*o++ = '-';
	if (exp < -4 || exp >= 16) {
		*o++ = digits[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, digits + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		o += snprintf(o, 8, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		*o++ = '0';
		*o++ = '.';
		for (int i = -1; i > exp; i--)
			*o++ = '0';
		memcpy(o, digits, (size_t)nd);
		o += nd;
	} else {
		for (int i = 0; i <= exp; i++)
			*o++ = i < nd ? digits[i] : '0';
		*o++ = '.';
		if (nd > exp + 1) {
			memcpy(o, digits + exp + 1, (size_t)(nd - exp - 1));
			o += nd - exp - 1;
		} else {
			*o++ = '0';
		}
	}
	*o = 0;
	return (int)(o - out);
}

size_t v_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = p[0];
	size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	if (!len || len > n) {
		*cp = c;
		return 1;
	}
	uint32_t v = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*cp = c;
			return 1;
		}
		v = (v << 6) | (p[i] & 0x3f);
	}
	*cp = v;
	return len;
}

/* Python's str.isprintable for one code point, for the categories that occur in practice:
 * controls (Cc), format characters (Cf), separators other than space (Zs, Zl, Zp),
 * surrogates and private use are not printable. Unassigned code points are taken as printable. */
static bool py_printable(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa1) || cp == 0xad)
		return false;
	if (cp < 0x300)
		return true;
	static const uint32_t ranges[][2] = {
		{ 0x600, 0x605 },     { 0x61c, 0x61c },     { 0x6dd, 0x6dd },     { 0x70f, 0x70f },
		{ 0x1680, 0x1680 },   { 0x180e, 0x180e },   { 0x2000, 0x200f },   { 0x2028, 0x202f },
		{ 0x205f, 0x2064 },   { 0x2066, 0x206f },   { 0x3000, 0x3000 },   { 0xd800, 0xf8ff },
		{ 0xfeff, 0xfeff },   { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd }, { 0x1d173, 0x1d17a },
		{ 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f }, { 0xf0000, 0x10ffff },
	};
	for (size_t i = 0; i < ARRAY_LEN(ranges); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return false;
	return true;
}

/* The end of the run of printable ASCII other than q and the backslash from i: eight bytes at a
 * time while none of them is a byte to escape or decode. */
static size_t plain_run(const unsigned char *p, size_t i, size_t n, unsigned char q)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
#define HAS_ZERO(x) (((x) - ones) & ~(x) & high)
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		uint64_t del = w ^ (ones * 0x7f), quote = w ^ (ones * q), bs = w ^ (ones * '\\');
		if (((w - ones * 0x20) & ~w & high) | (w & high) | HAS_ZERO(del) | HAS_ZERO(quote) |
		    HAS_ZERO(bs))
			break;
	}
#undef HAS_ZERO
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f && p[i] != q && p[i] != '\\')
		i++;
	return i;
}

void v_repr_str(struct str s, struct buf *out)
{
	bool sq = memchr(s.p, '\'', s.n) != NULL, dq = sq && memchr(s.p, '"', s.n) != NULL;
	char q = sq && !dq ? '"' : '\'';
	if (!out->max) /* (a bounded buffer grows only as far as it takes) */
		buf_grow(out, s.n + 2);
	buf_putc(out, q);
	const unsigned char *p = (const unsigned char *)s.p;
	for (size_t i = 0; i < s.n;) {
		/* a run of printable ASCII other than the quote and the backslash: as it is */
		size_t j = plain_run(p, i, s.n, (unsigned char)q);
		if (j > i) {
			buf_append(out, p + i, j - i);
			i = j;
			continue;
		}
		uint32_t cp;
		size_t len = v_utf8_decode((const char *)p + i, s.n - i, &cp);
		if (cp == (uint32_t)q || cp == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)cp);
		} else if (cp == '\n') {
			buf_puts(out, "\\n");
		} else if (cp == '\r') {
			buf_puts(out, "\\r");
		} else if (cp == '\t') {
			buf_puts(out, "\\t");
		} else if (!py_printable(cp)) {
			if (cp < 0x100)
				buf_printf(out, "\\x%02x", cp);
			else if (cp < 0x10000)
				buf_printf(out, "\\u%04x", cp);
			else
				buf_printf(out, "\\U%08x", cp);
		} else {
			buf_append(out, p + i, len);
		}
		i += len;
	}
	buf_putc(out, q);
}

static void to_text(value v, struct buf *out, bool repr)
{
	char num[32];
	switch (v.type) {
	case VT_UNDEF:
		if (repr)
			buf_puts(out, "Undefined");
		break;
	case VT_NONE:
		buf_puts(out, "None");
		break;
	case VT_BOOL:
		buf_puts(out, v.b ? "True" : "False");
		break;
	case VT_INT:
		buf_append(out, num, (size_t)fmt_int(v.i, num));
		break;
	case VT_FLOAT:
		buf_append(out, num, (size_t)fmt_double(v.f, num));
		break;
	case VT_STR:
		if (repr)
			v_repr_str(v_as_str(v), out);
		else
			buf_append(out, v.s, v.len);
		break;
	case VT_LIST: {
		bool tuple = v.flags & VF_TUPLE;
		buf_putc(out, tuple ? '(' : '[');
		for (uint32_t i = 0; i < v.list->n; i++) {
			if (i)
				buf_puts(out, ", ");
			to_text(v.list->v[i], out, true);
		}
		if (tuple && v.list->n == 1)
			buf_putc(out, ',');
		buf_putc(out, tuple ? ')' : ']');
		break;
	}
	case VT_DICT: {
		if (v.flags & VF_NAMESPACE)
			buf_puts(out, "<Namespace ");
		buf_putc(out, '{');
		bool first = true;
		for (uint32_t i = 0; i < v.dict->n; i++) {
			if (v.dict->k[i].type == VT_UNDEF)
				continue;
			if (!first)
				buf_puts(out, ", ");
			first = false;
			to_text(v.dict->k[i], out, true);
			buf_puts(out, ": ");
			to_text(v.dict->v[i], out, true);
		}
		buf_putc(out, '}');
		if (v.flags & VF_NAMESPACE)
			buf_putc(out, '>');
		break;
	}
	case VT_FUNC:
		buf_printf(out, "<function %s>", v.func->name ? v.func->name : "?");
		break;
	case VT_MACRO:
		buf_puts(out, "<Macro>");
		break;
	case VT_OBJ:
		if (repr && v.obj->cls->repr)
			v.obj->cls->repr(v, out);
		else if (v.obj->cls->str)
			v.obj->cls->str(v, out);
		else
			buf_printf(out, "<%s object>", v.obj->cls->name);
		break;
	}
}

void v_to_str(value v, struct buf *out) { to_text(v, out, false); }
void v_to_repr(value v, struct buf *out) { to_text(v, out, true); }

value value_copy(struct arena *a, value v)
{
	switch (v.type) {
	case VT_STR:
		return (value){ .type = VT_STR,
			        .flags = v.flags,
			        .len = v.len,
			        .s = v.len ? arena_strndup(a, v.s, v.len) : "" };
	case VT_LIST: {
		value c = v_list(a, v.list->n);
		c.flags = v.flags;
		for (uint32_t i = 0; i < v.list->n; i++)
			c.list->v[i] = value_copy(a, v.list->v[i]);
		c.list->n = v.list->n;
		return c;
	}
	case VT_DICT: {
		value c = v_dict(a, v.dict->live);
		c.flags = v.flags;
		for (uint32_t i = 0; i < v.dict->n; i++)
			if (v.dict->k[i].type != VT_UNDEF)
				vdict_set(c.dict, value_copy(a, v.dict->k[i]), value_copy(a, v.dict->v[i]));
		return c;
	}
	default:
		return v;
	}
}

value v_item(value d, const char *key)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(key), &v))
		return v;
	return v_undef();
}

const char *v_item_str(value d, const char *key)
{
	value v = v_item(d, key);
	return v.type == VT_STR ? v.s : NULL;
}
