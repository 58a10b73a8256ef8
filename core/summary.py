"""One-line human summaries of events, shared by the CLI and the Markdown views.

Each event type says its own line (:meth:`coffeechat.events.Payload.describe`);
this module finds the type, decodes the payload and falls back to the stored
text for whatever cannot say it: a type no installed plugin knows, a payload of
another shape, or a plugin's ``describe`` that fails. It never raises.

Text names people, not ids: a :class:`Names` lookup, built once per command
(:func:`coffeechat.queries.names`), is handed to every ``describe`` that takes
a ``names`` argument (the built-in types do; a plugin's type may).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import msgspec

from coffeechat.clock import local_day
from coffeechat.codec import UNREADABLE, decode_payload
from coffeechat.events import EVENT_TYPES, Payload

UNKNOWN = "(unknown type: its plugin is not installed) "

EventFinder = Callable[[str], "dict[str, Any] | None"]  # event id → its document, or None
NameFinder = Callable[[str], "str | None"]  # contact id → a name, or None


class Names(Mapping[str, str]):
    """What to call an id in text.

    A contact id maps to the contact's name, and a contact merged into another
    to the name of the one it became (:meth:`contact`). An event id maps to
    that event's own one-line description. :meth:`person` says what to call a
    contact's own stream: its own last name even when it was merged away or
    its add was undone. Each is looked up the first time it is asked for and
    kept, so a command that names three people reads three rows, whatever the
    size of the store (iterating gives the ids found so far). Lookups never
    raise anything but ``KeyError``.
    """

    EVENT_LINE = 60  # an event named inside another's line is cut to this many characters

    def __init__(self, *, contacts: NameFinder | None = None, events: EventFinder | None = None,
                 own: NameFinder | None = None) -> None:
        self._find_contact = contacts
        self._find_event = events
        self._find_own = own
        self._contacts: dict[str, str | None] = {}
        self._events: dict[str, str | None] = {}
        self._own: dict[str, str | None] = {}
        self._depth = 0

    @classmethod
    def of(cls, people: Mapping[str, str]) -> Names:
        """Names for these contacts only (id → name)."""
        return cls(contacts=people.get)

    def __getitem__(self, key: str) -> str:
        found = self.contact(key)
        if found is None:
            found = self._event_line(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        found = (*self._contacts.items(), *self._events.items())
        return iter([key for key, value in found if value is not None])

    def __len__(self) -> int:
        return len(list(iter(self)))

    def contact(self, contact_id: str) -> str | None:
        """The name of the contact this id is now, or None when it names no contact."""
        return _looked_up(self._contacts, self._find_contact, contact_id)

    def person(self, contact_id: str) -> str:
        """The name of the contact whose stream this is (its own, if it was merged away)."""
        return (_looked_up(self._own, self._find_own, contact_id) or self.contact(contact_id)
                or contact_id)

    def _event_line(self, event_id: str) -> str | None:
        if self._find_event is None or not isinstance(event_id, str):
            return None
        if event_id in self._events:
            return self._events[event_id]
        if self._depth >= 3:  # an undo of an undo of an undo...: the id will do
            return None
        self._depth += 1
        try:
            doc = self._find_event(event_id)
            line = None if doc is None else _short(describe_document(doc, self))
        except Exception:  # (a lookup is a nicety: the id will do)
            line = None
        finally:
            self._depth -= 1
        self._events[event_id] = line
        return line


def _looked_up(found: dict[str, str | None], find: NameFinder | None, key: str) -> str | None:
    if key not in found:
        try:
            value = find(key) if find is not None and isinstance(key, str) else None
        except Exception:  # (a name is a nicety: the id will do)
            value = None
        found[key] = value if isinstance(value, str) and value else None
    return found[key]


def _short(text: str, limit: int = Names.EVENT_LINE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe_document(doc: dict[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A short human summary of an event document (``queries.events``), saying if it is unusable."""
    data = doc["data"]
    raw = bytes(data).decode(errors="replace") if isinstance(data, msgspec.Raw) else str(data)
    if doc.get("unusable"):
        return f"(cannot be used: {doc['unusable']}) {raw}"
    schema = doc.get("schema")
    return describe(doc["type"], raw, schema if isinstance(schema, int) else None, names)


def describe(kind: str, raw: bytes | str, schema: int | None = None,
             names: Mapping[str, str] | None = None) -> str:
    """A short human summary of an event's payload (its type, JSON data and schema).

    ``schema`` is the one the payload was written with (today's when None);
    ``names`` says what to call the ids it holds (see :class:`Names`).
    """
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    try:
        data = msgspec.json.decode(raw)
    except UNREADABLE:
        return text
    if not isinstance(data, dict):
        return str(data)
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        return UNKNOWN + text
    try:
        payload = decode_payload(kind, cls.schema if schema is None else schema, raw)
        if not isinstance(payload, Payload):
            return text
        say: Callable[..., object] = payload.describe
        line = say(names=names) if names is not None and _takes_names(type(payload)) else say()
        return str(line)
    except Exception:  # (a payload of another shape, or a plugin's describe that fails)
        return text


@functools.lru_cache(maxsize=256)
def _takes_names(cls: type[Payload]) -> bool:
    """Whether a type's ``describe`` takes ``names`` (a plugin's may not)."""
    try:
        return "names" in inspect.signature(cls.describe).parameters
    except (TypeError, ValueError):
        return False


# -- a contact's story ------------------------------------------------------------------------

_IMPORTS = {"linkedin": "LinkedIn", "vcard": "vCard", "ics": "calendar", "mbox": "mailbox",
            "maildir": "mailbox", "jsonl": "JSONL"}


def origin(source: str) -> str | None:
    """Where events with this ``source`` came from, in words ("the LinkedIn import")."""
    kind, _, name = source.partition(":")
    if not name:
        return None
    if kind == "import":
        return f"the {_IMPORTS.get(name, name)} import"
    if kind == "notes":
        return f"the note {name}"
    if kind == "plugin":
        return f"the plugin {name}"
    return None


def timeline_lines(docs: list[dict[str, Any]], contact_id: str, names: Names) -> list[str]:
    """One line per event of a contact's timeline, told from the contact's side.

    A merge reads "Tom Becker (from the LinkedIn import) merged into this contact
    on 2026-11-12"; every other event describes itself.
    """
    added_from: dict[str, str] = {}  # stream → where its contact came from
    for doc in docs:
        if doc["type"] == "contact.added" and not doc.get("retracted"):
            added_from.setdefault(doc["stream"], str(doc.get("source") or ""))
    return [_story_line(doc, contact_id, names, added_from) for doc in docs]


def _story_line(doc: dict[str, Any], contact_id: str, names: Names,
                added_from: dict[str, str]) -> str:
    try:
        merge = _merge_line(doc, contact_id, names, added_from)
    except Exception:  # (a merge told plainly is still told)
        merge = None
    return merge or describe_document(doc, names)


def _merge_line(doc: dict[str, Any], contact_id: str, names: Names,
                added_from: dict[str, str]) -> str | None:
    if doc["type"] != "contact.merged" or doc.get("unusable"):
        return None
    data = doc.get("data")
    if isinstance(data, msgspec.Raw | str):
        try:
            data = msgspec.json.decode(data)
        except UNREADABLE:
            return None
    into = data.get("into") if isinstance(data, dict) else None
    stream = str(doc.get("stream", ""))
    merged = stream.removeprefix("contact:")
    if not isinstance(into, str) or merged == contact_id:
        return None
    where = origin(added_from.get(stream, ""))
    who = names.person(merged) + (f" (from {where})" if where else "")
    target = "this contact" if into == contact_id else names.get(into, into)
    return f"{who} merged into {target} on {local_day(str(doc['occurred_at']))}"


_INTRODUCED = re.compile(r"\bintroduced by ([\w-]+)")


def with_names(text: str, names: Mapping[str, str]) -> str:
    """Text stored with a contact id in it ("introduced by priya-natarajan"), with names."""
    def named(match: re.Match[str]) -> str:
        found = names.contact(match[1]) if isinstance(names, Names) else names.get(match[1])
        return f"introduced by {found or match[1]}"

    return _INTRODUCED.sub(named, text)
