"""Every number, amount, URL, phone and email in an answer comes from core/facts.py."""

# Runs in both environments (Python 3.10 engine, 3.11 bot): stdlib, PyYAML and the shared core.
# What "an answer" is: every response text of domain.yml, the texts of bot/texts.py and of the
# action modules, and what actions.status_text writes for every status code.

from __future__ import annotations

import ast
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from core import facts
from core.facts import FACTS, PLACEHOLDER
from ops.render_domain import render_domain

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "domain.template.yml"
DOMAIN = ROOT / "domain.yml"
# Texts written in these modules must take every fact from core.facts (no literal at all).
STRICT_MODULES = ("bot/texts.py", "actions/status_text.py", "actions/texts.py")

# A claim: any digit (amounts, ages, days, counts, phone numbers), an email, an @handle or a
# web address.
CLAIM = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|@[\w.]+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:go\.id|co\.id|or\.id|com|id|org|net)\b(?:/[\w/.-]*)?"
    r"|(?:Rp ?)?[+]?\d[\d.,:–×/-]*"
)
LIST_MARKER = re.compile(r"(?m)^\s*\d+\.\s")  # "1. Buka …": step numbers are not claims
CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")  # enum codes such as KK_SUDAH_2_PENERIMA


def claims(text: str) -> list[str]:
    """The claims in a text (step numbers of a numbered list excluded)."""
    return CLAIM.findall(LIST_MARKER.sub("", text))


def unhedged(text: str) -> list[str]:
    """Keys of UNCONFIRMED facts the text states without a hedge and an official channel."""
    return [
        f.key
        for f in FACTS.values()
        if not f.confirmed and f.spotter().search(text) and not facts.is_hedged(text)
    ]


def responses(domain_text: str) -> dict[str, list[str]]:
    """Response name → its texts."""
    domain = yaml.safe_load(domain_text)
    return {
        name: [v["text"] for v in variants if v.get("text")]
        for name, variants in (domain.get("responses") or {}).items()
    }


def template_problems(template_text: str) -> list[str]:
    """Unknown keys, claims typed outside placeholders, unhedged unconfirmed facts."""
    problems = []
    for name, texts in responses(template_text).items():
        for text in texts:
            for key in PLACEHOLDER.findall(text):
                if key not in FACTS:
                    problems.append(f"{name}: unknown fact {key!r}")
            typed = claims(PLACEHOLDER.sub("", text))
            if typed:
                problems.append(f"{name}: typed instead of {{fact:…}}: {typed}")
            rendered = PLACEHOLDER.sub(
                lambda m: FACTS[m.group(1)].text if m.group(1) in FACTS else "", text
            )
            problems += [f"{name}: unhedged {key}" for key in unhedged(rendered)]
    return problems


def literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal and f-string part, docstrings and codes excluded."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and not CODE.match(node.value)
    ]


def strict_problems(source: str) -> list[str]:
    """Claims typed into any literal of a module that must use core.facts."""
    return [f"line {line}: {claims(s)} in {s!r}" for line, s in literals(source) if claims(s)]


def _fact_texts_longest_first() -> list[str]:
    # only texts with a word in them, so a bare "2" never whitewashes another number
    return sorted(
        {f.text for f in FACTS.values() if re.search(r"[^\W\d_]", f.text)}, key=len, reverse=True
    )


def lenient_problems(source: str) -> list[str]:
    """Claims in a module's literals that are not the text of a fact."""
    problems = []
    for line, s in literals(source):
        masked = s
        for known in _fact_texts_longest_first():
            masked = masked.replace(known, " ")
        if claims(masked):
            problems.append(f"line {line}: {claims(masked)} in {s!r}")
    return problems


def strings_in(obj: Any, depth: int = 0) -> list[str]:
    """Every string inside a module-level value (dicts, tuples, objects such as Reason)."""
    if depth > 4:
        return []
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings_in(v, depth + 1)]
    if isinstance(obj, list | tuple | set):
        return [s for v in obj for s in strings_in(v, depth + 1)]
    if hasattr(obj, "__dict__") and not isinstance(obj, type) and not callable(obj):
        return [" ".join(strings_in(vars(obj), depth + 1))]  # one answer: e.g. why + fix
    return []


def module_answers(module: Any) -> list[str]:
    """The texts a module defines at import time."""
    return [
        s
        for name, v in vars(module).items()
        if not name.startswith("__") and not isinstance(v, type)
        for s in strings_in(v)
    ]


# ---- the facts file itself ---------------------------------------------------------------


def test_facts_are_unique_sourced_and_one_line() -> None:
    assert len(FACTS) == len(facts._ALL), "duplicate fact keys"
    for f in FACTS.values():
        assert f.key == f.key.strip() and PLACEHOLDER.fullmatch(f"{{fact:{f.key}}}"), f.key
        assert f.sources and all(re.fullmatch(r"S\d+b?", s) for s in f.sources), f.key
        assert f.text and "\n" not in f.text and f.holds_for, f.key


def test_unconfirmed_facts_hedge_themselves_nowhere_else() -> None:
    # an unconfirmed fact is spotted by its text or pattern, never by an empty match
    for f in FACTS.values():
        if not f.confirmed:
            assert not f.spotter().search(""), f.key


def test_scheme_lookup() -> None:
    assert facts.for_scheme("batas_beli", facts.SKEMA_NORMAL) is FACTS["batas_beli.normal"]
    assert facts.for_scheme("batas_beli", facts.SEMI_BANSOS) is FACTS["batas_beli.semi_bansos"]
    assert facts.for_scheme("batas_beli", "SKEMA_2030") is None
    assert facts.value("batas_beli.normal") == 15 and facts.value("batas_beli.semi_bansos") == 30


# ---- domain.yml ----------------------------------------------------------------------------


def test_domain_is_rendered_from_the_template_and_facts() -> None:
    rendered = render_domain(TEMPLATE.read_text(encoding="utf-8"))
    assert rendered == DOMAIN.read_text(encoding="utf-8"), (
        "domain.yml is stale: edit domain.template.yml / core/facts.py, then run "
        "`python -m ops.render_domain`"
    )


def test_template_types_no_fact_and_hedges_unconfirmed_ones() -> None:
    assert template_problems(TEMPLATE.read_text(encoding="utf-8")) == []


def test_rendered_responses_hedge_unconfirmed_facts() -> None:
    for name, texts in responses(DOMAIN.read_text(encoding="utf-8")).items():
        for text in texts:
            assert unhedged(text) == [], name


def test_every_response_fact_is_in_the_rendered_domain() -> None:
    rendered = responses(DOMAIN.read_text(encoding="utf-8"))
    for name, texts in responses(TEMPLATE.read_text(encoding="utf-8")).items():
        for text in texts:
            for key in PLACEHOLDER.findall(text):
                assert FACTS[key].text in " ".join(rendered[name]), (name, key)


# ---- Python texts --------------------------------------------------------------------------


@pytest.mark.parametrize("path", STRICT_MODULES)
def test_owned_text_modules_take_every_fact_from_core_facts(path: str) -> None:
    assert strict_problems((ROOT / path).read_text(encoding="utf-8")) == []


def test_bot_and_status_texts_hedge_unconfirmed_facts() -> None:
    from actions import status_text
    from actions import texts as action_texts
    from bot import texts

    # The other action modules hold no user texts (tests/actions/test_texts.py checks that).
    for module in (texts, status_text, action_texts):
        for answer in module_answers(module):
            assert unhedged(answer) == [], answer


def _status_answers() -> list[str]:
    from actions.status_text import explain_status
    from core.program_api import parse_applicant_status
    from core.program_api.models import _Obj
    from sandbox.program_api import scenarios

    today = date(2026, 11, 26)
    answers = []
    for code in scenarios.STATUS_CODES:
        reasons = sorted(scenarios.REASON_TEXTS) if code == "TIDAK_LOLOS" else [None]
        for alasan in reasons:
            doc = scenarios.build_status(
                code, today=today, applicant_id="A", nama="Siti", nik_masked="3273****0002",
                alasan=alasan,
            )  # fmt: skip
            status = parse_applicant_status(_Obj(doc, "$"))
            for skema in (facts.SKEMA_NORMAL, facts.SEMI_BANSOS, "LAIN"):
                answers.append(explain_status(replace(status, skema=skema), today)[0])
    return answers


def test_status_explanations_hedge_unconfirmed_facts() -> None:
    answers = _status_answers()
    assert len(answers) > 50
    for answer in answers:
        assert unhedged(answer) == [], answer


# ---- the guard catches what it should: injected claims ----------------------------------


def _real_template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def test_guard_catches_an_invented_amount_in_a_response() -> None:
    broken = _real_template().replace(
        "Insentif {fact:insentif_pasca.normal}, dibayar SEKALI",
        "Insentif Rp750 ribu, dibayar SEKALI",
    )
    assert broken != _real_template()
    assert any("utter_ask_benefits" in p and "Rp750" in p for p in template_problems(broken))


def test_guard_catches_a_typed_copy_of_a_fact_and_an_invented_url() -> None:
    # even a correct number typed by hand breaks "one edit per rule change"
    typed = _real_template().replace("{fact:batas_beli.normal} sejak", "15 hari kalender sejak")
    invented = _real_template().replace("{fact:url.bantuan}.", "prakerja-bantuan.com.", 1)
    assert any("15" in p for p in template_problems(typed))
    assert any("prakerja-bantuan.com" in p for p in template_problems(invented))


def test_guard_catches_an_unknown_fact_key() -> None:
    broken = _real_template().replace("{fact:usia}", "{fact:usia_maks}", 1)
    assert any("unknown fact 'usia_maks'" in p for p in template_problems(broken))


def test_guard_catches_an_unhedged_unconfirmed_claim() -> None:
    broken = _real_template().replace(
        "• Maksimal {fact:kk.maks} dalam satu Kartu Keluarga (KK)\\n",
        "• Maksimal {fact:kk.maks} dalam satu Kartu Keluarga (KK)\\n"
        "• Belum pernah menerima Kartu Prakerja\\n",
    )
    broken = broken.replace("belum ada penegasan resmi, jadi tanyakan", "tanyakan")
    assert any(
        "utter_ask_requirements: unhedged penerima_lama" in p for p in template_problems(broken)
    )
    assert unhedged("Bisa pakai rekening BCA.") == ["rekening.bank"]
    assert unhedged("Wajib hadir 100% dan tugas akhir selesai.") == ["kehadiran"]
    assert unhedged("Skema normal (2023 dan seterusnya): boleh ikut.") == ["program.setelah_2024"]
    assert unhedged("Call center: 021-25541246") == ["cs.telepon"]
    hedged = "Bank BCA pernah tercantum, tapi belum pasti; cek dashboard."
    assert unhedged(hedged) == []


def test_guard_catches_a_stale_domain() -> None:
    changed = _real_template().replace("Syarat ikut Kartu Prakerja", "Syarat Kartu Prakerja", 1)
    assert render_domain(changed) != DOMAIN.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", STRICT_MODULES)
def test_guard_catches_a_number_typed_into_python_texts(path: str) -> None:
    source = (ROOT / path).read_text(encoding="utf-8")
    assert strict_problems(source + '\nLATE = "Sudah lewat 7 hari kerja."\n')
    assert strict_problems(source + '\nX = f"Email {name} ke cs@prakerja.go.id"\n')
    # docstrings and enum codes are not answers
    assert not strict_problems('"""Module 2 docstring."""\nA = {"KK_SUDAH_2_PENERIMA": 1}\n')


def test_lenient_guard_accepts_fact_texts_and_catches_the_rest() -> None:
    ok = 'OFFICIAL = "Instagram @prakerja.go.id dan www.prakerja.go.id"\n'
    assert lenient_problems(ok) == []
    assert lenient_problems('T = "Gelombang dibuka tiap 14 hari."\n')
    assert lenient_problems('T = "Hubungi 0800-1234-567 atau lihat prakerja.info.id"\n')
