/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The web configuration file Prometheus exporters read through exporter-toolkit
 * (--web.config.file): TLS for the scrape endpoint and HTTP basic authentication, in the same YAML,
 * so one file and one scrape configuration serve node_exporter and goscope alike.
 *
 *   tls_server_config:
 *     cert_file: server.crt           # PEM; relative paths are relative to the file's directory
 *     key_file: server.key
 *     client_auth_type: RequireAndVerifyClientCert
 *     client_ca_file: ca.crt
 *     min_version: TLS12               # TLS10 .. TLS13
 *     max_version: TLS13
 *     prefer_server_cipher_suites: true
 *   http_server_config:
 *     http2: true                      # accepted; goscope answers in HTTP/1.1
 *     headers: { X-Frame-Options: deny }
 *   basic_auth_users:
 *     alice: $2y$10$...                # bcrypt
 *
 * Everything is read and checked at start-up (the certificate against its key, its validity
 * dates, every hash): an unknown key or a bad value is an error naming the key. Nothing of the
 * file's contents is ever logged.
 */
#ifndef GS_WEBCFG_H
#define GS_WEBCFG_H

#include <stdbool.h>
#include <stddef.h>
#include "util/log.h"

/* exporter-toolkit's client_auth_type values, which are Go's tls.ClientAuthType names. */
enum webcfg_client_auth {
	WEBCFG_NO_CLIENT_CERT,
	WEBCFG_REQUEST_CLIENT_CERT,
	WEBCFG_REQUIRE_ANY_CLIENT_CERT,
	WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

struct webcfg_header {
	char *name, *value;
};

struct webcfg {
	/* TLS, when tls is set: PEM text of the files, and a GnuTLS priority string. */
	bool tls;
	char *cert_pem, *key_pem, *ca_pem;
	enum webcfg_client_auth client_auth;
	char priorities[128];
	/* Extra response headers (http_server_config.headers). */
	struct webcfg_header *headers;
	size_t nheaders;
	/* Basic authentication: every request needs a user and its password when nusers > 0. */
	struct webcfg_user *users;
	size_t nusers;
	struct webcfg_cache *cache;
};

/* Read and check FILE. Errors are GS_EXIT_USAGE (the file's contents) or GS_EXIT_ERROR (I/O). */
struct webcfg *webcfg__load(const char *path, struct gs_err *err);
void webcfg__free(struct webcfg *wc);

/* Does this user/password pair pass? (bcrypt through libcrypt; successes are remembered.) */
bool webcfg__authorized(struct webcfg *wc, const char *user, const char *password);

#endif
