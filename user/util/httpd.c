// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include "util/httpd.h"
#include "util/webcfg.h"

#define MAX_CONNS	512		/* more than a flood of silent clients a scrape must outlast */
#define MEMORY_LIMIT	16384		/* request line and headers (and the response head) */
#define IDLE_TIMEOUT_S	5		/* a connection quiet this long is closed */

/* An immutable copy of the exposition, shared by the responses sending it. */
struct blob {
	int refs;			/* atomic */
	size_t len;
	char data[];
};

struct httpd {
	int lfd;			/* until the daemon owns it */
	char addr[INET6_ADDRSTRLEN + 16];
	bool loopback;
	struct MHD_Daemon *d;
	struct webcfg *wc;		/* not owned */
	pthread_mutex_t lock;		/* guards cur */
	struct blob *cur;
};

static const char index_page[] =
	"<html><head><title>goscope</title></head><body><h1>goscope</h1>"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

/* ---- the listening socket ---- */

/* Split "host:port" / "[v6]:port"; host may be empty (all addresses). */
static int split_listen(const char *s, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon, *h = s, *hend;
	char *end;
	unsigned long p;

	if (*s == '[') {
		hend = strchr(s, ']');
		if (!hend || hend[1] != ':')
			return -1;
		h = s + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -1;	/* an IPv6 address needs its brackets */
		hend = colon;
	}
	if ((size_t)(hend - h) >= hlen || strlen(colon + 1) >= plen || !colon[1])
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (*end || errno || p > 65535 || colon[1] < '0' || colon[1] > '9')
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = 0;
	snprintf(port, plen, "%lu", p);
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static void describe_bound(struct httpd *h)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getsockname(h->lfd, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		port = ntohs(in->sin_port);
		snprintf(h->addr, sizeof(h->addr), "%s:%d", ip, port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		port = ntohs(in6->sin6_port);
		snprintf(h->addr, sizeof(h->addr), "[%s]:%d", ip, port);
	}
	h->loopback = is_loopback(&ss);
}

static int bind_listen(struct httpd *h, const char *listen_arg, struct gs_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST };
	struct addrinfo *res = NULL;
	char host[256], port[8];
	int rc, one = 1;

	if (split_listen(listen_arg, host, sizeof(host), port, sizeof(port)))
		return gs_fail(err, GS_EXIT_USAGE,
			       "invalid --listen '%s': want ADDRESS:PORT, e.g. 127.0.0.1:9464 or [::1]:9464",
			       listen_arg);
	/* Numeric addresses only: an exporter's address should not depend on DNS. */
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (rc)
		return gs_fail(err, GS_EXIT_USAGE, "invalid --listen '%s': %s", listen_arg,
			       gai_strerror(rc));
	h->lfd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0) {
		rc = errno;
		freeaddrinfo(res);
		return gs_fail(err, GS_EXIT_ERROR, "cannot listen on %s: %s", listen_arg,
			       strerror(rc));
	}
	/* Restarting goscope must not wait out TIME_WAIT; a live listener still fails the bind. */
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, res->ai_addr, res->ai_addrlen) || listen(h->lfd, 128)) {
		rc = errno;
		freeaddrinfo(res);
		return gs_fail(err, GS_EXIT_ERROR, "cannot listen on %s: %s%s", listen_arg,
			       strerror(rc), rc == EADDRINUSE ?
			       " (another exporter? choose a port with --listen)" : "");
	}
	freeaddrinfo(res);
	describe_bound(h);
	return 0;
}

struct httpd *httpd__new(const char *listen_arg, struct gs_err *err)
{
	struct httpd *h = calloc(1, sizeof(*h));

	if (!h) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	h->lfd = -1;
	pthread_mutex_init(&h->lock, NULL);
	if (bind_listen(h, listen_arg, err)) {
		httpd__free(h);
		return NULL;
	}
	return h;
}

const char *httpd__address(const struct httpd *h)
{
	return h->addr;
}

bool httpd__loopback(const struct httpd *h)
{
	return h->loopback;
}

bool httpd__tls(const struct httpd *h)
{
	return h->wc && h->wc->tls;
}

/* ---- the shared text ---- */

static void blob_put(struct blob *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(b);
}

static struct blob *blob_get_current(struct httpd *h)
{
	struct blob *b;

	pthread_mutex_lock(&h->lock);
	b = h->cur;
	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&h->lock);
	return b;
}

static void blob_release(void *b)
{
	blob_put(b);
}

int httpd__publish(struct httpd *h, const char *text, size_t len)
{
	struct blob *b = malloc(sizeof(*b) + len), *old;

	if (!b)
		return -ENOMEM;
	b->refs = 1;
	b->len = len;
	memcpy(b->data, text, len);
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = b;
	pthread_mutex_unlock(&h->lock);
	blob_put(old);
	return 0;
}

/* ---- requests ---- */

static struct MHD_Response *text_response(const char *text, const char *ctype)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								  MHD_RESPMEM_PERSISTENT);

	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	return r;
}

static struct MHD_Response *metrics_response(struct httpd *h)
{
	struct blob *b = blob_get_current(h);
	struct MHD_Response *r;

	if (!b)
		return text_response("", "text/plain; version=0.0.4; charset=utf-8");
	r = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data, blob_release, b);
	if (!r) {
		blob_put(b);
		return NULL;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	return r;
}

/* Basic authentication, when the web config lists users: every path needs it. */
static bool authorized(struct httpd *h, struct MHD_Connection *conn)
{
	char *pass = NULL, *user;
	bool ok;

	if (!h->wc || !h->wc->nusers)
		return true;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user && pass && webcfg__authorized(h->wc, user, pass);
	if (pass)
		memset(pass, 0, strlen(pass));
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result send_response(struct httpd *h, struct MHD_Connection *conn, unsigned int status,
				     struct MHD_Response *r, bool auth_fail)
{
	enum MHD_Result rc;
	size_t i;

	if (!r)
		return MHD_NO;		/* out of memory: drop the connection */
	for (i = 0; h->wc && i < h->wc->nheaders; i++)
		MHD_add_response_header(r, h->wc->headers[i].name, h->wc->headers[i].value);
	if (auth_fail)
		rc = MHD_queue_basic_auth_fail_response(conn, "goscope", r);
	else
		rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/*
 * VerifyClientCertIfGiven: a certificate the client chose to send must verify against the
 * client CA; one that does not costs the client its connection, before any answer.
 */
static bool peer_ok(struct httpd *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;
	unsigned int n = 0, status = 0;

	if (!httpd__tls(h) || h->wc->client_auth != WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN)
		return true;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return false;
	s = (gnutls_session_t)ci->tls_session;
	if (!gnutls_certificate_get_peers(s, &n) || !n)
		return true;
	return gnutls_certificate_verify_peers2(s, &status) == 0 && status == 0;
}

/* Called when a request's head has arrived: answer at once (a body, if any, is not read). */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req)
{
	struct httpd *h = cls;
	struct MHD_Response *r;

	if (!peer_ok(h, conn)) {
		log_debug("http: a client certificate did not verify; connection closed");
		return MHD_NO;
	}
	if (!authorized(h, conn))
		return send_response(h, conn, MHD_HTTP_UNAUTHORIZED,
				     text_response("Unauthorized\n", "text/plain; charset=utf-8"),
				     true);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		r = text_response("Method Not Allowed\n", "text/plain; charset=utf-8");
		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return send_response(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, r, false);
	}
	if (!strcmp(url, "/metrics"))
		return send_response(h, conn, MHD_HTTP_OK, metrics_response(h), false);
	if (!strcmp(url, "/"))
		return send_response(h, conn, MHD_HTTP_OK,
				     text_response(index_page, "text/html; charset=utf-8"), false);
	return send_response(h, conn, MHD_HTTP_NOT_FOUND,
			     text_response("Not Found\n", "text/plain; charset=utf-8"), false);
}

/*
 * Client certificates are asked for, required and verified in the TLS handshake itself, as Go's
 * tls.ClientAuthType does: a client without an acceptable certificate never gets to send a
 * request. libmicrohttpd creates each connection's GnuTLS session before it reports the
 * connection, and the handshake starts after.
 */
/* What each of Go's client_auth_type values asks of GnuTLS in the handshake. */
static const struct {
	gnutls_certificate_request_t request;
	bool verify;
} client_auth_modes[] = {
	[WEBCFG_NO_CLIENT_CERT] = { GNUTLS_CERT_IGNORE, false },
	[WEBCFG_REQUEST_CLIENT_CERT] = { GNUTLS_CERT_REQUEST, false },
	[WEBCFG_REQUIRE_ANY_CLIENT_CERT] = { GNUTLS_CERT_REQUIRE, false },
	/* GnuTLS's own check would also fail a client that sends none: see peer_ok(). */
	[WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN] = { GNUTLS_CERT_REQUEST, false },
	[WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT] = { GNUTLS_CERT_REQUIRE, true },
};

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct httpd *h = cls;
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;

	if (code != MHD_CONNECTION_NOTIFY_STARTED || !httpd__tls(h))
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	s = (gnutls_session_t)ci->tls_session;
	gnutls_certificate_server_set_request(s, client_auth_modes[h->wc->client_auth].request);
	if (client_auth_modes[h->wc->client_auth].verify)
		gnutls_session_set_verify_cert(s, NULL, 0);
}

/* libmicrohttpd's own messages (a client's failed handshake, say) are for -vv. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	log_debug("http: %s", msg);
}

/* The connection limit, within what the descriptor limit leaves for everything else. */
static unsigned int conn_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur / 2 >= MAX_CONNS)
		return MAX_CONNS;
	return (unsigned int)(rl.rlim_cur / 2);
}

int httpd__start(struct httpd *h, struct webcfg *wc, struct gs_err *err)
{
	struct MHD_OptionItem o[16];
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	sigset_t all, old;
	int n = 0;

	h->wc = wc;
	/* The logger first: libmicrohttpd reports what it finds wrong in the options after it. */
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, h->lfd, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, conn_limit(), NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_LIMIT, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h };
	if (httpd__tls(h)) {
		flags |= MHD_USE_TLS;
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, wc->cert_pem };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, wc->key_pem };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, wc->priorities };
		if (wc->ca_pem)
			o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, wc->ca_pem };
	}
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* Signals belong to the main thread, whose poll they must interrupt. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_ARRAY, o,
				MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* The socket is the daemon's now, to close even when it failed to start. */
	h->lfd = -1;
	if (!h->d)
		return gs_fail(err, GS_EXIT_ERROR, "cannot start serving on %s%s", h->addr,
			       httpd__tls(h) ? " (TLS: see the messages above with -vv)" : "");
	return 0;
}

void httpd__free(struct httpd *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->lfd >= 0)
		close(h->lfd);
	blob_put(h->cur);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
