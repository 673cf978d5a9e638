"""The sequential graph runner gives exactly what dask gives, on the real model."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine import loader
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.server.runner import SequentialGraphRunner, install_sequential_runner
from tests.engine.conftest import MODEL

MESSAGES = [
    "syarat ikut prakerja apa aja",
    "min gelombang brp yg lg buka?",
    "sy udh daftar tp blm dpt email",
    "halo",
    "resep rendang padang",
    "terus gimana?",
]


@pytest.fixture(scope="module")
def runners() -> tuple[object, object, object]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}")
    loaded = []
    for runner_class in (DaskGraphRunner, SequentialGraphRunner):
        metadata, runner = loader.load_predict_graph_runner(
            Path(tempfile.mkdtemp()), MODEL, LocalModelStorage, runner_class
        )
        loaded.append(runner)
    return metadata, loaded[0], loaded[1]


def test_parse_and_prediction_match_dask(runners: tuple) -> None:
    metadata, dask_runner, sequential = runners
    domain = Domain.from_dict(metadata.domain.as_dict())
    for text in MESSAGES:
        tracker = DialogueStateTracker("s", domain.slots)
        inputs = {"__message__": [UserMessage(text)], "__tracker__": tracker}
        parsed = [
            r.run(inputs=inputs, targets=[metadata.nlu_target])[metadata.nlu_target][0]
            for r in (dask_runner, sequential)
        ]
        assert parsed[0].as_dict() == parsed[1].as_dict(), text
        intent = parsed[0].get("intent")
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(text, intent, parse_data=parsed[0].as_dict()))
        predictions = [
            r.run(inputs={"__tracker__": tracker}, targets=[metadata.core_target])[
                metadata.core_target
            ]
            for r in (dask_runner, sequential)
        ]
        assert predictions[0].probabilities == predictions[1].probabilities, text
        assert predictions[0].policy_name == predictions[1].policy_name, text


def test_installed_for_the_message_processor() -> None:
    import rasa.core.processor as processor

    install_sequential_runner()
    assert processor.DaskGraphRunner is SequentialGraphRunner
