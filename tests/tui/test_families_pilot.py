"""Pilot tests: an EBM's and a VAE's runs in the dashboard, and the D-dominance hint."""

from __future__ import annotations

from pathlib import Path

from tests.tui.fakerun import make_run, settle
from tests.tui.test_attach_pilot import text_of
from tui_gan.tui.app import Dashboard


async def test_an_ebm_run_shows_cd_and_regularisation_losses_and_energies(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path, family="ebm"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        losses = text_of(app, "#losses")
        assert "CD loss" in losses and "reg loss" in losses and "G loss" not in losses
        disc = app.query_one("#disc")
        assert disc.border_title.startswith("energies")
        text = text_of(app, "#disc")
        assert "E(real)" in text and "E(sample)" in text and "D(x)" not in text
        assert "0.5 ─" not in text  # energies are not probabilities: no equilibrium row
        assert "replay buffer" in app.query_one("#samples").border_title
        await pilot.press("f")
        await pilot.pause(0.1)
        assert "fresh chains" in app.query_one("#samples").border_title
        assert "112" in text_of(app, "#classes")  # class counts as for a GAN


async def test_a_vae_run_shows_its_terms_and_f_cycles_to_reconstructions(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path, family="vae"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        losses = text_of(app, "#losses")
        assert "recon" in losses and "KL" in losses
        assert "active z" in text_of(app, "#disc")
        assert app.query_one("#disc").border_title.startswith("latent")
        panel = app.query_one("#samples")

        def picture():
            return [list(strip) for strip in panel.strips()]

        fixed = picture()
        titles = []
        for _ in range(3):
            await pilot.press("f")
            await pilot.pause(0.1)
            titles.append(panel.border_title)
        assert "fresh samples" in titles[0]
        assert "real | reconstruction" in titles[1]
        assert "fixed noise" in titles[2]  # and round again
        await pilot.press("f", "f")
        await pilot.pause(0.1)
        assert picture() != fixed
        assert "showing real | reconstruction" in app.query_one("#events").lines


async def test_a_gan_whose_d_dominates_raises_the_hint(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path, dominated=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        disc = app.query_one("#disc")
        assert disc.has_class("alarm")
        assert "D DOMINATES: G/D loss 650x" in disc.border_title
        assert any("label_smoothing" in line for line in app.query_one("#events").lines)


async def test_a_balanced_gan_has_no_hint(tmp_path: Path):
    app = Dashboard(attach=make_run(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        disc = app.query_one("#disc")
        assert not disc.has_class("alarm") and "equilibrium" in disc.border_title
