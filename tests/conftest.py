"""Shared test fixtures: a workbook builder, the example workbook and a CLI runner."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers import EXAMPLE, REPO, CliResult, run_cli, write_workbook

# Hypothesis profiles. `dev` (the default) and `ci` (.ci/run sets HYPOTHESIS_PROFILE=ci) are both
# derandomized and without a database, so a run tries the same examples every time and cannot fail
# at random; `dev` is quick (helpers.examples scales the tests' own counts to a sixteenth), `ci` runs
# them in full. `explore` is random and remembers failures, for a developer hunting new cases;
# a failure found once is pinned in its test with @example.
settings.register_profile("dev", max_examples=12, derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


_FILE_MARK = re.compile(r"^pytestmark = (\[[^\]]*\]|[^\n]*)", re.M)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A test file marked slow as a whole is not even imported when the run leaves slow tests out
    (the default `-m 'not slow'`): importing and rewriting it would cost the quick run for nothing.
    CI's `-m "slow or not slow"` collects it as usual."""
    if config.getoption("markexpr").replace(" ", "") != "notslow" or not collection_path.name.startswith("test_"):
        return None
    found = _FILE_MARK.search(collection_path.read_text(encoding="utf-8"))
    return True if found and "pytest.mark.slow" in found.group(1) else None


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
