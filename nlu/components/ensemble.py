"""Sparse linear intent classifier that is blended with DIET, a Rasa 3.6 graph component.

Trains a scikit-learn TF-IDF (char_wb n-grams + word n-grams, sublinear tf) +
LogisticRegression model on the (normalised) training texts. At inference it blends its
probabilities with the intent ranking already set by DIETClassifier (which must come
earlier in the pipeline with ``ranking_length: 0``):

    p(intent) = w * p_DIET(intent) + (1 - w) * p_LR(intent),
    w = diet_weight * min(1, diet_length_norm / number_of_tokens)

and writes the blended intent and ranking, so FallbackClassifier (placed after this
component) thresholds the blended confidence. TF-IDF weighting makes the linear model
robust to long messages whose context words dilute plain counts; DIET contributes
sharper confidences, which the fallback threshold needs to reject out-of-scope text.
DIET's weight shrinks for long messages because its un-normalised count features made
it confidently wrong on long messages with context (measured on the held-out set).
"""

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

_MODEL_FILE = "tfidf_lr.joblib"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfBlendIntentClassifier(GraphComponent):
    """TF-IDF + logistic regression, blended with the preceding DIET ranking."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "diet_weight": 0.5,
            "diet_length_norm": 10,
            "class_weight": None,
            "char_ngram_range": [2, 5],
            "word_ngram_range": [1, 2],
            "C": 20.0,
            "max_iter": 2000,
            "random_state": 42,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Any | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TfidfBlendIntentClassifier":
        return cls(config, model_storage, resource)

    def _build(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        c = self._config
        feats = FeatureUnion(
            [
                (
                    "char",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        sublinear_tf=True,
                        ngram_range=tuple(c["char_ngram_range"]),
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
        clf = LogisticRegression(
            C=c["C"],
            max_iter=c["max_iter"],
            class_weight=c["class_weight"],
            random_state=c["random_state"],
        )
        return Pipeline([("features", feats), ("clf", clf)])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        texts = [e.get(TEXT) for e in examples]
        labels = [e.get(INTENT) for e in examples]
        if len(set(labels)) < 2:
            logger.warning("Not enough intents to train %s.", self.__class__.__name__)
            return self._resource
        self._pipeline = self._build()
        self._pipeline.fit(texts, labels)
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
    ) -> "TfidfBlendIntentClassifier":
        pipeline = None
        try:
            with model_storage.read_from(resource) as model_dir:
                pipeline = joblib.load(model_dir / _MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("No trained %s found; it will pass messages through.", cls.__name__)
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._pipeline is None:
            return messages
        classes = list(self._pipeline.classes_)
        w0 = float(self._config["diet_weight"])
        norm = float(self._config["diet_length_norm"] or 0)
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            n_tokens = max(len(text.split()), 1)
            w = w0 * min(1.0, norm / n_tokens) if norm > 0 else w0
            p_lr = self._pipeline.predict_proba([text])[0]
            p = (1.0 - w) * p_lr
            prior = {r["name"]: r["confidence"] for r in message.get(INTENT_RANKING_KEY) or []}
            if prior and w > 0:
                p = p + w * np.array([prior.get(c, 0.0) for c in classes])
            else:
                p = p_lr
            order = np.argsort(-p)
            k = int(self._config["ranking_length"]) or len(classes)
            ranking = [{"name": classes[i], "confidence": float(p[i])} for i in order[:k]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
