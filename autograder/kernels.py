"""The environment of the kernels the course starts outside the grading sandbox.

The mutant harness, ``check``'s notebook runs, the benchmarks and the grading workers start from
``kernel_env``. A grading kernel gets less: :func:`autograder.sandbox.kernel_environment` keeps
only an allowlist of it. (JupyterLab, the browser test and the Colab-like run start kernels their
own way, as a student's Jupyter would.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def kernel_env(mpl_backend: str = "Agg", threads: int | None = None) -> dict[str, str]:
    """The environment for a kernel (or grading worker) we start: ours, minus Jupyter's
    parent-process marker; a sandboxed grading kernel then keeps only an allowlist of it.

    ``JPY_PARENT_PID`` would tie the kernel's lifetime to a Jupyter server that is not its parent;
    ``MPLBACKEND`` picks matplotlib's backend (``Agg`` draws nothing on screen). ``threads`` caps
    the kernel's math-library threads (OpenMP, MKL, OpenBLAS): grading kernels run test cells on
    tiny tensors, side by side, where extra threads only spin against each other.
    """
    env = {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"}
    env["MPLBACKEND"] = mpl_backend
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[name] = str(threads)
    return env


def execute_notebook(
    path: Path, *, timeout: int = 600, allow_errors: bool = False, mpl_backend: str = "Agg"
) -> Any:
    """Execute the notebook at ``path`` top to bottom in its folder and return it with outputs.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell failed and ``allow_errors`` is False.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with client.setup_kernel(env=kernel_env(mpl_backend)):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    return nb
