"""Rendering Rasa output for Telegram: escaping, splitting at 4096, keyboards, callback data."""

from __future__ import annotations

from bot.rasa_client import BotMessage, Button
from bot.rendering import (
    CALLBACK_LIMIT,
    DEFAULT_BUTTON_PROMPT,
    PayloadStore,
    escape,
    render,
    split_text,
)


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
    outgoing = render([BotMessage(text=text)], PayloadStore())
    assert len(outgoing) == 2
    assert all(m.html.count("&amp;") == len(m.html) // 5 for m in outgoing)


def test_buttons_go_under_the_last_chunk() -> None:
    message = BotMessage(text="a " * 3000, buttons=(Button("Cara daftar", "/ask_registration"),))
    outgoing = render([message], PayloadStore())
    assert outgoing[0].keyboard is None
    assert outgoing[-1].keyboard is not None
    button = outgoing[-1].keyboard.inline_keyboard[0][0]
    assert button.text == "Cara daftar"
    assert button.callback_data == "p:/ask_registration"


def test_buttons_without_text_get_a_prompt() -> None:
    outgoing = render([BotMessage(buttons=(Button("Ya", "/affirm"),))], PayloadStore())
    assert outgoing[0].html == DEFAULT_BUTTON_PROMPT


def test_image_with_caption() -> None:
    outgoing = render([BotMessage(text="<peta>", image="https://x/y.png")], PayloadStore())
    assert outgoing[0].photo == "https://x/y.png"
    assert outgoing[0].html == "&lt;peta&gt;"


def test_image_with_overlong_caption_sends_text_separately() -> None:
    outgoing = render([BotMessage(text="k" * 2000, image="https://x/y.png")], PayloadStore())
    assert outgoing[0].photo == "https://x/y.png" and outgoing[0].html == ""
    assert outgoing[1].html == "k" * 2000


def test_long_payloads_are_hashed_and_round_trip() -> None:
    store = PayloadStore()
    payload = '/inform{"topik": "' + "pelatihan luring " * 10 + '"}'
    data = store.encode(payload)
    assert len(data.encode()) <= CALLBACK_LIMIT
    assert data.startswith("h:")
    assert store.decode(data) == payload


def test_unknown_or_malformed_callback_data_is_rejected() -> None:
    store = PayloadStore()
    for data in (None, "", "p:", "h:unknown", "garbage", "x:/greet"):
        assert store.decode(data) is None


def test_payload_store_is_bounded() -> None:
    store = PayloadStore(capacity=2)
    first = store.encode("/" + "a" * 80)
    store.encode("/" + "b" * 80)
    store.encode("/" + "c" * 80)
    assert store.decode(first) is None


def test_long_button_titles_are_shortened() -> None:
    outgoing = render(
        [BotMessage(text="pilih", buttons=(Button("judul " * 30, "/greet"),))], PayloadStore()
    )
    assert outgoing[0].keyboard is not None
    assert len(outgoing[0].keyboard.inline_keyboard[0][0].text) <= 64
