"""Tests for ``autograder.intake``: what each platform's export becomes, file by file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from autograder.course import CourseError
from autograder.intake import assignment_of, collect, extract_zip, read_roster

A = ["01_rnn_limits", "02_similarity", "03_attention"]


def files(root: Path, names: list[str], content: str = "{}") -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def outcomes(intake) -> dict[str, tuple[str, str]]:
    return {r.file: (r.outcome, r.student_id) for r in intake.rows}


@pytest.mark.parametrize(
    ("name", "expected", "renamed"),
    [
        ("02_similarity.ipynb", "02_similarity", False),
        ("02_similarity-1.ipynb", "02_similarity", False),
        ("02_similarity-12.ipynb", "02_similarity", False),
        ("02_similarity (1).ipynb", "02_similarity", False),
        ("02_similarity(2).ipynb", "02_similarity", False),
        ("02_similarity copy.ipynb", "02_similarity", False),
        ("02-Similarity.ipynb", "02_similarity", False),
        ("02_similarity_final.ipynb", "02_similarity", True),
        ("02-sim.ipynb", "02_similarity", True),
        ("homework.ipynb", None, False),
        ("similarity.ipynb", None, False),
    ],
)
def test_a_file_name_maps_to_its_assignment_after_resubmission_suffixes(
    name: str, expected: str | None, renamed: bool
) -> None:
    assignment, note = assignment_of(name, A)
    assert assignment == expected
    assert ("renamed" in note) == renamed
    if expected is None:
        assert name in note


def test_canvas_download_keeps_the_newest_submission_and_the_late_flag(tmp_path: Path) -> None:
    root = files(
        tmp_path,
        [
            "doejane_123_900_02_similarity.ipynb",
            "doejane_123_950_02_similarity-1.ipynb",
            "roebob_LATE_124_901_02_similarity (1).ipynb",
            "roebob_124_902_homework.ipynb",
            "roebob_124_901_notes.pdf",
            "readme.txt",
        ],
    )
    intake = collect(root, A)
    assert intake.layout == "canvas"
    subs = {s.student_id: s for s in intake.submissions}
    assert sorted(subs) == ["123", "124"]
    assert subs["123"].file == "doejane_123_950_02_similarity-1.ipynb" and not subs["123"].late
    assert subs["124"].late and subs["124"].assignment == "02_similarity"
    seen = outcomes(intake)
    assert seen["doejane_123_900_02_similarity.ipynb"] == ("superseded", "123")
    assert seen["roebob_124_902_homework.ipynb"][0] == "unrecognised"
    assert seen["roebob_124_901_notes.pdf"][0] == "not a notebook"
    assert seen["readme.txt"][0] == "not a notebook"
    assert len(intake.rows) == 6, "every file is reported"


def test_moodle_folders_map_participants_and_report_other_files(tmp_path: Path) -> None:
    root = files(
        tmp_path,
        [
            "Jane Doe_4411_assignsubmission_file_/02_similarity.ipynb",
            "Jane Doe_4411_assignsubmission_file_/scratch.ipynb",
            "Bob Roe_4412_assignsubmission_file_/02_similarity (1).ipynb",
            "Bob Roe_4412_assignsubmission_onlinetext_/onlinetext.html",
            "Ann Flat_4413_assignsubmission_file_02_similarity.ipynb",
        ],
    )
    intake = collect(root, A)
    assert intake.layout == "moodle"
    assert [(s.student_id, s.assignment) for s in intake.submissions] == [
        ("4411", "02_similarity"),
        ("4412", "02_similarity"),
        ("4413", "02_similarity"),
    ]
    seen = outcomes(intake)
    assert seen["Jane Doe_4411_assignsubmission_file_/scratch.ipynb"][0] == "unrecognised"
    assert seen["Bob Roe_4412_assignsubmission_onlinetext_/onlinetext.html"][0] == "not a notebook"


def test_a_zipped_moodle_download_under_one_folder_is_unwrapped(tmp_path: Path) -> None:
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "Course-Assignment-123/Jane Doe_4411_assignsubmission_file_/02_similarity.ipynb", "{}"
        )
    folder = extract_zip(archive, tmp_path / "x")
    assert folder.name == "Course-Assignment-123"
    assert [s.student_id for s in collect(folder, A).submissions] == ["4411"]


def test_nbgrader_submitted_and_exchange_layouts(tmp_path: Path) -> None:
    root = files(
        tmp_path / "a",
        [
            "submitted/alice/02_similarity/02_similarity.ipynb",
            "submitted/alice/02_similarity/timestamp.txt",
            "submitted/bob/02_similarity/mine.ipynb",
        ],
    )
    intake = collect(root, A)
    assert intake.layout == "nbgrader"
    assert [(s.student_id, Path(s.file).name) for s in intake.submissions] == [
        ("alice", "02_similarity.ipynb"),
        ("bob", "mine.ipynb"),
    ]
    assert all(r.outcome == "graded" for r in intake.rows)
    inbound = files(
        tmp_path / "b",
        [
            "inbound/alice+02_similarity+2024-03-01 10:00:00.000000 UTC/02_similarity.ipynb",
            "inbound/alice+02_similarity+2024-03-02 09:00:00.000000 UTC/02_similarity.ipynb",
        ],
    )
    intake = collect(inbound, A)
    assert intake.layout == "nbgrader"
    (sub,) = intake.submissions
    assert "2024-03-02" in sub.file
    assert [r.outcome for r in intake.rows].count("superseded") == 1


def test_our_layout_grades_the_exactly_named_notebook_and_flags_ambiguity(tmp_path: Path) -> None:
    root = files(
        tmp_path,
        [
            "alice/02_similarity/02_similarity.ipynb",
            "alice/02_similarity/draft.ipynb",
            "bob/02_similarity/a.ipynb",
            "bob/02_similarity/b.ipynb",
        ],
    )
    intake = collect(root, A, explicit=True)
    assert intake.layout == "ours"
    subs = {(s.student_id, s.assignment): s for s in intake.submissions}
    assert subs[("alice", "02_similarity")].path is not None
    assert subs[("bob", "02_similarity")].path is None
    assert subs[("bob", "02_similarity")].problem.startswith("ambiguous")
    assert subs[("alice", "01_rnn_limits")].problem.startswith("missing")


def test_our_layout_rejects_an_unsafe_student_folder(tmp_path: Path) -> None:
    files(tmp_path, ["bad name!/02_similarity/02_similarity.ipynb"])
    with pytest.raises(CourseError, match="not allowed"):
        collect(tmp_path, A, layout="ours")


def test_a_pattern_names_student_assignment_late_and_order(tmp_path: Path) -> None:
    root = files(
        tmp_path,
        [
            "hw-alice-02_similarity-v1.ipynb",
            "hw-alice-02_similarity-v2-late.ipynb",
            "hw-bob-02_similarity-v1.ipynb",
            "other.ipynb",
        ],
    )
    pattern = r"hw-(?P<student>[a-z]+)-(?P<assignment>\d\d_[a-z]+)-v(?P<order>\d+)(?P<late>-late)?"
    intake = collect(root, A, pattern=pattern)
    assert intake.layout == "pattern"
    subs = {s.student_id: s for s in intake.submissions}
    assert subs["alice"].file == "hw-alice-02_similarity-v2-late.ipynb" and subs["alice"].late
    assert not subs["bob"].late
    assert outcomes(intake)["other.ipynb"][0] == "unrecognised"
    with pytest.raises(CourseError, match="student"):
        collect(root, A, pattern=r"(?P<assignment>\d\d_[a-z]+)")


def test_a_roster_maps_platform_ids_and_lists_who_handed_in_nothing(tmp_path: Path) -> None:
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text(
        "student_id,name,canvas_id,email\n"
        "s1,Jane Doe,123,jane@uni.edu\n"
        "s2,Bob Roe,124,bob@uni.edu\n"
        "s3,Ann Lee,125,ann@uni.edu\n"
    )
    root = files(
        tmp_path / "dl",
        ["doejane_123_900_02_similarity.ipynb", "stranger_999_901_02_similarity.ipynb"],
    )
    roster = read_roster(roster_csv)
    intake = collect(root, A, roster=roster)
    subs = {s.student_id: s for s in intake.submissions}
    assert subs["s1"].path is not None
    assert subs["s2"].path is None and subs["s3"].path is None
    assert subs["999"].path is not None, "a student missing from the roster is still graded"
    notes = {r.student_id: (r.outcome, r.note, r.platform_id) for r in intake.rows}
    assert notes["999"][1] == "not in the roster"
    assert notes["s2"] == ("missing", "no notebook handed in", "124")


def test_a_canvas_gradebook_export_is_a_roster(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.csv"
    path.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,HW 1 (4411)\n"
        "    Points Possible,,,,,10\n"
        '"Doe, Jane",123,S001,jdoe,L01,7\n'
    )
    roster = read_roster(path)
    assert roster.student_of("123") == "S001"
    assert roster.info("S001")["name"] == "Doe, Jane"
    assert roster.info("S001")["sis_login_id"] == "jdoe"


def test_a_roster_with_a_duplicate_or_unsafe_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("student_id,canvas_id\ns1,1\ns1,2\n")
    with pytest.raises(CourseError, match="twice"):
        read_roster(path)
    path.write_text("student_id\nbad id\n")
    with pytest.raises(CourseError, match="not allowed"):
        read_roster(path)


@pytest.mark.parametrize("name", ["../evil.ipynb", "/abs.ipynb", "C:/x.ipynb"])
def test_unsafe_zip_entries_are_rejected(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("doejane_1_2_02_similarity.ipynb", "{}")
        zf.writestr(name, "{}")
    with pytest.raises(CourseError, match="unsafe"):
        extract_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_link_is_reported_and_never_read(tmp_path: Path) -> None:
    root = files(tmp_path / "a", ["alice/02_similarity/02_similarity.ipynb"])
    secret = tmp_path / "instructor_secret.ipynb"
    secret.write_text('{"the gradebook": "hidden tests"}')
    (root / "mallory" / "02_similarity").mkdir(parents=True)
    (root / "mallory" / "02_similarity" / "02_similarity.ipynb").symlink_to(secret)
    (root / "eve").symlink_to(root / "alice", target_is_directory=True)
    intake = collect(root, A, layout="ours")
    assert [s.student_id for s in intake.submissions if s.path is not None] == ["alice"]
    linked = [r for r in intake.rows if "link" in r.note]
    assert {r.file for r in linked} == {"mallory/02_similarity/02_similarity.ipynb", "eve"}
