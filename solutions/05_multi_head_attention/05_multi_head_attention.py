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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attention-course/attention-course-student/blob/main/notebooks/05_multi_head_attention/05_multi_head_attention.ipynb)

# %% [markdown]
# # 05 · Multi-head attention: parallel heads, and what attention costs
#
# One attention layer produces, for every token, one probability distribution over the other
# tokens. But a word usually has several relationships at once: "it" in *the elephant didn't
# cross the street because it was too tired* sits next to "because" and "was", is a noun-like
# word, and refers to "elephant". A single softmax row has to squeeze all of that into one
# weighted average. **Multi-head attention** (Vaswani et al. 2017) runs several smaller
# attentions side by side, each in its own slice of the model's dimensions, and lets each one
# look for something different.
#
# The second half of the notebook asks what that costs. Self-attention compares every token
# with every other token, so its work grows with the *square* of the sequence length, while a
# recurrent layer grows linearly but must take its steps one after another. You will measure
# both on your own machine and set the numbers against Table 1 of the Transformer paper.
#
# **You will learn to**
# - split a batch of vectors into heads, `(B, L, D) -> (B, h, L, D/h)`, and merge them back,
#   and spot the reshape that has the right shape and the wrong values;
# - write a `MultiHeadAttention` module with per-head weights and the course's mask convention;
# - load the weights of PyTorch's `torch.nn.MultiheadAttention` into your module and match its
#   output to 1e-5;
# - read per-head attention heatmaps, and see why one head cannot do the job of several;
# - measure the time and memory of self-attention against a recurrent layer as the sequence
#   grows, and explain the crossover near $n = d$ with Table 1 of Vaswani et al. (2017).
#
# **Prerequisites**: notebook 04 (scaled dot-product attention, $Q$, $K$, $V$, masks with
# True = attend). PyTorch basics: `nn.Module`, `nn.Linear`, and the tensor methods `reshape`,
# `view` and `transpose`. This notebook runs on its own: the attention function of notebook 04
# is given below.
#
# **Estimated time**: about 90 minutes. Running every cell takes well under a minute on a laptop
# CPU, most of it in the cost lab of section 6; no GPU needed. On a GPU the cost lab measures
# longer sequences.
#
# **How this notebook works**: exercises are marked `YOUR CODE HERE`. Replace the
# `raise NotImplementedError()` line with your code, run the cell, then run the test cells
# under it. A failing test tells you what it expected, what it got, and the likely mistake.
# Some tests are hidden and run only when your work is graded, so make your code right in
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
import math
import time
from functools import partial

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib import checks, measure, plots
from course_lib.device import describe_device, get_device, seed_everything, size_switch

torch.set_printoptions(precision=4, sci_mode=False)

# As in every notebook: seed the random number generators and pick the device.
seed_everything(0)
DEVICE = get_device()
print(describe_device(DEVICE))


# %% [markdown]
# ## 1. One head has one distribution per token
#
# Here is the attention of notebook 04, given so that this notebook stands alone. For queries
# $Q$, keys $K$ and values $V$,
#
# $$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V ,$$
#
# and a boolean mask (True = may attend) sets the scores of forbidden pairs to $-\infty$ before
# the softmax, so their weights come out exactly 0. Any leading dimensions are batch
# dimensions: that is what will let every head run at once.

# %%
def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention (notebook 04), with the weights returned.

    Args:
        q: (..., L, d_k) queries.
        k: (..., S, d_k) keys.
        v: (..., S, d_v) values.
        mask: bool, broadcastable to (..., L, S); True = may attend. Every query needs at least
            one key it may attend to, or its row of weights is 0/0 = nan (where
            ``F.scaled_dot_product_attention`` would return zeros for that query).

    Returns:
        (output (..., L, d_v), weights (..., L, S)); each row of weights sums to 1.
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., L, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (..., L, S)
    return weights @ v, weights  # (..., L, d_v), (..., L, S)


_q, _k, _v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 7, 8), torch.randn(2, 3, 7, 4)
_out, _ = scaled_dot_product_attention(_q, _k, _v)
_diff = (_out - nn.functional.scaled_dot_product_attention(_q, _k, _v)).abs().max()
print(f"largest difference from torch.nn.functional.scaled_dot_product_attention: {_diff:.1e}")


# %% [markdown]
# Each query gets *one* row of weights that sums to 1. If a word needs information from its
# neighbour and from a noun five positions back, the row must split its weight between them,
# and the output is a blend of both values. Worse, the scores that decide the row come from a
# single dot product $\mathbf{q}\cdot\mathbf{k}$, so "is this the previous word?" and "is this
# the noun I refer to?" must be answered by one and the same comparison.
#
# Multi-head attention gives each question its own attention. With $h$ heads, head $i$ has
# its own projections $W_i^Q, W_i^K, W_i^V$ of size $d_{\text{model}} \times d_{\text{head}}$
# and its own softmax; the $h$ outputs are concatenated and mixed by one more matrix $W^O$:
#
# $$\operatorname{MultiHead}(Q, K, V) = \operatorname{Concat}(\text{head}_1, \dots, \text{head}_h)\,W^O,
# \qquad \text{head}_i = \operatorname{Attention}(QW_i^Q,\ KW_i^K,\ VW_i^V).$$
#
# Vaswani et al. choose $d_{\text{head}} = d_{\text{model}} / h$ (512 / 8 = 64 in the base
# model), so that all heads together cost about as much as one head of full width: the heads
# are not extra capacity bolted on, they are the same $d_{\text{model}}$ dimensions cut into
# $h$ independent subspaces.

# %% [markdown]
# ## 2. Heads are slices of the feature axis: split and merge
#
# In code nobody builds $h$ separate small matrices. Put $W_1^Q, \dots, W_h^Q$ side by side and
# you get one $d_{\text{model}} \times d_{\text{model}}$ matrix, so *one* `nn.Linear` computes
# the queries of all heads at once: features `0 .. d_head-1` of its output belong to head 0,
# the next `d_head` features to head 1, and so on. What remains is to rearrange the tensor so
# that the heads become a batch dimension:
#
# ```
# (B, L, D)  --view-->  (B, L, h, d_head)  --transpose(1, 2)-->  (B, h, L, d_head)
# ```
#
# The first step only *relabels* the feature axis: the last axis of length $D$ becomes two axes
# $(h, d_\text{head})$, in that order, because head 0 owns the first block of features. The
# second step moves the head axis in front of the positions. After it, `x[b, i]` is an
# `(L, d_head)` matrix, head $i$'s slice of every token, ready for attention.
#
# A tempting shortcut is `x.reshape(B, h, L, d_head)`: same number of elements, and exactly the
# shape we want. But `reshape` keeps the order of the numbers in memory, where each token's
# `D` features are stored together, one token after the other. Cutting that sequence into $h$
# blocks gives head 0 the *whole* feature vectors of the first $L/h$ tokens, chopped into rows
# of length `d_head`. The shape is right; the meaning is scrambled, and nothing raises an error.
# The test cells below check values, not just shapes, for that reason.

# %% [markdown]
# ### Exercise 5.1: split the feature axis into heads (3 points)
#
# Write `split_heads(x, num_heads)`: `x` has shape `(B, L, D)` with `D` divisible by
# `num_heads`; return a tensor of shape `(B, num_heads, L, D // num_heads)` in which
# `out[b, i, t]` is the `i`-th block of `d_head` features of token `t`, that is
# `x[b, t, i * d_head : (i + 1) * d_head]`. Use `reshape`/`view` and `transpose`; no loops.

# %% nbgrader={"grade": false, "grade_id": "split_heads", "locked": false, "schema_version": 3, "solution": true, "task": false}
def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Cut the feature axis into ``num_heads`` blocks and make the heads a batch axis.

    Args:
        x: (B, L, D), with D divisible by num_heads.
        num_heads: h, the number of heads.

    Returns:
        (B, h, L, D // h); out[b, i, t] == x[b, t, i * d_head : (i + 1) * d_head].
    """
    ### BEGIN SOLUTION
    batch, length, d_model = x.shape
    d_head = d_model // num_heads
    return x.reshape(batch, length, num_heads, d_head).transpose(1, 2)  # (B, h, L, d_head)
    ### END SOLUTION


# %% [markdown]
# **Try it.** One sentence of 3 tokens with 4 features each, numbered 0 to 11, split into 2
# heads. Head 0 should hold the first two features of every token, `[[0, 1], [4, 5], [8, 9]]`,
# and head 1 the last two, `[[2, 3], [6, 7], [10, 11]]`. The shortcut `reshape(1, 2, 3, 2)` is
# printed below it for comparison: its head 0 is `[[0, 1], [2, 3], [4, 5]]`, the first token
# and a half.

# %%
x_small = torch.arange(12.0).reshape(1, 3, 4)  # (B=1, L=3, D=4)
print(split_heads(x_small, 2))
print("the shortcut, for comparison:")
print(x_small.reshape(1, 2, 3, 2))

# %% nbgrader={"grade": true, "grade_id": "test_split_heads_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""split_heads returns shape (B, num_heads, L, D // num_heads)."""
torch.manual_seed(51)
checks.check_shape(
    split_heads(torch.randn(2, 5, 12), 3),
    (2, 3, 5, 4),
    "split_heads(x (2, 5, 12), num_heads=3)",
    hint="view x as (B, L, num_heads, d_head), then swap the L and head axes: .transpose(1, 2)",
)
### BEGIN HIDDEN TESTS
for _B, _L, _D, _h in [(1, 7, 8, 2), (3, 4, 16, 8), (2, 6, 6, 1), (2, 3, 10, 10), (2, 5, 24, 2)]:
    checks.check_shape(
        split_heads(torch.randn(_B, _L, _D), _h),
        (_B, _h, _L, _D // _h),
        f"split_heads(x ({_B}, {_L}, {_D}), num_heads={_h})",
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_split_heads_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""split_heads puts features i*d_head .. (i+1)*d_head - 1 of every token into head i."""
_x = torch.arange(12.0).reshape(1, 3, 4)
checks.check_close(
    split_heads(_x, 2),
    torch.tensor([[[[0.0, 1.0], [4.0, 5.0], [8.0, 9.0]], [[2.0, 3.0], [6.0, 7.0], [10.0, 11.0]]]]),
    "split_heads(arange(12).reshape(1, 3, 4), num_heads=2)",
    hint="reshaping straight to (B, h, L, d_head) has the right shape but mixes tokens; view as "
    "(B, L, h, d_head) first (heads before d_head), then transpose(1, 2)",
)
### BEGIN HIDDEN TESTS
torch.manual_seed(52)
for _B, _L, _D, _h in [(2, 5, 12, 3), (3, 4, 16, 8), (1, 6, 8, 1), (2, 7, 20, 4), (2, 3, 6, 6)]:
    _x = torch.randn(_B, _L, _D)
    _x_copy = _x.clone()
    _expected = torch.stack(torch.split(_x, _D // _h, dim=-1), dim=1)  # (B, h, L, d_head)
    checks.check_close(
        split_heads(_x, _h),
        _expected,
        f"split_heads on random x ({_B}, {_L}, {_D}) with num_heads={_h}",
        atol=0.0,
        rtol=0.0,
    )
    checks.check_close(_x, _x_copy, "x after split_heads (must not be modified)", atol=0.0)
### END HIDDEN TESTS

# %% [markdown]
# After attention each head returns an `(L, d_head)` matrix per sentence, shape
# `(B, h, L, d_head)` in all. **Merging** undoes the split: move the head axis back behind the
# positions, `(B, L, h, d_head)`, and join the last two axes into one of length
# $h \cdot d_{\text{head}} = D$. That is exactly the $\operatorname{Concat}(\text{head}_1,
# \dots, \text{head}_h)$ of the formula: token $t$'s output is head 0's vector, then head 1's,
# and so on.
#
# One trap: after `transpose` the numbers are no longer in memory in the order of the new shape
# (the tensor is not *contiguous*), and `.view` refuses to reinterpret it. Use `.reshape`, which
# copies when it must, or `.contiguous().view(...)`.

# %% [markdown]
# ### Exercise 5.2: merge the heads back (3 points)
#
# Write `merge_heads(x)`, the inverse of `split_heads`: `x` has shape `(B, h, L, d_head)`;
# return shape `(B, L, h * d_head)` with `out[b, t, i * d_head : (i + 1) * d_head] == x[b, i, t]`,
# so that `merge_heads(split_heads(x, h))` equals `x`.

# %% nbgrader={"grade": false, "grade_id": "merge_heads", "locked": false, "schema_version": 3, "solution": true, "task": false}
def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Concatenate the heads along the feature axis: the inverse of ``split_heads``.

    Args:
        x: (B, h, L, d_head).

    Returns:
        (B, L, h * d_head); out[b, t, i * d_head : (i + 1) * d_head] == x[b, i, t].
    """
    ### BEGIN SOLUTION
    batch, num_heads, length, d_head = x.shape
    return x.transpose(1, 2).reshape(batch, length, num_heads * d_head)  # (B, L, D)
    ### END SOLUTION


# %% [markdown]
# **Try it.** Merging the two heads of the example above must give back the numbers 0 to 11 in
# order, `[[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]]`.

# %%
heads_small = torch.tensor([[[[0.0, 1], [4, 5], [8, 9]], [[2, 3], [6, 7], [10, 11]]]])
merge_heads(heads_small)

# %% nbgrader={"grade": true, "grade_id": "test_merge_heads_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""merge_heads returns shape (B, L, h * d_head)."""
torch.manual_seed(53)
checks.check_shape(
    merge_heads(torch.randn(2, 3, 5, 4)),
    (2, 5, 12),
    "merge_heads(x (2, 3, 5, 4))",
    hint="transpose(1, 2) to (B, L, h, d_head), then reshape to (B, L, h * d_head); "
    "after transpose use .reshape, not .view",
)
### BEGIN HIDDEN TESTS
for _shape in [(1, 2, 7, 3), (3, 8, 4, 2), (2, 1, 6, 5), (2, 4, 1, 8)]:
    _B, _h, _L, _dh = _shape
    checks.check_shape(
        merge_heads(torch.randn(*_shape)), (_B, _L, _h * _dh), f"merge_heads(x {_shape})"
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_merge_heads_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""merge_heads concatenates the heads of each token, head 0 first: it inverts split_heads."""
_heads = torch.tensor([[[[0.0, 1], [4, 5], [8, 9]], [[2, 3], [6, 7], [10, 11]]]])  # (1, 2, 3, 2)
checks.check_close(
    merge_heads(_heads),
    torch.arange(12.0).reshape(1, 3, 4),
    "merge_heads of the two heads of arange(12).reshape(1, 3, 4)",
    hint="move the head axis behind the positions first (transpose(1, 2)); reshaping "
    "(B, h, L, d_head) straight to (B, L, D) puts the heads one after another instead of "
    "side by side",
)
### BEGIN HIDDEN TESTS
torch.manual_seed(54)
for _B, _h, _L, _dh in [(2, 3, 5, 4), (1, 8, 4, 2), (3, 1, 6, 5), (2, 4, 7, 3)]:
    _x = torch.randn(_B, _h, _L, _dh)
    _expected = torch.cat([_x[:, _i] for _i in range(_h)], dim=-1)  # (B, L, h * d_head)
    checks.check_close(
        merge_heads(_x),
        _expected,
        f"merge_heads on random x ({_B}, {_h}, {_L}, {_dh})",
        atol=0.0,
        rtol=0.0,
    )
    _flat = torch.randn(_B, _L, _h * _dh)
    _split_ref = torch.stack(torch.split(_flat, _dh, dim=-1), dim=1)  # (B, h, L, d_head)
    checks.check_close(
        merge_heads(_split_ref), _flat, "merge_heads(split of x) (must give x back)", atol=0.0
    )
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The multi-head attention module
#
# Now the pieces fit together. For queries from a sequence of length $L$ and keys and values
# from a sequence of length $S$ (the same sequence in self-attention, another one in the
# cross-attention of a decoder):
#
# 1. project: `q = q_proj(query)`, `k = k_proj(key)`, `v = v_proj(value)`, each `(B, ·, D)`;
# 2. split each into heads: `(B, h, L, d_head)` and `(B, h, S, d_head)`;
# 3. attend, all heads at once, with `scaled_dot_product_attention`: the heads are just another
#    batch axis, and the scores are divided by $\sqrt{d_{\text{head}}}$, the size of the
#    vectors actually compared, not by $\sqrt{D}$;
# 4. merge the heads: `(B, L, D)`;
# 5. mix them with the output projection `out_proj` ($W^O$).
#
# **What `weights` is.** The module returns `(output, weights)` with `weights` of shape
# `(B, h, L, S)`: one attention matrix per head. That is what you want for looking inside the
# model (section 5), and it is what `torch.nn.MultiheadAttention` returns when called with
# `average_attn_weights=False`; by default it returns the average over the heads,
# `(B, L, S)`, which hides exactly the differences between heads.
#
# **Masks** follow the course convention of notebooks 03 and 04: a bool tensor, True = may
# attend, broadcastable to `(B, h, L, S)`. A causal mask is `(L, L)`; a padding mask over the
# keys of each sentence, `(B, S)`, becomes `mask[:, None, None, :]`, shape `(B, 1, 1, S)`.
# A query whose row of the mask is all False has no key to attend to: its weights come out
# 0/0 = `nan`, and so does its output. Every mask of this course leaves each query at least one
# key.
#
# PyTorch is not consistent about what True means in a boolean mask, so check before you pass
# one on:
#
# | where | True means | a query with no allowed key gets |
# |---|---|---|
# | this course (notebooks 03 to 07) | may attend | `nan` |
# | `F.scaled_dot_product_attention(attn_mask=...)` | may attend | zeros |
# | `nn.MultiheadAttention`, `nn.Transformer*` (`attn_mask`, `key_padding_mask`, `mask`) | must *not* attend | `nan` (in `nn.MultiheadAttention`) |
#
# Section 4 converts our masks for `nn.MultiheadAttention` with `~mask`.
#
# The constructor is written for you: it fixes the names of the four projections, which the
# tests and section 4 rely on.

# %% [markdown]
# ### Exercise 5.3: `MultiHeadAttention.forward` (6 points)
#
# Write the `forward` method below, following steps 1 to 5. Reuse your `split_heads` and
# `merge_heads` and the given `scaled_dot_product_attention`. Return `(output, weights)` with
# `output` of shape `(B, L, D)` and `weights` of shape `(B, h, L, S)`. No loop over heads.

# %% nbgrader={"grade": false, "grade_id": "MultiHeadAttention", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MultiHeadAttention(nn.Module):
    """Multi-head attention (Vaswani et al. 2017, section 3.2.2), returning per-head weights.

    Attributes:
        num_heads: h.
        d_head: D // h, the size of each head's queries, keys and values.
        q_proj, k_proj, v_proj: nn.Linear(D, D), the h heads' W^Q, W^K, W^V side by side
            (output features i*d_head .. (i+1)*d_head - 1 belong to head i).
        out_proj: nn.Linear(D, D), W^O.
    """

    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query`` to ``key``/``value`` with every head at once.

        Args:
            query: (B, L, D).
            key: (B, S, D).
            value: (B, S, D).
            mask: bool, broadcastable to (B, h, L, S); True = may attend. None: attend to all.

        Returns:
            (output (B, L, D), weights (B, h, L, S)); each row of weights sums to 1.
        """
        ### BEGIN SOLUTION
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, h, L, d_head)
        k = split_heads(self.k_proj(key), self.num_heads)  # (B, h, S, d_head)
        v = split_heads(self.v_proj(value), self.num_heads)  # (B, h, S, d_head)
        context, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, L, d_head)
        return self.out_proj(merge_heads(context)), weights  # (B, L, D), (B, h, L, S)
        ### END SOLUTION


# %% [markdown]
# **Try it.** Self-attention over a batch of 2 sentences of 5 tokens with $D = 16$ and 4 heads
# should print `torch.Size([2, 5, 16])` and `torch.Size([2, 4, 5, 5])`; cross-attention from 3
# queries to 6 keys, `torch.Size([2, 3, 16])` and `torch.Size([2, 4, 3, 6])`.

# %%
torch.manual_seed(0)
mha_small = MultiHeadAttention(d_model=16, num_heads=4)
x_seq, y_seq = torch.randn(2, 5, 16), torch.randn(2, 6, 16)
out, w = mha_small(x_seq, x_seq, x_seq)
print(out.shape, w.shape)
out, w = mha_small(x_seq[:, :3], y_seq, y_seq)
print(out.shape, w.shape)

# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""MultiHeadAttention returns output (B, L, D) and per-head weights (B, h, L, S)."""
torch.manual_seed(55)
_m = MultiHeadAttention(16, 4)
_result = _m(torch.randn(2, 3, 16), torch.randn(2, 6, 16), torch.randn(2, 6, 16))
checks.check_type(
    _result, tuple, "MultiHeadAttention(...)(query, key, value)", hint="return (output, weights)"
)
checks.check_equal(len(_result), 2, "len of what forward returns", hint="return (output, weights)")
checks.check_shape(
    _result[0],
    (2, 3, 16),
    "output for query (2, 3, 16), key and value (2, 6, 16)",
    hint="one output vector per query: merge the heads back to (B, L, D), then apply out_proj",
)
checks.check_shape(
    _result[1],
    (2, 4, 3, 6),
    "weights for 4 heads, 3 queries and 6 keys",
    hint="return one attention matrix per head, (B, h, L, S); do not average over the heads",
)
### BEGIN HIDDEN TESTS
for _D, _h, _B, _L, _S in [(8, 1, 1, 4, 4), (12, 3, 3, 2, 7), (32, 8, 2, 5, 5), (6, 6, 2, 3, 1)]:
    _m = MultiHeadAttention(_D, _h)
    _o, _w = _m(torch.randn(_B, _L, _D), torch.randn(_B, _S, _D), torch.randn(_B, _S, _D))
    checks.check_shape(_o, (_B, _L, _D), f"output with D={_D}, h={_h}, L={_L}, S={_S}")
    checks.check_shape(_w, (_B, _h, _L, _S), f"weights with D={_D}, h={_h}, L={_L}, S={_S}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_weights", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Each head's weights are softmax(q_i k_i^T / sqrt(d_head)): non-negative rows summing to 1."""
torch.manual_seed(56)
_m = MultiHeadAttention(16, 4)
_x = torch.randn(2, 5, 16)
_, _w = _m(_x, _x, _x)
checks.check_close(
    _w.sum(dim=-1),
    torch.ones(2, 4, 5),
    "weights.sum(dim=-1)",
    hint="the softmax runs over the keys, the last axis of the (B, h, L, S) scores",
)
checks.check_in_range(_w, 0.0, 1.0, "weights")
### BEGIN HIDDEN TESTS
import torch.nn.functional as F


def _reference_weights(m, query, key):
    """Per-head weights from the module's own parameters, one head at a time."""
    q = query @ m.q_proj.weight.T + m.q_proj.bias  # (B, L, D)
    k = key @ m.k_proj.weight.T + m.k_proj.bias  # (B, S, D)
    dh = q.shape[-1] // m.num_heads
    heads = []
    for i in range(m.num_heads):
        qi, ki = q[..., i * dh : (i + 1) * dh], k[..., i * dh : (i + 1) * dh]
        heads.append(F.softmax(qi @ ki.transpose(1, 2) / math.sqrt(dh), dim=-1))
    return torch.stack(heads, dim=1)  # (B, h, L, S)


for _D, _h, _L, _S in [(16, 4, 5, 5), (12, 3, 4, 6), (24, 2, 3, 3), (8, 8, 5, 2)]:
    torch.manual_seed(_D + _h)
    _m = MultiHeadAttention(_D, _h)
    with torch.no_grad():
        for _p in _m.parameters():
            _p.normal_(0.0, 0.5)
        _query, _key = torch.randn(2, _L, _D), torch.randn(2, _S, _D)
        _, _w = _m(_query, _key, torch.randn(2, _S, _D))
        checks.check_close(
            _w,
            _reference_weights(_m, _query, _key),
            f"per-head weights (D={_D}, h={_h}, L={_L}, S={_S})",
            atol=1e-5,
        )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_mask", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""A mask (True = may attend, broadcastable to (B, h, L, S)) gives masked keys weight exactly 0."""
torch.manual_seed(57)
_m = MultiHeadAttention(16, 4)
_x = torch.randn(2, 5, 16)
_keep = torch.tensor([[True, True, True, False, False], [True, True, True, True, True]])
_, _w = _m(_x, _x, _x, mask=_keep[:, None, None, :])  # (B, 1, 1, S): padding of the keys
checks.check_close(
    _w[0, :, :, 3:],
    torch.zeros(4, 5, 2),
    "weights on the two padded keys of sentence 0",
    hint="pass the mask on to scaled_dot_product_attention as it is (True = may attend); "
    "do not invert it",
)
checks.check_close(_w.sum(dim=-1), torch.ones(2, 4, 5), "weights.sum(dim=-1) with a mask")
### BEGIN HIDDEN TESTS
torch.manual_seed(58)
_m = MultiHeadAttention(12, 3)
with torch.no_grad():
    for _p in _m.parameters():
        _p.normal_(0.0, 0.5)
    _x = torch.randn(2, 6, 12)
    _causal = torch.tril(torch.ones(6, 6, dtype=torch.bool))  # (L, L)
    _o, _w = _m(_x, _x, _x, mask=_causal)
    checks.check_close(
        _w.masked_select(~_causal.expand(2, 3, 6, 6)),
        torch.zeros(2 * 3 * 15),
        "weights above the diagonal with a causal (L, L) mask",
        atol=1e-12,
    )
    _x2 = _x.clone()
    _x2[:, 4:] = torch.randn(2, 2, 12)  # change the future: outputs 0..3 must not move
    _o2, _ = _m(_x2, _x2, _x2, mask=_causal)
    checks.check_close(_o2[:, :4], _o[:, :4], "outputs 0..3 after changing tokens 4, 5 (causal)")
    # a different mask for every sentence and head, (B, h, L, S), each row with a True
    _per_head = torch.rand(2, 3, 4, 7) < 0.5
    _per_head[..., 0] = True
    _query, _key, _value = torch.randn(2, 4, 12), torch.randn(2, 7, 12), torch.randn(2, 7, 12)
    _o, _w = _m(_query, _key, _value, mask=_per_head)
    checks.check_close(
        _w.masked_select(~_per_head),
        torch.zeros(int((~_per_head).sum())),
        "weights where a (B, h, L, S) mask is False",
        atol=1e-12,
    )
    checks.check_close(_w.sum(dim=-1), torch.ones(2, 3, 4), "rows of weights with a mask")
    # padded keys and values can hold anything: the output must not change
    _pad = torch.tensor([[True] * 5 + [False] * 2, [True] * 7])[:, None, None, :]
    _o, _ = _m(_query, _key, _value, mask=_pad)
    _key2, _value2 = _key.clone(), _value.clone()
    _key2[0, 5:] = 100.0 * torch.randn(2, 12)
    _value2[0, 5:] = 100.0 * torch.randn(2, 12)
    _o2, _ = _m(_query, _key2, _value2, mask=_pad)
    checks.check_close(_o2, _o, "output after changing padded keys and values", atol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""A hand-worked example: D = 2, two heads of size 1, identity projections, a swapping W^O."""
_m = MultiHeadAttention(2, 2)
with torch.no_grad():
    for _proj in (_m.q_proj, _m.k_proj, _m.v_proj):
        _proj.weight.copy_(torch.eye(2))
        _proj.bias.zero_()
    _m.out_proj.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))  # swaps the two features
    _m.out_proj.bias.copy_(torch.tensor([0.5, 0.0]))
    _out, _w = _m(*[torch.tensor([[[1.0, 0.0], [0.0, 2.0]]])] * 3)
# Head 0 sees feature 0 of each token, (1, 0); head 1 sees feature 1, (0, 2). d_head = 1, so
# the scores are plain products: head 0 [[1, 0], [0, 0]], head 1 [[0, 0], [0, 4]].
_e = math.e
_w0 = [[_e / (_e + 1), 1 / (_e + 1)], [0.5, 0.5]]
_w1 = [[0.5, 0.5], [1 / (1 + _e**4), _e**4 / (1 + _e**4)]]
checks.check_close(
    _w,
    torch.tensor([[_w0, _w1]]),
    "weights of the hand-worked example",
    hint="scale the scores by 1/sqrt(d_head) (here 1), not 1/sqrt(d_model); each head must "
    "compare its own features only",
)
_context = [[_w0[0][0], 2 * _w1[0][1]], [0.5, 2 * _w1[1][1]]]  # concat(head 0, head 1)
_expected = [[_c[1] + 0.5, _c[0]] for _c in _context]  # then W^O swaps and adds the bias
checks.check_close(
    _out,
    torch.tensor([_expected]),
    "output of the hand-worked example",
    hint="merge the heads, then apply out_proj (W^O) to the merged (B, L, D) tensor",
)
### BEGIN HIDDEN TESTS


def _torch_twin(m):
    """An nn.MultiheadAttention holding m's parameters (the test copies them itself)."""
    D = m.q_proj.in_features
    ref = nn.MultiheadAttention(D, m.num_heads, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([m.q_proj.weight, m.k_proj.weight, m.v_proj.weight]))
        ref.in_proj_bias.copy_(torch.cat([m.q_proj.bias, m.k_proj.bias, m.v_proj.bias]))
        ref.out_proj.weight.copy_(m.out_proj.weight)
        ref.out_proj.bias.copy_(m.out_proj.bias)
    return ref


for _D, _h, _B, _L, _S in [(16, 4, 2, 5, 5), (12, 3, 3, 4, 6), (32, 8, 2, 3, 7), (10, 1, 1, 4, 2)]:
    torch.manual_seed(_D * _h)
    _m = MultiHeadAttention(_D, _h)
    with torch.no_grad():
        for _p in _m.parameters():
            _p.normal_(0.0, 0.5)
    _ref = _torch_twin(_m)
    _query, _key, _value = torch.randn(_B, _L, _D), torch.randn(_B, _S, _D), torch.randn(_B, _S, _D)
    _keep = torch.rand(_B, _S) < 0.7
    _keep[:, 0] = True
    for _mask, _kwargs in [(None, {}), (_keep[:, None, None, :], {"key_padding_mask": ~_keep})]:
        with torch.no_grad():
            _o, _w = _m(_query, _key, _value, mask=_mask)
            _o_ref, _w_ref = _ref(
                _query, _key, _value, need_weights=True, average_attn_weights=False, **_kwargs
            )
        _what = f"(D={_D}, h={_h}, L={_L}, S={_S}, mask={'yes' if _mask is not None else 'no'})"
        checks.check_close(_w, _w_ref, f"weights vs nn.MultiheadAttention {_what}", atol=1e-5)
        checks.check_close(_o, _o_ref, f"output vs nn.MultiheadAttention {_what}", atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Loading PyTorch's weights
#
# PyTorch ships multi-head attention as `torch.nn.MultiheadAttention`. If your module computes
# the same function, then with the same parameters it must give the same output, to rounding.
# That is a strong test, and the way to move weights between implementations. Its parameters
# are laid out a little differently from ours:
#
# | `nn.MultiheadAttention(D, h, batch_first=True)` | shape | ours |
# |---|---|---|
# | `in_proj_weight` | `(3D, D)` | `q_proj.weight`, `k_proj.weight`, `v_proj.weight` stacked along dim 0, in that order |
# | `in_proj_bias` | `(3D,)` | `q_proj.bias`, `k_proj.bias`, `v_proj.bias`, concatenated |
# | `out_proj.weight`, `out_proj.bias` | `(D, D)`, `(D,)` | `out_proj.weight`, `out_proj.bias` |
#
# Both store weights the way `nn.Linear` does, `(out_features, in_features)` with
# $y = xW^\top + b$, so the blocks copy over as they are, no transpose. (All weight matrices
# here are square, so a wrong transpose would not even raise an error.)
#
# Two differences of convention matter when you call it:
# - its masks say where attention is **forbidden**: `attn_mask` (shape `(L, S)` or
#   `(B·h, L, S)`) and `key_padding_mask` (`(B, S)`) are True where a query may *not* look.
#   Our True-means-attend mask `keep` becomes `attn_mask=~keep`;
# - it returns the weights averaged over the heads unless you pass
#   `average_attn_weights=False`.

# %% [markdown]
# ### Exercise 5.4: load the weights of `nn.MultiheadAttention` (4 points)
#
# Write `load_torch_weights(module, reference)`: copy the parameters of `reference`, an
# `nn.MultiheadAttention(D, h, batch_first=True)`, into your `module` (a `MultiHeadAttention(D,
# h)`) so that both compute the same function, and return `module`. Copy the values (inside
# `torch.no_grad()`, with `param.copy_(...)`), do not share storage: changing `reference`
# afterwards must not change `module`.

# %% nbgrader={"grade": false, "grade_id": "load_torch_weights", "locked": false, "schema_version": 3, "solution": true, "task": false}
def load_torch_weights(
    module: MultiHeadAttention, reference: nn.MultiheadAttention
) -> MultiHeadAttention:
    """Copy the parameters of a torch ``nn.MultiheadAttention`` into ``module``.

    Args:
        module: MultiHeadAttention(D, h), modified in place.
        reference: nn.MultiheadAttention(D, h, batch_first=True) with in_proj_weight (3D, D),
            in_proj_bias (3D,) and out_proj (an nn.Linear(D, D)).

    Returns:
        ``module``, now computing the same function as ``reference``.
    """
    ### BEGIN SOLUTION
    w_q, w_k, w_v = reference.in_proj_weight.chunk(3, dim=0)  # 3 x (D, D)
    b_q, b_k, b_v = reference.in_proj_bias.chunk(3, dim=0)  # 3 x (D,)
    with torch.no_grad():
        module.q_proj.weight.copy_(w_q)
        module.k_proj.weight.copy_(w_k)
        module.v_proj.weight.copy_(w_v)
        module.q_proj.bias.copy_(b_q)
        module.k_proj.bias.copy_(b_k)
        module.v_proj.bias.copy_(b_v)
        module.out_proj.weight.copy_(reference.out_proj.weight)
        module.out_proj.bias.copy_(reference.out_proj.bias)
    return module
    ### END SOLUTION


# %% [markdown]
# **Try it.** Load the weights of a freshly made `nn.MultiheadAttention` and compare the two
# modules on the same input, with a causal mask converted to PyTorch's convention. Both
# differences should be around `1e-7`, rounding noise of 32-bit floats.

# %%
torch.manual_seed(0)
torch_mha = nn.MultiheadAttention(16, 4, batch_first=True)
ours = load_torch_weights(MultiHeadAttention(16, 4), torch_mha)
x_seq = torch.randn(2, 5, 16)
causal = torch.tril(torch.ones(5, 5, dtype=torch.bool))  # True = may attend (ours)
with torch.no_grad():
    out_ours, w_ours = ours(x_seq, x_seq, x_seq, mask=causal)
    out_torch, w_torch = torch_mha(
        x_seq, x_seq, x_seq, attn_mask=~causal, need_weights=True, average_attn_weights=False
    )
print(f"largest output difference : {(out_ours - out_torch).abs().max():.1e}")
print(f"largest weights difference: {(w_ours - w_torch).abs().max():.1e}")

# %% nbgrader={"grade": true, "grade_id": "test_load_torch_weights_parameters", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""load_torch_weights copies in_proj (as q, k, v blocks, in that order) and out_proj."""
torch.manual_seed(59)
_ref = nn.MultiheadAttention(8, 2, batch_first=True)
with torch.no_grad():
    for _p in _ref.parameters():
        _p.normal_(0.0, 1.0)
_m = load_torch_weights(MultiHeadAttention(8, 2), _ref)
checks.check_close(
    _m.q_proj.weight,
    _ref.in_proj_weight[:8],
    "q_proj.weight after loading",
    hint="in_proj_weight is (3D, D): rows 0..D-1 are W_q, then W_k, then W_v; nn.Linear "
    "stores (out, in) the same way, so copy without transposing",
)
_expected = _ref.in_proj_weight[:8].detach().clone()


def _after_changing_reference(load, module, reference):
    """Load, then add 1 to every parameter of the reference: a copy leaves the module alone."""
    load(module, reference)
    with torch.no_grad():
        for p in reference.parameters():
            p.add_(1.0)
    return {name: p.detach().clone() for name, p in module.named_parameters()}


_held = checks.probe(_after_changing_reference, load_torch_weights, MultiHeadAttention(8, 2), _ref)
checks.check_close(
    _held["q_proj.weight"],
    _expected,
    "q_proj.weight after adding 1 to the reference's parameters",
    hint="copy the values with param.copy_(...) inside torch.no_grad(); assigning the "
    "reference's tensors (or their .data) shares storage, so later changes leak through",
)
### BEGIN HIDDEN TESTS
for _D, _h in [(8, 2), (12, 3), (6, 1)]:
    torch.manual_seed(60 + _D)
    _ref = nn.MultiheadAttention(_D, _h, batch_first=True)
    with torch.no_grad():
        for _p in _ref.parameters():
            _p.normal_(0.0, 1.0)
    _m = MultiHeadAttention(_D, _h)
    load_torch_weights(_m, _ref)
    _w, _b = _ref.in_proj_weight.detach().clone(), _ref.in_proj_bias.detach().clone()
    _expected = {
        "q_proj.weight": _w[:_D],
        "k_proj.weight": _w[_D : 2 * _D],
        "v_proj.weight": _w[2 * _D :],
        "q_proj.bias": _b[:_D],
        "k_proj.bias": _b[_D : 2 * _D],
        "v_proj.bias": _b[2 * _D :],
        "out_proj.weight": _ref.out_proj.weight.detach().clone(),
        "out_proj.bias": _ref.out_proj.bias.detach().clone(),
    }
    _params = dict(_m.named_parameters())
    for _name, _value in _expected.items():
        checks.check_close(_params[_name], _value, f"{_name} after loading (D={_D})", atol=0.0)
    # the module holds copies: changing the reference leaves it alone
    _held = checks.probe(
        _after_changing_reference, load_torch_weights, MultiHeadAttention(_D, _h), _ref
    )
    for _name, _value in _expected.items():
        checks.check_close(
            _held[_name], _value, f"{_name} after changing the reference (must be a copy)"
        )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_load_torch_weights_output", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""After loading, the module's output and per-head weights match nn.MultiheadAttention to 1e-5."""
torch.manual_seed(61)
_ref = nn.MultiheadAttention(16, 4, batch_first=True)
with torch.no_grad():
    for _p in _ref.parameters():
        _p.normal_(0.0, 0.3)
_m = load_torch_weights(MultiHeadAttention(16, 4), _ref)
_x = torch.randn(2, 5, 16)
with torch.no_grad():
    _o, _w = _m(_x, _x, _x)
    _o_ref, _w_ref = _ref(_x, _x, _x, need_weights=True, average_attn_weights=False)
checks.check_close(
    _o,
    _o_ref,
    "output vs nn.MultiheadAttention (self-attention, same weights)",
    atol=1e-5,
    hint="check the order of the q, k, v blocks, that the biases and out_proj are copied, and "
    "that forward scales by sqrt(d_head)",
)
### BEGIN HIDDEN TESTS
for _D, _h, _B, _L, _S in [(16, 4, 2, 3, 7), (24, 6, 3, 5, 5), (12, 2, 1, 4, 4)]:
    torch.manual_seed(62 + _D)
    _ref = nn.MultiheadAttention(_D, _h, batch_first=True)
    with torch.no_grad():
        for _p in _ref.parameters():
            _p.normal_(0.0, 0.3)
    _m = load_torch_weights(MultiHeadAttention(_D, _h), _ref)
    _query, _key, _value = torch.randn(_B, _L, _D), torch.randn(_B, _S, _D), torch.randn(_B, _S, _D)
    _keep = torch.rand(_B, _h, _L, _S) < 0.6  # one mask per sentence and head
    _keep[..., -1] = True
    with torch.no_grad():
        for _mask, _torch_mask in [(None, None), (_keep, (~_keep).reshape(_B * _h, _L, _S))]:
            _o, _w = _m(_query, _key, _value, mask=_mask)
            _o_ref, _w_ref = _ref(
                _query,
                _key,
                _value,
                attn_mask=_torch_mask,
                need_weights=True,
                average_attn_weights=False,
            )
            _what = f"(D={_D}, h={_h}, L={_L}, S={_S}, mask={'yes' if _mask is not None else 'no'})"
            checks.check_close(_o, _o_ref, f"output vs nn.MultiheadAttention {_what}", atol=1e-5)
            checks.check_close(_w, _w_ref, f"weights vs nn.MultiheadAttention {_what}", atol=1e-5)
        _, _w_avg = _ref(_query, _key, _value)  # the default: averaged over the heads
        _, _w = _m(_query, _key, _value)
        checks.check_close(_w.mean(dim=1), _w_avg, "mean over heads vs torch's default", atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. What the heads look at
#
# Trained Transformers are full of heads with recognisable jobs: heads that look at the
# previous or the next token, heads that link a pronoun or a verb to the word it depends on,
# heads that park their attention on a fixed token when they have nothing to do (Clark et al.
# 2019; Voita et al. 2019). Training a model to find such heads would take longer than this
# notebook, so we **set the weights of a 4-head layer by hand** to do four such jobs on our
# sentence, and look at the heads one by one.
#
# The hand-made embedding has $D = 16$ dimensions in two blocks:
# - **position** (dimensions 0 to 3): two (cosine, sine) pairs of the position $t$, at two
#   frequencies (notebook 06 builds such codes properly). Rotating each pair back by one step
#   turns the code of position $t$ into the code of $t - 1$, and that rotation is a linear map,
#   so a query projection can do it;
# - **meaning** (dimensions 4 to 15): eleven yes/no features such as *noun*, *pronoun*,
#   *adjective*, *animate* (the twelfth dimension, 15, is left at zero).
#
# Heads 0 and 1 read only the position block, heads 2 and 3 only the meaning block: four
# subspaces, four questions. Head 0 asks for the previous word and head 1 for the next one;
# head 2 lets pronouns and adjectives look for an animate noun; head 3 lets each word look for
# words of its own broad category (nouns and pronouns; verbs and auxiliaries; determiners and
# conjunctions; adjectives and adverbs). Read the code as a description of those four jobs; the
# exact numbers only set how sharp each head is.

# %%
SENTENCE = "the elephant didn't cross the street because it was too tired".split()
FEATURES = ("det", "noun", "verb", "aux", "pron", "adj", "adv", "conj", "neg", "animate", "place")
LEXICON = {
    "the": ("det",),
    "elephant": ("noun", "animate"),
    "didn't": ("aux", "neg"),
    "cross": ("verb",),
    "street": ("noun", "place"),
    "because": ("conj",),
    "it": ("pron",),
    "was": ("aux",),
    "too": ("adv",),
    "tired": ("adj",),
}
FREQUENCIES = (2 * math.pi / 24, 1.0)  # radians per position, one per (cos, sin) pair
D_TOY, HEADS_TOY = 16, 4


def feature(name: str) -> int:
    """The embedding dimension of a meaning feature (the meaning block starts at 4)."""
    return 4 + FEATURES.index(name)


def embed(tokens: list[str]) -> torch.Tensor:
    """(L, 16) embeddings: position code in dimensions 0-3, meaning features in 4-15."""
    x = torch.zeros(len(tokens), D_TOY)
    for t, token in enumerate(tokens):
        for j, omega in enumerate(FREQUENCIES):
            x[t, 2 * j] = math.cos(omega * t)
            x[t, 2 * j + 1] = math.sin(omega * t)
        for name in LEXICON[token]:
            x[t, feature(name)] = 1.0
    return x


def rotation(steps: int) -> torch.Tensor:
    """(4, 4) map that turns the position code of t into the code of t + steps."""
    r = torch.zeros(4, 4)
    for j, omega in enumerate(FREQUENCIES):
        c, s = math.cos(omega * steps), math.sin(omega * steps)
        r[2 * j : 2 * j + 2, 2 * j : 2 * j + 2] = torch.tensor([[c, -s], [s, c]])
    return r


def hand_built_heads(num_heads: int = HEADS_TOY) -> MultiHeadAttention:
    """A MultiHeadAttention(16, num_heads) whose weights are set by hand (see the prose)."""
    layer = MultiHeadAttention(D_TOY, num_heads)
    wq, wk = layer.q_proj.weight, layer.k_proj.weight  # (16, 16), rows = output features
    with torch.no_grad():
        for p in layer.parameters():
            p.zero_()
        layer.v_proj.weight.copy_(torch.eye(D_TOY))
        layer.out_proj.weight.copy_(torch.eye(D_TOY))
        # head 0 (rows 0-3): the query of t is the position code of t - 1
        wq[0:4, 0:4] = 16.0 * rotation(-1)
        wk[0:4, 0:4] = torch.eye(4)
        # head 1 (rows 4-7): the query of t is the position code of t + 1
        wq[4:8, 0:4] = 16.0 * rotation(+1)
        wk[4:8, 0:4] = torch.eye(4)
        # head 2 (row 8): pronouns and adjectives look for animate nouns (other nouns score less)
        wq[8, feature("pron")] = wq[8, feature("adj")] = 8.0
        wk[8, feature("animate")], wk[8, feature("noun")] = 1.0, 0.5
        # head 3 (rows 12-15): one dimension per broad category; a word seeks its own category
        categories = [("noun", "pron"), ("verb", "aux"), ("det", "conj"), ("adj", "adv")]
        for c, names in enumerate(categories):
            for name in names:
                wq[12 + c, feature(name)] = 8.0
                wk[12 + c, feature(name)] = 1.0
    return layer


HEAD_NAMES = ["head 0: previous word", "head 1: next word", "head 2: pronoun -> animate noun"]
HEAD_NAMES += ["head 3: same category"]
x_toy = embed(SENTENCE)[None]  # (1, L, 16)


# %% tags=["demo"]
def builtin_twin(layer: MultiHeadAttention) -> nn.MultiheadAttention:
    """PyTorch's nn.MultiheadAttention holding the weights of ``layer``: the demos' stand-in
    while your forward (or the split_heads and merge_heads it calls) is not finished."""
    d_model = layer.q_proj.in_features
    twin = nn.MultiheadAttention(d_model, layer.num_heads, batch_first=True)
    projections = (layer.q_proj, layer.k_proj, layer.v_proj)
    with torch.no_grad():
        twin.in_proj_weight.copy_(torch.cat([p.weight for p in projections]))  # (3D, D)
        twin.in_proj_bias.copy_(torch.cat([p.bias for p in projections]))  # (3D,)
        twin.out_proj.weight.copy_(layer.out_proj.weight)
        twin.out_proj.bias.copy_(layer.out_proj.bias)
    return twin.to(layer.q_proj.weight.device)


def forward_is_written() -> bool:
    """Whether your MultiHeadAttention runs; if not, a banner says what the demos use."""
    try:
        MultiHeadAttention(8, 2)(*[torch.zeros(1, 3, 8)] * 3)
    except NotImplementedError:
        print(
            "*** your `MultiHeadAttention` (or its `split_heads` / `merge_heads`) is not "
            "finished: this cell uses PyTorch's built-in nn.MultiheadAttention instead ***"
        )
        return False
    return True


def self_attention_weights(layer: MultiHeadAttention, x: torch.Tensor) -> torch.Tensor:
    """Per-head weights (B, h, L, L) of ``layer`` on x (B, L, D), without gradients."""
    with torch.no_grad():
        if forward_is_written():
            return layer(x, x, x)[1]
        return builtin_twin(layer)(x, x, x, average_attn_weights=False)[1]


toy_layer = hand_built_heads()
toy_weights = self_attention_weights(toy_layer, x_toy)  # (1, 4, L, L)

fig, axes = plt.subplots(2, 2, figsize=(13, 11), layout="constrained")
for head, ax in enumerate(axes.flat):
    plots.heatmap(
        toy_weights[0, head],
        SENTENCE,
        SENTENCE,
        ax=ax,
        title=HEAD_NAMES[head],
        xlabel="key",
        ylabel="query",
        vmin=0.0,
        vmax=1.0,
        annotate=False,
    )
plt.show()
it = SENTENCE.index("it")
for head, name in enumerate(HEAD_NAMES):
    row = toy_weights[0, head, it]
    top = [j for j in range(len(SENTENCE)) if row[j] > row.max() - 1e-6]  # ties included
    words = " = ".join(repr(SENTENCE[j]) for j in top)
    tie = f" ({len(top)}-way tie, {row.max():.2f} each)" if len(top) > 1 else f" ({row.max():.2f})"
    print(f"{name:<34} 'it' attends most to {words}{tie}")

# %% [markdown]
# Read each panel by rows: row "it" is where "it" looks. Heads 0 and 1 are two shifted
# diagonals, the same pattern one step apart (the first word has no previous word and falls
# back on itself, the last word likewise). Head 2 is uniform wherever it has nothing to ask,
# but its rows for "it" and "tired" point at "elephant": the street is a noun too, but not an
# animate one. Head 3 shows blocks: every word spreads its attention over the words of its own
# category; for "it" that is an exact three-way tie between "elephant", "street" and "it"
# itself, the nouns and the pronoun, as the printout says. Which head "resolves" the pronoun?
# Only head 2 singles out the elephant, and only because its subspace holds the *animate*
# feature: head 3 cannot tell the elephant from the street, and the positional heads cannot
# see meaning at all.
#
# **Why not one big head?** Use the very same four projection matrices as a single head
# (`num_heads=1`): every score becomes the *sum* of the four heads' dot products, fed to one
# softmax (and divided by $\sqrt{16}$ rather than $\sqrt{4}$). The questions are no longer
# asked separately; their answers are added up.

# %% tags=["demo"]
one_head = hand_built_heads(num_heads=1)  # the same weights, one head of size 16
one_head_weights = self_attention_weights(one_head, x_toy)  # (1, 1, L, L)
ax = plots.heatmap(
    one_head_weights[0, 0],
    SENTENCE,
    SENTENCE,
    title="the same weights as one head",
    xlabel="key",
    ylabel="query",
    vmin=0.0,
    vmax=1.0,
    annotate=False,
)
plt.show()
diagonal = one_head_weights[0, 0].diagonal()
print(f"weight of each word on itself, one head: mean {diagonal.mean():.2f}")
print(f"'it' -> 'elephant': one head {one_head_weights[0, 0, it, 1]:.2f}", end="")
print(f", head 2 of the four-head layer {toy_weights[0, 2, it, 1]:.2f}")

# %% [markdown]
# The single head mostly looks at **each word itself**, which none of the four heads asked
# for. Position $t$ scores fairly well for "previous word" *and* for "next word" (it is one
# step from both targets) and every word is in its own category, so in the sum the word itself
# wins, and the pronoun link all but disappears (see the printout). Separate softmaxes keep
# separate questions apart; that is the case for several heads of size $D/h$ rather than one
# of size $D$, at the same number of parameters and about the same compute.

# %% [markdown]
# ## 6. The cost lab: self-attention against recurrence
#
# Table 1 of Vaswani et al. (2017) compares layer types by three costs, for a sequence of
# length $n$ and representation size $d$:
#
# | layer type | work per layer | sequential operations | maximum path length |
# |---|---|---|---|
# | self-attention | $O(n^2 \cdot d)$ | $O(1)$ | $O(1)$ |
# | recurrent | $O(n \cdot d^2)$ | $O(n)$ | $O(n)$ |
# | convolutional (kernel $k$) | $O(k \cdot n \cdot d^2)$ | $O(1)$ | $O(\log_k n)$ |
#
# - **Work.** Self-attention computes $n^2$ scores, each a dot product of length $d$, and as
#   many weighted sums: $2n^2d$ multiply-adds. A tanh RNN multiplies a $d$-vector by two
#   $d \times d$ matrices at each of $n$ steps: $2nd^2$. The two are equal at $n = d$; for
#   shorter sequences attention does less work, for longer ones more, and its share grows
#   linearly with $n/d$. (Our layer also has four $d \times d$ projections, $4nd^2$; Table 1
#   leaves out such per-token terms, which a recurrent layer has as well.)
# - **Sequential operations.** An RNN cannot compute $h_t$ before $h_{t-1}$: $n$ steps one
#   after the other, each too small to keep a big processor busy. All of attention's products
#   can run at once.
# - **Path length.** Information from token 1 reaches token $n$ in one attention step, but
#   through $n$ recurrent steps, which is the long-range problem of notebook 01.
# - **Memory.** Attention materialises the $n \times n$ score and weight matrices for every
#   head: memory grows as $n^2$, while an RNN keeps $n$ hidden states of size $d$.
#
# Below we time one forward pass of your `MultiHeadAttention` (self-attention, 4 heads) and of
# `nn.RNN` with hidden size $d$, on a batch of 4 sequences, for two sizes $d$ and growing $n$.
# Each time is the fastest of several runs, the one least disturbed by other programs. On a
# CPU both layers run on a single thread (`torch.set_num_threads(1)`, undone at the end): the
# comparison is then about the work itself, and far less noisy on a machine that is busy with
# other things. (With several threads attention's large matrix products would gain more than
# the RNN's small sequential steps: the middle column of the table at work.) The timing and the
# memory come from `course_lib.measure`, which notebook 07 uses as well: `best_time` is the
# fastest of several calls (waiting for the GPU to finish each one), and the memory is what a
# training step must hold between its forward and its backward pass, the tensors that autograd
# saves (`saved_for_backward_bytes`), counted the same way on a CPU and on a GPU. For attention
# that is mostly the `(B, h, n, n)` weights, which the softmax's backward pass needs; for the
# RNN, mostly its `(B, n, d)` hidden states.

# %% [markdown]
# ### Exercise 5.5: predict, then measure (1 point)
#
# Before you run the lab, predict one of its numbers and write it down here. It is graded;
# the measurement is not.
#
# For $d = 64$ (4 heads, a batch of 4), the sequence grows from $n = 256$ to $n = 1024$, four
# times as long. By what factor does the memory that your `MultiHeadAttention` keeps for the
# backward pass grow? (A number; within 25% of the measured factor is enough. The lab prints
# the measured factor on a line of its own.)
#
# Hint: list what the forward pass must keep: the projected queries, keys and values, the
# `(B, h, n, n)` weights, the context before `out_proj`... How does each grow with $n$, and
# which is largest when $n$ is several times $d$?

# %% nbgrader={"grade": false, "grade_id": "memory_prediction", "locked": false, "schema_version": 3, "solution": true, "task": false}
prediction_memory_factor = None
### BEGIN SOLUTION
# The (B, h, n, n) weights grow 16-fold and dominate; the (B, n, d) tensors grow 4-fold.
prediction_memory_factor = 16
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_memory_prediction", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""The prediction: how attention's saved memory grows from n = 256 to 1024 (within 25%)."""
checks.check_type(
    prediction_memory_factor,
    (int, float),
    "prediction_memory_factor",
    hint="a number, like 2: the memory at n = 1024 divided by the memory at n = 256",
)
### BEGIN HIDDEN TESTS
checks.check_close(
    float(prediction_memory_factor),
    13.1,  # measured: 69.0 MB / 5.27 MB, the same on every machine (bytes, not seconds)
    "prediction_memory_factor",
    atol=0.25 * 13.1,
    rtol=0.0,
)
### END HIDDEN TESTS

# %% tags=["demo"]
D_VALUES = (64, 128)
BATCH, LAB_HEADS = 4, 4
LENGTHS = size_switch(
    cpu=[16, 32, 64, 128, 256, 512, 1024],
    gpu=[16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
    device=DEVICE,
)

results = []  # (d, n, attention s, rnn s, attention bytes, rnn bytes)
yours = forward_is_written()  # if not, PyTorch's nn.MultiheadAttention stands in
lab_start = time.perf_counter()
threads = torch.get_num_threads()
if DEVICE.type == "cpu":
    torch.set_num_threads(1)  # one core for both layers: fairer, and far less noisy
try:
    for d in D_VALUES:
        torch.manual_seed(0)
        attention_layer = MultiHeadAttention(d, LAB_HEADS).to(DEVICE).eval()
        if not yours:
            attention_layer = builtin_twin(attention_layer).eval()
        rnn_layer = nn.RNN(d, d, batch_first=True).to(DEVICE).eval()
        for n in LENGTHS:
            x = torch.randn(BATCH, n, d, device=DEVICE)  # (B, n, d)
            run_attention = partial(attention_layer, x, x, x)
            run_rnn = partial(rnn_layer, x)
            with torch.no_grad():  # time the forward pass alone
                t_attention = measure.best_time(run_attention, device=DEVICE, min_runs=5)
                t_rnn = measure.best_time(run_rnn, device=DEVICE, min_runs=5)
            m_attention = measure.saved_for_backward_bytes(run_attention)
            m_rnn = measure.saved_for_backward_bytes(run_rnn)
            results.append((d, n, t_attention, t_rnn, m_attention, m_rnn))
            del x, run_attention, run_rnn
finally:
    torch.set_num_threads(threads)
print(f"cost lab on {describe_device(DEVICE)}: {time.perf_counter() - lab_start:.1f} s")
MEMORY_KIND = "saved for backward"
print(f"memory: {MEMORY_KIND}; work = multiply-adds, attention / RNN")
print(f"{'d':>4} {'n':>5} {'n/d':>6} | {'attention ms':>12} {'RNN ms':>8} {'ratio':>6} | ", end="")
print(f"{'work, Table 1':>13} {'whole layers':>12} | {'attention MB':>12} {'RNN MB':>7}")
for d, n, t_att, t_rnn, m_att, m_rnn in results:
    print(f"{d:>4} {n:>5} {n / d:>6.3g} | {1e3 * t_att:>12.3f} {1e3 * t_rnn:>8.3f} ", end="")
    print(f"{t_att / t_rnn:>6.2f} | {n / d:>13.3g} {2 + n / d:>12.3g} | ", end="")
    print(f"{m_att / 2**20:>12.3f} {m_rnn / 2**20:>7.3f}")
memory_of = {(d, n): m_att for d, n, _, _, m_att, _ in results}
print(
    "exercise 5.5: for d = 64, from n = 256 to n = 1024 the attention memory grew "
    f"x{memory_of[64, 1024] / memory_of[64, 256]:.1f}"
)


# %% tags=["demo"]
def crossover(d: int) -> str:
    """Where self-attention becomes slower than the RNN (and stays slower) for this d."""
    rows = [(n, t_att > t_rnn) for dd, n, t_att, t_rnn, _, _ in results if dd == d]
    if not any(slower for _, slower in rows):
        return f"attention was faster at every measured n (up to {rows[-1][0]})"
    first = next(i for i in range(len(rows)) if all(slower for _, slower in rows[i:]))
    if first == 0:
        return f"attention was slower at every measured n (from {rows[0][0]})"
    return f"attention was faster up to n = {rows[first - 1][0]}, slower from n = {rows[first][0]}"


fig, (ax_time, ax_ratio, ax_mem) = plt.subplots(1, 3, figsize=(19, 5.5), layout="constrained")
colours = dict(zip(D_VALUES, ["tab:blue", "tab:orange"], strict=True))
for d in D_VALUES:
    rows = [r for r in results if r[0] == d]
    ns = [r[1] for r in rows]
    c = colours[d]
    ax_time.plot(ns, [1e3 * r[2] for r in rows], "o-", color=c, label=f"self-attention, d={d}")
    ax_time.plot(ns, [1e3 * r[3] for r in rows], "s--", color=c, label=f"RNN, d={d}")
    ax_mem.plot(ns, [r[4] / 2**20 for r in rows], "o-", color=c, label=f"self-attention, d={d}")
    ax_mem.plot(ns, [r[5] / 2**20 for r in rows], "s--", color=c, label=f"RNN, d={d}")
    ax_ratio.plot([n / d for n in ns], [r[2] / r[3] for r in rows], "o-", color=c, label=f"d={d}")
    for ax in (ax_time, ax_mem):
        ax.axvline(d, color=c, linestyle=":", linewidth=1.5)
        ax.text(d * 1.05, 0.02, f"n = d = {d}", color=c, transform=ax.get_xaxis_transform())
n_over_d = sorted({n / d for d, n, *_ in results})
ax_ratio.plot(n_over_d, n_over_d, "k--", label="Table 1: n²d / nd² = n/d")
ax_ratio.plot(n_over_d, [2 + r for r in n_over_d], "k:", label="whole layers: 2 + n/d")
ax_ratio.axhline(1.0, color="grey", linewidth=1)
ax_ratio.axvline(1.0, color="grey", linewidth=1)
panels = [
    (ax_time, "sequence length n", "time per forward pass (ms)", f"time ({DEVICE.type})"),
    (ax_ratio, "n / d", "attention / RNN", "time ratio against the work ratio"),
    (ax_mem, "sequence length n", "memory (MB)", f"memory ({MEMORY_KIND})"),
]
for ax, xlabel, ylabel, title in panels:
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
plt.show()

n_mid, n_top = LENGTHS[-3], LENGTHS[-1]
for d in D_VALUES:
    rows = {r[1]: r for r in results if r[0] == d}
    print(f"d = {d:>3}: {crossover(d)}")
    print(
        f"         from n = {n_mid} to {n_top} (x{n_top // n_mid}): attention time "
        f"x{rows[n_top][2] / rows[n_mid][2]:.1f}, RNN time x{rows[n_top][3] / rows[n_mid][3]:.1f}, "
        f"attention memory x{rows[n_top][4] / rows[n_mid][4]:.0f}, "
        f"RNN memory x{rows[n_top][5] / rows[n_mid][5]:.0f}"
    )

# %% [markdown]
# **Reading the plots.** On log-log axes a cost that grows as $n^k$ is a straight line of
# slope $k$.
#
# - *Time* (left). The RNN's time is close to a line of slope 1: each extra token is one more
#   step of the same size. Self-attention's time starts with a slope below 1 (each doubling of
#   $n$ from 16 multiplies it by about 1.5 to 2 for $d = 64$), where fixed costs and the four
#   projections, which grow like $n$, dominate; then it bends up to slope 2 as the $n \times n$
#   matrices take over, and steeper still once they no longer fit in the processor's caches.
# - *Ratio* (middle): attention's time divided by the RNN's, against $n/d$, next to Table 1's
#   work ratio $n^2d / nd^2 = n/d$ (dashed) and the ratio for the whole layers, $2 + n/d$
#   (dotted, counting our four projections). For short sequences the measured ratio stays
#   near or below 1: there the work is small, and what counts is that attention does it in a
#   few large matrix products while the RNN takes $n$ small steps, each with a fixed overhead.
#   From about $n = d$ on, the ratio climbs with $n/d$ as Table 1 says, and attention becomes
#   the slower layer within a small factor of $n = d$.
# - *Memory* (right). Attention's memory is soon dominated by its weights: for long sequences
#   it grows nearly four-fold for each doubling of $n$ and hardly depends on $d$. The two
#   attention curves come together only once $n$ is several times $d$ (at $n = 1024$ they
#   differ by under 10%); for shorter sequences the projections, whose memory grows like $n d$,
#   still count, and at $n = 16$ the curve for $d = 128$ lies about twice as high as the one
#   for $d = 64$. The RNN's memory grows two-fold per doubling of $n$, in proportion to $d$.
#
# The printouts above give your machine's numbers. Timings move with the processor, the load
# from other programs and the PyTorch version; the shapes of the curves do not. As an example,
# when this notebook was written (a busy 2-core CPU, one thread), attention was faster than the
# RNN up to $n = 128$ and slower from $n = 256$ for $d = 64$; for $d = 128$ the two took about
# the same time up to $n = 64$ and attention was slower from $n = 128$; at $n = 1024$
# attention took more than ten times as long as the RNN, and it kept about 70 MB for the
# backward pass (69 MB for $d = 64$, 74 MB for $d = 128$; the weights alone are 64 MB) against
# 2 to 4 MB for the RNN.
#
# On a GPU (say, in Colab) expect the middle column of Table 1 to take over. The RNN's $n$
# steps still run one after another, each far too small to fill thousands of cores, whereas
# attention's big matrix products fill them: attention stays the faster layer up to much
# longer sequences, and its $n^2$ memory becomes the limit instead. Run the lab there and
# check. That trade, parallel work for quadratic memory, is why Transformers train fast, and
# why long contexts need tricks such as FlashAttention (Dao et al. 2022), which computes exact
# attention without ever storing the $n \times n$ matrix (notebook 07 compares it with the
# plain version).

# %% [markdown]
# **Exercise 5.5, measured.** From $n = 256$ to $n = 1024$ the memory of attention for
# $d = 64$ grew 13.1-fold (5.3 MB to 69.0 MB; bytes are counted, so every machine prints the
# same). The weights alone, $B \cdot h \cdot n^2$ numbers of 4 bytes, grow 16-fold, from 4 MB to
# 64 MB; the rest (the tensors of shape $(B, n, d)$: inputs and outputs of the projections,
# the context) grows 4-fold, from 1.3 MB to 5 MB. At $n = 256 = 4d$ that rest is still a quarter of the
# total, so the factor lands between 4 and 16, nearer 16; at longer $n$ it approaches 16.
#
# Now compare with your prediction, in the cell below: what did you predict, what was
# measured, and what did your reasoning leave out, if anything? (Not graded automatically;
# it stays in your notebook for your teacher to read.)

# %% [markdown]
# **Your comparison.** *(Double-click this cell and replace this line with a few
# sentences: what you predicted, what was measured, and where and why they differ.)*

# %% [markdown]
# ## 7. Check your understanding (5 points)
#
# Set each answer below. Multiple choice answers are a single letter (a string, like `"b"`);
# numeric answers are numbers.
#
# 1. A model has $d_{\text{model}} = 512$ and 8 heads. How many features does each head's
#    query vector have? (a number)
# 2. You change `MultiHeadAttention(512, 8)` into `MultiHeadAttention(512, 16)`. The number of
#    parameters: (a) doubles; (b) halves; (c) stays the same; (d) grows four-fold.
# 3. By Table 1, the work of a self-attention layer is $O(n^2 d)$ and that of a recurrent layer
#    $O(n d^2)$. For $n = 2048$ tokens and $d = 512$, what is the ratio
#    $n^2 d \,/\, n d^2$? (a number)
# 4. Which statement matches Table 1? (a) self-attention needs $O(1)$ sequential operations and
#    a recurrent layer $O(n)$; (b) self-attention needs $O(n)$ sequential operations and a
#    recurrent layer $O(1)$; (c) both need $O(n)$; (d) both need $O(1)$.
# 5. `split_heads` written as `x.reshape(B, h, L, d_head)`, without a transpose, returns the
#    right shape. What is wrong with it? (a) nothing, it is the same tensor with the same values
#    in the same places; (b) the values come out multiplied by $\sqrt{h}$, so every head's
#    scores are too large and its softmax saturates; (c) the head and position axes are mixed
#    up: a "head" holds a few whole tokens, not a slice of every token; (d) it only gives wrong values when `h = 1`.

# %% nbgrader={"grade": false, "grade_id": "understanding", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_1 = None
answer_2 = None
answer_3 = None
answer_4 = None
answer_5 = None
### BEGIN SOLUTION
answer_1 = 64
answer_2 = "c"
answer_3 = 4.0
answer_4 = "a"
answer_5 = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 1: the size of a head."""
checks.check_type(answer_1, (int, float), "answer_1", hint="a number, like 32")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_1), 64.0, "answer_1")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 2: parameters against the number of heads."""
checks.check_choice(answer_2, ["a", "b", "c", "d"], "answer_2")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_2, "c", "answer_2")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 3: the work ratio of Table 1."""
checks.check_type(answer_3, (int, float), "answer_3", hint="a number, like 0.5")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_3), 4.0, "answer_3", atol=1e-3)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 4: sequential operations."""
checks.check_choice(answer_4, ["a", "b", "c", "d"], "answer_4")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_4, "a", "answer_4")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q5", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 5: the reshape without a transpose."""
checks.check_choice(answer_5, ["a", "b", "c", "d"], "answer_5")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_5, "c", "answer_5")
### END HIDDEN TESTS

# %% [markdown]
# ## Recap
#
# - **Multi-head attention** runs $h$ attentions side by side, each on its own
#   $d_{\text{head}} = D/h$ slice of the projected queries, keys and values, and mixes their
#   concatenated outputs with $W^O$. Same parameters and about the same compute as one wide
#   head, but $h$ separate softmaxes: separate questions stay separate.
# - The heads come from one `nn.Linear` per projection; **split** is
#   `view(B, L, h, d_head)` + `transpose(1, 2)`, **merge** is the reverse with `reshape`.
#   Reshaping straight to `(B, h, L, d_head)` has the right shape and the wrong values.
# - Scale the scores by $1/\sqrt{d_{\text{head}}}$, the length of the vectors compared. Return
#   per-head weights `(B, h, L, S)`; masks are bool, True = attend, broadcastable to that shape.
# - `torch.nn.MultiheadAttention` stores $W^Q, W^K, W^V$ stacked in `in_proj_weight`, averages
#   the weights over heads unless `average_attn_weights=False`, and takes masks with
#   True = *forbidden*. With its weights loaded, your module matches it to 1e-5.
# - Cost (Vaswani et al. 2017, Table 1): self-attention does $O(n^2 d)$ work in $O(1)$
#   sequential steps, a recurrent layer $O(n d^2)$ in $O(n)$ steps. Attention wins for short
#   sequences and on parallel hardware; its time and memory grow as $n^2$, so long sequences
#   are where it hurts.
# - Next, notebook 06: positional encodings, residual connections, layer norm and feed-forward
#   layers turn this module into a Transformer.
#
# ## Further reading
#
# - Vaswani et al., *Attention Is All You Need* (2017): section 3.2.2 defines multi-head
#   attention; Table 1 is the cost comparison of section 6.
# - Clark, Khandelwal, Levy and Manning, *What Does BERT Look At? An Analysis of BERT's
#   Attention* (2019): positional heads, heads that follow syntax and coreference, and heads
#   that park on separator tokens.
# - Voita, Talbot, Moiseev, Sennrich and Titov, *Analyzing Multi-Head Self-Attention:
#   Specialized Heads Do the Heavy Lifting, the Rest Can Be Pruned* (2019).
# - Michel, Levy and Neubig, *Are Sixteen Heads Really Better than One?* (2019): many heads
#   can be removed after training with little loss.
# - Shazeer, *Fast Transformer Decoding: One Write-Head is All You Need* (2019): multi-query
#   attention, all heads sharing one key and value projection to save memory when generating.
# - Dao, Fu, Ermon, Rudra and Ré, *FlashAttention: Fast and Memory-Efficient Exact Attention
#   with IO-Awareness* (2022): attention without storing the $n \times n$ matrix.
