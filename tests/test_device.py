"""Tests for course_lib.device: device order, overrides, seeding and the CPU/GPU size switch.

They run on a CPU-only machine: GPU availability is faked with monkeypatch.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from course_lib import device


@pytest.fixture
def no_overrides(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Clear the environment variables that override the automatic choices."""
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.delenv("COURSE_SIZE", raising=False)
    return monkeypatch


def fake_hardware(monkeypatch: pytest.MonkeyPatch, *, cuda: bool, mps: bool) -> None:
    """Pretend that cuda and/or mps are (not) available."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1 if cuda else 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_get_device_prefers_cuda_then_mps_then_cpu(
    no_overrides: pytest.MonkeyPatch, cuda: bool, mps: bool, expected: str
) -> None:
    fake_hardware(no_overrides, cuda=cuda, mps=mps)
    assert device.get_device().type == expected


def test_get_device_returns_a_torch_device_usable_for_tensors(
    no_overrides: pytest.MonkeyPatch,
) -> None:
    chosen = device.get_device()
    assert isinstance(chosen, torch.device)
    assert torch.zeros(2, device=chosen).device.type == chosen.type


def test_get_device_prefer_cpu_wins_over_available_gpu(no_overrides: pytest.MonkeyPatch) -> None:
    fake_hardware(no_overrides, cuda=True, mps=True)
    assert device.get_device("cpu") == torch.device("cpu")


def test_get_device_accepts_an_indexed_cuda_device(no_overrides: pytest.MonkeyPatch) -> None:
    fake_hardware(no_overrides, cuda=True, mps=False)
    assert device.get_device("cuda:0") == torch.device("cuda", 0)


def test_get_device_unknown_name_raises_value_error_listing_choices(
    no_overrides: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match=r"unknown device 'gpu'.*'cuda', 'mps', 'cpu'"):
        device.get_device("gpu")


def test_get_device_unavailable_cuda_raises_runtime_error(
    no_overrides: pytest.MonkeyPatch,
) -> None:
    fake_hardware(no_overrides, cuda=False, mps=False)
    with pytest.raises(RuntimeError, match=r"cuda was requested.*is_available\(\) is False"):
        device.get_device("cuda")


def test_get_device_unavailable_mps_raises_runtime_error(no_overrides: pytest.MonkeyPatch) -> None:
    fake_hardware(no_overrides, cuda=False, mps=False)
    with pytest.raises(RuntimeError, match="mps was requested"):
        device.get_device("mps")


def test_get_device_cuda_index_beyond_device_count_raises(
    no_overrides: pytest.MonkeyPatch,
) -> None:
    fake_hardware(no_overrides, cuda=True, mps=False)
    with pytest.raises(RuntimeError, match="only 1 cuda device"):
        device.get_device("cuda:3")


def test_get_device_env_var_picks_the_device(no_overrides: pytest.MonkeyPatch) -> None:
    fake_hardware(no_overrides, cuda=True, mps=False)
    no_overrides.setenv("COURSE_DEVICE", "cpu")
    assert device.get_device().type == "cpu"


def test_get_device_argument_wins_over_env_var(no_overrides: pytest.MonkeyPatch) -> None:
    fake_hardware(no_overrides, cuda=True, mps=False)
    no_overrides.setenv("COURSE_DEVICE", "cpu")
    assert device.get_device("cuda").type == "cuda"


def test_get_device_bad_env_var_raises_naming_the_variable(
    no_overrides: pytest.MonkeyPatch,
) -> None:
    no_overrides.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="COURSE_DEVICE"):
        device.get_device()


def test_get_device_empty_env_var_is_ignored(no_overrides: pytest.MonkeyPatch) -> None:
    fake_hardware(no_overrides, cuda=False, mps=False)
    no_overrides.setenv("COURSE_DEVICE", "")
    assert device.get_device().type == "cpu"


def test_seed_everything_makes_python_numpy_and_torch_draws_repeat() -> None:
    device.seed_everything(123)
    first = (random.random(), np.random.rand(3), torch.rand(3))  # noqa: NPY002
    device.seed_everything(123)
    second = (random.random(), np.random.rand(3), torch.rand(3))  # noqa: NPY002
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])


def test_seed_everything_different_seeds_give_different_draws() -> None:
    device.seed_everything(1)
    first = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    device.seed_everything(2)
    second = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    assert all(a != b for a, b in zip(first, second, strict=True))


def test_size_switch_picks_gpu_value_on_cuda(no_overrides: pytest.MonkeyPatch) -> None:
    assert device.size_switch(cpu=2, gpu=6, device=torch.device("cuda")) == 6


@pytest.mark.parametrize("name", ["cpu", "mps"])
def test_size_switch_picks_cpu_value_elsewhere(no_overrides: pytest.MonkeyPatch, name: str) -> None:
    assert device.size_switch(cpu=2, gpu=6, device=torch.device(name)) == 2


def test_size_switch_defaults_to_get_device(no_overrides: pytest.MonkeyPatch) -> None:
    fake_hardware(no_overrides, cuda=True, mps=False)
    assert device.size_switch("small", "large") == "large"
    fake_hardware(no_overrides, cuda=False, mps=True)
    assert device.size_switch("small", "large") == "small"


@pytest.mark.parametrize(("forced", "expected"), [("gpu", 6), ("cpu", 2), (" GPU ", 6)])
def test_size_switch_env_var_forces_the_choice(
    no_overrides: pytest.MonkeyPatch, forced: str, expected: int
) -> None:
    no_overrides.setenv("COURSE_SIZE", forced)
    assert device.size_switch(cpu=2, gpu=6, device=torch.device("cpu")) == expected
    assert device.size_switch(cpu=2, gpu=6, device=torch.device("cuda")) == expected


def test_size_switch_bad_env_var_raises_naming_allowed_values(
    no_overrides: pytest.MonkeyPatch,
) -> None:
    no_overrides.setenv("COURSE_SIZE", "large")
    with pytest.raises(ValueError, match=r"COURSE_SIZE='large'.*'cpu' or 'gpu'"):
        device.size_switch(cpu=1, gpu=2, device=torch.device("cpu"))


def test_describe_device_cpu_names_threads_and_torch_version(
    no_overrides: pytest.MonkeyPatch,
) -> None:
    text = device.describe_device(torch.device("cpu"))
    version = torch.__version__.split("+")[0]
    assert text == f"cpu ({torch.get_num_threads()} threads, torch {version})"


def test_describe_device_cuda_names_the_gpu(no_overrides: pytest.MonkeyPatch) -> None:
    no_overrides.setattr(torch.cuda, "get_device_name", lambda _device=None: "Tesla T4")
    text = device.describe_device(torch.device("cuda"))
    assert text.startswith("cuda: Tesla T4 (torch ")


def test_describe_device_defaults_to_get_device(no_overrides: pytest.MonkeyPatch) -> None:
    fake_hardware(no_overrides, cuda=False, mps=False)
    assert device.describe_device().startswith("cpu (")


def test_mixed_precision_is_off_on_the_cpu() -> None:
    assert device.mixed_precision_dtype(torch.device("cpu")) is None
    with device.autocast(torch.device("cpu")):
        product = torch.ones(2, 2) @ torch.ones(2, 2)
    assert product.dtype == torch.float32


@pytest.mark.parametrize(("capability", "expected"), [((7, 5), None), ((8, 0), torch.bfloat16)])
def test_mixed_precision_uses_bfloat16_only_on_gpus_that_compute_in_it(
    monkeypatch: pytest.MonkeyPatch, capability: tuple[int, int], expected: torch.dtype | None
) -> None:
    """A T4 (7.5) trains in float32; an A100/L4/H100 (>= 8.0) in bfloat16 autocast."""
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda _device=None: capability)
    assert device.mixed_precision_dtype(torch.device("cuda")) is expected
