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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attention-course/attention-course-student/blob/main/notebooks/03_attention/03_attention.ipynb)

# %% [markdown]
# # 03 · Attention: letting the decoder look back at every word
#
# An LSTM encoder-decoder reads a whole sentence and hands the decoder a single summary: its
# final state. Notebook 01 showed what that costs: the longer the sentence, the more the
# translation goes wrong. **Attention** removes the bottleneck. Before writing each word, the
# decoder compares what it currently holds with the encoder's output for *every* source word,
# turns the comparisons into percentages, and mixes the encoder outputs with those percentages.
# The mixture, the **context vector**, goes into the prediction alongside the decoder's own
# output. This notebook builds that mechanism piece by piece and then measures what it buys.
#
# **You will learn to**
# - follow one attention step with actual numbers, from similarity scores to a predicted word;
# - write a numerically stable softmax from scratch, and explain why the maximum is subtracted;
# - compute attention weights for a batch of padded sentences, with a padding mask;
# - compute the context vector as a weighted sum of encoder outputs;
# - combine the context with the decoder's output into a prediction (Luong et al. 2015);
# - show experimentally that attention stops the accuracy of an encoder-decoder from collapsing
#   as sentences get longer, and read an alignment heatmap.
#
# **Prerequisites**: notebook 02 (dot products and why attention uses them); the encoder-decoder
# of notebook 01 helps but is recalled here. PyTorch basics: tensors with a batch dimension,
# broadcasting, `dim=` arguments, `nn.Linear`, `nn.LSTM`.
#
# **Estimated time**: about 2 hours. Running every cell takes one to two minutes on a
# 2-core laptop CPU, most of it training two small models; no GPU needed: everything here runs
# on the CPU.
#
# **How this notebook works**: exercises are marked `YOUR CODE HERE`. Replace the
# `raise NotImplementedError()` line with your code, run the cell, then run the test cells
# under it. A failing test tells you what it expected, what it got, and the likely mistake.
# Some tests are hidden and run only when your work is graded, so make your functions right in
# general, not just for the visible examples. The training cells at the end use your functions,
# so do the exercises first.

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
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib import checks, data, plots, training
from course_lib.data import PAD, SOS, ReversalTask
from course_lib.device import describe_device, get_device, seed_everything

np.set_printoptions(precision=3, suppress=True)
torch.set_printoptions(precision=4, sci_mode=False)

# As in every notebook: seed the random number generators and pick the device.
seed_everything(0)
DEVICE = get_device()
print(describe_device(DEVICE))

# %% [markdown]
# ## 1. Why one summary vector is not enough
#
# In a basic encoder-decoder (Sutskever et al. 2014; Cho et al. 2014) the encoder, a recurrent
# network such as an LSTM, reads the source sentence one token at a time, and its final state is
# the only thing the decoder receives. Every source word has to survive in that one vector until the decoder needs it.
#
# Translation makes the problem plain. Here is the small English to Spanish phrase set that ships
# with the course:

# %%
pairs = data.phrase_pairs()
reordered = {"the black cat", "the white dog", "the black cat runs"}  # marked by hand
for english, spanish in pairs:
    n_en, n_es = len(english.split()), len(spanish.split())
    note = "word order changes" if english in reordered else ""
    print(f"{english:>20}  ->  {spanish:<22} {n_en} -> {n_es} words  {note}".rstrip())

# %% [markdown]
# Some pairs keep the word order ("the cat eats" -> "el gato come"). Others do not: Spanish
# puts most adjectives after the noun, so in "the black cat" -> "el gato negro" the **second**
# Spanish word, "gato", translates the **third** English word, "cat". And "let's go" becomes a
# single word, "vamos". A decoder that writes one word per step therefore needs, at each step, a
# way to look at *any* source word, not just the next one in line.
#
# The figures below draw these correspondences (an **alignment**) by hand: row = Spanish word,
# column = English word, a filled cell where one translates the other. Keep them in mind: at the
# end of the notebook a trained model draws a figure like this by itself.

# %% tags=["demo"]
fig, axes = plt.subplots(
    1, 2, figsize=(8, 3.4), layout="constrained", gridspec_kw={"width_ratios": [4, 2]}
)
plots.heatmap(
    np.eye(4)[[0, 2, 1, 3]],  # row = Spanish word: el-the, gato-cat, negro-black, corre-runs
    "el gato negro corre".split(),
    "the black cat runs".split(),
    ax=axes[0],
    cmap="Blues",
    annotate=False,
    colorbar=False,
    title="hand-made alignment: word order changes",
    xlabel="English",
    ylabel="Spanish",
)
plots.heatmap(
    np.ones((1, 2)),
    ["vamos"],
    ["let's", "go"],
    ax=axes[1],
    cmap="Blues",
    vmin=0,
    vmax=1,
    annotate=False,
    colorbar=False,
    title="two words become one",
    xlabel="English",
)
plt.show()

# %% [markdown]
# ## 2. One attention step by hand: "let's go" -> "vamos"
#
# Let us follow one step with actual numbers (`data.lets_go_example()`, made-up but plausible
# values, two numbers per vector as from an LSTM with two units). The encoder has produced one
# output per source word, and the decoder, fed the `<EOS>` token that starts the translation,
# has produced its first output. (This example starts the decoder with the end-of-sentence
# token, as notebook 02 explained; our code calls its start token `SOS`. Only the name
# differs.) Attention now does four things.
#
# 1. **Score** every encoder output against the decoder output with a dot product (notebook 02):
#    a larger score means "more similar", so "more relevant for the word about to be written".
# 2. **Normalise** the scores into percentages that add up to 100% with the softmax function,
#    $\mathrm{softmax}(\mathbf{s})_i = e^{s_i} / \sum_j e^{s_j}$: exponentials make every score
#    positive, and dividing by their sum makes them add up to 1.
# 3. **Mix** the encoder outputs with those percentages: a weighted sum, the **attention
#    context**.
# 4. **Predict**: concatenate the decoder output and the context, and let a fully connected
#    layer score every word of the output vocabulary; a softmax turns those scores into
#    probabilities.

# %%
example = data.lets_go_example()
enc = example.encoder_outputs  # (2, 2): one row per source word
dec = example.decoder_output  # (2,): the decoder's output at its first step

scores = enc @ dec  # (2,): one dot product per source word
percent = np.exp(scores) / np.exp(scores).sum()  # (2,): softmax, sums to 1
context = percent @ enc  # (2,): percent[0] * enc[0] + percent[1] * enc[1]
combined = np.concatenate([dec, context])  # (4,): [decoder output, context]
token_scores = example.output_weights @ combined + example.output_bias  # (4,): one per token
token_probs = np.exp(token_scores) / np.exp(token_scores).sum()  # (4,)

for word, vec, s, p in zip(example.source_tokens, enc, scores, percent, strict=True):
    print(f"encoder output for {word!r:8} {vec}   score {s:+.3f}   attention {p:6.1%}")
print(f"decoder output at <EOS>          {dec}")
print(f"attention context                {context}")
print(f"[decoder output, context]        {combined}")
for token, s, p in zip(example.output_tokens, token_scores, token_probs, strict=True):
    print(f"output token {token!r:8} score {s:+.3f}   probability {p:6.1%}")
print("prediction:", example.output_tokens[int(np.argmax(token_probs))])

# %% [markdown]
# The decoder output is closer to the encoder output for "go" (score 0.92) than to the one for
# "let's" (score 0.05), so "go" gets about 70% of the attention and "let's" about 30%. The
# context is therefore mostly "go", with some "let's" mixed in. The output layer sees both the
# decoder's state and this context and picks "vamos". Note that "let's" is *not* ignored: 30% is
# a real share, and that is what lets a single Spanish word depend on two English ones.

# %% tags=["demo"]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), layout="constrained")
axes[0].bar(example.source_tokens, scores, color="tab:gray")
axes[0].set_title("1. dot-product scores")
axes[1].bar(example.source_tokens, 100 * percent, color="tab:blue")
axes[1].set_title("2. softmax: attention (%)")
axes[1].set_ylim(0, 100)
axes[2].bar(example.output_tokens, 100 * token_probs, color="tab:green")
axes[2].set_title("4. output probabilities (%)")
axes[2].set_ylim(0, 100)
for ax in axes:
    ax.grid(axis="y", alpha=0.3)
plt.show()


# %% [markdown]
# The rest of the notebook turns these four lines of numpy into PyTorch functions that work on
# a whole batch of sentences at once, handle padding, and can be trained.

# %% [markdown]
# ## 3. A softmax that does not overflow
#
# The softmax of a vector $\mathbf{x} \in \mathbb{R}^n$ is
#
# $$\mathrm{softmax}(\mathbf{x})_i = \frac{e^{x_i}}{\sum_{j=1}^{n} e^{x_j}} .$$
#
# Written literally, it breaks on large inputs. In float32, $e^{x}$ is `inf` as soon as
# $x > 88.7$, and `inf / inf` is `nan`. Dot-product scores grow with the lengths of the vectors
# (notebook 02), so large scores do happen. The fix rests on one identity: adding the same
# constant $c$ to every input does not change the softmax, because
#
# $$\frac{e^{x_i - c}}{\sum_j e^{x_j - c}} = \frac{e^{-c}\,e^{x_i}}{e^{-c}\sum_j e^{x_j}}
#   = \frac{e^{x_i}}{\sum_j e^{x_j}} .$$
#
# Choose $c = \max_j x_j$. Then every exponent is at most 0, so nothing overflows, and the
# largest term is exactly $e^0 = 1$, so the denominator is at least 1: no division by zero. Tiny
# terms may round to 0, which is harmless.
#
# Two details matter for tensors:
#
# - The softmax runs along one dimension, `dim`, independently for every slice along it (every
#   row of a `(B, S)` matrix with `dim=-1`). The maximum must be taken **per slice** too: a row of
#   scores near $-1000$ shifted by the maximum of another row near $+1000$ would underflow to all
#   zeros, and $0/0$ is `nan`.
# - `x.amax(dim=dim, keepdim=True)` keeps the reduced dimension with size 1, so the result
#   broadcasts against `x`; the same goes for `.sum(dim=dim, keepdim=True)`.
#
# Finally, $e^{-\infty} = 0$ exactly. An entry equal to `-inf` therefore gets a softmax of exactly
# 0 while the rest of its row still adds up to 1. Section 4 builds the padding mask on that.

# %% [markdown]
# ### Exercise 3.1: a numerically stable softmax (5 points)
#
# Write `softmax(x, dim=-1)` for a float tensor `x` of any shape: return a tensor of the same
# shape and dtype whose slices along `dim` are non-negative and sum to 1. Subtract the maximum
# along `dim` before exponentiating. Use `torch.exp`, `.amax` and `.sum` (`.max(dim,
# keepdim=True)` works too, but returns a (values, indices) pair: take its `.values`);
# `torch.softmax`, `F.softmax`, `Tensor.softmax`, `torch.special.softmax`, their `log_softmax`
# versions, `F.softmin` and `torch._softmax` are switched off when this exercise is graded.
# Entries equal to `-inf` must come out as exactly 0 (assume every slice has at least one finite
# entry: a slice that is all `-inf` has no finite maximum to subtract, and comes out as `nan`, as
# it does with `torch.softmax`).

# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax of ``x`` along ``dim``.

    Args:
        x: float tensor of any shape, e.g. (B, S); may contain -inf (masked entries).
        dim: the dimension to normalise over.

    Returns:
        a tensor of the shape and dtype of ``x``; its slices along ``dim`` sum to 1, and
        entries that were -inf are exactly 0.
    """
    ### BEGIN SOLUTION
    shifted = x - x.amax(dim=dim, keepdim=True)  # largest entry of each slice becomes 0
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=dim, keepdim=True)
    ### END SOLUTION


# %% [markdown]
# **Try it.** `softmax` of `[1, 2, 3]` is about `[0.0900, 0.2447, 0.6652]`. Adding $10^4$ to every
# entry changes nothing (a literal softmax would return `nan` here). A `-inf` entry gets 0, and
# with `dim=0` each *column* of a matrix sums to 1.

# %%
print(softmax(torch.tensor([1.0, 2.0, 3.0])))
print(softmax(torch.tensor([1.0, 2.0, 3.0]) + 1e4))
print(softmax(torch.tensor([1.0, float("-inf"), 3.0])))
print(softmax(torch.tensor([[1.0, 2.0], [3.0, 5.0]]), dim=0))

# %% nbgrader={"grade": true, "grade_id": "test_softmax_values", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""softmax matches exp(x_i) / sum_j exp(x_j) along the last dimension, row by row."""
_x = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, math.log(2.0)]])
_e = math.e
checks.check_close(
    softmax(_x),
    torch.tensor(
        [
            [1 / (1 + _e + _e**2), _e / (1 + _e + _e**2), _e**2 / (1 + _e + _e**2)],
            [0.25, 0.25, 0.5],
        ]
    ),
    "softmax([[1, 2, 3], [0, 0, log 2]])",
    hint="exponentiate, then divide by the sum of each ROW (dim=-1, keepdim=True), not of the "
    "whole tensor",
)
checks.check_equal(
    softmax(_x.double()).dtype,
    torch.float64,
    "softmax(float64 tensor).dtype",
    hint="keep the dtype of x; a new torch.tensor(...) is float32 unless told otherwise",
)


# softmax is trained through: its gradient is the softmax's own (no detach, no no_grad)
def _softmax_gradient(fn, x):
    x = x.clone().requires_grad_(True)
    try:
        (fn(x) * torch.arange(1.0, x.shape[-1] + 1, dtype=x.dtype)).sum().backward()
    except RuntimeError:  # nothing to differentiate: the output does not depend on x
        return None
    return x.grad


_x = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
_s = torch.nn.functional.softmax(_x, dim=-1)
_w = torch.arange(1.0, 4.0, dtype=torch.float64)
_grad = checks.probe(_softmax_gradient, softmax, _x)
checks.check_close(
    torch.zeros_like(_x) if _grad is None else _grad,
    _s * (_w - (_w * _s).sum(dim=-1, keepdim=True)),
    "gradient of sum(softmax(x) * [1, 2, 3]) with respect to x",
    atol=1e-5,
    hint="compute with torch all the way, without .detach(), torch.no_grad() or numpy: the "
    "models of this notebook are trained through your softmax",
)
### BEGIN HIDDEN TESTS
import torch.nn.functional as F

_gen = torch.Generator().manual_seed(31)
for _shape in [(5,), (4, 7), (3, 2, 6), (1, 1)]:
    _x = torch.randn(_shape, generator=_gen) * 3
    checks.check_close(
        softmax(_x), F.softmax(_x, dim=-1), f"softmax of a random tensor of shape {_shape}"
    )
_x = torch.randn(6, 5, generator=_gen, dtype=torch.float64)
_got = softmax(_x)
checks.check_equal(_got.dtype, torch.float64, "softmax(float64 tensor).dtype")
checks.check_close(_got, F.softmax(_x, dim=-1), "softmax of a float64 matrix", atol=1e-12)
_x_copy = _x.clone()
softmax(_x)
checks.check_close(_x, _x_copy, "x after softmax(x) (the input must not be modified)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_softmax_dim", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""softmax normalises along the dimension it is given, for any dim."""
_x = torch.tensor([[1.0, 2.0, 0.0], [3.0, 5.0, 0.0]])
_got = softmax(_x, dim=0)
checks.check_shape(_got, (2, 3), "softmax(x (2, 3), dim=0)")
checks.check_close(
    _got.sum(dim=0),
    torch.ones(3),
    "softmax(x, dim=0).sum(dim=0) (each column must sum to 1)",
    hint="use the `dim` argument for the max and the sum instead of a fixed -1",
)
### BEGIN HIDDEN TESTS
import torch.nn.functional as F

_gen = torch.Generator().manual_seed(32)
_x = torch.randn(3, 4, 5, generator=_gen) * 2
for _dim in (0, 1, 2, -1, -2):
    checks.check_close(
        softmax(_x, dim=_dim), F.softmax(_x, dim=_dim), f"softmax(x (3, 4, 5), dim={_dim})"
    )
checks.check_close(softmax(_x[0, 0]), F.softmax(_x[0, 0], dim=0), "softmax of a 1-D tensor")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_softmax_stable", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""softmax is stable: no inf or nan for scores around 1e4, in every row whatever its scale."""
_got = softmax(torch.tensor([1e4, 1e4 + 1.0, 1e4 - 2.0]))
checks.check_finite(
    _got,
    "softmax([1e4, 1e4 + 1, 1e4 - 2])",
    hint="exp(1e4) overflows to inf and inf / inf is nan: subtract the maximum first",
)
checks.check_close(
    _got,
    torch.tensor([math.exp(0.0), math.exp(1.0), math.exp(-2.0)])
    / (math.exp(0.0) + math.exp(1.0) + math.exp(-2.0)),
    "softmax([1e4, 1e4 + 1, 1e4 - 2]) (same as softmax([0, 1, -2]))",
)
_got = softmax(torch.tensor([[300.0, 302.0], [-5.0, -3.0]]))
checks.check_finite(
    _got,
    "softmax of the rows [300, 302] and [-5, -3]",
    hint="subtract the maximum of EACH ROW (amax along dim, keepdim=True), not of the whole "
    "tensor: the second row, 305 below the global maximum, underflows to 0 / 0",
)
_row = torch.tensor([1.0, math.exp(2.0)]) / (1.0 + math.exp(2.0))
checks.check_close(_got, torch.stack([_row, _row]), "softmax of the rows [300, 302] and [-5, -3]")
### BEGIN HIDDEN TESTS
_x = torch.tensor([[1000.0, 1001.0], [-1000.0, -999.0], [0.0, 1.0]])
_got = softmax(_x)
_row = torch.tensor([1.0, math.e]) / (1 + math.e)
checks.check_finite(
    _got,
    "softmax of rows at very different scales ([1000, 1001], [-1000, -999], [0, 1])",
    hint="subtract the maximum of EACH ROW (amax along dim, keepdim=True), not of the whole "
    "tensor: a row far below the global maximum underflows to 0 / 0",
)
checks.check_close(_got, torch.stack([_row, _row, _row]), "softmax of rows at different scales")
_got = softmax(torch.tensor([[-1e4, -1e4 - 3.0], [5e4, 5e4]]))
checks.check_close(
    _got,
    torch.tensor([[1 / (1 + math.exp(-3.0)), math.exp(-3.0) / (1 + math.exp(-3.0))], [0.5, 0.5]]),
    "softmax([[-1e4, -1e4 - 3], [5e4, 5e4]])",
)
_got = softmax(torch.tensor([[0.0, 3e4], [0.0, -3e4]]), dim=0)
checks.check_finite(_got, "softmax(..., dim=0) of large columns")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_softmax_neg_inf", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""softmax gives exactly 0 where the input is -inf, and the rest of the row still sums to 1."""
_x = torch.tensor([[0.0, float("-inf"), math.log(3.0)], [float("-inf"), 2.0, 2.0]])
_got = softmax(_x)
checks.check_finite(
    _got,
    "softmax([[0, -inf, log 3], [-inf, 2, 2]])",
    hint="-inf minus a finite maximum is still -inf, and exp(-inf) = 0: subtract the row's "
    "MAXIMUM (a finite number), not its minimum",
)
checks.check_close(
    _got,
    torch.tensor([[0.25, 0.0, 0.75], [0.0, 0.5, 0.5]]),
    "softmax([[0, -inf, log 3], [-inf, 2, 2]])",
    atol=1e-6,
)
checks.check_close(
    _got[torch.isinf(_x)], torch.zeros(2), "softmax at the -inf entries", atol=0.0, rtol=0.0
)
### BEGIN HIDDEN TESTS
_gen = torch.Generator().manual_seed(33)
_x = torch.randn(8, 10, generator=_gen) * 50
_drop = torch.rand(8, 10, generator=_gen) < 0.5
_drop[:, 3] = False  # every row keeps at least one entry
_x = _x.masked_fill(_drop, float("-inf"))
_got = softmax(_x)
checks.check_finite(_got, "softmax of a random matrix with -inf entries")
checks.check_close(
    _got[_drop], torch.zeros(int(_drop.sum())), "softmax at -inf entries", atol=0.0, rtol=0.0
)
_ref = torch.exp(_x - _x.amax(dim=-1, keepdim=True))
checks.check_close(_got, _ref / _ref.sum(dim=-1, keepdim=True), "softmax with -inf entries")
checks.check_close(
    softmax(torch.tensor([float("-inf"), 7.0, float("-inf")])),
    torch.tensor([0.0, 1.0, 0.0]),
    "softmax with one finite entry",
    atol=0.0,
    rtol=0.0,
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_softmax_from_scratch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""softmax works with torch's own softmax functions switched off."""
import torch.nn.functional as F

_BUILT_IN_SOFTMAXES = [
    (torch, "softmax"),
    (torch, "log_softmax"),
    (torch, "_softmax"),
    (torch.Tensor, "softmax"),
    (torch.Tensor, "log_softmax"),
    (F, "softmax"),
    (F, "log_softmax"),
    (F, "softmin"),
    (torch.special, "softmax"),
    (torch.special, "log_softmax"),
]
_x = torch.tensor([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
_expected = F.softmax(_x, dim=-1)
with checks.disabled(
    *_BUILT_IN_SOFTMAXES, reason="write softmax with torch.exp, .amax and .sum yourself"
):
    _got = softmax(_x)
checks.check_close(_got, _expected, "softmax([[1, 2, 3], [0.5, 0.5, 0.5]]) without built-ins")
### BEGIN HIDDEN TESTS
_gen = torch.Generator().manual_seed(34)
_x = torch.randn(4, 6, 3, generator=_gen)
_expected = [F.softmax(_x, dim=d) for d in (0, 1, 2)]
with checks.disabled(*_BUILT_IN_SOFTMAXES):
    _got = [softmax(_x, dim=d) for d in (0, 1, 2)]
    _big = softmax(torch.tensor([2e4, 2e4]))
for _d in (0, 1, 2):
    checks.check_close(_got[_d], _expected[_d], f"softmax(x (4, 6, 3), dim={_d}) without built-ins")
checks.check_close(_big, torch.tensor([0.5, 0.5]), "softmax([2e4, 2e4]) without built-ins")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Attention weights for a batch, with a padding mask
#
# We train on batches of sentences, and sentences have different lengths. A batch is therefore
# a rectangle: shorter sentences are filled up with a padding token, `PAD`, to the length $S$ of
# the longest. The encoder returns one output per position, $(B, S, H)$ for $B$ sentences and
# $H$ hidden units; at padding positions those outputs mean nothing (PyTorch's packed LSTM sets
# them to zeros).
#
# Padding must get no attention at all. Leaving it in would not even give it a small share: a
# zero encoder output has a dot product of 0 with any query, and $e^0 = 1$ is a sizeable weight
# next to real scores. So we carry a **mask** of shape $(B, S)$, `True` at real tokens and
# `False` at padding, and set the scores at `False` positions to $-\infty$ *before* the softmax.
# Your softmax then gives them exactly 0 and spreads 100% over the real tokens. (Setting the
# weights to 0 *after* the softmax would leave rows that no longer sum to 1.)
#
# For one sentence the scores are the dot products of one query (the decoder's output,
# $(H,)$) with $S$ keys (the encoder outputs, $(S, H)$), exactly `dot_scores` of notebook 02.
# With a batch dimension in front, query $(B, H)$ and keys $(B, S, H)$:
#
# $$\text{scores}_{b,s} = \sum_{h} \text{keys}_{b,s,h}\,\text{query}_{b,h}, \qquad
# \text{weights}_{b,:} = \mathrm{softmax}(\text{scores}_{b,:}).$$
#
# Broadcasting does it in one line: `query.unsqueeze(1)` has shape $(B, 1, H)$, which multiplies
# against $(B, S, H)$; then sum over the last dimension. (`torch.bmm` or `torch.einsum` work
# too.) These are plain dot products: notebook 04 will divide them by $\sqrt{H}$, not here.

# %% [markdown]
# ### Exercise 3.2: attention weights with a padding mask (5 points)
#
# Write `attention_weights(query, keys, mask=None)`:
#
# - `query`: $(B, H)$, one query per sentence; `keys`: $(B, S, H)$;
# - `mask`: $(B, S)$ bool, `True` = a real token to keep, `False` = padding; `None` keeps
#   everything;
# - return the weights, $(B, S)$: the softmax over $S$ of the dot-product scores, each row
#   summing to 1 and exactly 0 where the mask is `False`.
#
# Every sentence needs at least one real token. A row whose mask is all `False` (a sentence made
# only of padding) has nothing to attend to: its scores are all $-\infty$ and its weights come
# out `nan`. The tests never pass such a row. (PyTorch's `F.scaled_dot_product_attention`
# returns zeros for such a row instead; either way, the output for it means nothing.)
#
# Use your `softmax` from Exercise 3.1 (`torch.softmax`, `F.softmax`, `Tensor.softmax` and
# `F.log_softmax` are switched off when this is graded).
# `scores.masked_fill(~mask, float("-inf"))` returns a copy of `scores` with `-inf` where the mask
# is `False`.

# %% nbgrader={"grade": false, "grade_id": "attention_weights", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_weights(
    query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Softmax of the dot products of each query with its sentence's keys.

    Args:
        query: (B, H), one query per sentence.
        keys: (B, S, H), S keys per sentence.
        mask: (B, S) bool, True = keep, False = padding (weight 0); None keeps all. Every
            row needs at least one True: an all-False row gives nan weights.

    Returns:
        (B, S) attention weights; each row sums to 1 and is exactly 0 where mask is False.
    """
    ### BEGIN SOLUTION
    scores = (keys * query.unsqueeze(1)).sum(dim=-1)  # (B, S, H) * (B, 1, H) -> (B, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return softmax(scores, dim=-1)
    ### END SOLUTION


# %% [markdown]
# **Try it.** One sentence of three tokens, the last of them padding. The query `[1, 0]` scores
# the keys `[3, 0]`, `[0, 1]` and `[5, 5]` at 3, 0 and 5, but the third is masked, so you should
# see about `[0.9526, 0.0474, 0.0000]`: $e^3/(e^3 + e^0)$ and $e^0/(e^3 + e^0)$.

# %%
attention_weights(
    torch.tensor([[1.0, 0.0]]),
    torch.tensor([[[3.0, 0.0], [0.0, 1.0], [5.0, 5.0]]]),
    torch.tensor([[True, True, False]]),
)

# %% nbgrader={"grade": true, "grade_id": "test_attention_weights_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""attention_weights returns one weight per key, (B, S), and each row sums to 1."""
_gen = torch.Generator().manual_seed(41)
_q, _k = torch.randn(2, 3, generator=_gen), torch.randn(2, 4, 3, generator=_gen)
_got = attention_weights(_q, _k)
checks.check_shape(
    _got,
    (2, 4),
    "attention_weights(query (2, 3), keys (2, 4, 3))",
    hint="one score per key: multiply query (B, 1, H) with keys (B, S, H) and sum over H",
)
checks.check_close(
    _got.sum(dim=-1),
    torch.ones(2),
    "attention_weights(...).sum(dim=-1)",
    hint="apply softmax over the keys (dim=-1), not over the batch",
)
### BEGIN HIDDEN TESTS
for _b, _s, _h in [(1, 1, 5), (5, 7, 2), (3, 9, 16)]:
    _got = attention_weights(
        torch.randn(_b, _h, generator=_gen), torch.randn(_b, _s, _h, generator=_gen)
    )
    checks.check_shape(
        _got, (_b, _s), f"attention_weights(query ({_b}, {_h}), keys ({_b}, {_s}, {_h}))"
    )
    checks.check_close(_got.sum(dim=-1), torch.ones(_b), "attention_weights(...).sum(dim=-1)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_weights_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""attention_weights is the softmax of plain (unscaled) dot products query . key."""
_q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
_k = torch.tensor([[[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [0.0, 0.0], [3.0, -1.0]]])
# scores: row 0 = [2, 0, 1], row 1 = [2, 0, -2]
_e = math.e
checks.check_close(
    attention_weights(_q, _k),
    torch.tensor(
        [
            [_e**2, 1.0, _e],
            [_e**2, 1.0, _e**-2],
        ]
    )
    / torch.tensor([[_e**2 + 1 + _e], [_e**2 + 1 + _e**-2]]),
    "attention_weights(query (2, 2), keys (2, 3, 2))",
    hint="score[b, s] = keys[b, s] . query[b] (no division by sqrt(H)); then softmax over s",
)
### BEGIN HIDDEN TESTS
import torch.nn.functional as F

_gen = torch.Generator().manual_seed(42)
_DISABLED = [(torch, "softmax"), (torch.Tensor, "softmax"), (F, "softmax"), (F, "log_softmax")]
for _b, _s, _h in [(4, 6, 8), (1, 3, 3), (6, 2, 5)]:
    _q = torch.randn(_b, _h, generator=_gen)
    _k = torch.randn(_b, _s, _h, generator=_gen) * 2
    _ref = F.softmax(torch.einsum("bh,bsh->bs", _q, _k), dim=-1)
    with checks.disabled(*_DISABLED, reason="use your own softmax from Exercise 3.1"):
        _got = attention_weights(_q, _k)
    checks.check_close(_got, _ref, f"attention_weights on random inputs ({_b}, {_s}, {_h})")
_q, _k = torch.randn(3, 4, generator=_gen), torch.randn(3, 5, 4, generator=_gen)
with checks.disabled(*_DISABLED, reason="use your own softmax from Exercise 3.1"):
    _got = attention_weights(_q, _k, torch.ones(3, 5, dtype=torch.bool))
checks.check_close(
    _got, F.softmax(torch.einsum("bh,bsh->bs", _q, _k), dim=-1), "attention_weights, all-True mask"
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_weights_mask", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Masked keys (mask False) get weight exactly 0, and the kept weights still sum to 1."""
_q = torch.tensor([[1.0, 0.0]])
_k = torch.tensor([[[2.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])
_mask = torch.tensor([[True, True, False]])
_got = attention_weights(_q, _k, _mask)
checks.check_shape(_got, (1, 3), "attention_weights(query (1, 2), keys (1, 3, 2), mask (1, 3))")
checks.check_close(
    _got.sum(dim=-1),
    torch.ones(1),
    "attention_weights with a mask: sum of each row",
    hint="set masked SCORES to -inf before the softmax; zeroing weights after the softmax "
    "leaves rows that sum to less than 1",
)
checks.check_close(
    _got[0, 2],
    0.0,
    "the weight of the masked key (mask False)",
    atol=0.0,
    rtol=0.0,
    hint="False in the mask means padding: fill those scores with float('-inf'), not 0 (e^0 = "
    "1 is still a weight), and do not invert the mask",
)
checks.check_close(
    _got,
    torch.tensor([[math.e**2 / (math.e**2 + 1), 1 / (math.e**2 + 1), 0.0]]),
    "attention_weights with the last key masked",
)
### BEGIN HIDDEN TESTS
import torch.nn.functional as F

_gen = torch.Generator().manual_seed(43)
_B, _S, _H = 5, 8, 6
_q = torch.randn(_B, _H, generator=_gen)
_k = torch.randn(_B, _S, _H, generator=_gen) * 2
_lens = torch.tensor([8, 1, 5, 3, 7])
_mask = torch.arange(_S)[None, :] < _lens[:, None]  # (B, S): padding at the end
_ref = F.softmax(torch.einsum("bh,bsh->bs", _q, _k).masked_fill(~_mask, float("-inf")), dim=-1)
_got = attention_weights(_q, _k, _mask)
checks.check_close(
    _got[~_mask], torch.zeros(int((~_mask).sum())), "masked weights", atol=0.0, rtol=0.0
)
checks.check_close(_got, _ref, "attention_weights with padding masks of several lengths")
_mask = torch.rand(_B, _S, generator=_gen) < 0.5
_mask[:, 2] = True
_ref = F.softmax(torch.einsum("bh,bsh->bs", _q, _k).masked_fill(~_mask, float("-inf")), dim=-1)
checks.check_close(attention_weights(_q, _k, _mask), _ref, "attention_weights with a random mask")
# Masked keys may hold anything: huge values must not leak through.
_k2 = _k.masked_fill(~_mask[:, :, None], 1e4)
checks.check_close(attention_weights(_q, _k2, _mask), _ref, "attention_weights, huge masked keys")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The context vector: a weighted sum
#
# With the weights in hand, the context of sentence $b$ mixes its encoder outputs (the
# **values**; here the same vectors as the keys):
#
# $$\text{context}_{b,:} = \sum_{s=1}^{S} \text{weights}_{b,s}\;\text{values}_{b,s,:}
# \qquad (B, S),\ (B, S, H) \to (B, H).$$
#
# Shape bookkeeping again: `weights.unsqueeze(-1)` is $(B, S, 1)$, which multiplies against
# $(B, S, H)$, and the sum runs over the source positions, `dim=1`. (Or, as a batch of matrix
# products, $(B, 1, S) \times (B, S, H) \to (B, 1, H)$ with `torch.bmm`.) If the weights are
# one-hot, the context is exactly one encoder output; if they are uniform, it is the mean.

# %% [markdown]
# ### Exercise 3.3: the attention context (4 points)
#
# Write `attention_context(weights, values)`: `weights` $(B, S)$, `values` $(B, S, H)$; return the
# weighted sum over $S$ for each sentence, shape $(B, H)$.

# %% nbgrader={"grade": false, "grade_id": "attention_context", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_context(weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Weighted sum of the values of each sentence.

    Args:
        weights: (B, S), one weight per source position (rows usually sum to 1).
        values: (B, S, H), one vector per source position.

    Returns:
        (B, H), row b is sum_s weights[b, s] * values[b, s].
    """
    ### BEGIN SOLUTION
    return (weights.unsqueeze(-1) * values).sum(dim=1)  # (B, S, 1) * (B, S, H) -> (B, H)
    ### END SOLUTION


# %% [markdown]
# **Try it.** Weights `[0.25, 0.75]` over the values `[1, 2]` and `[3, 4]` give
# `0.25 * [1, 2] + 0.75 * [3, 4] = [2.5, 3.5]`.

# %%
attention_context(torch.tensor([[0.25, 0.75]]), torch.tensor([[[1.0, 2.0], [3.0, 4.0]]]))

# %% nbgrader={"grade": true, "grade_id": "test_attention_context_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""attention_context returns one vector per sentence: (B, H)."""
_gen = torch.Generator().manual_seed(51)
_w = torch.softmax(torch.randn(2, 3, generator=_gen), dim=-1)
_v = torch.randn(2, 3, 5, generator=_gen)
checks.check_shape(
    attention_context(_w, _v),
    (2, 5),
    "attention_context(weights (2, 3), values (2, 3, 5))",
    hint="multiply weights (B, S, 1) with values (B, S, H), then sum over the source "
    "positions (dim=1), not over the features",
)
### BEGIN HIDDEN TESTS
for _b, _s, _h in [(1, 1, 1), (4, 7, 2), (3, 6, 6)]:
    _w = torch.softmax(torch.randn(_b, _s, generator=_gen), dim=-1)
    checks.check_shape(
        attention_context(_w, torch.randn(_b, _s, _h, generator=_gen)),
        (_b, _h),
        f"attention_context(weights ({_b}, {_s}), values ({_b}, {_s}, {_h}))",
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_context_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""attention_context computes sum_s weights[b, s] * values[b, s, :] for each sentence b."""
_w = torch.tensor([[0.25, 0.75, 0.0], [0.5, 0.2, 0.3]])
_v = torch.tensor(
    [
        [[1.0, 2.0], [3.0, 4.0], [100.0, -100.0]],
        [[2.0, 0.0], [0.0, 5.0], [10.0, 10.0]],
    ]
)
checks.check_close(
    attention_context(_w, _v),
    torch.tensor([[2.5, 3.5], [4.0, 4.0]]),
    "attention_context(weights (2, 3), values (2, 3, 2))",
    hint="a WEIGHTED sum: 0.25 * [1, 2] + 0.75 * [3, 4] + 0 * [100, -100] = [2.5, 3.5]; not "
    "the plain mean or sum of the values",
)
### BEGIN HIDDEN TESTS
_gen = torch.Generator().manual_seed(52)
for _b, _s, _h in [(4, 6, 8), (5, 5, 5), (2, 9, 3)]:
    _w = torch.softmax(torch.randn(_b, _s, generator=_gen) * 2, dim=-1)
    _v = torch.randn(_b, _s, _h, generator=_gen)
    _ref = torch.stack([sum(_w[b, s] * _v[b, s] for s in range(_s)) for b in range(_b)])
    checks.check_close(
        attention_context(_w, _v), _ref, f"attention_context on random inputs ({_b}, {_s}, {_h})"
    )
# Weights that do not sum to 1 are used as they are.
_w, _v = torch.rand(3, 4, generator=_gen), torch.randn(3, 4, 2, generator=_gen)
checks.check_close(
    attention_context(_w, _v), torch.einsum("bs,bsh->bh", _w, _v), "unnormalised weights"
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_context_one_hot", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""One-hot weights pick out one value; uniform weights give the mean of the values."""
_gen = torch.Generator().manual_seed(53)
_v = torch.randn(3, 4, 6, generator=_gen)
_pick = torch.tensor([2, 0, 3])
_w = torch.nn.functional.one_hot(_pick, 4).float()  # (3, 4)
_expected = _v[torch.arange(3), _pick].clone()  # before the call: the values stay as they are
checks.check_close(
    attention_context(_w, _v),
    _expected,
    "attention_context with one-hot weights (position 2, 0, 3)",
    hint="each sentence must use its own row of weights and its own values",
)
### BEGIN HIDDEN TESTS
_v = torch.randn(3, 4, 6, generator=_gen)
_expected = _v.mean(dim=1)
checks.check_close(
    attention_context(torch.full((3, 4), 0.25), _v),
    _expected,
    "attention_context with uniform weights",
)
_v = torch.randn(1, 5, 5, generator=_gen)
_expected = _v[:, 4].clone()
checks.check_close(
    attention_context(torch.nn.functional.one_hot(torch.tensor([4]), 5).float(), _v),
    _expected,
    "attention_context with S == H",
)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. A decoder step with attention
#
# Now assemble one decoder step. At step $t$ the decoder LSTM has produced its output
# $\mathbf{h}_t$ ($(B, H)$ for the batch). Attention scores it against the encoder outputs,
# mixes them into the context $\mathbf{c}_t$, and a small layer combines the two into an
# **attentional hidden state** (after Luong, Pham and Manning 2015), from which the output
# layer scores every token of the vocabulary:
#
# $$\tilde{\mathbf{h}}_t = \tanh\!\big(W_c\,[\mathbf{h}_t;\ \mathbf{c}_t] + \mathbf{b}_c\big),
# \qquad \text{logits}_t = W_o\,\tilde{\mathbf{h}}_t + \mathbf{b}_o .$$
#
# $[\mathbf{h}_t; \mathbf{c}_t]$ is the concatenation, decoder output **first**, then context,
# $(B, 2H)$; `combine` is an `nn.Linear(2H, H)` holding $W_c, \mathbf{b}_c$, and `output` an
# `nn.Linear(H, V)` holding $W_o, \mathbf{b}_o$. This is the "let's go" example of section 2 with
# one extra layer (`combine` plus $\tanh$) between the concatenation and the output layer.
#
# Luong et al. write the same layer with the context first, $\tanh(W_c[\mathbf{c}_t;
# \mathbf{h}_t])$. The order only permutes the columns of $W_c$, so both describe the same
# model; we keep the decoder output first, as in section 2, and the tests check that order.
#
# The step returns **logits**, not probabilities: the training loss (`cross_entropy`) applies
# the softmax itself, and greedy decoding only needs the largest logit. It also returns the
# attention weights, so that we can look at them.
#
# Bahdanau, Cho and Bengio (2014), who introduced attention for translation, scored with a small
# neural network (additive attention, $\mathbf{v}^\top \tanh(W_1\mathbf{h} + W_2\mathbf{s})$)
# and fed the context into the decoder's next state. Luong et al. (2015) compared several
# scores and found that the plain dot product works well for attention over the whole source
# (their "global" attention); it is also what Transformers use. We follow Luong.

# %% [markdown]
# ### Exercise 3.4: a decoder step with attention (4 points)
#
# Write `attention_decoder_step(dec_out, enc_outputs, mask, combine, output)` that returns the
# tuple `(logits, weights)`:
#
# - `weights = attention_weights(dec_out, enc_outputs, mask)`, $(B, S)$;
# - `context = attention_context(weights, enc_outputs)`, $(B, H)$;
# - `logits = output(tanh(combine(cat([dec_out, context], dim=-1))))`, $(B, V)$.
#
# The step is trained, so gradients must flow through it to `combine`, `output` and
# `enc_outputs`: no `.detach()`, no `torch.no_grad()`, no detour through numpy.

# %% nbgrader={"grade": false, "grade_id": "attention_decoder_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_decoder_step(
    dec_out: torch.Tensor,
    enc_outputs: torch.Tensor,
    mask: torch.Tensor | None,
    combine: nn.Linear,
    output: nn.Linear,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One decoder step with dot-product attention (Luong et al. 2015).

    Args:
        dec_out: (B, H), the decoder LSTM's output at this step (the query).
        enc_outputs: (B, S, H), the encoder's outputs (keys and values).
        mask: (B, S) bool, True = real source token, False = padding; or None.
        combine: nn.Linear(2H, H), applied to the concatenation [dec_out, context], in that
            order: decoder output first, then context.
        output: nn.Linear(H, V), the output layer.

    Returns:
        (logits, weights): logits (B, V) = output(tanh(combine([dec_out, context]))), not
        softmaxed; weights (B, S), the attention weights.
    """
    ### BEGIN SOLUTION
    weights = attention_weights(dec_out, enc_outputs, mask)  # (B, S)
    context = attention_context(weights, enc_outputs)  # (B, H)
    attentional = torch.tanh(combine(torch.cat([dec_out, context], dim=-1)))  # (B, H)
    return output(attentional), weights  # (B, V), (B, S)
    ### END SOLUTION


# %% [markdown]
# **Try it.** A batch of 2 sentences, 5 source positions, hidden size 4, vocabulary 7, with the
# last two positions of the second sentence masked: you should see shapes `(2, 7)` and
# `(2, 5)`, weights summing to 1, and zeros at the masked positions.

# %%
seed_everything(0)
_demo_logits, _demo_weights = attention_decoder_step(
    torch.randn(2, 4),
    torch.randn(2, 5, 4),
    torch.tensor([[True] * 5, [True, True, True, False, False]]),
    nn.Linear(8, 4),
    nn.Linear(4, 7),
)
print(_demo_logits.shape, _demo_weights.shape)
print(_demo_weights)

# %% nbgrader={"grade": true, "grade_id": "test_attention_decoder_step_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""attention_decoder_step returns (logits (B, V), weights (B, S))."""
torch.manual_seed(61)
_got = attention_decoder_step(
    torch.randn(2, 4), torch.randn(2, 5, 4), None, nn.Linear(8, 4), nn.Linear(4, 7)
)
checks.check_type(
    _got, tuple, "attention_decoder_step(...)", hint="return the pair (logits, weights)"
)
checks.check_equal(len(_got), 2, "len(attention_decoder_step(...))")
checks.check_shape(
    _got[0],
    (2, 7),
    "logits, the first element returned (B=2, V=7)",
    hint="logits come from output(...), one score per vocabulary token; return (logits, weights)",
)
checks.check_shape(
    _got[1],
    (2, 5),
    "weights, the second element returned (B=2, S=5)",
    hint="return the attention weights (B, S), not the context (B, H)",
)
### BEGIN HIDDEN TESTS
for _b, _s, _h, _v in [(1, 1, 3, 2), (3, 6, 5, 11)]:
    _logits, _weights = attention_decoder_step(
        torch.randn(_b, _h),
        torch.randn(_b, _s, _h),
        torch.ones(_b, _s, dtype=torch.bool),
        nn.Linear(2 * _h, _h),
        nn.Linear(_h, _v),
    )
    checks.check_shape(_logits, (_b, _v), f"logits for B={_b}, V={_v}")
    checks.check_shape(_weights, (_b, _s), f"weights for B={_b}, S={_s}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_decoder_step_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""attention_decoder_step computes output(tanh(combine([dec_out, context]))) and the weights."""
_combine, _output = nn.Linear(4, 2), nn.Linear(2, 3)
with torch.no_grad():
    _combine.weight.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]]))
    _combine.bias.copy_(torch.tensor([0.0, -0.5]))
    _output.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]))
    _output.bias.copy_(torch.tensor([0.0, 0.0, 0.1]))
_dec = torch.tensor([[1.0, 0.0]])
_enc = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
# Worked by hand: scores [1, 0]; weights [e/(e+1), 1/(e+1)]; context = weights (the encoder
# outputs are the unit vectors); combine sees [dec_out, context] = [1, 0, w0, w1] and gives
# [1, 2 * w1 - 0.5]; tanh; then the output layer: [a, b, a - b + 0.1].
_w0, _w1 = math.e / (math.e + 1), 1 / (math.e + 1)
_a, _b = math.tanh(1.0), math.tanh(2 * _w1 - 0.5)
with torch.no_grad():
    _logits, _weights = attention_decoder_step(_dec, _enc, None, _combine, _output)
checks.check_close(
    _weights,
    torch.tensor([[_w0, _w1]]),
    "weights",
    hint="weights = attention_weights(dec_out, enc_outputs, mask)",
)
checks.check_close(
    _logits,
    torch.tensor([[_a, _b, _a - _b + 0.1]]),
    "logits of the hand-worked example",
    hint="concatenate [dec_out, context] in THAT order, apply combine, then tanh, then output; "
    "return the logits themselves, no softmax",
)


# Gradients flow through the whole step (it is trained): a backward pass through the step
# gives the gradient that finite differences of its own logits give.
def _gradients(step, combine, output, dec, enc):
    dec, enc = dec.clone().requires_grad_(True), enc.clone().requires_grad_(True)
    logits, _ = step(dec, enc, None, combine, output)
    logits.sum().backward()
    return combine.weight.grad, dec.grad, enc.grad


torch.manual_seed(63)
_combine, _output = nn.Linear(8, 4).double(), nn.Linear(4, 6).double()
_dec, _enc = torch.randn(2, 4, dtype=torch.float64), torch.randn(2, 3, 4, dtype=torch.float64)
_grads = checks.probe(_gradients, attention_decoder_step, _combine, _output, _dec, _enc)
_no_grad_hint = (
    "do not detach anything or wrap a step in torch.no_grad(), and compute with torch (not "
    "numpy) all the way: the attention weights, the context and the logits are all trained"
)
if _grads[0] is None or not torch.any(_grads[0] != 0):
    raise checks.CheckError(
        f"no gradient reaches combine.weight\n  likely mistake: {_no_grad_hint}"
    )


def _summed_logits(dec, enc):
    with torch.no_grad():  # values only: the gradients above come from the backward pass
        return float(attention_decoder_step(dec, enc, None, _combine, _output)[0].sum())


for _name, _x, _g, _i in (("dec_out", _dec, _grads[1], 0), ("enc_outputs", _enc, _grads[2], 1)):
    _numeric = torch.zeros(_x.numel(), dtype=torch.float64)
    for _k in range(_x.numel()):
        _step = torch.zeros(_x.numel(), dtype=torch.float64)
        _step[_k] = 1e-3
        _up, _down = [_dec, _enc], [_dec, _enc]
        _up[_i], _down[_i] = _x + _step.view_as(_x), _x - _step.view_as(_x)
        _numeric[_k] = (_summed_logits(*_up) - _summed_logits(*_down)) / 2e-3
    checks.check_close(
        torch.zeros_like(_x) if _g is None else _g,
        _numeric.view_as(_x),
        f"gradient of the summed logits with respect to {_name} (against finite differences)",
        atol=5e-3,
        rtol=1e-2,
        hint=_no_grad_hint,
    )
### BEGIN HIDDEN TESTS
import torch.nn.functional as F


def _reference_step(dec_out, enc_outputs, mask, combine, output):
    scores = torch.einsum("bh,bsh->bs", dec_out, enc_outputs)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = F.softmax(scores, dim=-1)
    context = torch.einsum("bs,bsh->bh", weights, enc_outputs)
    joined = torch.cat([dec_out, context], dim=-1)
    hidden = torch.tanh(F.linear(joined, combine.weight, combine.bias))
    return F.linear(hidden, output.weight, output.bias), weights


torch.manual_seed(62)
for _b, _s, _h, _v in [(4, 6, 8, 12), (2, 3, 3, 5), (5, 9, 4, 7)]:
    _combine, _output = nn.Linear(2 * _h, _h), nn.Linear(_h, _v)
    _dec, _enc = torch.randn(_b, _h) * 2, torch.randn(_b, _s, _h)
    _mask = torch.arange(_s)[None, :] < torch.randint(1, _s + 1, (_b,))[:, None]
    with torch.no_grad():
        _ref = _reference_step(_dec, _enc, _mask, _combine, _output)
        _got = attention_decoder_step(_dec, _enc, _mask, _combine, _output)
    checks.check_close(_got[1], _ref[1], f"weights on random inputs ({_b}, {_s}, {_h})")
    checks.check_close(_got[0], _ref[0], f"logits on random inputs ({_b}, {_s}, {_h}, {_v})")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_decoder_step_mask", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""attention_decoder_step honours the mask: padding gets weight 0 and cannot change the logits."""
torch.manual_seed(63)
_combine, _output = nn.Linear(6, 3), nn.Linear(3, 4)
_dec, _enc = torch.randn(2, 3), torch.randn(2, 4, 3)
_mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
_enc_noisy = _enc.clone()
_enc_noisy[1, 2:] = 50.0  # anything at padding positions
with torch.no_grad():
    _logits, _weights = attention_decoder_step(_dec, _enc, _mask, _combine, _output)
    _logits_noisy, _ = attention_decoder_step(_dec, _enc_noisy, _mask, _combine, _output)
checks.check_close(
    _weights[1, 2:],
    torch.zeros(2),
    "weights at the masked positions",
    atol=0.0,
    rtol=0.0,
    hint="pass the mask on to attention_weights",
)
checks.check_close(
    _logits_noisy,
    _logits,
    "logits after changing the encoder outputs at masked positions",
    hint="padding must not influence the prediction: pass the mask to attention_weights",
)
### BEGIN HIDDEN TESTS
_mask = torch.tensor([[False, True, False, True], [True, False, False, False]])
with torch.no_grad():
    _, _weights = attention_decoder_step(_dec, _enc, _mask, _combine, _output)
checks.check_close(
    _weights[~_mask], torch.zeros(5), "weights at masked positions", atol=0.0, rtol=0.0
)
checks.check_close(_weights[1, 0], 1.0, "the weight of the only unmasked position")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.5: predict, then measure (2 points)
#
# Why does every step pass the mask on? The experiment of section 7 trains on batches that mix
# lengths 4 to 24, and every sentence is padded to the longest of its batch. The packed
# encoder leaves **zero vectors** at the padding positions, so a padding key scores exactly 0
# against any query. Take one sentence of three words whose keys score 2, 1 and 0 against the
# query, padded with zero vectors.
#
# Before you run the measurement below, predict what it will show, and write your
# predictions down here. They are graded; the measurement is not.
#
# 1. Padded to length 6 (three padding positions) and **without** the mask, what total
#    attention weight do the three padding positions get? (a number; within 0.01 is enough)
# 2. The same sentence in a batch whose longest sentence has 20 tokens (17 padding positions),
#    still without the mask. In total the padding gets:
#    (a) about 0.21, as at length 6;
#    (b) about 0.85;
#    (c) about 0.60;
#    (d) exactly 1.
#
# Hint: a score of 0 is not "no weight": write the softmax's denominator out term by term.

# %% nbgrader={"grade": false, "grade_id": "padding_prediction", "locked": false, "schema_version": 3, "solution": true, "task": false}
prediction_padding_weight_6 = None
prediction_padding_weight_20 = None
### BEGIN SOLUTION
prediction_padding_weight_6 = 3 / (math.exp(2) + math.exp(1) + 1 + 3)  # about 0.213
prediction_padding_weight_20 = "c"  # 17 / (e^2 + e + 1 + 17), about 0.60
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_padding_prediction_length_6", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Prediction 1: the weight on three zero-vector padding keys without a mask (within 0.01)."""
checks.check_type(
    prediction_padding_weight_6,
    (int, float),
    "prediction_padding_weight_6",
    hint="a number between 0 and 1: the three padding weights added up",
)
### BEGIN HIDDEN TESTS
checks.check_close(
    float(prediction_padding_weight_6),
    3 / (math.exp(2) + math.exp(1) + 1 + 3),
    "prediction_padding_weight_6",
    atol=0.01,
    rtol=0.0,
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_padding_prediction_length_20", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Prediction 2: the weight on 17 padding keys without a mask."""
_choice = prediction_padding_weight_20
if isinstance(_choice, str):
    _choice = _choice.strip().lower()  # "C" is read as "c"
checks.check_choice(_choice, ["a", "b", "c", "d"], "prediction_padding_weight_20")
### BEGIN HIDDEN TESTS
checks.check_equal(_choice, "c", "prediction_padding_weight_20")
### END HIDDEN TESTS

# %% [markdown]
# **The measurement**, with your `attention_weights`: the sentence padded to 6 and to 20,
# without and with the mask.

# %% tags=["demo"]
def builtin_attention_weights(
    query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """(B, S) weights of plain dot-product attention, by F.scaled_dot_product_attention: its
    output for the values torch.eye(S) is the weights themselves."""
    B, S, _ = keys.shape
    attn_mask = None if mask is None else mask[:, None, :]  # (B, 1, S)
    eye = torch.eye(S).expand(B, S, S)  # (B, S, S)
    out = torch.nn.functional.scaled_dot_product_attention(
        query[:, None, :], keys, eye, attn_mask=attn_mask, scale=1.0
    )  # (B, 1, S)
    return out[:, 0]  # (B, S)


try:
    attention_weights(torch.ones(1, 2), torch.ones(1, 3, 2))
    weights_of = attention_weights
except NotImplementedError:
    print(
        "*** your `attention_weights` is not finished: this cell uses PyTorch's built-in "
        "instead ***"
    )
    weights_of = builtin_attention_weights

pad_query = torch.tensor([[1.0, 0.0]])  # (1, H)
pad_words = torch.tensor([[2.0, 0.0], [1.0, 0.0], [0.0, 3.0]])  # (3, H): scores 2, 1 and 0
for length in (6, 20):
    pad_keys = torch.zeros(1, length, 2)  # (1, S, H): zero vectors at the padding
    pad_keys[0, :3] = pad_words
    pad_mask = torch.arange(length)[None, :] < 3  # (1, S): True at the three words
    unmasked, masked = weights_of(pad_query, pad_keys), weights_of(pad_query, pad_keys, pad_mask)
    print(
        f"padded to {length:>2}: without the mask the padding gets {unmasked[0, 3:].sum():.3f} "
        f"and the first word {unmasked[0, 0]:.3f}; with the mask {masked[0, 3:].sum():.3f} "
        f"and {masked[0, 0]:.3f}"
    )


# %% [markdown]
# **Reading the measurement.** Without the mask, each padding position takes $e^0 = 1$ share
# of the softmax's denominator, as much as the word that scored 0: three shares out of
# $e^2 + e + 1 + 3 \approx 14.1$ give 0.213 at length 6, seventeen out of about 28.1 give
# 0.605 at length 20, and the first word's weight falls from 0.524 to 0.263. The same sentence
# would be translated differently depending on how long the *other* sentences of its batch
# are. With the mask the padding gets exactly 0 and the first word 0.665 at both lengths:
# $e^2 / (e^2 + e + 1)$, whatever the padding.
#
# Now compare with your predictions, in the cell below: what did you predict, what was
# measured, and, if they differ, which step of your reasoning went wrong? (Not graded
# automatically; it stays in your notebook for your teacher to read.)

# %% [markdown]
# **Your comparison.** *(Double-click this cell and replace this line with a few
# sentences: what you predicted, what was measured, and where and why they differ.)*

# %% [markdown]
# ## 7. The experiment: does attention stop the collapse?
#
# Notebook 01 trained an LSTM encoder-decoder to **reverse** sequences: read
# `d a g e ... b`, write it backwards. It is a toy task, but it has what makes translation hard
# for a single summary vector: every output symbol depends on one precise source position, and
# the first symbol to write is the *last* one read. Training mixes lengths 4 to 24
# (`course_lib.data.ReversalTask`); we then measure the token accuracy of greedy decoding at
# each length.
#
# Below is the same model as in notebook 01 (its layers come from the same class,
# `course_lib.training.LSTMEncoderDecoder`: same sizes, built in the same order, so that with
# the same seed it starts from the same weights), with one switch: `attention=True` adds the
# `combine` layer and routes every decoder output through your `attention_decoder_step`;
# `attention=False` reads the output layer straight off the decoder output, as in notebook 01.
#
# Teacher forcing (the decoder is fed the correct previous symbol during training) lets the
# decoder LSTM run over all $T$ target positions in one call; attention is then applied to each
# of its $T$ outputs, one call of your step per position, each for the whole batch. (One could
# also flatten the $B \cdot T$ queries into a single call, but the keys would then have to be
# copied $T$ times, $(B \cdot T, S, H)$; on a CPU that measured about 1.6 times slower.)

# %%
class Seq2Seq(training.LSTMEncoderDecoder):
    """LSTM encoder-decoder, with or without dot-product attention.

    Layers (from LSTMEncoderDecoder): src_emb, tgt_emb, encoder, decoder, combine (with
    attention only), out. forward: src (B, S), src_lens (B,), dec_in (B, T) -> logits
    (B, T, V), teacher forced.
    """

    def __init__(self, vocab_size: int, emb: int = 32, hidden: int = 64, attention: bool = True):
        super().__init__(vocab_size, emb, hidden, attention)
        self.step = None  # the attention step; None: your attention_decoder_step

    def encode(self, src: torch.Tensor, src_lens: torch.Tensor):
        """src (B, S), src_lens (B,) -> enc_out (B, S, H), mask (B, S), final state (h, c)."""
        packed = pack_padded_sequence(
            self.src_emb(src), src_lens, batch_first=True, enforce_sorted=False
        )  # the LSTM skips the padding of each sentence
        enc_out, state = self.encoder(packed)  # state = (h, c), each (1, B, H)
        enc_out, _ = pad_packed_sequence(enc_out, batch_first=True, total_length=src.shape[1])
        mask = src != PAD  # (B, S), True at real tokens
        return enc_out, mask, state  # enc_out (B, S, H), zeros at padding

    def readout(self, dec_out: torch.Tensor, enc_out: torch.Tensor, mask: torch.Tensor):
        """dec_out (B, T, H) -> logits (B, T, V), attention weights (B, T, S) or None."""
        if not self.attention:
            return self.out(dec_out), None  # (B, T, V): the decoder output alone
        step = self.step or attention_decoder_step  # yours, unless a demo set a stand-in
        logits, weights = [], []
        for t in range(dec_out.shape[1]):  # one attention step per target position
            step_logits, step_weights = step(
                dec_out[:, t], enc_out, mask, self.combine, self.out
            )  # (B, V), (B, S)
            logits.append(step_logits)
            weights.append(step_weights)
        return torch.stack(logits, dim=1), torch.stack(weights, dim=1)  # (B, T, V), (B, T, S)

    def forward(self, src: torch.Tensor, src_lens: torch.Tensor, dec_in: torch.Tensor):
        enc_out, mask, state = self.encode(src, src_lens)
        dec_out, _ = self.decoder(self.tgt_emb(dec_in), state)  # (B, T, H), teacher forced
        logits, _ = self.readout(dec_out, enc_out, mask)
        return logits  # (B, T, V)


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, out_len: int):
    """Write ``out_len`` tokens, feeding each prediction back in as the next input.

    Returns:
        tokens (B, out_len) int64, and the attention weights (B, out_len, S), or None for a
        model without attention.
    """
    enc_out, mask, state = model.encode(src, src_lens)
    token = torch.full((src.shape[0], 1), SOS, dtype=torch.long)  # (B, 1): start symbol
    tokens, weights = [], []
    for _ in range(out_len):
        dec_out, state = model.decoder(model.tgt_emb(token), state)  # (B, 1, H)
        logits, step_weights = model.readout(dec_out, enc_out, mask)  # (B, 1, V), (B, 1, S)
        token = logits.argmax(dim=-1)  # (B, 1): the most likely symbol
        tokens.append(token)
        weights.append(step_weights)
    all_weights = torch.cat(weights, dim=1) if model.attention else None
    return torch.cat(tokens, dim=1), all_weights


# %% [markdown]
# Training uses the course's loop, `course_lib.training.train_seq2seq`: 2000 steps of Adam on
# batches of 64 freshly drawn sequences, with a decaying learning rate and gradient clipping, on
# one CPU thread. Each model is built right after `seed_everything(0)`, so both runs are
# reproducible. First, without attention (about 30 seconds on a quiet 2-core CPU):

# %% tags=["demo"]
task = ReversalTask()  # 10 symbols, training lengths 4..24
LENGTHS = [4, 8, 12, 16, 20, 24]

seed_everything(0)
plain_model = Seq2Seq(task.vocab_size, attention=False)
plain_log = training.train_seq2seq(plain_model, task, steps=2000, description="without attention")
print(f"trained in {plain_log.seconds:.1f} s; final loss {np.mean(plain_log.losses[-50:]):.3f}")


# %% [markdown]
# Then the same model with attention (about 70 seconds on a quiet 2-core CPU: the attention
# steps add work; a loop over the source positions in your exercise makes it slower still):

# %% tags=["demo"]
def builtin_attention_step(dec_out, enc_outputs, mask, combine, output):
    """attention_decoder_step with PyTorch's F.scaled_dot_product_attention (plain dot
    products: scale=1): (logits (B, V), weights (B, S))."""
    B, S, _ = enc_outputs.shape
    sdpa = torch.nn.functional.scaled_dot_product_attention
    query, attn_mask = dec_out[:, None, :], mask[:, None, :]  # (B, 1, H), (B, 1, S)
    context = sdpa(query, enc_outputs, enc_outputs, attn_mask=attn_mask, scale=1.0)[:, 0]
    eye = torch.eye(S).expand(B, S, S)  # values eye(S): the output is the weights
    weights = sdpa(query, enc_outputs, eye, attn_mask=attn_mask, scale=1.0)[:, 0]  # (B, S)
    return output(torch.tanh(combine(torch.cat([dec_out, context], dim=-1)))), weights


seed_everything(0)
attention_model = Seq2Seq(task.vocab_size, attention=True)
try:
    with torch.no_grad():
        attention_decoder_step(
            torch.zeros(1, 64),  # (B, H): a query
            torch.zeros(1, 2, 64),  # (B, S, H): two source positions
            None,
            attention_model.combine,
            attention_model.out,
        )
except NotImplementedError:
    print(
        "*** your `attention_decoder_step` (or a function it calls) is not finished: this "
        "model and its figures use PyTorch's built-in attention instead ***"
    )
    attention_model.step = builtin_attention_step
attention_log = training.train_seq2seq(
    attention_model, task, steps=2000, description="with attention"
)
print(
    f"trained in {attention_log.seconds:.1f} s; "
    f"final loss {np.mean(attention_log.losses[-50:]):.3f}"
)

# %% [markdown]
# ### Where does the model look?
#
# Before measuring, look inside. Decode one sequence of length 12 with the attention model and
# draw its attention weights: one row per output symbol (the query at that step), one column per
# source symbol. To reverse, output $t$ must copy source position $L-1-t$, so a model that has
# learned the task should light up the **anti-diagonal**, from the top right to the bottom left.

# %% tags=["demo"]
sample = task.batch(1, np.random.default_rng(12), length=12)
sample_tokens, sample_weights = greedy_decode(
    attention_model, sample.src, sample.src_lens, out_len=12
)
source_text, output_text = task.decode(sample.src[0]), task.decode(sample_tokens[0])
print("source:", source_text)
print("output:", output_text)
print("target:", task.decode(sample.tgt[0]))
fig, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
plots.heatmap(
    sample_weights[0],
    list(output_text),
    list(source_text),
    ax=ax,
    title="attention weights, reversal of 12 symbols",
    xlabel="source symbol (key)",
    ylabel="output symbol (query)",
    cmap="magma",
    vmin=0,
    vmax=1,
    annotate=False,
)
plt.show()

# %% [markdown]
# The bright band follows the anti-diagonal: to write each symbol, the model looks at the part
# of the source it has to copy. Look closer and the band often sits one column to the right of
# the exact anti-diagonal. An encoder output is an LSTM state, which also remembers the symbols
# just before its position, so the model can read symbol $s$ from the output at position $s+1$,
# and training is free to settle on that. Where the source repeats a symbol or two similar
# stretches, the attention may also spread over several positions.
#
# Nobody told the model where to look: the alignment emerged from training on the prediction
# loss alone, just as Bahdanau et al. (2014) found for English-French translation, where the
# attention weights recover the word correspondences, reorderings like the adjective-noun swap
# of section 1 included.
#
# ### Accuracy against length
#
# Now the measurement: the token accuracy of greedy decoding on 500 fresh sequences of each
# length, for both models, on the same axes.

# %% tags=["demo"]
models = {
    "LSTM encoder-decoder without attention": (plain_model, plain_log),
    "LSTM encoder-decoder with attention": (attention_model, attention_log),
}
curves = {
    label: training.accuracy_by_length(
        lambda src, lens, n, model=model: greedy_decode(model, src, lens, n)[0], task, LENGTHS
    )
    for label, (model, _) in models.items()
}

fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
training.plot_accuracy_vs_length(
    curves, ax=axes[0], train_max_len=task.max_len, title="Reversal: token accuracy vs length"
)
for label, (_, log) in models.items():
    axes[1].plot(log.smoothed(50), label=label)
axes[1].set_yscale("log")
axes[1].set_xlabel("training step")
axes[1].set_ylabel("training loss (cross-entropy, smoothed)")
axes[1].set_title("Training loss")
axes[1].grid(alpha=0.3)
axes[1].legend()
plt.show()

longest = LENGTHS[-1]
for label, (_, log) in models.items():
    print(
        f"Result: {label} at length {longest}: {100 * curves[label][longest]:.1f}% token "
        f"accuracy (trained in {log.seconds:.1f} s)"
    )

# %% [markdown]
# Without attention, accuracy slides down as the sequences get longer: the final encoder state
# cannot hold 24 symbols precisely. With attention, the curve stays flat at the top. Measured
# with this notebook's solution on a 2-core CPU (seed 0, one training thread), at length 24:
# **46.1%** token accuracy without attention and **99.7%** with attention, after about 29 and 69
# seconds of training. On another machine, or with another number of threads, the numbers can
# differ by a few points; the picture does not.
#
# This is the qualitative result of Bahdanau, Cho and Bengio (2014), Figure 2: the BLEU score of
# their encoder-decoder without attention falls steadily with sentence length, while the model
# with attention holds up. They scored with an additive network; we used Luong's dot product.
# The lesson is the same: the bottleneck was the single summary vector, and giving each decoder
# step direct access to every encoder output removes it. The training losses tell the same story:
# with attention the loss falls far lower.
#
# What attention does *not* remove is the recurrence: the encoder and decoder still read one
# token after the other. Notebook 04 keeps the attention and drops the LSTMs: self-attention.

# %% [markdown]
# ## 8. Check your understanding (5 points)
#
# Set each answer below. Multiple choice answers are a single letter (a string, like `"b"`);
# numeric answers are numbers.
#
# 1. A decoder step scores a two-word source sentence: 2.0 for the first word and 0.0 for the
#    second. What attention weight does the first word get? (a number; two decimals are enough)
# 2. Why are the scores of padding positions set to $-\infty$ rather than to 0 before the
#    softmax? (a) $-\infty$ is faster to compute with than 0, since the exponential can be
#    skipped; (b) a score of 0 makes the softmax overflow whenever the other scores in the row
#    are large; (c) there is no difference: both give the padding positions a weight of exactly
#    0; (d) a score of 0 still gives $e^0 = 1$, a real share of the weight, while $e^{-\infty} = 0$.
# 3. In the alignment heatmap of the reversal model (row $t$ = output position, column $s$ =
#    source position, $t, s = 0, \dots, L-1$), the bright cells lie on the anti-diagonal. What
#    does that mean? (a) every output attends equally to all source positions, so the weights
#    carry no information; (b) output $t$ attends mostly to source position $L-1-t$, the symbol
#    it has to write; (c) output $t$ attends mostly to source position $t$, the symbol in the same
#    place; (d) the model ignores the source and writes from its own hidden state.
# 4. The source sentence has $S = 12$ tokens, none of them padding. How many similarity scores
#    (dot products) does *one* decoder step compute? (a number)
# 5. Every score of a decoder step is increased by the same constant, 5. What happens to the
#    attention weights? (a) nothing, they are unchanged; (b) each weight grows by 5, so the
#    largest stays the largest; (c) each weight is multiplied by $e^5$; (d) they no longer sum
#    to 1, since every term of the sum grew.

# %% nbgrader={"grade": false, "grade_id": "understanding", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_1 = None
answer_2 = None
answer_3 = None
answer_4 = None
answer_5 = None
### BEGIN SOLUTION
answer_1 = 0.88
answer_2 = "d"
answer_3 = "b"
answer_4 = 12
answer_5 = "a"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 1: the softmax weight of a score of 2 against a score of 0."""
checks.check_type(answer_1, (int, float), "answer_1", hint="a number, like 0.5")
checks.check_in_range(answer_1, 0.0, 1.0, "answer_1", hint="attention weights lie in [0, 1]")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_1), math.exp(2) / (math.exp(2) + 1), "answer_1", atol=0.006)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 2: why padding scores are set to -inf."""
checks.check_choice(answer_2, ["a", "b", "c", "d"], "answer_2")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_2, "d", "answer_2")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 3: what the anti-diagonal of the alignment heatmap means."""
checks.check_choice(answer_3, ["a", "b", "c", "d"], "answer_3")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_3, "b", "answer_3")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 4: how many scores one decoder step computes."""
checks.check_type(answer_4, (int, float), "answer_4", hint="a number, like 3")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_4), 12.0, "answer_4")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q5", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 5: shifting every score by a constant."""
checks.check_choice(answer_5, ["a", "b", "c", "d"], "answer_5")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_5, "a", "answer_5")
### END HIDDEN TESTS

# %% [markdown]
# ## Recap
#
# - An encoder-decoder without attention passes the whole source through one final state; its
#   accuracy falls as sentences grow. Attention gives every decoder step a direct path to every
#   encoder output.
# - One attention step: **score** each encoder output against the decoder output (dot
#   product), **normalise** the scores with a softmax, **mix** the encoder outputs with the
#   weights into a context vector, and **predict** from $[\text{decoder output}; \text{context}]$.
# - A stable softmax subtracts each slice's maximum first: same result, no overflow. Entries of
#   $-\infty$ come out as exactly 0.
# - Padding is masked by setting its scores to $-\infty$ **before** the softmax, so the
#   remaining weights still sum to 1.
# - Shapes for a batch: query $(B, H)$, keys and values $(B, S, H)$, weights $(B, S)$, context
#   $(B, H)$, logits $(B, V)$.
# - Trained on sequence reversal, the attention model keeps near-perfect accuracy up to length
#   24 while the model without it falls below 50%, and its attention weights trace the
#   anti-diagonal alignment without being told to.
# - Next, notebook 04: attention of a sequence over itself, with queries, keys and values from
#   learned projections, and the $\sqrt{d_k}$ scaling.
#
# ## Further reading
#
# - Sutskever, Vinyals and Le, *Sequence to Sequence Learning with Neural Networks* (2014): the
#   LSTM encoder-decoder with a single context vector.
# - Cho et al., *Learning Phrase Representations using RNN Encoder-Decoder for Statistical
#   Machine Translation* (2014): the RNN encoder-decoder (and the gated unit now called GRU).
# - Bahdanau, Cho and Bengio, *Neural Machine Translation by Jointly Learning to Align and
#   Translate* (2014): attention for translation (additive scores); Figure 2 is the accuracy
#   against length result reproduced here, Figure 3 the alignment heatmaps.
# - Luong, Pham and Manning, *Effective Approaches to Attention-based Neural Machine
#   Translation* (2015): dot-product, "general" and additive scores, and the attentional
#   hidden state $\tanh(W_c[\mathbf{h}_t; \mathbf{c}_t])$ used in this notebook.
# - Vaswani et al., *Attention Is All You Need* (2017): attention without recurrence, the
#   subject of the rest of this course.
