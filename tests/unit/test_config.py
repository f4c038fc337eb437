"""Presets: every shipped one loads; bad files and --set overrides fail with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_gan.config import Preset, apply_overrides, parse_override, to_toml, validate
from tui_gan.errors import PresetError
from tui_gan.presets import DEFAULT_PRESET, list_presets, load_preset, preset_dir

SHIPPED = [p.name for p in list_presets()]


def test_the_required_presets_ship():
    assert {
        "mnist-mlp",
        "fashion-mlp",
        "mnist-lsgan",
        "mnist-dcgan",
        "toy1d-sine",
        "faces-dcgan",
    } <= set(SHIPPED)
    assert DEFAULT_PRESET in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_preset_loads_and_says_what_it_shows(name: str):
    preset = load_preset(name)
    assert preset.name == name
    assert preset.description
    text = (preset_dir() / f"{name}.toml").read_text()
    assert text.startswith("# "), "a comment at the top says what the preset shows"


def test_mnist_mlp_has_the_per_network_adam_settings():
    p = load_preset("mnist-mlp")
    assert (p.optim.g.lr, p.optim.d.lr) == (8e-4, 4e-4)  # D at half G's rate, 4x the classic
    assert (p.optim.g.eps, p.optim.d.eps) == (2e-6, 2e-5)
    assert (p.optim.g.weight_decay, p.optim.d.weight_decay) == (1e-12, 1e-10)
    assert p.train.batch_size == 64 and p.loss.kind == "bce"


def test_resolved_toml_round_trips():
    for name in SHIPPED:
        p = load_preset(name)
        import tomllib

        again = validate(tomllib.loads(to_toml(p)), "roundtrip")
        assert again == p


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.toml"
    path.write_text(text)
    return path


def test_wrong_type_names_file_field_value_and_expectation(tmp_path: Path):
    path = _write(tmp_path, '[optim.g]\nlr = "fast"\n')
    with pytest.raises(PresetError) as info:
        load_preset(str(path))
    msg = str(info.value)
    assert msg.endswith("x.toml: optim.g.lr: expected a number in [1e-09, 10], got 'fast'")
    assert "\n" not in msg


@pytest.mark.parametrize(
    "toml, expected",
    [
        ("[train]\nbatch_size = 0\n", "train.batch_size: expected an integer in [1, 65536], got 0"),
        (
            "[train]\nbatch_size = 1.5\n",
            "train.batch_size: expected an integer in [1, 65536], got 1.5",
        ),
        (
            '[loss]\nkind = "wgan"\n',
            "loss.kind: expected one of bce, bce-saturating, lsgan, hinge, wgan-gp, got 'wgan'",
        ),
        (
            "[loss]\nlabel_smoothing = 1.0\n",
            "loss.label_smoothing: expected a number in [0, 1), got 1.0",
        ),
        ("[optim.d]\nbetas = [0.5]\n", "optim.d.betas: expected two numbers in [0, 1)"),
        (
            "[model]\ng_hidden = []\n",
            "model.g_hidden: expected a list of 1 to 16 integers in [1, 65536]",
        ),
        ("[model]\nlatent = 3\n", "model.latent: unknown key"),
        ("colour = 1\n", "colour: unknown key"),
        ('[train]\ndevice = "tpu"\n', "train.device: expected one of auto, cpu, cuda, mps"),
        ("[log]\neval_n = 5\n", "log.eval_n: expected an integer in [10, 100000], got 5"),
        ("[data]\nimage_size = 32\n", "expected data.image_size = 28 for MNIST data sets"),
    ],
)
def test_bad_values_give_one_line(tmp_path: Path, toml: str, expected: str):
    with pytest.raises(PresetError) as info:
        load_preset(str(_write(tmp_path, toml)))
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_invalid_toml_is_one_line(tmp_path: Path):
    with pytest.raises(PresetError) as info:
        load_preset(str(_write(tmp_path, "[train\n")))
    assert "not valid TOML" in str(info.value)


def test_set_overrides_apply_with_the_same_validation():
    p = load_preset("mnist-mlp", ("optim.g.lr=1e-3", "loss.kind=lsgan", "model.g_hidden=[32, 64]"))
    assert p.optim.g.lr == 1e-3 and p.loss.kind == "lsgan" and p.model.g_hidden == (32, 64)
    with pytest.raises(
        PresetError, match=r"optim\.g\.lr: expected a number in \[1e-09, 10\], got 'fast'"
    ):
        load_preset("mnist-mlp", ("optim.g.lr=fast",))
    with pytest.raises(PresetError, match=r"optim\.g\.speed: unknown key"):
        load_preset("mnist-mlp", ("optim.g.speed=3",))
    with pytest.raises(PresetError, match="expected KEY=VALUE"):
        load_preset("mnist-mlp", ("optim.g.lr",))


def test_parse_override_reads_toml_values_and_bare_words():
    assert parse_override("a.b=3") == (["a", "b"], 3)
    assert parse_override("a=true") == (["a"], True)
    assert parse_override("a=lsgan") == (["a"], "lsgan")
    assert parse_override('a="x y"') == (["a"], "x y")


def test_overrides_do_not_mutate_the_input():
    raw = {"optim": {"g": {"lr": 1.0}}}
    out = apply_overrides(raw, ["optim.g.lr=2.0"])
    assert raw["optim"]["g"]["lr"] == 1.0 and out["optim"]["g"]["lr"] == 2.0


def test_cross_field_checks():
    with pytest.raises(PresetError, match="toy1d"):
        validate({"data": {"name": "toy1d"}, "model": {"family": "mlp"}}, "x")
    assert Preset().model.family == "mlp"


def test_unknown_preset_name_lists_shipped_ones():
    with pytest.raises(PresetError, match="no such preset.*mnist-mlp"):
        load_preset("nope")


def test_a_bad_override_is_blamed_on_the_command_line_not_the_file():
    from tui_gan.presets import load_preset

    with pytest.raises(PresetError) as info:
        load_preset("toy1d-sine", ("train.steps=99999999999999999999",))
    assert str(info.value).startswith("command line: train.steps: expected an integer in [0,")
    with pytest.raises(PresetError) as info:  # a cross-field rule has no one field: the file
        load_preset("mnist-mlp", ("data.name=toy1d",))
    assert "command line" not in str(info.value)
