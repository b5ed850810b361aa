/* Opening the store, its embedded migrations, transactions and the statement helpers. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/embed.h"
#include "store_int.h"

#define MIGRATIONS_DIR "store/migrations/"
#define PG_MIGRATIONS_DIR "store/migrations-pg/"
#define DEFAULT_BUSY_MS 5000

/* ---- locating ---- */
static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int store_locate(const char *explicit_path, const char *project_dir, struct buf *out,
                 struct diag *d)
{
	buf_reset(out);
	const char *env = getenv("SILT_STORE");
	const char *p = explicit_path && *explicit_path ? explicit_path : env && *env ? env : NULL;
	if (p) {
		if (strstr(p, "://") && !store_is_pg_url(p)) {
			char *shown = store_pg_display(p);
			serr(d, "store '%s': a store is a SQLite file path or a postgres:// (postgresql://) "
			        "URL",
			     shown);
			free(shown);
			return -1;
		}
		buf_puts(out, p);
		return 0;
	}
	const char *dir = project_dir && *project_dir ? project_dir : getenv("DBT_PROJECT_DIR");
	if (dir && *dir) {
		buf_printf(out, "%s/.silt/silt.db", dir);
		return 0;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		serr(d, "cannot read the current directory: %s", strerror(errno));
		return -1;
	}
	struct buf probe = BUF_INIT;
	for (size_t n = strlen(cwd); n > 0;) {
		buf_reset(&probe);
		buf_printf(&probe, "%.*s/dbt_project.yml", (int)n, cwd);
		if (is_file(probe.p)) {
			buf_printf(out, "%.*s/.silt/silt.db", (int)n, cwd);
			buf_release(&probe);
			return 0;
		}
		while (n > 0 && cwd[n - 1] != '/')
			n--;
		if (n > 0)
			n--; /* drop the slash; "/" itself ends the walk */
	}
	buf_release(&probe);
	serr(d, "no dbt_project.yml in %s or a parent folder, so no store beside a project: run "
	        "inside a project, or give --project-dir DIR or --store PATH (or set SILT_STORE)",
	     cwd);
	return -1;
}

void store_time(double seconds, char out[40])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double t = (double)ts.tv_sec + ts.tv_nsec / 1e9 + seconds;
	time_t sec = (time_t)t;
	long ms = (long)((t - (double)sec) * 1000);
	if (ms < 0)
		ms = 0;
	if (ms > 999)
		ms = 999;
	struct tm tm;
	gmtime_r(&sec, &tm);
	char day[24];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%03ldZ", day, ms);
}

const char *store_now(struct arena *a)
{
	static char buf[40];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char day[24];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, sizeof(buf), "%s.%03ldZ", day, ts.tv_nsec / 1000000);
	return a ? arena_strndup(a, buf, strlen(buf)) : buf;
}

/* ---- transactions ---- */
static int exec_sql(struct store *s, struct diag *d, const char *sql, const char *what)
{
	if (s->kind == STORE_PG) {
		if (store_pg_exec(s, sql) < 0) {
			st_error(s, d, what);
			return -1;
		}
		return 0;
	}
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		s->err = sqlite3_extended_errcode(s->db);
		if (!s->err)
			s->err = rc;
		st_error(s, d, what);
		return -1;
	}
	return 0;
}

/* BEGIN IMMEDIATE on SQLite takes the store's write lock before anything is read; PostgreSQL gets
 * the same (one writer at a time, what a write checks stays true until it commits) from a
 * transaction-scoped advisory lock, waited for up to the busy timeout (lock_timeout). */
#define PG_BEGIN "BEGIN; SELECT pg_advisory_xact_lock(1936288884)" /* "silt" */

/* The savepoints of the first levels are prepared once: a write inside an ingestion (thousands
 * of them) would otherwise parse its SAVEPOINT and RELEASE every time. */
static const char *const savepoint_sql[] = { "SAVEPOINT silt_1", "SAVEPOINT silt_2",
	                                     "SAVEPOINT silt_3", "SAVEPOINT silt_4" };
static const char *const release_sql[] = { "RELEASE silt_1", "RELEASE silt_2", "RELEASE silt_3",
	                                   "RELEASE silt_4" };

int store_begin(struct store *s, struct diag *d)
{
	char sql[80];
	if (s->depth >= 1 && s->depth <= (int)ARRAY_LEN(savepoint_sql)) {
		if (st_run_cached(s, d, st_cached(s, d, savepoint_sql[s->depth - 1], NULL)) < 0)
			return -1;
		s->depth++;
		return 0;
	}
	if (s->depth == 0)
		snprintf(sql, sizeof(sql), "%s", s->kind == STORE_PG ? PG_BEGIN : "BEGIN IMMEDIATE");
	else
		snprintf(sql, sizeof(sql), "SAVEPOINT silt_%d", s->depth);
	if (exec_sql(s, d, sql, "beginning a transaction") < 0) {
		/* PostgreSQL: BEGIN ran and the lock did not come: end that transaction */
		if (s->depth == 0 && s->kind == STORE_PG && store_pg_in_transaction(s))
			(void)store_pg_exec(s, "ROLLBACK");
		return -1;
	}
	s->depth++;
	return 0;
}

int store_commit(struct store *s, struct diag *d)
{
	if (s->depth <= 0)
		silt_abort("store_commit without store_begin");
	char sql[40];
	int rc;
	if (s->depth >= 2 && s->depth - 1 <= (int)ARRAY_LEN(release_sql)) {
		rc = st_run_cached(s, d, st_cached(s, d, release_sql[s->depth - 2], NULL));
	} else {
		if (s->depth == 1)
			snprintf(sql, sizeof(sql), "COMMIT");
		else
			snprintf(sql, sizeof(sql), "RELEASE silt_%d", s->depth - 1);
		rc = exec_sql(s, d, sql, "committing");
	}
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	s->depth--;
	return 0;
}

void store_rollback(struct store *s)
{
	if (s->depth <= 0)
		silt_abort("store_rollback without store_begin");
	s->depth--;
	char sql[80];
	if (s->depth == 0)
		snprintf(sql, sizeof(sql), "ROLLBACK");
	else
		snprintf(sql, sizeof(sql), "ROLLBACK TO silt_%d; RELEASE silt_%d", s->depth, s->depth);
	/* a failed statement may already have ended the transaction: nothing to undo then */
	if (s->kind == STORE_PG) {
		if (s->depth > 0 || store_pg_in_transaction(s))
			(void)store_pg_exec(s, sql);
	} else if (s->depth > 0 || !sqlite3_get_autocommit(s->db)) {
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	}
}

/* ---- migrations ---- */
struct migration {
	int version;
	const char *name; /* the file's path below src/ */
	const char *sql;
};

static int cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

/* The embedded migrations of a kind of store (SQLite's in migrations/, PostgreSQL's in
 * migrations-pg/, the same numbers and names) sorted by number; aborts when they are not 1, 2, …
 * (a build bug). */
static size_t migrations(enum store_kind kind, struct migration *out, size_t cap)
{
	const char *dir = kind == STORE_PG ? PG_MIGRATIONS_DIR : MIGRATIONS_DIR;
	size_t n = 0, plen = strlen(dir);
	for (size_t i = 0; i < embedded_nfiles; i++) {
		const struct embedded_file *f = &embedded_files[i];
		if (strncmp(f->path, dir, plen))
			continue;
		const char *base = f->path + plen;
		char *end;
		long v = strtol(base, &end, 10);
		if (end == base || *end != '_' || v <= 0 || n == cap)
			silt_abort("badly named or too many store migrations");
		out[n++] = (struct migration){ (int)v, f->path, f->data };
	}
	qsort(out, n, sizeof(*out), cmp_migration);
	for (size_t i = 0; i < n; i++)
		if (out[i].version != (int)i + 1)
			silt_abort("store migrations are not numbered 1, 2, 3, ...");
	return n;
}

int store_known_version(void)
{
	struct migration m[256], p[256];
	size_t n = migrations(STORE_SQLITE, m, ARRAY_LEN(m));
	size_t np = migrations(STORE_PG, p, ARRAY_LEN(p));
	if (np != n)
		silt_abort("the SQLite and PostgreSQL store migrations differ in number");
	for (size_t i = 0; i < n; i++)
		if (strcmp(strrchr(m[i].name, '/'), strrchr(p[i].name, '/')))
			silt_abort("the SQLite and PostgreSQL store migrations differ in name");
	return (int)n;
}

int store_schema_version(struct store *s, struct diag *d)
{
	struct st *st = st_prep(s, d,
	                        s->kind == STORE_PG
	                            ? "SELECT count(*) FROM information_schema.tables WHERE "
	                              "table_schema = current_schema() AND table_name = "
	                              "'schema_migrations'"
	                            : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	                              "name = 'schema_migrations'",
	                        NULL);
	if (!st)
		return -1;
	int rc = st_row(s, d, st);
	if (rc < 0)
		return -1;
	int have = rc == 1 && st_int(st, 0) > 0;
	if (rc == 1)
		st_free(st);
	if (!have)
		return 0;
	st = st_prep(s, d, "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL);
	if (!st || (rc = st_row(s, d, st)) < 0)
		return -1;
	int v = rc == 1 ? (int)st_int(st, 0) : 0;
	if (rc == 1)
		st_free(st);
	return v;
}

static int check_not_newer(struct store *s, int have, int known, struct diag *d)
{
	if (have <= known)
		return 0;
	serr(d, "%s was written by a newer silt: the store's schema is at version %d and this silt "
	        "knows versions up to %d; use a newer silt (the store was left as it is)",
	     s->path, have, known);
	return -1;
}

int store_migrate(struct store *s, struct diag *d)
{
	struct migration m[256];
	size_t n = migrations(s->kind, m, ARRAY_LEN(m));
	int have = store_schema_version(s, d);
	if (have < 0 || check_not_newer(s, have, (int)n, d) < 0)
		return -1;
	for (size_t i = (size_t)have; i < n; i++) {
		if (store_begin(s, d) < 0)
			return -1;
		/* another process may have migrated since we looked */
		int now = store_schema_version(s, d);
		if (now < 0 || check_not_newer(s, now, (int)n, d) < 0) {
			store_rollback(s);
			return -1;
		}
		if (now > m[i].version - 1) {
			if (store_commit(s, d) < 0)
				return -1;
			i = (size_t)now - 1;
			continue;
		}
		int rc = exec_sql(s, d,
		                  s->kind == STORE_PG ? "CREATE TABLE IF NOT EXISTS schema_migrations ("
		                                        "version INTEGER PRIMARY KEY, name TEXT NOT "
		                                        "NULL, applied_at TEXT NOT NULL)"
		                                      : "CREATE TABLE IF NOT EXISTS schema_migrations ("
		                                        "version INTEGER PRIMARY KEY, name TEXT NOT "
		                                        "NULL, applied_at TEXT NOT NULL) STRICT",
		                  "creating schema_migrations");
		if (rc == 0 && s->kind == STORE_PG) {
			if (store_pg_exec(s, m[i].sql) < 0) {
				serr(d, "%s: migration %s failed: %s", s->path, m[i].name, s->errmsg);
				rc = -1;
			}
		} else if (rc == 0) {
			char *err = NULL;
			if (sqlite3_exec(s->db, m[i].sql, NULL, NULL, &err) != SQLITE_OK) {
				serr(d, "%s: migration %s failed: %s", s->path, m[i].name,
				     err ? err : sqlite3_errmsg(s->db));
				rc = -1;
			}
			sqlite3_free(err);
		}
		/* recorded under the same name on both kinds of store */
		char name[256];
		snprintf(name, sizeof(name), "%s%s", MIGRATIONS_DIR, strrchr(m[i].name, '/') + 1);
		if (rc == 0)
			rc = st_do(s, d, "INSERT INTO schema_migrations VALUES (?, ?, ?)", "itt",
			           (int64_t)m[i].version, name, store_now(NULL));
		if (st_end(s, d, rc) < 0)
			return -1;
	}
	return 0;
}

/* ---- opening ---- */
static char *login_name(void)
{
	const char *u = getenv("USER");
	if (u && *u)
		return xstrdup(u);
	struct passwd *pw = getpwuid(getuid());
	return xstrdup(pw && pw->pw_name ? pw->pw_name : "unknown");
}

/* A folder named .silt made for the store gets a .gitignore, so it is not committed. */
static void ignore_store_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	if (dlen < 5 || strncmp(path + dlen - 5, ".silt", 5) ||
	    (dlen > 5 && path[dlen - 6] != '/'))
		return;
	struct buf gi = BUF_INIT;
	buf_printf(&gi, "%.*s/.gitignore", (int)dlen, path);
	if (access(gi.p, F_OK) != 0) {
		FILE *f = fopen(gi.p, "w");
		if (f) {
			fputs("# silt's metadata store (holds sealed credentials): not for git\n*\n", f);
			fclose(f);
		}
	}
	buf_release(&gi);
}

struct store *store_open(const char *path, const struct store_opts *o, struct diag *d)
{
	struct store_opts none = { 0 };
	if (!o)
		o = &none;
	struct store *s = xcalloc(1, sizeof(*s));
	s->url = xstrdup(path);
	s->kind = store_is_pg_url(path) ? STORE_PG : STORE_SQLITE;
	s->path = s->kind == STORE_PG ? store_pg_display(path) : xstrdup(path);
	s->busy_ms = o->busy_timeout_ms;
	if (s->busy_ms <= 0) {
		const char *t = getenv("SILT_STORE_BUSY_TIMEOUT");
		char *end = NULL;
		long ms = t && *t ? strtol(t, &end, 10) : 0;
		s->busy_ms = ms > 0 && ms <= 3600000 && end && !*end ? (int)ms : DEFAULT_BUSY_MS;
	}
	s->key_hex = o->key ? xstrdup(o->key) : NULL;
	const char *home = o->home ? o->home : getenv("HOME");
	s->home = xstrdup(home ? home : "");
	s->user = o->user ? xstrdup(o->user) : login_name();

	if (s->kind == STORE_PG) {
		if (store_pg_connect(s, d) < 0 || store_schema_version(s, d) < 0 ||
		    store_migrate(s, d) < 0)
			goto fail;
		goto recover;
	}
	if (file_make_parents(s->path) < 0) {
		serr(d, "%s: cannot create the store's folder: %s", s->path, strerror(errno));
		goto fail;
	}
	ignore_store_dir(s->path);
	int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		serr(d, "%s: cannot open the store: %s", s->path,
		     s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, s->busy_ms);
	sqlite3_extended_result_codes(s->db, 1);
	if (exec_sql(s, d, "PRAGMA foreign_keys = ON", "setting foreign_keys") < 0)
		goto fail;
	/* reading the schema first tells a foreign file from a store */
	if (store_schema_version(s, d) < 0)
		goto fail;
	struct st *st = st_prep(s, d, "PRAGMA journal_mode = WAL", NULL);
	if (!st || (rc = st_row(s, d, st)) < 0)
		goto fail;
	if (rc == 1)
		st_free(st);
	if (exec_sql(s, d, "PRAGMA synchronous = NORMAL", "setting synchronous") < 0)
		goto fail;
	/* reads through a mapping instead of a read() per page, and a page cache that holds an
	 * ingestion's working set (the defaults, 0 and 2 MB, make a 10,000-model ingestion read
	 * the same pages again and again) */
	if (exec_sql(s, d, "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536",
	             "setting the cache") < 0)
		goto fail;
	if (store_migrate(s, d) < 0)
		goto fail;
recover:;
	/* runs whose process died are marked errored; a locked store leaves them for next time */
	struct diag rd;
	diag_init(&rd);
	(void)store_recover_runs(s, NULL, &rd);
	diag_release(&rd);
	return s;
fail:
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	while (s->depth > 0)
		store_rollback(s);
	for (int i = 0; i < s->ncache; i++)
		st_free(s->cache[i].st);
	if (s->kind == STORE_PG)
		store_pg_close(s);
	else
		sqlite3_close_v2(s->db);
	free(s->path);
	free(s->url);
	free(s->errmsg);
	free(s->key_hex);
	free(s->home);
	free(s->user);
	free(s->key_file);
	store_forget_key(s);
	store_blobs_close(s);
	free(s);
}

const char *store_path(const struct store *s) { return s->url; }
const char *store_display(const struct store *s) { return s->path; }

const char *store_local_dir(const struct store *s, struct arena *a)
{
	if (s->kind != STORE_PG) {
		const char *slash = strrchr(s->path, '/');
		return slash ? arena_strndup(a, s->path, (size_t)(slash - s->path)) : ".";
	}
	/* postgres://user@host:port/db?... -> host_port_db, in characters safe for a name */
	const char *p = strstr(s->path, "://") + 3;
	const char *at = strchr(p, '@');
	const char *end = p + strcspn(p, "?#");
	if (at && at < end)
		p = at + 1;
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/.silt/", *s->home ? s->home : ".");
	for (; p < end; p++)
		buf_putc(&b, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'
		                 ? *p
		                 : '_');
	const char *r = arena_strndup(a, b.p, b.n);
	buf_release(&b);
	return r;
}
const char *store_user(const struct store *s) { return s->user; }
