"""Tests for autograder.sandbox: what a graded kernel can and cannot reach.

The probes run in one real sandboxed kernel (bubblewrap); without bwrap they are skipped, and
the command-line construction is still checked.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from autograder.sandbox import Limits, SandboxedKernelManager, launcher_command, wrap_command

REPO = Path(__file__).resolve().parent.parent
HAVE_BWRAP = shutil.which("bwrap") is not None
needs_bwrap = pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap (bwrap) is not installed")


def test_wrapped_command_isolates_network_and_binds_only_the_workdir_writable(tmp_path: Path):
    cmd = wrap_command(
        ["python", "-m", "ipykernel_launcher"], workdir=tmp_path, ipc_dir=tmp_path, bwrap="bwrap"
    )
    assert cmd[0] == "bwrap" and "--unshare-net" in cmd and "--die-with-parent" in cmd
    writable = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--bind"]
    assert writable == [str(tmp_path), str(tmp_path)]
    visible = [cmd[i + 1] for i, a in enumerate(cmd) if a in ("--ro-bind", "--ro-bind-try")]
    assert str(REPO) not in visible, "the repository root (solutions/) is never visible"
    assert str(REPO / "course_lib") in visible
    assert cmd[-3:] == ["python", "-m", "ipykernel_launcher"]


def test_launcher_passes_the_limits_and_then_the_kernel_command():
    cmd = launcher_command(["/py", "-m", "k"], Limits(100, 20, 30, 40), drop_to=1234)
    assert cmd[:2] == ["/py", "-c"]
    assert cmd[3:] == ["100", "20", "30", "40", "1234", "/py", "-m", "k"]


def test_sandbox_can_be_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "off")
    assert sandbox.bwrap_path() is None
    assert sandbox.sandbox_mode() == "limits only"


PROBES = {
    "uid": "import os\nprint(os.getuid())",
    "imports": "import torch, numpy, course_lib.checks\nprint('imports ok')",
    "repo": f"import os\nprint(os.path.exists({str(REPO / 'solutions')!r}), "
    f"os.path.exists({str(REPO / 'README.md')!r}))",
    "network": "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
    "    print('connected')\nexcept OSError as exc:\n    print('refused', type(exc).__name__)",
    "write_outside": "import os\nfor p in ['/outside.txt', '../outside.txt', "
    f"{str(REPO / 'pwned.txt')!r}]:\n    try:\n        open(p, 'w').write('x')\n"
    "        print('wrote', p)\n    except OSError as exc:\n        print('denied', p)",
    "write_inside": "open('mine.txt', 'w').write('ok')\nprint(open('mine.txt').read())",
    "fork_bomb": "import os, time\nn = 0\ntry:\n    while n < 5000:\n"
    "        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
    "        n += 1\nexcept OSError:\n    pass\nprint('forked', n)",
    "memory_bomb": "try:\n    block = bytearray(40 * 2**30)\n    print('allocated')\n"
    "except MemoryError:\n    print('MemoryError')",
}


@pytest.fixture(scope="module")
def probes(tmp_path_factory) -> dict[str, str]:
    """Run every probe in one sandboxed kernel; return {probe: its stdout}."""
    from nbclient import NotebookClient

    work = tmp_path_factory.mktemp("sandbox_work")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in PROBES.values()]
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        kernel_manager_class=SandboxedKernelManager,
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()
    out = {}
    for name, cell in zip(PROBES, nb.cells, strict=True):
        out[name] = "".join(
            o.get("text", "") if o.output_type == "stream" else json.dumps(o) for o in cell.outputs
        ).strip()
    out["_workdir"] = str(work)
    return out


@needs_bwrap
def test_kernel_runs_as_an_unprivileged_user_of_its_own(probes):
    uid = int(probes["uid"])
    assert uid != 0
    if os.getuid() == 0:
        assert uid >= sandbox.SANDBOX_UID_BASE


@needs_bwrap
def test_kernel_imports_torch_numpy_and_course_lib(probes):
    assert probes["imports"] == "imports ok"


@needs_bwrap
def test_kernel_cannot_see_the_repository(probes):
    assert probes["repo"] == "False False"


@needs_bwrap
def test_kernel_has_no_network(probes):
    assert probes["network"].startswith("refused"), probes["network"]


@needs_bwrap
def test_kernel_writes_only_inside_its_folder(probes):
    assert "wrote" not in probes["write_outside"], probes["write_outside"]
    assert probes["write_inside"] == "ok"
    assert not (REPO / "pwned.txt").exists()
    assert (Path(probes["_workdir"]) / "mine.txt").read_text() == "ok"


@needs_bwrap
def test_fork_bomb_is_bounded_by_the_process_limit(probes):
    forked = int(probes["fork_bomb"].split()[-1])
    assert forked < Limits().processes


@needs_bwrap
def test_memory_bomb_fails_with_memory_error(probes):
    assert probes["memory_bomb"] == "MemoryError"
