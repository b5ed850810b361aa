/* Per-environment node state: definitions (the newest manifest), applied state (last attempt,
 * last success and what it left in the warehouse) and the history of every execution. */
#include "store_int.h"

static const char *nz(const char *s) { return s && *s ? s : NULL; }

static int env_exists(struct store *s, int64_t env_id, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	struct store_env e;
	int rc = store_env_get_id(s, env_id, &a, &e, d);
	arena_release(&a);
	return rc;
}

/* The blob of a row given by its JSON alone (no info: compared from the JSON). */
static int blob_of_json(struct store *s, const char *json, int64_t *id, struct diag *d)
{
	unsigned char h[32];
	size_t n = strlen(json);
	store_node_hash(json, n, 0, 0, h);
	return store_blob_put(s, h, json, n, NULL, id, d);
}

static const void *dg(const unsigned char *digest) { return digest; }
static size_t dgn(const unsigned char *digest) { return digest ? 32 : 0; }

static int defs_write(struct store *s, int64_t env_id, int64_t run_id, const char *generated_at,
                      const struct store_node_def *defs, const struct store_node_ref *refs,
                      size_t n, const struct map *known, bool *replaced, struct diag *d)
{
	*replaced = false;
	if (!generated_at || !*generated_at) {
		serr(d, "a definition state needs its manifest's generated_at");
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
	int rc = env_exists(s, env_id, d);
	struct st *st = rc < 0 ? NULL
	                       : st_prep(s, d,
	                                 "SELECT generated_at > ? FROM definition_state WHERE "
	                                 "environment_id = ?",
	                                 "ti", generated_at, env_id);
	int r = st ? st_row(s, d, st) : -1;
	bool older = false;
	if (r == 1) {
		older = st_int(st, 0) != 0;
		st_free(st);
	}
	if (r < 0)
		rc = -1;
	if (rc < 0 || older)
		return st_end(s, d, rc);
	/* only the rows that changed are written: unique_id -> blob id + 1 (1: a row with inline
	 * JSON, always rewritten) */
	struct arena a;
	arena_init(&a);
	struct map old, seen;
	map_init(&old);
	map_init(&seen);
	/* rows without a blob (from before version 5) are not in known: they are all rewritten,
	 * but one not in this manifest must be deleted, so known is not enough to delete */
	st = st_prep(s, d,
	             known ? "SELECT unique_id, 0 FROM node_definition WHERE environment_id = ? AND "
	                     "(blob_id IS NULL OR hash IS NULL)"
	                   : "SELECT unique_id, coalesce(blob_id, 0) FROM node_definition WHERE "
	                     "environment_id = ?",
	             "i", env_id);
	if (!st)
		rc = -1;
	while (st && (r = st_row(s, d, st)) == 1) {
		const char *uid = st_text(st, 0, &a);
		map_set(&old, str_from(uid), (void *)(intptr_t)(st_int(st, 1) + 1));
	}
	if (st && r < 0)
		rc = -1;
	for (size_t i = 0; known && rc == 0 && i < known->n; i++) {
		const struct store_node_ref *k = known->e[i].val;
		if (known->e[i].key.p)
			map_set(&old, known->e[i].key, (void *)(intptr_t)(k->blob_id + 1));
	}
	static const char ins_sql[] =
	    "INSERT INTO node_definition (environment_id, unique_id, resource_type, "
	    "checksum, blob_id, digest, database, schema, alias, relation_name, materialized, "
	    "macro_sql, macro_deps, config, hash, node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, NULL) ON CONFLICT (environment_id, unique_id) DO UPDATE SET resource_type = "
	    "excluded.resource_type, checksum = excluded.checksum, blob_id = excluded.blob_id, "
	    "digest = excluded.digest, database = excluded.database, schema = excluded.schema, "
	    "alias = excluded.alias, relation_name = excluded.relation_name, materialized = "
	    "excluded.materialized, macro_sql = excluded.macro_sql, macro_deps = "
	    "excluded.macro_deps, config = excluded.config, hash = excluded.hash, node = NULL";
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store_node_ref x = { 0 };
		const char *config = NULL;
		if (defs) {
			x.unique_id = defs[i].unique_id;
			x.resource_type = defs[i].resource_type;
			x.checksum = defs[i].checksum;
			x.node = defs[i].node;
			config = defs[i].config;
		} else {
			x = refs[i];
			x.node = NULL;
			if (!x.blob_id)
				x.hash = NULL;
		}
		if (!x.unique_id || !x.resource_type || (!x.node && !x.blob_id)) {
			serr(d, "node definition %zu lacks its unique_id, resource_type or node JSON", i);
			rc = -1;
			break;
		}
		bool created;
		map_slot(&seen, str_from(x.unique_id), &created);
		if (!created) {
			serr(d, "node definition '%s' appears twice", x.unique_id);
			rc = -1;
			break;
		}
		unsigned char h[32];
		if (!x.blob_id) {
			store_node_hash(x.node, strlen(x.node), 0, 0, h);
			x.hash = h;
			if (store_blob_put(s, h, x.node, strlen(x.node), NULL, &x.blob_id, d) < 0) {
				rc = -1;
				break;
			}
		}
		intptr_t had = (intptr_t)map_get(&old, str_from(x.unique_id));
		if (had == x.blob_id + 1 && !config)
			continue; /* the same JSON: the same row */
		const struct store_node_info *f = &x.info;
		rc = st_run_cached(s, d,
		                   st_cached(s, d, ins_sql, "ittt" "ib" "ttttt" "ttt" "b", env_id,
		                             x.unique_id, x.resource_type, x.checksum, x.blob_id,
		                             dg(f->digest), dgn(f->digest), f->database, f->schema,
		                             f->alias, f->relation_name, f->materialized, f->macro_sql,
		                             f->macro_deps, config, dg(x.hash), dgn(x.hash)));
	}
	static const char del_sql[] =
	    "DELETE FROM node_definition WHERE environment_id = ? AND unique_id = ?";
	for (size_t i = 0; rc == 0 && i < old.n; i++)
		if (old.e[i].key.p && !map_has(&seen, old.e[i].key))
			rc = st_run_cached(s, d, st_cached(s, d, del_sql, "it", env_id, old.e[i].key.p));
	map_release(&old);
	map_release(&seen);
	arena_release(&a);
	if (rc == 0)
		rc = st_do(s, d,
		           "INSERT INTO definition_state (environment_id, run_id, generated_at, "
		           "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (environment_id) DO UPDATE SET "
		           "run_id = excluded.run_id, generated_at = excluded.generated_at, updated_at = "
		           "excluded.updated_at",
		           "iItt", env_id,
		           run_id, generated_at, store_now(NULL));
	if (rc == 0)
		*replaced = true;
	return st_end(s, d, rc);
}

int store_defs_replace(struct store *s, int64_t env_id, int64_t run_id, const char *generated_at,
                       const struct store_node_def *v, size_t n, bool *replaced, struct diag *d)
{
	return defs_write(s, env_id, run_id, generated_at, v, NULL, n, NULL, replaced, d);
}

int store_defs_replace_refs(struct store *s, int64_t env_id, int64_t run_id,
                            const char *generated_at, const struct store_node_ref *v, size_t n,
                            const struct map *known, bool *replaced, struct diag *d)
{
	return defs_write(s, env_id, run_id, generated_at, NULL, v, n, known, replaced, d);
}

#define DEFS_SELECT                                                                                \
	"SELECT unique_id, resource_type, checksum, config, node, coalesce(blob_id, 0), digest, "    \
	"database, schema, alias, relation_name, materialized, macro_sql, macro_deps FROM "        \
	"node_definition WHERE environment_id = ? ORDER BY unique_id"

static int generated(struct store *s, int64_t env_id, struct arena *a, const char **generated_at,
                     struct diag *d)
{
	if (!generated_at)
		return 0;
	*generated_at = NULL;
	struct st *g = st_prep(s, d,
	                       "SELECT generated_at FROM definition_state WHERE environment_id = ?",
	                       "i", env_id);
	int r = g ? st_row(s, d, g) : -1;
	if (r < 0)
		return -1;
	if (r == 1) {
		*generated_at = st_text(g, 0, a);
		st_free(g);
	}
	return 0;
}

int store_defs_generated_at(struct store *s, int64_t env_id, struct arena *a,
                            const char **generated_at, struct diag *d)
{
	return generated(s, env_id, a, generated_at, d);
}

int store_defs_known(struct store *s, int64_t env_id, struct arena *a, struct map *out,
                     struct diag *d)
{
	struct st *st = st_prep(s, d,
	                        "SELECT unique_id, blob_id, hash, digest, relation_name, "
	                        "materialized FROM node_definition WHERE environment_id = ? AND "
	                        "blob_id IS NOT NULL AND hash IS NOT NULL",
	                        "i", env_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_node_ref *x = arena_zalloc(a, sizeof(*x));
		x->unique_id = st_text(st, 0, a);
		x->blob_id = st_int(st, 1);
		x->hash = st_digest(st, 2, a);
		x->info.digest = st_digest(st, 3, a);
		x->info.relation_name = st_text(st, 4, a);
		x->info.materialized = st_text(st, 5, a);
		map_set(out, str_from(x->unique_id), x);
	}
	return rc < 0 ? -1 : 0;
}

int store_defs_list(struct store *s, int64_t env_id, struct arena *a, struct store_node_def **out,
                    size_t *n, const char **generated_at, struct diag *d)
{
	VEC(struct store_node_def) v = { 0 };
	if (generated(s, env_id, a, generated_at, d) < 0)
		return -1;
	struct st *st = st_prep(s, d, DEFS_SELECT, "i", env_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_node_def x = { st_text(st, 0, a), st_text(st, 1, a), st_text(st, 2, a),
			                    st_text(st, 3, a), st_text(st, 4, a) };
		size_t len;
		int64_t blob = st_int(st, 5);
		if (!x.node && blob && store_blob_get(s, blob, a, &x.node, &len, d) < 0) {
			st_free(st);
			rc = -1;
			break;
		}
		vec_push(&v, x);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}

int store_defs_brief(struct store *s, int64_t env_id, struct arena *a, struct store_node_ref **out,
                     size_t *n, const char **generated_at, struct diag *d)
{
	VEC(struct store_node_ref) v = { 0 };
	if (generated(s, env_id, a, generated_at, d) < 0)
		return -1;
	struct st *st = st_prep(s, d, DEFS_SELECT, "i", env_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_node_ref x = { st_text(st, 0, a), st_text(st, 1, a), st_text(st, 2, a),
			                    st_int(st, 5), st_text(st, 4, a),
			                    { st_digest(st, 6, a), st_text(st, 7, a), st_text(st, 8, a),
			                      st_text(st, 9, a), st_text(st, 10, a), st_text(st, 11, a),
			                      st_text(st, 12, a), st_text(st, 13, a) },
			                    NULL };
		vec_push(&v, x);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}

static int node_record(struct store *s, int64_t env_id, int64_t run_id, int64_t step_id,
                       const struct store_node_result *r, struct diag *d);

int store_node_record(struct store *s, int64_t env_id, int64_t run_id, int64_t step_id,
                      const struct store_node_result *r, struct diag *d)
{
	return store_node_record_all(s, env_id, run_id, step_id, r, 1, d);
}

int store_node_record_all(struct store *s, int64_t env_id, int64_t run_id, int64_t step_id,
                          const struct store_node_result *v, size_t n, struct diag *d)
{
	for (size_t i = 0; i < n; i++)
		if (!v[i].unique_id || !*v[i].unique_id || !v[i].status || !*v[i].status) {
			serr(d, "a node result needs its unique_id and status");
			return -1;
		}
	if (store_begin(s, d) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = node_record(s, env_id, run_id, step_id, &v[i], d);
	return st_end(s, d, rc);
}

static int node_record(struct store *s, int64_t env_id, int64_t run_id, int64_t step_id,
                       const struct store_node_result *r, struct diag *d)
{
	const char *at = r->completed_at ? r->completed_at : store_now(NULL);
	static const char hist_sql[] =
	    "INSERT INTO node_history (run_id, step_id, unique_id, status, started_at, "
	    "completed_at, execution_time, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	static const char last_sql[] =
	    "INSERT INTO node_applied (environment_id, unique_id, resource_type, last_run_id, "
	    "last_status, last_at, last_message) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
	    "(environment_id, unique_id) DO UPDATE SET resource_type = excluded.resource_type, "
	    "last_run_id = excluded.last_run_id, last_status = excluded.last_status, last_at = "
	    "excluded.last_at, last_message = excluded.last_message";
	/* a success: the last attempt and what it applied; an update first (the node has a row
	 * after its first run), the insert when it has none */
	static const char success_upd_sql[] =
	    "UPDATE node_applied SET resource_type = ?3, last_run_id = ?4, last_status = ?5, "
	    "last_at = ?6, last_message = ?7, success_run_id = ?8, success_at = ?9, "
	    "relation_database = ?10, relation_schema = ?11, relation_identifier = ?12, "
	    "applied_checksum = ?13, applied_config = ?14, applied_node = NULL, applied_vars = ?15, "
	    "applied_blob_id = ?16, applied_digest = ?17, applied_relation_name = ?18, "
	    "applied_materialized = ?19 WHERE environment_id = ?1 AND unique_id = ?2";
	static const char success_sql[] =
	    "INSERT INTO node_applied (environment_id, unique_id, resource_type, last_run_id, "
	    "last_status, last_at, last_message, success_run_id, success_at, relation_database, "
	    "relation_schema, relation_identifier, applied_checksum, applied_config, applied_node, "
	    "applied_vars, applied_blob_id, applied_digest, applied_relation_name, "
	    "applied_materialized) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, "
	    "?, ?) ON CONFLICT (environment_id, unique_id) DO UPDATE SET resource_type = "
	    "excluded.resource_type, last_run_id = excluded.last_run_id, last_status = "
	    "excluded.last_status, last_at = excluded.last_at, last_message = excluded.last_message, "
	    "success_run_id = excluded.success_run_id, success_at = excluded.success_at, "
	    "relation_database = excluded.relation_database, relation_schema = "
	    "excluded.relation_schema, relation_identifier = excluded.relation_identifier, "
	    "applied_checksum = excluded.applied_checksum, applied_config = excluded.applied_config, "
	    "applied_node = NULL, applied_vars = excluded.applied_vars, applied_blob_id = "
	    "excluded.applied_blob_id, applied_digest = excluded.applied_digest, "
	    "applied_relation_name = excluded.applied_relation_name, applied_materialized = "
	    "excluded.applied_materialized";
	int rc = st_run_cached(s, d, st_cached(s, d, hist_sql, "iItttt" "ft", run_id, step_id,
	                                       r->unique_id, r->status, nz(r->started_at),
	                                       nz(r->completed_at), r->execution_time,
	                                       nz(r->message)));
	int64_t blob = r->blob_id;
	bool success = env_id && r->succeeded;
	if (rc == 0 && success && !blob && r->node)
		rc = blob_of_json(s, r->node, &blob, d);
	const struct store_node_info *f = &r->info;
	if (rc == 0 && env_id && !success)
		rc = st_run_cached(s, d, st_cached(s, d, last_sql, "ittittt", env_id, r->unique_id,
		                                   r->resource_type ? r->resource_type : "", run_id,
		                                   r->status, at, nz(r->message)));
	for (int pass = 0; rc == 0 && success && pass < 2; pass++) {
		rc = st_run_cached(s, d,
		                   st_cached(s, d, pass ? success_sql : success_upd_sql,
		                             "ittittt" "it" "ttttt" "t" "Ib" "tt", env_id, r->unique_id,
		                             r->resource_type ? r->resource_type : "", run_id,
		                             r->status, at, nz(r->message), run_id, at,
		                             nz(r->database), nz(r->schema), nz(r->identifier),
		                             nz(r->checksum), nz(r->config), nz(r->vars), blob,
		                             dg(f->digest), dgn(f->digest), f->relation_name,
		                             f->materialized));
		if (rc == 0 && st_changes(s) > 0)
			break;
	}
	if (rc < 0 && st_fk_violation(s))
		serr(d, "the run (%lld), step or environment (%lld) of node '%s' does not exist",
		     (long long)run_id, (long long)env_id, r->unique_id);
	return rc;
}

#define APPLIED_SELECT                                                                             \
	"SELECT unique_id, resource_type, last_run_id, last_status, last_at, last_message, "       \
	"success_run_id, success_at, relation_database, relation_schema, relation_identifier, "    \
	"applied_checksum, applied_config, applied_node, applied_vars, "                           \
	"coalesce(applied_blob_id, 0), applied_digest, applied_relation_name, applied_materialized " \
	"FROM node_applied "

static void read_applied(struct st *st, struct arena *a, struct store_node_applied *x)
{
	memset(x, 0, sizeof(*x));
	x->unique_id = st_text(st, 0, a);
	x->resource_type = st_text(st, 1, a);
	x->last_run_id = st_int(st, 2);
	x->last_status = st_text(st, 3, a);
	x->last_at = st_text(st, 4, a);
	x->last_message = st_text(st, 5, a);
	x->success_run_id = st_int(st, 6);
	x->success_at = st_text(st, 7, a);
	x->database = st_text(st, 8, a);
	x->schema = st_text(st, 9, a);
	x->identifier = st_text(st, 10, a);
	x->checksum = st_text(st, 11, a);
	x->config = st_text(st, 12, a);
	x->node = st_text(st, 13, a);
	x->vars = st_text(st, 14, a);
	x->blob_id = st_int(st, 15);
	x->info.digest = st_digest(st, 16, a);
	x->info.database = x->database;
	x->info.schema = x->schema;
	x->info.alias = x->identifier;
	x->info.relation_name = st_text(st, 17, a);
	x->info.materialized = st_text(st, 18, a);
}

int store_applied_list(struct store *s, int64_t env_id, struct arena *a,
                       struct store_node_applied **out, size_t *n, struct diag *d)
{
	VEC(struct store_node_applied) v = { 0 };
	struct st *st = st_prep(s, d, APPLIED_SELECT "WHERE environment_id = ? ORDER BY unique_id",
	                        "i", env_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_node_applied x;
		read_applied(st, a, &x);
		vec_push(&v, x);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}

int store_applied_get(struct store *s, int64_t env_id, const char *unique_id, struct arena *a,
                      struct store_node_applied *out, struct diag *d)
{
	struct st *st = st_prep(s, d, APPLIED_SELECT "WHERE environment_id = ? AND unique_id = ?",
	                        "it", env_id, unique_id);
	int rc = st ? st_row(s, d, st) : -1;
	if (rc == 1) {
		read_applied(st, a, out);
		st_free(st);
	}
	return rc;
}

static const char *col(struct st *st, int i)
{
	return st_ctext(st, i);
}

static const unsigned char *col_digest(struct st *st, int i)
{
	size_t n;
	const void *p = st_blob(st, i, &n);
	return n == 32 ? p : NULL;
}

int store_state_each(struct store *s, int64_t env_id,
                     int (*applied)(void *ud, const struct store_node_applied *r),
                     bool (*want)(void *ud, const char *unique_id, const char *resource_type),
                     int (*def)(void *ud, const struct store_node_ref *r), void *ud,
                     struct diag *d)
{
	struct st *st = st_prep(s, d,
	                        "SELECT unique_id, resource_type, last_status, success_run_id, "
	                        "relation_database, relation_schema, relation_identifier, "
	                        "applied_vars, coalesce(applied_blob_id, 0), applied_digest, "
	                        "applied_relation_name, applied_materialized, CASE WHEN "
	                        "applied_blob_id IS NULL THEN applied_node END FROM node_applied "
	                        "WHERE environment_id = ? ORDER BY unique_id",
	                        "i", env_id);
	int r = st ? 0 : -1, stop = 0;
	while (st && (r = st_row(s, d, st)) == 1) {
		struct store_node_applied x = { 0 };
		x.unique_id = col(st, 0);
		x.resource_type = col(st, 1);
		x.last_status = col(st, 2);
		x.success_run_id = st_int(st, 3);
		x.database = x.info.database = col(st, 4);
		x.schema = x.info.schema = col(st, 5);
		x.identifier = x.info.alias = col(st, 6);
		x.vars = col(st, 7);
		x.blob_id = st_int(st, 8);
		x.info.digest = col_digest(st, 9);
		x.info.relation_name = col(st, 10);
		x.info.materialized = col(st, 11);
		x.node = col(st, 12);
		if ((stop = applied(ud, &x)) != 0) {
			st_free(st);
			return stop;
		}
	}
	if (r < 0)
		return -1;
	/* the definitions the applied rows do not cover: macros, and nodes never built */
	st = st_prep(s, d,
	             "SELECT unique_id, resource_type, checksum, coalesce(blob_id, 0), CASE WHEN blob_id "
	             "IS NULL THEN node END, digest, database, schema, alias, relation_name, "
	             "materialized, macro_sql, macro_deps FROM node_definition d WHERE "
	             "environment_id = ?1 AND (resource_type = 'macro' OR NOT EXISTS (SELECT 1 FROM "
	             "node_applied a WHERE a.environment_id = ?1 AND a.unique_id = d.unique_id AND "
	             "a.success_run_id IS NOT NULL)) ORDER BY unique_id",
	             "i", env_id);
	r = st ? 0 : -1;
	while (st && (r = st_row(s, d, st)) == 1) {
		const char *uid = col(st, 0), *rtype = col(st, 1);
		if (want && !want(ud, uid, rtype))
			continue;
		struct store_node_ref x = { uid, rtype, col(st, 2), st_int(st, 3), col(st, 4),
			                    { col_digest(st, 5), col(st, 6), col(st, 7), col(st, 8),
			                      col(st, 9), col(st, 10), col(st, 11), col(st, 12) },
			                    NULL };
		if ((stop = def(ud, &x)) != 0) {
			st_free(st);
			return stop;
		}
	}
	return r < 0 ? -1 : 0;
}

int store_history_list(struct store *s, const char *unique_id, int64_t run_id, struct arena *a,
                       struct store_history **out, size_t *n, struct diag *d)
{
	VEC(struct store_history) v = { 0 };
	struct st *st = st_prep(s, d,
	                        "SELECT run_id, coalesce(step_id, 0), unique_id, status, message, "
	                        "started_at, completed_at, coalesce(execution_time, 0) FROM "
	                        "node_history WHERE (? IS NULL OR unique_id = ?) AND (? = 0 OR "
	                        "run_id = ?) ORDER BY id",
	                        "ttii", unique_id, unique_id, run_id, run_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_history x = {
			.run_id = st_int(st, 0),
			.step_id = st_int(st, 1),
			.unique_id = st_text(st, 2, a),
			.status = st_text(st, 3, a),
			.message = st_text(st, 4, a),
			.started_at = st_text(st, 5, a),
			.completed_at = st_text(st, 6, a),
			.execution_time = st_double(st, 7),
		};
		vec_push(&v, x);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}
