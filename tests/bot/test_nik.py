"""NIK and phone normalisation and plausibility checks (before any API call)."""

from __future__ import annotations

import pytest

from core.identifiers import nik_problem, normalise_nik, normalise_phone


def test_separators_are_removed() -> None:
    assert normalise_nik(" 3201-0145.0590 0003 ") == "3201014505900003"


@pytest.mark.parametrize("nik", ["3201014505900003", "3173015203880002", "9401011212990001"])
def test_plausible_niks_pass(nik: str) -> None:
    assert nik_problem(nik) is None


@pytest.mark.parametrize(
    ("nik", "fragment"),
    [
        ("32010145059000", "16 digit"),
        ("320101450590000312", "16 digit"),
        ("3201O14505900003", "angka"),
        ("0001014505900003", "wilayah"),
        ("3200014505900003", "wilayah"),
        ("3201013213900003", "tanggal"),
        ("3201017505900003", "tanggal"),
        ("3201014505900000", "terakhir"),
    ],
)
def test_implausible_niks_are_explained(nik: str, fragment: str) -> None:
    problem = nik_problem(nik)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+6281234567890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("081234567890", "+6281234567890"),
        ("+1 555 123 4567", None),
        ("12345", None),
    ],
)
def test_phone_normalisation(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "3201/0145/0590/0003",
        "3201_0145_0590_0003",
        "3201  0145  0590  0003",
        "3201, 0145, 0590, 0003",
        "3201 - 0145 - 0590 - 0003",
        "３２０１０１４５０５９００００３",
        "³²⁰¹⁰¹⁴⁵⁰⁵⁹⁰⁰⁰⁰³",
        "3201\u200b0145\u200b0590\u200b0003",
    ],
)
def test_every_notation_of_a_nik_is_understood(typed: str) -> None:
    assert normalise_nik(typed) == "3201014505900003"
    assert nik_problem(normalise_nik(typed)) is None


@pytest.mark.parametrize("typed", ["٣٢٠١٠١٤٥٠٥٩٠٠٠٣", "³²⁰¹⁰¹⁴⁵⁰⁵⁹⁰⁰⁰", "3201 0145 0590 OOO3", ""])
def test_hostile_unicode_gets_an_explanation(typed: str) -> None:
    # Superscripts used to make int() raise; Arabic-Indic digits passed as "plausible".
    problem = nik_problem(normalise_nik(typed))
    assert problem is not None and "NIK" in problem
