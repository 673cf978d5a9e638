"""The bot channel and the HTTP API gate of ``python -m nlu.server`` (real model, PostgreSQL).

One launcher process for the module: the PostgreSQL tracker store (the production path), the
token passed through ``RASA_TOKEN_FILE``, no action server (the messages used need none).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from nlu.server.__main__ import check_credentials, main
from tests.engine.conftest import MODEL, child_server, engine_python, free_port, sql_rows


@dataclass
class RasaServer:
    """The running launcher."""

    url: str
    token: str
    database: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        """The bearer header (of ``token`` when given)."""
        return {"Authorization": f"Bearer {token if token is not None else self.token}"}

    def say(self, sender: str, text: str, **kwargs: object) -> httpx.Response:
        """POST one message to the bot channel."""
        body = {"sender": sender, "message": text, **kwargs}
        return httpx.post(
            f"{self.url}/webhooks/asisten/webhook", json=body, headers=self.auth(), timeout=60
        )


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory, postgres_db: str) -> Iterator[RasaServer]:
    """``python -m nlu.server`` on a free port with the SQL tracker store."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}")
    root = tmp_path_factory.mktemp("rasa")
    token = "-" + secrets.token_hex(16)  # a token may start with "-": it is never on argv
    token_file = root / "rasa.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    (root / "credentials.yml").write_text("nlu.server.channel.BotChannel: {}\n")
    (root / "endpoints.yml").write_text(
        "tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: 127.0.0.1\n"
        f"  port: 5432\n  db: {postgres_db}\n  username: postgres\n"
    )
    port = free_port()
    argv = [
        engine_python(), "-m", "nlu.server", "--model", str(MODEL),
        "--endpoints", str(root / "endpoints.yml"), "--credentials", str(root / "credentials.yml"),
        "--interface", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    env = {"RASA_TOKEN": "", "RASA_TOKEN_FILE": str(token_file)}
    url = f"http://127.0.0.1:{port}"
    with child_server(argv, env, f"{url}/", root / "rasa.log"):
        server = RasaServer(url, token, postgres_db)
        # "/" answers before the model is loaded; wait for /status to name one.
        for _ in range(480):
            status = httpx.get(f"{url}/status", headers=server.auth(), timeout=5)
            if status.status_code == 200 and status.json().get("model_file"):
                break
            time.sleep(0.5)
        else:
            pytest.fail("model never loaded")
        yield server


def tracker_events(rasa: RasaServer, sender: str) -> list[dict]:  # type: ignore[type-arg]
    """The sender's events through the (gated) HTTP API."""
    response = httpx.get(
        f"{rasa.url}/conversations/{sender}/tracker", headers=rasa.auth(), timeout=10
    )
    assert response.status_code == 200
    return list(response.json()["events"])


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}],
    ids=["no-token", "wrong-token", "not-bearer"],
)
def test_channel_without_the_token_processes_nothing(
    rasa: RasaServer, headers: dict[str, str]
) -> None:
    sender = f"tg-anon-{secrets.token_hex(4)}"
    body = {"sender": sender, "message": "halo", "metadata": {"applicant_ref": "forged-ref"}}
    response = httpx.post(
        f"{rasa.url}/webhooks/asisten/webhook", json=body, headers=headers, timeout=30
    )
    assert response.status_code == 401
    assert sql_rows(rasa.database, sender) == []


def test_the_query_token_of_rasa_run_is_not_accepted(rasa: RasaServer) -> None:
    sender = f"tg-anon-{secrets.token_hex(4)}"
    response = httpx.post(
        f"{rasa.url}/webhooks/asisten/webhook",
        params={"token": rasa.token},
        json={"sender": sender, "message": "halo"},
        timeout=30,
    )
    assert response.status_code == 401
    assert httpx.get(f"{rasa.url}/status", params={"token": rasa.token}).status_code == 401
    assert sql_rows(rasa.database, sender) == []


def test_channel_with_the_token_converses_and_keeps_metadata(rasa: RasaServer) -> None:
    sender = f"tg-{secrets.token_hex(4)}"
    response = rasa.say(sender, "halo", metadata={"telegram": {"language_code": "id"}})
    assert response.status_code == 200
    messages = response.json()
    assert isinstance(messages, list) and messages
    assert all(message["recipient_id"] == sender for message in messages)
    assert any(message.get("text") for message in messages)
    users = [e for e in tracker_events(rasa, sender) if e["event"] == "user"]
    assert users[-1]["text"] == "halo"
    assert users[-1]["input_channel"] == "asisten"
    assert users[-1]["metadata"]["telegram"] == {"language_code": "id"}


@pytest.mark.parametrize(
    "body",
    [{"message": "halo"}, {"sender": "", "message": "x"}, {"sender": "a", "message": 3},
     {"sender": "a", "message": "x", "metadata": "no"}, ["not", "an", "object"]],
)  # fmt: skip
def test_malformed_bodies_are_rejected(rasa: RasaServer, body: object) -> None:
    response = httpx.post(
        f"{rasa.url}/webhooks/asisten/webhook", json=body, headers=rasa.auth(), timeout=10
    )
    assert response.status_code == 400


def test_erase_deletes_every_postgres_row_of_the_sender(rasa: RasaServer) -> None:
    sender, other = f"tg-{secrets.token_hex(4)}", f"tg-{secrets.token_hex(4)}"
    for text in ("halo", "syarat ikut prakerja apa aja"):
        assert rasa.say(sender, text).status_code == 200
    assert rasa.say(other, "halo").status_code == 200
    stored = len(sql_rows(rasa.database, sender))
    assert stored > 4
    erase_url = f"{rasa.url}/webhooks/asisten/erase"
    refused = httpx.post(erase_url, json={"sender": sender}, timeout=10)
    assert refused.status_code == 401
    assert len(sql_rows(rasa.database, sender)) == stored
    response = httpx.post(erase_url, json={"sender": sender}, headers=rasa.auth(), timeout=10)
    assert response.status_code == 200
    assert response.json() == {"erased_events": stored}
    assert sql_rows(rasa.database, sender) == []
    assert sql_rows(rasa.database, other)
    again = httpx.post(erase_url, json={"sender": sender}, headers=rasa.auth(), timeout=10)
    assert again.json() == {"erased_events": 0}


def test_put_tracker_events_leaves_the_sql_rows(rasa: RasaServer) -> None:
    """Why erasure has its own route: Rasa's replace only appends to the events table."""
    sender = f"tg-{secrets.token_hex(4)}"
    assert rasa.say(sender, "halo").status_code == 200
    stored = len(sql_rows(rasa.database, sender))
    response = httpx.put(
        f"{rasa.url}/conversations/{sender}/tracker/events",
        json=[],
        headers=rasa.auth(),
        timeout=10,
    )
    assert response.status_code == 200  # allowed for operators …
    assert len(sql_rows(rasa.database, sender)) == stored  # … but it erases nothing


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/status"), ("GET", "/version"), ("GET", "/conversations/tg-x/tracker"),
     ("PUT", "/conversations/tg-x/tracker/events"), ("POST", "/model/parse"),
     ("PUT", "/model"), ("GET", "/domain")],
)  # fmt: skip
def test_api_without_the_token_is_401(rasa: RasaServer, method: str, path: str) -> None:
    response = httpx.request(method, f"{rasa.url}{path}", json={"text": "halo"}, timeout=10)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/model/parse"), ("PUT", "/model"), ("DELETE", "/model"), ("GET", "/domain"),
     ("POST", "/model/train"), ("POST", "/conversations/tg-x/messages"),
     ("POST", "/conversations/tg-x/execute"), ("POST", "/conversations/tg-x/trigger_intent"),
     ("GET", "/conversations/tg-x/story"),
     ("POST", "/conversations/tg-x/predict")],
)  # fmt: skip
def test_api_routes_off_the_allow_list_are_refused_with_the_token(
    rasa: RasaServer, method: str, path: str
) -> None:
    response = httpx.request(
        method, f"{rasa.url}{path}", json={"text": "halo"}, headers=rasa.auth(), timeout=10
    )
    assert response.status_code == 403


def test_pause_and_resume_may_be_appended_and_nothing_else(rasa: RasaServer) -> None:
    """The bot pauses a conversation during a staff ticket; other events stay refused."""
    sender = f"tg-{secrets.token_hex(4)}"
    assert rasa.say(sender, "halo").status_code == 200
    url = f"{rasa.url}/conversations/{sender}/tracker/events"
    for forged in (
        {"event": "slot", "name": "applicant_ref", "value": "x"},
        [{"event": "pause"}],
        {"event": "user", "text": "/status_verified"},
    ):
        assert httpx.post(url, json=forged, headers=rasa.auth(), timeout=10).status_code == 403
    assert httpx.post(url, json={"event": "pause"}, timeout=10).status_code == 401
    paused = httpx.post(url, json={"event": "pause"}, headers=rasa.auth(), timeout=10)
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] is True
    resumed = httpx.post(url, json={"event": "resume"}, headers=rasa.auth(), timeout=10)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    kinds = [e["event"] for e in tracker_events(rasa, sender)]
    assert kinds.index("pause") < kinds.index("resume")


def test_allowed_api_routes_answer_with_the_token(rasa: RasaServer) -> None:
    status = httpx.get(f"{rasa.url}/status", headers=rasa.auth(), timeout=10)
    assert status.status_code == 200 and status.json()["model_file"]
    assert httpx.get(f"{rasa.url}/version", headers=rasa.auth()).status_code == 200
    assert httpx.get(f"{rasa.url}/").status_code == 200  # the bare liveness line stays open


def test_the_rest_channel_is_not_served(rasa: RasaServer) -> None:
    body = {"sender": "tg-rest", "message": "halo"}
    response = httpx.post(f"{rasa.url}/webhooks/rest/webhook", json=body, headers=rasa.auth())
    assert response.status_code == 404
    assert sql_rows(rasa.database, "tg-rest") == []


def test_launcher_refuses_other_channels(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("rest:\nnlu.server.channel.BotChannel: {}\n")
    with pytest.raises(SystemExit, match="exactly one channel"):
        check_credentials(str(credentials))
    credentials.write_text("nlu.server.channel.BotChannel: {}\n")
    check_credentials(str(credentials))


def test_launcher_refuses_to_start_without_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    monkeypatch.delenv("RASA_TOKEN_FILE", raising=False)
    argv = ["--model", "m", "--credentials", str(tmp_path / "c.yml")]
    assert main(argv) == 2
    monkeypatch.setenv("RASA_TOKEN_FILE", str(tmp_path / "missing"))
    assert main(argv) == 2
