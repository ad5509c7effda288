"""Packaging: pyproject.toml, environment.yml, README and .ci/run agree, and fit Colab."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
CONDA_NAMES = {"torch": "pytorch"}
# What Colab's default runtime ships (../shared/COLAB.md, snapshot of 2026-08-19).
COLAB = {
    "numpy": "2.1.3",
    "torch": "2.11.0",
    "matplotlib": "3.10.0",
    "ipywidgets": "7.7.1",
    "tqdm": "4.67.3",
    "scikit-learn": "1.6.1",
}


def _requirements(names: list[str]) -> dict[str, Requirement]:
    return {Requirement(r).name.lower(): Requirement(r) for r in names}


def _environment_yml() -> dict[str, str]:
    """Conda package -> specifier string, parsed without a YAML dependency (the file is flat)."""
    deps: dict[str, str] = {}
    in_deps = False
    for line in (REPO / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)\s*([<>=!~,.0-9*]*)\s*$", line)
        if in_deps and m:
            deps[m.group(1).lower()] = m.group(2)
    return deps


def test_environment_yml_has_the_same_dependencies_as_pyproject():
    core = _requirements(PYPROJECT["project"]["dependencies"])
    course = _requirements(PYPROJECT["project"]["optional-dependencies"]["course"])
    expected = {**core, **course}  # the course extra refines a core range (ipywidgets 8)
    conda = _environment_yml()
    conda.pop("pip", None)
    python = conda.pop("python")
    assert SpecifierSet(python) == SpecifierSet(PYPROJECT["project"]["requires-python"])
    want = {CONDA_NAMES.get(n, n): SpecifierSet(str(r.specifier)) for n, r in expected.items()}
    got = {n: SpecifierSet(s) for n, s in conda.items()}
    assert got == want


def test_environment_yml_installs_the_project_with_pip():
    text = (REPO / "environment.yml").read_text()
    assert re.search(r"^\s+- -e \.\s*$", text, re.M), "environment.yml must pip-install the project"


@pytest.mark.parametrize("package", sorted(COLAB))
def test_core_dependencies_are_satisfied_by_what_colab_ships(package):
    core = _requirements(PYPROJECT["project"]["dependencies"])
    assert package in core
    assert Version(COLAB[package]) in core[package].specifier, (
        f"{core[package]} would make a Colab install upgrade {package} {COLAB[package]}"
    )


def test_core_dependencies_leave_out_instructor_and_jupyter_tools():
    core = set(_requirements(PYPROJECT["project"]["dependencies"]))
    assert not core & {"nbgrader", "jupyterlab", "notebook", "jupytext", "pytest"}


def test_course_extra_pins_nbgrader_0_9():
    course = _requirements(PYPROJECT["project"]["optional-dependencies"]["course"])
    assert str(course["nbgrader"].specifier).startswith("==0.9.")
    assert Version("8.1.0") in course["ipywidgets"].specifier
    assert Version("4.2.0") in course["jupyterlab"].specifier


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    return [
        block.strip()
        for block in re.findall(r"```bash\n(.*?)```", text, re.S)
        if block.strip().startswith("python3 -m venv")
    ]


def test_readme_has_the_two_setup_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("jupyter lab notebooks/")
    assert commands[1].endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command_after_installing_cpu_torch():
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    test_command = _readme_commands()[1]
    assert ci[-1] == test_command
    torch_line = next(i for i, line in enumerate(ci) if "torch==2.13.0" in line)
    assert torch_line < len(ci) - 1


def test_readme_notebook_table_links_only_existing_notebooks():
    text = (REPO / "README.md").read_text()
    for link in re.findall(r"\]\((notebooks/[^)]+)\)", text):
        assert (REPO / link).is_file(), link
    for folder in sorted((REPO / "notebooks").iterdir()):
        assert f"notebooks/{folder.name}/{folder.name}.ipynb" in text, folder.name


def test_course_lib_never_imports_autograder_or_notebooks():
    for path in (REPO / "course_lib").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("autograder", "solutions", "notebooks")), path


def _exercise_names() -> set[str]:
    """Names of every solution cell (exercise) in solutions/, read from the notebooks."""
    import nbformat

    names = set()
    for nb_path in (REPO / "solutions").glob("*/*.ipynb"):
        for cell in nbformat.read(str(nb_path), as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                names.add(meta["grade_id"])
    return names


def test_course_lib_defines_no_exercise():
    exercises = _exercise_names()
    assert "cosine_similarity" in exercises
    for path in (REPO / "course_lib").rglob("*.py"):
        tree = ast.parse(path.read_text())
        defined = {
            n.name
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        assert not defined & exercises, f"{path} defines an exercise: {defined & exercises}"


# ---- the two test lanes ----------------------------------------------------------------------

# Whole files that execute notebooks, start kernels, servers or browsers, or grade.
SLOW_FILES = {
    "test_adversarial.py",
    "test_browser.py",
    "test_distributed.py",
    "test_grade.py",
    "test_sandbox.py",
}


def test_pytest_registers_the_slow_marker_and_rejects_unknown_ones():
    options = PYPROJECT["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in options["addopts"].split()
    assert "-ra" in options["addopts"].split(), "skips are listed with their reasons"
    assert any(m.startswith("slow:") for m in options["markers"])


def test_the_fast_lane_leaves_out_every_slow_test():
    """`python -m pytest -m "not slow"` (README) selects the fast tests only: none of the slow
    files, none of the tests that execute notebooks, and every course_lib test file."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "not slow", "--collect-only", "-q"]
        + ["-p", "no:cacheprovider"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    selected = [line for line in proc.stdout.splitlines() if "::" in line]
    files = {line.split("::")[0].removeprefix("tests/") for line in selected}
    assert not files & SLOW_FILES, sorted(files & SLOW_FILES)
    modules = {p.stem for p in (REPO / "course_lib").glob("[a-z]*.py")}
    assert {f"test_{m}.py" for m in modules} <= files, "every course_lib module is in the fast lane"
    slow_names = ("runs_top_to_bottom", "colab_like_python", "measures_what_its_text_claims")
    assert not [t for t in selected if any(name in t for name in slow_names)]
    deselected = re.search(r"(\d+)/(\d+) tests collected \((\d+) deselected\)", proc.stdout)
    assert deselected and int(deselected[3]) > 0, proc.stdout[-500:]
