"""One grading job: a single student's notebook for a single assignment.

A job runs in a grading process (``python -m autograder.job SPEC.json``, or a worker that grades
one spec after another, ``--serve``) with a private copy of the workspace's template gradebook,
and the student's code runs in a sandboxed kernel of its own, so a notebook that crashes its
kernel, hangs, or breaks nbgrader can only ever affect its own result. The job reads its input
from a JSON spec and writes its result as JSON (atomically); the parent merges results into the
CSV files.

Result fields: ``student_id, assignment, score, max_score, status, cells`` (a list of
``{grade_id, score, max_score}``), ``submission_sha256``, ``source_fingerprint``, ``seconds``.
``status`` is ``ok`` or says why a human should look (including ``review: ...`` when the static
scan of autograder.scan flags the student's code; the score is still the graded one).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.integrity import Repair

RESULT_VERSION = 1


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def expected_cells(workspace: Path, assignment: str) -> list[dict[str, Any]]:
    """The graded test cells of ``assignment`` and their points, from the template gradebook."""
    from nbgrader.api import Gradebook

    cells = []
    with Gradebook(_db_url(workspace / "gradebook.db")) as gb:
        notebook = gb.find_notebook(assignment, assignment)
        for cell in notebook.grade_cells:
            cells.append({"grade_id": cell.name, "max_score": float(cell.max_score)})
    return sorted(cells, key=lambda c: c["grade_id"])


def _db_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def zero_result(workspace: Path, assignment: str, status: str) -> dict[str, Any]:
    """Score, max_score, status and cells of a submission that earns nothing (0 on every cell)."""
    cells = [
        {"grade_id": c["grade_id"], "score": 0.0, "max_score": c["max_score"]}
        for c in expected_cells(workspace, assignment)
    ]
    return {
        "score": 0.0,
        "max_score": sum(c["max_score"] for c in cells),
        "status": status,
        "cells": cells,
    }


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), or its type name."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _read_notebook_problem(path: Path) -> str | None:
    """None when ``path`` is a readable, valid notebook; else what is wrong with it."""
    import nbformat

    try:
        raw = path.read_bytes()
    except OSError as exc:
        return f"malformed notebook: cannot read it ({exc.strerror})"
    if not raw.strip():
        return "malformed notebook: the file is empty"
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        return f"malformed notebook: {_first_line(exc)}"
    return None


class _ErrorLog(logging.Handler):
    """Collects the error messages nbgrader logs while it autogrades."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def problem(self) -> str | None:
        """``crashed kernel`` or ``timeout: ...`` when the log says so, else None."""
        logged = "\n".join(self.messages)
        if "DeadKernelError" in logged or "Kernel died" in logged:
            return "crashed kernel"
        if "Timeout waiting for IOPub output" in logged or "CellTimeoutError" in logged:
            return "timeout: a cell ignored the interrupt at the time limit; not graded"
        if "kernel became unresponsive" in logged:
            return "timeout: the kernel became unresponsive"
        return None


def _execution_problem(autograded: Path) -> str | None:
    """Timeout or dead kernel, read from the executed notebook's error outputs."""
    import nbformat

    if not autograded.is_file():
        return None
    nb = nbformat.read(str(autograded), as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            ename = out.get("ename", "")
            if ename == "CellTimeoutError":
                return "timeout: a cell ran past the time limit"
            if ename in ("DeadKernelError", "DeadKernel"):
                return "crashed kernel"
    return None


def _repair(submission: Any, source: Any) -> Repair | None:
    """The submission with its nbgrader cells repaired (see autograder.integrity), or None when
    the repair itself fails (the submission is then graded as it is)."""
    from autograder.integrity import repair

    try:
        return repair(submission, source)
    except Exception:
        logging.getLogger(__name__).exception("integrity repair failed")
        return None


def _review(submission: Any, source: Any) -> str:
    """``review: ...`` when the static scan flags the student's code (see autograder.scan)."""
    from autograder.scan import scan_notebook, summarise

    try:
        locked = {
            cell.metadata.get("nbgrader", {}).get("grade_id")
            for cell in source.cells
            if cell.metadata.get("nbgrader", {}).get("locked")
        }
        given = {
            cell.source
            for cell in source.cells
            if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("solution")
        }
        return summarise(scan_notebook(submission, locked - {None}, given))
    except Exception as exc:  # the scan must never cost a grade
        return f"review: the static scan failed ({_first_line(exc)})"


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Grade one submission as described by ``spec`` and return the result (see module doc).

    ``spec`` keys: ``workspace`` (prepared by ``autograder.grade``), ``student_id``,
    ``assignment``, ``submission`` (path of the student's .ipynb), ``cell_timeout`` (s).
    """
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from autograder.course import nbgrader_config

    started = time.monotonic()
    workspace = Path(spec["workspace"])
    student, assignment = spec["student_id"], spec["assignment"]
    submission = Path(spec["submission"])
    base = {
        "version": RESULT_VERSION,
        "student_id": student,
        "assignment": assignment,
        "submission_sha256": sha256_file(submission) if submission.is_file() else "",
        "source_fingerprint": (workspace / "source.sha256").read_text().strip(),
    }

    problem = _read_notebook_problem(submission)
    if problem:
        zero = zero_result(workspace, assignment, problem)
        return {**base, **zero, "seconds": time.monotonic() - started}

    with tempfile.TemporaryDirectory(prefix="autograder-job-") as tmp:
        root = Path(tmp)
        shutil.copytree(workspace / "source" / assignment, root / "source" / assignment)
        target = root / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        # Read once: the repair and the scan both compare the submission with the source.
        submitted_nb = nbformat.read(str(submission), as_version=4)
        source_nb = nbformat.read(
            str(workspace / "source" / assignment / f"{assignment}.ipynb"), as_version=4
        )
        repaired = _repair(submitted_nb, source_nb)
        if repaired is None:
            shutil.copyfile(submission, target)
        else:
            nbformat.write(repaired.notebook, str(target))
        db = root / "gradebook.db"
        shutil.copyfile(workspace / "gradebook.db", db)

        config = nbgrader_config(
            root,
            db_path=db,
            cell_timeout=int(spec["cell_timeout"]),
            sandbox=bool(spec.get("sandbox", True)),
        )
        config.CourseDirectory.assignment_id = assignment
        config.CourseDirectory.student_id = student
        coursedir = CourseDirectory(config=config)
        converter = Autograde(coursedir=coursedir, config=config)
        converter.force = True
        converter.log.setLevel(logging.ERROR)
        status = "ok"
        # nbgrader catches a dead or unresponsive kernel itself, logs it, deletes the executed
        # notebook and raises a generic "see the above traceback"; keep the log to say why.
        errors = _ErrorLog()
        converter.log.addHandler(errors)
        try:
            converter.start()
        except Exception as exc:
            status = errors.problem() or f"grading error: {_first_line(exc)}"
        finally:
            converter.log.removeHandler(errors)

        autograded = root / "autograded" / student / assignment / f"{assignment}.ipynb"
        status = _execution_problem(autograded) or status

        cells: list[dict[str, Any]] = []
        try:
            with Gradebook(_db_url(db)) as gb:
                nb = gb.find_submission_notebook(assignment, assignment, student)
                for grade in nb.grades:
                    if grade.cell_type != "code" or grade.max_score == 0:
                        continue
                    cells.append(
                        {
                            "grade_id": grade.name,
                            "score": float(grade.score or 0.0),
                            "max_score": float(grade.max_score),
                        }
                    )
        except Exception as exc:
            if status == "ok":
                status = f"grading error: no grades recorded ({type(exc).__name__})"
        if not cells:
            cells = zero_result(workspace, assignment, status)["cells"]

        if autograded.is_file():
            kept = workspace / "autograded" / student / assignment / f"{assignment}.ipynb"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(autograded, kept)

    integrity = repaired.status(assignment) if repaired is not None else ""
    if integrity:
        status = integrity if status == "ok" else f"{status}; {integrity}"
    review = _review(submitted_nb, source_nb)
    if review:
        status = review if status == "ok" else f"{status}; {review}"
    cells.sort(key=lambda c: c["grade_id"])
    return {
        **base,
        "score": sum(c["score"] for c in cells),
        "max_score": sum(c["max_score"] for c in cells),
        "status": status,
        "cells": cells,
        "seconds": time.monotonic() - started,
    }


def serve() -> int:
    """Grade one spec after another: read a spec path per line on stdin, answer ``done`` (or
    ``error: ...``) per line on stdout once its result is written. Used by ``grade`` so that the
    cost of starting Python and importing nbgrader is paid once per worker, not per notebook.
    Student code never runs in this process (it runs in each job's sandboxed kernel)."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else written to stdout goes to stderr, not into the protocol
    logging.basicConfig(level=logging.ERROR)
    for line in sys.stdin:
        spec_path = line.strip()
        if not spec_path:
            continue
        try:
            spec = json.loads(Path(spec_path).read_text())
            write_json_atomic(Path(spec["result"]), run_job(spec))
            protocol.write("done\n")
        except Exception as exc:
            protocol.write(f"error: {_first_line(exc)}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the job process: ``python -m autograder.job SPEC.json`` grades one spec;
    ``python -m autograder.job --serve`` grades the specs named on stdin (see ``serve``)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--serve"]:
        return serve()
    if len(args) != 1:
        print("usage: python -m autograder.job SPEC.json | --serve", file=sys.stderr)
        return 2
    spec = json.loads(Path(args[0]).read_text())
    logging.basicConfig(level=logging.ERROR)
    result = run_job(spec)
    write_json_atomic(Path(spec["result"]), result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
