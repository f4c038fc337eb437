"""`tui-gan eval` and `tui-gan compare`: a checkpoint's metrics, and runs side by side."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tui_gan.errors import UsageError, one_line
from tui_gan.rundir.names import LAST, METRICS

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
    progress: EvalProgress | None = None,
) -> dict[str, Any]:
    """`progress`: told each stage as it begins, and the estimated length of the last one
    (timed on a small batch first, which costs about 5% more; only for a terminal's bar)."""
    from tui_gan.cli.sample import load_gan
    from tui_gan.engine.checkpoint import load_checkpoint, resolve_checkpoint
    from tui_gan.engine.data import load_images
    from tui_gan.engine.evaluate import build_context, evaluate
    from tui_gan.rundir.folder import RunDir

    def stage(text: str, note: bool = False) -> None:
        if progress is not None:
            progress.stage(text, note)
        elif note:
            print(text, file=sys.stderr)

    path = resolve_checkpoint(target)
    if fid == "inception":  # a missing or bad weights file is said before any slow work
        from tui_gan.engine.metrics import inception_weights as find_weights
        from tui_gan.engine.metrics import load_inception_state

        load_inception_state(find_weights(inception_weights))
    stage("loading the checkpoint")
    gan = load_gan(str(path), device, raw, mcmc_steps)
    if fid == "inception" and gan.preset.data.name == "toy1d":
        raise UsageError("--fid inception is for image runs; a 1-D run reports W1 and KS")
    data = None
    classifiers = RunDir(path.parent).classifiers
    if gan.preset.data.name != "toy1d":
        stage("loading the data set")
        data = load_images(gan.preset)
        if data.note:
            stage(f"note: {one_line(data.note)}", note=True)
        if data.labels is not None:
            stage("loading the classifier (or training it)")
    ctx = build_context(gan.preset, gan.device, classifiers, data=data)
    args: dict[str, Any] = {"seed": seed, "fid": fid, "inception_weights": inception_weights}
    if progress is not None and progress.tty:  # an estimate only where a bar shows it
        estimate = _estimate(gan, ctx, n, args, stage) if fid == "classifier" else None
        progress.timed(f"drawing and scoring {n:,} samples", estimate)
    result = evaluate(gan, ctx, n=n, **args)
    return {"checkpoint": str(path), "step": int(load_checkpoint(path)["step"]), **result}


CALIBRATE_SHARE = 25  # the timed small batch: 1/25 of the samples (200 of 5,000)


def _estimate(gan, ctx, n: int, args: dict[str, Any], stage) -> float | None:
    """Seconds an evaluation of n samples should take, from the time of a small one (linear
    in n: drawing samples dominates, an EBM's chains most of all). Its random streams are
    put back, so the evaluation that follows gives what it gives without this one."""
    import time

    import torch

    from tui_gan.engine.evaluate import evaluate

    small = n // CALIBRATE_SHARE
    if small < 50:
        return None  # a few hundred samples: over before an estimate would help
    stage(f"timing {small} samples for an estimate")
    devices = [gan.device] if gan.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        evaluate(gan, ctx, n=50, **args)  # first calls cost more (allocations, kernels)
        t0 = time.perf_counter()
        evaluate(gan, ctx, n=small, **args)
        return (time.perf_counter() - t0) * n / small


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


def final_metrics(
    run: Path, evaluate_missing: bool = True, progress: EvalProgress | None = None
) -> tuple[dict[str, Any], str]:
    """The run's last eval record; else an evaluation of its last.pt, said on stderr as it
    runs (`progress`), or with `evaluate_missing` off the run's last step, "not evaluated"."""
    from tui_gan.engine.events import Evaluated, iter_events
    from tui_gan.rundir.folder import RunDir

    if not run.is_dir():
        raise UsageError(f"{run}: not a run directory")
    problem = RunDir(run).format_problem()
    if problem:
        print(f"note: {one_line(problem)}", file=sys.stderr)
    last: Evaluated | None = None
    step = None
    for event in iter_events(run / METRICS):
        step = event.step if step is None else max(step, event.step)
        if isinstance(event, Evaluated):
            last = event
    if last is not None:
        return last.to_record(), "logged"
    if not evaluate_missing:
        return {"step": step if step is not None else "?"}, NOT_EVALUATED
    if not (run / LAST).is_file():
        raise UsageError(
            f"{run}: no eval records and no last.pt to evaluate (--no-eval lists it as "
            f"{NOT_EVALUATED})"
        )
    from tui_gan.engine.evaluate import DEFAULT_N

    # Never silently: an evaluation takes from seconds (1-D) to minutes (an EBM on a CPU).
    progress = progress or EvalProgress()
    progress.begin(run.name, DEFAULT_N)
    try:
        result = evaluate_checkpoint(str(run), DEFAULT_N, "classifier", "auto", progress=progress)
    except BaseException:
        progress.end(done=False)  # the bar goes; the error's own line says why
        raise
    progress.end()
    return result, "evaluated now"


NOT_EVALUATED = "not evaluated"


class EvalProgress:
    """What an evaluation that compare must run is doing, on stderr (stdout keeps the table
    or the JSON): on a terminal a line, then a bar for each stage, with an estimate for the
    long one; into a pipe or a file a single line per run."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.progress = None
        self.task = None
        self.name = ""
        self.started = 0.0

    def begin(self, name: str, n: int) -> None:
        import time

        self.name, self.started = one_line(name), time.monotonic()
        line = (
            f"{self.name}: no evaluation logged; evaluating last.pt now on {n:,} samples "
            "(seconds for a 1-D run, a minute or more for images on a CPU)"
        )
        if not self.tty:
            print(line, file=self.stream, flush=True)
            return
        self.progress = _progress_bar(self.stream)
        self.progress.console.print(line, markup=False, highlight=False)  # wrapped at words
        self.progress.start()
        self.task = self.progress.add_task(
            "loading torch", total=None, since=time.monotonic(), estimate=None
        )

    def stage(self, text: str, note: bool = False) -> None:
        """A stage begins (its length unknown), or a note to keep above the bar."""
        import time

        if self.progress is None or self.task is None:
            if note:
                print(text, file=self.stream, flush=True)
            return
        if note:
            self.progress.console.print(text, markup=False, highlight=False)
            return
        self.progress.update(
            self.task, description=self._label(text), since=time.monotonic(), estimate=None
        )

    def timed(self, text: str, seconds: float | None) -> None:
        """The long stage begins, expected to take `seconds` (None: no estimate)."""
        import time

        if self.progress is None or self.task is None:
            return
        self.progress.update(
            self.task, description=self._label(text), since=time.monotonic(), estimate=seconds
        )

    def _label(self, text: str) -> str:
        """The stage, cut to what the bar and the clock leave (the run's name is on the line
        above)."""
        from rich.markup import escape

        assert self.progress is not None
        width = self.progress.console.width
        room = width - _bar_width(width) - 2 - _CLOCK_WIDTH - 2
        return escape(text if len(text) <= room else text[: max(0, room - 3)] + "...")

    def end(self, done: bool = True) -> None:
        import time

        if self.progress is None:
            return
        progress, self.progress = self.progress, None
        progress.stop()
        if not done:
            return
        took = time.monotonic() - self.started
        progress.console.print(
            f"{self.name}: evaluated in {took:.0f} s", markup=False, highlight=False
        )


_CLOCK_WIDTH = 22  # "12345 s (est. 10000 s)"


def _bar_width(columns: int) -> int:
    return 24 if columns >= 100 else 12


def _progress_bar(stream):
    """A stage label, a bar that moves with the clock against the estimate (the evaluation
    reports no steps of its own), and the time: ASCII where the terminal wants it."""
    import os

    from rich.console import Console
    from rich.progress import Progress, ProgressColumn
    from rich.progress_bar import ProgressBar
    from rich.text import Text

    from tui_gan.tui.mode import pick_mode

    console = Console(file=stream)
    ascii_only = pick_mode(os.environ).ascii
    width = _bar_width(console.width)

    def fraction(task) -> float | None:
        import time

        estimate = task.fields.get("estimate")
        if task.finished or not estimate:
            return None
        return min(0.99, (time.monotonic() - task.fields["since"]) / estimate)

    class Bar(ProgressColumn):
        def render(self, task):
            import time

            done = fraction(task)
            if not ascii_only:
                if done is None:
                    return ProgressBar(total=None, width=width, pulse=True)
                return ProgressBar(total=1.0, completed=done, width=width)
            if done is None:  # a marker going to and fro: something is happening
                at = int(time.monotonic() * 8) % (2 * (width - 3))
                at = at if at < width - 3 else 2 * (width - 3) - at
                return Text("[" + " " * at + "<=>" + " " * (width - 3 - at) + "]")
            filled = int(done * width)
            return Text("[" + "#" * filled + "-" * (width - filled) + "]")

    class Clock(ProgressColumn):
        def render(self, task):
            import time

            spent = time.monotonic() - task.fields["since"]
            estimate = task.fields.get("estimate")
            if not estimate:
                return Text(f"{spent:.0f} s")
            if spent > estimate:
                return Text(f"{spent:.0f} s (est. {estimate:.0f} s)")
            return Text(f"{spent:.0f} s of ~{estimate:.0f} s")

    return Progress(
        "{task.description}",
        Bar(),
        Clock(),
        console=console,
        transient=True,
        refresh_per_second=4,  # a slow clock: the evaluation keeps the cores
    )


def _drawn_by(run: Path) -> str:
    """What drew a run's samples, as compare names it: G, or an EBM's chains, a VAE's decoder."""
    from tui_gan.view.runview import RunView

    return RunView.open(run).kind.drawn_by


def run_compare(runs: list[Path], as_json: bool = False, evaluate: bool = True) -> None:
    """The runs' final metrics: a table that fits the terminal (runs as rows; metrics as
    rows when that is too wide), whole values into a pipe, or one JSON array. A run that
    logged no evaluation is evaluated now, said on stderr with a progress bar; with
    `evaluate` off it is listed as not evaluated."""
    rows = [(run, *final_metrics(run, evaluate)) for run in runs]
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
