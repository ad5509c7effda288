"""nbgrader preprocessors the course adds to nbgrader's autograde pipeline.

- ``SkipDemoCells`` empties cells tagged ``demo`` (training runs, sweeps, plots) before
  execution: graded cells never depend on them, and skipping them keeps grading fast.
- ``StderrToStdout`` turns stderr output of executed cells into stdout. nbgrader 0.9 gives zero
  to a test cell that wrote anything to stderr, so a torch ``UserWarning`` or a progress bar would
  zero a correct answer; an exception still shows up as an ``error`` output and still scores 0.
- ``LimitOutputSize`` cuts huge outputs, so a notebook that prints megabytes stays small.
- ``ResetTestCellTags`` and ``KeepOnlyVerdictOutputs`` keep a test cell's verdict to its own
  error (or its absence): no ``skip-execution`` tag, no displayed value read as partial credit.
- ``BudgetedExecute`` runs the notebook within a budget for the whole notebook and keeps each
  output in the cell that produced it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from nbformat import NotebookNode, from_dict
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Integer

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


# -- kept out of the student's reach ----------------------------------------------------------

# Tags nbclient acts on: a test cell carrying them would be skipped or allowed to fail.
EXECUTION_TAGS = ("skip-execution", "raises-exception")


class ResetTestCellTags(NbGraderPreprocessor):
    """Remove the tags of every graded test cell: ``skip-execution`` would skip a test and
    ``demo`` would empty it. The instructor's test cells carry no tags."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if is_grade(cell) and not is_solution(cell):
            cell.metadata.pop("tags", None)
        elif cell.cell_type == "code":
            tags = cell.get("metadata", {}).get("tags")
            if tags:
                cell.metadata["tags"] = [t for t in tags if t != "skip-execution"]
        return cell, resources


class KeepOnlyVerdictOutputs(NbGraderPreprocessor):
    """Keep only error and stream outputs in graded test cells.

    nbgrader reads an ``execute_result`` of a test cell as partial credit (and stops looking for
    an error after it), so a value displayed from student code during a test (one call of
    ``sys.displayhook``) would score a failing test. The course's test cells display nothing.
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            cell.outputs = [
                o for o in cell.get("outputs", []) if o.get("output_type") in ("error", "stream")
            ]
        return cell, resources


NOTEBOOK_TIMEOUT_ENAME = "NotebookTimeoutError"
# Seconds past the notebook's budget after which its kernel is killed, whatever it is doing.
WATCHDOG_GRACE_S = 15
# Set when the last notebook's kernel was killed that way (a worker grades one at a time).
_WATCHDOG = threading.Event()


def stopped_by_watchdog() -> bool:
    """Whether the last notebook run in this process had its kernel killed at its budget."""
    return _WATCHDOG.is_set()


# Output the grader keeps in memory per cell while it runs (text and encoded images).
MAX_HELD_OUTPUT_CHARS = 2 * MAX_OUTPUT_CHARS


def _size(content: dict[str, Any]) -> int:
    """Characters of an output message's text and data."""
    size = len(content.get("text", "") or "")
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(str(value))
    return size


class BudgetedExecute(Execute):
    """nbgrader's ``Execute`` with a wall-clock budget for the whole notebook, and without the
    kernel-controlled ways of moving outputs away from the cell that produced them.

    - ``budget`` (s): each cell's limit is the smaller of ``timeout`` and what is left of the
      budget; once it is spent, the remaining cells are not run and get a
      ``NotebookTimeoutError`` (so many cells each just under the cell limit cannot hold a
      grading worker for long).
    - An ipywidgets ``Output`` opened by the student cannot capture a later cell's error, and
      ``update_display`` cannot rewrite an earlier output: both hooks are ignored.
    - Widget state is not stored in the graded notebook, and test cells are run without
      storing their source in IPython's history.
    """

    budget = Integer(0, help="wall-clock budget of the whole notebook (s), 0 = none").tag(
        config=True
    )
    store_widget_state = Bool(False).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> Any:
        self._started = time.monotonic()
        self._cell_timeout: int | None = self.timeout
        self._held_chars: dict[int, int] = {}
        self._output_cut: set[int] = set()
        self._judge_instance: Any = None
        self._test_run: Any = None
        _WATCHDOG.clear()
        watchdog = None
        if self.budget:
            # The budget is checked between cells; a kernel that keeps the grader waiting
            # inside one (a flood of messages that are replies to nothing resets nbclient's
            # wait for the cell's reply) is stopped once the budget and a grace are spent.
            watchdog = threading.Timer(self.budget + WATCHDOG_GRACE_S, self._stop_kernel)
            watchdog.daemon = True
            watchdog.start()
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            self._close_judge()

    def _stop_kernel(self) -> None:
        """Kill the kernel's process (the sandbox and everything in it go with it)."""
        _WATCHDOG.set()
        process = getattr(getattr(getattr(self, "km", None), "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()

    def _left(self, reserve: bool = True) -> float:
        """Seconds left of the notebook's budget (infinite without one). The student's cells
        and the visible tests leave a fifth of it (at most a minute) to the hidden tests, which
        run after the last cell: a notebook of slow cells cannot starve them."""
        if not self.budget:
            return float("inf")
        kept = min(60.0, self.budget / 5) if reserve else 0.0
        return self.budget - kept - (time.monotonic() - self._started)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        result = self._preprocess_one(cell, resources, index)
        if index == len(self.nb.cells) - 1:
            self._run_hidden_tests()
        return result

    def _preprocess_one(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if self.budget and cell.cell_type == "code":
            left = self._left()
            if left < 1:
                cell.outputs = [self._out_of_budget()]
                return cell, resources
            limit = self._cell_timeout or self.budget
            self.timeout = int(max(1, min(limit, left)))
        if is_grade(cell) and not is_solution(cell):
            # A test cell never reaches the student's kernel: the judge runs it here, on data
            # from the kernel (autograder.judge); its hidden part runs after the last cell.
            outputs = self._tests().visible(cell, cell.source, timeout=self.timeout or 3600)
            cell.outputs = [from_dict(out) for out in outputs]
            cell.execution_count = None
            return cell, resources
        return super().preprocess_cell(cell, resources, index)

    def _out_of_budget(self) -> NotebookNode:
        return NotebookNode(
            output_type="error",
            ename=NOTEBOOK_TIMEOUT_ENAME,
            evalue=f"not run: the notebook used up its {self.budget} s",
            traceback=[],
        )

    def _run_hidden_tests(self) -> None:
        """Run the kept hidden parts (see :class:`autograder.judge.TestRun`)."""
        limit = self._cell_timeout or 3600
        for cell, errors in self._tests().hidden(lambda: min(limit, self._left(reserve=False))):
            if errors is None:
                cell.outputs.append(self._out_of_budget())
            else:
                cell.outputs.extend(from_dict(out) for out in errors)

    def _tests(self) -> Any:
        if getattr(self, "_test_run", None) is None:
            from autograder.judge import TestRun

            self._test_run = TestRun(self._judge())
        return self._test_run

    def _judge(self) -> Any:
        if getattr(self, "_judge_instance", None) is None:
            from jupyter_core.utils import run_sync

            from autograder.judge import Judge, connect

            client = connect(self.km.get_connection_info(session=False))
            self._judge_client = client
            # the sandbox's IPC folder is the one host folder its kernel can reach
            channel = getattr(self.km, "ipc_dir", None)
            self._judge_instance = Judge(
                client,
                interrupt=run_sync(self.km.interrupt_kernel),
                channel_dir=str(channel) if channel is not None else None,
            )
            self._judge_instance.trust_imports(
                cell.source for cell in self.nb.cells if cell.cell_type == "code"
            )
        return self._judge_instance

    def _close_judge(self) -> None:
        judge = getattr(self, "_judge_instance", None)
        if judge is not None:
            judge.close()
        client = getattr(self, "_judge_client", None)
        if client is not None:
            client.stop_channels()
            client.context.term()
        self._judge_client = None
        self._judge_instance = None
        self._test_run = None

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: Any, cell_index: int
    ) -> NotebookNode | None:
        """Hold at most ``MAX_HELD_OUTPUT_CHARS`` of a cell's outputs (errors always), so a
        cell that prints gigabytes does not grow the grader's memory with it."""
        if msg.get("msg_type") != "error":
            held = self._held_chars.get(cell_index, 0) + _size(msg.get("content", {}))
            self._held_chars[cell_index] = held
            if held > MAX_HELD_OUTPUT_CHARS:
                if cell_index not in self._output_cut:
                    self._output_cut.add(cell_index)
                    outs.append(
                        NotebookNode(
                            output_type="stream",
                            name="stdout",
                            text="\n... [further output not kept by the autograder]\n",
                        )
                    )
                return None
        return super().output(outs, msg, display_id, cell_index)

    def register_output_hook(self, msg_id: str, hook: Any) -> None:
        return None

    def remove_output_hook(self, msg_id: str, hook: Any) -> None:
        return None

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        return None
