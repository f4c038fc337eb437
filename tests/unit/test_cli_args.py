"""Argument handling and the one-line errors, through Typer's CliRunner (no subprocess)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui_gan.cli.app import app
from tui_gan.request import TrainArgs

TRAIN_OPTIONS = ("--preset", "--steps", "--epochs", "--set", "--out", "--name", "--resume")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def one_line_error(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tui-gan: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["train", "dash"])
def test_help_shows_every_option(command: str):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    for option in (*TRAIN_OPTIONS, "--device", "--seed"):
        assert option in result.stdout


@pytest.mark.parametrize("command", ["train", "dash"])
def test_steps_and_epochs_together(command: str, tmp_path: Path):
    line = one_line_error(invoke(command, "--steps", "5", "--epochs", "2", "--out", str(tmp_path)))
    assert line == "tui-gan: give --steps or --epochs, not both"


@pytest.mark.parametrize("command", ["train", "dash"])
@pytest.mark.parametrize(
    "args, words",
    [
        (("--preset", "no-such-preset"), "no-such-preset"),
        (("--set", "optim.g.lr=fast"), "optim.g.lr"),
        (("--name", "../escape"), "--name '../escape'"),
        (("--set", "nonsense"), "nonsense"),
    ],
)
def test_bad_input_is_one_line_exit_2(command: str, args, words: str, tmp_path: Path):
    assert words in one_line_error(invoke(command, *args, "--out", str(tmp_path)))
    assert not any(tmp_path.iterdir())  # nothing was created for a run that never started


@pytest.mark.parametrize("command", ["train", "dash"])
def test_a_folder_that_holds_a_run_is_refused(command: str, tmp_path: Path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "last.pt").write_bytes(b"x")
    line = one_line_error(invoke(command, "--out", str(tmp_path), "--name", "old"))
    assert "already holds a run; continue it with --resume" in line


def test_options_travel_to_the_trainer_unchanged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """What a dashboard passes to `tui-gan train` (to_argv) parses back to the same options."""
    got: list[TrainArgs] = []
    monkeypatch.setattr("tui_gan.cli.train.run_train", lambda args: got.append(args) or 0)
    sent = TrainArgs(
        preset="toy1d-sine",
        steps=7,
        overrides=("log.log_every=1", 'train.device="cpu"'),
        out=tmp_path,
        name="r1",
        device="cpu",
        seed=3,
    )
    result = invoke("train", *sent.to_argv())
    assert result.exit_code == 0, result.output
    assert got == [sent]
    resumed = TrainArgs(resume=str(tmp_path / "r1"), epochs=2)
    assert invoke("train", *resumed.to_argv()).exit_code == 0
    assert got[-1] == resumed


def test_preset_overrides_record_the_options():
    args = TrainArgs(epochs=3, device="cuda", seed=9, overrides=("loss.kind=lsgan",))
    assert args.preset_overrides() == (
        "loss.kind=lsgan",
        "train.steps=0",
        "train.epochs=3",
        'train.device="cuda"',
        "train.seed=9",
    )


def test_the_picker_keeps_out_and_options_but_not_the_old_preset_s(tmp_path: Path):
    base = TrainArgs(preset="mnist-mlp", steps=5, overrides=("x=1",), out=tmp_path, name="n")
    picked = base.with_preset("toy1d-sine")
    assert (picked.preset, picked.steps, picked.out) == ("toy1d-sine", 5, tmp_path)
    assert picked.overrides == () and picked.name is None
    run, preset = picked.new_run()
    assert run.run_dir.parent == tmp_path and run.run_dir.name.startswith("toy1d-sine-")
    assert preset.name == "toy1d-sine"
    # picked while a resumed run is on screen: the new run goes beside it
    (tmp_path / "elsewhere" / "r1").mkdir(parents=True)
    resumed = TrainArgs(resume=str(tmp_path / "elsewhere" / "r1"), steps=5)
    assert resumed.with_preset("toy1d-sine").out == tmp_path / "elsewhere"


def test_resume_takes_no_preset_or_name():
    line = one_line_error(invoke("train", "--resume", "/x", "--preset", "toy1d-sine"))
    assert "drop --preset and --name" in line


@pytest.mark.parametrize(
    "args, words",
    [
        (("attach", "/no/such/run"), "/no/such/run: no such folder"),
        (("stop", "/no/such/run"), "/no/such/run: no such folder"),
        (("eval", "/no/such/run"), "no checkpoint found"),
        (("sample", "/no/such/run"), "no checkpoint found"),
        (("dash", "--resume", "/no/such/run"), "no such run directory or checkpoint"),
        (("train", "--resume", "/no/such/run"), "no checkpoint found"),
    ],
)
def test_missing_runs_are_one_line(args, words: str):
    assert words in one_line_error(invoke(*args))


def test_runs_on_an_empty_folder(tmp_path: Path):
    result = invoke("runs", "--out", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.strip() == f"no runs under {tmp_path}"


def test_dash_with_an_out_it_cannot_write_is_one_line(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    line = one_line_error(invoke("dash", "--out", str(tmp_path / "file" / "runs")))
    assert "not a folder" in line


@pytest.mark.parametrize("command", ["train", "dash"])
@pytest.mark.parametrize(
    "args, meant",
    [
        (("--preset", "mnist-mpl"), "did you mean mnist-mlp?"),
        (("--set", "optim.g.lrr=1e-4"), "command line: optim.g.lrr: unknown key (got 0.0001); "
         "did you mean optim.g.lr?"),
        (("--set", "optimm.g.lr=1e-4"), "command line: optimm: unknown key"),
        (("--set", "train.stepz=5"), "did you mean train.steps?"),
    ],
)  # fmt: skip
def test_a_typo_gets_a_did_you_mean(command: str, args, meant: str, tmp_path: Path):
    line = one_line_error(invoke(command, *args, "--out", str(tmp_path)))
    assert meant in line
    assert not any(tmp_path.iterdir())


def test_a_name_far_from_any_preset_lists_them():
    line = one_line_error(invoke("train", "--preset", "zzzzzz"))
    assert "no such preset (shipped: " in line and "mnist-mlp" in line and "did you" not in line


COMMANDS = ["train", "dash", "attach", "runs", "stop", "eval", "score", "report", "compare",
            "presets", "sample", "grid", "interpolate", "sweep"]  # fmt: skip


@pytest.fixture
def help_at(monkeypatch, capsys):
    """`tui-gan ARGS --help` on a terminal of that width (not through CliRunner, which holds
    Click's help to 80 columns whatever COLUMNS says)."""

    def run(width: int, *args: str) -> str:
        monkeypatch.setenv("COLUMNS", str(width))
        assert app([*args, "--help"], standalone_mode=False) in (0, None)
        return capsys.readouterr().out

    return run


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_fits_the_terminal_flows_and_cuts_nothing(help_at, command: str | None, width: int):
    text = help_at(width, *([command] if command else []))
    lines = text.splitlines()
    assert all(len(ln) <= width for ln in lines), text
    assert "…" not in text and "<bool>" not in text
    assert all(0x20 <= ord(c) <= 0x7E for c in text.replace("\n", "")), text  # no boxes
    cut = [ln for ln in lines if ln.rstrip().endswith("...") and not ln.startswith("Usage:")]
    assert not cut, text  # no summary cut short ("[ARGS]..." in the usage line is Click's)
    # The description flows: no line ends where the next line's first word would have fit
    # (a docstring's hard line breaks kept would).
    body = text.split("\nOptions:")[0].split("\nArguments:")[0].splitlines()
    for prev, nxt in zip(body, body[1:], strict=False):
        if prev.strip() and nxt.strip() and not nxt.lstrip().startswith("Usage"):
            # Click keeps a 2-column margin on the right
            assert len(prev) + 1 + len(nxt.split()[0]) > width - 2, (prev, nxt)


def test_the_command_list_shows_each_summary_whole(help_at):
    text = " ".join(help_at(80).split())
    assert "a rotation and downscaled digits, with each set's AUROC against the real ones" in text
    assert "class balance (1-D: W1, KS)." in text


def test_a_flag_shows_no_value_and_a_default_in_brackets_stays(help_at):
    text = help_at(100, "train")
    assert "[default: <preset>-<time>]" in text  # not taken for markup
    assert re.search(r"^  --raw +Use the live G", help_at(100, "sample"), re.M)
    assert max(map(len, help_at(100, "grid").splitlines())) > 90  # the width is used


def test_the_render_option_lists_every_mode_once():
    """--help cannot import the render modules: its enum is checked against them here."""
    from tui_gan.cli.app import RenderChoice
    from tui_gan.render.ascii import RENDERS
    from tui_gan.tui.mode import DASH_RENDERS

    values = tuple(c.value for c in RenderChoice)
    assert values == DASH_RENDERS
    assert set(values) == {"auto", *RENDERS}
