/* csv: reads a dbt seed file exactly as dbt does (dbt_common.clients.agate_helper.from_csv).
 *
 * The pipeline is Python's: the bytes are decoded as strict UTF-8, one leading BOM is dropped,
 * universal newlines turn "\r\n" and "\r" into "\n" (dbt opens the file in text mode), Python's
 * csv reader (excel dialect, non-strict, the seed's `delimiter`) splits records, agate names the
 * columns (blank names become letters a, b, ...; duplicates get _2, _3, ...), and dbt's type
 * tester infers one type per column: the first of Integer, Number, Date, DateTime, ISODateTime,
 * Boolean, Text that accepts every value present in the column. Columns named in `column_types`
 * are Text and cast by the database. '' and 'null' (any case, surrounding whitespace) are NULL.
 * See docs/internals/csv.md.
 *
 * Ownership: everything the table holds (names, strings, decimal texts, date objects) lives in
 * the arena given to csv_read; the input text is copied, the caller may free it. */
#ifndef SILT_CSV_H
#define SILT_CSV_H

#include "../base/base.h"
#include "../value/value.h"

enum csv_type {
	CSV_INTEGER,  /* no value at all in the column (no rows, or all rows too short): SQL integer
	               */
	CSV_NUMBER,   /* agate Number (a Python Decimal): see csv_table.places */
	CSV_DATE,     /* %Y-%m-%d */
	CSV_DATETIME, /* %Y-%m-%d %H:%M:%S, naive */
	CSV_ISODATETIME, /* isodate.parse_datetime: naive or aware */
	CSV_BOOLEAN,     /* true / false, any case */
	CSV_TEXT,        /* anything else */
	CSV_FORCED_TEXT, /* named in column_types: kept as text, the database casts it */
};
const char *csv_type_name(enum csv_type t); /* "integer", "number", ..., "forced_text" */

struct csv_opts {
	const char *delimiter;          /* UTF-8, exactly one character; NULL = "," */
	const struct str *text_columns; /* keys of the seed's column_types config */
	size_t n_text_columns;
};

struct csv_table {
	size_t ncols, nrows;
	struct str *names;    /* [ncols], after agate's renaming */
	enum csv_type *types; /* [ncols] */
	/* [ncols] agate's MaxPrecision of a Number column (dbt: 0 means SQL integer, anything else
	 * float; it can be negative for huge values); 0 for the other types */
	int *places;
	/* [nrows * ncols], row-major. NULL is VT_NONE. Number: VT_INT when the decimal is integral
	 * and fits in int64, else VT_FLOAT (NaN and infinities too); Date/DateTime/ISODateTime:
	 * value/datetime objects; Boolean: VT_BOOL; text: VT_STR. */
	value *cells;
	/* [nrows * ncols]: for Number cells the exact decimal as Python's str(Decimal) prints it
	 * ("3.20", "1E+5", "-0", "NaN") -- insert this text to keep the precision; else {NULL, 0}
	 */
	struct str *decimals;
	int *lines; /* [nrows] line of the file where each row starts (1-based) */
};

/* Reads `text` (the seed file's bytes) as dbt would. Returns 0 and sets *out, or returns -1 with
 * one error in d when dbt would fail: invalid UTF-8, an empty file, a field over Python's
 * 131072-character limit, a row with more values than the header
 * ("seeds/x.csv:7: row has 3 values but the header has 2"), a number too large for a Python
 * Decimal, a time zone offset of 24 hours or more, or a bad delimiter. */
int csv_read(struct arena *a, const char *file, const char *text, size_t len,
             const struct csv_opts *o, struct csv_table **out, struct diag *d);

#endif
