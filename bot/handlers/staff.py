"""Hand-off to staff, the staff group's side: replies, notes, claiming, closing, queue, statistics.

Only members of a configured staff group (``getChatMember``, cached) can act; everything the bot
posts there goes through PTB's rate limiter, which queues group messages (about 20 a minute).
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import time
from datetime import timedelta

from telegram import Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackContext,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import texts
from bot.config import Settings
from bot.db.models import Ticket, utcnow
from bot.handlers import handoff
from bot.handlers.handoff import (
    MEMBER_CACHE_SECONDS,
    HandoffState,
    age_of,
    close_ticket,
    format_duration,
    get_handoff,
    refresh_card,
)
from bot.rendering import escape
from bot.services import get_services

logger = logging.getLogger(__name__)

STATS_WINDOW_DAYS = 7  # /statistik: today and this many days

PRESENT = frozenset({"creator", "administrator", "member", "restricted"})
TICKET_COMMANDS = frozenset({"ambil", "tutup", "catatan"})
GROUP_COMMANDS = frozenset({"antrian", "statistik"})


async def is_staff(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    """Whether the user is a member of the staff group (cached for a few minutes)."""
    state = get_handoff(context)
    if state is None or chat_id not in state.groups:
        return False
    cached = state.members.get((chat_id, user_id))
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        return cached[0]
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
        present = member.status in PRESENT
    except TelegramError:
        present = False
    state.members[(chat_id, user_id)] = (present, now + MEMBER_CACHE_SECONDS)
    return present


def command_of(message: Message) -> tuple[str, str] | None:
    """``(name, arguments)`` of a ``/command@bot args`` message, else None."""
    text = message.text or ""
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    return head.split("@")[0].lower(), rest.strip()


async def reply(message: Message, html: str) -> None:
    """Answer in the same topic (queued by the rate limiter like every group message)."""
    with contextlib.suppress(TelegramError):
        await message.reply_text(html, parse_mode=ParseMode.HTML)


async def on_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every message in a staff group is handled here and by no other handler."""
    await handle_group_message(update, context)
    raise ApplicationHandlerStop


async def handle_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Commands, or a reply to relay to the applicant."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    state = get_handoff(context)
    if True:
        if state is None or message is None or user is None or chat is None or user.is_bot:
            return
        if message.text is None and message.effective_attachment is None:
            return  # service messages: topic created, member joined, …
        if not await is_staff(context, chat.id, user.id):
            return
        thread = message.message_thread_id if message.is_topic_message else None
        command = command_of(message)
        if command is not None and command[0] in GROUP_COMMANDS:
            if command[0] == "antrian":
                await reply(message, await queue_text(state, chat.id))
            else:
                await reply(message, await stats_text(state))
            return
        ticket = await state.tickets.by_topic(chat.id, thread) if thread is not None else None
        if command is not None:
            name, args = command
            if name in TICKET_COMMANDS and ticket is None:
                await reply(message, texts.STAFF_NOT_A_TICKET)
            elif ticket is None:
                await reply(message, texts.STAFF_UNKNOWN_COMMAND)
            elif name == "catatan":
                await note(context, ticket, message, args)
            elif name == "ambil":
                await claim(context, ticket, message, user.id, user.first_name)
            elif name == "tutup":
                if not await close_ticket(context, ticket, by="staff", who=user.first_name):
                    await reply(message, texts.STAFF_ALREADY_CLOSED)
            else:
                await reply(message, texts.STAFF_UNKNOWN_COMMAND)
            return
        if ticket is not None:
            await relay_to_applicant(context, state, ticket, message)


async def note(
    context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, message: Message, text: str
) -> None:
    """``/catatan <teks>``: an internal note; it stays in the topic and is not relayed."""
    state = get_handoff(context)
    assert state is not None
    if not text:
        await reply(message, texts.STAFF_NOTE_EMPTY)
        return
    await state.tickets.record_message(
        ticket.id, "note", ticket.staff_chat_id, message.message_id, None
    )
    await reply(message, texts.STAFF_NOTE_SAVED)


async def claim(
    context: ContextTypes.DEFAULT_TYPE,
    ticket: Ticket,
    message: Message | None,
    user_id: int,
    name: str,
) -> None:
    """Claim the ticket for this staff member and show it on the card."""
    state = get_handoff(context)
    assert state is not None
    claimed, now_mine = await state.tickets.claim(ticket.id, user_id, name[:64])
    if claimed is None:
        return
    if not now_mine:
        text = (
            texts.STAFF_ALREADY_CLOSED
            if claimed.status != "open"
            else texts.STAFF_ALREADY_CLAIMED.format(name=escape(claimed.claimed_by_name or "?"))
        )
    else:
        text = texts.STAFF_CLAIMED.format(name=escape(name))
        await refresh_card(context, claimed)
    if message is not None:
        await reply(message, text)
    else:
        with contextlib.suppress(TelegramError):
            await handoff.send_to_topic(context, claimed, text)


async def relay_to_applicant(
    context: ContextTypes.DEFAULT_TYPE, state: HandoffState, ticket: Ticket, message: Message
) -> None:
    """Copy a staff message to the applicant (never forwarded: staff stay anonymous)."""
    if ticket.status != "open":
        await reply(message, texts.STAFF_ALREADY_CLOSED)
        return
    reply_to = None
    quoted = message.reply_to_message
    if quoted is not None and quoted.message_id != ticket.thread_id:
        reply_to = await state.tickets.applicant_message_for(
            ticket.staff_chat_id, quoted.message_id
        )
    try:
        copied = await context.bot.copy_message(
            ticket.applicant_id,
            ticket.staff_chat_id,
            message.message_id,
            reply_parameters=(
                ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            ),
        )
    except Forbidden:
        await get_services(context).db.set_blocked(ticket.applicant_id, True)
        await reply(message, texts.STAFF_BLOCKED)
        return
    except BadRequest as exc:
        logger.warning("staff reply of ticket #%s not delivered: %s", ticket.id, exc.message)
        await reply(message, texts.STAFF_NOT_DELIVERED)
        return
    await state.tickets.record_message(
        ticket.id, "out", ticket.staff_chat_id, message.message_id, copied.message_id
    )
    now = utcnow()
    await state.tickets.update(
        ticket.id, first_reply_at=ticket.first_reply_at or now, last_staff_at=now
    )


async def on_card_button(update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str) -> None:
    """``t:claim:<n>`` / ``t:close:<n>`` pressed on a ticket card by a staff member."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    state = get_handoff(context)
    if query is None or user is None or chat is None:
        return
    if state is None or not await is_staff(context, chat.id, user.id):
        await query.answer(texts.STAFF_ONLY)
        return
    action, _, number = payload.partition(":")
    ticket = await state.tickets.get(int(number)) if number.isdigit() else None
    if ticket is None or ticket.staff_chat_id != chat.id:
        await query.answer(texts.EXPIRED_BUTTON)
        return
    await query.answer()
    if action == "claim":
        await claim(context, ticket, None, user.id, user.first_name)
    elif action == "close":
        await close_ticket(context, ticket, by="staff", who=user.first_name)


# -- queue and statistics --------------------------------------------------------------------


async def queue_text(state: HandoffState, chat_id: int) -> str:
    """``/antrian``: open tickets of this group with age, claimer and the applicant's wait."""
    tickets = [t for t in await state.tickets.open_tickets() if t.staff_chat_id == chat_id]
    if not tickets:
        return texts.QUEUE_EMPTY
    now = utcnow()
    lines = [texts.QUEUE_HEADER.format(count=len(tickets))]
    for ticket in tickets:
        claimed = (
            texts.QUEUE_CLAIMED.format(name=escape(ticket.claimed_by_name))
            if ticket.claimed_by_name
            else texts.QUEUE_UNCLAIMED
        )
        waiting_since = ticket.last_applicant_at
        if waiting_since is not None and (
            ticket.last_staff_at is None or ticket.last_staff_at < waiting_since
        ):
            waiting = texts.QUEUE_WAITING.format(wait=format_duration(age_of(waiting_since, now)))
        else:
            waiting = texts.QUEUE_ANSWERED
        lines.append(
            texts.QUEUE_LINE.format(
                number=ticket.id,
                topic=escape(ticket.topic),
                age=format_duration(age_of(ticket.opened_at, now)),
                claimed=claimed,
                waiting=waiting,
            )
        )
    return "\n".join(lines)


def stats_line(tickets: list[Ticket]) -> str:
    """Opened, median first reply, median time to close and average rating of some tickets."""
    first = [(t.first_reply_at - t.opened_at).total_seconds() for t in tickets if t.first_reply_at]
    close = [(t.closed_at - t.opened_at).total_seconds() for t in tickets if t.closed_at]
    ratings = [t.rating for t in tickets if t.rating is not None]
    return texts.STATS_LINE.format(
        opened=len(tickets),
        first_reply=format_duration(statistics.median(first)) if first else texts.STATS_NONE,
        close=format_duration(statistics.median(close)) if close else texts.STATS_NONE,
        rating=f"{statistics.mean(ratings):.1f}".replace(".", ",")
        if ratings
        else texts.STATS_NONE,
    )


async def stats_text(state: HandoffState) -> str:
    """``/statistik``: today (WIB) and the last 7 days."""
    now = utcnow()
    week = await state.tickets.opened_since(now - timedelta(days=STATS_WINDOW_DAYS))
    today_start = handoff.wib_day_start(now)
    today = [t for t in week if t.opened_at >= today_start]
    return texts.STATS.format(
        today=stats_line(today), week=stats_line(week), days=STATS_WINDOW_DAYS
    )


# -- SLA reminders -----------------------------------------------------------------------------


async def sla_job(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Remind staff once of an unclaimed ticket past the SLA (in staff hours); update waiters."""
    state = get_handoff(context)
    if state is None:
        return
    settings = get_services(context).settings
    try:
        unusable = [chat for chat in state.groups if chat not in state.usable]
        if unusable:
            await handoff.check_groups(context.application, unusable)
        await remind(context, state, settings)
    except Exception:
        logger.exception("SLA job failed; it runs again shortly")


async def remind(
    context: ContextTypes.DEFAULT_TYPE, state: HandoffState, settings: Settings
) -> None:
    """One reminder per overdue unclaimed ticket, one update per long-waiting applicant."""
    now = utcnow()
    sla = settings.ticket_sla_minutes * 60
    on_duty = settings.parsed_staff_hours.is_open(now)
    for ticket in await state.tickets.open_tickets():
        age = age_of(ticket.opened_at, now)
        if age < sla:
            continue
        if on_duty and not ticket.sla_reminded and ticket.claimed_by is None:
            await state.tickets.update(ticket.id, sla_reminded=True)
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(
                    ticket.staff_chat_id,
                    texts.STAFF_SLA_REMINDER.format(
                        number=ticket.id, topic=escape(ticket.topic), minutes=int(age // 60)
                    ),
                    parse_mode=ParseMode.HTML,
                )
        if not ticket.applicant_updated and ticket.first_reply_at is None:
            await state.tickets.update(ticket.id, applicant_updated=True)
            position = await state.tickets.queue_position(ticket.id)
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(
                    ticket.applicant_id,
                    texts.TICKET_STILL_WAITING.format(
                        number=ticket.id,
                        position=max(position, 1),
                        duty=handoff.duty_line(context),
                    ),
                    parse_mode=ParseMode.HTML,
                )


# -- wiring ----------------------------------------------------------------------------------


def register_handoff(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Applicant commands and relay (group -2) and the staff groups (group -3)."""
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("petugas", handoff.petugas, filters=private), group=-2)
    application.add_handler(CommandHandler("selesai", handoff.selesai, filters=private), group=-2)
    application.add_handler(
        MessageHandler(private & new & ~filters.COMMAND, handoff.on_applicant_message), group=-2
    )
    if settings.staff_chat_id:
        application.add_handler(
            MessageHandler(filters.Chat(chat_id=settings.staff_chat_id) & new, on_group_message),
            group=-3,
        )
