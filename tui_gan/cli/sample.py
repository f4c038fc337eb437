"""`tui-gan sample`: draw samples from a checkpoint to PNG, NPZ, a folder or the terminal."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from tui_gan.engine.checkpoint import load_run_checkpoint, resolve_checkpoint
from tui_gan.engine.device import pick_device
from tui_gan.engine.trainer import preset_from_checkpoint
from tui_gan.errors import UsageError
from tui_gan.families import family
from tui_gan.safewrite import write_file

OPTIMIZERS = ("opt", "opt_g", "opt_d")  # what sampling and scoring never need


def load_gan(target: str, device: str = "auto", raw: bool = False, mcmc_steps: int | None = None):
    """Rebuild a run's model from a checkpoint, on the device, without its optimizer state:
    a GAN (samples from G_ema unless `raw`), an EBM (fresh chains of `mcmc_steps`, default
    its preset's ebm.sample_steps) or a VAE (its decoder)."""
    path = resolve_checkpoint(target)
    state = load_run_checkpoint(path)
    preset = preset_from_checkpoint(state, f"{path} (preset)")
    cls = family(preset.model.family).trainable()
    model = cls(preset, channels=1, device=pick_device(device), training=False)
    model.load_state_dict({k: v for k, v in state.items() if k not in OPTIMIZERS}, str(path))
    model.use_ema = not raw
    if mcmc_steps is not None:
        if not hasattr(model, "sample_steps"):
            raise UsageError(f"--mcmc-steps is for ebm runs; {path} is a {preset.model.family} run")
        model.sample_steps = mcmc_steps
    return model


def which_g(model) -> str:
    """How a sample's source is named to the user."""
    kind = family(model.preset.model.family).kind
    if kind == "ebm":
        return f"{model.sample_steps} Langevin steps from noise"
    if kind == "vae":
        return "the VAE's decoder"
    return "the EMA generator" if model.sampling_ema else "the live generator"


def run_sample(
    target: str,
    n: int,
    seed: int,
    out: Path | None,
    device: str,
    raw: bool = False,
    mcmc_steps: int | None = None,
) -> None:
    gan = load_gan(target, device, raw, mcmc_steps)
    z = gan.sample_z(n, torch.Generator(gan.device).manual_seed(seed))
    t0 = time.perf_counter()
    x = gan.generate(z).cpu()
    took = time.perf_counter() - t0
    if gan.preset.data.name == "toy1d":
        _write_1d(x.view(-1).numpy(), out)
        return
    images = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    if out is None:
        from tui_gan.render.ascii import pick_render, render_image
        from tui_gan.render.halfblock import make_grid

        cols, rows = shutil.get_terminal_size((80, 24))
        grid = make_grid(images, pad=1)
        # Colour on a terminal; the ASCII ramp into a pipe or file, under NO_COLOR or TERM=dumb.
        mode = pick_render(os.environ, sys.stdout.isatty())
        print(render_image(grid, cols, max(4, rows - 2), mode))
        print(f"{n} samples from {which_g(gan)} in {took:.1f}s", file=sys.stderr)
        return
    suffix = out.suffix.lower()
    if suffix == ".npz":
        write_file(out, lambda fh: np.savez_compressed(fh, images=images))
    elif suffix in (".png", ".jpg", ".jpeg"):
        from torchvision.utils import save_image

        fmt = "jpeg" if suffix in (".jpg", ".jpeg") else "png"
        nrow = max(1, int(n**0.5))
        write_file(
            out,
            lambda fh: save_image(
                x, fh, format=fmt, nrow=nrow, normalize=True, value_range=(-1, 1)
            ),
        )
    elif suffix == "":
        from PIL import Image

        for i, img in enumerate(images):
            pic = Image.fromarray(img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0))
            # Within the folder named: a planted link among the files is never written through.
            write_file(out / f"{i:06d}.png", lambda fh, p=pic: p.save(fh, format="PNG"), out)
    else:
        raise UsageError(f"--out {out}: expected FILE.png, FILE.npz or a folder")
    print(f"wrote {n} samples from {which_g(gan)} to {out} (sampling took {took:.1f}s)")


def _write_1d(values: np.ndarray, out: Path | None) -> None:
    if out is not None:
        if out.suffix.lower() != ".npz":
            raise UsageError(f"--out {out}: a 1-D model writes FILE.npz (its samples)")
        write_file(out, lambda fh: np.savez_compressed(fh, samples=values))
        print(f"wrote {len(values)} samples to {out}")
        return
    # A terminal histogram: one bar a row, enough to see the learned shape.
    counts, edges = np.histogram(values, bins=20)
    top = counts.max() or 1
    width = max(10, shutil.get_terminal_size((80, 24)).columns - 20)
    from tui_gan.render.ascii import pick_render

    bar = "#" if pick_render(os.environ, sys.stdout.isatty()) == "ascii" else "█"
    for c, lo in zip(counts, edges[:-1], strict=True):
        sys.stdout.write(f"{lo:+7.2f} {bar * int(round(c / top * width))}\n")
