"""The 1-D picture: real and generated histograms and D(x) over the same x axis."""

from __future__ import annotations

from rich.text import Text

from tui_gan.render.spark import bars
from tui_gan.tui.widgets.base import ViewPanel


class ToyPanel(ViewPanel):
    def __init__(self, **kwargs):
        super().__init__("1-D: real vs generated, D(x)", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.toy and view.toy.step)

    def update_view(self, view) -> None:
        if view.toy:
            g = " (EMA G)" if view.toy.generator == "ema" else ""
            self.border_title = f"1-D @ step {view.toy.step}: real vs generated{g}, D(x)"
        super().update_view(view)

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        v = self.view
        t = v.toy if v else None
        if not t:
            return Text("no histograms yet", style="dim")
        w, h = self.content_size.width, self.content_size.height
        chart_w = max(1, w - 9)
        rows = max(1, (h - 2) // 3)
        top = max(max(t.real_hist), max(t.fake_hist), 1e-9)  # one scale for both
        charts = (
            ("real", t.real_hist, 0.0, top, "cyan"),
            ("G(z)", t.fake_hist, 0.0, top, "yellow"),
            ("D(x)", t.d_curve, 0.0, 1.0, "magenta"),
        )
        for label, values, lo, hi, style in charts:
            for i, row in enumerate(bars(values, chart_w, rows, lo, hi)):
                out.append(f"{label if i == 0 else '':<8} ", style="bold")
                out.append(row + "\n", style=style)
        lo_x, hi_x = t.bin_edges[0], t.bin_edges[-1]
        axis = f"{lo_x:<+.2f}".ljust(chart_w - 6) + f"{hi_x:+.2f}"
        out.append(" " * 9 + axis, style="dim")
        return out
