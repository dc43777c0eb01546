#!/usr/bin/env python3
"""Drives bench/load.sh: starts nginx pinned to CPU 1, runs each load generator pinned to
CPU 0, reads each generator's own CPU time and peak RSS with os.wait4 (per child, not a
cumulative high-water mark) and prints medians and ratios."""
import json, os, re, shutil, statistics, subprocess, sys, tempfile, time

DURATION = int(os.environ.get("DURATION", "10"))
RATE = int(os.environ.get("RATE", "20000"))
CONN = int(os.environ.get("CONNECTIONS", "50"))
REPEAT = int(os.environ.get("REPEAT", "3"))
MILLION = os.environ.get("MILLION", "1") == "1"
PORT = 18080
URL = f"http://127.0.0.1:{PORT}/"
PERFHIVE = os.path.abspath("target/release/perfhive")


def start_nginx():
    d = tempfile.mkdtemp(prefix="perfhive-bench-nginx-")
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  server {{
    listen 127.0.0.1:{PORT};
    location / {{ return 200 "ok\\n"; }}
  }}
}}
""")
    p = subprocess.Popen(["taskset", "-c", "1", "nginx", "-c", conf, "-p", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            import socket
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.1)
    raise SystemExit("nginx did not start")


def measure(cmd):
    """Runs cmd pinned to CPU 0; returns (stdout, cpu seconds, peak rss MiB, wall)."""
    t0 = time.monotonic()
    p = subprocess.Popen(["taskset", "-c", "0"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{cmd[0]} failed: {status}")
    return out.decode(errors="replace"), ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, wall


def wrk_requests(out):
    m = re.search(r"(\d+) requests in", out)
    return int(m.group(1))


def oha_requests(out):
    j = json.loads(out)
    dist = j.get("statusCodeDistribution", {})
    return sum(int(v) for v in dist.values())


def perfhive_requests(out):
    j = json.loads(out)
    return j["metrics"]["requests"]


def closed(tool):
    if tool == "wrk":
        return ["wrk", "-t1", f"-c{CONN}", f"-d{DURATION}s", URL], wrk_requests
    if tool == "oha":
        return ["oha", "-z", f"{DURATION}s", "-c", str(CONN), "--no-tui", "--output-format", "json", URL], oha_requests
    return [PERFHIVE, "run", URL, "-c", str(CONN), "--duration", f"{DURATION}s", "--threads", "1", "--json", "-q"], perfhive_requests


def open_rate(tool):
    if tool == "oha":
        return ["oha", "-z", f"{DURATION}s", "-c", str(CONN), "-q", str(RATE), "--no-tui", "--output-format", "json", URL], oha_requests
    return [PERFHIVE, "run", URL, "--rate", str(RATE), "--duration", f"{DURATION}s", "--threads", "1", "--max-in-flight", str(CONN), "--json", "-q"], perfhive_requests


def main():
    tools = ["perfhive", "wrk"] + (["oha"] if shutil.which("oha") else [])
    nginx = start_nginx()
    try:
        print(f"# closed model: {CONN} connections, {DURATION} s, generator on CPU 0, nginx on CPU 1, median of {REPEAT}")
        print(f"{'tool':<10} {'requests':>10} {'req/s':>10} {'cpu s':>7} {'req/cpu-s':>10} {'peak MiB':>9}")
        eff = {}
        for _ in range(REPEAT):
            for tool in tools:  # interleaved, to cancel drift
                cmd, parse = closed(tool)
                out, cpu, rss, wall = measure(cmd)
                n = parse(out)
                eff.setdefault(tool, []).append((n / cpu, n, n / DURATION, cpu, rss))
        for tool in tools:
            rows = eff[tool]
            med = statistics.median(r[0] for r in rows)
            r = min(rows, key=lambda x: abs(x[0] - med))
            print(f"{tool:<10} {r[1]:>10} {r[2]:>10.0f} {r[3]:>7.2f} {med:>10.0f} {r[4]:>9.1f}")
        base = statistics.median(x[0] for x in eff["wrk"])
        for tool in tools:
            print(f"ratio {tool}/wrk requests per CPU-second: {statistics.median(x[0] for x in eff[tool]) / base:.2f}")

        print(f"\n# open model at {RATE} req/s for {DURATION} s: generator CPU per request")
        per = {}
        for _ in range(REPEAT):
            for tool in [t for t in tools if t != "wrk"]:
                cmd, parse = open_rate(tool)
                out, cpu, rss, wall = measure(cmd)
                n = parse(out)
                per.setdefault(tool, []).append((cpu / n * 1e6, n))
        for tool, rows in per.items():
            print(f"{tool:<10} {statistics.median(r[0] for r in rows):>8.2f} µs CPU/request  ({statistics.median(r[1] for r in rows):.0f} requests)")
        if "oha" in per:
            print(f"ratio perfhive/oha CPU per request: {statistics.median(r[0] for r in per['perfhive']) / statistics.median(r[0] for r in per['oha']):.2f}")

        if MILLION:
            print("\n# memory: 1,000,000 requests (closed model, 64 connections)")
            secs = int(os.environ.get("MILLION_SECONDS", "20"))
            cmd = [PERFHIVE, "run", URL, "-c", "64", "--duration", f"{secs}s", "--threads", "1", "--json", "-q"]
            out, cpu, rss, wall = measure(cmd)
            n = perfhive_requests(out)
            print(f"perfhive   {n} requests in {secs} s, peak RSS {rss:.1f} MiB (goal < 64 MiB)")
            if "oha" in tools:
                out, cpu, rss2, wall = measure(["oha", "-n", str(n), "-c", "64", "--no-tui", "--output-format", "json", URL])
                print(f"oha        {oha_requests(out)} requests, peak RSS {rss2:.1f} MiB (keeps every sample)")
    finally:
        nginx.terminate()
        nginx.wait()


if __name__ == "__main__":
    main()
