"""docs/architecture.md names only what exists, and every module there is.

A module is named by its import name (``coffeechat.queries``,
``coffeechat.plugins.notes``; ``coffeechat.Reader`` names what a module
holds) or by its path (``cli/read.py``, or ``core/projections/`` and then
``isolation.py``); a link (``[events.md](events.md)``) names a file beside the
page. Every module of the package must be on the map. The store's
own files (``coffeechat.db``, ``coffeechat.db.head``) are file names, not modules.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
FOLDERS = {"core": "coffeechat", "cli": "coffeechat.cli", "plugins": "coffeechat.plugins"}

DOTTED = re.compile(r"\bcoffeechat(?:\.\w+)+")
PATH = re.compile(r"(?<![\w/.])(?:core|cli|plugins|tests|docs|examples)/[\w/.-]*")
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def _resolves(dotted: str) -> bool:
    """A module, or something a module holds (``coffeechat.Reader``, ``...Store.append``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                value = getattr(value, attribute)
        except AttributeError:
            return False
        return True
    return False


def _named() -> set[str]:
    return {name for name in DOTTED.findall(DOC.read_text())
            if not re.match(r"coffeechat\.db\b", name)}


def test_every_module_named_imports() -> None:
    names = _named()
    assert len(names) >= 40
    missing = sorted(name for name in names if not _resolves(name))
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def test_every_path_and_link_exists() -> None:
    text = DOC.read_text()
    paths = {p.rstrip(".,") for p in PATH.findall(text)}
    assert len(paths) >= 10
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    links = set(LINK.findall(text))
    missing += sorted(link for link in links if not (DOC.parent / link).exists())
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


def _modules() -> dict[str, str]:
    """Every module of the package: its path → its import name."""
    found = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT / folder).with_suffix("")
            if relative.name in ("__init__", "__main__") or "templates" in relative.parts[:-1]:
                continue
            found[path.relative_to(ROOT).as_posix()] = ".".join((package, *relative.parts))
    return found


def _on_the_map(path: str, dotted: str, text: str, named: set[str]) -> bool:
    folder, _, file = path.rpartition("/")
    return (dotted in named or path in text
            or (f"`{folder}/`" in text and f"`{file}`" in text))  # "`core/projections/` holds"


def test_every_module_is_on_the_map() -> None:
    text = DOC.read_text()
    named = _named()
    unnamed = sorted(path for path, dotted in _modules().items()
                     if not _on_the_map(path, dotted, text, named))
    assert not unnamed, ("docs/architecture.md does not say where these modules fit "
                         f"(name each by its import name or path): {unnamed}")
