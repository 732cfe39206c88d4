"""Root-free: the OTLP request goscope encodes (tests/unit/test_otlp.c's fixture), decoded by the
OpenTelemetry project's own Python bindings (python3-opentelemetry-proto, generated from
opentelemetry-proto's .proto files), so every field number and type is checked against the
published schema, not against goscope's reading of it."""
import subprocess

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2

from conftest import BUILD

T0 = 1700000000000000000
SCHEMA = "https://opentelemetry.io/schemas/1.37.0"


def decode():
    raw = subprocess.run([BUILD / "tests" / "test_otlp", "--dump"], capture_output=True,
                         check=True).stdout
    msg = metrics_service_pb2.ExportMetricsServiceRequest()
    msg.ParseFromString(raw)
    assert_all_known(msg)
    # Every byte accounted for: the schema's own encoding is as long (field order may differ).
    assert msg.ByteSize() == len(raw)
    return msg


def assert_all_known(msg, path="request"):
    """No field the schema does not define, anywhere: no field number goscope made up."""
    assert len(msg.UnknownFields()) == 0, path
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        for i, sub in enumerate(value if field.label == field.LABEL_REPEATED else [value]):
            assert_all_known(sub, f"{path}.{field.name}[{i}]")


def attrs(kvs):
    out = {}
    for kv in kvs:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind)
    return out


def test_resources():
    msg = decode()
    assert len(msg.resource_metrics) == 3
    a, b, c = (attrs(rm.resource.attributes) for rm in msg.resource_metrics)
    assert a == {"service.name": "api", "service.instance.id": "node-7/1234", "process.pid": 1234,
                 "process.executable.name": "api", "process.runtime.name": "go",
                 "process.runtime.version": "go1.24.4", "host.name": "node-7"}
    assert b == {"service.name": "server", "service.namespace": "shop",
                 "service.instance.id": "node-7/5678", "process.pid": 5678, "process.vpid": 1,
                 "process.executable.name": "server", "process.runtime.name": "go",
                 "process.runtime.version": "go1.26.1", "host.name": "node-7",
                 "container.id": "0123456789abcdef" * 4, "container.name": "web",
                 "container.runtime.name": "containerd", "k8s.pod.name": "web-0",
                 "k8s.pod.uid": "2b3c4d5e-6f70-4182-9a3b-4c5d6e7f8091",
                 "k8s.namespace.name": "shop", "k8s.container.name": "web"}
    assert c["service.name"] == "comm9" and "process.runtime.version" not in c
    for rm in msg.resource_metrics:
        assert rm.schema_url == SCHEMA
        assert len(rm.scope_metrics) == 1
        sm = rm.scope_metrics[0]
        assert sm.scope.name == "goscope" and sm.scope.version and sm.schema_url == SCHEMA


# name: (unit, monotonic) as the semantic conventions define the instruments.
INSTRUMENTS = {
    "go.memory.used": ("By", False), "go.memory.limit": ("By", False),
    "go.memory.allocated": ("By", True), "go.memory.allocations": ("{allocation}", True),
    "go.memory.gc.goal": ("By", False), "go.goroutine.count": ("{goroutine}", False),
    "go.processor.limit": ("{thread}", False), "go.config.gogc": ("%", False),
}


def metrics(rm):
    return {m.name: m for m in rm.scope_metrics[0].metrics}


def test_metrics():
    msg = decode()
    for rm in msg.resource_metrics:
        start = None
        for name, m in metrics(rm).items():
            unit, monotonic = INSTRUMENTS[name]
            assert m.unit == unit and m.description
            assert m.WhichOneof("data") == "sum"
            assert m.sum.is_monotonic == monotonic
            assert m.sum.aggregation_temporality == metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
            for dp in m.sum.data_points:
                assert dp.WhichOneof("value") == "as_int"
                assert dp.time_unix_nano == T0
                assert start is None or dp.start_time_unix_nano == start
                start = dp.start_time_unix_nano
    a, b, c = (metrics(rm) for rm in msg.resource_metrics)
    used = {attrs(dp.attributes)["go.memory.type"]: dp.as_int for dp in a["go.memory.used"].sum.data_points}
    assert used == {"stack": 1048576, "other": 50000000 - 1048576}
    assert "go.memory.limit" not in a and b["go.memory.limit"].sum.data_points[0].as_int == 512 << 20
    assert a["go.memory.allocations"].sum.data_points[0].as_int == 5000 - 1200
    assert a["go.goroutine.count"].sum.data_points[0].as_int == 42
    assert b["go.goroutine.count"].sum.data_points[0].as_int == 49  # Go 1.26: with system ones
    assert "go.config.gogc" not in b and a["go.config.gogc"].sum.data_points[0].as_int == 100
    assert "go.memory.used" not in c
    assert a["go.memory.used"].sum.data_points[0].start_time_unix_nano == T0 - 3 * 10**9
    assert c["go.memory.allocated"].sum.data_points[0].start_time_unix_nano == 0
