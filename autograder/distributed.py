"""Grading on a ``dask.distributed`` cluster: ``grade SUBMISSIONS --out DIR --scheduler ADDR``.

The same grading job as on one machine runs on the cluster's workers: for each submission a task
carries the notebook's bytes and the name of the assignment; the worker writes them into a
private temporary workspace built from the *source bundle* (the instructor's source notebooks,
the template gradebook and the source fingerprint, sent once to every worker), and grades them
with the local machinery (:func:`autograder.worker.grade_submission`: a grading worker process,
each notebook in its own sandboxed kernel). The result comes back as data (the result record
and the graded notebook), and only the instructor's machine writes it into the one workspace,
atomically, as it arrives. So:

- no grade is lost: a batch that stops (a lost worker, Ctrl-C, a crashed client) resumes on the
  next run, which skips every current result, exactly as with local workers;
- none is duplicated: a result is keyed by student and assignment and written by this process
  alone, so a task that dask runs twice (a retry, a stolen task) writes the same file twice;
- a task that fails on the cluster (its worker died twice) gets a ``grading error: ...`` row
  now and is retried by the next run.

Each worker needs what a local grading machine needs: the same Python, this project installed
with the ``dask`` extra (``pip install "attention-course[dask]"`` plus torch), and
``bubblewrap`` for the sandbox. :func:`check_workers` refuses a cluster whose workers differ
from this machine in those respects, before anything is graded.
"""

from __future__ import annotations

import os
import platform
import tempfile
import threading
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from autograder.course import NOTEBOOK_TIMEOUT_S, CourseError
from autograder.worker import read_regular_file
from autograder.workspace import Workspace

# Packages whose versions must agree between this machine and every worker: they decide what a
# notebook computes and how it is graded.
PINNED_PACKAGES = ("attention-course", "nbgrader", "torch", "numpy", "nbclient", "ipykernel")
# Tasks in flight per worker thread: enough to keep workers busy, few enough that thousands of
# submissions are not all held in the scheduler's memory at once.
IN_FLIGHT_PER_THREAD = 2

_local = threading.local()


def environment() -> dict[str, Any]:
    """What grading depends on in this Python: its version, key packages, the sandbox."""
    from autograder.sandbox import bwrap_path

    versions: dict[str, str | None] = {}
    for name in PINNED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "packages": versions,
        "sandbox": bwrap_path() is not None,
        "host": platform.node(),
    }


def environment_differences(here: dict[str, Any], there: dict[str, Any]) -> list[str]:
    """Human-readable differences between two :func:`environment` records."""
    problems = []
    if here["python"] != there["python"]:
        problems.append(f"Python {there['python']} (here {here['python']})")
    for name, version in here["packages"].items():
        theirs = there["packages"].get(name)
        if theirs != version:
            problems.append(f"{name} {theirs or 'missing'} (here {version or 'missing'})")
    if here["sandbox"] and not there["sandbox"]:
        problems.append("no bubblewrap, so no sandbox (here: bwrap found)")
    return problems


def check_workers(client: Any) -> int:
    """Refuse a cluster that cannot grade exactly like this machine.

    Returns:
        the number of worker threads.

    Raises:
        CourseError: no worker is connected, or a worker's environment differs.
    """
    info = client.scheduler_info()
    workers = info.get("workers", {})
    if not workers:
        raise CourseError(
            "the dask scheduler has no workers: start some with "
            "`dask worker tcp://SCHEDULER:8786` on the grading machines"
        )
    here = environment()
    found = client.run(environment)
    problems = []
    for address, there in sorted(found.items()):
        differences = environment_differences(here, there)
        if differences:
            problems.append(f"{address} ({there['host']}): {'; '.join(differences)}")
    if problems:
        raise CourseError(
            "these dask workers cannot grade like this machine (install the same versions, and "
            "bubblewrap):\n  " + "\n  ".join(problems)
        )
    return sum(int(w.get("nthreads", 1)) for w in workers.values())


def source_bundle(workspace: Path, assignments: Iterable[str]) -> dict[str, bytes]:
    """The files a worker needs to grade ``assignments``: ``{relative path: bytes}``."""
    return Workspace(workspace).bundle(list(assignments))


def grade_on_worker(
    bundle: dict[str, bytes],
    student_id: str,
    assignment: str,
    notebook: bytes,
    filename: str,
    cell_timeout: int,
    notebook_timeout: int = NOTEBOOK_TIMEOUT_S,
) -> dict[str, Any]:
    """The dask task: grade one submission on this worker and return the result as data.

    Returns:
        ``{"result": <the job's result record>, "autograded": <graded notebook bytes or None>,
        "host": <worker host name>}``.
    """
    from autograder.worker import Worker, grade_submission

    if not hasattr(_local, "worker"):
        # one long-lived grading worker per dask worker thread, as with local grading; it
        # exits when this dask worker does (its stdin closes)
        _local.worker = Worker(Path(tempfile.gettempdir()) / "autograder-dask-logs")
    result, autograded = grade_submission(
        _local.worker,
        bundle,
        student_id,
        assignment,
        notebook,
        filename,
        cell_timeout,
        notebook_timeout,
    )
    return {"result": result.to_dict(), "autograded": autograded, "host": platform.node()}


def grade_on_cluster(
    scheduler: str,
    workspace: Path,
    assignments: list[str],
    todo: list[tuple[Any, Path]],
    timeouts: tuple[int, int],
    record: Callable[[Any, Path, dict[str, Any], bytes | None], None],
    failed: Callable[[Any, Path, str], None],
) -> None:
    """Grade the ``todo`` submissions on the cluster at ``scheduler``.

    Args:
        scheduler: the scheduler's address, ``tcp://HOST:PORT``.
        workspace: the prepared local workspace (sources, gradebook, fingerprint).
        assignments: the assignments of the batch.
        todo: ``(Submission, result path)`` pairs still to grade.
        timeouts: the per-cell and whole-notebook limits (s), as for local grading.
        record: called with ``(submission, result path, result, graded notebook bytes)`` as each
            result arrives, in this thread.
        failed: called with ``(submission, result path, reason)`` for a task that failed on the
            cluster (its result must be retried by the next run).
    """
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise CourseError(
            "grading on a dask cluster needs the dask extra: pip install "
            '"attention-course[dask]" (or: pip install distributed)'
        ) from exc
    try:
        client = Client(scheduler, timeout=30, set_as_default=False)
    except OSError as exc:
        raise CourseError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from exc
    with client, client.as_current():
        threads = check_workers(client)
        bundle = client.scatter(source_bundle(workspace, assignments), broadcast=True)
        pending = list(todo)
        pending.reverse()
        owners: dict[Any, tuple[Any, Path]] = {}

        def submit() -> Any:
            sub, path = pending.pop()
            future = client.submit(
                grade_on_worker,
                bundle,
                sub.student_id,
                sub.assignment,
                read_regular_file(sub.path) or b"",
                sub.path.name,
                *timeouts,
                key=f"grade-{sub.student_id}-{sub.assignment}-{os.urandom(4).hex()}",
                retries=1,
                pure=False,
            )
            owners[future] = (sub, path)
            return future

        window = max(1, threads * IN_FLIGHT_PER_THREAD)
        first = [submit() for _ in range(min(window, len(pending)))]
        if not first:
            return
        running = as_completed(first)
        for future in running:
            sub, path = owners.pop(future)
            try:
                answer = future.result()
            except Exception as exc:  # the task failed on the cluster, not the student
                text = str(exc).strip().splitlines()
                failed(sub, path, f"{type(exc).__name__}: {text[0][:160] if text else ''}")
            else:
                record(sub, path, answer["result"], answer["autograded"])
            finally:
                future.release()
            if pending:
                running.add(submit())


__all__ = [
    "check_workers",
    "environment",
    "environment_differences",
    "grade_on_cluster",
    "grade_on_worker",
    "source_bundle",
]
