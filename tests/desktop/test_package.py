"""The Linux package: `tauri bundle` makes a .deb of the built app, `dpkg -i` installs it, and
the installed binary starts and serves. The package is removed again afterwards."""

import os
import subprocess

from desktop import ROOT, TARGET, App, api, free_port

PACKAGE = "omni-route"


def as_root(args):
    if os.geteuid() != 0:
        args = ["sudo", "-n", *args]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def test_the_deb_builds_installs_and_its_binary_starts(tmp_path):
    subprocess.run(["npx", "--no-install", "tauri", "bundle", "--debug", "--bundles", "deb"],
                   cwd=ROOT / "src-tauri", check=True, stdout=subprocess.DEVNULL)
    deb = max((TARGET / "bundle" / "deb").glob("*.deb"), key=lambda p: p.stat().st_mtime)
    print(f"\n{deb.name}: {deb.stat().st_size / 1e6:.1f} MB (debug build)")
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Depends"], capture_output=True, text=True,
                            check=True).stdout
    assert f"Package: {PACKAGE}" in fields
    assert "libwebkit2gtk-4.1-0" in fields and "libayatana-appindicator3-1" in fields
    as_root(["dpkg", "-i", str(deb)])
    try:
        listed = subprocess.run(["dpkg", "-L", PACKAGE], capture_output=True, text=True, check=True).stdout.split()
        assert "/usr/bin/omniroute-desktop" in listed
        assert any(p.endswith("/OmniRoute.desktop") for p in listed)
        port = free_port()
        app = App("installed", tmp_path / "home", tmp_path / "data", port, {"OMNIROUTE_SECRETS": "encrypted"},
                  binary="/usr/bin/omniroute-desktop", args=("--minimized",))
        try:
            assert app.wait_listening() == port
            assert api(port, "GET", "/api/health")[1]["status"] == "ok"
        finally:
            app.stop()
    finally:
        as_root(["dpkg", "-r", PACKAGE])
    assert not os.path.exists("/usr/bin/omniroute-desktop")
