"""Run a grading kernel in a sandbox: no network, a minimal filesystem view, resource limits.

With bubblewrap (``bwrap``) on the PATH, the kernel of each graded notebook runs in new
network, PID, IPC and UTS namespaces and sees only

- the Python installation and the virtual environment, read-only (so ``course_lib``, numpy and
  torch import), plus the few system folders a Python process needs (``/usr``, ``/lib``, ...);
- its working folder ``/scratch``: an empty in-memory filesystem of its own, capped in size
  (``Limits.scratch_mb``), that holds no notebook and that the grader never reads or writes;
- a private ``/tmp``, capped the same way;
- the folder of its IPC sockets (the only host folder it can write to; files there are capped
  by the file-size limit and removed when the kernel stops).

It does not see ``solutions/``, the gradebook, the grading workspace, the submitted notebook,
the other students' submissions or the instructor's home. Its environment is an allowlist
(``kernel_environment``): none of the grader's variables reach it. It talks to the grader over
IPC sockets (TCP would need the network), is interrupted by a message (the grader cannot signal
a process in another PID namespace) and dies with the grader.

Inside, before Python starts the kernel, a small launcher sets resource limits (address space,
CPU time, processes, file size) and, when the grader runs as root, drops to the unprivileged
user id of its own (as root, the process limit would not apply).

Without bubblewrap the same limits and the same environment allowlist apply to a kernel that
is otherwise not isolated (it runs in a fresh private temporary folder, not beside the
notebook), and the grader warns once: see ``sandbox_mode`` and the README.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer

__all__ = [
    "ENV_ALLOWLIST",
    "Limits",
    "SandboxedKernelManager",
    "bwrap_path",
    "give_to",
    "home_environment",
    "kernel_environment",
    "launcher_command",
    "sandbox_mode",
    "worker_command",
    "wrap_command",
]

# Kernels run as a user id of their own, above the ids of real accounts: the process limit
# counts per user, so one student's fork bomb cannot starve a kernel grading someone else.
SANDBOX_UID_BASE = 1_000_000


def sandbox_uid() -> int:
    """A user id no other live grading process uses (our PID is unique while we run): the id a
    worker started by root drops to, and the id of kernels that root starts."""
    return SANDBOX_UID_BASE + os.getpid()


# What a Python process reads outside the Python installation (read-only, when they exist).
SYSTEM_PATHS = (
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/sbin",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/alternatives",
    "/etc/fonts",
    "/etc/ssl",
    "/etc/passwd",
    "/etc/group",
)


@dataclass(frozen=True)
class Limits:
    """Resource limits for one kernel (0 means no limit).

    Attributes:
        memory_mb: address space (RLIMIT_AS). torch reserves a lot of virtual memory when it
            imports, so this is a cap on runaway allocations, not a tight budget.
        cpu_seconds: CPU time of the kernel process (RLIMIT_CPU): a busy loop that the
            per-cell wall-clock timeout fails to interrupt still ends.
        processes: processes and threads of the kernel's user (RLIMIT_NPROC): bounds a fork
            bomb.
        file_mb: the largest file the kernel may write (RLIMIT_FSIZE).
        scratch_mb: the size of each in-memory filesystem of the sandbox (``/scratch``, the
            working folder, and ``/tmp``); with bubblewrap only.
    """

    memory_mb: int = 8192
    cpu_seconds: int = 1800
    processes: int = 256
    file_mb: int = 256
    scratch_mb: int = 256


# The only variables of the grader's environment that reach a kernel (values unchanged).
# Everything else (tokens, paths of the workspace, the instructor's settings) stays outside.
ENV_ALLOWLIST = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "MPLBACKEND",
    "PYTHONHASHSEED",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "COURSE_DEVICE",
    "COURSE_SIZE",
    "CUDA_VISIBLE_DEVICES",
)
# Where the kernel's home, caches and scratch files go (inside the sandbox with bubblewrap).
SCRATCH = "/scratch"


def home_environment(home: str) -> dict[str, str]:
    """Variables that put a process's home, temporary files and the caches and settings of
    Python tools (matplotlib, IPython, fontconfig) under ``home``."""
    return {
        "HOME": home,
        "TMPDIR": home,
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "IPYTHONDIR": f"{home}/.ipython",
        "XDG_CACHE_HOME": f"{home}/.cache",
        "XDG_CONFIG_HOME": f"{home}/.config",
    }


def kernel_environment(env: dict[str, str], home: str) -> dict[str, str]:
    """The allowlisted part of ``env`` plus the kernel's own home and cache folders under
    ``home`` (fontconfig and matplotlib write caches there instead of complaining)."""
    kept = {k: env[k] for k in ENV_ALLOWLIST if k in env}
    kept.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    kept.update(home_environment(home), PYTHONDONTWRITEBYTECODE="1")
    return kept


def bwrap_path() -> str | None:
    """The bubblewrap executable, or None when it is not installed (or disabled by
    ``AUTOGRADER_SANDBOX=off``)."""
    if os.environ.get("AUTOGRADER_SANDBOX", "").lower() in ("off", "0", "no", "false"):
        return None
    return shutil.which("bwrap")


def sandbox_mode() -> str:
    """``"bubblewrap"`` when kernels are isolated, else ``"limits only"``."""
    return "bubblewrap" if bwrap_path() else "limits only"


_warned = False


def warn_if_unsandboxed() -> None:
    """Warn once per process that kernels run without isolation."""
    global _warned
    if not _warned and bwrap_path() is None:
        _warned = True
        warnings.warn(
            "bubblewrap (bwrap) is not installed: student code runs with resource limits but "
            "can read and write what you can and reach the network. Install it "
            "(Debian/Ubuntu: apt-get install bubblewrap) to sandbox grading.",
            RuntimeWarning,
            stacklevel=2,
        )


# Runs inside the sandbox, before the kernel: limits first, then (as root) drop to nobody.
_LAUNCHER = """
import os, resource, sys
mem, cpu, nproc, fsize, uid = (int(a) for a in sys.argv[1:6])
def cap(kind, value):
    if value > 0:
        soft, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value))
cap(resource.RLIMIT_AS, mem * 2**20)
cap(resource.RLIMIT_CPU, cpu)
cap(resource.RLIMIT_FSIZE, fsize * 2**20)
if uid >= 0 and os.getuid() == 0:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
cap(resource.RLIMIT_NPROC, nproc)
os.environ.pop("JPY_PARENT_PID", None)
os.execv(sys.argv[6], sys.argv[6:])
""".strip()


def launcher_command(kernel_cmd: list[str], limits: Limits, drop_to: int = -1) -> list[str]:
    """``kernel_cmd`` preceded by a Python launcher that applies ``limits`` (and drops to the
    user id ``drop_to`` when started as root; -1 keeps the user)."""
    python = kernel_cmd[0]
    return [
        python,
        "-c",
        _LAUNCHER,
        str(limits.memory_mb),
        str(limits.cpu_seconds),
        str(limits.processes),
        str(limits.file_mb),
        str(drop_to),
        *kernel_cmd,
    ]


def _python_roots() -> list[str]:
    """Folders holding the Python installation, the environment and importable packages."""
    import course_lib

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.add(str(Path(course_lib.__file__).resolve().parent))
    executable = Path(sys.executable)
    roots.add(str(executable.parent))
    roots.add(str(executable.resolve().parent.parent))
    return sorted(r for r in roots if r and Path(r).exists())


def wrap_command(
    kernel_cmd: list[str], *, ipc_dir: Path, bwrap: str, scratch_mb: int = Limits.scratch_mb
) -> list[str]:
    """``kernel_cmd`` run by bubblewrap with the view described in the module docstring."""
    size = ["--size", str(scratch_mb * 2**20)] if scratch_mb > 0 else []
    args = [
        bwrap,
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        *size,
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        *size,
        "--tmpfs",
        SCRATCH,
    ]
    roots = _python_roots()
    writable = [str(ipc_dir)]
    # bubblewrap creates the folders above a bind point with mode 0700, which the unprivileged
    # kernel could not cross: create them first, world-traversable.
    parents = {
        str(parent)
        for target in [*roots, *writable, *SYSTEM_PATHS]
        for parent in Path(target).parents
        if str(parent) != "/"
    }
    for parent in sorted(parents, key=lambda p: (p.count("/"), p)):
        args += ["--perms", "0755", "--dir", parent]
    for path in SYSTEM_PATHS:
        args += ["--ro-bind-try", path, path]
    for root in roots:
        args += ["--ro-bind", root, root]
    for path in writable:
        args += ["--bind", path, path]
    args += ["--chdir", SCRATCH]
    return [*args, "--", *kernel_cmd]


def _untraversable(path: Path) -> bool:
    try:
        return not os.stat(path).st_mode & 0o001
    except OSError:
        return True


def worker_command(command: list[str]) -> list[str] | None:
    """``command`` (a grading worker that root starts and that then drops to a user id of its
    own) wrapped so that the unprivileged worker can still reach the Python installation and
    the course's packages; None when it cannot be.

    Where every folder above them lets others through, that is ``command`` itself. Where one
    does not (a Python installed under root's ``/root``), the worker runs with the host's
    view except that such a folder is an empty in-memory one holding only those paths
    (bubblewrap, as root, in a mount namespace of its own; None without bubblewrap).
    """
    import autograder

    needed = [Path(p) for p in _python_roots()]
    needed.append(Path(autograder.__file__).resolve().parent)
    hidden = {
        parent
        for path in needed
        for parent in [path, *path.parents]
        if str(parent) != "/" and _untraversable(parent)
    }
    if not hidden:
        return command
    bwrap = bwrap_path()
    if bwrap is None:
        return None
    tops = sorted(h for h in hidden if not any(other in h.parents for other in hidden))
    args = [bwrap, "--dev-bind", "/", "/", "--die-with-parent"]
    for top in tops:
        args += ["--perms", "0755", "--tmpfs", str(top)]
    made: set[Path] = set()
    outermost = {p for p in needed if not any(q in p.parents for q in needed)}
    for path in sorted(outermost):
        under = [t for t in tops if t == path or t in path.parents]
        if not under:
            continue
        top = under[0]
        for parent in sorted(p for p in path.parents if top in p.parents and p not in made):
            args += ["--perms", "0755", "--dir", str(parent)]
            made.add(parent)
        args += ["--ro-bind", str(path), str(path)]
    return [*args, "--", *command]


def give_to(path: Path, uid: int) -> None:
    """Let ``uid`` read and write ``path`` and everything below it (we are root; links are
    not followed)."""
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            try:
                os.chown(name, uid, uid, follow_symlinks=False)
            except OSError:
                pass


class SandboxedKernelManager(AsyncKernelManager):
    """A KernelManager whose kernel runs in the sandbox (see the module docstring).

    Used by the grader through ``Execute.kernel_manager_class``; the limits are config traits
    (``SandboxedKernelManager.memory_mb`` and so on).
    """

    memory_mb = Integer(Limits.memory_mb, help="address-space limit (MiB), 0 = none").tag(
        config=True
    )
    cpu_seconds = Integer(Limits.cpu_seconds, help="CPU-time limit (s), 0 = none").tag(config=True)
    processes = Integer(Limits.processes, help="process limit, 0 = none").tag(config=True)
    file_mb = Integer(Limits.file_mb, help="largest file written (MiB), 0 = none").tag(config=True)
    scratch_mb = Integer(
        Limits.scratch_mb, help="size of the sandbox's /scratch and /tmp (MiB), 0 = none"
    ).tag(config=True)
    isolate = Bool(True, help="use bubblewrap when it is installed").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._bwrap = bwrap_path() if self.isolate else None
        self._ipc_dir = Path(tempfile.mkdtemp(prefix="autograder-ipc-"))
        self._scratch: Path | None = None
        if self._bwrap:
            # TCP would need the network that the sandbox does not have.
            self.transport = "ipc"
            self.ip = str(self._ipc_dir / "kernel")
            self.connection_file = str(self._ipc_dir / "kernel.json")
        else:
            warn_if_unsandboxed()

    @property
    def ipc_dir(self) -> Path:
        """The kernel's IPC folder: bound at the same path in the sandbox, its one host folder."""
        return self._ipc_dir

    @property
    def limits(self) -> Limits:
        return Limits(
            self.memory_mb, self.cpu_seconds, self.processes, self.file_mb, self.scratch_mb
        )

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        source_env = dict(kw.get("env") or os.environ)
        root = os.getuid() == 0
        if not self._bwrap:
            # Not beside the notebook: a private folder the grader never reads.
            self._scratch = Path(tempfile.mkdtemp(prefix="autograder-scratch-"))
            kw["cwd"] = str(self._scratch)
            kw["env"] = kernel_environment(source_env, str(self._scratch))
            return launcher_command(kernel_cmd, self.limits), kw
        # The kernel's PID is not ours to signal: interrupt by message.
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        uid = sandbox_uid() if root else -1
        if root:
            give_to(self._ipc_dir, uid)
        kw["cwd"] = str(self._ipc_dir)  # bubblewrap's own folder; the kernel starts in /scratch
        kw["env"] = kernel_environment(source_env, "/tmp")
        # The kernel's banner and log are of no use to the grader's log.
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        inner = launcher_command(kernel_cmd, self.limits, drop_to=uid)
        return (
            wrap_command(
                inner, ipc_dir=self._ipc_dir, bwrap=self._bwrap, scratch_mb=self.scratch_mb
            ),
            kw,
        )

    async def cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        await super().cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
