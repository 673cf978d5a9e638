"""deploy/systemd: each unit passes ``systemd-analyze verify`` and is hardened.

The Procfile runs under honcho in tests/e2e/test_procfile.py (the whole stack).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ops.services import REPO

UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
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
