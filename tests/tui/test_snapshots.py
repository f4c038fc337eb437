"""SVG snapshots of the dashboard at fixed sizes, fed by a deterministic run directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.fakerun import make_run, settle
from tui_gan.tui.app import Dashboard


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # paths on screen are relative, so the snapshot is stable
    return tmp_path


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
def test_dashboard_snapshot(snap_compare, in_tmp: Path, size):
    run = make_run(Path("runs"))
    assert snap_compare(Dashboard(attach=run), terminal_size=size, run_before=settle)


def test_mode_collapse_alarm_snapshot(snap_compare, in_tmp: Path):
    run = make_run(Path("runs"), collapse=True)
    assert snap_compare(Dashboard(attach=run), terminal_size=(100, 30), run_before=settle)


def test_toy1d_snapshot(snap_compare, in_tmp: Path):
    run = make_run(Path("runs"), name="toy-run", toy=True)
    assert snap_compare(Dashboard(attach=run), terminal_size=(100, 30), run_before=settle)
