"""Creates and fills the shop's SQLite database (SHOP_DB) before the workers start."""

import os
import random
import sqlite3

from sqlalchemy import create_engine

from models import Base

CUSTOMERS = 2_000
ORDERS = 20_000
EVENTS = 200_000


def main() -> None:
    path = os.environ.get("SHOP_DB", "shop.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    Base.metadata.create_all(create_engine(f"sqlite:///{path}"))
    rnd = random.Random(7)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executemany(
        "INSERT INTO customers (id, name, email, tier) VALUES (?, ?, ?, ?)",
        (
            (i, f"Customer {i}", f"c{i}@example.test", rnd.choice(["gold", "silver", "basic"]))
            for i in range(1, CUSTOMERS + 1)
        ),
    )
    db.executemany(
        "INSERT INTO orders (id, customer_id, total_cents, status) VALUES (?, ?, ?, ?)",
        (
            (i, rnd.randint(1, CUSTOMERS), rnd.randint(100, 90_000), rnd.choice(["paid", "shipped"]))
            for i in range(1, ORDERS + 1)
        ),
    )
    db.executemany(
        "INSERT INTO events (id, sku, kind, quantity) VALUES (?, ?, ?, ?)",
        (
            (i, f"SKU-{rnd.randint(1, 50_000):05d}", rnd.choice(["in", "out", "count"]), rnd.randint(1, 40))
            for i in range(1, EVENTS + 1)
        ),
    )
    db.commit()
    db.close()


if __name__ == "__main__":
    main()
