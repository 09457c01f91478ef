#!/usr/bin/env python3
"""Gateway overhead, throughput, streaming and memory: OmniRoute and LiteLLM side by side, each
against the same mock upstream measured directly in the same run.

Placement: the gateway (or LiteLLM) on core 1 (`taskset -c 1`), `loadgen` and `bench-mock` on
core 0. Every latency is measured by `loadgen` from the time the request was due (open model);
"added" is through-the-gateway minus direct, percentile by percentile.

Usage: scenarios.py TARGET_DIR OUT_JSON [LITELLM_BIN]   (prints markdown tables on stdout)
Environment: BENCH_SECONDS (10, per measurement, 1 s of it warm-up), STEADY_SECONDS (600),
RATES (100,500,1000,2000,5000), MORE_RATES (7500,10000,15000,20000: tried while the previous
rate kept up, i.e. was not saturated; a p99 spike on a noisy machine does not end the search),
LITELLM_RATES (25,50,100,200,500: raised while LiteLLM keeps up), STEADY_RATE (1000).
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TARGET = pathlib.Path(sys.argv[1]).resolve()
OUT = pathlib.Path(sys.argv[2])
LITELLM = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
STEADY_SECONDS = float(os.environ.get("STEADY_SECONDS", "600"))
STEADY_RATE = float(os.environ.get("STEADY_RATE", "1000"))
LITELLM_STEADY_RATE = float(os.environ.get("LITELLM_STEADY_RATE", "50"))


def rates(name, default):
    return [float(r) for r in os.environ.get(name, default).split(",") if r]


RATES = rates("RATES", "100,500,1000,2000,5000")
MORE_RATES = rates("MORE_RATES", "7500,10000,15000,20000")
LITELLM_RATES = rates("LITELLM_RATES", "25,50,100,200,500")
TICK = os.sysconf("SC_CLK_TCK")
PROCS = []

# Upstreams, as (node prefix, apiType, mock path prefix, the client path of the mock's format).
UPSTREAMS = {
    "oa": ("openai", "/v1"),
    "an": ("anthropic", ""),
    "s200": ("openai", "/chunks=200/gap=5/v1"),
    "s50": ("openai", "/chunks=50/gap=10/v1"),
}
LATENCY_MS = 50


# --- processes -------------------------------------------------------------------------------


def start(args, core, env=None, wait_line=True):
    proc = subprocess.Popen(
        ["taskset", "-c", str(core)] + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, env=env,
    )
    PROCS.append(proc)
    if not wait_line:
        return proc, None
    line = proc.stdout.readline()
    if "listening on" not in line:
        raise SystemExit(f"{args[0]} did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tree(pid):
    """pid and its descendants (LiteLLM's server may fork)."""
    children = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def status_kib(pid, key):
    total = 0
    for p in tree(pid):
        try:
            for line in pathlib.Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def sockets(pid):
    """Open sockets of the process tree: client connections plus pooled upstream ones."""
    total = 0
    for p in tree(pid):
        try:
            fds = list(pathlib.Path(f"/proc/{p}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                total += os.readlink(fd).startswith("socket:")
            except OSError:
                pass
    return total


def cpu_seconds(pid):
    total = 0
    for p in tree(pid):
        try:
            fields = pathlib.Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            pass
    return total / TICK


def post(url, body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def wait_ok(url, timeout=60.0):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"{url} did not answer 200 within {timeout} s")


# --- load --------------------------------------------------------------------------------------


def load(url, api, model, rate, prompt=1024, chunks=0, gap=0, seconds=SECONDS, cap=4096):
    args = [str(TARGET / "loadgen"), "--url", url, "--api", api, "--model", model,
            "--rate", str(rate), "--duration", str(seconds), "--warmup", "1",
            "--prompt-bytes", str(prompt), "--max-in-flight", str(cap)]
    if chunks:
        args += ["--stream", "--expect-chunks", str(chunks), "--latency-ms", str(LATENCY_MS),
                 "--gap-ms", str(gap)]
    out = subprocess.run(["taskset", "-c", "0"] + args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def added(through, direct, metric="latency_ms"):
    t, d = through.get(metric), direct.get(metric)
    if not t or not d:
        return None
    return {q: round(t[q] - d[q], 3) for q in ("p50", "p99", "p999")}


def held(through, direct):
    """The scenario-4 criterion: < 0.1 % errors and p99 overhead under 5 ms, at the rate asked."""
    a = added(through, direct)
    return (through["error_rate"] < 0.001 and a is not None and a["p99"] < 5.0
            and through["achieved_rate"] >= 0.95 * through["offered_rate"])


def keeps_up(through, direct):
    """Not saturated: < 0.1 % errors, at least 95 % of the rate served, and p99 overhead under
    50 ms (a queue that grows without bound shows up there first)."""
    a = added(through, direct)
    return (through["error_rate"] < 0.001 and a is not None and a["p99"] < 50.0
            and through["achieved_rate"] >= 0.95 * through["offered_rate"])


# --- the gateways ------------------------------------------------------------------------------


def start_omniroute(mock):
    data_dir = tempfile.mkdtemp(prefix="omniroute-bench-")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": data_dir, "RUST_LOG": "warn"}
    t0 = time.perf_counter()
    proc, url = start([str(TARGET / "omniroute"), "serve", "--port", "0", "--data-dir", data_dir], 1, env)
    wait_ok(f"{url}/api/health")
    started = time.perf_counter() - t0
    for prefix, (api_type, path) in UPSTREAMS.items():
        post(f"{url}/api/provider-nodes",
             {"name": prefix, "prefix": prefix, "apiType": api_type, "baseUrl": f"{mock}{path}"})
        post(f"{url}/api/providers", {"provider": prefix, "apiKey": f"sk-upstream-{prefix}-0123456789"})
    return proc, url, started


def start_litellm(mock):
    work = pathlib.Path(tempfile.mkdtemp(prefix="litellm-bench-"))
    lines = ["model_list:"]
    for prefix, (api_type, path) in UPSTREAMS.items():
        provider = "anthropic" if api_type == "anthropic" else "openai"
        lines += [f"  - model_name: {prefix}/m-1",
                  f"    litellm_params: {{model: {provider}/m-1, api_base: \"{mock}{path}\", api_key: sk-upstream}}"]
    # Anthropic clients with an OpenAI upstream: Chat Completions, as OmniRoute does (LiteLLM's
    # default bridges to the Responses API, which the upstream here does not speak).
    lines += ["litellm_settings:", "  telemetry: false",
              "  use_chat_completions_url_for_anthropic_messages: true"]
    (work / "config.yaml").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR",
               LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY="true")
    port = 4000 + os.getpid() % 1000
    log = open(work / "litellm.log", "w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["taskset", "-c", "1", LITELLM, "--config", str(work / "config.yaml"), "--port", str(port),
         "--num_workers", "1"], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    PROCS.append(proc)
    url = f"http://127.0.0.1:{port}"
    print(f"LiteLLM log: {work / 'litellm.log'}", file=sys.stderr)
    wait_ok(f"{url}/health/liveliness", timeout=120)
    return proc, url, time.perf_counter() - t0


# --- scenarios ---------------------------------------------------------------------------------

# (key, label, client api, client path, model, prompt bytes, chunks, gap ms, direct path, rate)
FIXED = [
    ("1a", "1. OpenAI → OpenAI (passthrough), 1 KB prompt", "openai", "/v1/chat/completions", "oa/m-1", 1024, 0, 0, "/v1/chat/completions", 50),
    ("1b", "1. OpenAI → OpenAI (passthrough), 50 KB prompt", "openai", "/v1/chat/completions", "oa/m-1", 50 * 1024, 0, 0, "/v1/chat/completions", 50),
    ("2", "2. OpenAI → Anthropic (translated)", "openai", "/v1/chat/completions", "an/m-1", 1024, 0, 0, "/v1/messages", 50),
    ("3a", "3. Anthropic → OpenAI stream, 200 chunks 5 ms apart", "anthropic", "/v1/messages", "s200/m-1", 1024, 200, 5, "/chunks=200/gap=5/v1/messages", 20),
    ("3b", "3. Anthropic → OpenAI stream, 50 chunks 10 ms apart", "anthropic", "/v1/messages", "s50/m-1", 1024, 50, 10, "/chunks=50/gap=10/v1/messages", 100),
]
# LiteLLM's rate for the stream rows (it cannot hold 100 streams/s on one core).
LITELLM_FIXED_RATE = {"3b": 20}


def fixed(url, mock, rates=None, cap=4096):
    """Scenarios 1-3 through `url`, each with its direct baseline measured just before."""
    out = {}
    for key, _label, api, path, model, prompt, chunks, gap, direct_path, rate in FIXED:
        rate = (rates or {}).get(key, rate)
        out[key] = {"rate": rate,
                    "direct": load(f"{mock}{direct_path}", api, model, rate, prompt, chunks, gap),
                    "through": load(f"{url}{path}", api, model, rate, prompt, chunks, gap, cap=cap)}
        print(f"  scenario {key} at {rate:.0f}/s done", file=sys.stderr)
    return out


def ramp(url, mock, pid, base, more, criterion, cap, stop_on_fail):
    """Scenario 4: every rate of `base`, then those of `more` while the previous one met
    `criterion`; with `stop_on_fail`, stops raising at the first rate that fails it."""
    out = []
    for rate in base + more:
        if out and not criterion(out[-1]["through"], out[-1]["direct"]) and (stop_on_fail or rate in more):
            break
        direct = load(f"{mock}/v1/chat/completions", "openai", "oa/m-1", rate)
        c0 = cpu_seconds(pid)
        through = load(f"{url}/v1/chat/completions", "openai", "oa/m-1", rate, cap=cap)
        cpu = cpu_seconds(pid) - c0
        # Every request due in the run, the warm-up second included, was sent.
        out.append({"rate": rate, "direct": direct, "through": through,
                    "cpu_per_1k": round(cpu / (rate * SECONDS) * 1000, 3),
                    "held": held(through, direct), "keeps_up": keeps_up(through, direct),
                    # The high-water mark so far: the peak this rate (or an earlier one) reached.
                    "peak_kib": status_kib(pid, "VmHWM"), "sockets": sockets(pid)})
        print(f"  {rate:.0f} req/s: held={out[-1]['held']} keeps_up={out[-1]['keeps_up']}", file=sys.stderr)
        time.sleep(1)
    return out


def steady(url, mock, pid, rate, seconds):
    """RSS every 10 s and CPU seconds per 1,000 requests over a long steady run."""
    samples = []
    done = threading.Event()

    def sample():
        t0 = time.perf_counter()
        while not done.wait(10):
            samples.append((round(time.perf_counter() - t0), status_kib(pid, "VmRSS")))

    sampler = threading.Thread(target=sample, daemon=True)
    c0 = cpu_seconds(pid)
    sampler.start()
    result = load(f"{url}/v1/chat/completions", "openai", "oa/m-1", rate, seconds=seconds)
    done.set()
    sampler.join()
    cpu = cpu_seconds(pid) - c0
    return {"rate": rate, "seconds": seconds, "result": result, "rss_kib": samples,
            "cpu_per_1k": round(cpu / (rate * seconds) * 1000, 3),
            "after_kib": status_kib(pid, "VmRSS")}


def measure(name, proc, url, started, mock, litellm=False):
    time.sleep(2)
    res = {"start_s": round(started, 3), "idle_kib": status_kib(proc.pid, "VmRSS")}
    print(f"{name}: started in {started:.2f} s, idle {res['idle_kib'] / 1024:.1f} MiB", file=sys.stderr)
    cap = 1000 if litellm else 4096
    res["fixed"] = fixed(url, mock, LITELLM_FIXED_RATE if litellm else None, cap)
    if litellm:
        res["ramp"] = ramp(url, mock, proc.pid, LITELLM_RATES, [], keeps_up, cap, True)
    else:
        res["ramp"] = ramp(url, mock, proc.pid, RATES, MORE_RATES, keeps_up, cap, False)
    res["peak_kib"] = status_kib(proc.pid, "VmHWM")
    res["steady"] = steady(url, mock, proc.pid, LITELLM_STEADY_RATE if litellm else STEADY_RATE,
                           STEADY_SECONDS)
    res["peak_after_steady_kib"] = status_kib(proc.pid, "VmHWM")
    return res


def main():
    mock_proc, mock = start([str(TARGET / "bench-mock"), "--latency-ms", str(LATENCY_MS)], 0)
    results = {"seconds": SECONDS, "steady_seconds": STEADY_SECONDS,
               "fixed": [{"key": f[0], "label": f[1]} for f in FIXED]}
    try:
        proc, url, started = start_omniroute(mock)
        results["omniroute"] = measure("omniroute", proc, url, started, mock)
        stop(proc)
        if LITELLM:
            proc, url, started = start_litellm(mock)
            results["litellm"] = measure("litellm", proc, url, started, mock, litellm=True)
            stop(proc)
    finally:
        for p in PROCS:
            if p.poll() is None:
                stop(p)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1))
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    import tables

    print(tables.render(results))


if __name__ == "__main__":
    main()
