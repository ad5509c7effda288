"""Tests for autograder.integrity: submissions with deleted, copied, retyped, renamed or edited
cells come back in a shape nbgrader grades, with a note of what was wrong."""

from __future__ import annotations

import nbformat
from conftest import tiny_notebook

from autograder.integrity import release_text, repair

TESTS = ["test_double_small", "test_double_hidden", "test_halve"]


def ids(nb) -> list[str | None]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def release():
    """The tiny notebook as students get it: hidden tests stripped from test cells."""
    nb = tiny_notebook()
    for c in nb.cells:
        c.source = release_text(c.source)
    return nb


def test_release_text_drops_the_hidden_block_only():
    text = "a = 1\n### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS\nb = 2"
    assert release_text(text) == "a = 1\nb = 2"
    assert release_text("plain") == "plain"


def test_an_untouched_submission_is_left_alone_with_no_notes():
    for submission in (release(), tiny_notebook()):
        fixed = repair(submission, tiny_notebook())
        assert (fixed.restored, fixed.tampered, fixed.wrong_notebook) == ([], [], False)
        assert fixed.status("01_tiny") == ""
        assert ids(fixed.notebook) == ids(tiny_notebook())


def test_a_deleted_test_cell_comes_back_in_its_place():
    submission = release()
    submission.cells = [c for c in submission.cells if "test_double_hidden" not in ids_of(c)]
    fixed = repair(submission, tiny_notebook())
    assert ids(fixed.notebook) == ids(tiny_notebook())
    assert fixed.restored == ["deleted test_double_hidden"]
    assert fixed.status("01_tiny") == "restored: deleted test_double_hidden"
    assert "BEGIN HIDDEN" not in cell(fixed.notebook, "test_double_hidden").source


def ids_of(c) -> list[str]:
    gid = c.metadata.get("nbgrader", {}).get("grade_id")
    return [gid] if gid else []


def test_a_deleted_answer_cell_comes_back_empty():
    submission = release()
    submission.cells = [c for c in submission.cells if "double" not in ids_of(c)]
    fixed = repair(submission, tiny_notebook())
    assert ids(fixed.notebook) == ids(tiny_notebook())
    assert cell(fixed.notebook, "double").source == ""
    assert fixed.restored == ["deleted answer cell double"]


def test_a_copied_test_cell_keeps_only_the_first_as_graded():
    submission = release()
    i = ids(submission).index("test_double_small")
    submission.cells.insert(i, nbformat.from_dict(submission.cells[i]))
    fixed = repair(submission, tiny_notebook())
    assert ids(fixed.notebook).count("test_double_small") == 1
    assert len(fixed.notebook.cells) == len(tiny_notebook().cells) + 1
    cell_ids = [c.get("id") for c in fixed.notebook.cells]
    assert len(set(cell_ids)) == len(cell_ids), "notebook cell ids are unique again"
    assert fixed.restored == ["duplicate test_double_small ignored"]


def test_a_test_cell_retyped_as_markdown_or_answer_is_restored_and_flagged():
    submission = release()
    cell(submission, "test_halve").cell_type = "markdown"
    meta = cell(submission, "test_double_small").metadata["nbgrader"]
    meta.update(grade=False, solution=True, locked=False)
    fixed = repair(submission, tiny_notebook())
    assert cell(fixed.notebook, "test_halve").cell_type == "code"
    assert cell(fixed.notebook, "test_double_small").metadata["nbgrader"]["grade"] is True
    assert sorted(fixed.tampered) == ["test_double_small retyped", "test_halve retyped"]


def test_an_edited_test_cell_is_flagged():
    submission = release()
    cell(submission, "test_double_small").source = "assert True"
    fixed = repair(submission, tiny_notebook())
    assert fixed.tampered == ["test_double_small edited"]
    assert fixed.status("x").startswith("tampering flagged: test_double_small edited")


def test_a_renamed_cell_id_loses_its_metadata_and_the_real_cell_returns():
    submission = release()
    cell(submission, "test_halve").metadata["nbgrader"]["grade_id"] = "free_points"
    fixed = repair(submission, tiny_notebook())
    assert "free_points" not in ids(fixed.notebook)
    assert ids(fixed.notebook).count("test_halve") == 1
    assert fixed.tampered == ["unknown cell id 'free_points'"]
    assert fixed.restored == ["deleted test_halve"]


def test_answers_in_solution_cells_are_kept_when_metadata_is_repaired():
    submission = release()
    answer = cell(submission, "double")
    answer.source = "def double(x):\n    return x + x"
    answer.metadata["nbgrader"]["points"] = 100
    fixed = repair(submission, tiny_notebook())
    restored = cell(fixed.notebook, "double")
    assert restored.source == "def double(x):\n    return x + x"
    assert "points" not in restored.metadata["nbgrader"] or not restored.metadata["nbgrader"].get(
        "points"
    )


def test_a_notebook_from_another_assignment_is_reported_as_wrong():
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_markdown_cell("# 02"), nbformat.v4.new_code_cell("x = 1")]
    fixed = repair(other, tiny_notebook())
    assert fixed.wrong_notebook
    assert fixed.status("01_tiny") == "wrong notebook: none of the cells of 01_tiny are in it"


def test_the_submission_itself_is_not_modified():
    submission = release()
    submission.cells = submission.cells[:3]
    before = nbformat.writes(submission)
    repair(submission, tiny_notebook())
    assert nbformat.writes(submission) == before
