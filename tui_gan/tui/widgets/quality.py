"""The evaluation panel: FID (1-D: W1) over the run and the latest metrics, in words."""

from __future__ import annotations

from rich.text import Text

from tui_gan.render.spark import sparkline
from tui_gan.tui.mode import mode_of
from tui_gan.tui.widgets.base import ViewPanel

# What each number means, for `?` (help.py shows these under the keys).
METRICS = (
    (
        "FID",
        "distance between real and generated images in a classifier's feature space; "
        "lower is better, 0 = the same distribution",
    ),  # fmt: skip
    ("precision", "share of samples that land among real images: realism (1 is best)"),
    ("recall", "share of real images with a sample nearby: diversity (1 is best)"),
    (
        "density",
        "how crowded real neighbourhoods are around samples; near 1 is healthy, "
        "above 1 = samples huddle where data is densest",
    ),  # fmt: skip
    (
        "coverage",
        "share of real images with a sample in their neighbourhood; falls when "
        "G drops modes (1 is best)",
    ),  # fmt: skip
    (
        "class KL",
        "KL divergence of the generated class shares from the real ones; "
        "0 = every class as often as in the data",
    ),  # fmt: skip
    (
        "W1, KS",
        "1-D runs: Wasserstein-1 and Kolmogorov-Smirnov distances between real and "
        "generated values; lower is better",
    ),  # fmt: skip
)


def wrap_parts(parts: list[str], width: int) -> list[str]:
    """Join `parts` two spaces apart into lines no wider than width (a part is never split)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += "  " + part
        else:
            lines.append(part)
    return lines


class QualityPanel(ViewPanel):
    DEFAULT_CSS = "QualityPanel { height: auto; max-height: 6; }"

    def __init__(self, **kwargs):
        super().__init__("quality", **kwargs)
        self.border_subtitle = "? explains"

    def signature(self, view):
        return (view.run_dir, view.fid.count)

    def update_view(self, view) -> None:
        e = view.last_eval
        if e:
            if e.generator == "ema":  # shorter, so "EMA G" survives an 80-column screen
                self.border_title = f"quality @ {e.step}  (n={e.n or '?'}, EMA G)"
            else:
                self.border_title = f"quality @ step {e.step}  (n={e.n or '?'})"
        changed = self.signature(view) != self._drawn
        super().update_view(view)
        if changed:  # the metrics may now need another line
            self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        # Its lines depend on the width (the metrics wrap), so count them at that width.
        return self.text(width).plain.count("\n") + 1

    def render(self) -> Text:
        return self.text(self.content_size.width)

    def text(self, w: int) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        v = self.view
        e = v.last_eval if v else None
        if not e:
            return Text("no evaluations (set log.eval_every)", style="dim")
        name = "FID" if e.fid is not None else "W1"
        head = f"{name} {e.score:.3f} "
        out.append(head, style="bold")
        out.append("lower=better ", style="dim")
        # Lower is better, so the trend reads as falling bars when G improves.
        trend = sparkline(v.fid.points(), max(1, w - len(head) - 13), ascii=mode_of(self).ascii)
        out.append(trend, style="cyan")
        if e.fid is not None:
            named = [
                ("precision", e.precision),
                ("recall", e.recall),
                ("density", e.density),
                ("coverage", e.coverage),
                ("class KL", e.class_kl),
            ]
            parts = [f"{label} {x:.2f}" for label, x in named if x is not None]
        else:
            parts = [f"KS {e.ks or 0.0:.3f}"]
        for line in wrap_parts(parts, w):
            out.append("\n" + line)
        return out
