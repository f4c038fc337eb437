"""Samples drawn with half-blocks: the fixed-noise grid or the latest fresh samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_gan.render.halfblock import UPPER_HALF_BLOCK, area_resize, halfblock_cells, make_grid
from tui_gan.render.images import open_grid
from tui_gan.tui.runview import RunView
from tui_gan.tui.widgets.base import ViewPanel

PAD = 2  # torchvision save_image's default padding between tiles
MIN_TILE_PX = 12  # below this a digit stops being readable


def load_tiles(path: Path, tile: int, nrow: int) -> np.ndarray | None:
    """Cut a torchvision grid PNG back into N x H x W uint8 tiles (greyscale)."""
    img = open_grid(path, "L")
    if img is None:
        return None
    grid = np.asarray(img)
    step = tile + PAD
    rows, cols = (grid.shape[0] - PAD) // step, min(nrow, (grid.shape[1] - PAD) // step)
    tiles = [
        grid[PAD + r * step : PAD + r * step + tile, PAD + c * step : PAD + c * step + tile]
        for r in range(rows)
        for c in range(cols)
    ]
    return np.stack(tiles) if tiles else None


def shrink(tiles: np.ndarray, factor: int) -> np.ndarray:
    """Each N x H x W tile box-filtered down by an integer factor (a ragged edge is cut)."""
    if factor <= 1:
        return tiles
    _, h, w = tiles.shape
    h2, w2 = h // factor, w // factor
    cut = tiles[:, : h2 * factor, : w2 * factor].transpose(1, 2, 0).astype(np.float32)
    return area_resize(cut, h2, w2).transpose(2, 0, 1).round().astype(np.uint8)


def layout(tiles: np.ndarray, width: int, height_cells: int, ncol: int | None = None) -> np.ndarray:
    """As many tiles as fit at a readable size, tiled into one HxWx3 image; with `ncol`, whole
    rows of that many tiles (a strip keeps its steps together), shrunk until a row fits."""
    n, size = tiles.shape[0], tiles.shape[1]
    height_px = 2 * height_cells
    if ncol:
        ncol = min(ncol, n)
        factor = 1
        while ncol * (size // factor + 1) > width + 1 and size // factor > 1:
            factor += 1
        small = shrink(tiles, factor)
        t = small.shape[1]
        rows = max(1, min(n // ncol, (height_px + 1) // (t + 1)))
        return make_grid(small[: ncol * rows], ncol=ncol, pad=1)

    def fits(factor: int) -> int:
        t = size // factor
        return ((width + 1) // (t + 1)) * ((height_px + 1) // (t + 1))

    # Full size if every tile fits; else shrink while tiles stay readable, for more of them.
    factor = 1
    while fits(factor) < n and size // (factor + 1) >= MIN_TILE_PX:
        factor += 1
    while fits(factor) == 0 and size // factor > 1:  # tiny panel: shrink until one fits
        factor += 1
    small = shrink(tiles, factor)
    t = small.shape[1]
    cols = max(1, min(n, (width + 1) // (t + 1)))
    rows = max(1, min((n + cols - 1) // cols, (height_px + 1) // (t + 1)))
    return make_grid(small[: cols * rows], ncol=cols, pad=1)


def to_strips(img: np.ndarray, width: int) -> list[Strip]:
    """Half-block rows as Strips, padded to the panel width; built once per image and size."""
    styles: dict[tuple, Style] = {}
    strips = []
    for row in halfblock_cells(img):
        segments = []
        for fg, bg in row:
            style = styles.get((fg, bg))
            if style is None:
                style = styles[(fg, bg)] = Style(color=f"rgb{fg}", bgcolor=f"rgb{bg}")
            segments.append(Segment(UPPER_HALF_BLOCK, style))
        strips.append(Strip(Segment.simplify(segments)).extend_cell_length(width))
    return strips


class SampleModes:
    """The `f` cycle shared by both sample panels: fixed view, fresh samples, and a VAE's
    reconstructions when the run draws them."""

    fresh = False
    recon = False
    view: RunView | None

    def next_mode(self) -> str:
        has_recon = bool(self.view and self.view.samples and self.view.samples.recon)
        if not self.fresh and not self.recon:
            self.fresh = True
        elif self.fresh and has_recon:
            self.fresh, self.recon = False, True
        else:
            self.fresh = self.recon = False
        return self.mode_name(self.view)

    def fit_mode(self, view: RunView) -> None:
        """Back to the fixed view when the run on screen draws no reconstructions (another
        run was picked while `f` showed a VAE's)."""
        if self.recon and not (view.samples and view.samples.recon):
            self.recon = False

    def mode_name(self, view: RunView | None) -> str:
        kind = view.kind.kind if view else "gan"
        if self.recon:
            return "real | reconstruction"
        if kind == "ebm":  # an EBM has no noise to fix: its fixed view is the replay buffer
            return "fresh chains" if self.fresh else "replay buffer"
        if self.fresh:
            return "fresh samples"
        return "noise x class" if view and view.conditional else "fixed noise"


class SamplePanel(SampleModes, ViewPanel):
    """Drawn line by line from cached Strips: a redraw costs nothing until the image changes."""

    def __init__(self, **kwargs):
        super().__init__("samples: fixed noise", **kwargs)
        self.interp = False  # the latest checkpoint's latent walks instead of the samples
        self._key: tuple | None = None
        self._strips: list[Strip] = []

    def signature(self, view):
        return (
            view.run_dir,
            view.samples and view.samples.step,
            view.interp and view.interp.step,
            self.fresh,
            self.recon,
            self.interp,
        )

    def update_view(self, view) -> None:
        self.fit_mode(view)
        s = view.samples
        if self.interp:
            c = view.interp
            at = f" @ checkpoint {c.step}" if c else ""
            self.border_title = f"latent walks z0 -> z1{at}  (i closes)"
            super().update_view(view)
            return
        which = self.mode_name(view)
        if s and s.generator == "ema":  # drawn by G's moving average; short, to fit 80 columns
            self.border_title = f"{which}, EMA G @ {s.step}  (f)"
        else:
            at = f" @ step {s.step}" if s else ""
            self.border_title = f"samples: {which}{at}  (f toggles)"
        super().update_view(view)

    def toggle(self) -> str:
        """The next view of the `f` cycle; returns its name."""
        name = self.next_mode()
        if self.view is not None:
            self.update_view(self.view)
        return name

    def toggle_interp(self) -> bool:
        self.interp = not self.interp
        if self.view is not None:
            self.update_view(self.view)
        return self.interp

    def _message(self, text: str) -> list[Strip]:
        return [Strip([Segment(text, Style(dim=True))])]

    def strips(self) -> list[Strip]:
        v = self.view
        grid = v.sample_grid(self.fresh, self.interp, self.recon) if v else None
        if v is None or grid is None:
            if self.interp and v is not None and v.kind.kind == "ebm":
                return self._message("an EBM has no latent space to walk (f: fresh chains)")
            if self.interp:
                return self._message("no latent walks yet: each checkpoint draws them")
            return self._message("no samples yet")
        path, nrow = grid
        w, h = self.content_size.width, self.content_size.height
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return self._message(f"{path.name} not found")
        key = (path, mtime, w, h)
        if key != self._key:
            tiles = load_tiles(path, v.image_size, nrow)
            if tiles is None:
                return self._message(f"cannot read {path.name}")
            # Latent walks and a conditional run's noise-by-class grid keep their columns
            # (steps, classes), shrunk to fit; other grids are re-tiled to fill the panel.
            ncol = nrow if self.interp or self.recon or v.conditional else None
            self._strips = to_strips(layout(tiles, w, h, ncol), w)
            self._key = key
        return self._strips

    def render_line(self, y: int) -> Strip:
        strips = self.strips()
        return strips[y] if y < len(strips) else Strip.blank(self.content_size.width)
