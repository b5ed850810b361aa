/* Webhooks in: GitHub's `pull_request` and `push` events (POST /api/v1/webhooks/github, signed
 * with X-Hub-Signature-256) and the same events in silt's own shape for other git hosts (POST
 * /api/v1/webhooks/generic, signed with X-Silt-Signature-256), both HMAC-SHA256 of the raw body
 * with the store's webhook secret (silt repo set … --webhook-secret). A pull request opened,
 * reopened or updated queues the CI jobs whose environment's branch is the pull request's base;
 * a closed one queues `silt ci cleanup` for it; a push to a branch queues the merge jobs of the
 * environments on that branch. Workers run them in a checkout of the commit. */
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "serve_int.h"
#include "json/json.h"

struct hook {
	const char *event;  /* "pull_request", "push", "ping" */
	const char *action; /* opened, synchronize, reopened, closed */
	const char *pr, *sha, *base, *head; /* pull requests */
	const char *branch, *after;         /* pushes */
};

static bool signature_ok(struct req *r, const char *secret, const char *header)
{
	const char *sig = req_header(r, header);
	if (!sig || strncmp(sig, "sha256=", 7) || strlen(sig + 7) != 64)
		return false;
	unsigned char mac[32];
	unsigned int n = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)(r->body.p ? r->body.p : ""),
	     r->body.n, mac, &n);
	char hex[65];
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return n == 32 && CRYPTO_memcmp(hex, sig + 7, 64) == 0;
}

static const char *str_at(value v, const char *a, const char *b, const char *c)
{
	v = v_item(v, a);
	if (b)
		v = v_item(v, b);
	if (c)
		v = v_item(v, c);
	return v.type == VT_STR ? v.s : NULL;
}

static const char *num_at(struct req *r, value v, const char *key)
{
	value x = v_item(v, key);
	if (x.type == VT_INT)
		return arena_printf(&r->a, "%lld", (long long)x.i);
	return x.type == VT_STR ? x.s : NULL;
}

/* Queues one run of job j for the hook; appends its id to ids. */
static int queue(struct req *r, const struct store_job *j, const struct hook *h, bool cleanup,
                 value ids, struct diag *d)
{
	struct store_env e;
	if (store_env_get_id(r->store, j->env_id, &r->a, &e, d) < 0)
		return -1;
	bool pr = !strcmp(h->event, "pull_request");
	const char **steps = arena_alloc(&r->a, (j->nsteps + 1) * sizeof(*steps));
	size_t n = 0;
	if (cleanup) {
		steps[n++] = arena_printf(&r->a, "silt ci cleanup --pr %s", h->pr);
	} else {
		for (size_t i = 0; i < j->nsteps; i++) /* a CI step learns which pull request it builds */
			steps[n++] = pr && !strncmp(j->steps[i], "silt ci run", 11)
			                 ? arena_printf(&r->a, "%s --env %s --job %s --pr %s --sha %s",
			                                j->steps[i], e.name, j->name, h->pr, h->sha)
			                 : j->steps[i];
	}
	struct store_run run = { .env_id = e.id, .job_id = j->id, .is_ci = pr,
		                 .trigger = cleanup ? "pull_request_closed" : h->event,
		                 .git_sha = pr ? h->sha : h->after, .pr_id = pr ? h->pr : NULL,
		                 .git_branch = pr ? h->head : h->branch };
	if (store_run_enqueue(r->store, &run, steps, n, NULL, d) < 0)
		return -1;
	vlist_push(ids.list, v_int(run.id));
	return 0;
}

static void handle(struct req *r, const struct hook *h)
{
	value top = v_dict(&r->a, 4), ids = v_list(&r->a, 4);
	vdict_sets(top.dict, "event", v_cstr(h->event));
	vdict_sets(top.dict, "action", h->action ? v_cstr(h->action) : v_none());
	vdict_sets(top.dict, "queued", ids);
	bool pr = !strcmp(h->event, "pull_request"), push = !strcmp(h->event, "push");
	if (pr && (!h->pr || !h->sha || !h->base || !h->action)) {
		reply_error(r, 400, "invalid_body",
		            "a pull_request event needs its number, action, head sha and base branch");
		return;
	}
	bool closed = pr && !strcmp(h->action, "closed");
	bool build = pr && (!strcmp(h->action, "opened") || !strcmp(h->action, "synchronize") ||
	                    !strcmp(h->action, "reopened"));
	if (push && (!h->branch || !h->after)) {
		reply_error(r, 400, "invalid_body", "a push event needs its ref and 'after' commit");
		return;
	}
	bool deleted = push && strspn(h->after, "0") == strlen(h->after);
	if ((pr && (build || closed)) || (push && !deleted)) {
		struct store_job *jobs;
		size_t n;
		struct diag d;
		diag_init(&d);
		int rc = store_job_list(r->store, 0, &r->a, &jobs, &n, &d);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			struct store_env e;
			if ((rc = store_env_get_id(r->store, jobs[i].env_id, &r->a, &e, &d)) < 0)
				break;
			const char *type = jobs[i].job_type ? jobs[i].job_type : "";
			const char *branch = pr ? h->base : h->branch;
			bool on_branch = !e.git_branch || !strcmp(e.git_branch, branch);
			if (on_branch && ((pr && !strcmp(type, "ci")) || (push && !strcmp(type, "merge"))))
				rc = queue(r, &jobs[i], h, closed, ids, &d);
		}
		if (reply_failed(r, rc, &d))
			return;
	}
	reply_json(r, 202, top);
}

static bool secret_of(struct req *r, const char **secret)
{
	const char *url;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_repo_get(r->store, &r->a, &url, secret, &d), &d))
		return false;
	if (!*secret) {
		reply_error(r, 403, "forbidden",
		            "no webhook secret is set (silt repo set URL --webhook-secret -)");
		return false;
	}
	return true;
}

/* The parsed body, after the signature; undefined after a reply. */
static value signed_body(struct req *r, const char *header)
{
	const char *secret;
	if (!secret_of(r, &secret))
		return v_undef();
	if (!signature_ok(r, secret, header)) {
		reply_error(r, 401, "bad_signature",
		            "the %s header is missing or does not match the body (HMAC-SHA256 of the "
		            "body with the webhook secret, as sha256=<hex>)",
		            header);
		return v_undef();
	}
	value v;
	struct diag d;
	diag_init(&d);
	int rc = json_parse(&r->a, "body", r->body.p ? r->body.p : "", r->body.n, &v, &d);
	diag_release(&d);
	if (rc < 0 || v.type != VT_DICT) {
		reply_error(r, 400, "invalid_json", "the webhook body must be a JSON object");
		return v_undef();
	}
	return v;
}

void serve_webhook_github(struct req *r)
{
	value v = signed_body(r, "X-Hub-Signature-256");
	if (v.type == VT_UNDEF)
		return;
	struct hook h = { .event = req_header(r, "X-GitHub-Event") };
	if (!h.event) {
		reply_error(r, 400, "bad_request", "the X-GitHub-Event header is missing");
		return;
	}
	if (!strcmp(h.event, "pull_request")) {
		h.action = str_at(v, "action", NULL, NULL);
		h.pr = num_at(r, v, "number");
		h.sha = str_at(v, "pull_request", "head", "sha");
		h.head = str_at(v, "pull_request", "head", "ref");
		h.base = str_at(v, "pull_request", "base", "ref");
	} else if (!strcmp(h.event, "push")) {
		const char *ref = str_at(v, "ref", NULL, NULL);
		h.branch = ref && !strncmp(ref, "refs/heads/", 11) ? ref + 11 : NULL;
		h.after = str_at(v, "after", NULL, NULL);
		if (ref && !h.branch) { /* a tag: nothing to do */
			h.event = "push (tag)";
		}
	}
	if (strcmp(h.event, "pull_request") && strcmp(h.event, "push")) {
		value top = v_dict(&r->a, 2);
		vdict_sets(top.dict, "event", v_cstr(h.event));
		vdict_sets(top.dict, "ignored", v_bool(true));
		reply_json(r, 202, top);
		return;
	}
	handle(r, &h);
}

void serve_webhook_generic(struct req *r)
{
	value v = signed_body(r, "X-Silt-Signature-256");
	if (v.type == VT_UNDEF)
		return;
	struct hook h = { .event = str_at(v, "event", NULL, NULL), .action = str_at(v, "action", NULL, NULL),
		          .pr = num_at(r, v, "pr"), .sha = str_at(v, "sha", NULL, NULL),
		          .base = str_at(v, "base_branch", NULL, NULL),
		          .head = str_at(v, "head_branch", NULL, NULL),
		          .branch = str_at(v, "branch", NULL, NULL), .after = str_at(v, "sha", NULL, NULL) };
	if (!h.event || (strcmp(h.event, "pull_request") && strcmp(h.event, "push"))) {
		reply_error(r, 400, "invalid_body", "event must be pull_request or push");
		return;
	}
	handle(r, &h);
}
