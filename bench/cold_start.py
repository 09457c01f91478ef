#!/usr/bin/env python3
"""Cold start and idle memory of `omniroute serve`.

Cold start: from spawning the process to the first 200 from /api/health, polled as fast as the
loopback allows. Measured twice: on an empty DATA_DIR (the first start: creates the database and
key file, runs migrations) and on an existing one. The baseline, run in the same command, is the
time to spawn the same binary for `--version`, i.e. the cost of exec and the dynamic loader that
no server can avoid. Idle RSS is read from /proc after the server has been idle for 2 s.

Usage: cold_start.py PATH/TO/omniroute [runs]
"""

import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_once(binary, data_dir, measure_rss=False):
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": data_dir, "RUST_LOG": "warn"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "serve", "--port", str(port), "--data-dir", data_dir],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/api/health")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    break
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
                pass
            if proc.poll() is not None:
                raise SystemExit(f"omniroute exited early with {proc.returncode}")
            if time.perf_counter() - t0 > 10:
                raise SystemExit("omniroute did not answer within 10 s")
        elapsed = time.perf_counter() - t0
        rss = None
        if measure_rss:
            time.sleep(2)
            rss = rss_kib(proc.pid)
        return elapsed, rss
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def spawn_baseline(binary):
    t0 = time.perf_counter()
    subprocess.run([binary, "--version"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main():
    binary = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    first, warm, base = [], [], []
    rss = None
    for i in range(runs):
        d = tempfile.mkdtemp(prefix="omniroute-bench-")
        try:
            t, _ = start_once(binary, d)
            first.append(t)
            t, r = start_once(binary, d, measure_rss=(i == 0))
            warm.append(t)
            rss = r if r is not None else rss
            base.append(spawn_baseline(binary))
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def ms(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

    print(f"| cold start ({runs} runs) | p50 ms | p90 ms | max ms | ratio to spawn baseline (p50) |")
    print("|---|---|---|---|---|")
    b50 = statistics.median(base) * 1000
    for name, xs in [("empty DATA_DIR (first start)", first), ("existing DATA_DIR", warm)]:
        print(f"| {name} | {ms(xs, .5):.1f} | {ms(xs, .9):.1f} | {max(xs)*1000:.1f} | {ms(xs, .5)/b50:.1f}x |")
    print(f"| baseline: spawn `omniroute --version` | {b50:.1f} | {ms(base, .9):.1f} | {max(base)*1000:.1f} | 1.0x |")
    print()
    print(f"idle RSS after start: {rss / 1024:.1f} MiB ({rss} KiB)")


if __name__ == "__main__":
    main()
