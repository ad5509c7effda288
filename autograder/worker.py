"""Grading workers and their protocol, both sides, in one place.

A worker is a long-lived process, ``python -m autograder.worker``, that grades job after job:
Python and nbgrader start once per worker, not per notebook. The protocol is one line each way:
the client writes the path of a job's spec (:class:`~autograder.records.JobSpec`) on the
worker's stdin; the worker answers ``done`` once the job's result is written, or
``error: ...``. Anything else the worker prints goes to its log, never into the protocol.

Each job gets a *job folder* of its own, prepared by the client (:func:`grade_submission`)::

    job/workspace/       the assignment's source, the template gradebook, the fingerprint
    job/submitted/NAME   the student's notebook
    job/spec.json        the spec; the worker writes job/result.json and job/autograded.ipynb

so the worker reads and writes nothing else, and the client alone copies the results into the
grading workspace. (The worker runs as the grader's user; the student's code runs in the
kernel's sandbox, as a user of its own when the grader is root, and every file it writes stays in
the sandbox's in-memory folders, which nothing outside reads.)

A job whose kernel crashed or whose worker failed is tried once more at once; a result that
keeps such a status is flagged (``retry``) so that the next run grades it again. A worker that
dies or runs past ``JOB_TIMEOUT_S`` is killed; only its job is lost, and the next job starts a
fresh worker.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from autograder.records import JobSpec, Result
from autograder.workspace import Workspace, write_bundle

__all__ = [
    "INFRASTRUCTURE_FAILURES",
    "JOB_TIMEOUT_S",
    "Worker",
    "WorkerPool",
    "grade_submission",
    "is_infrastructure_failure",
    "serve",
]

# Wall-clock limit for a whole job, on top of the per-cell and per-notebook limits.
JOB_TIMEOUT_S = 30 * 60
# Math-library threads per grading kernel: test cells compute on tiny tensors, and workers run
# side by side; more threads only contend (a 2-core machine graded notebook 06's mutants 3-5x
# slower with torch's default).
GRADING_THREADS = 1
# Statuses that say the grading machinery failed, not the student's notebook.
INFRASTRUCTURE_FAILURES = ("crashed kernel", "grading error")


def is_infrastructure_failure(status: str) -> bool:
    return status.startswith(INFRASTRUCTURE_FAILURES)


# -- client side ----------------------------------------------------------------------------


class Worker:
    """The client of one worker process (started on first use, restarted after a failure)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.proc: subprocess.Popen[str] | None = None
        self.log: Any = None

    def _start(self) -> subprocess.Popen[str]:
        from autograder.kernels import kernel_env

        env = kernel_env(threads=GRADING_THREADS)
        env["PYTHONWARNINGS"] = "ignore"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log = tempfile.NamedTemporaryFile(
            "w+", dir=self.log_dir, prefix="worker-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            cwd=tempfile.gettempdir(),
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

    def ensure_started(self) -> subprocess.Popen[str]:
        if self.proc is not None and self.proc.poll() is None:
            return self.proc
        return self._start()

    def run(self, spec_path: str, timeout: float) -> str | None:
        """Grade one spec; None when the worker reported it done, else why it failed."""
        proc = self.ensure_started()
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


class WorkerPool:
    """One worker per grading thread, all closed at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.local = threading.local()
        self.workers: list[Worker] = []
        self.lock = threading.Lock()

    def worker(self) -> Worker:
        if not hasattr(self.local, "worker"):
            self.local.worker = Worker(self.log_dir)
            with self.lock:
                self.workers.append(self.local.worker)
        return self.local.worker

    def close(self) -> None:
        for w in self.workers:
            w.close()


def _failure_result(
    job: Workspace, student_id: str, assignment: str, notebook: Path, reason: str | None
) -> Result:
    """The result of a job that the grading machinery failed (not the student's notebook)."""
    from autograder.job import expected_cells, sha256_file

    return Result.zero(
        student_id,
        assignment,
        expected_cells(job.root, assignment),
        reason or "grading error: the job wrote no result",
        submission_sha256=sha256_file(notebook),
        source_fingerprint=job.fingerprint(),
    )


def grade_submission(
    worker: Worker,
    bundle: dict[str, bytes],
    student_id: str,
    assignment: str,
    notebook: bytes,
    filename: str,
    cell_timeout: int,
    notebook_timeout: int,
) -> tuple[Result, bytes | None]:
    """Grade one notebook in a job folder of its own; return the result and the executed
    notebook (None when it did not run). Used by local grading and by dask tasks alike."""
    with tempfile.TemporaryDirectory(prefix="autograder-job-") as tmp:
        folder = Path(tmp)
        job = write_bundle(bundle, folder / "workspace")
        submitted = folder / "submitted" / (os.path.basename(filename) or f"{assignment}.ipynb")
        submitted.parent.mkdir()
        submitted.write_bytes(notebook)
        spec = JobSpec(
            workspace=str(job.root),
            student_id=student_id,
            assignment=assignment,
            submission=str(submitted),
            result=str(folder / "result.json"),
            autograded=str(folder / "autograded.ipynb"),
            cell_timeout=cell_timeout,
            notebook_timeout=notebook_timeout,
        )
        spec_path = folder / "spec.json"
        spec.write(spec_path)
        for _attempt in (1, 2):
            for output in (spec.result, spec.autograded):
                Path(output).unlink(missing_ok=True)
            reason = worker.run(str(spec_path), JOB_TIMEOUT_S)
            result_file, graded = Path(spec.result), Path(spec.autograded)
            if reason is None and result_file.is_file():
                result = Result.from_dict(json.loads(result_file.read_text()))
            else:
                result = _failure_result(job, student_id, assignment, submitted, reason)
            autograded = graded.read_bytes() if graded.is_file() else None
            if not is_infrastructure_failure(result.status):
                break
        else:
            result.retry = True
    return result, autograded


# -- worker side ----------------------------------------------------------------------------


def serve() -> int:
    """Grade one spec after another: read a spec path per line on stdin, answer ``done`` (or
    ``error: ...``) per line on stdout once its result is written. Student code never runs in
    this process (it runs in each job's sandboxed kernel)."""
    from autograder.job import run_job
    from autograder.workspace import write_json_atomic

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else written to stdout goes to stderr, not into the protocol
    logging.basicConfig(level=logging.ERROR)
    for line in sys.stdin:
        spec_path = line.strip()
        if not spec_path:
            continue
        try:
            spec = JobSpec.read(Path(spec_path))
            write_json_atomic(Path(spec.result), run_job(spec).to_dict())
            protocol.write("done\n")
        except Exception as exc:
            text = str(exc).strip()
            protocol.write(f"error: {text.splitlines()[0][:200] if text else type(exc).__name__}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(serve())
