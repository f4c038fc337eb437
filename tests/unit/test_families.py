"""The family table: records of each family, GAN-only settings, the G/D ratio and its alarm,
registration from outside and the rules and words each family says itself."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from tui_gan.config import validate
from tui_gan.engine import events as ev
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run
from tui_gan.errors import CheckpointError, PresetError, UsageError
from tui_gan.families import (
    GAN_SETTINGS,
    METRIC_KEYS,
    REGISTRY,
    Capabilities,
    Family,
    Series,
    with_capability,
)
from tui_gan.families.builtin import BUILTIN
from tui_gan.families.registry import RegistrationError, build, check
from tui_gan.presets import load_preset
from tui_gan.view.runview import RunView


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


def test_a_family_from_outside_logs_its_values_under_its_own_names():
    base = dict(step=1, epoch=0.1, time=0.1)
    own = ev.StepMetrics.of(
        {"loss_rec": 1.0, "loss_kl": 0.5, "active": 3.0, "post_std": 0.9}, **base
    )
    assert own.values is None and own.loss_rec == 1.0  # a built-in's values keep their fields
    other = ev.StepMetrics.of({"pca_rec": 0.2, "loss_kl": 0.1}, **base)
    assert other.values == {"pca_rec": 0.2} and other.loss_kl == 0.1
    assert dict(other.items()) == {"loss_kl": 0.1, "pca_rec": 0.2}
    # Not a family this process knows: the record is skipped, as any foreign record is.
    assert ev.parse_line(ev.to_line(other)) is None
    shadow = ev.to_line(own).replace('"step": 1,', '"step": 1, "values": {"loss_rec": 9.0},')
    assert ev.parse_line(shadow) is None  # one value, two places: not a record


def _family(**changes) -> Family:
    return replace(REGISTRY["vae"], **{"name": "mine", "kind": "mine", **changes})


@pytest.mark.parametrize(
    ("fam", "says"),
    [
        (_family(name="Mine!"), "family name 'Mine!': expected"),
        (_family(name="mlp"), "family mlp: the name is taken"),
        (_family(impl="no_colon"), "impl 'no_colon': expected module:Class"),
        (_family(losses=(Series("step", "s", "green"), Series("b", "b", "red"))), "is a record"),
        (_family(losses=(Series("a b", "s", "green"), Series("b", "b", "red"))), "a short name"),
        (_family(), "logs the same values as vae"),  # records could not tell the two apart
        ("not a family", "str is not a tui_gan.families.Family"),
    ],
)
def test_a_registration_that_cannot_work_says_why(fam, says):
    with pytest.raises(RegistrationError, match=re.escape(says)):
        check(fam, REGISTRY)


def test_registrations_come_from_entry_points_and_the_environment_never_from_a_file():
    registry, problems = build(BUILTIN, {"TUI_GAN_FAMILIES": " nosuch.module:F , "})
    assert list(registry) == [f.name for f in BUILTIN]
    assert problems == [
        "TUI_GAN_FAMILIES: nosuch.module:F: cannot import nosuch.module (ModuleNotFoundError: "
        "No module named 'nosuch'); left out"
    ]


def test_a_trainable_that_is_not_there_is_one_line():
    with pytest.raises(UsageError, match="family mine: cannot load its trainable nosuch:Model"):
        _family(impl="nosuch:Model").trainable()


def test_a_family_says_its_own_rules_and_words():
    vae, dcgan, ebm = REGISTRY["vae"], REGISTRY["dcgan"], REGISTRY["ebm"]
    assert vae.image_size_rule(24) is None and dcgan.image_size_rule(28) is None
    assert vae.image_size_rule(32) == (
        "data.image_size 28 (the dcgan decoder) or 24 (faces-dcgan's) for vae"
    )
    assert dcgan.image_size_rule(24) == "data.image_size = 28 for dcgan"
    assert REGISTRY["mlp"].image_size_rule(64) is None  # any size
    small = validate({"model": {"family": "ebm"}, "ebm": {"buffer_size": 64}}, "t")
    assert ebm.rule is not None and ebm.rule(small) is None
    big = small.model_copy(update={"train": small.train.model_copy(update={"batch_size": 128})})
    assert "ebm.buffer_size >= train.batch_size (128)" in (ebm.rule(big) or "")
    assert ebm.sampler_text(steps=7) == "7 Langevin steps from noise"
    assert REGISTRY["mlp"].sampler_text(short=True, ema=True) == "EMA generator"
    assert with_capability("chains") == ("ebm",)
    assert GAN_SETTINGS == REGISTRY["cdcgan"].applies and not ebm.applies


class Halfway:
    """A trainable that forgot most of the interface and the chains it declares."""

    def __init__(self, preset, channels, device, training=True):
        self.preset, self.device = preset, device


def test_a_trainable_that_breaks_its_promises_is_one_line_before_any_step():
    from tui_gan.engine.family import build as build_trainable

    fam = _family(impl=f"{__name__}:Halfway", caps=Capabilities(chains=True))
    preset = validate({"model": {"family": "vae"}}, "t")
    with pytest.raises(UsageError) as err:
        build_trainable(fam, preset, 1, torch.device("cpu"))
    line = str(err.value)
    assert line.startswith(f"family mine: {__name__}:Halfway lacks ")
    assert "Trainable.step" in line and "Chains.sample_steps" in line and "\n" not in line
