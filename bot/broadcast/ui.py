"""What admins see of a broadcast: the preview with Kirim/Batal, progress, summary, status."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode

from bot import texts
from bot.broadcast import content
from bot.broadcast.store import CANCELLED, DONE, PAUSED, RUNNING, SENDS_PER_STAR
from bot.db.models import Broadcast
from bot.rendering import BOT_ACTION, PayloadStore

PREFIX = "bc:"  # bot-action payloads of this feature: "bc:<verb>:<broadcast id>"
SEND, DROP, PAUSE, RESUME, STOP = "send", "drop", "pause", "resume", "stop"

STATE_NAMES = {
    "draft": texts.BROADCAST_STATE_DRAFT,
    RUNNING: texts.BROADCAST_STATE_RUNNING,
    PAUSED: texts.BROADCAST_STATE_PAUSED,
    DONE: texts.BROADCAST_STATE_DONE,
    CANCELLED: texts.BROADCAST_STATE_CANCELLED,
}


def action(payloads: PayloadStore, verb: str, broadcast_id: int) -> str:
    """Signed callback data for one of the broadcast buttons."""
    return payloads.encode(f"{PREFIX}{verb}:{broadcast_id}", kind=BOT_ACTION)


def parse_action(payload: str) -> tuple[str, int] | None:
    """``(verb, broadcast id)`` of a ``bc:`` payload, or None."""
    if not payload.startswith(PREFIX):
        return None
    verb, _, raw_id = payload.removeprefix(PREFIX).partition(":")
    if verb not in (SEND, DROP, PAUSE, RESUME, STOP) or not raw_id.isdigit():
        return None
    return verb, int(raw_id)


def approval_keyboard(payloads: PayloadStore, broadcast_id: int) -> InlineKeyboardMarkup:
    """The **Kirim** / **Batal** buttons under a preview."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.BUTTON_BROADCAST_SEND, callback_data=action(payloads, SEND, broadcast_id)
                ),
                InlineKeyboardButton(
                    texts.BUTTON_BROADCAST_DROP, callback_data=action(payloads, DROP, broadcast_id)
                ),
            ]
        ]
    )


def control_keyboard(payloads: PayloadStore, b: Broadcast) -> InlineKeyboardMarkup | None:
    """Pause or resume, and cancel, while a broadcast is running or paused."""
    if b.status not in (RUNNING, PAUSED):
        return None
    toggle = (
        InlineKeyboardButton(
            texts.BUTTON_BROADCAST_PAUSE, callback_data=action(payloads, PAUSE, b.id)
        )
        if b.status == RUNNING
        else InlineKeyboardButton(
            texts.BUTTON_BROADCAST_RESUME, callback_data=action(payloads, RESUME, b.id)
        )
    )
    stop = InlineKeyboardButton(
        texts.BUTTON_BROADCAST_STOP, callback_data=action(payloads, STOP, b.id)
    )
    return InlineKeyboardMarkup([[toggle, stop]])


async def send_preview(
    bot: Bot, chat_id: int, b: Broadcast, recipients: int, payloads: PayloadStore
) -> Message:
    """The broadcast exactly as subscribers get it, then the count and Kirim / Batal."""
    await content.deliver(bot, chat_id, b.html, b.photo)
    intro = texts.BROADCAST_AUTO_DRAFT if b.origin == "auto" else ""
    return await bot.send_message(
        chat_id,
        intro + texts.BROADCAST_PREVIEW_INFO.format(id=b.id, recipients=recipients),
        parse_mode=ParseMode.HTML,
        reply_markup=approval_keyboard(payloads, b.id),
    )


def _eta(remaining: int, rate: float | None) -> str:
    """'sekitar 3 menit' style estimate."""
    if remaining == 0:
        return "-"
    if not rate:
        return texts.BROADCAST_ETA_UNKNOWN
    seconds = int(remaining / rate)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return texts.BROADCAST_ETA.format(value=f"{hours} jam {minutes} menit")
    if minutes:
        return texts.BROADCAST_ETA.format(value=f"{minutes} menit {secs} detik")
    return texts.BROADCAST_ETA.format(value=f"{secs} detik")


def remaining_of(b: Broadcast) -> int:
    """Recipients not settled yet."""
    return max(0, b.total - b.sent - b.failed - b.blocked)


def progress_text(b: Broadcast, rate: float | None) -> str:
    """The progress message: counts, rate and ETA."""
    remaining = remaining_of(b)
    shown_rate = f"{rate:.1f}".replace(".", ",") if rate else "-"
    text = texts.BROADCAST_PROGRESS.format(
        id=b.id,
        state=STATE_NAMES.get(b.status, b.status),
        sent=b.sent,
        failed=b.failed,
        blocked=b.blocked,
        remaining=remaining,
        total=b.total,
        rate=shown_rate,
        eta=_eta(remaining, rate) if b.status == RUNNING else "-",
    )
    return text + _stars(b)


def summary_text(b: Broadcast) -> str:
    """The end-of-broadcast summary with the same counts."""
    title = texts.BROADCAST_SUMMARY_DONE if b.status == DONE else texts.BROADCAST_SUMMARY_CANCELLED
    body = texts.BROADCAST_SUMMARY.format(
        sent=b.sent,
        failed=b.failed,
        blocked=b.blocked,
        remaining=remaining_of(b),
        total=b.total,
    )
    return title.format(id=b.id) + "\n" + body + _stars(b)


def _stars(b: Broadcast) -> str:
    """The Stars line of a paid broadcast."""
    if not b.paid:
        return ""
    spent = b.paid_sent / SENDS_PER_STAR
    return "\n" + texts.BROADCAST_STARS.format(
        spent=f"{spent:g}".replace(".", ","), budget=f"{b.star_budget:g}".replace(".", ",")
    )


def status_line(b: Broadcast) -> str:
    """One line of /siaran_status."""
    return texts.BROADCAST_STATUS_LINE.format(
        id=b.id,
        state=STATE_NAMES.get(b.status, b.status),
        sent=b.sent,
        failed=b.failed,
        blocked=b.blocked,
        remaining=remaining_of(b),
        total=b.total,
        origin=texts.BROADCAST_ORIGIN_AUTO if b.origin == "auto" else "",
    )
