// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sending thread drives one libcurl easy handle through a multi handle, so that it can wait
 * for the transfer, the next retry and new requests at once (curl_multi_poll), and the main
 * thread can wake it (curl_multi_wakeup). The lock guards the queue and the statistics only; it
 * is never held across network I/O, so enqueueing never waits on the receiver.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "format/otlp.h"
#include "util/clock.h"
#include "util/otlp_push.h"

#define BACKOFF_MIN_NS		1000000000ull
#define BACKOFF_MAX_NS		10000000000ull	/* a receiver back is tried within 15 s */
#define RESPONSE_MAX		(4u << 20)	/* the OTLP specification's recommended limit */
#define REPORT_EVERY_NS		10000000000ull
#define IDLE_POLL_MS		1000

struct req {
	char *data;
	size_t len;
	uint64_t points;
	uint64_t made_ns;		/* CLOCK_MONOTONIC when queued */
};

/* What one attempt came to. */
enum outcome { DELIVERED, RETRY, REJECTED };

struct otlp_push {
	char *url;
	struct curl_slist *headers;
	const char *ca_file, *cert_file, *key_file;
	uint64_t timeout_ns;
	bool curl_ready, started;
	pthread_t thread;
	CURLM *multi;
	CURL *easy;

	pthread_mutex_t lock;		/* guards what follows, up to the worker's own state */
	struct req q[OTLP_QUEUE_MAX];
	size_t nq, qbytes;
	bool in_flight;			/* q[0] is being sent */
	bool stopping;
	uint64_t deadline_ns;		/* stopping: give up then */
	struct otlp_push_stats st;

	/* The sending thread's own. */
	uint64_t next_ns;		/* no attempt before this (backoff, Retry-After) */
	uint64_t backoff_ns;
	uint64_t rng;
	struct buf resp;
	bool resp_too_big;
	char curl_err[CURL_ERROR_SIZE];

	/* The reporting thread's own. */
	uint64_t reported_ns, reported_dropped;
	bool reported_failing;
};

const char *otlp_push__url(const struct otlp_push *p)
{
	return p->url;
}

/* ---- options ---- */

/* Is there a path after scheme://authority? ("http://h:4318" has none, "http://h:4318/" has.) */
static bool has_path(const char *url)
{
	const char *s = strstr(url, "://");

	return s && s[3 + strcspn(s + 3, "/?#")] == '/';
}

static int check_url_parts(CURLU *u, const char *in, struct gs_err *err)
{
	char *scheme = NULL, *user = NULL;
	int ret = 0;

	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https")))
		ret = gs_fail(err, GS_EXIT_USAGE, "invalid --otlp URL '%s': not http:// or "
			      "https://", in);
	else if (user)
		ret = gs_fail(err, GS_EXIT_USAGE, "invalid --otlp URL: no credentials in the URL "
			      "(it is shown in messages); use --otlp-header 'Authorization=…'");
	curl_free(scheme);
	curl_free(user);
	return ret;
}

/* The URL as given; without a path, the OTLP/HTTP default /v1/metrics (a base endpoint). */
static int parse_url(struct otlp_push *p, const char *in, struct gs_err *err)
{
	CURLU *u = curl_url();
	CURLUcode rc;
	int ret;

	if (!u)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	rc = curl_url_set(u, CURLUPART_URL, in, CURLU_NON_SUPPORT_SCHEME);
	ret = rc ? -1 : check_url_parts(u, in, err);
	if (!ret && !has_path(in))
		rc = curl_url_set(u, CURLUPART_PATH, "/v1/metrics", 0);
	if (!ret && !rc)
		rc = curl_url_get(u, CURLUPART_URL, &p->url, 0);
	if (rc)
		ret = gs_fail(err, GS_EXIT_USAGE, "invalid --otlp URL '%s': %s (write it as "
			      "http[s]://HOST[:PORT][/PATH])", in, curl_url_strerror(rc));
	curl_url_cleanup(u);
	return ret;
}

static int append(struct otlp_push *p, const char *line)
{
	struct curl_slist *l = curl_slist_append(p->headers, line);

	if (!l)
		return -ENOMEM;
	p->headers = l;
	return 0;
}

/* RFC 9110's token characters: what a header name may hold. */
static bool is_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("!#$%&'*+-.^_`|~", s[i]))
			return false;
	return n > 0;
}

static int add_header(struct otlp_push *p, const char *arg, struct gs_err *err)
{
	const char *eq = strchr(arg, '='), *c;
	char line[8192];

	if (!eq || !is_token(arg, (size_t)(eq - arg)))
		return gs_fail(err, GS_EXIT_USAGE, "invalid --otlp-header '%s': write it as "
			       "Name=Value, Name an HTTP header name", arg);
	for (c = eq + 1; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return gs_fail(err, GS_EXIT_USAGE, "invalid --otlp-header %.*s: its value "
				       "holds a control character", (int)(eq - arg), arg);
	if (!strncasecmp(arg, "Content-Type=", 13) || !strncasecmp(arg, "Content-Length=", 15))
		return gs_fail(err, GS_EXIT_USAGE, "invalid --otlp-header %.*s: goscope sets it",
			       (int)(eq - arg), arg);
	if ((size_t)snprintf(line, sizeof(line), "%.*s: %s", (int)(eq - arg), arg, eq + 1) >=
	    sizeof(line))
		return gs_fail(err, GS_EXIT_USAGE, "invalid --otlp-header %.*s: longer than %zu "
			       "bytes", (int)(eq - arg), arg, sizeof(line) - 1);
	if (append(p, line))
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	return 0;
}

static int check_file(const char *opt, const char *path, struct gs_err *err)
{
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gs_fail(err, GS_EXIT_ERROR, "cannot read %s %s: %s", opt, path,
			       strerror(errno));
	close(fd);
	return 0;
}

static int check_tls(const struct otlp_push *p, struct gs_err *err)
{
	bool https = !strncmp(p->url, "https://", 8);

	if (!https && (p->ca_file || p->cert_file || p->key_file))
		return gs_fail(err, GS_EXIT_USAGE, "--otlp-ca, --otlp-cert and --otlp-key are for "
			       "an https:// URL (%s is plain http)", p->url);
	if (p->key_file && !p->cert_file)
		return gs_fail(err, GS_EXIT_USAGE, "--otlp-key needs --otlp-cert");
	if (check_file("--otlp-ca", p->ca_file, err) ||
	    check_file("--otlp-cert", p->cert_file, err) ||
	    check_file("--otlp-key", p->key_file, err))
		return -1;
	return 0;
}

/* ---- the queue (under the lock) ---- */

static void remove_at(struct otlp_push *p, size_t i)
{
	p->qbytes -= p->q[i].len;
	free(p->q[i].data);
	memmove(&p->q[i], &p->q[i + 1], (p->nq - i - 1) * sizeof(p->q[0]));
	p->st.queued = --p->nq;
}

static void drop_at(struct otlp_push *p, size_t i, enum otlp_drop why)
{
	p->st.dropped_points[why] += p->q[i].points;
	remove_at(p, i);
}

/* Room for len more bytes: drop the oldest requests not being sent; false if that is not enough. */
static bool make_room(struct otlp_push *p, size_t len)
{
	size_t first = p->in_flight ? 1 : 0;

	while (p->nq == OTLP_QUEUE_MAX || p->qbytes + len > OTLP_QUEUE_MAX_BYTES) {
		if (p->nq <= first)
			return false;
		drop_at(p, first, OTLP_DROP_QUEUE_FULL);
	}
	return true;
}

void otlp_push__enqueue(struct otlp_push *p, struct buf *req, uint64_t npoints)
{
	pthread_mutex_lock(&p->lock);
	if (!req->len || req->oom || !make_room(p, req->len)) {
		p->st.dropped_points[OTLP_DROP_QUEUE_FULL] += npoints;
		free(req->data);
	} else {
		p->q[p->nq++] = (struct req){ req->data, req->len, npoints, clock_mono_ns() };
		p->qbytes += req->len;
		p->st.queued = p->nq;
	}
	pthread_mutex_unlock(&p->lock);
	memset(req, 0, sizeof(*req));
	curl_multi_wakeup(p->multi);
}

void otlp_push__stats(struct otlp_push *p, struct otlp_push_stats *st)
{
	pthread_mutex_lock(&p->lock);
	*st = p->st;
	pthread_mutex_unlock(&p->lock);
}

/* Requests waiting past their retry budget (not the one being sent: its timeout ends it). */
static void expire(struct otlp_push *p, uint64_t now)
{
	size_t first = p->in_flight ? 1 : 0;

	while (p->nq > first && now - p->q[first].made_ns >= OTLP_RETRY_BUDGET_NS)
		drop_at(p, first, OTLP_DROP_RETRIES);
}

/* ---- one attempt ---- */

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct otlp_push *p = ctx;
	size_t len = size * n;

	if (p->resp.len + len > RESPONSE_MAX) {
		p->resp_too_big = true;
		return 0;	/* libcurl aborts the transfer */
	}
	buf_put(&p->resp, data, len);
	return len;
}

static CURL *new_easy(struct otlp_push *p)
{
	CURL *e = curl_easy_init();
	int bad = 0;

	if (!e)
		return NULL;
	bad |= curl_easy_setopt(e, CURLOPT_URL, p->url);
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= curl_easy_setopt(e, CURLOPT_POST, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "goscope/" GOSCOPE_VERSION);
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->curl_err);
	if (p->ca_file)
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
	if (p->cert_file)
		bad |= curl_easy_setopt(e, CURLOPT_SSLCERT, p->cert_file);
	if (p->key_file)
		bad |= curl_easy_setopt(e, CURLOPT_SSLKEY, p->key_file);
	if (bad) {
		curl_easy_cleanup(e);
		return NULL;
	}
	return e;
}

/* Send q[0] (under the lock): within the timeout, and within the final flush's deadline. */
static void begin(struct otlp_push *p, uint64_t now)
{
	const struct req *r = &p->q[0];
	uint64_t t = p->timeout_ns;

	if (p->stopping)
		t = p->deadline_ns > now && p->deadline_ns - now < t ? p->deadline_ns - now : t;
	curl_easy_setopt(p->easy, CURLOPT_POSTFIELDS, r->data);
	curl_easy_setopt(p->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
	curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, (long)(t / 1000000) + 1);
	buf_reset(&p->resp);
	p->resp_too_big = false;
	p->curl_err[0] = '\0';
	p->in_flight = curl_multi_add_handle(p->multi, p->easy) == CURLM_OK;
	if (!p->in_flight)
		p->next_ns = now + BACKOFF_MIN_NS;
}

/* Retry-After: seconds, or an HTTP date; 0 when absent or past. */
static uint64_t retry_after_ns(CURL *e)
{
	struct curl_header *h;
	unsigned long long secs;
	char *end;
	time_t t, now = time(NULL);

	if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return 0;
	errno = 0;
	secs = strtoull(h->value, &end, 10);
	if (end == h->value || *end || errno) {
		t = curl_getdate(h->value, NULL);
		secs = t > now ? (unsigned long long)(t - now) : 0;
	}
	/* Honoured as far as a request may wait at all. */
	if (secs > OTLP_RETRY_BUDGET_NS / 1000000000ull)
		secs = OTLP_RETRY_BUDGET_NS / 1000000000ull;
	return secs * 1000000000ull;
}

/* Printable text only: what a receiver says goes to a terminal. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* What an error response says: a google.rpc.Status, or the first line of its text. */
static void error_text(struct otlp_push *p, char *msg, size_t len)
{
	struct curl_header *h;
	size_t n;

	msg[0] = '\0';
	if (curl_easy_header(p->easy, "Content-Type", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
	    !strncmp(h->value, "application/x-protobuf", 22)) {
		otlp_parse_status(p->resp.data, p->resp.len, msg, len);
	} else if (p->resp.len) {
		n = strcspn(p->resp.data, "\r\n");
		snprintf(msg, len, "%.*s", (int)(n < 200 ? n : 200), p->resp.data);
	}
	sanitize(msg);
}

/* Did the attempt deliver the request, must it be retried, or was it refused for good? */
static enum outcome classify(struct otlp_push *p, CURLcode rc, int64_t *rejected,
			     uint64_t *wait_ns, char *why, size_t len)
{
	long status = 0;
	char msg[200];

	*rejected = 0;
	*wait_ns = 0;
	if (rc == CURLE_WRITE_ERROR && p->resp_too_big) {
		snprintf(why, len, "response larger than %u MiB", RESPONSE_MAX >> 20);
		return REJECTED;
	}
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s", p->curl_err[0] ? p->curl_err : curl_easy_strerror(rc));
		return RETRY;
	}
	curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300) {
		if (otlp_parse_response(p->resp.data, p->resp.len, rejected, msg, sizeof(msg)))
			*rejected = 0;	/* not a response message: the status says it all */
		sanitize(msg);
		snprintf(why, len, "%lld data points rejected: %s", (long long)*rejected, msg);
		return DELIVERED;
	}
	error_text(p, msg, sizeof(msg));
	snprintf(why, len, "HTTP %ld%s%s", status, msg[0] ? ": " : "", msg);
	if (status == 429 || status == 502 || status == 503 || status == 504) {
		*wait_ns = retry_after_ns(p->easy);
		return RETRY;
	}
	return REJECTED;
}

/* Account for q[0]'s attempt (under the lock). */
static void account(struct otlp_push *p, enum outcome o, int64_t rejected, const char *why)
{
	struct req *r = &p->q[0];
	uint64_t bad = rejected > 0 ? (uint64_t)rejected : 0;

	p->in_flight = false;
	if (o != DELIVERED || bad)
		snprintf(p->st.last_error, sizeof(p->st.last_error), "%s", why);
	p->st.failing = o != DELIVERED;
	p->st.retrying = o == RETRY;
	if (o == RETRY) {
		p->st.failed_attempts++;
		return;
	}
	if (o == REJECTED) {
		drop_at(p, 0, OTLP_DROP_REJECTED);
		return;
	}
	if (bad > r->points)
		bad = r->points;
	p->st.pushed_points += r->points - bad;
	p->st.pushed_requests++;
	p->st.dropped_points[OTLP_DROP_REJECTED] += bad;
	remove_at(p, 0);
}

/* When the next attempt may start: at once, after the Retry-After, or after the backoff. */
static void schedule(struct otlp_push *p, enum outcome o, uint64_t wait_ns)
{
	uint64_t r;

	if (o != RETRY) {
		p->backoff_ns = 0;
		p->next_ns = 0;
		return;
	}
	p->backoff_ns = p->backoff_ns ? p->backoff_ns * 2 : BACKOFF_MIN_NS;
	if (p->backoff_ns > BACKOFF_MAX_NS)
		p->backoff_ns = BACKOFF_MAX_NS;
	if (!wait_ns) {
		/* xorshift64: jitter uniform in [0.5, 1.5) times the backoff */
		p->rng ^= p->rng << 13;
		p->rng ^= p->rng >> 7;
		p->rng ^= p->rng << 17;
		r = p->rng % 1000;
		wait_ns = p->backoff_ns / 2 + p->backoff_ns / 1000 * r;
	}
	p->next_ns = clock_mono_ns() + wait_ns;
}

static void finish(struct otlp_push *p, CURLcode rc)
{
	enum outcome o;
	int64_t rejected;
	uint64_t wait_ns;
	char why[256];

	o = classify(p, rc, &rejected, &wait_ns, why, sizeof(why));
	curl_multi_remove_handle(p->multi, p->easy);
	pthread_mutex_lock(&p->lock);
	account(p, o, rejected, why);
	pthread_mutex_unlock(&p->lock);
	schedule(p, o, wait_ns);
}

/* ---- the sending thread ---- */

static bool finished(const struct otlp_push *p, uint64_t now)
{
	return p->stopping && (!p->nq || now >= p->deadline_ns);
}

/* How long to wait for the transfer or a wakeup (under the lock). */
static int wait_ms(const struct otlp_push *p, uint64_t now)
{
	uint64_t until = now + IDLE_POLL_MS * 1000000ull;

	if (!p->in_flight && p->nq) {
		if (p->next_ns < until)
			until = p->next_ns;
		if (p->q[0].made_ns + OTLP_RETRY_BUDGET_NS < until)
			until = p->q[0].made_ns + OTLP_RETRY_BUDGET_NS;
	}
	if (p->stopping && p->deadline_ns < until)
		until = p->deadline_ns;
	return until > now ? (int)((until - now + 999999) / 1000000) : 0;
}

/* Drive the transfer; true when one ended. */
static bool progress(struct otlp_push *p)
{
	bool ended = false;
	int running, left;
	CURLMsg *m;

	curl_multi_perform(p->multi, &running);
	while ((m = curl_multi_info_read(p->multi, &left))) {
		if (m->msg == CURLMSG_DONE) {
			finish(p, m->data.result);
			ended = true;
		}
	}
	return ended;
}

/* Stopped: the transfer under way is abandoned, what is left counted (under the lock). */
static void abandon(struct otlp_push *p)
{
	if (p->in_flight) {
		curl_multi_remove_handle(p->multi, p->easy);
		p->in_flight = false;
	}
	while (p->nq)
		drop_at(p, 0, OTLP_DROP_SHUTDOWN);
}

static void *send_thread(void *arg)
{
	struct otlp_push *p = arg;
	bool flushing = false;
	uint64_t now;
	int ms;

	pthread_mutex_lock(&p->lock);
	while (!finished(p, now = clock_mono_ns())) {
		if (p->stopping && !flushing) {
			flushing = true;
			p->next_ns = 0;	/* one attempt at once, whatever the backoff said */
		}
		expire(p, now);
		if (!p->in_flight && p->nq && now >= p->next_ns)
			begin(p, now);
		ms = wait_ms(p, now);
		pthread_mutex_unlock(&p->lock);
		if (!progress(p))
			curl_multi_poll(p->multi, NULL, 0, ms, NULL);
		pthread_mutex_lock(&p->lock);
	}
	abandon(p);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ---- life cycle ---- */

struct otlp_push *otlp_push__new(const struct otlp_push_opts *o, struct gs_err *err)
{
	struct otlp_push *p = calloc(1, sizeof(*p));
	int i;

	if (!p) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->timeout_ns = o->timeout_ns ? o->timeout_ns : OTLP_DEFAULT_TIMEOUT_NS;
	p->ca_file = o->ca_file;
	p->cert_file = o->cert_file;
	p->key_file = o->key_file;
	p->rng = clock_mono_ns() | 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		gs_fail(err, GS_EXIT_ERROR, "cannot initialize libcurl");
		goto fail;
	}
	p->curl_ready = true;
	if (parse_url(p, o->url, err))
		goto fail;
	for (i = 0; i < o->nheaders; i++)
		if (add_header(p, o->headers[i], err))
			goto fail;
	if (check_tls(p, err))
		goto fail;
	/* "Expect:" keeps libcurl from waiting for a 100 Continue before larger bodies. */
	if (append(p, "Content-Type: application/x-protobuf") || append(p, "Expect:") ||
	    !(p->multi = curl_multi_init()) || !(p->easy = new_easy(p))) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		goto fail;
	}
	return p;
fail:
	otlp_push__free(p, 0);
	return NULL;
}

int otlp_push__start(struct otlp_push *p, struct gs_err *err)
{
	sigset_t all, old;
	int rc;

	/* Again, with the capabilities the thread will have: libcurl reads them on connecting. */
	if (check_tls(p, err))
		return -1;
	/* Signals are the main thread's: its poll must see EINTR. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&p->thread, NULL, send_thread, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return gs_fail(err, GS_EXIT_ERROR, "cannot start the OTLP push thread: %s",
			       strerror(rc));
	p->started = true;
	return 0;
}

static uint64_t total_dropped(const struct otlp_push_stats *st)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < OTLP_DROPS; i++)
		n += st->dropped_points[i];
	return n;
}

/* "12 queue_full, 3 retries_exhausted": the reasons with a count. */
static const char *reasons(const struct otlp_push_stats *st, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < OTLP_DROPS && n < len; i++)
		if (st->dropped_points[i])
			n += (size_t)snprintf(buf + n, len - n, "%s%llu %s", n ? ", " : "",
					      (unsigned long long)st->dropped_points[i],
					      otlp_drop_reason(i));
	return buf;
}

static void report(struct otlp_push *p, bool final)
{
	struct otlp_push_stats st;
	uint64_t now = clock_mono_ns(), dropped;
	char why[160];

	otlp_push__stats(p, &st);
	dropped = total_dropped(&st);
	if (st.failing && !p->reported_failing && !final) {
		log_warn("OTLP push to %s failing: %s%s", p->url, st.last_error,
			 st.retrying ? "; retrying with backoff" : " (not retried: data dropped)");
		p->reported_failing = true;
	} else if (!st.failing && p->reported_failing) {
		log_note("OTLP push to %s works again", p->url);
		p->reported_failing = false;
	}
	if (dropped > p->reported_dropped && (final || now - p->reported_ns >= REPORT_EVERY_NS)) {
		log_warn("OTLP push to %s: %llu data points dropped%s (%s in all; last error: %s)",
			 p->url, (unsigned long long)(dropped - p->reported_dropped),
			 p->reported_dropped ? " since the last report" : "", reasons(&st, why,
			 sizeof(why)), st.last_error);
		p->reported_ns = now;
		p->reported_dropped = dropped;
	}
	if (final)
		log_info("OTLP push to %s: %llu data points pushed in %llu requests, %llu dropped%s%s%s",
			 p->url, (unsigned long long)st.pushed_points,
			 (unsigned long long)st.pushed_requests, (unsigned long long)dropped,
			 dropped ? " (" : "", reasons(&st, why, sizeof(why)), dropped ? ")" : "");
}

void otlp_push__report(struct otlp_push *p)
{
	report(p, false);
}

void otlp_push__free(struct otlp_push *p, uint64_t flush_ns)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	p->deadline_ns = clock_mono_ns() + flush_ns;
	pthread_mutex_unlock(&p->lock);
	if (p->started) {
		curl_multi_wakeup(p->multi);
		pthread_join(p->thread, NULL);
		report(p, true);
	}
	while (p->nq)
		remove_at(p, 0);
	if (p->easy)
		curl_easy_cleanup(p->easy);
	if (p->multi)
		curl_multi_cleanup(p->multi);
	curl_slist_free_all(p->headers);
	curl_free(p->url);
	buf_free(&p->resp);
	pthread_mutex_destroy(&p->lock);
	if (p->curl_ready)
		curl_global_cleanup();
	free(p);
}
