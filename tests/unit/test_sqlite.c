/* Unit tests for the SQLite adapter: SQL, types, errors, DDL and the relation cache, swaps under
 * a concurrent reader, cancellation, columns and the catalog. Runs in a mkdtemp directory. */
#include <pthread.h>
#include <strings.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "adapter/adapter.h"
#include "tap.h"

void test_sqlite(void);

static char tmpdir[64];
static struct diag dg;

static const char *first_msg(void)
{
	return dg.msgs.n ? dg.msgs.v[dg.msgs.n - 1].msg : "";
}

static int xexec(struct adapter_conn *c, const char *sql)
{
	diag_clear(&dg);
	int rc = adapter_exec(c, sql, NULL, &dg);
	if (rc < 0)
		printf("# exec failed: %s\n", first_msg());
	return rc;
}

/* The first column of the first row as an int, or -999. */
static int64_t scalar(struct adapter_conn *c, const char *sql)
{
	struct arena a;
	arena_init(&a);
	struct adapter_table t;
	diag_clear(&dg);
	int64_t r = -999;
	if (adapter_query(c, sql, &a, &t, &dg) == 0 && t.nrows && t.ncols &&
	    t.rows.list->v[0].list->v[0].type == VT_INT)
		r = t.rows.list->v[0].list->v[0].i;
	arena_release(&a);
	return r;
}

static struct adapter *make_adapter(struct arena *a, const char *schema)
{
	value t = v_dict(a, 8);
	vdict_sets(t.dict, "type", v_cstr("sqlite"));
	vdict_sets(t.dict, "path", v_cstr("warehouse.db"));
	vdict_sets(t.dict, "schema", v_cstr(schema));
	vdict_sets(t.dict, "threads", v_int(4));
	vdict_sets(t.dict, "password", v_cstr("secret"));
	diag_clear(&dg);
	return adapter_new(t, tmpdir, &dg);
}

static void test_queries(struct adapter_conn *c)
{
	struct arena a;
	arena_init(&a);
	struct adapter_table t;
	diag_clear(&dg);
	int rc = adapter_query(
	    c, "select 1 as i, 2.5 as r, 'O''Brien' as t, null as n, x'00ff41' as b", &a, &t, &dg);
	ok(rc == 0 && t.ncols == 5 && t.nrows == 1, "query returns one row of five columns");
	if (rc == 0 && t.nrows == 1) {
		value *row = t.rows.list->v[0].list->v;
		ok(v_is_tuple(t.rows.list->v[0]), "rows are tuples");
		ok(row[0].type == VT_INT && row[0].i == 1, "integer → int");
		ok(row[1].type == VT_FLOAT && row[1].f == 2.5, "real → float");
		ok(row[2].type == VT_STR && str_eqc(v_as_str(row[2]), "O'Brien"), "text → str");
		ok(row[3].type == VT_NONE, "NULL → None");
		ok(row[4].type == VT_STR && row[4].len == 3 && row[4].s[0] == 0 &&
		       (unsigned char)row[4].s[1] == 0xff,
		   "blob → str of its bytes");
		is_str(t.cols[0].name, "i", "column names");
		is_str(t.cols[2].name, "t", "column names (3)");
		is_str(t.cols[0].type, "integer", "expression column typed by its value");
		is_str(t.cols[1].type, "real", "real column type");
		is_str(t.cols[4].type, "blob", "blob column type");
		is_str(t.cols[3].type, "", "an all-NULL expression column has no type");
	}
	ok(xexec(c,
	         "create table typed (i integer, r real, t text, d date); "
	         "insert into typed values (1, 1.5, 'a', '2024-01-01'), (2, null, null, null);") ==
	       0,
	   "exec runs several statements");
	struct adapter_response resp;
	diag_clear(&dg);
	rc = adapter_exec(c, "update typed set t = 'b'", &resp, &dg);
	ok(rc == 0 && resp.rows_affected == 2 && strcmp(resp.message, "OK") == 0,
	   "exec reports rows affected and OK");
	diag_clear(&dg);
	rc = adapter_query(c, "select * from typed order by i", &a, &t, &dg);
	ok(rc == 0 && t.nrows == 2 && t.ncols == 4, "query a table");
	if (rc == 0 && t.ncols == 4) {
		ok(strcasecmp(t.cols[0].type, "integer") == 0,
		   "declared type integer (SQLite spells it INTEGER)");
		is_str(t.cols[3].type, "date", "declared type date");
		ok(t.rows.list->v[1].list->v[1].type == VT_NONE, "NULL in a typed column");
	}
	diag_clear(&dg);
	rc = adapter_query(c, "select * from typed where 0", &a, &t, &dg);
	ok(rc == 0 && t.nrows == 0 && t.ncols == 4, "an empty result keeps its columns");
	diag_clear(&dg);
	rc = adapter_query(c, "  -- only a comment\n", &a, &t, &dg);
	ok(rc == 0 && t.ncols == 0 && t.nrows == 0, "a comment is an empty result");

	diag_clear(&dg);
	rc = adapter_exec(c, "select * from nope", NULL, &dg);
	ok(rc < 0 && dg.errors == 1 && strstr(first_msg(), "no such table: nope"),
	   "errors carry SQLite's message");
	diag_clear(&dg);
	rc = adapter_exec(c, "selec 1", NULL, &dg);
	ok(rc < 0 && strstr(first_msg(), "syntax error"),
	   "a syntax error carries SQLite's message");
	diag_clear(&dg);
	rc = adapter_exec(
	    c, "create table half as select 1 / 0 as x, abs(-9223372036854775807 - 1)", NULL, &dg);
	ok(rc < 0 && strstr(first_msg(), "integer overflow"), "a failing CTAS reports the error");
	ok(scalar(c, "select count(*) from sqlite_master where name = 'half'") == 0,
	   "a failing CTAS leaves no half-built table");
	arena_release(&a);
}

static void test_ddl_and_cache(struct adapter *ad, struct adapter_conn *c)
{
	struct relation orders = {NULL, "staging", "orders", REL_TABLE, 0};
	struct relation found;
	unsigned loads0 = adapter_cache_loads(ad);
	diag_clear(&dg);
	ok(adapter_get_relation(c, NULL, "staging", "orders", &found, &dg) == 0,
	   "absent before create");
	ok(adapter_get_relation(c, "main", "marts", "x", &found, &dg) == 0,
	   "another schema is absent");
	is_int(adapter_cache_loads(ad) - loads0, 1,
	       "one listing query fills the cache for the file");
	ok(adapter_create_schema(c, NULL, "staging", &dg) == 0 &&
	       map_has(&ad->schemas_created, STR("staging")),
	   "create_schema is a no-op that is recorded");
	ok(adapter_create_as(c, &orders, "select 1 as id, 'a' as name union all select 2, 'b'",
	                     &dg) == 0,
	   "create table as");
	ok(scalar(c, "select count(*) from \"main\".\"staging__orders\"") == 2,
	   "the table is staging__orders in main");
	ok(adapter_get_relation(c, NULL, "staging", "orders", &found, &dg) == 1 &&
	       found.type == REL_TABLE,
	   "the cache sees the created table");
	ok(adapter_get_relation(c, "main", "STAGING", "Orders", &found, &dg) == 1,
	   "cache lookups ignore case");
	is_int(adapter_cache_loads(ad) - loads0, 1, "no second listing query");
	adapter_cache_clear(ad);
	ok(map_has(&ad->schemas_created, STR("staging")), "created schemas outlive a cache clear");

	struct relation v = {NULL, "staging", "orders_v", REL_VIEW, 0};
	ok(adapter_create_as(c, &v, "select id from \"main\".\"staging__orders\" where id > 1",
	                     &dg) == 0,
	   "create view as");
	ok(adapter_get_relation(c, NULL, "staging", "orders_v", &found, &dg) == 1 &&
	       found.type == REL_VIEW,
	   "the cache sees the view as a view");

	struct arena a;
	arena_init(&a);
	struct adapter_column *cols;
	size_t n;
	ok(adapter_get_columns(c, &orders, &a, &cols, &n, &dg) == 0 && n == 2 &&
	       strcmp(cols[0].name, "id") == 0 && strcmp(cols[1].name, "name") == 0 &&
	       cols[1].index == 2,
	   "columns of a table, in order");
	ok(adapter_get_columns(c, &v, &a, &cols, &n, &dg) == 0 && n == 1 &&
	       strcmp(cols[0].name, "id") == 0,
	   "columns of a view");
	struct relation nothere = {NULL, "staging", "nothere", REL_TABLE, 0};
	ok(adapter_get_columns(c, &nothere, &a, &cols, &n, &dg) == 0 && n == 0,
	   "columns of a missing relation: none");

	/* a table in main that looks prefixed, and a plain one */
	xexec(c, "create table plain_t (x int)");
	adapter_cache_added(ad, &(struct relation){NULL, "main", "plain_t", REL_TABLE, 0});
	struct relation *rels;
	diag_clear(&dg);
	ok(adapter_list_relations(c, NULL, "staging", &a, &rels, &n, &dg) == 0 && n == 2,
	   "list_relations of staging");
	bool names_ok = n == 2;
	for (size_t i = 0; i < n; i++)
		names_ok &= strcmp(rels[i].schema, "staging") == 0 &&
		            (strcmp(rels[i].identifier, "orders") == 0 ||
		             strcmp(rels[i].identifier, "orders_v") == 0);
	ok(names_ok, "listed relations are (staging, identifier)");
	ok(adapter_list_relations(c, NULL, "main", &a, &rels, &n, &dg) == 0,
	   "list_relations of main");
	bool has_plain = false, has_prefixed = false;
	for (size_t i = 0; i < n; i++) {
		has_plain |= strcmp(rels[i].identifier, "plain_t") == 0;
		has_prefixed |= strstr(rels[i].identifier, "__") != NULL;
	}
	ok(has_plain && !has_prefixed, "main lists names without a schema prefix");

	/* rename a table and a view */
	diag_clear(&dg);
	ok(adapter_rename_relation(c, &orders, "orders2", &dg) == 0, "rename a table");
	ok(adapter_get_relation(c, NULL, "staging", "orders", &found, &dg) == 0 &&
	       adapter_get_relation(c, NULL, "staging", "orders2", &found, &dg) == 1,
	   "the cache follows a rename");
	ok(scalar(c, "select count(*) from \"main\".\"staging__orders2\"") == 2,
	   "renamed table has its rows");
	ok(xexec(c, "create table \"main\".\"staging__orders\" as select 7 as id") == 0 &&
	       scalar(c, "select id from \"main\".\"staging__orders_v\"") == 7,
	   "a view reads whatever table carries the name (legacy_alter_table)");
	xexec(c, "drop table \"main\".\"staging__orders\"");
	adapter_cache_clear(ad);
	ok(adapter_rename_relation(c, &v, "orders_view", &dg) == 0, "rename a view (re-created)");
	ok(adapter_get_relation(c, NULL, "staging", "orders_view", &found, &dg) == 1 &&
	       found.type == REL_VIEW &&
	       adapter_get_relation(c, NULL, "staging", "orders_v", &found, &dg) == 0,
	   "the cache follows a view rename");
	diag_clear(&dg);
	ok(adapter_rename_relation(c, &v, "again", &dg) < 0 && dg.errors == 1,
	   "renaming a missing relation fails");

	/* views written by hand: odd names, column lists, brackets */
	xexec(c, "create   view if not exists main.\"we\"\"ird\" ( y ) as select 5");
	xexec(c, "create view [br] as select 6 as z");
	adapter_cache_clear(ad);
	struct relation w = {NULL, "main", "we\"ird", REL_UNKNOWN, 0};
	struct relation br = {NULL, "main", "br", REL_UNKNOWN, 0};
	diag_clear(&dg);
	ok(adapter_rename_relation(c, &w, "weird2", &dg) == 0 &&
	       scalar(c, "select y from \"main\".\"weird2\"") == 5,
	   "rename a hand-written view with a quoted name and a column list");
	ok(adapter_rename_relation(c, &br, "b r", &dg) == 0 &&
	       scalar(c, "select z from \"b r\"") == 6,
	   "rename a view whose name was bracketed");
	ok(scalar(c, "select count(*) from sqlite_master where name in ('we\"ird', 'br')") == 0,
	   "the old views are gone");

	/* drop */
	diag_clear(&dg);
	struct relation o2 = {NULL, "staging", "orders2", REL_UNKNOWN, 0};
	ok(adapter_drop_relation(c, &o2, &dg) == 0, "drop a table (type from the cache)");
	ok(adapter_get_relation(c, NULL, "staging", "orders2", &found, &dg) == 0 &&
	       scalar(c, "select count(*) from sqlite_master where name = 'staging__orders2'") == 0,
	   "dropped from the file and the cache");
	ok(adapter_drop_relation(c, &o2, &dg) == 0, "dropping a missing relation is a no-op");

	/* rollback forgets the cache */
	adapter_begin(c, &dg);
	struct relation r1 = {NULL, "staging", "r1", REL_TABLE, 0};
	adapter_create_as(c, &r1, "select 1 as x", &dg);
	ok(adapter_get_relation(c, NULL, "staging", "r1", &found, &dg) == 1,
	   "created inside a transaction");
	adapter_rollback(c, &dg);
	ok(adapter_get_relation(c, NULL, "staging", "r1", &found, &dg) == 0,
	   "after rollback the cache no longer has it");

	/* drop_schema */
	struct relation s1 = {NULL, "pr_12", "a", REL_TABLE, 0},
	                s2 = {NULL, "pr_12", "b", REL_VIEW, 0};
	adapter_create_as(c, &s1, "select 1 as x", &dg);
	adapter_create_as(c, &s2, "select x from \"main\".\"pr_12__a\"", &dg);
	diag_clear(&dg);
	ok(adapter_drop_schema(c, NULL, "pr_12", &dg) == 0 &&
	       scalar(c, "select count(*) from sqlite_master where name like 'pr\\_12\\_\\_%' "
	                 "escape '\\'") == 0,
	   "drop_schema drops every prefixed relation");
	ok(scalar(c, "select count(*) from sqlite_master where name = 'staging__orders_view'") == 1,
	   "drop_schema leaves other schemas alone");
	arena_release(&a);
}

static void test_build_and_swap(struct adapter *ad, struct adapter_conn *c)
{
	(void)ad;
	struct relation t = {NULL, "marts", "fct", REL_TABLE, 0};
	struct relation found;
	diag_clear(&dg);
	ok(adapter_build(c, &t, "select 1 as x", &dg) == 0, "build a new table");
	ok(adapter_build(c, &t, "select 2 as x union all select 3", &dg) == 0, "rebuild it");
	ok(scalar(c, "select sum(x) from \"main\".\"marts__fct\"") == 5,
	   "the rebuilt table has new rows");
	ok(scalar(c, "select count(*) from sqlite_master where name like 'marts\\_\\_fct\\_\\_%' "
	             "escape '\\'") == 0,
	   "no __dbt_tmp or __dbt_backup left behind");
	/* a downstream view survives the swap of its upstream table */
	struct relation dv = {NULL, "marts", "fct_v", REL_VIEW, 0};
	ok(adapter_build(c, &dv, "select x from \"main\".\"marts__fct\"", &dg) == 0,
	   "build a view");
	ok(adapter_build(c, &t, "select 10 as x", &dg) == 0 &&
	       scalar(c, "select sum(x) from \"main\".\"marts__fct_v\"") == 10,
	   "a downstream view reads the swapped-in table");
	ok(adapter_build(c, &dv, "select x + 1 as x from \"main\".\"marts__fct\"", &dg) == 0 &&
	       scalar(c, "select x from \"main\".\"marts__fct_v\"") == 11,
	   "rebuild a view");
	/* table → view switch */
	struct relation tv = {NULL, "marts", "fct", REL_VIEW, 0};
	ok(adapter_build(c, &tv, "select 99 as x", &dg) == 0 &&
	       adapter_get_relation(c, NULL, "marts", "fct", &found, &dg) == 1 &&
	       found.type == REL_VIEW &&
	       scalar(c, "select type = 'view' from sqlite_master where name = 'marts__fct'") == 1,
	   "a table becomes a view");
	ok(adapter_build(c, &t, "select 5 as x", &dg) == 0 &&
	       scalar(c, "select type = 'table' from sqlite_master where name = 'marts__fct'") == 1,
	   "and a table again");
	/* failure: the old table stays, nothing half-built */
	diag_clear(&dg);
	ok(adapter_build(c, &t, "select x from no_such_table", &dg) < 0 &&
	       strstr(first_msg(), "no such table: no_such_table"),
	   "a failing build reports SQLite's error");
	ok(scalar(c, "select x from \"main\".\"marts__fct\"") == 5, "the old table is untouched");
	ok(scalar(c, "select count(*) from sqlite_master where name like 'marts\\_\\_fct\\_\\_%' "
	             "escape '\\'") == 0,
	   "a failing build leaves no temporary relation");
	ok(adapter_get_relation(c, NULL, "marts", "fct", &found, &dg) == 1 &&
	       found.type == REL_TABLE,
	   "the cache still has the old table");
	/* swap inside a caller's transaction (savepoint) */
	adapter_begin(c, &dg);
	ok(adapter_build(c, &t, "select 6 as x", &dg) == 0, "build inside a transaction");
	adapter_commit(c, &dg);
	ok(scalar(c, "select x from \"main\".\"marts__fct\"") == 6, "committed");
	/* a failing build inside a caller's transaction undoes only itself */
	adapter_begin(c, &dg);
	xexec(c, "create table \"main\".\"marts__kept\" as select 1 as k");
	diag_clear(&dg);
	ok(adapter_build(c, &t, "select nope from nowhere", &dg) < 0 &&
	       c->ad->ops->in_transaction(c),
	   "a failing build inside a transaction keeps the transaction");
	ok(adapter_commit(c, &dg) == 0 &&
	       scalar(c, "select k from \"main\".\"marts__kept\"") == 1 &&
	       scalar(c, "select x from \"main\".\"marts__fct\"") == 6 &&
	       scalar(c, "select count(*) from sqlite_master where name like "
	                 "'marts\\_\\_fct\\_\\_%' escape '\\'") == 0,
	   "the caller's earlier work commits; the build left nothing");
	/* explicit swap */
	struct relation tmp = {NULL, "marts", "fct_new", REL_TABLE, 0};
	adapter_create_as(c, &tmp, "select 7 as x", &dg);
	diag_clear(&dg);
	ok(adapter_swap(c, &t, &tmp, &dg) == 0 &&
	       scalar(c, "select x from \"main\".\"marts__fct\"") == 7 &&
	       adapter_get_relation(c, NULL, "marts", "fct_new", &found, &dg) == 0,
	   "adapter_swap replaces the target by tmp");
	diag_clear(&dg);
	ok(adapter_swap(c, &t, &tmp, &dg) < 0 && dg.errors == 1,
	   "swapping in a missing relation fails");
}

/* ---- a reader during swaps ---- */
struct reader {
	struct adapter *ad;
	atomic_bool stop;
	int reads, missing, wrong;
	char err[256];
};

static void *reader_main(void *p)
{
	struct reader *r = p;
	struct diag d;
	diag_init(&d);
	struct adapter_conn *c = adapter_open(r->ad, &d);
	if (!c) {
		r->missing = -1;
		diag_release(&d);
		return NULL;
	}
	struct arena a;
	arena_init(&a);
	while (!atomic_load(&r->stop)) {
		struct adapter_table t;
		diag_clear(&d);
		struct arena_mark m = arena_mark(&a);
		if (adapter_query(c, "select count(*), sum(x) from \"main\".\"swap__t\"", &a, &t,
		                  &d) < 0) {
			r->missing++;
			if (!r->err[0] && d.msgs.n)
				snprintf(r->err, sizeof(r->err), "%s", d.msgs.v[0].msg);
		} else {
			value *row = t.rows.list->v[0].list->v;
			/* every version has 100 rows whose sum is 100 * version */
			if (row[0].i != 100 || row[1].type != VT_INT || row[1].i % 100 != 0)
				r->wrong++;
			r->reads++;
		}
		arena_restore(&a, m);
	}
	arena_release(&a);
	adapter_close(c);
	diag_release(&d);
	return NULL;
}

static void test_swap_atomicity(struct adapter *ad, struct adapter_conn *c)
{
	struct relation t = {NULL, "swap", "t", REL_TABLE, 0};
	diag_clear(&dg);
	adapter_build(
	    c, &t,
	    "with recursive s(i) as (select 1 union all select i + 1 from s where i < 100) "
	    "select 1 as x from s",
	    &dg);
	struct reader r = {.ad = ad};
	atomic_init(&r.stop, false);
	pthread_t th;
	pthread_create(&th, NULL, reader_main, &r);
	int failures = 0;
	for (int v = 2; v < 302; v++) {
		struct buf sql = BUF_INIT;
		sqlfmt(
		    &sql, ad,
		    "with recursive s(i) as (select 1 union all select i + 1 from s where i < 100) "
		    "select %d as x from s",
		    v);
		diag_clear(&dg);
		if (adapter_build(c, &t, buf_cstr(&sql), &dg) < 0) {
			failures++;
			printf("# build failed: %s\n", first_msg());
		}
		buf_release(&sql);
	}
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	is_int(failures, 0, "300 table builds while another thread reads");
	ok(r.reads > 0, "the reader read (%d times)", r.reads);
	is_int(r.missing, 0, "the reader never found the table missing");
	if (r.err[0])
		printf("# reader error: %s\n", r.err);
	is_int(r.wrong, 0, "the reader never saw a partial table");
}

/* ---- cancel ---- */
struct canceller {
	struct adapter_conn *c;
	int delay_ms;
};

static void *cancel_main(void *p)
{
	struct canceller *k = p;
	struct timespec ts = {0, (long)k->delay_ms * 1000000L};
	nanosleep(&ts, NULL);
	adapter_cancel(k->c);
	return NULL;
}

static void test_cancel(struct adapter_conn *c)
{
	struct canceller k = {c, 150};
	pthread_t th;
	pthread_create(&th, NULL, cancel_main, &k);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	diag_clear(&dg);
	int rc = adapter_exec(c,
	                      "with recursive c(x) as (select 1 union all select x + 1 from c) "
	                      "select count(*) from c",
	                      NULL, &dg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(rc < 0 && strstr(first_msg(), "cancelled"), "a cancelled query fails with 'cancelled'");
	ok(secs < 10, "the cancel stops it promptly (%.2fs)", secs);
	ok(scalar(c, "select 42") == 42, "the connection works after a cancel");
	/* cancel before the statement starts */
	adapter_cancel(c);
	diag_clear(&dg);
	ok(adapter_exec(c, "select 1", NULL, &dg) < 0, "a cancel before a statement stops it");
	ok(scalar(c, "select 43") == 43, "and is then spent");
}

static void test_catalog(struct adapter_conn *c)
{
	struct arena a;
	arena_init(&a);
	struct adapter_catalog_rel *rels;
	size_t n;
	const char *schemas[] = {"marts", "staging"};
	diag_clear(&dg);
	int rc = adapter_catalog(c, NULL, schemas, 2, true, &a, &rels, &n, &dg);
	ok(rc == 0 && n >= 3, "catalog of two schemas (%zu relations)", n);
	if (rc < 0)
		printf("# %s\n", first_msg());
	bool table_ok = false, view_ok = false, broken_ok = false;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (strcmp(rels[i].rel.schema, "marts") == 0 &&
		    strcmp(rels[i].rel.identifier, "fct") == 0)
			table_ok = strcmp(rels[i].type_label, "table") == 0 &&
			           rels[i].row_count == 1 && rels[i].ncols == 1 &&
			           strcmp(rels[i].cols[0].name, "x") == 0 &&
			           rels[i].cols[0].index == 1;
		if (strcmp(rels[i].rel.identifier, "fct_v") == 0)
			view_ok = strcmp(rels[i].type_label, "view") == 0 &&
			          rels[i].row_count == -1 && rels[i].ncols == 1;
		if (strcmp(rels[i].rel.identifier, "orders_view") == 0)
			broken_ok = rels[i].ncols == 0 && dg.errors == 0 && dg.msgs.n == 1 &&
			            strstr(dg.msgs.v[0].msg, "no such table: main.staging__orders");
	}
	ok(broken_ok, "a broken view is listed without columns and warns");
	ok(table_ok, "catalog row of a table: type, row count, columns with index");
	ok(view_ok, "catalog row of a view: no row count");
	arena_release(&a);
}

static void test_params_and_seeds(struct adapter *ad, struct adapter_conn *c)
{
	struct arena a;
	arena_init(&a);
	struct buf ph = BUF_INIT;
	adapter_placeholder(ad, 3, &ph);
	is_str(buf_cstr(&ph), "?", "SQLite placeholders are ?");
	buf_release(&ph);
	xexec(c, "create table p (a, b, c, d, e)");
	value params[5] = {v_int(1), v_cstr("O'Brien"), v_none(), v_float(0.5), v_bool(true)};
	struct adapter_response resp;
	diag_clear(&dg);
	ok(adapter_exec_params(c, "insert into p values (?, ?, ?, ?, ?)", params, 5, &resp, &dg) ==
	           0 &&
	       resp.rows_affected == 1,
	   "exec_params binds int, str, None, float, bool");
	ok(scalar(c,
	          "select count(*) from p where a = 1 and b = 'O''Brien' and c is null and d = 0.5 "
	          "and e = 1") == 1,
	   "bound values arrive as given");
	diag_clear(&dg);
	ok(adapter_exec_params(c, "insert into p values (?, ?)", params, 5, NULL, &dg) < 0 &&
	       dg.errors == 1,
	   "a parameter count mismatch is an error");

	/* a seed: create with adapter types, insert 25000 rows in batches */
	struct relation seed = {NULL, "raw", "people", REL_TABLE, 0};
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, ad, "create table %R (%I %s, %I %s, %I %s)", &seed, "id",
	       adapter_seed_type(ad, SEED_INTEGER), "name", adapter_seed_type(ad, SEED_TEXT),
	       "score", adapter_seed_type(ad, SEED_NUMBER));
	ok(xexec(c, buf_cstr(&sql)) == 0, "create a seed table with the adapter's types");
	buf_release(&sql);
	value rows = v_list(&a, 25000);
	for (int i = 0; i < 25000; i++) {
		value r = v_list(&a, 3);
		vlist_push(r.list, v_int(i));
		vlist_push(r.list, i % 7 ? v_cstr("it's") : v_none());
		vlist_push(r.list, v_float(i / 2.0));
		vlist_push(rows.list, r);
	}
	const char *cols[] = {"id", "name", "score"};
	int64_t n = 0;
	diag_clear(&dg);
	ok(adapter_insert_rows(c, &seed, cols, 3, rows, &n, &dg) == 0 && n == 25000,
	   "insert_rows writes 25000 rows in batches");
	ok(scalar(c, "select count(*) from \"main\".\"raw__people\" where name = 'it''s'") ==
	       25000 - 3572,
	   "seed text values survive with their quotes");
	value bad = v_list(&a, 1);
	vlist_push(bad.list, v_tuple(&a, 1, (value[]){v_int(1)}));
	diag_clear(&dg);
	ok(adapter_insert_rows(c, &seed, cols, 3, bad, &n, &dg) < 0 &&
	       strstr(first_msg(), "expected 3"),
	   "a short row is an error");
	/* incremental schema change: add the columns the target lacks */
	struct relation src = {NULL, "inc", "src", REL_TABLE, 0},
	                dst = {NULL, "inc", "dst", REL_TABLE, 0};
	adapter_create_as(c, &src, "select 1 as id, 'x' as Name, 2.5 as amount", &dg);
	xexec(c, "create table \"main\".\"inc__dst\" (id integer, name text)");
	struct adapter_column *miss;
	size_t nmiss;
	diag_clear(&dg);
	ok(adapter_missing_columns(c, &src, &dst, &a, &miss, &nmiss, &dg) == 0 && nmiss == 1 &&
	       strcmp(miss[0].name, "amount") == 0,
	   "missing columns: matched without case, in order");
	ok(adapter_add_columns(c, &dst, miss, nmiss, &dg) == 0 &&
	       adapter_missing_columns(c, &src, &dst, &a, &miss, &nmiss, &dg) == 0 && nmiss == 0,
	   "add_columns adds them");
	/* query with a response (adapter.execute with fetch) */
	struct adapter_table t;
	diag_clear(&dg);
	ok(adapter_execute(c, "select 1 as one", &resp, &a, &t, &dg) == 0 && t.nrows == 1 &&
	       strcmp(resp.message, "OK") == 0,
	   "execute returns a response and rows");
	/* another database is an attached file */
	diag_clear(&dg);
	struct relation found;
	ok(adapter_get_relation(c, "elsewhere", "s", "t", &found, &dg) < 0 &&
	       strstr(first_msg(), "elsewhere"),
	   "a database that is not attached is an error");
	arena_release(&a);
}

/* ---- several threads building at once, as the executor does ---- */
struct builder {
	struct adapter *ad;
	int id, failures;
	char err[256];
};

static void *builder_main(void *p)
{
	struct builder *b = p;
	struct diag d;
	diag_init(&d);
	struct adapter_conn *c = adapter_open(b->ad, &d);
	if (!c) {
		b->failures = 1000;
		diag_release(&d);
		return NULL;
	}
	char ident[32];
	snprintf(ident, sizeof(ident), "m%d", b->id);
	struct relation r = {NULL, "par", ident, b->id % 2 ? REL_VIEW : REL_TABLE, 0};
	for (int i = 0; i < 30; i++) {
		struct buf sql = BUF_INIT;
		sqlfmt(&sql, b->ad, "select %d as v, %L as who", i, ident);
		diag_clear(&d);
		if (adapter_build(c, &r, buf_cstr(&sql), &d) < 0) {
			b->failures++;
			if (!b->err[0] && d.msgs.n)
				snprintf(b->err, sizeof(b->err), "%s", d.msgs.v[0].msg);
		}
		buf_release(&sql);
	}
	adapter_close(c);
	diag_release(&d);
	return NULL;
}

static void test_parallel_builds(struct adapter *ad, struct adapter_conn *c)
{
	struct builder b[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		b[i] = (struct builder){.ad = ad, .id = i};
		pthread_create(&th[i], NULL, builder_main, &b[i]);
	}
	int failures = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		failures += b[i].failures;
		if (b[i].err[0])
			printf("# builder %d: %s\n", i, b[i].err);
	}
	is_int(failures, 0, "four threads build 30 models each on their own connections");
	struct relation found;
	diag_clear(&dg);
	ok(adapter_get_relation(c, NULL, "par", "m1", &found, &dg) == 1 && found.type == REL_VIEW &&
	       adapter_get_relation(c, NULL, "par", "m2", &found, &dg) == 1 &&
	       found.type == REL_TABLE,
	   "the shared cache has every thread's relations");
	ok(scalar(c,
	          "select sum(v) from (select v from \"main\".\"par__m0\" union all select v from "
	          "\"main\".\"par__m1\" union all select v from \"main\".\"par__m2\" "
	          "union all select v from \"main\".\"par__m3\")") == 4 * 29,
	   "each model holds its last build");
}

static void remove_tree(const char *dir)
{
	static const char *files[] = {"warehouse.db", "warehouse.db-wal", "warehouse.db-shm"};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

void test_sqlite(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/silt-sqlite-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		ok(0, "mkdtemp");
		return;
	}
	diag_init(&dg);
	struct arena a;
	arena_init(&a);
	struct adapter *ad = make_adapter(&a, "staging");
	ok(ad != NULL, "sqlite adapter from a target");
	value pw;
	ok(ad && ad->target.type == VT_DICT && !vdict_gets(ad->target.dict, STR("password"), &pw) &&
	       vdict_gets(ad->target.dict, STR("path"), &pw),
	   "the adapter keeps a copy of the target without the password");
	struct adapter_conn *c = ad ? adapter_open(ad, &dg) : NULL;
	ok(c != NULL, "open a connection");
	if (c) {
		ok(scalar(c,
		          "select count(*) from pragma_journal_mode where journal_mode = 'wal'") ==
		       1,
		   "WAL mode");
		ok(scalar(c, "select foreign_keys from pragma_foreign_keys") == 0,
		   "foreign keys off");
		test_queries(c);
		test_ddl_and_cache(ad, c);
		test_build_and_swap(ad, c);
		test_swap_atomicity(ad, c);
		test_cancel(c);
		test_params_and_seeds(ad, c);
		test_parallel_builds(ad, c);
		test_catalog(c);
		adapter_close(c);
	}
	adapter_free(ad);
	/* a bad path */
	value t = v_dict(&a, 4);
	vdict_sets(t.dict, "type", v_cstr("sqlite"));
	vdict_sets(t.dict, "path", v_cstr("/nonexistent-dir/x.db"));
	diag_clear(&dg);
	ad = adapter_new(t, NULL, &dg);
	ok(ad && adapter_open(ad, &dg) == NULL && strstr(first_msg(), "unable to open"),
	   "opening a bad path fails with SQLite's message");
	adapter_free(ad);
	arena_release(&a);
	diag_release(&dg);
	remove_tree(tmpdir);
}
