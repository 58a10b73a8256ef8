"""The contacts view: one row per contact with its stage and last touch.

Its birthday columns feed the ``birthday`` follow-ups, which are computed when
read (:mod:`coffeechat.important_dates`): a birthday recurs, and which year's
is next depends on "now", which a projection never knows.
"""

from __future__ import annotations

import apsw
import msgspec

from coffeechat.fold import ContactState
from coffeechat.handles import handle_of
from coffeechat.projections import VERSIONS
from coffeechat.projections.base import Folded, Projection
from coffeechat.resolve import company_key, fold, linkedin_key
from coffeechat.rules import FollowupRules, unanswered_at
from coffeechat.stages import Kind
from coffeechat.yearly_dates import BIRTHDAY, parse


class ContactsProjection(Projection):
    name = "contacts"
    version = VERSIONS["contacts"]
    uses_rules = True  # unanswered_at depends on nudge_days
    tables = ("contacts",)
    ddl = """
        CREATE TABLE {s}.contacts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            company TEXT, role TEXT, email TEXT, linkedin TEXT, phone TEXT, how_met TEXT,
            referred_by TEXT,
            tags TEXT NOT NULL,            -- JSON list
            stage TEXT NOT NULL,           -- as of the last event; see unanswered_at
            unanswered_at TEXT,            -- from then on an 'asked' contact is 'unanswered'
            last_touch_at TEXT,
            cadence_days INTEGER,
            meetings INTEGER NOT NULL,
            added_at TEXT,
            birthday TEXT,                 -- MM-DD or YYYY-MM-DD (coffeechat.yearly_dates)
            dates TEXT,                    -- JSON object: label -> date; NULL when none
            -- The birthday follow-up (coffeechat.important_dates), when it is on:
            birthday_md TEXT,              -- MM-DD, when a usable birthday is set
            birthday_lead INTEGER,         -- due this many days before; NULL: none is due
            birthday_settled TEXT,         -- JSON: occurrence day -> "done", "skipped", or
                                           -- the time it is snoozed until
            birthday_handle TEXT,          -- its handle (every year's item has the same)
            birthday_event TEXT,           -- the id of the event that set the birthday
            scheduled_at TEXT,             -- the meeting scheduled now, when one is (UTC)
            scheduled_id TEXT,             -- the event that scheduled it
            last_met_id TEXT,              -- the event of the last meeting held
            -- As `add` compares them for lookalikes (coffeechat.resolve): the name folded,
            -- the company's key and the LinkedIn profile's (NULL when there is none)
            name_key TEXT NOT NULL,
            company_key TEXT,
            linkedin_key TEXT,
            -- when you added them (the CLI, a note); NULL when only imports did (an address
            -- book: warmth counts from the first touch, not the import; keep_in_touch)
            hand_added_at TEXT
        );
    """
    indexes = """
        -- (due reads each item's contact name from the index alone)
        CREATE INDEX {s}.contacts_name ON contacts(id, name);
        CREATE INDEX {s}.contacts_scheduled ON contacts(scheduled_at)
            WHERE scheduled_at IS NOT NULL;
        CREATE INDEX {s}.contacts_birthday ON contacts(birthday_md)
            WHERE birthday_lead IS NOT NULL;
        CREATE INDEX {s}.contacts_birthday_handle ON contacts(birthday_handle)
            WHERE birthday_handle IS NOT NULL;
        CREATE INDEX {s}.contacts_birthday_event ON contacts(birthday_event)
            WHERE birthday_lead IS NOT NULL;
        CREATE INDEX {s}.contacts_dated ON contacts(id)
            WHERE birthday IS NOT NULL OR dates IS NOT NULL;
        -- (each of `add`'s lookalike tests is one probe)
        CREATE INDEX {s}.contacts_name_key ON contacts(name_key);
        CREATE INDEX {s}.contacts_company_key ON contacts(company_key)
            WHERE company_key IS NOT NULL;
        CREATE INDEX {s}.contacts_linkedin_key ON contacts(linkedin_key)
            WHERE linkedin_key IS NOT NULL;
        CREATE INDEX {s}.contacts_email ON contacts(email COLLATE NOCASE)
            WHERE email IS NOT NULL;
    """

    def __init__(self, rules: FollowupRules) -> None:
        self.rules = rules

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"DELETE FROM {schema}.contacts WHERE id = ?",
                       [(f.state.id,) for f in folded])

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        encode = msgspec.json.encode
        rules = self.rules
        rows = []
        for f in folded:
            s = f.state
            if s.added_at is None:
                continue  # only retracted or stray events: no contact
            rows.append((
                s.id, s.name, s.company, s.role, s.email, s.linkedin, s.phone, s.how_met,
                s.referred_by, encode(s.tags).decode(), s.stage, unanswered_at(s, rules),
                s.last_touch_at, s.cadence_days, s.meetings, s.added_at,
                s.birthday, encode(s.dates).decode() if s.dates else None,
                *_birthday_item(s, rules), s.scheduled_at, s.scheduled_id, s.last_met_id,
                fold(s.name or ""), company_key(s.company) or None, linkedin_key(s.linkedin),
                s.hand_added_at,
            ))
        db.executemany(
            f"INSERT INTO {schema}.contacts VALUES ({','.join('?' * 30)})", rows
        )


_NO_ITEM = (None, None, None, None, None)


def _birthday_item(s: ContactState, rules: FollowupRules
                   ) -> tuple[str | None, int | None, str | None, str | None, str | None]:
    """(MM-DD, lead days, settled occurrences as JSON, handle, the id of the event that set
    the birthday) of the birthday follow-up.

    The handle names the contact's birthday item, not the birthday: it stays when the
    birthday is edited (every year's item, and every date's, has the same), while the
    event id follows the edit.
    """
    parts = parse(s.birthday)
    if parts is None or s.archived or not rules.birthdays:
        return _NO_ITEM
    settled: dict[str, str] = {}
    for kind, day in s.snoozed:
        if kind == Kind.BIRTHDAY:
            settled[day] = s.snoozed[(kind, day)]
    for kind, day in (*s.skipped, *s.closed):
        if kind == Kind.BIRTHDAY:
            settled[day] = "done" if (kind, day) in s.closed else "skipped"
    return (f"{parts[1]:02}-{parts[2]:02}", rules.birthday_days,
            msgspec.json.encode(settled).decode() if settled else None,
            handle_of(s.id, Kind.BIRTHDAY, BIRTHDAY), s.birthday_id)
