"""Speed settings on the CPU: bf16/fp16 autocast, the fp16 scalers, channels_last, compile."""

from __future__ import annotations

import pytest
import torch

from tui_gan.engine.gan import GAN
from tui_gan.presets import load_preset

SMALL = ("model.g_hidden=[16]", "model.d_hidden=[16]", "model.ema_decay=0")


def make(preset: str = "mnist-mlp", *overrides: str) -> GAN:
    torch.manual_seed(0)
    return GAN(load_preset(preset, overrides), 1, torch.device("cpu"))


def train(gan: GAN, steps: int, seed: int = 1) -> list[list[float]]:
    g = torch.Generator().manual_seed(seed)
    real = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(5)) * 2 - 1
    return [gan.step(lambda k: real, g).tolist() for _ in range(steps)]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_autocast_runs_the_networks_in_half_precision(precision):
    gan = make("mnist-mlp", *SMALL, f'train.precision="{precision}"')
    seen = []
    gan.G.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    before = [p.clone() for p in gan.G.parameters()]
    values = train(gan, 3)
    assert set(seen) == {{"bf16": torch.bfloat16, "fp16": torch.float16}[precision]}
    assert all(torch.isfinite(torch.tensor(v)).all() for v in values)
    assert any(not torch.equal(a, b) for a, b in zip(before, gan.G.parameters(), strict=True))
    assert all(p.dtype == torch.float32 for p in gan.G.parameters())  # master weights fp32
    assert ("scalers" in gan.state_dict()) is (precision == "fp16")


def test_fp32_is_untouched_by_the_speed_layer():
    """The default path is the same arithmetic as before: no autocast, no scaler."""
    gan = make("mnist-mlp", *SMALL)
    assert gan._G is gan.G and gan._D is gan.D
    assert gan.speed.dtype is None and not gan.speed.scalers
    assert "scalers" not in gan.state_dict()


def test_fp16_scalers_resume_exactly():
    """3 + 3 fp16 steps through a checkpoint equal 6 straight: the scale and its growth
    tracker are saved with the run."""
    straight = make("mnist-mlp", *SMALL, 'train.precision="fp16"')
    g = torch.Generator().manual_seed(1)
    real = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(5)) * 2 - 1
    all6 = [straight.step(lambda k: real, g).tolist() for _ in range(6)]
    half = make("mnist-mlp", *SMALL, 'train.precision="fp16"')
    g2 = torch.Generator().manual_seed(1)
    first = [half.step(lambda k: real, g2).tolist() for _ in range(3)]
    state = {k: v for k, v in half.state_dict().items()}
    assert set(state["scalers"]) == {"d", "g"}
    resumed = make("mnist-mlp", *SMALL, 'train.precision="fp16"')
    resumed.load_state_dict(state)
    rest = [resumed.step(lambda k: real, g2).tolist() for _ in range(3)]
    assert first + rest == all6


def test_channels_last_keeps_the_conv_nets_nhwc_and_their_state_dicts_loadable():
    gan = make("mnist-dcgan", "train.channels_last=true", "model.ema_decay=0")
    conv = next(p for p in gan.D.parameters() if p.dim() == 4)
    assert conv.is_contiguous(memory_format=torch.channels_last)
    train(gan, 2)
    plain = make("mnist-dcgan", "model.ema_decay=0")
    plain.load_state_dict(gan.state_dict())  # the same weights, any memory order
    for a, b in zip(plain.G.parameters(), gan.G.parameters(), strict=True):
        assert torch.equal(a, b)


def test_penalties_run_eager_in_fp32_under_autocast():
    """R1 (mnist-mlp's) and wgan-gp differentiate D twice: with bf16 on they still train."""
    for overrides in (("loss.r1_every=1",), ('loss.kind="wgan-gp"', "train.d_steps=2")):
        gan = make("mnist-mlp", *SMALL, 'train.precision="bf16"', *overrides)
        values = train(gan, 2)
        assert all(torch.isfinite(torch.tensor(v)).all() for v in values)


def test_compile_trains_and_saves_the_plain_modules():
    """torch.compile (inductor, a C compiler on this machine): the step runs compiled, the
    state dict keeps the module's own keys (no _orig_mod. prefix), samples come eager."""
    gan = make("mnist-mlp", *SMALL, 'train.compile="default"', "loss.r1_every=2")
    assert gan._G is not gan.G
    values = train(gan, 3)  # an R1 step and a plain one: the eager D and the compiled D
    assert all(torch.isfinite(torch.tensor(v)).all() for v in values)
    assert not any(k.startswith("_orig_mod") for k in gan.state_dict()["G"])
    eager = make("mnist-mlp", *SMALL)
    eager.load_state_dict(gan.state_dict())
