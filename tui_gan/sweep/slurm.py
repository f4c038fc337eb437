"""The submitit launcher: each run a job on Slurm (or submitit's local executor) instead of a
child process; the sweep's loop, resume and reports stay the same."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from tui_gan.errors import TuiGanError, UsageError
from tui_gan.launch import start_trainer
from tui_gan.request import TrainArgs


def train_job(args: TrainArgs, threads: int | None) -> int:
    """What a job runs on its node: `tui-gan train ...`, its exit code the job's result."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    # The node claims a new run's folder and appends to its train.log through the safe writer,
    # as a local launcher does.
    try:
        proc = start_trainer(args, env, stdin=None)
    except TuiGanError as err:  # the run's folder is not ours to train in: one line, exit 2
        print(f"tui-gan: {err}", file=sys.stderr, flush=True)
        return err.exit_code
    # A cancelled or preempted job gets SIGTERM (SIGINT from submitit's local executor):
    # passed on as SIGTERM, on which train saves a checkpoint and stops.
    forward = lambda signum, frame: proc.send_signal(signal.SIGTERM)  # noqa: E731
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    while True:
        try:
            return proc.wait()
        except InterruptedError:  # pragma: no cover - wait retries on EINTR itself
            continue


class SubmititLauncher:
    """One submitit job per run. `cluster` None lets submitit pick (Slurm when sbatch is
    there); "local" runs the jobs as local processes, as the tests do."""

    def __init__(self, folder: Path, params: dict[str, Any], cluster: str | None, threads: int):
        try:
            import submitit
        except ImportError:
            raise UsageError(
                "--launcher submitit needs submitit: pip install 'tui-gan[slurm]'"
            ) from None
        try:
            self.executor = submitit.AutoExecutor(folder=str(folder), cluster=cluster)
            self.executor.update_parameters(**params)
        except Exception as err:  # noqa: BLE001 - submitit says NameError, ValueError, ...
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise UsageError(f"--submitit: {first}") from None
        self.threads = threads

    def start(self, args: TrainArgs, slot: int):
        try:
            return self.executor.submit(train_job, args, self.threads)
        except Exception as err:  # noqa: BLE001 - sbatch refusing the job (a bad partition)
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise UsageError(f"{args.run_dir.name}: the job was not submitted: {first}") from None

    def alive(self, job) -> bool:
        return not job.done()

    def stop(self, job) -> None:
        job.cancel(check=False)  # Slurm sends SIGTERM first: train saves a checkpoint


def parse_params(items: list[str]) -> dict[str, Any]:
    """--submitit KEY=VALUE (VALUE read as TOML, else a string), e.g. slurm_partition=gpu."""
    from tui_gan.config import parse_override
    from tui_gan.errors import PresetError

    out: dict[str, Any] = {}
    for text in items:
        try:
            path, value = parse_override(text)
        except PresetError as err:
            raise UsageError(str(err).replace("--set", "--submitit")) from None
        out[".".join(path)] = value
    return out
