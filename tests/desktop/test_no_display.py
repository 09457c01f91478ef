"""Started without a graphical session (a server, an SSH shell), the app says so and how to run
the gateway headless, and exits with status 1: no panic, no backtrace."""

import os
import subprocess

from desktop import APP


def run_without(env_update, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update({"HOME": str(tmp_path), "DATA_DIR": str(tmp_path / "data"), "RUST_BACKTRACE": "1"}, **env_update)
    return subprocess.run([str(APP)], env=env, capture_output=True, text=True, timeout=30)


def test_no_display_is_a_clear_error(tmp_path):
    done = run_without({}, tmp_path)
    assert done.returncode == 1, done.stderr
    assert "no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set)" in done.stderr
    assert "omniroute serve" in done.stderr
    assert "panicked" not in done.stderr
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def test_an_unreachable_display_is_a_clear_error(tmp_path):
    done = run_without({"DISPLAY": ":87"}, tmp_path)
    assert done.returncode == 1, done.stderr
    assert 'cannot open the display ":87"' in done.stderr
    assert "panicked" not in done.stderr
