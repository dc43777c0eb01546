#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets under fuzz/corpus/<target>/.

Text seeds are copied from the repository (examples, docs, test fixtures); binary seeds (OTLP
protobuf, gRPC frames) are encoded here by hand from the protobuf wire format, so the script
needs nothing beyond Python's standard library. Run from the repository root or from fuzz/;
rerunning rewrites the same files.
"""
import gzip
import hashlib
import os
import re
import struct
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)


def put(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(FUZZ, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def yaml_blocks(markdown):
    return re.findall(r"```yaml\n(.*?)```", read(markdown).decode(), re.S)


# --- protobuf wire format -------------------------------------------------------------------
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    return varint(num << 3 | wire) + payload


def ln(num, data):
    if isinstance(data, str):
        data = data.encode()
    return field(num, 2, varint(len(data)) + data)


def vi(num, n):
    return field(num, 0, varint(n))


def f64(num, n):
    return field(num, 1, struct.pack("<Q", n))


def kv(key, value):
    if isinstance(value, bool):
        any_value = vi(2, int(value))
    elif isinstance(value, int):
        any_value = vi(3, value)
    elif isinstance(value, float):
        any_value = field(4, 1, struct.pack("<d", value))
    else:
        any_value = ln(1, value)
    return ln(1, key) + ln(2, any_value)


def span(trace, sid, parent, name, kind, start, end, attrs=()):
    s = ln(1, trace) + ln(2, sid)
    if parent:
        s += ln(4, parent)
    s += ln(5, name) + vi(6, kind) + f64(7, start) + f64(8, end)
    for k, v in attrs:
        s += ln(9, kv(k, v))
    return s


def request(spans, service="checkout"):
    resource = ln(1, kv("service.name", service))
    scope = ln(1, ln(1, "fuzz-seed")) + b"".join(ln(2, s) for s in spans)
    return ln(1, ln(1, resource) + ln(2, scope))


def otlp_seeds():
    t = bytes(range(1, 17))
    root = bytes([1] * 8)
    t0 = 1_700_000_000_000_000_000
    ms = 1_000_000
    spans = [span(t, root, None, "POST /checkout", 2, t0, t0 + 400 * ms)]
    spans.append(span(t, bytes([2] * 8), root, "charge", 3, t0 + 10 * ms, t0 + 190 * ms,
                      [("peer.service", "payments"), ("retry", 1), ("ok", True)]))
    for i in range(6):
        spans.append(span(t, bytes([10 + i] * 8), root, "SELECT item", 3,
                          t0 + (200 + 10 * i) * ms, t0 + (205 + 10 * i) * ms,
                          [("db.system", "postgresql"), ("db.statement", "SELECT * FROM item WHERE id = $1"),
                           ("code.function.name", "load_items"), ("ratio", 0.5)]))
    one = request(spans[:1])
    full = request(spans)
    # the same span twice (an exporter retry), and a child whose parent is itself
    dup = request(spans[:2] + spans[:2] + [span(t, bytes([9] * 8), bytes([9] * 8), "loop", 1, t0, t0 + ms)])
    return [one, full, dup, b""]


def grpc_frame(msg, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(msg)) + msg


def rule_test_cases(text):
    """The `- |` block scalars of a rule-test file (its valid and invalid cases)."""
    cases, cur = [], None
    for line in text.splitlines():
        if re.match(r"^  - \|-?$", line):
            if cur is not None:
                cases.append("\n".join(cur) + "\n")
            cur = []
        elif cur is not None and (line.startswith("    ") or not line.strip()):
            cur.append(line[4:])
        elif cur is not None:
            cases.append("\n".join(cur) + "\n")
            cur = None
    if cur is not None:
        cases.append("\n".join(cur) + "\n")
    return [c for c in cases if c.strip()]


def scan_seeds():
    # scan_rules: every built-in rule file; scan_source: the first byte picks the language
    # (its index in perfhive_scan::Language::ALL), the rest is a rule-test case.
    rules = "crates/scan/rules"
    for lang in sorted(os.listdir(os.path.join(ROOT, rules))):
        for f in sorted(os.listdir(os.path.join(ROOT, rules, lang))):
            if not f.startswith("_"):
                put("scan_rules", read(os.path.join(rules, lang, f)), f"{lang}-{f}")
    index = {"python": 0, "javascript": 1, "go": 4, "java": 5, "rust": 6}
    tests = "crates/scan/rule-tests"
    for lang in sorted(os.listdir(os.path.join(ROOT, tests))):
        for f in sorted(os.listdir(os.path.join(ROOT, tests, lang))):
            cases = rule_test_cases(read(os.path.join(tests, lang, f)).decode())
            for i, case in enumerate(cases[:6]):
                put("scan_source", bytes([index[lang]]) + case.encode(),
                    f"{f.rsplit('.', 1)[0]}-{i}")
    # the same Python as a migration (high bit set)
    put("scan_source", bytes([0x80]) + b"def forwards(apps, schema_editor):\n"
        b"    for p in apps.get_model('app', 'Page').objects.all():\n        p.save()\n",
        "py-migration")


def main():
    # scenarios: the examples, the scenario docs' YAML blocks, small edge cases
    for f in sorted(os.listdir(os.path.join(ROOT, "examples"))):
        if f.endswith(".yaml"):
            put("scenario_yaml", read(os.path.join("examples", f)), f)
    for i, block in enumerate(yaml_blocks("docs/scenario.md")):
        put("scenario_yaml", block, f"doc-{i}.yaml")
    put("scenario_yaml", "scenario: s\ntarget: {url: 'http://127.0.0.1:8080/'}\n"
        "traffic_profile: {arrival_rate_rps: [1, 2], steady_seconds: 2, spike_after_seconds: 1}\n",
        "spike.yaml")
    put("scenario_yaml", "scenario: s\ntarget: {url: 'http://127.0.0.1:8080/'}\nmodel: closed\n"
        "traffic_profile: {stages: [{duration_seconds: 1, target: 2}]}\n", "closed.yaml")
    # plans: the investigate docs' YAML blocks
    for i, block in enumerate(yaml_blocks("docs/investigate.md")):
        put("plan_yaml", block, f"doc-{i}.yaml")
    # criteria and triggers
    for i, expr in enumerate([
        "p95_latency_ms <= 250", "error_rate_pct<=0.5", "redis_cpu_pct <= 80",
        "uncorrected_p99.9_latency_ms < 10", "payments_p95_ms <= 150",
        "sustained error_rate_pct > 1 for 3 minutes", "database_cpu_pct > 90 for 5 minutes",
        "p99_latency_ms > 500 for 10s", "throughput_rps >= 1e3 for 1 h",
    ]):
        put("criteria_expr", expr, f"expr-{i}")
    # OTLP: JSON fixtures, protobuf requests, and the same requests framed for gRPC
    for f in sorted(os.listdir(os.path.join(ROOT, "crates/traces/tests/fixtures"))):
        put("otlp_json", read(os.path.join("crates/traces/tests/fixtures", f)), f)
    for i, body in enumerate(otlp_seeds()):
        put("otlp_protobuf", body, f"request-{i}.pb")
        put("grpc_frame", bytes([7]) + grpc_frame(body), f"frame-{i}")
        put("grpc_frame", bytes([0]) + grpc_frame(gzip.compress(body, mtime=0), True),
            f"frame-gzip-{i}")
    put("grpc_frame", bytes([3]) + grpc_frame(b"") + grpc_frame(b"\x0a\x00"), "two-frames")
    put("grpc_frame", bytes([1]) + b"\x00\x00\x00\x10\x00abc", "truncated")
    # importers: every fixture, to its own target and to detection
    fixtures = "crates/import/tests/fixtures"
    by_target = {
        "import_hyperfine": ["hyperfine.json", "hyperfine-one-run.json", "hyperfine-param.json"],
        "import_k6": ["k6-summary-export.json", "k6-handle-summary.json"],
        "import_gobench": ["go-bench.txt", "go-bench-cpu-verbose.txt", "go-bench-no-match.txt"],
        "import_pytest": ["pytest-benchmark.json", "pytest-benchmark-saved.json"],
        "import_criterion": ["criterion/fib 10/new/estimates.json",
                             "criterion/sum/range/100/new/estimates.json",
                             "criterion/sum/range/100/change/estimates.json"],
    }
    for target, files in by_target.items():
        for f in files:
            data = read(os.path.join(fixtures, f))
            name = f.replace("/", "_").replace(" ", "_")
            put(target, data, name)
            put("import_detect", data, name)
    scan_seeds()


if __name__ == "__main__":
    sys.exit(main())
