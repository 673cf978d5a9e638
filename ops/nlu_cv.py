"""Choose the NLU pipeline and the fallback threshold by stratified k-fold cross-validation.

Usage (engine venv, from the repo root):
    .venvs/engine/bin/python ops/nlu_cv.py --train nlu --out reports/nlu-cv

Only the training data is read: no held-out set takes part in the choice. For every candidate
(the sparse linear classifier of nlu/components/sparse.py with different settings, with and
without the slang normaliser, and the plain TF-IDF + LinearSVC baseline) it fits k folds, keeps the
out-of-fold probabilities and reports the mean and spread of the fold accuracies. The fallback
threshold is then calibrated on those out-of-fold predictions: among the settings that send at
most ``--max-fallback`` of the in-scope messages to fallback, the one with the most messages
handled right (accuracy with fallback applied), then the most out-of-scope messages rejected, then
the smaller ambiguity gap and the higher threshold (a threshold that costs nothing still turns
wrong answers into a clarifying question). ``--objective oos`` restores the rule of rounds 6-8
(the most out-of-scope messages rejected first).
The candidate with the best cross-validated accuracy (fallback applied) wins; ``config.yml``
must carry its settings, which this script checks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ops.nlu_eval import CLARIFY, FALLBACK, FALLBACKS, OOS, REJECT, load_examples

INTERNAL = {"status_verified"}  # sent by the bot as a payload, never typed

# Each candidate: a name, the component settings, whether texts are normalised first.
CANDIDATES: list[dict[str, Any]] = [
    {"name": "baseline: TF-IDF + LinearSVC C=1 (no normaliser, no fallback)", "baseline": True},
    {"name": "logreg C=50", "cfg": {"model": "logreg", "C": 50}, "norm": True},
    {"name": "logreg C=100", "cfg": {"model": "logreg", "C": 100}, "norm": True},
    {"name": "logreg C=200", "cfg": {"model": "logreg", "C": 200}, "norm": True},
    {"name": "logreg C=100, no normaliser", "cfg": {"model": "logreg", "C": 100}, "norm": False},
    {"name": "svm C=1 (calibrated)", "cfg": {"model": "svm", "C": 1.0}, "norm": True},
    {"name": "svm C=2 (calibrated)", "cfg": {"model": "svm", "C": 2.0}, "norm": True},
    # round 10: the baseline itself, calibrated, votes on the text as typed (see sparse.py)
    {
        "name": "logreg C=200 + reference w=0.5",
        "cfg": {"model": "logreg", "C": 200, "reference_weight": 0.5},
        "norm": True,
    },
    {
        "name": "logreg C=200 + reference w=0.7",
        "cfg": {"model": "logreg", "C": 200, "reference_weight": 0.7},
        "norm": True,
    },
]


class Blend:
    """The component's two members outside Rasa: fitted and asked with the texts as typed, the
    logistic regression reads them normalised, the reference member as they are."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        from nlu.components.sparse import build_pipeline, build_reference

        self.weight = float(cfg["reference_weight"])
        self.main = build_pipeline({k: v for k, v in cfg.items() if k != "reference_weight"})
        self.reference = build_reference()

    def fit(self, texts: list[str], labels: np.ndarray) -> Blend:
        from nlu.components.normalizer import normalize

        self.main.fit([normalize(t) for t in texts], labels)
        self.reference.fit(texts, np.asarray(labels))
        self.classes_ = self.main.classes_
        assert list(self.reference.classes_) == list(self.classes_)
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        from nlu.components.normalizer import normalize

        main = self.main.predict_proba([normalize(t) for t in texts])
        return (1 - self.weight) * main + self.weight * self.reference.predict_proba(texts)


def fold_splits(
    labels: np.ndarray, folds: int, seed: int, groups: list[str] | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold (train, test) indices; with ``groups``, messages of one group (e.g. the
    same normalised text) stay in one fold, so a copy never scores its twin."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    x = np.zeros(len(labels))
    if groups is None:
        return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, labels))
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    return list(splitter.split(x, labels, groups))


def oof_probabilities(
    make: Any,
    texts: list[str],
    labels: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, list[str], list[float], float]:
    """Out-of-fold class probabilities, the class order, per-fold accuracies, seconds per fit."""
    classes = sorted(set(labels))
    proba = np.zeros((len(texts), len(classes)))
    accs: list[float] = []
    spent = 0.0
    x = np.array(texts, dtype=object)
    for train_idx, test_idx in splits:
        model = make()
        t0 = time.perf_counter()
        model.fit(list(x[train_idx]), labels[train_idx])
        spent += time.perf_counter() - t0
        cols = [classes.index(c) for c in model.classes_]
        if hasattr(model, "predict_proba"):
            proba[np.ix_(test_idx, cols)] = model.predict_proba(list(x[test_idx]))
        else:  # the baseline has no probabilities: one-hot of its decision
            pred = model.predict(list(x[test_idx]))
            for row, p in zip(test_idx, pred, strict=True):
                proba[row, classes.index(p)] = 1.0
        fold_pred = np.array(classes)[proba[test_idx].argmax(axis=1)]
        accs.append(float((fold_pred == labels[test_idx]).mean()))
    return proba, classes, accs, spent / len(splits)


def apply_fallback(
    proba: np.ndarray, classes: list[str], threshold: float, ambiguity: float
) -> np.ndarray:
    """Intents with FallbackClassifier's rule (top < threshold, or top-2 gap < ambiguity)."""
    order = np.sort(proba, axis=1)
    top, second = order[:, -1], order[:, -2]
    pred = np.array(classes, dtype=object)[proba.argmax(axis=1)]
    pred[(top < threshold) | (top - second < ambiguity)] = FALLBACK
    return pred


def scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """The issue's figures; out_of_scope or fallback count as right for out-of-scope gold."""
    ins = gold != OOS
    correct = (gold == pred) | (~ins & np.isin(pred, list(REJECT)))
    return {
        "accuracy": float(correct.mean()),
        "in_scope_accuracy": float(correct[ins].mean()),
        "oos_handled": float(correct[~ins].mean()) if (~ins).any() else float("nan"),
        "in_scope_to_fallback": float(
            (np.isin(pred[ins], list(FALLBACKS)) & (gold[ins] != CLARIFY)).mean()
        ),
    }


def calibrate(
    proba: np.ndarray,
    classes: list[str],
    gold: np.ndarray,
    max_fallback: float,
    objective: str = "accuracy",
) -> tuple[float, float]:
    """The (threshold, ambiguity) with at most ``max_fallback`` of the in-scope messages sent to
    fallback that handles the most messages right (``objective="accuracy"``; ties: more
    out-of-scope rejected, then the smaller ambiguity gap, then the higher threshold), or that
    rejects the most out-of-scope messages (``objective="oos"``, rounds 6-8; ties: accuracy)."""
    best = (0.0, 0.0)
    best_key: tuple[float, ...] = (-1.0, -1.0, -1.0)
    n = len(gold)
    n_oos = max(int((gold == OOS).sum()), 1)
    for ambiguity in (0.0, 0.01, 0.02, 0.03, 0.05):
        for threshold in np.arange(0.0, 0.71, 0.01):
            s = scores(gold, apply_fallback(proba, classes, float(threshold), ambiguity))
            if s["in_scope_to_fallback"] <= max_fallback:
                right = round(s["accuracy"] * n)  # whole messages: exact ties
                oos = round(s["oos_handled"] * n_oos) if n_oos else 0
                if objective == "oos":
                    key: tuple[float, ...] = (round(s["oos_handled"], 3), s["accuracy"], 0.0)
                else:
                    key = (right, oos, -ambiguity, float(threshold))
                if key > best_key:
                    best_key, best = key, (round(float(threshold), 2), ambiguity)
    return best


def per_fold(
    proba: np.ndarray,
    classes: list[str],
    gold: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    thr: float,
    amb: float,
) -> list[float]:
    """Accuracy with fallback applied, fold by fold (same split as the fit)."""
    pred = apply_fallback(proba, classes, thr, amb)
    out = []
    for _, test_idx in splits:
        out.append(scores(gold[test_idx], pred[test_idx])["accuracy"])
    return out


def per_intent(gold: np.ndarray, pred: np.ndarray) -> list[tuple[str, int, float, float]]:
    """(intent, support, recall, precision) per gold intent, weakest recall first; an
    out-of-scope message counts as right when rejected (out_of_scope, fallback or unclear)."""
    right = (gold == pred) | ((gold == OOS) & np.isin(pred, list(REJECT)))
    out = []
    for intent in sorted(set(gold)):
        mine = gold == intent
        said = pred == intent
        precision = float((said & mine).sum() / said.sum()) if said.any() else float("nan")
        out.append((intent, int(mine.sum()), float(right[mine].mean()), precision))
    return sorted(out, key=lambda r: (r[2], r[0]))


def error_report(
    errors: dict[str, tuple[np.ndarray, np.ndarray]],
    texts: list[str],
    chosen: str | None,
    per_intent_errors: int,
) -> str:
    """Markdown: per-intent recall and the most confused pairs of every candidate, and the
    chosen candidate's out-of-fold errors (training texts as written), weakest intents first."""
    from collections import Counter

    md = ["# Out-of-fold errors (training data only)", ""]
    for name, (gold, pred) in errors.items():
        wrong = (gold != pred) & ~((gold == OOS) & np.isin(pred, list(REJECT)))
        pairs = Counter(zip(gold[wrong], pred[wrong], strict=True)).most_common(15)
        md += [f"## {name}{' (chosen)' if name == chosen else ''}", ""]
        md += ["| intent | n | recall | precision |", "|---|---|---|---|"]
        md += [f"| {i} | {n} | {r:.1%} | {p:.1%} |" for i, n, r, p in per_intent(gold, pred)]
        md += ["", "| gold → predicted | count |", "|---|---|"]
        md += [f"| {g} → {p} | {c} |" for (g, p), c in pairs]
        md.append("")
    if chosen in errors:
        gold, pred = errors[chosen]
        md += [f"## Errors of {chosen}", ""]
        for intent, n, recall, _ in per_intent(gold, pred):
            rows = [
                i
                for i in np.flatnonzero(gold == intent)
                if pred[i] != intent and not (intent == OOS and pred[i] in REJECT)
            ]
            if not rows:
                continue
            md.append(f"### {intent} ({recall:.1%} of {n})")
            md += [f"- → {pred[i]}: {texts[i]}" for i in rows[:per_intent_errors]]
            md.append("")
    return "\n".join(md) + "\n"


def configured_classifier(config_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sparse classifier's and the FallbackClassifier's settings in config.yml."""
    import yaml

    pipeline: list[dict[str, Any]] = yaml.safe_load(config_path.read_text())["pipeline"]
    sparse: dict[str, Any] = next(
        (c for c in pipeline if c["name"].endswith("SparseLinearIntentClassifier")), {}
    )
    fallback: dict[str, Any] = next((c for c in pipeline if c["name"] == "FallbackClassifier"), {})
    return sparse, fallback


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default="nlu")
    ap.add_argument("--config", default="config.yml")
    ap.add_argument("--out", default="reports/nlu-cv")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max-fallback", type=float, default=0.02)
    ap.add_argument(
        "--objective",
        choices=("accuracy", "oos"),
        default="accuracy",
        help="fallback calibration: most messages right (default) or most out-of-scope rejected",
    )
    ap.add_argument(
        "--group-duplicates",
        action="store_true",
        help="keep messages with the same normalised text in one fold (a leak check)",
    )
    ap.add_argument(
        "--group-by-batch",
        action="store_true",
        help="keep each batch (one file's examples of one intent, written in one go by one"
        " author) in one fold: scores messages from authors the model has not read",
    )
    ap.add_argument(
        "--only",
        help="evaluate only candidates whose name matches this regular expression (re.search)",
    )
    ap.add_argument(
        "--errors", type=int, default=12, help="out-of-fold errors listed per intent in errors.md"
    )
    args = ap.parse_args(argv)

    from nlu.components.normalizer import normalize
    from nlu.components.sparse import build_pipeline
    from ops.nlu_eval import baseline_model

    data = [
        (t, i) for t, i in load_examples(args.train) if i not in INTERNAL and not t.startswith("/")
    ]
    raw = [t for t, _ in data]
    normalised = [normalize(t) for t in raw]
    gold = np.array([i for _, i in data], dtype=object)
    groups = normalised if args.group_duplicates else None
    if args.group_by_batch:
        batch_of: dict[tuple[str, str], str] = {}
        for path in sorted(Path(args.train).rglob("*.yml")):
            for t, i in load_examples(str(path)):
                batch_of.setdefault((t, i), f"{path.name}:{i}")
        groups = [batch_of[example] for example in data]
    splits = fold_splits(gold, args.folds, args.seed, groups)
    print(
        f"{len(data)} training examples, {len(set(gold))} intents, {args.folds}-fold stratified CV"
        f"{' (same normalised text in one fold)' if args.group_duplicates else ''}"
        f"{' (each file-and-intent batch in one fold)' if args.group_by_batch else ''}"
        f" (seed {args.seed}); fallback calibrated to in-scope → fallback"
        f" ≤ {args.max_fallback:.1%} (objective: {args.objective})\n"
    )
    rows = []
    errors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for cand in CANDIDATES:
        if args.only and not re.search(args.only, cand["name"]):
            continue
        make: Any
        if cand.get("baseline"):
            make, texts = baseline_model, raw
        elif cand["cfg"].get("reference_weight"):
            make, texts = partial(Blend, cand["cfg"]), raw
        else:
            make = partial(build_pipeline, cand["cfg"])
            texts = normalised if cand["norm"] else raw
        proba, classes, accs, fit_s = oof_probabilities(make, texts, gold, splits)
        if cand.get("baseline"):
            thr, amb = 0.0, 0.0
        else:
            thr, amb = calibrate(proba, classes, gold, args.max_fallback, args.objective)
        s = scores(gold, apply_fallback(proba, classes, thr, amb))
        with_fb = per_fold(proba, classes, gold, splits, thr, amb)
        row = {
            "name": cand["name"],
            "settings": cand.get("cfg"),
            "normaliser": cand.get("norm", False),
            "accuracy_no_fallback_mean": float(np.mean(accs)),
            "accuracy_no_fallback_std": float(np.std(accs)),
            "threshold": thr,
            "ambiguity": amb,
            "accuracy_mean": float(np.mean(with_fb)),
            "accuracy_std": float(np.std(with_fb)),
            **{f"pooled_{k}": v for k, v in s.items()},
            "fit_seconds": round(fit_s, 2),
        }
        rows.append(row)
        errors[cand["name"]] = (gold, apply_fallback(proba, classes, thr, amb))
        print(
            f"{row['name']:<58} acc {row['accuracy_mean']:.1%} ± {row['accuracy_std']:.1%}"
            f"  (no fallback {row['accuracy_no_fallback_mean']:.1%}"
            f" ± {row['accuracy_no_fallback_std']:.1%})  thr {thr:.2f}/{amb:.2f}"
            f"  oos {s['oos_handled']:.1%}  in→fb {s['in_scope_to_fallback']:.1%}"
            f"  fit {fit_s:.1f}s",
            flush=True,
        )
    learned = [r for r in rows if r["settings"] is not None]
    chosen = (
        max(learned, key=lambda r: (round(r["accuracy_mean"], 3), -r["fit_seconds"]))
        if learned
        else None
    )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    md = [
        "# NLU cross-validation (training data only)",
        "",
        f"{len(data)} examples, {len(set(gold))} intents, {args.folds}-fold stratified,"
        f" seed {args.seed}. Fallback threshold calibrated on out-of-fold predictions:"
        f" in-scope → fallback ≤ {args.max_fallback:.1%}, objective: {args.objective}.",
        "",
        "| candidate | accuracy (fallback applied), mean ± sd | without fallback"
        " | threshold / ambiguity | out-of-scope handled | in-scope → fallback | fit (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(
            f"| {r['name']}{' **(chosen)**' if r is chosen else ''}"
            f" | {r['accuracy_mean']:.1%} ± {r['accuracy_std']:.1%}"
            f" | {r['accuracy_no_fallback_mean']:.1%} ± {r['accuracy_no_fallback_std']:.1%}"
            f" | {r['threshold']:.2f} / {r['ambiguity']:.2f} | {r['pooled_oos_handled']:.1%}"
            f" | {r['pooled_in_scope_to_fallback']:.1%} | {r['fit_seconds']} |"
        )
    status = 0
    if chosen is not None:
        sparse, fallback = configured_classifier(Path(args.config))
        wanted = {**chosen["settings"]}
        mismatch = {k: (sparse.get(k), v) for k, v in wanted.items() if sparse.get(k) != v}
        if (
            fallback.get("threshold") != chosen["threshold"]
            or fallback.get("ambiguity_threshold") != chosen["ambiguity"]
        ):
            mismatch["fallback"] = (
                (fallback.get("threshold"), fallback.get("ambiguity_threshold")),
                (chosen["threshold"], chosen["ambiguity"]),
            )
        md += [
            "",
            f"Chosen: **{chosen['name']}**, fallback"
            f" {chosen['threshold']:.2f} / {chosen['ambiguity']:.2f}.",
        ]
        if mismatch and not args.only:
            md.append(f"config.yml differs from the choice: {mismatch}")
            print(f"\n! config.yml differs from the cross-validated choice: {mismatch}")
            status = 1
        elif not args.only:
            md.append("config.yml carries these settings.")
            print("\nconfig.yml carries the cross-validated choice.")
    (out / "report.md").write_text("\n".join(md) + "\n")
    (out / "errors.md").write_text(
        error_report(errors, raw, chosen["name"] if chosen else None, args.errors)
    )
    (out / "report.json").write_text(
        json.dumps({"rows": rows, "chosen": chosen and chosen["name"]}, indent=2)
    )
    print(f"report: {out / 'report.md'}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
