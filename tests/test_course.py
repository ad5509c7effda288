"""The course layout (autograder/course.py): discovery of the notebooks and clear errors."""

from __future__ import annotations

import pytest

from autograder.course import Course, CourseError, find_course


def test_course_errors_are_clear(tmp_path, tiny_course):
    with pytest.raises(CourseError, match="no solutions/ folder"):
        Course(tmp_path).assignments()
    with pytest.raises(CourseError, match="unknown assignment"):
        tiny_course.resolve_assignments(["99_nope"])
    assert find_course(tiny_course.root / "solutions").root == tiny_course.root


def test_a_notebook_is_found_by_its_ipynb_or_its_py_and_unsynced_names_the_py_only(tmp_path):
    root = tmp_path / "course"
    for name, files in {
        "01_both": ["01_both.ipynb", "01_both.py"],
        "02_ipynb": ["02_ipynb.ipynb"],
        "03_py": ["03_py.py"],
        "04_neither": ["notes.md"],
        "not_a_notebook": ["not_a_notebook.py"],
    }.items():
        (root / "solutions" / name).mkdir(parents=True)
        for file in files:
            (root / "solutions" / name / file).write_text("")
    course = Course(root)
    assert course.assignments() == ["01_both", "02_ipynb", "03_py"]
    assert course.resolve_assignments(["03_py"]) == ["03_py"]
    assert course.unsynced(course.assignments()) == ["03_py"]
