"""Tests for the local Telegram Bot API emulator (sandbox/telegram) driven by a real PTB Bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter

from sandbox.telegram import create_app
from sandbox.telegram.emulator import make_server
from sandbox.telegram.html_check import EntityParseError, parse_html
from sandbox.telegram.markdown_check import parse_markdown_v2
from tests.emulator import free_port as _free_port
from tests.emulator import serve_in_thread as _serve_in_thread

TOKEN = "123456:TEST-token_abc"
USER = 987654321


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """Run the emulator with uvicorn in a background thread for this module."""
    port = _free_port()
    server = make_server(create_app(callback_ttl=5), "127.0.0.1", port)
    thread = _serve_in_thread(server)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
async def sim(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the /sim API on a freshly reset emulator."""
    async with httpx.AsyncClient(base_url=server_url, timeout=10) as client:
        (await client.post("/sim/reset")).raise_for_status()
        yield client


@pytest.fixture
async def bot(server_url: str) -> AsyncIterator[Bot]:
    """An unmodified PTB Bot pointed at the emulator."""
    async with Bot(TOKEN, base_url=f"{server_url}/bot") as tg_bot:
        yield tg_bot


async def _say(sim: httpx.AsyncClient, **payload: Any) -> dict[str, Any]:
    response = await sim.post("/sim/updates/message", json={"user_id": USER, **payload})
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


async def test_get_me_and_commands(bot: Bot, sim: httpx.AsyncClient) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name) == (
        123456,
        "AsistenPrakerjaBot",
        "Asisten Prakerja",
    )
    commands = [BotCommand("start", "Mulai"), BotCommand("bantuan", "Bantuan")]
    assert await bot.set_my_commands(commands, language_code="id")
    assert await bot.get_my_commands(language_code="id") == tuple(commands)
    assert await bot.get_my_commands() == ()
    stored = (await sim.get("/sim/commands")).json()["commands"]
    assert stored["default"]["id"][0] == {"command": "start", "description": "Mulai"}
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Mulai Ulang", "x")])


async def test_send_html_with_keyboards_visible_to_sim(bot: Bot, sim: httpx.AsyncClient) -> None:
    await _say(sim, text="/start", kind="command")
    inline = InlineKeyboardMarkup([[InlineKeyboardButton("Ya 👍", callback_data="konfirmasi:ya")]])
    sent = await bot.send_message(
        USER,
        "<b>Halo</b> &amp; selamat <a href='https://prakerja.go.id'>datang</a> 😀 <i>x</i>",
        parse_mode=ParseMode.HTML,
        reply_markup=inline,
    )
    assert sent.text == "Halo & selamat datang 😀 x"
    assert sent.reply_markup == inline
    assert [e.type for e in sent.entities] == ["bold", "text_link", "italic"]
    # The emoji counts as two UTF-16 units, so "x" starts at 25.
    assert sent.entities[2].offset == 25
    contact_kb = ReplyKeyboardMarkup(
        [[KeyboardButton("Bagikan nomor", request_contact=True)]], one_time_keyboard=True
    )
    second = await bot.send_message(USER, "Bagikan nomor HP Anda", reply_markup=contact_kb)
    assert second.message_id == sent.message_id + 1

    messages = (await sim.get(f"/sim/chats/{USER}/messages")).json()["messages"]
    assert [m["from_bot"] for m in messages] == [False, True, True]
    first = messages[1]
    assert first["text"] == "Halo & selamat datang 😀 x"
    assert first["html"].startswith("<b>Halo</b>")
    assert first["parse_mode"] == "HTML"
    assert first["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "konfirmasi:ya"
    button = messages[2]["reply_markup"]["keyboard"][0][0]
    assert button == {"text": "Bagikan nomor", "request_contact": True}
    sends = (await sim.get("/sim/calls", params={"method": "sendMessage"})).json()
    calls = sends["calls"]
    assert len(calls) == 2 and calls[0]["ok"] and calls[0]["params"]["parse_mode"] == "HTML"
    assert sends["total"] == len((await sim.get("/sim/calls")).json()["calls"])  # every method


async def test_get_updates_parses_sim_messages(bot: Bot, sim: httpx.AsyncClient) -> None:
    await _say(sim, text="halo", first_name="Siti", username="siti_uji")
    await _say(sim, kind="sticker")
    await _say(sim, kind="contact", contact={"phone_number": "+6281234567890", "user_id": USER})
    await _say(sim, text="info pelatihan", forward_from_user_id=111)
    sent = await bot.send_message(
        USER,
        "Pilih:",
        reply_markup=InlineKeyboardMarkup.from_button(
            InlineKeyboardButton("Lanjut", callback_data="lanjut")
        ),
    )
    cb = await sim.post(
        "/sim/updates/callback",
        json={"user_id": USER, "message_id": sent.message_id, "data": "lanjut"},
    )
    query_id = cb.json()["callback_query_id"]

    assert (await sim.get("/sim/handed-over")).json()["handed_over"] == {}
    before = time.time()
    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 5
    text, sticker, contact, forwarded, callback = updates
    # when each update first went to the bot (benchmarks tell the bot's time from the queue's)
    handed = (await sim.get("/sim/handed-over")).json()["handed_over"]
    assert sorted(handed) == sorted(str(u.update_id) for u in updates)
    assert all(before - 0.001 <= at <= time.time() for at in handed.values())
    await bot.get_updates(offset=updates[-1].update_id, timeout=0)  # the last one again
    assert (await sim.get("/sim/handed-over")).json()["handed_over"] == handed  # the first time
    since = (await sim.get("/sim/handed-over", params={"since": updates[3].update_id})).json()
    assert list(since["handed_over"]) == [str(updates[4].update_id)]
    assert text.message.text == "halo" and text.effective_user.username == "siti_uji"
    assert text.effective_user.language_code == "id"
    assert text.effective_chat.type == "private" and text.effective_chat.id == USER
    assert sticker.message.sticker.emoji == "👍" and sticker.message.sticker.type == "regular"
    assert contact.message.contact.user_id == USER
    assert contact.message.contact.phone_number == "+6281234567890"
    assert forwarded.message.forward_origin.type == "user"
    assert forwarded.message.forward_origin.sender_user.id == 111
    assert callback.callback_query.data == "lanjut"
    assert callback.callback_query.message.message_id == sent.message_id
    assert callback.callback_query.message.reply_markup.inline_keyboard[0][0].text == "Lanjut"

    assert await bot.answer_callback_query(query_id, text="Oke!")
    status = (await sim.get(f"/sim/callbacks/{query_id}")).json()
    assert status["answered"] and status["text"] == "Oke!"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)

    # Confirming with offset drops them, like Telegram.
    assert await bot.get_updates(offset=callback.update_id + 1, timeout=0) == ()


async def test_command_entity_and_media_kinds(bot: Bot, sim: httpx.AsyncClient) -> None:
    await _say(sim, text="/start daftar", kind="command")
    for kind in ("photo", "voice", "location", "document", "dice", "poll", "video_note"):
        await _say(sim, kind=kind)
    updates = await bot.get_updates(timeout=0)
    command = updates[0].message
    assert command.entities[0].type == "bot_command" and command.entities[0].offset == 0
    assert command.text == "/start daftar"
    photo, voice, location, document, dice, poll, note = (u.message for u in updates[1:])
    assert photo.photo[-1].width == 1280
    assert voice.voice.mime_type == "audio/ogg"
    assert location.location.latitude == pytest.approx(-6.175392)
    assert document.document.file_name == "dokumen.pdf"
    assert dice.dice.value == 4 and poll.poll.question and note.video_note.length == 240


async def test_validation_errors(bot: Bot, sim: httpx.AsyncClient) -> None:
    await _say(sim, text="halo")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "<b>tebal", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "1 < 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "baris<br>baru", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Message is too long"):
        await bot.send_message(USER, "a" * 4097)
    # 4096 after entity parsing is fine even though the HTML source is longer.
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Button_data_invalid"):
        await bot.send_message(
            USER,
            "x",
            reply_markup=InlineKeyboardMarkup.from_button(
                InlineKeyboardButton("x", callback_data="d" * 65)
            ),
        )
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(42, "siapa?")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "Harga Rp3.500.000", parse_mode=ParseMode.MARKDOWN_V2)
    failed = (await sim.get("/sim/calls", params={"method": "sendMessage"})).json()["calls"]
    assert [c["ok"] for c in failed].count(True) == 1


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_blocked_user_and_injected_faults(bot: Bot, sim: httpx.AsyncClient) -> None:
    await _say(sim, text="halo")
    await sim.post(f"/sim/users/{USER}/block", json={"blocked": True})
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(USER, "Halo?")
    await sim.post(f"/sim/users/{USER}/block", json={"blocked": False})

    fault = {"method": "sendMessage", "error_code": 429, "retry_after": 3, "times": 1}
    fault["description"] = "Too Many Requests: retry after 3"
    (await sim.post("/sim/faults", json=fault)).raise_for_status()
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "Halo lagi")
    assert "Retry in 3 seconds" in str(info.value)
    sent = await bot.send_message(USER, "Halo lagi")  # only one call was faulted
    assert sent.text == "Halo lagi"


async def test_wait_returns_promptly_and_edits(bot: Bot, sim: httpx.AsyncClient) -> None:
    said = await _say(sim, text="halo")

    async def reply_later() -> None:
        await asyncio.sleep(0.3)
        await bot.send_chat_action(USER, "typing")
        await bot.send_message(USER, "Halo juga!")

    started = time.monotonic()
    task = asyncio.create_task(reply_later())
    response = await sim.get(
        f"/sim/chats/{USER}/wait",
        params={"after_id": said["message_id"], "count": 1, "timeout": 10},
    )
    elapsed = time.monotonic() - started
    await task
    body = response.json()
    assert not body["timed_out"] and elapsed < 3
    assert [m["text"] for m in body["messages"]] == ["Halo juga!"]
    actions = (await sim.get(f"/sim/chats/{USER}/actions")).json()["actions"]
    assert actions[-1]["action"] == "typing"

    edited = await bot.edit_message_text("Halo, Siti!", USER, body["messages"][0]["message_id"])
    assert edited.text == "Halo, Siti!" and edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Halo, Siti!", USER, edited.message_id)
    timed_out = await sim.get(
        f"/sim/chats/{USER}/wait",
        params={"after_id": edited.message_id, "timeout": 0.2},
    )
    assert timed_out.json() == {"messages": [], "timed_out": True}


async def test_long_poll_get_updates_wakes_on_update(bot: Bot, sim: httpx.AsyncClient) -> None:
    async def user_writes() -> None:
        await asyncio.sleep(0.3)
        await _say(sim, text="ada yang bisa bantu?")

    started = time.monotonic()
    task = asyncio.create_task(user_writes())
    updates = await bot.get_updates(timeout=10)
    await task
    assert time.monotonic() - started < 3
    assert updates[0].message.text == "ada yang bisa bantu?"


def test_html_parser_rules() -> None:
    parsed = parse_html('<pre><code class="language-python">x = 1</code></pre> &#128512;&lt;')
    assert parsed.text == "x = 1 😀<"
    assert parsed.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    assert parse_html('<span class="tg-spoiler">r</span>').entities[0]["type"] == "spoiler"
    for bad in ("<b><i>x</b></i>", "a & b", "a > b", "<span>x</span>", "<b>x", "</b>"):
        with pytest.raises(EntityParseError):
            parse_html(bad)
    v2 = parse_markdown_v2("*Tebal* dan _miring_ Rp3\\.500\\.000 [tautan](https://x.id)")
    assert v2.text == "Tebal dan miring Rp3.500.000 tautan"
    assert [e["type"] for e in v2.entities] == ["bold", "italic", "text_link"]


async def test_web_page_is_served(sim: httpx.AsyncClient) -> None:
    page = await sim.get("/")
    assert page.status_code == 200
    assert "Asisten Prakerja" in page.text
    assert (await sim.get("/healthz")).json() == {"ok": True}
    # The shared script (rendering, long-polling) loads before the page's own.
    assert page.text.index("/static/common.js") < page.text.index("/static/chat.js")
    common = await sim.get("/static/common.js")
    assert common.status_code == 200 and "function pollChanges" in common.text


async def test_bad_token_and_unknown_method(sim: httpx.AsyncClient) -> None:
    bad = await sim.post("/botnot-a-token/getMe")
    assert bad.status_code == 401 and bad.json()["description"] == "Unauthorized"
    unknown = await sim.post(f"/bot{TOKEN}/sendTelepathy")
    assert unknown.status_code == 404 and unknown.json()["description"] == "Not Found"


async def test_webhook_delivery_and_get_updates_conflict(bot: Bot, sim: httpx.AsyncClient) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []

    async def hook(request: Request) -> JSONResponse:
        received.append(
            (await request.json(), request.headers.get("x-telegram-bot-api-secret-token"))
        )
        return JSONResponse({})

    port = _free_port()
    config = uvicorn.Config(
        Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    receiver = uvicorn.Server(config)
    thread = _serve_in_thread(receiver)
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="rahasia")
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        await _say(sim, text="lewat webhook")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        update, secret = received[0]
        assert update["message"]["text"] == "lewat webhook" and secret == "rahasia"
        handed = (await sim.get("/sim/handed-over")).json()["handed_over"]
        assert list(handed) == [str(update["update_id"])]
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert await bot.delete_webhook()
        assert await bot.get_updates(timeout=0) == ()
    finally:
        receiver.should_exit = True
        thread.join(timeout=5)
