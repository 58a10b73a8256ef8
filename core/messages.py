"""The words of a message, when no template plugin supplies them.

These plain defaults keep ``--send`` useful on any channel. Template plugins
(a later built-in) replace them through the ``compose_message`` hook.
"""

from __future__ import annotations

from coffeechat.channels import Message
from coffeechat.fold import ContactState

_SUBJECTS = {
    "ask": "Would you have 20 minutes for a conversation?",
    "nudge": "Following up on my note",
    "thank": "Thank you for your time",
    "checkin": "Checking in",
}

_BODIES = {
    "ask": (
        "Hi {first},\n\n"
        "I'm exploring my next role and would value your perspective{at_company}. "
        "Would you be open to a 20-30 minute conversation in the coming weeks? "
        "I'm happy to work around your schedule.\n\nThank you!"
    ),
    "nudge": (
        "Hi {first},\n\n"
        "I wanted to follow up on my earlier note. If you have 20 minutes in the next "
        "few weeks, I'd be grateful for a short conversation. No worries if now is busy.\n\n"
        "Thanks!"
    ),
    "thank": (
        "Hi {first},\n\n"
        "Thank you for taking the time to talk with me. I learned a lot from our "
        "conversation and will follow up on what we discussed.\n\nWith thanks!"
    ),
    "checkin": (
        "Hi {first},\n\n"
        "It's been a while since we last spoke, so I wanted to say hello and share "
        "a quick update. I hope things are going well{at_company}!\n\nBest wishes"
    ),
}


def default_message(kind: str, state: ContactState, *, to: str | None, nudge: bool = False
                    ) -> Message:
    """A short, polite message of ``kind`` (ask, thank, checkin) to the contact."""
    key = "nudge" if kind == "ask" and nudge else kind
    first = state.name.split()[0] if state.name.split() else state.name
    at_company = f" on your work at {state.company}" if state.company and kind == "ask" \
        else (f" at {state.company}" if state.company else "")
    body = _BODIES[key].format(first=first, at_company=at_company)
    return Message(kind=kind, contact=state.id, name=state.name, to=to,
                   subject=_SUBJECTS[key], body=body)
