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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from autograder.build import generate
from autograder.course import (
    ASSIGNMENT_RE,
    CELL_TIMEOUT_S,
    NOTEBOOK_TIMEOUT_S,
    Course,
    CourseError,
    release_ignore,
)
from autograder.job import expected_cells, sha256_file
from autograder.records import RESULT_VERSION, Result
from autograder.worker import WorkerPool, grade_submission
from autograder.workspace import Workspace, write_bytes_atomic, write_json_atomic

GRADES_COLUMNS = ["student_id", "assignment", "score", "max_score", "status"]
CELLS_COLUMNS = ["student_id", "assignment", "grade_id", "score", "max_score"]
SAFE_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+")
__all__ = ["Submission", "grade", "run_canary"]


@dataclass(frozen=True)
class Submission:
    """One notebook to grade (``path`` None when the student did not hand it in)."""

    student_id: str
    assignment: str
    path: Path | None
    problem: str = "missing: no notebook handed in"


def is_safe_id(name: str) -> bool:
    """A student id that is safe as a folder name and a CSV value."""
    return bool(name) and name not in (".", "..") and set(name) <= SAFE_ID_CHARS


def _fingerprint(workspace: Path, assignments: list[str]) -> str:
    digest = hashlib.sha256()
    import nbgrader

    digest.update(nbgrader.__version__.encode())
    for a in sorted(assignments):
        for path in sorted(Workspace(workspace).source_dir(a).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(workspace / "source")).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def prepare_workspace(course: Course, workspace: Path, assignments: list[str]) -> str:
    """Copy the sources into ``workspace`` and build its template gradebook.

    Returns:
        The fingerprint of the sources (stored in ``workspace/source.sha256``).
    """
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
    fingerprint = _fingerprint(workspace, assignments)
    stamp = Workspace(workspace).fingerprint_file
    db = Workspace(workspace).gradebook
    if stamp.is_file() and stamp.read_text().strip() == fingerprint and db.is_file():
        return fingerprint
    if db.exists():
        db.unlink()
    for a in assignments:
        generate(workspace, "source", "release", a, db_path=db)
    stamp.write_text(fingerprint + "\n")
    return fingerprint


def extract_zip(zip_path: Path, dest: Path) -> Path:
    """Extract an LMS zip into ``dest`` and return the folder holding the student folders.

    Raises:
        CourseError: for entries with absolute paths, ``..`` components, or links.
    """
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or (parts and ":" in parts[0]) or ".." in parts:
                raise CourseError(f"unsafe path in {zip_path.name}: {name!r} (rejected)")
            mode = info.external_attr >> 16
            if mode and (mode & 0o170000) == 0o120000:
                raise CourseError(f"symbolic link in {zip_path.name}: {name!r} (rejected)")
        zf.extractall(dest)
    entries = [p for p in dest.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        inner = [p for p in entries[0].iterdir() if p.is_dir()]
        if inner and all(not ASSIGNMENT_RE.match(p.name) for p in inner):
            return entries[0]
    return dest


def find_submissions(folder: Path, assignments: list[str], explicit: bool) -> list[Submission]:
    """The submissions under ``folder`` for ``assignments``.

    A student gets one entry per assignment they handed in; with ``explicit`` (the instructor
    named the assignments) also one, with ``path=None``, for each one they did not.
    """
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder or a zip file of submissions")
    found: list[Submission] = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        student = student_dir.name
        if student.startswith(".") or student == "__MACOSX":
            continue
        if not is_safe_id(student):
            raise CourseError(
                f"student folder {student!r} has characters that are not allowed in a student id"
            )
        for a in assignments:
            nb = student_dir / a / f"{a}.ipynb"
            if nb.is_file():
                found.append(Submission(student, a, nb))
            elif (student_dir / a).is_dir():
                others = sorted((student_dir / a).glob("*.ipynb"))
                if len(others) == 1:
                    found.append(Submission(student, a, others[0]))
                elif others:
                    names = ", ".join(p.name for p in others)
                    problem = f"ambiguous: several notebooks ({names}) and none named {a}.ipynb"
                    found.append(Submission(student, a, None, problem))
                else:
                    found.append(Submission(student, a, None))
            elif explicit:
                found.append(Submission(student, a, None))
    return found


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
    result, autograded = grade_submission(
        pool.worker(),
        _bundle(workspace.resolve(), fingerprint, sub.assignment),
        sub.student_id,
        sub.assignment,
        sub.path.read_bytes(),
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
    notebook_timeout: int = NOTEBOOK_TIMEOUT_S,
) -> list[dict[str, Any]]:
    """Grade the instructor's own notebook of each assignment, as a submission, in the grading
    environment; raise ``CourseError`` saying why when one does not get full marks (for
    instance: ``course_lib`` cannot be imported in the sandbox). Results are kept in
    ``workspace/canary`` and reused while the sources and the submission bytes are the same."""
    results = []
    jobs = WorkerPool(Workspace(workspace).logs)
    try:
        for assignment in assignments:
            source = Workspace(workspace).source_notebook(assignment)
            sub = Submission(CANARY_ID, assignment, source)
            path = Workspace(workspace).canary(assignment)
            if not _result_is_current(path, sub, fingerprint):
                _run_job(jobs, workspace, sub, path, fingerprint, cell_timeout, notebook_timeout)
            results.append(json.loads(path.read_text()))
    finally:
        jobs.close()
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
) -> list[dict[str, Any]]:
    """Grade every submission under ``submissions``; write ``out/grades.csv`` and ``out/cells.csv``.

    Args:
        course: the course (its ``solutions/`` hold the hidden tests).
        submissions: a folder ``<student_id>/<NN_name>/<NN_name>.ipynb`` or a zip of one.
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
        subs = find_submissions(folder, selected, explicit)
        if not explicit:
            present = sorted({s.assignment for s in subs})
            selected = present
        if not subs:
            raise CourseError(
                f"no submissions found in {submissions}: expected "
                "<student_id>/<NN_name>/<NN_name>.ipynb"
            )
        fingerprint = prepare_workspace(course, workspace, selected)

        todo = []
        for sub in subs:
            path = Workspace(workspace).result(sub.student_id, sub.assignment)
            if sub.path is None:
                write_json_atomic(path, _missing_result(workspace, sub, fingerprint))
            elif not _result_is_current(path, sub, fingerprint):
                todo.append((sub, path))

        done = len(subs) - len(todo)
        if todo:
            run_canary(workspace, fingerprint, selected, cell_timeout, notebook_timeout)
        if scheduler is not None:
            done = _grade_on_cluster(
                scheduler, workspace, fingerprint, selected, todo,
                (cell_timeout, notebook_timeout), done,
                len(subs), progress,
            )  # fmt: skip
        else:
            done = _grade_locally(
                workspace, fingerprint, todo, workers, (cell_timeout, notebook_timeout), done,
                len(subs), progress,
            )  # fmt: skip

        results = [
            json.loads(Workspace(workspace).result(s.student_id, s.assignment).read_text())
            for s in subs
        ]
    results.sort(key=lambda r: (r["student_id"], r["assignment"]))
    write_csvs(results, out)
    return results


def _grade_locally(
    workspace: Path,
    fingerprint: str,
    todo: list[tuple[Submission, Path]],
    workers: int,
    timeouts: tuple[int, int],
    done: int,
    total: int,
    progress: Callable[[int, int, dict[str, Any]], None] | None,
) -> int:
    """Grade ``todo`` with ``workers`` local job processes; return the new ``done`` count.
    ``timeouts`` are the cell and the whole-notebook limits (s)."""
    jobs = WorkerPool(Workspace(workspace).logs)
    try:
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
    finally:
        jobs.close()
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
    with open(out / "cells.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CELLS_COLUMNS)
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
                )
