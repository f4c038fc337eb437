"""The samples panel's state is its own: set its reactive attributes and it retitles and
redraws; its actions tell the app what to say and how wide to be through its messages."""

from __future__ import annotations

from pathlib import Path

from tests.tui.fakerun import make_run, settle
from tui_gan.tui.app import Dashboard
from tui_gan.tui.widgets.samples import SamplePanel


async def test_setting_the_panels_zoom_mode_and_walks_retitles_it(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.query_one("#samples", SamplePanel)
        kind = panel.view.kind
        assert kind.fixed_view in panel.border_title
        panel.zoom = "full"
        panel.strips()  # drawn now, not whenever the next paint comes
        await pilot.pause(0.2)
        assert panel.border_subtitle.endswith("full  (z zooms)")
        panel.mode = "fresh"
        await pilot.pause(0.1)
        assert kind.fresh_view in panel.border_title
        panel.interp = True
        await pilot.pause(0.1)
        assert "latent walks" in panel.border_title
        assert app.query_one("#left").has_class("hidden")  # WidthWanted reached the app
        panel.interp = False
        await pilot.pause(0.1)
        assert not app.query_one("#left").has_class("hidden")
        # State set directly says nothing: only the panel's actions speak.
        lines = app.query_one("#events").lines
        assert not any(line.startswith(("samples zoom", "showing")) for line in lines)


async def test_the_panels_actions_reach_the_apps_log(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.query_one("#samples", SamplePanel)
        panel.action_wide()  # called on the panel, no key and no focus
        await pilot.pause(0.1)
        assert app.query_one("#left").has_class("hidden")
        assert "samples at full width (w: back)" in app.query_one("#events").lines
        panel.post_message(SamplePanel.Said("a line from the panel"))
        await pilot.pause(0.1)
        assert "a line from the panel" in app.query_one("#events").lines


async def test_a_1d_run_refuses_zoom_and_walks_in_the_panel(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path / "toy", toy=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("z", "i")
        await pilot.pause(0.1)
        lines = list(app.query_one("#events").lines)
        assert "a 1-D run has no sample grid to zoom" in lines
        assert "a 1-D run has no latent walks to draw" in lines
        assert not app.query_one("#samples", SamplePanel).interp
