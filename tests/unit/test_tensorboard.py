"""TensorBoard: a run's records as event files, live (train --tensorboard) or converted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.tui.fakerun import make_run
from tui_gan.cli.app import app
from tui_gan.config import validate
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run


def scalars(logdir: Path) -> dict[str, list[tuple[int, float]]]:
    """The event files' scalars, read back with TensorBoard's own loader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_report_converts_a_finished_run(tmp_path: Path):
    runs = make_run(tmp_path, name="r")
    res = CliRunner().invoke(app, ["report", str(runs), "--tensorboard"])
    assert res.exit_code == 0, res.stdout
    got = scalars(runs / "tensorboard")
    assert [s for s, _ in got["train/loss_d"]] == list(range(10, 401, 10))
    assert got["eval/fid"] and got["train/g_d_ratio"]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(runs / "tensorboard"))
    acc.Reload()
    assert acc.Tags()["images"] == ["samples/fixed"]


def test_train_writes_event_files_as_it_goes(tmp_path: Path):
    preset = validate(
        {
            "data": {"name": "toy1d"},
            "model": {"family": "toy1d", "g_hidden": [8], "d_hidden": [8], "latent_dim": 2},
            "train": {"steps": 6, "batch_size": 16},
            "log": {"log_every": 2, "eval_every": 6, "tensorboard": str(tmp_path / "tb")},
        },
        "t",
    )
    list(run(RunSpec(preset, tmp_path / "run")))
    got = scalars(tmp_path / "tb")
    assert [s for s, _ in got["train/loss_g"]] == [2, 4, 6]
    assert [s for s, _ in got["eval/w1"]] == [6]


def test_without_tensorboard_installed_it_is_one_line(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    res = CliRunner().invoke(app, ["report", str(make_run(tmp_path)), "--tensorboard"])
    assert res.exit_code == 2
    assert "pip install 'tui-gan[tensorboard]'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("bad", ["", "x"])
def test_report_tensorboard_on_a_non_run_is_one_line(tmp_path: Path, bad: str):
    res = CliRunner().invoke(app, ["report", str(tmp_path / bad), "--tensorboard"])
    assert res.exit_code == 2 and "not a run directory" in res.stderr


def test_the_train_flag_is_the_preset_field(tmp_path: Path):
    from tests.conftest import run_cli

    tb = tmp_path / "tb dir"  # a space: the flag's value is quoted into the override
    res = run_cli(
        "train", "--preset", "toy1d-sine", "--steps", "4", "--out", str(tmp_path),
        "--name", "t", "--tensorboard", str(tb), "--set", "log.log_every=2",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert f'tensorboard = "{tb}"' in (tmp_path / "t" / "preset.toml").read_text()
    assert [s for s, _ in scalars(tb)["train/loss_d"]] == [2, 4]
