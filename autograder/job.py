"""One grading job: a single student's notebook for a single assignment.

A job runs in a grading worker process (:mod:`autograder.worker`) on a :class:`JobSpec`: a job
workspace of its own (the assignment's source, a private copy of the template gradebook), the
student's notebook, and where to write the :class:`Result` and the executed notebook. The
student's code runs in a sandboxed kernel of its own, so a notebook that crashes its kernel,
hangs, or breaks nbgrader can only ever affect its own result. ``status`` is ``ok`` or says
why a human should look (including ``review: ...`` when the static scan of autograder.scan
flags the student's code; the score is still the graded one).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.records import JobSpec, Result
from autograder.workspace import Workspace

if TYPE_CHECKING:
    from autograder.integrity import Repair

__all__ = ["expected_cells", "run_job", "sha256_file"]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_cells(workspace: Path, assignment: str) -> list[dict[str, Any]]:
    """The graded test cells of ``assignment`` and their points, from the template gradebook."""
    from nbgrader.api import Gradebook

    cells = []
    with Gradebook(_db_url(Workspace(workspace).gradebook)) as gb:
        notebook = gb.find_notebook(assignment, assignment)
        for cell in notebook.grade_cells:
            cells.append({"grade_id": cell.name, "max_score": float(cell.max_score)})
    return sorted(cells, key=lambda c: c["grade_id"])


def _db_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), or its type name."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


WATCHDOG_STATUS = "timeout: the notebook ran past its time budget; its kernel was stopped"


def _read_notebook_problem(path: Path) -> str | None:
    """None when ``path`` is a readable, valid notebook of a sane size; else what is wrong."""
    import nbformat

    from autograder.course import MAX_NOTEBOOK_MB

    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_MB * 2**20:
            return (
                f"rejected: the notebook is {size / 2**20:.0f} MB, over the "
                f"{MAX_NOTEBOOK_MB} MB limit (clear its outputs and submit it again)"
            )
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

    from autograder.preprocessors import NOTEBOOK_TIMEOUT_ENAME

    if not autograded.is_file():
        return None
    nb = nbformat.read(str(autograded), as_version=4)
    enames = [
        out.get("ename", "")
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    if NOTEBOOK_TIMEOUT_ENAME in enames:
        return "timeout: the notebook ran past its time budget; later cells not run"
    if "JudgeStartError" in enames:
        # the judge's helper did not start in the kernel (a loaded machine, or a kernel kept
        # busy): an infrastructure failure, retried once, then for a human
        return "grading error: the judge's helper did not start in the kernel"
    for ename in enames:
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
    from nbgrader.utils import is_solution

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
            if cell.cell_type == "code" and not is_solution(cell)
        }
        return summarise(scan_notebook(submission, locked - {None}, given))
    except Exception as exc:  # the scan must never cost a grade
        return f"review: the static scan failed ({_first_line(exc)})"


def run_job(spec: JobSpec) -> Result:
    """Grade one submission as described by ``spec`` and return its :class:`Result`; the
    executed notebook is written to ``spec.autograded`` (when the notebook ran)."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from autograder.course import nbgrader_config
    from autograder.preprocessors import stopped_by_watchdog

    started = time.monotonic()
    workspace = Workspace(Path(spec.workspace))
    student, assignment = spec.student_id, spec.assignment
    submission = Path(spec.submission)
    identity: dict[str, Any] = {
        "submission_sha256": sha256_file(submission) if submission.is_file() else "",
        "source_fingerprint": workspace.fingerprint(),
    }

    problem = _read_notebook_problem(submission)
    if problem:
        expected = expected_cells(workspace.root, assignment)
        zero = Result.zero(student, assignment, expected, problem, **identity)
        zero.seconds = time.monotonic() - started
        return zero

    with tempfile.TemporaryDirectory(prefix="autograder-job-") as tmp:
        root = Path(tmp)
        shutil.copytree(workspace.source_dir(assignment), root / "source" / assignment)
        target = root / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        # Read once: the repair and the scan both compare the submission with the source.
        submitted_nb = nbformat.read(str(submission), as_version=4)
        source_nb = nbformat.read(str(workspace.source_notebook(assignment)), as_version=4)
        repaired = _repair(submitted_nb, source_nb)
        if repaired is None:
            shutil.copyfile(submission, target)
        else:
            nbformat.write(repaired.notebook, str(target))
        db = root / "gradebook.db"
        shutil.copyfile(workspace.gradebook, db)

        config = nbgrader_config(
            root,
            db_path=db,
            cell_timeout=spec.cell_timeout,
            sandbox=spec.sandbox,
            notebook_timeout=spec.notebook_timeout,
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
        if stopped_by_watchdog():  # not a crash: the student's kernel held on past its budget
            status = WATCHDOG_STATUS

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
            expected = expected_cells(workspace.root, assignment)
            cells = Result.zero(student, assignment, expected, status).cells

        if autograded.is_file():
            shutil.copyfile(autograded, spec.autograded)

    integrity = repaired.status(assignment) if repaired is not None else ""
    if integrity:
        status = integrity if status == "ok" else f"{status}; {integrity}"
    review = _review(submitted_nb, source_nb)
    if review:
        status = review if status == "ok" else f"{status}; {review}"
    cells.sort(key=lambda c: c["grade_id"])
    return Result(
        student,
        assignment,
        sum(c["score"] for c in cells),
        sum(c["max_score"] for c in cells),
        status,
        cells,
        seconds=time.monotonic() - started,
        **identity,
    )
