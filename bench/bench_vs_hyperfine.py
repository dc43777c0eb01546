#!/usr/bin/env python3
"""Drives bench/bench.sh: perfhive bench and hyperfine on the same commands, interleaved,
pinned to CPU 0; prints per-run overhead of each tool and the ratio of their means."""
import json, os, statistics, subprocess, tempfile, time

RUNS = int(os.environ.get("RUNS", "200"))
REPEAT = int(os.environ.get("REPEAT", "3"))
PERFHIVE = os.path.abspath("target/release/perfhive")
TMP = tempfile.mkdtemp(prefix="perfhive-bench-")
DATA = os.path.join(TMP, "data.bin")
with open(DATA, "wb") as f:
    f.write(os.urandom(8 * 1024 * 1024))

COMMANDS = ["sleep 0.01", "sleep 0.05", f"sha256sum {DATA}", f"gzip -c -1 {DATA}"]


def timed(cmd):
    t0 = time.monotonic()
    subprocess.run(["taskset", "-c", "0"] + cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def perfhive_mean(command, runs, out):
    timed([PERFHIVE, "--no-history", "bench", command, "--runs", str(runs), "-w", "2", "-q", "--export-json", out])
    r = json.load(open(out))
    return r["commands"][0]["wall_s"]["mean"], r["commands"][0]["max_rss_mb"]["median"]


def hyperfine_mean(command, runs, out):
    timed(["hyperfine", "-N", "--runs", str(runs), "-w", "2", "--export-json", out, command])
    r = json.load(open(out))["results"][0]
    return r["mean"], (r.get("memory_usage_byte") or [0])[0] / 1048576 if r.get("memory_usage_byte") else None


def main():
    out = os.path.join(TMP, "out.json")
    print(f"# per-run overhead: `true`, {RUNS} runs, wall of the whole invocation / runs, median of {REPEAT}, CPU 0")
    over = {"perfhive": [], "hyperfine": []}
    for _ in range(REPEAT):
        over["perfhive"].append(timed([PERFHIVE, "--no-history", "bench", "true", "--runs", str(RUNS), "-q"]) / RUNS)
        over["hyperfine"].append(timed(["hyperfine", "-N", "--runs", str(RUNS), "-w", "0", "true"]) / RUNS)
    for tool, xs in over.items():
        print(f"{tool:<10} {statistics.median(xs) * 1e6:8.0f} µs per run (tool + spawn + `true`)")
    print(f"ratio perfhive/hyperfine: {statistics.median(over['perfhive']) / statistics.median(over['hyperfine']):.2f}")

    print(f"\n# agreement of means ({min(RUNS, 30)} runs each, interleaved tools, median of {REPEAT})")
    print(f"{'command':<44} {'perfhive':>11} {'hyperfine':>11} {'ratio':>7} {'perfhive peak RSS':>18}")
    for c in COMMANDS:
        p, h, rss = [], [], []
        for _ in range(REPEAT):
            m, r = perfhive_mean(c, min(RUNS, 30), out)
            p.append(m)
            rss.append(r)
            h.append(hyperfine_mean(c, min(RUNS, 30), out)[0])
        pm, hm = statistics.median(p), statistics.median(h)
        label = c.replace(DATA, "8MiB.bin")
        print(f"{label:<44} {pm * 1e3:9.2f}ms {hm * 1e3:9.2f}ms {pm / hm:7.3f} {statistics.median(rss):15.1f} MiB")


if __name__ == "__main__":
    main()
