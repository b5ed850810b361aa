/* store_db.h: the unit tests' stores on SQLite or PostgreSQL. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include "base/base.h"
#include "store_db.h"

static VEC(char *) made;
static int seq;
static sqlite3 *lite_holder;
static PGconn *pg_holder;

bool test_store_pg(void)
{
	const char *v = getenv("SILT_TEST_STORE");
	return v && !strcmp(v, "postgres");
}

static PGconn *connect_db(const char *db)
{
	const char *port = getenv("SILT_PG_PORT"), *user = getenv("SILT_PG_USER"),
	           *pw = getenv("SILT_PG_PASSWORD");
	const char *keys[] = { "host", "port", "user", "password", "dbname", "connect_timeout", NULL };
	const char *vals[] = { getenv("SILT_PG_HOST"), port ? port : "5432", user ? user : "",
		               pw ? pw : "", db, "5", NULL };
	if (!vals[0])
		return NULL;
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	if (c && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static const char *admin_db(void)
{
	const char *db = getenv("SILT_PG_DATABASE");
	return db && *db ? db : "postgres";
}

bool test_store_available(void)
{
	if (!test_store_pg())
		return true;
	PGconn *c = connect_db(admin_db());
	if (c)
		PQfinish(c);
	return c != NULL;
}

static bool pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	bool ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	if (!ok) { /* a TAP comment, every line of it */
		printf("# %s: ", sql);
		for (const char *m = PQerrorMessage(c); *m; m++)
			printf(*m == '\n' && m[1] ? "\n#   " : "%c", *m);
	}
	PQclear(r);
	return ok;
}

char *test_store_loc(const char *dir, const char *name)
{
	struct buf b = BUF_INIT;
	if (!test_store_pg()) {
		buf_printf(&b, "%s/%s", dir, name);
		return buf_detach(&b, NULL);
	}
	char db[64];
	int n = snprintf(db, sizeof(db), "silt_unit_%d_%d_", (int)getpid(), ++seq);
	for (const char *p = name; *p && n < (int)sizeof(db) - 1; p++)
		db[n++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_');
	db[n] = 0;
	PGconn *c = connect_db(admin_db());
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	if (c && pg_exec(c, sql))
		vec_push(&made, xstrdup(db));
	if (c)
		PQfinish(c);
	const char *port = getenv("SILT_PG_PORT");
	buf_printf(&b, "postgres://%s:%s@%s:%s/%s", getenv("SILT_PG_USER"), getenv("SILT_PG_PASSWORD"),
	           getenv("SILT_PG_HOST"), port ? port : "5432", db);
	return buf_detach(&b, NULL);
}

static PGconn *connect_loc(const char *loc)
{
	const char *keys[] = { "dbname", NULL };
	const char *vals[] = { loc, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (c && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static bool is_url(const char *loc) { return strstr(loc, "://") != NULL; }

long long test_raw_int(const char *loc, const char *sql)
{
	long long r = -999;
	if (is_url(loc)) {
		PGconn *c = connect_loc(loc);
		PGresult *res = c ? PQexec(c, sql) : NULL;
		if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
		    !PQgetisnull(res, 0, 0)) {
			const char *v = PQgetvalue(res, 0, 0);
			r = !strcmp(v, "t") ? 1 : !strcmp(v, "f") ? 0 : strtoll(v, NULL, 10);
		} else if (c && (!res || PQresultStatus(res) != PGRES_TUPLES_OK)) {
			printf("# %s: %s", sql, PQerrorMessage(c));
		}
		PQclear(res);
		if (c)
			PQfinish(c);
		return r;
	}
	sqlite3 *db;
	if (sqlite3_open(loc, &db) == SQLITE_OK) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			r = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return r;
}

int test_raw_exec(const char *loc, const char *sql)
{
	if (is_url(loc)) {
		PGconn *c = connect_loc(loc);
		bool ok = c && pg_exec(c, sql);
		if (c)
			PQfinish(c);
		return ok ? 0 : -1;
	}
	sqlite3 *db;
	int rc = sqlite3_open(loc, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

bool test_store_lock(const char *loc)
{
	if (is_url(loc)) {
		pg_holder = connect_loc(loc);
		return pg_holder && pg_exec(pg_holder, "SELECT pg_advisory_lock(1936288884)");
	}
	sqlite3_open(loc, &lite_holder);
	return sqlite3_exec(lite_holder, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
}

void test_store_unlock(void)
{
	if (pg_holder)
		PQfinish(pg_holder);
	pg_holder = NULL;
	if (lite_holder) {
		sqlite3_exec(lite_holder, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(lite_holder);
	}
	lite_holder = NULL;
}

void test_store_drop_all(void)
{
	if (!made.n)
		return;
	PGconn *c = connect_db(admin_db());
	for (size_t i = 0; c && i < made.n; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", made.v[i]);
		/* an autovacuum worker that just started on it cannot be ended by us: wait for it */
		for (int k = 0; k < 20; k++) {
			PGresult *r = PQexec(c, sql);
			bool done = r && PQresultStatus(r) == PGRES_COMMAND_OK;
			PQclear(r);
			if (done)
				break;
			usleep(100 * 1000);
		}
	}
	if (c)
		PQfinish(c);
	for (size_t i = 0; i < made.n; i++)
		free(made.v[i]);
	vec_free(&made);
}
