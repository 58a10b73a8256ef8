"""Plugin hook specifications (pluggy project ``coffeechat``)."""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("coffeechat")
hookimpl = pluggy.HookimplMarker("coffeechat")


@hookspec
def register_event_types(register):  # type: ignore[no-untyped-def]
    """Call ``register(type_name, payload_struct, schema=1)`` for each event type added."""


@hookspec
def event_appended(event, store):  # type: ignore[no-untyped-def]
    """Called after ``event`` was committed to ``store``."""
