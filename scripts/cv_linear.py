"""5-fold cross-validation of the linear intent classifier as the pipeline runs it.

    PYTHONPATH=. .venv/bin/python -m scripts.cv_linear ['{"stems": false}'] [--errors]

Each fold trains the component (calibration included) on four fifths of data/nlu and parses the
fifth; a parse counts as right when its label (faq/<key> level) is the gold one and its
confidence reaches config.yml's FallbackClassifier threshold. Figures per language (a text with
a Chinese character is zh). Then a model trained on all of data/nlu parses the **tune** half of
the Bitext dev set; its report half is never read. The optional JSON overrides the component's
config.yml settings, to compare choices on the same folds. Nothing here reads tests/.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import yaml

from bot.components.tokenizer import MixedTokenizer
from scripts.eval_nlu import half, load_tsv
from scripts.tune_linear import component, linear_config, load_training, parse

ROOT = Path(__file__).resolve().parent.parent
BITEXT = ROOT.parent / "shared" / "eval" / "nlu_dev_en_bitext.tsv"


def threshold() -> float:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    return next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")["threshold"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="?", default="{}", help="JSON merged into the component's config")
    parser.add_argument("--external", default=str(BITEXT), help="TSV intent, lang, text: its tune half is scored")
    parser.add_argument("--errors", action="store_true", help="print the confusions and the tune half's misses")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from sklearn.model_selection import StratifiedKFold
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    overrides = json.loads(args.overrides)
    config, limit = {**linear_config(), **overrides}, threshold()
    examples, gold = load_training()
    tokenizer = MixedTokenizer.create(MixedTokenizer.get_default_config(), LocalModelStorage(Path(tempfile.mkdtemp())),
                                      Resource("tok"), ExecutionContext(None, "t"))
    tokenizer.process_training_data(TrainingData(training_examples=examples))
    texts = [m.get("text") for m in examples]
    language = np.array(["zh" if re.search(r"[\u4e00-\u9fff]", t) else "en" for t in texts])
    gold = np.array(gold, dtype=object)
    counts = Counter(gold)
    strata = [g if counts[g] >= 5 else "__rare__" for g in gold]
    right, top = np.zeros(len(gold), bool), np.zeros(len(gold), bool)
    predicted = np.empty(len(gold), dtype=object)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=3).split(texts, strata):
        model = component(config)
        model.train(TrainingData(training_examples=[examples[i] for i in train]))
        names, two = parse(model, tokenizer, [texts[i] for i in test])
        predicted[test] = names
        top[test] = predicted[test] == gold[test]
        right[test] = top[test] & (two[:, 0] >= limit)
    figures = {lang: f"{right[language == lang].mean():.4f} (label only {top[language == lang].mean():.4f}, "
                     f"n={int((language == lang).sum())})" for lang in ("zh", "en")}
    print(f"{json.dumps(overrides)} 5-fold CV: {figures}", flush=True)
    if args.errors:
        for lang in ("zh", "en"):
            pairs = Counter((g, p) for g, p, l in zip(gold, predicted, language) if g != p and l == lang)
            print(f"  {lang} confusions:", pairs.most_common(15))
    if args.external:
        model = component(config)
        model.train(TrainingData(training_examples=examples))
        tune = [e for e in load_tsv(Path(args.external)) if half(e.text) == "tune"]
        names, two = parse(model, tokenizer, [e.text for e in tune])
        ok = np.array([n == e.intent for n, e in zip(names, tune)])
        print(f"Bitext tune half: {np.mean(ok & (two[:, 0] >= limit)):.4f} (label only {ok.mean():.4f}, n={len(tune)})")
        if args.errors:
            for name, example, confidence in zip(names, tune, two[:, 0]):
                if name != example.intent or confidence < limit:
                    print(f"  {example.intent} -> {name} {confidence:.2f}: {example.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
