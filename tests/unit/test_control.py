"""Unit tests for steering a run from another process (status.json, control.json, SIGUSR1)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tui_gan.engine.control import (
    CONTROL,
    STATUS,
    WAKE,
    RemoteControl,
    pid_alive,
    read_status,
    request,
    run_state,
    write_status,
)
from tui_gan.engine.trainer import Controls

needs_wake = pytest.mark.skipif(WAKE is None, reason="no SIGUSR1 on this platform")


def dead_pid() -> int:
    """The pid of a process this test started and reaped: no longer alive."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def set_pid(run_dir: Path, pid: int) -> None:
    path = run_dir / STATUS
    status = json.loads(path.read_text())
    status["pid"] = pid
    path.write_text(json.dumps(status))


def wait_for(cond: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def restore_wake() -> Iterator[None]:
    if WAKE is None:
        pytest.skip("no SIGUSR1 on this platform")
    old = signal.getsignal(WAKE)
    try:
        yield
    finally:
        signal.signal(WAKE, old)


@pytest.fixture
def woken(restore_wake) -> list[int]:
    """A harmless SIGUSR1 handler that records each delivery (the default would kill us)."""
    seen: list[int] = []
    signal.signal(WAKE, lambda signum, frame: seen.append(signum))
    return seen


# status.json ---------------------------------------------------------------------------------


def test_write_read_status_round_trip(tmp_path: Path):
    before = time.time()
    write_status(tmp_path, "running", step=10, total_steps=100)
    status = read_status(tmp_path)
    assert status is not None
    assert status["state"] == "running"
    assert status["step"] == 10
    assert status["total_steps"] == 100
    assert status["pid"] == os.getpid()
    assert status["host"] == socket.gethostname()
    assert before <= status["updated"] <= time.time()
    # no temp files left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATUS]


def test_write_status_merges_with_the_old_fields(tmp_path: Path):
    write_status(tmp_path, "running", step=10, total_steps=100)
    write_status(tmp_path, "paused", step=20)
    status = read_status(tmp_path)
    assert status["state"] == "paused"
    assert status["step"] == 20
    assert status["total_steps"] == 100


def test_read_status_missing_or_corrupt(tmp_path: Path):
    assert read_status(tmp_path) is None
    (tmp_path / STATUS).write_text("{not json")
    assert read_status(tmp_path) is None


def test_pid_alive():
    assert pid_alive(os.getpid()) is True
    assert pid_alive(dead_pid()) is False


# run_state -----------------------------------------------------------------------------------


def test_run_state_unknown_without_status(tmp_path: Path):
    assert run_state(tmp_path) == "unknown"


def test_run_state_live_process(tmp_path: Path):
    write_status(tmp_path, "running")
    assert run_state(tmp_path) == "running"
    write_status(tmp_path, "paused")
    assert run_state(tmp_path) == "paused"


@pytest.mark.parametrize("state", ["starting", "running", "paused"])
def test_run_state_dead_process_in_a_live_state_is_failed(tmp_path: Path, state: str):
    write_status(tmp_path, state)
    set_pid(tmp_path, dead_pid())
    assert run_state(tmp_path) == "failed"


@pytest.mark.parametrize("state", ["finished", "stopped", "interrupted", "failed"])
def test_run_state_ended_states_are_stored_as_is(tmp_path: Path, state: str):
    write_status(tmp_path, state)
    set_pid(tmp_path, dead_pid())
    assert run_state(tmp_path) == state


def test_run_state_other_host_is_trusted(tmp_path: Path):
    # the pid means nothing on another machine: the stored state stands
    write_status(tmp_path, "running")
    status = json.loads((tmp_path / STATUS).read_text())
    status["pid"] = dead_pid()
    status["host"] = socket.gethostname() + "-elsewhere"
    (tmp_path / STATUS).write_text(json.dumps(status))
    assert run_state(tmp_path) == "running"


# request -------------------------------------------------------------------------------------


def test_request_without_status_is_false(tmp_path: Path):
    assert request(tmp_path, pause=True) is False
    assert not (tmp_path / CONTROL).exists()


@pytest.mark.parametrize("state", ["finished", "stopped", "failed"])
def test_request_to_a_run_that_is_not_live_is_false(tmp_path: Path, state: str):
    write_status(tmp_path, state)
    assert request(tmp_path, stop=True) is False
    assert not (tmp_path / CONTROL).exists()


@needs_wake
def test_request_to_a_dead_process_is_false(tmp_path: Path):
    write_status(tmp_path, "running")
    set_pid(tmp_path, dead_pid())
    assert request(tmp_path, pause=True) is False


@needs_wake
def test_request_writes_control_and_wakes_the_run(tmp_path: Path, woken: list[int]):
    write_status(tmp_path, "running")
    assert request(tmp_path, pause=True) is True
    assert wait_for(lambda: len(woken) == 1)
    assert woken == [WAKE]
    ctl = json.loads((tmp_path / CONTROL).read_text())
    assert ctl == {"pause": True, "save": 0, "stop": False}
    assert request(tmp_path, save=True) is True
    assert request(tmp_path, save=True) is True
    assert request(tmp_path, pause=False) is True
    ctl = json.loads((tmp_path / CONTROL).read_text())
    assert ctl == {"pause": False, "save": 2, "stop": False}
    assert wait_for(lambda: len(woken) == 4)


# RemoteControl (this process is the "run") ---------------------------------------------------


@pytest.fixture
def remote(tmp_path: Path, restore_wake) -> tuple[Path, Controls, RemoteControl]:
    write_status(tmp_path, "running")  # pid = this very process
    controls = Controls()
    rc = RemoteControl(tmp_path, controls)
    rc.install()
    return tmp_path, controls, rc


def test_install_starts_from_a_clean_control_file(tmp_path: Path, restore_wake):
    (tmp_path / CONTROL).write_text(json.dumps({"pause": True, "save": 5, "stop": True}))
    controls = Controls()
    rc = RemoteControl(tmp_path, controls)
    rc.install()
    assert json.loads((tmp_path / CONTROL).read_text()) == {
        "pause": False,
        "save": 0,
        "stop": False,
    }
    rc.apply()  # the stale requests are void
    assert not controls.pause.is_set()
    assert not controls.save.is_set()
    assert not controls.stop.is_set()


@needs_wake
def test_install_sets_the_sigusr1_handler(remote):
    assert callable(signal.getsignal(WAKE))
    assert signal.getsignal(WAKE) not in (signal.SIG_DFL, signal.SIG_IGN)


@needs_wake
def test_remote_pause_and_unpause(remote):
    run_dir, controls, _ = remote
    assert request(run_dir, pause=True) is True
    assert wait_for(controls.pause.is_set)
    assert not controls.stop.is_set()
    assert not controls.save.is_set()
    assert request(run_dir, pause=False) is True
    assert wait_for(lambda: not controls.pause.is_set())


@needs_wake
def test_remote_save_counts_requests(remote):
    run_dir, controls, rc = remote
    assert request(run_dir, save=True) is True
    assert wait_for(controls.save.is_set)
    assert rc.saves_seen == 1
    controls.save.clear()  # the loop took the checkpoint
    rc.apply()  # a doubled signal does not ask for a second one
    assert not controls.save.is_set()
    assert request(run_dir, save=True) is True
    assert wait_for(controls.save.is_set)
    assert rc.saves_seen == 2
    assert json.loads((run_dir / CONTROL).read_text())["save"] == 2


@needs_wake
def test_remote_stop(remote):
    run_dir, controls, _ = remote
    controls.stop_state = "interrupted"
    assert request(run_dir, stop=True) is True
    assert wait_for(controls.stop.is_set)
    assert controls.stop_state == "stopped"
    assert not controls.pause.is_set()


def test_apply_without_control_file_does_nothing(tmp_path: Path):
    controls = Controls()
    rc = RemoteControl(tmp_path, controls)
    rc.apply()
    assert not controls.pause.is_set()
    assert not controls.save.is_set()
    assert not controls.stop.is_set()
    assert rc.saves_seen == 0
