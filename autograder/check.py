"""``check``: everything that must hold before a release goes to students.

1. ``notebooks/`` is exactly what ``build`` generates from ``solutions/`` (byte for byte);
2. ``notebooks/`` leaks nothing (no solution or hidden-test markers, no ``.py`` files);
3. each paired jupytext file ``solutions/NN/NN.py`` says the same as its notebook;
4. graded through ``grade``, each solution notebook gets full marks with status ``ok`` and the
   blank release gets zero on every test cell;
5. each notebook's catalogues are complete: every mutant (a wrong answer) is caught and every
   equivalent (a right answer in another style) keeps full marks;
6. the public repository that ``publish`` writes holds only what it may, and nothing of a
   solution, a hidden test or a catalogue, found by content (:func:`check_published`).
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.build import build
from autograder.course import Course, CourseError
from autograder.diagnosis import SIGNATURES_FILE, load_signatures, stale_signatures
from autograder.grade import grade
from autograder.mutants import CatalogueReport, run_catalogue

LEAK_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
)


@dataclass
class CheckResult:
    """One named check: passed or not, and what was found."""

    name: str
    ok: bool
    detail: str = ""

    def format(self) -> str:
        mark = "PASS" if self.ok else "FAIL"
        return f"[{mark}] {self.name}" + (f"\n{self.detail}" if self.detail else "")


def _tree_files(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


def check_sync(course: Course, assignments: list[str]) -> CheckResult:
    """The committed release equals a fresh build into a temporary folder, byte for byte."""
    with tempfile.TemporaryDirectory(prefix="autograder-sync-") as tmp:
        fresh = Path(tmp)
        build(course, assignments, dest=fresh)
        problems = []
        for a in assignments:
            want, have = _tree_files(fresh / a), _tree_files(course.notebooks / a)
            for name in sorted(set(want) | set(have)):
                if name not in have:
                    problems.append(f"  notebooks/{a}/{name} is missing")
                elif name not in want:
                    problems.append(f"  notebooks/{a}/{name} is not generated from solutions/")
                elif not filecmp.cmp(want[name], have[name], shallow=False):
                    problems.append(f"  notebooks/{a}/{name} differs from a fresh build")
    if problems:
        problems.append("  run `python -m autograder build` and commit notebooks/")
    return CheckResult("release in sync with solutions/", not problems, "\n".join(problems))


def check_leaks(course: Course) -> CheckResult:
    """No solution, hidden test, mark scheme or Python file in ``notebooks/``."""
    problems = []
    for path in sorted(course.notebooks.rglob("*")) if course.notebooks.is_dir() else []:
        if not path.is_file():
            continue
        rel = path.relative_to(course.root)
        if path.suffix == ".py" or path.name.startswith(("mutants", "equivalents")):
            problems.append(f"  {rel}: instructor file in the release")
            continue
        text = path.read_text(errors="replace")
        for marker in LEAK_MARKERS:
            if marker in text:
                problems.append(f"  {rel}: contains {marker!r}")
    return CheckResult("release leaks nothing", not problems, "\n".join(problems))


def check_pairs(course: Course, assignments: list[str]) -> CheckResult:
    """Each ``solutions/NN/NN.py`` (jupytext percent) has the same cells as ``NN.ipynb``."""
    import jupytext
    import nbformat

    def cells(nb) -> list[tuple]:
        return [
            (
                c.cell_type,
                c.source.strip(),
                c.metadata.get("nbgrader"),
                tuple(c.metadata.get("tags", [])),
            )
            for c in nb.cells
        ]

    problems = []
    for a in assignments:
        py = course.solutions / a / f"{a}.py"
        if not py.is_file():
            continue
        paired = jupytext.read(py)
        ipynb = nbformat.read(str(course.source_notebook(a)), as_version=4)
        if cells(paired) != cells(ipynb):
            problems.append(
                f"  {py.relative_to(course.root)} and {a}.ipynb differ: "
                f"run `python -m autograder sync --assignment {a}`"
            )
    return CheckResult("jupytext pairs in sync", not problems, "\n".join(problems))


def check_grading(course: Course, assignments: list[str], workers: int = 2) -> CheckResult:
    """Solutions get full marks (status ok); the blank release gets zero on every test cell."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
        subs = Path(tmp) / "submissions"
        for a in assignments:
            for student, nb in (
                ("solution", course.source_notebook(a)),
                ("blank", course.release_notebook(a)),
            ):
                if not nb.is_file():
                    problems.append(f"  {nb.relative_to(course.root)} does not exist")
                    continue
                (subs / student / a).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(nb, subs / student / a / f"{a}.ipynb")
        if problems:
            return CheckResult(
                "solutions full marks, blank release zero", False, "\n".join(problems)
            )
        try:
            results = grade(
                course, subs, Path(tmp) / "out", assignments=assignments, workers=workers
            )
        except CourseError as exc:  # grade's canary: a solution without full marks stops it
            return CheckResult("solutions full marks, blank release zero", False, f"  {exc}")
    lines = []
    for r in results:
        a, who = r["assignment"], r["student_id"]
        lines.append(
            f"  {who:<8} {a:<28} {r['score']:g}/{r['max_score']:g}  {r['status']}"
            f"  ({r['seconds']:.1f} s)"
        )
        if r["status"] != "ok":
            problems.append(f"  {who} {a}: status {r['status']!r}")
        if who == "solution":
            lost = [c["grade_id"] for c in r["cells"] if c["score"] < c["max_score"]]
            if lost or r["max_score"] <= 0:
                problems.append(f"  solution {a} loses points on {lost or 'everything'}")
        else:
            scored = [c["grade_id"] for c in r["cells"] if c["score"] > 0]
            if scored:
                problems.append(f"  blank {a} scores on {scored}")
    return CheckResult(
        "solutions full marks, blank release zero", not problems, "\n".join(lines + problems)
    )


def _catalogue(course: Course, assignment: str) -> CatalogueReport | CourseError:
    try:
        return run_catalogue(course, assignment)
    except CourseError as exc:
        return exc


def _catalogues(
    course: Course, assignments: list[str], workers: int
) -> list[tuple[str, CatalogueReport | CourseError]]:
    """Each notebook's catalogue report, ``workers`` notebooks at a time (each in a process of
    its own, with its own kernel and judge), in the order of ``assignments``."""
    if workers <= 1 or len(assignments) <= 1:
        return [(a, _catalogue(course, a)) for a in assignments]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # later notebooks have the larger catalogues: start them first
        futures = {a: pool.submit(_catalogue, course, a) for a in reversed(assignments)}
        return [(a, futures[a].result()) for a in assignments]


def check_mutants(course: Course, assignments: list[str], workers: int = 1) -> CheckResult:
    """Every notebook's catalogues are complete, every mutant is caught and every equivalent
    keeps full marks.

    Fails when a mutant survives, an equivalent loses points, an exercise has fewer than
    :data:`~autograder.mutants.MIN_MUTANTS_PER_EXERCISE` mutants or (in a notebook that has an
    ``equivalents.py``) fewer than :data:`~autograder.mutants.MIN_EQUIVALENTS_PER_EXERCISE`
    equivalents, or a catalogue entry does not fit its notebook. A notebook without an
    ``equivalents.py`` is reported, not failed.
    """
    lines, ok, without = [], True, []
    for a, report in _catalogues(course, assignments, workers):
        if isinstance(report, CourseError):
            ok = False
            lines.append(f"{a}: catalogue does not fit the notebook\n  PROBLEM: {report}")
            continue
        ok = ok and report.ok
        lines.append(report.format())
        if report.ok and load_signatures(course, a) is None:
            lines.append(
                f"  no {SIGNATURES_FILE} yet (not a failure; the feedback names no misconception "
                f"until `python -m autograder mutants --assignment {a}` writes it)"
            )
        elif report.ok and stale_signatures(course, report):
            ok = False
            lines.append(
                f"  PROBLEM: solutions/{a}/{SIGNATURES_FILE} is out of date (the feedback names "
                f"misconceptions from it): run `python -m autograder mutants --assignment {a}`"
            )
        if report.equivalents is None:
            without.append(a)
    if without:
        lines.append(f"no equivalents.py yet (not a failure): {', '.join(without)}")
    return CheckResult("every mutant caught, every equivalent at full marks", ok, "\n".join(lines))


def check_colab(course: Course, assignments: list[str]) -> CheckResult:
    """Each solution notebook has its Open in Colab badge, the setup cell of the template
    (:mod:`autograder.colab`) and its GPU metadata as generated from ``pyproject.toml``
    (``python -m autograder sync`` writes them)."""
    import nbformat

    from autograder.colab import problems as colab_problems
    from autograder.colab import read_config

    try:
        config = read_config(course.root)
    except KeyError:
        return CheckResult(
            "Colab badges and setup cells",
            True,
            "  no [tool.attention-course] public-repository: nothing to check",
        )
    found = []
    for a in assignments:
        nb = nbformat.read(str(course.source_notebook(a)), as_version=4)
        for problem in colab_problems(nb, a, config):
            found.append(f"  {a}: {problem}: run `python -m autograder sync --assignment {a}`")
    return CheckResult("Colab badges and setup cells", not found, "\n".join(found))


def check_published(course: Course) -> CheckResult:
    """``publish`` into a temporary folder: the tree holds the public entries only, and none of
    its files holds a solution, a hidden test or a catalogue entry, found by content
    (:func:`autograder.publish.published_problems`)."""
    from autograder.publish import PACKAGE, publish, published_problems

    name = "public repository holds only the release and course_lib"
    if not (course.root / PACKAGE).is_dir():
        return CheckResult(name, True, f"  no {PACKAGE}/: nothing is published")
    with tempfile.TemporaryDirectory(prefix="autograder-publish-") as tmp:
        tree = Path(tmp) / "public"
        try:
            publish(course, tree)
            problems = published_problems(course, tree)
        except CourseError as exc:
            problems = [f"  {exc}"]
    return CheckResult(name, not problems, "\n".join(problems))


def run_checks(
    course: Course, assignments: list[str] | None = None, *, mutants: bool = True, workers: int = 2
) -> list[CheckResult]:
    """All checks, in order, for ``assignments`` (default all)."""
    selected = course.resolve_assignments(assignments)
    results = [
        check_sync(course, selected),
        check_leaks(course),
        check_pairs(course, selected),
        check_colab(course, selected),
        check_published(course),
        check_grading(course, selected, workers=workers),
    ]
    if mutants:
        results.append(check_mutants(course, selected, workers=workers))
    return results
