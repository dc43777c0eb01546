"""Records the checkout trace with the OpenTelemetry Python SDK and exports it over OTLP.

    otlp_export.py http|grpc ENDPOINT COMPRESSION [COMPRESSION ...]

COMPRESSION is `none` or `gzip`. The trace is `checkout` → `load-cart` → 6 × `SELECT items`
(CLIENT, db.system and db.statement set, ~2 ms each) and `checkout` → `charge` (CLIENT,
peer.service = payments, ~50 ms): 9 spans of service `shop`. It is recorded and exported once per
COMPRESSION argument, each time through its own exporter; the script exits non-zero unless every
export succeeded. For `http`, ENDPOINT is the full traces URL; for `grpc`, `http://HOST:PORT`.
"""
import sys
import time

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def exporter(transport, endpoint, compression):
    if transport == "grpc":
        from grpc import Compression
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        c = Compression.Gzip if compression == "gzip" else Compression.NoCompression
        return OTLPSpanExporter(endpoint=endpoint, insecure=True, compression=c)
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    c = Compression.Gzip if compression == "gzip" else Compression.NoCompression
    return OTLPSpanExporter(endpoint=endpoint, compression=c)


def checkout_trace():
    """The finished spans of one checkout trace."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("perfhive-test")
    with tracer.start_as_current_span("checkout"):
        with tracer.start_as_current_span("load-cart"):
            for _ in range(6):
                with tracer.start_as_current_span("SELECT items", kind=trace.SpanKind.CLIENT) as s:
                    s.set_attribute("db.system", "postgresql")
                    s.set_attribute("db.statement", "SELECT * FROM items WHERE id = ?")
                    time.sleep(0.002)
        with tracer.start_as_current_span("charge", kind=trace.SpanKind.CLIENT) as s:
            s.set_attribute("peer.service", "payments")
            time.sleep(0.05)
    provider.shutdown()
    return memory.get_finished_spans()


def main():
    transport, endpoint, compressions = sys.argv[1], sys.argv[2], sys.argv[3:]
    if transport not in ("http", "grpc") or not compressions:
        sys.exit(__doc__)
    failed = []
    for compression in compressions:
        e = exporter(transport, endpoint, compression)
        result = e.export(checkout_trace())
        if result != SpanExportResult.SUCCESS:
            failed.append(f"{compression}: {result}")
        e.shutdown()
    if failed:
        sys.exit("exports failed: " + ", ".join(failed))


main()
