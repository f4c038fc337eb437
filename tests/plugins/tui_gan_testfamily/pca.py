"""The test family's trainable: PCA learned by gradient descent, with torch, as any outside
family's model would be. It implements tui_gan/engine/family.py's Trainable and the
protocols its descriptor declares (Reconstructing, Scoring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import Tensor, nn

from tui_gan.config import Preset
from tui_gan.errors import CheckpointError
from tui_gan.families import family

if TYPE_CHECKING:
    from tui_gan.engine.family import Reconstructing, Scoring, Trainable

ORTHO = 0.01  # weight of ||W'W - I||^2: keeps the decoder's columns an orthonormal basis


class Decoder(nn.Module):
    """z -> pixels through one Linear; `scale` is each code unit's spread over the data, so
    N(0, 1) noise decodes to images of the data's contrast."""

    scale: Tensor

    def __init__(self, latent: int, pixels: int):
        super().__init__()
        self.lin = nn.Linear(latent, pixels)
        self.register_buffer("scale", torch.ones(latent))

    def forward(self, z: Tensor) -> Tensor:
        return self.lin(z)


class PCA:
    """A linear encoder and decoder fitted by least squares: samples are decoded N(0, 1)
    codes at the data's spread; the score is minus the reconstruction error."""

    metric_names: tuple[str, ...] = ("pca_rec", "pca_ortho", "pca_var", "pca_zstd")
    num_classes = 0
    conditional = False
    generator: Literal["ema", "live"] = "live"

    def __init__(self, preset: Preset, channels: int, device: torch.device, training: bool = True):
        self.preset, self.device = preset, device
        self.caps = family(preset.model.family).caps
        size = preset.data.image_size
        self.shape = (channels, size, size)
        pixels = channels * size * size
        self.latent_dim = preset.model.latent_dim
        self.G = Decoder(self.latent_dim, pixels).to(device)
        self.enc = nn.Linear(pixels, self.latent_dim).to(device)
        g = preset.optim.g
        params = [*self.G.parameters(), *self.enc.parameters()]
        self.opt = torch.optim.Adam(params, lr=g.lr, betas=g.betas, eps=g.eps)

    @property
    def has_latent(self) -> bool:
        return self.caps.latent

    def balanced_labels(self, n: int) -> None:
        return None

    def sample_z(self, n: int, generator: torch.Generator) -> Tensor:
        z = torch.randn((n, self.latent_dim), generator=generator, device=generator.device)
        return z.to(self.device)

    def _code(self, x: Tensor) -> tuple[Tensor, Tensor]:
        flat = x.flatten(1)
        z = self.enc(flat)
        return flat, z

    def step(self, real_batch: Callable[[int], Any], generator: torch.Generator) -> Tensor:
        """One least-squares step; returns [MSE, orthogonality, explained variance, code std]."""
        flat, z = self._code(real_batch(0))
        rec = self.G(z)
        loss_rec = (rec - flat).pow(2).mean()
        w = self.G.lin.weight  # pixels x latent
        eye = torch.eye(w.shape[1], device=w.device)
        loss_ortho = (w.T @ w - eye).pow(2).sum()
        self.opt.zero_grad(set_to_none=True)
        (loss_rec + ORTHO * loss_ortho).backward()
        self.opt.step()
        with torch.no_grad():
            self.G.scale.lerp_(z.std(0), 0.1)
            explained = 1 - loss_rec / flat.var(0).mean().clamp_min(1e-8)
            return torch.stack([loss_rec.detach(), loss_ortho.detach(), explained, z.std()])

    @torch.no_grad()
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        out = self.G(z.to(self.device) * self.G.scale)
        return out.view(-1, *self.shape).clamp(-1, 1)

    def fixed_view(self, fixed_noise: Tensor) -> Tensor:
        return self.generate(fixed_noise)

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        flat, z = self._code(x.to(self.device))
        return self.G(z).view(-1, *self.shape).clamp(-1, 1)

    @torch.no_grad()
    def score(self, x: Tensor) -> Tensor:
        """Minus each image's reconstruction error: high for what the code can say."""
        flat, z = self._code(x.to(self.device))
        return -(self.G(z) - flat).pow(2).mean(1)

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
        except (RuntimeError, KeyError, ValueError, TypeError) as err:
            detail = (str(err).strip().splitlines() or [repr(err)])[0][:200]
            raise CheckpointError(f"{source}: its weights do not fit a pca ({detail})") from None


if TYPE_CHECKING:  # mypy holds PCA to the interface and to what its descriptor declares

    def _promises(m: PCA) -> tuple[Trainable, Reconstructing, Scoring]:
        return m, m, m
