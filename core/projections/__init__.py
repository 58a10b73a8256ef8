"""Projections: read models kept up to date from the log.

This package's top level stays tiny on purpose: :func:`is_current` answers
"is there anything new to apply?" with one query and a ``stat`` of the config
file, without importing the folding machinery, so a read with nothing new to
apply costs almost nothing. :class:`coffeechat.projections.projector.Projector`
does the actual work.
"""

from __future__ import annotations

import os

import apsw

from coffeechat.paths import config_stat

META_PLUGIN_ENV = "plugin_env"
META_PLUGINS_DIR = "plugins_dir"
META_ZONE = "zone"

# The version of each built-in projection. Bump one when its tables or the
# meaning of its rows change: the projection is then rebuilt from the log.
VERSIONS = {"contacts": 11, "followups": 8, "referrals": 1, "search": 3, "merges": 1}

# Tables SQLite keeps for a projection beside its own: FTS5's for the search index.
# One dropped by hand leaves the index unreadable (every search, and dropping it,
# fails), so it counts as missing as the projection's own table does.
SHADOWS = {"search": ("search_data", "search_idx", "search_content", "search_docsize",
                      "search_config")}
# The indexes a built-in projection makes once a rebuild's rows are in (its
# ``indexes``; a test holds the two lists together). Queries name some of them
# (INDEXED BY), so one dropped by hand makes its projection stale too.
INDEXES = {
    "contacts": ("contacts_name", "contacts_scheduled", "contacts_birthday",
                 "contacts_birthday_handle", "contacts_birthday_event", "contacts_dated",
                 "contacts_name_key", "contacts_company_key", "contacts_linkedin_key",
                 "contacts_email"),
    "followups": ("followups_due", "followups_handle", "followups_contact"),
}
_KEPT = [*VERSIONS, *(table for tables in SHADOWS.values() for table in tables),
         *(index for indexes in INDEXES.values() for index in indexes)]


def local_zone() -> str:
    """A cheap fingerprint of the local time zone: ``TZ`` and what /etc/localtime is.

    Day-based follow-ups are calendar days in the local zone (the same wall
    time N days later), so the follow-ups and stages are computed for one zone;
    another zone (a changed ``TZ``, a laptop set to another place) recomputes them.
    """
    try:
        system = os.readlink("/etc/localtime")
    except OSError:  # not a link (a copy), absent, or no such file on this system
        try:
            info = os.stat("/etc/localtime")
            system = f"{info.st_size}:{info.st_mtime_ns}"
        except OSError:
            system = ""
    return f"{os.environ.get('TZ', '')}|{system}"


def is_current(db: apsw.Connection, *, check_config: bool = True, check_plugins: bool = False,
               plugins_dir: str | None = None) -> bool:
    """True when every projection has applied the whole log with today's versions.

    With ``check_config``, the config file must also be the one last projected
    (its follow-up settings shape the follow-ups), and the local time zone the
    one last projected in (see :func:`local_zone`); with ``check_plugins``, the
    installed plugins must look the same as when last projected (compared by a
    cheap fingerprint, without loading any). ``plugins_dir`` is a --plugins-dir
    given on the command line.
    """
    try:
        return _is_current(db, check_config, check_plugins, plugins_dir)
    except apsw.SQLError:  # (a bookkeeping table is gone: the projector recreates it)
        return False


# Each built-in projection keeps its rows in a table of its own name: one that is
# missing (dropped by hand), or one of its SHADOWS or INDEXES, makes its projection
# stale, rebuilt like a new version.
_STATE = ("SELECT name, version, checkpoint, (SELECT coalesce(max(seq), 0) FROM events), "
          "(SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'index') AND name IN ("
          + ", ".join(f"'{name}'" for name in _KEPT) + ")) FROM projections")


def _is_current(db: apsw.Connection, check_config: bool, check_plugins: bool,
                plugins_dir: str | None) -> bool:
    rows = db.execute(_STATE).fetchall()
    seen = 0
    for name, version, checkpoint, last, tables in rows:
        if checkpoint != last or tables != len(_KEPT):
            return False
        if name in VERSIONS:
            if VERSIONS[name] != version:
                return False
            seen += 1
    if seen != len(VERSIONS):
        return False
    if not (check_config or check_plugins):
        return True
    meta = dict(db.execute("SELECT key, value FROM meta"))
    if check_config and (meta.get("config_stat") != config_stat()
                         or meta.get(META_ZONE) != local_zone()):
        return False
    if check_plugins:
        from coffeechat.plugin_sources import environment_fingerprint

        folder = plugins_dir if plugins_dir is not None else meta.get(META_PLUGINS_DIR)
        if meta.get(META_PLUGIN_ENV) != environment_fingerprint(folder or None):
            return False
    return True
