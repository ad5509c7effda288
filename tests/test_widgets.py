"""Tests for course_lib.widgets: the explorer's maths, its figure, its wiring, and that it renders
when a notebook is executed headless. Reference weights are computed here with torch, not with
the module under test."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from autograder.course import Course  # noqa: E402
from course_lib import data, widgets  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def random_qk(L: int = 5, S: int = 5, d: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(L, d)), rng.normal(size=(S, d))


def torch_weights(q: np.ndarray, k: np.ndarray, scale: float, mask=None) -> np.ndarray:
    scores = torch.tensor(q) @ torch.tensor(k).T / scale
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1).numpy()


# ---- explorer_weights ------------------------------------------------------------------------


def test_explorer_weights_rows_sum_to_one_and_have_shape_l_by_s() -> None:
    q, k = random_qk(L=3, S=6)
    w = widgets.explorer_weights(q, k)
    assert w.shape == (3, 6)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(w >= 0)


def test_explorer_weights_scaled_matches_softmax_over_sqrt_d_k() -> None:
    q, k = random_qk(d=16)
    np.testing.assert_allclose(widgets.explorer_weights(q, k), torch_weights(q, k, 4.0), atol=1e-12)


def test_explorer_weights_unscaled_is_plain_softmax_of_dot_products() -> None:
    q, k = random_qk(d=16)
    got = widgets.explorer_weights(q, k, scale=False)
    np.testing.assert_allclose(got, torch_weights(q, k, 1.0), atol=1e-12)


def test_explorer_weights_temperature_divides_the_scores() -> None:
    q, k = random_qk(d=9)
    got = widgets.explorer_weights(q, k, temperature=2.0)
    np.testing.assert_allclose(got, torch_weights(q, k, 3.0 * 2.0), atol=1e-12)
    # sqrt(d_k) scaling is the temperature sqrt(d_k)
    np.testing.assert_allclose(
        widgets.explorer_weights(q, k),
        widgets.explorer_weights(q, k, scale=False, temperature=3.0),
        atol=1e-12,
    )


def test_explorer_weights_d_k_uses_the_first_features_and_their_scale() -> None:
    q, k = random_qk(d=10)
    got = widgets.explorer_weights(q, k, d_k=4)
    np.testing.assert_allclose(got, torch_weights(q[:, :4], k[:, :4], 2.0), atol=1e-12)


def test_explorer_weights_causal_hides_later_keys_and_renormalises() -> None:
    q, k = random_qk(L=4, S=4)
    got = widgets.explorer_weights(q, k, causal=True)
    mask = torch.ones(4, 4, dtype=torch.bool).tril()
    np.testing.assert_allclose(got, torch_weights(q, k, math.sqrt(8), mask), atol=1e-12)
    assert np.all(got[np.triu_indices(4, k=1)] == 0.0)
    assert got[0, 0] == pytest.approx(1.0)


def test_explorer_weights_is_stable_for_huge_scores() -> None:
    q, k = random_qk(d=4)
    w = widgets.explorer_weights(1e4 * q, k, scale=False, temperature=0.1)
    assert np.all(np.isfinite(w))
    np.testing.assert_allclose(w.sum(axis=1), 1.0)


def test_explorer_weights_accepts_tensors_and_lists() -> None:
    q, k = random_qk()
    expected = widgets.explorer_weights(q, k)
    np.testing.assert_allclose(
        widgets.explorer_weights(torch.tensor(q, dtype=torch.float32), k.tolist()),
        expected,
        atol=1e-6,
    )


def test_explorer_weights_saturates_without_scale_as_d_k_grows() -> None:
    rng = np.random.default_rng(1)
    q, k = rng.normal(size=(8, 512)), rng.normal(size=(8, 512))
    raw = widgets.explorer_weights(q, k, scale=False)
    scaled = widgets.explorer_weights(q, k)
    assert raw.max(axis=1).mean() > 0.9
    assert scaled.max(axis=1).mean() < 0.6


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"d_k": 0}, "d_k must be between 1 and 8"),
        ({"d_k": 9}, "d_k must be between 1 and 8"),
        ({"temperature": 0.0}, "temperature must be positive"),
        ({"temperature": -1.0}, "temperature must be positive"),
    ],
)
def test_explorer_weights_rejects_bad_settings(kwargs: dict, match: str) -> None:
    q, k = random_qk()
    with pytest.raises(ValueError, match=match):
        widgets.explorer_weights(q, k, **kwargs)


def test_explorer_weights_rejects_mismatched_or_non_matrix_inputs() -> None:
    q, k = random_qk()
    with pytest.raises(ValueError, match="same d"):
        widgets.explorer_weights(q, k[:, :5])
    with pytest.raises(ValueError, match="2-D matrix"):
        widgets.explorer_weights(q[0], k)


# ---- row_entropy and describe_row ------------------------------------------------------------


def test_row_entropy_is_zero_for_one_hot_and_log_n_for_uniform() -> None:
    w = np.array([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]])
    np.testing.assert_allclose(widgets.row_entropy(w), [0.0, math.log(4), math.log(2)])


def test_row_entropy_matches_torch_entr() -> None:
    q, k = random_qk()
    w = widgets.explorer_weights(q, k)
    expected = torch.special.entr(torch.tensor(w)).sum(dim=-1).numpy()
    np.testing.assert_allclose(widgets.row_entropy(w), expected, atol=1e-12)


def test_describe_row_names_the_top_key_its_weight_and_the_entropy() -> None:
    w = np.array([[0.1, 0.7, 0.2], [1 / 3, 1 / 3, 1 / 3]])
    text = widgets.describe_row(w, ["a", "b", "c"], 0, "q")
    assert text.startswith("'q' -> 'b' 0.70")
    assert "entropy 0.80 nats" in text
    assert f"uniform: {math.log(3):.2f}" in text
    with pytest.raises(ValueError, match="key tokens"):
        widgets.describe_row(w, ["a", "b"], 0, "q")


# ---- explorer_figure -------------------------------------------------------------------------


def test_explorer_figure_shows_the_matrix_frames_the_row_and_draws_its_bars() -> None:
    ex = data.self_attention_example("see that girl run")
    w = widgets.explorer_weights(ex.embeddings @ ex.w_q, ex.embeddings @ ex.w_k)
    fig = widgets.explorer_figure(w, ex.tokens, ex.tokens, row=1, title="t")
    ax_map, ax_bar = fig.axes[:2]
    np.testing.assert_allclose(ax_map.images[0].get_array(), w)
    frames = [p for p in ax_map.patches if p.get_edgecolor()[:3] == (1.0, 0.0, 0.0)]
    assert len(frames) == 1 and frames[0].get_xy() == (-0.5, 0.5)  # row 1 is framed
    heights = [bar.get_height() for bar in ax_bar.patches]
    np.testing.assert_allclose(heights, w[1])
    assert "'that' -> 'girl'" in ax_bar.get_title()
    assert [t.get_text() for t in ax_bar.get_xticklabels()] == list(ex.tokens)


def test_explorer_figure_rejects_a_row_out_of_range() -> None:
    with pytest.raises(ValueError, match="row must be between 0 and 1"):
        widgets.explorer_figure(np.full((2, 2), 0.5), ["a", "b"], ["a", "b"], row=2)


# ---- the widget --------------------------------------------------------------------------------


def test_importing_course_lib_widgets_does_not_import_ipywidgets() -> None:
    code = (
        "import sys, course_lib, course_lib.widgets, course_lib.data, course_lib.plots\n"
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported at import time'\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported at import time'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr


def _controls(box) -> dict[str, object]:
    """The explorer's controls by description (walks the nested boxes)."""
    found: dict[str, object] = {}
    stack = [box]
    while stack:
        widget = stack.pop()
        stack.extend(getattr(widget, "children", ()))
        description = getattr(widget, "description", "")
        if description:
            found[description] = widget
    return found


def test_attention_explorer_is_built_from_core_widgets_only() -> None:
    ipywidgets = pytest.importorskip(
        "ipywidgets", reason="ipywidgets is not installed (pip install -e '.[course]')"
    )
    ex = data.self_attention_example("see that girl run")
    box = widgets.attention_explorer(ex.tokens, ex.embeddings @ ex.w_q, ex.embeddings @ ex.w_k)
    assert isinstance(box, ipywidgets.VBox)
    controls = _controls(box)
    assert isinstance(controls["query token"], ipywidgets.Dropdown)
    assert isinstance(controls["temperature"], ipywidgets.FloatSlider)
    assert isinstance(controls["divide by sqrt(d_k)"], ipywidgets.Checkbox)
    assert isinstance(controls["d_k (features used)"], ipywidgets.IntSlider)
    assert isinstance(controls["causal mask"], ipywidgets.Checkbox)
    assert controls["query token"].options[1] == ("1: that", 1)
    assert controls["d_k (features used)"].max == 2
    assert any(isinstance(child, ipywidgets.Output) for child in box.children)
    core = ("ipywidgets.widgets",)
    stack = [box]
    while stack:
        widget = stack.pop()
        stack.extend(getattr(widget, "children", ()))
        assert type(widget).__module__.startswith(core), type(widget)


def test_attention_explorer_redraws_with_the_settings_of_its_controls(monkeypatch) -> None:
    pytest.importorskip(
        "ipywidgets", reason="ipywidgets is not installed (pip install -e '.[course]')"
    )
    calls: list[tuple[np.ndarray, int]] = []
    real_figure = widgets.explorer_figure

    def spy(weights, query_tokens, key_tokens, row, **kwargs):
        calls.append((weights, row))
        return real_figure(weights, query_tokens, key_tokens, row, **kwargs)

    monkeypatch.setattr(widgets, "explorer_figure", spy)
    monkeypatch.setattr("IPython.display.display", lambda *args, **kwargs: None)
    q, k = random_qk(L=4, S=4, d=6, seed=3)
    box = widgets.attention_explorer(["a", "b", "c", "d"], q, k)
    assert len(calls) == 1  # drawn once on creation
    controls = _controls(box)
    controls["query token"].value = 2
    controls["causal mask"].value = True
    controls["divide by sqrt(d_k)"].value = False
    controls["d_k (features used)"].value = 3
    controls["temperature"].value = 2.0
    weights, row = calls[-1]
    assert row == 2
    expected = widgets.explorer_weights(q, k, d_k=3, scale=False, temperature=2.0, causal=True)
    np.testing.assert_allclose(weights, expected)
    assert len(calls) == 6
    assert plt.get_fignums() == []  # every figure is closed after it is shown


def test_attention_explorer_rejects_tokens_that_do_not_match_the_vectors() -> None:
    pytest.importorskip(
        "ipywidgets", reason="ipywidgets is not installed (pip install -e '.[course]')"
    )
    q, k = random_qk(L=3, S=3)
    with pytest.raises(ValueError, match="got 2 tokens for 3 queries"):
        widgets.attention_explorer(["a", "b"], q, k)


# ---- headless execution --------------------------------------------------------------------------


def _widget_outputs(nb) -> list[dict]:
    return [o for c in nb.cells for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]


@pytest.mark.slow
def test_explorer_renders_a_widget_and_its_figure_in_a_headless_kernel(tmp_path: Path) -> None:
    """Execute a tiny notebook: the cell shows a widget view, and the widget's Output holds a
    PNG drawn by the callback; changing a control in a later cell redraws without errors."""
    pytest.importorskip(
        "ipywidgets", reason="ipywidgets is not installed (pip install -e '.[course]')"
    )
    from nbclient import NotebookClient

    from autograder.kernels import kernel_env

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from course_lib import data, widgets\n"
            "ex = data.self_attention_example(data.SELF_ATTENTION_SENTENCES[1])\n"
            "box = widgets.attention_explorer(\n"
            "    ex.tokens, ex.embeddings @ ex.w_q, ex.embeddings @ ex.w_k, title='it'\n"
            ")\n"
            "box"
        ),
        nbformat.v4.new_code_cell(
            "box.children[0].children[1].children[2].value = True  # causal mask on\n"
            "print('redrawn')"
        ),
    ]
    path = tmp_path / "explorer.ipynb"
    nbformat.write(nb, str(path))
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with client.setup_kernel(env=kernel_env("module://matplotlib_inline.backend_inline")):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        client.set_widgets_metadata()
    outputs = [o for c in nb.cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    assert not [o for o in outputs if o.get("name") == "stderr"], outputs
    assert len(_widget_outputs(nb)) == 1
    assert "redrawn" in "".join(o.get("text", "") for o in outputs)
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    drawn = [
        o
        for model in state.values()
        if model["model_name"] == "OutputModel"
        for o in model["state"].get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(drawn) == 1  # one figure: the redraw replaced the first, nothing stacked up


def test_solution_notebook_04_creates_the_explorer_in_a_demo_cell() -> None:
    nb = nbformat.read(str(Course(REPO).source_notebook("04_self_attention")), as_version=4)
    demo = [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and "widgets.attention_explorer(" in c.source
        and "demo" in c.metadata.get("tags", [])
    ]
    assert demo, "no demo-tagged cell creates the attention explorer"
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert not [c for c in graded if "attention_explorer" in c.source]
