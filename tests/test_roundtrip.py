"""The instructor's round trip on a synthetic cohort: publish, intake, grade, report, export.

Thirty students of notebook 02 (cheap to grade) hand in through Canvas (a bulk download:
flat names, late markers, resubmissions, renamed files) and through Moodle (a folder per
participant, zipped): solutions, catalogued mutants, blank release notebooks, one malformed
notebook, and one roster student who hands in nothing. Each platform has its own roster that
maps its ids to the same student ids. The Canvas batch is graded (two workers); the Moodle batch
is graded in the same workspace, so each notebook (the same bytes for the same student) is
graded once and the Moodle intake must reach exactly the same rows. Then the report and every
export format are checked row by row against what was planted.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, completed_student_notebook

from autograder.course import Course
from autograder.export import export
from autograder.grade import grade
from autograder.mutants import load_catalogue, splice
from autograder.publish import publish, published_problems
from autograder.report import report

pytestmark = pytest.mark.slow

A = "02_similarity"
N_SOLUTION = 14
N_BLANK = 4
MUTANTS_PER_FUNCTION = 2  # 10 mutants over the five exercises


@dataclass
class Student:
    sid: str  # student id (the roster's)
    kind: str  # solution, blank, mutant:<name>, malformed, missing
    canvas_id: str
    moodle_id: str
    name: str
    late: bool = False
    canvas_name: str = f"{A}.ipynb"  # original file name as uploaded
    superseded: bool = False  # also handed in an older (blank) submission on Canvas


def _nb_bytes(nb: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(nb).encode()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory):
    course = Course(REPO)
    root = tmp_path_factory.mktemp("roundtrip")
    # the loop starts with publishing: students start from the published notebook
    public = root / "public"
    publish(course, public)
    assert published_problems(course, public) == []
    solution = completed_student_notebook(course, A)
    source = nbformat.read(str(course.source_notebook(A)), as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in source.cells}
    contents: dict[str, bytes] = {
        "solution": _nb_bytes(solution),
        "blank": (public / "notebooks" / A / f"{A}.ipynb").read_bytes(),
        "malformed": b'{"cells": [ this is not json',
    }
    mutants = {}
    per_function: dict[str, int] = {}
    for m in load_catalogue(course, A).mutants:
        if per_function.get(m.function, 0) >= MUTANTS_PER_FUNCTION:
            continue
        per_function[m.function] = per_function.get(m.function, 0) + 1
        nb = completed_student_notebook(course, A)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == m.function:
                cell.source = splice(by_id[m.function].source, m.source)
        contents[f"mutant:{m.name}"] = _nb_bytes(nb)
        mutants[m.name] = m

    kinds = (
        ["solution"] * N_SOLUTION
        + ["blank"] * N_BLANK
        + [f"mutant:{name}" for name in mutants]
        + ["malformed", "missing"]
    )
    students = []
    for i, kind in enumerate(kinds):
        students.append(
            Student(
                sid=f"s{i:03d}",
                kind=kind,
                canvas_id=str(5000 + i),
                moodle_id=str(910 + i),
                name=f"Student{i:03d} Test",
            )
        )
    assert len(students) >= 30
    # Canvas particulars: late markers, renamed files, a resubmission
    students[1].late = students[2].late = students[N_SOLUTION].late = True
    students[3].canvas_name = f"{A}-1.ipynb"
    students[4].canvas_name = f"{A} (1).ipynb"
    students[5].canvas_name = "02_Similarity_final.ipynb"
    students[6].superseded = True

    canvas_zip = root / "canvas.zip"
    with zipfile.ZipFile(canvas_zip, "w") as zf:
        for n, s in enumerate(students):
            if s.kind == "missing":
                continue
            lastfirst = s.name.split()[1].lower() + s.name.split()[0].lower()
            late = "LATE_" if s.late else ""
            sub = 70000 + n * 10
            zf.writestr(f"{lastfirst}_{late}{s.canvas_id}_{sub}_{s.canvas_name}", contents[s.kind])
            if s.superseded:
                zf.writestr(f"{lastfirst}_{s.canvas_id}_{sub - 5}_{A}.ipynb", contents["blank"])
        zf.writestr(f"teststudent_{students[0].canvas_id}_70001_notes.pdf", b"%PDF-1.4")
    moodle_zip = root / "moodle.zip"
    with zipfile.ZipFile(moodle_zip, "w") as zf:
        for s in students:
            if s.kind == "missing":
                continue
            folder = f"{s.name}_{s.moodle_id}_assignsubmission_file_"
            name = f"{A} (1).ipynb" if s.sid == "s003" else f"{A}.ipynb"
            zf.writestr(f"{folder}/{name}", contents[s.kind])
            if s.sid == "s007":
                zf.writestr(f"{folder}/scratch.ipynb", contents["blank"])
        zf.writestr(
            f"{students[0].name}_{students[0].moodle_id}_assignsubmission_onlinetext_/"
            "onlinetext.html",
            b"<p>see my notebook</p>",
        )

    canvas_roster = root / "canvas_roster.csv"
    with open(canvas_roster, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student_id", "name", "canvas_id", "sis_user_id", "sis_login_id", "section"])
        for s in students:
            w.writerow([s.sid, s.name, s.canvas_id, f"SIS{s.sid}", f"{s.sid}@uni", "L01"])
    moodle_roster = root / "moodle_roster.csv"
    with open(moodle_roster, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student_id", "Full name", "Identifier", "Email address", "ID number"])
        for s in students:
            w.writerow([s.sid, s.name, f"Participant {s.moodle_id}", f"{s.sid}@uni.edu", s.sid])

    started = time.monotonic()
    canvas_out = root / "canvas_out"
    grade(course, canvas_zip, canvas_out, workers=2, roster=canvas_roster)
    canvas_seconds = time.monotonic() - started
    moodle_out = root / "moodle_out"
    started = time.monotonic()
    grade(
        course,
        moodle_zip,
        moodle_out,
        workers=2,
        roster=moodle_roster,
        workspace=canvas_out / "workspace",
    )
    moodle_seconds = time.monotonic() - started
    print(f"graded the Canvas batch in {canvas_seconds:.1f} s, Moodle in {moodle_seconds:.1f} s")
    return {
        "course": course,
        "root": root,
        "students": students,
        "mutants": mutants,
        "canvas_out": canvas_out,
        "moodle_out": moodle_out,
        "canvas_roster": canvas_roster,
        "moodle_roster": moodle_roster,
    }


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def by_student(path: Path) -> dict[str, dict[str, str]]:
    return {r["student_id"]: r for r in rows(path)}


def test_every_student_gets_the_planted_grade_and_status(cohort) -> None:
    grades = by_student(cohort["canvas_out"] / "grades.csv")
    students = cohort["students"]
    assert sorted(grades) == [s.sid for s in students], "one row per roster student"
    full = {g["max_score"] for g in grades.values()}
    assert len(full) == 1
    full_score = full.pop()
    cells = rows(cohort["canvas_out"] / "cells.csv")
    for s in students:
        row = grades[s.sid]
        if s.kind == "solution":
            assert (row["score"], row["status"]) == (full_score, "ok"), s
        elif s.kind == "blank":
            assert (row["score"], row["status"]) == ("0", "ok"), s
        elif s.kind == "malformed":
            assert row["score"] == "0" and row["status"].startswith("malformed"), row
        elif s.kind == "missing":
            assert row["score"] == "0" and row["status"].startswith("missing"), row
        else:
            mutant = cohort["mutants"][s.kind.split(":", 1)[1]]
            assert row["status"] == "ok", row
            assert float(row["score"]) < float(full_score), (s, row)
            mine = {c["grade_id"]: c for c in cells if c["student_id"] == s.sid}
            for caught in mutant.catches:
                assert float(mine[caught]["score"]) < float(mine[caught]["max_score"]), (s, caught)


def test_the_moodle_export_reaches_exactly_the_same_grades(cohort) -> None:
    for name in ("grades.csv", "cells.csv"):
        assert (cohort["moodle_out"] / name).read_bytes() == (
            cohort["canvas_out"] / name
        ).read_bytes()


def test_canvas_intake_reports_late_renamed_superseded_and_stray_files(cohort) -> None:
    intake = rows(cohort["canvas_out"] / "intake.csv")
    students = {s.sid: s for s in cohort["students"]}
    graded = {r["student_id"]: r for r in intake if r["outcome"] == "graded"}
    assert sorted(graded) == sorted(s for s, st in students.items() if st.kind != "missing")
    for sid, r in graded.items():
        assert (r["late"] == "yes") == students[sid].late, r
    assert "renamed" in graded["s005"]["note"]
    assert graded["s003"]["note"] == graded["s004"]["note"] == ""
    superseded = [r for r in intake if r["outcome"] == "superseded"]
    assert [r["student_id"] for r in superseded] == ["s006"]
    assert int(superseded[0]["submission_id"]) < int(graded["s006"]["submission_id"])
    stray = [r for r in intake if r["outcome"] == "not a notebook"]
    assert [r["file"] for r in stray] == ["teststudent_5000_70001_notes.pdf"]
    missing = [r for r in intake if r["outcome"] == "missing"]
    assert [(r["student_id"], r["platform_id"]) for r in missing] == [
        (s.sid, s.canvas_id) for s in cohort["students"] if s.kind == "missing"
    ]
    late = by_student(cohort["canvas_out"] / "submissions.csv")
    assert {sid for sid, r in late.items() if r["late"] == "yes"} == {
        s.sid for s in cohort["students"] if s.late
    }


def test_moodle_intake_picks_the_named_notebook_and_reports_the_rest(cohort) -> None:
    intake = rows(cohort["moodle_out"] / "intake.csv")
    assert {r["layout"] for r in intake} == {"moodle"}
    extra = {r["file"]: r for r in intake if r["outcome"] not in ("graded", "missing")}
    assert sorted(extra) == [
        "Student000 Test_910_assignsubmission_onlinetext_/onlinetext.html",
        "Student007 Test_917_assignsubmission_file_/scratch.ipynb",
    ]
    assert extra["Student007 Test_917_assignsubmission_file_/scratch.ipynb"]["outcome"] in (
        "unrecognised",
        "superseded",
    )


def test_report_and_exports_mark_every_row_that_needs_a_human(cohort, tmp_path: Path) -> None:
    out = cohort["canvas_out"]
    students = cohort["students"]
    summary = report(out, tmp_path / "report", course=cohort["course"])
    page = summary.index.read_text()
    assert "<script" not in page.lower()
    assert len(summary.figures) >= 3 and all(p.is_file() for p in summary.figures)
    for s in students:
        if s.kind in ("malformed", "missing"):
            assert s.sid in page
    mistakes = rows(summary.mistakes)
    mutant_students = {s.sid for s in students if s.kind.startswith("mutant:")}
    blank_students = {s.sid for s in students if s.kind == "blank"}
    assert {m["student"] for m in mistakes} == mutant_students | blank_students
    similar = rows(summary.similar)
    solution_students = {s.sid for s in students if s.kind == "solution"}
    assert any(set(g["students"].split()) >= solution_students for g in similar), similar
    assert not any(set(g["students"].split()) & blank_students for g in similar)

    full = rows(out / "grades.csv")[0]["max_score"]
    canvas = export(out, "canvas", tmp_path / "canvas.csv", roster=cohort["canvas_roster"])
    table = list(csv.reader(io.StringIO(canvas.path.read_text())))
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert table[1][0].strip() == "Points Possible" and table[1][5] == full
    body = {r[1]: r for r in table[2:]}
    assert len(body) == len(students)
    for s in students:
        r = body[s.canvas_id]
        assert r[:5] == [s.name, s.canvas_id, f"SIS{s.sid}", f"{s.sid}@uni", "L01"]
        expected = {"solution": full, "blank": "0", "malformed": "", "missing": ""}
        if s.kind in expected:
            assert r[5] == expected[s.kind], (s, r)
        else:
            assert r[5] != "" and float(r[5]) < float(full), (s, r)
    review = rows(canvas.needs_review)
    assert sorted(r["student_id"] for r in review) == sorted(
        s.sid for s in students if s.kind in ("malformed", "missing")
    )

    moodle = export(
        cohort["moodle_out"], "moodle", tmp_path / "moodle.csv", roster=cohort["moodle_roster"]
    )
    mrows = {r["Email address"]: r for r in rows(moodle.path)}
    for s in students:
        r = mrows[f"{s.sid}@uni.edu"]
        if s.kind in ("malformed", "missing"):
            assert r[A] == r[f"{A} feedback"] == ""
        elif s.kind == "solution":
            assert r[A] == full and r[f"{A} feedback"].startswith(f"{full}/{full}")
        elif s.kind.startswith("mutant:"):
            assert "points lost on" in r[f"{A} feedback"]

    long = export(out, "long", tmp_path / "long.csv")
    lrows = by_student(long.path)
    for s in students:
        r = lrows[s.sid]
        held = s.kind in ("malformed", "missing")
        assert (r["needs_review"] == "yes") == held and (r["score"] == "") == held
        assert (r["late"] == "yes") == s.late


def test_the_guides_report_and_export_commands_run_on_the_cohort(cohort, tmp_path: Path) -> None:
    import subprocess
    import sys

    def run(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "autograder", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    out = str(cohort["canvas_out"])
    printed = run("report", "--out", str(tmp_path / "report"), out)
    assert (tmp_path / "report" / "index.html").is_file() and "need a human" in printed
    for fmt, roster in (("canvas", "canvas_roster"), ("moodle", "moodle_roster"), ("long", None)):
        extra = ["--roster", str(cohort[roster])] if roster else []
        dest = tmp_path / f"{fmt}.csv"
        printed = run("export", out, "--format", fmt, "--out", str(dest), *extra)
        assert dest.is_file() and "held back for a human" in printed
