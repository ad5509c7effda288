"""Tests for autograder.worker: one retry of an infrastructure failure, then a flag.

The real worker process is exercised by every grading test (test_grade, test_adversarial,
test_distributed); here a stand-in worker answers with chosen statuses.
"""

from __future__ import annotations

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
