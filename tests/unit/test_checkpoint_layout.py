"""A run's checkpoint is one nested dict (model, loop, preset), and the flat layout before it
resumes exactly as the nested one does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tui_gan.config import validate
from tui_gan.engine import checkpoint as ck
from tui_gan.engine import events as ev
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run
from tui_gan.errors import CheckpointError

TOY = {
    "data": {"name": "toy1d", "target": "sine"},
    "model": {"family": "toy1d", "latent_dim": 1, "g_hidden": [16], "d_hidden": [16]},
    "train": {"steps": 20, "batch_size": 64},
    "log": {"log_every": 5, "sample_every": 0, "checkpoint_every": 10, "eval_every": 0},
}


def toy(run_dir: Path, steps: int) -> RunSpec:
    preset = validate({**TOY, "train": {**TOY["train"], "steps": steps}}, "test")
    return RunSpec(preset, run_dir)


def losses(events) -> list[tuple]:
    return [(e.step, e.loss_d, e.loss_g) for e in events if isinstance(e, ev.StepMetrics)]


@pytest.fixture
def half(tmp_path: Path) -> RunSpec:
    spec = toy(tmp_path / "run", 20)
    assert isinstance(list(run(spec))[-1], ev.Finished)
    return spec


def test_a_checkpoint_is_the_models_the_loops_and_the_preset(half: RunSpec):
    raw = torch.load(half.run_dir / "last.pt", weights_only=True)
    assert set(raw) == {"format", "step", "preset", "model", "loop"}
    assert raw["format"] == ck.CHECKPOINT_FORMAT and raw["step"] == 20
    assert {"G", "D", "opt_g", "opt_d"} <= set(raw["model"])
    loop = {"epoch", "elapsed", "fixed_noise", "rng", "metrics_acc", "metrics_acc_n"}
    assert set(raw["loop"]) == loop
    assert raw["preset"]["model"]["family"] == "toy1d"


def test_the_flat_layout_resumes_exactly_as_the_nested_one(tmp_path: Path, half: RunSpec):
    """A format-1 checkpoint (every entry at the top) of the same state goes on to the same
    losses as the nested checkpoint it was made from."""
    flat_dir = tmp_path / "flat"
    flat_dir.mkdir()
    raw = torch.load(half.run_dir / "last.pt", weights_only=True)
    ck.atomic_save({"format": 1, **ck.view(raw)}, flat_dir / "last.pt")

    def resume(run_dir: Path, ckpt: Path) -> list:
        state = ck.load_run_checkpoint(ckpt)
        return list(run(RunSpec(toy(run_dir, 40).preset, run_dir, ckpt, resume_state=state)))

    nested = resume(half.run_dir, half.run_dir / "last.pt")
    flat = resume(flat_dir, flat_dir / "last.pt")
    assert isinstance(nested[-1], ev.Finished) and isinstance(flat[-1], ev.Finished)
    assert losses(nested) == losses(flat) and len(losses(flat)) == 4


def test_a_newer_or_damaged_layout_is_one_line(tmp_path: Path, half: RunSpec):
    raw = torch.load(half.run_dir / "last.pt", weights_only=True)
    path = tmp_path / "x.pt"
    ck.atomic_save({**raw, "format": ck.CHECKPOINT_FORMAT + 1}, path)
    with pytest.raises(CheckpointError, match="newer tui-gan"):
        ck.load_run_checkpoint(path)
    ck.atomic_save({**raw, "loop": [1, 2]}, path)
    with pytest.raises(CheckpointError, match="its 'loop' is wrong"):
        ck.load_run_checkpoint(path)
    ck.atomic_save({**raw, "loop": {**raw["loop"], "G": raw["model"]["G"]}}, path)
    with pytest.raises(CheckpointError, match="its 'G' is there twice"):
        ck.load_run_checkpoint(path)
