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


def _pair(view, series) -> tuple[tuple, tuple]:
    a, b = series
    return (a.label, view.hist(a.key), a.colour), (b.label, view.hist(b.key), b.colour)


class LossPanel(ViewPanel):
    """The family's two losses: G and D, CD and regularisation, reconstruction and KL."""

    def __init__(self, **kwargs):
        super().__init__("losses", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.family, *(view.hist(s.key).count for s in view.kind.losses))

    def render(self) -> Text:
        v = self.view
        if v is None:
            return Text()
        return _two_series(self, *_pair(v, v.kind.losses))


class DiscPanel(ViewPanel):
    """The family's outputs: D(x) and D(G(z)), an EBM's energies, a VAE's latent use."""

    def __init__(self, **kwargs):
        super().__init__("discriminator", **kwargs)

    def signature(self, view):
        counts = (view.hist(s.key).count for s in view.kind.outputs)
        return (view.run_dir, view.family, *counts, view.probabilities, view.d_dominates())

    def update_view(self, view) -> None:
        kind = view.kind
        ratio = view.d_dominates()
        if kind.kind != "gan":
            title = kind.outputs_title
        elif ratio is not None:
            # The seed's warm-started G: D wins at once and G's gradient vanishes.
            title = f"D DOMINATES: G/D loss {ratio:,.0f}x"
        elif view.probabilities:
            title = "discriminator (0.5 = equilibrium)"
        else:
            title = f"discriminator (raw {view.loss_kind.upper()} scores)"
        self.border_title = title
        self.set_class(ratio is not None, "alarm")
        super().update_view(view)

    def render(self) -> Text:
        v = self.view
        if v is None:
            return Text()
        scale = {"lo": 0.0, "hi": 1.0, "mid": 0.5} if v.probabilities else {}
        return _two_series(self, *_pair(v, v.kind.outputs), **scale)
