"""Grading on a dask.distributed cluster gives the grades of local grading, loses none, resumes.

A ``LocalCluster`` on 127.0.0.1 with two worker processes grades the batch of test_grade.py; the
instructor guide's own commands (``dask scheduler``, ``dask worker``, ``grade --scheduler``) run
as a user would type them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, TINY, free_port
from test_grade import (
    EXPECTED_CELLS,
    Batch,
    Progress,
    cells_by_student,
    copy_out,
    csv_bytes,
    grades_by_student,
    result_mtimes,
)

import autograder.worker as worker_module
from autograder import distributed
from autograder.course import CourseError
from autograder.grade import grade
from autograder.workspace import write_bundle

pytestmark = pytest.mark.slow

dask_distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each, on 127.0.0.1."""
    with dask_distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    ) as local:
        yield local


@pytest.fixture(scope="module")
def on_cluster(batch: Batch, cluster, tmp_path_factory: pytest.TempPathFactory):
    """The batch of test_grade.py, graded on the cluster."""
    out = tmp_path_factory.mktemp("dask") / "out"
    progress = Progress()
    results = grade(
        batch.course, batch.submissions, out, progress=progress, scheduler=cluster.scheduler_address
    )
    return out, results, progress


def test_cluster_grades_equal_local_grades_byte_for_byte(batch: Batch, on_cluster) -> None:
    out, results, progress = on_cluster
    assert progress.students == sorted(EXPECTED_CELLS), "every submission graded exactly once"
    assert csv_bytes(out) == csv_bytes(batch.out)
    assert cells_by_student(out) == EXPECTED_CELLS
    assert [r["student_id"] for r in results] == sorted(EXPECTED_CELLS)


def test_cluster_results_are_merged_into_the_one_workspace(on_cluster) -> None:
    out, _, _ = on_cluster
    workspace = out / "workspace"
    assert sorted(p.parent.name for p in (workspace / "results").rglob("*.json")) == sorted(
        EXPECTED_CELLS
    )
    graded = workspace / "autograded" / "correct" / TINY / f"{TINY}.ipynb"
    assert graded.is_file(), "the graded notebook came back for feedback"
    assert not list(workspace.rglob(".tmp-*")), "no half-written file is left"


def test_feedback_works_after_cluster_grading(on_cluster, tmp_path: Path) -> None:
    from autograder.feedback import write_feedback

    out = copy_out(on_cluster[0], tmp_path / "out")
    write_feedback(out, [TINY], out / "workspace")
    page = (out / "feedback" / "correct" / f"{TINY}.html").read_text()
    assert "4 / 4" in page or "4/4" in page


def test_cluster_rerun_regrades_nothing_and_resumes_lost_results(
    batch: Batch,
    cluster,
    on_cluster,
    tmp_path: Path,
) -> None:
    out = copy_out(on_cluster[0], tmp_path / "out")
    mtimes = result_mtimes(out)
    progress = Progress()
    grade(
        batch.course, batch.submissions, out, progress=progress, scheduler=cluster.scheduler_address
    )
    # Only the kernel that crashed twice is flagged for another try, as with local grading.
    assert progress.students == ["kernel_dies"]
    after = result_mtimes(out)
    for key in (f"kernel_dies/{TINY}.json",):
        after.pop(key), mtimes.pop(key)
    assert after == mtimes

    progress = Progress()
    (out / "workspace" / "results" / "triple" / f"{TINY}.json").unlink()
    grade(
        batch.course, batch.submissions, out, progress=progress, scheduler=cluster.scheduler_address
    )
    assert progress.students == ["kernel_dies", "triple"]
    assert csv_bytes(out) == csv_bytes(batch.out)


def test_a_task_the_cluster_cannot_run_is_reported_and_retried_by_the_next_run(
    batch: Batch,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker failure is not the student's: a row says so, and the next run grades it."""
    real_run = worker_module.Worker.run

    def flaky_run(self, spec_path: str, timeout: float):
        if json.loads(Path(spec_path).read_text())["student_id"] == "triple":
            raise RuntimeError("worker lost")
        return real_run(self, spec_path, timeout)

    monkeypatch.setattr(worker_module.Worker, "run", flaky_run)
    out = tmp_path / "out"
    # threads in this process, so that the patched job runner is the one that runs
    with dask_distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as local:
        grade(batch.course, batch.submissions, out, scheduler=local.scheduler_address)
        row = grades_by_student(out)["triple"]
        assert row["score"] == "0"
        assert row["status"].startswith("grading error: the cluster could not grade it")
        assert "worker lost" in row["status"]

        monkeypatch.setattr(worker_module.Worker, "run", real_run)
        progress = Progress()
        grade(
            batch.course,
            batch.submissions,
            out,
            progress=progress,
            scheduler=local.scheduler_address,
        )
    assert progress.students == ["kernel_dies", "triple"]  # the crash is flagged for a retry
    assert csv_bytes(out) == csv_bytes(batch.out)


def test_a_scheduler_without_workers_is_refused_with_advice(batch: Batch, tmp_path: Path) -> None:
    with dask_distributed.LocalCluster(
        n_workers=0, processes=False, dashboard_address=":0"
    ) as empty:
        with pytest.raises(CourseError, match="no workers"):
            grade(
                batch.course, batch.submissions, tmp_path / "out", scheduler=empty.scheduler_address
            )
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_an_unreachable_scheduler_is_a_clear_error(batch: Batch, tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(CourseError, match="cannot reach the dask scheduler"):
        grade(
            batch.course, batch.submissions, tmp_path / "out", scheduler=f"tcp://127.0.0.1:{port}"
        )


def test_workers_that_grade_differently_are_named() -> None:
    here = distributed.environment()
    there = {
        **here,
        "python": "3.9",
        "packages": {**here["packages"], "torch": "1.0", "nbgrader": None},
        "sandbox": False,
    }
    problems = distributed.environment_differences(here, there)
    assert distributed.environment_differences(here, here) == []
    assert any(p.startswith("Python 3.9") for p in problems)
    assert any(p.startswith("torch 1.0") for p in problems)
    assert any(p.startswith("nbgrader missing") for p in problems)
    if here["sandbox"]:
        assert any("bubblewrap" in p for p in problems)


def test_the_source_bundle_holds_the_sources_and_rejects_escaping_paths(
    on_cluster, tmp_path: Path
) -> None:
    workspace = on_cluster[0] / "workspace"
    bundle = distributed.source_bundle(workspace, [TINY])
    assert {"source.sha256", "gradebook.db", f"source/{TINY}/{TINY}.ipynb"} <= set(bundle)
    assert not [name for name in bundle if name.startswith(("results", "autograded"))]
    with pytest.raises(ValueError, match="unsafe path"):
        write_bundle({"../evil": b""}, tmp_path / "root")


# ---------------------------------------------------------------------------------------------
# The instructor guide's commands, run as typed (README, "Grading on several machines")


def _guide_commands() -> dict[str, list[str]]:
    readme = (REPO / "README.md").read_text()
    found = {}
    for key, pattern in {
        "scheduler": r"^\s*(dask scheduler .*)$",
        "worker": r"^\s*(dask worker .*)$",
        "grade": r"^\s*(python -m autograder grade .*--scheduler .*)$",
    }.items():
        match = re.search(pattern, readme, re.M)
        assert match, f"the README shows no `{key}` command for Dask"
        found[key] = match.group(1).split()
    return found


def _wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def test_the_guides_commands_grade_like_local_grading(batch: Batch, tmp_path: Path) -> None:
    dask_cli = Path(sys.executable).with_name("dask")
    if not dask_cli.is_file():
        pytest.skip(f"the dask command is not installed next to {sys.executable}")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"

    def adapt(words: list[str]) -> list[str]:
        out = []
        for word in words:
            word = word.replace("0.0.0.0", "127.0.0.1").replace("SCHEDULER_HOST", "127.0.0.1")
            out.append(word.replace("8786", str(port)))
        return out

    commands = _guide_commands()
    env = {
        **os.environ,
        "COURSE_ROOT": str(batch.course.root),
        "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
    }
    scheduler = adapt(commands["scheduler"])
    worker = adapt(commands["worker"])
    assert scheduler[:2] == ["dask", "scheduler"] and worker[:2] == ["dask", "worker"]
    assert address in worker
    started = []
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        started.append(
            subprocess.Popen(
                [str(dask_cli), *scheduler[1:], "--no-dashboard"],
                stdout=(logs / "scheduler.log").open("w"),
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        )
        _wait_for_port(port)
        for i in range(2):  # two grading machines
            started.append(
                subprocess.Popen(
                    [str(dask_cli), *worker[1:], "--no-dashboard"],
                    stdout=(logs / f"worker{i}.log").open("w"),
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            )
        with dask_distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=120)

        grade_cmd = adapt(commands["grade"])
        assert grade_cmd[:4] == ["python", "-m", "autograder", "grade"]
        out = tmp_path / "grading"
        grade_cmd[4] = str(batch.submissions)  # the submissions folder instead of the zip
        grade_cmd[grade_cmd.index("--out") + 1] = str(out)
        proc = subprocess.run(
            [sys.executable, *grade_cmd[1:]],
            cwd=batch.course.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"graded {len(EXPECTED_CELLS)} submission(s)" in proc.stdout
        assert csv_bytes(out) == csv_bytes(batch.out)
    finally:
        for p in reversed(started):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in reversed(started):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    shutil.rmtree(logs, ignore_errors=True)
