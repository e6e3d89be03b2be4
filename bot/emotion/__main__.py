"""`python -m bot.emotion`: one message per stdin line -> one JSON object per stdout line."""
from __future__ import annotations

import io
import json
import sys
from typing import Optional, TextIO

from bot.emotion.analyzer import analyze


def run(stdin: TextIO, stdout: TextIO) -> int:
    count = 0
    for line in stdin:
        result = analyze(line.rstrip("\r\n"))
        stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        stdout.flush()
        count += 1
    return count


def main(argv: Optional[list] = None) -> None:
    # spaCy's thinc imports TensorFlow when it is installed (Rasa installs it): seconds of
    # start-up this blank-pipeline CLI never uses. Only this process is affected.
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    # Shoppers' text is UTF-8 whatever the terminal's locale says.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=False)
    run(stdin, stdout)
    stdout.flush()


if __name__ == "__main__":
    main()
