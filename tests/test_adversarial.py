"""The adversarial suite: one batch of broken and hostile submissions graded next to honest ones.

Every adversarial submission must be graded correctly or flagged (its ``status`` says why a
human should look), the batch must complete, and the honest students in the same batch must
keep exactly their grades. Grading the same cohort again from scratch gives identical CSVs.

The course is the tiny two-exercise course of conftest.py (``double`` and ``halve``, 4 points),
graded with a 10 s cell timeout and two workers.
"""

from __future__ import annotations

import csv
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import TINY, submit

from autograder.course import Course
from autograder.grade import grade
from autograder.sandbox import SANDBOX_UID_BASE, bwrap_path

CELL_TIMEOUT = 10
FULL, HALVE_ONLY = 4.0, 1.0
CORRECT_DOUBLE = "def double(x):\n    return 2 * x\n"
# Written by the hostile notebooks if they can; a unique name so nothing else makes it.
ESCAPE = f"escaped-{uuid.uuid4().hex[:8]}.txt"


def _answer(prefix: str) -> str:
    """Some student code, then a correct ``double``."""
    return prefix.rstrip() + "\n\n\n" + CORRECT_DOUBLE


@dataclass(frozen=True)
class Case:
    """A submission and what grading must make of it."""

    name: str
    score: float
    status: str  # the status must start with this ("ok" must be exactly "ok")
    needs_sandbox: bool = False


def _with(nb, grade_id: str, source: str):
    nb = nbformat.from_dict(nb)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    cell.source = source
    return nb


def _id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _ids(nb) -> list[str | None]:
    return [_id(c) for c in nb.cells]


def build_cohort(course: Course, folder: Path, workspace_hint: Path) -> list[Case]:
    """Write the cohort's submissions under ``folder``; return what each must get."""
    release = nbformat.read(str(course.release_notebook(TINY)), as_version=4)
    answered = _with(release, "double", CORRECT_DOUBLE)
    answered = _with(answered, "halve", "def halve(x):\n    return x / 2\n")
    cases: list[Case] = []

    def add(name: str, nb, score: float, status: str, needs_sandbox: bool = False) -> None:
        submit(folder, name, TINY, nb)
        cases.append(Case(name, score, status, needs_sandbox))

    # -- honest students -----------------------------------------------------------------------
    add("honest_full", answered, FULL, "ok")
    add("honest_wrong", _with(answered, "double", "def double(x):\n    return 3 * x\n"), 1, "ok")
    add("honest_blank", release, 0, "ok")
    add(
        "honest_warnings",
        _with(
            answered,
            "double",
            _answer(
                "import sys\nimport warnings\nprint('note', file=sys.stderr)\n"
                "warnings.warn('only a warning')"
            ),
        ),
        FULL,
        "ok",
    )

    # -- runaway code --------------------------------------------------------------------------
    add(
        "infinite_loop",
        _with(answered, "double", "while True:\n    pass"),
        HALVE_ONLY,
        "timeout: a cell ran past the time limit",
    )
    add(
        "ignores_interrupt",
        _with(
            answered,
            "double",
            "import signal\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        ),
        0,
        "timeout: a cell ignored the interrupt",
    )
    add(
        "memory_bomb",
        _with(answered, "double", _answer("block = bytearray(64 * 2**30)")),
        HALVE_ONLY,
        "ok",
        needs_sandbox=False,
    )
    fork_bomb = (
        "import os\nimport time\n\nchildren = 0\ntry:\n    while children < 20000:\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n"
        "        children += 1\nexcept OSError:\n    pass"
    )
    add(
        "fork_bomb",
        _with(answered, "double", _answer(fork_bomb)),
        FULL,
        "review: subprocess",
        needs_sandbox=True,
    )
    add("os_exit", _with(answered, "double", "import os\n\nos._exit(1)"), 0, "crashed kernel")
    add(
        "segfault",
        _with(answered, "double", "import ctypes\n\nctypes.string_at(0)"),
        0,
        "crashed kernel; review: ctypes",
    )
    add("sys_exit", _with(answered, "double", "import sys\n\nsys.exit(3)"), HALVE_ONLY, "ok")
    add("huge_output", _with(answered, "double", _answer("print('x' * 20_000_000)")), FULL, "ok")

    # -- broken or tampered notebooks ----------------------------------------------------------
    deleted = nbformat.from_dict(answered)
    deleted.cells = [c for c in deleted.cells if _id(c) != "test_double_hidden"]
    add("deleted_test", deleted, FULL, "restored: deleted test_double_hidden")
    duplicated = nbformat.from_dict(answered)
    i = _ids(duplicated).index("test_double_small")
    duplicated.cells.insert(i, nbformat.from_dict(duplicated.cells[i]))
    add("duplicated_test", duplicated, FULL, "restored: duplicate test_double_small ignored")
    retyped = nbformat.from_dict(answered)
    [halve_test] = [c for c in retyped.cells if _id(c) == "test_halve"]
    halve_test.cell_type = "markdown"
    halve_test.pop("outputs")
    halve_test.pop("execution_count")
    add("retyped_test", retyped, FULL, "tampering flagged: test_halve retyped")
    edited = _with(answered, "double", "def double(x):\n    return 3 * x\n")
    for gid in ("test_double_small", "test_double_hidden"):
        edited = _with(edited, gid, "assert True")
    add("edited_tests", edited, 1, "tampering flagged: test_double_small edited")
    (folder / "renamed" / TINY).mkdir(parents=True)
    nbformat.write(answered, str(folder / "renamed" / TINY / "my copy (1).ipynb"))
    cases.append(Case("renamed", FULL, "ok"))
    add("malformed_json", b'{"cells": [', 0, "malformed notebook: ")
    add("empty_file", b"", 0, "malformed notebook: the file is empty")
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_markdown_cell("# 02"), nbformat.v4.new_code_cell("x = 1")]
    add("other_assignment", other, 0, "wrong notebook: none of the cells of 01_tiny")

    # -- hostile code --------------------------------------------------------------------------
    add(
        "checker_patch",
        _with(
            answered,
            "double",
            _answer("import numpy as np\n\nnp.testing.assert_allclose = lambda *a, **k: None"),
        ),
        FULL,
        "review: monkeypatching: `np.testing.assert_allclose = lambda *a, **k: None`",
    )
    secrets = [
        workspace_hint / "gradebook.db",
        course.source_notebook(TINY),
        folder / "honest_full" / TINY / f"{TINY}.ipynb",
    ]
    hunt = (
        "import os\n\n"
        f"found = [p for p in {[str(p) for p in secrets]!r} if os.path.exists(p)]\n"
        "for root, dirs, files in os.walk('/tmp'):\n"
        "    if 'site-packages' not in root:  # nbgrader ships a test gradebook of its own\n"
        "        found += [os.path.join(root, n) for n in files if n == 'gradebook.db']\n"
        "for path in found:\n    print('FOUND', path, open(path, 'rb').read()[:2000])\n"
        "print('searched', len(found))"
    )
    add(
        "reads_gradebook",
        _with(answered, "double", _answer(hunt)),
        FULL,
        "review: file access",
        needs_sandbox=True,
    )
    writes = (
        "targets = [\n"
        f"    {str(workspace_hint / ESCAPE)!r},\n"
        f"    {str(Path('/tmp') / ESCAPE)!r},\n"
        f"    {str(course.root / ESCAPE)!r},\n"
        f"    '../../{ESCAPE}',\n"
        "]\nfor target in targets:\n    try:\n        open(target, 'w').write('x')\n"
        "    except OSError:\n        pass"
    )
    add(
        "writes_outside",
        _with(answered, "double", _answer(writes)),
        FULL,
        "review: file access",
        needs_sandbox=True,
    )
    network = (
        "import socket\n\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
        "    print('CONNECTED')\nexcept OSError:\n    print('no network')"
    )
    add(
        "network",
        _with(answered, "double", _answer(network)),
        FULL,
        "review: network",
        needs_sandbox=True,
    )
    add(
        "subprocess",
        _with(answered, "double", _answer("import subprocess\n\nsubprocess.run(['ls', '/'])")),
        FULL,
        "review: subprocess",
    )
    return cases


@dataclass
class Cohort:
    course: Course
    submissions: Path
    out: Path
    cases: list[Case]
    grades: dict[str, dict[str, str]]
    uids_after: list[int]


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def _sandbox_processes() -> list[int]:
    """PIDs of live processes owned by a sandbox user id (kernels that outlived grading)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid >= SANDBOX_UID_BASE:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.fixture(scope="module")
def cohort(tiny_course_template: Course, tmp_path_factory: pytest.TempPathFactory) -> Cohort:
    base = tmp_path_factory.mktemp("adversarial")
    shutil.copytree(tiny_course_template.root, base / "course")
    course = Course(base / "course")
    out = base / "out"
    cases = build_cohort(course, base / "submissions", out / "workspace")
    grade(course, base / "submissions", out, workers=2, cell_timeout=CELL_TIMEOUT)
    return Cohort(course, base / "submissions", out, cases, _grades(out), _sandbox_processes())


def test_the_cohort_has_at_least_twenty_adversarial_submissions(cohort: Cohort):
    adversarial = [c for c in cohort.cases if not c.name.startswith("honest")]
    assert len(adversarial) >= 20


def test_the_batch_completes_with_one_row_per_student(cohort: Cohort):
    assert set(cohort.grades) == {c.name for c in cohort.cases}


def test_each_submission_is_graded_correctly_or_flagged(cohort: Cohort):
    wrong = []
    for case in cohort.cases:
        if case.needs_sandbox and bwrap_path() is None:
            continue
        row = cohort.grades[case.name]
        ok_status = (
            row["status"] == "ok" if case.status == "ok" else row["status"].startswith(case.status)
        )
        if float(row["score"]) != case.score or float(row["max_score"]) != FULL or not ok_status:
            wrong.append(f"{case.name}: expected {case.score:g} and {case.status!r}, got {row}")
    assert not wrong, "\n".join(wrong)


def test_honest_students_keep_exactly_their_grades(cohort: Cohort):
    expected = {
        "honest_full": FULL,
        "honest_wrong": 1.0,
        "honest_blank": 0.0,
        "honest_warnings": FULL,
    }
    for name, score in expected.items():
        assert cohort.grades[name]["status"] == "ok"
        assert float(cohort.grades[name]["score"]) == score


@pytest.mark.skipif(bwrap_path() is None, reason="needs bubblewrap")
def test_hostile_code_saw_no_hidden_test_no_network_and_wrote_nothing_outside(cohort: Cohort):
    graded = cohort.out / "workspace" / "autograded"

    def printed(student: str) -> str:
        nb = nbformat.read(str(graded / student / TINY / f"{TINY}.ipynb"), as_version=4)
        return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))

    hunt = printed("reads_gradebook")
    assert "searched 0" in hunt and "FOUND" not in hunt, hunt[:500]
    net = printed("network")
    assert "no network" in net and "CONNECTED" not in net, net[:500]
    for place in (cohort.out / "workspace", Path("/tmp"), cohort.course.root, cohort.submissions):
        assert not (place / ESCAPE).exists(), place
    assert not list(cohort.out.rglob(ESCAPE))


@pytest.mark.skipif(os.getuid() != 0 or bwrap_path() is None, reason="sandbox users need root")
def test_no_sandboxed_process_outlives_the_batch(cohort: Cohort):
    assert cohort.uids_after == []


def test_huge_output_is_truncated_in_the_kept_notebook(cohort: Cohort):
    kept = cohort.out / "workspace" / "autograded" / "huge_output" / TINY / f"{TINY}.ipynb"
    assert kept.stat().st_size < 2_000_000


def test_grading_the_same_cohort_again_gives_identical_csvs(cohort: Cohort, tmp_path: Path):
    again = tmp_path / "again"
    grade(cohort.course, cohort.submissions, again, workers=2, cell_timeout=CELL_TIMEOUT)
    assert (again / "grades.csv").read_bytes() == (cohort.out / "grades.csv").read_bytes()
    assert (again / "cells.csv").read_bytes() == (cohort.out / "cells.csv").read_bytes()
