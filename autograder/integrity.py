"""Repair a submitted notebook's nbgrader structure before grading, and say what was wrong.

nbgrader identifies cells by their ``grade_id`` metadata. Students delete, copy, retype and edit
cells, by accident or not, and nbgrader 0.9 handles that badly: a duplicated test cell aborts the
notebook, a test cell retyped as a solution cell (or given another id) aborts it too, and a
deleted test cell silently scores 0. ``repair`` compares the submission with the instructor's
source notebook and returns a notebook nbgrader can grade:

- a cell whose ``grade_id`` the source does not know loses its nbgrader metadata (it still runs);
- a second cell with the same ``grade_id`` loses its metadata (the first one is graded);
- a cell whose type or nbgrader metadata differs from the source gets the source's back (the
  student's text stays in answer cells; test cells are restored by nbgrader anyway);
- a deleted test or answer cell is put back where the source has it (an answer cell comes back
  empty, so its tests fail);
- duplicate notebook cell ids are renumbered.

What it did is reported in two lists: ``restored`` (deleted or duplicated cells: often an
accident) and ``tampered`` (test cells edited, retyped or renamed). A submission that contains
none of the assignment's cells is reported as the wrong notebook.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from nbgrader.utils import is_grade, is_solution

__all__ = ["Repair", "grade_id", "is_test_cell", "release_text", "repair"]

NBGRADER_KEYS = ("grade", "solution", "locked", "points", "grade_id", "task")
_HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS.*?^\s*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


@dataclass
class Repair:
    """The repaired notebook and what was done to it."""

    notebook: Any
    restored: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    wrong_notebook: bool = False

    def status(self, assignment: str) -> str:
        """``""`` when nothing was wrong, else the status text for grades.csv."""
        if self.wrong_notebook:
            return f"wrong notebook: none of the cells of {assignment} are in it"
        parts = []
        if self.tampered:
            parts.append("tampering flagged: " + ", ".join(self.tampered))
        if self.restored:
            parts.append("restored: " + ", ".join(self.restored))
        return "; ".join(parts)


def _meta(cell: Any) -> dict[str, Any]:
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


def grade_id(cell: Any) -> str | None:
    """The cell's nbgrader ``grade_id``, or None."""
    gid = _meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _essential(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta.get(k) for k in NBGRADER_KEYS}


def release_text(source: str) -> str:
    """A test cell's source as students receive it: the hidden-test block removed."""
    return _HIDDEN.sub("", source)


def _normalise(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines() if line.strip()]


def is_test_cell(cell: Any) -> bool:
    """True for an autograded test cell (graded code, not an answer cell)."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def _strip_nbgrader(cell: Any) -> Any:
    cell = copy.deepcopy(cell)
    cell.get("metadata", {}).pop("nbgrader", None)
    return cell


def _like(reference: Any, source: str) -> Any:
    """A cell of ``reference``'s type and metadata with ``source``."""
    cell = copy.deepcopy(reference)
    cell.source = source
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    cell["id"] = uuid.uuid4().hex[:8]
    return cell


def _position(cells: list[Any], order: list[str], index: int) -> int:
    """Where the source's ``order[index]`` cell goes back: after the nearest earlier graded
    cell that is present, else before the nearest later one, else at the end."""
    where = {gid: i for i, c in enumerate(cells) if (gid := grade_id(c))}
    for earlier in reversed(order[:index]):
        if earlier in where:
            return where[earlier] + 1
    for later in order[index + 1 :]:
        if later in where:
            return where[later]
    return len(cells)


def repair(submission: Any, source: Any) -> Repair:
    """Compare ``submission`` with the instructor's ``source`` notebook; see the module doc.

    Both are nbformat v4 notebooks; ``submission`` is not modified.
    """
    reference = {gid: cell for cell in source.cells if (gid := grade_id(cell))}
    order = [gid for cell in source.cells if (gid := grade_id(cell))]
    result = Repair(notebook=copy.deepcopy(submission))
    seen: set[str] = set()
    cells = []
    for cell in result.notebook.cells:
        gid = grade_id(cell)
        if gid is None:
            cells.append(cell)
            continue
        if gid not in reference:
            result.tampered.append(f"unknown cell id {gid!r}")
            cells.append(_strip_nbgrader(cell))
            continue
        if gid in seen:
            result.restored.append(f"duplicate {gid} ignored")
            cells.append(_strip_nbgrader(cell))
            continue
        seen.add(gid)
        ref = reference[gid]
        if cell.cell_type != ref.cell_type or _essential(_meta(cell)) != _essential(_meta(ref)):
            if is_test_cell(ref):
                result.tampered.append(f"{gid} retyped")
            cells.append(_like(ref, cell.get("source", "")))
            continue
        if is_test_cell(ref) and _normalise(cell.source) not in (
            _normalise(release_text(ref.source)),
            _normalise(ref.source),  # the instructor's own copy, hidden tests included
        ):
            result.tampered.append(f"{gid} edited")
        cells.append(cell)

    # Put deleted cells back after the source cell that precedes them.
    for index, gid in enumerate(order):
        if gid in seen:
            continue
        ref = reference[gid]
        if is_test_cell(ref):
            restored = _like(ref, release_text(ref.source))
            result.restored.append(f"deleted {gid}")
        else:
            restored = _like(ref, "")
            result.restored.append(f"deleted answer cell {gid}")
        cells.insert(_position(cells, order, index), restored)
        seen.add(gid)

    ids: set[str] = set()
    for cell in cells:
        cid = cell.get("id")
        if cid is not None and cid in ids:
            cell["id"] = uuid.uuid4().hex[:8]
        ids.add(cell.get("id"))
    result.notebook.cells = cells
    present = {grade_id(c) for c in submission.cells} & set(reference)
    result.wrong_notebook = bool(reference) and not present
    if result.wrong_notebook:
        result.restored, result.tampered = [], []
    return result
