r"""Where coffeechat keeps things. Every location is asked for here.

With ``COFFEECHAT_HOME`` set, that one folder holds everything: the store
``coffeechat.db`` (and its head ``coffeechat.db.head``), ``config.toml``,
``templates/``, ``outbox/`` and the caches in ``.cache/``.

Unset, each kind of file goes where the platform keeps that kind:

- config (``config.toml``, ``templates/``): ``$XDG_CONFIG_HOME/coffeechat``
  (``~/.config/coffeechat``) on Linux and other Unix systems,
  ``~/Library/Application Support/coffeechat`` on macOS, ``%APPDATA%\coffeechat``
  (roaming with the user) on Windows;
- data (the store, ``outbox/``): ``$XDG_DATA_HOME/coffeechat``
  (``~/.local/share/coffeechat``), the same folder as config on macOS,
  ``%LOCALAPPDATA%\coffeechat`` on Windows (local: an SQLite file must not roam);
- cache: ``$XDG_CACHE_HOME/coffeechat`` (``~/.cache/coffeechat``),
  ``~/Library/Caches/coffeechat``, ``%LOCALAPPDATA%\coffeechat\Cache``.

Before these folders, everything lived in one: the *old folder*
(``~/.local/share/coffeechat`` on Linux, ``%APPDATA%\coffeechat`` on Windows).
A config file, templates folder, store or outbox found there and not at its new
place is still the one used, so nobody loses their settings or their store by
upgrading; moving it to the new place is enough to switch. Caches are never
looked for there: they are rebuilt.

Cheap on purpose (``os.path`` and a stat or two, no pathlib): reads ask for the
config file on every command.
"""

from __future__ import annotations

import os
import sys
from typing import NamedTuple

APP = "coffeechat"
STORE_NAME = "coffeechat.db"
CONFIG_NAME = "config.toml"
TEMPLATES_NAME = "templates"
OUTBOX_NAME = "outbox"


class Place(NamedTuple):
    """A location and whether it was found in the old single folder."""

    path: str
    old: bool = False


def home_override() -> str | None:
    """``COFFEECHAT_HOME`` (user-expanded) when set: the one folder for everything."""
    env = os.environ.get("COFFEECHAT_HOME")
    return os.path.expanduser(env) if env else None


def platform() -> str:
    """``"macos"``, ``"windows"`` or ``"xdg"`` (Linux and the other Unix systems)."""
    if sys.platform == "darwin":
        return "macos"
    return "windows" if os.name == "nt" else "xdg"


def _xdg(variable: str, *fallback: str) -> str:
    # The XDG rules: an empty or relative value is ignored.
    value = os.environ.get(variable, "")
    base = value if os.path.isabs(value) else os.path.join(os.path.expanduser("~"), *fallback)
    return os.path.join(base, APP)


def _windows(variable: str, *fallback: str) -> str:
    base = os.environ.get(variable) or os.path.join(os.path.expanduser("~"), *fallback)
    return os.path.join(base, APP)


def _settled(windows: tuple[str, ...], xdg: tuple[str, ...]) -> str:
    """Config and data: COFFEECHAT_HOME, else the platform's place (on macOS both are
    Application Support; ``windows`` and ``xdg`` are the variable and its fallback)."""
    home = home_override()
    if home is not None:
        return home
    if platform() == "macos":
        return os.path.expanduser(f"~/Library/Application Support/{APP}")
    if platform() == "windows":
        return _windows(*windows)
    return _xdg(*xdg)


def config_folder() -> str:
    """The folder for ``config.toml`` and ``templates/``."""
    return _settled(("APPDATA", "AppData", "Roaming"), ("XDG_CONFIG_HOME", ".config"))


def data_folder() -> str:
    """The folder for the default store and the outbox."""
    return _settled(("LOCALAPPDATA", "AppData", "Local"), ("XDG_DATA_HOME", ".local", "share"))


def cache_folder() -> str:
    """The folder for caches: anything in it can be deleted and is made again."""
    home = home_override()
    if home is not None:
        return os.path.join(home, ".cache")
    if platform() == "macos":
        return os.path.expanduser(f"~/Library/Caches/{APP}")
    if platform() == "windows":
        return os.path.join(_windows("LOCALAPPDATA", "AppData", "Local"), "Cache")
    return _xdg("XDG_CACHE_HOME", ".cache")


def old_folder() -> str | None:
    """The single folder that held everything before (None with ``COFFEECHAT_HOME``)."""
    if home_override() is not None:
        return None
    home = os.path.expanduser("~")
    if platform() == "macos":
        base = os.path.join(home, "Library", "Application Support")
    elif platform() == "windows":
        base = os.environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
    else:
        base = os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(base, APP)


def _place(folder: str, name: str) -> Place:
    new = os.path.join(folder, name)
    old_home = old_folder()
    if old_home is None or os.path.lexists(new) or _same(old_home, folder):
        return Place(new)
    old = os.path.join(old_home, name)
    return Place(old, old=True) if os.path.lexists(old) else Place(new)


def _same(a: str, b: str) -> bool:
    return os.path.normcase(os.path.normpath(a)) == os.path.normcase(os.path.normpath(b))


def config_place() -> Place:
    return _place(config_folder(), CONFIG_NAME)


def templates_place() -> Place:
    return _place(config_folder(), TEMPLATES_NAME)


def store_place() -> Place:
    return _place(data_folder(), STORE_NAME)


def outbox_place() -> Place:
    return _place(data_folder(), OUTBOX_NAME)


def config_file() -> str:
    """The ``config.toml`` to read (it may not exist: then every setting is a default)."""
    return config_place().path


def templates_folder() -> str:
    """Your templates folder, unless ``templates_dir`` in config.toml names another."""
    return templates_place().path


def default_store() -> str:
    """The store without ``--db`` or ``COFFEECHAT_DB``."""
    return store_place().path


def outbox_folder() -> str:
    """Where drafts go, unless ``[email] outbox`` in config.toml names another folder."""
    return outbox_place().path


def entry_points_cache() -> str:
    """The cached list of installed plugins."""
    return os.path.join(cache_folder(), "entry-points.json")


def config_stat(path: str | None = None) -> str:
    """A cheap fingerprint of the config file (size, mtime and inode) to notice edits.

    (Here, not in coffeechat.config, so that a read's "is anything new?" check
    does not build the config's types.)
    """
    if path is None:
        path = config_file()
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "absent"
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"
