"""`tui-gan eval` and `tui-gan compare`: a checkpoint's metrics, and runs side by side."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tui_gan.errors import UsageError, one_line

LOWER_IS_BETTER = {"fid", "class_kl", "w1", "ks"}
IMAGE_COLUMNS = (
    "fid",
    "precision",
    "recall",
    "density",
    "coverage",
    "class_entropy",
    "classes_covered",
    "class_kl",
)
TOY_COLUMNS = ("w1", "ks")


def evaluate_checkpoint(
    target: str,
    n: int,
    fid: str,
    device: str,
    seed: int = 0,
    inception_weights: str | None = None,
    raw: bool = False,
    mcmc_steps: int | None = None,
) -> dict[str, Any]:
    from tui_gan.cli.sample import load_gan
    from tui_gan.engine.checkpoint import load_checkpoint, resolve_checkpoint
    from tui_gan.engine.data import load_images
    from tui_gan.engine.evaluate import build_context, evaluate
    from tui_gan.engine.rundir import RunDir

    path = resolve_checkpoint(target)
    if fid == "inception":  # a missing or bad weights file is said before any slow work
        from tui_gan.engine.metrics import inception_weights as find_weights
        from tui_gan.engine.metrics import load_inception_state

        load_inception_state(find_weights(inception_weights))
    gan = load_gan(str(path), device, raw, mcmc_steps)
    if fid == "inception" and gan.preset.data.name == "toy1d":
        raise UsageError("--fid inception is for image runs; a 1-D run reports W1 and KS")
    data = None
    if gan.preset.data.name != "toy1d":
        data = load_images(gan.preset)
        if data.note:
            print(f"note: {one_line(data.note)}", file=sys.stderr)
    ctx = build_context(gan.preset, gan.device, RunDir(path.parent).classifiers, data=data)
    result = evaluate(gan, ctx, n=n, seed=seed, fid=fid, inception_weights=inception_weights)
    return {"checkpoint": str(path), "step": int(load_checkpoint(path)["step"]), **result}


def _fmt(key: str, value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if key not in ("fid",) else f"{value:.3f}"
    if isinstance(value, list):
        return " ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def run_eval(
    target: str,
    n: int,
    fid: str,
    as_json: bool,
    device: str,
    seed: int,
    inception_weights: str | None,
    raw: bool = False,
    mcmc_steps: int | None = None,
) -> None:
    result = evaluate_checkpoint(target, n, fid, device, seed, inception_weights, raw, mcmc_steps)
    if as_json:
        print(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    tty = sys.stdout.isatty()
    # Into a pipe: whole lines at any length; on a terminal the notes wrap, values never.
    console = Console() if tty else Console(width=10_000, color_system=None)
    table = Table(box=None, show_header=True, header_style="bold")
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("what it says", style="dim", ratio=1)
    notes = {
        "fid": f"Frechet distance on {result.get('fid_features', '')} features; lower is better",
        "precision": "share of samples on the real manifold (quality)",
        "recall": "share of the real manifold the samples reach (diversity)",
        "density": "how many real neighbourhoods hold each sample (~1 for a good G)",
        "coverage": "share of real points with a sample nearby; drops when modes go",
        "class_entropy": "class histogram entropy, 1 = all classes equally",
        "classes_covered": "classes seen among the samples",
        "class_kl": "KL(generated classes || real classes); 0 is ideal",
        "w1": "Wasserstein-1 distance to the real density; lower is better",
        "ks": "Kolmogorov-Smirnov statistic; lower is better",
        "n": "generated samples used",
        "n_real": "real samples in the FID statistics",
        "n_prdc": "samples per side for precision/recall/density/coverage",
        "generator": "ema: G's moving average (model.ema_decay); live: the model itself",
        "sample_s": "seconds spent drawing the samples (an EBM's Langevin chains)",
        "cond_accuracy": "share of samples the classifier puts in the class G was asked for",
        "cond_accuracy_per_class": "that share for each class, 0 to 9",
    }
    lists = []
    for key, value in result.items():
        if key in ("checkpoint", "step", "fid_features"):
            continue
        if isinstance(value, list):  # ten numbers: a line of their own, under the table
            lists.append(f"{key} ({notes.get(key, '')}): {_fmt(key, value)}")
            continue
        table.add_row(key, _fmt(key, value), notes.get(key, ""))
    head = one_line(f"{result['checkpoint']} (step {result['step']})")
    console.print(head, soft_wrap=True, markup=False, highlight=False)
    console.print(table)
    for line in lists:
        console.print(line, soft_wrap=not tty, markup=False, highlight=False)


def final_metrics(run: Path) -> tuple[dict[str, Any], str]:
    """The run's last eval record, or an evaluation of its last.pt when it logged none."""
    from tui_gan.engine.events import Evaluated, iter_events
    from tui_gan.engine.rundir import RunDir

    if not run.is_dir():
        raise UsageError(f"{run}: not a run directory")
    problem = RunDir(run).format_problem()
    if problem:
        print(f"note: {one_line(problem)}", file=sys.stderr)
    evals = [e for e in iter_events(run / "metrics.jsonl") if isinstance(e, Evaluated)]
    if evals:
        return evals[-1].to_record(), "logged"
    if not (run / "last.pt").is_file():
        raise UsageError(f"{run}: no eval records and no last.pt to evaluate")
    from tui_gan.engine.evaluate import DEFAULT_N

    # Never silently: an evaluation takes from seconds (1-D) to minutes (images on a CPU).
    print(
        f"{one_line(run.name)}: no evaluation logged; evaluating last.pt now on {DEFAULT_N} "
        "samples (a minute or more on a CPU)…",
        file=sys.stderr,
        flush=True,
    )
    return evaluate_checkpoint(str(run), DEFAULT_N, "classifier", "auto"), "evaluated now"


def _drawn_by(run: Path) -> str:
    """What drew a run's samples, as compare names it: G, or an EBM's chains, a VAE's decoder."""
    from tui_gan.tui.runview import RunView

    kind = RunView.open(run).kind.kind
    return {"ebm": "Langevin chains", "vae": "decoder"}.get(kind, "G")


def run_compare(runs: list[Path], as_json: bool = False) -> None:
    """The runs' final metrics: a table that fits the terminal (runs as rows; metrics as
    rows when that is too wide), whole values into a pipe, or one JSON array."""
    rows = [(run, *final_metrics(run)) for run in runs]
    # Every metric some run has: a 1-D run's W1 and KS beside image runs' FID, not dropped.
    columns = tuple(c for c in (*IMAGE_COLUMNS, *TOY_COLUMNS, "cond_accuracy")
                    if any(m.get(c) is not None for _, m, _ in rows))  # fmt: skip
    if as_json:
        out = [
            {"run": run.name, "path": str(run), "source": source, "drawn_by": _by(run, m),
             **{k: m.get(k) for k in ("step", "n", *columns)}}
            for run, m, source in rows
        ]  # fmt: skip
        print(json.dumps(out, indent=1))
        return
    best: dict[str, float] = {}
    for col in columns:
        values = [m[col] for _, m, _ in rows if isinstance(m.get(col), int | float)]
        if values:
            best[col] = min(values) if col in LOWER_IS_BETTER else max(values)
    _print_compare(rows, columns, best)


def _by(run: Path, m: dict[str, Any]) -> str:
    return "EMA G" if m.get("generator") == "ema" else _drawn_by(run)


def _print_compare(rows, columns: tuple[str, ...], best: dict[str, float]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    tty = sys.stdout.isatty()
    # Into a pipe or a file: whole values, never cut to an imagined terminal's width.
    console = Console() if tty else Console(width=10_000, color_system=None)
    lower = ", ".join(c for c in columns if c in LOWER_IS_BETTER)
    caption = f"* best in its column; lower is better for {lower}"

    def cell(col: str, m: dict[str, Any]) -> str:
        v = m.get(col)
        text = "--" if v is None else _fmt(col, v)
        marked = v is not None and v == best.get(col)
        return (f"[bold green]{text}*[/]" if tty else f"{text}*") if marked else text

    wide = Table(box=None, header_style="bold")
    for name in ("run", "step", *columns, "n", "source"):
        wide.add_column(name, justify="left" if name in ("run", "source") else "right",
                        no_wrap=True)  # fmt: skip
    for run, m, source in rows:
        wide.add_row(escape(one_line(run.name)), str(m.get("step", "?")),
                     *(cell(c, m) for c in columns), str(m.get("n", "?")),
                     f"{source}, {_by(run, m)}")  # fmt: skip

    def fits(table) -> bool:  # measured unbounded: a Measurement is clamped to the width
        return console.measure(table, options=console.options.update_width(10_000)).maximum <= (
            console.width
        )

    if not tty or fits(wide):
        console.print(wide)
        console.print(caption, soft_wrap=True, markup=False)
        return
    # Too wide for this terminal: a row per metric, a column per run.
    tall = Table(box=None, header_style="bold")
    tall.add_column("", no_wrap=True)
    for run, _, _ in rows:
        tall.add_column(escape(one_line(run.name)), justify="right", no_wrap=True)
    for name in ("step", *columns, "n"):
        tall.add_row(name, *(cell(name, m) if name in columns else str(m.get(name, "?"))
                             for _, m, _ in rows))  # fmt: skip
    tall.add_row("source", *(f"{source}, {_by(run, m)}" for run, m, source in rows))
    if fits(tall):
        console.print(tall)
        console.print(caption.replace("column", "row"), soft_wrap=True, markup=False)
        return
    # Still too wide (many runs, long names): one block per run.
    for run, m, source in rows:
        console.print(f"[bold]{escape(one_line(run.name))}[/]  step {m.get('step', '?')}, "
                      f"{source}, {_by(run, m)}")  # fmt: skip
        for col in columns:
            console.print(f"  {col:<16} {cell(col, m)}")
    console.print(caption, soft_wrap=True, markup=False)
