"""The dashboard in each drawing mode at 80x24 and 100x30, and its shell's keys and header:
what a user reads off the screen, with the escapes a terminal receives."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import start_fake_trainer
from tests.tui.fakerun import make_run, settle
from tests.tui.test_escape_pilot import capture_exit, printed
from tui_gan.request import TrainArgs
from tui_gan.tui import app as app_mod
from tui_gan.tui.app import Dashboard
from tui_gan.tui.confirm import Confirm
from tui_gan.tui.messages import ProcessExited
from tui_gan.tui.mode import Mode

MODES = {
    "colour": Mode(),
    "no-colour": Mode("none"),  # NO_COLOR: Unicode, no colour
    "ascii": Mode("16", ascii=True),
}
SIZES = [(80, 24), (100, 30)]
SGR = re.compile(r"\x1b\[([0-9;]*)m")
CURSOR = re.compile(r"\x1b\[[0-9;]*H")


def screen_ansi(app) -> str:
    """The whole screen (modal screens over the ones beneath) as a terminal receives it:
    rendered as App.export_screenshot renders it, to ANSI text instead of SVG."""
    w, h = app.size
    console = Console(
        width=w,
        height=h,
        file=StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    screen = app.screen
    console.print(screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.file.getvalue()


def screen_text(app) -> str:
    """The screen's characters, row by row."""
    return CURSOR.sub("", SGR.sub("", screen_ansi(app)))


def colour_codes(ansi: str) -> set[str]:
    """The SGR parameters that set a colour (foreground, background, 16/256/true colour)."""
    found = set()
    for params in SGR.findall(ansi):
        codes = [int(p) for p in params.split(";") if p]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c in (38, 48):  # 38;5;N or 38;2;R;G;B
                found.add(";".join(map(str, codes[i : i + (3 if codes[i + 1] == 5 else 5)])))
                i += 3 if codes[i + 1] == 5 else 5
                continue
            if 30 <= c <= 37 or 40 <= c <= 47 or 90 <= c <= 97 or 100 <= c <= 107:
                found.add(str(c))
            i += 1
    return found


def outside_ascii(text: str) -> set[str]:
    return {c for c in text if c != "\n" and not " " <= c <= "~"}


def check_mode(app, mode: str) -> str:
    ansi = screen_ansi(app)
    text = screen_text(app)
    if mode == "ascii":
        assert outside_ascii(text) == set(), text
    if mode == "no-colour":
        assert colour_codes(ansi) == set()
    else:
        assert colour_codes(ansi)  # the check above would see them
    return text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("mode", list(MODES))
async def test_every_mode_and_size_shows_the_charts_and_the_help_key(tmp_path, mode, size):
    app = Dashboard(attach=make_run(tmp_path), draw_mode=MODES[mode])
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = check_mode(app, mode)
        assert "D loss" in text and "D(G(z))" in text
        assert "? help" in text.splitlines()[-1]  # the footer keeps it, even at 80
        assert "finished" in text.splitlines()[0]
        # A live resize to the other size is laid out for the new size, not the old one.
        other = SIZES[1 - SIZES.index(size)]
        await pilot.resize_terminal(*other)
        await pilot.pause(0.3)
        text = check_mode(app, mode)
        assert "D loss" in text and "D(G(z))" in text and "? help" in text
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("mode", list(MODES))
async def test_help_and_the_picker_in_each_mode(tmp_path, mode):
    app = Dashboard(
        attach=make_run(tmp_path),
        draw_mode=MODES[mode],
        presets_source=lambda: [("mnist-mlp", "an MLP GAN on digits…"), ("mnist-vae", "a VAE")],
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        text = check_mode(app, mode)
        assert "tui-gan keys" in text
        await pilot.press("end")  # the help scrolls: its end explains the quality numbers
        await pilot.pause(0.2)
        assert "precision" in check_mode(app, mode)
        await pilot.press("escape", "p")
        await pilot.pause(0.3)
        assert "mnist-vae" in check_mode(app, mode)
        await pilot.press("escape")


async def test_the_stop_question_is_ascii_in_ascii_mode(tmp_path: Path):
    run = make_run(tmp_path, state="running")
    trainer = start_fake_trainer(run)
    try:
        app = Dashboard(attach=run, draw_mode=MODES["ascii"])
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("x")
            await pilot.pause(0.2)
            assert isinstance(app.screen, Confirm)
            assert "Stop the run" in check_mode(app, "ascii")
            await pilot.press("escape")
    finally:
        trainer.kill()
        trainer.wait()


async def test_a_live_run_ticks_and_space_says_resume_while_paused(tmp_path: Path):
    run = make_run(tmp_path, state="running")
    trainer = start_fake_trainer(run)
    try:
        app = Dashboard(attach=run)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            header = screen_text(app).splitlines()[1]
            assert "elapsed 0:10" in header and "ETA" in header  # the last record's time
            await pilot.pause(2.2)  # no record arrives meanwhile: the clock moves it on
            assert "elapsed 0:1" in (now := screen_text(app).splitlines()[1])
            assert "elapsed 0:10" not in now
            footer = screen_text(app).splitlines()[-1]
            assert "space pause" in footer and "resume" not in footer
            await pilot.press("space")
            await pilot.pause(0.2)
            footer = screen_text(app).splitlines()[-1]
            assert "space resume" in footer and "? help" in footer
            await pilot.pause(1.5)  # paused: the clock stands still
            frozen = screen_text(app).splitlines()[1]
            await pilot.pause(1.2)
            assert screen_text(app).splitlines()[1] == frozen
    finally:
        trainer.kill()
        trainer.wait()


async def test_an_ended_run_shows_no_eta_and_detach_says_it_finished(tmp_path: Path):
    run = make_run(tmp_path)
    app = Dashboard(attach=run)
    said = capture_exit(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        header = screen_text(app).splitlines()[1]
        assert "elapsed 0:10" in header and "ETA" not in header
        await pilot.press("d")
        await pilot.pause(0.2)
    assert "the run has finished" in printed(said[0])
    assert "goes on" not in printed(said[0])


async def test_a_launched_run_names_preset_data_and_device_from_the_first_frame(
    tmp_path: Path, monkeypatch
):
    class Running:  # the trainer, still setting up: it has written nothing yet
        returncode = None

        def poll(self):
            return None

    spawned: list[TrainArgs] = []
    monkeypatch.setattr(app_mod, "spawn_train", lambda args: spawned.append(args) or Running())
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    args, _ = TrainArgs(preset="mnist-mlp", out=tmp_path, steps=300).new_run()
    app = Dashboard(launch=args)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        header = "\n".join(screen_text(app).splitlines()[:2])
        assert "starting" in header
        assert "mnist-mlp" in header and "mnist" in header.replace("mnist-mlp", "")
        assert "cpu" in header and "?" not in header.replace("/?", "")
        assert "step 0/300" in header
    assert [a.run_dir for a in spawned] == [args.run_dir]


async def test_a_pick_starts_its_preset_with_its_overrides(tmp_path: Path, monkeypatch):
    from textual.screen import ModalScreen

    from tui_gan.tui.picker import Pick

    class Answers(ModalScreen):  # the picker, answered: a preset and --set values
        def __init__(self, source=None, out=None):
            super().__init__()
            assert out == tmp_path  # where the picked run goes, for the picker's checks

        def on_mount(self) -> None:
            self.dismiss(Pick("mnist-vae", ("train.steps=5", "log.log_every=1")))

    monkeypatch.setattr("tui_gan.tui.picker.PresetPicker", Answers)
    app = Dashboard(attach=make_run(tmp_path))
    started: list[TrainArgs] = []
    app.start_run = started.append
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause(0.3)
    [args] = started
    assert args.preset == "mnist-vae" and args.out == tmp_path
    assert args.overrides == ("train.steps=5", "log.log_every=1")


async def test_a_picked_run_that_failed_to_start_leaves_no_folder(tmp_path: Path):
    failed = tmp_path / "mnist-vae-1"
    failed.mkdir()
    (failed / "train.log").write_text("tui-gan: data: no such folder /nope\n")

    class Exited:
        returncode = 2

        def poll(self):
            return 2

    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.starting = frozenset({failed})
        app.procs = {failed: Exited()}
        app.post_message(ProcessExited(failed, 2))
        await pilot.pause(0.3)
        said = "\n".join(app.query_one("#events").lines)
    assert "did not start: tui-gan: data: no such folder /nope" in said
    assert "removed" in said and not failed.exists()


async def test_m_smooths_both_charts_and_says_so(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await pilot.pause(0.1)
        assert app.query_one("#losses").smooth and app.query_one("#disc").smooth
        assert "smoothing on" in app.query_one("#events").lines[-1]
        await pilot.press("m")
        await pilot.pause(0.1)
        assert "smoothing off" in app.query_one("#events").lines[-1]
