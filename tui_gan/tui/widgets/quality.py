"""The evaluation panel: FID (1-D: W1) over the run and the latest precision/recall/coverage."""

from __future__ import annotations

from rich.text import Text

from tui_gan.render.spark import sparkline
from tui_gan.tui.widgets.base import ViewPanel


class QualityPanel(ViewPanel):
    def __init__(self, **kwargs):
        super().__init__("quality", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.fid.count)

    def update_view(self, view) -> None:
        e = view.last_eval
        if e:
            if e.generator == "ema":  # shorter, so "EMA G" survives an 80-column screen
                self.border_title = f"quality @ {e.step}  (n={e.n or '?'}, EMA G)"
            else:
                self.border_title = f"quality @ step {e.step}  (n={e.n or '?'})"
        super().update_view(view)

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        v = self.view
        e = v.last_eval if v else None
        if not e:
            return Text("no evaluations (set log.eval_every)", style="dim")
        w = self.content_size.width
        name = "FID" if e.fid is not None else "W1"
        out.append(f"{name:<4}{e.score:>8.3f} ", style="bold")
        # Lower is better, so the trend reads as falling bars when G improves.
        out.append(sparkline(v.fid.points(), max(1, w - 14)) + "\n", style="cyan")
        if e.fid is not None:
            parts = [
                ("P", e.precision),
                ("R", e.recall),
                ("D", e.density),
                ("C", e.coverage),
                ("KL", e.class_kl),
            ]
            out.append(" ".join(f"{s}{v:.2f}" for s, v in parts if v is not None))
        else:
            out.append(f"KS {e.ks or 0.0:.3f}")
        return out
