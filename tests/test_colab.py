"""The self-learner's path: every solution notebook runs in a Colab-like Python.

A clean virtual environment gets only what Google Colab preinstalls, at Colab's versions where
this machine's Python allows (../shared/COLAB.md): numpy 2.1.3, matplotlib 3.10.0, ipywidgets
7.7.1, ipykernel 6.17.1, jupyter_client 7.4.9, tqdm 4.67.3, and torch (2.13.0, the CPU build
that installs here quickly; Colab ships 2.11). No nbgrader, no JupyterLab, no course. The first
notebook's setup cell installs ``course_lib`` itself, from a wheel built from this checkout
(``COURSE_LIB_SOURCE``, standing in for the repository URL), and must change nothing that Colab
already has; then every solution notebook runs top to bottom without an error.

Also the static side: each notebook has its badge and setup cell from ``pyproject.toml``, and the
GPU notebooks carry Colab's GPU metadata.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest
from conftest import REPO

from autograder.colab import GPU_METADATA, INSTALL_BEGIN, read_config
from autograder.course import Course

COLAB_PREINSTALLED = [
    "numpy==2.1.3",
    "matplotlib==3.10.0",
    "ipywidgets==7.7.1",
    "ipykernel==6.17.1",
    "jupyter_client==7.4.9",
    "tqdm==4.67.3",
    # ipywidgets 7.7.1 needs widgetsnbextension 3, which needs a notebook server; Colab has the
    # classic notebook 6.5, and notebook 7 would bring JupyterLab, which Colab does not have
    "notebook<7",
]
TORCH = "torch==2.13.0"
ASSIGNMENTS = Course(REPO).assignments()


def _pip(python: Path, *args: str) -> str:
    proc = subprocess.run(
        [str(python), "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=1800,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
    )
    assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _name(freeze_line: str) -> str:
    """The normalised project name of a ``pip freeze`` line (``name==1.0``, ``name @ url``)."""
    name = re.split(r"[=@ ]", freeze_line, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _freeze(python: Path) -> set[str]:
    return {line.strip() for line in _pip(python, "freeze").splitlines() if line.strip()}


@pytest.fixture(scope="module")
def colab_like(tmp_path_factory: pytest.TempPathFactory):
    """(python of the Colab-like venv, folder of its kernel spec, the course wheel)."""
    root = tmp_path_factory.mktemp("colab_like")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _pip(python, "install", "--quiet", TORCH)
    _pip(python, "install", "--quiet", *COLAB_PREINSTALLED)
    wheels = root / "wheels"
    _pip(python, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(REPO))
    (wheel,) = wheels.glob("attention_course-*.whl")
    kernels = root / "jupyter"
    subprocess.run(
        [str(python), "-m", "ipykernel", "install", "--prefix", str(kernels), "--name", "colab"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return python, kernels / "share" / "jupyter", wheel


def _execute(nb_path: Path, jupyter_path: Path, wheel: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(str(nb_path), as_version=4)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JPY_PARENT_PID", "PYTHONPATH", "VIRTUAL_ENV", "COURSE_SIZE", "COURSE_DEVICE")
    }
    env.update({"MPLBACKEND": "Agg", "COURSE_LIB_SOURCE": str(wheel)})
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(jupyter_path)
    try:
        client = NotebookClient(
            nb,
            timeout=900,
            kernel_name="colab",
            resources={"metadata": {"path": str(nb_path.parent)}},
        )
        with client.setup_kernel(env=env):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous
    return nb


def _stdout(nb: nbformat.NotebookNode) -> str:
    return "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    )


def test_every_solution_runs_in_a_colab_like_python_that_installs_course_lib_itself(
    colab_like, tmp_path: Path
) -> None:
    python, jupyter_path, wheel = colab_like
    before = _freeze(python)
    installed = {_name(line) for line in before}
    assert not installed & {"attention-course", "nbgrader", "jupyterlab"}, sorted(installed)
    for i, assignment in enumerate(ASSIGNMENTS):
        folder = tmp_path / assignment  # a bare copy: nothing of the repository beside it
        folder.mkdir()
        source = Course(REPO).source_notebook(assignment)
        (folder / source.name).write_bytes(source.read_bytes())
        nb = _execute(folder / source.name, jupyter_path, wheel)
        printed = _stdout(nb)
        if i == 0:
            assert f"Installing course_lib from {wheel}" in printed, printed[:500]
        else:
            assert "Installing course_lib" not in printed, "course_lib is installed once"
    added = _freeze(python) - before
    removed = before - _freeze(python)
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
    assert set(config.gpu_notebooks) == {"06_transformer", "07_gpt"}
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
