"""Mutation testing of the test cells: every catalogued wrong answer must lose points.

A catalogue lives beside each source notebook, in ``solutions/NN_name/mutants.py``, as a list
``MUTANTS`` of :class:`Mutant`. A mutant names the solution cell it replaces (by ``grade_id``,
which is the function's name), gives the replacement source (the wrong answer, written as a
student would write it) and the test cells that must fail on it.

The harness starts one kernel per notebook and runs the source notebook top to bottom as the
grader does (``demo`` cells skipped, hidden tests included). Then, for each mutant, it executes
the mutant's source (redefining the function), reruns every test cell, records which failed, and
re-executes the original solution cell. One kernel for a whole catalogue keeps the cost at a
fraction of a second per mutant, so all notebooks' catalogues fit in CI. A test also grades a few
mutants end to end through ``grade`` to show the harness agrees with the real grader.
"""

from __future__ import annotations

import copy
import runpy
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import Course, CourseError, release_ignore
from autograder.grade import GRADING_THREADS
from autograder.kernels import kernel_env
from autograder.preprocessors import is_demo

MIN_MUTANTS_PER_EXERCISE = 5


@dataclass(frozen=True)
class Mutant:
    """A realistic wrong answer to one exercise.

    Attributes:
        name: short unique id, e.g. ``"cosine_missing_norms"``.
        function: ``grade_id`` of the solution cell it replaces (the function's name).
        source: code a student might have written instead (defines the same names).
        catches: ``grade_id``s of the test cells that must fail on it (at least one).
        idea: the misconception it models, in a few words.
    """

    name: str
    function: str
    source: str
    catches: tuple[str, ...]
    idea: str = ""


@dataclass
class MutantOutcome:
    """What happened to one mutant."""

    mutant: Mutant
    failed: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def caught(self) -> bool:
        """True when every cell in ``mutant.catches`` failed."""
        return self.error is None and all(c in self.failed for c in self.mutant.catches)


@dataclass
class CatalogueReport:
    """The outcome of one notebook's catalogue."""

    assignment: str
    outcomes: list[MutantOutcome]
    exercises: list[str]
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(o.caught for o in self.outcomes)

    def format(self) -> str:
        """A plain-text table, one line per mutant."""
        lines = [f"{self.assignment}: {len(self.outcomes)} mutants, {self.seconds:.1f} s"]
        for o in self.outcomes:
            mark = "caught " if o.caught else "SURVIVED"
            failed = ", ".join(o.failed) if o.failed else "no test failed"
            detail = f"error: {o.error}" if o.error else f"failed: {failed}"
            lines.append(f"  {mark} {o.mutant.function:<28} {o.mutant.name:<36} {detail}")
        counts = {e: sum(o.mutant.function == e for o in self.outcomes) for e in self.exercises}
        lines.append("  per exercise: " + ", ".join(f"{e} {n}" for e, n in counts.items()))
        lines += [f"  PROBLEM: {p}" for p in self.problems]
        return "\n".join(lines)


def load_catalogue(course: Course, assignment: str) -> list[Mutant]:
    """The ``MUTANTS`` list of ``solutions/<assignment>/mutants.py`` (empty when absent)."""
    path = course.solutions / assignment / "mutants.py"
    if not path.is_file():
        return []
    namespace = runpy.run_path(str(path))
    mutants = namespace.get("MUTANTS")
    if not isinstance(mutants, list) or not all(isinstance(m, Mutant) for m in mutants):
        raise CourseError(f"{path} must define MUTANTS, a list of autograder.mutants.Mutant")
    names = [m.name for m in mutants]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CourseError(f"{path}: duplicate mutant names {', '.join(dupes)}")
    return mutants


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _is_solution(cell) -> bool:
    return cell.cell_type == "code" and bool(_nbgrader(cell).get("solution"))


def _failed(cell) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def run_catalogue(
    course: Course,
    assignment: str,
    mutants: list[Mutant] | None = None,
    *,
    cell_timeout: int = 60,
    min_per_exercise: int = MIN_MUTANTS_PER_EXERCISE,
) -> CatalogueReport:
    """Run ``mutants`` (default: the notebook's catalogue) against the notebook's test cells."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    started = time.monotonic()
    mutants = load_catalogue(course, assignment) if mutants is None else mutants
    nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    tests = {_nbgrader(c)["grade_id"]: c for c in nb.cells if _is_test(c)}
    solutions = {_nbgrader(c)["grade_id"]: c for c in nb.cells if _is_solution(c)}
    problems = []
    for m in mutants:
        if m.function not in solutions:
            problems.append(f"mutant {m.name}: no solution cell {m.function!r}")
        unknown = [c for c in m.catches if c not in tests]
        if unknown or not m.catches:
            problems.append(f"mutant {m.name}: catches unknown or no test cells {unknown}")
    for exercise in solutions:
        n = sum(m.function == exercise for m in mutants)
        if n < min_per_exercise:
            problems.append(
                f"exercise {exercise} has {n} mutants; at least {min_per_exercise} needed"
            )
    if problems:
        return CatalogueReport(
            assignment, [], list(solutions), time.monotonic() - started, problems
        )

    outcomes: list[MutantOutcome] = []
    with tempfile.TemporaryDirectory(prefix="autograder-mutants-") as tmp:
        workdir = Path(tmp) / assignment
        shutil.copytree(
            course.solutions / assignment,
            workdir,
            ignore=release_ignore,
        )
        client = NotebookClient(
            nb,
            timeout=cell_timeout,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            resources={"metadata": {"path": str(workdir)}},
        )

        def execute(source: str, index: int):
            cell = nbformat.v4.new_code_cell(source)
            try:
                client.execute_cell(cell, index)
            except (CellTimeoutError, TimeoutError):
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "error", ename="CellTimeoutError", evalue="", traceback=[]
                    )
                )
            return cell

        def failing_tests() -> list[str]:
            return [
                gid for i, (gid, c) in enumerate(tests.items()) if _failed(execute(c.source, i))
            ]

        with client.setup_kernel(env=kernel_env(threads=GRADING_THREADS)):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and not is_demo(cell):
                    run = copy.deepcopy(cell)
                    client.execute_cell(run, index)
                    if _failed(run) and (_is_test(cell) or _is_solution(cell)):
                        gid = _nbgrader(cell).get("grade_id")
                        problems.append(f"the solution notebook fails in cell {gid!r}")
            if problems:
                return CatalogueReport(
                    assignment, [], list(solutions), time.monotonic() - started, problems
                )
            from tqdm import tqdm

            # a bar on a terminal only (a catalogue takes up to a minute); logs stay clean
            for m in tqdm(
                mutants, desc=f"{assignment} mutants", leave=False, disable=not sys.stderr.isatty()
            ):
                outcome = MutantOutcome(m)
                try:
                    if _failed(execute(m.source, 0)):
                        outcome.error = "the mutant's source itself raised"
                    else:
                        outcome.failed = failing_tests()
                finally:
                    restored = execute(solutions[m.function].source, 0)
                    if _failed(restored):
                        problems.append(f"could not restore {m.function} after {m.name}")
                outcomes.append(outcome)
            still_failing = failing_tests()
            if still_failing:
                problems.append(f"after all mutants, the solution fails {still_failing}")
    return CatalogueReport(
        assignment, outcomes, list(solutions), time.monotonic() - started, problems
    )
