"""The config package: each choice list written once, cross-field rules, and its import layers."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

import tui_gan.config as config
from tui_gan import families
from tui_gan.config import BCE_LIKE, LOSS_KINDS, Preset, validate
from tui_gan.errors import PresetError

PACKAGE = Path(config.__file__).parent


def _leaf_fields(model: type[BaseModel], prefix: str = ""):
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            yield from _leaf_fields(sub, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", sub


def _raw(dotted: str, value: object) -> dict:
    *tables, key = dotted.split(".")
    raw: dict = {key: value}
    for table in reversed(tables):
        raw = {table: raw}
    return raw


LITERAL_FIELDS = [
    (dotted, typing.get_args(ann))
    for dotted, ann in _leaf_fields(Preset)
    if typing.get_origin(ann) is typing.Literal
]


def test_every_choice_field_is_typed_by_a_literal():
    names = {dotted for dotted, _ in LITERAL_FIELDS}
    assert {
        "data.name",
        "data.target",
        "model.latent_dist",
        "loss.kind",
        "train.device",
        "train.precision",
        "train.compile",
        "vae.recon",
    } <= names


@pytest.mark.parametrize("dotted, options", LITERAL_FIELDS)
def test_a_choice_field_offers_exactly_its_literals_values(dotted: str, options: tuple[str, ...]):
    with pytest.raises(PresetError) as info:
        validate(_raw(dotted, "no-such-choice"), "x.toml")
    assert str(info.value) == (
        f"x.toml: {dotted}: expected one of {', '.join(options)}, got 'no-such-choice'"
    )


def test_the_family_choices_are_the_family_tables():
    with pytest.raises(PresetError) as info:
        validate({"model": {"family": "gpt"}}, "x.toml")
    assert f"expected one of {', '.join(families.NAMES)}, got 'gpt'" in str(info.value)


def test_the_exported_choice_tuples_are_the_literals_values():
    assert LOSS_KINDS == typing.get_args(config.LossKind)
    assert config.PRECISIONS == typing.get_args(config.Precision)
    assert config.AUGMENTATIONS == ("color", "translation", "cutout")
    assert set(BCE_LIKE) <= set(LOSS_KINDS)
    assert config.FAMILIES == families.NAMES


GAN = {"model": {"family": "mlp"}, "data": {"name": "mnist"}}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"data": {"name": "toy1d"}}, "model.family 'toy1d' exactly when data.name is 'toy1d'"),
        (
            {
                "data": {"name": "toy1d"},
                "model": {"family": "toy1d"},
                "train": {"augment": ["color"]},
            },
            "train.augment = [] for 1-D data (it is for images)",
        ),
        (
            {"data": {"name": "faces"}, "model": {"family": "faces-dcgan"}},
            "data.image_size = 24 for faces-dcgan",
        ),
        ({"data": {"image_size": 24}}, "data.image_size = 28 for MNIST data sets"),
        (
            {"data": {"name": "faces", "image_size": 28}, "model": {"family": "cmlp"}},
            "data.name mnist or fashion-mnist for cmlp (it needs labels)",
        ),
        (
            {"model": {"family": "cdcgan"}, "log": {"count_samples": 9}},
            "log.count_samples >= 10 for cdcgan (one per class)",
        ),
        (
            {"model": {"family": "vae"}, "train": {"precision": "bf16"}},
            "train.precision = 'fp32' for vae (a GAN setting)",
        ),
        (
            {"model": {"family": "ebm"}, "ebm": {"buffer_size": 8}},
            "ebm.buffer_size >= train.batch_size (64): each batch continues chains",
        ),
        (
            {"model": {"family": "vae"}, "data": {"name": "faces", "image_size": 32}},
            "data.image_size 28 (the dcgan decoder) or 24 (faces-dcgan's) for vae",
        ),
        (
            {
                "data": {"name": "toy1d"},
                "model": {"family": "toy1d", "init_g_from": "runs/x"},
            },
            "model.init_g_from = '' for toy1d (a GAN's G only)",
        ),
        (
            {"model": {"family": "dcgan"}, "data": {"name": "faces", "image_size": 24}},
            "data.image_size = 28 for dcgan",
        ),
    ],
)
def test_each_cross_field_rule_says_which_fields_and_what_they_must_be(raw, expected):
    with pytest.raises(PresetError) as info:
        validate(raw, "x.toml")
    assert str(info.value).startswith(f"x.toml: expected {expected}")


def test_a_preset_that_keeps_every_rule_validates():
    assert validate(GAN, "x.toml").model.family == "mlp"


def test_an_unknown_key_gets_a_did_you_mean():
    with pytest.raises(PresetError) as info:
        validate({"optim": {"g": {"lrr": 1e-3}}}, "x.toml")
    assert (
        str(info.value) == "x.toml: optim.g.lrr: unknown key (got 0.001); did you mean optim.g.lr?"
    )


def test_every_module_of_the_package_opens_with_a_one_line_docstring():
    for module in pkgutil.iter_modules([str(PACKAGE)]):
        tree = ast.parse((PACKAGE / f"{module.name}.py").read_text())
        doc = ast.get_docstring(tree)
        assert doc and "\n" not in doc.strip(), module.name


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_module_of_the_package_imports_the_engine():
    reaching = sorted(
        p.name
        for p in PACKAGE.glob("*.py")
        if any(m.split(".")[:2] == ["tui_gan", "engine"] for m in _imports(p))
    )
    assert reaching == []


def test_config_imports_no_heavy_module_and_no_engine():
    out = subprocess.run(
        [sys.executable, "-c", "import tui_gan.config, sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not {m for m in out if m.startswith("tui_gan.engine")}
    assert not {m for m in out if m.split(".")[0] in ("torch", "textual", "rich", "matplotlib")}
