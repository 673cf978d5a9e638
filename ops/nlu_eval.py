"""Evaluate the trained Rasa NLU model on held-out messages, next to a TF-IDF baseline.

Usage (engine venv, from the repo root):
    .venvs/engine/bin/python ops/nlu_eval.py --model models/prakerja.tar.gz \
        --train nlu --test tests/nlu/heldout.yml --out reports/nlu

Writes <out>/report.md, <out>/report.json and <out>/confusion_matrix.png and prints a
summary table. Offline and deterministic (fixed seeds; the model is loaded, not trained).
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # custom components (nlu.*)

FALLBACK = "nlu_fallback"
OOS = "out_of_scope"
# "unclear" (a vague follow-up) is answered with the same clarifying question as nlu_fallback,
# so it counts as a fallback: right for out-of-scope messages, a fallback for in-scope ones
CLARIFY = "unclear"
FALLBACKS = {FALLBACK, CLARIFY}
REJECT = {FALLBACK, CLARIFY, OOS}


def load_examples(path: str) -> list[tuple[str, str]]:
    """(text, intent) pairs from a Rasa NLU file or directory."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([path], is_nlu_file))
    data = TrainingData().merge(*[load_data(f) for f in files])
    return [
        (ex.get("text"), ex.get("intent"))
        for ex in data.intent_examples
        if ex.get("text") and ex.get("intent")
    ]


def parse_all(model: str, texts: list[str]) -> list[dict[str, Any]]:
    """Parse every text; keep the predicted intent and the top-2 non-fallback ranking."""
    import structlog
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    async def go() -> list[dict[str, Any]]:
        out = []
        for t in texts:
            r = await agent.parse_message(t)
            ranking = [x for x in r.get("intent_ranking") or [] if x["name"] != FALLBACK]
            ranking.sort(key=lambda x: -(x.get("confidence") or 0.0))
            top = ranking[0] if ranking else {"name": r["intent"]["name"], "confidence": 0.0}
            out.append(
                {
                    "pred": r["intent"]["name"],
                    "conf": float(r["intent"].get("confidence") or 0.0),
                    "top": top["name"],
                    "c1": float(top.get("confidence") or 0.0),
                    "c2": float(ranking[1].get("confidence") or 0.0) if len(ranking) > 1 else 0.0,
                }
            )
        return out

    return asyncio.run(go())


def sweep(parsed: list[dict[str, Any]], gold: list[str], texts: list[str]) -> list[dict]:
    """Simulate FallbackClassifier thresholds on the un-fallbacked ranking."""
    rows = []
    for thr in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        for amb in (0.0, 0.05, 0.1):
            pred = [
                FALLBACK if (p["c1"] < thr or p["c1"] - p["c2"] < amb) else p["top"]
                for p in parsed
            ]
            m = metrics(gold, pred, texts)
            rows.append(
                {
                    "threshold": thr,
                    "ambiguity": amb,
                    "accuracy": m["accuracy"],
                    "oos_handled": m["oos_handled_rate"],
                    "in_scope_to_fallback": m["in_scope_to_fallback_rate"],
                    "long": m["long_messages_accuracy"],
                }
            )
    return rows


def baseline_model() -> Any:
    """TF-IDF (char_wb 2-5 + word 1-2) + LinearSVC: the plain reference to beat."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    feats = FeatureUnion(
        [
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True
                ),
            ),
            (
                "word",
                TfidfVectorizer(
                    analyzer="word", ngram_range=(1, 2), lowercase=True, sublinear_tf=True
                ),
            ),
        ]
    )
    return make_pipeline(feats, LinearSVC(C=1.0, random_state=42))


def baseline_predict(train: list[tuple[str, str]], texts: list[str]) -> list[str]:
    """The baseline trained on the same training examples."""
    clf = baseline_model()
    clf.fit([t for t, _ in train], [i for _, i in train])
    return list(clf.predict(texts))


def metrics(gold: list[str], pred: list[str], texts: list[str]) -> dict[str, Any]:
    n = len(gold)
    correct = [g == p or (g == OOS and p in REJECT) for g, p in zip(gold, pred, strict=True)]
    ins = [i for i, g in enumerate(gold) if g != OOS]
    oos = [i for i, g in enumerate(gold) if g == OOS]

    def acc(idx: list[int]) -> float | None:
        return round(sum(correct[i] for i in idx) / len(idx), 4) if idx else None

    long_idx = [i for i in range(n) if len(texts[i].split()) > 20]
    caps_idx = [i for i in range(n) if texts[i].isupper()]
    labels = sorted(set(gold) | {p if p != FALLBACK else FALLBACK for p in pred})
    per_intent = {}
    for lab in sorted(set(gold)):
        tp = sum(1 for g, p, c in zip(gold, pred, correct, strict=True) if g == lab and c)
        fp = sum(
            1
            for g, p in zip(gold, pred, strict=True)
            if g != lab and (p == lab or (lab == OOS and p in FALLBACKS))
        )
        fn = sum(1 for g, c in zip(gold, correct, strict=True) if g == lab and not c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_intent[lab] = {
            "precision": round(prec, 3),
            "recall": round(rec, 3),
            "f1": round(f1, 3),
            "support": tp + fn,
        }
    confused = Counter(
        (g, p) for g, p, c in zip(gold, pred, correct, strict=True) if not c
    ).most_common(15)
    return {
        "n": n,
        "accuracy": acc(list(range(n))),
        "in_scope_accuracy": acc(ins),
        "oos_handled_rate": acc(oos),
        "in_scope_to_fallback_rate": round(
            sum(1 for i in ins if pred[i] in FALLBACKS and gold[i] != CLARIFY) / len(ins), 4
        )
        if ins
        else None,
        "in_scope_to_oos_rate": round(sum(1 for i in ins if pred[i] == OOS) / len(ins), 4)
        if ins
        else None,
        "long_messages_accuracy": acc(long_idx),
        "long_messages_n": len(long_idx),
        "all_caps_accuracy": acc(caps_idx),
        "all_caps_n": len(caps_idx),
        "macro_f1": round(sum(v["f1"] for v in per_intent.values()) / len(per_intent), 4),
        "per_intent": per_intent,
        "most_confused": [{"gold": g, "pred": p, "count": c} for (g, p), c in confused],
        "labels": labels,
    }


def plot_confusion(gold: list[str], pred: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = sorted(set(gold))
    cols = [*rows, FALLBACK] if FALLBACK not in rows else rows
    cols = cols + sorted(set(pred) - set(cols))
    m = np.zeros((len(rows), len(cols)), dtype=int)
    for g, p in zip(gold, pred, strict=True):
        m[rows.index(g), cols.index(p)] += 1
    fig, ax = plt.subplots(figsize=(16, 14))
    norm = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=90, fontsize=7)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize=7)
    for i in range(len(rows)):
        for j in range(len(cols)):
            if m[i, j]:
                ax.text(
                    j,
                    i,
                    str(m[i, j]),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if norm[i, j] > 0.5 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/prakerja.tar.gz")
    ap.add_argument("--train", default="nlu")
    ap.add_argument("--test", default="tests/nlu/heldout.yml")
    ap.add_argument("--out", default="reports/nlu")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument(
        "--sweep",
        action="store_true",
        help="also simulate fallback thresholds (model trained with a low one)",
    )
    ap.add_argument("--show-errors", action="store_true", help="print every misclassified message")
    ap.add_argument(
        "--novel-only",
        action="store_true",
        help="score only the test messages whose normalised text is not a training example's",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("rasa", "tensorflow", "absl"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    test = load_examples(args.test)
    train = load_examples(args.train)
    if args.novel_only:
        # authors working from one brief repeat short messages: leave the twins out
        from nlu.components.normalizer import normalize

        seen = {normalize(t) for t, _ in train}
        test = [(t, i) for t, i in test if normalize(t) not in seen]
        print(f"{len(test)} test messages not in the training data (normalised)")
    texts = [t for t, _ in test]
    gold = [i for _, i in test]
    overlap = {t.lower() for t, _ in train} & {t.lower() for t in texts}

    t0 = time.time()
    parsed = parse_all(args.model, texts)
    parse_s = time.time() - t0
    pred = [p["pred"] for p in parsed]
    results: dict[str, Any] = {
        "model": args.model,
        "train": args.train,
        "test": args.test,
        "n_train": len(train),
        "n_test": len(test),
        "train_test_overlap": sorted(overlap),
        "rasa": metrics(gold, pred, texts),
    }
    plot_confusion(gold, pred, out / "confusion_matrix.png", f"Rasa NLU on {args.test}")
    if not args.no_baseline:
        bpred = baseline_predict(train, texts)
        results["baseline"] = metrics(gold, bpred, texts)
        plot_confusion(
            gold, bpred, out / "confusion_matrix_baseline.png", "Baseline TF-IDF + LinearSVC"
        )
    errors = [
        {"text": t, "gold": g, "pred": p, "confidence": round(c, 3)}
        for t, g, (p, c) in zip(texts, gold, [(x["pred"], x["conf"]) for x in parsed], strict=True)
        if not (g == p or (g == OOS and p in REJECT))
    ]
    results["rasa_errors"] = errors
    if args.sweep:
        results["sweep"] = sweep(parsed, gold, texts)
    (out / "report.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))

    rows = [
        ("intent accuracy (all, fallback = wrong for in-scope)", "accuracy"),
        ("in-scope accuracy", "in_scope_accuracy"),
        ("out-of-scope handled (oos or fallback)", "oos_handled_rate"),
        ("in-scope -> fallback", "in_scope_to_fallback_rate"),
        ("in-scope -> out_of_scope", "in_scope_to_oos_rate"),
        ("long messages (>20 words)", "long_messages_accuracy"),
        ("all-caps messages", "all_caps_accuracy"),
    ]
    r, b = results["rasa"], results.get("baseline")
    table = ["| metric | Rasa pipeline | baseline TF-IDF+LinearSVC |", "|---|---|---|"]
    for label, key in rows:
        table.append(f"| {label} | {fmt(r[key])} | {fmt(b[key]) if b else '-'} |")
    table.append(f"| macro F1 | {r['macro_f1']:.3f} | {b['macro_f1']:.3f} |" if b else "")
    md = [
        "# NLU evaluation report",
        "",
        f"- model: `{args.model}`",
        f"- training data: `{args.train}` ({len(train)} examples)",
        f"- held-out: `{args.test}` ({len(test)} messages, "
        f"{sum(g == OOS for g in gold)} out-of-scope, {r['long_messages_n']} long, "
        f"{r['all_caps_n']} all-caps)",
        f"- exact train/held-out overlap: {len(overlap)}",
        "",
        "## Summary",
        "",
        *table,
        "",
        "## Per-intent precision / recall / F1 (Rasa)",
        "",
        "| intent | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for lab, v in r["per_intent"].items():
        bl = b["per_intent"][lab]["f1"] if b else None
        md.append(
            f"| {lab} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f}"
            f"{' (baseline ' + format(bl, '.2f') + ')' if b else ''} | {v['support']} |"
        )
    md += [
        "",
        "## Most confused pairs (Rasa)",
        "",
        "| gold | predicted | count |",
        "|---|---|---|",
    ]
    md += [f"| {c['gold']} | {c['pred']} | {c['count']} |" for c in r["most_confused"]]
    if b:
        md += [
            "",
            "## Most confused pairs (baseline)",
            "",
            "| gold | predicted | count |",
            "|---|---|---|",
        ]
        md += [f"| {c['gold']} | {c['pred']} | {c['count']} |" for c in b["most_confused"]]
    md += [
        "",
        "## Misclassified held-out messages (Rasa)",
        "",
        "| text | gold | predicted | conf |",
        "|---|---|---|---|",
    ]
    md += [f"| {e['text']} | {e['gold']} | {e['pred']} | {e['confidence']} |" for e in errors]
    md += ["", "![confusion matrix](confusion_matrix.png)", ""]
    (out / "report.md").write_text("\n".join(md))

    print("\n".join(t for t in table if t))
    if args.sweep:
        print("\nthreshold ambiguity  acc    oos    in->fb  long")
        for row in results["sweep"]:
            print(
                f"  {row['threshold']:.2f}     {row['ambiguity']:.2f}    {fmt(row['accuracy'])}"
                f"  {fmt(row['oos_handled'])}  {fmt(row['in_scope_to_fallback'])}"
                f"  {fmt(row['long'])}"
            )
    if args.show_errors:
        for e in errors:
            print(f"  {e['gold']:28s} -> {e['pred']:28s} {e['confidence']:.2f}  {e['text']}")
    print(f"\nreport: {out / 'report.md'}  (parse {parse_s:.1f}s for {len(texts)} messages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
