"""Finding the contact a person means, as they say it; and people who look alike.

A CONTACT argument (on the command line, in a note's ``contact:`` key, in
``--referred-by``, ...) is tried in this order; the first step that finds
anyone decides:

1. an id (``jane-doe``; in any case, and ``jose-alvarez`` for ``josé-álvarez``), or
   the id of a contact merged into another;
2. the whole name (``Jane Doe``);
3. whole words of the name: every word given is a word of the name, in any
   order (``priya`` is Priya Natarajan, not Priyanka Das; ``doe jane`` is Jane Doe);
4. a part of the name (``priyan``).

Names are compared with accents, case, spacing and invisible format
characters folded away (``jose`` finds José Álvarez), and an Obsidian link
(``[[Dana Whitfield|Dana]]``) stands for its target. A step that finds several contacts is an error
listing them; nothing found at all is an error too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import apsw

from coffeechat.errors import AmbiguousContact, BadInput, UnknownContact, quote

# The general-purpose combining marks (the accents of Latin, Greek and Cyrillic
# letters once decomposed). Marks that belong to one script (Devanagari vowel
# signs, the kana voicing marks) change the letter, so they are kept.
_ACCENTS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
# Letters that carry their accent inside (no decomposition) and typographic apostrophes.
_PLAIN = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i",
                        "æ": "ae", "œ": "oe", "þ": "th", "\u2019": "'", "\u2018": "'",
                        "\u02bc": "'"})
# Spaces and tabs, collapsed; a line break is no part of a name, so it is left to not match.
_SPACES = "[\t\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+"
# (patterns as text: re compiles each when first used and keeps it; most names are
# ASCII with single spaces and need neither, and compiling them costs every command
# that resolves a contact ~0.5 ms)


@lru_cache(maxsize=1 << 14)
def fold(text: str) -> str:
    """``text`` as names are compared: no accents, case folded, single spaces, and
    no format characters (zero-width spaces and joiners, soft hyphens).

    ``José  Álvarez`` → ``jose alvarez``; ``Łukasz`` → ``lukasz``; other
    scripts keep their letters (``李小龍`` stays as it is).

    (The contacts projection stores each name folded, as it stores
    :func:`company_key` and :func:`linkedin_key`: a change to any of the three
    must bump its version in ``coffeechat.projections.VERSIONS``.)
    """
    if text.isascii():  # (most names: nothing to decompose)
        low = text.lower()
        if "  " in low or "\t" in low:
            low = re.sub(_SPACES, " ", low)
        return low.strip(" ")
    # Format characters (zero-width space, soft hyphen, BOM, joiners, direction
    # marks) draw nothing: ``Ann\u200b Zero`` is Ann Zero.
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = re.sub(_ACCENTS, "", decomposed).translate(_PLAIN)
    return re.sub(_SPACES, " ", unicodedata.normalize("NFC", bare)).strip(" ")


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def words(folded: str) -> list[str]:
    """The words of a folded name, without the punctuation around them (``m.`` → ``m``)."""
    found = []
    for chunk in folded.split(" "):
        start, end = 0, len(chunk)
        while start < end and _is_punctuation(chunk[start]):
            start += 1
        while end > start and _is_punctuation(chunk[end - 1]):
            end -= 1
        if start < end:
            found.append(chunk[start:end])
    return found


def _name_words(folded: str) -> set[str]:
    """The words a name can be called by: each word, and each part of a hyphenated one."""
    found = set()
    for word in words(folded):
        found.add(word)
        if "-" in word:
            found.update(part for part in word.split("-") if part)
    return found


_LINK = r"!?\[\[([^\[\]]*)\]\]"


def link_target(text: str) -> str:
    """What an Obsidian link points at; other text as it is.

    ``[[Dana Whitfield]]``, ``[[Dana Whitfield|Dana]]``, ``[[People/Dana Whitfield#Notes]]``
    and ``[[dana-whitfield.md]]`` all give the name or id they link to.
    """
    text = text.strip()
    link = re.fullmatch(_LINK, text) if "[[" in text else None
    if link is None:
        return text
    target = link.group(1).split("|", 1)[0].split("#", 1)[0]
    target = target.rsplit("/", 1)[-1].strip()
    if target.lower().endswith(".md"):
        target = target[:-3].rstrip()
    return target


class ContactDirectory:
    """Every contact's id and name, to resolve many names quickly (a notes scan does).

    See the module docs for the order in which a CONTACT is tried. The name
    indexes are built on the first lookup by name: one by id needs none.
    """

    def __init__(self, contacts: list[tuple[str, str]],
                 aliases: dict[str, str] | None = None,
                 events: apsw.Connection | None = None) -> None:
        self.names: dict[str, str] = {}
        self.aliases = aliases or {}  # merged-away contact id → the contact it became
        self.events = events  # to see ids whose streams hold events (an undone add)
        self._indexed = False
        self._folded: dict[str, str] = {}  # id → folded name
        self._by_name: dict[str, list[str]] = {}  # folded name → ids
        self._by_id: dict[str, list[str]] = {}  # folded id → ids (``jose-alvarez``)
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
        if self._indexed:
            self._index_one(contact_id, name)

    def forget(self, contact_id: str) -> None:
        """Unknow a contact :meth:`add` made known (its batch was not recorded after all)."""
        name = self.names.pop(contact_id, None)
        folded = self._folded.pop(contact_id, None)
        if name is None or folded is None:
            return
        for key, index in ((folded, self._by_name), (fold(contact_id), self._by_id)):
            ids = index.get(key, [])
            if contact_id in ids:
                ids.remove(contact_id)

    def _index(self) -> None:
        if not self._indexed:
            self._indexed = True
            for contact_id, name in self.names.items():
                self._index_one(contact_id, name)

    def _index_one(self, contact_id: str, name: str) -> None:
        folded = fold(name)
        self._folded[contact_id] = folded
        self._by_name.setdefault(folded, []).append(contact_id)
        self._by_id.setdefault(fold(contact_id), []).append(contact_id)

    def matches(self, text: str) -> list[str]:
        """The contacts the first step that finds anyone finds (see the module docs)."""
        wanted = link_target(text)
        if wanted in self.names:
            return [wanted]
        if wanted.lower() in self.names:  # ids are lower case; people may not type them so
            return [wanted.lower()]
        if wanted in self.aliases:  # merged into another contact: that one
            return [self.aliases[wanted]]
        needle = fold(wanted)
        if not needle:
            return []
        self._index()
        exact = self._by_id.get(needle) or self._by_name.get(needle, [])
        if exact:
            return list(exact)
        wanted_words = set(words(needle))
        whole, partial = [], []
        for contact_id, folded in self._folded.items():
            if needle in folded:
                partial.append(contact_id)
            elif not all(word in folded for word in wanted_words):
                continue  # (cheap: a word of the name is a part of it)
            if wanted_words and wanted_words <= _name_words(folded):
                whole.append(contact_id)
        return whole or partial

    def resolve(self, text: str, where: str = "CONTACT") -> str:
        """The id of the one contact ``text`` names; else an error naming ``where``."""
        shown = text.strip()
        if not link_target(shown):
            raise BadInput(f"{where}: must not be empty")
        found = self.matches(shown)
        if len(found) == 1:
            return found[0]
        if not found:
            raise UnknownContact(
                f"{where}: no contact matches {quote(shown)} (see `coffeechat contacts`)"
            )
        listed = ", ".join(f"{self.names[cid]} ({cid})" for cid in found[:8])
        more = f" and {len(found) - 8} more" if len(found) > 8 else ""
        raise AmbiguousContact(
            f"{where}: {quote(shown)} matches {len(found)} contacts: {listed}{more}; "
            "give more of the name or the id"
        )


def resolve_contact(db: apsw.Connection, text: str, *, where: str = "CONTACT",
                    schema: str = "main", any_stream: bool = False) -> str:
    """The id of the one contact that ``text`` names (see :class:`ContactDirectory`).

    With ``any_stream``, an exact id is also accepted when the contact is gone
    from the view (its ``add`` was undone) but its events remain, as ``log`` needs.
    """
    wanted = link_target(text)
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


# -- people who look alike ----------------------------------------------------------------

# Words that say what kind of company it is, not which: "Acme Inc." is Acme.
_COMPANY_FORMS = frozenset({"inc", "incorporated", "llc", "ltd", "limited", "corp",
                            "corporation", "co", "company", "gmbh", "plc", "sa", "ag", "bv"})


@lru_cache(maxsize=1 << 12)
def company_key(company: str | None) -> str:
    """A company as compared: folded, without punctuation or a trailing ``Inc.``, ``LLC``, ..."""
    found = [w for word in words(fold(company or "")) for w in re.split(r"[^\w&]+", word) if w]
    while len(found) > 1 and found[-1] in _COMPANY_FORMS:
        found.pop()
    return " ".join(found)


def similar_names(a: str, b: str) -> bool:
    """Whether two names could be one person's, written two ways.

    Compared word by word once folded (accents, case and punctuation aside):
    every word of one name is a word of the other (``Jane Doe`` and ``Jane M.
    Doe``, ``Doe`` and ``Jane Doe``); or both have a first and a last word, the
    last words are the same and the first words are the same or one is the
    other's initial (``J. Doe`` and ``Jane Doe``, ``Jane A. Doe`` and ``Jane B.
    Doe``). Nothing fuzzier: ``Jon`` is not ``John``.
    """
    return _similar_words(words(fold(a)), words(fold(b)))


def _similar_words(one: list[str], other: list[str]) -> bool:
    if not one or not other:
        return False
    if set(one) <= set(other) or set(other) <= set(one):
        return True
    if len(one) < 2 or len(other) < 2 or one[-1] != other[-1]:
        return False
    first, second = sorted((one[0], other[0]), key=len)
    return first == second or (len(first) == 1 and second.startswith(first))


@lru_cache(maxsize=1 << 16)  # (an import of 10,000 connections asks for each one more than once)
def linkedin_key(url: str | None) -> str | None:
    """A LinkedIn profile URL reduced to what identifies it: ``linkedin.com/in/jane-doe``."""
    if not url:
        return None
    text = url.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text)
    text = re.sub(r"^([a-z]{2,3}\.)?(www\.)?", "", text)
    text = text.split("?")[0].split("#")[0].rstrip("/")
    return text or None


class Lookalike(NamedTuple):
    """An existing contact a new one looks like, and why (``same email jane@acme.com``)."""

    id: str
    name: str
    reasons: list[str]

    def warning(self, new_id: str, new_name: str) -> str:
        """The one line that tells the user, with the command that makes them one contact."""
        return (f"{new_name} looks like {self.name} ({self.id}), {', '.join(self.reasons)}; "
                f"if they are one person: coffeechat merge {self.id} {new_id}")


def lookalikes(db: apsw.Connection, new_id: str, name: str, *, company: str | None = None,
               email: str | None = None, linkedin: str | None = None) -> list[Lookalike]:
    """Contacts other than ``new_id`` that may be the person just added, oldest first.

    A contact looks like the new one when it has the same email address (case
    aside), the same LinkedIn profile (as the importers compare them), or the
    same company (``Acme`` is ``Acme, Inc.``) and a similar name (see
    :func:`similar_names`), or the very same name where no company tells them
    apart. It is a warning, never a refusal: two people may share a name.

    Each test is one indexed probe: the contacts projection keeps every contact's
    name, company and LinkedIn profile as compared here (:func:`fold`,
    :func:`company_key`, :func:`linkedin_key`).
    """
    found: dict[str, tuple[str, str, list[str]]] = {}  # id → (added_at, name, reasons)

    def note(contact_id: str, added_at: str | None, other_name: str, reason: str) -> None:
        found.setdefault(contact_id, (added_at or "", other_name, []))[2].append(reason)

    if email and email.strip():
        for contact_id, added_at, other_name, other_email in db.execute(
                "SELECT id, added_at, name, email FROM contacts WHERE email = ? COLLATE NOCASE "
                "AND id != ?", (email.strip(), new_id)):
            note(contact_id, added_at, other_name, f"same email {other_email}")
    handle = re.split(r"[?#]", linkedin or "")[0].strip().rstrip("/").rsplit("/", 1)[-1]
    profile = linkedin_key(linkedin) if handle else None
    if profile:
        for contact_id, added_at, other_name in db.execute(
                "SELECT id, added_at, name FROM contacts WHERE linkedin_key = ? AND id != ?",
                (profile, new_id)):
            note(contact_id, added_at, other_name, f"same LinkedIn profile {profile}")
    firm = company_key(company)
    folded = fold(name)
    if firm:
        mine = words(folded)
        for contact_id, added_at, other_name, other_company in db.execute(
                "SELECT id, added_at, name, company FROM contacts WHERE company_key = ? "
                "AND id != ?", (firm, new_id)):
            if _similar_words(mine, words(fold(other_name))):
                note(contact_id, added_at, other_name, f"same company {other_company}")
    # The very same name warns unless two companies tell them apart.
    for contact_id, added_at, other_name in db.execute(
            "SELECT id, added_at, name FROM contacts WHERE name_key = ? AND id != ?"
            + (" AND company_key IS NULL" if firm else ""), (folded, new_id)):
        note(contact_id, added_at, other_name, "same name")
    return [Lookalike(contact_id, other_name, reasons) for contact_id, (_, other_name, reasons)
            in sorted(found.items(), key=lambda item: (item[1][0], item[0]))]
