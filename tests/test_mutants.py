"""The catalogue harness (autograder/mutants.py): splicing region replacements into the current
solution cells, loading and validating catalogues, running mutants and equivalents in a kernel."""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, TINY

from autograder.course import Course, CourseError
from autograder.mutants import (
    Equivalent,
    Mutant,
    load_catalogue,
    run_catalogue,
    solution_regions,
    splice,
)

# A cell shaped like the course's classes: a given constructor outside the regions, a region
# inside a method of the class and a second one at the end of another method.
TWO_REGIONS = '''class Scaler:
    """Multiplies by a factor."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        ### BEGIN SOLUTION
        self.offset = 0.0
        ### END SOLUTION

    def __call__(self, x: float) -> float:
        """x -> factor * x + offset."""
        ### BEGIN SOLUTION
        return self.factor * x + self.offset
        ### END SOLUTION
'''


def _run(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<spliced>", "exec"), namespace)
    return namespace


# ---- splice -----------------------------------------------------------------------------------


def test_splice_reindents_a_replacement_to_its_begin_line():
    cell = (
        'def double(x):\n    """2x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n'
        "    ### END SOLUTION"
    )
    spliced = splice(cell, "y = x + x\nreturn y")
    assert spliced == 'def double(x):\n    """2x."""\n    y = x + x\n    return y\n'
    assert _run(spliced)["double"](4) == 8


def test_splice_dedents_a_replacement_written_indented_and_keeps_inner_structure():
    cell = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    replacement = """
            total = 0
            for v in x:

                total += v
            return total
    """
    spliced = splice(cell, replacement)
    assert spliced == (
        "def f(x):\n    total = 0\n    for v in x:\n\n        total += v\n    return total\n"
    )
    assert _run(spliced)["f"]([1, 2, 3]) == 6


def test_splice_fills_several_regions_in_order_and_keeps_the_given_code():
    assert [(b, e, len(i)) for b, e, i in solution_regions(TWO_REGIONS)] == [(5, 7, 8), (11, 13, 8)]
    spliced = splice(TWO_REGIONS, ("self.offset = 1.0", "return self.factor * (x + self.offset)"))
    assert "self.factor = factor" in spliced and '"""x -> factor * x + offset."""' in spliced
    assert "BEGIN SOLUTION" not in spliced and "END SOLUTION" not in spliced
    assert _run(spliced)["Scaler"](3.0)(2.0) == 9.0


def test_splice_rejects_the_wrong_number_of_replacements_clearly():
    with pytest.raises(CourseError, match=r"1 replacement\(s\) for a solution cell with 2 region"):
        splice(TWO_REGIONS, "return x", label="mutant 'one_only'")
    with pytest.raises(
        CourseError, match=r"mutant 'three'.*3 replacement\(s\).*tuple of 2 strings"
    ):
        splice(TWO_REGIONS, ("a = 1", "b = 2", "c = 3"), label="mutant 'three'")
    with pytest.raises(CourseError, match="has no ### BEGIN SOLUTION region"):
        splice("def f(x):\n    return x\n", "return 2 * x")
    with pytest.raises(CourseError, match="never closed"):
        splice("def f(x):\n    ### BEGIN SOLUTION\n    return x\n", "return 2 * x")
    with pytest.raises(CourseError, match="a string or a tuple of strings"):
        splice("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", (1,))


# ---- loading and validating catalogues ---------------------------------------------------------


def test_load_catalogue_reads_both_files_and_rejects_entries_that_do_not_fit(tiny_course):
    folder = tiny_course.solutions / TINY
    catalogue = load_catalogue(tiny_course, TINY)
    assert [m.name for m in catalogue.mutants][:2] == ["triple", "square"]
    assert catalogue.equivalents is None  # no equivalents.py yet

    (folder / "equivalents.py").write_text(
        "from autograder.mutants import Equivalent\n\n"
        "EQUIVALENTS = [Equivalent('sum', 'double', 'return x + x', 'addition')]\n"
    )
    assert load_catalogue(tiny_course, TINY).equivalents == [
        Equivalent("sum", "double", "return x + x", "addition")
    ]

    (folder / "equivalents.py").write_text(
        "from autograder.mutants import Equivalent\n\n"
        "EQUIVALENTS = [Equivalent('typo', 'doubel', 'return x + x')]\n"
    )
    with pytest.raises(CourseError, match="equivalent 'typo': no solution cell with grade_id"):
        load_catalogue(tiny_course, TINY)

    (folder / "equivalents.py").write_text(
        "from autograder.mutants import Equivalent\n\n"
        "EQUIVALENTS = [Equivalent('pair', 'double', ('return x + x', 'return x'))]\n"
    )
    with pytest.raises(CourseError, match=r"equivalent 'pair': 2 replacement\(s\)"):
        load_catalogue(tiny_course, TINY)

    (folder / "equivalents.py").write_text("EQUIVALENTS = ['return x + x']\n")
    with pytest.raises(CourseError, match="a list of autograder.mutants.Equivalent"):
        load_catalogue(tiny_course, TINY)


def test_harness_rejects_a_mutant_naming_an_unknown_cell(tiny_course):
    bad = [Mutant("typo", "doubel", "return x", ("test_double_small",))]
    with pytest.raises(CourseError, match="mutant 'typo': no solution cell with grade_id 'doubel'"):
        run_catalogue(tiny_course, TINY, bad, min_per_exercise=0)
    bad = [Mutant("nocell", "double", "return x", ("test_nope",))]
    with pytest.raises(CourseError, match=r"catches unknown or no test cells \['test_nope'\]"):
        run_catalogue(tiny_course, TINY, bad, min_per_exercise=0)


def test_harness_requires_five_mutants_and_three_equivalents_per_exercise(tiny_course):
    report = run_catalogue(tiny_course, TINY)
    assert not report.ok
    assert any("exercise halve has 1 mutants; at least 5 needed" in p for p in report.problems)
    assert report.equivalents is None and "no equivalents.py yet" in report.format()

    mutants = load_catalogue(tiny_course, TINY).mutants
    report = run_catalogue(
        tiny_course,
        TINY,
        mutants,
        [Equivalent("sum", "double", "return x + x")],
        min_per_exercise=0,
    )
    assert not report.ok
    assert "exercise double has 1 equivalents; at least 3 needed" in report.problems
    assert "exercise halve has 0 equivalents; at least 3 needed" in report.problems


# ---- running catalogues in a kernel --------------------------------------------------------------


@pytest.mark.slow
def test_harness_reports_caught_and_surviving_mutants(tiny_course):
    mutants = load_catalogue(tiny_course, TINY).mutants + [
        Mutant("harmless", "double", "return x + x", ("test_double_small",)),
        Mutant("halve_round", "halve", "return round(x / 2, 6)", ("test_halve",)),
    ]
    report = run_catalogue(tiny_course, TINY, mutants, min_per_exercise=1)
    outcome = {o.mutant.name: o for o in report.outcomes}
    assert outcome["triple"].caught and "test_double_small" in outcome["triple"].failed
    assert outcome["abs"].caught and outcome["abs"].failed == ["test_double_hidden"]
    assert not outcome["harmless"].caught and outcome["harmless"].failed == []
    assert not outcome["halve_round"].caught
    assert not report.ok
    assert "SURVIVED" in report.format()
    assert report.problems == []  # the solution was restored after each mutant


@pytest.mark.slow
def test_harness_keeps_equivalents_at_full_marks_and_flags_one_that_loses_points(tiny_course):
    mutants = load_catalogue(tiny_course, TINY).mutants
    equivalents = [
        Equivalent("sum", "double", "return x + x", "addition"),
        Equivalent("shift", "double", "return x << 1 if isinstance(x, int) else 2 * x", "bits"),
        Equivalent("loop", "double", "total = 0\nfor _ in range(2):\n    total += x\nreturn total"),
        Equivalent("times_half", "halve", "return x * 0.5", "multiply"),
        Equivalent("floor", "halve", "return x // 2", "wrong: not an equivalent"),
        Equivalent("crash", "halve", "return x / ", "does not parse"),
    ]
    report = run_catalogue(
        tiny_course, TINY, mutants, equivalents, min_per_exercise=1, min_equivalents=1
    )
    by_name = {o.equivalent.name: o for o in report.equivalents}
    assert all(by_name[n].full_marks for n in ("sum", "shift", "loop", "times_half"))
    assert by_name["floor"].failed == ["test_halve"] and not by_name["floor"].full_marks
    assert by_name["crash"].error and not by_name["crash"].full_marks
    assert all(o.caught for o in report.outcomes) and report.problems == []
    assert not report.ok
    text = report.format()
    assert "6 equivalents, 4 at full marks" in text
    assert "LOST POINTS halve" in text and "full marks  double" in text
    assert (
        "double                         mutants 5/5 caught, equivalents 3/3 at full marks" in text
    )


@pytest.mark.slow
def test_harness_flags_a_mutant_whose_source_does_not_run(tiny_course):
    bad = [Mutant("syntax", "double", "return x +", ("test_double_small",))]
    report = run_catalogue(tiny_course, TINY, bad, min_per_exercise=0)
    assert report.outcomes[0].error and not report.outcomes[0].caught


@pytest.mark.slow
def test_harness_agrees_with_the_real_grader(tiny_course, tmp_path):
    """The cells a spliced mutant fails in the harness are the cells that lose points in
    ``grade``."""
    from autograder.grade import grade

    catalogue = load_catalogue(tiny_course, TINY).mutants
    report = run_catalogue(tiny_course, TINY, catalogue, min_per_exercise=1)
    subs = tmp_path / "subs"
    source = nbformat.read(str(tiny_course.source_notebook(TINY)), as_version=4)
    for mutant in catalogue:
        nb = nbformat.read(str(tiny_course.release_notebook(TINY)), as_version=4)
        for i, cell in enumerate(nb.cells):
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                src = source.cells[i].source
                cell.source = (
                    splice(src, mutant.source) if meta["grade_id"] == mutant.function else src
                )
        path = subs / mutant.name / TINY / f"{TINY}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    results = grade(tiny_course, subs, tmp_path / "out", workers=2)
    by_student = {r["student_id"]: r for r in results}
    for outcome in report.outcomes:
        lost = sorted(
            c["grade_id"]
            for c in by_student[outcome.mutant.name]["cells"]
            if c["score"] < c["max_score"]
        )
        assert lost == sorted(outcome.failed), outcome.mutant.name


HALVE_MUTANTS = """
MUTANTS += [
    Mutant("halve_times_two", "halve", "return x * 2", ("test_halve",)),
    Mutant("halve_int", "halve", "return int(x / 2)", ("test_halve",)),
    Mutant("halve_minus", "halve", "return x - 2", ("test_halve",)),
    Mutant("halve_quarter", "halve", "return x / 4", ("test_halve",)),
]
"""

TINY_EQUIVALENTS = """
from autograder.mutants import Equivalent

EQUIVALENTS = [
    Equivalent("sum", "double", "return x + x"),
    Equivalent("loop", "double", "total = 0\\nfor _ in range(2):\\n    total += x\\nreturn total"),
    Equivalent("float", "double", "return 2.0 * x"),
    Equivalent("half", "halve", "return 0.5 * x"),
    Equivalent("divide", "halve", "return x / 2.0"),
    Equivalent("{third}", "halve", "{source}"),
]
"""


@pytest.mark.slow
def test_check_reports_mutants_and_equivalents_and_fails_on_either(tiny_course):
    from autograder.check import check_mutants

    folder = tiny_course.solutions / TINY
    with (folder / "mutants.py").open("a") as f:
        f.write(HALVE_MUTANTS)
    result = check_mutants(tiny_course, [TINY])
    assert result.ok, result.detail  # no equivalents.py yet: reported, not a failure
    assert f"no equivalents.py yet (not a failure): {TINY}" in result.detail
    assert "halve                          mutants 5/5 caught" in result.detail

    (folder / "equivalents.py").write_text(
        TINY_EQUIVALENTS.format(third="times", source="return x * 0.5")
    )
    result = check_mutants(tiny_course, [TINY])
    assert result.ok, result.detail
    assert "6 equivalents, 6 at full marks" in result.detail
    assert "halve                          mutants 5/5 caught, equivalents 3/3 at full marks" in (
        result.detail
    )
    assert "no equivalents.py yet" not in result.detail

    (folder / "equivalents.py").write_text(
        TINY_EQUIVALENTS.format(third="floor", source="return x // 2")
    )
    result = check_mutants(tiny_course, [TINY])
    assert not result.ok
    assert "LOST POINTS halve" in result.detail and "floor" in result.detail

    (folder / "equivalents.py").write_text(
        TINY_EQUIVALENTS.format(third="typo", source="return x / 2").replace(
            '"typo", "halve"', '"typo", "halv"'
        )
    )
    result = check_mutants(tiny_course, [TINY])
    assert not result.ok
    assert "catalogue does not fit the notebook" in result.detail
    assert "equivalent 'typo': no solution cell with grade_id 'halv'" in result.detail


# ---- given code is never copied: a changed constructor leaves no mutant stale ------------------

MHA = "05_multi_head_attention"
GIVEN_LINE = "        self.d_head = d_model // num_heads\n"
NEW_GIVEN = (
    "        self.d_head = d_model // num_heads\n"
    "        self.scale = 1.0 / math.sqrt(self.d_head)  # new given attribute\n"
)
OLD_ANSWER = (
    "        context, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, L, d_head)\n"
)
NEW_ANSWER = (
    "        scores = (q * self.scale) @ k.transpose(-2, -1)  # (B, h, L, S)\n"
    "        if mask is not None:\n"
    '            scores = scores.masked_fill(~mask, float("-inf"))\n'
    "        weights = torch.softmax(scores, dim=-1)  # (B, h, L, S)\n"
    "        context = weights @ v  # (B, h, L, d_head)\n"
)


def _copy_with_new_constructor(tmp_path: Path) -> Course:
    """A copy of notebook 05 whose given ``__init__`` defines ``self.scale`` and whose solution
    ``forward`` depends on it."""
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "solutions" / MHA, root / "solutions" / MHA)
    path = root / "solutions" / MHA / f"{MHA}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    (cell,) = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "MultiHeadAttention"
    ]
    assert GIVEN_LINE in cell.source and OLD_ANSWER in cell.source
    cell.source = cell.source.replace(GIVEN_LINE, NEW_GIVEN).replace(OLD_ANSWER, NEW_ANSWER)
    nbformat.write(nb, str(path))
    return Course(root)


@pytest.mark.slow
def test_a_changed_given_constructor_makes_no_mutant_stale(tmp_path):
    changed = _copy_with_new_constructor(tmp_path)
    original = Course(REPO)
    mutants = [
        m for m in load_catalogue(original, MHA).mutants if m.function == "MultiHeadAttention"
    ]
    assert len(mutants) >= 5
    cell = next(
        c.source
        for c in nbformat.read(str(changed.source_notebook(MHA)), as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "MultiHeadAttention"
    )
    for m in mutants:  # every spliced mutant carries the new constructor, docstring and signature
        spliced = splice(cell, m.source)
        assert NEW_GIVEN in spliced and '"""Multi-head attention' in spliced, m.name

    # An answer that relies on the new given attribute: it can only work if the constructor
    # comes from the notebook, not from the catalogue.
    uses_scale = Equivalent(
        "uses_new_scale",
        "MultiHeadAttention",
        "q = split_heads(self.q_proj(query), self.num_heads)\n"
        "k = split_heads(self.k_proj(key), self.num_heads)\n"
        "v = split_heads(self.v_proj(value), self.num_heads)\n"
        "scores = torch.einsum('bhld,bhsd->bhls', q, k) * self.scale\n"
        "if mask is not None:\n"
        "    scores = scores.masked_fill(~mask, -1e9)\n"
        "weights = torch.softmax(scores, dim=-1)\n"
        "return self.out_proj(merge_heads(weights @ v)), weights\n",
    )
    before = run_catalogue(original, MHA, mutants, min_per_exercise=0)
    after = run_catalogue(
        changed, MHA, mutants, [uses_scale], min_per_exercise=0, min_equivalents=0
    )
    assert before.ok and after.ok, after.format()  # the changed solution still passes every test
    assert after.equivalents[0].full_marks
    for b, a in zip(before.outcomes, after.outcomes, strict=True):
        assert a.error is None and a.caught, a.mutant.name
        assert a.failed == b.failed, a.mutant.name  # each fails for its own reason, as before


# ---- the real catalogues -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "assignment",
    [a for a in Course(REPO).assignments() if Course(REPO).source_notebook(a).is_file()],
)
def test_every_real_catalogue_fits_its_notebook(assignment):
    """Each entry names a real solution cell and test cells, splices into its cell, and carries
    no given code (no signature of its function or class)."""
    catalogue = load_catalogue(Course(REPO), assignment)
    assert catalogue.mutants, f"{assignment} has no mutants.py"
    for entry in [*catalogue.mutants, *(catalogue.equivalents or [])]:
        source = "\n".join((entry.source,) if isinstance(entry.source, str) else entry.source)
        for pasted in (f"def {entry.function}(", f"class {entry.function}(", "### BEGIN SOLUTION"):
            assert pasted not in source, f"{entry.name} copies given code: {pasted!r}"


def _quiz_answers(region: str) -> dict[str, str]:
    """``answer_N`` -> the source of its value, from the assignments of a quiz region."""
    answers = {}
    for node in ast.parse(textwrap.dedent(region)).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            answers[node.targets[0].id] = ast.unparse(node.value)
    return answers


@pytest.mark.parametrize(
    "assignment",
    [a for a in Course(REPO).assignments() if Course(REPO).source_notebook(a).is_file()],
)
def test_quiz_entries_follow_the_current_answer_key(assignment):
    """A quiz entry replaces every answer of the cell, so it restates the key: a quiz mutant may
    differ from the key only in the questions it says it catches, and an equivalent gives every
    multiple-choice answer exactly as the key does. Changing the key without the catalogue
    fails here, instead of turning mutants into ones caught for the wrong reason."""
    course = Course(REPO)
    nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    (cell,) = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "understanding"
    ]
    lines = cell.source.splitlines()
    ((begin, end, _),) = solution_regions(cell.source)
    key = _quiz_answers("\n".join(lines[begin + 1 : end]))
    catalogue = load_catalogue(course, assignment)
    for m in catalogue.mutants:
        if m.function != "understanding":
            continue
        changed = {n for n, v in _quiz_answers(m.source).items() if key.get(n) != v}
        expected = {f"answer_{c.rsplit('_q', 1)[1]}" for c in m.catches}
        assert changed <= expected, f"{m.name} changes {sorted(changed - expected)} too"
        assert changed, f"{m.name} gives the key's answers"
    for e in catalogue.equivalents or []:
        if e.function != "understanding":
            continue
        given = _quiz_answers(e.source)
        assert set(given) >= set(key), f"{e.name} leaves {sorted(set(key) - set(given))} out"
        for name, value in key.items():
            if value.startswith(("'", '"')):  # a multiple-choice letter
                assert given[name] == value, f"{e.name}: {name} = {given[name]}, key {value}"


def test_an_entry_runs_the_tests_after_its_cell_and_those_that_name_what_it_defines():
    from conftest import graded_cell, solution_cell

    from autograder.mutants import tests_reached

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        solution_cell("first", "def first(x):\n    return x\n"),
        graded_cell("test_first", "assert first(1) == 1\n"),
        graded_cell("test_uses_later", "### BEGIN HIDDEN TESTS\nassert second(2) == 4\n"),
        solution_cell("second", "def second(x):\n    return 2 * x\nSCALE: int = 2\n"),
        graded_cell("test_second", "assert second(3) == 6\n"),
        graded_cell("test_scale", "assert SCALE == 2\n"),
    ]
    assert tests_reached(nb, "first") == [
        "test_first",
        "test_uses_later",
        "test_second",
        "test_scale",
    ]
    # test_first cannot fail when `second` changes; an earlier cell naming it can
    assert tests_reached(nb, "second") == ["test_uses_later", "test_second", "test_scale"]
