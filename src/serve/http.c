/* The HTTP layer of `silt serve`: libmicrohttpd underneath, routing by method and path, request
 * bodies with a size limit, JSON replies and errors in one shape, cursor pagination, and one
 * store connection per worker thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "serve_int.h"
#include "json/json.h"

struct serve {
	const struct serve_opts *o;
	size_t max_body;
};

/* Each connection has a thread of its own (a request may wait, as a log stream does); the
 * thread opens its store connection on first use and closes it when it ends. */
static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;

static void close_thread_store(void *s) { store_close(s); }
static void make_store_key(void) { pthread_key_create(&store_key, close_thread_store); }

static struct store *thread_store_get(struct serve *srv, struct diag *d)
{
	pthread_once(&store_key_once, make_store_key);
	struct store *s = pthread_getspecific(store_key);
	if (s)
		return s;
	s = store_open(srv->o->store_path, NULL, d);
	if (s)
		pthread_setspecific(store_key, s);
	return s;
}

/* ---- request helpers ---- */

const char *req_param(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nparams; i++)
		if (!strcmp(r->param_names[i], name))
			return r->param_values[i];
	return NULL;
}

const char *req_header(const struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_query(const struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void reply_text(struct req *r, int status, const char *type, const char *p, size_t n)
{
	r->status = status;
	r->content_type = type;
	buf_reset(&r->out);
	buf_append(&r->out, p, n);
}

static void reply_json_indent(struct req *r, int status, value v, int indent)
{
	struct buf b = BUF_INIT;
	struct json_opts o = JSON_OPTS_INIT;
	o.indent = indent;
	o.ensure_ascii = false;
	o.allow_nan = false;
	if (json_write(&b, v, &o) < 0) {
		buf_release(&b);
		reply_error(r, 500, "internal", "the reply could not be written as JSON");
		return;
	}
	buf_putc(&b, '\n');
	reply_text(r, status, "application/json", b.p, b.n);
	buf_release(&b);
}

void reply_json(struct req *r, int status, value v) { reply_json_indent(r, status, v, 2); }
void reply_json_compact(struct req *r, int status, value v) { reply_json_indent(r, status, v, -1); }

void reply_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	char tmp[1024];
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_puts(&m, tmp);
	value e = v_dict(&r->a, 3), top = v_dict(&r->a, 1);
	vdict_sets(e.dict, "status", v_int(status));
	vdict_sets(e.dict, "code", v_cstr(code));
	vdict_sets(e.dict, "message", v_buf(&r->a, &m));
	vdict_sets(top.dict, "error", e);
	buf_release(&m);
	struct buf b = BUF_INIT;
	struct json_opts o = JSON_OPTS_INIT;
	o.indent = 2;
	o.ensure_ascii = false;
	json_write(&b, top, &o);
	buf_putc(&b, '\n');
	reply_text(r, status, "application/json", b.p, b.n);
	buf_release(&b);
}

void reply_diag(struct req *r, const struct diag *d)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->msgs.n; i++) {
		if (i)
			buf_puts(&b, "; ");
		diag_format_msg(&d->msgs.v[i], &b);
	}
	const char *m = b.n ? buf_cstr(&b) : "the store failed";
	int status = 500;
	const char *code = "internal";
	if (strstr(m, "no environment") || strstr(m, "no job") || strstr(m, "no run") ||
	    strstr(m, "not found") || strstr(m, "unknown")) {
		status = 404;
		code = "not_found";
	} else if (strstr(m, "already") || strstr(m, "in use") || strstr(m, "has jobs") ||
	           strstr(m, "there is already")) {
		status = 409;
		code = "conflict";
	} else if (strstr(m, "must") || strstr(m, "expected") || strstr(m, "invalid") ||
	           strstr(m, ": use ") || strstr(m, "cannot")) {
		status = 400;
		code = "bad_request";
	} else if (strstr(m, "locked") || strstr(m, "busy")) {
		status = 503;
		code = "busy";
	}
	reply_error(r, status, code, "%s", m);
	buf_release(&b);
}

bool req_int(struct req *r, const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
	const char *s = req_query(r, name);
	*out = def;
	if (!s)
		return true;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		reply_error(r, 400, "bad_request", "query parameter '%s' must be an integer from %lld to %lld",
		            name, (long long)lo, (long long)hi);
		return false;
	}
	*out = v;
	return true;
}

value req_body(struct req *r, const struct route *rt, bool *ok)
{
	*ok = false;
	value v;
	struct diag d;
	diag_init(&d);
	if (json_parse(&r->a, "body", r->body.p ? r->body.p : "", r->body.n, &v, &d) < 0) {
		struct buf b = BUF_INIT;
		if (d.msgs.n)
			diag_format_msg(&d.msgs.v[0], &b);
		reply_error(r, 400, "invalid_json", "the request body is not valid JSON: %s",
		            b.n ? buf_cstr(&b) : "empty");
		buf_release(&b);
		diag_release(&d);
		return v_undef();
	}
	diag_release(&d);
	if (v.type != VT_DICT) {
		reply_error(r, 400, "invalid_body", "the request body must be a JSON object");
		return v_undef();
	}
	for (uint32_t i = 0; i < v.dict->n; i++) {
		const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
		if (e->k.type != VT_STR)
			continue;
		const struct route_field *f = rt->body;
		while (f && f->name && (strlen(f->name) != e->k.len || memcmp(f->name, e->k.s, e->k.len)))
			f++;
		if (!f || !f->name) {
			struct buf names = BUF_INIT;
			for (f = rt->body; f && f->name; f++)
				buf_printf(&names, "%s%s", names.n ? ", " : "", f->name);
			reply_error(r, 400, "unknown_field", "unknown field '%.*s' (expected: %s)",
			            (int)e->k.len, e->k.s, names.n ? buf_cstr(&names) : "none");
			buf_release(&names);
			return v_undef();
		}
		bool typed = e->v.type == VT_NONE || !strcmp(f->type, "object") ||
		             (!strcmp(f->type, "string") && e->v.type == VT_STR) ||
		             (!strcmp(f->type, "integer") && e->v.type == VT_INT) ||
		             (!strcmp(f->type, "boolean") && e->v.type == VT_BOOL) ||
		             (!strcmp(f->type, "array") && e->v.type == VT_LIST);
		if (!typed) {
			reply_error(r, 400, "invalid_field", "field '%s' must be %s %s", f->name,
			            f->type[0] == 'i' || f->type[0] == 'a' ? "an" : "a", f->type);
			return v_undef();
		}
	}
	*ok = true;
	return v;
}

bool reply_failed(struct req *r, int rc, struct diag *d)
{
	if (rc < 0)
		reply_diag(r, d);
	diag_release(d);
	return rc < 0;
}

struct page page_new(struct req *r, size_t cap)
{
	struct page pg = { v_list(&r->a, (uint32_t)cap), arena_alloc(&r->a, (cap + 1) * sizeof(char *)) };
	return pg;
}

void page_add(struct req *r, struct page *pg, int64_t id, value item)
{
	page_add_key(r, pg, arena_printf(&r->a, "%lld", (long long)id), item);
}

void page_add_key(struct req *r, struct page *pg, const char *key, value item)
{
	(void)r;
	pg->keys[pg->items.list->n] = key;
	vlist_push(pg->items.list, item);
}

void reply_page(struct req *r, const struct page *pg)
{
	value items = pg->items;
	const char *const *keys = pg->keys;
	int64_t limit;
	if (!req_int(r, "limit", 1, SERVE_PAGE_MAX, SERVE_PAGE_DEFAULT, &limit))
		return;
	const char *cursor = req_query(r, "cursor");
	uint32_t n = items.type == VT_LIST ? items.list->n : 0, start = 0;
	if (cursor) {
		while (start < n && strcmp(keys[start], cursor))
			start++;
		if (start == n) {
			reply_error(r, 400, "bad_cursor",
			            "cursor '%s' is not one this list gave (it may have been deleted)", cursor);
			return;
		}
		start++;
	}
	uint32_t end = n - start > (uint32_t)limit ? start + (uint32_t)limit : n;
	value page = v_list(&r->a, end - start), top = v_dict(&r->a, 2);
	for (uint32_t i = start; i < end; i++)
		vlist_push(page.list, items.list->v[i]);
	vdict_sets(top.dict, "data", page);
	vdict_sets(top.dict, "next_cursor", end < n ? v_cstr(keys[end - 1]) : v_none());
	reply_json(r, 200, top);
}

/* ---- routing ---- */

/* Whether path matches pattern; fills r's parameters (copied into r->a). */
static bool match(struct req *r, const char *pattern, const char *path)
{
	r->nparams = 0;
	const char *p = pattern, *s = path;
	while (*p) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			bool rest = close[-1] == '*';
			const char *name = arena_strndup(&r->a, p + 1, (size_t)(close - p - 1 - rest));
			size_t n = rest ? strlen(s) : strcspn(s, "/");
			if (n == 0 || r->nparams == SERVE_MAX_PARAMS)
				return false;
			char *val = arena_strndup(&r->a, s, n);
			/* percent-decoding of the segment */
			size_t k = 0;
			for (size_t i = 0; i < n; i++) {
				unsigned hi, lo;
				if (val[i] == '%' && i + 2 < n + 1 && sscanf(val + i + 1, "%1x%1x", &hi, &lo) == 2) {
					val[k++] = (char)(hi << 4 | lo);
					i += 2;
				} else {
					val[k++] = val[i];
				}
			}
			val[k] = 0;
			r->param_names[r->nparams] = name;
			r->param_values[r->nparams++] = val;
			s += n;
			p = close + 1;
		} else if (*p++ != *s++) {
			return false;
		}
	}
	return *s == 0;
}

/* Whether the request's bearer token may use the route; replies 401/403 when not. */
static bool authorized(struct req *r, const struct route *rt)
{
	if (!strcmp(rt->scope, "public"))
		return true;
	int need = store_scope_parse(rt->scope);
	if (need == STORE_SCOPE_METADATA_READ && r->srv->o->read_without_token)
		return true;
	const char *h = req_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) || !h[7]) {
		reply_error(r, 401, "unauthorized",
		            "this route needs a service token with scope %s: send 'Authorization: Bearer "
		            "<token>' (make one with silt token create)",
		            rt->scope);
		return false;
	}
	struct diag d;
	diag_init(&d);
	int rc = store_token_check(r->store, h + 7, (unsigned)need, &r->token_name, &r->a, &d);
	if (rc < 0)
		reply_diag(r, &d);
	else if (rc == STORE_TOKEN_UNKNOWN)
		reply_error(r, 401, "unauthorized", "the token is not one of this server's");
	else if (rc == STORE_TOKEN_REVOKED)
		reply_error(r, 401, "unauthorized", "token '%s' was revoked", r->token_name);
	else if (rc == STORE_TOKEN_SCOPE)
		reply_error(r, 403, "forbidden", "token '%s' lacks scope %s for %s %s", r->token_name,
		            rt->scope, r->method, r->path);
	diag_release(&d);
	return rc == STORE_TOKEN_OK;
}

static void dispatch(struct req *r)
{
	bool path_known = false;
	for (size_t i = 0; i < serve_nroutes; i++) {
		const struct route *rt = &serve_routes[i];
		if (!match(r, rt->pattern, r->path))
			continue;
		path_known = true;
		if (strcmp(rt->method, r->method))
			continue;
		if (r->body_too_big) {
			reply_error(r, 413, "body_too_large", "the request body is larger than %zu bytes",
			            r->srv->max_body);
			return;
		}
		struct diag d;
		diag_init(&d);
		r->store = thread_store_get(r->srv, &d);
		if (!r->store) {
			reply_diag(r, &d);
			diag_release(&d);
			return;
		}
		diag_release(&d);
		if (!authorized(r, rt))
			return;
		rt->fn(r);
		return;
	}
	if (path_known)
		reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method, r->path);
	else
		reply_error(r, 404, "not_found", "no route %s %s (see /api/openapi.json)", r->method,
		            r->path);
}

/* ---- libmicrohttpd glue ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct serve *srv = cls;
	struct req *r = *con_cls;
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		arena_init(&r->a);
		r->srv = srv;
		r->conn = conn;
		r->method = arena_strndup(&r->a, method, strlen(method));
		r->path = arena_strndup(&r->a, url, strlen(url));
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > srv->max_body)
			r->body_too_big = true;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->body_too_big && r->body.n + *upload_data_size <= srv->max_body)
			buf_append(&r->body, upload_data, *upload_data_size);
		else
			r->body_too_big = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	dispatch(r);
	struct MHD_Response *resp =
	    r->stream_read
	        ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, r->stream_read,
	                                            r->stream_state, r->stream_free)
	        : MHD_create_response_from_buffer(r->out.n, r->out.p ? r->out.p : (void *)"",
	                                          MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct req *r = *con_cls;
	if (!r)
		return;
	buf_release(&r->body);
	buf_release(&r->out);
	arena_release(&r->a);
	free(r);
	*con_cls = NULL;
}

int serve_run(const struct serve_opts *o, volatile sig_atomic_t *stop, struct diag *d)
{
	struct serve srv = { .o = o, .max_body = o->max_body ? o->max_body : 1 << 20 };
	/* the store must open before the socket does, so a bad store is an error at start */
	struct store *first = store_open(o->store_path, NULL, d);
	if (!first)
		return -1;
	store_close(first);

	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
	const char *host = o->host ? o->host : "127.0.0.1";
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "--host '%s' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)", host);
		return -1;
	}
	struct MHD_Daemon *daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
	        MHD_USE_ERROR_LOG,
	    (uint16_t)o->port, NULL, NULL, on_request, &srv, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->threads > 0 ? o->threads * 64 : 256),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!daemon) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "cannot listen on %s:%d (is another server using the port?)", host, o->port);
		return -1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	int port = info ? info->port : o->port;
	char url[128];
	snprintf(url, sizeof(url), "http://%s:%d", host, port);
	struct background *bg = background_start(o, d);
	if (!bg) {
		MHD_stop_daemon(daemon);
		return -1;
	}
	if (o->on_ready)
		o->on_ready(url, o->ud);
	while (!*stop) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(daemon);
	background_stop(bg);
	serve_discovery_release();
	return 0;
}
