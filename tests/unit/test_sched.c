/* sched/cron.c: the cron grammar, its errors, and next run times checked against hand-derived
 * dates (UTC). */
#include <time.h>

#include "tap.h"
#include "sched/cron.h"

void test_sched(void);

static int64_t at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
	return (int64_t)timegm(&tm);
}

static const char *fmt(int64_t t, char *buf, size_t n)
{
	if (t < 0)
		return "never";
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M %a", &tm);
	return buf;
}

/* next(expr, after) as text, or the error's message */
static void next_is(const char *expr, int64_t after, const char *want)
{
	struct diag d;
	diag_init(&d);
	struct cron c;
	char buf[64], what[160];
	const char *got = cron_parse(expr, "schedule", &c, &d) < 0 ? "refused"
	                                                          : fmt(cron_next(&c, after), buf, sizeof(buf));
	snprintf(what, sizeof(what), "next '%s'", expr);
	is_str(got, want, what);
	diag_release(&d);
}

static void error_is(const char *expr, int col, const char *want)
{
	struct diag d;
	diag_init(&d);
	struct cron c;
	char what[160], msg[512];
	int rc = cron_parse(expr, "schedule", &c, &d);
	snprintf(what, sizeof(what), "'%s' is refused", expr);
	ok(rc == -1 && d.errors == 1, "%s", what);
	if (rc == -1 && d.msgs.n) {
		snprintf(what, sizeof(what), "'%s': message", expr);
		snprintf(msg, sizeof(msg), "%s, at column %d of '%s'", want, col, expr);
		is_str(d.msgs.v[0].msg, msg, what);
		is_str(d.msgs.v[0].file, "schedule", "... under the setting's name");
	}
	diag_release(&d);
}

void test_sched(void)
{
	int64_t t0 = at(2026, 11, 26, 1, 30); /* a Thursday */
	next_is("* * * * *", t0, "2026-11-26 01:31 Thu");
	next_is("* * * * *", t0 + 59, "2026-11-26 01:31 Thu");
	next_is("0 * * * *", t0, "2026-11-26 02:00 Thu");
	next_is("@hourly", t0, "2026-11-26 02:00 Thu");
	next_is("30 1 * * *", t0, "2026-11-27 01:30 Fri");
	next_is("@daily", t0, "2026-11-27 00:00 Fri");
	next_is("@midnight", t0, "2026-11-27 00:00 Fri");
	next_is("@weekly", t0, "2026-11-29 00:00 Sun");
	next_is("@monthly", t0, "2026-12-01 00:00 Tue");
	next_is("@yearly", t0, "2027-01-01 00:00 Fri");
	next_is("@ANNUALLY", t0, "2027-01-01 00:00 Fri");
	next_is("*/15 * * * *", t0, "2026-11-26 01:45 Thu");
	next_is("5-50/20 * * * *", at(2026, 11, 26, 1, 46), "2026-11-26 02:05 Thu");
	next_is("10/25 * * * *", at(2026, 11, 26, 1, 36), "2026-11-26 02:10 Thu");
	next_is("0 9-17/4 * * MON-FRI", t0, "2026-11-26 09:00 Thu");
	next_is("0 9 * * sat,sun", t0, "2026-11-28 09:00 Sat");
	next_is("0 9 * * 7", t0, "2026-11-29 09:00 Sun");
	next_is("0 9 * * 0", t0, "2026-11-29 09:00 Sun");
	next_is("0 0 1 jan *", t0, "2027-01-01 00:00 Fri");
	next_is("0 0 29 2 *", t0, "2028-02-29 00:00 Tue");
	next_is("0 0 31 * *", t0, "2026-12-31 00:00 Thu");
	next_is("0 0 30 2 *", t0, "never");
	/* both day fields restricted: either matches (the 1st, or any Monday) */
	next_is("0 12 1 * 1", t0, "2026-11-30 12:00 Mon");
	next_is("0 12 1 * 1", at(2026, 11, 30, 12, 0), "2026-12-01 12:00 Tue");
	/* both restricted: Friday the 27th comes before any 13th */
	next_is("0 0 13 * 5", t0, "2026-11-27 00:00 Fri");
	/* a day field starting with `*`: both must match (days 1, 11, 21, 31 that are Fridays) */
	next_is("0 0 */10 * 5", t0, "2026-12-11 00:00 Fri");
	next_is("0 0 * 12 *", t0, "2026-12-01 00:00 Tue");
	next_is("59 23 31 12 *", t0, "2026-12-31 23:59 Thu");
	next_is("  0   6 * * *  ", t0, "2026-11-26 06:00 Thu");
	next_is("1,2,58 * * * *", at(2026, 11, 26, 1, 58), "2026-11-26 02:01 Thu");

	error_is("", 1, "the schedule ends before its minute field (a cron schedule has five fields: minute hour day-of-month month day-of-week)");
	error_is("* * * *", 8, "the schedule ends before its day of week field (a cron schedule has five fields: minute hour day-of-month month day-of-week)");
	error_is("* * * * * *", 11, "a cron schedule has five fields; this is a sixth");
	error_is("60 * * * *", 1, "the minute must be in 0-59");
	error_is("0 24 * * *", 3, "the hour must be in 0-23");
	error_is("0 0 0 * *", 5, "the day of month must be in 1-31");
	error_is("0 0 * 13 *", 7, "the month must be in 1-12");
	error_is("0 0 * * 8", 9, "the day of week must be in 0-7");
	error_is("0 0 * foo *", 7, "unknown month name (JAN-DEC)");
	error_is("0 0 * * funday", 9, "expected a day of week (0-7 or SUN-SAT), '*' or a range");
	error_is("5-1 * * * *", 1, "the minute range goes backwards (from high to low)");
	error_is("*/0 * * * *", 3, "the minute step must be a number from 1 to the field's maximum");
	error_is("*/x * * * *", 3, "the minute step must be a number from 1 to the field's maximum");
	error_is("1;2 * * * *", 2, "unexpected character in the minute field (expected a number, a name, '*', '-', '/' or ',')");
	error_is("@reboot", 1, "unknown schedule (expected five fields or @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)");
	error_is("@daily 5", 8, "nothing may follow @daily");
	error_is("a * * * *", 1, "expected a minute number, '*' or a range");
	error_is("1, * * * *", 3, "expected a minute number, '*' or a range");
	error_is("99999999999 * * * *", 1, "the minute must be in 0-59");
}
