"""A failed start leaves no folder (issue 23): the files it wrote go, and the folder with
them; anything else in it (a checkpoint, a grid, a user's file) keeps the whole folder. And
whether a preset can start here is known before it starts, without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_gan.engine import events as ev
from tui_gan.launch import discard_failed_start, readiness, start_trainer
from tui_gan.presets import load_preset
from tui_gan.request import TrainArgs
from tui_gan.rundir.claim import claim
from tui_gan.rundir.names import CLAIM


def failed_start(out: Path, name: str = "run") -> Path:
    """A folder as a start that failed before its first step leaves it (see the real one in
    test_a_real_failed_start_is_removed): claim, log, records, status, lock, samples/."""
    run = out / name
    claim(run)
    (run / "train.log").write_text("tui-gan: faces: no image folder given\n")
    (run / "run.json").write_text('{"format": 2}\n')
    (run / "preset.toml").write_text('name = "faces-dcgan"\n')
    records = [
        ev.Notice(step=0, message="MNIST not found", level="warning"),
        ev.Failed(step=0, error="faces: no image folder given", exit_code=2),
    ]
    (run / "metrics.jsonl").write_text("".join(ev.to_line(e) for e in records))
    (run / "status.json").write_text('{"state": "failed", "step": 0}')
    (run / "control.json").write_text('{"pause": false, "save": 0, "stop": false}')
    (run / ".trainer.lock").write_text("")
    (run / ".status.json.tmp-123-abcd").write_text("{")
    (run / "samples").mkdir()
    return run


def test_the_failed_start_goes_with_its_folder(tmp_path: Path):
    run = failed_start(tmp_path)
    line = discard_failed_start(run)
    assert not run.exists() and line.startswith("removed ") and "\n" not in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "extra",
    ["a user's file", "last.pt", "ckpt-0000500.pt", "samples/step-0000500.png", "a step record"],
)
def test_a_folder_with_anything_else_stays_whole(tmp_path: Path, extra: str):
    run = failed_start(tmp_path)
    if extra == "a step record":
        step = ev.StepMetrics(step=50, epoch=0.1, time=1.0, loss_d=0.7, loss_g=0.9, d_real=0.6,
                              d_fake=0.4)  # fmt: skip
        with open(run / "metrics.jsonl", "a") as fh:
            fh.write(ev.to_line(step))
    else:
        (run / extra).write_bytes(b"keep me")
    before = sorted(p.relative_to(run) for p in run.rglob("*"))
    line = discard_failed_start(run)
    assert line.startswith("kept ") and "\n" not in line
    assert sorted(p.relative_to(run) for p in run.rglob("*")) == before  # nothing removed


def test_links_and_strangers_are_not_followed_or_removed(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("mine")
    run = failed_start(tmp_path / "out")
    os.remove(run / "train.log")
    os.symlink(outside / "precious", run / "train.log")  # a link under a failed start's name
    assert discard_failed_start(run).startswith("kept ")
    assert (outside / "precious").read_text() == "mine" and (run / CLAIM).exists()

    linked = tmp_path / "out" / "linked"
    os.symlink(outside, linked)  # the run folder itself a link
    assert discard_failed_start(linked).startswith("kept ")
    assert (outside / "precious").exists()
    assert "gone" in discard_failed_start(tmp_path / "out" / "never-made")


def test_a_live_trainer_keeps_its_folder(tmp_path: Path):
    from tests.conftest import start_fake_trainer

    run = failed_start(tmp_path)
    os.remove(run / ".trainer.lock")
    proc = start_fake_trainer(run)
    try:
        names = sorted(os.listdir(run))
        assert "still running" in discard_failed_start(run)
        assert sorted(os.listdir(run)) == names
    finally:
        proc.kill()
        proc.wait()


def test_a_real_failed_start_is_removed(tmp_path: Path):
    """The real trainer, started as the dashboard starts it, fails on a missing image folder:
    everything it wrote is a failed start's, so nothing is left."""
    args, _ = TrainArgs(preset="faces-dcgan", out=tmp_path).new_run()
    proc = start_trainer(args)
    assert proc.wait(timeout=300) == 2
    assert (args.run_dir / "status.json").is_file()  # it got as far as writing its record
    line = discard_failed_start(args.run_dir)
    assert line.startswith("removed "), (line, os.listdir(args.run_dir))
    assert list(tmp_path.iterdir()) == []


# --- can a preset start here ------------------------------------------------------------------


def test_readiness_matches_where_the_trainer_looks(tmp_path: Path, monkeypatch):
    from tui_gan import launch
    from tui_gan.engine import data

    monkeypatch.setenv("TUI_GAN_CACHE", str(tmp_path / "cache"))
    assert launch._data_root("") == data.default_data_root()
    assert launch._IDX_FILES == data.IDX_FILES and launch._IMAGE_SUFFIXES == data.IMAGE_SUFFIXES

    fashion = load_preset("fashion-mlp", ("data.download=false",))
    assert readiness(fashion).can == "no"
    with pytest.raises(Exception, match="FashionMNIST IDX files"):
        data.load_labelled("fashion-mnist", "", download=False)
    raw = data.default_data_root() / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data.IDX_FILES:
        (raw / name).write_bytes(b"")
    assert readiness(fashion).can == "yes"
    assert readiness(load_preset("fashion-mlp")).can == "yes"
    assert readiness(load_preset("mnist-mlp")).can == "yes"  # the shipped subset, at worst


def test_readiness_of_faces_and_of_a_warm_start(tmp_path: Path):
    faces = load_preset("faces-dcgan")
    assert "--set data.root=" in readiness(faces).why and readiness(faces).can == "no"
    folder = tmp_path / "faces"
    (folder / "nested").mkdir(parents=True)
    with_root = load_preset("faces-dcgan", (f"data.root={folder}",))
    assert "no images" in readiness(with_root).why
    (folder / "nested" / "a.JPG").write_bytes(b"")
    assert readiness(with_root).can == "yes"

    warm = load_preset("mnist-vae-gan")
    assert readiness(warm, tmp_path).can == "no"
    assert "no mnist-vae run" in readiness(warm, tmp_path).why
    vae = tmp_path / "mnist-vae-1"
    vae.mkdir()
    (vae / "preset.toml").write_text('name = "mnist-vae"\n')
    (vae / "last.pt").write_bytes(b"")
    assert readiness(warm, tmp_path).can == "yes"
    from tui_gan.rundir.warmstart import latest_run

    assert latest_run(tmp_path, "mnist-vae") == vae / "last.pt"  # the trainer finds it too


def test_the_picker_modules_do_not_import_torch():
    code = (
        "import sys, tui_gan.tui.picker, tui_gan.launch as l\n"
        "from tui_gan.presets import load_preset\n"
        "l.readiness(load_preset('faces-dcgan')); l.readiness(load_preset('fashion-mlp'))\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
