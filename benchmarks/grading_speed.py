"""Grade one cohort three ways and print the times and ratios.

1. plain nbgrader: ``nbgrader autograde`` on each assignment, serially, with nbgrader's
   defaults (every cell runs, the training demos included);
2. ours with 1 worker, and 3. ours with 2 workers: ``python -m autograder grade`` (demo cells
   skipped, one sandboxed job per submission).

The floor is what grading cannot avoid: per notebook, a kernel start, the imports and the test
cells (setup, answer and test cells run with nbclient, no nbgrader, no sandbox, no demos).

The cohort: ``--students`` students per assignment, in thirds: the solution (full marks), the
solution with one catalogued mutant per exercise (partly wrong), and the blank release.

    python benchmarks/grading_speed.py [--students 6] [--assignments 02_similarity ...]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

from autograder.build import generate
from autograder.course import Course, find_course, nbgrader_config
from autograder.kernels import execute_notebook
from autograder.mutants import load_catalogue, splice
from autograder.preprocessors import is_demo


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _solutions(nb) -> dict[str, str]:
    return {gid: c.source for c in nb.cells if (gid := _gid(c)) and is_solution(c)}


def make_cohort(course: Course, assignments: list[str], students: int, folder: Path) -> int:
    """Write the cohort under ``folder/<student>/<a>/<a>.ipynb``; return the notebook count."""
    count = 0
    for a in assignments:
        source = nbformat.read(str(course.source_notebook(a)), as_version=4)
        release = nbformat.read(str(course.release_notebook(a)), as_version=4)
        answers = _solutions(source)
        first_mutant = {}  # grade_id -> the cell with its first catalogued mutant spliced in
        for m in load_catalogue(course, a).mutants:
            if m.function not in first_mutant:
                first_mutant[m.function] = splice(answers[m.function], m.source)
        for s in range(students):
            kind = ("correct", "partly_wrong", "blank")[s % 3]
            nb = nbformat.from_dict(release)
            if kind != "blank":
                for cell in nb.cells:
                    gid = _gid(cell)
                    if gid in answers:
                        cell.source = answers[gid]
                        if kind == "partly_wrong" and gid in first_mutant:
                            cell.source = first_mutant[gid]
            path = folder / f"s{s:02d}_{kind}" / a / f"{a}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(path))
            count += 1
    return count


def plain_nbgrader(course: Course, assignments: list[str], cohort: Path, root: Path) -> float:
    """Seconds for stock ``nbgrader autograde``, one assignment after another."""
    for a in assignments:
        shutil.copytree(course.solutions / a, root / "source" / a)
    (root / "submitted").mkdir()
    for student in cohort.iterdir():
        shutil.copytree(student, root / "submitted" / student.name)
    for a in assignments:
        generate(root, "source", "release", a, db_path=root / "gradebook.db")
    config = nbgrader_config(root)
    cfg = root / "nbgrader_config.py"
    cfg.write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.course_id = {config.CourseDirectory.course_id!r}\n"
        f"c.CourseDirectory.db_url = {config.CourseDirectory.db_url!r}\n"
        f"c.Execute.timeout = {config.Execute.timeout}\n"
    )
    started = time.perf_counter()
    for a in assignments:
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "autograde", a, "--force"],
            cwd=root,
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def ours(course: Course, cohort: Path, out: Path, workers: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(cohort),
            "--out",
            str(out),
            "--workers",
            str(workers),
        ],
        cwd=course.root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def floor(course: Course, cohort: Path, root: Path) -> float:
    """Seconds to run each cohort notebook's setup, answer and test cells (no demos)."""
    total = 0.0
    for path in sorted(cohort.glob("*/*/*.ipynb")):
        a = path.parent.name
        source = nbformat.read(str(course.source_notebook(a)), as_version=4)
        tests = {_gid(c): c.source for c in source.cells if _gid(c)}
        nb = nbformat.read(str(path), as_version=4)
        kept = []
        for cell in nb.cells:
            if cell.cell_type != "code" or is_demo(cell):
                continue
            gid = _gid(cell)
            if gid in tests and not is_solution(cell):
                cell.source = tests[gid]  # the hidden tests run too
            kept.append(cell)
        nb.cells = kept
        work = root / "floor" / path.parent.parent.name / a
        shutil.copytree(
            course.solutions / a, work, ignore=shutil.ignore_patterns("*.py", "*.ipynb")
        )
        target = work / path.name
        nbformat.write(nb, str(target))
        started = time.perf_counter()
        execute_notebook(target, allow_errors=True)
        total += time.perf_counter() - started
    return total


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--students", type=int, default=6)
    ap.add_argument("--assignments", nargs="+")
    ap.add_argument("--skip-plain", action="store_true", help="skip stock nbgrader (slowest)")
    args = ap.parse_args()
    course = find_course()
    assignments = course.resolve_assignments(args.assignments)
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.students} students x {len(assignments)} notebooks ({', '.join(assignments)})",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
        tmp_path = Path(tmp)
        cohort = tmp_path / "cohort"
        n = make_cohort(course, assignments, args.students, cohort)
        base = floor(course, cohort, tmp_path)
        print(
            f"floor (kernel + imports + test cells): {base:.1f} s, {base / n:.2f} s/notebook",
            flush=True,
        )
        times = {}
        if not args.skip_plain:
            times["plain nbgrader, serial"] = plain_nbgrader(
                course, assignments, cohort, tmp_path / "plain"
            )
            print(f"plain nbgrader, serial: {times['plain nbgrader, serial']:.1f} s", flush=True)
        for workers in (1, 2):
            out = tmp_path / f"ours{workers}"
            times[f"ours, {workers} worker(s)"] = ours(course, cohort, out, workers)
            print(
                f"ours, {workers} worker(s): {times[f'ours, {workers} worker(s)']:.1f} s",
                flush=True,
            )
        with open(tmp_path / "ours1" / "grades.csv") as fh:
            statuses = [r["status"] for r in csv.DictReader(fh)]
        print(f"\n{n} notebooks; statuses: {sorted(set(statuses))}")
        print("| run | wall (s) | s/notebook | x floor | speed-up vs plain |")
        print("|---|---|---|---|---|")
        plain = times.get("plain nbgrader, serial")
        for name, seconds in times.items():
            speedup = f"{plain / seconds:.2f}" if plain else "n/a"
            print(
                f"| {name} | {seconds:.1f} | {seconds / n:.2f} | {seconds / base:.2f} | {speedup} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
