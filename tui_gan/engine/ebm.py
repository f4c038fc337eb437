"""The energy-based model: contrastive divergence against Langevin chains from a replay buffer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from tui_gan.config import Preset
from tui_gan.engine.family import Source
from tui_gan.engine.models.ebm import EnergyNet
from tui_gan.engine.models.memory import build_checked
from tui_gan.errors import CheckpointError
from tui_gan.families import family

if TYPE_CHECKING:
    from tui_gan.engine.family import Chains, Scoring, Trainable


class EBM:
    """E(x) trained so data sits low and samples high; samples are Langevin chains on E.
    A Trainable (tui_gan/engine/family.py) with the Chains and Scoring protocols: `step`
    returns its metrics as one device tensor (no host sync); `generate(z)` runs chains from
    the starts z."""

    metric_names: tuple[str, ...] = ("loss_cd", "loss_reg", "e_real", "e_fake")
    num_classes = 0
    conditional = False
    generator: Source = "live"  # no moving average: records say the live model drew them

    def __init__(self, preset: Preset, channels: int, device: torch.device, training: bool = True):
        self.preset, self.device = preset, device
        self.caps = family(preset.model.family).caps
        self.cfg = preset.ebm
        size = preset.data.image_size
        self.shape = (channels, size, size)
        # The "latent" of an EBM is a chain's start: a uniform-noise image, flattened.
        self.latent_dim = channels * size * size
        width = preset.model.d_hidden[0]
        (self.E,) = build_checked(
            lambda: (EnergyNet(width, channels, size),), preset, device, training
        )
        self.E.to(device)
        o = preset.optim.d
        self.opt = torch.optim.Adam(
            self.E.parameters(), lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay
        )
        # The replay buffer starts as uniform noise (from the seeded global RNG, so a run's
        # buffer is its seed's); chains continue from it and write back where they end.
        self.buffer = torch.rand(self.cfg.buffer_size, *self.shape, device=device) * 2 - 1
        self.sample_steps = self.cfg.sample_steps  # chains drawn for samples, eval and sample

    @property
    def has_latent(self) -> bool:
        return self.caps.latent

    def balanced_labels(self, n: int) -> None:
        return None

    def sample_z(self, n: int, generator: torch.Generator) -> Tensor:
        z = torch.rand((n, self.latent_dim), generator=generator, device=generator.device)
        return (z * 2 - 1).to(self.device)

    def langevin(self, x: Tensor, steps: int, generator: torch.Generator) -> Tensor:
        """`steps` Langevin moves from x: Gaussian noise, then a clipped step down E's
        gradient, clamped to the pixel range each time. E's weights get no gradient."""
        c = self.cfg
        E = self.E
        was_training = E.training
        E.eval()
        flags = [p.requires_grad for p in E.parameters()]
        for p in E.parameters():
            p.requires_grad_(False)
        x = x.detach().clone()
        try:
            with torch.enable_grad():
                for _ in range(steps):
                    noise = torch.randn(x.shape, generator=generator, device=generator.device)
                    x.add_(noise.to(x.device), alpha=c.noise).clamp_(-1, 1)
                    x.requires_grad_(True)
                    (grad,) = torch.autograd.grad(E(x).sum(), x)
                    x = x.detach()
                    x.add_(grad.clamp_(-c.grad_clip, c.grad_clip), alpha=-c.step_size)
                    x.clamp_(-1, 1)
        finally:
            for p, f in zip(E.parameters(), flags, strict=True):
                p.requires_grad_(f)
            E.train(was_training)
        return x

    def step(self, real_batch: Callable[[int], Any], generator: torch.Generator) -> Tensor:
        """One contrastive-divergence update; returns [loss_cd, loss_reg, E(real), E(sample)]."""
        c, E = self.cfg, self.E
        real = real_batch(0)
        B = real.shape[0]
        g = generator
        # Real images get a little noise, so E cannot key on the exact 256 grey levels that
        # no chain ever hits.
        jitter = torch.randn(real.shape, generator=g, device=g.device).to(self.device)
        real = (real + c.real_noise * jitter).clamp(-1, 1)
        # Negatives: chains continued from buffer entries, a share restarted from fresh noise
        # so the buffer keeps exploring instead of collapsing onto a few modes.
        # Distinct slots: with repeats, which chain a write-back keeps would be up to the
        # threads of index_put, and resume would stop being exact.
        idx = torch.randperm(len(self.buffer), generator=g, device=g.device)[:B].to(self.device)
        start = self.buffer[idx]
        restart = torch.rand((B,), generator=g, device=g.device).to(self.device) < c.fresh_share
        noise = torch.rand(start.shape, generator=g, device=g.device).to(self.device) * 2 - 1
        start = torch.where(restart.view(-1, 1, 1, 1), noise, start)
        fake = self.langevin(start, c.mcmc_steps, g)
        self.buffer[idx] = fake
        E.train()
        energy = E(torch.cat([real, fake]))
        e_real, e_fake = energy[:B], energy[B:]
        loss_cd = e_real.mean() - e_fake.mean()  # lower data's energy, raise the samples'
        # Keeps energies near 0: CD alone is blind to a constant shift and lets them drift
        # to where the gradients Langevin sees explode.
        loss_reg = c.alpha * (e_real.pow(2).mean() + e_fake.pow(2).mean())
        self.opt.zero_grad(set_to_none=True)
        (loss_cd + loss_reg).backward()
        self.opt.step()
        with torch.no_grad():
            return torch.stack(
                [loss_cd.detach(), loss_reg.detach(), e_real.mean().detach(), e_fake.mean()]
            )

    def fixed_view(self, fixed_noise: Tensor) -> Tensor:
        """The samples panel's fixed view: the first buffer slots, as training left them."""
        return self.buffer[: len(fixed_noise)].clone()

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Fresh chains of `sample_steps` from the starts z (sample_z's noise images)."""
        g = torch.Generator(self.device).manual_seed(int(z.abs().sum().item() * 1e3) % 2**62)
        x = z.view(-1, *self.shape)
        chunks = [x[i : i + 500] for i in range(0, len(x), 500)]
        return torch.cat([self.langevin(c, self.sample_steps, g) for c in chunks])

    @torch.no_grad()
    def score(self, x: Tensor) -> Tensor:
        """The anomaly score: -E(x), high for what the model takes for data."""
        self.E.eval()
        return -torch.cat([self.E(x[i : i + 1000]) for i in range(0, len(x), 1000)])

    def state_dict(self) -> dict[str, Any]:
        return {"E": self.E.state_dict(), "opt": self.opt.state_dict(), "buffer": self.buffer}

    def load_state_dict(self, state: dict[str, Any], source: str = "checkpoint") -> None:
        try:
            self.E.load_state_dict(state["E"])
            if "opt" in state:
                self.opt.load_state_dict(state["opt"])
            buf = state.get("buffer")
            if buf is not None:
                if tuple(buf.shape[1:]) != self.shape or not buf.is_floating_point():
                    raise ValueError(f"buffer has shape {tuple(buf.shape)}")
                if len(buf) != self.cfg.buffer_size:
                    raise ValueError(
                        f"its buffer holds {len(buf)} chains and ebm.buffer_size is "
                        f"{self.cfg.buffer_size}; resume with the run's own buffer_size"
                    )
                self.buffer = buf.to(self.device, torch.float32)
        except (RuntimeError, KeyError, ValueError, TypeError, AttributeError) as err:
            detail = (str(err).strip().splitlines() or [repr(err)])[0][:200]
            raise CheckpointError(
                f"{source}: its weights do not fit its preset's energy network ({detail})"
            ) from None


if TYPE_CHECKING:  # mypy holds EBM to the interface and to the protocols its family declares

    def _promises(m: EBM) -> tuple[Trainable, Chains, Scoring]:
        return m, m, m
