/* Console output in dbt's shapes. */
#include <time.h>
#include <unistd.h>

#include "console.h"

struct console_flags console_flags;

void console_init(struct console *c, FILE *out)
{
	c->out = out;
	const char *nc = getenv("NO_COLOR");
	c->colour = console_flags.colour ? console_flags.colour > 0
	                                 : isatty(fileno(out)) && !(nc && *nc);
	c->no_time = false;
	c->quiet = console_flags.quiet;
}

static void vline(struct console *c, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	if (!c->no_time) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		buf_printf(&b, "%02d:%02d:%02d  ", tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	buf_vprintf(&b, fmt, ap);
	buf_putc(&b, '\n');
	fputs(buf_cstr(&b), c->out);
	fflush(c->out);
	buf_release(&b);
}

void console_line(struct console *c, const char *fmt, ...)
{
	if (c->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vline(c, fmt, ap);
	va_end(ap);
}

void console_error_line(struct console *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(c, fmt, ap);
	va_end(ap);
}

static const char *colour_code(enum console_colour c)
{
	switch (c) {
	case CC_GREEN: return "\033[32m";
	case CC_RED: return "\033[31m";
	case CC_YELLOW: return "\033[33m";
	default: return "";
	}
}

/* Display width of UTF-8 text: one column per code point. */
static size_t text_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

void console_progress_text(struct buf *out, int i, int n, const char *msg, const char *status,
                           enum console_colour colour, bool use_colour, double secs)
{
	size_t start = out->n;
	buf_printf(out, "%d of %d %s ", i, n, msg);
	/* dbt pads the "N of M msg " part with dots to 80 columns (its printer width) */
	size_t w = text_width(out->p + start, out->n - start),
	       width = console_flags.width > 0 ? (size_t)console_flags.width : 80;
	for (; w < width; w++)
		buf_putc(out, '.');
	buf_puts(out, " [");
	bool paint = use_colour && colour != CC_NONE;
	if (paint)
		buf_puts(out, colour_code(colour));
	buf_puts(out, status);
	if (paint)
		buf_puts(out, "\033[0m");
	if (secs >= 0)
		buf_printf(out, " in %.2fs", secs);
	buf_putc(out, ']');
}

static void progress(struct console *c, bool error, int i, int n, const char *msg,
                     const char *status, enum console_colour colour, double secs)
{
	if (c->quiet && !error)
		return;
	struct buf b = BUF_INIT;
	console_progress_text(&b, i, n, msg, status, colour, c->colour, secs);
	console_error_line(c, "%s", buf_cstr(&b));
	buf_release(&b);
}

void console_progress(struct console *c, int i, int n, const char *msg, const char *status,
                      enum console_colour colour, double secs)
{
	progress(c, false, i, n, msg, status, colour, secs);
}

void console_progress_error(struct console *c, int i, int n, const char *msg, const char *status,
                            enum console_colour colour, double secs)
{
	progress(c, true, i, n, msg, status, colour, secs);
}

void console_done_text(struct buf *out, int pass, int warn, int error, int skip, int noop)
{
	buf_printf(out, "Done. PASS=%d WARN=%d ERROR=%d SKIP=%d NO-OP=%d TOTAL=%d", pass, warn, error,
	           skip, noop, pass + warn + error + skip + noop);
}

void console_counts_text(struct buf *out, const struct console_count *c, size_t n)
{
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].n)
			continue;
		buf_printf(out, "%s%d %s", first ? "" : ", ", c[i].n, c[i].n == 1 ? c[i].singular : c[i].plural);
		first = false;
	}
}

void console_duration_text(struct buf *out, double secs)
{
	long h = (long)(secs / 3600), m = (long)(secs / 60) % 60;
	double s = secs - (double)h * 3600 - (double)m * 60;
	buf_printf(out, "%ld hours %ld minutes and %.2f seconds (%.2fs)", h, m, s, secs);
}
