"""What the dashboard costs and how soon a run shows something, each measured on its own:

- startup: seconds from launching `tui-gan train` (headless) and `tui-gan dash` to the run's
  first step record and first sample grid, on the default preset, no classifier cached;
- throughput: img/s of one long headless run with `tui-gan attach` open (no keys pressed)
  against the same run with nothing attached, in alternated windows (ABBA order, so a drift
  of the machine's speed cancels); the figure is the median of the pairs' ratios;
- latency: key to screen, `tmux send-keys f` until `tmux capture-pane` shows the samples
  panel's new title (so it includes tmux), with attach open on the same run.

    python benchmarks/dashboard.py                  # all: 5 pairs of 40 s windows (~9 min)
    python benchmarks/dashboard.py --only latency   # one part
    python benchmarks/dashboard.py --smoke          # a short run of every part, no figures

The dashboard runs in a 100x30 tmux pane. The runs and the run index live in a temporary
folder (XDG_STATE_HOME too, so `dash` finds no other live run of yours to offer).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from first_samples import FirstTimes, read_records, watch

REPO = Path(__file__).resolve().parent.parent
PANE = ("-x", "100", "-y", "30")
# The samples panel's titles that `f` flips between (tui_gan/tui/widgets/samples.py).
TITLES = ("fresh samples", "fixed noise")
LONG = 10**8  # steps: the run outlives the benchmark, which stops it


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def pane(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


class Bench:
    def __init__(self, tmp: Path, preset: str):
        self.out, self.preset = tmp / "runs", preset
        self.env = {**os.environ, "XDG_STATE_HOME": str(tmp / "state")}
        self.env.pop("COLUMNS", None)
        self.env.pop("LINES", None)
        self.sessions: list[str] = []

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tui_gan", *args]

    def in_tmux(self, name: str, argv: list[str]) -> str:
        session = f"bench-{os.getpid()}-{name}"
        # `; sleep` keeps the pane, and a traceback in it, readable until the session is killed.
        state = shlex.quote(self.env["XDG_STATE_HOME"])
        line = f"env -u COLUMNS -u LINES XDG_STATE_HOME={state} {shlex.join(argv)}; sleep 600"
        tmux("new-session", "-d", "-s", session, *PANE, f"cd {shlex.quote(str(REPO))} && {line}")
        self.sessions.append(session)
        return session

    def close(self, session: str) -> None:
        tmux("kill-session", "-t", session)
        if session in self.sessions:
            self.sessions.remove(session)

    def start_trainer(self, name: str) -> tuple[subprocess.Popen, FirstTimes]:
        """A long headless run of the preset; its startup times."""
        argv = self.cli("train", "--preset", self.preset, "--steps", str(LONG))
        argv += ["--out", str(self.out), "--name", name]
        errors = self.out.parent / f"{name}.stderr"
        t0 = time.perf_counter()
        with open(errors, "wb") as err:
            proc = subprocess.Popen(
                argv, cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=err
            )
        times = watch(self.out / name, proc, t0, timeout=300)
        if proc.poll() is not None:
            raise SystemExit(f"the trainer ended: {errors.read_text()[-2000:]}")
        return proc, times

    def dash_startup(self) -> FirstTimes:
        name = "dash-startup"
        argv = self.cli("dash", "--preset", self.preset, "--steps", str(LONG))
        t0 = time.perf_counter()
        session = self.in_tmux(name, [*argv, "--out", str(self.out), "--name", name])
        try:
            times = watch_session(self.out / name, t0)
        finally:
            self.stop_run(self.out / name)
            self.close(session)
        return times

    def stop_run(self, run: Path) -> None:
        if (run / "metrics.jsonl").exists():
            subprocess.run(self.cli("stop", str(run)), env=self.env, capture_output=True)


def watch_session(run: Path, t0: float) -> FirstTimes:
    class NoProcess:  # the run is the dashboard's child: watch its records only
        def poll(self):
            return None

    return watch(run, NoProcess(), t0, timeout=300)  # type: ignore[arg-type]


def ready_for_windows(run: Path, timeout: float = 600) -> None:
    """Until a classifier trained alongside the run (data with none shipped) is ready:
    its slices would slow the first windows."""

    def ready() -> bool:
        notes = [r.get("message", "") for r in read_records(run / "metrics.jsonl")]
        training = any("trains alongside" in n for n in notes)
        return not training or any("classifier is ready" in n for n in notes)

    wait(ready, timeout, "the class-count classifier")


def img_per_s(run: Path, t_from: float, t_to: float) -> float:
    """The run's img/s between two of its elapsed times: each step record's rate (over the
    steps since the one before: samples, evaluations and checkpoints included) weighted by
    how much of its span lies in the window."""
    recs = [r for r in read_records(run / "metrics.jsonl") if r.get("type") == "step"]
    images = seconds = 0.0
    for before, r in zip(recs, recs[1:], strict=False):
        overlap = min(r["time"], t_to) - max(before["time"], t_from)
        if overlap > 0:
            images += r["img_per_s"] * overlap
            seconds += overlap
    if seconds < 0.9 * (t_to - t_from):
        raise SystemExit("the step records do not cover a window: is the run going?")
    return images / seconds


def run_clock(run: Path) -> float:
    """The run's elapsed time now: its latest record's, plus the wall time since it was
    written (records come every log_every steps, seconds apart on a loaded machine)."""
    path = run / "metrics.jsonl"
    recs = [r for r in read_records(path) if "time" in r]
    if not recs:
        return 0.0
    return recs[-1]["time"] + max(0.0, time.time() - path.stat().st_mtime)


def window_rate(run: Path, window: float) -> float:
    """img/s over the next `window` seconds of the run."""
    t_from = run_clock(run)
    time.sleep(window)
    t_to = t_from + window

    def covered() -> bool:
        steps = [r for r in read_records(run / "metrics.jsonl") if r.get("type") == "step"]
        return bool(steps) and steps[-1]["time"] >= t_to

    wait(covered, 300, "the step record after the window")  # it may be seconds away
    return img_per_s(run, t_from, t_to)


def throughput(b: Bench, run: Path, pairs: int, window: float, settle: float) -> list[tuple]:
    """[(headless img/s, attached img/s)] for each pair; order ABBA."""
    results = []
    for i in range(pairs):
        order = ("headless", "attached") if i % 2 == 0 else ("attached", "headless")
        rates = {}
        for mode in order:
            session = None
            if mode == "attached":
                session = b.in_tmux(f"attach{i}", b.cli("attach", str(run)))
                wait(lambda s=session: "img/s" in pane(s), 60, "the dashboard")
            time.sleep(settle)  # the dashboard's first paint, or the last one's exit, passes
            rates[mode] = window_rate(run, window)
            if session:
                b.close(session)
        results.append((rates["headless"], rates["attached"]))
        ratio = rates["attached"] / rates["headless"]
        print(
            f"  pair {i + 1} ({order[0]} first): headless {rates['headless']:7.0f}  "
            f"attached {rates['attached']:7.0f} img/s  ratio {ratio:.3f}",
            flush=True,
        )
    return results


def latency(b: Bench, run: Path, presses: int) -> list[float]:
    session = b.in_tmux("keys", b.cli("attach", str(run)))
    try:
        wait(lambda: "img/s" in pane(session) and TITLES[1] in pane(session), 60, "samples")
        out = []
        for i in range(presses):
            want = TITLES[i % 2]
            t0 = time.perf_counter()
            tmux("send-keys", "-t", session, "f")
            wait(lambda w=want: w in pane(session), 10, f"the title {want!r}")
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.3)
        return out
    finally:
        b.close(session)


def show_startup(label: str, t: FirstTimes) -> None:
    def s(v: float | None) -> str:
        return f"{v:.1f} s" if v is not None else "-"

    print(
        f"  {label:<22} start record {s(t.start):>7}, first step record {s(t.first_step):>7}, "
        f"first grid {s(t.first_samples):>7} (step {t.first_samples_step or '-'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mnist-mlp", help="default: the default preset")
    parser.add_argument("--only", choices=("startup", "throughput", "latency"), action="append")
    parser.add_argument("--pairs", type=int, default=5, help="throughput: windows of each kind")
    parser.add_argument("--window", type=float, default=40.0, help="throughput: seconds each")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before a window")
    parser.add_argument("--presses", type=int, default=20, help="latency: keys pressed")
    parser.add_argument("--smoke", action="store_true", help="1 pair of 5 s, 3 presses")
    args = parser.parse_args()
    if args.smoke:
        args.pairs, args.window, args.settle, args.presses = 1, 5.0, 1.0, 3
    parts = set(args.only or ("startup", "throughput", "latency"))
    if shutil.which("tmux") is None:
        raise SystemExit("needs tmux")
    print(f"{args.preset}{' (smoke run: not a measurement)' if args.smoke else ''}")
    with tempfile.TemporaryDirectory() as tmp:
        b = Bench(Path(tmp), args.preset)
        trainer = None
        try:
            if "startup" in parts:
                print("startup, seconds from launch (no classifier cached):")
                show_startup("tui-gan dash", b.dash_startup())
            trainer, times = b.start_trainer("long")  # every part's: its launch is timed too
            if "startup" in parts:
                show_startup("tui-gan train", times)
            run = b.out / "long"
            if parts & {"throughput", "latency"}:
                ready_for_windows(run)
            if "throughput" in parts:
                print(
                    f"throughput: {args.pairs} pairs of {args.window:.0f} s windows, "
                    "attach open (no keys) / nothing attached, one running trainer:"
                )
                pairs = throughput(b, run, args.pairs, args.window, args.settle)
                ratios = [a / h for h, a in pairs]
                print(
                    f"  median ratio {statistics.median(ratios):.3f} "
                    f"(headless median {statistics.median(h for h, _ in pairs):.0f} img/s)"
                )
            if "latency" in parts:
                lat = sorted(latency(b, run, args.presses))
                print(
                    f"latency: key f -> pane shows it (tmux, n={len(lat)}): "
                    f"median {statistics.median(lat):.0f} ms, "
                    f"p90 {lat[int(0.9 * (len(lat) - 1))]:.0f} ms, max {lat[-1]:.0f} ms"
                )
        finally:
            for session in list(b.sessions):
                b.close(session)
            if trainer is not None:
                trainer.send_signal(signal.SIGINT)  # stops at the next step, checkpointed
                try:
                    trainer.wait(60)
                except subprocess.TimeoutExpired:
                    trainer.kill()


if __name__ == "__main__":
    main()
