"""An interactive attention explorer: pick a query token, change the scale, watch the weights.

The maths lives in small pure functions that pytest covers (:func:`explorer_weights`,
:func:`row_entropy`, :func:`describe_row`, :func:`explorer_figure`); the widget,
:func:`attention_explorer`, only wires core ipywidgets controls to them, so it works with
ipywidgets 7.7 (Google Colab) and 8 (JupyterLab 4).

ipywidgets, IPython and matplotlib's pyplot are imported only when a widget or a figure is
made, so ``import course_lib.widgets`` is cheap and works where ipywidgets is missing.

This module is a display helper. The attention weights it shows come from torch's built-in
``torch.nn.functional.scaled_dot_product_attention``; the exercises of notebooks 03 and 04 ask
you to write the softmax and attention yourself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "attention_explorer",
    "describe_row",
    "explorer_figure",
    "explorer_weights",
    "row_entropy",
]

# The temperature slider's range: below 0.1 every row is one-hot, above 5 nearly uniform.
_TEMPERATURE_RANGE = (0.1, 5.0)


def _as_matrix(x: Any, name: str) -> np.ndarray:
    """A float64 matrix from a numpy array, torch tensor or nested list, or a clear error."""
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D matrix (n_tokens, d), got {a.shape}")
    return a


def explorer_weights(
    queries: Any,
    keys: Any,
    *,
    d_k: int | None = None,
    scale: bool = True,
    temperature: float = 1.0,
    causal: bool = False,
) -> np.ndarray:
    """Attention weights for display, under the explorer's settings.

    The scores are ``queries[:, :d_k] @ keys[:, :d_k].T``, divided by ``sqrt(d_k)`` when
    ``scale`` is set and by ``temperature`` always; each row is then turned into weights by a
    softmax over the keys. With ``causal`` set, query ``i`` sees keys ``0..i`` only.

    All of it is torch's ``scaled_dot_product_attention`` with the identity matrix as the
    values: each output row, a weighted sum of the rows of the identity, is the weight row.

    Args:
        queries: (L, d) one query vector per row (numpy array, torch tensor or nested list).
        keys: (S, d) one key vector per row, with the same ``d``.
        d_k: use only the first ``d_k`` features of queries and keys (1 <= d_k <= d);
            all ``d`` when None.
        scale: divide the scores by ``sqrt(d_k)``.
        temperature: divide the scores by this positive number too; above 1 flattens the
            weights, below 1 sharpens them.
        causal: hide keys after the query's own position (``j > i``).

    Returns:
        (L, S) float64 weights; every row sums to 1, hidden keys get exactly 0.

    Raises:
        ValueError: shapes that do not fit, ``d_k`` out of range, or ``temperature <= 0``.
    """
    q = _as_matrix(queries, "queries")
    k = _as_matrix(keys, "keys")
    if q.shape[1] != k.shape[1]:
        raise ValueError(
            f"queries (L, d) and keys (S, d) need the same d, got {q.shape[1]} and {k.shape[1]}"
        )
    d = q.shape[1] if d_k is None else int(d_k)
    if not 1 <= d <= q.shape[1]:
        raise ValueError(f"d_k must be between 1 and {q.shape[1]}, got {d_k}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    import torch
    import torch.nn.functional as F

    n_keys = k.shape[0]
    allowed = None  # True where a query may look at a key
    if causal:
        allowed = torch.ones(q.shape[0], n_keys, dtype=torch.bool).tril()  # (L, S)
    factor = (1.0 / math.sqrt(d) if scale else 1.0) / temperature
    weights = F.scaled_dot_product_attention(
        torch.from_numpy(q[:, :d]),  # (L, d_k)
        torch.from_numpy(k[:, :d]),  # (S, d_k)
        torch.eye(n_keys, dtype=torch.float64),  # (S, S): the values are the identity
        attn_mask=allowed,
        scale=factor,
    )  # (L, S)
    return weights.numpy()


def row_entropy(weights: Any) -> np.ndarray:
    """Entropy of each row of a weight matrix, in nats (0 log 0 counts as 0).

    A one-hot row has entropy 0; a uniform row over ``S`` keys has ``log(S)``, the largest.

    Args:
        weights: (L, S) non-negative rows that sum to 1.

    Returns:
        (L,) float64.
    """
    w = _as_matrix(weights, "weights")
    logs = np.log(np.where(w > 0, w, 1.0))
    return -(w * logs).sum(axis=1)


def describe_row(weights: Any, key_tokens: Sequence[str], row: int, query_token: str) -> str:
    """One line about a row of weights: where the largest weight goes, and how spread it is.

    Args:
        weights: (L, S) attention weights.
        key_tokens: the S key tokens.
        row: the query's index, 0 <= row < L.
        query_token: the query's token, for the text.

    Returns:
        e.g. ``"'it' -> 'elephant' 0.72 | entropy 1.18 nats (uniform: 2.40)"``.
    """
    w = _as_matrix(weights, "weights")
    if len(key_tokens) != w.shape[1]:
        raise ValueError(f"got {len(key_tokens)} key tokens for {w.shape[1]} columns")
    top = int(np.argmax(w[row]))
    entropy = float(row_entropy(w[row : row + 1])[0])
    return (
        f"{query_token!r} -> {key_tokens[top]!r} {w[row, top]:.2f} | entropy {entropy:.2f} "
        f"nats (uniform: {math.log(w.shape[1]):.2f})"
    )


def explorer_figure(
    weights: Any,
    query_tokens: Sequence[str],
    key_tokens: Sequence[str],
    row: int,
    *,
    title: str = "",
) -> Figure:
    """The explorer's figure: the weight matrix with one query's row framed, and that row.

    Args:
        weights: (L, S) attention weights.
        query_tokens: L labels for the rows.
        key_tokens: S labels for the columns.
        row: the query to highlight, 0 <= row < L.
        title: the heatmap's title.

    Returns:
        a new matplotlib figure with two axes (heatmap, bar chart); the caller shows or
        closes it.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from course_lib.plots import heatmap

    w = _as_matrix(weights, "weights")
    n_rows, n_cols = w.shape
    if not 0 <= row < n_rows:
        raise ValueError(f"row must be between 0 and {n_rows - 1}, got {row}")
    fig, (ax_map, ax_bar) = plt.subplots(
        1,
        2,
        figsize=(min(4.0 + 1.2 * n_cols, 15.0), min(2.5 + 0.45 * n_rows, 7.0)),
        gridspec_kw={"width_ratios": [3, 2]},
        layout="constrained",
    )
    heatmap(
        w,
        query_tokens,
        key_tokens,
        ax=ax_map,
        vmin=0.0,
        vmax=1.0,
        title=title or None,
        xlabel="key",
        ylabel="query",
        annotate=n_cols <= 12,
    )
    ax_map.add_patch(
        Rectangle((-0.5, row - 0.5), n_cols, 1.0, fill=False, edgecolor="red", linewidth=2.5)
    )
    ax_bar.bar(range(n_cols), w[row], color="tab:red")
    ax_bar.set_xticks(range(n_cols))
    ax_bar.set_xticklabels(key_tokens, rotation=45, ha="right", rotation_mode="anchor")
    ax_bar.set_ylim(0.0, 1.0)
    ax_bar.set_ylabel("weight")
    ax_bar.set_title(describe_row(w, key_tokens, row, query_tokens[row]), fontsize=9)
    return fig


def attention_explorer(
    tokens: Sequence[str],
    queries: Any,
    keys: Any | None = None,
    *,
    title: str = "attention weights",
) -> Any:
    """An interactive attention explorer over one sentence (core ipywidgets only).

    Controls: the query token (its row is framed and drawn as bars), a temperature slider,
    a "divide by sqrt(d_k)" checkbox, a d_k slider (use the first d_k features of the
    queries and keys) and a causal-mask checkbox. Every change redraws the figure of
    :func:`explorer_figure` from :func:`explorer_weights`.

    Args:
        tokens: the L tokens of the sentence (queries and keys come from the same tokens).
        queries: (L, d) query vectors, one per token.
        keys: (L, d) key vectors; the queries themselves when None.
        title: the heatmap's title.

    Returns:
        an ``ipywidgets.VBox``; display it (make it the last expression of a cell).

    Raises:
        ValueError: the number of tokens does not match the rows of queries or keys.
        ImportError: ipywidgets is not installed (``pip install "ipywidgets>=7.7"``).
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    q = _as_matrix(queries, "queries")
    k = q if keys is None else _as_matrix(keys, "keys")
    labels = [str(t) for t in tokens]
    if not len(labels) == q.shape[0] == k.shape[0]:
        raise ValueError(
            f"got {len(labels)} tokens for {q.shape[0]} queries and {k.shape[0]} keys: "
            "give one query and one key per token"
        )
    d_max = q.shape[1]
    explorer_weights(q, k)  # fail now, not inside a callback, when the shapes do not fit

    style = {"description_width": "initial"}
    query = w.Dropdown(
        options=[(f"{i}: {t}", i) for i, t in enumerate(labels)],
        value=0,
        description="query token",
        style=style,
    )
    temperature = w.FloatSlider(
        value=1.0,
        min=_TEMPERATURE_RANGE[0],
        max=_TEMPERATURE_RANGE[1],
        step=0.05,
        description="temperature",
        continuous_update=False,
        style=style,
    )
    scale = w.Checkbox(value=True, description="divide by sqrt(d_k)", indent=False)
    d_k = w.IntSlider(
        value=d_max,
        min=1,
        max=d_max,
        step=1,
        description="d_k (features used)",
        continuous_update=False,
        disabled=d_max == 1,
        style=style,
    )
    causal = w.Checkbox(value=False, description="causal mask", indent=False)

    def render(row: int, temperature: float, scale: bool, d_k: int, causal: bool) -> None:
        weights = explorer_weights(
            q, k, d_k=d_k, scale=scale, temperature=temperature, causal=causal
        )
        fig = explorer_figure(weights, labels, labels, row, title=title)
        display(fig)
        plt.close(fig)  # shown once: no copy left for the inline backend to show again

    out = w.interactive_output(
        render,
        {"row": query, "temperature": temperature, "scale": scale, "d_k": d_k, "causal": causal},
    )
    controls = w.VBox(
        [w.HBox([query, temperature]), w.HBox([d_k, scale, causal])],
    )
    return w.VBox([controls, out])
