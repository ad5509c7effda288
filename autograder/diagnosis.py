"""Naming a student's likely misconception from the mutant catalogue.

Each mutant of ``solutions/NN_name/mutants.py`` is a common wrong answer with the idea it
models ("normalises over the batch axis, not over the keys"). Running the catalogue (``python -m
autograder mutants``, and ``check``) records which test cells each mutant fails, its
*signature*, in ``solutions/NN_name/mutants_signatures.json`` (instructor-only: never in the
release, the workspace or the published tree; ``check`` fails when it is out of date).

A graded submission that fails, among the test cells of one exercise, exactly the cells a
mutant of that exercise fails there, and nothing a mutant would not also fail, most likely made
that mistake: its failed test cells of that exercise are labelled with the mutant's idea (two
ideas when two mutants share the signature). The label is instructor-written text about a
mistake, never a hidden test's code, input or expected value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.course import Course
    from autograder.mutants import CatalogueReport

__all__ = [
    "SIGNATURES_FILE",
    "builds_on",
    "diagnose",
    "exercise_of_tests",
    "diagnose_answers",
    "diagnose_literal_answers",
    "literal_answers",
    "literal_mutants",
    "load_signatures",
    "signatures_of",
    "stale_signatures",
    "write_signatures",
]

SIGNATURES_FILE = "mutants_signatures.json"
MAX_IDEAS = 2


def signatures_of(report: CatalogueReport) -> dict[str, Any]:
    """The signatures of a catalogue run, as stored in :data:`SIGNATURES_FILE`."""
    return {
        "assignment": report.assignment,
        "mutants": [
            {
                "name": o.mutant.name,
                "exercise": o.mutant.function,
                "idea": o.mutant.idea,
                "failed": sorted(o.failed),
            }
            for o in report.outcomes
            if o.caught
        ],
    }


def _path(course: Course, assignment: str) -> Path:
    return course.solutions / assignment / SIGNATURES_FILE


def write_signatures(course: Course, report: CatalogueReport) -> Path:
    """Write the signatures of ``report`` (a complete, passing catalogue run)."""
    path = _path(course, report.assignment)
    path.write_text(json.dumps(signatures_of(report), indent=1, sort_keys=True) + "\n")
    return path


def load_signatures(course: Course, assignment: str) -> dict[str, Any] | None:
    """The stored signatures of ``assignment``; None when there are none."""
    path = _path(course, assignment)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def stale_signatures(course: Course, report: CatalogueReport) -> bool:
    """True when the stored signatures differ from those of ``report``."""
    return load_signatures(course, report.assignment) != json.loads(
        json.dumps(signatures_of(report))
    )


def exercise_of_tests(source: Any) -> dict[str, str]:
    """``{test cell grade_id: exercise}``: each test cell belongs to the solution cell before
    it in notebook order (its ``grade_id`` is the exercise)."""
    from autograder.integrity import grade_id, is_test_cell

    owner: dict[str, str] = {}
    current = ""
    for cell in source.cells:
        gid = grade_id(cell)
        if not gid:
            continue
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if nbg.get("solution") and not nbg.get("grade"):
            current = gid
        elif is_test_cell(cell) and current:
            owner[gid] = current
    return owner


def diagnose(
    signatures: dict[str, Any] | None, owner: dict[str, str], failed: set[str]
) -> dict[str, str]:
    """``{failed test cell: likely misconception}`` for a submission that failed ``failed``.

    For each exercise, the failed cells that belong to it are compared with each mutant of
    that exercise: a mutant matches when it fails exactly those cells of the exercise and every
    cell it fails elsewhere (a later exercise built on this one) failed too.
    """
    if not signatures or not failed:
        return {}
    found: dict[str, str] = {}
    by_exercise: dict[str, set[str]] = {}
    for gid in failed:
        if gid in owner:
            by_exercise.setdefault(owner[gid], set()).add(gid)
    for exercise, cells in by_exercise.items():
        ideas: list[str] = []
        for m in signatures.get("mutants", []):
            if m.get("exercise") != exercise or not m.get("idea"):
                continue
            theirs = set(m.get("failed", []))
            mine_here = {c for c in theirs if owner.get(c) == exercise}
            if mine_here == cells and theirs <= failed and m["idea"] not in ideas:
                ideas.append(m["idea"])
        if ideas:
            text = " or ".join(ideas[:MAX_IDEAS])
            for gid in cells:
                found[gid] = text
    return found


def literal_answers(source: str) -> dict[str, Any] | None:
    """``{name: value}`` of a cell that only assigns literals (``answer_1 = "b"``,
    ``prediction = 0.25``), or None for any other code. Parsed, never run."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found: dict[str, Any] = {}
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            return None
        try:
            found[node.targets[0].id] = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    return found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().lower() == b.strip().lower()
    return type(a) is type(b) and a == b


def diagnose_answers(
    signatures: dict[str, Any] | None,
    sources: dict[str, str],
    solution: dict[str, Any],
    student: dict[str, Any],
    failed: set[str],
) -> dict[str, str]:
    """``{failed test cell: misconception}`` from catalogued answers that are plain literals
    (a quiz letter, a predicted number): a mutant matches when the student wrote the very
    answers in which it differs from the solution, so ``"b"`` names what option b believes,
    not every wrong option that fails the same cell.

    ``sources``: ``{mutant name: its answer cell's source}``; ``solution`` and ``student``: the
    literal answers (:func:`literal_answers`) of the solution's and the student's cells."""
    per_cell: dict[str, list[str]] = {}
    for m in (signatures or {}).get("mutants", []):
        theirs = literal_answers(sources.get(m.get("name", ""), ""))
        if not theirs or not m.get("idea"):
            continue
        missing = object()
        differs = {k: v for k, v in theirs.items() if not _same(v, solution.get(k, missing))}
        if differs and all(k in student and _same(student[k], v) for k, v in differs.items()):
            for gid in set(m.get("failed", [])) & failed:
                if m["idea"] not in per_cell.setdefault(gid, []):
                    per_cell[gid].append(m["idea"])
    return {gid: " or ".join(ideas[:MAX_IDEAS]) for gid, ideas in per_cell.items()}


def literal_mutants(course: Course, assignment: str) -> dict[str, dict[str, str]]:
    """``{exercise: {mutant name: its answer}}`` for the exercises whose catalogued wrong
    answers are plain literals (quizzes, predictions); read once per assignment."""
    from autograder.course import CourseError
    from autograder.mutants import load_catalogue

    try:
        catalogue = load_catalogue(course, assignment, check=False)
    except (OSError, CourseError):
        return {}
    by_exercise: dict[str, dict[str, str]] = {}
    for m in catalogue.mutants:
        by_exercise.setdefault(m.function, {})[m.name] = (
            m.source if isinstance(m.source, str) else ""
        )
    return {
        exercise: sources
        for exercise, sources in by_exercise.items()
        if any(literal_answers(text) for text in sources.values())
    }


def _region_text(cell_source: str) -> str:
    """The code of a cell's solution regions (the whole cell when it has none)."""
    from autograder.course import CourseError
    from autograder.mutants import solution_regions

    lines = cell_source.splitlines()
    try:
        regions = solution_regions(cell_source)
    except CourseError:  # unbalanced markers: read the whole cell
        regions = []
    if not regions:
        return cell_source
    return "\n".join(line.strip() for begin, end, _ in regions for line in lines[begin + 1 : end])


def diagnose_literal_answers(
    signatures: dict[str, Any],
    literal: dict[str, dict[str, str]],
    source: Any,
    graded: Path,
    failed: set[str],
) -> dict[str, str]:
    """:func:`diagnose_answers` for each exercise of ``literal`` (:func:`literal_mutants`):
    the student's answers come from their graded notebook, the solution's from ``source``,
    both parsed, never run."""
    import nbformat

    from autograder.integrity import grade_id

    try:
        student_nb = nbformat.read(str(graded), 4)
    except (OSError, ValueError):
        return {}
    cells = {grade_id(c): c.source for c in student_nb.cells if grade_id(c)}
    solutions = {grade_id(c): c.source for c in source.cells if grade_id(c)}
    found: dict[str, str] = {}
    for exercise, sources in literal.items():
        solution = literal_answers(_region_text(solutions.get(exercise, ""))) or {}
        student = literal_answers(_region_text(cells.get(exercise, ""))) or {}
        found.update(diagnose_answers(signatures, sources, solution, student, failed))
    return found


def builds_on(source: Any) -> dict[str, list[str]]:
    """``{exercise: earlier exercises its solution cell uses}``, from the names each solution
    cell defines and the names later solution cells load (a ``MultiHeadAttention`` that calls
    ``split_heads``). A test of an exercise whose earlier piece lost points may fail for that
    piece's mistake; the feedback says so."""
    import ast

    defined: dict[str, str] = {}  # name -> exercise that defines it
    uses: dict[str, list[str]] = {}
    for cell in source.cells:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not nbg.get("solution") or nbg.get("grade"):
            continue
        exercise = nbg.get("grade_id", "")
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        uses[exercise] = sorted({defined[n] for n in loaded if n in defined} - {exercise})
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined[node.name] = exercise
    return {k: v for k, v in uses.items() if v}
