"""Training never waits for the class-count classifier, and never feels it: a run whose
classifier trains alongside it records what a run with it cached records."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch

from tui_gan.config import validate
from tui_gan.engine import classcount
from tui_gan.engine import classifier as clf
from tui_gan.engine import events as ev
from tui_gan.engine.checkpoint import load_run_checkpoint
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run


def digits_spec(run_dir: Path, classifiers: Path) -> RunSpec:
    preset = validate(
        {
            "data": {"name": "mnist", "download": False},  # the embedded digits
            "model": {"family": "mlp", "g_hidden": [16], "d_hidden": [16]},
            "train": {"steps": 40, "batch_size": 16},
            "log": {
                "log_every": 5,
                "sample_every": 10,
                "count_samples": 50,
                "checkpoint_every": 0,
            },
        },
        "test",
    )
    return RunSpec(preset, run_dir, classifier_dir=classifiers)


@pytest.fixture
def no_shipped_weights(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The embedded digits as any data set without shipped weights: the classifier is trained
    by the run (one epoch, so the test stays short, and a large share, so it is ready
    mid-run whatever the machine's load)."""
    monkeypatch.setattr(clf, "SHIPPED", tmp_path / "none.pt")
    monkeypatch.setattr(classcount, "Training", functools.partial(clf.Training, epochs=1))
    monkeypatch.setattr(classcount, "SHARE", 0.9)


def test_losses_are_the_same_with_the_classifier_cold_or_cached(tmp_path: Path, no_shipped_weights):
    classifiers = tmp_path / "classifiers"
    cold = list(run(digits_spec(tmp_path / "cold", classifiers)))
    assert list(classifiers.glob("mnist-lenet-*.pt")), "the trained classifier is cached"
    warm = list(run(digits_spec(tmp_path / "warm", classifiers)))

    def losses(events):
        return [
            (e.step, e.loss_d, e.loss_g, e.d_real, e.d_fake) for e in events if e.TYPE == "step"
        ]

    assert len(losses(cold)) == 8 and losses(cold) == losses(warm)
    # The run's own random streams (global torch, numpy, python) end where they would have.
    a = load_run_checkpoint(tmp_path / "cold" / "last.pt")["rng"]
    b = load_run_checkpoint(tmp_path / "warm" / "last.pt")["rng"]
    assert torch.equal(a["torch"], b["torch"]) and a["python"] == b["python"]
    assert torch.equal(a["numpy"]["key"], b["numpy"]["key"])
    assert a["train_gen"].equal(b["train_gen"])
    # Cold: the first steps came before the classifier was ready; its training was announced,
    # and class counts follow once it is ready.
    notes = [e.message for e in cold if isinstance(e, ev.Notice)]
    assert any("trains alongside the run" in n for n in notes)
    assert not any("trains alongside" in e.message for e in warm if isinstance(e, ev.Notice))
    ready = next(
        i
        for i, e in enumerate(cold)
        if isinstance(e, ev.Notice) and "classifier is ready" in e.message
    )
    assert any(e.TYPE == "step" for e in cold[:ready]), "training did not wait for it"
    counted = [e for e in cold[ready:] if isinstance(e, ev.Samples)]
    assert counted and all(e.class_counts is not None for e in counted)
    # The same classifier either way: the last samples are counted alike.
    last = [[e for e in events if isinstance(e, ev.Samples)][-1] for events in (cold, warm)]
    assert last[0].step == 40 and last[0].class_counts == last[1].class_counts


def test_the_first_grid_comes_with_the_first_record(tmp_path: Path):
    """Every family shows a picture at its first record; that one is drawn cheaply (the
    preview's 64 fresh samples) and counts no classes, the regular grids count them all."""
    events = list(run(digits_spec(tmp_path / "r", tmp_path / "classifiers")))
    samples = [e for e in events if isinstance(e, ev.Samples)]
    assert [e.step for e in samples] == [5, 10, 20, 30, 40]
    first, regular = samples[0], samples[1:]
    assert first.class_counts is None and first.n is None
    assert all(e.class_counts is not None and sum(e.class_counts) == 50 for e in regular)
    # The shipped classifier: nothing to train, so no notice about it.
    assert not any("classifier" in e.message for e in events if isinstance(e, ev.Notice))


def test_a_stop_does_not_wait_for_the_classifier(tmp_path: Path, no_shipped_weights, monkeypatch):
    """Stopped before the classifier is ready: the run ends at once, its grids uncounted,
    rather than training the classifier to the end first."""
    from tui_gan.engine.control import Controls

    monkeypatch.setattr(classcount, "SHARE", 1e-6)  # never ready during the run
    spec = digits_spec(tmp_path / "r", tmp_path / "classifiers")
    controls = Controls()
    events = []
    for e in run(spec, controls):
        events.append(e)
        if isinstance(e, ev.StepMetrics) and e.step == 10:
            controls.request_stop()
    assert isinstance(events[-1], ev.Finished) and events[-1].state == "stopped"
    assert all(e.class_counts is None for e in events if isinstance(e, ev.Samples))
    assert not list((tmp_path / "classifiers").glob("mnist-lenet-*.pt"))


def test_progress_is_told_and_the_classifier_cached(tmp_path: Path):
    """Slices of a given length (the loop idle, paused): notices at a quarter, half and three
    quarters, then ready; the next run of the same data finds it at once."""
    from tui_gan.engine.data import ImageData, load_embedded_mnist

    train = load_embedded_mnist(True)
    images, labels = train.data[:640].unsqueeze(1).clone(), train.targets[:640].clone()
    data = ImageData("mnist", "mnist:part:640", 1, 28, images, labels, 10)
    counter = classcount.ClassCounter(data, tmp_path, torch.device("cpu"))
    assert counter.pending and counter.model is None
    notes = []
    while counter.pending:
        notes += counter.work(budget_s=1e-4)  # a batch a call
    assert [n.split(" trained")[0][-3:] for n in notes[:3]] == ["25%", "50%", "75%"]
    assert len(notes) == 4 and "classifier is ready" in notes[3] and counter.model is not None
    again = classcount.ClassCounter(data, tmp_path, torch.device("cpu"))
    assert not again.pending and again.start_notice() is None
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    assert torch.equal(again.model(x), counter.model(x))
