"""Loss and discriminator panels: labelled sparklines over the whole run with current values."""

from __future__ import annotations

from rich.text import Text

from tui_gan.render.spark import bars
from tui_gan.tui.history import History
from tui_gan.tui.widgets.base import ViewPanel

LABEL_W = 16


def _series(
    out: Text,
    label: str,
    hist: History,
    width: int,
    rows: int,
    style: str,
    lo: float | None = None,
    hi: float | None = None,
    mid: float | None = None,
) -> None:
    """Label and value on the left, a `rows`-tall bar chart on the right."""
    value = "--" if hist.last is None else f"{hist.last:.3f}"
    chart = bars(hist.points(), max(1, width - LABEL_W), rows, lo, hi)
    for i, row in enumerate(chart):
        left = f"{label:<9}{value:>6} " if i == 0 else " " * (LABEL_W - 1)
        if mid is not None and lo is not None and hi is not None and rows > 1:
            # Mark the row holding the equilibrium value so 0.5 can be read off.
            mid_row = rows - 1 - int((mid - lo) / (hi - lo) * rows - 1e-9)
            if i == mid_row and i != 0:
                left = f"{'0.5 ─':>{LABEL_W - 1}}"
        out.append(left[: LABEL_W - 1].ljust(LABEL_W), style="bold" if i == 0 else "dim")
        out.append(row + "\n", style=style)


class LossPanel(ViewPanel):
    def __init__(self, **kwargs):
        super().__init__("losses", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.loss_g.count, view.loss_d.count)

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        v = self.view
        if v is None:
            return out
        w, h = self.content_size.width, self.content_size.height
        rows = max(1, h // 2)
        _series(out, "G loss", v.loss_g, w, rows, "green")
        _series(out, "D loss", v.loss_d, w, max(1, h - rows) if h > 1 else 1, "magenta")
        return out


class DiscPanel(ViewPanel):
    def __init__(self, **kwargs):
        super().__init__("discriminator", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.d_real.count, view.d_fake.count, view.probabilities)

    def update_view(self, view) -> None:
        self.border_title = (
            "discriminator (0.5 = equilibrium)"
            if view.probabilities
            else "discriminator (raw LSGAN scores)"
        )
        super().update_view(view)

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        v = self.view
        if v is None:
            return out
        w, h = self.content_size.width, self.content_size.height
        rows = max(1, h // 2)
        if v.probabilities:
            lo, hi, mid = 0.0, 1.0, 0.5
        else:
            lo = hi = mid = None
        _series(out, "D(x)", v.d_real, w, rows, "cyan", lo, hi, mid)
        _series(
            out, "D(G(z))", v.d_fake, w, max(1, h - rows) if h > 1 else 1, "yellow", lo, hi, mid
        )
        return out
