"""One run over several processes (torchrun and DistributedDataParallel): which process this
is, and the few collectives the training loop needs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import torch

# A rank that samples, evaluates or saves makes the others wait at their next collective;
# a long evaluation must not look like a dead peer.
TIMEOUT = timedelta(minutes=30)
CLOSE_WAIT = timedelta(minutes=2)  # how long the ranks wait for each other at the end
CONTROL_EVERY = 8  # steps between the control flags' broadcasts (pause, save, stop)


@dataclass
class Dist:
    """rank 0 of 1 unless torchrun started this process; `ctl`: the CPU (gloo) group that
    carries the control flags, so reading them never waits on the GPU."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    ctl: Any = field(default=None, repr=False)

    @property
    def on(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def device(self, device: torch.device) -> torch.device:
        """This rank's GPU (cuda:LOCAL_RANK) for a CUDA run; the device unchanged otherwise."""
        if self.on and device.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return device

    def sync_flags(self, flags: list[bool]) -> list[bool]:
        """Rank 0's flags, on every rank."""
        if not self.on:
            return flags
        t = torch.tensor([int(f) for f in flags], dtype=torch.uint8)
        torch.distributed.broadcast(t, 0, group=self.ctl)
        return [bool(v) for v in t.tolist()]

    def mean_(self, t: torch.Tensor) -> torch.Tensor:
        """The mean over ranks, in place (on the device: no host sync)."""
        if self.on:
            torch.distributed.all_reduce(t)
            t.div_(self.world)
        return t

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's object (a run's name, say), on every rank."""
        if not self.on:
            return obj
        box = [obj]
        torch.distributed.broadcast_object_list(box, 0, group=self.ctl)
        return box[0]

    def close(self, together: bool = True) -> None:
        """Leave the process group. After a run that ended normally, first wait for every
        rank (rank 0 draws its last samples after the others are done): a rank that tears
        its gloo pairs down while a peer still uses them aborts the peer."""
        if not (self.on and torch.distributed.is_initialized()):
            return
        if together:
            try:  # bounded: a rank that failed never arrives, and must not hang the others
                torch.distributed.monitored_barrier(group=self.ctl, timeout=CLOSE_WAIT)
            except RuntimeError:
                pass
        torch.distributed.destroy_process_group()


def from_env(device_name: str) -> Dist:
    """The process group torchrun set up for us (WORLD_SIZE > 1), or a single process.
    NCCL carries the gradients of a CUDA run, gloo those of a CPU run and every run's flags."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    cuda = device_name.startswith("cuda") or device_name == "auto"
    cuda = cuda and torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(local)
    backend = "nccl" if cuda else "gloo"
    torch.distributed.init_process_group(backend, timeout=TIMEOUT)
    ctl = torch.distributed.new_group(backend="gloo", timeout=TIMEOUT) if cuda else None
    return Dist(rank, world, local, ctl)


def wrap(net: torch.nn.Module, d: Dist) -> torch.nn.Module:
    """A network in DistributedDataParallel: its gradients averaged over ranks in backward."""
    from torch.nn.parallel import DistributedDataParallel

    device = next(net.parameters()).device
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(net, device_ids=ids)
