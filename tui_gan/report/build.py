"""Write a report: the figures of one run (or several side by side) and report.md in order."""

from __future__ import annotations

from pathlib import Path

from tui_gan.errors import UsageError
from tui_gan.report import figures as F
from tui_gan.report import read
from tui_gan.report.data import RunRecords, read_run
from tui_gan.rundir.names import SWEEP
from tui_gan.rundir.write import UnsafePath, make_dirs, write_file

FINAL_COLUMNS = ("fid", "precision", "recall", "density", "coverage", "class_kl", "w1", "ks")
SWEEP_FILE_LIMIT = 16 << 20  # sweep.csv and sweep.md: a row per run, far below this


def run_figures(run: RunRecords, out: F.Output, frames: int) -> list[F.Figure]:
    figs = [F.losses(run, out), F.outputs(run, out), F.quality(run, out)]
    if run.toy or run.family.one_d:
        figs.append(F.toy_frames(run, out, frames))
    else:
        figs += [F.classes(run, out), F.timeline(run, out, run.image_size)]
    return figs


def final_table(runs: list[RunRecords]) -> list[str]:
    """The runs' last logged evaluations as a markdown table (what `compare` prints)."""
    cols = [c for c in FINAL_COLUMNS if any(r.evals and getattr(r.evals[-1], c) for r in runs)]
    lines = ["| run | preset | step | " + " | ".join(cols) + " |", "|---" * (3 + len(cols)) + "|"]
    for r in runs:
        e = r.evals[-1] if r.evals else None
        cells = [
            "--" if e is None or getattr(e, c) is None else f"{getattr(e, c):.4g}" for c in cols
        ]
        step = str(e.step) if e else "no evaluations"
        lines.append(f"| {r.name} | {r.preset} | {step} | " + " | ".join(cells) + " |")
    return lines


def _output(out: Path | None, default: Path, within: Path, fmt: str) -> F.Output:
    """The report's folder, created: `default` is reached from `within` (the run or sweep
    folder, or the runs' parent) without following a link, so a planted report/ -> elsewhere
    is refused rather than written through; a folder the user named is theirs as named."""
    target = F.Output(out, out, fmt) if out is not None else F.Output(default, within, fmt)
    try:
        make_dirs(target.folder, within=target.within)
    except UnsafePath as err:
        if out is not None:
            raise
        raise UnsafePath(f"{err} (--out FOLDER writes the report elsewhere)") from None
    return target


def _sweep_table(sweep: Path) -> tuple[list[str], list[dict[str, str]]]:
    """sweep.csv's header and rows, every cell a string ('' where a row is short)."""
    import csv
    import io

    data = read.read_small(sweep / "sweep.csv", within=sweep, limit=SWEEP_FILE_LIMIT)
    if data is None:
        raise UsageError(f"{sweep}: a sweep without sweep.csv yet (no run has ended)")
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
        header = [h for h in reader.fieldnames or [] if h]
        table = [{h: row.get(h) or "" for h in header} for row in reader]
    except csv.Error as err:  # a field past csv's size limit, a NUL: not the file we wrote
        raise UsageError(f"{sweep / 'sweep.csv'}: not a sweep table ({err})") from None
    return header, table


def write_sweep_report(sweep: Path, out: Path | None, fmt: str) -> Path:
    """A sweep directory's report: its score table as a heatmap, beside sweep.md's tables."""
    header, table = _sweep_table(sweep)
    # sweep.csv's columns: run, the axes, then state and the numbers.
    axes = header[1 : header.index("state")] if "state" in header else []
    target = _output(out, sweep / "report", sweep, fmt)
    fig = F.sweep_heatmap(table, axes, target)
    lines = [f"# sweep {sweep.name}", ""]
    if fig.path is not None:
        lines += [f"![{fig.name}]({fig.path.name})", "", fig.caption, ""]
    else:
        lines += [f"Not drawn: {fig.caption}", ""]
    try:
        md = read.read_small(sweep / "sweep.md", within=sweep, limit=SWEEP_FILE_LIMIT)
    except UnsafePath as err:  # a link or a FIFO where tui-gan writes a file: not copied
        lines += [f"Not copied: {err}", ""]
    else:
        if md is not None:
            lines += [md.decode("utf-8", errors="replace"), ""]
    return write_file(target.folder / "report.md", "\n".join(lines), within=target.within)


def write_report(paths: list[Path], out: Path | None, fmt: str = "png", frames: int = 10) -> Path:
    """Figures and report.md under out (default RUN/report, or PARENT/report-compare for
    several runs; a sweep directory gets its heatmap); returns report.md's path. Nothing is
    written through a link inside the run (or sweep, or PARENT) folder."""
    if len(paths) == 1 and (Path(paths[0]) / SWEEP).is_file():
        return write_sweep_report(Path(paths[0]), out, fmt)
    runs = [read_run(p) for p in paths]
    if len(runs) == 1:
        target = _output(out, runs[0].path / "report", runs[0].path, fmt)
        run = runs[0]
        title = f"# {run.name} ({run.preset}, {run.family.name})"
        figs = run_figures(run, target, frames)
        table: list[str] = []
    else:
        parent = runs[0].path.parent
        target = _output(out, parent / "report-compare", parent, fmt)
        title = "# " + " vs ".join(r.name for r in runs)
        figs = F.overlay(runs, target)
        table = ["## Final metrics (each run's last logged evaluation)", "", *final_table(runs)]
    lines = [title, ""]
    notes = []
    for fig in figs:
        if fig.path is None:
            notes.append(f"- {fig.name}: {fig.caption}")
            continue
        lines += [f"![{fig.name}]({fig.path.name})", "", fig.caption, ""]
    if table:
        lines += [*table, ""]
    if notes:
        lines += ["## Not drawn", "", *notes, ""]
    return write_file(target.folder / "report.md", "\n".join(lines), within=target.within)
