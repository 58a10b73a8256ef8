"""What a contact's merged contacts bring: the details they show, filling its gaps.

A contact merged into another (``contact.merged``) is folded with it
(:func:`coffeechat.fold.fold` gets the whole family's rows); its ``contact.added``
and ``contact.updated`` events are kept aside as ``ContactState.fills`` and, once
every event is applied, :func:`fill_from_merged` fills what the contact lacks.
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET

from coffeechat.contact_state import ContactState
from coffeechat.events import CONTACT_PREFIX, ContactAdded

# The details an edit may change (contact.updated), one field each.
EDITABLE = ("name", "company", "role", "email", "linkedin", "phone", "how_met",
            "referred_by", "tags", "birthday")

Found = tuple[Any, str, str]  # a detail a merged contact gives: (value, event id, when)
Shown = tuple[dict[str, Found], dict[str, Found]]  # (field → Found, date label → Found)


def fill_from_merged(state: ContactState) -> None:
    """Fill what the contact lacks with the details its merged contacts show now.

    Each merged contact shows what its own events say now (an edit replaces, ``None``
    clears), filled in turn by the contacts merged into it: along a chain A <- B <- C,
    A gets what B showed. Of two contacts merged into one that both give a field, the
    later given counts. The contact's own details always win, and one it cleared after
    the merge stays cleared; tags and dates are joined; nobody is referred by themselves.
    """
    own: dict[str, Shown] = {}  # stream → what its own events give now
    for event_id, merged, at, stream in state.fills:
        fields, labels = own.setdefault(stream, ({}, {}))
        for field in EDITABLE:
            value = getattr(merged, field, UNSET)
            if value is UNSET:
                continue
            if value is None or value == []:
                fields.pop(field, None)
            else:
                fields[field] = (value, event_id, at)
        if isinstance(merged, ContactAdded):
            labels.clear()
        for label, day in (merged.dates or {}).items():
            if day:
                labels[label] = (day, event_id, at)
            else:
                labels.pop(label, None)
    children: dict[str, list[str]] = {}
    for stream in sorted(own.keys() | state.merges.keys()):
        parent = state.merges.get(stream, (state.stream, ""))[0]
        children.setdefault(parent if parent != stream else state.stream, []).append(stream)

    def shown(stream: str, seen: frozenset[str]) -> Shown:
        fields, labels = own.get(stream, ({}, {}))
        return _combined(fields, labels, [shown(child, seen | {child})
                                          for child in children.get(stream, ())
                                          if child not in seen])

    below = []
    for child in children.get(state.stream, ()):
        merged_at = state.merges.get(child, ("", ""))[1]
        fields, labels = shown(child, frozenset({state.stream, child}))
        # (what this contact cleared after the merge stays cleared)
        below.append(({f: v for f, v in fields.items() if state.cleared.get(f, "") < merged_at
                       or not merged_at},
                      {k: v for k, v in labels.items()
                       if state.cleared.get("dates:" + k, "") < merged_at or not merged_at}))
    fields, labels = _combined({}, {}, below)
    family = {state.id, *(stream[len(CONTACT_PREFIX):] for stream in own)}
    for field, (value, event_id, at) in fields.items():
        if field == "tags":
            state.tags = list(dict.fromkeys([*state.tags, *value]))
        elif field == "referred_by" and value in family:
            continue  # (merged into whoever introduced them: nobody introduced them)
        elif getattr(state, field) is None:
            setattr(state, field, value)
            if field == "birthday":
                state.birthday_id = event_id
            elif field == "referred_by":
                state.referred_at = at
    extra = {label: day for label, (day, _id, _at) in labels.items() if label not in state.dates}
    if extra:  # the dates this contact has no date for
        state.dates = {**extra, **state.dates}
    if state.referred_by in family:  # (its introducer merged into it)
        state.referred_by = state.referred_at = None
    if any(referral.contact in family for referral in state.referrals):
        state.referrals = [r for r in state.referrals if r.contact not in family]


def _combined(fields: dict[str, Found], labels: dict[str, Found], below: list[Shown]
              ) -> Shown:
    """A merged contact's own ``fields`` and date ``labels``, filled from what the contacts
    merged into it show (``below``): a field it lacks from the one given latest; tags joined."""
    fields, labels = dict(fields), dict(labels)
    given: dict[str, Found] = {}
    for child_fields, child_labels in below:
        for field, value in child_fields.items():
            if field == "tags":  # (joined: the first to give tags names the pair)
                tags, event_id, at = fields.get("tags", ([], *value[1:]))
                fields["tags"] = (list(dict.fromkeys([*tags, *value[0]])), event_id, at)
            elif field not in fields and (field not in given or value[2] > given[field][2]):
                given[field] = value
        for label, day in child_labels.items():
            labels.setdefault(label, day)
    return {**given, **fields}, labels
