"""``report``: the cohort at a glance, from a graded folder.

``python -m autograder report --out DIR [GRADED_OUT]`` reads what ``grade`` wrote in
``GRADED_OUT`` (default: ``DIR``): ``grades.csv``, ``cells.csv`` (with its ``misconception``
column where the grader diagnosed lost points), ``submissions.csv`` (grading time, late flags),
``intake.csv`` (files of the export that were not graded as they were), and the graded notebooks
of its workspace (for similar answers). It writes into ``DIR``:

- ``index.html``: a static page (no scripts) with figures beside it in ``figures/*.png``:
  the score distribution per assignment, the points lost per test cell, the most frequent
  misconceptions per test cell, the submissions that need a human and why, the grading time,
  the intake's problems and the similar answers;
- ``mistakes.csv``: ``student,assignment,exercise,misconception``, one row per test cell that
  lost points in a notebook that ran (``not diagnosed`` where the grader named no
  misconception);
- ``similar.csv``: see :mod:`autograder.similar`.
"""

from __future__ import annotations

import csv
import html
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.course import Course, CourseError
from autograder.intake import read_intake
from autograder.similar import SimilarGroup, find_similar, write_similar
from autograder.workspace import Workspace

__all__ = ["MISTAKES_COLUMNS", "NOT_DIAGNOSED", "ReportSummary", "report"]

MISTAKES_COLUMNS = ["student", "assignment", "exercise", "misconception"]
NOT_DIAGNOSED = "not diagnosed"
TOP_MISCONCEPTIONS = 3


@dataclass
class ReportSummary:
    index: Path
    mistakes: Path
    similar: Path
    figures: list[Path]
    needs_review: int
    similar_groups: int


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _ran(status: str) -> bool:
    """The notebook was executed and graded (its lost points are mistakes, not absences)."""
    return status == "ok" or status.startswith("review")


def _num(x: str) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return 0.0


def _save(fig: Any, path: Path) -> Path:
    """Write a figure as a PNG beside the page and free it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _figures(
    dest: Path,
    grades: list[dict[str, str]],
    cells: list[dict[str, str]],
    seconds: list[float],
) -> list[tuple[str, Path]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dest.mkdir(parents=True, exist_ok=True)
    out: list[tuple[str, Path]] = []
    assignments = sorted({g["assignment"] for g in grades})

    for a in assignments:
        rows = [g for g in grades if g["assignment"] == a]
        maximum = max(_num(g["max_score"]) for g in rows) or 1.0
        scores = [_num(g["score"]) for g in rows]
        fig, ax = plt.subplots(figsize=(6, 3.2))
        bins = min(20, max(4, int(maximum) + 1))
        ax.hist(scores, bins=bins, range=(0, maximum), color="#4c72b0", edgecolor="white")
        ax.set_xlabel(f"score (out of {maximum:g})")
        ax.set_ylabel("students")
        ax.set_title(f"{a}: score distribution ({len(rows)} students)")
        out.append((f"{a}: score distribution", _save(fig, dest / f"scores_{a}.png")))

        lost: dict[str, float] = defaultdict(float)
        for c in cells:
            if c["assignment"] == a:
                lost[c["grade_id"]] += _num(c["max_score"]) - _num(c["score"])
        if lost:
            names = sorted(lost)
            fig, ax = plt.subplots(figsize=(7, 0.35 * len(names) + 1.2))
            ax.barh(names, [lost[n] for n in names], color="#dd8452")
            ax.invert_yaxis()
            ax.set_xlabel("points lost, all students")
            ax.set_title(f"{a}: points lost per test cell")
            out.append((f"{a}: points lost per test cell", _save(fig, dest / f"lost_{a}.png")))

    if seconds:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.hist(seconds, bins=20, color="#55a868", edgecolor="white")
        ax.set_xlabel("seconds per notebook")
        ax.set_ylabel("notebooks")
        ax.set_title(f"grading time ({len(seconds)} notebooks, {sum(seconds):.0f} s in all)")
        out.append(("grading time", _save(fig, dest / "grading_time.png")))
    return out


def _table(header: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"<p class='empty'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }
th { background: #f0f0f0; } .empty { color: #666; font-style: italic; }
figure { display: inline-block; margin: 0.5em; } img { max-width: 100%; }
.summary td:nth-child(n+2) { text-align: right; }
"""


def report(
    graded: Path,
    dest: Path,
    *,
    workspace: Path | None = None,
    course: Course | None = None,
) -> ReportSummary:
    """Write the cohort report of the graded folder ``graded`` into ``dest``.

    Args:
        graded: the folder ``grade`` wrote.
        dest: where ``index.html``, ``figures/``, ``mistakes.csv`` and ``similar.csv`` go.
        workspace: the grading workspace (default ``graded/workspace``): its graded notebooks
            are compared for similar answers.
        course: the course, whose release notebooks tell which answers are blank.

    Raises:
        CourseError: ``graded`` has no grades.csv.
    """
    if not (graded / "grades.csv").is_file():
        raise CourseError(f"{graded / 'grades.csv'} is missing: run python -m autograder grade")
    grades = _read(graded / "grades.csv")
    cells = _read(graded / "cells.csv")
    subs = {(r["student_id"], r["assignment"]): r for r in _read(graded / "submissions.csv")}
    intake = read_intake(graded)
    status = {(g["student_id"], g["assignment"]): g["status"] for g in grades}
    dest.mkdir(parents=True, exist_ok=True)

    # mistakes: lost points of notebooks that ran
    mistakes = []
    for c in cells:
        key = (c["student_id"], c["assignment"])
        if _num(c["score"]) < _num(c["max_score"]) and _ran(status.get(key, "")):
            why = (c.get("misconception") or "").strip() or NOT_DIAGNOSED
            mistakes.append([c["student_id"], c["assignment"], c["grade_id"], why])
    mistakes.sort()
    mistakes_path = dest / "mistakes.csv"
    with open(mistakes_path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(MISTAKES_COLUMNS)
        w.writerows(mistakes)

    # similar answers, from the graded notebooks
    ws = Workspace(workspace or graded / "workspace")
    notebooks = {
        key: ws.autograded(*key)
        for key in status
        if _ran(status[key]) and ws.autograded(*key).is_file()
    }
    blanks = {}
    if course is not None:
        for a in {a for _, a in status}:
            if course.release_notebook(a).is_file():
                blanks[a] = course.release_notebook(a)
    groups: list[SimilarGroup] = find_similar(notebooks, blanks)
    similar_path = write_similar(groups, dest / "similar.csv")

    seconds = [_num(r.get("seconds", "")) for key, r in subs.items() if _ran(status.get(key, ""))]
    seconds = [s for s in seconds if s > 0]
    figures = _figures(dest / "figures", grades, cells, seconds)

    page = _page(grades, cells, subs, intake, mistakes, groups, figures, dest, seconds)
    index = dest / "index.html"
    index.write_text(page, encoding="utf-8")
    review = sum(g["status"] != "ok" for g in grades)
    return ReportSummary(
        index, mistakes_path, similar_path, [p for _, p in figures], review, len(groups)
    )


def _page(
    grades: list[dict[str, str]],
    cells: list[dict[str, str]],
    subs: dict[tuple[str, str], dict[str, str]],
    intake: list[dict[str, str]],
    mistakes: list[list[str]],
    groups: list[SimilarGroup],
    figures: list[tuple[str, Path]],
    dest: Path,
    seconds: list[float],
) -> str:
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"]
    parts.append("<meta http-equiv='Content-Security-Policy' content=\"script-src 'none'\">")
    parts.append(f"<title>Cohort report</title><style>{STYLE}</style></head><body>")
    parts.append("<h1>Cohort report</h1>")

    # summary per assignment
    rows = []
    for a in sorted({g["assignment"] for g in grades}):
        mine = [g for g in grades if g["assignment"] == a]
        ok = [g for g in mine if g["status"] == "ok"]
        mean = sum(_num(g["score"]) for g in ok) / len(ok) if ok else 0.0
        late = sum(subs.get((g["student_id"], a), {}).get("late") == "yes" for g in mine)
        rows.append(
            [a, str(len(mine)), str(len(ok)), str(len(mine) - len(ok)), str(late)]
            + [f"{mean:.2f} / {_num(mine[0]['max_score']):g}"]
        )
    parts.append("<h2>Summary</h2>")
    parts.append(
        _table(
            ["assignment", "students", "graded ok", "need a human", "late", "mean score (ok)"],
            rows,
            "no grades",
        ).replace("<table>", "<table class='summary'>", 1)
    )

    def figs(prefix: str) -> str:
        chosen = [(t, p) for t, p in figures if p.name.startswith(prefix)]
        return "".join(
            f"<figure><img src='{html.escape(p.relative_to(dest).as_posix())}' "
            f"alt='{html.escape(t)}'><figcaption>{html.escape(t)}</figcaption></figure>"
            for t, p in chosen
        )

    parts.append("<h2>Score distribution</h2>" + figs("scores_"))
    parts.append("<h2>Points lost per exercise</h2>" + figs("lost_"))
    lost_rows = []
    by_cell: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for c in cells:
        acc = by_cell[(c["assignment"], c["grade_id"])]
        acc[0] += _num(c["max_score"]) - _num(c["score"])
        acc[1] += _num(c["score"]) < _num(c["max_score"])
        acc[2] += 1
    for (a, cell), (lost, students, total) in sorted(by_cell.items()):
        lost_rows.append([a, cell, f"{lost:g}", f"{students:g} of {total:g}"])
    parts.append(
        _table(["assignment", "test cell", "points lost", "students who lost points"], lost_rows,
               "no test cells")
    )  # fmt: skip

    # misconceptions
    counted: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for _student, a, cell, why in mistakes:
        counted[(a, cell)][why] += 1
    mis_rows = []
    for (a, cell), counter in sorted(counted.items()):
        for why, n in counter.most_common(TOP_MISCONCEPTIONS):
            mis_rows.append([a, cell, why, str(n)])
    parts.append("<h2>Most frequent misconceptions</h2>")
    parts.append(
        "<p>Per test cell, the misconceptions the grader recognised in the notebooks that lost "
        f"points there (<em>{NOT_DIAGNOSED}</em> where it named none); every row is in "
        "<code>mistakes.csv</code>.</p>"
    )
    parts.append(_table(["assignment", "test cell", "misconception", "students"], mis_rows,
                        "no points lost in any notebook that ran"))  # fmt: skip

    # needs review
    review = [
        [g["student_id"], g["assignment"], g["score"], g["max_score"], g["status"]]
        for g in grades
        if g["status"] != "ok"
    ]
    parts.append(f"<h2>Submissions that need a human ({len(review)})</h2>")
    parts.append(
        _table(["student", "assignment", "auto score", "max", "why (status)"], review,
               "every submission was graded with status ok")
    )  # fmt: skip
    problems = [
        [r["file"] or "(none)", r["student_id"], r["assignment"], r["outcome"], r["note"]]
        for r in intake
        if r["outcome"] != "graded" or r["note"]
    ]
    parts.append(f"<h2>Intake: files not graded as they were ({len(problems)})</h2>")
    parts.append(
        _table(["file", "student", "assignment", "outcome", "note"], problems,
               "every file of the export was graded as it was")
    )  # fmt: skip

    parts.append("<h2>Grading time</h2>")
    if seconds:
        ordered = sorted(seconds)
        median = ordered[len(ordered) // 2]
        parts.append(
            f"<p>{len(seconds)} notebooks, {sum(seconds):.1f} s of grading in all; median "
            f"{median:.1f} s, slowest {ordered[-1]:.1f} s.</p>"
        )
    else:
        parts.append("<p class='empty'>no grading times recorded</p>")
    parts.append(figs("grading_time"))

    parts.append(f"<h2>Similar answers ({len(groups)})</h2>")
    parts.append(
        "<p>Answer cells that are near-identical after renaming variables and dropping comments "
        "and layout: for a human to look at. This never changes a score; answers left blank "
        "and very short answers are not compared.</p>"
    )
    parts.append(
        _table(["assignment", "cell", "students", "similarity"],
               [[g.assignment, g.cell, " ".join(g.students), f"{g.similarity:.2f}"]
                for g in groups],
               "no near-identical answers")
    )  # fmt: skip
    parts.append("</body></html>\n")
    return "\n".join(parts)
