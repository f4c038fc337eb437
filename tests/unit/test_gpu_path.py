"""The GPU path, checked on a CPU (issue 22): what would sync with the host or land on the
wrong device is caught here, where tests run without a GPU."""

from __future__ import annotations

import pytest
import torch

from tui_gan.engine.toy1d import TARGETS, Toy1DSource


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_toy_batch_is_drawn_where_it_trains_with_no_copy(target: str, monkeypatch):
    """A host-to-device copy in the batch would wait for the GPU at every D step."""
    src = Toy1DSource(TARGETS[target], 1000, 64, seed=3, device=torch.device("cpu"))
    copies = []
    real_to, real_tensor = torch.Tensor.to, torch.tensor

    def spy_to(self, *args, **kwargs):
        copies.append(("to", args, kwargs))
        return real_to(self, *args, **kwargs)

    def spy_tensor(*args, **kwargs):
        copies.append(("tensor", args, kwargs))  # a Python list made a tensor: a host copy
        return real_tensor(*args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", spy_to)
    monkeypatch.setattr(torch, "tensor", spy_tensor)
    x = src.batch(7)
    monkeypatch.undo()
    assert copies == []
    assert x.shape == (64, 1) and src.gen.device == x.device
    again = Toy1DSource(TARGETS[target], 1000, 64, seed=3, device=torch.device("cpu")).batch(7)
    assert torch.equal(x, again)  # seeded per batch: resume stays exact


def test_two_ranks_slices_make_the_global_batch():
    whole = Toy1DSource(TARGETS["mixture"], 1000, 64, 3, torch.device("cpu")).batch(2)
    parts = [Toy1DSource(TARGETS["mixture"], 1000, 64, 3, torch.device("cpu"), r, 2).batch(2)
             for r in (0, 1)]  # fmt: skip
    assert torch.equal(torch.cat(parts), whole)


def test_gpus_honours_the_presets_cpu_device(tmp_path, monkeypatch):
    """--gpus N with a preset whose train.device is cpu starts N CPU processes here (no GPU),
    without --device cpu said again; a GPU preset is still refused in one line."""
    import io
    import subprocess

    from tui_gan.cli import torchrun
    from tui_gan.errors import UsageError
    from tui_gan.request import TrainArgs

    started = []

    class FakeProc:
        stderr = io.BytesIO(b"")

        def wait(self):
            return 0

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(subprocess, "Popen", lambda cmd, **kw: started.append(cmd) or FakeProc())
    args = TrainArgs(preset="toy1d-sine", overrides=('train.device="cpu"',), out=tmp_path)
    assert torchrun.run_torchrun(args, 2) == 0
    assert started and "--nproc-per-node=2" in started[0]
    gpu = TrainArgs(preset="toy1d-sine", overrides=('train.device="cuda"',), out=tmp_path)
    with pytest.raises(UsageError, match="torch sees 0 GPU"):
        torchrun.run_torchrun(gpu, 2)


def test_a_cpu_made_adam_state_loads_into_a_fused_adam_on_another_device():
    """`meta` stands in for CUDA: torch keeps a CPU-made `step` on the CPU when the saved
    group says unfused, and fused Adam then fails at its first step on the GPU."""
    from tui_gan.engine.gan import load_optimizer

    cpu = torch.zeros(3, requires_grad=True)
    made = torch.optim.Adam([cpu])
    cpu.grad = torch.ones(3)
    made.step()
    saved = made.state_dict()
    assert saved["param_groups"][0].get("fused") is None  # as a CPU fp32 run saves it

    param = torch.zeros(3, device="meta", requires_grad=True)
    fused = torch.optim.Adam([param], fused=True)  # on meta the fused path is forced
    load_optimizer(fused, saved, fused=True)
    st = fused.state[param]
    assert {t.device.type for t in st.values()} == {"meta"}  # step too, not only the moments
    assert st["step"].dtype == torch.float32
    assert fused.param_groups[0]["fused"] is True


def test_a_cpu_made_gan_checkpoint_resumes_into_a_fused_gan(monkeypatch):
    from tui_gan.engine.gan import GAN
    from tui_gan.engine.speed import Speed
    from tui_gan.presets import load_preset

    preset = load_preset("toy1d-sine")
    made = GAN(preset, 1, torch.device("cpu"))
    g = torch.Generator().manual_seed(0)
    made.step(lambda k: TARGETS["sine"].sample(preset.train.batch_size, g), g)
    state = made.state_dict()
    monkeypatch.setattr(Speed, "fused_adam", property(lambda self: True))
    fused = GAN(preset, 1, torch.device("cpu"))
    fused.load_state_dict(state)
    for opt in (fused.opt_g, fused.opt_d):
        assert all(group["fused"] for group in opt.param_groups)
        for p, st in opt.state.items():
            assert st["step"].device == p.device and st["step"].dtype == torch.float32
    fused.step(lambda k: TARGETS["sine"].sample(preset.train.batch_size, g), g)  # it trains on
