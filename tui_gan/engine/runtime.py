"""Process-wide settings a run asks for, made once when its process starts (by `tui-gan train`
and whatever else trains in its own process, never by the loop): TF32, cuDNN's autotuner,
deterministic algorithms, and glibc's allocator on a CPU."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import torch

from tui_gan.engine.device import pick_device
from tui_gan.errors import TuiGanError

if TYPE_CHECKING:
    from tui_gan.engine.context import RunSpec

# cuBLAS repeats its results only with a fixed workspace, set before its first handle.
CUBLAS_WORKSPACE = ":4096:8"


def start_run_process(spec: RunSpec) -> RunSpec:
    """start_process for the run about to train in this process: its spec, with the warnings
    the settings bring added to its notes. `tui-gan train` calls it (each torchrun rank too),
    as do the GPU tests and the benchmarks that train in their own process."""
    notes = start_process(spec.preset, spec.device)
    return replace(spec, notes=(*spec.notes, *notes)) if notes else spec


def start_process(preset: Any, device: str | None = None) -> tuple[str, ...]:
    """Apply `preset.train`'s process-wide settings for the device the run will use; returns
    the warnings to show in the run (a bf16 that would be emulated)."""
    t = preset.train
    try:
        kind = pick_device(device or t.device).type
    except TuiGanError:
        return ()  # no such device here: the trainer says so, as the run's failure
    notes = []
    if kind == "cpu":
        from tui_gan.engine.malloc import keep_freed_memory

        keep_freed_memory()
    deterministic = bool(t.deterministic)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    # warn_only: an op with no deterministic version (a rare backward) still runs, with
    # PyTorch's own warning, rather than ending the run.
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    tf32 = bool(t.tf32) and not deterministic
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32  # PyTorch's default is on: fp32 means fp32 here
    torch.backends.cudnn.benchmark = bool(t.cudnn_benchmark) and not deterministic
    torch.backends.cudnn.deterministic = deterministic
    if kind == "cuda" and t.precision == "bf16" and not _native_bf16():
        notes.append(
            "train.precision bf16 on this GPU is emulated (no native bf16 before Ampere) and "
            "slower than fp32: use fp16 or fp32 here"
        )
    if deterministic and kind == "cuda" and t.compile != "off":
        notes.append("train.deterministic with torch.compile: compiled kernels may still vary")
    return tuple(notes)


def _native_bf16() -> bool:
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # torch without the argument: ask the compute capability instead
        return torch.cuda.get_device_capability()[0] >= 8


def gpu_uuid(device: torch.device) -> str | None:
    """The physical GPU a CUDA device is, as NVML names it (GPU-...): what the dashboard looks
    up, whatever CUDA_VISIBLE_DEVICES and CUDA's ordering made of its index."""
    if device.type != "cuda":
        return None
    try:
        uuid = str(torch.cuda.get_device_properties(device).uuid)
    except (RuntimeError, AttributeError, AssertionError):
        return None
    return uuid if uuid.startswith(("GPU-", "MIG-")) else f"GPU-{uuid}"
