"""Steering a run from another process: status.json, the trainer's lock, control.json, SIGUSR1.

The attacks of the hardening issue come first: a status.json that names a stranger's PID (or a
negative, zero, fractional or missing one), a run killed with -9 whose PID was reused, and a bad
control.json sent to a live run. None may signal anything but the run's own trainer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import start_fake_trainer
from tui_gan.engine.control import Controls
from tui_gan.errors import UsageError
from tui_gan.rundir import control
from tui_gan.rundir.control import SAVE_WRAP, WAKE, RemoteControl, request, why_not_live
from tui_gan.rundir.lock import RunLock, lock_held, verified_pid
from tui_gan.rundir.names import CONTROL, LOCK, STATUS
from tui_gan.rundir.status import Status, read_status, run_state, save_status, write_status

_REAL_KILL = os.kill  # taken before any test replaces it

needs_wake = pytest.mark.skipif(WAKE is None, reason="no SIGUSR1 on this platform")


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def write_raw_status(run_dir: Path, **fields) -> None:
    status = {"state": "running", "host": socket.gethostname(), "updated": time.time(), **fields}
    (run_dir / STATUS).write_text(json.dumps(status))


def create_time(pid: int) -> float:
    import psutil

    return psutil.Process(pid).create_time()


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen]:
    """An unrelated process (a sleep) that must never be signalled."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def fake_run(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen]]:
    """A live stand-in trainer on tmp_path/run (see fake_trainer.py)."""
    run = tmp_path / "run"
    run.mkdir()
    proc = start_fake_trainer(run)
    yield run, proc
    # The real kill, not proc.kill(): a test's no_kill fixture may still stand in for
    # os.kill here (teardown order), and then the wait below would never end.
    if proc.poll() is None:  # not already stopped by the test
        with contextlib.suppress(ProcessLookupError):
            _REAL_KILL(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def flags(run: Path) -> dict:
    return json.loads((run / "flags.json").read_text())


@pytest.fixture
def no_kill(monkeypatch) -> list[tuple[int, int]]:
    """Record os.kill calls instead of making them."""
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: calls.append((pid, sig)))
    return calls


# The attacks: nothing but the run's own trainer is ever signalled -----------------------------


@needs_wake
def test_stop_never_signals_a_stranger_named_in_status(tmp_path: Path, stranger, cli):
    write_raw_status(tmp_path, pid=stranger.pid, started=create_time(stranger.pid))
    res = cli("stop", str(tmp_path), "--timeout", "2")
    time.sleep(0.2)
    assert stranger.poll() is None, "stop killed an unrelated process"
    assert res.returncode == 0
    assert res.stdout.strip() == f"{tmp_path}: not running (failed)"  # no lock: not live
    assert "Traceback" not in res.stderr


@needs_wake
def test_a_reused_pid_under_a_live_lock_is_not_signalled(fake_run, stranger, cli):
    # The run is live (its trainer holds the lock) but status.json names someone else.
    run, trainer = fake_run
    write_raw_status(run, pid=stranger.pid, started=create_time(stranger.pid))
    assert run_state(run) == "running"
    assert request(run, stop=True) is False
    res = cli("stop", str(run), "--timeout", "2")
    assert stranger.poll() is None and trainer.poll() is None
    assert res.returncode == 2
    assert res.stderr.strip() == (
        f"tui-gan: {run}: the run is not live: status.json names pid {stranger.pid}, "
        "which is not this run's trainer"
    )


@pytest.mark.parametrize(
    "pid", [-1, 0, 1, -os.getpgid(0), 1.5, "1", True, None, 10**30, [1], {"pid": 1}]
)
def test_bad_pids_are_never_signalled(tmp_path: Path, no_kill, pid):
    RunLock(tmp_path).acquire()  # even with the lock held here, the pid must prove itself
    fields = {} if pid is None else {"pid": pid}
    write_raw_status(tmp_path, started=time.time(), **fields)
    assert verified_pid(tmp_path, read_status(tmp_path)) is None
    assert request(tmp_path, stop=True) is False
    assert no_kill == []


def test_a_dead_trainer_with_a_reused_pid_reads_as_failed(tmp_path: Path, stranger):
    # kill -9 leaves "running" in status.json; the PID now belongs to a stranger.
    write_raw_status(tmp_path, pid=stranger.pid, started=create_time(stranger.pid))
    assert run_state(tmp_path) == "failed"


@needs_wake
def test_a_trainer_of_another_run_is_not_signalled(fake_run, tmp_path: Path, no_kill):
    run, trainer = fake_run
    other = tmp_path / "other"
    other.mkdir()
    write_raw_status(other, pid=trainer.pid, started=create_time(trainer.pid))
    RunLock(other).acquire()  # live, but not through that trainer
    assert verified_pid(other, read_status(other)) is None
    assert request(other, save=True) is False
    assert no_kill == []


def test_a_wrong_start_time_is_not_signalled(fake_run, no_kill):
    run, trainer = fake_run
    status = read_status(run)
    write_raw_status(run, pid=trainer.pid, started=status.started - 3600)
    assert request(run, pause=True) is False
    assert no_kill == []


def test_another_host_is_not_signalled(fake_run, no_kill):
    run, trainer = fake_run
    status = read_status(run)
    assert status is not None
    save_status(run, dataclasses.replace(status, host=socket.gethostname() + "-elsewhere"))
    assert run_state(run) == "running"  # its liveness is not ours to judge
    assert request(run, stop=True) is False
    assert "belongs to host" in why_not_live(run)
    assert no_kill == []


@needs_wake
@pytest.mark.parametrize(
    "bad",
    [
        {"save": "many"},
        {"pause": "yes"},
        {"stop": 1},
        {"save": -1},
        {"save": 1.5},
        {"save": 10**40},
        {"whatever": True},
        [],
        42,
        "stop",
    ],
)
def test_a_bad_control_request_is_ignored_and_logged(fake_run, bad):
    run, trainer = fake_run
    (run / CONTROL).write_text(json.dumps(bad))
    os.kill(trainer.pid, WAKE)
    assert wait_for(lambda: flags(run)["rejected"]), "the bad request was not reported"
    f = flags(run)
    assert "ignored a bad control request" in f["rejected"][0]
    assert not f["stop"] and not f["pause"] and f["saves_seen"] == 0
    assert trainer.poll() is None  # still running
    # and it still obeys a good one afterwards
    assert request(run, stop=True) is True
    assert wait_for(lambda: trainer.poll() is not None)
    assert read_status(run).state == "stopped"


@needs_wake
@pytest.mark.parametrize("junk", [b"{not json", b"\xff\xfe\x00", b"[" * 100_000, b""])
def test_junk_control_bytes_are_ignored(fake_run, junk):
    run, trainer = fake_run
    (run / CONTROL).write_bytes(junk)
    os.kill(trainer.pid, WAKE)
    assert wait_for(lambda: flags(run)["rejected"])
    assert trainer.poll() is None


def test_request_mends_a_bad_control_file(fake_run):
    run, trainer = fake_run
    (run / CONTROL).write_text('{"save": "many"}')
    assert request(run, save=True) is True
    assert json.loads((run / CONTROL).read_text()) == {"pause": False, "save": 1, "stop": False}


# The normal path ------------------------------------------------------------------------------


@needs_wake
def test_request_reaches_the_verified_trainer(fake_run):
    run, trainer = fake_run
    assert verified_pid(run, read_status(run)) == trainer.pid
    assert request(run, pause=True) is True
    assert wait_for(lambda: flags(run)["pause"])
    assert request(run, save=True) is True
    assert wait_for(lambda: flags(run)["saves_seen"] == 1)
    assert request(run, pause=False) is True
    assert wait_for(lambda: not flags(run)["pause"])
    assert json.loads((run / CONTROL).read_text()) == {"pause": False, "save": 1, "stop": False}
    assert request(run, stop=True) is True
    assert wait_for(lambda: trainer.poll() is not None)
    assert run_state(run) == "stopped"


def test_lock_is_held_while_the_trainer_lives_and_dropped_by_kill_9(fake_run):
    run, trainer = fake_run
    assert lock_held(run)
    assert run_state(run) == "running"
    assert RunLock(run).acquire() is False  # a second trainer is refused
    trainer.send_signal(signal.SIGKILL)
    trainer.wait()
    assert not lock_held(run)
    assert read_status(run).state == "running"  # what the killed run left behind
    assert run_state(run) == "failed"


def test_lock_held_refuses_a_fifo(tmp_path: Path):
    os.mkfifo(tmp_path / LOCK)
    assert lock_held(tmp_path) is False  # and it did not hang


# status.json ---------------------------------------------------------------------------------


def test_write_read_status_round_trip(tmp_path: Path):
    before = time.time()
    write_status(tmp_path, "running", step=10, total_steps=100)
    status = read_status(tmp_path)
    assert status is not None
    assert status.state == "running"
    assert status.step == 10
    assert status.total_steps == 100
    assert status.pid == os.getpid()
    assert status.started == pytest.approx(create_time(os.getpid()))
    assert status.host == socket.gethostname()
    assert before <= status.updated <= time.time()
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATUS]  # no temp files left


def test_write_status_merges_with_the_old_fields(tmp_path: Path):
    write_status(tmp_path, "running", step=10, total_steps=100)
    write_status(tmp_path, "paused", step=20)
    status = read_status(tmp_path)
    assert status.state == "paused"
    assert status.step == 20
    assert status.total_steps == 100


@pytest.mark.parametrize(
    "text",
    ["{not json", "[]", "42", '"running"', "null", '{"state": "dancing"}', "{}", "\udcff"],
)
def test_a_broken_status_is_unreadable(tmp_path: Path, text: str):
    (tmp_path / STATUS).write_text(text, errors="surrogateescape")
    assert read_status(tmp_path) is None
    assert run_state(tmp_path) == "unreadable"


def test_status_fields_of_the_wrong_type_are_dropped(tmp_path: Path):
    write_raw_status(tmp_path, state="finished", step="12", total_steps=[], preset=3, pid=1.5)
    assert read_status(tmp_path) == Status(
        state="finished",
        host=socket.gethostname(),
        updated=pytest.approx(time.time(), abs=60),
    )


def test_run_state_unknown_without_status(tmp_path: Path):
    assert run_state(tmp_path) == "unknown"


@pytest.mark.parametrize("state", ["finished", "stopped", "interrupted", "failed"])
def test_run_state_ended_states_are_stored_as_is(tmp_path: Path, state: str):
    write_raw_status(tmp_path, state=state, pid=1)
    assert run_state(tmp_path) == state


@pytest.mark.parametrize("state", ["starting", "running", "paused"])
def test_a_live_state_without_the_lock_is_failed(tmp_path: Path, state: str):
    write_status(tmp_path, state)  # this process's own pid, alive, but no lock held
    assert run_state(tmp_path) == "failed"


@pytest.mark.parametrize("state", ["finished", "stopped", "failed"])
def test_request_to_a_run_that_is_not_live_is_false(tmp_path: Path, state: str, no_kill):
    write_status(tmp_path, state)
    assert request(tmp_path, stop=True) is False
    assert not (tmp_path / CONTROL).exists()
    assert no_kill == []


# RemoteControl in this process (no signal: apply() is what the handler calls) ---------------


def test_install_starts_from_a_clean_control_file(tmp_path: Path):
    (tmp_path / CONTROL).write_text(json.dumps({"pause": True, "save": 5, "stop": True}))
    controls = Controls()
    rc = RemoteControl(tmp_path, controls)
    old = signal.getsignal(WAKE) if WAKE else None
    try:
        rc.install()
    finally:
        if WAKE:
            signal.signal(WAKE, old)
    assert json.loads((tmp_path / CONTROL).read_text()) == {
        "pause": False,
        "save": 0,
        "stop": False,
    }
    rc.apply()  # the stale requests are void
    assert not controls.pause.is_set()
    assert not controls.save.is_set()
    assert not controls.stop.is_set()


def test_apply_counts_saves_once(tmp_path: Path):
    controls = Controls()
    rc = RemoteControl(tmp_path, controls)
    (tmp_path / CONTROL).write_text(json.dumps({"pause": False, "save": 1, "stop": False}))
    rc.apply()
    assert controls.save.is_set() and rc.saves_seen == 1
    controls.save.clear()  # the loop took the checkpoint
    rc.apply()  # a doubled signal does not ask for a second one
    assert not controls.save.is_set()


def test_apply_without_control_file_does_nothing(tmp_path: Path):
    controls = Controls()
    rc = RemoteControl(tmp_path, controls)
    rc.apply()
    assert not controls.pause.is_set()
    assert not controls.save.is_set()
    assert not controls.stop.is_set()
    assert rc.saves_seen == 0
    assert controls.take_rejected() == []


def test_apply_never_raises(tmp_path: Path, monkeypatch):
    controls = Controls()
    rc = RemoteControl(tmp_path, controls)
    (tmp_path / CONTROL).write_text("{}")
    monkeypatch.setattr(control, "parse_control", lambda raw: 1 / 0)
    rc.apply()  # would have crashed the training loop from inside a signal handler
    assert "ZeroDivisionError" in controls.take_rejected()[0]


# Found by an attack on this work ------------------------------------------------------------


@needs_wake
def test_a_signal_flood_never_deadlocks_the_run(fake_run):
    # The handler once set threading.Events, whose lock a nested handler could find held by
    # the same thread: a SIGUSR1 flood hung the run for good. Now it only raises a flag.
    run, trainer = fake_run
    assert request(run, pause=True) is True
    assert wait_for(lambda: flags(run)["pause"])
    for _ in range(5000):
        os.kill(trainer.pid, WAKE)
    assert request(run, stop=True) is True
    assert wait_for(lambda: trainer.poll() is not None, 15), "the run hung under a signal flood"
    assert flags(run)["rejected"] == []  # and no valid request was lost to a RecursionError


def test_a_symlinked_lock_does_not_pass_for_a_live_run(fake_run, tmp_path: Path, no_kill):
    run, trainer = fake_run
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / STATUS).write_bytes((run / STATUS).read_bytes())
    (fake / LOCK).symlink_to(run / LOCK)
    assert lock_held(fake) is False
    assert run_state(fake) == "failed"
    assert request(fake, save=True) is False
    assert no_kill == []


def test_a_hard_linked_copy_does_not_pass_for_the_live_run(fake_run, tmp_path: Path, no_kill):
    run, trainer = fake_run
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / STATUS).write_bytes((run / STATUS).read_bytes())
    os.link(run / LOCK, copy / LOCK)  # cp -al of a live run
    assert verified_pid(copy, read_status(copy)) is None
    assert request(copy, save=True) is False
    assert no_kill == []


def test_a_lock_that_is_not_a_regular_file_is_refused(tmp_path: Path):
    os.mkfifo(tmp_path / LOCK)
    with pytest.raises(UsageError, match="not a regular file"):
        RunLock(tmp_path).acquire()


def test_an_unwritable_control_file_is_one_line_naming_it(fake_run):
    run, trainer = fake_run
    (run / CONTROL).unlink()
    (run / CONTROL).mkdir()  # as a read-only folder would, the write fails
    with pytest.raises(UsageError) as info:
        request(run, save=True)
    assert str(info.value) == f"{run / CONTROL}: is a folder, expected a file"
    assert not list(run.glob(".control.json.tmp*"))


@needs_wake
def test_a_huge_save_count_still_saves(fake_run):
    run, trainer = fake_run
    (run / CONTROL).write_text(json.dumps({"pause": False, "save": 10**18, "stop": False}))
    os.kill(trainer.pid, WAKE)
    assert wait_for(lambda: flags(run)["saves_seen"] == 10**18)
    assert request(run, save=True) is True  # the count wraps instead of growing past bounds
    assert wait_for(lambda: flags(run)["saves_seen"] == (10**18 + 1) % SAVE_WRAP)
    assert flags(run)["rejected"] == []


def test_a_resumed_run_drops_the_old_error(tmp_path: Path):
    write_status(tmp_path, "failed", error="disk full")
    write_status(tmp_path, "running")
    assert read_status(tmp_path).error is None
