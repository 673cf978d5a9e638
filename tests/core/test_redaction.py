"""Identifiers in any notation are masked in text and in log records (runs in both venvs)."""

from __future__ import annotations

import io
import logging
import random
import re
import unicodedata
from collections.abc import Iterator

import pytest

from core import redaction
from core.redaction import (
    NIK_PLACEHOLDER,
    NUMBER_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    RedactingFilter,
    install_log_redaction,
    mask_references,
    redact,
)

NIK = "3174054507950003"
PHONE = "081234567890"


def digits_of(text: str) -> str:
    """What a reader (or a grep after normalising) would see as the digits of ``text``."""
    normalised = unicodedata.normalize("NFKC", text)
    return "".join(
        str(unicodedata.decimal(c)) for c in normalised if unicodedata.decimal(c, None) is not None
    )


def full_width(text: str) -> str:
    """ASCII digits as full-width digits (what some Asian keyboards type)."""
    return text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})


def superscript(text: str) -> str:
    """ASCII digits as superscript digits."""
    return text.translate(dict(zip(map(ord, "0123456789"), "⁰¹²³⁴⁵⁶⁷⁸⁹", strict=True)))


def arabic_indic(text: str) -> str:
    """ASCII digits as Arabic-Indic digits."""
    return text.translate({ord(d): 0x0660 + int(d) for d in "0123456789"})


# Every notation the outside review found passing unmasked, and the classic ones.
NIK_FORMATS = [
    "3174054507950003",
    "3174 0545 0795 0003",
    "3174.0545.0795.0003",
    "3174-0545-0795-0003",
    "3174/0545/0795/0003",
    "3174_0545_0795_0003",
    "3174  0545  0795  0003",
    "3174   0545\t0795\n0003",
    "3174, 0545, 0795, 0003",
    "3174 - 0545 - 0795 - 0003",
    "317405 450795 0003",
    "31.74.05.450795.0003",
    "3174–0545—0795−0003",  # en dash, em dash, minus sign
    "3174\u00a00545\u202f0795\u30000003",  # no-break, narrow no-break, ideographic spaces
    full_width(NIK),
    superscript(NIK),
    arabic_indic(NIK),
    "3174\u200b0545\u200c0795\u200d0003",  # zero-width space / non-joiner / joiner
    "3\u200b1\u20607\u00ad4\ufeff054507950003",  # word joiner, soft hyphen, BOM between digits
    "3\u03011\u03007405\u20dd4507950003",  # combining marks on the digits
    "３１７４－０５４５－０７９５－０００３",  # full-width digits and hyphens
]
PHONE_FORMATS = [
    "081234567890",
    "0812 3456 7890",
    "0812-3456-7890",
    "(0812) 3456 7890",
    "+62 (812) 3456-7890",
    "0812 - 3456 - 7890",
    "+6281234567890",
    "+62 812 3456 7890",
    "62 812-3456-7890",
    "0812.3456.7890",
    "0812/3456/7890",
    "0812_3456_7890",
    "0812, 3456, 7890",
    "0812  3456  7890",
    "＋６２ ８１２ ３４５６ ７８９０",
    superscript("+6281234567890"),
    "0812\u200b3456\u200b7890",
]


@pytest.mark.parametrize("notation", NIK_FORMATS)
def test_a_nik_in_any_notation_is_masked(notation: str) -> None:
    redacted, found = redact(f"nik saya {notation} kenapa belum lolos?")
    assert found
    assert redacted == f"nik saya {NIK_PLACEHOLDER} kenapa belum lolos?"


@pytest.mark.parametrize("notation", PHONE_FORMATS)
def test_a_phone_number_in_any_notation_is_masked(notation: str) -> None:
    redacted, found = redact(f"hp saya {notation} ya min")
    assert found
    assert redacted == f"hp saya {PHONE_PLACEHOLDER} ya min"


@pytest.mark.parametrize(
    "notation",
    ["1234567890", "12 3456 7890 12", "9876/5432/10", "1.234.567.890.123", "９８７６５４３２１０"],
)
def test_other_long_numbers_are_masked(notation: str) -> None:
    redacted, found = redact(f"nomor KK {notation} gimana")
    assert found
    assert redacted == f"nomor KK {NUMBER_PLACEHOLDER} gimana"


def test_nik_and_phone_side_by_side_keep_their_placeholders() -> None:
    redacted, found = redact(f"{NIK}, {PHONE}")
    assert found
    assert redacted == f"{NIK_PLACEHOLDER}, {PHONE_PLACEHOLDER}"


def test_several_identifiers_in_one_message() -> None:
    text = f"nik 3174-0545-0795-0003 hp (0812) 3456 7890 kk {'3174' * 4}1 tanggal 21/03/2025"
    redacted, found = redact(text)
    assert found
    assert redacted == (
        f"nik {NIK_PLACEHOLDER} hp {PHONE_PLACEHOLDER} kk {NUMBER_PLACEHOLDER} tanggal 21/03/2025"
    )


@pytest.mark.parametrize(
    "text",
    [
        "gelombang 55 kapan dibuka?",
        "gelombang 55, 56, 57, 58, 59 sudah lewat",
        "insentif 600rb",
        "saldo Rp3.500.000",
        "dana Rp 10.500.000,00 cair tgl 5",
        "bantuan IDR 3,500,000.00",
        "tgl 21/03/2025",
        "pelatihan 21/03/2025 - 25/03/2025",
        "jadwal 2025-03-21 10:30 WIB",
        "2025-03-21 sampai 2025-04-21",
        "jam 08.00-16.00",
        "umur 18-64 tahun",
        "kode 123456",
        "ada 3 pelatihan, 4 jam, 5 modul",
    ],
)
def test_ordinary_numbers_stay_readable(text: str) -> None:
    assert redact(text) == (text, False)


def test_an_amount_marker_does_not_shield_a_phone_number() -> None:
    assert redact("rp 0812.3456.7890") == (f"rp {PHONE_PLACEHOLDER}", True)
    assert redact("Rp 081.234.567.890") == (f"Rp {PHONE_PLACEHOLDER}", True)


def test_a_date_does_not_shield_a_neighbouring_nik() -> None:
    redacted, found = redact(f"21/03/2025 {NIK} 2025-03-21")
    assert found
    assert redacted == f"21/03/2025 {NIK_PLACEHOLDER} 2025-03-21"


def test_text_around_the_number_is_kept_exactly() -> None:
    text = "Ｈａｌｏ ½ café – nik ３１７４ ０５４５ ０７９５ ０００３!"
    redacted, found = redact(text)
    assert found
    assert redacted == f"Ｈａｌｏ ½ café – nik {NIK_PLACEHOLDER}!"


def test_generated_notations_never_leak() -> None:
    """Random separators, digit forms and invisible characters between the NIK's digits."""
    rng = random.Random(20250321)
    separators = ["", " ", "  ", ".", "-", "_", "/", ", ", " - ", ") ", " (", "\u200b", "–", "\n"]
    forms = [str, full_width, superscript, arabic_indic]
    for _ in range(500):
        pieces = []
        for digit in NIK:
            pieces.append(rng.choice(forms)(digit))
            if rng.random() < 0.3:
                pieces.append(rng.choice(separators))
        text = f"tolong cek {''.join(pieces)} ya"
        redacted, found = redact(text)
        assert found, text
        assert len(digits_of(redacted)) == 0, (text, redacted)


def test_hostile_unicode_never_raises() -> None:
    rng = random.Random(7)
    alphabet = [chr(c) for c in (*range(0, 0x250), *range(0x2000, 0x2100), *range(0xFF00, 0xFF70))]
    alphabet += ["\ud800", "\udfff", "\U0001d7d1", "٣", "۴", "߃", "३", "𝟗", "⑩", "⒈", "㉑"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        redacted, _ = redact(text)
        assert isinstance(redacted, str)
        for run in re.findall(r"[0-9]{10,}", unicodedata.normalize("NFKC", redacted)):
            pytest.fail(f"{run!r} survived in {redacted!r}")


def test_redaction_is_idempotent() -> None:
    once, _ = redact(f"nik {NIK} hp {PHONE}")
    assert redact(once) == (once, False)


# --- references -----------------------------------------------------------------------------

REF = "Zk3vQ9-xYp_T2mLw8RfN1aBcDeFgHiJk"  # what the sandbox issues: secrets.token_urlsafe(24)


def test_reference_paths_and_fields_are_masked() -> None:
    line = (
        f'HTTP Request: GET http://127.0.0.1:8081/v1/applicants/{REF}/status "HTTP/1.1 200 OK"'
        f" metadata {{'applicant_ref': '{REF}'}} applicant_ref={REF}"
    )
    masked = mask_references(line)
    assert REF not in masked
    assert "/v1/applicants/Zk3v…/status" in masked
    assert masked.count("Zk3v…") == 3
    verify = 'HTTP Request: POST http://127.0.0.1:8081/v1/applicants/verify "HTTP/1.1 200 OK"'
    assert mask_references(verify) == verify


# --- logging --------------------------------------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A real logger writing through a real handler into a string, with the redacting filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.core.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_log_arguments_are_masked(log_stream: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log_stream
    logger.info("verifying %s with %s", "3174/0545/0795/0003", "+62 (812) 3456-7890")
    text = stream.getvalue()
    assert NIK not in digits_of(text) and "81234567890" not in digits_of(text)
    assert NIK_PLACEHOLDER in text and PHONE_PLACEHOLDER in text


def test_tracebacks_are_masked(log_stream: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log_stream

    def check(nik: str) -> None:
        raise ValueError(f"NIK {nik} tidak dikenal (ref {REF})")

    try:
        check(full_width("3174 0545 0795 0003"))
    except ValueError:
        logger.exception("lookup failed for /v1/applicants/%s/status", REF)
    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text
    assert "ValueError: NIK [NIK disembunyikan] tidak dikenal" in text
    assert NIK not in digits_of(text)
    assert "/v1/applicants/Zk3v…/status" in text
    assert f"/v1/applicants/{REF}" not in text


def test_a_formatted_traceback_and_stack_are_masked(
    log_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_stream
    record = logger.makeRecord(
        logger.name, logging.ERROR, __file__, 1, "failed", (), None, sinfo=f"Stack: {NIK}"
    )
    record.exc_text = f"Traceback ...\nKeyError: '{PHONE}'"
    logger.handle(record)
    text = stream.getvalue()
    assert PHONE not in text and NIK not in text
    assert PHONE_PLACEHOLDER in text and NIK_PLACEHOLDER in text


def test_a_broken_format_string_still_logs(log_stream: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log_stream
    logger.info("nik %s %s", NIK)  # one argument too few
    assert NIK not in stream.getvalue()


@pytest.fixture
def clean_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[logging.Handler]:
    """A root handler to install on; the record factory and levels are restored afterwards."""
    root = logging.getLogger()
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root.addHandler(handler)
    factory = logging.getLogRecordFactory()
    # start from logging's own factory, whatever an earlier test in this process installed
    logging.setLogRecordFactory(logging.LogRecord)
    monkeypatch.setattr(redaction, "_base_factory", None)
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield handler
    root.removeHandler(handler)
    logging.setLogRecordFactory(factory)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_install_masks_httpx_style_url_lines(clean_logging: logging.Handler) -> None:
    install_log_redaction()
    install_log_redaction()  # safe to call twice
    assert sum(isinstance(f, RedactingFilter) for f in clean_logging.filters) == 1
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
    # Even when an operator turns httpx back up, the reference never reaches the log.
    logging.getLogger("httpx").setLevel(logging.INFO)
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s %d %s"',
        "GET",
        f"http://127.0.0.1:8081/v1/applicants/{REF}/status",
        "HTTP/1.1",
        200,
        "OK",
    )
    stream = clean_logging.stream  # type: ignore[attr-defined]
    text = stream.getvalue()
    assert "/v1/applicants/Zk3v…/status" in text
    assert REF not in text


def test_install_covers_handlers_added_later(clean_logging: logging.Handler) -> None:
    install_log_redaction(level_for_http_clients=logging.ERROR)
    assert logging.getLogger("httpx").level == logging.ERROR
    late = logging.StreamHandler(io.StringIO())
    own = logging.getLogger("tests.core.late")
    own.addHandler(late)
    own.propagate = False
    try:
        try:
            int(f"x{NIK}")
        except ValueError:
            own.exception("parsing %s", PHONE)
        text = late.stream.getvalue()
    finally:
        own.removeHandler(late)
        own.propagate = True
    assert NIK not in text and PHONE not in text
    assert "Traceback" in text and PHONE_PLACEHOLDER in text
