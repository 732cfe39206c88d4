// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <crypt.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <yaml.h>
#include "util/webcfg.h"

#define MAX_FILE	(1 << 20)	/* a web config or PEM file larger than this is a mistake */
#define CACHE_SLOTS	32		/* remembered successful logins */

struct webcfg_user {
	char *name, *hash;
};

/* SHA-256 of salt, user and password of logins that passed, so a scrape is not a bcrypt. */
struct webcfg_cache {
	pthread_mutex_t lock;
	unsigned char salt[32];
	unsigned char digest[CACHE_SLOTS][32];
	size_t used, next;
};

/* What the parser carries: the document, the file's name and directory for messages and paths. */
struct ctx {
	yaml_document_t doc;
	const char *path;
	char dir[4096];
	struct webcfg *wc;
	struct gs_err *err;
	/* tls_server_config, gathered first and checked together */
	char *cert_file, *key_file, *ca_file;
	int min_version, max_version;
	bool prefer_server;
};

static int bad(struct ctx *x, const char *key, const char *fmt, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, what);
	return gs_fail(x->err, GS_EXIT_USAGE, "web config %s: %s: %s", x->path, key, msg);
}

/* ---- reading files ---- */

/* The whole file, NUL-terminated; NULL with err set. */
static char *slurp(const char *path, const char *what, struct gs_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f) {
		gs_fail(err, GS_EXIT_ERROR, "cannot read %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_FILE + 1);
	if (buf)
		len = fread(buf, 1, MAX_FILE + 1, f);
	if (!buf || ferror(f) || len > MAX_FILE) {
		gs_fail(err, GS_EXIT_ERROR, "cannot read %s %s: %s", what, path,
			!buf ? "out of memory" : len > MAX_FILE ? "larger than 1 MiB" : strerror(EIO));
		free(buf);
		buf = NULL;
	} else {
		buf[len] = 0;
	}
	fclose(f);
	return buf;
}

/*
 * The file may hold password hashes and name key files: like sshd with its keys, refuse it when
 * someone other than its owner (root or us) could have changed it.
 */
static int check_owner(const char *path, struct gs_err *err)
{
	struct stat st;

	if (stat(path, &st))
		return gs_fail(err, GS_EXIT_ERROR, "cannot read web config %s: %s", path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return gs_fail(err, GS_EXIT_USAGE, "web config %s is not a regular file", path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return gs_fail(err, GS_EXIT_USAGE,
			       "web config %s is writable by %s (mode %04o); it may hold secrets: "
			       "chmod go-w %s", path, st.st_mode & S_IWOTH ? "everyone" : "its group",
			       (unsigned)(st.st_mode & 07777), path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return gs_fail(err, GS_EXIT_USAGE,
			       "web config %s belongs to user %u, neither root nor the user goscope "
			       "runs as", path, (unsigned)st.st_uid);
	return 0;
}

/* A path from the file, relative to the file's directory as exporter-toolkit has it. */
static char *read_relative(struct ctx *x, const char *file, const char *key)
{
	char full[8192], what[96];
	char *text;

	if (file[0] == '/')
		snprintf(full, sizeof(full), "%s", file);
	else
		snprintf(full, sizeof(full), "%s/%s", x->dir, file);
	text = slurp(full, "file", x->err);
	if (!text) {
		snprintf(what, sizeof(what), "web config %s: %s", x->path, key);
		gs_err_prefix(x->err, what);
	}
	return text;
}

/* ---- the YAML tree ---- */

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* YAML's null: an empty plain scalar, ~ or null. */
static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null"));
}

static int want_string(struct ctx *x, const char *key, const yaml_node_t *v, char **out)
{
	const char *s = scalar(v);

	if (!s)
		return bad(x, key, "%s", "want a string");
	if (is_null(v))
		return 0;
	free(*out);
	*out = strdup(s);
	return *out ? 0 : gs_fail(x->err, GS_EXIT_ERROR, "out of memory");
}

static int want_bool(struct ctx *x, const char *key, const yaml_node_t *v, bool *out)
{
	const char *s = scalar(v);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
		*out = true;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no")))
		*out = false;
	else if (!is_null(v))
		return bad(x, key, "%s", "want true or false");
	return 0;
}

/* Call fn for each key of a mapping node (a null node is an empty mapping). */
static int each_pair(struct ctx *x, const char *key, const yaml_node_t *m,
		     int (*fn)(struct ctx *x, const char *k, const yaml_node_t *v))
{
	const yaml_node_pair_t *p;

	if (is_null(m))
		return 0;
	if (!m || m->type != YAML_MAPPING_NODE)
		return bad(x, key, "%s", "want a mapping of keys to values");
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&x->doc, p->key));

		if (!k)
			return bad(x, key, "%s", "a key is not a string");
		if (fn(x, k, yaml_document_get_node(&x->doc, p->value)))
			return -1;
	}
	return 0;
}

/* ---- tls_server_config ---- */

static const char *const auth_names[] = {
	[WEBCFG_NO_CLIENT_CERT] = "NoClientCert",
	[WEBCFG_REQUEST_CLIENT_CERT] = "RequestClientCert",
	[WEBCFG_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
	[WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
	[WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT] = "RequireAndVerifyClientCert",
};

static int tls_version(struct ctx *x, const char *key, const yaml_node_t *v, int *out)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	const char *s = scalar(v);
	int i;

	for (i = 0; s && i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return bad(x, key, "%s", "want one of TLS10, TLS11, TLS12, TLS13");
}

static int tls_key(struct ctx *x, const char *k, const yaml_node_t *v)
{
	char key[64];
	size_t i;

	snprintf(key, sizeof(key), "tls_server_config.%s", k);
	if (!strcmp(k, "cert_file"))
		return want_string(x, key, v, &x->cert_file);
	if (!strcmp(k, "key_file"))
		return want_string(x, key, v, &x->key_file);
	if (!strcmp(k, "client_ca_file"))
		return want_string(x, key, v, &x->ca_file);
	if (!strcmp(k, "min_version"))
		return tls_version(x, key, v, &x->min_version);
	if (!strcmp(k, "max_version"))
		return tls_version(x, key, v, &x->max_version);
	if (!strcmp(k, "prefer_server_cipher_suites"))
		return want_bool(x, key, v, &x->prefer_server);
	if (!strcmp(k, "client_auth_type")) {
		for (i = 0; scalar(v) && i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
			if (!strcmp(scalar(v), auth_names[i])) {
				x->wc->client_auth = (enum webcfg_client_auth)i;
				return 0;
			}
		return bad(x, key, "%s", "want NoClientCert, RequestClientCert, RequireAnyClientCert, "
			   "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
	}
	if (!strcmp(k, "cipher_suites") || !strcmp(k, "curve_preferences") ||
	    !strcmp(k, "client_allowed_sans"))
		return bad(x, key, "%s", "not supported by goscope (it uses GnuTLS's defaults); "
			   "remove it");
	return bad(x, key, "%s", "unknown key");
}

/* The certificate's validity dates, the first one of the file (the server's own). */
static int check_dates(struct ctx *x, const char *pem)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n = 0, i;
	time_t now = time(NULL), from, until;
	int rc = 0;

	if (gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0) < 0 || !n)
		return bad(x, "tls_server_config.cert_file", "%s", "no PEM certificate in the file");
	from = gnutls_x509_crt_get_activation_time(crts[0]);
	until = gnutls_x509_crt_get_expiration_time(crts[0]);
	if (until != (time_t)-1 && until < now) {
		char when[32];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&until));
		rc = bad(x, "tls_server_config.cert_file", "the certificate expired on %s", when);
	} else if (from != (time_t)-1 && from > now) {
		char when[32];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&from));
		rc = bad(x, "tls_server_config.cert_file", "the certificate is not valid before %s",
			 when);
	}
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return rc;
}

/* The key must be the certificate's: GnuTLS checks the pair as the server will load it. */
static int check_pair(struct ctx *x)
{
	struct webcfg *wc = x->wc;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t c = { (unsigned char *)wc->cert_pem, (unsigned)strlen(wc->cert_pem) };
	gnutls_datum_t k = { (unsigned char *)wc->key_pem, (unsigned)strlen(wc->key_pem) };
	int rc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return gs_fail(x->err, GS_EXIT_ERROR, "out of memory");
	rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
		return bad(x, "tls_server_config.key_file", "%s",
			   "the key does not belong to the certificate in cert_file");
	if (rc < 0)
		return bad(x, "tls_server_config.cert_file", "cannot use the certificate and key: %s",
			   gnutls_strerror(rc));
	return 0;
}

static int check_ca(struct ctx *x)
{
	gnutls_datum_t d = { (unsigned char *)x->wc->ca_pem, (unsigned)strlen(x->wc->ca_pem) };
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n = 0, i;
	int rc = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0);

	for (i = 0; rc >= 0 && i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	if (rc < 0 || !n)
		return bad(x, "tls_server_config.client_ca_file", "%s", "no PEM certificate in the file");
	return 0;
}

static void set_priorities(struct ctx *x)
{
	static const char *const vers[] = { "+VERS-TLS1.0", "+VERS-TLS1.1", "+VERS-TLS1.2",
					     "+VERS-TLS1.3" };
	char *p = x->wc->priorities, *end = p + sizeof(x->wc->priorities);
	int v;

	p += snprintf(p, (size_t)(end - p), "NORMAL:-VERS-ALL");
	for (v = x->max_version; v >= x->min_version; v--)
		p += snprintf(p, (size_t)(end - p), ":%s", vers[v]);
	if (x->prefer_server)
		snprintf(p, (size_t)(end - p), ":%%SERVER_PRECEDENCE");
}

/* After the whole section is read: the files, and whether they fit together. */
static int finish_tls(struct ctx *x)
{
	struct webcfg *wc = x->wc;
	enum webcfg_client_auth a = wc->client_auth;

	if (!x->cert_file && !x->key_file) {
		if (x->ca_file || a != WEBCFG_NO_CLIENT_CERT)
			return bad(x, "tls_server_config", "%s",
				   "client certificates need cert_file and key_file");
		return 0;		/* exporter-toolkit serves plain HTTP then */
	}
	if (!x->cert_file || !x->key_file)
		return bad(x, x->cert_file ? "tls_server_config.key_file" :
			   "tls_server_config.cert_file", "%s", "missing: both cert_file and key_file are needed");
	if (x->min_version > x->max_version)
		return bad(x, "tls_server_config.min_version", "%s", "is above max_version");
	if ((a == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN || a == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT) &&
	    !x->ca_file)
		return bad(x, "tls_server_config.client_ca_file", "missing: client_auth_type %s "
			   "verifies client certificates against it", auth_names[a]);
	wc->tls = true;
	wc->cert_pem = read_relative(x, x->cert_file, "tls_server_config.cert_file");
	if (!wc->cert_pem)
		return -1;
	wc->key_pem = read_relative(x, x->key_file, "tls_server_config.key_file");
	if (!wc->key_pem)
		return -1;
	if (x->ca_file) {
		wc->ca_pem = read_relative(x, x->ca_file, "tls_server_config.client_ca_file");
		if (!wc->ca_pem || check_ca(x))
			return -1;
	}
	if (check_pair(x) || check_dates(x, wc->cert_pem))
		return -1;
	set_priorities(x);
	return 0;
}

/* ---- http_server_config ---- */

/* The response headers exporter-toolkit lets a configuration set. */
static const char *const allowed_headers[] = {
	"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
	"X-XSS-Protection", "Content-Security-Policy",
};

static int header_pair(struct ctx *x, const char *k, const yaml_node_t *v)
{
	struct webcfg *wc = x->wc;
	struct webcfg_header *h;
	char key[160];
	size_t i;

	snprintf(key, sizeof(key), "http_server_config.headers.%s", k);
	for (i = 0; i < sizeof(allowed_headers) / sizeof(allowed_headers[0]); i++)
		if (!strcasecmp(k, allowed_headers[i]))
			break;
	if (i == sizeof(allowed_headers) / sizeof(allowed_headers[0]))
		return bad(x, key, "%s", "not a header a configuration may set "
			   "(Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
			   "X-XSS-Protection, Content-Security-Policy)");
	if (!scalar(v) || strpbrk(scalar(v), "\r\n"))
		return bad(x, key, "%s", "want a one-line string");
	h = realloc(wc->headers, (wc->nheaders + 1) * sizeof(*h));
	if (!h)
		return gs_fail(x->err, GS_EXIT_ERROR, "out of memory");
	wc->headers = h;
	h[wc->nheaders].name = strdup(allowed_headers[i]);
	h[wc->nheaders].value = strdup(scalar(v));
	wc->nheaders++;
	return h[wc->nheaders - 1].name && h[wc->nheaders - 1].value ? 0 :
	       gs_fail(x->err, GS_EXIT_ERROR, "out of memory");
}

static int http_key(struct ctx *x, const char *k, const yaml_node_t *v)
{
	bool http2 = true;

	if (!strcmp(k, "http2"))
		return want_bool(x, "http_server_config.http2", v, &http2);
	if (!strcmp(k, "headers"))
		return each_pair(x, "http_server_config.headers", v, header_pair);
	return bad(x, k, "%s", "unknown key in http_server_config");
}

/* ---- basic_auth_users ---- */

/* libcrypt's bcrypt answers the hash itself for the right password, "*0"/"*1" for a bad hash. */
static char *bcrypt(const char *password, const char *hash, struct crypt_data *cd)
{
	memset(cd, 0, sizeof(*cd));
	return crypt_r(password, hash, cd);
}

static int user_pair(struct ctx *x, const char *k, const yaml_node_t *v)
{
	struct webcfg *wc = x->wc;
	struct webcfg_user *u;
	struct crypt_data *cd;
	const char *hash = scalar(v);
	char *out;
	size_t i;

	for (i = 0; i < wc->nusers; i++)
		if (!strcmp(wc->users[i].name, k))
			return bad(x, "basic_auth_users", "user '%s' is listed twice", k);
	if (!*k || strchr(k, ':'))
		return bad(x, "basic_auth_users", "%s", "a user name is empty or has a ':'");
	/* Never the hash in a message: it is what the file protects. */
	if (!hash || strlen(hash) != 60 || strncmp(hash, "$2", 2) || !strchr("aby", hash[2]) ||
	    hash[3] != '$')
		return bad(x, "basic_auth_users", "the hash of user '%s' is not a bcrypt hash "
			   "($2a$, $2b$ or $2y$, 60 characters)", k);
	cd = malloc(sizeof(*cd));
	if (!cd)
		return gs_fail(x->err, GS_EXIT_ERROR, "out of memory");
	out = bcrypt("", hash, cd);
	i = out && out[0] != '*';
	free(cd);
	if (!i)
		return bad(x, "basic_auth_users", "libcrypt does not take the hash of user '%s'", k);
	u = realloc(wc->users, (wc->nusers + 1) * sizeof(*u));
	if (!u)
		return gs_fail(x->err, GS_EXIT_ERROR, "out of memory");
	wc->users = u;
	u[wc->nusers].name = strdup(k);
	u[wc->nusers].hash = strdup(hash);
	wc->nusers++;
	return u[wc->nusers - 1].name && u[wc->nusers - 1].hash ? 0 :
	       gs_fail(x->err, GS_EXIT_ERROR, "out of memory");
}

/* ---- the file ---- */

static int top_key(struct ctx *x, const char *k, const yaml_node_t *v)
{
	if (!strcmp(k, "tls_server_config"))
		return each_pair(x, k, v, tls_key) || finish_tls(x) ? -1 : 0;
	if (!strcmp(k, "http_server_config"))
		return each_pair(x, k, v, http_key);
	if (!strcmp(k, "basic_auth_users"))
		return each_pair(x, k, v, user_pair);
	return bad(x, k, "%s", "unknown key (tls_server_config, http_server_config and "
		   "basic_auth_users are known)");
}

static int parse(struct ctx *x, const char *text)
{
	yaml_parser_t p;
	yaml_node_t *root;
	int rc = -1;

	if (!yaml_parser_initialize(&p))
		return gs_fail(x->err, GS_EXIT_ERROR, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&p, &x->doc)) {
		gs_fail(x->err, GS_EXIT_USAGE, "web config %s: line %zu: %s", x->path,
			p.problem_mark.line + 1, p.problem ? p.problem : "not YAML");
		yaml_parser_delete(&p);
		return -1;
	}
	yaml_parser_delete(&p);
	root = yaml_document_get_root_node(&x->doc);
	if (!root)
		rc = 0;		/* an empty file: plain HTTP, no authentication */
	else
		rc = each_pair(x, "the file", root, top_key);
	yaml_document_delete(&x->doc);
	return rc;
}

static int cache_init(struct webcfg *wc, struct gs_err *err)
{
	wc->cache = calloc(1, sizeof(*wc->cache));
	if (!wc->cache)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	pthread_mutex_init(&wc->cache->lock, NULL);
	if (gnutls_rnd(GNUTLS_RND_NONCE, wc->cache->salt, sizeof(wc->cache->salt)) < 0)
		return gs_fail(err, GS_EXIT_ERROR, "no random numbers for the login cache");
	return 0;
}

struct webcfg *webcfg__load(const char *path, struct gs_err *err)
{
	struct ctx x = { .path = path, .err = err, .min_version = 2, .max_version = 3 };
	char *text = NULL, *copy;

	x.wc = calloc(1, sizeof(*x.wc));
	if (!x.wc) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	copy = strdup(path);
	snprintf(x.dir, sizeof(x.dir), "%s", copy ? dirname(copy) : ".");
	free(copy);
	if (check_owner(path, err) || !(text = slurp(path, "web config", err)) || parse(&x, text) ||
	    cache_init(x.wc, err)) {
		webcfg__free(x.wc);
		x.wc = NULL;
	}
	free(text);
	free(x.cert_file);
	free(x.key_file);
	free(x.ca_file);
	return x.wc;
}

void webcfg__free(struct webcfg *wc)
{
	size_t i;

	if (!wc)
		return;
	for (i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	for (i = 0; i < wc->nheaders; i++) {
		free(wc->headers[i].name);
		free(wc->headers[i].value);
	}
	free(wc->users);
	free(wc->headers);
	if (wc->key_pem)
		memset(wc->key_pem, 0, strlen(wc->key_pem));
	free(wc->cert_pem);
	free(wc->key_pem);
	free(wc->ca_pem);
	if (wc->cache)
		pthread_mutex_destroy(&wc->cache->lock);
	free(wc->cache);
	free(wc);
}

/* ---- checking a login ---- */

static bool equal_ct(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	unsigned char d = 0;

	while (n--)
		d |= *p++ ^ *q++;
	return !d;
}

static void login_digest(const struct webcfg_cache *c, const char *user, const char *password,
			 unsigned char out[32])
{
	gnutls_hash_hd_t h;

	memset(out, 0, 32);
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return;
	gnutls_hash(h, c->salt, sizeof(c->salt));
	gnutls_hash(h, user, strlen(user) + 1);
	gnutls_hash(h, password, strlen(password) + 1);
	gnutls_hash_deinit(h, out);
}

static bool cached(struct webcfg_cache *c, const unsigned char d[32])
{
	bool hit = false;
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->used; i++)
		hit |= equal_ct(c->digest[i], d, 32);
	pthread_mutex_unlock(&c->lock);
	return hit;
}

static void remember(struct webcfg_cache *c, const unsigned char d[32])
{
	pthread_mutex_lock(&c->lock);
	memcpy(c->digest[c->next], d, 32);
	c->next = (c->next + 1) % CACHE_SLOTS;
	if (c->used < CACHE_SLOTS)
		c->used++;
	pthread_mutex_unlock(&c->lock);
}

bool webcfg__authorized(struct webcfg *wc, const char *user, const char *password)
{
	const struct webcfg_user *u = NULL;
	struct crypt_data *cd;
	unsigned char d[32];
	const char *out;
	bool ok;
	size_t i;

	if (!wc->nusers)
		return true;
	if (!user || !password)
		return false;
	for (i = 0; i < wc->nusers; i++)
		if (!strcmp(wc->users[i].name, user))
			u = &wc->users[i];
	login_digest(wc->cache, user, password, d);
	if (u && cached(wc->cache, d))
		return true;
	cd = malloc(sizeof(*cd));
	if (!cd)
		return false;
	/* An unknown user costs a bcrypt too, so the time taken does not tell who exists. */
	out = bcrypt(password, u ? u->hash : wc->users[0].hash, cd);
	ok = u && out && strlen(out) == strlen(u->hash) && equal_ct(out, u->hash, strlen(u->hash));
	free(cd);
	if (ok)
		remember(wc->cache, d);
	return ok;
}
