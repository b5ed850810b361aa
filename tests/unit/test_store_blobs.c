/* Unit tests for the store's node blobs (schema version 5): content addressing, compression,
 * artifacts kept compressed or as pieces (read back byte for byte), definitions rewritten only
 * when their blob changed, the lean reader of --state-env, damaged data refused, and a store
 * of version 4 with node JSON inline migrated and still readable. Runs in a mkdtemp directory. */
#include <unistd.h>

#include "base/embed.h"
#include "store/store.h"
#include "store_db.h"
#include "tap.h"

void test_store_blobs(void);

#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static char dir[64];
static struct diag dg;

static const char *last_msg(void) { return dg.msgs.n ? dg.msgs.v[dg.msgs.n - 1].msg : ""; }


static struct store *open_at(const char *path)
{
	struct store_opts o = { .key = KEY, .home = dir, .user = "alice" };
	diag_clear(&dg);
	return store_open(path, &o, &dg);
}

static long long raw_int(const char *path, const char *sql) { return test_raw_int(path, sql); }
static int raw_exec(const char *path, const char *sql) { return test_raw_exec(path, sql); }

/* A run of a new environment; its id in *run. */
static int64_t setup(struct store *s, int64_t *run)
{
	struct store_env e = { .name = "prod", .type = SENV_PRODUCTION };
	struct store_run r = { .command = "silt build", .status = SST_RUNNING };
	diag_clear(&dg);
	if (store_env_create(s, &e, &dg) < 0)
		return 0;
	r.env_id = e.id;
	if (store_run_create(s, &r, &dg) < 0)
		return 0;
	*run = r.id;
	return e.id;
}

/* A node's JSON of about n bytes (compressible). */
static char *big_json(size_t n)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"raw_code\": \"");
	while (b.n < n)
		buf_puts(&b, "select 1 as x union all ");
	buf_puts(&b, "\", \"created_at\": 1.5}");
	return buf_detach(&b, NULL);
}

static void test_blobs(struct store *s, const char *path)
{
	unsigned char h1[32], h2[32], h3[32];
	const char *a = "{\"a\": 1, \"created_at\": 2, \"b\": 3}";
	/* the created_at member cut out hashes as the text without it */
	store_node_hash(a, strlen(a), 9, 17, h1);
	store_node_hash("{\"a\": 1, \"b\": 3}", 16, 0, 0, h2);
	ok(!memcmp(h1, h2, 32), "a cut hashes as the text without it");
	store_node_hash(a, strlen(a), 0, 0, h3);
	ok(memcmp(h1, h3, 32) != 0, "and differs from the whole text's");

	char *big = big_json(20000);
	unsigned char hb[32];
	store_node_hash(big, strlen(big), 0, 0, hb);
	int64_t id1 = 0, id2 = 0, id3 = 0;
	const unsigned char dgst[32] = { 1, 2, 3 };
	struct store_node_info info = { .digest = dgst, .materialized = "view",
		                        .relation_name = "\"main\".\"m\"" };
	diag_clear(&dg);
	ok(store_blob_put(s, hb, big, strlen(big), &info, &id1, &dg) == 0 && id1 > 0,
	   "a blob is stored");
	ok(store_blob_put(s, hb, big, strlen(big), NULL, &id2, &dg) == 0 && id2 == id1,
	   "the same hash is the same blob");
	is_int(raw_int(path, "SELECT count(*) FROM node_blob"), 1, "stored once");
	is_int(raw_int(path, "SELECT zlib FROM node_blob"), 1, "compressed");
	ok(raw_int(path, "SELECT length(body) FROM node_blob") < 2000, "to a fraction of its size");
	struct arena ar;
	arena_init(&ar);
	const char *json;
	size_t len;
	ok(store_blob_get(s, id1, &ar, &json, &len, &dg) == 0 && len == strlen(big) &&
	       !strcmp(json, big),
	   "and reads back as it was");
	struct store_node_info got;
	ok(store_blob_find(s, hb, &id3, &ar, &got, &dg) == 1 && id3 == id1 && got.digest &&
	       !memcmp(got.digest, dgst, 32) && got.materialized && !strcmp(got.materialized, "view"),
	   "found by its hash with its info");
	ok(store_blob_find(s, h1, &id3, &ar, &got, &dg) == 0, "an unknown hash is not found");
	int64_t small = 0;
	ok(store_blob_put(s, h2, "{\"a\": 1, \"b\": 3}", 16, NULL, &small, &dg) == 0 &&
	       raw_int(path, "SELECT zlib FROM node_blob WHERE size = 16") == 0,
	   "a small blob is kept as it is");
	/* damaged data is refused with a message, not a crash */
	raw_exec(path, test_store_pg() ? "UPDATE node_blob SET body = '\\x00112233'::bytea WHERE zlib = 1"
	                              : "UPDATE node_blob SET body = x'00112233' WHERE zlib = 1");
	diag_clear(&dg);
	ok(store_blob_get(s, id1, &ar, &json, &len, &dg) < 0 && strstr(last_msg(), "damaged"),
	   "a damaged blob is an error");
	diag_clear(&dg);
	ok(store_blob_get(s, 9999, &ar, &json, &len, &dg) < 0 && strstr(last_msg(), "missing"),
	   "a missing blob is an error");
	arena_release(&ar);
	free(big);
}

static void test_artifacts(struct store *s, int64_t run)
{
	struct arena ar;
	arena_init(&ar);
	char *big = big_json(50000);
	struct store_artifact art = { .run_id = run, .path = "run_results.json", .content = big,
		                      .len = strlen(big) };
	diag_clear(&dg);
	ok(store_artifact_put(s, &art, &dg) == 0, "a large artifact is stored");
	struct store_artifact back;
	ok(store_artifact_get(s, run, 0, "run_results.json", &ar, &back, &dg) == 1 &&
	       back.len == art.len && !memcmp(back.content, big, art.len),
	   "and reads back byte for byte");

	/* a manifest as pieces: text, a node blob with its created_at put back, text */
	const char *node = "{\"name\": \"m\", \"raw_code\": \"select 1\"}";
	unsigned char h[32];
	store_node_hash(node, strlen(node), 0, 0, h);
	int64_t blob;
	ok(store_blob_put(s, h, node, strlen(node), NULL, &blob, &dg) == 0, "a node blob");
	const char *cut = "\"created_at\": 7.25, ";
	struct store_piece pieces[] = {
		{ "{\"nodes\": {\"model.p.m\": ", 24, 0, 0, 0 },
		{ cut, strlen(cut), blob, 1, 0 },
		{ "}}", 2, 0, 0, 0 },
	};
	struct store_artifact man = { .run_id = run, .path = "manifest.json" };
	ok(store_artifact_put_pieces(s, &man, pieces, 3, &dg) == 0, "a manifest kept as pieces");
	const char *want = "{\"nodes\": {\"model.p.m\": {\"created_at\": 7.25, \"name\": \"m\", "
	                   "\"raw_code\": \"select 1\"}}}";
	ok(store_artifact_get(s, run, 0, "manifest.json", &ar, &back, &dg) == 1 &&
	       back.len == strlen(want) && !memcmp(back.content, want, back.len),
	   "reads back as the file was");
	struct store_artifact *list;
	size_t n;
	ok(store_artifact_list(s, run, false, &ar, &list, &n, &dg) == 0 && n == 2 &&
	       list[0].len == strlen(want) && list[1].len == art.len,
	   "listed with their sizes as files");
	struct store_piece bad = { "x", 1, 424242, 0, 0 };
	diag_clear(&dg);
	ok(store_artifact_put_pieces(s, &man, &bad, 1, &dg) < 0 && strstr(last_msg(), "not stored"),
	   "a piece naming no blob is refused");
	ok(store_artifact_get(s, run, 0, "manifest.json", &ar, &back, &dg) == 1 &&
	       back.len == strlen(want),
	   "and the artifact stays");
	free(big);
	arena_release(&ar);
}

struct seen {
	int applied, defs, macros;
};
static int on_applied(void *ud, const struct store_node_applied *r)
{
	struct seen *x = ud;
	x->applied += r->success_run_id && r->blob_id && r->info.digest;
	return 0;
}
static bool want(void *ud, const char *uid, const char *rtype)
{
	(void)ud;
	return strcmp(uid, "model.p.a") != 0 || !strcmp(rtype, "macro");
}
static int on_def(void *ud, const struct store_node_ref *r)
{
	struct seen *x = ud;
	x->defs++;
	x->macros += r->info.macro_sql != NULL;
	return 0;
}

static void test_definitions(struct store *s, const char *path, int64_t env, int64_t run)
{
	struct arena ar;
	arena_init(&ar);
	const char *jsons[] = { "{\"n\": \"a\"}", "{\"n\": \"b\"}", "{\"n\": \"c\"}",
		                "{\"macro_sql\": \"x\"}", "{\"n\": \"b2\"}" };
	int64_t ids[5];
	unsigned char hs[5][32];
	for (int i = 0; i < 5; i++) {
		store_node_hash(jsons[i], strlen(jsons[i]), 0, 0, hs[i]);
		store_blob_put(s, hs[i], jsons[i], strlen(jsons[i]), NULL, &ids[i], &dg);
	}
	const unsigned char dgst[32] = { 9 };
	struct store_node_ref refs[] = {
		{ "model.p.a", "model", "c1", ids[0], NULL, { .digest = dgst }, hs[0] },
		{ "model.p.b", "model", "c2", ids[1], NULL, { .digest = dgst }, hs[1] },
		{ "model.p.c", "model", "c3", ids[2], NULL, { .digest = dgst }, hs[2] },
		{ "macro.p.m", "macro", NULL, ids[3], NULL, { .macro_sql = "x", .macro_deps = "" },
		  hs[3] },
	};
	bool replaced;
	diag_clear(&dg);
	ok(store_defs_replace_refs(s, env, run, "2026-01-01T00:00:00Z", refs, 4, NULL, &replaced,
	                           &dg) == 0 &&
	       replaced,
	   "definitions by reference are written");
	raw_exec(path, "UPDATE node_definition SET checksum = 'kept' WHERE unique_id = 'model.p.a'");
	struct map known;
	map_init(&known);
	ok(store_defs_known(s, env, &ar, &known, &dg) == 0 && known.live == 4,
	   "the known definitions are read with their hashes");
	/* again: a unchanged, b changed, c gone */
	refs[1].blob_id = ids[4];
	refs[1].hash = hs[4];
	refs[1].checksum = "c2b";
	struct store_node_ref again[] = { refs[0], refs[1], refs[3] };
	ok(store_defs_replace_refs(s, env, run, "2026-01-02T00:00:00Z", again, 3, &known, &replaced,
	                           &dg) == 0,
	   "a newer manifest replaces them");
	map_release(&known);
	is_int(raw_int(path, "SELECT count(*) FROM node_definition WHERE checksum = 'kept'"), 1,
	       "an unchanged definition is not rewritten");
	is_int(raw_int(path, "SELECT count(*) FROM node_definition WHERE checksum = 'c2b'"), 1,
	       "a changed one is");
	is_int(raw_int(path, "SELECT count(*) FROM node_definition WHERE unique_id = 'model.p.c'"),
	       0, "a node no longer in the manifest is gone");
	struct store_node_ref dup[] = { refs[0], refs[0] };
	diag_clear(&dg);
	ok(store_defs_replace_refs(s, env, run, "2026-01-03T00:00:00Z", dup, 2, NULL, &replaced,
	                           &dg) < 0 &&
	       strstr(last_msg(), "appears twice"),
	   "a duplicate is refused");

	/* applied state by reference, read back leanly */
	struct store_node_result r = { .unique_id = "model.p.b", .resource_type = "model",
		                       .status = "success", .succeeded = true, .schema = "main",
		                       .identifier = "b", .blob_id = ids[4],
		                       .info = { .digest = dgst, .materialized = "table" } };
	ok(store_node_record_all(s, env, run, 0, &r, 1, &dg) == 0, "a success by reference");
	struct store_node_applied ap;
	ok(store_applied_get(s, env, "model.p.b", &ar, &ap, &dg) == 1 && ap.blob_id == ids[4] &&
	       ap.info.digest && !memcmp(ap.info.digest, dgst, 32) && !ap.node &&
	       !strcmp(ap.info.materialized, "table"),
	   "the applied row keeps the reference and the digest");
	struct store_node_result f = { .unique_id = "model.p.b", .resource_type = "model",
		                       .status = "error" };
	ok(store_node_record_all(s, env, run, 0, &f, 1, &dg) == 0 &&
	       store_applied_get(s, env, "model.p.b", &ar, &ap, &dg) == 1 && ap.blob_id == ids[4] &&
	       !strcmp(ap.last_status, "error"),
	   "a failure keeps what the success applied");
	struct seen x = { 0 };
	/* b is applied (its definition is not given), a is refused by want: the macro remains */
	ok(store_state_each(s, env, on_applied, want, on_def, &x, &dg) == 0 && x.applied == 1 &&
	       x.defs == 1 && x.macros == 1,
	   "store_state_each gives the applied rows and the definitions they do not cover");
	struct seen all = { 0 };
	ok(store_state_each(s, env, on_applied, NULL, on_def, &all, &dg) == 0 && all.defs == 2,
	   "a node never built comes from its definition");
	arena_release(&ar);
}

/* A store at version 4 (before blobs) with a definition and an applied row holding their JSON. */
static void test_migrate(void)
{
	bool pg = test_store_pg();
	char *p = test_store_loc(dir, "old.db");
	int rc = raw_exec(p, pg ? "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name "
	                          "TEXT NOT NULL, applied_at TEXT NOT NULL)"
	                        : "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name "
	                          "TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT");
	const char *files[] = { "0001_init.sql", "0002_run_owner.sql", "0003_service_tokens.sql",
		                "0004_webhooks_out.sql" };
	for (int i = 0; i < (int)ARRAY_LEN(files); i++) {
		char path[96];
		snprintf(path, sizeof(path), "store/migrations%s/%s", pg ? "-pg" : "", files[i]);
		const struct embedded_file *f = embed_find(path);
		rc |= f ? raw_exec(p, f->data) : 1;
		char sql[160];
		snprintf(sql, sizeof(sql),
		         "INSERT INTO schema_migrations VALUES (%d, 'store/migrations/%s', "
		         "'2026-01-01T00:00:00Z')",
		         i + 1, files[i]);
		rc |= raw_exec(p, sql);
	}
	rc |= raw_exec(
	    p, pg ? "INSERT INTO environment (id, name, type, created_at, updated_at) VALUES (1, "
	            "'prod', 'production', 'x', 'x');"
	            "INSERT INTO run (id, environment_id, environment_name, status, created_at) VALUES "
	            "(1, 1, 'prod', 'success', 'x');"
	            "INSERT INTO definition_state VALUES (1, 1, '2026-01-01T00:00:00Z', 'x');"
	            "INSERT INTO node_definition VALUES (1, 'model.p.m', 'model', 'c1', '{}', "
	            "'{\"name\":\"m\"}');"
	            "INSERT INTO node_applied (environment_id, unique_id, resource_type, last_run_id, "
	            "last_status, last_at, success_run_id, success_at, relation_schema, "
	            "relation_identifier, applied_checksum, applied_node) VALUES (1, 'model.p.m', "
	            "'model', 1, 'success', 'x', 1, 'x', 'main', 'm', 'c1', '{\"name\":\"m\"}');"
	            "INSERT INTO artifact (run_id, path, content) VALUES (1, 'manifest.json', "
	            "'\\x7b7d'::bytea);"
	            /* identity columns given explicit ids: move their sequences past them */
	            "SELECT setval(pg_get_serial_sequence('environment', 'id'), 1);"
	            "SELECT setval(pg_get_serial_sequence('run', 'id'), 1);"
	            "SELECT setval(pg_get_serial_sequence('artifact', 'id'), 1);"
	          : "INSERT INTO environment (id, name, type, created_at, updated_at) VALUES (1, "
	            "'prod', 'production', 'x', 'x');"
	            "INSERT INTO run (id, environment_id, environment_name, status, created_at) VALUES "
	            "(1, 1, 'prod', 'success', 'x');"
	            "INSERT INTO definition_state VALUES (1, 1, '2026-01-01T00:00:00Z', 'x');"
	            "INSERT INTO node_definition VALUES (1, 'model.p.m', 'model', 'c1', '{}', "
	            "'{\"name\":\"m\"}');"
	            "INSERT INTO node_applied (environment_id, unique_id, resource_type, last_run_id, "
	            "last_status, last_at, success_run_id, success_at, relation_schema, "
	            "relation_identifier, applied_checksum, applied_node) VALUES (1, 'model.p.m', "
	            "'model', 1, 'success', 'x', 1, 'x', 'main', 'm', 'c1', '{\"name\":\"m\"}');"
	            "INSERT INTO artifact (run_id, path, content) VALUES (1, 'manifest.json', "
	            "x'7b7d');");
	ok(rc == 0, "a store of version 4 is made");
	struct store *s = open_at(p);
	ok(s != NULL, "and opens: %s", last_msg());
	if (!s) {
		free(p);
		return;
	}
	is_int(store_schema_version(s, &dg), store_known_version(), "migrated to the newest");
	struct arena ar;
	arena_init(&ar);
	struct store_node_def *defs;
	struct store_node_ref *brief;
	size_t n;
	const char *gen;
	ok(store_defs_list(s, 1, &ar, &defs, &n, &gen, &dg) == 0 && n == 1 &&
	       !strcmp(defs[0].node, "{\"name\":\"m\"}") && !strcmp(defs[0].checksum, "c1"),
	   "an old definition keeps its JSON");
	ok(store_defs_brief(s, 1, &ar, &brief, &n, &gen, &dg) == 0 && n == 1 && !brief[0].blob_id &&
	       brief[0].node && !brief[0].info.digest,
	   "and is read without a blob or a digest (compared from its JSON)");
	struct store_node_applied ap;
	ok(store_applied_get(s, 1, "model.p.m", &ar, &ap, &dg) == 1 && ap.node && !ap.blob_id &&
	       !strcmp(ap.identifier, "m"),
	   "an old applied row too");
	struct store_artifact art;
	ok(store_artifact_get(s, 1, 0, "manifest.json", &ar, &art, &dg) == 1 && art.len == 2,
	   "an old artifact reads as it was");
	arena_release(&ar);
	store_close(s);
	free(p);
}

void test_store_blobs(void)
{
	snprintf(dir, sizeof(dir), "/tmp/silt-blobs-XXXXXX");
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	if (!test_store_available()) {
		printf("# skipped: no PostgreSQL server\n");
		return;
	}
	diag_init(&dg);
	char *p = test_store_loc(dir, "s.db");
	struct store *s = open_at(p);
	ok(s != NULL, "a store opens");
	int64_t run = 0, env = s ? setup(s, &run) : 0;
	ok(env > 0 && run > 0, "with an environment and a run");
	if (s && env) {
		test_blobs(s, p);
		test_artifacts(s, run);
		test_definitions(s, p, env, run);
	}
	store_close(s);
	free(p);
	test_migrate();
	diag_release(&dg);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ok(0, "cleanup");
}
