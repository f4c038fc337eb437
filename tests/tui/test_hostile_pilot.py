"""Pilot tests for the hardening issue: attach to runs with broken or forged files.

The dashboard shows what it can, says what it cannot, and never signals a process that is not
the run's own trainer.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import psutil

from tests.conftest import start_fake_trainer
from tests.tui.fakerun import make_run, settle
from tui_gan.tui.app import Dashboard


async def test_keys_never_signal_a_stranger_named_in_status(tmp_path: Path):
    run = make_run(tmp_path, state="running")
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    trainer = start_fake_trainer(run)  # holds the run's lock, so the run reads as live
    try:
        # ... but status.json now names the stranger, as a forged or stale file would
        forged = {
            "state": "running",
            "pid": stranger.pid,
            "started": psutil.Process(stranger.pid).create_time(),
            "host": socket.gethostname(),
        }
        (run / "status.json").write_text(json.dumps(forged))
        app = Dashboard(attach=run)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await pilot.press("space")
            await pilot.pause(0.3)
            text = "\n".join(app.query_one("#events").lines)
            assert f"status.json names pid {stranger.pid}" in text
            assert "which is not this run's trainer" in text
        assert stranger.poll() is None, "a key press signalled an unrelated process"
        assert json.loads((run / "flags.json").read_text())["saves_seen"] == 0
    finally:
        for proc in (stranger, trainer):
            proc.kill()
            proc.wait()


async def test_attach_to_junk_files_shows_the_rest(tmp_path: Path):
    run = make_run(tmp_path)
    good = (run / "metrics.jsonl").read_bytes()
    junk = b'42\n[1, 2]\n\xff\xfe\n{"type": "step", "step": "ten"}\n{"type": "samples"}\n'
    (run / "metrics.jsonl").write_bytes(junk + good + junk)
    (run / "status.json").write_text("[]")
    (run / "preset.toml").write_bytes(b"\xff\xfe not toml")
    app = Dashboard(attach=run)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.view.step == 400  # every good record arrived
        assert app.view.state == "finished"  # from the records, since status.json is junk
        assert "status.json is unreadable" in "\n".join(app.query_one("#events").lines)
        assert app.view.loss_d.count > 0
        assert app.return_code is None  # still running: nothing crashed


async def test_the_resources_line_shows_the_live_trainers_cpu_and_memory(tmp_path: Path):
    run = make_run(tmp_path, state="running")
    trainer = start_fake_trainer(run)
    try:
        app = Dashboard(attach=run)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            title = ""
            for _ in range(40):  # read once a second; the first reading starts the clock
                await pilot.pause(0.1)
                title = str(app.query_one("#events").border_title or "")
                if "CPU" in title:
                    break
            assert "CPU" in title and "RSS" in title
    finally:
        trainer.kill()
        trainer.wait()
