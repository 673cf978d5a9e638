"""Indonesian date, time and rupiah formatting that does not depend on the system locale."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def format_date(d: date) -> str:
    """'Jumat, 21 Maret 2025'."""
    if isinstance(d, datetime):
        d = to_wib(d).date()
    return f"{HARI[d.weekday()]}, {d.day} {BULAN[d.month - 1]} {d.year}"


def to_wib(dt: datetime) -> datetime:
    """Convert to WIB; naive values are taken as already WIB."""
    return dt.replace(tzinfo=WIB) if dt.tzinfo is None else dt.astimezone(WIB)


def format_datetime_wib(dt: datetime) -> str:
    """'Jumat, 21 Maret 2025 pukul 23.59 WIB'."""
    local = to_wib(dt)
    return f"{format_date(local.date())} pukul {local.hour:02d}.{local.minute:02d} WIB"


def format_rupiah(amount: int) -> str:
    """'Rp600.000' (dots as thousands separators)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def format_rupiah_short(amount: int) -> str:
    """Prose form: 'Rp600 ribu', 'Rp3,5 juta', 'Rp50 ribu'; falls back to the full form."""
    for unit, word in ((1_000_000_000, "miliar"), (1_000_000, "juta"), (1_000, "ribu")):
        if amount >= unit and (amount * 10) % unit == 0:
            whole, tenth = divmod(amount * 10 // unit, 10)
            number = f"{whole},{tenth}" if tenth else str(whole)
            return f"Rp{number} {word}"
    return format_rupiah(amount)


def add_working_days(start: date, n: int) -> date:
    """`start` plus n Monday–Friday days (public holidays are not known here)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Number of Monday–Friday days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count
