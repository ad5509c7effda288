"""The judge: runs test cells in the grader's own process, on data from the student's kernel.

A test cell's code (its visible part and its hidden tests) never reaches the student's kernel.
The judge executes it here, in a namespace where every name the test cell does not define
itself is looked up in the kernel:

- a module that the kernel names (``torch``, ``np``, ``F``, ``checks``, ``data``, ...) and that
  belongs to a trusted package is the judge's *own* import of that module, never the kernel's;
- a value of a plain type comes back as data of that exact type: ``None``, ``bool``, ``int``,
  ``float``, ``complex``, ``str``, lists, tuples, dicts, sets, slices, ``range``, numpy arrays
  and scalars, torch tensors, dtypes, devices and sizes; arrays travel as ``.npy`` bytes read
  with ``allow_pickle=False``, everything else as JSON;
- anything else (a student's function, class, module instance, generator) stays in the kernel
  behind a :class:`Remote` handle: calling it, reading or setting an attribute, indexing or
  iterating it is a request to the kernel, whose answer is again data or a handle.

Parameters of a student's module come back as :class:`RemoteParameter` tensors: reading them is
local, and an in-place change made by a test (``p.normal_()``, ``w.copy_(...)``) is copied into
the kernel's parameter. Arguments the test passes to the student's code go the other way as data,
handles, or (for objects of the judge such as an ``nn.Module``) a ``torch.save`` payload: the
judge never unpickles anything the kernel sends.

Verdicts are this process's: a test cell passes when its code raises nothing *here*. Exceptions
raised by the student's code come back as a type name and a message; a built-in exception type is
rebuilt as itself (so ``except NotImplementedError`` still works), any other becomes
:class:`StudentError`. Bans (:func:`course_lib.checks.disabled`) active in the judge travel with
every request and are applied in the kernel around the call.

The kernel side is :mod:`autograder.agent`, sent to the kernel as a cell before the first test.
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import importlib
import importlib.util
import io
import json
import os
import secrets
import socket
import struct
import sys
import textwrap
import time
import traceback
import types
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Judge",
    "JudgeError",
    "JudgeStartError",
    "Remote",
    "RemoteParameter",
    "StudentError",
    "TRUSTED_PACKAGES",
    "TestRun",
    "hidden_lines",
    "split_hidden",
]

#: Modules the judge imports itself when the kernel names them.
TRUSTED_PACKAGES = frozenset(
    {
        "builtins",
        "collections",
        "copy",
        "operator",
        "course_lib",
        "functools",
        "itertools",
        "math",
        "matplotlib",
        "numpy",
        "random",
        "re",
        "sklearn",
        "statistics",
        "string",
        "time",
        "torch",
        "typing",
    }
)
#: Largest reply accepted from the kernel (bytes); a larger one is dropped by the socket.
MAX_REPLY_BYTES = 64 * 2**20
#: Time the helper gets to start in the kernel, on top of the first test's own limit (s).
INSTALL_TIMEOUT_S = 60.0
#: Most items (list, tuple, set and dict entries, all levels) the judge rebuilds from a reply.
MAX_DECODED_ITEMS = 2_000_000
#: Most entries of a set or dict in a reply: keys that share one hash make rebuilding them
#: quadratic (5,000 such keys cost about a second; a larger one is refused).
MAX_HASHED_ITEMS = 5_000
#: Limit of a request made outside a test cell (s).
OUTSIDE_CELL_TIMEOUT_S = 600.0
AGENT_SOURCE = (Path(__file__).with_name("agent.py")).read_text()
CELL_NAME = "Cell In[0]"
_FILENAME = "<test cell>"


class JudgeError(RuntimeError):
    """The judge could not get an answer from the kernel (dead, timed out, broken agent)."""


class JudgeStartError(JudgeError):
    """The judge's helper did not start in the kernel (an overloaded machine, or a kernel the
    student's code keeps busy): the grader's failure, retried, never a lost point."""


class StudentError(Exception):
    """An exception of a type that is not built in, raised by the student's code."""


_REBUILT: dict[str, type[BaseException]] = {
    name: value
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, Exception)
}


def split_hidden(source: str) -> tuple[str, str]:
    """``(visible, hidden)`` parts of a test cell's source, each with the other's lines left
    blank, so both keep the cell's line numbers (the feedback tells them apart by line)."""
    lines = source.splitlines()
    inside = hidden_lines(source)
    visible = [("" if i + 1 in inside else line) for i, line in enumerate(lines)]
    hidden = [(line if i + 1 in inside else "") for i, line in enumerate(lines)]
    has_hidden = any(line.strip() and "### " not in line for line in hidden)
    return "\n".join(visible), ("\n".join(hidden) if has_hidden else "")


def hidden_lines(source: str) -> range:
    """1-based line numbers of the hidden-test block of a test cell (empty when none)."""
    lines = source.splitlines()
    begin = next((i for i, line in enumerate(lines) if "### BEGIN HIDDEN TESTS" in line), None)
    end = next((i for i, line in enumerate(lines) if "### END HIDDEN TESTS" in line), None)
    if begin is None or end is None:
        return range(0)
    return range(begin + 1, end + 2)


# -- the wire format (see autograder.agent for the kernel's half) ----------------------------


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


class Remote:
    """An object that lives in the student's kernel; every use is a request to it."""

    __slots__ = ("_judge", "_handle", "_type", "_callable", "_kind")

    def __init__(self, judge: Judge, handle: int, type_name: str, is_callable: bool) -> None:
        object.__setattr__(self, "_judge", judge)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_callable", is_callable)
        object.__setattr__(self, "_kind", None)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105
        """The first class of a trusted package among the remote object's classes, so that
        ``isinstance(model.q_proj, nn.Linear)`` holds for a kernel's ``nn.Linear``."""
        return object.__getattribute__(self, "_kind") or Remote

    def _ask(self, op: str, *args: Any, **fields: Any) -> Any:
        return self._judge.request(op, h=self._handle, args=list(args), **fields)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._judge.request("call", h=self._handle, args=list(args), kwargs=kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # protocols probed by numpy, torch, copy...
        return self._ask("getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._ask("setattr", value, name=name)

    def __getitem__(self, key: Any) -> Any:
        return self._ask("getitem", key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._ask("setitem", key, value)

    def __len__(self) -> int:
        return int(self._ask("len"))

    def __iter__(self) -> Any:
        return iter(self._ask("iter"))

    def __contains__(self, item: Any) -> bool:
        return bool(self._ask("contains", item))

    def __bool__(self) -> bool:
        return bool(self._ask("bool"))

    def __repr__(self) -> str:
        return f"<{self._type} in the student's kernel>"

    def _judge_probe(self, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """:func:`course_lib.checks.probe` when the test runs in the judge: ``fn`` runs in the
        kernel, where the student's code is, and its result comes back as data."""
        return self._judge.request("probe", args=[fn, *args], kwargs=kwargs)


def _remote_parameter_class() -> type:
    import torch

    class RemoteParameter(torch.Tensor):
        """A copy of a parameter of the student's module; in-place changes are sent back."""

        _origin: tuple[Judge, int]

        @staticmethod
        def __new__(cls, data: Any, judge: Judge, handle: int) -> Any:
            tensor = torch.Tensor._make_subclass(cls, data, data.requires_grad)
            tensor._origin = (judge, handle)
            return tensor

        @classmethod
        def __torch_function__(cls, func, types_, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            kwargs = kwargs or {}
            with torch._C.DisableTorchFunctionSubclass():
                result = func(*args, **kwargs)
            name = getattr(func, "__name__", "")
            target = args[0] if args else None
            if (
                isinstance(target, RemoteParameter)
                and name.endswith("_")
                and not name.startswith("_")
                and name not in ("requires_grad_", "retain_grad_")
            ):
                judge, handle = target._origin
                plain = torch.Tensor.detach(target).as_subclass(torch.Tensor).clone()
                judge.request("push", h=handle, args=[plain], grad=False)
                return target
            return result

    return RemoteParameter


_REMOTE_PARAMETER: type | None = None


def RemoteParameter(*args: Any) -> Any:  # noqa: N802 (a class built on first use)
    """Build a :class:`RemoteParameter` (the class needs torch, imported lazily)."""
    global _REMOTE_PARAMETER
    if _REMOTE_PARAMETER is None:
        _REMOTE_PARAMETER = _remote_parameter_class()
    return _REMOTE_PARAMETER(*args)


# -- the judge ---------------------------------------------------------------------------------


class _Namespace(dict):  # type: ignore[type-arg]
    """Globals of the test cells: a name the tests did not define is fetched from the kernel."""

    def __init__(self, judge: Judge) -> None:
        super().__init__(__builtins__=builtins, __name__="__judge__")
        self._judge = judge
        self.fetched: set[str] = set()

    def __missing__(self, name: str) -> Any:
        if hasattr(builtins, name):
            raise KeyError(name)  # the builtins come next, as in any module
        value = self._judge.fetch(name)
        self[name] = value
        self.fetched.add(name)
        return value

    def snapshot(self) -> tuple[dict[str, Any], set[str]]:
        return dict(self), set(self.fetched)

    def restore(self, snapshot: tuple[dict[str, Any], set[str]]) -> None:
        names, fetched = snapshot
        self.clear()
        self.update(names)
        self.fetched = set(fetched)

    def forget_fetched(self) -> None:
        """Drop values fetched from the kernel: the next cell sees the kernel's state anew."""
        for name in self.fetched:
            self.pop(name, None)
        self.fetched.clear()


class Judge:
    """Runs test cells here against the student's kernel, reached through ``client``.

    ``client`` is a blocking jupyter client connected to the kernel (its shell channel only);
    ``interrupt`` is called when a request runs past its time; ``channel_dir`` is a folder the
    kernel can reach, where the judge listens for the helper (see :meth:`_open_channel`).
    """

    def __init__(self, client: Any, interrupt: Any = None, channel_dir: str | None = None) -> None:
        self.client = client
        self.interrupt = interrupt
        # a folder the kernel can reach where the judge listens for the helper's loop; None:
        # every request is an execute request of its own
        self.channel_dir = channel_dir
        self._listener: socket.socket | None = None
        self._socket_path = ""
        self._conn: socket.socket | None = None
        self._loop_msg: str | None = None
        self.namespace = _Namespace(self)
        self.deadline = float("inf")
        self._installed = False
        self._outgoing: list[Any] = []
        self._touched: list[tuple[Any, int]] = []
        self._data_args: list[Any] = []  # arrays and tensors sent as data, in order
        self._mirrors: dict[int, tuple[Any, int]] = {}
        self._synced_versions: dict[int, tuple[int, ...]] = {}
        self._param_owner: dict[int, tuple[Any, int, str]] = {}
        self._remotes: dict[int, Remote] = {}
        self._sources: dict[str, str] = {}  # class name -> its source, from the test cells

    def snapshot(self) -> Any:
        """The test cells' names as they are now (for a hidden part run later)."""
        return self.namespace.snapshot()

    def restore(self, snapshot: Any) -> None:
        self.namespace.restore(snapshot)

    def defined_here(self) -> dict[str, Any]:
        """Functions and classes the test cells defined (their names and values now)."""
        return {
            name: value
            for name, value in self.namespace.items()
            if isinstance(value, (types.FunctionType, type))
            and getattr(value, "__module__", None) == "__judge__"
        }

    # transport ------------------------------------------------------------------------------

    def _send(self, code: str, expressions: dict[str, str]) -> dict[str, Any]:
        end = self._end()
        msg_id = self.client.execute(
            code,
            silent=True,
            store_history=False,
            user_expressions=expressions,
            allow_stdin=False,
        )
        while True:
            left = end - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                reply = self.client.get_shell_msg(timeout=left)
            except Exception as exc:  # queue.Empty: no reply in time
                if self.interrupt is not None:
                    with contextlib.suppress(Exception):
                        self.interrupt()
                    self._drain(msg_id)
                raise TimeoutError("the student's code ran past the test's time limit") from exc
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply["content"]

    def _exchange(self, text: str) -> str:
        """Send one request's JSON to the helper; return its answer's JSON (unparsed)."""
        if self.channel_dir is not None and self._listener is None:
            self._listen()
        if self.channel_dir is not None:
            return self._over_channel(text)
        content = self._send("", {"r": f"__judge__({text!r})"})
        answer = content.get("user_expressions", {}).get("r", {})
        if content.get("status") != "ok" or answer.get("status") != "ok":
            raise JudgeError("the grader lost contact with its helper in your kernel")
        try:
            raw = ast.literal_eval(answer["data"]["text/plain"])
        except Exception as exc:
            raise JudgeError("the grader got an unreadable answer from your kernel") from exc
        if not isinstance(raw, str):
            raise JudgeError("the grader got an unreadable answer from your kernel")
        return raw

    # the socket channel ----------------------------------------------------------------------
    # One execute request per test cell runs the helper's loop (``__judge_loop__``), which
    # answers requests over a Unix socket the judge listens on; a request then costs a socket
    # round trip instead of an execute request (about 3 ms each through ipykernel). The loop
    # runs in the kernel's main thread, so an interrupt stops the student's code as before.
    # The judge listens and the kernel connects: the judge never follows a path the kernel
    # could have replaced. What comes back is the same untrusted JSON as on the other channel.

    def _end(self) -> float:
        """When a wait that starts now must end: the test's deadline, or at most
        ``OUTSIDE_CELL_TIMEOUT_S`` from now (TimeoutError when the deadline has passed). Each
        wait fixes its end once: a kernel that floods the shell channel with replies to
        nothing, or sends its answer drop by drop, must not keep the judge waiting past it."""
        now = time.monotonic()
        if self.deadline <= now:
            raise TimeoutError("the student's code ran past the test's time limit")
        return min(self.deadline, now + OUTSIDE_CELL_TIMEOUT_S)

    def _open_channel(self) -> socket.socket:
        if self._conn is not None:
            return self._conn
        assert self._listener is not None  # made by _exchange
        self._loop_msg = self.client.execute(
            f"__judge_loop__({self._socket_path!r})",
            silent=True,
            store_history=False,
            allow_stdin=False,
        )
        try:
            conn = self._accept(self._loop_msg)
        except (OSError, JudgeError) as exc:  # the loop did not connect (busy kernel, broken)
            self._close_listener()  # a late loop then finds nothing to connect to
            if isinstance(exc, TimeoutError) and self.interrupt is not None:
                with contextlib.suppress(Exception):
                    self.interrupt()
                self._drain(self._loop_msg)
            self._loop_msg = None
            raise JudgeError("the grader lost contact with its helper in your kernel") from exc
        self._conn = conn
        return conn

    def _listen(self) -> None:
        """Listen on a new socket in ``channel_dir`` (a random name). Where that fails (a
        path too long for a Unix socket, say on macOS), requests go by execute requests."""
        assert self.channel_dir is not None
        path = os.path.join(self.channel_dir, f"judge-{secrets.token_hex(8)}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mask = os.umask(0)  # the kernel may run as another user: it must be able to connect
        try:
            listener.bind(path)
            listener.listen(1)
        except OSError:
            listener.close()
            self.channel_dir = None
            return
        finally:
            os.umask(mask)
        self._listener, self._socket_path = listener, path

    def _accept(self, msg_id: str) -> socket.socket:
        """The loop's connection; JudgeError as soon as the loop's execute request ends
        without connecting (a kernel that rebound ``__judge_loop__``)."""
        assert self._listener is not None
        end = self._end()
        wait = 0.002
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("the helper's loop did not connect in time")
            self._listener.settimeout(min(wait, left))
            try:
                conn, _ = self._listener.accept()
                return conn
            except TimeoutError:
                pass
            wait = min(wait * 2, 0.1)
            if self._replied(msg_id):
                raise JudgeError("the helper's loop ended without connecting")

    def _replied(self, msg_id: str) -> bool:
        """Whether the kernel has answered ``msg_id`` (other replies waiting are dropped; at
        most 64 are read per call, so a kernel that floods the channel cannot keep the judge
        here past the test's limit, which the caller checks between calls)."""
        for _ in range(64):
            try:
                reply = self.client.get_shell_msg(timeout=0)
            except Exception:  # queue.Empty: nothing (more) has come
                return False
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False

    def _over_channel(self, text: str) -> str:
        conn = self._open_channel()
        data = text.encode("utf-8")
        try:
            end = self._end()
            conn.settimeout(max(end - time.monotonic(), 0.001))
            conn.sendall(struct.pack("<Q", len(data)) + data)
            (size,) = struct.unpack("<Q", self._read(conn, 8, end))
            if size > MAX_REPLY_BYTES:
                raise JudgeError("the answer from your kernel is too large to check")
            return self._read(conn, size, end).decode("utf-8")
        except TimeoutError:
            self._drop_channel(interrupt=True)
            raise TimeoutError("the student's code ran past the test's time limit") from None
        except JudgeError:
            self._drop_channel(interrupt=True)
            raise
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            self._drop_channel(interrupt=False)
            raise JudgeError("the grader lost contact with its helper in your kernel") from exc

    def _read(self, conn: socket.socket, size: int, end: float) -> bytes:
        chunks, left = [], size
        while left:
            wait = end - time.monotonic()
            if wait <= 0:
                raise TimeoutError("the answer did not come in time")
            conn.settimeout(wait)
            chunk = conn.recv(min(left, 1 << 20))
            if not chunk:
                raise EOFError("the kernel closed the channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _drop_channel(self, interrupt: bool) -> None:
        """Close the connection; with ``interrupt``, stop the student's code that the loop is
        running and wait briefly for the loop's execute request to finish."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        if interrupt and self.interrupt is not None:
            with contextlib.suppress(Exception):
                self.interrupt()
        if self._loop_msg is not None:
            self._drain(self._loop_msg)
            self._loop_msg = None

    def end_channel(self) -> None:
        """End the helper's loop (after each test cell: the student's next cell waits for it)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(OSError):
            conn.settimeout(5)
            conn.sendall(struct.pack("<Q", 3) + b"end")
        conn.close()
        self._loop_msg = None

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
            with contextlib.suppress(OSError):
                os.unlink(self._socket_path)

    def close(self) -> None:
        """Close the channel (the kernel itself is not the judge's to stop)."""
        self.end_channel()
        self._close_listener()

    def _drain(self, msg_id: str) -> None:
        """After an interrupt, wait briefly for the interrupted request's reply."""
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                reply = self.client.get_shell_msg(timeout=1)
            except Exception:
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return

    def _install(self) -> None:
        # The helper's start is the grader's time, not the test's: it gets its own allowance.
        deadline, started = self.deadline, time.monotonic()
        self.deadline = max(deadline, started + INSTALL_TIMEOUT_S)
        try:
            content = self._send(AGENT_SOURCE, {})
        except TimeoutError as exc:
            raise JudgeStartError("the grader could not start its helper in your kernel") from exc
        finally:
            self.deadline = deadline + (time.monotonic() - started)  # not the test's time
        if content.get("status") != "ok":
            raise JudgeStartError("the grader could not start its helper in your kernel")
        self._installed = True

    def trust_imports(self, sources: Any) -> list[str]:
        """Bind, in the test cells' namespace, every name that an ``import`` in ``sources``
        binds to a module of a trusted package (``from course_lib import checks``, ``import
        torch.nn.functional as F``): the judge's own import, never a value from the kernel, so
        a student who rebinds ``checks`` to something else changes nothing. Returns the
        names bound."""
        bound = []
        for source in sources:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                for name, module in _module_imports(node):
                    if module.partition(".")[0] not in TRUSTED_PACKAGES:
                        continue
                    try:
                        value = importlib.import_module(module)
                    except ImportError:
                        continue
                    self.namespace[name] = value
                    self.namespace.fetched.discard(name)
                    bound.append(name)
        return bound

    def request(self, op: str, **fields: Any) -> Any:
        """Send one request to the kernel and return its answer as data or a handle."""
        import torch

        if not self._installed:
            self._install()
        fields.setdefault("grad", torch.is_grad_enabled())
        fields["bans"] = _active_bans()
        payload: dict[str, Any] = {"op": op}
        self._outgoing, self._touched, self._data_args = [], [], []
        for key, value in fields.items():
            if key == "args":
                payload["args"] = [self.encode(a) for a in value]
            elif key == "kwargs":
                payload["kwargs"] = {k: self.encode(a) for k, a in value.items()}
            else:
                payload[key] = value
        if self._outgoing:
            payload["objects"] = self._pack(self._outgoing)  # may touch more mirrors
        for mirror in list(self._mirrors.values()):
            if self._changed_here(mirror[0]):
                self._touch(mirror)
        sent, touched = self._outgoing, self._touched
        data_args, self._data_args = self._data_args, []
        self._outgoing, self._touched = [], []
        if touched:
            payload["push"] = [[h, self._tensors_of(obj)] for obj, h in touched]
            payload["sync"] = [h for _, h in touched]
        raw = self._exchange(json.dumps(payload))
        try:
            status, *rest = json.loads(raw)
        except Exception as exc:
            raise JudgeError("the grader got an unreadable answer from your kernel") from exc
        if status == "ok":
            extras = rest[1] if len(rest) > 1 and isinstance(rest[1], dict) else {}
            for obj, h in zip(sent, extras.get("handles", []), strict=False):
                self._mirror(obj, int(h))
            if "states" in extras:
                self._sync_back([*sent, *(obj for obj, _ in touched)], extras["states"])
            for obj in [*sent, *(obj for obj, _ in touched)]:
                if id(obj) in self._mirrors:
                    self._synced_versions[id(obj)] = self._versions(obj)
            self._copy_changed(data_args, extras.get("changed", []))
            return self.decode(rest[0])
        if status == "error":
            raise _rebuild(*rest[:4])
        raise JudgeError("the grader got an unreadable answer from your kernel")

    # objects of the test, mirrored in the kernel ------------------------------------------

    def _mirror(self, obj: Any, handle: int) -> None:
        """Remember that ``obj`` has a copy in the kernel: later requests refer to that copy."""
        import torch

        self._mirrors[id(obj)] = (obj, handle)
        if isinstance(obj, torch.nn.Module):
            for name, p in obj.named_parameters():
                self._param_owner.setdefault(id(p), (p, handle, name))

    def _versions(self, obj: Any) -> tuple[int, ...]:
        import torch

        if not isinstance(obj, torch.nn.Module):
            return ()
        return tuple(t._version for t in [*obj.parameters(), *obj.buffers()])

    def _changed_here(self, obj: Any) -> bool:
        """Whether the test changed ``obj``'s tensors in place since its last sync."""
        return self._synced_versions.get(id(obj)) not in (None, self._versions(obj))

    def _tensors_of(self, obj: Any) -> list[Any]:
        """A module's parameters and buffers as data (pushed before a request that uses it)."""
        import torch

        if not isinstance(obj, torch.nn.Module):
            return []
        named = [*obj.named_parameters(), *obj.named_buffers()]
        return [[name, self.encode(t.detach())] for name, t in named]

    def _pack(self, objects: list[Any]) -> dict[str, Any]:
        """Pickle the test's objects (judge -> kernel only: the kernel never sends a pickle),
        with the source of each function or class of the test cells they use. Tensors travel
        as ``.npy``; a parameter of an object already mirrored is a reference to its copy."""
        import pickle

        import torch

        needed: dict[str, str] = {}
        judge = self

        def visit(cls: type) -> None:
            for klass in cls.__mro__:
                if klass.__module__ == "__judge__" and klass.__name__ in judge._sources:
                    needed.setdefault(klass.__name__, judge._sources[klass.__name__])

        class Pickler(pickle.Pickler):
            def persistent_id(self, obj: Any) -> Any:
                if _REMOTE_PARAMETER is not None and isinstance(obj, _REMOTE_PARAMETER):
                    return ("ref", obj._origin[1])  # type: ignore[attr-defined]
                if isinstance(obj, torch.Tensor):
                    owner = judge._param_owner.get(id(obj))
                    if owner is not None and owner[0] is obj:
                        judge._touch(judge._mirrors[id(_owner_module(judge, owner[1]))])
                        return ("param", owner[1], owner[2])
                    value = obj.detach().cpu()
                    dtype = str(value.dtype).removeprefix("torch.")
                    if value.dtype == torch.bfloat16:
                        value = value.float()
                    kind = "param" if isinstance(obj, torch.nn.Parameter) else "tensor"
                    data = _npy(value.numpy())
                    return ("npy", id(obj), data, dtype, bool(obj.requires_grad), kind)
                if isinstance(obj, Remote):
                    return ("ref", obj._handle)
                if isinstance(obj, type) or isinstance(obj, types.FunctionType):
                    if getattr(obj, "__module__", None) == "__judge__":
                        if isinstance(obj, type):
                            visit(obj)
                        elif obj.__name__ in judge._sources:
                            needed.setdefault(obj.__name__, judge._sources[obj.__name__])
                else:
                    visit(type(obj))
                return None

        module = types.ModuleType("__judge__")
        for name, value in self.namespace.items():
            if getattr(value, "__module__", None) == "__judge__":
                setattr(module, name, value)
        buffer = io.BytesIO()
        previous = sys.modules.get("__judge__")
        sys.modules["__judge__"] = module
        try:
            Pickler(buffer, protocol=4).dump(objects)
        finally:
            if previous is None:
                del sys.modules["__judge__"]
            else:
                sys.modules["__judge__"] = previous
        return {
            "payload": base64.b64encode(buffer.getvalue()).decode("ascii"),
            "sources": list(needed.values()),
        }

    def _copy_changed(self, data_args: list[Any], changed: list[Any]) -> None:
        """Copy into the test's arrays and tensors what the student's code wrote into its copies
        of them (a function that modifies its input in place is seen doing so)."""
        import torch

        for index, value, *grad_state in changed:
            if not 0 <= int(index) < len(data_args):
                continue
            mine, new = data_args[int(index)], self.decode(value)
            with contextlib.suppress(Exception):
                if isinstance(mine, np.ndarray) and isinstance(new, np.ndarray):
                    if mine.shape == new.shape:
                        mine[...] = new
                elif isinstance(mine, torch.Tensor) and isinstance(new, torch.Tensor):
                    with torch.no_grad():
                        if mine.shape == new.shape:
                            mine.copy_(new)
                    if grad_state and mine.is_leaf:
                        mine.requires_grad_(bool(grad_state[0]))
                        grad = self.decode(grad_state[1]) if len(grad_state) > 1 else None
                        mine.grad = grad if isinstance(grad, torch.Tensor) else None

    def _touch(self, mirror: tuple[Any, int]) -> None:
        if all(obj is not mirror[0] for obj, _ in self._touched):
            self._touched.append(mirror)

    def _sync_back(self, objects: list[Any], states: list[Any]) -> None:
        """Copy into the test's objects what the student's code did to their copies in the
        kernel: tensors and gradients of modules, plain-data attributes of any object (a
        stand-in model that counts its calls, a ``train_step`` that updates a model)."""
        import torch

        for obj, state in zip(objects, states, strict=False):
            if not isinstance(state, list) or not state or state[0] != "state":
                continue
            tensors: dict[str, Any] = {}
            if isinstance(obj, torch.nn.Module):
                tensors = dict(obj.named_parameters())
                tensors.update(dict(obj.named_buffers()))
            with torch.no_grad():
                for name, value, grad in state[1]:
                    mine = tensors.get(str(name))
                    if mine is None:
                        continue
                    new = self.decode(value)
                    if isinstance(new, torch.Tensor) and new.shape == mine.shape:
                        mine.copy_(new)
                    if isinstance(mine, torch.nn.Parameter):
                        g = self.decode(grad)
                        mine.grad = g.detach() if isinstance(g, torch.Tensor) else None
            for name, value in state[2]:
                decoded = self.decode(value)
                if not _holds_remote(decoded):
                    with contextlib.suppress(Exception):
                        object.__setattr__(obj, str(name), decoded)

    def fetch(self, name: str) -> Any:
        """The kernel's value of ``name`` (KeyError when the kernel has no such name)."""
        answer = self.request("get", name=name)
        if answer is _MISSING:
            raise KeyError(name)
        return answer

    # encoding -------------------------------------------------------------------------------

    def encode(self, x: Any, depth: int = 0) -> Any:
        import torch

        if depth > 20:
            raise ValueError("a value nested more than 20 levels deep")
        t = type(x)
        if x is None:
            return ["n"]
        if t is bool:
            return ["b", x]
        if t is int:
            return ["i", str(x)]
        if t is float:
            return ["f", repr(x)]
        if t is complex:
            return ["c", repr(x.real), repr(x.imag)]
        if t is str:
            return ["s", x]
        if t in (list, tuple, set, frozenset):
            tag = "l" if t is list else "t" if t is tuple else "set"
            return [tag, [self.encode(item, depth + 1) for item in x]]
        if t is dict:
            return [
                "d",
                [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in x.items()],
            ]
        if t is slice:
            return ["sl", self.encode(x.start), self.encode(x.stop), self.encode(x.step)]
        if x is Ellipsis:
            return ["E"]
        if t is range:
            return ["r", x.start, x.stop, x.step]
        if isinstance(x, Remote):
            return ["ref", x._handle]
        if _REMOTE_PARAMETER is not None and isinstance(x, _REMOTE_PARAMETER):
            return ["ref", x._origin[1]]  # type: ignore[attr-defined]
        if t is np.ndarray and x.dtype != object:
            self._data_args.append(x)
            return ["a", _npy(x)]
        if isinstance(x, np.generic) and x.dtype != object:
            return ["g", _npy(np.asarray(x))]
        if t is torch.dtype:
            return ["dt", str(x).removeprefix("torch.")]
        if t is torch.device:
            return ["dev", str(x)]
        if t is torch.Size:
            return ["size", [int(n) for n in x]]
        if t in (torch.Tensor, torch.nn.Parameter):
            self._data_args.append(x)
            value = x.detach().cpu()
            dtype = str(value.dtype).removeprefix("torch.")
            if value.dtype == torch.bfloat16:
                value = value.float()
            return ["T", _npy(value.numpy()), dtype, bool(x.requires_grad), t is torch.nn.Parameter]
        if t is OrderedDict:
            return [
                "od",
                [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in x.items()],
            ]
        if isinstance(x, types.ModuleType) or (
            isinstance(x, types.FunctionType) and x.__name__ == "<lambda>"
        ):
            raise TypeError(
                f"the grader cannot pass {type(x).__name__} {getattr(x, '__name__', '')!r} "
                "to your code (a test needs a probe here)"
            )
        # An object of the test (a stand-in model, an optimizer, a layer): sent by value the
        # first time, all of one request's objects in one payload so references between them
        # hold; later requests refer to the kernel's copy.
        mirror = self._mirrors.get(id(x))
        if mirror is not None and mirror[0] is x:
            self._touch(mirror)
            return ["ref", mirror[1]]
        for index, sent in enumerate(self._outgoing):
            if sent is x:
                return ["obj", index]
        self._outgoing.append(x)
        return ["obj", len(self._outgoing) - 1]

    def decode(self, v: list[Any]) -> Any:
        """Rebuild a value from the wire format (nothing is unpickled or executed); a reply of
        more than MAX_DECODED_ITEMS items, or a set of more than MAX_HASHED_ITEMS, is refused."""
        self._budget = MAX_DECODED_ITEMS
        return self._decode(v)

    def _count(self, n: int) -> None:
        self._budget -= n
        if self._budget < 0:
            raise JudgeError("the answer from your kernel is too large to check")

    def _decode(self, v: list[Any]) -> Any:
        import torch

        tag = v[0]
        if tag == "missing":
            return _MISSING
        if tag == "n":
            return None
        if tag == "b":
            return bool(v[1])
        if tag == "s":
            return str(v[1])
        if tag == "i":
            return int(v[1])
        if tag == "f":
            return float(v[1])
        if tag == "c":
            return complex(float(v[1]), float(v[2]))
        if tag in ("l", "t", "set", "d", "od"):
            self._count(len(v[1]))
            if tag in ("set", "d", "od") and len(v[1]) > MAX_HASHED_ITEMS:
                raise JudgeError("the answer from your kernel is too large to check")
        if tag == "l":
            return [self._decode(item) for item in v[1]]
        if tag == "t":
            return tuple(self._decode(item) for item in v[1])
        if tag == "set":
            return {self._decode(item) for item in v[1]}
        if tag == "d":
            return {self._decode(k): self._decode(val) for k, val in v[1]}
        if tag == "od":
            return OrderedDict((self._decode(k), self._decode(val)) for k, val in v[1])
        if tag == "sl":
            return slice(self._decode(v[1]), self._decode(v[2]), self._decode(v[3]))
        if tag == "E":
            return Ellipsis
        if tag == "r":
            return range(int(v[1]), int(v[2]), int(v[3]))
        if tag == "a":
            return _from_npy(v[1])
        if tag == "g":
            return _from_npy(v[1])[()]
        if tag == "dt":
            dtype = getattr(torch, str(v[1]), None)
            if not isinstance(dtype, torch.dtype):
                raise JudgeError(f"unknown dtype {v[1]!r}")
            return dtype
        if tag == "dev":
            return torch.device(str(v[1]))
        if tag == "size":
            return torch.Size(int(n) for n in v[1])
        if tag == "T":
            dtype = getattr(torch, str(v[2]), None)
            if not isinstance(dtype, torch.dtype):
                raise JudgeError(f"unknown dtype {v[2]!r}")
            value = torch.from_numpy(_from_npy(v[1]).copy()).to(dtype)
            if v[3] and (value.is_floating_point() or value.is_complex()):
                value.requires_grad_(True)
            if v[4] is not None:
                return RemoteParameter(value, self, int(v[4]))
            return value
        if tag == "m":
            module = _trusted_module(str(v[1]))
            if module is not None:
                return module
            return Remote(self, int(v[2]), "module", False)
        if tag == "h":
            handle = int(v[1])
            remote = self._remotes.get(handle)
            if remote is None:  # one Remote per kernel object: `is` and id() mean the same there
                remote = Remote(self, handle, str(v[2]), bool(v[3]))
                object.__setattr__(remote, "_kind", _trusted_class(v[4] if len(v) > 4 else []))
                self._remotes[handle] = remote
            return remote
        raise JudgeError(f"unknown tag {tag!r}")

    # running a test cell --------------------------------------------------------------------

    def _prepare(self, tree: ast.Module, source: str) -> ast.Module:
        """Record the source of each class the cell defines; a class whose base is one of the
        student's classes is defined in the kernel instead (its instances live there)."""
        body = []
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                text = ast.get_source_segment(source, node, padded=True) or ""
                decorators = "".join(
                    "@" + (ast.get_source_segment(source, d) or "") + "\n"
                    for d in node.decorator_list
                )
                self._sources[node.name] = decorators + textwrap.dedent(text)
            if isinstance(node, ast.ClassDef):
                text = self._sources[node.name]
                bases = [self._peek(b) for b in node.bases]
                if any(isinstance(b, Remote) for b in bases):
                    self.namespace[node.name] = self.request("define", source=text, name=node.name)
                    continue
            body.append(node)
        tree.body = body
        return tree

    def _peek(self, node: ast.expr) -> Any:
        """The value of a base-class expression that is a plain name, else None."""
        if isinstance(node, ast.Name):
            try:
                return self.namespace[node.id]
            except KeyError:
                return None
        return None

    def run_cell(self, source: str, timeout: float) -> list[dict[str, Any]]:
        """Run one test cell; return its outputs (a stream of what it printed, and an
        ``error`` output when it failed, its traceback naming the failing line of the cell)."""
        self.namespace.forget_fetched()
        self.deadline = time.monotonic() + timeout
        printed = io.StringIO()
        outputs: list[dict[str, Any]] = []
        try:
            tree = ast.parse(source, _FILENAME)
            with contextlib.redirect_stdout(printed):
                tree = self._prepare(tree, source)
                code = compile(tree, _FILENAME, "exec")
                exec(code, self.namespace)  # noqa: S102 (the instructor's test code)
        except BaseException as exc:  # noqa: BLE001 (any failure is the cell's verdict)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            if isinstance(exc, NameError) and isinstance(exc.__context__, KeyError):
                exc.__suppress_context__ = True
            outputs = [_error_output(exc)]
        finally:
            self.end_channel()
            self.deadline = float("inf")
        text = printed.getvalue()
        if text:
            outputs.insert(0, {"output_type": "stream", "name": "stdout", "text": text})
        return outputs


_MISSING = object()


def _module_imports(node: ast.AST) -> list[tuple[str, str]]:
    """``(name bound, module)`` of an import statement that binds a module: ``import a.b``
    binds ``a`` to ``a``; ``import a.b as c`` binds ``c`` to ``a.b``; ``from a import b``
    binds ``b`` to ``a.b`` when that is a module (checked by the caller's import)."""
    found = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                found.append((alias.asname, alias.name))
            else:
                top = alias.name.partition(".")[0]
                found.append((top, top))
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                full = f"{node.module}.{alias.name}"
                if importlib.util.find_spec(full.partition(".")[0]) is not None:
                    try:
                        if importlib.util.find_spec(full) is not None:
                            found.append((alias.asname or alias.name, full))
                    except (ImportError, ValueError):
                        continue
    return found


class TestRun:
    """The test cells of one notebook run, in the order grading uses everywhere.

    :meth:`visible` runs a test cell's visible part at once (the student's later cells have
    not run yet); a cell whose visible part passed keeps its hidden part for :meth:`hidden`,
    which runs every kept hidden part, in order, after the notebook's last cell: each in the
    test names its visible part left (plus the functions and classes earlier hidden parts
    defined), against the kernel's final state. So no input of a hidden test reaches the
    student's code before every output that feedback may show has been produced. The grader
    (:class:`autograder.preprocessors.BudgetedExecute`) and the mutant harness
    (:func:`autograder.mutants.run_catalogue`) both use it.
    """

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self._deferred: list[tuple[Any, str, Any]] = []

    def visible(self, key: Any, source: str, timeout: float) -> list[dict[str, Any]]:
        visible, hidden = split_hidden(source)
        outputs = self.judge.run_cell(visible, timeout=timeout)
        failed = any(out.get("output_type") == "error" for out in outputs)
        if hidden and not failed:
            self._deferred.append((key, hidden, self.judge.snapshot()))
        return outputs

    def hidden(self, time_left: Any = None) -> list[tuple[Any, list[dict[str, Any]]]]:
        """``(key, error outputs)`` of each kept hidden part; ``time_left()`` gives the
        seconds a part may use (a part with less than one second left is not run and gets
        ``None`` instead of outputs)."""
        deferred, self._deferred = self._deferred, []
        helpers: dict[str, Any] = {}
        results: list[tuple[Any, Any]] = []
        for key, hidden, snapshot in deferred:
            left = time_left() if time_left is not None else 3600.0
            if left < 1:
                results.append((key, None))
                continue
            self.judge.restore(snapshot)
            for name, value in helpers.items():
                self.judge.namespace.setdefault(name, value)
            outputs = self.judge.run_cell(hidden, timeout=left)
            results.append((key, [out for out in outputs if out["output_type"] == "error"]))
            helpers.update(self.judge.defined_here())
        return results


def _owner_module(judge: Judge, handle: int) -> Any:
    """The test's object mirrored under ``handle``."""
    for obj, h in judge._mirrors.values():
        if h == handle:
            return obj
    raise KeyError(handle)


def _holds_remote(value: Any) -> bool:
    if isinstance(value, Remote):
        return True
    if isinstance(value, (list, tuple, set)):
        return any(_holds_remote(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_remote(k) or _holds_remote(v) for k, v in value.items())
    return False


def _trusted_module(name: str) -> Any:
    """The judge's own module ``name`` of a trusted package, or None. A name the kernel sends
    is never a reason to run new code here: only a module the judge has already imported is
    returned, or one of ``course_lib`` (ours, no side effects on import); ``numpy.f2py.__main__``
    or any ``__main__`` is refused."""
    parts = name.split(".")
    if parts[0] not in TRUSTED_PACKAGES or any(p.startswith("__") for p in parts):
        return None
    module = sys.modules.get(name)
    if module is None and parts[0] == "course_lib":
        with contextlib.suppress(ImportError, ValueError):
            module = importlib.import_module(name)
    return module


_CLASSES: dict[str, type] = {}  # found classes only: a module imported later may hold one


def _resolve_class(path: str) -> type | None:
    if path in _CLASSES:
        return _CLASSES[path]
    module, _, qualname = path.partition(":")
    obj: Any = _trusted_module(module)
    if obj is None:
        return None
    try:
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (AttributeError, ValueError):
        return None
    if not isinstance(obj, type):
        return None
    if len(_CLASSES) < 4096:
        _CLASSES[path] = obj
    return obj


def _trusted_class(mro: list[str]) -> type | None:
    """The judge's own class for the first entry of ``mro`` (``module:qualname``, at most 64
    looked at) that belongs to a trusted package and that the judge can import; None when
    there is none."""
    for path in [str(p) for p in mro[:64]]:
        module = path.partition(":")[0]
        if module.partition(".")[0] not in TRUSTED_PACKAGES or module == "builtins":
            continue
        found = _resolve_class(path)
        if found is not None:
            return found
    return None


def _rebuild(name: str, message: str, builtin: bool, module: str) -> BaseException:
    """The exception the student's code raised, as an exception of the judge."""
    from course_lib import checks

    message = str(message)
    if builtin and name in _REBUILT:
        exc_type = _REBUILT[name]
        if exc_type is KeyError:
            return KeyError(message)
        try:
            return exc_type(message)
        except Exception:
            return StudentError(f"{name}: {message}")
    if name == "DisabledError" and module == "course_lib.checks":
        return checks.DisabledError(message)
    if name == "OutOfMemoryError":
        return MemoryError(message)
    return StudentError(f"{name}: {message}")


def _active_bans() -> list[list[str]]:
    from course_lib import checks

    return [list(ban) for ban in checks.active_bans()]


def _error_output(exc: BaseException) -> dict[str, Any]:
    """An nbformat error output whose traceback names the outermost line of the test cell."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == _FILENAME:
            line = lineno
            break
    name = type(exc).__name__
    value = str(exc)
    tb = [f"{CELL_NAME}, line {line}"] if line is not None else []
    tb.append(f"{name}: {value}")
    return {"output_type": "error", "ename": name, "evalue": value, "traceback": tb}


def connect(connection_info: dict[str, Any]) -> Any:
    """A blocking client on the kernel's shell channel whose socket drops any message over
    ``MAX_REPLY_BYTES`` (a kernel cannot make the grader hold gigabytes)."""
    import zmq
    from jupyter_client.blocking import BlockingKernelClient

    context = zmq.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_REPLY_BYTES)
    context.setsockopt(zmq.LINGER, 0)
    client = BlockingKernelClient(context=context)
    client.load_connection_info(connection_info)  # type: ignore[arg-type]
    client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
    return client
