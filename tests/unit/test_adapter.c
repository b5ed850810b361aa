/* Unit tests for adapter/: the SQL formatter, quoting and relation rendering (no database), and
 * the relation cache over a mock backend that lists one schema per query, as PostgreSQL will. */
#include "adapter/adapter_int.h"
#include "tap.h"

void test_adapter(void);

static struct adapter *sqlite_target(struct arena *a, const char *database, const char *schema)
{
	value t = v_dict(a, 8);
	vdict_sets(t.dict, "type", v_cstr("sqlite"));
	vdict_sets(t.dict, "path", v_cstr("/nonexistent/never-opened.db"));
	if (database)
		vdict_sets(t.dict, "database", v_cstr(database));
	if (schema)
		vdict_sets(t.dict, "schema", v_cstr(schema));
	vdict_sets(t.dict, "threads", v_int(4));
	struct diag d;
	diag_init(&d);
	struct adapter *ad = adapter_new(t, NULL, &d);
	diag_release(&d);
	return ad;
}

static void test_formatter(void)
{
	struct buf b = BUF_INIT;
	sqlfmt(&b, NULL, "select %L, %L, %L", "O'Brien", "", (const char *)NULL);
	is_str(buf_cstr(&b), "select 'O''Brien', '', NULL",
	       "%L doubles quotes; NULL pointer is NULL");
	buf_reset(&b);
	sqlfmt(&b, NULL, "select 1 as %I, 2 as %I", "we\"ird", "a b");
	is_str(buf_cstr(&b), "select 1 as \"we\"\"ird\", 2 as \"a b\"",
	       "%I quotes and doubles quotes");
	buf_reset(&b);
	sqlfmt(&b, NULL, "%d %lld %zu %u %.2f %s %% %5d|%-3d|", -7, (long long)1 << 40, (size_t)12,
	       3u, 1.5, "trusted", 42, 1);
	is_str(buf_cstr(&b), "-7 1099511627776 12 3 1.50 trusted %    42|1  |",
	       "numbers, %s and %% pass through printf");
	buf_reset(&b);
	sqlfmt(&b, NULL, "%.*I.%.*L.%.*s", 3, "abcdef", 2, "x'yz", 1, "qq");
	is_str(buf_cstr(&b), "\"abc\".'x'''.q", "%.*I / %.*L / %.*s take a length");
	buf_reset(&b);
	sqlfmt(&b, NULL, "%L", "'); drop table x; --");
	is_str(buf_cstr(&b), "'''); drop table x; --'",
	       "an injection attempt stays inside the literal");
	buf_reset(&b);
	sqlfmt(&b, NULL, "no conversions");
	is_str(buf_cstr(&b), "no conversions", "text without conversions is copied");
	buf_release(&b);
}

static void test_render(void)
{
	struct arena a;
	arena_init(&a);
	struct adapter *ad = sqlite_target(&a, NULL, "dbt_alice");
	ok(ad != NULL, "adapter_new builds a sqlite adapter without opening it");
	if (!ad) {
		arena_release(&a);
		return;
	}
	is_str(ad->database, "main", "database defaults to main");
	is_str(ad->schema, "dbt_alice", "schema from the target");
	is_int(ad->threads, 4, "threads from the target");
	struct buf b = BUF_INIT;
	struct relation r = {"main", "staging", "orders", REL_TABLE, 0};
	sqlfmt(&b, ad, "select * from %R", &r);
	is_str(buf_cstr(&b), "select * from \"main\".\"staging__orders\"",
	       "schema staging renders as a prefix in main");
	buf_reset(&b);
	r = (struct relation){NULL, "main", "orders", REL_TABLE, 0};
	adapter_render_relation(ad, &r, &b);
	is_str(buf_cstr(&b), "\"main\".\"orders\"", "schema main has no prefix");
	buf_reset(&b);
	r = (struct relation){NULL, NULL, "orders", REL_TABLE, 0};
	adapter_render_relation(ad, &r, &b);
	is_str(buf_cstr(&b), "\"main\".\"dbt_alice__orders\"",
	       "no schema means the target's schema");
	buf_reset(&b);
	r = (struct relation){"main", "staging", "or\"ders", REL_TABLE, REL_OMIT_DATABASE};
	adapter_render_relation(ad, &r, &b);
	is_str(buf_cstr(&b), "\"staging__or\"\"ders\"", "omit database; quotes in names doubled");
	buf_reset(&b);
	ad->quoting = (struct quote_policy){false, false, false};
	r = (struct relation){"main", "staging", "orders", REL_TABLE, 0};
	adapter_render_relation(ad, &r, &b);
	is_str(buf_cstr(&b), "main.staging__orders", "quoting off renders bare names");
	buf_reset(&b);
	r.identifier = "odd name";
	adapter_render_relation(ad, &r, &b);
	is_str(buf_cstr(&b), "main.\"staging__odd name\"",
	       "quoting off still quotes a name that is not a plain identifier");
	buf_reset(&b);
	r = (struct relation){"main", "s", NULL, REL_UNKNOWN, 0};
	adapter_render_relation(ad, &r, &b);
	is_str(buf_cstr(&b), "main.s__", "a relation without identifier renders its prefix");
	buf_reset(&b);
	r = (struct relation){"other", "s", "t", REL_TABLE, 0};
	adapter_render_relation(ad, &r, &b);
	is_str(buf_cstr(&b), "other.s__t", "another database keeps its name");
	buf_release(&b);
	is_str(adapter_seed_type(ad, SEED_INTEGER), "integer", "seed type integer");
	is_str(adapter_seed_type(ad, SEED_NUMBER), "real", "seed type number with decimals");
	is_str(adapter_seed_type(ad, SEED_TEXT), "text", "seed type text");
	is_str(adapter_seed_type(ad, SEED_BOOLEAN), "boolean", "seed type boolean");
	is_str(rel_type_name(REL_VIEW), "view", "rel_type_name");
	adapter_free(ad);

	ad = sqlite_target(&a, "warehouse", "main");
	b = (struct buf)BUF_INIT;
	r = (struct relation){"warehouse", "main", "orders", REL_TABLE, 0};
	adapter_render_relation(ad, &r, &b);
	is_str(buf_cstr(&b), "\"main\".\"orders\"",
	       "the target's logical database renders as main");
	buf_release(&b);
	adapter_free(ad);
	arena_release(&a);
}

static void test_targets(void)
{
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	value t = v_dict(&a, 4);
	vdict_sets(t.dict, "type", v_cstr("sqlite"));
	ok(adapter_new(t, NULL, &d) == NULL && d.errors == 1, "a sqlite target without path fails");
	diag_clear(&d);
	value sp = v_dict(&a, 2);
	vdict_sets(sp.dict, "main", v_cstr("wh.db"));
	vdict_sets(t.dict, "schemas_and_paths", sp);
	vdict_sets(t.dict, "schema_directory", v_cstr("schemas"));
	struct adapter *ad = adapter_new(t, "/proj", &d);
	ok(ad && d.errors == 0 && d.msgs.n == 1,
	   "schemas_and_paths is accepted; schema_directory warns");
	adapter_free(ad);
	diag_clear(&d);
	value bad = v_dict(&a, 2);
	vdict_sets(bad.dict, "type", v_cstr("oracle"));
	ok(adapter_new(bad, NULL, &d) == NULL && d.errors == 1 &&
	       strstr(d.msgs.v[0].msg, "'oracle'") != NULL,
	   "an unknown type names itself");
	diag_release(&d);
	arena_release(&a);
}

/* ---- a mock backend: physical names are "schema.ident", listing is per schema ---- */
static struct {
	const char *name;
	enum rel_type type;
	bool live;
} mock_rels[8] = {
    {"a.t1", REL_TABLE, true},
    {"a.v1", REL_VIEW, true},
    {"b.t2", REL_TABLE, true},
};
static int mock_lists;

static void mock_join(const struct adapter *ad, const char *schema, const char *ident,
                      struct buf *out)
{
	(void)ad;
	buf_printf(out, "%s.%s", schema, ident);
}

static bool mock_split(const struct adapter *ad, const char *schema, const char *name,
                       const char **ident)
{
	(void)ad;
	size_t n = strlen(schema);
	if (strncmp(name, schema, n) != 0 || name[n] != '.')
		return false;
	*ident = name + n + 1;
	return true;
}

static int mock_list(struct adapter_conn *c, const char *database, const char *schema,
                     adapter_list_fn fn, void *ctx, struct diag *d)
{
	(void)c, (void)database, (void)d;
	mock_lists++;
	for (size_t i = 0; i < ARRAY_LEN(mock_rels); i++) {
		const char *ident;
		if (mock_rels[i].live && mock_split(NULL, schema, mock_rels[i].name, &ident))
			fn(ctx, mock_rels[i].name, mock_rels[i].type);
	}
	return 0;
}

static int mock_drop(struct adapter_conn *c, const struct relation *r, struct diag *d)
{
	(void)c, (void)d;
	char name[64];
	snprintf(name, sizeof(name), "%s.%s", r->schema, r->identifier);
	for (size_t i = 0; i < ARRAY_LEN(mock_rels); i++)
		if (mock_rels[i].live && strcmp(mock_rels[i].name, name) == 0)
			mock_rels[i].live = false;
	return 0;
}

static void mock_free(struct adapter *ad)
{
	adapter_base_release(ad);
	free(ad);
}

static void mock_render(const struct adapter *ad, const struct relation *r, struct buf *out)
{
	sqlfmt(out, NULL, "%I.%I.%I", adapter_dbname(ad, r->database), r->schema, r->identifier);
}

static bool mock_in_txn(struct adapter_conn *c)
{
	(void)c;
	return false;
}

static const struct adapter_ops mock_ops = {
    .type = "mock",
    .quote_char = '"',
    .free = mock_free,
    .join_name = mock_join,
    .split_name = mock_split,
    .render_relation = mock_render,
    .list_relations = mock_list,
    .drop_relation = mock_drop,
    .in_transaction = mock_in_txn,
    .seed_types = {[SEED_TEXT] = "text"},
};

static void test_cache_per_schema(void)
{
	struct arena a;
	arena_init(&a);
	value t = v_dict(&a, 4);
	vdict_sets(t.dict, "database", v_cstr("db"));
	vdict_sets(t.dict, "schema", v_cstr("a"));
	struct adapter *ad = xcalloc(1, sizeof(*ad));
	adapter_base_init(ad, &mock_ops, t, "db");
	struct adapter_conn conn = { .ad = ad };
	struct diag d;
	diag_init(&d);
	struct relation r;
	ok(adapter_get_relation(&conn, NULL, "a", "t1", &r, &d) == 1 && r.type == REL_TABLE,
	   "mock: found in schema a");
	ok(adapter_get_relation(&conn, "db", "a", "v1", &r, &d) == 1 && r.type == REL_VIEW,
	   "mock: a view in schema a");
	is_int(mock_lists, 1, "mock: one listing for schema a");
	ok(adapter_get_relation(&conn, NULL, "b", "t1", &r, &d) == 0,
	   "mock: t1 is not in schema b");
	ok(adapter_get_relation(&conn, NULL, "b", "t2", &r, &d) == 1, "mock: t2 is in schema b");
	is_int(mock_lists, 2, "mock: one more listing for schema b, none after");
	struct relation *rels;
	size_t n;
	ok(adapter_list_relations(&conn, NULL, NULL, &a, &rels, &n, &d) == 0 && n == 2 &&
	       strcmp(rels[0].schema, "a") == 0,
	   "mock: list the target's schema from the cache");
	struct relation t1 = {NULL, "a", "t1", REL_UNKNOWN, 0};
	ok(adapter_drop_relation(&conn, &t1, &d) == 0 && !mock_rels[0].live &&
	       adapter_get_relation(&conn, NULL, "a", "t1", &r, &d) == 0,
	   "mock: drop resolves the type, drops and forgets");
	adapter_cache_renamed(ad, &(struct relation){NULL, "a", "v1", REL_VIEW, 0}, "v2");
	ok(adapter_get_relation(&conn, NULL, "a", "v2", &r, &d) == 1 && r.type == REL_VIEW &&
	       adapter_get_relation(&conn, NULL, "a", "v1", &r, &d) == 0,
	   "mock: cache_renamed keeps the type");
	is_int(mock_lists, 2, "mock: still two listings");
	adapter_cache_clear(ad);
	ok(adapter_get_relation(&conn, NULL, "a", "v1", &r, &d) == 1 && mock_lists == 3,
	   "mock: after a clear the schema is listed again");
	struct buf b = BUF_INIT;
	sqlfmt(&b, ad, "%R", &(struct relation){NULL, "a", "x\"y", REL_TABLE, 0});
	is_str(buf_cstr(&b), "\"db\".\"a\".\"x\"\"y\"", "mock: %R goes through the backend");
	buf_release(&b);
	is_str(adapter_seed_type(ad, SEED_DATE), "text", "a missing seed type falls back to text");
	ok(d.errors == 0, "mock: no errors");
	diag_release(&d);
	adapter_free(ad);
	arena_release(&a);
}

void test_adapter(void)
{
	test_formatter();
	test_render();
	test_targets();
	test_cache_per_schema();
}
