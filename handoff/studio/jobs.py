"""Validate, train and evaluate a candidate model in the background; accept switches the bot.

Every step is a subprocess (validation, `rasa train`, `python -m scripts.studio_eval`): the
handoff service never imports the bot's code or Rasa's. The candidate
goes to its own file under the candidates folder; the running bot's model is untouched until
a designer accepts, and then Rasa loads the new file through `PUT /model` (no restart).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp

log = logging.getLogger(__name__)
CODE_ROOT = Path(__file__).resolve().parents[2]
DETERMINISTIC_ENV = {"TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1",
                     "TF_DETERMINISTIC_OPS": "1", "PYTHONHASHSEED": "0",
                     "TF_CPP_MIN_LOG_LEVEL": "3"}
LOG_TAIL = 4000


@dataclass
class Step:
    name: str
    status: str = "pending"  # pending | running | ok | failed
    seconds: float = 0.0
    output: str = ""


@dataclass
class Job:
    id: str
    started_by: str
    status: str = "running"  # running | ready | failed | accepted
    created_at: float = field(default_factory=time.time)
    steps: List[Step] = field(default_factory=list)
    candidate: Optional[str] = None
    baseline: Optional[str] = None
    comparison: Dict[str, Any] = field(default_factory=dict)
    error: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


class Trainer:
    """One training at a time per service instance (the machine has a few cores, not many)."""

    def __init__(self, project: Path, candidates: Path, current_model: Path, rasa_url: str,
                 rasa_token: Optional[str]) -> None:
        self.project, self.candidates = Path(project), Path(candidates)
        self.current_model = Path(current_model)
        self.rasa_url, self.rasa_token = rasa_url.rstrip("/"), rasa_token
        self.jobs: Dict[str, Job] = {}
        self.task: Optional[asyncio.Task] = None

    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, who: str) -> Job:
        job = Job(id=time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6], started_by=who,
                  steps=[Step(n) for n in ("validate", "train", "evaluate")])
        self.jobs[job.id] = job
        self.task = asyncio.ensure_future(self._run(job))
        return job

    async def _exec(self, step: Step, args: List[str], cwd: Path, timeout: float) -> int:
        step.status, started = "running", time.monotonic()
        env = {**os.environ, **DETERMINISTIC_ENV,
               "PYTHONPATH": os.pathsep.join([str(CODE_ROOT), os.environ.get("PYTHONPATH", "")])}
        proc = await asyncio.create_subprocess_exec(*args, cwd=str(cwd), env=env,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            out = f"timed out after {timeout:.0f} s".encode()
        step.seconds = round(time.monotonic() - started, 1)
        step.output = out.decode("utf-8", "replace")[-LOG_TAIL:]
        step.status = "ok" if proc.returncode == 0 else "failed"
        return proc.returncode or 0

    def _rasa(self) -> str:
        return str(Path(sys.executable).parent / "rasa")

    async def _run(self, job: Job) -> None:
        try:
            await self._pipeline(job)
        except Exception as exc:  # the job says why; the service goes on
            log.exception("studio training job %s failed", job.id)
            job.status, job.error = "failed", str(exc)

    async def _pipeline(self, job: Job) -> None:
        p, out = self.project, self.candidates / job.id
        out.mkdir(parents=True, exist_ok=True)
        validate, train, evaluate = job.steps
        data = [str(p / "data" / "nlu"), str(p / "data" / "stories")]
        # this checkout's own data: `make validate`'s strict check (also no test sentence
        # that is a training example); another project: Rasa's validation
        check = [sys.executable, "-m", "scripts.validate_data"] if p.resolve() == CODE_ROOT \
            else [self._rasa(), "data", "validate", "--domain", str(p / "domain.yml"),
                  "--config", str(p / "config.yml"), "--data", *data]
        if await self._exec(validate, check, p, 600):
            job.status, job.error = "failed", "validation failed"
            return
        if await self._exec(train, [self._rasa(), "train", "--domain", str(p / "domain.yml"),
                                    "--config", str(p / "config.yml"), "--data", *data,
                                    "--out", str(out), "--fixed-model-name", "candidate",
                                    "--augmentation", "0"], p, 3600):
            job.status, job.error = "failed", "training failed"
            return
        job.candidate = str(out / "candidate.tar.gz")
        job.baseline = str(self.current_model) if self.current_model.exists() else None
        models = [("candidate", job.candidate)] + ([("current", job.baseline)] if job.baseline else [])
        args = [sys.executable, "-m", "scripts.studio_eval", "--out", str(out)]
        args += [a for name, path in models for a in ("--model", f"{name}={path}")]
        holdout, test_file = p / "tests" / "nlu_holdout", p / "tests" / "test_stories.yml"
        if holdout.is_dir():
            args += ["--holdout", str(holdout)]
        if test_file.exists():
            args += ["--stories", str(test_file)]
        if (p / "endpoints.test.yml").exists():
            args += ["--endpoints", str(p / "endpoints.test.yml")]
        if await self._exec(evaluate, args, CODE_ROOT, 3600):
            job.status, job.error = "failed", "evaluation failed"
            return
        comparison: Dict[str, Any] = {"nlu": {}, "stories": {}}
        for name, _ in models:
            found = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
            if found.get("nlu"):
                comparison["nlu"][name] = _nlu_summary(found["nlu"])
            if found.get("core"):
                comparison["stories"][name] = _story_summary(test_file, Path(found["core"]))
        job.comparison = comparison
        (out / "job.json").write_text(json.dumps(job.to_dict(), ensure_ascii=False, indent=1),
                                      encoding="utf-8")
        job.status = "ready"

    async def accept(self, job: Job) -> None:
        """Rasa loads the candidate file and serves it from the next message on."""
        if job.status != "ready" or not job.candidate:
            raise ValueError("only a finished candidate can be accepted")
        params = {"token": self.rasa_token} if self.rasa_token else {}
        async with aiohttp.ClientSession() as http:
            async with http.put(f"{self.rasa_url}/model", params=params,
                                json={"model_file": job.candidate},
                                timeout=aiohttp.ClientTimeout(total=300)) as resp:
                if resp.status >= 300:
                    raise RuntimeError(f"Rasa refused the model: {resp.status} "
                                       f"{(await resp.text())[:300]}")
        job.status = "accepted"
        self.current_model = Path(job.candidate)


def _nlu_summary(results: Dict[str, Any]) -> Dict[str, Any]:
    """Accuracy per language and the most confused pairs."""
    return {"accuracy": {lang: r.get("accuracy") for lang, r in results.items()},
            "n": {lang: r.get("n") for lang, r in results.items()},
            "confused": (results.get("all") or {}).get("confused", [])[:10]}


def _count_stories(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()
               if line.startswith("- story:"))


def _story_name(text: str) -> str:
    """Rasa names a failed story `name (path/of/the/file.yml)`: the name alone."""
    name = text.strip()
    head, sep, tail = name.rpartition(" (")
    return head if sep and tail.endswith(".yml)") else name


def _story_summary(test_file: Path, core: Path) -> Dict[str, Any]:
    total = _count_stories(test_file)
    failed_file = core / "failed_test_stories.yml"
    failed = _count_stories(failed_file)
    names = [_story_name(line.split(":", 1)[1]) for line in
             (failed_file.read_text(encoding="utf-8").splitlines() if failed_file.exists() else [])
             if line.startswith("- story:")]
    return {"total": total, "passed": total - failed, "failed": names[:50],
            "ran": (core / "story_report.json").exists() or failed_file.exists()}
