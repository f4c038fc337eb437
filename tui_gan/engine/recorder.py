"""The one writer of a run's record: events become metrics.jsonl lines and status.json states."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tui_gan.config import to_toml
from tui_gan.engine import events as ev
from tui_gan.engine import records
from tui_gan.engine.context import RunSpec
from tui_gan.engine.control import Controls
from tui_gan.engine.trainer import Trainer
from tui_gan.errors import TuiGanError, UsageError, as_user_error
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.names import RUN_FORMAT
from tui_gan.rundir.status import write_status
from tui_gan.rundir.write import make_dirs

if TYPE_CHECKING:
    from tui_gan.engine.tensorboard import TensorBoardSink


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))


class Recorder:
    """Writes what a run reports, as it reports it: every event is appended to metrics.jsonl,
    and the ones that change the run's state also update status.json (which owns the state;
    the records are its history)."""

    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.rd = RunDir(spec.run_dir)
        self.tensorboard: TensorBoardSink | None = None  # when log.tensorboard names a folder
        self.said_starting = False

    def begin(self) -> None:
        """Set the directory up before the loop runs. A fresh start drops the records of a run
        killed before its first checkpoint (they describe nothing that survives); a resume
        drops those past its checkpoint once the loop has started from it (see handle)."""
        spec, rd = self.spec, self.rd
        rd.create()
        version = rd.read_format()
        if version is not None and version > RUN_FORMAT:
            raise UsageError(
                f"{rd.path} was written by a newer tui-gan (run format {version}); "
                "continue it with that version"
            )
        if spec.resume_step is None:
            records.truncate_after(rd, -1)
        write_status(rd.path, "starting", preset=spec.preset.name, step=spec.resume_step or 0)
        self.said_starting = True
        rd.write_format()
        rd.write_preset(to_toml(spec.preset))
        if spec.preset.log.tensorboard:
            from tui_gan.engine.tensorboard import TensorBoardSink

            logdir = Path(spec.preset.log.tensorboard).expanduser()
            if _inside(logdir, rd.path):  # in the run: made without following a link there
                make_dirs(logdir, within=rd.path)
            self.tensorboard = TensorBoardSink(logdir, rd.path, spec.resume_step)

    def handle(self, event: ev.Event) -> None:
        path = self.rd.path
        if isinstance(event, ev.RunStarted) and event.resumed:
            # Only now, with the checkpoint restored: a resume that fails before this (a bad
            # --set, damaged state) leaves the run's history as it was.
            records.truncate_after(self.rd, event.step)
        records.log(self.rd, event)
        if self.tensorboard is not None:
            self.tensorboard.handle(event)
        match event:
            case ev.RunStarted(step=step, total_steps=total):
                write_status(path, "running", step=step, total_steps=total)
            case ev.Paused(step=step):
                write_status(path, "paused", step=step)
            case ev.Resumed(step=step):
                write_status(path, "running", step=step)
            case ev.Finished(step=step, state=state):
                write_status(path, state, step=step)
            case ev.Failed(step=step, error=error):
                write_status(path, "failed", step=step, error=error)

    def record(self, stream: Generator[ev.Event, None, None]) -> Iterator[ev.Event]:
        """Pass the stream on, each event written first. A write that fails (a full disk) is
        thrown into the loop, which ends the run with a Failed event: that one is written if
        the disk still takes it, and passed on either way."""
        try:
            self.begin()
        except (OSError, TuiGanError) as err:
            stream.close()
            mapped = as_user_error(err)
            failed = ev.Failed(step=self.spec.resume_step or 0, error=str(mapped),
                               exit_code=mapped.exit_code)  # fmt: skip
            if self.said_starting:  # status.json says "starting": it must not stay so
                try:
                    write_status(self.rd.path, "failed", step=failed.step, error=failed.error)
                except (OSError, TuiGanError):
                    pass  # the disk takes nothing: the line on stderr says it all
            yield failed
            return
        try:
            event = next(stream, None)
            while event is not None:
                try:
                    self.handle(event)
                except Exception as err:  # a full disk; or a record that would not read back
                    if not isinstance(event, ev.Failed):
                        try:
                            event = stream.throw(err)  # the loop answers with its Failed event
                        except StopIteration:
                            return
                        continue
                    # The failure's record could not be written: its state still must be,
                    # or the run would read as starting (or running) for ever.
                    try:
                        write_status(self.rd.path, "failed", step=event.step, error=event.error)
                    except (OSError, TuiGanError):
                        pass  # the disk takes nothing: the line on stderr says it all
                yield event
                event = next(stream, None)
        finally:
            stream.close()
            self.rd.close()
            if self.tensorboard is not None:
                self.tensorboard.close()


def run(spec: RunSpec, controls: Controls | None = None) -> Iterator[ev.Event]:
    """Train in this process and record the run: the events, already on disk. The process's
    own settings are its starter's to make first (runtime.start_run_process)."""
    return Recorder(spec).record(Trainer(spec, controls).run())
