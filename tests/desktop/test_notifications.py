"""Quota notifications, observed where a desktop shows them: the app calls
`org.freedesktop.Notifications.Notify` on the session bus, answered by a real notification
service (dunst) and watched with `dbus-monitor`. A window of the account crosses 80 %, is used up,
then resets; the 95 % notification is switched off in the settings and must not come."""

import os
import re
import shutil
import subprocess
import time

import pytest

from desktop import OUT, App, api, free_port, screenshot, wait_for


@pytest.fixture(scope="module")
def notifications(tmp_path_factory):
    """The Notify calls on the session bus, as (summary, body) pairs, in order."""
    assert shutil.which("dunst"), "dunst is missing (scripts/lib/deps.sh installs it)"
    daemon = subprocess.Popen(["dunst"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = tmp_path_factory.mktemp("bus") / "notify.log"
    out = open(log, "w")
    monitor = subprocess.Popen(
        ["dbus-monitor", "--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
        stdout=out, stderr=subprocess.STDOUT,
    )
    wait_for("the notification service", lambda: subprocess.run(
        ["gdbus", "call", "--session", "-d", "org.freedesktop.Notifications", "-o", "/org/freedesktop/Notifications",
         "-m", "org.freedesktop.Notifications.GetServerInformation"], capture_output=True).returncode == 0)

    def calls():
        text = log.read_text(errors="replace")
        found = []
        for call in text.split("member=Notify")[1:]:
            strings = re.findall(r'^\s*string "(.*)"$', call, re.M)
            # app name, icon, summary, body
            if len(strings) >= 4 and strings[0] == "OmniRoute":
                found.append((strings[2], strings[3]))
        return found

    yield calls
    monitor.terminate()
    daemon.terminate()
    monitor.wait(timeout=10)
    daemon.wait(timeout=10)
    out.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    extra = {} if os.environ.get("OMNIROUTE_REQUIRE_KEYCHAIN") == "1" else {"OMNIROUTE_SECRETS": "encrypted"}
    app = App("notifications", tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("data"),
              free_port(), extra, args=("--minimized",))
    yield app
    app.stop()


def requests_left(mock, port, remaining, reset="4s"):
    mock.script(headers={
        "x-ratelimit-limit-requests": "100",
        "x-ratelimit-remaining-requests": str(remaining),
        "x-ratelimit-reset-requests": reset,
    })
    status, body = api(port, "POST", "/v1/chat/completions",
                       {"model": "up-openai/m-1", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 200, body


def test_quota_windows_notify_at_their_levels_and_on_reset(app, mock, notifications):
    port = app.wait_listening()
    assert api(port, "POST", "/api/provider-nodes",
               {"name": "mock", "prefix": "up-openai", "apiType": "openai", "baseUrl": f"{mock.url}/v1"})[0] == 201
    assert api(port, "POST", "/api/providers",
               {"provider": "up-openai", "name": "work", "apiKey": "upstream-key-0123456789"})[0] == 201
    status, settings = api(port, "PATCH", "/api/settings", {"notifications": {"quotaAt95": False}})
    assert status == 200 and settings["notifications"] == {
        "quotaAt80": True, "quotaAt95": False, "quotaAt100": True, "quotaReset": True}, settings

    requests_left(mock, port, 15, reset="60s")
    summary, body = wait_for("the 80 % notification", lambda: next(
        (n for n in notifications() if n[0] == "up-openai (work): requests quota at 80 %"), None))
    assert re.search(r"It resets in (1m 00s|\d\ds)\.$", body), body
    screenshot("notification-80.png")

    # 97 %: switched off. Then used up, resetting in a few seconds.
    requests_left(mock, port, 3, reset="60s")
    time.sleep(2.5)
    requests_left(mock, port, 0, reset="4s")
    wait_for("the used-up notification", lambda: any(
        n[0] == "up-openai (work): requests quota used up" for n in notifications()))
    wait_for("the reset notification", lambda: any(
        n[0] == "up-openai (work): requests quota reset" for n in notifications()), timeout=20)
    titles = [n[0] for n in notifications()]
    assert not any("95 %" in t for t in titles), titles
    # Each told once, in order.
    assert titles == [
        "up-openai (work): requests quota at 80 %",
        "up-openai (work): requests quota used up",
        "up-openai (work): requests quota reset",
    ], titles
    (OUT / "notifications.txt").write_text("\n".join(f"{s} | {b}" for s, b in notifications()) + "\n")
