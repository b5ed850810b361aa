/* value/datetime: Python's datetime.date and datetime.datetime as value objects (VT_OBJ).
 *
 * A struct vdatetime holds the fields; v_date/v_datetime copy it into the arena and wrap it in
 * an object whose class prints, compares and answers attributes as CPython does:
 *   str(date)      2024-01-01
 *   str(datetime)  2024-01-01 12:30:00[.500000][+05:30]
 *   repr           datetime.date(2024, 1, 1) / datetime.datetime(2024, 1, 1, 12, 30, ...)
 * Equality follows Python: a date never equals a datetime, a naive datetime never equals an
 * aware one, aware datetimes compare as instants. The struct is immutable once wrapped. */
#ifndef SILT_DATETIME_H
#define SILT_DATETIME_H

#include "value.h"

struct vdatetime {
	int year, month, day;                  /* 1..9999, 1..12, 1..31 */
	int hour, minute, second, microsecond; /* a date keeps them 0 */
	bool has_time;                         /* datetime (true) or date (false) */
	bool has_tz;                           /* aware datetime: utcoffset is meaningful */
	int utcoffset;                         /* minutes east of UTC, |x| < 24*60 */
};

extern const struct vclass datetime_date_class, datetime_datetime_class;

/* 0 when the fields make a valid date/datetime; else -1, and CPython's ValueError text
 * ("month must be in 1..12", "day is out of range for month", ...) is appended to why. */
int datetime_check(const struct vdatetime *dt, struct buf *why);
int datetime_days_in_month(int year, int month);

/* Wrap a copy of dt (which must pass datetime_check) as a date or datetime object. */
value v_datetime(struct arena *a, const struct vdatetime *dt);
value v_date(struct arena *a, int year, int month, int day);
/* The fields of a date or datetime object, or NULL for any other value. */
const struct vdatetime *v_as_datetime(value v);

/* Python str() / repr() of the date or datetime. */
void datetime_str(const struct vdatetime *dt, struct buf *out);
void datetime_repr(const struct vdatetime *dt, struct buf *out);
/* Microseconds since 0001-01-01 00:00 (UTC for aware datetimes): orders and compares. */
int64_t datetime_ordinal_us(const struct vdatetime *dt);

/* Monday is 0, as date.weekday(). */
int datetime_weekday(const struct vdatetime *dt);
/* Python's strftime / strptime for the common directives (%Y %m %d %H %M %S %f %z %Z %j %p %a
 * %A %b %B %y %I %w %u %F %T %D %e %c %x %X %%). strptime returns -1 with Python's ValueError
 * text in why. */
int datetime_strftime(const struct vdatetime *dt, struct str fmt, struct buf *out);
int datetime_strptime(struct str s, struct str fmt, struct vdatetime *dt, struct buf *why);
/* The inverse of datetime_ordinal_us (fields only; the caller sets has_time and the zone). */
void datetime_from_ordinal_us(int64_t us, struct vdatetime *dt);

/* datetime.timedelta as a value: a duration in microseconds. */
extern const struct vclass datetime_timedelta_class;
value v_timedelta(struct arena *a, int64_t us);
bool v_as_timedelta(value v, int64_t *us);

#endif
