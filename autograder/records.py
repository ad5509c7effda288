"""The records that grading passes around: what a job is asked to do, and what it found.

Both travel as JSON (between the instructor's process, grading workers and dask tasks) and are
built only here, so every result has the same fields whoever wrote it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["RESULT_VERSION", "JobSpec", "Result"]

RESULT_VERSION = 1


@dataclass(frozen=True)
class JobSpec:
    """One grading job: a student's notebook for one assignment.

    Attributes:
        workspace: a job workspace (``source/<a>/``, ``gradebook.db``, ``source.sha256``).
        student_id, assignment: whose notebook, for which assignment.
        submission: the notebook's path.
        result: where the job writes its :class:`Result` (JSON).
        autograded: where the job writes the executed notebook.
        cell_timeout, notebook_timeout: wall-clock limits of a cell and of the notebook (s).
        sandbox: run the kernel through :mod:`autograder.sandbox`.
    """

    workspace: str
    student_id: str
    assignment: str
    submission: str
    result: str
    autograded: str
    cell_timeout: int
    notebook_timeout: int
    sandbox: bool = True

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> JobSpec:
        data = json.loads(path.read_text())
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class Result:
    """The outcome of grading one submission (one row of grades.csv, its cells in cells.csv).

    ``status`` is ``ok`` or says why a human should look. ``retry`` marks a result that the
    grading machinery (not the student) failed to produce: the next run grades it again.
    """

    student_id: str
    assignment: str
    score: float
    max_score: float
    status: str
    cells: list[dict[str, Any]] = field(default_factory=list)
    submission_sha256: str = ""
    source_fingerprint: str = ""
    seconds: float = 0.0
    retry: bool = False
    version: int = RESULT_VERSION

    @classmethod
    def zero(
        cls,
        student_id: str,
        assignment: str,
        expected: list[dict[str, Any]],
        status: str,
        **identity: Any,
    ) -> Result:
        """A result that earns nothing: 0 on every expected cell (``{grade_id, max_score}``)."""
        cells = [
            {"grade_id": c["grade_id"], "score": 0.0, "max_score": c["max_score"]} for c in expected
        ]
        return cls(
            student_id,
            assignment,
            0.0,
            sum(c["max_score"] for c in cells),
            status,
            cells,
            **identity,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.retry:
            del data["retry"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
