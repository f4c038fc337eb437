"""Run a sweep: each run a normal run directory under OUT/NAME; finished runs are skipped,
interrupted ones resumed, live ones waited for, so nothing is trained twice."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_gan.errors import TuiGanError, UsageError
from tui_gan.launch import last_log_line, start_trainer
from tui_gan.request import TrainArgs
from tui_gan.rundir.lock import RunLock
from tui_gan.rundir.names import STATUS, SWEEP, SWEEP_LOCK
from tui_gan.rundir.status import run_state
from tui_gan.rundir.write import make_dirs, rename, write_file
from tui_gan.sweep import report as sweep_report
from tui_gan.sweep.progress import read_meta as read_sweep
from tui_gan.sweep.progress import run_status, score_of, score_text
from tui_gan.sweep.spec import Run, SweepSpec

SWEEP_FORMAT = 1
POLL_S = 1.0
STOP_WAIT_S = 300  # Ctrl-C: how long the runs get to save their checkpoints
ONLY_FINAL_EVAL = 10**9  # log.eval_every: no periodic eval, one at the run's end


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_file(path, json.dumps(data, indent=1), within=path.parent)


@dataclass
class Launched:
    run: Run
    handle: Any
    how: str  # "fresh" or "resumed"
    slot: int  # which of the `jobs` places it holds (on a GPU box: which GPU)


@dataclass
class Sweep:
    """The sweep folder and its record: the spec it was made by and the time spent on it."""

    spec: SweepSpec
    out: Path
    steps: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dir(self) -> Path:
        return self.out / self.spec.name

    def run_dir(self, run: Run) -> Path:
        return self.dir / run.name

    def open(self) -> None:
        """Create sweep.json, or check the folder holds this same sweep (then continue it);
        hold the sweep's lock while this process drives it (a second driver is refused)."""
        if (self.dir / STATUS).exists():
            raise UsageError(f"{self.dir} is a run directory, not a sweep; choose another --name")
        self.dir.mkdir(parents=True, exist_ok=True)
        # Held for the driver's life (dropped by the kernel when it dies, even by kill -9):
        # two drivers would start the same runs.
        self._lock = RunLock(self.dir, SWEEP_LOCK)
        if not self._lock.acquire():
            raise UsageError(
                f"{self.dir} is being driven by another `tui-gan sweep`; "
                f"watch it with: tui-gan attach {self.dir}"
            )
        mine = {**self.spec.to_json(), "steps": self.steps or self.spec.steps}
        old = read_sweep(self.dir)
        if old is not None:
            theirs = {k: old.get(k) for k in ("runs", "steps", "preset")}
            if theirs != {k: mine[k] for k in theirs}:
                raise UsageError(
                    f"{self.dir} holds another sweep (other runs, steps or preset); "
                    "give this one another --name or --out"
                )
            self.meta = old
        else:
            self.meta = {"format": SWEEP_FORMAT, **mine, "description": self.spec.description}
            self.meta["sessions"] = []
        self.meta.setdefault("sessions", []).append([round(time.time(), 3)] * 2)
        self.save()

    def save(self) -> None:
        if self.meta.get("sessions"):
            self.meta["sessions"][-1][1] = round(time.time(), 3)
        _write_json(self.dir / SWEEP, self.meta)

    def train_request(self, run: Run, status: str, device: str | None) -> tuple[TrainArgs, str]:
        """What to train for a run whose status is resumable or new, and whether it starts
        fresh or resumes."""
        run_dir = self.run_dir(run)
        if status == "resumable":
            return TrainArgs(resume=str(run_dir), device=device), "resumed"
        if os.path.lexists(run_dir):
            # An attempt that ended before its first checkpoint (or a folder in the way):
            # moved aside, never deleted, so nothing a user may want is lost.
            attempts = make_dirs(self.dir / ".attempts", within=self.dir)
            n = 1
            while os.path.lexists(attempts / f"{run.name}.{n}"):
                n += 1
            rename(run_dir, attempts / f"{run.name}.{n}", within=self.dir)
        args = TrainArgs(
            preset=self.spec.preset,
            steps=self.steps or self.spec.steps or None,
            overrides=(*run.overrides, *self._final_eval(run)),
            out=self.dir,
            name=run.name,
            device=device,
        )
        return args, "fresh"

    def _final_eval(self, run: Run) -> tuple[str, ...]:
        """A sweep is scored: a preset without periodic evals still evaluates at its end."""
        from tui_gan.presets import load_preset

        preset = load_preset(self.spec.preset, run.overrides)
        return () if preset.log.eval_every else (f"log.eval_every={ONLY_FINAL_EVAL}",)


def drive(
    sweep: Sweep,
    launcher,
    jobs: int,
    device: str | None,
    say: Callable[[str], None] = print,
) -> int:
    """Start, resume and watch the runs until none is left; 0 when all finished, 1 when some
    failed, 130 after Ctrl-C (the live runs save a checkpoint and stop first)."""
    runs = list(sweep.spec.runs)
    todo: list[Run] = []
    watched: list[Run] = []  # live in another process (an earlier sweep, a Slurm job)
    done = 0
    for run in runs:
        status = run_status(sweep.run_dir(run))
        if status == "finished":
            done += 1
        elif status == "live":
            watched.append(run)
        else:
            todo.append(run)
    total = len(runs)
    say(
        f"sweep {sweep.spec.name}: {total} runs in {sweep.dir}; {done} finished, "
        f"{len(watched)} live elsewhere, {len(todo)} to train ({jobs} at a time)"
    )
    running: list[Launched] = []
    failed = stopped = 0

    def ended(run: Run) -> None:
        nonlocal done, failed, stopped
        outcome = _report(sweep, run, say)
        done += outcome == "finished"
        stopped += outcome == "stopped"
        failed += outcome == "failed"

    try:
        while todo or running or watched:
            while todo and len(running) < jobs:
                run = todo.pop(0)
                # Again now, not from the list made at the start: another process (an
                # attach's key, a Slurm job) may have finished or started it since.
                status = run_status(sweep.run_dir(run))
                if status == "finished":
                    done += 1
                    continue
                if status == "live":
                    watched.append(run)
                    continue
                args, how = sweep.train_request(run, status, device)
                # The lowest place no live run holds: a run ending frees its GPU for the next.
                slot = min(set(range(jobs)) - {r.slot for r in running})
                try:
                    handle = launcher.start(args, slot)
                except TuiGanError as err:  # this run's folder (a planted log, a lost claim)
                    say(f"  {run.name}: failed: {err}")
                    failed += 1
                    continue
                running.append(Launched(run, handle, how, slot))
                say(f"[{done + len(running) + len(watched)}/{total}] {run.name}: {how}")
            time.sleep(POLL_S)
            for item in [r for r in running if not launcher.alive(r.handle)]:
                running.remove(item)
                ended(item.run)
                sweep_report.write_reports(sweep)
                sweep.save()
            for run in [r for r in watched if run_status(sweep.run_dir(r)) != "live"]:
                watched.remove(run)
                ended(run)
    except BaseException as err:
        # Ctrl-C, kill, or an error of ours (a full disk, a job the scheduler refused):
        # the runs this process started save a checkpoint and stop before it exits.
        interrupted = isinstance(err, KeyboardInterrupt)
        if not interrupted and not running:
            raise
        say(f"stopping {len(running)} runs (each saves a checkpoint)…")
        for item in running:
            launcher.stop(item.handle)
        deadline = time.monotonic() + STOP_WAIT_S
        while any(launcher.alive(r.handle) for r in running) and time.monotonic() < deadline:
            time.sleep(0.2)
        try:
            sweep_report.write_reports(sweep)
            sweep.save()
        except OSError:
            pass  # the error being raised says more
        if not interrupted:
            raise
        say(f"sweep stopped: {done}/{total} finished; the same command continues it")
        return 130
    csv_path, md_path = sweep_report.write_reports(sweep)
    sweep.save()
    more = f", {stopped} stopped (the same command resumes them)" if stopped else ""
    say(f"sweep {sweep.spec.name}: {done}/{total} finished, {failed} failed{more}; {md_path}")
    return 1 if failed else 0


def _report(sweep: Sweep, run: Run, say) -> str:
    """One line on a run that has ended: finished, stopped (asked to, a checkpoint to resume
    from: a `q` in its dashboard, say) or failed."""
    run_dir = sweep.run_dir(run)
    status = run_status(run_dir)
    if status != "finished":
        state = run_state(run_dir)
        if status == "resumable" and state in ("stopped", "interrupted"):
            say(f"  {run.name}: {state} with a checkpoint; the same command resumes it")
            return "stopped"
        say(f"  {run.name}: {state}: {last_log_line(run_dir)}")
        return "failed"
    row = sweep_report.final_row(run_dir)
    scored = score_of(row)  # FID, or a 1-D run's W1: named by what it is
    shown = f", {score_text(*scored)}" if scored else ""
    say(f"  {run.name}: finished in {row.get('wall_s') or 0:.0f}s{shown}")
    return "finished"


class LocalLauncher:
    """Runs as child processes of this machine; on a CPU the cores are split between them."""

    def __init__(self, jobs: int, gpus: int):
        self.threads = max(1, cpu_count() // jobs)
        self.gpus = gpus

    def env(self, slot: int) -> dict[str, str]:
        # Each run gets cores / jobs threads: PyTorch's default of one thread per core in
        # every process oversubscribes the CPU and throughput collapses (30x measured).
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "OMP_NUM_THREADS": str(self.threads),
            "MKL_NUM_THREADS": str(self.threads),
        }
        if self.gpus:  # one run per GPU, picked from the GPUs this process may use
            visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d]
            ids = visible if len(visible) >= self.gpus else [str(i) for i in range(self.gpus)]
            env["CUDA_VISIBLE_DEVICES"] = ids[slot % self.gpus]
        return env

    def start(self, args: TrainArgs, slot: int):
        # Its own session: a dropped SSH connection (SIGHUP to this terminal's processes)
        # leaves it training; the sweep, run again, waits for it instead of restarting it.
        return start_trainer(args, self.env(slot), start_new_session=True)

    def alive(self, proc) -> bool:
        return proc.poll() is None

    def stop(self, proc) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # train saves a checkpoint and stops


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
