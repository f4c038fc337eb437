"""`tui-gan sample`: draw samples from a checkpoint to PNG, NPZ, a folder or the terminal."""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch

from tui_gan.engine import family as interface
from tui_gan.engine.checkpoint import (
    load_run_checkpoint,
    preset_from_checkpoint,
    resolve_checkpoint,
)
from tui_gan.engine.device import pick_device
from tui_gan.engine.family import Trainable
from tui_gan.errors import UsageError, one_line
from tui_gan.families import family, with_capability
from tui_gan.rundir.names import LAST
from tui_gan.rundir.write import write_file

OPTIMIZERS = ("opt", "opt_g", "opt_d")  # what sampling and scoring never need
FILE_N = 64  # samples written to a file when --n is not given
MOST_SHOWN = 64  # in a terminal: as many as fit legibly, but never more than this
CAPTION_LINES = 2  # terminal lines kept under a picture: its caption and the prompt


@dataclass(frozen=True)
class Loaded:
    """A model rebuilt from a checkpoint, with where and when it was saved (for captions)."""

    model: Trainable
    path: Path
    step: int

    @property
    def run(self) -> str:
        """The run's name as a caption shows it: its folder, and the file unless last.pt."""
        name = self.path.parent.name or str(self.path.parent)
        return one_line(name if self.path.name == LAST else f"{name}/{self.path.name}")


def load_gan(
    target: str, device: str = "auto", raw: bool = False, mcmc_steps: int | None = None
) -> Trainable:
    """Rebuild a run's model from a checkpoint, on the device, without its optimizer state:
    samples from a moving average unless `raw` (caps.ema), chains of `mcmc_steps`, default
    its preset's, where samples are chains (caps.chains)."""
    return load_model(target, device, raw, mcmc_steps).model


def load_model(
    target: str, device: str = "auto", raw: bool = False, mcmc_steps: int | None = None
) -> Loaded:
    """load_gan, with the checkpoint's path and step."""
    path = resolve_checkpoint(target)
    state = load_run_checkpoint(path)
    preset = preset_from_checkpoint(state, f"{path} (preset)")
    fam = family(preset.model.family)
    model = interface.build(fam, preset, channels=1, device=pick_device(device), training=False)
    model.load_state_dict({k: v for k, v in state.items() if k not in OPTIMIZERS}, str(path))
    if (ema := interface.averaging(model)) is not None:
        ema.use_ema = not raw
    if mcmc_steps is not None:
        chains = interface.chains(model)
        if chains is None:
            runs = " or ".join(with_capability("chains")) or "chain-sampled"
            raise UsageError(
                f"--mcmc-steps is for {runs} runs; {path} is a {preset.model.family} run"
            )
        chains.sample_steps = mcmc_steps
    return Loaded(model, path, int(state["step"]))


def _source(model: Trainable, short: bool) -> str:
    chains = interface.chains(model)
    return family(model.preset.model.family).sampler_text(
        short, ema=model.generator == "ema", steps=chains.sample_steps if chains else 0
    )


def which_g(model: Trainable) -> str:
    """How a sample's source is named to the user (its family's words)."""
    return _source(model, short=False)


def generator_name(model: Trainable) -> str:
    """The drawing network, short, for a caption: EMA or raw G, the VAE's decoder."""
    return _source(model, short=True)


@dataclass(frozen=True)
class Room:
    """Where a picture goes in this terminal: its columns and lines (CAPTION_LINES kept for
    the caption and the prompt), and the same in pixels for tiling's layouts: `width`
    pixels across, `height` half-block rows (two pixel rows each). The ASCII ramp draws a
    pixel PIXEL_WIDTH characters wide and one line tall."""

    cols: int
    lines: int
    width: int
    height: int


def terminal_room(mode: str) -> Room:
    """COLUMNS and LINES win; a pipe or a file counts as 80x24."""
    from tui_gan.render.ascii import PIXEL_WIDTH

    cols, lines = shutil.get_terminal_size((80, 24))
    lines = max(2, lines - CAPTION_LINES)
    if mode == "ascii":
        return Room(cols, lines, max(1, cols // PIXEL_WIDTH), max(1, lines // 2))
    return Room(cols, lines, max(1, cols), lines)


def legible_count(size: int, width: int, height_cells: int) -> int:
    """How many size-pixel samples fit drawn legibly (tiling.LEGIBLE a side), 1 at least."""
    from tui_gan.render.tiling import LEGIBLE, count

    return max(1, min(MOST_SHOWN, count(min(size, LEGIBLE), width, height_cells)))


def fit_all(images: np.ndarray, width: int, height_cells: int) -> np.ndarray | None:
    """N x C x H x W samples as one grid, 1 px apart, every one at the largest side (at most
    their own) at which all N fit; None when not even 1 px each does."""
    from tui_gan.render.halfblock import make_grid
    from tui_gan.render.tiling import count, resize_tiles

    n, c, size = images.shape[0], images.shape[1], images.shape[2]
    side = next((s for s in range(size, 0, -1) if count(s, width, height_cells) >= n), 0)
    if not side:
        return None
    small = resize_tiles(images.reshape(n * c, size, images.shape[3]), side)
    cols = min(n, (width + 1) // (side + 1))
    return make_grid(small.reshape(n, c, side, side), ncol=cols, pad=1)


def run_sample(
    target: str,
    n: int | None,
    seed: int,
    out: Path | None,
    device: str,
    raw: bool = False,
    mcmc_steps: int | None = None,
) -> None:
    """`n` None: FILE_N into a file, and in the terminal as many as fit legibly there."""
    from tui_gan.render.ascii import pick_render

    gan = load_gan(target, device, raw, mcmc_steps)
    mode = pick_render(os.environ, sys.stdout.isatty())
    room = terminal_room(mode)
    image = gan.preset.data.name != "toy1d"
    fitted = n is None and out is None and image
    if n is None:
        n = legible_count(gan.preset.data.image_size, room.width, room.height) if fitted else FILE_N
    z = gan.sample_z(n, torch.Generator(gan.device).manual_seed(seed))
    t0 = time.perf_counter()
    x = gan.generate(z).cpu()
    took = time.perf_counter() - t0
    if gan.preset.data.name == "toy1d":
        _write_1d(x.view(-1).numpy(), out)
        return
    images = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    if out is None:
        from tui_gan.render.ascii import draw_rows, render_image
        from tui_gan.render.halfblock import make_grid

        # Colour on a terminal; the ASCII ramp into a pipe or file, under NO_COLOR or TERM=dumb.
        grid = fit_all(images, room.width, room.height)
        if grid is None:  # more than fit at a pixel each: the whole grid, shrunk
            print(render_image(make_grid(images, pad=1), room.cols, room.lines, mode))
        else:
            print("\n".join(draw_rows(grid, mode)))
        why = " (as many as fit legibly; --n sets the number)" if fitted else ""
        print(f"{n} samples from {which_g(gan)} in {took:.1f}s{why}", file=sys.stderr)
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
            write_file(out / f"{i:06d}.png", partial(pic.save, format="PNG"), out)
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
