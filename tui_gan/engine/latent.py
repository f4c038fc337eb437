"""Walks in G's latent space: the noise-by-class grid and interpolation (extrapolation) strips."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

Mode = Literal["linear", "slerp"]
PLAIN_COLUMNS = 10  # an unconditional grid is as wide as a conditional one on MNIST


def lerp_path(z0: Tensor, z1: Tensor, t: Tensor, mode: Mode = "linear") -> Tensor:
    """Points z(t) between rows of z0 (t=0) and z1 (t=1), every t for every row: (N*K, D),
    row r's K points together. t outside [0, 1] extrapolates along the same path.

    slerp walks the great circle between the two directions with the norm interpolated
    linearly: a Gaussian z's norm concentrates near sqrt(D), and the straight line's middle
    falls inside that shell, where G saw no training noise (White, "Sampling generative
    networks", 2016)."""
    t = t.to(z0.device, z0.dtype).view(1, -1, 1)  # 1 x K x 1
    a, b = z0.unsqueeze(1), z1.unsqueeze(1)  # N x 1 x D
    if mode == "linear":
        out = a + t * (b - a)
    else:
        na, nb = a.norm(dim=2, keepdim=True), b.norm(dim=2, keepdim=True)
        ua, ub = a / na.clamp_min(1e-12), b / nb.clamp_min(1e-12)
        omega = torch.acos((ua * ub).sum(2, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
        so = torch.sin(omega)
        direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / so
        out = direction * (na + t * (nb - na)).clamp_min(0)
    return out.reshape(-1, z0.shape[1])


def noise_by_class(gan, z: Tensor) -> tuple[Tensor, Tensor]:
    """A conditional G's grid: row r is z[r] drawn as every class in turn (images, labels)."""
    k = gan.num_classes
    labels = torch.arange(k, device=gan.device).repeat(len(z))
    return gan.generate(z.repeat_interleave(k, 0), labels), labels


def class_grid(gan, rows: int, seed: int) -> tuple[Tensor, Tensor, int]:
    """(images, labels, columns): row r holds one fixed z drawn for every class in turn (a
    conditional G), or `PLAIN_COLUMNS` independent samples (labels -1)."""
    g = torch.Generator(gan.device).manual_seed(seed)
    if gan.conditional:
        return (*noise_by_class(gan, gan.sample_z(rows, g)), gan.num_classes)
    n = rows * PLAIN_COLUMNS
    labels = torch.full((n,), -1, dtype=torch.long, device=gan.device)
    return gan.generate(gan.sample_z(n, g)), labels, PLAIN_COLUMNS


def interpolation(
    gan,
    rows: int,
    steps: int,
    t_range: tuple[float, float] = (0.0, 1.0),
    mode: Mode = "linear",
    seed: int = 0,
    label: int | None = None,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """(images (rows*steps), t (steps), labels or None): row r walks from one random z to
    another over t in t_range. A conditional G holds the class fixed along a row: `label`
    for all rows, else class r mod k for row r."""
    g = torch.Generator(gan.device).manual_seed(seed)
    z0, z1 = gan.sample_z(rows, g), gan.sample_z(rows, g)
    t = torch.linspace(t_range[0], t_range[1], steps)
    z = lerp_path(z0, z1, t, mode)
    labels = None
    if gan.conditional:
        per_row = (
            torch.full((rows,), label, dtype=torch.long)
            if label is not None
            else torch.arange(rows) % gan.num_classes
        )
        labels = per_row.repeat_interleave(steps).to(gan.device)
    return gan.generate(z, labels), t, labels


def to_uint8(x: Tensor):
    """Samples in [-1, 1] as a uint8 N x C x H x W numpy array."""
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu().numpy()
