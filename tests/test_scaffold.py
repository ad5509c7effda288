"""``python -m autograder new``: a new notebook from the template, found by every command, and
README's "Adding a notebook" steps run exactly as written (on a copy of the course)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import REPO

from autograder.course import Course, CourseError
from autograder.mutants import load_catalogue
from autograder.scaffold import fill, new_notebook

NEW = "99_example"


def _bare_course(root: Path) -> Course:
    """A course with this repository's pyproject.toml (badges, GPU list) and no notebook."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "solutions").mkdir()
    return Course(root)


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=root,
        env={**os.environ, "COURSE_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_fill_replaces_every_placeholder() -> None:
    text = fill("__ASSIGNMENT__ __NUMBER__ __N__ __TITLE__", "08_vision_transformer")
    assert text == "08_vision_transformer 08 8 Vision transformer"


def test_new_writes_the_notebook_its_twin_and_both_catalogues(tmp_path: Path) -> None:
    course = _bare_course(tmp_path / "course")
    written = new_notebook(course, NEW)
    folder = course.solutions / NEW
    assert {p.name for p in written} == {
        f"{NEW}.ipynb",
        f"{NEW}.py",
        "mutants.py",
        "equivalents.py",
    }
    assert course.assignments() == [NEW]
    nb = nbformat.read(str(folder / f"{NEW}.ipynb"), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "__" not in re.sub(r"__\w+__\(|__init__", "", text), "a placeholder was left"
    assert nb.cells[0].source.startswith("[![Open In Colab]") and NEW in nb.cells[0].source
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert grade_ids == [
        "normalise_rows",
        "test_normalise_rows_sums",
        "test_normalise_rows_values",
        "understanding",
        "test_understanding_q1",
        "test_understanding_q2",
    ]
    assert any("demo" in c.metadata.get("tags", []) for c in nb.cells)
    catalogue = load_catalogue(course, NEW)  # validated against the notebook's cells
    for exercise in ("normalise_rows", "understanding"):
        assert sum(m.function == exercise for m in catalogue.mutants) >= 5
        assert sum(e.function == exercise for e in catalogue.equivalents or []) >= 3


def test_new_refuses_a_bad_name_an_existing_folder_and_a_taken_number(tmp_path: Path) -> None:
    course = _bare_course(tmp_path / "course")
    with pytest.raises(CourseError, match="not a notebook name"):
        new_notebook(course, "8_Vision")
    new_notebook(course, NEW)
    with pytest.raises(CourseError, match="exists already"):
        new_notebook(course, NEW)
    with pytest.raises(CourseError, match="number 99 is taken by 99_example"):
        new_notebook(course, "99_other")


def test_a_folder_with_only_the_py_is_found_and_commands_say_to_sync_it(tmp_path: Path) -> None:
    course = _bare_course(tmp_path / "course")
    new_notebook(course, NEW)
    course.source_notebook(NEW).unlink()
    assert course.assignments() == [NEW]
    assert course.unsynced([NEW]) == [NEW]
    refused = _cli(course.root, "build", "--assignment", NEW)
    assert refused.returncode == 2
    assert f"run `python -m autograder sync --assignment {NEW}` first" in refused.stderr
    synced = _cli(course.root, "sync")
    assert synced.returncode == 0, synced.stderr
    assert course.source_notebook(NEW).is_file() and course.unsynced([NEW]) == []


def test_cli_new_rejects_a_bad_name_with_exit_status_2(tmp_path: Path) -> None:
    course = _bare_course(tmp_path / "course")
    proc = _cli(course.root, "new", "vision")
    assert proc.returncode == 2
    assert "'vision' is not a notebook name" in proc.stderr
    assert not any(course.solutions.iterdir())


# ---- README's "Adding a notebook", step by step ---------------------------------------------


def adding_a_notebook_commands() -> list[str]:
    """The commands of the bash block under README's "### Adding a notebook", in order."""
    text = (REPO / "README.md").read_text()
    section = text.split("### Adding a notebook", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's 'Adding a notebook' has no bash block"
    lines = [line.split(" #", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_adding_a_notebook_is_new_sync_build_check_grade() -> None:
    steps = [c.split()[3] for c in adding_a_notebook_commands()]
    assert steps == ["new", "sync", "build", "check", "grade"], steps


@pytest.mark.slow
def test_readme_adding_a_notebook_steps_work_on_a_copy_of_the_course(tmp_path: Path) -> None:
    """Each README command, with NN_name = 99_example, in a copy of the course: the new
    notebook passes check, and grading gives its solution full marks and its blank zero."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copyfile(REPO / "pyproject.toml", root / "pyproject.toml")
    for folder in ("solutions", "notebooks"):
        shutil.copytree(
            REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
    course = Course(root)
    for command in adding_a_notebook_commands():
        args = command.replace("NN_name", NEW).split()[3:]
        if args[0] == "grade":
            submissions = root / args[1]
            for student, notebook in (
                ("solution", course.source_notebook(NEW)),
                ("blank", course.release_notebook(NEW)),
            ):
                (submissions / student / NEW).mkdir(parents=True)
                shutil.copyfile(notebook, submissions / student / NEW / f"{NEW}.ipynb")
        proc = _cli(root, *args)
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
        if args[0] == "check":
            assert "check: all passed" in proc.stdout, proc.stdout
        if args[0] == "grade":
            out = root / args[args.index("--out") + 1]
            with (out / "grades.csv").open() as f:
                rows = {r["student_id"]: r for r in csv.DictReader(f)}
            assert rows["solution"]["status"] == "ok" == rows["blank"]["status"], rows
            assert float(rows["solution"]["score"]) == float(rows["solution"]["max_score"]) > 0
            assert float(rows["blank"]["score"]) == 0
    assert (root / "notebooks" / NEW / f"{NEW}.ipynb").is_file()
    # the real course was not touched
    assert not (REPO / "solutions" / NEW).exists() and not (REPO / "notebooks" / NEW).exists()
