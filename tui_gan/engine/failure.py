"""How anything the training loop throws becomes its one Failed record: a line a user can act
on, the exit code that says whose fault it was, and a traceback only for a bug."""

from __future__ import annotations

import traceback
from collections.abc import Iterable

import torch

from tui_gan.engine import events as ev
from tui_gan.engine.dist import Dist
from tui_gan.errors import TuiGanError, as_user_error, one_line
from tui_gan.rundir.read import is_step

CPU_OOM = (
    "out of memory: lower train.batch_size or the model widths, or raise the memory limit "
    "(ulimit -v, the container's)"
)
CUDA_OOM = (
    "CUDA out of memory: lower train.batch_size or the model widths, "
    "or free the GPU (nvidia-smi shows who holds it)"
)
PEER_GONE = (
    "another training process of this run died (torchrun's log in the run directory says "
    "which and why); this one stopped with it"
)


def failed(err: Exception, step: int, dist: Dist) -> ev.Failed:
    """The record of the run's end by `err`; call it in the except block (for the traceback)."""
    if isinstance(err, TuiGanError | OSError):  # OSError: a full disk, a read-only folder
        mapped = as_user_error(err)
        return record(str(mapped), step, exit_code=mapped.exit_code)
    if isinstance(err, MemoryError):
        return record(CPU_OOM, step, exit_code=2)
    if isinstance(err, torch.cuda.OutOfMemoryError):
        return record(CUDA_OOM, step)
    if _peer_gone(err, dist):
        return record(PEER_GONE, step)
    if isinstance(err, RuntimeError) and "can't allocate memory" in str(err):
        return record(CPU_OOM, step, exit_code=2)  # torch's CPU allocator
    details = traceback.format_exc().splitlines()
    return record(f"{type(err).__name__}: {err}", step, details=details)


def record(message: str, step: int, exit_code: int = 1, details: Iterable[str] = ()) -> ev.Failed:
    error = one_line(message)  # an exception's text may run to pages; the record holds one line
    # The one record that must always be written, so status.json says "failed": a step
    # that would not read back (never reached: checkpoints are checked) is not its own.
    step = step if is_step(step) else 0
    return ev.Failed(step=step, error=error, details=tuple(details), exit_code=exit_code)


def _peer_gone(err: Exception, dist: Dist) -> bool:
    """A collective failed because another rank is gone (killed, crashed, out of memory):
    gloo says its connection closed, NCCL that its communicator was aborted."""
    if not dist.on or not isinstance(err, RuntimeError):
        return False
    text = str(err)
    return any(w in text for w in ("Connection closed", "Connection reset", "NCCL", "gloo"))
