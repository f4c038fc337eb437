"""A real conditional run (the CLI in a subprocess), then its grid, latent walks and eval
keys through Typer's CliRunner: the same commands in-process, without a torch import each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import run_cli
from tui_gan.cli.app import app
from tui_gan.render.ascii import RAMP


def cli(*args: str):
    """(exit code, stdout, stderr) of `tui-gan ARGS` run in this process."""
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


pytestmark = pytest.mark.e2e
FORMAT1 = Path(__file__).parent.parent / "data" / "format1"  # real unconditional runs


@pytest.fixture(scope="module")
def cond_run(tmp_path_factory, mnist_classifiers) -> Path:
    out = tmp_path_factory.mktemp("cond")
    shutil.copytree(mnist_classifiers, out / "classifiers")
    res = run_cli(
        "train",
        "--preset",
        "mnist-cdcgan",
        "--steps",
        "30",
        "--out",
        str(out),
        "--name",
        "c",
        "--set",
        "model.g_hidden=[8]",
        "--set",
        "model.d_hidden=[8]",
        "--set",
        "log.sample_every=30",
        "--set",
        "log.eval_every=30",
        "--set",
        "log.eval_n=200",
        "--set",
        "log.count_samples=100",
    )
    assert res.returncode == 0, res.stderr
    return out / "c"


def records(run: Path, kind: str) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["type"] == kind]


def test_a_conditional_run_records_its_noise_by_class_grid_and_accuracy(cond_run: Path):
    (samples,) = records(cond_run, "samples")
    assert samples["nrow"] == 10 and samples["fresh_nrow"] == 10  # a column per class
    assert len(samples["cond_accuracy"]) == 10
    assert all(0 <= a <= 1 for a in samples["cond_accuracy"])
    (ev,) = records(cond_run, "eval")
    assert ev["cond_accuracy"] == pytest.approx(np.mean(ev["cond_accuracy_per_class"]), abs=1e-6)
    ckpt = records(cond_run, "checkpoint")[-1]
    assert ckpt["interp"] == "samples/interp.png" and ckpt["interp_steps"] == 8
    from PIL import Image

    with Image.open(cond_run / "samples" / "interp.png") as img:  # 4 walks of 8 steps
        assert img.size == (2 + 8 * 30, 2 + 4 * 30)


def test_eval_json_adds_the_conditional_accuracy(cond_run: Path):
    code, stdout, stderr = cli("eval", str(cond_run), "--n", "100", "--json")
    assert code == 0, stderr
    out = json.loads(stdout)
    assert 0 <= out["cond_accuracy"] <= 1 and len(out["cond_accuracy_per_class"]) == 10


def test_grid_npz_is_row_by_row_with_a_column_per_class(cond_run: Path, tmp_path: Path):
    code, stdout, stderr = cli(
        "grid", str(cond_run), "--rows", "3", "--seed", "4", "--out", str(tmp_path / "g.npz")
    )
    assert code == 0, stderr
    assert "3 rows x 10 classes" in stdout
    data = np.load(tmp_path / "g.npz")
    assert data["images"].shape == (30, 1, 28, 28) and data["images"].dtype == np.uint8
    assert data["labels"].tolist() == list(range(10)) * 3
    code, *_ = cli("grid", str(cond_run), "--rows", "3", "--out", str(tmp_path / "g.png"))
    assert code == 0 and (tmp_path / "g.png").stat().st_size > 0
    code, stdout, _ = cli("grid", str(cond_run), "--rows", "1")  # drawn, here into a pipe:
    assert code == 0 and stdout.strip() and set(stdout) <= set(RAMP + "\n")  # the ASCII ramp


def test_interpolate_walks_extrapolates_and_holds_the_class(cond_run: Path, tmp_path: Path):
    out = tmp_path / "walk.npz"
    code, _, stderr = cli(
        "interpolate", str(cond_run), "--rows", "2", "--steps", "4", "--range", "-1,2",
        "--mode", "slerp", "--class", "3", "--out", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    data = np.load(out)
    assert data["images"].shape == (8, 1, 28, 28)
    assert data["t"].tolist() == [-1.0, 0.0, 1.0, 2.0]
    assert set(data["labels"].tolist()) == {3}
    code, stdout, _ = cli("interpolate", str(cond_run), "--out", str(tmp_path / "walk.png"))
    assert code == 0 and "6 walks of 10 steps, t from 0 to 1 (linear)" in stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["interpolate", "COND", "--class", "10"], "--class 10: expected a class in 0..9"),
        (["interpolate", "COND", "--range", "2,1"], "--range 2,1: expected A,B with A < B"),
        (["interpolate", "COND", "--range", "0,1e9"], "expected numbers within [-100, 100]"),
        (["grid", "COND", "--out", "x.jpg"], "--out x.jpg: expected FILE.png or FILE.npz"),
        (["interpolate", "MNIST1", "--class", "1"], "is not a conditional run"),
        (["grid", "TOY1"], "a 1-D run has no images"),
    ],
)
def test_bad_requests_are_one_line(cond_run: Path, args: list[str], message: str):
    where = {
        "COND": str(cond_run),
        "MNIST1": str(FORMAT1 / "mnist-v1"),
        "TOY1": str(FORMAT1 / "toy-v1"),
    }
    code, _, stderr = cli(*[where.get(a, a) for a in args])
    assert code == 2, stderr
    assert message in stderr and len(stderr.strip().splitlines()) == 1


def test_an_unconditional_grid_is_rows_of_ten(tmp_path: Path):
    code, _, stderr = cli(
        "grid", str(FORMAT1 / "mnist-v1"), "--rows", "2", "--out", str(tmp_path / "p.npz")
    )
    assert code == 0, stderr
    data = np.load(tmp_path / "p.npz")
    assert data["images"].shape == (20, 1, 28, 28) and set(data["labels"].tolist()) == {-1}
