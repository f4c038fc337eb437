"""`tui-gan dash` and `tui-gan attach`: open the dashboard on a new or an existing run."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui_gan.errors import TuiGanError, UsageError, one_line
from tui_gan.request import TrainArgs
from tui_gan.rundir.names import METRICS, STATUS

if TYPE_CHECKING:
    from tui_gan.cli.runs import LiveRun
    from tui_gan.tui.mode import Mode


def draw_mode(render: str = "auto") -> Mode:
    """The dashboard's mode from --render (or TUI_GAN_RENDER, the terminal, NO_COLOR), with
    Textual's colour system to match. Called before Textual is imported: Textual reads
    TEXTUAL_COLOR_SYSTEM once, when it is first imported; one the user set is kept."""
    from tui_gan.tui.mode import pick_mode

    mode = pick_mode(forced=None if render == "auto" else render)
    os.environ.setdefault("TEXTUAL_COLOR_SYSTEM", mode.textual_colour)
    return mode


def interactive() -> bool:
    """Someone at a terminal to answer a question (not a pipe, a cron job or nohup)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _run_app(app) -> None:
    app.run()  # Textual prints the exit message (detach, quit) itself
    if app.return_code:  # Textual printed why (an error in the app): the exit code says so too
        raise SystemExit(app.return_code)


def run_dash(args: TrainArgs, render: str = "auto") -> None:
    # Validate before the screen opens: a bad preset is one line on stderr, exit 2.
    if args.resume:
        if not Path(args.resume).exists():
            raise UsageError(f"--resume {args.resume}: no such run directory or checkpoint")
    else:
        args, _ = args.new_run()
        live = offer_attach()
        if live is not None:
            _open(live, render)
            return
        # --out made here, not by the spawn inside the screen: one that cannot hold the run
        # is one line and exit 2 before anything opens (the run's own folder is claimed, made
        # or empty, by the spawn).
        args.run_dir.parent.mkdir(parents=True, exist_ok=True)
    mode = draw_mode(render)  # once the arguments are good, before Textual is imported
    from tui_gan.tui.app import Dashboard
    from tui_gan.tui.graphics import pick_protocol

    _run_app(Dashboard(launch=args, graphics=pick_protocol(), draw_mode=mode))


def offer_attach() -> Path | None:
    """While a run of this user is live, a new one is probably a mistake (a second training
    on the same GPU): on a terminal, ask whether to open that run instead (the run to open,
    or None to start as asked); elsewhere, one line saying so, and start as asked."""
    from tui_gan.cli.runs import live_runs

    live = live_runs()
    if not live:
        return None
    which = (
        live[0].describe() if len(live) == 1 else f"{len(live)} runs, newest {live[0].describe()}"
    )
    if not interactive():
        print(
            f"tui-gan: note: a run of yours is live ({which}); starting another as asked "
            "(tui-gan attach opens it)",
            file=sys.stderr,
        )
        return None
    print(one_line(f"A run of yours is live: {which}."))
    if _ask("Open it instead of starting another? [y/N]: ").lower() not in ("y", "yes"):
        return None
    return choose(live)


def choose(live: list[LiveRun]) -> Path:
    """The one live run, or the one picked from a numbered list (newest first); without a
    terminal to ask on, one line naming them, exit 2."""
    if len(live) == 1:
        return live[0].path
    if not interactive():
        listed = "; ".join(f"{i}) {r.describe()}" for i, r in enumerate(live, 1))
        raise UsageError(
            f"{len(live)} runs of yours are live: {listed}; open one with: tui-gan attach RUN_DIR"
        )
    for i, r in enumerate(live, 1):
        print(f"{i:>3}) {r.describe()}")
    while True:
        answer = _ask(f"Open which run? [1-{len(live)}, Enter: 1]: ") or "1"
        if answer.isdigit() and 1 <= int(answer) <= len(live):
            return live[int(answer) - 1].path
        print(f"a number from 1 to {len(live)}, please")


def _ask(question: str) -> str:
    """One answer from the terminal; end of input (Ctrl-D) ends the command, exit 1."""
    try:
        return input(question).strip()
    except EOFError:
        print()
        raise TuiGanError("no answer; nothing opened") from None


def run_attach(run_dir: Path | None, render: str = "auto") -> None:
    if run_dir is None:
        from tui_gan.cli.runs import live_runs

        live = live_runs()
        if not live:
            raise UsageError(
                "no live run of yours to open: tui-gan runs lists them all; "
                "tui-gan attach RUN_DIR opens a finished one"
            )
        run_dir = choose(live)
    _open(run_dir, render)


def _open(run_dir: Path, render: str) -> None:
    from tui_gan.sweep.progress import is_sweep

    if not os.path.lexists(run_dir):
        raise UsageError(f"{run_dir}: no such folder")
    if is_sweep(run_dir):
        _attach_sweep(run_dir, draw_mode(render))
        return
    if not (run_dir / METRICS).exists() and not (run_dir / STATUS).exists():
        raise UsageError(f"{run_dir}: not a tui-gan run directory (no metrics.jsonl)")
    mode = draw_mode(render)  # once the folder is good, before Textual is imported
    from tui_gan.tui.app import Dashboard
    from tui_gan.tui.graphics import pick_protocol

    _run_app(Dashboard(attach=run_dir, graphics=pick_protocol(), draw_mode=mode))


def _attach_sweep(sweep_dir: Path, mode: Mode) -> None:
    """The sweep's table; Enter opens a run's dashboard, whose d or q comes back to it."""
    from tui_gan.tui.app import Dashboard
    from tui_gan.tui.graphics import pick_protocol
    from tui_gan.tui.sweepview import SweepApp

    graphics = pick_protocol()
    cursor = 0
    while True:
        table = SweepApp(sweep_dir, cursor)
        table.draw_mode = mode  # read by its widgets through tui.mode.mode_of
        picked = table.run()
        if table.return_code:
            raise SystemExit(table.return_code)
        if picked is None:
            return
        cursor = [r.name for r in table.rows].index(picked.name)
        _run_app(Dashboard(attach=picked, graphics=graphics, draw_mode=mode))
