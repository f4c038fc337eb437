"""1-D targets for the toy GAN: known densities we can sample and draw."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

MIXTURE = ((-2.0, 0.3), (0.0, 0.3), (2.0, 0.3))  # (mean, std), equal weights


@dataclass(frozen=True)
class Target1D:
    name: str
    lo: float  # the x range histograms and the D(x) curve are drawn over
    hi: float

    def density(self, x: Tensor) -> Tensor:
        if self.name == "sine":
            inside = (x >= -math.pi) & (x <= math.pi)
            return torch.where(inside, (1 + torch.sin(x)) / (2 * math.pi), torch.zeros_like(x))
        if self.name == "mixture":
            out = torch.zeros_like(x)
            for mean, std in MIXTURE:
                out += torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))
            return out / len(MIXTURE)
        return torch.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)

    def sample(self, n: int, generator: torch.Generator, device=None) -> Tensor:
        """n samples as (n, 1) float32, drawn where the generator lives: a device generator
        draws on the device, with no host-to-device copy (a training batch never waits for
        the GPU). `device`: where to put them, when not there already (evaluation, plots)."""
        on = generator.device
        if self.name == "sine":
            # Inverse CDF on a fine grid: CDF(x) = (x + pi - cos x - 1) / (2 pi).
            grid = torch.linspace(-math.pi, math.pi, 4097, device=on)
            cdf = (grid + math.pi - torch.cos(grid) - 1) / (2 * math.pi)
            u = torch.rand(n, generator=generator, device=on)
            i = torch.searchsorted(cdf, u).clamp(1, len(grid) - 1)
            t = (u - cdf[i - 1]) / (cdf[i] - cdf[i - 1]).clamp_min(1e-12)
            x = grid[i - 1] + t * (grid[i] - grid[i - 1])
        elif self.name == "mixture":
            comp = torch.randint(len(MIXTURE), (n,), generator=generator, device=on)
            # Built with where, not a Python list made a tensor: that would be a host copy.
            means, stds = torch.zeros(n, device=on), torch.zeros(n, device=on)
            for k, (mean, std) in enumerate(MIXTURE):
                means = torch.where(comp == k, mean, means)
                stds = torch.where(comp == k, std, stds)
            x = means + stds * torch.randn(n, generator=generator, device=on)
        else:
            x = torch.randn(n, generator=generator, device=on)
        x = x.view(n, 1)
        return x if device is None or torch.device(device) == x.device else x.to(device)


TARGETS = {
    "sine": Target1D("sine", -math.pi - 0.5, math.pi + 0.5),
    "mixture": Target1D("mixture", -3.5, 3.5),
    "gaussian": Target1D("gaussian", -4.0, 4.0),
}


class Toy1DSource:
    """Fresh real samples per batch, seeded by (seed, batch index) so resume is exact."""

    def __init__(
        self,
        target: Target1D,
        size: int,
        batch_size: int,
        seed: int,
        device,
        rank: int = 0,
        world: int = 1,
    ):
        self.target, self.batch_size, self.seed, self.device = target, batch_size, seed, device
        self.steps_per_epoch = max(1, size // batch_size)
        self.rank, self.local = rank, batch_size // world
        # On the training device: reseeding it is host-side, and the draw happens there.
        self.gen = torch.Generator(device)

    def batch(self, index: int) -> Tensor:
        """The global batch drawn, this rank's slice kept (torchrun: N ranks see one batch)."""
        self.gen.manual_seed(self.seed * 1_000_003 + index)
        whole = self.target.sample(self.batch_size, self.gen)
        return whole[self.rank * self.local : (self.rank + 1) * self.local]
