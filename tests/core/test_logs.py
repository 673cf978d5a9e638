"""core.logs: one JSON object per line from logging, prints, warnings and crashes; masked."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.logs import JsonFormatter, LogSettings, guess_level, json_line

REPO = Path(__file__).resolve().parents[2]
NIK = "3175091201990004"
PHONE = "081234567890"
FIELDS = {"time", "level", "process", "logger", "event"}

# Everything a process can write: records (with extras and a traceback), a framework's own
# handler, an access record, print(), a warning, and finally an uncaught exception.
SCRIPT = textwrap.dedent(
    f"""
    import logging, sys, warnings
    from core.logs import LogSettings, configure_process_logging, reformat_all_handlers

    formatter = configure_process_logging("demo", LogSettings.from_env())
    own = logging.getLogger("framework")
    own.addHandler(logging.StreamHandler(sys.stdout))
    own.propagate = False
    reformat_all_handlers(formatter)
    log = logging.getLogger("demo.part")
    log.info("NIK %s and HP %s", "{NIK}", "{PHONE}", extra={{"update_id": 7, "latency_ms": 12}})
    own.warning("framework line for {PHONE}")
    logging.getLogger("sanic.access").info(
        "", extra={{"host": "127.0.0.1:1", "request": "GET /x?n={NIK}", "status": 200, "byte": 2}}
    )
    try:
        raise ValueError("bad {NIK}")
    except ValueError:
        log.exception("failed")
    print("printed {PHONE}")
    print("multi\\nline")
    warnings.warn("careful {NIK}")
    raise RuntimeError("crash {PHONE}")
    """
)


def run_script(python: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """SCRIPT in a fresh interpreter (it replaces sys.stdout/stderr) from the repository root."""
    return subprocess.run(
        [python, "-c", SCRIPT],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# Both runtimes use core.logs: the bot's Python 3.11 and the engine's 3.10 (when built).
PYTHONS = [
    pytest.param(str(REPO / ".venvs" / venv / "bin" / "python"), id=venv)
    for venv in ("bot", "engine")
    if (REPO / ".venvs" / venv / "bin" / "python").exists()
] or [pytest.param(sys.executable, id="this")]


@pytest.mark.parametrize("python", PYTHONS)
def test_every_line_is_one_masked_json_object(python: str, tmp_path: Path) -> None:
    result = run_script(
        python, tmp_path, LOG_FORMAT="json", LOG_DIR=str(tmp_path / "logs"), LOG_LEVEL="debug"
    )
    assert result.returncode == 1
    streams = {"stdout": result.stdout, "stderr": result.stderr}
    file_text = (tmp_path / "logs" / "demo.log").read_text()
    entries = []
    for name, text in [*streams.items(), ("file", file_text)]:
        assert NIK not in text and PHONE not in text and PHONE[1:] not in text, name
        for line in text.splitlines():
            entry = json.loads(line)
            assert FIELDS <= entry.keys(), (name, line)
            assert entry["process"] == "demo"
            entries.append(entry)
    by_logger = {}
    for entry in entries:
        by_logger.setdefault(entry["logger"], []).append(entry)
    first = by_logger["demo.part"][0]
    assert first["update_id"] == 7 and first["latency_ms"] == 12
    assert first["event"] == "NIK [NIK disembunyikan] and HP [nomor HP disembunyikan]"
    failed = next(e for e in by_logger["demo.part"] if e["event"] == "failed")
    assert "ValueError: bad [NIK disembunyikan]" in failed["exc"]
    assert by_logger["framework"][0]["level"] == "WARNING"
    assert by_logger["sanic.access"][0]["event"].startswith("127.0.0.1:1 GET /x?n=[")
    assert [e["event"] for e in by_logger["stdout"]] == [
        "printed [nomor HP disembunyikan]",
        "multi",
        "line",
    ]
    assert "careful [NIK disembunyikan]" in by_logger["py.warnings"][0]["event"]
    crash = by_logger["uncaught"][0]
    assert crash["level"] == "CRITICAL" and "RuntimeError: crash [nomor HP" in crash["exc"]
    # The file holds the records (not the prints, which go to stdout only).
    assert "demo.part" in {json.loads(line)["logger"] for line in file_text.splitlines()}


def test_text_format_stays_text_and_masked(tmp_path: Path) -> None:
    result = run_script(sys.executable, tmp_path, LOG_FORMAT="text")
    assert result.returncode == 1
    assert "INFO demo.part: NIK [NIK disembunyikan] and HP [nomor HP disembunyikan]" in (
        result.stderr
    )
    assert "WARNING py.warnings:" in result.stderr and "CRITICAL uncaught:" in result.stderr
    assert NIK not in result.stderr and PHONE not in result.stderr
    assert "printed" in result.stdout  # prints are not logging's business in text mode


def test_settings_from_env_name_the_wrong_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    monkeypatch.setenv("LOG_DIR", "")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert LogSettings.from_env() == LogSettings(level="DEBUG", format="json")
    assert LogSettings.from_env("warning").level == "WARNING"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match=r"^LOG_FORMAT must be text or json"):
        LogSettings.from_env()
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.setenv("LOG_MAX_BYTES", "big")
    with pytest.raises(ValueError, match=r"^LOG_MAX_BYTES must be a whole number"):
        LogSettings.from_env()


def test_formatter_and_wrapped_lines_have_the_same_fields() -> None:
    record = logging.LogRecord("bot.x", logging.INFO, "", 0, "hello", None, None)
    native = json.loads(JsonFormatter("bot").format(record))
    wrapped = json.loads(json_line("rasa", guess_level("x ERROR y"), "unformatted", "x ERROR y"))
    assert native.keys() == wrapped.keys() == FIELDS
    assert wrapped["level"] == "ERROR"
