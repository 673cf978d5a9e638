"""Starting a whole stack's launcher (`make run`, honcho) as a test does: output to a file."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ops.services import REPO


def start_logged(argv: list[str], env: dict[str, str], output: Path) -> subprocess.Popen[str]:
    """``argv`` from the repository root in its own session, stdout and stderr into ``output``."""
    with output.open("w") as out:
        return subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
