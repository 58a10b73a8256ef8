"""The one place where events become bytes and bytes become events.

Payloads are stored as msgspec JSON text, so ``json_extract(data, '$.name')``
works in sqlite3. Rows written with an older payload schema are upcast on read
by functions registered with :func:`register_upcaster`; a row whose type is not
registered (a plugin that was uninstalled) decodes to a plain dict, so it is
kept and shown, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from coffeechat.events import EVENT_TYPES, SCHEMAS, Payload
from coffeechat.migrations import EVENT_COLUMNS  # noqa: F401 - (the readers import it from here)

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
P = TypeVar("P", bound=Payload)

# What decoding stored or imported JSON may raise: malformed, the wrong shape, a
# schema this version does not read, or nested deeper than the decoder goes.
UNREADABLE: tuple[type[Exception], ...] = (
    msgspec.ValidationError, msgspec.DecodeError, ValueError, TypeError, RecursionError)

_encoder = msgspec.json.Encoder()
_decoders: dict[type[Payload], msgspec.json.Decoder[Any]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class Event(msgspec.Struct):
    """A recorded event: the envelope as stored, with the payload still as JSON text.

    Fields are in the order of :data:`EVENT_COLUMNS`, so a row builds one directly.
    """

    seq: int
    id: str
    stream: str
    version: int
    type: str
    schema: int
    occurred_at: str
    recorded_at: str
    source: str
    key: str | None
    batch: str | None
    data: str
    hash: str

    def payload(self) -> Payload | dict[str, Any]:
        """The decoded payload (a dict when the type is not registered)."""
        return decode_payload(self.type, self.schema, self.data)




def event_from_row(row: tuple[Any, ...]) -> Event:
    """Build an :class:`Event` from a row selected with :data:`EVENT_COLUMNS`."""
    return Event(*row)


def encode_payload(payload: Payload) -> str:
    """A payload → its JSON text (as :func:`encode_payloads` writes each)."""
    return _encoder.encode(payload).decode()


def encode_payloads(payloads: list[Payload]) -> list[str]:
    """Many payloads → JSON texts, in one call (JSON text never holds a raw newline)."""
    if not payloads:
        return []
    return _encoder.encode_lines(payloads).decode().split("\n")[:-1]


def encode_json(value: Any) -> bytes:
    """Any msgspec-encodable value → JSON bytes (used for output documents)."""
    return _encoder.encode(value)


def decoder_for(cls: type[Payload]) -> msgspec.json.Decoder[Any]:
    """The (cached) JSON decoder of a payload class."""
    decoder = _decoders.get(cls)
    if decoder is None:
        decoder = _decoders[cls] = msgspec.json.Decoder(cls)
    return decoder


def decode_payload(type_name: str, schema: int, data: str | bytes) -> Payload | dict[str, Any]:
    """JSON text → payload, upcasting rows written with an older schema."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        return msgspec.json.decode(data)
    current = SCHEMAS.get(type_name, 1)
    if schema != current:
        if not 1 <= schema < current:
            raise ValueError(f"{type_name}: schema {schema} is not one this version reads "
                             f"(1 to {current}); a newer coffeechat wrote it")
        fields = msgspec.json.decode(data)
        for version in range(schema, current):
            upcast = _UPCASTERS.get((type_name, version))
            if upcast is None:
                raise ValueError(
                    f"{type_name}: no upcaster from schema {version} to {version + 1}"
                )
            fields = upcast(fields)
        return msgspec.convert(fields, cls)
    return decoder_for(cls).decode(data)


def readable_payload(type_name: str, schema: int, data: str | bytes) -> Payload | None:
    """:func:`decode_payload` for readers that only use known types: None for a row
    that cannot be read or whose type this version does not know (a plain dict)."""
    try:
        payload = decode_payload(type_name, schema, data)
    except UNREADABLE:
        return None
    return payload if isinstance(payload, Payload) else None


def decode_as(cls: type[P], schema: int, data: str | bytes) -> P:
    """:func:`decode_payload` for a built-in type the caller names by its class, typed so."""
    payload = decode_payload(cls.type_name, schema, data)
    if not isinstance(payload, cls):  # (cannot happen: a built-in name is never taken over)
        raise TypeError(f"{cls.type_name}: decoded as {type(payload).__name__}")
    return payload


def register_upcaster(type_name: str, from_schema: int, upcast: Upcaster) -> None:
    """Register how a payload of ``type_name`` moves from ``from_schema`` to the next."""
    _UPCASTERS[(type_name, from_schema)] = upcast


_raw_json = msgspec.json.Decoder(msgspec.Raw)


def json_or_text(data: object) -> Any:
    """Stored payload text for an output document: as JSON, or as a string when it is not."""
    if isinstance(data, str | bytes):
        raw = data.encode() if isinstance(data, str) else data
        try:
            _raw_json.decode(raw)
            return msgspec.Raw(raw)
        except UNREADABLE:
            return raw.decode(errors="replace")
    return str(data)


def event_document(event: Event, *, retracted: bool = False, unusable: str | None = None
                   ) -> dict[str, Any]:
    """The JSON shape of an event in ``show --json`` and ``log --json``.

    ``unusable`` says why this version cannot use the event (see
    coffeechat.usable); its ``data`` is then a string when it is not JSON.
    """
    doc: dict[str, Any] = {
        "id": event.id,
        "seq": event.seq,
        "stream": event.stream,
        "version": event.version,
        "type": event.type,
        "schema": event.schema,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "source": event.source,
        "key": event.key,
        "batch": event.batch,
        "data": json_or_text(event.data),
        "known": event.type in EVENT_TYPES,
    }
    if retracted:
        doc["retracted"] = True
    if unusable is not None:
        doc["unusable"] = unusable
    return doc
