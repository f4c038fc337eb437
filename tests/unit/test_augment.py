"""DiffAugment: one transform family for real and fake, differentiable, from the run's noise."""

from __future__ import annotations

import pytest
import torch

from tui_gan.config import validate
from tui_gan.engine.augment import diff_augment
from tui_gan.engine.gan import GAN
from tui_gan.errors import PresetError
from tui_gan.presets import load_preset

ALL = ("color", "translation", "cutout")


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_an_empty_policy_is_the_identity():
    x = torch.randn(4, 1, 28, 28)
    assert diff_augment(x, (), gen()) is x


def test_the_same_draws_give_the_same_transform_to_real_and_fake():
    """Real and fake go through one function fed by one generator: equal noise, equal
    inputs give equal outputs, so D cannot tell them apart by their augmentation."""
    x = torch.randn(16, 1, 28, 28)
    a = diff_augment(x, ALL, gen(3))
    b = diff_augment(x.clone(), ALL, gen(3))
    assert torch.equal(a, b)
    assert not torch.equal(a, diff_augment(x, ALL, gen(4)))  # and the draws do matter


def test_translation_shifts_each_image_by_at_most_an_eighth():
    """At 28 pixels an eighth is 3.5, rounded as the paper's code does to 4."""
    torch.manual_seed(0)
    x = torch.rand(32, 1, 28, 28) + 0.5  # no zeros of its own
    out = diff_augment(x, ("translation",), gen(1))
    padded = torch.nn.functional.pad(x, [4, 4, 4, 4])
    shifts = set()
    for i in range(len(x)):
        found = [
            (dx, dy)
            for dx in range(-4, 5)
            for dy in range(-4, 5)
            if torch.equal(out[i], padded[i, :, 4 + dx : 32 + dx, 4 + dy : 32 + dy])
        ]
        assert len(found) == 1, f"image {i} is not a shift of its input by up to 4 pixels"
        shifts.add(found[0])
    assert len(shifts) > 5  # per-sample draws, not one shift for the whole batch


def test_cutout_zeroes_one_square_of_up_to_half_the_side():
    x = torch.ones(32, 1, 28, 28)
    out = diff_augment(x, ("cutout",), gen(2))
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    for img in out[:, 0]:
        rows = (img == 0).any(1).nonzero().view(-1)
        cols = (img == 0).any(0).nonzero().view(-1)
        assert 1 <= len(rows) <= 14 and 1 <= len(cols) <= 14
        zeros = img[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert (zeros == 0).all()  # one filled rectangle (a square cut by the edge)
        assert int((img == 0).sum()) == len(rows) * len(cols)


def test_color_keeps_a_grey_image_grey_and_moves_its_level():
    x = torch.full((8, 1, 28, 28), 0.25)
    out = diff_augment(x, ("color",), gen(5))
    assert out.shape == x.shape
    flat = out.flatten(1)
    assert torch.allclose(flat.min(1).values, flat.max(1).values)  # still uniform
    assert flat[:, 0].std() > 0.05  # brightness differs per sample


@pytest.mark.parametrize("policy", [("color",), ("translation",), ("cutout",), ALL])
def test_every_transform_is_differentiable(policy):
    """Gradients reach the input (G's output) through each transform; gradcheck in float64
    with the draws fixed by reseeding the generator on every call."""
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: diff_augment(t, policy, gen(7)), (x,))


def test_d_sees_augmented_real_and_fake_and_g_learns_through_it():
    preset = load_preset(
        "mnist-dcgan",
        ("model.g_hidden=[8]", "model.d_hidden=[8]", 'train.augment=["cutout"]'),
    )
    gan = GAN(preset, channels=1, device=torch.device("cpu"))
    seen: list[torch.Tensor] = []
    hook = gan.D.register_forward_pre_hook(lambda _m, args: seen.append(args[0].detach()))
    real = torch.full((8, 1, 28, 28), 0.5)
    g_before = [p.detach().clone() for p in gan.G.parameters()]
    gan.step(lambda k: real, gen())
    hook.remove()
    real_in, fake_in, g_in = seen
    # Every image D scored has its cut-out square: at least 7x7 of the 14x14 stays inside.
    for batch in (real_in, fake_in, g_in):
        assert ((batch == 0).flatten(1).sum(1) >= 49).all()
    assert ((real_in == 0.5) | (real_in == 0)).all()  # cutout only: nothing else changed
    assert any(not torch.equal(a, b) for a, b in zip(g_before, gan.G.parameters(), strict=True))


@pytest.mark.parametrize(
    "value, problem",
    [
        ('["zoom"]', "train.augment: expected a list of distinct names from color"),
        ('["cutout", "cutout"]', "expected a list of distinct names"),
        ('"cutout"', "expected a list of distinct names"),
    ],
)
def test_a_bad_policy_is_one_line(value, problem):
    with pytest.raises(PresetError, match=problem):
        load_preset("mnist-mlp", (f"train.augment={value}",))


def test_augmenting_1d_data_is_refused():
    raw = {
        "data": {"name": "toy1d"},
        "model": {"family": "toy1d"},
        "train": {"augment": ["translation"]},
    }
    with pytest.raises(PresetError, match="train.augment = \\[\\] for 1-D data"):
        validate(raw, "t.toml")
