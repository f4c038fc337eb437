"""DiffAugment (Zhao et al. 2020): differentiable augmentations D sees on real and fake alike."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from tui_gan.config import AUGMENTATIONS

# The paper's policy names, applied in this order whatever order a preset lists them.
POLICIES = AUGMENTATIONS


def diff_augment(x: Tensor, policy: Sequence[str], generator: torch.Generator) -> Tensor:
    """x (B, C, H, W) augmented per sample by each transform of the policy; differentiable in
    x, so G learns through the same augmented D. Draws come from `generator` (the training
    noise stream), so a resumed run repeats a straight one."""
    if not policy:
        return x
    if "color" in policy:
        x = _brightness(x, generator)
        x = _saturation(x, generator)
        x = _contrast(x, generator)
    if "translation" in policy:
        x = _translation(x, generator)
    if "cutout" in policy:
        x = _cutout(x, generator)
    return x


def _rand(x: Tensor, generator: torch.Generator) -> Tensor:
    """One U[0, 1) draw per sample, shaped to broadcast over (C, H, W)."""
    r = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=generator.device)
    return r.to(x.device, x.dtype)


def _randint(lo: int, hi: int, n: int, generator: torch.Generator, device) -> Tensor:
    """n integers in [lo, hi), one per sample, shaped (n, 1, 1)."""
    r = torch.randint(lo, hi, (n, 1, 1), generator=generator, device=generator.device)
    return r.to(device)


def _brightness(x: Tensor, g: torch.Generator) -> Tensor:
    return x + (_rand(x, g) - 0.5)


def _saturation(x: Tensor, g: torch.Generator) -> Tensor:
    # A no-op on one channel (grey digits): there is no colour to saturate.
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_rand(x, g) * 2) + mean


def _contrast(x: Tensor, g: torch.Generator) -> Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_rand(x, g) + 0.5) + mean


def _translation(x: Tensor, g: torch.Generator, ratio: float = 0.125) -> Tensor:
    """Shift each image by up to ratio of its side, rounded (4 pixels at 28), zero-filled,
    by gathering from a padded copy: no Python loop, no host sync."""
    b, _, h, w = x.shape
    sx, sy = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx = _randint(-sx, sx + 1, b, g, x.device)
    ty = _randint(-sy, sy + 1, b, g, x.device)
    gb, gx, gy = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(h, device=x.device),
        torch.arange(w, device=x.device),
        indexing="ij",
    )
    gx = torch.clamp(gx + tx + 1, 0, h + 1)
    gy = torch.clamp(gy + ty + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[gb, gx, gy].permute(0, 3, 1, 2)


def _cutout(x: Tensor, g: torch.Generator, ratio: float = 0.5) -> Tensor:
    """Zero one square of half the side per image, at a random place (partly off the edge)."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ox = _randint(0, h + (1 - ch % 2), b, g, x.device)
    oy = _randint(0, w + (1 - cw % 2), b, g, x.device)
    gb, gx, gy = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(ch, device=x.device),
        torch.arange(cw, device=x.device),
        indexing="ij",
    )
    gx = torch.clamp(gx + ox - ch // 2, 0, h - 1)
    gy = torch.clamp(gy + oy - cw // 2, 0, w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gx, gy] = 0
    return x * mask.unsqueeze(1)
