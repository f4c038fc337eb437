"""The training loop in this process: the events it yields are what the run directory records."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui_gan.config import validate
from tui_gan.engine import events as ev
from tui_gan.engine import records
from tui_gan.engine.context import RunSpec
from tui_gan.engine.control import Controls
from tui_gan.engine.recorder import run
from tui_gan.render.tiling import load_tiles
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.names import RUN_FORMAT
from tui_gan.rundir.status import read_status


def toy_spec(tmp_path: Path, steps: int = 30, **log) -> RunSpec:
    preset = validate(
        {
            "data": {"name": "toy1d", "size": 512},
            "model": {"family": "toy1d", "latent_dim": 1, "g_hidden": [8], "d_hidden": [8]},
            "train": {"steps": steps, "batch_size": 32},
            "log": {
                "log_every": 10,
                "sample_every": 15,
                "checkpoint_every": 20,
                "eval_every": 30,
                "eval_n": 200,
                **log,
            },
        },
        "test",
    )
    return RunSpec(preset, tmp_path / "run")


def test_the_record_is_the_event_stream(tmp_path: Path):
    spec = toy_spec(tmp_path)
    events = list(run(spec))
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "RunStarted",
        "StepMetrics",  # 10
        "Toy1DSnapshot",  # 10: the first picture comes with the first record
        "Toy1DSnapshot",  # 15
        "StepMetrics",  # 20
        "CheckpointSaved",
        "StepMetrics",  # 30
        "Toy1DSnapshot",
        "Evaluated",
        "CheckpointSaved",
        "Finished",
    ]
    started, finished = events[0], events[-1]
    assert isinstance(started, ev.RunStarted) and isinstance(finished, ev.Finished)
    assert (started.step, started.total_steps, started.resumed) == (0, 30, False)
    assert started.run_dir == spec.run_dir and started.preset == "custom"
    assert finished.state == "finished" and finished.checkpoint == "last.pt"
    assert [e.step for e in events if isinstance(e, ev.StepMetrics)] == [10, 20, 30]
    assert all(isinstance(e, ev.Evaluated) and e.w1 is not None for e in events[8:9])
    # every event was written, field for field, and reads back as itself
    assert list(ev.iter_events(spec.run_dir / "metrics.jsonl")) == events
    assert read_status(spec.run_dir).state == "finished"
    assert RunDir(spec.run_dir).read_format() == RUN_FORMAT
    for e in events:
        if isinstance(e, ev.CheckpointSaved):
            assert (spec.run_dir / e.path).is_file()


def test_pause_save_and_stop_from_a_front_end(tmp_path: Path):
    """What the dashboard's keys do, through the same Controls, seen in the stream."""
    spec = toy_spec(
        tmp_path, steps=10_000, checkpoint_every=0, sample_every=0, eval_every=0, log_every=1
    )
    controls = Controls()
    seen: list[ev.Event] = []
    for e in run(spec, controls):
        seen.append(e)
        if isinstance(e, ev.StepMetrics) and e.step == 3:
            controls.save.set()
        elif isinstance(e, ev.StepMetrics) and e.step == 5:
            controls.pause.set()
        elif isinstance(e, ev.Paused):
            assert read_status(spec.run_dir).state == "paused"
            controls.request_stop()
    kinds = [type(e).__name__ for e in seen]
    assert kinds.count("CheckpointSaved") == 2  # the requested one and the one on the way out
    saved = [e.step for e in seen if isinstance(e, ev.CheckpointSaved)]
    assert saved == [3, 5]
    # held at step 5, then the way out: the final checkpoint and the final samples
    assert kinds[-5:] == ["Paused", "Resumed", "CheckpointSaved", "Toy1DSnapshot", "Finished"]
    finished = seen[-1]
    assert isinstance(finished, ev.Finished) and finished.state == "stopped"
    assert finished.step == 5
    assert read_status(spec.run_dir).state == "stopped"


def test_a_resumed_stream_continues_the_record(tmp_path: Path):
    from tui_gan.engine.checkpoint import load_run_checkpoint

    spec = toy_spec(tmp_path, steps=20, eval_every=0)
    first = list(run(spec))
    state = load_run_checkpoint(spec.run_dir / "last.pt")
    longer = toy_spec(tmp_path, steps=30, eval_every=0).preset
    resumed = RunSpec(longer, spec.run_dir, spec.run_dir / "last.pt", resume_state=state)
    second = list(run(resumed))
    assert isinstance(second[0], ev.RunStarted) and second[0].resumed and second[0].step == 20
    recorded = list(ev.iter_events(spec.run_dir / "metrics.jsonl"))
    assert recorded == [e for e in first if not isinstance(e, ev.Finished)] + second


def test_fresh_samples_are_cut_by_their_own_width(tmp_path: Path, mnist_classifiers: Path):
    """log.n_samples and log.count_samples off their defaults: 16 fixed samples make a grid
    4 wide, 30 fresh ones a grid 5 wide, and the record says so for each."""
    shutil.copytree(mnist_classifiers, tmp_path / "classifiers")
    preset = validate(
        {
            "data": {"name": "mnist"},
            "model": {"family": "mlp", "g_hidden": [8], "d_hidden": [8]},
            "train": {"steps": 2, "batch_size": 16},
            "log": {"log_every": 2, "sample_every": 2, "n_samples": 16, "count_samples": 30},
        },
        "test",
    )
    events = list(run(RunSpec(preset, tmp_path / "run")))
    (samples,) = [e for e in events if isinstance(e, ev.Samples)]
    assert (samples.nrow, samples.fresh_nrow) == (4, 5)
    assert samples.class_counts is not None and sum(samples.class_counts) == 30
    run_dir = tmp_path / "run"
    assert len(load_tiles(run_dir / samples.path, 28, samples.nrow)) == 16
    assert len(load_tiles(run_dir / samples.fresh, 28, samples.fresh_nrow)) == 30


@pytest.mark.parametrize("bad", [{"type": "finished", "step": 1, "state": "running"}])
def test_a_record_whose_state_is_not_an_end_state_is_skipped(bad):
    assert ev.parse_record(bad) is None


def test_a_resume_that_fails_to_start_leaves_the_history(tmp_path: Path):
    """The records past the checkpoint go only once the loop has restarted from it."""
    from tui_gan.engine.checkpoint import load_run_checkpoint

    spec = toy_spec(tmp_path, steps=30, eval_every=0)
    list(run(spec))
    before = (spec.run_dir / "metrics.jsonl").read_bytes()
    ckpt = spec.run_dir / "ckpt-0000020.pt"
    state = load_run_checkpoint(ckpt)
    state["metrics_acc_n"] = -5  # damaged: refused by the restore
    events = list(run(RunSpec(spec.preset, spec.run_dir, ckpt, resume_state=state)))
    assert isinstance(events[-1], ev.Failed) and "damaged" in events[-1].error
    after = (spec.run_dir / "metrics.jsonl").read_bytes()
    assert after.startswith(before)  # nothing dropped; the failure appended
    assert ev.parse_line(after.splitlines()[-1]) == events[-1]


def test_a_resume_keeps_records_a_newer_tui_gan_wrote(tmp_path: Path):
    rd = RunDir(tmp_path / "run")
    rd.create()
    newer = b'{"type": "ebm_energy", "step": 5, "energy": [1, 2]}\n'
    old = b'{"type": "ebm_energy", "step": 50, "energy": [1, 2]}\n'
    junk = b'{"type": "step", "step": 6}\n'  # a known type that fails its checks
    rd.metrics_path.write_bytes(newer + junk + old)
    records.truncate_after(rd, 10)
    assert rd.metrics_path.read_bytes() == newer


def test_a_run_of_a_newer_format_is_not_continued(tmp_path: Path):
    spec = toy_spec(tmp_path)
    spec.run_dir.mkdir()
    (spec.run_dir / "run.json").write_text('{"format": 99}')
    (event,) = list(run(spec))
    assert isinstance(event, ev.Failed) and event.exit_code == 2
    assert "newer tui-gan (run format 99)" in event.error
    assert (spec.run_dir / "run.json").read_text() == '{"format": 99}'  # left as it was


def test_a_record_its_readers_would_reject_is_never_written():
    with pytest.raises(ValueError, match="fid=nan"):
        ev.Evaluated(step=1, fid=float("nan")).to_record()
    with pytest.raises(ValueError, match="error="):
        ev.Failed(step=1, error="x" * (ev.MAX_TEXT + 1)).to_record()
