"""Process-wide GPU settings (issue 22): set once per process from the preset, checked on a
CPU with torch.cuda faked where a GPU would answer."""

from __future__ import annotations

import os
import types

import pytest
import torch

from tui_gan.config import validate
from tui_gan.engine import runtime
from tui_gan.presets import load_preset


@pytest.fixture(autouse=True)
def _restore_torch_settings(monkeypatch):
    before = (
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
    )
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    yield
    torch.use_deterministic_algorithms(before[0])
    torch.backends.cuda.matmul.allow_tf32 = before[1]
    torch.backends.cudnn.allow_tf32 = before[2]
    torch.backends.cudnn.benchmark = before[3]
    torch.backends.cudnn.deterministic = before[4]


def preset(**train):
    raw = load_preset("toy1d-sine").model_dump(mode="json")
    raw["train"].update(train)
    return validate(raw, "test")


def test_fp32_means_fp32_by_default():
    torch.backends.cudnn.allow_tf32 = True  # PyTorch's own default for convolutions
    assert runtime.start_process(preset(), "cpu") == ()
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    assert not torch.backends.cudnn.benchmark


def test_the_speed_switches_turn_on():
    runtime.start_process(preset(tf32=True, cudnn_benchmark=True), "cpu")
    assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
    assert torch.backends.cudnn.benchmark


def test_deterministic_forces_the_speed_switches_off_and_sets_cublas():
    runtime.start_process(preset(deterministic=True, tf32=True, cudnn_benchmark=True), "cpu")
    assert torch.are_deterministic_algorithms_enabled()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == runtime.CUBLAS_WORKSPACE
    assert torch.backends.cudnn.deterministic
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.benchmark


def test_bf16_on_a_gpu_without_it_says_so(monkeypatch):
    monkeypatch.setattr(runtime, "pick_device", lambda name: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: False)
    raw = load_preset("mnist-dcgan").model_dump(mode="json")
    raw["train"]["precision"] = "bf16"
    (note,) = runtime.start_process(validate(raw, "test"))
    assert "emulated" in note and "bf16" in note
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert runtime.start_process(validate(raw, "test")) == ()


def test_the_start_record_names_the_physical_gpu(monkeypatch):
    props = types.SimpleNamespace(uuid="6d1c0f5e-aaaa-bbbb-cccc-0123456789ab")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda d: props)
    assert runtime.gpu_uuid(torch.device("cuda", 1)) == "GPU-6d1c0f5e-aaaa-bbbb-cccc-0123456789ab"
    assert runtime.gpu_uuid(torch.device("cpu")) is None


def test_a_missing_device_is_left_to_the_trainer_to_report():
    assert runtime.start_process(preset(device="mps"), None) == ()
