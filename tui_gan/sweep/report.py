"""sweep.csv and sweep.md: each run's final numbers, and the score table laid out by two axes."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any

from tui_gan.engine import events as ev
from tui_gan.report import read
from tui_gan.rundir import names
from tui_gan.rundir.write import UnsafePath, write_file
from tui_gan.sweep.progress import run_status

METRICS = ("fid", "precision", "recall", "coverage", "class_entropy", "classes_covered")
TOY_METRICS = ("w1", "ks")


def final_row(run_dir: Path, within: Path | None = None) -> dict[str, Any]:
    """A run's state, steps, wall seconds and its last evaluation's numbers, from its records
    (metrics.jsonl streamed, reached from `within`, default the run, without following a link:
    a link or a FIFO in its place gives no numbers)."""
    row: dict[str, Any] = {"state": run_status(run_dir), "steps": None, "wall_s": None}
    last_eval: ev.Evaluated | None = None
    try:
        for event in read.events(run_dir / names.METRICS, within or run_dir):
            if isinstance(event, ev.Evaluated):
                last_eval = event
            elif isinstance(event, ev.Finished | ev.StepMetrics):
                row["steps"], row["wall_s"] = event.step, event.time
    except UnsafePath:
        pass  # not a file the run wrote: the row keeps its state and shows no numbers
    if last_eval is not None:
        rec = last_eval.to_record()
        for key in (*METRICS, *TOY_METRICS, "cond_accuracy"):
            if rec.get(key) is not None:
                row[key] = rec[key]
        row["eval_step"] = last_eval.step
    return row


def rows(sweep) -> list[dict[str, Any]]:
    return [
        {"run": r.name, **r.values, **final_row(sweep.run_dir(r), sweep.dir)}
        for r in sweep.spec.runs
    ]


def _columns(table: list[dict[str, Any]], axes: list[str]) -> list[str]:
    toy = any("w1" in r for r in table) and not any("fid" in r for r in table)
    metrics = list(TOY_METRICS if toy else METRICS)
    if any("cond_accuracy" in r for r in table):
        metrics.append("cond_accuracy")
    return ["run", *axes, "state", "steps", "wall_s", *metrics]


def write_reports(sweep) -> tuple[Path, Path]:
    """Rewrite sweep.csv and sweep.md (atomically, never through a link inside the sweep
    folder) from the runs' records as they are now."""
    axes = [a.name for a in sweep.spec.axes]
    table = rows(sweep)
    cols = _columns(table, axes)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in table:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    csv_path = sweep.dir / "sweep.csv"
    md_path = sweep.dir / "sweep.md"
    write_file(csv_path, buf.getvalue(), within=sweep.dir)
    write_file(md_path, markdown(sweep, table, cols), within=sweep.dir)
    return csv_path, md_path


def _cell(v: Any, key: str = "") -> str:
    if v is None:
        return "--"
    if isinstance(v, float):
        return f"{v:.1f}" if key in ("fid", "wall_s") else f"{v:.3f}"
    return str(v)


def wall_seconds(meta: dict[str, Any]) -> float:
    """The sweep's own wall time: the sum of its sessions (each invocation of the command)."""
    total = 0.0
    for s in meta.get("sessions", []):
        if isinstance(s, list) and len(s) == 2 and all(isinstance(x, int | float) for x in s):
            total += max(0.0, s[1] - s[0])
    return total


def markdown(sweep, table: list[dict[str, Any]], cols: list[str]) -> str:
    spec = sweep.spec
    axes = list(spec.axes)
    score = "w1" if "w1" in cols else "fid"
    finished = sum(1 for r in table if r["state"] == "finished")
    wall = wall_seconds(sweep.meta)
    sessions = len(sweep.meta.get("sessions", []))
    lines = [f"# Sweep {spec.name}", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += [
        f"- preset: {spec.preset or 'mnist-mlp'}; steps per run: "
        f"{sweep.meta.get('steps') or 'the preset'}",
        f"- runs: {finished}/{len(table)} finished; wall time {wall / 60:.1f} min "
        f"over {sessions} session{'s' if sessions != 1 else ''} of `tui-gan sweep`",
        "- axes: " + "; ".join(f"{a.name} = {', '.join(map(str, a.values))}" for a in axes),
        "",
    ]
    lines += score_tables(table, axes, score)
    lines += ["", "## Every run", ""]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join("---" for _ in cols) + "|")
    for r in table:
        lines.append("| " + " | ".join(_cell(r.get(c), c) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def score_tables(table: list[dict[str, Any]], axes, score: str) -> list[str]:
    """The score laid out as the seed's table: rows the first axis, columns the second, one
    table per value of any further axes; the best (lowest) cell in bold with a star."""
    lines: list[str] = []
    first = axes[0]
    second = axes[1] if len(axes) > 1 else None
    rest = axes[2:]
    for fixed in itertools.product(*(a.values for a in rest)) if rest else [()]:
        where = {a.name: v for a, v in zip(rest, fixed, strict=True)}
        cells = [r for r in table if all(r.get(k) == v for k, v in where.items())]
        scores = [v for r in cells if isinstance(v := r.get(score), int | float)]
        best = min(scores) if scores else None
        title = f"## {score.upper()} (lower is better)"
        if where:
            title += ": " + ", ".join(f"{k} = {v}" for k, v in where.items())
        lines += [title, ""]
        cols = second.values if second else ("",)
        head = f"{first.name} \\ {second.name}" if second else first.name
        lines.append(f"| {head} | " + " | ".join(str(c) for c in cols) + " |")
        lines.append("|---|" + "|".join("---:" for _ in cols) + "|")
        for v in first.values:
            out = []
            for c in cols:
                match = [
                    r
                    for r in cells
                    if r.get(first.name) == v and (second is None or r.get(second.name) == c)
                ]
                s = match[0].get(score) if match else None
                text = _cell(s, "fid")
                out.append(f"**{text}***" if s is not None and s == best else text)
            lines.append(f"| {v} | " + " | ".join(out) + " |")
        lines.append("")
    return lines
