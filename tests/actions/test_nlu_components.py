"""Unit tests for the custom NLU components in nlu/components (engine venv; lives here because
tests/actions is the engine-only test folder)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

pytest.importorskip("rasa")

from nlu.components.normalizer import normalize


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Gmn cara dftr prakerja min??", "bagaimana cara daftar prakerja"),
        ("HALOOO", "halo"),
        ("langkah2 daftar", "langkah langkah daftar"),
        ("dpt 3,5jt sm 600rb", "dapat 3,5 juta sama 600 ribu"),
        ("carane ndaftar prakerja piye", "cara daftar prakerja bagaimana"),
        ("sy udh gk lolos2", "saya sudah tidak lolos lolos"),
        ("/status_verified", "/status_verified"),
        ("min", "min"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_keeps_entities_anchored() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components.normalizer import IndonesianNormalizer

    text = "Sy mau pindah dari GO-PAY ke bca min"
    msg = Message(
        data={
            "text": text,
            "entities": [
                {"start": 19, "end": 25, "value": "GoPay", "entity": "payment_provider"},
                {"start": 29, "end": 32, "value": "bca", "entity": "payment_provider"},
            ],
        }
    )
    IndonesianNormalizer({})._apply(msg)
    new = msg.get("text")
    spans = [new[e["start"] : e["end"]] for e in msg.get("entities")]
    assert spans == ["go-pay", "bca"]
