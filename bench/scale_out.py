#!/usr/bin/env python3
"""Scale-out: one gateway on SQLite, one on PostgreSQL + Redis, and two on PostgreSQL + Redis
behind nginx, in one run, against the same mock, each rate with its own direct baseline.

PostgreSQL, Redis and nginx come from Debian's packages and are started here on loopback with
temporary directories (never the machine's own servers). Placement: the gateways on core 1
(`taskset -c 1`; the two of the last row share it), everything else on core 0 — so the last row
shows what a load balancer and a second process cost on the same core, not a second core's
worth of throughput (this machine has two).

Usage: scale_out.py TARGET_DIR OUT_JSON   (prints a markdown table on stdout)
Environment: BENCH_SECONDS (10), SCALE_RATES (1000,3000).
"""

import glob
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import scenarios as sc  # noqa: E402

RATES = [float(r) for r in os.environ.get("SCALE_RATES", "1000,3000").split(",") if r]
SECRETS = {
    "SECRET_KEY": "5e1d0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3a2918f7e6d5c4b3a29180f1e2d3c",
    "JWT_SECRET": "bench-scale-out-jwt",
    "API_KEY_SECRET": "bench-scale-out-keys",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{what} exited before listening")
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port}")


def as_postgres(cmd):
    """PostgreSQL refuses to run as root: as root, its package's `postgres` account runs it."""
    return (["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"] + cmd
            if os.geteuid() == 0 else cmd)


def start_postgres(scratch):
    bin_dir = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1]
    root = pathlib.Path(scratch) / "pg"
    root.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    subprocess.run(as_postgres([f"{bin_dir}/initdb", "-A", "trust", "-U", "omniroute", "--no-sync",
                                "-D", str(data)]), check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        ["taskset", "-c", "0"] + as_postgres([
            f"{bin_dir}/postgres", "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
            "-c", f"unix_socket_directories={root}", "-c", "max_connections=200"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sc.PROCS.append(proc)
    wait_port(port, proc, "postgres")
    return port


def database(pg_port, name):
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "omniroute", "-d", "postgres",
                    "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return f"postgres://omniroute@127.0.0.1:{pg_port}/{name}"


def start_redis(scratch):
    port = free_port()
    proc = subprocess.Popen(["taskset", "-c", "0", "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", scratch],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sc.PROCS.append(proc)
    wait_port(port, proc, "redis-server")
    return f"redis://127.0.0.1:{port}/0"


def start_nginx(scratch, upstreams):
    port = free_port()
    conf = pathlib.Path(scratch) / "nginx.conf"
    servers = "".join(f"        server {u.split('//')[1]};\n" for u in upstreams)
    conf.write_text(f"""daemon off;
worker_processes 1;
pid {scratch}/nginx.pid;
error_log {scratch}/nginx-error.log;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {scratch}/body;
    proxy_temp_path {scratch}/proxy;
    fastcgi_temp_path {scratch}/fastcgi;
    uwsgi_temp_path {scratch}/uwsgi;
    scgi_temp_path {scratch}/scgi;
    upstream gateways {{
{servers}        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 32m;
        location / {{
            proxy_pass http://gateways;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_buffering off;
        }}
    }}
}}
""")
    proc = subprocess.Popen(["taskset", "-c", "0", "nginx", "-c", str(conf), "-p", scratch],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sc.PROCS.append(proc)
    wait_port(port, proc, "nginx")
    return f"http://127.0.0.1:{port}"


def start_gateway(env_extra):
    data_dir = tempfile.mkdtemp(prefix="omniroute-scale-")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": data_dir, "RUST_LOG": "warn", **env_extra}
    proc, url = sc.start([str(sc.TARGET / "omniroute"), "serve", "--port", "0", "--data-dir", data_dir], 1, env)
    sc.wait_ok(f"{url}/healthz")
    return proc, url


def configure(url, mock):
    prefix, (api_type, path) = "oa", sc.UPSTREAMS["oa"]
    sc.post(f"{url}/api/provider-nodes",
            {"name": prefix, "prefix": prefix, "apiType": api_type, "baseUrl": f"{mock}{path}"})
    sc.post(f"{url}/api/providers", {"provider": prefix, "apiKey": "sk-upstream-oa-0123456789"})


def load(url, rate):
    args = [str(sc.TARGET / "loadgen"), "--url", url, "--api", "openai", "--model", "oa/m-1",
            "--rate", str(rate), "--duration", str(sc.SECONDS), "--warmup", "1",
            "--prompt-bytes", "1024", "--max-in-flight", "4096"]
    out = subprocess.run(["taskset", "-c", "0"] + args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def measure(name, procs, url, mock):
    rows = []
    for rate in RATES:
        direct = load(f"{mock}/v1/chat/completions", rate)
        c0 = sum(sc.cpu_seconds(p.pid) for p in procs)
        through = load(f"{url}/v1/chat/completions", rate)
        cpu = sum(sc.cpu_seconds(p.pid) for p in procs) - c0
        rows.append({"rate": rate, "direct": direct, "through": through, "added": sc.added(through, direct),
                     "cpu_per_1k": round(cpu / (rate * sc.SECONDS) * 1000, 3)})
        print(f"  {name} {rate:.0f} req/s done", file=sys.stderr)
        time.sleep(1)
    rss = sum(sc.status_kib(p.pid, "VmHWM") for p in procs)
    for p in procs:
        sc.stop(p)
    return {"runs": rows, "peak_kib": rss}


def main():
    scratch = tempfile.mkdtemp(prefix="omniroute-scale-services-")
    os.chmod(scratch, 0o755)
    mock_proc, mock = sc.start([str(sc.TARGET / "bench-mock"), "--latency-ms", str(sc.LATENCY_MS)], 0)
    results = {}
    try:
        pg_port = start_postgres(scratch)
        redis = start_redis(scratch)

        proc, url = start_gateway({})
        configure(url, mock)
        results["sqlite"] = measure("sqlite", [proc], url, mock)

        shared = {"DATABASE_URL": database(pg_port, "one"), "REDIS_URL": redis, **SECRETS}
        proc, url = start_gateway(shared)
        configure(url, mock)
        results["postgres+redis"] = measure("postgres+redis", [proc], url, mock)

        shared = {"DATABASE_URL": database(pg_port, "two"), "REDIS_URL": redis, **SECRETS}
        a, url_a = start_gateway(shared)
        b, url_b = start_gateway(shared)
        lb = start_nginx(scratch, [url_a, url_b])
        configure(lb, mock)
        time.sleep(0.5)
        results["two+nginx"] = measure("two+nginx", [a, b], lb, mock)
    finally:
        for p in sc.PROCS:
            if p.poll() is None:
                sc.stop(p)
        shutil.rmtree(scratch, ignore_errors=True)
    sc.OUT.parent.mkdir(parents=True, exist_ok=True)
    sc.OUT.write_text(json.dumps(results, indent=1))
    print("### Scale-out: SQLite, PostgreSQL + Redis, and two gateways behind nginx")
    print()
    print("Gateways on core 1 (the two of the last row share it), load generator, mock, PostgreSQL, "
          f"Redis and nginx on core 0; OpenAI → OpenAI, 1 KB prompt, {sc.SECONDS:.0f} s per row; "
          "added = through the gateway (and nginx) minus direct; CPU is the gateways' own.")
    print()
    print("| configuration | rate (req/s) | achieved (req/s) | added p50 (ms) | added p99 (ms) | errors | gateway CPU s per 1,000 req | peak RSS (MiB, all gateways) |")
    print("|---|---|---|---|---|---|---|---|")
    labels = {"sqlite": "one gateway, SQLite", "postgres+redis": "one gateway, PostgreSQL + Redis",
              "two+nginx": "two gateways behind nginx, PostgreSQL + Redis"}
    for name, res in results.items():
        for r in res["runs"]:
            a = r["added"] or {"p50": float("nan"), "p99": float("nan")}
            t = r["through"]
            print(f"| {labels[name]} | {r['rate']:.0f} | {t['achieved_rate']:.0f} | {a['p50']:.3f} | {a['p99']:.3f} "
                  f"| {t['error_rate'] * 100:.2f} % | {r['cpu_per_1k']:.3f} | {res['peak_kib'] / 1024:.1f} |")


if __name__ == "__main__":
    main()
