"""The reason of a follow-up, as stored and as shown.

A rule gives its reason with placeholders: ``{day}`` and ``{time}`` (the
item's anchor, in the local time zone) and ``{name:ID}`` (a contact, shown by
its name when read, so a renamed contact reads right). The follow-ups
projection stores it with ``{day}``/``{time}`` already filled in
(:func:`with_times`: the projection is recomputed in another zone), so a read
only puts in names. This small module owns that form; the rules
(``coffeechat.rules``) write it and the queries read it, and ``due`` needs no
rule to do so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from coffeechat.clock import local_day, local_time

_NAMED = re.compile(r"\{name:([\w-]+)\}")


def name_of(contact_id: str) -> str:
    """A contact named in a reason: the reader sees its name as it is then (``reason_text``)."""
    return "{name:" + contact_id + "}"


def named_contacts(reason: str) -> list[str]:
    """The contact ids a stored reason names (see :func:`name_of`)."""
    return _NAMED.findall(reason) if "{name:" in reason else []


def with_times(reason: str, anchor: str | None) -> str:
    """``reason`` with ``{day}``/``{time}`` shown for ``anchor`` in the local time zone."""
    if anchor is None:
        return reason
    if "{day}" in reason:
        reason = reason.replace("{day}", local_day(anchor))
    if "{time}" in reason:
        reason = reason.replace("{time}", local_time(anchor))
    return reason


def reason_text(reason: str, anchor: str | None, names: Mapping[str, str] | None = None
                ) -> str:
    """A stored reason for people: ``{day}``/``{time}`` shown in the local time zone,
    and each contact it names by its name in ``names`` (its id when not there)."""
    if "{name:" in reason:
        known = names or {}
        reason = _NAMED.sub(lambda m: known.get(m.group(1), m.group(1)), reason)
    return with_times(reason, anchor)
