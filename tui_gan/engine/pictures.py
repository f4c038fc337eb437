"""What a run draws of its model, and measures of what it draws: the sample grids (fixed,
fresh.png, a VAE's recon.png) with their class counts, a 1-D run's histograms, the checkpoint's
interpolation strip, the evaluations. Each returns its record's fields but its step, epoch and
time, which the loop stamps when it is done."""

from __future__ import annotations

import math
from collections.abc import Generator
from pathlib import Path
from typing import Any

import torch

from tui_gan.engine import capabilities as caps
from tui_gan.engine import events as ev
from tui_gan.engine.context import RunContext
from tui_gan.rundir.write import write_file

FRESH_PREVIEW = 64  # fresh samples drawn into fresh.png for the dashboard's "random" view
INTERP_ROWS, INTERP_STEPS = 4, 8  # the checkpoint's interpolation strip: 4 walks of 8 steps
RECON_PAIRS, RECON_NROW = 32, 8  # the VAE's recon.png: 32 (real, reconstruction) pairs
HIST_BINS = 60
CURVE_POINTS = 121


def eval_generator(ctx: RunContext, step: int) -> torch.Generator:
    """Separate from the training generator, so sampling never shifts training randomness."""
    return torch.Generator(ctx.device).manual_seed(ctx.preset.train.seed * 7919 + step)


def samples(ctx: RunContext, step: int, first: bool = False) -> dict[str, Any]:
    """The grids of an image run, and the class counts of its fresh samples. `first`: the
    early grid, which draws only the fresh samples it shows (an EBM's count_samples chains
    cost ~10 s on a CPU) and counts no classes (an untrained G's few would read as a collapse)."""
    gan, rd, n = ctx.gan, ctx.rd, ctx.preset.log.count_samples
    if first:
        k = gan.num_classes if gan.conditional else 1
        n = min(n, max(k, FRESH_PREVIEW // k * k))
    path = rd.sample_path(step)
    if gan.conditional:
        from tui_gan.engine.latent import noise_by_class

        # The noise-by-class grid: row r is fixed z number r drawn as every class in turn.
        rows = max(1, len(ctx.fixed_noise) // gan.num_classes)
        images, _ = noise_by_class(gan, ctx.fixed_noise[:rows])
        nrow = write_grid(images, path, rd.path, nrow=gan.num_classes)
    else:
        nrow = write_grid(gan.fixed_view(ctx.fixed_noise), path, rd.path)
    recon: dict[str, Any] = {}
    if caps.reconstructs(gan) and ctx.data is not None:
        recon = _recon_grid(ctx)
    labels = gan.balanced_labels(n)  # None unless conditional: then class i % k for i
    fresh = gan.generate(gan.sample_z(n, eval_generator(ctx, step)), labels)
    fresh_path = rd.samples / "fresh.png"
    if gan.conditional:  # whole rows of 0..k-1, so each column is one class
        k = gan.num_classes
        preview = fresh[: max(k, FRESH_PREVIEW // k * k)]
        fresh_nrow = write_grid(preview, fresh_path, rd.path, nrow=min(k, len(preview)))
    else:
        fresh_nrow = write_grid(fresh[:FRESH_PREVIEW], fresh_path, rd.path)
    classifier = ctx.counter.model if ctx.counter is not None else None
    counted: dict[str, Any] = {}
    if classifier is not None and ctx.num_classes and not first:
        counted = _class_counts(classifier, fresh, labels, n, ctx.num_classes)
    return dict(
        path=rd.relative(path),
        nrow=nrow,
        fresh=rd.relative(fresh_path),
        fresh_nrow=fresh_nrow,
        generator=gan.generator,
        **counted,
        **recon,
    )


def _class_counts(
    classifier: Any, fresh: torch.Tensor, labels: torch.Tensor | None, n: int, num_classes: int
) -> dict[str, Any]:
    from tui_gan.engine.classifier import classify, stats_of
    from tui_gan.engine.metrics import cond_accuracy

    preds = classify(classifier, fresh)
    counts, entropy, covered = stats_of(preds, num_classes)
    counted: dict[str, Any] = dict(
        class_counts=counts,
        class_entropy=round(entropy, 4),
        classes_covered=covered,
        n=n,
    )
    if labels is not None:
        acc = cond_accuracy(preds.cpu().numpy(), labels.cpu().numpy(), num_classes)
        counted["cond_accuracy"] = [round(a, 4) for a in acc]
    return counted


def _recon_grid(ctx: RunContext) -> dict[str, Any]:
    """samples/recon.png: fixed real images each beside its reconstruction (VAE runs)."""
    from tui_gan.engine.data import first_images

    assert ctx.data is not None
    real = first_images(ctx.data, RECON_PAIRS).to(ctx.device)
    pairs = torch.stack([real, caps.reconstruct(ctx.gan, real)], 1).flatten(0, 1)
    path = ctx.rd.samples / "recon.png"
    nrow = write_grid(pairs, path, ctx.rd.path, nrow=RECON_NROW)
    return dict(recon=ctx.rd.relative(path), recon_nrow=nrow)


def toy_snapshot(ctx: RunContext, step: int) -> dict[str, Any]:
    """A 1-D run's picture: real and generated histograms, and D's curve over the range."""
    t, gan, n = ctx.target, ctx.gan, ctx.preset.log.count_samples
    assert t is not None
    g = eval_generator(ctx, step)
    real = t.sample(n, torch.Generator().manual_seed(step), ctx.device).view(-1)
    fake = gan.generate(gan.sample_z(n, g)).view(-1)
    edges = torch.linspace(t.lo, t.hi, HIST_BINS + 1)
    real_h = torch.histc(real.float().cpu(), HIST_BINS, t.lo, t.hi) / n
    fake_h = torch.histc(fake.float().cpu(), HIST_BINS, t.lo, t.hi) / n
    xs = torch.linspace(t.lo, t.hi, CURVE_POINTS, device=ctx.device)
    d_curve = caps.critic_curve(gan, xs.view(-1, 1)).view(-1)
    return dict(
        n=n,
        bin_edges=_rounded(edges),
        real_hist=_rounded(real_h),
        fake_hist=_rounded(fake_h),
        x_grid=_rounded(xs),
        d_curve=_rounded(d_curve),
        generator=gan.generator,
    )


def interp_strip(ctx: RunContext) -> Path | None:
    """samples/interp.png: the same INTERP_ROWS walks between fixed z pairs at every
    checkpoint, so the dashboard's interpolation view shows how G's latent space settles."""
    if ctx.toy or not ctx.gan.has_latent:
        return None
    from tui_gan.engine.latent import interpolation

    seed = ctx.preset.train.seed + 2  # fixed_noise took seed + 1
    images, _, _ = interpolation(ctx.gan, INTERP_ROWS, INTERP_STEPS, seed=seed)
    path = ctx.rd.samples / "interp.png"
    write_grid(images, path, ctx.rd.path, nrow=INTERP_STEPS)
    return path


class Evaluations:
    """The loop's evaluations (log.eval_every): the data's side is built at the first."""

    def __init__(self) -> None:
        self.data_side: Any = None  # evaluate.EvalContext

    def run(self, ctx: RunContext, step: int) -> Generator[ev.Notice, None, dict[str, Any] | None]:
        """Why there is no evaluation, as notices, or the Evaluated record's fields."""
        from tui_gan.engine.evaluate import build_context, evaluate

        counter = ctx.counter
        if counter is not None and counter.pending:  # its features are FID's
            note = f"no evaluation at step {step}: the classifier is not ready"
            yield ev.Notice(step=step, message=note)
            return None
        if self.data_side is None:
            classifier = counter.model if counter is not None else None
            self.data_side = build_context(
                ctx.preset, ctx.device, ctx.classifier_dir, data=ctx.data, classifier=classifier
            )
            if not self.data_side.toy and self.data_side.classifier is None:
                note = "eval_every: this data set has no classifier; no evaluations"
                yield ev.Notice(step=step, message=note, level="warning")
        if not self.data_side.toy and self.data_side.classifier is None:
            return None
        n, seed = ctx.preset.log.eval_n, ctx.preset.train.seed + step
        result = evaluate(ctx.gan, self.data_side, n=n, seed=seed)
        return {k: _finite(v) if isinstance(v, float) else v for k, v in result.items()}


def write_grid(images: torch.Tensor, path: Path, within: Path, nrow: int | None = None) -> int:
    """A grid PNG of samples in [-1, 1], square-ish unless nrow is given; returns its tiles
    per row (the record says it, so a reader cuts the grid right whatever the count)."""
    from torchvision.utils import save_image

    nrow = nrow or max(1, int(math.sqrt(len(images))))
    # The safe writer: a reader never sees half a PNG, and a link planted at the name (or at
    # samples/) is never written through.
    write_file(
        path,
        lambda fh: save_image(
            images, fh, format="png", nrow=nrow, normalize=True, value_range=(-1, 1)
        ),
        within=within,
    )
    return nrow


def _rounded(t: torch.Tensor) -> list[float]:
    return [round(v, 5) for v in t.float().cpu().tolist()]


def _finite(v: float) -> float | None:
    """Rounded for the record; None for a NaN (a degenerate covariance, say): not a number."""
    return round(v, 6) if math.isfinite(v) else None
