"""Sparse linear intent classifier (TF-IDF + a linear model), a TensorFlow-free Rasa component.

Trains a scikit-learn pipeline on the (normalised) training texts: TF-IDF over char_wb n-grams
(affixes, typos, run-together words) and word n-grams, sublinear tf so long messages with context
first are not dominated by their length, then either a multinomial logistic regression
(``model: logreg``) or a LinearSVC with sigmoid-calibrated probabilities (``model: svm``). It
writes a full intent ranking with probabilities, so FallbackClassifier (placed after it) rejects
low-confidence messages. ``ops/nlu_cv.py`` chose the settings by stratified k-fold
cross-validation over the training data; see docs/nlu.md.

``build_pipeline`` is used by the component and by the cross-validation script alike, so what is
selected is exactly what runs.
"""

from __future__ import annotations

import logging
from typing import Any

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

_MODEL_FILE = "sparse_linear.joblib"

DEFAULTS: dict[str, Any] = {
    "model": "logreg",
    "C": 20.0,
    "class_weight": None,
    "char_ngram_range": [2, 5],
    "word_ngram_range": [1, 2],
    "max_iter": 3000,
    "random_state": 42,
    "ranking_length": 10,
}


def build_pipeline(config: dict[str, Any]) -> Any:
    """The scikit-learn pipeline for these settings (unfitted)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    c = {**DEFAULTS, **config}
    features = FeatureUnion(
        [
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", sublinear_tf=True, ngram_range=tuple(c["char_ngram_range"])
                ),
            ),
            (
                "word",
                TfidfVectorizer(
                    analyzer="word",
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                    ngram_range=tuple(c["word_ngram_range"]),
                ),
            ),
        ]
    )
    if c["model"] == "svm":
        svc = LinearSVC(C=c["C"], class_weight=c["class_weight"], random_state=c["random_state"])
        clf: Any = CalibratedClassifierCV(svc, method="sigmoid", cv=3)
    elif c["model"] == "logreg":
        clf = LogisticRegression(
            C=c["C"],
            max_iter=c["max_iter"],
            class_weight=c["class_weight"],
            random_state=c["random_state"],
        )
    else:
        raise ValueError(f"unknown model {c['model']!r} (logreg or svm)")
    return Pipeline([("features", features), ("clf", clf)])


class FastLogReg:
    """``pipeline.predict_proba`` for one message, the same figures at a fraction of the cost.

    scikit-learn's path validates the fitted state, builds sparse matrices and multiplies them by
    ``coef_.T``, a strided view that scipy copies on every call: most of a Rasa turn's CPU. Here
    each TF-IDF block is computed directly (analyser, vocabulary lookup, sublinear tf, idf, L2
    norm) and the scores are the selected rows of a C-ordered weight matrix, then a softmax.
    """

    def __init__(self, pipeline: Any) -> None:
        features = pipeline.named_steps["features"]
        clf = pipeline.named_steps["clf"]
        self._blocks = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            self._blocks.append(
                (vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset)
            )
            offset += len(vectorizer.vocabulary_)
        self._weights = np.ascontiguousarray(clf.coef_.T)
        self._intercept = clf.intercept_.copy()

    @classmethod
    def maybe(cls, pipeline: Any) -> FastLogReg | None:
        """For ``build_pipeline``'s pipeline with a multinomial logistic regression, else None."""
        from sklearn.linear_model import LogisticRegression

        if pipeline is None:
            return None
        clf = pipeline.named_steps.get("clf")
        features = pipeline.named_steps.get("features")
        if not isinstance(clf, LogisticRegression) or clf.coef_.shape[0] < 3:
            return None
        if any(
            not getattr(v, "sublinear_tf", False) or v.norm != "l2"
            for _, v in features.transformer_list
        ):
            return None
        return cls(pipeline)

    def predict_proba(self, text: str) -> Any:
        """Class probabilities for one text (order of ``classes_``)."""
        rows: list[int] = []
        values: list[float] = []
        for analyzer, vocabulary, idf, offset in self._blocks:
            counts: dict[int, int] = {}
            for token in analyzer(text):
                index = vocabulary.get(token)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            index_array = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            weighted = tf * idf[index_array]
            weighted /= np.sqrt((weighted * weighted).sum())
            rows.extend((index_array + offset).tolist())
            values.extend(weighted.tolist())
        scores = self._intercept.copy()
        if rows:
            scores += np.asarray(values) @ self._weights[rows]
        scores -= scores.max()
        probabilities = np.exp(scores)
        return probabilities / probabilities.sum()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SparseLinearIntentClassifier(GraphComponent):
    """TF-IDF (char_wb + words) and a linear model; no TensorFlow at training or inference."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return dict(DEFAULTS)

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Any | None = None,
    ) -> None:
        self._config = {**DEFAULTS, **config}
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline
        self._classes: list[str] = list(pipeline.classes_) if pipeline is not None else []
        self._fast = FastLogReg.maybe(pipeline)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SparseLinearIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        # "/intent" examples are payloads the bot sends; Rasa parses them without NLU, and an
        # internal intent such as status_verified must never be predicted from typed text.
        examples = [
            e
            for e in training_data.intent_examples
            if e.get(TEXT) and not e.get(TEXT).startswith("/")
        ]
        labels = [e.get(INTENT) for e in examples]
        if len(set(labels)) < 2:
            logger.warning("Not enough intents to train %s.", self.__class__.__name__)
            return self._resource
        self._pipeline = build_pipeline(self._config)
        self._pipeline.fit([e.get(TEXT) for e in examples], labels)
        self._classes = list(self._pipeline.classes_)
        self._fast = FastLogReg.maybe(self._pipeline)
        with self._model_storage.write_to(self._resource) as model_dir:
            joblib.dump(self._pipeline, model_dir / _MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SparseLinearIntentClassifier:
        pipeline = None
        try:
            with model_storage.read_from(resource) as model_dir:
                pipeline = joblib.load(model_dir / _MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("No trained %s found; it will pass messages through.", cls.__name__)
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        if self._pipeline is None or not todo:
            return messages
        # one vectorised call for the whole batch (Rasa passes one message per turn)
        texts = [m.get(TEXT) for m in todo]
        if self._fast is not None:
            probabilities = [self._fast.predict_proba(text) for text in texts]
        else:
            probabilities = self._pipeline.predict_proba(texts)
        k = int(self._config["ranking_length"]) or len(self._classes)
        for message, p in zip(todo, probabilities, strict=True):
            order = p.argsort()[::-1][:k]
            ranking = [{"name": self._classes[i], "confidence": float(p[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
