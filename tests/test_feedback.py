"""Tests for autograder.feedback: pages that teach without leaking a hidden test.

The graded batch (the session's ``batch`` fixture, see test_grade.make_batch) gives real pages;
``feedback_notebook`` is also checked on hand-made graded notebooks, which need no grading.
"""

from __future__ import annotations

import html
import json

import nbformat
import pytest
from test_grade import EXPECTED_CELLS, Batch

from autograder.feedback import feedback_notebook

# The tiny course's test cells, in notebook order (alphabetically test_halve would not be last).
EXPECTED_ORDER = ["test_double_small", "test_double_hidden", "test_halve"]


def _code(source: str, outputs: list, grade_id: str | None = None, test: bool = False):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "grade": test, "solution": not test}
    return cell


def _notebooks():
    """A source notebook with one test cell, and a graded copy full of hostile outputs."""
    source = nbformat.v4.new_notebook()
    test_source = (
        '"""double."""\nassert double(2) == 4\n'
        "### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n### END HIDDEN TESTS"
    )
    source.cells = [_code("def double(x): ...", [], "double"), _code(test_source, [], "t", True)]
    graded = nbformat.from_dict(source)
    graded.metadata["widgets"] = {"state": {"secret": "LEAKED-3"}}
    graded.cells[0].outputs = [
        nbformat.from_dict(o)
        for o in [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"text/html": "<script>alert(1)</script>", "text/plain": "shown as text"},
            },
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"application/javascript": "alert(2)"},
            },
            {"output_type": "error", "ename": "LEAKED3", "evalue": "x", "traceback": ["tb"]},
        ]
    ]
    graded.cells[1].outputs = [
        nbformat.from_dict(
            {
                "output_type": "error",
                "ename": "LEAKED_NAME",
                "evalue": "expected -6",
                "traceback": ["Cell In[3], line 4", "assert double(-3) == -6"],
            }
        )
    ]
    graded.cells.append(nbformat.v4.new_markdown_cell("<img src=x onerror=alert(3)>"))
    return graded, source


def test_feedback_notebook_keeps_nothing_active_or_hidden():
    graded, source = _notebooks()
    nb = feedback_notebook(graded, source)
    text = json.dumps(nb)
    assert "widgets" not in nb.metadata
    assert "<script>" not in text and "application/javascript" not in text
    assert "shown as text" in text, "plain text outputs stay"
    assert "<img" not in text and "&lt;img" in text, "markdown HTML is shown as text"
    assert "double(-3)" not in text and "expected -6" not in text
    assert "LEAKED" not in text, "a made-up exception name is not repeated"
    assert "A hidden test failed (an error in your code)." in text


@pytest.fixture(scope="module")
def feedback(batch: Batch) -> dict[str, str]:
    from autograder.feedback import write_feedback

    written = write_feedback(batch.out)
    return {p.parent.name: p.read_text() for p in written}


@pytest.mark.slow
def test_feedback_is_written_for_every_graded_student(batch: Batch, feedback: dict[str, str]):
    assert set(feedback) == set(EXPECTED_CELLS)
    assert "Score: 1 / 4" in feedback["triple"]


@pytest.mark.slow
def test_feedback_never_shows_hidden_test_code(feedback: dict[str, str]):
    for student, page in feedback.items():
        assert "double(-3)" not in page, student
        assert "HIDDEN TESTS" not in page, student


@pytest.mark.slow
def test_feedback_says_a_hidden_test_failed_without_saying_which(feedback: dict[str, str]):
    page = feedback["abs_only"]
    assert "A hidden test failed (AssertionError)." in page
    assert "(hidden tests ran here)" in page


@pytest.mark.slow
def test_feedback_shows_the_hint_of_a_failed_visible_test(feedback: dict[str, str]):
    import html
    import re

    text = html.unescape(re.sub(r"<[^>]+>", "", feedback["triple"]))
    assert "AssertionError: double(2) should be 4" in text
    assert "assert double(2) == 4" in text, "the visible test source is shown"


@pytest.mark.slow
def test_feedback_of_an_unreadable_notebook_still_says_why(feedback: dict[str, str]):
    assert "malformed notebook" in feedback["bad_json"]


@pytest.mark.slow
def test_the_summary_lists_cells_in_notebook_order_and_marks_lost_points(
    batch: Batch, feedback: dict[str, str]
):
    page = feedback["triple"]
    order = [page.index(f"<code>{gid}</code>") for gid in EXPECTED_ORDER]
    assert order == sorted(order), "rows follow the notebook, not the alphabet"
    assert page.count("class='fb-lost'") == 2 and page.count("class='fb-full'") == 1
    assert "double of small ints." in page and "double of negatives." in page
    hidden_only = feedback["abs_only"]  # passes the visible check of test_double_hidden
    assert "A hidden test failed (AssertionError). It checks: double of negatives." in hidden_only


def _planted(course, assignment: str, count: int):
    """``count`` catalogued mutants of different exercises whose failures stay within their
    own exercise, spliced together into the instructor's notebook."""
    from autograder.diagnosis import exercise_of_tests, load_signatures
    from autograder.mutants import load_catalogue, splice

    source = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    owner = exercise_of_tests(source)
    signatures = load_signatures(course, assignment)
    assert signatures, f"no signatures for {assignment}: run python -m autograder mutants"
    by_name = {m.name: m for m in load_catalogue(course, assignment, check=False).mutants}
    chosen, exercises = [], set()
    for entry in signatures["mutants"]:
        mine = {c for c in entry["failed"] if owner.get(c) == entry["exercise"]}
        same = [e for e in signatures["mutants"] if set(e["failed"]) == set(entry["failed"])]
        if (
            entry["exercise"] not in exercises
            and entry["exercise"] != "understanding"
            and mine == set(entry["failed"])
            and len(same) == 1
        ):
            chosen.append(by_name[entry["name"]])
            exercises.add(entry["exercise"])
        if len(chosen) == count:
            break
    assert len(chosen) == count, "the catalogue has too few distinct mutants"
    for cell in source.cells:
        nbg = cell.metadata.get("nbgrader", {})
        for mutant in chosen:
            if nbg.get("grade_id") == mutant.function and nbg.get("solution"):
                cell.source = splice(cell.source, mutant.source)
    return source, chosen


@pytest.mark.slow
def test_three_planted_mistakes_are_each_named_without_a_hidden_line(course, tmp_path):
    """Issue 14's check: a notebook with three catalogued mistakes gets a page that names each
    one's misconception, and no line of a hidden test."""
    from conftest import submit

    from autograder.feedback import write_feedback
    from autograder.grade import grade
    from autograder.judge import hidden_lines

    assignment = "02_similarity"
    notebook, chosen = _planted(course, assignment, 3)
    submit(tmp_path / "subs", "learner", assignment, notebook)
    out = tmp_path / "out"
    [result] = grade(course, tmp_path / "subs", out, assignments=[assignment])
    assert result["status"] == "ok" and 0 < result["score"] < result["max_score"]
    [page_path] = write_feedback(out)
    page = html.unescape(page_path.read_text())
    for mutant in chosen:
        assert f"Likely mistake: {mutant.idea}" in page, mutant.name
    source = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    released = course.release_notebook(assignment).read_text()
    for cell in source.cells:
        lines = cell.source.splitlines()
        for number in hidden_lines(cell.source):
            line = lines[number - 1].strip()
            if (
                len(line) > 12
                and "HIDDEN TESTS" not in line
                and json.dumps(line)[1:-1] not in released
            ):
                assert line not in page, line
