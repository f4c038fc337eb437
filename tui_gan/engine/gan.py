"""The GAN: G, D, their optimizers and one training step (the loss decides the objective)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from tui_gan.config import OptimConfig, Preset
from tui_gan.engine.augment import diff_augment
from tui_gan.engine.family import Source
from tui_gan.engine.losses import GanLoss
from tui_gan.engine.models import build_models, num_classes
from tui_gan.engine.models.memory import build_checked
from tui_gan.engine.speed import Speed
from tui_gan.errors import CheckpointError
from tui_gan.families import family

if TYPE_CHECKING:
    from tui_gan.engine.dist import Dist
    from tui_gan.engine.family import (
        Averaging,
        Critic,
        Distributable,
        Scoring,
        Trainable,
        WarmStartable,
    )

METRICS: tuple[str, ...] = ("loss_d", "loss_g", "d_real", "d_fake")


def _adam(params, cfg: OptimConfig, fused: bool = False) -> torch.optim.Adam:
    return torch.optim.Adam(
        params,
        lr=cfg.lr,
        betas=cfg.betas,
        eps=cfg.eps,
        weight_decay=cfg.weight_decay,
        fused=fused or None,  # None: PyTorch's default (foreach)
    )


class GAN:
    """One G/D pair, the trainable of every G/D family (tui_gan/engine/family.py's Trainable,
    with the EMA, distributed, warm-start, critic and score protocols); `step` returns its
    metrics as one device tensor (no host sync)."""

    metric_names = METRICS

    def __init__(self, preset: Preset, channels: int, device: torch.device, training: bool = True):
        self.preset, self.device = preset, device
        self.caps = family(preset.model.family).caps
        self.latent_dim = preset.model.latent_dim
        self.latent_dist = preset.model.latent_dist
        self.d_steps = preset.train.d_steps
        # Conditional families: G(z, y) and D(x, y); 0 classes for the unconditional ones.
        self.num_classes = num_classes(preset)
        self.G, self.D = build_checked(
            lambda: build_models(preset, channels), preset, device, training, pair=True
        )
        # Precision, memory order and compilation (train.*): one place for every G/D pair.
        self.speed = Speed.of(preset, device)
        self.G = self.speed.prepare(self.G.to(device))
        self.D = self.speed.prepare(self.D.to(device))
        self._G, self._D = self.speed.forward(self.G), self.speed.forward(self.D)
        self._Dg = self._D  # D as G's update runs it: never DDP's (see distribute)
        self.rank, self.world = 0, 1  # this process's share of each batch (see distribute)
        self.opt_g = _adam(self.G.parameters(), preset.optim.g, self.speed.fused_adam)
        self.opt_d = _adam(self.D.parameters(), preset.optim.d, self.speed.fused_adam)
        lc = preset.loss
        self.loss = GanLoss(lc.kind, lc.label_smoothing, lc.gp_weight, lc.r1_gamma)
        self.r1_every = lc.r1_every
        self.d_updates = 0  # D steps so far: the lazy R1 falls on every r1_every-th
        self.augment = preset.train.augment
        # G_ema: the moving average of G's weights; samples come from it unless use_ema is off.
        self.ema_decay, self.ema_every = preset.model.ema_decay, preset.model.ema_every
        self.ema_updates = 0  # G steps the average has seen (it is updated every ema_every)
        self.G_ema: torch.nn.Module | None = None
        if self.ema_decay > 0:
            self.G_ema = copy.deepcopy(self.G).requires_grad_(False).eval()
        self.use_ema = True

    def distribute(self, d: Dist) -> None:
        """Train as rank d.rank of d.world (tui_gan.engine.dist): G and D in
        DistributedDataParallel, each rank drawing the global batch's noise and keeping its
        slice, so N processes see what one would. G's update runs D's plain module: its
        gradients there are thrown away, so averaging them over ranks would be wasted work."""
        from tui_gan.engine.dist import wrap

        self.rank, self.world = d.rank, d.world
        if not d.on:
            return
        if self.preset.train.sync_batchnorm:
            self.G = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.G)
            self.D = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.D)
        self._G = self.speed.forward(wrap(self.G, d))
        self._D = self.speed.forward(wrap(self.D, d))
        self._Dg = self.speed.forward(self.D)

    @property
    def sampling_ema(self) -> bool:
        """Whether generate() draws from the EMA generator (else from the live G)."""
        return self.G_ema is not None and self.use_ema

    @property
    def generator(self) -> Source:
        """Which G draws the samples, as records name it: "ema" or "live"."""
        return "ema" if self.sampling_ema else "live"

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    @property
    def has_latent(self) -> bool:
        """G's latent space can be walked (interpolation strips)."""
        return self.caps.latent

    def balanced_labels(self, n: int) -> Tensor | None:
        """0, 1, ..., k-1, 0, 1, ... for n samples of a conditional G (None otherwise): every
        class equally often, so class counts and FID see the classes as the data has them."""
        if not self.conditional:
            return None
        return torch.arange(n, device=self.device) % self.num_classes

    def _aug(self, x: Tensor, generator: torch.Generator) -> Tensor:
        return diff_augment(x, self.augment, generator) if self.augment else x

    def sample_z(self, n: int, generator: torch.Generator) -> Tensor:
        shape = (n, self.latent_dim)
        if self.latent_dist == "uniform":
            return torch.rand(shape, generator=generator, device=generator.device).to(self.device)
        return torch.randn(shape, generator=generator, device=generator.device).to(self.device)

    def step(self, real_batch: Callable[[int], Any], generator: torch.Generator) -> Tensor:
        """d_steps D updates then one G update; returns [loss_d, loss_g, d_real, d_fake].
        `real_batch(k)` is a batch of images, or (images, labels) for a conditional GAN, whose
        fakes are drawn for the real batch's labels (the data's class frequencies, no extra
        random draws)."""
        # _G and _D: the networks as the step runs them (compiled when train.compile is on).
        G, D, loss, speed = self._G, self._D, self.loss, self.speed
        self.G.train()
        self.D.train()
        for k in range(self.d_steps):
            real, y = real_batch(k) if self.conditional else (real_batch(k), None)
            real = speed.images(real)
            r1_now = loss.needs_real_grad and self.d_updates % self.r1_every == 0
            if r1_now:
                real = real.detach().requires_grad_(True)
            # D and G with the batch's labels bound: the losses and penalties see D(x). The
            # penalties differentiate D twice, which neither torch.compile nor fp16 (its input
            # gradient is not loss-scaled) can: they run the eager D in full precision.
            Dy = D if y is None else (lambda x, y=y: D(x, y))
            De = self.D if y is None else (lambda x, y=y: self.D(x, y))
            # The whole (global) batch's noise, this rank's slice: N ranks draw what one would.
            b = real.shape[0]
            z = self.sample_z(b * self.world, generator)[self.rank * b : (self.rank + 1) * b]
            # Only the last D step's fakes go on to G's update: the others need no graph.
            last = k == self.d_steps - 1
            with speed.autocast(), contextlib.nullcontext() if last else torch.no_grad():
                fake = G(z) if y is None else G(z, y)
            # R1 differentiates D(real) with respect to real: that forward runs eager, in fp32.
            D_real, real_ctx = (De, contextlib.nullcontext()) if r1_now else (Dy, speed.autocast())
            with real_ctx:
                real_out = D_real(self._aug(real, generator))
            with speed.autocast():
                fake_out = Dy(self._aug(fake.detach(), generator))
            loss_d = loss.d_loss(real_out.float(), fake_out.float())
            r1_scale = self.r1_every if r1_now else 0
            # De may be D with the labels bound (a lambda): losses.py types it as a Module.
            penalty = loss.penalty(De, real, real_out, fake, generator, r1_scale)  # type: ignore[arg-type]
            self.d_updates += 1
            if penalty is not None:
                loss_d = loss_d + penalty
            self.opt_d.zero_grad(set_to_none=True)
            speed.update("d", loss_d, self.opt_d)
        # G's update scores the last D step's fakes again, through the updated D.
        Dg = self._Dg if y is None else (lambda x, y=y: self._Dg(x, y))
        with speed.autocast():
            loss_g = loss.g_loss(Dg(self._aug(fake, generator)).float())
        self.opt_g.zero_grad(set_to_none=True)
        speed.update("g", loss_g, self.opt_g)
        if self.G_ema is not None:
            self._update_ema()
        with torch.no_grad():
            return torch.stack(
                [
                    loss_d.detach(),
                    loss_g.detach(),
                    loss.d_output(real_out.detach().float()).mean(),
                    loss.d_output(fake_out.detach().float()).mean(),
                ]
            )

    @torch.no_grad()
    def _update_ema(self) -> None:
        """Every ema_every steps, G_ema <- d^k * G_ema + (1 - d^k) * G for k = ema_every, with
        d warmed up from 0.1 (after t steps, min(decay, (1+t)/(10+t))) so the average follows
        G early instead of dragging the random init along for ~1/(1-decay) steps. One fused
        lerp: no host sync."""
        assert self.G_ema is not None
        t = self.ema_updates
        self.ema_updates = t + 1
        k = self.ema_every
        if (t + 1) % k:
            return
        d = min(self.ema_decay, (1 + t) / (10 + t)) ** k
        ema_p: list[Tensor] = list(self.G_ema.parameters())
        torch._foreach_lerp_(ema_p, [p.detach() for p in self.G.parameters()], 1.0 - d)
        # BatchNorm's running statistics are copied from G, not averaged, as StyleGAN2 does
        # (BigGAN instead re-estimates "standing" statistics for the averaged weights).
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            b_ema.copy_(b)

    @torch.no_grad()
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Samples in [-1, 1] from G_ema (or the live G); eval mode so BatchNorm uses running
        stats and nothing changes. A conditional G without labels draws balanced classes."""
        G = self.G_ema if self.G_ema is not None and self.use_ema else self.G
        if self.conditional and labels is None:
            labels = self.balanced_labels(len(z))
        was_training = G.training
        G.eval()
        if labels is None:
            out = torch.cat([G(z[i : i + 1000]) for i in range(0, len(z), 1000)])
        else:
            labels = labels.to(self.device)
            out = torch.cat(
                [G(z[i : i + 1000], labels[i : i + 1000]) for i in range(0, len(z), 1000)]
            )
        G.train(was_training)
        return out

    def fixed_view(self, fixed_noise: Tensor) -> Tensor:
        """The samples panel's fixed view: G on the run's fixed noise."""
        return self.generate(fixed_noise)

    @torch.no_grad()
    def score(self, x: Tensor) -> Tensor:
        """The anomaly score: D's raw output (its logit), high for what D takes for real. A
        conditional D scores each image under its most plausible class."""
        was_training = self.D.training
        self.D.eval()
        out = []
        for i in range(0, len(x), 1000):
            xb = x[i : i + 1000].to(self.device)
            if self.conditional:
                per_class = [
                    self.D(xb, torch.full((len(xb),), k, device=self.device))
                    for k in range(self.num_classes)
                ]
                out.append(torch.stack(per_class).amax(0))
            else:
                out.append(self.D(xb))
        self.D.train(was_training)
        return torch.cat(out).float()

    def init_g_from(self, state: dict[str, Any], source: str) -> None:
        """Load another run's G (a VAE's decoder) into G, and G_ema, before step 0. A layout
        that differs is one line naming the first layer that does."""
        theirs, ours = state["G"], self.G.state_dict()
        for name, t in ours.items():
            if name not in theirs:
                raise CheckpointError(f"{source}: its decoder has no layer {name} that G has")
            if tuple(theirs[name].shape) != tuple(t.shape):
                raise CheckpointError(
                    f"{source}: its decoder does not match G at {name}: "
                    f"{tuple(theirs[name].shape)} there, {tuple(t.shape)} in G (set this "
                    "preset's model.latent_dim and g_hidden to the VAE's)"
                )
        extra = next((k for k in theirs if k not in ours), None)
        if extra is not None:
            raise CheckpointError(f"{source}: its decoder has a layer {extra} that G has not")
        self.G.load_state_dict(theirs)
        if self.G_ema is not None:
            self.G_ema.load_state_dict(theirs)

    @torch.no_grad()
    def discriminate(self, x: Tensor) -> Tensor:
        was_training = self.D.training
        self.D.eval()
        out = self.loss.d_output(self.D(x))
        self.D.train(was_training)
        return out

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
        }
        if self.G_ema is not None:
            state["G_ema"] = self.G_ema.state_dict()
            state["ema_updates"] = self.ema_updates
        if self.loss.r1_gamma > 0:
            state["d_updates"] = self.d_updates
        if self.speed.scalers:
            state["scalers"] = self.speed.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any], source: str = "checkpoint") -> None:
        """Load G, D (and the optimizers when present); weights that do not fit the preset's
        networks are one CheckpointError line naming the first mismatch."""
        try:
            self.G.load_state_dict(state["G"])
            self.D.load_state_dict(state["D"])
            if self.G_ema is not None:
                # A checkpoint from before EMA was switched on starts the average at its G.
                self.G_ema.load_state_dict(state.get("G_ema", state["G"]))
                self.ema_updates = int(state.get("ema_updates", 0))
            self.d_updates = int(state.get("d_updates", 0))
            if "opt_g" in state:
                fused = self.speed.fused_adam
                load_optimizer(self.opt_g, state["opt_g"], fused)
                load_optimizer(self.opt_d, state["opt_d"], fused)
            self.speed.load_state_dict(state.get("scalers", {}))
        except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as err:
            lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
            detail = (lines[1] if len(lines) > 1 else lines[0] if lines else repr(err))[:200]
            raise CheckpointError(
                f"{source}: its weights do not fit its preset's networks ({detail})"
            ) from None


if TYPE_CHECKING:  # mypy holds GAN to the interface and to the protocols G/D families declare

    def _promises(
        m: GAN,
    ) -> tuple[Trainable, Scoring, Averaging, Distributable, WarmStartable, Critic]:
        return m, m, m, m, m, m


def load_optimizer(opt: torch.optim.Optimizer, saved: dict[str, Any], fused: bool) -> None:
    """Load an optimizer's state as this device runs it. A state dict carries its groups'
    settings, and torch places each parameter's `step` by the *saved* `fused` flag: a CPU-made
    checkpoint (fused None) would leave `step` on the CPU while its moments go to the GPU, and
    fused Adam fails at its first step there. So the saved groups take this run's flags first
    (torch then moves `step` itself), and the loaded groups keep them: the fused kernel on a
    GPU, so the fp16 scaler's inf check never syncs with the host."""
    groups = saved.get("param_groups") if isinstance(saved, dict) else None
    if isinstance(groups, list) and all(isinstance(g, dict) for g in groups):
        saved = {**saved, "param_groups": [{**g, "fused": fused or None, "foreach": None}
                                           for g in groups]}  # fmt: skip
    opt.load_state_dict(saved)
    for group in opt.param_groups:
        group["fused"], group["foreach"] = fused or None, None
