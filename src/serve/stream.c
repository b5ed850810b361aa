/* GET /api/v1/runs/{run_id}/logs/stream: a run's progress as Server-Sent Events, for a browser's
 * EventSource or `curl -N`. Each step's log text is sent as it reaches the store (steps stream
 * their output into it line by line, see cli/cmd_job.c), with the step and run statuses as they
 * change:
 *
 *   event: step   data: {"position": 1, "command": "silt build", "status": "running"}
 *   event: log    data: {"position": 1, "text": "12:00:00  1 of 7 START sql view model ..."}
 *   event: run    data: {"id": 7, "status": "success", "message": null}   (then the stream ends)
 *
 * Each connection has its own thread (http.c), so the reader may wait: it polls the store
 * every 250 ms and sends a comment line every 15 s so proxies keep the connection open. */
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>

#include "serve_int.h"
#include "json/json.h"

struct stream {
	struct serve *srv;
	struct store *store; /* the connection thread's */
	int64_t run_id;
	struct buf pending; /* events made but not yet sent */
	size_t sent;        /* bytes of pending already sent */
	VEC(size_t) log_sent;                /* per step position (1-based): log bytes sent */
	VEC(enum store_status) step_status;  /* per step position: the status last sent */
	bool done;
	double quiet_since;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void event(struct stream *st, const char *name, value data)
{
	struct buf b = BUF_INIT;
	json_write(&b, data, NULL);
	buf_printf(&st->pending, "event: %s\ndata: %s\n\n", name, buf_cstr(&b));
	buf_release(&b);
}

/* Reads the run and its steps; adds the events for what changed. */
static void poll_run(struct stream *st)
{
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	struct store_run run;
	struct store_step *steps;
	size_t n;
	if (store_run_get(st->store, st->run_id, &a, &run, &d) < 0 ||
	    store_step_list(st->store, st->run_id, &a, &steps, &n, &d) < 0) {
		value e = v_dict(&a, 1);
		vdict_sets(e.dict, "message", v_cstr("the run could not be read"));
		event(st, "error", e);
		st->done = true;
		goto out;
	}
	while (st->log_sent.n < n) {
		vec_push(&st->log_sent, 0);
		vec_push(&st->step_status, (enum store_status)-1);
	}
	for (size_t i = 0; i < n; i++) {
		if (st->step_status.v[i] != steps[i].status) {
			st->step_status.v[i] = steps[i].status;
			value e = v_dict(&a, 3);
			vdict_sets(e.dict, "position", v_int(steps[i].position));
			vdict_sets(e.dict, "command", v_cstr(steps[i].command));
			vdict_sets(e.dict, "status", v_cstr(store_status_name(steps[i].status)));
			event(st, "step", e);
		}
		size_t len = steps[i].logs ? strlen(steps[i].logs) : 0;
		if (len > st->log_sent.v[i]) {
			value e = v_dict(&a, 2);
			vdict_sets(e.dict, "position", v_int(steps[i].position));
			vdict_sets(e.dict, "text", v_str(steps[i].logs + st->log_sent.v[i], len - st->log_sent.v[i]));
			event(st, "log", e);
			st->log_sent.v[i] = len;
		}
	}
	if (run.status != SST_QUEUED && run.status != SST_RUNNING) {
		value e = v_dict(&a, 3);
		vdict_sets(e.dict, "id", v_int(run.id));
		vdict_sets(e.dict, "status", v_cstr(store_status_name(run.status)));
		vdict_sets(e.dict, "message", run.message ? v_cstr(run.message) : v_none());
		event(st, "run", e);
		st->done = true;
	}
out:
	diag_release(&d);
	arena_release(&a);
}

static ssize_t stream_read(void *state, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *st = state;
	while (st->sent == st->pending.n) {
		buf_reset(&st->pending);
		st->sent = 0;
		if (st->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		poll_run(st);
		if (st->pending.n) {
			st->quiet_since = now_s();
			break;
		}
		if (now_s() - st->quiet_since > 15) {
			buf_puts(&st->pending, ": still running\n\n");
			st->quiet_since = now_s();
			break;
		}
		struct timespec ts = { 0, 250 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	size_t n = st->pending.n - st->sent < max ? st->pending.n - st->sent : max;
	memcpy(buf, st->pending.p + st->sent, n);
	st->sent += n;
	return (ssize_t)n;
}

static void stream_free(void *state)
{
	struct stream *st = state;
	buf_release(&st->pending);
	vec_free(&st->log_sent);
	vec_free(&st->step_status);
	free(st);
}

void serve_run_log_stream(struct req *r)
{
	const char *id = req_param(r, "run_id");
	char *end;
	long long run_id = strtoll(id, &end, 10);
	if (*end || run_id <= 0) {
		reply_error(r, 400, "bad_request", "'run_id' must be a positive integer id, not '%s'", id);
		return;
	}
	struct store_run run;
	struct diag d;
	diag_init(&d);
	if (reply_failed(r, store_run_get(r->store, run_id, &r->a, &run, &d), &d))
		return;
	struct stream *st = xcalloc(1, sizeof(*st));
	st->srv = r->srv;
	st->store = r->store;
	st->run_id = run_id;
	st->quiet_since = now_s();
	r->status = 200;
	r->content_type = "text/event-stream";
	r->stream_read = stream_read;
	r->stream_state = st;
	r->stream_free = stream_free;
}
