/* adapter: what the backends (sqlite.c, postgres.c) share with adapter.c. */
#ifndef SILT_ADAPTER_INT_H
#define SILT_ADAPTER_INT_H

#include "adapter.h"

/* One row per backend in adapter.c's table. */
struct adapter *sqlite_adapter_new(value target, const char *project_dir, struct diag *d);
struct adapter *postgres_adapter_new(value target, const char *project_dir, struct diag *d);

/* Sets the fields every backend has from the target dict (database, schema, threads, quoting)
 * and creates the cache. `default_database` is used when the target names none. */
void adapter_base_init(struct adapter *ad, const struct adapter_ops *ops, value target,
                       const char *default_database);
void adapter_base_release(struct adapter *ad);

/* Target fields: a malloc'd copy of a string (NULL when absent or not a string), an int (dflt
 * when absent or not a number). */
char *target_strdup(value target, const char *key);
bool target_has(value target, const char *key);
int64_t target_int(value target, const char *key, int64_t dflt);

/* The database a relation lives in, with NULL/"" and the alias resolved to ad->database. */
const char *adapter_dbname(const struct adapter *ad, const char *db);
const char *adapter_schemaname(const struct adapter *ad, const char *schema);

/* An error from the database: one DIAG_ERROR with its message. */
void adapter_error(struct diag *d, const char *fmt, ...) SILT_PRINTF(2, 3);

#endif
