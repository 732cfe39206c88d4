"""An OTLP/HTTP metrics receiver for the tests, on loopback.

Debian's Prometheus (2.53.3+ds1, trixie) is built without its OTLP receiver ("Disable OTLP
Ingestion endpoint ... until golang-opentelemetry-collector is in Debian", #1080354), and no
other Debian or npm package receives OTLP/HTTP metrics. So the tests receive them here: an HTTP
server that decodes every request with the OpenTelemetry project's own protobuf bindings
(python3-opentelemetry-proto, generated from opentelemetry-proto's .proto files; nothing of
goscope's), answers as the OTLP specification says (200 with an ExportMetricsServiceResponse),
and keeps what it decoded for the test to compare with the runtime's own readings. A test can
make it answer otherwise (a status code, Retry-After, a partial success), stop it (connections
refused) and start it again on the same port.
"""
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2

PROTOBUF = "application/x-protobuf"
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE


def any_value(v):
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


def attributes(kvs):
    return {kv.key: any_value(kv.value) for kv in kvs}


class Received:
    """One request as decoded: when, its headers, the message."""

    def __init__(self, path, headers, msg):
        self.time = time.monotonic()
        self.path = path
        self.headers = headers
        self.msg = msg
        self.status = self.answer = None

    def points(self):
        """Every data point, flattened into dicts."""
        out = []
        for rm in self.msg.resource_metrics:
            res = attributes(rm.resource.attributes)
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    kind = m.WhichOneof("data")
                    data = getattr(m, kind)
                    for dp in data.data_points:
                        out.append(dict(
                            resource=res, schema_url=rm.schema_url, scope=sm.scope.name,
                            scope_version=sm.scope.version, name=m.name, unit=m.unit,
                            description=m.description, kind=kind,
                            monotonic=getattr(data, "is_monotonic", None),
                            temporality=getattr(data, "aggregation_temporality", None),
                            attributes=attributes(dp.attributes),
                            value_kind=dp.WhichOneof("value"), value=any_value(dp),
                            time=dp.time_unix_nano, start=dp.start_time_unix_nano))
        return out


class OtlpReceiver:
    def __init__(self, path="/v1/metrics", tls=None):
        """tls: (cert, key, client_ca or None): HTTPS, requiring a client certificate signed by
        client_ca when one is given."""
        self.path = path
        self.tls = tls
        self.port = None
        self.received = []       # requests answered with 200
        self.attempts = []       # every request, whatever the answer
        self.lock = threading.Lock()
        self._server = None
        self._conns = set()
        # What to answer: (status, headers, body) from respond(msg), or None for a plain success.
        self.respond = None

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{self.path}"

    def start(self):
        """Listen (on the same port as before, after a stop)."""
        rx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with rx.lock:
                    rx._conns.add(self.connection)

            def finish(self):
                with rx.lock:
                    rx._conns.discard(self.connection)
                super().finish()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != rx.path:
                    return self.reply(404, {}, b"not found")
                if self.headers.get("Content-Type") != PROTOBUF:
                    return self.reply(415, {}, b"unsupported media type")
                msg = metrics_service_pb2.ExportMetricsServiceRequest()
                msg.ParseFromString(body)
                got = Received(self.path, dict(self.headers), msg)
                with rx.lock:
                    respond = rx.respond
                    rx.attempts.append(got)
                if respond:
                    status, headers, body = respond(msg)
                else:
                    ok = metrics_service_pb2.ExportMetricsServiceResponse()
                    status, headers, body = 200, {"Content-Type": PROTOBUF}, ok.SerializeToString()
                got.status, got.answer = status, body
                self.reply(status, headers, body)
                # Received: answered with a success the client could read (a stop in between
                # leaves it unanswered, and the client sends it again).
                if status == 200:
                    with rx.lock:
                        rx.received.append(got)

            def reply(self, status, headers, body):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port or 0), Handler)
        self.port = self._server.server_address[1]
        if self.tls:
            cert, key, client_ca = self.tls
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            if client_ca:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(client_ca)
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        """Go away as a killed server does: the listening socket and every connection closed
        (kept-alive ones too); connections are refused until start()."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            conns, self._conns = self._conns, set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def requests(self):
        with self.lock:
            return list(self.received)

    def points(self, since=0.0):
        return [p for r in self.requests() if r.time >= since for p in r.points()]

    def latest(self, pid):
        """The newest value of every metric of one process: {name or (name, attr value): point}."""
        out = {}
        for p in self.points():
            if p["resource"].get("process.pid") != pid:
                continue
            key = p["name"]
            if p["attributes"]:
                key = (p["name"],) + tuple(sorted(p["attributes"].values()))
            out[key] = p
        return out


def refused(port):
    """Is nothing listening on the port?"""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0
