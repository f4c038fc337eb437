"""Every file name of a run directory (and of a sweep's folder), spelled once."""

from __future__ import annotations

import re

# Version of the run directory's layout (run.json). 1: before run.json existed; its records
# read the same, with the defaults standing for fields it did not write.
RUN_FORMAT = 2

FORMAT = "run.json"  # the layout version, {"format": RUN_FORMAT}
PRESET = "preset.toml"  # the preset the run trains, as resolved (overrides applied)
METRICS = "metrics.jsonl"  # the records, one JSON object a line, appended
STATUS = "status.json"  # the trainer's state, pid and step (rundir.status)
CONTROL = "control.json"  # a front end's request to pause, save or stop (rundir.control)
LOCK = ".trainer.lock"  # held by the live trainer (rundir.lock)
CLAIM = ".claim"  # written by whoever took the folder for a new run, with its token
LAST = "last.pt"  # the newest checkpoint, always kept
SAMPLES = "samples"  # the sample grids, step-NNNNNNN.png
TRAIN_LOG = "train.log"  # a launcher sends the trainer's output here (dash, sweeps, SIGHUP)
TORCHRUN_LOG = "torchrun.log"  # torchrun's own output, beside train.log
CLASSIFIERS = "classifiers"  # beside the runs: the class-count classifiers they share
TENSORBOARD = "tensorboard"  # the optional TensorBoard event files

SWEEP = "sweep.json"  # a sweep's spec, runs and sessions (sweep.runner writes it)
SWEEP_LOCK = ".sweep.lock"  # held by the process driving a sweep

CKPT_RE = re.compile(r"^ckpt-(\d{7})\.pt$")
CKPT_GLOB = "ckpt-*.pt"


def ckpt_name(step: int) -> str:
    return f"ckpt-{step:07d}.pt"


def sample_name(step: int) -> str:
    return f"step-{step:07d}.png"
