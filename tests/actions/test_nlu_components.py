"""Unit tests for the custom NLU components in nlu/components (engine venv; lives here because
tests/actions is the engine-only test folder)."""

import sys
import tempfile
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
        ("Hi min", "halo"),
        ("iya min", "ya"),
        ("THANK YOU kak", "terima kasih"),
        ("met sore", "selamat sore"),
        ("nonaktifin notif", "matikan notif"),
        ("unsub dong", "berhenti langganan"),
        ("ndak usah", "tidak usah"),
        ("ora mudeng", "tidak mengerti"),
        ("batalin langganan", "batalkan langganan"),
        ("punten", "permisi"),
        ("dadaah min", "dadah"),
        ("wassalamu alaikum", "wassalamualaikum"),
        ("gabisa login min", "tidak bisa login"),
        ("gatau kak", "tidak tahu"),
        ("Kmrn gk lolos knpa ya", "kemarin tidak lolos kenapa ya"),
        ("gagal mulu", "gagal terus"),
        ("abis verif email", "habis verifikasi email"),
        ("norek ganti", "nomor rekening ganti"),
        ("hahaha oke", "oke"),
        ("wkwkwk", "wkwk"),
        ("pelatihan satpam gada pratama", "pelatihan satpam gada pratama"),
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


def _trained_pipeline() -> tuple[object, list[str]]:
    from nlu.components.sparse import build_pipeline

    texts = [
        "syarat daftar prakerja apa",
        "apa saja syarat ikut",
        "persyaratan kartu prakerja",
        "cara daftar akun prakerja",
        "bagaimana cara mendaftar",
        "langkah daftar di dashboard",
        "otp tidak masuk",
        "kode otp belum datang",
        "sms otp gagal",
    ]
    labels = ["ask_requirements"] * 3 + ["ask_registration"] * 3 + ["problem_otp"] * 3
    pipeline = build_pipeline({"model": "logreg", "C": 50})
    pipeline.fit(texts, labels)
    return pipeline, texts


def test_fast_path_gives_scikit_learns_probabilities() -> None:
    import numpy as np

    from nlu.components.sparse import FastLogReg

    pipeline, texts = _trained_pipeline()
    fast = FastLogReg.maybe(pipeline)
    assert fast is not None
    for text in [*texts, "gimana cara daftar prakerja min", "zzzz", ""]:
        expected = pipeline.predict_proba([text])[0]  # type: ignore[attr-defined]
        assert np.allclose(fast.predict_proba(text), expected, atol=1e-12), text


def test_payload_examples_are_not_learnt_so_internal_intents_cannot_be_typed() -> None:
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.sparse import SparseLinearIntentClassifier

    examples = [
        Message(data={"text": t, "intent": i})
        for t, i in [
            ("syarat daftar apa", "ask_requirements"),
            ("apa syaratnya", "ask_requirements"),
            ("otp tidak masuk", "problem_otp"),
            ("kode otp belum datang", "problem_otp"),
            ("halo", "greet"),
            ("hai kak", "greet"),
            ("/status_verified", "status_verified"),
        ]
    ]
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    component = SparseLinearIntentClassifier({}, storage, Resource("sparse"))
    component.train(TrainingData(examples))
    message = Message(data={"text": "status_verified"})
    component.process([message])
    names = [r["name"] for r in message.get("intent_ranking")]
    assert "status_verified" not in names
    assert set(names) == {"ask_requirements", "problem_otp", "greet"}


REFERENCE_EXAMPLES = [
    ("syarat daftar prakerja apa", "ask_requirements"),
    ("apa saja syarat ikut", "ask_requirements"),
    ("persyaratan kartu prakerja", "ask_requirements"),
    ("syarat umur berapa", "ask_requirements"),
    ("syaratnya apa aja min", "ask_requirements"),
    ("ketentuan peserta prakerja", "ask_requirements"),
    ("cara daftar akun prakerja", "ask_registration"),
    ("bagaimana cara mendaftar", "ask_registration"),
    ("langkah daftar di dashboard", "ask_registration"),
    ("gimana daftarnya kak", "ask_registration"),
    ("mau bikin akun prakerja", "ask_registration"),
    ("registrasi prakerja caranya", "ask_registration"),
    ("otp tidak masuk", "problem_otp"),
    ("kode otp belum datang", "problem_otp"),
    ("sms otp gagal", "problem_otp"),
    ("otp ga nyampe2", "problem_otp"),
    ("kode verifikasi sms tidak ada", "problem_otp"),
    ("otp expired terus", "problem_otp"),
]


def test_the_reference_members_fast_path_gives_scikit_learns_probabilities() -> None:
    import numpy as np

    from nlu.components.sparse import FastCalibratedSVC, build_reference

    reference = build_reference()
    reference.fit([t for t, _ in REFERENCE_EXAMPLES], np.array([i for _, i in REFERENCE_EXAMPLES]))
    fast = FastCalibratedSVC.maybe(reference)
    assert fast is not None
    for text in [t for t, _ in REFERENCE_EXAMPLES] + ["gimana cara daftar prakerja", "zzzz", ""]:
        expected = reference.predict_proba([text])[0]
        assert np.allclose(fast.predict_proba(text), expected, atol=1e-12), text


def test_the_reference_member_reads_the_text_as_typed_and_survives_a_reload() -> None:
    import numpy as np
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.normalizer import TEXT_AS_TYPED, IndonesianNormalizer
    from nlu.components.sparse import SparseLinearIntentClassifier

    normalizer = IndonesianNormalizer({})
    examples = [Message(data={"text": t, "intent": i}) for t, i in REFERENCE_EXAMPLES]
    training = normalizer.process_training_data(TrainingData(examples))
    assert examples[15].get(TEXT_AS_TYPED) == "otp ga nyampe2"
    config = {"reference_weight": 0.5}
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    component = SparseLinearIntentClassifier(config, storage, Resource("sparse"))
    component.train(training)
    assert component._reference is not None
    message = normalizer.process([Message(data={"text": "Kode OTP gk masuk2 min"})])[0]
    assert message.get(TEXT_AS_TYPED) == "Kode OTP gk masuk2 min" != message.get("text")
    blended = component.predict_proba([message])[0]
    lr_only = component._fast.predict_proba(message.get("text"))  # type: ignore[union-attr]
    typed = component._reference.predict_proba(["Kode OTP gk masuk2 min"])[0]
    assert np.allclose(blended, 0.5 * lr_only + 0.5 * typed)
    reloaded = SparseLinearIntentClassifier.load(config, storage, Resource("sparse"), None)  # type: ignore[arg-type]
    assert np.allclose(reloaded.predict_proba([message])[0], blended)
    reloaded.process([message])
    assert message.get("intent")["name"] == "problem_otp"
