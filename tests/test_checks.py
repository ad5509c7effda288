"""Tests for course_lib.checks: each helper passes good input and explains bad input."""

from __future__ import annotations

import math
import sys
import types

import numpy as np
import pytest
import torch

from course_lib import checks
from course_lib.checks import CheckError, DisabledError

HINT = "did you normalise by the norms?"


def failure(call: object, *args: object, **kwargs: object) -> str:
    """Run a check that must fail and return its message."""
    assert callable(call)
    with pytest.raises(CheckError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def assert_layout(message: str, name: str, hint: str = HINT) -> None:
    """The message has the standard layout: name line, expected, got, likely mistake."""
    lines = message.splitlines()
    assert lines[0].startswith(f"{name}: ")
    assert any(line.startswith("  expected: ") for line in lines)
    assert any(line.startswith("  got:      ") for line in lines)
    assert lines[-1] == f"  likely mistake: {hint}"


# ---------------------------------------------------------------------------------------------
# CheckError and message layout


def test_check_error_is_an_assertion_error_so_plain_test_cells_fail() -> None:
    assert issubclass(CheckError, AssertionError)
    assert issubclass(DisabledError, RuntimeError)


def test_message_has_no_hint_line_when_no_hint_is_given() -> None:
    message = failure(checks.check_equal, 3, 4, "n")
    assert message == "n: wrong value\n  expected: 4\n  got:      3"


def test_long_arrays_are_shown_compactly_with_their_shape() -> None:
    message = failure(checks.check_close, np.zeros((50, 50)), np.ones((50, 50)), "big")
    assert "shape (50, 50)" in message
    assert len(message.splitlines()) < 25
    assert "..." in message


def test_public_names_are_exported() -> None:
    assert set(checks.__all__) >= {
        "CheckError",
        "DisabledError",
        "check_choice",
        "check_close",
        "check_equal",
        "check_finite",
        "check_in_range",
        "check_shape",
        "check_type",
        "disabled",
    }


def test_importing_checks_does_not_import_torch() -> None:
    import subprocess

    code = "import sys, course_lib.checks; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# check_type


def test_check_type_passes_matching_types() -> None:
    checks.check_type(1.5, float, "x")
    checks.check_type(np.float64(1.5), float, "x")
    checks.check_type(3, (int, float), "x")
    checks.check_type(np.zeros(2), np.ndarray, "x")


def test_check_type_failure_names_expected_and_got_types() -> None:
    message = failure(checks.check_type, [1.0], float, "cos", hint=HINT)
    assert_layout(message, "cos")
    assert "expected: float" in message
    assert "got:      list" in message


def test_check_type_lists_all_allowed_types() -> None:
    message = failure(checks.check_type, "1", (int, float), "x")
    assert "int or float" in message
    assert "got:      str" in message


def test_check_type_on_none_says_return_is_missing() -> None:
    message = failure(checks.check_type, None, float, "x")
    assert "returned None: did you forget `return`?" in message


# ---------------------------------------------------------------------------------------------
# check_shape


def test_check_shape_passes_numpy_and_torch_and_wildcards() -> None:
    checks.check_shape(np.zeros((2, 3)), (2, 3), "x")
    checks.check_shape(torch.zeros(2, 3), (2, 3), "x")
    checks.check_shape(np.zeros((7, 3)), (None, 3), "x")


def test_check_shape_wrong_size_names_the_dimension() -> None:
    message = failure(checks.check_shape, np.zeros((2, 4)), (2, 3), "weights", hint=HINT)
    assert_layout(message, "weights")
    assert "dimension 1 has size 4, expected 3" in message
    assert "expected: shape (2, 3)" in message
    assert "got:      shape (2, 4)" in message


def test_check_shape_wrong_number_of_dimensions() -> None:
    message = failure(checks.check_shape, torch.zeros(2, 3), (2, 3, 4), "x", hint=HINT)
    assert_layout(message, "x")
    assert "wrong number of dimensions (2 instead of 3)" in message


def test_check_shape_wildcard_is_shown_as_any() -> None:
    message = failure(checks.check_shape, np.zeros((2, 4)), (None, 3), "x")
    assert "expected: shape (any, 3)" in message


def test_check_shape_without_shape_says_what_came_back() -> None:
    message = failure(checks.check_shape, [1, 2, 3], (3,), "x", hint=HINT)
    assert_layout(message, "x")
    assert "expected an array with shape (3,), got a list" in message


def test_check_shape_on_none_says_return_is_missing() -> None:
    message = failure(checks.check_shape, None, (3,), "x")
    assert "returned None" in message


# ---------------------------------------------------------------------------------------------
# check_close


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (0.5, 0.5),
        (0.5 + 1e-9, 0.5),
        (np.float32(0.25), 0.25),
        ([1.0, 2.0], np.array([1.0, 2.0])),
        (torch.tensor([1.0, 2.0]), np.array([1.0, 2.0])),
        (torch.tensor(0.5), 0.5),
        (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
        (np.array([np.inf]), np.array([np.inf])),
        (torch.tensor([1.0, 2.0], dtype=torch.bfloat16), [1.0, 2.0]),
        (torch.ones(2, requires_grad=True), np.ones(2)),
        (np.array([1, 2]), [1.0, 2.0]),
    ],
)
def test_check_close_passes_close_values_of_any_kind(got: object, expected: object) -> None:
    checks.check_close(got, expected, "x")


def test_check_close_none_says_return_is_missing() -> None:
    message = failure(checks.check_close, None, np.ones(3), "attention_weights", hint=HINT)
    assert_layout(message, "attention_weights")
    assert "attention_weights: returned None: did you forget `return`?" in message


def test_check_close_shape_mismatch_is_reported_before_values() -> None:
    message = failure(checks.check_close, np.ones((3, 2)), np.ones((2, 3)), "x", hint=HINT)
    assert_layout(message, "x")
    assert "wrong shape (3, 2), expected (2, 3)" in message


def test_check_close_array_where_number_expected_fails() -> None:
    message = failure(checks.check_close, np.array([0.5]), 0.5, "cos")
    assert "expected a single number, got an array of shape (1,)" in message


def test_check_close_number_where_array_expected_fails() -> None:
    message = failure(checks.check_close, 1.0, np.ones(3), "x")
    assert "expected an array of shape (3,), got a single number" in message


def test_check_close_nan_is_counted_and_located() -> None:
    got = np.array([[0.1, 0.2], [np.nan, np.nan]])
    message = failure(checks.check_close, got, np.zeros((2, 2)), "x", hint=HINT)
    assert_layout(message, "x")
    assert "contains 2 NaN values where finite values are expected" in message
    assert "first at index (1, 0)" in message


def test_check_close_inf_in_a_torch_tensor_is_reported() -> None:
    got = torch.tensor([1.0, float("inf")])
    message = failure(checks.check_close, got, [1.0, 2.0], "x")
    assert "contains 1 inf value where finite values are expected (first at index (1,))" in message


def test_check_close_nan_where_a_number_is_expected_fails() -> None:
    message = failure(checks.check_close, float("nan"), 1.0, "x")
    assert "contains 1 NaN value" in message


def test_check_close_reports_largest_difference_and_where() -> None:
    got = np.array([[1.0, 2.0], [3.0, 4.5]])
    expected = np.array([[1.0, 2.1], [3.0, 4.0]])
    message = failure(checks.check_close, got, expected, "scores", hint=HINT)
    assert_layout(message, "scores")
    assert "2 of 4 values differ" in message
    assert "largest difference is 0.5 at index (1, 1): expected 4.0, got 4.5" in message
    assert "expected: array of shape (2, 2)" in message
    assert "got:      array of shape (2, 2)" in message


def test_check_close_scalar_difference_is_reported() -> None:
    message = failure(checks.check_close, 0.7, 0.5, "cos", hint=HINT)
    assert_layout(message, "cos")
    assert "value differs by 0.2" in message
    assert "expected: 0.5" in message
    assert "got:      0.7" in message


def test_check_close_respects_tolerances() -> None:
    checks.check_close(1.05, 1.0, "x", atol=0.1)
    checks.check_close(105.0, 100.0, "x", atol=0.0, rtol=0.1)
    failure(checks.check_close, 1.05, 1.0, "x", atol=0.01, rtol=0.0)


def test_check_close_nan_where_expected_is_finite_only_partially() -> None:
    got = np.array([np.nan, 1.0])
    expected = np.array([np.nan, 2.0])
    message = failure(checks.check_close, got, expected, "x")
    assert "1 of 2 values differ" in message
    assert "at index (1,)" in message


def test_check_close_finite_where_nan_expected_fails() -> None:
    message = failure(checks.check_close, np.array([1.0]), np.array([np.nan]), "x")
    assert "1 of 1 values differ" in message


def test_check_close_non_numeric_got_fails_clearly() -> None:
    message = failure(checks.check_close, "0.5", 0.5, "x")
    assert "expected numbers, got a str" in message


def test_check_close_shows_torch_tensors_as_tensors() -> None:
    message = failure(checks.check_close, torch.tensor([1.0, 2.0]), [1.0, 3.0], "x")
    assert "got:      tensor of shape (2,), dtype torch.float32" in message


# ---------------------------------------------------------------------------------------------
# check_equal


@pytest.mark.parametrize("value", [3, True, "kitten", ["a", "b"], ("a", 1), [[1, 2], [3]], None])
def test_check_equal_passes_equal_values(value: object) -> None:
    checks.check_equal(value, value, "x")


def test_check_equal_passes_equal_arrays() -> None:
    checks.check_equal(np.array([1, 2]), np.array([1, 2]), "x")
    checks.check_equal(torch.tensor([True, False]), np.array([True, False]), "x")


def test_check_equal_failure_shows_both_values_and_hint() -> None:
    message = failure(checks.check_equal, "cat", "kitten", "word", hint=HINT)
    assert_layout(message, "word")
    assert "expected: 'kitten'" in message
    assert "got:      'cat'" in message


def test_check_equal_lists_report_the_first_difference() -> None:
    message = failure(checks.check_equal, ["a", "b", "c"], ["a", "x", "c"], "top3")
    assert "first difference at position 1: expected 'x', got 'b'" in message


def test_check_equal_lists_of_different_length() -> None:
    message = failure(checks.check_equal, ["a"], ["a", "b"], "top")
    assert "wrong length (1 items instead of 2)" in message


def test_check_equal_names_a_type_mismatch() -> None:
    message = failure(checks.check_equal, ("a", "b"), ["a", "b"], "top")
    assert "wrong type, expected a list, got a tuple" in message


def test_check_equal_on_none_says_return_is_missing() -> None:
    message = failure(checks.check_equal, None, ["a"], "top")
    assert "returned None" in message


def test_check_equal_different_arrays_fail() -> None:
    failure(checks.check_equal, np.array([1, 2]), np.array([1, 3]), "x")
    failure(checks.check_equal, torch.tensor([1, 2]), torch.tensor([1, 3]), "x")


# ---------------------------------------------------------------------------------------------
# check_finite


def test_check_finite_passes_finite_values() -> None:
    checks.check_finite(1.0, "x")
    checks.check_finite(np.arange(4), "x")
    checks.check_finite(torch.randn(3, 3), "x")


def test_check_finite_counts_nan_and_inf_and_locates_the_first() -> None:
    x = torch.tensor([[0.0, float("nan")], [float("-inf"), float("inf")]])
    message = failure(checks.check_finite, x, "logits", hint=HINT)
    assert_layout(message, "logits")
    assert "contains 1 NaN and 2 inf values (first at index (0, 1))" in message
    assert "expected: only finite values" in message


def test_check_finite_on_a_python_float() -> None:
    message = failure(checks.check_finite, math.inf, "x")
    assert "contains 1 inf value" in message


def test_check_finite_on_none_says_return_is_missing() -> None:
    assert "returned None" in failure(checks.check_finite, None, "x")


# ---------------------------------------------------------------------------------------------
# check_in_range


def test_check_in_range_passes_inclusive_bounds_with_tolerance() -> None:
    checks.check_in_range(0.0, 0.0, 1.0, "p")
    checks.check_in_range(1.0, 0.0, 1.0, "p")
    checks.check_in_range(1.0 + 1e-12, 0.0, 1.0, "p")
    checks.check_in_range(-1.0 - 1e-12, -1.0, 1.0, "cos")
    checks.check_in_range(np.array([0.2, 0.8]), 0.0, 1.0, "p")
    checks.check_in_range(torch.tensor(0.5), 0.0, 1.0, "p")


def test_check_in_range_failure_shows_range_and_value() -> None:
    message = failure(checks.check_in_range, 1.2, -1.0, 1.0, "cos", hint=HINT)
    assert_layout(message, "cos")
    assert "1.2 is outside [-1.0, 1.0]" in message
    assert "expected: a value in [-1.0, 1.0]" in message
    assert "got:      1.2" in message


def test_check_in_range_just_beyond_tolerance_fails() -> None:
    failure(checks.check_in_range, 1.0 + 1e-6, 0.0, 1.0, "p")


def test_check_in_range_nan_fails() -> None:
    failure(checks.check_in_range, float("nan"), 0.0, 1.0, "p")


def test_check_in_range_array_reports_first_value_outside() -> None:
    message = failure(checks.check_in_range, np.array([0.5, -0.1, 2.0]), 0.0, 1.0, "p")
    assert "2 of 3 values are outside [0.0, 1.0] (first at index (1,): -0.1)" in message


# ---------------------------------------------------------------------------------------------
# check_choice


def test_check_choice_passes_an_allowed_option() -> None:
    checks.check_choice("b", ("a", "b", "c", "d"), "answer_1")
    checks.check_choice(2, [1, 2, 3], "answer_2")
    checks.check_choice(True, [True, False], "answer_3")


def test_check_choice_none_lists_the_options() -> None:
    message = failure(checks.check_choice, None, ("a", "b", "c", "d"), "answer_1")
    assert message.splitlines()[0] == ("answer_1: must be one of 'a', 'b', 'c', 'd'; got None")
    assert "expected: one of 'a', 'b', 'c', 'd'" in message
    assert "got:      None" in message
    assert "likely mistake: replace None" in message


def test_check_choice_suggests_the_exact_spelling() -> None:
    message = failure(checks.check_choice, " B ", ("a", "b"), "answer_1")
    assert "did you mean 'b'?" in message


def test_check_choice_number_given_as_string() -> None:
    message = failure(checks.check_choice, "2", (1, 2, 3), "answer_2")
    assert "write the number without quotes" in message


def test_check_choice_does_not_confuse_bools_with_numbers() -> None:
    failure(checks.check_choice, True, (1, 2), "answer")
    failure(checks.check_choice, 1, (True, False), "answer")


# ---------------------------------------------------------------------------------------------
# disabled


def test_disabled_makes_the_function_raise_and_restores_it() -> None:
    original = torch.softmax
    with checks.disabled((torch, "softmax"), (torch.nn.functional, "softmax")):
        with pytest.raises(DisabledError) as caught:
            torch.softmax(torch.zeros(3), dim=0)
        assert str(caught.value) == (
            "torch.softmax is disabled in this test: the exercise asks you to write it from scratch"
        )
        with pytest.raises(DisabledError, match=r"torch\.nn\.functional\.softmax is disabled"):
            torch.nn.functional.softmax(torch.zeros(3), dim=0)
        with pytest.raises(DisabledError):  # modules that call F.softmax are caught too
            torch.nn.Softmax(dim=0)(torch.zeros(3))
    assert torch.softmax is original
    assert torch.softmax(torch.zeros(2), dim=0).tolist() == [0.5, 0.5]


def test_disabled_restores_even_when_the_block_raises() -> None:
    original = torch.nn.functional.softmax
    with pytest.raises(ZeroDivisionError):
        with checks.disabled((torch.nn.functional, "softmax")):
            _ = 1 / 0
    assert torch.nn.functional.softmax is original


def test_disabled_restores_even_when_the_disabled_function_was_called() -> None:
    original = np.exp
    with pytest.raises(DisabledError):
        with checks.disabled((np, "exp")):
            np.exp(1.0)
    assert np.exp is original


def test_disabled_uses_the_given_reason() -> None:
    with checks.disabled((np, "linalg"), reason="compute the norm yourself"):
        with pytest.raises(DisabledError, match="numpy.linalg is disabled in this test: compute"):
            np.linalg()  # type: ignore[operator]


def test_disabled_tensor_method_on_the_class_and_restores_inheritance() -> None:
    assert "softmax" not in torch.Tensor.__dict__  # inherited from the C base class
    with checks.disabled((torch.Tensor, "softmax")):
        with pytest.raises(DisabledError, match=r"Tensor\.softmax is disabled"):
            torch.zeros(3).softmax(dim=0)
    assert "softmax" not in torch.Tensor.__dict__
    assert torch.zeros(2).softmax(dim=0).tolist() == [0.5, 0.5]


def test_disabled_on_an_object_names_its_type() -> None:
    holder = types.SimpleNamespace(f=lambda: 1)
    with checks.disabled((holder, "f")):
        with pytest.raises(DisabledError, match=r"SimpleNamespace\.f is disabled"):
            holder.f()
    assert holder.f() == 1


def test_disabled_typo_in_attribute_raises_and_restores_earlier_targets() -> None:
    original = np.exp
    with pytest.raises(AttributeError):
        with checks.disabled((np, "exp"), (np, "no_such_function")):
            pass
    assert np.exp is original


def test_disabled_holds_whatever_name_reaches_the_function():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    x = torch.randn(2, 3)
    alias, f_alias, forward = torch.softmax, F.softmax, nn.TransformerEncoderLayer.forward
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    bans = [(torch, "softmax"), (torch.Tensor, "softmax"), (F, "softmax")]
    bans.append((nn.TransformerEncoderLayer, "forward"))
    routes = {
        "a reference taken before the ban": lambda: alias(x, -1),
        "a bound method": lambda: x.softmax(-1),
        "a reference to the Python function": lambda: f_alias(x, -1),
        "a module that calls it": lambda: nn.Softmax(dim=-1)(x),
        "a method reached through its class": lambda: forward(layer, torch.randn(1, 2, 8)),
    }
    for route, call in routes.items():
        with pytest.raises(checks.DisabledError), checks.disabled(*bans):
            call()
        assert sys.getprofile() is None, route
    with checks.disabled(*bans):
        torch.exp(x).sum()  # what is not banned still works
    assert torch.allclose(alias(x, -1), F.softmax(x, -1))  # and everything is back after


@pytest.mark.parametrize("value", [np.int64(3), np.int32(-1), np.float32(0.5), np.float64(2.0)])
def test_check_type_takes_numpy_scalars_as_the_numbers_they_are(value):
    checks.check_type(value, (int, float), "answer")


def test_check_type_still_refuses_arrays_and_bools_as_numbers():
    with pytest.raises(checks.CheckError):
        checks.check_type(np.array([3]), (int, float), "answer")
    with pytest.raises(checks.CheckError):
        checks.check_type(np.float64(1.0), int, "answer")
    with pytest.raises(checks.CheckError):
        checks.check_type("3", (int, float), "answer")


def test_a_ban_holds_whatever_name_or_thread_reaches_the_built_in() -> None:
    import sys
    import threading

    import torch

    x = torch.randn(2, 3)
    early = torch.softmax

    def in_a_thread():
        out: list = []
        worker = threading.Thread(
            target=lambda: out.append(torch.ops.aten._softmax.default(x, -1, False))
        )
        worker.start()
        worker.join()
        return out[0]  # IndexError when the thread was stopped

    routes = {
        "early reference": lambda: early(x, -1),
        "aten overload": lambda: torch.ops.aten._softmax.default(x, -1, False),
        "aten packet": lambda: torch.ops.aten.softmax(x, -1),
        "aten safe softmax": lambda: torch.ops.aten._safe_softmax(x, -1),
        "variable functions": lambda: torch._C._VariableFunctions._softmax(x, -1, False),
        "sparse": lambda: torch.sparse.softmax(x.to_sparse(), -1),
        "hook removed by string": lambda: (vars(sys)["setprofile"](None), early(x, -1)),
    }
    for label, route in routes.items():
        with pytest.raises(checks.DisabledError):
            with checks.disabled((torch, "softmax")):
                route()
        assert sys.getprofile() is None, label
    with pytest.raises((checks.DisabledError, IndexError)):
        with checks.disabled((torch, "softmax")):
            in_a_thread()
    # the student's own softmax is not a built-in: it runs; after the block everything works
    with checks.disabled((torch, "softmax"), (torch.Tensor, "softmax")):
        e = torch.exp(x - x.amax(-1, keepdim=True))
        own = e / e.sum(-1, keepdim=True)
    assert torch.allclose(own, torch.softmax(x, -1))
    assert torch.allclose(torch.ops.aten._softmax.default(x, -1, False), own)
    assert threading.getprofile() is None
