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


def run(notebook: Path) -> float:
    """Execute ``notebook`` in its folder and return the wall time in seconds."""
    started = time.perf_counter()
    execute_notebook(notebook)
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
