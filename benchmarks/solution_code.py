"""Load the models and functions of a solution notebook, so that a benchmark never re-types them.

``load("06_transformer", ["Transformer", "CONFIG"])`` reads ``solutions/06_transformer/
06_transformer.py`` (the jupytext twin of the notebook) and executes, in order and in one fresh
namespace, every top-level import, function and class definition of its cells, the solution
cells included, and no test cell (nbgrader's ``is_grade``). Nothing else runs: no training, no
plot, no "try it" print. A name that is assigned rather than defined (``CONFIG = ...``,
``DEVICE = ...``) runs only when asked for by name, with every assignment of a name asked for
before it (so ``CONFIG`` brings ``DEVICE`` along only when ``DEVICE`` is asked for too).

The benchmark then measures the notebook's own code: edit the notebook and the benchmark follows.
"""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Sequence
from typing import Any

DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _assigned_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return set()
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def load(assignment: str, names: Sequence[str], assigned: Sequence[str] = ()) -> dict[str, Any]:
    """The objects called ``names`` after running the definitions of ``assignment``'s notebook.

    Args:
        assignment: the notebook, e.g. ``"03_attention"``.
        names: what to return (functions, classes, imported names, or names in ``assigned``).
        assigned: top-level names whose assignments run as well, in notebook order
            (e.g. ``["DEVICE", "CONFIG"]``).

    Returns:
        ``{name: object}`` for every name in ``names``.

    Raises:
        KeyError: a name that the notebook does not define (with the names it does define).
    """
    import jupytext
    from nbgrader.utils import is_grade

    from autograder.course import find_course

    course = find_course()
    path = course.solutions / assignment / f"{assignment}.py"
    nb = jupytext.read(path)
    # A module of its own (dataclasses look their class's module up in sys.modules).
    module_name = f"solution_{assignment}"
    module = types.ModuleType(module_name, f"definitions of {path}")
    sys.modules[module_name] = module
    namespace = module.__dict__
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_grade(cell):
            continue
        tree = ast.parse(cell.source)
        keep = [
            node
            for node in tree.body
            if isinstance(node, DEFINITIONS) or _assigned_names(node) & set(assigned)
        ]
        if keep:
            code = compile(ast.Module(body=keep, type_ignores=[]), f"{path}, cell {number}", "exec")
            exec(code, namespace)  # our own notebook's code
    missing = [name for name in names if name not in namespace]
    if missing:
        known = sorted(k for k in namespace if not k.startswith("__"))
        raise KeyError(f"{assignment} does not define {missing}; it defines {known}")
    return {name: namespace[name] for name in names}
