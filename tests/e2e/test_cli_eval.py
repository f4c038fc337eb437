"""End to end: periodic eval records, `tui-gan eval --json`, `tui-gan compare`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.e2e

KEYS = {
    "fid",
    "precision",
    "recall",
    "density",
    "coverage",
    "class_counts",
    "class_entropy",
    "classes_covered",
    "class_kl",
    "n",
}


@pytest.fixture(scope="module")
def eval_runs(tmp_path_factory, mnist_classifiers) -> Path:
    out = tmp_path_factory.mktemp("evalruns")
    shutil.copytree(mnist_classifiers, out / "classifiers")
    # The LSGAN run also keeps a moving average of G (ema_decay): its samples come from that.
    for name, loss, ema in (("bce", "bce", 0), ("ls", "lsgan", 0.9)):
        res = run_cli(
            "train",
            "--steps",
            "40",
            "--out",
            str(out),
            "--name",
            name,
            "--set",
            "model.g_hidden=[64, 128]",
            "--set",
            "model.d_hidden=[128, 64]",
            "--set",
            f"loss.kind={loss}",
            "--set",
            f"model.ema_decay={ema}",
            "--set",
            "log.eval_every=20",
            "--set",
            "log.eval_n=500",
            "--set",
            "log.log_every=10",
        )
        assert res.returncode == 0, res.stderr
    return out


def test_eval_every_logs_eval_records(eval_runs: Path):
    recs = [json.loads(x) for x in (eval_runs / "bce" / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in recs if r["type"] == "eval"]
    assert [r["step"] for r in evals] == [20, 40]
    for r in evals:
        assert KEYS <= r.keys() and r["n"] == 500 and r["fid"] > 0
        assert 0 <= r["precision"] <= 1 and 0 <= r["coverage"] <= 1


def test_eval_json_has_every_key(eval_runs: Path):
    res = run_cli("eval", str(eval_runs / "bce"), "--n", "600", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert KEYS <= out.keys() and out["n"] == 600 and out["step"] == 40
    assert len(out["class_counts"]) == 10 and sum(out["class_counts"]) == 600


def test_eval_and_sample_use_the_average_unless_raw(eval_runs: Path, tmp_path: Path):
    recs = [json.loads(x) for x in (eval_runs / "ls" / "metrics.jsonl").read_text().splitlines()]
    assert {r["generator"] for r in recs if r["type"] in ("eval", "samples")} == {"ema"}
    runs = {
        raw: json.loads(run_cli("eval", str(eval_runs / "ls"), "--n", "300", "--json", *raw).stdout)
        for raw in ((), ("--raw",))
    }
    assert runs[()]["generator"] == "ema" and runs[("--raw",)]["generator"] == "live"
    assert runs[()]["fid"] != runs[("--raw",)]["fid"]
    plain = json.loads(run_cli("eval", str(eval_runs / "bce"), "--n", "300", "--json").stdout)
    assert plain["generator"] == "live"  # a run without the average has only G
    ema_npz, raw_npz = tmp_path / "ema.npz", tmp_path / "raw.npz"
    res = run_cli("sample", str(eval_runs / "ls"), "--n", "8", "--out", str(ema_npz))
    assert res.returncode == 0 and "from the EMA generator" in res.stdout
    res = run_cli("sample", str(eval_runs / "ls"), "--n", "8", "--out", str(raw_npz), "--raw")
    assert res.returncode == 0 and "from the live generator" in res.stdout
    import numpy as np

    assert not np.array_equal(np.load(ema_npz)["images"], np.load(raw_npz)["images"])


def test_eval_table_and_the_inception_error(eval_runs: Path, tmp_path: Path, monkeypatch):
    res = run_cli("eval", str(eval_runs / "bce"), "--n", "300")
    assert res.returncode == 0 and "precision" in res.stdout and "coverage" in res.stdout
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    res = run_cli("eval", str(eval_runs / "bce"), "--n", "300", "--fid", "inception")
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert "pt_inception-2015-12-05-6726825d.pth" in res.stderr and str(tmp_path) in res.stderr


def test_eval_of_a_1d_run(tmp_path: Path):
    res = run_cli(
        "train",
        "--preset",
        "toy1d-sine",
        "--steps",
        "30",
        "--out",
        str(tmp_path),
        "--name",
        "toy",
        "--set",
        "log.eval_every=30",
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(run_cli("eval", str(tmp_path / "toy"), "--n", "2000", "--json").stdout)
    assert {"w1", "ks", "n"} <= out.keys() and out["n"] == 2000 and 0 <= out["ks"] <= 1


def test_compare_marks_the_best_of_each_column(eval_runs: Path):
    res = run_cli("compare", str(eval_runs / "bce"), str(eval_runs / "ls"))
    assert res.returncode == 0, res.stderr
    assert "bce" in res.stdout and "ls" in res.stdout and "fid" in res.stdout
    assert res.stdout.count("*") >= 8  # one best per column, and the caption's mark
