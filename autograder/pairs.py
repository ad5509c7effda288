"""Keep each ``solutions/NN/NN.ipynb`` and its jupytext ``py:percent`` twin ``NN.py`` in sync.

Edit either file; ``python -m autograder sync`` writes the newer one over the other and
normalises the notebook (no outputs, no execution counts, no jupytext bookkeeping metadata), so
diffs stay small and the release built from it is stable. It also writes the generated parts
(:mod:`autograder.colab`: the Open in Colab badge, the whole setup cell but the notebook's own
imports, the GPU metadata), which ``jupytext --sync`` would not: use ``sync``.
"""

from __future__ import annotations

from pathlib import Path

from autograder.colab import ColabConfig, read_config
from autograder.colab import apply as apply_colab
from autograder.course import Course

DROP_CELL_KEYS = ("lines_to_next_cell", "execution", "collapsed", "scrolled")


def normalise(nb) -> None:
    """Strip outputs and tool metadata from ``nb`` in place (nbgrader metadata and tags stay)."""
    nb.metadata.pop("jupytext", None)
    for cell in nb.cells:
        for key in DROP_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.pop("id", None)


def sync_pair(ipynb: Path, colab: ColabConfig | None = None) -> str:
    """Sync one pair; returns which way it went (``"py -> ipynb"``, ``"ipynb -> py"``, ...).

    With ``colab``, the notebook also gets its Open in Colab badge, its setup cell from the
    template and its GPU metadata (see :mod:`autograder.colab`).
    """
    import jupytext
    import nbformat

    py = ipynb.with_suffix(".py")
    if py.is_file() and (not ipynb.is_file() or py.stat().st_mtime > ipynb.stat().st_mtime):
        nb = jupytext.read(py)
        direction = "py -> ipynb"
    else:
        nb = nbformat.read(str(ipynb), as_version=4)
        direction = "ipynb -> py"
    nb.nbformat, nb.nbformat_minor = 4, 4  # before anything writes it: 4.5 would add cell ids
    if colab is not None:
        apply_colab(nb, ipynb.stem, colab)
    normalise(nb)  # after the Colab cells: a cell it inserts must not keep a 4.5 cell id
    nbformat.write(nb, str(ipynb))
    jupytext.write(nb, py, fmt="py:percent")
    return direction


def sync_all(course: Course, assignments: list[str] | None = None) -> list[tuple[Path, str]]:
    """Sync every pair of ``assignments`` (default all)."""
    done = []
    try:
        colab: ColabConfig | None = read_config(course.root)
    except KeyError:  # no [tool.attention-course] public-repository: no Colab support
        colab = None
    for a in course.resolve_assignments(assignments):
        done.append((course.source_notebook(a), sync_pair(course.source_notebook(a), colab)))
    return done
