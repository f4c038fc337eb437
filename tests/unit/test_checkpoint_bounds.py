"""A checkpoint cannot make tui-gan allocate much more than its own size, nor pass a step,
an elapsed time or a weight that the rest of the run could not hold (issue 21, items 3, 5, 9).

torch.load inflates a compressed zip record to whatever size it declares; torch.save never
compresses, so every loader reads the zip's directory first and refuses such a record, and
sizes that add up to more than the file, before torch.load runs. The hostile archives here are
built by hand (`zip_of`), so each one says exactly the lie it is meant to tell.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tui_gan.engine.checkpoint as ck
from tests.conftest import REPO, checkpoint_entry
from tui_gan.config import validate
from tui_gan.engine import events as ev
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run
from tui_gan.errors import CheckpointError, PresetError
from tui_gan.rundir.read import MAX_ELAPSED, MAX_STEP
from tui_gan.rundir.status import read_status

GIB = 1 << 30
STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


# --- hand-made archives -----------------------------------------------------------------------


@dataclass
class Record:
    """One zip record: its bytes as stored, and what the directory says about them."""

    name: str
    data: bytes
    method: int = STORED
    size: int | None = None  # the declared (inflated) size; None: len(data)
    stored_size: int | None = None  # the declared size in the file; None: len(data)
    crc: int | None = None


def zip_of(records: list[Record]) -> bytes:
    """A zip archive whose local headers and central directory say what each Record says."""
    out, directory = io.BytesIO(), io.BytesIO()
    for r in records:
        name = r.name.encode()
        size = len(r.data) if r.size is None else r.size
        stored = len(r.data) if r.stored_size is None else r.stored_size
        crc = zlib.crc32(r.data) if r.crc is None else r.crc
        offset = out.tell()
        fixed = (20, 0, r.method, 0, 0x21, crc, stored, size, len(name))
        out.write(struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fixed, 0) + name + r.data)
        directory.write(
            struct.pack("<4s6HIIIHHHHHII", b"PK\x01\x02", 20, *fixed, 0, 0, 0, 0, 0, offset) + name
        )
    start, cd = out.tell(), directory.getvalue()
    n = len(records)
    out.write(cd + struct.pack("<4s4HIIH", b"PK\x05\x06", 0, 0, n, n, len(cd), start, 0))
    return out.getvalue()


def torch_records(obj) -> list[Record]:
    """The records torch.save writes for obj, as they are."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    with zipfile.ZipFile(buf) as zf:
        return [Record(i.filename, zf.read(i)) for i in zf.infolist()]


def deflated_zeros(n: int, chunk: int = 8 << 20) -> bytes:
    """A raw deflate stream of n zero bytes, about n/1000 long: one full-flushed block (its own
    dictionary, so it can repeat) over and over, then a final block."""
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = block.compress(bytes(chunk)) + block.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15)
    return one * (n // chunk) + end.compress(bytes(n % chunk)) + end.flush()


STATE = {"step": 3, "w": torch.arange(1000.0), "name": "x"}


def bomb(target: str = "data.pkl", size: int = 2 * GIB) -> bytes:
    """STATE's checkpoint with one record replaced by `size` deflated zeros (~size/1000 bytes)."""
    records = torch_records(STATE)
    for r in records:
        if r.name.endswith(target):
            r.data, r.method, r.size, r.crc = deflated_zeros(size), DEFLATED, size, 0
    return zip_of(records)


def lying(target: str = "data/0", size: int = 2 * GIB) -> bytes:
    """STATE's checkpoint, stored, with one record's declared sizes far past the file's end."""
    records = torch_records(STATE)
    for r in records:
        if r.name.endswith(target):
            r.size = r.stored_size = size
    return zip_of(records)


def refusal(path: Path) -> str:
    with pytest.raises(CheckpointError) as info:
        ck.load_checkpoint(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"{path}: ")
    return text


# --- what torch writes, and what is refused ---------------------------------------------------


def test_torch_save_stores_every_record_uncompressed():
    """The premise of the check, with the installed torch: nothing it writes is compressed,
    and what it declares is what it stores."""
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(1 << 20), "v": [torch.ones(3)] * 4, "rng": ck.rng_state()}, buf)
    with zipfile.ZipFile(buf) as zf:
        infos = zf.infolist()
    assert {i.compress_type for i in infos} == {STORED}
    assert all(i.compress_size == i.file_size for i in infos)
    assert sum(i.file_size for i in infos) < len(buf.getvalue())


def test_a_hand_made_honest_archive_loads(tmp_path: Path):
    """zip_of writes what torch reads: the refusals below are the lies', not the writer's."""
    path = tmp_path / "honest.pt"
    path.write_bytes(zip_of(torch_records(STATE)))
    loaded = ck.load_checkpoint(path)
    assert loaded["step"] == 3 and torch.equal(loaded["w"], STATE["w"])


@pytest.mark.parametrize("target", ["data.pkl", "data/0", "version"])
def test_a_compressed_record_is_refused(tmp_path: Path, target: str):
    path = tmp_path / "bomb.pt"
    path.write_bytes(bomb(target, 64 << 20))
    assert path.stat().st_size < 200_000
    text = refusal(path)
    assert "the safe loader refused it" in text and "is compressed" in text


@pytest.mark.parametrize("target", ["data.pkl", "data/0", ".data/serialization_id"])
def test_sizes_past_the_end_of_the_file_are_refused(tmp_path: Path, target: str):
    path = tmp_path / "lying.pt"
    path.write_bytes(lying(target))
    text = refusal(path)
    assert "the safe loader refused it" in text and f"the file holds {path.stat().st_size}" in text


def test_sizes_that_only_add_up_past_the_file_are_refused(tmp_path: Path):
    """Each record claims less than the file holds; together they claim more."""
    records = torch_records(STATE)
    size = len(zip_of(records))
    extra = [
        Record(f"archive/pad{i}", b"", size=size // 3, stored_size=size // 3) for i in range(4)
    ]
    path = tmp_path / "sum.pt"
    path.write_bytes(zip_of(records + extra))
    assert "the safe loader refused it: its records claim" in refusal(path)


def test_a_stored_record_whose_two_sizes_differ_is_refused(tmp_path: Path):
    records = torch_records(STATE)
    records[0].size = len(records[0].data) + 1  # inflated size != stored size: not torch's
    path = tmp_path / "differ.pt"
    path.write_bytes(zip_of(records))
    assert "the safe loader refused it" in refusal(path)


def test_a_huge_data_pkl_or_directory_is_refused(tmp_path: Path):
    """Within the file's size, but more than a checkpoint's structure ever is: the pickle's
    Python objects take up to ~80 times its bytes."""
    records = torch_records(STATE)
    records[0].data = records[0].data[:-1] + b"N" * (ck.MAX_PICKLE + 1) + b"."
    path = tmp_path / "pickle.pt"
    path.write_bytes(zip_of(records))
    assert "more than a checkpoint's structure needs" in refusal(path)
    data = bytearray(zip_of(torch_records(STATE)))
    struct.pack_into("<HH", data, len(data) - 22 + 8, 65535, 65535)  # the end record's count
    path.write_bytes(bytes(data))
    assert "more than a checkpoint has" in refusal(path)


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty or cut short"),
        (b"not a checkpoint", "not a zip archive"),
        (json.dumps({"step": 1}).encode(), "not a zip archive"),
        (b"PK\x03\x04" + b"\0" * 100, "truncated or corrupt"),
    ],
)
def test_what_is_not_a_whole_zip_is_refused(tmp_path: Path, content: bytes, words: str):
    path = tmp_path / "x.pt"
    path.write_bytes(content)
    assert words in refusal(path)


def test_the_old_format_is_refused_unless_asked_for(tmp_path: Path):
    """torch's pre-1.6 format has no directory to check: refused, except where a caller
    takes weights tui-gan did not write (old_format=True)."""
    path = tmp_path / "old.pt"
    torch.save(STATE, path, _use_new_zipfile_serialization=False)
    assert "not a zip archive" in refusal(path)
    assert ck.load_checkpoint(path, old_format=True)["step"] == 3
    # An old-format file with a zip directory after it: torch would read the old format.
    path.write_bytes(path.read_bytes() + zip_of(torch_records(STATE)))
    assert "not a zip archive" in refusal(path)


def test_a_fifo_or_a_folder_is_refused_at_once(tmp_path: Path):
    fifo = tmp_path / "fifo.pt"
    os.mkfifo(fifo)  # no writer: a blocking open would wait for ever
    assert refusal(fifo).endswith("not a regular file")
    assert refusal(tmp_path).endswith("not a regular file")
    assert "no such checkpoint" in refusal(tmp_path / "missing.pt")


def test_what_is_checked_is_what_is_loaded(tmp_path: Path, monkeypatch):
    """A bomb renamed over the checkpoint between the check and torch.load is never read: the
    one open file is checked and loaded."""
    path = tmp_path / "last.pt"
    ck.atomic_save(STATE, path)
    swap = tmp_path / "swap.pt"
    swap.write_bytes(bomb(size=64 << 20))
    real_check = ck._check_archive

    def check_then_swap(fh, *args, **kwargs):
        real_check(fh, *args, **kwargs)
        os.replace(swap, path)

    monkeypatch.setattr(ck, "_check_archive", check_then_swap)
    assert ck.load_checkpoint(path)["step"] == 3
    assert not swap.exists()  # the swap did happen


# --- under a memory limit: a regression fails the test, not the machine -------------------------

CHILD = textwrap.dedent(
    """
    import io, resource, sys
    import torch
    from tui_gan.engine.checkpoint import load_checkpoint
    from tui_gan.errors import CheckpointError

    buf = io.BytesIO()  # warm up what torch.load imports and allocates on first use
    torch.save({"w": torch.ones(3)}, buf)
    buf.seek(0)
    torch.load(buf, weights_only=True)
    # torch's import maps gigabytes of address space it never touches: the limit is on top.
    used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + int(sys.argv[2]), used + int(sys.argv[2])))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        load_checkpoint(sys.argv[1])
        print("loaded")
    except CheckpointError as err:
        print(err)
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(grew * 1024)
    """
)
HEADROOM = 600 << 20


def load_in_child(path: Path) -> tuple[str, int]:
    """(the one line, bytes the peak memory grew) of load_checkpoint(path) in a process
    that cannot take more than HEADROOM beyond what it holds after importing torch."""
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(HEADROOM)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert res.returncode == 0, res.stderr
    line, grew = res.stdout.splitlines()
    return line, int(grew)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("make", [bomb, lying], ids=["2-GiB-bomb", "2-GiB-lie"])
def test_a_2_gib_claim_costs_no_memory(tmp_path: Path, make):
    path = tmp_path / "hostile.pt"
    path.write_bytes(make())
    assert path.stat().st_size < 3 << 20
    line, grew = load_in_child(path)
    assert "the safe loader refused it" in line, line  # not torch's allocation failing
    assert grew < 50 << 20, grew


# --- fuzz: directories that lie ---------------------------------------------------------------

RECORDS = torch_records(STATE)
METHODS = st.sampled_from([STORED, STORED, STORED, DEFLATED, zipfile.ZIP_BZIP2, 14, 99])
SIZES = st.one_of(st.none(), st.integers(0, 2**32 - 1), st.integers(0, 5000))


@given(
    lies=st.lists(st.tuples(METHODS, SIZES, SIZES), min_size=len(RECORDS), max_size=len(RECORDS)),
    cut=st.none() | st.integers(0, 20_000),
    flip=st.none() | st.tuples(st.integers(1, 400), st.integers(0, 255)),
)
def test_any_lie_in_a_checkpoints_directory_is_one_line(tmp_path_factory, lies, cut, flip):
    """Declared sizes, methods, a cut file or a byte changed in the directory: the archive
    loads as saved, or load_checkpoint raises CheckpointError; never anything else."""
    records = [
        Record(r.name, r.data, method=m, size=s, stored_size=c)
        for r, (m, s, c) in zip(RECORDS, lies, strict=True)
    ]
    data = bytearray(zip_of(records))
    if flip is not None:
        data[-flip[0]] = flip[1]  # in the end record or the central directory
    if cut is not None:
        data = data[:cut]
    path = tmp_path_factory.mktemp("fuzz") / "x.pt"
    path.write_bytes(bytes(data))
    declared = [
        (m, len(r.data) if s is None else s, len(r.data) if c is None else c)
        for r, (m, s, c) in zip(RECORDS, lies, strict=True)
    ]
    # What torch.save never writes. (Sizes that lie low, and agree, stay inside the file:
    # torch reads less than is there and fails on its own, or on a CRC, in one line too.)
    foreign = any(m != STORED or s != c for m, s, c in declared)
    too_big = sum(s for _, s, _ in declared) > len(data)
    try:
        loaded = ck.load_checkpoint(path)
    except CheckpointError as err:
        assert "\n" not in str(err)
        if flip is None and cut is None and (foreign or too_big):
            assert "the safe loader refused it" in str(err)
        return
    assert loaded["step"] == 3 and torch.equal(loaded["w"], STATE["w"])


# --- one bound on a step, one on elapsed time -------------------------------------------------


def test_the_step_bounds_agree():
    from tui_gan import config

    assert config.MAX_STEPS == MAX_STEP
    for cls in (ev.RunStarted, ev.Failed, ev.CheckpointSaved):
        check, _ = cls.fields_spec()["step"]
        assert check(MAX_STEP) and not check(MAX_STEP + 1) and not check(2**61)
    check, _ = ev.RunStarted.fields_spec()["total_steps"]
    assert check(MAX_STEP) and not check(MAX_STEP + 1)
    check, _ = ev.StepMetrics.fields_spec()["time"]
    assert check(MAX_ELAPSED) and not check(MAX_ELAPSED * 2) and not check(-1.0)
    validate({"train": {"steps": MAX_STEP}}, "test")
    with pytest.raises(PresetError, match="train.steps"):
        validate({"train": {"steps": MAX_STEP + 1}}, "test")


TOY = {
    "data": {"name": "toy1d"},
    "model": {"family": "toy1d", "latent_dim": 1, "g_hidden": [8], "d_hidden": [8]},
    "train": {"steps": 40, "batch_size": 16},
    "log": {"log_every": 5, "sample_every": 0, "eval_every": 0, "checkpoint_every": 20},
}


@pytest.fixture
def toy_spec(tmp_path: Path) -> RunSpec:
    return RunSpec(validate(TOY, "test"), tmp_path / "run")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A finished 40-step toy run, trained once; tests copy it."""
    spec = RunSpec(validate(TOY, "test"), tmp_path_factory.mktemp("trained") / "run")
    assert isinstance(list(run(spec))[-1], ev.Finished)
    return spec.run_dir


@pytest.fixture
def toy_run(trained: Path, toy_spec: RunSpec) -> RunSpec:
    """toy_spec, its run directory a copy of the trained run."""
    shutil.copytree(trained, toy_spec.run_dir)
    return toy_spec


@pytest.mark.parametrize(
    "key, value", [("step", 2**61), ("step", MAX_STEP + 1), ("elapsed", MAX_ELAPSED * 10)]
)
def test_a_checkpoint_past_the_bounds_is_one_line(toy_run: RunSpec, key: str, value):
    last = toy_run.run_dir / "last.pt"
    state = ck.load_checkpoint(last)
    checkpoint_entry(state, key)[key] = value
    ck.atomic_save(state, last)
    with pytest.raises(CheckpointError, match=f"its '{key}' is wrong: {value}"):
        ck.load_run_checkpoint(last)


def test_a_failure_before_the_first_step_ends_as_failed(toy_run: RunSpec):
    """Even with a step no record can hold (a checkpoint the loader would refuse, handed over
    as it is), the Failed record is written and status.json says failed, not starting."""
    last = toy_run.run_dir / "last.pt"
    state = ck.load_checkpoint(last)
    state["step"] = 2**61
    spec = RunSpec(toy_run.preset, toy_run.run_dir, last, resume_state=state)
    events = list(run(spec))
    assert isinstance(events[-1], ev.Failed)
    assert read_status(spec.run_dir).state == "failed"
    last_line = (spec.run_dir / "metrics.jsonl").read_bytes().splitlines()[-1]
    assert ev.parse_line(last_line) == events[-1]


def test_epochs_past_the_step_bound_fail_in_one_line(toy_spec: RunSpec):
    preset = validate(
        {
            **toy_spec.preset.model_dump(mode="json"),
            "data": {"name": "toy1d", "size": 10**8},
            "train": {"steps": 0, "epochs": 10**6, "batch_size": 1},
        },
        "test",
    )
    for failed in run(RunSpec(preset, toy_spec.run_dir)):
        assert not isinstance(failed, ev.RunStarted), "a run of 10**14 steps began"
    assert isinstance(failed, ev.Failed) and failed.exit_code == 2
    assert f"more than a run can count ({MAX_STEP})" in failed.error
    assert read_status(toy_spec.run_dir).state == "failed"


# --- NaN weights ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["G", "D", "opt_g", "lr"])
def test_non_finite_weights_are_one_line_naming_the_network(toy_run: RunSpec, key: str):
    last = toy_run.run_dir / "last.pt"
    state = ck.load_checkpoint(last)
    model = checkpoint_entry(state, "opt_d")
    if key == "opt_g":
        model[key]["state"][0]["exp_avg"].fill_(float("inf"))
    elif key == "lr":  # a loaded optimizer takes its learning rate from the checkpoint
        model["opt_d"]["param_groups"][0]["lr"] = float("nan")
    else:
        next(iter(model[key].values()))[0] = float("nan")
    ck.atomic_save(state, last)
    with pytest.raises(CheckpointError) as info:
        ck.load_run_checkpoint(last)
    text = str(info.value)
    assert text.startswith(f"{last}: ")
    if key in ck.NETWORKS:
        assert f"its {ck.NETWORKS[key]} holds NaN or infinite weights" in text
    else:
        opt = "opt_g" if key == "opt_g" else "opt_d"
        assert f"damaged tui-gan checkpoint (its '{opt}' holds NaN or infinite values)" in text


def test_a_state_nested_past_any_checkpoint_is_one_line(toy_run: RunSpec):
    """A pickle can nest a million lists in 2 MiB; the checks walk it without recursing far."""
    last = toy_run.run_dir / "last.pt"
    state = ck.load_checkpoint(last)
    deep: list = []
    for _ in range(3000):  # past Python's recursion limit, for a walk that recursed freely
        deep = [deep]
    checkpoint_entry(state, "rng")["rng"]["deep"] = deep
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # the pickler recurses to write it
    try:
        ck.atomic_save(state, last)
    finally:
        sys.setrecursionlimit(limit)
    with pytest.raises(CheckpointError, match="'rng' is wrong|nests deeper than a checkpoint"):
        ck.load_run_checkpoint(last)


def test_weights_that_turn_nan_are_never_saved_nor_called_good(toy_spec: RunSpec, monkeypatch):
    """An update that makes G NaN right before a save, its losses still finite: the save is
    refused, and the message names the step-20 checkpoint as the last good one, not a NaN one."""
    from tui_gan.engine.gan import GAN

    real_step = GAN.step
    count = {"n": 0}

    def step(self, batch, generator):
        count["n"] += 1
        out = real_step(self, batch, generator)
        if count["n"] == 40:
            with torch.no_grad():
                next(self.G.parameters()).fill_(float("nan"))
        return out

    monkeypatch.setattr(GAN, "step", step)
    failed = list(run(toy_spec))[-1]
    assert isinstance(failed, ev.Failed)
    last = toy_spec.run_dir / "last.pt"
    assert "non-finite weights in the generator G before step 40: not saved" in failed.error
    assert f"the last good checkpoint is {last}" in failed.error
    assert ck.load_run_checkpoint(last)["step"] == 20


def test_an_expanded_view_is_refused_before_anything_touches_it(tmp_path):
    """1.6 KB of file whose tensor claims 64 GiB (a stride-0 view): refused at load, so no
    check or copy of it ever asks for the memory."""
    import torch

    from tui_gan.engine.checkpoint import load_checkpoint
    from tui_gan.errors import CheckpointError

    path = tmp_path / "view.pt"
    torch.save({"preset": {}, "step": 1, "G": {"w": torch.zeros(1).expand(2**34)}}, path)
    with pytest.raises(CheckpointError, match="larger than its stored data"):
        load_checkpoint(path)
