"""`tui-gan report` in a planted folder: no write through a link, no read of one, no hang."""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tests.tui.fakerun import make_run
from tui_gan.cli.app import app

BASHRC = "# the user's shell start-up file\n"


def cli(*args: str):
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def outside_file(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    bashrc = home / ".bashrc"
    bashrc.write_text(BASHRC)
    return bashrc


def test_links_planted_as_report_md_and_a_figure_are_replaced_not_written_through(
    tmp_path: Path,
):
    run = make_run(tmp_path)
    bashrc = outside_file(tmp_path)
    (run / "report").mkdir()
    (run / "report" / "report.md").symlink_to(bashrc)
    (run / "report" / "losses.png").symlink_to(bashrc)
    code, stdout, stderr = cli("report", str(run))
    assert code == 0, stderr
    assert bashrc.read_text() == BASHRC
    for name in ("report.md", "losses.png"):  # the report's own files now, not links
        assert not (run / "report" / name).is_symlink()
    assert (run / "report" / "report.md").read_text().startswith("# demo-run")


def test_a_report_folder_that_is_a_link_is_refused_in_one_line_unless_named_with_out(
    tmp_path: Path,
):
    # Refused, not replaced: the link may be the user's own (report -> /shared/reports), and
    # deleting what tui-gan did not make is not its call; --out says where, and is followed.
    run = make_run(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (run / "report").symlink_to(elsewhere)
    code, _, stderr = cli("report", str(run))
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert "symbolic link" in stderr and "--out" in stderr
    assert list(elsewhere.iterdir()) == []
    assert (run / "report").is_symlink()  # left as it was
    code, _, stderr = cli("report", str(run), "--out", str(run / "report"))
    assert code == 0, stderr
    assert (elsewhere / "report.md").is_file()


def test_the_compare_folder_of_several_runs_is_reached_without_a_link(tmp_path: Path):
    a, b = make_run(tmp_path, name="a"), make_run(tmp_path, name="b")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "report-compare").symlink_to(elsewhere)
    code, _, stderr = cli("report", str(a), str(b))
    assert code == 2 and "report-compare: a symbolic link" in stderr
    assert list(elsewhere.iterdir()) == []


def test_a_report_folder_swapped_for_a_link_after_it_is_made_is_not_followed(
    tmp_path: Path, monkeypatch
):
    from tui_gan.report import figures as F

    run = make_run(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = F.losses

    def swap_then_draw(*args, **kwargs):  # after report/ is made, before the first figure
        shutil.rmtree(run / "report")
        (run / "report").symlink_to(elsewhere)
        return first(*args, **kwargs)

    monkeypatch.setattr(F, "losses", swap_then_draw)
    code, _, stderr = cli("report", str(run))
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and "symbolic link" in stderr
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("name", ["metrics.jsonl", "preset.toml"])
def test_a_run_file_that_is_a_link_is_refused_not_read(tmp_path: Path, name: str):
    run = make_run(tmp_path)
    real = tmp_path / name
    shutil.move(run / name, real)  # the same bytes, read only through the link
    (run / name).symlink_to(real)
    code, _, stderr = cli("report", str(run))
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert f"{name}: a symbolic link" in stderr
    assert not (run / "report" / "report.md").exists()


def test_a_sample_grid_that_is_a_link_is_not_drawn(tmp_path: Path):
    run = make_run(tmp_path)
    grid = next((run / "samples").glob("step-*.png"))
    private = tmp_path / "private.png"
    shutil.move(grid, private)
    grid.symlink_to(private)
    code, _, stderr = cli("report", str(run))
    assert code == 0, stderr
    assert "no sample grids on disk: no timeline" in (run / "report" / "report.md").read_text()
    assert not (run / "report" / "timeline.png").exists()


def make_sweep(tmp_path: Path) -> Path:
    """A sweep folder as `tui-gan sweep` leaves it: sweep.json, two runs, its tables."""
    from tui_gan.sweep.report import write_reports
    from tui_gan.sweep.runner import Sweep
    from tui_gan.sweep.spec import Axis, SweepSpec

    spec = SweepSpec("g", "mnist-mlp", (Axis("latent_dim", (4, 8), ("model.latent_dim={v}",)),))
    sweep = Sweep(spec, tmp_path)
    sweep.dir.mkdir()
    sweep.meta = {**spec.to_json(), "sessions": [[0.0, 60.0]]}
    sweep.save()
    for r in spec.runs:
        make_run(sweep.dir, r.name)
    write_reports(sweep)
    return sweep.dir


def test_a_sweep_md_that_is_a_link_is_not_copied_into_the_report(tmp_path: Path):
    sweep = make_sweep(tmp_path)
    bashrc = outside_file(tmp_path)
    (sweep / "sweep.md").unlink()
    (sweep / "sweep.md").symlink_to(bashrc)
    code, _, stderr = cli("report", str(sweep))
    assert code == 0, stderr
    md = (sweep / "report" / "report.md").read_text()
    assert "shell start-up" not in md and "Not copied: " in md and "symbolic link" in md
    assert "![sweep](sweep.png)" in md  # the rest of the report is there


def test_a_sweep_md_that_is_a_fifo_neither_hangs_nor_is_copied(tmp_path: Path):
    sweep = make_sweep(tmp_path)
    (sweep / "sweep.md").unlink()
    os.mkfifo(sweep / "sweep.md")
    result: list = []
    worker = threading.Thread(target=lambda: result.append(cli("report", str(sweep))))
    worker.start()
    worker.join(30)
    if worker.is_alive():  # unblock the open, so the test ends either way
        with open(sweep / "sweep.md", "w"):
            pass
        worker.join(10)
        pytest.fail("report blocked on a FIFO named sweep.md")
    code, _, stderr = result[0]
    assert code == 0, stderr
    assert "Not copied: " in (sweep / "report" / "report.md").read_text()


def test_a_sweep_csv_that_is_a_link_is_refused_in_one_line(tmp_path: Path):
    sweep = make_sweep(tmp_path)
    planted = tmp_path / "planted.csv"
    shutil.move(sweep / "sweep.csv", planted)
    (sweep / "sweep.csv").symlink_to(planted)
    code, _, stderr = cli("report", str(sweep))
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert "sweep.csv: a symbolic link" in stderr


def test_the_sweep_tables_are_not_written_through_a_planted_temp_name(tmp_path: Path):
    from tui_gan.sweep.report import write_reports
    from tui_gan.sweep.runner import Sweep
    from tui_gan.sweep.spec import Axis, SweepSpec

    sweep_dir = make_sweep(tmp_path)
    bashrc = outside_file(tmp_path)
    # A temp name made of the pid alone can be guessed and planted before the write.
    for name in ("sweep.csv", "sweep.md"):
        (sweep_dir / f".{name}.tmp{os.getpid()}").symlink_to(bashrc)
    (sweep_dir / "sweep.md").unlink()
    (sweep_dir / "sweep.md").symlink_to(bashrc)
    spec = SweepSpec("g", "mnist-mlp", (Axis("latent_dim", (4, 8), ("model.latent_dim={v}",)),))
    sweep = Sweep(spec, tmp_path, meta={"sessions": [[0.0, 60.0]]})
    write_reports(sweep)
    assert bashrc.read_text() == BASHRC
    assert not (sweep_dir / "sweep.md").is_symlink()
    assert "| latent_dim |" in (sweep_dir / "sweep.md").read_text()


def test_a_report_on_many_points_says_nothing_of_its_legend(tmp_path: Path, monkeypatch):
    """matplotlib warns when placing a legend (loc="best") took over a second: about its
    speed on many points, nothing a report's reader needs. Its clock is made slow here."""
    import matplotlib.legend

    ticks = itertools.count(0.0, 2.0)
    monkeypatch.setattr(matplotlib.legend, "time", SimpleNamespace(perf_counter=ticks.__next__))
    run = make_run(tmp_path)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        code, stdout, stderr = cli("report", str(run))
    assert code == 0 and stderr == "" and len(stdout.splitlines()) == 1
    assert [str(w.message) for w in seen] == []


def test_a_grid_pil_takes_for_a_decompression_bomb_is_left_out_without_a_warning(
    tmp_path: Path, monkeypatch
):
    from PIL import Image

    run = make_run(tmp_path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40_000)  # the 242x242 grid: a warning
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        code, _, stderr = cli("report", str(run))
    assert code == 0, stderr
    assert [str(w.message) for w in seen] == []
    assert not (run / "report" / "timeline.png").exists()
