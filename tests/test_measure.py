"""Tests for course_lib.measure: timing and the two memory measures, on the CPU."""

from __future__ import annotations

import time

import pytest
import torch
import torch.nn.functional as F

from course_lib import measure


def test_best_time_returns_the_fastest_call_and_calls_at_least_min_runs() -> None:
    calls = []

    def work() -> None:
        calls.append(None)
        time.sleep(0.01)

    seconds = measure.best_time(work, warmup=2, min_runs=3, max_runs=3, min_seconds=0.0)
    assert len(calls) == 5
    assert 0.009 < seconds < 0.5


def test_best_time_rejects_inconsistent_run_counts() -> None:
    with pytest.raises(ValueError, match="min_runs"):
        measure.best_time(lambda: None, min_runs=5, max_runs=2)


def test_saved_for_backward_bytes_grows_quadratically_for_naive_attention_only() -> None:
    """The naive attention keeps its (L, L) weights for backward; the fused kernel does not."""

    def naive_and_fused(length: int) -> tuple[int, int]:
        q, k, v = (torch.randn(2, 2, length, 16, requires_grad=True) for _ in range(3))

        def naive() -> torch.Tensor:
            scores = q @ k.transpose(-2, -1) / 4.0
            return scores.softmax(-1) @ v

        def fused() -> torch.Tensor:
            return F.scaled_dot_product_attention(q, k, v)

        return measure.saved_for_backward_bytes(naive), measure.saved_for_backward_bytes(fused)

    naive_small, fused_small = naive_and_fused(128)
    naive_big, fused_big = naive_and_fused(512)
    weights_big = 2 * 2 * 512 * 512 * 4
    assert naive_big >= weights_big
    assert naive_big / naive_small > 10
    assert fused_big / fused_small < 5
    assert fused_big < weights_big


def test_saved_for_backward_bytes_is_zero_without_grad() -> None:
    x = torch.randn(64, 64)
    assert measure.saved_for_backward_bytes(lambda: (x @ x).sum()) == 0


def test_saved_for_backward_bytes_counts_views_of_one_storage_once() -> None:
    x = torch.randn(256, requires_grad=True)

    def two_views() -> torch.Tensor:
        y = x * 2.0  # saves nothing of size; the products below save views of y
        return (y[:128] * y[128:]).sum() + (y[:128] * y[:128]).sum()

    assert measure.saved_for_backward_bytes(two_views) == 256 * 4


def test_peak_cuda_bytes_is_none_off_the_gpu() -> None:
    assert measure.peak_cuda_bytes(lambda: torch.ones(10), torch.device("cpu")) is None
    assert measure.peak_cuda_bytes(lambda: torch.ones(10), None) is None
