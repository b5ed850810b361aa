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

int store_defs_replace(struct store *s, int64_t env_id, int64_t run_id, const char *generated_at,
                       const struct store_node_def *v, size_t n, bool *replaced, struct diag *d)
{
	*replaced = false;
	if (!generated_at || !*generated_at) {
		serr(d, "a definition state needs its manifest's generated_at");
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
	int rc = env_exists(s, env_id, d);
	sqlite3_stmt *st = rc < 0 ? NULL
	                          : st_prep(s, d,
	                                    "SELECT generated_at > ? FROM definition_state WHERE "
	                                    "environment_id = ?",
	                                    "ti", generated_at, env_id);
	int r = st ? st_row(s, d, st) : -1;
	bool older = false;
	if (r == 1) {
		older = st_int(st, 0) != 0;
		sqlite3_finalize(st);
	}
	if (r < 0)
		rc = -1;
	if (rc < 0 || older)
		return st_end(s, d, rc);
	rc = st_do(s, d, "DELETE FROM node_definition WHERE environment_id = ?", "i", env_id);
	sqlite3_stmt *ins = rc < 0 ? NULL
	                           : st_prep(s, d,
	                                     "INSERT INTO node_definition VALUES (?, ?, ?, ?, ?, ?)",
	                                     NULL);
	if (!ins)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct store_node_def *x = &v[i];
		if (!x->unique_id || !x->resource_type || !x->node) {
			serr(d, "node definition %zu lacks its unique_id, resource_type or node JSON", i);
			rc = -1;
			break;
		}
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, env_id);
		sqlite3_bind_text(ins, 2, x->unique_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, x->resource_type, -1, SQLITE_STATIC);
		if (x->checksum)
			sqlite3_bind_text(ins, 4, x->checksum, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 4);
		if (x->config)
			sqlite3_bind_text(ins, 5, x->config, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 5);
		sqlite3_bind_text(ins, 6, x->node, -1, SQLITE_STATIC);
		int e = sqlite3_step(ins);
		if (e != SQLITE_DONE) {
			if ((e & 0xff) == SQLITE_CONSTRAINT)
				serr(d, "node definition '%s' appears twice", x->unique_id);
			else
				st_error(s, d, e, "writing node definitions");
			rc = -1;
		}
	}
	sqlite3_finalize(ins);
	if (rc == 0)
		rc = st_do(s, d,
		           "INSERT OR REPLACE INTO definition_state VALUES (?, ?, ?, ?)", "iItt", env_id,
		           run_id, generated_at, store_now(NULL));
	if (rc == 0)
		*replaced = true;
	return st_end(s, d, rc);
}

int store_defs_list(struct store *s, int64_t env_id, struct arena *a, struct store_node_def **out,
                    size_t *n, const char **generated_at, struct diag *d)
{
	VEC(struct store_node_def) v = { 0 };
	if (generated_at) {
		*generated_at = NULL;
		sqlite3_stmt *g = st_prep(s, d,
		                          "SELECT generated_at FROM definition_state WHERE "
		                          "environment_id = ?",
		                          "i", env_id);
		int r = g ? st_row(s, d, g) : -1;
		if (r < 0)
			return -1;
		if (r == 1) {
			*generated_at = st_text(g, 0, a);
			sqlite3_finalize(g);
		}
	}
	sqlite3_stmt *st = st_prep(s, d,
	                           "SELECT unique_id, resource_type, checksum, config, node FROM "
	                           "node_definition WHERE environment_id = ? ORDER BY unique_id",
	                           "i", env_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_node_def x = { st_text(st, 0, a), st_text(st, 1, a), st_text(st, 2, a),
			                    st_text(st, 3, a), st_text(st, 4, a) };
		vec_push(&v, x);
	}
	*out = arena_alloc(a, (v.n ? v.n : 1) * sizeof(**out));
	if (v.n)
		memcpy(*out, v.v, v.n * sizeof(**out));
	*n = v.n;
	vec_free(&v);
	return rc < 0 ? -1 : 0;
}

int store_node_record(struct store *s, int64_t env_id, int64_t run_id, int64_t step_id,
                      const struct store_node_result *r, struct diag *d)
{
	if (!r->unique_id || !*r->unique_id || !r->status || !*r->status) {
		serr(d, "a node result needs its unique_id and status");
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
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
	static const char success_sql[] =
	    "UPDATE node_applied SET success_run_id = ?, success_at = ?, relation_database = ?, "
	    "relation_schema = ?, relation_identifier = ?, applied_checksum = ?, applied_config = ?, "
	    "applied_node = ?, applied_vars = ? WHERE environment_id = ? AND unique_id = ?";
	int rc = st_run_cached(s, d, st_cached(s, d, hist_sql, "iItttt" "ft", run_id, step_id,
	                                       r->unique_id, r->status, nz(r->started_at),
	                                       nz(r->completed_at), r->execution_time,
	                                       nz(r->message)));
	if (rc == 0 && env_id)
		rc = st_run_cached(s, d, st_cached(s, d, last_sql, "ittittt", env_id, r->unique_id,
		                                   r->resource_type ? r->resource_type : "", run_id,
		                                   r->status, at, nz(r->message)));
	if (rc == 0 && env_id && r->succeeded)
		rc = st_run_cached(s, d, st_cached(s, d, success_sql, "ittttt" "ttt" "it", run_id, at,
		                                   nz(r->database), nz(r->schema), nz(r->identifier),
		                                   nz(r->checksum), nz(r->config), nz(r->node),
		                                   nz(r->vars), env_id, r->unique_id));
	if (rc < 0 && (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY))
		serr(d, "the run (%lld), step or environment (%lld) of node '%s' does not exist",
		     (long long)run_id, (long long)env_id, r->unique_id);
	return st_end(s, d, rc);
}

#define APPLIED_SELECT                                                                             \
	"SELECT unique_id, resource_type, last_run_id, last_status, last_at, last_message, "       \
	"success_run_id, success_at, relation_database, relation_schema, relation_identifier, "    \
	"applied_checksum, applied_config, applied_node, applied_vars FROM node_applied "

static void read_applied(sqlite3_stmt *st, struct arena *a, struct store_node_applied *x)
{
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
}

int store_applied_list(struct store *s, int64_t env_id, struct arena *a,
                       struct store_node_applied **out, size_t *n, struct diag *d)
{
	VEC(struct store_node_applied) v = { 0 };
	sqlite3_stmt *st = st_prep(s, d, APPLIED_SELECT "WHERE environment_id = ? ORDER BY unique_id",
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
	sqlite3_stmt *st = st_prep(s, d, APPLIED_SELECT "WHERE environment_id = ? AND unique_id = ?",
	                           "it", env_id, unique_id);
	int rc = st ? st_row(s, d, st) : -1;
	if (rc == 1) {
		read_applied(st, a, out);
		sqlite3_finalize(st);
	}
	return rc;
}

int store_history_list(struct store *s, const char *unique_id, int64_t run_id, struct arena *a,
                       struct store_history **out, size_t *n, struct diag *d)
{
	VEC(struct store_history) v = { 0 };
	sqlite3_stmt *st = st_prep(s, d,
	                           "SELECT run_id, ifnull(step_id, 0), unique_id, status, message, "
	                           "started_at, completed_at, ifnull(execution_time, 0) FROM "
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
			.execution_time = sqlite3_column_double(st, 7),
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
