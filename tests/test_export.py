"""Tests for ``autograder.export``: Canvas, Moodle and long CSVs from a graded folder."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from autograder.course import CourseError
from autograder.export import CANVAS_FIXED, export

A, B = "02_similarity", "03_attention"


def graded(root: Path) -> Path:
    out = root / "out"
    out.mkdir()
    (out / "grades.csv").write_text(
        "student_id,assignment,score,max_score,status\n"
        f"s1,{A},10,10,ok\n"
        f"s1,{B},6,8,ok\n"
        f"s2,{A},4,10,review: monkeypatched builtins.abs (line 3)\n"
        f"s2,{B},0,8,malformed: not a notebook (invalid JSON)\n"
        f"s3,{A},0,10,missing: no notebook handed in\n"
    )
    (out / "cells.csv").write_text(
        "student_id,assignment,grade_id,score,max_score,misconception\n"
        f"s1,{A},test_a,10,10,\n"
        f"s1,{B},test_weights,2,4,softmax over the wrong axis\n"
        f"s1,{B},test_context,4,4,\n"
    )
    (out / "submissions.csv").write_text(
        f"student_id,assignment,status,late,seconds,file\ns1,{B},ok,yes,2.10,x.ipynb\n"
    )
    return out


ROSTER = (
    "student_id,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber\n"
    's1,"Doe, Jane",101,SIS1,jdoe,L01,jane@uni.edu,N1\n'
    's2,"Roe, Bob",102,SIS2,broe,L02,bob@uni.edu,N2\n'
    's3,"Lee, Ann",103,SIS3,alee,L01,,N3\n'
    's4,"Kim, Kai",104,SIS4,kkim,L01,kai@uni.edu,N4\n'
)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return graded(tmp_path)


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


def test_canvas_gradebook_has_the_fixed_columns_points_possible_and_blank_review_cells(
    out: Path, roster: Path, tmp_path: Path
) -> None:
    done = export(out, "canvas", tmp_path / "canvas.csv", roster=roster, columns=[f"{A}=Sim (77)"])
    rows = table(done.path)
    assert rows[0] == CANVAS_FIXED + ["Sim (77)", B]
    assert rows[1] == ["    Points Possible", "", "", "", "", "10", "8"]
    assert rows[2:] == [
        ["Doe, Jane", "101", "SIS1", "jdoe", "L01", "10", "6"],
        ["Roe, Bob", "102", "SIS2", "broe", "L02", "", ""],
        ["Lee, Ann", "103", "SIS3", "alee", "L01", "", ""],
        ["Kim, Kai", "104", "SIS4", "kkim", "L01", "", ""],
    ]
    review = table(done.needs_review)
    assert review[0] == ["student_id", "assignment", "auto_score", "max_score", "status", "late"]
    assert [(r[0], r[1], r[2]) for r in review[1:]] == [
        ("s2", A, "4"),
        ("s2", B, "0"),
        ("s3", A, "0"),
    ]
    assert (done.students, done.grades, done.held_back) == (4, 2, 3)


def test_moodle_import_identifies_by_email_with_feedback_and_holds_back_no_email(
    out: Path, roster: Path, tmp_path: Path
) -> None:
    done = export(out, "moodle", tmp_path / "moodle.csv", roster=roster)
    rows = table(done.path)
    assert rows[0] == ["Email address", "Full name", A, f"{A} feedback", B, f"{B} feedback"]
    jane = rows[1]
    assert jane[:3] == ["jane@uni.edu", "Doe, Jane", "10"]
    assert jane[4] == "6"
    assert "test_weights (-2: softmax over the wrong axis)" in jane[5]
    assert "late" in jane[5]
    bob = rows[2]
    assert bob[2:] == ["", "", "", ""]
    assert "s3" not in done.path.read_text() and "Lee" not in done.path.read_text()
    by_id = export(out, "moodle", tmp_path / "m2.csv", roster=roster, identifier="idnumber")
    assert table(by_id.path)[0][0] == "ID number"
    assert [r[0] for r in table(by_id.path)[1:]] == ["N1", "N2", "N3", "N4"]


def test_long_csv_keeps_the_automatic_score_but_marks_rows_that_need_a_human(
    out: Path, tmp_path: Path
) -> None:
    done = export(out, "long", tmp_path / "long.csv")
    rows = list(csv.DictReader(io.StringIO(done.path.read_text())))
    by_key = {(r["student_id"], r["assignment"]): r for r in rows}
    assert by_key[("s1", B)]["score"] == "6" and by_key[("s1", B)]["late"] == "yes"
    held = by_key[("s2", A)]
    assert (held["score"], held["auto_score"], held["needs_review"]) == ("", "4", "yes")
    assert by_key[("s1", A)]["needs_review"] == ""


def test_export_refuses_a_folder_without_grades_and_bad_options(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match="grades.csv"):
        export(tmp_path, "long", tmp_path / "x.csv")
    out = graded(tmp_path)
    with pytest.raises(CourseError, match="format"):
        export(out, "excel", tmp_path / "x.csv")
    with pytest.raises(CourseError, match="HEADER"):
        export(out, "canvas", tmp_path / "x.csv", columns=["02_similarity"])
