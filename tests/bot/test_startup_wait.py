"""wait_for_dependencies: the bot waits for the Bot API server and Rasa's model before polling.

The logic on a scripted transport (time is simulated); the real thing, with every process
started at once, is tests/ops/test_procfile_stack.py.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bot.startup import SettingsError, load_settings, wait_for_dependencies

TOKEN = "1000000001:SANDBOX-local-token"


class Clock:
    """Simulated time: sleeping advances it."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        """Advance."""
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def scripted(
    clock: Clock, bot_api_from: float, rasa_from: float, rasa_status: int = 200
) -> Callable[[httpx.Request], httpx.Response]:
    """Connection refused until the given times, then getMe / a loaded model."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/getMe"):
            if clock.now < bot_api_from:
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(200, json={"ok": True, "result": {"id": 1}})
        assert request.url.path == "/status"
        assert request.headers["Authorization"] == "Bearer rasa-secret"
        if clock.now < rasa_from:
            raise httpx.ConnectError("refused", request=request)
        if rasa_status != 200:
            return httpx.Response(rasa_status)
        return httpx.Response(200, json={"model_file": "prakerja.tar.gz" if clock.now > 0 else ""})

    return handle


def run(
    clock: Clock, handler: Callable[[httpx.Request], httpx.Response], wait: float = 300
) -> bool:
    settings = load_settings(
        telegram_bot_token=TOKEN,
        telegram_base_url="http://127.0.0.1:1/bot",
        rasa_url="http://127.0.0.1:2",
        rasa_token="rasa-secret",
        startup_wait_seconds=wait,
    )
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        return wait_for_dependencies(settings, client, sleep=clock.sleep, clock=clock)


def test_waits_for_the_bot_api_then_for_rasas_model() -> None:
    clock = Clock()
    assert run(clock, scripted(clock, bot_api_from=4, rasa_from=90)) is True
    assert 90 <= clock.now <= 92


def test_rasa_still_loading_at_the_deadline_does_not_stop_the_bot() -> None:
    clock = Clock()
    assert run(clock, scripted(clock, bot_api_from=0, rasa_from=1e9), wait=30) is False
    assert 30 <= clock.now <= 31


def test_an_unreachable_bot_api_stops_start_up_naming_the_variable() -> None:
    clock = Clock()
    with pytest.raises(SettingsError, match=r"^TELEGRAM_BASE_URL is unreachable"):
        run(clock, scripted(clock, bot_api_from=1e9, rasa_from=0), wait=20)


def test_a_refused_token_stops_start_up_at_once() -> None:
    clock = Clock()

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"ok": False, "description": "Unauthorized"})

    with pytest.raises(SettingsError, match=r"^TELEGRAM_BOT_TOKEN was refused"):
        run(clock, refuse)
    assert clock.now == 0
    with pytest.raises(SettingsError, match=r"^RASA_TOKEN was refused"):
        run(clock, scripted(clock, bot_api_from=0, rasa_from=0, rasa_status=401))


def test_no_wait_configured_means_no_waiting() -> None:
    clock = Clock()
    with pytest.raises(SettingsError):
        run(clock, scripted(clock, bot_api_from=1e9, rasa_from=0), wait=0)
    assert clock.now == 0


def test_with_several_rasa_processes_it_waits_for_every_model() -> None:
    clock = Clock()
    loaded_at = {"127.0.0.1:2": 10.0, "127.0.0.1:3": 60.0}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/getMe"):
            return httpx.Response(200, json={"ok": True, "result": {"id": 1}})
        if request.url.netloc.decode() == "127.0.0.1:3" and request.headers.get(
            "Authorization"
        ) != ("Bearer rasa-secret"):
            return httpx.Response(401)
        ready = clock.now >= loaded_at[request.url.netloc.decode()]
        return httpx.Response(200, json={"model_file": "m.tar.gz" if ready else ""})

    settings = load_settings(
        telegram_bot_token=TOKEN,
        telegram_base_url="http://127.0.0.1:1/bot",
        rasa_url="http://127.0.0.1:2,http://127.0.0.1:3",
        rasa_token="rasa-secret",
    )
    with httpx.Client(transport=httpx.MockTransport(handle)) as client:
        assert wait_for_dependencies(settings, client, sleep=clock.sleep, clock=clock) is True
    assert 60 <= clock.now <= 62  # the second process's model, not the first's
