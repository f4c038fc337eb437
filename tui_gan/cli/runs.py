"""`tui-gan runs` and `tui-gan stop`: list this user's runs from any folder, stop a live run."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_gan import runindex
from tui_gan.engine.events import Evaluated, Failed, StepMetrics, parse_line
from tui_gan.errors import TuiGanError, UsageError, from_os_error, one_line
from tui_gan.rundir.control import request, why_not_live
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.names import METRICS, SWEEP
from tui_gan.rundir.read import open_regular
from tui_gan.rundir.state import LIVE_STATES, Observed
from tui_gan.rundir.status import Status, read_status, run_state

LOCAL_OUT = Path("checkpoints")  # where `train` puts runs by default (--out)
COLUMNS = ("run", "preset", "state", "step", "eval", "losses", "updated")
# On a narrow terminal, columns give way in this order; run, state, step and eval always show.
DROP_ORDER = ("losses", "preset", "updated")
RIGHT = ("step", "eval", "losses")
GAP = "  "
MIN_NAME = 30  # a default run name (<preset>-<date>-<time>) fits whole in this many columns


def _last_records(metrics: Path) -> tuple[StepMetrics | None, Evaluated | None, Failed | None]:
    """The last valid step, evaluation and failure records; other records (samples every
    step, say) may follow them by the hundred, so the whole file is scanned, parsing only
    candidate lines."""
    fh = open_regular(metrics, follow=False)
    if fh is None:
        return None, None, None
    tags = {b'"type": "step"': 0, b'"type": "eval"': 1, b'"type": "failed"': 2}
    kinds = (StepMetrics, Evaluated, Failed)
    candidates: list[deque[bytes]] = [deque(maxlen=50) for _ in tags]
    with fh:
        for ln in fh:
            for tag, i in tags.items():
                if tag in ln:
                    candidates[i].append(ln)
                    break
    found: list[Any] = []
    for kind, lines in zip(kinds, candidates, strict=True):
        event = next((e for e in map(parse_line, reversed(lines)) if isinstance(e, kind)), None)
        found.append(event)
    return found[0], found[1], found[2]


def _losses(last: StepMetrics | None) -> dict[str, float]:
    if last is None:
        return {}
    return {s.label: last.value(s.key) for s in last.family().losses}  # type: ignore[misc]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


GONE = "the trainer ended without recording why (killed, or its machine restarted)"


def _reason(state: Observed, status: Status | None, failed: Failed | None) -> str | None:
    """Why a failed run failed: status.json's error, else the run's failed record; a live
    status whose trainer is gone says so."""
    if state != "failed":
        return None
    if status is not None and status.error:
        return status.error
    if failed is not None:
        return failed.error
    return GONE if status is not None and status.state in LIVE_STATES else None


def run_row(run: Path) -> dict[str, Any] | None:
    """One run directory (or sweep folder) as a row; None when it is neither. A run whose
    status.json is broken is listed as "unreadable", its other fields unknown."""
    status = read_status(run)
    state = run_state(run, status)
    if state == "unknown":
        return _sweep_row(run)  # no status.json: a sweep, or not a run (classifiers/, say)
    st = status or Status(state="failed")  # a broken status.json: its fields unknown
    last, evaluated, failed = _last_records(run / METRICS)
    return {
        "name": run.name,
        "path": str(run),
        "preset": st.preset,
        "state": state,
        "step": max(last.step if last else 0, st.step or 0),
        "total": st.total_steps,
        "loss_d": last and last.loss_d,
        "loss_g": last and last.loss_g,
        # The family's two losses by name: G and D, CD and reg, recon and KL.
        "losses": _losses(last),
        # The last evaluation's headline: FID, or W1 for a 1-D run.
        "fid": evaluated.fid if evaluated else None,
        "w1": evaluated.w1 if evaluated else None,
        "eval_step": evaluated.step if evaluated else None,
        "started": st.started,
        "updated": max(st.updated or 0, _mtime(run / METRICS)),
        "error": _reason(state, status, failed),
        "format": RunDir(run).read_format(),
    }


def list_runs(out: Path) -> list[dict[str, Any]]:
    """One row per run directory under out, by name; a broken one never stops the listing."""
    try:
        folders = sorted(p for p in Path(out).iterdir() if p.is_dir())
    except FileNotFoundError:
        folders = []
    except OSError as err:  # a file, a symlink loop, a folder we may not read
        raise from_os_error(err, out) from None
    return [row for row in map(run_row, folders) if row is not None]


def _key(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def known_folders(local: Path = LOCAL_OUT) -> list[Path]:
    """Every run folder this user started (the index, oldest first), then the ones under
    ./checkpoints it does not hold (runs from before the index, or copied in): each once."""
    seen: set[str] = set()
    out = []
    try:
        local_dirs = sorted(p.absolute() for p in Path(local).iterdir() if p.is_dir())
    except OSError:  # no ./checkpoints here (most folders): only the index
        local_dirs = []
    for folder in [e.path for e in runindex.entries()] + local_dirs:
        key = _key(folder)
        if key not in seen:
            seen.add(key)
            out.append(folder)
    return out


def all_runs(local: Path = LOCAL_OUT) -> list[dict[str, Any]]:
    """`runs` without --out: every run this user started, from any folder, and ./checkpoints."""
    return [row for row in map(run_row, known_folders(local)) if row is not None]


@dataclass(frozen=True)
class LiveRun:
    """A run of this user whose trainer is live (or, on another host, says it is)."""

    path: Path
    state: Observed
    step: int
    total: int | None
    started: float

    def describe(self) -> str:
        step = f"step {self.step}/{self.total}" if self.total else f"step {self.step}"
        return one_line(f"{self.path} ({self.state}, {step})")


def live_runs(local: Path = LOCAL_OUT) -> list[LiveRun]:
    """This user's live runs, the most recently started first. Reads status.json and the
    run's lock only (no records): cheap enough before every plain `tui-gan`."""
    found = []
    for folder in known_folders(local):
        status = read_status(folder)
        state = run_state(folder, status)
        if state not in LIVE_STATES or status is None or not _mine(folder):
            continue
        started = status.started or status.updated or 0.0
        found.append(LiveRun(folder, state, status.step or 0, status.total_steps, started))
    return sorted(found, key=lambda r: r.started, reverse=True)


def _mine(folder: Path) -> bool:
    """Started by this user: the folder is theirs (./checkpoints may be shared)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    try:
        return folder.stat().st_uid == getuid()
    except OSError:
        return False


def _sweep_row(folder: Path) -> dict[str, Any] | None:
    """A sweep folder as one row: its progress instead of a step, its runs counted by state."""
    from tui_gan.sweep.progress import progress_text, read_meta, run_rows, summary

    meta = read_meta(folder)
    if meta is None:
        return None
    rows = run_rows(folder, meta)
    counts = summary(rows)
    updated = max([_mtime(folder / SWEEP)] + [_mtime(folder / r.name / METRICS) for r in rows])
    preset = meta.get("preset")
    return {
        "name": folder.name,
        "path": str(folder),
        "preset": Path(preset).stem if isinstance(preset, str) else None,
        "state": "sweep",
        "step": counts["finished"],
        "total": len(rows),
        "loss_d": None,
        "loss_g": None,
        "losses": {},
        "fid": None,
        "w1": None,
        "eval_step": None,
        "started": None,
        "updated": updated,
        "error": None,
        "format": None,
        "sweep": {**counts, "progress": progress_text(counts, len(rows))},
    }


def _ago(t: float) -> str:
    s = max(0, int(time.time() - t))
    if s < 60:
        return f"{s}s ago"
    if s < 3600:
        return f"{s // 60}m ago"
    if s < 86400:
        return f"{s // 3600}h ago"
    if s < 60 * 86400:
        return f"{s // 86400}d ago"
    return time.strftime("%Y-%m-%d", time.localtime(t))


def _eval_cell(r: dict[str, Any]) -> str:
    if r.get("fid") is not None:
        return f"FID={r['fid']:.2f}"
    if r.get("w1") is not None:
        return f"W1={r['w1']:.3g}"
    return "--"


def _cells(r: dict[str, Any], whole: bool) -> dict[str, str]:
    """A row as text by column; names come from the file system and status.json, so control
    characters (and anything a terminal would act on) are shown escaped, and spaces as '_'.
    `whole`: a sweep's full progress in its step cell (a pipe), else only finished/total."""
    step = f"{r['step']}/{r['total']}" if r["total"] else str(r["step"])
    if r.get("sweep") and whole:
        step = r["sweep"]["progress"]
    updated = _ago(r["updated"]) if r["updated"] else "--"
    name, preset = (one_line(v).replace(" ", "_") for v in (r["name"], r["preset"] or "?"))
    # One word (G=1.204,D=0.693): a pipe's reader splits rows on spaces.
    losses = ",".join(f"{k.replace(' loss', '')}={v:.3f}" for k, v in r["losses"].items())
    return {
        "run": name,
        "preset": preset,
        "state": r["state"],
        "step": step,
        "eval": _eval_cell(r),
        "losses": losses or "--",
        "updated": updated,
    }


def _note(r: dict[str, Any]) -> str | None:
    """The line under a row on a terminal: a failure's reason, a sweep's progress."""
    if r.get("error"):
        return f"{r['state']}: {one_line(r['error'])}"
    if r.get("sweep"):
        return r["sweep"]["progress"]
    return None


def _fold(text: str, width: int) -> list[str]:
    """Cut a long word into lines of `width` (every character kept: no ellipsis)."""
    width = max(1, width)
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _home(path: str) -> str:
    home = str(Path.home())
    return "~" + path[len(home) :] if path == home or path.startswith(home + os.sep) else path


Styled = tuple[str, str | None, tuple[int, int] | None]  # a line, a style, where it applies


def table_lines(
    rows: list[dict[str, Any]], width: int | None, grouped: bool = False
) -> list[Styled]:
    """The table as lines, each with a style and the span it applies to (None: the whole
    line). `width`: a terminal's columns (columns dropped, long names folded, notes wrapped:
    no line is longer and nothing is cut); None: a pipe or a file (every column, whole values,
    a row per run with its path and reason last, for grep and awk). `grouped`: rows from many
    folders, under a heading per folder."""
    if width is None:
        columns = [*COLUMNS, *(("path",) if grouped else ()), "reason"]
        table = [columns]
        for r in rows:
            cells = _cells(r, whole=True)
            cells["path"] = one_line(r["path"]).replace(" ", "_")
            cells["reason"] = one_line(r["error"]) if r.get("error") else "--"
            table.append([cells[c] for c in columns])
        widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
        return [
            (GAP.join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), None, None)
            for row in table
        ]
    cells = [_cells(r, whole=False) for r in rows]
    columns = list(COLUMNS)
    widths = {c: max([len(c)] + [len(x[c]) for x in cells]) for c in columns}

    def total() -> int:
        return sum(widths[c] for c in columns) + len(GAP) * (len(columns) - 1)

    for col in DROP_ORDER:
        if total() <= width:
            break
        room = width - (total() - widths["run"])
        if col == "updated" and room >= MIN_NAME:
            break  # a long name folds before the age of every run goes
        columns.remove(col)
    if total() > width:  # still too wide: long names fold onto more lines, never cut
        widths["run"] = max(8, width - (total() - widths["run"]))
    at = columns.index("state")
    state_at = sum(widths[c] for c in columns[:at]) + len(GAP) * at

    def line(values: dict[str, str]) -> list[str]:
        parts = {c: _fold(values[c], widths[c]) if c == "run" else [values[c]] for c in columns}
        out = []
        for i in range(max(len(p) for p in parts.values())):
            texts = []
            for c in columns:
                text = parts[c][i] if i < len(parts[c]) else ""
                texts.append(text.rjust(widths[c]) if c in RIGHT else text.ljust(widths[c]))
            out.append(GAP.join(texts).rstrip())
        return out

    out: list[Styled] = [(ln, "bold", None) for ln in line({c: c for c in columns})]
    heading = None
    for r, values in zip(rows, cells, strict=True):
        folder = str(Path(r["path"]).parent)
        if grouped and folder != heading:
            heading = folder
            out += [(ln, "bold", None) for ln in _fold(one_line(_home(folder)), width)]
        span = (state_at, state_at + len(values["state"]))
        style = STATE_STYLES.get(r["state"], "magenta")
        out += [(ln, style if i == 0 else None, span) for i, ln in enumerate(line(values))]
        note = _note(r)
        if note:
            wrapped = textwrap.wrap(
                note, width, initial_indent="  ", subsequent_indent="    ", break_long_words=True
            )
            out += [(ln, "red" if r.get("error") else "dim", None) for ln in wrapped]
    return out


STATE_STYLES: dict[Observed | str, str] = {
    "running": "green",
    "paused": "yellow",
    "failed": "red",
    "finished": "blue",
    "sweep": "cyan",
}


def run_runs(out: Path | None, as_json: bool = False) -> None:
    """`out`: that folder's runs only; None: every run this user started, and ./checkpoints."""
    if out is None:
        rows = sorted(all_runs(), key=lambda r: r["updated"])
        groups: dict[str, float] = {}
        for r in rows:  # each folder's group where its newest run is: the newest last
            groups[str(Path(r["path"]).parent)] = r["updated"]
        order = {folder: i for i, folder in enumerate(sorted(groups, key=groups.__getitem__))}
        rows.sort(key=lambda r: (order[str(Path(r["path"]).parent)], r["name"]))
    else:
        rows = list_runs(out)
    for r in rows:
        if r.get("sweep"):
            continue  # a sweep's runs are checked when they are opened
        problem = RunDir(Path(r["path"])).format_problem(r["format"])
        if problem:
            print(f"note: {one_line(problem)}", file=sys.stderr)
    if as_json:
        print(json.dumps(rows))
        return
    if not rows:
        if out is not None:
            print(one_line(f"no runs under {out}"))
        else:
            print(
                one_line(
                    f"no runs yet: none started by this user (index: {runindex.state_dir()}) "
                    f"and none under ./{LOCAL_OUT}"
                )
            )
        return
    grouped = out is None and len({str(Path(r["path"]).parent) for r in rows}) > 1
    if not sys.stdout.isatty():
        # For grep, awk and logs: whole values, space-aligned, no colour, never cut.
        for text, _, _ in table_lines(rows, None, grouped=out is None):
            print(text)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    for text, style, span in table_lines(rows, console.width, grouped):
        line = Text(text)
        if style and span:
            line.stylize(style, *span)
        elif style:
            line.stylize(style)
        console.print(line, soft_wrap=True)


def run_stop(run_dir: Path, timeout: float) -> None:
    """Ask a live run to save and stop; exit 0 only once it has, with a checkpoint that loads
    (a trainer killed on the way is one line and exit 1, naming what is left to resume)."""
    from tui_gan.stopping import stop_outcome

    if not os.path.lexists(run_dir):
        raise UsageError(f"{run_dir}: no such folder")
    state = run_state(run_dir)
    if state == "unknown":
        raise UsageError(f"{run_dir}: not a tui-gan run directory (no status.json)")
    if state == "unreadable":
        raise UsageError(f"{run_dir}: status.json is unreadable; the run cannot be steered")
    if state not in LIVE_STATES:
        print(one_line(f"{run_dir}: not running ({state})"))
        return
    if not request(run_dir, stop=True):
        raise UsageError(why_not_live(run_dir))
    deadline = time.monotonic() + timeout
    while run_state(run_dir) in LIVE_STATES:
        if time.monotonic() > deadline:
            raise UsageError(f"{run_dir}: still running after {timeout:.0f}s; try again")
        time.sleep(0.1)
    outcome = stop_outcome(run_dir)
    if not outcome.ok:
        raise TuiGanError(outcome.line)
    print(outcome.line)
