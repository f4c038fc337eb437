"""End to end: a sweep runs its grid, a re-run trains nothing twice, a stopped sweep
resumes, and the submitit launcher (its local executor) runs the same runs as jobs."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.e2e
TINY = [
    "--set", "model.g_hidden=[16]", "--set", "model.d_hidden=[16]",
    "--set", "log.eval_n=100", "--set", "log.count_samples=100",
]  # fmt: skip


def starts(run: Path) -> list[int]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r["step"] for r in map(json.loads, lines) if r["type"] == "start"]


def with_classifier(sweep_dir: Path, mnist_classifiers: Path) -> None:
    """The suite's digit classifier, where the sweep's runs look for it (not trained again)."""
    shutil.copytree(mnist_classifiers, sweep_dir / "classifiers")


def test_a_sweep_trains_each_cell_once_and_tabulates_them(tmp_path: Path, mnist_classifiers):
    with_classifier(tmp_path / "g", mnist_classifiers)
    args = ["sweep", "--preset", "mnist-mlp", "--grid", "model.latent_dim=4,8", "--steps", "20"]
    args += ["--out", str(tmp_path), "--name", "g", "--jobs", "2", *TINY]
    res = run_cli(*args)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2/2 finished, 0 failed" in res.stdout
    sweep = tmp_path / "g"
    rows = list(csv.DictReader((sweep / "sweep.csv").open()))
    assert [r["latent_dim"] for r in rows] == ["4", "8"]
    assert all(
        r["state"] == "finished" and r["steps"] == "20" and float(r["fid"]) > 0 for r in rows
    )
    assert all(float(r["wall_s"]) > 0 and r["classes_covered"] for r in rows)
    md = (sweep / "sweep.md").read_text()
    assert "| latent_dim |" in md and "**" in md  # one axis: one column, best marked
    # `report` on the sweep: its FID table as a heatmap beside sweep.md's tables.
    rep = run_cli("report", str(sweep))
    assert rep.returncode == 0, rep.stderr
    heat = np.asarray(Image.open(sweep / "report" / "sweep.png").convert("L"), dtype=float)
    assert heat.std() > 10 and heat.shape[0] > 60
    report_md = (sweep / "report" / "report.md").read_text()
    assert "![sweep](sweep.png)" in report_md and md in report_md
    # Each run is a normal run directory: eval, sample and attach work on it.
    run = sweep / "latent-dim-4"
    assert (run / "last.pt").is_file() and (run / "preset.toml").is_file()
    assert (
        "model.latent_dim" not in (run / "preset.toml").read_text()
        or "latent_dim = 4" in (run / "preset.toml").read_text()
    )
    # The same command again: nothing left to train, nothing trained twice.
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    assert "2 finished, 0 live elsewhere, 0 to train" in again.stdout
    assert starts(run) == [0]
    # Another sweep in the same folder is refused, not mixed in.
    other = run_cli(*[a if a != "20" else "30" for a in args])
    assert other.returncode == 2 and "holds another sweep" in other.stderr


def test_a_stopped_sweep_resumes_its_runs_where_they_stopped(tmp_path: Path, mnist_classifiers):
    with_classifier(tmp_path / "s", mnist_classifiers)
    args = [sys.executable, "-m", "tui_gan", "sweep", "--preset", "mnist-mlp"]
    args += ["--grid", "model.latent_dim=4", "--steps", "2000", "--out", str(tmp_path)]
    args += ["--name", "s", *TINY, "--set", "log.checkpoint_every=50", "--set", "log.eval_every=0"]
    proc = subprocess.Popen(
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    run = tmp_path / "s" / "latent-dim-4"
    deadline = time.monotonic() + 120
    while not (run / "last.pt").exists():
        assert time.monotonic() < deadline and proc.poll() is None, "no checkpoint"
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGTERM)  # as `kill` or a scheduler's preemption would
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert "sweep stopped: 0/1 finished" in out
    status = json.loads((run / "status.json").read_text())
    assert status["state"] in ("interrupted", "stopped") and 0 < status["step"] < 2000
    stopped_at = status["step"]
    listed = run_cli("runs", "--out", str(tmp_path))
    assert "0/1 finished, 1 stopped" in listed.stdout
    # The same command again: the run resumes from the checkpoint its stop saved.
    res = run_cli(*args[3:])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "latent-dim-4: resumed" in res.stdout
    assert starts(run) == [0, stopped_at]
    assert json.loads((run / "status.json").read_text())["state"] == "finished"


def test_the_submitit_launcher_runs_each_cell_as_a_job(tmp_path: Path, mnist_classifiers):
    pytest.importorskip("submitit")
    with_classifier(tmp_path / "j", mnist_classifiers)
    res = run_cli(
        "sweep", "--preset", "mnist-mlp", "--grid", "model.latent_dim=4", "--steps", "10",
        "--out", str(tmp_path), "--name", "j", "--launcher", "submitit",
        "--submitit", "cluster=local", "--submitit", "timeout_min=10", *TINY,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1/1 finished" in res.stdout
    assert (tmp_path / "j" / ".submitit").is_dir()  # the jobs' own logs, as on Slurm
    assert json.loads((tmp_path / "j" / "latent-dim-4" / "status.json").read_text())["state"] == (
        "finished"
    )


def test_sweep_input_errors_are_one_line(tmp_path: Path):
    bad = run_cli(
        "sweep", "--preset", "mnist-mlp", "--grid", "optim.g.lr=1e-4,99", "--out", str(tmp_path)
    )
    assert bad.returncode == 2 and "sweep run lr-99: command line: optim.g.lr" in bad.stderr
    none = run_cli("sweep", "--out", str(tmp_path))
    assert none.returncode == 2 and "give a sweep" in none.stderr
    local = run_cli("sweep", "latent-hidden", "--submitit", "x=1", "--out", str(tmp_path))
    assert local.returncode == 2 and "add --launcher submitit" in local.stderr
    assert not any(tmp_path.iterdir())  # refused before anything was made
    missing = run_cli("sweep", str(tmp_path / "nope.toml"), "--out", str(tmp_path))
    assert missing.returncode == 2 and "no such sweep file (shipped: latent-hidden)" in (
        missing.stderr
    )
