"""``python -m actions`` under LOG_FORMAT=json: every line it writes is one masked JSON object.

Rasa's launcher (``python -m nlu.server``) uses the same set-up; it is checked under `make run`
in tests/e2e/test_supervisor.py (one Rasa at a time on the test machine).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx

from nlu.server.logs import structlog_to_logging
from tests.engine.conftest import child_server, engine_python, free_port

NIK = "3175091201990004"
PHONE = "081234567890"


def test_action_server_writes_only_json_lines(tmp_path: Path) -> None:
    port = free_port()
    token = secrets.token_hex(8)
    log = tmp_path / "actions.log"
    env = {
        "ACTION_SERVER_TOKEN": token,
        "PROGRAM_API_URL": "http://127.0.0.1:9",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
        "LOG_LEVEL_LIBRARIES": "INFO",  # Sanic's access log on
        "LOG_DIR": str(tmp_path / "own"),
    }
    url = f"http://127.0.0.1:{port}"
    argv = [engine_python(), "-m", "actions", "--port", str(port)]
    with child_server(argv, env, f"{url}/health", log, timeout=120):
        httpx.post(f"{url}/webhook?nik={NIK}&hp={PHONE}", json={}, timeout=10)
        httpx.post(
            f"{url}/webhook",
            json={"next_action": f"action_{PHONE}", "tracker": {"sender_id": NIK}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    own_file = (tmp_path / "own" / "action-server.log").read_text()
    for text in (log.read_text(), own_file):
        assert NIK not in text and PHONE not in text and PHONE[1:] not in text
        entries = [json.loads(line) for line in text.splitlines()]
        assert entries
        for entry in entries:
            assert {"time", "level", "process", "logger", "event"} <= entry.keys(), entry
            assert entry["process"] == "action-server"
    output = [json.loads(line) for line in log.read_text().splitlines()]
    loggers = {entry["logger"] for entry in output}
    assert {"sanic.access", "sanic.root", "rasa_sdk.endpoint", "py.warnings"} <= loggers
    access = [e["event"] for e in output if e["logger"] == "sanic.access"]
    assert any("/health 200" in event for event in access)
    assert any("/webhook?nik=[" in event for event in access)  # the query string masked


def test_structlog_events_become_one_message() -> None:
    event = {"event": "processor.slots.log", "slot_values": "x", "level": "debug"}
    assert structlog_to_logging(None, "debug", event) == {
        "msg": "processor.slots.log slot_values='x'",
        "exc_info": None,
    }
