"""nbgrader preprocessors the course adds to nbgrader's autograde pipeline.

- ``SkipDemoCells`` empties cells tagged ``demo`` (training runs, sweeps, plots) before
  execution: graded cells never depend on them, and skipping them keeps grading fast.
- ``StderrToStdout`` turns stderr output of executed cells into stdout. nbgrader 0.9 gives zero
  to a test cell that wrote anything to stderr, so a torch ``UserWarning`` or a progress bar would
  zero a correct answer; an exception still shows up as an ``error`` output and still scores 0.
- ``LimitOutputSize`` cuts huge outputs, so a notebook that prints megabytes stays small.
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


MAX_OUTPUT_CHARS = 100_000


class LimitOutputSize(NbGraderPreprocessor):
    """Cut every text output to ``MAX_OUTPUT_CHARS`` characters (nbgrader's LimitOutput counts
    lines, so one 20 MB line would pass), and drop images beyond the same size."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code":
            return cell, resources
        note = "\n... [output cut by the autograder: {} characters in all]\n"
        for output in cell.get("outputs", []):
            text = output.get("text")
            if isinstance(text, str) and len(text) > MAX_OUTPUT_CHARS:
                output["text"] = text[:MAX_OUTPUT_CHARS] + note.format(len(text))
            data = output.get("data", {})
            for mime, value in list(data.items()):
                size = len(value) if isinstance(value, str) else 0
                if size > MAX_OUTPUT_CHARS and mime.startswith("text/"):
                    data[mime] = value[:MAX_OUTPUT_CHARS] + note.format(size)
                elif size > 10 * MAX_OUTPUT_CHARS:
                    del data[mime]
        return cell, resources
