"""Finding runs again (issue 23): `runs` and `attach` from any folder through the run index,
the last FID and a failure's reason, the offer to open a live run, and --render."""

from __future__ import annotations

import io
import json
import re
import socket
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import start_fake_trainer
from tests.tui.fakerun import make_run
from tui_gan import runindex
from tui_gan.cli import dash
from tui_gan.cli.app import app

REASON = (
    "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity; "
    "70.10 GiB already allocated) while drawing samples at step 400"
)


@pytest.fixture(autouse=True)
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An index of this test's own, run from a folder with no ./checkpoints."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    return tmp_path / "elsewhere"


def failed(run: Path, reason: str = REASON) -> Path:
    status = json.loads((run / "status.json").read_text())
    (run / "status.json").write_text(json.dumps({**status, "state": "failed", "error": reason}))
    return run


@pytest.fixture
def indexed(tmp_path: Path) -> list[Path]:
    """Four runs in three folders, each recorded as `tui-gan train` records it."""
    made = [
        make_run(tmp_path / "proj-a" / "checkpoints", name="mnist-mlp-20240601-101010"),
        make_run(tmp_path / "proj-a" / "checkpoints", name="toy1d-sine-20240601-111111", toy=True),
        make_run(
            tmp_path / "proj-b" / "a-rather-long-folder-name-for-experiments" / "checkpoints",
            name="mnist-dcgan-20240602-090909-with-a-rather-long-name-of-its-own",
        ),
        failed(make_run(tmp_path / "proj-c", name="mnist-vae-20240603-080808", family="vae")),
    ]
    for t, run in enumerate(made):
        runindex.record(run, now=1000.0 + t)
    return made


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def on_terminal(monkeypatch, width: int, *args: str) -> str:
    """`tui-gan ARGS` with stdout a terminal of `width` columns; the screen's text."""
    monkeypatch.setenv("COLUMNS", str(width))
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    app(list(args), standalone_mode=False)
    return re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue())


def shown_whole(name: str, lines: list[str]) -> bool:
    """The name in the first column, on one line or folded over the next ones."""
    for i, ln in enumerate(lines):
        first = ln.split()[0] if ln.strip() else ""
        if len(first) >= 8 and name.startswith(first):
            joined, j = first, i + 1
            while len(joined) < len(name) and j < len(lines) and lines[j][:1] not in ("", " "):
                joined, j = joined + lines[j].split()[0], j + 1
            if joined == name:
                return True
    return False


def invoke(*args: str, **kwargs):
    return CliRunner().invoke(app, list(args), **kwargs)


@pytest.mark.parametrize("width", [80, 100])
def test_runs_from_any_folder_fits_the_terminal(indexed, monkeypatch, width: int):
    text = on_terminal(monkeypatch, width, "runs")
    lines = text.splitlines()
    assert all(len(ln) <= width for ln in lines), text
    assert "…" not in text
    for run in indexed:  # every run, from every folder, its name whole (maybe folded)
        assert shown_whole(run.name, lines), text
    assert "FID=10.00" in text and "W1=0.125" in text  # the last evaluations
    # The failure's reason in full, wrapped under its row.
    assert " ".join(REASON.split()) in " ".join(text.split())
    flat = text.replace("\n", "")
    assert "proj-a/checkpoints" in flat and "proj-c" in flat  # the folders, as headings


def test_runs_in_a_pipe_whole_values_path_and_reason(indexed):
    res = invoke("runs", env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert "…" not in res.stdout and "\x1b" not in res.stdout
    lines = res.stdout.splitlines()
    assert lines[0].split() == [
        "run", "preset", "state", "step", "eval", "losses", "updated", "path", "reason"
    ]  # fmt: skip
    rows = {ln.split()[0]: ln for ln in lines[1:]}
    assert set(rows) == {r.name for r in indexed}
    vae = rows["mnist-vae-20240603-080808"]
    assert "failed" in vae and vae.endswith(REASON) and str(indexed[3]) in vae
    assert "FID=10.00" in rows["mnist-mlp-20240601-101010"]


def test_runs_json_has_fid_w1_and_reason(indexed):
    rows = {r["name"]: r for r in json.loads(invoke("runs", "--json").stdout)}
    assert rows["mnist-mlp-20240601-101010"]["fid"] == 10.0
    assert rows["toy1d-sine-20240601-111111"]["w1"] == 0.125
    assert rows["mnist-vae-20240603-080808"]["error"] == REASON


def test_runs_in_checkpoints_here_are_listed_once(indexed, here: Path):
    local = make_run(here / "checkpoints", name="old-run-before-the-index")
    (here / "checkpoints" / "mine").symlink_to(indexed[0])  # an indexed run, by another name
    names = [r["name"] for r in json.loads(invoke("runs", "--json").stdout)]
    assert sorted(names) == sorted([*(r.name for r in indexed), local.name])


def test_runs_with_out_lists_only_that_folder(indexed, tmp_path: Path):
    rows = json.loads(
        invoke("runs", "--out", str(tmp_path / "proj-a" / "checkpoints"), "--json").stdout
    )
    assert sorted(r["name"] for r in rows) == sorted(r.name for r in indexed[:2])


def test_runs_with_nothing_anywhere():
    res = invoke("runs")
    assert res.exit_code == 0 and res.stdout.startswith("no runs yet"), res.output


def test_a_run_whose_trainer_vanished_says_so(tmp_path: Path):
    run = make_run(tmp_path / "out", name="killed", state="running")
    status = json.loads((run / "status.json").read_text())
    (run / "status.json").write_text(json.dumps({**status, "host": socket.gethostname()}))
    runindex.record(run)
    (row,) = json.loads(invoke("runs", "--json").stdout)
    assert row["state"] == "failed" and "without recording why" in row["error"]


# --- attach without a folder ----------------------------------------------------------------


@pytest.fixture
def live(tmp_path: Path):
    """Start fake trainers (a live run's lock, no torch) on new recorded runs."""
    procs = []

    def start(name: str, started: float) -> Path:
        run = make_run(tmp_path / "live", name=name, state="running")
        procs.append(start_fake_trainer(run))
        runindex.record(run, now=started)
        return run

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


@pytest.fixture
def opened(monkeypatch) -> list[tuple[Path, str]]:
    """What attach (or dash's offer) opened, instead of opening a screen."""
    got: list[tuple[Path, str]] = []
    monkeypatch.setattr(dash, "_open", lambda run, render: got.append((Path(run), render)))
    return got


def test_attach_without_a_folder_and_no_live_run_is_one_line(indexed):
    res = invoke("attach")
    assert res.exit_code == 2
    assert res.stderr.startswith("tui-gan: no live run of yours") and res.stderr.count("\n") == 1


def test_attach_without_a_folder_opens_the_live_run(indexed, live, opened):
    run = live("r-live", 5.0)
    res = invoke("attach", "--render", "ascii")
    assert res.exit_code == 0, res.output
    assert opened == [(run, "ascii")]


def test_attach_with_several_live_runs_asks_or_lists(live, opened, monkeypatch):
    older = live("r-older", 5.0)
    newer = live("r-newer", 6.0)
    res = invoke("attach")  # no terminal to ask on: one line naming both, exit 2
    assert res.exit_code == 2 and opened == []
    line = res.stderr.strip()
    assert line.count("\n") == 0 and "2 runs of yours are live" in line
    assert line.index("r-newer") < line.index("r-older")  # the newest first
    monkeypatch.setattr(dash, "interactive", lambda: True)
    res = invoke("attach", input="2\n")
    assert res.exit_code == 0, res.output
    assert "1) " in res.stdout and "2) " in res.stdout
    assert opened == [(older, "auto")]
    invoke("attach", input="9\n\n")  # out of range: asked again; Enter takes the newest
    assert opened[-1] == (newer, "auto")


@pytest.mark.parametrize("command", ["attach", "stop"])
def test_a_missing_folder_is_no_such_folder(command: str, tmp_path: Path):
    res = invoke(command, str(tmp_path / "nothing-here"))
    assert res.exit_code == 2
    assert res.stderr.strip() == f"tui-gan: {tmp_path / 'nothing-here'}: no such folder"


# --- a second training while one is live ------------------------------------------------------


@pytest.fixture
def started(monkeypatch) -> list:
    """The dashboards dash would have run."""
    got: list = []
    monkeypatch.setattr(dash, "_run_app", got.append)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    monkeypatch.delenv("TUI_GAN_RENDER", raising=False)
    return got


def test_dash_without_a_terminal_says_a_run_is_live_and_starts(
    live, started, opened, tmp_path: Path
):
    run = live("r-live", 5.0)
    res = invoke("dash", "--out", str(tmp_path / "new"), "--steps", "5")
    assert res.exit_code == 0, res.output
    assert "a run of yours is live" in res.stderr and str(run) in res.stderr
    assert len(started) == 1 and opened == []


@pytest.mark.parametrize("answer, attaches", [("y\n", True), ("\n", False), ("n\n", False)])
def test_dash_on_a_terminal_offers_the_live_run(
    live, started, opened, monkeypatch, tmp_path: Path, answer: str, attaches: bool
):
    run = live("r-live", 5.0)
    monkeypatch.setattr(dash, "interactive", lambda: True)
    res = invoke("dash", "--out", str(tmp_path / "new"), input=answer)  # plain `tui-gan` too
    assert res.exit_code == 0, res.output
    assert "Open it instead of starting another? [y/N]" in res.stdout
    assert (opened == [(run, "auto")]) is attaches
    assert (len(started) == 1) is not attaches
    assert not (tmp_path / "new").exists() or not attaches  # no --out made for nothing


def test_no_question_when_nothing_is_live(indexed, started, monkeypatch, tmp_path: Path):
    monkeypatch.setattr(dash, "interactive", lambda: True)
    res = invoke("dash", "--out", str(tmp_path / "new"))
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and len(started) == 1


# --- --render -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, colour, ascii_only, textual",
    [
        (("dash", "--render", "ascii"), "16", True, "standard"),
        (("dash", "--render", "256"), "256", False, "256"),
        (("--render", "truecolor"), "truecolor", False, "truecolor"),  # plain `tui-gan`
        (("dash", "--render", "16"), "16", False, "standard"),
    ],
)
def test_render_picks_the_dashboard_mode(
    started, monkeypatch, tmp_path: Path, args, colour, ascii_only, textual
):
    import os

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    (board,) = started
    assert (board.draw_mode.colour, board.draw_mode.ascii) == (colour, ascii_only)
    assert os.environ["TEXTUAL_COLOR_SYSTEM"] == textual


def test_a_colour_system_the_user_set_is_kept(started, monkeypatch, tmp_path: Path):
    import os

    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", "256")
    monkeypatch.chdir(tmp_path)
    assert invoke("dash", "--render", "16").exit_code == 0
    assert os.environ["TEXTUAL_COLOR_SYSTEM"] == "256"


def test_attach_render_reaches_the_dashboard(started, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    run = make_run(tmp_path / "out", name="done")
    res = invoke("attach", str(run), "--render", "ascii")
    assert res.exit_code == 0, res.output
    (board,) = started
    assert board.draw_mode.ascii and board.run_dir == run
