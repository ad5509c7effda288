"""Per-student HTML feedback from a graded batch, without ever showing a hidden test.

``python -m autograder feedback --out DIR`` reads what ``grade`` left in ``DIR/workspace`` and
writes ``DIR/feedback/<student_id>/<assignment>.html``: the score and status, points per test
cell, and the student's notebook as graded. In test cells:

- the source is the one students received (the hidden-test block is replaced by a comment);
- an assertion that failed in the visible part shows its message (the hint), without the
  traceback (which quotes neighbouring lines);
- an assertion that failed in the hidden part shows only that a hidden test failed, and the
  kind of error; printed output of test cells is dropped.

Tracebacks in the student's own cells are reduced to the error's type and message as well.

Nothing active reaches the page: outputs keep only plain text and PNG/JPEG images (no HTML,
JavaScript, SVG or widget views), the notebook's widget state is dropped, markdown is shown
with its HTML escaped, and an error's type is named only when it is a standard one (a student
can name an exception class after anything).
"""

from __future__ import annotations

import builtins
import html
import json
import re
from pathlib import Path
from typing import Any

from autograder.integrity import grade_id, is_test_cell, release_text
from autograder.judge import hidden_lines
from autograder.workspace import Workspace

__all__ = ["feedback_notebook", "test_cells_in_order", "write_feedback"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
HIDDEN_PLACEHOLDER = "# (hidden tests ran here)"


def _failing_line(output: dict[str, Any]) -> int | None:
    """The line of the test cell where an error was raised (its first traceback frame)."""
    for entry in output.get("traceback", []):
        match = _CELL_LINE.search(_ANSI.sub("", entry))
        if match:
            return int(match.group(1))
    return None


def _stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


# Error types that may be named on the page; any other is called "an error".
_SAFE_ENAMES = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
) | {"CheckError", "DisabledError", "CellTimeoutError", "NotebookTimeoutError", "DeadKernelError"}
_SAFE_MIME = ("text/plain", "image/png", "image/jpeg")
_MAX_MESSAGE = 2000


def _ename(out: dict[str, Any]) -> str:
    name = str(out.get("ename", ""))
    return name if name in _SAFE_ENAMES else "an error"


def _hidden_ename(out: dict[str, Any]) -> str:
    """What a failed hidden test may say of its error: a failed check, an assert or a time
    limit; any other type is chosen by the student's code, which could encode a hidden input in
    its choice (one of about seventy names; AssertionError leaves it one bit per test cell)."""
    name = str(out.get("ename", ""))
    if name in ("CheckError", "DisabledError", "AssertionError"):  # a check or an assert failed
        return name
    if name in ("CellTimeoutError", "NotebookTimeoutError"):
        return "time limit"
    return "an error in your code"


def _message(out: dict[str, Any]) -> str:
    text = _ANSI.sub("", f"{_ename(out)}: {out.get('evalue', '')}")
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + " ..."


def _inert_outputs(outputs: list[Any]) -> list[Any]:
    """Outputs with nothing a browser would run: text and raster images only."""
    kept = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            kept.append(out)
        elif kind in ("execute_result", "display_data"):
            data = {k: v for k, v in out.get("data", {}).items() if k in _SAFE_MIME}
            if data:
                out["data"] = data
                out["metadata"] = {}
                out.pop("transient", None)
                kept.append(out)
        elif kind == "error":
            out["traceback"] = [_message(out)]
            out["ename"] = _ename(out)
            kept.append(out)
    return kept


def feedback_notebook(graded: Any, source: Any) -> Any:
    """A copy of the ``graded`` notebook that is safe to show its student (see module doc)."""
    import copy

    nb = copy.deepcopy(graded)
    nb.metadata.pop("widgets", None)
    tests = {gid: cell for cell in source.cells if (gid := grade_id(cell)) and is_test_cell(cell)}
    checks = dict(test_cells_in_order(source))
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        gid = grade_id(cell)
        if gid in tests:
            full = tests[gid].source
            hidden = hidden_lines(full)
            shown = release_text(full).rstrip()
            cell.source = shown + ("\n" + HIDDEN_PLACEHOLDER if hidden else "")
            outputs = []
            for out in cell.get("outputs", []):
                if out.get("output_type") != "error":
                    continue
                line = _failing_line(out)
                if line is None or line in hidden:
                    what = checks.get(gid, "")
                    more = f" It checks: {what}" if what else ""
                    outputs.append(_stream(f"A hidden test failed ({_hidden_ename(out)}).{more}"))
                else:
                    outputs.append(_stream(_message(out)))
            cell.outputs = outputs
        elif cell.cell_type == "code":
            cell.outputs = _inert_outputs(cell.get("outputs", []))
    for cell in nb.cells:
        cell.get("metadata", {}).pop("widgets", None)
        if cell.cell_type == "code":
            cell.execution_count = None  # test cells run outside the history: no counts
        if cell.cell_type in ("markdown", "raw"):
            cell.source = cell.source.replace("<", "&lt;")  # raw HTML shows as text
            cell.pop("attachments", None)
    return nb


def test_cells_in_order(source: Any) -> list[tuple[str, str]]:
    """``(grade_id, what it checks)`` of each test cell of ``source``, in notebook order; what
    it checks is the first line of the cell's docstring (the visible part of every test)."""
    import ast

    found = []
    for cell in source.cells:
        gid = grade_id(cell)
        if not gid or not is_test_cell(cell):
            continue
        try:
            doc = ast.get_docstring(ast.parse(cell.source)) or ""
        except SyntaxError:
            doc = ""
        found.append((gid, doc.strip().splitlines()[0] if doc.strip() else ""))
    return found


_STYLE = (
    "<style>.fb-summary td, .fb-summary th {padding: 2px 10px; text-align: left}"
    " .fb-lost {background: #fde2e1} .fb-full {background: #e6f4ea}</style>"
)


def _summary(result: dict[str, Any], source: Any | None = None) -> str:
    """The page's header: score, status, and a row per test cell in notebook order, lost
    points highlighted with what the test checks."""
    cells = {c["grade_id"]: c for c in result.get("cells", [])}
    order = test_cells_in_order(source) if source is not None else []
    known = [gid for gid, _ in order if gid in cells]
    checks = dict(order)
    rows = []
    for gid in known + sorted(set(cells) - set(known)):
        c = cells[gid]
        lost = c["score"] < c["max_score"]
        what = html.escape(checks.get(gid, ""))
        if lost and c.get("misconception"):
            what += f"<br><i>Likely mistake: {html.escape(c['misconception'])}.</i>"
        if lost and c.get("depends_on"):
            names = ", ".join(f"<code>{html.escape(e)}</code>" for e in c["depends_on"])
            what += (
                f"<br><i>This exercise uses your {names}, which lost points too: fix that "
                "first, this test may then pass.</i>"
            )
        mark = "lost points" if lost else "full marks"
        rows.append(
            f"<tr class='{'fb-lost' if lost else 'fb-full'}'><td><code>{html.escape(gid)}</code>"
            f"</td><td>{c['score']:g} / {c['max_score']:g}</td><td>{mark}</td><td>{what}</td></tr>"
        )
    lost_count = sum(c["score"] < c["max_score"] for c in cells.values())
    return (
        f"{_STYLE}<h1>{html.escape(result['assignment'])}: feedback for "
        f"{html.escape(result['student_id'])}</h1>"
        f"<p><b>Score: {result['score']:g} / {result['max_score']:g}</b>. "
        f"Status: {html.escape(result['status'])}. "
        f"{lost_count} test cell(s) lost points: each row below says what its test checks. "
        "Where a visible check failed, the cell itself, further down, shows its hint; where "
        "only a hidden test failed, the cell says so, without the hidden inputs.</p>"
        "<table class='fb-summary'><tr><th>test cell</th><th>points</th><th></th>"
        f"<th>what it checks</th></tr>{''.join(rows)}</table><hr>"
    )


def _render(nb: Any) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="classic")
    body, _ = exporter.from_notebook_node(nb)
    return body


def write_feedback(
    out: Path, assignments: list[str] | None = None, workspace: Path | None = None
) -> list[Path]:
    """Write the feedback of every graded submission under ``out``; return the files written.

    ``workspace`` is the grading state folder (default ``out/workspace``).
    """
    import nbformat

    workspace = workspace or out / "workspace"
    results = Workspace(workspace).result_files()
    written = []
    for path in results:
        result = json.loads(path.read_text())
        student, assignment = result["student_id"], result["assignment"]
        if assignments and assignment not in assignments:
            continue
        graded = Workspace(workspace).autograded(student, assignment)
        source = Workspace(workspace).source_notebook(assignment)
        source_nb = nbformat.read(str(source), as_version=4) if source.is_file() else None
        summary = _summary(result, source_nb)
        if graded.is_file() and source_nb is not None:
            nb = feedback_notebook(nbformat.read(str(graded), as_version=4), source_nb)
            page = _render(nb)
            start = page.find(">", page.find("<body")) + 1
            page = page[:start] + summary + page[start:]
        else:
            page = (
                f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{summary}"
                "<p>The notebook could not be run, so there is nothing more to show.</p>"
                "</body></html>"
            )
        target = out / "feedback" / student / f"{assignment}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        written.append(target)
    return written
