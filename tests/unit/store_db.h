/* The store the unit tests of store/ open: a SQLite file in the test's folder, or, when the
 * binary runs with SILT_TEST_STORE=postgres (tests/run.sh's second pass), a fresh database on
 * the PostgreSQL test server (SILT_PG_HOST/PORT/USER/PASSWORD/DATABASE), dropped at exit. */
#ifndef SILT_TEST_STORE_DB_H
#define SILT_TEST_STORE_DB_H

#include <stdbool.h>

/* Whether the stores are PostgreSQL ones. */
bool test_store_pg(void);
/* Whether the PostgreSQL server answers (always true on SQLite). */
bool test_store_available(void);
/* A new store's locator (malloc'd): dir/name, or the URL of a new database named after name. */
char *test_store_loc(const char *dir, const char *name);
/* The first column of the first row of sql (-999 when none or on error), and a statement run,
 * through a connection of the test's own; 0 or -1. */
long long test_raw_int(const char *loc, const char *sql);
int test_raw_exec(const char *loc, const char *sql);
/* Holds the store's write lock from a connection of the test's own (PostgreSQL: the advisory
 * lock of store/db.c; SQLite: BEGIN IMMEDIATE) until test_store_unlock. */
bool test_store_lock(const char *loc);
void test_store_unlock(void);
/* Drops the databases made (main, at the end). */
void test_store_drop_all(void);

#endif
