"""The desktop app as a user meets it, on a real X display (Xvfb) with a real tray host: it starts
the gateway in-process, registers a tray item whose menu lists the combos and switches them,
shows the dashboard in a window, keeps serving with the window closed, refuses a second
instance, copies the endpoint, toggles start-at-login, finds and verifies signed updates, and
quits cleanly. Figures (cold start, memory) are printed for the notes; nothing asserts timing."""

import os
import re
import subprocess
import time

import pytest

from desktop import (
    App, Tray, api, children, close_windows, distinct_colours, free_port, listening_pid, process_tree_rss_kib,
    screenshot, wait_for, x_windows,
)


@pytest.fixture(scope="module")
def env(tmp_path_factory, update_feed):
    home = tmp_path_factory.mktemp("home")
    data = tmp_path_factory.mktemp("data")
    port = free_port()
    extra = {
        "OMNIROUTE_UPDATE_ENDPOINT": f"{update_feed.url}/latest.json",
        "OMNIROUTE_UPDATE_PUBKEY": update_feed.pubkey,
    }
    if os.environ.get("OMNIROUTE_REQUIRE_KEYCHAIN") != "1":
        extra["OMNIROUTE_SECRETS"] = "encrypted"
    return {"home": home, "data": data, "port": port, "extra": extra}


@pytest.fixture(scope="module")
def app(env):
    app = App("desktop", env["home"], env["data"], env["port"], env["extra"])
    yield app
    app.stop()


@pytest.fixture(scope="module")
def tray(app):
    started = app.started
    tray = Tray()
    print(f"\ncold start to tray-ready: {(time.monotonic() - started) * 1000:.0f} ms")
    return tray


def test_the_gateway_runs_in_process_and_the_window_shows_the_dashboard(app, env, tray):
    port = app.wait_listening()
    assert port == env["port"]
    status, health = api(port, "GET", "/api/health")
    assert status == 200 and health["status"] == "ok"
    # In-process: the app itself, not a child, holds the gateway's listening socket.
    assert listening_pid(port) == app.proc.pid
    if os.environ.get("OMNIROUTE_REQUIRE_KEYCHAIN") == "1":
        assert health["secrets_backend"] == "keychain"
    wait_for("the tray status line", lambda: f"OmniRoute on http://127.0.0.1:{port}" in tray.labels())
    wait_for("the dashboard window", lambda: x_windows("^OmniRoute$"))
    # The dashboard's script ran: it asked the gateway who is signed in and for the combos.
    wait_for("the dashboard to load", lambda: "path=/api/auth/status" in app.text() and "path=/api/combos" in app.text())
    time.sleep(1.5)
    shot = screenshot("window.png")
    assert distinct_colours(shot) > 40, "the window looks blank"


def test_the_tray_menu_lists_the_combos_and_switches_the_active_one(app, env, tray, mock):
    port = env["port"]
    assert api(port, "POST", "/api/provider-nodes",
               {"name": "mock", "prefix": "up-openai", "apiType": "openai", "baseUrl": f"{mock.url}/v1"})[0] == 201
    assert api(port, "POST", "/api/providers", {"provider": "up-openai", "apiKey": "upstream-key-0123456789"})[0] == 201
    for name in ("cheap", "quality"):
        status, body = api(port, "POST", "/api/combos", {"name": name, "models": ["up-openai/m-1"]})
        assert status == 201, body
    # The menu follows the new combos without a restart.
    wait_for("the combos in the tray", lambda: {"cheap", "quality"} <= set(tray.labels()))
    assert tray.item("Combo: none")

    tray.click("quality")
    wait_for("the switch", lambda: api(port, "GET", "/api/combos/active")[1]["name"] == "quality")
    wait_for("the tray to show it", lambda: tray.item("quality")["checked"] and not tray.item("cheap")["checked"])
    wait_for("the submenu title", lambda: "Combo: quality" in tray.labels(), timeout=5)
    # The next request goes through the combo chosen in the tray.
    status, _ = api(port, "POST", "/v1/chat/completions",
                    {"model": "quality", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 200

    # A switch in the dashboard (the same API) shows in the tray.
    assert api(port, "PUT", "/api/combos/active", {"name": "cheap"})[0] == 200
    wait_for("the tray to follow the dashboard", lambda: tray.item("cheap")["checked"] and not tray.item("quality")["checked"])



def test_provider_health_shows_in_the_tray(app, env, tray, mock):
    port = env["port"]
    assert "● up-openai — healthy" in tray.labels()
    assert tray.icon_state() == "healthy"
    mock.script(fault={"status": 429, "error_message": "slow down", "retry_after": "90"})
    status, _ = api(port, "POST", "/v1/chat/completions",
                    {"model": "up-openai/m-1", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 429
    line = wait_for("a cooldown line", lambda: next((x for x in tray.labels() if x.startswith("◐ up-openai — cooldown")), None))
    assert re.search(r"cooldown, (\d+m \d\ds|\d+s) left \(1 of 1 accounts resting\)", line), line
    wait_for("the amber icon", lambda: tray.icon_state() == "degraded")
    assert api(port, "POST", "/api/resilience/reset", {})[0] in (200, 204)
    wait_for("healthy again", lambda: "● up-openai — healthy" in tray.labels())
    wait_for("the green icon", lambda: tray.icon_state() == "healthy")


def test_copy_endpoint_url_puts_it_on_the_clipboard(env, tray):
    tray.click("Copy endpoint URL")
    expected = f"http://127.0.0.1:{env['port']}/v1"
    wait_for("the clipboard", lambda: subprocess.run(
        ["xclip", "-o", "-selection", "clipboard"], capture_output=True, text=True, timeout=5,
    ).stdout == expected)


def test_start_at_login_toggles_the_autostart_entry(env, tray):
    autostart = env["home"] / ".config" / "autostart"
    assert not tray.item("Start at login")["checked"]
    tray.click("Start at login")
    entry = wait_for("the autostart entry", lambda: next(iter(autostart.glob("*.desktop")), None))
    text = entry.read_text()
    assert "omniroute-desktop" in text and "--minimized" in text
    wait_for("the check mark", lambda: tray.item("Start at login")["checked"])
    tray.click("Start at login")
    wait_for("the entry to go", lambda: not list(autostart.glob("*.desktop")))
    wait_for("the check mark to go", lambda: not tray.item("Start at login")["checked"])


def test_updates_are_verified_before_they_are_offered(env, tray, update_feed):
    port = env["port"]
    assert api(port, "GET", "/api/system/update")[1] == {"state": "idle"}
    # A release whose signature does not match the public key is refused.
    other = update_feed.root / "other.bin"
    other.write_bytes(b"not the published package")
    update_feed.tauri(["signer", "sign", "-f", str(update_feed.key), "-p", "", str(other)])
    update_feed.publish((update_feed.root / "other.bin.sig").read_text().strip())
    assert api(port, "POST", "/api/system/update/check")[0] == 202
    failed = wait_for("the refusal", lambda: (s := api(port, "GET", "/api/system/update")[1])["state"] == "failed" and s)
    assert "signature" in failed["message"].lower(), failed
    wait_for("the tray to say so", lambda: "Update check failed — try again" in tray.labels())

    # The real one, from the tray: downloaded, verified, offered for a restart.
    update_feed.publish(update_feed.signature)
    tray.click("Update check failed")
    ready = wait_for("the update", lambda: (s := api(port, "GET", "/api/system/update")[1])["state"] == "ready" and s)
    assert ready == {"state": "ready", "version": "9.9.9", "notes": "Test release"}
    wait_for("the tray entry", lambda: tray.item("Restart to install 9.9.9")["enabled"])


def test_closing_the_window_keeps_the_gateway_and_frees_the_webview(app, env, tray):
    port = env["port"]
    assert x_windows("^OmniRoute$")
    time.sleep(1)
    rss_open = process_tree_rss_kib(app.proc.pid)
    close_windows("^OmniRoute$")
    assert app.proc.poll() is None, "the app quit with its window"
    assert api(port, "GET", "/api/health")[0] == 200
    time.sleep(3)
    rss_closed = process_tree_rss_kib(app.proc.pid)
    print(f"\nRSS with the window open: {rss_open / 1024:.1f} MiB, closed: {rss_closed / 1024:.1f} MiB")
    assert rss_closed < rss_open, "closing the window did not free the webview"
    # Nothing of the webview is left: no WebKit process, no window process.
    assert children(app.proc.pid) == []
    # The real menu, opened with the mouse on the tray icon (bottom-left of the screen).
    subprocess.run(["xdotool", "mousemove", "20", "780", "click", "3"], check=True)
    time.sleep(1.5)
    screenshot("tray-menu.png")
    subprocess.run(["xdotool", "key", "Escape"], check=False)
    time.sleep(0.5)
    requests_before = app.text().count("path=/api/auth/status")
    tray.click("Open dashboard")
    wait_for("the window to come back", lambda: x_windows("^OmniRoute$"))
    wait_for("the dashboard to load again", lambda: app.text().count("path=/api/auth/status") > requests_before)
    # "Configure tools…" turns the open window to the CLI Tools page, which asks for the tools…
    tools_before = app.text().count("path=/api/cli-tools ")
    tray.click("Configure tools…")
    wait_for("the CLI Tools page", lambda: app.text().count("path=/api/cli-tools ") > tools_before)
    close_windows("^OmniRoute$")
    # …and, with no window, opens one on that page.
    tools_before = app.text().count("path=/api/cli-tools ")
    tray.click("Configure tools…")
    wait_for("a window on the CLI Tools page", lambda: app.text().count("path=/api/cli-tools ") > tools_before)
    assert x_windows("^OmniRoute$")
    close_windows("^OmniRoute$")


def test_a_second_launch_focuses_the_first_instead_of_starting_a_gateway(app, env, tray):
    second = App("second-launch", env["home"], env["data"], env["port"], env["extra"])
    try:
        code = second.proc.wait(timeout=30)
    finally:
        second.stop()
    assert code == 0
    assert "listening on" not in second.text()
    wait_for("the first to react", lambda: "already running; focusing it" in app.text())
    wait_for("its window to open", lambda: x_windows("^OmniRoute$"))
    assert app.proc.poll() is None
    assert api(env["port"], "GET", "/api/health")[0] == 200


def test_quit_stops_the_gateway_and_exits(app, env, tray):
    tray.click("Quit OmniRoute")
    assert app.proc.wait(timeout=30) == 0
    log = app.text()
    # The verified test package is not a real installer, so installing it on quit is refused.
    assert "update not installed" in log
    with pytest.raises(OSError):
        api(env["port"], "GET", "/healthz")
