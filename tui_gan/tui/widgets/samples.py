"""Samples drawn with half-blocks: the fixed-noise grid or the latest fresh samples."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.reactive import reactive
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
ZOOM_SAYS = {
    "dense": "small tiles, as many as fit: a collapse shows as repeats",
    "half": "tiles at half size",
    "full": "every pixel: fewer samples",
}


class SampleBase(ViewPanel):
    """What both sample panels (half-blocks and real pixels) share: the view shown, kept as
    reactive state, and the keys that change it (f, i, w, z). The app binds the keys, since
    the panel is never focused, and calls the panel's actions; the panel tells the app what
    to say and how wide it wants to be through its own messages."""

    mode = reactive("fixed", init=False)  # the `f` cycle: "fixed", "fresh" or "recon"
    interp = reactive(False, init=False)  # the latest checkpoint's latent walks instead
    wide = reactive(False, init=False)  # w: the samples take the whole width

    class Said(Message):
        """A line for the event log: what a key did, or why it did nothing."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class WidthWanted(Message):
        """The panel wants the whole width (`full`, the charts hidden) or its half back."""

        def __init__(self, full: bool) -> None:
            super().__init__()
            self.full = full

    @property
    def fresh(self) -> bool:
        return self.mode == "fresh"

    @property
    def recon(self) -> bool:
        return self.mode == "recon"

    def say(self, text: str) -> None:
        self.post_message(self.Said(text))

    def _redraw(self) -> None:
        if self.view is not None:
            self.update_view(self.view)

    def watch_mode(self) -> None:
        self._redraw()

    def watch_interp(self) -> None:
        self._redraw()
        # The strip's steps sit side by side: it gets the whole width while shown.
        self.post_message(self.WidthWanted(self.wide or self.interp))

    def watch_wide(self) -> None:
        self.post_message(self.WidthWanted(self.wide or self.interp))

    def next_mode(self) -> str:
        """The mode after the one shown: fixed -> fresh (-> recon, when the run draws
        reconstructions) -> fixed."""
        v = self.view
        has_recon = bool(v and v.samples and v.samples.recon)
        if self.mode == "fixed":
            return "fresh"
        return "recon" if self.mode == "fresh" and has_recon else "fixed"

    def fit_mode(self, view: RunView) -> None:
        """Back to the fixed view when the run on screen draws no reconstructions (another
        run was picked while `f` showed a VAE's)."""
        if self.recon and not (view.samples and view.samples.recon):
            # Quietly: this runs inside update_view, which the watcher would call again.
            self.set_reactive(SampleBase.mode, "fixed")

    def mode_name(self, view: RunView | None) -> str:
        if self.recon:
            return "real | reconstruction"
        fam = view.kind if view else family("")
        if self.fresh:
            return fam.fresh_view
        return "noise x class" if view and view.conditional else fam.fixed_view

    def _one_d(self) -> bool:
        return self.view is not None and self.view.is_toy

    def action_flip(self) -> None:
        """f: the next view of the cycle."""
        self.mode = self.next_mode()
        self.say(f"showing {self.mode_name(self.view)}")

    def action_interp(self) -> None:
        """i: the latest checkpoint's latent walks, or the samples again."""
        if self._one_d():
            self.say("a 1-D run has no latent walks to draw")
            return
        self.interp = not self.interp
        self.say(
            "showing latent walks from the latest checkpoint (i: back to the samples)"
            if self.interp
            else "showing the samples"
        )

    def action_wide(self) -> None:
        """w: the samples (or the 1-D view) across the whole width: a noise-by-class grid's
        ten columns need it below ~290 columns; the charts come back with w."""
        self.wide = not self.wide
        self.say("samples at full width (w: back)" if self.wide else "charts back")

    def action_zoom(self) -> None:
        """z: samples at another size: dense (most on screen), half, or full resolution."""
        if self._one_d():
            self.say("a 1-D run has no sample grid to zoom")
            return
        self.say(self.zoom_next())

    def zoom_next(self) -> str:
        """Zoom one level further where the panel can; what to say of it."""
        return "samples are drawn in real pixels: the whole grid is on screen"


class SamplePanel(SampleBase):
    """Drawn line by line from cached Strips: a redraw costs nothing until the image changes."""

    # None: chosen by the panel's size (tiling.default_zoom); else one of tiling.ZOOMS.
    zoom: reactive[str | None] = reactive(None, init=False, always_update=True)

    def __init__(self, **kwargs):
        super().__init__("samples: fixed noise", **kwargs)
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

    def watch_zoom(self, zoom: str | None) -> None:
        if zoom is not None:
            self.shown_zoom = zoom
            self._title_zoom()

    def zoom_next(self) -> str:
        """The next zoom level after the one on screen (dense -> half -> full -> dense),
        unless the grid's columns fix its tile size."""
        if self.fixed_columns():
            return "this grid keeps its columns: the width sets its tiles (w: full width)"
        self.zoom = ZOOMS[(ZOOMS.index(self.shown_zoom) + 1) % len(ZOOMS)]
        return f"samples zoom: {self.zoom} ({ZOOM_SAYS[self.zoom]})"

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
