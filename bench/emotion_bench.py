"""Time per message of bot.emotion.analyze on the project's own messages (no shared data needed).

    python bench/emotion_bench.py [--repeat 20]
Prints mean and p95 milliseconds per message; the PRODUCT.md target is < 1 ms.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]  # spaCy needs no TF here

from bot.emotion.analyzer import analyze  # noqa: E402
from bot.emotion.corpus import own_examples  # noqa: E402
from bot.emotion.model import get_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    texts = [e.text for e in own_examples()]
    for t in texts:
        analyze(t)  # warm-up
    timings = []
    for _ in range(args.repeat):
        for t in texts:
            started = time.perf_counter()
            analyze(t)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    mean = sum(timings) / len(timings)
    p95 = timings[int(len(timings) * 0.95)]
    print(f"model loaded: {get_model() is not None}; messages: {len(timings)}; "
          f"mean {mean:.3f} ms; p95 {p95:.3f} ms per message")
    return 0 if mean < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
