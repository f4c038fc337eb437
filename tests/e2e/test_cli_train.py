"""End to end: the real `tui-gan` command trains, resumes exactly, samples and fails clearly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tomllib

from tests.conftest import REPO, run_cli, start_fake_trainer
from tui_gan.render.ascii import RAMP

pytestmark = pytest.mark.e2e

SMALL = ("--set", "model.g_hidden=[64, 128]", "--set", "model.d_hidden=[128, 64]")


def records(run: Path, kind: str) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["type"] == kind]


@pytest.fixture(scope="module")
def short_run(runs_dir: Path) -> tuple[Path, subprocess.CompletedProcess]:
    res = run_cli(
        "train",
        "--steps",
        "60",
        "--out",
        str(runs_dir),
        "--name",
        "short",
        *SMALL,
        "--set",
        "log.log_every=10",
        "--set",
        "log.sample_every=30",
        "--set",
        "log.checkpoint_every=20",
        "--set",
        "log.keep_checkpoints=2",
    )
    return runs_dir / "short", res


def test_train_writes_the_run_directory(short_run):
    run, res = short_run
    assert res.returncode == 0, res.stderr
    assert "embedded 5,000-digit subset" in res.stdout  # the fallback is said once
    assert "done: step 60" in res.stdout and "img/s" in res.stdout.splitlines()[-1]
    preset = tomllib.loads((run / "preset.toml").read_text())
    assert preset["train"]["steps"] == 60 and preset["model"]["g_hidden"] == [64, 128]
    steps = records(run, "step")
    assert [r["step"] for r in steps] == [10, 20, 30, 40, 50, 60]
    for r in steps:
        assert {"step", "epoch", "time", "loss_d", "loss_g", "d_real", "d_fake"} <= r.keys()
        assert 0 <= r["d_real"] <= 1 and 0 <= r["d_fake"] <= 1  # probabilities for BCE
    samples = records(run, "samples")
    # A first grid with the first record (no blank screen), then every sample_every; the
    # first counts no classes (an untrained G's counts would read as a collapse).
    assert [s["step"] for s in samples] == [10, 30, 60]
    for s in samples[1:]:
        assert len(s["class_counts"]) == 10 and sum(s["class_counts"]) >= 1000
        assert 0 <= s["class_entropy"] <= 1 and 1 <= s["classes_covered"] <= 10
        assert (run / s["path"]).is_file()
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "fresh.png",  # the latest fresh samples, for the dashboard's random view
        "interp.png",  # the latest checkpoint's latent walks, for the dashboard's i view
        "step-0000010.png",
        "step-0000030.png",
        "step-0000060.png",
    ]
    assert sorted(p.name for p in run.glob("ckpt-*.pt")) == ["ckpt-0000040.pt", "ckpt-0000060.pt"]
    assert (run / "last.pt").is_file()
    assert records(run, "finished")[0]["state"] == "finished"


def test_existing_run_is_not_overwritten(short_run, runs_dir: Path):
    res = run_cli("train", "--steps", "5", "--out", str(runs_dir), "--name", "short")
    assert res.returncode == 2 and "--resume" in res.stderr


def test_resume_continues_exactly(runs_dir: Path):
    common = (
        *SMALL,
        "--set",
        "log.log_every=1",
        "--set",
        "log.sample_every=0",
        "--set",
        "log.checkpoint_every=0",
        "--out",
        str(runs_dir),
    )
    straight = run_cli("train", "--steps", "400", "--name", "straight", *common)
    assert straight.returncode == 0, straight.stderr
    half = run_cli("train", "--steps", "200", "--name", "halves", *common)
    assert half.returncode == 0, half.stderr
    rest = run_cli("train", "--resume", str(runs_dir / "halves"), "--steps", "400")
    assert rest.returncode == 0, rest.stderr
    assert "resuming" in rest.stdout

    def losses(name):
        return [
            (r["step"], r["loss_d"], r["loss_g"], r["d_real"], r["d_fake"])
            for r in records(runs_dir / name, "step")
        ]

    a, b = losses("straight"), losses("halves")
    assert len(a) == 400 and [s for s, *_ in b] == list(range(1, 401))
    assert a == b  # identical, not close: same batches, same noise, same optimizer state


def test_ctrl_c_saves_a_checkpoint_and_exits_130(runs_dir: Path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_gan",
            "train",
            "--steps",
            "100000",
            "--out",
            str(runs_dir),
            "--name",
            "interrupted",
            *SMALL,
            "--set",
            "log.log_every=5",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    metrics = runs_dir / "interrupted" / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (
        metrics.exists() and '"step", "step"' in metrics.read_text()
    ):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: step" in out
    fin = records(runs_dir / "interrupted", "finished")[-1]
    assert fin["state"] == "interrupted"
    from tui_gan.engine.checkpoint import load_checkpoint

    assert load_checkpoint(runs_dir / "interrupted" / "last.pt")["step"] == fin["step"]


def test_bad_preset_value_is_one_line_exit_2(tmp_path: Path):
    res = run_cli("train", "--set", "optim.g.lr=fast", "--out", str(tmp_path))
    assert res.returncode == 2
    assert res.stderr.strip() == (
        "tui-gan: command line: optim.g.lr: expected a number in [1e-09, 10], got 'fast'"
    )
    res = run_cli("train", "--set", "optim.g.speed=1", "--out", str(tmp_path))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "unknown key" in res.stderr


def test_missing_data_set_is_one_line_exit_2(tmp_path: Path):
    res = run_cli(
        "train",
        "--preset",
        "fashion-mlp",
        "--out",
        str(tmp_path),
        "--set",
        f'data.root="{tmp_path}"',
        "--set",
        "data.download=false",
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1
    assert "fashion-mnist: data set not found" in res.stderr


def test_presets_lists_and_prints():
    res = run_cli("presets")
    assert res.returncode == 0
    assert "mnist-mlp" in res.stdout and "toy1d-sine" in res.stdout and "Vanilla MLP" in res.stdout
    res = run_cli("presets", "mnist-dcgan")
    assert tomllib.loads(res.stdout)["model"]["family"] == "dcgan"


def test_sample_outputs(short_run, tmp_path: Path):
    run, _ = short_run
    res = run_cli("sample", str(run), "--n", "10", "--out", str(tmp_path / "s.npz"))
    assert res.returncode == 0, res.stderr
    images = np.load(tmp_path / "s.npz")["images"]
    assert images.shape == (10, 1, 28, 28) and images.dtype == np.uint8
    res = run_cli("sample", str(run / "last.pt"), "--n", "5", "--out", str(tmp_path / "pngs"))
    assert res.returncode == 0 and len(list((tmp_path / "pngs").glob("*.png"))) == 5
    res = run_cli("sample", str(run), "--out", str(tmp_path / "grid.png"))
    assert res.returncode == 0 and (tmp_path / "grid.png").stat().st_size > 100
    res = run_cli("sample", str(run), "--n", "4")  # into a pipe: plain ASCII, no escapes
    assert res.returncode == 0 and res.stdout.strip() and set(res.stdout) <= set(RAMP + "\n")
    forced = subprocess.run(  # colour only when asked for
        [sys.executable, "-m", "tui_gan", "sample", str(run), "--n", "4"],
        capture_output=True, text=True, cwd=REPO, timeout=300,
        env={**os.environ, "TUI_GAN_RENDER": "256"},
    )  # fmt: skip
    assert forced.returncode == 0 and "\u2580" in forced.stdout and "\x1b[" in forced.stdout
    res = run_cli("sample", str(run), "--n", "4", "--render", "256")  # the option, likewise
    assert res.returncode == 0 and "\u2580" in res.stdout and "\x1b[" in res.stdout
    res = run_cli("sample", str(tmp_path / "nothing"))
    assert res.returncode == 2 and "no checkpoint found" in res.stderr


@pytest.mark.parametrize("preset", ["mnist-dcgan", "toy1d-sine", "mnist-lsgan"])
def test_other_presets_train_end_to_end(preset: str, runs_dir: Path):
    res = run_cli(
        "train",
        "--preset",
        preset,
        "--steps",
        "20",
        "--out",
        str(runs_dir),
        "--name",
        preset,
        "--set",
        "log.log_every=10",
        "--set",
        "log.sample_every=10",
    )
    assert res.returncode == 0, res.stderr
    run = runs_dir / preset
    assert len(records(run, "step")) == 2
    if preset == "toy1d-sine":
        snap = records(run, "toy1d")[-1]
        assert len(snap["real_hist"]) == len(snap["fake_hist"]) == len(snap["bin_edges"]) - 1
        assert len(snap["d_curve"]) == len(snap["x_grid"])
        assert abs(sum(snap["real_hist"]) - 1) < 0.01
    else:
        assert records(run, "samples")[-1]["classes_covered"] >= 1


def test_not_a_run_checkpoint_and_a_live_resume_are_one_line(runs_dir: Path, tmp_path: Path):
    import torch

    other = tmp_path / "classifier.pt"  # e.g. a cached classifier: loadable, but no run
    torch.save({"model": {"w": torch.zeros(1)}, "num_classes": 10}, other)
    res = run_cli("sample", str(other))
    assert res.returncode == 2 and "not a tui-gan run checkpoint" in res.stderr
    live = tmp_path / "live"
    live.mkdir()
    (live / "last.pt").write_bytes(b"")
    fake = start_fake_trainer(live)  # holds the run's lock and says "running", as a trainer
    try:
        res = run_cli("train", "--resume", str(live))
        assert res.returncode == 2 and "still training" in res.stderr
    finally:
        fake.kill()
        fake.wait()
