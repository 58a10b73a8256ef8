"""The base of every event payload, and the registry of event types.

A payload type is a msgspec Struct subclass of :class:`Payload`: its fields are
the event's data, its class variables say what kind of event it is. Registering
it (:func:`register_event_type`) gives it its ``type_name`` and records its
``schema``; the built-in types (:mod:`coffeechat.events`) are registered like a
plugin's. Plugins and the docs import all of this from ``coffeechat.events``,
which re-exports it.

The envelope (id, stream, version, times, source, ...) lives in the store; a
payload holds only what the event says. Times inside payloads are aware UTC
datetimes, encoded as RFC 3339 with ``Z``. Fields default to "absent" and are
omitted from the stored JSON when absent, so payloads stay small.

Also here: the constrained field types payloads share, and what a ``describe``
is made of (times in local time, the values that are set, what to call a
contact id or an event id).
"""


from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, ClassVar

import msgspec
from msgspec import UNSET

from coffeechat.clock import local_time, stamp

Minutes = Annotated[int, msgspec.Meta(ge=1, le=1440)]  # a meeting lasts at most a day
Days = Annotated[int, msgspec.Meta(ge=1, le=3650)]
Sequence = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]  # an iCalendar SEQUENCE
# A contact id (``jane-doe``) where a payload names another contact: anything
# else would make a stream name, a file name or a link out of arbitrary text.
ContactId = Annotated[str, msgspec.Meta(pattern=r"^[\w-]+$", max_length=200)]
# A follow-up's kind (``thank-you``, a plugin's own) and the id of the event that caused it.
FollowupKind = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
CauseId = Annotated[str, msgspec.Meta(max_length=500)]


class Payload(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every event payload.

    A subclass's fields are the event's data; its class variables say what kind
    of event it is. The names below are the type's, so no field may take them.
    """

    type_name: ClassVar[str] = ""  # "meeting.held": set on the class, or by registering it
    schema: ClassVar[int] = 1  # the payload layout written today (older rows are upcast)
    touch: ClassVar[bool] = False  # restarts the check-in clock ("last touch")
    searchable: ClassVar[bool] = True  # its text goes into `search`

    def describe(self) -> str:
        """One line for people (``log``, ``show``, Markdown views): the fields that are set.

        A type of your own may say it better by overriding this.
        """
        parts = []
        for field in self.__struct_fields__:
            value = getattr(self, field)
            if value is UNSET or value is None or value is False or value in ("", [], {}):
                continue
            label = field.replace("_", " ")
            if value is True:
                parts.append(label)
            elif isinstance(value, datetime):
                parts.append(f"{label}: {in_local_time(value)}")
            elif isinstance(value, list | tuple | set | frozenset):
                parts.append(f"{label}: {', '.join(str(v) for v in value)}")
            else:
                parts.append(f"{label}: {value}")
        return " · ".join(parts)


# -- what a description is made of ---------------------------------------------------

def in_local_time(moment: datetime) -> str:
    """A payload's time as people read it: local ``YYYY-MM-DD HH:MM``."""
    return local_time(stamp(moment))


# An all-day meeting's day is kept as this hour UTC on it: the same day in every zone
# from UTC-10 to UTC+13 (so `today` lists it on its day), whatever zone imported it.
ALL_DAY_HOUR = 10


def all_day_date(moment: datetime) -> str:
    """The day an all-day meeting is on, ``YYYY-MM-DD`` (its day in UTC)."""
    return moment.astimezone(UTC).date().isoformat()


def joined(*values: object) -> str:
    """The values that are set, joined by commas."""
    return ", ".join(str(v) for v in values if v)


def called(names: Mapping[str, str] | None, key: str) -> str:
    """What to call a contact id or an event id in text: what ``names`` says, else the id.

    A built-in ``describe`` takes ``names`` (see coffeechat.summary.Names): contact
    ids map to names, event ids to their own one-line description.
    """
    return names.get(key, key) if names is not None else key


# -- the registry ---------------------------------------------------------------

# Name → class, and name → the schema written today. Older rows are upcast on
# read (see coffeechat.codec.register_upcaster).
EVENT_TYPES: dict[str, type[Payload]] = {}
SCHEMAS: dict[str, int] = {}
# How many registrations there have been: what caches the two above may compare with.
REGISTRATIONS = [0]

# What a payload class says about its type: a field by one of these names would hide it.
CLASS_FACTS = ("type_name", "schema", "touch", "searchable", "describe")


def type_name(payload: Payload) -> str:
    """The registered type name of a payload instance."""
    cls = type(payload)
    name = getattr(cls, "type_name", "")
    if EVENT_TYPES.get(name) is not cls:
        raise KeyError(f"{cls.__name__} is not a registered event type")
    return name


def register_event_type(name: str, payload_type: type[Payload], schema: int | None = None
                        ) -> None:
    """Add an event type (used by plugins). Re-registering the same class is allowed.

    The class's ``type_name`` becomes ``name``; ``schema`` (when given) becomes
    its ``schema``, else the class's own (1 unless it says otherwise).
    """
    if not (isinstance(payload_type, type) and issubclass(payload_type, Payload)):
        raise TypeError(f"event type {name!r}: {payload_type!r} is not a subclass of "
                        "coffeechat.events.Payload")
    hidden = [f for f in payload_type.__struct_fields__ if f in CLASS_FACTS]
    if hidden:
        raise ValueError(f"event type {name!r}: {payload_type.__name__} has a field named "
                         f"{hidden[0]!r}, a name the event type itself uses")
    existing = EVENT_TYPES.get(name)
    if existing is not None and existing is not payload_type:
        raise ValueError(f"event type {name!r} is already registered to {existing.__name__}")
    payload_type.type_name = name
    if schema is not None:
        payload_type.schema = schema
    EVENT_TYPES[name] = payload_type
    SCHEMAS[name] = payload_type.schema
    REGISTRATIONS[0] += 1
