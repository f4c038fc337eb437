"""The dashboard app: shows a run directory live and steers the run's own process."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from tui_gan.errors import EXIT_INTERRUPTED, one_line
from tui_gan.launch import last_log_line, spawn_train
from tui_gan.request import TrainArgs
from tui_gan.rundir.control import request, why_not_live
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.names import PRESET
from tui_gan.rundir.state import LIVE_STATES, STATES
from tui_gan.rundir.status import read_status, run_state
from tui_gan.stopping import StopOutcome
from tui_gan.tui.confirm import Confirm
from tui_gan.tui.messages import (
    ProcessExited,
    RecordsArrived,
    ReportWritten,
    ResourcesRead,
    Said,
    StateChanged,
    StopSettled,
)
from tui_gan.tui.mode import Mode, line_filters, pick_mode
from tui_gan.tui.resources import ResourceReader
from tui_gan.tui.watcher import RunWatcher, Targets
from tui_gan.tui.widgets.charts import DiscPanel, LossPanel
from tui_gan.tui.widgets.classes import ClassPanel
from tui_gan.tui.widgets.eventlog import EventLog
from tui_gan.tui.widgets.header import RunHeader
from tui_gan.tui.widgets.quality import QualityPanel
from tui_gan.tui.widgets.samples import SampleBase, SamplePanel
from tui_gan.tui.widgets.toy import ToyPanel
from tui_gan.view.runview import RunView, display_path, observe

if TYPE_CHECKING:
    from tui_gan.config import Preset
    from tui_gan.tui.picker import Pick

# The screen is drawn when something changed, at most this often (a few Hz, whatever the
# training speed); nothing wakes the screen while nothing changes, but the clock.
DRAW_S = 0.25
CLOCK_S = 1.0  # the header's elapsed time and ETA tick while the run trains
START_WAIT_S = 300  # a picker's new run must start within this
STOP_WAIT_S = 120  # q waits this long for the run's final checkpoint
# What detaching says of a run that no longer trains.
ENDED_SAYS = {
    "finished": "the run has finished",
    "stopped": "the run was stopped",
    "interrupted": "the run was interrupted",
    "failed": "the run failed",
}


class Dashboard(App):
    CSS = """
    Screen { layout: vertical; }
    #body { height: 1fr; }
    Screen.-narrow #body { layout: vertical; }
    #left { width: 1fr; min-width: 24; }
    #right { width: 1fr; min-width: 20; }
    LossPanel, DiscPanel { height: 1fr; min-height: 3; }
    ClassPanel { height: 12; min-height: 3; }
    Screen.-short ClassPanel { height: 7; }
    ClassPanel.alarm, DiscPanel.alarm { border: heavy $error; border-title-color: $error; }
    #samples, ToyPanel { height: 1fr; }
    .hidden { display: none; }
    OptionList:nocolor > .option-list--option-highlighted { text-style: reverse bold; }
    Dashboard.-ascii ViewPanel { border: ascii $panel-lighten-2; }
    Dashboard.-ascii ClassPanel.alarm, Dashboard.-ascii DiscPanel.alarm {
        border: heavy $error;  /* drawn "=" in ASCII: an alarm stands out without colour */
    }
    Dashboard.-ascii #help { border: ascii $accent; }
    Dashboard.-ascii Confirm > Static { border: ascii $warning; }
    """
    # The layout follows the screen's size through these classes (set in the same pass as
    # the size, so a resize never leaves the panels laid out for the size before): stacked
    # below 70 columns, so none is squeezed to nothing; under 40 rows the class counts take
    # two columns of five, so the loss and D panels keep rows for their scales (at 100x30
    # each chart then gets y ticks, not only a one-row sparkline).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (70, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]
    TITLE = "tui-gan"
    BINDINGS = [
        Binding("p", "pick", "preset"),
        Binding("s", "save", "save"),
        # One key, two labels: the footer says what space does now.
        Binding("space", "pause", "pause"),
        Binding("space", "resume", "resume"),
        Binding("f", "flip", "fixed/random"),
        # In `?` rather than the footer, which has room at 80 columns for the keys above,
        # d, q and ?.
        Binding("i", "interp", "latent walks", show=False),
        Binding("w", "wide", "wide samples", show=False),
        Binding("z", "zoom", "zoom samples", show=False),
        Binding("m", "smooth", "smooth charts", show=False),
        Binding("r", "report", "write report", show=False),
        Binding("d", "detach", "detach"),
        Binding("x", "stop_run", "stop run", show=False),
        Binding("q", "quit_run", "quit"),
        Binding("question_mark", "help", "help"),
    ]

    def __init__(
        self,
        launch: TrainArgs | None = None,
        attach: Path | None = None,
        presets_source=None,
        graphics: str = "halfblock",
        draw_mode: Mode | None = None,
    ):
        super().__init__()
        # Colour depth and character set: --render, else what the environment says.
        self.draw_mode = draw_mode or pick_mode()
        if self.draw_mode.colour == "none":
            self.no_color = True  # Textual's :nocolor rules apply, whatever NO_COLOR says
        if self.draw_mode.ascii:
            self.add_class("-ascii")
        self.graphics = graphics  # from graphics.pick_protocol(), probed before the app starts
        self.launch = launch
        self.run_dir: Path | None = Path(attach) if attach else None
        self.view: RunView | None = RunView.open(self.run_dir) if self.run_dir else None
        # The watcher thread reads these two while the UI thread changes them: the UI thread
        # only ever replaces them whole (an assignment is atomic), never mutates them in place.
        self.procs: dict[Path, Any] = {}  # run dir -> Popen of runs this dashboard started
        self.starting: frozenset[Path] = frozenset()  # picker runs shown once they have started
        self.discard_on_exit: frozenset[Path] = frozenset()  # failed starts, once they exit
        self.quitting: Path | None = None  # q was pressed: exit when this run has ended
        self.dirty = True  # the view has changed since the screen last showed it
        self.presets_source = presets_source
        # The run's CPU, memory and GPU, read by the watcher's thread (never by the run).
        self.reader = ResourceReader()
        self.watcher = RunWatcher(self.post_message, self._targets, self.reader)
        self._draw_pending = False  # one draw at a time is waiting
        self._drawn_at = 0.0
        self._clock: Any = None
        self._paused_shown = False  # what the footer's space says

    def get_line_filters(self):
        # The mode's: no colour codes at all under "none", every character ASCII in ASCII.
        return line_filters(self.draw_mode, super().get_line_filters())

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
        # ctrl+p still opens the palette; its footer entry would push "? help" off at 80.
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._clock = self.set_interval(CLOCK_S, self._tick, pause=True)
        self.watch_runs()
        if self.launch is not None:
            self.start_run(self.launch)
        elif self.run_dir is not None:
            self.say(f"attached to {display_path(self.run_dir)}")
            self.follow(self.run_dir)

    def on_unmount(self) -> None:
        self.watcher.stop()  # its thread ends now, not at its next look

    # --- the run --------------------------------------------------------------

    def say(self, text: str) -> None:
        if self.draw_mode.ascii:
            text = text.replace("…", "...")
        self.query_one(EventLog).say(text)

    def start_run(self, args: TrainArgs) -> Path | None:
        """Start `tui-gan train` as its own process; the first run is shown at once, a picked
        one once it has started (the run on screen goes on until then)."""
        from tui_gan.errors import TuiGanError

        first = self.run_dir is None
        preset: Preset | None = None
        try:
            if not args.resume and args.name is None:
                args, preset = args.new_run()  # a picked preset: validated here, without torch
            run_dir = args.run_dir
            self.procs = {**self.procs, run_dir: spawn_train(args)}
        except TuiGanError as err:
            self.say(f"error: {err}")
            return None
        except OSError as err:  # an output folder we cannot write, say
            self.say(f"error: cannot start the run: {err}")
            return None
        if first:
            self.follow(run_dir, preset or _preset_of(args))
        else:
            self.starting |= {run_dir}
            self.say(f"starting {display_path(run_dir)}…")
            self.set_timer(START_WAIT_S, lambda: self._start_timed_out(run_dir))
        self.watcher.wake()
        return run_dir

    def follow(self, run_dir: Path, preset: Preset | None = None) -> None:
        """Show `run_dir`; `preset`: the one a run just launched from here was given, so the
        header names it before the run has written its own."""
        self.run_dir = run_dir
        if preset is not None and not (run_dir / PRESET).exists():
            self.view = RunView.launched(run_dir, preset)
        else:
            self.view = RunView.open(run_dir)
        self.sub_title = one_line(run_dir)
        problem = RunDir(run_dir).format_problem()
        if problem:
            self.say(f"warning: {problem}")
        self.watcher.wake()
        self._changed()

    def _targets(self) -> Targets:
        """What the watcher follows (read on its thread: each attribute is replaced whole)."""
        view = self.view
        return Targets(
            shown=self.run_dir,
            device=view.device if view else "?",
            gpu=view.gpu if view else None,
            procs=self.procs,
            starting=self.starting,
        )

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_runs(self) -> None:
        """The one thread that reads the runs' files (the UI thread reads them only on a key
        or a message): watcher.py posts what changed as messages."""
        worker = get_current_worker()
        try:
            self.watcher.run(lambda: worker.is_cancelled)
        finally:
            self.reader.close()  # NVML, once the watching is over

    def on_resources_read(self, message: ResourcesRead) -> None:
        if message.run_dir == self.run_dir:
            log = self.query_one(EventLog)
            log.border_title = f" {message.line} " if message.line else None

    def on_said(self, message: Said) -> None:
        self.say(message.text)

    def on_records_arrived(self, message: RecordsArrived) -> None:
        if self.view is None or message.run_dir != self.run_dir:
            return  # records of a run we no longer show
        if message.reset:  # history rewritten; the state (status.json's) stands
            old, self.view = self.view, RunView.open(message.run_dir)
            self.view.observed, self.view.total_steps = old.observed, old.total_steps
        for event in message.events:
            self.view.apply(event)
        self._say_notes()

    def on_state_changed(self, message: StateChanged) -> None:
        run_dir, state = message.run_dir, message.state
        if run_dir in self.starting:
            if state == "failed":
                status = read_status(run_dir)
                self._start_failed(run_dir, (status and status.error) or last_log_line(run_dir))
            elif state in STATES and state != "starting":  # it trains (or already ended)
                self._switch_to(run_dir)
        if run_dir == self.run_dir and self.view is not None:
            self.view.set_state(state, message.total_steps)
            self._say_notes()
        if run_dir == self.quitting and state not in LIVE_STATES:
            self._exit_after_stop(run_dir)

    def on_process_exited(self, message: ProcessExited) -> None:
        run_dir = message.run_dir
        self.procs = {d: p for d, p in self.procs.items() if d != run_dir}
        if run_dir in self.starting:
            self._start_failed(run_dir, last_log_line(run_dir))
        elif run_dir in self.discard_on_exit:
            self._discard(run_dir)
        elif run_dir == self.run_dir and self.view is not None:
            self.view.set_state(*observe(run_dir))
            if message.returncode not in (0, EXIT_INTERRUPTED) and self.view.state != "failed":
                self.say(
                    f"error: training process exited ({message.returncode}): "
                    f"{last_log_line(run_dir)}"
                )
            self._say_notes()

    def _say_notes(self) -> None:
        assert self.view is not None
        for line in self.view.take_notes():
            self.say(line)
        self._changed()

    def _switch_to(self, run_dir: Path) -> None:
        self.starting -= {run_dir}
        old = self.run_dir
        if old is not None and self.view is not None and self.view.state in LIVE_STATES:
            if self._request(old, stop=True):
                self.say(f"stopping {display_path(old)} (checkpoint saved on the way out)")
        self.say(f"preset switched: now {display_path(run_dir)}")
        self.follow(run_dir)

    def _start_failed(self, run_dir: Path, why: str) -> None:
        """A picked run ended before its first step: say why, then remove the folder it made
        (once its process has exited: a trainer still writing there keeps it)."""
        if run_dir not in self.starting:
            return
        self.starting -= {run_dir}
        self.say(f"error: {run_dir.name} did not start: {why}; the current run goes on")
        proc = self.procs.get(run_dir)
        if proc is not None and proc.poll() is None:
            self.discard_on_exit |= {run_dir}
        else:
            self._discard(run_dir)

    def _discard(self, run_dir: Path) -> None:
        from tui_gan.launch import discard_failed_start

        self.discard_on_exit -= {run_dir}
        self.say(discard_failed_start(run_dir))

    def _start_timed_out(self, run_dir: Path) -> None:
        proc = self.procs.get(run_dir)
        if run_dir in self.starting and proc is not None and proc.poll() is None:
            proc.terminate()  # not left training unseen; it saves what it has on SIGTERM
            self._start_failed(run_dir, f"still setting up after {START_WAIT_S}s, stopped")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # One place for worker errors: the message reaches the screen, the UI stays up.
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.say(f"error: {type(event.worker.error).__name__}: {event.worker.error}")

    def _changed(self) -> None:
        """The view has changed: draw it soon, at most every DRAW_S (changes that come
        together are drawn once)."""
        self.dirty = True
        if not self._draw_pending:
            self._draw_pending = True
            wait = self._drawn_at + DRAW_S - time.monotonic()
            if wait > 0:
                self.set_timer(wait, self._draw, name="draw")
            else:  # after the messages in hand: a burst of them is drawn once
                self.call_later(self._draw)

    def _draw(self) -> None:
        self._draw_pending = False
        self.refresh_panels()

    def _tick(self) -> None:
        """Each second while the run trains: the header's clock (it redraws only when the
        second shown changes)."""
        if self.view is not None and not self.dirty:
            self.query_one(RunHeader).update_view(self.view)

    def refresh_panels(self) -> None:
        """Hand the view to the panels; each redraws only if what it shows has changed."""
        self._drawn_at = time.monotonic()
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
        if self._clock is not None:
            self._clock.resume() if v.state == "running" else self._clock.pause()
        if (v.state == "paused") != self._paused_shown:
            self._paused_shown = v.state == "paused"
            self.refresh_bindings()  # space: pause or resume

    # --- keys -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("pause", "resume"):  # space is one of them at a time
            return (action == "resume") == self._paused_shown
        return True

    def _live(self) -> bool:
        # Read now, not the view's last poll: a key acts on the run as it is.
        if self.run_dir is None or run_state(self.run_dir) not in LIVE_STATES:
            self.say("the run is not live: nothing to steer")
            return False
        return True

    def _request(self, run_dir: Path | None = None, **change) -> bool:
        """Send a request to the run; say in the log why when it cannot be sent."""
        from tui_gan.errors import TuiGanError

        run_dir = run_dir or self.run_dir
        try:
            if request(run_dir, **change):
                self.watcher.wake()  # its answer shows in status.json: look soon
                return True
            self.say(f"error: {why_not_live(run_dir)}")
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
            # Show it at once; status.json confirms within a step.
            self.view.set_state("paused" if pause else "running")
            self.say("pausing…" if pause else "resuming…")
            self.dirty = True
            self.refresh_panels()

    def action_resume(self) -> None:
        """space while paused (the footer says resume): the same toggle."""
        self.action_pause()

    def action_smooth(self) -> None:
        """m: both charts draw their moving average, or their raw series again."""
        on = self.query_one(LossPanel).toggle_smooth()
        self.query_one(DiscPanel).toggle_smooth()
        self.say(f"smoothing {'on' if on else 'off'}")

    # f, i, w and z are the samples panel's keys, its actions and its state; they are bound
    # here because the panel never has focus (a binding reaches the app, the screen or the
    # focused widget, never a widget by its id).
    def action_flip(self) -> None:
        self.query_one("#samples", SampleBase).action_flip()

    def action_zoom(self) -> None:
        self.query_one("#samples", SampleBase).action_zoom()

    def action_wide(self) -> None:
        self.query_one("#samples", SampleBase).action_wide()

    def action_interp(self) -> None:
        self.query_one("#samples", SampleBase).action_interp()

    def on_sample_base_said(self, message: SampleBase.Said) -> None:
        self.say(message.text)

    def on_sample_base_width_wanted(self, message: SampleBase.WidthWanted) -> None:
        """The samples (wide, or showing latent walks) take the width of the charts."""
        self.query_one("#left").set_class(message.full, "hidden")

    def action_report(self) -> None:
        """Write the figures and report.md of the run on screen (tui-gan report), in the
        background: the screen stays live, and the log says where they went."""
        if self.run_dir is None:
            self.say("no run on screen to report")
            return
        if any(w.group == "report" and w.is_running for w in self.workers):
            self.say("a report is already being written…")
            return
        self.say(f"writing the report of {display_path(self.run_dir)}…")
        self._write_report(self.run_dir)

    @work(thread=True, group="report", exit_on_error=False)
    def _write_report(self, run_dir: Path) -> None:
        from tui_gan.launch import write_report

        worker = get_current_worker()
        try:
            ok, line = write_report(run_dir, lambda: worker.is_cancelled)
        except Exception as err:  # noqa: BLE001 - a report must never close the dashboard
            ok, line = False, f"{type(err).__name__}: {err}"
        if not worker.is_cancelled:
            self.post_message(ReportWritten(run_dir, ok, line))

    def on_report_written(self, message: ReportWritten) -> None:
        if not message.ok:
            self.say(f"error: report: {message.line}")
            return
        report = message.run_dir / "report"
        try:
            figures = sum(1 for p in report.iterdir() if p.suffix == ".png")
        except OSError:
            figures = 0
        # Short, so the path survives an 80-column log; the figures' names are in report.md.
        self.say(f"report written: {display_path(report / 'report.md')} ({figures} figures)")
        losses = report / "losses.png"
        if self.graphics in ("kitty", "sixel") and losses.is_file():
            from tui_gan.tui.figure import FigureScreen

            self.push_screen(FigureScreen(losses, self.graphics))

    def action_pick(self) -> None:
        from tui_gan.tui.picker import PresetPicker

        base = self.launch or (TrainArgs(out=self.run_dir.parent) if self.run_dir else TrainArgs())

        def chosen(pick: Pick | None) -> None:
            if pick is not None:
                args = base.with_preset(pick.name)
                self.start_run(replace(args, overrides=(*args.overrides, *pick.overrides)))

        # `out`: where the picked run will go (with_preset's folder), so the picker can tell
        # whether a preset finds what it needs there.
        self.push_screen(PresetPicker(self.presets_source, out=base.with_preset("").out), chosen)

    def action_help(self) -> None:
        from tui_gan.tui.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_detach(self) -> None:
        message = None
        if self.run_dir is not None:
            where = display_path(self.run_dir)
            state = run_state(self.run_dir)
            if state in LIVE_STATES:
                said = f"detached; the run goes on. Back to it: tui-gan attach {where}"
            else:
                ended = ENDED_SAYS.get(state, "the run is not training")
                said = f"detached; {ended}. To see it again: tui-gan attach {where}"
            # Text, not a str: Rich would read "[bold]" in a run's name as markup.
            message = Text(said)
        self.exit(message=message)

    async def action_quit(self) -> None:
        """The command palette's Quit: what q does."""
        self.action_quit_run()

    def action_quit_run(self) -> None:
        """q leaves the viewer: a run this dashboard did not start goes on (as d); for one it
        started, one question: stop it, or leave it training."""
        if self.run_dir is None or run_state(self.run_dir) not in LIVE_STATES:
            self.exit()
            return
        if self.run_dir not in self.procs:
            self.action_detach()
            return
        answers = (("s", "stop the run (after a checkpoint) and quit"), ("d", "detach: it goes on"))
        self.push_screen(Confirm("Quit the dashboard:", answers), self._quit_answered)

    def _quit_answered(self, key: str | None) -> None:
        if key == "s":
            self._stop_and_exit()
        elif key == "d":
            self.action_detach()

    def action_stop_run(self) -> None:
        """x ends the run on screen, whoever started it, after one question."""
        if self.run_dir is None or run_state(self.run_dir) not in LIVE_STATES:
            self.say("the run is not live: nothing to stop")
            return
        answers = (("y", "stop it (it saves a checkpoint first) and quit"),)
        question = f"Stop the run {display_path(self.run_dir)}?"
        self.push_screen(Confirm(question, answers), lambda k: k == "y" and self._stop_and_exit())

    def _stop_and_exit(self) -> None:
        """Ask the run to save and stop, then leave saying how it ended (as `tui-gan stop`)."""
        if self.run_dir is None:
            return
        if not self._request(stop=True):
            self.exit(message=Text(one_line(why_not_live(self.run_dir))))
            return
        self.say("saving a checkpoint and stopping the run…")
        run_dir = self.quitting = self.run_dir
        self.set_timer(STOP_WAIT_S, lambda: self._exit_after_stop(run_dir))

    def _exit_after_stop(self, run_dir: Path) -> None:
        """The run has ended, or the wait for it is over: say how, as `tui-gan stop` does."""
        if self.quitting != run_dir:
            return  # already settling (the state change and the timer both call this)
        self.quitting = None
        self._settle_stop(run_dir)

    @work(thread=True, group="stop", exit_on_error=False)
    def _settle_stop(self, run_dir: Path) -> None:
        from tui_gan.stopping import stop_outcome

        try:
            outcome = stop_outcome(run_dir)
        except Exception as err:  # noqa: BLE001 - q must leave the dashboard, whatever happens
            outcome = StopOutcome(False, one_line(f"{run_dir}: {type(err).__name__}: {err}"))
        self.post_message(StopSettled(outcome))

    def on_stop_settled(self, message: StopSettled) -> None:
        outcome = message.outcome
        line = outcome.line if outcome.ok else f"tui-gan: {outcome.line}"
        self.exit(return_code=0 if outcome.ok else 1, message=Text(line))


def _preset_of(args: TrainArgs) -> Preset | None:
    """The preset a launched run was given (the CLI has validated it): the header's first
    frame. None if it cannot be read now: the run's own preset.toml will tell."""
    if args.resume:
        return None  # a resumed run has its preset.toml already
    from tui_gan.errors import TuiGanError
    from tui_gan.presets import load_preset

    try:
        return load_preset(args.preset, args.preset_overrides())
    except (TuiGanError, OSError):
        return None
