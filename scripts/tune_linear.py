"""Cross-validate the linear intent classifier on data/nlu: calibration and the fallback threshold.

    PYTHONPATH=. .venv/bin/python -m scripts.tune_linear [--external ../shared/eval/nlu_dev_en_bitext.tsv]

The component's own out-of-fold predictions (config.yml's calibration_folds, on data/nlu and the
generated negatives) get a calibrated confidence from a calibrator fitted on the *other* 5 parts
of them, so every confidence below is for text neither the model nor the calibrator saw. With
--external, the **tune** half of that set is parsed by a model trained on all of data/nlu; its
report half is never read. Per FallbackClassifier threshold / ambiguity pair it prints accuracy
with fallback counted as wrong, the share of wrong answers the fallback catches, the share of
right answers it loses, the fallback rate on the held-back negatives and on vague probes written
for this script (not in the negatives' word lists), and a utility: right - wrong, a fallback 0.
Nothing here reads tests/.
"""
from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import yaml
from sklearn.model_selection import KFold

from bot.components.linear_core import NONE, Calibrator, out_of_fold, scaled_top_two
from bot.components.linear_intent import LinearIntentClassifier
from bot.components.tokenizer import MixedTokenizer
from scripts.eval_nlu import half, load_tsv
from scripts.nlu_overlap import TRAINING

ROOT = Path(__file__).resolve().parent.parent
# vague text the training negatives do not contain: does it fall under the threshold?
PROBES = ["where do i find that", "hmm, which one", "嗯嗯啊啊那个东西", "that one please?", "which thing",
          "so what about it", "那个是哪个", "嗯那个呢", "where would that be", "umm the other thing",
          "这个那个啥", "哪个东西啊", "asdf qwer", "xkcd lorem ipsum", "啊吧啊吧", "呃呃呃"]
GRID = [(t, a) for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7) for a in (0.0, 0.05, 0.1, 0.2)]
Scored = Tuple[List[bool], np.ndarray]  # right or not, and the reported top two confidences


def load_training() -> Tuple[List, List[str]]:
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = TrainingData().merge(*[load_data(str(p)) for p in sorted(TRAINING.glob("*.yml"))])
    examples = [m for m in data.intent_examples if m.get("text")]
    return examples, [m.get("intent_response_key") or m.get("intent") for m in examples]


def linear_config() -> Dict:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    mine = next((c for c in config["pipeline"] if c["name"].endswith("LinearIntentClassifier")), {})
    return {**LinearIntentClassifier.get_default_config(), **{k: v for k, v in mine.items() if k != "name"}}


def component(config: Dict):
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    return LinearIntentClassifier.create(config, storage, Resource("intents"), ExecutionContext(None, "t"))


def parse(model, tokenizer, texts: List[str]) -> Tuple[List[str], np.ndarray]:
    """Label at faq/<key> level and the reported top two confidences, per text."""
    from rasa.shared.nlu.training_data.message import Message

    messages = [Message(data={"text": t}) for t in texts]
    tokenizer.process(messages)
    model.process(messages)
    names, two = [], []
    for m in messages:
        ranking = m.get("intent_ranking")
        name = ranking[0]["name"]
        if name == "faq":
            name = m.get("response_selector")["faq"]["response"]["intent_response_key"]
        names.append(name)
        two.append([ranking[0]["confidence"], ranking[1]["confidence"] if len(ranking) > 1 else 0.0])
    return names, np.array(two)


def cross_calibrated(inputs: np.ndarray, correct: np.ndarray, two: np.ndarray) -> np.ndarray:
    """Reported top two confidences of every out-of-fold prediction, the calibrator not fitted on it."""
    out = np.zeros_like(two)
    for fit, held in KFold(5, shuffle=True, random_state=11).split(inputs):
        confidence = Calibrator.fit(inputs[fit], correct[fit])(inputs[held])
        out[held] = scaled_top_two(confidence, two[held])
    return out


def table(rows: Dict[str, Scored], negatives: np.ndarray, probes: np.ndarray) -> None:
    print("thr  amb  | " + " | ".join(f"{k}: acc / wrong caught / right lost / utility" for k in rows)
          + " | negatives, probes falling back")
    for t, a in GRID:
        def falls(two):
            return (two[:, 0] < t) | (two[:, 0] - two[:, 1] < a)
        cells = []
        for right, two in rows.values():
            right = np.array(right)
            fb = falls(two)
            acc = np.mean(right & ~fb)
            caught = np.mean(fb[~right]) if (~right).any() else 0.0
            lost = np.mean(fb[right])
            utility = int((right & ~fb).sum() - (~right & ~fb).sum())
            cells.append(f"{acc:.3f} / {caught:.2f} / {lost:.3f} / {utility}")
        print(f"{t:.2f} {a:.2f} | " + " | ".join(cells)
              + f" | {np.mean(falls(negatives)):.2f}, {np.mean(falls(probes)):.2f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--external", help="TSV intent, lang, text: its tune half is scored")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    examples, labels = load_training()
    tokenizer = MixedTokenizer.create(MixedTokenizer.get_default_config(), LocalModelStorage(Path(tempfile.mkdtemp())),
                                      Resource("tok"), ExecutionContext(None, "t"))
    tokenizer.process_training_data(TrainingData(training_examples=examples))
    config = linear_config()
    model = component(config)
    features, all_labels = model.training_set(examples, labels)
    inputs, correct, chosen, two = out_of_fold(features, all_labels, config["alpha"], config["epochs"],
                                               config["random_state"], config["calibration_folds"])
    reported = cross_calibrated(inputs, correct, two)
    real = np.array([lab != NONE for lab in all_labels])
    print(f"data/nlu out of fold: {real.sum()} examples, accuracy {correct[real].mean():.3f}; "
          f"{(~real).sum()} negatives", flush=True)
    rows: Dict[str, Scored] = {"data/nlu": (list(correct[real]), reported[real])}
    model.train(TrainingData(training_examples=examples))
    if args.external:
        tune = [e for e in load_tsv(args.external) if half(e.text) == "tune"]
        names, bitext = parse(model, tokenizer, [e.text for e in tune])
        rows["bitext tune"] = ([n == e.intent for n, e in zip(names, tune)], bitext)
    names, probes = parse(model, tokenizer, PROBES)
    for text, name, (c, s) in zip(PROBES, names, probes):
        print(f"  {text!r}: {name} {c:.2f} (next {s:.2f})")
    table(rows, reported[~real], probes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
