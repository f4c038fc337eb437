"""Fuzzed run folders: links, FIFOs, folders and junk in place of a run's files, names with
escape codes; the writers never reach outside the folder and the readers never hang.

The property: whatever the folder holds, what tui-gan writes lands inside it (or is refused
in one line), the folder outside is byte for byte as it was, and the listing shows every name
escaped, on one row.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tui_gan.cli.app import app
from tui_gan.engine import records
from tui_gan.engine.events import Notice
from tui_gan.errors import TuiGanError
from tui_gan.rundir import write as sw
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.status import write_status

ENTRIES = ("metrics.jsonl", "status.json", "control.json", "train.log", "preset.toml",
           "run.json", "last.pt", "samples", "report", "samples/step-0000001.png",
           "report/report.md")  # fmt: skip
KINDS = ("missing", "file", "link-file", "link-dir", "fifo", "folder", "dangling")
names = st.text(
    st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
).filter(lambda n: n not in (".", ".."))


def _plant(run: Path, outside: Path, layout: dict[str, str]) -> None:
    for entry, kind in layout.items():
        p = run / entry
        if kind == "missing" or not p.parent.is_dir() or p.parent.is_symlink():
            continue
        if os.path.lexists(p):
            continue
        if kind == "file":
            p.write_bytes(b"\x1b]2;pwned\x07junk\n")
        elif kind == "link-file":
            p.symlink_to(outside / "victim")
        elif kind == "link-dir":
            p.symlink_to(outside)
        elif kind == "fifo":
            os.mkfifo(p)
        elif kind == "folder":
            p.mkdir()
        elif kind == "dangling":
            p.symlink_to(outside / "nowhere" / "x")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@given(
    name=names,
    layout=st.fixed_dictionaries({e: st.sampled_from(KINDS) for e in ENTRIES}),
)
def test_writes_stay_inside_whatever_the_folder_holds(name: str, layout: dict[str, str]):
    with tempfile.TemporaryDirectory() as tmp:
        out, outside = Path(tmp) / "out", Path(tmp) / "outside"
        outside.mkdir()
        (outside / "victim").write_text("mine\n")
        run = out / name
        run.mkdir(parents=True)
        _plant(run, outside, layout)
        before = _snapshot(outside)
        rd = RunDir(run)
        attempts = (
            rd.create,
            lambda: write_status(run, "running", step=1),
            lambda: rd.write_preset("name = 'x'\n"),
            lambda: records.log(rd, Notice(step=1, message="hello")),
            lambda: records.truncate_after(rd, 0),
            lambda: sw.write_file(run / "report" / "report.md", "# r\n", within=run),
            lambda: os.close(sw.open_append(run / "train.log", within=run)),
            rd.remove_orphans,
        )
        for attempt in attempts:
            try:
                attempt()
            except (TuiGanError, OSError):
                pass  # refused, in one line: what matters is that nothing leaked
        rd.close()
        assert _snapshot(outside) == before
        assert sorted(p.name for p in outside.iterdir()) == ["victim"]
        res = CliRunner().invoke(app, ["runs", str(out)])
        assert res.exception is None or isinstance(res.exception, SystemExit)
        assert "\x1b" not in res.output and "\x07" not in res.output
        shutil.rmtree(tmp, ignore_errors=True)
