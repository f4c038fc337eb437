"""`tui-gan sweep`: a grid of runs from a spec file or --grid axes, run locally or on Slurm."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tui_gan.errors import PresetError, UsageError, one_line


def run_sweep(
    spec_file: Path | None,
    preset: str | None,
    grids: list[str],
    sets: list[str],
    steps: int | None,
    out: Path,
    name: str | None,
    jobs: int | None,
    device: str | None,
    launcher: str,
    submitit: list[str],
) -> int:
    from tui_gan.config import check_run_name
    from tui_gan.sweep.runner import Sweep, drive
    from tui_gan.sweep.spec import SweepSpec, grid_spec, load_spec, resolve_runs

    check_run_name(name)
    if spec_file is not None and not spec_file.exists() and spec_file.suffix != ".toml":
        from tui_gan.presets import preset_dir

        shipped = preset_dir() / "sweeps" / f"{spec_file}.toml"  # a shipped sweep by name
        spec_file = shipped if shipped.is_file() else spec_file
    if spec_file is not None and not spec_file.is_file():
        from tui_gan.presets import preset_dir

        shipped = ", ".join(p.stem for p in sorted((preset_dir() / "sweeps").glob("*.toml")))
        raise UsageError(f"{spec_file}: no such sweep file (shipped: {shipped or 'none'})")
    if spec_file is not None:
        if grids:
            raise UsageError("give a SPEC.toml or --grid axes, not both")
        spec = load_spec(spec_file)
        if preset:
            raise UsageError("--preset: the spec file names its preset")
        if name or sets:
            spec = SweepSpec(
                name or spec.name,
                spec.preset,
                spec.axes,
                spec.steps,
                (*spec.fixed, *sets),
                spec.description,
                spec.source,
            )
    elif grids:
        spec = grid_spec(preset, grids, name, tuple(sets))
    else:
        raise UsageError("give a sweep: SPEC.toml, or --preset NAME --grid KEY=V1,V2,...")
    try:
        resolve_runs(spec, steps or spec.steps)  # every cell checked before any trains
    except PresetError as err:
        raise UsageError(str(err)) from None
    gpus = _gpus(device)
    sweep = Sweep(spec, Path(out), steps)
    jobs, make_runner = _launcher(launcher, submitit, jobs, gpus, sweep)  # creates nothing
    sweep.open()  # only now: a refused sweep leaves no folder behind, --out included
    runner = make_runner()
    _survive_hangup(sweep.dir / "sweep.log")
    return drive(sweep, runner, jobs, device, say=_say)


def _launcher(
    launcher: str, submitit: list[str], jobs: int | None, gpus: int, sweep
) -> tuple[int, Callable[[], object]]:
    """(jobs, a maker of the launcher): how many runs at once, and where they go. Every check
    is made here; the maker, called once the sweep's folder exists, only builds."""
    from tui_gan.sweep.runner import LocalLauncher, cpu_count

    if launcher == "submitit":
        from tui_gan.sweep.slurm import SubmititLauncher, parse_params

        params = parse_params(submitit)
        cluster = params.pop("cluster", None)
        # On a cluster every run is queued at once unless --jobs caps it and Slurm
        # schedules them; submitit's local executor runs here, so as the local launcher.
        jobs = jobs or (max(1, gpus) if cluster in ("local", "debug") else len(sweep.spec.runs))
        threads = max(1, cpu_count() // jobs) if cluster == "local" else 0
        # submitit makes its folder before it checks its parameters: they are checked on a
        # throwaway executor in a temp folder, so a refusal leaves nothing under --out.
        with tempfile.TemporaryDirectory(prefix="tui-gan-submitit-") as probe:
            SubmititLauncher(Path(probe) / ".submitit", dict(params), cluster, threads)
        folder = sweep.dir / ".submitit"
        return jobs, lambda: SubmititLauncher(folder, params, cluster, threads)
    if submitit:
        raise UsageError(
            "--submitit sets the submitit launcher's parameters: add --launcher submitit"
        )
    jobs = jobs or max(1, gpus)  # one per GPU; on a CPU one, with every core
    return jobs, lambda: LocalLauncher(jobs, gpus)


def _say(line: str) -> None:
    """A progress line: it quotes run names and their train.log, so it is escaped."""
    try:
        print(one_line(line), flush=True)
    except OSError:  # the terminal went away between the hangup and our redirect
        pass


def _gpus(device: str | None) -> int:
    """GPUs the runs may use (one run each by default); 0 on a CPU or with --device cpu."""
    if device in ("cpu", "mps"):
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _survive_hangup(log: Path) -> None:
    """A dropped SSH connection: keep the sweep going, its lines to SWEEP_DIR/sweep.log."""

    def on_hup(signum, frame) -> None:
        from tui_gan.errors import TuiGanError
        from tui_gan.rundir.write import open_append

        try:  # never through a link planted as sweep.log: then the lines go nowhere
            fd = open_append(log, within=log.parent)
        except (OSError, TuiGanError):
            fd = os.open(os.devnull, os.O_WRONLY)
        sys.stdout.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)

    def on_term(signum, frame) -> None:
        raise KeyboardInterrupt  # `kill`: stop as Ctrl-C does, the runs saving checkpoints

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_term)
