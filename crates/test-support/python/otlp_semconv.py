"""Records traces as instrumented web services emit them, with the OpenTelemetry Python SDK,
and exports them over OTLP/HTTP protobuf.

    otlp_semconv.py ENDPOINT TRACES

ENDPOINT is the full traces URL; TRACES the number of requests of each kind (at least 1).
Service `shop`, two kinds of request:

* `GET /orders/{id}` — new semantic conventions (`db.query.text`, `db.system.name`,
  `http.request.method`, `code.function.name`, `code.file.path`, `code.line.number`), spans of
  the SQLAlchemy instrumentation's scope: one `SELECT … FROM orders` then an N+1 read, 8 ×
  `SELECT … FROM items WHERE order_id = <n>` (each with its own literal), with ~3 ms of the
  handler's own time between two of them (rows fetched outside the span); then two HTTP calls
  one after the other, `inventory` (~20 ms) and `pricing` (~30 ms).
* `POST /ingest` — old conventions (`db.statement`, `db.system`, `http.method`,
  `code.function`, `code.filepath`, `code.lineno`), spans of the generic DB-API
  instrumentation's scope: an N+1 write, 6 × `INSERT INTO readings … VALUES (…)`.

The script exits non-zero unless the export succeeded.
"""
import sys
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

SERVER = trace.SpanKind.SERVER
CLIENT = trace.SpanKind.CLIENT


def orders(web, orm, http, order_id):
    with web.start_as_current_span("GET /orders/{id}", kind=SERVER) as s:
        s.set_attribute("http.request.method", "GET")
        s.set_attribute("http.route", "/orders/{id}")
        s.set_attribute("url.path", f"/orders/{order_id}")
        with orm.start_as_current_span("SELECT shop", kind=CLIENT) as q:
            q.set_attribute("db.system.name", "postgresql")
            q.set_attribute("db.query.text", f"SELECT id, customer_id FROM orders WHERE id = {order_id}")
            time.sleep(0.002)
        for item in range(8):
            with orm.start_as_current_span("SELECT shop", kind=CLIENT) as q:
                q.set_attribute("db.system.name", "postgresql")
                q.set_attribute(
                    "db.query.text",
                    f"SELECT id, sku, qty FROM items WHERE order_id = {order_id * 100 + item}",
                )
                q.set_attribute("code.function.name", "shop.orders.list_items")
                q.set_attribute("code.file.path", "/srv/shop/orders.py")
                q.set_attribute("code.line.number", 42)
                time.sleep(0.001)
            time.sleep(0.003)  # the handler reads the rows and builds objects
        for peer, seconds in (("inventory", 0.02), ("pricing", 0.03)):
            with http.start_as_current_span("GET", kind=CLIENT) as c:
                c.set_attribute("http.request.method", "GET")
                c.set_attribute("peer.service", peer)
                c.set_attribute("server.address", f"{peer}.internal")
                time.sleep(seconds)


def ingest(web, dbapi, n):
    with web.start_as_current_span("POST /ingest", kind=SERVER) as s:
        s.set_attribute("http.method", "POST")
        s.set_attribute("http.route", "/ingest")
        for i in range(6):
            with dbapi.start_as_current_span("INSERT", kind=CLIENT) as q:
                q.set_attribute("db.system", "sqlite")
                q.set_attribute(
                    "db.statement",
                    f"INSERT INTO readings (sensor, value) VALUES ('s{n}', {i})",
                )
                q.set_attribute("code.function", "ingest")
                q.set_attribute("code.namespace", "shop.ingest")
                q.set_attribute("code.filepath", "/srv/shop/ingest.py")
                q.set_attribute("code.lineno", 17)
                time.sleep(0.001)


def main():
    if len(sys.argv) != 3 or int(sys.argv[2]) < 1:
        sys.exit(__doc__)
    endpoint, n = sys.argv[1], int(sys.argv[2])
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    web = provider.get_tracer("opentelemetry.instrumentation.flask")
    orm = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    dbapi = provider.get_tracer("opentelemetry.instrumentation.dbapi")
    http = provider.get_tracer("opentelemetry.instrumentation.requests")
    for i in range(n):
        orders(web, orm, http, i + 1)
        ingest(web, dbapi, i)
    provider.shutdown()
    exporter = OTLPSpanExporter(endpoint=endpoint)
    result = exporter.export(memory.get_finished_spans())
    exporter.shutdown()
    if result != SpanExportResult.SUCCESS:
        sys.exit(f"export failed: {result}")


main()
