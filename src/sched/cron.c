/* Cron schedules: parsing and the next run time (sched/cron.h). */
#include "cron.h"

#include <ctype.h>
#include <time.h>

struct field {
	const char *name;
	int lo, hi;                /* the values an item may name */
	const char *const *names;  /* names for lo, lo+1, ... (NULL: numbers only) */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
	                                   "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },     { "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL }, { "month", 1, 12, month_names },
	{ "day of week", 0, 7, day_names },
};

struct cparse {
	const char *src, *what;
	struct diag *d;
};

static int fail(struct cparse *p, const char *at, const char *fmt, const char *field, const char *detail)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, field, detail);
	diag_add(p->d, DIAG_ERROR, p->what, 0, 0, NULL, 0, "%s, at column %d of '%s'", msg,
	         (int)(at - p->src) + 1, p->src);
	return -1;
}

/* A number or (where the field has them) a three-letter name at *s; advances *s. */
static int value_at(struct cparse *p, const struct field *f, const char **s, int *out)
{
	const char *at = *s;
	if (isdigit((unsigned char)*at)) {
		long v = 0;
		while (isdigit((unsigned char)**s) && v < 1000)
			v = v * 10 + (*(*s)++ - '0');
		if (isdigit((unsigned char)**s) || v < f->lo || v > f->hi) {
			char range[32];
			snprintf(range, sizeof(range), "%d-%d", f->lo, f->hi);
			return fail(p, at, "the %s must be in %s", f->name, range);
		}
		*out = (int)v;
		return 0;
	}
	if (f->names && isalpha((unsigned char)at[0]) && isalpha((unsigned char)at[1]) &&
	    isalpha((unsigned char)at[2]) && !isalnum((unsigned char)at[3])) {
		int count = f->hi - f->lo + 1 - (f->names == day_names); /* 7 is a number only */
		for (int i = 0; i < count; i++)
			if (strncasecmp(at, f->names[i], 3) == 0) {
				*s += 3;
				*out = f->lo + i;
				return 0;
			}
		return fail(p, at, "unknown %s name%s", f->name,
		            f->names == month_names ? " (JAN-DEC)" : " (SUN-SAT)");
	}
	return fail(p, at, "expected a %s%s", f->name,
	            f->names == month_names ? " (1-12 or JAN-DEC), '*' or a range"
	            : f->names                ? " (0-7 or SUN-SAT), '*' or a range"
	                                      : " number, '*' or a range");
}

/* One field (up to a blank or the end): sets bits lo..hi of *bits. */
static int parse_field(struct cparse *p, const struct field *f, const char **s, uint64_t *bits,
                       bool *any)
{
	*bits = 0;
	*any = **s == '*';
	for (;;) {
		int a, b, step = 1;
		const char *item = *s;
		if (**s == '*') {
			(*s)++;
			a = f->lo;
			b = f->hi;
		} else {
			if (value_at(p, f, s, &a) < 0)
				return -1;
			b = a;
			if (**s == '-') {
				(*s)++;
				if (value_at(p, f, s, &b) < 0)
					return -1;
				if (b < a)
					return fail(p, item, "the %s range goes backwards%s", f->name, " (from high to low)");
			}
		}
		if (**s == '/') {
			const char *at = ++*s;
			long v = 0;
			while (isdigit((unsigned char)**s) && v < 1000)
				v = v * 10 + (*(*s)++ - '0');
			if (*s == at || v < 1 || v > f->hi)
				return fail(p, at, "the %s step must be a number from 1 to the field's maximum%s",
				            f->name, "");
			step = (int)v;
			if (a == b && item[0] != '*')
				b = f->hi; /* N/STEP: from N to the end */
		}
		for (int v = a; v <= b; v += step)
			*bits |= 1ULL << v;
		if (**s != ',')
			break;
		(*s)++;
	}
	if (**s && !isspace((unsigned char)**s))
		return fail(p, *s, "unexpected character in the %s field%s", f->name,
		            " (expected a number, a name, '*', '-', '/' or ',')");
	return 0;
}

static const struct {
	const char *name, *expansion;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" },     { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

int cron_parse(const char *expr, const char *what, struct cron *out, struct diag *d)
{
	struct cparse p = { expr, what, d };
	memset(out, 0, sizeof(*out));
	const char *s = expr;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '@') {
		size_t n = strcspn(s, " \t\r\n");
		const char *rest = s + n;
		while (isspace((unsigned char)*rest))
			rest++;
		for (size_t i = 0; i < ARRAY_LEN(macros); i++)
			if (strlen(macros[i].name) == n && strncasecmp(s, macros[i].name, n) == 0) {
				if (*rest)
					return fail(&p, rest, "nothing may follow %s%s", macros[i].name, "");
				return cron_parse(macros[i].expansion, what, out, d);
			}
		return fail(&p, s, "unknown schedule %s%s",
		            "(expected five fields or @yearly, @annually, @monthly, @weekly, @daily, "
		            "@midnight, @hourly)", "");
	}
	uint64_t bits[5];
	bool any[5];
	for (int i = 0; i < 5; i++) {
		if (!*s)
			return fail(&p, s, "the schedule ends before its %s field%s",
			            fields[i].name, " (a cron schedule has five fields: minute hour "
			                            "day-of-month month day-of-week)");
		if (parse_field(&p, &fields[i], &s, &bits[i], &any[i]) < 0)
			return -1;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (*s)
		return fail(&p, s, "a cron schedule has five fields; this is a sixth%s%s", "", "");
	out->minutes = bits[0];
	out->hours = (uint32_t)bits[1];
	out->mdays = (uint32_t)bits[2];
	out->months = (uint16_t)bits[3];
	out->wdays = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7f); /* 7 is Sunday */
	out->mday_any = any[2];
	out->wday_any = any[4];
	return 0;
}

static bool day_matches(const struct cron *c, const struct tm *t)
{
	bool md = c->mdays >> t->tm_mday & 1, wd = c->wdays >> t->tm_wday & 1;
	if (c->mday_any || c->wday_any)
		return md && wd;
	return md || wd;
}

int64_t cron_next(const struct cron *c, int64_t after)
{
	time_t t = (time_t)(after - ((after % 60) + 60) % 60 + 60); /* the next whole minute */
	time_t limit = t + (time_t)5 * 366 * 86400;
	struct tm tm;
	while (t < limit) {
		gmtime_r(&t, &tm);
		if (!(c->months >> (tm.tm_mon + 1) & 1)) {
			/* the first minute of the next month */
			tm.tm_mon += 1;
			tm.tm_mday = 1;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
			t = timegm(&tm);
			continue;
		}
		if (!day_matches(c, &tm)) {
			t += (time_t)(86400 - tm.tm_hour * 3600 - tm.tm_min * 60);
			continue;
		}
		if (!(c->hours >> tm.tm_hour & 1)) {
			t += (time_t)(3600 - tm.tm_min * 60);
			continue;
		}
		if (!(c->minutes >> tm.tm_min & 1)) {
			t += 60;
			continue;
		}
		return (int64_t)t;
	}
	return -1;
}
