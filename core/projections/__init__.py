"""Projections: read models kept up to date from the log.

This package's top level stays tiny on purpose: :func:`is_current` answers
"is there anything new to apply?" with one query and a ``stat`` of the config
file, without importing the folding machinery, so a read with nothing new to
apply costs almost nothing. :class:`coffeechat.projections.projector.Projector`
does the actual work.
"""

from __future__ import annotations

import apsw

from coffeechat.config import config_stat

# The version of each built-in projection. Bump one when its tables or the
# meaning of its rows change: the projection is then rebuilt from the log.
VERSIONS = {"contacts": 1, "followups": 1, "referrals": 1, "search": 1}


def is_current(db: apsw.Connection, *, check_config: bool = True) -> bool:
    """True when every projection has applied the whole log with today's versions.

    With ``check_config``, the config file must also be the one last projected
    (its follow-up settings shape the follow-ups).
    """
    rows = db.execute(
        "SELECT name, version, checkpoint, (SELECT coalesce(max(seq), 0) FROM events) "
        "FROM projections"
    ).fetchall()
    if len(rows) != len(VERSIONS):
        return False
    for name, version, checkpoint, last in rows:
        if VERSIONS.get(name) != version or checkpoint != last:
            return False
    if not check_config:
        return True
    stored = db.execute("SELECT value FROM meta WHERE key = 'config_stat'").fetchone()
    return stored is not None and stored[0] == config_stat()
