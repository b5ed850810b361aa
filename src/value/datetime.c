/* Python's datetime.date and datetime.datetime: validation, str(), repr(), equality. */
#include <strings.h>

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

/* ---- formatting, parsing, arithmetic (strftime, strptime, timedelta) ---- */

static const char *const month_names[] = { "January", "February", "March",     "April",
	                                   "May",     "June",     "July",      "August",
	                                   "September", "October", "November", "December" };
static const char *const day_names[] = { "Monday", "Tuesday",  "Wednesday", "Thursday",
	                                 "Friday", "Saturday", "Sunday" };

int datetime_weekday(const struct vdatetime *dt)
{
	/* 0001-01-01 was a Monday */
	int64_t days = days_before(dt->year, dt->month, dt->day);
	return (int)(days % 7);
}

int datetime_strftime(const struct vdatetime *dt, struct str fmt, struct buf *out)
{
	for (size_t i = 0; i < fmt.n; i++) {
		char c = fmt.p[i];
		if (c != '%' || i + 1 >= fmt.n) {
			buf_putc(out, c);
			continue;
		}
		char d = fmt.p[++i];
		int wd = datetime_weekday(dt);
		int yday = (int)(days_before(dt->year, dt->month, dt->day) - days_before(dt->year, 1, 1)) + 1;
		switch (d) {
		case 'Y': buf_printf(out, "%04d", dt->year); break;
		case 'y': buf_printf(out, "%02d", dt->year % 100); break;
		case 'm': buf_printf(out, "%02d", dt->month); break;
		case 'd': buf_printf(out, "%02d", dt->day); break;
		case 'H': buf_printf(out, "%02d", dt->hour); break;
		case 'I': buf_printf(out, "%02d", dt->hour % 12 ? dt->hour % 12 : 12); break;
		case 'M': buf_printf(out, "%02d", dt->minute); break;
		case 'S': buf_printf(out, "%02d", dt->second); break;
		case 'f': buf_printf(out, "%06d", dt->microsecond); break;
		case 'p': buf_puts(out, dt->hour < 12 ? "AM" : "PM"); break;
		case 'j': buf_printf(out, "%03d", yday); break;
		case 'B': buf_puts(out, month_names[dt->month - 1]); break;
		case 'b': case 'h': buf_printf(out, "%.3s", month_names[dt->month - 1]); break;
		case 'A': buf_puts(out, day_names[wd]); break;
		case 'a': buf_printf(out, "%.3s", day_names[wd]); break;
		case 'w': buf_printf(out, "%d", (wd + 1) % 7); break;
		case 'u': buf_printf(out, "%d", wd + 1); break;
		case 'z':
			if (dt->has_tz) {
				int off = dt->utcoffset;
				buf_printf(out, "%c%02d%02d", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
			}
			break;
		case 'Z':
			if (dt->has_tz)
				buf_puts(out, dt->utcoffset == 0 ? "UTC" : "");
			break;
		case 'F': buf_printf(out, "%04d-%02d-%02d", dt->year, dt->month, dt->day); break;
		case 'T': buf_printf(out, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second); break;
		case 'D': buf_printf(out, "%02d/%02d/%02d", dt->month, dt->day, dt->year % 100); break;
		case 'e': buf_printf(out, "%2d", dt->day); break;
		case 'c':
			buf_printf(out, "%.3s %.3s %2d %02d:%02d:%02d %04d", day_names[wd],
			           month_names[dt->month - 1], dt->day, dt->hour, dt->minute, dt->second, dt->year);
			break;
		case 'x': buf_printf(out, "%02d/%02d/%02d", dt->month, dt->day, dt->year % 100); break;
		case 'X': buf_printf(out, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second); break;
		case '%': buf_putc(out, '%'); break;
		default:
			buf_putc(out, '%');
			buf_putc(out, d);
			break;
		}
	}
	return 0;
}

static bool take_int(struct str s, size_t *i, int maxdigits, int *out)
{
	int v = 0, n = 0;
	while (*i < s.n && n < maxdigits && s.p[*i] >= '0' && s.p[*i] <= '9') {
		v = v * 10 + (s.p[*i] - '0');
		(*i)++;
		n++;
	}
	*out = v;
	return n > 0;
}

static bool take_name(struct str s, size_t *i, const char *const *names, int count, bool abbrev, int *out)
{
	for (int k = 0; k < count; k++) {
		size_t len = abbrev ? 3 : strlen(names[k]);
		if (*i + len <= s.n && !strncasecmp(s.p + *i, names[k], len)) {
			*i += len;
			*out = k;
			return true;
		}
	}
	return false;
}

int datetime_strptime(struct str s, struct str fmt, struct vdatetime *dt, struct buf *why)
{
	memset(dt, 0, sizeof(*dt));
	dt->year = 1900;
	dt->month = 1;
	dt->day = 1;
	dt->has_time = true;
	size_t i = 0;
	bool pm = false, has_pm = false;
	for (size_t f = 0; f < fmt.n; f++) {
		char c = fmt.p[f];
		bool ok = true;
		if (c != '%' || f + 1 >= fmt.n) {
			if (c == ' ') {
				while (i < s.n && s.p[i] == ' ')
					i++;
				continue;
			}
			ok = i < s.n && s.p[i] == c;
			i++;
		} else {
			char d = fmt.p[++f];
			int v = 0;
			switch (d) {
			case 'Y': ok = take_int(s, &i, 4, &dt->year); break;
			case 'y': ok = take_int(s, &i, 2, &v); dt->year = v < 69 ? 2000 + v : 1900 + v; break;
			case 'm': ok = take_int(s, &i, 2, &dt->month); break;
			case 'd': ok = take_int(s, &i, 2, &dt->day); break;
			case 'H': ok = take_int(s, &i, 2, &dt->hour); break;
			case 'I': ok = take_int(s, &i, 2, &dt->hour); break;
			case 'M': ok = take_int(s, &i, 2, &dt->minute); break;
			case 'S': ok = take_int(s, &i, 2, &dt->second); break;
			case 'f': {
				size_t start = i;
				ok = take_int(s, &i, 6, &v);
				for (size_t k = i - start; k < 6; k++)
					v *= 10;
				dt->microsecond = v;
				break;
			}
			case 'p':
				has_pm = true;
				if (i + 2 <= s.n && !strncasecmp(s.p + i, "PM", 2))
					pm = true;
				else
					ok = i + 2 <= s.n && !strncasecmp(s.p + i, "AM", 2);
				i += 2;
				break;
			case 'B': ok = take_name(s, &i, month_names, 12, false, &v); dt->month = v + 1; break;
			case 'b': ok = take_name(s, &i, month_names, 12, true, &v); dt->month = v + 1; break;
			case 'A': ok = take_name(s, &i, day_names, 7, false, &v); break;
			case 'a': ok = take_name(s, &i, day_names, 7, true, &v); break;
			case 'z': {
				if (i < s.n && (s.p[i] == 'Z' || s.p[i] == 'z')) {
					i++;
					dt->has_tz = true;
					dt->utcoffset = 0;
					break;
				}
				int sign = i < s.n && s.p[i] == '-' ? -1 : 1;
				ok = i < s.n && (s.p[i] == '+' || s.p[i] == '-');
				i++;
				int hh = 0, mm = 0;
				ok = ok && take_int(s, &i, 2, &hh);
				if (i < s.n && s.p[i] == ':')
					i++;
				take_int(s, &i, 2, &mm);
				dt->has_tz = true;
				dt->utcoffset = sign * (hh * 60 + mm);
				break;
			}
			case '%': ok = i < s.n && s.p[i] == '%'; i++; break;
			default:
				buf_printf(why, "'%c' is a bad directive in format '%%%c'", d, d);
				return -1;
			}
		}
		if (!ok) {
			buf_printf(why, "time data '%.*s' does not match format '%.*s'", (int)s.n, s.p, (int)fmt.n, fmt.p);
			return -1;
		}
	}
	if (i < s.n) {
		buf_printf(why, "unconverted data remains: %.*s", (int)(s.n - i), s.p + i);
		return -1;
	}
	if (has_pm) {
		if (pm && dt->hour < 12)
			dt->hour += 12;
		else if (!pm && dt->hour == 12)
			dt->hour = 0;
	}
	return datetime_check(dt, why);
}

void datetime_from_ordinal_us(int64_t us, struct vdatetime *dt)
{
	int64_t days = us >= 0 ? us / 86400000000LL : -((-us + 86399999999LL) / 86400000000LL);
	int64_t rest = us - days * 86400000000LL;
	/* days since 0001-01-01 → y/m/d */
	int y = (int)(days / 366) + 1;
	while (days_before(y + 1, 1, 1) <= days)
		y++;
	while (days_before(y, 1, 1) > days)
		y--;
	int m = 1;
	while (m < 12 && days_before(y, m + 1, 1) <= days)
		m++;
	dt->year = y;
	dt->month = m;
	dt->day = (int)(days - days_before(y, m, 1)) + 1;
	dt->hour = (int)(rest / 3600000000LL);
	dt->minute = (int)(rest / 60000000LL % 60);
	dt->second = (int)(rest / 1000000 % 60);
	dt->microsecond = (int)(rest % 1000000);
}

/* timedelta: a duration in microseconds, printed and compared as Python's */
struct vtimedelta {
	int64_t us;
};

static void td_str(value self, struct buf *out)
{
	int64_t us = ((const struct vtimedelta *)self.obj->data)->us;
	int64_t days = us >= 0 ? us / 86400000000LL : -((-us + 86399999999LL) / 86400000000LL);
	int64_t rest = us - days * 86400000000LL;
	if (days)
		buf_printf(out, "%lld day%s, ", (long long)days, days == 1 || days == -1 ? "" : "s");
	buf_printf(out, "%lld:%02lld:%02lld", (long long)(rest / 3600000000LL),
	           (long long)(rest / 60000000LL % 60), (long long)(rest / 1000000 % 60));
	if (rest % 1000000)
		buf_printf(out, ".%06lld", (long long)(rest % 1000000));
}

static bool td_equal(value a, value b)
{
	return ((const struct vtimedelta *)a.obj->data)->us == ((const struct vtimedelta *)b.obj->data)->us;
}

static int td_getattr(struct jstate *st, value self, struct str name, value *out)
{
	(void)st;
	int64_t us = ((const struct vtimedelta *)self.obj->data)->us;
	int64_t days = us >= 0 ? us / 86400000000LL : -((-us + 86399999999LL) / 86400000000LL);
	int64_t rest = us - days * 86400000000LL;
	if (str_eqc(name, "days"))
		*out = v_int(days);
	else if (str_eqc(name, "seconds"))
		*out = v_int(rest / 1000000);
	else if (str_eqc(name, "microseconds"))
		*out = v_int(rest % 1000000);
	else
		return 0;
	return 1;
}

static bool td_truthy(value self) { return ((const struct vtimedelta *)self.obj->data)->us != 0; }

const struct vclass datetime_timedelta_class = {
	.name = "timedelta", .getattr = td_getattr, .str = td_str, .equal = td_equal, .truthy = td_truthy
};

value v_timedelta(struct arena *a, int64_t us)
{
	struct vtimedelta *t = arena_alloc(a, sizeof(*t));
	t->us = us;
	return v_obj(a, &datetime_timedelta_class, t);
}

bool v_as_timedelta(value v, int64_t *us)
{
	if (v.type != VT_OBJ || v.obj->cls != &datetime_timedelta_class)
		return false;
	*us = ((const struct vtimedelta *)v.obj->data)->us;
	return true;
}
