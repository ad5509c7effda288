"""The judge (autograder/judge.py) and its kernel half (autograder/agent.py).

Most tests run the agent in this process behind a fake client that speaks the same messages as
a kernel (execute a cell, evaluate user expressions), once over each channel (an execute
request per request, and the helper's loop on a socket); the last ones grade through a real,
sandboxed kernel.
"""

from __future__ import annotations

import itertools
import queue
import tempfile
import textwrap
import threading
import time
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from autograder.judge import Judge, JudgeError, Remote, StudentError, split_hidden


class FakeKernel:
    """The shell channel of a kernel, in this process: runs cells in its own namespace."""

    def __init__(self, channel_dir: str | None = None) -> None:
        self.namespace: dict[str, Any] = {"__name__": "__main__"}
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.ids = itertools.count()
        self.requests = 0
        self.executes = 0
        self.channel_dir = channel_dir  # where a judge of this kernel listens (None: no socket)

    def run(self, code: str) -> None:
        exec(textwrap.dedent(code), self.namespace)

    def execute(self, code: str, user_expressions: dict[str, str] | None = None, **_: Any) -> str:
        msg_id = f"m{next(self.ids)}"
        self.executes += 1
        if code.startswith("__judge_loop__"):  # the helper's loop: the judge talks to it meanwhile
            threading.Thread(target=self._loop, args=(code, msg_id), daemon=True).start()
            return msg_id
        content: dict[str, Any] = {"status": "ok", "user_expressions": {}}
        try:
            exec(code, self.namespace)
        except Exception as exc:  # a broken cell, as a kernel reports it
            content = {"status": "error", "ename": type(exc).__name__}
        for key, expr in (user_expressions or {}).items():
            self.requests += 1
            try:
                value = eval(expr, self.namespace)
                content["user_expressions"][key] = {
                    "status": "ok",
                    "data": {"text/plain": repr(value)},
                }
            except Exception as exc:
                content["user_expressions"][key] = {"status": "error", "ename": type(exc).__name__}
        self.replies.put({"parent_header": {"msg_id": msg_id}, "content": content})
        return msg_id

    def _loop(self, code: str, msg_id: str) -> None:
        status = "ok"
        try:
            exec(code, self.namespace)
        except Exception:
            status = "error"
        self.replies.put({"parent_header": {"msg_id": msg_id}, "content": {"status": status}})

    def get_shell_msg(self, timeout: float) -> dict[str, Any]:
        return self.replies.get(timeout=timeout)


def judge_of(kernel: FakeKernel) -> Judge:
    """A judge of ``kernel``, over the socket when the kernel has a channel folder."""
    return Judge(kernel, channel_dir=kernel.channel_dir)


@pytest.fixture(scope="module")
def real_kernel() -> Any:
    """A real (unsandboxed) kernel in its own process, with a judge connected to it."""
    from jupyter_client.manager import start_new_kernel

    from autograder.judge import connect

    km, kc = start_new_kernel(kernel_name="python3")
    client = connect(km.get_connection_info(session=False))
    try:
        yield km, kc
    finally:
        client.stop_channels()
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture
def real_judge(real_kernel: Any) -> Any:
    """``make(setup)``: run ``setup`` in the real kernel, return a judge connected to it."""
    from autograder.judge import connect

    km, kc = real_kernel
    clients = []
    judges = []
    folder = tempfile.TemporaryDirectory(prefix="judge-test-")

    def make(setup: str) -> Judge:
        reply = kc.execute_interactive(textwrap.dedent(setup), timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        clients.append(connect(km.get_connection_info(session=False)))
        judges.append(Judge(clients[-1], interrupt=km.interrupt_kernel, channel_dir=folder.name))
        return judges[-1]

    yield make
    for judge in judges:
        judge.close()
    for client in clients:
        client.stop_channels()
        client.context.term()
    folder.cleanup()


@pytest.fixture(params=["execute", "socket"])
def kernel(request: Any, tmp_path: Any) -> FakeKernel:
    k = FakeKernel(channel_dir=str(tmp_path) if request.param == "socket" else None)
    k.run("import torch, numpy as np, math\nfrom torch import nn\nimport torch.nn.functional as F")
    return k


def run(judge: Judge, source: str) -> list[dict[str, Any]]:
    return judge.run_cell(textwrap.dedent(source), timeout=60)


def error_of(outputs: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((o for o in outputs if o["output_type"] == "error"), None)


def test_data_comes_back_with_exact_types(kernel: FakeKernel) -> None:
    kernel.run(
        """
        def answer():
            return (1, 2.5, "x", None, True, [1, 2], {"a": np.float32(1.5)},
                    np.arange(3), torch.ones(2, dtype=torch.float64), torch.int64, slice(1, 2))
        """
    )
    judge = judge_of(kernel)
    out = run(judge, "_r = answer()")
    assert error_of(out) is None
    r = judge.namespace["_r"]
    assert type(r) is tuple and [type(v) for v in r[:5]] == [int, float, str, type(None), bool]
    assert type(r[6]["a"]) is np.float32 and r[6]["a"] == 1.5
    assert np.array_equal(r[7], np.arange(3))
    assert type(r[8]) is torch.Tensor and r[8].dtype == torch.float64
    assert r[9] is torch.int64 and r[10] == slice(1, 2)


def test_a_lying_object_stays_in_the_kernel(kernel: FakeKernel) -> None:
    """An answer that claims to equal anything, or to be a tensor, is a handle here."""
    kernel.run(
        """
        class Liar(float):
            def __eq__(self, other): return True
            __class__ = property(lambda self: torch.Tensor)
        def answer():
            return Liar(0.0)
        """
    )
    judge = judge_of(kernel)
    out = run(judge, "from course_lib import checks\nchecks.check_close(answer(), 3.0, 'x')")
    err = error_of(out)
    assert err is not None and err["ename"] == "CheckError"
    assert isinstance(judge.namespace["answer"], Remote)


def test_a_function_that_fails_raises_its_builtin_type(kernel: FakeKernel) -> None:
    kernel.run("def f(x):\n    raise NotImplementedError()\ndef g(x):\n    return x[10]")
    judge = judge_of(kernel)
    out = run(judge, "try:\n    f(1)\nexcept NotImplementedError:\n    print('caught')\ng([1])")
    assert out[0]["text"] == "caught\n"
    assert error_of(out)["ename"] == "IndexError"


def test_a_custom_exception_becomes_student_error(kernel: FakeKernel) -> None:
    kernel.run("class Oops(Exception): pass\ndef f():\n    raise Oops('bad')")
    judge = judge_of(kernel)
    with pytest.raises(StudentError, match="Oops: bad"):
        judge.namespace["f"]()


def test_a_module_name_from_the_kernel_never_runs_new_code_in_the_judge(kernel: FakeKernel) -> None:
    """Rebuilding ``type(math)("numpy.f2py.__main__")`` by importing it would run f2py's main
    in the grader (it exits); only modules the judge has imported already are its own."""
    import sys

    kernel.run(
        """
        import math
        def answer():
            return type(math)("numpy.f2py.__main__")
        def plain():
            return type(math)("numpy.linalg")
        def unseen():
            return type(math)("numpy.polynomial.hermite_e")
        """
    )
    sys.modules.pop("numpy.f2py.__main__", None)
    sys.modules.pop("numpy.polynomial.hermite_e", None)
    judge = judge_of(kernel)
    out = run(judge, "_a, _b, _c = answer(), plain(), unseen()")
    assert error_of(out) is None
    assert isinstance(judge.namespace["_a"], Remote)
    assert judge.namespace["_b"] is np.linalg
    assert isinstance(judge.namespace["_c"], Remote)
    assert "numpy.f2py.__main__" not in sys.modules
    assert "numpy.polynomial.hermite_e" not in sys.modules


def test_modules_are_the_judges_own(real_judge: Any) -> None:
    """A module the kernel names is imported here: the student's patches do not travel."""
    judge = real_judge(
        """
        import torch
        import course_lib.checks as checks
        torch.allclose = lambda *a, **k: True
        checks.check_close = lambda *a, **k: None
        """,
    )
    assert judge.namespace["torch"] is torch
    out = run(judge, "checks.check_close(torch.zeros(2), torch.ones(2), 'x')")
    assert error_of(out)["ename"] == "CheckError"


def test_an_unknown_name_is_a_name_error(kernel: FakeKernel) -> None:
    out = run(judge_of(kernel), "not_defined_anywhere + 1")
    err = error_of(out)
    assert err["ename"] == "NameError" and err["traceback"][0] == "Cell In[0], line 1"


def test_module_parameters_round_trip(kernel: FakeKernel) -> None:
    """Parameters read locally; in-place changes by a test reach the kernel's module."""
    kernel.run("torch.manual_seed(0)\nlayer = nn.Linear(3, 2)")
    judge = judge_of(kernel)
    out = run(
        judge,
        """
        with torch.no_grad():
            layer.weight.copy_(torch.eye(2, 3))
            for _p in layer.parameters():
                _p.mul_(2.0)
        _y = layer(torch.ones(1, 3))
        _params = dict(layer.named_parameters())
        """,
    )
    assert error_of(out) is None, out
    assert torch.equal(kernel.namespace["layer"].weight.detach(), 2 * torch.eye(2, 3))
    bias = kernel.namespace["layer"].bias.detach()
    assert torch.allclose(judge.namespace["_y"], torch.tensor([[2.0, 2.0]]) + bias)
    assert set(judge.namespace["_params"]) == {"weight", "bias"}


def test_objects_of_the_judge_are_sent_by_value(kernel: FakeKernel) -> None:
    kernel.run(
        "def copy_weights(dst, src):\n    dst.weight.data.copy_(src.weight.data)\n    return dst"
    )
    kernel.run("target = nn.Linear(2, 2)")
    judge = judge_of(kernel)
    out = run(judge, "_src = nn.Linear(2, 2)\n_m = copy_weights(target, _src)\n_w = _m.weight")
    assert error_of(out) is None, out
    assert torch.equal(judge.namespace["_w"].detach(), judge.namespace["_src"].weight.detach())


def test_bans_apply_in_the_kernel(real_judge: Any) -> None:
    """A ban opened by the test holds in the kernel, whatever name reaches the built-in."""
    judge = real_judge(
        """
        import torch
        def soft(x):
            return torch.softmax(x, dim=-1)
        sm = torch.softmax
        def soft2(x):
            return sm(x, -1)
        def soft3(x):
            return x.softmax(-1)
        """,
    )
    source = """
        from course_lib import checks
        with checks.disabled((torch, "softmax"), (torch.Tensor, "softmax")):
            {}(torch.zeros(3))
    """
    for name in ("soft", "soft2", "soft3"):
        err = error_of(run(judge, source.format(name)))
        assert err is not None and err["ename"] == "DisabledError", (name, err)
    assert error_of(run(judge, "soft(torch.zeros(3))")) is None  # the ban is lifted after


def test_a_broken_agent_fails_the_test_not_the_grader(kernel: FakeKernel) -> None:
    judge = judge_of(kernel)
    run(judge, "torch")  # installs the agent
    kernel.run("__judge__ = lambda text: 'not json'")
    err = error_of(run(judge, "answer_q1"))
    assert err is not None and err["ename"] == "JudgeError"
    kernel.run("del __judge__")
    assert error_of(run(judge, "answer_q1"))["ename"] == "JudgeError"


def test_the_kernel_never_receives_a_pickle_from_the_judge_unasked(kernel: FakeKernel) -> None:
    """Replies are parsed as JSON and .npy only: a reply naming a pickle is refused."""
    judge = judge_of(kernel)
    run(judge, "torch")
    kernel.run(
        "import json\n__judge__ = lambda text: json.dumps(['ok', ['pk', 'gASVAAAAAAAAAAA=']])"
    )
    with pytest.raises(JudgeError, match="unknown tag"):
        judge.fetch("anything")


def test_hidden_parts_keep_their_line_numbers() -> None:
    source = "a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nc = 3"
    visible, hidden = split_hidden(source)
    assert visible.splitlines() == ["a = 1", "", "", "", "c = 3"]
    assert hidden.splitlines()[2] == "b = 2" and hidden.splitlines()[0] == ""
    assert split_hidden("a = 1")[1] == ""


def test_a_slow_call_times_out(kernel: FakeKernel) -> None:
    class Silent(FakeKernel):
        def get_shell_msg(self, timeout: float) -> dict[str, Any]:
            raise queue.Empty

    slow = Silent()
    judge = Judge(slow)
    judge._installed = True  # the helper answered; then the student's code never returns
    err = error_of(judge.run_cell("x", timeout=0.2))
    assert err is not None and err["ename"] == "TimeoutError"


def test_a_helper_that_cannot_start_is_the_graders_failure(monkeypatch) -> None:
    """No reply to the helper's start (a loaded machine): a JudgeError, which the job reports
    as an infrastructure failure (retried), not the student's."""

    class Silent(FakeKernel):
        def get_shell_msg(self, timeout: float) -> dict[str, Any]:
            raise queue.Empty

    monkeypatch.setattr("autograder.judge.INSTALL_TIMEOUT_S", 0.2)
    err = error_of(Judge(Silent()).run_cell("x", timeout=0.1))
    assert err is not None and err["ename"] == "JudgeStartError"


def test_names_imported_from_trusted_packages_are_the_judges(kernel: FakeKernel) -> None:
    """A student who rebinds `checks` in the kernel (a class whose every method passes) changes
    nothing: the judge binds the names the notebook imports from trusted packages itself."""
    kernel.run(
        "class checks:\n    def __getattr__(self, name):\n        return print\nchecks = checks()"
    )
    judge = judge_of(kernel)
    bound = judge.trust_imports(["from course_lib import checks\nimport torch.nn.functional as F"])
    assert set(bound) == {"checks", "F"}
    err = error_of(run(judge, "checks.check_close(torch.zeros(2), torch.ones(2), 'x')"))
    assert err is not None and err["ename"] == "CheckError"


def test_a_value_too_deep_is_refused(kernel: FakeKernel) -> None:
    kernel.run("def deep():\n    x = []\n    for _ in range(50):\n        x = [x]\n    return x")
    err = error_of(run(judge_of(kernel), "deep()"))
    assert err is not None and err["ename"] == "ValueError"


def test_judge_functions_cannot_be_sent(kernel: FakeKernel) -> None:
    kernel.run("def apply(f):\n    return f(1)")
    err = error_of(run(judge_of(kernel), "apply(lambda x: x)"))
    assert err is not None and err["ename"] == "TypeError" and "probe" in err["evalue"]


def test_a_stand_in_of_the_test_is_sent_with_its_source(kernel: FakeKernel) -> None:
    """A class the test defines travels by value with its source; what the student's code
    does to the copy (here, counting calls) comes back to the test's object."""
    kernel.run("def drive(model, n):\n    for _ in range(n):\n        model.step()\n    return n")
    judge = judge_of(kernel)
    out = run(
        judge,
        """
        class _Counter:
            def __init__(self):
                self.calls = 0
            def step(self):
                self.calls += 1
        _c = _Counter()
        drive(_c, 3)
        drive(_c, 2)
        """,
    )
    assert error_of(out) is None, out
    assert judge.namespace["_c"].calls == 5


def test_a_training_step_updates_the_tests_model(kernel: FakeKernel) -> None:
    """A model and its optimizer sent together stay linked in the kernel, across calls."""
    kernel.run(
        """
        def train_step(model, opt, x):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
        """
    )
    judge = judge_of(kernel)
    out = run(
        judge,
        """
        torch.manual_seed(0)
        _m = nn.Linear(3, 1)
        _opt = torch.optim.SGD(_m.parameters(), lr=0.1, momentum=0.9)
        _ref = copy.deepcopy(_m)
        _ref_opt = torch.optim.SGD(_ref.parameters(), lr=0.1, momentum=0.9)
        _x = torch.randn(4, 3)
        _w0 = _m.weight.detach().clone()
        for _ in range(3):
            train_step(_m, _opt, _x)
            _ref_opt.zero_grad()
            _ref(_x).pow(2).sum().backward()
            _ref_opt.step()
        """.replace("copy.deepcopy", "__import__('copy').deepcopy"),
    )
    assert error_of(out) is None, out
    ns = judge.namespace
    assert torch.allclose(ns["_m"].weight, ns["_ref"].weight)
    assert not torch.equal(ns["_m"].weight, ns["_w0"])  # three momentum steps moved it


def test_a_probe_runs_next_to_the_students_code(kernel: FakeKernel) -> None:
    kernel.run(
        """
        def step(x, layer):
            return layer(x)
        def step_detached(x, layer):
            return layer(x).detach()
        """
    )
    judge = judge_of(kernel)
    source = """
        from course_lib import checks

        def _grads(fn, layer):
            out = fn(torch.ones(2, 3), layer)
            if out.requires_grad:
                out.sum().backward()
            return layer.weight.grad
        _g = checks.probe(_grads, {}, nn.Linear(3, 2))
    """
    assert error_of(run(judge, source.format("step"))) is None
    assert torch.equal(judge.namespace["_g"], torch.full((2, 3), 2.0))
    assert error_of(run(judge, source.format("step_detached"))) is None
    assert judge.namespace["_g"] is None


def test_an_input_changed_in_place_is_seen(kernel: FakeKernel) -> None:
    kernel.run("def scale(a):\n    a *= 2\n    return a.sum()")
    judge = judge_of(kernel)
    out = run(judge, "_a = np.ones(3)\n_t = torch.ones(2)\nscale(_a)\nscale(_t)")
    assert error_of(out) is None, out
    assert np.array_equal(judge.namespace["_a"], 2 * np.ones(3))
    assert torch.equal(judge.namespace["_t"], torch.full((2,), 2.0))


def test_a_subclass_of_a_students_class_lives_in_the_kernel(kernel: FakeKernel) -> None:
    kernel.run("class Model:\n    def f(self):\n        return 1")
    judge = judge_of(kernel)
    out = run(judge, "class _Sub(Model):\n    def f(self):\n        return 2\n_v = _Sub().f()")
    assert error_of(out) is None, out
    assert judge.namespace["_v"] == 2
    assert "_Sub" in kernel.namespace


def test_the_same_kernel_object_is_the_same_handle(kernel: FakeKernel) -> None:
    kernel.run(
        """
        class M:
            def __init__(self):
                self.a = nn.Linear(2, 2)
                self.b = nn.Linear(2, 2)
        m = M()
        """
    )
    judge = judge_of(kernel)
    out = run(judge, "_ids = len({id(m.a), id(m.b), id(m.a)})\n_is = m.a is m.a")
    assert error_of(out) is None, out
    assert judge.namespace["_ids"] == 2 and judge.namespace["_is"] is True
    assert isinstance(judge.namespace["m"].a, nn.Linear)  # a trusted class, as the kernel says


def test_an_optimizer_over_a_students_parameters_steps_them(kernel: FakeKernel) -> None:
    """An optimizer the test builds over the student's module's parameters reaches the
    kernel holding those very parameters."""
    kernel.run(
        """
        model = nn.Linear(2, 1)
        def train_step(model, opt):
            opt.zero_grad()
            model(torch.ones(1, 2)).sum().backward()
            opt.step()
        """
    )
    judge = judge_of(kernel)
    before = kernel.namespace["model"].weight.detach().clone()
    out = run(judge, "train_step(model, torch.optim.SGD(model.parameters(), lr=1.0))")
    assert error_of(out) is None, out
    assert torch.allclose(kernel.namespace["model"].weight.detach(), before - 1.0)


def test_a_grad_left_on_an_input_is_seen(kernel: FakeKernel) -> None:
    kernel.run("def norms(x):\n    x.requires_grad_(True)\n    x.sum().backward()\n    return 1")
    judge = judge_of(kernel)
    out = run(judge, "_x = torch.ones(3)\nnorms(_x)\n_flag, _grad = _x.requires_grad, _x.grad")
    assert error_of(out) is None, out
    assert judge.namespace["_flag"] is True
    assert torch.equal(judge.namespace["_grad"], torch.ones(3))


def test_a_change_the_test_makes_to_its_own_model_reaches_the_kernels_copy(
    kernel: FakeKernel,
) -> None:
    """A student's module that shares storage with a model the test passed in changes when
    the test changes that model (the copy in the kernel follows the test's object)."""
    kernel.run(
        """
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.zeros(1))
        def share(m, ref):
            m.w = ref.bias
            return m
        def copy_(m, ref):
            with torch.no_grad():
                m.w.copy_(ref.bias)
            return m
        """
    )
    judge = judge_of(kernel)
    source = """
        _m, _ref = M(), nn.Linear(3, 1)
        {}(_m, _ref)
        _before = float(_m.w.detach().sum())
        with torch.no_grad():
            _ref.bias.add_(1.0)
        _moved = float(_m.w.detach().sum()) - _before
    """
    assert error_of(run(judge, source.format("share"))) is None
    assert judge.namespace["_moved"] == pytest.approx(1.0)
    assert error_of(run(judge, source.format("copy_"))) is None
    assert judge.namespace["_moved"] == 0.0


# -- the socket channel ----------------------------------------------------------------------


def test_a_test_cell_costs_one_execute_request_over_the_socket(tmp_path: Any) -> None:
    """Over the socket, a test cell of many requests sends the kernel one execute request (the
    helper's loop), after the helper's install; over the other channel, one per request."""
    counts = {}
    for channel in ("execute", "socket"):
        kernel = FakeKernel(channel_dir=str(tmp_path) if channel == "socket" else None)
        kernel.run("def double(x):\n    return 2 * x")
        judge = judge_of(kernel)
        run(judge, "double(0)")  # installs the helper
        before = kernel.executes
        out = run(judge, "for _i in range(20):\n    assert double(_i) == 2 * _i")
        assert error_of(out) is None, out
        counts[channel] = kernel.executes - before
        judge.close()
    assert counts == {"execute": 21, "socket": 1}  # 20 calls and the fetch of `double`


def test_a_rebound_loop_fails_the_test_at_once(tmp_path: Any) -> None:
    """A kernel whose ``__judge_loop__`` never connects gets a JudgeError as soon as its
    execute request ends, not after the test's time limit."""
    kernel = FakeKernel(channel_dir=str(tmp_path))
    judge = judge_of(kernel)
    run(judge, "torch")
    kernel.run("__judge_loop__ = lambda path: None")
    started = time.monotonic()
    err = error_of(run(judge, "answer_q1"))
    assert err is not None and err["ename"] == "JudgeError"
    assert time.monotonic() - started < 5
    kernel.run("del __judge_loop__")
    assert error_of(run(judge, "answer_q1"))["ename"] == "JudgeError"


def test_a_forged_frame_is_refused_and_the_next_cell_starts_afresh(real_judge: Any) -> None:
    """A reply that announces more than MAX_REPLY_BYTES, or that is not JSON, is refused
    without reading it; the judge opens a new loop for the next test cell."""
    judge = real_judge(
        """
        def answer():
            return 42
        """
    )
    assert error_of(run(judge, "assert answer() == 42")) is None
    forge = """
        import socket as _socket, struct as _struct
        _real_loop = __judge_loop__
        def __judge_loop__(path):
            s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            s.connect(path)
            n = _struct.unpack("<Q", s.recv(8))[0]
            s.recv(n)
            s.sendall({})
            s.close()
    """
    for frame in ('_struct.pack("<Q", 2**40)', '_struct.pack("<Q", 3) + b"xyz"'):
        judge.client.execute(textwrap.dedent(forge.format(frame)), silent=True)
        err = error_of(run(judge, "answer()"))
        assert err is not None and err["ename"] == "JudgeError", err
        judge.client.execute("__judge_loop__ = _real_loop", silent=True)
        assert error_of(run(judge, "assert answer() == 42")) is None


def test_a_runaway_call_times_out_and_the_kernel_serves_the_next_cell(real_judge: Any) -> None:
    """A student's function that never returns is interrupted at the test's limit; the loop
    ends with it, and the next test cell gets a new one."""
    judge = real_judge(
        """
        def forever():
            while True:
                pass
        def answer():
            return 42
        """
    )
    started = time.monotonic()
    err = error_of(judge.run_cell("forever()", timeout=1.0))
    assert err is not None and err["ename"] == "TimeoutError", err
    assert time.monotonic() - started < 15
    assert error_of(run(judge, "assert answer() == 42")) is None


def test_a_folder_where_no_socket_can_be_made_falls_back_to_execute_requests(
    tmp_path: Any,
) -> None:
    """A channel folder whose path is too long for a Unix socket (macOS allows 104 bytes)
    makes the judge speak through execute requests instead, with the same verdicts."""
    folder = tmp_path / ("x" * 120)
    folder.mkdir()
    kernel = FakeKernel(channel_dir=str(folder))
    kernel.run("def double(x):\n    return 2 * x")
    judge = judge_of(kernel)
    assert error_of(run(judge, "assert double(3) == 6")) is None
    assert error_of(run(judge, "assert double(3) == 7")) is not None
    assert judge.channel_dir is None and not list(folder.iterdir())


def test_a_flood_of_replies_to_nothing_does_not_hold_the_judge_past_the_limit(
    real_judge: Any,
) -> None:
    """A kernel that sends the judge signed replies to nothing, as fast as it can, instead of
    connecting: the judge still stops at the test's limit (its wait does not start over)."""
    from conftest import shell_flood

    judge = real_judge(shell_flood(30) + "\n\ndef answer():\n    return 42\n")
    assert error_of(run(judge, "assert answer() == 42")) is None  # the helper is in place
    judge.client.execute("_real_loop = __judge_loop__\n__judge_loop__ = _flood", silent=True)
    started = time.monotonic()
    err = error_of(judge.run_cell("answer()", timeout=1.0))
    assert err is not None and err["ename"] == "JudgeError", err
    # the test's second, then at most the 10 s the judge waits for the interrupted request
    # (the flood lasts 30 s: a wait that started over at each message would outlast it)
    assert time.monotonic() - started < 20
    judge.client.execute("__judge_loop__ = _real_loop", silent=True)
    assert error_of(run(judge, "assert answer() == 42")) is None
