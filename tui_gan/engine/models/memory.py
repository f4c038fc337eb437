"""The memory check every family's networks pass before a real byte is allocated."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from tui_gan.config import Preset
from tui_gan.errors import UsageError


def build_checked(
    build: Callable[[], tuple[nn.Module, ...]],
    preset: Preset,
    device: torch.device,
    training: bool = True,
    pair: bool = False,
) -> tuple[nn.Module, ...]:
    """`build()`'s networks, built first on the meta device (no memory), to refuse in one line
    a model that cannot fit before a single real byte is allocated. `pair`: they are G and D,
    and the line counts each."""
    with torch.device("meta"):
        nets = build()
    n_g, *rest = (sum(p.numel() for p in m.parameters()) for m in nets)
    n_d = sum(rest)
    # fp32 weights; training adds gradients and Adam's two moments (4x in all), and a
    # moving average of G one more copy of G.
    need = (n_g + n_d) * 4 * (4 if training else 1) + (n_g * 4 if preset.model.ema_decay else 0)
    free = free_memory(device)
    if free is not None and need > free:
        sizes = f"G has {n_g:,} and D {n_d:,} parameters" if pair else f"{n_g + n_d:,} parameters"
        raise UsageError(
            f"the model is too large: {sizes}, about "
            f"{need / 2**30:,.1f} GiB to {'train' if training else 'load'}, and {device} has "
            f"{free / 2**30:,.1f} GiB free; lower model.g_hidden, model.d_hidden or "
            "model.latent_dim"
        )
    return build()


def free_memory(device: torch.device) -> int | None:
    """Bytes free for tensors on the device, when the device can tell."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    if device.type == "cpu":
        import psutil

        free = psutil.virtual_memory().available
        try:  # a ulimit -v caps us below what the machine has free
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_AS)
            if soft != resource.RLIM_INFINITY:
                free = min(free, max(0, soft - psutil.Process().memory_info().vms))
        except (ImportError, OSError, ValueError):
            pass
        return free
    return None
