"""A quote service: FastAPI on one uvicorn worker.

It has no tracing code of its own: `opentelemetry-instrument` instruments FastAPI when it
starts. `/quote` is declared `async` but prices the portfolio with a CPU-bound loop, so it holds
the event loop — the service's only thread doing work — for the whole computation, and every
other request, `/health` too, waits behind it.
"""

import math

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health():
    return {"ok": True}


def price_portfolio(positions: int, paths: int = 300) -> float:
    """Prices `positions` options by a crude Monte-Carlo: deterministic, pure Python, CPU-bound."""
    total = 0.0
    seed = 12345
    for p in range(positions):
        strike = 90.0 + p
        acc = 0.0
        for _ in range(paths):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            z = (seed / 0x7FFFFFFF) * 2.0 - 1.0
            spot = 100.0 * math.exp(0.2 * z)
            acc += max(spot - strike, 0.0)
        total += acc / paths
    return total


@app.get("/quote")
async def quote(positions: int = 40):
    # CPU-bound work inside an async handler: the event loop is blocked until it returns
    return {"positions": positions, "value": round(price_portfolio(positions), 4)}
