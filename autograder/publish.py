"""``publish``: write the public student repository, the only copy of the course students see.

This repository is the instructor's and stays private: it holds ``solutions/``, every hidden
test and the mutant and equivalent catalogues. Students and self-learners get a second
repository that ``publish DIR`` writes, holding exactly :data:`PUBLIC_ENTRIES`:

- ``notebooks/``: the student release, copied as it is committed here (``build`` makes it);
- ``course_lib/``: the helper library the notebooks import (no tests, no caches);
- ``pyproject.toml``: packaging for ``course_lib`` alone (:data:`PACKAGE_NAME`), with this
  repository's core dependency ranges, so that the setup cells' ``pip install
  "git+PUBLIC_REPOSITORY@BRANCH"`` installs the library and nothing else;
- ``README.md``: the student and self-learner guide, written for the public repository;
- ``LICENSE``: this repository's, or the MIT licence of the course authors when it has none.

The public repository's address is ``[tool.attention-course] public-repository`` in
``pyproject.toml``, the setting that the Open in Colab badges and the setup cells are generated
from too (:mod:`autograder.colab`). ``check`` publishes into a temporary folder and fails when the
tree holds anything else, or any line of a solution, a hidden test or a catalogue
(:func:`autograder.check.check_published`).
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.course import Course, CourseError

PACKAGE = "course_lib"
PACKAGE_NAME = "attention-course-lib"
PUBLIC_ENTRIES = ("LICENSE", "README.md", "course_lib", "notebooks", "pyproject.toml")
# Never copied out of course_lib/ or notebooks/ (caches and editor state, not course content).
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".mypy_cache")
# ... and never copied out of course_lib/: tests live in tests/, which stays here.
_SKIP_TESTS = shutil.ignore_patterns("tests", "test_*.py", "conftest.py")
# What a student or self-learner needs of the instructor's `course` extra: the notebook server,
# its widgets and nbgrader (the Validate button). Instructor tools such as jupytext stay out.
STUDENT_EXTRA = ("jupyterlab", "ipywidgets", "nbgrader")

MIT_LICENSE = """\
MIT License

Copyright (c) the course authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def _pyproject(course: Course) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    return tomllib.loads((course.root / "pyproject.toml").read_text())


def _public_repository(course: Course) -> tuple[str, str] | None:
    """``(repository URL, branch)`` of the public repository, or None when not configured."""
    from autograder.colab import read_config

    try:
        config = read_config(course.root)
    except KeyError:
        return None
    return config.repository, config.branch


def _toml_list(items: list[str], indent: str = "    ") -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"{indent}{json.dumps(i)},\n" for i in items) + "]"


def _requirement_name(requirement: str) -> str:
    """The project name of a PEP 508 requirement (``"nbgrader==0.9.6"`` -> ``"nbgrader"``)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement


def public_pyproject(course: Course) -> str:
    """``pyproject.toml`` of the public repository: ``course_lib`` alone, same core ranges."""
    data = _pyproject(course)
    project = data.get("project", {})
    build = data.get("build-system", {})
    extras = project.get("optional-dependencies", {}).get("course", [])
    student = [r for r in extras if _requirement_name(r) in STUDENT_EXTRA]
    package_data = data.get("tool", {}).get("setuptools", {}).get("package-data", {})
    public = _public_repository(course)
    # The instructor project's SPDX expression; MIT, that of MIT_LICENSE, when it has no LICENSE.
    licence = project.get("license") if isinstance(project.get("license"), str) else None
    if not (course.root / "LICENSE").is_file():
        licence = "MIT"
    lines = [
        "# Written by `python -m autograder publish` in the course's instructor repository.",
        "# It packages course_lib, the notebooks' helper library, and nothing else: the setup",
        "# cell of every notebook installs it from this repository where it is missing (Colab).",
        "[build-system]",
        f"requires = {json.dumps(build.get('requires', ['setuptools>=77']))}",
        f"build-backend = {json.dumps(build.get('build-backend', 'setuptools.build_meta'))}",
        "",
        "[project]",
        f"name = {json.dumps(PACKAGE_NAME)}",
        f"version = {json.dumps(project.get('version', '0.1.0'))}",
        'description = "course_lib, the helper library of the notebooks of '
        'Attention, from RNNs to Transformers"',
        'readme = "README.md"',
        f"requires-python = {json.dumps(project.get('requires-python', '>=3.10'))}",
        *([f"license = {json.dumps(licence)}"] if licence else []),
        'license-files = ["LICENSE"]',
        f"dependencies = {_toml_list(list(project.get('dependencies', [])))}",
        "",
        "[project.optional-dependencies]",
        "# Running the notebooks locally: JupyterLab, its widgets and nbgrader's Validate button.",
        f"course = {_toml_list(student)}",
    ]
    if public is not None:
        lines += ["", "[project.urls]", f"Repository = {json.dumps(public[0])}"]
    lines += [
        "",
        "[tool.setuptools]",
        f"packages = [{json.dumps(PACKAGE)}]",
    ]
    if PACKAGE in package_data:
        lines += [
            "",
            "[tool.setuptools.package-data]",
            f"{PACKAGE} = {json.dumps(list(package_data[PACKAGE]))}",
        ]
    return "\n".join(lines) + "\n"


def _notebook_table(course: Course) -> str:
    """The notebook table of the instructor README (its first Markdown table), or a list."""
    readme = course.root / "README.md"
    rows: list[str] = []
    if readme.is_file():
        for line in readme.read_text().splitlines():
            if line.startswith("|"):
                rows.append(line)
            elif rows:
                break
    if rows:
        return "\n".join(rows)
    names = sorted(p.name for p in course.notebooks.iterdir() if p.is_dir())
    return "\n".join(f"- [`{n}`](notebooks/{n}/{n}.ipynb)" for n in names)


# The instructor README's first quick-start command, which works the same in the public repository.
SETUP_COMMAND = (
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[course]" '
    "&& jupyter lab notebooks/"
)

README = """\
# Attention, from RNNs to Transformers

Jupyter notebooks that take you from the limits of RNN encoder-decoders, through dot-product and
cosine similarity and softmax attention, to self-attention with queries, keys and values,
multi-head attention, the Transformer, a small GPT and a Vision Transformer. You write the key
pieces yourself; tests under every exercise tell you what is wrong and give a hint.

{table}

CPU times are wall times of running every cell on a 2-core x86_64 machine. On a GPU, 06, 07 and
08 switch by themselves to larger models.

## In Colab (nothing to install)

Open a notebook from the table above and click the **Open in Colab** badge at its top, then run
the first code cell. Where `course_lib` (the notebooks' helper library) is missing, that cell
installs it from this repository{install} (about a minute, once per Colab session). It adds the
library alone: its requirements are ranges that Colab's own torch, numpy, matplotlib, ipywidgets,
tqdm and scikit-learn already satisfy, so nothing is upgraded and no restart is asked for.
Notebooks 01 to 05 run on Colab's CPU runtime. Notebooks 06, 07 and 08 ask Colab for a GPU
runtime (the free tier's T4, when Colab can give one; otherwise choose a CPU runtime under
Runtime > Change runtime type): on a GPU they train a larger model, on a CPU a smaller one,
chosen automatically. Each states both times.

## On your own machine

Python 3.10 to 3.13, from the folder of this repository:

```bash
{setup}
```

JupyterLab opens in your browser (or prints a `http://127.0.0.1:8888/lab?token=...` address to
open). In a container where you are root, add `--allow-root` to the last command. To learn, the
library alone is enough (`pip install -e .`): the visible tests run in any Jupyter. Two
environment variables override the automatic choices: `COURSE_DEVICE=cpu` (or `cuda`, `cuda:1`,
`mps`) picks the device, and `COURSE_SIZE=cpu` (or `gpu`) picks the experiment sizes of 06, 07
and 08, for instance `COURSE_SIZE=cpu jupyter lab notebooks/` to get the quick version on a GPU
machine.

## Working through a notebook

1. Open `notebooks/NN_name/NN_name.ipynb` (in Colab, or in JupyterLab as above).
2. Read from the top and run each cell in order (Shift+Enter). Exercises say what to return,
   with shapes; replace `raise NotImplementedError()` under `# YOUR CODE HERE` with your code.
3. Run the test cells under each exercise. A failing test says what it expected, what it got and
   the likely mistake.
4. Each notebook runs on its own; later notebooks use the torch built-ins for what earlier ones
   asked you to write.

## If you take the course for credit

Your course grades your notebooks with more tests than the ones you see, so make each function
right in general, not only for the visible examples.

1. Before you submit: Kernel > Restart Kernel and Run All Cells, and check that no test cell
   fails. The **Validate** button in the notebook's toolbar (from nbgrader, installed by the
   command above) does the same in one click: it runs a fresh copy of the saved notebook and says
   "Success! Your notebook passes all the tests." or lists the test cells that fail. From a
   terminal: `nbgrader validate notebooks/NN_name/NN_name.ipynb`.
2. Submit the `.ipynb` file as your course tells you (for instance by uploading it to your
   learning platform); keep its name.

Do not edit or delete the test cells: the grader restores them from its own copy anyway.

## What is here

```
notebooks/      the notebooks, one folder each
course_lib/     the helper library they import (devices, seeding, data, text, training,
                measurement, plots, widgets, test helpers)
pyproject.toml  packages course_lib ({package}) with its requirements
LICENSE         {licence}
```
"""


def public_readme(course: Course) -> str:
    """``README.md`` of the public repository: the student and self-learner guide."""
    public = _public_repository(course)
    install = f' with `pip install "git+{public[0]}@{public[1]}"`' if public else ""
    licence = "the licence" if (course.root / "LICENSE").is_file() else "MIT licence"
    return README.format(
        table=_notebook_table(course),
        install=install,
        setup=SETUP_COMMAND,
        package=PACKAGE_NAME,
        licence=licence,
    )


def licence_text(course: Course) -> str:
    """This repository's ``LICENSE``, or the MIT licence of the course authors."""
    own = course.root / "LICENSE"
    return own.read_text() if own.is_file() else MIT_LICENSE


def publish(course: Course, dest: Path, *, force: bool = False) -> list[Path]:
    """Write the public student repository into ``dest``.

    ``dest`` must be missing or empty; with ``force``, the entries of :data:`PUBLIC_ENTRIES`
    that it holds are replaced and everything else (a ``.git`` folder, say) is left alone.

    Returns:
        The top-level entries written, in :data:`PUBLIC_ENTRIES` order.

    Raises:
        CourseError: ``dest`` is not empty (without ``force``), not a folder, or the course
            (or a folder that holds it, or one of its ``course_lib/`` and ``notebooks/``), or
            the course has no ``course_lib/`` or ``notebooks/`` to publish.
    """
    dest = Path(dest)
    for needed in (course.root / PACKAGE, course.notebooks):
        if not needed.is_dir():
            raise CourseError(f"nothing to publish: {needed} is missing")
    where = dest.resolve()
    root = course.root.resolve()
    if (
        where == root
        or where in root.parents
        or root / PACKAGE in [where, *where.parents]
        or (course.notebooks.resolve() in [where, *where.parents])
    ):
        raise CourseError(f"{dest} is the course itself or holds it: publish into another folder")
    if dest.exists() and not dest.is_dir():
        raise CourseError(f"{dest} exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise CourseError(
            f"{dest} is not empty: publish into a new folder, or add --force to replace "
            f"{', '.join(PUBLIC_ENTRIES)} there (nothing else is touched)"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for name in PUBLIC_ENTRIES:
        target = dest / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
    shutil.copytree(course.notebooks, dest / "notebooks", ignore=_SKIP)
    shutil.copytree(
        course.root / PACKAGE,
        dest / PACKAGE,
        ignore=lambda folder, names: _SKIP(folder, names) | _SKIP_TESTS(folder, names),
    )
    (dest / "pyproject.toml").write_text(public_pyproject(course))
    (dest / "README.md").write_text(public_readme(course))
    (dest / "LICENSE").write_text(licence_text(course))
    return [dest / name for name in PUBLIC_ENTRIES]


# ---- what may never be published: found by content ----------------------------------------
#
# Two comparisons, each blind to names: a *line* of a solution region, a hidden-test region or a
# catalogue, whitespace collapsed and a trailing comment dropped, that a published file repeats
# (verbatim copies, of tests too); and the *shape* of one or two consecutive statements of a
# solution region or an equivalent (a right answer in another style) that a published Python
# file repeats with other names, other literals, or numpy's spelling for torch's
# (``np.exp(s - s.max(axis=1, keepdims=True))`` has the shape of
# ``torch.exp(x - x.amax(dim=dim, keepdim=True))``). Trivial lines and small shapes never count,
# nor anything that the release itself shows outside the regions.

MIN_LINE_CHARS = 20  # a code line shorter than this (`return x`, `pass`, `)`) never counts
MIN_COMMENT_CHARS = 40  # nor a shorter comment line
MIN_SHAPE_NODES = 20  # nor a window of statements with fewer syntax-tree nodes
SHAPE_WINDOW = 2  # statements compared at once (and each single statement)
MAX_REPORTED = 20
# numpy and torch spellings of the same operation, compared as one.
SHAPE_ALIASES = {"amax": "max", "amin": "min", "keepdims": "keepdim", "axis": "dim"}
_TRAILING_COMMENT = re.compile(r"""^((?:[^#'"]|'[^']*'|"[^"]*")*?)\s+#.*$""")


def _line_key(line: str) -> str | None:
    """The normalised form of ``line`` under which it is compared, or None if it is trivial."""
    text = " ".join(line.split())
    if text.startswith("#"):
        return text if len(text) >= MIN_COMMENT_CHARS else None
    match = _TRAILING_COMMENT.match(text)
    code = match.group(1) if match else text
    if len(code) < MIN_LINE_CHARS or code.startswith(("import ", "from ")):
        return None
    return code


class _Canonical(ast.NodeTransformer):
    """Every name and literal becomes ``_``; aliased attributes and keywords one spelling."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(id="_", ctx=ast.Load())

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Name(id="_", ctx=ast.Load())

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        return ast.Attribute(
            value=node.value, attr=SHAPE_ALIASES.get(node.attr, node.attr), ctx=ast.Load()
        )

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        self.generic_visit(node)
        if node.arg is not None:
            node.arg = SHAPE_ALIASES.get(node.arg, node.arg)
        return node


def _shape(statement: ast.stmt) -> str:
    tree = _Canonical().visit(copy.deepcopy(statement))
    return ast.dump(tree, annotate_fields=False)


def _shapes(code: str) -> list[tuple[tuple[str, ...], ast.stmt]]:
    """``(shape, first statement)`` of each window of 1 to :data:`SHAPE_WINDOW` consecutive
    statements of one block of ``code`` that has at least :data:`MIN_SHAPE_NODES` nodes; empty
    when ``code`` does not parse."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not (isinstance(block, list) and block and isinstance(block[0], ast.stmt)):
                continue
            for size in range(1, SHAPE_WINDOW + 1):
                for i in range(len(block) - size + 1):
                    window = block[i : i + size]
                    if sum(1 for s in window for _ in ast.walk(s)) >= MIN_SHAPE_NODES:
                        found.append((tuple(_shape(s) for s in window), window[0]))
    return found


def _file_lines(path: Path) -> list[tuple[str, str]]:
    """``(where, line)`` for every line of a file: a notebook's cell sources, else its text."""
    text = path.read_text(errors="replace")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            cells = None
        if isinstance(cells, list):
            found = []
            for i, cell in enumerate(cells):
                source = cell.get("source", "") if isinstance(cell, dict) else ""
                source = "".join(source) if isinstance(source, list) else str(source)
                found += [(f"cell {i}", line) for line in source.splitlines()]
            return found
    return [(f"line {i}", line) for i, line in enumerate(text.splitlines(), 1)]


def _release_code(course: Course) -> list[str]:
    """The code cells of the release notebooks: what students see anyway."""
    import nbformat

    found = []
    for path in sorted(course.notebooks.glob("*/*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        found += [c.source for c in nb.cells if c.cell_type == "code"]
    return found


@dataclass
class Secrets:
    """What must never be published, each with where it comes from.

    Attributes:
        lines: distinctive lines (:func:`_line_key`) of solution regions, hidden-test regions
            and the mutant and equivalent catalogues.
        shapes: shapes of statements of solution regions and of equivalents, with the
            statement each was first seen as.
    """

    lines: dict[str, str] = field(default_factory=dict)
    shapes: dict[tuple[str, ...], str] = field(default_factory=dict)


def secrets(course: Course) -> Secrets:
    """Everything of :class:`Secrets` in the course, less what the release shows anyway.

    Solution regions are found as :func:`autograder.mutants.solution_regions` finds them,
    hidden-test regions as what :func:`autograder.integrity.release_text` removes from a cell,
    catalogues with :func:`autograder.mutants.load_catalogue`.
    """
    import nbformat

    from autograder.integrity import release_text
    from autograder.mutants import load_catalogue, solution_regions

    found = Secrets()
    public_lines: set[str] = set()
    public_shapes: set[tuple[str, ...]] = set()

    def add_line(line: str, origin: str) -> None:
        key = _line_key(line)
        if key is not None:
            found.lines.setdefault(key, origin)

    def add_shapes(code: str, origin: str) -> None:
        for shape, first in _shapes(code):
            found.shapes.setdefault(shape, f"{origin}: {ast.unparse(first).splitlines()[0]!r}")

    for a in course.assignments():
        path = course.source_notebook(a)
        if not path.is_file():
            continue
        for cell in nbformat.read(str(path), as_version=4).cells:
            lines = cell.source.splitlines()
            meta = cell.metadata.get("nbgrader", {})
            where = f"solutions/{a}/{path.name}, cell {meta.get('grade_id', cell.get('id'))}"
            hidden: dict[int, str] = {}  # line index -> what it belongs to
            if cell.cell_type != "code":  # a written answer is hidden as a whole
                if meta.get("solution"):
                    hidden = dict.fromkeys(range(len(lines)), f"a written answer ({where})")
            else:
                try:
                    regions = solution_regions(cell.source)
                except CourseError as exc:
                    raise CourseError(f"{where}: {exc}") from exc
                removed = Counter(lines) - Counter(release_text(cell.source).splitlines())
                hidden = {i: f"a hidden test ({where})" for i, x in enumerate(lines) if removed[x]}
                for b, e, _ in regions:
                    hidden.update(dict.fromkeys(range(b + 1, e), f"a solution ({where})"))
                    add_shapes("\n".join(lines[b + 1 : e]), f"the solution in {where}")
            for i, line in enumerate(lines):
                if i in hidden:
                    add_line(line, hidden[i])
                elif (key := _line_key(line)) is not None:
                    public_lines.add(key)
        folder = course.solutions / a
        for catalogue in sorted([*folder.glob("mutants*.py"), *folder.glob("equivalents*.py")]):
            for line in catalogue.read_text().splitlines():
                add_line(line, f"a catalogue (solutions/{a}/{catalogue.name})")
        for equivalent in load_catalogue(course, a, check=False).equivalents or []:
            parts = (
                (equivalent.source,) if isinstance(equivalent.source, str) else equivalent.source
            )
            for part in parts:
                add_shapes(part, f"the equivalent {equivalent.name!r} of {a}")
    for code in _release_code(course):
        public_lines.update(k for line in code.splitlines() if (k := _line_key(line)))
        public_shapes.update(shape for shape, _ in _shapes(code))
    found.lines = {k: v for k, v in found.lines.items() if k not in public_lines}
    found.shapes = {k: v for k, v in found.shapes.items() if k not in public_shapes}
    return found


def published_problems(
    course: Course,
    tree: Path,
    *,
    also_allowed: tuple[str, ...] = (),
    found: Secrets | None = None,
) -> list[str]:
    """What is wrong with the public repository in ``tree`` (empty when nothing is).

    It may hold only :data:`PUBLIC_ENTRIES` (and the top-level entries ``also_allowed``, such
    as the ``.git`` of a clone, which are not looked into), no Python file outside
    ``course_lib``, nothing named like a catalogue, no nbgrader region marker, no line of
    :func:`secrets` in any file (``course_lib`` and the README as much as the notebooks), and no
    shape of one in a Python file. ``found`` is :func:`secrets` of ``course``, computed when
    None.
    """
    from autograder.check import LEAK_MARKERS

    problems = []
    entries = {p.name for p in tree.iterdir()} - set(also_allowed)
    problems += [
        f"  {n}: not part of the public repository" for n in sorted(entries - set(PUBLIC_ENTRIES))
    ]
    problems += [f"  {n}: missing" for n in sorted(set(PUBLIC_ENTRIES) - entries)]
    found = found if found is not None else secrets(course)
    leaks = []
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree).as_posix()
        if not path.is_file() or rel.split("/")[0] in also_allowed:
            continue
        if path.name.startswith(("mutants", "equivalents", "claims")) or (
            path.suffix == ".py" and not rel.startswith(f"{PACKAGE}/")
        ):
            problems.append(f"  {rel}: an instructor file")
            continue
        text = path.read_text(errors="replace")
        problems += [f"  {rel}: contains {m!r}" for m in LEAK_MARKERS if m in text]
        for where, line in _file_lines(path):
            key = _line_key(line)
            if key is not None and key in found.lines:
                leaks.append(f"  {rel} ({where}): {line.strip()!r} is a line of {found.lines[key]}")
        if path.suffix == ".py":
            seen: set[int] = set()
            for shape, first in _shapes(text):
                if shape in found.shapes and first.lineno not in seen:
                    seen.add(first.lineno)
                    leaks.append(
                        f"  {rel} (line {first.lineno}): {ast.unparse(first).splitlines()[0]!r} "
                        f"has the shape of {found.shapes[shape]}"
                    )
    if len(leaks) > MAX_REPORTED:
        leaks = [*leaks[:MAX_REPORTED], f"  ... and {len(leaks) - MAX_REPORTED} more"]
    return problems + leaks
