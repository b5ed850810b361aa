/* modules.datetime: Python's datetime module for templates — datetime, date and timedelta
 * constructors and their class methods (now, utcnow, today, strptime, fromisoformat). The
 * objects themselves (value/datetime.h) carry strftime, isoformat, arithmetic and comparison. */
#include <time.h>

#include "compile_int.h"
#include "value/datetime.h"

enum { DT_DATETIME, DT_DATE };

static int int_arg(struct jstate *st, const struct vargs *args, uint32_t i, const char *name, int dflt,
                   int *out)
{
	value v;
	*out = dflt;
	if (!jinja_arg(args, i, name, &v))
		return 0;
	if (v.type != VT_INT)
		return jinja_error(st, "'%s' must be an integer, not %s", name, v_type_name(v));
	*out = (int)v.i;
	return 0;
}

static int make_dt(struct jstate *st, struct vdatetime *dt, value *out)
{
	struct buf why = BUF_INIT;
	if (datetime_check(dt, &why) < 0) {
		jinja_error(st, "ValueError: %s", buf_cstr(&why));
		buf_release(&why);
		return -1;
	}
	*out = v_datetime(jinja_arena(st), dt);
	return 0;
}

/* datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0) / date(y, m, d) */
static int class_call(struct jstate *st, value self, const struct vargs *args, value *out)
{
	int kind = (int)(intptr_t)self.obj->data;
	struct vdatetime dt = { 0 };
	dt.has_time = kind == DT_DATETIME;
	if (int_arg(st, args, 0, "year", -1, &dt.year) < 0 || int_arg(st, args, 1, "month", -1, &dt.month) < 0 ||
	    int_arg(st, args, 2, "day", -1, &dt.day) < 0)
		return -1;
	if (dt.year < 0 || dt.month < 0 || dt.day < 0)
		return jinja_error(st, "%s() needs year, month and day", kind == DT_DATETIME ? "datetime" : "date");
	if (kind == DT_DATETIME &&
	    (int_arg(st, args, 3, "hour", 0, &dt.hour) < 0 || int_arg(st, args, 4, "minute", 0, &dt.minute) < 0 ||
	     int_arg(st, args, 5, "second", 0, &dt.second) < 0 ||
	     int_arg(st, args, 6, "microsecond", 0, &dt.microsecond) < 0))
		return -1;
	return make_dt(st, &dt, out);
}

static void now_utc(struct vdatetime *dt)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	*dt = (struct vdatetime){ tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		                  tm.tm_sec, (int)(ts.tv_nsec / 1000), true, false, 0 };
}

enum { CM_NOW, CM_UTCNOW, CM_TODAY, CM_STRPTIME, CM_FROMISO };

static int class_method(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	int kind = (int)(intptr_t)self.obj->data, m = (int)(intptr_t)data;
	struct vdatetime dt;
	switch (m) {
	case CM_NOW:
	case CM_UTCNOW:
	case CM_TODAY:
		/* silt runs in UTC: now() and utcnow() agree, as on a dbt runner set to UTC */
		now_utc(&dt);
		if (kind == DT_DATE || m == CM_TODAY) {
			if (kind == DT_DATE) {
				dt.has_time = false;
				dt.hour = dt.minute = dt.second = dt.microsecond = 0;
			}
		}
		return make_dt(st, &dt, out);
	case CM_STRPTIME: {
		value s = v_undef(), fmt = v_undef();
		jinja_arg(args, 0, "date_string", &s);
		jinja_arg(args, 1, "format", &fmt);
		if (s.type != VT_STR || fmt.type != VT_STR)
			return jinja_error(st, "strptime() argument 1 must be str");
		struct buf why = BUF_INIT;
		if (datetime_strptime(v_as_str(s), v_as_str(fmt), &dt, &why) < 0) {
			jinja_error(st, "ValueError: %s", buf_cstr(&why));
			buf_release(&why);
			return -1;
		}
		return make_dt(st, &dt, out);
	}
	case CM_FROMISO: {
		value s = v_undef();
		jinja_arg(args, 0, "date_string", &s);
		if (s.type != VT_STR)
			return jinja_error(st, "fromisoformat: argument must be str");
		struct str t = v_as_str(s);
		static const char *const forms[] = { "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z",
			                             "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
			                             "%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z",
			                             "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S",
			                             "%Y-%m-%dT%H:%M",       "%Y-%m-%d %H:%M", "%Y-%m-%d" };
		for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
			struct buf why = BUF_INIT;
			int rc = datetime_strptime(t, str_from(forms[i]), &dt, &why);
			buf_release(&why);
			if (rc == 0) {
				if (kind == DT_DATE) {
					if (i != ARRAY_LEN(forms) - 1)
						break;
					dt.has_time = false;
				} else if (i == ARRAY_LEN(forms) - 1) {
					dt.has_time = true;
				}
				return make_dt(st, &dt, out);
			}
		}
		return jinja_error(st, "ValueError: Invalid isoformat string: '%.*s'", (int)t.n, t.p);
	}
	}
	return jinja_error(st, "unknown datetime method");
}

static int class_getattr(struct jstate *st, value self, struct str name, value *out)
{
	int kind = (int)(intptr_t)self.obj->data;
	static const struct {
		const char *name;
		int m;
		bool datetime_only;
	} methods[] = { { "now", CM_NOW, true },        { "utcnow", CM_UTCNOW, true },
		        { "today", CM_TODAY, false },   { "strptime", CM_STRPTIME, true },
		        { "fromisoformat", CM_FROMISO, false } };
	for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
		if (str_eqc(name, methods[i].name) && (kind == DT_DATETIME || !methods[i].datetime_only)) {
			*out = v_func(jinja_arena(st), methods[i].name, class_method, (void *)(intptr_t)methods[i].m, self);
			return 1;
		}
	}
	return 0;
}

static void class_str(value self, struct buf *out)
{
	buf_puts(out, (int)(intptr_t)self.obj->data == DT_DATETIME ? "<class 'datetime.datetime'>"
	                                                          : "<class 'datetime.date'>");
}

static const struct vclass dt_class = {
	.name = "type", .getattr = class_getattr, .call = class_call, .str = class_str
};

/* timedelta(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0, hours=0, weeks=0) */
static int fn_timedelta(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	static const struct {
		const char *name;
		double us;
	} units[] = { { "days", 86400e6 },  { "seconds", 1e6 }, { "microseconds", 1 }, { "milliseconds", 1e3 },
		      { "minutes", 60e6 }, { "hours", 3600e6 }, { "weeks", 604800e6 } };
	double total = 0;
	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		value v;
		if (!jinja_arg(args, (uint32_t)i, units[i].name, &v))
			continue;
		if (v.type == VT_INT)
			total += (double)v.i * units[i].us;
		else if (v.type == VT_FLOAT)
			total += v.f * units[i].us;
		else
			return jinja_error(st, "unsupported type for timedelta %s component: %s", units[i].name,
			                   v_type_name(v));
	}
	*out = v_timedelta(jinja_arena(st), (int64_t)(total >= 0 ? total + 0.5 : total - 0.5));
	return 0;
}

value dbt_module_datetime(struct arena *a)
{
	value ns = v_dict(a, 4);
	ns.flags = VF_NAMESPACE;
	vdict_sets(ns.dict, "datetime", v_obj(a, &dt_class, (void *)(intptr_t)DT_DATETIME));
	vdict_sets(ns.dict, "date", v_obj(a, &dt_class, (void *)(intptr_t)DT_DATE));
	vdict_sets(ns.dict, "timedelta", v_func(a, "timedelta", fn_timedelta, NULL, v_undef()));
	return ns;
}

value dbt_now_utc(struct arena *a)
{
	struct vdatetime dt;
	now_utc(&dt);
	dt.has_tz = true;
	return v_datetime(a, &dt);
}
