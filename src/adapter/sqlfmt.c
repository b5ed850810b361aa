/* sqlfmt: printf for SQL with quoting conversions (%I identifier, %L literal, %R relation), in
 * the manner of SQLite's %q/%Q/%w. Numbers go through buf_printf; text never reaches the output
 * unquoted except through %s, which is for SQL we wrote. */
#include "adapter.h"

void sql_quote_ident(struct buf *out, char q, const char *s, size_t n)
{
	buf_putc(out, q);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == q) {
			buf_append(out, s + start, i + 1 - start);
			buf_putc(out, q);
			start = i + 1;
		}
	}
	buf_append(out, s + start, n - start);
	buf_putc(out, q);
}

void sql_quote_literal(struct buf *out, const char *s, size_t n)
{
	buf_putc(out, '\'');
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'') {
			buf_append(out, s + start, i + 1 - start);
			buf_putc(out, '\'');
			start = i + 1;
		}
	}
	buf_append(out, s + start, n - start);
	buf_putc(out, '\'');
}

void sqlfmt_v(struct buf *out, const struct adapter *ad, const char *fmt, va_list ap)
{
	const char *p = fmt;
	while (*p) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			buf_puts(out, p);
			return;
		}
		buf_append(out, p, (size_t)(pct - p));
		const char *spec = pct + 1;
		if (*spec == '%') {
			buf_putc(out, '%');
			p = spec + 1;
			continue;
		}
		/* %.*X: an int length before the pointer */
		bool star = false;
		if (spec[0] == '.' && spec[1] == '*' &&
		    (spec[2] == 's' || spec[2] == 'I' || spec[2] == 'L')) {
			star = true;
			spec += 2;
		}
		if (*spec == 's' || *spec == 'I' || *spec == 'L') {
			int len = star ? va_arg(ap, int) : -1;
			const char *s = va_arg(ap, const char *);
			size_t n = s ? (len >= 0 ? (size_t)len : strlen(s)) : 0;
			if (*spec == 's') {
				if (s)
					buf_append(out, s, n);
			} else if (*spec == 'L') {
				if (s)
					sql_quote_literal(out, s, n);
				else
					buf_puts(out, "NULL");
			} else {
				if (!s)
					silt_abort("sqlfmt: %I of a NULL identifier");
				adapter_quote_ident(ad, s, n, out);
			}
			p = spec + 1;
			continue;
		}
		if (*spec == 'R') {
			const struct relation *r = va_arg(ap, const struct relation *);
			if (!r || !ad)
				silt_abort("sqlfmt: %R needs a relation and an adapter");
			adapter_render_relation(ad, r, out);
			p = spec + 1;
			continue;
		}
		/* a numeric conversion: flags, width, precision, length, conversion */
		const char *q = spec;
		while (*q && strchr("-+ #0123456789.", *q))
			q++;
		int longs = 0;
		char lenmod = 0;
		while (*q && strchr("hlzjt", *q)) {
			if (*q == 'l')
				longs++;
			else
				lenmod = *q;
			q++;
		}
		char conv = *q;
		char sub[32];
		size_t sublen = (size_t)(q + 1 - pct);
		if (!conv || sublen >= sizeof(sub))
			silt_abort("sqlfmt: bad conversion");
		memcpy(sub, pct, sublen);
		sub[sublen] = 0;
		switch (conv) {
		case 'd':
		case 'i':
			if (lenmod == 'z' || lenmod == 't')
				buf_printf(out, sub, va_arg(ap, ptrdiff_t));
			else if (lenmod == 'j')
				buf_printf(out, sub, va_arg(ap, intmax_t));
			else if (longs >= 2)
				buf_printf(out, sub, va_arg(ap, long long));
			else if (longs == 1)
				buf_printf(out, sub, va_arg(ap, long));
			else
				buf_printf(out, sub, va_arg(ap, int));
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (lenmod == 'z' || lenmod == 't')
				buf_printf(out, sub, va_arg(ap, size_t));
			else if (lenmod == 'j')
				buf_printf(out, sub, va_arg(ap, uintmax_t));
			else if (longs >= 2)
				buf_printf(out, sub, va_arg(ap, unsigned long long));
			else if (longs == 1)
				buf_printf(out, sub, va_arg(ap, unsigned long));
			else
				buf_printf(out, sub, va_arg(ap, unsigned));
			break;
		case 'f':
		case 'F':
		case 'g':
		case 'G':
		case 'e':
		case 'E':
			buf_printf(out, sub, va_arg(ap, double));
			break;
		default:
			silt_abort("sqlfmt: unknown conversion");
		}
		p = q + 1;
	}
}

void sqlfmt(struct buf *out, const struct adapter *ad, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlfmt_v(out, ad, fmt, ap);
	va_end(ap);
}
