"""ruff (lint and format) is clean over code and notebooks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed (pip install -e '.[test]')")
@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["check", "fmt"])
def test_ruff_is_clean(args):
    proc = subprocess.run([RUFF, *args], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(
    shutil.which("mypy", path=str(Path(sys.executable).parent)) is None,
    reason="mypy is not installed (pip install -e '.[test]')",
)
def test_mypy_is_clean_on_course_lib_and_autograder():
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    proc = subprocess.run([mypy], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
