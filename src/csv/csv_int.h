/* csv internals: agate's casts (types.c) used by the table builder (read.c). */
#ifndef SILT_CSV_INT_H
#define SILT_CSV_INT_H

#include "csv.h"
#include "../value/datetime.h"

/* A cast's outcome: the value is NULL, the value casts, it does not, or (Number only) Python
 * would raise decimal.Overflow, which dbt does not catch. */
enum csv_cast { CAST_NULL, CAST_OK, CAST_FAIL, CAST_OVERFLOW };

/* Python str.strip() (Unicode whitespace) on UTF-8 text. */
struct str csv_pystrip(struct str s);
/* s.strip().lower() in ('null', '') */
bool csv_is_null(struct str s);

/* agate Number as dbt subclasses it. On CAST_OK, text gets str(Decimal) (allocated in a when
 * a != NULL) and info the value's share of MaxPrecision. */
struct csv_number {
	bool special;    /* NaN or infinity */
	int whole, frac; /* utils.max_precision's whole and decimal places of this value */
};
enum csv_cast csv_cast_number(struct arena *a, struct str s, struct str *text, value *v,
                              struct csv_number *info);
enum csv_cast csv_cast_date(struct str s, struct vdatetime *dt);
enum csv_cast csv_cast_datetime(struct str s, struct vdatetime *dt);
enum csv_cast csv_cast_isodatetime(struct str s, struct vdatetime *dt);
enum csv_cast csv_cast_boolean(struct str s, bool *b);

#endif
