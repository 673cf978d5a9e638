"""STAFF_HOURS: when staff are on duty (WIB), e.g. ``Mon-Fri 08:00-16:00; Sat 09:00-12:00``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from core.formatting import WIB

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SEGMENT = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


def _minutes(text: str) -> int:
    """``08:30`` as minutes after midnight; ``24:00`` is allowed as an end."""
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"STAFF_HOURS has an invalid time {text!r}")
    return hours * 60 + minutes


@dataclass(frozen=True)
class StaffHours:
    """Per weekday (0 = Monday) the on-duty windows, in minutes after midnight WIB."""

    windows: tuple[tuple[tuple[int, int], ...], ...]

    @classmethod
    def parse(cls, text: str) -> StaffHours:
        """Parse segments separated by ``;`` or ``,``; a clear ValueError when malformed."""
        days: list[list[tuple[int, int]]] = [[] for _ in DAYS]
        segments = [s for s in re.split(r"[;,]", text.lower()) if s.strip()]
        if not segments:
            raise ValueError("STAFF_HOURS is empty; expected e.g. 'Mon-Fri 08:00-16:00'")
        for segment in segments:
            match = _SEGMENT.match(segment)
            if match is None or match["first"] not in DAYS or (match["last"] or "mon") not in DAYS:
                raise ValueError(
                    f"STAFF_HOURS segment {segment.strip()!r} is not like 'Mon-Fri 08:00-16:00'"
                )
            start, end = _minutes(match["start"]), _minutes(match["end"])
            if end <= start:
                raise ValueError(f"STAFF_HOURS segment {segment.strip()!r} ends before it starts")
            first = DAYS.index(match["first"])
            last = DAYS.index(match["last"]) if match["last"] else first
            day = first
            while True:
                days[day].append((start, end))
                if day == last:
                    break
                day = (day + 1) % 7
        return cls(tuple(tuple(sorted(d)) for d in days))

    def is_open(self, at: datetime) -> bool:
        """Whether staff are on duty at ``at``."""
        local = at.astimezone(WIB)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.windows[local.weekday()])

    def next_opening(self, at: datetime) -> datetime | None:
        """The next start of a duty window after ``at`` (WIB), None when there is none."""
        local = at.astimezone(WIB)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            for start, _end in self.windows[day.weekday()]:
                if start >= 24 * 60:
                    continue
                opening = datetime.combine(day, time(start // 60, start % 60), tzinfo=WIB)
                if opening > local:
                    return opening
        return None
