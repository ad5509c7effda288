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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attention-course/attention-course-student/blob/main/notebooks/04_self_attention/04_self_attention.ipynb)

# %% [markdown]
# # 04 · Self-attention: queries, keys, values and the $\sqrt{d_k}$
#
# In notebook 03 a decoder looked back at the encoder's outputs: one *query* (the decoder's
# state) scored every encoder output, a softmax turned the scores into weights, and the weighted
# sum of the encoder outputs became the context. Self-attention asks the same question *inside
# one sentence*: every word is a query, every word (itself included) is a key, and every word
# comes out mixed with the words it attends to. Stack that step, and you have the core of the
# Transformer (Vaswani et al., 2017).
#
# **You will learn to**
# - explain how self-attention differs from encoder-decoder attention, and why queries, keys and
#   values are three *learned projections* of the same tokens;
# - implement scaled dot-product attention, batched, with an optional mask, and match
#   `torch.nn.functional.scaled_dot_product_attention`;
# - measure why the scores are divided by $\sqrt{d_k}$: variance, softmax saturation and
#   vanishing gradients, with numbers and curves;
# - build a causal mask and a `SelfAttention` module;
# - read attention heatmaps for "see that girl run" and "the elephant didn't cross the street
#   because it was too tired", and explore temperature, $d_k$ and masks interactively.
#
# **Prerequisites**: notebook 03 (softmax and attention weights) or the same ideas elsewhere;
# notebook 02 (dot products). PyTorch basics: tensors, `@`, `transpose`, `torch.softmax`,
# `nn.Linear`, `nn.Module`.
#
# **Estimated time**: about 90 minutes. Running every cell takes a few seconds on a CPU
# (measured: 4 to 8 s on 2 cores, kernel start included); no GPU needed.
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
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import checks, data, plots, widgets
from course_lib.device import describe_device, get_device, seed_everything

torch.set_printoptions(precision=3, sci_mode=False)
np.set_printoptions(precision=3, suppress=True)

# As in every notebook: seed the random number generators and pick the device.
seed_everything(0)
DEVICE = get_device()
print(describe_device(DEVICE))

# %% [markdown]
# ## 1. From encoder-decoder attention to self-attention
#
# Take the sentence "see that girl run". To understand "that", a reader has to find the noun it
# points at: "girl". To understand "run", the reader wants to know *who* runs: "girl" again. In
# a recurrent network that information has to travel step by step through the hidden state;
# self-attention lets every word look at every other word directly, in one step, and all words
# do so in parallel.
#
# The recipe is the one of notebook 03, with the roles filled from one sentence:
#
# | | encoder-decoder attention (03) | self-attention (this notebook) |
# |---|---|---|
# | query | the decoder's state | each word of the sentence |
# | keys | the encoder's outputs | each word of the same sentence |
# | values | the encoder's outputs | each word of the same sentence |
# | result | one context vector per decoder step | one new vector per word |
#
# `course_lib.data` ships both sentences of this notebook with tiny hand-made embeddings: six
# features per word that you can read.

# %%
girl = data.self_attention_example("see that girl run")
print("features:", data.SENTENCE_FEATURES)
for token, vector in zip(girl.tokens, girl.embeddings, strict=True):
    print(f"{token:>5}: {vector}")

# %% [markdown]
# What if a word simply scored the other words by the dot product of their embeddings, as in
# notebook 02? Two problems show up at once.
#
# 1. **A word favours itself.** $\mathbf{x}\cdot\mathbf{y} \le \lVert\mathbf{x}\rVert\,\lVert\mathbf{y}\rVert$,
#    and a word's score with itself is $\lVert\mathbf{x}\rVert^2$. Another word $\mathbf{y}$
#    beats that only if $\lVert\mathbf{y}\rVert\cos\theta > \lVert\mathbf{x}\rVert$: it must
#    be longer *and* point in nearly the same direction. Otherwise a word scores itself
#    highest: "that" would mostly look at "that".
# 2. **Similarity is symmetric**, $\mathbf{x}_i\cdot\mathbf{x}_j = \mathbf{x}_j\cdot\mathbf{x}_i$,
#    but "that needs girl" does not mean "girl needs that". What a word is *looking for* is not
#    what it *is*.
#
# The heatmap below (softmax of the raw dot products, one row per word) shows the first problem:
# "that" shares no feature with "girl", so it spreads its weight and keeps the most for itself.

# %% tags=["demo"]
X = torch.tensor(girl.embeddings)
raw_weights = torch.softmax(X @ X.T, dim=-1)
ax = plots.heatmap(
    raw_weights,
    girl.tokens,
    girl.tokens,
    vmin=0,
    vmax=1,
    title="softmax(X X^T): raw embeddings",
    xlabel="key",
    ylabel="query",
)
plt.show()
print(f"'that' -> 'that' {raw_weights[1, 1]:.2f}, 'that' -> 'girl' {raw_weights[1, 2]:.2f}")

# %% [markdown]
# ## 2. Queries, keys and values are learned projections
#
# The fix is to give every word three *roles*, each a learned linear map of its embedding
# $\mathbf{x}_i \in \mathbb{R}^{d_{\text{model}}}$:
#
# - a **query** $\mathbf{q}_i = \mathbf{x}_i W_Q$: what word $i$ is looking for;
# - a **key** $\mathbf{k}_j = \mathbf{x}_j W_K$: what word $j$ offers to be found by;
# - a **value** $\mathbf{v}_j = \mathbf{x}_j W_V$: what word $j$ passes on when it is attended
#   to.
#
# With the $L$ embeddings stacked as the rows of $X$ $(L, d_{\text{model}})$, that is three
# matrix products: $Q = XW_Q$ and $K = XW_K$ of shape $(L, d_k)$, $V = XW_V$ of shape
# $(L, d_v)$. Query $i$ scores key $j$ with $\mathbf{q}_i\cdot\mathbf{k}_j$; since $W_Q \ne W_K$,
# the score is no longer symmetric and a word need not favour itself. The values can have their
# own size $d_v$: what is passed on need not live in the space used for matching.
#
# **Two kinds of weights.** $W_Q$, $W_K$ and $W_V$ are ordinary weights, sometimes called
# *hard* weights: training sets them, and then they stay frozen, the same for every sentence.
# The attention weights are of another kind, sometimes called *soft* weights: the softmax of the
# scores is computed afresh for every input, so change one word and every row can change. A
# self-attention layer is a fixed network that computes, for each sentence, the weights with
# which it mixes that sentence's values. A Transformer computes the soft weights of all positions
# at once, with one matrix product per sentence; the recurrent decoder of notebook 03 had to
# compute them one step at a time, because each step's query was the state that the previous
# step produced. (Do not confuse this with *soft* and *hard attention* in the literature, for
# example in Xu et al. 2015: there, soft attention is the weighted average used in this course,
# and hard attention picks a single position at random, which is not differentiable and needs
# other training methods.)
#
# In the hand-set layer of `course_lib.data` the keys say whether a word *is a noun* and
# whether it *is animate*; the queries say whether a word *wants a noun* and *wants something
# animate*. A determiner ("that", "the") wants a noun; the pronoun "it" wants a noun, preferably
# a living one; a predicate ("see", "run", "cross", "tired") wants a living agent. Nouns and
# grammar words ask nothing: their query is zero.

# %%
Q = girl.embeddings @ girl.w_q  # (L, d_k) = (4, 2)
K = girl.embeddings @ girl.w_k  # (L, d_k) = (4, 2)
print("query/key features:", data.QUERY_KEY_FEATURES)
for token, q, k in zip(girl.tokens, Q, K, strict=True):
    print(f"{token:>5}: query {q}   key {k}")
print("scores of 'that' against every key:", Q[1] @ K.T)


# %% [markdown]
# Now "that" scores "girl" highest (3) and everything else, itself included, at 0. Before the
# scores become weights there is one more ingredient, and it has to do with the size $d_k$.
#
# ## 3. Why divide by $\sqrt{d_k}$? A measurement
#
# The Transformer computes the weights as $\operatorname{softmax}\!\big(QK^\top/\sqrt{d_k}\big)$.
# Vaswani et al. (2017) explain the $\sqrt{d_k}$ in one footnote: if the components of a query
# and a key are independent with mean 0 and variance 1, then
# $\mathbf{q}\cdot\mathbf{k} = \sum_{i=1}^{d_k} q_i k_i$ is a sum of $d_k$ terms of mean 0 and
# variance 1, so it has mean 0 and **variance $d_k$**. Large scores push the softmax into a
# region where one weight is almost 1 and the gradient almost 0. They write that they *suspect*
# this hurts; here we measure it.
#
# The experiment: for each $d_k$, draw 2000 random queries, each with 16 random keys
# (components from $\mathcal{N}(0, 1)$, the footnote's assumption), and feed the scores to a
# softmax, once as they are ("raw") and once divided by $\sqrt{d_k}$ ("scaled"). We record
# - the variance of the numbers that go into the softmax;
# - how peaked the weights are: the mean of the largest weight per row (1/16 = 0.0625 would be
#   uniform, 1 is one-hot) and the mean entropy per row in nats ($\ln 16 = 2.77$ is uniform, 0
#   is one-hot);
# - how much gradient flows back through the softmax: the norm of the gradient of a random
#   linear read-out of the weights with respect to the softmax's input, its median over the
#   rows, and the fraction of rows where it is below $10^{-3}$ (practically no learning signal).

# %% tags=["demo"]
def softmax_statistics(d_k: int, scaled: bool, n_rows: int = 2000, n_keys: int = 16) -> dict:
    """Softmax of random query-key scores at size d_k: variance, peakedness, gradient norm."""
    gen = torch.Generator().manual_seed(d_k)  # the same draws for raw and scaled
    q = torch.randn(n_rows, 1, d_k, generator=gen)  # (rows, 1, d_k), mean 0, variance 1
    k = torch.randn(n_rows, n_keys, d_k, generator=gen)  # (rows, keys, d_k)
    readout = torch.randn(n_rows, n_keys, generator=gen)  # a random signal from above
    scores = (q @ k.transpose(-2, -1)).squeeze(1)  # (rows, keys)
    logits = (scores / math.sqrt(d_k) if scaled else scores).requires_grad_(True)
    weights = torch.softmax(logits, dim=-1)
    (weights * readout).sum().backward()
    grad_norm = logits.grad.norm(dim=-1)  # (rows,)
    return {
        "variance": logits.detach().var().item(),
        "max weight": weights.detach().max(dim=-1).values.mean().item(),
        "entropy": torch.special.entr(weights.detach()).sum(dim=-1).mean().item(),
        "median grad": grad_norm.median().item(),
        "dead rows": (grad_norm < 1e-3).float().mean().item(),
    }


D_KS = [1, 4, 16, 64, 256, 1024]
stats = {(d_k, scaled): softmax_statistics(d_k, scaled) for d_k in D_KS for scaled in (False, True)}
print(
    f"{'d_k':>5} | {'variance':^17} | {'max weight':^13} | {'entropy':^13} | "
    f"{'median |grad|':^19} | {'rows |grad|<1e-3':^16}"
)
print(
    f"{'':>5} | {'raw':>8} {'scaled':>8} | {'raw':>6} {'scaled':>6} | {'raw':>6} {'scaled':>6} |"
    f" {'raw':>9} {'scaled':>9} | {'raw':>7} {'scaled':>8}"
)
for d_k in D_KS:
    r, s = stats[d_k, False], stats[d_k, True]
    print(
        f"{d_k:>5} | {r['variance']:8.2f} {s['variance']:8.2f} | {r['max weight']:6.3f} "
        f"{s['max weight']:6.3f} | {r['entropy']:6.3f} {s['entropy']:6.3f} | "
        f"{r['median grad']:9.2e} {s['median grad']:9.2e} | {r['dead rows']:7.0%} "
        f"{s['dead rows']:8.0%}"
    )

# %% tags=["demo"]
fig, axes = plt.subplots(1, 4, figsize=(17, 3.8), layout="constrained")
panels = [
    ("variance", "variance of the softmax input", "log"),
    ("max weight", "mean largest weight (1 = one-hot)", "linear"),
    ("entropy", "mean entropy, nats (0 = one-hot)", "linear"),
    ("median grad", "median |gradient| through softmax", "log"),
]
for ax, (key, title, yscale) in zip(axes, panels, strict=True):
    for scaled, label, style in [(False, "raw q.k", "o-"), (True, "q.k / sqrt(d_k)", "s-")]:
        ax.plot(D_KS, [stats[d, scaled][key] for d in D_KS], style, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale(yscale)
    ax.set_xlabel("d_k")
    ax.set_title(title)
axes[0].plot(D_KS, D_KS, "k:", label="y = d_k")
axes[1].axhline(1 / 16, color="grey", linestyle=":", label="uniform")
axes[2].axhline(math.log(16), color="grey", linestyle=":", label="uniform")
for ax in axes[:3]:
    ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Read the table and the curves from left to right (numbers as printed above; they come from
# the code, seeded):
#
# - **The variance grows like $d_k$.** The raw scores have variance about 4 at $d_k = 4$, 64 at
#   $d_k = 64$ and about 1020 at $d_k = 1024$: the dotted line $y = d_k$. Divided by
#   $\sqrt{d_k}$, the variance stays at about 1 for every $d_k$.
# - **The softmax saturates.** With raw scores the mean largest weight climbs from 0.21
#   ($d_k = 1$) through 0.84 ($d_k = 64$) to 0.96 ($d_k = 1024$), and the entropy falls from
#   2.4 to 0.1 nats: each query puts nearly all its weight on one key, chosen by the noise of
#   the initialisation. Scaled, both stay close to their values at $d_k = 1$ (largest weight
#   0.21 to 0.25, entropy 2.35 to 2.42 nats).
# - **The gradient vanishes.** The softmax's Jacobian is
#   $\partial p_i/\partial z_j = p_i(\delta_{ij} - p_j)$, which is zero when $p$ is one-hot.
#   With raw scores the median gradient norm falls from about 0.25 to below $10^{-5}$ at
#   $d_k = 1024$, where about two thirds of the rows pass back less than $10^{-3}$, so the
#   queries and keys of those rows hardly learn. Scaled, the median stays between 0.25 and
#   0.27 at every $d_k$ and no row is below $10^{-3}$.
#
# Are unit-variance queries and keys what a real layer starts with? Not quite. PyTorch's
# `nn.Linear(d_in, d_out)` draws its weights uniformly between $\pm 1/\sqrt{d_{\text{in}}}$,
# that is with variance $1/(3 d_{\text{in}})$. The next cell feeds 4096 token vectors of
# variance 1 and size 64 through two fresh layers `nn.Linear(64, 64, bias=False)`, one for
# the queries and one for the keys, and measures the variance of the scores
# $\mathbf{q}\cdot\mathbf{k}$ of a query with another token's key.

# %% [markdown]
# ### Exercise 4.1: predict, then measure (1 point)
#
# Before you run that cell, predict the variance of those scores and write it down here. It
# is graded; the measurement is not. (A number; within 15% of the true value is enough.)
#
# Hint: first the variance of one component of a query: a sum of 64 terms $x_i w_i$, where
# $x_i$ has variance 1 and $w_i$ variance $1/(3 \cdot 64)$, all independent with mean 0. Then
# the score, as in the footnote: a sum of $d_k$ products of a query component with a key
# component.

# %% nbgrader={"grade": false, "grade_id": "fresh_score_prediction", "locked": false, "schema_version": 3, "solution": true, "task": false}
prediction_fresh_score_variance = None
### BEGIN SOLUTION
# one query component: 64 * 1 * 1/(3*64) = 1/3; the score: 64 products of variance 1/3 * 1/3
prediction_fresh_score_variance = 64 / 9
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_fresh_score_prediction", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""The prediction: the variance of q.k for two fresh nn.Linear(64, 64) layers (within 15%)."""
checks.check_type(
    prediction_fresh_score_variance,
    (int, float),
    "prediction_fresh_score_variance",
    hint="a number, like 10: the variance of the scores, not the scores themselves",
)
### BEGIN HIDDEN TESTS
checks.check_close(
    float(prediction_fresh_score_variance),
    64 / 9,
    "prediction_fresh_score_variance",
    atol=0.0,
    rtol=0.15,
)
### END HIDDEN TESTS

# %% tags=["demo"]
with torch.random.fork_rng(), torch.no_grad():  # leaves the notebook's random state alone
    torch.manual_seed(0)
    x_unit = torch.randn(4096, 64)  # (4096, 64): token vectors of variance 1
    q_fresh = nn.Linear(64, 64, bias=False)(x_unit)  # (4096, 64): queries of a fresh layer
    k_fresh = nn.Linear(64, 64, bias=False)(x_unit)  # (4096, 64): keys of another fresh layer
    fresh_scores = (q_fresh[:2048] * k_fresh[2048:]).sum(-1)  # (2048,): query i, key of token j
print(
    f"fresh nn.Linear(64, 64): query variance {q_fresh.var().item():.3f}, "
    f"score variance {fresh_scores.var().item():.2f} (d_k / 9 = {64 / 9:.2f})"
)


# %% [markdown]
# The queries come out with variance about $1/3$ (0.33 measured) and the scores with about
# $64/9 \approx 7.1$ (7.16 measured), not 64. The variance still grows like $d_k$; only the
# constant is smaller (the standard deviation is a third of the one in the table, so the
# saturation above arrives at a $d_k$ about 9 times larger). Training then changes these
# variances anyway: the factor $1/\sqrt{d_k}$ removes the dependence on the width, whatever
# the constant.
#
# Now compare with your prediction of exercise 4.1, in the cell below: what did you predict,
# what was measured, and, if they differ, which step of your reasoning went wrong? (Not graded
# automatically; it stays in your notebook for your teacher to read.)

# %% [markdown]
# **Your comparison.** *(Double-click this cell and replace this line with a few
# sentences: what you predicted, what was measured, and where and why they differ.)*

# %% [markdown]
# ## 4. Scaled dot-product attention
#
# Put together, for queries $Q$ $(L, d_k)$, keys $K$ $(S, d_k)$ and values $V$ $(S, d_v)$:
#
# $$\operatorname{Attention}(Q, K, V) = \underbrace{\operatorname{softmax}\!\Big(\frac{QK^\top}{\sqrt{d_k}}\Big)}_{\text{weights } (L, S)} V \quad (L, d_v).$$
#
# The softmax runs along each **row**, over the keys (`dim=-1`): row $i$ says how query $i$
# shares its attention among the $S$ keys, so it sums to 1. In self-attention $S = L$, but the
# function does not care: in a decoder's cross-attention the queries and keys come from
# different sequences.
#
# A **mask** says which key each query may see: a boolean tensor, broadcastable to $(L, S)$,
# with `True` = may attend. Set the scores of forbidden pairs to $-\infty$ *before* the softmax;
# then $e^{-\infty} = 0$ and the remaining weights still sum to 1.
#
# Real models run many sentences (and in notebook 05, many heads) at once, so every tensor has
# leading *batch* dimensions `...` that the function must carry through untouched:
# `k.transpose(-2, -1)` swaps the last two dimensions whatever comes before them (`k.T` does not).
#
# Every query needs at least one key it may attend to. A row of the mask that is all `False`
# leaves only $-\infty$ scores, and the softmax of such a row is $0/0$ = `nan`, in your function
# as in `torch.softmax`; `F.scaled_dot_product_attention` returns zeros for that query instead.
# Neither output means anything, and the causal mask never produces such a row (every query may
# attend to itself).

# %% [markdown]
# ### Exercise 4.2: scaled dot-product attention (7 points)
#
# Write `scaled_dot_product_attention(q, k, v, mask=None)` returning the pair
# `(output, weights)`:
# - `q` of shape `(..., L, d_k)`, `k` of shape `(..., S, d_k)`, `v` of shape `(..., S, d_v)`,
#   where `...` are any number of batch dimensions (possibly none);
# - `mask`: None, or a boolean tensor broadcastable to `(..., L, S)`, `True` where query `i` may
#   attend to key `j`;
# - `weights` of shape `(..., L, S)`: the softmax over the keys of the scores divided by
#   $\sqrt{d_k}$ ($d_k$ is the last dimension of `q`), exactly 0 where the mask is `False`;
# - `output = weights @ v`, of shape `(..., L, d_v)`, in the dtype of the inputs (float64 in,
#   float64 out).
#
# Scores can be large (around $10^4$): the weights must stay finite. `torch.softmax` is allowed
# (and stable). `F.scaled_dot_product_attention` is not: it is what your function
# is checked against, and the tests switch it off while they call your function.

# %% nbgrader={"grade": false, "grade_id": "scaled_dot_product_attention", "locked": false, "schema_version": 3, "solution": true, "task": false}
def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention of every query over every key: softmax(q k^T / sqrt(d_k)) v.

    Args:
        q: (..., L, d_k) queries.
        k: (..., S, d_k) keys.
        v: (..., S, d_v) values.
        mask: None, or bool broadcastable to (..., L, S); True = query i may attend to key j.
            Each query needs at least one True: a row with none gives nan weights and output
            (``F.scaled_dot_product_attention`` gives zeros there).

    Returns:
        (output, weights): output (..., L, d_v); weights (..., L, S), rows summing to 1,
        exactly 0 where mask is False.
    """
    ### BEGIN SOLUTION
    d_k = q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., L, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (..., L, S)
    return weights @ v, weights  # (..., L, d_v), (..., L, S)
    ### END SOLUTION


# %% [markdown]
# **Try it.** Two queries with $d_k = 4$ (so $\sqrt{d_k} = 2$) against three keys whose values
# have $d_v = 2$. The first query scores the keys $4, 0, -4$; divided by 2 that is $2, 0, -2$,
# and the softmax gives $(e^2, 1, e^{-2}) / (e^2 + 1 + e^{-2}) \approx (0.867, 0.117, 0.016)$.
# The second query is zero, so it scores every key 0 and attends uniformly: $(1/3, 1/3, 1/3)$.
# The outputs are the weighted sums of the value rows: about `[0.883, 0.133]` and
# `[0.667, 0.667]`.

# %%
q_demo = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
k_demo = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [-1.0, -1.0, -1.0, -1.0]])
v_demo = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
out_demo, weights_demo = scaled_dot_product_attention(q_demo, k_demo, v_demo)
print("weights:\n", weights_demo)
print("output:\n", out_demo)

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""scaled_dot_product_attention returns (output (..., L, d_v), weights (..., L, S))."""
torch.manual_seed(41)
_q, _k, _v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 6)
try:
    _result = scaled_dot_product_attention(_q, _k, _v)
except NotImplementedError:
    raise
except RuntimeError as _error:  # a shape error inside the function
    raise checks.CheckError(
        f"scaled_dot_product_attention(q (2, 3, 4), k (2, 5, 4), v (2, 5, 6)) raised: {_error}\n"
        "  likely mistake: with batch dimensions, swap only the last two dimensions of k: "
        "k.transpose(-2, -1), not k.T"
    ) from _error
checks.check_type(
    _result,
    tuple,
    "scaled_dot_product_attention(q, k, v)",
    hint="return a pair: `return output, weights`",
)
checks.check_equal(len(_result), 2, "len(scaled_dot_product_attention(q, k, v))")
_out, _w = _result
checks.check_shape(
    _w,
    (2, 3, 5),
    "weights for q (2, 3, 4), k (2, 5, 4)",
    hint="one row per query, one column per key: q @ k.transpose(-2, -1), not k.T "
    "(which reverses every dimension, the batch too)",
)
checks.check_shape(
    _out,
    (2, 3, 6),
    "output for v (2, 5, 6)",
    hint="output = weights @ v: (..., L, S) @ (..., S, d_v) -> (..., L, d_v)",
)
### BEGIN HIDDEN TESTS
for _qs, _ks, _vs in [
    ((3, 4), (5, 4), (5, 6)),  # no batch dimension
    ((2, 3, 7, 8), (2, 3, 9, 8), (2, 3, 9, 5)),  # batch and heads
    ((1, 1, 3), (1, 4, 3), (1, 4, 1)),  # one query, d_v = 1
]:
    _out, _w = scaled_dot_product_attention(torch.randn(_qs), torch.randn(_ks), torch.randn(_vs))
    checks.check_shape(_w, (*_qs[:-1], _ks[-2]), f"weights for q {_qs}, k {_ks}")
    checks.check_shape(_out, (*_qs[:-1], _vs[-1]), f"output for q {_qs}, v {_vs}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_weights", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""The weights are softmax(q k^T / sqrt(d_k)) over the keys: a hand-worked example."""
_q = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
_k = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [-1.0, -1.0, -1.0, -1.0]])
_v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
_, _w = scaled_dot_product_attention(_q, _k, _v)
_e = math.exp(2.0)
_expected = torch.tensor([[_e, 1.0, 1 / _e], [1.0, 1.0, 1.0]])
_expected = _expected / _expected.sum(dim=-1, keepdim=True)
checks.check_close(
    _w.sum(dim=-1),
    torch.ones(2),
    "weights.sum(dim=-1) (each query's weights over the keys)",
    hint="apply the softmax over the keys, the LAST dimension (dim=-1), not over the queries",
)
checks.check_close(
    _w,
    _expected,
    "weights for scores [[4, 0, -4], [0, 0, 0]] with d_k = 4",
    atol=1e-5,
    hint="divide the scores by sqrt(d_k) = sqrt(q.shape[-1]) = 2 (not by d_k, and not by "
    "sqrt(d_v) or sqrt of the number of keys) before the softmax",
)
_, _w = scaled_dot_product_attention(100.0 * _q, 100.0 * _k, _v)
checks.check_finite(
    _w,
    "weights for scores of about 2e4 (q and k scaled by 100)",
    hint="use torch.softmax, or subtract each row's maximum before exp: exp(2e4) overflows",
)
### BEGIN HIDDEN TESTS
# Reference: with v = identity, F.scaled_dot_product_attention returns the weights themselves.
torch.manual_seed(42)
for _batch, _L, _S, _d in [((), 4, 6, 8), ((3,), 5, 5, 16), ((2, 2), 3, 7, 1)]:
    _q, _k = torch.randn(*_batch, _L, _d), torch.randn(*_batch, _S, _d)
    _eye = torch.eye(_S).expand(*_batch, _S, _S)
    _ref = F.scaled_dot_product_attention(_q, _k, _eye)
    with checks.disabled((F, "scaled_dot_product_attention")):
        _, _w = scaled_dot_product_attention(_q, _k, torch.randn(*_batch, _S, 3))
    checks.check_close(_w, _ref, f"weights for q {tuple(_q.shape)}, k {tuple(_k.shape)}", atol=1e-5)
# Large scores: the softmax must stay finite (torch.softmax is stable; exp by hand is not).
_q, _k = 100.0 * torch.randn(2, 3, 8), 100.0 * torch.randn(2, 4, 8)
_, _w = scaled_dot_product_attention(_q, _k, torch.randn(2, 4, 2))
checks.check_finite(_w, "weights for scores of size about 1e4")
checks.check_close(_w.sum(dim=-1), torch.ones(2, 3), "rows of weights for large scores")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_output", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""output = weights @ v, and matches torch's scaled_dot_product_attention (batched, d_v != d_k)."""
_q = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
_k = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [-1.0, -1.0, -1.0, -1.0]])
_v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
_e = math.exp(2.0)
_w0 = torch.tensor([_e, 1.0, 1 / _e]) / (_e + 1.0 + 1 / _e)
_out, _ = scaled_dot_product_attention(_q, _k, _v)
checks.check_close(
    _out,
    torch.stack([_w0 @ _v, torch.full((2,), 2 / 3)]),
    "output of the worked example",
    atol=1e-5,
    hint="output = weights @ v: mix the VALUE rows with the weights (not the keys)",
)
torch.manual_seed(43)
_q, _k, _v = torch.randn(2, 5, 8), torch.randn(2, 6, 8), torch.randn(2, 6, 3)
_ref = F.scaled_dot_product_attention(_q, _k, _v)
with checks.disabled((F, "scaled_dot_product_attention")):
    _out, _ = scaled_dot_product_attention(_q, _k, _v)
checks.check_close(
    _out,
    _ref,
    "output vs F.scaled_dot_product_attention, q (2, 5, 8), k (2, 6, 8), v (2, 6, 3)",
    atol=1e-5,
    hint="scale by 1 / sqrt(d_k), softmax over dim=-1, then multiply by v",
)
_out, _ = scaled_dot_product_attention(_q.double(), _k.double(), _v.double())
checks.check_equal(
    _out.dtype,
    torch.float64,
    "output dtype for float64 inputs",
    hint="keep the inputs' dtype: build no float32 tensor (torch.tensor(...)) along the way",
)
### BEGIN HIDDEN TESTS
torch.manual_seed(44)
for _batch, _L, _S, _d, _dv in [
    ((), 1, 1, 3, 2),
    ((4,), 7, 3, 16, 5),
    ((2, 3), 4, 6, 2, 9),
    ((1,), 5, 5, 64, 64),
]:
    _q = 3.0 * torch.randn(*_batch, _L, _d)
    _k, _v = torch.randn(*_batch, _S, _d), torch.randn(*_batch, _S, _dv)
    _ref = F.scaled_dot_product_attention(_q, _k, _v)
    with checks.disabled((F, "scaled_dot_product_attention")):
        _out, _ = scaled_dot_product_attention(_q, _k, _v)
    checks.check_close(
        _out, _ref, f"output for q {tuple(_q.shape)}, v {tuple(_v.shape)}", atol=1e-5
    )
# float64 in, float64 out, to double precision
_q, _k, _v = (torch.randn(3, 4, 5, dtype=torch.float64) for _ in range(3))
with checks.disabled((F, "scaled_dot_product_attention")):
    _out, _w = scaled_dot_product_attention(_q, _k, _v)
checks.check_equal(_out.dtype, torch.float64, "output dtype for float64 inputs")
checks.check_close(_out, F.scaled_dot_product_attention(_q, _k, _v), "float64 output", atol=1e-10)
# the inputs are not modified
_q, _k, _v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 2)
_copies = [t.clone() for t in (_q, _k, _v)]
scaled_dot_product_attention(_q, _k, _v, torch.ones(3, 5, dtype=torch.bool))
for _name, _t, _c in zip("qkv", (_q, _k, _v), _copies, strict=True):
    checks.check_close(_t, _c, f"{_name} after the call (must not be modified)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_mask", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""With a mask (True = attend), masked keys get weight exactly 0 and the rest sum to 1."""
_q = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
_k = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [-1.0, -1.0, -1.0, -1.0]])
_v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
_mask = torch.tensor([[True, False, True]])  # (1, S): broadcast over both queries
_, _w = scaled_dot_product_attention(_q, _k, _v, _mask)
_e4 = math.exp(4.0)
checks.check_close(
    _w,
    torch.tensor([[_e4 / (_e4 + 1), 0.0, 1 / (_e4 + 1)], [0.5, 0.0, 0.5]]),
    "weights with mask [[True, False, True]] (key 1 hidden)",
    atol=1e-6,
    hint="True means 'may attend': fill the scores where the mask is False with -inf "
    "(scores.masked_fill(~mask, float('-inf'))) BEFORE the softmax, so the rest still sum to 1",
)
checks.check_equal(
    bool((_w[:, 1] == 0).all()),
    True,
    "weights of the masked key 1 are exactly 0",
    hint="fill the masked scores with -inf before the softmax; do not add a small number after it",
)
### BEGIN HIDDEN TESTS
torch.manual_seed(45)
_B, _L, _S, _d = 3, 5, 6, 8
_q, _k, _v = torch.randn(_B, _L, _d), torch.randn(_B, _S, _d), torch.randn(_B, _S, 4)
_random = torch.rand(_B, _L, _S) > 0.5
_random[..., 0] = True  # every query sees at least one key
_masks = {
    "a (L, S) mask shared by the batch": torch.rand(_L, _S) > 0.3,
    "a (B, 1, S) padding mask": torch.arange(_S)[None, None, :]
    < torch.tensor([6, 4, 2])[:, None, None],
    "a (B, L, S) mask": _random,
    "a causal (L, S) mask": torch.ones(_L, _S, dtype=torch.bool).tril(),
}
_masks["a (L, S) mask shared by the batch"][:, 0] = True
for _name, _m in _masks.items():
    _eye = torch.eye(_S).expand(_B, _S, _S)
    _ref_w = F.scaled_dot_product_attention(_q, _k, _eye, attn_mask=_m)
    _ref = F.scaled_dot_product_attention(_q, _k, _v, attn_mask=_m)
    with checks.disabled((F, "scaled_dot_product_attention")):
        _out, _w = scaled_dot_product_attention(_q, _k, _v, _m)
    checks.check_close(_w, _ref_w, f"weights with {_name}", atol=1e-5)
    checks.check_close(_out, _ref, f"output with {_name}", atol=1e-5)
    checks.check_equal(
        bool((_w[~_m.expand(_B, _L, _S)] == 0).all()),
        True,
        f"masked weights with {_name} are exactly 0",
    )
# an all-True mask changes nothing
_out_none, _w_none = scaled_dot_product_attention(_q, _k, _v)
_out_all, _w_all = scaled_dot_product_attention(_q, _k, _v, torch.ones(_L, _S, dtype=torch.bool))
checks.check_close(_w_all, _w_none, "weights with an all-True mask vs no mask", atol=1e-6)
# 4-D: (B, H, L, S) scores with a (B, 1, 1, S) padding mask
_q4, _k4, _v4 = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 5, 8), torch.randn(2, 3, 5, 6)
_m4 = torch.tensor([[True, True, True, False, False], [True, True, True, True, True]])[
    :, None, None, :
]
_ref = F.scaled_dot_product_attention(_q4, _k4, _v4, attn_mask=_m4)
with checks.disabled((F, "scaled_dot_product_attention")):
    _out4, _ = scaled_dot_product_attention(_q4, _k4, _v4, _m4)
checks.check_close(_out4, _ref, "output with a (B, 1, 1, S) padding mask", atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Masks: not looking ahead
#
# A model that *generates* text, one word after another, must not peek at the words it has not
# produced yet. When it is trained on whole sentences at once, a **causal mask** enforces that:
# query $i$ may attend to keys $j \le i$ only. As a matrix, that is `True` on and below the
# diagonal (the lower triangle) and `False` above it. For "see that girl run":
#
# ```
#          see   that  girl  run     <- keys
# see     True  False False False
# that    True  True  False False
# girl    True  True  True  False
# run     True  True  True  True
# ```
#
# The other common mask is the *padding* mask of notebook 03: sentences of different lengths
# are padded to the same length, and the padding keys are hidden from every query: a
# `(B, 1, S)` tensor that broadcasts over the queries.

# %% [markdown]
# ### Exercise 4.3: the causal mask (3 points)
#
# Write `causal_mask(L)`: return a `torch.bool` tensor of shape `(L, L)` that is `True` where
# key `j` is at or before query `i` (`j <= i`) and `False` elsewhere. `torch.tril` or a
# comparison of `torch.arange`s both do it in one line.

# %% nbgrader={"grade": false, "grade_id": "causal_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def causal_mask(L: int) -> torch.Tensor:
    """Mask that lets query i attend to keys 0..i only.

    Args:
        L: sequence length.

    Returns:
        (L, L) torch.bool, True on and below the diagonal (key j <= query i).
    """
    ### BEGIN SOLUTION
    return torch.tril(torch.ones(L, L, dtype=torch.bool))
    ### END SOLUTION


# %% [markdown]
# **Try it.** You should see `True` in the lower triangle, diagonal included, and 6 `True`s in
# all for `L = 3`.

# %%
causal_mask(3)

# %% nbgrader={"grade": true, "grade_id": "test_causal_mask_values", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""causal_mask(L)[i, j] is True exactly when j <= i."""
checks.check_equal(
    torch.as_tensor(causal_mask(3)).tolist(),
    [[True, False, False], [True, True, False], [True, True, True]],
    "causal_mask(3).tolist()",
    hint="True on AND below the diagonal (each query sees itself): torch.tril, not torch.triu, "
    "and keep the diagonal (diagonal=0)",
)
### BEGIN HIDDEN TESTS
for _L in (1, 2, 7):
    checks.check_equal(
        torch.as_tensor(causal_mask(_L)).tolist(),
        [[_j <= _i for _j in range(_L)] for _i in range(_L)],
        f"causal_mask({_L}).tolist()",
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_causal_mask_dtype", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""causal_mask(L) is a torch.bool tensor of shape (L, L)."""
_m = causal_mask(4)
checks.check_type(_m, torch.Tensor, "causal_mask(4)", hint="return a torch tensor")
checks.check_equal(
    _m.dtype,
    torch.bool,
    "causal_mask(4).dtype",
    hint="a boolean mask: build it with dtype=torch.bool (ones of floats give 1.0, not True)",
)
checks.check_shape(_m, (4, 4), "causal_mask(4)")
### BEGIN HIDDEN TESTS
for _L in (1, 10):
    _m = causal_mask(_L)
    checks.check_type(_m, torch.Tensor, f"causal_mask({_L})")
    checks.check_equal(_m.dtype, torch.bool, f"causal_mask({_L}).dtype")
    checks.check_shape(_m, (_L, _L), f"causal_mask({_L})")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_causal_mask_blocks_the_future", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Under causal_mask, changing later tokens never changes earlier outputs (torch's attention)."""
torch.manual_seed(46)
_x = torch.randn(1, 5, 4)
_y = _x.clone()
_y[:, 3:] = torch.randn(1, 2, 4)  # change tokens 3 and 4 only
_out_x = F.scaled_dot_product_attention(_x, _x, _x, attn_mask=causal_mask(5))
_out_y = F.scaled_dot_product_attention(_y, _y, _y, attn_mask=causal_mask(5))
checks.check_close(
    _out_y[:, :3],
    _out_x[:, :3],
    "outputs 0..2 after changing tokens 3 and 4",
    atol=1e-6,
    hint="query i must not see keys j > i: everything strictly above the diagonal is False",
)
checks.check_close(
    _out_x[:, 0],
    _x[:, 0],
    "output 0 (the first token can only attend to itself)",
    atol=1e-6,
    hint="the diagonal must be True: every token attends at least to itself",
)
### BEGIN HIDDEN TESTS
torch.manual_seed(47)
for _L in (2, 6, 9):
    _x = torch.randn(2, _L, 3)
    for _t in range(_L - 1):
        _y = _x.clone()
        _y[:, _t + 1 :] = torch.randn(2, _L - _t - 1, 3)
        _a = F.scaled_dot_product_attention(_x, _x, _x, attn_mask=causal_mask(_L))
        _b = F.scaled_dot_product_attention(_y, _y, _y, attn_mask=causal_mask(_L))
        checks.check_close(_b[:, : _t + 1], _a[:, : _t + 1], f"outputs 0..{_t} (L={_L})", atol=1e-6)
    # and the last token sees everything
    _full = F.scaled_dot_product_attention(_x, _x, _x)
    _causal = F.scaled_dot_product_attention(_x, _x, _x, attn_mask=causal_mask(_L))
    checks.check_close(
        _causal[:, -1], _full[:, -1], f"the last output (L={_L}) sees every token", atol=1e-6
    )
### END HIDDEN TESTS

# %% [markdown]
# ## 6. A self-attention module
#
# A layer of a network keeps its weights in an `nn.Module`. Self-attention owns three
# projections, each an `nn.Linear` without bias. One detail of PyTorch trips many people up:
# `nn.Linear(d_in, d_out)` computes `x @ weight.T` and stores `weight` with shape
# `(d_out, d_in)`, the transpose of the paper's $W_Q$ $(d_{\text{model}}, d_k)$. That matters
# when you copy hand-set or pretrained weights into it, as we will in section 7.

# %% [markdown]
# ### Exercise 4.4: a `SelfAttention` module (5 points)
#
# Complete `SelfAttention(d_model, d_k, d_v)`:
# - in `__init__`, create three projections **without bias**, with exactly these names:
#   `self.q_proj = nn.Linear(d_model, d_k, bias=False)`, `self.k_proj` (also to `d_k`) and
#   `self.v_proj` (to `d_v`). Three separate layers: queries and keys must not share weights.
# - `forward(x, mask=None)` takes `x` of shape `(..., L, d_model)`, projects it to queries, keys
#   and values, and returns `(output, weights)` from your `scaled_dot_product_attention`, of
#   shapes `(..., L, d_v)` and `(..., L, L)`. Pass the mask through.
# - The module is trained: gradients must reach all three projections (no `torch.no_grad()` or
#   `.detach()` in `forward`).

# %% nbgrader={"grade": false, "grade_id": "SelfAttention", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SelfAttention(nn.Module):
    """Single-head self-attention: queries, keys and values are projections of the same x.

    Contract (the tests rely on it):
        q_proj: nn.Linear(d_model, d_k, bias=False), queries = q_proj(x)
        k_proj: nn.Linear(d_model, d_k, bias=False), keys = k_proj(x)
        v_proj: nn.Linear(d_model, d_v, bias=False), values = v_proj(x)
        forward(x, mask=None) -> (output, weights):
            x: (..., L, d_model); mask: None or bool broadcastable to (..., L, L), True = attend
            output: (..., L, d_v); weights: (..., L, L)
    """

    def __init__(self, d_model: int, d_k: int, d_v: int) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.q_proj = nn.Linear(d_model, d_k, bias=False)
        self.k_proj = nn.Linear(d_model, d_k, bias=False)
        self.v_proj = nn.Linear(d_model, d_v, bias=False)
        ### END SOLUTION

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (..., L, d_model) -> (output (..., L, d_v), weights (..., L, L))."""
        ### BEGIN SOLUTION
        q = self.q_proj(x)  # (..., L, d_k)
        k = self.k_proj(x)  # (..., L, d_k)
        v = self.v_proj(x)  # (..., L, d_v)
        return scaled_dot_product_attention(q, k, v, mask)
        ### END SOLUTION


# %% [markdown]
# **Try it.** A layer with `d_model = 6`, `d_k = 2`, `d_v = 3` on a batch of 2 sentences of 4
# tokens should print an output of shape `(2, 4, 3)`, weights of shape `(2, 4, 4)`, and
# $6\cdot2 + 6\cdot2 + 6\cdot3 = 42$ parameters.

# %%
layer = SelfAttention(d_model=6, d_k=2, d_v=3)
out_demo, weights_demo = layer(torch.randn(2, 4, 6))
print(out_demo.shape, weights_demo.shape, sum(p.numel() for p in layer.parameters()))

# %% nbgrader={"grade": true, "grade_id": "test_self_attention_projections", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""SelfAttention has three separate bias-free nn.Linear projections q_proj, k_proj, v_proj."""
torch.manual_seed(48)
_attn = SelfAttention(8, 4, 6)
for _name, _shape in [("q_proj", (4, 8)), ("k_proj", (4, 8)), ("v_proj", (6, 8))]:
    if not hasattr(_attn, _name):
        raise checks.CheckError(
            f"SelfAttention(8, 4, 6) has no attribute {_name}\n"
            f"  likely mistake: create self.{_name} = nn.Linear(...) in __init__, with exactly "
            "this name"
        )
    _layer = getattr(_attn, _name)
    checks.check_type(
        _layer,
        nn.Linear,
        f"SelfAttention(8, 4, 6).{_name}",
        hint=f"create self.{_name} = nn.Linear(...) in __init__, with exactly this name",
    )
    checks.check_shape(
        _layer.weight,
        _shape,
        f"SelfAttention(d_model=8, d_k=4, d_v=6).{_name}.weight",
        hint="nn.Linear(in_features, out_features) stores weight as (out, in): "
        "q_proj and k_proj go from d_model to d_k, v_proj from d_model to d_v",
    )
    checks.check_equal(
        _layer.bias is None,
        True,
        f"SelfAttention(8, 4, 6).{_name}.bias is None",
        hint="the projections have no bias: nn.Linear(..., bias=False)",
    )
checks.check_equal(
    sum(p.numel() for p in _attn.parameters()),
    8 * 4 + 8 * 4 + 8 * 6,
    "number of parameters of SelfAttention(8, 4, 6)",
    hint="three separate projections: do not reuse q_proj for the keys",
)
### BEGIN HIDDEN TESTS
_attn = SelfAttention(5, 7, 3)
checks.check_type(_attn, nn.Module, "SelfAttention(5, 7, 3)")
for _name, _shape in [("q_proj", (7, 5)), ("k_proj", (7, 5)), ("v_proj", (3, 5))]:
    checks.check_shape(
        getattr(_attn, _name).weight, _shape, f"SelfAttention(5, 7, 3).{_name}.weight"
    )
checks.check_equal(
    len({id(_attn.q_proj), id(_attn.k_proj), id(_attn.v_proj)}), 3, "three distinct projections"
)
checks.check_equal(
    sum(p.numel() for p in _attn.parameters()),
    5 * 7 * 2 + 5 * 3,
    "parameters of SelfAttention(5, 7, 3)",
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_self_attention_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""SelfAttention(d_model, d_k, d_v) maps x (..., L, d_model) to (..., L, d_v) and (..., L, L)."""
torch.manual_seed(49)
try:
    _result = SelfAttention(8, 4, 6)(torch.randn(2, 5, 8))
except NotImplementedError:
    raise
except RuntimeError as _error:  # a shape error inside the function
    raise checks.CheckError(
        f"SelfAttention(d_model=8, d_k=4, d_v=6)(x (2, 5, 8)) raised: {_error}\n"
        "  likely mistake: queries and keys come from q_proj and k_proj (size d_k), values "
        "from v_proj (size d_v)"
    ) from _error
checks.check_type(
    _result, tuple, "SelfAttention(8, 4, 6)(x)", hint="forward returns the pair (output, weights)"
)
checks.check_equal(len(_result), 2, "len(SelfAttention(8, 4, 6)(x))")
checks.check_shape(
    _result[0],
    (2, 5, 6),
    "output of SelfAttention(8, 4, 6) for x (2, 5, 8)",
    hint="the output has d_v features: values come from v_proj",
)
checks.check_shape(_result[1], (2, 5, 5), "weights of SelfAttention(8, 4, 6) for x (2, 5, 8)")
### BEGIN HIDDEN TESTS
_out, _w = SelfAttention(3, 2, 5)(torch.randn(7, 3))  # no batch dimension
checks.check_shape(_out, (7, 5), "output for x (7, 3)")
checks.check_shape(_w, (7, 7), "weights for x (7, 3)")
_out, _w = SelfAttention(4, 4, 4)(torch.randn(2, 3, 6, 4))
checks.check_shape(_out, (2, 3, 6, 4), "output for x (2, 3, 6, 4)")
checks.check_shape(_w, (2, 3, 6, 6), "weights for x (2, 3, 6, 4)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_self_attention_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""SelfAttention computes attention over q_proj(x), k_proj(x), v_proj(x)."""
torch.manual_seed(50)
_attn = SelfAttention(6, 4, 3)
_Wq, _Wk, _Wv = torch.randn(4, 6) / 2, torch.randn(4, 6) / 2, torch.randn(3, 6)  # (out, in)
_x = torch.randn(2, 5, 6)
with torch.no_grad():
    _attn.q_proj.weight.copy_(_Wq)
    _attn.k_proj.weight.copy_(_Wk)
    _attn.v_proj.weight.copy_(_Wv)
    _out, _w = _attn(_x)
    _q, _k, _v = _x @ _Wq.T, _x @ _Wk.T, _x @ _Wv.T  # what nn.Linear computes
    _ref = F.scaled_dot_product_attention(_q, _k, _v)
    _ref_w = F.scaled_dot_product_attention(_q, _k, torch.eye(5).expand(2, 5, 5))
checks.check_close(
    _w,
    _ref_w,
    "weights of SelfAttention(6, 4, 3)",
    atol=1e-5,
    hint="queries from q_proj(x), keys from k_proj(x) (two separate layers: setting k_proj's "
    "weight must not change q_proj's), then your scaled_dot_product_attention, which scales by "
    "sqrt(d_k) = 2, not sqrt(d_model)",
)
checks.check_close(
    _out,
    _ref,
    "output of SelfAttention(6, 4, 3)",
    atol=1e-5,
    hint="values come from v_proj(x), not x itself or k_proj(x)",
)


# the module's gradients reach all three projections: a backward pass through the module
def _projection_gradients(attn, x, readout):
    out, _ = attn(x)
    (out * readout).sum().backward()
    return [getattr(attn, name).weight.grad for name in ("q_proj", "k_proj", "v_proj")]


_grads = checks.probe(
    _projection_gradients, SelfAttention(4, 3, 2), torch.randn(2, 5, 4), torch.randn(2, 5, 2)
)
for _name, _g in zip(("q_proj", "k_proj", "v_proj"), _grads, strict=True):
    checks.check_equal(
        _g is not None and bool(_g.abs().sum() > 0),
        True,
        f"{_name} receives a gradient",
        hint="no torch.no_grad() or .detach() in forward: the projections are trained",
    )
### BEGIN HIDDEN TESTS
# Reference 2: torch.nn.MultiheadAttention with one head, no bias, and an identity output layer.
torch.manual_seed(51)
_d = 8
_attn = SelfAttention(_d, _d, _d)
_mha = nn.MultiheadAttention(_d, 1, bias=False, batch_first=True)
with torch.no_grad():
    _mha.in_proj_weight.copy_(
        torch.cat([_attn.q_proj.weight, _attn.k_proj.weight, _attn.v_proj.weight])
    )
    _mha.out_proj.weight.copy_(torch.eye(_d))
    _x = torch.randn(3, 7, _d)
    _ref, _ref_w = _mha(_x, _x, _x, need_weights=True)
    _out, _w = _attn(_x)
checks.check_close(_out, _ref, "output vs nn.MultiheadAttention with one head", atol=1e-5)
checks.check_close(_w, _ref_w, "weights vs nn.MultiheadAttention with one head", atol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_self_attention_mask", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""SelfAttention passes the mask on: with a causal mask, nothing above the diagonal gets weight."""
torch.manual_seed(52)
_attn = SelfAttention(6, 4, 3)
_x = torch.randn(2, 5, 6)
_causal = torch.ones(5, 5, dtype=torch.bool).tril()  # built here, so this test needs no causal_mask
with torch.no_grad():
    _out, _w = _attn(_x, _causal)
checks.check_close(
    _w.triu(diagonal=1),
    torch.zeros(2, 5, 5),
    "weights above the diagonal with a causal mask",
    hint="pass mask on to scaled_dot_product_attention(q, k, v, mask)",
)
### BEGIN HIDDEN TESTS
_pad = torch.tensor([[True] * 5, [True, True, True, False, False]])[:, None, :]  # (B, 1, L)
with torch.no_grad():
    _out, _w = _attn(_x, _pad)
    _q, _k, _v = (F.linear(_x, _p.weight) for _p in (_attn.q_proj, _attn.k_proj, _attn.v_proj))
    _ref = F.scaled_dot_product_attention(_q, _k, _v, attn_mask=_pad)
checks.check_close(_out, _ref, "output with a (B, 1, L) padding mask", atol=1e-5)
checks.check_close(_w[1, :, 3:], torch.zeros(5, 2), "weights on padded keys", atol=0.0)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. "That" finds "girl", "it" finds "elephant"
#
# Now load the hand-set projections of section 2 into your module and run both sentences
# through it. The weights are stored in the paper's convention, $W_Q$ of shape
# $(d_{\text{model}}, d_k)$; `nn.Linear` wants the transpose.

# %% tags=["demo"]
def hand_set_layer(example: data.SelfAttentionExample) -> SelfAttention:
    """A SelfAttention whose projections are the example's hand-set W_Q, W_K, W_V."""
    d_model, d_k = example.w_q.shape
    layer = SelfAttention(d_model, d_k, example.w_v.shape[1])
    with torch.no_grad():
        layer.q_proj.weight.copy_(torch.tensor(example.w_q.T))  # (d_k, d_model)
        layer.k_proj.weight.copy_(torch.tensor(example.w_k.T))  # (d_k, d_model)
        layer.v_proj.weight.copy_(torch.tensor(example.w_v.T))  # (d_v, d_model)
    return layer


def builtin_hand_set_attention(
    example: data.SelfAttentionExample, x: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The same layer computed by PyTorch's F.scaled_dot_product_attention: (output, weights).
    The weights are the output for the values torch.eye(L): weights @ I = weights."""
    q = x @ torch.tensor(example.w_q, dtype=x.dtype)  # (L, d_k)
    k = x @ torch.tensor(example.w_k, dtype=x.dtype)  # (L, d_k)
    v = x @ torch.tensor(example.w_v, dtype=x.dtype)  # (L, d_v)
    output = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (L, d_v)
    weights = F.scaled_dot_product_attention(q, k, torch.eye(len(x)), attn_mask=mask)  # (L, L)
    return output, weights


def hand_set_attention(
    example: data.SelfAttentionExample, x: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Your SelfAttention with the hand-set weights; PyTorch's built-in, with a banner, while
    your SelfAttention (or the scaled_dot_product_attention it calls) is not finished."""
    try:
        with torch.no_grad():
            return hand_set_layer(example)(x, mask)
    except NotImplementedError:
        print(
            "*** your `SelfAttention` (or its `scaled_dot_product_attention`) is not finished: "
            "this uses PyTorch's built-in instead ***"
        )
        return builtin_hand_set_attention(example, x, mask)


elephant = data.self_attention_example(
    "the elephant didn't cross the street because it was too tired"
)
results = {}
for example in (girl, elephant):
    x = torch.tensor(example.embeddings, dtype=torch.float32)  # (L, d_model)
    results[example.tokens] = hand_set_attention(example, x)

for example in (girl, elephant):
    plots.heatmap(
        results[example.tokens][1],
        example.tokens,
        example.tokens,
        vmin=0,
        vmax=1,
        title=" ".join(example.tokens),
        xlabel="key",
        ylabel="query",
    )
    plt.show()

w_girl = results[girl.tokens][1]
w_elephant = results[elephant.tokens][1]
i_that, i_it = girl.tokens.index("that"), elephant.tokens.index("it")
print(f"'that' -> 'girl' {w_girl[i_that, girl.tokens.index('girl')]:.2f}")
print(
    f"'it' -> 'elephant' {w_elephant[i_it, elephant.tokens.index('elephant')]:.2f}, "
    f"'it' -> 'street' {w_elephant[i_it, elephant.tokens.index('street')]:.2f}"
)

# %% [markdown]
# Row by row (the numbers are printed under the figures):
#
# - **"that" puts 0.74 of its weight on "girl"**, and so do "see" and "run": each looks for a
#   noun or a living agent, and "girl" is the only one. "girl" itself asks nothing (a zero
#   query scores every key 0), so its row is uniform, 0.25 each.
# - **"it" puts 0.72 on "elephant" and 0.09 on "street"**: both are nouns, but the query of "it"
#   also wants something animate. "cross" and "tired" look for a living agent and find
#   "elephant" too.
# - **Both "the"s split their weight evenly between "elephant" and "street" (0.32 each).** Our
#   embeddings carry no word order, so the two "the"s are the same vector and cannot know
#   which noun follows them. Self-attention on its own is blind to order: permute the words
#   and the rows and columns just permute with them. Notebook 06 adds positional encodings
#   for that.
#
# What does "it" *become*? Its output is the weighted mix of the values (noun, animate,
# predicate). Its own embedding says none of that; after attention it reads as an animate
# noun, borrowed mostly from "elephant":

# %% tags=["demo"]
value_of = dict(zip(elephant.tokens, elephant.embeddings @ elephant.w_v, strict=True))
print("value features:      ", data.VALUE_FEATURES)
print("output of 'it':      ", results[elephant.tokens][0][i_it].numpy())
print("value of 'elephant': ", value_of["elephant"])
print("value of 'street':   ", value_of["street"])

# %% [markdown]
# A caveat, and a link to the original example. In "the elephant didn't cross the street
# because it was too **wide**", "it" is the street. Our layer would still pick "elephant":
# the query of "it" cannot see "wide" or "tired", it only prefers living things. A trained
# Transformer resolves the pronoun from the adjective, which takes more than one hand-set head:
# several heads (notebook 05) and several layers (notebook 06), so that "it" can first gather
# "tired" and then look for something that can be tired. This pair of sentences is a
# *Winograd schema* (Levesque et al., 2012); Google's blog post announcing the Transformer
# (Uszkoreit, 2017) used the same pair, with "animal" for "elephant", to show a trained
# model's attention from "it" following the adjective.
#
# Finally, the causal mask on the elephant sentence: every row keeps only the words before it.
# "it" still finds "elephant" (it came earlier), and "tired", the last word, sees everything.
# The first "the" can only attend to itself, and the second "the" no longer sees "street", the
# noun it actually introduces, so it settles on "elephant": a causal model has to predict
# what comes next from what it has seen so far.

# %% tags=["demo"]
x = torch.tensor(elephant.embeddings, dtype=torch.float32)
try:
    elephant_mask = causal_mask(len(elephant.tokens))
except NotImplementedError:
    print("*** your `causal_mask` is not finished: this figure uses torch.tril instead ***")
    elephant_mask = torch.ones(len(x), len(x), dtype=torch.bool).tril()
_, causal_weights = hand_set_attention(elephant, x, elephant_mask)
ax = plots.heatmap(
    causal_weights,
    elephant.tokens,
    elephant.tokens,
    vmin=0,
    vmax=1,
    title="with causal_mask: each word sees only itself and the words before it",
    xlabel="key",
    ylabel="query",
)
plt.show()
print(f"with the causal mask, 'it' -> 'elephant' {causal_weights[i_it, 1]:.2f}")

# %% [markdown]
# ## 8. Explore: temperature, $\sqrt{d_k}$ and masks
#
# The explorer below draws the attention weights of one sentence and lets you change how they
# are computed. Pick a query token (its row is framed in red and drawn as bars), then try:
#
# 1. Untick **divide by sqrt(d_k)** and drag **d_k** from 1 up to 256: the rows turn one-hot,
#    as in section 3. Tick it again: they soften back.
# 2. Move the **temperature**: the scores are divided by it as well. Dividing by $\sqrt{d_k}$ is
#    a temperature of $\sqrt{d_k}$.
# 3. Tick **causal mask**: the upper triangle goes to 0 and every row renormalises.
#
# The queries and keys here are random vectors of size 256 (components from
# $\mathcal{N}(0, 1)$), like those of a freshly initialised layer; the d_k slider uses their
# first $d_k$ components. Widgets need a live kernel: in a static view of this notebook you see
# no controls. (Graders skip this cell.)

# %% tags=["demo"]
gen = torch.Generator().manual_seed(4)
random_queries = torch.randn(len(elephant.tokens), 256, generator=gen)  # (L, 256)
random_keys = torch.randn(len(elephant.tokens), 256, generator=gen)  # (L, 256)
explorer = widgets.attention_explorer(
    elephant.tokens, random_queries, random_keys, title="random queries and keys (d up to 256)"
)
explorer

# %% [markdown]
# The same explorer over the hand-set layer of section 7 ($d_k = 2$): choose "7: it" and
# raise the temperature until "elephant" no longer stands out, or lower it until "it" looks at
# nothing else.

# %% tags=["demo"]
widgets.attention_explorer(
    elephant.tokens,
    elephant.embeddings @ elephant.w_q,
    elephant.embeddings @ elephant.w_k,
    title="hand-set queries and keys (d_k = 2)",
)

# %% [markdown]
# ## 9. Check your understanding (4 points)
#
# Set each answer below. Multiple choice answers are a single letter (a string, like `"b"`);
# numeric answers are numbers.
#
# 1. The components of $\mathbf{q}, \mathbf{k} \in \mathbb{R}^{64}$ are independent, with mean 0
#    and variance 1. What is the variance of $\mathbf{q}\cdot\mathbf{k}$? (a number)
# 2. Without the $1/\sqrt{d_k}$, what happens to attention at initialisation as $d_k$ grows?
#    (a) the weights become uniform, so every key gets the same share; (b) some weights become
#    negative, because the large scores overflow the exponential; (c) the weights approach
#    one-hot and the gradient through the softmax vanishes; (d) nothing, because the softmax
#    does not depend on the scale of its input.
# 3. How many entries of `causal_mask(5)` are `True`? (a number)
# 4. You swap two words of a sentence and run it through `SelfAttention` (no mask, no
#    positional information). What happens to the output? (a) nothing changes, because
#    attention sees the words as a set; (b) the same two output rows swap, and no other row
#    changes; (c) every output row changes, because every row mixes all the words; (d) the
#    weights of each row no longer sum to 1.

# %% nbgrader={"grade": false, "grade_id": "understanding", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_1 = None
answer_2 = None
answer_3 = None
answer_4 = None
### BEGIN SOLUTION
answer_1 = 64
answer_2 = "c"
answer_3 = 15
answer_4 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 1: the variance of a dot product of random vectors."""
checks.check_type(answer_1, (int, float), "answer_1", hint="a number, like 10")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_1), 64.0, "answer_1", atol=1e-6)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 2: attention without the scaling."""
checks.check_choice(answer_2, ["a", "b", "c", "d"], "answer_2")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_2, "c", "answer_2")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 3: counting the entries of a causal mask."""
checks.check_type(answer_3, (int, float), "answer_3", hint="a number, like 10")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_3), 15.0, "answer_3")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 4: self-attention and word order."""
checks.check_choice(answer_4, ["a", "b", "c", "d"], "answer_4")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_4, "b", "answer_4")
### END HIDDEN TESTS

# %% [markdown]
# ## Recap
#
# - **Self-attention** is the attention of notebook 03 inside one sequence: every token is a
#   query, a key and a value, and every token's output is a mix of the values of the tokens it
#   attends to, computed for all tokens at once.
# - Queries, keys and values are three **learned projections**, $Q = XW_Q$, $K = XW_K$,
#   $V = XW_V$: what a token looks for, what it offers, and what it passes on. Separate $W_Q$
#   and $W_K$ make the scores asymmetric and free a token from attending to itself.
# - **Scaled dot-product attention**: $\operatorname{softmax}(QK^\top/\sqrt{d_k})V$, softmax over
#   the keys (`dim=-1`), batch dimensions carried through with `transpose(-2, -1)`.
# - **Why $\sqrt{d_k}$**, measured: the raw scores have variance $d_k$; at $d_k = 1024$ the
#   softmax is nearly one-hot (mean largest weight 0.96 of 16) and the median gradient through
#   it drops from about 0.25 to below $10^{-5}$. Dividing by $\sqrt{d_k}$ keeps the variance at 1
#   and the gradient unchanged for every $d_k$.
# - **Masks** set forbidden scores to $-\infty$ before the softmax: `True` = may attend. The
#   causal mask is the lower triangle, diagonal included.
# - Self-attention has no notion of order: swapping two tokens swaps their outputs and nothing
#   else. Next, notebook 05 runs several attention heads side by side, and notebook 06 adds
#   positions.
#
# ## Further reading
#
# - Vaswani et al., *Attention Is All You Need* (2017): section 3.2.1 and footnote 4 for scaled
#   dot-product attention and the variance argument; section 3.2.3 for masking in the decoder.
# - Bahdanau, Cho and Bengio, *Neural Machine Translation by Jointly Learning to Align and
#   Translate* (2014): additive attention, the comparison point for the scaling.
# - Britz, Goldie, Luong and Le, *Massive Exploration of Neural Machine Translation
#   Architectures* (2017): additive vs unscaled dot-product attention as $d_k$ grows.
# - Luong, Pham and Manning, *Effective Approaches to Attention-based Neural Machine
#   Translation* (2015): dot-product and "general" ($\mathbf{q}^\top W \mathbf{k}$) scores.
# - Cheng, Dong and Lapata, *Long Short-Term Memory-Networks for Machine Reading* (2016): an
#   early "intra-attention", a sequence attending to itself.
# - Parikh, Täckström, Das and Uszkoreit, *A Decomposable Attention Model for Natural Language
#   Inference* (2016): attention without recurrence, before the Transformer.
# - Levesque, Davis and Morgenstern, *The Winograd Schema Challenge* (2012): pronouns like the
#   "it" of the elephant sentence, whose referent depends on one word.
# - Uszkoreit, *Transformer: A Novel Neural Network Architecture for Language Understanding*
#   (2017), Google AI blog: the "tired" / "wide" pair with learned attention from "it".
# - Rush, *The Annotated Transformer* (2018): the paper, line by line, as runnable code.
