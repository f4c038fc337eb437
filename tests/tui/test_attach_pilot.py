"""Pilot tests on a recorded run: what the panels show, sizes from tiny to huge, help."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.tui.fakerun import make_run, settle
from tests.tui.test_modes_pilot import screen_text
from tui_gan.render import plot1d
from tui_gan.rundir.read import open_grid
from tui_gan.tui.app import Dashboard


def text_of(app, selector: str) -> str:
    widget = app.query_one(selector)
    if hasattr(widget, "strips"):  # drawn line by line
        return "\n".join(strip.text for strip in widget.strips())
    return str(widget.render())


async def test_attach_shows_the_recorded_run(tmp_path: Path):
    run = make_run(tmp_path)
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        header = text_of(app, "#header")
        assert "mnist-mlp" in header and "step 400/1000" in header and "finished" in header
        losses = text_of(app, "#losses")
        assert "G loss" in losses and "D loss" in losses
        disc = text_of(app, "#disc")
        assert "D(x)" in disc and "D(G(z))" in disc and "0.5" in disc
        classes = text_of(app, "#classes")
        assert "112" in classes  # the count of class 1
        assert not app.query_one("#classes").has_class("alarm")
        assert "▀" in text_of(app, "#samples")
        events = text_of(app, "#events")
        assert "checkpoint saved" in events and "run finished" in events


async def test_collapse_raises_the_alarm(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path, collapse=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.query_one("#classes").has_class("alarm")
        assert "MODE COLLAPSE" in app.query_one("#classes").border_title


async def test_f_toggles_fixed_and_fresh_samples(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)

        def picture():  # the colours are the picture
            return [list(strip) for strip in app.query_one("#samples").strips()]

        fixed = picture()
        await pilot.press("f")
        await pilot.pause(0.1)
        assert "fresh" in app.query_one("#samples").border_title
        assert picture() != fixed
        await pilot.press("f")
        await pilot.pause(0.1)
        assert "fixed noise" in app.query_one("#samples").border_title


async def test_toy_run_shows_histograms_in_place_of_samples(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path, toy=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.query_one("#samples").has_class("hidden")
        assert app.query_one("#classes").has_class("hidden")
        toy = text_of(app, "#toy")
        assert "real" in toy and "G(z)" in toy and "D(x)" in toy
        lines = toy.splitlines()
        # One axis as in the seed: D's scale on the right, x ticks under the plot.
        assert "1.00" in lines[1] and "0.00" in lines[-2]
        assert len([t for t in lines[-1].split() if t.lstrip("-").isdigit()]) >= 3
        drawn = set()
        for strip in app.query_one("#toy").strips()[1:-1]:
            for seg in strip:
                if seg.style and seg.style.color and seg.style.bgcolor:
                    drawn |= {seg.style.color.triplet, seg.style.bgcolor.triplet}
        assert {plot1d.REAL, plot1d.FAKE, plot1d.D_LINE} <= {tuple(c) for c in drawn if c}
        await pilot.resize_terminal(40, 12)  # a tiny screen still draws
        await pilot.pause(0.3)
        assert text_of(app, "#toy")


@pytest.mark.parametrize("size", [(40, 12), (80, 24), (250, 70), (60, 20)])
async def test_any_size_draws_without_error(tmp_path: Path, size):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(*size)  # and a resize while running
        await pilot.pause(0.3)
        assert app.is_running
        for sel in ("#losses", "#disc", "#classes", "#samples", "#events"):
            text_of(app, sel)  # renders at this size without raising


async def test_keys_on_a_finished_run_say_so_and_q_exits(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.press("space")
        await pilot.pause(0.1)
        assert "not live" in text_of(app, "#events")
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause(0.1)
        await pilot.press("q")
        await pilot.pause(0.2)
    assert not app.is_running


@pytest.mark.parametrize("protocol", ["kitty", "sixel"])
async def test_pixel_protocols_show_the_grid_png(tmp_path: Path, protocol: str):
    app = Dashboard(attach=make_run(tmp_path), graphics=protocol)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.query_one("#samples")
        assert type(panel).__name__ == "PixelSamplePanel"
        samples = tmp_path / "demo-run" / "samples"

        def showing(name: str) -> bool:
            shown = np.asarray(app.query_one("#pixels").image)
            return np.array_equal(shown, np.asarray(open_grid(samples / name, "RGB")))

        assert app.query_one("#pixels").image.size == (242, 242)  # 8 x (28 + 2) + 2
        assert showing("step-0000400.png") and not showing("fresh.png")
        await pilot.press("f")
        await pilot.pause(0.1)
        assert showing("fresh.png") and "fresh" in panel.border_title


def test_graphics_choice_without_a_terminal_is_halfblock():
    from tui_gan.tui.graphics import pick_protocol

    assert pick_protocol({}) == "halfblock"  # pytest's stdout is no terminal: no probe
    assert pick_protocol({"TUI_GAN_GRAPHICS": "sixel"}) == "sixel"
    assert pick_protocol({"TUI_GAN_GRAPHICS": "bogus"}) == "halfblock"


async def test_quality_panel_shows_the_fid_trend_and_latest_values(tmp_path: Path):
    run = make_run(tmp_path)
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.query_one("#quality")
        assert not panel.has_class("hidden")
        text = text_of(app, "#quality")
        assert "FID" in text and "10.000" in text  # the last of 40/1, 40/2, 40/3, 40/4
        # In words a learner can read, every one of them on screen (the panel grows to fit).
        for words in ("precision 0.90", "recall 0.45", "density 0.80", "coverage 0.55"):
            assert words in text
        assert "class KL 0.10" in text
        assert panel.content_size.height == text.count("\n") + 1
        assert "step 400" in panel.border_title and "n=2000" in panel.border_title
        assert "?" in panel.border_subtitle
        await pilot.press("question_mark")  # ... and `?` says what each one means
        await pilot.pause(0.2)
        await pilot.press("end")  # at the end of the help, under the keys
        await pilot.pause(0.2)
        help_text = screen_text(app)
        for name in ("FID", "precision", "recall", "density", "coverage", "class KL"):
            assert f"{name}  " in help_text
        assert "realism" in help_text and "diversity" in help_text
    app = Dashboard(attach=run)
    async with app.run_test(size=(80, 24)) as pilot:  # narrower: the words wrap, all shown
        await settle(pilot)
        text = text_of(app, "#quality")
        assert all(w in text for w in ("precision", "recall", "coverage", "class KL"))
        assert app.query_one("#quality").content_size.height == text.count("\n") + 1


async def test_panels_say_when_they_show_the_ema_generator(tmp_path: Path):
    for ema in (False, True):
        app = Dashboard(attach=make_run(tmp_path, name=f"run-{ema}", ema=ema))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            for panel in ("#samples", "#quality", "#classes"):
                assert ("EMA G" in app.query_one(panel).border_title) is ema


async def test_falling_coverage_raises_the_collapse_alarm(tmp_path: Path):
    run = make_run(tmp_path, collapse=True)
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "coverage fell" in app.query_one("#classes").border_title


async def test_a_conditional_run_shows_accuracy_per_class_and_the_ignored_class(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path, conditional=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.query_one("#classes")
        assert panel.has_class("alarm")
        assert "IGNORED: 7" in panel.border_title and "cond acc 85%" in panel.border_title
        text = text_of(app, "#classes")
        assert "99%" in text and "20%" in text  # class 1 and the ignored class 7


async def test_i_shows_the_latent_walks_full_width_and_back(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(130, 30)) as pilot:
        await settle(pilot)
        samples = app.query_one("#samples")
        await pilot.press("i")
        await pilot.pause(0.1)
        assert "latent walks" in samples.border_title and "checkpoint 400" in samples.border_title
        assert app.query_one("#left").has_class("hidden")  # the strip takes the width
        rows = [strip.text for strip in samples.strips()]
        # 8 steps side by side: with the panel's 128 columns each tile is drawn 2x smaller
        # (14 px, 15 with the gap), so one strip row is 8 * 15 - 1 = 119 cells of pixels; in
        # half the width (the left column shown) it would be 9 px tiles, 79 cells.
        assert "▀" * 100 in rows[0]
        assert "latent walks" in text_of(app, "#events")
        await pilot.press("i")
        await pilot.pause(0.1)
        assert "latent walks" not in samples.border_title
        assert not app.query_one("#left").has_class("hidden")


async def test_i_on_a_run_without_walks_says_so(tmp_path: Path):
    run = make_run(tmp_path)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text(
        "\n".join(ln.replace('"interp"', '"x_interp"') for ln in lines) + "\n"
    )
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause(0.1)
        assert "no latent walks yet" in text_of(app, "#samples")


async def test_a_conditional_grid_keeps_a_column_per_class_and_w_widens_it(tmp_path: Path):
    from tui_gan.render.tiling import layout

    tiles = np.zeros((60, 28, 28), np.uint8)
    # Ten columns whatever the width: 49 cells fit tiles of 4 px (10 * 5 - 1 wide), 48 cells
    # only 3 px.
    assert layout(tiles, 49, 20, ncol=10)[0].shape[1] == 10 * 5 - 1
    assert layout(tiles, 48, 20, ncol=10)[0].shape[1] == 10 * 4 - 1
    # A plain grid fills the panel with larger tiles instead.
    assert layout(tiles, 49, 20)[0].shape[0] > layout(tiles, 49, 20, ncol=10)[0].shape[0]
    app = Dashboard(attach=make_run(tmp_path, conditional=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        samples = app.query_one("#samples")
        assert "noise x class" in samples.border_title
        narrow = len(samples.strips()[0].text.rstrip())
        await pilot.press("w")
        await pilot.pause(0.2)
        assert app.query_one("#left").has_class("hidden")
        wide = len(samples.strips()[0].text.rstrip())
        assert wide > 1.8 * narrow  # the ten columns drawn at about twice the size
        await pilot.press("w")
        await pilot.pause(0.1)
        assert not app.query_one("#left").has_class("hidden")
