"""Tests for ``autograder.report``: the cohort page, mistakes.csv, and the page in a browser."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, solution_cell

from autograder.report import NOT_DIAGNOSED, report
from autograder.workspace import Workspace

A = "02_similarity"
ANSWER = """def f(a, b):
    total = 0.0
    for i in range(len(a)):
        total += a[i] * b[i]
    return total / (len(a) or 1) + sum(abs(v) for v in b) * 0.0
"""


def graded(root: Path, *, diagnosed: bool) -> Path:
    out = root / "out"
    out.mkdir()
    (out / "grades.csv").write_text(
        "student_id,assignment,score,max_score,status\n"
        f"s1,{A},4,4,ok\n"
        f"s2,{A},2,4,ok\n"
        f"s3,{A},0,4,malformed: not a notebook (invalid JSON)\n"
        f"s4,{A},3,4,review: monkeypatched <script>alert(1)</script>\n"
    )
    head = "student_id,assignment,grade_id,score,max_score" + (
        ",misconception" if diagnosed else ""
    )
    lines = [head]
    for s, t1, t2, why in [
        ("s1", 2, 2, ""),
        ("s2", 0, 2, "sums over the wrong axis"),
        ("s3", 0, 0, ""),
        ("s4", 1, 2, ""),
    ]:
        lines.append(f"{s},{A},test_values,{t1},2" + (f",{why}" if diagnosed else ""))
        lines.append(f"{s},{A},test_shape,{t2},2" + ("," if diagnosed else ""))
    (out / "cells.csv").write_text("\n".join(lines) + "\n")
    (out / "submissions.csv").write_text(
        "student_id,assignment,status,late,seconds,file\n"
        f"s1,{A},ok,,2.5,a\ns2,{A},ok,yes,3.0,b\ns3,{A},malformed,,0.1,c\ns4,{A},review,,2.0,d\n"
    )
    (out / "intake.csv").write_text(
        "file,layout,student_id,assignment,platform_id,submission_id,late,outcome,note\n"
        "stray.pdf,canvas,,,,,,not a notebook,not a notebook\n"
    )
    ws = Workspace(out / "workspace")
    for s in ("s1", "s4"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [solution_cell("f", ANSWER)]
        path = ws.autograded(s, A)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_report_writes_figures_mistakes_and_an_inert_page(tmp_path: Path) -> None:
    out = graded(tmp_path, diagnosed=True)
    summary = report(out, tmp_path / "report")
    page = summary.index.read_text()
    assert "<script" not in page, "student-controlled text is escaped"
    assert "&lt;script&gt;" in page
    assert {p.name for p in summary.figures} == {
        f"scores_{A}.png",
        f"lost_{A}.png",
        "grading_time.png",
    }
    for p in summary.figures:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"figures/{p.name}" in page
    assert rows(summary.mistakes) == [
        {
            "student": "s2",
            "assignment": A,
            "exercise": "test_values",
            "misconception": "sums over the wrong axis",
        },
        {
            "student": "s4",
            "assignment": A,
            "exercise": "test_values",
            "misconception": NOT_DIAGNOSED,
        },
    ], "only notebooks that ran have mistakes; malformed ones need a human instead"
    assert "sums over the wrong axis" in page
    assert "malformed: not a notebook" in page and "stray.pdf" in page
    assert summary.needs_review == 2
    assert rows(summary.similar) == [
        {"assignment": A, "cell": "f", "students": "s1 s4", "similarity": "1.000"}
    ]


def test_without_a_misconception_column_every_mistake_is_not_diagnosed(tmp_path: Path) -> None:
    summary = report(graded(tmp_path, diagnosed=False), tmp_path / "report")
    assert {r["misconception"] for r in rows(summary.mistakes)} == {NOT_DIAGNOSED}
    assert NOT_DIAGNOSED in summary.index.read_text()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is missing")
def test_the_report_renders_in_headless_chromium_with_its_figures(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing")
    summary = report(graded(tmp_path, diagnosed=True), tmp_path / "report")
    shot = tmp_path / "report-screenshot.png"
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1200, "height": 900},
        )
        try:
            page = context.new_page()
            page.goto(summary.index.as_uri())
            assert page.title() == "Cohort report"
            loaded = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
            )
            assert loaded and all(loaded), "every figure loads"
            assert page.locator("h2", has_text="need a human").count() == 1
            page.screenshot(path=str(shot), full_page=True)
        finally:
            context.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if (REPO / "docs").is_dir():
        shutil.copy(shot, REPO / "docs" / "report-screenshot.png")
