"""Masking applicants' identifiers (NIK, phone numbers, long numbers, references) in text and logs.

Both runtimes use this module (the bot on Python 3.11, the action server on 3.10): stdlib only.

How a number is found: the text is read character by character after Unicode NFKC normalisation,
so full-width (``３``), superscript (``³``), mathematical and Arabic-Indic (``٣``) digits all count
as digits, and invisible characters (zero-width spaces, joiners, soft hyphens, combining marks)
are ignored. Digit groups separated only by a short run of separators (spaces, line breaks,
``. - _ / , ( ) +`` and Unicode dashes, e.g. ``" - "``, ``", "``, ``") "``) form one number; a
number of 10 or more digits is replaced by a placeholder.

False positives, and the trade-off: a helpdesk chat is full of harmless numbers. Dates
(``21/03/2025``, ``2025-03-21``) and rupiah amounts written as such (``Rp3.500.000``,
``Rp 10.500.000,00``; never with a leading 0, which phone numbers have) are recognised and never
glued to their neighbours, and a comma-separated list of small numbers (``gelombang 55, 56, 57,
58, 59``) is not one number unless its digits would form a NIK or a phone number. Anything else
with 10+ digits is masked even when it was harmless (a 10-digit Telegram user id in a log line,
an order number, ``1 2 3 4 5 6 7 8 9 10``): leaking an identifier costs far more than a slightly
less readable message or log line. A NIK typed with a real date inside it (``3201 21/03/2025
0001``) would slip through; a NIK holds a 2-digit year, so nobody types one that way.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from core.identifiers import mask_ref

NIK_PLACEHOLDER = "[NIK disembunyikan]"
PHONE_PLACEHOLDER = "[nomor HP disembunyikan]"
NUMBER_PLACEHOLDER = "[angka disembunyikan]"

MIN_DIGITS = 10  # shorter numbers (dates, amounts, gelombang, counts) stay readable
NIK_DIGITS = 16
_SEPARATOR_PUNCTUATION = frozenset(".-_/,()+\u2212")  # and every Unicode dash (category Pd)
# After collapsing whitespace, at most this many separator characters may stand between two digit
# groups of one number: enough for " - ", ", " and ") ", short enough not to glue sentences.
_MAX_SEPARATOR_CHARS = 3
_ONE_CHAR_SEPARATORS = frozenset(" .-_/,()+\n\t")
# Invisible characters that could be slipped between digits without changing what a reader sees.
_TRANSPARENT_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc"})

# Only in the ASCII view of the text (digits mapped, invisible characters dropped).
_DATE_RE = re.compile(
    r"(?<!\d)(?:(?P<d>\d{1,2})(?P<s1>[/.\-])(?P<m>\d{1,2})(?P=s1)(?:19|20)\d{2}"
    r"|(?:19|20)\d{2}(?P<s2>[/.\-])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2}))(?!\d)"
)
_AMOUNT_RE = re.compile(
    r"(?i)(?<![a-z])(?:rp|idr)\.?\s*(?!0)\d{1,3}(?:(?P<sep>[.,])\d{3})(?:(?P=sep)\d{3})*"
    r"(?:[.,](?:\d{1,2}|-))?(?!\d)"
)
_CHUNK_RE = re.compile(r"(?P<plain>[\x20-\x7e\t\n\r]+)|.", re.DOTALL)
_PHONE_DIGITS_RE = re.compile(r"(?:62|0)8[0-9]+")
_PHONE_LENGTHS = range(10, 14)
_OPENERS = ("+", "(")
_MAX_SPLIT_GROUPS = 24  # a few identifiers side by side; longer runs get one placeholder

# Program API reference paths (``/v1/applicants/<ref>/status``) and ``applicant_ref=<ref>`` or
# ``"applicant_ref": "<ref>"`` in log lines; ``verify`` is the one path that is not a reference.
_REF_PATH_RE = re.compile(r"(/v1/applicants/)(?!verify(?![A-Za-z0-9_\-]))([^/\s?#\"'<>]+)")
_REF_FIELD_RE = re.compile(r"(applicant_ref[\"']?\s*[:=]\s*[\"']?)([A-Za-z0-9_\-]{5,})")


def _ascii_view(text: str) -> tuple[str, list[int]]:
    """``text`` with every digit as ASCII and invisible characters dropped, plus index map."""
    chars: list[str] = []
    origin: list[int] = []
    for chunk in _CHUNK_RE.finditer(text):
        start, piece = chunk.start(), chunk.group()
        if chunk.group("plain") is not None:
            chars.append(piece)  # plain printable ASCII stays as it is (most of any text)
            origin.extend(range(start, chunk.end()))
            continue
        for part in unicodedata.normalize("NFKC", piece):
            if unicodedata.category(part) in _TRANSPARENT_CATEGORIES and not part.isspace():
                continue
            value = unicodedata.decimal(part, None)
            chars.append(str(value) if value is not None else part)
            origin.append(start)
    return "".join(chars), origin


def _is_separator(chunk: str) -> bool:
    """Whether ``chunk`` (between two digit groups) is short punctuation that joins them."""
    if len(chunk) <= 1 and (not chunk or chunk in _ONE_CHAR_SEPARATORS):
        return True  # the common case, without the work below
    collapsed = re.sub(r"\s+", " ", chunk)
    if len(collapsed) > _MAX_SEPARATOR_CHARS:
        return False
    return all(
        char == " " or char in _SEPARATOR_PUNCTUATION or unicodedata.category(char) == "Pd"
        for char in collapsed
    )


def _date_ok(match: re.Match[str]) -> bool:
    """A real calendar day and month, so that '3174/0545/…' is never taken for a date."""
    day, month = match.group("d") or match.group("d2"), match.group("m") or match.group("m2")
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def _placeholder(digits: str) -> str | None:
    """The placeholder for one number, or None when it may stay."""
    if len(digits) == NIK_DIGITS:
        return NIK_PLACEHOLDER
    if len(digits) in _PHONE_LENGTHS and _PHONE_DIGITS_RE.fullmatch(digits):
        return PHONE_PLACEHOLDER
    if len(digits) >= MIN_DIGITS:
        return NUMBER_PLACEHOLDER
    return None


def _nfkc(text: str) -> str:
    """NFKC of a short piece of text (full-width '＋' is '+')."""
    return unicodedata.normalize("NFKC", text)


def _is_small_number_list(run: list[tuple[int, int]], view: str) -> bool:
    """'55, 56, 57, 58, 59': comma-separated numbers of 1–2 digits that are no NIK or phone."""
    items = re.split(r"\s*,\s*", view[run[0][0] : run[-1][1]])
    if len(items) < 2 or any(sum(c.isdigit() for c in item) > 2 for item in items):
        return False
    digits = "".join(view[start:end] for start, end in run)
    return _placeholder(digits) == NUMBER_PLACEHOLDER


def _split_identifiers(groups: list[tuple[int, int]], view: str) -> list[tuple[int, int, str]]:
    """Mask one run of digit groups: as NIK/phone pieces when it splits into such, else whole."""
    digits = [view[start:end] for start, end in groups]
    whole = _placeholder("".join(digits))
    if whole is None:
        return []
    if whole == NUMBER_PLACEHOLDER and 1 < len(groups) <= _MAX_SPLIT_GROUPS:
        # e.g. "3174054507950003, 081234567890": a NIK and a phone typed side by side
        best: list[list[tuple[int, int, str]] | None] = [None] * (len(groups) + 1)
        best[0] = []
        for end in range(1, len(groups) + 1):
            piece = ""
            for start in range(end - 1, -1, -1):  # pieces of at most 16 digits: linear time
                piece = digits[start] + piece
                if len(piece) > NIK_DIGITS:
                    break
                previous = best[start]
                label = _placeholder(piece)
                if previous is not None and label in (NIK_PLACEHOLDER, PHONE_PLACEHOLDER):
                    best[end] = [*previous, (groups[start][0], groups[end - 1][1], label)]
                    break
        pieces = best[len(groups)]
        if pieces:
            return pieces
    return [(groups[0][0], groups[-1][1], whole)]


def redact(text: str) -> tuple[str, bool]:
    """Mask NIK-, phone- and other 10+ digit numbers in any notation; say whether any was found."""
    if len(re.findall(r"\d", unicodedata.normalize("NFKC", text))) < MIN_DIGITS:
        return text, False  # fast path for the vast majority of messages and log lines
    view, origin = _ascii_view(text)
    # Dates and amounts become barriers: no digits, and not a separator either.
    view = _DATE_RE.sub(lambda m: "#" * len(m.group()) if _date_ok(m) else m.group(), view)
    view = _AMOUNT_RE.sub(lambda m: "#" * len(m.group()), view)
    runs: list[list[tuple[int, int]]] = []
    for match in re.finditer(r"[0-9]+", view):
        group = match.span()
        if runs and _is_separator(view[runs[-1][-1][1] : group[0]]):
            runs[-1].append(group)
        else:
            runs.append([group])
    replacements: list[tuple[int, int, str]] = []
    for run in runs:
        if _is_small_number_list(run, view):
            continue
        for start, end, label in _split_identifiers(run, view):
            first, last = origin[start], origin[end - 1] + 1
            # Take a leading "+" / "(" and a then unbalanced ")" along: "+62 …", "(0812) …".
            while first > 0 and _nfkc(text[first - 1]) in _OPENERS:
                first -= 1
            masked = _nfkc(text[first:last])
            if masked.count("(") > masked.count(")") and _nfkc(text[last : last + 1]) == ")":
                last += 1
            replacements.append((first, last, label))
    if not replacements:
        return text, False
    pieces: list[str] = []
    cursor = 0
    for first, last, label in replacements:
        pieces += [text[cursor:first], label]
        cursor = last
    pieces.append(text[cursor:])
    return "".join(pieces), True


def mask_references(text: str) -> str:
    """Replace applicant references in program API paths and ``applicant_ref`` fields."""

    def masked(match: re.Match[str]) -> str:
        return match.group(1) + mask_ref(match.group(2))

    return _REF_FIELD_RE.sub(masked, _REF_PATH_RE.sub(masked, text))


def redact_log_text(text: str) -> str:
    """Everything a log line must not carry: references first, then identifiers."""
    return redact(mask_references(text))[0]


class RedactingFilter(logging.Filter):
    """Masks identifiers and references in a record's message, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redact it and drop the arguments; same for the traceback."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact_log_text(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            # Formatted here, so no handler ever formats the raw exception (and its message).
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_log_text(record.stack_info)
        return True


_FILTER = RedactingFilter()
_base_factory: Callable[..., logging.LogRecord] | None = None


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Create the record with the previous factory and redact it at once."""
    assert _base_factory is not None
    record = _base_factory(*args, **kwargs)
    _FILTER.filter(record)
    return record


def _add_filter(handler: logging.Handler) -> None:
    """Put the redacting filter on ``handler`` unless it has one already."""
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(_FILTER)


def install_log_redaction(level_for_http_clients: int = logging.WARNING) -> None:
    """Redact every log record of this process; quiet httpx/httpcore's per-request URL lines.

    The filter goes on every handler of the root logger and of loggers that keep their own
    handlers (sanic's, for instance). The record factory also redacts records at creation, so
    handlers added later (a framework configuring logging after us) cannot leak either.
    Calling it again adds nothing twice.
    """
    global _base_factory
    for handler in logging.getLogger().handlers:
        _add_filter(handler)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            for handler in logger.handlers:
                _add_filter(handler)
    current = logging.getLogRecordFactory()
    if _base_factory is None and current is not _redacting_factory:
        _base_factory = current
        logging.setLogRecordFactory(_redacting_factory)
    elif current is not _redacting_factory:  # someone replaced ours: wrap theirs too
        _base_factory = current
        logging.setLogRecordFactory(_redacting_factory)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(level_for_http_clients)
