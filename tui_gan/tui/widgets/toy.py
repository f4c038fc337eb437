"""The 1-D picture as in the seed: real and G histograms overlaid, D(x) as a line over them;
without colour, the same picture in characters."""

from __future__ import annotations

from typing import cast

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_gan.render import plot1d
from tui_gan.tui.mode import mode_of
from tui_gan.tui.widgets.base import ViewPanel
from tui_gan.tui.widgets.cells import PLAIN, styled, to_strips

AXIS_W = 6  # the D(x) scale on the right: " 1.00 " wide
# Without colour each part of the picture is a character (and keeps its colour where there is
# any): histograms dense to light, D(x) a line of its own over them, the 0.5 level dotted.
CHARS = (
    (plot1d.REAL, "#", "real"),
    (plot1d.FAKE, "*", "G(z)"),
    (plot1d.BOTH, "+", "both"),
    (plot1d.D_LINE, "o", "D(x)"),
    (plot1d.LEVEL, "-", "0.5"),
)


def _rgb(colour: tuple[int, int, int]) -> str:
    return f"rgb({colour[0]},{colour[1]},{colour[2]})"


class ToyPanel(ViewPanel):
    """Drawn line by line from Strips built once per snapshot and size."""

    def __init__(self, **kwargs):
        super().__init__("1-D: real vs generated, D(x)", **kwargs)
        self._key: tuple | None = None
        self._strips: list[Strip] = []

    def signature(self, view):
        return (view.run_dir, view.toy and view.toy.step)

    def update_view(self, view) -> None:
        if view.toy:
            g = " (EMA G)" if view.toy.generator == "ema" else ""
            self.border_title = f"1-D @ step {view.toy.step}{g}"
        super().update_view(view)

    def strips(self) -> list[Strip]:
        v = self.view
        t = v.toy if v else None
        if v is None or t is None:
            return [Strip([Segment("no histograms yet", Style(dim=True))])]
        w, h = self.content_size.width, self.content_size.height
        key = (t.step, v.run_dir, w, h, v.probabilities)
        if key != self._key:
            self._strips = self._draw(t, w, h, v.probabilities)
            self._key = key
        return self._strips

    def _draw(self, t, w: int, h: int, probabilities: bool) -> list[Strip]:
        plot_w, plot_h = max(1, w - AXIS_W), max(1, h - 2)  # a legend line above, ticks below
        d_lo, d_hi = plot1d.d_range(t.d_curve, probabilities)
        plain = mode_of(self).plain
        # Half-blocks draw two pixel rows a line; characters one.
        px_h = plot_h if plain else 2 * plot_h
        img = plot1d.canvas(
            t.bin_edges, t.real_hist, t.fake_hist, t.x_grid, t.d_curve,
            plot_w, px_h, d_lo, d_hi,
        )  # fmt: skip
        if plain:
            legend = Strip([Segment(_char_legend(probabilities), PLAIN)]).crop(0, w)
            picture = char_strips(img)
        else:
            legend = self._colour_legend(w, probabilities)
            picture = to_strips(img, plot_w, exact=True)
        # D's scale on the right, at the rows of its top, middle and bottom.
        labels = {
            int(plot1d.row_of(d, d_lo, d_hi, px_h)) * plot_h // px_h: d
            for d in (d_hi, (d_lo + d_hi) / 2, d_lo)
        }
        dim = Style(dim=True)
        rows = []
        for y, strip in enumerate(picture):
            label = " " + plot1d.scale_label(labels[y], AXIS_W - 1) if y in labels else ""
            rows.append(Strip.join([strip, Strip([Segment(label, dim)])]))
        axis = plot1d.axis_line(t.bin_edges[0], t.bin_edges[-1], plot_w)
        return [legend, *rows, Strip([Segment(axis, dim)])]

    @staticmethod
    def _colour_legend(w: int, probabilities: bool) -> Strip:
        return Strip(
            [
                Segment("■ ", Style(color=_rgb(plot1d.REAL))),
                Segment("real  "),
                Segment("■ ", Style(color=_rgb(plot1d.FAKE))),
                Segment("G(z)  "),
                Segment("■ ", Style(color=_rgb(plot1d.BOTH))),
                Segment("both  "),
                Segment("─ ", Style(color=_rgb(plot1d.D_LINE))),
                Segment("D(x)" + ("  ┈ 0.5" if probabilities else " (raw score)")),
            ]
        ).crop(0, w)

    def render_line(self, y: int) -> Strip:
        strips = self.strips()
        return styled(strips[y]) if y < len(strips) else Strip.blank(self.content_size.width, PLAIN)


def _char_legend(probabilities: bool) -> str:
    shown = CHARS if probabilities else CHARS[:-1]  # raw scores: no 0.5 level
    text = "  ".join(f"{char} {name}" for _, char, name in shown)
    return text if probabilities else text + " (raw score)"


def char_strips(img: np.ndarray) -> list[Strip]:
    """The 1-D picture one character a pixel (within 0x20-0x7E), each part its own character,
    in its colour where the terminal has colour."""
    code = np.zeros(img.shape[:2], np.int8)  # 0: background, k: CHARS[k - 1]
    for k, (colour, _, _) in enumerate(CHARS, 1):
        code[(img == colour).all(axis=2)] = k
    styles = [PLAIN, *(Style(color=_rgb(colour)) for colour, _, _ in CHARS)]
    chars = [" ", *(char for _, char, _ in CHARS)]
    strips = []
    rows = cast(list[list[int]], code.tolist())  # numpy types tolist() loosely
    for row in rows:
        segments, start = [], 0
        for x in range(1, len(row) + 1):
            if x == len(row) or row[x] != row[start]:
                segments.append(Segment(chars[row[start]] * (x - start), styles[row[start]]))
                start = x
        strips.append(Strip(segments))
    return strips
