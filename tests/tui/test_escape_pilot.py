"""Pilot tests of the review's findings on the dashboard (issue 21): a run's name shown escaped
on one row, junk steps never shown as progress, and q saying how the run really ended."""

from __future__ import annotations

import json
import os
import signal
import time
from io import StringIO
from pathlib import Path

from rich.console import Console
from textual.geometry import Region

from tests.conftest import start_fake_trainer
from tests.tui.fakerun import make_run, settle
from tui_gan.rundir.names import CONTROL
from tui_gan.rundir.read import MAX_STEP
from tui_gan.stopping import stop_outcome
from tui_gan.tui.app import Dashboard
from tui_gan.tui.sweepview import SweepApp

# A folder name that retitles a tmux pane (OSC 2 ... BEL), breaks the line and holds markup.
HOSTILE = "run\x1b]2;pwned\x07\nx[bold]y"
ESCAPED = "run\\x1b]2;pwned\\x07\\nx[bold]y"
RAW = ("\x1b", "\x07", "\n")


def rows(app, selector: str) -> list[str]:
    """The rows a widget draws on the screen, as text."""
    widget = app.query_one(selector)
    return [s.text for s in widget.render_lines(Region(0, 0, *widget.size))]


def capture_exit(app) -> list:
    """What the app prints when it exits (Textual hands exit's message to its console)."""
    said: list = []
    real = app.exit

    def exit_(*args, **kwargs):
        said.append(kwargs.get("message"))
        real(*args, **kwargs)

    app.exit = exit_
    return said


def printed(message) -> str:
    """The message as Textual's console writes it to the terminal."""
    out = StringIO()
    Console(file=out, width=300, force_terminal=True, color_system=None).print(message)
    return out.getvalue()


async def test_a_hostile_run_name_is_one_escaped_row_in_the_header_log_and_detach(tmp_path):
    run = make_run(tmp_path, name=HOSTILE)
    app = Dashboard(attach=run)
    said = capture_exit(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        header = rows(app, "#header")
        assert ESCAPED in header[0]  # the whole name on the first row, markup and all
        assert header[1].lstrip().startswith("step 400/1000")  # the second row is its own
        events = app.query_one("#events").lines
        assert any(ESCAPED in line for line in events)
        for text in [*header, *events, *rows(app, "#events")]:
            assert not any(c in text for c in RAW), repr(text)
        await pilot.press("d")
        await pilot.pause(0.1)
    shown = printed(said[0])
    assert not any(c in shown.rstrip("\n") for c in RAW), repr(shown)
    assert shown.rstrip("\n").endswith(f"tui-gan attach {run.parent}/{ESCAPED}")


async def test_a_junk_step_record_never_shows_as_progress(tmp_path: Path):
    run = make_run(tmp_path, steps=20)
    values = {"epoch": 1.0, "time": 1.0, "loss_d": 0.5, "loss_g": 0.5, "d_real": 0.5}
    with open(run / "metrics.jsonl", "a") as fh:
        for step in (MAX_STEP, 10**18):  # the largest a record may hold, and past it
            fh.write(json.dumps({"type": "step", "step": step, **values, "d_fake": 0.5}) + "\n")
    status = json.loads((run / "status.json").read_text())
    (run / "status.json").write_text(json.dumps({**status, "total_steps": 20}))
    app = Dashboard(attach=run)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = rows(app, "#header")
        assert len(header) == 2 and header[0].lstrip().startswith("tui-gan")
        assert header[1].lstrip().startswith("step 20/20 100% │ epoch")
        assert str(MAX_STEP) not in "".join(header)
        events = app.query_one("#events").lines
        assert any("skipped a step record" in line for line in events)


async def test_a_step_past_a_smaller_total_stays_at_100_percent(tmp_path: Path):
    run = make_run(tmp_path, steps=400)
    status = json.loads((run / "status.json").read_text())
    (run / "status.json").write_text(json.dumps({**status, "total_steps": 20}))
    app = Dashboard(attach=run)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert rows(app, "#header")[1].lstrip().startswith("step 400/20 100%")


async def test_stopping_says_the_trainer_died_as_stop_does(tmp_path: Path):
    run = make_run(tmp_path, state="running")
    trainer = start_fake_trainer(run)
    try:
        app = Dashboard(attach=run)
        said = capture_exit(app)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            os.kill(trainer.pid, signal.SIGSTOP)  # it cannot act on the request before...
            await pilot.press("x", "y")  # stop the attached run, confirmed
            deadline = time.monotonic() + 10
            while not json.loads((run / CONTROL).read_text()).get("stop"):
                assert time.monotonic() < deadline, "q sent no stop request"
                await pilot.pause(0.05)
            os.kill(trainer.pid, signal.SIGKILL)  # ... it dies, saving nothing
            trainer.wait()
            for _ in range(100):
                if said:
                    break
                await pilot.pause(0.1)
    finally:
        trainer.kill()
        trainer.wait()
    assert app.return_code == 1
    expected = stop_outcome(run)
    assert not expected.ok and "the trainer died before it stopped" in expected.line
    assert printed(said[0]).strip() == f"tui-gan: {expected.line}"


async def test_a_stop_without_a_checkpoint_is_not_success(tmp_path: Path):
    run = make_run(tmp_path, state="running")
    trainer = start_fake_trainer(run)  # ends "stopped" when asked, but writes no last.pt
    try:
        app = Dashboard(attach=run)
        said = capture_exit(app)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("x", "y")  # stop the attached run, confirmed
            for _ in range(100):
                if said:
                    break
                await pilot.pause(0.1)
    finally:
        trainer.kill()
        trainer.wait()
    assert app.return_code == 1
    assert (
        printed(said[0]).strip()
        == f"tui-gan: {run}: stopped at step 0, but {run}/last.pt does not exist"
    )


async def test_a_sweep_table_shows_hostile_names_literally(tmp_path: Path):
    sweep = tmp_path / "[bold]grid\x1b]2;pwned\x07"
    sweep.mkdir()
    make_run(sweep, "[red]r1")
    meta = {
        "name": "grid",
        "preset": "mnist-mlp",
        "steps": 1000,
        "axes": [{"name": "[b]lr", "values": ["[i]1"]}],
        "runs": [{"name": "[red]r1", "values": {"[b]lr": "[i]1"}}],
    }
    (sweep / "sweep.json").write_text(json.dumps(meta))
    app = SweepApp(sweep)
    async with app.run_test(size=(100, 20)) as pilot:
        for _ in range(50):
            if app.rows:
                break
            await pilot.pause(0.1)
        await pilot.pause(0.2)
        title = rows(app, "#title")[0]
        assert "sweep [bold]grid\\x1b]2;pwned\\x07: 1/1 finished" in title
        table = rows(app, "DataTable")
        assert "[b]lr" in table[0]
        assert "[red]r1" in table[1] and "[i]1" in table[1]
        assert not any(c in text for text in [title, *table] for c in RAW)


async def test_a_sweep_of_1d_runs_names_its_score_w1(tmp_path: Path):
    sweep = tmp_path / "toy-grid"
    sweep.mkdir()
    make_run(sweep, "lr-1", toy=True)
    meta = {
        "name": "toy-grid",
        "preset": "toy1d-sine",
        "steps": 1000,
        "axes": [{"name": "lr", "values": [1]}],
        "runs": [{"name": "lr-1", "values": {"lr": 1}, "set": []}],
    }
    (sweep / "sweep.json").write_text(json.dumps(meta))
    app = SweepApp(sweep)
    async with app.run_test(size=(100, 20)) as pilot:
        for _ in range(50):
            if app.rows:
                break
            await pilot.pause(0.1)
        await pilot.pause(0.2)
        table = rows(app, "DataTable")
        assert table[0].split() == ["run", "lr", "state", "step", "W1"]
        assert table[1].split()[-1] == "0.125"  # W1 at its precision, not FID's "0.1"
