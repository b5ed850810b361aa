/* Service tokens of the API (silt serve): made with a random secret shown once, kept as its
 * SHA-256 only, with scopes; checked on every request; revoked, never deleted, so an old token
 * keeps failing with a clear reason. */
#include <openssl/rand.h>

#include "store_int.h"

static const char *const scope_names[] = { "metadata:read", "job:run", "admin" };

int store_scope_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(scope_names); i++)
		if (s && !strcmp(s, scope_names[i]))
			return 1 << i;
	return -1;
}

bool store_scopes_allow(unsigned have, unsigned need)
{
	/* admin can do everything; job:run can read */
	if (have & STORE_SCOPE_ADMIN)
		return true;
	if ((have & STORE_SCOPE_JOB_RUN) && need == STORE_SCOPE_METADATA_READ)
		return true;
	return (have & need) == need;
}

static void scopes_text(unsigned scopes, struct buf *out)
{
	for (size_t i = 0; i < ARRAY_LEN(scope_names); i++)
		if (scopes & (1u << i))
			buf_printf(out, "%s%s", out->n ? "," : "", scope_names[i]);
}

static unsigned scopes_of(const char *text)
{
	unsigned s = 0;
	while (text && *text) {
		size_t n = strcspn(text, ",");
		for (size_t i = 0; i < ARRAY_LEN(scope_names); i++)
			if (strlen(scope_names[i]) == n && !strncmp(text, scope_names[i], n))
				s |= 1u << i;
		text += n + (text[n] == ',');
	}
	return s;
}

int store_token_create(struct store *s, const char *name, unsigned scopes, struct arena *a,
                       const char **token, struct diag *d)
{
	bool ok = name && *name;
	for (const char *p = name; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		     *p == '_' || *p == '-' || *p == '.';
	if (!ok) {
		serr(d, "token name '%s': use letters, digits, '_', '-' and '.'", name ? name : "");
		return -1;
	}
	if (!scopes) {
		serr(d, "a token needs at least one scope: metadata:read, job:run or admin");
		return -1;
	}
	unsigned char raw[24];
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		serr(d, "no random bytes for a token");
		return -1;
	}
	char secret[4 + 2 * sizeof(raw) + 1] = "slt_";
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(secret + 4 + 2 * i, 3, "%02x", raw[i]);
	char hash[65];
	sha256_hex(secret, strlen(secret), hash);
	struct buf sc = BUF_INIT;
	scopes_text(scopes, &sc);
	char prefix[13];
	memcpy(prefix, secret, 12);
	prefix[12] = 0;
	if (store_begin(s, d) < 0) {
		buf_release(&sc);
		return -1;
	}
	int rc = 0;
	struct st *st = st_prep(s, d, "SELECT revoked_at FROM service_token WHERE name = ?", "t", name);
	rc = st ? 0 : -1;
	bool exists = false;
	while (st && (rc = st_row(s, d, st)) == 1)
		exists = true;
	if (rc >= 0 && exists) {
		serr(d, "a token named '%s' exists already (revoked tokens keep their name)", name);
		rc = -1;
	}
	if (rc >= 0)
		rc = st_do(s, d,
		           "INSERT INTO service_token (name, token_sha256, prefix, scopes, created_at) "
		           "VALUES (?, ?, ?, ?, ?)",
		           "ttttt", name, hash, prefix, buf_cstr(&sc), store_now(NULL));
	buf_release(&sc);
	if (st_end(s, d, rc < 0 ? -1 : 0) < 0)
		return -1;
	*token = arena_strndup(a, secret, strlen(secret));
	return 0;
}

int store_token_check(struct store *s, const char *token, unsigned need, const char **who,
                      struct arena *a, struct diag *d)
{
	char hash[65];
	sha256_hex(token, strlen(token), hash);
	struct st *st = st_prep(s, d,
	                        "SELECT id, name, scopes, revoked_at FROM service_token WHERE "
	                        "token_sha256 = ?",
	                        "t", hash);
	if (!st)
		return -1;
	int rc, found = 0;
	int64_t id = 0;
	unsigned scopes = 0;
	bool revoked = false;
	while ((rc = st_row(s, d, st)) == 1) {
		found = 1;
		id = st_int(st, 0);
		*who = st_text(st, 1, a);
		scopes = scopes_of(st_ctext(st, 2));
		revoked = !st_null(st, 3);
	}
	if (rc < 0)
		return -1;
	if (!found)
		return STORE_TOKEN_UNKNOWN;
	if (revoked)
		return STORE_TOKEN_REVOKED;
	if (!store_scopes_allow(scopes, need))
		return STORE_TOKEN_SCOPE;
	/* last use, at most once a minute per token so reads do not all write */
	char ago[40];
	store_time(-60, ago);
	st_do(s, d,
	      "UPDATE service_token SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR "
	      "last_used_at < ?)",
	      "tit", store_now(NULL), id, ago);
	diag_clear(d); /* a busy store must not fail a read */
	return STORE_TOKEN_OK;
}

int store_token_revoke(struct store *s, const char *name, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	int rc = st_do(s, d,
	               "UPDATE service_token SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
	               "tt", store_now(NULL), name);
	if (rc == 0 && st_changes(s) == 0) {
		serr(d, "no active token named '%s'", name);
		rc = -1;
	}
	return st_end(s, d, rc);
}

int store_token_list(struct store *s, struct arena *a, struct store_token **out, size_t *n,
                     struct diag *d)
{
	VEC(struct store_token) v = { 0 };
	struct st *st = st_prep(s, d,
	                        "SELECT name, prefix, scopes, created_at, last_used_at, revoked_at "
	                        "FROM service_token ORDER BY name",
	                        "");
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_token t = { st_text(st, 0, a), st_text(st, 1, a),
			                 scopes_of(st_ctext(st, 2)),
			                 st_text(st, 3, a), st_text(st, 4, a), st_text(st, 5, a) };
		vec_push(&v, t);
	}
	STORE_VEC_OUT(a, v, out, n);
	return rc < 0 ? -1 : 0;
}

void store_scopes_text(unsigned scopes, struct buf *out) { scopes_text(scopes, out); }
