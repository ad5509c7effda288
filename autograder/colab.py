"""The "Open in Colab" badge and the setup cell that installs ``course_lib`` where it is missing.

Both are generated into every solution notebook by ``python -m autograder sync`` from one place,
``pyproject.toml`` (``[project.urls] Repository`` and ``[tool.attention-course]``), and
``python -m autograder check`` fails when a notebook is out of date. The release inherits them.

- The badge opens the *student* notebook (``notebooks/NN/NN.ipynb``) of the configured branch.
- The setup cell's first lines install the course from the repository when ``course_lib`` cannot
  be imported (Colab, or any Python without the course), and do nothing where it is installed.
  The package's dependencies are ranges that Colab's preinstalled torch, numpy, matplotlib,
  ipywidgets and tqdm satisfy, so the install adds ``course_lib`` and upgrades nothing (no
  runtime restart). ``COURSE_LIB_SOURCE`` replaces the repository by any pip requirement, such
  as a local wheel (the tests use that).
- GPU notebooks carry Colab's accelerator metadata, so Colab opens them on a GPU runtime.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
SOURCE_ENV_VAR = "COURSE_LIB_SOURCE"
BADGE_MARK = "[![Open In Colab]"
INSTALL_BEGIN = "# Colab, or a Python without the course: install its helper library first."
INSTALL_END = "# (end of the install lines)"
GPU_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}


@dataclass(frozen=True)
class ColabConfig:
    """What the badges and setup cells are generated from (read from ``pyproject.toml``)."""

    repository: str  # https://github.com/ORG/REPO
    branch: str
    gpu_notebooks: tuple[str, ...]

    @property
    def github_path(self) -> str:
        """``ORG/REPO`` of the repository URL."""
        prefix = "https://github.com/"
        if not self.repository.startswith(prefix):
            raise ValueError(f"the Repository URL must start with {prefix}: {self.repository}")
        return self.repository.removeprefix(prefix).rstrip("/").removesuffix(".git")

    def badge(self, assignment: str) -> str:
        """Markdown of the badge that opens ``notebooks/<assignment>/<assignment>.ipynb``."""
        url = (
            f"https://colab.research.google.com/github/{self.github_path}/blob/{self.branch}/"
            f"notebooks/{assignment}/{assignment}.ipynb"
        )
        return f"{BADGE_MARK}({BADGE_IMAGE})]({url})"

    def requirement(self) -> str:
        """The pip requirement that installs the course from the repository."""
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


def read_config(root: Path) -> ColabConfig:
    """The configuration in ``root/pyproject.toml``."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    data = tomllib.loads((root / "pyproject.toml").read_text())
    tool = data.get("tool", {}).get("attention-course", {})
    return ColabConfig(
        repository=data["project"]["urls"]["Repository"],
        branch=tool.get("branch", "main"),
        gpu_notebooks=tuple(tool.get("gpu-notebooks", ())),
    )


def _setup_cell(nb: Any) -> Any:
    for cell in nb.cells:
        if cell.cell_type == "code":
            return cell
    raise ValueError("the notebook has no code cell to hold the setup")


def apply(nb: Any, assignment: str, config: ColabConfig) -> bool:
    """Put the badge, the install lines and the GPU metadata into ``nb``; True if it changed."""
    import nbformat

    before = nbformat.writes(nb)
    badge = config.badge(assignment)
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "markdown" and first.source.startswith(BADGE_MARK):
        first.source = badge
    else:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(badge))
    setup = _setup_cell(nb)
    body = setup.source
    if body.startswith(INSTALL_BEGIN) and INSTALL_END in body:
        body = body.split(INSTALL_END, 1)[1].lstrip("\n")
    setup.source = config.install_lines() + "\n\n" + body
    if assignment in config.gpu_notebooks:
        nb.metadata.update(GPU_METADATA)
    else:
        for key in GPU_METADATA:
            nb.metadata.pop(key, None)
    return nbformat.writes(nb) != before


def problems(nb: Any, assignment: str, config: ColabConfig) -> list[str]:
    """What :func:`apply` would change in ``nb`` (empty when it is up to date)."""
    import copy

    found = []
    probe = copy.deepcopy(nb)
    if apply(probe, assignment, config):
        first = nb.cells[0] if nb.cells else None
        if first is None or first.source != config.badge(assignment):
            found.append("the Open in Colab badge is missing or out of date")
        if not _setup_cell(nb).source.startswith(config.install_lines()):
            found.append("the setup cell does not start with the install lines")
        if (assignment in config.gpu_notebooks) != (nb.metadata.get("accelerator") == "GPU"):
            found.append("Colab's GPU metadata is wrong")
        found = found or ["it differs from what `python -m autograder sync` writes"]
    return found
