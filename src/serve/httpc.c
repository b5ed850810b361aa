/* A small HTTP/1.1 client for webhooks out: one POST, `Connection: close`, http:// or https://
 * (OpenSSL, the system's trust store, the host name checked), with a timeout. Only the status
 * code of the answer matters. */
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve_int.h"

static int connect_to(const char *host, const char *port, int timeout_ms, struct buf *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		buf_printf(err, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		buf_printf(err, "cannot connect to %s:%s", host, port);
	return fd;
}

int http_post(const char *url, const char *const *headers, const char *body, size_t len,
              int timeout_ms, int *code, struct buf *err)
{
	*code = 0;
	bool tls = !strncmp(url, "https://", 8);
	if (!tls && strncmp(url, "http://", 7)) {
		buf_printf(err, "not an http:// or https:// address: %s", url);
		return -1;
	}
	const char *h = url + (tls ? 8 : 7);
	size_t hl = strcspn(h, "/");
	char hostport[256], host[256], port[16];
	if (hl == 0 || hl >= sizeof(hostport)) {
		buf_printf(err, "bad address: %s", url);
		return -1;
	}
	memcpy(hostport, h, hl);
	hostport[hl] = 0;
	const char *path = h[hl] ? h + hl : "/";
	char *colon = strrchr(hostport, ':');
	if (colon && !strchr(colon, ']')) {
		snprintf(port, sizeof(port), "%s", colon + 1);
		*colon = 0;
	} else {
		snprintf(port, sizeof(port), "%s", tls ? "443" : "80");
	}
	snprintf(host, sizeof(host), "%s", hostport[0] == '[' ? hostport + 1 : hostport);
	host[strcspn(host, "]")] = 0;
	int fd = connect_to(host, port, timeout_ms, err);
	if (fd < 0)
		return -1;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	if (tls) {
		ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_default_verify_paths(ctx);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
		if (SSL_connect(ssl) != 1) {
			buf_printf(err, "TLS with %s failed: %s", host, ERR_reason_error_string(ERR_get_error()));
			SSL_free(ssl);
			SSL_CTX_free(ctx);
			close(fd);
			return -1;
		}
	}
	struct buf req = BUF_INIT;
	buf_printf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\nConnection: close\r\n",
	           path, hostport, len);
	for (size_t i = 0; headers && headers[i]; i++)
		buf_printf(&req, "%s\r\n", headers[i]);
	buf_puts(&req, "\r\n");
	buf_append(&req, body, len);
	size_t sent = 0;
	int rc = 0;
	while (sent < req.n) {
		ssize_t w = tls ? SSL_write(ssl, req.p + sent, (int)(req.n - sent))
		                : write(fd, req.p + sent, req.n - sent);
		if (w <= 0) {
			buf_printf(err, "sending to %s failed", host);
			rc = -1;
			break;
		}
		sent += (size_t)w;
	}
	char status[64] = { 0 };
	size_t got = 0;
	while (rc == 0 && got < sizeof(status) - 1 && !memchr(status, '\n', got)) {
		ssize_t r = tls ? SSL_read(ssl, status + got, (int)(sizeof(status) - 1 - got))
		                : read(fd, status + got, sizeof(status) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (rc == 0 && (sscanf(status, "HTTP/%*s %d", code) != 1 || *code < 100)) {
		buf_printf(err, "no HTTP answer from %s", host);
		rc = -1;
	}
	buf_release(&req);
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
		SSL_CTX_free(ctx);
	}
	close(fd);
	return rc;
}
