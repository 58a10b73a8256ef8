"""coffeechat: an event-sourced personal CRM for networking and informational interviews.

The public API, imported lazily so that ``import coffeechat`` (which every CLI
command does) stays cheap:

- :func:`open_store` and :class:`Store`: the append-only event log;
- :class:`NewEvent`, the event payload types and :func:`register_event_type`;
- :class:`Projector`: keeps the read models current;
- :data:`hookimpl`: the marker for plugin hook implementations.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "open_store": "coffeechat.store",
    "Store": "coffeechat.store",
    "NewEvent": "coffeechat.store",
    "Event": "coffeechat.codec",
    "register_upcaster": "coffeechat.codec",
    "register_event_type": "coffeechat.events",
    "EVENT_TYPES": "coffeechat.events",
    "Projector": "coffeechat.projections.projector",
    "hookimpl": "coffeechat.hookspecs",
    "hookspec": "coffeechat.hookspecs",
}


def __getattr__(name: str) -> Any:
    import importlib

    module_name = _LAZY.get(name)
    if module_name is None:
        # Event payload types (coffeechat.MeetingHeld, ...) without a list to keep.
        events = importlib.import_module("coffeechat.events")
        if name[:1].isupper() and hasattr(events, name):
            return getattr(events, name)
        raise AttributeError(f"module 'coffeechat' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
