"""The run directory's metrics log: resume truncation keeps later writes in the live file."""

from __future__ import annotations

from pathlib import Path

from tui_gan.engine import events as ev
from tui_gan.engine import records
from tui_gan.rundir.folder import RunDir


def step(n: int) -> ev.StepMetrics:
    return ev.StepMetrics(
        step=n, epoch=n / 100, time=n / 10, loss_d=0.5, loss_g=0.5, d_real=0.5, d_fake=0.5
    )


def test_truncate_after_keeps_writing_to_the_new_file(tmp_path: Path):
    rd = RunDir(tmp_path / "run")
    rd.create()
    for n in (10, 20, 30):
        records.log(rd, step(n))
    records.log(rd, ev.Finished(step=30, state="finished"))
    records.log(rd, ev.Notice(step=0, message="logged before the resume truncates"))
    records.truncate_after(rd, 20)
    records.log(rd, step(30))
    rd.close()
    recs = list(ev.iter_events(rd.metrics_path))
    assert [(r.TYPE, r.step) for r in recs] == [
        ("step", 10),
        ("step", 20),
        ("notice", 0),
        ("step", 30),
    ]


def test_prune_keeps_the_newest_checkpoints(tmp_path: Path):
    rd = RunDir(tmp_path)
    for step in (1, 2, 3, 4):
        rd.ckpt_path(step).write_bytes(b"x")
    rd.prune(2)
    assert [p.name for p in rd.checkpoints()] == ["ckpt-0000003.pt", "ckpt-0000004.pt"]
