"""Tests for autograder.preprocessors: what nbgrader's pipeline gets from the course.

The executing ``BudgetedExecute`` is exercised by the grading tests (test_adversarial: a
notebook of many slow cells, an ipywidgets Output, display updates, printed gigabytes); here the
cell-level preprocessors are checked on hand-made cells.
"""

from __future__ import annotations

import nbformat

from autograder.preprocessors import (
    KeepOnlyVerdictOutputs,
    ResetTestCellTags,
    _size,
)


def _test_cell(tags: list[str], outputs: list[dict]):
    cell = nbformat.v4.new_code_cell("assert double(2) == 4")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    cell.metadata["tags"] = tags
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def test_a_test_cell_loses_its_tags_and_a_student_cell_only_skip_execution():
    cell, _ = ResetTestCellTags().preprocess_cell(
        _test_cell(["skip-execution", "raises-exception", "demo"], []), {}, 0
    )
    assert "tags" not in cell.metadata
    mine = nbformat.v4.new_code_cell("x = 1")
    mine.metadata["tags"] = ["skip-execution", "demo"]
    mine, _ = ResetTestCellTags().preprocess_cell(mine, {}, 1)
    assert mine.metadata["tags"] == ["demo"]


def test_a_displayed_value_in_a_test_cell_is_never_partial_credit():
    from nbgrader.utils import determine_grade

    result = {"output_type": "execute_result", "execution_count": 1, "metadata": {}}
    outputs = [
        {**result, "data": {"text/plain": "1.0"}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "2"}},
        {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []},
    ]
    cell = _test_cell([], outputs)
    assert determine_grade(cell) == (1.0, 1.0), "nbgrader alone reads the value as credit"
    cell, _ = KeepOnlyVerdictOutputs().preprocess_cell(cell, {}, 0)
    assert [o.output_type for o in cell.outputs] == ["error"]
    assert determine_grade(cell) == (0, 1.0)


def test_output_size_counts_text_and_data():
    assert _size({"text": "abc"}) == 3
    assert _size({"data": {"text/plain": "ab", "image/png": "xyz"}}) == 5
