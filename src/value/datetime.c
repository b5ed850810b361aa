/* Python's datetime.date and datetime.datetime: validation, str(), repr(), equality. */
#include "datetime.h"

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int datetime_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* repr(datetime.timedelta(seconds=secs)): days are floored, 0 <= seconds < 86400 */
static void timedelta_repr(int64_t secs, struct buf *out)
{
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	secs -= days * 86400;
	buf_puts(out, "datetime.timedelta(");
	if (days)
		buf_printf(out, "days=%lld%s", (long long)days, secs ? ", " : "");
	if (secs)
		buf_printf(out, "seconds=%lld", (long long)secs);
	if (!days && !secs)
		buf_putc(out, '0');
	buf_putc(out, ')');
}

int datetime_check(const struct vdatetime *dt, struct buf *why)
{
	/* CPython's order: the timezone is made before the datetime, whose constructor checks
	 * the fields from the year down */
	const char *msg = NULL;
	if (dt->has_time && dt->has_tz && (dt->utcoffset <= -24 * 60 || dt->utcoffset >= 24 * 60)) {
		if (why) {
			buf_puts(why, "offset must be a timedelta strictly between "
			              "-timedelta(hours=24) and timedelta(hours=24), not ");
			timedelta_repr((int64_t)dt->utcoffset * 60, why);
			buf_putc(why, '.');
		}
		return -1;
	}
	if (dt->year < 1 || dt->year > 9999) {
		if (why)
			buf_printf(why, "year %d is out of range", dt->year);
		return -1;
	}
	if (dt->month < 1 || dt->month > 12)
		msg = "month must be in 1..12";
	else if (dt->day < 1 || dt->day > datetime_days_in_month(dt->year, dt->month))
		msg = "day is out of range for month";
	else if (!dt->has_time)
		return 0;
	else if (dt->hour < 0 || dt->hour > 23)
		msg = "hour must be in 0..23";
	else if (dt->minute < 0 || dt->minute > 59)
		msg = "minute must be in 0..59";
	else if (dt->second < 0 || dt->second > 59)
		msg = "second must be in 0..59";
	else if (dt->microsecond < 0 || dt->microsecond > 999999)
		msg = "microsecond must be in 0..999999";
	if (!msg)
		return 0;
	if (why)
		buf_puts(why, msg);
	return -1;
}

static int64_t days_before(int y, int m, int d)
{
	static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	int64_t yy = y - 1;
	int64_t n = yy * 365 + yy / 4 - yy / 100 + yy / 400 + cum[m - 1] + d - 1;
	if (m > 2 && is_leap(y))
		n++;
	return n;
}

int64_t datetime_ordinal_us(const struct vdatetime *dt)
{
	int64_t s = days_before(dt->year, dt->month, dt->day) * 86400 + dt->hour * 3600 +
	            dt->minute * 60 + dt->second;
	if (dt->has_tz)
		s -= (int64_t)dt->utcoffset * 60;
	return s * 1000000 + dt->microsecond;
}

static void put_offset(int off, struct buf *out)
{
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	buf_printf(out, "%c%02d:%02d", sign, off / 60, off % 60);
}

void datetime_str(const struct vdatetime *dt, struct buf *out)
{
	buf_printf(out, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
	if (!dt->has_time)
		return;
	buf_printf(out, " %02d:%02d:%02d", dt->hour, dt->minute, dt->second);
	if (dt->microsecond)
		buf_printf(out, ".%06d", dt->microsecond);
	if (dt->has_tz)
		put_offset(dt->utcoffset, out);
}

void datetime_repr(const struct vdatetime *dt, struct buf *out)
{
	if (!dt->has_time) {
		buf_printf(out, "datetime.date(%d, %d, %d)", dt->year, dt->month, dt->day);
		return;
	}
	buf_printf(out, "datetime.datetime(%d, %d, %d, %d, %d", dt->year, dt->month, dt->day,
	           dt->hour, dt->minute);
	if (dt->second || dt->microsecond)
		buf_printf(out, ", %d", dt->second);
	if (dt->microsecond)
		buf_printf(out, ", %d", dt->microsecond);
	if (dt->has_tz) {
		if (dt->utcoffset == 0) {
			buf_puts(out, ", tzinfo=datetime.timezone.utc");
		} else {
			buf_puts(out, ", tzinfo=datetime.timezone(");
			timedelta_repr((int64_t)dt->utcoffset * 60, out);
			buf_putc(out, ')');
		}
	}
	buf_putc(out, ')');
}

const struct vdatetime *v_as_datetime(value v)
{
	if (v.type != VT_OBJ ||
	    (v.obj->cls != &datetime_date_class && v.obj->cls != &datetime_datetime_class))
		return NULL;
	return v.obj->data;
}

static void dt_str(value self, struct buf *out)
{
	datetime_str(v_as_datetime(self), out);
}
static void dt_repr(value self, struct buf *out)
{
	datetime_repr(v_as_datetime(self), out);
}

static bool dt_equal(value a, value b)
{
	const struct vdatetime *x = v_as_datetime(a), *y = v_as_datetime(b);
	if (!x || !y || x->has_time != y->has_time || x->has_tz != y->has_tz)
		return false;
	return datetime_ordinal_us(x) == datetime_ordinal_us(y);
}

static int dt_getattr(struct jstate *st, value self, struct str name, value *out)
{
	(void)st;
	const struct vdatetime *dt = v_as_datetime(self);
	static const char *const names[] = {"year",   "month",  "day",        "hour",
	                                    "minute", "second", "microsecond"};
	const int fields[] = {dt->year,   dt->month,  dt->day,        dt->hour,
	                      dt->minute, dt->second, dt->microsecond};
	size_t nfields = dt->has_time ? ARRAY_LEN(names) : 3;
	for (size_t i = 0; i < nfields; i++) {
		if (str_eqc(name, names[i])) {
			*out = v_int(fields[i]);
			return 1;
		}
	}
	return 0;
}

const struct vclass datetime_date_class = {
    .name = "date",
    .getattr = dt_getattr,
    .str = dt_str,
    .repr = dt_repr,
    .equal = dt_equal,
};
const struct vclass datetime_datetime_class = {
    .name = "datetime",
    .getattr = dt_getattr,
    .str = dt_str,
    .repr = dt_repr,
    .equal = dt_equal,
};

value v_datetime(struct arena *a, const struct vdatetime *dt)
{
	struct vdatetime *copy = arena_alloc(a, sizeof(*copy));
	*copy = *dt;
	if (!copy->has_time) {
		copy->hour = copy->minute = copy->second = copy->microsecond = 0;
		copy->has_tz = false;
	}
	if (!copy->has_tz)
		copy->utcoffset = 0;
	return v_obj(a, copy->has_time ? &datetime_datetime_class : &datetime_date_class, copy);
}

value v_date(struct arena *a, int year, int month, int day)
{
	struct vdatetime dt = {.year = year, .month = month, .day = day};
	return v_datetime(a, &dt);
}
