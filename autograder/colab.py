"""The "Open in Colab" badge and the whole setup cell, generated the same way for every notebook.

Both are generated into every solution notebook by ``python -m autograder sync`` from one place,
this module and ``[tool.attention-course]`` in ``pyproject.toml``, and ``python -m autograder
check`` fails when a notebook differs from what ``sync`` writes. The release inherits them.

Both point at the *public* repository, ``public-repository`` there: the copy of the course that
``python -m autograder publish`` writes (release notebooks and ``course_lib`` only). This
repository, ``[project.urls] Repository``, holds the solutions and stays private; nothing
generated here names it. A course without ``public-repository`` has no Colab support
(:func:`read_config` raises ``KeyError``).

- The badge opens the *student* notebook (``notebooks/NN/NN.ipynb``) of the configured branch.
- The setup cell (the first code cell) has three parts:

  1. the install lines, which install ``course_lib`` from the public repository when it cannot
     be imported (Colab, or any Python without the course), and do nothing where it is
     installed. The package's dependencies are ranges that Colab's preinstalled torch, numpy,
     matplotlib, ipywidgets and tqdm satisfy, so the install adds ``course_lib`` and upgrades
     nothing (no runtime restart). ``COURSE_LIB_SOURCE`` replaces the repository by any pip
     requirement, such as a local wheel (the tests use that);
  2. the notebook's own part, the only one an author writes: its imports, and print settings
     such as ``np.set_printoptions(...)``, nothing else (``check`` says where it finds other
     code). ``sync`` adds the names that part 3 needs to its ``from course_lib.device import``;
  3. the same three lines in every notebook: seed everything with 0, pick ``DEVICE`` (a GPU
     where there is one, ``COURSE_DEVICE`` overrides) and print it.

  A setup cell that predates this layout (or a new notebook's) is converted by ``sync``: its
  lines after the install lines become the notebook's part, less the lines of part 3.
- GPU notebooks carry Colab's accelerator metadata, so Colab opens them on a GPU runtime.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
SOURCE_ENV_VAR = "COURSE_LIB_SOURCE"
BADGE_MARK = "[![Open In Colab]"
INSTALL_BEGIN = "# Colab, or a Python without the course: install its helper library first."
INSTALL_END = "# (end of the install lines)"
OWN_BEGIN = "# This notebook's imports and print settings."
COMMON_BEGIN = "# As in every notebook: seed the random number generators and pick the device."
COMMON_LINES = ("seed_everything(0)", "DEVICE = get_device()", "print(describe_device(DEVICE))")
DEVICE_MODULE = "course_lib.device"
DEVICE_NAMES = ("describe_device", "get_device", "seed_everything")  # what COMMON_LINES call
# Lines of an older setup cell that COMMON_LINES replace (with whatever comment they carried).
_OLD_COMMON = re.compile(r"^(seed_everything\(|DEVICE = get_device\(|print\(describe_device\()")
LINE_LENGTH = 100
GPU_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}


@dataclass(frozen=True)
class ColabConfig:
    """What the badges and setup cells are generated from (read from ``pyproject.toml``)."""

    repository: str  # https://github.com/ORG/REPO: the public repository (see publish.py)
    branch: str
    gpu_notebooks: tuple[str, ...]

    @property
    def github_path(self) -> str:
        """``ORG/REPO`` of the repository URL."""
        prefix = "https://github.com/"
        if not self.repository.startswith(prefix):
            raise ValueError(f"public-repository must start with {prefix}: {self.repository}")
        return self.repository.removeprefix(prefix).rstrip("/").removesuffix(".git")

    def badge(self, assignment: str) -> str:
        """Markdown of the badge that opens ``notebooks/<assignment>/<assignment>.ipynb``."""
        url = (
            f"https://colab.research.google.com/github/{self.github_path}/blob/{self.branch}/"
            f"notebooks/{assignment}/{assignment}.ipynb"
        )
        return f"{BADGE_MARK}({BADGE_IMAGE})]({url})"

    def requirement(self) -> str:
        """The pip requirement that installs ``course_lib`` from the public repository."""
        return f"git+{self.repository}@{self.branch}"

    def install_lines(self) -> str:
        """The first lines of every setup cell."""
        return "\n".join(
            [
                INSTALL_BEGIN,
                "import importlib.util",
                "import os",
                "import subprocess",
                "import sys",
                "",
                f'COURSE_REPOSITORY = "{self.requirement()}"',
                'if importlib.util.find_spec("course_lib") is None:',
                f'    source = os.environ.get("{SOURCE_ENV_VAR}", COURSE_REPOSITORY)',
                '    print(f"Installing course_lib from {source} ...")',
                '    pip = [sys.executable, "-m", "pip", "install", "-q"]',
                "    subprocess.run([*pip, source], check=True)",
                "    importlib.invalidate_caches()",
                INSTALL_END,
            ]
        )


PUBLIC_REPOSITORY_KEY = "public-repository"  # in [tool.attention-course]


def read_config(root: Path) -> ColabConfig:
    """The configuration in ``root/pyproject.toml``.

    Raises:
        KeyError: ``[tool.attention-course]`` has no ``public-repository`` (no Colab support).
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    data = tomllib.loads((root / "pyproject.toml").read_text())
    tool = data.get("tool", {}).get("attention-course", {})
    return ColabConfig(
        repository=tool[PUBLIC_REPOSITORY_KEY],
        branch=tool.get("branch", "main"),
        gpu_notebooks=tuple(tool.get("gpu-notebooks", ())),
    )


# ---- the setup cell ------------------------------------------------------------------------


def own_part(source: str) -> str:
    """The notebook's own part of a setup cell's ``source`` (its imports and print settings).

    In a cell laid out by :func:`setup_source`, the lines between ``OWN_BEGIN`` and
    ``COMMON_BEGIN``; in an older (or hand-written) cell, everything after the install lines
    except the lines that part 3 replaces.
    """
    if INSTALL_END in source:
        source = source.split(INSTALL_END, 1)[1]
    if OWN_BEGIN in source and COMMON_BEGIN in source.split(OWN_BEGIN, 1)[1]:
        return source.split(OWN_BEGIN, 1)[1].split(COMMON_BEGIN, 1)[0].strip("\n")
    lines = [line for line in source.splitlines() if not _OLD_COMMON.match(line)]
    return "\n".join(lines).strip("\n")


def _format_import(module: str, names: list[str], multiline: bool) -> str:
    one_line = f"from {module} import {', '.join(names)}"
    if not multiline and len(one_line) <= LINE_LENGTH:
        return one_line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def with_device_imports(own: str) -> str:
    """``own`` with the names of ``DEVICE_NAMES`` in its ``from course_lib.device import``.

    A missing import line is added where isort would put it: among the ``from course_lib...``
    imports, by module name, or as a group of its own after the other imports.
    """
    tree = ast.parse(own)
    lines = own.splitlines()
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    for node in imports:
        if isinstance(node, ast.ImportFrom) and node.module == DEVICE_MODULE and not node.level:
            have = [a.name for a in node.names]
            if set(DEVICE_NAMES) <= set(have) or any(a.asname for a in node.names):
                return own
            names = sorted(set(have) | set(DEVICE_NAMES))
            start, end = node.lineno - 1, node.end_lineno or node.lineno
            text = _format_import(DEVICE_MODULE, names, multiline=end - start > 1)
            return "\n".join([*lines[:start], text, *lines[end:]])
    text = _format_import(DEVICE_MODULE, list(DEVICE_NAMES), multiline=False)
    course = [
        n
        for n in imports
        if isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "course_lib"
    ]
    before = [n for n in course if (n.module or "") < DEVICE_MODULE]
    if before:
        at = max(n.end_lineno or n.lineno for n in before)
        return "\n".join([*lines[:at], text, *lines[at:]])
    if course:
        at = min(n.lineno for n in course) - 1
        return "\n".join([*lines[:at], text, *lines[at:]])
    at = max((n.end_lineno or n.lineno for n in imports), default=0)
    return "\n".join([*lines[:at], *([""] if at else []), text, *lines[at:]])


def own_part_problems(own: str) -> list[str]:
    """Why ``own`` may not stand as a notebook's part of the setup cell (empty when it may)."""
    try:
        tree = ast.parse(own)
    except SyntaxError as exc:
        return [f"its imports do not parse: {exc.msg} (line {exc.lineno})"]
    found = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "set_printoptions"
        ):
            continue
        found.append(
            f"line {node.lineno} of its own part is neither an import nor a set_printoptions "
            f"call: {ast.get_source_segment(own, node)!r} (move it to a later cell)"
        )
    return found


def setup_source(own: str, config: ColabConfig) -> str:
    """The whole setup cell: install lines, the notebook's ``own`` part, the common lines."""
    own = own.strip("\n")
    try:
        own = with_device_imports(own)
    except SyntaxError:
        pass  # left as it is: check reports it
    return "\n".join([config.install_lines(), "", OWN_BEGIN, own, "", COMMON_BEGIN, *COMMON_LINES])


def _setup_cell(nb: Any) -> Any:
    for cell in nb.cells:
        if cell.cell_type == "code":
            return cell
    raise ValueError("the notebook has no code cell to hold the setup")


def apply(nb: Any, assignment: str, config: ColabConfig) -> bool:
    """Put the badge, the setup cell and the GPU metadata into ``nb``; True if it changed."""
    import nbformat

    before = nbformat.writes(nb)
    badge = config.badge(assignment)
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "markdown" and first.source.startswith(BADGE_MARK):
        first.source = badge
    else:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(badge))
    setup = _setup_cell(nb)
    setup.source = setup_source(own_part(setup.source), config)
    if assignment in config.gpu_notebooks:
        nb.metadata.update(GPU_METADATA)
    else:
        for key in GPU_METADATA:
            nb.metadata.pop(key, None)
    return nbformat.writes(nb) != before


def problems(nb: Any, assignment: str, config: ColabConfig) -> list[str]:
    """What :func:`apply` would change in ``nb``, and what it cannot fix (empty: all is well)."""
    import copy

    found = []
    setup = _setup_cell(nb).source
    probe = copy.deepcopy(nb)
    if apply(probe, assignment, config):
        first = nb.cells[0] if nb.cells else None
        if first is None or first.source != config.badge(assignment):
            found.append("the Open in Colab badge is missing or out of date")
        if setup != _setup_cell(probe).source:
            found.append("the setup cell differs from the template (autograder/colab.py)")
        if (assignment in config.gpu_notebooks) != (nb.metadata.get("accelerator") == "GPU"):
            found.append("Colab's GPU metadata is wrong")
        found = found or ["it differs from what `python -m autograder sync` writes"]
    found += [f"the setup cell: {p}" for p in own_part_problems(own_part(setup))]
    return found
