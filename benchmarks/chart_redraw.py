"""The cost of one redraw of the loss and D panels at 100x30, on full (512-point) histories.

Prints the mean time of one render() of each panel: at the height the dashboard gives them
at 100x30 today, at a taller one, smoothed, and in ASCII mode. A figure, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import Vertical

from tui_gan.tui.mode import Mode
from tui_gan.tui.widgets.charts import DiscPanel, LossPanel
from tui_gan.view.runview import RunView


def full_view(steps: int) -> RunView:
    """A GAN run's view after `steps` logged steps: every history at its 512-point bound."""
    rng = random.Random(0)
    v = RunView(run_dir=Path("bench-run"), family="mlp", loss_kind="bce")
    for s in range(1, steps + 1):
        t = s / steps
        v.hist("loss_g").append(0.7 + 3 * math.exp(-s / 20) + rng.gauss(0, 0.05), step=s)
        v.hist("loss_d").append(1.38 - 0.5 * math.exp(-4 * t) + rng.gauss(0, 0.05), step=s)
        v.hist("d_real").append(0.5 + 0.4 * math.exp(-3 * t) + rng.gauss(0, 0.02), step=s)
        v.hist("d_fake").append(0.5 - 0.3 * math.exp(-3 * t) + rng.gauss(0, 0.02), step=s)
    return v


class Charts(App):
    def __init__(self, view: RunView, height: int, mode: Mode):
        super().__init__()
        self.view = view
        self.panel_height = height
        self.draw_mode = mode

    def compose(self) -> ComposeResult:
        with Vertical():
            yield LossPanel(id="losses")
            yield DiscPanel(id="disc")

    def on_mount(self) -> None:
        for panel in self.query("LossPanel, DiscPanel"):
            panel.styles.width = 50  # the left column's width at 100 columns
            panel.styles.height = self.panel_height
            panel.update_view(self.view)


async def measure(view: RunView, height: int, mode: Mode, smooth: bool, n: int) -> list[str]:
    app = Charts(view, height, mode)
    out = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for selector in ("#losses", "#disc"):
            panel = app.query_one(selector)
            if smooth:
                panel.toggle_smooth()
            panel.render()  # warm
            t0 = time.perf_counter()
            for _ in range(n):
                panel.render()
            mean = (time.perf_counter() - t0) / n
            size = panel.content_size
            out.append(
                f"{type(panel).__name__:<10} {size.width}x{size.height:<3} {mean * 1e3:.3f} ms"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 511 x 32: each history one point short of merging, so it holds 511 points.
    parser.add_argument("--steps", type=int, default=511 * 32, help="logged steps per history")
    parser.add_argument("--repeats", type=int, default=300, help="renders per figure")
    args = parser.parse_args()
    view = full_view(args.steps)
    print(f"histories: {len(view.loss_g)} points each, over {args.steps} steps")
    cases = [
        ("100x30 today (6 rows)", 6, Mode(), False),
        ("taller (11 rows)", 11, Mode(), False),
        ("taller, smoothed", 11, Mode(), True),
        ("taller, ASCII", 11, Mode(colour="16", ascii=True), False),
    ]
    for name, height, mode, smooth in cases:
        lines = asyncio.run(measure(view, height, mode, smooth, args.repeats))
        print(f"{name}:")
        for line in lines:
            print(f"  {line}")


if __name__ == "__main__":
    main()
