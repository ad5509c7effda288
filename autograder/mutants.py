"""Mutation testing of the test cells: wrong answers must lose points, right ones must keep them.

Two catalogues live beside each source notebook:

- ``solutions/NN_name/mutants.py`` defines ``MUTANTS``, a list of :class:`Mutant`: realistic
  wrong answers, each naming the test cells that must fail on it;
- ``solutions/NN_name/equivalents.py`` defines ``EQUIVALENTS``, a list of :class:`Equivalent`:
  correct answers in other styles (loops, einsum, float32, ``-1e9`` masks...), with which every
  test cell must pass.

An entry carries only what replaces the solution region(s) of its cell, the lines strictly between
``### BEGIN SOLUTION`` and ``### END SOLUTION``: a string for a cell with one region, a tuple of
strings (one per region, in order) for a cell with several. :func:`splice` dedents each
replacement, re-indents it to its ``### BEGIN SOLUTION`` line and puts it into the *current*
solution cell, so everything outside the regions (a given ``__init__``, signatures, docstrings)
comes from the notebook and a catalogue never goes stale when the given code changes.

The harness starts one kernel per notebook and runs the source notebook top to bottom as the
grader does (``demo`` cells skipped, hidden tests included). Then, for each entry, it executes the
spliced cell, reruns every test cell, records which failed, and re-executes the original solution
cell. One kernel for both catalogues keeps the cost at a fraction of a second per entry, so every
notebook's catalogues fit in CI. A test also grades spliced mutants end to end through ``grade``
to show the harness agrees with the real grader.
"""

from __future__ import annotations

import copy
import re
import runpy
import shutil
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.utils import is_grade, is_solution

from autograder.course import Course, CourseError, release_ignore
from autograder.kernels import kernel_env
from autograder.preprocessors import is_demo
from autograder.worker import GRADING_THREADS

MIN_MUTANTS_PER_EXERCISE = 5
MIN_EQUIVALENTS_PER_EXERCISE = 3
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"

Replacement = str | tuple[str, ...]


@dataclass(frozen=True)
class Mutant:
    """A realistic wrong answer to one exercise.

    Attributes:
        name: short unique id, e.g. ``"cosine_missing_norms"``.
        function: ``grade_id`` of the solution cell (the function or class name, or
            ``understanding`` for a quiz).
        source: what replaces the cell's solution region: a string for one region, a tuple of
            strings, one per region in order, for several.
        catches: ``grade_id``s of the test cells that must fail on it (at least one).
        idea: the misconception it models, in a few words.
    """

    name: str
    function: str
    source: Replacement
    catches: tuple[str, ...]
    idea: str = ""


@dataclass(frozen=True)
class Equivalent:
    """A correct answer to one exercise in another style: it must keep full marks.

    Attributes:
        name: short unique id, e.g. ``"cosine_einsum"``.
        function: ``grade_id`` of the solution cell, as for :class:`Mutant`.
        source: what replaces the cell's solution region(s), as for :class:`Mutant`.
        style: the style it stands for, e.g. ``"einsum"`` or ``"float32, as nanoGPT"``.
    """

    name: str
    function: str
    source: Replacement
    style: str = ""


@dataclass
class Catalogue:
    """One notebook's catalogues; ``equivalents`` is None when it has no ``equivalents.py``."""

    mutants: list[Mutant]
    equivalents: list[Equivalent] | None = None


def solution_regions(cell_source: str) -> list[tuple[int, int, str]]:
    """The solution regions of a cell: ``(begin_line, end_line, indent)`` per region, in order.

    ``begin_line`` and ``end_line`` index the marker lines of ``cell_source.splitlines()``;
    ``indent`` is the leading whitespace of the ``### BEGIN SOLUTION`` line.
    """
    regions = []
    begin: int | None = None
    for i, line in enumerate(cell_source.splitlines()):
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            if begin is not None:
                raise CourseError(f"line {i + 1}: {BEGIN_SOLUTION} inside another region")
            begin = i
        elif stripped.startswith(END_SOLUTION):
            if begin is None:
                raise CourseError(f"line {i + 1}: {END_SOLUTION} without {BEGIN_SOLUTION}")
            first = cell_source.splitlines()[begin]
            regions.append((begin, i, first[: len(first) - len(first.lstrip())]))
            begin = None
    if begin is not None:
        raise CourseError(f"line {begin + 1}: {BEGIN_SOLUTION} is never closed")
    return regions


def _reindent(text: str, indent: str) -> list[str]:
    """``text`` dedented, blank lines at either end dropped, re-indented by ``indent``."""
    lines = textwrap.dedent(text).splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return [indent + line if line.strip() else "" for line in lines]


def splice(cell_source: str, replacement: Replacement, *, label: str = "replacement") -> str:
    """``cell_source`` with each solution region (markers included) replaced by ``replacement``.

    ``replacement`` is a string for a cell with one region, or a tuple of strings, one per region
    in order. Each is dedented and re-indented to the indentation of its ``### BEGIN SOLUTION``
    line; everything outside the regions is kept as it is. The result is what a student who
    filled in the stub would submit (no markers). ``label`` names the entry in error messages.

    Raises:
        CourseError: the cell has no region, or the number of replacements differs from the
            number of regions.
    """
    regions = solution_regions(cell_source)
    parts = (replacement,) if isinstance(replacement, str) else tuple(replacement)
    if not all(isinstance(p, str) for p in parts):
        raise CourseError(f"{label}: source must be a string or a tuple of strings")
    if not regions:
        raise CourseError(f"{label}: the solution cell has no {BEGIN_SOLUTION} region")
    if len(parts) != len(regions):
        raise CourseError(
            f"{label}: {len(parts)} replacement(s) for a solution cell with {len(regions)} "
            f"region(s); give a tuple of {len(regions)} strings, one per "
            f"{BEGIN_SOLUTION} ... {END_SOLUTION} region, in order"
        )
    lines = cell_source.splitlines()
    out: list[str] = []
    start = 0
    for (begin, end, indent), part in zip(regions, parts, strict=True):
        out += lines[start:begin]
        out += _reindent(part, indent)
        start = end + 1
    out += lines[start:]
    return "\n".join(out) + "\n"


def _load_list(path: Path, variable: str, kind: type) -> list:
    namespace = runpy.run_path(str(path))
    entries = namespace.get(variable)
    if not isinstance(entries, list) or not all(isinstance(e, kind) for e in entries):
        raise CourseError(
            f"{path} must define {variable}, a list of autograder.mutants.{kind.__name__}"
        )
    names = [e.name for e in entries]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CourseError(f"{path}: duplicate names {', '.join(dupes)}")
    return entries


def tests_reached(nb: Any, exercise: str) -> list[str]:
    """The test cells that a change of the solution cell ``exercise`` can make fail: those after
    it in ``nb``, and earlier ones whose source names something the cell defines."""
    import ast

    position = {_grade_id(c): i for i, c in enumerate(nb.cells) if _is_test(c) or _is_solution(c)}
    cell = nb.cells[position[exercise]]
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {t.id for t in targets if isinstance(t, ast.Name)}
    reached = []
    for i, c in enumerate(nb.cells):
        if not _is_test(c):
            continue
        names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", c.source))
        if i > position[exercise] or names & defined:
            reached.append(_grade_id(c))
    return reached


def _cells(course: Course, assignment: str):
    """The source notebook, its test cells and its solution cells by ``grade_id``."""
    import nbformat

    path = course.source_notebook(assignment)
    if not path.is_file():
        raise CourseError(
            f"{path} is missing: run `python -m autograder sync --assignment {assignment}`"
        )
    nb = nbformat.read(str(path), as_version=4)
    tests = {_grade_id(c): c for c in nb.cells if _is_test(c)}
    solutions = {_grade_id(c): c for c in nb.cells if _is_solution(c)}
    return nb, tests, solutions


def validate(
    course: Course,
    assignment: str,
    mutants: list[Mutant],
    equivalents: list[Equivalent] | None = None,
) -> None:
    """Raise :class:`CourseError` for an entry the notebook cannot run.

    Checked: each ``function`` names a solution cell, each mutant's ``catches`` names test cells
    (at least one), and each ``source`` splices into its cell (one replacement per region).
    """
    _, tests, solutions = _cells(course, assignment)
    problems = []
    for kind, entries in (("mutant", mutants), ("equivalent", equivalents or [])):
        for e in entries:
            label = f"{assignment} {kind} {e.name!r}"
            if e.function not in solutions:
                problems.append(
                    f"{label}: no solution cell with grade_id {e.function!r} "
                    f"(known: {', '.join(solutions)})"
                )
                continue
            if isinstance(e, Mutant):
                unknown = [c for c in e.catches if c not in tests]
                if unknown or not e.catches:
                    problems.append(f"{label}: catches unknown or no test cells {unknown}")
            try:
                splice(solutions[e.function].source, e.source, label=label)
            except CourseError as exc:
                problems.append(str(exc))
    if problems:
        raise CourseError("\n".join(problems))


def load_catalogue(course: Course, assignment: str, *, check: bool = True) -> Catalogue:
    """``MUTANTS`` of ``solutions/<assignment>/mutants.py`` (empty when absent) and
    ``EQUIVALENTS`` of ``equivalents.py`` (None when absent), validated against the notebook
    unless ``check`` is False."""
    folder = course.solutions / assignment
    path = folder / "mutants.py"
    mutants = _load_list(path, "MUTANTS", Mutant) if path.is_file() else []
    path = folder / "equivalents.py"
    equivalents = _load_list(path, "EQUIVALENTS", Equivalent) if path.is_file() else None
    if check:
        validate(course, assignment, mutants, equivalents)
    return Catalogue(mutants, equivalents)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _grade_id(cell) -> str:
    return _nbgrader(cell)["grade_id"]


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def _is_solution(cell) -> bool:
    return cell.cell_type == "code" and is_solution(cell)


def _failed(cell) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


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
class EquivalentOutcome:
    """What happened to one equivalent."""

    equivalent: Equivalent
    failed: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def full_marks(self) -> bool:
        """True when its source ran and every test cell passed."""
        return self.error is None and not self.failed


@dataclass
class CatalogueReport:
    """The outcome of one notebook's catalogues.

    ``equivalents`` is None when the notebook has no ``equivalents.py`` yet (reported, not a
    failure).
    """

    assignment: str
    outcomes: list[MutantOutcome]
    exercises: list[str]
    seconds: float
    problems: list[str] = field(default_factory=list)
    equivalents: list[EquivalentOutcome] | None = None

    @property
    def ok(self) -> bool:
        """No problem, every mutant caught, every equivalent at full marks."""
        return (
            not self.problems
            and all(o.caught for o in self.outcomes)
            and all(o.full_marks for o in self.equivalents or [])
        )

    def format(self) -> str:
        """A plain-text report: one line per mutant and per equivalent, then counts."""
        caught = sum(o.caught for o in self.outcomes)
        head = f"{self.assignment}: {len(self.outcomes)} mutants, {caught} caught"
        if self.equivalents is None:
            head += ", no equivalents.py yet"
        else:
            full = sum(o.full_marks for o in self.equivalents)
            head += f"; {len(self.equivalents)} equivalents, {full} at full marks"
        lines = [f"{head}; {self.seconds:.1f} s"]
        for o in self.outcomes:
            mark = "caught     " if o.caught else "SURVIVED   "
            failed = ", ".join(o.failed) if o.failed else "no test failed"
            detail = f"error: {o.error}" if o.error else f"failed: {failed}"
            lines.append(f"  {mark} {o.mutant.function:<28} {o.mutant.name:<36} {detail}")
        for e in self.equivalents or []:
            mark = "full marks " if e.full_marks else "LOST POINTS"
            if e.error:
                detail = f"error: {e.error}"
            elif e.failed:
                detail = f"failed: {', '.join(e.failed)}"
            else:
                detail = f"({e.equivalent.style})" if e.equivalent.style else ""
            lines.append(f"  {mark} {e.equivalent.function:<28} {e.equivalent.name:<36} {detail}")
        lines.append("  per exercise:")
        for ex in self.exercises:
            ms = [o for o in self.outcomes if o.mutant.function == ex]
            line = f"    {ex:<30} mutants {sum(o.caught for o in ms)}/{len(ms)} caught"
            if self.equivalents is not None:
                es = [o for o in self.equivalents if o.equivalent.function == ex]
                line += f", equivalents {sum(o.full_marks for o in es)}/{len(es)} at full marks"
            lines.append(line)
        lines += [f"  PROBLEM: {p}" for p in self.problems]
        return "\n".join(lines)


def run_catalogue(
    course: Course,
    assignment: str,
    mutants: list[Mutant] | None = None,
    equivalents: list[Equivalent] | None = None,
    *,
    cell_timeout: int = 60,
    min_per_exercise: int = MIN_MUTANTS_PER_EXERCISE,
    min_equivalents: int = MIN_EQUIVALENTS_PER_EXERCISE,
) -> CatalogueReport:
    """Run mutants and equivalents against the notebook's test cells.

    With ``mutants`` None, both come from the notebook's catalogue files (``equivalents`` None
    when it has no ``equivalents.py``). With ``mutants`` given, only the ``equivalents`` given
    run (None: no equivalents). Raises :class:`CourseError` for an entry that names an unknown
    cell or does not splice into its cell (see :func:`validate`).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    started = time.monotonic()
    if mutants is None:
        catalogue = load_catalogue(course, assignment, check=False)
        mutants = catalogue.mutants
        if equivalents is None:
            equivalents = catalogue.equivalents
    validate(course, assignment, mutants, equivalents)
    nb, tests, solutions = _cells(course, assignment)
    problems = []
    for exercise in solutions:
        n = sum(m.function == exercise for m in mutants)
        if n < min_per_exercise:
            problems.append(
                f"exercise {exercise} has {n} mutants; at least {min_per_exercise} needed"
            )
        if equivalents is not None:
            n = sum(e.function == exercise for e in equivalents)
            if n < min_equivalents:
                problems.append(
                    f"exercise {exercise} has {n} equivalents; at least {min_equivalents} needed"
                )

    def report(outcomes, equivalent_outcomes) -> CatalogueReport:
        if equivalents is not None and equivalent_outcomes is None:
            equivalent_outcomes = []
        return CatalogueReport(
            assignment,
            outcomes,
            list(solutions),
            time.monotonic() - started,
            problems,
            equivalent_outcomes,
        )

    if problems:
        return report([], None)

    outcomes: list[MutantOutcome] = []
    equivalent_outcomes: list[EquivalentOutcome] = []
    with tempfile.TemporaryDirectory(prefix="autograder-mutants-") as tmp:
        workdir = Path(tmp) / assignment
        shutil.copytree(course.solutions / assignment, workdir, ignore=release_ignore)
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

        def failing_tests(only: list[str] | None = None) -> list[str]:
            """Run every test cell (or those in ``only``) through the judge, as grading does
            (autograder.judge)."""
            from autograder.judge import Judge, TestRun

            km: Any = client.km
            judge = Judge(judge_client, interrupt=run_sync(km.interrupt_kernel), channel_dir=tmp)
            run = TestRun(judge)
            failed = set()
            try:
                for gid, c in tests.items():
                    if only is not None and gid not in only:
                        continue
                    outputs = run.visible(gid, c.source, timeout=cell_timeout)
                    if any(o["output_type"] == "error" for o in outputs):
                        failed.add(gid)
                for gid, errors in run.hidden(lambda: cell_timeout):
                    if errors is None or errors:
                        failed.add(gid)
            finally:
                judge.close()
            return [gid for gid in tests if gid in failed]

        def try_entry(entry: Mutant | Equivalent) -> tuple[list[str], str | None]:
            """Splice ``entry`` in, run every test cell, put the solution back."""
            cell = solutions[entry.function]
            try:
                if _failed(execute(splice(cell.source, entry.source), 0)):
                    return [], "its spliced cell itself raised"
                return failing_tests(reach.get(entry.function)), None
            finally:
                if _failed(execute(cell.source, 0)):
                    problems.append(f"could not restore {entry.function} after {entry.name}")

        with client.setup_kernel(env=kernel_env(threads=GRADING_THREADS)):
            from jupyter_core.utils import run_sync

            from autograder.judge import connect

            km: Any = client.km
            judge_client = connect(dict(km.get_connection_info(session=False)))
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and not is_demo(cell) and not _is_test(cell):
                    run = copy.deepcopy(cell)
                    client.execute_cell(run, index)
                    if _failed(run) and _is_solution(cell):
                        problems.append(f"the solution notebook fails in cell {_grade_id(cell)!r}")
            failing = [] if problems else failing_tests()
            if failing:
                problems.append(f"the solution notebook fails the test cells {failing}")
            if problems:
                judge_client.stop_channels()
                return report([], None)
            # An entry changes one solution cell: only the test cells after it, or naming what
            # it defines, can fail. Each exercise runs those alone where the solution passes
            # them alone too (no test there needs a helper an earlier test cell defined).
            reach: dict[str, list[str] | None] = {}
            entries: list[Mutant | Equivalent] = [*mutants, *(equivalents or [])]
            for exercise in sorted({e.function for e in entries}):
                subset = tests_reached(nb, exercise)
                reach[exercise] = subset if not failing_tests(subset) else None
            from tqdm import tqdm

            # a bar on a terminal only (a catalogue takes up to a minute); logs stay clean
            for entry in tqdm(
                entries,
                desc=f"{assignment} catalogue",
                leave=False,
                disable=not sys.stderr.isatty(),
            ):
                failed, error = try_entry(entry)
                if isinstance(entry, Mutant):
                    outcomes.append(MutantOutcome(entry, failed, error))
                else:
                    equivalent_outcomes.append(EquivalentOutcome(entry, failed, error))
            still_failing = failing_tests()
            if still_failing:
                problems.append(f"after the catalogue, the solution fails {still_failing}")
            judge_client.stop_channels()
            judge_client.context.term()
    return report(outcomes, equivalent_outcomes if equivalents is not None else None)
