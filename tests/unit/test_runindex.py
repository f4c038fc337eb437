"""The run index ($XDG_STATE_HOME/tui-gan): recorded, bounded, locked, and rebuilt when lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tui_gan import runindex
from tui_gan.runindex import INDEX, JOURNAL, LOCK


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own state folder; returns the index's folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "tui-gan"


def runs(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        (tmp_path / "out" / name).mkdir(parents=True)
        out.append(tmp_path / "out" / name)
    return out


def paths() -> list[Path]:
    return [e.path for e in runindex.entries()]


def test_starts_are_listed_oldest_first_and_a_restart_moves_to_the_end(tmp_path: Path):
    a, b, c = runs(tmp_path, "a", "b", "c")
    for t, run in enumerate([a, b, c, a]):
        assert runindex.record(run, now=100.0 + t)
    assert paths() == [b, c, a]
    assert [e.started for e in runindex.entries()] == [101.0, 102.0, 103.0]


def test_a_relative_folder_is_recorded_absolute(tmp_path: Path, monkeypatch):
    (run,) = runs(tmp_path, "r")
    monkeypatch.chdir(tmp_path / "out")
    runindex.record(Path("r"))
    monkeypatch.chdir(tmp_path)
    assert paths() == [run]


def test_the_index_keeps_the_newest_max_runs(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(runindex, "MAX_RUNS", 5)
    folders = runs(tmp_path, *(f"r{i}" for i in range(8)))
    for t, run in enumerate(folders):
        runindex.record(run, now=float(t))
    assert paths() == folders[-5:]


def test_vanished_folders_are_dropped(tmp_path: Path, state: Path):
    a, b, c = runs(tmp_path, "a", "b", "c")
    runindex.record(a, now=1)
    runindex.record(b, now=2)
    shutil.rmtree(a)
    assert paths() == [b]  # never listed
    runindex.record(c, now=3)
    text = (state / INDEX).read_text()
    assert str(a) not in text and str(b) in text  # and gone from the index once it is written


def test_a_lost_index_is_rebuilt_from_the_journal(tmp_path: Path, state: Path):
    a, b = runs(tmp_path, "a", "b")
    runindex.record(a, now=1)
    runindex.record(b, now=2)
    (state / INDEX).unlink()
    assert paths() == [a, b]
    assert (state / INDEX).exists()  # written back for the next reader
    assert json.loads((state / INDEX).read_text())["runs"][1]["path"] == str(b)


@pytest.mark.parametrize(
    "junk", [b"", b"{not json", b"[]", b'{"version": 99, "runs": []}', b'{"version": 1, "ru']
)
def test_a_corrupt_index_is_rebuilt_from_the_journal(tmp_path: Path, state: Path, junk: bytes):
    a, b = runs(tmp_path, "a", "b")
    runindex.record(a, now=1)
    runindex.record(b, now=2)
    (state / INDEX).write_bytes(junk)
    assert paths() == [a, b]
    (c,) = runs(tmp_path, "c")
    runindex.record(c, now=3)  # a start on a corrupt index keeps the runs before it
    assert paths() == [a, b, c]


def test_bad_entries_are_skipped_not_trusted(tmp_path: Path, state: Path):
    (a,) = runs(tmp_path, "a")
    runindex.record(a, now=1)
    bad = [{"path": "relative/x", "started": 1}, {"path": str(a), "started": "soon"},
           {"path": 7}, "x", {"path": str(a) + "\0", "started": 2}]  # fmt: skip
    good = {"path": str(a), "started": 5}
    (state / INDEX).write_text(json.dumps({"version": 1, "runs": [*bad, good]}))
    assert [(e.path, e.started) for e in runindex.entries()] == [(a, 5.0)]


def test_torn_and_junk_journal_lines_are_skipped(tmp_path: Path, state: Path):
    a, b = runs(tmp_path, "a", "b")
    runindex.record(a, now=1)
    with open(state / JOURNAL, "ab") as fh:
        fh.write(b"\x00\xffjunk\n[1, 2]\n")
    runindex.record(b, now=2)
    with open(state / JOURNAL, "ab") as fh:
        fh.write(b'{"path": "/half')  # a writer killed mid-line
    (state / INDEX).unlink()
    assert paths() == [a, b]


def test_a_lost_journal_is_written_again_whole(tmp_path: Path, state: Path):
    a, b, c = runs(tmp_path, "a", "b", "c")
    runindex.record(a, now=1)
    runindex.record(b, now=2)
    (state / JOURNAL).unlink()
    runindex.record(c, now=3)
    (state / INDEX).unlink()  # now lose the index: the journal knows all three
    assert paths() == [a, b, c]


def test_the_journal_is_compacted_when_it_grows(tmp_path: Path, state: Path, monkeypatch):
    monkeypatch.setattr(runindex, "MAX_JOURNAL_BYTES", 400)
    (a, b) = runs(tmp_path, "a", "b")
    for t in range(20):
        runindex.record(a if t % 2 else b, now=float(t))
    assert (state / JOURNAL).stat().st_size <= 400 + 200
    (state / INDEX).unlink()
    assert paths() == [b, a]


def test_reading_an_empty_index_creates_nothing(state: Path):
    assert runindex.entries() == []
    assert not state.exists()


def test_a_home_that_cannot_hold_the_index_never_raises(tmp_path: Path, monkeypatch):
    (run,) = runs(tmp_path, "a")
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "file"))
    assert runindex.record(run) is False
    assert runindex.entries() == []


def test_links_in_the_state_folder_are_never_followed(tmp_path: Path, state: Path):
    (run,) = runs(tmp_path, "a")
    state.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (state / INDEX).symlink_to(victim)
    (state / JOURNAL).symlink_to(victim)
    assert runindex.record(run, now=1)
    assert victim.read_text() == "keep"
    assert not (state / INDEX).is_symlink() and not (state / JOURNAL).is_symlink()
    assert paths() == [run]
    (state / LOCK).unlink()
    (state / LOCK).symlink_to(victim)
    assert runindex.record(run, now=2) is False  # a planted lock link: not recorded, no harm
    assert victim.read_text() == "keep"


def test_a_relative_xdg_state_home_is_ignored(monkeypatch):
    assert runindex.state_dir({"XDG_STATE_HOME": "rel/state"}) == (
        Path.home() / ".local" / "state" / "tui-gan"
    )
    assert runindex.state_dir({}) == Path.home() / ".local" / "state" / "tui-gan"
    assert runindex.state_dir({"XDG_STATE_HOME": "/s"}) == Path("/s/tui-gan")


HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def test_a_writer_waits_for_the_lock_and_gives_up_on_a_stuck_one(
    tmp_path: Path, state: Path, monkeypatch
):
    (run,) = runs(tmp_path, "a")
    state.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state / LOCK)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(runindex, "LOCK_WAIT_S", 0.2)
        assert runindex.record(run, now=1) is False
        assert not (state / INDEX).exists()  # nothing written without the lock
    finally:
        holder.communicate("", timeout=10)
    assert runindex.record(run, now=2) is True
    assert paths() == [run]


WRITER = """
import sys
from pathlib import Path
from tui_gan import runindex
for name in sys.argv[2:]:
    assert runindex.record(Path(sys.argv[1]) / name)
"""


def test_concurrent_starts_all_land(tmp_path: Path):
    """Four processes recording at once: every run is in the index (no lost update) and the
    index always parses (no half-written file)."""
    names = [[f"p{p}-r{i}" for i in range(15)] for p in range(4)]
    for group in names:
        runs(tmp_path, *group)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / "out"), *group],
            env={**os.environ, "PYTHONPATH": str(Path(runindex.__file__).parents[1])},
        )
        for group in names
    ]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    assert {p.name for p in paths()} == {n for group in names for n in group}


def test_the_index_imports_no_ui_and_no_torch():
    code = "import sys, tui_gan.runindex; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = set(out.stdout.split())
    assert "tui_gan.runindex" in mods  # the import really happened
    assert not {m.split(".")[0] for m in mods} & {"textual", "rich", "torch", "numpy"}
