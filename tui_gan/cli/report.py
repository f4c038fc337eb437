"""`tui-gan report`: write the figures and report.md, and say where they went."""

from __future__ import annotations

import warnings
from pathlib import Path

from tui_gan.errors import UsageError, from_os_error, one_line
from tui_gan.rundir.names import METRICS, TENSORBOARD


def run_report(runs: list[Path], out: Path | None, fmt: str, frames: int) -> None:
    try:
        from tui_gan.report.build import write_report
    except ImportError as err:  # matplotlib is a dependency; a broken install says so
        raise UsageError(
            f"tui-gan report needs matplotlib ({err}); pip install matplotlib"
        ) from None
    try:
        with warnings.catch_warnings():
            # matplotlib's note on a glyph its font lacks quotes the character raw: an escape
            # code in a run's name would reach the terminal through it.
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            md = write_report(runs, out, fmt, frames)
    except OSError as err:  # an unwritable --out, a full disk
        raise from_os_error(err, out or runs[0]) from None
    figures = sorted(p.name for p in md.parent.iterdir() if p.suffix == f".{fmt}")
    drawn = f"{len(figures)} figures: {', '.join(figures)}" if figures else "no figures"
    print(one_line(f"wrote {md} and {drawn} (report.md says why any is missing)"))


def run_tensorboard(runs: list[Path], out: Path | None) -> None:
    """Each run's records as TensorBoard event files: RUN/tensorboard, or OUT/RUN_NAME."""
    from tui_gan.engine.tensorboard import convert
    from tui_gan.rundir.write import make_dirs

    for run in runs:
        if not (run / METRICS).is_file():
            raise UsageError(f"{run}: not a run directory (no metrics.jsonl)")
        logdir = out / run.name if out else run / TENSORBOARD
        try:
            # Made first through the safe writer: a planted `tensorboard` link in the run
            # is refused (SummaryWriter itself writes by path).
            make_dirs(logdir, within=out or run)
            n = convert(run, logdir)
        except OSError as err:
            raise from_os_error(err, logdir) from None
        print(one_line(f"wrote {n} records of {run} to {logdir} (tensorboard --logdir {logdir})"))
