"""Mode collapse at a glance: one bar per class, entropy, classes seen, and an alarm; for a
conditional run, each class's conditional accuracy, and an alarm for a class G ignores."""

from __future__ import annotations

from rich.text import Text

from tui_gan.render.tiling import class_labels
from tui_gan.tui.mode import Mode, mode_of
from tui_gan.tui.widgets.base import ViewPanel


def collapsed(counts: list[int], entropy: float) -> bool:
    """Alarm when generation concentrates on few classes (entropy or coverage drops)."""
    k = len(counts)
    covered = sum(1 for c in counts if c > 0)
    # A class is only "seen" in a meaningful sense if it gets a fair share of samples.
    fair = sum(1 for c in counts if c >= 0.2 * sum(counts) / max(k, 1))
    return entropy < 0.75 or covered < 0.7 * k or fair < 0.6 * k


IGNORED_BELOW = 0.5  # a class whose samples the classifier calls right less often is ignored


def ignored(accuracy: list[float]) -> list[int]:
    """Classes a conditional G does not draw when asked: conditional accuracy under 0.5."""
    return [i for i, a in enumerate(accuracy) if a < IGNORED_BELOW]


def bar_glyphs(mode: Mode) -> tuple[str, str, str]:
    """A bar's filled, starved (the alarm's red) and empty cells: without colour a starved
    class must still stand out, so it gets a glyph of its own."""
    if mode.ascii:
        return "#", "!", "."
    if mode.colour == "none":
        return "█", "░", "·"
    return "█", "█", "·"


class ClassPanel(ViewPanel):
    def __init__(self, **kwargs):
        super().__init__("classes", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.samples and view.samples.step, view.fid.count)

    def update_view(self, view) -> None:
        s = view.samples
        if s and s.cond_accuracy is not None:
            acc = s.cond_accuracy
            missed = ignored(acc)
            self.set_class(bool(missed), "alarm")
            mean = sum(acc) / len(acc)
            self.border_title = (
                f"cond acc {mean:.0%}"
                + (f"  IGNORED: {','.join(map(str, missed))}" if missed else "")
                + ("  EMA G" if s.generator == "ema" else "")
            )
        elif s and s.class_counts is not None and s.class_entropy is not None:
            counts, entropy = s.class_counts, s.class_entropy
            eval_alarm = view.eval_alarm()
            alarm = collapsed(counts, entropy) or eval_alarm is not None
            self.set_class(alarm, "alarm")
            self.border_title = (
                f"classes  H={entropy:.2f}  seen {s.classes_covered}/{len(counts)}"
                + ("  MODE COLLAPSE" if alarm else "")
                + (f" ({eval_alarm})" if eval_alarm else "")
                + ("  EMA G" if s.generator == "ema" else "")  # last: the alarm matters more
            )
        else:
            self.remove_class("alarm")
            self.border_title = "classes"
        super().update_view(view)

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        v = self.view
        s = v.samples if v else None
        if not s or s.class_counts is None:
            out.append(
                "no class counts yet" if v and v.dataset != "faces" else "no classes", style="dim"
            )
            return out
        names = class_labels(v.dataset if v else "", 10)  # the grid's labels: defined once
        if s.cond_accuracy is not None:
            return self._accuracy(s.cond_accuracy, names)
        counts = s.class_counts
        alarm = self.has_class("alarm")
        w, h = self.content_size.width, self.content_size.height
        top = max(counts) or 1
        label_w = max(len(n) for n in names[: len(counts)]) + 1
        bar_w = max(1, w - label_w - 6)
        per_row = 1 if h >= len(counts) else 2  # two columns when short of rows
        if per_row == 2:
            bar_w = max(1, (w - 2 * (label_w + 6)) // 2)
        full, starved, empty = bar_glyphs(mode_of(self))
        for i, c in enumerate(counts):
            name = names[i] if i < len(names) else str(i)
            filled = round(c / top * bar_w)
            low = alarm and c < 0.2 * sum(counts) / len(counts)
            out.append(f"{name:>{label_w - 1}} ", style="bold")
            out.append((starved if low else full) * filled, style="red" if low else "green")
            out.append(empty * (bar_w - filled), style="dim")
            out.append(f"{c:>5}")
            out.append("\n" if per_row == 1 or i % 2 == 1 else " ")
        return out

    def _accuracy(self, acc: list[float], names) -> Text:
        """One bar per class: the share of samples asked for it that the classifier calls it."""
        out = Text(no_wrap=True, overflow="crop")
        w, h = self.content_size.width, self.content_size.height
        label_w = max(len(n) for n in names[: len(acc)]) + 1
        per_row = 1 if h >= len(acc) else 2
        bar_w = max(1, w - label_w - 5) if per_row == 1 else max(1, (w - 2 * (label_w + 5)) // 2)
        full, starved, empty = bar_glyphs(mode_of(self))
        for i, a in enumerate(acc):
            name = names[i] if i < len(names) else str(i)
            filled = round(a * bar_w)
            low = a < IGNORED_BELOW
            out.append(f"{name:>{label_w - 1}} ", style="bold")
            out.append((starved if low else full) * filled, style="red" if low else "green")
            out.append(empty * (bar_w - filled), style="dim")
            out.append(f"{a:>4.0%}")
            out.append("\n" if per_row == 1 or i % 2 == 1 else " ")
        return out
