"""Checkpoints of every layout still open, sample and resume: format 1 (flat, written by
tui-gan at 82dee8f, tests/data/format1) and the flat layout of run format 2 (written before the
checkpoint nested its entries, tests/data/format2); a resume writes the nested layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from tui_gan.cli.app import app
from tui_gan.engine import checkpoint as ck
from tui_gan.engine import events as ev
from tui_gan.rundir.folder import RunDir

DATA = Path(__file__).parent.parent / "data"
OLD_RUNS = [("format1", "toy-v1", 120), ("format1", "mnist-v1", 40)]
OLD_RUNS += [("format2", "toy-v2", 120), ("format2", "mnist-v2", 40)]


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.mark.parametrize("folder, name, step", OLD_RUNS)
def test_an_old_checkpoint_samples_and_resumes_into_the_nested_layout(
    tmp_path: Path, folder: str, name: str, step: int
):
    run = tmp_path / name
    shutil.copytree(DATA / folder / name, run)
    raw = torch.load(run / "last.pt", weights_only=True)
    assert "model" not in raw and "G" in raw  # the flat layout, as those versions wrote it
    assert ck.load_run_checkpoint(run / "last.pt")["step"] == step

    out = tmp_path / ("s.npz" if name.startswith("toy") else "s.png")  # 1-D: the numbers
    result = invoke("sample", str(run), "--n", "4", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.is_file()

    result = invoke("train", "--resume", str(run), "--steps", str(step + 20))
    assert result.exit_code == 0, result.output
    events = list(ev.iter_events(RunDir(run).metrics_path))
    assert [e.step for e in events if isinstance(e, ev.RunStarted)][-1] == step
    assert isinstance(events[-1], ev.Finished) and events[-1].step == step + 20
    saved = torch.load(run / "last.pt", weights_only=True)
    assert saved["format"] == ck.CHECKPOINT_FORMAT and saved["step"] == step + 20
    assert set(saved) == {"format", "step", "preset", "model", "loop"}
    assert set(raw) - {"format"} == set(ck.view(saved))  # the same entries, nested by owner
