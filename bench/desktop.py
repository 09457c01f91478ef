#!/usr/bin/env python3
"""The desktop app's footprint, printed as a markdown table: cold start to tray-ready (from
launch until the tray item is registered on the session bus), memory with the dashboard window
open and after it was closed (RSS of the app and every process it started; the private part of
the app's own memory), idle CPU with the window closed, the size of the release .deb when one was
built, and what an overload leaves behind: the app's RSS after 10 s steps of requests up to a rate
one core cannot serve (`bench-mock` and `loadgen`, as in scenario 4), and 30 s later. Runs the
release binary on a virtual display with a tray host; run.sh starts it inside `xvfb-run` and
`dbus-run-session`.

Usage: desktop.py BINARY OUT.md [RUNS]   (the table goes to OUT.md and standard output)
"""

import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "desktop"))
from desktop import App, Tray, api, close_windows, free_port, process_tree_rss_kib, wait_for, x_windows  # noqa: E402


def private_kib(pid):
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("Anonymous:"):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def overload(binary, rates):
    """The app in the tray (no window), its gateway on core 1 and the load on core 0: RSS before,
    after each 10 s step of `rates` and 30 s after the last one."""
    tools = pathlib.Path(binary).parent
    mock = subprocess.Popen(["taskset", "-c", "0", str(tools / "bench-mock"), "--latency-ms", "50"],
                            stdout=subprocess.PIPE, text=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="omniroute-desktop-overload-"))
    app = App("overload", tmp / "home", tmp / "data", free_port(), {"OMNIROUTE_SECRETS": "encrypted", "RUST_LOG": "warn"},
              args=["--minimized"], binary=binary)
    try:
        upstream = mock.stdout.readline().rsplit(" ", 1)[1].strip()
        port = app.wait_listening()
        url = f"http://127.0.0.1:{port}"
        subprocess.run(["taskset", "-a", "-pc", "1", str(app.proc.pid)], check=True, capture_output=True)
        for path, body in [("/api/provider-nodes", {"name": "oa", "prefix": "oa", "apiType": "openai", "baseUrl": f"{upstream}/v1"}),
                           ("/api/providers", {"provider": "oa", "apiKey": "sk-upstream-oa-0123456789"})]:
            status, answer = api(port, "POST", path, body)
            if status != 201:
                raise SystemExit(f"POST {path}: {status} {answer}")
        time.sleep(2)

        def rss_mib():
            # In the tray without a window the app has no child processes: the tree is the app.
            return process_tree_rss_kib(app.proc.pid) / 1024

        steps = [("idle", rss_mib(), None)]
        for rate in rates:
            out = subprocess.run(["taskset", "-c", "0", str(tools / "loadgen"), "--url", f"{url}/v1/chat/completions",
                                  "--api", "openai", "--model", "oa/m-1", "--rate", str(rate), "--duration", "10",
                                  "--warmup", "1", "--prompt-bytes", "1024", "--max-in-flight", "4096"],
                                 capture_output=True, text=True, check=True)
            steps.append((f"after 10 s at {rate:,} req/s", rss_mib(), json.loads(out.stdout)["error_rate"]))
        time.sleep(30)
        steps.append(("30 s later", rss_mib(), None))
        return steps
    finally:
        app.stop()
        mock.terminate()


def one_run(binary, n):
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="omniroute-desktop-bench-"))
    app = App(f"bench-{n}", tmp / "home", tmp / "data", free_port(), {"OMNIROUTE_SECRETS": "encrypted"}, binary=binary)
    try:
        Tray()
        tray_ms = (time.monotonic() - app.started) * 1000
        app.wait_listening()
        wait_for("the window", lambda: x_windows("^OmniRoute$"))
        wait_for("the dashboard", lambda: "path=/api/combos" in app.text())
        time.sleep(3)
        rss_open = process_tree_rss_kib(app.proc.pid)
        close_windows("^OmniRoute$")
        time.sleep(3)
        rss_closed = process_tree_rss_kib(app.proc.pid)
        private = private_kib(app.proc.pid)
        ticks = cpu_ticks(app.proc.pid)
        time.sleep(10)
        idle_cpu = (cpu_ticks(app.proc.pid) - ticks) / 100 / 10 * 100
        return tray_ms, rss_open / 1024, rss_closed / 1024, private / 1024, idle_cpu
    finally:
        app.stop()


def main():
    binary, out = sys.argv[1], pathlib.Path(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    host = [subprocess.Popen(["status-notifier-watcher"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    time.sleep(0.5)
    host.append(subprocess.Popen(["gtk-sni-tray-standalone", "--bottom", "--size", "40"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1)
    try:
        rows = [one_run(binary, n) for n in range(runs)]
    finally:
        for p in host:
            p.terminate()
    med = [statistics.median(r[i] for r in rows) for i in range(5)]
    lines = [
        f"Release build, median of {runs} runs on Xvfb (software rendering) with a StatusNotifier tray host.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| cold start to tray-ready | {med[0]:.0f} ms |",
        f"| RSS, dashboard window open (app + window + WebKit processes) | {med[1]:.1f} MiB |",
        f"| RSS, window closed | {med[2]:.1f} MiB |",
        f"| private memory (anonymous), window closed | {med[3]:.1f} MiB |",
        f"| CPU idle in the tray, window closed | {med[4]:.2f} % of a core |",
    ]
    debs = sorted((ROOT / "target" / "release" / "bundle" / "deb").glob("*.deb"), key=lambda p: p.stat().st_mtime)
    if debs:
        lines.append(f"| .deb (`scripts/package-desktop.sh`) | {debs[-1].stat().st_size / 1e6:.1f} MB |")
    rates = [int(r) for r in os.environ.get("DESKTOP_OVERLOAD_RATES", "2000,5000,10000").split(",") if r]
    if rates:
        lines += ["", "Memory through an overload (the app in the tray, its gateway on core 1, one run):", "",
                  "| moment | RSS | errors |", "|---|---|---|"]
        for label, rss, errors in overload(binary, rates):
            lines.append(f"| {label} | {rss:.1f} MiB | {'' if errors is None else f'{errors:.1%}'} |")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
