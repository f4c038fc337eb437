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


def cli(*args: str, columns: int = 80, **env: str):
    """(exit code, stdout, stderr) of `tui-gan ARGS` run in this process: its stdout a pipe,
    `columns` wide."""
    res = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns), "LINES": "24", **env})
    return res.exit_code, res.stdout, res.stderr


ESC = "\x1b"


def fits(stdout: str, columns: int) -> None:
    """Nothing cut or wrapped by the terminal, nothing a terminal would act on."""
    assert ESC not in stdout
    assert all(len(line) <= columns for line in stdout.splitlines())
    assert all(0x20 <= ord(c) <= 0x7E for c in stdout.replace("\n", ""))


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
    samples = records(cond_run, "samples")[-1]  # an early grid first, then step 30's
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
    head, *picture, run, shape = stdout.splitlines()
    assert code == 0 and head.split() == list("0123456789")  # a label over each class
    assert picture and set("".join(picture)) <= set(RAMP)  # the ASCII ramp
    assert run == "c @ step 30, EMA generator" and "1 row " in shape and "10 classes" in shape


@pytest.mark.parametrize("columns", [80, 100])
def test_grid_and_interpolate_print_a_caption_that_fits(cond_run: Path, columns: int):
    code, stdout, stderr = cli("grid", str(cond_run), "--rows", "2", columns=columns)
    assert code == 0, stderr
    fits(stdout, columns)
    lines = stdout.splitlines()
    assert lines[0].split() == list("0123456789")
    caption = " ".join(lines[-2:])
    assert "c @ step 30, EMA generator" in caption and "2 rows" in caption
    code, stdout, stderr = cli("interpolate", str(cond_run), "--rows", "2", columns=columns)
    assert code == 0, stderr
    fits(stdout, columns)
    lines = stdout.splitlines()
    # t over each column: the walk's ends marked, the steps between them as numbers.
    assert lines[0].split() == ["t=0", "0.11", "0.22", "0.33", "0.44", "0.56", "0.67", "0.78",
                                "0.89", "t=1"]  # fmt: skip
    caption = " ".join(line for line in lines if not set(line) <= set(RAMP))
    assert "c @ step 30, EMA generator" in caption and "2 walks of 10 steps" in caption
    assert "z0 (t=0)" in caption and "z1 (t=1)" in caption


def test_interpolate_marks_where_t_0_and_1_fall(cond_run: Path):
    code, stdout, _ = cli(
        "interpolate", str(cond_run), "--rows", "1", "--steps", "4", "--range", "-1,2", "--raw"
    )
    assert code == 0 and stdout.splitlines()[0].split() == ["-1", "t=0", "t=1", "2"]
    caption = " ".join(stdout.splitlines()[-3:])
    assert "raw generator" in caption and "past them" in caption
    code, stdout, _ = cli(
        "interpolate", str(cond_run), "--rows", "1", "--steps", "5", "--range", "-0.5,1.5"
    )
    assert code == 0 and stdout.splitlines()[0].split() == ["-0.5", "t=0", "0.5", "t=1", "1.5"]
    code, stdout, _ = cli(
        "interpolate", str(cond_run), "--rows", "1", "--steps", "4", "--range", "-0.5,1.5"
    )
    caption = " ".join(stdout.splitlines()[-4:])
    assert code == 0 and "t=0 falls between columns 1 and 2" in caption
    assert "t=1 falls between columns 3 and 4" in caption


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


@pytest.mark.parametrize("columns", [80, 100])
def test_an_unconditional_grid_and_sample_into_a_pipe_are_plain_text(columns: int):
    run = str(FORMAT1 / "mnist-v1")
    code, stdout, stderr = cli("grid", run, "--rows", "2", columns=columns)
    assert code == 0, stderr
    fits(stdout, columns)
    assert stdout.splitlines()[-2:] == [
        "mnist-v1 @ step 40, raw generator",
        "2 rows of 10 independent samples",
    ]
    code, stdout, stderr = cli("sample", run, columns=columns)
    assert code == 0, stderr
    fits(stdout, columns)
    assert stdout.strip() and set(stdout) <= set(RAMP + "\n")
    # Colour only when asked for, even into a pipe: the 16 standard colours.
    code, stdout, _ = cli("sample", run, columns=columns, TUI_GAN_RENDER="16")
    assert code == 0 and "\x1b[3" in stdout and "\x1b[38;" not in stdout


def test_render_16_is_an_option():
    from tui_gan.cli.app import RenderChoice

    if "16" not in {c.value for c in RenderChoice}:
        pytest.skip("cli/app.py's RenderChoice has no 16 yet")
    code, stdout, stderr = cli("sample", str(FORMAT1 / "mnist-v1"), "--render", "16")
    assert code == 0, stderr
    assert "\x1b[3" in stdout and "\x1b[38;" not in stdout and "\x1b[48;" not in stdout


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        # Colour (forced: the test's stdout is a pipe): 14 px tiles, 5 x 3 in 80x22, 6 x 3
        # in 100x28 (two lines kept for the caption and the prompt).
        ({"COLUMNS": "80", "LINES": "24", "TUI_GAN_RENDER": "256"}, 15),
        ({"COLUMNS": "100", "LINES": "30", "TUI_GAN_RENDER": "256"}, 18),
        # The ASCII ramp: two characters a pixel and a line a pixel row, so fewer.
        ({"COLUMNS": "100", "LINES": "30", "TUI_GAN_RENDER": "ascii"}, 3),
    ],
)
def test_sample_in_a_terminal_draws_as_many_as_fit_legibly(monkeypatch, capsys, env, shown):
    from tui_gan.cli.sample import run_sample

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    run_sample(str(FORMAT1 / "mnist-v1"), None, 0, None, "cpu")
    out, err = capsys.readouterr()
    assert err.startswith(f"{shown} samples from the live generator")
    lines = out.splitlines()
    assert len(lines) <= int(env["LINES"]) - 2
    width = max(len(line) for line in lines) if env["TUI_GAN_RENDER"] == "ascii" else None
    if width is not None:
        assert width <= int(env["COLUMNS"])
    run_sample(str(FORMAT1 / "mnist-v1"), 4, 0, None, "cpu")  # --n 4: four, whatever fits
    assert capsys.readouterr().err.startswith("4 samples")
