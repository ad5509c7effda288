"""Every command the README's guides show is exercised by a test.

``GUIDE_COMMANDS`` maps each command (a regular expression) to the test that runs it, or says
why it is checked another way. A test fails when the README shows a command that no entry
covers, or when an entry names a test that does not exist. The tests below run the commands
that no other test file runs: ``jupyter lab notebooks/``, ``nbgrader validate``, the ``sync``,
``mutants`` and ``feedback`` commands, and the two benchmarks (on a small configuration).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import (
    REPO,
    TINY,
    completed_student_notebook,
    free_port,
    stop_process_group,
    submit,
)

from autograder.course import Course

# command pattern -> "tests/FILE.py::TEST" that runs it, or ".ci/run" (CI runs it as shown)
GUIDE_COMMANDS = {
    r"^python3 -m venv \.venv && \. \.venv/bin/activate && pip install -e \"\.\[course\]\" && "
    r"jupyter lab notebooks/$": "tests/test_guides.py::test_jupyter_lab_serves_the_notebooks",
    r"^python3 -m venv \.venv && \. \.venv/bin/activate && pip install -e \"\.\[test\]\" && "
    r"python -m pytest$": ".ci/run",
    r"^(COURSE_SIZE=cpu )?jupyter lab notebooks/$": (
        "tests/test_guides.py::test_jupyter_lab_serves_the_notebooks"
    ),
    # no conda on the test machines: environment.yml is compared with pyproject.toml instead
    r"^conda (env create -f environment\.yml|activate attention-course)$": (
        "tests/test_packaging.py::test_environment_yml_has_the_same_dependencies_as_pyproject"
    ),
    r"^nbgrader validate notebooks/NN_name/NN_name\.ipynb$": (
        "tests/test_guides.py::test_nbgrader_validate_passes_a_completed_notebook"
    ),
    r"^pip install git\+https://\.\.\.$": (
        "tests/test_colab.py::"
        "test_every_solution_runs_in_a_colab_like_python_that_installs_course_lib_itself"
    ),
    r"^pip install torch==2\.13\.0 && pip install -e \"\.\[course,dask\]\"$": ".ci/run",
    r"^apt-get install bubblewrap$": ".ci/run",
    r"^python -m autograder sync\b": "tests/test_guides.py::test_cli_sync_mutants_and_feedback",
    r"^python -m autograder build\b": (
        "tests/test_cli.py::test_cli_build_then_check_pass_on_the_tiny_course"
    ),
    r"^python -m autograder check\b": (
        "tests/test_cli.py::test_cli_build_then_check_pass_on_the_tiny_course"
    ),
    r"^python -m autograder grade [^-]\S* --out \S+"
    r"( \[--workers N\] \[--assignment NN_name \.\.\.\])?$": (
        "tests/test_grade.py::test_cli_grade_prints_a_summary_and_exits_zero"
    ),
    r"^python -m autograder grade \S+ --out \S+ --workers 2$": (
        "tests/test_grade.py::test_cli_grade_prints_a_summary_and_exits_zero"
    ),
    r"^python -m autograder grade \S+ --out \S+ --scheduler tcp://SCHEDULER_HOST:8786$": (
        "tests/test_distributed.py::test_the_guides_commands_grade_like_local_grading"
    ),
    r"^dask (scheduler|worker) ": (
        "tests/test_distributed.py::test_the_guides_commands_grade_like_local_grading"
    ),
    r"^python -m autograder feedback --out DIR": (
        "tests/test_guides.py::test_cli_sync_mutants_and_feedback"
    ),
    r"^python -m autograder mutants\b": (
        "tests/test_guides.py::test_cli_mutants_reports_a_real_catalogue"
    ),
    # "Adding a notebook": tests/test_scaffold.py runs the README's block itself, line by line
    r"^python -m autograder (new|sync|build|check) (--assignment )?NN_name$": (
        "tests/test_scaffold.py::test_readme_adding_a_notebook_steps_work_on_a_copy_of_the_course"
    ),
    r"^python -m autograder grade submissions/ --out graded/ --assignment NN_name$": (
        "tests/test_scaffold.py::test_readme_adding_a_notebook_steps_work_on_a_copy_of_the_course"
    ),
    r'^python -m pytest -m "not slow"$': (
        "tests/test_packaging.py::test_the_fast_lane_leaves_out_every_slow_test"
    ),
    r"^python -m pytest$": ".ci/run",
    r"^python benchmarks/notebook_times\.py( NN_name)?$": (
        "tests/test_guides.py::test_the_notebook_time_benchmark_prints_its_table"
    ),
    r"^python -m autograder grade \S+ --out \S+ (--assignment \S+ )?--roster roster\.csv": (
        "tests/test_grade.py::test_cli_grade_reads_a_canvas_zip_with_a_roster_and_a_name_pattern"
    ),
    r"^python -m autograder grade export/ --out \S+ --pattern ": (
        "tests/test_grade.py::test_cli_grade_reads_a_canvas_zip_with_a_roster_and_a_name_pattern"
    ),
    r"^python -m autograder (report|export) ": (
        "tests/test_roundtrip.py::test_the_guides_report_and_export_commands_run_on_the_cohort"
    ),
    r"^python -m autograder publish \S+( --force)?$": (
        "tests/test_publish.py::test_cli_publish_refuses_a_non_empty_folder_then_publishes_with_force"
    ),
    r'^pip install "git\+<public-repository>@<branch>"$': (
        "tests/test_publish.py::test_published_repository_installs_course_lib_and_nothing_else"
    ),
    r"^(python benchmarks/grading_speed\.py|nbgrader autograde)$": (
        "tests/test_guides.py::test_the_grading_speed_benchmark_prints_its_table"
    ),
}
EXECUTABLES = ("python", "python3", "pip", "jupyter", "nbgrader", "conda", "dask", "apt-get")


def readme_commands() -> list[str]:
    """The commands the README shows: lines of its bash blocks (comments dropped) and inline
    code that starts with a program a reader would run."""
    text = (REPO / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for span in re.findall(r"`([^`\n]+)`", prose.replace("\n  ", " ")):
        first = span.split()[0] if span.split() else ""
        env_prefixed = re.match(r"^[A-Z_]+=\S+ ", span)
        if len(span.split()) < 2:
            continue  # a program's name, not a command
        if first in EXECUTABLES or (env_prefixed and span.split()[1] in EXECUTABLES):
            commands.append(span.strip())
    return commands


def _test_exists(reference: str) -> bool:
    if reference == ".ci/run":
        return (REPO / ".ci" / "run").is_file()
    path, name = reference.split("::")
    tree = ast.parse((REPO / path).read_text())
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


def test_every_command_of_the_guides_is_exercised_by_a_test() -> None:
    commands = readme_commands()
    assert len(commands) >= 15, commands
    uncovered = [c for c in commands if not any(re.search(p, c) for p in GUIDE_COMMANDS)]
    assert not uncovered, f"README commands that no test exercises: {uncovered}"
    missing = [ref for ref in set(GUIDE_COMMANDS.values()) if not _test_exists(ref)]
    assert not missing, f"GUIDE_COMMANDS names tests that do not exist: {missing}"


def test_ci_installs_what_the_guides_say_it_installs() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert "bubblewrap" in ci and "chromium" in ci and "torch==2.13.0" in ci
    dask_extra = "attention-course[course,dask]"
    pyproject = (REPO / "pyproject.toml").read_text()
    assert dask_extra in pyproject, "the test extra (installed by CI) includes the dask extra"


# ---- commands that no other test runs -------------------------------------------------------


@pytest.mark.slow
def test_jupyter_lab_serves_the_notebooks(tmp_path: Path) -> None:
    """`jupyter lab notebooks/` from the repository root serves every student notebook
    (stopped by its PID)."""
    port, token = free_port(), "guides"
    env = {
        **{k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"},
        "COURSE_SIZE": "cpu",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    jupyter = Path(sys.executable).with_name("jupyter")
    proc = subprocess.Popen(
        [str(jupyter), "lab", "notebooks/", "--no-browser", f"--port={port}", "--ip=127.0.0.1"]
        + [f"--IdentityProvider.token={token}", "--allow-root"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                url = f"http://127.0.0.1:{port}/api/contents/?token={token}"
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.loads(response.read())
                break
            except OSError:
                assert proc.poll() is None, "jupyter lab exited"
                assert time.monotonic() < deadline, "jupyter lab did not answer in 120 s"
                time.sleep(0.5)
        served = sorted(item["name"] for item in listing["content"])
        assert served == Course(REPO).assignments()
        first = served[0]
        url = f"http://127.0.0.1:{port}/lab/tree/{first}/{first}.ipynb?token={token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
    finally:
        stop_process_group(proc)


@pytest.mark.slow
def test_nbgrader_validate_passes_a_completed_notebook(tmp_path: Path) -> None:
    """What a student runs before submitting: success when the work is right, the failing test
    when it is not."""
    course = Course(REPO)
    folder = tmp_path / "notebooks" / "02_similarity"
    folder.mkdir(parents=True)
    done = folder / "02_similarity.ipynb"
    nbformat.write(completed_student_notebook(course, "02_similarity"), str(done))
    nbgrader = Path(sys.executable).with_name("nbgrader")
    ok = subprocess.run(
        [str(nbgrader), "validate", str(done.relative_to(tmp_path))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout + ok.stderr
    blank = folder / "blank.ipynb"
    blank.write_bytes(course.release_notebook("02_similarity").read_bytes())
    failed = subprocess.run(
        [str(nbgrader), "validate", str(blank)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Success" not in failed.stdout
    assert "NotImplementedError" in failed.stdout + failed.stderr


def _cli(course: Course, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=course.root,
        env={**os.environ, "COURSE_ROOT": str(course.root)},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_cli_sync_mutants_and_feedback(tiny_course: Course, tmp_path: Path) -> None:
    """The instructor's other commands, as the guide shows them, on the tiny course."""
    twin = tiny_course.solutions / TINY / f"{TINY}.py"
    twin.unlink(missing_ok=True)
    synced = _cli(tiny_course, "sync")
    assert synced.returncode == 0, synced.stderr
    assert twin.is_file() and "# %%" in twin.read_text()

    # the tiny course has too few mutants per exercise: the report says so and exits 1
    mutants = _cli(tiny_course, "mutants")
    assert mutants.returncode == 1, mutants.stdout + mutants.stderr
    assert "exercise halve has 1 mutants; at least 5 needed" in mutants.stdout

    subs = tmp_path / "submissions"
    submit(subs, "ada", TINY, tiny_course.source_notebook(TINY).read_bytes())
    out = tmp_path / "graded"
    graded = _cli(tiny_course, "grade", str(subs), "--out", str(out))
    assert graded.returncode == 0, graded.stderr
    feedback = _cli(tiny_course, "feedback", "--out", str(out))
    assert feedback.returncode == 0, feedback.stderr
    page = (out / "feedback" / "ada" / f"{TINY}.html").read_text()
    assert "ada" in page and TINY in page


@pytest.mark.slow
def test_cli_mutants_reports_a_real_catalogue() -> None:
    proc = _cli(Course(REPO), "mutants", "--assignment", "02_similarity")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"02_similarity: \d+ mutants", proc.stdout), proc.stdout
    assert "PROBLEM" not in proc.stdout


@pytest.mark.slow
def test_the_notebook_time_benchmark_prints_its_table() -> None:
    proc = subprocess.run(
        [sys.executable, "benchmarks/notebook_times.py", "02_similarity"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^\| 02_similarity \| [\d.]+ \|$", proc.stdout, re.M), proc.stdout
    assert re.search(r"^\| total \| [\d.]+ \|$", proc.stdout, re.M), proc.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    not Path("/usr/bin/bwrap").exists(),
    reason="the benchmark grades in the bubblewrap sandbox and /usr/bin/bwrap is missing "
    "(apt-get install bubblewrap)",
)
def test_the_grading_speed_benchmark_prints_its_table() -> None:
    """The benchmark on its smallest cohort (1 student x notebook 02), stock nbgrader included."""
    proc = subprocess.run(
        [sys.executable, "benchmarks/grading_speed.py", "--students", "1"]
        + ["--assignments", "02_similarity"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "plain nbgrader, serial" in proc.stdout
    assert "| run | wall (s) | s/notebook | x floor | speed-up vs plain |" in proc.stdout
