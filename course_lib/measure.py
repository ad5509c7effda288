"""Measuring time and memory of a piece of torch code, on the CPU or a GPU.

The labs of notebooks 05 (attention against recurrence) and 07 (naive against fused attention)
time and measure two ways of computing the same thing with these functions. :func:`best_time`
synchronises a CUDA device around each call (GPU kernels run asynchronously; elsewhere that is a
no-op). Memory is measured in two ways:

- :func:`saved_for_backward_bytes`: the bytes of the tensors that autograd keeps for the
  backward pass (the activation memory of training), on any device, a GPU not needed;
- :func:`peak_cuda_bytes`: the peak of the CUDA caching allocator during a call, above what was
  allocated before it; on a CUDA GPU only (``None`` elsewhere).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = ["best_time", "peak_cuda_bytes", "saved_for_backward_bytes", "synchronize"]


def synchronize(device: torch.device | str | None) -> None:
    """Wait for the queued work of a CUDA device to finish; a no-op on the CPU or mps."""
    import torch

    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def best_time(
    fn: Callable[[], Any],
    *,
    device: torch.device | str | None = None,
    warmup: int = 1,
    min_runs: int = 3,
    max_runs: int = 20,
    min_seconds: float = 0.2,
) -> float:
    """The fastest of several timed calls of ``fn()``, in seconds.

    ``fn`` runs ``warmup`` times untimed (first calls pay for allocation and kernel selection),
    then at least ``min_runs`` times, and more while under ``min_seconds`` in all (at most
    ``max_runs``). The minimum is the least noisy estimate on a shared machine.

    Args:
        fn: the code to time, with no arguments.
        device: the device ``fn`` runs on; on cuda each call is bracketed by a synchronize.
        warmup, min_runs, max_runs, min_seconds: how many calls to make.

    Returns:
        the fastest call, in seconds.
    """
    if min_runs < 1 or max_runs < min_runs:
        raise ValueError(f"need 1 <= min_runs <= max_runs, got {min_runs} and {max_runs}")
    for _ in range(max(0, warmup)):
        fn()
    synchronize(device)
    best = float("inf")
    runs = 0
    started = time.perf_counter()
    while runs < min_runs or (time.perf_counter() - started < min_seconds and runs < max_runs):
        t0 = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def saved_for_backward_bytes(fn: Callable[[], Any]) -> int:
    """Bytes of the tensors autograd saves for the backward pass while ``fn()`` runs.

    This is the memory that training holds between the forward and the backward pass (the
    "activations"). Tensors that share storage (views) count once. Inputs and parameters that
    autograd keeps count too, as they would in training. Works on every device.

    Args:
        fn: runs a forward pass on tensors that require grad; its result is discarded.

    Returns:
        the total in bytes (0 when nothing requires grad).
    """
    import torch

    storages: dict[tuple[int, str], int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[(storage.data_ptr(), str(tensor.device))] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    return sum(storages.values())


def peak_cuda_bytes(fn: Callable[[], Any], device: torch.device | str | None) -> int | None:
    """Peak CUDA memory allocated during ``fn()``, above what was allocated before the call.

    Args:
        fn: the code to measure.
        device: where ``fn`` runs.

    Returns:
        bytes, or ``None`` when ``device`` is not a CUDA device (then use
        :func:`saved_for_backward_bytes`).
    """
    import torch

    if device is None or torch.device(device).type != "cuda":
        return None
    synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    fn()
    synchronize(device)
    return int(torch.cuda.max_memory_allocated(device) - before)
