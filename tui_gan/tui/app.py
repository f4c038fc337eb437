"""The dashboard app: shows a run directory live and steers the run's own process."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from tui_gan.engine import control
from tui_gan.launch import LaunchSpec, last_log_line, new_run_dir, resume_dir, spawn_train
from tui_gan.tui.runview import RunTail, RunView, display_path
from tui_gan.tui.widgets.charts import DiscPanel, LossPanel
from tui_gan.tui.widgets.classes import ClassPanel
from tui_gan.tui.widgets.eventlog import EventLog
from tui_gan.tui.widgets.header import RunHeader
from tui_gan.tui.widgets.quality import QualityPanel
from tui_gan.tui.widgets.samples import SamplePanel
from tui_gan.tui.widgets.toy import ToyPanel

REFRESH_S = 0.25  # screen refresh period, whatever the training speed
POLL_S = 0.2  # how often the worker looks for new records
STOP_WAIT_S = 120  # q waits this long for the run's final checkpoint


@dataclass
class RunRecords(Message):
    """New metrics.jsonl records of one run, read by the tail worker."""

    run_dir: Path
    records: list[dict[str, Any]]
    reset: bool = False  # the file was rewritten (a resume): rebuild the view from these


@dataclass
class RunProcessExited(Message):
    """The training process this dashboard started has exited."""

    run_dir: Path
    returncode: int


class Dashboard(App):
    CSS = """
    Screen { layout: vertical; }
    #body { height: 1fr; }
    #left { width: 1fr; min-width: 24; }
    #right { width: 1fr; min-width: 20; }
    LossPanel, DiscPanel { height: 1fr; min-height: 3; }
    ClassPanel { height: 12; min-height: 3; }
    ClassPanel.alarm { border: heavy $error; border-title-color: $error; }
    #samples, ToyPanel { height: 1fr; }
    QualityPanel { height: 4; }
    .hidden { display: none; }
    """
    TITLE = "tui-gan"
    BINDINGS = [
        Binding("p", "pick", "preset"),
        Binding("s", "save", "save"),
        Binding("space", "pause", "pause"),
        Binding("f", "flip", "fixed/random"),
        Binding("d", "detach", "detach"),
        Binding("q", "quit_run", "quit"),
        Binding("question_mark", "help", "help"),
    ]

    def __init__(
        self,
        launch: LaunchSpec | None = None,
        attach: Path | None = None,
        presets_source=None,
        graphics: str = "halfblock",
    ):
        super().__init__()
        self.graphics = graphics  # from graphics.pick_protocol(), probed before the app starts
        self.launch = launch
        self.run_dir: Path | None = Path(attach) if attach else None
        self.view: RunView | None = RunView.open(self.run_dir) if self.run_dir else None
        self.procs: dict[Path, Any] = {}  # run dir -> Popen of runs this dashboard started
        self.detached = False
        self.dirty = True
        self.presets_source = presets_source
        self.pending_switch: Path | None = None
        self._last_state_check = 0.0

    # --- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield RunHeader(id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield LossPanel(id="losses")
                yield DiscPanel(id="disc")
                yield ClassPanel(id="classes")
            with Vertical(id="right"):
                if self.graphics in ("kitty", "sixel"):
                    from tui_gan.tui.widgets.pixels import PixelSamplePanel

                    yield PixelSamplePanel(self.graphics, id="samples")
                else:
                    yield SamplePanel(id="samples")
                yield ToyPanel(id="toy", classes="hidden")
                yield QualityPanel(id="quality", classes="hidden")
        yield EventLog(id="events")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.refresh_panels)
        if self.launch is not None:
            self.start_run(self.launch, first=True)
        elif self.run_dir is not None:
            self.say(f"attached to {display_path(self.run_dir)}")
            self.follow(self.run_dir)

    def on_resize(self) -> None:
        # Stack the panels on narrow terminals so none is squeezed to nothing.
        body = self.query_one("#body")
        body.styles.layout = "vertical" if self.size.width < 70 else "horizontal"
        # Ten class rows on a tall screen; two columns of five when rows are scarce, so the
        # loss and D panels keep room for both of their series.
        self.query_one("#classes").styles.height = 12 if self.size.height >= 30 else 7

    # --- the run --------------------------------------------------------------

    def say(self, text: str) -> None:
        self.query_one(EventLog).say(text)

    def start_run(self, spec: LaunchSpec, first: bool = False) -> Path | None:
        """Validate the preset here (no torch), then start `tui-gan train` as its own process."""
        from tui_gan.errors import TuiGanError
        from tui_gan.presets import load_preset

        try:
            if spec.resume:
                run_dir = resume_dir(spec.resume)
            else:
                preset = load_preset(spec.preset, spec.overrides)
                run_dir = new_run_dir(spec.out, preset.name, spec.name)
        except TuiGanError as err:
            self.say(f"error: {err}")
            return None
        try:
            self.procs[run_dir] = spawn_train(spec, run_dir)
        except OSError as err:  # an output folder we cannot write, say
            self.say(f"error: cannot start the run in {display_path(run_dir)}: {err}")
            return None
        if first or self.run_dir is None:
            self.follow(run_dir)
        else:
            self.pending_switch = run_dir  # switch once it has started; old run keeps going
            self.say(f"starting {display_path(run_dir)}…")
            self.watch_start(run_dir)
        return run_dir

    def follow(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.view = RunView.open(run_dir)
        self.sub_title = str(run_dir)
        self.dirty = True
        self.tail_run(run_dir)

    @work(thread=True, exclusive=True, group="tail")
    def tail_run(self, run_dir: Path) -> None:
        """The one worker that follows the run: new records become messages, ~5 times a second."""
        worker = get_current_worker()
        tail = RunTail(run_dir / "metrics.jsonl")
        while not worker.is_cancelled:
            records = tail.read()
            if records or tail.reset:
                self.post_message(RunRecords(run_dir, records, tail.reset))
            proc = self.procs.get(run_dir)
            if proc is not None and proc.poll() is not None:
                records = tail.read()  # whatever it wrote last
                if records:
                    self.post_message(RunRecords(run_dir, records))
                self.post_message(RunProcessExited(run_dir, proc.returncode))
                self.procs.pop(run_dir, None)
            time.sleep(POLL_S)

    @work(thread=True, group="switch")
    def watch_start(self, run_dir: Path) -> None:
        """A picker's new run replaces the current one only once it really started."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = control.run_state(run_dir)
            proc = self.procs.get(run_dir)
            if state in ("running", "paused", "finished"):
                self.call_from_thread(self._switch_to, run_dir)
                return
            if state == "failed" or (proc is not None and proc.poll() is not None):
                status = control.read_status(run_dir) or {}
                why = status.get("error") or last_log_line(run_dir)
                self.call_from_thread(self._switch_failed, run_dir, why)
                return
            time.sleep(0.1)
        self.call_from_thread(self._switch_failed, run_dir, "did not start within 5 minutes")

    def _switch_to(self, run_dir: Path) -> None:
        old = self.run_dir
        self.pending_switch = None
        live = old is not None and control.run_state(old) in control.LIVE_STATES
        if live and self._request(old, stop=True):
            self.say(f"stopping {display_path(old)} (checkpoint saved on the way out)")
        self.say(f"preset switched: now {display_path(run_dir)}")
        self.follow(run_dir)

    def _switch_failed(self, run_dir: Path, why: str) -> None:
        self.pending_switch = None
        self.say(f"error: {run_dir.name} did not start: {why}; the current run goes on")

    def on_run_records(self, message: RunRecords) -> None:
        if self.view is None or message.run_dir != self.run_dir:
            return  # a record of a run we no longer show
        if message.reset:
            self.view = RunView.open(message.run_dir)
        for rec in message.records:
            self.view.apply(rec)
        for line in self.view.drain_events():
            self.say(line)
        self.dirty = True

    def on_run_process_exited(self, message: RunProcessExited) -> None:
        if message.run_dir != self.run_dir or self.view is None:
            return
        self.view.refresh_state()
        if message.returncode not in (0, 130) and self.view.state != "failed":
            self.say(
                f"error: training process exited ({message.returncode}): "
                f"{last_log_line(message.run_dir)}"
            )
        self.dirty = True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # One place for worker errors: the message reaches the screen, the UI stays up.
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.say(f"error: {type(event.worker.error).__name__}: {event.worker.error}")

    def refresh_panels(self) -> None:
        now = time.monotonic()
        if self.view is not None and now - self._last_state_check > 1.0:
            self._last_state_check = now
            before = self.view.state
            self.view.refresh_state()
            self.dirty |= before != self.view.state
            for line in self.view.drain_events():
                self.say(line)
        if not self.dirty or self.view is None:
            return
        self.dirty = False
        v = self.view
        toy = v.is_toy
        self.query_one("#samples").set_class(toy, "hidden")
        self.query_one("#classes").set_class(toy, "hidden")
        self.query_one("#toy").set_class(not toy, "hidden")
        self.query_one("#quality").set_class(v.last_eval is None, "hidden")
        for widget in self.query("#header, #losses, #disc, #classes, #samples, #toy, #quality"):
            widget.update_view(v)

    # --- keys -----------------------------------------------------------------

    def _live(self) -> bool:
        if self.run_dir is None or control.run_state(self.run_dir) not in control.LIVE_STATES:
            self.say("the run is not live: nothing to steer")
            return False
        return True

    def _request(self, run_dir: Path | None = None, **change) -> bool:
        """Send a request to the run; say in the log why when it cannot be sent."""
        from tui_gan.errors import TuiGanError

        run_dir = run_dir or self.run_dir
        try:
            if control.request(run_dir, **change):
                return True
            self.say(f"error: {control.why_not_live(run_dir)}")
        except TuiGanError as err:  # control.json cannot be written (a read-only folder)
            self.say(f"error: {err}")
        return False

    def action_save(self) -> None:
        if self._live() and self._request(save=True):
            self.say("checkpoint requested…")

    def action_pause(self) -> None:
        if not self._live() or self.view is None:
            return
        pause = self.view.state != "paused"
        if self._request(pause=pause):
            # Show it at once; the run's own record confirms within a step.
            self.view.state = "paused" if pause else "running"
            self.say("pausing…" if pause else "resuming…")
            self.dirty = True
            self.refresh_panels()

    def action_flip(self) -> None:
        fresh = self.query_one("#samples").toggle()
        self.say("showing fresh random samples" if fresh else "showing the fixed-noise grid")

    def action_pick(self) -> None:
        from tui_gan.tui.picker import PresetPicker

        def chosen(name: str | None) -> None:
            if name:
                base = self.launch or LaunchSpec(
                    out=self.run_dir.parent if self.run_dir else Path("checkpoints")
                )
                self.start_run(base.with_preset(name))

        self.push_screen(PresetPicker(self.presets_source), chosen)

    def action_help(self) -> None:
        from tui_gan.tui.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_detach(self) -> None:
        self.detached = True
        self.exit(message=self._detach_message())

    def _detach_message(self) -> str:
        if self.run_dir is None:
            return ""
        return f"detached; the run goes on. Back to it: tui-gan attach {display_path(self.run_dir)}"

    def action_quit_run(self) -> None:
        if self.run_dir is None or control.run_state(self.run_dir) not in control.LIVE_STATES:
            self.exit()
            return
        if not self._request(stop=True):
            self.exit(message=control.why_not_live(self.run_dir))
            return
        self.say("saving a checkpoint and stopping the run…")
        self.wait_and_exit(self.run_dir)

    @work(thread=True, group="quit")
    def wait_and_exit(self, run_dir: Path) -> None:
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline:
            if control.run_state(run_dir) not in control.LIVE_STATES:
                break
            time.sleep(0.1)
        status = control.read_status(run_dir) or {}
        self.call_from_thread(
            self.exit,
            message=f"run {status.get('state', '?')} at step {status.get('step', '?')}: "
            f"{display_path(run_dir / 'last.pt')}",
        )
