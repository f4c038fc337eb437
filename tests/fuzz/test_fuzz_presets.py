"""Fuzzed presets, preset files and --set values: a valid Preset, or one PresetError line.

Never a traceback, never a hang (the profile's deadline), never a value past its bounds.
"""

from __future__ import annotations

from typing import Any

import pytest
import tomllib
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from tui_gan.config import MAX_WIDTH, Preset, apply_overrides, load_toml_bytes, to_toml, validate
from tui_gan.errors import PresetError


def _field_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _field_paths(ann, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


PATHS = _field_paths(Preset)

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, 28, 24, 64, 2**31, 2**63, 10**18, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([5e-324, 1e-9, 1e308, -0.0, 0.5, 0.999]),
    st.text(max_size=30),
    st.sampled_from(["mnist", "toy1d", "mlp", "dcgan", "lsgan", "bce", "cpu", "../..", "a/b"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


@st.composite
def raw_presets(draw) -> dict[str, Any]:
    """Mostly real field paths (so validation goes deep), some junk keys, any values."""
    raw: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=8)):
        node = raw
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[path[-1]] = draw(values)
    if draw(st.booleans()):
        raw[draw(st.text(max_size=8))] = draw(values)
    return raw


def one_line_or_preset(make) -> Preset | None:
    try:
        preset = make()
    except PresetError as err:
        msg = str(err)
        assert msg and "\n" not in msg and "\r" not in msg, repr(msg)
        assert len(msg) < 500, msg
        return None
    assert isinstance(preset, Preset)
    return preset


def assert_sane(preset: Preset) -> None:
    """A preset that validated is one a run can use: bounded sizes, finite rates, and its
    resolved TOML (what preset.toml and a resume hold) reads back to the same preset."""
    assert 1 <= preset.train.batch_size <= MAX_WIDTH
    assert all(1 <= w <= MAX_WIDTH for w in (*preset.model.g_hidden, *preset.model.d_hidden))
    for opt in (preset.optim.g, preset.optim.d):
        assert 0 < opt.lr <= 10 and 0 < opt.eps <= 1 and 0 <= opt.weight_decay <= 10
    assert validate(tomllib.loads(to_toml(preset)), "round trip") == preset


@given(raw_presets())
def test_any_table_validates_or_says_one_line(raw):
    preset = one_line_or_preset(lambda: validate(raw, "fuzz.toml"))
    if preset is not None:
        assert_sane(preset)


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_file_bytes_load_or_say_one_line(data: bytes):
    def load():
        return validate(load_toml_bytes(data, "fuzz.toml"), "fuzz.toml")

    preset = one_line_or_preset(load)
    if preset is not None:
        assert_sane(preset)


@given(st.text(max_size=40), st.text(max_size=60))
def test_any_set_override_applies_or_says_one_line(key: str, value: str):
    preset = one_line_or_preset(lambda: validate(apply_overrides({}, [f"{key}={value}"]), "x"))
    if preset is not None:
        assert_sane(preset)


@given(st.sampled_from(PATHS), st.text(max_size=40) | st.sampled_from(["\x1b", '"\\', "\x7f"]))
def test_set_on_real_fields_applies_or_says_one_line(path, value: str):
    text = ".".join(path) + "=" + value
    preset = one_line_or_preset(lambda: validate(apply_overrides({}, [text]), "x"))
    if preset is not None:
        assert_sane(preset)


# The attacks of the hardening issue, one by one ---------------------------------------------


@pytest.mark.parametrize(
    "data, says",
    [
        (b"\xff\xfe\x00name = 1", "not UTF-8 text (byte 0xff at offset 0)"),
        ('name = "caf\u00e9"\n'.encode("latin-1"), "not UTF-8 text"),
        (b"a = " + b"[" * 5000 + b"]" * 5000, "nested"),
        (b"a = " + b"{b = " * 3000 + b"1" + b"}" * 3000, "nested"),
        (b"[" + b".".join(b"a" for _ in range(3000)) + b"]\nx = 1", "nested"),
        (b"", "the preset is empty"),
        (b"  \n\t\n  ", "the preset is empty"),
        (b"# only a comment\n", "the preset is empty"),
    ],
)
def test_preset_files_that_used_to_crash(tmp_path, data: bytes, says: str):
    from tui_gan.presets import load_preset

    path = tmp_path / "x.toml"
    path.write_bytes(data)
    with pytest.raises(PresetError) as info:
        load_preset(str(path))
    assert says in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "override, says",
    [
        ("optim.d.weight_decay=nan", "optim.d.weight_decay: expected a number in [0, 10], got nan"),
        ("optim.g.lr=inf", "optim.g.lr: expected a number in [1e-09, 10], got inf"),
        ("optim.g.eps=inf", "optim.g.eps: expected a number in [1e-20, 1], got inf"),
        ("optim.g.lr=5e-324", "optim.g.lr: expected a number in [1e-09, 10], got 5e-324"),
        ("train.batch_size=1000000000000000000", "train.batch_size: expected an integer in [1,"),
        ("model.latent_dim=1000000000000000000", "model.latent_dim: expected an integer in [1,"),
        ("model.g_hidden=[1000000000000]", "model.g_hidden: expected a list of 1 to 16 integers"),
        ("train.seed=18446744073709551616", "train.seed: expected an integer in [0, 4294967295]"),
        ("name=../../etc", "name: expected a name of 1-64 letters"),
        ("data.root=" + '"a\\u0000b"', "data.root: expected a string of at most 4,096"),
        ("a=" + "[" * 3000 + "]" * 3000, "nested too deeply"),
        ("description=\udcff", "description: expected a string of at most 1,000"),
        ("train.steps=3\nfoo = 1", "expected one value, got more than one line of TOML"),
    ],
)
def test_set_values_that_used_to_pass_or_crash(override: str, says: str):
    from tui_gan.presets import load_preset

    with pytest.raises(PresetError) as info:
        load_preset("mnist-mlp", (override,))
    assert says in str(info.value)


def test_a_model_too_large_for_memory_is_refused_before_allocation():
    import torch

    from tui_gan.engine.gan import GAN
    from tui_gan.errors import UsageError
    from tui_gan.presets import load_preset

    preset = load_preset("mnist-mlp", ("model.g_hidden=[65536, 65536, 65536, 65536]",))
    with pytest.raises(UsageError) as info:
        GAN(preset, 1, torch.device("cpu"))  # 12.9 billion parameters: would need ~190 GiB
    msg = str(info.value)
    assert msg.startswith("the model is too large: G has 12,") and "GiB" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("name", ["..", ".", "../x", "/tmp/abs", "a/b", "a\nb", "\x1b[31m", ""])
def test_run_names_stay_one_folder_under_out(name: str):
    from tui_gan.config import check_run_name

    with pytest.raises(PresetError) as info:
        check_run_name(name)
    assert "\n" not in str(info.value)
    check_run_name("my-run_2.v1")  # and a plain one passes
