"""The adversarial suite: one batch of broken and hostile submissions graded next to honest ones.

Every adversarial submission must be graded correctly or flagged (its ``status`` says why a
human should look), the batch must complete, and the honest students in the same batch must
keep exactly their grades. Grading the same cohort again from scratch gives identical CSVs.

The course is the tiny two-exercise course of conftest.py (``double`` and ``halve``, 4 points),
graded with a 10 s cell timeout and two workers. A second, smaller batch of the real notebook
03_attention checks what the tiny course cannot: "from scratch" bans through the judge, and the
module names (``checks``, ``torch``) that the real test cells take from the student's kernel.

An attack that works today stays in the suite as a strict ``xfail`` whose reason names the
grader's code at fault (the per-case checks exclude nothing: such attacks are graded by the
separate tests that carry the ``xfail``).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import TINY, shell_flood, submit

from autograder.course import Course
from autograder.grade import grade
from autograder.job import WATCHDOG_STATUS
from autograder.sandbox import SANDBOX_UID_BASE, bwrap_path

pytestmark = pytest.mark.slow

CELL_TIMEOUT = 10
NOTEBOOK_TIMEOUT = 45
FULL, HALVE_ONLY = 4.0, 1.0
CORRECT_DOUBLE = "def double(x):\n    return 2 * x\n"
WRONG_DOUBLE = "def double(x):\n    return 3 * x\n"
# The hidden test line of the tiny course, and markers that hostile code tries to get shown.
HIDDEN_LINE = "assert double(-3) == -6"
LEAK = "LEAKED"
SECRET_ENV = "AUTOGRADER_ADVERSARIAL_SECRET"
SECRET_VALUE = f"secret-{uuid.uuid4().hex[:8]}"
# Written by the hostile notebooks if they can; a unique name so nothing else makes it.
ESCAPE = f"escaped-{uuid.uuid4().hex[:8]}.txt"


def _answer(prefix: str) -> str:
    """Some student code, then a correct ``double``."""
    return prefix.rstrip() + "\n\n\n" + CORRECT_DOUBLE


def _wrong(prefix: str) -> str:
    """Some student code, then a wrong ``double`` (3x): worth HALVE_ONLY when graded right."""
    return prefix.rstrip() + "\n\n\n" + WRONG_DOUBLE


@dataclass(frozen=True)
class Case:
    """A submission and what grading must make of it."""

    name: str
    score: float | None  # None: any score, as long as the status flags it for review
    status: str  # the status must start with this ("ok" must be exactly "ok")
    needs_sandbox: bool = False


def _with(nb, grade_id: str, source: str):
    nb = nbformat.from_dict(nb)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    cell.source = source
    return nb


def _id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _ids(nb) -> list[str | None]:
    return [_id(c) for c in nb.cells]


def build_cohort(course: Course, folder: Path, workspace_hint: Path) -> list[Case]:
    """Write the cohort's submissions under ``folder``; return what each must get."""
    release = nbformat.read(str(course.release_notebook(TINY)), as_version=4)
    answered = _with(release, "double", CORRECT_DOUBLE)
    answered = _with(answered, "halve", "def halve(x):\n    return x / 2\n")
    cases: list[Case] = []

    def add(name: str, nb, score: float, status: str, needs_sandbox: bool = False) -> None:
        submit(folder, name, TINY, nb)
        cases.append(Case(name, score, status, needs_sandbox))

    # -- honest students -----------------------------------------------------------------------
    add("honest_full", answered, FULL, "ok")
    add("honest_wrong", _with(answered, "double", "def double(x):\n    return 3 * x\n"), 1, "ok")
    add("honest_blank", release, 0, "ok")
    add(
        "honest_warnings",
        _with(
            answered,
            "double",
            _answer(
                "import sys\nimport warnings\nprint('note', file=sys.stderr)\n"
                "warnings.warn('only a warning')"
            ),
        ),
        FULL,
        "ok",
    )

    # -- runaway code --------------------------------------------------------------------------
    add(
        "infinite_loop",
        _with(answered, "double", "while True:\n    pass"),
        HALVE_ONLY,
        "timeout: a cell ran past the time limit",
    )
    add(
        "ignores_interrupt",
        _with(
            answered,
            "double",
            "import signal\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        ),
        0,
        "timeout: a cell ignored the interrupt",
    )
    add(
        "memory_bomb",
        _with(answered, "double", _answer("block = bytearray(64 * 2**30)")),
        HALVE_ONLY,
        "ok",
        needs_sandbox=False,
    )
    fork_bomb = (
        "import os\nimport time\n\nchildren = 0\ntry:\n    while children < 20000:\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n"
        "        children += 1\nexcept OSError:\n    pass"
    )
    add(
        "fork_bomb",
        _with(answered, "double", _answer(fork_bomb)),
        FULL,
        "review: subprocess",
        needs_sandbox=True,
    )
    add("os_exit", _with(answered, "double", "import os\n\nos._exit(1)"), 0, "crashed kernel")
    add(
        "segfault",
        _with(answered, "double", "import ctypes\n\nctypes.string_at(0)"),
        0,
        "crashed kernel; review: ctypes",
    )
    add("sys_exit", _with(answered, "double", "import sys\n\nsys.exit(3)"), HALVE_ONLY, "ok")
    add("huge_output", _with(answered, "double", _answer("print('x' * 20_000_000)")), FULL, "ok")
    add(
        "many_outputs",
        _with(answered, "double", _answer("for _ in range(300):\n    print('y' * 2**20)")),
        FULL,
        "ok",
    )

    # -- broken or tampered notebooks ----------------------------------------------------------
    deleted = nbformat.from_dict(answered)
    deleted.cells = [c for c in deleted.cells if _id(c) != "test_double_hidden"]
    add("deleted_test", deleted, FULL, "restored: deleted test_double_hidden")
    duplicated = nbformat.from_dict(answered)
    i = _ids(duplicated).index("test_double_small")
    duplicated.cells.insert(i, nbformat.from_dict(duplicated.cells[i]))
    add("duplicated_test", duplicated, FULL, "restored: duplicate test_double_small ignored")
    retyped = nbformat.from_dict(answered)
    [halve_test] = [c for c in retyped.cells if _id(c) == "test_halve"]
    halve_test.cell_type = "markdown"
    halve_test.pop("outputs")
    halve_test.pop("execution_count")
    add("retyped_test", retyped, FULL, "tampering flagged: test_halve retyped")
    edited = _with(answered, "double", "def double(x):\n    return 3 * x\n")
    for gid in ("test_double_small", "test_double_hidden"):
        edited = _with(edited, gid, "assert True")
    add("edited_tests", edited, 1, "tampering flagged: test_double_small edited")
    (folder / "renamed" / TINY).mkdir(parents=True)
    nbformat.write(answered, str(folder / "renamed" / TINY / "my copy (1).ipynb"))
    cases.append(Case("renamed", FULL, "ok"))
    add("malformed_json", b'{"cells": [', 0, "malformed notebook: ")
    add("empty_file", b"", 0, "malformed notebook: the file is empty")
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_markdown_cell("# 02"), nbformat.v4.new_code_cell("x = 1")]
    add("other_assignment", other, 0, "wrong notebook: none of the cells of 01_tiny")

    # -- hostile code --------------------------------------------------------------------------
    add(
        "checker_patch",
        _with(
            answered,
            "double",
            _answer("import numpy as np\n\nnp.testing.assert_allclose = lambda *a, **k: None"),
        ),
        FULL,
        "review: monkeypatching: `np.testing.assert_allclose = lambda *a, **k: None`",
    )
    secrets = [
        workspace_hint / "gradebook.db",
        course.source_notebook(TINY),
        folder / "honest_full" / TINY / f"{TINY}.ipynb",
    ]
    hunt = (
        "import os\n\n"
        f"found = [p for p in {[str(p) for p in secrets]!r} if os.path.exists(p)]\n"
        "for root, dirs, files in os.walk('/tmp'):\n"
        "    if 'site-packages' not in root:  # nbgrader ships a test gradebook of its own\n"
        "        found += [os.path.join(root, n) for n in files if n == 'gradebook.db']\n"
        "for path in found:\n    print('FOUND', path, open(path, 'rb').read()[:2000])\n"
        "print('searched', len(found))"
    )
    add(
        "reads_gradebook",
        _with(answered, "double", _answer(hunt)),
        FULL,
        "review: file access",
        needs_sandbox=True,
    )
    writes = (
        "targets = [\n"
        f"    {str(workspace_hint / ESCAPE)!r},\n"
        f"    {str(Path('/tmp') / ESCAPE)!r},\n"
        f"    {str(course.root / ESCAPE)!r},\n"
        f"    '../../{ESCAPE}',\n"
        "]\nfor target in targets:\n    try:\n        open(target, 'w').write('x')\n"
        "    except OSError:\n        pass"
    )
    add(
        "writes_outside",
        _with(answered, "double", _answer(writes)),
        FULL,
        "review: file access",
        needs_sandbox=True,
    )
    network = (
        "import socket\n\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
        "    print('CONNECTED')\nexcept OSError:\n    print('no network')"
    )
    add(
        "network",
        _with(answered, "double", _answer(network)),
        FULL,
        "review: network",
        needs_sandbox=True,
    )
    add(
        "subprocess",
        _with(answered, "double", _answer("import subprocess\n\nsubprocess.run(['ls', '/'])")),
        FULL,
        "review: subprocess",
    )
    _verdict_and_leak_cases(course, answered, add)
    _judge_cases(answered, add)
    return cases


# Attacks that rewrite a verdict from inside the kernel, each around a wrong answer. While
# test cells run in the student's kernel they can work; the static scan must flag each one
# (status "review: ..."), so a human looks before the grade counts.
KERNEL_ATTACKS = {
    "input_transformer": "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
    "ast_transformer": "import ast\n\nclass Empty(ast.NodeTransformer):\n"
    "    def visit_Assert(self, node):\n        return None\n\n"
    "get_ipython().ast_transformers.append(Empty())",
    "pre_run_cell_event": "def fix(*args):\n    globals()['double'] = lambda x: 2 * x\n\n"
    "get_ipython().events.register('pre_run_cell', fix)",
    "custom_exc": "get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)",
    "tracer": "import sys\n\ntrace = sys\ntrace.settrace(lambda *a: None)",
    "thread_rebinds": "import threading\nimport time\n\ndef loop():\n    while True:\n"
    "        globals()['double'] = lambda x: 2 * x\n        time.sleep(0.01)\n\n"
    "threading.Thread(target=loop, daemon=True).start()",
    "lying_equality": "class Answer(int):\n    def __eq__(self, other):\n        return True\n\n"
    "def double(x):\n    return Answer(3 * x)\n",
    "frame_reader": "import sys as s\n\ndef double(x):\n    s._getframe(1)\n    return 3 * x\n",
    "history_reader": "def double(x):\n    print(In)\n    return 3 * x\n",
    "line_magic": "%time double = lambda x: 2 * x",
    "help_line": "x = 1\ndouble = lambda x: 2 * x; double?",
    "sys_modules_patch": "import sys as _s\n\n_m = _s.modules.get('course_' + 'lib.checks')\n"
    "if _m is not None:\n    for _n in list(vars(_m)):\n        setattr(_m, _n, None)",
    "gc_hunt": "import gc\n\nfound = [o for o in gc.get_objects() if callable(o)][:1]",
}


def _kernel_attacks(add, answered) -> None:
    for name, attack in KERNEL_ATTACKS.items():
        source = attack if "def double" in attack else _wrong(attack)
        add(name, _with(answered, "double", source), None, "review: ")


def _verdict_and_leak_cases(course: Course, answered, add) -> None:
    """Attacks on the verdict, on the secrecy of hidden tests, and on the host."""
    protected = course.root / "course_lib_checks_stand_in.py"
    # 1. Escape: links left in the kernel's folder, /tmp and the IPC folder to host files.
    links = (
        "import os, sys, glob\n"
        f"targets = [{str(protected)!r}, os.path.expanduser('~/.bashrc')]\n"
        "places = ['.', '/tmp'] + [os.path.dirname(a) for a in sys.argv if a.endswith('.json')]\n"
        "for place in places:\n"
        "    for i, target in enumerate(targets):\n"
        "        for name in (f'link{i}', '01_tiny.ipynb', 'kernel.json.bak'):\n"
        "            try:\n"
        "                os.symlink(target, os.path.join(place, f'{i}-{name}'))\n"
        "            except OSError:\n"
        "                pass\n"
        "for path in targets:\n"
        "    try:\n"
        "        open(path, 'a').write('pwned')\n"
        "    except OSError:\n"
        "        pass"
    )
    add("escape_links", _with(answered, "double", _wrong(links)), HALVE_ONLY, "review: ")
    # 2. Hidden tests on disk: any notebook the kernel can find, printed into its output.
    hunt = (
        "import os\nfor top in ['.', '/tmp', '/']:\n"
        "    for root, dirs, files in os.walk(top):\n"
        "        dirs[:] = [d for d in dirs if d not in ('proc', 'sys', 'dev', 'usr')]\n"
        "        for n in files:\n"
        "            if n.endswith('.ipynb'):\n"
        "                try:\n"
        "                    print(open(os.path.join(root, n)).read())\n"
        "                except OSError:\n"
        "                    pass"
    )
    add("reads_notebook_on_disk", _with(answered, "double", _wrong(hunt)), HALVE_ONLY, "ok")
    # 3. Verdicts: a displayed value read as partial credit; tags that skip a test; an
    # ipywidgets Output left open to swallow the errors of the tests that follow.
    add(
        "displayhook_partial_credit",
        _with(
            answered,
            "double",
            "import sys\n\ndef double(x):\n    sys.displayhook(1.0)\n    return 3 * x\n",
        ),
        HALVE_ONLY,
        "review: kernel internals",
    )
    tagged = _with(answered, "double", WRONG_DOUBLE)
    for cell in tagged.cells:
        if _id(cell) in ("test_double_small", "test_double_hidden"):
            cell.metadata["tags"] = ["skip-execution", "raises-exception"]
    add("skip_execution_tag", tagged, HALVE_ONLY, "ok")
    capture = "import ipywidgets\n\nout = ipywidgets.Output()\nout.__enter__()"
    add(
        "output_widget_capture",
        _with(answered, "double", _wrong(capture)),
        HALVE_ONLY,
        "review: kernel internals",
    )
    # 4. Leaks into feedback: a display updated from inside a hidden test; an exception class
    # named after a hidden input; the grader's environment; active HTML.
    update = (
        "from IPython.display import display\n\n"
        "handle = display('start', display_id=True)\n\n"
        "def double(x):\n"
        f"    handle.update({LEAK!r} + repr(x))\n"
        "    return 2 * x\n"
    )
    add("display_update_leak", _with(answered, "double", update), FULL, "ok")
    named = (
        "def double(x):\n"
        "    if x < 0:\n"
        f"        raise type({LEAK!r} + str(-x), (Exception,), {{}})()\n"
        "    return 2 * x\n"
    )
    add("exception_name_leak", _with(answered, "double", named), 2.0, "ok")
    environment = f"import os\n\nprint('ENV', os.environ.get({SECRET_ENV!r}), dict(os.environ))"
    add("environment_leak", _with(answered, "double", _answer(environment)), FULL, "ok")
    active = (
        "from IPython.display import HTML, Javascript, display\n\n"
        "display(HTML('<script>alert(1)</script><img src=x onerror=alert(2)>'))\n"
        "display(Javascript('alert(3)'))"
    )
    scripted = _with(answered, "double", _answer(active))
    scripted.cells.append(
        nbformat.v4.new_markdown_cell("<script>alert(4)</script><img src=y onerror=alert(5)>")
    )
    add("active_html", scripted, FULL, "ok")
    # 5. Harm to the host and to others: filling the disk; a notebook of many slow cells; a
    # notebook too large to grade.
    fill = (
        "import os\nfor place in ['.', '/tmp']:\n    for i in range(12):\n"
        "        try:\n"
        "            with open(os.path.join(place, f'fill{i}'), 'wb') as fh:\n"
        "                fh.write(b'x' * 100 * 2**20)\n"
        "        except OSError:\n            break"
    )
    add("fills_the_disk", _with(answered, "double", _answer(fill)), FULL, "ok")
    slow = nbformat.from_dict(answered)
    slow.cells += [
        nbformat.v4.new_code_cell(f"import time\ntime.sleep({CELL_TIMEOUT - 1})") for _ in range(8)
    ]
    add("many_slow_cells", slow, FULL, "timeout: the notebook ran past its time budget")
    _kernel_attacks(add, answered)
    huge = nbformat.from_dict(answered)
    huge.cells.append(nbformat.v4.new_markdown_cell("x" * (21 * 2**20)))
    add("huge_notebook", huge, 0, "rejected: the notebook is 21 MB")


# -- attacks on the judge ------------------------------------------------------------------------
#
# Test cells no longer run in the student's kernel: the judge (autograder/judge.py) runs them in
# the grader and reaches the student's code through a helper it installs in the kernel
# (autograder/agent.py), which answers with plain data. A student holds the kernel, so every case
# below may lie, forge the helper's answers, patch the kernel or stall; a wrong answer must still
# lose exactly its points. Most cases avoid what the static scan knows (so their status is "ok"
# and only the judge stands between them and the points).

# Wrong on negative inputs only: the visible parts pass and only the hidden test
# (double(-3) == -6) can catch it; graded right it is worth 2 of 4.
NEG_WRONG = 2.0
DOUBLE_NEG_WRONG = "def double(x):\n    return 2 * x if x >= 0 else 3 * x\n"
HALVE = "def halve(x):\n    return x / 2\n"
# A file a forged answer would create in the grader if the judge ever unpickled or ran it.
PWNED = f"pwned-{uuid.uuid4().hex[:8]}"
# Hidden-failure exception types, indexed by abs(x): the one raised names the hidden input.
ENAME_CHANNEL = (
    "ArithmeticError", "AssertionError", "AttributeError", "BufferError", "EOFError",
    "ImportError", "IndexError", "KeyError", "LookupError", "MemoryError",
)  # fmt: skip
# A hash-flooding answer: ints congruent modulo 2**61 - 1 share one hash, so the judge's set
# rebuild is quadratic (150_000 items held a loaded 2-core machine for 15 minutes; 70_000 stall
# the judge about a minute on an idle one).
COLLIDING_ITEMS = 70_000


def _forging_halve(reply: str, setup: str = "") -> str:
    """A halve cell that also wraps the judge's helper (installed by the first test cell, which
    runs before this cell): every call with a negative int argument (the hidden test's) gets
    ``reply`` (a Python expression of the answer's JSON text) instead of the real answer."""
    return (
        "import json as _json\n" + setup + "\n_real_judge = __judge__\n\n\n"
        "def __judge__(text):\n"
        "    request = _json.loads(text)\n"
        "    args = request.get('args') or [[None]]\n"
        "    if request.get('op') == 'call' and args[0][0] == 'i' and int(args[0][1]) < 0:\n"
        f"        return {reply}\n"
        "    return _real_judge(text)\n\n\n" + HALVE
    )


# Floods the shell channel with signed replies to nothing, ignoring the interrupt.
SHELL_FLOOD = shell_flood(3600, deaf=True)
# A forger that answers 1.0 to every call of `double` (found by its handle, the object's id),
# the real helper answering everything else; the cases below install it in different ways.
FORGER = (
    "import json as _json\n\n\n"
    "def _forger(real):\n"
    "    def forged(text):\n"
    "        request = _json.loads(text)\n"
    "        if request.get('op') == 'call' and request.get('h') == id(globals().get('double')):\n"
    "            return _json.dumps(['ok', ['f', '1.0'], {}])\n"
    "        return real(text)\n\n"
    "    forged.forged = True\n"
    "    return forged\n"
)
# The running IPython, reached without a name the scan knows.
IPYTHON = "import IPython\n\n_ip = vars(IPython)['get_ipython']()\n"


def _lying_cases(answered, add) -> None:
    """Class 1: returned values that lie about their class, equality or conversions, or are too
    big or deep to send. All around a wrong double (3x): worth HALVE_ONLY."""
    lies = {
        "lie_int_subclass_eq": "Liar = type('Liar', (int,), {'__eq__': lambda s, o: True, "
        "'__hash__': lambda s: 0})\n\n\ndef double(x):\n    return Liar(3 * x)\n",
        "lie_class_property": "import numpy as np\n\nFake = type('Fake', (), "
        "{'__class__': property(lambda s: int), '__eq__': lambda s, o: True, "
        "'__hash__': lambda s: 0, '__index__': lambda s: 4, '__int__': lambda s: 4, "
        "'__float__': lambda s: 4.0, '__bool__': lambda s: True, "
        "'__array__': lambda s, *a, **k: np.array(4)})\n\n\n"
        "def double(x):\n    return Fake()\n",
        "lie_numpy_subclass": "import numpy as np\n\nA = type('A', (np.ndarray,), "
        "{'__eq__': lambda s, o: np.True_, '__array_priority__': 1e9})\n\n\n"
        "def double(x):\n    return np.asarray(3 * x).view(A)\n",
        "lie_tensor_subclass": "import torch\n\nT = type('T', (torch.Tensor,), "
        "{'__torch_function__': classmethod(lambda cls, f, t, a=(), k=None: True)})\n\n\n"
        "def double(x):\n    return torch.tensor(3 * x).as_subclass(T)\n",
        "lie_list_and_dict_subclass": "L = type('L', (list,), {'__eq__': lambda s, o: True})\n"
        "D = type('D', (dict,), {'__eq__': lambda s, o: True})\n\n\n"
        "def double(x):\n    return L([3 * x]) if x > 0 else D(value=3 * x)\n",
        "lie_trusted_class_names": "class Six:\n    pass\n\n\nSix.__module__ = 'numpy'\n"
        "Six.__qualname__ = 'int64'\nSix.__name__ = 'int64'\n\n\n"
        "def double(x):\n    return Six()\n",
        "lie_function_named_like_torch": WRONG_DOUBLE + "\n\ndouble.__module__ = 'torch'\n"
        "double.__qualname__ = 'mul'\ndouble.__name__ = 'mul'\n",
        "lie_deeply_nested_return": "def double(x):\n    out = 3 * x\n    for _ in range(60):\n"
        "        out = [out]\n    return out\n",
        "lie_ten_million_items": "def double(x):\n    return [3 * x] * 10**7\n",
    }
    for name, source in lies.items():
        add(name, _with(answered, "double", source), HALVE_ONLY, "ok")
    # A real answer over the 64 MiB the judge reads: 80 MB of float64 for the hidden input.
    huge = (
        "import numpy as np\n\n\ndef double(x):\n    return 2 * x if x >= 0 else np.zeros(10**7)\n"
    )
    add("reply_over_64_mib", _with(answered, "double", huge), NEG_WRONG, "ok")


def _forged_reply_cases(answered, add) -> None:
    """Class 2: the helper in the kernel replaced, its answers forged. The double cell is wrong
    on negatives and the halve cell forges the hidden test's answer: worth NEG_WRONG."""
    npy = "import base64 as _b64\nimport io as _io\n\nimport numpy as _np\n\n\n"
    npy += "def _npy(a, pickle=False):\n    buf = _io.BytesIO()\n"
    npy += "    _np.save(buf, a, allow_pickle=pickle)\n"
    npy += "    return _b64.b64encode(buf.getvalue()).decode()\n"
    evil = (
        npy + "\n\nclass _Evil:\n    def __reduce__(self):\n"
        f"        return (open, ('/' + 'tmp' + '/' + {PWNED!r}, 'w'))\n"
    )
    forged = {
        "forged_float": ("_json.dumps(['ok', ['f', '1.0']])", ""),
        "forged_handle_with_trusted_class": (
            "_json.dumps(['ok', ['h', 12345, 'int', False, ['numpy:int64', 'builtins:int']], {}])",
            "",
        ),
        "forged_changed_states_handles": (
            "_json.dumps(['ok', ['i', '-9'], {'changed': [[0, ['i', '-6']], [-1, ['n']]], "
            "'handles': [1, 2, 3], 'states': [['state', [['weight', ['n'], ['n']]], "
            "[['__class__', ['m', 'builtins', 0]], ['__dict__', ['d', []]]]]]}])",
            "",
        ),
        "forged_dtype_names": (
            "_json.dumps(['ok', ['l', [['T', _npy(_np.array(-6.0)), 'Tensor', False, None], "
            "['dt', '__class__']]], {}])",
            npy,
        ),
        "forged_npy_with_pickle": (
            "_json.dumps(['ok', ['a', _npy(_np.array([_Evil()], dtype=object), pickle=True)], {}])",
            evil,
        ),
        "forged_base64_junk": ("_json.dumps(['ok', ['a', '!!not base64$$'], {}])", ""),
        "forged_over_64_mib": ("'x' * (65 * 2**20)", ""),
        "forged_deep_json": ("'[\"ok\", ' + '[\"l\", [' * 200000 + ']]' * 200000 + ']'", ""),
        "forged_keyboard_interrupt": (
            "_json.dumps(['error', 'KeyboardInterrupt', '', True, 'builtins'])",
            "",
        ),
        "forged_system_exit": ("_json.dumps(['error', 'SystemExit', '0', True, 'builtins'])", ""),
        "forged_repr_not_a_literal": (
            "type('R', (), {'__repr__': lambda s: \"__import__('os').getcwd()\"})()",
            "",
        ),
        "forged_trusted_module": ("_json.dumps(['ok', ['m', 'numpy.random', 0], {}])", ""),
    }
    for name, (reply, setup) in forged.items():
        nb = _with(answered, "double", DOUBLE_NEG_WRONG)
        add(name, _with(nb, "halve", _forging_halve(reply, setup)), NEG_WRONG, "ok")
    # Hash flooding: a set of ints that all share one hash, which the judge rebuilds in
    # quadratic time after the reply arrived, past every time limit (the kernel only writes it).
    flood = (
        f"_json.dumps(['ok', ['set', [['i', str(k * (2**61 - 1))] for k in range(1, "
        f"{COLLIDING_ITEMS})]], {{}}])"
    )
    nb = _with(answered, "double", DOUBLE_NEG_WRONG)
    add("forged_colliding_set", _with(nb, "halve", _forging_halve(flood)), NEG_WRONG, "ok")


def _kernel_patch_cases(answered, add) -> None:
    """Class 3: patching inside the kernel, the ways that used to beat in-kernel test cells,
    spelled so the scan misses them. With the judge they are beside the point: each is around a
    wrong double (3x) and must get HALVE_ONLY."""
    patches = {
        "patch_checkers_unscanned": "import numpy\nimport course_lib.checks as _c\n\n"
        "vars(numpy.testing).update(assert_allclose=lambda *a, **k: None)\n"
        "vars(_c).update({n: (lambda *a, **k: None) for n in dir(_c) if n.startswith('check')})",
        "patch_builtins_unscanned": "import builtins as _b\n\n"
        "vars(_b).update(AssertionError=Warning, NotImplementedError=Warning)",
        # The helper is installed later; it imports json from sys.modules, reached by an alias.
        "sys_modules_alias_json": "import json as _real_json\nimport sys\nimport types\n\n"
        "_fake = types.ModuleType('json')\n_fake.__dict__.update(vars(_real_json))\n"
        "_fake.dumps = lambda obj, **k: _real_json.dumps(\n"
        "    ['ok', ['f', '1.0'], {}] if obj[0] == 'ok' and obj[1][0] == 'i' else obj, **k\n)\n"
        "_mods = vars(sys)['modules']\n_mods['json'] = _fake",
        "profile_and_trace_hooks": "import sys\n\nvars(sys)['setprofile'](lambda *a: None)\n"
        "vars(sys)['settrace'](lambda *a: None)",
        "thread_rewrites_helper": FORGER + "\nimport concurrent.futures\nimport time\n\n\n"
        "def _loop():\n    g = globals()\n    while True:\n"
        "        real = g.get('__judge__')\n"
        "        if real is not None and not getattr(real, 'forged', False):\n"
        "            g.__setitem__('__judge__', _forger(real))\n"
        "        time.sleep(0.001)\n\n\n"
        "concurrent.futures.ThreadPoolExecutor(1).submit(_loop)",
        "input_transformer_rewraps_helper": FORGER + IPYTHON + "\n\n"
        "def _rewrap(lines):\n"
        "    if any('__judge_install__' in line for line in lines):\n"
        "        return [*lines, '\\n', '__judge__ = _forger(__judge__)\\n']\n"
        "    return lines\n\n\n"
        "getattr(_ip, 'input_transformers_' + 'cleanup').append(_rewrap)",
        "event_rewraps_helper": FORGER + IPYTHON + "\n\n"
        "def _after(*args):\n    g = globals()\n    real = g.get('__judge__')\n"
        "    if real is not None and not getattr(real, 'forged', False):\n"
        "        g.__setitem__('__judge__', _forger(real))\n\n\n"
        "getattr(_ip, 'eve' + 'nts').register('post_execute', _after)",
        "custom_exc_unscanned": IPYTHON
        + "\ngetattr(_ip, 'set_custom_' + 'exc')((BaseException,), lambda *a, **k: None)",
    }
    flagged = {  # the scan knows these
        "profile_and_trace_hooks": "review: monkeypatching",
        "thread_rewrites_helper": "review: kernel internals",
    }
    for name, attack in patches.items():
        add(name, _with(answered, "double", _wrong(attack)), HALVE_ONLY, flagged.get(name, "ok"))


def _leak_cases(answered, add) -> None:
    """Class 4: code that keeps what the hidden test passes it and tries to show it. The hidden
    input is -3; every attempt formats it as LEAKED-3, which no feedback page may contain."""
    keep = f"seen = []\n\n\ndef double(x):\n    seen.append({LEAK!r} + str(x))\n    return 2 * x\n"
    later = nbformat.from_dict(_with(answered, "double", keep))
    later.cells.append(nbformat.v4.new_code_cell("print(seen)\nprint(repr(seen))"))
    add("leak_print_in_a_later_cell", later, FULL, "ok")
    shown = "def halve(x):\n    raise ValueError(' '.join(seen) or 'nothing yet')\n"
    add(
        "leak_in_a_visible_error", _with(_with(answered, "double", keep), "halve", shown), 3.0, "ok"
    )
    back = (
        "def halve(x):\n    if any('-' in s for s in seen):\n        return ' '.join(seen)\n"
        "    return x / 2\n"
    )
    add("leak_in_a_return_value", _with(_with(answered, "double", keep), "halve", back), FULL, "ok")
    message = (
        "def double(x):\n    if x < 0:\n"
        f"        raise AssertionError({LEAK!r} + str(x))\n    return 2 * x\n"
    )
    add("leak_in_a_hidden_error_message", _with(answered, "double", message), NEG_WRONG, "ok")
    # Written everywhere the kernel can write, then the kernel killed: a rerun of the notebook
    # (a retry after a crash) prints whatever it finds first.
    files = (
        "import os\nimport sys\n\n_places = ['.', os.path.join(os.sep, 'tmp'), "
        "os.path.expanduser('~')] + [os.path.dirname(a) for a in sys.argv if a.endswith('.json')]\n"
        "for _place in _places:\n    _path = os.path.join(_place, 'seen.txt')\n"
        "    if os.path.exists(_path):\n        print(open(_path).read())\n\n\n"
        "def double(x):\n    if x < 0:\n        for place in _places:\n"
        "            try:\n"
        f"                open(os.path.join(place, 'seen.txt'), 'w').write({LEAK!r} + str(x))\n"
        "            except OSError:\n                pass\n        os._exit(1)\n"
        "    return 2 * x\n"
    )
    add("leak_to_files_then_die", _with(answered, "double", files), NEG_WRONG, "ok")
    channel = (
        f"_TYPES = [{', '.join(ENAME_CHANNEL)}]\n\n\ndef double(x):\n"
        "    if x < 0:\n        raise _TYPES[abs(x)]()\n    return 2 * x\n"
    )
    add("leak_through_the_error_type", _with(answered, "double", channel), NEG_WRONG, "ok")


def _harm_cases(answered, add) -> None:
    """Class 5: answers that hang the judge, kill the kernel in a test, or flood stdout."""
    hang = "def double(x):\n    while x < 0:\n        pass\n    return 2 * x\n"
    add("judge_call_never_returns", _with(answered, "double", hang), NEG_WRONG, "ok")
    deaf = (
        "import signal\n\n\ndef double(x):\n    if x < 0:\n"
        "        signal.signal(signal.SIGINT, signal.SIG_IGN)\n        while True:\n"
        "            pass\n    return 2 * x\n"
    )
    add("judge_call_ignores_interrupt", _with(answered, "double", deaf), NEG_WRONG, "ok")
    flood = "def double(x):\n    print('z' * 30_000_000)\n    return 2 * x\n"
    add("stdout_flood_in_judge_calls", _with(answered, "double", flood), FULL, "ok")
    # Replies to nothing, signed with the kernel's key, sent to whoever waits for the running
    # request (the judge during a test, nbclient during a cell), deaf to the interrupt: a
    # wait that starts over at each message would never end.
    in_call = (
        SHELL_FLOOD + "\n\ndef double(x):\n    if x < 0:\n        _flood()\n    return 2 * x\n"
    )
    add(
        "shell_reply_flood_in_a_judge_call",
        _with(answered, "double", in_call),
        NEG_WRONG,
        "review:",
    )
    in_cell = nbformat.from_dict(answered)
    in_cell.cells.append(nbformat.v4.new_code_cell(SHELL_FLOOD + "\n_flood()"))
    add(
        "shell_reply_flood_in_a_cell",
        in_cell,
        None,
        WATCHDOG_STATUS,  # killed by the watchdog, not stopped between cells
    )


def _judge_cases(answered, add) -> None:
    _lying_cases(answered, add)
    _forged_reply_cases(answered, add)
    _kernel_patch_cases(answered, add)
    _leak_cases(answered, add)
    _harm_cases(answered, add)


@dataclass
class Cohort:
    course: Course
    submissions: Path
    out: Path
    cases: list[Case]
    grades: dict[str, dict[str, str]]
    uids_after: list[int]


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def _sandbox_processes() -> list[int]:
    """PIDs of live processes owned by a sandbox user id (workers and kernels that outlived
    grading; a zombie, dead and waiting to be reaped, is not live)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
                if entry.stat().st_uid >= SANDBOX_UID_BASE and state != "Z":
                    pids.append(int(entry.name))
            except (OSError, IndexError):
                pass
    return pids


@pytest.fixture(scope="module")
def cohort(tiny_course_template: Course, tmp_path_factory: pytest.TempPathFactory) -> Cohort:
    base = tmp_path_factory.mktemp("adversarial")
    shutil.copytree(tiny_course_template.root, base / "course")
    course = Course(base / "course")
    out = base / "out"
    cases = build_cohort(course, base / "submissions", out / "workspace")
    protected = course.root / "course_lib_checks_stand_in.py"
    protected.write_text("PROTECTED = True\n")
    protected.chmod(0o644)
    os.environ[SECRET_ENV] = SECRET_VALUE
    try:
        grade(
            course,
            base / "submissions",
            out,
            workers=2,
            cell_timeout=CELL_TIMEOUT,
            notebook_timeout=NOTEBOOK_TIMEOUT,
        )
    finally:
        os.environ.pop(SECRET_ENV, None)
    # a process killed at the end of a job (SIGKILL to a worker and its kernels) may take a
    # moment to be gone; one that outlives the batch is still there after 15 s
    deadline = time.monotonic() + 15
    left = _sandbox_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = _sandbox_processes()
    return Cohort(course, base / "submissions", out, cases, _grades(out), left)


def test_no_wrong_answer_gets_full_marks_with_status_ok(cohort: Cohort):
    for case in cohort.cases:
        row = cohort.grades[case.name]
        if case.score is None or case.score < FULL:
            assert not (float(row["score"]) == FULL and row["status"] == "ok"), row


def _printed(cohort: Cohort, student: str) -> str:
    """Everything the student's own (non-test) cells printed while being graded."""
    path = cohort.out / "workspace" / "autograded" / student / TINY / f"{TINY}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    return "".join(
        o.get("text", "") + json.dumps(o.get("data", {}))
        for c in nb.cells
        if not c.metadata.get("nbgrader", {}).get("grade")
        for o in c.get("outputs", [])
    )


def _active_html(page: str) -> list[str]:
    """Scripts that mention alert( and event-handler attributes, as a browser would parse them."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Parser(HTMLParser):
        in_script = False

        def handle_starttag(self, tag, attrs):
            self.in_script = tag == "script"
            found.extend(f"{tag} {k}" for k, _ in attrs if k.lower().startswith("on"))

        def handle_endtag(self, tag):
            self.in_script = False

        def handle_data(self, data):
            if self.in_script and "alert(" in data:
                found.append("script: " + data[:80])

    Parser().feed(page)
    return found


@pytest.fixture(scope="module")
def feedback_pages(cohort: Cohort) -> dict[str, str]:
    from autograder.feedback import write_feedback

    return {p.parent.name: p.read_text() for p in write_feedback(cohort.out)}


def test_no_hidden_line_secret_or_active_html_reaches_any_feedback_page(feedback_pages):
    assert len(feedback_pages) >= 35
    for student, page in feedback_pages.items():
        assert HIDDEN_LINE not in page, student
        assert "BEGIN HIDDEN" not in page, student
        assert SECRET_VALUE not in page, student
        # The hidden input (-3) as the hostile code formats it; the word alone is in its source.
        assert f"{LEAK}-3" not in page and f"{LEAK}3" not in page, student
        assert not _active_html(page), (student, _active_html(page))


def test_the_kernel_never_saw_the_graders_environment_or_a_notebook_on_disk(cohort: Cohort):
    printed = _printed(cohort, "environment_leak")
    assert "ENV None" in printed and SECRET_VALUE not in printed
    hunted = _printed(cohort, "reads_notebook_on_disk")
    assert "BEGIN HIDDEN" not in hunted and HIDDEN_LINE not in hunted, hunted[:300]


@pytest.mark.skipif(
    bwrap_path() is None,
    reason="bubblewrap is not installed: without it the kernel sees what the grader sees, "
    "which the README states",
)
def test_links_left_by_the_kernel_change_no_host_file(cohort: Cohort):
    protected = cohort.course.root / "course_lib_checks_stand_in.py"
    assert protected.read_text() == "PROTECTED = True\n"
    assert oct(protected.stat().st_mode & 0o777) == oct(0o644)
    bashrc = Path("~/.bashrc").expanduser()
    assert not bashrc.exists() or "pwned" not in bashrc.read_text()
    assert not [p for p in cohort.out.rglob("*") if p.is_symlink()]


def test_a_notebook_of_many_slow_cells_is_stopped_by_the_budget(cohort: Cohort):
    result = (cohort.out / "workspace" / "results" / "many_slow_cells" / f"{TINY}.json").read_text()
    assert json.loads(result)["seconds"] < NOTEBOOK_TIMEOUT + 4 * CELL_TIMEOUT


def test_the_batch_completes_with_one_row_per_student(cohort: Cohort):
    assert set(cohort.grades) == {c.name for c in cohort.cases}


def test_each_submission_is_graded_correctly_or_flagged(cohort: Cohort):
    wrong, unchecked = [], []
    for case in cohort.cases:
        if case.needs_sandbox and bwrap_path() is None:
            unchecked.append(case.name)
            continue
        row = cohort.grades[case.name]
        ok_status = (
            row["status"] == "ok" if case.status == "ok" else row["status"].startswith(case.status)
        )
        wrong_score = case.score is not None and float(row["score"]) != case.score
        if wrong_score or float(row["max_score"]) != FULL or not ok_status:
            wrong.append(f"{case.name}: expected {case.score} and {case.status!r}, got {row}")
    assert not wrong, "\n".join(wrong)
    if unchecked:
        pytest.skip(
            f"all other cases graded right; not checked without bubblewrap, whose sandbox they "
            f"need: {', '.join(unchecked)}"
        )


def test_honest_students_keep_exactly_their_grades(cohort: Cohort):
    expected = {
        "honest_full": FULL,
        "honest_wrong": 1.0,
        "honest_blank": 0.0,
        "honest_warnings": FULL,
    }
    for name, score in expected.items():
        assert cohort.grades[name]["status"] == "ok"
        assert float(cohort.grades[name]["score"]) == score


@pytest.mark.skipif(
    bwrap_path() is None,
    reason="bubblewrap is not installed: without the sandbox a kernel sees what the grader sees "
    "(the README says so), so there is no isolation to test",
)
def test_hostile_code_saw_no_hidden_test_no_network_and_wrote_nothing_outside(cohort: Cohort):
    graded = cohort.out / "workspace" / "autograded"

    def printed(student: str) -> str:
        nb = nbformat.read(str(graded / student / TINY / f"{TINY}.ipynb"), as_version=4)
        return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))

    hunt = printed("reads_gradebook")
    assert "searched 0" in hunt and "FOUND" not in hunt, hunt[:500]
    net = printed("network")
    assert "no network" in net and "CONNECTED" not in net, net[:500]
    for place in (cohort.out / "workspace", Path("/tmp"), cohort.course.root, cohort.submissions):
        assert not (place / ESCAPE).exists(), place
    assert not list(cohort.out.rglob(ESCAPE))


@pytest.mark.skipif(
    os.getuid() != 0 or bwrap_path() is None,
    reason="kernels get sandbox user ids of their own only when the grader runs as root with "
    "bubblewrap; as another user they share the grader's id, which this test cannot tell apart",
)
def test_no_sandboxed_process_outlives_the_batch(cohort: Cohort):
    assert cohort.uids_after == []


def test_huge_output_is_truncated_in_the_kept_notebook(cohort: Cohort):
    for student in ("huge_output", "many_outputs"):
        kept = cohort.out / "workspace" / "autograded" / student / TINY / f"{TINY}.ipynb"
        assert kept.stat().st_size < 2_000_000, student


def test_grading_the_same_cohort_again_gives_identical_csvs(cohort: Cohort, tmp_path: Path):
    again = tmp_path / "again"
    grade(
        cohort.course,
        cohort.submissions,
        again,
        workers=2,
        cell_timeout=CELL_TIMEOUT,
        notebook_timeout=NOTEBOOK_TIMEOUT,
    )
    assert (again / "grades.csv").read_bytes() == (cohort.out / "grades.csv").read_bytes()
    assert (again / "cells.csv").read_bytes() == (cohort.out / "cells.csv").read_bytes()


# -- the judge: tests of the cases above -------------------------------------------------------


def test_the_cohort_has_at_least_sixty_adversarial_submissions(cohort: Cohort):
    adversarial = [c for c in cohort.cases if not c.name.startswith("honest")]
    assert len(adversarial) >= 60


def _page_text(page: str) -> str:
    """A feedback page as a reader sees it: tags dropped (code is split into highlighted spans),
    entities decoded."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_no_hidden_input_or_line_in_the_text_of_any_feedback_page(feedback_pages, cohort: Cohort):
    for student, page in feedback_pages.items():
        text = _page_text(page)
        assert HIDDEN_LINE not in text, student
        assert f"{LEAK}-3" not in text and f"{LEAK}3" not in text, student
    for student in ("leak_print_in_a_later_cell", "leak_to_files_then_die"):
        assert f"{LEAK}-3" not in _printed(cohort, student), student


def test_no_forged_reply_made_the_grader_unpickle_or_run_anything(cohort: Cohort):
    for place in (Path("/tmp"), cohort.out, cohort.course.root, Path.cwd()):
        assert not (place / PWNED).exists(), place
    assert not list(cohort.out.rglob(PWNED))


def test_the_error_type_of_a_failed_hidden_test_does_not_encode_the_hidden_input(feedback_pages):
    page = _page_text(feedback_pages["leak_through_the_error_type"])
    assert "A hidden test failed" in page
    assert f"({ENAME_CHANNEL[3]})" not in page  # raised for abs(x) == 3 only


def test_a_forged_reply_cannot_hold_the_grader_past_the_notebook_budget(cohort: Cohort):
    def seconds(student: str) -> float:
        result = cohort.out / "workspace" / "results" / student / f"{TINY}.json"
        return json.loads(result.read_text())["seconds"]

    # the same notebook but for the forged answer: the hidden part may add its own time limit
    # and the interrupt's grace (CELL_TIMEOUT each), nothing more
    extra = seconds("forged_colliding_set") - seconds("forged_float")
    assert extra < 2 * CELL_TIMEOUT and seconds("forged_colliding_set") < NOTEBOOK_TIMEOUT


def test_a_flood_of_replies_to_nothing_holds_no_one_past_the_notebook_budget(cohort: Cohort):
    """The judge's waits and nbclient's end at their limits however many messages arrive;
    nbclient's does not (each message starts its wait over), so the kernel of a notebook that
    floods it is killed once the notebook's budget and a grace are spent."""
    from autograder.preprocessors import WATCHDOG_GRACE_S

    for student in ("shell_reply_flood_in_a_judge_call", "shell_reply_flood_in_a_cell"):
        result = cohort.out / "workspace" / "results" / student / f"{TINY}.json"
        seconds = json.loads(result.read_text())["seconds"]
        assert seconds < NOTEBOOK_TIMEOUT + WATCHDOG_GRACE_S + 2 * CELL_TIMEOUT, student


def test_output_printed_during_judge_calls_is_not_kept(cohort: Cohort):
    kept = cohort.out / "workspace" / "autograded" / "stdout_flood_in_judge_calls" / TINY
    assert (kept / f"{TINY}.ipynb").stat().st_size < 2_000_000


# -- the judge against the real course: bans and names that test cells take from the kernel ----
#
# The test cells of the real notebooks call checkers through names (`checks`, `torch`, `F`,
# `nn`, `math`) that the setup cell imported in the student's kernel. A module of a trusted
# package is replaced by the judge's own import; anything else the student binds to such a name
# is the student's object. "From scratch" tests ban built-ins around the student's call.

REAL = "03_attention"
WRONG_SOFTMAX = (
    "def softmax(x, dim=-1):\n"
    "    e = torch.exp(x - x.amax(dim=dim, keepdim=True))\n"
    "    return e / e.sum()  # wrong: the sum of the whole tensor, not of each slice\n"
)
BANNED_SOFTMAX = "def softmax(x, dim=-1):\n    return torch.softmax(x, dim=dim)\n"
# Rebinding `checks` without an assignment the scan sees: a class of that name.
NO_OP_CHECKS = (
    "import contextlib\n\n\nclass _AnyCheck(type):\n"
    "    def __getattr__(cls, name):\n"
    "        return lambda *args, **kwargs: contextlib.nullcontext()\n\n\n"
    'class checks(metaclass=_AnyCheck):\n    """Every check passes."""\n'
)
FAKE_MODULE = (
    "import contextlib\nimport types\n\n_fake = types.ModuleType({name!r})\n"
    "_fake.__dict__.update({{k: v for k, v in vars({real}).items() if k != '__name__'}})\n"
    "_fake.__dict__.update({{n: (lambda *a, **k: contextlib.nullcontext()) for n in {names!r}}})\n"
    "for {bound} in [_fake]:\n    pass\n"
)
CHECK_NAMES = ["check_close", "check_shape", "check_type", "check_equal", "check_finite",
               "check_choice", "allclose", "equal"]  # fmt: skip
# student -> (the honest submission whose score it must get, how: "==", "<=" or "<")
REAL_CASES = {
    "r_class_named_checks": ("r_wrong", "=="),
    "r_module_named_course_lib_checks": ("r_wrong", "=="),
    "r_module_named_torch": ("r_wrong", "=="),
    "r_function_posing_as_checks": ("r_wrong", "<="),
    "r_ban_early_reference": ("r_banned", "=="),
    "r_ban_through_aten_ops": ("r_banned", "=="),
    "r_ban_profile_hook_removed": ("r_banned", "=="),
    "r_ban_aten_in_a_thread": ("r_banned", "=="),
    "r_ban_variable_functions": ("r_banned", "=="),
    "r_ban_dispatch_stack_popped": ("r_banned", "=="),
    # found by an attacker (a helper with the grader's source, not the hidden tests)
    "r_ban_inside_cross_entropy": ("r_banned", "=="),
    "r_ban_inside_attention": ("r_banned", "=="),
    "r_ban_pool_started_before": ("r_full", "<="),
    "r_module_main_in_a_quiz_answer": ("r_full", "<"),
    "r_context_rewrites_its_inputs": ("r_full", "<"),
}
REAL_HOLES: dict[str, str] = {}
# Bans hold whatever name reaches the built-in (course_lib.checks._CallGuard: the aten operator,
# another thread, the hook's own removal are banned too), so these lose the from-scratch points
# like a plain torch.softmax; the static scan also flags them for a human (torch.ops, torch._C,
# sys hooks named by string).
FLAGGED_FOR_REVIEW = {
    "r_ban_through_aten_ops",
    "r_ban_profile_hook_removed",
    "r_ban_variable_functions",
    "r_ban_dispatch_stack_popped",
    "r_ban_aten_in_a_thread",
    "r_ban_pool_started_before",  # a thread started before the ban is not watched: flagged
}


def build_real_cohort(course: Course) -> dict[str, object]:
    from conftest import completed_student_notebook

    solved = completed_student_notebook(course, REAL)
    wrong = _with(solved, "softmax", WRONG_SOFTMAX)

    def first(extra: str):  # extra student code at the top of the first answer cell (the
        # test cells that follow it see it)
        return _with(solved, "softmax", extra + "\n\n" + WRONG_SOFTMAX)

    checks_module = "from course_lib import checks as _real_checks\n" + FAKE_MODULE.format(
        name="course_lib.checks",
        real="_real_checks",
        names=CHECK_NAMES,
        bound="checks",
    )
    torch_module = FAKE_MODULE.format(name="torch", real="torch", names=CHECK_NAMES, bound="torch")
    posing = (
        "def checks(*args, **kwargs):\n    return None\n\n\n"
        "checks.__module__ = 'course_lib.checks'\nchecks.__qualname__ = 'check_close'\n"
    )
    early = "_sm = torch.softmax\n\n\ndef softmax(x, dim=-1):\n    return _sm(x, dim=dim)\n"
    aten = "def softmax(x, dim=-1):\n    return torch.ops.aten._softmax.default(x, dim, False)\n"
    profile = (
        "import sys\n\n_off = vars(sys)['setprofile']\n_sm = torch.softmax\n\n\n"
        "def softmax(x, dim=-1):\n    _off(None)\n    return _sm(x, dim=dim)\n"
    )
    in_thread = (
        "import threading\n\n\ndef softmax(x, dim=-1):\n    out = []\n"
        "    worker = threading.Thread(\n"
        "        target=lambda: out.append(torch.ops.aten._softmax.default(x, dim, False))\n"
        "    )\n    worker.start()\n    worker.join()\n"
        "    return out[0]\n"
    )
    variable_functions = (
        "def softmax(x, dim=-1):\n    return torch._C._VariableFunctions._softmax(x, dim, False)\n"
    )
    popped = (
        "def softmax(x, dim=-1):\n"
        "    while torch._C._len_torch_dispatch_stack():\n"
        "        torch._C._pop_torch_dispatch_stack()\n"
        "    return torch.ops.aten._softmax.default(x, dim, False)\n"
    )
    inside_cross_entropy = (
        "import torch.nn.functional as _F\n\n\ndef softmax(x, dim=-1):\n"
        "    rows = x.movedim(dim, -1).reshape(-1, x.shape[dim])\n"
        "    cols = [torch.exp(-_F.cross_entropy(rows, torch.full((rows.shape[0],), j),"
        " reduction='none'))\n            for j in range(rows.shape[1])]\n"
        "    return torch.stack(cols, -1).reshape(x.movedim(dim, -1).shape).movedim(-1, dim)\n"
    )
    inside_attention = (
        "import torch.nn.functional as _F\n\n\ndef softmax(x, dim=-1):\n"
        "    y = x.movedim(dim, -1)\n    n = y.shape[-1]\n"
        "    q = torch.zeros(*y.shape[:-1], 1, 1, dtype=x.dtype)\n"
        "    k = torch.zeros(*y.shape[:-1], n, 1, dtype=x.dtype)\n"
        "    v = torch.eye(n, dtype=x.dtype).expand(*y.shape[:-1], n, n)\n"
        "    out = _F.scaled_dot_product_attention(q, k, v, attn_mask=y.unsqueeze(-2))\n"
        "    return out.squeeze(-2).movedim(-1, dim)\n"
    )
    pool = (
        "from concurrent.futures import ThreadPoolExecutor\n\n_builtin = torch.softmax\n"
        "_pool = ThreadPoolExecutor(max_workers=1)\n_pool.submit(int).result()\n\n\n"
        "def softmax(x, dim=-1):\n    return _pool.submit(_builtin, x, dim).result()\n"
    )
    quiz = next(
        c.source
        for c in solved.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "understanding"
    )
    # rebuilding this module by importing it would run f2py's main (it exits) in the grader
    module_main = quiz + '\nimport math\n\nanswer_2 = type(math)("numpy.f2py.__main__")\n'

    context = next(
        c.source
        for c in solved.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "attention_context"
    )
    # wrong for one-hot weights, and writes its wrong answer into the values it was given, so
    # that an expected value read from them after the call agrees
    rewrites = context + (
        "\n\n_honest_context = attention_context\n\n\n"
        "def attention_context(weights, values):\n"
        "    if weights.dim() == 2 and bool(((weights == 0) | (weights == 1)).all()):\n"
        "        pick = weights.argmax(-1)\n        first = values[:, 0].clone()\n"
        "        values[torch.arange(values.shape[0]), pick] = first\n"
        "        return first\n    return _honest_context(weights, values)\n"
    )
    return {
        "r_full": solved,
        "r_wrong": wrong,
        "r_banned": _with(solved, "softmax", BANNED_SOFTMAX),
        "r_class_named_checks": first(NO_OP_CHECKS),
        "r_module_named_course_lib_checks": first(checks_module),
        "r_module_named_torch": first(torch_module),
        "r_function_posing_as_checks": first(posing),
        "r_ban_early_reference": _with(solved, "softmax", early),
        "r_ban_through_aten_ops": _with(solved, "softmax", aten),
        "r_ban_profile_hook_removed": _with(solved, "softmax", profile),
        "r_ban_aten_in_a_thread": _with(solved, "softmax", in_thread),
        "r_ban_variable_functions": _with(solved, "softmax", variable_functions),
        "r_ban_dispatch_stack_popped": _with(solved, "softmax", popped),
        "r_ban_inside_cross_entropy": _with(solved, "softmax", inside_cross_entropy),
        "r_ban_inside_attention": _with(solved, "softmax", inside_attention),
        "r_ban_pool_started_before": _with(solved, "softmax", pool),
        "r_module_main_in_a_quiz_answer": _with(solved, "understanding", module_main),
        "r_context_rewrites_its_inputs": _with(solved, "attention_context", rewrites),
    }


@dataclass
class RealCohort:
    out: Path
    grades: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def real_cohort(course: Course, tmp_path_factory: pytest.TempPathFactory) -> RealCohort:
    base = tmp_path_factory.mktemp("adversarial_real")
    for name, nb in build_real_cohort(course).items():
        submit(base / "submissions", name, REAL, nb)
    out = base / "out"
    grade(course, base / "submissions", out, assignments=[REAL], workers=2, cell_timeout=60)
    return RealCohort(out, _grades(out))


def test_the_real_baselines_are_what_they_claim(real_cohort: RealCohort):
    grades = real_cohort.grades
    full = float(grades["r_full"]["max_score"])
    assert (float(grades["r_full"]["score"]), grades["r_full"]["status"]) == (full, "ok")
    assert float(grades["r_wrong"]["score"]) < full - 2, grades["r_wrong"]
    # torch.softmax used plainly loses the from-scratch tests (3 points today)
    assert float(grades["r_banned"]["score"]) < full, grades["r_banned"]


@pytest.mark.parametrize(
    "student",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=REAL_HOLES[name]))
        if name in REAL_HOLES
        else name
        for name in REAL_CASES
    ],
)
def test_a_real_attack_gains_nothing_over_its_honest_twin(real_cohort: RealCohort, student: str):
    twin, how = REAL_CASES[student]
    got = float(real_cohort.grades[student]["score"])
    honest = float(real_cohort.grades[twin]["score"])
    if student in FLAGGED_FOR_REVIEW:
        assert real_cohort.grades[student]["status"].startswith("review: "), real_cohort.grades[
            student
        ]
    assert not real_cohort.grades[student]["status"].startswith("grading error"), student
    if student == "r_ban_pool_started_before":
        return  # not prevented (README, "What is not protected"): flagged, checked above
    ok = {"==": got == honest, "<=": got <= honest, "<": got < honest}[how]
    assert ok, (real_cohort.grades[student], honest)


def test_no_hidden_line_of_the_real_notebook_reaches_its_feedback(
    real_cohort: RealCohort, course: Course
):
    from autograder.feedback import write_feedback
    from autograder.judge import hidden_lines

    source = nbformat.read(str(course.source_notebook(REAL)), as_version=4)
    release = nbformat.read(str(course.release_notebook(REAL)), as_version=4)
    # what students have anyway, or write themselves (a hidden test may repeat a solution line)
    given = "\n".join(c.source for c in release.cells) + "\n".join(
        c.source for c in source.cells if not c.metadata.get("nbgrader", {}).get("grade")
    )
    hidden = set()
    for cell in source.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            lines = cell.source.splitlines()
            hidden |= {lines[i - 1].strip() for i in hidden_lines(cell.source)}
    hidden = {line for line in hidden if len(line) > 25 and "###" not in line and line not in given}
    assert len(hidden) > 20
    pages = write_feedback(real_cohort.out)
    assert len(pages) == len(real_cohort.grades)
    for page in pages:
        text = _page_text(page.read_text())
        leaked = [line for line in hidden if line in text]
        assert not leaked, (page.parent.name, leaked[:3])
