"""Pilot test: the dashboard attached to a finished run of each registered family shows that
family's own series in its two chart panels and names its samples view, from the descriptor
alone. A family registered from outside is checked the same way, in a process that registers
it (tests/e2e/test_outside_family.py)."""

from __future__ import annotations

import pytest

from tests.contract.tiny import runs
from tests.tui.fakerun import settle
from tests.tui.test_attach_pilot import text_of
from tui_gan.families import REGISTRY
from tui_gan.tui.app import Dashboard


@pytest.mark.parametrize("name", sorted(REGISTRY))
async def test_its_panels_show_its_series(name: str, tmp_path_factory):
    fam = REGISTRY[name]
    run = runs(fam, tmp_path_factory).straight
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.view is not None and app.view.kind == fam
        losses = text_of(app, "#losses")
        assert all(s.label in losses for s in fam.losses), losses
        outputs = text_of(app, "#disc")
        assert all(s.label in outputs for s in fam.outputs), outputs
        if not fam.adversarial:  # a G/D pair's title says what D's outputs are
            assert app.query_one("#disc").border_title.startswith(fam.outputs_title)
        if not fam.one_d:
            title = str(app.query_one("#samples").border_title)
            assert fam.fixed_view in title or "noise x class" in title, title
