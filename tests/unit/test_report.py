"""`tui-gan report`: every figure is written and shows something; notes for what cannot be."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.tui.fakerun import make_run
from tui_gan.cli.app import app
from tui_gan.engine import events as ev


def cli(*args: str):
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def assert_drawn(path: Path, min_w: int = 300, min_h: int = 150) -> None:
    """A real figure: big enough, and not one flat colour."""
    img = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert img.shape[1] >= min_w and img.shape[0] >= min_h, (path.name, img.shape)
    assert img.std() > 10, f"{path.name} is nearly blank"


def test_a_run_gets_each_figure_and_report_md_shows_them_in_order(tmp_path: Path):
    run = make_run(tmp_path, conditional=True)
    code, stdout, _ = cli("report", str(run))
    assert code == 0 and f"wrote {run / 'report' / 'report.md'}" in stdout
    names = ["losses", "outputs", "quality", "classes", "timeline"]
    for name in names:  # the timeline of a run with one grid is one row of tiles
        assert_drawn(run / "report" / f"{name}.png", min_h=60 if name == "timeline" else 150)
    md = (run / "report" / "report.md").read_text()
    assert re.findall(r"!\[(\w+)\]\((\w+)\.png\)", md) == [(n, n) for n in names]
    assert "conditional accuracy" in md  # the classes figure's second panel, for cdcgan
    assert "Not drawn" not in md


def test_a_run_without_evaluations_gets_the_rest_and_a_note(tmp_path: Path):
    run = make_run(tmp_path)
    metrics = run / "metrics.jsonl"
    kept = [ln for ln in metrics.read_text().splitlines() if '"type": "eval"' not in ln]
    metrics.write_text("\n".join(kept) + "\n")
    code, _, _ = cli("report", str(run), "--format", "svg")
    assert code == 0
    assert not (run / "report" / "quality.svg").exists()
    assert (run / "report" / "losses.svg").read_text().startswith("<?xml")
    md = (run / "report" / "report.md").read_text()
    assert "## Not drawn" in md and "no evaluations logged (log.eval_every = 0)" in md


@pytest.mark.parametrize("frames", [10, 4])
def test_the_1d_series_has_the_frames_asked_for_in_step_order(tmp_path: Path, frames: int):
    run = make_run(tmp_path, toy=True, steps=400)
    first = next(
        e for e in ev.iter_events(run / "metrics.jsonl") if isinstance(e, ev.Toy1DSnapshot)
    )
    with open(run / "metrics.jsonl", "a") as fh:  # 20 more snapshots, steps 20..400
        for step in range(20, 401, 20):
            fh.write(ev.to_line(ev.Toy1DSnapshot(**{**first.__dict__, "step": step})))
    code, _, _ = cli("report", str(run), "--frames", str(frames))
    assert code == 0
    assert_drawn(run / "report" / "frames.png", min_w=600)
    md = (run / "report" / "report.md").read_text()
    steps = [int(s) for s in re.search(r"\(steps ([\d, ]+)\)", md).group(1).split(", ")]
    assert len(steps) == frames and steps == sorted(steps)
    assert steps[0] == 20 and steps[-1] == 400  # first and last snapshot included
    assert "timeline" not in md  # a 1-D run has no sample grids


def test_an_ebm_and_a_vae_get_their_own_curves(tmp_path: Path):
    for family in ("ebm", "vae"):
        run = make_run(tmp_path, name=family, family=family)
        assert cli("report", str(run))[0] == 0
        md = (run / "report" / "report.md").read_text()
        assert ("CD loss and reg loss" if family == "ebm" else "recon and KL") in md
        assert_drawn(run / "report" / "outputs.png")


def test_two_runs_are_overlaid_with_their_final_metrics(tmp_path: Path):
    a, b = make_run(tmp_path, name="a"), make_run(tmp_path, name="b", collapse=True)
    out = tmp_path / "both"
    code, stdout, _ = cli("report", str(a), str(b), "--out", str(out))
    assert code == 0
    for name in ("losses", "quality"):
        assert_drawn(out / f"{name}.png")
    md = (out / "report.md").read_text()
    assert "# a vs b" in md and "| a | mnist-mlp |" in md and "| b | mnist-mlp |" in md


def test_bad_inputs_are_one_line(tmp_path: Path):
    code, _, stderr = cli("report", str(tmp_path / "nope"))
    assert code == 2 and "not a run directory (no metrics.jsonl)" in stderr
    run = make_run(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, stderr = cli("report", str(run), "--out", str(blocker / "sub"))
    assert code == 2 and len(stderr.strip().splitlines()) == 1
