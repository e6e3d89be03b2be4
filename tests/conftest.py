"""Fixtures shared by every test folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the designer studio reads and writes: the domain, the training data and the test sets.
STUDIO_FILES = ("domain.yml", "data/nlu", "data/stories", "tests/test_stories.yml",
                "tests/nlu_holdout")


@pytest.fixture()
def studio_project(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the project's training files for the studio to write into (STUDIO_PROJECT_DIR
    points at it), so no test touches the real data."""
    for rel in STUDIO_FILES:
        src, dst = ROOT / rel, tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    monkeypatch.setenv("STUDIO_PROJECT_DIR", str(tmp_path))
    return tmp_path
