"""The committed release (notebooks/) against its sources (solutions/): every assignment has
one, its exercises are stubs that keep their signatures, its test cells follow the conventions,
and the sources are committed without outputs. The checks that build and compare it are tested
in test_check.py, test_build.py and test_pairs.py."""

from __future__ import annotations

import nbformat


def test_every_assignment_has_a_committed_release(course):
    assert course.assignments(), "no assignments found"
    for a in course.assignments():
        assert course.release_notebook(a).is_file(), a


def test_release_stubs_every_exercise_and_keeps_signatures(course):
    for a in course.assignments():
        source = nbformat.read(str(course.source_notebook(a)), as_version=4)
        release = nbformat.read(str(course.release_notebook(a)), as_version=4)
        src_cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in source.cells}
        for cell in release.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("solution"):
                continue
            assert "raise NotImplementedError()" in cell.source, meta["grade_id"]
            first_line = src_cells[meta["grade_id"]].source.splitlines()[0]
            assert cell.source.splitlines()[0] == first_line  # the signature stays


def test_test_cells_have_docstrings_and_hidden_tests_where_points_are_two(course):
    for a in course.assignments():
        for cell in nbformat.read(str(course.source_notebook(a)), as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                assert cell.source.startswith('"""'), meta["grade_id"]
                assert meta["grade_id"].startswith("test_"), meta["grade_id"]
                assert "BEGIN HIDDEN TESTS" in cell.source, f"{meta['grade_id']} has no hidden test"


def test_solution_notebooks_are_committed_without_outputs(course):
    for a in course.assignments():
        nb = nbformat.read(str(course.source_notebook(a)), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None
