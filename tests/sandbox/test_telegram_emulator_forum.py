"""The emulator's staff forum: topics, chat members, copy vs forward, staff posts as updates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from telegram import Bot, ChatMember, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from sandbox.telegram import create_app
from sandbox.telegram.emulator import make_server
from sandbox.telegram.forum import ICON_COLORS, STAFF_GROUP_ID

from .test_telegram_emulator import TOKEN, _free_port, _serve_in_thread

APPLICANT = 987650001
RINA = 500000001  # demo staff owner
BUDI = 500000002  # demo staff member
BOT_ID = int(TOKEN.split(":")[0])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """An emulator started like ``python -m sandbox.telegram --staff-group``."""
    port = _free_port()
    server = make_server(create_app(staff_group=True), "127.0.0.1", port)
    thread = _serve_in_thread(server)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
async def sim(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A /sim client on a freshly reset emulator (the staff group is re-created)."""
    async with httpx.AsyncClient(base_url=server_url, timeout=10) as client:
        (await client.post("/sim/reset")).raise_for_status()
        yield client


@pytest.fixture
async def bot(server_url: str, sim: httpx.AsyncClient) -> AsyncIterator[Bot]:
    """A PTB Bot on the emulator (after the reset, so the bot's identity is current)."""
    async with Bot(TOKEN, base_url=f"{server_url}/bot") as tg_bot:
        yield tg_bot


async def _post(sim: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await sim.post(path, json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def _staff_says(sim: httpx.AsyncClient, user_id: int, **body: Any) -> dict[str, Any]:
    return await _post(sim, f"/sim/groups/{STAFF_GROUP_ID}/messages", user_id=user_id, **body)


async def _topic_messages(sim: httpx.AsyncClient, thread: int | str) -> list[dict[str, Any]]:
    response = await sim.get(f"/sim/groups/{STAFF_GROUP_ID}/topics/{thread}/messages")
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


async def test_staff_group_chat_and_member_statuses(bot: Bot, sim: httpx.AsyncClient) -> None:
    chat = await bot.get_chat(STAFF_GROUP_ID)
    assert chat.type == "supergroup" and chat.is_forum is True
    assert chat.title == "Staf Asisten Prakerja"

    me = await bot.get_chat_member(STAFF_GROUP_ID, BOT_ID)
    assert me.status == ChatMember.ADMINISTRATOR
    assert me.can_manage_topics is True and me.user.id == BOT_ID and me.user.is_bot
    assert (await bot.get_chat_member(STAFF_GROUP_ID, RINA)).status == ChatMember.OWNER
    budi = await bot.get_chat_member(STAFF_GROUP_ID, BUDI)
    assert budi.status == ChatMember.MEMBER and budi.user.first_name == "Budi"
    admins = await bot.get_chat_administrators(STAFF_GROUP_ID)
    assert [a.user.id for a in admins] == [RINA]  # bots are never listed
    assert await bot.get_chat_member_count(STAFF_GROUP_ID) == 3

    # An applicant Telegram knows but who is not in the group: "left".
    await _post(sim, "/sim/users", user_id=APPLICANT, first_name="Siti")
    assert (await bot.get_chat_member(STAFF_GROUP_ID, APPLICANT)).status == ChatMember.LEFT
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(STAFF_GROUP_ID, 42)

    await _post(sim, f"/sim/groups/{STAFF_GROUP_ID}/members", user_id=500000003, first_name="Dewi")
    assert (await bot.get_chat_member(STAFF_GROUP_ID, 500000003)).status == ChatMember.MEMBER
    removed = await sim.delete(f"/sim/groups/{STAFF_GROUP_ID}/members/500000003?ban=1")
    assert removed.status_code == 200
    banned = await bot.get_chat_member(STAFF_GROUP_ID, 500000003)
    assert banned.status == ChatMember.BANNED
    updates = await bot.get_updates(timeout=0)
    joined, left = (u.message for u in updates)
    assert joined.new_chat_members[0].id == 500000003 and joined.message_thread_id is None
    assert left.left_chat_member.id == 500000003
    # chat_member updates are opt-in, like on Telegram.
    assert all(u.chat_member is None for u in updates)

    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(-1009999999999)


async def test_topic_lifecycle_and_thread_not_found(bot: Bot, sim: httpx.AsyncClient) -> None:
    topic = await bot.create_forum_topic(STAFF_GROUP_ID, "Siti · PRK-1234", icon_color=0xFFD67E)
    assert topic.name == "Siti · PRK-1234" and topic.icon_color == 0xFFD67E
    default = await bot.create_forum_topic(STAFF_GROUP_ID, "Kedua")
    assert default.icon_color == ICON_COLORS[0]
    assert default.message_thread_id > topic.message_thread_id
    with pytest.raises(BadRequest, match="Topic_title_empty"):
        await bot.create_forum_topic(STAFF_GROUP_ID, " ")
    with pytest.raises(BadRequest, match="icon_color"):
        await bot.create_forum_topic(STAFF_GROUP_ID, "x", icon_color=0x123456)
    thread = topic.message_thread_id

    sent = await bot.send_message(
        STAFF_GROUP_ID, "<b>Pelamar baru</b>", parse_mode=ParseMode.HTML, message_thread_id=thread
    )
    assert sent.message_thread_id == thread and sent.is_topic_message is True
    # As on Telegram, a topic message "replies" to the topic's creation service message.
    assert sent.reply_to_message.message_id == thread
    assert sent.reply_to_message.forum_topic_created.name == "Siti · PRK-1234"
    general = await bot.send_message(STAFF_GROUP_ID, "Ringkasan antrean")
    assert general.message_thread_id is None and not general.is_topic_message

    listing = (await sim.get(f"/sim/groups/{STAFF_GROUP_ID}/topics")).json()["topics"]
    assert [(t["name"], t["is_closed"], t["message_count"]) for t in listing] == [
        ("Siti · PRK-1234", False, 1),
        ("Kedua", False, 0),
    ]
    kinds = [(m["kind"], m["from_bot"]) for m in await _topic_messages(sim, thread)]
    assert kinds == [("service", True), ("text", True)]
    assert [m["text"] for m in await _topic_messages(sim, "general")] == ["Ringkasan antrean"]

    assert await bot.edit_forum_topic(STAFF_GROUP_ID, thread, name="Siti · PRK-1234 ✅")
    with pytest.raises(BadRequest, match="Topic_not_modified"):
        await bot.edit_forum_topic(STAFF_GROUP_ID, thread, name="Siti · PRK-1234 ✅")
    assert await bot.close_forum_topic(STAFF_GROUP_ID, thread)
    with pytest.raises(BadRequest, match="Topic_not_modified"):
        await bot.close_forum_topic(STAFF_GROUP_ID, thread)
    # A plain member cannot write in a closed topic; the admin bot still can.
    closed_post = await sim.post(
        f"/sim/groups/{STAFF_GROUP_ID}/messages",
        json={"user_id": BUDI, "text": "halo", "message_thread_id": thread},
    )
    assert closed_post.status_code == 400
    await bot.send_message(STAFF_GROUP_ID, "Catatan akhir", message_thread_id=thread)
    assert await bot.reopen_forum_topic(STAFF_GROUP_ID, thread)
    services = [m["service"]["type"] for m in await _topic_messages(sim, thread) if m["service"]]
    assert services == [
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
    ]

    assert await bot.delete_forum_topic(STAFF_GROUP_ID, thread)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(STAFF_GROUP_ID, "masih ada?", message_thread_id=thread)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_photo(STAFF_GROUP_ID, "https://x.id/a.png", message_thread_id=thread)
    with pytest.raises(BadRequest, match="Topic_id_invalid"):
        await bot.close_forum_topic(STAFF_GROUP_ID, thread)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(STAFF_GROUP_ID, "tidak pernah ada", message_thread_id=9999)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(STAFF_GROUP_ID, "General bukan topik", message_thread_id=1)
    assert await bot.send_chat_action(STAFF_GROUP_ID, "typing", message_thread_id=1)
    assert await _topic_messages(sim, thread) == []
    names = [
        t["name"] for t in (await sim.get(f"/sim/groups/{STAFF_GROUP_ID}/topics")).json()["topics"]
    ]
    assert names == ["Kedua"]

    # Staff deleting a topic in their client has the same effect.
    other = default.message_thread_id
    deleted = await sim.delete(f"/sim/groups/{STAFF_GROUP_ID}/topics/{other}")
    assert deleted.status_code == 200
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(STAFF_GROUP_ID, "x", message_thread_id=other)
    stats = (await sim.get("/sim/stats")).json()["stats"]
    assert stats["thread_not_found"] == 5


async def test_copy_has_no_forward_origin_and_forward_has_one(
    bot: Bot, sim: httpx.AsyncClient
) -> None:
    topic = await bot.create_forum_topic(STAFF_GROUP_ID, "Siti")
    thread = topic.message_thread_id
    photo = await _post(
        sim, "/sim/updates/message", user_id=APPLICANT, kind="photo", text="KTP saya"
    )
    text = await _post(sim, "/sim/updates/message", user_id=APPLICANT, text="Dana belum masuk")
    for kind in ("document", "voice", "sticker"):
        await _post(sim, "/sim/updates/message", user_id=APPLICANT, kind=kind)
    updates = await bot.get_updates(timeout=0)
    applicant_photo = updates[0].message.photo

    copied = await bot.copy_message(
        STAFF_GROUP_ID, APPLICANT, photo["message_id"], message_thread_id=thread, caption="Foto"
    )
    copied_text = await bot.copy_message(
        STAFF_GROUP_ID, APPLICANT, text["message_id"], message_thread_id=thread
    )
    forwarded = await bot.forward_message(
        STAFF_GROUP_ID, APPLICANT, text["message_id"], message_thread_id=thread
    )
    assert isinstance(forwarded, Message)
    assert forwarded.forward_origin.type == "user"
    assert forwarded.forward_origin.sender_user.id == APPLICANT
    assert forwarded.is_topic_message and forwarded.message_thread_id == thread

    by_id = {m["message_id"]: m for m in await _topic_messages(sim, thread)}
    photo_copy = by_id[copied.message_id]
    assert photo_copy["from_bot"] and photo_copy["from"]["id"] == BOT_ID
    assert photo_copy["forward_origin"] is None and photo_copy["caption"] == "Foto"
    assert photo_copy["kind"] == "photo" and photo_copy["is_topic_message"]
    text_copy = by_id[copied_text.message_id]
    assert text_copy["text"] == "Dana belum masuk" and text_copy["forward_origin"] is None
    assert by_id[forwarded.message_id]["forward_origin"]["sender_user"]["id"] == APPLICANT
    calls = (await sim.get("/sim/calls", params={"method": "copyMessage"})).json()["calls"]
    assert calls[0]["result"] == {"message_id": copied.message_id}

    # Media re-sent by file_id keeps the same file, as on Telegram.
    resent = await bot.send_photo(
        STAFF_GROUP_ID, applicant_photo[-1].file_id, message_thread_id=thread
    )
    assert resent.photo[-1].file_unique_id == applicant_photo[-1].file_unique_id
    document, voice, sticker = (u.message for u in updates[2:])
    doc = await bot.send_document(STAFF_GROUP_ID, document.document.file_id, caption="Berkas")
    assert doc.document.file_name == "dokumen.pdf" and doc.caption == "Berkas"
    sent_voice = await bot.send_voice(
        STAFF_GROUP_ID, voice.voice.file_id, message_thread_id=thread
    )
    assert sent_voice.voice.file_unique_id == voice.voice.file_unique_id
    sent_sticker = await bot.send_sticker(APPLICANT, sticker.sticker.file_id)
    assert sent_sticker.sticker.emoji == "👍"
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(STAFF_GROUP_ID, "AgACbukan-file-asli")
    with pytest.raises(BadRequest, match="can't be copied"):
        await bot.copy_message(APPLICANT, STAFF_GROUP_ID, thread)
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(STAFF_GROUP_ID, APPLICANT, 9999)


async def test_staff_posts_arrive_as_topic_updates(bot: Bot, sim: httpx.AsyncClient) -> None:
    topic = await bot.create_forum_topic(STAFF_GROUP_ID, "Siti · PRK-1234")
    thread = topic.message_thread_id
    question = await bot.send_message(
        STAFF_GROUP_ID, "Ada yang bisa ambil?", message_thread_id=thread
    )
    await _staff_says(sim, BUDI, text="/ambil", message_thread_id=thread)
    await _staff_says(sim, BUDI, text="/catatan sudah ditelepon", message_thread_id=thread)
    await _staff_says(
        sim,
        RINA,
        text="Saya cek dulu",
        message_thread_id=thread,
        reply_to_message_id=question.message_id,
    )
    await _staff_says(sim, RINA, kind="photo", text="bukti", message_thread_id=thread)
    await _staff_says(sim, BUDI, kind="document", file_name="surat.pdf", message_thread_id=thread)
    await _staff_says(sim, BUDI, text="/antrian")  # General topic

    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 6
    take, note, reply, photo, document, queue = (u.message for u in updates)
    for message in (take, note, reply, photo, document):
        assert message.chat.type == "supergroup" and message.chat.id == STAFF_GROUP_ID
        assert message.chat.is_forum is True
        assert message.message_thread_id == thread and message.is_topic_message is True
    assert take.from_user.id == BUDI and take.text == "/ambil"
    assert take.entities[0].type == "bot_command" and take.entities[0].length == 6
    assert take.reply_to_message.forum_topic_created is not None  # the implicit topic reply
    assert note.text == "/catatan sudah ditelepon" and note.entities[0].length == 8
    assert reply.from_user.id == RINA and reply.reply_to_message.message_id == question.message_id
    assert reply.reply_to_message.from_user.id == BOT_ID
    assert photo.photo[-1].file_id and photo.caption == "bukti"
    assert document.document.file_name == "surat.pdf"
    assert queue.text == "/antrian" and queue.message_thread_id is None
    assert not queue.is_topic_message and queue.reply_to_message is None

    # A staff view long-polls a topic like the private chat's /wait.
    async def answer_later() -> None:
        await asyncio.sleep(0.3)
        await bot.send_message(STAFF_GROUP_ID, "Tiket diambil oleh Budi", message_thread_id=thread)

    started = time.monotonic()
    task = asyncio.create_task(answer_later())
    waited = await sim.get(
        f"/sim/groups/{STAFF_GROUP_ID}/topics/{thread}/wait",
        params={"after_id": document.message_id, "timeout": 10},
    )
    await task
    assert time.monotonic() - started < 3
    assert [m["text"] for m in waited.json()["messages"]] == ["Tiket diambil oleh Budi"]

    outsider = await sim.post(
        f"/sim/groups/{STAFF_GROUP_ID}/messages", json={"user_id": APPLICANT, "text": "halo"}
    )
    assert outsider.status_code == 400  # only members can post


async def test_non_admin_non_forum_and_removed_bot(bot: Bot, sim: httpx.AsyncClient) -> None:
    staff = [{"user_id": RINA, "first_name": "Rina", "status": "creator"}]
    plain = await _post(sim, "/sim/groups", title="Bukan forum", is_forum=False, members=staff)
    plain_id = plain["chat"]["id"]
    assert (await bot.get_chat(plain_id)).is_forum is not True
    with pytest.raises(BadRequest, match="not a forum"):
        await bot.create_forum_topic(plain_id, "x")

    member = await _post(
        sim, "/sim/groups", title="Bot bukan admin", bot_status="member", members=staff
    )
    member_id = member["chat"]["id"]
    assert (await bot.get_chat_member(member_id, BOT_ID)).status == ChatMember.MEMBER
    with pytest.raises(BadRequest, match="Not enough rights to create a topic"):
        await bot.create_forum_topic(member_id, "x")
    no_topics = await _post(
        sim, "/sim/groups", title="Admin tanpa topik", bot_can_manage_topics=False, members=staff
    )
    me = await bot.get_chat_member(no_topics["chat"]["id"], BOT_ID)
    assert me.status == ChatMember.ADMINISTRATOR and me.can_manage_topics is False

    # Privacy mode: a non-admin bot sees commands but not ordinary chatter.
    hidden = await _post(sim, f"/sim/groups/{member_id}/messages", user_id=RINA, text="halo semua")
    shown = await _post(sim, f"/sim/groups/{member_id}/messages", user_id=RINA, text="/statistik")
    assert not hidden["delivered"] and shown["delivered"]
    assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["/statistik"]

    removed = await sim.delete(f"/sim/groups/{STAFF_GROUP_ID}/members/bot")
    assert removed.status_code == 200
    updates = await bot.get_updates(timeout=0)
    change = updates[-1].my_chat_member
    assert change.chat.id == STAFF_GROUP_ID and change.new_chat_member.status == ChatMember.LEFT
    assert change.old_chat_member.status == ChatMember.ADMINISTRATOR
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(STAFF_GROUP_ID, "halo?")


async def test_staff_page_is_served(sim: httpx.AsyncClient) -> None:
    page = await sim.get("/staff")
    assert page.status_code == 200 and "Ruang staf" in page.text
    assert page.text.index("/static/common.js") < page.text.index("/static/staff.js")
    script = await sim.get("/static/staff.js")
    assert script.status_code == 200 and "/sim/groups/" in script.text
