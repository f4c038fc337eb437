"""How the loop is steered: plain flags a front end, a signal handler or RemoteControl sets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tui_gan.rundir.state import EndState


class Flag:
    """A bool with Event's set/clear/is_set, safe to flip from a signal handler.

    threading.Event takes a lock that a signal handler, which runs between bytecodes of the
    main thread, may find already held by that same thread: a SIGUSR1 flood deadlocked a
    run that way. A plain attribute store takes no lock.
    """

    __slots__ = ("_on",)

    def __init__(self) -> None:
        self._on = False

    def set(self) -> None:
        self._on = True

    def clear(self) -> None:
        self._on = False

    def is_set(self) -> bool:
        return self._on


@dataclass
class Controls:
    """How a front end steers a run: set `stop` to end it (after a checkpoint), `pause` to hold
    it, `save` to ask for a checkpoint at the next step. The loop calls `poll()` each step: a
    signal only raises `wake`, and the request is read there, outside the handler."""

    stop: Flag = field(default_factory=Flag)
    pause: Flag = field(default_factory=Flag)
    save: Flag = field(default_factory=Flag)
    stop_state: EndState = "stopped"  # what Finished.state says: stopped | interrupted
    rejected: list[str] = field(default_factory=list)  # bad remote requests, for the log
    wake: bool = False  # set by the SIGUSR1 handler: control.json has something to read
    on_wake: Callable[[], None] | None = None

    def request_stop(self, state: EndState = "stopped") -> None:
        self.stop_state = state
        self.stop.set()

    def reject(self, why: str) -> None:
        """A request that was not applied."""
        self.rejected.append(why)

    def take_rejected(self) -> list[str]:
        out, self.rejected = self.rejected, []
        return out

    def poll(self) -> None:
        """Apply a request a signal announced; cheap when there is none."""
        if self.wake:
            self.wake = False
            if self.on_wake is not None:
                self.on_wake()
