"""Starting kernels (autograder/kernels.py): the environment they get, and running a notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.kernels import execute_notebook, kernel_env

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def test_kernel_env_drops_the_jupyter_parent_marker_and_sets_the_backend(monkeypatch) -> None:
    monkeypatch.setenv("JPY_PARENT_PID", "12345")
    monkeypatch.setenv("COURSE_TEST_VARIABLE", "kept")
    env = kernel_env()
    assert "JPY_PARENT_PID" not in env
    assert env["COURSE_TEST_VARIABLE"] == "kept"
    assert env["MPLBACKEND"] == "Agg"
    assert kernel_env("module://matplotlib_inline.backend_inline")["MPLBACKEND"] == (
        "module://matplotlib_inline.backend_inline"
    )


def test_kernel_env_caps_the_math_library_threads_only_when_asked(monkeypatch) -> None:
    for name in THREAD_VARS:
        monkeypatch.delenv(name, raising=False)
    assert not set(THREAD_VARS) & set(kernel_env())
    capped = kernel_env(threads=1)
    assert {name: capped[name] for name in THREAD_VARS} == dict.fromkeys(THREAD_VARS, "1")


def _notebook(tmp_path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.mark.slow
def test_execute_notebook_runs_in_the_notebooks_folder_and_keeps_errors_when_allowed(
    tmp_path: Path,
) -> None:
    path = _notebook(
        tmp_path,
        "import os\nprint(os.getcwd())\nprint(os.environ['MPLBACKEND'])",
        "raise ValueError('kept as an output')",
        "print('after the error')",
    )
    nb = execute_notebook(path, allow_errors=True)
    assert nb.cells[0].outputs[0]["text"].split() == [str(tmp_path), "Agg"]
    assert nb.cells[1].outputs[0]["ename"] == "ValueError"
    assert nb.cells[2].outputs[0]["text"] == "after the error\n"
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="kept as an output"):
        execute_notebook(path)
