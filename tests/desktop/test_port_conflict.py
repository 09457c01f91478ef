"""Port 20128 (here: any port) already taken when the app starts: a dialog names the problem and
offers the next free port; accepting it starts the gateway there and remembers it, so the next
start uses it without asking. Declining quits."""

import json
import socket
import subprocess
import time

from desktop import App, api, screenshot, wait_for, x_windows

DIALOG = "^OmniRoute: port in use$"


def occupy():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s, s.getsockname()[1]


def press(key):
    window = wait_for("the port dialog", lambda: x_windows(DIALOG))[0]
    time.sleep(0.5)
    subprocess.run(["xdotool", "windowfocus", "--sync", str(window)], check=True)
    subprocess.run(["xdotool", "key", key], check=True)


def test_a_taken_port_offers_the_next_one_and_remembers_it(tmp_path):
    holder, taken = occupy()
    home, data = tmp_path / "home", tmp_path / "data"
    try:
        app = App("port-conflict", home, data, taken, {"OMNIROUTE_SECRETS": "encrypted"})
        try:
            wait_for("the port dialog", lambda: x_windows(DIALOG))
            screenshot("port-dialog.png")
            press("Return")
            port = app.wait_listening()
            assert port != taken and taken < port <= taken + 10
            assert api(port, "GET", "/api/health")[0] == 200
            assert json.loads((data / "desktop.json").read_text()) == {"port": port}
        finally:
            app.stop()
        # Next start, no PORT given: the remembered port, no question asked.
        again = App("port-remembered", home, data, None, {"OMNIROUTE_SECRETS": "encrypted"})
        try:
            assert again.wait_listening() == port
            assert not x_windows(DIALOG)
        finally:
            again.stop()
    finally:
        holder.close()


def test_declining_the_other_port_quits(tmp_path):
    holder, taken = occupy()
    try:
        app = App("port-declined", tmp_path / "home", tmp_path / "data", taken, {"OMNIROUTE_SECRETS": "encrypted"})
        try:
            press("Escape")
            assert app.proc.wait(timeout=30) == 1
            assert "listening on" not in app.text()
            assert not (tmp_path / "data" / "desktop.json").exists()
        finally:
            app.stop()
    finally:
        holder.close()

