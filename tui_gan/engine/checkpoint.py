"""Checkpoints: one dict of tensors and primitives, written atomically, loaded weights_only;
a run's checkpoint's layout, written and restored here alone."""

from __future__ import annotations

import math
import os
import random
import struct
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import torch

from tui_gan.errors import CheckpointError, one_line
from tui_gan.rundir.names import LAST
from tui_gan.rundir.read import MAX_ELAPSED, NotRegularFile, is_elapsed, is_step, open_file
from tui_gan.rundir.warmstart import LATEST, latest_run
from tui_gan.rundir.write import link_file, write_file

if TYPE_CHECKING:
    from tui_gan.config import Preset

RUN_KEYS = ("preset", "step")  # and the family's networks: G and D, E, or G and enc


def atomic_save(obj: dict[str, Any], path: Path, within: Path | None = None) -> None:
    """torch.save through the one safe writer (tui_gan.rundir.write): a temp file beside the
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
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]  # private, no stub
    except (zipfile.BadZipFile, OSError, ValueError, struct.error):
        end = None
    if end is None:
        raise _Refused("truncated or corrupt: not a whole checkpoint archive")
    records = end[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]
    directory = end[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
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
    clear error; of either format, as the one flat view every reader indexes (see `view`)."""
    state = load_checkpoint(path)
    if isinstance(state, dict):
        try:
            state = view(state)
        except ValueError as err:
            raise CheckpointError(f"{path}: {err}") from None
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
        p = p / LAST
    if not p.is_file():
        raise CheckpointError(f"{target}: no checkpoint found (expected a .pt file or a run dir)")
    return p


def warm_start_checkpoint(target: str, run_dir: Path) -> Path:
    """The checkpoint model.init_g_from names: a file, a run folder, or latest:PRESET (the
    newest run of that preset beside run_dir, run_dir itself left out)."""
    if target.startswith(LATEST):
        return latest_run(run_dir.parent, target[len(LATEST) :], exclude=run_dir)
    return resolve_checkpoint(target)


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


# --- a run's checkpoint ---------------------------------------------------------------------
# Format 2: one literal dict nested by owner, as nanoGPT's is (`model, optimizer, iter_num,
# config`); `step` and `preset` at the top, as its iter_num and config are: what listings,
# `eval` and `stop` read without the rest.
#   {"format": 2, "step": N, "preset": {the preset as JSON},
#    "model": {the family's state_dict: networks, optimizers, EMA, update counters},
#    "loop": {"epoch", "elapsed", "fixed_noise", "rng", "metrics_acc", "metrics_acc_n"}}
# Format 1 (tui-gan before issue 24; the runs of run formats 1 and 2) held the same entries
# side by side at the top. Readers see either as that flat view (`view`).
CHECKPOINT_FORMAT = 2
_TOP = ("format", "step", "preset")


@dataclass(eq=False)
class LoopState:
    """Where the training loop stands: what a checkpoint keeps of it besides the model."""

    step: int = 0
    elapsed: float = 0.0  # seconds trained before this process's loop began
    acc: torch.Tensor = field(default_factory=lambda: torch.zeros(0))  # metric sums, on device
    acc_n: int = 0  # steps summed into acc since the last record


def run_checkpoint(
    model: dict[str, Any],
    preset: dict[str, Any],
    loop: LoopState,
    *,
    epoch: float,
    elapsed: float,
    fixed_noise: torch.Tensor,
    train_gen: torch.Generator,
) -> dict[str, Any]:
    """The checkpoint of a run as it is written (a CPU copy of the loop's tensors: a sync,
    once a save)."""
    return {
        "format": CHECKPOINT_FORMAT,
        "step": loop.step,
        "preset": preset,
        "model": model,
        "loop": {
            "epoch": epoch,
            "elapsed": elapsed,
            "fixed_noise": fixed_noise.cpu(),
            "rng": {**rng_state(), "train_gen": train_gen.get_state()},
            "metrics_acc": loop.acc.cpu(),
            "metrics_acc_n": loop.acc_n,
        },
    }


def view(state: dict[str, Any]) -> dict[str, Any]:
    """A run checkpoint of either format as one flat dict: the family's entries (G, D,
    opt_g, ...), the loop's (rng, fixed_noise, ...), step and preset side by side. A ValueError
    names what does not fit: a newer format, or a model or loop that is not a dict."""
    version = state.get("format")
    if not isinstance(version, int) or isinstance(version, bool) or version < 2:
        return state  # format 1 is already flat (or damaged: load_run_checkpoint says how)
    if version > CHECKPOINT_FORMAT:
        raise ValueError(
            f"written by a newer tui-gan (checkpoint format {version}, this one reads up "
            f"to {CHECKPOINT_FORMAT}); use that version"
        )
    model, loop = state.get("model"), state.get("loop")
    for key, part in (("model", model), ("loop", loop)):
        if not isinstance(part, dict) or not all(isinstance(k, str) for k in part):
            raise ValueError(f"a damaged tui-gan checkpoint (its {key!r} is wrong)")
    assert isinstance(model, dict) and isinstance(loop, dict)
    clash = next((k for k in (*loop, *_TOP) if k in model), None) or next(
        (k for k in _TOP if k in loop), None
    )
    if clash is not None:
        raise ValueError(f"a damaged tui-gan checkpoint (its {clash!r} is there twice)")
    # Without "format": the view is format 1's layout, and reads as such if viewed again.
    return {**model, **loop, **{k: state[k] for k in ("step", "preset") if k in state}}


def restore(
    state: dict[str, Any],
    model: Any,
    loop: LoopState,
    *,
    source: str,
    train_gen: torch.Generator,
    seed: int,
) -> tuple[torch.Tensor, str | None]:
    """Load a checkpoint (either format) into the family's model, the loop's state and the
    training noise stream's generator; returns the fixed noise (on the device of loop.acc)
    and a note when the resume cannot repeat a straight run. Damage is one CheckpointError."""
    try:
        flat = view(state)
    except ValueError as err:
        raise CheckpointError(f"{source}: {err}") from None
    model.load_state_dict(flat, source)  # the family reads its own entries
    try:
        return _restore_loop(flat, loop, model.latent_dim, train_gen, seed)
    except (
        KeyError,
        TypeError,
        ValueError,
        IndexError,
        RuntimeError,
        AttributeError,
        OverflowError,
    ) as err:
        detail = (str(err).splitlines() or [""])[0][:120]
        raise CheckpointError(
            f"{source}: cannot resume from it: its training state is damaged "
            f"({type(err).__name__}: {detail})"
        ) from None


def _restore_loop(
    state: dict[str, Any], loop: LoopState, latent_dim: int, train_gen: torch.Generator, seed: int
) -> tuple[torch.Tensor, str | None]:
    loop.step = int(state["step"])  # first: a failure from here on is at the checkpoint's step
    elapsed = float(state.get("elapsed", 0.0))
    if not 0 <= elapsed <= MAX_ELAPSED:  # NaN and inf fail this too
        raise ValueError(f"elapsed is {elapsed}")
    noise, acc = state["fixed_noise"], state["metrics_acc"]
    if noise.ndim != 2 or noise.shape[1] != latent_dim:
        raise ValueError(f"fixed_noise has shape {tuple(noise.shape)}")
    if not noise.is_floating_point() or not acc.is_floating_point():
        raise ValueError("fixed_noise and metrics_acc must be float tensors")
    if acc.shape != loop.acc.shape or not bool(torch.isfinite(acc).all()):
        raise ValueError(f"metrics_acc is {acc.tolist()}")  # a saved acc is always finite
    loop.elapsed = elapsed
    device = loop.acc.device
    fixed_noise = noise.to(device)
    note = None
    rng = state["rng"]["train_gen"]  # the key older checkpoints have, so it stays
    if not isinstance(rng, torch.Tensor) or rng.dtype != torch.uint8:
        raise ValueError("rng.train_gen is not a generator state")
    try:
        train_gen.set_state(rng)
    except RuntimeError:
        if rng.numel() == train_gen.get_state().numel():
            raise ValueError("rng.train_gen is damaged") from None  # same kind, bad bytes
        # Saved by tui-gan before 0.13 on a GPU: the state of a CUDA generator, which a
        # CPU generator cannot take.
        train_gen.manual_seed(seed * 1_000_003 + loop.step)
        note = (
            "resumed from an older checkpoint saved on a different device: the noise "
            "stream is reseeded, so this run no longer repeats a straight run step for step"
        )
    set_rng_state(state["rng"])
    loop.acc = acc.to(device, torch.float32)
    loop.acc_n = int(state["metrics_acc_n"])
    if not 0 <= loop.acc_n < 2**31:
        raise ValueError(f"metrics_acc_n is {loop.acc_n}")
    return fixed_noise, note


def unsaveable(model: dict[str, Any], loop: LoopState) -> str | None:
    """What would make a checkpoint of this state hold NaN or infinities ("loss", "weights in
    the generator G", ...), or None: checked before every save, one host sync for it all."""
    tensors = [*float_tensors(model), *([loop.acc] if loop.acc_n else [])]
    if all_finite(tensors):
        return None
    bad = non_finite(model)
    if bad is None:
        return "loss"
    return f"weights in the {NETWORKS[bad[0]]}" if bad[0] in NETWORKS else f"values in its {bad[0]}"


def preset_from_checkpoint(state: dict[str, Any], source: str) -> Preset:
    """The preset a run checkpoint (its flat view) was trained with, validated."""
    from tui_gan.config import validate

    return validate(state["preset"], source)
