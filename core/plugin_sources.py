"""Where plugins come from: installed packages, a plugins folder, and the allow-list.

Installed plugins are found through the entry point group ``coffeechat``; the
list is cached in the coffeechat folder and read again only after something
was installed or removed. :func:`environment_fingerprint` sums up all of this
cheaply, so a read can tell that the plugins changed without loading any.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import msgspec

from coffeechat.paths import entry_points_cache

# (every read checks environment_fingerprint: what only loading needs is imported there)

GROUP = "coffeechat"


class EntryPoint(msgspec.Struct, array_like=True):
    name: str
    value: str
    dist: str
    version: str


class _EntryPointCache(msgspec.Struct):
    key: str
    entry_points: list[EntryPoint]


def allowed_plugins() -> set[str] | None:
    """``COFFEECHAT_LOAD_PLUGINS`` as a set of names (None: not set, load every plugin)."""
    raw = os.environ.get("COFFEECHAT_LOAD_PLUGINS")
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _site_key() -> str:
    """Changes whenever a package is installed or removed (its folder's mtime moves)."""
    parts = []
    for entry in sys.path[1:]:  # [0] is the script's folder or the current one
        try:
            parts.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            continue
    return "|".join(parts)


def environment_fingerprint(plugins_dir: str | None) -> str:
    """A cheap summary of what plugins could load, to notice a change without loading them."""
    parts = [os.environ.get("COFFEECHAT_LOAD_PLUGINS", "*"), _site_key()]
    if plugins_dir:
        try:
            for entry in sorted(os.scandir(plugins_dir), key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    parts.append(f"{entry.name}:{entry.stat().st_mtime_ns}")
        except OSError:
            parts.append(f"{plugins_dir}:missing")
    return "\n".join(parts)


def installed_entry_points() -> list[EntryPoint]:
    """Installed plugins, cached so importlib.metadata is only read after an install."""
    key = _site_key()
    cache = entry_points_cache()
    try:
        with open(cache, "rb") as file:
            cached = msgspec.json.decode(file.read(), type=_EntryPointCache)
        if cached.key == key:
            return cached.entry_points
    except (OSError, msgspec.DecodeError):
        pass
    from importlib.metadata import entry_points

    from coffeechat.files import make_folder, replace_file

    found = [EntryPoint(ep.name, ep.value, ep.dist.name if ep.dist else "?",
                        ep.dist.version if ep.dist else "?")
             for ep in entry_points(group=GROUP)]
    try:
        make_folder(os.path.dirname(cache))
        replace_file(cache, msgspec.json.encode(_EntryPointCache(key, found)))
    except OSError:
        pass  # a read-only home only costs the scan next time
    return found


def import_entry_point(value: str) -> Any:
    import importlib

    module_name, _, attr = value.partition(":")
    module = importlib.import_module(module_name.strip())
    return getattr(module, attr.strip()) if attr else module


def import_file(name: str, path: str) -> Any:
    """Import a plugins-folder file as module ``coffeechat_plugins_dir.<name>``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"coffeechat_plugins_dir.{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:  # (a time limit too): no half-imported module left behind
        sys.modules.pop(spec.name, None)
        raise
    return module
