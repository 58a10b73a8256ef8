"""A follow-up rule from a plugins folder: a 'write-up' a week after each meeting."""

from datetime import timedelta

import coffeechat
from coffeechat.clock import from_stamp, stamp


def write_up(state: coffeechat.ContactState):
    for event in state.events:
        if event.type == "meeting.held":
            due = stamp(from_stamp(event.occurred_at) + timedelta(days=7))
            yield coffeechat.FollowUp(state.id, "write-up", due, "met on {day}", event.id,
                                      anchor=event.occurred_at)


@coffeechat.hookimpl
def register_followup_rules(register: coffeechat.RegisterRule) -> None:
    register("write-up", write_up)
