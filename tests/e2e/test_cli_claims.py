"""A new run claims its folder, never overwrites one; launchers' logs and a shared checkpoint's
paths never write outside the run (issue 21, findings 2, 7 and 8), on the real command."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO, run_cli
from tests.e2e.test_cli_hardening import TOY, one_line
from tui_gan.errors import UsageError
from tui_gan.launch import spawn_train
from tui_gan.request import TrainArgs
from tui_gan.rundir.claim import CLAIM_ENV
from tui_gan.rundir.names import CLAIM

pytestmark = pytest.mark.e2e


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry below `folder` with its bytes' hash (links by their target)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        if p.is_symlink():
            out[key] = "-> " + os.readlink(p)
        elif p.is_file():
            out[key] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[key] = "dir"
    return out


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    """Another tool's experiment folder: a long history, a status file, a note of the user's."""
    d = tmp_path / "out" / "exp"
    d.mkdir(parents=True)
    (d / "metrics.jsonl").write_text("".join(f'{{"step": {i}}}\n' for i in range(1000)))
    (d / "status.json").write_text('{"state": "finished", "theirs": true}')
    (d / "notes.txt").write_text("do not lose\n")
    return d


def test_a_new_run_never_lands_on_another_tools_folder(experiment: Path):
    before = snapshot(experiment)
    res = run_cli("train", *TOY, "--steps", "5", "--out", str(experiment.parent), "--name", "exp")
    line = one_line(res)
    assert "is not empty" in line and "metrics.jsonl" in line and "--name" in line
    assert snapshot(experiment) == before


def test_a_run_without_last_pt_keeps_its_history_and_checkpoints(tmp_path: Path):
    out = tmp_path / "out"
    res = run_cli("train", *TOY, "--steps", "40", "--set", "log.checkpoint_every=20",
                  "--out", str(out), "--name", "r")  # fmt: skip
    assert res.returncode == 0, res.stderr
    run = out / "r"
    (run / "last.pt").unlink()
    before = snapshot(run)
    line = one_line(run_cli("train", *TOY, "--steps", "20", "--out", str(out), "--name", "r"))
    assert "ckpt-0000020.pt" in line
    assert snapshot(run) == before


def test_an_empty_folder_may_be_used(tmp_path: Path):
    (tmp_path / "r").mkdir()
    res = run_cli("train", *TOY, "--steps", "5", "--out", str(tmp_path), "--name", "r")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "r" / "last.pt").is_file()


def test_the_trainer_refuses_a_folder_claimed_by_someone_else(tmp_path: Path):
    run = tmp_path / "r"
    run.mkdir()
    (run / CLAIM).write_text("another-launchers-token")
    env = {**os.environ, CLAIM_ENV: "my-token"}
    for extra in ({}, env):  # with no token, or the wrong one
        res = subprocess.run(
            [sys.executable, "-m", "tui_gan", "train", *TOY, "--steps", "5",
             "--out", str(tmp_path), "--name", "r"],
            capture_output=True, text=True, cwd=REPO, env=extra or None, timeout=300,
        )  # fmt: skip
        one_line(res)
        assert sorted(p.name for p in run.iterdir()) == [CLAIM]


def test_the_dashboards_launcher_claims_before_it_writes(experiment: Path):
    """The dashboard and the picker start runs through spawn_train: the same claim."""
    before = snapshot(experiment)
    args = TrainArgs(preset="toy1d-sine", out=experiment.parent, name="exp", steps=5)
    with pytest.raises(UsageError, match="is not empty"):
        spawn_train(args)
    assert snapshot(experiment) == before


def test_a_launcher_hands_its_claim_to_the_trainer(tmp_path: Path):
    args = TrainArgs(preset="toy1d-sine", out=tmp_path, name="r", steps=5)
    proc = spawn_train(args)
    assert proc.wait(timeout=300) == 0, (tmp_path / "r" / "train.log").read_text()
    assert (tmp_path / "r" / "last.pt").is_file()
    assert CLAIM_ENV not in os.environ  # the token was the child's, not ours


def test_a_planted_train_log_link_receives_nothing(tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    out = tmp_path / "out"
    res = run_cli("train", *TOY, "--steps", "5", "--out", str(out), "--name", "r")
    assert res.returncode == 0, res.stderr
    run = out / "r"
    (run / "train.log").symlink_to(victim)
    # A resume from the dashboard appends to train.log: refused, one line, nothing written.
    with pytest.raises(UsageError, match="symbolic link"):
        spawn_train(TrainArgs(resume=str(run), steps=10))
    # The trainer's own SIGHUP redirection (the terminal is gone) refuses it too.
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_gan", "train", "--resume", str(run), "--steps", "400000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO,
    )  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.readline()  # it has started (its first line)
    proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)  # save and stop: "interrupted"
    assert proc.wait(timeout=120) == 130
    assert (run / "last.pt").is_file()
    assert victim.read_text() == "mine\n"


def _plant_preset(run: Path, **fields: dict) -> None:
    """Edit the preset inside last.pt, as a shared checkpoint from someone else may carry."""
    state = torch.load(run / "last.pt", weights_only=True)
    for section, values in fields.items():
        state["preset"][section].update(values)
    torch.save(state, run / "last.pt")


def test_a_shared_checkpoints_tensorboard_path_needs_saying_again(tmp_path: Path):
    pytest.importorskip("tensorboard")
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    res = run_cli("train", *TOY, "--steps", "5", "--out", str(out), "--name", "r")
    assert res.returncode == 0, res.stderr
    _plant_preset(out / "r", log={"tensorboard": str(elsewhere)})
    res = run_cli("train", "--resume", str(out / "r"), "--steps", "10")
    assert res.returncode == 0, res.stderr
    assert f"not writing TensorBoard events to {elsewhere}" in res.stdout + res.stderr
    assert not elsewhere.exists()
    res = run_cli("train", "--resume", str(out / "r"), "--steps", "15", "--tensorboard",
                  str(elsewhere))  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert any(elsewhere.iterdir())  # given again: written
