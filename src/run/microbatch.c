/* The batches of a microbatch model (run/microbatch.h). */
#include "microbatch.h"

#include "value/datetime.h"

#define US_HOUR INT64_C(3600000000)

static const char *const size_names[] = {"hour", "day", "month", "year"};

static int64_t fields_us(struct vdatetime t)
{
	t.has_time = true;
	t.has_tz = true;
	t.utcoffset = 0;
	return datetime_ordinal_us(&t);
}

static struct vdatetime us_fields(int64_t us)
{
	struct vdatetime t;
	datetime_from_ordinal_us(us, &t);
	return t;
}

static int64_t truncate_us(int64_t us, enum mb_size s)
{
	struct vdatetime t = us_fields(us);
	t.minute = t.second = t.microsecond = 0;
	if (s >= MB_DAY)
		t.hour = 0;
	if (s >= MB_MONTH)
		t.day = 1;
	if (s >= MB_YEAR)
		t.month = 1;
	return fields_us(t);
}

/* The truncated time moved by k batches; false past the years datetime holds. */
static bool offset_us(int64_t us, enum mb_size s, int64_t k, int64_t *out)
{
	int64_t t = truncate_us(us, s);
	struct vdatetime f = us_fields(t);
	switch (s) {
	case MB_HOUR:
		t += k * US_HOUR;
		break;
	case MB_DAY:
		t += k * 24 * US_HOUR;
		break;
	case MB_MONTH: {
		int64_t m = (int64_t)f.year * 12 + (f.month - 1) + k;
		if (m < 12 || m >= 10000 * 12)
			return false;
		f.year = (int)(m / 12);
		f.month = (int)(m % 12) + 1;
		t = fields_us(f);
		break;
	}
	case MB_YEAR:
		if (f.year + k < 1 || f.year + k > 9999)
			return false;
		f.year += (int)k;
		t = fields_us(f);
		break;
	}
	struct vdatetime r = us_fields(t);
	if (r.year < 1 || r.year > 9999 || t < 0)
		return false;
	*out = t;
	return true;
}

bool microbatch_parse_time(const char *s, int64_t *us)
{
	static const char *const formats[] = {
	    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
	    "%Y-%m-%d %H",       "%Y-%m-%dT%H",       "%Y-%m-%d"};
	size_t n = strlen(s);
	/* a UTC zone written out is the same time */
	if (n > 1 && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
		n--;
	else if (n > 6 && (!strcmp(s + n - 6, "+00:00") || !strcmp(s + n - 6, "-00:00")))
		n -= 6;
	for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
		struct vdatetime t = {0};
		struct buf why = BUF_INIT;
		int rc = datetime_strptime(str_make(s, n), str_from(formats[i]), &t, &why);
		buf_release(&why);
		if (rc == 0) {
			*us = fields_us(t);
			return true;
		}
	}
	return false;
}

/* `begin` as written: a string, or a date/datetime YAML gave. */
static bool config_time(value v, int64_t *us)
{
	const struct vdatetime *dt = v_as_datetime(v);
	if (dt) {
		struct vdatetime t = *dt;
		int64_t x = fields_us(t);
		if (dt->has_tz) /* an aware datetime: its UTC time */
			x -= (int64_t)dt->utcoffset * 60 * 1000000;
		*us = x;
		return true;
	}
	if (v.type != VT_STR)
		return false;
	char *s = xmemdup0(v.s, v.len);
	bool ok = microbatch_parse_time(s, us);
	free(s);
	return ok;
}

static int plan_error(struct diag *d, const char *fmt, const char *model)
{
	diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, fmt, model);
	return -1;
}

int microbatch_plan(const char *model, value config, bool incremental, const char *flag_start,
                    const char *flag_end, int64_t now_us, struct microbatch *mb, struct diag *d)
{
	memset(mb, 0, sizeof(*mb));
	value et = v_item(config, "event_time");
	if (et.type != VT_STR || !et.len)
		return plan_error(
		    d,
		    "Microbatch model '%s' must provide an 'event_time' (string) config "
		    "that indicates the name of the event time column.",
		    model);
	mb->event_time = et.s;
	value bs = v_item(config, "batch_size");
	if (bs.type == VT_UNDEF || bs.type == VT_NONE)
		return plan_error(
		    d,
		    "Microbatch model '%s' does not have a 'batch_size' config (one of "
		    "['hour', 'day', 'month', 'year']) specificed.",
		    model);
	bool known = false;
	for (int i = 0; i < 4 && bs.type == VT_STR; i++)
		if (str_eqc(v_as_str(bs), size_names[i])) {
			mb->size = (enum mb_size)i;
			known = true;
		}
	if (!known)
		return plan_error(
		    d,
		    "Microbatch model '%s' must provide a 'batch_size' config that is "
		    "one of ['hour', 'day', 'month', 'year'].",
		    model);
	value lb = v_item(config, "lookback");
	int64_t lookback = 1;
	if (lb.type == VT_INT && lb.i >= 0)
		lookback = lb.i;
	else if (lb.type != VT_UNDEF && lb.type != VT_NONE)
		return plan_error(
		    d,
		    "Microbatch model '%s' must provide a 'lookback' config that is a "
		    "non-negative integer.",
		    model);
	int64_t fs = 0, fe = 0;
	if (flag_start && !microbatch_parse_time(flag_start, &fs)) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "--event-time-start '%s' is not a date or datetime (YYYY-MM-DD, "
		         "YYYY-MM-DDTHH:MM:SS)",
		         flag_start);
		return -1;
	}
	if (flag_end && !microbatch_parse_time(flag_end, &fe)) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "--event-time-end '%s' is not a date or datetime (YYYY-MM-DD, "
		         "YYYY-MM-DDTHH:MM:SS)",
		         flag_end);
		return -1;
	}
	if (flag_start && flag_end && fs >= fe) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "Value for `--event-time-start` must be less than `--event-time-end`");
		return -1;
	}
	/* the end: the ceiling of --event-time-end or now */
	int64_t end = flag_end ? fe : now_us, t = truncate_us(end, mb->size);
	if (t != end && !offset_us(t, mb->size, 1, &end))
		return plan_error(d, "Microbatch model '%s': the end time is out of range", model);
	int64_t start;
	if (flag_start) {
		start = truncate_us(fs, mb->size);
	} else if (!incremental) {
		value begin = v_item(config, "begin");
		if (begin.type == VT_UNDEF || begin.type == VT_NONE)
			return plan_error(
			    d, "Microbatch model '%s' requires a 'begin' configuration.", model);
		if (!config_time(begin, &start))
			return plan_error(
			    d,
			    "Microbatch model '%s' must provide a 'begin' (datetime) config "
			    "that indicates the earliest timestamp the microbatch model "
			    "should be built from.",
			    model);
		start = truncate_us(start, mb->size);
	} else {
		/* the end is on a batch line, so the last batch ends there: one more lookback */
		int64_t back = lookback + (end == truncate_us(end, mb->size));
		if (!offset_us(end, mb->size, -back, &start))
			return plan_error(
			    d, "Microbatch model '%s': the start time is out of range", model);
	}
	VEC(int64_t) s = {0}, e = {0};
	int64_t cs = start, ce;
	if (!offset_us(cs, mb->size, 1, &ce))
		return plan_error(d, "Microbatch model '%s': the start time is out of range",
		                  model);
	vec_push(&s, cs);
	vec_push(&e, ce);
	while (ce < end) {
		if (s.n >= 1000000) {
			vec_free(&s);
			vec_free(&e);
			return plan_error(
			    d, "Microbatch model '%s' would run more than a million batches",
			    model);
		}
		cs = ce;
		if (!offset_us(cs, mb->size, 1, &ce))
			break;
		vec_push(&s, cs);
		vec_push(&e, ce);
	}
	e.v[e.n - 1] = end; /* the last batch stops at the end itself */
	mb->n = s.n;
	mb->start = s.v;
	mb->end = e.v;
	return 0;
}

void microbatch_release(struct microbatch *mb)
{
	free(mb->start);
	free(mb->end);
	memset(mb, 0, sizeof(*mb));
}

void microbatch_time_text(int64_t us, bool with_zone, struct buf *out)
{
	struct vdatetime t = us_fields(us);
	buf_printf(out, "%04d-%02d-%02d %02d:%02d:%02d", t.year, t.month, t.day, t.hour, t.minute,
	           t.second);
	if (t.microsecond)
		buf_printf(out, ".%06d", t.microsecond);
	if (with_zone)
		buf_puts(out, "+00:00");
}

void microbatch_id(const struct microbatch *mb, size_t i, struct buf *out)
{
	struct vdatetime t = us_fields(mb->start[i]);
	buf_printf(out, "%04d%02d%02d", t.year, t.month, t.day);
	if (mb->size == MB_HOUR)
		buf_printf(out, "T%02d", t.hour);
}

static value aware(struct arena *a, int64_t us)
{
	struct vdatetime t = us_fields(us);
	t.has_time = true;
	t.has_tz = true;
	t.utcoffset = 0;
	return v_datetime(a, &t);
}

value microbatch_batch_value(struct arena *a, const struct microbatch *mb, size_t i)
{
	struct buf id = BUF_INIT;
	microbatch_id(mb, i, &id);
	value v = v_dict(a, 3);
	vdict_sets(v.dict, "id", v_strdup(a, id.p, id.n));
	vdict_sets(v.dict, "event_time_start", aware(a, mb->start[i]));
	vdict_sets(v.dict, "event_time_end", aware(a, mb->end[i]));
	buf_release(&id);
	return v;
}

int64_t microbatch_unix_us(int64_t sec, int64_t usec)
{
	struct vdatetime epoch = {.year = 1970, .month = 1, .day = 1};
	return fields_us(epoch) + sec * 1000000 + usec;
}
