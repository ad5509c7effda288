"""Choosing the compute device, seeding, and sizing experiments for CPU or GPU.

Every notebook's setup cell ends with the same three lines, which ``python -m autograder sync``
writes from one template (``autograder/colab.py``)::

    seed_everything(0)
    DEVICE = get_device()
    print(describe_device(DEVICE))

Two environment variables override the automatic choices, which helps on shared machines and in
CI: ``COURSE_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``) picks the device and
``COURSE_SIZE`` (``cpu`` or ``gpu``) picks the experiment sizes of :func:`size_switch`.
"""

from __future__ import annotations

import contextlib
import os
import random
from typing import TypeVar

import numpy as np
import torch

__all__ = [
    "DEVICE_ENV_VAR",
    "SIZE_ENV_VAR",
    "autocast",
    "describe_device",
    "get_device",
    "mixed_precision_dtype",
    "seed_everything",
    "size_switch",
]

DEVICE_ENV_VAR = "COURSE_DEVICE"
SIZE_ENV_VAR = "COURSE_SIZE"

_KNOWN_DEVICE_TYPES = ("cuda", "mps", "cpu")
_SIZE_CHOICES = ("cpu", "gpu")

T = TypeVar("T")


def _mps_available() -> bool:
    """Whether Apple's Metal backend can be used (False on builds without it)."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _parse_device(prefer: str, source: str) -> torch.device:
    """Turn a device string such as ``"cuda"`` or ``"cuda:1"`` into a checked ``torch.device``.

    ``source`` names where the string came from, for the error message.
    """
    text = prefer.strip().lower()
    allowed = ", ".join(repr(name) for name in _KNOWN_DEVICE_TYPES)
    device_type, _, index_text = text.partition(":")
    if device_type not in _KNOWN_DEVICE_TYPES:
        raise ValueError(
            f"unknown device {prefer!r} ({source}): use one of {allowed}, optionally with an "
            "index such as 'cuda:1'"
        )
    if index_text and not index_text.isdigit():
        raise ValueError(
            f"unknown device {prefer!r} ({source}): the part after ':' must be a device index "
            "such as 'cuda:1'"
        )
    device = torch.device(text)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"cuda was requested ({source}) but torch.cuda.is_available() is False: "
                "no usable NVIDIA GPU (in Colab: Runtime > Change runtime type > GPU)"
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise RuntimeError(
                f"{text} was requested ({source}) but only {count} cuda device(s) exist"
            )
    elif device.type == "mps" and not _mps_available():
        raise RuntimeError(
            f"mps was requested ({source}) but torch.backends.mps.is_available() is False"
        )
    return device


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device to run on: cuda if available, else mps, else cpu.

    Args:
        prefer: a device to use instead of the automatic choice (``"cpu"``, ``"cuda"``,
            ``"cuda:1"``, ``"mps"``). When it is None, the environment variable
            ``COURSE_DEVICE`` is used if set; the argument wins over the variable.

    Returns:
        the chosen ``torch.device``.

    Raises:
        ValueError: the requested device type is not one of cuda, mps, cpu.
        RuntimeError: the requested device is not available on this machine.
    """
    if prefer is not None:
        return _parse_device(prefer, "argument prefer")
    from_env = os.environ.get(DEVICE_ENV_VAR, "").strip()
    if from_env:
        return _parse_device(from_env, f"environment variable {DEVICE_ENV_VAR}")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python's ``random``, numpy's global RNG and torch (all cuda devices too).

    Args:
        seed: a non-negative integer below 2**32.

    After the same seed, ``random.random()``, ``np.random.rand()`` and ``torch.rand(...)`` draw
    the same numbers again. Code that uses its own ``np.random.default_rng(seed)`` is not
    affected and needs no seeding.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the legacy global RNG is what notebooks call)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def size_switch(cpu: T, gpu: T, device: torch.device | None = None) -> T:
    """Pick the CPU-sized or the GPU-sized setting of an experiment.

    The GPU notebooks call this once per setting, e.g.
    ``n_layers = size_switch(cpu=2, gpu=6)``, so that they still run, smaller, on a laptop.

    Args:
        cpu: the value to use without a cuda GPU.
        gpu: the value to use on a cuda GPU.
        device: the device the experiment runs on; defaults to :func:`get_device`.

    Returns:
        ``gpu`` when the device is cuda, else ``cpu`` (mps counts as cpu). The environment
        variable ``COURSE_SIZE`` set to ``"cpu"`` or ``"gpu"`` forces the choice.

    Raises:
        ValueError: ``COURSE_SIZE`` is set to something other than ``cpu`` or ``gpu``.
    """
    forced = os.environ.get(SIZE_ENV_VAR, "").strip().lower()
    if forced:
        if forced not in _SIZE_CHOICES:
            allowed = " or ".join(repr(choice) for choice in _SIZE_CHOICES)
            raise ValueError(
                f"environment variable {SIZE_ENV_VAR}={os.environ[SIZE_ENV_VAR]!r} is not "
                f"allowed: use {allowed}, or unset it to choose by device"
            )
        return gpu if forced == "gpu" else cpu
    if device is None:
        device = get_device()
    return gpu if torch.device(device).type == "cuda" else cpu


def describe_device(device: torch.device | None = None) -> str:
    """Return one human-readable line about a device, for the setup cell to print.

    Args:
        device: the device to describe; defaults to :func:`get_device`.

    Returns:
        e.g. ``"cpu (2 threads, torch 2.6.0)"`` or ``"cuda: Tesla T4 (torch 2.6.0)"``.
    """
    if device is None:
        device = get_device()
    device = torch.device(device)
    version = torch.__version__.split("+")[0]
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)} (torch {version})"
    if device.type == "mps":
        return f"mps: Apple GPU (torch {version})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads, torch {version})"
    return f"{device} (torch {version})"


def mixed_precision_dtype(device: torch.device | str | None = None) -> torch.dtype | None:
    """The reduced precision that speeds up training on ``device``, or None where none helps.

    bfloat16 on a cuda GPU that computes in it natively (compute capability 8.0 or newer: A100,
    L4, H100, RTX 30xx and later). It has float32's range, so no loss scaling is needed. Older
    GPUs (Colab's T4) and the CPU get None: there, float32 is used.
    """
    if device is None:
        device = get_device()
    device = torch.device(device)
    if device.type != "cuda":
        return None
    major, _ = torch.cuda.get_device_capability(device)
    return torch.bfloat16 if major >= 8 else None


def autocast(device: torch.device | str | None = None) -> contextlib.AbstractContextManager[None]:
    """A context in which the forward pass runs in mixed precision where that helps.

    ``torch.autocast`` with :func:`mixed_precision_dtype` on a suitable GPU; elsewhere a context
    that does nothing, so the same training loop runs everywhere::

        with device.autocast(DEVICE):
            loss = model(x, y)
        loss.backward()
    """
    if device is None:
        device = get_device()
    dtype = mixed_precision_dtype(device)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)
