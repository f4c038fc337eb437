"""Shared fixtures: an isolated cache, a CPU-only environment and a real-CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
FAKE_TRAINER = Path(__file__).with_name("fake_trainer.py")  # a live run's lock, no torch


def start_fake_trainer(run_dir: Path) -> subprocess.Popen:
    """A stand-in trainer (tests/fake_trainer.py) live on run_dir: it holds the run's lock and
    answers requests; returns once it is up. The caller kills it."""
    import time

    proc = subprocess.Popen(
        [sys.executable, str(FAKE_TRAINER), "tui-gan", "train", str(run_dir)],
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not (run_dir / "flags.json").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("the fake trainer did not start")
        time.sleep(0.02)
    return proc


# Fuzz profiles: "ci" (the default) keeps the suite fast; HYPOTHESIS_PROFILE=long digs deeper
# locally. The deadline catches a hang: no example may take seconds.
_FUZZ = {"deadline": 2000, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=60, **_FUZZ)
settings.register_profile("long", max_examples=3000, **_FUZZ)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    # Every test (and every subprocess it starts) unpacks data and caches classifiers
    # in one temp folder, never in the user's ~/.cache.
    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("TUI_GAN_CACHE")
    os.environ["TUI_GAN_CACHE"] = str(cache)
    if not os.environ.get("TUI_GAN_TEST_CUDA"):  # tests/gpu asks for the GPU
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # tests are the CPU path, GPU or not
    yield cache
    if old is None:
        os.environ.pop("TUI_GAN_CACHE", None)
    else:
        os.environ["TUI_GAN_CACHE"] = old


@pytest.fixture(autouse=True)
def _no_leaked_render_choice(monkeypatch: pytest.MonkeyPatch):
    # A command run in-process (CliRunner) with --render sets TUI_GAN_RENDER (and the
    # dashboard TEXTUAL_COLOR_SYSTEM) in os.environ for its subcommands, as a real process
    # would for its own life; here that would leak into every later test's child processes.
    for name in ("TUI_GAN_RENDER", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session", autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory):
    # Every `tui-gan train` records its run in $XDG_STATE_HOME/tui-gan (tui_gan/runindex.py):
    # the tests' runs go to a temp folder, never into the user's own index.
    state = tmp_path_factory.mktemp("state")
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(state)
    yield state
    if old is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = old


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One --out folder for the end-to-end tests, so the digit classifier is trained once."""
    return tmp_path_factory.mktemp("runs")


def run_cli(
    *args: str, timeout: float = 300, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run the real `tui-gan` (as `python -m tui_gan`) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "tui_gan", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or REPO,
        env={**os.environ, "COLUMNS": "100"},
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def mnist_classifiers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classifiers/ folder holding the embedded-MNIST digit classifier, trained once."""
    from tui_gan.engine.classifier import get_classifier
    from tui_gan.engine.data import load_embedded_mnist

    folder = tmp_path_factory.mktemp("shared") / "classifiers"
    train = load_embedded_mnist(True)
    get_classifier(folder, "mnist:embedded-5k:4000", train.data.unsqueeze(1), train.targets, 10)
    return folder


def checkpoint_entry(state: dict, key: str) -> dict:
    """The dict of a run checkpoint, as written, that holds `key` (format 2 nests the model's
    entries and the loop's: engine/checkpoint.py), for the tests that damage one of them."""
    return next(d for d in (state, state["model"], state["loop"]) if key in d)
