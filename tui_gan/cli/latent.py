"""`tui-gan grid` and `tui-gan interpolate`: the noise-by-class grid and walks in z, drawn in
the terminal or written to PNG/NPZ."""

from __future__ import annotations

import math
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tui_gan.errors import UsageError

if TYPE_CHECKING:  # sample.py imports torch: only the commands that draw import it
    from tui_gan.cli.sample import Loaded

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


def _image_gan(target: str, device: str, raw: bool) -> Loaded:
    from tui_gan.cli.sample import load_model

    loaded = load_model(target, device, raw)
    gan = loaded.model
    if gan.preset.data.name == "toy1d":
        raise UsageError(f"{target}: a 1-D run has no images; `tui-gan sample` shows its density")
    if not gan.has_latent:
        raise UsageError(
            f"{target}: a {gan.preset.model.family} run has no latent space to walk; "
            "`tui-gan sample` draws from it"
        )
    return loaded


def _check_out(out: Path | None) -> None:
    if out is not None and out.suffix.lower() not in (".png", ".npz"):
        raise UsageError(f"--out {out}: expected FILE.png or FILE.npz")


@dataclass(frozen=True)
class Caption:
    """What a picture in the terminal says about itself: labels over its columns (class
    names, or each column's t), and sentences under it."""

    text: tuple[str, ...]
    classes: tuple[str, ...] | None = None
    t: tuple[float, ...] | None = None

    def labels(self, field: int) -> tuple[str, ...]:
        """The column labels, each at most `field` characters."""
        if self.t is not None:
            return tuple(t_label(v, field) for v in self.t)
        return self.classes or ()


def t_label(t: float, field: int) -> str:
    """A column's t in at most `field` characters; the two ends of the walk, z0 and z1,
    marked as t=0 and t=1."""
    if t in (0.0, 1.0):
        options = [f"t={t:g}", f"{t:g}"]
    else:
        short = f"{t:.2g}"
        options = [short, short.replace("0.", ".", 1), f"{t:.1g}".replace("0.", ".", 1)]
    return next((o for o in options if len(o) <= field), options[-1][:field])


def between(t: np.ndarray, target: float) -> str | None:
    """Where t=target falls when no column has it: "between columns 2 and 3" (from 1)."""
    if (t == target).any() or not t[0] < target < t[-1]:
        return None
    i = int(np.searchsorted(t, target))
    return f"t={target:g} falls between columns {i} and {i + 1}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def run_grid(
    target: str, rows: int, seed: int, out: Path | None, device: str, raw: bool = False
) -> None:
    from tui_gan.cli.sample import generator_name, which_g
    from tui_gan.engine.latent import class_grid, to_uint8
    from tui_gan.render.tiling import class_labels

    _check_out(out)
    loaded = _image_gan(target, device, raw)
    gan = loaded.model
    x, labels, cols = class_grid(gan, rows, seed)
    what = f"{rows} rows x {cols} classes" if gan.conditional else f"{rows} rows of {cols}"
    arrays = {"images": to_uint8(x), "labels": labels.cpu().numpy()}
    shape = (
        f"{_n(rows, 'row')} (one z each, drawn as every class) x {cols} classes"
        if gan.conditional
        else f"{_n(rows, 'row')} of {cols} independent samples"
    )
    caption = Caption(
        (f"{loaded.run} @ step {loaded.step}, {generator_name(gan)}", shape),
        classes=class_labels(gan.preset.data.name, cols) if gan.conditional else None,
    )
    _emit(x, arrays, cols, out, f"{what} from {which_g(gan)}", caption)


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
    from tui_gan.cli.sample import generator_name, which_g
    from tui_gan.engine.latent import interpolation, to_uint8

    lo, hi = parse_range(t_range)
    _check_out(out)
    loaded = _image_gan(target, device, raw)
    gan = loaded.model
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
    walk = f"{_n(rows, 'walk')} of {steps} steps ({mode}), each row from z0 (t=0) to z1 (t=1)"
    if lo < 0 or hi > 1:
        walk += " and past them (t < 0 or t > 1)"
    if gan.conditional:
        walk += f", all class {label}" if label is not None else ", row r of class r mod k"
    notes = [n for n in (between(arrays["t"], 0.0), between(arrays["t"], 1.0)) if n]
    caption = Caption(
        (
            f"{loaded.run} @ step {loaded.step}, {generator_name(gan)}",
            f"{walk}; t over each column" + "".join(f"; {n}" for n in notes),
        ),
        t=tuple(float(v) for v in arrays["t"]),
    )
    _emit(x, arrays, steps, out, f"{what} from {which_g(gan)}", caption)


def _emit(
    x, arrays: dict[str, np.ndarray], ncol: int, out: Path | None, what: str, caption: Caption
) -> None:
    """Draw in the terminal (rows of `ncol` tiles, labelled), or write the PNG or the NPZ."""
    if out is None:
        draw(arrays["images"], ncol, caption)
        return
    from tui_gan.rundir.write import write_file

    if out.suffix.lower() == ".npz":
        named: dict[str, Any] = dict(arrays)  # numpy's stubs take ** for allow_pickle
        write_file(out, lambda fh: np.savez_compressed(fh, **named))
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


def draw(images: np.ndarray, ncol: int, caption: Caption) -> None:
    """N x C x H x W uint8 samples in rows of `ncol`, every row, as large as the terminal's
    width lets all the columns be: colour on a terminal, the ASCII ramp into a pipe or a
    file, under NO_COLOR or TERM=dumb. Labels over the columns (again under them when the
    picture is taller than the screen), the caption under it, wrapped to the width."""
    from tui_gan.cli.sample import terminal_room
    from tui_gan.render.ascii import PIXEL_WIDTH, draw_rows, luminance, pick_render
    from tui_gan.render.tiling import column_layout, label_line

    mode = pick_render(os.environ, sys.stdout.isatty())
    room = terminal_room(mode)
    px = PIXEL_WIDTH if mode == "ascii" else 1
    if images.shape[1] == 1:
        tiles = images[:, 0]
    else:  # colour samples: their luminance (the layout is greyscale)
        tiles = luminance(images.transpose(0, 2, 3, 1)).round().astype(np.uint8)
    bands = column_layout(tiles, ncol, (), room.width)
    labels = caption.labels(bands.side * px)
    lines: list[str] = []
    heads: list[str] = []
    k = 0
    for band in bands.bands:
        head = label_line(labels[k : k + len(band.labels)], bands.side * px, px)
        k += len(band.labels)
        heads.append(head)
        if head:
            lines.append(head)
        lines.extend(draw_rows(band.image, mode))
    if len(lines) > room.lines and len(heads) == 1 and heads[0]:
        lines.append(heads[0])  # the labels' first line has scrolled away
    for sentence in caption.text:
        text = (
            sentence if mode != "ascii" else sentence.encode("ascii", "backslashreplace").decode()
        )
        lines.extend(textwrap.wrap(text, max(20, room.cols)))
    print("\n".join(lines))
