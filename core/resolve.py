"""Finding the contact a person means: by id, or by an unambiguous part of the name."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import apsw

from coffeechat.errors import AmbiguousContact, BadInput, UnknownContact, quote


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class ContactDirectory:
    """Every contact's id and name, to resolve many names quickly (a notes scan does).

    An exact id wins; then an exact full name (case-insensitive) when it names
    one contact; otherwise every contact whose name contains the text is a
    candidate, and there must be exactly one.
    """

    def __init__(self, contacts: list[tuple[str, str]],
                 aliases: dict[str, str] | None = None,
                 events: apsw.Connection | None = None) -> None:
        self.names: dict[str, str] = {}
        self.aliases = aliases or {}  # merged-away contact id → the contact it became
        self.events = events  # to see ids whose streams hold events (an undone add)
        self._by_name: dict[str, list[str]] = {}
        for contact_id, name in contacts:
            self.add(contact_id, name)

    @classmethod
    def load(cls, db: apsw.Connection, schema: str = "main") -> ContactDirectory:
        from coffeechat.projections.merges import alias_roots

        return cls(list(db.execute(
            f"SELECT id, name FROM {schema}.contacts ORDER BY name COLLATE NOCASE, id"
        )), alias_roots(db, schema), db)

    def taken(self, contact_id: str) -> bool:
        """Whether an id is in use (see :func:`id_taken`)."""
        if contact_id in self.names or contact_id in self.aliases:
            return True
        return self.events is not None and id_taken(self.events, contact_id)

    def new_id(self, name: str) -> str:
        """A free id for a new contact of this name: ``jane-doe``, ``jane-doe-2``, ..."""
        return free_id(name, self.taken)

    def add(self, contact_id: str, name: str) -> None:
        """Know a contact (one being added in the same batch, say)."""
        self.names[contact_id] = name
        self._by_name.setdefault(_fold(name), []).append(contact_id)

    def forget(self, contact_id: str) -> None:
        """Unknow a contact :meth:`add` made known (its batch was not recorded after all)."""
        name = self.names.pop(contact_id, None)
        if name is not None:
            ids = self._by_name.get(_fold(name), [])
            if contact_id in ids:
                ids.remove(contact_id)

    def resolve(self, text: str, where: str = "CONTACT") -> str:
        wanted = text.strip()
        if not wanted:
            raise BadInput(f"{where}: must not be empty")
        if wanted in self.names:
            return wanted
        if wanted.lower() in self.names:  # ids are lower case; people may not type them so
            return wanted.lower()
        if wanted in self.aliases:  # merged into another contact: that one
            return self.aliases[wanted]
        needle = _fold(wanted)
        exact = self._by_name.get(needle, [])
        if len(exact) == 1:
            return exact[0]
        candidates = [(cid, name) for cid, name in self.names.items() if needle in _fold(name)]
        if len(candidates) == 1:
            return candidates[0][0]
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


def resolve_contact(db: apsw.Connection, text: str, *, where: str = "CONTACT",
                    schema: str = "main", any_stream: bool = False) -> str:
    """The id of the one contact that ``text`` names (see :class:`ContactDirectory`).

    With ``any_stream``, an exact id is also accepted when the contact is gone
    from the view (its ``add`` was undone) but its events remain, as ``log`` needs.
    """
    wanted = text.strip()
    if wanted and db.execute(f"SELECT 1 FROM {schema}.contacts WHERE id = ?",
                             (wanted,)).fetchone():
        return wanted
    if any_stream and wanted and db.execute(
            "SELECT 1 FROM main.events WHERE stream = ? LIMIT 1",
            ("contact:" + wanted,)).fetchone():
        return wanted
    return ContactDirectory.load(db, schema).resolve(text, where)


def id_taken(db: apsw.Connection, contact_id: str) -> bool:
    """Whether a contact id is in use: by a contact, a merged one, or any event.

    A contact whose ``add`` was undone keeps its stream: reusing the id would
    give a new person that one's history.
    """
    return db.execute("SELECT 1 FROM main.events WHERE stream = ? LIMIT 1",
                      ("contact:" + contact_id,)).fetchone() is not None


def free_id(name: str, taken: Callable[[str], bool]) -> str:
    """The first of ``jane-doe``, ``jane-doe-2``, ... that ``taken`` does not claim."""
    from coffeechat.ids import slugify

    base = slugify(name)
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def contacts_by_email(db: apsw.Connection) -> dict[str, str]:
    """Each known address, in lower case, to its contact (the oldest, if several share it)."""
    found: dict[str, str] = {}
    for contact_id, address in db.execute(
            "SELECT id, email FROM contacts WHERE email IS NOT NULL ORDER BY added_at, id"):
        found.setdefault(address.lower(), contact_id)
    return found
