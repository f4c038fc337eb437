"""Checkpoints are atomic: a write that fails half-way leaves the previous one loadable."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tui_gan.engine import checkpoint as ck
from tui_gan.errors import CheckpointError


def test_roundtrip_is_weights_only_loadable(tmp_path: Path):
    state = {"step": 3, "w": torch.arange(4.0), "rng": ck.rng_state(), "name": "x"}
    path = tmp_path / "a.pt"
    ck.atomic_save(state, path)
    loaded = torch.load(path, weights_only=True)  # raises if anything is not a primitive
    assert loaded["step"] == 3 and torch.equal(loaded["w"], state["w"])


def test_rng_state_roundtrip_restores_every_generator():
    import random

    import numpy as np

    saved = ck.rng_state()
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    ck.set_rng_state(saved)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a


def test_failure_mid_write_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch):
    path = tmp_path / "last.pt"
    ck.atomic_save({"step": 1, "w": torch.ones(3)}, path)

    real_save = torch.save

    def broken_save(obj, fh, *args, **kwargs):
        real_save(obj, fh, *args, **kwargs)
        fh.truncate(10)  # half a file on disk ...
        raise OSError("disk full")  # ... and then the write dies

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        ck.atomic_save({"step": 2, "w": torch.zeros(3)}, path)
    monkeypatch.undo()
    assert ck.load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temp file left behind


def test_atomic_link_makes_an_identical_file(tmp_path: Path):
    src = tmp_path / "ckpt-0000001.pt"
    ck.atomic_save({"step": 1}, src)
    ck.atomic_link(src, tmp_path / "last.pt")
    src.unlink()  # pruning the numbered file must not take last.pt with it
    assert ck.load_checkpoint(tmp_path / "last.pt")["step"] == 1


def test_unreadable_or_missing_checkpoints_are_clear_errors(tmp_path: Path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable tui-gan checkpoint"):
        ck.load_checkpoint(bad)
    with pytest.raises(CheckpointError, match="no checkpoint found"):
        ck.resolve_checkpoint(tmp_path / "nothing")
    run = tmp_path / "run"
    run.mkdir()
    ck.atomic_save({"step": 1}, run / "last.pt")
    assert ck.resolve_checkpoint(run) == run / "last.pt"
