// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The web config reader (util/webcfg.c), root-free: every key it knows, the errors that name a key,
 * the file's permissions, and logins against bcrypt hashes made here with libcrypt. Certificates
 * and the TLS handshake are tested against a real server in tests/integration/test_web_config.py.
 */
#include <crypt.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "check.h"
#include "util/webcfg.h"

static char dir[] = "/tmp/gs-webcfg-XXXXXX";
static char hash_alice[CRYPT_OUTPUT_SIZE], hash_bob[CRYPT_OUTPUT_SIZE];

static const char *write_cfg(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static void make_hash(const char *password, char *out)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd = { 0 };

	crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt));
	snprintf(out, CRYPT_OUTPUT_SIZE, "%s", crypt_r(password, salt, &cd));
}

/* Load text; return the error message ("" when it loaded). */
static const char *load(const char *text, mode_t mode, struct webcfg **out)
{
	static struct gs_err err;
	struct webcfg *wc;

	memset(&err, 0, sizeof(err));
	wc = webcfg__load(write_cfg("web.yml", text, mode), &err);
	if (out)
		*out = wc;
	else
		webcfg__free(wc);
	return wc ? "" : err.msg;
}

static void expect_error(const char *text, const char *key, const char *name)
{
	const char *msg = load(text, 0600, NULL);

	CHECK_REPORT(strstr(msg, key) != NULL, name, "message \"%s\" does not name %s", msg, key);
}

static void test_empty_and_null(void)
{
	struct webcfg *wc = NULL;

	ASSERT_STREQ(load("", 0600, &wc), "", "an empty file loads");
	ASSERT_TRUE(wc && !wc->tls && !wc->nusers, "an empty file: plain HTTP, no users");
	ASSERT_TRUE(wc && webcfg__authorized(wc, NULL, NULL), "no users: everyone may read");
	webcfg__free(wc);
	ASSERT_STREQ(load("tls_server_config:\nbasic_auth_users: ~\nhttp_server_config: null\n", 0600,
			  &wc), "", "null sections load");
	ASSERT_TRUE(wc && !wc->tls, "a null tls_server_config: no TLS");
	webcfg__free(wc);
}

static void test_errors_name_the_key(void)
{
	expect_error("colour: blue\n", ": colour: unknown key", "unknown top-level key");
	expect_error("tls_server_config:\n  cert_fil: a\n", "tls_server_config.cert_fil: unknown key",
		     "unknown TLS key");
	expect_error("tls_server_config:\n  min_version: TLS14\n", "tls_server_config.min_version",
		     "bad min_version");
	expect_error("tls_server_config:\n  min_version: TLS13\n  max_version: TLS12\n  cert_file: a\n"
		     "  key_file: b\n", "min_version: is above max_version", "min above max");
	expect_error("tls_server_config:\n  client_auth_type: Maybe\n",
		     "tls_server_config.client_auth_type", "bad client_auth_type");
	expect_error("tls_server_config:\n  key_file: k\n", "tls_server_config.cert_file: missing",
		     "key without certificate");
	expect_error("tls_server_config:\n  client_ca_file: ca\n", "client certificates need",
		     "client CA without TLS");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  client_auth_type: RequireAndVerifyClientCert\n",
		     "tls_server_config.client_ca_file: missing", "verification without a CA");
	expect_error("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		     "tls_server_config.cipher_suites: not supported", "cipher_suites refused");
	expect_error("tls_server_config:\n  prefer_server_cipher_suites: maybe\n",
		     "prefer_server_cipher_suites: want true or false", "bad boolean");
	expect_error("tls_server_config:\n  cert_file: nothere.crt\n  key_file: nothere.key\n",
		     "nothere.crt", "a missing certificate file is named, relative to the file");
	expect_error("http_server_config:\n  headers:\n    Set-Cookie: a\n",
		     "http_server_config.headers.Set-Cookie", "header not allowed");
	expect_error("http_server_config:\n  http3: true\n", ": http3: unknown key",
		     "unknown http_server_config key");
	expect_error("basic_auth_users:\n  alice: secret\n", "basic_auth_users", "plain password");
	expect_error("basic_auth_users: [alice]\n", "basic_auth_users: want a mapping",
		     "users as a list");
	expect_error("tls_server_config: [1, 2\n", "line ", "YAML syntax error with its line");
	ASSERT_TRUE(!strstr(load("basic_auth_users:\n  alice: hunter2-is-my-password\n", 0600, NULL),
			    "hunter2"), "a bad hash is not repeated in the message");
}

static void test_permissions(void)
{
	char text[1024];

	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: %s\n", hash_alice);
	ASSERT_TRUE(strstr(load(text, 0666, NULL), "writable by everyone"), "world-writable refused");
	ASSERT_TRUE(strstr(load(text, 0660, NULL), "writable by its group"), "group-writable refused");
	ASSERT_STREQ(load(text, 0644, NULL), "", "readable by others is allowed");
	ASSERT_TRUE(!strstr(load(text, 0666, NULL), "$2b$"), "the hash is never in a message");
}

static void test_logins(void)
{
	struct webcfg *wc = NULL;
	char text[1024];

	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: %s\n  bob: '%s'\n", hash_alice,
		 hash_bob);
	ASSERT_STREQ(load(text, 0600, &wc), "", "two users load");
	if (!wc)
		return;
	ASSERT_EQ(wc->nusers, 2, "users");
	ASSERT_TRUE(webcfg__authorized(wc, "alice", "alice's password"), "alice, right password");
	ASSERT_TRUE(webcfg__authorized(wc, "alice", "alice's password"), "alice again (cached)");
	ASSERT_TRUE(webcfg__authorized(wc, "bob", "bob's"), "bob, right password");
	ASSERT_TRUE(!webcfg__authorized(wc, "alice", "bob's"), "alice with bob's password");
	ASSERT_TRUE(!webcfg__authorized(wc, "bob", "alice's password"), "bob with alice's password");
	ASSERT_TRUE(!webcfg__authorized(wc, "carol", "alice's password"), "unknown user");
	ASSERT_TRUE(!webcfg__authorized(wc, "alice", ""), "empty password");
	ASSERT_TRUE(!webcfg__authorized(wc, NULL, NULL), "no credentials");
	ASSERT_TRUE(!webcfg__authorized(wc, "alice", "alice's passwor"), "a prefix of the password");
	webcfg__free(wc);
	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: %s\n  alice: %s\n", hash_alice,
		 hash_bob);
	ASSERT_TRUE(strstr(load(text, 0600, NULL), "listed twice"), "a user listed twice");
}

static void test_headers(void)
{
	struct webcfg *wc = NULL;

	ASSERT_STREQ(load("http_server_config:\n  http2: false\n  headers:\n"
			  "    x-frame-options: deny\n    Strict-Transport-Security: max-age=60\n",
			  0600, &wc), "", "headers load");
	if (!wc)
		return;
	ASSERT_EQ(wc->nheaders, 2, "headers");
	ASSERT_STREQ(wc->headers[0].name, "X-Frame-Options", "header name in its usual spelling");
	ASSERT_STREQ(wc->headers[0].value, "deny", "header value");
	ASSERT_STREQ(wc->headers[1].value, "max-age=60", "second header value");
	webcfg__free(wc);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 2;
	make_hash("alice's password", hash_alice);
	make_hash("bob's", hash_bob);
	test_empty_and_null();
	test_errors_name_the_key();
	test_permissions();
	test_logins();
	test_headers();
	unlink(write_cfg("web.yml", "", 0600));
	rmdir(dir);
	return check_summary();
}
