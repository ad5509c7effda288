"""``check`` (autograder/check.py): on the real course every check of
`python -m autograder check` passes; on the tiny course the sync and leak checks fail when they
should."""

from __future__ import annotations

import nbformat
import pytest
from conftest import TINY

from autograder.check import check_leaks, check_sync, run_checks
from autograder.mutants import load_catalogue

# ---- the real course -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def checks(course):
    """All checks of `python -m autograder check`, run once for the module."""
    return {r.name: r for r in run_checks(course)}


@pytest.mark.slow
def test_committed_release_is_byte_identical_to_a_fresh_build(checks):
    result = checks["release in sync with solutions/"]
    assert result.ok, result.detail


@pytest.mark.slow
def test_release_contains_no_solutions_hidden_tests_or_python_files(checks):
    result = checks["release leaks nothing"]
    assert result.ok, result.detail


@pytest.mark.slow
def test_jupytext_twins_match_their_notebooks(checks):
    result = checks["jupytext pairs in sync"]
    assert result.ok, result.detail


@pytest.mark.slow
def test_solutions_get_full_marks_and_blank_release_zero(checks, course):
    result = checks["solutions full marks, blank release zero"]
    assert result.ok, result.detail
    for a in course.assignments():
        assert f"solution {a}" in " ".join(result.detail.split()), result.detail


@pytest.mark.slow
def test_every_mutant_of_every_notebook_is_caught(checks, course):
    result = checks["every mutant caught, every equivalent at full marks"]
    assert result.ok, result.detail
    for a in course.assignments():
        assert len(load_catalogue(course, a).mutants) >= 5
    assert "SURVIVED" not in result.detail


def test_sync_check_fails_when_a_solution_changes_without_rebuilding(tiny_course):
    assert check_sync(tiny_course, [TINY]).ok
    nb = nbformat.read(str(tiny_course.source_notebook(TINY)), as_version=4)
    nb.cells[0].source = "# Tiny, edited"
    nbformat.write(nb, str(tiny_course.source_notebook(TINY)))
    result = check_sync(tiny_course, [TINY])
    assert not result.ok
    assert "differs from a fresh build" in result.detail


def test_leak_check_flags_markers_and_python_files(tiny_course):
    assert check_leaks(tiny_course).ok
    release = tiny_course.release_notebook(TINY)
    release.write_text(release.read_text().replace("# Tiny", "# Tiny ### BEGIN SOLUTION"))
    (release.parent / "helper.py").write_text("x = 1\n")
    result = check_leaks(tiny_course)
    assert not result.ok
    assert "BEGIN SOLUTION" in result.detail and "helper.py" in result.detail
