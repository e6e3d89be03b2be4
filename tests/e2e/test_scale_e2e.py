"""The scale test's short form (make scale-test is the full one): one Rasa server, two action
servers and two handoff instances behind Debian's nginx on real PostgreSQL and Redis, 40
conversations handed to agents on both instances, one action server and the handoff instance
holding the relay stream killed mid-run. Covers the handoff service's fan-out, leases and
takeover, the actions' balancing and the migration step; Rasa's replicas and their routing by
sender run only in the full form (each Rasa server needs ~1.3 GB and a minute to start)."""
from __future__ import annotations

import re
import subprocess
import sys

from scripts.stack import ROOT

LINE = re.compile(r"^lost (\d+) duplicated (\d+) cross-instance (\d+) throughput ([\d.]+)$")


def test_short_scale_run_loses_and_duplicates_nothing():
    run = subprocess.run([sys.executable, "-m", "scripts.scale_test", "--short"], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    lines = run.stdout.strip().splitlines()
    assert lines, run.stderr[-3000:]
    match = LINE.match(lines[-1])
    assert match, run.stdout[-3000:] + run.stderr[-3000:]
    lost, duplicated, cross = (int(match.group(i)) for i in (1, 2, 3))
    assert (lost, duplicated) == (0, 0), run.stdout[-3000:]
    assert cross > 0  # agents got handoffs whose events happened on the other instance
    assert run.returncode == 0
    assert "killed handoff" in run.stdout and "killed actions" in run.stdout
