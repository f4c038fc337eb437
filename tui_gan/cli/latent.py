"""`tui-gan grid` and `tui-gan interpolate`: the noise-by-class grid and walks in z, drawn in
the terminal or written to PNG/NPZ."""

from __future__ import annotations

import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from tui_gan.errors import UsageError

MAX_T = 100.0  # |t| beyond this walks z out to noise G never saw; refused as a likely typo


def parse_range(text: str) -> tuple[float, float]:
    """`A,B` -> (A, B): two finite numbers, A < B, within [-MAX_T, MAX_T]."""
    parts = text.split(",")
    try:
        lo, hi = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise UsageError(f"--range {text}: expected A,B with A < B, e.g. 0,1 or -1,2")
    if max(abs(lo), abs(hi)) > MAX_T:
        raise UsageError(f"--range {text}: expected numbers within [-{MAX_T:g}, {MAX_T:g}]")
    return lo, hi


def _image_gan(target: str, device: str, raw: bool):
    from tui_gan.cli.sample import load_gan

    gan = load_gan(target, device, raw)
    if gan.preset.data.name == "toy1d":
        raise UsageError(f"{target}: a 1-D run has no images; `tui-gan sample` shows its density")
    if not gan.has_latent:
        raise UsageError(
            f"{target}: a {gan.preset.model.family} run has no latent space to walk; "
            "`tui-gan sample` draws from it"
        )
    return gan


def _check_out(out: Path | None) -> None:
    if out is not None and out.suffix.lower() not in (".png", ".npz"):
        raise UsageError(f"--out {out}: expected FILE.png or FILE.npz")


def run_grid(
    target: str, rows: int, seed: int, out: Path | None, device: str, raw: bool = False
) -> None:
    from tui_gan.cli.sample import which_g
    from tui_gan.engine.latent import class_grid, to_uint8

    _check_out(out)
    gan = _image_gan(target, device, raw)
    x, labels, cols = class_grid(gan, rows, seed)
    what = f"{rows} rows x {cols} classes" if gan.conditional else f"{rows} rows of {cols}"
    arrays = {"images": to_uint8(x), "labels": labels.cpu().numpy()}
    _emit(x, arrays, cols, out, f"{what} from {which_g(gan)}")


def run_interpolate(
    target: str,
    rows: int,
    steps: int,
    t_range: str,
    mode: str,
    seed: int,
    label: int | None,
    out: Path | None,
    device: str,
    raw: bool = False,
) -> None:
    from tui_gan.cli.sample import which_g
    from tui_gan.engine.latent import interpolation, to_uint8

    lo, hi = parse_range(t_range)
    _check_out(out)
    gan = _image_gan(target, device, raw)
    if label is not None:
        if not gan.conditional:
            raise UsageError(f"--class {label}: {target} is not a conditional run")
        if not 0 <= label < gan.num_classes:
            raise UsageError(f"--class {label}: expected a class in 0..{gan.num_classes - 1}")
    x, t, labels = interpolation(gan, rows, steps, (lo, hi), mode, seed, label)  # type: ignore[arg-type]
    arrays = {"images": to_uint8(x), "t": t.numpy()}
    if labels is not None:
        arrays["labels"] = labels.cpu().numpy()
    what = f"{rows} walks of {steps} steps, t from {lo:g} to {hi:g} ({mode})"
    _emit(x, arrays, steps, out, f"{what} from {which_g(gan)}")


def _emit(x, arrays: dict[str, np.ndarray], ncol: int, out: Path | None, what: str) -> None:
    """Draw in the terminal (rows of `ncol` tiles), or write the PNG or the NPZ."""
    if out is None:
        from tui_gan.render.ascii import pick_render, render_image
        from tui_gan.render.halfblock import make_grid

        cols, lines = shutil.get_terminal_size((80, 24))
        grid = make_grid(arrays["images"], ncol=ncol, pad=1)
        # Colour on a terminal; the ASCII ramp into a pipe or file, under NO_COLOR or TERM=dumb.
        mode = pick_render(os.environ, sys.stdout.isatty())
        print(render_image(grid, cols, max(4, lines - 2), mode))
        return
    from tui_gan.safewrite import write_file

    if out.suffix.lower() == ".npz":
        write_file(out, lambda fh: np.savez_compressed(fh, **arrays))
    else:
        from torchvision.utils import save_image

        x = x.cpu()
        write_file(
            out,
            lambda fh: save_image(
                x, fh, format="png", nrow=ncol, normalize=True, value_range=(-1, 1)
            ),
        )
    print(f"wrote {what} to {out}")
