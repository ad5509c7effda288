"""Tests for course_lib.plots: the heatmap shows the matrix, its labels and its values."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib import plots  # noqa: E402

TOKENS = ["the", "cat", "sat"]
MATRIX = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    """Close every figure a test opens."""
    yield
    plt.close("all")


def tick_texts(labels: list[matplotlib.text.Text]) -> list[str]:
    return [label.get_text() for label in labels]


def test_heatmap_image_data_equals_the_matrix() -> None:
    ax = plots.heatmap(MATRIX, TOKENS, TOKENS)
    np.testing.assert_array_equal(ax.images[0].get_array(), MATRIX)


def test_heatmap_tick_labels_are_the_tokens() -> None:
    rows = ["vamos", "<EOS>"]
    cols = ["let's", "go", "<EOS>"]
    ax = plots.heatmap(MATRIX[:2], rows, cols)
    assert tick_texts(ax.get_yticklabels()) == rows
    assert tick_texts(ax.get_xticklabels()) == cols
    assert list(ax.get_xticks()) == [0, 1, 2]
    assert list(ax.get_yticks()) == [0, 1]


def test_heatmap_rotates_long_column_labels_only() -> None:
    short = plots.heatmap(MATRIX, TOKENS, TOKENS)
    assert all(label.get_rotation() == 0 for label in short.get_xticklabels())
    long = plots.heatmap(MATRIX, TOKENS, ["the", "kitten", "sat"])
    assert all(label.get_rotation() == 45 for label in long.get_xticklabels())


def test_heatmap_writes_one_formatted_annotation_per_cell() -> None:
    ax = plots.heatmap(MATRIX, TOKENS, TOKENS)
    texts = [text.get_text() for text in ax.texts]
    assert len(texts) == MATRIX.size
    assert texts[:3] == ["0.70", "0.20", "0.10"]


def test_heatmap_annotation_format_and_switch() -> None:
    ax = plots.heatmap(MATRIX, fmt=".0%")
    assert ax.texts[0].get_text() == "70%"
    assert len(plots.heatmap(MATRIX, annotate=False).texts) == 0


def test_heatmap_annotation_colour_contrasts_with_the_cell() -> None:
    ax = plots.heatmap(np.array([[0.0, 1.0]]), cmap="viridis")
    dark_cell, bright_cell = ax.texts  # viridis runs from dark purple to bright yellow
    assert dark_cell.get_color() == "white"
    assert bright_cell.get_color() == "black"


def test_heatmap_skips_annotations_on_large_matrices() -> None:
    ax = plots.heatmap(np.zeros((40, 40)))
    assert len(ax.texts) == 0


def test_heatmap_adds_a_colourbar_unless_asked_not_to() -> None:
    with_bar = plots.heatmap(MATRIX)
    assert len(with_bar.figure.axes) == 2
    without_bar = plots.heatmap(MATRIX, colorbar=False)
    assert len(without_bar.figure.axes) == 1


def test_heatmap_sets_title_axis_labels_and_colour_limits() -> None:
    ax = plots.heatmap(
        MATRIX, TOKENS, TOKENS, title="weights", xlabel="key", ylabel="query", vmin=0, vmax=1
    )
    assert ax.get_title() == "weights"
    assert ax.get_xlabel() == "key"
    assert ax.get_ylabel() == "query"
    assert ax.images[0].get_clim() == (0, 1)


def test_heatmap_draws_on_a_given_axes() -> None:
    fig, axes = plt.subplots(1, 2)
    returned = plots.heatmap(MATRIX, ax=axes[1], colorbar=False)
    assert returned is axes[1]
    assert len(axes[1].images) == 1
    assert len(axes[0].images) == 0


def test_heatmap_new_figure_grows_with_the_matrix() -> None:
    small = plots.heatmap(np.zeros((2, 2))).figure.get_size_inches()
    large = plots.heatmap(np.zeros((12, 12))).figure.get_size_inches()
    assert large[0] > small[0]
    assert large[1] > small[1]


def test_heatmap_accepts_tensors_and_lists() -> None:
    from_tensor = plots.heatmap(torch.tensor(MATRIX, requires_grad=True))
    np.testing.assert_allclose(from_tensor.images[0].get_array(), MATRIX)
    from_list = plots.heatmap(MATRIX.tolist())
    np.testing.assert_array_equal(from_list.images[0].get_array(), MATRIX)
    from_mask = plots.heatmap(torch.ones(2, 2, dtype=torch.bool).tril())
    np.testing.assert_array_equal(from_mask.images[0].get_array(), [[1.0, 0.0], [1.0, 1.0]])


def test_heatmap_shows_masked_minus_inf_scores_as_blank_cells() -> None:
    scores = np.array([[1.0, -np.inf], [0.5, 2.0]])
    ax = plots.heatmap(scores)
    image = ax.images[0].get_array()
    assert bool(image.mask[0, 1])
    assert ax.texts[1].get_text() == "-inf"
    assert ax.images[0].get_clim() == (0.5, 2.0)


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((2, 2, 2)), torch.zeros(4)])
def test_heatmap_rejects_input_that_is_not_two_dimensional(bad: object) -> None:
    with pytest.raises(ValueError, match="2-D matrix"):
        plots.heatmap(bad)


def test_heatmap_rejects_non_numeric_input() -> None:
    with pytest.raises(ValueError, match="matrix of numbers"):
        plots.heatmap([["a", "b"], ["c", "d"]])


def test_heatmap_rejects_row_labels_that_do_not_match() -> None:
    with pytest.raises(ValueError, match="got 2 row_labels for a matrix with 3 rows"):
        plots.heatmap(MATRIX, row_labels=["a", "b"])


def test_heatmap_rejects_col_labels_that_do_not_match() -> None:
    with pytest.raises(ValueError, match="got 4 col_labels for a matrix with 3 columns"):
        plots.heatmap(MATRIX, col_labels=["a", "b", "c", "d"])


def test_importing_plots_does_not_import_torch_or_pyplot() -> None:
    import subprocess
    import sys

    code = (
        "import sys, course_lib.plots; "
        "print('torch' in sys.modules, 'matplotlib.pyplot' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
