"""Sweep findings of the review (issue 21): a 1-D run's score is called W1, not FID, and a
refused launcher leaves no folder behind."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.tui.fakerun import make_run
from tui_gan.cli.app import app
from tui_gan.sweep.progress import (
    read_meta,
    run_rows,
    score_cell,
    score_of,
    score_text,
    sweep_metric,
)


def make_sweep(root: Path, preset: str, toy: bool) -> Path:
    sweep = root / "grid"
    sweep.mkdir(parents=True)
    make_run(sweep, "lr-1", toy=toy)
    meta = {
        "name": "grid",
        "preset": preset,
        "steps": 1000,
        "axes": [{"name": "lr", "values": [1]}],
        "runs": [{"name": "lr-1", "values": {"lr": 1}, "set": []}],
    }
    (sweep / "sweep.json").write_text(json.dumps(meta))
    return sweep


def test_a_1d_run_is_scored_by_w1_and_an_image_run_by_fid(tmp_path: Path):
    toy = make_sweep(tmp_path / "toy", "toy1d-sine", toy=True)
    (row,) = run_rows(toy, read_meta(toy))
    assert (row.metric, row.score) == ("W1", 0.125)  # make_run's last W1: 0.5 / 4
    assert score_text(row.metric, row.score) == "W1 0.125"  # not "FID 0.1"
    images = make_sweep(tmp_path / "images", "mnist-mlp", toy=False)
    (row,) = run_rows(images, read_meta(images))
    assert score_text(row.metric, row.score) == "FID 10.0"


def test_the_sweep_names_its_metric_before_any_run_is_scored():
    assert sweep_metric({"preset": "toy1d-sine", "runs": [{"set": []}]}) == "W1"
    assert sweep_metric({"preset": "mnist-mlp", "runs": [{"set": []}]}) == "FID"
    assert sweep_metric({"preset": "no-such-preset", "runs": []}) == "score"


def test_a_sweep_csv_row_names_its_metric():
    assert score_of({"w1": 0.0451, "ks": 0.1}) == ("W1", 0.0451)
    assert score_of({"fid": 12.34, "precision": 0.9}) == ("FID", 12.34)
    assert score_of({"state": "failed"}) is None
    assert score_cell("W1", 0.0451) == "0.045" and score_cell("FID", 12.34) == "12.3"


def _refused(tmp_path: Path, *extra: str):
    out = tmp_path / "new-out"  # does not exist: a refusal must not leave it behind
    args = ["sweep", "--preset", "mnist-mlp", "--grid", "model.latent_dim=4"]
    res = CliRunner().invoke(app, [*args, "--out", str(out), "--launcher", "submitit", *extra])
    assert res.exit_code == 2, res.output
    assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("tui-gan: ")
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))
    return res.stderr


def test_a_bad_submitit_parameter_leaves_no_out_folder(tmp_path: Path):
    pytest.importorskip("submitit")
    assert "--submitit: Unknown executor 'bogus'" in _refused(tmp_path, "--submitit", "bogus_x=1")


def test_no_submitit_installed_leaves_no_out_folder(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "submitit", None)  # the import fails
    assert "needs submitit" in _refused(tmp_path)
