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


def _two_series(panel: ViewPanel, first: tuple, second: tuple, **scale) -> Text:
    """Two labelled series, the first taking the upper half of the panel's rows."""
    out = Text(no_wrap=True, overflow="crop")
    w, h = panel.content_size.width, panel.content_size.height
    rows = max(1, h // 2)
    _series(out, *first[:2], w, rows, first[2], **scale)
    _series(out, *second[:2], w, max(1, h - rows), second[2], **scale)
    return out


class LossPanel(ViewPanel):
    def __init__(self, **kwargs):
        super().__init__("losses", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.loss_g.count, view.loss_d.count)

    def render(self) -> Text:
        v = self.view
        if v is None:
            return Text()
        return _two_series(self, ("G loss", v.loss_g, "green"), ("D loss", v.loss_d, "magenta"))


class DiscPanel(ViewPanel):
    def __init__(self, **kwargs):
        super().__init__("discriminator", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.d_real.count, view.d_fake.count, view.probabilities)

    def update_view(self, view) -> None:
        self.border_title = (
            "discriminator (0.5 = equilibrium)"
            if view.probabilities
            else f"discriminator (raw {view.loss_kind.upper()} scores)"
        )
        super().update_view(view)

    def render(self) -> Text:
        v = self.view
        if v is None:
            return Text()
        scale = {"lo": 0.0, "hi": 1.0, "mid": 0.5} if v.probabilities else {}
        return _two_series(
            self, ("D(x)", v.d_real, "cyan"), ("D(G(z))", v.d_fake, "yellow"), **scale
        )
