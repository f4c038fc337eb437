"""End to end in tmux: the real dashboard, real keys, a killed terminal, and `tui-gan stop`."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tui_gan.rundir.lock import verified_pid
from tui_gan.rundir.status import read_status, run_state

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def pane(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(cond, timeout: float = 90, what: str = "", session: str | None = None) -> None:
    """Until cond() holds; `session`: its screen goes in the failure's message."""
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            screen = f":\n{pane(session)}" if session else ""
            raise AssertionError(f"timed out waiting for {what}{screen}")
        time.sleep(0.2)


def logged_step(run: Path) -> int:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return max((json.loads(x).get("step", 0) for x in lines if '"type": "step"' in x), default=0)


@pytest.fixture
def session(tmp_path: Path):
    name = f"tuigan-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    yield name
    tmux("kill-session", "-t", name)
    for status_file in tmp_path.glob("*/status.json"):  # never leave a run behind
        pid = verified_pid(status_file.parent, read_status(status_file.parent))
        if pid is not None:
            os.kill(pid, 9)


def test_dashboard_survives_a_killed_terminal_and_stop_ends_the_run(tmp_path: Path, session):
    cmd = [
        sys.executable,
        "-m",
        "tui_gan",
        "dash",
        "--preset",
        "toy1d-sine",
        "--steps",
        "100000000",
        "--out",
        str(tmp_path),
        "--set",
        "log.log_every=10",
    ]
    # -u COLUMNS/LINES: Textual would take a size from them over the pane's real size.
    env = (
        f"-u COLUMNS -u LINES TUI_GAN_CACHE={shlex.quote(os.environ['TUI_GAN_CACHE'])} "
        # Its own index of live runs: another run of this user's must not make `dash` ask
        # whether to open that one instead.
        f"XDG_STATE_HOME={shlex.quote(str(tmp_path / 'state'))} "
        "TERM=xterm-256color"
    )
    tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "100",
        "-y",
        "30",
        # From the runs' folder: the log names them relative to it, short enough for a row.
        f"cd {shlex.quote(str(tmp_path))} && env {env} {shlex.join(cmd)}",
    )
    try:
        wait_for(lambda: "running" in pane(session) and "img/s" in pane(session), 60, "dashboard")
    except AssertionError:
        raise AssertionError("the dashboard did not show up:\n" + pane(session)) from None
    runs = list(tmp_path.glob("toy1d-sine-*"))
    assert len(runs) == 1
    run = runs[0]
    wait_for(lambda: logged_step(run) > 0, what="training steps")
    # The screen catches up within a refresh or two of the first records.
    wait_for(lambda: "G(z)" in pane(session) and "toy1d-sine " in pane(session), 30, "the 1-D view")
    screen = pane(session)
    assert "losses" in screen and "D(x)" in screen and "D(G(z))" in screen
    assert "real" in screen and "G(z)" in screen  # the 1-D picture
    assert "p preset" in screen and "q quit" in screen  # keys in the footer

    tmux("send-keys", "-t", session, "s")
    wait_for(lambda: "checkpoint saved" in pane(session), 60, "the checkpoint line", session)
    tmux("send-keys", "-t", session, "f")
    tmux("send-keys", "-t", session, "?")
    wait_for(lambda: "tui-gan keys" in pane(session), 10, "the help screen")
    tmux("send-keys", "-t", session, "Escape")

    # The SSH connection drops: the terminal and the dashboard go, the run goes on.
    tmux("kill-session", "-t", session)

    def dash_gone() -> bool:  # on a loaded 2-core machine its exit can take a few seconds
        found = subprocess.run(["pgrep", "-f", f"tui_gan dash .*{tmp_path}"], capture_output=True)
        return found.returncode == 1

    wait_for(dash_gone, 20, "the dashboard process to exit with its terminal")
    before = logged_step(run)
    wait_for(lambda: logged_step(run) > before + 50, 60, "steps after the terminal closed")
    assert run_state(run) == "running"

    res = run_cli("stop", str(run))
    assert res.returncode == 0, res.stderr
    assert "stopped at step" in res.stdout
    status = read_status(run)
    assert status.state == "stopped"
    listed = run_cli("runs", "--out", str(tmp_path))
    assert run.name in listed.stdout and "stopped" in listed.stdout


def attach_in_tmux(
    session: str, folder: Path, size: tuple[int, int] = (80, 24), env: str = "", *options: str
) -> None:
    """`tui-gan attach FOLDER` in a tmux pane, 80x24 unless told (kept 30 s after it exits,
    to read); `env`: more VAR=value for its environment."""
    cmd = [sys.executable, "-m", "tui_gan", "attach", str(folder), *options]
    tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        str(size[0]),
        "-y",
        str(size[1]),
        f"cd {shlex.quote(str(REPO))} && env -u COLUMNS -u LINES -u NO_COLOR "
        f"TERM=xterm-256color {env} {shlex.join(cmd)}; sleep 30",
    )


def resize(session: str, width: int, height: int) -> None:
    tmux("resize-window", "-t", session, "-x", str(width), "-y", str(height))


def test_attach_shows_a_finished_run(tmp_path: Path, session):
    from tests.tui.fakerun import make_run

    run = make_run(tmp_path)
    attach_in_tmux(session, run)
    wait_for(lambda: "step 400/1000" in pane(session), 30, "the recorded run")
    screen = pane(session)
    assert "finished" in screen and "classes" in screen and "▀" in screen
    tmux("send-keys", "-t", session, "q")
    wait_for(lambda: "step 400/1000" not in pane(session), 10, "exit on q")


def test_attach_to_a_folder_that_is_no_run_is_one_line(tmp_path: Path):
    res = run_cli("attach", str(tmp_path))
    assert res.returncode == 2 and "not a tui-gan run directory" in res.stderr


def test_attach_a_sweep_open_a_run_and_its_latent_walks(tmp_path: Path, session):
    from tests.tui.test_sweep_pilot import make_sweep

    sweep = make_sweep(tmp_path)
    attach_in_tmux(session, sweep)
    wait_for(lambda: "1/3 finished" in pane(session), 30, "the sweep table")
    screen = pane(session)
    assert "latent-9_hidden-16" in screen and "pending" in screen and "10.0" in screen
    tmux("send-keys", "-t", session, "Enter")  # the first run's dashboard
    wait_for(lambda: "step 400/1000" in pane(session), 30, "the run's dashboard")
    tmux("send-keys", "-t", session, "i")
    # The strip takes the width: the loss panel goes while it shows.
    wait_for(
        lambda: "latent walks z0" in pane(session) and "losses" not in pane(session),
        10,
        "the latent walks view",
    )
    assert "▀" in pane(session)
    tmux("send-keys", "-t", session, "i")
    wait_for(lambda: "losses" in pane(session), 10, "the panels back")
    tmux("send-keys", "-t", session, "d")  # detach: back to the sweep's table
    wait_for(lambda: "1/3 finished" in pane(session), 20, "the table again")
    tmux("send-keys", "-t", session, "q")
    wait_for(lambda: "1/3 finished" not in pane(session), 10, "exit on q")


def charts_and_help_shown() -> object:
    def shown(session: str) -> bool:
        screen = pane(session)
        return "D loss" in screen and "D(G(z))" in screen and "? help" in screen

    return shown


def test_no_color_has_no_colour_codes_and_a_live_resize_keeps_the_charts(tmp_path, session):
    from tests.tui.fakerun import make_run
    from tests.tui.test_modes_pilot import colour_codes

    attach_in_tmux(session, make_run(tmp_path), (100, 30), "NO_COLOR=1")
    wait_for(lambda: "step 400/1000" in pane(session), 30, "the recorded run")
    shown = charts_and_help_shown()
    for width, height in ((100, 30), (80, 24), (100, 30)):
        resize(session, width, height)
        try:
            wait_for(lambda: shown(session), 10, f"the charts and ? help at {width}x{height}")
        except AssertionError:
            raise AssertionError(f"at {width}x{height}:\n{pane(session)}") from None
        ansi = tmux("capture-pane", "-e", "-p", "-t", session)
        assert colour_codes(ansi) == set(), ansi
        assert "│" in ansi  # NO_COLOR keeps Unicode
    tmux("send-keys", "-t", session, "q")


def test_render_ascii_draws_only_printable_ascii(tmp_path, session):
    from tests.tui.fakerun import make_run

    attach_in_tmux(session, make_run(tmp_path), (80, 24), "", "--render", "ascii")
    wait_for(lambda: "step 400/1000" in pane(session), 30, "the recorded run")
    shown = charts_and_help_shown()
    # Escape alone: a key sent right after it would read as alt+key.
    for key, what in ((None, "the dashboard"), ("?", "the help"), ("Escape", "the dashboard")):
        if key:
            tmux("send-keys", "-t", session, key)
        time.sleep(1.0)
        screen = pane(session)
        outside = {c for c in screen if c != "\n" and not " " <= c <= "~"}
        assert outside == set(), f"{what}:\n{screen}"
        assert ("tui-gan keys" in screen) if what == "the help" else shown(session), screen
    tmux("send-keys", "-t", session, "q")
