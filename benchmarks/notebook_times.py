"""Execute every solution notebook top to bottom (demo cells included) and print its wall time.

This is what a student's "Run all" costs on this machine; the table goes into the README.

    python benchmarks/notebook_times.py [NN_name ...]
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient

from autograder.course import find_course


def run(notebook: Path) -> float:
    """Execute ``notebook`` in its folder and return the wall time in seconds."""
    nb = nbformat.read(str(notebook), as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    env = {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"}
    env["MPLBACKEND"] = "Agg"
    started = time.perf_counter()
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    course = find_course()
    assignments = course.resolve_assignments(argv or None)
    device = "GPU" if torch.cuda.is_available() else "CPU"
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {device}, "
        f"torch {torch.__version__}, Python {platform.python_version()}"
    )
    print("| notebook | wall time (s) |")
    print("|---|---|")
    total = 0.0
    for a in assignments:
        seconds = run(course.source_notebook(a))
        total += seconds
        print(f"| {a} | {seconds:.1f} |", flush=True)
    print(f"| total | {total:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
