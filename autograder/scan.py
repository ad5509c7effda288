"""A static scan of the code a student wrote, for what a grader should never have to trust.

The scan reads every code cell the student could have changed (the locked test cells are
restored from the source before grading, so they are skipped) and reports, with the offending
line:

- **monkeypatching**: assigning to or deleting an attribute of a module (``np.testing.
  assert_allclose = ...``, ``torch.equal = ...``), ``setattr`` on a module, rebinding a
  module name the tests use (``checks = ...``), writing to ``builtins``, ``__builtins__``,
  ``sys.modules`` or a module's ``__dict__``, ``unittest.mock``, ``sys.settrace``;
- **subprocess**: ``subprocess``, ``os.system`` and friends, ``pty``, ``multiprocessing``, shell
  escapes (``!ls``, ``%%bash``);
- **ctypes**: ``ctypes``, ``cffi``;
- **network**: ``socket``, ``urllib``, ``http``, ``requests`` and friends;
- **file access**: any string that is an absolute path, starts with ``~/`` or ``../``, or
  mentions the gradebook or ``solutions/``; deleting files or changing directory;
- **dynamic code**: ``eval``, ``exec``, ``compile``, ``__import__``, ``importlib``;
- **kernel internals**: what reaches into the running kernel or the test that calls the answer
  instead of computing one: ``get_ipython`` (input and AST transformers, ``events``,
  ``set_custom_exc``, ``run_cell``), ``sys.displayhook``/``excepthook``, frames
  (``sys._getframe``, ``inspect.currentframe``, ``f_locals``, ``f_back``), ``gc`` object hunts,
  threads, ``linecache``, IPython's history (``In``, ``Out``, ``_ih``), an ipywidgets
  ``Output`` entered by hand, and classes that decide their own equality, class or array
  conversion (``__eq__``, ``__array__``, ``__torch_function__``, ``__class__``...), whatever name
  the module was reached by (``import sys as s``, ``s = sys``);
- **unreadable**: a cell the scan cannot parse, even after IPython's own syntax (magics, ``?``)
  is translated, or a line magic that runs code (``%time``, ``%run``, ...).

A finding does not change a score: it puts the submission up for review (the ``status``
column). The scan is a tripwire, not a proof; the sandbox is what contains the code.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "scan_notebook", "scan_source", "summarise"]

# Module names the test cells use, whatever the student imported.
KNOWN_MODULE_NAMES = frozenset(
    {
        "np",
        "numpy",
        "torch",
        "nn",
        "F",
        "checks",
        "course_lib",
        "builtins",
        "math",
        "pytest",
        "unittest",
        "sys",
        "os",
        "nbgrader",
        "plots",
        "data",
    }
)
# Names a student must never rebind: the test cells call checkers through them.
PROTECTED_NAMES = frozenset({"np", "numpy", "torch", "F", "nn", "checks", "builtins", "math"})
SUBPROCESS_MODULES = frozenset({"subprocess", "pty", "multiprocessing", "pexpect", "sh"})
CTYPES_MODULES = frozenset({"ctypes", "_ctypes", "cffi"})
NETWORK_MODULES = frozenset(
    {
        "socket",
        "ssl",
        "urllib",
        "urllib3",
        "http",
        "requests",
        "httpx",
        "aiohttp",
        "ftplib",
        "smtplib",
        "telnetlib",
        "websocket",
        "websockets",
        "paramiko",
    }
)
OS_PROCESS_CALLS = re.compile(
    r"^(system|popen|fork|forkpty|kill|killpg|posix_spawnp?|exec\w*|spawn\w*)$"
)
FILE_CHANGE_CALLS = frozenset(
    {"remove", "unlink", "rmdir", "removedirs", "rmtree", "chdir", "rename", "replace", "chmod"}
)
DYNAMIC_CALLS = frozenset({"eval", "exec", "compile", "__import__"})
SENSITIVE_TEXT = re.compile(r"gradebook|solutions[/\\]|\.db\b|/etc/|/proc/|/root\b|/home/")
# A literal that names a place outside the submission's folder: /abs/path, ../up, ~/home.
OUTSIDE_PATH = re.compile(r"^(/[\w.-]+){2,}/?$|^\.\./|^~/")
SHELL_MAGICS = re.compile(r"^\s*%%?(bash|sh|system|sx|script|perl|ruby|subprocess)\b")


@dataclass(frozen=True)
class Finding:
    """One suspicious line: what kind, where (cell and line) and the code itself."""

    kind: str
    cell: str
    line: int
    code: str

    def describe(self) -> str:
        """``kind: `code` (cell, line N)``, for the status column."""
        return f"{self.kind}: `{self.code}` ({self.cell}, line {self.line})"


def _root_name(node: ast.AST) -> str | None:
    """``np`` for ``np.testing.assert_allclose``; None when the chain does not start at a name."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    """``os.path.join`` for that attribute chain, '' when it is not one."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _suspicious_path(value: str) -> bool:
    return value.startswith(("/", "~")) or ".." in value or bool(SENSITIVE_TEXT.search(value))


class _Visitor(ast.NodeVisitor):
    def __init__(self, modules: set[str]) -> None:
        self.modules = modules  # names bound to modules in this notebook
        self.hits: list[tuple[str, int]] = []

    def flag(self, kind: str, node: ast.AST) -> None:
        self.hits.append((kind, getattr(node, "lineno", 1)))

    # -- imports ---------------------------------------------------------------------------
    def _imported(self, module: str, node: ast.AST) -> None:
        if module.split(".")[0] in KERNEL_MODULES:
            self.flag("kernel internals", node)
        top = module.split(".")[0]
        if top in SUBPROCESS_MODULES:
            self.flag("subprocess", node)
        elif top in CTYPES_MODULES:
            self.flag("ctypes", node)
        elif top in NETWORK_MODULES:
            self.flag("network", node)
        elif top == "importlib":
            self.flag("dynamic code", node)
        elif module.startswith("unittest.mock") or top == "mock":
            self.flag("monkeypatching", node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._imported(alias.name, node)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._imported(module, node)
        if module == "unittest":
            if any(a.name == "mock" for a in node.names):
                self.flag("monkeypatching", node)
        if module == "os" and any(OS_PROCESS_CALLS.match(a.name) for a in node.names):
            self.flag("subprocess", node)
        if module == "sys" and any(a.name in SYS_INTERNALS for a in node.names):
            self.flag("kernel internals", node)
        self.generic_visit(node)

    # -- assignments -----------------------------------------------------------------------
    def _target(self, target: ast.AST, node: ast.AST) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._target(element, node)
            return
        if isinstance(target, ast.Starred):
            self._target(target.value, node)
            return
        if isinstance(target, ast.Name):
            if target.id in PROTECTED_NAMES or target.id == "__builtins__":
                self.flag("monkeypatching", node)
            return
        root = _root_name(target)
        text = ast.unparse(target)
        if root in self.modules or root == "__builtins__":
            self.flag("monkeypatching", node)
        elif "__dict__" in text or "__builtins__" in text or "sys.modules" in text:
            self.flag("monkeypatching", node)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Call):
            if _dotted(target.value.func) in ("globals", "vars"):
                self.flag("monkeypatching", node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if not isinstance(target, ast.Name):
                self._target(target, node)
        self.generic_visit(node)

    # -- kernel internals ----------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if node.id in KERNEL_NAMES or node.id in KERNEL_MODULES - {"inspect"}:
            self.flag("kernel internals", node)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in KERNEL_NAMES:
            self.flag("kernel internals", node)
        elif node.attr in ("ops", "_C", "_VF") and _root_name(node) == "torch":
            # torch.ops.aten._softmax, torch._C._nn...: a built-in under a name no ban knows
            self.flag("kernel internals", node)
        elif (
            node.attr == "modules"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.modules - {"nn", "torch"}
            and ("monkeypatching", node.lineno) not in self.hits  # a write says more
        ):
            self.flag("kernel internals", node)  # sys.modules, by any name: every module
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if item.name in LYING_METHODS:
                    self.flag("kernel internals", item)
            elif isinstance(item, ast.Assign):
                for target in item.targets:
                    if isinstance(target, ast.Name) and target.id in LYING_METHODS:
                        self.flag("kernel internals", item)
        self.generic_visit(node)

    # -- calls -----------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        root = name.split(".", 1)[0]
        if name in DYNAMIC_CALLS:
            self.flag("dynamic code", node)
        elif (
            name in ("getattr", "setattr", "delattr")
            and len(node.args) >= 2
            and _root_name(node.args[0]) in self.modules
            and not isinstance(node.args[1], ast.Constant)
        ):
            self.flag("kernel internals", node)  # an attribute of a module named at run time
        elif name in ("setattr", "delattr") and node.args:
            target_root = _root_name(node.args[0])
            if target_root in self.modules or target_root in ("__builtins__",):
                self.flag("monkeypatching", node)
        elif last in ("settrace", "setprofile") and "." in name:
            self.flag("monkeypatching", node)
        elif root == "os" and OS_PROCESS_CALLS.match(last):
            self.flag("subprocess", node)
        elif "." in name and root in SUBPROCESS_MODULES:
            self.flag("subprocess", node)  # imported elsewhere (the given setup cell)
        elif "." in name and root in CTYPES_MODULES:
            self.flag("ctypes", node)
        elif "." in name and root in NETWORK_MODULES:
            self.flag("network", node)
        elif "." in name and root == "importlib":
            self.flag("dynamic code", node)
        elif root in ("os", "shutil", "pathlib", "Path") and last in FILE_CHANGE_CALLS:
            self.flag("file access", node)
        elif last in FILE_CHANGE_CALLS and isinstance(node.func, ast.Attribute):
            # Path(...).unlink(), p.rmdir(): a file is being removed or renamed
            if last not in ("replace",):
                self.flag("file access", node)
        elif last in ("open", "Path", "PurePath", "listdir", "scandir", "walk", "glob", "load"):
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if _suspicious_path(arg.value):
                        self.flag("file access", node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and (
            SENSITIVE_TEXT.search(node.value) or OUTSIDE_PATH.match(node.value)
        ):
            self.flag("file access", node)
        elif isinstance(node.value, str) and node.value in SYS_HOOKS:
            self.flag("monkeypatching", node)  # vars(sys)["setprofile"](None): a hook by name


# Attribute and variable names that reach into the kernel or into the caller's frame.
KERNEL_NAMES = frozenset(
    {
        "get_ipython",
        "displayhook",
        "excepthook",
        "_getframe",
        "currentframe",
        "f_locals",
        "f_globals",
        "f_back",
        "f_code",
        "gi_frame",
        "tb_frame",
        "get_objects",
        "get_referrers",
        "get_referents",
        "set_custom_exc",
        "input_transformers_cleanup",
        "input_transformers_post",
        "ast_transformers",
        "events",
        "run_cell",
        "run_cell_async",
        "user_ns",
        "user_global_ns",
        "In",
        "Out",
        "_ih",
        "_oh",
        "_i",
        "_ii",
        "_iii",
        "__enter__",
    }
)
KERNEL_MODULES = frozenset(
    {"threading", "_thread", "concurrent", "asyncio", "linecache", "gc", "inspect"}
)
# Special methods through which an object decides what a test sees of it.
LYING_METHODS = frozenset(
    {
        "__eq__",
        "__ne__",
        "__bool__",
        "__array__",
        "__array_function__",
        "__array_ufunc__",
        "__torch_function__",
        "__torch_dispatch__",
        "__class__",
        "__instancecheck__",
        "__getattribute__",
        "__float__",
        "__index__",
    }
)
HELP_LINE = re.compile(r"^\s*\??[\w.]+\?{0,2}\s*$")
SYS_HOOKS = frozenset({"setprofile", "settrace", "setswitchinterval", "addaudithook"})
SYS_INTERNALS = frozenset(
    {"modules", "_getframe", "settrace", "setprofile", "displayhook", "excepthook"}
)
CODE_MAGICS = re.compile(
    r"^\s*%{1,2}\s*(time|timeit|prun|run|debug|capture|load|writefile|macro|store|env|alias|sx|"
    r"system|cd|pycat|pdb|xmode|config|autocall|rerun|recall|edit)\b"
)


def _modules_in(tree: ast.AST) -> set[str]:
    """Names bound by ``import`` statements (``import numpy as np`` binds ``np``)."""
    names: set[str] = set()
    nodes = list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or alias.name
                # `from torch import nn` binds a module; `from math import pi` does not, but
                # rebinding either is never needed in an answer.
                if bound[:1].islower() and bound not in ("pi", "e", "inf", "nan"):
                    names.add(bound)
    # Aliases of those names (`s = sys`, `t = torch.nn`) are module names too.
    for _ in range(3):
        for node in nodes:
            if (
                isinstance(node, ast.Assign)
                and _root_name(node.value) in names | KNOWN_MODULE_NAMES
            ):
                if isinstance(node.value, (ast.Name, ast.Attribute)):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            names.add(target.id)
    return names


def _strip_ipython(source: str) -> tuple[str, list[int]]:
    """Replace IPython-only lines by ``pass`` (same line numbers); return the shell lines."""
    lines, shell = [], []
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("!") or SHELL_MAGICS.match(line):
            shell.append(number)
        if stripped.startswith(("!", "%", "?")) or stripped.endswith("?"):
            lines.append(line[: len(line) - len(stripped)] + "pass")
        else:
            lines.append(line)
    return "\n".join(lines), shell


def scan_source(source: str, cell: str = "cell", modules: set[str] | None = None) -> list[Finding]:
    """Findings in one cell's ``source``; ``modules`` are module names bound elsewhere."""
    code, shell_lines = _strip_ipython(source)
    lines = source.splitlines()
    hits: list[tuple[str, int]] = [("subprocess", n) for n in shell_lines]
    hits += [
        ("unreadable", n)
        for n, line in enumerate(lines, start=1)
        if CODE_MAGICS.match(line) or (line.rstrip().endswith("?") and not HELP_LINE.match(line))
    ]
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        tree = None
        try:  # IPython's own syntax, translated as the kernel would
            from IPython.core.inputtransformer2 import TransformerManager

            tree = ast.parse(TransformerManager().transform_cell(source))
        except Exception:
            pass  # not even the kernel can run it; there is nothing to scan
        if tree is not None:
            hits.append(("unreadable", exc.lineno or 1))
    if tree is not None:
        visitor = _Visitor(set(KNOWN_MODULE_NAMES) | (modules or set()) | _modules_in(tree))
        visitor.visit(tree)
        hits += visitor.hits
    findings = []
    seen = set()
    for kind, number in hits:
        if (kind, number) in seen:
            continue
        seen.add((kind, number))
        text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
        findings.append(Finding(kind, cell, number, text[:120]))
    return sorted(findings, key=lambda f: (f.line, f.kind))


def scan_notebook(
    nb: Any,
    skip_grade_ids: set[str] | frozenset[str] = frozenset(),
    given_sources: set[str] | frozenset[str] = frozenset(),
) -> list[Finding]:
    """Findings in every code cell of ``nb`` except those whose grade_id is in ``skip_grade_ids``
    (the locked test cells, which grading restores from the source) and those left exactly as
    the instructor gave them (``given_sources``: the source notebook's non-exercise code cells,
    such as the setup cell that installs the course). Imports in skipped cells still count, so
    a student's ``subprocess.run`` is found when the setup cell imported ``subprocess``."""
    modules: set[str] = set()
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in skip_grade_ids:
            continue
        if not grade_id and cell.get("source", "") in given_sources:
            try:
                modules |= _modules_in(ast.parse(_strip_ipython(cell.get("source", ""))[0]))
            except SyntaxError:
                pass
            continue
        cells.append((grade_id or f"cell {index + 1}", cell.get("source", "")))
        try:
            modules |= _modules_in(ast.parse(_strip_ipython(cell.get("source", ""))[0]))
        except SyntaxError:
            pass
    findings = []
    for name, source in cells:
        findings += scan_source(source, name, modules)
    return findings


def summarise(findings: list[Finding]) -> str:
    """``review: <first finding>`` plus how many more, or '' when there are none."""
    if not findings:
        return ""
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"review: {findings[0].describe()}{more}"
