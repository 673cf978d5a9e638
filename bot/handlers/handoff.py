"""Hand-off to staff, the applicant's side: opening tickets, relaying, closing and the rating.

A ticket is a forum topic in a staff supergroup (``STAFF_CHAT_ID``); while it is open the
applicant's messages go to that topic and never to Rasa, whose conversation is paused.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.db.models import Ticket, utcnow
from bot.db.tickets import TicketStore
from bot.dialogue import FollowUp, Instead, sender_id
from bot.privacy import redact
from bot.rasa_client import RasaUnavailable
from bot.rendering import BOT_ACTION, escape
from bot.services import get_services
from core.formatting import format_datetime_wib, to_wib

logger = logging.getLogger(__name__)

# The satisfaction rating after a ticket closes: 1 (kurang) to 5 (sangat membantu).
RATING_WORST, RATING_BEST = 1, 5

HANDOFF_KEY = "handoff"
MEMBER_CACHE_SECONDS = 300.0
COMMENT_WINDOW = timedelta(minutes=10)
TRANSCRIPT_TURNS = 10
TRANSCRIPT_LINE_CHARS = 300
TRANSCRIPT_CHARS = 3000
TOPIC_NAME_LIMIT = 128
DONE_MARK = "✅ "
# Intents that say nothing about what the applicant needs help with.
NOT_A_TOPIC = frozenset(
    {
        "request_human",
        "nlu_fallback",
        "unclear",
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "status_verified",
    }
)
# Telegram's wording when a group is gone for the bot or cannot hold topics.
UNREACHABLE_HINTS = ("chat not found", "not a forum", "not enough rights", "bot is not a member")
RATING_PREFIX = "r"


@dataclass
class HandoffState:
    """What the hand-off keeps beside the database: usable groups and a membership cache."""

    tickets: TicketStore
    groups: list[int]
    usable: set[int] = field(default_factory=set)
    members: dict[tuple[int, int], tuple[bool, float]] = field(default_factory=dict)

    def usable_groups(self) -> list[int]:
        """The usable staff groups, in configuration order."""
        return [chat for chat in self.groups if chat in self.usable]


def get_handoff(context: ContextTypes.DEFAULT_TYPE) -> HandoffState | None:
    """The hand-off state, or None when no staff group is configured."""
    state = context.bot_data.get(HANDOFF_KEY)
    return state if isinstance(state, HandoffState) else None


# -- start-up --------------------------------------------------------------------------------


async def group_problem(application: Application, chat_id: int) -> str | None:  # type: ignore[type-arg]
    """Why a staff group cannot take tickets (None when it can)."""
    bot = application.bot
    try:
        chat = await bot.get_chat(chat_id)
        if chat.type != "supergroup" or not chat.is_forum:
            return "is not a forum supergroup (enable Topics in the group settings)"
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramError as exc:
        return f"cannot be reached ({exc.message})"
    if member.status != "administrator":
        return "does not have the bot as an administrator"
    if not getattr(member, "can_manage_topics", False):
        return "does not give the bot the right to manage topics (can_manage_topics)"
    return None


async def check_groups(application: Application, chat_ids: list[int]) -> None:  # type: ignore[type-arg]
    """Check staff groups; usable ones take tickets, the others are logged clearly."""
    state = application.bot_data[HANDOFF_KEY]
    for chat_id in chat_ids:
        problem = await group_problem(application, chat_id)
        if problem is None:
            if chat_id not in state.usable:
                logger.info("staff group %s is ready for tickets", chat_id)
            state.usable.add(chat_id)
        else:
            state.usable.discard(chat_id)
            logger.error(
                "STAFF_CHAT_ID %s %s; requests for a person get the official channels until "
                "this is fixed",
                chat_id,
                problem,
            )


async def start_handoff(application: Application) -> None:  # type: ignore[type-arg]
    """``post_init``: with STAFF_CHAT_ID set, check the groups and start the SLA job."""
    services = application.bot_data["services"]
    settings = services.settings
    if not settings.staff_chat_id:
        return
    application.bot_data[HANDOFF_KEY] = HandoffState(
        tickets=TicketStore(services.db), groups=list(settings.staff_chat_id)
    )
    await check_groups(application, list(settings.staff_chat_id))
    if application.job_queue is not None:
        from bot.handlers.staff import sla_job

        interval = max(2.0, min(60.0, settings.ticket_sla_minutes * 60 / 4))
        application.job_queue.run_repeating(sla_job, interval=interval, first=interval)


def mark_unreachable(state: HandoffState, chat_id: int, exc: TelegramError) -> None:
    """Stop sending new tickets to a group Telegram says is gone for the bot."""
    state.usable.discard(chat_id)
    logger.error(
        "staff group %s became unreachable (%s); new requests get the official channels",
        chat_id,
        exc.message,
    )


def is_unreachable(exc: TelegramError) -> bool:
    """Whether an error means the whole staff group is unusable (not one message)."""
    return isinstance(exc, Forbidden) or any(h in exc.message.lower() for h in UNREACHABLE_HINTS)


def is_thread_gone(exc: TelegramError) -> bool:
    """Telegram's answer when the ticket's topic was deleted."""
    return isinstance(exc, BadRequest) and "thread not found" in exc.message.lower()


# -- the card and the topic ------------------------------------------------------------------


def transcript_and_topic(tracker: dict[str, Any]) -> tuple[str, str]:
    """The last turns with the assistant (masked, HTML) and the last meaningful intent."""
    lines: list[str] = []
    topic = "umum"
    for event in tracker.get("events") or []:
        if not isinstance(event, dict):
            continue
        kind, text = event.get("event"), event.get("text")
        if kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if isinstance(intent, str) and intent not in NOT_A_TOPIC:
                topic = intent
            if isinstance(text, str) and text.startswith("/"):
                text = f"[tombol: {text.lstrip('/').split('{')[0]}]"
            if isinstance(text, str):
                lines.append("U" + text)
        elif kind == "bot" and isinstance(text, str) and text:
            lines.append("B" + text)
    # The last TRANSCRIPT_TURNS turns: each starts with an applicant message.
    starts = [i for i, line in enumerate(lines) if line.startswith("U")]
    if len(starts) > TRANSCRIPT_TURNS:
        lines = lines[starts[-TRANSCRIPT_TURNS] :]
    rendered: list[str] = []
    for line in lines:
        body = redact(line[1:])[0].strip()
        if len(body) > TRANSCRIPT_LINE_CHARS:
            body = body[: TRANSCRIPT_LINE_CHARS - 1] + "…"
        rendered.append(("👤 " if line[0] == "U" else "🤖 ") + escape(body))
    while rendered and sum(len(r) + 1 for r in rendered) > TRANSCRIPT_CHARS:
        rendered.pop(0)
    return "\n".join(rendered) or texts.CARD_NO_TRANSCRIPT, topic[:64]


def topic_name(ticket: Ticket) -> str:
    """``#12 ask_registration · Sari`` (with a done mark once closed)."""
    name = redact(ticket.applicant_name)[0]
    full = f"#{ticket.id} {ticket.topic} · {name}"
    if ticket.status == "closed":
        full = DONE_MARK + full
    return full[:TOPIC_NAME_LIMIT]


def card_html(ticket: Ticket) -> str:
    """The ticket card: number, topic, opening time, verification, status and transcript."""
    if ticket.status == "closed":
        status = texts.CARD_CLOSED
    elif ticket.claimed_by_name:
        status = texts.CARD_CLAIMED.format(name=escape(ticket.claimed_by_name))
    else:
        status = texts.CARD_UNCLAIMED
    return texts.CARD.format(
        number=ticket.id,
        topic=escape(ticket.topic),
        opened=format_datetime_wib(ticket.opened_at),
        name=escape(redact(ticket.applicant_name)[0]),
        verified=texts.CARD_VERIFIED if ticket.verified else texts.CARD_UNVERIFIED,
        status=status,
        transcript=ticket.card_text,
    )


def card_keyboard(
    context: ContextTypes.DEFAULT_TYPE, ticket: Ticket
) -> InlineKeyboardMarkup | None:
    """Claim and close buttons (none once closed; only close once claimed)."""
    if ticket.status == "closed":
        return None
    store = get_services(context).payloads
    row = []
    if ticket.claimed_by is None:
        row.append(
            InlineKeyboardButton(
                texts.BUTTON_CLAIM,
                callback_data=store.encode(f"t:claim:{ticket.id}", kind=BOT_ACTION),
            )
        )
    row.append(
        InlineKeyboardButton(
            texts.BUTTON_CLOSE, callback_data=store.encode(f"t:close:{ticket.id}", kind=BOT_ACTION)
        )
    )
    return InlineKeyboardMarkup([row])


async def refresh_card(context: ContextTypes.DEFAULT_TYPE, ticket: Ticket) -> None:
    """Show the ticket's current state on its card."""
    if ticket.card_message_id is None:
        return
    with contextlib.suppress(TelegramError):
        await context.bot.edit_message_text(
            card_html(ticket),
            chat_id=ticket.staff_chat_id,
            message_id=ticket.card_message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=card_keyboard(context, ticket),
        )


async def post_topic(context: ContextTypes.DEFAULT_TYPE, ticket: Ticket) -> Ticket:
    """Create the ticket's topic and post its card there; the ticket with both ids."""
    state = get_handoff(context)
    assert state is not None
    topic = await context.bot.create_forum_topic(ticket.staff_chat_id, topic_name(ticket))
    card = await context.bot.send_message(
        ticket.staff_chat_id,
        card_html(ticket),
        message_thread_id=topic.message_thread_id,
        parse_mode=ParseMode.HTML,
        reply_markup=card_keyboard(context, ticket),
    )
    updated = await state.tickets.update(
        ticket.id, thread_id=topic.message_thread_id, card_message_id=card.message_id
    )
    assert updated is not None
    return updated


async def recreate_topic(context: ContextTypes.DEFAULT_TYPE, ticket: Ticket) -> Ticket:
    """The topic was deleted by staff: make a new one with the card, and say so there."""
    logger.info("topic of ticket #%s is gone; creating it again", ticket.id)
    ticket = await post_topic(context, ticket)
    await context.bot.send_message(
        ticket.staff_chat_id, texts.STAFF_TOPIC_RECREATED, message_thread_id=ticket.thread_id
    )
    return ticket


async def send_to_topic(
    context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, html: str
) -> tuple[Ticket, Message]:
    """Post a bot message into the ticket's topic, recreating the topic when it was deleted."""
    for attempt in range(2):
        try:
            sent = await context.bot.send_message(
                ticket.staff_chat_id,
                html,
                message_thread_id=ticket.thread_id,
                parse_mode=ParseMode.HTML,
            )
            return ticket, sent
        except BadRequest as exc:
            if attempt or not is_thread_gone(exc):
                raise
            ticket = await recreate_topic(context, ticket)
    raise AssertionError("unreachable")


# -- opening ---------------------------------------------------------------------------------


def duty_line(context: ContextTypes.DEFAULT_TYPE) -> str:
    """Whether staff are on duty now, or when they will be (WIB)."""
    hours = get_services(context).settings.parsed_staff_hours
    now = utcnow()
    if hours.is_open(now):
        return texts.STAFF_ON_DUTY
    opening = hours.next_opening(now)
    if opening is None:
        return texts.STAFF_OFF_DUTY_UNKNOWN
    return texts.STAFF_OFF_DUTY.format(when=format_datetime_wib(opening))


async def open_ticket(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """Open a ticket for this applicant; the answer (HTML), or None when no staff group can."""
    state = get_handoff(context)
    user = update.effective_user
    if state is None or user is None:
        return None
    existing = await state.tickets.open_of(user.id)
    if existing is not None:
        return texts.TICKET_STILL_OPEN.format(number=existing.id)
    if not state.usable_groups():
        return None
    services = get_services(context)
    sender = sender_id(context, user.id)
    try:
        transcript, topic = transcript_and_topic(await services.rasa.get_tracker(sender))
    except RasaUnavailable:
        transcript, topic = texts.CARD_TRANSCRIPT_UNAVAILABLE, "umum"
    try:
        verified = await services.db.get_verified_ref(user.id) is not None
    except Exception:
        logger.exception("could not read the verification for a ticket card")
        verified = False
    chat_id = await state.tickets.least_loaded(state.usable_groups())
    ticket = await state.tickets.create(
        applicant_id=user.id,
        applicant_name=(user.first_name or "Pelamar")[:64],
        topic=topic,
        verified=verified,
        staff_chat_id=chat_id,
        card_text=transcript,
    )
    if ticket is None:  # a second request raced this one
        again = await state.tickets.open_of(user.id)
        return texts.TICKET_STILL_OPEN.format(number=again.id if again else "?")
    while True:
        try:
            ticket = await post_topic(context, ticket)
            break
        except TelegramError as exc:
            if not is_unreachable(exc):
                await state.tickets.delete(ticket.id)
                raise
            mark_unreachable(state, ticket.staff_chat_id, exc)
            others = state.usable_groups()
            if not others:
                await state.tickets.delete(ticket.id)
                return None
            moved = await state.tickets.update(ticket.id, staff_chat_id=others[0])
            assert moved is not None
            ticket = moved
    try:
        await services.rasa.pause_conversation(sender)
    except RasaUnavailable as exc:
        logger.warning("could not pause the conversation of ticket #%s: %s", ticket.id, exc)
    logger.info("ticket #%s opened in staff group %s", ticket.id, ticket.staff_chat_id)
    position = await state.tickets.queue_position(ticket.id)
    return texts.TICKET_OPENED.format(
        number=ticket.id, position=max(position, 1), duty=duty_line(context)
    )


async def on_rasa_handoff(
    update: Update, context: ContextTypes.DEFAULT_TYPE, payload: dict[str, Any]
) -> FollowUp | Instead | None:
    """Rasa's ``handoff`` payload: open a ticket and answer instead of the official channels."""
    chat = update.effective_chat
    if chat is None:
        return None
    answer = await open_ticket(update, context)
    if answer is None:
        logger.info(
            "hand-off requested without a usable staff group (update %s)", update.update_id
        )
        return None

    async def say() -> None:
        await context.bot.send_message(chat.id, answer, parse_mode=ParseMode.HTML)

    return Instead(say)


async def petugas(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/petugas: open a ticket directly (or name the official channels)."""
    message = update.effective_message
    if message is not None:
        answer = await open_ticket(update, context)
        await message.reply_text(answer or texts.HANDOFF_UNAVAILABLE, parse_mode=ParseMode.HTML)
    raise ApplicationHandlerStop


# -- while a ticket is open ------------------------------------------------------------------


async def relay_to_staff(
    context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, message: Message
) -> Ticket:
    """Post the applicant's message in the ticket's topic: text masked, media copied."""
    state = get_handoff(context)
    assert state is not None
    caption = message.caption
    for attempt in range(2):
        try:
            if message.text is not None:
                sent_id = (
                    await context.bot.send_message(
                        ticket.staff_chat_id,
                        escape(redact(message.text)[0]),
                        message_thread_id=ticket.thread_id,
                        parse_mode=ParseMode.HTML,
                    )
                ).message_id
            else:
                sent_id = (
                    await context.bot.copy_message(
                        ticket.staff_chat_id,
                        message.chat_id,
                        message.message_id,
                        message_thread_id=ticket.thread_id,
                        caption=escape(redact(caption)[0]) if caption else None,
                        parse_mode=ParseMode.HTML,
                    )
                ).message_id
            break
        except BadRequest as exc:
            if attempt or not is_thread_gone(exc):
                raise
            ticket = await recreate_topic(context, ticket)
    await state.tickets.record_message(
        ticket.id, "in", ticket.staff_chat_id, sent_id, message.message_id
    )
    updated = await state.tickets.update(ticket.id, last_applicant_at=utcnow())
    return updated or ticket


async def on_applicant_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """While a ticket is open, everything goes to staff; a just-rated ticket takes a comment."""
    state = get_handoff(context)
    message, user = update.effective_message, update.effective_user
    if state is None or message is None or user is None:
        return
    if not await state.tickets.any_pending_of(user.id, utcnow()):
        return  # the usual case: no ticket, on to Rasa
    ticket = await state.tickets.open_of(user.id)
    if ticket is None:
        if message.text is not None:
            await take_comment(context, state, user.id, message)
        return
    if message.contact is not None:
        # A shared contact carries a phone number: it never goes to the staff group.
        await message.reply_text(texts.CONTACT_NOT_NEEDED)
        raise ApplicationHandlerStop
    had_identifiers = message.text is not None and redact(message.text)[1]
    had_identifiers = had_identifiers or (
        message.caption is not None and redact(message.caption)[1]
    )
    try:
        await relay_to_staff(context, ticket, message)
    except TelegramError as exc:
        logger.warning("could not relay to ticket #%s: %s", ticket.id, exc.message)
        if is_unreachable(exc):
            mark_unreachable(state, ticket.staff_chat_id, exc)
            await close_ticket(context, ticket, by="system", who="")
            await message.reply_text(texts.HANDOFF_UNAVAILABLE)
        else:
            await message.reply_text(texts.UNEXPECTED_ERROR)
        raise ApplicationHandlerStop from None
    if had_identifiers:
        with contextlib.suppress(TelegramError):
            await message.delete()
        await context.bot.send_message(message.chat_id, texts.TICKET_ID_REDACTED)
    raise ApplicationHandlerStop


async def take_comment(
    context: ContextTypes.DEFAULT_TYPE, state: HandoffState, user_id: int, message: Message
) -> None:
    """Store the optional comment after a rating and pass it (masked) to the topic."""
    if message.text is None or message.text.startswith("/"):
        return
    ticket = await state.tickets.awaiting_comment_of(user_id, utcnow())
    if ticket is None:
        return
    comment = redact(message.text)[0][:1000]
    await state.tickets.update(ticket.id, rating_comment=comment, comment_until=None)
    with contextlib.suppress(TelegramError):
        await send_to_topic(
            context, ticket, texts.STAFF_COMMENT.format(number=ticket.id, comment=escape(comment))
        )
    await message.reply_text(texts.COMMENT_THANKS)
    raise ApplicationHandlerStop


async def busy_with_ticket(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A Rasa button pressed during a ticket: say the chat is with staff (nothing goes to Rasa)."""
    state, user, chat = get_handoff(context), update.effective_user, update.effective_chat
    if state is None or user is None or chat is None:
        return False
    if await state.tickets.open_of(user.id) is None:
        return False
    await context.bot.send_message(chat.id, texts.TICKET_BUTTON_BUSY)
    return True


# -- closing and the rating ------------------------------------------------------------------


def rating_keyboard(context: ContextTypes.DEFAULT_TYPE, ticket_id: int) -> InlineKeyboardMarkup:
    """Buttons 1 to 5."""
    store = get_services(context).payloads
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{score} ⭐" if score == 5 else str(score),
                    callback_data=store.encode(
                        f"{RATING_PREFIX}:{ticket_id}:{score}", kind=BOT_ACTION
                    ),
                )
                for score in range(RATING_WORST, RATING_BEST + 1)
            ]
        ]
    )


async def close_ticket(
    context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, *, by: str, who: str
) -> bool:
    """Close a ticket once: topic done and closed, Rasa resumed, the applicant asked to rate."""
    state = get_handoff(context)
    assert state is not None
    closed = await state.tickets.close(ticket.id, by)
    if closed is None:
        return False
    logger.info("ticket #%s closed by %s", closed.id, by)
    note = (
        texts.STAFF_CLOSED_BY_APPLICANT.format(number=closed.id)
        if by == "applicant"
        else texts.STAFF_CLOSED.format(number=closed.id, who=escape(who))
    )
    if by != "system" and closed.thread_id is not None:
        with contextlib.suppress(TelegramError):
            closed, _ = await send_to_topic(context, closed, note)
        await refresh_card(context, closed)
        thread = closed.thread_id or 0
        with contextlib.suppress(TelegramError):
            await context.bot.edit_forum_topic(
                closed.staff_chat_id, thread, name=topic_name(closed)
            )
        with contextlib.suppress(TelegramError):
            await context.bot.close_forum_topic(closed.staff_chat_id, thread)
    services = get_services(context)
    try:
        await services.rasa.resume_conversation(sender_id(context, closed.applicant_id))
    except RasaUnavailable as exc:
        logger.warning("could not resume the conversation of ticket #%s: %s", closed.id, exc)
    if by == "system":
        return True
    closed_text = (
        texts.TICKET_CLOSED_BY_APPLICANT if by == "applicant" else texts.TICKET_CLOSED_BY_STAFF
    )
    try:
        await context.bot.send_message(
            closed.applicant_id, closed_text.format(number=closed.id), parse_mode=ParseMode.HTML
        )
        await context.bot.send_message(
            closed.applicant_id,
            texts.RATE_QUESTION.format(worst=RATING_WORST, best=RATING_BEST),
            reply_markup=rating_keyboard(context, closed.id),
        )
    except Forbidden:
        await services.db.set_blocked(closed.applicant_id, True)
    return True


async def selesai(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/selesai: the applicant ends the conversation with staff."""
    state, user, message = get_handoff(context), update.effective_user, update.effective_message
    if user is None or message is None:
        return
    ticket = await state.tickets.open_of(user.id) if state is not None else None
    if ticket is None:
        await message.reply_text(texts.NO_OPEN_TICKET)
    else:
        await close_ticket(context, ticket, by="applicant", who="")
    raise ApplicationHandlerStop


async def on_rating_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str
) -> None:
    """``r:<ticket>:<1..5|skip>``: store the rating (once), then offer a comment."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    state = get_handoff(context)
    if query is None or user is None or chat is None:
        return
    if state is None or chat.type != "private":
        await query.answer(texts.EXPIRED_BUTTON)
        return
    await query.answer()
    number, _, choice = payload.partition(":")
    if not number.isdigit():
        await context.bot.send_message(chat.id, texts.EXPIRED_BUTTON)
        return
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)
    ticket_id = int(number)
    if choice == "skip":
        await state.tickets.update(ticket_id, comment_until=None)
        await context.bot.send_message(chat.id, texts.COMMENT_SKIPPED)
        return
    if choice not in ("1", "2", "3", "4", "5"):
        await context.bot.send_message(chat.id, texts.EXPIRED_BUTTON)
        return
    stored = await state.tickets.rate(ticket_id, user.id, int(choice), utcnow() + COMMENT_WINDOW)
    if not stored:
        await context.bot.send_message(chat.id, texts.RATE_ALREADY)
        return
    skip = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.RATE_SKIP_BUTTON,
                    callback_data=get_services(context).payloads.encode(
                        f"{RATING_PREFIX}:{ticket_id}:skip", kind=BOT_ACTION
                    ),
                )
            ]
        ]
    )
    await context.bot.send_message(
        chat.id,
        texts.RATE_THANKS.format(score=choice, best=RATING_BEST),
        parse_mode=ParseMode.HTML,
        reply_markup=skip,
    )
    ticket = await state.tickets.get(ticket_id)
    if ticket is not None:
        with contextlib.suppress(TelegramError):
            await send_to_topic(
                context,
                ticket,
                texts.STAFF_RATING.format(score=choice, best=RATING_BEST, number=ticket_id),
            )


# -- small helpers shared with the staff side -------------------------------------------------


def format_duration(seconds: float) -> str:
    """``45 dtk``, ``12 mnt``, ``1 j 5 mnt``, ``2 hr 3 j``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} dtk"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} mnt"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} j {minutes} mnt" if minutes else f"{hours} j"
    days, hours = divmod(hours, 24)
    return f"{days} hr {hours} j" if hours else f"{days} hr"


def age_of(moment: datetime, now: datetime | None = None) -> float:
    """Seconds since ``moment``."""
    return ((now or utcnow()) - moment).total_seconds()


def wib_day_start(now: datetime) -> datetime:
    """Midnight WIB of the day ``now`` falls on."""
    local = to_wib(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
