"""Samples drawn with half-blocks: the fixed-noise grid or the latest fresh samples."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_gan.families import family
from tui_gan.render.ascii import PIXEL_WIDTH
from tui_gan.render.tiling import (
    ZOOMS,
    band_layout,
    class_labels,
    default_zoom,
    label_line,
    layout,
    load_tiles,
    pair_layout,
    trim_margin,
)
from tui_gan.tui.mode import mode_of
from tui_gan.tui.widgets.base import ViewPanel
from tui_gan.tui.widgets.cells import PLAIN, styled, to_ascii_strips, to_strips
from tui_gan.view.runview import RunView

LABEL = Style(bold=True)  # a noise-by-class grid's class names over its columns


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
        if self.recon:
            return "real | reconstruction"
        fam = view.kind if view else family("")
        if self.fresh:
            return fam.fresh_view
        return "noise x class" if view and view.conditional else fam.fixed_view


class SamplePanel(SampleModes, ViewPanel):
    """Drawn line by line from cached Strips: a redraw costs nothing until the image changes."""

    def __init__(self, **kwargs):
        super().__init__("samples: fixed noise", **kwargs)
        self.interp = False  # the latest checkpoint's latent walks instead of the samples
        self.zoom: str | None = None  # None: chosen by the panel's size (tiling.default_zoom)
        self.shown_zoom = "dense"  # the level drawn last, for the title and `z`
        self.shown = (0, 0)  # (tiles on screen, tiles in the grid)
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
            self.zoom,
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
        self._title_zoom()

    def _title_zoom(self) -> None:
        on, of = self.shown
        count = f"{on} of {of}, " if of else ""
        if self.recon:
            self.border_subtitle = f"{on} of {of} pairs, sized to be read" if of else ""
        elif self.fixed_columns():
            self.border_subtitle = f"{count}sized to fit the columns"
        else:
            self.border_subtitle = f"{count}{self.shown_zoom}  (z zooms)"

    def fixed_columns(self) -> bool:
        """Latent walks and a noise-by-class grid keep their columns (steps, classes), and
        reconstructions their pairs: the panel sets their tile size, not the zoom."""
        v = self.view
        return bool(self.interp or self.recon or (v is not None and v.conditional))

    def next_zoom(self) -> str | None:
        """The next zoom level after the one on screen (dense -> half -> full -> dense); None
        for a grid whose columns fix its tile size."""
        if self.fixed_columns():
            return None
        self.zoom = ZOOMS[(ZOOMS.index(self.shown_zoom) + 1) % len(ZOOMS)]
        self.shown_zoom = self.zoom
        self._title_zoom()
        self.refresh()
        return self.zoom

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
        self._key = None  # the picture is drawn afresh when it comes back
        if self.shown != (0, 0):  # no tiles on screen now: the subtitle must not count any
            self.shown = (0, 0)
            self.call_later(self._title_zoom)
        return [Strip([Segment(text, Style(dim=True))])]

    def strips(self) -> list[Strip]:
        v = self.view
        grid = v.sample_grid(self.fresh, self.interp, self.recon) if v else None
        if v is None or grid is None:
            if self.interp and v is not None and not v.kind.caps.latent:
                fam = v.kind
                return self._message(
                    f"{fam.noun} has no latent space to walk (f: {fam.fresh_view})"
                )
            if self.interp:
                return self._message("no latent walks yet: each checkpoint draws them")
            return self._message("no samples yet")
        path, nrow = grid
        w, h = self.content_size.width, self.content_size.height
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return self._message(f"{path.name} not found")
        key = (path, mtime, w, h, self.zoom)
        if key != self._key:
            tiles = load_tiles(path, v.image_size, nrow)
            if tiles is None:
                return self._message(f"cannot read {path.name}")
            self._strips, zoom, shown = self._draw(v, tiles, nrow, w, h)
            self._key = key
            if (zoom, shown) != (self.shown_zoom, self.shown):
                self.shown_zoom, self.shown = zoom, shown
                # Set after this paint: a border changed while it is drawn is not redrawn.
                self.call_later(self._title_zoom)
        return self._strips

    def labelled(self, view: RunView) -> bool:
        """A conditional run's grids (fixed or fresh) have a column per class: labelled."""
        return view.conditional and not self.interp and not self.recon

    def _draw(
        self, v: RunView, tiles: np.ndarray, nrow: int, w: int, h: int
    ) -> tuple[list[Strip], str, tuple[int, int]]:
        """(strips, zoom drawn, (shown, in the grid)) for the tiles in a w x h panel."""
        plain = mode_of(self).plain
        # Without colour, the luminance ramp (a wall of uncoloured blocks says nothing): two
        # characters a pixel and one pixel a row, so the grid is laid out for half the width
        # and half the half-block rows.
        px = PIXEL_WIDTH if plain else 1
        pw, ph = (w // PIXEL_WIDTH, h // 2) if plain else (w, h)
        draw = to_ascii_strips if plain else to_strips
        if self.recon:  # pairs kept together, fewer of them, large enough to compare
            img, pairs, _ = pair_layout(tiles, pw, ph)
            return (
                (draw(img, w, centre=True) if pairs else []),
                self.shown_zoom,
                (pairs, len(tiles) // 2),
            )
        if self.labelled(v):
            bands = band_layout(
                tiles, nrow, class_labels(v.dataset, nrow), pw, h, 1 if plain else 2
            )
            strips: list[Strip] = []
            for band in bands.bands:
                indent = " " * max(0, (w - band.image.shape[1] * px) // 2)
                header = indent + label_line(band.labels, bands.side * px, px)
                strips.append(Strip([Segment(header, LABEL)]).extend_cell_length(w, PLAIN))
                strips.extend(draw(band.image, w, centre=True))
            return strips, self.shown_zoom, (bands.shown, len(tiles))
        content = trim_margin(tiles).shape[1]
        zoom = self.zoom or default_zoom(tiles.shape[1], len(tiles), pw, ph, content)
        # Latent walks keep their columns (steps), shrunk to fit; other grids are re-tiled
        # to fill the panel.
        img, shown = layout(tiles, pw, ph, zoom, nrow if self.interp else None)
        return draw(img, w, centre=True), zoom, (shown, len(tiles))

    def render_line(self, y: int) -> Strip:
        strips = self.strips()
        return styled(strips[y]) if y < len(strips) else Strip.blank(self.content_size.width, PLAIN)
