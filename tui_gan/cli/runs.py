"""`tui-gan runs` and `tui-gan stop`: list run directories, stop a live run."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

from tui_gan.engine import control
from tui_gan.errors import UsageError


def _last_step_record(metrics: Path) -> dict | None:
    import json

    try:
        with open(metrics, "rb") as fh:
            tail = deque(fh, maxlen=50)  # the end of the file is enough
    except FileNotFoundError:
        return None
    for line in reversed(tail):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("type") == "step":
            return rec
    return None


def list_runs(out: Path) -> list[dict]:
    rows = []
    for run in sorted(p for p in Path(out).iterdir() if p.is_dir()) if Path(out).is_dir() else []:
        status = control.read_status(run)
        if status is None:
            continue
        last = _last_step_record(run / "metrics.jsonl") or {}
        rows.append(
            {
                "name": run.name,
                "preset": status.get("preset", "?"),
                "state": control.run_state(run),
                "step": status.get("step", 0)
                if not last
                else max(last["step"], status.get("step", 0)),
                "total": status.get("total_steps"),
                "loss_d": last.get("loss_d"),
                "loss_g": last.get("loss_g"),
                "updated": max(
                    status.get("updated", 0),
                    (run / "metrics.jsonl").stat().st_mtime
                    if (run / "metrics.jsonl").exists()
                    else 0,
                ),
            }
        )
    return rows


def _ago(t: float) -> str:
    s = max(0, int(time.time() - t))
    if s < 60:
        return f"{s}s ago"
    if s < 3600:
        return f"{s // 60}m ago"
    if s < 86400:
        return f"{s // 3600}h ago"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def run_runs(out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    rows = list_runs(out)
    console = Console()
    if not rows:
        console.print(f"no runs under {out}")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("run", no_wrap=True, min_width=max(len(r["name"]) for r in rows))
    for col in ("preset", "state", "step", "loss_d", "loss_g", "updated"):
        table.add_column(
            col, justify="right" if col in ("step", "loss_d", "loss_g") else "left", no_wrap=True
        )
    colours = {"running": "green", "paused": "yellow", "failed": "red", "finished": "blue"}
    for r in rows:
        step = f"{r['step']}/{r['total']}" if r["total"] else str(r["step"])
        fmt = lambda v: "--" if v is None else f"{v:.3f}"  # noqa: E731
        table.add_row(
            r["name"],
            r["preset"],
            f"[{colours.get(r['state'], 'magenta')}]{r['state']}",
            step,
            fmt(r["loss_d"]),
            fmt(r["loss_g"]),
            _ago(r["updated"]),
        )
    console.print(table)


def run_stop(run_dir: Path, timeout: float) -> None:
    state = control.run_state(run_dir)
    if state == "unknown":
        raise UsageError(f"{run_dir}: not a tui-gan run directory (no status.json)")
    if state not in control.LIVE_STATES:
        print(f"{run_dir}: not running ({state})")
        return
    if not control.request(run_dir, stop=True):
        raise UsageError(f"{run_dir}: the run's process could not be reached")
    deadline = time.monotonic() + timeout
    while control.run_state(run_dir) in control.LIVE_STATES:
        if time.monotonic() > deadline:
            raise UsageError(f"{run_dir}: still running after {timeout:.0f}s; try again")
        time.sleep(0.1)
    status = control.read_status(run_dir) or {}
    print(
        f"{run_dir}: {status.get('state')} at step {status.get('step')}, "
        f"checkpoint {run_dir / 'last.pt'}"
    )
