"""The notebooks as a student meets them: they run top to bottom and show what they promise."""

from __future__ import annotations

import re
import runpy
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from conftest import NotebookRuns, printed

from autograder.course import Course
from autograder.kernels import execute_notebook

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS = Course(REPO).assignments()
REQUIRED_SECTIONS = [
    "You will learn",
    "Prerequisites",
    "Estimated time",
    "Check your understanding",
    "Recap",
    "Further reading",
]


@pytest.fixture(params=ASSIGNMENTS)
def executed(request, notebook_runs: NotebookRuns):
    """(assignment, the solution notebook executed top to bottom, demo cells included). Each
    notebook runs once per session, in the Colab-like Python of conftest.py."""
    return request.param, notebook_runs.executed(request.param)


@pytest.mark.slow
def test_solution_notebook_runs_top_to_bottom_without_errors(executed):
    assignment, nb = executed
    errors = [
        (i, o.get("ename"), o.get("evalue"))
        for i, c in enumerate(nb.cells)
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{assignment}: {errors}"


@pytest.mark.slow
def test_solution_notebook_shows_at_least_one_figure(executed):
    assignment, nb = executed
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, f"{assignment} shows no figure"


@pytest.mark.slow
def test_solution_notebook_prints_no_warnings(executed):
    assignment, nb = executed
    stderr = printed(nb, "stderr")
    assert not stderr, f"{assignment} writes to stderr: {stderr}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_has_every_section_the_curriculum_asks_for(assignment):
    nb = nbformat.read(str(Course(REPO).release_notebook(assignment)), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for section in REQUIRED_SECTIONS:
        assert section in text, f"{assignment} lacks '{section}'"
    assert re.search(r"\(\d{4}\)", text), "further reading cites papers with their year"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_headings_state_points_that_match_the_test_cells(assignment):
    """`### Exercise N.M: title (P points)` equals the points of that exercise's test cells."""
    nb = nbformat.read(str(Course(REPO).source_notebook(assignment)), as_version=4)
    stated, current = {}, None
    points: dict[str, float] = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(
                r"^###? (?:Exercise [\d.]+: .*|\d+\. Check your understanding) "
                r"\((\d+) points?\)",
                cell.source,
                re.M,
            )
            if m:
                current = cell.source.splitlines()[0]
                stated[current] = float(m.group(1))
                points[current] = 0.0
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and current is not None:
            points[current] += float(meta.get("points", 0))
    assert stated, "no exercise headings with points"
    assert stated == points


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_runs_until_the_first_exercise_without_errors(assignment, tmp_path):
    """A student who only runs the cells before the first exercise sees no error."""
    path = Course(REPO).release_notebook(assignment)
    nb = nbformat.read(str(path), as_version=4)
    first = next(
        i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")
    )
    nb.cells = nb.cells[:first]
    trimmed = tmp_path / path.name
    nbformat.write(nb, str(trimmed))
    executed_nb = execute_notebook(trimmed, allow_errors=True)
    assert not [
        o
        for c in executed_nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


# ---- measured claims ------------------------------------------------------------------------
#
# What a notebook's text claims about the numbers it measures sits beside it, in
# solutions/NN_name/claims.py: functions named ``claim_*`` that take a `Printed` (what the
# executed notebook printed) and assert. Each runs as its own test.

# `Result: <model> at length <L>: <acc>% token accuracy (trained in <s> s)`, printed by the
# seq2seq experiments.
RESULT_LINE = re.compile(
    r"Result: (?P<model>.+) at length (?P<length>\d+): (?P<acc>[\d.]+)% token accuracy "
    r"\(trained in (?P<seconds>[\d.]+) s\)"
)


class Printed:
    """What an executed notebook printed on stdout, for the claims to read.

    Attributes:
        assignment: the notebook's name.
        text: everything it printed on stdout.
    """

    def __init__(self, assignment: str, text: str) -> None:
        self.assignment = assignment
        self.text = text

    def search(self, pattern: str | re.Pattern[str]) -> re.Match[str]:
        """The first match of ``pattern`` in the printed text; fails when there is none."""
        match = re.search(pattern, self.text, re.M)
        assert match, f"{self.assignment} printed nothing that matches {pattern!r}"
        return match

    def result(self, fragment: str) -> tuple[int, float]:
        """(length, token accuracy %) of the one seq2seq `Result:` line whose model label
        contains ``fragment`` ("with attention" is not a substring of "without attention")."""
        found = {
            m["model"]: (int(m["length"]), float(m["acc"])) for m in RESULT_LINE.finditer(self.text)
        }
        matches = [value for label, value in found.items() if fragment in label]
        assert len(matches) == 1, f"{self.assignment}: one result for {fragment!r}, got {found}"
        return matches[0]


def load_claims(assignment: str) -> list[Callable[[Printed], None]]:
    """The ``claim_*`` functions of ``solutions/<assignment>/claims.py`` (none when absent)."""
    path = Course(REPO).solutions / assignment / "claims.py"
    if not path.is_file():
        return []
    namespace = runpy.run_path(str(path))
    return [f for name, f in sorted(namespace.items()) if name.startswith("claim_") and callable(f)]


CLAIMS = [
    pytest.param(a, claim, id=f"{a}-{claim.__name__}")
    for a in ASSIGNMENTS
    for claim in load_claims(a)
]


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "claim"), CLAIMS)
def test_notebook_measures_what_its_text_claims(assignment, claim, notebook_runs: NotebookRuns):
    claim(Printed(assignment, printed(notebook_runs.executed(assignment))))


def test_every_claim_states_what_it_checks():
    """Each claim has a docstring (the sentence of the notebook it checks) and runs as a test."""
    assert CLAIMS, "no solutions/*/claims.py defines a claim_* function"
    for param in CLAIMS:
        assignment, claim = param.values
        assert claim.__doc__, f"{assignment}: {claim.__name__} has no docstring"
