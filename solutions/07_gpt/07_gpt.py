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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attention-course/attention-course/blob/main/notebooks/07_gpt/07_gpt.ipynb)

# %% [markdown]
# # 07 · A small GPT: a character-level language model, from attention to samples
#
# Notebooks 04 to 06 built attention and the Transformer around it. This notebook keeps only
# half of the Transformer, the decoder, and asks it to do a single thing: read some text and
# guess the next character. That one skill, applied over and over, is enough to *write*: guess
# a character, append it, guess the next one. Models of this kind, decoder-only Transformers
# trained to predict the next token, are the GPT family (Radford et al. 2018, 2019), and the
# recipe in this notebook is theirs at a few hundred-thousandth of the scale.
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
#   FlashAttention) saves.
#
# **Prerequisites**: notebook 05 (multi-head attention: heads as slices of the features,
# split and merge) and notebook 06 (residual connections, layer norm, feed-forward layers).
# PyTorch: `nn.Module`, `nn.Linear`, `F.cross_entropy`, an optimizer's `zero_grad` / `step`.
# This notebook runs on its own: everything it needs from earlier notebooks is recalled.
#
# **Estimated time**: about 2 hours. Running every cell took 94 to 123 s on a 2-core CPU
# (74 to 91 s of it training the small model, about 17 s the attention lab); no GPU needed. With a GPU
# the notebook switches by itself to a bigger model (6 layers, 384 dimensions, 256
# characters of context) trained for 1200 steps, in mixed precision where the GPU supports
# bfloat16. Not yet measured on a GPU: we estimate 1 to 2 minutes for the whole notebook on
# an A100 or H100, and 5 to 10 minutes on Colab's free T4 (which computes in float32).
#
# **How this notebook works**: exercises are marked `YOUR CODE HERE`. Replace the
# `raise NotImplementedError()` line with your code, run the cell, then run the test cells
# under it. A failing test tells you what it expected, what it got, and the likely mistake.
# Some tests are hidden and run only when your work is graded, so make your code right in
# general, not just for the visible examples. The training and sampling cells use all four
# of your functions, so do the exercises first.

# %%
# Colab, or a Python without the course: install its helper library first.
import importlib.util
import os
import subprocess
import sys

COURSE_REPOSITORY = "git+https://github.com/attention-course/attention-course@main"
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
# `torch.softmax`): the graded tests switch off `F.scaled_dot_product_attention` and
# `nn.MultiheadAttention`. No loop over heads or positions. Create the mask on `x.device`.

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
# position's output should equal `proj(v_0)` (a difference around `1e-8`).

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
with checks.disabled(*_builtins), torch.no_grad():
    _out = _attn(torch.randn(2, 3, 8))
checks.check_shape(
    _out,
    (2, 3, 8),
    "CausalSelfAttention(8, 2) with the built-in attention functions disabled",
    hint="write the scores, mask, softmax and weighted sum yourself with @ and torch.softmax",
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
#   of each sub-layer ("pre-norm") rather than its output keeps the residual path clean, and
#   trains without the careful warm-up that post-norm Transformers need (Xiong et al. 2020).
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
# - `k >= V`: nothing is filtered, return the logits unchanged.
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
        return logits
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
# more variety, the layout of docstrings (short lines, indented examples, `>>>` prompts,
# parameter names), and more invented words. At 1.5 (18%) the flattened distribution lets
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
# CPU both modules run on one thread, as in training, which also makes the timings less noisy.

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
print(f"lab on {describe_device(DEVICE)}: {time.perf_counter() - lab_started:.1f} s")
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
#   away and never writes and reads back the big matrices. On the machine this was written
#   on (one CPU thread) the two took about the same time up to $T = 256$, and the fused one
#   was 3, 4 and 6 times faster at $T$ = 512, 1024 and 2048. On a GPU the gap is larger, since
#   memory traffic is what limits naive attention there; and at the longest lengths the naive
#   module runs out of GPU memory (`OOM` in the table) while the fused one keeps going.
#
# This is why long contexts became affordable: not by doing less arithmetic, but by never
# storing the $T \times T$ matrix. Every modern Transformer library calls such a kernel.

# %% [markdown]
# ## 8. Check your understanding (5 points)
#
# Set each answer below. Multiple choice answers are a single letter (a string, like `"b"`);
# numeric answers are numbers.
#
# 1. A freshly initialised model gives each of the 96 characters about the same probability.
#    What is its loss, in nats per character? (a number, 2 decimals are enough)
# 2. In causal self-attention over $T = 6$ positions, how many (query, key) pairs get a
#    non-zero weight in one head? (a number)
# 3. `generate(model, idx, n, top_k=1)` is the same as: (a) sampling at temperature 1;
#    (b) greedy decoding, always the most likely next token; (c) sampling uniformly from the
#    vocabulary; (d) always the least likely token.
# 4. As the temperature grows very large, the distribution that `generate` samples from
#    approaches: (a) all the probability on the most likely token; (b) the uniform distribution
#    over the vocabulary; (c) the model's own distribution, unchanged; (d) the character
#    frequencies of the corpus.
# 5. In the lab, doubling $T$ multiplies the memory that the naive module keeps for the
#    backward pass, and that of the fused module, by about: (a) 2 and 2; (b) 4 and 2;
#    (c) 4 and 4; (d) 2 and 1.

# %% nbgrader={"grade": false, "grade_id": "understanding", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_1 = None
answer_2 = None
answer_3 = None
answer_4 = None
answer_5 = None
### BEGIN SOLUTION
answer_1 = 4.56
answer_2 = 21
answer_3 = "b"
answer_4 = "b"
answer_5 = "b"
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
checks.check_equal(answer_3, "b", "answer_3")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 4: a very high temperature."""
checks.check_choice(answer_4, ["a", "b", "c", "d"], "answer_4")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_4, "b", "answer_4")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q5", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 5: how attention's memory grows."""
checks.check_choice(answer_5, ["a", "b", "c", "d"], "answer_5")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_5, "b", "answer_5")
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
