"""End to end: a real `tui-gan train` records its run, and `runs` finds it from another folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.e2e


def test_a_run_started_anywhere_is_listed_everywhere(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    (tmp_path / "project").mkdir()
    (tmp_path / "elsewhere").mkdir()
    res = run_cli(
        "train", "--preset", "toy1d-sine", "--steps", "20", "--set", "log.eval_every=10",
        "--name", "found-me", timeout=300, cwd=tmp_path / "project",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    run = tmp_path / "project" / "checkpoints" / "found-me"
    assert (tmp_path / "state" / "tui-gan" / "runs.json").exists()

    listed = run_cli("runs", "--json", timeout=120, cwd=tmp_path / "elsewhere")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert Path(row["path"]) == run and row["state"] == "finished"
    assert row["w1"] is not None  # a 1-D run's last evaluation

    table = run_cli("runs", timeout=120, cwd=tmp_path / "elsewhere")
    assert table.stdout.splitlines()[1].startswith("found-me")
    assert "W1=" in table.stdout and str(run) in table.stdout
