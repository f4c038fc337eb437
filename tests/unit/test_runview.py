"""Unit tests for the dashboard's run model: RunTail, RunView and display_path."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_gan.engine import events as ev
from tui_gan.rundir.lock import RunLock
from tui_gan.rundir.status import read_status, save_status, write_status
from tui_gan.view.runview import RunTail, RunView, display_path, expected_device, observe

PRESET = """name = "mnist-mlp"
[data]
name = "mnist"
image_size = 28
[model]
family = "mlp"
[loss]
kind = "bce"
"""


def E(record: dict) -> ev.Event:
    """The event a record holds (the record must be valid)."""
    event = ev.parse_record(record)
    assert event is not None, record
    return event


def line(rec: dict | ev.Event) -> bytes:
    return (json.dumps(rec if isinstance(rec, dict) else rec.to_record()) + "\n").encode()


def rec(step: int) -> ev.Event:
    """The smallest valid record."""
    return ev.Paused(step=step)


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# display_path --------------------------------------------------------------------------------


def test_display_path_relative_under_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "runs" / "a" / "last.pt") == os.path.join("runs", "a", "last.pt")


def test_display_path_unchanged_outside_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    other = tmp_path / "elsewhere" / "x.pt"
    assert display_path(other) == str(other)


# RunTail -------------------------------------------------------------------------------------


def test_tail_missing_file(tmp_path: Path):
    assert RunTail(tmp_path / "metrics.jsonl").read() == []


def test_tail_file_that_appears_later(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    tail = RunTail(path)
    assert tail.read() == []
    path.write_bytes(line({"type": "start", "step": 0, "total_steps": 9}))
    assert tail.read() == [E({"type": "start", "step": 0, "total_steps": 9})]


def test_tail_reads_only_new_whole_lines(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(line(rec(1)) + b'{"type": "paused", ')
    tail = RunTail(path)
    assert tail.read() == [rec(1)]
    assert tail.read() == []  # the unfinished line waits
    with open(path, "ab") as fh:
        fh.write(b'"step": 2}\n')
    assert tail.read() == [rec(2)]
    assert tail.read() == []
    with open(path, "ab") as fh:
        fh.write(line(rec(3)) + line(rec(4)))
    assert tail.read() == [rec(3), rec(4)]


def test_tail_partial_line_split_across_many_writes(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b"")
    tail = RunTail(path)
    data = line(step_rec(12))
    for i in range(len(data) - 1):
        with open(path, "ab") as fh:
            fh.write(data[i : i + 1])
        assert tail.read() == []
    with open(path, "ab") as fh:
        fh.write(data[-1:])
    assert tail.read() == [step_rec(12)]


def test_tail_skips_corrupt_lines(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(
        b"not json\n"
        + line(rec(1))
        + b"\n"
        + b'{"type": "st\n'
        + b"\x00\x00\x00\x00\n"
        + line(rec(2))
    )
    assert RunTail(path).read() == [rec(1), rec(2)]


def test_tail_rereads_a_truncated_file(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b"".join(line(rec(s)) for s in (1, 2, 3)))
    tail = RunTail(path)
    assert len(tail.read()) == 3
    # a resume rewrites the file with the records up to its checkpoint
    path.write_bytes(line(rec(1)))
    assert tail.read() == [rec(1)]
    with open(path, "ab") as fh:
        fh.write(line(rec(2)))
    assert tail.read() == [rec(2)]


def test_tail_truncation_drops_a_pending_partial_line(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(line(rec(1)) + b'{"b": 22222')
    tail = RunTail(path)
    assert tail.read() == [rec(1)]
    path.write_bytes(line(rec(3)))
    assert tail.read() == [rec(3)]


def test_tail_rewrite_that_regrew_before_the_next_read(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b"".join(line(rec(s)) for s in (1, 2, 3)))
    tail = RunTail(path)
    assert len(tail.read()) == 3
    # resume: rewrite (os.replace, like RunDir.truncate_after), then the new run appends
    new = b"".join(line(rec(s)) for s in (1, 2)) + line(
        {"type": "start", "step": 2000, "total_steps": 9}
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(new)
    os.replace(tmp, path)
    assert tail.read() == [rec(1), rec(2), E({"type": "start", "step": 2000, "total_steps": 9})]


def test_tail_skips_lines_that_are_not_utf8(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(line(rec(1)) + b"\xff\xff garbage\n" + line(rec(2)))
    assert RunTail(path).read() == [rec(1), rec(2)]


# RunView -------------------------------------------------------------------------------------


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    d = tmp_path / "run"
    d.mkdir()
    (d / "preset.toml").write_text(PRESET)
    return d


def step_rec(step: int, **kw) -> ev.Event:
    rec = {
        "type": "step",
        "step": step,
        "epoch": step / 100,
        "time": step * 0.1,
        "loss_d": 1.0 + step,
        "loss_g": 2.0 + step,
        "d_real": 0.6,
        "d_fake": 0.4,
        "img_per_s": 640.0,
    }
    rec.update(kw)
    return E(rec)


def test_open_reads_the_preset(run_dir: Path):
    view = RunView.open(run_dir)
    assert view.preset == "mnist-mlp"
    assert view.dataset == "mnist"
    assert view.family == "mlp"
    assert view.image_size == 28
    assert view.probabilities is True
    assert view.is_toy is False
    assert view.state == "starting"
    assert view.step == 0
    assert view.eta is None


def test_open_without_preset_keeps_defaults(tmp_path: Path):
    view = RunView.open(tmp_path)
    assert (view.preset, view.dataset, view.family) == ("?", "?", "")
    assert view.probabilities is True


def test_open_with_broken_preset_keeps_defaults(tmp_path: Path):
    (tmp_path / "preset.toml").write_text("name = [unclosed\n")
    view = RunView.open(tmp_path)
    assert view.preset == "?"


def test_lsgan_is_not_probabilities(run_dir: Path):
    (run_dir / "preset.toml").write_text(PRESET.replace('"bce"', '"lsgan"'))
    assert RunView.open(run_dir).probabilities is False


def test_toy1d_family(run_dir: Path):
    text = PRESET.replace('"mlp"', '"toy1d"').replace("image_size = 28", "image_size = 1")
    (run_dir / "preset.toml").write_text(text)
    view = RunView.open(run_dir)
    assert view.is_toy is True
    assert view.image_size == 1


def test_start_record(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(E({"type": "start", "step": 0, "total_steps": 1000, "device": "cpu"}))
    assert view.state == "running"
    assert view.total_steps == 1000
    assert view.device == "cpu"
    assert view.updated > 0
    assert view.take_notes() == ["[0] run started at step 0 on cpu"]


def test_start_rereads_the_preset(tmp_path: Path):
    view = RunView.open(tmp_path)  # the preset is not written yet
    assert view.preset == "?"
    (tmp_path / "preset.toml").write_text(PRESET)
    view.apply(E({"type": "start", "step": 0, "total_steps": 10, "device": "cpu"}))
    assert view.preset == "mnist-mlp"


def test_step_records_fill_the_histories(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(E({"type": "start", "step": 0, "total_steps": 1000, "device": "cpu"}))
    for s in (10, 20, 30):
        view.apply(step_rec(s))
    view.apply(step_rec(40, d_real=0.9, d_fake=0.1, img_per_s=700.0))
    assert view.step == 40
    assert view.epoch == pytest.approx(0.4)
    assert view.time == pytest.approx(4.0)
    assert view.img_per_s == 700.0
    assert view.loss_d.last == 41.0
    assert view.loss_g.last == 42.0
    assert view.d_real.last == 0.9
    assert view.d_fake.last == 0.1
    assert view.loss_d.points() == [11.0, 21.0, 31.0, 41.0]
    assert len(view.d_real) == 4
    assert view.take_notes() == ["[0] run started at step 0 on cpu"]  # steps are not events


def test_step_never_goes_back_except_on_start(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(E({"type": "start", "step": 0, "total_steps": 1000, "device": "cpu"}))
    view.apply(step_rec(900))
    view.apply(step_rec(800))
    assert view.step == 900
    view.apply(E({"type": "start", "step": 500, "total_steps": 1000, "device": "cuda"}))
    assert view.step == 500
    assert view.device == "cuda"
    assert view.take_notes()[-1] == "[500] run started at step 500 on cuda"


def test_eta(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(E({"type": "start", "step": 0, "total_steps": 1000, "device": "cpu"}))
    assert view.eta is None  # no step yet
    view.apply(step_rec(100, time=10.0))
    assert view.eta == pytest.approx(90.0)
    view.apply(step_rec(1000, time=100.0))
    assert view.eta is None  # done


def test_an_ended_run_has_no_eta(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(E({"type": "start", "step": 0, "total_steps": 1000, "device": "cpu"}))
    view.apply(step_rec(100, time=10.0))
    for state in ("stopped", "finished", "failed", "interrupted"):
        view.set_state(state)
        assert view.eta is None and view.eta_at() is None, state
    view.set_state("paused")
    assert view.eta == pytest.approx(90.0)


def test_elapsed_ticks_between_records_only_while_running(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(E({"type": "start", "step": 0, "total_steps": 1000, "device": "cpu"}))
    view.apply(step_rec(100, time=10.0))
    seen = view.timed_at
    assert view.elapsed(seen + 3.0) == pytest.approx(13.0)  # the clock carries it on
    assert view.eta_at(seen + 3.0) == pytest.approx(87.0)  # and counts the ETA down
    view.apply(step_rec(200, time=20.0))  # a record sets it to the run's own time again
    assert view.elapsed(view.timed_at) == pytest.approx(20.0)
    view.set_state("paused")
    assert view.elapsed(view.timed_at + 60.0) == 20.0  # paused: it stands still
    view.set_state("finished")
    assert view.elapsed(view.timed_at + 60.0) == 20.0


def test_a_launched_run_is_named_from_its_preset_before_any_record(tmp_path: Path):
    from tui_gan.presets import load_preset

    preset = load_preset("mnist-mlp", ("train.steps=300", 'train.device="cpu"'))
    view = RunView.launched(tmp_path / "new-run", preset)
    assert (view.preset, view.dataset, view.device) == ("mnist-mlp", "mnist", "cpu")
    assert view.family == preset.model.family and view.total_steps == 300
    assert view.state == "starting" and view.eta is None


def test_the_device_auto_means_is_told_without_torch():
    assert expected_device("cuda") == "cuda"
    if sys.platform.startswith("linux"):
        assert expected_device("auto", {"CUDA_VISIBLE_DEVICES": ""}) == "cpu"
        assert expected_device("auto", {"CUDA_VISIBLE_DEVICES": "-1"}) == "cpu"
    assert expected_device("auto", {}) in ("auto", "cpu")


def test_an_attached_runs_device_is_its_presets_until_it_starts(run_dir: Path):
    (run_dir / "preset.toml").write_text(PRESET + '[train]\ndevice = "cuda"\n')
    view = RunView.open(run_dir)
    assert view.device == "cuda"
    view.apply(E({"type": "start", "step": 0, "total_steps": 10, "device": "cuda:1"}))
    assert view.device == "cuda:1"  # the start record says which


def test_eta_needs_a_total(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(step_rec(100, time=10.0))
    assert view.total_steps == 0
    assert view.eta is None


def test_samples_and_toy_records_are_kept(run_dir: Path):
    view = RunView.open(run_dir)
    samples = ev.Samples(step=50, epoch=0.5, time=5.0, path="samples/step-0000050.png", nrow=4)
    toy = ev.Toy1DSnapshot(
        step=60,
        epoch=0.6,
        time=6.0,
        bin_edges=[0.0, 1.0],
        real_hist=[1.0],
        fake_hist=[1.0],
        x_grid=[0.5],
        d_curve=[0.5],
    )
    view.apply(samples)
    view.apply(toy)
    assert view.samples == samples
    assert view.toy == toy
    assert view.step == 60
    assert view.take_notes() == []


def test_sample_grids_are_cut_as_their_records_say(run_dir: Path):
    """fresh.png has its own tiles per row: a fixed grid of 16 is 4 wide, 64 fresh are 8."""
    view = RunView.open(run_dir)
    assert view.sample_grid(fresh=False) is None
    s = ev.Samples(step=5, epoch=0.1, time=1.0, path="samples/a.png", nrow=4, fresh_nrow=8)
    view.apply(s)
    assert view.sample_grid(fresh=False) == (run_dir / "samples/a.png", 4)
    assert view.sample_grid(fresh=True) == (run_dir / "samples/fresh.png", 8)
    # a format-1 record (no fresh fields): its fresh.png was 8 wide
    old = E({"type": "samples", "step": 6, "epoch": 0.1, "time": 1.0, "path": "samples/b.png"})
    view.apply(old)
    assert view.sample_grid(fresh=True) == (run_dir / "samples/fresh.png", 8)


def test_checkpoint_event(run_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(run_dir.parent)
    view = RunView.open(run_dir)
    view.apply(E({"type": "checkpoint", "step": 100, "path": "ckpt-0000100.pt"}))
    expected = os.path.join("run", "ckpt-0000100.pt")
    assert view.take_notes() == [f"[100] checkpoint saved: {expected}"]


def test_pause_resume_finish(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(E({"type": "start", "step": 0, "total_steps": 100, "device": "cpu"}))
    view.apply(step_rec(10))
    view.apply(E({"type": "paused", "step": 10}))
    assert view.state == "paused"
    view.apply(E({"type": "resumed", "step": 10}))
    assert view.state == "running"
    view.apply(E({"type": "finished", "step": 100, "state": "finished"}))
    assert view.state == "finished"
    assert view.take_notes() == [
        "[0] run started at step 0 on cpu",
        "[10] paused at step 10",
        "[10] resumed at step 10",
        "[100] run finished at step 100",
    ]


def test_finished_with_a_state(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(E({"type": "finished", "step": 42, "state": "stopped"}))
    assert view.state == "stopped"
    assert view.take_notes() == ["[42] run stopped at step 42"]


def test_failed(run_dir: Path):
    view = RunView.open(run_dir)
    view.apply(step_rec(7))
    view.apply(E({"type": "failed", "step": 7, "error": "CUDA out of memory"}))
    assert view.state == "failed"
    assert view.take_notes() == ["[7] error: CUDA out of memory"]
    assert ev.parse_record({"type": "failed", "step": 8}) is None  # a failure says why


def test_unknown_record_type_is_skipped(run_dir: Path):
    assert ev.parse_record({"type": "class_counts", "step": 5, "counts": [1, 2]}) is None


def test_notes_are_taken_once(run_dir: Path):
    view = RunView.open(run_dir)
    assert view.take_notes() == []
    view.apply(E({"type": "paused", "step": 3}))
    view.apply(E({"type": "resumed", "step": 3}))
    assert view.take_notes() == ["[3] paused at step 3", "[3] resumed at step 3"]
    assert view.take_notes() == []
    view.apply(E({"type": "paused", "step": 4}))
    assert view.take_notes() == ["[4] paused at step 4"]


def test_state_comes_from_status(run_dir: Path):
    view = RunView.open(run_dir)
    view.set_state(*observe(run_dir))  # no status.json: the records' state stands
    assert view.state == "starting"
    view.apply(rec(3))
    assert view.state == "paused"
    assert RunLock(run_dir).acquire()  # as the run's trainer holds it
    write_status(run_dir, "running", total_steps=500)
    view.set_state(*observe(run_dir))
    assert view.state == "running"  # status.json owns the state; the records are history
    assert view.total_steps == 500


def test_state_of_a_dead_process_reads_failed(run_dir: Path):
    write_status(run_dir, "running", total_steps=500)
    status = read_status(run_dir)
    assert status is not None
    save_status(run_dir, dataclasses.replace(status, pid=dead_pid()))
    view = RunView.open(run_dir)
    view.apply(E({"type": "start", "step": 0, "total_steps": 500, "device": "cpu"}))
    view.set_state(*observe(run_dir))
    assert view.state == "failed"
