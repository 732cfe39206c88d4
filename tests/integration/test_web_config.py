"""goscope serve --web.config.file: TLS, client certificates and basic authentication.

The certificates come from openssl in the test (a CA, a server certificate for 127.0.0.1, a client
certificate, one from another CA, an expired one); the passwords are bcrypt-hashed by libcrypt
through Python's crypt module. A real Prometheus (Debian's) scrapes goscope over TLS with
basic_auth, and its API must return each target's go_goroutines equal to the runtime's own count.
"""
import http.client
import json
import os
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
import warnings

import pytest

from conftest import GO_MINORS, run_goscope, target_path, wait_for
from test_serve import prometheus, query, serve  # noqa: F401 (fixtures)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

PASSWORD = "correct horse battery staple"


def openssl(*args, cwd):
    res = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr


class PKI:
    """A CA with a server and a client certificate, and what the failure cases need."""

    def __init__(self, d):
        self.d = d
        self.ca = self.make_ca("ca", "goscope test CA")
        self.server = self.issue("server", "ca", "localhost",
                                 "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth")
        self.client = self.issue("client", "ca", "scraper", "extendedKeyUsage=clientAuth")
        self.make_ca("otherca", "another CA")
        self.stranger = self.issue("stranger", "otherca", "scraper", "extendedKeyUsage=clientAuth")

    def make_ca(self, name, cn):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={cn}",
                cwd=self.d)
        return self.d / f"{name}.crt"

    def issue(self, name, ca, cn, ext, dates=("-days", "2")):
        (self.d / f"{name}.ext").write_text(ext + "\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=self.d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-extfile", f"{name}.ext", *dates,
                cwd=self.d)
        return self.d / f"{name}.crt", self.d / f"{name}.key"

    def expired(self):
        """A server certificate whose validity ended in 2021 (openssl ca sets any dates)."""
        (self.d / "index.txt").write_text("")
        (self.d / "ca.cnf").write_text(f"""[ca]
default_ca = test
[test]
database = {self.d}/index.txt
new_certs_dir = {self.d}
serial = {self.d}/ca.srl
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
""")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "old.key", "-out", "old.csr", "-subj", "/CN=localhost", cwd=self.d)
        openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile", "ca.key",
                "-in", "old.csr", "-out", "old.crt", "-startdate", "20200101000000Z",
                "-enddate", "20210101000000Z", cwd=self.d)
        return self.d / "old.crt", self.d / "old.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return PKI(tmp_path_factory.mktemp("pki"))


def web_config(path, text):
    path.write_text(text)
    path.chmod(0o600)
    return path


def bcrypt(password):
    h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
    assert h.startswith("$2b$") and len(h) == 60, h
    return h


def tls_config(pki, tmp_path, auth="NoClientCert", users=True):
    cert, key = pki.server
    text = f"""tls_server_config:
  cert_file: {cert}
  key_file: {key}
  client_auth_type: {auth}
  client_ca_file: {pki.ca}
  min_version: TLS12
"""
    if users:
        text += f"basic_auth_users:\n  prom: {bcrypt(PASSWORD)}\n"
    return web_config(tmp_path / "web.yml", text)


def https_get(addr, ca, user=None, password=None, cert=None, path="/metrics"):
    ctx = ssl.create_default_context(cafile=str(ca))
    if cert:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    req = urllib.request.Request(f"https://{addr}{path}")
    if user is not None:
        import base64
        tok = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {tok}")
    try:
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def test_prometheus_scrapes_over_tls_with_basic_auth(quiescent, serve, prometheus, pki,  # noqa: F811
                                                     tmp_path):
    qs = {m: quiescent(m) for m in (GO_MINORS[0], GO_MINORS[len(GO_MINORS) // 2], GO_MINORS[-1])}
    cfg = tls_config(pki, tmp_path)
    s = serve(["--listen", "127.0.0.1:0", "--web.config.file", cfg, "-i", "500ms"] +
              [q.pid for q in qs.values()])
    assert s.scheme == "https" and "basic authentication" in s.stderr()
    (tmp_path / "pass").write_text(PASSWORD)
    base = prometheus(s.addr, f"""    scheme: https
    tls_config:
      ca_file: {pki.ca}
    basic_auth:
      username: prom
      password_file: {tmp_path / 'pass'}
""")
    pids = {q.pid for q in qs.values()}
    assert wait_for(lambda: set((query(base, "go_goroutines") or {})) == pids, 40, step=0.5), \
        (tmp_path / "prometheus.log").read_text()
    got = query(base, "go_goroutines")
    for q in qs.values():
        assert int(got[q.pid]["value"][1]) == q.snapshot()["num_goroutine"]
    # Prometheus's own view of the target: healthy, over https.
    with urllib.request.urlopen(f"{base}/api/v1/targets", timeout=5) as r:
        targets = json.loads(r.read())["data"]["activeTargets"]
    assert [t["health"] for t in targets] == ["up"] and targets[0]["scrapeUrl"].startswith("https://")
    # Nothing of the file reached stderr, even at the most verbose level.
    assert "$2b$" not in s.stderr() and PASSWORD not in s.stderr()
    assert s.stop() == 0


def test_authentication_and_plain_http_refused(go_target, serve, pki, tmp_path):  # noqa: F811
    t = go_target(target_path(GO_MINORS[-1], "default"))
    s = serve(["--listen", "127.0.0.1:0", "--web.config.file", tls_config(pki, tmp_path), "-vv",
               t.pid])
    assert wait_for(lambda: f'pid="{t.pid}"' in https_get(s.addr, pki.ca, "prom", PASSWORD)[2], 10)
    status, headers, body = https_get(s.addr, pki.ca, "prom", PASSWORD)
    assert status == 200 and "go_goroutines{" in body
    for user, password in (("prom", "wrong"), ("nobody", PASSWORD), (None, None)):
        status, headers, body = https_get(s.addr, pki.ca, user, password)
        assert status == 401 and "go_goroutines" not in body, (user, status, body)
        assert headers["WWW-Authenticate"].startswith("Basic ")
    # Every path is behind the password, the index page too.
    assert https_get(s.addr, pki.ca, path="/")[0] == 401
    # Plain HTTP to the TLS port: no HTTP answer, no metrics.
    host, port = s.addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as c:
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        try:
            while chunk := c.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    assert not data.startswith(b"HTTP/") and b"go_goroutines" not in data
    err = s.stderr()
    assert "$2b$" not in err and PASSWORD not in err and "wrong" not in err
    assert s.stop() == 0


def handshake(addr, ca, cert=None):
    """GET /metrics with an optional client certificate: the status, or the TLS error."""
    try:
        return https_get(addr, ca, cert=cert)[0]
    except (ssl.SSLError, ConnectionError, http.client.HTTPException, urllib.error.URLError) as e:
        return e


def test_client_certificates(go_target, serve, pki, tmp_path):  # noqa: F811
    t = go_target(target_path(GO_MINORS[-1], "default"))
    cfg = tls_config(pki, tmp_path, auth="RequireAndVerifyClientCert", users=False)
    s = serve(["--listen", "127.0.0.1:0", "--web.config.file", cfg, t.pid])
    assert handshake(s.addr, pki.ca, pki.client) == 200
    assert not isinstance(handshake(s.addr, pki.ca), int), "no client certificate was accepted"
    assert not isinstance(handshake(s.addr, pki.ca, pki.stranger), int), \
        "a certificate from another CA was accepted"
    assert s.stop() == 0
    # VerifyClientCertIfGiven: none is fine, a bad one is not.
    cfg = tls_config(pki, tmp_path, auth="VerifyClientCertIfGiven", users=False)
    s = serve(["--listen", "127.0.0.1:0", "--web.config.file", cfg, t.pid])
    assert handshake(s.addr, pki.ca) == 200
    assert handshake(s.addr, pki.ca, pki.client) == 200
    assert not isinstance(handshake(s.addr, pki.ca, pki.stranger), int)
    assert s.stop() == 0


def refused(t, cfg):
    res = run_goscope(["serve", "--listen", "127.0.0.1:0", "--web.config.file", cfg, t.pid],
                      timeout=30)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(lines) == 1, res
    return lines[0]


def test_bad_certificates_fail_at_start(go_target, pki, tmp_path):
    t = go_target(target_path(GO_MINORS[-1], "default"))
    cert, key = pki.expired()
    msg = refused(t, web_config(tmp_path / "a.yml", f"tls_server_config:\n  cert_file: {cert}\n"
                                f"  key_file: {key}\n"))
    assert "cert_file" in msg and "expired on 2021-01-01" in msg, msg
    # The server's certificate with the client's key.
    msg = refused(t, web_config(tmp_path / "b.yml", f"tls_server_config:\n  cert_file: {pki.server[0]}\n"
                                f"  key_file: {pki.client[1]}\n"))
    assert "key_file" in msg and "does not belong to the certificate" in msg, msg


@pytest.mark.parametrize("text,key", [
    ("tls_server_config:\n  cert_file: a\n  key_file: b\n  colour: blue\n", "tls_server_config.colour"),
    ("basic_auth_user:\n  a: b\n", "basic_auth_user"),
    ("tls_server_config:\n  min_version: TLS14\n", "tls_server_config.min_version"),
    ("tls_server_config:\n  client_auth_type: Sometimes\n", "tls_server_config.client_auth_type"),
    ("tls_server_config:\n  cert_file: only.crt\n", "tls_server_config.key_file"),
    ("basic_auth_users:\n  alice: plaintext-password-here\n", "basic_auth_users"),
    ("http_server_config:\n  headers:\n    Set-Cookie: x\n", "http_server_config.headers.Set-Cookie"),
    ("tls_server_config: [1, 2\n", "line"),
])
def test_bad_web_config_names_the_key(go_target, tmp_path, text, key):
    t = go_target(target_path(GO_MINORS[-1], "default"))
    msg = refused(t, web_config(tmp_path / "web.yml", text))
    assert f": {key}" in msg or f" {key}:" in msg, msg
    assert "plaintext-password-here" not in msg


def test_web_config_writable_by_others_is_refused(go_target, tmp_path):
    t = go_target(target_path(GO_MINORS[-1], "default"))
    cfg = web_config(tmp_path / "web.yml", f"basic_auth_users:\n  prom: {bcrypt(PASSWORD)}\n")
    for mode in (0o666, 0o620):
        os.chmod(cfg, mode)
        msg = refused(t, cfg)
        assert "writable" in msg and "chmod go-w" in msg and "$2b$" not in msg, msg
