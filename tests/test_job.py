"""Tests for autograder.job: what one grading job makes of a notebook before it runs it.

Jobs that run notebooks are exercised through grade (test_grade, test_adversarial).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import autograder.course
from autograder.job import _read_notebook_problem


def _notebook(path: Path) -> Path:
    nbformat.write(nbformat.v4.new_notebook(), str(path))
    return path


def test_a_notebook_over_the_size_limit_is_rejected_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _notebook(tmp_path / "n.ipynb")
    assert _read_notebook_problem(path) is None
    monkeypatch.setattr(autograder.course, "MAX_NOTEBOOK_MB", 0)
    problem = _read_notebook_problem(path)
    assert problem is not None and problem.startswith("rejected: the notebook is 0 MB")


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"", "malformed notebook: the file is empty"), (b'{"cells": [', "malformed notebook: ")],
)
def test_an_unreadable_notebook_says_why(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "n.ipynb"
    path.write_bytes(data)
    found = _read_notebook_problem(path)
    assert found is not None and found.startswith(problem)
