#!/usr/bin/env python3
"""Markdown tables from the JSON written by `bench/scenarios.py`.

Usage: tables.py RESULTS_JSON   (or `import tables; tables.render(results)`)
"""

import json
import sys


def trio(s, minus=None):
    if not s:
        return "—"
    if minus:
        return " / ".join(f"{s[q] - minus[q]:.3f}" for q in ("p50", "p99", "p999"))
    return " / ".join(f"{s[q]:.2f}" for q in ("p50", "p99", "p999"))


def errors(r):
    pct = r["error_rate"] * 100
    kinds = ", ".join(f"{k}: {v}" for k, v in r["error_kinds"].items())
    return f"{r['errors']} ({pct:.2f} %)" + (f" — {kinds}" if kinds else "")


def mib(kib):
    return f"{kib / 1024:.1f}"


def fixed_rows(results, name):
    res = results.get(name)
    if not res:
        return {}
    rows = {}
    for key, row in res["fixed"].items():
        d, t = row["direct"], row["through"]
        if t["ttft_ms"]:
            metrics = [("time to first token", "ttft_ms"), ("per-chunk delay", "chunk_delay_ms")]
        else:
            metrics = [("latency", "latency_ms")]
        for label, m in metrics:
            rows[(key, label)] = (row["rate"], trio(d[m]), trio(t[m], d[m]), errors(t))
    return rows


def render(results):
    out = []
    secs = results["seconds"]
    out.append(f"Each cell: {secs:.0f} s at a constant arrival rate (the first second not recorded), "
               "latency from the time each request was due. *added* = through the gateway minus "
               "direct to the mock, at p50 / p99 / p99.9, in ms. Placement: gateway or LiteLLM on "
               "core 1 (`taskset -c 1`), loadgen and mock on core 0 (`taskset -c 0`). Mock latency "
               "50 ms.\n")
    out.append("### Scenarios 1–3\n")
    labels = {f["key"]: f["label"] for f in results["fixed"]}
    ours, theirs = fixed_rows(results, "omniroute"), fixed_rows(results, "litellm")
    out.append("| scenario | measure | rate /s | direct p50 / p99 / p99.9 | OmniRoute added | errors "
               "| LiteLLM rate /s | LiteLLM added | LiteLLM errors |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for (key, label), (rate, direct, add, err) in ours.items():
        lt = theirs.get((key, label))
        lcells = f"{lt[0]:.0f} | {lt[2]} | {lt[3]}" if lt else "— | — | —"
        out.append(f"| {labels[key]} | {label} | {rate:.0f} | {direct} | {add} | {err} | {lcells} |")
    out.append("")
    for name, title in (("omniroute", "OmniRoute"), ("litellm", "LiteLLM")):
        res = results.get(name)
        if not res:
            continue
        out.append(f"### Scenario 4: arrival rates, {title} (OpenAI passthrough, 1 KB)\n")
        out.append("| rate /s | direct p50 / p99 / p99.9 | achieved /s | added p50 / p99 / p99.9 "
                   "| errors | CPU s / 1,000 req | peak RSS so far, MiB | sockets open after "
                   "| held (< 0.1 % errors, p99 added < 5 ms) |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        best = None
        for r in res["ramp"]:
            d, t = r["direct"], r["through"]
            out.append(f"| {r['rate']:.0f} | {trio(d['latency_ms'])} | {t['achieved_rate']:.0f} | "
                       f"{trio(t['latency_ms'], d['latency_ms'])} | {errors(t)} | {r['cpu_per_1k']:.3f} | "
                       f"{mib(r['peak_kib']) if r.get('peak_kib') else '—'} | {r.get('sockets') or '—'} | "
                       f"{'yes' if r['held'] else 'no'} |")
            if r["held"]:
                best = r["rate"] if best is None else max(best, r["rate"])
        keeps = [r["rate"] for r in res["ramp"] if r["keeps_up"]]
        out.append("")
        out.append(f"Highest rate held: {f'{best:.0f} req/s' if best else 'none of those tried'}; "
                   f"highest rate served without saturating (< 0.1 % errors, ≥ 95 % of the rate, "
                   f"p99 added < 50 ms): {f'{max(keeps):.0f} req/s' if keeps else 'none'}.\n")
    out.append("### Scenario 5 and start-up: memory, CPU, start time\n")
    names = [n for n in ("omniroute", "litellm") if results.get(n)]
    out.append("| | " + " | ".join("OmniRoute" if n == "omniroute" else "LiteLLM" for n in names) + " |")
    out.append("|---" * (len(names) + 1) + "|")

    def row(label, f):
        out.append(f"| {label} | " + " | ".join(f(results[n]) for n in names) + " |")

    row("start to first 200 (this run), s", lambda r: f"{r['start_s']:.2f}")
    row("RSS idle, MiB", lambda r: mib(r["idle_kib"]))
    row("RSS peak (VmHWM) after scenarios 1–4, MiB", lambda r: mib(r["peak_kib"]))
    row("steady load", lambda r: f"{r['steady']['rate']:.0f} req/s for {r['steady']['seconds']:.0f} s")
    row("steady: latency p50 / p99 / p99.9, ms",
        lambda r: trio(r["steady"]["result"]["latency_ms"]))
    row("steady: errors", lambda r: errors(r["steady"]["result"]))

    def growth(r):
        s = r["steady"]["rss_kib"]
        if len(s) < 2:
            return "—"
        return f"{mib(s[0][1])} → {mib(s[-1][1])} (at {s[0][0]} s → {s[-1][0]} s)"

    row("steady: RSS first → last sample, MiB", growth)
    row("RSS after steady load, MiB", lambda r: mib(r["steady"]["after_kib"]))
    row("RSS peak (VmHWM) at the end, MiB", lambda r: mib(r["peak_after_steady_kib"]))
    row("CPU s per 1,000 requests (steady)", lambda r: f"{r['steady']['cpu_per_1k']:.3f}")
    return "\n".join(out)


if __name__ == "__main__":
    print(render(json.load(open(sys.argv[1]))))
