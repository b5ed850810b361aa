/* Diagnostics: file:line:col messages with a source excerpt and caret. */
#include "base.h"

void diag_init(struct diag *d) { memset(d, 0, sizeof(*d)); }

void diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->msgs.n; i++) {
		free(d->msgs.v[i].file);
		free(d->msgs.v[i].msg);
		free(d->msgs.v[i].excerpt);
	}
	d->msgs.n = 0;
	d->errors = 0;
}

void diag_release(struct diag *d)
{
	diag_clear(d);
	vec_free(&d->msgs);
}

void text_position(const char *src, size_t off, int *line, int *col)
{
	int l = 1;
	size_t start = 0;
	for (size_t i = 0; i < off; i++) {
		if (src[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*col = (int)(off - start) + 1;
}

static char *make_excerpt(const char *src, size_t srclen, int line, int col)
{
	const char *p = src, *end = src + srclen;
	for (int l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	size_t len = (size_t)(eol - p);
	if (len > 200)
		len = 200;
	struct buf b = BUF_INIT;
	char num[16];
	int w = snprintf(num, sizeof(num), "%d", line);
	buf_printf(&b, "%s | %.*s\n", num, (int)len, p);
	buf_printf(&b, "%*s | ", w, "");
	for (int i = 1; i < col && (size_t)i <= len; i++)
		buf_putc(&b, p[i - 1] == '\t' ? '\t' : ' ');
	buf_putc(&b, '^');
	return buf_detach(&b, NULL);
}

void diag_vadd(struct diag *d, enum diag_level lv, const char *file, int line, int col,
               const char *src, size_t srclen, const char *fmt, va_list ap)
{
	if (lv == DIAG_ERROR)
		d->errors++;
	if (d->max_errors && lv == DIAG_ERROR && d->errors > d->max_errors)
		return;
	struct buf b = BUF_INIT;
	buf_vprintf(&b, fmt, ap);
	struct diag_msg m = { lv, file ? xstrdup(file) : NULL, line, col, buf_detach(&b, NULL), NULL };
	if (src && line > 0 && col > 0)
		m.excerpt = make_excerpt(src, srclen, line, col);
	vec_push(&d->msgs, m);
}

void diag_move(struct diag *d, struct diag_msg *m)
{
	if (m->level == DIAG_ERROR)
		d->errors++;
	if (!(d->max_errors && m->level == DIAG_ERROR && d->errors > d->max_errors))
		vec_push(&d->msgs, *m);
	else {
		free(m->file);
		free(m->msg);
		free(m->excerpt);
	}
	m->file = m->msg = m->excerpt = NULL;
}

void diag_add(struct diag *d, enum diag_level lv, const char *file, int line, int col,
              const char *src, size_t srclen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(d, lv, file, line, col, src, srclen, fmt, ap);
	va_end(ap);
}

void diag_format_msg(const struct diag_msg *m, struct buf *out)
{
	if (m->file) {
		buf_puts(out, m->file);
		if (m->line > 0) {
			buf_printf(out, ":%d", m->line);
			if (m->col > 0)
				buf_printf(out, ":%d", m->col);
		}
		buf_puts(out, ": ");
	}
	if (m->level == DIAG_WARNING)
		buf_puts(out, "warning: ");
	else if (m->level == DIAG_NOTE)
		buf_puts(out, "note: ");
	buf_puts(out, m->msg);
}

void diag_print(const struct diag *d, struct buf *out)
{
	for (size_t i = 0; i < d->msgs.n; i++) {
		diag_format_msg(&d->msgs.v[i], out);
		buf_putc(out, '\n');
		if (d->msgs.v[i].excerpt) {
			buf_puts(out, d->msgs.v[i].excerpt);
			buf_putc(out, '\n');
		}
	}
	if (d->max_errors && d->errors > d->max_errors)
		buf_printf(out, "... and %d more errors\n", d->errors - d->max_errors);
}
