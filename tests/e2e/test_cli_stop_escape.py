"""The review's findings on the real command (issue 21): `stop` says when the trainer died
instead of reporting a checkpoint that is not there, and names from disk reach the terminal
escaped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO, run_cli
from tests.tui.fakerun import make_run
from tui_gan.cli.app import app
from tui_gan.rundir.names import CONTROL
from tui_gan.rundir.status import read_status, run_state

pytestmark = pytest.mark.e2e

# A folder name that retitles a tmux pane (OSC 2 ... BEL), breaks the line and holds markup.
HOSTILE = "run\x1b]2;pwned\x07\nx[bold]y"
RAW = ("\x1b", "\x07")
TOY = (
    "--preset", "toy1d-sine", "--steps", "1000000", "--set", "log.eval_every=0",
    "--set", "log.sample_every=0", "--set", "log.checkpoint_every=0",
)  # fmt: skip


def wait_for(ok, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _stop_requested(run: Path) -> bool:
    try:
        return json.loads((run / CONTROL).read_text()).get("stop") is True
    except (OSError, ValueError):
        return False


def test_stop_says_the_trainer_died_and_exits_1(tmp_path: Path):
    run = tmp_path / "r"
    trainer = subprocess.Popen(
        [sys.executable, "-m", "tui_gan", "train", *TOY, "--out", str(tmp_path), "--name", "r"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        start_new_session=True,
    )
    stop = None
    try:
        wait_for(lambda: run_state(run) == "running", 120, "the run to start")
        # The window made deterministic: the trainer is frozen before it can act on the
        # request, and killed once the request is on disk, so it never saves.
        os.kill(trainer.pid, signal.SIGSTOP)
        stop = subprocess.Popen(
            [sys.executable, "-m", "tui_gan", "stop", str(run), "--timeout", "120"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        wait_for(lambda: _stop_requested(run), 60, "the stop request")
        os.kill(trainer.pid, signal.SIGKILL)
        out, err = stop.communicate(timeout=120)
    finally:
        trainer.kill()
        trainer.wait()
        if stop is not None and stop.poll() is None:
            stop.kill()
    assert stop.returncode == 1, (out, err)
    assert out == ""
    assert not (run / "last.pt").exists()
    assert err.strip() == (
        f"tui-gan: {run}: the trainer died before it stopped (killed, or its machine went "
        "down); no checkpoint is left"
    )


def test_a_stop_that_ends_with_a_checkpoint_exits_0(tmp_path: Path):
    run = tmp_path / "r"
    trainer = subprocess.Popen(
        [sys.executable, "-m", "tui_gan", "train", *TOY, "--out", str(tmp_path), "--name", "r"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        start_new_session=True,
    )
    try:
        wait_for(lambda: run_state(run) == "running", 120, "the run to start")
        res = run_cli("stop", str(run), "--timeout", "120", timeout=150)
    finally:
        trainer.kill()
        trainer.wait()
    assert res.returncode == 0, res.stderr
    step = read_status(run).step
    assert res.stdout.strip() == f"{run}: stopped at step {step}, checkpoint {run / 'last.pt'}"


# Names from disk reach the terminal escaped --------------------------------------------------


def _clean(text: str) -> None:
    assert not any(c in text for c in RAW), repr(text)
    assert "run\n" not in text, repr(text)  # the name's newline did not break the line


def test_report_names_a_hostile_run_folder_escaped(tmp_path: Path):
    run = make_run(tmp_path, name=HOSTILE)
    res = CliRunner().invoke(app, ["report", str(run)])
    assert res.exit_code == 0, res.output
    _clean(res.stdout)
    assert res.stdout.startswith(f"wrote {tmp_path}/run\\x1b]2;pwned\\x07\\nx[bold]y/report/")
    assert len(res.stdout.strip().splitlines()) == 1


def test_report_tensorboard_names_a_hostile_run_folder_escaped(tmp_path: Path):
    pytest.importorskip("torch.utils.tensorboard")
    run = make_run(tmp_path, name=HOSTILE)
    res = CliRunner().invoke(app, ["report", str(run), "--tensorboard"])
    assert res.exit_code == 0, res.output
    _clean(res.stdout)
    assert len(res.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["runs", "compare", "stop"])
def test_other_commands_name_a_hostile_run_folder_escaped(tmp_path: Path, command: str):
    run = make_run(tmp_path, name=HOSTILE)
    args = {"runs": ["--out", str(tmp_path)], "compare": [str(run)], "stop": [str(run)]}[command]
    res = CliRunner().invoke(app, [command, *args])
    assert res.exit_code == 0, res.output
    _clean(res.stdout + res.stderr)
    assert "[bold]y" in res.stdout  # shown as it is named, not taken for markup


def test_the_real_report_command_escapes_the_name(tmp_path: Path):
    run = make_run(tmp_path, name=HOSTILE)
    res = run_cli("report", str(run), timeout=120)
    assert res.returncode == 0, res.stderr
    _clean(res.stdout + res.stderr)
