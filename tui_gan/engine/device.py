"""Pick the torch device: auto prefers cuda, then mps, then cpu."""

from __future__ import annotations

import torch

from tui_gan.errors import UsageError


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("device cuda: no CUDA GPU is visible to torch (try --device auto)")
    if name == "mps" and not torch.backends.mps.is_available():
        raise UsageError("device mps: Apple MPS is not available here (try --device auto)")
    return torch.device(name)
