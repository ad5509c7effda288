"""The instructor command line (autograder/cli.py): help for every command, clear errors, and
build then check on the tiny course."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import TINY

from autograder.build import build


@pytest.mark.parametrize("command", ["build", "check", "grade", "mutants", "new", "sync"])
def test_every_command_has_help(command):
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", command, "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "usage: python -m autograder " + command in proc.stdout


def test_cli_reports_an_unknown_assignment_clearly(course):
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "build", "--assignment", "99_nope"],
        capture_output=True,
        text=True,
        cwd=course.root,
    )
    assert proc.returncode == 2
    assert "unknown assignment(s) 99_nope" in proc.stderr


@pytest.mark.slow
def test_cli_build_then_check_pass_on_the_tiny_course(tiny_course):
    shutil.rmtree(tiny_course.notebooks)
    env_cmd = [sys.executable, "-m", "autograder"]
    built = subprocess.run(
        [*env_cmd, "build"], capture_output=True, text=True, cwd=tiny_course.root
    )
    assert built.returncode == 0, built.stderr
    assert f"wrote notebooks/{TINY}/{TINY}.ipynb" in built.stdout
    checked = subprocess.run(
        [*env_cmd, "check", "--no-mutants"], capture_output=True, text=True, cwd=tiny_course.root
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "check: all passed" in checked.stdout
    # A wrong "solution", released consistently: only the grading check can fail.
    nb = nbformat.read(str(tiny_course.source_notebook(TINY)), as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("return 2 * x", "return 3 * x")
    nbformat.write(nb, str(tiny_course.source_notebook(TINY)))
    build(tiny_course)
    failed = subprocess.run(
        [*env_cmd, "check", "--no-mutants"], capture_output=True, text=True, cwd=tiny_course.root
    )
    assert failed.returncode == 1
    assert "[PASS] release in sync" in failed.stdout
    # the solution's lost points are named (by check, or by grade's canary that check reports)
    assert "solution 01_tiny loses points" in failed.stdout or re.search(
        r"notebook 01_tiny gets 1 / 4\b", failed.stdout
    ), failed.stdout
    assert "check: FAILED: solutions full marks, blank release zero" in failed.stdout
