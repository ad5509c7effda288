"""nbgrader preprocessors the course adds to nbgrader's autograde pipeline.

- ``SkipDemoCells`` empties cells tagged ``demo`` (training runs, sweeps, plots) before
  execution: graded cells never depend on them, and skipping them keeps grading fast.
- ``StderrToStdout`` turns stderr output of executed cells into stdout. nbgrader 0.9 gives zero
  to a test cell that wrote anything to stderr, so a torch ``UserWarning`` or a progress bar would
  zero a correct answer; an exception still shows up as an ``error`` output and still scores 0.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

DEMO_TAG = "demo"
SKIPPED_SOURCE = "# (demo cell: skipped by the autograder)"


def is_demo(cell: NotebookNode) -> bool:
    """True for a code cell tagged ``demo``."""
    return cell.cell_type == "code" and DEMO_TAG in cell.get("metadata", {}).get("tags", [])


class SkipDemoCells(NbGraderPreprocessor):
    """Replace the source of every ``demo``-tagged code cell by a comment."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if is_demo(cell) and not (is_grade(cell) or is_solution(cell)):
            cell.source = SKIPPED_SOURCE
            cell.outputs = []
        return cell, resources


class StderrToStdout(NbGraderPreprocessor):
    """Relabel stderr stream outputs as stdout, so warnings do not zero a passing test cell."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
        return cell, resources
