"""A stand-in trainer for control tests: holds a run's lock and answers SIGUSR1 as a run does.

Started as `python fake_trainer.py tui-gan train RUN_DIR`, so its command line reads like a
trainer's. It writes RUN_DIR/flags.json with what its Controls hold, every 20 ms, and exits
(state "stopped") when asked to stop. No torch: it starts in a fraction of a second.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tui_gan.engine.control import Controls
from tui_gan.rundir.control import RemoteControl
from tui_gan.rundir.lock import RunLock
from tui_gan.rundir.status import write_status


def main(run_dir: Path) -> None:
    lock = RunLock(run_dir)
    assert lock.acquire(), "the run's lock is held by another process"
    controls = Controls()
    remote = RemoteControl(run_dir, controls)
    remote.install()
    write_status(run_dir, "running", preset="fake", step=0)
    rejected: list[str] = []
    while True:
        controls.poll()  # as the training loop does each step
        rejected += controls.take_rejected()
        flags = {
            "pause": controls.pause.is_set(),
            "stop": controls.stop.is_set(),
            "save": controls.save.is_set(),
            "saves_seen": remote.saves_seen,
            "rejected": rejected,
        }
        tmp = run_dir / "flags.tmp"
        tmp.write_text(json.dumps(flags))
        tmp.replace(run_dir / "flags.json")
        if controls.stop.is_set():
            write_status(run_dir, "stopped", step=0)
            return
        time.sleep(0.02)


if __name__ == "__main__":
    main(Path(sys.argv[-1]))
