"""The CUDA path, run on a machine with a GPU: TUI_GAN_TEST_CUDA=1 pytest tests/gpu.

The rest of the suite hides GPUs (tests are the CPU path); these are skipped without one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from tui_gan.engine import events as ev
from tui_gan.engine.checkpoint import load_run_checkpoint
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run as record
from tui_gan.engine.runtime import start_run_process
from tui_gan.presets import load_preset

# The environment first: asking torch would initialise CUDA in the CPU suite's process.
pytestmark = pytest.mark.skipif(
    not os.environ.get("TUI_GAN_TEST_CUDA") or not torch.cuda.is_available(),
    reason="the CUDA tests: TUI_GAN_TEST_CUDA=1 on a machine with a GPU",
)


def spec(
    tmp_path: Path, device: str, steps: int, *extra: str, name: str = "mnist-dcgan"
) -> RunSpec:
    preset = load_preset(
        name,
        (
            f"train.steps={steps}",
            f'train.device="{device}"',
            "log.log_every=5",
            "log.sample_every=0",
            "log.eval_every=0",
            "log.checkpoint_every=0",
            *extra,
        ),
    )
    return RunSpec(preset, tmp_path / "run", classifier_dir=tmp_path / "classifiers")


def run(spec: RunSpec):
    """A recorded run in this process, its settings made first as `tui-gan train` makes them."""
    return record(start_run_process(spec))


def steps_of(events) -> list[ev.StepMetrics]:
    return [e for e in events if isinstance(e, ev.StepMetrics)]


def resume(
    tmp_path: Path, device: str, steps: int, *extra: str, name: str = "mnist-dcgan"
) -> list[ev.Event]:
    s = spec(tmp_path, device, steps, *extra, name=name)
    state = load_run_checkpoint(s.run_dir / "last.pt")
    return list(run(RunSpec(s.preset, s.run_dir, s.run_dir / "last.pt", resume_state=state,
                            classifier_dir=s.classifier_dir)))  # fmt: skip


def test_a_cuda_run_moves_to_the_cpu_and_back(tmp_path: Path):
    first = list(run(spec(tmp_path, "cuda", 10)))
    started = next(e for e in first if isinstance(e, ev.RunStarted))
    assert started.device.startswith("cuda")
    on_cpu = resume(tmp_path, "cpu", 20)
    back = resume(tmp_path, "cuda", 30)
    for events in (on_cpu, back):
        notes = [e.message for e in events if isinstance(e, ev.Notice)]
        assert not any("device" in n for n in notes), notes
        assert isinstance(events[-1], ev.Finished) and events[-1].state == "finished"
    assert steps_of(back)[-1].step == 30


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
@pytest.mark.parametrize("compile_mode", ["off", "reduce-overhead"])
def test_every_speed_setting_trains_on_cuda(tmp_path: Path, precision, compile_mode):
    extra = (f'train.precision="{precision}"', f'train.compile="{compile_mode}"',
             "train.channels_last=true")  # fmt: skip
    events = list(run(spec(tmp_path, "cuda", 20, *extra)))
    assert isinstance(events[-1], ev.Finished) and events[-1].state == "finished"
    last = steps_of(events)[-1]
    assert all(torch.isfinite(torch.tensor([last.loss_d, last.loss_g])))


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_no_host_sync_in_a_training_step(precision):
    """The trainer's step as it runs it (the seed drawn on the CPU, the batch cut on the
    GPU, G and D updated, the metrics added on the device) under
    torch.cuda.set_sync_debug_mode("error"): any .item(), .tolist() or blocking copy raises."""
    from tui_gan.engine.data import BatchSource, load_images
    from tui_gan.engine.gan import GAN

    device = torch.device("cuda")
    preset = load_preset("mnist-dcgan", (f'train.precision="{precision}"',))
    gan = GAN(preset, 1, device)
    batches = BatchSource(load_images(preset), 64, 0, device)
    seeds, noise = torch.Generator().manual_seed(0), torch.Generator(device)
    acc = torch.zeros(len(gan.metric_names), device=device)

    def step(i: int) -> None:
        nonlocal acc
        noise.manual_seed(int(torch.randint(2**62, (1,), generator=seeds)))
        acc += gan.step(lambda k: batches.batch(i + k), noise)

    for i in range(5):  # warm-up: the epoch's order, cuDNN's autotuning, the allocator
        step(i)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for i in range(5, 5 + 2 * batches.steps_per_epoch):  # across epoch boundaries too
            step(i)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert torch.isfinite(acc).all()


FAMILIES = ["toy1d-sine", "mnist-mlp", "mnist-cdcgan", "mnist-ebm", "mnist-vae"]


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_moves_from_the_cpu_to_cuda_and_back(tmp_path: Path, name: str):
    """A checkpoint made on a CPU (fused Adam off there) continues on a GPU and back."""
    first = list(run(spec(tmp_path, "cpu", 4, name=name)))
    assert isinstance(first[-1], ev.Finished), first[-1]
    for device, steps in (("cuda", 8), ("cpu", 12)):
        events = resume(tmp_path, device, steps, name=name)
        assert isinstance(events[-1], ev.Finished) and events[-1].state == "finished", events[-1]
        assert steps_of(events)[-1].step == steps


@pytest.mark.parametrize("name", ["mnist-mlp", "mnist-dcgan"])
def test_three_steps_and_three_more_equal_six_on_cuda(tmp_path: Path, name: str):
    """With train.deterministic, a GPU resume repeats a straight run's losses exactly (R1 and
    DiffAugment included: their backward passes are where atomics would differ)."""
    extra = ("train.deterministic=true", "log.log_every=1", 'train.augment=["translation"]',
             "loss.r1_gamma=1.0")  # fmt: skip
    straight = steps_of(run(spec(tmp_path / "a", "cuda", 6, *extra, name=name)))
    list(run(spec(tmp_path / "b", "cuda", 3, *extra, "log.checkpoint_every=3", name=name)))
    resumed = steps_of(resume(tmp_path / "b", "cuda", 6, *extra, name=name))
    assert [m.step for m in resumed] == [4, 5, 6]
    values = [[m.value(k) for k in m.family().metrics] for m in (*straight[3:], *resumed)]
    assert values[:3] == values[3:]


NO_SYNC = [
    ("toy1d-sine", ()),
    ("mnist-mlp", ()),  # R1
    ("mnist-dcgan", ('train.augment=["color", "translation", "cutout"]', "loss.r1_gamma=1.0")),
    ("mnist-dcgan", ('train.precision="fp16"',)),
    ("mnist-cdcgan", ()),
    ("mnist-ebm", ()),
    ("mnist-vae", ()),
]


@pytest.mark.parametrize("name, extra", NO_SYNC)
def test_no_host_sync_in_any_familys_training_step(name: str, extra: tuple[str, ...]):
    """The trainer's step as it runs it (the seed drawn on the CPU, the batch made or cut on
    the GPU, the family's update, the metrics added on the device) under
    torch.cuda.set_sync_debug_mode("error"): any .item(), .tolist() or blocking copy raises."""
    from tui_gan.engine.data import BatchSource, load_images
    from tui_gan.engine.toy1d import TARGETS, Toy1DSource
    from tui_gan.families import family

    device = torch.device("cuda")
    preset = load_preset(name, extra)
    batch = preset.train.batch_size
    if preset.data.name == "toy1d":
        channels = 1
        batches = Toy1DSource(TARGETS[preset.data.target], preset.data.size, batch, 0, device)
    else:
        data = load_images(preset)
        channels = data.channels
    trainable = family(preset.model.family).trainable()(preset, channels, device)
    if preset.data.name != "toy1d":
        batches = BatchSource(data, batch, 0, device, trainable.conditional)
    seeds, noise = torch.Generator().manual_seed(0), torch.Generator(device)
    acc = torch.zeros(len(trainable.metric_names), device=device)
    d_steps = preset.train.d_steps

    def step(i: int) -> None:
        nonlocal acc
        noise.manual_seed(int(torch.randint(2**62, (1,), generator=seeds)))
        acc += trainable.step(lambda k, b=i * d_steps: batches.batch(b + k), noise)

    for i in range(5):  # warm-up: the epoch's order, cuDNN's autotuning, the allocator
        step(i)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for i in range(5, 5 + min(2 * batches.steps_per_epoch, 200)):  # across an epoch
            step(i)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert torch.isfinite(acc).all()
