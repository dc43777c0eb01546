"""A small shop API: Flask + SQLAlchemy over SQLite, served by gunicorn.

It has no tracing code of its own: `opentelemetry-instrument` instruments Flask and SQLAlchemy
when it starts. Four handlers are slow for reasons a code review would catch (docs/field.md
lists them): an N+1 read, a row-by-row import, a search on an unindexed
column and a pure-Python scoring loop.
"""

import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from models import Customer, Event, Order, StockLine

engine = create_engine(
    f"sqlite:///{os.environ.get('SHOP_DB', 'shop.db')}",
    connect_args={"timeout": 30, "check_same_thread": False},
)


@event.listens_for(engine, "connect")
def _pragmas(dbapi_connection, _record):
    dbapi_connection.execute("PRAGMA journal_mode=WAL")


app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(ok=True)


@app.get("/customers/<int:customer_id>")
def customer(customer_id: int):
    with Session(engine) as session:
        c = session.get(Customer, customer_id)
        return jsonify(id=c.id, name=c.name, tier=c.tier)


@app.get("/orders/recent")
def recent_orders():
    with Session(engine) as session:
        orders = session.scalars(select(Order).order_by(Order.id.desc()).limit(40)).all()
        # each order's customer is loaded on first access: one SELECT per order
        return jsonify(
            [
                {"id": o.id, "total_cents": o.total_cents, "customer": o.customer.name}
                for o in orders
            ]
        )


@app.post("/import")
def import_stock():
    rows = request.get_json()
    with Session(engine) as session:
        for row in rows:
            session.add(StockLine(sku=row["sku"], quantity=row["quantity"], warehouse=row["warehouse"]))
            session.commit()
    return jsonify(imported=len(rows)), 201


@app.get("/events/search")
def search_events():
    sku = request.args.get("sku", "SKU-00042")
    with Session(engine) as session:
        found = session.scalars(select(Event).where(Event.sku == sku)).all()
        return jsonify([{"id": e.id, "kind": e.kind, "quantity": e.quantity} for e in found])


def loyalty_score(name: str, email: str, rounds: int = 300) -> int:
    """A customer's loyalty score: a hand-rolled FNV-1a hash, stirred `rounds` times."""
    h = 0xCBF29CE484222325
    data = (name + "|" + email).encode()
    for _ in range(rounds):
        for b in data:
            h ^= b
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h % 1000


@app.get("/reports/loyalty")
def loyalty_report():
    with Session(engine) as session:
        customers = session.scalars(select(Customer).order_by(Customer.id).limit(20)).all()
        scores = {c.id: loyalty_score(c.name, c.email) for c in customers}
    return jsonify(top=sorted(scores.items(), key=lambda kv: -kv[1])[:5])
