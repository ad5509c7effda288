"""Tests for autograder.sandbox: what a graded kernel can and cannot reach.

The probes run in one real sandboxed kernel (bubblewrap); without bwrap they are skipped with a
reason, and the command-line construction is still checked. Each probe that shows a limit has a
control that would fail if the limit were not there (a loopback listener that an unsandboxed
process does reach; an allocation just under the limit that succeeds).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from traitlets import Integer

from autograder import sandbox
from autograder.sandbox import (
    ENV_ALLOWLIST,
    SCRATCH,
    Limits,
    SandboxedKernelManager,
    kernel_environment,
    launcher_command,
    wrap_command,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
HAVE_BWRAP = shutil.which("bwrap") is not None
needs_bwrap = pytest.mark.skipif(
    not HAVE_BWRAP,
    reason="bubblewrap (bwrap) is not installed, so kernels are not isolated and there is "
    "nothing to probe (apt-get install bubblewrap; .ci/run installs it)",
)
PROBE_MEMORY_MB = 4096
SECRET = "AUTOGRADER_TEST_SECRET"


def test_wrapped_command_isolates_network_and_binds_only_the_ipc_folder_writable(tmp_path: Path):
    cmd = wrap_command(["python", "-m", "ipykernel_launcher"], ipc_dir=tmp_path, bwrap="bwrap")
    assert cmd[0] == "bwrap" and "--unshare-net" in cmd and "--die-with-parent" in cmd
    writable = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--bind"]
    assert writable == [str(tmp_path)]
    visible = [cmd[i + 1] for i, a in enumerate(cmd) if a in ("--ro-bind", "--ro-bind-try")]
    assert str(REPO) not in visible, "the repository root (solutions/) is never visible"
    assert str(REPO / "course_lib") in visible
    # /tmp and the working folder are in-memory filesystems, each capped.
    tmpfs = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--tmpfs"]
    assert tmpfs == ["/tmp", SCRATCH]
    sizes = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--size"]
    assert sizes == [str(Limits().scratch_mb * 2**20)] * 2
    assert cmd[cmd.index("--chdir") + 1] == SCRATCH
    assert cmd[-3:] == ["python", "-m", "ipykernel_launcher"]


def test_launcher_passes_the_limits_and_then_the_kernel_command():
    cmd = launcher_command(["/py", "-m", "k"], Limits(100, 20, 30, 40), drop_to=1234)
    assert cmd[:2] == ["/py", "-c"]
    assert cmd[3:] == ["100", "20", "30", "40", "1234", "/py", "-m", "k"]


def test_kernel_environment_keeps_only_the_allowlist():
    env = {"PATH": "/bin", "OMP_NUM_THREADS": "1", SECRET: "s3cret", "HOME": "/root"}
    kept = kernel_environment(env, "/tmp")
    assert SECRET not in kept and kept["HOME"] == "/tmp" and kept["PATH"] == "/bin"
    assert kept["OMP_NUM_THREADS"] == "1"
    assert set(kept) - set(ENV_ALLOWLIST) <= {
        "HOME",
        "TMPDIR",
        "MPLCONFIGDIR",
        "IPYTHONDIR",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME",
        "PYTHONDONTWRITEBYTECODE",
    }


def test_sandbox_can_be_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "off")
    assert sandbox.bwrap_path() is None
    assert sandbox.sandbox_mode() == "limits only"


class _ProbeKernelManager(SandboxedKernelManager):
    memory_mb = Integer(PROBE_MEMORY_MB).tag(config=True)


def _listener() -> tuple[socket.socket, int]:
    """A TCP listener on the host's loopback that accepts connections in the background."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


def _connect_probe(port: int) -> str:
    return (
        "import socket\ntry:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3).close()\n"
        "    print('connected')\nexcept OSError as exc:\n    print('refused', type(exc).__name__)"
    )


def _probes(port: int, host_file: Path) -> dict[str, str]:
    allocate = (
        "try:\n    block = bytearray({mb} * 2**20)\n    print('allocated')\n    del block\n"
        "except MemoryError:\n    print('MemoryError')"
    )
    fill = (
        "import os\nwritten = 0\ntry:\n    for i in range(6):\n"
        "        with open(os.path.join({folder!r}, f'fill{{i}}'), 'wb') as fh:\n"
        "            fh.write(b'x' * 100 * 2**20)\n        written += 100\n"
        "except OSError as exc:\n    print('stopped', written, type(exc).__name__)\n"
        "else:\n    print('wrote', written)\n"
        "for i in range(6):\n    try:\n        os.remove(os.path.join({folder!r}, f'fill{{i}}'))\n"
        "    except OSError:\n        pass"
    )
    return {
        "uid": "import os\nprint(os.getuid())",
        "imports": "import torch, numpy, course_lib.checks\nprint('imports ok')",
        "repo": f"import os\nprint(os.path.exists({str(REPO / 'solutions')!r}), "
        f"os.path.exists({str(REPO / 'README.md')!r}))",
        "network": _connect_probe(port),
        "write_outside": "import os\nfor p in ['/outside.txt', '../outside.txt', "
        f"{str(REPO / 'pwned.txt')!r}]:\n    try:\n        open(p, 'w').write('x')\n"
        "        print('wrote', p)\n    except OSError as exc:\n        print('denied', p)",
        "workdir": "import os\nopen('mine.txt', 'w').write('ok')\n"
        "print(os.getcwd(), sorted(os.listdir('.')))",
        "symlink": f"import os\nos.symlink({str(host_file)!r}, 'link')\n"
        "try:\n    open('link', 'w').write('overwritten')\n    print('followed')\n"
        "except OSError as exc:\n    print('not followed', type(exc).__name__)",
        "environment": f"import os\nprint({SECRET!r} in os.environ, os.environ.get('HOME'))",
        "scratch_cap": fill.format(folder="."),
        "tmp_cap": fill.format(folder="/tmp"),
        "fontconfig": "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "plt.plot([1, 2])\nplt.title('fonts')\nplt.savefig('/tmp/f.png')\nprint('drawn')",
        "fork_bomb": "import os, time\nn = 0\ntry:\n    while n < 5000:\n"
        "        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
        "        n += 1\nexcept OSError:\n    pass\nprint('forked', n)",
        "memory_under": allocate.format(mb=512),
        "memory_over": allocate.format(mb=PROBE_MEMORY_MB + 256),
    }


@pytest.fixture(scope="module")
def probes(tmp_path_factory) -> dict[str, str]:
    """Run every probe in one sandboxed kernel; return {probe: its output}."""
    from nbclient import NotebookClient

    if not HAVE_BWRAP:
        pytest.skip("bubblewrap (bwrap) is not installed: no sandbox to probe")
    work = tmp_path_factory.mktemp("sandbox_work")
    host_file = work / "host_file.txt"
    host_file.write_text("original")
    server, port = _listener()
    nb = nbformat.v4.new_notebook()
    probes = _probes(port, host_file)
    nb.cells = [nbformat.v4.new_code_cell(src) for src in probes.values()]
    nbformat.write(nb, str(work / "probe.ipynb"))
    os.environ[SECRET] = "s3cret"
    try:
        client = NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,
            kernel_manager_class=_ProbeKernelManager,
            resources={"metadata": {"path": str(work)}},
        )
        client.execute()
    finally:
        os.environ.pop(SECRET, None)
    out = {}
    for name, cell in zip(probes, nb.cells, strict=True):
        out[name] = "".join(
            o.get("text", "") if o.output_type == "stream" else json.dumps(o) for o in cell.outputs
        ).strip()
    out["_control_network"] = _run_control(_connect_probe(port))
    server.close()
    out["_workdir"] = str(work)
    out["_host_file"] = host_file.read_text()
    return out


def _run_control(code: str) -> str:
    """The same probe in a plain Python process on the host (not sandboxed)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30
    ).stdout.strip()


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
def test_kernel_cannot_reach_a_listener_on_the_hosts_loopback(probes):
    assert probes["_control_network"] == "connected", "control: the listener must be reachable"
    assert probes["network"].startswith("refused"), probes["network"]


@needs_bwrap
def test_kernel_works_in_an_empty_scratch_folder_that_holds_no_notebook(probes):
    assert "wrote" not in probes["write_outside"], probes["write_outside"]
    assert not (REPO / "pwned.txt").exists()
    assert probes["workdir"] == f"{SCRATCH} ['mine.txt']"
    # Nothing the kernel wrote reaches the folder the notebook was executed from.
    assert sorted(p.name for p in Path(probes["_workdir"]).iterdir()) == [
        "host_file.txt",
        "probe.ipynb",
    ]


@needs_bwrap
def test_a_symlink_to_a_host_file_leads_nowhere(probes):
    assert probes["symlink"].startswith("not followed") or probes["symlink"] == "followed"
    assert probes["_host_file"] == "original"


@needs_bwrap
def test_the_graders_environment_does_not_reach_the_kernel(probes):
    assert probes["environment"] == "False /tmp"


@needs_bwrap
def test_scratch_and_tmp_are_capped(probes):
    cap = Limits().scratch_mb
    for name in ("scratch_cap", "tmp_cap"):
        words = probes[name].split()
        assert words[0] == "stopped", probes[name]
        assert int(words[1]) <= cap and words[2] == "OSError", probes[name]


@needs_bwrap
def test_matplotlib_draws_without_host_noise(probes):
    assert probes["fontconfig"] == "drawn", probes["fontconfig"]


@needs_bwrap
def test_fork_bomb_is_bounded_by_the_process_limit(probes):
    forked = int(probes["fork_bomb"].split()[-1])
    assert forked < Limits().processes


@needs_bwrap
def test_memory_just_over_the_limit_fails_and_just_under_succeeds(probes):
    assert probes["memory_under"] == "allocated"
    assert probes["memory_over"] == "MemoryError"
