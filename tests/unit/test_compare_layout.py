"""`compare` at 80 and 100 columns, in a pipe and as JSON (issue 23): nothing cut, a 1-D
run's W1 and KS kept beside image runs' FID, and an evaluation never silent."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.tui.fakerun import make_run
from tui_gan.cli import evaluate
from tui_gan.cli.app import app


@pytest.fixture
def runs(tmp_path: Path) -> list[Path]:
    return [
        make_run(tmp_path, name="mnist-mlp-a-long-run-name"),
        make_run(tmp_path, name="toy", toy=True),
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("width", [80, 100])
def test_on_a_terminal_it_fits_and_cuts_nothing(runs, monkeypatch, width: int):
    monkeypatch.setenv("COLUMNS", str(width))
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    evaluate.run_compare(runs)
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue())  # colour codes take no columns
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert all(len(ln) <= width for ln in lines), text
    assert "…" not in text
    for metric in ("fid", "w1", "ks", "mnist-mlp-a-long-run-name", "toy"):
        assert metric in text, text


def test_in_a_pipe_whole_values_and_no_escapes(runs):
    res = CliRunner().invoke(app, ["compare", *map(str, runs)], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert "…" not in res.stdout and "\x1b" not in res.stdout
    header = res.stdout.splitlines()[0].split()
    assert {"fid", "w1", "ks"} <= set(header)


def test_json(runs):
    res = CliRunner().invoke(app, ["compare", "--json", *map(str, runs)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [r["run"] for r in out] == ["mnist-mlp-a-long-run-name", "toy"]
    assert out[0]["fid"] is not None and out[1]["w1"] is not None and out[1]["fid"] is None


def test_an_evaluation_is_announced(tmp_path: Path, monkeypatch, capsys):
    run = tmp_path / "noeval"
    run.mkdir()
    (run / "metrics.jsonl").write_text("")
    (run / "last.pt").write_bytes(b"x")
    monkeypatch.setattr(evaluate, "evaluate_checkpoint", lambda *a, **k: {"fid": 1.0})
    evaluate.final_metrics(run)
    assert "evaluating last.pt now" in capsys.readouterr().err


@pytest.mark.parametrize("width", [80, 100])
def test_eval_fits_the_terminal_and_cuts_no_value(monkeypatch, width: int):
    result = {"checkpoint": "/runs/a-run/last.pt", "step": 4000, "fid": 12.345,
              "fid_features": "classifier", "precision": 0.81, "recall": 0.52, "density": 0.9,
              "coverage": 0.7, "class_entropy": 0.99, "classes_covered": 10, "class_kl": 0.01,
              "n": 5000, "generator": "ema",
              "cond_accuracy_per_class": [0.91, 0.99, 0.8, 0.85, 0.9, 0.7, 0.95, 0.2, 0.88,
                                          0.9]}  # fmt: skip
    monkeypatch.setattr(evaluate, "evaluate_checkpoint", lambda *a, **k: result)
    monkeypatch.setenv("COLUMNS", str(width))
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    evaluate.run_eval("x", 10, "classifier", False, "cpu", 0, None)
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue())
    assert all(len(ln) <= width for ln in text.splitlines()), text
    assert "…" not in text and "12.345" in text and "0.20" in text
