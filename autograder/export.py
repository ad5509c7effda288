"""``export``: grades of a graded batch in the format a learning platform imports.

Reads ``OUT/grades.csv`` (and ``cells.csv``, ``submissions.csv`` when present) written by
``grade``, and an optional roster (:class:`autograder.intake.Roster`) for names, e-mails and
platform ids. Formats:

``canvas``
    Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``, then one
    column per assignment, and a ``Points Possible`` line under the header, as Canvas's own
    gradebook export has. A column is named after the assignment (``02_similarity``), or as
    given with ``--column 02_similarity="Similarity (12345)"``: Canvas matches an existing
    assignment by ``Name (assignment id)`` and creates a new one for a name it does not know.
``moodle``
    Moodle's grade import (Grades > Import > CSV file): an identifier column (``Email address``
    or ``ID number``; map it to the same field in "Identify user by"), ``Full name``, then per
    assignment a grade column ``NN_name`` and a feedback column ``NN_name feedback`` (the score,
    the test cells that lost points and why, and a late note).
``long``
    One row per student and assignment: ``student_id, assignment, score, max_score, status,
    late, needs_review, auto_score``.

Rows that need a human (``status`` other than ``ok``: review, timeout, malformed, rejected,
crashed, missing, ambiguous) are never exported as grades: their grade cell is left blank
(Canvas and Moodle leave a blank cell's grade as it was) and they are listed, with the
automatic score and the reason, in ``needs_review.csv`` beside the exported file. A student
the platform cannot be told about (no e-mail in the roster for a Moodle export by e-mail) is
listed there too.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from autograder.course import CourseError
from autograder.intake import Roster, read_roster

__all__ = ["FORMATS", "ExportSummary", "export"]

FORMATS = ("canvas", "moodle", "long")
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
NEEDS_REVIEW_COLUMNS = ["student_id", "assignment", "auto_score", "max_score", "status", "late"]
LONG_COLUMNS = [
    "student_id",
    "assignment",
    "score",
    "max_score",
    "status",
    "late",
    "needs_review",
    "auto_score",
]


@dataclass
class ExportSummary:
    """What :func:`export` wrote."""

    path: Path
    needs_review: Path
    students: int
    grades: int  # grade cells filled in
    held_back: int  # rows listed in needs_review.csv


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def needs_human(status: str) -> bool:
    """Whether a row's status keeps its score out of an export."""
    return status != "ok"


def _feedback(row: dict[str, str], cells: list[dict[str, str]], late: bool) -> str:
    """A short, safe feedback text: the score and the test cells that lost points."""
    parts = [f"{row['score']}/{row['max_score']}"]
    lost = []
    for c in cells:
        try:
            missed = float(c["max_score"]) - float(c["score"])
        except (KeyError, ValueError):
            continue
        if missed > 0:
            why = (c.get("misconception") or "").strip()
            lost.append(f"{c['grade_id']} (-{missed:g}{': ' + why if why else ''})")
    if lost:
        parts.append("points lost on " + ", ".join(lost))
    if late:
        parts.append("submitted late")
    return "; ".join(parts)


def _parse_columns(columns: list[str] | None) -> dict[str, str]:
    out = {}
    for item in columns or []:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise CourseError(f"--column {item!r}: expected NN_name=HEADER")
        out[name.strip()] = header.strip()
    return out


def export(
    out: Path,
    fmt: str,
    dest: Path,
    *,
    roster: Path | None = None,
    identifier: str = "email",
    columns: list[str] | None = None,
) -> ExportSummary:
    """Write the grades of the graded folder ``out`` to ``dest`` in format ``fmt``.

    Args:
        out: the folder ``grade`` wrote (``grades.csv`` at least).
        fmt: ``canvas``, ``moodle`` or ``long``.
        dest: the file to write; ``needs_review.csv`` is written beside it.
        roster: roster CSV (names, e-mails, SIS ids, sections, platform ids).
        identifier: Moodle only: ``email`` or ``idnumber`` (the roster's id number, else the
            student id).
        columns: ``NN_name=HEADER`` items naming an assignment's column (Canvas, Moodle).

    Raises:
        CourseError: no grades.csv, an unknown format or identifier.
    """
    if fmt not in FORMATS:
        raise CourseError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if identifier not in ("email", "idnumber"):
        raise CourseError(f"unknown identifier {identifier!r}; choose email or idnumber")
    grades = _read(out / "grades.csv")
    if not (out / "grades.csv").is_file():
        raise CourseError(f"{out / 'grades.csv'} is missing: run python -m autograder grade first")
    cells = _read(out / "cells.csv")
    late = {
        (r["student_id"], r["assignment"]): r.get("late") == "yes"
        for r in _read(out / "submissions.csv")
    }
    people = read_roster(roster) if roster is not None else Roster()
    headers = _parse_columns(columns)
    cells_of: dict[tuple[str, str], list[dict[str, str]]] = {}
    for c in cells:
        cells_of.setdefault((c["student_id"], c["assignment"]), []).append(c)
    by_key = {(r["student_id"], r["assignment"]): r for r in grades}
    assignments = sorted({r["assignment"] for r in grades})
    students = sorted({r["student_id"] for r in grades} | set(people.students))
    review: list[list[str]] = []
    for r in grades:
        if needs_human(r["status"]):
            key = (r["student_id"], r["assignment"])
            review.append(
                [r["student_id"], r["assignment"], r["score"], r["max_score"], r["status"]]
                + ["yes" if late.get(key) else ""]
            )
    dest.parent.mkdir(parents=True, exist_ok=True)
    filled = 0
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        if fmt == "long":
            w.writerow(LONG_COLUMNS)
            for r in grades:
                key = (r["student_id"], r["assignment"])
                held = needs_human(r["status"])
                filled += not held
                w.writerow(
                    [r["student_id"], r["assignment"], "" if held else r["score"], r["max_score"]]
                    + [r["status"], "yes" if late.get(key) else "", "yes" if held else ""]
                    + [r["score"]]
                )
        elif fmt == "canvas":
            w.writerow(CANVAS_FIXED + [headers.get(a, a) for a in assignments])
            possible = {a: "" for a in assignments}
            for r in grades:
                possible[r["assignment"]] = possible[r["assignment"]] or r["max_score"]
            w.writerow(["    Points Possible", "", "", "", ""] + [possible[a] for a in assignments])
            for s in students:
                info = people.info(s)
                row = [
                    info.get("name") or s,
                    info.get("canvas_id") or info.get("platform_id") or s,
                    info.get("sis_user_id", ""),
                    info.get("sis_login_id", ""),
                    info.get("section", ""),
                ]
                for a in assignments:
                    g = by_key.get((s, a))
                    ok = g is not None and not needs_human(g["status"])
                    filled += ok
                    row.append(g["score"] if ok and g is not None else "")
                w.writerow(row)
        else:
            ident = "Email address" if identifier == "email" else "ID number"
            header = [ident, "Full name"]
            for a in assignments:
                name = headers.get(a, a)
                header += [name, f"{name} feedback"]
            w.writerow(header)
            for s in students:
                info = people.info(s)
                who = (
                    info.get("email", "") if identifier == "email" else (info.get("idnumber") or s)
                )
                if not who:
                    review += [
                        [s, a, g["score"], g["max_score"], "no e-mail in the roster: not exported"]
                        + ["yes" if late.get((s, a)) else ""]
                        for a in assignments
                        if (g := by_key.get((s, a))) is not None and not needs_human(g["status"])
                    ]
                    continue
                row = [who, info.get("name") or s]
                for a in assignments:
                    g = by_key.get((s, a))
                    if g is None or needs_human(g["status"]):
                        row += ["", ""]
                        continue
                    filled += 1
                    row += [
                        g["score"],
                        _feedback(g, cells_of.get((s, a), []), late.get((s, a), False)),
                    ]
                w.writerow(row)
    review_path = dest.parent / "needs_review.csv"
    with open(review_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(NEEDS_REVIEW_COLUMNS)
        w.writerows(sorted(review))
    return ExportSummary(dest, review_path, len(students), filled, len(review))
