"""Assertion helpers that tell a student what is wrong, in the same words in every notebook.

Every failed check raises :class:`CheckError` (an ``AssertionError``) with a message laid out as::

    weights: rows do not sum to 1
      expected: array of shape (2,): [1. 1.]
      got:      array of shape (2,): [0.73 1.  ]
      likely mistake: did you apply the mask after the softmax?

The last line appears only when the caller gives a ``hint``. The helpers accept numpy arrays,
torch tensors, Python numbers and lists; torch is never imported here, so numpy-only notebooks
do not pay for it.

:func:`disabled` switches functions off while a test runs, to grade "write it from scratch"
exercises with the built-in they replace unavailable.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import numpy as np

__all__ = [
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
    "probe",
]

_MAX_VALUE_LINES = 6
_MAX_LINE_CHARS = 100
_INDENT = " " * len("  expected: ")
_RETURNED_NONE = "returned None: did you forget `return`?"


class CheckError(AssertionError):
    """A check failed; the message says what was expected, what came back and, often, why."""


class DisabledError(RuntimeError):
    """A function was called that the test has disabled (see :func:`disabled`)."""


# ----------------------------------------------------------------------------------------------
# Showing values


def _is_tensor(x: object) -> bool:
    """Whether ``x`` is a torch tensor, without importing torch."""
    return any(
        cls.__name__ == "Tensor" and cls.__module__.startswith("torch") for cls in type(x).__mro__
    ) and hasattr(x, "detach")


def _tensor_to_numpy(x: Any) -> np.ndarray:
    """Copy a torch tensor to a numpy array on the CPU (bfloat16 and friends become float64)."""
    t = x.detach().cpu()
    try:
        return t.numpy()
    except (TypeError, RuntimeError):  # dtypes numpy lacks, e.g. bfloat16
        return t.double().numpy()


def _kind(x: object) -> str:
    """A short noun phrase for the type of ``x``: "a list", "an int", "a Tensor"."""
    name = type(x).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}"


def _array_text(a: np.ndarray) -> str:
    """Render an array compactly: 4 decimals, at most a few lines."""
    text = np.array2string(
        a,
        precision=4,
        threshold=24,
        edgeitems=3 if a.ndim == 1 else 2,
        max_line_width=_MAX_LINE_CHARS - len(_INDENT),
        suppress_small=True,
    )
    lines = text.splitlines()
    if len(lines) > _MAX_VALUE_LINES:
        lines = [*lines[: _MAX_VALUE_LINES - 2], " ...", lines[-1]]
    return "\n".join(lines)


def _show(x: object) -> str:
    """Render any value for a message: arrays with their shape, scalars and others by repr."""
    if _is_tensor(x):
        a = _tensor_to_numpy(x)
        if a.ndim == 0:
            return f"tensor({_show(a.item())})"
        dtype = getattr(x, "dtype", "?")
        return f"tensor of shape {_shape_text(a.shape)}, dtype {dtype}:\n{_array_text(a)}"
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return _show(x.item())
        return f"array of shape {_shape_text(x.shape)}, dtype {x.dtype}:\n{_array_text(x)}"
    if isinstance(x, np.generic):
        return _show(x.item())
    if isinstance(x, float):
        text = repr(x)
        return text if len(text) <= 12 or not math.isfinite(x) else f"{x:.8g}"
    text = repr(x)
    if len(text) > 3 * _MAX_LINE_CHARS:
        text = text[: 3 * _MAX_LINE_CHARS - 4] + " ..."
    return text


def _shape_text(shape: Sequence[int | None]) -> str:
    """Write a shape like Python does, with ``any`` for wildcards: ``(2, any)``, ``(3,)``."""
    parts = ["any" if size is None else str(int(size)) for size in shape]
    if len(parts) == 1:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


def _index_text(index: tuple[int, ...]) -> str:
    """Write an array index as ``(1, 2)`` or ``(3,)``; the empty index of a scalar as ``()``."""
    return _shape_text(index) if index else "()"


def _indent(text: str) -> str:
    """Indent continuation lines so that they line up under the first one."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(_INDENT + line if line.strip() else "" for line in rest)])


def _fail(name: str, problem: str, expected: str, got: str, hint: str = "") -> NoReturn:
    """Raise a :class:`CheckError` with the standard layout."""
    lines = [
        f"{name}: {problem}",
        f"  expected: {_indent(expected)}",
        f"  got:      {_indent(got)}",
    ]
    if hint:
        lines.append(f"  likely mistake: {hint}")
    raise CheckError("\n".join(lines))


def _as_numeric_array(x: object, name: str, expected: str, hint: str) -> np.ndarray:
    """Convert ``x`` to a numeric numpy array, or fail with a message about what it is."""
    if x is None:
        _fail(name, _RETURNED_NONE, expected, "None", hint)
    if _is_tensor(x):
        a = _tensor_to_numpy(x)
    else:
        try:
            a = np.asarray(x)
        except (ValueError, TypeError):  # ragged lists and the like
            a = np.asarray(x, dtype=object)
    if a.dtype.kind not in "biufc":
        _fail(
            name,
            f"expected numbers, got {_kind(x)} that is not numeric",
            expected,
            _show(x),
            hint,
        )
    return a


# ----------------------------------------------------------------------------------------------
# Checks


def check_type(
    value: object,
    expected_type: type | tuple[type, ...],
    name: str,
    hint: str = "",
) -> None:
    """Check that ``value`` is an instance of ``expected_type`` (or one of several types).

    numpy's scalars count as the Python numbers they stand for: ``np.int64(3)`` is an ``int``
    here and ``np.float32(0.5)`` a ``float`` (an answer computed with numpy is still a number).

    Args:
        value: what the student's code returned.
        expected_type: a type, or a tuple of types any of which is fine.
        name: how the message refers to the value, e.g. ``"cosine_similarity(a, b)"``.
        hint: the likely mistake, shown when the check fails.

    Raises:
        CheckError: ``value`` has another type.
    """
    types_ = expected_type if isinstance(expected_type, tuple) else (expected_type,)
    if isinstance(value, types_):
        return
    if int in types_ and isinstance(value, np.integer):
        return
    if float in types_ and isinstance(value, np.floating):
        return
    wanted = " or ".join(t.__name__ for t in types_)
    problem = _RETURNED_NONE if value is None else f"wrong type, expected {wanted}"
    _fail(name, problem, wanted, f"{type(value).__name__}: {_show(value)}", hint)


def check_shape(
    x: object,
    expected_shape: tuple[int | None, ...],
    name: str,
    hint: str = "",
) -> None:
    """Check the shape of an array or tensor; ``None`` in ``expected_shape`` matches any size.

    Args:
        x: a numpy array, a torch tensor, or anything with a ``.shape``.
        expected_shape: e.g. ``(batch, n_keys)``, or ``(None, 4)`` for any number of rows.
        name: how the message refers to ``x``.
        hint: the likely mistake, shown when the check fails.

    Raises:
        CheckError: ``x`` has no shape, another number of dimensions, or a wrong size.
    """
    want = _shape_text(expected_shape)
    if x is None:
        _fail(name, _RETURNED_NONE, f"an array with shape {want}", "None", hint)
    shape = getattr(x, "shape", None)
    if shape is None:
        _fail(
            name,
            f"expected an array with shape {want}, got {_kind(x)}",
            f"an array with shape {want}",
            f"{type(x).__name__}: {_show(x)}",
            hint,
        )
    got_shape = tuple(int(size) for size in shape)
    got = _shape_text(got_shape)
    if len(got_shape) != len(expected_shape):
        _fail(
            name,
            f"wrong number of dimensions ({len(got_shape)} instead of {len(expected_shape)})",
            f"shape {want}",
            f"shape {got}",
            hint,
        )
    for dim, (size, wanted) in enumerate(zip(got_shape, expected_shape, strict=True)):
        if wanted is not None and size != wanted:
            _fail(
                name,
                f"wrong shape (dimension {dim} has size {size}, expected {wanted})",
                f"shape {want}",
                f"shape {got}",
                hint,
            )


def _nonfinite_summary(a: np.ndarray, mask: np.ndarray, context: str = "") -> str:
    """Say how many NaN and inf values ``mask`` selects in ``a``, and where the first one is.

    ``context`` goes between the count and the place, e.g. "where finite values are expected".
    """
    n_nan = int(np.count_nonzero(np.isnan(a) & mask))
    n_inf = int(np.count_nonzero(np.isinf(a) & mask))
    parts = []
    if n_nan:
        parts.append(f"{n_nan} NaN")
    if n_inf:
        parts.append(f"{n_inf} inf")
    text = " and ".join(parts) + " value" + ("s" if n_nan + n_inf > 1 else "")
    if context:
        text += f" {context}"
    if a.ndim:
        first = tuple(int(i) for i in np.argwhere(mask)[0])
        text += f" (first at index {_index_text(first)})"
    return text


def check_close(
    got: object,
    expected: object,
    name: str,
    *,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    hint: str = "",
) -> None:
    """Check that numbers or arrays agree within a tolerance, like ``np.allclose``.

    The checks run in this order, and the first that fails is reported: ``got`` is not None;
    it has the shape of ``expected`` (a single number when ``expected`` is one); it has no NaN
    or inf where ``expected`` is finite; every element satisfies
    ``|got - expected| <= atol + rtol * |expected|``. NaN where ``expected`` has NaN is fine.

    Args:
        got: what the student's code returned: a number, a numpy array, a torch tensor or a list.
        expected: the reference value, of the same kinds.
        name: how the message refers to ``got``.
        atol: absolute tolerance.
        rtol: relative tolerance.
        hint: the likely mistake, shown when the check fails.

    Raises:
        CheckError: any of the above fails; the message gives the largest difference and where.
    """
    want = _as_numeric_array(expected, f"{name} (reference)", "a number or an array", "")
    shown_expected = _show(expected)
    g = _as_numeric_array(got, name, shown_expected, hint)
    if want.ndim == 0 and g.ndim > 0:
        _fail(
            name,
            f"expected a single number, got an array of shape {_shape_text(g.shape)}",
            shown_expected,
            _show(got),
            hint,
        )
    if g.shape != want.shape:
        problem = (
            f"expected an array of shape {_shape_text(want.shape)}, got a single number"
            if g.ndim == 0
            else f"wrong shape {_shape_text(g.shape)}, expected {_shape_text(want.shape)}"
        )
        _fail(
            name,
            problem,
            shown_expected,
            _show(got),
            hint,
        )
    kind = complex if "c" in (g.dtype.kind, want.dtype.kind) else float
    g = g.astype(np.complex128 if kind is complex else np.float64)
    want = want.astype(np.complex128 if kind is complex else np.float64)
    bad_nonfinite = ~np.isfinite(g) & np.isfinite(want)
    if bad_nonfinite.any():
        _fail(
            name,
            "contains " + _nonfinite_summary(g, bad_nonfinite, "where finite values are expected"),
            shown_expected,
            _show(got),
            hint,
        )
    ok = np.isclose(g, want, atol=atol, rtol=rtol, equal_nan=True)
    if ok.all():
        return
    with np.errstate(invalid="ignore"):
        diff = np.abs(g - want)
    diff = np.where(ok, -1.0, np.nan_to_num(diff, nan=np.inf))
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    tolerance = f"atol={atol:g}, rtol={rtol:g}"
    if g.ndim == 0:
        problem = f"value differs by {diff.item():.4g} (tolerance {tolerance})"
    else:
        n_bad = int(np.count_nonzero(~ok))
        problem = (
            f"{n_bad} of {g.size} values differ (tolerance {tolerance}); the largest "
            f"difference is {diff[index]:.4g} at index {_index_text(index)}: expected "
            f"{_show(want[index].item())}, got {_show(g[index].item())}"
        )
    _fail(name, problem, shown_expected, _show(got), hint)


def check_equal(got: object, expected: object, name: str, hint: str = "") -> None:
    """Check exact equality (``==``) of lists, strings, ints, bools, tuples and the like.

    Args:
        got: what the student's code returned.
        expected: the reference value.
        name: how the message refers to ``got``.
        hint: the likely mistake, shown when the check fails.

    Raises:
        CheckError: the values differ; for two lists or tuples the message says where.
    """
    if got is None and expected is not None:
        _fail(name, _RETURNED_NONE, _show(expected), "None", hint)
    try:
        equal = bool(got == expected)
    except (ValueError, TypeError, RuntimeError):  # arrays and tensors compare elementwise
        left = _tensor_to_numpy(got) if _is_tensor(got) else got
        right = _tensor_to_numpy(expected) if _is_tensor(expected) else expected
        equal = bool(np.array_equal(left, right))  # type: ignore[arg-type]
    if equal:
        return
    problem = "wrong value"
    if type(got) is not type(expected) and not (
        isinstance(got, (int, float)) and isinstance(expected, (int, float))
    ):
        problem = f"wrong type, expected {_kind(expected)}, got {_kind(got)}"
    elif isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)):
        if len(got) != len(expected):
            problem = f"wrong length ({len(got)} items instead of {len(expected)})"
        else:
            position = next(
                (
                    i
                    for i, (a, b) in enumerate(zip(got, expected, strict=True))
                    if not _equal_items(a, b)
                ),
                None,
            )
            if position is not None:
                problem = (
                    f"first difference at position {position}: expected "
                    f"{_show(expected[position])}, got {_show(got[position])}"
                )
    _fail(name, problem, _show(expected), _show(got), hint)


def _equal_items(a: object, b: object) -> bool:
    """``a == b`` as one bool; False where the comparison is not a plain truth value."""
    try:
        return bool(a == b)
    except (ValueError, TypeError, RuntimeError):
        return False


def check_finite(x: object, name: str, hint: str = "") -> None:
    """Check that a number, array or tensor holds no NaN and no inf.

    Args:
        x: a number, a numpy array, a torch tensor or a list of numbers.
        name: how the message refers to ``x``.
        hint: the likely mistake, shown when the check fails.

    Raises:
        CheckError: ``x`` is None, not numeric, or has NaN/inf values (the message says how
            many and where the first one is).
    """
    a = _as_numeric_array(x, name, "only finite values", hint)
    if a.dtype.kind in "biu":
        return
    bad = ~np.isfinite(a)
    if bad.any():
        _fail(name, f"contains {_nonfinite_summary(a, bad)}", "only finite values", _show(x), hint)


def check_in_range(value: object, low: float, high: float, name: str, hint: str = "") -> None:
    """Check that a number (or every element of an array) lies in ``[low, high]``.

    The bounds are inclusive, with a tolerance of 1e-9 for rounding.

    Args:
        value: a number, or an array or tensor of numbers.
        low: the smallest allowed value.
        high: the largest allowed value.
        name: how the message refers to ``value``.
        hint: the likely mistake, shown when the check fails.

    Raises:
        CheckError: ``value`` is None, NaN, or outside the range.
    """
    interval = f"[{_show(float(low))}, {_show(float(high))}]"
    wanted = f"a value in {interval}"
    a = _as_numeric_array(value, name, wanted, hint)
    if a.dtype.kind == "c":
        _fail(name, "expected real numbers, got complex ones", wanted, _show(value), hint)
    a = a.astype(np.float64)
    tol = 1e-9
    with np.errstate(invalid="ignore"):
        bad = ~((a >= low - tol) & (a <= high + tol))  # NaN is never in range
    if not bad.any():
        return
    if a.ndim == 0:
        problem = f"{_show(a.item())} is outside {interval}"
    else:
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        problem = (
            f"{int(np.count_nonzero(bad))} of {a.size} values are outside {interval} "
            f"(first at index {_index_text(first)}: {_show(a[first].item())})"
        )
    _fail(name, problem, wanted, _show(value), hint)


def check_choice(answer: object, options: Sequence[object], name: str) -> None:
    """Check a multiple-choice answer: it must be one of ``options``.

    Only membership is checked, never correctness: that stays in the hidden tests.

    Args:
        answer: the student's answer, e.g. ``answer_1 = "b"``.
        options: the allowed answers, e.g. ``("a", "b", "c", "d")``.
        name: the variable's name, e.g. ``"answer_1"``.

    Raises:
        CheckError: ``answer`` is not one of the options.
    """
    if any(_same_answer(answer, option) for option in options):
        return
    allowed = ", ".join(repr(option) for option in options)
    hint = ""
    if answer is None:
        hint = "replace None with the option you choose, written exactly as listed"
    elif isinstance(answer, str):
        cleaned = answer.strip().strip("()").strip().lower()
        matches = [o for o in options if isinstance(o, str) and o.strip().lower() == cleaned]
        if matches:
            hint = f"did you mean {matches[0]!r}? Write the option exactly as listed"
        elif any(_numbers(option, option) for option in options):
            hint = "the options are numbers: write the number without quotes"
    problem = f"must be one of {allowed}; got {answer!r}"
    _fail(name, problem, f"one of {allowed}", _show(answer), hint)


def _same_answer(answer: object, option: object) -> bool:
    """Whether ``answer`` is ``option``: equal, and of the same kind (``1`` is not ``True``)."""
    bools = (bool, np.bool_)
    if isinstance(answer, bools) or isinstance(option, bools):
        return isinstance(answer, bools) and isinstance(option, bools) and answer == option
    if _numbers(answer, option):
        return bool(answer == option)
    if isinstance(answer, str) or isinstance(option, str):
        return isinstance(answer, str) and isinstance(option, str) and answer == option
    try:
        return bool(answer == option)
    except (ValueError, TypeError, RuntimeError):
        return False


def _numbers(a: object, b: object) -> bool:
    """Whether both are real numbers (bools excluded), e.g. ``2`` and ``2.0``."""
    real = (int, float, np.integer, np.floating)
    return all(isinstance(v, real) and not isinstance(v, (bool, np.bool_)) for v in (a, b))


# ----------------------------------------------------------------------------------------------
# Disabling functions


def _qualified_name(obj: object, attr: str) -> str:
    """``torch.softmax`` for a module, ``Tensor.softmax`` for a class or its instances."""
    if isinstance(obj, (types.ModuleType, type)):
        owner = obj.__name__
    else:
        owner = type(obj).__name__
    return f"{owner}.{attr}"


def _make_disabled(qualified: str, reason: str) -> Callable[..., NoReturn]:
    """A stand-in that raises :class:`DisabledError` whenever it is called."""

    def disabled_function(*args: object, **kwargs: object) -> NoReturn:
        raise DisabledError(f"{qualified} is disabled in this test: {reason}")

    disabled_function.__name__ = qualified.rsplit(".", 1)[-1]
    disabled_function.__qualname__ = qualified
    return disabled_function


@contextmanager
def disabled(
    *targets: tuple[object, str],
    reason: str = "the exercise asks you to write it from scratch",
) -> Iterator[None]:
    """Temporarily replace functions by stand-ins that raise :class:`DisabledError`.

    Used by tests of "from scratch" exercises::

        with checks.disabled((torch, "softmax"), (torch.nn.functional, "softmax")):
            out = softmax(x)

    Every original is put back on exit, also when the block raises.

    Args:
        targets: ``(owner, attribute_name)`` pairs; the owner is a module, a class or an object.
        reason: said in the error message after "... is disabled in this test: ".

    Raises:
        AttributeError: an owner has no such attribute (a typo in the test).
    """
    saved: list[tuple[object, str, bool, object]] = []
    guard = _CallGuard(reason)
    announced = 0
    try:
        for obj, attr in targets:
            _ACTIVE_BANS.append((_owner_path(obj), attr, reason))
            announced += 1
            original = getattr(obj, attr)  # raises AttributeError on a typo
            own = attr in getattr(obj, "__dict__", {})
            qualified = _qualified_name(obj, attr)
            setattr(obj, attr, _make_disabled(qualified, reason))
            saved.append((obj, attr, own, original))
            guard.ban(obj, attr, original, qualified)
        with guard:
            yield
    finally:
        del _ACTIVE_BANS[len(_ACTIVE_BANS) - announced :]
        for obj, attr, own, original in reversed(saved):
            if own:
                setattr(obj, attr, original)
            else:  # the attribute was inherited: remove the shadowing stand-in
                delattr(obj, attr)


def probe(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Return ``fn(*args, **kwargs)``, run where the student's code runs.

    In a notebook this is the call itself. The grader runs test cells in a process of its own
    and reaches the student's functions remotely; a test that must act on the student's code
    from the inside (a backward pass through it, a training step) puts that in a small
    function ``fn`` of the test and calls it through ``probe``, passing the student's function
    as an argument: the grader then runs ``fn`` next to the student's code and brings its
    result back as data. ``fn`` carries inputs and the driving steps only, never an expected
    value or a check.
    """
    for value in (*args, *kwargs.values()):
        run_remotely = getattr(type(value), "_judge_probe", None)
        if run_remotely is not None:
            return run_remotely(value, fn, args, kwargs)
    return fn(*args, **kwargs)


#: The bans of the ``disabled`` blocks now open: ``(owner path, attribute, reason)``.
_ACTIVE_BANS: list[tuple[str, str, str]] = []


def _owner_path(obj: object) -> str:
    """``module`` or ``module:Qual.Name`` of a module or class (``module:`` path of an object's
    class otherwise), as :func:`importlib.import_module` plus attribute access can find it."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    owner = obj if isinstance(obj, type) else type(obj)
    return f"{owner.__module__}:{owner.__qualname__}"


def active_bans() -> list[tuple[str, str, str]]:
    """The bans of the :func:`disabled` blocks open right now, innermost last.

    The grader's judge runs the tests outside the student's kernel and sends these with each
    call into the student's code, so the same functions are disabled there.
    """
    return list(_ACTIVE_BANS)


# The aten operators that compute a built-in a test bans: reached by another Python name
# (``torch.ops.aten._softmax``, ``torch._C._VariableFunctions._softmax``, ``torch.sparse``'s) or
# inside another built-in (``cross_entropy`` computes a log-softmax; attention computes a
# softmax), they are banned with it.
_ATTENTION_OPS = frozenset(
    """scaled_dot_product_attention _scaled_dot_product_attention_math
    _scaled_dot_product_flash_attention _scaled_dot_product_flash_attention_for_cpu
    _scaled_dot_product_efficient_attention _scaled_dot_product_cudnn_attention _fused_sdp_choice
    _safe_softmax _masked_softmax _native_multi_head_attention""".split()
)
_SOFTMAX_OPS = _ATTENTION_OPS | frozenset(
    """softmax _softmax special_softmax log_softmax _log_softmax special_log_softmax
    _sparse_softmax _sparse_log_softmax""".split()
)
_LAYER_OPS = frozenset({"_transformer_encoder_layer_fwd", "_native_multi_head_attention"})
_ATEN_EQUIVALENTS: dict[str, frozenset[str]] = {
    "softmax": _SOFTMAX_OPS,
    "_softmax": _SOFTMAX_OPS,
    "log_softmax": _SOFTMAX_OPS,
    "softmin": _SOFTMAX_OPS,
    "scaled_dot_product_attention": _ATTENTION_OPS,
    "multi_head_attention_forward": _ATTENTION_OPS,
    "MultiheadAttention": _ATTENTION_OPS,
    "MultiheadAttention.forward": _ATTENTION_OPS,
    "TransformerEncoderLayer.forward": _LAYER_OPS,
    "TransformerEncoder.forward": _LAYER_OPS,
    "Transformer.forward": _LAYER_OPS,
}


class _CallGuard:
    """Raises :class:`DisabledError` when a banned function runs, whatever name reached it.

    Replacing ``torch.softmax`` by a stand-in does not stop a reference taken earlier
    (``sm = torch.softmax``), a bound method (``x.softmax``) or the operator underneath
    (``torch.ops.aten._softmax``). A profile hook sees every call in the block (in every thread
    started in it): C functions by identity (or by name and owner class for bound methods),
    Python functions by their code object, torch's functions and operators by their aten name
    (:data:`_ATEN_EQUIVALENTS`); a torch dispatch mode sees the aten operators that C++ code
    calls inside another built-in, in the calling thread. The functions that would remove the
    hook or the mode (``sys.setprofile``, ``threading.setprofile``, popping torch's dispatch
    stack) are banned in the block too, whatever name reaches them. A thread started *before*
    the block is not watched (Python 3.11 cannot reach it): the static scan flags threads.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.by_id: dict[int, str] = {}
        self.by_code: dict[types.CodeType, str] = {}
        self.methods: list[tuple[str, type, str]] = []
        self.aten: dict[str, str] = {}  # aten operator name -> the banned built-in it computes
        self.op_calls: set[types.CodeType] = set()  # torch's OpOverload(Packet).__call__
        self._previous: tuple[Any, Any] = (None, None)
        self._mode: Any = None
        self._closing = False

    def ban(self, owner: object, attr: str, original: object, qualified: str) -> None:
        function = inspect.unwrap(original) if callable(original) else original
        code = getattr(function, "__code__", None)
        if isinstance(code, types.CodeType):
            self.by_code[code] = qualified
        else:
            self.by_id[id(original)] = qualified
            if isinstance(owner, type):
                self.methods.append((getattr(original, "__name__", attr), owner, qualified))
        owner_name = getattr(owner, "__name__", type(owner).__name__)
        for key in (attr, f"{owner_name}.{attr}"):
            for op in _ATEN_EQUIVALENTS.get(key, ()):
                self.aten.setdefault(op, qualified)

    def _guard_itself(self) -> None:
        """Ban what would switch the guard off, and learn torch's operator-call code."""
        self.by_id[id(sys.setprofile)] = "sys.setprofile"
        self.by_code[threading.setprofile.__code__] = "threading.setprofile"
        torch = sys.modules.get("torch")
        if torch is None or not self.aten:
            return
        for name in ("_pop_torch_dispatch_stack", "_set_dispatch_mode", "_unset_dispatch_mode"):
            function = getattr(torch._C, name, None)
            if function is not None:
                self.by_id[id(function)] = f"torch._C.{name}"
        ops = sys.modules.get("torch._ops")
        for cls_name in ("OpOverload", "OpOverloadPacket"):
            code = getattr(vars(getattr(ops, cls_name, object)).get("__call__"), "__code__", None)
            if isinstance(code, types.CodeType):
                self.op_calls.add(code)

    def _aten_name(self, name: object) -> str | None:
        """The banned built-in an aten operator's name (``aten::_softmax``, ``_softmax.default``)
        stands for, if any."""
        if not isinstance(name, str):
            return None
        base = name.rpartition("::")[2].partition(".")[0]
        return self.aten.get(base)

    def _banned(self, frame: types.FrameType, event: str, arg: Any) -> str | None:
        if event == "call":
            if frame.f_code in self.op_calls:
                op = frame.f_locals.get("self")
                name = getattr(op, "_name", None) or getattr(op, "__name__", None)
                banned = self._aten_name(name)
                if banned is not None:
                    return banned
            return self.by_code.get(frame.f_code)
        if event == "c_call":
            if id(arg) in self.by_id:
                return self.by_id[id(arg)]
            name, bound = getattr(arg, "__name__", None), getattr(arg, "__self__", None)
            for method, owner, qualified in self.methods:
                if name == method and isinstance(bound, owner):
                    return qualified
            if self.aten and str(getattr(arg, "__module__", None) or "").startswith("torch"):
                return self._aten_name(name)
        return None

    def _hook(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if self._closing:
            return
        qualified = self._banned(frame, event, arg)
        if qualified is not None:
            raise DisabledError(f"{qualified} is disabled in this test: {self.reason}")

    def __enter__(self) -> None:
        self._previous = (sys.getprofile(), threading.getprofile())
        if not (self.by_id or self.by_code):
            return
        self._guard_itself()
        if self.aten:
            self._mode = _aten_ban_mode(self)
            if self._mode is not None:
                self._mode.__enter__()
        threading.setprofile(self._hook)  # before sys's hook, which would ban this call
        sys.setprofile(self._hook)

    def __exit__(self, *exc: object) -> None:
        self._closing = True
        sys.setprofile(self._previous[0])
        threading.setprofile(self._previous[1])
        if self._mode is not None:
            mode, self._mode = self._mode, None
            mode.__exit__(None, None, None)


@functools.cache
def _ban_mode_class() -> type | None:
    """The class of :func:`_aten_ban_mode`'s modes, made once (torch imported by then); None
    when torch has no Python dispatch modes."""
    try:
        from torch.utils._python_dispatch import TorchDispatchMode
    except ImportError:  # pragma: no cover - every supported torch has them
        return None

    class _BanMode(TorchDispatchMode):
        def __init__(self, guard: _CallGuard) -> None:
            super().__init__()
            self.guard = guard

        @classmethod
        def _should_skip_dynamo(cls) -> bool:  # torch would import its compiler (1.7 s)
            return False

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            guard = self.guard
            name = getattr(func, "__name__", "")
            banned = None if guard._closing else guard._aten_name(name)
            if banned is not None:
                raise DisabledError(f"{banned} is disabled in this test: {guard.reason}")
            return func(*args, **(kwargs or {}))

    return _BanMode


def _aten_ban_mode(guard: _CallGuard) -> Any:
    """A torch dispatch mode that raises :class:`DisabledError` on the operators ``guard``
    bans (None when torch has no Python dispatch modes)."""
    mode = _ban_mode_class()
    return mode(guard) if mode is not None else None
