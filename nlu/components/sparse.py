"""Sparse linear intent classifier (TF-IDF + a linear model), a TensorFlow-free Rasa component.

Trains a scikit-learn pipeline on the (normalised) training texts: TF-IDF over char_wb n-grams
(affixes, typos, run-together words) and word n-grams, sublinear tf so long messages with context
first are not dominated by their length, then either a multinomial logistic regression
(``model: logreg``) or a LinearSVC with sigmoid-calibrated probabilities (``model: svm``). It
writes a full intent ranking with probabilities, so FallbackClassifier (placed after it) rejects
low-confidence messages. ``ops/nlu_cv.py`` chose the settings by stratified k-fold
cross-validation over the training data; see docs/nlu.md.

With ``reference_weight`` above 0, a second member votes: the plain TF-IDF + LinearSVC reference
(``build_reference``, the baseline every round is compared with) trained on the text as typed,
its probabilities sigmoid-calibrated; the ranking is the weighted mean of both members'
probabilities. The reference member reads a differently written message the way the baseline
does, the normalised member reads slang and regional words; by cross-validation and on the
retired blind sets the two together make fewer errors than either.

``build_pipeline`` and ``build_reference`` are used by the component and by the cross-validation
script alike, so what is selected is exactly what runs.
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

from nlu.components.normalizer import TEXT_AS_TYPED

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
    "reference_weight": 0.0,
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


def build_reference(random_state: int = 42) -> Any:
    """The baseline's TF-IDF + LinearSVC (``ops/nlu_eval.baseline_model``), with probabilities:
    sigmoid calibration on 5-fold predictions, the final SVM fitted on all the data."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ]
    )
    svm = LinearSVC(C=1.0, random_state=random_state)
    clf = CalibratedClassifierCV(svm, method="sigmoid", cv=5, ensemble=False)
    return Pipeline([("features", features), ("clf", clf)])


def _feature_blocks(pipeline: Any) -> list[tuple[Any, dict[str, int], Any, int]]:
    """(analyser, vocabulary, idf, column offset) of each TF-IDF block of a fitted pipeline."""
    blocks = []
    offset = 0
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        analyzer = vectorizer.build_analyzer()
        blocks.append((analyzer, vectorizer.vocabulary_, vectorizer.idf_, offset))
        offset += len(vectorizer.vocabulary_)
    return blocks


def _tfidf(blocks: list[tuple[Any, dict[str, int], Any, int]], text: str) -> tuple[list[int], Any]:
    """Columns and values of one text's TF-IDF row (sublinear tf, each block L2-normalised)."""
    rows: list[int] = []
    values: list[float] = []
    for analyzer, vocabulary, idf, offset in blocks:
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
    return rows, np.asarray(values)


def _plain_tfidf(pipeline: Any) -> bool:
    return all(
        getattr(v, "sublinear_tf", False) and v.norm == "l2"
        for _, v in pipeline.named_steps["features"].transformer_list
    )


class FastCalibratedSVC:
    """``build_reference``'s ``predict_proba`` for one message, without scikit-learn's overhead:
    the SVM's decision scores, each class's sigmoid, normalised to sum to one."""

    def __init__(self, pipeline: Any) -> None:
        self._blocks = _feature_blocks(pipeline)
        (calibrated,) = pipeline.named_steps["clf"].calibrated_classifiers_
        svm = calibrated.base_estimator
        self._weights = np.ascontiguousarray(svm.coef_.T)
        self._intercept = svm.intercept_.copy()
        self._a = np.array([c.a_ for c in calibrated.calibrators])
        self._b = np.array([c.b_ for c in calibrated.calibrators])

    @classmethod
    def maybe(cls, pipeline: Any) -> FastCalibratedSVC | None:
        """For ``build_reference``'s fitted pipeline (one calibrated multi-class SVM), or None."""
        if pipeline is None:
            return None
        clf = pipeline.named_steps.get("clf")
        calibrated = getattr(clf, "calibrated_classifiers_", None)
        if not calibrated or len(calibrated) != 1 or not _plain_tfidf(pipeline):
            return None
        if len(calibrated[0].calibrators) < 3 or not hasattr(calibrated[0], "base_estimator"):
            return None
        return cls(pipeline)

    def predict_proba(self, text: str) -> Any:
        """Class probabilities for one text (order of ``classes_``)."""
        rows, values = _tfidf(self._blocks, text)
        decision = self._intercept.copy()
        if rows:
            decision += values @ self._weights[rows]
        proba = 1.0 / (1.0 + np.exp(self._a * decision + self._b))
        total = proba.sum()
        if total == 0:
            return np.full(len(proba), 1.0 / len(proba))
        return proba / total


class FastLogReg:
    """``pipeline.predict_proba`` for one message, the same figures at a fraction of the cost.

    scikit-learn's path validates the fitted state, builds sparse matrices and multiplies them by
    ``coef_.T``, a strided view that scipy copies on every call: most of a Rasa turn's CPU. Here
    each TF-IDF block is computed directly (analyser, vocabulary lookup, sublinear tf, idf, L2
    norm) and the scores are the selected rows of a C-ordered weight matrix, then a softmax.
    """

    def __init__(self, pipeline: Any) -> None:
        clf = pipeline.named_steps["clf"]
        self._blocks = _feature_blocks(pipeline)
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
        if features is None or not _plain_tfidf(pipeline):
            return None
        return cls(pipeline)

    def predict_proba(self, text: str) -> Any:
        """Class probabilities for one text (order of ``classes_``)."""
        rows, values = _tfidf(self._blocks, text)
        scores = self._intercept.copy()
        if rows:
            scores += values @ self._weights[rows]
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
        reference: Any | None = None,
    ) -> None:
        self._config = {**DEFAULTS, **config}
        self._model_storage = model_storage
        self._resource = resource
        self._set_models(pipeline, reference)

    def _set_models(self, pipeline: Any | None, reference: Any | None) -> None:
        self._pipeline, self._reference = pipeline, reference
        self._classes: list[str] = list(pipeline.classes_) if pipeline is not None else []
        if reference is not None and list(reference.classes_) != self._classes:
            raise ValueError("the reference member was trained on other intents")
        self._weight = float(self._config["reference_weight"]) if reference is not None else 0.0
        self._fast = FastLogReg.maybe(pipeline)
        self._fast_reference = FastCalibratedSVC.maybe(reference)

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
        pipeline = build_pipeline(self._config)
        pipeline.fit([e.get(TEXT) for e in examples], labels)
        reference = None
        if float(self._config["reference_weight"]) > 0:
            reference = build_reference(int(self._config["random_state"]))
            # an array: the calibration's per-class count compares labels element-wise
            reference.fit([as_typed(e) for e in examples], np.asarray(labels))
        self._set_models(pipeline, reference)
        with self._model_storage.write_to(self._resource) as model_dir:
            joblib.dump({"pipeline": pipeline, "reference": reference}, model_dir / _MODEL_FILE)
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
        stored: Any = None
        try:
            with model_storage.read_from(resource) as model_dir:
                stored = joblib.load(model_dir / _MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("No trained %s found; it will pass messages through.", cls.__name__)
        if isinstance(stored, dict):
            return cls(config, model_storage, resource, stored["pipeline"], stored["reference"])
        return cls(config, model_storage, resource, stored)  # a model of an earlier round

    def predict_proba(self, messages: list[Message]) -> list[Any]:
        """Each message's class probabilities (order of ``classes_``), members blended."""
        assert self._pipeline is not None, "not trained"
        texts = [m.get(TEXT) for m in messages]
        if self._fast is not None:
            probabilities = [self._fast.predict_proba(text) for text in texts]
        else:
            probabilities = list(self._pipeline.predict_proba(texts))
        if self._weight <= 0 or self._reference is None:
            return probabilities
        typed = [as_typed(m) for m in messages]
        if self._fast_reference is not None:
            reference = [self._fast_reference.predict_proba(text) for text in typed]
        else:
            reference = list(self._reference.predict_proba(typed))
        w = self._weight
        return [(1 - w) * p + w * r for p, r in zip(probabilities, reference, strict=True)]

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        if self._pipeline is None or not todo:
            return messages
        k = int(self._config["ranking_length"]) or len(self._classes)
        for message, p in zip(todo, self.predict_proba(todo), strict=True):
            order = p.argsort()[::-1][:k]
            ranking = [{"name": self._classes[i], "confidence": float(p[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


def as_typed(message: Message) -> str:
    """The message's text before the normaliser rewrote it (its text when there is none)."""
    typed = message.get(TEXT_AS_TYPED)
    return typed if isinstance(typed, str) and typed else str(message.get(TEXT))
