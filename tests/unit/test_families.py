"""The family table: records of each family, GAN-only settings, the G/D ratio and its alarm."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tui_gan.config import validate
from tui_gan.engine import events as ev
from tui_gan.engine.recorder import run
from tui_gan.engine.trainer import RunSpec
from tui_gan.errors import CheckpointError, PresetError
from tui_gan.families import METRIC_KEYS, REGISTRY
from tui_gan.presets import load_preset
from tui_gan.tui.runview import RunView


def test_every_family_is_a_preset_choice_and_its_values_are_record_fields():
    fields = ev.StepMetrics.fields_spec()
    assert set(METRIC_KEYS) <= set(fields)
    for name, fam in REGISTRY.items():
        assert set(fam.trainable().metric_names) == set(fam.metrics), name


def test_a_step_record_reads_back_as_its_family():
    base = dict(step=1, epoch=0.1, time=0.1)
    ebm = ev.StepMetrics(**base, loss_cd=-0.1, loss_reg=0.01, e_real=-0.2, e_fake=0.1)
    gan = ev.StepMetrics(**base, loss_d=1.3, loss_g=0.7, d_real=0.5, d_fake=0.4)
    assert ev.parse_line(ev.to_line(ebm)).family().name == "ebm"
    assert ev.parse_line(ev.to_line(gan)).family().name == "mlp"  # a plain GAN, not cdcgan
    half = ev.to_line(ebm).replace(', "e_fake": 0.1', "")
    assert '"e_fake"' not in half
    assert ev.parse_line(half) is None  # one family's values, all of them, or no record


@pytest.mark.parametrize(
    "override",
    [
        "train.d_steps=2",
        "train.augment=['cutout']",
        "model.ema_decay=0.9",
        # The speed settings (tui_gan/engine/speed.py) are GAN settings too.
        'train.precision="bf16"',
        "train.channels_last=true",
        'train.compile="default"',
    ],
)
@pytest.mark.parametrize("preset", ["mnist-ebm", "mnist-vae"])
def test_gan_only_settings_are_refused_for_other_families(preset, override):
    with pytest.raises(PresetError, match="a GAN setting") as err:
        load_preset(preset, (override,))
    assert "\n" not in str(err.value)
    assert "got {" not in str(err.value)  # a rule across fields does not dump the preset


def toy(tmp_path: Path, kind: str) -> list[ev.Event]:
    preset = validate(
        {
            "data": {"name": "toy1d"},
            "model": {"family": "toy1d", "g_hidden": [8], "d_hidden": [8], "latent_dim": 2},
            "loss": {"kind": kind},
            "train": {"steps": 4, "batch_size": 16},
            "log": {"log_every": 2, "sample_every": 0, "checkpoint_every": 0},
        },
        "t",
    )
    return list(run(RunSpec(preset, tmp_path / kind)))


def test_the_g_d_ratio_is_logged_only_for_losses_where_it_means_something(tmp_path: Path):
    for kind in ("bce", "lsgan"):
        steps = [e for e in toy(tmp_path, kind) if isinstance(e, ev.StepMetrics)]
        assert steps and all(e.g_d_ratio == round(e.loss_g / e.loss_d, 4) for e in steps)
    for kind in ("hinge", "wgan-gp"):
        steps = [e for e in toy(tmp_path, kind) if isinstance(e, ev.StepMetrics)]
        assert steps and all(e.g_d_ratio is None for e in steps)


def test_the_dominance_alarm_follows_the_latest_record(tmp_path: Path):
    view = RunView(tmp_path)
    base = dict(epoch=0.1, time=0.1, d_real=0.99, d_fake=0.01)
    view.apply(ev.StepMetrics(step=1, **base, loss_d=0.01, loss_g=6.0, g_d_ratio=600.0))
    assert view.d_dominates() == 600.0
    assert any("D dominates" in n for n in view.take_notes())
    view.apply(ev.StepMetrics(step=2, **base, loss_d=-0.5, loss_g=-1.0))  # signed: no ratio
    assert view.d_dominates() is None


def test_an_ebm_checkpoint_with_another_buffer_size_is_one_line():
    from tui_gan.engine.ebm import EBM

    small = {"data": {"name": "mnist"}, "model": {"family": "ebm", "d_hidden": [4]}}
    a = EBM(validate({**small, "ebm": {"buffer_size": 64}}, "t"), 1, torch.device("cpu"))
    b = EBM(validate({**small, "ebm": {"buffer_size": 128}}, "t"), 1, torch.device("cpu"))
    with pytest.raises(CheckpointError, match="holds 64 chains and ebm.buffer_size is 128"):
        b.load_state_dict(a.state_dict(), "x.pt")
