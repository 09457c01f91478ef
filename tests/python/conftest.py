"""Fixtures for the SDK tests: the real `omniroute` binary in front of the `mock-upstream`
binary (both built by scripts/test.sh), one provider node per upstream wire format.

The SDKs are pointed at the gateway exactly as a user would point them, with the model
`up-<format>/m-1` choosing which upstream format the request is translated to.
"""

import json
import os
import pathlib
import subprocess
import tempfile
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug"
UPSTREAM_FORMATS = ["openai", "anthropic", "gemini", "responses"]


def _start(args, env=None):
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"{args[0]} did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


def _post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


class Mock:
    def __init__(self, url):
        self.url = url

    def script(self, **script):
        _post(f"{self.url}/__mock/script", script)

    def received(self):
        with urllib.request.urlopen(f"{self.url}/__mock/received") as r:
            return json.loads(r.read())

    def reset(self):
        _post(f"{self.url}/__mock/reset", {})


@pytest.fixture(scope="session")
def mock():
    proc, url = _start([str(TARGET / "mock-upstream")])
    yield Mock(url)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def gateway(mock):
    data_dir = tempfile.mkdtemp(prefix="omniroute-sdk-")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": data_dir, "RUST_LOG": "warn"}
    proc, url = _start([str(TARGET / "omniroute"), "serve", "--port", "0", "--data-dir", data_dir], env)
    for fmt in UPSTREAM_FORMATS:
        base = f"{mock.url}/v1" if fmt in ("openai", "responses") else mock.url
        _post(f"{url}/api/provider-nodes", {"name": fmt, "prefix": f"up-{fmt}", "apiType": fmt, "baseUrl": base})
        _post(f"{url}/api/providers", {"provider": f"up-{fmt}", "apiKey": f"upstream-key-{fmt}-0123456789"})
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def fresh_mock(mock, gateway):
    """Each test starts with an empty mock and no cooldowns left by an earlier test's faults."""
    mock.reset()
    _post(f"{gateway}/api/resilience/reset", {})


WEATHER_CALL = {
    "text": "",
    "tool_calls": [{"id": "call_w1", "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}],
}
