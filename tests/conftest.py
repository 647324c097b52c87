"""Shared test fixtures: a workbook builder, the example workbook and a CLI runner."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from helpers import EXAMPLE, REPO, CliResult, run_cli, write_workbook

# Hypothesis: deterministic everywhere; CI (the `ci` profile) tries more examples where a test does
# not fix its own number (test_round_trip_property.py reads it to choose its size).
settings.register_profile("dev", derandomize=True)
settings.register_profile("ci", derandomize=True, max_examples=200)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    """A copy of the example input folder, so a test can never touch the real one."""
    target = tmp_path / "inputs"
    target.mkdir()
    shutil.copy(EXAMPLE, target / EXAMPLE.name)
    return target


@pytest.fixture
def project(tmp_path: Path, example_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder laid out like the repository: inputs/ and templates/."""
    (tmp_path / "templates").mkdir()
    shutil.copy(REPO / "templates" / "report.docx", tmp_path / "templates" / "report.docx")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    return run_cli


@pytest.fixture
def workbook(tmp_path: Path) -> Callable[..., Path]:
    """Write a small valid workbook; keyword arguments replace or extend its sheets."""
    counter = iter(range(1000))

    def make(name: str | None = None, **sheets) -> Path:
        path = tmp_path / (name or f"book{next(counter)}.xlsx")
        return write_workbook(path, **sheets)

    return make


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
