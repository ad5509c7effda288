"""Tests for autograder.scan: the static scan flags what a grader must not trust, with the line,
and stays quiet on honest answers (including every solution notebook of the course)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import graded_cell, solution_cell

from autograder.course import Course
from autograder.scan import Finding, scan_notebook, scan_source, summarise

REPO = Path(__file__).resolve().parent.parent

FLAGGED = [
    ("import numpy as np\nnp.testing.assert_allclose = lambda *a, **k: None", "monkeypatching", 2),
    ("import torch\ntorch.equal = lambda a, b: True", "monkeypatching", 2),
    ("import torch.nn.functional as F\nF.softmax = lambda x, dim=-1: x", "monkeypatching", 2),
    ("checks = None", "monkeypatching", 1),
    ("import numpy\nsetattr(numpy, 'allclose', lambda *a: True)", "monkeypatching", 2),
    ("import builtins\nbuiltins.abs = lambda x: x", "monkeypatching", 2),
    ("__builtins__['len'] = None", "monkeypatching", 1),
    ("import sys\nsys.modules['numpy'] = None", "monkeypatching", 2),
    ("globals()['checks'] = None", "monkeypatching", 1),
    ("import numpy as np\ndel np.testing.assert_allclose", "monkeypatching", 2),
    ("from unittest import mock", "monkeypatching", 1),
    ("import sys\nsys.settrace(lambda *a: None)", "monkeypatching", 2),
    ("import subprocess\nsubprocess.run(['ls'])", "subprocess", 1),
    ("import os\nos.system('ls')", "subprocess", 2),
    ("from os import popen", "subprocess", 1),
    ("!cat /etc/passwd", "subprocess", 1),
    ("%%bash\nls", "subprocess", 1),
    ("import multiprocessing", "subprocess", 1),
    ("import ctypes\nctypes.string_at(0)", "ctypes", 1),
    ("import socket", "network", 1),
    ("from urllib.request import urlopen", "network", 1),
    ("import requests", "network", 1),
    ("x = open('/etc/passwd').read()", "file access", 1),
    ("open('../../solutions/01_x/01_x.ipynb')", "file access", 1),
    ("import sqlite3\nsqlite3.connect('gradebook.db')", "file access", 2),
    ("from pathlib import Path\nPath('/tmp/x').write_text('x')", "file access", 2),
    ("import shutil\nshutil.rmtree('somewhere')", "file access", 2),
    ("import os\nos.chdir('..')", "file access", 2),
    ("targets = ['/srv/grading/x.txt']\nfor t in targets:\n    open(t, 'w')", "file access", 1),
    ("p = '../escape.txt'", "file access", 1),
    ("eval('1 + 1')", "dynamic code", 1),
    ("exec(compile('x = 1', 'f', 'exec'))", "dynamic code", 1),
    ("mod = __import__('os')", "dynamic code", 1),
    ("import importlib", "dynamic code", 1),
]

HONEST = [
    "import numpy as np\n\ndef rnn_step(x, h, W, U, b):\n    return np.tanh(x @ W + h @ U + b)",
    "import torch\n\ndef softmax(x, dim=-1):\n    z = x - x.max(dim=dim, keepdim=True).values\n"
    "    e = torch.exp(z)\n    return e / e.sum(dim=dim, keepdim=True)",
    "data = [1, 2, 3]\nresult = {}\nresult['a'] = data\nself_like = type('S', (), {})()\n"
    "self_like.value = 3",
    "class M:\n    def __init__(self):\n        self.w = 1\n        self.w += 1",
    "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])",
    "with open('my_notes.txt', 'w') as fh:\n    fh.write('hello')",
    "ratio = 'a/b'\nunit = '/s'\nlabel = 'cost / token'\nfrac = '1/2'",
    "def f(:\n    broken syntax is the kernel's business",
]


@pytest.mark.parametrize(("source", "kind", "line"), FLAGGED)
def test_scan_flags_each_dangerous_pattern_with_its_line(source: str, kind: str, line: int):
    findings = scan_source(source, "my_cell")
    assert findings, f"nothing found in {source!r}"
    assert (findings[0].kind, findings[0].line) == (kind, line), findings
    assert findings[0].cell == "my_cell"
    assert findings[0].code == source.splitlines()[line - 1].strip()


@pytest.mark.parametrize("source", HONEST)
def test_scan_is_quiet_on_honest_code(source: str):
    assert scan_source(source) == []


def test_summary_names_the_first_finding_and_counts_the_rest():
    findings = scan_source("import socket\nimport ctypes\neval('1')", "c")
    assert summarise(findings) == "review: network: `import socket` (c, line 1) (+2 more)"
    assert summarise([]) == ""
    assert Finding("ctypes", "c", 4, "import ctypes").describe() == (
        "ctypes: `import ctypes` (c, line 4)"
    )


def test_notebook_scan_skips_locked_test_cells_and_knows_aliases_from_other_cells():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as numeric"),
        solution_cell("answer", "numeric.testing.assert_allclose = print"),
        graded_cell("test_answer", "import socket  # the instructor's own cell"),
    ]
    findings = scan_notebook(nb, skip_grade_ids={"test_answer"})
    assert [(f.kind, f.cell, f.line) for f in findings] == [("monkeypatching", "answer", 1)]
    assert [f.cell for f in scan_notebook(nb)] == ["answer", "test_answer"]


def test_cells_left_as_the_instructor_gave_them_are_not_flagged_but_their_imports_count():
    """The setup cell installs the course with subprocess: not the student's code. The same
    code in an edited copy, or subprocess used in an exercise cell, is flagged."""
    setup = "import subprocess\nsubprocess.run(['pip', 'install', 'course'])"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(setup), solution_cell("answer", "x = 1")]
    assert scan_notebook(nb, given_sources={setup}) == []
    assert [f.kind for f in scan_notebook(nb)] == ["subprocess", "subprocess"]
    nb.cells[0].source = setup + "\nsubprocess.run(['curl', 'evil'])"
    assert scan_notebook(nb, given_sources={setup}), "an edited setup cell is scanned"
    nb.cells[0].source = setup
    nb.cells[1].source = "subprocess.run(['ls', '/'])"
    findings = scan_notebook(nb, given_sources={setup})
    assert [(f.kind, f.cell) for f in findings] == [("subprocess", "answer")]


@pytest.mark.parametrize("assignment", Course(REPO).assignments())
def test_no_solution_notebook_of_the_course_is_flagged(assignment: str):
    """A false positive on our own answers would put every honest student up for review: the
    grading job's review of each solution notebook, against itself as the source, is empty."""
    from autograder.job import _review

    nb = nbformat.read(str(Course(REPO).source_notebook(assignment)), as_version=4)
    assert _review(nb, nb) == ""


@pytest.mark.parametrize(
    ("source", "kind", "line"),
    [
        ("import sys as s\n\ns.displayhook(1.0)", "kernel internals", 3),
        ("q = sys\nq.excepthook = None", "kernel internals", 2),
        ("ip = get_ipython()", "kernel internals", 1),
        ("x = 1\nip.input_transformers_cleanup.append(f)", "kernel internals", 2),
        ("ip.events.register('pre_run_cell', f)", "kernel internals", 1),
        ("ip.set_custom_exc((Exception,), f)", "kernel internals", 1),
        ("import threading", "kernel internals", 1),
        ("from gc import get_objects", "kernel internals", 1),
        ("frame = sys._getframe(1)\nexpected = frame.f_locals", "kernel internals", 1),
        ("class Liar:\n    def __eq__(self, other):\n        return True", "kernel internals", 2),
        ("class T:\n    __array__ = lambda self: 0", "kernel internals", 2),
        ("print(In[-2])", "kernel internals", 1),
        ("out = widgets.Output()\nout.__enter__()", "kernel internals", 2),
        ("%time double = lambda x: 3 * x", "unreadable", 1),
        ("x = 1\ndouble = lambda x: 3 * x; double?", "unreadable", 2),
        ("t = sys\nt.settrace(None)", "monkeypatching", 2),
    ],
)
def test_scan_flags_reaching_into_the_kernel_by_any_name(source, kind, line):
    assert (kind, line) in [(f.kind, f.line) for f in scan_source(source)]


@pytest.mark.parametrize("source", ["double?", "np.stack([a, b])", "%matplotlib inline"])
def test_scan_is_quiet_on_help_lines_and_ordinary_names(source):
    assert scan_source(source) == []


@pytest.mark.parametrize(
    ("source", "line"),
    [
        # Found by an attacker given only the release: every check replaced by a no-op.
        (
            "import sys as _s\n_m = _s.modules['course_lib.' + 'che' + 'cks']\n"
            "for _n in list(vars(_m)):\n    setattr(_m, _n, lambda *a, **k: None)",
            2,
        ),
        ("from sys import modules as loaded\nloaded['numpy'].isclose = None", 1),
        ("import numpy as np\nsetattr(np, 'is' + 'close', lambda *a: True)", 2),
        ("import numpy as np\nf = getattr(np, name)", 2),
    ],
)
def test_scan_flags_reaching_every_module_through_sys_modules_or_computed_names(source, line):
    assert ("kernel internals", line) in [(f.kind, f.line) for f in scan_source(source)]


def test_scan_is_quiet_on_a_modules_own_submodules_and_setattr_on_self():
    honest = (
        "for m in model.modules():\n    pass\n"
        "class A:\n    def __init__(self):\n        for n in ('q', 'k'):\n"
        "            setattr(self, n + '_proj', None)"
    )
    assert scan_source(honest) == []
