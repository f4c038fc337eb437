"""GAN objectives: non-saturating and minimax BCE, and least squares."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class GanLoss:
    kind: str  # bce | bce-saturating | lsgan
    label_smoothing: float = 0.0

    def d_loss(self, real_out: Tensor, fake_out: Tensor) -> Tensor:
        # One-sided smoothing: only the real target moves, so D is not taught
        # to accept fakes (Salimans et al. 2016).
        real_target = 1.0 - self.label_smoothing
        if self.kind == "lsgan":
            return 0.5 * ((real_out - real_target) ** 2).mean() + 0.5 * (fake_out**2).mean()
        real = F.binary_cross_entropy_with_logits(real_out, torch.full_like(real_out, real_target))
        fake = F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
        return real + fake

    def g_loss(self, fake_out: Tensor) -> Tensor:
        if self.kind == "lsgan":
            return 0.5 * ((fake_out - 1.0) ** 2).mean()
        if self.kind == "bce-saturating":
            # Minimax: minimise log(1 - D(G(z))); gradients vanish when D wins.
            return -F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
        # Non-saturating: maximise log D(G(z)).
        return F.binary_cross_entropy_with_logits(fake_out, torch.ones_like(fake_out))

    def d_output(self, out: Tensor) -> Tensor:
        """What users read as D(x): a probability for BCE, the raw score for LSGAN."""
        return out if self.kind == "lsgan" else torch.sigmoid(out)
