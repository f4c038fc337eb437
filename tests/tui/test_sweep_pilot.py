"""Pilot tests of `attach SWEEP_DIR`: the live table of runs, and Enter to open one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tui.fakerun import make_run
from tui_gan.tui.sweepview import SweepApp


def make_sweep(root: Path) -> Path:
    sweep = root / "grid"
    sweep.mkdir()
    make_run(sweep, "latent-9_hidden-16")
    make_run(sweep, "latent-16_hidden-16", steps=200, state="running")
    names = [("latent-9_hidden-16", 9), ("latent-16_hidden-16", 16), ("latent-36_hidden-16", 36)]
    meta = {
        "name": "grid",
        "preset": "mnist-mlp",
        "steps": 1000,
        "axes": [{"name": "latent", "values": [9, 16, 36]}, {"name": "hidden", "values": [16]}],
        "runs": [{"name": n, "values": {"latent": v, "hidden": 16}} for n, v in names],
    }
    (sweep / "sweep.json").write_text(json.dumps(meta))
    return sweep


async def wait_rows(app, pilot) -> None:
    for _ in range(50):
        if app.rows:
            return
        await pilot.pause(0.1)
    raise AssertionError("the sweep table never filled")


async def test_the_table_shows_each_runs_state_step_and_fid(tmp_path: Path):
    app = SweepApp(make_sweep(tmp_path))
    async with app.run_test(size=(100, 20)) as pilot:
        await wait_rows(app, pilot)
        table = app.query_one("DataTable")
        first = [str(c) for c in table.get_row("latent-9_hidden-16")]
        assert first == ["latent-9_hidden-16", "9", "16", "finished", "400/1000", "10.0"]
        live = [str(c) for c in table.get_row("latent-16_hidden-16")]
        assert live[3:] == ["running", "200/1000", "20.0"]
        pending = [str(c) for c in table.get_row("latent-36_hidden-16")]
        assert pending[3:] == ["pending", "0/1000", "--"]
        title = str(app.query_one("#title").render())
        assert "1/3 finished, 1 running" in title and "Enter" in title


async def test_enter_opens_the_run_under_the_cursor_and_pending_runs_say_so(tmp_path: Path):
    sweep = make_sweep(tmp_path)
    app = SweepApp(sweep)
    async with app.run_test(size=(100, 20)) as pilot:
        await wait_rows(app, pilot)
        await pilot.press("down", "down", "enter")  # the pending run: nothing to open
        await pilot.pause(0.1)
        assert app.is_running
        await pilot.press("up", "enter")
        await pilot.pause(0.1)
    assert app.return_value == sweep / "latent-16_hidden-16"


async def test_q_leaves_without_a_run(tmp_path: Path):
    app = SweepApp(make_sweep(tmp_path), cursor=2)
    async with app.run_test(size=(100, 20)) as pilot:
        await wait_rows(app, pilot)
        assert app.query_one("DataTable").cursor_row == 2  # back where the user left it
        await pilot.press("q")
    assert app.return_value is None


async def test_axes_named_like_the_tables_own_columns(tmp_path: Path):
    sweep = make_sweep(tmp_path)
    meta = json.loads((sweep / "sweep.json").read_text())
    meta["axes"] = [{"name": "step", "values": [9, 16, 36]}, {"name": "FID", "values": [16]}]
    for r in meta["runs"]:
        r["values"] = {"step": r["values"]["latent"], "FID": 16}
    (sweep / "sweep.json").write_text(json.dumps(meta))
    app = SweepApp(sweep)
    async with app.run_test(size=(100, 20)) as pilot:
        await wait_rows(app, pilot)
        row = [str(c) for c in app.query_one("DataTable").get_row("latent-9_hidden-16")]
        assert row == ["latent-9_hidden-16", "9", "16", "finished", "400/1000", "10.0"]
