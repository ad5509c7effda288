"""autograder/diagnosis.py: a lost point named by the catalogued misconception it matches."""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import TINY

from autograder.diagnosis import (
    SIGNATURES_FILE,
    diagnose,
    exercise_of_tests,
    load_signatures,
)

SIGNATURES = {
    "mutants": [
        {"name": "m1", "exercise": "A", "idea": "sums the wrong axis", "failed": ["a1", "b1"]},
        {"name": "m2", "exercise": "A", "idea": "forgets the scale", "failed": ["a2"]},
        {"name": "m3", "exercise": "A", "idea": "drops the bias", "failed": ["a2"]},
        {"name": "m4", "exercise": "B", "idea": "reverses the mask", "failed": ["b2"]},
    ]
}
OWNER = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}


def test_a_failure_that_matches_one_mutant_is_named() -> None:
    assert diagnose(SIGNATURES, OWNER, {"b2"}) == {"b2": "reverses the mask"}


def test_a_mutant_matches_only_when_its_later_failures_failed_too() -> None:
    """m1 also fails b1 (a later exercise built on A): without b1 failing it does not match."""
    assert diagnose(SIGNATURES, OWNER, {"a1", "b1"})["a1"] == "sums the wrong axis"
    assert "a1" not in diagnose(SIGNATURES, OWNER, {"a1"})


def test_two_mutants_with_one_signature_are_both_named() -> None:
    assert diagnose(SIGNATURES, OWNER, {"a2"}) == {"a2": "forgets the scale or drops the bias"}


def test_mistakes_in_two_exercises_are_named_separately() -> None:
    found = diagnose(SIGNATURES, OWNER, {"a2", "b2"})
    assert found == {"a2": "forgets the scale or drops the bias", "b2": "reverses the mask"}


def test_no_signatures_or_no_match_names_nothing() -> None:
    assert diagnose(None, OWNER, {"a2"}) == {}
    assert diagnose(SIGNATURES, OWNER, {"a1", "a2"}) == {}


def test_each_test_cell_belongs_to_the_solution_cell_before_it(tiny_course) -> None:
    source = nbformat.read(str(tiny_course.source_notebook(TINY)), as_version=4)
    owner = exercise_of_tests(source)
    assert owner == {
        "test_double_small": "double",
        "test_double_hidden": "double",
        "test_halve": "halve",
    }


@pytest.mark.slow
def test_mutants_writes_the_signatures_and_check_fails_when_they_are_stale(
    tiny_course, monkeypatch
) -> None:
    from test_mutants import HALVE_MUTANTS

    from autograder.check import check_mutants
    from autograder.cli import main

    with (tiny_course.solutions / TINY / "mutants.py").open("a") as f:
        f.write(HALVE_MUTANTS)  # five mutants per exercise, as check requires
    assert load_signatures(tiny_course, TINY) is None
    assert check_mutants(tiny_course, [TINY]).ok  # none yet: reported, not a failure
    monkeypatch.setenv("COURSE_ROOT", str(tiny_course.root))
    monkeypatch.chdir(tiny_course.root)
    assert main(["mutants", "--assignment", TINY]) == 0
    stored = load_signatures(tiny_course, TINY)
    assert stored and all(m["failed"] for m in stored["mutants"])
    assert check_mutants(tiny_course, [TINY]).ok
    path = tiny_course.solutions / TINY / SIGNATURES_FILE
    stored["mutants"][0]["failed"] = []
    path.write_text(json.dumps(stored))
    result = check_mutants(tiny_course, [TINY])
    assert not result.ok and f"{SIGNATURES_FILE} is out of date" in result.detail


def test_an_exercise_built_on_an_earlier_one_names_it(course) -> None:
    """05's MultiHeadAttention uses split_heads and merge_heads (exercises 5.1, 5.2)."""
    from autograder.diagnosis import builds_on

    source = nbformat.read(str(course.source_notebook("05_multi_head_attention")), as_version=4)
    uses = builds_on(source)
    assert {"split_heads", "merge_heads"} <= set(uses["MultiHeadAttention"])
    assert "split_heads" not in uses


def test_a_literal_answer_is_diagnosed_by_the_option_the_student_chose() -> None:
    from autograder.diagnosis import diagnose_answers, literal_answers

    assert literal_answers('x = None\n# YOUR CODE HERE\nx = " B "\ny = 0.25') == {
        "x": " B ",
        "y": 0.25,
    }
    assert literal_answers("x = 'b'\nprint(x)") is None  # code, not literals
    assert literal_answers("x = float('1')") is None
    signatures = {
        "mutants": [
            {"name": "opt_a", "idea": "believes a", "failed": ["test_pick"]},
            {"name": "opt_b", "idea": "believes b", "failed": ["test_pick"]},
            {"name": "q2_wrong", "idea": "mixes up q2", "failed": ["test_q2"]},
        ]
    }
    sources = {"opt_a": 'pick = "a"', "opt_b": 'pick = "b"', "q2_wrong": "pick = 'c'\nq2 = 3"}
    solution = {"pick": "c", "q2": 4}
    # only the chosen option's idea, whatever the case and spaces
    got = diagnose_answers(signatures, sources, solution, {"pick": " B ", "q2": 4}, {"test_pick"})
    assert got == {"test_pick": "believes b"}
    got = diagnose_answers(signatures, sources, solution, {"pick": "c", "q2": 3}, {"test_q2"})
    assert got == {"test_q2": "mixes up q2"}
    # an answer no mutant wrote names nothing; a passed cell is never labelled
    assert diagnose_answers(signatures, sources, solution, {"pick": "d"}, {"test_pick"}) == {}
    assert diagnose_answers(signatures, sources, solution, {"pick": "a"}, set()) == {}
