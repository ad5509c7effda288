"""The self-learner's path: every solution notebook runs in a Colab-like Python.

A clean virtual environment gets only what Google Colab preinstalls, at Colab's versions where
this machine's Python allows (``COLAB_PREINSTALLED`` in conftest.py, from ../shared/COLAB.md), and
torch. No nbgrader, no JupyterLab, no course. The first notebook's setup cell installs
``course_lib`` itself, from a wheel built from this checkout (``COURSE_LIB_SOURCE``, standing in
for the repository URL), and must change nothing that Colab already has; then every solution
notebook runs top to bottom without an error. The notebooks are executed once per session by the
``notebook_runs`` fixture (conftest.py), whose outputs tests/test_notebooks.py checks as well.

Also the static side: each notebook has its badge and setup cell from ``pyproject.toml``, and the
GPU notebooks carry Colab's GPU metadata.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat
import pytest
from conftest import REPO, NotebookRuns, pip_freeze, printed

from autograder.colab import (
    COMMON_BEGIN,
    COMMON_LINES,
    GPU_METADATA,
    INSTALL_BEGIN,
    INSTALL_END,
    OWN_BEGIN,
    apply,
    own_part,
    problems,
    read_config,
    setup_source,
)
from autograder.course import Course

ASSIGNMENTS = Course(REPO).assignments()


def _name(freeze_line: str) -> str:
    """The normalised project name of a ``pip freeze`` line (``name==1.0``, ``name @ url``)."""
    name = re.split(r"[=@ ]", freeze_line, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.slow
def test_every_solution_runs_in_a_colab_like_python_that_installs_course_lib_itself(
    notebook_runs: NotebookRuns,
) -> None:
    installed = {_name(line) for line in notebook_runs.before}
    assert not installed & {"attention-course", "nbgrader", "jupyterlab"}, sorted(installed)
    for assignment in ASSIGNMENTS:
        nb = notebook_runs.executed(assignment)
        errors = [
            (i, o.get("ename"), o.get("evalue"))
            for i, c in enumerate(nb.cells)
            for o in c.get("outputs", [])
            if o.get("output_type") == "error"
        ]
        assert not errors, f"{assignment}: {errors}"
    first, *later = notebook_runs.order
    first_printed = printed(notebook_runs.executed(first))
    assert f"Installing course_lib from {notebook_runs.wheel}" in first_printed, first_printed[:500]
    for assignment in later:
        assert "Installing course_lib" not in printed(notebook_runs.executed(assignment)), (
            f"{assignment} installed course_lib again: it is installed once"
        )
    after = pip_freeze(notebook_runs.python)
    added, removed = after - notebook_runs.before, notebook_runs.before - after
    assert removed == set(), f"installing the course changed what Colab ships: {sorted(removed)}"
    assert [_name(line) for line in added] == ["attention-course"], (
        f"installing the course must add only the course: {sorted(added)}"
    )


# ---- static: badges, setup cells, GPU metadata ----------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_notebook_opens_with_its_colab_badge_and_install_lines(assignment: str) -> None:
    config = read_config(REPO)
    course = Course(REPO)
    for path in (course.source_notebook(assignment), course.release_notebook(assignment)):
        nb = nbformat.read(str(path), as_version=4)
        badge = nb.cells[0].source
        assert badge == config.badge(assignment)
        assert f"/blob/{config.branch}/notebooks/{assignment}/{assignment}.ipynb" in badge
        setup = next(c for c in nb.cells if c.cell_type == "code").source
        assert setup.startswith(INSTALL_BEGIN)
        assert config.requirement() in setup and "COURSE_LIB_SOURCE" in setup
        gpu = assignment in config.gpu_notebooks
        assert (nb.metadata.get("accelerator") == "GPU") == gpu
        if gpu:
            assert nb.metadata["colab"] == GPU_METADATA["colab"]


def test_the_repository_url_is_kept_in_one_place() -> None:
    """pyproject.toml names the repository; no notebook or README spells another one."""
    config = read_config(REPO)
    assert config.repository.startswith("https://github.com/")
    for path in [
        *REPO.glob("solutions/*/*.ipynb"),
        *REPO.glob("notebooks/*/*.ipynb"),
        REPO / "README.md",
    ]:
        for match in re.finditer(r"github\.com/([\w.-]+/[\w.-]+)", path.read_text()):
            named = match.group(1).removesuffix(".git")
            assert named == config.github_path, f"{path} names another repository: {named}"


def test_the_install_lines_do_nothing_where_course_lib_is_installed() -> None:
    """Run locally (course_lib installed): no pip, no output."""
    config = read_config(REPO)
    proc = subprocess.run(
        [sys.executable, "-c", config.install_lines()],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COURSE_LIB_SOURCE": "/nonexistent.whl"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""


def test_the_gpu_notebooks_listed_in_pyproject_exist() -> None:
    """`gpu-notebooks` in pyproject.toml is the one list of GPU notebooks: it names real ones."""
    gpu = read_config(REPO).gpu_notebooks
    assert gpu, "pyproject.toml lists no gpu-notebooks"
    assert set(gpu) <= set(ASSIGNMENTS), f"unknown notebooks in gpu-notebooks: {gpu}"


# ---- the setup cell: one template, the notebook's own imports -----------------------------


def _setup(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_setup_cell_is_the_template_around_the_notebooks_own_imports(
    assignment: str,
) -> None:
    """Install lines, the notebook's imports and print settings, then the same seed and DEVICE."""
    config = read_config(REPO)
    nb = nbformat.read(str(Course(REPO).source_notebook(assignment)), as_version=4)
    source = _setup(nb).source
    assert source == setup_source(own_part(source), config)
    assert source.endswith("\n".join([COMMON_BEGIN, *COMMON_LINES]))
    own = own_part(source).splitlines()
    assert own and all(
        line == ""
        or line.startswith(("import ", "from ", "    ", ")"))
        or "set_printoptions(" in line
        for line in own
    ), own
    assert problems(nb, assignment, config) == []


def test_check_names_a_drifted_setup_cell_and_sync_puts_the_template_back() -> None:
    config = read_config(REPO)
    nb = nbformat.read(str(Course(REPO).source_notebook("02_similarity")), as_version=4)
    good = _setup(nb).source
    for drifted in (
        good.replace("seed_everything(0)", "seed_everything(1)"),  # the common part edited
        good.replace("DEVICE = get_device()\n", ""),  # a common line dropped
        good.replace(OWN_BEGIN, OWN_BEGIN + "\nx = 1"),  # code in the notebook's part
    ):
        assert drifted != good
        _setup(nb).source = drifted
        found = problems(nb, "02_similarity", config)
        assert any("setup cell" in p for p in found), found
        apply(nb, "02_similarity", config)
        if "x = 1" in drifted:  # sync keeps an author's line; check keeps naming it
            assert any("neither an import" in p for p in problems(nb, "02_similarity", config))
        else:
            assert _setup(nb).source == good
            assert problems(nb, "02_similarity", config) == []


def test_sync_turns_a_hand_written_setup_cell_into_the_template() -> None:
    """A new (or older) notebook's setup cell: its imports stay, DEVICE is added, once."""
    config = read_config(REPO)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\n"
            "import torch\n\n"
            "from course_lib import checks\n"
            "from course_lib.text import CharVocab\n\n"
            "seed_everything(0)\n"
            "np.set_printoptions(precision=3)\n"
        ),
        nbformat.v4.new_code_cell("x = np.ones(3)"),
    ]
    assert apply(nb, "09_new", config)
    source = _setup(nb).source
    assert source.startswith(config.install_lines() + "\n\n" + OWN_BEGIN + "\n")
    assert INSTALL_END in source and source.count("seed_everything(0)") == 1
    assert (
        "from course_lib import checks\n"
        "from course_lib.device import describe_device, get_device, seed_everything\n"
        "from course_lib.text import CharVocab\n"
    ) in source, source
    assert problems(nb, "09_new", config) == []
    assert not apply(nb, "09_new", config), "sync is idempotent"
    assert nb.cells[-1].source == "x = np.ones(3)"
