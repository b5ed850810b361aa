/* The store on PostgreSQL (store_int.h, "The PostgreSQL side"): a postgres:// URL, connected
 * through libpq (loaded when first used, adapter/libpq.c), the session's settings, and the URL
 * as shown in messages (without its password). Statements are in stmt.c. */
#include <libpq-fe.h>

#include "store_int.h"

bool store_is_pg_url(const char *locator)
{
	return locator && (!strncmp(locator, "postgres://", 11) || !strncmp(locator, "postgresql://", 13));
}

char *store_pg_display(const char *url)
{
	struct buf b = BUF_INIT;
	const char *p = strstr(url, "://");
	if (!p) {
		buf_puts(&b, url);
		return buf_detach(&b, NULL);
	}
	p += 3;
	buf_append(&b, url, (size_t)(p - url));
	/* user:password@ -> user@ */
	const char *end = p + strcspn(p, "/?#");
	const char *at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		buf_append(&b, p, (size_t)((colon ? colon : at) - p));
		p = at;
	}
	/* the rest, without a password=... parameter */
	const char *query = strchr(p, '?');
	if (!query) {
		buf_puts(&b, p);
		return buf_detach(&b, NULL);
	}
	buf_append(&b, p, (size_t)(query - p));
	char sep = '?';
	for (const char *q = query + 1; *q;) {
		size_t n = strcspn(q, "&");
		if (!(n >= 9 && !strncmp(q, "password=", 9))) {
			buf_putc(&b, sep);
			buf_append(&b, q, n);
			sep = '&';
		}
		q += n;
		if (*q == '&')
			q++;
	}
	return buf_detach(&b, NULL);
}

static void quiet(void *arg, const PGresult *r)
{
	(void)arg;
	(void)r;
}

int store_pg_connect(struct store *s, struct diag *d)
{
	/* the URL's own settings override these defaults (they come first) */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", "silt", s->url, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		struct buf m = BUF_INIT;
		const char *e = c ? PQerrorMessage(c) : "out of memory";
		/* libpq's message spans lines; one line, without the trailing newline */
		for (const char *p = e; *p; p++)
			if (*p == '\n') {
				while (p[1] == '\t' || p[1] == ' ')
					p++;
				if (p[1])
					buf_puts(&m, "; ");
			} else {
				buf_putc(&m, *p);
			}
		serr(d, "%s: cannot connect to the PostgreSQL store: %s", s->path, buf_cstr(&m));
		buf_release(&m);
		if (c)
			PQfinish(c);
		return -1;
	}
	s->pg = (struct pg_conn *)c;
	PQsetNoticeReceiver(c, quiet, NULL);
	char sql[200];
	snprintf(sql, sizeof(sql),
	         "SET lock_timeout = %d; SET client_min_messages = warning; SET TIME ZONE 'UTC'",
	         s->busy_ms);
	if (store_pg_exec(s, sql) < 0) {
		st_error(s, d, "setting the session up");
		return -1;
	}
	return 0;
}

void store_pg_close(struct store *s)
{
	if (s->pg)
		PQfinish((PGconn *)s->pg);
	s->pg = NULL;
}
