"""A family defined outside the package (tests/plugins/tui_gan_testfamily, a linear
autoencoder) registers itself through TUI_GAN_FAMILIES and works through the real commands,
the contract test and the dashboard's Pilot test, with no edit under tui_gan/. A registration
that does not work is one line, and registering never imports torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e

PLUGINS = REPO / "tests" / "plugins"
PRESET = PLUGINS / "tui_gan_testfamily" / "pca.toml"
SPEC = "tui_gan_testfamily:FAMILY"


def env(spec: str = SPEC, path: Path = PLUGINS) -> dict[str, str]:
    """This process's environment, with the test family registered from outside."""
    python_path = os.pathsep.join(p for p in (str(path), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "COLUMNS": "100", "PYTHONPATH": python_path, "TUI_GAN_FAMILIES": spec}


def tui_gan(*args: str, environ: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        [sys.executable, "-m", "tui_gan", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=environ or env(),
    )


@pytest.fixture(scope="module")
def out(tmp_path_factory, mnist_classifiers) -> Path:
    folder = tmp_path_factory.mktemp("outside")
    shutil.copytree(mnist_classifiers, folder / "classifiers")
    return folder


@pytest.fixture(scope="module")
def pca_run(out: Path) -> Path:
    res = tui_gan(
        "train", "--preset", str(PRESET), "--steps", "20", "--out", str(out), "--name", "p",
        "--set", "log.eval_every=20", "--set", "log.eval_n=20",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "recon MSE" in res.stdout and "explained var" in res.stdout
    return out / "p"


def test_train_records_its_own_values_pictures_and_evaluation(pca_run: Path):
    lines = [json.loads(ln) for ln in (pca_run / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in lines if r["type"] == "step"]
    assert steps and all(set(r["values"]) == {"pca_rec", "pca_ortho", "pca_var", "pca_zstd"}
                         for r in steps)  # fmt: skip
    samples = [r for r in lines if r["type"] == "samples"]
    assert samples[-1]["recon"] == "samples/recon.png"  # it declares reconstruction
    assert (pca_run / "samples" / "interp.png").is_file()  # and a latent space
    assert any(r["type"] == "eval" and r.get("fid") is not None for r in lines)


def test_sample_eval_score_and_runs_take_it_from_its_descriptor(pca_run: Path, tmp_path: Path):
    png = tmp_path / "s.png"
    res = tui_gan("sample", str(pca_run), "--n", "4", "--out", str(png))
    assert res.returncode == 0, res.stderr
    assert png.is_file() and "4 samples from the linear decoder" in res.stdout
    res = tui_gan("eval", str(pca_run), "--n", "20", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["fid"] is not None
    res = tui_gan("score", str(pca_run), "--n", "30", "--json")
    assert res.returncode == 0, res.stderr
    scored = json.loads(res.stdout)
    assert scored["family"] == "pca" and scored["score"] == "minus the reconstruction error"
    res = tui_gan("runs", "--out", str(pca_run.parent), "--json")
    assert res.returncode == 0, res.stderr
    (row,) = [r for r in json.loads(res.stdout) if r["name"] == "p"]
    assert row["state"] == "finished" and "recon MSE" in json.dumps(row)


def test_it_keeps_the_contract_and_the_dashboard_shows_it():
    """The contract test and the Pilot test, run in a process that registers the family."""
    res = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "pca",
            "tests/contract/test_family_contract.py", "tests/tui/test_family_panels_pilot.py",
        ],
        capture_output=True, text=True, timeout=600, cwd=REPO, env=env(),
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "4 passed" in res.stdout, res.stdout[-2000:]


def test_registering_imports_no_torch_and_help_stays_light():
    code = (
        "import sys; sys.argv = ['tui-gan', '--help']\n"
        "from tui_gan import families\n"
        "from tui_gan.cli.app import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "print('pca' in families.REGISTRY, 'torch' in sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env())
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "True False"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no_such_module:FAMILY", "cannot import no_such_module (ModuleNotFoundError"),
        ("tui_gan_testfamily:NOPE", "tui_gan_testfamily has no NOPE"),
        ("tui_gan_testfamily:PRESET", "PosixPath is not a tui_gan.families.Family"),
        ("tui_gan_testfamily", "expected module:attribute"),
    ],
)
def test_a_bad_registration_is_one_line_and_the_command_goes_on(spec: str, says: str):
    res = tui_gan("presets", environ=env(spec))
    assert res.returncode == 0, res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("tui-gan: TUI_GAN_FAMILIES: ") and says in line, line
    assert line.endswith("; left out") and "Traceback" not in res.stderr
    assert "mnist-mlp" in res.stdout


def test_a_family_whose_name_is_taken_is_left_out(tmp_path: Path):
    (tmp_path / "clash.py").write_text(
        "from dataclasses import replace\n"
        "from tui_gan_testfamily import FAMILY\n"
        "TWICE = (FAMILY, replace(FAMILY, name='mlp'))\n"
    )
    path = os.pathsep.join((str(tmp_path), str(PLUGINS)))
    code = "from tui_gan import families; print(sorted(families.REGISTRY)[-3:])"
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env("clash:TWICE", path)
    )
    assert res.returncode == 0
    assert (
        res.stderr.strip()
        == "tui-gan: TUI_GAN_FAMILIES: clash:TWICE: family mlp: the name is taken; left out"
    )
    assert "'pca'" in res.stdout  # the first of the two joined


def test_an_installed_package_registers_through_its_entry_point(tmp_path: Path):
    dist = tmp_path / "tui_gan_testfamily-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tui-gan-testfamily\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text(f"[tui_gan.families]\npca = {SPEC}\n")
    path = os.pathsep.join((str(tmp_path), str(PLUGINS)))
    code = "from tui_gan import families; print(families.family('pca').name, families.PROBLEMS)"
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env("", path)
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "pca []"
