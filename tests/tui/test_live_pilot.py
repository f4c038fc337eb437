"""Pilot tests of each key against a real training process on a small CPU preset."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tui_gan.request import TrainArgs
from tui_gan.rundir.lock import verified_pid
from tui_gan.rundir.status import read_status, run_state
from tui_gan.tui.app import Dashboard

TOY = ("--set", "log.log_every=10")  # toy1d-sine: no classifier, starts in seconds


async def wait_until(pilot, cond, timeout: float = 90.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await pilot.pause(0.1)


def steps_logged(run: Path) -> int:
    recs = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    return max((r["step"] for r in recs if r["type"] == "step"), default=0)


@pytest.fixture
def out(tmp_path: Path, mnist_classifiers: Path) -> Path:
    # A cached digit classifier, so switching to an MNIST preset starts in seconds.
    shutil.copytree(mnist_classifiers, tmp_path / "classifiers")
    yield tmp_path
    # A failed test must not leave a ten-million-step run training in the background.
    for status_file in tmp_path.glob("*/status.json"):
        pid = verified_pid(status_file.parent, read_status(status_file.parent))
        if pid is not None:
            os.kill(pid, signal.SIGKILL)


def toy_app(out: Path, presets=None) -> Dashboard:
    spec = TrainArgs(
        preset="toy1d-sine", out=out, overrides=("log.log_every=10",), steps=10_000_000
    )
    return Dashboard(launch=spec, presets_source=presets)


async def test_s_space_f_and_q(out: Path):
    app = toy_app(out)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.view is not None and app.view.step > 0, what="steps")
        run = app.run_dir
        # 1-D: histograms in place of the samples, at the next screen refresh
        await wait_until(pilot, lambda: app.query_one("#samples").has_class("hidden"), 2)

        await pilot.press("s")  # s writes a checkpoint
        await wait_until(pilot, lambda: any(run.glob("ckpt-*.pt")), what="checkpoint")
        await wait_until(
            pilot, lambda: "checkpoint saved" in str(app.query_one("#events").render())
        )

        await pilot.press("space")  # space stops the step count
        await pilot.pause(0.05)
        assert "paused" in str(app.query_one("#header").render())  # shown at once
        await wait_until(pilot, lambda: run_state(run) == "paused", what="paused")
        frozen = steps_logged(run)
        await pilot.pause(1.5)
        assert steps_logged(run) == frozen
        assert app.is_running  # the UI stays live

        await pilot.press("space")
        await wait_until(pilot, lambda: steps_logged(run) > frozen + 20, what="resumed steps")

        await pilot.press("q", "s")  # a run started here: q asks, s saves and stops it
        await wait_until(pilot, lambda: not app.is_running, what="exit")
    status = read_status(run)
    assert status.state == "stopped"
    from tui_gan.engine.checkpoint import load_checkpoint

    assert load_checkpoint(run / "last.pt")["step"] == status.step


async def test_p_starts_the_other_preset_in_a_new_run_dir(out: Path):
    app = toy_app(out)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.view is not None and app.view.step > 0)
        first = app.run_dir
        await pilot.press("p")
        await pilot.pause(0.2)
        for ch in "lsgan":
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.run_dir != first, timeout=120, what="switch")
        assert app.run_dir.parent == first.parent and app.run_dir.name.startswith("mnist-lsgan-")
        await wait_until(pilot, lambda: run_state(first) == "stopped", what="old stop")
        assert (first / "last.pt").is_file()
        await wait_until(pilot, lambda: app.view.step > 0, what="new run steps")
        await pilot.press("q", "s")  # stop the run this dashboard started, and quit
        await wait_until(pilot, lambda: not app.is_running, what="exit")


async def test_a_bad_choice_in_the_picker_leaves_the_run_untouched(out: Path, tmp_path: Path):
    from tests.tui.test_modes_pilot import screen_text
    from tui_gan.tui.picker import PresetPicker

    bad = tmp_path / "no-faces.toml"
    bad.write_text(
        '[data]\nname = "faces"\nroot = "/no/such/folder"\nimage_size = 24\n'
        '[model]\nfamily = "faces-dcgan"\n'
    )
    invalid = tmp_path / "invalid.toml"
    invalid.write_text('[optim.g]\nlr = "fast"\n')
    app = toy_app(out, presets=lambda: [(str(bad), "missing data"), (str(invalid), "bad")])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.view is not None and app.view.step > 0)
        first = app.run_dir
        for choice, why in (
            ("no-faces", "/no/such/folder"),
            ("invalid", "expected a number in [1e-09, 10], got 'fast'"),
        ):
            await pilot.press("p")
            await pilot.pause(0.2)
            for ch in choice:
                await pilot.press(ch)
            await pilot.press("enter")  # refused: the picker stays, saying why
            await pilot.pause(0.3)
            assert isinstance(app.screen, PresetPicker)
            assert why in screen_text(app)
            await pilot.press("escape")
            await pilot.pause(0.2)
        assert app.run_dir == first and run_state(first) == "running"
        assert not app.starting and len(list(out.glob("*/status.json"))) == 1  # nothing started
        await pilot.press("q", "s")  # stop the run this dashboard started, and quit
        await wait_until(pilot, lambda: not app.is_running, what="exit")
