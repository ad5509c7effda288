"""Shared fixtures: the real course, and a tiny torch-free course for fast autograder tests."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course

REPO = Path(__file__).resolve().parent.parent

TINY = "01_tiny"


def _md(source: str):
    return nbformat.v4.new_markdown_cell(source)


def _code(source: str, *, nbgrader: dict | None = None, tags: list[str] | None = None):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader is not None:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    if tags:
        cell.metadata["tags"] = tags
    return cell


def solution_cell(grade_id: str, source: str):
    """An nbgrader solution cell named ``grade_id``."""
    return _code(
        source, nbgrader={"grade": False, "grade_id": grade_id, "locked": False, "solution": True}
    )


def graded_cell(grade_id: str, source: str, points: float = 1):
    """An nbgrader autograded test cell worth ``points``."""
    return _code(
        source,
        nbgrader={
            "grade": True,
            "grade_id": grade_id,
            "locked": True,
            "points": points,
            "solution": False,
        },
    )


def tiny_notebook():
    """Source notebook of the tiny course: ``double`` and ``halve`` exercises, 4 points in all."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [
        _md("# Tiny"),
        _code("import sys\nimport warnings"),
        solution_cell(
            "double",
            'def double(x):\n    """2x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n'
            "    ### END SOLUTION",
        ),
        graded_cell(
            "test_double_small",
            '"""double of small ints."""\nassert double(2) == 4, "double(2) should be 4"',
        ),
        graded_cell(
            "test_double_hidden",
            '"""double of negatives."""\nassert double(1) == 2\n### BEGIN HIDDEN TESTS\n'
            "assert double(-3) == -6\n### END HIDDEN TESTS",
            points=2,
        ),
        _code("raise RuntimeError('demo cells are skipped by the grader')", tags=["demo"]),
        solution_cell(
            "halve",
            "def halve(x):\n    ### BEGIN SOLUTION\n    return x / 2\n    ### END SOLUTION",
        ),
        graded_cell("test_halve", '"""halve."""\nassert halve(5) == 2.5'),
    ]
    return nb


MUTANTS_SOURCE = """
from autograder.mutants import Mutant

MUTANTS = [
    Mutant("triple", "double", "return 3 * x", ("test_double_small",)),
    Mutant("square", "double", "return x * x", ("test_double_hidden",)),
    Mutant("plus", "double", "return x + 2", ("test_double_hidden",)),
    Mutant("abs", "double", "return 2 * abs(x)", ("test_double_hidden",)),
    Mutant("str", "double", "return str(2 * x)", ("test_double_small",)),
    Mutant("floor", "halve", "return x // 2", ("test_halve",)),
]
"""


def make_tiny_course(root: Path) -> Course:
    """Create the tiny course under ``root`` (pyproject, solutions, release) and return it."""
    (root / "pyproject.toml").write_text("[project]\nname = 'tiny'\n")
    folder = root / "solutions" / TINY
    folder.mkdir(parents=True)
    nbformat.write(tiny_notebook(), str(folder / f"{TINY}.ipynb"))
    (folder / "mutants.py").write_text(MUTANTS_SOURCE)
    course = Course(root)
    from autograder.build import build

    build(course)
    return course


@pytest.fixture(scope="session")
def tiny_course_template(tmp_path_factory) -> Course:
    return make_tiny_course(tmp_path_factory.mktemp("tiny_template"))


@pytest.fixture
def tiny_course(tiny_course_template, tmp_path) -> Course:
    """A fresh copy of the tiny course (tests may modify it)."""
    root = tmp_path / "course"
    shutil.copytree(tiny_course_template.root, root)
    return Course(root)


@pytest.fixture(scope="session")
def course() -> Course:
    """The real course in this repository (read only)."""
    return Course(REPO)


def submit(folder: Path, student: str, assignment: str, notebook) -> Path:
    """Write ``notebook`` (a NotebookNode, bytes or str) as a student's submission."""
    path = folder / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, bytes):
        path.write_bytes(notebook)
    elif isinstance(notebook, str):
        path.write_text(notebook)
    else:
        nbformat.write(notebook, str(path))
    return path


def shell_flood(seconds: int, deaf: bool = False) -> str:
    """Kernel code defining ``_flood(*_)``: for ``seconds``, send whoever waits for the running
    request (the judge during a test, nbclient during a cell) execute replies to nothing,
    signed with the kernel's key, faster than the grader can read them; ``deaf`` ignores the
    interrupt. (Formatting the header as text keeps the sender ahead of the reader.)"""
    ignore = "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n" if deaf else ""
    header = (
        '{"msg_id": "f%d", "msg_type": "execute_reply", "username": "u", '
        '"session": "s", "date": "2026-01-01T00:00:00Z", "version": "5.3"}'
    )
    return (
        "import hmac\nimport signal\nimport time\n\n_k = get_ipython().kernel\n"
        f"_HEADER = {header!r}\n\n\n"
        f"def _flood(*_):\n{ignore}"
        "    ident = _k._parent_ident['shell']\n"
        "    ident = [ident] if isinstance(ident, bytes) else list(ident)\n"
        f"    end, i = time.monotonic() + {seconds}, 0\n"
        "    while time.monotonic() < end:\n"
        "        i += 1\n"
        "        header = _HEADER % i\n"
        "        parts = [header.encode(), b'{}', b'{}', b'{\"status\": \"ok\"}']\n"
        "        mac = hmac.new(_k.session.key, digestmod=_k.session.digest_mod)\n"
        "        for part in parts:\n"
        "            mac.update(part)\n"
        "        _k.shell_stream.socket.send_multipart(\n"
        "            [*ident, b'<IDS|MSG>', mac.hexdigest().encode(), *parts]\n"
        "        )\n"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(proc) -> None:
    """End a process we started with ``start_new_session=True``, and its children: SIGTERM to
    its group, SIGKILL if it has not exited after 30 s."""
    import os
    import signal
    import subprocess

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", re.M)


def completed_student_notebook(course: Course, assignment: str) -> nbformat.NotebookNode:
    """The release notebook with each exercise cell holding the solution's code, as a student
    who solved everything would hand it in (no hidden tests: those are not in the release)."""
    source = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKERS.sub("", c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(str(course.release_notebook(assignment)), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return nb


# ---- the solution notebooks, executed once for the whole session ---------------------------
#
# Running every notebook top to bottom (demo cells and their training included) is the most
# expensive thing the suite does, so it happens once: in a clean virtual environment that has
# only what Google Colab preinstalls, at Colab's versions where this machine's Python allows
# (../shared/COLAB.md), with matplotlib's inline backend as in Colab. tests/test_colab.py checks
# what that proves about Colab (the setup cell installs course_lib itself and changes nothing
# Colab ships); tests/test_notebooks.py checks each executed notebook's outputs (no error, no
# warning, a figure, the measured claims of solutions/NN_name/claims.py).

COLAB_PREINSTALLED = [
    "numpy==2.1.3",
    "matplotlib==3.10.0",
    "ipywidgets==7.7.1",
    "ipykernel==6.17.1",
    "jupyter_client==7.4.9",
    "tqdm==4.67.3",
    "scikit-learn==1.6.1",  # notebook 08's digits (course_lib.data.digits)
    # ipywidgets 7.7.1 needs widgetsnbextension 3, which needs a notebook server; Colab has the
    # classic notebook 6.5, and notebook 7 would bring JupyterLab, which Colab does not have
    "notebook<7",
]
COLAB_TORCH = "torch==2.13.0"  # the CPU build that installs here quickly; Colab ships 2.11
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def pip_in(python: Path, *args: str) -> str:
    """Run ``python -m pip ARGS`` outside this virtual environment; fail with pip's output."""
    import os
    import subprocess

    proc = subprocess.run(
        [str(python), "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=1800,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
    )
    assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def pip_freeze(python: Path) -> set[str]:
    return {line.strip() for line in pip_in(python, "freeze").splitlines() if line.strip()}


class NotebookRuns:
    """The Colab-like Python and the solution notebooks executed in it, each at most once.

    Attributes:
        python: the virtual environment's interpreter.
        wheel: the course wheel built from this checkout; the notebooks' setup cell installs it
            (``COURSE_LIB_SOURCE`` stands in for the repository URL).
        before: ``pip freeze`` of the environment before any notebook ran.
        order: the assignments in the order they were executed.
    """

    def __init__(self, root: Path) -> None:
        import subprocess
        import venv

        env_dir = root / "venv"
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        self.python = env_dir / "bin" / "python"
        pip_in(self.python, "install", "--quiet", COLAB_TORCH)
        pip_in(self.python, "install", "--quiet", *COLAB_PREINSTALLED)
        wheels = root / "wheels"
        pip_in(self.python, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(REPO))
        (self.wheel,) = wheels.glob("attention_course-*.whl")
        kernels = root / "jupyter"
        subprocess.run(
            [str(self.python), "-m", "ipykernel", "install", "--prefix", str(kernels)]
            + ["--name", "colab"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.jupyter_path = kernels / "share" / "jupyter"
        self.root = root
        self.before = pip_freeze(self.python)
        self.order: list[str] = []
        self._done: dict[str, nbformat.NotebookNode | BaseException] = {}

    def executed(self, assignment: str) -> nbformat.NotebookNode:
        """The solution notebook of ``assignment`` executed top to bottom in a bare folder (no
        repository beside it), errors kept as error outputs. Executed on the first call only."""
        if assignment not in self._done:
            self.order.append(assignment)
            try:
                self._done[assignment] = self._execute(assignment)
            except Exception as exc:  # a cell timeout or a dead kernel: fail each test using it
                self._done[assignment] = exc
        done = self._done[assignment]
        if isinstance(done, BaseException):
            raise AssertionError(f"{assignment} could not be executed: {done!r}") from done
        return done

    def _execute(self, assignment: str) -> nbformat.NotebookNode:
        import os

        from nbclient import NotebookClient

        folder = self.root / "run" / assignment
        folder.mkdir(parents=True)
        source = Course(REPO).source_notebook(assignment)
        path = folder / source.name
        path.write_bytes(source.read_bytes())
        nb = nbformat.read(str(path), as_version=4)
        drop = ("JPY_PARENT_PID", "PYTHONPATH", "VIRTUAL_ENV", "COURSE_SIZE", "COURSE_DEVICE")
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env.update({"MPLBACKEND": INLINE_BACKEND, "COURSE_LIB_SOURCE": str(self.wheel)})
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = str(self.jupyter_path)
        try:
            client = NotebookClient(
                nb,
                timeout=900,
                kernel_name="colab",
                allow_errors=True,
                resources={"metadata": {"path": str(folder)}},
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


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory: pytest.TempPathFactory) -> NotebookRuns:
    """The session's one Colab-like Python; notebooks run in it on demand, once each."""
    return NotebookRuns(tmp_path_factory.mktemp("colab_like"))


def printed(nb: nbformat.NotebookNode, name: str = "stdout") -> str:
    """Everything a notebook wrote to ``name`` (``stdout`` or ``stderr``), concatenated."""
    return "".join(
        "".join(o.get("text", ""))
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == name
    )


# Fixtures that execute notebooks, grade, or start kernels, servers or browsers: a test that uses
# one belongs to the slow lane, and collection fails when it is not marked so.
@pytest.fixture(scope="session")
def batch(tiny_course_template, tmp_path_factory):
    """One batch of eleven students of the tiny course, graded once per session (see
    ``test_grade.make_batch``); test_grade and test_distributed both read it."""
    from test_grade import make_batch

    return make_batch(tiny_course_template, tmp_path_factory)


SLOW_FIXTURES = frozenset(
    {"notebook_runs", "checks", "batch", "cohort", "probes", "lab", "page", "cluster", "on_cluster"}
)


def pytest_collection_modifyitems(config, items) -> None:
    """Keep the fast lane fast: every test that uses a fixture of ``SLOW_FIXTURES`` must carry
    the ``slow`` marker (``@pytest.mark.slow`` or its module's ``pytestmark``)."""
    unmarked = [
        f"{item.nodeid} (uses {', '.join(sorted(SLOW_FIXTURES & set(item.fixturenames)))})"
        for item in items
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests that use a slow fixture must be marked @pytest.mark.slow:\n  "
            + "\n  ".join(unmarked)
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (``item.rep_call``), for fixtures that act on
    failure (the browser test saves a screenshot)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
