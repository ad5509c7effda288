"""Where the course lives on disk, which assignments it has, and the nbgrader configuration.

Every other module asks this one for paths and configuration, so the layout
(``solutions/NN_name/NN_name.ipynb`` -> ``notebooks/NN_name/NN_name.ipynb``) and nbgrader's
settings are written down exactly once.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

ASSIGNMENT_RE = re.compile(r"^\d\d_[a-z0-9_]+$")
COURSE_ID = "attention"

# Files that may travel from solutions/NN_name/ into the student release (see release_ignore).
# Everything else is left behind, so a paired jupytext file, a mutant catalogue or an
# instructor's note can never ship, whatever its name.
RELEASE_INCLUDE = ["*.ipynb", "*.csv", "*.json", "*.txt", "*.png", "*.svg"]
# Belt and braces: never copy these even if an include pattern above matched them.
RELEASE_IGNORE = [
    ".ipynb_checkpoints",
    "__pycache__",
    "*.pyc",
    "*.py",
    "jupytext.toml",
    "mutants*",
    "feedback",
]


def release_ignore(folder: str, names: list[str]) -> set[str]:
    """``shutil.copytree`` ignore function: drop every file the release must not contain.

    nbgrader 0.9 applies ``CourseDirectory.ignore`` but not ``include``, so the build copies the
    sources through this whitelist first: a file ships only when it matches ``RELEASE_INCLUDE``
    and no ``RELEASE_IGNORE`` pattern.
    """
    from fnmatch import fnmatch

    dropped = set()
    for name in names:
        if any(fnmatch(name, pat) for pat in RELEASE_IGNORE):
            dropped.add(name)
        elif os.path.isfile(os.path.join(folder, name)) and not any(
            fnmatch(name, pat) for pat in RELEASE_INCLUDE
        ):
            dropped.add(name)
    return dropped


# Generous limits: under load on a 2-core machine `import torch` alone can take 10 s or more, and
# a timeout must never zero a correct submission. Sandboxing and tighter limits live in the
# grading job, not here.
CELL_TIMEOUT_S = 120
# Wall-clock budget of a whole graded notebook: many cells each just under the cell limit
# cannot hold a grading worker for longer (graded notebooks run in well under a minute).
NOTEBOOK_TIMEOUT_S = 600
# Submitted notebooks larger than this are not graded (status "rejected: ..."): the course's
# notebooks are well under 1 MB even with outputs.
MAX_NOTEBOOK_MB = 20
IOPUB_TIMEOUT_S = 15
KERNEL_STARTUP_TIMEOUT_S = 180


class CourseError(RuntimeError):
    """A problem with the course layout that an instructor must fix (clear message, no trace)."""


@dataclass(frozen=True)
class Course:
    """The course folders.

    Attributes:
        root: the repository root (holds ``solutions/`` and ``notebooks/``).
    """

    root: Path

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    def assignments(self) -> list[str]:
        """Names of the assignments in ``solutions/``, sorted (``["02_similarity", ...]``).

        An assignment is a folder ``NN_name`` holding ``NN_name.ipynb``, its jupytext twin
        ``NN_name.py``, or both: a notebook started as a ``.py`` is found before ``sync`` has
        written its ``.ipynb`` (see :meth:`unsynced`).
        """
        if not self.solutions.is_dir():
            raise CourseError(f"no solutions/ folder under {self.root}")
        return sorted(
            p.name
            for p in self.solutions.iterdir()
            if p.is_dir()
            and ASSIGNMENT_RE.match(p.name)
            and any((p / f"{p.name}{suffix}").is_file() for suffix in (".ipynb", ".py"))
        )

    def unsynced(self, assignments: list[str]) -> list[str]:
        """Those of ``assignments`` that have a ``.py`` but no ``.ipynb`` yet (``sync`` writes
        it); every command but ``sync`` needs the notebook."""
        return [a for a in assignments if not self.source_notebook(a).is_file()]

    def source_notebook(self, assignment: str) -> Path:
        """The instructor's notebook (solutions and hidden tests) of ``assignment``."""
        return self.solutions / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        """The student release of ``assignment``, as committed in ``notebooks/``."""
        return self.notebooks / assignment / f"{assignment}.ipynb"

    def resolve_assignments(self, requested: list[str] | None) -> list[str]:
        """``requested`` checked against the course (all assignments when None or empty)."""
        known = self.assignments()
        if not requested:
            return known
        unknown = [a for a in requested if a not in known]
        if unknown:
            raise CourseError(
                f"unknown assignment(s) {', '.join(unknown)}; the course has {', '.join(known)}"
            )
        return list(requested)


def find_course(start: Path | None = None) -> Course:
    """The course around ``start`` (default: the working directory, then this package's repo).

    Raises:
        CourseError: when neither place holds a ``solutions/`` folder.
    """
    candidates = []
    if start is not None:
        candidates.append(Path(start))
    env = os.environ.get("COURSE_ROOT")
    if env:
        candidates.append(Path(env))
    candidates += [Path.cwd(), Path(__file__).resolve().parent.parent]
    for cand in candidates:
        for folder in [cand, *cand.resolve().parents]:
            if (folder / "solutions").is_dir() and (folder / "pyproject.toml").is_file():
                return Course(folder.resolve())
    raise CourseError(
        "cannot find the course: run this from the repository (the folder with solutions/ "
        "and pyproject.toml), or set COURSE_ROOT"
    )


def ensure_scripts_on_path() -> None:
    """Put this interpreter's script folder first on PATH.

    nbgrader runs the ``alembic`` command as a subprocess; when the course's virtual environment
    is used without being activated (``.venv/bin/python -m autograder ...``) that command would
    not be found.
    """
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != scripts:
        os.environ["PATH"] = scripts + os.pathsep + path


def nbgrader_config(
    root: Path,
    *,
    source: str = "source",
    release: str = "release",
    db_path: Path | None = None,
    cell_timeout: int = CELL_TIMEOUT_S,
    sandbox: bool = False,
    notebook_timeout: int = 0,
) -> Config:
    """nbgrader configuration for a course tree rooted at ``root``.

    With ``sandbox``, kernels run through ``autograder.sandbox.SandboxedKernelManager``
    (bubblewrap where installed, resource limits always).

    Args:
        root: nbgrader's ``CourseDirectory.root``.
        source: folder (relative to root) with ``<assignment>/<assignment>.ipynb`` sources.
        release: folder (relative to root) that ``generate_assignment`` writes.
        db_path: sqlite gradebook; None means a gradebook in ``root``.
        cell_timeout: per-cell wall-clock limit in seconds when executing.
        notebook_timeout: wall-clock budget of a whole notebook in seconds (0: none).
    """
    from autograder.preprocessors import (
        BudgetedExecute,
        KeepOnlyVerdictOutputs,
        LimitOutputSize,
        ResetTestCellTags,
        SkipDemoCells,
        StderrToStdout,
    )

    ensure_scripts_on_path()
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = source
    c.CourseDirectory.release_directory = release
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.ignore = list(RELEASE_IGNORE)
    c.CourseDirectory.db_url = f"sqlite:///{(db_path or root / 'gradebook.db').resolve()}"
    c.Execute.timeout = cell_timeout
    c.Execute.startup_timeout = KERNEL_STARTUP_TIMEOUT_S
    c.Execute.interrupt_on_timeout = True
    # After a timeout's interrupt, how long a kernel may take to report the cell as finished;
    # a kernel that ignores the interrupt fails the notebook with a "timeout" status after it.
    c.Execute.iopub_timeout = IOPUB_TIMEOUT_S
    c.BudgetedExecute.budget = notebook_timeout
    # Nothing is read from a kernel after its notebook: stop it at once (a polite shutdown
    # costs 0.7 s per notebook in the sandbox, and a student's code could ignore it anyway).
    c.BudgetedExecute.shutdown_kernel = "immediate"
    if sandbox:
        from autograder.sandbox import SandboxedKernelManager

        c.Execute.kernel_manager_class = SandboxedKernelManager  # BudgetedExecute's too

    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    c.Autograde.sanitize_preprocessors = [
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        OverwriteCells,
        ResetTestCellTags,
        SkipDemoCells,
        CheckCellMetadata,
    ]
    c.Autograde.autograde_preprocessors = [
        BudgetedExecute,
        KeepOnlyVerdictOutputs,
        StderrToStdout,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        LimitOutputSize,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    return c
