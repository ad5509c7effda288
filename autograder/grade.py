"""``grade``: auto-grade a batch of submissions into ``grades.csv`` and ``cells.csv``.

Layout of a batch: ``SUBMISSIONS/<student_id>/<NN_name>/<NN_name>.ipynb``, or a zip file holding
that layout (an LMS export, optionally under one top-level folder).

State lives in a workspace (``OUT/workspace`` by default), never in ``solutions/`` or
``notebooks/``; :mod:`autograder.workspace` owns its layout.

Each submission is graded by a job in a grading worker (``autograder.worker``); a job that crashes,
hangs or meets a broken notebook produces a result with a ``status`` saying so, and the batch
goes on. Results already present for the same submission bytes and the same sources are reused,
so a rerun after a crash continues where the batch stopped, and regrading gives identical CSVs.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from autograder.build import generate
from autograder.course import (
    CELL_TIMEOUT_S,
    NOTEBOOK_TIMEOUT_S,
    Course,
    CourseError,
    release_ignore,
)
from autograder.intake import (
    Intake,
    Submission,
    collect,
    extract_zip,
    is_safe_id,
    read_roster,
    write_intake_csv,
)
from autograder.job import expected_cells, sha256_file
from autograder.records import RESULT_VERSION, Result
from autograder.worker import WorkerPool, grade_submission, read_regular_file
from autograder.workspace import Workspace, write_bytes_atomic, write_json_atomic

GRADES_COLUMNS = ["student_id", "assignment", "score", "max_score", "status"]
CELLS_COLUMNS = ["student_id", "assignment", "grade_id", "score", "max_score"]
SUBMISSIONS_COLUMNS = ["student_id", "assignment", "status", "late", "seconds", "file"]
__all__ = ["Submission", "extract_zip", "grade", "is_safe_id", "run_canary"]


def _fingerprint(workspace: Path, assignments: list[str]) -> str:
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(version("nbgrader").encode())  # importing nbgrader itself takes 1.5 s
    for a in sorted(assignments):
        for path in sorted(Workspace(workspace).source_dir(a).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(workspace / "source")).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def copy_sources(course: Course, workspace: Path, assignments: list[str]) -> str:
    """Copy the sources of ``assignments`` into ``workspace``; return their fingerprint (see
    :func:`build_gradebook` for the rest of the workspace)."""
    workspace.mkdir(parents=True, exist_ok=True)
    for a in assignments:
        target = Workspace(workspace).source_dir(a)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(
            course.solutions / a,
            target,
            ignore=release_ignore,
        )
    return _fingerprint(workspace, assignments)


def build_gradebook(workspace: Path, assignments: list[str], fingerprint: str) -> None:
    """Build the template gradebook of the copied sources, unless it is current."""
    stamp = Workspace(workspace).fingerprint_file
    db = Workspace(workspace).gradebook
    if stamp.is_file() and stamp.read_text().strip() == fingerprint and db.is_file():
        return
    if db.exists():
        db.unlink()
    for a in assignments:
        generate(workspace, "source", "release", a, db_path=db)
    stamp.write_text(fingerprint + "\n")


def find_submissions(folder: Path, assignments: list[str], explicit: bool) -> list[Submission]:
    """The submissions under ``folder`` (our own layout) for ``assignments``; see
    :func:`autograder.intake.collect` for the other layouts and the intake report."""
    return collect(folder, assignments, explicit=explicit, layout="ours").submissions


def _result_is_current(path: Path, sub: Submission, fingerprint: str) -> bool:
    if not path.is_file():
        return False
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return (
        result.get("version") == RESULT_VERSION
        and not result.get("retry", False)
        and result.get("source_fingerprint") == fingerprint
        and result.get("submission_sha256") == (sha256_file(sub.path) if sub.path else "")
    )


def _missing_result(workspace: Path, sub: Submission, fingerprint: str) -> dict[str, Any]:
    expected = expected_cells(workspace, sub.assignment)
    zero = Result.zero(
        sub.student_id, sub.assignment, expected, sub.problem, source_fingerprint=fingerprint
    )
    return zero.to_dict()


def _store(
    workspace: Path, sub: Submission, path: Path, result: Result, autograded: bytes | None
) -> None:
    """Write a job's result and executed notebook into the workspace (atomically)."""
    if autograded is not None:
        write_bytes_atomic(
            Workspace(workspace).autograded(sub.student_id, sub.assignment), autograded
        )
    write_json_atomic(path, result.to_dict())


@functools.lru_cache(maxsize=16)
def _bundle(workspace: Path, fingerprint: str, assignment: str) -> dict[str, bytes]:
    """The job workspace of ``assignment``, read once per sources (``fingerprint``)."""
    return Workspace(workspace).bundle([assignment])


def _run_job(
    pool: WorkerPool,
    workspace: Path,
    sub: Submission,
    result_path: Path,
    fingerprint: str,
    cell_timeout: int,
    notebook_timeout: int = NOTEBOOK_TIMEOUT_S,
) -> None:
    """Grade ``sub`` into ``result_path`` (see :func:`autograder.worker.grade_submission`: a
    crashed kernel or a failed job is tried once more, a result that fails twice is flagged)."""
    assert sub.path is not None
    with pool.lease() as worker:
        result, autograded = grade_submission(
            worker,
            _bundle(workspace.resolve(), fingerprint, sub.assignment),
            sub.student_id,
            sub.assignment,
            read_regular_file(sub.path) or b"",
            sub.path.name,
            cell_timeout,
            notebook_timeout,
        )
    _store(workspace, sub, result_path, result, autograded)


CANARY_ID = "#canary"  # never a student id (see is_safe_id)


def run_canary(
    workspace: Path,
    fingerprint: str,
    assignments: list[str],
    cell_timeout: int,
    notebook_timeout: int,
    pool: WorkerPool,
) -> list[dict[str, Any]]:
    """Grade the instructor's own notebook of each assignment, as a submission, in the grading
    environment; raise ``CourseError`` saying why when one does not get full marks (for
    instance: ``course_lib`` cannot be imported in the sandbox). Results are kept in
    ``workspace/canary`` and reused while the sources and the submission bytes are the same.
    ``pool``: the batch's workers (the students' jobs use them next)."""
    results = []
    for assignment in assignments:
        source = Workspace(workspace).source_notebook(assignment)
        sub = Submission(CANARY_ID, assignment, source)
        path = Workspace(workspace).canary(assignment)
        if not _result_is_current(path, sub, fingerprint):
            _run_job(pool, workspace, sub, path, fingerprint, cell_timeout, notebook_timeout)
        results.append(json.loads(path.read_text()))
    for result in results:
        status = result["status"]
        if result["score"] != result["max_score"] or not (
            status == "ok" or status.startswith("review:")
        ):
            assignment = result["assignment"]
            why = _first_error(Workspace(workspace).autograded(CANARY_ID, assignment))
            raise CourseError(
                f"canary: the instructor's own notebook {assignment} gets "
                f"{result['score']:g} / {result['max_score']:g} (status: {status}) in this "
                f"grading environment, so no submission was graded. First error: {why}. "
                "Check that course_lib and the notebook's packages import in the sandbox "
                "(python -m autograder check runs the same notebook unsandboxed)."
            )
    return results


def _first_error(notebook: Path) -> str:
    """``ename: evalue`` of the first error output of an executed notebook, or a note."""
    try:
        nb = json.loads(notebook.read_text())
    except (OSError, ValueError):
        return "the notebook could not be run at all"
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {str(out.get('evalue'))[:300]}"
    return "none recorded"


def grade(
    course: Course,
    submissions: Path,
    out: Path,
    *,
    assignments: list[str] | None = None,
    workers: int = 1,
    workspace: Path | None = None,
    cell_timeout: int = CELL_TIMEOUT_S,
    notebook_timeout: int = NOTEBOOK_TIMEOUT_S,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    scheduler: str | None = None,
    layout: str | None = None,
    pattern: str | None = None,
    roster: Path | None = None,
) -> list[dict[str, Any]]:
    """Grade every submission under ``submissions``; write ``out/grades.csv`` and ``out/cells.csv``
    (plus ``out/intake.csv``, what became of each file of the export, and
    ``out/submissions.csv``, each graded row's late flag, grading time and file).

    Args:
        course: the course (its ``solutions/`` hold the hidden tests).
        submissions: an export (a folder or a zip of one) in one of the layouts of
            :mod:`autograder.intake`: Canvas, Moodle, nbgrader, ours
            (``<student_id>/<NN_name>/<NN_name>.ipynb``) or a name pattern.
        out: output folder for the CSV files.
        assignments: assignments to grade; default all assignments found in the batch.
        workers: number of jobs graded at the same time.
        workspace: grading state; default ``out/workspace``.
        cell_timeout: per-cell wall-clock limit (s).
        notebook_timeout: wall-clock budget of one whole notebook (s).
        progress: called as ``progress(done, total, result)`` after each job.
        scheduler: the address of a dask scheduler (``tcp://HOST:PORT``): grade on its
            workers instead of local ones (``workers`` is then ignored); see
            :mod:`autograder.distributed`.
        layout: force the intake layout (``canvas``, ``moodle``, ``nbgrader``, ``ours``,
            ``pattern``); default: detected.
        pattern: the regular expression of the ``pattern`` layout (named groups ``student``
            and ``assignment``).
        roster: a roster CSV mapping platform ids to student ids (see
            :class:`autograder.intake.Roster`); its students without a submission get a
            ``missing`` row.

    Returns:
        The results, one per student and assignment, sorted.
    """
    out.mkdir(parents=True, exist_ok=True)
    workspace = workspace or out / "workspace"
    _check_workspace_location(course, workspace)
    explicit = bool(assignments)
    selected = course.resolve_assignments(assignments)

    with tempfile.TemporaryDirectory(prefix="autograder-intake-") as tmp:
        folder = submissions
        if submissions.is_file() and zipfile.is_zipfile(submissions):
            folder = extract_zip(submissions, Path(tmp))
        elif not submissions.exists():
            raise CourseError(f"{submissions} does not exist")
        intake = collect(
            folder,
            selected,
            explicit=explicit,
            layout=layout,
            pattern=pattern,
            roster=read_roster(roster) if roster is not None else None,
        )
        subs = intake.submissions
        if not explicit:
            present = sorted({s.assignment for s in subs})
            selected = present
        if not subs:
            raise CourseError(_nothing_found(submissions, intake))
        write_intake_csv(intake, out)
        jobs = WorkerPool(Workspace(workspace).logs)
        try:
            return _grade_batch(
                course, out, workspace, selected, subs, jobs, workers, scheduler,
                (cell_timeout, notebook_timeout), progress,
            )  # fmt: skip
        finally:
            jobs.close()


def _grade_batch(
    course: Course,
    out: Path,
    workspace: Path,
    selected: list[str],
    subs: list[Submission],
    jobs: WorkerPool,
    workers: int,
    scheduler: str | None,
    timeouts: tuple[int, int],
    progress: Callable[[int, int, dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    """The rest of :func:`grade`, once the submissions are known: workspace, canary, jobs,
    CSVs."""
    fingerprint = copy_sources(course, workspace, selected)
    todo = []
    for sub in subs:
        path = Workspace(workspace).result(sub.student_id, sub.assignment)
        if sub.path is not None and not _result_is_current(path, sub, fingerprint):
            todo.append((sub, path))
    if todo:
        # Workers start (Python, nbgrader, torch) while the gradebook is built.
        jobs.prestart(max(1, workers) if scheduler is None else 1)
    build_gradebook(workspace, selected, fingerprint)
    for sub in subs:
        if sub.path is None:
            path = Workspace(workspace).result(sub.student_id, sub.assignment)
            write_json_atomic(path, _missing_result(workspace, sub, fingerprint))

    done = len(subs) - len(todo)
    if todo:
        run_canary(workspace, fingerprint, selected, *timeouts, pool=jobs)
    if scheduler is not None:
        done = _grade_on_cluster(
            scheduler, workspace, fingerprint, selected, todo, timeouts, done, len(subs),
            progress,
        )  # fmt: skip
    else:
        done = _grade_locally(
            workspace, fingerprint, todo, workers, timeouts, done, len(subs), progress, jobs
        )

    results = [
        json.loads(Workspace(workspace).result(s.student_id, s.assignment).read_text())
        for s in subs
    ]
    _diagnose(course, workspace, results)
    results.sort(key=lambda r: (r["student_id"], r["assignment"]))
    write_csvs(results, out)
    write_submissions_csv(results, subs, out)
    return results


def _diagnose(course: Course, workspace: Path, results: list[dict[str, Any]]) -> None:
    """Label each lost test cell with its likely misconception (autograder.diagnosis), in the
    results and in their stored JSON (which the feedback pages read)."""
    import nbformat

    from autograder.diagnosis import (
        builds_on,
        diagnose,
        diagnose_literal_answers,
        exercise_of_tests,
        literal_mutants,
        load_signatures,
    )

    known: dict[str, tuple[dict[str, str], dict[str, list[str]], Any, Any, Any]] = {}
    for result in results:
        a = result["assignment"]
        if a not in known:
            path = Workspace(workspace).source_notebook(a)
            source = nbformat.read(str(path), 4) if path.is_file() else None
            owner = exercise_of_tests(source) if source is not None else {}
            earlier = builds_on(source) if source is not None else {}
            literal = literal_mutants(course, a) if source is not None else {}
            known[a] = (owner, earlier, load_signatures(course, a), source, literal)
        owner, earlier, signatures, source, literal = known[a]
        failed = {c["grade_id"] for c in result["cells"] if c["score"] < c["max_score"]}
        found = diagnose(signatures, owner, failed) if result["score"] > 0 else {}
        if result["score"] > 0 and signatures and literal:
            graded = Workspace(workspace).autograded(result["student_id"], a)
            found.update(diagnose_literal_answers(signatures, literal, source, graded, failed))
        lost_exercises = {owner[g] for g in failed if g in owner}
        changed = False
        for cell in result["cells"]:
            label = found.get(cell["grade_id"], "")
            if cell.get("misconception", "") != label:
                cell["misconception"] = label
                changed = True
            exercise = owner.get(cell["grade_id"], "")
            before = [e for e in earlier.get(exercise, []) if e in lost_exercises]
            if cell["grade_id"] in failed and before and result["score"] > 0:
                cell["depends_on"] = before
                changed = True
        if changed:
            path = Workspace(workspace).result(result["student_id"], a)
            write_json_atomic(path, result)


def _nothing_found(submissions: Path, intake: Intake) -> str:
    """Why no submission was found, with what the intake saw."""
    seen = "; ".join(f"{r.file}: {r.outcome} ({r.note})" for r in intake.rows[:5])
    more = f" and {len(intake.rows) - 5} more" if len(intake.rows) > 5 else ""
    return (
        f"no submissions found in {submissions} (layout {intake.layout}): expected "
        "<student_id>/<NN_name>/<NN_name>.ipynb, a Canvas or Moodle download, nbgrader's "
        "submitted/ folder, or --pattern"
        + (f"; found {seen}{more}" if seen else "; it holds no files")
    )


def _grade_locally(
    workspace: Path,
    fingerprint: str,
    todo: list[tuple[Submission, Path]],
    workers: int,
    timeouts: tuple[int, int],
    done: int,
    total: int,
    progress: Callable[[int, int, dict[str, Any]], None] | None,
    jobs: WorkerPool,
) -> int:
    """Grade ``todo`` with ``workers`` job processes of ``jobs`` at a time; return the new
    ``done`` count. ``timeouts`` are the cell and the whole-notebook limits (s)."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {
            pool.submit(_run_job, jobs, workspace, sub, path, fingerprint, *timeouts): path
            for sub, path in todo
        }
        for fut in as_completed(futures):
            fut.result()
            done += 1
            if progress is not None:
                progress(done, total, json.loads(futures[fut].read_text()))
    return done


def _grade_on_cluster(
    scheduler: str,
    workspace: Path,
    fingerprint: str,
    assignments: list[str],
    todo: list[tuple[Submission, Path]],
    timeouts: tuple[int, int],
    done: int,
    total: int,
    progress: Callable[[int, int, dict[str, Any]], None] | None,
) -> int:
    """Grade ``todo`` on a dask cluster, merging each result as it arrives; return ``done``."""
    from autograder.distributed import grade_on_cluster

    count = done

    def record(
        sub: Submission, path: Path, result: dict[str, Any], autograded: bytes | None
    ) -> None:
        nonlocal count
        _store(workspace, sub, path, Result.from_dict(result), autograded)
        count += 1
        if progress is not None:
            progress(count, total, result)

    def failed(sub: Submission, path: Path, reason: str) -> None:
        assert sub.path is not None
        zero = Result.zero(
            sub.student_id,
            sub.assignment,
            expected_cells(workspace, sub.assignment),
            f"grading error: the cluster could not grade it ({reason})",
            submission_sha256=sha256_file(sub.path),
            source_fingerprint=fingerprint,
            retry=True,  # not the student's fault: the next run grades it again
        )
        record(sub, path, zero.to_dict(), None)

    grade_on_cluster(scheduler, workspace, assignments, todo, timeouts, record, failed)
    return count


def _check_workspace_location(course: Course, workspace: Path) -> None:
    ws = workspace.resolve()
    for protected in (course.solutions.resolve(), course.notebooks.resolve()):
        if ws == protected or protected in ws.parents:
            raise CourseError(f"the workspace {workspace} must lie outside {protected}")


def _fmt(x: float) -> str:
    return f"{x:g}"


def write_csvs(results: list[dict[str, Any]], out: Path) -> None:
    """Write ``grades.csv`` (one row per student and assignment) and ``cells.csv``."""
    with open(out / "grades.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(GRADES_COLUMNS)
        for r in results:
            w.writerow(
                [
                    r["student_id"],
                    r["assignment"],
                    _fmt(r["score"]),
                    _fmt(r["max_score"]),
                    r["status"],
                ]
            )
    # the diagnosis of a lost point (the catalogued misconception), where the grader gives one
    diagnosed = any("misconception" in c for r in results for c in r["cells"])
    with open(out / "cells.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CELLS_COLUMNS + (["misconception"] if diagnosed else []))
        for r in results:
            for c in r["cells"]:
                w.writerow(
                    [
                        r["student_id"],
                        r["assignment"],
                        c["grade_id"],
                        _fmt(c["score"]),
                        _fmt(c["max_score"]),
                    ]
                    + ([c.get("misconception") or ""] if diagnosed else [])
                )


def write_submissions_csv(results: list[dict[str, Any]], subs: list[Submission], out: Path) -> None:
    """Write ``submissions.csv``: per row of grades.csv, the late flag the platform gave, the
    grading time (s) and the file of the export that was graded."""
    by_key = {(s.student_id, s.assignment): s for s in subs}
    with open(out / "submissions.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SUBMISSIONS_COLUMNS)
        for r in results:
            sub = by_key.get((r["student_id"], r["assignment"]))
            w.writerow(
                [
                    r["student_id"],
                    r["assignment"],
                    r["status"],
                    "yes" if sub is not None and sub.late else "",
                    f"{float(r.get('seconds') or 0.0):.2f}",
                    sub.file if sub is not None else "",
                ]
            )
