"""The multiple-choice questions of every notebook's "Check your understanding": the keys are
spread over the letters and the right option is not given away by being the longest, so that
answering one letter everywhere, or always the longest option, earns few points (issue 14).

A question is a numbered item of the markdown cell just above the ``understanding`` cell, its
options are ``(a) ...; (b) ...`` in that item, and its key is the letter that the solution region
of the ``understanding`` cell assigns to ``answer_N``; the hidden test of ``test_understanding_qN``
must give the same letter."""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass

import nbformat
import pytest
from conftest import REPO

from autograder.course import Course
from autograder.mutants import solution_regions

# Course-wide limits: issue 14 asks for no letter above 35% of the keys.
MAX_SHARE_OF_ONE_LETTER = 0.35
MAX_SHARE_LONGEST_IS_KEY = 0.5

OPTION = re.compile(r"\(([a-d])\)\s")
ITEM = re.compile(r"^(\d+)\.\s", re.MULTILINE)


@dataclass(frozen=True)
class Question:
    assignment: str
    number: int
    options: dict[str, str]  # letter -> option text
    key: str

    @property
    def key_is_longest(self) -> bool:
        """The key is the strictly longest option (a tie gives nothing away)."""
        lengths = {letter: len(text) for letter, text in self.options.items()}
        return all(lengths[self.key] > n for letter, n in lengths.items() if letter != self.key)


def _cells(assignment: str) -> list:
    nb = nbformat.read(str(Course(REPO).source_notebook(assignment)), as_version=4)
    return nb.cells


def _options(item: str) -> dict[str, str]:
    """``(a) first; (b) second.`` -> {"a": "first", "b": "second"}, text squeezed to one line."""
    text = " ".join(line.lstrip("# ").strip() for line in item.splitlines())
    marks = list(OPTION.finditer(text))
    options: dict[str, str] = {}
    if not marks:
        return options
    for mark, after in zip(marks, [*marks[1:], None], strict=True):
        end = after.start() if after else len(text)
        options[mark.group(1)] = text[mark.end() : end].strip().rstrip(";.").strip()
    return options


def quiz(assignment: str) -> list[Question]:
    """The multiple-choice questions of one notebook, with their keys."""
    cells = _cells(assignment)
    (index,) = [
        i
        for i, c in enumerate(cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "understanding"
    ]
    (markdown,) = [c for c in cells[index - 1 : index] if c.cell_type == "markdown"]
    source = cells[index].source
    lines = source.splitlines()
    ((begin, end, _),) = solution_regions(source)
    key = {}
    for node in ast.parse("\n".join(lines[begin + 1 : end])).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            key[node.targets[0].id] = node.value.value
    hidden = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in cells
        if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_understanding_q")
    }
    items = list(ITEM.finditer(markdown.source))
    questions = []
    for item, after in zip(items, [*items[1:], None], strict=True):
        number = int(item.group(1))
        options = _options(markdown.source[item.end() : after.start() if after else None])
        if not options:
            continue  # a numeric question
        letter = key[f"answer_{number}"]
        assert sorted(options) == ["a", "b", "c", "d"], (assignment, number, options)
        assert letter in options, f"{assignment} question {number}: key {letter!r}"
        test = hidden[f"test_understanding_q{number}"]
        assert f'check_equal(answer_{number}, "{letter}"' in test, (
            f"{assignment} question {number}: the hidden test does not give the key {letter!r}"
        )
        questions.append(Question(assignment, number, options, letter))
    return questions


ASSIGNMENTS = [a for a in Course(REPO).assignments() if Course(REPO).source_notebook(a).is_file()]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_multiple_choice_question_is_found_with_its_key(assignment):
    """Each question with options (a)-(d) has a letter key that its hidden test checks; a
    question that the parser cannot read fails here instead of slipping out of the counts."""
    cells = _cells(assignment)
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    if "Check your understanding" not in text:
        pytest.skip("no quiz")
    questions = quiz(assignment)
    assert all(q.key in "abcd" for q in questions)


def _all_questions() -> list[Question]:
    return [q for a in ASSIGNMENTS for q in quiz(a)]


def test_no_letter_holds_too_many_keys():
    """Answering the same letter everywhere earns at most about a third of the quiz points."""
    questions = _all_questions()
    counts = Counter(q.key for q in questions)
    letter, n = counts.most_common(1)[0]
    assert n <= MAX_SHARE_OF_ONE_LETTER * len(questions), (
        f"{n} of {len(questions)} keys are {letter!r}: {dict(sorted(counts.items()))}"
    )


def test_the_longest_option_is_not_usually_the_key():
    """Always picking the longest option earns at most half of the quiz points."""
    questions = _all_questions()
    longest = [f"{q.assignment} q{q.number}" for q in questions if q.key_is_longest]
    assert len(longest) <= MAX_SHARE_LONGEST_IS_KEY * len(questions), (
        f"the key is the longest option in {len(longest)} of {len(questions)}: {longest}"
    )
