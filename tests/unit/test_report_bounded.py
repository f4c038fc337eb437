"""`report` reads metrics.jsonl in bounded memory: each series pooled, rare records thinned."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tui.fakerun import make_run
from tui_gan.engine import events as ev
from tui_gan.report import data as D
from tui_gan.report import read


def append_steps(run: Path, steps: range, spike_at: int = -1, evals_every: int = 0) -> None:
    """Step records (and evaluations) as the recorder writes them: one record through the
    schema, its step and losses varied (to_line per record would take longer than the test)."""
    step = ev.StepMetrics(step=1, epoch=0.0, time=0.0, loss_d=1.0, loss_g=0.7, d_real=0.6,
                          d_fake=0.4, g_d_ratio=0.7).to_record()  # fmt: skip
    with open(run / "metrics.jsonl", "a") as fh:
        for s in steps:
            step.update(step=s, loss_d=9.0 if s == spike_at else 1.0 + (s % 7) / 100)
            fh.write(json.dumps(step) + "\n")
            if evals_every and s % evals_every == 0:
                fh.write(ev.to_line(ev.Evaluated(step=s, fid=100 / s)))


def test_a_long_run_is_held_in_a_bounded_number_of_points(tmp_path: Path):
    run = make_run(tmp_path, steps=100)  # records up to step 100, then 200,000 more
    append_steps(run, range(101, 200_101), spike_at=123_457, evals_every=100)
    records = D.read_run(run)
    loss_d = records.logged["loss_d"]
    assert D.BUCKETS <= len(loss_d) <= 2 * D.BUCKETS  # not 200,040 records
    x, y = records.series("loss_d")
    assert len(x) <= 8 * D.BUCKETS
    assert x[0] == 10 and x[-1] == 200_100  # the first and the last record
    assert 9.0 in y and x[y.index(9.0)] == 123_457  # a one-step spike is still drawn
    assert len(records.trend("loss_d")[0]) == len(loss_d)
    assert len(records.evals) <= D.KEPT + 1 and records.evals[-1].step == 200_100
    assert records.evals[0].step == 100


def test_a_short_run_is_drawn_from_every_record_and_a_restart_wins(tmp_path: Path):
    run = make_run(tmp_path, steps=400)
    append_steps(run, range(300, 351))  # a crash and resume logged steps 300-350 again
    records = D.read_run(run)
    x, y = records.series("loss_d")
    assert x == [*range(10, 300, 10), *range(300, 351)]  # the old 300-400 gone
    assert records.trend("loss_d") == (x, y)  # one record a bucket: the records themselves


def test_a_line_longer_than_the_limit_is_skipped_without_being_held(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    good = ev.to_line(ev.Evaluated(step=5, fid=1.0)).encode()
    path.write_bytes(good + b"x" * (5 * read.CHUNK) + b"\n" + good + b"torn")
    with open(path, "rb") as fh:
        lines = list(read.lines(fh, max_line=2 * read.CHUNK))
    assert lines == [good.rstrip(b"\n"), good.rstrip(b"\n"), b"torn"]
