"""Claude passthrough with the real Claude Code CLI: signed in with its own subscription
(`CLAUDE_CODE_OAUTH_TOKEN`, as `claude setup-token` gives it) and pointed at OmniRoute with
`ANTHROPIC_BASE_URL`, Claude Code sends its own OAuth token. For a `cc/` model OmniRoute forwards
that token and Claude Code's own headers unchanged to Anthropic (here the mock, standing in for
api.anthropic.com), with no stored account; the caller's OmniRoute key travels in
`X-OmniRoute-Key` through `ANTHROPIC_CUSTOM_HEADERS`, and the gateway requires it.
"""

import json
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import TARGET, _post, _start
from test_coding_clis import TIMEOUT, base_env, cli_executable

TOKEN = "sk-ant-oat01-passthrough-test-0123456789"


@pytest.fixture(scope="module")
def passthrough_gateway(mock, gateway):
    """A gateway whose `cc` provider (the built-in entry) points at the mock, requiring keys."""
    with urllib.request.urlopen(f"{gateway}/api/providers/catalog") as r:
        catalog = json.loads(r.read())
    cc = next(p for p in catalog["providers"] if p["id"] == "cc")
    cc["base_url"] = mock.url
    data_dir = tempfile.mkdtemp(prefix="omniroute-passthrough-")
    with open(f"{data_dir}/providers.json", "w") as f:
        json.dump({"providers": [cc]}, f)
    env = {"PATH": "/usr/bin:/bin", "HOME": data_dir, "RUST_LOG": "warn", "REQUIRE_API_KEY": "true"}
    proc, url = _start([str(TARGET / "omniroute"), "serve", "--port", "0", "--data-dir", data_dir], env)
    key = _post(f"{url}/api/keys", {"name": "claude-code"})["key"]
    yield url, key
    proc.terminate()
    proc.wait(timeout=10)


def test_claude_code_passes_its_own_sign_in_through(passthrough_gateway, mock, tmp_path):
    url, key = passthrough_gateway
    model = "cc/claude-sonnet-4-5"
    mock.script(reply={"text": "PASSTHROUGH-OK: served with your own plan."})
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(home) | {
        "ANTHROPIC_BASE_URL": url,
        "CLAUDE_CODE_OAUTH_TOKEN": TOKEN,
        "ANTHROPIC_CUSTOM_HEADERS": f"X-OmniRoute-Key: {key}",
        "ANTHROPIC_MODEL": model,
        "ANTHROPIC_SMALL_FAST_MODEL": model,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "IS_SANDBOX": "1",
    }
    argv = [cli_executable("claude"), "-p", "Say hello.", "--output-format", "json"]
    run = subprocess.run(argv, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=TIMEOUT)
    received = [r for r in mock.received() if r["path"].endswith("/v1/messages")]
    report = f"exit {run.returncode}\nstdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-3000:]}\n{received}"
    assert run.returncode == 0, report
    assert "PASSTHROUGH-OK" in json.loads(run.stdout)["result"], report
    assert received, report
    for request in received:
        headers = request["headers"]
        # Claude Code's own sign-in and identity reached "Anthropic" unchanged; our key did not.
        assert headers.get("authorization") == f"Bearer {TOKEN}", headers
        assert "oauth-2025-04-20" in headers.get("anthropic-beta", ""), headers
        assert headers.get("user-agent", "").startswith("claude-cli/"), headers
        assert "x-api-key" not in headers and "x-omniroute-key" not in headers, headers


def test_without_the_omniroute_key_claude_codes_sign_in_is_not_enough(passthrough_gateway):
    url, _ = passthrough_gateway
    request = urllib.request.Request(
        f"{url}/v1/messages",
        data=json.dumps({"model": "cc/claude-sonnet-4-5", "max_tokens": 5,
                         "messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {TOKEN}",
                 "anthropic-version": "2023-06-01"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401
