/* agate's casts as dbt configures them (build_type_tester): Number (Python Decimal, rounded to
 * 28 digits by agate's `Decimal(d) * sign`), Date and DateTime (datetime.strptime), ISODateTime
 * (isodate.parse_datetime), Boolean, and the null test. Numbers and strptime's \d take any
 * Unicode decimal digit, as Python does; isodate's patterns are ASCII [0-9]. */
#include <math.h>

#include "csv_int.h"

/* ---- Python str.strip() and the null test ---- */

static bool py_isspace(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

/* The code point ending at s.p + s.n (text is valid UTF-8) and its length. */
static size_t last_cp(struct str s, uint32_t *cp)
{
	size_t k = 1;
	while (k < s.n && k < 4 && ((unsigned char)s.p[s.n - k] & 0xc0) == 0x80)
		k++;
	v_utf8_decode(s.p + s.n - k, k, cp);
	return k;
}

/* Strips code point c (any when c == 0: whitespace) from both ends. */
static struct str strip_cp(struct str s, uint32_t c)
{
	if (s.n) { /* fast path: ASCII ends that are not c (or whitespace) */
		unsigned char f = (unsigned char)s.p[0], l = (unsigned char)s.p[s.n - 1];
		if (f < 0x80 && l < 0x80) {
			if (c == 0 && !py_isspace(f) && !py_isspace(l))
				return s;
			if (c && (c >= 0x80 || (f != c && l != c)))
				return s;
		}
	}
	while (s.n) {
		uint32_t cp;
		size_t k = v_utf8_decode(s.p, s.n, &cp);
		if (c ? cp != c : !py_isspace(cp))
			break;
		s.p += k, s.n -= k;
	}
	while (s.n) {
		uint32_t cp;
		size_t k = last_cp(s, &cp);
		if (c ? cp != c : !py_isspace(cp))
			break;
		s.n -= k;
	}
	return s;
}

struct str csv_pystrip(struct str s)
{
	return strip_cp(s, 0);
}

static bool ieq(struct str s, const char *lower)
{
	size_t n = strlen(lower);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s.p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != lower[i])
			return false;
	}
	return true;
}

bool csv_is_null(struct str s)
{
	s = csv_pystrip(s);
	return s.n == 0 || ieq(s, "null");
}

static bool isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* Unicode decimal digits (general category Nd, Unicode 14 as in Python 3.11), which Python's
 * Decimal() and the \d of strptime's patterns accept: the zero of each run of ten. */
static const uint32_t nd_zero[] = {
    0x30,    0x660,   0x6f0,   0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,   0xb66,   0xbe6,
    0xc66,   0xce6,   0xd66,   0xde6,   0xe50,   0xed0,   0xf20,   0x1040,  0x1090,  0x17e0,
    0x1810,  0x1946,  0x19d0,  0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,
    0xa8d0,  0xa900,  0xa9d0,  0xa9f0,  0xaa50,  0xabf0,  0xff10,  0x104a0, 0x10d30, 0x11066,
    0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0,
    0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2,
    0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
};

static int nd_value(uint32_t c)
{
	size_t lo = 0, hi = ARRAY_LEN(nd_zero);
	while (hi - lo > 1) { /* the last zero <= c */
		size_t mid = (lo + hi) / 2;
		if (nd_zero[mid] <= c)
			lo = mid;
		else
			hi = mid;
	}
	return c >= nd_zero[lo] && c - nd_zero[lo] < 10 ? (int)(c - nd_zero[lo]) : -1;
}

/* The decimal digit (any Nd) at byte i: its value and *len bytes, or -1. */
static int digit_at(struct str s, size_t i, size_t *len)
{
	if (i >= s.n)
		return -1;
	if ((unsigned char)s.p[i] < 0x80) {
		*len = 1;
		return isdig(s.p[i]) ? s.p[i] - '0' : -1;
	}
	uint32_t cp;
	*len = v_utf8_decode(s.p + i, s.n - i, &cp);
	return nd_value(cp);
}

/* ---- Number ---- */

enum { PREC = 28, EMAX = 999999, EMIN = -999999, ETINY = EMIN - PREC + 1, ETOP = EMAX - PREC + 1 };
/* libmpdec's MPD_MAX_EMAX and the Etiny of its max context (64-bit) */
#define MAXCTX_EMAX 999999999999999999LL
#define MAXCTX_ETINY (-999999999999999999LL - 999999999999999999LL + 1)

/* agate.data_types.number.DEFAULT_CURRENCY_SYMBOLS, in order */
static const uint32_t currency[] = {0x060b, '$',    0x0192, 0x17db, 0x00a5, 0x20a1, 0x20b1,
                                    0x00a3, 0x20ac, 0x00a2, 0xfdfc, 0x20aa, 0x20a9, 0x20ad,
                                    0x20ae, 0x20a6, 0x0e3f, 0x20a4, 0x20ab};

/* Rounds the digit string dg[0..n) (no leading zeros unless "0") to keep `keep` digits,
 * half-even; returns the new length (keep, or keep + 1 on a carry past the top). */
static size_t round_digits(char *dg, size_t n, long keep)
{
	if (keep >= (long)n)
		return n;
	int first; /* 0 below half, 1 exactly half, 2 above */
	bool last_odd;
	if (keep < 0) {
		first = 0; /* Python: '1' at exp_min-1 ... rounds down */
		last_odd = false;
		keep = 0;
	} else {
		char c = dg[keep];
		bool rest = false;
		for (size_t i = (size_t)keep + 1; i < n; i++)
			if (dg[i] != '0')
				rest = true;
		first = c > '5' || (c == '5' && rest) ? 2 : c == '5' ? 1 : 0;
		last_odd = keep > 0 && ((dg[keep - 1] - '0') & 1);
	}
	bool up = first == 2 || (first == 1 && last_odd);
	size_t m = (size_t)keep;
	if (!up)
		return m;
	long i = (long)m - 1;
	while (i >= 0 && dg[i] == '9')
		dg[i--] = '0';
	if (i >= 0) {
		dg[i]++;
		return m;
	}
	/* carry past the top: 1 followed by m zeros */
	memmove(dg + 1, dg, m);
	dg[0] = '1';
	return m + 1;
}

enum csv_cast csv_cast_number(struct arena *a, struct str s, struct str *text, value *v,
                              struct csv_number *info)
{
	s = csv_pystrip(s);
	if (s.n == 0 || ieq(s, "null"))
		return CAST_NULL;
	s = strip_cp(s, '%');
	bool neg = false;
	if (s.n && s.p[0] == '-')
		neg = true, s.p++, s.n--;
	for (size_t i = 0; i < ARRAY_LEN(currency); i++) {
		if (s.n && (unsigned char)s.p[0] < 0x80 && (unsigned char)s.p[s.n - 1] < 0x80 &&
		    s.p[0] != '$' && s.p[s.n - 1] != '$')
			break; /* no symbol at either end, and stripping others cannot expose one */
		s = strip_cp(s, currency[i]);
	}
	/* Decimal(): no ',' (group symbol), surrounding whitespace stripped, then no '_' */
	char small[256];
	char *t = s.n < sizeof(small) ? small : xmalloc(s.n + 1);
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] != ',')
			t[n++] = s.p[i];
	struct str u = csv_pystrip(str_make(t, n));
	n = 0;
	for (size_t i = 0; i < u.n;) {
		size_t l;
		int dv = digit_at(u, i, &l);
		if (dv >= 0)
			t[n++] = (char)('0' + dv); /* any Unicode decimal digit */
		else if (u.p[i] != '_')
			memmove(t + n, u.p + i, l), n += l;
		i += l;
	}
	t[n] = 0;

	enum csv_cast rc = CAST_FAIL;
	const char *p = t, *end = t + n;
	bool dneg = false;
	if (p < end && (*p == '+' || *p == '-'))
		dneg = *p++ == '-';
	struct buf out = BUF_INIT;
	char *dg = NULL;
	double fv = 0;
	bool special = false;
	if (ieq(str_make(p, (size_t)(end - p)), "inf") ||
	    ieq(str_make(p, (size_t)(end - p)), "infinity")) {
		if (dneg != neg)
			buf_putc(&out, '-');
		buf_puts(&out, "Infinity");
		fv = dneg != neg ? -INFINITY : INFINITY;
		special = true;
		rc = CAST_OK;
	} else if (end - p >= 3 && ieq(str_make(p, 3), "nan")) {
		const char *q = p + 3;
		while (q < end && isdig(*q))
			q++;
		if (q == end) {
			p += 3;
			while (p < end && *p == '0')
				p++;
			if (end - p <= PREC) {
				if (dneg) /* a NaN operand is the result, sign and payload kept */
					buf_putc(&out, '-');
				buf_puts(&out, "NaN");
				buf_append(&out, p, (size_t)(end - p));
				fv = NAN;
				special = true;
				rc = CAST_OK;
			}
		}
	} else {
		/* digits [. digits] | . digits, then [e [sign] digits] */
		const char *ip = p;
		while (p < end && isdig(*p))
			p++;
		size_t ni = (size_t)(p - ip), nf = 0;
		const char *fp = NULL;
		if (p < end && *p == '.') {
			fp = ++p;
			while (p < end && isdig(*p))
				p++;
			nf = (size_t)(p - fp);
		}
		long long ex = 0;
		bool ok = ni + nf > 0;
		if (ok && p < end && (*p == 'e' || *p == 'E')) {
			p++;
			bool eneg = false;
			if (p < end && (*p == '+' || *p == '-'))
				eneg = *p++ == '-';
			if (p == end)
				ok = false;
			while (p < end && isdig(*p)) {
				/* saturate beyond libmpdec's limits: all such inputs are rejected
				 */
				ex = ex < 500000000000000000LL ? ex * 10 + (*p - '0')
				                               : 5000000000000000000LL;
				p++;
			}
			if (eneg)
				ex = -ex;
		}
		if (ok && p == end) {
			/* coefficient digits without leading zeros */
			dg = xmalloc(ni + nf + 2);
			size_t nd = 0;
			for (size_t i = 0; i < ni; i++)
				if (nd || ip[i] != '0')
					dg[nd++] = ip[i];
			for (size_t i = 0; i < nf; i++)
				if (nd || fp[i] != '0')
					dg[nd++] = fp[i];
			long long e = ex - (long long)nf;
			bool rneg = dneg != neg;
			rc = CAST_OK;
			/* Decimal(str) converts exactly under libmpdec's widest context: a value it
			 * would have to clamp or round is InvalidOperation, so not a number */
			if (nd == 0 ? (e > MAXCTX_EMAX || e < MAXCTX_ETINY)
			            : (e + (long long)nd - 1 > MAXCTX_EMAX || e < MAXCTX_ETINY))
				rc = CAST_FAIL;
			else if (nd == 0) { /* zero: the exponent is clamped into [Etiny, Emax] */
				dg[nd++] = '0';
				e = e < ETINY ? ETINY : e > EMAX ? EMAX : e;
			} else {
				long long exp_min = (long long)nd + e - PREC;
				if (exp_min > ETOP)
					rc = CAST_OVERFLOW;
				if (exp_min < ETINY)
					exp_min = ETINY;
				if (rc == CAST_OK && e < exp_min) {
					long long keep = (long long)nd + e - exp_min;
					size_t m =
					    round_digits(dg, nd, keep < -1 ? -1 : (long)keep);
					if (m > (size_t)(keep < 0 ? 0 : keep)) { /* carry */
						if (m > PREC) {
							m--;
							exp_min++;
						}
					}
					nd = m;
					e = exp_min;
					if (exp_min > ETOP && nd)
						rc = CAST_OVERFLOW;
					if (nd == 0)
						dg[nd++] = '0';
				}
			}
			if (rc == CAST_OK) {
				/* str(Decimal): Python's __str__ (to_sci_string) */
				long long left = e + (long long)nd, dot;
				if (e <= 0 && left > -6)
					dot = left;
				else
					dot = 1;
				if (rneg)
					buf_putc(&out, '-');
				if (dot <= 0) {
					buf_puts(&out, "0.");
					for (long long i = 0; i < -dot; i++)
						buf_putc(&out, '0');
					buf_append(&out, dg, nd);
				} else if (dot >= (long long)nd) {
					buf_append(&out, dg, nd);
					for (long long i = (long long)nd; i < dot; i++)
						buf_putc(&out, '0');
				} else {
					buf_append(&out, dg, (size_t)dot);
					buf_putc(&out, '.');
					buf_append(&out, dg + dot, nd - (size_t)dot);
				}
				if (left != dot)
					buf_printf(&out, "E%+lld", left - dot);
				/* utils.max_precision on value.normalize() */
				size_t nn = nd;
				long long ne = e;
				if (nd == 1 && dg[0] == '0') {
					ne = 0;
				} else {
					while (nn > 1 && dg[nn - 1] == '0')
						nn--, ne++;
				}
				if (info) {
					long long whole = (long long)nn + ne, frac = -ne;
					info->whole = whole > INT32_MAX   ? INT32_MAX
					              : whole < INT32_MIN ? INT32_MIN
					                                  : (int)whole;
					info->frac = frac > INT32_MAX   ? INT32_MAX
					             : frac < INT32_MIN ? INT32_MIN
					                                : (int)frac;
				}
				/* the value: int64 when integral and in range */
				if (v) {
					bool integral = ne >= 0 || (nd == 1 && dg[0] == '0');
					bool done = false;
					if (integral && (nd == 1 && dg[0] == '0')) {
						*v = v_int(0);
						done = true;
					} else if (integral && (long long)nn + ne <= 19) {
						unsigned __int128 x = 0;
						for (size_t i = 0; i < nn; i++)
							x = x * 10 + (unsigned)(dg[i] - '0');
						for (long long i = 0; i < ne; i++)
							x *= 10;
						unsigned __int128 lim =
						    rneg ? (unsigned __int128)INT64_MAX + 1
						         : INT64_MAX;
						if (x <= lim) {
							*v = v_int(rneg ? (int64_t)(0 - (uint64_t)x)
							                : (int64_t)x);
							done = true;
						}
					}
					if (!done)
						*v = v_float(strtod(buf_cstr(&out), NULL));
				}
			}
		}
	}
	if (rc == CAST_OK) {
		if (special) {
			if (v)
				*v = v_float(fv);
			if (info)
				info->whole = info->frac = 0;
		}
		if (info)
			info->special = special;
		if (text)
			*text =
			    a ? str_make(arena_strndup(a, out.p, out.n), out.n) : (struct str){0};
	}
	buf_release(&out);
	free(dg);
	if (t != small)
		free(t);
	return rc;
}

/* ---- Date and DateTime: datetime.strptime with %Y-%m-%d [%H:%M:%S] ---- */

/* One regex element of _strptime's pattern; alternatives are tried in order. */
enum pel { P_Y, P_DASH, P_M, P_D, P_WS, P_H, P_COLON, P_MIN, P_S };

struct pmatch {
	int f[11]; /* captured numbers by element */
};

static int digits_at(struct str s, size_t i, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (i + k >= s.n || !isdig(s.p[i + k]))
			return 0;
	return 1;
}

static bool inrange(struct str s, size_t i, char lo, char hi)
{
	return i < s.n && s.p[i] >= lo && s.p[i] <= hi;
}

/* Alternative k of element e at i: its length, or 0 when it does not match (-1: no more). */
static int alt(enum pel e, int k, struct str s, size_t i, int *num)
{
	switch (e) {
	case P_Y: { /* \d\d\d\d */
		if (k)
			return -1;
		size_t j = i;
		int y = 0;
		for (int q = 0; q < 4; q++) {
			size_t l;
			int dv = digit_at(s, j, &l);
			if (dv < 0)
				return 0;
			y = y * 10 + dv, j += l;
		}
		*num = y;
		return (int)(j - i);
	}
	case P_DASH:
	case P_COLON:
		if (k)
			return -1;
		return i < s.n && s.p[i] == (e == P_DASH ? '-' : ':') ? 1 : 0;
	case P_WS: {
		if (k)
			return -1;
		size_t j = i;
		while (j < s.n) {
			uint32_t cp;
			size_t l = v_utf8_decode(s.p + j, s.n - j, &cp);
			if (!py_isspace(cp))
				break;
			j += l;
		}
		return (int)(j - i);
	}
	default:
		break;
	}
	/* two-character forms "XY" where X in [a0,a1] and Y in [b0,b1]; one-character "[c0,c1]";
	 * " [1-9]" for %d */
	static const struct {
		enum pel e;
		char a0, a1, b0, b1; /* b0 == 0: one character */
		bool space;
	} alts[] = {
	    {P_M, '1', '1', '0', '2', 0}, {P_M, '0', '0', '1', '9', 0},
	    {P_M, '1', '9', 0, 0, 0},     {P_D, '3', '3', '0', '1', 0},
	    {P_D, '1', '2', '0', '9', 0}, {P_D, '0', '0', '1', '9', 0},
	    {P_D, '1', '9', 0, 0, 0},     {P_D, '1', '9', 0, 0, 1},
	    {P_H, '2', '2', '0', '3', 0}, {P_H, '0', '1', '0', '9', 0},
	    {P_H, '0', '9', 0, 0, 0},     {P_MIN, '0', '5', '0', '9', 0},
	    {P_MIN, '0', '9', 0, 0, 0},   {P_S, '6', '6', '0', '1', 0},
	    {P_S, '0', '5', '0', '9', 0}, {P_S, '0', '9', 0, 0, 0},
	};
	/* the alternatives of each element are consecutive in alts[] */
	size_t j = 0;
	while (j < ARRAY_LEN(alts) && alts[j].e != e)
		j++;
	j += (size_t)k;
	if (j < ARRAY_LEN(alts) && alts[j].e == e) {
		if (alts[j].space) {
			if (i < s.n && s.p[i] == ' ' && inrange(s, i + 1, alts[j].a0, alts[j].a1)) {
				*num = s.p[i + 1] - '0';
				return 2;
			}
			return 0;
		}
		size_t l1 = 1, l2 = 1;
		int d1, d2;
		if (alts[j].a0 == '0' && alts[j].a1 == '9') /* \d: any Unicode decimal digit */
			d1 = digit_at(s, i, &l1);
		else
			d1 = inrange(s, i, alts[j].a0, alts[j].a1) ? s.p[i] - '0' : -1;
		if (d1 < 0)
			return 0;
		if (!alts[j].b0) {
			*num = d1;
			return (int)l1;
		}
		if (alts[j].b0 == '0' && alts[j].b1 == '9')
			d2 = digit_at(s, i + l1, &l2);
		else
			d2 = inrange(s, i + l1, alts[j].b0, alts[j].b1) ? s.p[i + l1] - '0' : -1;
		if (d2 < 0)
			return 0;
		*num = d1 * 10 + d2;
		return (int)(l1 + l2);
	}
	return -1;
}

/* The regex's first match of elements el[k..n) at i (leftmost alternatives first): its end. */
static long pmatch_at(const enum pel *el, size_t k, size_t n, struct str s, size_t i,
                      struct pmatch *m)
{
	if (k == n)
		return (long)i;
	for (int alt_i = 0;; alt_i++) {
		int num = 0;
		int len = alt(el[k], alt_i, s, i, &num);
		if (len < 0)
			return -1;
		if (len == 0)
			continue;
		m->f[k] = num;
		long end = pmatch_at(el, k + 1, n, s, i + (size_t)len, m);
		if (end >= 0)
			return end;
	}
}

static enum csv_cast strptime_cast(struct str s, struct vdatetime *dt, bool with_time)
{
	s = csv_pystrip(s);
	if (s.n == 0 || ieq(s, "null"))
		return CAST_NULL;
	static const enum pel el[] = {P_Y, P_DASH,  P_M,   P_DASH,  P_D, P_WS,
	                              P_H, P_COLON, P_MIN, P_COLON, P_S};
	struct pmatch m;
	long end = pmatch_at(el, 0, with_time ? ARRAY_LEN(el) : 5, s, 0, &m);
	if (end != (long)s.n)
		return CAST_FAIL;
	*dt = (struct vdatetime){.year = m.f[0], .month = m.f[2], .day = m.f[4]};
	if (with_time) {
		dt->has_time = true;
		dt->hour = m.f[6], dt->minute = m.f[8], dt->second = m.f[10];
	}
	return datetime_check(dt, NULL) == 0 ? CAST_OK : CAST_FAIL;
}

enum csv_cast csv_cast_date(struct str s, struct vdatetime *dt)
{
	return strptime_cast(s, dt, false);
}

enum csv_cast csv_cast_datetime(struct str s, struct vdatetime *dt)
{
	return strptime_cast(s, dt, true);
}

/* ---- ISODateTime: isodate 0.6 parse_datetime ---- */

/* Days since 0001-01-01 (day 1) as date.toordinal(). */
static long ordinal(int y, int m, int d)
{
	static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	long yy = y - 1;
	long n = yy * 365 + yy / 4 - yy / 100 + yy / 400 + before[m - 1] + d;
	if (m > 2 && datetime_days_in_month(y, 2) == 29)
		n++;
	return n;
}

static bool from_ordinal(long n, struct vdatetime *dt)
{
	if (n < 1 || n > 3652059) /* date.max */
		return false;
	int y = (int)((n - 1) / 366) + 1; /* at most a few steps below the answer */
	while (ordinal(y + 1, 1, 1) <= n)
		y++;
	int m = 1;
	while (m < 12 && ordinal(y, m + 1, 1) <= n)
		m++;
	dt->year = y, dt->month = m, dt->day = (int)(n - ordinal(y, m, 1) + 1);
	return true;
}

static int num_at(struct str s, size_t i, size_t n)
{
	int x = 0;
	for (size_t k = 0; k < n; k++)
		x = x * 10 + (s.p[i + k] - '0');
	return x;
}

static bool lit(struct str s, size_t i, char c)
{
	return i < s.n && s.p[i] == c;
}

static bool iso_date(struct str s, struct vdatetime *dt)
{
	*dt = (struct vdatetime){0};
	if (digits_at(s, 0, 4)) {
		int y = num_at(s, 0, 4);
		int mo = -1, d = -1, w = -1, wd = -1, od = -1;
		if (lit(s, 4, '-') && digits_at(s, 5, 2) && lit(s, 7, '-') && digits_at(s, 8, 2))
			mo = num_at(s, 5, 2), d = num_at(s, 8, 2);
		else if (digits_at(s, 4, 8 - 4))
			mo = num_at(s, 4, 2), d = num_at(s, 6, 2);
		else if (lit(s, 4, '-') && lit(s, 5, 'W') && digits_at(s, 6, 2) && lit(s, 8, '-') &&
		         digits_at(s, 9, 1))
			w = num_at(s, 6, 2), wd = num_at(s, 9, 1);
		else if (lit(s, 4, 'W') && digits_at(s, 5, 3))
			w = num_at(s, 5, 2), wd = num_at(s, 7, 1);
		else if (lit(s, 4, '-') && digits_at(s, 5, 3))
			od = num_at(s, 5, 3);
		else if (digits_at(s, 4, 3))
			od = num_at(s, 4, 3);
		else if (lit(s, 4, '-') && lit(s, 5, 'W') && digits_at(s, 6, 2))
			w = num_at(s, 6, 2), wd = 1;
		else if (lit(s, 4, 'W') && digits_at(s, 5, 2))
			w = num_at(s, 5, 2), wd = 1;
		else if (lit(s, 4, '-') && digits_at(s, 5, 2))
			mo = num_at(s, 5, 2), d = 1;
		else if (digits_at(s, 4, 2))
			mo = num_at(s, 4, 2), d = 1;
		/* else YYYY alone */
		if (y < 1)
			return false;
		if (mo >= 0) {
			dt->year = y, dt->month = mo ? mo : 1, dt->day = d;
			return datetime_check(dt, NULL) == 0;
		}
		long jan1 = ordinal(y, 1, 1);
		if (w >= 0) {
			int wday =
			    (int)((jan1 - 1) % 7) + 1; /* isoweekday: 0001-01-01 is a Monday */
			int first = wday <= 4;         /* isocalendar week of Jan 1 is 1 */
			return from_ordinal(jan1 + 7L * (w - first) - wday + wd, dt);
		}
		if (od >= 0)
			return from_ordinal(jan1 + od - 1, dt);
		dt->year = y, dt->month = 1, dt->day = 1;
		return true;
	}
	if (digits_at(s, 0, 2)) { /* century */
		dt->year = num_at(s, 0, 2) * 100 + 1, dt->month = 1, dt->day = 1;
		return true;
	}
	return false;
}

/* A non-negative Python Decimal small enough for 128 bits: coefficient c, exponent e <= 0. */
struct dec {
	unsigned __int128 c;
	int e;
};

static int ndigits(unsigned __int128 c)
{
	int n = 1;
	while (c >= 10)
		c /= 10, n++;
	return n;
}

/* Rounds to PREC significant digits, half-even (the context of every Decimal operation). */
static struct dec dec_round(struct dec x)
{
	int n = ndigits(x.c);
	if (x.c == 0 || n <= PREC)
		return x;
	unsigned __int128 p = 1;
	for (int i = 0; i < n - PREC; i++)
		p *= 10;
	unsigned __int128 q = x.c / p, r = x.c % p, half = p / 2;
	if (r > half || (r == half && (q & 1)))
		q++;
	x.c = q;
	x.e += n - PREC;
	if (ndigits(q) > PREC)
		x.c /= 10, x.e++;
	return x;
}

/* 0.F... from the fraction digits f (exact, then rounded to PREC digits like a subtraction). */
static struct dec dec_frac(struct str f)
{
	size_t i = 0;
	while (i < f.n && f.p[i] == '0')
		i++;
	struct dec x = {0, -(int)f.n};
	size_t sig = f.n - i;
	if (sig <= PREC) {
		for (size_t k = i; k < f.n; k++)
			x.c = x.c * 10 + (unsigned)(f.p[k] - '0');
		return x;
	}
	char dg[PREC + 2];
	memcpy(dg, f.p + i, PREC + 1);
	/* round with a sticky digit for the rest */
	bool rest = false;
	for (size_t k = i + PREC + 1; k < f.n; k++)
		if (f.p[k] != '0')
			rest = true;
	char buf[PREC + 3];
	memcpy(buf, dg, PREC + 1);
	buf[PREC + 1] = rest ? '1' : '0';
	size_t m = round_digits(buf, PREC + 2, PREC);
	for (size_t k = 0; k < m; k++)
		x.c = x.c * 10 + (unsigned)(buf[k] - '0');
	x.e = -(int)f.n + (int)(sig - m);
	return x;
}

static unsigned __int128 pow10u(int n)
{
	unsigned __int128 p = 1;
	while (n-- > 0)
		p *= 10;
	return p;
}

/* A coefficient stays below 10^38, so with 39 or more fraction digits the value is below 1. */
static int64_t dec_int(struct dec x)
{
	if (x.e >= 0)
		return (int64_t)x.c;
	return -x.e > 38 ? 0 : (int64_t)(x.c / pow10u(-x.e));
}

static struct dec dec_fracpart(struct dec x) /* x - int(x) */
{
	if (x.e >= 0)
		return (struct dec){0, 0};
	if (-x.e <= 38)
		x.c %= pow10u(-x.e);
	return x;
}

static struct dec dec_mul(struct dec x, unsigned k)
{
	return dec_round((struct dec){x.c * k, x.e});
}

static int64_t dec_to_integral(struct dec x) /* half-even */
{
	if (x.e >= 0)
		return (int64_t)(x.c * pow10u(x.e));
	if (-x.e > 38)
		return 0; /* below 0.5 */
	unsigned __int128 p = pow10u(-x.e), q = x.c / p, r = x.c % p;
	if (r * 2 > p || (r * 2 == p && (q & 1)))
		q++;
	return (int64_t)q;
}

/* parse_time: the first of hh:mm:ss, hhmmss, hh:mm, hhmm, hh (each with a [,.] fraction on its
 * last part) that matches a prefix, then an optional time zone; the rest is ignored. */
static bool iso_time(struct str s, struct vdatetime *dt)
{
	size_t i = 0;
	int parts;
	int v[3] = {0};
	if (digits_at(s, 0, 2) && lit(s, 2, ':') && digits_at(s, 3, 2) && lit(s, 5, ':') &&
	    digits_at(s, 6, 2))
		parts = 3, v[0] = num_at(s, 0, 2), v[1] = num_at(s, 3, 2), v[2] = num_at(s, 6, 2),
		i = 8;
	else if (digits_at(s, 0, 6))
		parts = 3, v[0] = num_at(s, 0, 2), v[1] = num_at(s, 2, 2), v[2] = num_at(s, 4, 2),
		i = 6;
	else if (digits_at(s, 0, 2) && lit(s, 2, ':') && digits_at(s, 3, 2))
		parts = 2, v[0] = num_at(s, 0, 2), v[1] = num_at(s, 3, 2), i = 5;
	else if (digits_at(s, 0, 4))
		parts = 2, v[0] = num_at(s, 0, 2), v[1] = num_at(s, 2, 2), i = 4;
	else if (digits_at(s, 0, 2))
		parts = 1, v[0] = num_at(s, 0, 2), i = 2;
	else
		return false;
	struct str frac = {"", 0};
	if (i < s.n && (s.p[i] == '.' || s.p[i] == ',') && digits_at(s, i + 1, 1)) {
		size_t j = i + 1;
		while (j < s.n && isdig(s.p[j]))
			j++;
		frac = str_make(s.p + i + 1, j - i - 1);
		i = j;
	}
	/* time zone */
	dt->has_tz = false;
	dt->utcoffset = 0;
	if (lit(s, i, 'Z')) {
		dt->has_tz = true;
	} else if ((lit(s, i, '+') || lit(s, i, '-')) && digits_at(s, i + 1, 2)) {
		int sign = s.p[i] == '-' ? -1 : 1;
		int hh = num_at(s, i + 1, 2), mm = 0;
		size_t j = i + 3;
		if (lit(s, j, ':') && digits_at(s, j + 1, 2))
			mm = num_at(s, j + 1, 2);
		else if (digits_at(s, j, 2))
			mm = num_at(s, j, 2);
		dt->has_tz = true;
		dt->utcoffset = sign * (hh * 60 + mm);
	}
	int64_t hour, minute, second, micro;
	if (parts == 3) {
		/* Decimal(second).quantize(Decimal('.000001')) */
		char dg[8];
		size_t nf = frac.n < 6 ? frac.n : 6;
		memset(dg, '0', 6);
		memcpy(dg, frac.p, nf);
		int64_t us = 0;
		for (int k = 0; k < 6; k++)
			us = us * 10 + (dg[k] - '0');
		if (frac.n > 6) {
			char c = frac.p[6];
			bool rest = false;
			for (size_t k = 7; k < frac.n; k++)
				if (frac.p[k] != '0')
					rest = true;
			int64_t tot = v[2] * 1000000LL + us;
			if (c > '5' || (c == '5' && (rest || (tot & 1))))
				tot++;
			v[2] = (int)(tot / 1000000), us = tot % 1000000;
		}
		hour = v[0], minute = v[1], second = v[2], micro = us;
	} else if (parts == 2) {
		struct dec f = dec_frac(frac);
		struct dec sec = dec_mul(f, 60);
		hour = v[0], minute = v[1], second = dec_int(sec);
		micro = dec_to_integral(dec_mul(dec_fracpart(sec), 1000000));
	} else {
		struct dec f = dec_frac(frac);
		struct dec mi = dec_mul(f, 60);
		struct dec sec = dec_mul(dec_fracpart(mi), 60);
		hour = v[0], minute = dec_int(mi), second = dec_int(sec);
		micro = dec_to_integral(dec_mul(dec_fracpart(sec), 1000000));
	}
	if (hour > 23 || minute > 59 || second > 59 || micro > 999999)
		return false;
	dt->hour = (int)hour, dt->minute = (int)minute, dt->second = (int)second;
	dt->microsecond = (int)micro;
	return true;
}

enum csv_cast csv_cast_isodatetime(struct str s, struct vdatetime *dt)
{
	s = csv_pystrip(s);
	if (s.n == 0 || ieq(s, "null"))
		return CAST_NULL;
	const char *t = memchr(s.p, 'T', s.n);
	if (!t || memchr(t + 1, 'T', s.n - (size_t)(t - s.p) - 1))
		return CAST_FAIL;
	struct str ds = str_make(s.p, (size_t)(t - s.p));
	struct str ts = str_make(t + 1, s.n - ds.n - 1);
	struct vdatetime date, tm = {0};
	if (!iso_date(ds, &date) || !iso_time(ts, &tm))
		return CAST_FAIL;
	*dt = tm;
	dt->year = date.year, dt->month = date.month, dt->day = date.day;
	dt->has_time = true;
	return CAST_OK;
}

/* ---- Boolean: true_values ('true',), false_values ('false',) ---- */

enum csv_cast csv_cast_boolean(struct str s, bool *b)
{
	char small[64];
	char *t = s.n < sizeof(small) ? small : xmalloc(s.n + 1);
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] != ',')
			t[n++] = s.p[i];
	struct str u = csv_pystrip(str_make(t, n));
	enum csv_cast rc = CAST_FAIL;
	if (u.n == 0 || ieq(u, "null"))
		rc = CAST_NULL;
	else if (ieq(u, "true"))
		rc = CAST_OK, *b = true;
	else if (ieq(u, "false"))
		rc = CAST_OK, *b = false;
	if (t != small)
		free(t);
	return rc;
}
