"""How D and G start in a warm-started GAN against one from scratch: the logged G/D loss ratio
and FID at matching steps, read from the runs' metrics.jsonl (no model needed).

    python benchmarks/warm_start.py WARM_RUN SCRATCH_RUN
"""

from __future__ import annotations

import sys
from pathlib import Path

from tui_gan.engine import events as ev
from tui_gan.view.runview import DOMINANCE_RATIO


def records(run: Path) -> tuple[dict[int, ev.StepMetrics], dict[int, ev.Evaluated]]:
    steps, evals = {}, {}
    for e in ev.iter_events(run / "metrics.jsonl"):
        if isinstance(e, ev.StepMetrics):
            steps[e.step] = e
        elif isinstance(e, ev.Evaluated):
            evals[e.step] = e
    return steps, evals


def main(warm: Path, scratch: Path) -> None:
    (ws, we), (ss, se) = records(warm), records(scratch)
    side = f"{'G/D':>9} {'D(x)':>6} {'D(G(z))':>8}"
    print(f"{'':>6} | {'warm-started':^25} | {'from scratch':^25}")
    print(f"{'step':>6} | {side} | {side}")
    for step in sorted(ws)[:8] + sorted(ws)[8::8]:
        a, b = ws[step], ss.get(step)
        right = f"{b.g_d_ratio or 0:>9.2f} {b.d_real:>6.3f} {b.d_fake:>8.3f}" if b else ""
        print(f"{step:>6} | {a.g_d_ratio or 0:>9.2f} {a.d_real:>6.3f} {a.d_fake:>8.3f} | {right}")
    for name, steps in (("warm", ws), ("scratch", ss)):
        flagged = [s for s, e in steps.items() if (e.g_d_ratio or 0) >= DOMINANCE_RATIO]
        peak = max(steps.values(), key=lambda e: e.g_d_ratio or 0)
        print(
            f"{name}: D DOMINATES flagged in {len(flagged)} of {len(steps)} records"
            f"{f' (steps {flagged[0]}-{flagged[-1]})' if flagged else ''}; "
            f"peak G/D {peak.g_d_ratio} at step {peak.step}"
        )
    print(f"{'step':>6} {'warm FID':>9} {'scratch FID':>12}")
    for step in sorted(set(we) | set(se)):
        w, s = we.get(step), se.get(step)
        print(
            f"{step:>6} {w.fid if w else float('nan'):>9.2f} {s.fid if s else float('nan'):>12.2f}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
