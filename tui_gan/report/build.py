"""Write a report: the figures of one run (or several side by side) and report.md in order."""

from __future__ import annotations

from pathlib import Path

from tui_gan.errors import UsageError
from tui_gan.report import figures as F
from tui_gan.report.data import RunRecords, read_run

FINAL_COLUMNS = ("fid", "precision", "recall", "density", "coverage", "class_kl", "w1", "ks")


def run_figures(run: RunRecords, out: Path, fmt: str, frames: int) -> list[F.Figure]:
    figs = [F.losses(run, out, fmt), F.outputs(run, out, fmt), F.quality(run, out, fmt)]
    if run.toy or run.family.name == "toy1d":
        figs.append(F.toy_frames(run, out, fmt, frames))
    else:
        figs += [F.classes(run, out, fmt), F.timeline(run, out, fmt, run.image_size)]
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


def write_sweep_report(sweep: Path, out: Path | None, fmt: str) -> Path:
    """A sweep directory's report: its score table as a heatmap, beside sweep.md's tables."""
    import csv

    table_path = sweep / "sweep.csv"
    if not table_path.is_file():
        raise UsageError(f"{sweep}: a sweep without sweep.csv yet (no run has ended)")
    with table_path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        table = list(reader)
    # sweep.csv's columns: run, the axes, then state and the numbers.
    axes = header[1 : header.index("state")] if "state" in header else []
    out = out or sweep / "report"
    out.mkdir(parents=True, exist_ok=True)
    fig = F.sweep_heatmap(table, axes, out, fmt)
    lines = [f"# sweep {sweep.name}", ""]
    if fig.path is not None:
        lines += [f"![{fig.name}]({fig.path.name})", "", fig.caption, ""]
    else:
        lines += [f"Not drawn: {fig.caption}", ""]
    md_table = sweep / "sweep.md"
    if md_table.is_file():
        lines += [md_table.read_text(), ""]
    md = out / "report.md"
    md.write_text("\n".join(lines))
    return md


def write_report(paths: list[Path], out: Path | None, fmt: str = "png", frames: int = 10) -> Path:
    """Figures and report.md under out (default RUN/report, or PARENT/report-compare for
    several runs; a sweep directory gets its heatmap); returns report.md's path."""
    if len(paths) == 1 and (Path(paths[0]) / "sweep.json").is_file():
        return write_sweep_report(Path(paths[0]), out, fmt)
    runs = [read_run(p) for p in paths]
    if out is None:
        out = runs[0].path / "report" if len(runs) == 1 else runs[0].path.parent / "report-compare"
    out.mkdir(parents=True, exist_ok=True)
    if len(runs) == 1:
        run = runs[0]
        title = f"# {run.name} ({run.preset}, {run.family.name})"
        figs = run_figures(run, out, fmt, frames)
        table: list[str] = []
    else:
        title = "# " + " vs ".join(r.name for r in runs)
        figs = F.overlay(runs, out, fmt)
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
    md = out / "report.md"
    md.write_text("\n".join(lines))
    return md
