"""`tui-gan train`: resolve the preset and run directory, drive the engine, report progress."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_gan import runindex
from tui_gan.config import apply_overrides, parse_override, validate
from tui_gan.engine import events as ev
from tui_gan.engine.capabilities import discriminator_line
from tui_gan.engine.checkpoint import load_run_checkpoint, resolve_checkpoint
from tui_gan.engine.context import RunSpec
from tui_gan.engine.control import Controls
from tui_gan.engine.recorder import run
from tui_gan.engine.runtime import start_process, start_run_process
from tui_gan.engine.trainer import Trainer
from tui_gan.errors import EXIT_INTERRUPTED, UsageError, one_line
from tui_gan.request import TrainArgs
from tui_gan.rundir.claim import CLAIM_ENV, check_claim
from tui_gan.rundir.control import WAKE, RemoteControl
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.lock import RunLock
from tui_gan.rundir.names import TRAIN_LOG
from tui_gan.rundir.state import LIVE_STATES
from tui_gan.rundir.status import run_state
from tui_gan.rundir.write import open_append


def resolve_run(args: TrainArgs) -> RunSpec:
    """Which preset, which run directory, and which checkpoint to continue from."""
    overrides = args.preset_overrides()
    if args.resume:
        ckpt = resolve_checkpoint(args.resume)
        if run_state(ckpt.parent) in LIVE_STATES:
            raise UsageError(f"{ckpt.parent} is still training; stop it first: tui-gan stop")
        state = load_run_checkpoint(ckpt)
        kept, notes = drop_written_paths(state["preset"], overrides)
        raw = apply_overrides(kept, overrides)
        preset = validate(raw, f"{ckpt} (preset)", overrides)
        return RunSpec(preset, ckpt.parent, ckpt, resume_state=state, notes=notes)
    args, preset = args.new_run(check=os.environ.get("RANK", "0") == "0")
    return RunSpec(preset, args.run_dir)


def drop_written_paths(raw: Any, overrides: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
    """A checkpoint's preset may come from someone else (a shared run): the paths it would
    write to apply only when this command line gives them again; paths only read stay."""
    if not isinstance(raw, dict):
        return raw, ()  # validation says what is wrong with it
    given = {".".join(parse_override(o)[0]) for o in overrides}
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in raw.items()}
    notes = []
    log, data = out.get("log"), out.get("data")
    if isinstance(log, dict) and log.get("tensorboard") and "log.tensorboard" not in given:
        notes.append(
            f"not writing TensorBoard events to {one_line(str(log['tensorboard']))} as the "
            "checkpoint's preset asks: give --tensorboard DIR again to write them"
        )
        log["tensorboard"] = ""
    # The default root ('') is this user's own cache folder: only a named one is a risk.
    root = data.get("root") if isinstance(data, dict) else None
    if (
        root
        and isinstance(data, dict)
        and data.get("download", True) is not False
        and not given & {"data.root", "data.download"}
    ):
        data["download"] = False  # the folder is still read; nothing is fetched into it
        notes.append(
            f"not downloading into {one_line(str(root))} as the checkpoint's preset allows: the "
            "data is read from there; --set data.download=true allows the download again"
        )
    return out, tuple(notes)


def run_train(args: TrainArgs) -> int:
    spec = resolve_run(args)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # started by torchrun: one of N ranks
        return run_rank(spec)
    return run_main(spec)


def run_rank(spec: RunSpec) -> int:
    """One process of a torchrun run. Rank 0 is the run as one process would be (the run
    directory, its lock, status, controls); the others train beside it and write nothing."""
    from dataclasses import replace

    from tui_gan.engine.dist import from_env

    d = from_env(spec.device or spec.preset.train.device)
    code = 1
    try:
        # A new run's name holds the time it started: each rank made its own, rank 0's wins.
        run_dir = d.broadcast(spec.run_dir)
        spec = replace(spec, run_dir=run_dir, dist=d)
        if d.main:
            code = run_main(spec)
            return code
        # Rank 0 alone acts on signals (Ctrl-C, a kill): the others stop with it at the
        # step its broadcast names, having saved together.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        code = 0
        start_process(spec.preset, spec.device)  # as rank 0's run_main does; it says the notes
        for event in Trainer(spec, Controls()).run():
            if isinstance(event, ev.Failed):
                print(f"tui-gan (rank {d.rank}): {event.error}", file=sys.stderr, flush=True)
                code = event.exit_code
        return code
    finally:
        d.close(together=code in (0, EXIT_INTERRUPTED))


def run_main(spec: RunSpec) -> int:
    if spec.resume is None:
        # A new run: in a folder its launcher claimed for it, or one this process claims now
        # (made, or empty); never over anyone's files. The token is not for our children.
        check_claim(spec.run_dir, os.environ.pop(CLAIM_ENV, None))
    controls = Controls()
    restore = _install_signal_handlers(controls, spec.run_dir)
    lock = RunLock(spec.run_dir)  # held until this process exits: the proof the run is live
    if not lock.acquire():
        raise UsageError(f"{spec.run_dir} is training in another process; stop it first")
    RunDir(spec.run_dir).remove_orphans()  # a kill's leftovers; with the lock, none are live
    RemoteControl(spec.run_dir, controls).install()  # pause/save/stop from dash, attach, stop
    runindex.record(spec.run_dir)  # so `runs` and `attach` find it from any folder
    spec = start_run_process(spec)  # TF32, determinism, the allocator: before the first step
    reporter = RichReporter() if sys.stdout.isatty() else PlainReporter()
    code = 1
    try:
        for event in run(spec, controls):
            try:
                reporter.handle(event)
            except OSError:  # stdout is gone (`| head` closed the pipe): train on, log instead
                to_train_log(spec.run_dir)
                reporter = PlainReporter()
            if isinstance(event, ev.Finished):
                code = EXIT_INTERRUPTED if event.state == "interrupted" else 0
            elif isinstance(event, ev.Failed):
                code = event.exit_code
    finally:
        reporter.close()
        lock.release()
        restore()
    return code


def to_train_log(run_dir: Path) -> None:
    """Send this process's stdout and stderr to RUN_DIR/train.log from now on (a planted link
    there is refused: the output then goes nowhere rather than into someone's file)."""
    try:
        log = open_append(run_dir / TRAIN_LOG, within=run_dir)
    except (OSError, UsageError):
        log = os.open(os.devnull, os.O_WRONLY)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def _install_signal_handlers(controls: Controls, run_dir: Path) -> Callable[[], None]:
    """First Ctrl-C (or SIGTERM): save a checkpoint and stop; a second Ctrl-C quits at once.
    SIGHUP (the SSH connection dropped): keep training, print to run_dir/train.log instead."""

    def stop(signum, frame):  # noqa: ARG001
        if controls.stop.is_set():
            raise KeyboardInterrupt
        controls.request_stop("interrupted")

    def hangup(signum, frame):  # noqa: ARG001
        to_train_log(run_dir)  # the terminal is gone: writes to it would fail and end the run

    wanted: dict[int, Any] = {signal.SIGINT: stop, signal.SIGTERM: stop}
    if hasattr(signal, "SIGHUP"):
        wanted[signal.SIGHUP] = hangup
    if WAKE is not None:
        wanted[WAKE] = signal.getsignal(WAKE)  # RemoteControl sets its own; restored below
    before = {sig: signal.signal(sig, handler) for sig, handler in wanted.items()}

    def restore() -> None:
        """For a run inside a longer-lived process (tests, a notebook): its handlers back."""
        for sig, handler in before.items():
            signal.signal(sig, handler)

    return restore


def _fmt_metrics(m: ev.StepMetrics) -> str:
    fam = m.family()
    if discriminator_line(fam):
        line = (
            f"loss_d {m.loss_d:.3f}  loss_g {m.loss_g:.3f}  "
            f"D(x) {m.d_real:.3f}  D(G(z)) {m.d_fake:.3f}"
        )
        return line if m.g_d_ratio is None else f"{line}  G/D {m.g_d_ratio:.3g}"
    return "  ".join(f"{s.label} {m.value(s.key):.3f}" for s in (*fam.losses, *fam.outputs))


def _summary(e: ev.Finished, run_dir: Path | None) -> str:
    verb = {"finished": "done", "stopped": "stopped", "interrupted": "interrupted"}[e.state]
    ckpt = run_dir / e.checkpoint if run_dir and e.checkpoint else None
    return (
        f"{verb}: step {e.step} in {e.time or 0:.1f}s, {e.img_per_s or 0:.0f} img/s; "
        f"run {run_dir}; checkpoint {ckpt}"
    )


def _print_failure(e: ev.Failed) -> None:
    if e.exit_code == 1 and e.details:  # a bug, not bad input: the traceback helps a report
        print("\n".join(e.details), file=sys.stderr)
    print(f"tui-gan: {e.error}", file=sys.stderr, flush=True)


class PlainReporter:
    """For logs and nohup: a line at most every few seconds, and every notice in full.
    The rest (samples, checkpoints) is in metrics.jsonl; a line for each would be noise."""

    def __init__(self, every_s: float = 10.0):
        self.every_s, self.last = every_s, 0.0
        self.total = 0
        self.run_dir: Path | None = None

    def out(self, text: str) -> None:
        print(one_line(text), flush=True)  # names from disk in it: escaped, one line

    def handle(self, e: ev.Event) -> None:
        match e:
            case ev.RunStarted():
                self.total, self.run_dir = e.total_steps, e.run_dir
                what = "resuming" if e.resumed else "training"
                self.out(
                    f"{what} {e.preset} on {e.dataset} ({e.device}), "
                    f"step {e.step}/{e.total_steps}, run {e.run_dir}"
                )
            case ev.Notice(level="info"):
                self.out(e.message)
            case ev.Notice():
                self.out(f"{e.level}: {e.message}")
            case ev.StepMetrics():
                now = time.monotonic()
                if now - self.last >= self.every_s or e.step == self.total:
                    self.last = now
                    self.out(
                        f"step {e.step}/{self.total} epoch {e.epoch:.2f}  {_fmt_metrics(e)}  "
                        f"{e.img_per_s or 0:.0f} img/s"
                    )
            case ev.Finished():
                self.out(_summary(e, self.run_dir))
            case ev.Failed():
                _print_failure(e)

    def close(self) -> None:
        pass


def _shown(value: object) -> str:
    """A name or message from disk inside Rich markup: escaped, so `[bold]` in a folder name
    shows as written and an escape code cannot reach the terminal."""
    from rich.markup import escape

    return escape(one_line(str(value)))


def _fit(fields: str, room: int) -> str:
    """As many whole fields of "a 1.0  b 2.0" as fit in `room` columns, from the left."""
    out = ""
    for field in fields.split("  "):
        longer = f"{out}  {field}" if out else field
        if len(longer) > room:
            break
        out = longer
    return out


class RichReporter:
    """On a terminal: one live progress bar with img/s, ETA, losses and D outputs."""

    def __init__(self, console=None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console or Console(stderr=False)
        # The bar gives way first on a narrow terminal, then the losses (see _fit): the step
        # count and the ETA always show whole.
        self.bar_width = 24 if self.console.width >= 100 else 10
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=self.bar_width),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=self.console,
            transient=False,
        )
        self.bar = None
        self.run_dir: Path | None = None
        self.name_len = 0

    def handle(self, e: ev.Event) -> None:
        p = self.progress
        match e:
            case ev.RunStarted():
                self.run_dir = e.run_dir
                self.name_len = len(one_line(e.preset or ""))
                p.start()
                self.bar = p.add_task(
                    _shown(e.preset or ""),
                    total=e.total_steps,
                    completed=e.step,
                    rate="",
                    metrics="",
                )
                p.console.print(
                    f"{'resuming' if e.resumed else 'training'} [bold]{_shown(e.preset)}[/] on "
                    f"{_shown(e.dataset)} ({e.device}) -> {_shown(e.run_dir)}"
                )
            case ev.Notice():
                style = "yellow" if e.level == "warning" else "dim"
                self.console.print(f"[{style}]{_shown(e.message)}[/]")
            case ev.StepMetrics() if self.bar is not None:
                rate = f"{e.img_per_s or 0:,.0f} img/s"
                total = p.tasks[0].total or e.step
                # What the other columns take: name, bar, "step/total", rate, elapsed, "ETA",
                # remaining (H:MM:SS each), a space between each of the 8 columns.
                used = self.name_len + self.bar_width + 2 * len(str(int(total))) + 1
                used += len(rate) + 7 + 3 + 7 + 7
                metrics = _fit(_fmt_metrics(e), self.console.width - used - 1)
                p.update(self.bar, completed=e.step, rate=rate, metrics=metrics)
            case ev.Finished():
                p.stop()
                self.console.print(_shown(_summary(e, self.run_dir)))
            case ev.Failed():
                p.stop()
                _print_failure(e)

    def close(self) -> None:
        self.progress.stop()
