"""Who an imported person is, and what their source said before: read once per import.

:func:`read_history` makes one pass over the log's ``contact.added`` and
``contact.updated`` events (undone ones left out, merged contacts counted as
the contact they are now) and gives two things: every email address and
LinkedIn URL any event ever gave a contact, and, for the importing source,
the value it last gave each contact for each field. :class:`Matcher` indexes
the store's contacts by identity (LinkedIn URL, email, then name and company
as ``add``'s look-alike check compares them), their current values first,
then those past identities. ``coffeechat.people`` plans the import with both.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any, NamedTuple

import apsw

from coffeechat.codec import UNREADABLE, decode_as
from coffeechat.events import RETRACTED, ContactAdded, ContactUpdated
from coffeechat.fold import CONTACT_PREFIX
from coffeechat.projections.merges import alias_roots
from coffeechat.resolve import company_key, fold, linkedin_key
from coffeechat.retractions import Retraction, retracted_ids

FIELDS = ("company", "role", "email", "linkedin", "phone")
GIVEN = (*FIELDS, "birthday")  # what a source's last value is kept for (and dates, by label)


def fold_text(text: str | None) -> str:
    """A value as an import compares it: NFKC, case folded, outer spaces aside."""
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


def person_key(name: str | None, company: str | None) -> tuple[str, str]:
    """Name and company as ``add``'s look-alike check compares them: the name folded
    (accents, case, spaces and zero-width characters aside), the company by
    :func:`coffeechat.resolve.company_key` (``Acme Inc.`` is ``Acme``)."""
    return fold(name or ""), company_key(company)


class Known(NamedTuple):
    id: str
    name: str
    fields: dict[str, Any]  # FIELDS, birthday, and dates (JSON text or a dict)


class History(NamedTuple):
    """What the log says of the contacts an import meets (see the module docs)."""

    gave: dict[str, dict[str, Any]]  # contact -> field -> what the source last gave;
    #                                  "dates" -> {label casefolded: day}
    brought_in: set[str]  # contacts (as they are now) that the source added
    past: list[tuple[str, Any, Any]]  # (contact now, email, linkedin) of every live event


_READ = ("SELECT id, stream, type, schema, source = ?, data FROM main.events "
         "WHERE type IN ('contact.added', 'contact.updated', ?) ORDER BY occurred_at, id")


def read_history(db: apsw.Connection, source: str) -> History:
    """One query over the log for the whole import (see the module docs)."""
    roots = alias_roots(db)
    rows = list(db.execute(_READ, (source, RETRACTED)))
    undone = retracted_ids(Retraction(r[0], r[2], r[3], r[5]) for r in rows
                           if r[2] == RETRACTED)
    gave: dict[str, dict[str, Any]] = {}
    brought_in: set[str] = set()
    past: list[tuple[str, Any, Any]] = []
    for event_id, stream, kind, schema, mine, data in rows:
        if kind == RETRACTED or event_id in undone or not stream.startswith(CONTACT_PREFIX):
            continue
        try:
            payload: ContactAdded | ContactUpdated = (
                decode_as(ContactAdded, schema, data) if kind == "contact.added"
                else decode_as(ContactUpdated, schema, data))
        except UNREADABLE:
            continue  # (the fold skips it too)
        contact = stream[len(CONTACT_PREFIX):]
        contact = roots.get(contact, contact)
        past.append((contact, payload.email, payload.linkedin))
        if not mine:
            continue
        given = gave.setdefault(contact, {})
        if isinstance(payload, ContactAdded):
            brought_in.add(contact)
        for field in GIVEN:
            value = getattr(payload, field)
            if isinstance(value, str) and value:
                given[field] = value
            elif value is None and isinstance(payload, ContactUpdated):
                given.pop(field, None)  # (cleared by this source: it gives nothing now)
        if isinstance(payload.dates, dict) and payload.dates:
            dates = given.setdefault("dates", {})
            for label, day in payload.dates.items():
                if day:
                    dates[label.casefold()] = day
                else:
                    dates.pop(label.casefold(), None)
    return History(gave, brought_in, past)


class Matcher:
    """The store's contacts, indexed by each kind of identity (see the module docs)."""

    def __init__(self, db: apsw.Connection, history: History | None = None) -> None:
        self.by_linkedin: dict[str, str] = {}
        self.by_email: dict[str, str] = {}
        self.by_name_company: dict[tuple[str, str], list[str]] = {}
        self.known: dict[str, Known] = {}
        for row in db.execute("SELECT id, name, company, role, email, linkedin, phone, "
                              "birthday, dates FROM contacts"):
            fields = dict(zip(FIELDS, row[2:7], strict=True))
            fields["birthday"] = row[7]
            fields["dates"] = row[8]  # JSON text, or None
            self.remember(Known(row[0], row[1], fields))
        # Identities the contacts had before (or their merged-away contacts had), found
        # only when no current one answers: a current value never loses to a past one.
        self.past_linkedin: dict[str, str] = {}
        self.past_email: dict[str, str] = {}
        for contact, email, linkedin in history.past if history else ():
            if contact not in self.known:
                continue  # (an alias of nobody, or a contact whose add was undone)
            if isinstance(linkedin, str) and (key := linkedin_key(linkedin)):
                self.past_linkedin.setdefault(key, contact)
            if isinstance(email, str) and email:
                self.past_email.setdefault(fold_text(email), contact)

    def remember(self, known: Known) -> None:
        self.known[known.id] = known
        self.remember_identities(known.id, known.name, known.fields.get("company"),
                                 [known.fields.get("email")], known.fields.get("linkedin"))

    def remember_identities(self, contact: str, name: str, company: str | None,
                            emails: Sequence[str | None], linkedin: str | None) -> None:
        """Index ``contact`` under these identities (those another contact has stay its)."""
        key = linkedin_key(linkedin)
        if key:
            self.by_linkedin.setdefault(key, contact)
        for email in emails:
            if email:
                self.by_email.setdefault(fold_text(email), contact)
        same = self.by_name_company.setdefault(person_key(name, company), [])
        if contact not in same:
            same.append(contact)

    def match(self, name: str, company: str | None, emails: list[str],
              linkedin: str | None) -> set[str]:
        """Every contact these identities point at (one, none, or a conflict)."""
        for by_linkedin, by_email in ((self.by_linkedin, self.by_email),
                                      (self.past_linkedin, self.past_email)):
            found: set[str] = set()
            key = linkedin_key(linkedin)
            if key and key in by_linkedin:
                found.add(by_linkedin[key])
            for address in emails:
                if fold_text(address) in by_email:
                    found.add(by_email[fold_text(address)])
            if found:
                return found
        same = self.by_name_company.get(person_key(name, company), [])
        return set(same[:2])  # two contacts of that name at one company: a conflict
