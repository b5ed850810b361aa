/* Reads for the discovery API (silt serve): where an environment's definition state came from,
 * the execution state of all its nodes in one pass, a node's run history in the environment,
 * and what it deployed lately. Only an environment's own, non-CI runs count. */
#include "store_int.h"

int store_defs_source(struct store *s, int64_t env_id, struct arena *a, int64_t *run_id,
                      const char **generated_at, struct diag *d)
{
	*run_id = 0;
	*generated_at = NULL;
	struct st *st = st_prep(s, d,
	                        "SELECT coalesce(run_id, 0), generated_at FROM definition_state "
	                        "WHERE environment_id = ?",
	                        "i", env_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		*run_id = st_int(st, 0);
		*generated_at = st_text(st, 1, a);
	}
	return rc < 0 ? -1 : 0;
}

int store_exec_each(struct store *s, int64_t env_id,
                    int (*fn)(void *ud, const struct store_exec *e), void *ud, struct diag *d)
{
	struct st *st = st_prep(s, d,
	                        "SELECT a.unique_id, coalesce(a.last_run_id, 0), a.last_status, "
	                        "a.last_at, a.last_message, coalesce(a.success_run_id, 0), "
	                        "a.success_at, r.job_id, r.job_name FROM node_applied a LEFT JOIN "
	                        "run r ON r.id = a.last_run_id WHERE a.environment_id = ?",
	                        "i", env_id);
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_exec e = {
			st_ctext(st, 0), st_int(st, 1),
			st_ctext(st, 2), st_ctext(st, 3),
			st_ctext(st, 4), st_int(st, 5),
			st_ctext(st, 6), st_int(st, 7),
			st_ctext(st, 8),
		};
		int r = fn(ud, &e);
		if (r) {
			st_free(st);
			return r;
		}
	}
	return rc < 0 ? -1 : 0;
}

int store_env_history(struct store *s, int64_t env_id, const char *unique_id, int limit,
                      struct arena *a, struct store_env_exec **out, size_t *n, struct diag *d)
{
	VEC(struct store_env_exec) v = { 0 };
	struct st *st = st_prep(s, d,
	                        "SELECT h.run_id, coalesce(r.job_id, 0), r.job_name, h.unique_id, "
	                        "h.status, h.started_at, h.completed_at, coalesce(h.execution_time, "
	                        "0), h.message FROM node_history h JOIN run r ON r.id = h.run_id "
	                        "WHERE r.environment_id = ? AND r.is_ci = 0 AND (? IS NULL OR "
	                        "h.unique_id = ?) AND (? IS NOT NULL OR h.status IN ('success', "
	                        "'pass')) ORDER BY h.id DESC LIMIT ?",
	                        "ittti", env_id, unique_id, unique_id, unique_id,
	                        (int64_t)(limit > 0 ? limit : 100));
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_env_exec e = { st_int(st, 0), st_int(st, 1), st_text(st, 2, a),
			                    st_text(st, 3, a), st_text(st, 4, a), st_text(st, 5, a),
			                    st_text(st, 6, a), st_double(st, 7),
			                    st_text(st, 8, a) };
		vec_push(&v, e);
	}
	STORE_VEC_OUT(a, v, out, n);
	return rc < 0 ? -1 : 0;
}

int store_exec_version(struct store *s, int64_t env_id, struct arena *a, const char **version,
                       struct diag *d)
{
	*version = NULL;
	/* every change of the applied state comes with a history row (store_node_record), so the
	 * newest history id is a version; it moves with any environment's runs, which only costs
	 * a re-read. max(id) of a rowid table is one b-tree descent. */
	(void)env_id;
	struct st *st = st_prep(s, d, "SELECT coalesce(max(id), 0) || '' FROM node_history", "");
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1)
		*version = st_text(st, 0, a);
	return rc < 0 ? -1 : 0;
}
