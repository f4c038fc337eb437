"""The VAE: encoder to q(z|x), the data set's DCGAN generator as decoder, trained on the ELBO."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tui_gan.config import Preset
from tui_gan.engine.family import Source
from tui_gan.engine.models import build_models
from tui_gan.engine.models.memory import build_checked
from tui_gan.engine.models.vae import Encoder
from tui_gan.errors import CheckpointError
from tui_gan.families import family

if TYPE_CHECKING:
    from tui_gan.engine.family import Reconstructing, Scoring, Trainable

ACTIVE_VAR = 0.01  # a latent unit whose posterior mean varies less than this over a batch is off


def networks(preset: Preset, channels: int) -> tuple[nn.Module, nn.Module]:
    """(decoder, encoder). The decoder is the very generator class of the data set's GAN
    preset, so its weights load into that G (model.init_g_from) key for key."""
    m = preset.model
    size = preset.data.image_size
    gan = "faces-dcgan" if size == 24 else "dcgan"
    as_gan = preset.model_copy(update={"model": m.model_copy(update={"family": gan})})
    decoder, _ = build_models(as_gan, channels)
    return decoder, Encoder(m.latent_dim, m.d_hidden[0], channels, size, m.leak)


class VAE:
    """A Trainable (tui_gan/engine/family.py) with the Reconstructing and Scoring protocols;
    its decoder is stored as "G", so a GAN's G can start from it (model.init_g_from)."""

    metric_names: tuple[str, ...] = ("loss_rec", "loss_kl", "active", "post_std")
    num_classes = 0
    conditional = False
    generator: Source = "live"

    def __init__(self, preset: Preset, channels: int, device: torch.device, training: bool = True):
        self.preset, self.device = preset, device
        self.caps = family(preset.model.family).caps
        self.latent_dim = preset.model.latent_dim
        self.beta, self.recon = preset.vae.beta, preset.vae.recon
        self.G, self.enc = build_checked(
            lambda: networks(preset, channels), preset, device, training
        )
        self.G.to(device)
        self.enc.to(device)
        g, d = preset.optim.g, preset.optim.d
        # One Adam, the decoder with optim.g's settings and the encoder with optim.d's.
        self.opt = torch.optim.Adam(
            [
                dict(params=self.G.parameters(), lr=g.lr, betas=g.betas, eps=g.eps),
                dict(params=self.enc.parameters(), lr=d.lr, betas=d.betas, eps=d.eps),
            ]
        )

    @property
    def has_latent(self) -> bool:
        return self.caps.latent

    def balanced_labels(self, n: int) -> None:
        return None

    def sample_z(self, n: int, generator: torch.Generator) -> Tensor:
        return torch.randn((n, self.latent_dim), generator=generator, device=generator.device).to(
            self.device
        )

    def _terms(self, x: Tensor, mu: Tensor, logvar: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        """Per image: the reconstruction's negative log-likelihood and KL(q(z|x) || N(0, I))."""
        out = self.G(z)
        if self.recon == "bce":
            # The decoder ends in tanh; its pixels mapped to [0, 1] are Bernoulli means.
            p = ((out + 1) / 2).clamp(1e-6, 1 - 1e-6)
            rec = F.binary_cross_entropy(p, (x + 1) / 2, reduction="none")
        else:
            rec = 0.5 * (out - x).pow(2)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
        return rec.flatten(1).sum(1), kl.sum(1)

    def step(self, real_batch: Callable[[int], Any], generator: torch.Generator) -> Tensor:
        """One ELBO step; returns [reconstruction, KL, active latent units, mean posterior std]."""
        x = real_batch(0)
        self.G.train()
        self.enc.train()
        mu, logvar = self.enc(x)
        eps = torch.randn(mu.shape, generator=generator, device=generator.device).to(self.device)
        z = mu + eps * (0.5 * logvar).exp()  # the reparameterisation: gradients reach the encoder
        rec, kl = self._terms(x, mu, logvar, z)
        loss_rec, loss_kl = rec.mean(), kl.mean()
        self.opt.zero_grad(set_to_none=True)
        (loss_rec + self.beta * loss_kl).backward()
        self.opt.step()
        with torch.no_grad():
            active = (mu.var(0) > ACTIVE_VAR).float().sum()
            return torch.stack(
                [loss_rec.detach(), loss_kl.detach(), active, (0.5 * logvar).exp().mean()]
            )

    def fixed_view(self, fixed_noise: Tensor) -> Tensor:
        return self.generate(fixed_noise)

    @torch.no_grad()
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Decoded z in [-1, 1], in eval mode (BatchNorm's running statistics)."""
        was = self.G.training
        self.G.eval()
        out = torch.cat([self.G(z[i : i + 1000]) for i in range(0, len(z), 1000)])
        self.G.train(was)
        return out

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        """Each image decoded from its posterior mean."""
        self.enc.eval()
        mu, _ = self.enc(x.to(self.device))
        return self.generate(mu)

    @torch.no_grad()
    def score(self, x: Tensor) -> Tensor:
        """The anomaly score: the ELBO at the posterior mean, -(reconstruction NLL + KL)."""
        self.G.eval()
        self.enc.eval()
        out = []
        for i in range(0, len(x), 1000):
            xb = x[i : i + 1000].to(self.device)
            mu, logvar = self.enc(xb)
            rec, kl = self._terms(xb, mu, logvar, mu)
            out.append(-(rec + kl))
        return torch.cat(out)

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "enc": self.enc.state_dict(),
            "opt": self.opt.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any], source: str = "checkpoint") -> None:
        try:
            self.G.load_state_dict(state["G"])
            self.enc.load_state_dict(state["enc"])
            if "opt" in state:
                self.opt.load_state_dict(state["opt"])
        except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as err:
            detail = (str(err).strip().splitlines() or [repr(err)])[0][:200]
            raise CheckpointError(
                f"{source}: its weights do not fit its preset's VAE ({detail})"
            ) from None


if TYPE_CHECKING:  # mypy holds VAE to the interface and to the protocols its family declares

    def _promises(m: VAE) -> tuple[Trainable, Reconstructing, Scoring]:
        return m, m, m
