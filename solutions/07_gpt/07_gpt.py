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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attention-course/attention-course-student/blob/main/notebooks/07_gpt/07_gpt.ipynb)

# %% [markdown]
# # 07 · A small GPT: a character-level language model, from attention to samples
#
# Notebooks 04 to 06 built attention and the Transformer around it. This notebook keeps only
# half of the Transformer, the decoder, and asks it to do a single thing: read some text and
# guess the next character. That one skill, applied over and over, is enough to *write*: guess
# a character, append it, guess the next one. Models of this kind, decoder-only Transformers
# trained to predict the next token, are the GPT family (Radford et al. 2018, 2019), and the
# recipe in this notebook is theirs. The scale is not: on a CPU our model has about 0.6
# million parameters, some 2,500 times fewer than GPT-2's 1.5 billion, and it reads about
# 0.23 million characters of text, some 170,000 times less than GPT-2's 40 GB of web pages.
#
# The text is one you already have: the documentation strings of Python's standard library,
# read from your own Python installation. After a minute of training on a laptop the model
# writes things like "Return the number of ..." in the style of the docs, with made-up words
# in between. On a GPU the same notebook trains a bigger model for longer.
#
# **You will learn to**
# - measure a language model in nats per character, and place it between two baselines:
#   uniform guessing and the character frequencies (the unigram entropy);
# - write **causal self-attention** with several heads, so that position $t$ never sees the
#   characters after it, and check it against `torch.nn.MultiheadAttention`;
# - turn a model's scores into text: **temperature**, **top-k** filtering, and an
#   autoregressive `generate` loop that crops its context to the model's window;
# - write the **training step** of a Transformer: cross-entropy over every position, AdamW,
#   gradient clipping; then train a GPT and read its loss curves;
# - measure what attention costs in time and memory as the sequence grows, and what a fused
#   kernel (`torch.nn.functional.scaled_dot_product_attention`, in the spirit of
#   FlashAttention) saves;
# - generate with a **key/value cache**, one new token per step, check that it computes
#   exactly what the uncached model computes, and predict, then measure, what it saves;
# - place this model in its family: encoder-only, decoder-only and encoder-decoder
#   Transformers, their masks and training objectives; and say why attention weights are
#   not explanations.
#
# **Prerequisites**: notebook 05 (multi-head attention: heads as slices of the features,
# split and merge) and notebook 06 (residual connections, layer norm, feed-forward layers).
# PyTorch: `nn.Module`, `nn.Linear`, `F.cross_entropy`, an optimizer's `zero_grad` / `step`.
# This notebook runs on its own: everything it needs from earlier notebooks is recalled.
#
# **Estimated time**: about 3 hours 45 minutes. Running every cell took about 100 s on a
# 2-core CPU (77 s of it training the small model, 11 s the attention lab, 3 s timing the
# key/value cache), and 195 s once while other programs competed for both cores; no GPU
# needed. With a GPU
# the notebook switches by itself to a bigger model (6 layers, 384 dimensions, 256
# characters of context) trained for 1200 steps, in mixed precision where the GPU supports
# bfloat16. Not yet measured on a GPU: we estimate 1 to 2 minutes for the whole notebook on
# an A100 or H100, and 5 to 10 minutes on Colab's free T4 (which computes in float32).
#
# **How this notebook works**: exercises are marked `YOUR CODE HERE`. Replace the
# `raise NotImplementedError()` line with your code, run the cell, then run the test cells
# under it. A failing test tells you what it expected, what it got, and the likely mistake.
# Some tests are hidden and run only when your work is graded, so make your code right in
# general, not just for the visible examples. The training and sampling cells use your
# functions, so do the exercises first.

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
import copy
import dataclasses
import math
import re
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_lib import checks, measure
from course_lib.device import (
    autocast,
    describe_device,
    get_device,
    seed_everything,
    size_switch,
)
from course_lib.text import CharVocab, lm_batch, python_docs_corpus, split_ids
from course_lib.training import threads

torch.set_printoptions(precision=4, sci_mode=False)

# As in every notebook: seed the random number generators and pick the device.
seed_everything(0)
DEVICE = get_device()
print(describe_device(DEVICE))

# %% [markdown]
# ## 1. The task: guess the next character
#
# A language model assigns a probability to every possible next token given the tokens so
# far, $p(x_{t+1} \mid x_1, \dots, x_t)$. Our tokens are single characters, so the vocabulary
# is small and nothing needs a tokenizer: the text *is* the sequence of token ids.
#
# The corpus comes from `course_lib.text.python_docs_corpus()`, which collects the docstrings
# of about fifty standard-library modules (`collections`, `json`, `pathlib`, `re`, ...) from
# the Python that runs this notebook. Nothing is downloaded, and the exact text depends a
# little on your Python version. The last 10% is held out for validation.

# %%
corpus = python_docs_corpus()
vocab = CharVocab.from_text(corpus)
ids = vocab.encode(corpus)  # (N,) int64
train_ids, val_ids = split_ids(ids, val_fraction=0.1)
print(f"{len(corpus):,} characters, {vocab.size} distinct ones")
print(f"{len(train_ids):,} for training, {len(val_ids):,} for validation\n")
start = corpus.index("Return the")
print(corpus[start : start + 360])
print("\nencode('Return') ->", vocab.encode("Return").tolist())

# %% [markdown]
# **How good is a guess?** A model is scored by its **cross-entropy**: the average, over the
# characters of a text, of $-\ln p(\text{the character that actually came next})$. It is
# measured in *nats* per character (natural logarithm; divide by $\ln 2$ for bits). A model
# that is sure and right scores 0; one that gives the right character probability $1/2$ pays
# $\ln 2 \approx 0.69$ nats for it.
#
# Two baselines tell us what the numbers mean:
# - **uniform guessing**: every one of the $V$ characters with probability $1/V$ costs
#   $\ln V$ nats, whatever comes next. A freshly initialised network starts about here;
# - **the unigram entropy** $H = -\sum_c p(c) \ln p(c)$, where $p(c)$ is how often character
#   $c$ occurs. This is the best any model can do that *ignores the context*: it knows that
#   spaces and `e` are common and `Q` is rare, and nothing else.
#
# Everything a model gains below $H$ it gains by reading the characters before the one it
# guesses. Shannon (1951) estimated that English needs about one bit (0.7 nats) per character
# for a reader who knows the language well; our small model will not get there, but the gap
# between $H$ and its loss is what attention buys.

# %%
counts = torch.bincount(train_ids, minlength=vocab.size).double()  # (V,)
freq = counts / counts.sum()
UNIGRAM_ENTROPY = float(-(freq[freq > 0] * freq[freq > 0].log()).sum())
UNIFORM_LOSS = math.log(vocab.size)
print(f"Reference: unigram entropy {UNIGRAM_ENTROPY:.3f} nats per character")
print(f"Reference: uniform guessing ln({vocab.size}) = {UNIFORM_LOSS:.3f} nats per character")
common = freq.argsort(descending=True)[:10]
print("most common:", ", ".join(f"{vocab.chars[i]!r} {100 * freq[i]:.1f}%" for i in common))


# %% [markdown]
# ## 2. A decoder-only model, and why it needs a causal mask
#
# The model reads a window of $T$ characters and returns, **at every position** $t$, scores
# (logits) for the character at position $t + 1$: an output of shape `(B, T, V)`. Training
# compares all $T$ predictions with the text shifted by one, so one window gives $T$ training
# examples at once:
#
# ```
# input  x:  R  e  t  u  r  n  ␣
# target y:  e  t  u  r  n  ␣  t
# ```
#
# `course_lib.text.lm_batch` cuts such `(x, y)` windows at random places of the corpus.
#
# There is a catch. Self-attention lets every position look at every other one, so position
# $t$ could simply read character $t + 1$ from the input and copy it: a perfect training loss,
# and a model that has learnt nothing it can use when the future is not there yet. The fix is
# the **causal mask** of notebook 04: position $t$ may attend to positions $0, \dots, t$
# (itself included) and to nothing after. With that mask, the output at $t$ depends only on
# the characters up to $t$, exactly the information it will have when it generates.
#
# A decoder-only model is a stack of blocks, each with one causal self-attention layer and one
# feed-forward layer; there is no encoder and no cross-attention (compare the decoder layer of
# notebook 06). We start with the attention layer.

# %% [markdown]
# ## 3. Causal self-attention
#
# One layer, for an input `x` of shape `(B, T, D)` with $h$ heads of size
# $d_\text{head} = D / h$:
#
# 1. **project**: one `nn.Linear(D, 3D)` named `qkv` computes queries, keys and values for all
#    heads at once. Its output `(B, T, 3D)` holds $Q$ in features `0 .. D-1`, $K$ in
#    `D .. 2D-1` and $V$ in `2D .. 3D-1` (the order `torch.nn.MultiheadAttention` uses for its
#    `in_proj_weight`, so the two can be compared);
# 2. **split** each of $Q, K, V$ into heads: `(B, T, D) -> (B, T, h, d_head) -> (B, h, T, d_head)`
#    (view, then transpose: notebook 05);
# 3. **score**: $S = QK^\top / \sqrt{d_\text{head}}$, shape `(B, h, T, T)`, where `S[b, i, t, s]`
#    says how much position $t$ wants to read position $s$ in head $i$;
# 4. **mask** the future: set $S_{ts} = -\infty$ where $s > t$, *before* the softmax, so those
#    weights come out exactly 0 and each row still sums to 1;
# 5. **softmax** over the keys (the last axis), then take the weighted sum of the values:
#    `(B, h, T, d_head)`;
# 6. **merge** the heads back to `(B, T, D)` and mix them with the output projection `proj`.
#
# $$\operatorname{CausalAttention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_\text{head}}} + M\right) V,
# \qquad M_{ts} = \begin{cases} 0 & s \le t \\ -\infty & s > t \end{cases}$$
#
# A mask of shape `(T, T)` with True on and below the diagonal, `torch.tril(torch.ones(T, T,
# dtype=torch.bool))`, broadcasts over the batch and head axes. Two quick sanity checks you
# can do in your head: the first position can attend only to itself, so its output is
# `proj(v_0)`, the projection of its own value vector; and changing the last character of the
# input changes the output at the last position only.

# %% [markdown]
# ### Exercise 7.1: `CausalSelfAttention.forward` (6 points)
#
# The constructor is given; it fixes the names `qkv` and `proj`, which the tests and the model
# below rely on. Write `forward(x)`: `x` has shape `(B, T, D)`; return `(B, T, D)`, following
# steps 1 to 6. Use plain tensor operations (`@`, `view`/`reshape`, `transpose`, `masked_fill`,
# `torch.softmax`): the graded tests switch off `F.scaled_dot_product_attention`,
# `F.multi_head_attention_forward` and `nn.MultiheadAttention`. No loop over heads or
# positions. Create the mask on `x.device`.

# %% nbgrader={"grade": false, "grade_id": "CausalSelfAttention", "locked": false, "schema_version": 3, "solution": true, "task": false}
class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t attends to positions 0..t only.

    Attributes:
        num_heads: h.
        d_head: D // h.
        qkv: nn.Linear(D, 3 * D); output features [0, D) are the queries of all heads,
            [D, 2D) the keys, [2D, 3D) the values (head i owns block i of each).
        proj: nn.Linear(D, D), the output projection W^O.
    """

    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Causal self-attention over the positions of ``x``.

        Args:
            x: (B, T, D).

        Returns:
            (B, T, D); the output at position t depends on x[:, :t + 1] only.
        """
        ### BEGIN SOLUTION
        batch, length, d_model = x.shape
        q, k, v = self.qkv(x).split(d_model, dim=-1)  # 3 x (B, T, D)
        q = q.view(batch, length, self.num_heads, self.d_head).transpose(1, 2)  # (B, h, T, d_head)
        k = k.view(batch, length, self.num_heads, self.d_head).transpose(1, 2)  # (B, h, T, d_head)
        v = v.view(batch, length, self.num_heads, self.d_head).transpose(1, 2)  # (B, h, T, d_head)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (B, h, T, T)
        causal = torch.ones(length, length, dtype=torch.bool, device=x.device).tril()  # (T, T)
        scores = scores.masked_fill(~causal, float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # (B, h, T, T)
        context = weights @ v  # (B, h, T, d_head)
        context = context.transpose(1, 2).reshape(batch, length, d_model)  # (B, T, D)
        return self.proj(context)
        ### END SOLUTION


# %% [markdown]
# **Try it.** A layer with $D = 16$ and 4 heads maps a batch `(2, 6, 16)` to `(2, 6, 16)`.
# Then we change only the last position of the input and print, for every position, how much
# the output moved: it should be 0 everywhere except at position 5. Finally the first
# position's output should equal `proj(v_0)`, up to float32 rounding: a difference below
# `1e-6` (about `1e-7` is typical).

# %%
torch.manual_seed(0)
attn_small = CausalSelfAttention(d_model=16, num_heads=4)
x_small = torch.randn(2, 6, 16)
with torch.no_grad():
    out_small = attn_small(x_small)
    x_changed = x_small.clone()
    x_changed[:, 5] = torch.randn(2, 16)  # a different last character
    moved = (attn_small(x_changed) - out_small).abs().amax(dim=(0, 2))  # (T,)
    v_first = attn_small.qkv(x_small[:, 0])[:, 32:]  # (B, D): the value part of position 0
    first_diff = (out_small[:, 0] - attn_small.proj(v_first)).abs().max()
print(out_small.shape)
print("output change per position:", moved)
print(f"first position vs proj(v_0): largest difference {first_diff:.1e}")

# %% nbgrader={"grade": true, "grade_id": "test_causal_self_attention_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""CausalSelfAttention maps (B, T, D) to (B, T, D)."""
torch.manual_seed(71)
_attn = CausalSelfAttention(16, 4)
with torch.no_grad():
    _out = _attn(torch.randn(2, 5, 16))
checks.check_shape(
    _out,
    (2, 5, 16),
    "CausalSelfAttention(16, 4)(x of shape (2, 5, 16))",
    hint="merge the heads back: (B, h, T, d_head) -> transpose(1, 2) -> reshape(B, T, D), "
    "then apply self.proj",
)
checks.check_finite(
    _out,
    "CausalSelfAttention(16, 4)(x)",
    hint="a row of scores that is all -inf gives nan: mask only the keys AFTER each query, "
    "never the diagonal",
)
### BEGIN HIDDEN TESTS
for _D, _h, _B, _T in [(8, 1, 1, 1), (12, 3, 3, 7), (32, 8, 2, 4), (6, 6, 2, 3), (20, 4, 1, 9)]:
    with torch.no_grad():
        _out = CausalSelfAttention(_D, _h)(torch.randn(_B, _T, _D))
    checks.check_shape(
        _out, (_B, _T, _D), f"CausalSelfAttention({_D}, {_h}) on x ({_B}, {_T}, {_D})"
    )
    checks.check_finite(_out, f"output with D={_D}, h={_h}, T={_T}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_causal_self_attention_causal", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""The output at t ignores the inputs after t, and the first position's output is proj(v_0)."""
torch.manual_seed(72)
_attn = CausalSelfAttention(16, 4)
_x = torch.randn(2, 6, 16)
_x_future = _x.clone()
_x_future[:, 3:] = torch.randn(2, 3, 16)  # change positions 3, 4, 5
with torch.no_grad():
    _out, _out_future = _attn(_x), _attn(_x_future)
    _v0 = _attn.qkv(_x[:, 0])[:, 32:]  # (B, D): the value vector of position 0
    _first = _attn.proj(_v0)
checks.check_close(
    _out[:, 0],
    _first,
    "output at position 0",
    atol=1e-5,
    hint="position 0 may attend to itself only, so its weight on itself is 1: keep the "
    "diagonal (torch.tril(..., diagonal=0)) and mask the scores with -inf BEFORE the softmax",
)
checks.check_close(
    _out_future[:, :3],
    _out[:, :3],
    "outputs at positions 0..2 after changing the inputs at 3..5",
    atol=1e-5,
    hint="position t must not see positions after t: mask the scores where key > query "
    "(above the diagonal) with -inf before the softmax, which runs over the keys (dim=-1)",
)
checks.check_finite(_out, "outputs of CausalSelfAttention(16, 4)", hint="never mask the diagonal")
_x_past = _x.clone()
_x_past[:, 0] = 3.0 * torch.ones(2, 16)  # change position 0: every output may move
with torch.no_grad():
    _moved = (_attn(_x_past) - _out).abs().amax(dim=(0, 2))  # (T,)
checks.check_in_range(
    float(_moved.min()),
    1e-6,
    math.inf,
    "smallest change of an output after changing position 0",
    hint="every position attends to position 0 (the past): mask only the keys after the query",
)
### BEGIN HIDDEN TESTS
for _D, _h, _T in [(12, 3, 7), (16, 2, 5), (8, 8, 6), (10, 1, 4)]:
    torch.manual_seed(720 + _D + _T)
    _attn = CausalSelfAttention(_D, _h)
    with torch.no_grad():
        for _p in _attn.parameters():
            _p.normal_(0.0, 0.5)
        _x = torch.randn(3, _T, _D)
        _out = _attn(_x)
        checks.check_finite(_out, f"output with D={_D}, h={_h}, T={_T}")
        _v0 = (_x[:, 0] @ _attn.qkv.weight.T + _attn.qkv.bias)[:, 2 * _D :]  # (B, D)
        checks.check_close(
            _out[:, 0], _v0 @ _attn.proj.weight.T + _attn.proj.bias, "output at 0", atol=1e-5
        )
        for _t in range(_T - 1):
            _x2 = _x.clone()
            _x2[:, _t + 1 :] = 3.0 * torch.randn(3, _T - _t - 1, _D)
            checks.check_close(
                _attn(_x2)[:, : _t + 1],
                _out[:, : _t + 1],
                f"outputs 0..{_t} after changing positions {_t + 1}.. (D={_D}, h={_h})",
                atol=1e-5,
            )
        _x3 = _x.clone()  # and the past does matter: changing position 0 moves every output
        _x3[:, 0] = 3.0 * torch.randn(3, _D)
        _moved = (_attn(_x3) - _out).abs().amax(dim=(0, 2))  # (T,)
        checks.check_in_range(
            float(_moved.min()), 1e-6, math.inf, "smallest change after changing position 0"
        )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_causal_self_attention_matches_torch", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""With the same weights, the output equals nn.MultiheadAttention's with a causal mask (1e-5)."""


def _torch_twin(attn):
    """nn.MultiheadAttention with the parameters of ``attn``: qkv -> in_proj, proj -> out_proj."""
    d_model = attn.proj.in_features
    twin = nn.MultiheadAttention(d_model, attn.num_heads, batch_first=True)
    with torch.no_grad():
        twin.in_proj_weight.copy_(attn.qkv.weight)
        twin.in_proj_bias.copy_(attn.qkv.bias)
        twin.out_proj.weight.copy_(attn.proj.weight)
        twin.out_proj.bias.copy_(attn.proj.bias)
    return twin


def _torch_causal(twin, x):
    """The twin's output with a causal mask (torch's convention: True = may NOT attend)."""
    length = x.shape[1]
    forbidden = torch.ones(length, length, dtype=torch.bool).triu(diagonal=1)  # (T, T)
    with torch.no_grad():
        return twin(x, x, x, attn_mask=forbidden, need_weights=False)[0]


torch.manual_seed(73)
_attn = CausalSelfAttention(16, 4)
_x = torch.randn(2, 7, 16)
with torch.no_grad():
    _out = _attn(_x)
checks.check_close(
    _out,
    _torch_causal(_torch_twin(_attn), _x),
    "output vs nn.MultiheadAttention (same weights, causal mask)",
    atol=1e-5,
    hint="split qkv(x) into q, k, v in that order; view as (B, T, h, d_head) then "
    "transpose(1, 2); scale by sqrt(d_head), not sqrt(D); softmax over the keys (dim=-1)",
)
### BEGIN HIDDEN TESTS
for _D, _h, _B, _T in [(16, 4, 2, 5), (12, 3, 3, 8), (32, 8, 2, 6), (10, 1, 1, 4), (24, 2, 2, 9)]:
    torch.manual_seed(730 + _D * _h)
    _attn = CausalSelfAttention(_D, _h)
    with torch.no_grad():
        for _p in _attn.parameters():
            _p.normal_(0.0, 0.4)
    _x = torch.randn(_B, _T, _D)
    with torch.no_grad():
        _out = _attn(_x)
    checks.check_close(
        _out,
        _torch_causal(_torch_twin(_attn), _x),
        f"output vs nn.MultiheadAttention (D={_D}, h={_h}, T={_T})",
        atol=1e-5,
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_causal_self_attention_from_scratch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""forward uses plain tensor operations: it runs with PyTorch's attention functions switched off."""
_builtins = [
    (F, "scaled_dot_product_attention"),
    (F, "multi_head_attention_forward"),
    (nn, "MultiheadAttention"),
]
torch.manual_seed(74)
_attn = CausalSelfAttention(8, 2)
_x = torch.randn(2, 3, 8)
with checks.disabled(*_builtins), torch.no_grad():
    _out = _attn(_x)
checks.check_shape(
    _out,
    (2, 3, 8),
    "CausalSelfAttention(8, 2) with the built-in attention functions disabled",
    hint="write the scores, mask, softmax and weighted sum yourself with @ and torch.softmax",
)
with torch.no_grad():
    _first = _attn.proj(_attn.qkv(_x[:, 0])[:, 16:])  # proj(v_0)
checks.check_close(
    _out[:, 0],
    _first,
    "output at position 0 with the built-ins disabled",
    atol=1e-5,
    hint="position 0 attends to itself only, so its output is proj(v_0) whatever computes it",
)
### BEGIN HIDDEN TESTS
for _D, _h, _T in [(16, 4, 6), (12, 2, 5)]:
    torch.manual_seed(740 + _D)
    _attn = CausalSelfAttention(_D, _h)
    with torch.no_grad():
        for _p in _attn.parameters():
            _p.normal_(0.0, 0.4)
    _x = torch.randn(2, _T, _D)
    _twin = nn.MultiheadAttention(_D, _h, batch_first=True)
    with torch.no_grad():
        _twin.in_proj_weight.copy_(_attn.qkv.weight)
        _twin.in_proj_bias.copy_(_attn.qkv.bias)
        _twin.out_proj.weight.copy_(_attn.proj.weight)
        _twin.out_proj.bias.copy_(_attn.proj.bias)
        _forbidden = torch.ones(_T, _T, dtype=torch.bool).triu(diagonal=1)
        _expected = _twin(_x, _x, _x, attn_mask=_forbidden, need_weights=False)[0]
        with checks.disabled(*_builtins):
            _out = _attn(_x)
    checks.check_close(_out, _expected, f"output, built-ins disabled (D={_D}, h={_h})", atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The model: a stack of pre-norm blocks
#
# The rest of the model is given; it is the GPT-2 layout (Radford et al. 2019) in a few dozen
# lines:
#
# - **embeddings**: a learned vector per character (`tok_emb`, `(V, D)`) plus a learned vector
#   per position (`pos_emb`, `(block_size, D)`). Attention itself ignores order (it is a
#   weighted sum), so the position has to be added to the input; notebook 06 used fixed
#   sinusoids, GPT learns them. A learned position table has one row per position, which is
#   why the model has a longest context, its `block_size`;
# - **blocks**, each `x = x + attn(ln1(x))` then `x = x + mlp(ln2(x))`: the residual connections
#   of He et al. (2016) and layer normalisation (Ba, Kiros, Hinton 2016). Normalising the input
#   of each sub-layer ("pre-norm") rather than its output keeps the residual path clean.
#   Xiong et al. (2020) showed that post-norm Transformers need a learning-rate warm-up to
#   train well at the usual learning rates, and that pre-norm ones can do without it. "Can"
#   is not "must not": section 6 still warms up for 50 steps (100 on a GPU), a cheap
#   precaution because Adam's first steps are poorly scaled. Notebook 06 trains its pre-norm
#   model without warm-up; we did not measure whether this model needs one.
#   The feed-forward layer widens each position to $4D$, applies the GELU non-linearity
#   (Hendrycks and Gimpel 2016) and projects back;
# - a final layer norm and a linear **head** that turns each position's vector into $V$ logits.
#
# Weights start small (normal, standard deviation 0.02), and the two projections that write
# into the residual stream in each block start smaller still, by $1/\sqrt{2L}$ for $L$ blocks,
# so that the sum of $2L$ residual branches starts at the scale of one. With such an
# initialisation the logits start near 0, every character gets about the same probability,
# and the first loss is close to $\ln V$.
#
# **Fused attention.** `FusedCausalSelfAttention` below is your module with a different
# *core*: it keeps your `qkv` and `proj` (it inherits your constructor), but steps 3 to 5 are
# one call to `torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)`,
# which computes the same function without storing the $T \times T$ weights (section 7
# measures what that saves). The GPU configuration uses it; on the CPU the model trains with
# your own `CausalSelfAttention`.
#
# **Mixed precision.** On a GPU that computes natively in bfloat16 (compute capability 8.0 or
# newer), `forward` runs under `course_lib.device.autocast`: matrix products in 16-bit,
# reductions such as the softmax and the loss in 32-bit (Micikevicius et al. 2018). bfloat16
# has the exponent range of float32, so no loss scaling is needed. Elsewhere it does nothing.
# The logits are returned in float32 either way.

# %%
class FusedCausalSelfAttention(CausalSelfAttention):
    """CausalSelfAttention with PyTorch's fused kernel as its core: same parameters and function."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D), causal."""
        batch, length, d_model = x.shape
        heads = (batch, length, self.num_heads, self.d_head)
        q, k, v = (t.view(heads).transpose(1, 2) for t in self.qkv(x).split(d_model, dim=-1))
        context = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, h, T, d_head)
        return self.proj(context.transpose(1, 2).reshape(batch, length, d_model))  # (B, T, D)


@dataclasses.dataclass(frozen=True)
class GPTConfig:
    """The size of the model and of its training run."""

    block_size: int  # T, the longest context the model reads
    d_model: int  # D
    num_heads: int  # h
    num_layers: int  # L, the number of blocks
    dropout: float  # on the embeddings and on each residual branch, while training
    fused_attention: bool  # FusedCausalSelfAttention instead of your CausalSelfAttention
    batch_size: int
    steps: int
    lr: float  # the peak learning rate
    warmup_steps: int
    eval_every: int  # steps between two evaluations
    eval_batches: int  # fixed batches per evaluation, of the training and validation text


class Block(nn.Module):
    """Pre-norm Transformer decoder block without cross-attention: (B, T, D) -> (B, T, D)."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        attention = FusedCausalSelfAttention if cfg.fused_attention else CausalSelfAttention
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = attention(cfg.d_model, cfg.num_heads)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.d_model, 4 * cfg.d_model),
            nn.GELU(),
            nn.Linear(4 * cfg.d_model, cfg.d_model),
        )
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x)))
        return x + self.drop(self.mlp(self.ln2(x)))


class GPT(nn.Module):
    """A decoder-only Transformer language model.

    Attributes:
        block_size: the longest input it accepts (the rows of the position table).
    """

    def __init__(self, vocab_size: int, cfg: GPTConfig) -> None:
        super().__init__()
        self.block_size = cfg.block_size
        self.tok_emb = nn.Embedding(vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.block_size, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.num_layers)])
        self.ln_out = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, vocab_size)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)
        for block in self.blocks:  # the two projections that write into the residual stream
            for weight in (block.attn.proj.weight, block.mlp[2].weight):
                nn.init.normal_(weight, mean=0.0, std=0.02 / math.sqrt(2 * cfg.num_layers))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: (B, T) token ids with T <= block_size -> logits (B, T, V), float32."""
        length = idx.shape[1]
        if length > self.block_size:
            raise ValueError(f"got {length} tokens, but block_size is {self.block_size}")
        with autocast(idx.device):
            positions = torch.arange(length, device=idx.device)  # (T,)
            x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))  # (B, T, D)
            for block in self.blocks:
                x = block(x)
            logits = self.head(self.ln_out(x))  # (B, T, V)
        return logits.float()


CPU_CONFIG = GPTConfig(
    block_size=64, d_model=128, num_heads=4, num_layers=3, dropout=0.0, fused_attention=False,
    batch_size=32, steps=700, lr=3e-3, warmup_steps=50, eval_every=100, eval_batches=4,
)  # fmt: skip
GPU_CONFIG = GPTConfig(
    block_size=256, d_model=384, num_heads=6, num_layers=6, dropout=0.2, fused_attention=True,
    batch_size=64, steps=1200, lr=1e-3, warmup_steps=100, eval_every=100, eval_batches=20,
)  # fmt: skip
CONFIG = size_switch(cpu=CPU_CONFIG, gpu=GPU_CONFIG, device=DEVICE)
print(CONFIG)

# %% [markdown]
# A fresh model, its size, and its first loss. The loss should be within a few hundredths of
# $\ln V$, and the model with the fused core should compute the same logits as the one with
# yours, to rounding (about `1e-6`).

# %% tags=["demo"]
torch.manual_seed(0)
fresh = GPT(vocab.size, CONFIG).to(DEVICE)
print(f"{sum(p.numel() for p in fresh.parameters()):,} parameters")
x_demo, y_demo = lm_batch(train_ids, CONFIG.block_size, 8, np.random.default_rng(0), DEVICE)
with torch.no_grad():
    logits_demo = fresh(x_demo)  # (8, T, V)
    first_loss = F.cross_entropy(logits_demo.transpose(1, 2), y_demo).item()
print(f"loss before training {first_loss:.3f}, ln V = {UNIFORM_LOSS:.3f}")
twin_cfg = dataclasses.replace(CONFIG, fused_attention=not CONFIG.fused_attention)
twin = GPT(vocab.size, twin_cfg).to(DEVICE)
twin.load_state_dict(fresh.state_dict())  # same parameter names: the cores differ only
with torch.no_grad():
    twin_diff = (twin(x_demo) - logits_demo).abs().max()
print(f"largest logit difference, fused core vs yours: {twin_diff:.1e}")
del fresh, twin, logits_demo

# %% [markdown]
# ## 5. From logits to text: temperature, top-k, and a generation loop
#
# To write, the model reads the text so far, we take the logits of the **last** position (the
# guess for the next character), turn them into probabilities, draw a character, append it,
# and repeat. Three details decide what comes out.
#
# **Temperature.** Dividing the logits by a temperature $\tau > 0$ before the softmax,
# $p_i \propto \exp(z_i / \tau)$, reshapes the distribution without changing the order of the
# characters. $\tau = 1$ samples what the model believes; $\tau < 1$ sharpens it (as
# $\tau \to 0$ all the probability goes to the largest logit: greedy decoding); $\tau > 1$
# flattens it towards the uniform distribution. Low temperatures give safe, repetitive text,
# high ones varied text with more mistakes.
#
# **Top-k.** Even a good model leaves a little probability on each of dozens of unlikely
# characters, and in a long sample some of them get drawn. Top-k sampling (Fan, Lewis, Dauphin
# 2018) keeps only the $k$ largest logits of each row and sets the others to $-\infty$, so the
# softmax gives them probability exactly 0 and spreads the rest over the $k$ survivors.
# (Nucleus sampling, Holtzman et al. 2020, keeps the smallest set whose probabilities add up
# to $p$ instead of a fixed number.)
#
# **The context window.** The model accepts at most `block_size` characters, because its
# position table has that many rows. Once the text is longer, feed it the last `block_size`
# characters only: the oldest ones drop out of view.

# %%
z_demo = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0])
for tau in (0.25, 1.0, 4.0):
    print(f"temperature {tau:>4}: {torch.softmax(z_demo / tau, dim=-1)}")


# %% [markdown]
# ### Exercise 7.2: `top_k_logits` (4 points)
#
# Write `top_k_logits(logits, k)`: `logits` has shape `(..., V)`; return a new tensor of the
# same shape and dtype in which, in every row (every index of the leading axes), the `k`
# largest values are kept as they are and all others are `float("-inf")`.
#
# - **Ties**: keep every value that is greater than or equal to the row's `k`-th largest value.
#   With ties at the `k`-th place a row can keep more than `k` values; that is the rule.
# - `k >= V`: nothing is filtered, return a copy of the logits (`logits.clone()`).
# - `k < 1`: raise `ValueError`.
# - Do not modify `logits` itself (the caller may still need it).
#
# `torch.topk(logits, k, dim=-1).values` gives each row's `k` largest values, sorted, the
# `k`-th last; `masked_fill` and broadcasting do the rest.

# %% nbgrader={"grade": false, "grade_id": "top_k_logits", "locked": false, "schema_version": 3, "solution": true, "task": false}
def top_k_logits(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of every row; set all others to -inf.

    Args:
        logits: (..., V).
        k: how many to keep per row; k >= V keeps everything.

    Returns:
        (..., V), a new tensor (``logits`` is not modified); values >= the row's k-th largest
        are kept (ties at the k-th place are all kept), the others are -inf.

    Raises:
        ValueError: k < 1.
    """
    ### BEGIN SOLUTION
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if k >= logits.shape[-1]:
        return logits.clone()
    kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1)
    return logits.masked_fill(logits < kth_largest, float("-inf"))
    ### END SOLUTION


# %% [markdown]
# **Try it.** With `k = 2`, the first row keeps 3.0 and 2.0 and the second keeps 5.0 and 4.0:
# `[[-inf, 3., 2., -inf], [-inf, -inf, 5., 4.]]`. The softmax of the result puts all the
# probability on the survivors: `[[0., 0.7311, 0.2689, 0.], [0., 0., 0.7311, 0.2689]]`.

# %%
logits_small = torch.tensor([[1.0, 3.0, 2.0, 0.5], [0.1, -1.0, 5.0, 4.0]])
print(top_k_logits(logits_small, 2))
print(torch.softmax(top_k_logits(logits_small, 2), dim=-1))

# %% nbgrader={"grade": true, "grade_id": "test_top_k_logits_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""top_k_logits keeps the k largest values of every row and sets the others to -inf."""
_inf = float("-inf")
checks.check_close(
    top_k_logits(torch.tensor([[1.0, 3.0, 2.0, 0.5], [0.1, -1.0, 5.0, 4.0]]), 2),
    torch.tensor([[_inf, 3.0, 2.0, _inf], [_inf, _inf, 5.0, 4.0]]),
    "top_k_logits(logits, k=2)",
    hint="find each row's k-th largest value (torch.topk(logits, k, dim=-1).values[..., -1:]) "
    "and set every logit below it to float('-inf'), not 0; compare within each row, not "
    "across the whole tensor",
)
checks.check_equal(
    str(top_k_logits(torch.tensor([1.0, 2.0], dtype=torch.float64), 1).dtype),
    "torch.float64",
    "dtype of top_k_logits on float64 logits",
    hint="keep the dtype of logits: masked_fill keeps it, torch.full(...) without dtype= does not",
)
### BEGIN HIDDEN TESTS


def _reference_top_k(logits, k):
    """Scatter the values at torch.topk's indices into a tensor of -inf (no ties in these tests)."""
    top = torch.topk(logits, k, dim=-1)
    return torch.full_like(logits, float("-inf")).scatter(-1, top.indices, top.values)


torch.manual_seed(75)
for _shape, _k in [((5, 10), 1), ((5, 10), 3), ((5, 10), 9), ((2, 3, 7), 2), ((6,), 4)]:
    _logits = 3.0 * torch.randn(*_shape)
    checks.check_close(
        top_k_logits(_logits, _k),
        _reference_top_k(_logits, _k),
        f"top_k_logits on random logits {_shape} with k={_k}",
        atol=0.0,
    )
_logits = torch.randn(4, 8, dtype=torch.float64)
_result = top_k_logits(_logits, 3)
checks.check_equal(str(_result.dtype), "torch.float64", "dtype of top_k_logits' result")
checks.check_close(_result, _reference_top_k(_logits, 3), "top_k_logits in float64", atol=0.0)
# a row whose values are all far below the others' must still keep its own k largest
_rows = torch.tensor([[10.0, 11.0, 12.0, 13.0], [-5.0, -3.0, -4.0, -6.0]])
checks.check_close(
    top_k_logits(_rows, 2),
    torch.tensor([[_inf, _inf, 12.0, 13.0], [_inf, -3.0, -4.0, _inf]]),
    "top_k_logits with k=2 on rows of very different scales",
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_top_k_logits_edge_cases", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""top_k_logits: ties at the k-th value stay, k >= V keeps all, k < 1 raises, input untouched."""
_inf = float("-inf")
_logits = torch.tensor([[2.0, 1.0, 2.0, 0.0]])
_before = _logits.clone()
checks.check_close(
    top_k_logits(_logits, 1),
    torch.tensor([[2.0, _inf, 2.0, _inf]]),
    "top_k_logits([[2., 1., 2., 0.]], k=1) (a tie at the top)",
    hint="keep every value >= the k-th largest, so both 2.0s stay",
)
checks.check_close(
    _logits,
    _before,
    "logits after top_k_logits (must not be modified)",
    hint="use masked_fill (it returns a new tensor), not masked_fill_ or assignment into logits",
)
checks.check_close(
    top_k_logits(_logits, 4),
    _before,
    "top_k_logits with k = V = 4",
    hint="when k >= V there is nothing to filter: return the logits as they are",
)
try:
    top_k_logits(_logits, 0)
except ValueError:
    pass
else:
    raise checks.CheckError(
        "top_k_logits(logits, 0): expected a ValueError, but nothing was raised\n"
        "  likely mistake: check k < 1 first and raise ValueError"
    )
### BEGIN HIDDEN TESTS
checks.check_close(top_k_logits(_logits, 10), _before, "top_k_logits with k = 10 > V = 4", atol=0.0)
checks.check_close(
    top_k_logits(torch.tensor([[3.0, 1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]]), 2),
    torch.tensor([[3.0, 1.0, 1.0, 1.0, _inf], [1.0, 1.0, 1.0, 1.0, 1.0]]),
    "top_k_logits with ties at the 2nd place (k=2)",
)
for _bad_k in (-1, -5):
    try:
        top_k_logits(_logits, _bad_k)
    except ValueError:
        pass
    else:
        raise checks.CheckError(f"top_k_logits(logits, {_bad_k}): expected a ValueError")
torch.manual_seed(76)
_big = torch.randn(3, 4, 9)
_big_before = _big.clone()
for _k in (1, 5, 9, 20):
    top_k_logits(_big, _k)
    checks.check_close(_big, _big_before, f"logits after top_k_logits(..., k={_k})", atol=0.0)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7.3: `generate` (6 points)
#
# Write `generate(model, idx, max_new_tokens, temperature=1.0, top_k=None)`. `model` maps token
# ids `(B, T)` to logits `(B, T, V)` and has an attribute `model.block_size`, the longest input
# it accepts. `idx` `(B, T0)` holds the prompts. Repeat `max_new_tokens` times:
#
# 1. crop: give the model the last `model.block_size` tokens of `idx` (all of them if fewer);
# 2. take the logits of the **last** position, `(B, V)`, and divide them by `temperature`;
# 3. if `top_k` is not None, filter them with your `top_k_logits`;
# 4. softmax, then draw one token per row with `torch.multinomial(probs, num_samples=1)`, `(B, 1)`;
# 5. append it to `idx` along the time axis.
#
# Return the whole sequence, prompt included: `(B, T0 + max_new_tokens)`, int64. Run the loop
# under `torch.no_grad()` (nothing here is trained, and a graph over hundreds of steps would
# fill the memory). `generate` does not change the model's mode: call `model.eval()` before it
# when the model has dropout.

# %% nbgrader={"grade": false, "grade_id": "generate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def generate(
    model: nn.Module,
    idx: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
) -> torch.Tensor:
    """Extend each prompt by ``max_new_tokens`` tokens sampled from the model, one at a time.

    Args:
        model: maps (B, T) int64 ids with T <= model.block_size to logits (B, T, V).
        idx: (B, T0) int64, the prompts.
        max_new_tokens: how many tokens to append.
        temperature: > 0; the last position's logits are divided by it before the softmax.
        top_k: if not None, sample only among the top_k largest logits (see top_k_logits).

    Returns:
        (B, T0 + max_new_tokens) int64: the prompts followed by the sampled tokens.
    """
    ### BEGIN SOLUTION
    with torch.no_grad():
        for _ in range(max_new_tokens):
            context = idx[:, -model.block_size :]  # (B, <= block_size)
            logits = model(context)[:, -1, :] / temperature  # (B, V)
            if top_k is not None:
                logits = top_k_logits(logits, top_k)
            probs = torch.softmax(logits, dim=-1)  # (B, V)
            next_token = torch.multinomial(probs, num_samples=1)  # (B, 1)
            idx = torch.cat([idx, next_token], dim=1)  # (B, T + 1)
    return idx
    ### END SOLUTION


# %% [markdown]
# **Try it.** An untrained model knows nothing, so it writes noise: 60 characters drawn almost
# uniformly from the vocabulary after the prompt "Return the ". The shape should be
# `torch.Size([1, 71])`. The same call after training, in section 6, is the real test.

# %% tags=["demo"]
with threads(1 if DEVICE.type == "cpu" else None):  # one CPU thread, as in training
    torch.manual_seed(0)
    untrained = GPT(vocab.size, CONFIG).to(DEVICE).eval()
    sample_ids = generate(untrained, vocab.encode("Return the ")[None].to(DEVICE), 60)
    print(sample_ids.shape)
    print(repr(vocab.decode(sample_ids[0])))
    del untrained

# %% nbgrader={"grade": true, "grade_id": "test_generate_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""generate returns (B, T0 + max_new_tokens) int64 ids that start with the prompt."""


class _Uniform(nn.Module):
    """A stand-in language model: equal logits for 5 tokens at every position."""

    block_size = 8

    def forward(self, idx):
        return torch.zeros(*idx.shape, 5)  # (B, T, V)


torch.manual_seed(76)
_prompt = torch.tensor([[1, 2, 3], [4, 0, 1]])
_out = generate(_Uniform(), _prompt, 4)
checks.check_shape(
    _out,
    (2, 7),
    "generate(model, prompt of shape (2, 3), max_new_tokens=4)",
    hint="append one sampled token per step with torch.cat([idx, next_token], dim=1), and "
    "return the whole sequence, prompt included",
)
checks.check_equal(_out[:, :3].tolist(), _prompt.tolist(), "the first 3 tokens of the result")
checks.check_equal(
    str(_out.dtype), "torch.int64", "dtype of the result", hint="torch.multinomial returns int64"
)
checks.check_in_range(
    _out, 0, 4, "generated token ids", hint="sample an index of the V = 5 logits, not a value"
)
### BEGIN HIDDEN TESTS


class _GradRecorder(nn.Module):
    """Records whether autograd was recording at each call."""

    block_size = 4

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(6))
        self.grad_enabled = []

    def forward(self, idx):
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.weight.expand(*idx.shape, 6)  # (B, T, V)


torch.manual_seed(77)
checks.check_equal(
    generate(_Uniform(), _prompt, 0).tolist(), _prompt.tolist(), "generate with 0 new tokens"
)
_rec = _GradRecorder()
_out = generate(_rec, torch.tensor([[0, 1, 2, 3, 4, 5, 0]]), 9)
checks.check_shape(_out, (1, 16), "generate, prompt (1, 7) longer than block_size 4, 9 new tokens")
checks.check_in_range(_out, 0, 5, "generated token ids")
checks.check_equal(len(_rec.grad_enabled), 9, "number of model calls for 9 new tokens")
checks.check_equal(
    _rec.grad_enabled, [False] * 9, "torch.is_grad_enabled() inside the model during generate"
)
_out = generate(_Uniform(), torch.randint(0, 5, (5, 1)), 12, temperature=0.7, top_k=3)
checks.check_shape(_out, (5, 13), "generate with temperature=0.7, top_k=3")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_generate_greedy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""With top_k=1, or a temperature near 0, generate picks the most likely next token every time."""


class _Successor(nn.Module):
    """A stand-in model: after token t, token (t + 1) % 7 is the most likely one."""

    block_size = 16

    def forward(self, idx):
        return 3.0 * F.one_hot((idx + 1) % 7, 7).float()  # (B, T, 7)


torch.manual_seed(78)
_prompt = torch.tensor([[2], [5]])
_greedy = [[2, 3, 4, 5, 6, 0, 1], [5, 6, 0, 1, 2, 3, 4]]
checks.check_equal(
    generate(_Successor(), _prompt, 6, top_k=1).tolist(),
    _greedy,
    "generate(successor model, [[2], [5]], 6, top_k=1)",
    hint="predict from the logits of the LAST position, model(context)[:, -1, :]; with "
    "top_k=1 only the largest logit survives top_k_logits",
)
checks.check_equal(
    generate(_Successor(), _prompt, 6, temperature=1e-3).tolist(),
    _greedy,
    "generate(successor model, [[2], [5]], 6, temperature=0.001)",
    hint="DIVIDE the logits by the temperature before the softmax: a small temperature "
    "makes the largest logit win",
)
### BEGIN HIDDEN TESTS
torch.manual_seed(79)
_prompt = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4], [3] * 19])
_out = generate(_Successor(), _prompt, 10, top_k=1)  # prompt longer than block_size = 16
checks.check_equal(
    _out[:, 19:].tolist(),
    [[5, 6, 0, 1, 2, 3, 4, 5, 6, 0], [4, 5, 6, 0, 1, 2, 3, 4, 5, 6]],
    "greedy continuation of prompts longer than block_size",
)
_out = generate(_Successor(), torch.tensor([[6], [1], [4]]), 8, temperature=1e-4, top_k=2)
checks.check_equal(
    _out[:, 1:].tolist(),
    [[0, 1, 2, 3, 4, 5, 6, 0], [2, 3, 4, 5, 6, 0, 1, 2], [5, 6, 0, 1, 2, 3, 4, 5]],
    "continuation at temperature 1e-4 with top_k=2",
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_generate_context", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""generate gives the model at most model.block_size tokens: the most recent ones."""


class _Strict(nn.Module):
    """A stand-in model that refuses inputs longer than block_size and records what it saw."""

    block_size = 4

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, idx):
        if idx.shape[1] > self.block_size:
            raise ValueError(
                f"the model got {idx.shape[1]} tokens, more than its block_size of "
                f"{self.block_size}: crop the context to idx[:, -model.block_size:]"
            )
        self.seen.append(idx.tolist())
        return 3.0 * F.one_hot((idx + 1) % 7, 7).float()  # (B, T, 7)


torch.manual_seed(80)
_model = _Strict()
generate(_model, torch.tensor([[0, 1, 2, 3, 4, 5]]), 3, top_k=1)
checks.check_equal(
    _model.seen[0],
    [[2, 3, 4, 5]],
    "the context the model got at the first step, for the prompt [[0, 1, 2, 3, 4, 5]]",
    hint="keep the LAST block_size tokens, idx[:, -model.block_size:], not the first ones",
)
### BEGIN HIDDEN TESTS
checks.check_equal(
    _model.seen,
    [[[2, 3, 4, 5]], [[3, 4, 5, 6]], [[4, 5, 6, 0]]],
    "the contexts the model got at steps 1, 2, 3",
)
_model = _Strict()
_out = generate(_model, torch.tensor([[1], [3]]), 6, top_k=1)  # short prompts grow into the window
checks.check_equal(
    _model.seen,
    [
        [[1], [3]],
        [[1, 2], [3, 4]],
        [[1, 2, 3], [3, 4, 5]],
        [[1, 2, 3, 4], [3, 4, 5, 6]],
        [[2, 3, 4, 5], [4, 5, 6, 0]],
        [[3, 4, 5, 6], [5, 6, 0, 1]],
    ],
    "the contexts the model got for short prompts",
)
checks.check_equal(_out.tolist(), [[1, 2, 3, 4, 5, 6, 0], [3, 4, 5, 6, 0, 1, 2]], "the result")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_generate_sampling", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""At temperature 1, generate samples from softmax(logits): 8000 draws match the probabilities."""


class _Fixed(nn.Module):
    """A stand-in model whose next-token distribution is always ``probs``."""

    block_size = 4

    def __init__(self, probs):
        super().__init__()
        self.logits = probs.log()

    def forward(self, idx):
        return self.logits.expand(*idx.shape, -1)  # (B, T, V)


def _frequencies(model, **kwargs):
    """How often each token is drawn as the next one, over 8000 prompts."""
    new = generate(model, torch.zeros(8000, 1, dtype=torch.long), 1, **kwargs)[:, -1]
    return torch.bincount(new, minlength=4).double() / 8000


_p = torch.tensor([0.5, 0.25, 0.15, 0.1], dtype=torch.float64)
torch.manual_seed(81)
checks.check_close(
    _frequencies(_Fixed(_p)),
    _p,
    "frequencies of 8000 sampled tokens at temperature 1 (expected: the probabilities)",
    atol=0.03,
    hint="sample with torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1); "
    "taking the argmax gives the same token every time",
)
### BEGIN HIDDEN TESTS
for _tau in (2.0, 0.5):
    _expected = _p ** (1.0 / _tau) / (_p ** (1.0 / _tau)).sum()
    checks.check_close(
        _frequencies(_Fixed(_p), temperature=_tau),
        _expected,
        f"frequencies at temperature {_tau} (expected softmax(log p / {_tau}))",
        atol=0.03,
    )
checks.check_close(
    _frequencies(_Fixed(_p), top_k=2),
    torch.tensor([2 / 3, 1 / 3, 0.0, 0.0], dtype=torch.float64),
    "frequencies with top_k=2",
    atol=0.03,
)
_sqrt = _p[:3].sqrt()
checks.check_close(
    _frequencies(_Fixed(_p), temperature=2.0, top_k=3),
    torch.cat([_sqrt / _sqrt.sum(), torch.zeros(1, dtype=torch.float64)]),
    "frequencies at temperature 2 with top_k=3",
    atol=0.03,
)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Training
#
# One training step on a batch `(x, y)` of windows, both `(B, T)`:
#
# 1. `optimizer.zero_grad()`: gradients *accumulate* in `.grad` across `backward` calls, so
#    the previous step's must be cleared first;
# 2. forward: `logits = model(x)`, `(B, T, V)`;
# 3. the loss: the mean cross-entropy over all $B \cdot T$ predictions. `F.cross_entropy`
#    wants the classes on axis 1 or a flat list of rows: `logits.reshape(-1, V)` against
#    `y.reshape(-1)` pairs each prediction with its own target;
# 4. `loss.backward()`;
# 5. **clip** the gradient: `torch.nn.utils.clip_grad_norm_(model.parameters(), clip)`
#    rescales all gradients together so that their total norm (as if they were one long
#    vector) is at most `clip`, and leaves them alone when it is smaller. A rare bad batch
#    then cannot throw the weights far in one step (Pascanu, Mikolov, Bengio 2013);
# 6. `optimizer.step()`.

# %% [markdown]
# ### Exercise 7.4: `train_step` (5 points)
#
# Write `train_step(model, optimizer, x, y, clip=1.0)` doing steps 1 to 6, and return the
# loss as a Python `float` (`loss.item()`): returning the tensor would keep every step's graph
# alive in the list of losses. The model returns logits `(B, T, V)`; `x` and `y` are `(B, T)`
# int64.

# %% nbgrader={"grade": false, "grade_id": "train_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    clip: float = 1.0,
) -> float:
    """One optimisation step of next-token prediction.

    Args:
        model: maps (B, T) ids to logits (B, T, V).
        optimizer: over model's parameters.
        x: (B, T) int64 inputs.
        y: (B, T) int64 targets (x shifted by one).
        clip: the largest total gradient norm allowed before the step.

    Returns:
        the batch's mean cross-entropy (computed before the update), a Python float.
    """
    ### BEGIN SOLUTION
    optimizer.zero_grad(set_to_none=True)
    logits = model(x)  # (B, T, V)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
    ### END SOLUTION


# %% [markdown]
# **Try it.** A bigram model (an `nn.Embedding(V, V)`: the logits for the next character
# depend on the current one only) trained by your `train_step` with plain SGD on one fixed
# batch. The loss should start near $\ln 96 \approx 4.56$ (the embedding starts near zero here)
# and fall steadily, every value a Python float.

# %%
torch.manual_seed(0)
bigram = nn.Embedding(vocab.size, vocab.size)
nn.init.normal_(bigram.weight, std=0.01)
sgd = torch.optim.SGD(bigram.parameters(), lr=20.0)
x_try, y_try = lm_batch(train_ids, 32, 16, np.random.default_rng(0))
bigram_losses = [train_step(bigram, sgd, x_try, y_try, clip=5.0) for _ in range(6)]
print([round(loss, 3) for loss in bigram_losses], type(bigram_losses[0]).__name__)

# %% nbgrader={"grade": true, "grade_id": "test_train_step_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""train_step returns the batch's mean cross-entropy, before the update, as a Python float."""
torch.manual_seed(82)
_model = nn.Embedding(6, 6)  # a bigram model: (B, T) -> (B, T, 6)
_x, _y = torch.randint(0, 6, (3, 5)), torch.randint(0, 6, (3, 5))
with torch.no_grad():
    _logits = _model(_x)  # (3, 5, 6)
    _expected = -_logits.log_softmax(dim=-1).gather(-1, _y[..., None]).mean().item()
_loss = train_step(_model, torch.optim.SGD(_model.parameters(), lr=0.1), _x, _y)
checks.check_type(
    _loss, float, "what train_step returns", hint="return loss.item(), not the tensor"
)
checks.check_close(
    _loss,
    _expected,
    "the loss train_step returns",
    atol=1e-5,
    hint="F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)): the mean (the default), "
    "with each prediction paired with its own target; return the loss of the forward pass "
    "before the step",
)
### BEGIN HIDDEN TESTS
for _B, _T, _V in [(4, 7, 5), (2, 3, 9), (5, 5, 4)]:
    torch.manual_seed(820 + _B * _T)
    _model = nn.Sequential(nn.Embedding(_V, 8), nn.Linear(8, _V))
    _x, _y = torch.randint(0, _V, (_B, _T)), torch.randint(0, _V, (_B, _T))
    with torch.no_grad():
        _lp = _model(_x).log_softmax(dim=-1)  # (B, T, V)
        _expected = -_lp.gather(-1, _y[..., None]).mean().item()
    _opt = torch.optim.AdamW(_model.parameters(), lr=0.01)
    _loss = train_step(_model, _opt, _x, _y, clip=0.5)
    checks.check_type(_loss, float, "what train_step returns")
    checks.check_close(_loss, _expected, f"loss for B={_B}, T={_T}, V={_V}", atol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_train_step_update", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Two train_steps with AdamW leave the same parameters as the same steps written with torch."""


def _reference_steps(model, batches, clip, make_optimizer):
    """The parameters after one step per batch, done here with torch's own functions."""
    model = copy.deepcopy(model)
    optimizer = make_optimizer(model.parameters())
    for x, y in batches:
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


def _adamw(params):
    return torch.optim.AdamW(params, lr=0.05, weight_decay=0.1)


torch.manual_seed(83)
_model = nn.Sequential(nn.Embedding(7, 8), nn.Linear(8, 7))
_batches = [(torch.randint(0, 7, (4, 6)), torch.randint(0, 7, (4, 6))) for _ in range(2)]
_expected = _reference_steps(_model, _batches, 0.1, _adamw)
_opt = _adamw(_model.parameters())
for _x, _y in _batches:
    train_step(_model, _opt, _x, _y, clip=0.1)
for (_name, _param), _want in zip(_model.named_parameters(), _expected, strict=True):
    checks.check_close(
        _param,
        _want,
        f"parameter {_name} after two steps",
        atol=1e-5,
        hint="in this order: optimizer.zero_grad(), forward, loss, loss.backward(), "
        "clip_grad_norm_, optimizer.step(), once per call; without zero_grad the second step "
        "adds the first step's gradient again",
    )
### BEGIN HIDDEN TESTS


def _momentum(params):
    return torch.optim.SGD(params, lr=0.3, momentum=0.9)


for _seed, _make, _clip in [(84, _momentum, 0.2), (85, _adamw, 2.0), (86, _momentum, 50.0)]:
    torch.manual_seed(_seed)
    _model = nn.Sequential(nn.Embedding(5, 6), nn.Linear(6, 5))
    with torch.no_grad():
        _model[1].weight.mul_(4.0)
    _batches = [(torch.randint(0, 5, (3, 4)), torch.randint(0, 5, (3, 4))) for _ in range(3)]
    _expected = _reference_steps(_model, _batches, _clip, _make)
    _opt = _make(_model.parameters())
    for _x, _y in _batches:
        train_step(_model, _opt, _x, _y, clip=_clip)
    for (_name, _param), _want in zip(_model.named_parameters(), _expected, strict=True):
        checks.check_close(
            _param, _want, f"{_name} after three steps (seed {_seed}, clip {_clip})", atol=1e-5
        )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_train_step_clips", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""train_step clips the total gradient norm to `clip` before the optimizer's step."""
torch.manual_seed(87)
_model = nn.Embedding(6, 6)
_x, _y = torch.randint(0, 6, (3, 5)), torch.randint(0, 6, (3, 5))
_before = _model.weight.detach().clone()
train_step(_model, torch.optim.SGD(_model.parameters(), lr=1.0), _x, _y, clip=0.01)
_moved = float((_model.weight.detach() - _before).norm())  # SGD with lr=1: the gradient's norm
checks.check_close(
    _moved,
    0.01,
    "norm of the change of the weights (SGD, lr=1, clip=0.01)",
    atol=1e-6,
    hint="call torch.nn.utils.clip_grad_norm_(model.parameters(), clip) after backward and "
    "BEFORE optimizer.step(); clipping after the step comes too late",
)
### BEGIN HIDDEN TESTS


def _gradient(model, x, y):
    """The gradient of the mean cross-entropy with respect to each parameter, unclipped."""
    model = copy.deepcopy(model)
    loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
    return torch.autograd.grad(loss, list(model.parameters()))


for _clip in (0.02, 0.3, 100.0):
    torch.manual_seed(88)
    _model = nn.Sequential(nn.Embedding(6, 5), nn.Linear(5, 6))
    with torch.no_grad():
        _model[1].weight.mul_(8.0)
    _x, _y = torch.randint(0, 6, (4, 6)), torch.randint(0, 6, (4, 6))
    _grads = _gradient(_model, _x, _y)
    _norm = float(torch.sqrt(sum((g**2).sum() for g in _grads)))
    _scale = min(1.0, _clip / _norm)
    _before = [p.detach().clone() for p in _model.parameters()]
    train_step(_model, torch.optim.SGD(_model.parameters(), lr=1.0), _x, _y, clip=_clip)
    for _p, _b, _g in zip(_model.parameters(), _before, _grads, strict=True):
        checks.check_close(
            _b - _p.detach(),
            _scale * _g,
            f"SGD step with clip={_clip} (unclipped gradient norm {_norm:.3f})",
            atol=1e-6,
        )
### END HIDDEN TESTS

# %% [markdown]
# ### Training the GPT
#
# The training run uses your `train_step` with these choices:
#
# - **AdamW** (Loshchilov and Hutter 2019): Adam with the weight decay applied to the weights
#   directly instead of being added to the gradient, where Adam's per-parameter scaling would
#   weaken it. We decay the weight matrices and the embeddings (decay 0.1) but not the biases
#   and the layer-norm gains: those are offsets and scales, and pulling a gain towards 0
#   switches its layer off rather than making the model simpler. $\beta_2 = 0.95$ instead of
#   the default 0.999 lets the second-moment estimate follow the gradient faster, a common
#   choice for Transformers;
# - **learning-rate schedule**: a linear warm-up over the first steps (Adam's moment estimates
#   are poor at first, and large early steps can derail a Transformer), then a cosine decay to
#   a tenth of the peak, so that the last steps settle into a minimum;
# - **clipping** at total norm 1.0;
# - every `eval_every` steps, the loss on fixed batches of the training text and of the
#   held-out validation text, with the model in `eval()` mode (no dropout) and without
#   gradients. The same batches every time make the points comparable;
# - on a GPU that supports it, the forward pass runs in bfloat16 (section 4); the backward
#   pass follows the forward's precision, and the parameters and the optimizer's state stay
#   in float32;
# - on a CPU the loop runs on **one thread** (`course_lib.training.threads(1)`), like the
#   training loops of the earlier notebooks. For a model this small a second thread helps
#   only on an idle machine: on the 2-core machine this notebook was written on, two threads
#   made a step about 1.6 times faster when nothing else ran, and many times *slower* as soon
#   as other programs competed for the cores, because each step then waits for both threads.

# %% tags=["demo"]
def lr_factor(step: int) -> float:
    """Learning rate as a fraction of the peak: linear warm-up, then cosine decay to 0.1."""
    if step < CONFIG.warmup_steps:
        return (step + 1) / CONFIG.warmup_steps
    progress = (step - CONFIG.warmup_steps) / max(1, CONFIG.steps - CONFIG.warmup_steps)
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def fixed_batches(token_ids: torch.Tensor, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """CONFIG.eval_batches batches of windows, the same ones at every evaluation."""
    rng = np.random.default_rng(seed)
    return [
        lm_batch(token_ids, CONFIG.block_size, CONFIG.batch_size, rng, DEVICE)
        for _ in range(CONFIG.eval_batches)
    ]


@torch.no_grad()
def evaluate(model: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """Mean cross-entropy (nats per character) over ``batches``, in eval mode."""
    model.eval()
    losses = [F.cross_entropy(model(x).transpose(1, 2), y).item() for x, y in batches]
    model.train()
    return float(np.mean(losses))


seed_everything(0)
model = GPT(vocab.size, CONFIG).to(DEVICE)
decay = [p for p in model.parameters() if p.dim() >= 2]  # weight matrices and embeddings
no_decay = [p for p in model.parameters() if p.dim() < 2]  # biases and layer-norm gains
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
    lr=CONFIG.lr,
    betas=(0.9, 0.95),
)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
eval_train, eval_val = fixed_batches(train_ids, seed=1), fixed_batches(val_ids, seed=2)
rng = np.random.default_rng(0)
print(f"{sum(p.numel() for p in model.parameters()):,} parameters, {CONFIG.steps} steps")

step_losses: list[float] = []
history = {"step": [0], "train": [evaluate(model, eval_train)], "val": [evaluate(model, eval_val)]}
started = time.perf_counter()
model.train()
with threads(1 if DEVICE.type == "cpu" else None):  # see the note above
    for step in tqdm(range(1, CONFIG.steps + 1), desc="training"):
        x, y = lm_batch(train_ids, CONFIG.block_size, CONFIG.batch_size, rng, DEVICE)
        step_losses.append(train_step(model, optimizer, x, y, clip=1.0))
        scheduler.step()
        if step % CONFIG.eval_every == 0 or step == CONFIG.steps:
            history["step"].append(step)
            history["train"].append(evaluate(model, eval_train))
            history["val"].append(evaluate(model, eval_val))
train_seconds = time.perf_counter() - started
model.eval()
for s, tr, va in zip(history["step"], history["train"], history["val"], strict=True):
    print(f"step {s:>5}: train {tr:.3f}, validation {va:.3f}")
print(f"Reference: unigram entropy {UNIGRAM_ENTROPY:.3f} nats per character")
print(
    f"Result: validation loss {history['val'][-1]:.3f} nats per character after "
    f"{CONFIG.steps} steps (trained in {train_seconds:.1f} s)"
)

# %% tags=["demo"]
fig, ax = plt.subplots(figsize=(10, 5.5), layout="constrained")
steps_axis = np.arange(1, len(step_losses) + 1)
ax.plot(steps_axis, step_losses, color="tab:blue", alpha=0.25, linewidth=1, label="batch loss")
window = 25
if len(step_losses) > window:
    smooth = np.convolve(step_losses, np.ones(window) / window, mode="valid")
    ax.plot(
        steps_axis[window - 1 :], smooth, color="tab:blue", label=f"batch loss, mean of {window}"
    )
ax.plot(
    history["step"],
    history["train"],
    "o-",
    color="tab:green",
    label="training text (fixed batches)",
)
ax.plot(history["step"], history["val"], "s-", color="tab:red", label="validation text")
ax.axhline(UNIFORM_LOSS, color="grey", linestyle=":", label=f"uniform guessing, ln {vocab.size}")
ax.axhline(UNIGRAM_ENTROPY, color="black", linestyle="--", label="unigram entropy (no context)")
ax.set_xlabel("training step")
ax.set_ylabel("cross-entropy (nats per character)")
ax.set_ylim(0.0, UNIFORM_LOSS + 0.4)
ax.set_title(f"GPT, {CONFIG.num_layers} layers, D = {CONFIG.d_model}, context {CONFIG.block_size}")
ax.grid(True, alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# **Reading the curves.** The loss starts at $\ln V$, as a model that knows nothing should,
# and within the first hundred steps drops below the unigram entropy: learning which
# characters are common is the easy part, and it is done almost at once. Everything below the
# dashed line is context at work: which letters follow which, then common words, then the
# phrases of the documentation ("Return the", "If the", "an instance of"). On the CPU
# configuration the training and validation curves stay close together: 700 steps of 32
# windows of 64 characters show the model the training text about 7 times in all, too little
# to memorise it. (The validation text is the documentation of other modules than most of the
# training text, which explains part of the small gap.) The larger GPU model sees the training
# text about 90 times; there dropout 0.2 is what holds the validation loss down, and if the
# validation curve turns back up while the training curve keeps falling, the growing gap
# between them is what memorising looks like.
#
# When this notebook was written, the CPU run printed a validation loss of 1.76 nats per
# character against a unigram entropy of 3.30, after 80 s of training on a 2-core CPU; your
# numbers will differ a little with the Python version (the corpus) and the machine.
# 1.76 nats is a perplexity of $e^{1.76} \approx 5.8$: on average the model is as unsure as a
# fair choice among about six characters, against 27 for the unigram model ($e^{3.30}$).
# The curves are still falling at the end: more steps (the GPU configuration) go further.

# %% [markdown]
# ## 6b. Samples
#
# Now the model writes. The same prompt, "Return the ", at three temperatures, and at
# temperature 1 with `top_k=5`. Each setting draws 8 samples of 240 characters; the first is
# printed, and for all 8 we count the share of the words written that occur somewhere in the
# training corpus: a rough measure of how often the model spells a real word.

# %% tags=["demo"]
known_words = set(re.findall(r"[A-Za-z]{2,}", corpus))
with threads(1 if DEVICE.type == "cpu" else None):  # one CPU thread, as in training
    prompt = vocab.encode("Return the ")[None].repeat(8, 1).to(DEVICE)  # (8, 11)
    for temperature, top_k in [(0.5, None), (1.0, None), (1.5, None), (1.0, 5)]:
        torch.manual_seed(0)
        samples = generate(model, prompt, 240, temperature=temperature, top_k=top_k)  # (8, 251)
        texts = [vocab.decode(row) for row in samples]
        words = [w for t in texts for w in re.findall(r"[A-Za-z]{2,}", t[len("Return the ") :])]
        share = sum(w in known_words for w in words) / max(1, len(words))
        print(f"===== temperature {temperature}, top_k {top_k}: {100 * share:.0f}% of words known")
        print(texts[0], "\n")

# %% [markdown]
# **Reading the samples.** At temperature 0.5 the model keeps to its most likely paths:
# almost every word is a real one (86% when this was written), but mostly the commonest ones,
# "the", "of", "and", "default", strung together without sense and with words repeated. At
# temperature 1 (48% real words) it writes what it has learnt, with its doubts:
# more variety, the layout of docstrings (short lines, blank lines between paragraphs,
# indented lines, quoted names and calls with parentheses), and more invented words. (The
# docstrings' `>>>` examples are in the corpus too; the first sample may or may not show one:
# the other 7 samples, not printed, are where to look.) At 1.5 (18%) the flattened distribution lets
# the unlikely characters in and the text breaks up into made-up words and stray symbols.
# `top_k=5` at temperature 1 (72%) removes the long tail of unlikely characters but keeps the
# variety of the likely ones: its share of real words lies between those of temperatures 1
# and 0.5, with less repetition than at 0.5. This is the
# trade-off Holtzman et al. (2020) studied: the most likely text is dull and repetitive, pure
# sampling goes off the rails, and truncating the tail (top-k, or nucleus sampling) is the
# usual compromise. None of the samples means anything: a character model of this size learns
# spelling, layout and local grammar, not what the functions do.

# %% [markdown]
# ## 7. The attention lab: naive attention against a fused kernel
#
# Your `CausalSelfAttention` computes the full `(B, h, T, T)` score matrix, masks it, takes
# the softmax, and multiplies by $V$. Each of those steps writes a $T \times T$ tensor to
# memory, and autograd keeps some of them (the softmax output, at least) for the backward
# pass. So the memory of training grows as $T^2$: doubling the context quadruples it.
#
# It does not have to. The softmax of a row can be computed block by block, keeping only a
# running maximum and a running sum, and rescaling the partial results as new blocks of keys
# arrive; then the $T \times T$ matrix never exists in full, and the backward pass recomputes
# the blocks it needs instead of storing them (Rabe and Staats 2021, "Self-attention Does Not
# Need $O(n^2)$ Memory"). FlashAttention (Dao et al. 2022) arranges that computation so that
# the blocks stay in the GPU's fast on-chip memory, which also makes it *faster*, because
# moving data to and from the GPU's main memory, not arithmetic, is what limits plain
# attention. PyTorch exposes such kernels as `torch.nn.functional.scaled_dot_product_attention`,
# used by `FusedCausalSelfAttention`.
#
# We measure both modules, with the same weights, on a batch of 8 sequences, $D = 128$,
# 4 heads ($d_\text{head} = 32$), for growing $T$: the time of a forward **and** backward pass
# (`course_lib.measure.best_time`, the fastest of a few runs) and the memory that autograd
# keeps between them (`measure.saved_for_backward_bytes`: the tensors saved for the backward
# pass, which works on any device). On a GPU we also record the peak of allocated memory
# during a forward and backward pass, and go to longer sequences; there the lab runs in
# bfloat16 where the GPU supports it, which is what the FlashAttention kernels need. On a
# CPU the lab sets one thread, as in training (the device line at the top says how many the
# notebook may use; the lab prints how many it timed with), which also makes the timings
# less noisy.

# %% tags=["demo"]
LAB_BATCH, LAB_D_MODEL, LAB_HEADS = 8, 128, 4
LAB_LENGTHS = size_switch(
    cpu=[128, 256, 512, 1024, 2048],
    gpu=[256, 512, 1024, 2048, 4096, 8192, 16384],
    device=DEVICE,
)
torch.manual_seed(0)
naive_attn = CausalSelfAttention(LAB_D_MODEL, LAB_HEADS).to(DEVICE)
fused_attn = FusedCausalSelfAttention(LAB_D_MODEL, LAB_HEADS).to(DEVICE)
fused_attn.load_state_dict(naive_attn.state_dict())


def forward(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The module's output, in mixed precision where the GPU supports it."""
    with autocast(DEVICE):
        return module(x)


def forward_backward(module: nn.Module, x: torch.Tensor) -> None:
    """One training-like pass: forward, then backward from a scalar."""
    forward(module, x).float().sum().backward()


lab = []  # rows: T, then (ms, saved MiB, peak MiB or None) for naive and fused
lab_started = time.perf_counter()
with threads(1 if DEVICE.type == "cpu" else None):  # one CPU thread, as in training
    lab_threads = torch.get_num_threads()
    for length in LAB_LENGTHS:
        x = torch.randn(LAB_BATCH, length, LAB_D_MODEL, device=DEVICE, requires_grad=True)
        row = [length]
        for module in (naive_attn, fused_attn):
            try:
                saved = measure.saved_for_backward_bytes(lambda m=module, x=x: forward(m, x))
                seconds = measure.best_time(  # the forward pass above was the warm-up
                    lambda m=module, x=x: forward_backward(m, x),
                    device=DEVICE,
                    warmup=0,
                    min_runs=2,
                    max_runs=5,
                    min_seconds=0.1,
                )
                peak = measure.peak_cuda_bytes(lambda m=module, x=x: forward_backward(m, x), DEVICE)
                row.append((1e3 * seconds, saved / 2**20, None if peak is None else peak / 2**20))
            except torch.cuda.OutOfMemoryError:
                row.append(None)  # this length does not fit in the GPU's memory
            module.zero_grad(set_to_none=True)
            x.grad = None
            if DEVICE.type == "cuda":
                torch.cuda.empty_cache()
        lab.append(row)
lab_seconds = time.perf_counter() - lab_started
print(f"lab on {describe_device(DEVICE)}, timed with {lab_threads} thread(s): {lab_seconds:.1f} s")
on_gpu = DEVICE.type == "cuda"
header = (
    f"{'T':>6} | {'naive ms':>9} {'fused ms':>9} {'ratio':>6} | {'naive MiB':>9} {'fused MiB':>9}"
)
print(header + (f" | {'naive peak':>10} {'fused peak':>10}" if on_gpu else ""))


def cell(value: float | None, width: int, fmt: str) -> str:
    return f"{'OOM':>{width}}" if value is None else f"{value:>{width}{fmt}}"


for length, naive, fused in lab:
    n_ms, n_saved, n_peak = naive if naive is not None else (None, None, None)
    f_ms, f_saved, f_peak = fused if fused is not None else (None, None, None)
    ratio = None if n_ms is None or f_ms is None else n_ms / f_ms
    line = f"{length:>6} | {cell(n_ms, 9, '.1f')} {cell(f_ms, 9, '.1f')} {cell(ratio, 6, '.1f')} | "
    line += f"{cell(n_saved, 9, '.1f')} {cell(f_saved, 9, '.1f')}"
    if on_gpu:
        line += f" | {cell(n_peak, 10, '.0f')} {cell(f_peak, 10, '.0f')}"
    print(line)

# %% tags=["demo"]
fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(14, 5.5), layout="constrained")
styles = {
    "naive (your module)": ("o-", "tab:red", 1),
    "fused (scaled_dot_product_attention)": ("s-", "tab:blue", 2),
}
for label, (marker, colour, column) in styles.items():
    rows = [(r[0], r[column]) for r in lab if r[column] is not None]
    lengths = [t for t, _ in rows]
    ax_time.plot(lengths, [v[0] for _, v in rows], marker, color=colour, label=label)
    ax_mem.plot(lengths, [v[1] for _, v in rows], marker, color=colour, label=f"{label}, saved")
    if on_gpu:
        ax_mem.plot(
            lengths, [v[2] for _, v in rows], marker[0] + ":", color=colour, label=f"{label}, peak"
        )
guide_t = np.array(LAB_LENGTHS, dtype=float)
for column, power, style, name in [(1, 2, "k--", "naive"), (2, 1, "k:", "fused")]:
    t_last, v_last = [(r[0], r[column]) for r in lab if r[column] is not None][-1]
    ax_mem.plot(
        guide_t,
        v_last[1] * (guide_t / t_last) ** power,
        style,
        linewidth=1,
        label=f"∝ T{'²' if power == 2 else ''}, through the last {name} point",
    )
panels = [
    (ax_time, "time of forward + backward (ms)", f"time ({DEVICE.type})"),
    (ax_mem, "memory (MiB)", "memory kept for the backward pass"),
]
for ax, ylabel, title in panels:
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
plt.show()


# %% [markdown]
# **Reading the lab.** On log-log axes a cost growing as $T^k$ is a line of slope $k$.
#
# - *Memory* (right). As $T$ grows, the naive module's saved tensors bend up to the slope of
#   the $T^2$ guide (dashed): the attention weights, `(8, 4, T, T)` in float32, 128 MiB at
#   $T = 1024$, which the backward passes of the softmax and of the product with $V$ both
#   need, dominate everything else from a few hundred positions on. The fused module keeps
#   only its inputs, its output and one number per row (the log of the softmax's
#   normaliser), and follows the $T$ guide (dotted). When this notebook was written (CPU,
#   float32) the naive module kept 13 / 149 / 556 MiB at $T$ = 256 / 1024 / 2048 and the
#   fused one 5 / 20 / 41 MiB: a ratio that doubles with each doubling of $T$.
# - *Time* (left). Both do the same $O(T^2 d)$ arithmetic (the fused kernel does even a little
#   more in its backward pass, recomputing blocks), so both curves bend towards slope 2. On a
#   CPU the fused kernel is nonetheless faster, because it skips the work the mask throws
#   away and never writes and reads back the big matrices. On the 2-core machine this was
#   written on (one thread) the fused module was about 1.3 times faster at $T = 128$, 1.6 to
#   2.8 times at 256, and about 3.5, 5 and 7 to 9 times at $T$ = 512, 1024 and 2048, over
#   several runs (busier or idler machine): the gap grows with $T$ every time. On a GPU the gap is larger, since
#   memory traffic is what limits naive attention there; and at the longest lengths the naive
#   module runs out of GPU memory (`OOM` in the table) while the fused one keeps going.
#
# This is why long contexts became affordable: not by doing less arithmetic, but by never
# storing the $T \times T$ matrix. Every modern Transformer library calls such a kernel.

# %% [markdown]
# ## 8. Generating faster: the key/value cache
#
# Look again at what `generate` does. To write character number $t + 1$ it runs the whole
# model on the $t$ characters so far, although the first $t - 1$ of them have not changed
# since the previous step. Their queries, keys and values, in every layer, come out exactly
# as before: causal attention guarantees it, because position $s$ only ever reads positions
# $\le s$, so nothing that comes later can change what the model computed at $s$. Only the
# newest position is new.
#
# So keep them. A **key/value cache** stores, for each layer, the keys and values of every
# position already processed, `(B, h, T_past, d_head)` each. A step then feeds **one** new
# token: the model computes its query, key and value in each layer, appends the key and value
# to that layer's cache, and lets the one query attend to all cached keys. The queries of the
# old positions are never needed again (a query is only used for its own position's output),
# which is why the cache holds keys and values and not queries. Per generated token the work
# drops from a full forward pass over $t$ positions to a forward pass over one position plus
# one row of attention over $t$ keys.
#
# Two details decide whether the cached model computes *the same function*:
#
# - **positions.** The new token is the $(T_\text{past} + 1)$-th of the sequence, so it gets
#   the position embedding of row $T_\text{past}$, not row 0. Likewise, a query that sits at
#   absolute position $T_\text{past} + i$ may attend to keys $0 \dots T_\text{past} + i$: when
#   several new positions are fed at once (the prompt, or a chunk of it, with a cache already
#   there), the causal mask is the `(T_new, T_past + T_new)` matrix with True where
#   $s \le T_\text{past} + i$, that is the lower triangle shifted right by $T_\text{past}$.
#   (`F.scaled_dot_product_attention(..., is_causal=True)` aligns its triangle to the top-left
#   corner, which is only right when $T_\text{past} = 0$.)
# - **the context window.** Our model has a learned position table of `block_size` rows.
#   While the text fits, the cache grows by one position per step. Once it holds `block_size`
#   positions, `generate` would crop the text to its last `block_size` tokens, which moves
#   *every* token to a new position, so every cached key is stale. The honest fix with learned
#   absolute positions is to start again: empty the cache and feed the last `block_size`
#   tokens as a new prompt, and to do so at every step from then on, where the cache saves
#   nothing. (Refilling with only the last half window would keep the cache useful, but the
#   model would then compute something other than `generate`.) (Models with relative positions, such as rotary embeddings, can
#   slide the window instead; that is one reason long-context models use them.)
#
# Feeding several positions at once with an empty cache is called the **prefill**: it is one
# ordinary forward pass over the prompt that also fills the cache. After it come the one-token
# **decode** steps.

# %% [markdown]
# ### Exercise 7.5: `cached_attention` (5 points)
#
# Write `cached_attention(attn, x, past=None)`, causal self-attention for **new positions
# only**, with the weights of an existing `CausalSelfAttention` `attn` (its `qkv`, `proj`,
# `num_heads` and `d_head`; your `forward` is not called).
#
# - `x`: `(B, T_new, D)`, the inputs of the new positions, $T_\text{new} \ge 1$.
# - `past`: `None` (nothing cached yet, $T_\text{past} = 0$) or a pair `(k_past, v_past)`,
#   each `(B, h, T_past, d_head)`: the keys and values of the earlier positions, already
#   split into heads.
# - Return `(out, (k, v))`: `out` is `(B, T_new, D)`, the outputs of the new positions;
#   `k` and `v` are `(B, h, T_past + T_new, d_head)`, **the past followed by the new
#   positions** along the time axis (axis 2): the cache to pass in next time.
# - New position $i$ is absolute position $T_\text{past} + i$ and attends to keys
#   $0 \dots T_\text{past} + i$. With `past=None` the output equals `attn(x)`; fed one token
#   (or one chunk) at a time, the outputs equal those of `attn` on the whole sequence.
#
# Any correct way is fine (plain tensor operations, or `F.scaled_dot_product_attention` with
# a mask you build; mind its mask convention, below). Do not modify `past`.
#
# **Mask conventions, a reminder** (notebooks 05 and 06). A boolean mask means opposite
# things in different places:
#
# | where | `True` means |
# |---|---|
# | this course (`causal_mask`, `attention_weights`, `MultiHeadAttention`) | may attend |
# | `F.scaled_dot_product_attention(attn_mask=...)` | may attend |
# | `nn.MultiheadAttention` and `nn.Transformer*` (`attn_mask`, `key_padding_mask`, `tgt_mask`) | may **not** attend |
#
# PyTorch's two also accept a float mask, which is added to the scores (0 to keep, $-\infty$
# to drop) and means the same in both.

# %% nbgrader={"grade": false, "grade_id": "cached_attention", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cached_attention(
    attn: CausalSelfAttention,
    x: torch.Tensor,
    past: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Causal self-attention for new positions, reading earlier positions from a cache.

    Args:
        attn: supplies the weights: attn.qkv, attn.proj, attn.num_heads, attn.d_head.
        x: (B, T_new, D), the new positions; new position i is absolute position T_past + i.
        past: None (T_past = 0), or (k_past, v_past), each (B, h, T_past, d_head).

    Returns:
        out: (B, T_new, D); row i attends to absolute positions 0 .. T_past + i.
        (k, v): each (B, h, T_past + T_new, d_head), the past keys/values followed by the new
            ones along axis 2.
    """
    ### BEGIN SOLUTION
    batch, new, d_model = x.shape
    heads = (batch, new, attn.num_heads, attn.d_head)
    q, k, v = (t.view(heads).transpose(1, 2) for t in attn.qkv(x).split(d_model, dim=-1))
    if past is not None:  # q, k, v: (B, h, T_new, d_head)
        k = torch.cat([past[0], k], dim=2)  # (B, h, T_past + T_new, d_head)
        v = torch.cat([past[1], v], dim=2)  # (B, h, T_past + T_new, d_head)
    total = k.shape[2]
    allowed = torch.ones(new, total, dtype=torch.bool, device=x.device).tril(total - new)
    scores = q @ k.transpose(-2, -1) / math.sqrt(attn.d_head)  # (B, h, T_new, T_total)
    weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    context = (weights @ v).transpose(1, 2).reshape(batch, new, d_model)  # (B, T_new, D)
    return attn.proj(context), (k, v)
    ### END SOLUTION


# %% [markdown]
# **Try it.** We feed a sequence of 6 positions in three pieces (a prefill of 3, then two
# single positions) and compare each piece's output with the rows of `attn` on the whole
# sequence. The cache should grow 3, 4, 5 positions long, and each difference should be
# float32 rounding (below `1e-6`).

# %%
torch.manual_seed(0)
attn_try = CausalSelfAttention(d_model=16, num_heads=4)
x_try_seq = torch.randn(2, 6, 16)
with torch.no_grad():
    whole = attn_try(x_try_seq)  # (2, 6, 16)
    cache_try = None
    for lo, hi in [(0, 3), (3, 4), (4, 5)]:
        piece, cache_try = cached_attention(attn_try, x_try_seq[:, lo:hi], cache_try)
        gap = (piece - whole[:, lo:hi]).abs().max()
        print(f"positions {lo}..{hi - 1}: cache {tuple(cache_try[0].shape)}, difference {gap:.1e}")

# %% nbgrader={"grade": true, "grade_id": "test_cached_attention_cache", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""cached_attention returns out (B, T_new, D) and a cache: the past, then the new keys/values."""
torch.manual_seed(90)
_attn = CausalSelfAttention(16, 4)
_x = torch.randn(2, 3, 16)
_past = (torch.randn(2, 4, 5, 4), torch.randn(2, 4, 5, 4))  # T_past = 5, d_head = 4
_past_before = (_past[0].clone(), _past[1].clone())
with torch.no_grad():
    _out, (_k, _v) = cached_attention(_attn, _x, _past)
    _qkv = _attn.qkv(_x)  # (2, 3, 48)
    _k_new = _qkv[..., 16:32].reshape(2, 3, 4, 4).transpose(1, 2)  # (B, h, T_new, d_head)
    _v_new = _qkv[..., 32:].reshape(2, 3, 4, 4).transpose(1, 2)
checks.check_shape(
    _out, (2, 3, 16), "out, for x (2, 3, 16)", hint="merge the heads back and apply attn.proj"
)
_hint = (
    "split k and v into heads, (B, T_new, D) -> (B, h, T_new, d_head), and concatenate after "
    "the past along the TIME axis: torch.cat([k_past, k], dim=2); return the grown cache"
)
checks.check_shape(_k, (2, 4, 8, 4), "cached keys (past of 5 + 3 new)", hint=_hint)
checks.check_shape(_v, (2, 4, 8, 4), "cached values (past of 5 + 3 new)", hint=_hint)
checks.check_close(_k[:, :, :5], _past_before[0], "the first 5 cached keys (the past)", hint=_hint)
checks.check_close(
    _k[:, :, 5:],
    _k_new,
    "the last 3 cached keys",
    atol=1e-6,
    hint="the new keys are features D..2D-1 of attn.qkv(x), split into heads; the past first",
)
checks.check_close(_v[:, :, 5:], _v_new, "the last 3 cached values", atol=1e-6, hint=_hint)
checks.check_close(_past[0], _past_before[0], "k_past after the call (must not be modified)")
### BEGIN HIDDEN TESTS
for _B, _D, _h, _Tp, _Tn in [(1, 8, 2, 0, 4), (3, 12, 3, 7, 1), (2, 6, 6, 2, 2)]:
    torch.manual_seed(900 + _D + _Tp)
    _attn = CausalSelfAttention(_D, _h)
    _x = torch.randn(_B, _Tn, _D)
    _dh = _D // _h
    _past = None if _Tp == 0 else (torch.randn(_B, _h, _Tp, _dh), torch.randn(_B, _h, _Tp, _dh))
    with torch.no_grad():
        _out, (_k, _v) = cached_attention(_attn, _x, _past)
        _qkv = _attn.qkv(_x)
        _k_new = _qkv[..., _D : 2 * _D].reshape(_B, _Tn, _h, _dh).transpose(1, 2)
        _v_new = _qkv[..., 2 * _D :].reshape(_B, _Tn, _h, _dh).transpose(1, 2)
    _k_want = _k_new if _past is None else torch.cat([_past[0], _k_new], dim=2)
    _v_want = _v_new if _past is None else torch.cat([_past[1], _v_new], dim=2)
    checks.check_shape(_out, (_B, _Tn, _D), f"out (D={_D}, h={_h}, T_past={_Tp}, T_new={_Tn})")
    checks.check_close(_k, _k_want, f"cached keys (T_past={_Tp}, T_new={_Tn})", atol=1e-6)
    checks.check_close(_v, _v_want, f"cached values (T_past={_Tp}, T_new={_Tn})", atol=1e-6)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_cached_attention_prefill", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""With past=None, cached_attention's output is causal attention over x (as attn(x))."""
torch.manual_seed(91)
_attn = CausalSelfAttention(16, 4)
_x = torch.randn(2, 5, 16)
_twin = nn.MultiheadAttention(16, 4, batch_first=True)  # torch's module, same weights
with torch.no_grad():
    _twin.in_proj_weight.copy_(_attn.qkv.weight)
    _twin.in_proj_bias.copy_(_attn.qkv.bias)
    _twin.out_proj.weight.copy_(_attn.proj.weight)
    _twin.out_proj.bias.copy_(_attn.proj.bias)
    _not_allowed = torch.ones(5, 5, dtype=torch.bool).triu(diagonal=1)  # torch: True = NOT
    _expected = _twin(_x, _x, _x, attn_mask=_not_allowed, need_weights=False)[0]
    _out, _ = cached_attention(_attn, _x)
checks.check_close(
    _out,
    _expected,
    "cached_attention(attn, x of 5 positions, past=None)",
    atol=1e-5,
    hint="a prompt of several positions needs the causal mask: new position i attends to "
    "positions 0..T_past+i only; scale by sqrt(d_head), softmax over the keys",
)
### BEGIN HIDDEN TESTS
for _D, _h, _B, _T in [(12, 3, 3, 7), (8, 1, 1, 1), (24, 6, 2, 9)]:
    torch.manual_seed(910 + _D)
    _attn = CausalSelfAttention(_D, _h)
    _twin = nn.MultiheadAttention(_D, _h, batch_first=True)
    with torch.no_grad():
        for _p in _attn.parameters():
            _p.normal_(0.0, 0.4)
        _twin.in_proj_weight.copy_(_attn.qkv.weight)
        _twin.in_proj_bias.copy_(_attn.qkv.bias)
        _twin.out_proj.weight.copy_(_attn.proj.weight)
        _twin.out_proj.bias.copy_(_attn.proj.bias)
        _x = torch.randn(_B, _T, _D)
        _not_allowed = torch.ones(_T, _T, dtype=torch.bool).triu(diagonal=1)
        _expected = _twin(_x, _x, _x, attn_mask=_not_allowed, need_weights=False)[0]
        _out, _ = cached_attention(_attn, _x, None)
    checks.check_close(_out, _expected, f"prefill output (D={_D}, h={_h}, T={_T})", atol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_cached_attention_steps", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Fed piece by piece with its cache, cached_attention gives the rows of attention on the whole."""
torch.manual_seed(92)
_attn = CausalSelfAttention(16, 4)
_x = torch.randn(2, 6, 16)
_twin = nn.MultiheadAttention(16, 4, batch_first=True)
with torch.no_grad():
    _twin.in_proj_weight.copy_(_attn.qkv.weight)
    _twin.in_proj_bias.copy_(_attn.qkv.bias)
    _twin.out_proj.weight.copy_(_attn.proj.weight)
    _twin.out_proj.bias.copy_(_attn.proj.bias)
    _not_allowed = torch.ones(6, 6, dtype=torch.bool).triu(diagonal=1)
    _whole = _twin(_x, _x, _x, attn_mask=_not_allowed, need_weights=False)[0]  # (2, 6, 16)
    _cache = None
    for _t in range(6):  # one position at a time
        _out, _cache = cached_attention(_attn, _x[:, _t : _t + 1], _cache)
        checks.check_close(
            _out,
            _whole[:, _t : _t + 1],
            f"output of position {_t}, fed alone after a cache of {_t} positions",
            atol=1e-5,
            hint="the one new query may attend to EVERY cached key and to itself: no "
            "(T_new, T_new) triangle here; the mask is (T_new, T_past + T_new), True where "
            "key <= T_past + i",
        )
### BEGIN HIDDEN TESTS
_cases = [(16, 4, [3, 1, 2]), (12, 3, [1, 4, 1, 2]), (8, 2, [2, 2, 2, 1]), (10, 1, [5, 3])]
for _D, _h, _pieces in _cases:
    torch.manual_seed(920 + _D)
    _attn = CausalSelfAttention(_D, _h)
    _twin = nn.MultiheadAttention(_D, _h, batch_first=True)
    _T = sum(_pieces)
    with torch.no_grad():
        for _p in _attn.parameters():
            _p.normal_(0.0, 0.4)
        _twin.in_proj_weight.copy_(_attn.qkv.weight)
        _twin.in_proj_bias.copy_(_attn.qkv.bias)
        _twin.out_proj.weight.copy_(_attn.proj.weight)
        _twin.out_proj.bias.copy_(_attn.proj.bias)
        _x = torch.randn(3, _T, _D)
        _not_allowed = torch.ones(_T, _T, dtype=torch.bool).triu(diagonal=1)
        _whole = _twin(_x, _x, _x, attn_mask=_not_allowed, need_weights=False)[0]
        _cache, _lo = None, 0
        for _n in _pieces:
            _out, _cache = cached_attention(_attn, _x[:, _lo : _lo + _n], _cache)
            checks.check_close(
                _out,
                _whole[:, _lo : _lo + _n],
                f"positions {_lo}..{_lo + _n - 1} fed as one piece after {_lo} cached (D={_D})",
                atol=1e-5,
            )
            _lo += _n
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7.6: `generate_cached` (6 points)
#
# Write `generate_cached(model, idx, max_new_tokens, temperature=1.0, top_k=None)`: the same
# generation as your `generate`, with one cache per block. `model` is a `GPT` of section 4
# (in `eval()` mode, so its dropout layers do nothing and can be left out); use its parts
# directly: `model.tok_emb`, `model.pos_emb`, `model.blocks` (each with `ln1`, `attn`, `ln2`,
# `mlp`), `model.ln_out`, `model.head` and `model.block_size`. Under `torch.no_grad()` (and,
# like `GPT.forward`, under `autocast(idx.device)`):
#
# 1. **prefill**: feed the prompt's last `model.block_size` tokens (all of them if fewer) with
#    empty caches;
# 2. **a forward pass over the new positions**, for tokens at positions
#    $T_\text{past}, T_\text{past} + 1, \dots$ (with $T_\text{past}$ the length of the
#    cache): token embedding plus the position embeddings of those rows; in each block
#    `x = x + out` with `out, cache = cached_attention(block.attn, block.ln1(x), cache)`, then
#    `x = x + block.mlp(block.ln2(x))`; then `model.head(model.ln_out(x))`;
# 3. **sample** from the last position's logits exactly as `generate` does (divide by
#    `temperature`, your `top_k_logits` if `top_k` is not None, softmax, one
#    `torch.multinomial(probs, num_samples=1)` per step), and append the token;
# 4. **decode**: feed that one token (step 2) and sample again, `max_new_tokens` tokens in all.
#    When the caches already hold `model.block_size` positions, the new token does not fit:
#    empty the caches and prefill the last `model.block_size` tokens instead, as `generate`
#    would crop them.
#
# Return `(tokens, step_logits)`: `tokens` is `(B, T0 + max_new_tokens)` int64, the prompt
# followed by the sampled tokens, as `generate` returns; `step_logits` is
# `(B, max_new_tokens, V)` float32, where `step_logits[:, s]` are the logits from which token
# `s` was sampled, **before** the temperature and top-k. `max_new_tokens >= 1`. With the same
# seed, the tokens equal `generate`'s and `step_logits[:, s]` equals
# `model(tokens[:, :T0 + s][:, -model.block_size:])[:, -1]` to float32 rounding.

# %% nbgrader={"grade": false, "grade_id": "generate_cached", "locked": false, "schema_version": 3, "solution": true, "task": false}
def generate_cached(
    model: GPT,
    idx: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """generate with a key/value cache: a prefill, then one new token per step.

    Args:
        model: a GPT in eval mode; its tok_emb, pos_emb, blocks, ln_out, head are used.
        idx: (B, T0) int64, the prompts.
        max_new_tokens: >= 1, how many tokens to append.
        temperature: > 0, as in generate.
        top_k: None or k, as in generate.

    Returns:
        tokens: (B, T0 + max_new_tokens) int64, the prompts followed by the sampled tokens.
        step_logits: (B, max_new_tokens, V) float32; step_logits[:, s] are the last-position
            logits that token s was sampled from, before temperature and top-k.
    """
    ### BEGIN SOLUTION
    step_logits = []
    caches: list | None = None  # one (k, v) per block, each (B, h, T_past, d_head)
    new = idx[:, -model.block_size :]  # the prefill
    with torch.no_grad(), autocast(idx.device):
        for _ in range(max_new_tokens):
            if caches is not None and caches[0][0].shape[2] == model.block_size:  # window full
                caches, new = None, idx[:, -model.block_size :]
            start = 0 if caches is None else caches[0][0].shape[2]  # T_past
            positions = torch.arange(start, start + new.shape[1], device=idx.device)  # (T_new,)
            x = model.tok_emb(new) + model.pos_emb(positions)  # (B, T_new, D)
            present = []
            for i, block in enumerate(model.blocks):
                past = None if caches is None else caches[i]
                out, kv = cached_attention(block.attn, block.ln1(x), past)
                x = x + out
                x = x + block.mlp(block.ln2(x))
                present.append(kv)
            caches = present
            logits = model.head(model.ln_out(x[:, -1])).float()  # (B, V)
            step_logits.append(logits)
            scaled = logits / temperature
            if top_k is not None:
                scaled = top_k_logits(scaled, top_k)
            new = torch.multinomial(torch.softmax(scaled, dim=-1), num_samples=1)  # (B, 1)
            idx = torch.cat([idx, new], dim=1)
    return idx, torch.stack(step_logits, dim=1)
    ### END SOLUTION


# %% [markdown]
# **Try it.** A small untrained `GPT` (with the fused core, so that the comparison does not
# depend on your exercise 7.1) writes 12 tokens after a prompt of 5, greedily; its
# `block_size` is 10, so the window is full from the seventh step on, and each step from then
# on refills the caches from the last 10 tokens. The
# shapes should be `(2, 17)` and `(2, 12, 13)`, the tokens should equal `generate`'s, and the
# largest difference from the uncached logits should be float32 rounding, below `1e-5`.

# %%
torch.manual_seed(0)
tiny_cfg = dataclasses.replace(
    CPU_CONFIG, block_size=10, d_model=16, num_heads=2, num_layers=2, fused_attention=True
)
tiny = GPT(13, tiny_cfg).eval()
with torch.no_grad():
    for p in tiny.parameters():
        p.normal_(0.0, 0.3)  # larger weights than the initialisation: clearer predictions
tiny_prompt = torch.randint(0, 13, (2, 5))
tiny_tokens, tiny_logits = generate_cached(tiny, tiny_prompt, 12, top_k=1)
with torch.no_grad():
    tiny_expected = torch.stack(
        [tiny(tiny_tokens[:, : 5 + s][:, -tiny.block_size :])[:, -1] for s in range(12)], dim=1
    )  # (2, 12, 13), the uncached model's logits at every step
print(tuple(tiny_tokens.shape), tuple(tiny_logits.shape))
tiny_plain = generate(tiny, tiny_prompt, 12, top_k=1)
print("same tokens as generate:", torch.equal(tiny_tokens, tiny_plain))
print(f"largest logit difference: {(tiny_logits - tiny_expected).abs().max():.1e}")

# %% nbgrader={"grade": true, "grade_id": "test_generate_cached_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""generate_cached returns tokens (B, T0 + n) int64 starting with the prompt, logits (B, n, V)."""
torch.manual_seed(93)
_cfg = dataclasses.replace(
    CPU_CONFIG, block_size=16, d_model=16, num_heads=2, num_layers=2, fused_attention=True
)
_model = GPT(11, _cfg).eval()
_prompt = torch.tensor([[1, 2, 3], [4, 0, 1]])
_tokens, _logits = generate_cached(_model, _prompt, 4)
checks.check_shape(
    _tokens,
    (2, 7),
    "tokens, for a prompt (2, 3) and max_new_tokens=4",
    hint="append one token per step and return the whole sequence, prompt included",
)
checks.check_equal(_tokens[:, :3].tolist(), _prompt.tolist(), "the first 3 tokens")
checks.check_equal(str(_tokens.dtype), "torch.int64", "dtype of tokens")
checks.check_shape(
    _logits,
    (2, 4, 11),
    "step_logits for 4 new tokens and V = 11",
    hint="keep the last position's logits (B, V) of every step and torch.stack them on dim=1",
)
checks.check_equal(str(_logits.dtype), "torch.float32", "dtype of step_logits")
checks.check_in_range(
    _tokens, 0, 10, "token ids", hint="each new token is an index into the V = 11 logits"
)
### BEGIN HIDDEN TESTS
_tokens, _logits = generate_cached(_model, torch.tensor([[7]]), 1)
checks.check_shape(_tokens, (1, 2), "tokens for a prompt of 1 token and 1 new token")
checks.check_shape(_logits, (1, 1, 11), "step_logits for 1 new token")
_tokens, _logits = generate_cached(_model, torch.randint(0, 11, (3, 20)), 5, temperature=0.7)
checks.check_shape(_tokens, (3, 25), "tokens for a prompt longer than block_size")
checks.check_shape(_logits, (3, 5, 11), "step_logits for a prompt longer than block_size")
checks.check_in_range(_tokens, 0, 10, "token ids")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_generate_cached_matches_uncached", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Cached generation gives the uncached model's logits at every step, and the same greedy tokens."""
torch.manual_seed(94)
_cfg = dataclasses.replace(
    CPU_CONFIG, block_size=32, d_model=16, num_heads=2, num_layers=2, fused_attention=True
)
_model = GPT(11, _cfg).eval()
with torch.no_grad():
    for _p in _model.parameters():
        _p.normal_(0.0, 0.3)
_prompt = torch.randint(0, 11, (2, 4))
_tokens, _logits = generate_cached(_model, _prompt, 8, temperature=1e-4)  # greedy, in effect
with torch.no_grad():  # the uncached model on the text so far, at every step
    _expected = torch.stack([_model(_tokens[:, : 4 + _s])[:, -1] for _s in range(8)], dim=1)
checks.check_close(
    _logits,
    _expected,
    "step_logits vs the uncached model's last-position logits (prompt of 4, 8 steps)",
    atol=1e-4,
    hint="feed the prompt once, then ONE token per step; give the new token the position "
    "embedding of row T_past (the cache's length), not 0; x = x + attention output, "
    "x = x + mlp(ln2(x)); store the logits BEFORE dividing by the temperature",
)
checks.check_equal(
    _tokens[:, 4:].tolist(),
    _expected.argmax(dim=-1).tolist(),
    "the greedy tokens (temperature 1e-4)",
    hint="sample from the LAST position's logits of each step",
)
### BEGIN HIDDEN TESTS
for _seed, _V, _D, _h, _L, _B, _T0, _n in [
    (940, 7, 12, 3, 1, 3, 1, 10),
    (941, 13, 24, 4, 3, 2, 9, 6),
    (942, 5, 8, 1, 2, 1, 2, 12),
]:
    torch.manual_seed(_seed)
    _cfg = dataclasses.replace(
        CPU_CONFIG, block_size=24, d_model=_D, num_heads=_h, num_layers=_L, fused_attention=True
    )
    _model = GPT(_V, _cfg).eval()
    with torch.no_grad():
        for _p in _model.parameters():
            _p.normal_(0.0, 0.3)
    _prompt = torch.randint(0, _V, (_B, _T0))
    _tokens, _logits = generate_cached(_model, _prompt, _n, temperature=1e-4)
    with torch.no_grad():
        _expected = torch.stack([_model(_tokens[:, : _T0 + _s])[:, -1] for _s in range(_n)], dim=1)
    checks.check_close(
        _logits, _expected, f"step_logits (L={_L}, h={_h}, T0={_T0}, {_n} steps)", atol=1e-4
    )
    checks.check_equal(
        _tokens[:, _T0:].tolist(), _expected.argmax(dim=-1).tolist(), "greedy tokens"
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_generate_cached_context_limit", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Past the block_size, cached generation still matches the uncached model on the cropped text."""
torch.manual_seed(95)
_cfg = dataclasses.replace(
    CPU_CONFIG, block_size=6, d_model=16, num_heads=2, num_layers=2, fused_attention=True
)
_model = GPT(11, _cfg).eval()
with torch.no_grad():
    for _p in _model.parameters():
        _p.normal_(0.0, 0.3)
_prompt = torch.randint(0, 11, (2, 4))
_tokens, _logits = generate_cached(_model, _prompt, 9, temperature=0.5)  # 4 + 9 > block_size
with torch.no_grad():
    _expected = torch.stack([_model(_tokens[:, : 4 + _s][:, -6:])[:, -1] for _s in range(9)], dim=1)
checks.check_close(
    _logits,
    _expected,
    "step_logits when the text grows past block_size = 6 (prompt of 4, 9 steps)",
    atol=1e-4,
    hint="when the caches already hold block_size positions, the next token does not fit: "
    "empty the caches and prefill the last block_size tokens, idx[:, -model.block_size:]",
)
### BEGIN HIDDEN TESTS
for _seed, _bs, _T0, _n in [(950, 5, 9, 7), (951, 4, 4, 6), (952, 7, 1, 15), (953, 3, 2, 2)]:
    torch.manual_seed(_seed)
    _cfg = dataclasses.replace(
        CPU_CONFIG, block_size=_bs, d_model=12, num_heads=3, num_layers=2, fused_attention=True
    )
    _model = GPT(9, _cfg).eval()
    with torch.no_grad():
        for _p in _model.parameters():
            _p.normal_(0.0, 0.3)
    _tokens, _logits = generate_cached(_model, torch.randint(0, 9, (3, _T0)), _n)
    with torch.no_grad():
        _expected = torch.stack(
            [_model(_tokens[:, : _T0 + _s][:, -_bs:])[:, -1] for _s in range(_n)], dim=1
        )
    checks.check_close(
        _logits, _expected, f"step_logits, block_size {_bs}, prompt {_T0}, {_n} steps", atol=1e-4
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_generate_cached_sampling", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""generate_cached samples as generate does: 8000 draws follow softmax(top-k(logits / tau))."""
torch.manual_seed(96)
_cfg = dataclasses.replace(
    CPU_CONFIG, block_size=16, d_model=16, num_heads=2, num_layers=2, fused_attention=True
)
_model = GPT(11, _cfg).eval()
with torch.no_grad():
    for _p in _model.parameters():
        _p.normal_(0.0, 0.3)
    _prompt = torch.tensor([[3, 1, 4]])
    _logits = _model(_prompt)[0, -1].double()  # (11,), the uncached model's next-token logits


def _expected_frequencies(tau, k):
    """softmax(top-k(logits / tau)): the distribution generate samples the first token from."""
    z = _logits / tau
    if k is not None:
        z = z.masked_fill(z < torch.topk(z, k).values[-1], float("-inf"))
    return torch.softmax(z, dim=-1)


for _tau, _k in [(1.0, None), (1.5, 4)]:
    _tokens, _ = generate_cached(_model, _prompt.repeat(8000, 1), 1, temperature=_tau, top_k=_k)
    checks.check_close(
        torch.bincount(_tokens[:, -1], minlength=11).double() / 8000,
        _expected_frequencies(_tau, _k),
        f"frequencies of 8000 first tokens at temperature {_tau}, top_k {_k}",
        atol=0.03,
        hint="sample as generate does: logits / temperature, top_k_logits if top_k is not "
        "None, softmax, then torch.multinomial(probs, num_samples=1); not the argmax",
    )
### BEGIN HIDDEN TESTS
for _tau, _k in [(0.7, 3), (2.0, None), (1.0, 11), (1.0, 1)]:
    _tokens, _ = generate_cached(_model, _prompt.repeat(8000, 1), 1, temperature=_tau, top_k=_k)
    checks.check_close(
        torch.bincount(_tokens[:, -1], minlength=11).double() / 8000,
        _expected_frequencies(_tau, _k),
        f"frequencies of 8000 first tokens at temperature {_tau}, top_k {_k}",
        atol=0.03,
    )
### END HIDDEN TESTS

# %% [markdown]
# **The trained model, cached and uncached.** The real test: the model of section 6 writes
# 100 characters after "Return the " for 4 prompts at temperature 0.8, once with `generate`
# and once with `generate_cached`, from the same seed. The text grows past the 64-character
# window on the way (on the CPU configuration), so the caches are emptied and refilled too.

# %% tags=["demo"]
def cache_written() -> bool:
    """Whether generate_cached runs; if not, the demos of this section say so and go on."""
    try:
        generate_cached(model, torch.zeros(1, 1, dtype=torch.long, device=DEVICE), 1)
    except NotImplementedError:
        print("*** generate_cached is not written yet (exercise 7.6): showing generate only ***")
        return False
    return True


with threads(1 if DEVICE.type == "cpu" else None):  # one CPU thread, as in training
    prompt_kv = vocab.encode("Return the ")[None].repeat(4, 1).to(DEVICE)  # (4, 11)
    torch.manual_seed(0)
    plain_kv = generate(model, prompt_kv, 100, temperature=0.8)
    if cache_written():
        torch.manual_seed(0)
        cached_kv, cached_kv_logits = generate_cached(model, prompt_kv, 100, temperature=0.8)
        with torch.no_grad():
            uncached_kv_logits = torch.stack(
                [model(cached_kv[:, : 11 + s][:, -model.block_size :])[:, -1] for s in range(100)],
                dim=1,
            )  # (4, 100, V)
        same_tokens = int((plain_kv == cached_kv)[:, 11:].sum())
        kv_gap = float((cached_kv_logits - uncached_kv_logits).abs().max())
        print(repr(vocab.decode(cached_kv[0])))
        print(
            f"Result: cached and uncached generation agree on {same_tokens} of "
            f"{plain_kv[:, 11:].numel()} tokens; largest logit difference {kv_gap:.1e}"
        )
    else:
        print(repr(vocab.decode(plain_kv[0])))

# %% [markdown]
# ### Exercise 7.7: predict, then measure (3 points)
#
# Before you run the measurement below, predict what it will show, and write your
# predictions down here. They are graded; the measurement is not.
#
# 1. A model whose `block_size` is large enough that nothing is cropped generates 100 tokens
#    after a prompt of 28 tokens. How many token positions does `generate` feed through the
#    model in all, summed over its 100 calls? (a whole number)
# 2. And `generate_cached`, counting the prefill and every one-token step? (a whole number)
# 3. We time one generated token (batch of 1, an untrained model with this notebook's width
#    and depth, $D = 128$, 3 blocks on the CPU) at context lengths $T$ from 32 to 512. As $T$
#    grows, the time per token:
#    (a) grows about in proportion to $T$, with the cache and without;
#    (b) grows about as $T^2$ without the cache, about in proportion to $T$ with it;
#    (c) grows about in proportion to $T$ without the cache (a little faster at the longest
#    contexts), and stays almost flat with it;
#    (d) stays almost flat either way: the model is too small for $T$ to matter.
#
# Hint for 3: count the multiplications of one forward pass over $T$ positions. The
# projections and the feed-forward layer cost about $12 D^2$ per position and layer; the
# attention scores and the weighted sum cost about $2 T D$ per position and layer. Which is
# larger for $T \le 512$ and $D = 128$?

# %% nbgrader={"grade": false, "grade_id": "kv_cache_prediction", "locked": false, "schema_version": 3, "solution": true, "task": false}
prediction_uncached_positions = None
prediction_cached_positions = None
prediction_growth = None
### BEGIN SOLUTION
prediction_uncached_positions = sum(range(28, 128))  # 28 + 29 + ... + 127 = 7750
prediction_cached_positions = 28 + 99  # the prefill, then 1 per step; the last token is not fed
prediction_growth = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_kv_cache_prediction_positions", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Predictions 1 and 2: the positions fed by generate and by generate_cached."""
checks.check_type(
    prediction_uncached_positions, (int, float), "prediction_uncached_positions", hint="a number"
)
checks.check_type(
    prediction_cached_positions, (int, float), "prediction_cached_positions", hint="a number"
)
### BEGIN HIDDEN TESTS
checks.check_close(float(prediction_uncached_positions), 7750.0, "prediction_uncached_positions")
checks.check_close(float(prediction_cached_positions), 127.0, "prediction_cached_positions")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_kv_cache_prediction_growth", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Prediction 3: how the time per token grows with the context, with and without the cache."""
checks.check_choice(prediction_growth, ["a", "b", "c", "d"], "prediction_growth")
### BEGIN HIDDEN TESTS
checks.check_equal(prediction_growth, "c", "prediction_growth")
### END HIDDEN TESTS

# %% [markdown]
# **The measurement.** For each context length $T$ we time `generate` and `generate_cached`
# on a random prompt of $T$ tokens making 1 and 17 new tokens; the difference, divided by
# 16, is the time of one generated token without the prefill (the fastest of a few runs, one
# CPU thread). The model is untrained (time does not depend on what the weights say) and has a
# `block_size` long enough that nothing is cropped.

# %% tags=["demo"]
KV_LENGTHS = size_switch(cpu=[32, 64, 128, 256, 512], gpu=[64, 256, 1024, 2048], device=DEVICE)
KV_STEPS = 16
torch.manual_seed(0)
kv_cfg = dataclasses.replace(CONFIG, block_size=max(KV_LENGTHS) + KV_STEPS + 1, dropout=0.0)
kv_model = GPT(vocab.size, kv_cfg).to(DEVICE).eval()


def per_token_ms(generator, prompt: torch.Tensor) -> float:
    """Milliseconds per generated token, without the prefill: (17 tokens - 1 token) / 16."""

    def timed(n: int) -> float:
        return measure.best_time(
            lambda: generator(kv_model, prompt, n), device=DEVICE, min_runs=3, max_runs=5
        )

    return 1e3 * (timed(KV_STEPS + 1) - timed(1)) / KV_STEPS


kv_times = []  # rows: (T, uncached ms, cached ms); nan where generate_cached is not written
kv_ready = cache_written()
kv_started = time.perf_counter()
with threads(1 if DEVICE.type == "cpu" else None):
    kv_threads = torch.get_num_threads()
    for length in KV_LENGTHS:
        kv_prompt = torch.randint(0, vocab.size, (1, length), device=DEVICE)
        kv_cached_ms = per_token_ms(generate_cached, kv_prompt) if kv_ready else math.nan
        kv_times.append((length, per_token_ms(generate, kv_prompt), kv_cached_ms))
kv_seconds = time.perf_counter() - kv_started
print(f"timed on {describe_device(DEVICE)} with {kv_threads} thread(s) in {kv_seconds:.1f} s")
print(f"{'context T':>9} | {'uncached ms':>11} | {'cached ms':>9} | {'ratio':>5}")
for length, plain_ms, cached_ms in kv_times:
    print(f"{length:>9} | {plain_ms:>11.2f} | {cached_ms:>9.2f} | {plain_ms / cached_ms:>5.1f}")

fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
kv_t = np.array([row[0] for row in kv_times], dtype=float)
ax.plot(kv_t, [row[1] for row in kv_times], "o-", color="tab:red", label="generate (no cache)")
ax.plot(kv_t, [row[2] for row in kv_times], "s-", color="tab:blue", label="generate_cached")
guide = kv_times[-1][1] * kv_t / kv_t[-1]
ax.plot(kv_t, guide, "k:", linewidth=1, label="∝ T, through the last red point")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("context length T (tokens already written)")
ax.set_ylabel("time per generated token (ms)")
ax.set_title(f"one generated token, batch 1 ({DEVICE.type})")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# **Reading the figure.** When this notebook was written (one thread of a 2-core CPU, batch
# 1) a token cost, without and with the cache (a second run gave numbers within 10% of these):
#
# | context $T$ | 32 | 64 | 128 | 256 | 512 |
# |---|---|---|---|---|---|
# | uncached (ms) | 1.6 | 2.1 | 3.3 | 7.0 | 17.7 |
# | cached (ms) | 0.68 | 0.73 | 0.79 | 0.92 | 1.14 |
#
# - *Without the cache* each token is a forward pass over all $T$ positions, and its time
#   grows about in proportion to $T$, from 32 to 256 a little slower (a fixed cost per call
#   is visible at short contexts), from 256 to 512 a little faster: there the $T \times T$
#   attention, $2TD$ per position and layer against $12D^2$ for the rest, has become two
#   fifths of the arithmetic.
# - *With the cache* each token is a forward pass over one position: the projections and the
#   feed-forward layer cost the same at every $T$, and only the one query's attention row
#   and the copy of the growing cache grow with $T$. The time grew by 1.7 times while $T$
#   grew 16-fold, and at $T = 512$ the cache made a token 15 times cheaper.
# - *Compare with your prediction.* If you chose (b), you expected the $T^2$ term to dominate:
#   it does only once $T$ is several times $6D$, where $2T^2D$ overtakes $12TD^2$. If you chose
#   (d), the fixed cost per call did hide the difference at $T = 32$, but not for long.
#
# Your numbers will differ with the machine, and on a busy one they jump around; the shape of
# the two curves should not. On a GPU (not measured for this text) we expect both curves to
# start flat, because one small forward pass cannot keep a GPU busy, and the uncached one to
# rise only at long contexts; for large models the cache matters most for memory traffic
# (Pope et al. 2022).
# The cache is not free either: it holds $2 \cdot L \cdot T \cdot D$ numbers per sequence
# (here 3 layers, 128 dimensions: 768 numbers per token), which for large models and long
# texts is what fills a GPU's memory during generation.

# %% [markdown]
# ## 9. The family: encoder-only, decoder-only, encoder-decoder
#
# This notebook kept the decoder of notebook 06 and dropped the encoder. The other choices
# are just as common, and the three families differ in two things only: **which positions
# may attend to which** (the mask) and **what the model is trained to predict** (the
# objective). The architecture inside each block is the same.
#
# | family | examples | self-attention mask | trained to | used for |
# |---|---|---|---|---|
# | encoder-only | BERT (Devlin et al. 2019), RoBERTa (Liu et al. 2019) | none: every position sees every other (padding aside) | fill in masked tokens from both sides (masked language modelling) | representations of a whole text: classification, search, tagging |
# | decoder-only | GPT (Radford et al. 2018, 2019), this notebook | causal: position $t$ sees $0..t$ | predict the next token | generation; with enough scale, most tasks phrased as text |
# | encoder-decoder | the Transformer (Vaswani et al. 2017), T5 (Raffel et al. 2020), BART (Lewis et al. 2020), notebook 06 | encoder: none; decoder: causal, plus cross-attention to every encoder position | produce a target text from a source text (translation; T5 and BART: restore corrupted text) | translation, summarisation: an input and an output that differ |
#
# Only a causal model can generate left to right with a key/value cache: in an encoder, a
# new token would change every earlier position's output, so nothing could be kept. An
# encoder-decoder caches its decoder's self-attention as we did, and computes the keys and
# values of the source once for all steps.

# %% tags=["demo"]
fig, axes = plt.subplots(1, 3, figsize=(15, 5.2), layout="constrained")
family_cmap = plt.matplotlib.colors.ListedColormap(["#f2f2f2", "#4c72b0"])
n_family = 6
panels = [
    (
        np.ones((n_family, n_family)),
        "encoder-only (BERT)\nmask: none · objective: masked tokens",
        [f"x{i}" if i not in (2, 4) else "[M]" for i in range(n_family)],
        [f"x{i}" if i not in (2, 4) else "[M]" for i in range(n_family)],
    ),
    (
        np.tril(np.ones((n_family, n_family))),
        "decoder-only (GPT, this notebook)\nmask: causal · objective: next token",
        [f"x{i}" for i in range(n_family)],
        [f"x{i}" for i in range(n_family)],
    ),
]
enc, dec = 3, 4  # an encoder-decoder: queries of both stacks (rows) against all keys (columns)
combined = np.zeros((enc + dec, enc + dec))
combined[:enc, :enc] = 1  # encoder self-attention: no mask
combined[enc:, :enc] = 1  # decoder cross-attention: every source position
combined[enc:, enc:] = np.tril(np.ones((dec, dec)))  # decoder self-attention: causal
labels = [f"s{i}" for i in range(enc)] + [f"y{i}" for i in range(dec)]
panels.append(
    (
        combined,
        "encoder-decoder (Transformer, T5)\nencoder: none · decoder: causal + cross",
        labels,
        labels,
    )
)
for ax, (grid, title, rows, cols) in zip(axes, panels, strict=True):
    ax.imshow(grid, cmap=family_cmap, vmin=0, vmax=1)
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title, fontsize=11)
    ax.set_xticks(np.arange(-0.5, len(cols)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
axes[2].axhline(enc - 0.5, color="black", linewidth=1.5)
axes[2].axvline(enc - 0.5, color="black", linewidth=1.5)
axes[2].text(1, enc + dec - 0.6, "cross", ha="center", color="white", fontsize=10)
fig.suptitle("Who may attend to whom (blue: allowed), and what each family is trained to predict")
plt.show()

# %% [markdown]
# ### Attention weights are not explanations
#
# This course reads many attention heatmaps, so a warning belongs here. A high weight says
# where a head *read* in one layer; it does not say that the model's output *depends* on that
# position, still less that the position is the reason for the prediction. Jain and Wallace,
# "Attention is not Explanation" (2019), found that attention weights often agree poorly with
# gradient-based and leave-one-out measures of importance, and that quite different weight
# distributions can give the same prediction. Wiegreffe and Pinter, "Attention is not not
# Explanation" (2019), answered that those alternative distributions were found example by
# example rather than by a trained model, and that whether weights explain depends on what
# one asks of an explanation; they proposed tests for it. Serrano and Smith, "Is Attention
# Interpretable?" (2019), removed the highest-weighted inputs and found that the decision
# often survives, where other importance rankings flip it sooner. In a deep Transformer
# there is one more catch: after the first layer, "position $s$" is already a mixture of
# many positions, so a weight on it is not a weight on the token $s$ (Brunner et al., "On
# Identifiability in Transformers", 2020; Abnar and Zuidema, "Quantifying Attention Flow in
# Transformers", 2020, trace weights through the layers instead). Read a heatmap as a
# hypothesis about what a head does, then test it, for instance by changing the input at
# the positions it points to and watching the output.
#
# ### Relatives and predecessors
#
# Attention is one instance of an old idea: a network in which one signal *multiplies*
# another, so that what the network computes depends on its input, rather than only its
# weights being fixed after training. A short family tree, with further reading:
#
# ```
# multiplicative interactions: one activity gates or scales another
# ├── sigma-pi units: a unit sums products of its inputs          (Rumelhart, Hinton, McClelland 1986)
# ├── multiplicative RNNs: the input picks the recurrent matrix     (Sutskever, Martens, Hinton 2011)
# ├── fast weights: one network writes weights that another uses  (Schmidhuber 1992; Ba et al. 2016)
# │   └── linear attention is a fast-weight memory                  (Schlag, Irie, Schmidhuber 2021)
# ├── hypernetworks: a network generates another's weights         (Ha, Dai, Le 2016)
# └── content-based addressing: read a memory by similarity
#     ├── neural Turing machines                                    (Graves, Wayne, Danihelka 2014)
#     ├── attention for translation (notebook 03)                   (Bahdanau, Cho, Bengio 2014)
#     ├── memory networks                                           (Sukhbaatar et al. 2015)
#     ├── differentiable neural computers                           (Graves et al. 2016)
#     └── the Transformer: attention only                           (Vaswani et al. 2017)
#         └── Perceiver: a small latent array cross-attends to a large input (Jaegle et al. 2021)
# ```
#
# - Rumelhart, Hinton and McClelland, *A General Framework for Parallel Distributed
#   Processing* (1986), chapter 2 of *Parallel Distributed Processing*, vol. 1: sigma-pi units.
# - Schmidhuber, *Learning to Control Fast-Weight Memories: An Alternative to Dynamic
#   Recurrent Networks* (1992).
# - Sutskever, Martens and Hinton, *Generating Text with Recurrent Neural Networks* (2011).
# - Graves, Wayne and Danihelka, *Neural Turing Machines* (2014).
# - Sukhbaatar, Szlam, Weston and Fergus, *End-To-End Memory Networks* (2015).
# - Ba, Hinton, Mnih, Leibo and Ionescu, *Using Fast Weights to Attend to the Recent Past* (2016).
# - Ha, Dai and Le, *HyperNetworks* (2016).
# - Graves et al., *Hybrid Computing Using a Neural Network with Dynamic External Memory*
#   (2016): the differentiable neural computer.
# - Schlag, Irie and Schmidhuber, *Linear Transformers Are Secretly Fast Weight Programmers*
#   (2021).
# - Jaegle et al., *Perceiver: General Perception with Iterative Attention* (2021).

# %% [markdown]
# ## 10. Check your understanding (6 points)
#
# Set each answer below. Multiple choice answers are a single letter (a string, like `"b"`);
# numeric answers are numbers.
#
# 1. A freshly initialised model gives each of the 96 characters about the same probability.
#    What is its loss, in nats per character? (a number, 2 decimals are enough)
# 2. In causal self-attention over $T = 6$ positions, how many (query, key) pairs get a
#    non-zero weight in one head? (a number)
# 3. `generate(model, idx, n, top_k=1)` is the same as: (a) sampling at temperature 1;
#    (b) sampling uniformly from the vocabulary; (c) greedy decoding, always the most likely
#    next token; (d) always the least likely token.
# 4. As the temperature grows very large, the distribution that `generate` samples from
#    approaches: (a) all the probability on the most likely token; (b) the model's own
#    distribution, unchanged; (c) the character frequencies of the corpus; (d) the uniform
#    distribution over the vocabulary.
# 5. In the lab, doubling $T$ multiplies the memory that the naive module keeps for the
#    backward pass, and that of the fused module, by about: (a) 4 and 2; (b) 2 and 2;
#    (c) 4 and 4; (d) 2 and 1.
# 6. Now explain what you measured in section 8. With the cache, the time per token still
#    grows a little with the context $T$. Why? (a) the caches are rebuilt from scratch at
#    every step; (b) the softmax over the vocabulary gets longer as the text grows; (c) the
#    position table is searched for the right row, which takes longer for later rows;
#    (d) the one new query still reads all $T$ cached keys and values in every layer, and
#    `torch.cat` copies the growing cache: work in proportion to $T$, but small next to the
#    $12 D^2$ per layer of the projections and the feed-forward layer, which do not grow.

# %% nbgrader={"grade": false, "grade_id": "understanding", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_1 = None
answer_2 = None
answer_3 = None
answer_4 = None
answer_5 = None
answer_6 = None
### BEGIN SOLUTION
answer_1 = 4.56
answer_2 = 21
answer_3 = "c"
answer_4 = "d"
answer_5 = "a"
answer_6 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 1: the loss of uniform guessing."""
checks.check_type(answer_1, (int, float), "answer_1", hint="a number, like 2.5")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_1), math.log(96), "answer_1", atol=0.01)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 2: how many pairs the causal mask keeps."""
checks.check_type(answer_2, (int, float), "answer_2", hint="a number, like 10")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_2), 21.0, "answer_2")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 3: top_k=1."""
checks.check_choice(answer_3, ["a", "b", "c", "d"], "answer_3")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_3, "c", "answer_3")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 4: a very high temperature."""
checks.check_choice(answer_4, ["a", "b", "c", "d"], "answer_4")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_4, "d", "answer_4")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q5", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 5: how attention's memory grows."""
checks.check_choice(answer_5, ["a", "b", "c", "d"], "answer_5")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_5, "a", "answer_5")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q6", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 6: why the cached time per token still grows with the context."""
checks.check_choice(answer_6, ["a", "b", "c", "d"], "answer_6")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_6, "d", "answer_6")
### END HIDDEN TESTS

# %% [markdown]
# ## Recap
#
# - A **language model** is scored by its cross-entropy in nats per token. $\ln V$ is
#   uniform guessing; the unigram entropy is the best a model without context can do; what a
#   model gains below it, it gains from the context.
# - A **decoder-only** Transformer predicts the next token at every position at once. The
#   **causal mask** ($-\infty$ above the diagonal, before the softmax) is what makes that
#   honest: position $t$ sees positions $0..t$ only. One `qkv` projection, split into heads,
#   scaled by $\sqrt{d_\text{head}}$; with its weights copied, `nn.MultiheadAttention` with
#   a causal `attn_mask` computes the same function.
# - **Generation** is a loop: crop to `block_size`, take the last position's logits, divide by
#   the temperature, optionally keep the top $k$ (the rest to $-\infty$, never 0), softmax,
#   `torch.multinomial`, append. `top_k=1` and $\tau \to 0$ are greedy; $\tau \to \infty$ is
#   uniform.
# - A **training step**: `zero_grad`, forward, mean cross-entropy over `(B·T, V)`, `backward`,
#   `clip_grad_norm_` (before the step), `step`; return `loss.item()`. AdamW with decay on
#   the matrices, warm-up then cosine decay, and mixed precision on GPUs that support
#   bfloat16.
# - Naive attention stores $T \times T$ matrices: its training memory grows as $T^2$.
#   Fused kernels (`F.scaled_dot_product_attention`, FlashAttention) compute the same function
#   in $O(T)$ memory, and faster.
# - A **key/value cache** keeps each layer's keys and values, `(B, h, T, d_head)`, so that a
#   generation step feeds one token: its position embedding is row $T_\text{past}$, its
#   query reads every cached key, and the cache grows by one along the time axis. It computes
#   exactly what the uncached model computes (the same tokens, logits equal to rounding) for
#   a fraction of the work per token. With learned absolute positions it must start again
#   when the window is full.
# - Encoder-only, decoder-only and encoder-decoder Transformers differ in their masks (none,
#   causal, both plus cross-attention) and their objectives (masked tokens, next token,
#   target from source). Attention weights show where a head reads, not why the model
#   decides: treat a heatmap as a hypothesis.
#
# ## Further reading
#
# - Radford, Narasimhan, Salimans and Sutskever, *Improving Language Understanding by
#   Generative Pre-Training* (2018): the first GPT, a decoder-only Transformer pre-trained as
#   a language model.
# - Radford, Wu, Child, Luan, Amodei and Sutskever, *Language Models are Unsupervised
#   Multitask Learners* (2019): GPT-2, with the pre-norm blocks and scaled initialisation used
#   here.
# - Vaswani et al., *Attention Is All You Need* (2017): the Transformer, and its masked
#   decoder self-attention.
# - Xiong et al., *On Layer Normalization in the Transformer Architecture* (2020): why
#   pre-norm trains more easily than post-norm.
# - Loshchilov and Hutter, *Decoupled Weight Decay Regularization* (2019): AdamW.
# - Fan, Lewis and Dauphin, *Hierarchical Neural Story Generation* (2018): top-k sampling.
# - Holtzman, Buys, Du, Forbes and Choi, *The Curious Case of Neural Text Degeneration*
#   (2020): why the most likely text is not the best, and nucleus sampling.
# - Rabe and Staats, *Self-attention Does Not Need O(n²) Memory* (2021).
# - Dao, Fu, Ermon, Rudra and Ré, *FlashAttention: Fast and Memory-Efficient Exact Attention
#   with IO-Awareness* (2022).
# - Micikevicius et al., *Mixed Precision Training* (2018).
# - Shannon, *Prediction and Entropy of Printed English* (1951): how many bits a character of
#   English carries, measured with human guessers.
# - Pope et al., *Efficiently Scaling Transformer Inference* (2022): the key/value cache and
#   what limits generation on large models.
# - Devlin, Chang, Lee and Toutanova, *BERT: Pre-training of Deep Bidirectional Transformers
#   for Language Understanding* (2019); Raffel et al., *Exploring the Limits of Transfer
#   Learning with a Unified Text-to-Text Transformer* (2020): T5; Lewis et al., *BART:
#   Denoising Sequence-to-Sequence Pre-training for Natural Language Generation, Translation,
#   and Comprehension* (2020).
# - Jain and Wallace, *Attention is not Explanation* (2019); Wiegreffe and Pinter, *Attention
#   is not not Explanation* (2019); Serrano and Smith, *Is Attention Interpretable?* (2019).
# - Section 9 lists the papers of attention's family tree.
