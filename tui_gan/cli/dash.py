"""`tui-gan dash` and `tui-gan attach`: open the dashboard on a new or an existing run."""

from __future__ import annotations

from pathlib import Path

from tui_gan.cli.options import TrainArgs
from tui_gan.errors import UsageError


def _run_app(app) -> None:
    app.run()  # Textual prints the exit message (detach, quit) itself
    if app.return_code:  # Textual printed why (an error in the app): the exit code says so too
        raise SystemExit(app.return_code)


def run_dash(args: TrainArgs) -> None:
    # Validate before the screen opens: a bad preset is one line on stderr, exit 2.
    if args.resume:
        if not Path(args.resume).exists():
            raise UsageError(f"--resume {args.resume}: no such run directory or checkpoint")
    else:
        args, _ = args.new_run()
        # --out made here, not by the spawn inside the screen: one that cannot hold the run
        # is one line and exit 2 before anything opens (the run's own folder is claimed, made
        # or empty, by the spawn).
        args.run_dir.parent.mkdir(parents=True, exist_ok=True)
    from tui_gan.tui.app import Dashboard
    from tui_gan.tui.graphics import pick_protocol

    _run_app(Dashboard(launch=args, graphics=pick_protocol()))


def run_attach(run_dir: Path) -> None:
    from tui_gan.sweep.progress import is_sweep

    if is_sweep(run_dir):
        _attach_sweep(run_dir)
        return
    if not (run_dir / "metrics.jsonl").exists() and not (run_dir / "status.json").exists():
        raise UsageError(f"{run_dir}: not a tui-gan run directory (no metrics.jsonl)")
    from tui_gan.tui.app import Dashboard
    from tui_gan.tui.graphics import pick_protocol

    _run_app(Dashboard(attach=run_dir, graphics=pick_protocol()))


def _attach_sweep(sweep_dir: Path) -> None:
    """The sweep's table; Enter opens a run's dashboard, whose d or q comes back to it."""
    from tui_gan.tui.app import Dashboard
    from tui_gan.tui.graphics import pick_protocol
    from tui_gan.tui.sweepview import SweepApp

    graphics = pick_protocol()
    cursor = 0
    while True:
        table = SweepApp(sweep_dir, cursor)
        picked = table.run()
        if table.return_code:
            raise SystemExit(table.return_code)
        if picked is None:
            return
        cursor = [r.name for r in table.rows].index(picked.name)
        _run_app(Dashboard(attach=picked, graphics=graphics))
