"""``build``: generate the student release (``notebooks/``) from ``solutions/`` with nbgrader.

The release is generated, never edited: nbgrader's ``generate_assignment`` strips solutions,
hidden tests and outputs, locks the test cells and records their checksums. For a pinned nbgrader
the output is byte-for-byte deterministic, which is what the sync check relies on.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from autograder.course import Course, CourseError, nbgrader_config, release_ignore


def generate(
    course_root: Path,
    source: str,
    release: str,
    assignment: str,
    *,
    db_path: Path | None = None,
) -> None:
    """Run nbgrader ``generate_assignment`` for one assignment inside ``course_root``.

    Args:
        course_root: nbgrader's course root.
        source: folder under ``course_root`` holding ``<assignment>/``.
        release: folder under ``course_root`` to write ``<assignment>/`` into (replaced).
        assignment: the assignment name, e.g. ``"02_similarity"``.
        db_path: gradebook to record the assignment in; None builds without a gradebook.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(course_root, source=source, release=release, db_path=db_path)
    config.CourseDirectory.assignment_id = assignment
    if db_path is None:  # what `nbgrader generate_assignment --no-db` sets
        config.SaveCells.enabled = False
        config.GenerateAssignment.no_database = True
    coursedir = CourseDirectory(config=config)
    converter = GenerateAssignment(coursedir=coursedir, config=config)
    converter.force = True
    converter.log.setLevel(logging.WARNING)
    coursedir.log.setLevel(logging.WARNING)
    try:
        converter.start()
    except Exception as exc:  # nbgrader raises NbGraderException with the details logged
        raise CourseError(f"nbgrader could not generate {assignment}: {exc}") from exc


def build(
    course: Course, assignments: list[str] | None = None, dest: Path | None = None
) -> list[Path]:
    """Generate the release of ``assignments`` (default all) into ``dest`` (default ``notebooks/``).

    Generation happens in a scratch copy so that ``solutions/`` is only ever read, and an
    assignment's release folder is replaced only once its generation succeeded.

    Returns:
        The release notebooks written.
    """
    dest = dest or course.notebooks
    written = []
    for assignment in course.resolve_assignments(assignments):
        with tempfile.TemporaryDirectory(prefix="autograder-build-") as tmp:
            tmp_root = Path(tmp)
            shutil.copytree(
                course.solutions / assignment,
                tmp_root / "source" / assignment,
                ignore=release_ignore,
            )
            generate(tmp_root, "source", "release", assignment)
            target = dest / assignment
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(tmp_root / "release" / assignment, target)
        written.append(target / f"{assignment}.ipynb")
    return written
