"""The real `tui-gan report`: its one line on stdout and nothing else, whatever matplotlib says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.tui.fakerun import make_run

pytestmark = pytest.mark.e2e


def test_a_successful_report_prints_its_one_line_and_nothing_on_stderr(tmp_path: Path):
    # A config folder matplotlib cannot make (a read-only or shared home): it logs a warning
    # on import, then rebuilds its font cache, which logs another when it takes a while.
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = make_run(tmp_path)
    res = subprocess.run(
        [sys.executable, "-m", "tui_gan", "report", str(run)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "MPLCONFIGDIR": str(blocker / "matplotlib")},
    )
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    figures = "classes.png, losses.png, outputs.png, quality.png, timeline.png"
    assert res.stdout.splitlines() == [
        f"wrote {run / 'report' / 'report.md'} and 5 figures: {figures} "
        "(report.md says why any is missing)"
    ]
