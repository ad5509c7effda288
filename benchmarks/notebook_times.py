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

import torch

from autograder.course import find_course
from autograder.kernels import execute_notebook


def run(notebook: Path) -> tuple[float, list[str]]:
    """Execute ``notebook`` in its folder; return the wall time in seconds and the experiment
    result lines it printed (``Result: ...``)."""
    started = time.perf_counter()
    nb = execute_notebook(notebook)
    seconds = time.perf_counter() - started
    printed = "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    )
    return seconds, [line for line in printed.splitlines() if line.startswith("Result: ")]


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
    results = []
    for a in assignments:
        seconds, lines = run(course.source_notebook(a))
        total += seconds
        results += [f"{a}: {line}" for line in lines]
        print(f"| {a} | {seconds:.1f} |", flush=True)
    print(f"| total | {total:.1f} |")
    for line in results:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
