"""Pilot tests: sample zoom levels, the labelled header, and `r` writing the run's report."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.tui.fakerun import make_run, settle
from tui_gan.tui.app import Dashboard


def shown(app) -> tuple[int, int, str]:
    """(tiles on screen, tiles in the grid, zoom) from the samples panel's subtitle."""
    m = re.match(r"(\d+) of (\d+), (\w+)", app.query_one("#samples").border_subtitle)
    assert m, app.query_one("#samples").border_subtitle
    return int(m[1]), int(m[2]), m[3]


@pytest.mark.parametrize(("size", "least"), [((100, 30), 6), ((80, 24), 2)])
async def test_the_default_zoom_draws_digits_large_enough_to_read(tmp_path: Path, size, least):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        on, of, zoom = shown(app)
        # Half size (digits 13 px of their 26, the frame trimmed), not the dense grid's 7 px.
        assert zoom == "half" and of == 64 and on >= least
        # The picture fits the panel: half-block rows, two pixels each; a digit 7 rows tall.
        panel = app.query_one("#samples")
        assert 7 <= len(panel.strips()) <= panel.content_size.height


async def test_z_cycles_dense_half_and_full_resolution(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        samples = app.query_one("#samples")
        half = shown(app)[0]
        seen = []
        for _ in range(3):
            await pilot.press("z")
            samples.strips()  # drawn now, not whenever the next paint comes
            await pilot.pause(0.2)
            seen.append(shown(app))
        assert [z for *_, z in seen] == ["full", "dense", "half"]
        full, dense = seen[0][0], seen[1][0]
        assert dense > half > full >= 1
        assert seen[2][0] == half
        assert any(line.startswith("samples zoom: full") for line in app.query_one("#events").lines)
        # Full resolution: at 100x30 one 28 x 28 digit, 28 columns by 14 rows of half-blocks.
        await pilot.press("z")
        samples.strips()
        await pilot.pause(0.2)
        assert shown(app)[2] == "full" and full == 1
        rows = [s.text.strip() for s in samples.strips() if s.text.strip()]
        assert len(rows) == 14 and {len(r) for r in rows} == {28}


async def test_a_large_panel_starts_at_full_resolution(tmp_path: Path):
    from tui_gan.render.tiling import default_zoom, layout

    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(250, 70)) as pilot:
        await settle(pilot)
        on, of, zoom = shown(app)
        assert zoom == "full" and on >= 9
    assert default_zoom(28, 64, 100, 50) == "full"  # 3 x 3 full-size digits fit
    assert default_zoom(28, 64, 48, 17) == "half"  # 3 x 2 legible digits, not 24 blobs
    tiles = np.zeros((64, 28, 28), np.uint8)
    tiles[:, 6:22, 8:20] = 200  # digits in the middle, an empty frame
    img, n = layout(tiles, 48, 17, "dense")
    assert n >= 16 and img.shape[0] <= 34 and img.shape[1] <= 48
    img, n = layout(tiles, 48, 17, "full")
    assert n == 1 and img.shape[:2] == (28, 28)


async def test_the_header_separates_its_fields(tmp_path: Path):
    run = make_run(tmp_path)
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        first, second = str(app.query_one("#header").render()).splitlines()
        assert "preset mnist-mlp │ data mnist │ device" in first and "run demo-run" in first
        assert "step 400/" in second and " │ epoch " in second and " │ elapsed " in second
    app = Dashboard(attach=run)
    async with app.run_test(size=(72, 24)) as pilot:  # narrower: the values alone, all there
        await settle(pilot)
        header = app.query_one("#header")
        first = str(header.render()).splitlines()[0]
        assert "finished" in first and "│ mnist-mlp │ mnist │" in first
        assert first.endswith("demo-run") and len(first) <= header.content_size.width


async def test_a_noise_by_class_grid_says_z_cannot_change_it(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path, conditional=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await pilot.pause(0.2)
        assert "keeps its columns" in app.query_one("#events").lines[-1]
        assert "fit the columns" in app.query_one("#samples").border_subtitle


async def wait_for_line(app, pilot, text: str, seconds: float) -> str:
    for _ in range(int(seconds * 10)):
        await pilot.pause(0.1)
        for line in app.query_one("#events").lines:
            if text in line:
                return line
    raise AssertionError(f"no {text!r} in {app.query_one('#events').lines}")


async def test_r_writes_the_report_and_says_where(tmp_path: Path):
    run = make_run(tmp_path)
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        line = await wait_for_line(app, pilot, "report.md", 120)
        assert line.startswith("report written: ") and "report.md (5 figures)" in line
        assert (run / "report" / "losses.png").stat().st_size > 1000
        assert app.screen is app.screen_stack[0]  # half-blocks: no picture to show in place


async def test_r_on_a_kitty_terminal_shows_the_loss_figure(tmp_path: Path, monkeypatch):
    from PIL import Image

    from tui_gan import launch
    from tui_gan.tui.figure import FigureScreen

    run = make_run(tmp_path)

    def fake_report(run_dir: Path, cancelled) -> tuple[bool, str]:
        (run_dir / "report").mkdir()
        Image.new("RGB", (80, 40), (200, 30, 30)).save(run_dir / "report" / "losses.png")
        return True, f"wrote {run_dir / 'report' / 'report.md'} and 1 figures"

    monkeypatch.setattr(launch, "write_report", fake_report)
    app = Dashboard(attach=run, graphics="kitty")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await wait_for_line(app, pilot, "report.md", 10)
        await pilot.pause(0.2)
        assert isinstance(app.screen, FigureScreen)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, FigureScreen)


async def test_a_failed_report_is_one_line_and_the_screen_stays(tmp_path: Path, monkeypatch):
    from tui_gan import launch

    monkeypatch.setattr(
        launch, "write_report", lambda run_dir, cancelled: (False, "error: disk full")
    )
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        line = await wait_for_line(app, pilot, "disk full", 10)
        assert line.startswith("error: report:")
        assert app.is_running
