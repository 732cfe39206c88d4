// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "util/clock.h"
#include "util/httpd.h"

#define MAX_CONNS	64
#define REQ_MAX		8192		/* request line and headers */
#define READ_TIMEOUT_MS	5000		/* a whole request must arrive within this */
#define WRITE_TIMEOUT_MS 10000		/* and the response be taken within this */
#define HEAD_MAX	512
#define LINGER_MS	1000		/* after the response: read and drop what the client still sends */

/* An immutable copy of the exposition, shared by the connections sending it. */
struct blob {
	int refs;
	size_t len;
	char data[];
};

struct conn {
	int fd;
	uint64_t deadline_ms;
	bool writing;
	bool draining;			/* response sent, write side shut: waiting for the client's EOF */
	size_t inlen;
	char in[REQ_MAX];
	char head[HEAD_MAX];
	size_t headlen, off;		/* off runs over head, then body */
	struct blob *body;		/* NULL: static_body */
	const char *static_body;
	size_t bodylen;
};

struct httpd {
	int lfd, wakefd;
	char addr[INET6_ADDRSTRLEN + 16];
	bool loopback;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;		/* guards cur and every blob's refs */
	struct blob *cur;
	struct conn *conns[MAX_CONNS];
};

static const char index_page[] =
	"<html><head><title>goscope</title></head><body><h1>goscope</h1>"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

static uint64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

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
	if (bind(h->lfd, res->ai_addr, res->ai_addrlen) || listen(h->lfd, 64)) {
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
	h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->wakefd < 0) {
		gs_fail(err, GS_EXIT_ERROR, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (bind_listen(h, listen_arg, err))
		goto fail;
	return h;
fail:
	httpd__free(h);
	return NULL;
}

const char *httpd__address(const struct httpd *h)
{
	return h->addr;
}

bool httpd__loopback(const struct httpd *h)
{
	return h->loopback;
}

/* ---- the shared text ---- */

static void blob_put(struct httpd *h, struct blob *b)
{
	bool last;

	if (!b)
		return;
	pthread_mutex_lock(&h->lock);
	last = --b->refs == 0;
	pthread_mutex_unlock(&h->lock);
	if (last)
		free(b);
}

static struct blob *blob_get_current(struct httpd *h)
{
	struct blob *b;

	pthread_mutex_lock(&h->lock);
	b = h->cur;
	if (b)
		b->refs++;
	pthread_mutex_unlock(&h->lock);
	return b;
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
	blob_put(h, old);
	return 0;
}

/* ---- connections ---- */

static void conn_close(struct httpd *h, int i)
{
	struct conn *c = h->conns[i];

	close(c->fd);
	blob_put(h, c->body);
	free(c);
	h->conns[i] = NULL;
}

static void respond(struct httpd *h, struct conn *c, int status, const char *reason,
		    const char *ctype, const char *extra, bool head_only, bool metrics)
{
	c->body = metrics ? blob_get_current(h) : NULL;
	c->bodylen = c->body ? c->body->len : c->static_body ? strlen(c->static_body) : 0;
	c->headlen = (size_t)snprintf(c->head, sizeof(c->head),
				      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				      "%sConnection: close\r\n\r\n", status, reason, ctype,
				      c->bodylen, extra ? extra : "");
	if (head_only)
		c->bodylen = 0;
	c->writing = true;
	c->off = 0;
	c->deadline_ms = now_ms() + WRITE_TIMEOUT_MS;
}

static void error_response(struct httpd *h, struct conn *c, int status, const char *reason,
			   const char *extra)
{
	c->static_body = reason;
	respond(h, c, status, reason, "text/plain; charset=utf-8", extra, false, false);
}

/* A complete request head is in c->in: decide the response. */
static void route(struct httpd *h, struct conn *c)
{
	char method[16], target[1024], version[16];
	bool head;
	char *q;

	if (sscanf(c->in, "%15[^ \r\n] %1023[^ \r\n] %15[^ \r\n]", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) || target[0] != '/') {
		error_response(h, c, 400, "Bad Request", NULL);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		error_response(h, c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
		return;
	}
	q = strchr(target, '?');
	if (q)
		*q = 0;
	if (!strcmp(target, "/metrics")) {
		respond(h, c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", NULL, head, true);
	} else if (!strcmp(target, "/")) {
		c->static_body = index_page;
		respond(h, c, 200, "OK", "text/html; charset=utf-8", NULL, head, false);
	} else {
		error_response(h, c, 404, "Not Found", NULL);
	}
}

/* Read what is there; once the head is complete, route it. Returns -1 to close. */
static int conn_read(struct httpd *h, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		if (n == 0)
			return -1;	/* closed before a full request: nothing to answer */
		c->inlen += (size_t)n;
		c->in[c->inlen] = 0;
		/* A NUL is never part of a request, and would hide the rest from the parser. */
		if (memchr(c->in, 0, c->inlen)) {
			error_response(h, c, 400, "Bad Request", NULL);
			return 0;
		}
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
			route(h, c);
			return 0;
		}
		if (c->inlen == sizeof(c->in) - 1) {
			error_response(h, c, 431, "Request Header Fields Too Large", NULL);
			return 0;
		}
	}
}

/* Send as much as the socket takes. Returns 1 when done, 0 to wait, -1 on error. */
static int conn_write(struct conn *c)
{
	const char *body = c->body ? c->body->data : c->static_body;

	while (c->off < c->headlen + c->bodylen) {
		const char *p = c->off < c->headlen ? c->head + c->off : body + (c->off - c->headlen);
		size_t left = c->off < c->headlen ? c->headlen - c->off :
			      c->headlen + c->bodylen - c->off;
		ssize_t n = send(c->fd, p, left, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->off += (size_t)n;
	}
	return 1;
}

/*
 * The connection to give up when every slot is taken: one still waiting for its request (or
 * lingering after its response) before one being answered, the oldest first. Clients that open
 * connections and say nothing therefore can't lock a scraper out, and the listening socket is
 * never left readable with nobody to accept (which would make the thread spin).
 */
static int evict_slot(struct httpd *h)
{
	int i, victim = 0;

	for (i = 1; i < MAX_CONNS; i++) {
		const struct conn *c = h->conns[i], *v = h->conns[victim];
		bool busy = c->writing && !c->draining, vbusy = v->writing && !v->draining;

		if (busy < vbusy || (busy == vbusy && c->deadline_ms < v->deadline_ms))
			victim = i;
	}
	conn_close(h, victim);
	return victim;
}

static void accept_new(struct httpd *h)
{
	int i, fd, n;

	/* A few at a time: requests already accepted are read before a flood can evict them. */
	for (n = 0; n < MAX_CONNS / 4; n++) {
		fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;		/* EAGAIN, or out of descriptors: poll again later */
		for (i = 0; i < MAX_CONNS && h->conns[i]; i++)
			;
		if (i == MAX_CONNS)
			i = evict_slot(h);
		h->conns[i] = calloc(1, sizeof(struct conn));
		if (!h->conns[i]) {
			close(fd);
			return;
		}
		h->conns[i]->fd = fd;
		h->conns[i]->deadline_ms = now_ms() + READ_TIMEOUT_MS;
	}
}

/*
 * Closing a socket with unread input makes the kernel send a reset, which can destroy the response
 * before the client reads it (an oversized request, say). So shut the write side and drop
 * whatever still comes, until the client closes or LINGER_MS pass.
 */
static int conn_drain(struct conn *c)
{
	char sink[4096];
	ssize_t n;

	while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
		;
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
}

static void conn_event(struct httpd *h, int i, short revents)
{
	struct conn *c = h->conns[i];
	int rc = 0;

	if (c->draining) {
		rc = conn_drain(c);
	} else {
		if (!c->writing && (revents & (POLLIN | POLLHUP | POLLERR)))
			rc = conn_read(h, c);
		if (rc == 0 && c->writing)
			rc = conn_write(c);
		if (rc == 1) {
			shutdown(c->fd, SHUT_WR);
			c->draining = true;
			c->deadline_ms = now_ms() + LINGER_MS;
			rc = conn_drain(c);
		}
	}
	if (rc != 0)
		conn_close(h, i);
}

/* ---- the thread ---- */

static int build_pollset(struct httpd *h, struct pollfd *pfd, int *idx, uint64_t *next_ms)
{
	int n = 0, i;

	pfd[n++] = (struct pollfd){ .fd = h->wakefd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
	*next_ms = UINT64_MAX;
	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = h->conns[i];

		if (!c)
			continue;
		idx[n] = i;
		pfd[n++] = (struct pollfd){ .fd = c->fd,
					    .events = c->writing && !c->draining ? POLLOUT : POLLIN };
		if (c->deadline_ms < *next_ms)
			*next_ms = c->deadline_ms;
	}
	return n;
}

static void expire(struct httpd *h)
{
	uint64_t now = now_ms();
	int i;

	/* Slow or stuck clients lose their connection; nobody else waits for them. */
	for (i = 0; i < MAX_CONNS; i++)
		if (h->conns[i] && h->conns[i]->deadline_ms <= now)
			conn_close(h, i);
}

static void *serve_thread(void *arg)
{
	struct httpd *h = arg;
	struct pollfd pfd[MAX_CONNS + 2];
	int idx[MAX_CONNS + 2];

	for (;;) {
		uint64_t next, now;
		int n = build_pollset(h, pfd, idx, &next), i, timeout;

		now = now_ms();
		timeout = next == UINT64_MAX ? -1 : next <= now ? 0 : (int)(next - now);
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;		/* httpd__free */
		for (i = 2; i < n; i++)
			if (pfd[i].revents)
				conn_event(h, idx[i], pfd[i].revents);
		if (pfd[1].revents & POLLIN)
			accept_new(h);
		expire(h);
	}
	return NULL;
}

int httpd__start(struct httpd *h, struct gs_err *err)
{
	sigset_t all, old;
	int rc;

	/* Signals belong to the main thread, whose poll they must interrupt. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&h->thread, NULL, serve_thread, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return gs_fail(err, GS_EXIT_ERROR, "cannot start the HTTP thread: %s", strerror(rc));
	h->started = true;
	return 0;
}

void httpd__free(struct httpd *h)
{
	uint64_t one = 1;
	int i;

	if (!h)
		return;
	if (h->started) {
		if (write(h->wakefd, &one, sizeof(one)) < 0)
			pthread_cancel(h->thread);
		pthread_join(h->thread, NULL);
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (h->conns[i])
			conn_close(h, i);
	if (h->lfd >= 0)
		close(h->lfd);
	if (h->wakefd >= 0)
		close(h->wakefd);
	free(h->cur);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
