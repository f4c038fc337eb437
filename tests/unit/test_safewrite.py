"""The one safe writer: never through a link, never outside its folder, never half a file."""

from __future__ import annotations

import ast
import os
import re
import threading
from pathlib import Path

import pytest

import tui_gan
from tui_gan.errors import UsageError
from tui_gan.rundir import write as sw
from tui_gan.rundir.folder import RunDir


@pytest.fixture
def run(tmp_path: Path) -> Path:
    d = tmp_path / "run"
    d.mkdir()
    return d


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "home"
    d.mkdir()
    (d / ".bashrc").write_text("# mine\n")
    return d


def test_a_link_at_the_name_is_replaced_not_written_through(run: Path, outside: Path):
    (run / "report.md").symlink_to(outside / ".bashrc")
    sw.write_file(run / "report.md", "evil; rm -rf ~\n", within=run)
    assert (outside / ".bashrc").read_text() == "# mine\n"
    assert not (run / "report.md").is_symlink()
    assert (run / "report.md").read_text() == "evil; rm -rf ~\n"


def test_a_linked_folder_below_the_run_is_refused(run: Path, outside: Path):
    (run / "samples").symlink_to(outside)
    with pytest.raises(sw.UnsafePath, match="symbolic link"):
        sw.write_file(run / "samples" / "x.png", b"png", within=run)
    with pytest.raises(sw.UnsafePath):
        sw.make_dirs(run / "samples" / "deeper", within=run)
    assert sorted(p.name for p in outside.iterdir()) == [".bashrc"]


def test_a_path_outside_the_folder_is_refused(run: Path, outside: Path):
    with pytest.raises(sw.UnsafePath, match="outside"):
        sw.write_file(run / ".." / "home" / ".bashrc", "x", within=run)
    assert (outside / ".bashrc").read_text() == "# mine\n"


def test_a_link_swapped_in_after_the_check_is_not_followed(run: Path, outside: Path, monkeypatch):
    """The folder is walked with O_NOFOLLOW descriptors: a check then a swap cannot win."""
    (run / "report").mkdir()
    real_descend = sw._descend

    def swap_then_descend(fd, name, shown, create):
        if name == "report":  # the attacker's move, between any earlier look and this open
            os.rename(run / "report", run / "report.old")
            os.symlink(outside, run / "report")
        return real_descend(fd, name, shown, create)

    monkeypatch.setattr(sw, "_descend", swap_then_descend)
    with pytest.raises(sw.UnsafePath):
        sw.write_file(run / "report" / "report.md", "x", within=run)
    assert sorted(p.name for p in outside.iterdir()) == [".bashrc"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(run: Path):
    sw.write_file(run / "status.json", "{}", within=run)

    def boom(fh):
        fh.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as info:
        sw.write_file(run / "status.json", boom, within=run)
    assert info.value.filename == str(run / "status.json")  # the user's file, not a temp
    assert (run / "status.json").read_text() == "{}"
    assert [p.name for p in run.iterdir()] == ["status.json"]


def test_a_folder_or_fifo_in_the_targets_place_is_refused(run: Path):
    (run / "last.pt").mkdir()
    with pytest.raises(IsADirectoryError):
        sw.write_file(run / "last.pt", b"x", within=run)
    os.mkfifo(run / "metrics.jsonl")
    with pytest.raises(sw.UnsafePath, match="not a regular file"):
        sw.write_file(run / "metrics.jsonl", b"x", within=run)


def test_append_refuses_links_fifos_and_hard_links(run: Path, outside: Path):
    (run / "train.log").symlink_to(outside / ".bashrc")
    with pytest.raises(sw.UnsafePath, match="symbolic link"):
        sw.open_append(run / "train.log", within=run)
    os.mkfifo(run / "torchrun.log")
    done = threading.Event()

    def attempt():
        with pytest.raises(sw.UnsafePath, match="not a regular file"):
            sw.open_append(run / "torchrun.log", within=run)
        done.set()

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(5)
    assert done.is_set()  # refused at once: a FIFO with no reader never blocks the writer
    os.link(outside / ".bashrc", run / "metrics.jsonl")  # a hard link: its own copy first
    fh = sw.open_append_file(run / "metrics.jsonl", within=run)
    fh.write(b"appended\n")
    fh.close()
    assert (outside / ".bashrc").read_text() == "# mine\n"  # the other name: untouched
    assert (run / "metrics.jsonl").read_text() == "# mine\nappended\n"
    assert os.stat(run / "metrics.jsonl").st_nlink == 1


def test_append_adds_to_a_regular_file(run: Path):
    (run / "train.log").write_text("one\n")
    fh = sw.open_append_file(run / "train.log", within=run, text=True)
    fh.write("two\n")
    fh.close()
    assert (run / "train.log").read_text() == "one\ntwo\n"


def test_link_file_and_remove_never_follow(run: Path, outside: Path):
    sw.write_file(run / "ckpt-0000001.pt", b"weights", within=run)
    (run / "last.pt").symlink_to(outside / ".bashrc")
    sw.link_file(run / "ckpt-0000001.pt", run / "last.pt", within=run)
    assert (run / "last.pt").read_bytes() == b"weights"
    assert (outside / ".bashrc").read_text() == "# mine\n"
    (run / "old.pt").symlink_to(outside / ".bashrc")
    assert sw.remove(run / "old.pt", within=run)
    assert (outside / ".bashrc").exists()
    assert not sw.remove(run / "old.pt", within=run)


def test_the_run_directory_refuses_a_linked_samples_folder(run: Path, outside: Path):
    (run / "samples").symlink_to(outside)
    with pytest.raises(UsageError):
        RunDir(run).create()


def test_orphan_clean_up_takes_only_temp_files(run: Path, outside: Path):
    rd = RunDir(run)
    rd.create()
    keep = [run / "last.pt", run / "samples" / "step-0000001.png", run / "notes.tmp"]
    for p in keep:
        p.write_bytes(b"x")
    temps = [run / sw.tmp_name("last.pt"), run / "samples" / sw.tmp_name("step-2.png")]
    old = [run / ".ckpt-0000002.pt.tmp123", run / "metrics.tmp", run / "samples" / ".s.tmp.png"]
    for p in (*temps, *old):
        p.write_bytes(b"x")
    (run / sw.tmp_name("x")).symlink_to(outside / ".bashrc")  # a link: removed, not its target
    rd.remove_orphans()
    assert all(p.exists() for p in keep)
    assert not any(os.path.lexists(p) for p in (*temps, *old))
    assert (outside / ".bashrc").exists()


# --- no writer bypasses it ---------------------------------------------------------------------

WRITER = Path(tui_gan.__file__).parent / "rundir" / "write.py"
# torch.save into the open temp file that the writer hands its callback (safewrite imports no
# torch, so the one call that serialises a checkpoint sits beside it, not in it).
ALLOWED = {
    # The run index's lock, outside every run folder ($XDG_STATE_HOME/tui-gan): O_NOFOLLOW,
    # refused unless a regular file; it holds no data (runindex.py writes the index itself
    # through the safe writer).
    ("runindex.py", "os.open for writing"),
    ("engine/checkpoint.py", "torch.save"),
    # The trainer's lock: created beside the run with O_NOFOLLOW, refused unless a regular file
    # with one name (rundir/lock.py RunLock).
    ("rundir/lock.py", "os.open for writing"),
    # The claim: created with O_EXCL | O_NOFOLLOW, so never an existing file or a link.
    ("rundir/claim.py", "os.open for writing"),
    ("rundir/claim.py", "os.fdopen for writing"),
    # /dev/null, where output goes when the run's log cannot be opened safely.
    ("cli/train.py", "os.open for writing"),
    ("cli/sweep.py", "os.open for writing"),
    # The safe reader: its flags (a variable, so the walker cannot tell) are O_RDONLY.
    ("rundir/read.py", "os.open for writing"),
    # SummaryWriter writes by path: its folder is made by make_dirs first (within the run).
    ("engine/tensorboard.py", "SummaryWriter"),
}


_MODE = re.compile(r"^[rwabxt+]*[wax+][rwabxt+]*$")  # a mode that writes ("w", "ab", "r+")
_LINKS = ("rename", "touch", "symlink_to", "hardlink_to", "write_text", "write_bytes")
_DUMPS = ("savefig", "save_image", "save", "savez", "savez_compressed")


def _is_mode(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(_MODE.match(node.value))
    )


def _writing_flags(call: ast.Call) -> bool:
    """os.open's flags name a way to write (O_WRONLY, O_RDWR, O_CREAT, O_APPEND)."""
    flags = ast.unparse(call.args[1]) if len(call.args) > 1 else ""
    return any(w in flags for w in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "flags"))


def _writes(tree: ast.AST) -> list[tuple[int, str]]:
    """Calls that write a file by path: any open(...) with a writing mode (builtins, io,
    gzip, tarfile, Path.open), os.open / os.fdopen, write_text/write_bytes, Path.rename and
    its kin, os.replace/rename/link/symlink, torch.save, shutil copies, SummaryWriter, and
    savefig / save_image / PIL's save / numpy's save* given anything but the writer's open
    file (`fh`)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
        modes = [*node.args[:2], *(k.value for k in node.keywords if k.arg == "mode")]
        if name == "open" and owner != "os" and any(_is_mode(m) for m in modes):
            found.append((node.lineno, "open for writing"))
        elif owner == "os" and name == "open" and _writing_flags(node):
            found.append((node.lineno, "os.open for writing"))
        elif owner == "os" and name == "fdopen" and any(_is_mode(m) for m in node.args[1:2]):
            found.append((node.lineno, "os.fdopen for writing"))
        elif owner == "os" and name in ("replace", "rename", "link", "symlink"):
            found.append((node.lineno, f"os.{name}"))
        elif name in _LINKS and isinstance(f, ast.Attribute) and owner != "os":
            found.append((node.lineno, name))
        elif owner == "torch" and name == "save":
            found.append((node.lineno, "torch.save"))
        elif owner == "shutil" and name in ("copy", "copyfile", "copy2", "move", "copytree"):
            found.append((node.lineno, f"shutil.{name}"))
        elif name == "SummaryWriter":
            found.append((node.lineno, "SummaryWriter"))
        elif name in _DUMPS and node.args:
            # save_image(tensor, fp); savefig(fp), np.save*(fp, ...), PIL's image.save(fp)
            at = 1 if name == "save_image" else 0
            if name == "save" and len(node.args) != 1:
                continue  # not PIL's save(fp): another object's save (a figure's writer)
            target = node.args[at] if len(node.args) > at else None
            if not (isinstance(target, ast.Name) and target.id == "fh"):
                found.append((node.lineno, f"{name} to a path"))
    return found


def test_no_module_writes_a_file_but_the_safe_writer():
    package = Path(tui_gan.__file__).parent
    bypasses = []
    for path in sorted(package.rglob("*.py")):
        if path == WRITER:
            continue
        for line, what in _writes(ast.parse(path.read_text(), str(path))):
            if (path.relative_to(package).as_posix(), what) in ALLOWED:
                continue
            bypasses.append(f"{path.relative_to(package)}:{line}: {what}")
    assert bypasses == []


def test_the_walker_sees_what_it_must_refuse():
    code = (
        "open(p, 'w'); open(p, mode='ab'); p.write_text('x'); os.replace(a, b); "
        "torch.save(x, p); shutil.copyfile(a, b)"
    )
    assert len(_writes(ast.parse(code))) == 6
    more = (
        "p.open('w'); gzip.open(p, 'wb'); os.open(p, os.O_WRONLY | os.O_CREAT); "
        "os.fdopen(fd, 'w'); np.savez_compressed(p, a=a); img.save(p); fig.savefig(p); "
        "save_image(x, p); SummaryWriter(log_dir=p); p.rename(q); p.touch(); p.symlink_to(q)"
    )
    assert len(_writes(ast.parse(more))) == 12
    fine = "img.save(fh, format='PNG'); save_image(x, fh); fig.savefig(fh); os.open(p, os.O_RDONLY)"
    assert _writes(ast.parse(fine)) == []
    assert _writes(ast.parse("open(p); open(p, 'rb'); fh.write(b'')")) == []
