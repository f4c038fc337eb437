"""The run watcher on its own, without an App: what it posts, and how often it looks."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.tui.fakerun import make_run
from tui_gan.engine import events as ev
from tui_gan.tui import watcher as watcher_mod
from tui_gan.tui.messages import (
    ProcessExited,
    RecordsArrived,
    ResourcesRead,
    Said,
    StateChanged,
)
from tui_gan.tui.watcher import RunWatcher, Targets


class Proc:
    """A process as the watcher sees it: poll() is None while it runs."""

    def __init__(self, returncode: int | None = None):
        self.returncode = returncode

    def poll(self) -> int | None:
        return self.returncode


def append(run: Path, event: ev.Event) -> None:
    with open(run / "metrics.jsonl", "a") as fh:
        fh.write(ev.to_line(event))


def step(n: int) -> ev.Event:
    values = dict(loss_d=1.3, loss_g=0.7, d_real=0.5, d_fake=0.5, g_d_ratio=0.54)
    return ev.StepMetrics(step=n, epoch=n / 62, time=n / 40, img_per_s=2560.0, **values)


def kinds(posted: list) -> list[type]:
    return [type(m) for m in posted]


def test_records_and_state_are_posted_once_then_only_what_is_new(tmp_path: Path):
    run = make_run(tmp_path, steps=100)
    posted: list = []
    w = RunWatcher(posted.append, lambda: Targets(shown=run))
    assert w.poll()
    records = [m for m in posted if isinstance(m, RecordsArrived)]
    assert len(records) == 1 and records[0].run_dir == run
    assert any(isinstance(e, ev.Finished) for e in records[0].events)
    assert [m.state for m in posted if isinstance(m, StateChanged)] == ["finished"]

    posted.clear()
    assert not w.poll()  # nothing new: nothing posted, nothing redrawn
    assert posted == []

    append(run, step(110))
    assert w.poll()
    assert kinds(posted) == [RecordsArrived]
    assert [e.step for e in posted[0].events] == [110]


def test_a_new_run_on_screen_is_read_from_its_start(tmp_path: Path):
    first, second = make_run(tmp_path, name="a"), make_run(tmp_path, name="b")
    shown = [first]
    posted: list = []
    w = RunWatcher(posted.append, lambda: Targets(shown=shown[0]))
    w.poll()
    posted.clear()
    shown[0] = second
    w.poll()
    assert {m.run_dir for m in posted} == {second}
    assert {type(m) for m in posted} == {RecordsArrived, StateChanged}


def test_an_exited_process_is_posted_once_and_a_starting_run_gets_its_state(tmp_path: Path):
    shown = make_run(tmp_path, name="shown")
    picked = make_run(tmp_path, name="picked", state="stopped")
    proc = Proc()
    posted: list = []
    w = RunWatcher(
        posted.append,
        lambda: Targets(shown=shown, procs={picked: proc}, starting=frozenset({picked})),
    )
    w.poll()
    assert [m.state for m in posted if isinstance(m, StateChanged) and m.run_dir == picked] == [
        "stopped"
    ]
    assert not any(isinstance(m, ProcessExited) for m in posted)
    proc.returncode = 1
    posted.clear()
    w.poll()
    w.poll()
    assert [(m.run_dir, m.returncode) for m in posted] == [(picked, 1)]


def test_an_error_is_said_once_and_the_watching_goes_on(tmp_path: Path):
    posted: list = []
    broken = [True]

    def targets() -> Targets:
        if broken[0]:
            raise OSError("disk on fire")
        return Targets(shown=make_run(tmp_path))

    w = RunWatcher(posted.append, targets)
    for _ in range(3):
        assert not w.look()
    assert kinds(posted) == [Said]
    assert "disk on fire" in posted[0].text
    broken[0] = False
    assert w.look()  # it recovers by itself


def test_resources_are_posted_when_the_line_changes(tmp_path: Path):
    run = make_run(tmp_path)
    lines = iter(["CPU 10%", "CPU 10%", "CPU 12%"])

    class Reader:
        def read(self, pid, device, uuid=None) -> str:
            return next(lines)

    posted: list = []
    w = RunWatcher(posted.append, lambda: Targets(shown=run, device="cpu"), Reader())
    for _ in range(3):
        w.read_resources()
    assert [m.line for m in posted if isinstance(m, ResourcesRead)] == ["CPU 10%", "CPU 12%"]


def test_stale_states_and_resources_give_way_to_newer_ones(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert StateChanged(a, "starting", None).can_replace(StateChanged(a, "running", 10))
    assert not StateChanged(a, "starting", None).can_replace(StateChanged(b, "running", 10))
    assert ResourcesRead(a, "CPU 1%").can_replace(ResourcesRead(a, "CPU 2%"))
    # Records are never dropped: each one is in the histories.
    assert not RecordsArrived(a, [step(1)]).can_replace(RecordsArrived(a, [step(2)]))


def test_it_looks_less_often_while_nothing_changes(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(watcher_mod, "POLL_S", 0.02)
    monkeypatch.setattr(watcher_mod, "CALM_S", 0.32)
    looks: list[float] = []
    run = make_run(tmp_path)

    def targets() -> Targets:
        looks.append(time.monotonic())
        return Targets(shown=run)

    w = RunWatcher(lambda m: None, targets)
    thread = threading.Thread(target=w.run)
    thread.start()
    try:
        time.sleep(1.2)
        calm = len(looks)
        # 0.02 s apart throughout would be 60 looks; backing off 0.02 -> 0.32 s makes ~8.
        assert 3 <= calm <= 15
        w.wake()  # a key sent a request: look now, not at the next calm tick
        time.sleep(0.05)
        assert len(looks) > calm
    finally:
        w.stop()
        thread.join(timeout=2)
    assert not thread.is_alive()  # stop() ends it at once, not after a calm period


@pytest.mark.parametrize("state", ["running", "paused"])
def test_a_live_run_whose_lock_is_free_reads_as_failed(tmp_path: Path, state: str):
    # What a run shows when its trainer was killed: the watcher tells the screen so.
    run = make_run(tmp_path, state="running")
    status = json.loads((run / "status.json").read_text())
    status.update(state=state, host=socket.gethostname())
    (run / "status.json").write_text(json.dumps(status))
    posted: list = []
    RunWatcher(posted.append, lambda: Targets(shown=run)).poll()
    assert [m.state for m in posted if isinstance(m, StateChanged)] == ["failed"]
