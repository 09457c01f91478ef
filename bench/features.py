#!/usr/bin/env python3
"""What access and accounting cost per request: usage recording, the client-key check with a
budget, and a response-cache lookup, measured under load against the revision before them.

Configurations, each through a fresh gateway on core 1 (load and mock on core 0), each rate
with its own direct baseline measured just before:
  before   the build of BEFORE_REV (no usage recording, no keys, no cache), plain requests;
  default  this build, plain requests: every request recorded as a usage row;
  all-on   this build with REQUIRE_API_KEY=true, a real key with a budget, and requests at
           `temperature: 0`, so each one is also a cache lookup (the cache is set to hold
           nothing, so every lookup misses and the upstream still answers).

Usage: features.py TARGET_DIR OUT_JSON [BEFORE_BIN]   (prints a markdown table on stdout)
Environment: BENCH_SECONDS (10), FEATURE_RATES (2000,5000).
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import scenarios as sc  # noqa: E402  (shares the process helpers; reads the same argv layout)

BEFORE = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
RATES = [float(r) for r in os.environ.get("FEATURE_RATES", "2000,5000").split(",") if r]


def load(url, rate, key=None, temperature=None):
    args = [str(sc.TARGET / "loadgen"), "--url", url, "--api", "openai", "--model", "oa/m-1",
            "--rate", str(rate), "--duration", str(sc.SECONDS), "--warmup", "1",
            "--prompt-bytes", "1024", "--max-in-flight", "4096"]
    if key:
        args += ["--api-key", key]
    if temperature is not None:
        args += ["--temperature", str(temperature)]
    out = subprocess.run(["taskset", "-c", "0"] + args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def start(binary, mock, env_extra):
    data_dir = tempfile.mkdtemp(prefix="omniroute-features-")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": data_dir, "RUST_LOG": "warn", **env_extra}
    proc, url = sc.start([binary, "serve", "--port", "0", "--data-dir", data_dir], 1, env)
    sc.wait_ok(f"{url}/healthz")
    prefix, (api_type, path) = "oa", sc.UPSTREAMS["oa"]
    sc.post(f"{url}/api/provider-nodes",
            {"name": prefix, "prefix": prefix, "apiType": api_type, "baseUrl": f"{mock}{path}"})
    sc.post(f"{url}/api/providers", {"provider": prefix, "apiKey": "sk-upstream-oa-0123456789"})
    return proc, url


def run(name, binary, mock, all_on=False):
    proc, url = start(binary, mock, {"REQUIRE_API_KEY": "true"} if all_on else {})
    key, temperature = None, None
    if all_on:
        created = json.loads(sc.post(f"{url}/api/keys", {"name": "bench"}))
        key = created["key"]
        sc.post(f"{url}/api/usage/budget", {"keyId": created["id"], "limit": 1e9, "period": "monthly"})
        req = sc.urllib.request.Request(f"{url}/api/settings", json.dumps({"cache": {"maxEntries": 0}}).encode(),
                                        {"content-type": "application/json"}, method="PATCH")
        sc.urllib.request.urlopen(req, timeout=10).read()
        temperature = 0
    out = []
    for rate in RATES:
        direct = load(f"{mock}/v1/chat/completions", rate)
        c0 = sc.cpu_seconds(proc.pid)
        through = load(f"{url}/v1/chat/completions", rate, key, temperature)
        cpu = sc.cpu_seconds(proc.pid) - c0
        out.append({"rate": rate, "direct": direct, "through": through,
                    "added": sc.added(through, direct),
                    "cpu_per_1k": round(cpu / (rate * sc.SECONDS) * 1000, 3)})
        print(f"  {name} {rate:.0f} req/s done", file=sys.stderr)
        time.sleep(1)
    rss = sc.status_kib(proc.pid, "VmHWM")
    sc.stop(proc)
    return {"runs": out, "peak_kib": rss}


def main():
    mock_proc, mock = sc.start([str(sc.TARGET / "bench-mock"), "--latency-ms", str(sc.LATENCY_MS)], 0)
    results = {}
    try:
        if BEFORE:
            results["before"] = run("before", BEFORE, mock)
        results["default"] = run("default", str(sc.TARGET / "omniroute"), mock)
        results["all-on"] = run("all-on", str(sc.TARGET / "omniroute"), mock, all_on=True)
    finally:
        for p in sc.PROCS:
            if p.poll() is None:
                sc.stop(p)
    sc.OUT.parent.mkdir(parents=True, exist_ok=True)
    sc.OUT.write_text(json.dumps(results, indent=1))
    print("### Cost of access and accounting (usage recording, key + budget check, cache lookup)")
    print()
    print("Gateway on core 1 (`taskset -c 1`), load generator and mock on core 0; OpenAI → OpenAI, "
          f"1 KB prompt, {sc.SECONDS:.0f} s per row; added = through the gateway minus direct.")
    print()
    print("| configuration | rate (req/s) | added p50 (ms) | added p99 (ms) | added p99.9 (ms) | errors | CPU s per 1,000 req | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    labels = {"before": "before (no accounting)", "default": "default (usage recorded)",
              "all-on": "all on (key + budget + cache lookup + usage)"}
    for name, res in results.items():
        for r in res["runs"]:
            a = r["added"] or {"p50": float("nan"), "p99": float("nan"), "p999": float("nan")}
            print(f"| {labels[name]} | {r['rate']:.0f} | {a['p50']:.3f} | {a['p99']:.3f} | {a['p999']:.3f} "
                  f"| {r['through']['error_rate'] * 100:.2f} % | {r['cpu_per_1k']:.3f} | {res['peak_kib'] / 1024:.1f} |")


if __name__ == "__main__":
    main()
