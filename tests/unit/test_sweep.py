"""Sweep specs (one-line errors), run names, run states, the reports and `runs`' sweep line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.tui.fakerun import make_run
from tui_gan.errors import PresetError
from tui_gan.sweep.progress import run_status
from tui_gan.sweep.report import markdown, score_tables, wall_seconds
from tui_gan.sweep.spec import Axis, SweepSpec, grid_spec, load_spec, resolve_runs

SEED_SPEC = REPO / "presets" / "sweeps" / "latent-hidden.toml"


def test_the_seed_sweep_is_its_6x6_grid_and_every_cell_validates():
    spec = load_spec(SEED_SPEC)
    sizes = [9, 16, 36, 64, 100, 144]
    assert [a.name for a in spec.axes] == ["latent", "hidden"]
    assert all(list(a.values) == sizes for a in spec.axes)
    assert len(spec.runs) == 36 and len({r.name for r in spec.runs}) == 36
    cell = next(r for r in spec.runs if r.values == {"latent": 16, "hidden": 64})
    assert cell.name == "latent-16_hidden-64"
    # "hidden" sets the widths of both networks, as the seed's hidden_dim does.
    assert "model.g_hidden=[64, 64]" in cell.overrides
    assert "model.d_hidden=[64, 64]" in cell.overrides
    assert "model.latent_dim=16" in cell.overrides
    resolve_runs(spec, spec.steps)  # all 36 presets are valid


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("preset = 'mnist-mlp'", "axis: expected one or more [[axis]] tables"),
        ("[[axis]]\nname='a'\nvalues=[1]\nset=['model.latent_dim=1']", "axis[0].set: expected"),
        ("[[axis]]\nname='a'\nvalues=[]\nset=['x={v}']", "axis[0].values: expected a list"),
        ("[[axis]]\nname='a'\nvalues=[1, 1]\nset=['x={v}']", "axis[0].values: expected"),
        ("[[axis]]\nname='fid'\nvalues=[1]\nset=['x={v}']", "axis[0].name: expected a name"),
        ("colour = 1\n[[axis]]\nname='a'\nvalues=[1]\nset=['x={v}']", "colour: unknown key"),
        ("steps = -3\n[[axis]]\nname='a'\nvalues=[1]\nset=['x={v}']", "steps: expected a pos"),
    ],
)
def test_a_bad_spec_is_one_line_naming_the_file_and_key(tmp_path: Path, text: str, message: str):
    with pytest.raises(PresetError) as err:
        load_spec(write(tmp_path, text))
    assert message in str(err.value) and str(tmp_path / "s.toml") in str(err.value)
    assert "\n" not in str(err.value)


def test_a_bad_cell_is_named_before_anything_trains(tmp_path: Path):
    spec = load_spec(
        write(tmp_path, "[[axis]]\nname='lr'\nvalues=[1e-4, 50.0]\nset=['optim.g.lr={v}']")
    )
    with pytest.raises(PresetError, match=r"sweep run lr-50.0: command line: optim.g.lr: expected"):
        resolve_runs(spec, 10)


def test_grid_axes_from_the_command_line():
    spec = grid_spec("mnist-lsgan", ["model.latent_dim=8,16", "loss.kind=bce,lsgan"], None)
    assert spec.name == "mnist-lsgan-sweep"
    assert [r.name for r in spec.runs] == [
        "latent-dim-8_kind-bce",
        "latent-dim-8_kind-lsgan",
        "latent-dim-16_kind-bce",
        "latent-dim-16_kind-lsgan",
    ]
    assert spec.runs[1].overrides == ("model.latent_dim=8", 'loss.kind="lsgan"')
    # A field whose name is a sweep.csv column keeps its dotted name.
    assert grid_spec(None, ["train.steps=10,20"], "s").axes[0].name == "train.steps"
    with pytest.raises(PresetError, match="--grid model.latent_dim: expected KEY=V1,V2"):
        grid_spec(None, ["model.latent_dim"], None)
    with pytest.raises(PresetError, match="expected distinct"):
        grid_spec(None, ["model.latent_dim=8,8"], None)


def test_run_status_reads_what_a_rerun_must_do(tmp_path: Path):
    assert run_status(tmp_path / "never-started") == "new"
    finished = make_run(tmp_path, "done")
    assert run_status(finished) == "finished"
    stopped = make_run(tmp_path, "stopped", state="stopped")
    assert run_status(stopped) == "new"  # no checkpoint: starts over
    (stopped / "last.pt").write_bytes(b"x")
    assert run_status(stopped) == "resumable"


def sweep_of(axes, table, sessions=((0.0, 90.0),)):
    spec = SweepSpec("s", "mnist-mlp", tuple(axes))

    class FakeSweep:
        pass

    fake = FakeSweep()
    fake.spec = spec
    fake.meta = {"steps": 100, "sessions": [list(s) for s in sessions]}
    return fake


def test_the_score_table_is_laid_out_as_the_seed_with_the_best_marked():
    axes = [Axis("latent", (9, 16), ("a={v}",)), Axis("hidden", (9, 16, 36), ("b={v}",))]
    fids = {(9, 9): 102.0, (9, 16): 109.5, (9, 36): 70.55, (16, 9): 82.8, (16, 16): 89.4}
    table = [
        {"latent": a, "hidden": b, "fid": fids.get((a, b)), "state": "finished"}
        for a in (9, 16)
        for b in (9, 16, 36)
    ]
    lines = score_tables(table, axes, "fid")
    assert lines[2] == "| latent \\ hidden | 9 | 16 | 36 |"
    assert lines[4] == "| 9 | 102.0 | 109.5 | **70.5*** |"
    assert lines[5] == "| 16 | 82.8 | 89.4 | -- |"  # a cell not done yet
    text = markdown(sweep_of(axes, table), table, ["run", "latent", "hidden", "state", "fid"])
    assert "wall time 1.5 min over 1 session" in text and "| latent \\ hidden |" in text


def test_wall_time_is_the_sum_of_the_sessions():
    assert wall_seconds({"sessions": [[0, 60], [100, 130], ["junk"]]}) == 90


def test_runs_lists_a_sweep_as_one_line(tmp_path: Path, cli):
    sweep = tmp_path / "grid"
    sweep.mkdir()
    make_run(sweep, "a-1")
    make_run(sweep, "a-2", state="running")
    runs = [{"name": n, "values": {"a": i}} for i, n in enumerate(["a-1", "a-2", "a-3"])]
    (sweep / "sweep.json").write_text(json.dumps({"name": "grid", "preset": "p", "runs": runs}))
    res = cli("runs", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    (line,) = [ln for ln in res.stdout.splitlines() if ln.startswith("grid")]
    # a-2 runs on another host (make_run's status says host "test"): trusted as running.
    assert "sweep" in line and "1/3 finished, 1 running" in line
    rows = json.loads(cli("runs", "--out", str(tmp_path), "--json").stdout)
    assert rows[0]["sweep"]["pending"] == 1 and rows[0]["total"] == 3


def test_a_live_run_on_another_host_is_dead_once_silent_for_half_an_hour(tmp_path: Path):
    import os
    import time

    run = make_run(tmp_path, "on-a-node", state="running")  # status.json: host "test"
    (run / "last.pt").write_bytes(b"x")
    assert run_status(run) == "live"  # its lock is on the node: the sweep waits for it
    old = time.time() - 3600
    for name in ("metrics.jsonl", "status.json"):
        os.utime(run / name, (old, old))
    assert run_status(run) == "resumable"  # a job killed with its node: resume it


def test_a_finished_run_frees_its_place_for_the_next(tmp_path: Path, monkeypatch):
    """With 2 jobs on 2 GPUs, the run started after one ends takes the GPU that run held."""
    import tui_gan.sweep.runner as R

    spec = grid_spec("mnist-mlp", ["model.latent_dim=4,8,16"], "s")
    sweep = R.Sweep(spec, tmp_path, steps=10)
    sweep.open()

    class Launcher:
        def __init__(self):
            self.started: list[tuple[str, int]] = []
            self.live: dict[str, int] = {}  # run -> polls left

        def start(self, args, slot):
            run_dir = args.run_dir
            self.started.append((run_dir.name, slot))
            self.live[run_dir.name] = 1 if run_dir.name.endswith("-8") else 3
            return run_dir.name

        def alive(self, name):
            self.live[name] -= 1
            return self.live[name] > 0

    monkeypatch.setattr(R, "POLL_S", 0)
    monkeypatch.setattr(R, "_report", lambda *a: "finished")
    monkeypatch.setattr("tui_gan.sweep.report.write_reports", lambda s: (None, None))
    launcher = Launcher()
    assert R.drive(sweep, launcher, jobs=2, device=None, say=lambda line: None) == 0
    # latent 8 (place 1) ends first: latent 16 gets place 1, not a third place or place 0.
    assert launcher.started == [("latent-dim-4", 0), ("latent-dim-8", 1), ("latent-dim-16", 1)]


def test_local_runs_split_the_cores_and_take_a_gpu_each(monkeypatch):
    import tui_gan.sweep.runner as R

    monkeypatch.setattr(R, "cpu_count", lambda: 8)
    env = R.LocalLauncher(jobs=3, gpus=0).env(2)
    assert env["OMP_NUM_THREADS"] == "2" and env["MKL_NUM_THREADS"] == "2"  # 8 // 3
    assert "CUDA_VISIBLE_DEVICES" not in env or env["CUDA_VISIBLE_DEVICES"] == (
        __import__("os").environ.get("CUDA_VISIBLE_DEVICES")
    )
    assert R.LocalLauncher(jobs=16, gpus=0).env(0)["OMP_NUM_THREADS"] == "1"
    gpu = R.LocalLauncher(jobs=2, gpus=2)
    assert [gpu.env(s)["CUDA_VISIBLE_DEVICES"] for s in (0, 1)] == ["0", "1"]


def test_a_bad_submitit_parameter_is_one_line_and_leaves_no_sweep(tmp_path: Path):
    pytest.importorskip("submitit")
    from typer.testing import CliRunner

    from tui_gan.cli.app import app

    args = ["sweep", "--preset", "mnist-mlp", "--grid", "model.latent_dim=4", "--out"]
    res = CliRunner().invoke(
        app, [*args, str(tmp_path), "--launcher", "submitit", "--submitit", "bogus_x=1"]
    )
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("tui-gan: --submitit: Unknown executor 'bogus'")
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "mnist-mlp-sweep").exists()


def test_one_driver_at_a_time_and_a_run_folder_is_no_sweep(tmp_path: Path):
    import tui_gan.sweep.runner as R
    from tui_gan.errors import UsageError

    spec = grid_spec("mnist-mlp", ["model.latent_dim=4,8"], "s")
    R.Sweep(spec, tmp_path, steps=10).open()
    with pytest.raises(UsageError, match="being driven by another `tui-gan sweep`"):
        R.Sweep(spec, tmp_path, steps=10).open()  # its lock is held (by the first, here)
    make_run(tmp_path, "a-run")
    with pytest.raises(UsageError, match="is a run directory, not a sweep"):
        R.Sweep(grid_spec(None, ["model.latent_dim=4"], "a-run"), tmp_path).open()


def test_a_run_started_over_is_moved_aside_never_deleted(tmp_path: Path):
    import tui_gan.sweep.runner as R

    spec = grid_spec("mnist-mlp", ["model.latent_dim=4"], "s")
    sweep = R.Sweep(spec, tmp_path, steps=10)
    run = spec.runs[0]
    failed = make_run(sweep.dir, run.name, state="stopped")  # no checkpoint: starts over
    (failed / "notes.txt").write_text("mine")
    args, how = sweep.train_request(run, R.run_status(failed), None)
    argv = args.to_argv()
    assert how == "fresh" and argv[:4] == ["--out", str(sweep.dir), "--name", run.name]
    assert not failed.exists()
    kept = sweep.dir / ".attempts" / f"{run.name}.1"
    assert (kept / "notes.txt").read_text() == "mine"
    (failed).mkdir()
    sweep.train_request(run, "new", None)
    assert (sweep.dir / ".attempts" / f"{run.name}.2").is_dir()


def test_runs_take_gpus_from_the_ones_this_process_may_use(monkeypatch):
    import tui_gan.sweep.runner as R

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    gpu = R.LocalLauncher(jobs=2, gpus=2)
    assert [gpu.env(s)["CUDA_VISIBLE_DEVICES"] for s in (0, 1)] == ["2", "3"]


def test_negative_values_get_their_own_folder_and_huge_grids_are_refused_at_once():
    spec = grid_spec(None, ["model.leak=-0.2,0.2"], "s")
    assert [r.name for r in spec.runs] == ["leak-neg0.2", "leak-0.2"]
    values = ",".join(str(i) for i in range(1, 10001))
    with pytest.raises(PresetError, match="100,000,000 runs; at most 1000"):
        grid_spec(None, [f"model.latent_dim={values}", f"train.seed={values}"], "s")
