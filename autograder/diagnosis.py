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
