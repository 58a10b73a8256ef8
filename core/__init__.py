"""coffeechat: an event-sourced personal CRM for networking and informational interviews.

The public API, imported lazily so that ``import coffeechat`` (which every CLI
command does) stays cheap:

- :func:`open_store` and :class:`Store`: the append-only event log;
- :class:`NewEvent`, :class:`Event`, the event payload types (:class:`Payload`
  and ``coffeechat.MeetingHeld`` ...) and :func:`register_event_type`;
- :class:`Projector`: keeps the read models current;
- :class:`Reader`: contacts, their live events and what is due, for plugins and
  scripts (:class:`ContactState`, :class:`DueItem`);
- for plugins: :data:`hookimpl`, and every type a hook hands over or takes back
  (:class:`Channel`, :class:`Message`, :class:`FollowUp`, :class:`Projection`,
  :class:`Note`, :class:`NoteBook`, :class:`ViewContext`, the ``Register...``
  callback types; see docs/plugins.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    # the log
    "open_store": "coffeechat.store",
    "Store": "coffeechat.store",
    "NewEvent": "coffeechat.store",
    "Event": "coffeechat.codec",
    "register_upcaster": "coffeechat.codec",
    "Payload": "coffeechat.events",
    "register_event_type": "coffeechat.events",
    "EVENT_TYPES": "coffeechat.events",
    # reading it
    "Projector": "coffeechat.projections.projector",
    "Reader": "coffeechat.reading",
    "DueItem": "coffeechat.reading",
    "ContactState": "coffeechat.fold",
    "Row": "coffeechat.fold",
    # plugins
    "hookimpl": "coffeechat.hookspecs",
    "hookspec": "coffeechat.hookspecs",
    "RegisterEventType": "coffeechat.hookspecs",
    "RegisterUpcaster": "coffeechat.hookspecs",
    "RegisterChannel": "coffeechat.hookspecs",
    "RegisterRule": "coffeechat.hookspecs",
    "RegisterProjection": "coffeechat.hookspecs",
    "RegisterNoteParser": "coffeechat.hookspecs",
    "RegisterTemplateDir": "coffeechat.hookspecs",
    "RegisterView": "coffeechat.hookspecs",
    "Plugins": "coffeechat.plugin_manager",
    "Config": "coffeechat.config",
    "Channel": "coffeechat.channels",
    "Message": "coffeechat.channels",
    "DeliveryError": "coffeechat.channels",
    "RecordOnly": "coffeechat.channels",
    "FollowUp": "coffeechat.rules",
    "Projection": "coffeechat.projections.base",
    "Folded": "coffeechat.projections.base",
    "Note": "coffeechat.notebook",
    "NoteBook": "coffeechat.notebook",
    "NoteProblem": "coffeechat.notebook",
    "NoteError": "coffeechat.notebook",
    "FrontMatter": "coffeechat.notebook",
    "ViewContext": "coffeechat.views",
    "CoffeechatError": "coffeechat.errors",
    "BadInput": "coffeechat.errors",
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from coffeechat.channels import Channel, DeliveryError, Message, RecordOnly
    from coffeechat.codec import Event, register_upcaster
    from coffeechat.config import Config
    from coffeechat.errors import BadInput, CoffeechatError
    from coffeechat.events import EVENT_TYPES, Payload, register_event_type
    from coffeechat.fold import ContactState, Row
    from coffeechat.hookspecs import (
        RegisterChannel,
        RegisterEventType,
        RegisterNoteParser,
        RegisterProjection,
        RegisterRule,
        RegisterTemplateDir,
        RegisterUpcaster,
        RegisterView,
        hookimpl,
        hookspec,
    )
    from coffeechat.notebook import FrontMatter, Note, NoteBook, NoteError, NoteProblem
    from coffeechat.plugin_manager import Plugins
    from coffeechat.projections.base import Folded, Projection
    from coffeechat.projections.projector import Projector
    from coffeechat.reading import DueItem, Reader
    from coffeechat.rules import FollowUp
    from coffeechat.store import NewEvent, Store, open_store
    from coffeechat.views import ViewContext

__all__ = [  # the lazy names (a test keeps this list and _LAZY the same)
    "EVENT_TYPES",
    "BadInput",
    "Channel",
    "CoffeechatError",
    "Config",
    "ContactState",
    "DeliveryError",
    "DueItem",
    "Event",
    "Folded",
    "FollowUp",
    "FrontMatter",
    "Message",
    "NewEvent",
    "Note",
    "NoteBook",
    "NoteError",
    "NoteProblem",
    "Payload",
    "Plugins",
    "Projection",
    "Projector",
    "Reader",
    "RecordOnly",
    "RegisterChannel",
    "RegisterEventType",
    "RegisterNoteParser",
    "RegisterProjection",
    "RegisterRule",
    "RegisterTemplateDir",
    "RegisterUpcaster",
    "RegisterView",
    "Row",
    "Store",
    "ViewContext",
    "hookimpl",
    "hookspec",
    "open_store",
    "register_event_type",
    "register_upcaster",
]


def __getattr__(name: str) -> Any:
    import importlib

    module_name = _LAZY.get(name)
    if module_name is None:
        # Event payload types (coffeechat.MeetingHeld, ...) without a list to keep. (Only
        # for such a name: `from coffeechat import queries` asks for "queries" here before
        # it imports the submodule, and must not cost the event types.)
        if name[:1].isupper():
            events = importlib.import_module("coffeechat.events")
            if hasattr(events, name):
                return getattr(events, name)
        raise AttributeError(f"module 'coffeechat' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
