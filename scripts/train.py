"""Train the assistant when its model is older than its data (`make train`).

Holds a file lock so parallel callers (tests, demo) train once and share the model.
Trains the emotion classifier first (it is stored inside the Rasa model).
"""
from __future__ import annotations

import argparse
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
MODEL = MODELS / "frontline.tar.gz"
# the emotion classifier is stored inside the Rasa model, so a retrained one means a new model
INPUTS = ["domain.yml", "config.yml", "data/nlu", "data/stories", "bot/components",
          "bot/emotion/component.py", "models/emotion/emotion_linear.npz"]
EMOTION_INPUTS = ["data/emotion", "bot/emotion/train.py", "bot/emotion/features.py", "bot/emotion/corpus.py"]
EMOTION_MODEL = MODELS / "emotion" / "emotion_linear.npz"
TRAINING_DATA = ["data/nlu", "data/stories"]


def newest_input_mtime(inputs=INPUTS) -> float:
    newest = 0.0
    for name in inputs:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            if "__pycache__" not in file.parts:
                newest = max(newest, file.stat().st_mtime)
    return newest


def model_is_stale() -> bool:
    return not MODEL.exists() or MODEL.stat().st_mtime < newest_input_mtime()


def emotion_is_stale() -> bool:
    return not EMOTION_MODEL.exists() or EMOTION_MODEL.stat().st_mtime < newest_input_mtime(EMOTION_INPUTS)


def train_emotion() -> None:
    print(">> training the emotion classifier", flush=True)
    subprocess.run([sys.executable, "-m", "bot.emotion.train"], cwd=ROOT, check=True)


# One TensorFlow thread plus the seeds in config.yml make training reproducible: CI, a laptop
# and `make eval` get the very same model from the same data (checked: two trainings gave
# identical predictions on the whole held-out set). Multi-threaded reductions may not.
DETERMINISTIC_ENV = {"TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1",
                     "TF_DETERMINISTIC_OPS": "1", "PYTHONHASHSEED": "0"}


def train_rasa() -> None:
    rasa = Path(sys.executable).parent / "rasa"
    cmd = [
        str(rasa), "train",
        "--domain", "domain.yml", "--config", "config.yml",
        "--data", *TRAINING_DATA,
        "--out", str(MODELS), "--fixed-model-name", "frontline",
        "--augmentation", "0",
    ]
    print(">> training the assistant (about 2-4 minutes on 2 cores)", flush=True)
    started = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, check=True, env={**os.environ, **DETERMINISTIC_ENV})
    print(f">> trained in {time.monotonic() - started:.0f} s: {MODEL}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="train even if the model is current")
    args = parser.parse_args()
    MODELS.mkdir(exist_ok=True)
    with open(MODELS / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if args.force or emotion_is_stale():
            train_emotion()
        if args.force or model_is_stale():
            # the tarball's mtime marks the data it was trained on: taken before training, so
            # an edit made while it trains leaves the model stale
            trained_on = newest_input_mtime()
            train_rasa()
            os.utime(MODEL, (trained_on, trained_on))
        else:
            print(f">> model is up to date: {MODEL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
