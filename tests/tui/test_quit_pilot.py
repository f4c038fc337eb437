"""q leaves the viewer (issue 23, second finding): an attached run goes on; a run the
dashboard started is stopped only when the user says so; x stops after one question."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import start_fake_trainer
from tests.tui.fakerun import make_run, settle
from tests.tui.test_escape_pilot import capture_exit, printed
from tui_gan.rundir.names import CONTROL
from tui_gan.rundir.status import run_state
from tui_gan.tui.app import Dashboard
from tui_gan.tui.confirm import Confirm


@pytest.fixture
def live_run(tmp_path: Path):
    """A recorded run with a fake trainer holding its lock, as a live run has."""
    run = make_run(tmp_path, state="running")
    trainer = start_fake_trainer(run)
    try:
        yield run, trainer
    finally:
        trainer.kill()
        trainer.wait()


def stop_asked(run: Path) -> bool:
    try:
        return bool(json.loads((run / CONTROL).read_text()).get("stop"))
    except (OSError, ValueError):
        return False


async def test_q_in_attach_detaches_and_the_run_goes_on(live_run):
    run, trainer = live_run
    app = Dashboard(attach=run)
    said = capture_exit(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause(0.3)
    assert not app.is_running and app.return_code in (None, 0)
    assert "detached; the run goes on" in printed(said[0])
    assert not stop_asked(run) and trainer.poll() is None
    assert run_state(run) in ("running", "paused")


async def test_x_asks_before_it_stops_and_esc_keeps_the_run(live_run):
    run, trainer = live_run
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause(0.2)
        assert isinstance(app.screen, Confirm)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.is_running and not isinstance(app.screen, Confirm)
        assert not stop_asked(run)
        await pilot.press("x", "y")
        for _ in range(50):
            if stop_asked(run):
                break
            await pilot.pause(0.1)
        assert stop_asked(run)


async def test_the_palettes_quit_does_what_q_does(live_run):
    run, trainer = live_run
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.action_quit()
        await pilot.pause(0.3)
    assert not app.is_running and not stop_asked(run)
