"""Several processes, one run (torchrun, DistributedDataParallel) on the CPU with gloo: the
same losses as one process, an exact stop and resume, and a dying rank in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tui_gan.engine.checkpoint import load_run_checkpoint
from tui_gan.rundir.control import request
from tui_gan.rundir.status import Status, read_status

# toy1d-sine: a G and D without BatchNorm, so 2 x 32 is exactly 1 x 64 up to float sums.
TOY = ("--preset", "toy1d-sine", "--device", "cpu", "--set", "train.batch_size=64",
       "--set", "log.eval_every=0", "--set", "log.sample_every=0")  # fmt: skip


def losses(run: Path) -> list[tuple[int, float, float]]:
    records = (json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines())
    return [(r["step"], r["loss_d"], r["loss_g"]) for r in records if r["type"] == "step"]


def test_two_processes_of_32_train_as_one_of_64(tmp_path: Path):
    common = (*TOY, "--steps", "12", "--set", "log.log_every=1", "--out", str(tmp_path))
    one = run_cli("train", *common, "--name", "one")
    two = run_cli("train", *common, "--name", "two", "--gpus", "2")
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    assert "2 processes x 32 = the global batch of 64" in two.stdout
    a, b = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert [s for s, *_ in a] == [s for s, *_ in b] == list(range(1, 13))
    # The same batches, noise and averaged gradients: equal to float-summation order.
    for (_, d1, g1), (_, d2, g2) in zip(a, b, strict=True):
        assert abs(d1 - d2) < 1e-4 and abs(g1 - g2) < 1e-4
    # Rank 0 alone wrote the run directory: one record per step, one set of checkpoints.
    assert sorted(p.name for p in (tmp_path / "two").glob("ckpt-*.pt")) == ["ckpt-0000012.pt"]


def test_a_two_process_run_resumes_exactly(tmp_path: Path):
    common = (*TOY, "--set", "log.log_every=4", "--set", "log.checkpoint_every=8",
              "--set", "log.keep_checkpoints=5", "--gpus", "2")  # fmt: skip
    straight = run_cli("train", *common, "--steps", "16", "--out", str(tmp_path), "--name", "r")
    assert straight.returncode == 0, straight.stderr
    whole = losses(tmp_path / "r")
    resumed = run_cli("train", "--resume", str(tmp_path / "r" / "ckpt-0000008.pt"),
                      "--device", "cpu", "--gpus", "2")  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert losses(tmp_path / "r") == whole  # steps 12 and 16 again, bit for bit


def start(tmp_path: Path, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tui_gan", "train", *TOY, "--steps", "200000", "--gpus", "2",
         "--set", "log.log_every=20", "--set", "log.checkpoint_every=40",
         "--out", str(tmp_path), "--name", name],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_running(run: Path, proc: subprocess.Popen, seconds: float = 60) -> Status:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status = read_status(run)
        metrics = run / "metrics.jsonl"
        # status.json changes with the state; the records show the steps going by.
        stepping = metrics.is_file() and '"type": "step"' in metrics.read_text()
        if status is not None and status.state == "running" and stepping:
            return status
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError(f"not running after {seconds}s: {read_status(run)}")


def test_pause_and_stop_reach_every_rank_and_the_run_resumes(tmp_path: Path):
    run = tmp_path / "s"
    proc = start(tmp_path, "s")
    try:
        wait_running(run, proc)
        # Pause first: every rank holds (rank 0's records stop), then stop while paused.
        assert request(run, pause=True)
        for _ in range(300):
            if getattr(read_status(run), "state", None) == "paused":
                break
            time.sleep(0.1)
        assert read_status(run).state == "paused"
        held = (run / "metrics.jsonl").read_text()
        time.sleep(1.0)
        assert (run / "metrics.jsonl").read_text() == held and proc.poll() is None
        stopped = run_cli("stop", str(run), timeout=120)
        assert stopped.returncode == 0, stopped.stderr
        assert proc.wait(timeout=60) == 0  # both ranks ended, torchrun with them
    finally:
        proc.kill()
    status = read_status(run)
    assert status.state == "stopped"
    assert load_run_checkpoint(run / "last.pt")["step"] == status.step
    more = run_cli("train", "--resume", str(run), "--steps", str(status.step + 16),
                   "--gpus", "2", "--device", "cpu")  # fmt: skip
    assert more.returncode == 0, more.stderr
    assert read_status(run).state == "finished"


def test_a_rank_that_dies_ends_the_run_in_one_line_and_last_pt_survives(tmp_path: Path):
    run = tmp_path / "d"
    proc = start(tmp_path, "d")
    try:
        rank0 = wait_running(run, proc).pid
        time.sleep(1.0)  # past a checkpoint or two of 20 steps
        workers = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and int(p.name) != rank0 and is_worker(p, "d")
        ]
        assert len(workers) == 1, workers
        os.kill(workers[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode != 0
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert lines[-1].startswith("tui-gan: a training process exited with code")
    assert "last.pt is intact" in lines[-1] and "--resume" in lines[-1]
    assert "another training process of this run died" in lines[-1]
    assert not any("Traceback" in ln for ln in lines)  # torchrun's pages went to its log
    state = load_run_checkpoint(run / "last.pt")  # whole, and loadable
    assert state["step"] > 0


def is_worker(proc_dir: Path, name: str) -> bool:
    """A `python -m tui_gan train` that torchrun started for the run named `name` (rank 0 or
    another; not torchrun, nor the `--gpus` command that started it)."""
    try:
        argv = (proc_dir / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    launcher = b"torch.distributed.run" in argv or b"--gpus" in argv  # torchrun, or us
    return b"tui_gan" in argv and not launcher and name.encode() in argv


@pytest.fixture(autouse=True)
def _no_stray_workers():
    yield
    # A failed test must not leave training processes behind on a 2-core machine.
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and is_worker(p, "s") | is_worker(p, "d"):
            try:
                os.kill(int(p.name), signal.SIGKILL)
            except OSError:
                pass
