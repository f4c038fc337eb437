"""`train`'s progress bar at 80 and 100 columns (issue 23): the step count and the ETA are
whole; the losses give way, field by field, to what fits."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from tui_gan.cli.train import RichReporter, _fit
from tui_gan.engine import events as ev


def bar_text(width: int) -> str:
    console = Console(file=StringIO(), width=width, force_terminal=True, color_system=None)
    rep = RichReporter(console)
    rep.handle(ev.RunStarted(step=0, total_steps=12000, preset="mnist-mlp", run_dir=Path("/r")))
    m = ev.StepMetrics(step=3000, epoch=1.0, time=10.0, loss_d=1.234, loss_g=0.987,
                       d_real=0.612, d_fake=0.401, img_per_s=4401.0)  # fmt: skip
    rep.handle(m)
    out = Console(file=StringIO(), width=width, color_system=None, legacy_windows=False)
    out.print(rep.progress.make_tasks_table(rep.progress.tasks))
    rep.close()
    return out.file.getvalue()


@pytest.mark.parametrize("width", [80, 100, 160])
def test_the_bar_keeps_step_and_eta_whole(width: int):
    text = bar_text(width)
    (line,) = [ln for ln in text.splitlines() if ln.strip()]
    assert len(line) <= width and "…" not in line
    assert "3000/12000" in line and "ETA" in line and "4,401 img/s" in line
    if width >= 160:
        assert "D(G(z)) 0.401" in line  # room for every field


def test_fit_keeps_whole_fields_from_the_left():
    assert _fit("a 1  b 2  c 3", 8) == "a 1  b 2"
    assert _fit("a 1  b 2", 2) == ""
