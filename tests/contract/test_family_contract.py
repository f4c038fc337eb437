"""The contract every registered family keeps, whoever wrote it: built from a tiny preset, it
keeps the interface and the capabilities it declares, trains, records, checkpoints, resumes
exactly, samples, scores and draws its fixed view. Parametrised from the registry, so a family
registered from outside (tests/e2e/test_outside_family.py runs this file in a process that
registers the test family) is held to the same contract as the built-in ones."""

from __future__ import annotations

import math

import pytest
import torch

from tests.contract.tiny import HALF, STEPS, preset_for, runs
from tui_gan.engine import events as ev
from tui_gan.engine import family as interface
from tui_gan.families import REGISTRY, Family

FAMILIES = sorted(REGISTRY)


def fam_of(name: str) -> Family:
    return REGISTRY[name]


def values(events: list[ev.Event], fam: Family) -> list[tuple]:
    """Each step record's step and the family's values (not img/s: that is the clock's)."""
    return [
        (e.step, *(e.value(k) for k in fam.metrics))
        for e in events
        if isinstance(e, ev.StepMetrics)
    ]


@pytest.mark.parametrize("name", FAMILIES)
def test_it_keeps_the_interface_and_the_capabilities_it_declares(name: str, tmp_path):
    fam = fam_of(name)
    model = interface.build(fam, preset_for(fam, tmp_path), 1, torch.device("cpu"))
    assert isinstance(model, interface.Trainable)
    assert interface.broken_promises(model, fam.caps) == []
    assert model.caps == fam.caps
    assert set(model.metric_names) == set(fam.metrics)
    assert model.conditional == fam.caps.labels and model.has_latent == fam.caps.latent
    assert model.generator in ("ema", "live")
    # Each typed accessor answers what the descriptor declares, nothing else.
    for flag, accessor in (
        ("score", interface.scoring),
        ("ema", interface.averaging),
        ("distributed", interface.distributable),
        ("reconstruction", interface.reconstructing),
        ("chains", interface.chains),
        ("warm_start", interface.warm_startable),
        ("critic", interface.critic),
    ):
        assert (accessor(model) is not None) == getattr(fam.caps, flag), flag
    assert fam.noun and fam.outputs_title and fam.advice and fam.fixed_view and fam.fresh_view
    if fam.caps.score:
        assert fam.score_name  # `tui-gan score` names what it ranks by
    if fam.networks:
        assert fam.networks[0][0] in model.state_dict()


@pytest.mark.parametrize("name", FAMILIES)
def test_it_trains_records_and_resumes_exactly(name: str, tmp_path_factory):
    fam = fam_of(name)
    r = runs(fam, tmp_path_factory)
    events = r.straight_events
    assert isinstance(events[-1], ev.Finished) and events[-1].step == STEPS, events[-1]
    steps = [e for e in events if isinstance(e, ev.StepMetrics)]
    assert [e.step for e in steps] == list(range(1, STEPS + 1))
    for e in steps:  # its own values, finite, and the record reads as its family's
        assert all(math.isfinite(e.value(k) or math.nan) for k in fam.metrics), e
        assert e.family().kind == fam.kind
    # What the loop yielded is what the run directory holds, field for field.
    assert list(ev.iter_events(r.straight / "metrics.jsonl")) == events
    assert (r.straight / "last.pt").is_file()
    # 2 + 2 steps through a checkpoint log what 4 straight steps log, bit for bit.
    assert values(r.resumed_events, fam) == values(events, fam)[HALF:]


@pytest.mark.parametrize("name", FAMILIES)
def test_it_samples_scores_and_draws_its_fixed_view(name: str, tmp_path_factory):
    from tui_gan.cli.sample import load_model
    from tui_gan.render.ascii import render_image
    from tui_gan.render.halfblock import make_grid
    from tui_gan.render.tiling import load_tiles

    fam = fam_of(name)
    r = runs(fam, tmp_path_factory)
    loaded = load_model(str(r.straight), "cpu")
    model = loaded.model
    assert loaded.step == STEPS and model.caps == fam.caps
    g = torch.Generator().manual_seed(0)
    x = model.generate(model.sample_z(6, g), model.balanced_labels(6))
    assert len(x) == 6 and torch.isfinite(x).all() and x.abs().max() <= 1
    scorer = interface.scoring(model)
    if scorer is not None:
        scores = scorer.score(x)
        assert scores.shape == (6,) and torch.isfinite(scores).all()
    if fam.one_d:
        toy = [e for e in r.straight_events if isinstance(e, ev.Toy1DSnapshot)]
        assert toy and toy[-1].consistent()
        return
    view = model.fixed_view(model.sample_z(4, g))
    assert view.ndim == 4 and torch.isfinite(view).all()
    # The samples panel's fixed view as the dashboard draws it: the grid the record names.
    shown = [e for e in r.straight_events if isinstance(e, ev.Samples)][-1]
    size = model.preset.data.image_size
    tiles = load_tiles(r.straight / shown.path, size, shown.nrow)
    assert tiles is not None and len(tiles) >= 1
    text = render_image(make_grid(tiles[:, None], pad=1), 40, 10, "ascii")
    assert len(text.splitlines()) >= 2 and text.strip()
    if fam.caps.reconstruction:
        assert shown.recon is not None and (r.straight / shown.recon).is_file()
