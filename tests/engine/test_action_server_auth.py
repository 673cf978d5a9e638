"""``python -m actions``: the webhook needs the bearer token; Rasa's endpoint config sends it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rasa.core.utils import AvailableEndpoints
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError

from tests.engine.conftest import child_server, engine_python, free_port

TOKEN = secrets.token_hex(16)
# The action a real conversation asks for when the NLU misses: no program API needed.
ACTION_CALL = {
    "next_action": "action_clarify_intent",
    "sender_id": "tg-x",
    "version": "3.6.21",
    "domain": {},
    "tracker": {
        "sender_id": "tg-x",
        "slots": {},
        "latest_message": {"text": "zzz", "intent_ranking": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    },
}


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The action server on a free port, token in its environment only."""
    root = tmp_path_factory.mktemp("actions")
    port = free_port()
    argv = [engine_python(), "-m", "actions", "--port", str(port)]
    env = {"ACTION_SERVER_TOKEN": TOKEN, "PROGRAM_API_URL": "http://127.0.0.1:9"}
    url = f"http://127.0.0.1:{port}"
    with child_server(argv, env, f"{url}/health", root / "actions.log", timeout=120):
        yield url


def test_health_is_open(action_server: str) -> None:
    assert httpx.get(f"{action_server}/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}],
    ids=["none", "wrong", "no-scheme"],
)
def test_webhook_and_action_list_need_the_token(
    action_server: str, headers: dict[str, str]
) -> None:
    webhook = httpx.post(f"{action_server}/webhook", json=ACTION_CALL, headers=headers)
    assert webhook.status_code == 401
    assert "responses" not in webhook.json()
    assert httpx.get(f"{action_server}/actions", headers=headers).status_code == 401
    query = httpx.post(f"{action_server}/webhook", params={"token": TOKEN}, json=ACTION_CALL)
    assert query.status_code == 401


def test_webhook_with_the_token_runs_the_action(action_server: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = httpx.post(f"{action_server}/webhook", json=ACTION_CALL, headers=auth)
    assert response.status_code == 200
    assert response.json()["responses"][0]["text"].startswith("Maaf")
    names = {a["name"] for a in httpx.get(f"{action_server}/actions", headers=auth).json()}
    assert "action_clarify_intent" in names


def endpoints_file(tmp_path: Path, url: str) -> Path:
    """The action endpoint exactly as ops/stack.py writes it (unquoted, so YAML interpolates)."""
    path = tmp_path / "endpoints.yml"
    path.write_text(
        f'action_endpoint:\n  url: "{url}/webhook"\n'
        "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
    )
    return path


async def test_rasa_endpoint_config_sends_the_token_from_the_environment(
    action_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = endpoints_file(tmp_path, action_server)
    assert TOKEN not in path.read_text()  # the token never touches the disk
    monkeypatch.setenv("ACTION_SERVER_TOKEN", TOKEN)
    endpoint = AvailableEndpoints.read_endpoints(str(path)).action
    assert endpoint is not None
    result = await endpoint.request(json=ACTION_CALL, method="post")
    assert result["responses"][0]["text"].startswith("Maaf")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "wrong")
    wrong = AvailableEndpoints.read_endpoints(str(path)).action
    assert wrong is not None
    with pytest.raises(ClientResponseError) as refused:
        await wrong.request(json=ACTION_CALL, method="post")
    assert refused.value.status == 401


def test_rasa_fails_closed_without_the_token(
    action_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    with pytest.raises(RasaException, match="ACTION_SERVER_TOKEN"):
        AvailableEndpoints.read_endpoints(str(endpoints_file(tmp_path, action_server)))


def test_launcher_refuses_to_start_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from actions.__main__ import main

    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    monkeypatch.delenv("ACTION_SERVER_TOKEN_FILE", raising=False)
    assert main(["--port", str(free_port())]) == 2
