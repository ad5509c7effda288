"""``grade``: auto-grade a batch of submissions into ``grades.csv`` and ``cells.csv``.

Layout of a batch: ``SUBMISSIONS/<student_id>/<NN_name>/<NN_name>.ipynb``, or a zip file holding
that layout (an LMS export, optionally under one top-level folder).

State lives in a workspace (``OUT/workspace`` by default), never in ``solutions/`` or
``notebooks/``::

    workspace/source/<a>/          the instructor's notebooks (hidden tests included)
    workspace/gradebook.db         template gradebook written by generate_assignment
    workspace/source.sha256        fingerprint of the sources: results of other sources are stale
    workspace/results/<s>/<a>.json one result per graded submission (written atomically)
    workspace/autograded/<s>/<a>/  the executed notebooks, for feedback

Each submission is graded by a job in its own process (``autograder.job``); a job that crashes,
hangs or meets a broken notebook produces a result with a ``status`` saying so, and the batch
goes on. Results already present for the same submission bytes and the same sources are reused,
so a rerun after a crash continues where the batch stopped, and regrading gives identical CSVs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
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
    Course,
    CourseError,
    release_ignore,
)
from autograder.job import RESULT_VERSION, sha256_file, write_json_atomic, zero_result
from autograder.kernels import kernel_env

GRADES_COLUMNS = ["student_id", "assignment", "score", "max_score", "status"]
CELLS_COLUMNS = ["student_id", "assignment", "grade_id", "score", "max_score"]
SAFE_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+")
# Math-library threads per grading kernel: test cells compute on tiny tensors, and workers run
# side by side; more threads only contend (a 2-core machine graded notebook 06's mutants 3-5x
# slower with torch's default).
GRADING_THREADS = 1
# Wall-clock limit for a whole job process, on top of nbgrader's per-cell limit.
JOB_TIMEOUT_S = 30 * 60


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
        for path in sorted((workspace / "source" / a).rglob("*")):
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
        target = workspace / "source" / a
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(
            course.solutions / a,
            target,
            ignore=release_ignore,
        )
    fingerprint = _fingerprint(workspace, assignments)
    stamp = workspace / "source.sha256"
    db = workspace / "gradebook.db"
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
    return {
        "version": RESULT_VERSION,
        "student_id": sub.student_id,
        "assignment": sub.assignment,
        "submission_sha256": "",
        "source_fingerprint": fingerprint,
        **zero_result(workspace, sub.assignment, sub.problem),
        "seconds": 0.0,
    }


class _Worker:
    """A long-lived ``python -m autograder.job --serve`` process that grades job after job.

    If it dies or a job runs past ``JOB_TIMEOUT_S``, it is killed, that one job gets a failure
    result, and the next job starts a fresh worker.
    """

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.proc: subprocess.Popen[str] | None = None
        self.log: Any = None

    def _start(self) -> subprocess.Popen[str]:
        env = kernel_env(threads=GRADING_THREADS)
        env["PYTHONWARNINGS"] = "ignore"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log = tempfile.NamedTemporaryFile(
            "w+", dir=self.log_dir, prefix="worker-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.job", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            text=True,
            bufsize=1,
        )
        return self.proc

    def _last_log_line(self) -> str:
        try:
            lines = Path(self.log.name).read_text().strip().splitlines()
        except OSError:
            return ""
        return lines[-1][:200] if lines else ""

    def run(self, spec_path: str, timeout: float) -> str | None:
        """Grade one spec; None when the worker reported it done, else why it failed."""
        proc = self.proc if self.proc is not None and self.proc.poll() is None else self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(spec_path + "\n")
            proc.stdin.flush()
        except OSError:
            return self._failed("grading error: the grading process could not take the job")
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            return self._failed(f"timeout: grading took longer than {timeout:.0f} s")
        answer = proc.stdout.readline().strip()
        if answer == "done":
            return None
        if not answer:
            return self._failed(
                f"grading error: the grading process died ({self._last_log_line() or 'no log'})"
            )
        return f"grading error: {answer.removeprefix('error: ')[:200]}"

    def _failed(self, reason: str) -> str:
        self.close(kill=True)
        return reason

    def close(self, kill: bool = False) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if not kill and proc.stdin is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                kill = True
        if kill or proc.poll() is None:
            proc.kill()
            proc.wait()
        if self.log is not None:
            self.log.close()
            os.unlink(self.log.name)
            self.log = None


class _WorkerPool:
    """One worker per grading thread, all closed at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.local = threading.local()
        self.workers: list[_Worker] = []
        self.lock = threading.Lock()

    def worker(self) -> _Worker:
        if not hasattr(self.local, "worker"):
            self.local.worker = _Worker(self.log_dir)
            with self.lock:
                self.workers.append(self.local.worker)
        return self.local.worker

    def close(self) -> None:
        for w in self.workers:
            w.close()


def _failure_result(
    workspace: Path, sub: Submission, fingerprint: str, reason: str | None
) -> dict[str, Any]:
    """The result of a submission whose grading job failed (not the student's notebook)."""
    result = _missing_result(workspace, sub, fingerprint)
    result["status"] = reason or "grading error: the job wrote no result"
    return result


def _run_job(
    pool: _WorkerPool,
    workspace: Path,
    sub: Submission,
    result_path: Path,
    fingerprint: str,
    cell_timeout: int,
) -> None:
    assert sub.path is not None
    spec = {
        "workspace": str(workspace.resolve()),
        "student_id": sub.student_id,
        "assignment": sub.assignment,
        "submission": str(sub.path.resolve()),
        "result": str(result_path.resolve()),
        "cell_timeout": cell_timeout,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
        spec_path = fh.name
    try:
        reason = pool.worker().run(spec_path, JOB_TIMEOUT_S)
    finally:
        os.unlink(spec_path)
    if reason is not None or not result_path.is_file():
        result = _failure_result(workspace, sub, fingerprint, reason)
        result["submission_sha256"] = sha256_file(sub.path)
        write_json_atomic(result_path, result)


def grade(
    course: Course,
    submissions: Path,
    out: Path,
    *,
    assignments: list[str] | None = None,
    workers: int = 1,
    workspace: Path | None = None,
    cell_timeout: int = CELL_TIMEOUT_S,
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

        results_dir = workspace / "results"
        todo = []
        for sub in subs:
            path = results_dir / sub.student_id / f"{sub.assignment}.json"
            if sub.path is None:
                write_json_atomic(path, _missing_result(workspace, sub, fingerprint))
            elif not _result_is_current(path, sub, fingerprint):
                todo.append((sub, path))

        done = len(subs) - len(todo)
        if scheduler is not None:
            done = _grade_on_cluster(
                scheduler, workspace, fingerprint, selected, todo, cell_timeout, done,
                len(subs), progress,
            )  # fmt: skip
        else:
            done = _grade_locally(
                workspace, fingerprint, todo, workers, cell_timeout, done, len(subs), progress
            )

        results = [
            json.loads((results_dir / s.student_id / f"{s.assignment}.json").read_text())
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
    cell_timeout: int,
    done: int,
    total: int,
    progress: Callable[[int, int, dict[str, Any]], None] | None,
) -> int:
    """Grade ``todo`` with ``workers`` local job processes; return the new ``done`` count."""
    jobs = _WorkerPool(workspace / "logs")
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {
                pool.submit(_run_job, jobs, workspace, sub, path, fingerprint, cell_timeout): path
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
    cell_timeout: int,
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
        kept = (
            workspace / "autograded" / sub.student_id / sub.assignment / f"{sub.assignment}.ipynb"
        )
        if autograded is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            tmp = kept.with_name(f".tmp-{kept.name}")
            tmp.write_bytes(autograded)
            os.replace(tmp, kept)
        write_json_atomic(path, result)
        count += 1
        if progress is not None:
            progress(count, total, result)

    def failed(sub: Submission, path: Path, reason: str) -> None:
        assert sub.path is not None
        result = _failure_result(
            workspace, sub, fingerprint, f"grading error: the cluster could not grade it ({reason})"
        )
        result["submission_sha256"] = sha256_file(sub.path)
        result["retry"] = True  # not the student's fault: the next run grades it again
        record(sub, path, result, None)

    grade_on_cluster(scheduler, workspace, assignments, todo, cell_timeout, record, failed)
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
