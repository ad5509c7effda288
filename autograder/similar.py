"""Similar answers: answer cells that are near-identical across students, for a human to read.

An answer is the source of a solution cell of a graded notebook, matched across students by its
nbgrader ``grade_id``. Before comparing, each answer is normalised: comments, blank lines and
layout are dropped, and every name the cell binds (arguments, assigned and loop variables,
functions and classes it defines) is renamed to a placeholder in order of first appearance, so
that renaming ``scores`` to ``s`` or reformatting changes nothing. Attributes, modules and
built-ins keep their names (``np.sum`` and ``np.max`` stay different). Answers equal to the
blank release's cell (nothing written) or shorter than ``min_tokens`` tokens beyond it are
skipped: short answers to small exercises are alike by nature.

Two answers are similar when the ratio of their token sequences (``difflib``) is at least
``threshold``; similar answers are grouped (transitively). This is a pointer for a human,
never evidence on its own, and it never changes a score.
"""

from __future__ import annotations

import ast
import csv
import difflib
import hashlib
import io
import json
import keyword
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SIMILAR_COLUMNS",
    "SimilarGroup",
    "answers",
    "find_similar",
    "normalise",
    "write_similar",
]

SIMILAR_COLUMNS = ["assignment", "cell", "students", "similarity"]
THRESHOLD = 0.9
MIN_TOKENS = 12


@dataclass(frozen=True)
class SimilarGroup:
    """Students whose answer to one cell are near-identical (``similarity``: the lowest ratio
    of the pairs that joined the group, 1.0 for identical normalised answers)."""

    assignment: str
    cell: str
    students: tuple[str, ...]
    similarity: float


def _bound_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def normalise(source: str) -> list[str]:
    """The tokens of ``source`` without comments or layout, bound names renamed to ``_0``,
    ``_1``... in order of first appearance. A cell that does not parse is compared as its
    whitespace-separated words."""
    try:
        bound = _bound_names(ast.parse(source))
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError, ValueError):
        return source.split()
    skip = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    out: list[str] = []
    renamed: dict[str, str] = {}
    previous = ""
    for tok in tokens:
        if tok.type in skip:
            continue
        text = tok.string
        if (
            tok.type == tokenize.NAME
            and text in bound
            and previous != "."
            and not keyword.iskeyword(text)
        ):
            text = renamed.setdefault(text, f"_{len(renamed)}")
        out.append(text)
        previous = tok.string
    return out


def answers(notebook: Path) -> dict[str, str]:
    """``{grade_id: source}`` of the solution cells of a notebook (empty when unreadable)."""
    try:
        nb = json.loads(notebook.read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("solution") and meta.get("grade_id") and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            out[meta["grade_id"]] = "".join(source) if isinstance(source, list) else source
    return out


def _ratio(a: list[str], b: list[str]) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < THRESHOLD or matcher.quick_ratio() < THRESHOLD:
        return matcher.quick_ratio()
    return matcher.ratio()


def find_similar(
    notebooks: dict[tuple[str, str], Path],
    blanks: dict[str, Path] | None = None,
    *,
    threshold: float = THRESHOLD,
    min_tokens: int = MIN_TOKENS,
) -> list[SimilarGroup]:
    """Groups of near-identical answers.

    Args:
        notebooks: ``{(student_id, assignment): notebook}`` (graded or submitted notebooks).
        blanks: ``{assignment: release notebook}``: answers equal to its cell are skipped.
        threshold: the lowest token-sequence ratio of two similar answers.
        min_tokens: answers with fewer tokens than the blank cell plus this are skipped.
    """
    blank_tokens: dict[tuple[str, str], list[str]] = {}
    for assignment, path in (blanks or {}).items():
        for cell, source in answers(path).items():
            blank_tokens[(assignment, cell)] = normalise(source)
    by_cell: dict[tuple[str, str], dict[str, list[str]]] = {}
    for (student, assignment), path in sorted(notebooks.items()):
        for cell, source in answers(path).items():
            tokens = normalise(source)
            blank = blank_tokens.get((assignment, cell), [])
            if tokens == blank or len(tokens) < len(blank) + min_tokens:
                continue
            by_cell.setdefault((assignment, cell), {})[student] = tokens
    groups: list[SimilarGroup] = []
    for (assignment, cell), by_student in sorted(by_cell.items()):
        groups += _group(assignment, cell, by_student, threshold)
    return groups


def _group(
    assignment: str, cell: str, by_student: dict[str, list[str]], threshold: float
) -> list[SimilarGroup]:
    # identical normalised answers first (cheap), then pairs of distinct answers
    same: dict[str, list[str]] = {}
    tokens_of: dict[str, list[str]] = {}
    for student, tokens in sorted(by_student.items()):
        digest = hashlib.sha256("\x00".join(tokens).encode()).hexdigest()
        same.setdefault(digest, []).append(student)
        tokens_of[digest] = tokens
    keys = sorted(same)
    parent = {k: k for k in keys}
    lowest = dict.fromkeys(keys, 1.0)

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            ratio = _ratio(tokens_of[a], tokens_of[b])
            if ratio >= threshold:
                ra, rb = root(a), root(b)
                low = min(lowest[ra], lowest[rb], ratio)
                parent[rb] = ra
                lowest[ra] = low
    members: dict[str, list[str]] = {}
    for k in keys:
        members.setdefault(root(k), []).extend(same[k])
    out = []
    for r, students in members.items():
        if len(students) > 1:
            out.append(SimilarGroup(assignment, cell, tuple(sorted(students)), lowest[r]))
    out.sort(key=lambda g: (-len(g.students), g.students))
    return out


def write_similar(groups: Iterable[SimilarGroup], path: Path) -> Path:
    """Write ``similar.csv``: one row per group, students separated by spaces."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SIMILAR_COLUMNS)
        for g in groups:
            w.writerow([g.assignment, g.cell, " ".join(g.students), f"{g.similarity:.3f}"])
    return path
