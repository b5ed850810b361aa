/* Python string formatting: `fmt % args` (printf-style) and str.format with the format-spec
 * mini-language, as Jinja2's sandbox runs them (str.format goes through string.Formatter, so
 * `{0.attr}` / `{0[key]}` use the sandbox's attribute and item rules). */
#include <math.h>

#include "jinja_int.h"
#include "builtins_int.h"


/* ---- shared: padding and digits ---- */

/* Writes sign + prefix + body padded to width code points. align: '<' '>' '^' or '=' (padding
 * between sign/prefix and body). */
static void pad_out(struct buf *out, struct str fill, char align, size_t width, const char *sign,
                    const char *prefix, struct str body)
{
	size_t len = strlen(sign) + strlen(prefix) + jb_cplen(body.p, body.n);
	size_t pad = width > len ? width - len : 0, left = 0, right = 0;
	switch (align) {
	case '<':
		right = pad;
		break;
	case '^':
		left = pad / 2;
		right = pad - left;
		break;
	default:
		left = pad;
		break;
	}
	if (align == '=') {
		buf_puts(out, sign);
		buf_puts(out, prefix);
		for (size_t i = 0; i < left; i++)
			buf_putstr(out, fill);
		buf_putstr(out, body);
		return;
	}
	for (size_t i = 0; i < left; i++)
		buf_putstr(out, fill);
	buf_puts(out, sign);
	buf_puts(out, prefix);
	buf_putstr(out, body);
	for (size_t i = 0; i < right; i++)
		buf_putstr(out, fill);
}

/* Digits of |v| in base (2, 8, 10, 16), lowercase or uppercase. */
static void int_digits(int64_t v, int base, bool upper, struct buf *out)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char tmp[80];
	int n = 0;
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		tmp[n++] = dig[u % (uint64_t)base];
		u /= (uint64_t)base;
	} while (u);
	while (n)
		buf_putc(out, tmp[--n]);
}

/* ---- printf-style % ---- */

static int need_number(struct jstate *st, value v, char conv, bool integer_only, value *num)
{
	if (v.type == VT_INT || v.type == VT_BOOL) {
		*num = v_int(v.type == VT_BOOL ? v.b : v.i);
		return 0;
	}
	if (v.type == VT_FLOAT) {
		if (integer_only)
			return jinja_error(st, "%%%c format: an integer is required, not float", conv);
		*num = v;
		return 0;
	}
	if (v.type == VT_UNDEF)
		return jinja_undefined_error(st, v);
	if (integer_only)
		return jinja_error(st, "%%%c format: an integer is required, not %s", conv,
		                   v_type_name(v));
	if (strchr("diu", conv))
		return jinja_error(st, "%%%c format: a real number is required, not %s", conv,
		                   v_type_name(v));
	return jinja_error(st, "must be real number, not %s", v_type_name(v));
}

/* Formats a float with C's printf for conversion conv (e f g E F G) and flags, without sign. */
static void float_body(double f, char conv, int prec, bool alt, struct buf *out)
{
	char fmt[16], tmp[512];
	double a = fabs(f);
	if (isinf(a) || isnan(a)) {
		bool up = conv == 'E' || conv == 'F' || conv == 'G';
		buf_puts(out, isnan(a) ? (up ? "NAN" : "nan") : (up ? "INF" : "inf"));
		return;
	}
	snprintf(fmt, sizeof(fmt), "%%%s.*%c", alt ? "#" : "", conv);
	int n = snprintf(tmp, sizeof(tmp), fmt, prec, a);
	if (n >= 0 && (size_t)n < sizeof(tmp)) {
		buf_append(out, tmp, (size_t)n);
		return;
	}
	/* very large %f */
	char *big = xmalloc((size_t)n + 1);
	snprintf(big, (size_t)n + 1, fmt, prec, a);
	buf_append(out, big, (size_t)n);
	free(big);
}

int jinja_percent_format(struct jstate *st, struct str fmt, value args, value *out)
{
	const value *argv = &args;
	uint32_t argc = 1, argi = 0;
	bool is_tuple = args.type == VT_LIST && (args.flags & VF_TUPLE);
	if (is_tuple) {
		argv = args.list->v;
		argc = args.list->n;
	}
	/* Python: any mapping that is not a tuple or str may serve %(name)s (lists included) */
	bool mapping = !is_tuple && (args.type == VT_DICT || args.type == VT_LIST);
	struct buf b = BUF_INIT, tmp = BUF_INIT;
	size_t i = 0;
#define FAIL(...)                                                                                  \
	do {                                                                                       \
		buf_release(&b);                                                                   \
		buf_release(&tmp);                                                                 \
		return jinja_error(st, __VA_ARGS__);                                               \
	} while (0)
#define FAIL_SILENT()                                                                              \
	do {                                                                                       \
		buf_release(&b);                                                                   \
		buf_release(&tmp);                                                                 \
		return -1;                                                                         \
	} while (0)
#define NEXT_ARG(dst)                                                                              \
	do {                                                                                       \
		if (argi >= argc)                                                                  \
			FAIL("not enough arguments for format string");                           \
		(dst) = argv[argi++];                                                              \
	} while (0)
	while (i < fmt.n) {
		const char *pc = memchr(fmt.p + i, '%', fmt.n - i);
		if (!pc) {
			buf_append(&b, fmt.p + i, fmt.n - i);
			break;
		}
		buf_append(&b, fmt.p + i, (size_t)(pc - fmt.p) - i);
		size_t start = (size_t)(pc - fmt.p);
		i = start + 1;
		value arg = v_undef();
		bool have_arg = false;
		if (i < fmt.n && fmt.p[i] == '(') {
			if (!mapping)
				FAIL("format requires a mapping");
			int depth = 1;
			size_t ks = ++i;
			while (i < fmt.n && depth) {
				if (fmt.p[i] == '(')
					depth++;
				else if (fmt.p[i] == ')')
					depth--;
				i++;
			}
			if (depth)
				FAIL("incomplete format key");
			value key = v_str(fmt.p + ks, i - 1 - ks);
			if (args.type != VT_DICT)
				FAIL("list indices must be integers or slices, not str");
			if (!vdict_get(args.dict, key, &arg)) {
				buf_reset(&tmp);
				v_to_repr(key, &tmp);
				FAIL("%s", buf_cstr(&tmp));
			}
			have_arg = true;
			argc = 0; /* positional conversions after a %(key) find no arguments */
		}
		bool left = false, plus = false, space = false, alt = false, zero = false;
		for (; i < fmt.n; i++) {
			char c = fmt.p[i];
			if (c == '-')
				left = true;
			else if (c == '+')
				plus = true;
			else if (c == ' ')
				space = true;
			else if (c == '#')
				alt = true;
			else if (c == '0')
				zero = true;
			else
				break;
		}
		int64_t width = 0, prec = -1;
		if (i < fmt.n && fmt.p[i] == '*') {
			value w;
			NEXT_ARG(w);
			if (w.type != VT_INT && w.type != VT_BOOL)
				FAIL("* wants int");
			width = w.type == VT_INT ? w.i : w.b;
			if (width < 0) {
				left = true;
				width = width == INT64_MIN ? INT64_MAX : -width;
			}
			if (width > 64 * 1024 * 1024)
				FAIL("result too large");
			i++;
		} else {
			while (i < fmt.n && fmt.p[i] >= '0' && fmt.p[i] <= '9') {
				width = width * 10 + (fmt.p[i++] - '0');
				if (width > 64 * 1024 * 1024)
					FAIL("result too large");
			}
		}
		if (i < fmt.n && fmt.p[i] == '.') {
			i++;
			prec = 0;
			if (i < fmt.n && fmt.p[i] == '*') {
				value p;
				NEXT_ARG(p);
				if (p.type != VT_INT && p.type != VT_BOOL)
					FAIL("* wants int");
				prec = p.type == VT_INT ? p.i : p.b;
				if (prec < 0)
					prec = 0;
				if (prec > 64 * 1024 * 1024)
					FAIL("result too large");
				i++;
			} else {
				while (i < fmt.n && fmt.p[i] >= '0' && fmt.p[i] <= '9') {
					prec = prec * 10 + (fmt.p[i++] - '0');
					if (prec > 64 * 1024 * 1024)
						FAIL("result too large");
				}
			}
		}
		while (i < fmt.n && (fmt.p[i] == 'h' || fmt.p[i] == 'l' || fmt.p[i] == 'L'))
			i++;
		if (i >= fmt.n)
			FAIL("incomplete format");
		char conv = fmt.p[i++];
		if (conv == '%' && i == start + 2) {
			buf_putc(&b, '%');
			continue;
		}
		if (!conv || !strchr("sradiuoxXeEfFgGc", conv)) {
			if (conv == '%' && !have_arg)
				NEXT_ARG(arg);
			uint32_t cp;
			jb_utf8_dec(fmt.p + i - 1, fmt.n - i + 1, &cp);
			if (cp < 0x80)
				FAIL("unsupported format character '%c' (0x%x) at index %zu", conv, cp,
				     jb_cplen(fmt.p, i - 1));
			FAIL("unsupported format character (0x%x) at index %zu", cp,
			     jb_cplen(fmt.p, i - 1));
		}
		if (!have_arg)
			NEXT_ARG(arg);
		struct str fill = left ? STR(" ") : zero ? STR("0") : STR(" ");
		char align = left ? '<' : zero ? '=' : '>';
		const char *sign = "";
		buf_reset(&tmp);
		switch (conv) {
		case 's':
		case 'r':
		case 'a': {
			if (conv == 's')
				jinja_to_str(arg, &tmp);
			else
				v_to_repr(arg, &tmp);
			struct str body = buf_str(&tmp);
			if (prec >= 0)
				body.n = jb_cpoff(body.p, body.n, (size_t)prec);
			pad_out(&b, STR(" "), left ? '<' : '>', (size_t)width, "", "", body);
			break;
		}
		case 'c': {
			if (arg.type == VT_STR) {
				if (jb_cplen(arg.s, arg.len) != 1)
					FAIL("%%c requires int or char");
				buf_append(&tmp, arg.s, arg.len);
			} else if (arg.type == VT_INT || arg.type == VT_BOOL) {
				int64_t c = arg.type == VT_INT ? arg.i : arg.b;
				if (c < 0 || c > 0x10ffff)
					FAIL("%%c arg not in range(0x110000)");
				jb_utf8_put(&tmp, (uint32_t)c);
			} else {
				if (arg.type == VT_UNDEF) {
					buf_release(&b);
					buf_release(&tmp);
					return jinja_undefined_error(st, arg);
				}
				FAIL("%%c requires int or char");
			}
			pad_out(&b, STR(" "), left ? '<' : '>', (size_t)width, "", "", buf_str(&tmp));
			break;
		}
		default: {
			value num = { 0 };
			bool intonly = conv == 'o' || conv == 'x' || conv == 'X';
			if (need_number(st, arg, conv, intonly, &num) < 0)
				FAIL_SILENT();
			const char *prefix = "";
			if (strchr("diuoxX", conv)) {
				int64_t iv;
				bool neg_big = false;
				struct buf digits = BUF_INIT;
				int base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
				if (num.type == VT_FLOAT) {
					if (isnan(num.f))
						FAIL("cannot convert float NaN to integer");
					if (isinf(num.f))
						FAIL("cannot convert float infinity to integer");
					iv = fabs(num.f) < 9.2e18 ? (int64_t)num.f : 0;
					if (fabs(num.f) >= 9.2e18) {
						/* beyond int64: the exact integer digits of the double */
						float_body(trunc(num.f), 'f', 0, false, &digits);
						neg_big = num.f < 0;
					}
				} else {
					iv = num.i;
				}
				if (!digits.n)
					int_digits(iv, base, conv == 'X', &digits);
				for (int64_t k = (int64_t)digits.n; k < prec; k++)
					buf_putc(&tmp, '0');
				buf_append(&tmp, digits.p, digits.n);
				buf_release(&digits);
				sign = iv < 0 || neg_big ? "-" : plus ? "+" : space ? " " : "";
				if (alt)
					prefix = conv == 'o' ? "0o" : conv == 'x' ? "0x" : conv == 'X' ? "0X" : "";
			} else {
				double f = num.type == VT_FLOAT ? num.f : (double)num.i;
				float_body(f, conv, prec < 0 ? 6 : (int)prec, alt, &tmp);
				sign = signbit(f) && !isnan(f) ? "-" : plus ? "+" : space ? " " : "";
			}
			pad_out(&b, fill, align, (size_t)width, sign, prefix, buf_str(&tmp));
			break;
		}
		}
	}
	if (argi < argc && !mapping)
		FAIL("not all arguments converted during string formatting");
#undef FAIL
#undef FAIL_SILENT
#undef NEXT_ARG
	buf_release(&tmp);
	value r = v_buf(jinja_arena(st), &b);
	buf_release(&b);
	*out = r;
	return 0;
}

/* ---- format spec mini-language ---- */

struct spec {
	struct str fill;
	char align; /* 0 = default */
	char sign;  /* 0, '+', '-', ' ' */
	bool alt, zero;
	int64_t width; /* -1 = none */
	char group;    /* 0, ',', '_' */
	int64_t prec;  /* -1 = none */
	char type;     /* 0 = none */
};

static int parse_spec(struct jstate *st, struct str s, struct spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->fill = STR(" ");
	sp->width = sp->prec = -1;
	size_t i = 0;
	if (s.n) {
		uint32_t cp;
		size_t l = jb_utf8_dec(s.p, s.n, &cp);
		if (l < s.n && s.p[l] && strchr("<>=^", s.p[l])) {
			sp->fill = str_make(s.p, l);
			sp->align = s.p[l];
			i = l + 1;
		} else if (s.p[0] && strchr("<>=^", s.p[0])) {
			sp->align = s.p[0];
			i = 1;
		}
	}
	if (i < s.n && (s.p[i] == '+' || s.p[i] == '-' || s.p[i] == ' '))
		sp->sign = s.p[i++];
	if (i < s.n && s.p[i] == 'z')
		i++;
	if (i < s.n && s.p[i] == '#') {
		sp->alt = true;
		i++;
	}
	if (i < s.n && s.p[i] == '0') {
		sp->zero = true;
		i++;
	}
	if (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
		sp->width = 0;
		while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
			sp->width = sp->width * 10 + (s.p[i++] - '0');
			if (sp->width > 64 * 1024 * 1024)
				return jinja_error(st, "result too large");
		}
	}
	if (i < s.n && (s.p[i] == ',' || s.p[i] == '_')) {
		sp->group = s.p[i++];
		if (i < s.n && (s.p[i] == ',' || s.p[i] == '_'))
			return jinja_error(st, "Cannot specify both ',' and '_'.");
	}
	if (i < s.n && s.p[i] == '.') {
		i++;
		if (i >= s.n || s.p[i] < '0' || s.p[i] > '9')
			return jinja_error(st, "Format specifier missing precision");
		sp->prec = 0;
		while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
			sp->prec = sp->prec * 10 + (s.p[i++] - '0');
			if (sp->prec > 64 * 1024 * 1024)
				return jinja_error(st, "result too large");
		}
	}
	if (s.n - i > 1)
		return jinja_error(st, "Invalid format specifier '%.*s' for object", (int)s.n, s.p);
	if (i < s.n) {
		if (!s.p[i])
			return jinja_error(st, "Invalid format specifier");
		sp->type = s.p[i];
	}
	return 0;
}

/* Inserts the grouping separator every `every` digits of the integer digits in d. */
static void group_digits(struct str d, char sep, int every, struct buf *out)
{
	size_t n = d.n;
	for (size_t i = 0; i < n; i++) {
		buf_putc(out, d.p[i]);
		size_t rest = n - i - 1;
		if (rest && rest % (size_t)every == 0)
			buf_putc(out, sep);
	}
}

/* Writes a number: sign, prefix, integer digits (grouped), then the rest (fraction/exponent). */
static void emit_number(struct buf *out, const struct spec *sp, bool neg, const char *prefix,
                        struct str intdigits, struct str rest, int every)
{
	const char *sign = neg ? "-" : sp->sign == '+' ? "+" : sp->sign == ' ' ? " " : "";
	char align = sp->align ? sp->align : '>';
	struct buf body = BUF_INIT;
	size_t width = sp->width > 0 ? (size_t)sp->width : 0;
	if (sp->group && align == '=' && str_eqc(sp->fill, "0")) {
		/* zero padding takes part in the grouping: 00,001,234 */
		size_t fixed = strlen(sign) + strlen(prefix) + rest.n;
		struct buf d = BUF_INIT;
		buf_putstr(&d, intdigits);
		for (;;) {
			buf_reset(&body);
			group_digits(buf_str(&d), sp->group, every, &body);
			if (body.n + fixed >= width)
				break;
			struct buf z = BUF_INIT;
			buf_putc(&z, '0');
			buf_append(&z, d.p, d.n);
			buf_release(&d);
			d = z;
		}
		buf_release(&d);
	} else if (sp->group) {
		group_digits(intdigits, sp->group, every, &body);
	} else {
		buf_putstr(&body, intdigits);
	}
	buf_putstr(&body, rest);
	pad_out(out, sp->fill, align, width, sign, prefix, buf_str(&body));
	buf_release(&body);
}

static int format_float(struct jstate *st, double f, const struct spec *spec0, struct buf *out,
                        const char *tname)
{
	struct spec spv = *spec0, *sp = &spv;
	if (sp->zero && !sp->align) {
		sp->fill = STR("0");
		sp->align = '=';
	}
	char type = sp->type;
	if (type && !strchr("eEfFgGn%", type))
		return jinja_error(st, "Unknown format code '%c' for object of type '%s'", type,
		                   tname);
	struct buf body = BUF_INIT;
	bool neg = signbit(f) && !isnan(f);
	double a = fabs(f);
	if (type == '%')
		a *= 100;
	if (!type && sp->prec < 0) {
		char num[32];
		int n = fmt_double(a, num);
		buf_append(&body, num, (size_t)n);
	} else {
		char conv = type == '%' ? 'f' : type == 'n' ? 'g' : type ? type : 'g';
		int prec = sp->prec < 0 ? 6 : (int)sp->prec;
		if (!type && prec == 0)
			prec = 1;
		float_body(a, conv, prec, sp->alt, &body);
		if (!type && isfinite(a) && !memchr(body.p, '.', body.n) && !memchr(body.p, 'e', body.n))
			buf_puts(&body, ".0");
	}
	if (type == '%')
		buf_putc(&body, '%');
	/* split integer digits from the rest for grouping */
	size_t k = 0;
	while (k < body.n && body.p[k] >= '0' && body.p[k] <= '9')
		k++;
	emit_number(out, sp, neg, "", str_make(body.p, k), str_make(body.p + k, body.n - k), 3);
	buf_release(&body);
	return 0;
}

static int format_int(struct jstate *st, int64_t v, const struct spec *spec0, struct buf *out,
                      const char *tname)
{
	char type = spec0->type ? spec0->type : 'd';
	if (strchr("eEfFgG%", type))
		return format_float(st, (double)v, spec0, out, tname);
	struct spec spv = *spec0, *sp = &spv;
	if (sp->zero && !sp->align) {
		sp->fill = STR("0");
		sp->align = '=';
	}
	if (!strchr("bcdoxXn", type))
		return jinja_error(st, "Unknown format code '%c' for object of type '%s'", type,
		                   tname);
	if (sp->prec >= 0)
		return jinja_error(st, "Precision not allowed in integer format specifier");
	if (type == 'c') {
		if (sp->sign)
			return jinja_error(st, "Sign not allowed with integer format specifier 'c'");
		if (sp->alt)
			return jinja_error(st, "Alternate form (#) not allowed with integer format "
			                       "specifier 'c'");
		if (v < 0 || v > 0x10ffff)
			return jinja_error(st, "%%c arg not in range(0x110000)");
		struct buf c = BUF_INIT;
		jb_utf8_put(&c, (uint32_t)v);
		pad_out(out, sp->fill, sp->align ? sp->align : '<', sp->width > 0 ? (size_t)sp->width : 0,
		        "", "", buf_str(&c));
		buf_release(&c);
		return 0;
	}
	if (sp->group == ',' && strchr("boxXn", type))
		return jinja_error(st, "Cannot specify ',' with '%c'.", type);
	int base = type == 'b' ? 2 : type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
	const char *prefix = "";
	if (sp->alt)
		prefix = base == 2 ? "0b" : base == 8 ? "0o" : type == 'x' ? "0x" : type == 'X' ? "0X" : "";
	struct buf d = BUF_INIT;
	int_digits(v, base, type == 'X', &d);
	emit_number(out, sp, v < 0, prefix, buf_str(&d), STR(""), base == 10 ? 3 : 4);
	buf_release(&d);
	return 0;
}

/* format(v, spec) */
int jb_format_value(struct jstate *st, value v, struct str spec, struct buf *out)
{
	struct spec sp;
	switch (v.type) {
	case VT_STR: {
		if (parse_spec(st, spec, &sp) < 0)
			return -1;
		if (sp.type && sp.type != 's')
			return jinja_error(st, "Unknown format code '%c' for object of type 'str'",
			                   sp.type);
		if (sp.sign)
			return jinja_error(st, "Sign not allowed in string format specifier");
		if (sp.alt)
			return jinja_error(st, "Alternate form (#) not allowed in string format "
			                       "specifier");
		if (sp.group)
			return jinja_error(st, "Cannot specify '%c' with 's'.", sp.group);
		if (sp.align == '=')
			return jinja_error(st, "'=' alignment not allowed in string format specifier");
		struct str body = v_as_str(v);
		if (sp.prec >= 0)
			body.n = jb_cpoff(body.p, body.n, (size_t)sp.prec);
		struct str fill = sp.zero && !sp.align ? STR("0") : sp.fill;
		pad_out(out, fill, sp.align ? sp.align : '<', sp.width > 0 ? (size_t)sp.width : 0, "",
		        "", body);
		return 0;
	}
	case VT_BOOL:
		if (!spec.n) {
			buf_puts(out, v.b ? "True" : "False");
			return 0;
		}
		if (parse_spec(st, spec, &sp) < 0)
			return -1;
		return format_int(st, v.b, &sp, out, "bool");
	case VT_INT:
		if (parse_spec(st, spec, &sp) < 0)
			return -1;
		return format_int(st, v.i, &sp, out, "int");
	case VT_FLOAT:
		if (parse_spec(st, spec, &sp) < 0)
			return -1;
		return format_float(st, v.f, &sp, out, "float");
	case VT_OBJ:
		if (spec.n && v.obj->cls->getattr) {
			/* datetime-like objects format through strftime */
			value fn, r;
			int found = v.obj->cls->getattr(st, v, STR("strftime"), &fn);
			if (found < 0)
				return -1;
			if (found) {
				value a = v_strs(spec);
				struct vargs args = { &a, 1, 0, NULL };
				if (jinja_call(st, fn, &args, &r) < 0)
					return -1;
				jinja_to_str(r, out);
				return 0;
			}
		}
		/* fall through */
	default:
		if (spec.n)
			return jinja_error(st, "unsupported format string passed to %s.__format__",
			                   v_type_name(v));
		jinja_to_str(v, out);
		return 0;
	}
}

/* ---- str.format (string.Formatter.vformat) ---- */

struct fmtctx {
	struct jstate *st;
	const struct vargs *args;
	int64_t auto_idx; /* -1: manual numbering in use */
};

static bool all_digits(struct str s)
{
	if (!s.n)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	return true;
}

static int64_t parse_digits(struct str s)
{
	int64_t v = 0;
	for (size_t i = 0; i < s.n && v < INT64_MAX / 10 - 10; i++)
		v = v * 10 + (s.p[i] - '0');
	return v;
}

static int get_field(struct fmtctx *c, struct str name, value *out)
{
	struct jstate *st = c->st;
	size_t i = 0;
	while (i < name.n && name.p[i] != '.' && name.p[i] != '[')
		i++;
	struct str first = str_make(name.p, i);
	value obj;
	if (all_digits(first)) {
		int64_t k = parse_digits(first);
		if (k >= (int64_t)c->args->npos)
			return jinja_error(st, "Replacement index %lld out of range for positional "
			                       "args tuple",
			                   (long long)k);
		obj = c->args->pos[k];
	} else {
		bool found = false;
		for (uint32_t k = 0; k < c->args->nkw; k++)
			if (str_eq(c->args->kw[k].name, first)) {
				obj = c->args->kw[k].v;
				found = true;
			}
		if (!found)
			return jinja_error(st, "'%.*s'", (int)first.n, first.p);
	}
	while (i < name.n) {
		if (name.p[i] == '.') {
			size_t s = ++i;
			while (i < name.n && name.p[i] != '.' && name.p[i] != '[')
				i++;
			if (i == s)
				return jinja_error(st, "Empty attribute in format string");
			if (jinja_getattr(st, obj, str_make(name.p + s, i - s), &obj) < 0)
				return -1;
		} else if (name.p[i] == '[') {
			size_t s = ++i;
			while (i < name.n && name.p[i] != ']')
				i++;
			if (i >= name.n)
				return jinja_error(st, "Missing ']' in format string");
			struct str key = str_make(name.p + s, i - s);
			i++;
			if (!key.n)
				return jinja_error(st, "Empty attribute in format string");
			value k = all_digits(key) ? v_int(parse_digits(key)) : v_strs(key);
			if (jinja_getitem(st, obj, k, &obj) < 0)
				return -1;
			if (i < name.n && name.p[i] != '.' && name.p[i] != '[')
				return jinja_error(st, "Only '.' or '[' may follow ']' in format field "
				                       "specifier");
		} else {
			return jinja_error(st, "Only '.' or '[' may follow ']' in format field specifier");
		}
	}
	*out = obj;
	return 0;
}

static int vformat(struct fmtctx *c, struct str fmt, struct buf *out, int depth)
{
	struct jstate *st = c->st;
	if (depth < 0)
		return jinja_error(st, "Max string recursion exceeded");
	size_t i = 0;
	while (i < fmt.n) {
		char ch = fmt.p[i];
		if (ch == '}') {
			if (i + 1 < fmt.n && fmt.p[i + 1] == '}') {
				buf_putc(out, '}');
				i += 2;
				continue;
			}
			return jinja_error(st, "Single '}' encountered in format string");
		}
		if (ch != '{') {
			const char *n1 = memchr(fmt.p + i, '{', fmt.n - i);
			const char *n2 = memchr(fmt.p + i, '}', fmt.n - i);
			size_t e = fmt.n;
			if (n1 && (size_t)(n1 - fmt.p) < e)
				e = (size_t)(n1 - fmt.p);
			if (n2 && (size_t)(n2 - fmt.p) < e)
				e = (size_t)(n2 - fmt.p);
			buf_append(out, fmt.p + i, e - i);
			i = e;
			continue;
		}
		if (i + 1 < fmt.n && fmt.p[i + 1] == '{') {
			buf_putc(out, '{');
			i += 2;
			continue;
		}
		if (i + 1 >= fmt.n)
			return jinja_error(st, "Single '{' encountered in format string");
		/* a replacement field: find its end, honouring nested braces and [..] */
		size_t s = ++i;
		int nest = 1;
		bool in_bracket = false;
		size_t name_end = SIZE_MAX, conv_at = SIZE_MAX, spec_at = SIZE_MAX;
		while (i < fmt.n) {
			char d = fmt.p[i];
			if (name_end == SIZE_MAX) {
				if (d == '[')
					in_bracket = true;
				else if (d == ']')
					in_bracket = false;
				else if (!in_bracket && (d == '!' || d == ':')) {
					name_end = i;
					if (d == '!')
						conv_at = i + 1;
					else
						spec_at = i + 1;
					i++;
					continue;
				}
			} else if (conv_at != SIZE_MAX && spec_at == SIZE_MAX && i > conv_at &&
			           d == ':') {
				spec_at = i + 1;
				i++;
				continue;
			}
			if (d == '{' && !in_bracket)
				nest++;
			else if (d == '}' && !in_bracket) {
				if (--nest == 0)
					break;
			}
			i++;
		}
		if (i >= fmt.n)
			return jinja_error(st, "expected '}' before end of string");
		size_t fend = i++;
		if (name_end == SIZE_MAX)
			name_end = fend;
		struct str name = str_make(fmt.p + s, name_end - s);
		char conv = 0;
		if (conv_at != SIZE_MAX) {
			if (conv_at >= fend)
				return jinja_error(st, "end of string while looking for conversion "
				                       "specifier");
			conv = fmt.p[conv_at];
			size_t after = conv_at + 1;
			if (after < fend && fmt.p[after] != ':')
				return jinja_error(st, "expected ':' after conversion specifier");
		}
		struct str spec = spec_at != SIZE_MAX ? str_make(fmt.p + spec_at, fend - spec_at)
		                                      : STR("");
		/* numbering */
		struct buf autoname = BUF_INIT;
		size_t dotpos = 0;
		while (dotpos < name.n && name.p[dotpos] != '.' && name.p[dotpos] != '[')
			dotpos++;
		if (!name.n) {
			if (c->auto_idx < 0)
				return jinja_error(st, "cannot switch from manual field specification to "
				                       "automatic field numbering");
			buf_printf(&autoname, "%lld", (long long)c->auto_idx++);
			name = buf_str(&autoname);
		} else if (all_digits(name)) {
			if (c->auto_idx > 0) {
				buf_release(&autoname);
				return jinja_error(st, "cannot switch from manual field specification to "
				                       "automatic field numbering");
			}
			c->auto_idx = -1;
		} else if (dotpos == 0) {
			/* "{.x}" / "{[0]}": Formatter treats the empty first part as kwargs[''] */
		}
		value obj;
		int rc = get_field(c, name, &obj);
		buf_release(&autoname);
		if (rc < 0)
			return -1;
		struct buf conv_buf = BUF_INIT;
		if (conv) {
			if (conv == 's')
				jinja_to_str(obj, &conv_buf);
			else if (conv == 'r' || conv == 'a')
				v_to_repr(obj, &conv_buf);
			else
				return jinja_error(st, "Unknown conversion specifier %c", conv);
			obj = v_strs(buf_str(&conv_buf));
		}
		struct buf specbuf = BUF_INIT;
		if (memchr(spec.p, '{', spec.n) || memchr(spec.p, '}', spec.n)) {
			if (vformat(c, spec, &specbuf, depth - 1) < 0) {
				buf_release(&conv_buf);
				buf_release(&specbuf);
				return -1;
			}
			spec = buf_str(&specbuf);
		}
		rc = jb_format_value(st, obj, spec, out);
		buf_release(&conv_buf);
		buf_release(&specbuf);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int jinja_str_format(struct jstate *st, struct str fmt, const struct vargs *args, value *out)
{
	static const struct vargs none = { NULL, 0, 0, NULL };
	struct fmtctx c = { st, args ? args : &none, 0 };
	struct buf b = BUF_INIT;
	if (vformat(&c, fmt, &b, 2) < 0) {
		buf_release(&b);
		return -1;
	}
	*out = v_buf(jinja_arena(st), &b);
	buf_release(&b);
	return 0;
}
