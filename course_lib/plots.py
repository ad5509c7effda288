"""Figures the notebooks share: heatmaps of similarity and attention matrices.

matplotlib's pyplot (and torch) are imported only when a figure is drawn, so importing this
module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage

__all__ = ["heatmap"]

# Beyond this many rows or columns the numbers no longer fit in their cells.
_MAX_ANNOTATED_SIDE = 25
# Beyond this many rows or columns without labels, matplotlib chooses the ticks.
_MAX_INDEX_TICKS = 30


def _as_matrix(matrix: object) -> np.ndarray:
    """Convert a numpy array, torch tensor or nested list to a float64 matrix, or raise."""
    if type(matrix).__module__.startswith("torch") and hasattr(matrix, "detach"):
        matrix = matrix.detach().cpu().double().numpy()  # type: ignore[attr-defined]
    try:
        a = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"heatmap expects a 2-D matrix of numbers (n_rows, n_cols), got "
            f"{type(matrix).__name__} that cannot be read as one: {error}"
        ) from None
    if a.ndim != 2:
        raise ValueError(
            f"heatmap expects a 2-D matrix (n_rows, n_cols), got {a.ndim}-D input of shape "
            f"{a.shape}; for one row use matrix[None, :], for a batch pick one item"
        )
    if a.size == 0:
        raise ValueError(f"heatmap expects a non-empty matrix, got shape {a.shape}")
    return a


def _check_labels(labels: Sequence[str] | None, count: int, which: str) -> list[str] | None:
    """Return the labels as a list of strings, or raise if their number is not ``count``."""
    if labels is None:
        return None
    labels = [str(label) for label in labels]
    if len(labels) != count:
        axis = "rows" if which == "row" else "columns"
        raise ValueError(
            f"got {len(labels)} {which}_labels for a matrix with {count} {axis}: "
            f"give one label per {which}"
        )
    return labels


def _text_colour(image: AxesImage, value: float) -> str:
    """Black or white, whichever reads better on the cell colour of ``value``."""
    if not np.isfinite(value):
        return "black"
    red, green, blue, _ = image.cmap(image.norm(np.asarray(value)))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue  # ITU-R BT.709 weights
    return "black" if luminance > 0.5 else "white"


def heatmap(
    matrix: Any,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    cmap: str = "viridis",
    annotate: bool = True,
    fmt: str = ".2f",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
) -> Axes:
    """Draw a similarity or attention matrix as a heatmap with token labels.

    Row ``i``, column ``j`` shows ``matrix[i, j]``: for attention weights, rows are queries
    (e.g. target tokens) and columns are keys (e.g. source tokens).

    Args:
        matrix: (n_rows, n_cols) numpy array, torch tensor or nested list. NaN and inf cells
            (e.g. masked scores) are drawn blank, with their value written in.
        row_labels: n_rows tick labels for the y axis (tokens), or None for indices.
        col_labels: n_cols tick labels for the x axis (tokens), or None for indices. They are
            rotated by 45 degrees when any is longer than 3 characters.
        ax: the axes to draw on; a new figure sized to the matrix when None.
        title: the axes title.
        xlabel: the x axis label, e.g. ``"key (source token)"``.
        ylabel: the y axis label, e.g. ``"query (target token)"``.
        cmap: a matplotlib colour map name.
        annotate: write each value in its cell (black or white for contrast); skipped when the
            matrix has more than 25 rows or columns, where numbers would not fit.
        fmt: the format of the annotations, e.g. ``".2f"`` or ``".0%"``.
        vmin: the value at the bottom of the colour scale (default: the smallest finite value).
        vmax: the value at the top of the colour scale (default: the largest finite value).
        colorbar: add a colour bar next to the axes.

    Returns:
        the axes drawn on. The figure is not shown: a notebook shows it at the end of the cell.

    Raises:
        ValueError: ``matrix`` is not a non-empty 2-D matrix of numbers, or the number of labels
            does not match its shape.
    """
    import matplotlib.pyplot as plt

    values = _as_matrix(matrix)
    n_rows, n_cols = values.shape
    rows = _check_labels(row_labels, n_rows, "row")
    cols = _check_labels(col_labels, n_cols, "col")

    if ax is None:
        width = min(max(0.7 * n_cols + 2.5, 4.0), 12.0)
        height = min(max(0.55 * n_rows + 1.5, 3.0), 10.0)
        _, ax = plt.subplots(figsize=(width, height), layout="constrained")

    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax)

    if cols is not None:
        ax.set_xticks(range(n_cols))
        if any(len(label) > 3 for label in cols):
            ax.set_xticklabels(cols, rotation=45, ha="right", rotation_mode="anchor")
        else:
            ax.set_xticklabels(cols)
    elif n_cols <= _MAX_INDEX_TICKS:
        ax.set_xticks(range(n_cols))
    if rows is not None:
        ax.set_yticks(range(n_rows))
        ax.set_yticklabels(rows)
    elif n_rows <= _MAX_INDEX_TICKS:
        ax.set_yticks(range(n_rows))

    if annotate and max(n_rows, n_cols) <= _MAX_ANNOTATED_SIDE:
        font_size = 9 if max(n_rows, n_cols) <= 10 else 7
        for i in range(n_rows):
            for j in range(n_cols):
                value = float(values[i, j])
                ax.text(
                    j,
                    i,
                    format(value, fmt),
                    ha="center",
                    va="center",
                    fontsize=font_size,
                    color=_text_colour(image, value),
                )

    if title is not None:
        ax.set_title(title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax
