/* run/seed: loading a CSV seed into the warehouse as dbt seed does. The file is read as dbt reads
 * it (csv/: Python's csv + agate's type inference), `column_types` override the inferred types,
 * and the table is built beside the old one as <alias>__dbt_tmp. When the old table has the same
 * columns and types and no full refresh is asked for, its rows are replaced in one transaction
 * (as dbt truncates and reloads; views over it stay, and a reader of such a view never meets a
 * dropped relation); otherwise the new table is swapped in. Either way a reader never sees a
 * half-loaded table and a failure leaves the old one. */
#ifndef SILT_RUN_SEED_H
#define SILT_RUN_SEED_H

#include "adapter/adapter.h"
#include "parse/parse.h"

struct seed_ctx {
	struct project *p;
	struct parse_result *r; /* packages: where a package's seed files are */
	struct adapter *ad;
};

/* Loads seed g on connection c (full: rebuild rather than reload the rows): 0 with the status text ("INSERT 10") in st and the row count in
 * *rows, or -1 with the error on d (the old table untouched). */
int seed_load(const struct seed_ctx *s, struct adapter_conn *c, const struct gnode *g, bool full,
              struct buf *st, int64_t *rows, struct diag *d);

#endif
