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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attention-course/attention-course-student/blob/main/notebooks/02_similarity/02_similarity.ipynb)

# %% [markdown]
# # 02 · Similarity: dot products, norms and cosine
#
# Attention starts with a question that sounds simple: *which of these vectors is most like
# that one?* A decoder about to emit a word asks it of every encoder output, and a
# Transformer asks it of every pair of tokens in a sentence. This notebook builds the two
# standard answers, the **dot product** and **cosine similarity**, and the
# difference between them that matters in practice.
#
# **You will learn to**
# - compute dot products of one query against many keys in a single matrix product;
# - compute vector norms and cosine similarity, including the zero-vector edge case;
# - build a whole similarity matrix between two sets of vectors at once;
# - find a word's nearest neighbours in an embedding table;
# - explain why attention uses the dot product and what it is sensitive to.
#
# **Prerequisites**: Python and a little numpy (arrays, `@`, `axis=`); vectors and angles from
# school geometry. Notebook 01 motivates *why* we need similarity, but this one stands alone.
#
# **Estimated time**: about 1 hour. Running every cell takes a few seconds on a laptop CPU;
# no GPU needed.
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

from course_lib import checks, data, plots
from course_lib.device import describe_device, get_device, seed_everything

np.set_printoptions(precision=3, suppress=True)

# As in every notebook: seed the random number generators and pick the device.
seed_everything(0)
DEVICE = get_device()
print(describe_device(DEVICE))

# %% [markdown]
# ## 1. Why a decoder needs a similarity score
#
# A basic encoder-decoder squeezes the whole input sentence into one context vector. Take the
# two-word sentence "Let's go", which we want to translate into "Vamos". The encoder reads
# "let's", then "go", and produces one output vector per word. The decoder begins with an
# end-of-sentence token, `<EOS>`, and produces an output vector of its own. (Some descriptions
# of this model, like this example, start the decoder with `<EOS>`: one token then marks both
# "the source is finished" and "start writing". Notebook 01 and the code of this course use a
# separate start token, `SOS`, for "start of sequence". Which token starts the decoder is a
# naming convention; the method is the same.)
#
# The idea behind attention is to let the decoder, at each step, look back at *every* encoder
# output and decide how much each one should matter for the word it is about to produce. The
# first ingredient of that decision is a number per encoder output that says how similar it is
# to what the decoder currently holds. Here are made-up but plausible numbers: two-dimensional
# outputs, as from an LSTM with two units.

# %%
example = data.lets_go_example()
for token, vec in zip(example.source_tokens, example.encoder_outputs, strict=True):
    print(f"encoder output for {token!r:8}: {vec}")
print(f"decoder output at <EOS>     : {example.decoder_output}")


# %% [markdown]
# Which encoder output is the decoder's closer to? By eye it is hard to say. We need a score.

# %% [markdown]
# ## 2. The dot product
#
# For two vectors $\mathbf{a}, \mathbf{b} \in \mathbb{R}^d$ the dot product multiplies matching
# components and adds them up:
#
# $$\mathbf{a} \cdot \mathbf{b} = \sum_{i=1}^{d} a_i b_i .$$
#
# It is large and positive when the vectors point the same way, near zero when they are
# unrelated (perpendicular), and negative when they point in opposite directions. Geometrically,
#
# $$\mathbf{a} \cdot \mathbf{b} = \lVert\mathbf{a}\rVert\,\lVert\mathbf{b}\rVert \cos\theta ,$$
#
# where $\theta$ is the angle between them and $\lVert\mathbf{a}\rVert = \sqrt{\mathbf{a}\cdot\mathbf{a}}$
# is the length (Euclidean norm). Keep that formula in mind: the dot product mixes *direction*
# (the cosine) with *length* (the norms).
#
# In attention we score one **query** against many **keys**. Stack the keys as the rows of a
# matrix $K$ of shape $(n, d)$; then all $n$ dot products are one matrix-vector product,
# $K\mathbf{q}$, of shape $(n,)$. No Python loop is needed, and that is what makes attention fast.

# %% [markdown]
# ### Exercise 2.1: dot-product scores of one query against many keys (3 points)
#
# Write `dot_scores(query, keys)`: `query` has shape `(d,)`, `keys` has shape `(n, d)`; return
# the `n` dot products as an array of shape `(n,)`. Use a vectorised numpy expression, not a
# Python loop.

# %% nbgrader={"grade": false, "grade_id": "dot_scores", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dot_scores(query: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Dot product of ``query`` with every row of ``keys``.

    Args:
        query: (d,)
        keys: (n, d), one key per row.

    Returns:
        (n,) where entry i is ``query · keys[i]``.
    """
    ### BEGIN SOLUTION
    return keys @ query
    ### END SOLUTION


# %% [markdown]
# **Try it.** The query `[1, 2]` against keys `[1, 0]`, `[0, 1]` and `[3, -1]` should give
# `[1. 2. 1.]`: the third key is long, but it points partly away from the query.

# %%
dot_scores(np.array([1.0, 2.0]), np.array([[1.0, 0.0], [0.0, 1.0], [3.0, -1.0]]))

# %% nbgrader={"grade": true, "grade_id": "test_dot_scores_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""dot_scores returns one score per key: shape (n,)."""
_q = np.array([1.0, 2.0, 3.0])
_K = np.arange(12.0).reshape(4, 3)
checks.check_shape(
    dot_scores(_q, _K),
    (4,),
    "dot_scores(query (3,), keys (4, 3))",
    hint="one score per row of keys: multiply keys by query and sum over the feature axis",
)
### BEGIN HIDDEN TESTS
checks.check_shape(dot_scores(_q, _K[:1]), (1,), "dot_scores with a single key")
checks.check_shape(dot_scores(np.ones(7), np.ones((9, 7))), (9,), "dot_scores(keys (9, 7))")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_dot_scores_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""dot_scores computes sum_i query[i] * keys[j, i] for every key j."""
checks.check_close(
    dot_scores(np.array([1.0, 2.0]), np.array([[1.0, 0.0], [0.0, 1.0], [3.0, -1.0]])),
    np.array([1.0, 2.0, 1.0]),
    "dot_scores([1, 2], [[1, 0], [0, 1], [3, -1]])",
    hint="1*1 + 2*0 = 1, 1*0 + 2*1 = 2, 1*3 + 2*(-1) = 1; do not normalise or take absolute values",
)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(21)
for _n, _d in [(5, 3), (1, 8), (16, 4)]:
    _q = _rng.normal(size=_d)
    _K = _rng.normal(size=(_n, _d)) * _rng.uniform(0.1, 10.0, size=(_n, 1))
    _expected = np.array(
        [sum(float(a) * float(b) for a, b in zip(_q, row, strict=True)) for row in _K]
    )
    checks.check_close(
        dot_scores(_q, _K), _expected, f"dot_scores on random keys ({_n}, {_d})", atol=1e-9
    )
_q_copy, _K_copy = _q.copy(), _K.copy()
dot_scores(_q, _K)
checks.check_close(_q, _q_copy, "query after dot_scores (must not be modified)")
checks.check_close(_K, _K_copy, "keys after dot_scores (must not be modified)")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Norms and cosine similarity
#
# Divide the dot product by both lengths and only the direction is left:
#
# $$\cos(\mathbf{a}, \mathbf{b}) = \frac{\mathbf{a}\cdot\mathbf{b}}{\lVert\mathbf{a}\rVert\,\lVert\mathbf{b}\rVert} \in [-1, 1].$$
#
# It is $1$ for vectors pointing the same way (whatever their lengths), $0$ for perpendicular
# vectors and $-1$ for opposite ones. Scaling either vector by a positive number does not change
# it. One case needs a decision: a zero vector has no direction, and the formula divides by
# zero. We define the cosine similarity with a zero vector to be `0.0`, "no evidence of
# similarity", which is also what `torch.nn.functional.cosine_similarity` returns.

# %% [markdown]
# ### Exercise 2.2: cosine similarity of two vectors (4 points)
#
# Write `cosine_similarity(a, b)` for two vectors of shape `(d,)`. Return a Python `float` in
# $[-1, 1]$, and `0.0` when either vector is all zeros (without dividing by zero: no `nan`, no
# warning). `np.linalg.norm` is allowed; so is writing the norm yourself.

# %% nbgrader={"grade": false, "grade_id": "cosine_similarity", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between ``a`` and ``b``.

    Args:
        a: (d,)
        b: (d,)

    Returns:
        A float in [-1, 1]; 0.0 when either vector is zero.
    """
    ### BEGIN SOLUTION
    norm_a = np.sqrt(np.sum(a * a))
    norm_b = np.sqrt(np.sum(b * b))
    if norm_a == 0.0 or norm_b == 0.0:
        return 0.0
    return float(np.dot(a, b) / (norm_a * norm_b))
    ### END SOLUTION


# %% [markdown]
# **Try it.** `[1, 0]` and `[1, 1]` are 45° apart, so you should see about `0.7071`
# ($1/\sqrt{2}$); `[2, 0]` and `[-5, 0]` point in opposite directions: `-1.0`.

# %%
print(cosine_similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0])))
print(cosine_similarity(np.array([2.0, 0.0]), np.array([-5.0, 0.0])))

# %% nbgrader={"grade": true, "grade_id": "test_cosine_similarity_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""cosine_similarity returns a float equal to a.b / (|a| |b|)."""
_got = cosine_similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
checks.check_type(
    _got,
    float,
    "cosine_similarity([1, 0], [1, 1])",
    hint="return a single number, e.g. float(...), not an array",
)
checks.check_close(
    _got,
    1 / np.sqrt(2),
    "cosine_similarity([1, 0], [1, 1])",
    hint="divide the dot product (1) by BOTH norms (1 and sqrt(2))",
)
checks.check_close(
    cosine_similarity(np.array([3.0, 4.0]), np.array([4.0, 3.0])),
    24 / 25,
    "cosine_similarity([3, 4], [4, 3])",
    hint="the norms are Euclidean: sqrt(3**2 + 4**2) = 5, not 3 + 4 = 7",
)
checks.check_in_range(
    cosine_similarity(np.array([3.0, 4.0]), np.array([-6.0, -8.0])),
    -1.0,
    1.0,
    "cosine_similarity([3, 4], [-6, -8])",
    hint="a cosine lies in [-1, 1]: divide by the product of both norms",
)
### BEGIN HIDDEN TESTS
import torch
import torch.nn.functional as F

_rng = np.random.default_rng(22)
for _d in (2, 5, 64):
    for _ in range(5):
        _a = _rng.normal(size=_d) * _rng.uniform(0.01, 100)
        _b = _rng.normal(size=_d) * _rng.uniform(0.01, 100)
        _ref = float(F.cosine_similarity(torch.tensor(_a), torch.tensor(_b), dim=0))
        _got = cosine_similarity(_a, _b)
        checks.check_close(_got, _ref, f"cosine_similarity on random vectors (d={_d})", atol=1e-9)
        checks.check_in_range(_got, -1.0, 1.0, "cosine_similarity")
_a = _rng.normal(size=6)
checks.check_close(cosine_similarity(_a, _a), 1.0, "cosine_similarity(a, a)", atol=1e-9)
checks.check_close(cosine_similarity(_a, -_a), -1.0, "cosine_similarity(a, -a)", atol=1e-9)
checks.check_close(
    cosine_similarity(np.array([1.0, 0.0]), np.array([0.0, 3.0])),
    0.0,
    "cosine_similarity of perpendicular vectors",
    atol=1e-12,
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_cosine_similarity_scale", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""cosine_similarity ignores length: scaling a vector by c > 0 leaves it unchanged."""
_a, _b = np.array([1.0, 2.0, 2.0]), np.array([2.0, 0.0, 1.0])
checks.check_close(
    cosine_similarity(10.0 * _a, _b),
    cosine_similarity(_a, _b),
    "cosine_similarity(10 * a, b) vs cosine_similarity(a, b)",
    hint="normalise by the norms of both vectors, so that lengths cancel",
)
### BEGIN HIDDEN TESTS
checks.check_close(
    cosine_similarity(_a, 0.001 * _b), cosine_similarity(_a, _b), "cosine_similarity(a, 0.001 * b)"
)
checks.check_close(
    cosine_similarity(-3.0 * _a, _b),
    -cosine_similarity(_a, _b),
    "cosine_similarity(-3 * a, b) (a negative scale flips the sign)",
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_cosine_similarity_zero", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""cosine_similarity is 0.0, not nan, when a vector is all zeros."""
_got = cosine_similarity(np.zeros(3), np.array([1.0, 2.0, 3.0]))
checks.check_finite(
    _got,
    "cosine_similarity(zeros, b)",
    hint="0/0 is nan: check for a zero norm before dividing and return 0.0",
)
checks.check_close(
    _got, 0.0, "cosine_similarity(zeros, b)", hint="a zero vector has no direction: return 0.0"
)
### BEGIN HIDDEN TESTS
for _a, _b in [(np.array([1.0, -1.0]), np.zeros(2)), (np.zeros(4), np.zeros(4))]:
    _got = cosine_similarity(_a, _b)
    checks.check_finite(_got, "cosine_similarity with a zero vector")
    checks.check_close(_got, 0.0, "cosine_similarity with a zero vector")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Every pair at once: the similarity matrix
#
# Attention scores every query against every key. With queries as the rows of $A$ $(m, d)$ and
# keys as the rows of $B$ $(n, d)$, all dot products are $AB^\top$, an $(m, n)$ matrix. For
# cosine similarity, first divide each **row** by its own norm, then take the same product:
#
# $$S = \hat{A}\hat{B}^\top, \qquad \hat{A}_{i,:} = \frac{A_{i,:}}{\lVert A_{i,:}\rVert}.$$
#
# Watch the axis: each row is one vector, so its norm is taken along the feature axis
# (`axis=1`, or `axis=-1`), and `keepdims=True` keeps the shape `(m, 1)` that broadcasts
# against `(m, d)`.

# %% [markdown]
# ### Exercise 2.3: the cosine similarity matrix (4 points)
#
# Write `cosine_similarity_matrix(A, B)`: `A` of shape `(m, d)`, `B` of shape `(n, d)`; return
# `S` of shape `(m, n)` with `S[i, j] = cosine_similarity(A[i], B[j])`, and `0.0` wherever a row
# is all zeros. Vectorise it: no Python loop over rows.

# %% nbgrader={"grade": false, "grade_id": "cosine_similarity_matrix", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cosine_similarity_matrix(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``A`` with every row of ``B``.

    Args:
        A: (m, d)
        B: (n, d)

    Returns:
        (m, n), entry (i, j) is the cosine similarity of A[i] and B[j]; 0.0 for zero rows.
    """
    ### BEGIN SOLUTION
    norm_a = np.linalg.norm(A, axis=1, keepdims=True)  # (m, 1)
    norm_b = np.linalg.norm(B, axis=1, keepdims=True)  # (n, 1)
    A_hat = np.divide(A, norm_a, out=np.zeros_like(A, dtype=float), where=norm_a > 0)
    B_hat = np.divide(B, norm_b, out=np.zeros_like(B, dtype=float), where=norm_b > 0)
    return A_hat @ B_hat.T  # (m, n)
    ### END SOLUTION


# %% [markdown]
# **Try it.** Rows `[1, 0]` and `[0, 2]` against rows `[3, 0]`, `[1, 1]` and `[0, -1]` should
# give
# ```
# [[ 1.     0.707  0.   ]
#  [ 0.     0.707 -1.   ]]
# ```

# %%
cosine_similarity_matrix(
    np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[3.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
)

# %% nbgrader={"grade": true, "grade_id": "test_cosine_similarity_matrix_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""cosine_similarity_matrix(A (m, d), B (n, d)) has shape (m, n)."""
_A, _B = np.ones((2, 4)), np.ones((5, 4))
checks.check_shape(
    cosine_similarity_matrix(_A, _B),
    (2, 5),
    "cosine_similarity_matrix(A (2, 4), B (5, 4))",
    hint="rows of the result are rows of A, columns are rows of B: A_hat @ B_hat.T",
)
### BEGIN HIDDEN TESTS
checks.check_shape(
    cosine_similarity_matrix(np.ones((7, 3)), np.ones((1, 3))),
    (7, 1),
    "cosine_similarity_matrix(A (7, 3), B (1, 3))",
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_cosine_similarity_matrix_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""cosine_similarity_matrix[i, j] is the cosine similarity of A[i] and B[j]."""
checks.check_close(
    cosine_similarity_matrix(
        np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[3.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    ),
    np.array([[1.0, 1 / np.sqrt(2), 0.0], [0.0, 1 / np.sqrt(2), -1.0]]),
    "cosine_similarity_matrix([[1, 0], [0, 2]], [[3, 0], [1, 1], [0, -1]])",
    hint="normalise every row of A and of B by its own norm (axis=1, keepdims=True) first",
)
### BEGIN HIDDEN TESTS
import torch
import torch.nn.functional as F

_rng = np.random.default_rng(23)
for _m, _n, _d in [(3, 4, 5), (6, 6, 2), (1, 9, 16)]:
    _A = _rng.normal(size=(_m, _d)) * _rng.uniform(0.1, 20.0, size=(_m, 1))
    _B = _rng.normal(size=(_n, _d)) * _rng.uniform(0.1, 20.0, size=(_n, 1))
    _ref = F.cosine_similarity(torch.tensor(_A)[:, None, :], torch.tensor(_B)[None, :, :], dim=-1)
    checks.check_close(
        cosine_similarity_matrix(_A, _B),
        _ref.numpy(),
        f"cosine_similarity_matrix on random A ({_m}, {_d}), B ({_n}, {_d})",
        atol=1e-9,
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_cosine_similarity_matrix_zero_rows", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""cosine_similarity_matrix gives 0.0, not nan, for rows that are all zeros."""
_S = cosine_similarity_matrix(
    np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [0.0, 0.0]])
)
checks.check_finite(
    _S,
    "cosine_similarity_matrix with zero rows",
    hint="divide only where the norm is positive (np.divide(..., where=norm > 0))",
)
checks.check_close(
    _S, np.array([[0.0, 0.0], [1 / np.sqrt(2), 0.0]]), "cosine_similarity_matrix with zero rows"
)
### BEGIN HIDDEN TESTS
_A = np.zeros((3, 4))
_A[1] = [1.0, 2.0, 3.0, 4.0]
_S = cosine_similarity_matrix(_A, _A)
checks.check_finite(_S, "cosine_similarity_matrix(A, A) with zero rows")
checks.check_close(_S, np.diag([0.0, 1.0, 0.0]), "cosine_similarity_matrix(A, A) with zero rows")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Nearest neighbours in an embedding table
#
# Words can be represented by vectors (embeddings) such that related words point in related
# directions. `course_lib.data` ships a tiny hand-made table so that you can see everything:
# each dimension has a meaning, written in the table's source.

# %%
vocab, E = data.word_embeddings()
print(f"{len(vocab)} words, embedding dimension {E.shape[1]}")
for word, vec in zip(vocab, E, strict=True):
    print(f"{word:>8}  norm {np.linalg.norm(vec):5.2f}  {vec}")


# %% [markdown]
# The norms differ a lot: some words are "loud". Keep that in mind for section 6.
#
# ### Exercise 2.4: the most similar words (4 points)
#
# Write `most_similar(word, embeddings, vocab, k)`: return a list of the `k` words whose
# embeddings have the highest **cosine** similarity with `word`'s embedding, most similar first,
# and never `word` itself. `embeddings[i]` is the vector of `vocab[i]`. Reuse your
# `cosine_similarity_matrix`. For a word that is not in `vocab`, raise a `KeyError`. Words whose
# similarities are exactly equal (a tie) may come in any order among themselves.
#
# Hint: `np.argsort` sorts ascending; to exclude the word, you can set its own score to `-np.inf`
# before sorting.

# %% nbgrader={"grade": false, "grade_id": "most_similar", "locked": false, "schema_version": 3, "solution": true, "task": false}
def most_similar(word: str, embeddings: np.ndarray, vocab: list[str], k: int = 3) -> list[str]:
    """The ``k`` words closest to ``word`` by cosine similarity, most similar first.

    Args:
        word: a word in ``vocab``.
        embeddings: (V, d), row i is the embedding of ``vocab[i]``.
        vocab: V distinct words.
        k: how many neighbours to return (1 <= k < V).

    Returns:
        ``k`` words from ``vocab``, excluding ``word``, by decreasing cosine similarity
        (words with equal similarity in any order).

    Raises:
        KeyError: if ``word`` is not in ``vocab``.
    """
    ### BEGIN SOLUTION
    if word not in vocab:
        raise KeyError(f"{word!r} is not in the vocabulary")
    index = vocab.index(word)
    scores = cosine_similarity_matrix(embeddings[index : index + 1], embeddings)[0]  # (V,)
    scores[index] = -np.inf
    order = np.argsort(-scores, kind="stable")[:k]
    return [vocab[i] for i in order]
    ### END SOLUTION


# %% [markdown]
# **Try it.** The three nearest neighbours of `"cat"` should be animals, with `"kitten"` first.

# %%
most_similar("cat", E, vocab, k=3)

# %% nbgrader={"grade": true, "grade_id": "test_most_similar_excludes_word", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""most_similar never returns the query word itself."""
for _w in vocab:
    _got = most_similar(_w, E, vocab, k=3)
    if _w in _got:
        raise checks.CheckError(
            f"most_similar({_w!r}, k=3) returned {_got}: the word itself is among its neighbours\n"
            "  likely mistake: a vector is always most similar to itself; exclude the word "
            "(e.g. set its own score to -inf) before ranking"
        )
checks.check_equal(
    sorted(most_similar("cat", E, vocab, k=len(vocab) - 1)),
    sorted(_w for _w in vocab if _w != "cat"),
    "most_similar('cat', k=V-1), sorted",
    hint="with k = V - 1, every other word comes back exactly once",
)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(24)
_V = [f"w{i}" for i in range(12)]
_X = _rng.normal(size=(12, 5))
for _i, _w in enumerate(_V):
    _got = most_similar(_w, _X * np.arange(1, 13)[:, None], _V, k=11)
    checks.check_equal(
        sorted(_got),
        sorted(_V[:_i] + _V[_i + 1 :]),
        f"most_similar({_w!r}, k=V-1) returns every other word exactly once",
    )
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_most_similar_ranking", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""most_similar ranks by cosine similarity, most similar first."""
checks.check_equal(
    most_similar("cat", E, vocab, k=1),
    ["kitten"],
    "most_similar('cat', k=1)",
    hint="rank by COSINE similarity (direction), not by the raw dot product, and sort descending",
)
_i = vocab.index("cat")
_cos = E @ E[_i] / (np.linalg.norm(E, axis=1) * np.linalg.norm(E[_i]))  # (V,)
checks.check_close(
    np.array([_cos[vocab.index(_w)] for _w in most_similar("cat", E, vocab, k=3)]),
    np.sort(np.delete(_cos, _i))[::-1][:3],
    "cosine similarities of most_similar('cat', k=3) to 'cat'",
    hint="the k highest cosine similarities, largest first (tied words in any order)",
)
### BEGIN HIDDEN TESTS
import torch
import torch.nn.functional as F


def _check_ranking(word, emb, words, k, what):
    """Graded by similarity values: words that tie may come in any order."""
    t = torch.tensor(emb)
    i = words.index(word)
    sims = F.cosine_similarity(t[i : i + 1], t, dim=-1).tolist()
    best = sorted((s for j, s in enumerate(sims) if j != i), reverse=True)[:k]
    got = most_similar(word, emb, words, k)
    checks.check_equal(word in got, False, f"{what}: the word itself is left out")
    checks.check_equal(len(set(got)), len(got), f"{what}: each word at most once")
    checks.check_close(
        np.array([sims[words.index(w)] for w in got]), np.array(best), f"{what}", atol=1e-9
    )


for _w in vocab:
    _check_ranking(_w, E, vocab, 4, f"most_similar({_w!r}, k=4) on the course table")
_rng = np.random.default_rng(25)
_V = [f"w{i}" for i in range(20)]
_X = _rng.normal(size=(20, 6)) * _rng.uniform(0.05, 30.0, size=(20, 1))
for _w in _V[:8]:
    _check_ranking(_w, _X, _V, 5, f"most_similar({_w!r}, k=5), random table, varied norms")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_most_similar_k", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""most_similar returns a list of exactly k words (strings), and KeyError for unknown words."""
for _k in (1, 2, 5):
    _got = most_similar("cat", E, vocab, k=_k)
    checks.check_type(
        _got,
        list,
        f"most_similar('cat', k={_k})",
        hint="return a Python list of words, e.g. [vocab[i] for i in order]",
    )
    checks.check_equal(
        len(_got),
        _k,
        f"len(most_similar('cat', k={_k}))",
        hint="take the first k entries after sorting, no more, no fewer",
    )
    checks.check_type(
        _got[0], str, f"most_similar('cat', k={_k})[0]", hint="return words, not their indices"
    )
try:
    most_similar("zebra-unicorn", E, vocab, k=2)
except KeyError:
    pass
else:
    raise checks.CheckError(
        "most_similar('zebra-unicorn', ...) did not raise KeyError\n"
        "  likely mistake: check that the word is in vocab first"
    )
### BEGIN HIDDEN TESTS
checks.check_equal(
    len(most_similar(vocab[0], E, vocab, k=len(vocab) - 1)),
    len(vocab) - 1,
    "len(most_similar(word, k=V-1))",
)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2.5: predict, then measure (2 points)
#
# In this table "cat" and "kitten" have a cosine similarity of about 0.88. Is that a lot? It
# depends on what two *unrelated* vectors give. Real word embeddings have a few hundred
# dimensions (word2vec's have 300), so take vectors $\mathbf{a}, \mathbf{b} \in \mathbb{R}^d$
# whose entries are independent draws from a standard normal distribution, compute their
# cosine similarity for many such pairs, and watch what happens as $d$ grows.
#
# Before you run the measurement below, predict what it will show, and write your
# predictions down here. They are graded; the measurement is not.
#
# 1. As the dimension $d$ grows from 2 to 1000, the cosine similarity of two such random
#    vectors:
#    (a) stays spread over the whole of $[-1, 1]$, as it is for $d = 2$, whatever $d$;
#    (b) gathers around 0, its spread shrinking about like $1/\sqrt{d}$;
#    (c) gathers around 0, its spread shrinking about like $1/d$;
#    (d) gathers around 1: vectors with many components have more in common.
# 2. At $d = 300$, what is the standard deviation of the cosine similarity over many random
#    pairs? (a number; within 0.01 of the true value is enough)
#
# Hint: the dot product $\sum_{i=1}^{d} a_i b_i$ is a sum of $d$ independent terms, each of
# mean 0 and variance 1; and each norm is close to $\sqrt{d}$.

# %% nbgrader={"grade": false, "grade_id": "random_cosine_prediction", "locked": false, "schema_version": 3, "solution": true, "task": false}
prediction_cosine_trend = None
prediction_cosine_std_300 = None
### BEGIN SOLUTION
prediction_cosine_trend = "b"
prediction_cosine_std_300 = 1 / np.sqrt(300)  # about 0.058: a sum of 300 terms / (sqrt(300))**2
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_random_cosine_prediction_trend", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Prediction 1: how the cosine of two random vectors behaves as the dimension grows."""
_choice = prediction_cosine_trend
if isinstance(_choice, str):
    _choice = _choice.strip().lower()  # "B" is read as "b"
checks.check_choice(_choice, ["a", "b", "c", "d"], "prediction_cosine_trend")
### BEGIN HIDDEN TESTS
checks.check_equal(_choice, "b", "prediction_cosine_trend")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_random_cosine_prediction_std", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Prediction 2: the standard deviation of the cosine of two random 300-d vectors (within 0.01)."""
checks.check_type(
    prediction_cosine_std_300,
    (int, float),
    "prediction_cosine_std_300",
    hint="a number, like 0.5: the typical size of the cosine, not a list of samples",
)
### BEGIN HIDDEN TESTS
checks.check_close(
    float(prediction_cosine_std_300),
    1 / np.sqrt(300),
    "prediction_cosine_std_300",
    atol=0.01,
    rtol=0.0,
)
### END HIDDEN TESTS

# %% [markdown]
# **The measurement.** For each dimension $d$ we draw 300 random vectors and 300 others and
# compute all $300 \times 300$ cosine similarities with your `cosine_similarity_matrix` (it
# takes well under a second).

# %% tags=["demo"]
def yours_or_reference(function, reference, *example):
    """``function`` if it runs on ``example``; if it is not written yet, ``reference``, with a
    banner that says so (the demos of this notebook use it so that every figure is shown)."""
    try:
        function(*example)
    except NotImplementedError:
        print(
            f"*** your `{function.__name__}` is not finished: this cell uses a reference "
            "written in this notebook instead ***"
        )
        return reference
    return function


def reference_cosine_matrix(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of A (m, d) with every row of B (n, d): (m, n); no row
    may be zero (a reference for the demos)."""
    A_hat = A / np.linalg.norm(A, axis=1, keepdims=True)  # (m, d)
    B_hat = B / np.linalg.norm(B, axis=1, keepdims=True)  # (n, d)
    return A_hat @ B_hat.T  # (m, n)


cosine_matrix = yours_or_reference(
    cosine_similarity_matrix, reference_cosine_matrix, np.ones((1, 2)), np.ones((1, 2))
)
rng = np.random.default_rng(0)
DIMENSIONS = [2, 3, 10, 30, 100, 300, 1000]
random_cosines = {}
print(f"{'d':>5} | {'mean':>7} | {'std':>6} | {'1/sqrt(d)':>9} | {'share with |cos| > 0.3':>22}")
for d in DIMENSIONS:
    cos = cosine_matrix(rng.normal(size=(300, d)), rng.normal(size=(300, d))).ravel()
    random_cosines[d] = cos
    share = np.mean(np.abs(cos) > 0.3)
    print(f"{d:>5} | {cos.mean():>+7.3f} | {cos.std():>6.3f} | {d**-0.5:>9.3f} | {share:>22.1%}")

fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
for d in (2, 10, 100, 1000):
    ax.hist(random_cosines[d], bins=np.linspace(-1, 1, 101), histtype="step", label=f"d = {d}")
ax.axvline(0.88, color="k", linestyle=":", label="cat vs kitten in our 6-d table")
ax.set_xlabel("cosine similarity of two random vectors")
ax.set_ylabel("pairs (of 90 000)")
ax.legend()
plt.show()

# %% [markdown]
# **Reading the measurement.** The mean stays at 0 for every $d$: a random direction is as
# likely to agree as to disagree. The spread shrinks, and the standard deviation follows
# $1/\sqrt{d}$ to the third decimal: about 0.71 at $d = 2$, 0.32 at $d = 10$, 0.058 at
# $d = 300$. For $d = 2$ and $d = 3$ a random pair often looks "similar" (seven pairs in ten
# or more have $|\cos| > 0.3$); from $d = 100$ on, almost none do. **In high dimension two
# random directions are nearly perpendicular**, so a cosine of 0.3 between two 300-d
# embeddings is already five standard deviations away from chance, while for random 6-d
# vectors (spread $1/\sqrt{6} \approx 0.41$) even the 0.88 of "cat" and "kitten" is only
# about two. The same $\sqrt{d}$ returns in notebook 04: the dot
# product of two random vectors, without the division by the norms, has a spread that
# *grows* like $\sqrt{d}$.
#
# Now compare with your prediction, in the cell below: which option did you choose, which
# number did you give, and what does the table say? If you were off, which step of your
# reasoning went wrong? (Not graded automatically; it stays in your notebook for your
# teacher to read.)

# %% [markdown]
# **Your comparison.** *(Double-click this cell and replace this line with a few
# sentences: what you predicted, what was measured, and where and why they differ.)*

# %% [markdown]
# ## 6. Why attention uses the dot product, and what that costs
#
# If cosine similarity is so well behaved, why do attention layers score with the plain dot
# product? Three reasons:
#
# 1. **It is cheaper.** A whole score matrix is one matrix product, $QK^\top$, with no norms to
#    compute and no divisions (and no zero-vector special case). Matrix products are what GPUs
#    do best.
# 2. **Length can carry information.** A model can learn to make a key *longer* when it is
#    important or certain, and a query longer when it should attend sharply. Cosine throws that
#    signal away.
# 3. **The model controls the lengths anyway.** In a Transformer the queries and keys come out
#    of learned projections (notebook 04), so training can shape their norms; and the scores are
#    divided by $\sqrt{d_k}$ so that their typical size does not grow with the dimension $d_k$
#    (also notebook 04).
#
# The price is **sensitivity to scale**: a key that is simply longer than the others gets a
# larger score whatever its direction. Below, we rank a query word's neighbours both ways, then
# make one neighbour's vector (the fourth closest by cosine) 4 times longer. Its direction, and so every cosine, is unchanged; its dot
# products grow 4-fold.

# %% tags=["demo"]
query_word = data.DOT_VS_COSINE_EXAMPLES[0]
qi = vocab.index(query_word)
others = [w for w in vocab if w != query_word]
other_idx = [vocab.index(w) for w in others]
# Your functions; those not written yet are replaced by references, with a banner.
dots_of = yours_or_reference(dot_scores, lambda q, K: K @ q, E[0], E[:2])
cosine_matrix = yours_or_reference(cosine_similarity_matrix, reference_cosine_matrix, E[:1], E[:2])


def rankings(table):
    dots = dots_of(table[qi], table[other_idx])
    coss = cosine_matrix(table[qi : qi + 1], table[other_idx])[0]
    return dots, coss


# Rescale the least similar of the query's four nearest neighbours by cosine.
cos_to_query = dict(zip(others, cosine_matrix(E[qi : qi + 1], E[other_idx])[0], strict=True))
louder = sorted(others, key=cos_to_query.get, reverse=True)[3]
E_scaled = E.copy()
E_scaled[vocab.index(louder)] *= 4.0

fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharey="row")
for col, (table, label) in enumerate([(E, "original table"), (E_scaled, f"{louder!r} x 4")]):
    dots, coss = rankings(table)
    for row, (scores, name) in enumerate([(dots, "dot product"), (coss, "cosine")]):
        ax = axes[row, col]
        colors = ["tab:red" if w == louder else "tab:blue" for w in others]
        ax.bar(others, scores, color=colors)
        top = others[int(np.argmax(scores))]
        ax.set_title(f"{name} with {query_word!r}, {label}: top = {top!r}")
        ax.tick_params(axis="x", rotation=60)
fig.tight_layout()
plt.show()
print("top-3 by dot product:", [others[i] for i in np.argsort(-rankings(E)[0])[:3]])
print("top-3 by cosine     :", [others[i] for i in np.argsort(-rankings(E)[1])[:3]])

# %% [markdown]
# Read the figure column by column. In the original table the dot product already disagrees
# with cosine: words with large norms climb the dot-product ranking even though they point
# elsewhere. After scaling, the red bar grows 4-fold under the dot product and jumps to the top
# of the ranking, while the cosine panel does not move at all. That is the whole difference: **cosine measures direction only;
# the dot product measures direction times length.**

# %% [markdown]
# ## 7. Back to "Let's go"
#
# Now we can answer the question of section 1 with numbers. Score the decoder's output against
# each encoder output, both ways:

# %%
scores_dot = dot_scores(example.decoder_output, example.encoder_outputs)
scores_cos = cosine_similarity_matrix(example.decoder_output[None, :], example.encoder_outputs)[0]
for token, d, c in zip(example.source_tokens, scores_dot, scores_cos, strict=True):
    print(f"{token!r:8} dot = {d:+.3f}   cosine = {c:+.3f}")

# %% [markdown]
# Both scores say the decoder's output is closer to the encoder output for "go" than to the one
# for "let's", so, when producing its first word, the decoder should lean more on "go". How much
# more? The scores are not yet weights: they do not add up to 1, and they can be negative.
# Notebook 03 turns them into percentages with the **softmax** function, then mixes the encoder
# outputs with those percentages. That mixture is attention.

# %% [markdown]
# ## 8. The whole table at a glance
#
# A heatmap of the cosine similarity matrix of the embedding table against itself shows the
# themes as bright blocks. Next to it, the dot-product matrix $EE^\top$: the loud words light up
# whole rows and columns, whatever their meaning.

# %% tags=["demo"]
cosine_matrix = yours_or_reference(cosine_similarity_matrix, reference_cosine_matrix, E[:1], E[:2])
fig, axes = plt.subplots(1, 2, figsize=(16, 7))
plots.heatmap(
    cosine_matrix(E, E),
    vocab,
    vocab,
    ax=axes[0],
    vmin=-1,
    vmax=1,
    cmap="RdBu_r",
    title="cosine similarity",
    annotate=False,
)
plots.heatmap(
    E @ E.T, vocab, vocab, ax=axes[1], cmap="magma", title="dot product (E @ E.T)", annotate=False
)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 9. Check your understanding (4 points)
#
# Set each answer below. Multiple choice answers are a single letter (a string, like `"b"`);
# numeric answers are numbers.
#
# 1. What is the cosine similarity of the vector $\mathbf{v} = (1, 2, 2)$ with $3\mathbf{v}$?
#    (a number)
# 2. You double the length of one key. Which scores change? (a) its dot product with the query
#    only; (b) its cosine similarity with the query only; (c) both; (d) neither.
# 3. What is $(1, 2, 3)\cdot(4, 5, 6)$? (a number)
# 4. Attention layers score queries against keys with the dot product rather than cosine
#    similarity mainly because: (a) the dot product is always between -1 and 1, so the softmax
#    never sees large scores; (b) cosine similarity cannot be computed for more than two vectors
#    at a time, so it cannot be batched; (c) the dot product ignores the lengths of the vectors, which carry no
#    information; (d) it is one matrix product with no normalisation, and the lengths it keeps
#    can carry information.

# %% nbgrader={"grade": false, "grade_id": "understanding", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_1 = None
answer_2 = None
answer_3 = None
answer_4 = None
### BEGIN SOLUTION
answer_1 = 1.0
answer_2 = "a"
answer_3 = 32
answer_4 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 1: cosine similarity of v with 3v."""
checks.check_type(answer_1, (int, float), "answer_1", hint="a number, like 0.5")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_1), 1.0, "answer_1", atol=1e-3)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 2: what doubling a key changes."""
checks.check_choice(answer_2, ["a", "b", "c", "d"], "answer_2")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_2, "a", "answer_2")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 3: a dot product by hand."""
checks.check_type(answer_3, (int, float), "answer_3", hint="a number, like 12")
### BEGIN HIDDEN TESTS
checks.check_close(float(answer_3), 32.0, "answer_3")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_understanding_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Question 4: why attention uses the dot product."""
checks.check_choice(answer_4, ["a", "b", "c", "d"], "answer_4")
### BEGIN HIDDEN TESTS
checks.check_equal(answer_4, "d", "answer_4")
### END HIDDEN TESTS

# %% [markdown]
# ## Recap
#
# - The **dot product** $\mathbf{a}\cdot\mathbf{b} = \lVert\mathbf{a}\rVert\lVert\mathbf{b}\rVert\cos\theta$
#   mixes direction and length. One query against $n$ keys is one matrix-vector product; all
#   pairs are one matrix product $AB^\top$.
# - **Cosine similarity** divides the lengths out: it depends on direction only, lies in
#   $[-1, 1]$, and needs a decision for zero vectors (we return 0).
# - Normalising a matrix of vectors means dividing each **row** by its own norm (`axis=1`,
#   `keepdims=True`).
# - Nearest neighbours by cosine find related words; by dot product, long ("loud") vectors crowd
#   to the top.
# - Attention scores with the dot product: cheap, and the lengths are learned. The price is
#   sensitivity to scale: one long key can win whatever its direction. Notebook 04's division
#   by $\sqrt{d_k}$ does not undo that (it divides every score by the same constant); it keeps
#   the spread of the scores from growing with the dimension $d_k$.
# - Next, notebook 03: turning scores into weights with softmax, and mixing the encoder outputs
#   with them.
#
# ## Further reading
#
# - Bahdanau, Cho and Bengio, *Neural Machine Translation by Jointly Learning to Align and
#   Translate* (2014): the first attention for translation, scoring with a small network.
# - Luong, Pham and Manning, *Effective Approaches to Attention-based Neural Machine
#   Translation* (2015): compares dot-product, "general" and additive scores.
# - Mikolov, Chen, Corrado and Dean, *Efficient Estimation of Word Representations in Vector
#   Space* (2013): word embeddings whose cosine neighbourhoods are meaningful.
# - Vaswani et al., *Attention Is All You Need* (2017), section 3.2.1: scaled dot-product
#   attention and why the scores are divided by $\sqrt{d_k}$.
