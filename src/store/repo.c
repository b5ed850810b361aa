/* The project's git repository (a local path or a URL) and the secret GitHub-style webhooks are
 * signed with: settings of the whole store, kept in store_meta (the secret sealed). Workers
 * check runs out of the repository (cli/checkout.c); silt serve verifies webhooks with the
 * secret. */
#include "store_int.h"

static int meta_get(struct store *s, const char *key, struct arena *a, const void **p, size_t *n,
                    struct diag *d)
{
	struct st *st = st_prep(s, d, "SELECT value FROM store_meta WHERE key = ?", "t", key);
	int rc = st ? 0 : -1, found = 0;
	while (st && (rc = st_row(s, d, st)) == 1) {
		const void *v = st_blob(st, 0, n);
		void *copy = arena_alloc(a, *n + 1);
		if (*n)
			memcpy(copy, v, *n);
		((char *)copy)[*n] = 0;
		*p = copy;
		found = 1;
	}
	return rc < 0 ? -1 : found;
}

static int meta_put(struct store *s, const char *key, const void *p, size_t n, struct diag *d)
{
	if (!p)
		return st_do(s, d, "DELETE FROM store_meta WHERE key = ?", "t", key);
	return st_do(s, d, "INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
	                   "UPDATE SET value = excluded.value",
	             "tb", key, p, n);
}

int store_repo_set(struct store *s, const char *url, const char *secret, bool set_secret,
                   struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	int rc = url ? meta_put(s, "repository", *url ? url : NULL, strlen(url), d) : 0;
	if (rc == 0 && set_secret) {
		if (secret && *secret) {
			struct buf b = BUF_INIT;
			rc = store_seal(s, "webhook_secret", (struct str){ secret, strlen(secret) }, &b, d);
			if (rc == 0)
				rc = meta_put(s, "webhook_secret", b.p, b.n, d);
			buf_release(&b);
		} else {
			rc = meta_put(s, "webhook_secret", NULL, 0, d);
		}
	}
	return st_end(s, d, rc);
}

int store_repo_get(struct store *s, struct arena *a, const char **url, const char **secret,
                   struct diag *d)
{
	const void *p;
	size_t n;
	*url = NULL;
	if (secret)
		*secret = NULL;
	int rc = meta_get(s, "repository", a, &p, &n, d);
	if (rc < 0)
		return -1;
	if (rc == 1)
		*url = p;
	if (!secret)
		return 0;
	rc = meta_get(s, "webhook_secret", a, &p, &n, d);
	if (rc < 0)
		return -1;
	if (rc == 1 && store_unseal(s, "webhook_secret", p, n, a, secret, "the webhook secret", d) < 0)
		return -1;
	return 0;
}

int store_run_set_git(struct store *s, int64_t run_id, const char *sha, const char *branch,
                      struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	int rc = st_do(s, d,
	               "UPDATE run SET git_sha = coalesce(?, git_sha), git_branch = coalesce(?, git_branch) "
	               "WHERE id = ?",
	               "tti", sha, branch, run_id);
	return st_end(s, d, rc);
}
