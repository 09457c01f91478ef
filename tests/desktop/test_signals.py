"""The system ending the app (SIGTERM at logout, Ctrl-C in a terminal) quits it as the tray's Quit
does: the gateway stops taking requests, finishes what it has, writes the usage rows it was still
gathering, and the process exits with status 0."""

import signal
import sqlite3

import pytest

from desktop import App, api, free_port


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_termination_signal_quits_and_keeps_the_last_usage(tmp_path, mock, sig):
    port = free_port()
    app = App(f"signal-{sig.name}", tmp_path / "home", tmp_path / "data", port,
              {"OMNIROUTE_SECRETS": "encrypted"}, args=["--minimized"])
    try:
        app.wait_listening()
        assert api(port, "POST", "/api/provider-nodes",
                   {"name": "mock", "prefix": "up", "apiType": "openai", "baseUrl": f"{mock.url}/v1"})[0] == 201
        assert api(port, "POST", "/api/providers", {"provider": "up", "apiKey": "upstream-key-0123456789"})[0] == 201
        for _ in range(3):
            status, _ = api(port, "POST", "/v1/chat/completions", {"model": "up/m-1", "messages": [{"role": "user", "content": "hi"}]})
            assert status == 200
        # At once: the last row is still inside the usage writer's 50 ms gathering window.
        app.proc.send_signal(sig)
        assert app.proc.wait(timeout=30) == 0, app.text()
        assert "shutdown requested" in app.text()
    finally:
        app.stop()
    db = sqlite3.connect(tmp_path / "data" / "storage.sqlite")
    try:
        (rows,) = db.execute("SELECT count(*) FROM usage").fetchone()
    finally:
        db.close()
    assert rows == 3
