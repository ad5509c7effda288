"""``new``: start a notebook from the template in ``autograder/templates/``.

``python -m autograder new NN_name`` writes ``solutions/NN_name/`` with

- ``NN_name.py``, the jupytext twin, from ``notebook.py.tmpl``: a setup cell, one example
  exercise (a solution cell, a try-it cell, two test cells with visible and hidden tests), a demo
  cell tagged ``demo`` with a figure, a two-question quiz, a recap and further reading;
- ``NN_name.ipynb``, generated from it by ``sync`` (badge and whole setup cell included);
- ``mutants.py`` (seven mutants of the exercise, six of the quiz) and ``equivalents.py`` (three
  correct answers in other styles per graded exercise), in the catalogue format of
  :mod:`autograder.mutants`.

The new notebook passes ``python -m autograder check`` as it is, once ``build`` has generated its
release; its author then replaces the example with the notebook's own content.
"""

from __future__ import annotations

from pathlib import Path

from autograder.course import ASSIGNMENT_RE, Course, CourseError

TEMPLATES = Path(__file__).resolve().parent / "templates"
# template file -> name of the file it becomes in solutions/NN_name/ ("{a}" is the assignment)
FILES = {
    "notebook.py.tmpl": "{a}.py",
    "mutants.py.tmpl": "mutants.py",
    "equivalents.py.tmpl": "equivalents.py",
}


def fill(template: str, assignment: str) -> str:
    """``template`` with its placeholders replaced for ``assignment`` (``"08_vision"``):
    ``__ASSIGNMENT__`` (``08_vision``), ``__NUMBER__`` (``08``), ``__N__`` (``8``, for exercise
    numbers and seeds) and ``__TITLE__`` (``Vision``)."""
    number, _, words = assignment.partition("_")
    title = words.replace("_", " ").capitalize()
    return (
        template.replace("__ASSIGNMENT__", assignment)
        .replace("__NUMBER__", number)
        .replace("__N__", str(int(number)))
        .replace("__TITLE__", title)
    )


def new_notebook(course: Course, assignment: str) -> list[Path]:
    """Create ``solutions/<assignment>/`` from the templates and sync its notebook.

    Returns:
        The files written, the notebook first.

    Raises:
        CourseError: the name is not ``NN_snake_case``, or the folder or the number is taken.
    """
    from autograder.colab import read_config
    from autograder.pairs import sync_pair

    if not ASSIGNMENT_RE.match(assignment):
        raise CourseError(
            f"{assignment!r} is not a notebook name: two digits, an underscore, then lower-case "
            "letters, digits and underscores (like 08_vision_transformer)"
        )
    folder = course.solutions / assignment
    if folder.exists():
        raise CourseError(f"{folder.relative_to(course.root)} exists already")
    number = assignment[:2]
    taken = [a for a in course.assignments() if a[:2] == number]
    if taken:
        raise CourseError(f"notebook number {number} is taken by {taken[0]}")
    folder.mkdir(parents=True)
    written = []
    for template, name in FILES.items():
        path = folder / name.format(a=assignment)
        path.write_text(fill((TEMPLATES / template).read_text(), assignment))
        written.append(path)
    try:
        colab = read_config(course.root)
    except KeyError:  # no [tool.attention-course] public-repository: no Colab support
        colab = None
    notebook = course.source_notebook(assignment)
    sync_pair(notebook, colab)
    return [notebook, *written]
