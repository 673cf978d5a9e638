"""All user-facing texts of the actions live in actions/texts.py."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from actions import texts

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
# status_text.py is the status-explanation module: mostly text by design.
ACTION_MODULES = ["applicant_status.py", "batch_schedule.py", "fallback.py", "base.py"]


def literal_texts(source: str) -> list[tuple[int, str]]:
    """String literals given as text or buttons to utter_message, or to button()."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name == "utter_message":
            # json_message carries protocol keys ({"type": ...}) for the bot, not text
            values = [k.value for k in node.keywords if k.arg != "json_message"] + node.args
        elif name == "button":
            values = [*node.args, *(k.value for k in node.keywords)]
        else:
            continue
        for value in values:
            for inner in ast.walk(value):
                if isinstance(inner, ast.JoinedStr) or (
                    isinstance(inner, ast.Constant) and isinstance(inner.value, str)
                ):
                    found.append((node.lineno, ast.unparse(inner)))
    return found


def test_literal_texts_are_found() -> None:
    assert literal_texts('d.utter_message(text="Maaf", json_message={"type": "x"})') == [
        (1, "'Maaf'")
    ]
    assert literal_texts('d.utter_message(buttons=[{"title": f"{t}", "payload": "/x"}])')


@pytest.mark.parametrize("module", ACTION_MODULES)
def test_actions_send_no_literal_text(module: str) -> None:
    """utter_message and buttons take names from actions.texts, never a literal sentence."""
    assert literal_texts((ACTIONS / module).read_text(encoding="utf-8")) == []


def test_templates_have_the_fields_the_actions_fill() -> None:
    fields = {
        "SCHEDULE_OPEN": {"nomor", "ditutup"},
        "SCHEDULE_UPCOMING": {"nomor", "dibuka", "ditutup"},
        "SCHEDULE_CLOSED": {"nomor"},
        "SCHEDULE_NEXT": {"nomor", "dibuka"},
    }
    for name, expected in fields.items():
        found = {f for _, f, _, _ in string.Formatter().parse(getattr(texts, name)) if f}
        assert found == expected, name


def test_shared_buttons_trigger_domain_intents() -> None:
    import yaml

    domain = yaml.safe_load((ACTIONS.parent / "domain.yml").read_text(encoding="utf-8"))
    buttons = [v for k, v in vars(texts).items() if k.startswith("B_")]
    assert len(buttons) >= 19
    for b in buttons:
        assert b["payload"].startswith("/") and b["payload"][1:] in domain["intents"]
        assert len(b["title"]) <= 40
