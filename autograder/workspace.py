"""The grading workspace: the one place that knows where grading keeps its state.

Layout (``OUT/workspace`` by default; never inside ``solutions/`` or ``notebooks/``)::

    source/<a>/<a>.ipynb       the instructor's notebooks (hidden tests included)
    gradebook.db               template gradebook written by generate_assignment
    source.sha256              fingerprint of the sources: results of other sources are stale
    results/<s>/<a>.json       one result per graded submission (written atomically)
    autograded/<s>/<a>/<a>.ipynb  the executed notebooks, for feedback
    canary/<a>.json            the instructor's own notebook graded as a submission
    logs/                      the grading workers' logs

A job works in a *job workspace*: a private folder with the same ``source/``, ``gradebook.db``
and ``source.sha256`` for its assignment only (see :meth:`Workspace.bundle`), so that a grading
worker needs no access to this folder at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Workspace", "write_bundle", "write_json_atomic"]


@dataclass(frozen=True)
class Workspace:
    """Paths of a grading workspace rooted at ``root`` (see the module docstring)."""

    root: Path

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def fingerprint_file(self) -> Path:
        return self.root / "source.sha256"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def results_dir(self) -> Path:
        return self.root / "results"

    def fingerprint(self) -> str:
        return self.fingerprint_file.read_text().strip()

    def source_dir(self, assignment: str) -> Path:
        return self.root / "source" / assignment

    def source_notebook(self, assignment: str) -> Path:
        return self.source_dir(assignment) / f"{assignment}.ipynb"

    def result(self, student: str, assignment: str) -> Path:
        return self.results_dir / student / f"{assignment}.json"

    def autograded(self, student: str, assignment: str) -> Path:
        return self.root / "autograded" / student / assignment / f"{assignment}.ipynb"

    def canary(self, assignment: str) -> Path:
        return self.root / "canary" / f"{assignment}.json"

    def result_files(self) -> list[Path]:
        return sorted(self.results_dir.glob("*/*.json"))

    def bundle(self, assignments: list[str] | tuple[str, ...]) -> dict[str, bytes]:
        """What a job needs to grade ``assignments``: ``{relative path: bytes}`` of the
        fingerprint, the template gradebook and the assignments' source folders."""
        files = {
            "source.sha256": self.fingerprint_file.read_bytes(),
            "gradebook.db": self.gradebook.read_bytes(),
        }
        for assignment in assignments:
            for path in sorted(self.source_dir(assignment).rglob("*")):
                if path.is_file():
                    files[path.relative_to(self.root).as_posix()] = path.read_bytes()
        return files


def write_bundle(bundle: dict[str, bytes], root: Path) -> Workspace:
    """Write a :meth:`Workspace.bundle` under ``root`` (refusing paths that leave it)."""
    for relative, data in bundle.items():
        target = (root / relative).resolve()
        if root.resolve() not in target.parents:
            raise ValueError(f"unsafe path in the source bundle: {relative!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return Workspace(root)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
