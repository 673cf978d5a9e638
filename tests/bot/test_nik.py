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
