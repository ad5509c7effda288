"""Tests for ``grade``: what an instructor relies on when grading a batch of submissions.

One batch of students (honest, wrong, tampering and broken ones) is graded once per module and
shared by most tests; reruns are done on copies of its output folder so that each test sees the
batch as graded.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import TINY, submit

from autograder.course import Course, CourseError
from autograder.grade import grade
from autograder.preprocessors import SKIPPED_SOURCE

pytestmark = pytest.mark.slow

GRADES_HEADER = "student_id,assignment,score,max_score,status"
CELLS_HEADER = "student_id,assignment,grade_id,score,max_score"
TEST_CELLS = {"test_double_hidden": 2, "test_double_small": 1, "test_halve": 1}
FULL = dict(TEST_CELLS)
ZERO = dict.fromkeys(TEST_CELLS, 0)

# Per-cell scores that each student of the batch must get.
EXPECTED_CELLS = {
    "correct": FULL,
    "renamed": FULL,
    "noisy": FULL,
    # double returns 3x: fails the visible test and the visible part of the hidden-test cell.
    "triple": {"test_double_hidden": 0, "test_double_small": 0, "test_halve": 1},
    # double returns 2|x|: passes every visible assertion, fails only the hidden one.
    "abs_only": {"test_double_hidden": 0, "test_double_small": 1, "test_halve": 1},
    # same wrong double as "triple", with every test cell replaced by `assert True`.
    "tamper": {"test_double_hidden": 0, "test_double_small": 0, "test_halve": 1},
    "blank": ZERO,
    "bad_json": ZERO,
    "empty": ZERO,
    "kernel_dies": ZERO,
    # a correct answer that also patches a builtin: graded as is, flagged for review.
    "patcher": FULL,
}
HONEST = ["correct", "renamed", "noisy", "triple", "abs_only", "blank"]


# ---------------------------------------------------------------------------------------------
# Helpers


def read_nb(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def with_cell(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose cell ``grade_id`` has ``source``."""
    nb = nbformat.from_dict(nb)
    found = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(found) == 1, grade_id
    found[0].source = source
    return nb


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def grades_by_student(out: Path) -> dict[str, dict[str, str]]:
    table = rows(out / "grades.csv")
    by_student = {r["student_id"]: r for r in table}
    assert len(by_student) == len(table), "one row per student for a single assignment"
    return by_student


def cells_by_student(out: Path) -> dict[str, dict[str, float]]:
    result: dict[str, dict[str, float]] = {}
    for r in rows(out / "cells.csv"):
        assert r["assignment"] == TINY
        assert float(r["max_score"]) == TEST_CELLS[r["grade_id"]]
        cells = result.setdefault(r["student_id"], {})
        assert r["grade_id"] not in cells, "a cell appears twice"
        cells[r["grade_id"]] = float(r["score"])
    return result


def csv_bytes(out: Path) -> tuple[bytes, bytes]:
    return (out / "grades.csv").read_bytes(), (out / "cells.csv").read_bytes()


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def result_mtimes(out: Path) -> dict[str, int]:
    results = out / "workspace" / "results"
    return {str(p.relative_to(results)): p.stat().st_mtime_ns for p in results.rglob("*.json")}


def copy_out(out: Path, dest: Path) -> Path:
    """A copy of a graded output folder (workspace included, mtimes kept)."""
    shutil.copytree(out, dest)
    return dest


def make_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def nb_bytes(folder: Path, student: str) -> bytes:
    return (folder / student / TINY / f"{TINY}.ipynb").read_bytes()


@dataclass
class Progress:
    """A ``progress`` callback that remembers which submissions were (re)graded."""

    calls: list[tuple[int, int, str]] = field(default_factory=list)

    def __call__(self, done: int, total: int, result: dict[str, Any]) -> None:
        self.calls.append((done, total, result["student_id"]))

    @property
    def students(self) -> list[str]:
        return sorted(s for _, _, s in self.calls)


@dataclass
class Batch:
    course: Course
    submissions: Path
    out: Path
    results: list[dict[str, Any]]
    progress: Progress
    hashes_before: dict[str, dict[str, str]]


def make_batch(tiny_course_template: Course, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """The tiny course and one batch of eleven students graded with one worker (the session's
    ``batch`` fixture, in conftest.py: test_grade and test_distributed share one grading)."""
    base = tmp_path_factory.mktemp("grade_batch")
    shutil.copytree(tiny_course_template.root, base / "course")
    course = Course(base / "course")
    solution = read_nb(course.source_notebook(TINY))
    release = read_nb(course.release_notebook(TINY))
    triple = with_cell(solution, "double", "def double(x):\n    return 3 * x")

    subs = base / "submissions"
    submit(subs, "correct", TINY, solution)
    submit(subs, "triple", TINY, triple)
    submit(
        subs,
        "abs_only",
        TINY,
        with_cell(solution, "double", "def double(x):\n    return 2 * abs(x)"),
    )
    submit(subs, "blank", TINY, release)
    tamper = triple
    for grade_id in TEST_CELLS:
        tamper = with_cell(tamper, grade_id, "assert True")
    submit(subs, "tamper", TINY, tamper)
    noisy = (
        "import sys\nimport warnings\n\n\ndef double(x):\n"
        '    print("warning", file=sys.stderr)\n'
        '    warnings.warn("this is only a warning")\n'
        "    return 2 * x\n"
    )
    submit(subs, "noisy", TINY, with_cell(solution, "double", noisy))
    submit(subs, "bad_json", TINY, b'{"cells": [')
    submit(subs, "empty", TINY, b"")
    submit(subs, "kernel_dies", TINY, with_cell(solution, "double", "import os\n\nos._exit(1)"))
    patcher = (
        "import builtins\n\nbuiltins.abs = lambda x: x\n\n\ndef double(x):\n    return 2 * x\n"
    )
    submit(subs, "patcher", TINY, with_cell(solution, "double", patcher))
    renamed = subs / "renamed" / TINY / "my_work.ipynb"
    renamed.parent.mkdir(parents=True)
    nbformat.write(solution, str(renamed))

    hashes_before = {
        "solutions": tree_hashes(course.solutions),
        "notebooks": tree_hashes(course.notebooks),
    }
    progress = Progress()
    out = base / "out"
    results = grade(course, subs, out, workers=1, progress=progress)
    return Batch(course, subs, out, results, progress, hashes_before)


# ---------------------------------------------------------------------------------------------
# 1. Scores of one mixed batch


def test_every_student_of_the_batch_gets_exactly_the_expected_cell_scores(batch: Batch) -> None:
    assert cells_by_student(batch.out) == {
        s: {k: float(v) for k, v in cells.items()} for s, cells in EXPECTED_CELLS.items()
    }
    grades = grades_by_student(batch.out)
    for student, cells in EXPECTED_CELLS.items():
        assert float(grades[student]["score"]) == sum(cells.values()), student
        assert grades[student]["max_score"] == "4", student


def test_correct_solution_gets_full_marks_with_status_ok(batch: Batch) -> None:
    assert grades_by_student(batch.out)["correct"] == {
        "student_id": "correct",
        "assignment": TINY,
        "score": "4",
        "max_score": "4",
        "status": "ok",
    }


def test_wrong_answer_loses_exactly_the_cells_that_test_it(batch: Batch) -> None:
    assert cells_by_student(batch.out)["triple"] == {
        "test_double_hidden": 0.0,
        "test_double_small": 0.0,
        "test_halve": 1.0,
    }
    assert grades_by_student(batch.out)["triple"]["score"] == "1"
    assert grades_by_student(batch.out)["triple"]["status"] == "ok"


def test_hidden_tests_are_restored_from_the_source_and_run(batch: Batch) -> None:
    release_text = batch.course.release_notebook(TINY).read_text()
    assert "double(-3)" not in release_text, "the release must not contain the hidden test"
    # 2|x| passes every visible assertion; only the hidden one (negatives) catches it.
    assert cells_by_student(batch.out)["abs_only"] == {
        "test_double_hidden": 0.0,
        "test_double_small": 1.0,
        "test_halve": 1.0,
    }
    graded = read_nb(batch.out / "workspace" / "autograded" / "abs_only" / TINY / f"{TINY}.ipynb")
    hidden = [
        c
        for c in graded.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_double_hidden"
    ]
    assert "double(-3)" in hidden[0].source


def test_blank_release_gets_zero_everywhere_with_status_ok(batch: Batch) -> None:
    row = grades_by_student(batch.out)["blank"]
    assert (row["score"], row["max_score"], row["status"]) == ("0", "4", "ok")
    assert cells_by_student(batch.out)["blank"] == {k: 0.0 for k in TEST_CELLS}


def test_editing_a_locked_test_cell_to_assert_true_gains_no_points(batch: Batch) -> None:
    cells = cells_by_student(batch.out)
    assert cells["tamper"] == cells["triple"], "the tests were restored, so as wrong as triple"
    assert grades_by_student(batch.out)["tamper"]["score"] == "1"
    assert grades_by_student(batch.out)["tamper"]["status"] == (
        "tampering flagged: test_double_small edited, test_double_hidden edited, test_halve edited"
    )
    graded = read_nb(batch.out / "workspace" / "autograded" / "tamper" / TINY / f"{TINY}.ipynb")
    sources = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in graded.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") in TEST_CELLS
    }
    solution = read_nb(batch.course.source_notebook(TINY))
    assert sources == {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") in TEST_CELLS
    }, "the instructor's test cells, hidden tests included, were put back"


def test_output_on_stderr_and_warnings_do_not_cost_points(batch: Batch) -> None:
    row = grades_by_student(batch.out)["noisy"]
    assert (row["score"], row["status"]) == ("4", "ok")
    assert cells_by_student(batch.out)["noisy"] == {k: float(v) for k, v in FULL.items()}


@pytest.mark.parametrize(
    ("student", "reason"),
    [("bad_json", "malformed notebook: "), ("empty", "malformed notebook: the file is empty")],
)
def test_malformed_notebook_gets_zero_and_a_malformed_status(
    batch: Batch, student: str, reason: str
) -> None:
    row = grades_by_student(batch.out)[student]
    assert row["status"].startswith(reason)
    assert (row["score"], row["max_score"]) == ("0", "4")
    cell_rows = [r for r in rows(batch.out / "cells.csv") if r["student_id"] == student]
    assert sorted((r["grade_id"], r["score"], r["max_score"]) for r in cell_rows) == [
        ("test_double_hidden", "0", "2"),
        ("test_double_small", "0", "1"),
        ("test_halve", "0", "1"),
    ]


def test_monkeypatching_is_flagged_for_review_with_the_line_and_the_score_kept(
    batch: Batch,
) -> None:
    row = grades_by_student(batch.out)["patcher"]
    assert row["status"] == (
        "review: monkeypatching: `builtins.abs = lambda x: x` (double, line 3)"
    )
    assert row["score"] == "4"


def test_kernel_that_dies_is_flagged_as_crashed_with_zero(batch: Batch) -> None:
    row = grades_by_student(batch.out)["kernel_dies"]
    assert row["status"] == "crashed kernel"
    assert (row["score"], row["max_score"]) == ("0", "4")


def test_broken_submissions_do_not_change_honest_students_grades(batch: Batch) -> None:
    grades = grades_by_student(batch.out)
    assert set(grades) == set(EXPECTED_CELLS), "the batch completed: every student has a row"
    for student in HONEST:
        assert grades[student]["status"] == "ok", student
        assert float(grades[student]["score"]) == sum(EXPECTED_CELLS[student].values()), student
    flagged = {s for s, r in grades.items() if r["status"] != "ok"}
    assert flagged == {"bad_json", "empty", "kernel_dies", "patcher", "tamper"}


def test_returned_results_match_grades_csv(batch: Batch) -> None:
    grades = grades_by_student(batch.out)
    assert [r["student_id"] for r in batch.results] == sorted(grades)
    for r in batch.results:
        assert f"{r['score']:g}" == grades[r["student_id"]]["score"]
        assert r["status"] == grades[r["student_id"]]["status"]
    assert len(batch.progress.calls) == len(EXPECTED_CELLS)
    n = len(EXPECTED_CELLS)
    assert [done for done, _, _ in batch.progress.calls] == list(range(1, n + 1))
    assert {total for _, total, _ in batch.progress.calls} == {n}


# ---------------------------------------------------------------------------------------------
# 2. CSV layout


def test_csv_headers_are_exactly_the_documented_columns(batch: Batch) -> None:
    assert (batch.out / "grades.csv").read_text().splitlines()[0] == GRADES_HEADER
    assert (batch.out / "cells.csv").read_text().splitlines()[0] == CELLS_HEADER


def test_csv_rows_are_sorted_by_student_then_assignment(batch: Batch) -> None:
    grade_keys = [(r["student_id"], r["assignment"]) for r in rows(batch.out / "grades.csv")]
    assert grade_keys == sorted(grade_keys)
    assert len(grade_keys) == len(set(grade_keys)) == len(EXPECTED_CELLS)
    cell_keys = [(r["student_id"], r["assignment"]) for r in rows(batch.out / "cells.csv")]
    assert cell_keys == sorted(cell_keys)
    assert len(cell_keys) == len(EXPECTED_CELLS) * len(TEST_CELLS)


def test_max_score_is_four_on_every_row(batch: Batch) -> None:
    assert {r["max_score"] for r in rows(batch.out / "grades.csv")} == {"4"}
    assert {r["assignment"] for r in rows(batch.out / "grades.csv")} == {TINY}


# ---------------------------------------------------------------------------------------------
# 3 and 4. Reruns: reuse, regrade what changed, resume after a crash


def test_rerun_reuses_every_result_and_writes_identical_csvs(batch: Batch, tmp_path: Path) -> None:
    out = copy_out(batch.out, tmp_path / "out")
    mtimes = result_mtimes(out)
    progress = Progress()
    grade(batch.course, batch.submissions, out, progress=progress)
    # Only the kernel that crashed (twice) is flagged for another try; nothing else is redone.
    assert progress.students == ["kernel_dies"], "only the flagged crash was regraded"
    mtimes.pop("kernel_dies/01_tiny.json")
    after = result_mtimes(out)
    after.pop("kernel_dies/01_tiny.json")
    assert after == mtimes
    assert csv_bytes(out) == csv_bytes(batch.out)


def test_changing_one_notebook_regrades_only_that_student(batch: Batch, tmp_path: Path) -> None:
    subs = tmp_path / "submissions"
    shutil.copytree(batch.submissions, subs)
    out = copy_out(batch.out, tmp_path / "out")
    mtimes = result_mtimes(out)
    submit(subs, "triple", TINY, batch.course.source_notebook(TINY).read_bytes())

    progress = Progress()
    grade(batch.course, subs, out, progress=progress)

    assert progress.students == ["kernel_dies", "triple"]  # the crash is flagged for a retry
    after = result_mtimes(out)
    assert after.pop("triple/01_tiny.json") != mtimes.pop("triple/01_tiny.json")
    after.pop("kernel_dies/01_tiny.json")
    mtimes.pop("kernel_dies/01_tiny.json")
    assert after == mtimes
    grades = grades_by_student(out)
    assert (grades["triple"]["score"], grades["triple"]["status"]) == ("4", "ok")
    before = grades_by_student(batch.out)
    assert {s: r for s, r in grades.items() if s != "triple"} == {
        s: r for s, r in before.items() if s != "triple"
    }


def test_resume_after_a_crash_regrades_only_lost_or_torn_results(
    batch: Batch, tmp_path: Path
) -> None:
    out = copy_out(batch.out, tmp_path / "out")
    results = out / "workspace" / "results"
    (results / "abs_only" / f"{TINY}.json").unlink()
    torn = results / "bad_json" / f"{TINY}.json"
    torn.write_text(torn.read_text()[:40])
    for name in ("grades.csv", "cells.csv"):
        (out / name).unlink()

    progress = Progress()
    grade(batch.course, batch.submissions, out, progress=progress)

    assert progress.students == ["abs_only", "bad_json", "kernel_dies"]
    assert csv_bytes(out) == csv_bytes(batch.out)


# ---------------------------------------------------------------------------------------------
# 5. Missing submissions


@pytest.fixture
def with_absent_student(batch: Batch, tmp_path: Path) -> Path:
    """A folder with the correct student and one, ``zoe``, who handed in no 01_tiny."""
    subs = tmp_path / "submissions"
    submit(subs, "correct", TINY, nb_bytes(batch.submissions, "correct"))
    (subs / "zoe" / "notes").mkdir(parents=True)
    (subs / "zoe" / "notes" / "readme.txt").write_text("no notebook here")
    return subs


def test_named_assignment_missing_from_a_student_gets_a_missing_row_with_zero(
    batch: Batch, tmp_path: Path, with_absent_student: Path
) -> None:
    out = copy_out(batch.out, tmp_path / "out")
    grade(batch.course, with_absent_student, out, assignments=[TINY])
    grades = grades_by_student(out)
    assert set(grades) == {"correct", "zoe"}
    assert grades["zoe"]["status"].startswith("missing")
    assert (grades["zoe"]["score"], grades["zoe"]["max_score"]) == ("0", "4")
    assert cells_by_student(out)["zoe"] == {k: 0.0 for k in TEST_CELLS}
    assert (grades["correct"]["score"], grades["correct"]["status"]) == ("4", "ok")


def test_without_assignment_option_an_absent_student_gets_no_row(
    batch: Batch, tmp_path: Path, with_absent_student: Path
) -> None:
    out = copy_out(batch.out, tmp_path / "out")
    grade(batch.course, with_absent_student, out)
    assert list(grades_by_student(out)) == ["correct"]
    assert {r["student_id"] for r in rows(out / "cells.csv")} == {"correct"}


# ---------------------------------------------------------------------------------------------
# 6. Renamed notebook


def test_renamed_notebook_alone_in_the_assignment_folder_is_graded(batch: Batch) -> None:
    assert not (batch.submissions / "renamed" / TINY / f"{TINY}.ipynb").exists()
    row = grades_by_student(batch.out)["renamed"]
    assert (row["score"], row["status"]) == ("4", "ok")


def test_several_notebooks_none_with_the_expected_name_are_flagged_as_ambiguous(
    batch: Batch, tmp_path: Path
) -> None:
    subs = tmp_path / "submissions"
    folder = subs / "two" / TINY
    folder.mkdir(parents=True)
    (folder / "draft.ipynb").write_bytes(nb_bytes(batch.submissions, "correct"))
    (folder / "final.ipynb").write_bytes(nb_bytes(batch.submissions, "correct"))
    out = copy_out(batch.out, tmp_path / "out")
    grade(batch.course, subs, out, assignments=[TINY])
    row = grades_by_student(out)["two"]
    assert row["status"].startswith("ambiguous")
    assert "draft.ipynb" in row["status"] and "final.ipynb" in row["status"]
    assert row["score"] == "0"


def test_editing_the_solutions_makes_every_result_stale(batch: Batch, tmp_path: Path) -> None:
    course = Course(tmp_path / "course")
    shutil.copytree(batch.course.root, course.root)
    subs = tmp_path / "submissions"
    for student in ("correct", "triple"):
        submit(subs, student, TINY, nb_bytes(batch.submissions, student))
    out = tmp_path / "out"
    grade(course, subs, out)
    source = read_nb(course.source_notebook(TINY))
    # The instructor adds an input to the halve test (the solution still passes it: a test
    # the solution fails would stop the batch at the canary).
    source = with_cell(
        source, "test_halve", '"""halve."""\nassert halve(4) == 2\nassert halve(-3) == -1.5'
    )
    nbformat.write(source, str(course.source_notebook(TINY)))

    progress = Progress()
    grade(course, subs, out, progress=progress)
    assert progress.students == ["correct", "triple"]
    assert cells_by_student(out)["correct"]["test_halve"] == 1.0


# ---------------------------------------------------------------------------------------------
# 7. LMS zip intake


@pytest.mark.parametrize("top", ["", "lms_export_2024/"], ids=["flat", "top-level-folder"])
def test_zip_of_submissions_grades_like_the_folder(batch: Batch, tmp_path: Path, top: str) -> None:
    students = ["abs_only", "correct"]
    archive = make_zip(
        tmp_path / "export.zip",
        {f"{top}{s}/{TINY}/{TINY}.ipynb": nb_bytes(batch.submissions, s) for s in students},
    )
    out = tmp_path / "out"
    grade(batch.course, archive, out)
    assert rows(out / "grades.csv") == [
        r for r in rows(batch.out / "grades.csv") if r["student_id"] in students
    ]
    assert rows(out / "cells.csv") == [
        r for r in rows(batch.out / "cells.csv") if r["student_id"] in students
    ]


@pytest.mark.parametrize(
    "name",
    [
        f"../evil/{TINY}/{TINY}.ipynb",
        f"correct/../../evil/{TINY}/{TINY}.ipynb",
        f"..\\evil\\{TINY}\\{TINY}.ipynb",
        "ABSOLUTE",
        f"C:/evil/{TINY}/{TINY}.ipynb",
    ],
    ids=["dotdot", "nested-dotdot", "backslash-dotdot", "absolute", "drive-letter"],
)
def test_zip_with_an_unsafe_entry_is_rejected_and_nothing_is_extracted(
    batch: Batch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    if name == "ABSOLUTE":
        name = f"{tmp_path}/abs/{TINY}/{TINY}.ipynb"
    scratch = tmp_path / "scratch" / "tmp"
    scratch.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    good = nb_bytes(batch.submissions, "correct")
    archive = make_zip(tmp_path / "export.zip", {f"correct/{TINY}/{TINY}.ipynb": good, name: good})
    out = tmp_path / "out"
    with pytest.raises(CourseError, match="unsafe"):
        grade(batch.course, archive, out)
    assert list(scratch.iterdir()) == [], "the intake folder is removed"
    assert sorted(p.name for p in (tmp_path / "scratch").iterdir()) == ["tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip", "out", "scratch"]
    assert list(out.iterdir()) == [], "nothing graded, no workspace"


def test_zip_with_a_symbolic_link_is_rejected(batch: Batch, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"correct/{TINY}/{TINY}.ipynb", nb_bytes(batch.submissions, "correct"))
        link = zipfile.ZipInfo(f"mallory/{TINY}/{TINY}.ipynb")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(CourseError, match="symbolic link"):
        grade(batch.course, archive, tmp_path / "out")


# ---------------------------------------------------------------------------------------------
# 8. Workspace location


@pytest.mark.parametrize(
    "inside", ["solutions", "solutions/ws", f"notebooks/{TINY}/ws", "notebooks"]
)
def test_workspace_inside_solutions_or_notebooks_is_rejected(
    batch: Batch, tmp_path: Path, inside: str
) -> None:
    workspace = batch.course.root / inside
    existed = workspace.exists()
    with pytest.raises(CourseError, match="must lie outside"):
        grade(batch.course, batch.submissions, tmp_path / "out", workspace=workspace)
    assert workspace.exists() == existed
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_default_workspace_is_out_workspace_and_course_folders_are_untouched(
    batch: Batch,
) -> None:
    workspace = batch.out / "workspace"
    assert (workspace / "gradebook.db").is_file()
    assert (workspace / "results" / "correct" / f"{TINY}.json").is_file()
    assert (workspace / "autograded" / "correct" / TINY / f"{TINY}.ipynb").is_file()
    assert tree_hashes(batch.course.solutions) == batch.hashes_before["solutions"]
    assert tree_hashes(batch.course.notebooks) == batch.hashes_before["notebooks"]
    assert sorted(p.name for p in batch.course.root.iterdir()) == [
        "notebooks",
        "pyproject.toml",
        "solutions",
    ]


# ---------------------------------------------------------------------------------------------
# 9. Demo cells


def test_demo_cell_that_raises_does_not_cost_points(batch: Batch) -> None:
    source = read_nb(batch.course.source_notebook(TINY))
    demo = [c for c in source.cells if "demo" in c.metadata.get("tags", [])]
    assert len(demo) == 1 and "raise RuntimeError" in demo[0].source
    row = grades_by_student(batch.out)["correct"]
    assert (row["score"], row["max_score"], row["status"]) == ("4", "4", "ok")
    graded = read_nb(batch.out / "workspace" / "autograded" / "correct" / TINY / f"{TINY}.ipynb")
    skipped = [c for c in graded.cells if "demo" in c.metadata.get("tags", [])]
    assert [c.source for c in skipped] == [SKIPPED_SOURCE]


# ---------------------------------------------------------------------------------------------
# 10. Parallel grading


def test_two_workers_give_the_same_csvs_as_one(batch: Batch, tmp_path: Path) -> None:
    progress = Progress()
    out = tmp_path / "out"
    grade(batch.course, batch.submissions, out, workers=2, progress=progress)
    assert progress.students == sorted(EXPECTED_CELLS)
    assert csv_bytes(out) == csv_bytes(batch.out)


# ---------------------------------------------------------------------------------------------
# 11. Command line


def run_cli(course: Course, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COURSE_ROOT": str(course.root)}
    return subprocess.run(
        [sys.executable, "-m", "autograder", "grade", *args],
        cwd=course.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_grade_prints_a_summary_and_exits_zero(
    batch: Batch, tmp_path: Path, with_absent_student: Path
) -> None:
    out = tmp_path / "out"
    proc = run_cli(
        batch.course,
        str(with_absent_student),
        "--out",
        str(out),
        "--workers",
        "2",
        "--assignment",
        TINY,
    )
    assert proc.returncode == 0, proc.stderr
    assert "graded 2 submission(s)" in proc.stdout
    assert "1 need a human" in proc.stdout
    assert f"[2/2] correct {TINY}: 4/4 ok" in proc.stdout
    grades = grades_by_student(out)
    assert (grades["correct"]["score"], grades["correct"]["status"]) == ("4", "ok")
    assert grades["zoe"]["status"].startswith("missing")


def test_cli_unknown_assignment_exits_2_with_a_message(batch: Batch, tmp_path: Path) -> None:
    proc = run_cli(
        batch.course,
        str(batch.submissions),
        "--out",
        str(tmp_path / "out"),
        "--assignment",
        "99_nope",
    )
    assert proc.returncode == 2
    assert "unknown assignment" in proc.stderr
    assert "99_nope" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


# ---------------------------------------------------------------------------------------------
# Infrastructure failures and the canary


def test_the_canary_graded_the_instructors_notebook_with_full_marks(batch: Batch) -> None:
    canary = json.loads((batch.out / "workspace" / "canary" / f"{TINY}.json").read_text())
    assert canary["score"] == canary["max_score"] == 4.0 and canary["status"] == "ok"
    assert not (batch.out / "workspace" / "results" / "#canary").exists()
    assert "#canary" not in (batch.out / "grades.csv").read_text()


def test_a_solution_that_fails_in_the_grading_environment_stops_the_batch(
    tiny_course: Course, tmp_path: Path
) -> None:
    source = read_nb(tiny_course.source_notebook(TINY))
    # The module that defines `double` in the instructor's environment is missing here.
    [cell] = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double"]
    cell.source = "import module_missing_in_the_sandbox\n\n" + cell.source
    nbformat.write(source, str(tiny_course.source_notebook(TINY)))
    subs = tmp_path / "subs"
    submit(subs, "alice", TINY, source)
    with pytest.raises(CourseError) as info:
        grade(tiny_course, subs, tmp_path / "out", workers=1)
    message = str(info.value)
    assert "canary" in message and "1 / 4" in message
    assert "ModuleNotFoundError: No module named 'module_missing_in_the_sandbox'" in message
    assert not (tmp_path / "out" / "workspace" / "results" / "alice").exists()
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_cli_grade_reads_a_canvas_zip_with_a_roster_and_a_name_pattern(
    batch: Batch, tmp_path: Path
) -> None:
    """The README's intake commands through the CLI: a Canvas download (late, resubmitted)
    mapped by a roster that also names a student who handed in nothing, and --pattern."""
    correct = batch.submissions / "correct" / TINY / f"{TINY}.ipynb"
    canvas = tmp_path / "submissions.zip"
    with zipfile.ZipFile(canvas, "w") as zf:
        zf.write(correct, f"lovelaceada_LATE_1001_2002_{TINY}-1.ipynb")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,canvas_id,name\nada,1001,Ada Lovelace\nbob,1002,Bob Ross\n")
    out = tmp_path / "canvas"
    proc = run_cli(
        batch.course, str(canvas), "--out", str(out), "--assignment", TINY,
        "--roster", str(roster), "--workers", "2",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    grades = grades_by_student(out)
    assert (grades["ada"]["score"], grades["ada"]["status"]) == ("4", "ok")
    assert grades["bob"]["status"].startswith("missing")
    flat = tmp_path / "export"
    flat.mkdir()
    shutil.copyfile(correct, flat / f"ada-{TINY}.ipynb")
    out = tmp_path / "pattern"
    pattern = r"(?P<student>[a-z0-9]+)-(?P<assignment>\d\d_[a-z_]+)"
    proc = run_cli(batch.course, str(flat), "--out", str(out), "--pattern", pattern)
    assert proc.returncode == 0, proc.stderr
    assert grades_by_student(out)["ada"]["score"] == "4"
