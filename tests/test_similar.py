"""Tests for ``autograder.similar``: near-identical answers after normalising names and layout."""

from __future__ import annotations

from pathlib import Path

import nbformat
from conftest import solution_cell

from autograder.similar import find_similar, normalise, write_similar

STUB = "def cosine(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
ANSWER = """def cosine(a, b):
    na = np.linalg.norm(a)
    nb = np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(a @ b / (na * nb))
"""
RENAMED = """def cosine(x, y):
    # my own comment
    norm_x = np.linalg.norm(x)

    norm_y  =  np.linalg.norm(y)
    if norm_x == 0 or norm_y == 0:
        return 0.0
    return float(x @ y / (norm_x * norm_y))
"""
DIFFERENT = """def cosine(a, b):
    total = 0.0
    for i in range(len(a)):
        total += a[i] * b[i]
    denominator = math.sqrt(sum(v * v for v in a)) * math.sqrt(sum(v * v for v in b))
    return total / denominator if denominator else 0.0
"""


def notebook(path: Path, source: str, short: str = "x = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [solution_cell("cosine", source), solution_cell("tiny", short)]
    nbformat.write(nb, str(path))
    return path


def test_renaming_and_reformatting_do_not_change_the_normalised_tokens() -> None:
    assert normalise(ANSWER) == normalise(RENAMED)
    assert normalise(ANSWER) != normalise(DIFFERENT)
    assert normalise("np.sum(x)") != normalise("np.max(x)"), "attributes keep their names"


def test_near_identical_answers_are_grouped_and_blank_or_tiny_ones_skipped(tmp_path: Path) -> None:
    blank = notebook(tmp_path / "blank.ipynb", STUB, "x = 1")
    notebooks = {
        ("alice", "02"): notebook(tmp_path / "a.ipynb", ANSWER),
        ("bob", "02"): notebook(tmp_path / "b.ipynb", RENAMED),
        ("carol", "02"): notebook(tmp_path / "c.ipynb", DIFFERENT),
        ("dave", "02"): notebook(tmp_path / "d.ipynb", STUB),
        ("erin", "02"): notebook(tmp_path / "e.ipynb", STUB),
    }
    groups = find_similar(notebooks, {"02": blank})
    assert [(g.cell, g.students, g.similarity) for g in groups] == [
        ("cosine", ("alice", "bob"), 1.0)
    ]
    rows = write_similar(groups, tmp_path / "similar.csv").read_text().splitlines()
    assert rows == ["assignment,cell,students,similarity", "02,cosine,alice bob,1.000"]


def test_a_small_edit_still_counts_as_similar_with_a_ratio_below_one(tmp_path: Path) -> None:
    edited = ANSWER.replace("return 0.0", "return 0")
    notebooks = {
        ("alice", "02"): notebook(tmp_path / "a.ipynb", ANSWER),
        ("bob", "02"): notebook(tmp_path / "b.ipynb", edited),
    }
    (group,) = find_similar(notebooks, threshold=0.9)
    assert group.students == ("alice", "bob") and 0.9 <= group.similarity < 1.0


def test_an_unreadable_notebook_or_syntax_error_is_compared_without_crashing(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    broken = "def cosine(a, b:\n    return a @ b / norm(a) / norm(b) + something_long_enough_here"
    notebooks = {
        ("alice", "02"): bad,
        ("bob", "02"): notebook(tmp_path / "b.ipynb", broken),
        ("carol", "02"): notebook(tmp_path / "c.ipynb", broken),
    }
    groups = find_similar(notebooks, min_tokens=3)
    assert [g.students for g in groups if g.cell == "cosine"] == [("bob", "carol")]
