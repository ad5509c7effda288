"""The kernel side of the judge: serves the judge's requests inside the student's kernel.

This file's source is sent to the sandboxed kernel as one cell (it is never imported by the
grader). It defines ``__judge__(request)``: the judge asks for a name, calls a function, reads
or sets an attribute, iterates, and gets back *data* only (see :mod:`autograder.judge` for the
wire format). Nothing here is secret and nothing here decides a grade: the kernel belongs to the
student, who may replace this code; all that can change is the data the judge receives, and
the judge checks that data against references the kernel never sees.
"""

# Everything lives in one function's closure, so the student's namespace gains two names only:
# ``__judge__`` (one request, answered as an expression of an execute request) and
# ``__judge_loop__`` (many requests over the judge's socket during one execute request).


def __judge_install__(namespace):  # noqa: C901 (one self-contained server)
    import base64
    import builtins
    import importlib
    import io
    import json
    import math

    import numpy as np

    try:
        import torch
    except ImportError:  # a notebook without torch
        torch = None

    objects = {}  # handle -> object kept alive for the judge
    max_items = 100_000

    def handle(obj):
        key = id(obj)
        objects[key] = obj
        return key

    def npy(array):
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(array), allow_pickle=False)
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    def from_npy(text):
        return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)

    def encode(x, depth=0):
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
            if len(x) > max_items:
                raise ValueError(f"a {t.__name__} of more than {max_items} items")
            tag = {list: "l", tuple: "t", set: "set", frozenset: "set"}[t]
            return [tag, [encode(item, depth + 1) for item in x]]
        if t is dict or t.__name__ == "OrderedDict" and t.__module__ == "collections":
            if len(x) > max_items:
                raise ValueError(f"a dict of more than {max_items} items")
            tag = "d" if t is dict else "od"
            return [tag, [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in x.items()]]
        if t is slice:
            return ["sl", encode(x.start), encode(x.stop), encode(x.step)]
        if x is Ellipsis:
            return ["E"]
        if t is range:
            return ["r", x.start, x.stop, x.step]
        if t is np.ndarray and x.dtype != object:
            return ["a", npy(x)]
        if isinstance(x, np.generic) and type(x).__module__ == "numpy" and x.dtype != object:
            return ["g", npy(np.asarray(x))]
        if torch is not None:
            if t is torch.dtype:
                return ["dt", str(x).removeprefix("torch.")]
            if t is torch.device:
                return ["dev", str(x)]
            if t is torch.Size:
                return ["size", [int(n) for n in x]]
            if isinstance(x, torch.Tensor) and t in (torch.Tensor, torch.nn.Parameter):
                value = torch.Tensor.detach(x).cpu()
                dtype = str(value.dtype).removeprefix("torch.")
                if value.dtype == torch.bfloat16:
                    value = value.float()
                param = handle(x) if t is torch.nn.Parameter else None
                return ["T", npy(value.numpy()), dtype, bool(x.requires_grad), param]
        if t is type(math):
            return ["m", x.__name__, handle(x)]
        mro = [f"{c.__module__}:{c.__qualname__}" for c in t.__mro__]
        return ["h", handle(x), t.__name__, callable(x), mro]

    def decode(v):
        tag = v[0]
        if tag == "n":
            return None
        if tag in ("b", "s"):
            return v[1]
        if tag == "i":
            return int(v[1])
        if tag == "f":
            return float(v[1])
        if tag == "c":
            return complex(float(v[1]), float(v[2]))
        if tag == "l":
            return [decode(item) for item in v[1]]
        if tag == "t":
            return tuple(decode(item) for item in v[1])
        if tag == "set":
            return {decode(item) for item in v[1]}
        if tag == "d":
            return {decode(k): decode(val) for k, val in v[1]}
        if tag == "sl":
            return slice(decode(v[1]), decode(v[2]), decode(v[3]))
        if tag == "E":
            return Ellipsis
        if tag == "r":
            return range(v[1], v[2], v[3])
        if tag == "a":
            value = from_npy(v[1])
            inputs.append((value, value.copy()))
            before_grad.append(False)
            return value
        if tag == "g":
            return from_npy(v[1])[()]
        if tag == "dt":
            return getattr(torch, v[1])
        if tag == "dev":
            return torch.device(v[1])
        if tag == "size":
            return torch.Size(v[1])
        if tag == "T":
            value = torch.from_numpy(from_npy(v[1]).copy()).to(getattr(torch, v[2]))
            if v[4]:
                value = torch.nn.Parameter(value, requires_grad=v[3])
            elif v[3] and value.is_floating_point():
                value.requires_grad_(True)
            inputs.append((value, torch.Tensor.detach(value).clone()))
            before_grad.append(bool(value.requires_grad))
            return value
        if tag == "od":
            import collections

            return collections.OrderedDict((decode(k), decode(val)) for k, val in v[1])
        if tag == "ref":
            return objects[v[1]]
        if tag == "obj":
            return received[v[1]]
        raise ValueError(f"unknown tag {tag!r}")

    received = []
    inputs = []  # (array or tensor received as data, its value on arrival)
    before_grad = []  # whether each of them required grad on arrival

    def changed_inputs():
        """Inputs the student's code changed in place (values, requires_grad, a .grad left on
        them), so the judge sees the change too."""
        out = []
        for index, (value, before) in enumerate(inputs):
            try:
                if isinstance(value, np.ndarray):
                    same = value.shape == before.shape and np.array_equal(
                        value, before, equal_nan=True
                    )
                else:
                    now = torch.Tensor.detach(value)
                    same = (
                        now.shape == before.shape
                        and bool(torch.equal(now, before))
                        and value.requires_grad == before_grad[index]
                        and value.grad is None
                    )
            except Exception:  # noqa: BLE001 (a comparison that fails counts as a change)
                same = False
            if same:
                continue
            if isinstance(value, np.ndarray):
                out.append([index, encode(value), False, ["n"]])
            else:
                grad = encode(value.grad) if value.grad is not None else ["n"]
                data = encode(torch.Tensor.detach(value))
                out.append([index, data, bool(value.requires_grad), grad])
        return out

    def unpack(pack):
        """Objects the judge sent by value (a pickle, only ever judge -> kernel): define the
        classes of the test cells they need in a module named like the judge's, then load."""
        import pickle
        import sys
        import types

        module = types.ModuleType("__judge__")
        module.__dict__.update(namespace)
        module.__dict__["__name__"] = "__judge__"
        for source in pack.get("sources", []):
            exec(source, module.__dict__)
        sys.modules["__judge__"] = module

        loaded = {}

        class Unpickler(pickle.Unpickler):
            def persistent_load(self, pid):
                kind = pid[0]
                if kind == "param":
                    return objects[pid[1]].get_parameter(pid[2])
                if kind == "ref":
                    return objects[pid[1]]
                if kind == "npy":  # one tensor per key: shared tensors stay shared
                    _, key, data, dtype, grad, what = pid
                    if key not in loaded:
                        value = torch.from_numpy(from_npy(data).copy()).to(getattr(torch, dtype))
                        if what == "param":
                            value = torch.nn.Parameter(value, requires_grad=grad)
                        elif grad:
                            value.requires_grad_(True)
                        loaded[key] = value
                    return loaded[key]
                raise pickle.UnpicklingError(f"unknown object {kind!r}")

        data = io.BytesIO(base64.b64decode(pack["payload"]))
        received[:] = Unpickler(data).load()

    module_internals = ("_parameters", "_buffers", "_modules")
    module_hooks = ("_forward", "_backward", "_state_dict", "_load_state")

    def state(obj):
        """What the judge copies back: a module's tensors and grads, plain attributes."""
        tensors = []
        if torch is not None and isinstance(obj, torch.nn.Module):
            for name, t in [*obj.named_parameters(), *obj.named_buffers()]:
                grad = t.grad if isinstance(t, torch.nn.Parameter) else None
                tensors.append(
                    [
                        name,
                        encode(torch.Tensor.detach(t).clone()),
                        encode(grad) if grad is not None else ["n"],
                    ]
                )
        attrs = []
        for name, value in list(getattr(obj, "__dict__", {}).items()):
            if name.startswith("__") or name in module_internals or name.startswith(module_hooks):
                continue  # a module's own bookkeeping is synced as tensors above, or not at all
            try:
                attrs.append([name, encode(value)])
            except Exception:  # noqa: BLE001 (an attribute the judge cannot read stays here)
                continue
        return ["state", tensors, attrs]

    def push(items):
        with torch.no_grad():
            for h, tensors in items:
                obj = objects[h]
                if not tensors or not isinstance(obj, torch.nn.Module):
                    continue
                named = dict([*obj.named_parameters(), *obj.named_buffers()])
                for name, value in tensors:
                    if name in named:
                        named[name].copy_(decode(value))

    def resolve(path):
        module, _, attr = path.partition(":")
        obj = importlib.import_module(module)
        for part in attr.split(".") if attr else []:
            obj = getattr(obj, part)
        return obj

    def run(request):
        op = request["op"]
        if op == "get":
            name = request["name"]
            if name not in namespace:
                return ["missing"]
            return encode(namespace[name])
        if op == "release":
            objects.clear()
            return ["n"]
        if op == "define":  # a class of a test cell built on one of the student's classes
            exec(request["source"], namespace)
            return encode(namespace[request["name"]])
        if "objects" in request:
            unpack(request["objects"])
        if "push" in request:
            push(request["push"])
        target = objects[request["h"]] if "h" in request else None
        args = [decode(a) for a in request.get("args", [])]
        kwargs = {k: decode(a) for k, a in request.get("kwargs", {}).items()}
        grad = request.get("grad", True)
        bans = [(resolve(owner), attr) for owner, attr, _ in request.get("bans", [])]
        reason = request["bans"][0][2] if request.get("bans") else ""

        def act():
            if op == "call":
                return target(*args, **kwargs)
            if op == "probe":  # a function of the test that drives the student's code
                return args[0](*args[1:], **kwargs)
            if op == "getattr":
                return getattr(target, request["name"])
            if op == "setattr":
                setattr(target, request["name"], args[0])
                return None
            if op == "getitem":
                return target[args[0]]
            if op == "setitem":
                target[args[0]] = args[1]
                return None
            if op == "len":
                return len(target)
            if op == "iter":
                items = []
                for item in target:
                    items.append(item)
                    if len(items) > max_items:
                        raise ValueError(f"more than {max_items} items")
                return items
            if op == "bool":
                return bool(target)
            if op == "contains":
                return args[0] in target
            if op == "push":  # the judge changed a parameter in place: copy its data in
                with torch.no_grad():
                    target.copy_(args[0])
                return None
            raise ValueError(f"unknown op {op!r}")

        context = torch.enable_grad() if (torch is not None and grad) else _null()
        if torch is not None and not grad:
            context = torch.no_grad()
        with context:
            if bans:
                from course_lib import checks

                with checks.disabled(*bans, reason=reason):
                    return encode(act())
            return encode(act())

    class _null:
        def __enter__(self):
            return None

        def __exit__(self, *exc):
            return False

    def serve(text):
        received[:] = []
        inputs[:] = []
        before_grad[:] = []
        try:
            request = json.loads(text)
            answer = run(request)
            synced = [objects[h] for h in request.get("sync", [])]
            extras = {"changed": changed_inputs()}
            if received or synced:
                extras["handles"] = [handle(o) for o in received]
                extras["states"] = [state(o) for o in [*received, *synced]]
            return json.dumps(["ok", answer, extras])
        except BaseException as exc:  # noqa: BLE001 (everything goes back to the judge as data)
            name = type(exc).__name__
            builtin = getattr(builtins, name, None) is type(exc)
            module = type(exc).__module__
            try:
                message = str(exc)[:2000]
            except BaseException:  # noqa: BLE001 (a message that cannot be shown)
                message = ""
            return json.dumps(["error", name, message, builtin, module])

    def exact(sock, size):
        chunks, left = [], size
        while left:
            chunk = sock.recv(min(left, 1 << 20))
            if not chunk:
                raise EOFError("the grader closed the channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def loop(path):
        """Serve requests over the judge's socket at ``path`` (the lighter channel: one
        execute request per test cell, not one per request) until the judge says "end"."""
        import socket
        import struct

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(10)
            sock.connect(path)
            sock.settimeout(None)
            while True:
                (size,) = struct.unpack("<Q", exact(sock, 8))
                text = exact(sock, size).decode("utf-8")
                if text == "end":
                    return
                # looked up each time, as the other channel does: whatever answers is the
                # kernel's (the judge trusts neither), and one answers for both
                data = namespace["__judge__"](text).encode("utf-8")
                sock.sendall(struct.pack("<Q", len(data)) + data)
        finally:
            sock.close()

    namespace["__judge__"] = serve
    namespace["__judge_loop__"] = loop


__judge_install__(globals())
del __judge_install__
