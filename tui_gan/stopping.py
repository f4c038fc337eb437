"""How a run asked to stop has ended: `tui-gan stop` and the dashboard's q say it alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui_gan.errors import TuiGanError, one_line
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.state import LIVE_STATES
from tui_gan.rundir.status import read_status, run_state

SAVED_STATES = ("stopped", "finished")  # the ends at which the trainer has saved a checkpoint


@dataclass(frozen=True)
class StopOutcome:
    """ok: the run reached stopped or finished and the checkpoint the line names loads."""

    ok: bool
    line: str  # one line, names escaped


def _load_step(path: Path) -> tuple[int | None, str]:
    """The step of the run checkpoint at path, or None and why it cannot be resumed from."""
    if not path.is_file():
        return None, f"{path} does not exist"
    # Here, not at the top: torch is imported only once a run has ended, never at --help.
    from tui_gan.engine.checkpoint import load_run_checkpoint

    try:
        return load_run_checkpoint(path)["step"], ""
    except TuiGanError as err:
        return None, str(err)


def _last_checkpoint(run: RunDir) -> tuple[Path, int] | None:
    """The checkpoint a resume could start from: last.pt, else the newest ckpt-*.pt (last.pt
    is replaced after each save, so a trainer killed in between leaves only the new one)."""
    for path in (run.last, *run.checkpoints()[-1:]):
        step, _ = _load_step(path)
        if step is not None:
            return path, step
    return None


def stop_outcome(run_dir: Path) -> StopOutcome:
    """After a stop request, once the run has left its live states (or the wait is over):
    ok only when it reached stopped or finished and its last.pt loads, at the step it ended
    at; otherwise what happened, and the checkpoint left to resume from, if any."""
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    state = run_state(run_dir, status)
    step_now = status.step if status is not None else None
    at = "?" if step_now is None else step_now
    if state in LIVE_STATES:
        return StopOutcome(False, one_line(f"{run_dir}: still {state}; it stops at its next step"))
    run = RunDir(run_dir)
    if state in SAVED_STATES:
        step, why = _load_step(run.last)
        if step is not None and step_now in (None, step):
            return StopOutcome(
                True, one_line(f"{run_dir}: {state} at step {at}, checkpoint {run.last}")
            )
        if step is not None:
            why = f"{run.last} holds step {step}"
        return StopOutcome(False, one_line(f"{run_dir}: {state} at step {at}, but {why}"))
    if state == "failed" and status is not None and status.state in LIVE_STATES:
        what = "the trainer died before it stopped (killed, or its machine went down)"
    elif state == "failed":
        what = f"the run failed: {(status and status.error) or 'see its train.log'}"
    elif state == "interrupted":
        what = f"the run was interrupted at step {at} (a signal, not the stop request)"
    else:  # no status.json, or a broken one
        what = f"the run cannot be read ({state} status.json)"
    last = _last_checkpoint(run)
    left = f"the last checkpoint is {last[0]} (step {last[1]})" if last else "no checkpoint is left"
    return StopOutcome(False, one_line(f"{run_dir}: {what}; {left}"))
