/* csv_read: Python's csv reader (excel dialect, strict=False) over universal-newline text,
 * then agate's Table construction with dbt's type tester. */
#include <math.h>

#include "csv_int.h"

const char *csv_type_name(enum csv_type t)
{
	static const char *const names[] = {"integer",     "number",  "date", "datetime",
	                                    "isodatetime", "boolean", "text", "forced_text"};
	return (size_t)t < ARRAY_LEN(names) ? names[t] : "?";
}

enum { FIELD_LIMIT = 131072 }; /* csv.field_size_limit() */

/* First invalid byte of a strict UTF-8 decode (as Python's), or len. */
static size_t utf8_invalid(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else
			return i;
		if (i + 1 >= len || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k < n; k++)
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return i;
		i += n;
	}
	return len;
}

/* ---- the tokenizer: CPython Modules/_csv.c parse_process_char, excel dialect ---- */

enum state {
	START_RECORD,
	START_FIELD,
	IN_FIELD,
	IN_QUOTED_FIELD,
	QUOTE_IN_QUOTED_FIELD,
	EAT_CRNL
};
enum { U_EOL = -1, U_NL = -2, U_DELIM = -3, U_QUOTE = -4, U_CHAR = -5 };

struct tok {
	const char *file;
	struct diag *d;
	char *pool; /* field bytes, written in order */
	size_t pn;
	size_t fstart, flen_chars; /* current field: offset in pool, length in characters */
	enum state st;
	int line;
	VEC(struct str) fields; /* of all records */
	VEC(size_t) rec;        /* index of each record's first field; one extra at the end */
	VEC(int) lines;
	bool failed;
	bool quote_delim; /* the delimiter is '"': a delimiter only where Python tests it first */
};

static void save_field(struct tok *t)
{
	vec_push(&t->fields, str_make(t->pool + t->fstart, t->pn - t->fstart));
	t->fstart = t->pn;
	t->flen_chars = 0;
}

static void add_char(struct tok *t, const char *p, size_t n)
{
	if (t->flen_chars >= FIELD_LIMIT) {
		if (!t->failed)
			diag_add(t->d, DIAG_ERROR, t->file, t->line, 0, NULL, 0,
			         "field larger than field limit (%d)", FIELD_LIMIT);
		t->failed = true;
		return;
	}
	memcpy(t->pool + t->pn, p, n);
	t->pn += n;
	t->flen_chars++;
}

/* One unit: kind is U_* ; for U_CHAR/U_DELIM/U_QUOTE/U_NL, p/n are the bytes to store. */
static void process(struct tok *t, int kind, const char *p, size_t n)
{
	bool eol = kind == U_EOL, nl = kind == U_NL;
	switch (t->st) {
	case START_RECORD:
		if (eol)
			break;
		if (nl) {
			t->st = EAT_CRNL;
			break;
		}
		t->st = START_FIELD;
		/* fallthrough */
	case START_FIELD:
		if (nl || eol) {
			save_field(t);
			t->st = eol ? START_RECORD : EAT_CRNL;
		} else if (kind == U_QUOTE) {
			t->st = IN_QUOTED_FIELD;
		} else if (kind == U_DELIM) {
			save_field(t);
		} else {
			add_char(t, p, n);
			t->st = IN_FIELD;
		}
		break;
	case IN_FIELD:
		if (nl || eol) {
			save_field(t);
			t->st = eol ? START_RECORD : EAT_CRNL;
		} else if (kind == U_DELIM || (kind == U_QUOTE && t->quote_delim)) {
			save_field(t);
			t->st = START_FIELD;
		} else {
			add_char(t, p, n);
		}
		break;
	case IN_QUOTED_FIELD:
		if (eol)
			;
		else if (kind == U_QUOTE)
			t->st = QUOTE_IN_QUOTED_FIELD;
		else
			add_char(t, p, n);
		break;
	case QUOTE_IN_QUOTED_FIELD:
		if (kind == U_QUOTE) {
			add_char(t, p, n);
			t->st = IN_QUOTED_FIELD;
		} else if (kind == U_DELIM) {
			save_field(t);
			t->st = START_FIELD;
		} else if (nl || eol) {
			save_field(t);
			t->st = eol ? START_RECORD : EAT_CRNL;
		} else {
			add_char(t, p, n);
			t->st = IN_FIELD;
		}
		break;
	case EAT_CRNL:
		if (eol)
			t->st = START_RECORD;
		break;
	}
}

static void end_record(struct tok *t, int start_line)
{
	vec_push(&t->lines, start_line);
	vec_push(&t->rec, t->fields.n);
}

static void tokenize(struct tok *t, const char *s, size_t len, const char *delim, size_t dlen)
{
	size_t i = 0;
	int rec_line = 1;
	t->line = 1;
	t->st = START_RECORD;
	vec_push(&t->rec, (size_t)0);
	unsigned char d0 = (unsigned char)delim[0];
	t->quote_delim = dlen == 1 && d0 == '"';
	while (i < len && !t->failed) {
		/* one line: its characters, the '\n' (from \n, \r\n or \r), then EOL */
		bool had_nl = false;
		while (i < len && !t->failed) {
			unsigned char c = (unsigned char)s[i];
			if (c == '\n' || c == '\r') {
				i += c == '\r' && i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
				process(t, U_NL, "\n", 1);
				had_nl = true;
				break;
			}
			size_t n = 1;
			if (c >= 0x80) {
				n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
				if (n > len - i)
					n = len - i;
			}
			int kind = U_CHAR;
			if (c == '"')
				kind = U_QUOTE;
			else if (c == d0 && n == dlen && memcmp(s + i, delim, dlen) == 0)
				kind = U_DELIM;
			process(t, kind, s + i, n);
			i += n;
		}
		if (t->failed)
			break;
		process(t, U_EOL, NULL, 0);
		if (had_nl)
			t->line++;
		if (t->st == START_RECORD) {
			end_record(t, rec_line);
			rec_line = t->line;
		}
	}
	if (!t->failed && t->st == IN_QUOTED_FIELD) {
		save_field(t);
		end_record(t, rec_line);
	}
}

/* ---- agate ---- */

static struct str letter_name(struct arena *a, size_t i)
{
	size_t reps = i / 26 + 1;
	char *p = arena_alloc(a, reps + 1);
	memset(p, (int)('a' + i % 26), reps);
	p[reps] = 0;
	return str_make(p, reps);
}

/* agate.utils.deduplicate(column_names=True): blank names become letter names; repeats get
 * _2, _3, ... until unused. */
static void name_columns(struct arena *a, const struct str *hdr, size_t n, struct str *names)
{
	struct map seen;
	map_init(&seen);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		struct str base = hdr[i].n ? hdr[i] : letter_name(a, i);
		struct str fin = base;
		for (int dup = 2; map_has(&seen, fin); dup++) {
			buf_reset(&b);
			buf_putstr(&b, base);
			buf_printf(&b, "_%d", dup);
			fin = str_make(arena_strndup(a, b.p, b.n), b.n);
		}
		names[i] = fin;
		map_set(&seen, fin, NULL);
	}
	buf_release(&b);
	map_release(&seen);
}

enum { T_INTEGER, T_NUMBER, T_DATE, T_DATETIME, T_ISO, T_BOOLEAN, T_TEXT, T_ALL = 0x7f };

/* Removes from *mask the types that reject s; -1 when Number would raise decimal.Overflow. */
static int test_value(struct str s, unsigned *mask)
{
	unsigned m = *mask;
	struct vdatetime dt;
	bool b;
	m &= ~(1u << T_INTEGER); /* dbt's Integer takes only Python ints and None */
	if (m & (1u << T_NUMBER)) {
		enum csv_cast r = csv_cast_number(NULL, s, NULL, NULL, NULL);
		if (r == CAST_OVERFLOW)
			return -1;
		if (r == CAST_FAIL)
			m &= ~(1u << T_NUMBER);
	}
	if ((m & (1u << T_DATE)) && csv_cast_date(s, &dt) == CAST_FAIL)
		m &= ~(1u << T_DATE);
	if ((m & (1u << T_DATETIME)) && csv_cast_datetime(s, &dt) == CAST_FAIL)
		m &= ~(1u << T_DATETIME);
	if ((m & (1u << T_ISO)) && csv_cast_isodatetime(s, &dt) == CAST_FAIL)
		m &= ~(1u << T_ISO);
	if ((m & (1u << T_BOOLEAN)) && csv_cast_boolean(s, &b) == CAST_FAIL)
		m &= ~(1u << T_BOOLEAN);
	*mask = m;
	return 0;
}

int csv_read(struct arena *a, const char *file, const char *text, size_t len,
             const struct csv_opts *o, struct csv_table **out, struct diag *d)
{
	*out = NULL;
	const char *delim = o && o->delimiter ? o->delimiter : ",";
	size_t dlen = strlen(delim);
	if (dlen == 0 || utf8_invalid((const unsigned char *)delim, dlen) != dlen ||
	    v_utf8_decode(delim, dlen, &(uint32_t){0}) != dlen) {
		diag_add(d, DIAG_ERROR, file, 0, 0, NULL, 0,
		         "delimiter '%s' must be a 1-character string", delim);
		return -1;
	}
	size_t bad = utf8_invalid((const unsigned char *)text, len);
	if (bad != len) {
		int line, col;
		text_position(text, bad, &line, &col);
		diag_add(d, DIAG_ERROR, file, line, col, NULL, 0,
		         "'utf-8' codec can't decode byte 0x%02x in position %zu",
		         (unsigned char)text[bad], bad);
		return -1;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3, len -= 3;

	struct tok t = {.file = file, .d = d};
	t.pool = arena_alloc(a, len + 1);
	tokenize(&t, text, len, delim, dlen);
	int rc = -1;
	if (t.failed)
		goto done;
	size_t nrec = t.lines.n;
	if (nrec == 0) {
		diag_add(d, DIAG_ERROR, file, 0, 0, NULL, 0,
		         "the file is empty; a seed needs a header row");
		goto done;
	}
#define REC_N(r) (t.rec.v[(r) + 1] - t.rec.v[r])
#define REC_F(r) (t.fields.v ? &t.fields.v[t.rec.v[r]] : NULL)
	struct csv_table *tb = arena_zalloc(a, sizeof(*tb));
	size_t first = 1; /* first data record */
	if (REC_N(0) > 0) {
		tb->ncols = REC_N(0);
		tb->names = arena_alloc(a, tb->ncols * sizeof(*tb->names) + 1);
		name_columns(a, REC_F(0), tb->ncols, tb->names);
	} else {
		/* agate: no column names -> letter names for the first row, which stays data */
		tb->ncols = nrec > 1 ? REC_N(1) : 0;
		tb->names = arena_alloc(a, tb->ncols * sizeof(*tb->names) + 1);
		for (size_t i = 0; i < tb->ncols; i++)
			tb->names[i] = letter_name(a, i);
	}
	size_t nc = tb->ncols, nr = nrec - first;
	tb->nrows = nr;
	tb->types = arena_zalloc(a, nc * sizeof(*tb->types) + 1);
	tb->places = arena_zalloc(a, nc * sizeof(*tb->places) + 1);
	unsigned *mask = xcalloc(nc + 1, sizeof(*mask));
	for (size_t i = 0; i < nc; i++) {
		mask[i] = T_ALL;
		for (size_t k = 0; o && k < o->n_text_columns; k++)
			if (str_eq(o->text_columns[k], tb->names[i]))
				mask[i] = 0; /* forced */
	}
	/* agate's TypeTester: rows in order, columns in order; a column with one type left stops */
	for (size_t r = first; r < nrec; r++) {
		size_t n = REC_N(r);
		const struct str *f = REC_F(r);
		for (size_t i = 0; i < nc && i < n; i++) {
			if (!mask[i] || (mask[i] & (mask[i] - 1)) == 0)
				continue;
			if (test_value(f[i], &mask[i]) < 0) {
				diag_add(
				    d, DIAG_ERROR, file, t.lines.v[r], 0, NULL, 0,
				    "'%.*s' in column '%.*s' is too large for a decimal number",
				    (int)f[i].n, f[i].p, (int)tb->names[i].n, tb->names[i].p);
				free(mask);
				goto done;
			}
		}
	}
	for (size_t i = 0; i < nc; i++) {
		enum csv_type ty = CSV_FORCED_TEXT;
		if (mask[i])
			ty = (enum csv_type)__builtin_ctz(mask[i]);
		tb->types[i] = ty;
	}
	free(mask);
	/* agate's Table: no row may be longer than the header */
	for (size_t r = first; r < nrec; r++) {
		if (REC_N(r) > nc) {
			diag_add(d, DIAG_ERROR, file, t.lines.v[r], 0, NULL, 0,
			         "row has %zu values but the header has %zu", REC_N(r), nc);
			goto done;
		}
	}
	tb->cells = arena_alloc(a, nr * nc * sizeof(value) + 1);
	tb->decimals = arena_zalloc(a, nr * nc * sizeof(struct str) + 1);
	tb->lines = arena_alloc(a, nr * sizeof(int) + 1);
	int *maxwhole = xcalloc(nc + 1, sizeof(int)), *maxfrac = xcalloc(nc + 1, sizeof(int));
	for (size_t i = 0; i < nc; i++)
		maxwhole[i] = 1;
	for (size_t r = first; r < nrec; r++) {
		size_t n = REC_N(r), row = r - first;
		const struct str *f = REC_F(r);
		tb->lines[row] = t.lines.v[r];
		for (size_t i = 0; i < nc; i++) {
			value *cell = &tb->cells[row * nc + i];
			*cell = v_none();
			if (i >= n)
				continue;
			struct str s = f[i];
			struct vdatetime dt;
			bool b;
			struct csv_number info;
			switch (tb->types[i]) {
			case CSV_INTEGER:
				break;
			case CSV_NUMBER:
				if (csv_cast_number(a, s, &tb->decimals[row * nc + i], cell,
				                    &info) == CAST_OK &&
				    !info.special && !(cell->type == VT_FLOAT && isinf(cell->f))) {
					/* math.isinf(float(value)) skips numbers beyond a double
					 * too */
					if (info.whole > maxwhole[i])
						maxwhole[i] = info.whole;
					if (info.frac > maxfrac[i])
						maxfrac[i] = info.frac;
				}
				break;
			case CSV_DATE:
			case CSV_DATETIME:
			case CSV_ISODATETIME: {
				enum csv_cast c = tb->types[i] == CSV_DATE ? csv_cast_date(s, &dt)
				                  : tb->types[i] == CSV_DATETIME
				                      ? csv_cast_datetime(s, &dt)
				                      : csv_cast_isodatetime(s, &dt);
				if (c != CAST_OK)
					break;
				if (dt.has_tz &&
				    (dt.utcoffset <= -24 * 60 || dt.utcoffset >= 24 * 60)) {
					diag_add(
					    d, DIAG_ERROR, file, tb->lines[row], 0, NULL, 0,
					    "'%.*s' in column '%.*s' has a time zone offset of 24 "
					    "hours or more",
					    (int)s.n, s.p, (int)tb->names[i].n, tb->names[i].p);
					free(maxwhole);
					free(maxfrac);
					goto done;
				}
				*cell = v_datetime(a, &dt);
				break;
			}
			case CSV_BOOLEAN:
				if (csv_cast_boolean(s, &b) == CAST_OK)
					*cell = v_bool(b);
				break;
			case CSV_TEXT:
			case CSV_FORCED_TEXT:
				if (!csv_is_null(s))
					*cell = v_str(s.p, s.n);
				break;
			}
		}
	}
	for (size_t i = 0; i < nc; i++) {
		if (tb->types[i] != CSV_NUMBER)
			continue;
		/* utils.max_precision: the digits may not exceed the context precision (28) */
		long w = maxwhole[i], f = maxfrac[i];
		if (w + f > 28)
			f = 28 - w;
		tb->places[i] = f < INT32_MIN ? INT32_MIN : (int)f;
	}
	free(maxwhole);
	free(maxfrac);
	*out = tb;
	rc = 0;
done:
	vec_free(&t.fields);
	vec_free(&t.rec);
	vec_free(&t.lines);
	return rc;
}
