/* Scalars as PyYAML reads them: the YAML 1.1 implicit resolver (yaml/resolver.py) and
 * SafeConstructor's int, float, bool and timestamp constructors (yaml/constructor.py).
 *
 * The resolver's regexes are matched by hand below; each comment quotes the regex. Python's `$`
 * also matches before one final newline, which only a scalar under the non-specific tag `!`
 * can end with ("! "yes\n"" resolves to bool, then fails to construct, as in PyYAML). */
#include <errno.h>
#include <math.h>

#include "value/datetime.h"
#include "yaml_int.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}
static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool eq(const char *s, size_t n, const char *lit)
{
	/* (the first byte before the length: most words tried differ there) */
	return n && s[0] == lit[0] && strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* [0-9_]* from i; returns the new position */
static size_t digits_(const char *s, size_t n, size_t i)
{
	while (i < n && (is_digit(s[i]) || s[i] == '_'))
		i++;
	return i;
}

/* (?::[0-5]?[0-9])+ from i; returns the new position, or 0 when not even one group matches */
static size_t sexagesimal(const char *s, size_t n, size_t i)
{
	size_t start = i;
	while (i + 1 < n && s[i] == ':' && is_digit(s[i + 1])) {
		i += 2;
		/* two digits only when the first is 0-5; a lone digit must be followed by ':' or
		 * the end, so taking the longer match never loses one */
		if (s[i - 1] <= '5' && i < n && is_digit(s[i]))
			i++;
	}
	return i == start ? 0 : i;
}

/* [eE][-+][0-9]+ at i, to the end */
static bool exponent_to_end(const char *s, size_t n, size_t i)
{
	if (i == n)
		return true;
	if (n - i < 3 || (s[i] != 'e' && s[i] != 'E') || (s[i + 1] != '-' && s[i + 1] != '+'))
		return false;
	for (i += 2; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static bool match_float(const char *s, size_t n)
{
	size_t i = 0;
	bool sign = n && (s[0] == '-' || s[0] == '+');
	if (sign)
		i++;
	if (i < n && s[i] == '.') {
		/* [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN) | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)? */
		const char *r = s + i + 1;
		size_t m = n - i - 1;
		if (eq(r, m, "inf") || eq(r, m, "Inf") || eq(r, m, "INF"))
			return true;
		if (sign)
			return false;
		if (eq(r, m, "nan") || eq(r, m, "NaN") || eq(r, m, "NAN"))
			return true;
		if (!m || !is_digit(r[0]))
			return false;
		return exponent_to_end(s, n, digits_(s, n, i + 1));
	}
	if (i >= n || !is_digit(s[i]))
		return false;
	i = digits_(s, n, i + 1);
	if (i < n && s[i] == '.') /* [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)? */
		return exponent_to_end(s, n, digits_(s, n, i + 1));
	/* [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* */
	i = sexagesimal(s, n, i);
	if (!i || i >= n || s[i] != '.')
		return false;
	return digits_(s, n, i + 1) == n;
}

static bool match_int(const char *s, size_t n)
{
	size_t i = 0;
	if (n && (s[0] == '-' || s[0] == '+'))
		i++;
	if (i >= n || !is_digit(s[i]))
		return false;
	const char *p = s + i;
	size_t m = n - i;
	if (p[0] == '0') {
		if (m == 1) /* 0 */
			return true;
		if (m >= 3 && p[1] == 'b') { /* 0b[0-1_]+ */
			for (size_t j = 2; j < m; j++)
				if (p[j] != '0' && p[j] != '1' && p[j] != '_')
					return false;
			return true;
		}
		if (m >= 3 && p[1] == 'x') { /* 0x[0-9a-fA-F_]+ */
			for (size_t j = 2; j < m; j++)
				if (!is_hex(p[j]) && p[j] != '_')
					return false;
			return true;
		}
		for (size_t j = 1; j < m; j++) /* 0[0-7_]+ */
			if ((p[j] < '0' || p[j] > '7') && p[j] != '_')
				return false;
		return true;
	}
	/* [1-9][0-9_]* and [1-9][0-9_]*(?::[0-5]?[0-9])+ */
	size_t j = digits_(p, m, 1);
	return j == m || sexagesimal(p, m, j) == m;
}

/* The fields of a timestamp matched by SafeConstructor.timestamp_regexp:
 *   [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}
 *   (?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
 *      (?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?
 * short_date is set when the month or the day has one digit: the resolver's date-only form
 * wants two of each. */
struct ts {
	struct vdatetime dt;
	bool short_date;
};

static size_t num(const char *s, size_t n, size_t i, size_t maxd, int *out)
{
	size_t j = i;
	int v = 0;
	while (j < n && j - i < maxd && is_digit(s[j]))
		v = v * 10 + (s[j++] - '0');
	*out = v;
	return j - i;
}

static bool match_timestamp(const char *s, size_t n, struct ts *t)
{
	memset(t, 0, sizeof(*t));
	struct vdatetime *dt = &t->dt;
	size_t i = 0, k;
	if (num(s, n, 0, 4, &dt->year) != 4 || n < 5 || s[4] != '-')
		return false;
	i = 5;
	if (!(k = num(s, n, i, 2, &dt->month)) || i + k >= n || s[i + k] != '-')
		return false;
	t->short_date = k == 1;
	i += k + 1;
	if (!(k = num(s, n, i, 2, &dt->day)))
		return false;
	t->short_date |= k == 1;
	i += k;
	if (i == n)
		return true;
	if (s[i] == 'T' || s[i] == 't') {
		i++;
	} else if (s[i] == ' ' || s[i] == '\t') {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
	} else {
		return false;
	}
	dt->has_time = true;
	if (!(k = num(s, n, i, 2, &dt->hour)) || i + k >= n || s[i + k] != ':')
		return false;
	i += k + 1;
	if (num(s, n, i, 2, &dt->minute) != 2 || i + 2 >= n || s[i + 2] != ':')
		return false;
	i += 3;
	if (num(s, n, i, 2, &dt->second) != 2)
		return false;
	i += 2;
	if (i < n && s[i] == '.') {
		/* fraction[:6], padded with zeros to microseconds */
		i++;
		int us = 0, nd = 0;
		for (; i < n && is_digit(s[i]); i++)
			if (nd < 6) {
				us = us * 10 + (s[i] - '0');
				nd++;
			}
		while (nd > 0 && nd < 6) {
			us *= 10;
			nd++;
		}
		dt->microsecond = us;
	}
	if (i == n)
		return true;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n)
		return false;
	if (s[i] == 'Z') {
		dt->has_tz = true;
		return i + 1 == n;
	}
	if (s[i] != '-' && s[i] != '+')
		return false;
	int sign = s[i] == '-' ? -1 : 1, hh, mm = 0;
	i++;
	if (!(k = num(s, n, i, 2, &hh)))
		return false;
	i += k;
	if (i < n) {
		if (s[i] != ':' || num(s, n, i + 1, 2, &mm) != 2 || i + 3 != n)
			return false;
	}
	dt->has_tz = true;
	dt->utcoffset = sign * (hh * 60 + mm);
	return true;
}

/* PyYAML picks the resolvers to try by the first character (Resolver.add_implicit_resolver's
 * `first`), then tries them in the order they were added: bool, float, int, merge, null,
 * timestamp, value. */
static bool first_is(char c, const char *set)
{
	return c && strchr(set, c);
}

uint8_t yaml_resolve_plain(const char *s, size_t n)
{
	static const char *const bools[] = {
	    "yes",   "Yes",   "YES",   "no", "No", "NO", "true", "True", "TRUE",
	    "false", "False", "FALSE", "on", "On", "ON", "off",  "Off",  "OFF",
	};
	if (n == 0)
		return YAML_T_NULL;
	char c = s[0];
	if (n > 1 && s[n - 1] == '\n') /* Python's `$` */
		n--;
	/* most plain scalars are names: with a letter first only a bool (yes, no, true, false,
	 * on, off: at most 5 letters) or a null (4) resolves to anything but a string (PyYAML
	 * picks the resolvers to try by the first letter) */
	if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) &&
	    (n > 5 || !strchr("yYnNtTfFoO", c)))
		return YAML_T_STR;
	if (first_is(c, "yYnNtTfFoO")) {
		for (size_t i = 0; i < ARRAY_LEN(bools); i++)
			if (eq(s, n, bools[i]))
				return YAML_T_BOOL;
	}
	if (first_is(c, "-+0123456789.")) {
		if (match_float(s, n))
			return YAML_T_FLOAT;
		if (c != '.' && match_int(s, n))
			return YAML_T_INT;
	}
	if (c == '<' && eq(s, n, "<<"))
		return YAML_T_MERGE;
	if (first_is(c, "~nN") &&
	    (eq(s, n, "~") || eq(s, n, "null") || eq(s, n, "Null") || eq(s, n, "NULL")))
		return YAML_T_NULL;
	struct ts t;
	if (first_is(c, "0123456789") && match_timestamp(s, n, &t) &&
	    (t.dt.has_time || !t.short_date)) /* the date-only form wants 2-digit month and day */
		return YAML_T_TIMESTAMP;
	if (c == '=' && n == 1)
		return YAML_T_VALUE;
	return YAML_T_STR;
}

uint8_t yaml_tag_by_name(const char *name)
{
	static const struct {
		const char *name;
		uint8_t tag;
	} tags[] = {
	    {"null", YAML_T_NULL},
	    {"bool", YAML_T_BOOL},
	    {"int", YAML_T_INT},
	    {"float", YAML_T_FLOAT},
	    {"str", YAML_T_STR},
	    {"timestamp", YAML_T_TIMESTAMP},
	    {"seq", YAML_T_SEQ},
	    {"map", YAML_T_MAP},
	    {"omap", YAML_T_OMAP},
	    {"pairs", YAML_T_PAIRS},
	    {"merge", YAML_T_MERGE},
	    {"value", YAML_T_VALUE},
	    {"binary", YAML_T_UNSUPPORTED},
	    {"set", YAML_T_UNSUPPORTED},
	};
	static const char prefix[] = "tag:yaml.org,2002:";
	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return YAML_T_UNKNOWN;
	name += sizeof(prefix) - 1;
	for (size_t i = 0; i < ARRAY_LEN(tags); i++)
		if (strcmp(name, tags[i].name) == 0)
			return tags[i].tag;
	return YAML_T_UNKNOWN;
}

/* ---- numbers with Python's int() and float() ---- */

/* An integer that leaves int64 continues as a double, as silt's stand-in for Python's ints. */
struct pynum {
	bool big;
	int64_t i;
	double f;
};

static double pynum_f(struct pynum x)
{
	return x.big ? x.f : (double)x.i;
}

static struct pynum pynum_muladd(struct pynum x, int64_t mul, struct pynum add)
{
	struct pynum r = {0};
	if (!x.big && !add.big && !__builtin_mul_overflow(x.i, mul, &r.i) &&
	    !__builtin_add_overflow(r.i, add.i, &r.i))
		return r;
	r.big = true;
	r.f = pynum_f(x) * (double)mul + pynum_f(add);
	return r;
}

static struct pynum pynum_neg(struct pynum x)
{
	if (x.big)
		x.f = -x.f;
	else if (x.i == INT64_MIN)
		x = (struct pynum){.big = true, .f = 9223372036854775808.0};
	else
		x.i = -x.i;
	return x;
}

static bool py_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static struct str py_strip(struct str s)
{
	while (s.n && py_space(s.p[0]))
		s.p++, s.n--;
	while (s.n && py_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static void bad_literal(struct buf *why, const char *what, struct str s)
{
	buf_puts(why, what);
	v_repr_str(s, why);
}

/* Python's int(s, base) for ASCII text without underscores, negated when `negate` (so that
 * -9223372036854775808 stays an int64). */
static int py_int(struct str s, int base, bool negate, struct pynum *out, struct buf *why)
{
	struct str orig = s;
	s = py_strip(s);
	bool neg = negate;
	if (s.n && (s.p[0] == '-' || s.p[0] == '+')) {
		neg ^= s.p[0] == '-';
		s.p++, s.n--;
	}
	if (s.n >= 2 && s.p[0] == '0') {
		char x = (char)(s.p[1] | 0x20);
		if ((base == 16 && x == 'x') || (base == 8 && x == 'o') || (base == 2 && x == 'b'))
			s.p += 2, s.n -= 2;
	}
	uint64_t mag = 0;
	double f = 0;
	bool big = false, ok = s.n > 0;
	for (size_t i = 0; i < s.n && ok; i++) {
		char c = s.p[i], l = (char)(c | 0x20);
		int d = is_digit(c) ? c - '0' : l >= 'a' && l <= 'z' ? l - 'a' + 10 : 99;
		if (d >= base) {
			ok = false;
			break;
		}
		f = f * base + d;
		big = big || __builtin_mul_overflow(mag, (uint64_t)base, &mag) ||
		      __builtin_add_overflow(mag, (uint64_t)d, &mag);
	}
	if (!ok) {
		buf_printf(why, "invalid literal for int() with base %d: ", base);
		v_repr_str(orig, why);
		return -1;
	}
	big = big || mag > (uint64_t)INT64_MAX + neg;
	if (big && base == 10) {
		/* correctly rounded, as float(int(s)) would be */
		char *digits = xmemdup0(s.p, s.n);
		f = strtod(digits, NULL);
		free(digits);
	}
	if (!big && mag <= (uint64_t)INT64_MAX)
		*out = (struct pynum){.i = neg ? -(int64_t)mag : (int64_t)mag};
	else if (!big) /* -2**63 */
		*out = (struct pynum){.i = INT64_MIN};
	else
		*out = (struct pynum){.big = true, .f = neg ? -f : f};
	return 0;
}

/* Python's float(s) for ASCII text without underscores, already lowercased. */
static int py_float(struct str s, double *out, struct buf *why)
{
	struct str orig = s;
	s = py_strip(s);
	size_t i = 0;
	if (s.n && (s.p[0] == '-' || s.p[0] == '+'))
		i++;
	struct str w = str_make(s.p + i, s.n - i);
	bool ok;
	if (str_eqc(w, "inf") || str_eqc(w, "infinity") || str_eqc(w, "nan")) {
		ok = true;
	} else {
		size_t j = 0, nd = 0;
		for (; j < w.n && is_digit(w.p[j]); j++)
			nd++;
		if (j < w.n && w.p[j] == '.')
			for (j++; j < w.n && is_digit(w.p[j]); j++)
				nd++;
		ok = nd > 0;
		if (ok && j < w.n && w.p[j] == 'e') {
			j++;
			if (j < w.n && (w.p[j] == '-' || w.p[j] == '+'))
				j++;
			size_t e0 = j;
			while (j < w.n && is_digit(w.p[j]))
				j++;
			ok = j > e0;
		}
		ok = ok && j == w.n;
	}
	if (!ok) {
		bad_literal(why, "could not convert string to float: ", orig);
		return -1;
	}
	char tmp[64];
	char *heap = NULL, *p = tmp;
	if (s.n >= sizeof(tmp))
		p = heap = xmalloc(s.n + 1);
	memcpy(p, s.p, s.n);
	p[s.n] = 0;
	*out = strtod(p, NULL); /* overflow gives ±inf and underflow 0, as in Python */
	free(heap);
	return 0;
}

/* value.replace('_', ''), lowercased when asked: into small when it fits, else into tmp */
static struct str without_underscores(struct str s, bool lower, char small[64], struct buf *tmp)
{
	char *out = small;
	if (s.n >= 64) {
		buf_grow(tmp, s.n + 1);
		out = tmp->p;
	}
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c != '_')
			out[n++] = lower && c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
	}
	return str_make(out, n);
}

/* construct_yaml_int */
static int build_int(struct str text, struct pynum *out, struct buf *why)
{
	struct buf tmp = BUF_INIT;
	char small[64];
	struct str v = without_underscores(text, false, small, &tmp);
	int sign = 1, rc = 0;
	struct pynum r = {0};
	if (v.n && v.p[0] == '-')
		sign = -1;
	if (v.n && (v.p[0] == '-' || v.p[0] == '+'))
		v.p++, v.n--;
	if (!v.n) {
		bad_literal(why, "invalid literal for int() with base 10: ", v);
		rc = -1;
	} else if (str_eqc(v, "0")) {
		r.i = 0;
	} else if (v.n >= 2 && v.p[0] == '0' && v.p[1] == 'b') {
		rc = py_int(str_make(v.p + 2, v.n - 2), 2, sign < 0, &r, why);
	} else if (v.n >= 2 && v.p[0] == '0' && v.p[1] == 'x') {
		rc = py_int(str_make(v.p + 2, v.n - 2), 16, sign < 0, &r, why);
	} else if (v.p[0] == '0') {
		rc = py_int(v, 8, sign < 0, &r, why);
	} else if (memchr(v.p, ':', v.n)) {
		/* base 60, most significant part first: value = sum(part * 60**k) */
		const char *p = v.p, *end = v.p + v.n;
		while (rc == 0) {
			const char *colon = memchr(p, ':', (size_t)(end - p));
			const char *stop = colon ? colon : end;
			struct pynum part;
			rc = py_int(str_make(p, (size_t)(stop - p)), 10, false, &part, why);
			if (rc == 0)
				r = pynum_muladd(r, 60, part);
			if (!colon)
				break;
			p = colon + 1;
		}
		if (sign < 0)
			r = pynum_neg(r);
	} else {
		rc = py_int(v, 10, sign < 0, &r, why);
	}
	buf_release(&tmp);
	if (rc == 0)
		*out = r;
	return rc;
}

/* construct_yaml_float */
static int build_float(struct str text, double *out, struct buf *why)
{
	struct buf tmp = BUF_INIT;
	char small[64];
	struct str v = without_underscores(text, true, small, &tmp);
	double sign = 1, r = 0;
	int rc = 0;
	if (v.n && v.p[0] == '-')
		sign = -1;
	if (v.n && (v.p[0] == '-' || v.p[0] == '+'))
		v.p++, v.n--;
	if (str_eqc(v, ".inf")) {
		r = sign * INFINITY;
	} else if (str_eqc(v, ".nan")) {
		r = NAN; /* no sign, as PyYAML */
	} else if (memchr(v.p, ':', v.n)) {
		/* every part is converted from the left (so the first bad one is named), then they
		 * are summed from the least significant one, as PyYAML does */
		const char *end = v.p + v.n;
		for (const char *p = v.p; rc == 0;) {
			const char *colon = memchr(p, ':', (size_t)(end - p));
			double part;
			rc = py_float(str_make(p, (size_t)((colon ? colon : end) - p)), &part, why);
			if (!colon)
				break;
			p = colon + 1;
		}
		double base = 1;
		while (rc == 0) {
			const char *colon = end;
			while (colon > v.p && colon[-1] != ':')
				colon--;
			double part;
			rc = py_float(str_make(colon, (size_t)(end - colon)), &part, why);
			if (rc)
				break;
			r += part * base;
			base *= 60;
			if (colon == v.p)
				break;
			end = colon - 1;
		}
		r *= sign;
	} else if (!v.n) {
		bad_literal(why, "could not convert string to float: ", v);
		rc = -1;
	} else {
		rc = py_float(v, &r, why);
		r *= sign;
	}
	buf_release(&tmp);
	*out = r;
	return rc;
}

int yaml_scalar_build(struct arena *a, struct yaml_node *n, struct buf *why)
{
	struct str text = str_make(n->text, n->len);
	switch (n->tag) {
	case YAML_T_INT: {
		struct pynum r;
		if (build_int(text, &r, why))
			return -1;
		if (r.big) {
			n->flags |= YAML_F_BIGINT;
			n->f = r.f;
		} else {
			n->i = r.i;
		}
		return 0;
	}
	case YAML_T_FLOAT:
		return build_float(text, &n->f, why);
	case YAML_T_BOOL: {
		/* bool_values[value.lower()] */
		static const char *const names[] = {"yes", "no", "true", "false", "on", "off"};
		char low[8];
		if (text.n < sizeof(low)) {
			for (size_t i = 0; i < text.n; i++)
				low[i] = text.p[i] >= 'A' && text.p[i] <= 'Z'
				             ? (char)(text.p[i] | 0x20)
				             : text.p[i];
			for (size_t i = 0; i < ARRAY_LEN(names); i++) {
				if (eq(low, text.n, names[i])) {
					n->b = i % 2 == 0;
					return 0;
				}
			}
		}
		bad_literal(why, "could not convert string to bool: ", text);
		return -1;
	}
	case YAML_T_TIMESTAMP: {
		struct ts t;
		size_t len = text.n;
		if (len > 1 && text.p[len - 1] == '\n')
			len--;
		if (!match_timestamp(text.p, len, &t)) {
			bad_literal(why, "could not convert string to timestamp: ", text);
			return -1;
		}
		if (datetime_check(&t.dt, why))
			return -1;
		struct vdatetime *dt = arena_alloc(a, sizeof(*dt));
		*dt = t.dt;
		n->dt = dt;
		return 0;
	}
	default:
		return 0;
	}
}
