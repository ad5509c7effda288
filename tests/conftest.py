"""Shared fixtures: the real course, and a tiny torch-free course for fast autograder tests."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course

REPO = Path(__file__).resolve().parent.parent

TINY = "01_tiny"


def _md(source: str):
    return nbformat.v4.new_markdown_cell(source)


def _code(source: str, *, nbgrader: dict | None = None, tags: list[str] | None = None):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader is not None:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    if tags:
        cell.metadata["tags"] = tags
    return cell


def solution_cell(grade_id: str, source: str):
    """An nbgrader solution cell named ``grade_id``."""
    return _code(
        source, nbgrader={"grade": False, "grade_id": grade_id, "locked": False, "solution": True}
    )


def graded_cell(grade_id: str, source: str, points: float = 1):
    """An nbgrader autograded test cell worth ``points``."""
    return _code(
        source,
        nbgrader={
            "grade": True,
            "grade_id": grade_id,
            "locked": True,
            "points": points,
            "solution": False,
        },
    )


def tiny_notebook():
    """Source notebook of the tiny course: ``double`` and ``halve`` exercises, 4 points in all."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [
        _md("# Tiny"),
        _code("import sys\nimport warnings"),
        solution_cell(
            "double",
            'def double(x):\n    """2x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n'
            "    ### END SOLUTION",
        ),
        graded_cell(
            "test_double_small",
            '"""double of small ints."""\nassert double(2) == 4, "double(2) should be 4"',
        ),
        graded_cell(
            "test_double_hidden",
            '"""double of negatives."""\nassert double(1) == 2\n### BEGIN HIDDEN TESTS\n'
            "assert double(-3) == -6\n### END HIDDEN TESTS",
            points=2,
        ),
        _code("raise RuntimeError('demo cells are skipped by the grader')", tags=["demo"]),
        solution_cell(
            "halve",
            "def halve(x):\n    ### BEGIN SOLUTION\n    return x / 2\n    ### END SOLUTION",
        ),
        graded_cell("test_halve", '"""halve."""\nassert halve(5) == 2.5'),
    ]
    return nb


MUTANTS_SOURCE = """
from autograder.mutants import Mutant

MUTANTS = [
    Mutant("triple", "double", "def double(x):\\n    return 3 * x\\n", ("test_double_small",)),
    Mutant("square", "double", "def double(x):\\n    return x * x\\n", ("test_double_hidden",)),
    Mutant("plus", "double", "def double(x):\\n    return x + 2\\n", ("test_double_hidden",)),
    Mutant("abs", "double", "def double(x):\\n    return 2 * abs(x)\\n", ("test_double_hidden",)),
    Mutant("str", "double", "def double(x):\\n    return str(2 * x)\\n", ("test_double_small",)),
    Mutant("floor", "halve", "def halve(x):\\n    return x // 2\\n", ("test_halve",)),
]
"""


def make_tiny_course(root: Path) -> Course:
    """Create the tiny course under ``root`` (pyproject, solutions, release) and return it."""
    (root / "pyproject.toml").write_text("[project]\nname = 'tiny'\n")
    folder = root / "solutions" / TINY
    folder.mkdir(parents=True)
    nbformat.write(tiny_notebook(), str(folder / f"{TINY}.ipynb"))
    (folder / "mutants.py").write_text(MUTANTS_SOURCE)
    course = Course(root)
    from autograder.build import build

    build(course)
    return course


@pytest.fixture(scope="session")
def tiny_course_template(tmp_path_factory) -> Course:
    return make_tiny_course(tmp_path_factory.mktemp("tiny_template"))


@pytest.fixture
def tiny_course(tiny_course_template, tmp_path) -> Course:
    """A fresh copy of the tiny course (tests may modify it)."""
    root = tmp_path / "course"
    shutil.copytree(tiny_course_template.root, root)
    return Course(root)


@pytest.fixture(scope="session")
def course() -> Course:
    """The real course in this repository (read only)."""
    return Course(REPO)


def submit(folder: Path, student: str, assignment: str, notebook) -> Path:
    """Write ``notebook`` (a NotebookNode, bytes or str) as a student's submission."""
    path = folder / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, bytes):
        path.write_bytes(notebook)
    elif isinstance(notebook, str):
        path.write_text(notebook)
    else:
        nbformat.write(notebook, str(path))
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(proc) -> None:
    """End a process we started with ``start_new_session=True``, and its children: SIGTERM to
    its group, SIGKILL if it has not exited after 30 s."""
    import os
    import signal
    import subprocess

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", re.M)


def completed_student_notebook(course: Course, assignment: str) -> nbformat.NotebookNode:
    """The release notebook with each exercise cell holding the solution's code, as a student
    who solved everything would hand it in (no hidden tests: those are not in the release)."""
    source = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKERS.sub("", c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(str(course.release_notebook(assignment)), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return nb


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (``item.rep_call``), for fixtures that act on
    failure (the browser test saves a screenshot)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
