/* Query results as dbt hands them to templates: an agate.Table built the way dbt-adapters'
 * get_result_from_cursor and dbt_common's table_from_data_flat build it, with agate's Table,
 * MappedSequence, Row and Column behaviour (docs/internals/agate.md).
 *
 * Everything a table holds is built eagerly in the constructor's arena: column names, one data
 * type per column, a tuple of Row objects, a tuple of Column objects (each with its values).
 * Methods that make new things (items(), dict(), select(), ...) allocate in the render arena. */
#include <math.h>

#include "adapter/adapter.h"
#include "compile_int.h"
#include "json/json.h"
#include "value/datetime.h"

/* ---- data types: dbt's type tester for query results, in its order of preference ---- */

enum agate_type { AG_INTEGER, AG_NUMBER, AG_DATE, AG_DATETIME, AG_BOOLEAN, AG_TEXT, AG_NTYPES };

struct agate_type_info {
	const char *name;   /* the class name print_structure shows */
	const char *module; /* where the class lives, for its repr */
};
static const struct agate_type_info type_info[AG_NTYPES] = {
	[AG_INTEGER] = { "Integer", "dbt_common.clients.agate_helper" },
	[AG_NUMBER] = { "Number", "dbt_common.clients.agate_helper" },
	[AG_DATE] = { "Date", "agate.data_types.date" },
	[AG_DATETIME] = { "DateTime", "agate.data_types.date_time" },
	[AG_BOOLEAN] = { "Boolean", "agate.data_types.boolean" },
	[AG_TEXT] = { "Text", "agate.data_types.text" },
};

static void type_str(value self, struct buf *out)
{
	const struct agate_type_info *ti = self.obj->data;
	buf_printf(out, "<%s.%s object at %p>", ti->module, ti->name, (void *)self.obj);
}

static bool type_equal(value a, value b) { return a.obj->data == b.obj->data; }

#define TYPE_CLASS(T, N) [T] = { .name = N, .str = type_str, .equal = type_equal }
static const struct vclass type_classes[AG_NTYPES] = {
	TYPE_CLASS(AG_INTEGER, "Integer"), TYPE_CLASS(AG_NUMBER, "Number"),
	TYPE_CLASS(AG_DATE, "Date"),       TYPE_CLASS(AG_DATETIME, "DateTime"),
	TYPE_CLASS(AG_BOOLEAN, "Boolean"), TYPE_CLASS(AG_TEXT, "Text"),
};

static enum agate_type type_of(value t) { return (enum agate_type)(t.obj->cls - type_classes); }

/* Whether dbt's type `t` casts v without a CastError (the TypeTester's test). */
static bool type_accepts(enum agate_type t, value v)
{
	if (v.type == VT_NONE)
		return true;
	const struct vdatetime *dt = v_as_datetime(v);
	switch (t) {
	case AG_INTEGER:
		return v.type == VT_INT;
	case AG_NUMBER: /* dbt's Number refuses bools */
		return v.type == VT_INT || v.type == VT_FLOAT;
	case AG_DATE:
		return dt && !dt->has_time;
	case AG_DATETIME: /* DateTime, and ISODateTime after it, take dates and datetimes */
		return dt != NULL;
	case AG_BOOLEAN:
		return v.type == VT_BOOL || (v.type == VT_INT && (v.i == 0 || v.i == 1));
	default:
		return true;
	}
}

/* The value as type t holds it. Numbers stay int or float (agate makes them Decimal). */
static value type_cast(struct arena *a, enum agate_type t, value v)
{
	if (v.type == VT_NONE)
		return v;
	switch (t) {
	case AG_DATETIME: {
		const struct vdatetime *dt = v_as_datetime(v);
		if (dt && !dt->has_time) {
			struct vdatetime d = *dt;
			d.has_time = true;
			return v_datetime(a, &d);
		}
		return v;
	}
	case AG_BOOLEAN:
		return v.type == VT_INT ? v_bool(v.i == 1) : v;
	case AG_TEXT: {
		if (v.type == VT_STR)
			return v;
		struct buf b = BUF_INIT;
		v_to_str(v, &b);
		value s = v_buf(a, &b);
		buf_release(&b);
		return s;
	}
	default:
		return v;
	}
}

/* ---- MappedSequence, Row, Column ---- */

enum seq_kind { SEQ_MAPPED, SEQ_ROW, SEQ_COLUMN };

struct agate_seq {
	enum seq_kind kind;
	value values; /* tuple */
	value keys;   /* tuple of str, or None */
	/* columns only */
	int64_t index;
	value name, data_type;
};

struct agate_table {
	value names;   /* tuple of str */
	value types;   /* tuple of data type objects */
	value rows;    /* MappedSequence of Row */
	value columns; /* MappedSequence of Column */
};

static const struct vclass seq_classes[3];
static const struct vclass table_class;

static struct agate_seq *SEQ(value v) { return v.obj->data; }
static struct agate_table *TABLE(value v) { return v.obj->data; }

static value seq_new(struct arena *a, enum seq_kind kind, value values, value keys)
{
	struct agate_seq *s = arena_zalloc(a, sizeof(*s));
	s->kind = kind;
	s->values = values;
	s->keys = keys;
	return v_obj(a, &seq_classes[kind], s);
}

/* <agate.Row: (1, 'a', ...)>: the repr of the first five values */
static void seq_repr(value self, struct buf *out)
{
	const struct agate_seq *s = SEQ(self);
	const struct vlist *l = s->values.list;
	buf_printf(out, "<agate.%s: (", self.obj->cls->name);
	for (uint32_t i = 0; i < l->n && i < 5; i++) {
		if (i)
			buf_puts(out, ", ");
		v_to_repr(l->v[i], out);
	}
	if (l->n > 5)
		buf_puts(out, ", ...");
	buf_puts(out, ")>");
}

static int64_t seq_len(value self) { return SEQ(self)->values.list->n; }
static bool seq_truthy(value self) { return seq_len(self) != 0; }

static int seq_iter(struct jstate *st, value self, value *out)
{
	(void)st;
	*out = SEQ(self)->values;
	return 0;
}

/* Sequences equal when their values do (agate compares with any sequence). */
static bool seq_equal(value a, value b) { return v_equal(SEQ(a)->values, SEQ(b)->values); }

/* By position (an int, not a bool) or by key; a missing one is Python's IndexError/KeyError,
 * which Jinja turns into undefined. */
static int seq_lookup(value self, value key, value *out)
{
	const struct agate_seq *s = SEQ(self);
	const struct vlist *l = s->values.list;
	if (key.type == VT_INT) {
		int64_t i = key.i < 0 ? key.i + l->n : key.i;
		if (i < 0 || i >= l->n)
			return 0;
		*out = l->v[i];
		return 1;
	}
	if (s->keys.type != VT_LIST)
		return 0;
	/* dict(): a repeated key keeps its last value */
	for (uint32_t i = s->keys.list->n; i-- > 0;)
		if (v_equal(s->keys.list->v[i], key)) {
			*out = l->v[i];
			return 1;
		}
	return 0;
}

static int seq_getitem(struct jstate *st, value self, value key, value *out)
{
	(void)st;
	return seq_lookup(self, key, out);
}

static int seq_dict(struct jstate *st, value self, value *out)
{
	const struct agate_seq *s = SEQ(self);
	if (s->keys.type != VT_LIST)
		return jinja_error(st, "KeyError: this %s has no keys", self.obj->cls->name);
	value d = v_dict(jinja_arena(st), s->keys.list->n);
	for (uint32_t i = 0; i < s->keys.list->n; i++)
		vdict_set(d.dict, s->keys.list->v[i], s->values.list->v[i]);
	*out = d;
	return 0;
}

enum seq_method {
	SM_KEYS,
	SM_VALUES,
	SM_ITEMS,
	SM_GET,
	SM_DICT,
	SM_DISTINCT,
	SM_NONNULL,
	SM_SORTED,
	SM_NONNULL_SORTED,
};

/* Python's sorted() with agate's null_handler: None after everything else. */
static int sort_values(struct jstate *st, value list)
{
	struct vlist *l = list.list;
	for (uint32_t i = 1; i < l->n; i++) { /* insertion sort: stable, columns are short */
		value x = l->v[i];
		uint32_t j = i;
		while (j > 0) {
			value y = l->v[j - 1];
			int c = 0;
			if (x.type == VT_NONE)
				break;
			if (y.type != VT_NONE && v_compare(x, y, &c) < 0)
				return jinja_error(st, "TypeError: '<' not supported between instances of "
				                       "'%s' and '%s'", v_type_name(x), v_type_name(y));
			if (y.type != VT_NONE && c >= 0)
				break;
			l->v[j] = y;
			j--;
		}
		l->v[j] = x;
	}
	return 0;
}

static int seq_method(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	const struct agate_seq *s = SEQ(self);
	struct arena *a = jinja_arena(st);
	const struct vlist *l = s->values.list;
	switch ((enum seq_method)(intptr_t)data) {
	case SM_KEYS:
		*out = s->keys;
		return 0;
	case SM_VALUES:
		*out = s->values;
		return 0;
	case SM_ITEMS: {
		if (s->keys.type != VT_LIST)
			return jinja_error(st, "TypeError: 'NoneType' object is not iterable");
		value t = v_list(a, l->n);
		for (uint32_t i = 0; i < l->n; i++) {
			value kv[2] = { s->keys.list->v[i], l->v[i] };
			vlist_push(t.list, v_tuple(a, 2, kv));
		}
		t.flags = VF_TUPLE;
		*out = t;
		return 0;
	}
	case SM_GET: {
		/* dict()[key], else the default when it is truthy, else None (agate's get) */
		value key = v_none(), dflt = v_none();
		jinja_arg(args, 0, "key", &key);
		jinja_arg(args, 1, "default", &dflt);
		*out = v_truthy(dflt) ? dflt : v_none();
		if (s->keys.type == VT_LIST)
			for (uint32_t i = s->keys.list->n; i-- > 0;)
				if (v_equal(s->keys.list->v[i], key)) {
					*out = l->v[i];
					break;
				}
		return 0;
	}
	case SM_DICT:
		return seq_dict(st, self, out);
	case SM_DISTINCT:
	case SM_NONNULL:
	case SM_SORTED:
	case SM_NONNULL_SORTED: {
		enum seq_method m = (enum seq_method)(intptr_t)data;
		value t = v_list(a, l->n);
		for (uint32_t i = 0; i < l->n; i++) {
			value x = l->v[i];
			if ((m == SM_NONNULL || m == SM_NONNULL_SORTED) && x.type == VT_NONE)
				continue;
			if (m == SM_DISTINCT) {
				bool seen = false;
				for (uint32_t k = 0; k < t.list->n && !seen; k++)
					seen = v_equal(t.list->v[k], x);
				if (seen)
					continue;
			}
			vlist_push(t.list, x);
		}
		if (m == SM_SORTED || m == SM_NONNULL_SORTED) {
			if (sort_values(st, t) < 0)
				return -1;
		} else {
			t.flags = VF_TUPLE;
		}
		*out = t;
		return 0;
	}
	}
	return 0;
}

struct method_row {
	const char *name;
	int id;
};

static const struct method_row seq_methods[] = {
	{ "keys", SM_KEYS }, { "values", SM_VALUES }, { "items", SM_ITEMS },
	{ "get", SM_GET },   { "dict", SM_DICT },
};
static const struct method_row column_methods[] = {
	{ "values_distinct", SM_DISTINCT },
	{ "values_without_nulls", SM_NONNULL },
	{ "values_sorted", SM_SORTED },
	{ "values_without_nulls_sorted", SM_NONNULL_SORTED },
};

static int seq_getattr(struct jstate *st, value self, struct str name, value *out)
{
	const struct agate_seq *s = SEQ(self);
	for (size_t i = 0; i < ARRAY_LEN(seq_methods); i++)
		if (str_eqc(name, seq_methods[i].name)) {
			*out = v_func(jinja_arena(st), seq_methods[i].name, seq_method,
			              (void *)(intptr_t)seq_methods[i].id, self);
			return 1;
		}
	if (s->kind != SEQ_COLUMN)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(column_methods); i++)
		if (str_eqc(name, column_methods[i].name)) {
			*out = v_func(jinja_arena(st), column_methods[i].name, seq_method,
			              (void *)(intptr_t)column_methods[i].id, self);
			return 1;
		}
	if (str_eqc(name, "name"))
		*out = s->name;
	else if (str_eqc(name, "data_type"))
		*out = s->data_type;
	else if (str_eqc(name, "index"))
		*out = v_int(s->index);
	else
		return 0;
	return 1;
}

#define SEQ_CLASS(K, N)                                                                            \
	[K] = { .name = N,                                                                         \
		.getattr = seq_getattr,                                                            \
		.getitem = seq_getitem,                                                            \
		.str = seq_repr,                                                                   \
		.iter = seq_iter,                                                                  \
		.truthy = seq_truthy,                                                              \
		.equal = seq_equal,                                                                \
		.len = seq_len }
static const struct vclass seq_classes[3] = {
	SEQ_CLASS(SEQ_MAPPED, "MappedSequence"),
	SEQ_CLASS(SEQ_ROW, "Row"),
	SEQ_CLASS(SEQ_COLUMN, "Column"),
};

/* ---- building a table ---- */

/* A table of the given names and types over `rows` (a list of tuples already cast). */
static value table_new(struct arena *a, value names, value types, value rows)
{
	uint32_t ncols = names.list->n, nrows = rows.list->n;
	struct agate_table *t = arena_zalloc(a, sizeof(*t));
	t->names = names;
	t->types = types;
	value row_objs = v_list(a, nrows);
	for (uint32_t r = 0; r < nrows; r++)
		vlist_push(row_objs.list, seq_new(a, SEQ_ROW, rows.list->v[r], names));
	row_objs.flags = VF_TUPLE;
	t->rows = seq_new(a, SEQ_MAPPED, row_objs, v_none());
	value col_objs = v_list(a, ncols);
	for (uint32_t c = 0; c < ncols; c++) {
		value vals = v_list(a, nrows);
		for (uint32_t r = 0; r < nrows; r++)
			vlist_push(vals.list, rows.list->v[r].list->v[c]);
		vals.flags = VF_TUPLE;
		value col = seq_new(a, SEQ_COLUMN, vals, v_none());
		SEQ(col)->index = c;
		SEQ(col)->name = names.list->v[c];
		SEQ(col)->data_type = types.list->v[c];
		vlist_push(col_objs.list, col);
	}
	col_objs.flags = VF_TUPLE;
	t->columns = seq_new(a, SEQ_MAPPED, col_objs, names);
	return v_obj(a, &table_class, t);
}

bool dbt_agate_rows(struct arena *a, value v, value *rows)
{
	if (v.type != VT_OBJ || v.obj->cls != &table_class)
		return false;
	const struct agate_table *t = v.obj->data;
	value all = SEQ(t->rows)->values;
	*rows = v_list(a, all.list->n);
	for (uint32_t i = 0; i < all.list->n; i++)
		vlist_push(rows->list, SEQ(all.list->v[i])->values);
	return true;
}

static bool names_contain(const struct vlist *l, uint32_t n, struct str s)
{
	for (uint32_t i = 0; i < n; i++)
		if (str_eq(v_as_str(l->v[i]), s))
			return true;
	return false;
}

value dbt_agate_table(struct arena *a, const struct adapter_table *t)
{
	uint32_t ncols = (uint32_t)t->ncols, nrows = (uint32_t)t->nrows;
	struct buf b = BUF_INIT;
	/* dbt-adapters' process_results: a repeated name gets _2, _3 ... by its own count */
	value cursor_names = v_list(a, ncols);
	for (uint32_t i = 0; i < ncols; i++) {
		struct str name = str_from(t->cols[i].name ? t->cols[i].name : "");
		int count = 1;
		for (uint32_t k = 0; k < i; k++)
			count += str_eq(str_from(t->cols[k].name ? t->cols[k].name : ""), name);
		if (count > 1) {
			buf_reset(&b);
			buf_printf(&b, "%.*s_%d", (int)name.n, name.p, count);
			vlist_push(cursor_names.list, v_buf(a, &b));
		} else {
			vlist_push(cursor_names.list, v_strdup(a, name.p, name.n));
		}
	}
	/* dict(zip(names, row)) then row[name]: a name still repeated reads its last column */
	uint32_t *src = arena_alloc(a, (ncols ? ncols : 1) * sizeof(*src));
	for (uint32_t i = 0; i < ncols; i++) {
		src[i] = i;
		for (uint32_t k = i + 1; k < ncols; k++)
			if (v_equal(cursor_names.list->v[k], cursor_names.list->v[i]))
				src[i] = k;
	}
	/* agate's deduplicate: a blank name becomes a letter, a repeat gets _2, _3 ... */
	value names = v_list(a, ncols);
	for (uint32_t i = 0; i < ncols; i++) {
		struct str name = v_as_str(cursor_names.list->v[i]);
		value base = cursor_names.list->v[i];
		if (!name.n) {
			buf_reset(&b);
			for (uint32_t k = 0; k <= i / 26; k++)
				buf_putc(&b, (char)('a' + i % 26));
			base = v_buf(a, &b);
		}
		value final = base;
		for (int dup = 2; names_contain(names.list, i, v_as_str(final)); dup++) {
			buf_reset(&b);
			buf_printf(&b, "%.*s_%d", (int)base.len, base.s, dup);
			final = v_buf(a, &b);
		}
		vlist_push(names.list, final);
	}
	names.flags = VF_TUPLE;
	buf_release(&b);
	/* raw cells; containers become JSON text, as dbt dumps them */
	value *cells = arena_alloc(a, ((size_t)nrows * ncols + 1) * sizeof(value));
	for (uint32_t r = 0; r < nrows; r++) {
		const struct vlist *row = t->rows.list->v[r].list;
		for (uint32_t c = 0; c < ncols; c++) {
			value v = src[c] < row->n ? row->v[src[c]] : v_none();
			if (v.type == VT_LIST || v.type == VT_DICT) {
				struct buf jb = BUF_INIT;
				struct json_opts o = JSON_OPTS_INIT;
				if (json_write(&jb, v, &o) == 0)
					v = v_buf(a, &jb);
				else
					v_to_str(v, &jb), v = v_buf(a, &jb);
				buf_release(&jb);
			}
			cells[(size_t)r * ncols + c] = v;
		}
	}
	/* types: a column holding any string is Text (keeping '' and 'null'); the others take the
	 * first type that accepts every value, Integer when there are none */
	value types = v_list(a, ncols);
	enum agate_type *ct = arena_alloc(a, (ncols ? ncols : 1) * sizeof(*ct));
	for (uint32_t c = 0; c < ncols; c++) {
		bool text = false, ok[AG_NTYPES];
		for (int k = 0; k < AG_NTYPES; k++)
			ok[k] = true;
		for (uint32_t r = 0; r < nrows; r++) {
			value v = cells[(size_t)r * ncols + c];
			text |= v.type == VT_STR;
			for (int k = 0; k < AG_NTYPES; k++)
				ok[k] = ok[k] && type_accepts((enum agate_type)k, v);
		}
		ct[c] = AG_TEXT;
		for (int k = 0; k < AG_NTYPES && !text; k++)
			if (ok[k]) {
				ct[c] = (enum agate_type)k;
				break;
			}
		vlist_push(types.list, v_obj(a, &type_classes[ct[c]], (void *)&type_info[ct[c]]));
	}
	types.flags = VF_TUPLE;
	value rows = v_list(a, nrows);
	for (uint32_t r = 0; r < nrows; r++) {
		value row = v_list(a, ncols);
		for (uint32_t c = 0; c < ncols; c++)
			vlist_push(row.list, type_cast(a, ct[c], cells[(size_t)r * ncols + c]));
		row.flags = VF_TUPLE;
		vlist_push(rows.list, row);
	}
	return table_new(a, names, types, rows);
}

/* ---- print_table ---- */

static size_t cp_len(struct str s)
{
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++)
		n += ((unsigned char)s.p[i] & 0xC0) != 0x80;
	return n;
}

/* The first n code points of s. */
static struct str cp_prefix(struct str s, size_t n)
{
	size_t i = 0;
	for (; i < s.n; i++)
		if (((unsigned char)s.p[i] & 0xC0) != 0x80 && n-- == 0)
			break;
	return str_make(s.p, i);
}

/* A number as Python's Decimal would hold it: sign, digits without leading zeros, exponent
 * (value = digits * 10^exp). Floats go through their repr, as agate's Number.cast does. */
struct decimal {
	bool neg;
	char digits[400];
	int n, exp;
};

static void to_decimal(value v, struct decimal *d)
{
	memset(d, 0, sizeof(*d));
	char text[40];
	if (v.type == VT_INT) {
		snprintf(text, sizeof(text), "%lld", (long long)v.i);
	} else {
		fmt_double(v.f, text);
	}
	const char *p = text;
	if (*p == '-') {
		d->neg = true;
		p++;
	}
	int frac = 0;
	bool dot = false;
	for (; *p && *p != 'e'; p++) {
		if (*p == '.') {
			dot = true;
			continue;
		}
		if (d->n == 0 && *p == '0') {
			frac += dot;
			continue;
		}
		d->digits[d->n++] = *p;
		frac += dot;
	}
	d->exp = -frac + (*p == 'e' ? atoi(p + 1) : 0);
}

/* Decimal places of v after normalize() (trailing zeros dropped), and its whole places. */
static void decimal_places(const struct decimal *d, int *places, int *whole)
{
	int n = d->n, exp = d->exp;
	while (n > 0 && d->digits[n - 1] == '0') {
		n--;
		exp++;
	}
	if (n == 0)
		exp = 0, n = 1; /* Decimal('0') normalizes to 0E0 with one digit */
	*places = -exp;
	*whole = n + exp;
}

/* babel's format_decimal(v, '#,##0.<places>') in en_US_POSIX: rounded half to even, groups of
 * three, a trailing '…' when agate cut the precision. */
static void format_number(value v, int places, bool ellipsis, struct buf *out)
{
	if (v.type == VT_FLOAT && isnan(v.f)) {
		/* babel keeps the pattern's fraction around NaN: NaN.00 */
		buf_puts(out, "NaN");
		if (places)
			buf_putc(out, '.');
		for (int i = 0; i < places; i++)
			buf_putc(out, '0');
		if (ellipsis)
			buf_puts(out, "\xe2\x80\xa6");
		return;
	}
	struct decimal d;
	to_decimal(v, &d);
	/* digits of the value scaled to `places` decimals: integer part . fraction */
	int shift = d.exp + places; /* digits * 10^shift is the scaled value */
	char scaled[900];
	int sn = 0;
	if (shift >= 0) {
		for (int i = 0; i < d.n; i++)
			scaled[sn++] = d.digits[i];
		for (int i = 0; i < shift && sn < (int)sizeof(scaled) - 1; i++)
			scaled[sn++] = '0';
	} else {
		int keep = d.n + shift; /* digits kept before rounding */
		char first_dropped = keep >= 0 && keep < d.n ? d.digits[keep] : '0';
		bool rest = false;
		for (int i = keep + 1; i < d.n; i++)
			rest |= i >= 0 && d.digits[i] != '0';
		if (keep < 0) {
			first_dropped = '0';
			rest = d.n > 0;
		}
		for (int i = 0; i < keep; i++)
			scaled[sn++] = d.digits[i];
		bool up = first_dropped > '5' || (first_dropped == '5' && rest) ||
		          (first_dropped == '5' && !rest && sn > 0 && (scaled[sn - 1] - '0') % 2 == 1);
		if (up) {
			int i = sn - 1;
			while (i >= 0 && scaled[i] == '9')
				scaled[i--] = '0';
			if (i >= 0) {
				scaled[i]++;
			} else {
				memmove(scaled + 1, scaled, (size_t)sn);
				scaled[0] = '1';
				sn++;
			}
		}
	}
	/* pad so there is at least one integer digit */
	while (sn < places + 1) {
		memmove(scaled + 1, scaled, (size_t)sn);
		scaled[0] = '0';
		sn++;
	}
	/* strip leading zeros of the integer part (keep one) */
	int lead = 0;
	while (lead < sn - places - 1 && scaled[lead] == '0')
		lead++;
	if (d.neg)
		buf_putc(out, '-');
	int intn = sn - places - lead;
	for (int i = 0; i < intn; i++) {
		if (i && (intn - i) % 3 == 0)
			buf_putc(out, ',');
		buf_putc(out, scaled[lead + i]);
	}
	if (places) {
		buf_putc(out, '.');
		buf_append(out, scaled + sn - places, (size_t)places);
	}
	if (ellipsis)
		buf_puts(out, "\xe2\x80\xa6");
}

static void pad(struct buf *out, struct str s, size_t width, bool left)
{
	size_t n = cp_len(s);
	if (!left)
		for (size_t i = n; i < width; i++)
			buf_putc(out, ' ');
	buf_putstr(out, s);
	if (left)
		for (size_t i = n; i < width; i++)
			buf_putc(out, ' ');
}

static void write_row(struct buf *out, const struct str *cells, size_t n, const size_t *widths,
                      const bool *left)
{
	buf_putc(out, '|');
	for (size_t j = 0; j < n; j++) {
		if (j)
			buf_putc(out, '|');
		buf_putc(out, ' ');
		pad(out, cells[j], widths[j], left[j]);
		buf_putc(out, ' ');
	}
	buf_puts(out, "|\n");
}

void dbt_agate_print_table(value table, int64_t max_rows, int64_t max_columns,
                           int64_t max_column_width, int64_t max_precision, struct buf *out)
{
	const struct agate_table *t = TABLE(table);
	const struct vlist *names = t->names.list, *rows = SEQ(t->rows)->values.list;
	int64_t ncols = names->n, nrows = rows->n;
	if (max_rows < 0)
		max_rows = nrows;
	if (max_columns < 0)
		max_columns = ncols;
	bool rows_cut = max_rows < nrows, cols_cut = max_columns < ncols;
	size_t shown = (size_t)(max_columns < ncols ? max_columns : ncols);
	size_t nout = shown + cols_cut; /* printed columns, the "..." one included */
	struct arena a;
	arena_init(&a);
	struct str *head = arena_alloc(&a, (nout + 1) * sizeof(*head));
	size_t *widths = arena_alloc(&a, (nout + 1) * sizeof(*widths));
	bool *left = arena_alloc(&a, (nout + 1) * sizeof(*left));
	struct buf b = BUF_INIT;
	for (size_t j = 0; j < shown; j++) {
		struct str n = v_as_str(names->v[j]);
		if (max_column_width >= 0 && (int64_t)cp_len(n) > max_column_width) {
			buf_reset(&b);
			buf_putstr(&b, cp_prefix(n, max_column_width >= 3 ? (size_t)max_column_width - 3 : 0));
			buf_puts(&b, "...");
			n = str_make(arena_strndup(&a, b.p, b.n), b.n);
		}
		head[j] = n;
	}
	if (cols_cut)
		head[shown] = STR("...");
	for (size_t j = 0; j < nout; j++) {
		widths[j] = cp_len(head[j]);
		/* Text is left-justified; the "..." column takes the type of the column it stands on */
		left[j] = j < (size_t)ncols && type_of(t->types.list->v[j]) == AG_TEXT;
	}
	/* decimal places of each Number column over the rows shown */
	int *places = arena_alloc(&a, (shown + 1) * sizeof(int));
	bool *cut = arena_alloc(&a, (shown + 1) * sizeof(bool));
	for (size_t j = 0; j < shown; j++) {
		places[j] = -1;
		if (type_of(t->types.list->v[j]) != AG_NUMBER)
			continue;
		int maxp = 0, maxw = 1;
		for (int64_t r = 0; r < nrows && r < max_rows; r++) {
			value v = SEQ(rows->v[r])->values.list->v[j];
			if (v.type == VT_NONE || (v.type == VT_FLOAT && !isfinite(v.f)))
				continue;
			struct decimal d;
			int p, w;
			to_decimal(v, &d);
			decimal_places(&d, &p, &w);
			maxw = w > maxw ? w : maxw;
			maxp = p > maxp ? p : maxp;
		}
		if (maxw + maxp > 28)
			maxp = 28 - maxw;
		cut[j] = max_precision >= 0 && maxp > max_precision;
		places[j] = cut[j] ? (int)max_precision : maxp;
	}
	int64_t nshow = nrows < max_rows ? nrows : max_rows;
	struct str *cells = arena_alloc(&a, ((size_t)nshow * nout + 1) * sizeof(*cells));
	for (int64_t r = 0; r < nshow; r++) {
		const struct vlist *row = SEQ(rows->v[r])->values.list;
		for (size_t j = 0; j < nout; j++) {
			buf_reset(&b);
			if (j >= shown) {
				buf_puts(&b, "...");
			} else {
				value v = row->v[j];
				if (v.type == VT_NONE)
					;
				else if (places[j] >= 0 && !(v.type == VT_FLOAT && isinf(v.f)))
					format_number(v, places[j], cut[j], &b);
				else if (v.type == VT_FLOAT && isinf(v.f))
					buf_puts(&b, v.f < 0 ? "-Infinity" : "Infinity");
				else
					v_to_str(v, &b);
			}
			struct str s = buf_str(&b);
			if (max_column_width >= 0 && (int64_t)cp_len(s) > max_column_width) {
				struct str p = cp_prefix(s, max_column_width >= 3 ? (size_t)max_column_width - 3 : 0);
				char *c = arena_alloc(&a, p.n + 4);
				memcpy(c, p.p, p.n);
				memcpy(c + p.n, "...", 4);
				s = str_make(c, p.n + 3);
			} else {
				s = str_make(arena_strndup(&a, s.p, s.n), s.n);
			}
			if (cp_len(s) > widths[j])
				widths[j] = cp_len(s);
			cells[(size_t)r * nout + j] = s;
		}
	}
	buf_release(&b);
	write_row(out, head, nout, widths, left);
	buf_puts(out, "| ");
	for (size_t j = 0; j < nout; j++) {
		if (j)
			buf_puts(out, " | ");
		for (size_t k = 0; k < widths[j]; k++)
			buf_putc(out, '-');
	}
	buf_puts(out, " |\n");
	for (int64_t r = 0; r < nshow; r++)
		write_row(out, cells + (size_t)r * nout, nout, widths, left);
	if (rows_cut) {
		for (size_t j = 0; j < nout; j++)
			head[j] = STR("...");
		write_row(out, head, nout, widths, left);
	}
	arena_release(&a);
}

/* print_structure: a two-column Text table of names and type class names. */
static void print_structure(value table, struct buf *out)
{
	const struct agate_table *t = TABLE(table);
	struct arena a;
	arena_init(&a);
	uint32_t n = t->names.list->n;
	value names = v_list(&a, 2), types = v_list(&a, 2), rows = v_list(&a, n);
	vlist_push(names.list, v_cstr("column"));
	vlist_push(names.list, v_cstr("data_type"));
	for (int k = 0; k < 2; k++)
		vlist_push(types.list, v_obj(&a, &type_classes[AG_TEXT], (void *)&type_info[AG_TEXT]));
	for (uint32_t i = 0; i < n; i++) {
		value cells[2] = { t->names.list->v[i],
			           v_cstr(type_info[type_of(t->types.list->v[i])].name) };
		vlist_push(rows.list, v_tuple(&a, 2, cells));
	}
	dbt_agate_print_table(table_new(&a, names, types, rows), -1, -1, -1, 3, out);
	arena_release(&a);
}

/* ---- Table ---- */

static void table_str(value self, struct buf *out) { print_structure(self, out); }
static void table_repr(value self, struct buf *out)
{
	buf_printf(out, "<agate.table.Table object at %p>", (void *)self.obj);
}
static int64_t table_len(value self) { return seq_len(TABLE(self)->rows); }
static bool table_truthy(value self) { return table_len(self) != 0; }

static int table_iter(struct jstate *st, value self, value *out)
{
	return seq_iter(st, TABLE(self)->rows, out);
}

static int table_getitem(struct jstate *st, value self, value key, value *out)
{
	(void)st;
	return seq_lookup(TABLE(self)->rows, key, out);
}

static void write_stdout(const struct buf *b) { dbt_output_write(1, b->p ? b->p : "", b->n); }

/* An int argument that may be None (-1); *out keeps dflt when not given. */
static int opt_int(struct jstate *st, const struct vargs *args, uint32_t i, const char *name,
                   int64_t *out)
{
	value v;
	if (!jinja_arg(args, i, name, &v))
		return 0;
	if (v.type == VT_NONE) {
		*out = -1;
		return 0;
	}
	if (v.type != VT_INT || v.i < 0)
		return jinja_error(st, "print_table(): %s must be a non-negative integer or None", name);
	*out = v.i;
	return 0;
}

static int table_print(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	struct buf b = BUF_INIT;
	int64_t max_rows = 20, max_columns = 6, max_width = 20, max_precision = 3;
	if (opt_int(st, args, 0, "max_rows", &max_rows) < 0 ||
	    opt_int(st, args, 1, "max_columns", &max_columns) < 0 ||
	    opt_int(st, args, 3, "max_column_width", &max_width) < 0 ||
	    opt_int(st, args, 5, "max_precision", &max_precision) < 0)
		return -1;
	dbt_agate_print_table(self, max_rows, max_columns, max_width, max_precision, &b);
	write_stdout(&b);
	buf_release(&b);
	*out = v_none();
	return 0;
}

static int table_print_structure(struct jstate *st, void *data, value self, const struct vargs *args,
                                 value *out)
{
	(void)st;
	(void)data;
	(void)args;
	struct buf b = BUF_INIT;
	print_structure(self, &b);
	write_stdout(&b);
	buf_release(&b);
	*out = v_none();
	return 0;
}

/* The column indexes a select()/exclude() key names: one name or a sequence of names. */
static int key_columns(struct jstate *st, const struct agate_table *t, value key, bool *chosen,
                       uint32_t *order, uint32_t *norder)
{
	value keys = key;
	if (key.type == VT_STR)
		keys = v_tuple(jinja_arena(st), 1, &key);
	else if (jinja_iterate(st, key, &keys) < 0)
		return -1;
	*norder = 0;
	for (uint32_t i = 0; i < keys.list->n; i++) {
		value k = keys.list->v[i];
		uint32_t c = 0;
		while (c < t->names.list->n && !v_equal(t->names.list->v[c], k))
			c++;
		if (c == t->names.list->n) {
			struct buf r = BUF_INIT;
			v_to_repr(k, &r);
			jinja_error(st, "ValueError: %s is not in tuple", buf_cstr(&r));
			buf_release(&r);
			return -1;
		}
		chosen[c] = true;
		order[(*norder)++] = c;
	}
	return 0;
}

/* A new table with the columns cols[0..n) of t, rows from..to by step. */
static value table_part(struct arena *a, const struct agate_table *t, const uint32_t *cols,
                        uint32_t n, const uint32_t *rowsel, uint32_t nrows)
{
	value names = v_list(a, n), types = v_list(a, n), rows = v_list(a, nrows);
	for (uint32_t j = 0; j < n; j++) {
		vlist_push(names.list, t->names.list->v[cols[j]]);
		vlist_push(types.list, t->types.list->v[cols[j]]);
	}
	names.flags = types.flags = VF_TUPLE;
	const struct vlist *src = SEQ(t->rows)->values.list;
	for (uint32_t r = 0; r < nrows; r++) {
		const struct vlist *row = SEQ(src->v[rowsel[r]])->values.list;
		value nr = v_list(a, n);
		for (uint32_t j = 0; j < n; j++)
			vlist_push(nr.list, row->v[cols[j]]);
		nr.flags = VF_TUPLE;
		vlist_push(rows.list, nr);
	}
	return table_new(a, names, types, rows);
}

enum { TM_SELECT, TM_EXCLUDE, TM_LIMIT };

static int slice_bound(struct jstate *st, value v, int64_t n, int64_t step, bool start, int64_t *out)
{
	if (v.type == VT_NONE) {
		*out = step > 0 ? (start ? 0 : n) : (start ? n - 1 : -1);
		return 0;
	}
	if (v.type != VT_INT)
		return jinja_error(st, "TypeError: slice indices must be integers or None");
	int64_t i = v.i;
	if (i < 0) {
		i += n;
		if (i < 0)
			i = step > 0 ? 0 : -1;
	} else if (i >= n) {
		i = step > 0 ? n : n - 1;
	}
	*out = i;
	return 0;
}

static int table_method(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	const struct agate_table *t = TABLE(self);
	struct arena *a = jinja_arena(st);
	uint32_t ncols = t->names.list->n, nrows = (uint32_t)table_len(self);
	uint32_t *cols = arena_alloc(a, (ncols + 1) * sizeof(*cols));
	uint32_t *rowsel = arena_alloc(a, (nrows + 1) * sizeof(*rowsel));
	uint32_t n = 0, nr = 0;
	int m = (int)(intptr_t)data;
	if (m == TM_SELECT || m == TM_EXCLUDE) {
		value key;
		if (!jinja_arg(args, 0, "key", &key))
			return jinja_error(st, "%s() missing 1 required positional argument: 'key'",
			                   m == TM_SELECT ? "select" : "exclude");
		bool *chosen = arena_zalloc(a, ncols + 1);
		if (key_columns(st, t, key, chosen, cols, &n) < 0)
			return -1;
		if (m == TM_EXCLUDE) {
			n = 0;
			for (uint32_t c = 0; c < ncols; c++)
				if (!chosen[c])
					cols[n++] = c;
		}
		for (uint32_t r = 0; r < nrows; r++)
			rowsel[nr++] = r;
	} else {
		/* limit(start_or_stop=None, stop=None, step=None): rows[slice(...)] */
		value first = v_none(), stop = v_none(), stepv = v_none(), start = v_none();
		jinja_arg(args, 0, "start_or_stop", &first);
		bool two = jinja_arg(args, 1, "stop", &stop);
		jinja_arg(args, 2, "step", &stepv);
		if (two)
			start = first;
		else
			stop = first;
		int64_t step = 1, lo = 0, hi = 0;
		if (stepv.type == VT_INT)
			step = stepv.i;
		else if (stepv.type != VT_NONE)
			return jinja_error(st, "TypeError: slice indices must be integers or None");
		if (step == 0)
			return jinja_error(st, "ValueError: slice step cannot be zero");
		if (slice_bound(st, start, nrows, step, true, &lo) < 0 ||
		    slice_bound(st, stop, nrows, step, false, &hi) < 0)
			return -1;
		for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step)
			rowsel[nr++] = (uint32_t)i;
		for (uint32_t c = 0; c < ncols; c++)
			cols[n++] = c;
	}
	*out = table_part(a, t, cols, n, rowsel, nr);
	return 0;
}

static int table_getattr(struct jstate *st, value self, struct str name, value *out)
{
	const struct agate_table *t = TABLE(self);
	struct arena *a = jinja_arena(st);
	if (str_eqc(name, "rows"))
		*out = t->rows;
	else if (str_eqc(name, "columns"))
		*out = t->columns;
	else if (str_eqc(name, "column_names"))
		*out = t->names;
	else if (str_eqc(name, "column_types"))
		*out = t->types;
	else if (str_eqc(name, "row_names"))
		*out = v_none();
	else if (str_eqc(name, "print_table"))
		*out = v_func(a, "print_table", table_print, NULL, self);
	else if (str_eqc(name, "print_structure"))
		*out = v_func(a, "print_structure", table_print_structure, NULL, self);
	else if (str_eqc(name, "select"))
		*out = v_func(a, "select", table_method, (void *)TM_SELECT, self);
	else if (str_eqc(name, "exclude"))
		*out = v_func(a, "exclude", table_method, (void *)TM_EXCLUDE, self);
	else if (str_eqc(name, "limit"))
		*out = v_func(a, "limit", table_method, (void *)TM_LIMIT, self);
	else
		return 0;
	return 1;
}

static const struct vclass table_class = {
	.name = "Table",
	.getattr = table_getattr,
	.getitem = table_getitem,
	.str = table_str,
	.repr = table_repr,
	.iter = table_iter,
	.truthy = table_truthy,
	.len = table_len,
};

bool dbt_is_agate_table(value v) { return v.type == VT_OBJ && v.obj->cls == &table_class; }
