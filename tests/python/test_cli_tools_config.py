"""The CLI Tools feature with the real coding CLIs from npm (Claude Code, Codex CLI, Gemini CLI).

For each CLI, in a home directory that already holds the user's own configuration:

* Apply (`POST /api/cli-tools/{tool}/apply`, after a preview) points it at the gateway: the CLI,
  started with no variable or flag naming the gateway, a key or a model, reaches the gateway -- which
  requires API keys here, so the key Apply wrote is a working one -- and prints the mock's answer.
* Restore gives the configuration back byte for byte, and the CLI no longer reaches the gateway.
* `omniroute run <tool>` reaches it again while the configuration files stay byte-identical.

Only variables that keep the CLIs quiet and offline (telemetry, updates, relaunch) are set; see
test_coding_clis.py for what each one does.
"""

import json
import os
import pathlib
import shutil
import tempfile
import subprocess
import uuid
import urllib.request

import pytest

from conftest import TARGET, _post, _start
from test_coding_clis import CLI_BIN, cli_executable

TIMEOUT = 120
MODEL = "up-openai/m-1"

# What the user already has: each file must come back exactly like this.
CLAUDE_SETTINGS = """{
  "permissions": {"allow": ["Bash(npm test:*)"]},
  "statusLine": {"type": "command", "command": "echo mine"},
  "theme": "dark"
}
"""
CODEX_CONFIG = """# my Codex settings
[history]
persistence = "none"
"""
GEMINI_SETTINGS = """{
  // my settings
  "general": {"vimMode": false}
}
"""

QUIET = {
    "DISABLE_TELEMETRY": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "GEMINI_CLI_NO_RELAUNCH": "1",
}

# tool id -> (its files under HOME with their original content, argv after the executable)
TOOLS = {
    "claude-code": ("claude", {".claude/settings.json": CLAUDE_SETTINGS},
                    lambda p: ["-p", p, "--output-format", "json"]),
    "codex": ("codex", {".codex/config.toml": CODEX_CONFIG},
              lambda p: ["exec", "--skip-git-repo-check", p]),
    "gemini-cli": ("gemini", {".gemini/settings.json": GEMINI_SETTINGS},
                   lambda p: ["-p", p, "--output-format", "json", "--skip-trust"]),
}


def call(url, method, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


@pytest.fixture
def setup(mock, tmp_path):
    """A gateway that requires API keys, running as a user whose home is `tmp_path/home`."""
    home = tmp_path / "home"
    data = tmp_path / "data"
    home.mkdir()
    data.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "RUST_LOG": "warn", "REQUIRE_API_KEY": "true"}
    proc, url = _start([str(TARGET / "omniroute"), "serve", "--port", "0", "--data-dir", str(data)], env)
    _post(f"{url}/api/provider-nodes", {"name": "openai", "prefix": "up-openai", "apiType": "openai",
                                        "baseUrl": f"{mock.url}/v1"})
    _post(f"{url}/api/providers", {"provider": "up-openai", "apiKey": "upstream-key-openai-0123456789"})
    yield url, home, tmp_path / "work"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def runtime():
    """A per-user runtime directory like /run/user/UID: `omniroute run gemini-cli` writes its settings
    file there, and Gemini CLI reads it only when no directory above it is writable by others (which
    rules out anything under /tmp)."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="omniroute-run-", dir=TARGET))
    for parent in [path, *path.parents]:
        assert not parent.stat().st_mode & 0o022, f"{parent} is writable by others; Gemini CLI would refuse it"
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_cli(argv, home, work, runtime, timeout=TIMEOUT):
    work.mkdir(exist_ok=True)
    env = {"PATH": f"{CLI_BIN}:{os.environ.get('PATH', '')}", "HOME": str(home), "LANG": "C.UTF-8",
           "NO_COLOR": "1", "IS_SANDBOX": "1", "XDG_RUNTIME_DIR": str(runtime)} | QUIET
    try:
        return subprocess.run(argv, cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(argv, -1, e.stdout or "", f"timed out after {timeout}s")


def files_of(home, names):
    return {name: (home / name).read_bytes() if (home / name).exists() else None for name in names}


def report(run, mock):
    received = "\n".join(f"  {r['method']} {r['path']}" for r in mock.received())
    return f"exit {run.returncode}\nstdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-3000:]}\nmock:\n{received}"


@pytest.mark.parametrize("tool", list(TOOLS))
def test_apply_points_the_real_cli_here_and_restore_takes_it_back(setup, mock, runtime, tool):
    url, home, work = setup
    exe, originals, args = TOOLS[tool]
    for name, content in originals.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(content)
    before = files_of(home, originals)

    status, preview = call(f"{url}/api/cli-tools/{tool}/preview", "POST", {"model": MODEL})
    assert status == 200, preview
    status, applied = call(f"{url}/api/cli-tools/{tool}/apply", "POST", {"model": MODEL, "planId": preview["planId"]})
    assert status == 200, applied
    assert applied["status"]["configured"]["thisGateway"], applied

    marker = f"APPLIED-{uuid.uuid4().hex[:8]}"
    mock.script(reply={"text": f"{marker} from the gateway"})
    run = run_cli([cli_executable(exe), *args("Say hello.")], home, work, runtime)
    assert run.returncode == 0 and marker in run.stdout, report(run, mock)
    assert mock.received(), report(run, mock)

    status, restored = call(f"{url}/api/cli-tools/{tool}/restore", "POST", {})
    assert status == 200, restored
    assert files_of(home, originals) == before, "restore is byte-identical"

    mock.reset()
    mock.script(reply={"text": "should not be reached"})
    run = run_cli([cli_executable(exe), *args("Say hello.")], home, work, runtime, timeout=15)
    assert not mock.received(), f"after Restore the CLI still reached the gateway\n{report(run, mock)}"
    assert "should not be reached" not in run.stdout


@pytest.mark.parametrize("tool", list(TOOLS))
def test_omniroute_run_points_the_real_cli_here_and_writes_nothing(setup, mock, runtime, tool):
    url, home, work = setup
    exe, originals, args = TOOLS[tool]
    for name, content in originals.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(content)
    before = files_of(home, originals)
    port = url.rsplit(":", 1)[1]
    marker = f"RUN-{uuid.uuid4().hex[:8]}"
    mock.script(reply={"text": f"{marker} from the gateway"})
    run = run_cli([str(TARGET / "omniroute"), "run", "--port", port, "--model", MODEL, tool, *args("Say hello.")],
                  home, work, runtime)
    assert run.returncode == 0 and marker in run.stdout, report(run, mock)
    assert files_of(home, originals) == before, "omniroute run writes no configuration"
