"""The EBM and the VAE chain through the real CLI: train, warm start, score, sample, eval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import run_cli
from tui_gan.cli.app import app
from tui_gan.engine import events as ev

pytestmark = pytest.mark.e2e


def cli(*args: str):
    """(exit code, stdout, stderr) of `tui-gan ARGS` run in this process."""
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def sets(*pairs: str) -> list[str]:
    return [x for p in pairs for x in ("--set", p)]


@pytest.fixture(scope="module")
def out(tmp_path_factory, mnist_classifiers) -> Path:
    folder = tmp_path_factory.mktemp("families")
    shutil.copytree(mnist_classifiers, folder / "classifiers")
    return folder


@pytest.fixture(scope="module")
def ebm_run(out: Path) -> Path:
    res = run_cli(
        "train", "--preset", "mnist-ebm", "--steps", "4", "--out", str(out), "--name", "e",
        *sets(
            "model.d_hidden=[4]", "train.batch_size=16", "ebm.mcmc_steps=3",
            "ebm.sample_steps=3", "ebm.buffer_size=128", "log.count_samples=20",
            "log.log_every=2", "log.eval_every=4", "log.eval_n=20",
        ),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "CD loss" in res.stdout and "E(sample)" in res.stdout
    return out / "e"


def test_an_ebm_run_records_energies_and_evaluates_with_its_sampling_time(ebm_run: Path):
    records = list(ev.iter_events(ebm_run / "metrics.jsonl"))
    steps = [e for e in records if isinstance(e, ev.StepMetrics)]
    assert steps and all(e.e_real is not None and e.loss_d is None for e in steps)
    evals = [e for e in records if isinstance(e, ev.Evaluated)]
    assert evals and evals[-1].fid is not None and evals[-1].sample_s is not None


def test_score_an_ebm_prints_the_seed_table(ebm_run: Path):
    code, stdout, _ = cli("score", str(ebm_run), "--n", "40", "--json")
    assert code == 0
    result = json.loads(stdout)
    assert result["family"] == "ebm" and result["score"].startswith("-E(x)")
    assert list(result["sets"]) == ["real", "noise", "hflip", "vflip", "rot90", "downscaled"]
    assert result["n"] == 40 and result["sets"]["real"]["auroc"] is None
    assert all(0 <= r["auroc"] <= 1 for k, r in result["sets"].items() if k != "real")
    code, stdout, _ = cli("score", str(ebm_run), "--n", "40")
    assert code == 0 and "AUROC" in stdout and "downscaled" in stdout


def test_sample_and_eval_an_ebm_take_mcmc_steps_and_say_the_time(ebm_run: Path, tmp_path: Path):
    png = tmp_path / "s.png"
    code, stdout, _ = cli(
        "sample", str(ebm_run), "--n", "4", "--mcmc-steps", "2", "--out", str(png)
    )
    assert code == 0 and png.is_file()
    assert "2 Langevin steps from noise" in stdout and "sampling took" in stdout
    code, stdout, _ = cli("eval", str(ebm_run), "--n", "20", "--mcmc-steps", "2", "--json")
    assert code == 0 and json.loads(stdout)["sample_s"] >= 0


@pytest.fixture(scope="module")
def vae_run(out: Path) -> Path:
    res = run_cli(
        "train", "--preset", "mnist-vae", "--steps", "6", "--out", str(out), "--name", "v",
        *sets("model.d_hidden=[4]", "log.log_every=3", "log.eval_every=0"),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "recon" in res.stdout and "KL" in res.stdout
    return out / "v"


def test_a_vae_run_draws_reconstructions(vae_run: Path):
    samples = [e for e in ev.iter_events(vae_run / "metrics.jsonl") if isinstance(e, ev.Samples)]
    assert samples[-1].recon == "samples/recon.png" and (vae_run / "samples/recon.png").is_file()
    assert (vae_run / "samples/interp.png").is_file()  # a VAE's latent space can be walked


def test_vae_gan_starts_from_the_newest_vae_and_says_so(vae_run: Path, out: Path):
    res = run_cli(
        "train", "--preset", "mnist-vae-gan", "--steps", "4", "--out", str(out), "--name", "vg",
        *sets("model.d_hidden=[4]", "log.log_every=2", "log.eval_every=0"),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    said = f"G starts from the decoder of {vae_run / 'last.pt'} (vae, step 6)"
    assert said in res.stdout
    notices = [e for e in ev.iter_events(out / "vg" / "metrics.jsonl") if isinstance(e, ev.Notice)]
    assert any(said in n.message for n in notices)
    steps = [
        e for e in ev.iter_events(out / "vg" / "metrics.jsonl") if isinstance(e, ev.StepMetrics)
    ]
    assert all(e.g_d_ratio is not None and e.g_d_ratio > 0 for e in steps)
    # D's logit as an anomaly score, the same table as the EBM's.
    code, stdout, _ = cli("score", str(out / "vg"), "--n", "30", "--json")
    assert code == 0 and json.loads(stdout)["score"] == "D's logit"


def test_a_decoder_that_does_not_fit_g_is_one_line(vae_run: Path, out: Path):
    res = run_cli(
        "train", "--preset", "mnist-vae-gan", "--steps", "2", "--out", str(out), "--name", "bad",
        *sets(f"model.init_g_from={vae_run}", "model.g_hidden=[16]"),
    )  # fmt: skip
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert lines[-1].startswith("tui-gan: model.init_g_from ")
    assert "does not match G at net.0.weight" in lines[-1]


def test_no_vae_to_start_from_is_one_line(tmp_path: Path):
    res = run_cli("train", "--preset", "mnist-vae-gan", "--steps", "2", "--out", str(tmp_path))
    assert res.returncode == 2
    assert "no mnist-vae run with a checkpoint under" in res.stderr.strip().splitlines()[-1]


def test_score_refuses_a_1d_run_in_one_line(tmp_path: Path):
    res = run_cli(
        "train", "--preset", "toy1d-sine", "--steps", "2", "--out", str(tmp_path), "--name", "t",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    code, _, stderr = cli("score", str(tmp_path / "t"))
    assert code == 2 and "score is for image runs" in stderr


def test_latent_walks_of_an_ebm_are_refused_in_one_line(ebm_run: Path):
    for command in ("grid", "interpolate"):
        code, _, stderr = cli(command, str(ebm_run))
        assert code == 2 and "has no latent space to walk" in stderr
        assert len(stderr.strip().splitlines()) == 1


def test_the_faces_chain_runs_on_a_synthetic_folder(tmp_path: Path):
    """faces-vae then faces-vae-gan from it, on 40 made-up 'faces' (ellipses on grey)."""
    import numpy as np
    from PIL import Image, ImageDraw

    faces = tmp_path / "faces"
    faces.mkdir()
    rng = np.random.default_rng(0)
    for i in range(40):
        img = Image.new("L", (48, 48), int(rng.integers(60, 120)))
        d = ImageDraw.Draw(img)
        x, y = rng.integers(4, 12, 2)
        d.ellipse((x, y, 48 - x, 48 - y + 4), fill=int(rng.integers(150, 230)))
        d.ellipse((14, 16, 20, 22), fill=20)
        d.ellipse((28, 16, 34, 22), fill=20)
        img.save(faces / f"{i:03d}.png")
    out = tmp_path / "runs"
    common = ("--out", str(out), "--set", f"data.root={faces}", "--set", "train.batch_size=16")
    small = ("--set", "model.g_hidden=[16]", "--set", "model.d_hidden=[8]")
    vae = run_cli("train", "--preset", "faces-vae", "--steps", "4", "--name", "fv", *common, *small)
    assert vae.returncode == 0, vae.stderr
    assert (out / "fv" / "samples" / "recon.png").is_file()
    gan = run_cli(
        "train", "--preset", "faces-vae-gan", "--steps", "3", "--name", "fg", *common, *small
    )
    assert gan.returncode == 0, gan.stderr
    assert f"G starts from the decoder of {out / 'fv' / 'last.pt'} (vae, step 4)" in gan.stdout
    code, stdout, stderr = cli("score", str(out / "fg"), "--n", "20", "--json")
    assert code == 0 and json.loads(stdout)["n"] == 20
    assert "no held-out split" in json.loads(stdout)["note"]


def test_mcmc_steps_on_a_run_without_chains_is_one_line(vae_run: Path):
    code, _, stderr = cli("sample", str(vae_run), "--mcmc-steps", "3")
    assert code == 2 and "--mcmc-steps is for ebm runs" in stderr
    assert len(stderr.strip().splitlines()) == 1
