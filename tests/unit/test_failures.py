"""Failures from the disk and from a diverging run reach the user as one true line."""

from __future__ import annotations

import builtins
import errno
from pathlib import Path

import pytest
import torch

import tui_gan.engine.checkpoint as ck
from tui_gan.config import validate
from tui_gan.engine import events as ev
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run
from tui_gan.errors import TuiGanError, UsageError, from_os_error
from tui_gan.rundir import write as safewrite


def test_a_full_disk_during_torch_save_names_the_cause(tmp_path: Path, monkeypatch):
    # torch's zip writer reports a failed write as "unexpected pos"; /dev/full fails every write
    # with ENOSPC, as a full disk does.
    path = tmp_path / "last.pt"
    ck.atomic_save({"step": 1}, path)
    real_open_tmp = safewrite._open_tmp

    def full_disk_open(dfd, name):
        real_open_tmp(dfd, name).close()  # the temp file is made, as on a real full disk ...
        return builtins.open("/dev/full", "wb")  # ... and every write to it fails

    monkeypatch.setattr(safewrite, "_open_tmp", full_disk_open)
    with pytest.raises(OSError) as info:
        ck.atomic_save({"step": 2, "w": torch.zeros(100_000)}, path)
    assert info.value.errno == errno.ENOSPC
    assert str(from_os_error(info.value)) == f"{path}: no space left on the device"
    monkeypatch.undo()
    assert ck.load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


@pytest.mark.parametrize(
    "code, words, exit_code",
    [
        (errno.ENOSPC, "no space left on the device", 2),
        (errno.EROFS, "read-only file system", 2),
        (errno.EACCES, "permission denied", 2),
        (errno.ENOTDIR, "not a folder (part of the path is a file)", 2),
        (errno.ENOENT, "no such file or folder", 2),
        (errno.EIO, "input/output error (the disk may be failing)", 1),
    ],
)
def test_os_errors_become_one_line(code: int, words: str, exit_code: int):
    err = from_os_error(OSError(code, "whatever", "/some/path"))
    assert str(err) == f"/some/path: {words}"
    assert err.exit_code == exit_code
    assert isinstance(err, UsageError) == (exit_code == 2)


@pytest.fixture
def toy_spec(tmp_path: Path) -> RunSpec:
    preset = validate(
        {
            "data": {"name": "toy1d"},
            "model": {"family": "toy1d", "latent_dim": 1, "g_hidden": [8], "d_hidden": [8]},
            "train": {"steps": 40, "batch_size": 16},
            "log": {"log_every": 5, "sample_every": 0, "checkpoint_every": 20},
        },
        "test",
    )
    return RunSpec(preset, tmp_path / "run")


def nan_after(monkeypatch, steps: int) -> None:
    from tui_gan.engine.gan import GAN

    real_step = GAN.step
    count = {"n": 0}

    def step(self, batch, generator):
        count["n"] += 1
        out = real_step(self, batch, generator)
        return out * float("nan") if count["n"] > steps else out

    monkeypatch.setattr(GAN, "step", step)


def test_divergence_before_any_checkpoint_does_not_name_one(toy_spec, monkeypatch):
    nan_after(monkeypatch, 2)
    events = list(run(toy_spec))
    failed = events[-1]
    assert isinstance(failed, ev.Failed)
    assert "non-finite loss at step 5" in failed.error
    assert "before its first checkpoint, so there is none to resume from" in failed.error
    assert "last.pt" not in failed.error
    assert not (toy_spec.run_dir / "last.pt").exists()


def test_divergence_after_a_checkpoint_names_it(toy_spec, monkeypatch):
    nan_after(monkeypatch, 22)
    events = list(run(toy_spec))
    failed = events[-1]
    assert isinstance(failed, ev.Failed)
    last = toy_spec.run_dir / "last.pt"
    assert f"the last good checkpoint is {last}" in failed.error
    assert ck.load_checkpoint(last)["step"] == 20


@pytest.mark.parametrize("refused", ["starting", "running", "failed"])
def test_failures_still_end_the_stream_when_the_disk_refuses_the_record(
    toy_spec, monkeypatch, refused
):
    """status.json turns read-only before the run starts, as it starts, or only for the failure
    record itself: the stream ends with one Failed event either way, and nothing raises."""
    from tui_gan.engine import recorder as recorder_mod
    from tui_gan.rundir.status import write_status

    def refuse(run_dir, state, **fields):
        if state == refused or (refused == "running" and state == "failed"):
            raise from_os_error(OSError(errno.EROFS, "x", str(run_dir / "status.json")))
        write_status(run_dir, state, **fields)

    if refused == "failed":
        nan_after(monkeypatch, 2)
    monkeypatch.setattr(recorder_mod, "write_status", refuse)
    events = list(run(toy_spec))
    assert isinstance(events[-1], ev.Failed)
    assert sum(isinstance(e, ev.Failed) for e in events) == 1
    if refused == "failed":
        assert "non-finite loss" in events[-1].error  # the run's own reason, not the disk's
        records = list(ev.iter_events(toy_spec.run_dir / "metrics.jsonl"))
        assert records[-1] == events[-1]  # the record was written before status.json refused
    else:
        assert events[-1].error.endswith("status.json: read-only file system")
        assert events[-1].exit_code == 2


def test_tui_gan_errors_keep_their_exit_codes():
    assert TuiGanError("x").exit_code == 1
    assert UsageError("x").exit_code == 2
