"""Typer's and Click's own usage errors (ranges, a missing argument, an unknown option or
command) read as ours do: one line on stderr, `tui-gan: <message>`, exit 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.conftest import run_cli
from tui_gan.cli.app import app

# (arguments, the line's start, words in it): Typer's own wording of a range differs between
# versions ("0 is not in the range x>=1", "greater than or equal to 1"); the form does not.
FORMS = [
    (("sample", "some-run", "--n", "10000000"), "tui-gan: --n: ", "100000"),
    (("train", "--steps", "0"), "tui-gan: --steps: ", "1"),
    (("train", "--steps", "many"), "tui-gan: --steps: ", "integer"),
    (("train", "--device", "tpu"), "tui-gan: --device: ", "'tpu'"),
    (("stop",), "tui-gan: stop: missing argument ", "run_dir"),
    (("stop", "a", "b"), "tui-gan: stop: ", "(b)"),
    (("runs", "--frobnicate"), "tui-gan: runs: no such option: --frobnicate", ""),
    (("train", "--steps"), "tui-gan: ", "--steps"),
    (("frobnicate",), "tui-gan: no such command 'frobnicate'", ""),
]


def _one_line(stderr: str, code: int, exit_code: int) -> str:
    assert exit_code == code, stderr
    lines = stderr.strip("\n").splitlines()
    assert len(lines) == 1, stderr  # no usage block, no "Try ... --help", no Rich box
    assert not any(c in stderr for c in "╭╰│─\x1b"), stderr
    return lines[0]


@pytest.mark.parametrize("args, start, words", FORMS)
def test_usage_errors_are_one_line_exit_2(args, start: str, words: str):
    res = CliRunner().invoke(app, list(args))
    line = _one_line(res.stderr, 2, res.exit_code)
    assert line.startswith(start) and words.lower() in line.lower(), line
    assert not line.endswith("."), line
    assert res.stdout == ""


def test_a_range_error_through_the_real_process_is_one_line():
    res = run_cli("train", "--steps", "0", timeout=60)
    assert _one_line(res.stderr, 2, res.returncode).startswith("tui-gan: --steps: ")


def test_an_option_value_from_outside_cannot_break_the_line():
    res = CliRunner().invoke(app, ["runs", "--out\x1b]2;pwned\x07\nx"])
    line = _one_line(res.stderr, 2, res.exit_code)
    assert "\\x1b" in line and "\x07" not in line


def test_help_is_still_help():
    res = CliRunner().invoke(app, ["train", "--help"])
    assert res.exit_code == 0 and "--steps" in res.stdout
