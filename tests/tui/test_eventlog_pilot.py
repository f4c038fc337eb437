"""The event log (issue 23): a long error reads whole, wrapped; older lines scroll back into
view; the history is bounded; ASCII mode draws only ASCII."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region

from tui_gan.tui.mode import Mode
from tui_gan.tui.widgets.eventlog import HISTORY, EventLog

# What a failed start says: longer than two rows at 80 columns.
REASON = (
    "error: faces-dcgan-20260101-120000 did not start: faces: image folder "
    "/data/shared/datasets/celebrity-faces/aligned-greyscale does not exist; fix data.root "
    "(--set data.root=DIR); the current run goes on"
)


class LogApp(App):
    def __init__(self, height: int | None = None, mode: Mode | None = None):
        super().__init__()
        self.height = height
        self.draw_mode = mode or Mode()

    def compose(self) -> ComposeResult:
        log = EventLog(id="events")
        if self.height:
            log.styles.height = self.height
        yield log


def shown(app: App) -> list[str]:
    """The rows the log draws on the screen, as text."""
    log = app.query_one(EventLog)
    return [s.text.rstrip() for s in log.render_lines(Region(0, 0, *log.outer_size))]


def words(rows: list[str]) -> str:
    return " ".join(" ".join(rows).split())


async def test_a_long_error_wraps_and_reads_whole():
    app = LogApp(height=8)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(EventLog).say(REASON)
        await pilot.pause()
        rows = shown(app)
        assert all(len(r) <= 80 for r in rows)
        assert len([r for r in rows if r]) >= 3  # wrapped, not cut
        assert REASON.replace(" ", "") in "".join(rows).replace(" ", "")
        assert "…" not in "".join(rows)


async def test_the_newest_line_shows_and_older_ones_scroll_back():
    app = LogApp()  # the default height: two rows of text under the border
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(EventLog)
        log.say("checkpoint saved at step 1000")
        log.say(REASON)
        for i in range(5):
            log.say(f"line {i}")
        await pilot.pause()
        assert "line 4" in words(shown(app))  # the newest is in view
        assert "line 0" not in words(shown(app))
        log.focus()
        seen = []
        for _ in range(20):  # up, a row at a time, back to the start
            await pilot.press("up")
            seen.append(words(shown(app)))
        everything = " ".join(seen)
        assert "checkpoint saved at step 1000" in everything
        assert "the current run goes on" in everything and "did not start" in everything
        # Scrolled back, a new line leaves the view where the reader put it...
        log.say("line 5")
        await pilot.pause()
        assert "line 5" not in words(shown(app))
        await pilot.press("end")  # ...and End brings the newest back
        await pilot.pause()
        assert "line 5" in words(shown(app))


async def test_the_history_is_bounded_and_follows_a_resize():
    app = LogApp(height=5)
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(EventLog)
        for i in range(HISTORY + 50):
            log.say(f"notice {i}")
        await pilot.pause()
        assert len(log.lines) == HISTORY and log.lines[0] == "notice 50"
        assert log.virtual_size.height == HISTORY
        log.say(REASON)
        await pilot.pause()
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        assert all(len(r) <= 60 for r in shown(app))
        assert "the current run goes on" in words(shown(app))


async def test_ascii_mode_draws_ascii_only():
    app = LogApp(mode=Mode("none", ascii=True))
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(EventLog)
        log.say("starting checkpoints/mnist-mlp-1\u2026 \u00e9t\u00e9")
        for i in range(6):
            log.say(f"line {i}")
        await pilot.pause()
        svg_free = "".join(shown(app)) + "".join(log.lines)
        assert all(" " <= c <= "~" for c in svg_free), svg_free
        log.focus()
        await pilot.press("home")
        await pilot.pause()
        assert "starting checkpoints/mnist-mlp-1. ete" in words(shown(app))
        bar = log.vertical_scrollbar
        drawn = "".join(s.text for s in bar.render_lines(Region(0, 0, *bar.size)))
        assert all(" " <= c <= "~" for c in drawn), drawn
