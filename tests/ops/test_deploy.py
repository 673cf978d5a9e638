"""deploy/: the systemd units pass ``systemd-analyze verify``; honcho runs the Procfile."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from ops.services import BOT_PYTHON, REPO
from ops.stack import free_port

UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
HONCHO = BOT_PYTHON.parent / "honcho"
HARDENING = ("NoNewPrivileges=yes", "ProtectSystem=strict", "User=prakerja", "Restart=always")


def installed_copy(unit: Path, tmp_path: Path) -> Path:
    """The unit as installed, with this checkout as the install prefix (the binaries exist)."""
    env_file = tmp_path / "prakerja.env"
    env_file.write_text((REPO / "deploy" / "prakerja.env.example").read_text())
    text = (
        unit.read_text()
        .replace("/etc/asisten-prakerja/prakerja.env", str(env_file))
        .replace("/etc/asisten-prakerja/", f"{REPO / 'deploy'}/")
        .replace("/opt/asisten-prakerja", str(REPO))
    )
    copy = tmp_path / unit.name
    copy.write_text(text)
    return copy


@pytest.mark.skipif(not Path(SYSTEMD_ANALYZE).exists(), reason="no systemd-analyze here")
@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_systemd_unit_verifies_and_is_hardened(unit: Path, tmp_path: Path) -> None:
    text = unit.read_text()
    for line in HARDENING:
        assert line in text.splitlines(), line
    assert "EnvironmentFile=/etc/asisten-prakerja/prakerja.env" in text
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(installed_copy(unit, tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # not even an ignored key


def test_systemd_verify_catches_a_missing_binary(tmp_path: Path) -> None:
    broken = installed_copy(UNITS[0], tmp_path)
    broken.write_text(broken.read_text().replace(str(REPO / ".venvs"), "/nonexistent"))
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0


def test_honcho_runs_the_procfile_sandboxes_and_stops_them(tmp_path: Path) -> None:
    assert {"programapi", "telegram", "actions", "rasa", "bot"} <= {
        line.split(":", 1)[0]
        for line in (REPO / "deploy" / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    }
    chat, api = free_port(), free_port()
    (tmp_path / "sandbox").mkdir()
    env = {
        **os.environ,
        "SANDBOX_CHAT_PORT": str(chat),
        "SANDBOX_PROGRAM_API_PORT": str(api),
        "VAR_DIR": str(tmp_path),
    }
    honcho = subprocess.Popen(
        [str(HONCHO), "-f", "deploy/Procfile", "-d", str(REPO), "start", "programapi", "telegram"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        for url in (f"http://127.0.0.1:{chat}/healthz", f"http://127.0.0.1:{api}/healthz"):
            while True:
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert honcho.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert (tmp_path / "sandbox" / "program_api.sqlite").exists()
        honcho.send_signal(signal.SIGTERM)
        output, _ = honcho.communicate(timeout=20)
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
    assert "programapi.1" in output and "telegram.1" in output
    for port in (chat, api):
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
