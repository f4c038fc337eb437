"""The samples panel at 100x30 and 80x24 in each drawing mode: a noise-by-class grid names its
columns, reconstructions are few pairs drawn large, and the 1-D view reads without colour."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.fakerun import make_run, settle
from tui_gan.render.ascii import RAMP
from tui_gan.tui.app import Dashboard
from tui_gan.tui.mode import Mode

COLOUR = Mode("truecolor")
ASCII = Mode(colour="16", ascii=True)
NO_COLOR = Mode(colour="none")


def panel_text(app, selector: str = "#samples") -> list[str]:
    return [strip.text for strip in app.query_one(selector).strips()]


def printable(text: str) -> bool:
    return all(0x20 <= ord(c) <= 0x7E for c in text)


def as_fashion(run: Path) -> Path:
    preset = run / "preset.toml"
    preset.write_text(preset.read_text().replace('name = "mnist"\n', 'name = "fashion-mnist"\n'))
    return run


@pytest.mark.parametrize("mode", [COLOUR, ASCII, NO_COLOR], ids=["colour", "ascii", "no-color"])
@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_the_noise_by_class_grid_names_its_columns(tmp_path: Path, mode: Mode, size):
    app = Dashboard(attach=make_run(tmp_path, conditional=True), draw_mode=mode)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        panel = app.query_one("#samples")
        lines = panel_text(app)
        labels = [line.split() for line in lines if line.split() and line.split()[0] == "0"]
        # Every class over its column, in order, in bands of columns: 0 to 4, then 5 to 9.
        heads = [line.split() for line in lines if line.strip() and line.split()[0] in "05"]
        assert [w for head in heads for w in head] == list("0123456789"), lines
        assert labels and len(lines) <= panel.content_size.height
        assert all(len(line) <= panel.content_size.width for line in lines)
        if mode.plain:  # the ramp under the labels, nothing else
            body = "".join(line for line in lines if line.split() not in heads)
            assert set(body) <= set(RAMP)
        if mode.ascii:
            assert all(printable(line) for line in lines)
            assert printable(panel.border_title) and printable(panel.border_subtitle)


async def test_a_fashion_run_names_its_classes(tmp_path: Path):
    run = as_fashion(make_run(tmp_path, conditional=True))
    for mode in (COLOUR, ASCII):
        app = Dashboard(attach=run, draw_mode=mode)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            text = "\n".join(panel_text(app))
            for name in ("T-shirt", "Trouser", "Pullover", "Sandal", "Boot"):
                assert name in text, text


async def test_the_digits_are_drawn_large_enough_to_read_by_default(tmp_path: Path):
    # 100x30: the samples panel is 48x17 cells; a digit 13 px of its 26 (7 half-block rows)
    # rather than the 7 px blobs of the dense grid.
    app = Dashboard(attach=make_run(tmp_path), draw_mode=COLOUR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.query_one("#samples")
        assert panel.border_subtitle.startswith("6 of 64, half")
        inked = [line for line in panel_text(app) if line.strip()]
        assert len(inked) >= 2 * 7  # two rows of digits, each at least 7 lines tall


async def test_reconstructions_are_a_few_pairs_large_enough_to_compare(tmp_path: Path):
    for mode in (COLOUR, NO_COLOR):
        app = Dashboard(attach=make_run(tmp_path / mode.colour, family="vae"), draw_mode=mode)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("f", "f")  # fresh samples, then real | reconstruction
            await pilot.pause(0.2)
            panel = app.query_one("#samples")
            assert "real | reconstruction" in panel.border_title
            panel.strips()
            await pilot.pause(0.1)
            pairs = int(panel.border_subtitle.split()[0])
            assert 1 <= pairs <= 4 and "of 16 pairs" in panel.border_subtitle
            inked = [line for line in panel_text(app) if line.strip()]
            # In half-blocks a pair 13 px or more (7 rows); the ramp's 24 pixel columns hold a
            # pair of 11 px (11 lines). They were 5 px.
            assert len(inked) >= (11 if mode.plain else 7)


@pytest.mark.parametrize("mode", [ASCII, NO_COLOR], ids=["ascii", "no-color"])
async def test_the_1d_view_reads_without_colour(tmp_path: Path, mode: Mode):
    app = Dashboard(attach=make_run(tmp_path, toy=True), draw_mode=mode)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        lines = panel_text(app, "#toy")
        legend, body = lines[0], "".join(lines[1:-1])
        assert legend.startswith("# real  * G(z)  + both  o D(x)")
        # Both histograms and D's line are on screen, each as its own character.
        assert all(body.count(c) > 5 for c in "#*+o")
        assert "1.00" in body and "0.00" in body  # D's scale
        assert all(printable(line) for line in lines)
        assert "▀" not in "".join(lines)
