/* libFuzzer target for csv/: read any bytes as a seed with a few delimiters and column_types;
 * a success must give a consistent table (cells of the inferred types, a decimal text for every
 * Number cell, rows in line order), a failure exactly one message. */
#include "csv/csv.h"
#include "value/datetime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const struct csv_table *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		if (r && t->lines[r] <= t->lines[r - 1])
			silt_abort("row lines out of order");
		for (size_t i = 0; i < t->ncols; i++) {
			value v = t->cells[r * t->ncols + i];
			struct str dec = t->decimals[r * t->ncols + i];
			if (v.type == VT_NONE)
				continue;
			bool ok = false;
			switch (t->types[i]) {
			case CSV_INTEGER:
				break;
			case CSV_NUMBER:
				ok = (v.type == VT_INT || v.type == VT_FLOAT) && dec.n > 0;
				break;
			case CSV_DATE:
			case CSV_DATETIME:
			case CSV_ISODATETIME:
				ok =
				    v_as_datetime(v) && datetime_check(v_as_datetime(v), NULL) == 0;
				break;
			case CSV_BOOLEAN:
				ok = v.type == VT_BOOL;
				break;
			case CSV_TEXT:
			case CSV_FORCED_TEXT:
				ok = v.type == VT_STR;
				break;
			}
			if (!ok)
				silt_abort("a cell does not match its column type");
		}
	}
	for (size_t i = 0; i < t->ncols; i++)
		if (t->names[i].n == 0)
			silt_abort("an empty column name");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const delims[] = {",", ";", "\t", "|", "\"", "\xc2\xa7"};
	struct str forced[] = {STR("a"), STR("b_2")};
	/* the first byte picks the options */
	unsigned sel = size ? data[0] : 0;
	struct csv_opts o = {.delimiter = delims[sel % ARRAY_LEN(delims)]};
	if (sel & 0x80) {
		o.text_columns = forced;
		o.n_text_columns = ARRAY_LEN(forced);
	}
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	struct csv_table *t;
	const char *text = size ? (const char *)data + 1 : "";
	if (csv_read(&a, "fuzz.csv", text, size ? size - 1 : 0, &o, &t, &d) == 0) {
		if (d.msgs.n)
			silt_abort("csv_read succeeded with a message");
		check_table(t);
	} else if (d.msgs.n != 1) {
		silt_abort("csv_read failed without exactly one message");
	}
	diag_release(&d);
	arena_release(&a);
	return 0;
}
