"""Checkpoints: one dict of tensors and primitives, written atomically, loaded weights_only."""

from __future__ import annotations

import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tui_gan.errors import CheckpointError
from tui_gan.safewrite import link_file, write_file

RUN_KEYS = ("preset", "step")  # and the family's networks: G and D, E, or G and enc


def atomic_save(obj: dict[str, Any], path: Path, within: Path | None = None) -> None:
    """torch.save through the one safe writer (tui_gan.safewrite): a temp file beside the
    target, fsynced, renamed over it; no link followed below `within` (default: its folder).
    A crash at any point leaves either the old file or the new one, never half of one."""

    def dump(fh) -> None:
        out = _Writes(fh)
        try:
            torch.save(obj, out)
        except RuntimeError:
            # torch's zip writer turns a failed write (a full disk) into "unexpected pos";
            # the OSError underneath is what the user needs to see.
            if out.error is not None:
                raise out.error from None
            raise

    write_file(Path(path), dump, within=within, durable=True)


class _Writes:
    """A file's write() that remembers the OSError it raised."""

    def __init__(self, fh):
        self.fh, self.error = fh, None

    def write(self, data) -> int:
        try:
            return self.fh.write(data)
        except OSError as err:
            self.error = err
            raise

    def __getattr__(self, name: str):
        return getattr(self.fh, name)  # everything else is the file's own


def atomic_link(src: Path, dst: Path, within: Path | None = None) -> None:
    """Make dst the same bytes as src atomically: a hard link where possible, else a copy."""
    link_file(Path(src), Path(dst), within=within)


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> Any:
    """torch.load with weights_only=True (a pickle that asks to run code is refused), every
    failure one CheckpointError line."""
    if Path(path).exists() and not Path(path).is_file():
        raise CheckpointError(f"{path}: not a regular file")
    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols are not for users
            warnings.simplefilter("ignore")
            return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read it ({err.strerror or err})") from None
    except Exception as err:  # a truncated, foreign or hostile file
        raise CheckpointError(f"{path}: not a readable tui-gan checkpoint ({_why(err)})") from None


def _why(err: Exception) -> str:
    """torch.load's long, multi-line complaints as a few words."""
    text = str(err)
    if isinstance(err, EOFError) or not text.strip():
        return "empty or cut short"
    if "WeightsUnpickler error:" in text:
        detail = text.split("WeightsUnpickler error:", 1)[1].strip().splitlines()[0]
        return f"the safe loader refused it: {detail[:120]}"
    if "central directory" in text or "zip archive" in text:
        return "truncated or corrupt: not a whole checkpoint archive"
    first = text.strip().splitlines()[0]
    return f"{type(err).__name__}: {first[:160]}"


def _is_tensor_dict(v: Any) -> bool:
    return isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(t, torch.Tensor) for k, t in v.items()
    )


# What a run checkpoint must hold, and what each entry must be, before anything uses it.
_RUN_FIELDS: dict[str, Any] = {
    "preset": lambda v: isinstance(v, dict),
    "step": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62,
}
_OPTIONAL_FIELDS: dict[str, Any] = {
    "opt_g": lambda v: isinstance(v, dict),
    "opt_d": lambda v: isinstance(v, dict),
    "fixed_noise": lambda v: isinstance(v, torch.Tensor),
    "rng": lambda v: isinstance(v, dict),
    "metrics_acc": lambda v: isinstance(v, torch.Tensor),
    "metrics_acc_n": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "elapsed": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "G": _is_tensor_dict,
    "D": _is_tensor_dict,
    "E": _is_tensor_dict,
    "enc": _is_tensor_dict,
    "opt": lambda v: isinstance(v, dict),
    "buffer": lambda v: isinstance(v, torch.Tensor),
    "G_ema": _is_tensor_dict,
    "ema_updates": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62,
    "d_updates": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62,
}


def load_run_checkpoint(path: Path) -> dict[str, Any]:
    """A training checkpoint (not, say, a cached classifier), or one clear error."""
    state = load_checkpoint(path)
    nets = ("G", "E")  # every family keeps one of these
    if (
        not isinstance(state, dict)
        or not all(k in state for k in RUN_KEYS)
        or not any(k in state for k in nets)
    ):
        raise CheckpointError(f"{path}: not a tui-gan run checkpoint (no preset, step, and G or E)")
    for key, ok in (*_RUN_FIELDS.items(), *_OPTIONAL_FIELDS.items()):
        if key in state and not ok(state[key]):
            raise CheckpointError(f"{path}: a damaged tui-gan checkpoint (its {key!r} is wrong)")
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
