"""The loss and D panels on screen at 80x24 and 100x30: current values, a range, a step
axis, the smoothing toggle, and nothing outside 0x20-0x7E in ASCII mode."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.geometry import Region

from tests.tui.fakerun import make_run, settle
from tui_gan.tui.app import Dashboard
from tui_gan.tui.mode import Mode
from tui_gan.tui.widgets.charts import DiscPanel, LossPanel
from tui_gan.view.runview import RunView

ASCII = Mode(colour="16", ascii=True)
# The heights the dashboard gives the two panels at 80x24 and 100x30, and taller ones.
SIZES = [(40, 5), (40, 6), (50, 6), (50, 9), (50, 11)]


def recorded_view(steps: int = 400) -> RunView:
    """A GAN run's view with the histories its records would give (G's first step a spike)."""
    v = RunView(run_dir=Path("demo-run"), family="mlp", loss_kind="bce")
    for s in range(10, steps + 1, 10):
        t = s / 1000
        v.hist("loss_g").append(6.0 if s == 10 else 0.7 + 0.05 * math.cos(s / 9), step=s)
        v.hist("loss_d").append(1.38 - 0.6 * math.exp(-8 * t), step=s)
        v.hist("d_real").append(0.5 + 0.4 * math.exp(-6 * t), step=s)
        v.hist("d_fake").append(0.5 - 0.3 * math.exp(-6 * t), step=s)
    return v


class Charts(App):
    """The two panels alone, each `height` rows tall (borders included)."""

    def __init__(self, view: RunView, height: int, draw_mode: Mode | None = None):
        super().__init__()
        self.view = view
        self.panel_height = height
        if draw_mode is not None:
            self.draw_mode = draw_mode

    def compose(self) -> ComposeResult:
        with Vertical():
            yield LossPanel(id="losses")
            yield DiscPanel(id="disc")

    def on_mount(self) -> None:
        for panel in self.query("LossPanel, DiscPanel"):
            panel.styles.height = self.panel_height
            panel.update_view(self.view)


def inside(panel) -> list[str]:
    """What the panel shows on screen within its border."""
    rows = [s.text for s in panel.render_lines(Region(0, 0, *panel.outer_size))]
    return [row[1:-1] for row in rows[1:-1]]


def printable(lines: list[str]) -> set[str]:
    return {c for line in lines for c in line if not 0x20 <= ord(c) <= 0x7E}


@pytest.mark.parametrize(("width", "height"), SIZES)
async def test_panels_show_values_ranges_and_steps(width: int, height: int):
    view = recorded_view()
    app = Charts(view, height)
    async with app.run_test(size=(width, 2 * height)) as pilot:
        await pilot.pause()
        losses = "\n".join(inside(app.query_one("#losses")))
        disc = "\n".join(inside(app.query_one("#disc")))
        assert f"{view.loss_g.last:.3f}" in losses and f"{view.loss_d.last:.3f}" in losses
        assert f"{view.d_real.last:.3f}" in disc and f"{view.d_fake.last:.3f}" in disc
        assert "step 400" in losses and "step 400" in disc
        assert re.search(r"\b10\b", losses.splitlines()[-1])  # the first step, at the left
        # G's range is a number near its values, not the first step's spike of 6.
        assert re.search(r"0\.[67]\d*", losses) and "6.0" not in losses
        assert "0.0" in disc and "1.0" in disc  # probabilities keep their 0..1 scale
        if height >= 6:  # and show where 0.5 is: a tick of its own, or a legend
            assert re.search(r"0\.5(┤| = half)", disc)


@pytest.mark.parametrize(("width", "height"), [(40, 6), (50, 11)])
async def test_smoothing_toggle_is_said_on_screen(width: int, height: int):
    app = Charts(recorded_view(), height)
    async with app.run_test(size=(width, 2 * height)) as pilot:
        await pilot.pause()
        for selector in ("#losses", "#disc"):
            panel = app.query_one(selector)
            assert "smoothed" not in "".join(inside(panel))
            assert panel.toggle_smooth() is True
            await pilot.pause()
            assert "smoothed" in "".join(inside(panel))
            assert panel.border_subtitle
            assert panel.toggle_smooth() is False
            await pilot.pause()
            assert "smoothed" not in "".join(inside(panel))


@pytest.mark.parametrize(("width", "height"), SIZES)
async def test_ascii_mode_draws_only_printable_ascii(width: int, height: int):
    app = Charts(recorded_view(), height, draw_mode=ASCII)
    async with app.run_test(size=(width, 2 * height)) as pilot:
        await pilot.pause()
        for selector in ("#losses", "#disc"):
            panel = app.query_one(selector)
            for smooth in (False, True):
                lines = inside(panel)
                assert not printable(lines), (selector, smooth, printable(lines))
                assert any(c in "#*+=" for line in lines for c in line)  # bars drawn
                panel.toggle_smooth()
                await pilot.pause()


async def test_no_color_draws_without_colour(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("NO_COLOR", "1")
    app = Charts(recorded_view(), 9, draw_mode=Mode(colour="none"))
    async with app.run_test(size=(50, 18)) as pilot:
        await pilot.pause()
        losses = inside(app.query_one("#losses"))
        assert losses[0].startswith("G loss") and any(r.startswith("D loss") for r in losses)
        app.save_screenshot(str(tmp_path / "charts.svg"))  # Textual's no-colour filter runs


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_dashboard_charts_in_ascii_mode(tmp_path: Path, size):
    run = make_run(tmp_path)
    app = Dashboard(attach=run, draw_mode=ASCII)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        view = app.view
        assert view is not None
        losses = inside(app.query_one("#losses"))
        disc = inside(app.query_one("#disc"))
        text = "\n".join(losses)
        assert f"{view.loss_g.last:.3f}" in text and f"{view.loss_d.last:.3f}" in text
        assert f"{view.d_real.last:.3f}" in "\n".join(disc)
        assert re.search(r"\d\.\d+\.\.\d\.\d+|\d\.\d+\|", text)  # a range or a tick
        assert "step 400" in losses[-1]  # the real last step, not a record count
        assert not printable(losses) and not printable(disc)
