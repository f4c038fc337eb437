"""`tui-gan train --gpus N`: the same run on N processes through torchrun, with one line
(not torchrun's pages) when a process dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tui_gan.errors import UsageError
from tui_gan.launch import train_command
from tui_gan.request import TrainArgs
from tui_gan.rundir.claim import CLAIM_ENV, claim, unclaim
from tui_gan.rundir.names import LAST, TORCHRUN_LOG
from tui_gan.rundir.status import read_status
from tui_gan.rundir.write import open_append_file

LOG = TORCHRUN_LOG  # torchrun's own messages, in the run directory


def run_torchrun(args: TrainArgs, n: int) -> int:
    """Start torchrun on this machine (--standalone: a free port, no rendezvous server) with
    the run's name fixed first, so every rank writes (rank 0) to the same directory."""
    if args.resume:
        from tui_gan.engine.checkpoint import load_run_checkpoint, resolve_checkpoint

        # A typo is one line here, not N ranks' errors; the device is the run's own.
        saved = load_run_checkpoint(resolve_checkpoint(args.resume))["preset"]
        train = saved.get("train") if isinstance(saved, dict) else None
        device = args.device or (train.get("device") if isinstance(train, dict) else None)
    else:
        from tui_gan.engine.capabilities import trains_distributed
        from tui_gan.families import family

        args, preset = args.new_run()
        if not trains_distributed(family(preset.model.family)):  # once here, not once a rank
            raise UsageError(
                f"{preset.model.family} trains in one process; --gpus is for the GAN families"
            )
        device = args.device or preset.train.device
    if device != "cpu":  # the preset's device counts as --device does
        import torch

        have = torch.cuda.device_count()
        if have < n:
            raise UsageError(
                f"--gpus {n}: torch sees {have} GPU(s) here; lower --gpus, or --device cpu "
                "for N CPU processes"
            )
    run_dir = args.run_dir
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    if not args.resume:  # claimed here (made, or empty) and handed to rank 0 through torchrun
        env[CLAIM_ENV] = claim(run_dir)
    # The one command line of a training process, under torchrun's own arguments.
    via = ("-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={n}")
    cmd = train_command(args, via=via)
    # Rank 0's progress goes to this terminal; torchrun's notes and tracebacks to a file
    # (appended through the safe writer: a planted link there is refused).
    try:
        log = open_append_file(run_dir / LOG, within=run_dir)
    except (OSError, UsageError):
        if not args.resume:
            unclaim(run_dir)  # nothing started: the folder is as free as before
        raise
    # Ctrl-C reaches torchrun (same process group), which passes it on to rank 0: this
    # process waits for the run to save and end instead of returning while it still writes.
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    with log:
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, env=env)
        assert proc.stderr is not None
        for raw in proc.stderr:
            log.write(raw)
            log.flush()
            line = raw.decode(errors="replace")
            if line.startswith("tui-gan"):  # our own one-line errors, from any rank
                sys.stderr.write(line)
        code = proc.wait()
    signal.signal(signal.SIGINT, before)
    if code != 0:
        print(f"tui-gan: {died(run_dir, code)}", file=sys.stderr, flush=True)
    return code


def died(run_dir: Path, code: int) -> str:
    """One line for a run whose processes did not all finish: where it got, what survives."""
    status = read_status(run_dir)
    last = run_dir / LAST
    why = (status and status.error) or f"see {run_dir / LOG}"
    at = "?" if status is None or status.step is None else status.step
    head = f"a training process exited with code {code} at step {at} ({why})"
    if last.is_file():
        return f"{head}; {last} is intact; continue it with tui-gan train --resume {run_dir}"
    return f"{head}; no checkpoint was saved, so start it again"
