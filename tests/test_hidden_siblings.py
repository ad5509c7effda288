"""Hidden tests add inputs, never requirements (issue 14), checked on the test cells' code.

A test cell has a visible part and a hidden part (``### BEGIN HIDDEN TESTS`` ...). A property
that only the hidden part checks is a requirement the student cannot see until the grade comes
back. Exactly that cannot be decided by reading code, but two proxies can, per test cell:

- every check helper the hidden part uses (``checks.check_close``, ..., or
  ``raise checks.CheckError``) is also used by the visible part: a kind of assertion the student
  never sees fail is a property no visible test exercises;
- every function or class of the notebook's solution cells that the hidden part calls (or hands
  to ``checks.probe``) is also called in the visible part.

Quiz and prediction cells (``test_understanding_qN``, ``test_kv_cache_prediction_*``) are exempt:
their hidden part is the answer key, which no visible check may give away; their visible part
checks the form of the answer (``check_choice``, ``check_type``).

Also checked: every built-in that a test cell switches off with ``checks.disabled(...)`` is named
in its exercise (the markdown between the previous exercise's test cells and the solution cell,
or a docstring of the solution cell), and the cases issue 14 found hidden-only (an empty sequence,
the cell state under padding, a copy rather than shared storage, an odd ``d_model``) are stated in
their exercise and checked, with a hint, by a visible test.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass

import nbformat
import pytest
from conftest import REPO

from autograder.course import Course
from autograder.judge import hidden_lines

ASSIGNMENTS = Course(REPO).assignments()

#: Helpers of ``course_lib.checks`` that assert something; ``CheckError`` stands for
#: ``raise checks.CheckError(...)``, ``assert`` for a bare assert statement.
ASSERTING = frozenset(
    {
        "check_close",
        "check_equal",
        "check_shape",
        "check_type",
        "check_in_range",
        "check_finite",
        "check_choice",
        "CheckError",
        "assert",
    }
)

# Attributes that name a method of the banned class rather than the built-in itself:
# ``(nn.TransformerEncoderLayer, "forward")`` bans ``TransformerEncoderLayer``.
METHOD_NAMES = frozenset({"forward", "__call__", "__init__"})


# -- reading a notebook ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    index: int
    kind: str  # "markdown", "solution", "test" or "other"
    grade_id: str
    source: str


@functools.cache
def cells(assignment: str) -> tuple[Cell, ...]:
    nb = nbformat.read(str(Course(REPO).source_notebook(assignment)), as_version=4)
    out = []
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            kind = "markdown"
        elif meta.get("solution"):
            kind = "solution"
        elif meta.get("grade"):
            kind = "test"
        else:
            kind = "other"
        out.append(Cell(i, kind, meta.get("grade_id", ""), cell.source))
    return tuple(out)


def student_names(notebook: tuple[Cell, ...]) -> frozenset[str]:
    """Functions and classes that the solution cells define (what the student writes)."""
    names = set()
    for cell in notebook:
        if cell.kind == "solution":
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    names.add(node.name)
    return frozenset(names)


def is_answer_key(notebook: tuple[Cell, ...], test: Cell) -> bool:
    """A quiz or prediction cell: its exercise's solution cell only assigns answers (no function
    or class), so its hidden part is the key and its visible part checks the answer's form."""
    solution, _ = exercise_of(notebook, test)
    return not student_names((solution,))


@dataclass
class Uses:
    """What one part (visible or hidden) of a test cell asserts with and calls."""

    helpers: set[str]
    student: set[str]


def uses(source: str, students: frozenset[str]) -> tuple[Uses, Uses]:
    """``(visible, hidden)`` uses of a test cell, told apart by line number."""
    hidden = set(hidden_lines(source))
    parts = {False: Uses(set(), set()), True: Uses(set(), set())}
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", None)
        if line is None:
            continue
        part = parts[line in hidden]
        if isinstance(node, ast.Assert):
            part.helpers.add("assert")
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Attribute) and exc.attr == "CheckError":
                part.helpers.add("CheckError")
        elif isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "checks"
                and func.attr in ASSERTING
            ):
                part.helpers.add(func.attr)
            if isinstance(func, ast.Name) and func.id in students:
                part.student.add(func.id)
            # a student's function handed to a helper (checks.probe(fn, MultiHeadAttention))
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id in students:
                    part.student.add(arg.id)
    return parts[False], parts[True]


def sibling_violations(assignment: str) -> list[str]:
    """One line per hidden assertion kind or student call with no visible sibling."""
    notebook = cells(assignment)
    students = student_names(notebook)
    found = []
    for cell in notebook:
        if cell.kind != "test" or is_answer_key(notebook, cell) or not hidden_lines(cell.source):
            continue
        visible, hidden = uses(cell.source, students)
        where = f"{assignment} {cell.grade_id}"
        for helper in sorted(hidden.helpers - visible.helpers):
            what = "raise checks.CheckError" if helper == "CheckError" else f"checks.{helper}"
            if helper == "assert":
                what = "assert"
            found.append(f"{where}: the hidden part uses {what}, the visible part never does")
        for name in sorted(hidden.student - visible.student):
            found.append(f"{where}: the hidden part calls {name}, the visible part never does")
    return found


# -- the exercise a test cell belongs to -------------------------------------------------------


def docstrings(source: str) -> str:
    """The docstrings of every function, class and method defined in ``source``."""
    texts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            text = ast.get_docstring(node)
            if text:
                texts.append(text)
    return "\n".join(texts)


def exercise_of(notebook: tuple[Cell, ...], test: Cell) -> tuple[Cell, str]:
    """``(solution cell, text)`` of the exercise that ``test`` grades: the nearest solution cell
    above it, and the markdown between the previous exercise's test cells and that solution
    cell, with the solution cell's docstrings."""
    (solution,) = [c for c in notebook[: test.index] if c.kind == "solution"][-1:]
    start = max((c.index for c in notebook[: solution.index] if c.kind == "test"), default=-1)
    markdown = [c.source for c in notebook[start + 1 : solution.index] if c.kind == "markdown"]
    return solution, "\n".join([*markdown, docstrings(solution.source)])


def exercise_tests(notebook: tuple[Cell, ...], solution_id: str) -> list[Cell]:
    """The test cells that grade the exercise whose solution cell is ``solution_id``."""
    tests = []
    for cell in notebook:
        if cell.kind == "test" and exercise_of(notebook, cell)[0].grade_id == solution_id:
            tests.append(cell)
    return tests


# -- bans --------------------------------------------------------------------------------------


def _targets(node: ast.expr, assigned: dict[str, ast.expr]) -> list[ast.expr]:
    """The ``(owner, "attr")`` tuples an argument of ``checks.disabled`` stands for."""
    if isinstance(node, ast.Starred):
        node = node.value
    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    if isinstance(node, ast.List | ast.Tuple) and all(
        isinstance(e, ast.List | ast.Tuple) for e in node.elts
    ):
        return list(node.elts)
    return [node]


def banned_names(source: str) -> set[str]:
    """The built-ins switched off by ``checks.disabled(...)`` in a test cell, by name."""
    tree = ast.parse(source)
    assigned: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                assigned[node.targets[0].id] = node.value
    names = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "disabled"
        ):
            continue
        for arg in node.args:
            for target in _targets(arg, assigned):
                if not (isinstance(target, ast.Tuple) and len(target.elts) == 2):
                    raise AssertionError(f"cannot read the ban {ast.unparse(target)}")
                owner, attr = target.elts
                assert isinstance(attr, ast.Constant), ast.unparse(target)
                name = attr.value
                if name in METHOD_NAMES:
                    name = ast.unparse(owner).rsplit(".", 1)[-1]
                names.add(name)
    return names


def ban_violations(assignment: str) -> list[str]:
    notebook = cells(assignment)
    found = []
    for cell in notebook:
        if cell.kind != "test":
            continue
        names = banned_names(cell.source)
        if not names:
            continue
        solution, text = exercise_of(notebook, cell)
        for name in sorted(names):
            if not re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text):
                found.append(
                    f"{assignment} {cell.grade_id}: switches off {name}, which the text of "
                    f"exercise {solution.grade_id} never names"
                )
    return found


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_assertions_have_visible_siblings(assignment):
    found = sibling_violations(assignment)
    assert not found, "hidden checks with no visible sibling:\n" + "\n".join(found)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_switched_off_builtins_are_named_in_the_exercise(assignment):
    found = ban_violations(assignment)
    assert not found, "built-ins switched off without a word:\n" + "\n".join(found)


@dataclass(frozen=True)
class NamedCase:
    """A case issue 14 found checked by hidden tests only."""

    assignment: str
    exercise: str  # grade_id of the solution cell
    stated: str  # regex the exercise text must match
    visible_input: str  # regex the visible part of one of its test cells must match
    check: str  # regex a visible checks call with a hint= in that same cell must match


NAMED_CASES = [
    NamedCase(
        "01_rnn_limits",
        "rnn_forward",
        stated=r"empty sequence",
        visible_input=r"rnn_forward\(\s*np\.zeros\(\(0,",
        check=r"empty",
    ),
    NamedCase(
        "01_rnn_limits",
        "encode_context",
        stated=r"`c` matters",
        visible_input=r"PAD,\s*PAD",
        check=r"^checks\.check_close\(\s*_c\b",
    ),
    NamedCase(
        "05_multi_head_attention",
        "load_torch_weights",
        stated=r"do not share storage",
        visible_input=r"\.add_\(",
        check=r"copy",
    ),
    NamedCase(
        "06_transformer",
        "sinusoidal_positional_encoding",
        stated=r"odd `d_model`",
        visible_input=r"sinusoidal_positional_encoding\(\s*\d+,\s*\d*[13579]\s*\)",
        check=r"odd",
    ),
]


def _visible(source: str) -> str:
    inside = set(hidden_lines(source))
    return "\n".join(line for i, line in enumerate(source.splitlines(), 1) if i not in inside)


def _hinted_checks(visible: str) -> list[str]:
    """Source of every visible ``checks.*`` call that passes a ``hint=``."""
    calls = []
    for node in ast.walk(ast.parse(visible)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "checks"
            and any(k.arg == "hint" for k in node.keywords)
        ):
            calls.append(ast.get_source_segment(visible, node) or "")
    return calls


@pytest.mark.parametrize("case", NAMED_CASES, ids=lambda c: f"{c.assignment}-{c.exercise}")
def test_issue_14_hidden_only_cases_are_stated_and_visible(case):
    notebook = cells(case.assignment)
    (solution,) = [c for c in notebook if c.grade_id == case.exercise]
    tests = exercise_tests(notebook, case.exercise)
    _, text = exercise_of(notebook, tests[0])
    assert re.search(case.stated, text), f"exercise {case.exercise} does not state the case"
    for cell in tests:
        visible = _visible(cell.source)
        if re.search(case.visible_input, visible) and any(
            re.search(case.check, call, re.MULTILINE) for call in _hinted_checks(visible)
        ):
            return
    pytest.fail(f"no visible test of {case.exercise} checks the case with a hint")


# -- the analysis itself -----------------------------------------------------------------------


def test_uses_tells_hidden_from_visible():
    source = (
        '"""doc"""\n'
        "checks.check_shape(f(1), (1,), 'f')\n"
        "### BEGIN HIDDEN TESTS\n"
        "checks.check_close(f(2), 2, 'f')\n"
        "checks.probe(_step, g)\n"
        "if h(3):\n"
        "    raise checks.CheckError('h')\n"
        "### END HIDDEN TESTS\n"
    )
    visible, hidden = uses(source, frozenset({"f", "g", "h"}))
    assert visible.helpers == {"check_shape"} and visible.student == {"f"}
    assert hidden.helpers == {"check_close", "CheckError"}
    assert hidden.student == {"f", "g", "h"}


def test_banned_names_resolve_lists_and_methods():
    source = (
        "_off = [(torch, 'softmax'), (F, 'log_softmax')]\n"
        "with checks.disabled(*_off, reason='x'):\n"
        "    pass\n"
        "with checks.disabled((nn.TransformerEncoderLayer, 'forward')):\n"
        "    pass\n"
    )
    assert banned_names(source) == {"softmax", "log_softmax", "TransformerEncoderLayer"}
