# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attention-course/attention-course-student/blob/main/notebooks/01_rnn_limits/01_rnn_limits.ipynb)

# %% [markdown]
# # 01 · The limits of recurrent networks
#
# Before attention, the usual way to translate a sentence with a neural network was to read it
# with a recurrent network, one word at a time, and to hand whatever the network remembered at
# the end, a single vector, to a second recurrent network that writes the translation. For
# "Let's go" -> "Vamos" that works: two words fit easily into one vector. This notebook builds
# that machine from its smallest part up, then measures the two weaknesses that led to
# attention: gradients that fade as they travel back through time, and a single fixed-size
# **context vector** that has to carry the whole sentence, however long it is.
#
# **You will learn to**
# - write one step of a vanilla recurrent network (RNN) and unroll it over a sequence in numpy;
# - measure how the gradient that reaches an input shrinks with its distance from the output,
#   and read that on a log scale;
# - explain how the LSTM's cell state and forget gate change the picture, and by how much;
# - build an LSTM encoder that returns the context of a padded batch, and a greedy decoder;
# - measure how an encoder-decoder's accuracy falls as its input grows, and say where it fails.
#
# **Prerequisites**: Python and numpy (arrays, `@`, shapes); basic PyTorch (tensors,
# `nn.Module`, autograd); the chain rule. No earlier notebook is needed.
#
# **Estimated time**: about 1 hour 50 minutes. Running every cell takes under a minute on a laptop
# CPU (about 30 seconds on 2 cores), most of it one training run of about 25 seconds (longer
# on a busy machine); no GPU needed.
#
# **How this notebook works**: exercises are marked `YOUR CODE HERE`. Replace the
# `raise NotImplementedError()` line with your code, run the cell, then run the test cells
# under it. A failing test tells you what it expected, what it got, and the likely mistake.
# Some tests are hidden and run only when your work is graded, so make your functions right in
# general, not just for the visible examples.

# %%
# Colab, or a Python without the course: install its helper library first.
import importlib.util
import os
import subprocess
import sys

COURSE_REPOSITORY = "git+https://github.com/attention-course/attention-course-student@main"
if importlib.util.find_spec("course_lib") is None:
    source = os.environ.get("COURSE_LIB_SOURCE", COURSE_REPOSITORY)
    print(f"Installing course_lib from {source} ...")
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, source], check=True)
    importlib.invalidate_caches()
# (end of the install lines)

# This notebook's imports and print settings.
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

from course_lib import checks, training
from course_lib.data import PAD, SOS, ReversalTask
from course_lib.device import describe_device, get_device, seed_everything

np.set_printoptions(precision=4, suppress=True)

# As in every notebook: seed the random number generators and pick the device.
seed_everything(0)
DEVICE = get_device()
print(describe_device(DEVICE))


# %% [markdown]
# ## 1. Reading a sequence one step at a time
#
# A recurrent network reads its input one vector at a time and keeps a **hidden state**
# $\mathbf{h}_t$, its only memory of what it has read so far. At each step it mixes the new
# input $\mathbf{x}_t$ with the previous state and squashes the result:
#
# $$\mathbf{h}_t = \tanh\left(\mathbf{x}_t W_{xh} + \mathbf{h}_{t-1} W_{hh} + \mathbf{b}_h\right).$$
#
# We write vectors as rows, as numpy does, so the shapes are: $\mathbf{x}_t$ `(input,)`,
# $W_{xh}$ `(input, hidden)`, $\mathbf{h}_{t-1}$ and $\mathbf{h}_t$ `(hidden,)`, $W_{hh}$
# `(hidden, hidden)` and $\mathbf{b}_h$ `(hidden,)`. The same three parameters are used at every
# step, which is what lets one small network read sequences of any length. The $\tanh$ keeps
# every entry of the state in $(-1, 1)$.
#
# Before the first input the network has read nothing, so the usual starting state is all
# zeros, $\mathbf{h}_0 = \mathbf{0}$. PyTorch's `nn.RNN` and `nn.LSTM` start from zeros too
# (for the LSTM, both the hidden state and the cell state of section 3) whenever you call them
# without a state, which is how every encoder in this course is called.
#
# A batch of $B$ sequences is read in parallel by stacking the rows: $\mathbf{x}_t$ becomes
# `(B, input)` and $\mathbf{h}_{t-1}$ becomes `(B, hidden)`; the formula does not change.
# (PyTorch's `nn.RNN` stores the transposed matrices, `weight_ih_l0` of shape
# `(hidden, input)`, because it writes the product the other way round. Same maths.)

# %% [markdown]
# ### Exercise 1.1: one step of a recurrent network (3 points)
#
# Write `rnn_step(x_t, h_prev, W_xh, W_hh, b_h)` in numpy: return
# $\tanh(\mathbf{x}_t W_{xh} + \mathbf{h}_{t-1} W_{hh} + \mathbf{b}_h)$. It must work for one
# sequence (`x_t (input,)`, `h_prev (hidden,)`) and for a batch (`x_t (B, input)`,
# `h_prev (B, hidden)`). Do not modify the inputs.

# %% nbgrader={"grade": false, "grade_id": "rnn_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_step(
    x_t: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray
) -> np.ndarray:
    """One step of a vanilla (Elman) RNN: ``tanh(x_t @ W_xh + h_prev @ W_hh + b_h)``.

    Args:
        x_t: (input,) or (B, input), the input at this step.
        h_prev: (hidden,) or (B, hidden), the previous hidden state.
        W_xh: (input, hidden), input-to-hidden weights.
        W_hh: (hidden, hidden), hidden-to-hidden weights.
        b_h: (hidden,), bias.

    Returns:
        h_t: (hidden,) or (B, hidden), the new hidden state, every entry between -1 and 1.
    """
    ### BEGIN SOLUTION
    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
    ### END SOLUTION


# %% [markdown]
# **Try it.** With the numbers below, $\mathbf{x}_t W_{xh} = (0.7, 1.0)$,
# $\mathbf{h}_{t-1} W_{hh} = (0, 1)$ and $\mathbf{b}_h = (0, 0.1)$, so you should see
# $\tanh(0.7, 2.1) \approx$ `[0.6044 0.9705]`.

# %%
x_demo = np.array([1.0, 2.0])
h_demo = np.array([0.5, -1.0])
W_xh_demo = np.array([[0.1, 0.2], [0.3, 0.4]])
W_hh_demo = np.array([[1.0, 0.0], [0.5, -1.0]])
b_demo = np.array([0.0, 0.1])
print(rnn_step(x_demo, h_demo, W_xh_demo, W_hh_demo, b_demo))

# %% nbgrader={"grade": true, "grade_id": "test_rnn_step_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""rnn_step returns the new state with the shape of h_prev, for one sequence and for a batch."""
_rng = np.random.default_rng(0)
_W_xh, _W_hh, _b = _rng.normal(size=(3, 4)), _rng.normal(size=(4, 4)), _rng.normal(size=4)
checks.check_shape(
    rnn_step(_rng.normal(size=3), np.zeros(4), _W_xh, _W_hh, _b),
    (4,),
    "rnn_step(x_t (3,), h_prev (4,), W_xh (3, 4), ...)",
    hint="the new state has one entry per hidden unit: x_t @ W_xh is (hidden,)",
)
checks.check_shape(
    rnn_step(_rng.normal(size=(5, 3)), np.zeros((5, 4)), _W_xh, _W_hh, _b),
    (5, 4),
    "rnn_step(x_t (5, 3), h_prev (5, 4), ...) for a batch of 5",
    hint="use matrix products with the batch first (x_t @ W_xh), not np.dot of flattened arrays",
)
### BEGIN HIDDEN TESTS
for _B, _I, _H in [(1, 2, 7), (3, 6, 2)]:
    _out = rnn_step(
        np.ones((_B, _I)),
        np.zeros((_B, _H)),
        np.ones((_I, _H)),
        np.eye(_H),
        np.zeros(_H),
    )
    checks.check_shape(_out, (_B, _H), f"rnn_step for B={_B}, input={_I}, hidden={_H}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_rnn_step_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""rnn_step computes tanh(x_t @ W_xh + h_prev @ W_hh + b_h)."""
checks.check_close(
    rnn_step(
        np.array([1.0, 2.0]),
        np.array([0.5, -1.0]),
        np.array([[0.1, 0.2], [0.3, 0.4]]),
        np.array([[1.0, 0.0], [0.5, -1.0]]),
        np.array([0.0, 0.1]),
    ),
    np.tanh([0.7, 2.1]),
    "rnn_step on the worked example",
    hint="h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h): check the tanh, the bias, and that "
    "h_prev multiplies W_hh from the left (h_prev @ W_hh, not h_prev @ W_hh.T)",
)
### BEGIN HIDDEN TESTS
# Reference: torch's RNNCell (it stores the transposed weights).
_rng = np.random.default_rng(1)
for _B, _I, _H in [(None, 3, 5), (4, 6, 3), (2, 4, 4)]:
    _batch = () if _B is None else (_B,)
    _x = _rng.normal(size=(*_batch, _I))
    _h = _rng.uniform(-1, 1, size=(*_batch, _H))
    _W_xh = _rng.normal(size=(_I, _H))
    _W_hh = _rng.normal(size=(_H, _H))
    _b = _rng.normal(size=_H)
    _cell = torch.nn.RNNCell(_I, _H).double()
    with torch.no_grad():
        _cell.weight_ih.copy_(torch.from_numpy(_W_xh.T))
        _cell.weight_hh.copy_(torch.from_numpy(_W_hh.T))
        _cell.bias_ih.copy_(torch.from_numpy(_b))
        _cell.bias_hh.zero_()
        _ref = _cell(torch.from_numpy(_x), torch.from_numpy(_h)).numpy()
    _copies = [a.copy() for a in (_x, _h, _W_xh, _W_hh, _b)]
    checks.check_close(
        rnn_step(_x, _h, _W_xh, _W_hh, _b),
        _ref,
        f"rnn_step on random inputs (B={_B}, input={_I}, hidden={_H})",
        atol=1e-9,
    )
    _names = ["x_t", "h_prev", "W_xh", "W_hh", "b_h"]
    for _name, _a, _c in zip(_names, (_x, _h, _W_xh, _W_hh, _b), _copies, strict=True):
        checks.check_close(_a, _c, f"{_name} after rnn_step (must not be modified)")
_big = rnn_step(np.full(3, 100.0), np.zeros(2), np.ones((3, 2)), np.eye(2), np.array([0.0, -1e3]))
checks.check_close(_big, np.array([1.0, -1.0]), "rnn_step with saturating inputs")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 1.2: unrolling over a sequence (4 points)
#
# Reading a whole sequence means applying the same step again and again, each time feeding the
# state back in: $\mathbf{h}_1$ from $\mathbf{x}_1$ and $\mathbf{h}_0$, then $\mathbf{h}_2$ from
# $\mathbf{x}_2$ and $\mathbf{h}_1$, and so on. Drawn with one box per step this is the
# "unrolled" network, as deep as the sequence is long.
#
# Write `rnn_forward(xs, h0, W_xh, W_hh, b_h)`: `xs` has shape `(T, input)`, one row per step,
# and `h0` shape `(hidden,)`. Return `(hs, h_last)`, where `hs` has shape `(T, hidden)` and row
# `t` is the state **after** reading `xs[t]` (so `h0` itself is not in `hs`), and
# `h_last = hs[-1]`. For an empty sequence (`T = 0`) return `hs` of shape `(0, hidden)` and
# `h_last = h0`. Use your `rnn_step`.

# %% nbgrader={"grade": false, "grade_id": "rnn_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_forward(
    xs: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Run a vanilla RNN over a whole sequence.

    Args:
        xs: (T, input), the inputs in reading order.
        h0: (hidden,), the state before the first input.
        W_xh: (input, hidden); W_hh: (hidden, hidden); b_h: (hidden,).

    Returns:
        (hs, h_last): hs (T, hidden), hs[t] the state after reading xs[t]; h_last (hidden,),
        the state after the last input (h0 when T = 0).
    """
    ### BEGIN SOLUTION
    h = h0
    states = []
    for x_t in xs:
        h = rnn_step(x_t, h, W_xh, W_hh, b_h)
        states.append(h)
    if not states:
        return np.zeros((0, h0.shape[-1])), h0
    return np.stack(states), h  # (T, hidden), (hidden,)
    ### END SOLUTION


# %% [markdown]
# **Try it.** A 2-unit RNN reads a sequence of 5 three-dimensional inputs; you should see
# `hs` of shape `(5, 2)` and `h_last` equal to its last row. Then the same network reads 24
# inputs: `h_last` still has 2 numbers. Whatever the length of the sequence, what the network
# hands on at the end is a vector of size `hidden`. Keep that in mind for section 4.

# %%
_rng = np.random.default_rng(0)
W_xh_toy, W_hh_toy, b_toy = _rng.normal(size=(3, 2)), 0.5 * _rng.normal(size=(2, 2)), np.zeros(2)
hs_toy, h_last_toy = rnn_forward(_rng.normal(size=(5, 3)), np.zeros(2), W_xh_toy, W_hh_toy, b_toy)
print("hs:\n", hs_toy, "\nh_last:", h_last_toy)
_, h_last_long = rnn_forward(_rng.normal(size=(24, 3)), np.zeros(2), W_xh_toy, W_hh_toy, b_toy)
print("after 24 inputs, h_last still has shape", h_last_long.shape)

# %% nbgrader={"grade": true, "grade_id": "test_rnn_forward_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""rnn_forward returns hs (T, hidden), one state per input (h0 excluded), h_last (hidden,)."""
# also for an empty sequence (T = 0), where h_last is h0
_rng = np.random.default_rng(2)
_params = (_rng.normal(size=(3, 4)), _rng.normal(size=(4, 4)), _rng.normal(size=4))
_hs, _h_last = rnn_forward(_rng.normal(size=(6, 3)), np.zeros(4), *_params)
checks.check_shape(
    _hs,
    (6, 4),
    "hs from rnn_forward(xs (6, 3), h0 (4,), ...)",
    hint="one row per input step (T rows), without h0; stack the states along axis 0",
)
checks.check_shape(_h_last, (4,), "h_last from rnn_forward", hint="h_last is a single state")
_hs, _h_last = rnn_forward(np.zeros((0, 3)), np.ones(4), *_params)
checks.check_shape(
    _hs, (0, 4), "hs for an empty sequence (T = 0)", hint="return np.zeros((0, hidden)) for T = 0"
)
checks.check_close(
    _h_last, np.ones(4), "h_last for an empty sequence", hint="with nothing to read, h_last is h0"
)
### BEGIN HIDDEN TESTS
_hs, _h_last = rnn_forward(_rng.normal(size=(1, 3)), np.zeros(4), *_params)
checks.check_shape(_hs, (1, 4), "hs for a sequence of length 1")
_hs, _h_last = rnn_forward(_rng.normal(size=(9, 3)), np.zeros(4), *_params)
checks.check_shape(_hs, (9, 4), "hs for a sequence of length 9")
_h0 = _rng.normal(size=4)
_hs, _h_last = rnn_forward(np.zeros((0, 3)), _h0, *_params)
checks.check_shape(
    _hs, (0, 4), "hs for an empty sequence (T = 0)", hint="return np.zeros((0, hidden))"
)
checks.check_close(_h_last, _h0, "h_last for an empty sequence (T = 0) must be h0")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_rnn_forward_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""rnn_forward carries the state from step to step: hs[t] = rnn_step(xs[t], hs[t - 1], ...)."""
# One unit, W_xh = 1, W_hh = 0.5: h1 = tanh(1), h2 = tanh(0.5 h1), h3 = tanh(0.5 h2).
_hs, _ = rnn_forward(
    np.array([[1.0], [0.0], [0.0]]), np.zeros(1), np.array([[1.0]]), np.array([[0.5]]), np.zeros(1)
)
_h1 = np.tanh(1.0)
_h2 = np.tanh(0.5 * _h1)
checks.check_close(
    _hs,
    np.array([[_h1], [_h2], [np.tanh(0.5 * _h2)]]),
    "hs for xs = [[1], [0], [0]], W_xh = [[1]], W_hh = [[0.5]]",
    hint="feed each new state into the next step (h = rnn_step(xs[t], h, ...)), read xs[t] at "
    "step t, and store the state after each step in order",
)
### BEGIN HIDDEN TESTS
# Reference: torch.nn.RNN with the same weights, started from h0.
_rng = np.random.default_rng(3)
for _T, _I, _H in [(7, 3, 5), (12, 2, 2), (4, 6, 3)]:
    _xs = _rng.normal(size=(_T, _I))
    _h0 = _rng.uniform(-1, 1, size=_H)
    _W_xh, _W_hh, _b = _rng.normal(size=(_I, _H)), _rng.normal(size=(_H, _H)), _rng.normal(size=_H)
    _rnn = torch.nn.RNN(_I, _H).double()
    with torch.no_grad():
        _rnn.weight_ih_l0.copy_(torch.from_numpy(_W_xh.T))
        _rnn.weight_hh_l0.copy_(torch.from_numpy(_W_hh.T))
        _rnn.bias_ih_l0.copy_(torch.from_numpy(_b))
        _rnn.bias_hh_l0.zero_()
        _ref, _ = _rnn(torch.from_numpy(_xs), torch.from_numpy(_h0)[None])
    _xs_copy, _h0_copy = _xs.copy(), _h0.copy()
    _hs, _ = rnn_forward(_xs, _h0, _W_xh, _W_hh, _b)
    checks.check_close(_hs, _ref.numpy(), f"hs on a random sequence (T={_T})", atol=1e-9)
    checks.check_close(_xs, _xs_copy, "xs after rnn_forward (must not be modified)")
    checks.check_close(_h0, _h0_copy, "h0 after rnn_forward (must not be modified)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_rnn_forward_last", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""rnn_forward's h_last is the state after the LAST input, hs[-1]."""
_rng = np.random.default_rng(4)
_params = (_rng.normal(size=(2, 3)), _rng.normal(size=(3, 3)), _rng.normal(size=3))
_hs, _h_last = rnn_forward(_rng.normal(size=(5, 2)), np.zeros(3), *_params)
checks.check_close(
    _h_last,
    _hs[-1],
    "h_last vs hs[-1]",
    hint="h_last is the state after the last step: hs[-1], not hs[0] or h0",
)
### BEGIN HIDDEN TESTS
_xs = _rng.normal(size=(8, 2))
_h0 = _rng.uniform(-1, 1, size=3)
_rnn = torch.nn.RNN(2, 3).double()
with torch.no_grad():
    _rnn.weight_ih_l0.copy_(torch.from_numpy(_params[0].T))
    _rnn.weight_hh_l0.copy_(torch.from_numpy(_params[1].T))
    _rnn.bias_ih_l0.copy_(torch.from_numpy(_params[2]))
    _rnn.bias_hh_l0.zero_()
    _, _ref_last = _rnn(torch.from_numpy(_xs), torch.from_numpy(_h0)[None])
_, _h_last = rnn_forward(_xs, _h0, *_params)
checks.check_close(_h_last, _ref_last[0].numpy(), "h_last on a random sequence", atol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Training through time: where the gradient goes
#
# To learn, a recurrent network needs gradients, and they flow backwards through the same
# unrolled chain ("backpropagation through time"). Take a loss $L$ computed from the last state
# $\mathbf{h}_T$. An input $\mathbf{x}_k$ from $T-k$ steps earlier influences $L$ only through
# the chain $\mathbf{h}_k \to \mathbf{h}_{k+1} \to \dots \to \mathbf{h}_T$, so by the chain rule
#
# $$\frac{\partial L}{\partial \mathbf{x}_k} =
# \frac{\partial L}{\partial \mathbf{h}_T}\,
# \frac{\partial \mathbf{h}_T}{\partial \mathbf{h}_{T-1}} \cdots
# \frac{\partial \mathbf{h}_{k+1}}{\partial \mathbf{h}_k}\,
# \frac{\partial \mathbf{h}_k}{\partial \mathbf{x}_k},
# \qquad
# \frac{\partial \mathbf{h}_t}{\partial \mathbf{h}_{t-1}} = \operatorname{diag}(1 - \mathbf{h}_t^2)\, W_{hh}^\top .$$
#
# The gradient that reaches $\mathbf{x}_k$ has been multiplied by $T-k$ Jacobian matrices. If
# these typically shrink a vector by some factor $\gamma < 1$, the product shrinks like
# $\gamma^{T-k}$: **exponentially in the distance**. The derivative of $\tanh$,
# $1 - \mathbf{h}_t^2$, is at most 1 and close to 0 for saturated units, which pushes towards
# shrinking. If instead the Jacobians stretch vectors (large $W_{hh}$), the product can blow
# up; exploding gradients are usually tamed by clipping the gradient's norm, which the training
# loop of section 6 does. Bengio, Simard and Frasconi (1994) and Pascanu, Mikolov and Bengio
# (2013) analyse both cases.
#
# Why this matters: the weight update that would teach the network "remember $\mathbf{x}_k$,
# you will need it later" is proportional to this gradient. If it is a millionth of the
# gradient from recent inputs, long-range lessons are drowned out by short-range ones.

# %% [markdown]
# ### Exercise 1.3: measuring gradient norms through time (4 points)
#
# Measure it, with autograd. Write `gradient_norms_through_time(rnn, xs)`, where `rnn` is a
# PyTorch `nn.RNN`, `nn.LSTM` or `nn.GRU` built with `batch_first=True` and `xs` has shape
# `(B, T, input)`. Run `out, _ = rnn(x)`; `out` has shape `(B, T, hidden)` and holds the last
# layer's state at every step. Take $L$ = `out[:, -1, :].sum()`, the last step's output
# summed, and return a tensor of shape `(T,)` whose entry `t` is the L2 norm, over the batch and
# the features together, of $\partial L / \partial$ `x[:, t, :]`.
#
# Work on a copy, `x = xs.clone().requires_grad_(True)`, so that the caller's `xs` is not
# changed, and get the gradient with `torch.autograd.grad(L, x)` (or `L.backward()` and
# `x.grad`).

# %% nbgrader={"grade": false, "grade_id": "gradient_norms_through_time", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_norms_through_time(rnn: nn.Module, xs: torch.Tensor) -> torch.Tensor:
    """Norm of the gradient of the last step's output with respect to each input step.

    Args:
        rnn: an ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` with ``batch_first=True``.
        xs: (B, T, input) float inputs; not modified.

    Returns:
        (T,) float tensor (no grad); entry t is the L2 norm over batch and features of
        d(out[:, -1, :].sum()) / d(xs[:, t, :]).
    """
    ### BEGIN SOLUTION
    x = xs.detach().clone().requires_grad_(True)
    out, _ = rnn(x)  # (B, T, hidden)
    (grad,) = torch.autograd.grad(out[:, -1, :].sum(), x)  # (B, T, input)
    return grad.pow(2).sum(dim=(0, 2)).sqrt()  # (T,)
    ### END SOLUTION


# %% [markdown]
# **Try it.** A one-unit RNN with a ReLU instead of $\tanh$, no bias, $W_{xh} = 1$ and
# $W_{hh} = 0.5$ reads positive inputs, so it is linear:
# $h_t = x_t + 0.5\,h_{t-1}$, and the last output is
# $h_4 = x_4 + 0.5\,x_3 + 0.25\,x_2 + 0.125\,x_1$. The gradient with respect to $x_t$ halves at
# every step back, so for one sequence of length 4 you should see
# `tensor([0.1250, 0.2500, 0.5000, 1.0000])`.

# %%
linear_rnn = nn.RNN(1, 1, nonlinearity="relu", bias=False, batch_first=True)
with torch.no_grad():
    linear_rnn.weight_ih_l0.fill_(1.0)
    linear_rnn.weight_hh_l0.fill_(0.5)
print(gradient_norms_through_time(linear_rnn, torch.ones(1, 4, 1)))

# %% nbgrader={"grade": true, "grade_id": "test_gradient_norms_through_time_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""gradient_norms_through_time returns T finite, non-negative numbers: shape (T,)."""
torch.manual_seed(0)
_got = gradient_norms_through_time(nn.RNN(3, 5, batch_first=True), torch.randn(2, 6, 3))
checks.check_shape(
    _got,
    (6,),
    "gradient_norms_through_time(rnn, xs (2, 6, 3))",
    hint="one norm per time step: reduce the gradient (B, T, input) over batch AND features",
)
checks.check_finite(_got, "gradient_norms_through_time(...)")
checks.check_in_range(_got, 0.0, np.inf, "gradient_norms_through_time(...)", hint="norms are >= 0")
### BEGIN HIDDEN TESTS
_got = gradient_norms_through_time(nn.LSTM(2, 3, batch_first=True), torch.randn(1, 1, 2))
checks.check_shape(_got, (1,), "gradient norms for an LSTM and T = 1")
_got = gradient_norms_through_time(
    nn.GRU(4, 3, num_layers=2, batch_first=True), torch.randn(3, 9, 4)
)
checks.check_shape(_got, (9,), "gradient norms for a 2-layer GRU and T = 9")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_gradient_norms_through_time_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Entry t is the norm, over batch and features, of d(out[:, -1].sum()) / d(xs[:, t])."""
_lin = nn.RNN(1, 1, nonlinearity="relu", bias=False, batch_first=True)
with torch.no_grad():
    _lin.weight_ih_l0.fill_(1.0)
    _lin.weight_hh_l0.fill_(0.5)
# Two identical sequences: each gradient entry is 0.5 ** (T - 1 - t), the norm over the batch
# multiplies it by sqrt(2).
checks.check_close(
    gradient_norms_through_time(_lin, torch.ones(2, 4, 1)),
    np.sqrt(2) * np.array([0.125, 0.25, 0.5, 1.0]),
    "gradient norms of the linear RNN h_t = x_t + 0.5 h_(t-1), batch of 2",
    atol=1e-6,
    hint="differentiate out[:, -1, :].sum() (the LAST step only), index by input step t (the "
    "last step comes last), and take sqrt(sum of squares) over batch and features together",
)


### BEGIN HIDDEN TESTS
# Reference: central finite differences in float64, one input entry at a time.
def _fd_norms(rnn, xs, eps=1e-6):
    grad = torch.zeros_like(xs)
    with torch.no_grad():
        for idx in np.ndindex(*xs.shape):
            plus, minus = xs.clone(), xs.clone()
            plus[idx] += eps
            minus[idx] -= eps
            grad[idx] = (rnn(plus)[0][:, -1, :].sum() - rnn(minus)[0][:, -1, :].sum()) / (2 * eps)
    return torch.stack([grad[:, t, :].pow(2).sum().sqrt() for t in range(xs.shape[1])])


torch.manual_seed(5)
for _rnn in (
    nn.RNN(3, 4, batch_first=True),
    nn.LSTM(3, 4, batch_first=True),
    nn.GRU(3, 4, num_layers=2, batch_first=True),
):
    _rnn = _rnn.double()
    _xs = torch.randn(2, 5, 3, dtype=torch.float64)
    checks.check_close(
        gradient_norms_through_time(_rnn, _xs),
        _fd_norms(_rnn, _xs),
        f"gradient norms of a random {type(_rnn).__name__} (layers={_rnn.num_layers})",
        atol=1e-7,
        rtol=1e-5,
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_gradient_norms_through_time_no_side_effects", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""gradient_norms_through_time leaves the caller's xs unchanged (values, requires_grad, .grad)."""
torch.manual_seed(1)
_xs = torch.randn(2, 5, 3)
_xs_copy = _xs.clone()
_rnn = nn.GRU(3, 4, batch_first=True)
gradient_norms_through_time(_rnn, _xs)
checks.check_close(_xs, _xs_copy, "xs after gradient_norms_through_time")


def _left_on_xs(fn, rnn, xs):
    """Call fn(rnn, xs) where it runs; return xs.requires_grad and whether xs.grad is None."""
    fn(rnn, xs)
    return xs.requires_grad, xs.grad is None


_requires_grad, _grad_is_none = checks.probe(_left_on_xs, gradient_norms_through_time, _rnn, _xs)
checks.check_equal(
    _requires_grad,
    False,
    "xs.requires_grad after gradient_norms_through_time",
    hint="work on a copy: x = xs.clone().requires_grad_(True), not xs.requires_grad_(True)",
)
### BEGIN HIDDEN TESTS
checks.check_equal(_grad_is_none, True, "xs.grad is None after gradient_norms_through_time")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The LSTM: a path for the gradient
#
# The Long Short-Term Memory network (Hochreiter and Schmidhuber, 1997) adds a second state, the
# **cell** $\mathbf{c}_t$, and three gates, each a sigmoid in $(0, 1)$ computed from
# $\mathbf{x}_t$ and $\mathbf{h}_{t-1}$: the input gate $\mathbf{i}_t$, the forget gate
# $\mathbf{f}_t$ and the output gate $\mathbf{o}_t$, plus a candidate $\mathbf{g}_t$ (a $\tanh$):
#
# $$\mathbf{c}_t = \mathbf{f}_t \odot \mathbf{c}_{t-1} + \mathbf{i}_t \odot \mathbf{g}_t,
# \qquad \mathbf{h}_t = \mathbf{o}_t \odot \tanh(\mathbf{c}_t),$$
#
# where $\odot$ multiplies elementwise. The new cell is the old one, scaled by the forget gate,
# **plus** something new. Along that additive path,
# $\partial \mathbf{c}_t / \partial \mathbf{c}_{t-1} = \operatorname{diag}(\mathbf{f}_t)$
# (the gates also depend on $\mathbf{h}_{t-1}$, which adds other paths): no weight matrix and
# no $\tanh'$ in the way. A unit whose forget gate stays near 1 passes its gradient back almost
# unchanged. The original LSTM had exactly that path with a fixed weight of 1; Gers, Schmidhuber
# and Cummins (2000) added the forget gate so that a cell can also erase itself.
#
# The catch: the forget gate is learned, and a network has to *learn* to keep it near 1. At
# PyTorch's default initialisation (small random weights and biases) every gate's
# pre-activation is spread around 0, so on average $\mathbf{f}_t \approx \sigma(0) = 0.5$,
# which roughly halves the gradient on the cell path at every step. A common remedy is to add 1 to the forget gate's bias at initialisation, so that it
# starts near $\sigma(1) \approx 0.73$ (Gers et al., 2000; Jozefowicz, Zaremba and Sutskever,
# 2015).
#
# Let us measure all three with your function: a vanilla `nn.RNN` ($\tanh$), an `nn.LSTM` at
# its default initialisation, and an `nn.LSTM` whose forget gate bias is raised by 1. They are
# untrained and read random inputs: the point is what the gradient looks like when training
# *starts*, which decides whether training gets any signal from far back at all. We plot the
# norm against the distance from the last step, $T - 1 - t$, on a log scale, where exponential
# decay is a straight line.

# %% tags=["demo"]
def mean_forget_gate(lstm: nn.LSTM, xs: torch.Tensor) -> float:
    """Average forget gate activation of a 1-layer ``lstm`` over a batch xs (B, T, input)."""
    H = lstm.hidden_size
    rows = slice(H, 2 * H)  # PyTorch stacks the gates as (input, forget, candidate, output)
    with torch.no_grad():
        out, _ = lstm(xs)  # (B, T, H): h_1 .. h_T
        h_prev = torch.cat([torch.zeros_like(out[:, :1]), out[:, :-1]], dim=1)  # h_0 .. h_(T-1)
        pre = (
            xs @ lstm.weight_ih_l0[rows].T
            + lstm.bias_ih_l0[rows]
            + h_prev @ lstm.weight_hh_l0[rows].T
            + lstm.bias_hh_l0[rows]
        )  # (B, T, H)
    return torch.sigmoid(pre).mean().item()


seed_everything(0)
T, B, D_IN, H = 60, 32, 16, 64
xs_noise = torch.randn(B, T, D_IN)
networks = {
    "RNN (tanh)": nn.RNN(D_IN, H, batch_first=True),
    "LSTM, default init": nn.LSTM(D_IN, H, batch_first=True),
    "LSTM, forget bias + 1": nn.LSTM(D_IN, H, batch_first=True),
}
with torch.no_grad():
    networks["LSTM, forget bias + 1"].bias_ih_l0[H : 2 * H] += 1.0


def reference_gradient_norms(rnn: nn.Module, xs: torch.Tensor) -> torch.Tensor:
    """(T,) gradient norms as in exercise 1.3: this figure's stand-in while yours is unfinished."""
    x = xs.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(rnn(x)[0][:, -1].sum(), x)  # (B, T, input)
    return torch.linalg.vector_norm(grad, dim=(0, 2))  # (T,)


norms_of = gradient_norms_through_time
try:
    gradient_norms_through_time(nn.RNN(1, 1, batch_first=True), torch.zeros(1, 2, 1))
except NotImplementedError:
    print(
        "*** your `gradient_norms_through_time` is not finished: this figure uses a reference "
        "written in this cell instead ***"
    )
    norms_of = reference_gradient_norms

distance = np.arange(T)  # distance from the last step, T - 1 - t
fig, ax = plt.subplots(figsize=(7, 4.5))
for name, net in networks.items():
    norms = norms_of(net, xs_noise).flip(0).numpy()  # index = distance
    ax.semilogy(distance, norms, label=name)
    rate = (norms[59] / norms[10]) ** (1 / 49)  # average factor per step between 10 and 59
    forget = f", mean forget gate {mean_forget_gate(net, xs_noise):.2f}" if "LSTM" in name else ""
    print(
        f"{name:22} norm at distance 0/10/30/59: "
        + " ".join(f"{norms[d]:.1e}" for d in (0, 10, 30, 59))
        + f" | x{rate:.2f} per step{forget}"
    )
ax.set_xlabel("distance from the last step (T - 1 - t)")
ax.set_ylabel("gradient norm (log scale)")
ax.set_title("Gradient of the last output reaching each input (untrained, T = 60)")
ax.grid(alpha=0.3, which="both")
ax.legend()
plt.show()


# %% [markdown]
# **What the figure shows** (seed 0). All three curves are close to straight lines on the log
# scale: at initialisation all three networks lose their gradient **exponentially** with
# distance. The vanilla RNN keeps about half of it per step (a factor of about 0.52): its norm
# falls from about 10 at distance 0 to about $3 \times 10^{-16}$ at distance 59, zero for all
# practical purposes. The default LSTM does only a little better (about 0.63 per step, around
# $2 \times 10^{-12}$ at distance 59); its forget gates average 0.50, as predicted. Raising the
# forget bias by 1 moves the average forget gate to 0.73 and the decay to about 0.83 per step,
# leaving about $4 \times 10^{-5}$ at distance 59. Still a decay, but about seven orders of
# magnitude more signal to learn from than with the default initialisation.
#
# So an LSTM does not abolish vanishing gradients. It offers a path on which the network *can*
# keep them, by learning forget gates close to 1 for the units that must remember. That is why
# the LSTM became the standard recurrent network, and it is the one we use from now on.
#
# You will often read that the LSTM gives a network a short-term memory that "can last
# thousands of time steps", hence its name. Set that against what we just measured. Hochreiter
# and Schmidhuber (1997) did bridge time lags of more than 1000 steps, on synthetic tasks
# built for it (a few symbols to remember among noise), with the fixed weight of 1 on the cell
# path that the forget gate later replaced. Nothing guarantees it for a network that has to
# *learn* its forget gates: at our best initialisation, 0.83 per step, the gradient after 1000
# steps would be $0.83^{1000} \approx 10^{-81}$ of what it was. "Can last" describes what the
# architecture allows once trained, not what training finds; section 6 shows a trained LSTM
# already losing about two thirds of the symbols it has to hold for 25 to 47 steps.

# %% [markdown]
# ## 4. An encoder-decoder with one context vector
#
# Now the translation machine. An **encoder** LSTM reads the source, "let's" then "go", each
# word first turned into a vector by an embedding table. When it has read the last word, its
# final state $(\mathbf{h}, \mathbf{c})$ is the **context**: everything the decoder will ever
# learn about the source. A **decoder** LSTM starts from that state, reads a start token
# `<SOS>` and predicts the first target word, "vamos"; it feeds that word back in as its next
# input and predicts again, until it emits an end token. Sutskever, Vinyals and Le (2014) and
# Cho et al. (2014) built translation systems on this design.
#
# The only link between the two halves is the context. With 64 hidden units it is 64 numbers
# for $\mathbf{h}$ and 64 for $\mathbf{c}$, for a two-word phrase and for a 24-word sentence
# alike.
#
# **Batches and padding.** Sources in a batch have different lengths, so shorter ones are padded
# at the end with a `PAD` token (id 0) to form a rectangle `src (B, S)`. Running the LSTM over
# the whole rectangle would be wrong: a short sequence's final state would be the state after
# reading several `PAD`s. We need, for each sequence, the state right after its **last real
# token**. PyTorch does that with a *packed sequence*:
# `torch.nn.utils.rnn.pack_padded_sequence(embedded, src_lens, batch_first=True,
# enforce_sorted=False)` tells the LSTM each sequence's length; fed a packed sequence, the LSTM
# returns as `(h_n, c_n)` the state at each sequence's own last step. (`enforce_sorted=False`
# lets the batch come in any order of lengths; the default, `True`, requires decreasing
# lengths.)

# %% [markdown]
# ### Exercise 1.4: the encoder's context (4 points)
#
# Write `encode_context(embedding, encoder, src, src_lens)`: `embedding` is an `nn.Embedding`,
# `encoder` a one-layer `nn.LSTM(batch_first=True)` with `hidden` units, `src` a `(B, S)` int64
# tensor padded with `PAD`, and `src_lens` the `(B,)` int64 true lengths (on the CPU, as packing
# wants). Return the context `(h, c)`, each of shape `(1, B, hidden)`: the encoder's state
# right after each sequence's last real token. The padding must not be read. Packing is the
# easiest way; a loop over the sequences also works. Note that `c` matters too: picking `h`
# out of the per-step outputs is not enough.

# %% nbgrader={"grade": false, "grade_id": "encode_context", "locked": false, "schema_version": 3, "solution": true, "task": false}
def encode_context(
    embedding: nn.Embedding, encoder: nn.LSTM, src: torch.Tensor, src_lens: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode a padded batch of sources into the LSTM state after each one's last real token.

    Args:
        embedding: token embedding table, (vocab, emb).
        encoder: one-layer ``nn.LSTM(emb, hidden, batch_first=True)``.
        src: (B, S) int64 token ids, ``PAD`` after each sequence's end.
        src_lens: (B,) int64 true lengths (>= 1), on the CPU, in any order; left unchanged.

    Returns:
        (h, c), each (1, B, hidden): the encoder's hidden and cell state after reading
        ``src[b, :src_lens[b]]``, for every b.
    """
    ### BEGIN SOLUTION
    packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True, enforce_sorted=False)
    _, (h, c) = encoder(packed)  # each (1, B, hidden), in the original batch order
    return h, c
    ### END SOLUTION


# %% [markdown]
# **Try it.** Two sources, `[5, 6, 7]` padded to length 5 and `[2, 3, 4, 5, 6]`: the first
# row of the context must equal the state of the encoder after reading `[5, 6, 7]` alone, so
# the difference printed should be 0 up to float32 rounding: a correct answer prints 0 or a
# number around `1e-7` (packing computes in a different order, so `1.5e-07` is fine); anything
# above `1e-5` means the padding was read.

# %%
torch.manual_seed(0)
emb_demo, enc_demo = nn.Embedding(12, 8, padding_idx=PAD), nn.LSTM(8, 16, batch_first=True)
src_demo = torch.tensor([[5, 6, 7, PAD, PAD], [2, 3, 4, 5, 6]])
h_demo, c_demo = encode_context(emb_demo, enc_demo, src_demo, torch.tensor([3, 5]))
_, (h_alone, _) = enc_demo(emb_demo(src_demo[:1, :3]))
print("context shapes:", tuple(h_demo.shape), tuple(c_demo.shape))
print(
    "largest difference from reading [5, 6, 7] alone:",
    (h_demo[0, 0] - h_alone[0, 0]).abs().max().item(),
)

# %% nbgrader={"grade": true, "grade_id": "test_encode_context_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""encode_context returns a pair (h, c), each of shape (1, B, hidden)."""
torch.manual_seed(0)
_emb, _enc = nn.Embedding(12, 5, padding_idx=PAD), nn.LSTM(5, 7, batch_first=True)
_src = torch.randint(2, 12, (3, 6))
_src[1, 4:] = PAD
_src[2, 2:] = PAD
_out = encode_context(_emb, _enc, _src, torch.tensor([6, 4, 2]))
checks.check_type(_out, tuple, "encode_context(...)", hint="return the pair (h, c), as a tuple")
checks.check_equal(len(_out), 2, "len(encode_context(...))", hint="return the pair (h, c)")
for _name, _t in zip(("h", "c"), _out, strict=False):
    checks.check_shape(
        _t,
        (1, 3, 7),
        f"{_name} from encode_context (B = 3, hidden = 7)",
        hint="keep the LSTM's (num_layers, B, hidden) layout of h_n and c_n; do not squeeze",
    )
### BEGIN HIDDEN TESTS
_h, _c = encode_context(_emb, _enc, _src[:1], torch.tensor([6]))
checks.check_shape(_h, (1, 1, 7), "h for a batch of one")
checks.check_shape(_c, (1, 1, 7), "c for a batch of one")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_encode_context_equal_lengths", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Without padding, the context is the encoder's final (h, c) after the whole source."""
torch.manual_seed(1)
_emb, _enc = nn.Embedding(10, 4, padding_idx=PAD), nn.LSTM(4, 6, batch_first=True)
_src = torch.randint(2, 10, (3, 5))
_, (_h_ref, _c_ref) = _enc(_emb(_src))
_h, _c = encode_context(_emb, _enc, _src, torch.tensor([5, 5, 5]))
checks.check_close(
    _h,
    _h_ref,
    "h for a batch without padding",
    atol=1e-5,
    hint="embed the tokens, run the encoder over them, and return its final state (h_n, c_n) "
    "after the LAST token",
)
checks.check_close(
    _c, _c_ref, "c for a batch without padding", atol=1e-5, hint="return the cell state c_n as c"
)
### BEGIN HIDDEN TESTS
_src = torch.randint(2, 10, (4, 9))
_, (_h_ref, _c_ref) = _enc(_emb(_src))
_h, _c = encode_context(_emb, _enc, _src, torch.full((4,), 9))
checks.check_close(_h, _h_ref, "h for a batch of length-9 sources", atol=1e-5)
checks.check_close(_c, _c_ref, "c for a batch of length-9 sources", atol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_encode_context_padding", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""With padding, each sequence's context is the state after its LAST REAL token (pads unread)."""
torch.manual_seed(2)
_emb, _enc = nn.Embedding(12, 8, padding_idx=PAD), nn.LSTM(8, 16, batch_first=True)
_src = torch.tensor([[5, 6, 7, PAD, PAD], [2, 3, 4, 5, 6]])
_h, _c = encode_context(_emb, _enc, _src, torch.tensor([3, 5]))
_, (_h_alone, _c_alone) = _enc(_emb(_src[:1, :3]))  # the first sequence, read alone
checks.check_close(
    _h[:, :1],
    _h_alone,
    "h of the sequence [5, 6, 7] padded to length 5",
    atol=1e-5,
    hint="the state after the PADs was returned: use pack_padded_sequence(embedded, src_lens, "
    "batch_first=True, enforce_sorted=False) so that the LSTM stops at each sequence's length",
)
checks.check_close(
    _c[:, :1],
    _c_alone,
    "c of the sequence [5, 6, 7] padded to length 5",
    atol=1e-5,
    hint="c must stop at the last real token too: take (h_n, c_n) of the packed LSTM; picking h "
    "out of the per-step outputs leaves a c that has read the PADs",
)
_lens = torch.tensor([3, 5])
encode_context(_emb, _enc, _src, _lens)
checks.check_equal(
    _lens.tolist(), [3, 5], "src_lens after encode_context", hint="do not modify src_lens in place"
)
### BEGIN HIDDEN TESTS
# Reference: every sequence encoded alone, unpadded; lengths unsorted, one of length 1.
_lens = torch.tensor([4, 9, 1, 6, 9, 2])
_src = torch.randint(2, 12, (6, 9))
for _b, _n in enumerate(_lens.tolist()):
    _src[_b, _n:] = PAD
_lens_copy = _lens.clone()
_h, _c = encode_context(_emb, _enc, _src, _lens)
for _b, _n in enumerate(_lens.tolist()):
    _, (_hr, _cr) = _enc(_emb(_src[_b : _b + 1, :_n]))
    checks.check_close(_h[:, _b : _b + 1], _hr, f"h of sequence {_b} (length {_n})", atol=1e-5)
    checks.check_close(_c[:, _b : _b + 1], _cr, f"c of sequence {_b} (length {_n})", atol=1e-5)
checks.check_equal(_lens.tolist(), _lens_copy.tolist(), "src_lens after encode_context")
# Whatever sits in the padded positions must not matter.
_src_noise = _src.clone()
for _b, _n in enumerate(_lens.tolist()):
    _src_noise[_b, _n:] = torch.randint(2, 12, (9 - _n,))
_h2, _c2 = encode_context(_emb, _enc, _src_noise, _lens)
checks.check_close(_h2, _h, "h when the padded positions hold other tokens", atol=1e-6)
checks.check_close(_c2, _c, "c when the padded positions hold other tokens", atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ### The model
#
# Here is the whole encoder-decoder, ready to use: you do not need to change it. Its layers
# come from `course_lib.training.LSTMEncoderDecoder`, which notebooks 03 and 06 use too: two
# embedding tables `src_emb` and `tgt_emb` (32 numbers per token), the `encoder` and `decoder`
# LSTMs (64 units each) and the output layer `out`, a score per token from each decoder state.
# It calls your `encode_context` for the encoder. For training it uses **teacher forcing**: the
# decoder reads the *true* previous target token at every step (`dec_in` is `SOS` followed by
# the target shifted right by one), so one call of the decoder LSTM covers the whole target.
# For generation, `step` advances the decoder by one token at a time.

# %%
class Seq2Seq(training.LSTMEncoderDecoder):
    """An LSTM encoder-decoder whose only link is the encoder's final state (the context).

    Args:
        vocab_size: number of token ids (special tokens included).
        emb_dim: embedding size (default 32).
        hidden_size: LSTM units in the encoder and in the decoder (default 64).
    """

    def __init__(self, vocab_size: int, emb_dim: int = 32, hidden_size: int = 64):
        super().__init__(vocab_size, emb_dim, hidden_size, attention=False)

    def encode(self, src: torch.Tensor, src_lens: torch.Tensor):
        """src (B, S), src_lens (B,) -> context (h, c), each (1, B, hidden)."""
        return encode_context(self.src_emb, self.encoder, src, src_lens)

    def step(self, tokens: torch.Tensor, state):
        """One decoder step: tokens (B,) and state -> logits (B, vocab), new state."""
        emb = self.tgt_emb(tokens)[:, None, :]  # (B, 1, emb)
        dec_out, state = self.decoder(emb, state)  # (B, 1, hidden)
        return self.out(dec_out[:, 0]), state  # (B, vocab)

    def forward(self, src: torch.Tensor, src_lens: torch.Tensor, dec_in: torch.Tensor):
        """Teacher forcing: src (B, S), src_lens (B,), dec_in (B, T) -> logits (B, T, vocab)."""
        state = self.encode(src, src_lens)
        dec_out, _ = self.decoder(self.tgt_emb(dec_in), state)  # (B, T, hidden)
        return self.out(dec_out)  # (B, T, vocab)


# %% [markdown]
# ## 5. Writing the output: greedy decoding
#
# At test time there is no target to read. The decoder starts from the context with input
# `SOS`, picks the most likely token (the argmax of its scores), feeds that token back as its
# next input, and repeats. This is **greedy decoding**. Unlike teacher forcing, the decoder now
# reads its own predictions, so one mistake can lead to others.
#
# ### Exercise 1.5: greedy decoding (5 points)
#
# Write `greedy_decode(model, src, src_lens, max_len)` for any model with this interface:
# - `state = model.encode(src, src_lens)` encodes the sources (call it once);
# - `logits, state = model.step(tokens, state)` takes the current input tokens `(B,)` int64
#   and returns scores `logits (B, vocab)` for the next token, and the new state.
#
# Start every sequence with `SOS`, take the argmax over the vocabulary at each step, feed it
# back in, and carry the state from step to step. Return the `max_len` predicted tokens as a
# `(B, max_len)` int64 tensor, **without** the `SOS`. Run under `torch.no_grad()`.

# %% nbgrader={"grade": false, "grade_id": "greedy_decode", "locked": false, "schema_version": 3, "solution": true, "task": false}
def greedy_decode(model, src: torch.Tensor, src_lens: torch.Tensor, max_len: int) -> torch.Tensor:
    """Generate ``max_len`` tokens per source by always feeding back the most likely token.

    Encodes once, feeds ``SOS`` as the first input, then feeds each step's argmax (over the
    vocabulary) as the next input, carrying the state; runs under ``torch.no_grad()``.

    Args:
        model: has ``encode(src, src_lens) -> state`` and
            ``step(tokens (B,) int64, state) -> (logits (B, vocab), state)``.
        src: (B, S) int64 source tokens, ``PAD``-padded.
        src_lens: (B,) int64 true source lengths.
        max_len: number of tokens to generate (>= 1).

    Returns:
        (B, max_len) int64 tensor of predicted token ids, SOS excluded.
    """
    ### BEGIN SOLUTION
    with torch.no_grad():
        state = model.encode(src, src_lens)
        tokens = torch.full((src.shape[0],), SOS, dtype=torch.long, device=src.device)  # (B,)
        outputs = []
        for _ in range(max_len):
            logits, state = model.step(tokens, state)  # (B, vocab)
            tokens = logits.argmax(dim=-1)  # (B,)
            outputs.append(tokens)
        return torch.stack(outputs, dim=1)  # (B, max_len)
    ### END SOLUTION


# %% [markdown]
# **Try it.** An untrained model writes random-looking tokens; you should see a `(3, 6)`
# tensor of ids between 0 and 11.

# %%
torch.manual_seed(0)
untrained = Seq2Seq(vocab_size=12)
print(greedy_decode(untrained, torch.randint(2, 12, (3, 6)), torch.tensor([6, 6, 6]), 6))

# %% nbgrader={"grade": true, "grade_id": "test_greedy_decode_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""greedy_decode returns a (B, max_len) int64 tensor of token ids."""


class _SuccessorModel:
    """A fake model: row r favours token (previous token + 1 + r) % V. Records its calls."""

    def __init__(self, vocab_size=7):
        self.V = vocab_size
        self.inputs, self.grad_enabled, self.encode_calls = [], [], 0

    def encode(self, src, src_lens):
        self.encode_calls += 1
        return torch.zeros(src.shape[0])

    def step(self, tokens, state):
        self.inputs.append(tokens.clone())
        self.grad_enabled.append(torch.is_grad_enabled())
        rows = torch.arange(tokens.shape[0])
        logits = torch.zeros(tokens.shape[0], self.V)
        logits[rows, (tokens + 1 + rows) % self.V] = 1.0
        return logits, state + 1


torch.manual_seed(0)
_src, _lens = torch.randint(2, 7, (3, 4)), torch.tensor([4, 4, 4])
_got = greedy_decode(_SuccessorModel(), _src, _lens, 5)
checks.check_shape(
    _got,
    (3, 5),
    "greedy_decode(model, src (3, 4), src_lens, max_len=5)",
    hint="one token per step for max_len steps, SOS not included; stack along dim 1",
)
checks.check_equal(
    str(_got.dtype),
    "torch.int64",
    "dtype of greedy_decode's output",
    hint="return token ids (the argmax, int64), not logits or probabilities",
)
### BEGIN HIDDEN TESTS
checks.check_shape(greedy_decode(_SuccessorModel(), _src, _lens, 1), (3, 1), "max_len = 1")
checks.check_shape(greedy_decode(_SuccessorModel(), _src[:1], _lens[:1], 9), (1, 9), "B = 1")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_greedy_decode_feeds_back", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""greedy_decode starts from SOS, takes the argmax over the vocabulary and feeds it back in."""
torch.manual_seed(1)
_model = _SuccessorModel(vocab_size=7)
_got = greedy_decode(_model, torch.randint(2, 7, (3, 4)), torch.tensor([4, 4, 4]), 6)
checks.check_equal(
    _model.inputs[0].tolist() if _model.inputs else None,
    [SOS, SOS, SOS],
    "the first tokens given to model.step",
    hint="the decoder's first input is SOS for every sequence: torch.full((B,), SOS)",
)
# Row r adds 1 + r each step (mod 7), starting from SOS = 1.
checks.check_equal(
    _got.tolist(),
    [[2, 3, 4, 5, 6, 0], [3, 5, 0, 2, 4, 6], [4, 0, 3, 6, 2, 5]],
    "greedy_decode with a model that favours (previous token + 1 + row) % 7",
    hint="feed back the argmax over the vocabulary (logits.argmax(dim=-1)) of each step as the "
    "next input, and leave SOS out of the output",
)
### BEGIN HIDDEN TESTS
_model = _SuccessorModel(vocab_size=11)
_got = greedy_decode(_model, torch.randint(2, 11, (4, 3)), torch.tensor([3, 3, 3, 3]), 8)
checks.check_equal(len(_model.inputs), 8, "number of model.step calls for max_len = 8")
for _k in range(1, 8):
    checks.check_equal(
        _model.inputs[_k].tolist(), _got[:, _k - 1].tolist(), f"input of step {_k} (own prediction)"
    )
_expected = []
for _r in range(4):
    _tok, _row = SOS, []
    for _ in range(8):
        _tok = (_tok + 1 + _r) % 11
        _row.append(_tok)
    _expected.append(_row)
checks.check_equal(_got.tolist(), _expected, "greedy_decode with vocab 11, B = 4")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_greedy_decode_state", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""greedy_decode encodes once, carries the decoder state from step to step, with no gradients."""


class _CounterModel:
    """A fake model whose state counts steps; it favours the token state % V."""

    def __init__(self, vocab_size=7, start=3):
        self.V, self.start = vocab_size, start
        self.encode_calls, self.grad_enabled = 0, []

    def encode(self, src, src_lens):
        self.encode_calls += 1
        return torch.full((src.shape[0],), self.start)

    def step(self, tokens, state):
        self.grad_enabled.append(torch.is_grad_enabled())
        logits = torch.nn.functional.one_hot(state % self.V, self.V).float()
        return logits, state + 1


torch.manual_seed(2)
_model = _CounterModel()
_got = greedy_decode(_model, torch.randint(2, 7, (2, 4)), torch.tensor([4, 4]), 6)
checks.check_equal(
    _got.tolist(),
    [[3, 4, 5, 6, 0, 1]] * 2,
    "greedy_decode with a model whose state counts the steps",
    hint="pass the state returned by model.step into the next call (logits, state = "
    "model.step(tokens, state)); do not re-encode or reset it",
)
checks.check_equal(
    _model.encode_calls, 1, "number of model.encode calls", hint="encode the source once"
)
checks.check_equal(
    any(_model.grad_enabled),
    False,
    "gradients enabled during decoding",
    hint="wrap the decoding loop in `with torch.no_grad():`",
)
### BEGIN HIDDEN TESTS
_model = _CounterModel(vocab_size=5, start=0)
_got = greedy_decode(_model, torch.randint(2, 5, (3, 2)), torch.tensor([2, 2, 2]), 7)
checks.check_equal(_got.tolist(), [[0, 1, 2, 3, 4, 0, 1]] * 3, "counter model, vocab 5")
checks.check_equal(_model.encode_calls, 1, "number of model.encode calls")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_greedy_decode_real_model", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""On a real Seq2Seq, greedy output y is the argmax of teacher forcing on [SOS, y[:-1]]."""


class _FullLengthSeq2Seq(Seq2Seq):
    """Seq2Seq for sources without padding (so this test does not depend on Exercise 1.4)."""

    def encode(self, src, src_lens):
        _, state = self.encoder(self.src_emb(src))
        return state


def _check_teacher_forcing_property(seed, B, S, vocab, max_len):
    torch.manual_seed(seed)
    model = _FullLengthSeq2Seq(vocab, emb_dim=8, hidden_size=16).double().eval()
    src = torch.randint(2, vocab, (B, S))
    lens = torch.full((B,), S)
    y = greedy_decode(model, src, lens, max_len)
    dec_in = torch.cat([torch.full((B, 1), SOS), y[:, :-1]], dim=1)  # (B, max_len)
    with torch.no_grad():
        again = model(src, lens, dec_in).argmax(dim=-1)
    checks.check_equal(
        y.tolist(),
        again.tolist(),
        f"greedy_decode(random Seq2Seq, max_len={max_len}) vs its teacher-forced argmax",
        hint="each step's input must be the previous step's argmax (SOS first), with the state "
        "carried along; the output is the argmax after each step",
    )


_check_teacher_forcing_property(seed=0, B=4, S=6, vocab=12, max_len=6)
### BEGIN HIDDEN TESTS
_check_teacher_forcing_property(seed=1, B=3, S=5, vocab=9, max_len=11)
_check_teacher_forcing_property(seed=2, B=5, S=8, vocab=20, max_len=3)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The experiment: accuracy against source length
#
# **The task.** `ReversalTask` makes sequences of random symbols (10 of them, shown as letters
# `a` to `j`) and asks for the same sequence backwards. Every target position depends on exactly
# one source position, the symbols are uniformly random (so there is nothing to guess from
# context; chance is 10%), and the model must hold *every* symbol until it writes it. Training
# batches mix lengths from 4 to 24.

# %%
task = ReversalTask()
example = task.batch(3, np.random.default_rng(0))
for i in range(3):
    n = int(example.src_lens[i])
    print(
        f"source {task.decode(example.src[i, :n]):24}  ->  target {task.decode(example.tgt[i, :n])}"
    )


# %% [markdown]
# **Training.** We build the model with 32-dimensional embeddings and 64 LSTM units, seed it,
# and train it for 2000 steps of 64 sequences with `course_lib.training.train_seq2seq` (teacher
# forcing, cross-entropy on the target tokens, Adam with a learning rate of 0.003 decaying along a
# cosine, gradient norm clipped at 1, one CPU thread). It takes about 25 seconds on a quiet
# CPU core, longer when the machine is busy.

# %% tags=["demo"]
class ReferenceContextSeq2Seq(Seq2Seq):
    """Seq2Seq whose encoder returns the LSTM's state after the last real token, computed by
    PyTorch's packing: this cell's stand-in while your encode_context is unfinished."""

    def encode(self, src: torch.Tensor, src_lens: torch.Tensor):
        packed = pack_padded_sequence(
            self.src_emb(src), src_lens, batch_first=True, enforce_sorted=False
        )
        return self.encoder(packed)[1]  # (h, c), each (1, B, hidden)


model_class = Seq2Seq
try:
    Seq2Seq(task.vocab_size).encode(torch.ones(1, 2, dtype=torch.long), torch.tensor([2]))
except NotImplementedError:
    print(
        "*** your `encode_context` is not finished: this model uses PyTorch's packing in a "
        "stand-in written in this cell instead ***"
    )
    model_class = ReferenceContextSeq2Seq
seed_everything(0)
model = model_class(task.vocab_size)
log = training.train_seq2seq(model, task, steps=2000, description="LSTM, no attention")
print(
    f"trained in {log.seconds:.1f} s; loss over the last 50 steps: {np.mean(log.losses[-50:]):.3f}"
)


# %% [markdown]
# **Evaluation.** For each source length from 4 to 24 we draw 500 new sources, decode them
# greedily and count the fraction of target positions the model gets right.

# %% tags=["demo"]
@torch.no_grad()
def reference_greedy_decode(model, src, src_lens, max_len):
    """Greedy decoding as in exercise 1.5: the demos' stand-in while yours is unfinished."""
    state, tokens, outputs = model.encode(src, src_lens), torch.full_like(src[:, 0], SOS), []
    for _ in range(max_len):
        logits, state = model.step(tokens, state)  # (B, vocab)
        tokens = logits.argmax(dim=-1)  # (B,)
        outputs.append(tokens)
    return torch.stack(outputs, dim=1)  # (B, max_len)


decode = greedy_decode
try:
    greedy_decode(model, torch.ones(1, 2, dtype=torch.long), torch.tensor([2]), 1)
except NotImplementedError:
    print(
        "*** your `greedy_decode` is not finished: the demos below use a reference written in "
        "this cell instead ***"
    )
    decode = reference_greedy_decode

lengths = [4, 8, 12, 16, 20, 24]
accuracy = training.accuracy_by_length(
    lambda src, lens, n: decode(model, src, lens, n), task, lengths
)
print("token accuracy:", ", ".join(f"length {L}: {100 * a:.1f}%" for L, a in accuracy.items()))

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
training.plot_accuracy_vs_length(
    {"LSTM encoder-decoder, no attention": accuracy}, ax=axes[0], train_max_len=task.max_len
)
axes[1].plot(log.smoothed(50))
axes[1].set_xlabel("training step")
axes[1].set_ylabel("cross-entropy (50-step average)")
axes[1].set_title("Training loss")
axes[1].grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# **What we measured** (seed 0, one CPU thread): the model is perfect at length 4, still about
# 99% right at length 8 and 94% at length 12, then falls: about 79% at 16, 61% at 20 and
# **46% at 24**. Length 24 is not an extrapolation: the model saw lengths up to 24 (the dotted
# line) throughout training, and the loss curve is nearly flat by the end (the learning rate
# decays to zero). On another machine or thread count the numbers can differ by a few points;
# across seeds 0, 1 and 2 the accuracy at length 24 ranged from 42% to 46%.
#
# Here is what the mistakes look like (`^` marks a wrong token):

# %% tags=["demo"]
rng = np.random.default_rng(7)
for L in (8, 16, 24):
    batch = task.batch(2, rng, length=L)
    pred = decode(model, batch.src, batch.src_lens, L)
    for i in range(2):
        wrong = pred[i] != batch.tgt[i]
        print(f"length {L:2}  source    {task.decode(batch.src[i])}")
        print(f"            target    {task.decode(batch.tgt[i])}")
        print(f"            predicted {task.decode(pred[i])}")
        print(
            f"                      {''.join('^' if w else ' ' for w in wrong.tolist())}"
            f"  {int(wrong.sum())} wrong"
        )

# %% [markdown]
# Which positions go wrong? The first target symbol is the **last** source symbol, read just
# before decoding began; the last target symbol is the **first** source symbol, read longest
# ago, which has to survive inside the state through the rest of the source and through the
# decoder's own earlier steps. Let us count per target position at length 24.
#
# ### Exercise 1.6: predict, then measure (2 points)
#
# Before you run the count below, predict what it will show, and write your predictions down
# here. They are graded; the count is not. The model gets 46% of all the tokens right at
# length 24 (the figure above).
#
# 1. What percentage of the 500 sources does the model get right at target position 0, the
#    copy of the last source symbol? (a number of percent, like 50; within 10 points of the
#    measured value is enough)
# 2. Along the target, from position 0 to position 23, the accuracy:
#    (a) falls, then stays well above chance, at about a third, through the second half;
#    (b) stays about level at 46%: every position is decoded from the same context;
#    (c) rises: the decoder gets better as it goes, having written more of the answer;
#    (d) falls to chance, 10%, over the second half: the first symbols read are lost.
#
# Hint: which symbol was the encoder reading when it produced the context, and which one had to
# survive 23 more encoder steps and 23 decoder steps?

# %% nbgrader={"grade": false, "grade_id": "position_prediction", "locked": false, "schema_version": 3, "solution": true, "task": false}
prediction_first_position_percent = None
prediction_position_trend = None
### BEGIN SOLUTION
prediction_first_position_percent = 95  # the last symbol read is the freshest in the context
prediction_position_trend = "a"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_position_prediction_first", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Prediction 1: the accuracy at target position 0, in percent (within 10 points)."""
checks.check_type(
    prediction_first_position_percent,
    (int, float),
    "prediction_first_position_percent",
    hint="a number of percent between 0 and 100, like 50 (not a fraction like 0.5)",
)
### BEGIN HIDDEN TESTS
checks.check_close(
    float(prediction_first_position_percent),
    95.0,
    "prediction_first_position_percent",
    atol=10.0,
    rtol=0.0,
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_position_prediction_trend", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Prediction 2: how the accuracy changes along the target at length 24."""
_choice = prediction_position_trend
if isinstance(_choice, str):
    _choice = _choice.strip().lower()  # "A" is read as "a"
checks.check_choice(_choice, ["a", "b", "c", "d"], "prediction_position_trend")
### BEGIN HIDDEN TESTS
checks.check_equal(_choice, "a", "prediction_position_trend")
### END HIDDEN TESTS

# %% tags=["demo"]
batch24 = task.batch(500, np.random.default_rng(10_024), length=24)
pred24 = decode(model, batch24.src, batch24.src_lens, 24)
per_position = (pred24 == batch24.tgt).float().mean(dim=0).numpy()  # (24,)

fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar(np.arange(24), 100 * per_position)
ax.axhline(100 / task.n_symbols, color="grey", linestyle=":", label="chance (10%)")
ax.set_xlabel("target position (0 = last source symbol ... 23 = first source symbol)")
ax.set_ylabel("token accuracy (%)")
ax.set_title("Where the model without attention fails, length 24")
ax.set_ylim(0, 100)
ax.legend()
plt.show()
print("accuracy by target position:", " ".join(f"{100 * p:.0f}" for p in per_position))
print(
    f"first 4 positions: {100 * per_position[:4].mean():.0f}%, "
    f"second half: {100 * per_position[12:].mean():.0f}%"
)

# %% [markdown]
# The first target positions, which copy the most recently read symbols, are the ones the
# model gets right most often (95% for the very first, 83% on average over the first four). Accuracy then falls along
# the target and stays between about 27% and 38% through the whole second half (33% on
# average), still above chance: the symbols the encoder read first are the ones the context
# has mostly lost.
#
# Now compare with your predictions of exercise 1.6, in the cell below: what did you predict,
# what was measured, and, if they differ, which step of your reasoning went wrong? (Not graded
# automatically; it stays in your notebook for your teacher to read.)

# %% [markdown]
# **Your comparison.** *(Double-click this cell and replace this line with a few
# sentences: what you predicted, what was measured, and where and why they differ.)*

# %% [markdown]
# **Why one lost word matters.** A token accuracy of 33% sounds like a degraded copy, but in a
# translation each wrong position can be a word that carries the meaning. French puts a
# negation in two small words around the verb: "je ne veux pas partir" is "I do not want to
# leave". A decoder that loses "ne ... pas" writes "I want to leave", fluent and the exact
# opposite. In the bar chart each target position is such a word, and the positions that fail
# most are the ones whose source word was read longest ago. The context does not fade evenly:
# whatever the encoder read early, a negation included, is what it is most likely to drop.
#
# **The bottleneck.** Everything the decoder knows about the source sits in the context: 64
# numbers of $\mathbf{h}$ and 64 of $\mathbf{c}$, exactly as many for 4 symbols as for 24. The
# encoder must squeeze each new symbol into the same vector while keeping the old ones, and the
# decoder must unpack them in reverse order from a state it keeps overwriting. A bigger state or
# longer training can move the curve to the right (2000 steps is a deliberate budget here), but
# it does not change the design: the source keeps growing, the context does not. And the
# gradient that would teach the encoder to keep its first symbols must travel back through
# every step in between, which section 3 showed can be a long, lossy road.
#
# Attention removes the bottleneck by giving the decoder a direct path to *every* encoder
# output, at every step: it scores how similar each encoder output is to the decoder's current
# state, turns the scores into percentages, and takes the weighted average as extra input. That
# is notebook 03, on this very task; the similarity scores are the subject of notebook 02.

# %% tags=["demo"]
longest = max(lengths)
print(
    f"Result: LSTM encoder-decoder without attention at length {longest}: "
    f"{100 * accuracy[longest]:.1f}% token accuracy (trained in {log.seconds:.1f} s)"
)

# %% [markdown]
# ## 7. Check your understanding (5 points)
#
# Set each answer below. Multiple choice answers are a single letter (a string, like `"b"`);
# numeric answers are numbers.
#
# 1. In the model of section 6 (64 LSTM units), how many numbers does the context $(h, c)$ that
#    the encoder passes to the decoder hold for ONE source of 24 symbols? (a number)
# 2. Why does the gradient that reaches an input $k$ steps before the last one tend to shrink
#    exponentially in $k$ in a vanilla RNN? (a) the loss is averaged over the $k$ steps, so an
#    early input only gets a $1/k$ share of the gradient; (b) it is a product of $k$ Jacobians
#    $\operatorname{diag}(1 - \mathbf{h}_t^2) W_{hh}^\top$, and when these shrink vectors the
#    product shrinks geometrically; (c) the hidden state itself decays towards zero over the $k$
#    steps, because $\tanh$ is bounded and squashes it a little more at every step; (d) the
#    learning rate is too small for the steps far from the loss.
# 3. Suppose every Jacobian in that product multiplied the gradient's norm by exactly 0.6. The
#    gradient reaching the input 20 steps before the last is the last step's gradient times
#    what number? (a number; three significant figures are enough)
# 4. In $\mathbf{c}_t = \mathbf{f}_t \odot \mathbf{c}_{t-1} + \mathbf{i}_t \odot \mathbf{g}_t$,
#    what does a forget gate close to 1 do? (a) keeps the previous cell almost unchanged, so the
#    gradient along the cell is multiplied by about 1 per step; (b) erases the cell, so that each
#    step starts again from the new candidate $\mathbf{g}_t$ and nothing older survives; (c) opens
#    the output gate, so that the whole cell is copied into $\mathbf{h}_t$ at every step;
#    (d) makes the new candidate $\mathbf{g}_t$ count twice, once through each of the two gates.
# 5. At length 24, which target positions did the model without attention get wrong most
#    often? (a) the first few, which copy the last source symbols, the ones read just before
#    decoding starts; (b) all positions equally, since every one of them is decoded from the same
#    fixed-size context; (c) only the very last one, because the decoder runs out of steps;
#    (d) the later ones, which copy the first source symbols, read longest before they are needed.

# %% nbgrader={"grade": false, "grade_id": "understanding", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_1 = None
answer_2 = None
answer_3 = None
answer_4 = None
answer_5 = None
### BEGIN SOLUTION
answer_1 = 128
answer_2 = "b"
answer_3 = 0.6**20
answer_4 = "a"
answer_5 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 1: the size of the context."""
checks.check_type(answer_1, (int, float), "answer_1", hint="a number, like 100")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_1), 128.0, "answer_1")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 2: why gradients vanish."""
checks.check_choice(answer_2, ["a", "b", "c", "d"], "answer_2")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_2, "b", "answer_2")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 3: a product of 20 factors of 0.6."""
checks.check_type(answer_3, (int, float), "answer_3", hint="a number, like 0.001")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_3), 0.6**20, "answer_3", atol=1e-8, rtol=1e-2)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 4: what the forget gate does."""
checks.check_choice(answer_4, ["a", "b", "c", "d"], "answer_4")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_4, "a", "answer_4")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q5", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 5: which target positions are hardest without attention."""
checks.check_choice(answer_5, ["a", "b", "c", "d"], "answer_5")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_5, "d", "answer_5")
### END HIDDEN TESTS

# %% [markdown]
# ## Recap
#
# - A vanilla RNN updates one hidden state,
#   $\mathbf{h}_t = \tanh(\mathbf{x}_t W_{xh} + \mathbf{h}_{t-1} W_{hh} + \mathbf{b}_h)$, with the
#   same weights at every step; unrolling it is a loop that feeds each state into the next step.
# - The gradient reaching an input $k$ steps back is a product of $k$ Jacobians. At
#   initialisation it decays exponentially: we measured about 0.52 per step for a vanilla RNN.
# - The LSTM's cell path is additive and scaled only by the forget gate. At default
#   initialisation the gradient still decays (about 0.63 per step); a forget bias of +1 slows
#   that to about 0.83 per step. The LSTM's memory *can* last thousands of steps once its
#   forget gates are trained close to 1; training does not always find that, and our trained
#   model already loses most symbols it must hold for 25 to 47 steps.
# - An encoder-decoder without attention passes one context, the encoder's final $(h, c)$, to
#   the decoder. With padded batches, that state must be taken after each sequence's last real
#   token (packing).
# - Greedy decoding starts from `SOS` and feeds back its own argmax; training uses teacher
#   forcing instead.
# - On sequence reversal, accuracy falls from 100% at length 4 to about 46% at length 24, and
#   the errors concentrate on the symbols read first: the fixed-size context is a bottleneck.
#   In a translation one lost word, a negation such as "ne ... pas", can reverse the meaning.
# - Next: notebook 02 builds the similarity scores, and notebook 03 uses them for attention,
#   which gives the decoder a direct path to every encoder output.
#
# ## Further reading
#
# - Bengio, Simard and Frasconi, *Learning Long-Term Dependencies with Gradient Descent is
#   Difficult* (1994): why gradients through many steps vanish or explode.
# - Hochreiter and Schmidhuber, *Long Short-Term Memory* (1997): the LSTM and its constant error
#   path.
# - Gers, Schmidhuber and Cummins, *Learning to Forget: Continual Prediction with LSTM* (2000):
#   the forget gate.
# - Pascanu, Mikolov and Bengio, *On the difficulty of training recurrent neural networks*
#   (2013): the product of Jacobians, and gradient clipping.
# - Sutskever, Vinyals and Le, *Sequence to Sequence Learning with Neural Networks* (2014): the
#   LSTM encoder-decoder for translation (and why reversing the source helped it).
# - Cho et al., *Learning Phrase Representations using RNN Encoder-Decoder for Statistical
#   Machine Translation* (2014): the encoder-decoder with a fixed-length context, and the gated
#   unit later called the GRU.
# - Jozefowicz, Zaremba and Sutskever, *An Empirical Exploration of Recurrent Network
#   Architectures* (2015): among other findings, a forget gate bias of 1.
# - Bahdanau, Cho and Bengio, *Neural Machine Translation by Jointly Learning to Align and
#   Translate* (2014): the bottleneck measured on real translation, and attention as the cure.
