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
grading workspace. The student's code runs in the kernel's sandbox, and every file it writes
stays in the sandbox's in-memory folders, which nothing outside reads. When the grader runs as
root, the worker does not: its first act is to drop to a user id of its own
(:func:`autograder.sandbox.sandbox_uid`), the client hands it the job folder (and nothing
else), and reads its two outputs back without following links (:func:`read_regular_file`).
Its kernels then run as that same unprivileged id, in a user namespace of bubblewrap's.

A job whose kernel crashed or whose worker failed is tried once more at once; a result that
keeps such a status is flagged (``retry``) so that the next run grades it again. A worker that
dies or runs past ``JOB_TIMEOUT_S`` is killed; only its job is lost, and the next job starts a
fresh worker.
"""

from __future__ import annotations

import contextlib
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
    "OUTPUT_LIMIT",
    "Worker",
    "WorkerPool",
    "WorkerStartError",
    "grade_submission",
    "is_infrastructure_failure",
    "read_regular_file",
    "serve",
]


class WorkerStartError(RuntimeError):
    """The grading process could not be started (the grader's failure, not the student's)."""


# Seconds a worker started by root may take to drop its privileges and say so.
START_TIMEOUT_S = 120
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


# The largest output of a job the client reads back (the kept notebook's outputs are capped far
# below this by the worker; a bigger file means a broken worker).
OUTPUT_LIMIT = 512 * 2**20


def read_regular_file(path: Path) -> bytes | None:
    """The bytes of ``path`` (a file a worker wrote, a submitted notebook), or None when it is
    missing, not a regular file (a link is not followed) or over :data:`OUTPUT_LIMIT`."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > OUTPUT_LIMIT:
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read(OUTPUT_LIMIT + 1)[:OUTPUT_LIMIT]


def _kill_user(uid: int) -> None:
    """SIGKILL every process of ``uid`` (a worker's own user id: only it and its kernels)."""
    import signal

    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)


# -- client side ----------------------------------------------------------------------------


class Worker:
    """The client of one worker process (started on first use, restarted after a failure)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.proc: subprocess.Popen[str] | None = None
        self.log: Any = None
        # the user id the running worker dropped to; None when it keeps ours (we are not root)
        self.uid: int | None = None
        self._starting = threading.Lock()

    def _start(self) -> subprocess.Popen[str]:
        from autograder.kernels import kernel_env
        from autograder.sandbox import worker_command

        env = kernel_env(threads=GRADING_THREADS)
        env["PYTHONWARNINGS"] = "ignore"
        command = [sys.executable, "-m", "autograder.worker"]
        root = os.geteuid() == 0
        if root:
            wrapped = worker_command([*command, "--drop-privileges"])
            if wrapped is None:
                raise WorkerStartError(
                    "the grader runs as root and the Python installation is not readable by "
                    "other users: install bubblewrap, or grade as an ordinary user"
                )
            command = wrapped
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log = tempfile.NamedTemporaryFile(
            "w+", dir=self.log_dir, prefix="worker-", suffix=".log", delete=False
        )
        self.uid = None
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            cwd=tempfile.gettempdir(),
            text=True,
            bufsize=1,
        )
        if root:  # the worker's first line names the user id it dropped to
            assert self.proc.stdout is not None
            ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT_S)
            line = self.proc.stdout.readline().strip() if ready else ""
            if not line.startswith("uid "):
                why = self._last_log_line() or "no log"
                self.close(kill=True)
                raise WorkerStartError(f"the grading process did not start ({why})")
            self.uid = int(line.split()[1])
        return self.proc

    def _last_log_line(self) -> str:
        try:
            lines = Path(self.log.name).read_text().strip().splitlines()
        except OSError:
            return ""
        return lines[-1][:200] if lines else ""

    def ensure_started(self) -> subprocess.Popen[str]:
        """The running worker; raises :class:`WorkerStartError` when it cannot start."""
        with self._starting:  # a pool may be starting it in the background
            if self.proc is not None and self.proc.poll() is None:
                return self.proc
            return self._start()

    def run(self, spec_path: str, timeout: float) -> str | None:
        """Grade one spec; None when the worker reported it done, else why it failed. The
        spec's folder (the job folder, see :func:`grade_submission`) is handed to the worker's
        user first when that is not ours."""
        try:
            proc = self.ensure_started()
        except WorkerStartError as exc:
            return f"grading error: {exc}"
        if self.uid is not None:
            from autograder.sandbox import give_to

            give_to(Path(spec_path).parent, self.uid)
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
            if self.uid is not None:
                # the worker and its kernels first, so that their parents reap them (killing
                # the bubblewrap around the worker first would leave them to init, as zombies)
                _kill_user(self.uid)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        if self.log is not None:
            self.log.close()
            os.unlink(self.log.name)
            self.log = None


class WorkerPool:
    """Workers lent to one job at a time (the canary's and the students' alike), all closed
    at the end. :meth:`prestart` starts them ahead of the first job, so that their Python and
    imports start while the grader prepares its workspace."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.workers: list[Worker] = []
        self.idle: list[Worker] = []
        self.lock = threading.Lock()
        self.starting: list[threading.Thread] = []

    def _take(self) -> Worker:
        with self.lock:
            if self.idle:
                return self.idle.pop()
            worker = Worker(self.log_dir)
            self.workers.append(worker)
            return worker

    @contextlib.contextmanager
    def lease(self) -> Any:
        """A worker of its own for the duration of one job."""
        worker = self._take()
        try:
            yield worker
        finally:
            with self.lock:
                self.idle.append(worker)

    def prestart(self, count: int) -> None:
        """Start ``count`` workers now, in the background (a worker that fails to start is
        tried again, and reported, when a job needs it)."""
        taken = [self._take() for _ in range(count)]
        with self.lock:
            self.idle.extend(taken)  # lent at once: a job waits for its worker's start

        def start(worker: Worker) -> None:
            with contextlib.suppress(WorkerStartError):
                worker.ensure_started()

        for worker in taken:
            thread = threading.Thread(target=start, args=(worker,), daemon=True)
            thread.start()
            self.starting.append(thread)

    def close(self) -> None:
        for thread in self.starting:
            thread.join()
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


def _read_result(path: Path) -> Result | None:
    """The result a worker wrote at ``path``; None when there is none or it does not parse."""
    written = read_regular_file(path)
    if written is None:
        return None
    try:
        return Result.from_dict(json.loads(written))
    except (ValueError, TypeError, KeyError):
        return None


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
            read = _read_result(Path(spec.result)) if reason is None else None
            result = read or _failure_result(
                job,
                student_id,
                assignment,
                submitted,
                reason or "grading error: the job wrote no readable result",
            )
            autograded = read_regular_file(Path(spec.autograded))
            if not is_infrastructure_failure(result.status):
                break
        else:
            result.retry = True
    return result, autograded


# -- worker side ----------------------------------------------------------------------------


def _drop_privileges() -> None:
    """As root: become :func:`autograder.sandbox.sandbox_uid` (no groups) before reading any
    job, with a home of our own (Jupyter and nbgrader write small files there)."""
    import atexit
    import shutil

    from autograder.sandbox import home_environment, sandbox_uid

    uid = sandbox_uid()
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    home = tempfile.mkdtemp(prefix="autograder-worker-")
    atexit.register(shutil.rmtree, home, True)
    os.environ.update(
        home_environment(home),
        JUPYTER_RUNTIME_DIR=f"{home}/.jupyter-runtime",
        JUPYTER_DATA_DIR=f"{home}/.jupyter-data",
    )
    tempfile.tempdir = home


def _import_ahead() -> None:
    """Import what every job needs (nbgrader, the judge, torch) before the first job arrives:
    a pool starts its workers while the grader prepares its workspace."""
    import importlib

    for name in (
        "nbgrader.converters",
        "nbgrader.api",
        "autograder.preprocessors",
        "autograder.sandbox",
        "autograder.judge",
        "autograder.integrity",
        "autograder.scan",
        "torch",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def serve(argv: list[str] | None = None) -> int:
    """Grade one spec after another: read a spec path per line on stdin, answer ``done`` (or
    ``error: ...``) per line on stdout once its result is written. Student code never runs in
    this process (it runs in each job's sandboxed kernel). With ``--drop-privileges`` (the
    client passes it when it is root), become an unprivileged user first."""
    drop = "--drop-privileges" in (sys.argv[1:] if argv is None else argv)
    if drop:
        _drop_privileges()
    from autograder.job import run_job
    from autograder.workspace import write_json_atomic

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    if drop:
        protocol.write(f"uid {os.getuid()}\n")
    os.dup2(2, 1)  # anything else written to stdout goes to stderr, not into the protocol
    logging.basicConfig(level=logging.ERROR)
    _import_ahead()
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
