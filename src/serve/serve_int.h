/* serve internals: the request, the route table and the reply helpers that http.c gives the
 * handlers of routes.c, and the OpenAPI document built from the table (openapi.c). */
#ifndef SILT_SERVE_INT_H
#define SILT_SERVE_INT_H
#include <sys/types.h>

#include "serve.h"
#include "../store/store.h"
#include "../value/value.h"

#define SERVE_MAX_PARAMS 4
#define SERVE_PAGE_MAX 500
#define SERVE_PAGE_DEFAULT 100

struct serve;

struct req {
	struct serve *srv;
	void *conn; /* struct MHD_Connection */
	const char *method, *path;
	struct arena a; /* everything of this request */
	struct buf body;
	bool body_too_big;
	const char *param_names[SERVE_MAX_PARAMS], *param_values[SERVE_MAX_PARAMS];
	int nparams;
	struct store *store; /* this thread's connection */
	const char *token_name; /* who asked (NULL: no token needed) */
	/* the reply */
	int status;
	const char *content_type;
	struct buf out;
	/* or a stream (Server-Sent Events): read fills buf with up to max bytes, blocking until it
	 * has some; it returns their count, or (ssize_t)-1 at the end; free releases state */
	ssize_t (*stream_read)(void *state, uint64_t pos, char *buf, size_t max);
	void *stream_state;
	void (*stream_free)(void *state);
};

typedef void (*route_fn)(struct req *r);

/* A documented parameter or body field. */
struct route_field {
	const char *name, *type, *doc; /* type: "string", "integer", "boolean", "object" */
};

struct route {
	const char *method;  /* "GET", "POST", "PATCH", "DELETE" */
	const char *pattern; /* "/api/v1/runs/{run_id}"; a last `{path*}` takes the rest */
	const char *scope;   /* "public", "metadata:read", "job:run", "admin": the token it needs */
	const char *summary;
	route_fn fn;
	const struct route_field *query; /* NULL-name terminated, or NULL */
	const struct route_field *body;  /* fields a JSON body may have; NULL: no body */
	bool paged;                      /* takes limit/cursor and answers {data, next_cursor} */
	const char *produces;            /* NULL: application/json */
};

extern const struct route serve_routes[];
extern const size_t serve_nroutes;

/* ---- helpers for handlers (http.c) ---- */
const char *req_param(const struct req *r, const char *name);  /* a path parameter */
const char *req_query(const struct req *r, const char *name);  /* a query argument, or NULL */
const char *req_header(const struct req *r, const char *name); /* a request header, or NULL */
/* The JSON body as a dict with only the route's fields; NULL after replying 400. */
value req_body(struct req *r, const struct route *rt, bool *ok);
/* A query integer in [lo, hi], or def when absent; false after replying 400. */
bool req_int(struct req *r, const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *out);

void reply_json(struct req *r, int status, value v);
void reply_json_compact(struct req *r, int status, value v); /* one line: large replies */
void reply_text(struct req *r, int status, const char *type, const char *p, size_t n);
/* {"error": {"status": S, "code": CODE, "message": M}} */
void reply_error(struct req *r, int status, const char *code, const char *fmt, ...) SILT_PRINTF(4, 5);
/* A store error: 404 when it says "no ... named"/"not found", 409 for conflicts, else 500. */
void reply_diag(struct req *r, const struct diag *d);
/* Replies from the store's error when rc < 0; releases d either way. True when it replied. */
bool reply_failed(struct req *r, int rc, struct diag *d);

/* A list answered as a page: page_add each item with its cursor key (its id), then reply_page
 * replies {"data": [...], "next_cursor": C}; the request's cursor is the key of the last item
 * already seen. */
struct page {
	value items;
	const char **keys;
};
struct page page_new(struct req *r, size_t cap);
void page_add(struct req *r, struct page *pg, int64_t id, value item);
void page_add_key(struct req *r, struct page *pg, const char *key, value item); /* key borrowed */
void reply_page(struct req *r, const struct page *pg);

/* ---- background.c: the scheduler thread and the worker processes ---- */
struct background;
struct background *background_start(const struct serve_opts *o, struct diag *d);
void background_stop(struct background *bg);

/* ---- discovery.c ---- */
void serve_env_nodes(struct req *r);
void serve_env_node(struct req *r);
void serve_env_node_history(struct req *r);
void serve_env_lineage(struct req *r);
void serve_env_changes(struct req *r);
void serve_env_state(struct req *r);
void serve_env_compare(struct req *r);
void serve_env_freshness(struct req *r);
void serve_discovery_release(void); /* the loaded definition states, when the server stops */

/* ---- httpc.c: one POST (http:// or https://); *code the answer's status ---- */
int http_post(const char *url, const char *const *headers, const char *body, size_t len,
              int timeout_ms, int *code, struct buf *err);

/* ---- stream.c: a run's logs as Server-Sent Events ---- */
void serve_run_log_stream(struct req *r);

/* ---- assets.c: the Explorer's embedded files ---- */
void serve_ui_index(struct req *r);
void serve_ui_file(struct req *r);

/* ---- webhooks.c ---- */
void serve_webhook_github(struct req *r);
void serve_webhook_generic(struct req *r);

/* ---- openapi.c ---- */
value serve_openapi(struct arena *a);

#endif
