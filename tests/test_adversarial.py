"""The adversarial suite: one batch of broken and hostile submissions graded next to honest ones.

Every adversarial submission must be graded correctly or flagged (its ``status`` says why a
human should look), the batch must complete, and the honest students in the same batch must
keep exactly their grades. Grading the same cohort again from scratch gives identical CSVs.

The course is the tiny two-exercise course of conftest.py (``double`` and ``halve``, 4 points),
graded with a 10 s cell timeout and two workers.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import TINY, submit

from autograder.course import Course
from autograder.grade import grade
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
    """PIDs of live processes owned by a sandbox user id (kernels that outlived grading)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid >= SANDBOX_UID_BASE:
                    pids.append(int(entry.name))
            except OSError:
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
    return Cohort(course, base / "submissions", out, cases, _grades(out), _sandbox_processes())


def test_the_cohort_has_at_least_forty_five_adversarial_submissions(cohort: Cohort):
    adversarial = [c for c in cohort.cases if not c.name.startswith("honest")]
    assert len(adversarial) >= 45


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
