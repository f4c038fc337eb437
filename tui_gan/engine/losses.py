"""GAN objectives (BCE non-saturating and minimax, least squares, hinge, Wasserstein) and the
penalties on D's gradient (WGAN-GP, R1)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tui_gan.config import BCE_LIKE

PROBABILITY_KINDS = BCE_LIKE  # D's output reads as P(real) only for these


@dataclass(frozen=True)
class GanLoss:
    kind: str  # bce | bce-saturating | lsgan | hinge | wgan-gp
    label_smoothing: float = 0.0
    gp_weight: float = 10.0  # wgan-gp only
    r1_gamma: float = 0.0

    def d_loss(self, real_out: Tensor, fake_out: Tensor) -> Tensor:
        if self.kind == "hinge":
            return F.relu(1.0 - real_out).mean() + F.relu(1.0 + fake_out).mean()
        if self.kind == "wgan-gp":
            return fake_out.mean() - real_out.mean()  # the critic's estimate of -W1
        # One-sided smoothing: only the real target moves, so D is not taught
        # to accept fakes (Salimans et al. 2016).
        real_target = 1.0 - self.label_smoothing
        if self.kind == "lsgan":
            return 0.5 * ((real_out - real_target) ** 2).mean() + 0.5 * (fake_out**2).mean()
        real = F.binary_cross_entropy_with_logits(real_out, torch.full_like(real_out, real_target))
        fake = F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
        return real + fake

    def g_loss(self, fake_out: Tensor) -> Tensor:
        if self.kind in ("hinge", "wgan-gp"):
            return -fake_out.mean()
        if self.kind == "lsgan":
            return 0.5 * ((fake_out - 1.0) ** 2).mean()
        if self.kind == "bce-saturating":
            # Minimax: minimise log(1 - D(G(z))); gradients vanish when D wins.
            return -F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
        # Non-saturating: maximise log D(G(z)).
        return F.binary_cross_entropy_with_logits(fake_out, torch.ones_like(fake_out))

    @property
    def needs_real_grad(self) -> bool:
        """R1 differentiates D at the real batch: it must require grad before D sees it."""
        return self.r1_gamma > 0

    def penalty(
        self,
        D: nn.Module,
        real: Tensor,
        real_out: Tensor,
        fake: Tensor,
        generator,
        r1_scale: float = 1.0,
    ) -> Tensor | None:
        """The regularisers added to D's loss, or None when there are none. `r1_scale` weighs
        R1 on this step: 0 skips it, k stands for the k - 1 steps a lazy R1 skipped."""
        terms = []
        if self.kind == "wgan-gp" and self.gp_weight > 0:
            terms.append(self.gp_weight * gradient_penalty(D, real.detach(), fake, generator))
        if self.r1_gamma > 0 and r1_scale > 0:
            terms.append(0.5 * self.r1_gamma * r1_scale * r1_penalty(real, real_out))
        return sum(terms) if terms else None  # type: ignore[return-value]

    def d_output(self, out: Tensor) -> Tensor:
        """What users read as D(x): a probability for BCE, the raw score otherwise."""
        return torch.sigmoid(out) if self.kind in PROBABILITY_KINDS else out


def gradient_penalty(D: nn.Module, real: Tensor, fake: Tensor, generator) -> Tensor:
    """E[(|grad D(x_hat)| - 1)^2] at random points between real and fake samples."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device=generator.device).to(real.device)
    x_hat = (eps * real + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def r1_penalty(real: Tensor, real_out: Tensor) -> Tensor:
    """E[|grad D(x)|^2] at the real samples (`real` required grad when D scored it)."""
    (grad,) = torch.autograd.grad(real_out.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()
