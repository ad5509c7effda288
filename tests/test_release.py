"""The release (notebooks/) and the checks around it: build, sync, leaks, pairs, mutants, check."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import TINY

from autograder.build import build
from autograder.check import check_leaks, check_pairs, check_sync, run_checks
from autograder.course import Course, CourseError, find_course
from autograder.mutants import Mutant, load_catalogue, run_catalogue
from autograder.pairs import sync_pair


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---- the real course -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def checks(course):
    """All checks of `python -m autograder check`, run once for the module."""
    return {r.name: r for r in run_checks(course)}


def test_every_assignment_has_a_committed_release(course):
    assert course.assignments(), "no assignments found"
    for a in course.assignments():
        assert course.release_notebook(a).is_file(), a


def test_committed_release_is_byte_identical_to_a_fresh_build(checks):
    result = checks["release in sync with solutions/"]
    assert result.ok, result.detail


def test_release_contains_no_solutions_hidden_tests_or_python_files(checks):
    result = checks["release leaks nothing"]
    assert result.ok, result.detail


def test_jupytext_twins_match_their_notebooks(checks):
    result = checks["jupytext pairs in sync"]
    assert result.ok, result.detail


def test_solutions_get_full_marks_and_blank_release_zero(checks, course):
    result = checks["solutions full marks, blank release zero"]
    assert result.ok, result.detail
    for a in course.assignments():
        assert f"solution {a}" in " ".join(result.detail.split()), result.detail


def test_every_mutant_of_every_notebook_is_caught(checks, course):
    result = checks["every mutant caught"]
    assert result.ok, result.detail
    for a in course.assignments():
        assert len(load_catalogue(course, a)) >= 5
    assert "SURVIVED" not in result.detail


def test_release_stubs_every_exercise_and_keeps_signatures(course):
    for a in course.assignments():
        source = nbformat.read(str(course.source_notebook(a)), as_version=4)
        release = nbformat.read(str(course.release_notebook(a)), as_version=4)
        src_cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in source.cells}
        for cell in release.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("solution"):
                continue
            assert "raise NotImplementedError()" in cell.source, meta["grade_id"]
            first_line = src_cells[meta["grade_id"]].source.splitlines()[0]
            assert cell.source.splitlines()[0] == first_line  # the signature stays


def test_test_cells_have_docstrings_and_hidden_tests_where_points_are_two(course):
    for a in course.assignments():
        for cell in nbformat.read(str(course.source_notebook(a)), as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                assert cell.source.startswith('"""'), meta["grade_id"]
                assert meta["grade_id"].startswith("test_"), meta["grade_id"]
                assert "BEGIN HIDDEN TESTS" in cell.source, f"{meta['grade_id']} has no hidden test"


def test_solution_notebooks_are_committed_without_outputs(course):
    for a in course.assignments():
        nb = nbformat.read(str(course.source_notebook(a)), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None


# ---- build, leaks and pairs on a copy ------------------------------------------------------


def test_build_is_deterministic(tiny_course, tmp_path):
    build(tiny_course, dest=tmp_path / "a")
    build(tiny_course, dest=tmp_path / "b")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_build_never_copies_python_files_or_mutants_into_the_release(tiny_course):
    folder = tiny_course.solutions / TINY
    (folder / f"{TINY}.py").write_text("# paired file with solutions\n")
    (folder / "jupytext.toml").write_text("formats = 'ipynb,py:percent'\n")
    (folder / "notes.md").write_text("instructor notes\n")
    (folder / "data.csv").write_text("a,b\n1,2\n")
    build(tiny_course)
    shipped = {p.name for p in (tiny_course.notebooks / TINY).iterdir()}
    assert shipped == {f"{TINY}.ipynb", "data.csv"}


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


def test_sync_writes_the_newer_file_and_the_pair_check_sees_drift(tiny_course):
    ipynb = tiny_course.source_notebook(TINY)
    assert sync_pair(ipynb) == "ipynb -> py"
    assert check_pairs(tiny_course, [TINY]).ok
    py = ipynb.with_suffix(".py")
    py.write_text(py.read_text().replace("# # Tiny", "# # Tiny and changed"))
    assert not check_pairs(tiny_course, [TINY]).ok
    assert sync_pair(ipynb) == "py -> ipynb"
    assert check_pairs(tiny_course, [TINY]).ok
    assert nbformat.read(str(ipynb), as_version=4).cells[0].source == "# Tiny and changed"


def test_course_errors_are_clear(tmp_path, tiny_course):
    with pytest.raises(CourseError, match="no solutions/ folder"):
        Course(tmp_path).assignments()
    with pytest.raises(CourseError, match="unknown assignment"):
        tiny_course.resolve_assignments(["99_nope"])
    assert find_course(tiny_course.root / "solutions").root == tiny_course.root


# ---- the mutant harness --------------------------------------------------------------------


def test_harness_reports_caught_and_surviving_mutants(tiny_course):
    mutants = load_catalogue(tiny_course, TINY) + [
        Mutant("harmless", "double", "def double(x):\n    return x + x\n", ("test_double_small",)),
        Mutant(
            "halve_round", "halve", "def halve(x):\n    return round(x / 2, 6)\n", ("test_halve",)
        ),
    ]
    report = run_catalogue(tiny_course, TINY, mutants, min_per_exercise=1)
    outcome = {o.mutant.name: o for o in report.outcomes}
    assert outcome["triple"].caught and "test_double_small" in outcome["triple"].failed
    assert outcome["abs"].caught and outcome["abs"].failed == ["test_double_hidden"]
    assert not outcome["harmless"].caught and outcome["harmless"].failed == []
    assert not outcome["halve_round"].caught
    assert not report.ok
    assert "SURVIVED" in report.format()
    assert report.problems == []  # the solution was restored after each mutant


def test_harness_requires_five_mutants_per_exercise(tiny_course):
    report = run_catalogue(tiny_course, TINY)
    assert not report.ok
    assert any("exercise halve has 1 mutants" in p for p in report.problems)


def test_harness_rejects_a_mutant_naming_an_unknown_cell(tiny_course):
    bad = [Mutant("typo", "doubel", "def doubel(x):\n    return x\n", ("test_double_small",))]
    report = run_catalogue(tiny_course, TINY, bad, min_per_exercise=0)
    assert any("no solution cell 'doubel'" in p for p in report.problems)


def test_harness_flags_a_mutant_whose_source_does_not_run(tiny_course):
    bad = [Mutant("syntax", "double", "def double(x) return x\n", ("test_double_small",))]
    report = run_catalogue(tiny_course, TINY, bad, min_per_exercise=0)
    assert report.outcomes[0].error and not report.outcomes[0].caught


def test_harness_agrees_with_the_real_grader(tiny_course, tmp_path):
    """The cells a mutant fails in the harness are the cells that lose points when graded."""
    from autograder.grade import grade

    catalogue = load_catalogue(tiny_course, TINY)
    report = run_catalogue(tiny_course, TINY, catalogue, min_per_exercise=1)
    subs = tmp_path / "subs"
    for mutant in catalogue:
        nb = nbformat.read(str(tiny_course.release_notebook(TINY)), as_version=4)
        source = nbformat.read(str(tiny_course.source_notebook(TINY)), as_version=4)
        for i, cell in enumerate(nb.cells):
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                src = source.cells[i].source
                cell.source = mutant.source if meta["grade_id"] == mutant.function else src
        path = subs / mutant.name / TINY / f"{TINY}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    results = grade(tiny_course, subs, tmp_path / "out", workers=2)
    by_student = {r["student_id"]: r for r in results}
    for outcome in report.outcomes:
        lost = sorted(
            c["grade_id"]
            for c in by_student[outcome.mutant.name]["cells"]
            if c["score"] < c["max_score"]
        )
        assert lost == sorted(outcome.failed), outcome.mutant.name


# ---- command line --------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["build", "check", "grade", "mutants", "sync"])
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
    assert "solution 01_tiny loses points" in failed.stdout
    assert "check: FAILED: solutions full marks, blank release zero" in failed.stdout
