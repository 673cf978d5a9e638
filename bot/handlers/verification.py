"""Verifying who the applicant is before showing their status: own contact, then NIK.

The phone number and NIK only live in this process's memory for the few minutes the check takes;
they are sent to the program API and never to Rasa, the logs or the database.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import timedelta

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.db.models import utcnow
from bot.dialogue import converse
from bot.services import get_services
from core.formatting import WIB
from core.identifiers import nik_problem, normalise_nik, normalise_phone
from core.program_api import ApplicantNotFound, ProgramAPIError

logger = logging.getLogger(__name__)

STATE_KEY = "verification"
STAGE_CONTACT = "contact"
STAGE_NIK = "nik"
STATE_LIFETIME_SECONDS = 10 * 60
CANCEL_WORDS = frozenset(
    {"batal", "cancel", "tidak jadi", "gak jadi", "ga jadi", "gk jadi", "stop"}
)


def _state(context: ContextTypes.DEFAULT_TYPE) -> dict[str, object] | None:
    state = context.user_data.get(STATE_KEY) if context.user_data is not None else None
    if not isinstance(state, dict):
        return None
    if time.monotonic() - float(state.get("started", 0.0)) > STATE_LIFETIME_SECONDS:  # type: ignore[arg-type]
        context.user_data.pop(STATE_KEY, None)  # type: ignore[union-attr]
        return None
    return state


def clear_check(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop an identity check in progress (its phone number goes with it)."""
    if context.user_data is not None:
        context.user_data.pop(STATE_KEY, None)


async def _locked_until(context: ContextTypes.DEFAULT_TYPE, telegram_id: int) -> str | None:
    """When the account may try again (formatted in WIB), or None when it is not locked."""
    settings = get_services(context).settings
    period = timedelta(hours=settings.failed_verification_period_hours)
    failures, oldest = await get_services(context).db.failed_verifications_since(
        telegram_id, utcnow() - period
    )
    if failures < settings.max_failed_verifications or oldest is None:
        return None
    retry_at = (oldest + period).astimezone(WIB)
    return retry_at.strftime("%d/%m/%Y pukul %H.%M WIB")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Begin (or skip, when still verified) the identity check for a status lookup."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return
    services = get_services(context)
    applicant_ref = await services.db.get_verified_ref(user.id)
    if applicant_ref is not None:
        await converse(update, context, "/status_verified", applicant_ref=applicant_ref)
        return
    locked_until = await _locked_until(context, user.id)
    if locked_until is not None:
        await context.bot.send_message(
            chat.id,
            texts.TOO_MANY.format(
                limit=services.settings.max_failed_verifications, when=locked_until
            ),
            parse_mode="HTML",
        )
        return
    if context.user_data is not None:
        context.user_data[STATE_KEY] = {"stage": STAGE_CONTACT, "started": time.monotonic()}
    keyboard = ReplyKeyboardMarkup(
        [
            [KeyboardButton(texts.SHARE_BUTTON, request_contact=True)],
            [KeyboardButton(texts.CANCEL_BUTTON)],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=texts.CONTACT_PLACEHOLDER,
    )
    await context.bot.send_message(
        chat.id, texts.ASK_CONTACT, parse_mode="HTML", reply_markup=keyboard
    )


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Accept the sender's own shared contact as the phone number to verify."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.contact is None:
        return
    state = _state(context)
    if state is None or state.get("stage") != STAGE_CONTACT:
        return  # not verifying: the media handler answers
    contact = message.contact
    if message.forward_origin is not None or contact.user_id != user.id:
        await message.reply_text(texts.NOT_OWN_CONTACT, parse_mode="HTML")
        raise ApplicationHandlerStop
    phone = normalise_phone(contact.phone_number)
    if phone is None:
        clear_check(context)
        await message.reply_text(texts.NOT_INDONESIAN_PHONE, reply_markup=ReplyKeyboardRemove())
        raise ApplicationHandlerStop
    state.update(stage=STAGE_NIK, phone=phone)
    await message.reply_text(texts.ASK_NIK, parse_mode="HTML", reply_markup=ReplyKeyboardRemove())
    raise ApplicationHandlerStop


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """While a check is running, read the NIK (which never goes to Rasa) or a cancel word."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    state = _state(context)
    if state is None:
        return
    text = message.text.strip()
    if text.lower() in CANCEL_WORDS or text == texts.CANCEL_BUTTON:
        clear_check(context)
        await message.reply_text(texts.CANCELLED, reply_markup=ReplyKeyboardRemove())
        raise ApplicationHandlerStop
    digits = sum(ch.isdigit() for ch in text)
    if state.get("stage") == STAGE_CONTACT:
        if digits >= 8:
            # Never keep or forward it: a NIK typed here is simply not used.
            looks_like_nik = len(normalise_nik(text)) == 16 and normalise_nik(text).isdigit()
            with contextlib.suppress(TelegramError):
                await message.delete()
            await message.reply_text(
                texts.CONTACT_FIRST if looks_like_nik else texts.TYPE_NOT_SHARE, parse_mode="HTML"
            )
            raise ApplicationHandlerStop
        clear_check(context)  # they moved on to another question: let Rasa answer it
        return
    if digits < 6 and any(ch.isalpha() for ch in text):
        clear_check(context)
        return
    await _check_nik(update, context, state, normalise_nik(text))
    raise ApplicationHandlerStop


async def _check_nik(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, object], nik: str
) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    services = get_services(context)
    # The NIK should not linger in the chat history either.
    with contextlib.suppress(TelegramError):
        await message.delete()
    problem = nik_problem(nik)
    if problem is not None:
        await context.bot.send_message(
            message.chat_id, texts.BAD_NIK.format(problem=problem), parse_mode="HTML"
        )
        return
    locked_until = await _locked_until(context, user.id)
    if locked_until is not None:
        clear_check(context)
        await context.bot.send_message(
            message.chat_id,
            texts.TOO_MANY.format(
                limit=services.settings.max_failed_verifications, when=locked_until
            ),
        )
        return
    phone = str(state.get("phone"))
    try:
        applicant_ref = await services.program_api.verify_applicant(nik, phone)
    except ApplicantNotFound:
        await services.db.record_verification(user.id, succeeded=False)
        failures, _ = await services.db.failed_verifications_since(
            user.id, utcnow() - timedelta(hours=services.settings.failed_verification_period_hours)
        )
        left = services.settings.max_failed_verifications - failures
        if left <= 0:
            clear_check(context)
            locked = await _locked_until(context, user.id)
            await context.bot.send_message(
                message.chat_id,
                texts.TOO_MANY.format(
                    limit=services.settings.max_failed_verifications, when=locked
                ),
            )
        else:
            await context.bot.send_message(message.chat_id, texts.NO_MATCH.format(left=left))
        return
    except ProgramAPIError as exc:
        logger.warning("program API failed during verification: %s", type(exc).__name__)
        clear_check(context)
        await context.bot.send_message(message.chat_id, texts.API_DOWN)
        return
    clear_check(context)
    await services.db.record_verification(user.id, succeeded=True)
    window = timedelta(minutes=services.settings.verification_window_minutes)
    if window > timedelta(0):
        await services.db.save_verified_session(user.id, applicant_ref, window)
    await converse(update, context, "/status_verified", applicant_ref=applicant_ref)
