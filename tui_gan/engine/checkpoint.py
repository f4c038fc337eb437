"""Checkpoints: one dict of tensors and primitives, written atomically, loaded weights_only."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tui_gan.errors import CheckpointError


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_save(obj: dict[str, Any], path: Path) -> None:
    """Write to a temp file in the same folder, fsync, then rename over the target.

    A crash at any point leaves either the old file or the new one, never half of one.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_link(src: Path, dst: Path) -> None:
    """Make dst the same bytes as src atomically: a hard link where possible, else a copy."""
    tmp = dst.with_name(f".{dst.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
    _fsync_dir(dst.parent)


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as err:  # a truncated or foreign file
        raise CheckpointError(f"{path}: not a readable tui-gan checkpoint ({err})") from None


RUN_KEYS = ("preset", "G", "D", "step")


def load_run_checkpoint(path: Path) -> dict[str, Any]:
    """A training checkpoint (not, say, a cached classifier), or one clear error."""
    state = load_checkpoint(path)
    if not isinstance(state, dict) or not all(k in state for k in RUN_KEYS):
        raise CheckpointError(f"{path}: not a tui-gan run checkpoint (no G, D, preset, step)")
    return state


def resolve_checkpoint(target: str | Path) -> Path:
    """A checkpoint file, or a run directory (its last.pt)."""
    p = Path(target)
    if p.is_dir():
        p = p / "last.pt"
    if not p.is_file():
        raise CheckpointError(f"{target}: no checkpoint found (expected a .pt file or a run dir)")
    return p


def rng_state() -> dict[str, Any]:
    np_state = np.random.get_state(legacy=False)
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "key": torch.from_numpy(np_state["state"]["key"].astype(np.int64)),
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
    }
    # Only a run that uses CUDA has CUDA state to keep; asking would initialise CUDA on a
    # GPU box even for a --device cpu run.
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": "MT19937",
            "state": {"key": n["key"].numpy().astype(np.uint32), "pos": n["pos"]},
            "has_gauss": n["has_gauss"],
            "gauss": n["gauss"],
        }
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"][: torch.cuda.device_count()]  # fewer GPUs than at save
        for i, s in enumerate(cuda_states):
            torch.cuda.set_rng_state(s, i)
