"""Message templates: built-in ones, and your own that override them.

A template is a ``NAME.j2`` file whose first line is ``Subject: ...``; the rest
is the body. Templates are looked up in your templates folder first
(``COFFEECHAT_HOME/templates``, or ``templates_dir`` in config.toml), then in
folders plugins register with ``register_template_dirs``, then in the built-in
ones (ask, nudge, thank, checkin, prep). Rendering is the job of
:mod:`coffeechat.template_sandbox` (sandboxed, strict, and bounded in time,
size and memory); this module gives it a contact's variables and reads the
subject line. A line break that a value puts into the subject line is refused
rather than moving text into the body.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from coffeechat import limits
from coffeechat import template_sandbox as sandbox
from coffeechat.channels import Message
from coffeechat.clock import local_day, local_time
from coffeechat.codec import decode_payload
from coffeechat.config import load_config
from coffeechat.events import CheckinDone, MeetingHeld, MeetingScheduled, NoteAdded
from coffeechat.fold import ContactState
from coffeechat.hookspecs import hookimpl
from coffeechat.messages import a_or_an, end_sentence, first_name
from coffeechat.paths import templates_folder
from coffeechat.template_sandbox import TemplateError, can_cap_memory  # noqa: F401 (re-exported)

BUILTIN_DIR = str(Path(__file__).parent / "templates")
KIND_TEMPLATES = {"ask": "ask", "thank": "thank", "checkin": "checkin"}
TEMPLATE_MEMORY_BYTES = limits.TEMPLATE_MEMORY_BYTES  # the cap one message renders under

# A line break that a value ({{ ... }}) makes while the first line is being
# written is written as this private-use character, so that only the
# template's own text can end the subject; in the body it is a line break again.
VALUE_LINE_BREAK = "\ue000"

QUESTION_BANK = (
    "What does a typical week look like in your role?",
    "What do you wish you had known before starting in this field?",
    "Which skills make the biggest difference for someone joining your team?",
    "How do people on your team usually find their way in?",
    "What is the team working on that you're most excited about?",
    "Who else would you suggest I talk to?",
)


class Template(NamedTuple):
    name: str
    path: str
    source: str  # "yours", "built-in", or the folder a plugin registered


@hookimpl
def register_template_dirs(register: Any) -> None:
    register(BUILTIN_DIR)


def user_dir() -> str:
    configured = load_config().templates_dir
    return os.path.expanduser(configured) if configured else templates_folder()


def template_dirs(plugin_dirs: list[str]) -> list[tuple[str, str]]:
    """(folder, source) in lookup order: yours, plugins', built-in."""
    dirs = [(user_dir(), "yours")]
    dirs += [(d, d) for d in plugin_dirs if d != BUILTIN_DIR]
    dirs.append((BUILTIN_DIR, "built-in"))
    return dirs


def available(plugin_dirs: list[str]) -> dict[str, Template]:
    """Every template by name; a name in an earlier folder hides the later ones."""
    found: dict[str, Template] = {}
    for folder, source in template_dirs(plugin_dirs):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for file_name in names:
            if file_name.endswith(".j2") and file_name[:-3] not in found:
                found[file_name[:-3]] = Template(file_name[:-3], os.path.join(folder, file_name),
                                                 source)
    return found


def render(name: str, context: dict[str, Any], plugin_dirs: list[str]) -> tuple[str, str]:
    """(subject, body) of a template rendered with ``context``; TemplateError if it fails.

    Rendering is :func:`coffeechat.template_sandbox.render`: whatever goes wrong
    ends in one TemplateError naming the template.
    """
    folders = [folder for folder, _source in template_dirs(plugin_dirs)]
    subject = _SubjectLine()
    try:
        text = sandbox.render(name, folders, context, finalize=subject.write,
                              on_part=subject.seen, memory_bytes=TEMPLATE_MEMORY_BYTES)
    except sandbox.MissingTemplate:
        known = ", ".join(sorted(available(plugin_dirs)))
        raise TemplateError(f"--template: no template {name!r} (known: {known})") from None
    return _split(text, name)


def _split(text: str, name: str) -> tuple[str, str]:
    """(subject, body): the subject is the first line, and only the template's text ends it."""
    head, _, body = text.partition("\n")
    if not head.startswith("Subject:"):
        raise TemplateError(f"template {name!r}, line 1: the first line must be 'Subject: ...'")
    subject = head[len("Subject:"):].strip()
    if VALUE_LINE_BREAK in subject or len(subject.splitlines()) > 1:
        raise TemplateError(f"template {name!r}, line 1: the subject holds a line break; "
                            "a subject must be one line")
    return subject, body.replace(VALUE_LINE_BREAK, "\n").lstrip("\n").rstrip() + "\n"


class _SubjectLine:
    """Whether the first line is still being written, and so whether to mark line breaks.

    The sandbox calls :meth:`write` for every ``{{ value }}`` and :meth:`seen`
    for each piece of output as it is made, so until a line break from the
    template's own text has gone by, a value is still on the subject line.
    """

    def __init__(self) -> None:
        self.open = True

    def write(self, value: Any) -> str:
        text = "" if value is None else str(value)  # a missing field writes nothing, not "None"
        return text.replace("\n", VALUE_LINE_BREAK) if self.open and "\n" in text else text

    def seen(self, part: str) -> None:
        if self.open and "\n" in part:
            self.open = False  # the template's own text ended the first line


# -- what a template can use ------------------------------------------------------

def render_for(name: str, state: ContactState, store: Any, template_dirs: list[str]
               ) -> tuple[str, str]:
    """(subject, body) of template ``name`` for the contact ``state``."""
    row = store.conn.execute("SELECT name FROM contacts WHERE id = ?",
                             (state.referred_by,)).fetchone() if state.referred_by else None
    return render(name, context_for(state, row[0] if row else None), template_dirs)


def context_for(state: ContactState, referrer: str | None) -> dict[str, Any]:
    """The variables a template sees for one contact (``referrer``: who introduced you)."""
    config = load_config()
    payloads = [decode_payload(row.type, row.schema, row.data) for row in state.events]
    meetings = [p for p in payloads if isinstance(p, MeetingHeld)]
    last_meeting = meetings[-1] if meetings else None
    scheduled_meetings = [p for p in payloads if isinstance(p, MeetingScheduled)]
    last_scheduled = scheduled_meetings[-1] if scheduled_meetings else None
    takeaways = list(last_meeting.takeaways) if last_meeting else []
    # Notes of every kind, oldest first: `note`, a meeting's notes, a check-in's note.
    notes = [text for p in payloads for text in (_note_of(p),) if text]
    scheduled = state.scheduled_at
    return {
        "contact": {
            "id": state.id, "name": state.name, "first_name": first_name(state.name),
            "company": state.company, "role": state.role, "email": state.email,
            "phone": state.phone, "linkedin": state.linkedin, "how_met": state.how_met,
            "tags": list(state.tags), "referred_by": state.referred_by,
            "referred_by_name": referrer,
        },
        "me": {"name": config.me.name, "email": config.me.email},
        "takeaways": takeaways,
        "notes": notes,
        "commitments": [{"text": c.text, "due": local_day(c.due) if c.due else None}
                        for c in state.commitments.values()],
        "meeting": {
            "when": local_time(scheduled) if scheduled else None,
            "day": local_day(scheduled or state.last_met_at) if (scheduled or state.last_met_at)
            else None,
            "minutes": last_scheduled.minutes if last_scheduled else None,
            "where": last_scheduled.where if last_scheduled else None,
        },
        "request": {"day": local_day(state.request_at) if state.request_at else None},
        "last_touch": {"day": local_day(state.last_touch_at) if state.last_touch_at else None},
        "questions": questions_for(state, takeaways, referrer),
    }


def questions_for(state: ContactState, takeaways: list[str], referrer: str | None
                  ) -> list[str]:
    """Three to five questions: a few about this person, the rest from the question bank."""
    personal = []
    if state.role and state.company:
        personal.append(f"How did you come to be {a_or_an(state.role)} at {state.company}?")
    elif state.company:
        personal.append(f"What brought you to {state.company}?")
    elif state.role:
        personal.append(f"How did you come to be {a_or_an(state.role)}?")
    if referrer:
        personal.append(f"How do you know {referrer}?")
    if takeaways:
        personal.append(f"Last time you suggested I {end_sentence(takeaways[0])} "
                        "What would you do next?")
    bank = [q for q in QUESTION_BANK if q not in personal]
    return (personal[:3] + bank)[:5]


def _note_of(payload: Any) -> str | None:
    """The note an event carries, if it is one of yours about the person."""
    if isinstance(payload, NoteAdded):
        return payload.text
    if isinstance(payload, MeetingHeld):
        return payload.notes
    if isinstance(payload, CheckinDone):
        return payload.note
    return None


@hookimpl
def compose_message(kind: str, state: ContactState, to: str | None, nudge: bool,
                    template: str | None, store: Any, template_dirs: list[str]
                    ) -> Message | None:
    """Render the message from ``template``, or from the built-in one for its kind."""
    name = template or ("nudge" if kind == "ask" and nudge else KIND_TEMPLATES.get(kind))
    if name is None:
        return None
    subject, body = render_for(name, state, store, template_dirs)
    return Message(kind=kind, contact=state.id, name=state.name, to=to, subject=subject,
                   body=body)
