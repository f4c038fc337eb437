"""Nothing outside a family's own modules branches on which family it is: no `hasattr` probe
of a trainable (a capability is declared on the family's descriptor, tui_gan/families, and
read through tui_gan/engine/family.py), no comparison with a family's kind or name, no table
keyed by them. An AST walk over tui_gan/."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO
from tui_gan.engine import family as interface
from tui_gan.families import REGISTRY

PACKAGE = REPO / "tui_gan"


@dataclass(frozen=True)
class Allowed:
    """A finding left for its owner to fix: the file, the code as ast.unparse writes it, and
    what to write instead. Remove the entry when the code is gone (a test says so)."""

    path: str
    code: str
    instead: str


# An exception names its file, its code and what it should ask instead; there are none.
ALLOWED: tuple[Allowed, ...] = ()


def _module_file(module: str) -> Path | None:
    rel = Path(*module.split("."))
    for candidate in (REPO / rel.with_suffix(".py"), REPO / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def own_modules() -> dict[str, set[Path]]:
    """Each family's name and kind -> its own files: its trainable's module, and the network
    modules (tui_gan.engine.models) that module reaches by importing."""
    owned: dict[str, set[Path]] = {}
    for fam in REGISTRY.values():
        start = _module_file(fam.impl.partition(":")[0])
        files: set[Path] = set()
        todo = [start] if start else []
        while todo:
            path = todo.pop()
            if path in files:
                continue
            files.add(path)
            for module in _imports(path):
                if module.startswith("tui_gan.engine.models"):
                    found = _module_file(module)
                    if found is not None:
                        todo.append(found)
        for key in (fam.name, fam.kind):
            owned.setdefault(key, set()).update(files)
    return owned


def trainable_members() -> set[str]:
    """Every name a trainable answers to: the protocols' members, and what the built-in
    trainable classes define (methods, class attributes, attributes set on self)."""
    names: set[str] = set()
    for proto in (interface.Trainable, *interface.PROMISES.values()):
        names |= {n for n in (*vars(proto), *proto.__annotations__) if not n.startswith("_")}
    for fam in REGISTRY.values():
        path = _module_file(fam.impl.partition(":")[0])
        if path is None:
            continue
        cls = fam.impl.partition(":")[2]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name == cls:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                        names.add(sub.name)
                    elif isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store):
                        if isinstance(sub.value, ast.Name) and sub.value.id == "self":
                            names.add(sub.attr)
                    elif isinstance(sub, ast.AnnAssign | ast.Assign):
                        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return {n for n in names if not n.startswith("__")}


KINDS = {f.kind for f in REGISTRY.values()}  # "gan", "ebm", "vae": nothing else is called so
NAMES = set(REGISTRY)  # "toy1d" is a data set's name too: compared with a family, it counts
FAMILY_WORDS = ("kind", "family", "fam")


def _strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return set().union(*(_strings(e) for e in node.elts)) if node.elts else set()
    return set()


def _about_a_family(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return any(w in text.replace(".", " ").replace("(", " ").split() for w in FAMILY_WORDS)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    code: str
    families: frozenset[str]  # whose kind or name it names (empty: a hasattr probe)


def scan(source: str, rel: str, members: set[str]) -> list[Finding]:
    """The family branches in one module's source."""
    out: list[Finding] = []
    for node in ast.walk(ast.parse(source)):
        hit: frozenset[str] | None = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            probe = name == "hasattr" or (name == "getattr" and len(node.args) == 3)
            if probe and len(node.args) >= 2 and _strings(node.args[1]) & members:
                hit = frozenset()
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = set().union(*(_strings(side) for side in sides))
            about = any(_about_a_family(side) for side in sides if not _strings(side))
            words = named & KINDS | (named & NAMES if about else set())
            if words:
                hit = frozenset(words)
        elif isinstance(node, ast.Dict):  # a table keyed by kinds or family names
            keys = set().union(*(_strings(k) for k in node.keys if k is not None))
            if len(keys & (KINDS | NAMES)) >= 2:
                hit = frozenset(keys & (KINDS | NAMES))
        elif isinstance(node, ast.Subscript):  # anything[fam.kind]
            if isinstance(node.slice, ast.Attribute) and node.slice.attr == "kind":
                hit = frozenset({"?"})
        if hit is not None:
            out.append(Finding(rel, node.lineno, ast.unparse(node), hit))
    return out


def findings() -> list[Finding]:
    """Every family branch in tui_gan/ outside the family's own modules."""
    members, owned = trainable_members(), own_modules()
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for f in scan(path.read_text(), path.relative_to(REPO).as_posix(), members):
            if not (f.families and all(path in owned.get(w, set()) for w in f.families)):
                out.append(f)
    return out


def _allowed(f: Finding) -> bool:
    return any(a.path == f.path and a.code == f.code for a in ALLOWED)


def test_nothing_outside_a_family_branches_on_which_family_it_is():
    found = [f for f in findings() if not _allowed(f)]
    assert not found, "ask the family's descriptor or its declared capabilities instead:\n" + (
        "\n".join(f"{f.path}:{f.line}: {f.code}" for f in found)
    )


def test_every_allowed_finding_is_still_there():
    found = {(f.path, f.code) for f in findings()}
    stale = [a for a in ALLOWED if (a.path, a.code) not in found]
    assert not stale, "fixed: remove from ALLOWED:\n" + "\n".join(
        f"{a.path}: {a.code}" for a in stale
    )


def test_the_walk_finds_probes_kind_comparisons_and_tables_keyed_by_kind():
    members = trainable_members()
    assert {"reconstruct", "sample_steps", "discriminate", "use_ema"} <= members
    code = """
if fam.kind == "gan": pass
if hasattr(model, "reconstruct"): pass
steps = getattr(model, "sample_steps", None)
what = {"ebm": "chains", "vae": "decoder"}
if view.family in ("cmlp", "cdcgan"): pass
score = NAMES[fam.kind]
"""
    assert [f.line for f in scan(code, "x.py", members)] == [2, 3, 4, 5, 6, 7]
    innocent = """
if preset.data.name == "toy1d": pass
if loss.kind == "hinge": pass
if hasattr(signal, "SIGHUP"): pass
ok = hasattr(panel, "next_zoom")
"""
    assert scan(innocent, "x.py", members) == []


def test_a_family_owns_its_trainable_and_the_networks_it_imports():
    owned = own_modules()
    ebm = {p.relative_to(PACKAGE).as_posix() for p in owned["ebm"]}
    assert {"engine/ebm.py", "engine/models/ebm.py"} <= ebm
    assert "engine/models/dcgan.py" not in ebm
    gan = {p.relative_to(PACKAGE).as_posix() for p in owned["gan"]}
    assert {"engine/gan.py", "engine/models/__init__.py", "engine/models/mlp.py"} <= gan
