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


def no_eval_run(tmp_path: Path, name: str, checkpoint: bool = True) -> Path:
    """A run that trained (a step record) but logged no evaluation."""
    from tui_gan.engine import events as ev

    run = make_run(tmp_path, name=name, toy=True)
    lines = [ev.to_line(e) for e in ev.iter_events(run / "metrics.jsonl")]
    kept = [ln for ln in lines if '"type": "eval"' not in ln]
    (run / "metrics.jsonl").write_text("".join(kept))
    if checkpoint:
        (run / "last.pt").write_bytes(b"x")
    return run


def test_no_eval_lists_a_run_without_evaluation_as_not_evaluated(runs, tmp_path: Path, capsys,
                                                                monkeypatch):  # fmt: skip
    def never(*a, **k):
        raise AssertionError("--no-eval evaluated a run")

    monkeypatch.setattr(evaluate, "evaluate_checkpoint", never)
    bare = [no_eval_run(tmp_path, "bare"), no_eval_run(tmp_path, "no-ckpt", checkpoint=False)]
    evaluate.run_compare([*runs, *bare], evaluate=False)
    out = capsys.readouterr()
    assert out.err == ""  # nothing is evaluated, so nothing to announce
    assert out.out.count("not evaluated") == 2, out.out
    evaluate.run_compare([*runs, *bare], as_json=True, evaluate=False)
    rows = {r["run"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["bare"]["source"] == "not evaluated" and rows["bare"]["w1"] is None
    assert rows["bare"]["step"] == 400 and rows["toy"]["w1"] is not None


def fake_evaluation(*args, progress=None, **kwargs):
    """What evaluate_checkpoint tells its progress, without torch."""
    progress.stage("loading the checkpoint")
    progress.stage("note: a note on the data", note=True)
    progress.timed("drawing and scoring 5,000 samples", 30.0)
    return {"w1": 0.1, "ks": 0.05, "n": 5000, "step": 400}


def test_in_a_pipe_an_evaluation_is_one_line(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setattr(evaluate, "evaluate_checkpoint", fake_evaluation)
    runs = [no_eval_run(tmp_path, "first"), no_eval_run(tmp_path, "second")]
    evaluate.run_compare(runs)
    err = capsys.readouterr().err
    said = [ln for ln in err.splitlines() if "evaluating last.pt now on 5,000 samples" in ln]
    assert [ln.split(":")[0] for ln in said] == ["first", "second"], err
    assert "\x1b" not in err and "\r" not in err and "…" not in err


@pytest.mark.parametrize("ascii_only", [False, True])
def test_on_a_terminal_a_bar_with_an_estimate(monkeypatch, ascii_only: bool):
    import time

    monkeypatch.setenv("COLUMNS", "80")
    if ascii_only:
        monkeypatch.setenv("TUI_GAN_RENDER", "ascii")
    screen = Terminal()
    progress = evaluate.EvalProgress(screen)
    progress.begin("a-run", 5000)
    progress.stage("loading the classifier (or training it)")
    time.sleep(0.3)
    progress.timed("drawing and scoring 5,000 samples", 60.0)
    time.sleep(0.6)  # the bar redraws 4 times a second
    progress.end()
    text = screen.getvalue()
    frames = re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text))
    assert any("drawing and scoring 5,000 samples" in f and "of ~60 s" in f for f in frames)
    assert any("loading the classifier (or training it)" in f for f in frames)
    assert "a-run: no evaluation logged" in text and "a-run: evaluated in" in text
    assert all(len(f) <= 80 for f in frames), frames
    if ascii_only:
        assert all(" " <= c <= "~" for f in frames for c in f)
        assert any("[-" in f or "[#" in f for f in frames)


def test_the_no_eval_option_reaches_compare(tmp_path: Path, monkeypatch):
    from typer.testing import CliRunner

    from tui_gan.cli.app import app

    def never(*a, **k):
        raise AssertionError("--no-eval evaluated a run")

    monkeypatch.setattr(evaluate, "evaluate_checkpoint", never)
    run = no_eval_run(tmp_path, "bare")
    res = CliRunner().invoke(app, ["compare", "--no-eval", str(run)])
    assert res.exit_code == 0, res.output
    assert "not evaluated" in res.output
