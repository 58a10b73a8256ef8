"""Follow-up rules that misbehave as HOSTILE_RULE says, next to a steady one that never does.

Each garbage rule returns one fine item (kind ``fine``) among its garbage, so a
test can see that the good items of a faulty rule still count.
"""

import os
import time

from coffeechat import hookimpl
from coffeechat.rules import FollowUp

DUE = "2026-12-01T09:00:00Z"


def item(state, kind="fine", **changes):
    return FollowUp(state.id, kind, DUE, "a fine reason", state.added_id or "?")._replace(**changes)


def endless(state):
    while True:
        yield item(state)


def called(state):
    with open(os.environ["HOSTILE_CALLS"], "a") as calls:
        calls.write(f"{state.id}\n")


def slow(state):
    called(state)
    time.sleep(0.4)
    return [item(state)]


def hang(state):
    called(state)
    time.sleep(3600)


GARBAGE = {
    "not-iterable": lambda s: 5,
    "none": lambda s: None,
    "ints": lambda s: [item(s), 1, 2.5],
    "nones": lambda s: [item(s), None],
    "short-tuple": lambda s: [item(s), (s.id, "check")],
    "plain-tuple": lambda s: [item(s), tuple(item(s, "plain"))],
    "text": lambda s: "due soon",
    "bad-stamp": lambda s: [item(s), item(s, "late", due_at="next tuesday")],
    "far-future": lambda s: [item(s), item(s, "late", due_at="9999-01-01T00:00:00Z")],
    "bad-anchor": lambda s: [item(s), item(s, "late", anchor="2026-13-01T00:00:00Z")],
    "bad-expires": lambda s: [item(s), item(s, "late", expires_at=20261201)],
    "empty-kind": lambda s: [item(s), item(s, "")],
    "newline-kind": lambda s: [item(s), item(s, "two\nlines")],
    "long-kind": lambda s: [item(s), item(s, "k" * 500)],
    "other-contact": lambda s: [item(s), item(s, contact="someone-else")],
    "int-event": lambda s: [item(s), item(s, "late", event=42)],
    "list-reason": lambda s: [item(s), item(s, "late", reason=["why"])],
    "endless": endless,
    "hang": hang,
    "slow": slow,
}


def garbage(state):
    return GARBAGE[os.environ["HOSTILE_RULE"]](state)


def steady(state):
    return [item(state, "steady")]


@hookimpl
def register_followup_rules(register):
    register("garbage", garbage)
    register("steady", steady)
