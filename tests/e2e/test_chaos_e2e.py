"""The short chaos run (bench/chaos.py --short): live handoffs on web and WeChat while the
handoff service, the action server, the Rasa server and Redis are SIGKILLed and restarted in
turn; no message either side sent may be lost, duplicated or reordered."""
from __future__ import annotations

import subprocess
import sys

from scripts.stack import ROOT


def test_no_message_lost_or_duplicated_while_processes_are_killed():
    subprocess.run([sys.executable, "-m", "scripts.train"], cwd=ROOT, check=True)
    run = subprocess.run([sys.executable, "-m", "bench.chaos", "--short"], cwd=ROOT,
                         capture_output=True, text=True, timeout=1500)
    print(run.stdout[-4000:], run.stderr[-4000:])
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "lost   0  duplicated   0  out of order   0" in run.stdout
