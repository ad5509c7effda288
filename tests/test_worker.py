"""Tests for autograder.worker: one retry of an infrastructure failure, then a flag.

The real worker process is exercised by every grading test (test_grade, test_adversarial,
test_distributed); here a stand-in worker answers with chosen statuses.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import TINY
from test_grade import Batch, nb_bytes

pytestmark = pytest.mark.slow  # the bundle comes from the session's graded batch


class _FakeWorker:
    """Answers each job with a result of the next status in ``statuses``."""

    def __init__(self, statuses: list[str]) -> None:
        self.statuses, self.calls = statuses, []

    def run(self, spec_path: str, timeout: float) -> None:
        from autograder.records import JobSpec, Result
        from autograder.workspace import write_json_atomic

        spec = JobSpec.read(Path(spec_path))
        status = self.statuses[len(self.calls)]
        self.calls.append(status)
        result = Result(spec.student_id, spec.assignment, 0.0, 4.0, status)
        write_json_atomic(Path(spec.result), result.to_dict())


def _grade_with(batch: Batch, worker: _FakeWorker):
    from autograder.worker import grade_submission
    from autograder.workspace import Workspace

    bundle = Workspace(batch.out / "workspace").bundle([TINY])
    notebook = nb_bytes(batch.submissions, "correct")
    return grade_submission(worker, bundle, "s", TINY, notebook, "x.ipynb", 10, 60)[0]


def test_a_crashed_kernel_is_retried_once_and_a_success_is_kept(batch: Batch) -> None:
    worker = _FakeWorker(["crashed kernel", "ok"])
    result = _grade_with(batch, worker)
    assert worker.calls == ["crashed kernel", "ok"]
    assert result.status == "ok" and "retry" not in result.to_dict()


def test_a_kernel_that_crashes_twice_is_flagged_and_regraded_by_the_next_run(
    batch: Batch, tmp_path: Path
) -> None:
    from autograder.grade import Submission, _result_is_current
    from autograder.workspace import write_json_atomic

    worker = _FakeWorker(["crashed kernel", "grading error: worker died", "x"])
    result = _grade_with(batch, worker)
    assert len(worker.calls) == 2, "one automatic retry, no more"
    assert result.status.startswith("grading error") and result.retry is True
    path = tmp_path / "r.json"
    write_json_atomic(path, result.to_dict())
    notebook = batch.submissions / "correct" / TINY / f"{TINY}.ipynb"
    assert not _result_is_current(path, Submission("s", TINY, notebook), "f")


def _processes_of(uid: int) -> list[str]:
    """The command lines of the live processes whose real user id is ``uid``."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uids = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
            if int(uids.split()[1]) == uid:
                cmdline = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found.append(cmdline.decode(errors="replace"))
        except (OSError, StopIteration, ValueError):
            continue
    return found


@pytest.mark.skipif(os.geteuid() != 0, reason="a worker drops privileges only when started as root")
def test_a_worker_started_by_root_runs_as_an_unprivileged_user_and_grades(
    batch: Batch, tmp_path: Path
) -> None:
    from autograder.sandbox import SANDBOX_UID_BASE
    from autograder.worker import Worker, grade_submission
    from autograder.workspace import Workspace

    worker = Worker(tmp_path / "logs")
    try:
        worker.ensure_started()
        assert worker.uid is not None and worker.uid >= SANDBOX_UID_BASE
        assert any("autograder.worker" in c for c in _processes_of(worker.uid))
        bundle = Workspace(batch.out / "workspace").bundle([TINY])
        notebook = nb_bytes(batch.submissions, "correct")
        result, graded = grade_submission(worker, bundle, "s", TINY, notebook, "x.ipynb", 30, 120)
        assert (result.status, result.score) == ("ok", result.max_score), result
        assert graded is not None and b"nbgrader" in graded
    finally:
        uid = worker.uid
        worker.close()
    deadline = time.monotonic() + 30  # the worker's kernels exit with it
    while _processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_of(uid) == []


def test_the_client_reads_a_workers_outputs_without_following_links(tmp_path: Path) -> None:
    from autograder.worker import read_regular_file

    secret = tmp_path / "secret"
    secret.write_text("instructor only")
    (tmp_path / "result.json").symlink_to(secret)
    (tmp_path / "fifo").mkdir()
    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    assert read_regular_file(tmp_path / "result.json") is None
    assert read_regular_file(tmp_path / "fifo") is None
    assert read_regular_file(tmp_path / "missing") is None
    assert read_regular_file(plain) == b"{}"
