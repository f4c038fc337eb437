"""The preset picker (issue 23): an exact name wins, the list opens on a preset that can start
here, one that cannot is marked and says why before Enter, `--set` values are validated as
the CLI validates them, and it fits 80x24 in ASCII mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input

from tui_gan.tui.mode import Mode
from tui_gan.tui.picker import Pick, PresetPicker, parse_sets


class PickerApp(App):
    """An empty screen that opens the picker and keeps its answer."""

    def __init__(self, out: Path, mode: Mode | None = None, source=None):
        super().__init__()
        self.out, self.source = out, source
        self.draw_mode = mode or Mode()
        self.answers: list[Pick | None] = []

    def on_mount(self) -> None:
        self.push_screen(PresetPicker(self.source, out=self.out), self.answers.append)


def screen_rows(app: App) -> list[str]:
    """The screen as text, row by row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen(app: App) -> str:
    """What the picker's box says, its wrapped lines joined (the border left out)."""
    inside = [re.sub(r"^\s*[│|]|[│|]\s*$", "", row) for row in screen_rows(app)]
    return " ".join(" ".join(inside).split())


async def type_in(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)
    await pilot.pause()


async def test_an_exact_name_wins(tmp_path: Path):
    app = PickerApp(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await type_in(pilot, "mnist-vae")  # mnist-vae-gan matches too, and is listed first
        assert "Enter starts mnist-vae " in screen(app)
        await pilot.press("enter")
        await pilot.pause()
    assert app.answers == [Pick("mnist-vae")]


async def test_it_opens_on_a_preset_that_can_start_and_marks_those_that_cannot(tmp_path: Path):
    app = PickerApp(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PresetPicker)
        first = picker._highlighted()
        assert first is not None and picker.check(first).can == "yes"
        assert not first.startswith("faces")
        rows = screen_rows(app)
        faces = next(r for r in rows if "faces-dcgan " in r)
        assert "x faces-dcgan" in faces  # marked in the list
        # mnist-vae-gan starts from an mnist-vae run in the same folder: there is none
        assert any("x mnist-vae-gan" in r for r in rows)

        await type_in(pilot, "faces-dcgan")
        why = "cannot start faces-dcgan here: faces: no image folder given"
        assert why in screen(app)  # said before Enter
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == [] and why in screen(app)  # and Enter starts nothing

        # With a folder of images given as a --set value, it can start.
        faces_dir = tmp_path / "faces"
        faces_dir.mkdir()
        (faces_dir / "a.png").write_bytes(b"\x89PNG")
        await pilot.press("tab")
        app.screen.query_one("#sets", Input).value = f"data.root={faces_dir}"  # a long path
        await pilot.pause(0.1)
        assert "Enter starts faces-dcgan" in screen(app)
        await pilot.press("enter")
        await pilot.pause()
    assert app.answers == [Pick("faces-dcgan", (f"data.root={faces_dir}",))]


async def test_a_bad_set_value_shows_its_error_and_starts_nothing(tmp_path: Path):
    app = PickerApp(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_in(pilot, "mnist-mlp")
        await pilot.press("tab")
        await type_in(pilot, "optim.g.lr=fast")
        error = "command line: optim.g.lr: expected a number in [1e-09, 10], got 'fast'"
        assert error in screen(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == []
        app.screen.query_one("#sets", Input).value = "optim.g.lr=1e-4 train.steps=300"
        await pilot.pause(0.1)  # the change, then the screen drawn again
        assert error not in screen(app) and "Enter starts mnist-mlp" in screen(app)
        await pilot.press("enter")
        await pilot.pause()
    assert app.answers == [Pick("mnist-mlp", ("optim.g.lr=1e-4", "train.steps=300"))]


@pytest.mark.parametrize("mode", [Mode("none", ascii=True), Mode("truecolor")])
async def test_it_fits_80x24(tmp_path: Path, mode: Mode):
    app = PickerApp(tmp_path, mode)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_in(pilot, "faces-dcgan")
        rows, text = screen_rows(app), screen(app)
        assert "--set" in text and "x: cannot start here" in text  # the last row shows
        assert "cannot start faces-dcgan here: faces: no image folder given; add --set " in text
        assert "data.root=/path/to/faces" in text  # the reason wraps: read whole
        # A list row may be cut; the highlighted preset's description is shown whole.
        assert "DCGAN for 24x24 greyscale faces from your image folder (set data.root)" in text
        if mode.ascii:
            bad = {c for r in rows for c in r if not " " <= c <= "~"}
            assert not bad, rows


async def test_escape_answers_none_and_a_file_preset_can_be_typed(tmp_path: Path):
    mine = tmp_path / "mine.toml"
    mine.write_text('[data]\nname = "toy1d"\n[model]\nfamily = "toy1d"\n')
    app = PickerApp(tmp_path, source=lambda: [(str(mine), "my own")])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(PresetPicker(app.source, out=tmp_path), app.answers.append)
        await pilot.pause()
        await type_in(pilot, "mine")
        await pilot.press("enter")
        await pilot.pause()
    assert app.answers == [None, Pick(str(mine))]


def test_set_values_read_as_typed():
    assert parse_sets("") == ()
    assert parse_sets("--set a.b=1 --set c=two") == ("a.b=1", "c=two")
    assert parse_sets("optim.g.betas=[0.5, 0.999] x=1") == ("optim.g.betas=[0.5, 0.999]", "x=1")
    assert parse_sets("data.root='/a b/c'") == ("data.root=/a b/c",)
    with pytest.raises(Exception, match="--set"):
        parse_sets("data.root='/unclosed")
