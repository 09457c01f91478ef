"""Real coding CLIs -- Claude Code, Codex CLI, Gemini CLI -- driving a tool loop through the gateway.

Each CLI talks its own wire format to the gateway (Claude Code: Anthropic `/v1/messages`, Codex: OpenAI
`/v1/responses`, Gemini CLI: `/v1beta/models/...:streamGenerateContent`) and the model `up-<format>/m-1`
makes the gateway translate to each upstream format the mock speaks. For every CLI x upstream pair the
mock is scripted to answer with one call of the CLI's *own* shell tool (`echo <token>`), then with a
final text carrying a unique marker. A pass means the whole agent loop worked through the gateway:

* the CLI understood the translated tool call and actually ran the command,
* it sent the command's output back, and the gateway delivered it upstream as a proper tool result
  (`role: tool` / `tool_result` / `functionResponse` / `function_call_output`, depending on the format),
* the CLI printed the final text and exited 0.

These requests are much richer than what the SDK tests send (dozens of tools, Claude Code's
mid-conversation `role: "system"` messages and betas, Codex's `namespace`/`web_search` tools and
`developer` items, Gemini CLI's model ids containing a slash), which is why they are worth running.

The CLIs are pinned in tests/cli/package.json and installed with `npm ci --prefix tests/cli`
(scripts/test.sh does that). Each run is non-interactive, offline apart from the gateway, and gets a
clean environment: only PATH plus the variables below, with HOME (and CODEX_HOME) in a temp dir so
nothing from the developer's own configuration or credentials is used.

Environment and flags, and why:

* Claude Code: `ANTHROPIC_BASE_URL`/`ANTHROPIC_API_KEY` point it at the gateway; `ANTHROPIC_MODEL` and the
  small/fast + default haiku/sonnet/opus variables all name the test model, so no side request goes to a
  model the gateway does not know. `DISABLE_TELEMETRY`, `DISABLE_AUTOUPDATER`, `DISABLE_ERROR_REPORTING`,
  `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC` keep it off the network. `-p ... --output-format json`
  runs one non-interactive turn; `--dangerously-skip-permissions` lets it run `Bash` without asking,
  and `IS_SANDBOX=1` is needed for that flag when running as root (CI containers), otherwise it
  refuses with "--dangerously-skip-permissions cannot be used with root/sudo privileges".
* Codex CLI: a `$CODEX_HOME/config.toml` declaring an `omniroute` model provider (`wire_api = "responses"`,
  base URL `<gateway>/v1`, key read from `OMNIROUTE_KEY`); `codex exec --skip-git-repo-check
  -s danger-full-access` runs non-interactively in a scratch directory that is not a git repo and lets
  `exec_command` run without approval.
* Gemini CLI: `GEMINI_API_KEY` + `GOOGLE_GEMINI_BASE_URL`. With only those, Gemini CLI 0.61 exits with
  code 41 "Invalid auth method selected." before sending anything: setting the base URL makes it pick
  its new "gateway" auth type, which its own validation then rejects. `$HOME/.gemini/settings.json`
  selecting `gemini-api-key` works around that (a configured type wins over the environment).
  `GEMINI_CLI_NO_RELAUNCH=1` stops it from re-spawning itself; `-y` auto-approves `run_shell_command`,
  `--skip-trust` skips the trusted-folder prompt, stdin is /dev/null so `-p` is the whole prompt.
"""

import json
import os
import pathlib
import subprocess
import uuid

import pytest

from conftest import ROOT, UPSTREAM_FORMATS

CLI_DIR = ROOT / "tests" / "cli"
CLI_BIN = CLI_DIR / "node_modules" / ".bin"
TIMEOUT = 120


def cli_executable(name):
    exe = CLI_BIN / name
    if not exe.exists():
        pytest.fail(f"{name} is not installed ({exe} is missing): run `npm ci --prefix tests/cli` "
                    f"from the repository root (scripts/test.sh does this)", pytrace=False)
    return str(exe)


def base_env(home):
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8", "NO_COLOR": "1"}


# --- how to run each CLI: (argv, env) for one prompt against `model` ---------------------------------

def claude_command(gateway, model, prompt, home):
    env = base_env(home) | {
        "ANTHROPIC_BASE_URL": gateway,
        "ANTHROPIC_API_KEY": "sk-ant-omniroute-test",
        "ANTHROPIC_MODEL": model,
        "ANTHROPIC_SMALL_FAST_MODEL": model,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "IS_SANDBOX": "1",  # allows --dangerously-skip-permissions as root
    }
    argv = [cli_executable("claude"), "-p", prompt, "--output-format", "json", "--dangerously-skip-permissions"]
    return argv, env


def codex_command(gateway, model, prompt, home):
    (home / "config.toml").write_text(
        f'model = "{model}"\n'
        'model_provider = "omniroute"\n'
        "\n"
        "[model_providers.omniroute]\n"
        'name = "OmniRoute"\n'
        f'base_url = "{gateway}/v1"\n'
        'env_key = "OMNIROUTE_KEY"\n'
        'wire_api = "responses"\n')
    env = base_env(home) | {"CODEX_HOME": str(home), "OMNIROUTE_KEY": "sk-omniroute-test"}
    argv = [cli_executable("codex"), "exec", "--skip-git-repo-check", "-s", "danger-full-access", prompt]
    return argv, env


def gemini_command(gateway, model, prompt, home):
    (home / ".gemini").mkdir()
    (home / ".gemini" / "settings.json").write_text(
        json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    env = base_env(home) | {
        "GEMINI_API_KEY": "sk-omniroute-test",
        "GOOGLE_GEMINI_BASE_URL": gateway,
        "GEMINI_CLI_NO_RELAUNCH": "1",
    }
    argv = [cli_executable("gemini"), "-p", prompt, "-m", model, "--output-format", "json", "--skip-trust", "-y"]
    return argv, env


# CLI name -> (command builder, its shell tool, that tool's arguments for a command line)
CLIS = {
    "claude": (claude_command, "Bash", lambda cmd: {"command": cmd, "description": "Print a word"}),
    "codex": (codex_command, "exec_command", lambda cmd: {"cmd": cmd}),
    "gemini": (gemini_command, "run_shell_command", lambda cmd: {"command": cmd, "description": "Print a word"}),
}


# --- what the mock received --------------------------------------------------------------------------

def _text(value):
    return value if isinstance(value, str) else json.dumps(value)


def tool_results(upstream, body):
    """The tool results in one upstream request body, as text, in the upstream's own format."""
    if upstream == "openai":
        return [_text(m.get("content")) for m in body.get("messages", []) if m.get("role") == "tool"]
    if upstream == "anthropic":
        return [_text(b.get("content")) for m in body.get("messages", []) if isinstance(m.get("content"), list)
                for b in m["content"] if b.get("type") == "tool_result"]
    if upstream == "gemini":
        return [_text(p["functionResponse"]) for c in body.get("contents", []) for p in c.get("parts", [])
                if "functionResponse" in p]
    if upstream == "responses":
        return [_text(i.get("output")) for i in body.get("input", []) if isinstance(i, dict)
                and i.get("type") == "function_call_output"]
    raise ValueError(upstream)


def summary(received):
    return "\n".join(f"  {r['method']} {r['path']} ({len(json.dumps(r['body']))} bytes)" for r in received)


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
@pytest.mark.parametrize("cli", list(CLIS))
def test_cli_tool_loop(gateway, mock, tmp_path, cli, upstream):
    tool_loop(gateway, mock, tmp_path, cli, upstream, f"up-{upstream}/m-1")


# A Gemini 3 thought signature, as Gemini hands it out on the function call (base64 bytes).
GEMINI3_SIGNATURE = "CiQBcsjafQ8oW2Pz+/Rj0w1bYXNlNjQ/c2lnbmF0dXJl"


@pytest.mark.parametrize("cli", list(CLIS))
def test_cli_tool_loop_against_gemini_3(gateway, mock, tmp_path, cli):
    """Gemini 3 signs the function call and refuses the tool-result turn without that signature (the mock
    checks as Gemini does). Claude Code and Codex have no place for it; the gateway gives it back."""
    received = tool_loop(gateway, mock, tmp_path, cli, "gemini", "up-gemini/gemini-3-pro-preview",
                         thinking={"text": "I should run the command.", "signature": GEMINI3_SIGNATURE})
    replayed = [p.get("thoughtSignature") for r in received[1:] for c in r["body"].get("contents", [])
                if c.get("role") == "model" for p in c.get("parts", []) if "functionCall" in p]
    assert replayed and all(s is not None for s in replayed), replayed


def tool_loop(gateway, mock, tmp_path, cli, upstream, model, thinking=None):
    build, tool, tool_args = CLIS[cli]
    tag = uuid.uuid4().hex[:10]
    token = f"tool-out-{tag}"  # what the shell command prints
    marker = f"CLI-DONE-{tag}"  # the final answer
    mock.script(reply={"text": "", "thinking": thinking, "tool_calls": [
        {"id": f"call_{tag}", "name": tool, "arguments": json.dumps(tool_args(f"echo {token}"))}]})
    mock.script(reply={"text": f"{marker}: the tool printed its word."})

    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    argv, env = build(gateway, model, f"Run `echo {token}` in the shell and tell me what it printed.", home)
    try:
        run = subprocess.run(argv, cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{cli} did not finish within {TIMEOUT}s\nstdout:\n{e.stdout}\nstderr:\n{e.stderr}\n"
                    f"mock received:\n{summary(mock.received())}")
    received = mock.received()
    report = (f"{cli} exit {run.returncode}\nstdout:\n{run.stdout[-4000:]}\nstderr:\n{run.stderr[-4000:]}\n"
              f"mock received:\n{summary(received)}")

    assert run.returncode == 0, report
    assert marker in run.stdout, report
    if cli == "claude":
        result = json.loads(run.stdout)
        assert result["is_error"] is False and marker in result["result"], report
    elif cli == "gemini":
        assert marker in json.loads(run.stdout)["response"], report

    assert len(received) >= 2, report
    assert not tool_results(upstream, received[0]["body"]), "the first request already has a tool result"
    # The command's output, not just the command line echoed back (e.g. in an error message).
    later = [t.replace(f"echo {token}", "") for r in received[1:] for t in tool_results(upstream, r["body"])]
    assert any(token in t for t in later), f"no later request carries the tool output {token!r}: {later}\n{report}"
    return received
