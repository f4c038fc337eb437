"""Checkpoints move between devices: what a checkpoint keeps of the training noise is a CPU
generator's state, which means the same on any machine."""

from __future__ import annotations

from pathlib import Path

import torch

from tests.unit.test_trainer_events import toy_spec
from tui_gan.engine import events as ev
from tui_gan.engine.checkpoint import load_run_checkpoint
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run


def losses(events) -> list[tuple]:
    return [(e.step, e.loss_d, e.loss_g) for e in events if isinstance(e, ev.StepMetrics)]


def test_the_noise_stream_is_kept_as_a_cpu_generator_state(tmp_path: Path):
    spec = toy_spec(tmp_path, steps=20, eval_every=0, log_every=5)
    list(run(spec))
    state = load_run_checkpoint(spec.run_dir / "last.pt")
    saved = state["rng"]["train_gen"]
    assert saved.dtype == torch.uint8 and saved.numel() == torch.Generator().get_state().numel()


def test_resume_is_exact_and_says_nothing_about_devices(tmp_path: Path):
    straight = list(run(toy_spec(tmp_path / "a", steps=40, eval_every=0, log_every=5)))
    half = toy_spec(tmp_path / "b", steps=20, eval_every=0, log_every=5)
    list(run(half))
    state = load_run_checkpoint(half.run_dir / "last.pt")
    longer = toy_spec(tmp_path / "b", steps=40, eval_every=0, log_every=5).preset
    resumed = list(run(RunSpec(longer, half.run_dir, half.run_dir / "last.pt", resume_state=state)))
    assert losses(straight)[4:] == losses(resumed)
    assert not any(isinstance(e, ev.Notice) and "device" in e.message for e in resumed)


def test_an_older_gpu_checkpoint_resumes_on_a_cpu_with_a_note(tmp_path: Path):
    """Before 0.13 a CUDA run saved its CUDA generator's state (16 bytes of Philox seed and
    offset), which a CPU generator cannot take: the run goes on, reseeded, and says so."""
    half = toy_spec(tmp_path, steps=20, eval_every=0, log_every=5)
    list(run(half))
    state = load_run_checkpoint(half.run_dir / "last.pt")
    state["rng"]["train_gen"] = torch.arange(16, dtype=torch.uint8)  # a CUDA generator's size
    longer = toy_spec(tmp_path, steps=30, eval_every=0, log_every=5).preset
    resumed = list(run(RunSpec(longer, half.run_dir, half.run_dir / "last.pt", resume_state=state)))
    notes = [e.message for e in resumed if isinstance(e, ev.Notice)]
    assert any("older checkpoint saved on a different device" in n for n in notes)
    assert isinstance(resumed[-1], ev.Finished) and resumed[-1].step == 30


def test_sync_batchnorm_on_cpu_processes_is_refused_before_any_collective(tmp_path: Path):
    """SyncBatchNorm is CUDA-only: a CPU run over several processes says so in one line (as
    rank 0 of 2 here, with no process group: the check comes before any collective)."""
    from tui_gan.config import validate
    from tui_gan.engine.dist import Dist

    preset = validate({"train": {"steps": 2, "sync_batchnorm": True, "device": "cpu"}}, "t")
    spec = RunSpec(preset, tmp_path / "run", dist=Dist(rank=0, world=2))
    events = list(run(spec))
    assert isinstance(events[-1], ev.Failed) and "sync_batchnorm needs CUDA" in events[-1].error
