"""The notebooks' prose holds no unfinished text: placeholders, TODO notes, fill-me markers.

A placeholder line such as ``PREDICTION_QUESTION`` once reached the student release in place of
a graded question (06, exercise 6.6); this fails any such line in a solution notebook's
markdown, which is what the release's markdown is built from.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(REPO.glob("solutions/[0-9][0-9]_*/[0-9][0-9]_*.ipynb"))

# a line that is only an upper-case identifier with an underscore (PREDICTION_INTRO), or a note
# to the author
PLACEHOLDER = re.compile(
    r"^\s*(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|.*\b(?:TODO|FIXME|TBD|XXX)\b.*)\s*$"
)
FILL_ME = re.compile(
    r"<\s*(?:fill|placeholder|insert)[^>]*>|\[(?:placeholder|fill in)[^\]]*\]", re.I
)


def unfinished_lines(markdown: str) -> list[str]:
    return [
        line.strip()
        for line in markdown.splitlines()
        if PLACEHOLDER.match(line) or FILL_ME.search(line)
    ]


def test_the_detector_finds_the_placeholders_it_is_for() -> None:
    assert unfinished_lines("Intro.\n\nPREDICTION_INTRO\n") == ["PREDICTION_INTRO"]
    assert unfinished_lines("TODO: measure this") == ["TODO: measure this"]
    assert unfinished_lines("the value is <fill in after the run>") != []
    # ordinary prose, constants in code spans and headings pass
    assert unfinished_lines("Set `MAX_LEN` to 24.\n## 9. Beyond\nUse `COURSE_DEVICE=cpu`.") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_markdown_cell_holds_unfinished_text(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    found = [
        (index, line)
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for line in unfinished_lines(cell.source)
    ]
    assert not found, f"{path.name}: unfinished text in markdown cells {found}"
