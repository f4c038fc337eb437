"""Hostile checkpoints against the real command (issue 21, items 3, 5, 9): a zip bomb, a zip
directory that lies about sizes, a step of 2^61, NaN weights. Each is one line and exit 2, and a
run directory they are resumed in is left as it was, or ends `failed`, never `starting`."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
import torch

from tests.conftest import checkpoint_entry, run_cli

pytestmark = pytest.mark.e2e

TOY = ("--preset", "toy1d-sine", "--set", "log.eval_every=0", "--set", "log.sample_every=0")
COMMANDS = (["sample"], ["eval"], ["train", "--resume"])


def one_line(res: subprocess.CompletedProcess) -> str:
    """The command failed with exit 2 and said why in exactly one line, no traceback."""
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tui-gan: "), res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("attacks")
    res = run_cli("train", *TOY, "--steps", "4", "--out", str(out), "--name", "toy")
    assert res.returncode == 0, res.stderr
    return out / "toy"


@pytest.fixture
def run_copy(toy_run: Path, tmp_path: Path) -> Path:
    shutil.copytree(toy_run, tmp_path / "toy")
    return tmp_path / "toy"


def status(run: Path) -> dict:
    return json.loads((run / "status.json").read_text())


def rezip_with_a_bomb(src: Path, dst: Path, inflated: int = 256 << 20) -> None:
    """src's records re-zipped with ZIP_DEFLATED, data.pkl followed by `inflated` zero bytes
    (past the pickle's end, so torch would load it, after inflating them all)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            with zout.open(info.filename, "w", force_zip64=True) as out:
                out.write(zin.read(info))
                if info.filename.endswith("/data.pkl"):
                    for _ in range(inflated >> 23):
                        out.write(bytes(8 << 20))


def lie_about(path: Path, record: str, size: int) -> None:
    """Make the central directory say `record` holds `size` bytes, stored and inflated."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        pos = zf.start_dir
    while data[pos : pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", data, pos + 28)
        if data[pos + 46 : pos + 46 + n].decode().endswith(record):
            struct.pack_into("<II", data, pos + 20, size, size)
        pos += 46 + n + m + k
    path.write_bytes(bytes(data))


def test_a_zip_bomb_is_one_line_for_every_command(run_copy: Path, tmp_path: Path):
    bomb = tmp_path / "bomb.pt"
    rezip_with_a_bomb(run_copy / "last.pt", bomb)
    assert bomb.stat().st_size < 1 << 20  # a quarter of a gigabyte inside
    for cmd in COMMANDS:
        line = one_line(run_cli(*cmd, str(bomb)))
        assert str(bomb) in line and "is compressed" in line
    # In the run directory itself, a resume leaves the run as it was.
    before = status(run_copy)
    shutil.copyfile(bomb, run_copy / "last.pt")
    line = one_line(run_cli("train", "--resume", str(run_copy), "--steps", "8"))
    assert "the safe loader refused it" in line
    assert status(run_copy) == before


def test_sizes_past_the_end_of_the_file_are_one_line(run_copy: Path):
    last = run_copy / "last.pt"
    lie_about(last, "data/0", 2**31)
    for cmd in COMMANDS:
        line = one_line(run_cli(*cmd, str(last)))
        assert "the safe loader refused it: its records claim" in line


def test_a_file_that_is_not_a_zip_is_one_line(tmp_path: Path):
    path = tmp_path / "notes.pt"
    path.write_text("step = 3\n")
    line = one_line(run_cli("sample", str(path)))
    assert line == (
        f"tui-gan: {path}: not a readable tui-gan checkpoint (the safe loader refused it: "
        "not a zip archive, as torch.save writes)"
    )


def test_a_step_of_2_to_the_61_is_one_line_and_leaves_the_run(run_copy: Path):
    last = run_copy / "last.pt"
    state = torch.load(last, weights_only=True)
    state["step"] = 2**61
    last.unlink()  # last.pt is a hard link to the numbered checkpoint
    torch.save(state, last)
    before, records = status(run_copy), (run_copy / "metrics.jsonl").read_bytes()
    line = one_line(run_cli("train", "--resume", str(run_copy)))
    assert f"its 'step' is wrong: {2**61}" in line
    assert status(run_copy) == before and before["state"] == "finished"
    assert (run_copy / "metrics.jsonl").read_bytes() == records
    assert "'step' is wrong" in one_line(run_cli("sample", str(run_copy)))


def test_epochs_past_the_largest_step_fail_the_run_in_one_line(tmp_path: Path):
    """10^6 epochs of 10^8 one-sample steps: 10^14 steps, more than a run can count. Refused
    before the first step; status.json says failed."""
    big = ("--set", "train.steps=0", "--set", "train.epochs=1000000")
    big += ("--set", "data.size=100000000", "--set", "train.batch_size=1")
    # A regression trains on for ever: the timeout ends it as a failure.
    res = run_cli("train", *TOY, *big, "--out", str(tmp_path), "--name", "big", timeout=60)
    line = one_line(res)
    assert "more than a run can count (1000000000000)" in line
    assert status(tmp_path / "big")["state"] == "failed"


def test_nan_weights_are_one_line_and_never_called_good(run_copy: Path):
    last = run_copy / "last.pt"
    state = torch.load(last, weights_only=True)
    next(iter(checkpoint_entry(state, "G")["G"].values()))[0] = float("nan")
    last.unlink()
    torch.save(state, last)
    before = status(run_copy)
    for cmd in COMMANDS:
        res = run_cli(*cmd, str(run_copy))
        line = one_line(res)
        assert f"{last}: its generator G holds NaN or infinite weights" in line
        assert "last good" not in res.stdout + res.stderr
    assert status(run_copy) == before
