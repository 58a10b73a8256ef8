"""Finding the contact a person means: by id, or by an unambiguous part of the name."""

from __future__ import annotations

import unicodedata

import apsw

from coffeechat.errors import AmbiguousContact, BadInput, UnknownContact, quote


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def resolve_contact(db: apsw.Connection, text: str, *, where: str = "CONTACT",
                    schema: str = "main", any_stream: bool = False) -> str:
    """The id of the one contact that ``text`` names.

    An exact id wins; otherwise every contact whose name contains ``text``
    (case-insensitive) is a candidate, and an exact full-name match breaks a tie.
    With ``any_stream``, an exact id is also accepted when the contact is gone
    from the view (its ``add`` was undone) but its events remain, as ``log`` needs.
    """
    wanted = text.strip()
    if not wanted:
        raise BadInput(f"{where}: must not be empty")
    if db.execute(f"SELECT 1 FROM {schema}.contacts WHERE id = ?", (wanted,)).fetchone():
        return wanted
    if any_stream and db.execute("SELECT 1 FROM main.events WHERE stream = ? LIMIT 1",
                                 ("contact:" + wanted,)).fetchone():
        return wanted
    needle = _fold(wanted)
    candidates = [(cid, name) for cid, name in db.execute(
        f"SELECT id, name FROM {schema}.contacts ORDER BY name COLLATE NOCASE, id")
        if needle in _fold(name)]
    if len(candidates) == 1:
        return candidates[0][0]
    exact = [c for c in candidates if _fold(c[1]) == needle]
    if len(exact) == 1:
        return exact[0][0]
    if not candidates:
        raise UnknownContact(
            f"{where}: no contact matches {quote(wanted)} (see `coffeechat contacts`)"
        )
    shown = ", ".join(f"{name} ({cid})" for cid, name in candidates[:8])
    more = f" and {len(candidates) - 8} more" if len(candidates) > 8 else ""
    raise AmbiguousContact(
        f"{where}: {quote(wanted)} matches {len(candidates)} contacts: {shown}{more}; "
        "give more of the name or the id"
    )
