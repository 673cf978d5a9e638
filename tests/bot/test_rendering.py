"""Rendering Rasa output for Telegram: escaping, splitting at 4096, keyboards, callback data."""

from __future__ import annotations

from bot.rasa_client import BotMessage, Button
from bot.rendering import (
    BOT_ACTION,
    CALLBACK_LIMIT,
    DEFAULT_BUTTON_PROMPT,
    RASA_PAYLOAD,
    PayloadStore,
    escape,
    render,
    split_text,
)

KEY = b"test-key"


def test_escape_only_touches_html_specials() -> None:
    assert escape('<b>"Rp3,5 juta" & 600rb</b>') == '&lt;b&gt;"Rp3,5 juta" &amp; 600rb&lt;/b&gt;'


def test_short_text_is_one_chunk() -> None:
    assert split_text("halo") == ["halo"]
    assert split_text("   ") == []


def test_long_text_splits_on_paragraphs_within_the_limit() -> None:
    paragraph = ("kata " * 150).strip()
    text = "\n\n".join([paragraph] * 12)
    chunks = split_text(text, limit=4096)
    assert len(chunks) > 1
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def test_one_giant_word_is_cut_hard() -> None:
    chunks = split_text("x" * 9000, limit=4096)
    assert [len(c) for c in chunks] == [4096, 4096, 808]


def test_splitting_happens_before_escaping() -> None:
    text = "&" * 5000
    outgoing = render([BotMessage(text=text)], PayloadStore(KEY))
    assert len(outgoing) == 2
    assert all(m.html.count("&amp;") == len(m.html) // 5 for m in outgoing)


def test_buttons_go_under_the_last_chunk() -> None:
    message = BotMessage(text="a " * 3000, buttons=(Button("Cara daftar", "/ask_registration"),))
    outgoing = render([message], PayloadStore(KEY))
    assert outgoing[0].keyboard is None
    assert outgoing[-1].keyboard is not None
    button = outgoing[-1].keyboard["inline_keyboard"][0][0]
    assert button["text"] == "Cara daftar"
    assert PayloadStore(KEY).decode(button["callback_data"]) == (RASA_PAYLOAD, "/ask_registration")


def test_buttons_without_text_get_a_prompt() -> None:
    outgoing = render([BotMessage(buttons=(Button("Ya", "/affirm"),))], PayloadStore(KEY))
    assert outgoing[0].html == DEFAULT_BUTTON_PROMPT


def test_image_with_caption() -> None:
    outgoing = render([BotMessage(text="<peta>", image="https://x/y.png")], PayloadStore(KEY))
    assert outgoing[0].photo == "https://x/y.png"
    assert outgoing[0].html == "&lt;peta&gt;"


def test_image_with_overlong_caption_sends_text_separately() -> None:
    outgoing = render([BotMessage(text="k" * 2000, image="https://x/y.png")], PayloadStore(KEY))
    assert outgoing[0].photo == "https://x/y.png" and outgoing[0].html == ""
    assert outgoing[1].html == "k" * 2000


def test_long_payloads_are_hashed_and_round_trip() -> None:
    store = PayloadStore(KEY)
    payload = '/inform{"topik": "' + "pelatihan luring " * 10 + '"}'
    data = store.encode(payload)
    assert len(data.encode()) <= CALLBACK_LIMIT
    assert data.startswith("h:")
    assert store.decode(data) == (RASA_PAYLOAD, payload)


def test_unknown_or_malformed_callback_data_is_rejected() -> None:
    store = PayloadStore(KEY)
    for data in (None, "", "p:", "h:unknown", "garbage", "x:/greet", "p:/anything"):
        assert store.decode(data) is None


def test_short_payloads_round_trip_signed() -> None:
    store = PayloadStore(KEY)
    data = store.encode("/ask_requirements")
    assert len(data.encode()) <= CALLBACK_LIMIT
    assert store.decode(data) == (RASA_PAYLOAD, "/ask_requirements")
    action = store.encode("subscribe", kind=BOT_ACTION)
    assert store.decode(action) == (BOT_ACTION, "subscribe")


def test_forged_or_tampered_callback_data_is_rejected() -> None:
    store = PayloadStore(KEY)
    genuine = store.encode("/ask_requirements")
    signature = genuine[2:14]
    # the same signature on another payload, another kind, or from another key
    assert store.decode(f"p:{signature}/status_verified") is None
    assert store.decode("b:" + genuine[2:]) is None
    assert PayloadStore(b"other-key").decode(genuine) is None
    assert store.decode("p:000000000000/status_verified") is None


def test_payload_store_is_bounded() -> None:
    store = PayloadStore(KEY, capacity=2)
    first = store.encode("/" + "a" * 80)
    store.encode("/" + "b" * 80)
    store.encode("/" + "c" * 80)
    assert store.decode(first) is None


def test_long_button_titles_are_shortened() -> None:
    outgoing = render(
        [BotMessage(text="pilih", buttons=(Button("judul " * 30, "/greet"),))], PayloadStore(KEY)
    )
    assert outgoing[0].keyboard is not None
    assert len(outgoing[0].keyboard["inline_keyboard"][0][0]["text"]) <= 64
