"""NLU evaluation report (`make eval`).

Scores the trained model on (a) the held-out split in tests/nlu_holdout/ (never trained on)
and optionally (b) an external TSV with columns intent, lang, text, reported whole and in two
fixed halves chosen by a hash of each text: tune on the `tune` half, quote the `report` half
(a figure nobody tuned on). Retrieval intents are
scored at the `faq/<key>` level using the ResponseSelector's choice. Each language is
reported separately, with per-intent precision/recall/F1 and the most confused pairs.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import json
import logging
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

from scripts.nlu_overlap import training_texts
from scripts.nlu_similarity import RULES, find_matches

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Example:
    text: str
    intent: str
    language: str


def load_holdout(folder: Path) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples: List[Example] = []
    for path in sorted(folder.glob("*.yml")):
        data = load_data(str(path))
        for message in data.intent_examples:
            intent = message.get("intent_response_key") or message.get("intent")
            examples.append(Example(message.get("text"), intent, path.stem))
    return examples


def load_tsv(path: Path) -> List[Example]:
    with open(path, encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [Example(r["text"], r["intent"], r.get("lang") or "en") for r in rows if r.get("text")]


def half(text: str) -> str:
    """The fixed half of an external set a text belongs to: the same on every machine and run."""
    return "tune" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "report"


def predicted_label(parse: Dict) -> str:
    intent = (parse.get("intent") or {}).get("name") or "None"
    if intent == "emotion_escalation":
        # the understanding is scored, not the emotion-driven offer that replaced it
        intent = (parse.get("emotion_escalation") or {}).get("intent") or intent
    if intent == "faq":
        selector = (parse.get("response_selector") or {}).get("faq") or {}
        key = (selector.get("response") or {}).get("intent_response_key")
        return key or "faq"
    return intent


def _quiet_structlog() -> None:
    """Rasa logs every parse at debug level through structlog; a report needs none of it."""
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


async def predict(model: Path, examples: List[Example]) -> Tuple[List[str], float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    _quiet_structlog()
    started = time.perf_counter()
    labels = [predicted_label(await agent.parse_message(e.text)) for e in examples]
    return labels, (time.perf_counter() - started) / max(1, len(examples))


def score(gold: List[str], pred: List[str]) -> Dict:
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(gold))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    per_intent = {lab: {"precision": round(float(p[i]), 3), "recall": round(float(r[i]), 3),
                        "f1": round(float(f[i]), 3), "support": int(s[i])} for i, lab in enumerate(labels)}
    confused = Counter((g, q) for g, q in zip(gold, pred) if g != q).most_common(10)
    accuracy = sum(g == q for g, q in zip(gold, pred)) / max(1, len(gold))
    return {"n": len(gold), "accuracy": round(accuracy, 4), "per_intent": per_intent,
            "confused": [{"gold": g, "predicted": q, "count": c} for (g, q), c in confused]}


def markdown(title: str, result: Dict) -> str:
    lines = [f"### {title}", "", f"n = {result['n']}, accuracy = **{result['accuracy']:.3f}**", "",
             "| intent | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, m in result["per_intent"].items():
        lines.append(f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    lines += ["", "Most confused (gold → predicted):", ""]
    lines += [f"- {c['gold']} → {c['predicted']}: {c['count']}" for c in result["confused"]] or ["- none"]
    return "\n".join(lines) + "\n"


def evaluate(name: str, examples: List[Example], pred: List[str], per_message: float) -> Tuple[str, Dict]:
    results = {"all": score([e.intent for e in examples], pred)}
    for language in sorted({e.language for e in examples}):
        idx = [i for i, e in enumerate(examples) if e.language == language]
        results[language] = score([examples[i].intent for i in idx], [pred[i] for i in idx])
    errors = [{"text": e.text, "gold": e.intent, "predicted": p, "language": e.language}
              for e, p in zip(examples, pred) if e.intent != p]
    summary = ", ".join(f"{k}: {v['accuracy']:.3f}" for k, v in results.items())
    text = f"## {name}\n\nAccuracy — {summary}; {per_message * 1000:.1f} ms per message.\n\n"
    text += "".join(markdown(f"{name} — {k}", v) for k, v in results.items() if k != "all" or len(results) > 2)
    return text, {"results": results, "ms_per_message": per_message * 1000, "errors": errors}


def tied_to_training(external: List[Example]) -> List[bool]:
    """Which external texts a training example ties to, by any rule of scripts.nlu_similarity."""
    return [m is not None for m in find_matches([s.text for s in training_texts()], [e.text for e in external])]


def overlap_line(name: str, external: List[Example]) -> str:
    """How many external texts are tied to a training example, counted by the strongest rule."""
    matches = find_matches([s.text for s in training_texts()], [e.text for e in external])
    by_rule = Counter(m.rule for m in matches if m)
    rules = ", ".join(f"{rule} {by_rule[rule]}" for rule in RULES if by_rule[rule]) or "none"
    return f"{name}: {sum(by_rule.values())} of {len(external)} texts tied to a training example ({rules})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "frontline.tar.gz"))
    parser.add_argument("--holdout", default=str(ROOT / "tests" / "nlu_holdout"))
    parser.add_argument("--external", help="TSV with columns intent, lang, text")
    parser.add_argument("--out", default=str(ROOT / "reports" / "nlu"))
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sections, data = [], {}
    holdout = load_holdout(Path(args.holdout))
    external = load_tsv(Path(args.external)) if args.external else []
    # one model load, one parse per text; the halves are slices of the external set's parses
    pred, per_message = asyncio.run(predict(Path(args.model), holdout + external))
    sets = [("held-out", holdout, pred[:len(holdout)])]
    if args.external:
        # a text that also trains the model flatters the figure: say how many there are, by rule
        overlap = overlap_line(Path(args.external).name, external)
        print(overlap)
        name, ext_pred = Path(args.external).name, pred[len(holdout):]
        sets.append((name, external, ext_pred))
        for which in ("tune", "report"):
            idx = [i for i, e in enumerate(external) if half(e.text) == which]
            sets.append((f"{name} ({which} half)", [external[i] for i in idx], [ext_pred[i] for i in idx]))
        # the figure no training sentence flatters: only texts no rule ties to data/nlu
        tied = tied_to_training(external)
        idx = [i for i, t in enumerate(tied) if not t]
        sets.append((f"{name} (not tied to training)", [external[i] for i in idx], [ext_pred[i] for i in idx]))
        sections.append(f"{overlap}\n")
    for name, examples, labels in sets:
        text, result = evaluate(name, examples, labels, per_message)
        sections.append(text)
        data[name] = result
        print(text.split("\n\n")[1])
    report = "# NLU evaluation\n\n" + "\n".join(sections)
    (out / "report.md").write_text(report, encoding="utf-8")
    (out / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"report: {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
