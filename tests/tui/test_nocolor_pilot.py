"""The dashboard under NO_COLOR (issue 23, first finding): it opens, and samples read as the
ASCII luminance ramp instead of a wall of uncoloured half-blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.fakerun import make_run, settle
from tui_gan.render.ascii import RAMP
from tui_gan.tui.app import Dashboard


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_no_color_opens_and_draws_samples_as_the_ramp(tmp_path: Path, monkeypatch, size):
    monkeypatch.setenv("NO_COLOR", "1")
    run = make_run(tmp_path)
    app = Dashboard(attach=run)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.no_color
        samples = "\n".join(s.text for s in app.query_one("#samples").strips())
        assert "▀" not in samples
        assert set(samples) <= set(RAMP) | {"\n"}
        assert sum(c in "%@#*" for c in samples) > 5  # ink: the digits are there
        app.save_screenshot(str(tmp_path / "shot.svg"))  # the whole screen renders, filters too
    assert app.return_code in (None, 0)
