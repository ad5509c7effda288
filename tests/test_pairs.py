"""``sync`` (autograder/pairs.py): the newer of NN.ipynb and its jupytext twin NN.py wins, and
the pair check sees drift."""

from __future__ import annotations

import nbformat
from conftest import TINY

from autograder.check import check_pairs
from autograder.pairs import sync_pair


def test_sync_writes_the_newer_file_and_the_pair_check_sees_drift(tiny_course):
    ipynb = tiny_course.source_notebook(TINY)
    assert sync_pair(ipynb) == "ipynb -> py"
    assert check_pairs(tiny_course, [TINY]).ok
    py = ipynb.with_suffix(".py")
    py.write_text(py.read_text().replace("# # Tiny", "# # Tiny and changed"))
    drift = check_pairs(tiny_course, [TINY])
    assert not drift.ok
    # the fix it names is sync, which also writes the badge and setup cell; jupytext --sync does not
    assert f"run `python -m autograder sync --assignment {TINY}`" in drift.detail, drift.detail
    assert "jupytext --sync" not in drift.detail
    assert sync_pair(ipynb) == "py -> ipynb"
    assert check_pairs(tiny_course, [TINY]).ok
    assert nbformat.read(str(ipynb), as_version=4).cells[0].source == "# Tiny and changed"
