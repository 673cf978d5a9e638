"""NIK checks stand up to hostile Unicode: a clear Indonesian sentence, never an exception."""

from __future__ import annotations

import importlib.util
import random
import re

import pytest

from core.identifiers import is_valid_nik, nik_problem, normalise_nik, normalize_phone
from core.redaction import redact

NIK = "3174054507950003"
_INDONESIAN = re.compile(r"\bNIK\b")


def check_any_text(text: str) -> None:
    """The property every input must satisfy, whatever it is."""
    nik = normalise_nik(text)
    problem = nik_problem(nik)
    if problem is None:
        # Only what the API client accepts may pass, so "plausible" never turns into an error.
        assert is_valid_nik(nik), (text, nik)
    else:
        assert isinstance(problem, str) and _INDONESIAN.search(problem), problem
    assert nik_problem(text) is None or isinstance(nik_problem(text), str)
    redacted, _ = redact(text)
    assert isinstance(redacted, str)


@pytest.mark.parametrize(
    "typed",
    [
        "３１７４０５４５０７９５０００３",
        "３１７４ ０５４５ ０７９５ ０００３",
        "𝟑𝟏𝟕𝟒𝟎𝟓𝟒𝟓𝟎𝟕𝟗𝟓𝟎𝟎𝟎𝟑",  # mathematical bold digits
        "3174\u200b0545\u200b0795\u200b0003",
        "3174\u00a00545\u00a00795\u00a00003",
        "3174054507950003\x00",  # invisible control characters are dropped like zero-width ones
        "3174–0545–0795–0003",
        "3174, 0545, 0795, 0003",
        "(3174) 0545 0795 0003",
        "³¹⁷⁴⁰⁵⁴⁵⁰⁷⁹⁵⁰⁰⁰³",
    ],
)
def test_unicode_notations_of_a_valid_nik_are_accepted(typed: str) -> None:
    assert normalise_nik(typed) == NIK
    assert nik_problem(normalise_nik(typed)) is None


@pytest.mark.parametrize(
    "typed",
    [
        "٣١٧٤٠٥٤٥٠٧٩٥٠٠٠٣",  # Arabic-Indic digits: not 0-9 after NFKC
        "३१७४०५४५०७९५०००३",  # Devanagari
        "⑩⑪⑫⑬⑭⑮⑯⑰",  # NFKC: 16 ASCII digits, judged like any NIK (region 10 is unknown)
        "3174O54507950003",
        "\ud8003174054507950003",
        "NIK saya 3174054507950003",
        "",
        "   ",
        "💳" * 16,
    ],
)
def test_hostile_text_gets_a_sentence_not_an_exception(typed: str) -> None:
    problem = nik_problem(normalise_nik(typed))
    assert problem is not None and "NIK" in problem
    check_any_text(typed)


def test_superscripts_no_longer_crash() -> None:
    # Used to raise ValueError in int(): '³'.isdigit() is True.
    assert nik_problem("³¹⁷⁴⁰⁵⁴⁵⁰⁷⁹⁵⁰⁰⁰³") is None
    assert nik_problem("3174054507950003³") is not None


def test_full_width_phone_is_normalised() -> None:
    assert normalize_phone("０８１２－３４５６－７８９０") == "+6281234567890"


def test_random_hostile_strings() -> None:
    """Thousands of strings from digits of every script, separators, controls and emoji."""
    rng = random.Random(1945)
    pool = [chr(c) for c in range(0x110000) if c % 7 == 0 or chr(c).isnumeric()]
    pool += list("0123456789 .-_/,()+") * 20
    for _ in range(3000):
        check_any_text("".join(rng.choice(pool) for _ in range(rng.randint(0, 24))))


HAS_HYPOTHESIS = importlib.util.find_spec("hypothesis") is not None


@pytest.mark.skipif(not HAS_HYPOTHESIS, reason="hypothesis is installed in the bot venv only")
def test_hypothesis_fuzz() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=1500, deadline=None)
    @given(st.text(max_size=40))
    def run(text: str) -> None:
        check_any_text(text)

    @settings(max_examples=500, deadline=None)
    @given(
        st.lists(
            st.sampled_from([*NIK, "３", "³", "٣", "\u200b", " ", "-", "／", "，"]), max_size=30
        )
    )
    def run_near_niks(pieces: list[str]) -> None:
        check_any_text("".join(pieces))

    run()
    run_near_niks()
