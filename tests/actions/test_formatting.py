"""Locale-free Indonesian formatting."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core.formatting import (
    WIB,
    add_working_days,
    format_date,
    format_datetime_wib,
    format_rupiah,
    format_rupiah_short,
    working_days_between,
)


def test_format_datetime_wib_converts_from_utc() -> None:
    utc = datetime(2025, 3, 21, 16, 59, tzinfo=timezone.utc)
    assert format_datetime_wib(utc) == "Jumat, 21 Maret 2025 pukul 23.59 WIB"


def test_format_datetime_wib_pads_and_crosses_midnight() -> None:
    assert format_datetime_wib(datetime(2025, 1, 5, 7, 5, tzinfo=WIB)) == (
        "Minggu, 5 Januari 2025 pukul 07.05 WIB"
    )
    wita = timezone(timedelta(hours=8))
    assert format_datetime_wib(datetime(2025, 1, 1, 0, 30, tzinfo=wita)) == (
        "Selasa, 31 Desember 2024 pukul 23.30 WIB"
    )


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2025, 3, 21), "Jumat, 21 Maret 2025"),
        (date(2026, 12, 1), "Selasa, 1 Desember 2026"),
        (date(2024, 2, 29), "Kamis, 29 Februari 2024"),
        (date(2025, 8, 17), "Minggu, 17 Agustus 2025"),
    ],
)
def test_format_date(d: date, text: str) -> None:
    assert format_date(d) == text


@pytest.mark.parametrize(
    ("amount", "full", "short"),
    [
        (600_000, "Rp600.000", "Rp600 ribu"),
        (3_500_000, "Rp3.500.000", "Rp3,5 juta"),
        (50_000, "Rp50.000", "Rp50 ribu"),
        (4_200_000, "Rp4.200.000", "Rp4,2 juta"),
        (1_234_567, "Rp1.234.567", "Rp1.234.567"),
        (0, "Rp0", "Rp0"),
    ],
)
def test_rupiah(amount: int, full: str, short: str) -> None:
    assert format_rupiah(amount) == full
    assert format_rupiah_short(amount) == short


def test_working_days_skip_weekends() -> None:
    friday = date(2025, 3, 21)
    assert add_working_days(friday, 1) == date(2025, 3, 24)
    assert add_working_days(friday, 5) == date(2025, 3, 28)
    assert working_days_between(friday, date(2025, 3, 25)) == 2
