"""The notebooks as a student meets them: they run top to bottom and show what they promise."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

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


def _execute(path: Path):
    return execute_notebook(
        path, allow_errors=True, mpl_backend="module://matplotlib_inline.backend_inline"
    )


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def executed(request):
    """(assignment, the solution notebook executed top to bottom, demo cells included)."""
    return request.param, _execute(Course(REPO).source_notebook(request.param))


def test_solution_notebook_runs_top_to_bottom_without_errors(executed):
    assignment, nb = executed
    errors = [
        (i, o.get("ename"), o.get("evalue"))
        for i, c in enumerate(nb.cells)
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{assignment}: {errors}"


def test_solution_notebook_shows_at_least_one_figure(executed):
    assignment, nb = executed
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, f"{assignment} shows no figure"


def test_solution_notebook_prints_no_warnings(executed):
    assignment, nb = executed
    stderr = [
        "".join(o.get("text", ""))
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
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
    executed_nb = _execute(trimmed)
    assert not [
        o
        for c in executed_nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


# The claims the seq2seq notebooks make, checked on what their experiment cells print:
# `Result: <model> at length <L>: <acc>% token accuracy (trained in <s> s)`.
RESULT_LINE = re.compile(
    r"Result: (?P<model>.+) at length (?P<length>\d+): (?P<acc>[\d.]+)% token accuracy "
    r"\(trained in (?P<seconds>[\d.]+) s\)"
)
EXPERIMENT_CLAIMS = {
    # assignment: {model label fragment: (lowest allowed %, highest allowed %)}
    "01_rnn_limits": {"without attention": (0.0, 60.0)},
    "03_attention": {"without attention": (0.0, 60.0), "with attention": (95.0, 100.0)},
    "06_transformer": {
        "without attention": (0.0, 60.0),
        "with attention": (95.0, 100.0),
        "Transformer": (99.0, 100.0),
    },
}


def experiment_results(nb) -> dict[str, tuple[int, float]]:
    """{model label: (length, accuracy %)} from the Result lines a notebook printed."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                for m in RESULT_LINE.finditer(out.get("text", "")):
                    found[m["model"]] = (int(m["length"]), float(m["acc"]))
    return found


def test_seq2seq_experiments_show_the_accuracy_their_text_claims(executed):
    """01: the LSTM without attention collapses at length >= 20; 03: attention does not; 06: the
    Transformer reaches >= 99% at the longest length."""
    assignment, nb = executed
    if assignment not in EXPERIMENT_CLAIMS:
        pytest.skip(f"{assignment} runs no seq2seq experiment")
    results = experiment_results(nb)
    for fragment, (low, high) in EXPERIMENT_CLAIMS[assignment].items():
        # "with attention" is not a substring of "without attention"
        matches = [(length, acc) for label, (length, acc) in results.items() if fragment in label]
        assert len(matches) == 1, f"{assignment}: one result for '{fragment}', got {results}"
        length, acc = matches[0]
        assert length >= 20, f"{assignment}: the sweep must reach 20 tokens, got {length}"
        assert low <= acc <= high, f"{assignment} '{fragment}': {acc}% not in [{low}, {high}]"


LM_RESULT = re.compile(
    r"Result: validation loss (?P<val>[\d.]+) nats per character after (?P<steps>\d+) steps "
    r"\(trained in (?P<seconds>[\d.]+) s\)"
)
UNIGRAM = re.compile(r"Reference: unigram entropy (?P<h>[\d.]+) nats per character")


def test_language_model_learns_more_than_character_frequencies(executed):
    """07: the trained model's validation loss is well below the unigram entropy (what a model
    that ignores context reaches), as its text claims."""
    assignment, nb = executed
    if assignment != "07_gpt":
        pytest.skip("only 07 trains a language model")
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if "text" in o)
    result, unigram = LM_RESULT.search(text), UNIGRAM.search(text)
    assert result and unigram, "07 printed no Result / Reference line"
    assert float(result["val"]) < float(unigram["h"]) - 0.5, (result[0], unigram[0])


# 04's sqrt(d_k) table: d_k | variance | max weight | entropy | median grad (raw, scaled)
DK_ROW = re.compile(
    r"^\s*(?P<dk>\d+) \| +(?P<var_raw>[\d.]+) +(?P<var_scaled>[\d.]+) \| +(?P<max_raw>[\d.]+) "
    r"+(?P<max_scaled>[\d.]+) \| +[\d.]+ +[\d.]+ \| +(?P<grad_raw>[\d.e+-]+) "
    r"+(?P<grad_scaled>[\d.e+-]+) \|",
    re.M,
)


def test_self_attention_notebook_measures_what_its_text_says_about_sqrt_dk(executed):
    """04: raw scores have variance ~d_k, saturate the softmax and kill the gradient; scaled
    scores keep variance ~1 and the gradient alive (the claims of its prose and recap)."""
    assignment, nb = executed
    if assignment != "04_self_attention":
        pytest.skip("only 04 measures the sqrt(d_k) scaling")
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if "text" in o)
    rows = {int(m["dk"]): m for m in DK_ROW.finditer(text)}
    assert 1024 in rows and 1 in rows, f"the d_k table was not printed: {sorted(rows)}"
    big = rows[1024]
    assert 800 < float(big["var_raw"]) < 1300
    assert 0.8 < float(big["var_scaled"]) < 1.2
    assert float(big["max_raw"]) > 0.9 and float(big["max_scaled"]) < 0.5
    assert float(big["grad_raw"]) < 1e-4 < float(big["grad_scaled"])
