"""Helpers for the desktop GUI tests: the app under test, its tray seen over D-Bus (the
StatusNotifierItem and its com.canonical.dbusmenu menu — what a desktop's tray host reads), the
X display, and small HTTP calls to the in-process gateway."""

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug"
APP = TARGET / "omniroute-desktop"
OUT = ROOT / "tests" / "out" / "desktop"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=30.0, every=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def api(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def gdbus(*args):
    return subprocess.run(["gdbus", "call", "--session", *args], capture_output=True, text=True, check=True).stdout


def process_tree_rss_kib(pid):
    """RSS of a process and all its descendants (the webview runs in WebKit child processes)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = pathlib.Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        except (FileNotFoundError, AttributeError, ProcessLookupError):
            continue
        todo.extend(children(p))
    return total


def children(pid):
    """Child processes of `pid`, whichever of its threads started them."""
    found = []
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


class Tray:
    """The app's tray item as the StatusNotifier host sees it."""

    def __init__(self):
        def find():
            out = gdbus(
                "-d", "org.kde.StatusNotifierWatcher", "-o", "/StatusNotifierWatcher",
                "-m", "org.freedesktop.DBus.Properties.Get", "org.kde.StatusNotifierWatcher",
                "RegisteredStatusNotifierItems",
            )
            return re.findall(r":\d+\.\d+", out)

        names = wait_for("the tray item to register", find)
        self.bus = names[-1]
        tree = subprocess.run(
            ["gdbus", "introspect", "--session", "-d", self.bus, "-o", "/", "-r"],
            capture_output=True, text=True, check=True,
        ).stdout
        self.menu = re.search(r"node (/org/ayatana/NotificationItem/[^ ]+/Menu) ", tree).group(1)

    def icon(self):
        """The icon the tray host is told to show (libayatana passes a PNG file's path)."""
        item = self.menu.rsplit("/", 1)[0]
        out = gdbus("-d", self.bus, "-o", item, "-m", "org.freedesktop.DBus.Properties.Get",
                    "org.kde.StatusNotifierItem", "IconName")
        name = re.search(r"<'([^']*)'>", out).group(1)
        theme = gdbus("-d", self.bus, "-o", item, "-m", "org.freedesktop.DBus.Properties.Get",
                      "org.kde.StatusNotifierItem", "IconThemePath")
        folder = re.search(r"<'([^']*)'>", theme)
        path = pathlib.Path(name)
        if not path.is_absolute() and folder:
            path = pathlib.Path(folder.group(1)) / f"{name}.png"
        return path

    def icon_state(self):
        """Which of the app's three tray icons is shown: the one whose mean colour is nearest."""
        def mean(path):
            out = subprocess.run(["convert", str(path), "-resize", "1x1", "-format",
                                  "%[fx:r] %[fx:g] %[fx:b]", "info:"], capture_output=True, text=True, check=True)
            return [float(x) for x in out.stdout.split()]

        shown = mean(self.icon())
        icons = ROOT / "src-tauri" / "icons"
        return min(("healthy", "degraded", "down"),
                   key=lambda s: sum((a - b) ** 2 for a, b in zip(shown, mean(icons / f"tray-{s}.png"))))

    def items(self):
        """Every menu entry as {id, label, enabled, checked} (submenus flattened)."""
        out = gdbus(
            "-d", self.bus, "-o", self.menu, "-m", "com.canonical.dbusmenu.GetLayout",
            "--", "0", "-1", '["label", "enabled", "toggle-state"]',
        )
        items = []
        for m in re.finditer(r"\((\d+), \{([^}]*)\}", out):
            props = m.group(2)
            label = re.search(r"'label': <'((?:[^'\\]|\\.)*)'>", props)
            if not label:
                continue
            toggle = re.search(r"'toggle-state': <(-?\d+)>", props)
            items.append({
                "id": int(m.group(1)),
                "label": label.group(1),
                "enabled": "'enabled': <false>" not in props,
                "checked": bool(toggle) and toggle.group(1) == "1",
            })
        return items

    def labels(self):
        return [i["label"] for i in self.items()]

    def item(self, label):
        for i in self.items():
            if i["label"] == label or i["label"].startswith(label):
                return i
        raise AssertionError(f"no tray entry {label!r} in {self.labels()}")

    def click(self, label):
        item = self.item(label)
        gdbus("-d", self.bus, "-o", self.menu, "-m", "com.canonical.dbusmenu.Event", "--",
              str(item["id"]), "clicked", '<"">', "0")


class App:
    """One run of `omniroute-desktop` with its own HOME, DATA_DIR and log file."""

    def __init__(self, name, home, data_dir, port=None, extra_env=None, args=(), binary=APP):
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / f"{name}.log"
        env = dict(os.environ)
        env.update({"HOME": str(home), "DATA_DIR": str(data_dir), "NO_AT_BRIDGE": "1", "RUST_LOG": "info"})
        env.pop("PORT", None)
        if port is not None:
            env["PORT"] = str(port)
        env.update(extra_env or {})
        self.env = env
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(binary), *args], stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.started = time.monotonic()

    def text(self):
        return self.log_path.read_text(errors="replace")

    def wait_listening(self, timeout=60):
        m = wait_for("the gateway to listen", lambda: re.search(r"OmniRoute listening on http://127\.0\.0\.1:(\d+)", self.text()), timeout)
        return int(m.group(1))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def x_windows(name):
    out = subprocess.run(["xdotool", "search", "--name", name], capture_output=True, text=True).stdout
    return [int(w) for w in out.split()]


def close_window(window_id):
    """What a window manager does when the user clicks the close button: WM_DELETE_WINDOW."""
    from Xlib import X, display, protocol

    d = display.Display()
    w = d.create_resource_object("window", window_id)
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    event = protocol.event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
    w.send_event(event, event_mask=X.NoEventMask)
    d.flush()
    d.close()


def close_windows(name):
    """Closes the windows named `name` as a user would, asking again until they are gone (a
    window still starting up can miss the first request)."""
    def gone():
        windows = x_windows(name)
        for w in windows:
            try:
                close_window(w)
            except Exception:  # noqa: BLE001 - the window went away meanwhile
                pass
        return not windows

    wait_for(f"{name} to close", gone, timeout=30, every=1.0)


def listening_pid(port):
    """The process holding the listening socket on 127.0.0.1:`port`."""
    hex_port = f"{port:04X}"
    inode = None
    for line in pathlib.Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{hex_port}") and fields[3] == "0A":
            inode = fields[9]
    assert inode, f"nothing listens on {port}"
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return int(proc.name)
        except (PermissionError, FileNotFoundError, ProcessLookupError):
            continue
    raise AssertionError(f"no process owns the socket of port {port}")


def screenshot(name):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    subprocess.run(["import", "-window", "root", str(path)], check=True)
    return path


def distinct_colours(path):
    """How many colours a screenshot has: a blank or failed page has a handful."""
    out = subprocess.run(["identify", "-format", "%k", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.strip())
