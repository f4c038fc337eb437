"""Fuzzed run files (metrics.jsonl, status.json, control.json) and the readers that take them.

The property: a valid result (a checked record, a known state, a listed run) or a skipped
line; never an exception, never a hang (the profile's deadline).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tui_gan.cli.app import app
from tui_gan.cli.runs import list_runs
from tui_gan.engine.control import Controls
from tui_gan.engine.events import REGISTRY, iter_events, parse_line, parse_record, to_line
from tui_gan.rundir.control import RemoteControl, parse_control
from tui_gan.rundir.names import CONTROL, STATUS
from tui_gan.rundir.state import STATES as RUN_STATES
from tui_gan.rundir.status import read_status, run_state
from tui_gan.view.runview import RunTail, RunView

STATES = {*RUN_STATES, "unknown", "unreadable"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["running", "finished", "samples/x.png", "../../etc/passwd", "/etc/passwd"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
numbers = st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(), max_size=8)


@st.composite
def records(draw) -> Any:
    """Record-shaped objects: a real type, its real field names, values of any type (often the
    right one), some fields missing, some extra; or any JSON at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(json_values | st.builds(lambda t: {"type": t}, json_values))
    kind = draw(st.sampled_from(sorted(REGISTRY)))
    rec: dict[str, Any] = {"type": kind}
    for key in REGISTRY[kind].fields_spec():
        if draw(st.integers(0, 5)) == 0:
            continue  # missing
        rec[key] = draw(
            st.one_of(
                json_values,
                numbers,
                st.integers(min_value=0, max_value=10**6),
                st.lists(st.integers(0, 1000), min_size=1, max_size=12),
            )
        )
    return rec


def as_line(obj: Any) -> bytes:
    return json.dumps(obj).encode() + b"\n"


@pytest.mark.parametrize("obj", [{"type": []}, {"type": {}}, {"type": None}, {"type": "step"}])
def test_records_of_no_known_type_are_skipped(obj):
    assert parse_record(obj) is None  # {"type": []} once raised TypeError (found by the fuzz)


@given(records())
def test_a_record_is_checked_or_skipped_and_the_view_takes_it(obj):
    event = parse_record(obj)
    view = RunView(Path("/nonexistent-run"))
    if event is None:
        return
    assert parse_record(event.to_record()) == event  # what is read is what would be written
    view.apply(event)  # a checked record never raises in the dashboard's model
    view.eval_alarm()
    view.sample_grid(fresh=True)
    _ = view.eta, view.probabilities
    assert isinstance(view.step, int)


@given(st.lists(records(), max_size=12))
def test_the_view_survives_any_sequence_of_checked_records(objs):
    view = RunView(Path("/nonexistent-run"))
    for obj in objs:
        event = parse_record(obj)
        if event is not None:
            view.apply(event)
    view.take_notes()


@given(st.lists(st.binary(max_size=80) | records().map(as_line), max_size=10))
def test_metrics_readers_skip_junk_lines(tmp_path_factory, chunks):
    run = tmp_path_factory.mktemp("out") / "run"  # its own --out: list_runs reads only it
    run.mkdir()
    (run / "metrics.jsonl").write_bytes(b"".join(chunks))
    tail = RunTail(run / "metrics.jsonl")
    got = tail.read()
    assert all(parse_line(to_line(e)) == e for e in got)
    assert list(iter_events(run / "metrics.jsonl")) == [
        r for r in map(parse_line, b"".join(chunks).split(b"\n")) if r is not None
    ]
    (run / STATUS).write_text(json.dumps({"state": "finished", "step": 3}))
    rows = list_runs(run.parent)
    assert any(r["name"] == run.name for r in rows)


@given(json_values | st.binary(max_size=60))
def test_any_status_reads_as_a_known_state(tmp_path_factory, value):
    run = tmp_path_factory.mktemp("out") / "run"
    run.mkdir()
    data = value if isinstance(value, bytes) else json.dumps(value).encode()
    (run / STATUS).write_bytes(data)
    status = read_status(run)
    assert status is None or status.state in STATES
    assert run_state(run) in STATES
    rows = list_runs(run.parent)
    (row,) = [r for r in rows if r["name"] == run.name]
    assert row["state"] in STATES


@given(json_values | records())
def test_any_control_request_is_applied_whole_or_ignored(tmp_path_factory, value):
    run = tmp_path_factory.mktemp("run")
    (run / CONTROL).write_text(json.dumps(value))
    ctl = parse_control(value)
    controls = Controls()
    RemoteControl(run, controls).apply()  # never raises: it runs in a signal handler
    rejected = controls.take_rejected()
    if ctl is None:
        assert len(rejected) == 1 and not controls.stop.is_set() and not controls.save.is_set()
    else:
        assert rejected == []
        assert controls.pause.is_set() == ctl["pause"] and controls.stop.is_set() == ctl["stop"]


@given(st.lists(json_values | st.binary(max_size=40), min_size=1, max_size=4))
def test_runs_lists_every_folder_whatever_its_files_hold(tmp_path_factory, contents):
    out = tmp_path_factory.mktemp("out")
    for i, value in enumerate(contents):
        run = out / f"run{i}"
        run.mkdir()
        data = value if isinstance(value, bytes) else json.dumps(value).encode()
        (run / STATUS).write_bytes(data)
        (run / "metrics.jsonl").write_bytes(data + b"\n")
    result = CliRunner().invoke(app, ["runs", "--out", str(out), "--json"])
    assert result.exception is None, result.output
    rows = json.loads(result.stdout)
    assert sorted(r["name"] for r in rows) == [f"run{i}" for i in range(len(contents))]
