"""Training time from scratch, server start-up time and memory, per Rasa config or model.

  .venv/bin/python bench/train_start.py --train config.yml [--train bench/stock_config.yml] \
      --start ours=models/frontline.tar.gz [--start diet=/tmp/diet.tar.gz]

--train: `rasa train` with an empty cache (RASA_CACHE_DIRECTORY in a temp folder), so nothing is
reused; the same command as scripts/train.py (one TF thread, fixed hash seed), wall seconds.
--start: `rasa run --enable-api` on a free loopback port with that model and no endpoints; start-up
is the launch until /model/parse answers (endpoints.test.yml: NLG only), memory the server's resident set size (VmRSS, and
VmHWM the peak) after 20 parses. Loopback only; nothing is written into models/.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Dict, Tuple

ROOT = Path(__file__).resolve().parent.parent
RASA = Path(sys.executable).parent / "rasa"
ENV = {**os.environ, "TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1",
       "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
TEXTS = ["你好", "包邮吗", "我的快递到哪了", "where is my order", "is shipping free", "转人工"]


def train_seconds(config: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        cmd = [str(RASA), "train", "--domain", "domain.yml", "--config", str(config), "--data", "data/nlu",
               "data/stories", "--out", tmp, "--fixed-model-name", "bench", "--augmentation", "0"]
        started = time.monotonic()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**ENV, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")})
        return time.monotonic() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _parse(port: int, text: str) -> Dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/model/parse",
                                     data=json.dumps({"text": text}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _memory_mb(pid: int) -> Tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def start_up(model: Path, timeout: float = 300.0) -> Tuple[float, float, float]:
    port = _free_port()
    credentials = Path(tempfile.mkdtemp(prefix="bench-start-")) / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")  # the REST channel alone: no channel secrets
    # endpoints.test.yml: the shop's NLG and nothing else (no action server, tracker or lock store)
    cmd = [str(RASA), "run", "--enable-api", "--model", str(model), "--port", str(port),
           "--interface", "127.0.0.1", "--endpoints", "endpoints.test.yml", "--credentials", str(credentials)]
    started = time.monotonic()
    server = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"rasa run exited with {server.returncode}")
            try:
                _parse(port, "你好")
                break
            except OSError:
                if time.monotonic() - started > timeout:
                    raise
                time.sleep(0.2)
        seconds = time.monotonic() - started
        for i in range(20):
            _parse(port, TEXTS[i % len(TEXTS)])
        rss, peak = _memory_mb(server.pid)
        return seconds, rss, peak
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, action="append", default=[], help="a Rasa config to train")
    parser.add_argument("--start", action="append", default=[], metavar="NAME=MODEL")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    for config in args.train:
        print(f"| train `{config}` from scratch | {train_seconds(config):.0f} s |", flush=True)
    for item in args.start:
        name, _, path = item.partition("=")
        seconds, rss, peak = start_up(Path(path).resolve())
        print(f"| start `{name}` | {seconds:.1f} s to the first parse | RSS {rss:.0f} MB (peak {peak:.0f} MB) |",
              flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
