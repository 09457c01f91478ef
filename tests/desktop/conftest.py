"""Fixtures for the desktop GUI tests, which scripts/test.sh runs inside `xvfb-run` and
`dbus-run-session`: a StatusNotifier tray host on the session bus (so the app's tray item
really registers and shows), the mock upstream, and a local signed-update feed."""

import http.server
import json
import os
import pathlib
import subprocess
import sys
import threading
import urllib.request

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from desktop import ROOT, TARGET, gdbus, wait_for  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def tray_host():
    if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.fail("run under xvfb-run and dbus-run-session (scripts/test.sh does)")
    procs = [subprocess.Popen(["status-notifier-watcher"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    wait_for("the StatusNotifierWatcher", lambda: gdbus(
        "-d", "org.kde.StatusNotifierWatcher", "-o", "/StatusNotifierWatcher",
        "-m", "org.freedesktop.DBus.Properties.Get", "org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered",
    ) is not None)
    procs.append(subprocess.Popen(
        ["gtk-sni-tray-standalone", "--bottom", "--size", "40", "-c", "#444444"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ))
    wait_for("the tray host", lambda: "<true>" in gdbus(
        "-d", "org.kde.StatusNotifierWatcher", "-o", "/StatusNotifierWatcher",
        "-m", "org.freedesktop.DBus.Properties.Get", "org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered",
    ))
    yield
    for p in procs:
        p.terminate()
        p.wait(timeout=10)


class Mock:
    def __init__(self, url):
        self.url = url

    def script(self, **script):
        body = json.dumps(script).encode()
        r = urllib.request.Request(f"{self.url}/__mock/script", data=body, headers={"content-type": "application/json"})
        urllib.request.urlopen(r, timeout=10).read()


@pytest.fixture(scope="session")
def mock():
    proc = subprocess.Popen([str(TARGET / "mock-upstream")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    assert "listening on" in line, line
    yield Mock(line.rsplit(" ", 1)[1].strip())
    proc.terminate()
    proc.wait(timeout=10)


class UpdateFeed:
    """A release feed like the one `tauri-action` publishes: `latest.json` naming a package and
    its minisign signature, served over HTTP from this machine. Keys are made for the test."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.key = root / "update.key"
        self.tauri(["signer", "generate", "--ci", "-p", "", "-w", str(self.key), "-f"])
        self.pubkey = (root / "update.key.pub").read_text().strip()
        # Not an ELF or a .deb: the updater verifies it, but installing it would refuse, so a test
        # can never replace a binary on this machine.
        self.package = root / "omniroute-9.9.9.bin"
        self.package.write_bytes(b"OmniRoute test update payload\n" * 4096)
        self.tauri(["signer", "sign", "-f", str(self.key), "-p", "", str(self.package)])
        self.signature = (root / "omniroute-9.9.9.bin.sig").read_text().strip()
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.publish(self.signature)

    @staticmethod
    def tauri(args):
        subprocess.run(["npx", "--no-install", "tauri", *args], cwd=ROOT / "src-tauri", check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def publish(self, signature):
        platform = {"signature": signature, "url": f"{self.url}/{self.package.name}"}
        manifest = {
            "version": "9.9.9",
            "notes": "Test release",
            "pub_date": "2026-11-25T00:00:00Z",
            "platforms": {"linux-x86_64": platform, "linux-x86_64-deb": platform},
        }
        (self.root / "latest.json").write_text(json.dumps(manifest))

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def update_feed(tmp_path_factory):
    feed = UpdateFeed(tmp_path_factory.mktemp("feed"))
    yield feed
    feed.close()
