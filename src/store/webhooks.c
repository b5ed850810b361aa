/* Webhooks out: subscriptions and the outbox of deliveries (migration 0004). A run's status
 * change queues one delivery per subscription to its event in the same transaction
 * (store_run_set_status calls store_webhook_emit), so a delivery is never lost nor sent for a
 * change that rolled back; silt serve sends them (serve/deliver.c). */
#include "store_int.h"
#include "json/json.h"

static const char *const event_names[] = { "run.started", "run.completed", "run.errored" };

int store_webhook_create(struct store *s, const char *name, const char *url, const char *events,
                         const char *secret, const char *format, struct diag *d)
{
	if (!format)
		format = "event";
	if (strcmp(format, "event") && strcmp(format, "commit-status")) {
		serr(d, "webhook format '%s': expected event or commit-status", format);
		return -1;
	}
	if (!name || !*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(name)) {
		serr(d, "webhook name '%s': use letters, digits, '_', '-' and '.'", name ? name : "");
		return -1;
	}
	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
		serr(d, "webhook url '%s': expected an http:// or https:// address", url ? url : "");
		return -1;
	}
	for (const char *p = events; p && *p;) {
		size_t n = strcspn(p, ","), k = 0;
		while (k < ARRAY_LEN(event_names) && (strlen(event_names[k]) != n || strncmp(p, event_names[k], n)))
			k++;
		if (k == ARRAY_LEN(event_names)) {
			serr(d, "webhook event '%.*s': expected run.started, run.completed or run.errored", (int)n, p);
			return -1;
		}
		p += n + (p[n] == ',');
	}
	if (!events || !*events) {
		serr(d, "a webhook needs at least one event (run.started, run.completed, run.errored)");
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
	struct buf sealed = BUF_INIT;
	int rc = 0;
	if (secret && *secret)
		rc = store_seal(s, "webhook_out", (struct str){ secret, strlen(secret) }, &sealed, d);
	if (rc == 0)
		rc = st_do(s, d,
		           "INSERT INTO webhook (name, url, events, secret, format, created_at) VALUES (?, "
		           "?, ?, ?, ?, ?)",
		           "tttbtt", name, url, events, sealed.p, sealed.n, format, store_now(NULL));
	buf_release(&sealed);
	if (rc < 0 && st_unique_violation(s)) {
		diag_clear(d);
		serr(d, "a webhook named '%s' exists already", name);
	}
	return st_end(s, d, rc);
}

int store_webhook_delete(struct store *s, const char *name, struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	int rc = st_do(s, d, "DELETE FROM webhook WHERE name = ?", "t", name);
	if (rc == 0 && st_changes(s) == 0) {
		serr(d, "no webhook named '%s'", name);
		rc = -1;
	}
	return st_end(s, d, rc);
}

int store_webhook_list(struct store *s, struct arena *a, struct store_webhook **out, size_t *n,
                       struct diag *d)
{
	VEC(struct store_webhook) v = { 0 };
	struct st *st = st_prep(s, d,
	                        "SELECT w.id, w.name, w.url, w.events, w.secret IS NOT NULL, "
	                        "w.created_at, w.format, (SELECT count(*) FROM webhook_delivery x WHERE "
	                        "x.webhook_id = w.id AND x.status = 'delivered'), (SELECT count(*) "
	                        "FROM webhook_delivery x WHERE x.webhook_id = w.id AND x.status = "
	                        "'failed') FROM webhook w ORDER BY w.name",
	                        "");
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_webhook w = { st_int(st, 0), st_text(st, 1, a), st_text(st, 2, a),
			                   st_text(st, 3, a), st_int(st, 4) != 0, st_text(st, 5, a),
			                   st_text(st, 6, a), st_int(st, 7), st_int(st, 8) };
		vec_push(&v, w);
	}
	STORE_VEC_OUT(a, v, out, n);
	return rc < 0 ? -1 : 0;
}

/* The payload of a run event: {"event", "delivered_by": "silt", "run": {...}}. */
static int payload(struct store *s, const char *event, int64_t run_id, struct arena *a,
                   struct buf *out, struct diag *d)
{
	struct store_run r;
	if (store_run_get(s, run_id, a, &r, d) < 0)
		return -1;
	value run = v_dict(a, 14), top = v_dict(a, 3);
#define S(k, x) vdict_sets(run.dict, k, (x) ? v_cstr(x) : v_none())
	vdict_sets(run.dict, "id", v_int(r.id));
	S("environment", r.env_name);
	vdict_sets(run.dict, "environment_id", r.env_id ? v_int(r.env_id) : v_none());
	S("job", r.job_name);
	vdict_sets(run.dict, "job_id", r.job_id ? v_int(r.job_id) : v_none());
	S("status", store_status_name(r.status));
	S("trigger", r.trigger);
	vdict_sets(run.dict, "is_ci", v_bool(r.is_ci));
	S("git_sha", r.git_sha);
	S("git_branch", r.git_branch);
	S("pr_id", r.pr_id);
	S("message", r.message);
	S("started_at", r.started_at);
	S("finished_at", r.finished_at);
#undef S
	vdict_sets(top.dict, "event", v_cstr(event));
	vdict_sets(top.dict, "sent_by", v_cstr("silt"));
	vdict_sets(top.dict, "run", run);
	return json_write(out, top, NULL) < 0 ? -1 : 0;
}

/* A commit status in GitHub's shape for a CI run, and the URL with {sha} filled in; false when
 * the run is no CI run with a commit. */
static bool commit_status(struct store *s, const char *event, int64_t run_id, const char *url,
                          struct arena *a, struct buf *out, const char **to, struct diag *d)
{
	struct store_run r;
	if (store_run_get(s, run_id, a, &r, d) < 0 || !r.is_ci || !r.git_sha)
		return false;
	const char *state = !strcmp(event, "run.started")     ? "pending"
	                    : r.status == SST_SUCCESS          ? "success"
	                    : r.status == SST_ERROR            ? "failure"
	                                                       : "error";
	value v = v_dict(a, 3);
	vdict_sets(v.dict, "state", v_cstr(state));
	vdict_sets(v.dict, "context", v_cstr(arena_printf(a, "silt/%s", r.job_name ? r.job_name : r.env_name)));
	vdict_sets(v.dict, "description",
	           v_cstr(arena_printf(a, "silt run %lld %s", (long long)r.id,
	                               !strcmp(state, "pending") ? "is running" : store_status_name(r.status))));
	if (json_write(out, v, NULL) < 0)
		return false;
	struct buf u = BUF_INIT;
	for (const char *p = url; *p;) {
		if (!strncmp(p, "{sha}", 5)) {
			buf_puts(&u, r.git_sha);
			p += 5;
		} else {
			buf_putc(&u, *p++);
		}
	}
	*to = arena_strndup(a, u.p, u.n);
	buf_release(&u);
	return true;
}

int store_webhook_emit(struct store *s, const char *event, int64_t run_id, struct diag *d)
{
	struct st *st = st_prep(s, d,
	                        "SELECT id, url, format FROM webhook WHERE ',' || events || ',' LIKE "
	                        "'%,' || ? || ',%'",
	                        "t", event);
	int rc = st ? 0 : -1;
	struct arena a;
	arena_init(&a);
	struct sub {
		int64_t id;
		const char *url, *format;
	};
	VEC(struct sub) subs = { 0 };
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct sub x = { st_int(st, 0), st_text(st, 1, &a), st_text(st, 2, &a) };
		vec_push(&subs, x);
	}
	struct buf body = BUF_INIT;
	bool have_event = false;
	const char *now = store_now(&a);
	for (size_t i = 0; rc >= 0 && i < subs.n; i++) {
		struct buf status = BUF_INIT;
		const char *url = subs.v[i].url, *text;
		if (!strcmp(subs.v[i].format, "commit-status")) {
			if (!commit_status(s, event, run_id, subs.v[i].url, &a, &status, &url, d)) {
				buf_release(&status);
				continue;
			}
			text = buf_cstr(&status);
		} else {
			if (!have_event && (rc = payload(s, event, run_id, &a, &body, d)) < 0)
				break;
			have_event = true;
			text = buf_cstr(&body);
		}
		rc = st_do(s, d,
		           "INSERT INTO webhook_delivery (webhook_id, event, run_id, url, payload, status, "
		           "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
		           "ititttt", subs.v[i].id, event, run_id, url, text, now, now);
		buf_release(&status);
	}
	buf_release(&body);
	arena_release(&a);
	vec_free(&subs);
	return rc < 0 ? -1 : 0;
}

int store_delivery_due(struct store *s, struct arena *a, struct store_delivery **out, size_t *n,
                       struct diag *d)
{
	VEC(struct store_delivery) v = { 0 };
	struct st *st = st_prep(s, d,
	                        "SELECT x.id, w.name, x.url, w.secret, x.event, x.payload, "
	                        "x.attempts, w.format FROM webhook_delivery x JOIN webhook w ON w.id = "
	                        "x.webhook_id WHERE x.status = 'pending' AND x.next_attempt_at <= ? "
	                        "ORDER BY x.id LIMIT 50",
	                        "t", store_now(NULL));
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_delivery x = { st_int(st, 0), st_text(st, 1, a), st_text(st, 2, a), NULL,
			                    st_text(st, 4, a), st_text(st, 5, a), (int)st_int(st, 6), NULL, 0, NULL,
			                    st_text(st, 7, a) };
		if (st_is_blob(st, 3)) {
			size_t bn;
			const void *sealed = st_blob(st, 3, &bn);
			void *blob = arena_alloc(a, bn ? bn : 1);
			if (bn)
				memcpy(blob, sealed, bn);
			if (store_unseal(s, "webhook_out", blob, bn, a, &x.secret, "a webhook secret", d) < 0)
				rc = -2;
		}
		vec_push(&v, x);
		if (rc == -2)
			break;
	}
	if (rc == -2)
		st_free(st);
	STORE_VEC_OUT(a, v, out, n);
	return rc < 0 ? -1 : 0;
}

int store_delivery_result(struct store *s, int64_t id, int code, const char *error, int max_attempts,
                          struct diag *d)
{
	if (store_begin(s, d) < 0)
		return -1;
	bool ok = code >= 200 && code < 300;
	int rc;
	if (ok) {
		rc = st_do(s, d,
		           "UPDATE webhook_delivery SET status = 'delivered', attempts = attempts + 1, "
		           "response_code = ?, error = NULL, delivered_at = ? WHERE id = ?",
		           "iti", (int64_t)code, store_now(NULL), id);
	} else {
		/* back-off: 2, 4, 8 ... seconds, at most an hour; failed after max_attempts */
		struct st *st = st_prep(s, d, "SELECT attempts FROM webhook_delivery WHERE id = ?", "i",
		                        id);
		int64_t attempts = 0;
		rc = st ? 0 : -1;
		while (st && (rc = st_row(s, d, st)) == 1)
			attempts = st_int(st, 0);
		int64_t shift = attempts + 1 < 12 ? attempts + 1 : 12;
		int64_t wait = (int64_t)1 << (shift < 0 ? 0 : shift);
		char next[40];
		store_time((double)(wait < 3600 ? wait : 3600), next);
		if (rc >= 0)
			rc = st_do(s, d,
			           "UPDATE webhook_delivery SET attempts = attempts + 1, response_code = ?, "
			           "error = ?, status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE "
			           "'pending' END, next_attempt_at = ? WHERE id = ?",
			           "ititi", (int64_t)code, error, (int64_t)max_attempts, next, id);
	}
	return st_end(s, d, rc);
}

int store_delivery_list(struct store *s, const char *webhook, int limit, struct arena *a,
                        struct store_delivery **out, size_t *n, struct diag *d)
{
	VEC(struct store_delivery) v = { 0 };
	struct st *st = st_prep(s, d,
	                        "SELECT x.id, w.name, x.url, x.event, x.payload, x.attempts, "
	                        "x.status, coalesce(x.response_code, 0), x.error FROM "
	                        "webhook_delivery x JOIN webhook w ON w.id = x.webhook_id WHERE ? "
	                        "IS NULL OR w.name = ? ORDER BY x.id DESC LIMIT ?",
	                        "tti", webhook, webhook, (int64_t)(limit > 0 ? limit : 100));
	int rc = st ? 0 : -1;
	while (st && (rc = st_row(s, d, st)) == 1) {
		struct store_delivery x = { st_int(st, 0), st_text(st, 1, a), st_text(st, 2, a), NULL,
			                    st_text(st, 3, a), st_text(st, 4, a), (int)st_int(st, 5),
			                    st_text(st, 6, a), (int)st_int(st, 7), st_text(st, 8, a), NULL };
		vec_push(&v, x);
	}
	STORE_VEC_OUT(a, v, out, n);
	return rc < 0 ? -1 : 0;
}
