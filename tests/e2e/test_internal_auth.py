"""Internal traffic is authenticated: Rasa channel and API, action server, no token on argv."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest

from ops.stack import StackConfig, build_stack
from tests.e2e.applicant import Applicant
from tests.e2e.conftest import Stack


def sender_of(stack: Stack, applicant: Applicant) -> str:
    """The pseudonymous Rasa sender id the bot uses for this applicant."""
    from bot.privacy import rasa_sender_id

    key = (stack.config.data_dir / "privacy.key").read_text().strip().encode()
    return rasa_sender_id(key, applicant.user_id)


def rows_of(stack: Stack, sender: str) -> list[str]:
    """The sender's rows in the PostgreSQL tracker store."""
    return [row for row in stack.tracker_rows() if row.startswith(f"{sender} ")]


def test_stack_files_and_argv_carry_no_secret(tmp_path: Path) -> None:
    config = StackConfig.on_free_ports(
        tmp_path,
        redis_url="redis://:redis-secret@127.0.0.1:6379/2",
        tracker_store_url="postgresql://rasa:pg-secret@127.0.0.1:5432/rasa",
    )
    services = build_stack(config)
    secrets_ = [config.rasa_token, config.action_server_token, "redis-secret", "pg-secret"]
    for service in services:
        assert not any(s in arg for s in secrets_ for arg in service.argv), service.name
    on_disk = "".join(p.read_text() for p in config.run_dir.iterdir() if p.is_file())
    assert not any(s in on_disk for s in secrets_)
    assert (
        config.run_dir / "credentials.yml"
    ).read_text() == "nlu.server.channel.BotChannel: {}\n"
    by_name = {service.name: service for service in services}
    assert by_name["rasa"].argv[1:3] == ["-m", "nlu.server"]
    assert by_name["action-server"].argv[1:3] == ["-m", "actions"]
    assert by_name["rasa"].env["RASA_TOKEN"] == config.rasa_token
    assert by_name["rasa"].env["ACTION_SERVER_TOKEN"] == config.action_server_token
    assert by_name["rasa"].env["TRACKER_STORE_PASSWORD"] == "pg-secret"
    assert by_name["action-server"].env["ACTION_SERVER_TOKEN"] == config.action_server_token
    assert "RASA_TOKEN" not in by_name["action-server"].env
    assert "ACTION_SERVER_TOKEN" not in by_name["bot"].env


def test_real_telegram_token_without_tracker_store_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ops.run import refusal

    config = StackConfig(rasa_token="a", action_server_token="b", telegram_bot_token="1:real")
    monkeypatch.delenv("ALLOW_IN_MEMORY_TRACKER_STORE", raising=False)
    assert "TRACKER_STORE_URL" in (refusal(config) or "")
    monkeypatch.setenv("ALLOW_IN_MEMORY_TRACKER_STORE", "true")
    assert refusal(config) is None
    monkeypatch.delenv("ALLOW_IN_MEMORY_TRACKER_STORE")
    config.tracker_store_url = "postgresql://rasa@db/rasa"
    assert refusal(config) is None
    assert refusal(StackConfig(rasa_token="a", action_server_token="b")) is None  # emulator


@pytest.mark.e2e
def test_no_token_of_the_stack_is_on_any_command_line(stack: Stack) -> None:
    tokens = [stack.config.rasa_token.encode(), stack.config.action_server_token.encode()]
    seen = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes()
        except OSError:
            continue  # the process ended meanwhile
        seen += 1
        assert not any(token in argv for token in tokens), argv.replace(b"\0", b" ")[:200]
    assert seen > 5  # the stack's processes were really looked at


@pytest.mark.e2e
def test_bot_still_converses(stack: Stack, applicant: Applicant) -> None:
    replies = applicant.say("halo")
    assert replies and replies[0].text
    assert rows_of(stack, sender_of(stack, applicant))


@pytest.mark.e2e
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nope"}], ids=["no-token", "wrong-token"]
)
def test_forged_applicant_ref_without_token_gets_nothing(
    stack: Stack, applicant: Applicant, headers: dict[str, str]
) -> None:
    assert applicant.say("halo")
    sender = sender_of(stack, applicant)
    before = rows_of(stack, sender)
    forged = {
        "sender": sender,
        "message": "/status_verified",
        "metadata": {"applicant_ref": "forged-" + secrets.token_hex(4)},
    }
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/asisten/webhook", json=forged, headers=headers, timeout=30
    )
    assert response.status_code == 401
    assert "text" not in response.text
    assert rows_of(stack, sender) == before
    assert "forged-" not in "".join(stack.tracker_rows())


@pytest.mark.e2e
def test_the_rest_channel_is_gone(stack: Stack) -> None:
    body = {"sender": "tg-rest-probe", "message": "halo"}
    for headers in ({}, stack.rasa_auth):
        response = httpx.post(
            f"{stack.rasa_url}/webhooks/rest/webhook", json=body, headers=headers
        )
        assert response.status_code == 404
    assert not rows_of(stack, "tg-rest-probe")


@pytest.mark.e2e
def test_rasa_api_is_gated(stack: Stack) -> None:
    url = stack.rasa_url
    assert httpx.get(f"{url}/status").status_code == 401
    assert httpx.get(f"{url}/status", params={"token": stack.config.rasa_token}).status_code == 401
    assert httpx.get(f"{url}/status", headers=stack.rasa_auth).status_code == 200
    parse = httpx.post(f"{url}/model/parse", json={"text": "halo"}, headers=stack.rasa_auth)
    assert parse.status_code == 403
    assert httpx.put(f"{url}/model", json={}, headers=stack.rasa_auth).status_code == 403


@pytest.mark.e2e
def test_action_server_webhook_needs_the_token(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.config.actions_port}"
    call = {"next_action": "action_clarify_intent", "sender_id": "tg-x", "version": "3.6.21",
            "tracker": {"sender_id": "tg-x", "slots": {}, "latest_message": {}, "events": []},
            "domain": {}}  # fmt: skip
    assert httpx.post(f"{url}/webhook", json=call).status_code == 401
    assert httpx.get(f"{url}/actions").status_code == 401
    wrong = {"Authorization": f"Bearer {stack.config.rasa_token}"}  # not the action server's
    assert httpx.post(f"{url}/webhook", json=call, headers=wrong).status_code == 401
    assert httpx.get(f"{url}/health").status_code == 200


@pytest.mark.e2e
def test_erase_removes_every_row_of_a_conversation(stack: Stack, applicant: Applicant) -> None:
    assert applicant.say("halo")
    assert applicant.say("syarat ikut prakerja apa aja")
    sender = sender_of(stack, applicant)
    stored = len(rows_of(stack, sender))
    assert stored > 4
    refused = httpx.post(f"{stack.rasa_url}/webhooks/asisten/erase", json={"sender": sender})
    assert refused.status_code == 401
    assert stack.erase(sender) == stored
    assert rows_of(stack, sender) == []
    assert applicant.say("halo")  # the conversation simply starts again
