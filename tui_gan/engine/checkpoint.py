"""Checkpoints: one dict of tensors and primitives, written atomically, loaded weights_only."""

from __future__ import annotations

import math
import os
import random
import struct
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch

from tui_gan.engine.safeio import NotRegularFile, is_elapsed, is_step, open_file
from tui_gan.errors import CheckpointError, one_line
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


# --- loading ----------------------------------------------------------------------------------
# torch.load inflates a compressed zip record to whatever size it declares, before any check
# of ours could run: a 1 MB file made the process allocate 1 GB. torch.save stores every record
# uncompressed, so a checkpoint is read only after its zip directory shows stored records whose
# sizes fit in the file; then tensor data costs at most the file's size, and the pickled
# structure (data.pkl, Python objects up to ~80 bytes per pickle byte) at most ~80 x MAX_PICKLE.
MAX_PICKLE = 2 << 20  # data.pkl: ~150 bytes a tensor; a run checkpoint's is ~15 KB
MAX_RECORDS = 20_000  # one record a tensor, a handful more; a run checkpoint has ~100
MAX_DIRECTORY = 8 << 20  # the zip's central directory: ~100 bytes a record
_ZIP = b"PK\x03\x04"  # the first bytes torch.load looks at to choose its zip reader
# torch.save before PyTorch 1.6 (_use_new_zipfile_serialization=False): a pickled magic number.
_OLD_FORMAT = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."


class _Refused(Exception):
    """The archive failed a check made before torch.load; the text says which."""


def load_checkpoint(
    path: Path, map_location: str | torch.device = "cpu", *, old_format: bool = False
) -> Any:
    """torch.load with weights_only=True (a pickle that asks to run code is refused), after the
    archive's directory passed _check_archive; every failure one CheckpointError line.

    The file is opened once, without blocking (a FIFO is refused, not waited on), and that
    open file is what is checked and then loaded: a file swapped in between is never read.
    `old_format`: also take torch's pre-1.6 format, for weights tui-gan did not write (such
    a file has no directory to check, so only its magic number is)."""
    try:
        fh = open_file(Path(path))
    except NotRegularFile:
        raise CheckpointError(f"{path}: not a regular file") from None
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read it ({err.strerror or err})") from None
    with fh:
        try:
            _check_archive(fh, old_format)
            fh.seek(0)
            with warnings.catch_warnings():  # torch's notes on pickle protocols are not for users
                warnings.simplefilter("ignore")
                state = torch.load(fh, map_location=map_location, weights_only=True)
            _check_views(state)
            return state
        except _Refused as err:
            raise CheckpointError(f"{path}: not a readable tui-gan checkpoint ({err})") from None
        except OSError as err:
            raise CheckpointError(f"{path}: cannot read it ({err.strerror or err})") from None
        except Exception as err:  # a truncated, foreign or hostile file
            why = _why(err)
            raise CheckpointError(f"{path}: not a readable tui-gan checkpoint ({why})") from None


def _check_views(obj: Any, depth: int = 0) -> None:
    """Refuse a tensor that claims more elements than its storage holds (an expanded or
    stride-0 view): 1 KB of storage could otherwise ask any whole-tensor operation (the
    finiteness check, a copy to the GPU) for gigabytes. torch.save writes no such view of a
    parameter or an optimizer state."""
    if depth > MAX_NESTING:
        return  # load_run_checkpoint's own walk refuses such nesting in one line
    if isinstance(obj, torch.Tensor):
        try:
            stored = obj.untyped_storage().nbytes()
        except (RuntimeError, NotImplementedError):  # sparse and other layouts we never save
            raise _Refused("a tensor of a layout tui-gan does not save") from None
        if obj.numel() * obj.element_size() > stored:
            raise _Refused("a tensor larger than its stored data (an expanded view)")
    elif isinstance(obj, dict):
        for v in obj.values():
            _check_views(v, depth + 1)
    elif isinstance(obj, list | tuple):
        for v in obj:
            _check_views(v, depth + 1)


def _check_archive(fh: IO[bytes], old_format: bool = False) -> None:
    """Refuse, reading only the zip's directory, what torch.save never writes: a compressed
    record, sizes that add up to more than the file holds, a huge data.pkl or directory."""
    size = os.fstat(fh.fileno()).st_size
    head = fh.read(len(_OLD_FORMAT))
    if not head:
        raise _Refused("empty or cut short")
    if head[: len(_ZIP)] != _ZIP:
        if old_format and head == _OLD_FORMAT:
            return
        raise _Refused("the safe loader refused it: not a zip archive, as torch.save writes")
    try:
        # zipfile's own reader of the end record, so these bounds hold for the directory it
        # then parses (and holds in memory: a few hundred bytes a record).
        end = zipfile._EndRecData(fh)
    except (zipfile.BadZipFile, OSError, ValueError, struct.error):
        end = None
    if end is None:
        raise _Refused("truncated or corrupt: not a whole checkpoint archive")
    records, directory = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if records > MAX_RECORDS or directory > min(size, MAX_DIRECTORY):
        raise _Refused(
            f"the safe loader refused it: a directory of {records} records in {directory} "
            f"bytes, more than a checkpoint has (at most {MAX_RECORDS})"
        )
    try:
        fh.seek(0)
        with zipfile.ZipFile(fh) as zf:  # reads the directory, none of the records
            infos = zf.infolist()
    except Exception:  # BadZipFile, or a struct, seek or decode error on a crafted directory
        raise _Refused("truncated or corrupt: not a whole checkpoint archive") from None
    total = 0
    for info in infos:
        name = one_line(info.filename[:100])
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Refused(
                f"the safe loader refused it: record {name!r} is compressed, which torch.save "
                "never does (a compressed record can inflate to any size)"
            )
        total += info.file_size
        if info.compress_size != info.file_size or total > size:
            raise _Refused(
                f"the safe loader refused it: its records claim {total} bytes or more, and "
                f"the file holds {size}"
            )
        if name.rsplit("/", 1)[-1] == "data.pkl" and info.file_size > MAX_PICKLE:
            raise _Refused(
                f"the safe loader refused it: its {name!r} is {info.file_size} bytes, more "
                f"than a checkpoint's structure needs (at most {MAX_PICKLE})"
            )


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


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# What a run checkpoint must hold, and what each entry must be, before anything uses it.
_RUN_FIELDS: dict[str, Any] = {
    "preset": lambda v: isinstance(v, dict),
    "step": is_step,  # the bound records and presets share (safeio.MAX_STEP)
}
_OPTIONAL_FIELDS: dict[str, Any] = {
    "opt_g": lambda v: isinstance(v, dict),
    "opt_d": lambda v: isinstance(v, dict),
    "fixed_noise": lambda v: isinstance(v, torch.Tensor),
    "rng": lambda v: isinstance(v, dict),
    "metrics_acc": lambda v: isinstance(v, torch.Tensor),
    "metrics_acc_n": lambda v: _is_int(v) and v >= 0,
    "elapsed": is_elapsed,
    "G": _is_tensor_dict,
    "D": _is_tensor_dict,
    "E": _is_tensor_dict,
    "enc": _is_tensor_dict,
    "opt": lambda v: isinstance(v, dict),
    "buffer": lambda v: isinstance(v, torch.Tensor),
    "G_ema": _is_tensor_dict,
    "ema_updates": is_step,  # one a G step at most
    "d_updates": lambda v: _is_int(v) and 0 <= v < 2**62,
}
# The networks a checkpoint may hold, as the one line names them.
NETWORKS = {
    "G": "generator G",
    "D": "discriminator D",
    "E": "energy network E",
    "enc": "encoder",
    "G_ema": "generator's moving average G_ema",
}


def load_run_checkpoint(path: Path) -> dict[str, Any]:
    """A training checkpoint (not, say, a cached classifier) with finite weights, or one
    clear error."""
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
            value = state[key]
            shown = f": {value!r:.40}" if isinstance(value, int | float) else ""  # a step of 2**61
            raise CheckpointError(
                f"{path}: a damaged tui-gan checkpoint (its {key!r} is wrong{shown})"
            )
    try:
        bad = non_finite(state)
    except ValueError as err:
        raise CheckpointError(f"{path}: a damaged tui-gan checkpoint ({err})") from None
    if bad is not None:
        key, where = bad
        if key in NETWORKS:  # a run that diverged: nothing can be drawn or resumed from it
            raise CheckpointError(
                f"{path}: its {NETWORKS[key]} holds NaN or infinite weights ({where!r}); "
                "sample, eval or resume from an earlier checkpoint of the run"
            )
        raise CheckpointError(
            f"{path}: a damaged tui-gan checkpoint (its {key!r} holds NaN or infinite values)"
        )
    return state


MAX_NESTING = 32  # a state nests ~5 deep (opt_g.state.0.exp_avg); a pickle can nest millions


def _floats(obj: Any, where: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(where, value) for every floating-point tensor and Python float in a state."""
    if depth > MAX_NESTING:
        raise ValueError(f"{where} nests deeper than a checkpoint does")
    if isinstance(obj, torch.Tensor):
        if obj.is_floating_point() or obj.is_complex():
            yield where, obj
    elif isinstance(obj, float):
        yield where, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _floats(v, f"{where}.{k}" if where else str(k), depth + 1)
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _floats(v, f"{where}.{i}", depth + 1)


def float_tensors(obj: Any) -> Iterator[torch.Tensor]:
    """Every floating-point tensor in a state, however nested (to MAX_NESTING)."""
    return (v for _, v in _floats(obj) if isinstance(v, torch.Tensor))


def non_finite(state: dict[str, Any]) -> tuple[str, str] | None:
    """(top-level key, where) of the first NaN or infinity in a state, or None; a ValueError
    for a state nested past MAX_NESTING."""
    for key, value in state.items():
        for where, v in _floats(value, str(key)):
            ok = bool(torch.isfinite(v).all()) if isinstance(v, torch.Tensor) else math.isfinite(v)
            if not ok:
                return str(key), where.split(".", 1)[-1]
    return None


def all_finite(tensors: list[torch.Tensor]) -> bool:
    """Whether every tensor is free of NaN and infinities, with one host sync per device."""
    by_device: dict[torch.device, list[torch.Tensor]] = {}
    for t in tensors:
        by_device.setdefault(t.device, []).append(torch.isfinite(t).all())
    return all(bool(torch.stack(flags).all()) for flags in by_device.values())


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
