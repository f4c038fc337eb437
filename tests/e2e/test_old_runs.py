"""Runs written before the run format existed (format 1, by tui-gan at 82dee8f) still read:
`runs`, `compare`, `eval`, `attach` and `--resume` on them, and a newer format says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.tui.fakerun import settle
from tui_gan.cli.app import app
from tui_gan.engine import events as ev
from tui_gan.render.tiling import load_tiles
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.names import RUN_FORMAT
from tui_gan.tui.app import Dashboard
from tui_gan.view.runview import RunView

FORMAT1 = Path(__file__).parent.parent / "data" / "format1"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A copy of the format-1 runs (a 1-D run and an MNIST run with class counts and an eval)."""
    shutil.copytree(FORMAT1, tmp_path / "runs")
    return tmp_path / "runs"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_every_record_of_an_old_run_reads(out: Path):
    for run in ("toy-v1", "mnist-v1"):
        lines = (out / run / "metrics.jsonl").read_text().splitlines()
        events = list(ev.iter_events(out / run / "metrics.jsonl"))
        assert len(events) == len(lines)  # not one record skipped
        assert RunDir(out / run).read_format() == 1
        assert RunDir(out / run).format_problem() is None  # nothing it cannot show


def test_runs_lists_old_runs(out: Path):
    result = invoke("runs", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["toy-v1"]["state"] == rows["mnist-v1"]["state"] == "finished"
    assert rows["toy-v1"]["step"] == 120 and rows["toy-v1"]["loss_d"] is not None
    assert rows["mnist-v1"]["format"] == 1


def test_compare_and_eval_on_old_runs(out: Path):
    result = invoke("compare", str(out / "mnist-v1"))
    assert result.exit_code == 0, result.output
    assert "mnist-v1" in result.stdout and "logged" in result.stdout
    result = invoke("eval", str(out / "toy-v1"), "--json", "--n", "500")
    assert result.exit_code == 0, result.output
    assert {"w1", "ks"} <= set(json.loads(result.stdout))


def test_the_view_of_an_old_run_cuts_its_grids_right(out: Path):
    """Format 1 wrote fresh.png 8 wide whatever the fixed grid's width (here 4)."""
    view = RunView.open(out / "mnist-v1")
    for event in list(ev.iter_events(out / "mnist-v1" / "metrics.jsonl")):
        view.apply(event)
    fixed, fixed_nrow = view.sample_grid(fresh=False)
    fresh, fresh_nrow = view.sample_grid(fresh=True)
    assert (fixed_nrow, fresh_nrow) == (4, 8)
    assert len(load_tiles(fixed, 28, fixed_nrow)) == 16
    assert len(load_tiles(fresh, 28, fresh_nrow)) == 64
    assert view.last_eval is not None and view.last_eval.fid is not None


async def test_attach_to_an_old_run(out: Path):
    app = Dashboard(attach=out / "mnist-v1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.view.step == 40 and app.view.state == "finished"
        assert app.view.samples is not None and app.view.samples.class_counts is not None
        text = "\n".join(app.query_one("#events").lines)
        assert "run finished at step 40" in text
        assert "newer tui-gan" not in text and "status.json" not in text


def test_resume_an_old_run_upgrades_its_format(out: Path):
    result = invoke("train", "--resume", str(out / "toy-v1"), "--steps", "160")
    assert result.exit_code == 0, result.output
    rd = RunDir(out / "toy-v1")
    assert rd.read_format() == RUN_FORMAT
    events = list(ev.iter_events(rd.metrics_path))
    assert [e.step for e in events if isinstance(e, ev.RunStarted)] == [0, 120]
    assert events[-1] == ev.Finished(
        step=160,
        state="finished",
        time=events[-1].time,
        img_per_s=events[-1].img_per_s,
        checkpoint="last.pt",
    )


def test_a_newer_format_is_said_in_one_line(out: Path):
    (out / "toy-v1" / "run.json").write_text(json.dumps({"format": RUN_FORMAT + 1}))
    result = invoke("runs", "--out", str(out))
    assert result.exit_code == 0
    notes = [ln for ln in result.stderr.splitlines() if "newer tui-gan" in ln]
    assert len(notes) == 1 and "toy-v1" in notes[0]
    (out / "toy-v1" / "run.json").write_text("[]")
    assert "unreadable" in (RunDir(out / "toy-v1").format_problem() or "")
