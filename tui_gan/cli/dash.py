"""`tui-gan dash` and `tui-gan attach`: open the dashboard on a new or an existing run."""

from __future__ import annotations

from pathlib import Path

from tui_gan.errors import UsageError


def _run_app(app) -> None:
    app.run()
    if app.return_value:
        print(app.return_value)
    elif getattr(app, "exit_message", None):
        print(app.exit_message)
    if app.return_code:  # Textual printed why (an error in the app): the exit code says so too
        raise SystemExit(app.return_code)


def run_dash(
    preset: str | None,
    overrides: tuple[str, ...],
    out: Path,
    name: str | None,
    resume: str | None,
    extra: tuple[str, ...],
) -> None:
    # Validate before the screen opens: a bad preset is one line on stderr, exit 2.
    from tui_gan.launch import LaunchSpec
    from tui_gan.presets import load_preset

    if not resume:
        from tui_gan.config import check_run_name

        check_run_name(name)
        load_preset(preset, overrides)
        if name and (Path(out) / name / "last.pt").exists():
            raise UsageError(f"{Path(out) / name} already holds a run; continue it with --resume")
    elif not Path(resume).exists():
        raise UsageError(f"--resume {resume}: no such run directory or checkpoint")
    from tui_gan.tui.app import Dashboard

    spec = LaunchSpec(
        preset=preset, overrides=overrides, out=Path(out), name=name, resume=resume, extra=extra
    )
    from tui_gan.tui.graphics import pick_protocol

    _run_app(Dashboard(launch=spec, graphics=pick_protocol()))


def run_attach(run_dir: Path) -> None:
    if not (run_dir / "metrics.jsonl").exists() and not (run_dir / "status.json").exists():
        raise UsageError(f"{run_dir}: not a tui-gan run directory (no metrics.jsonl)")
    from tui_gan.tui.app import Dashboard
    from tui_gan.tui.graphics import pick_protocol

    _run_app(Dashboard(attach=run_dir, graphics=pick_protocol()))
