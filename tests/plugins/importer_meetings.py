"""A plugin's importers, registered through ``register_importers``.

``meetings-csv``: meetings from a CSV file of ``email,at,where`` rows, each
with a contact found by email (an importer of its own: read, plan, report).
``people-json``: people from a JSON list, the old way: ``register(name, read)``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import NamedTuple

from coffeechat import NewEvent, Store, hookimpl
from coffeechat.clock import now, stamp
from coffeechat.errors import BadInput
from coffeechat.events import MeetingScheduled
from coffeechat.importing import ImportContext, Imported, Option, Plan, Reads, Report
from coffeechat.people import Parsed, Person, RowError


class Row(NamedTuple):
    line: int
    email: str
    at: datetime
    where: str | None


class Outcome(NamedTuple):
    scheduled: list[str]  # contact ids
    unknown: list[Row]  # rows whose address is no contact's


class MeetingsCsv:
    name = "meetings-csv"
    help = ("Meetings from a CSV file of email,at,where rows.\n\n"
            "Each row's contact is found by email; importing the file again adds nothing.")
    reads: Reads = "file"
    options = (Option("minutes", "How long each meeting is.", metavar="N"),
               Option("strict", "An address that is no contact's imports nothing."))

    def read(self, path: str, context: ImportContext) -> list[Row]:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        rows = []
        for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
            if len(cells) != 3:
                raise BadInput(f"{path}: line {line}: expected email,at,where")
            email, at, where = (cell.strip() for cell in cells)
            try:
                when = datetime.fromisoformat(at).astimezone(UTC)
            except ValueError:
                raise BadInput(f"{path}: line {line}: cannot read the time {at!r}") from None
            rows.append(Row(line, email.lower(), when, where or None))
        return rows

    def plan(self, store: Store, data: list[Row], context: ImportContext) -> Plan[Outcome]:
        by_email = dict(store.conn.execute(
            "SELECT lower(email), id FROM contacts WHERE email IS NOT NULL"))
        minutes = int(context.options["minutes"] or 30)
        events, outcome = [], Outcome([], [])
        for row in data:
            contact = by_email.get(row.email)
            if contact is None:
                if context.options["strict"]:
                    raise BadInput(f"{context.path}: line {row.line}: {row.email} is no "
                                   "contact's address; nothing was imported")
                outcome.unknown.append(row)
                continue
            events.append(NewEvent(
                stream=f"contact:{contact}", occurred_at=stamp(now()),
                key=f"meetings-csv:{row.email}:{stamp(row.at)}",
                payload=MeetingScheduled(at=row.at, minutes=minutes, where=row.where)))
            outcome.scheduled.append(contact)
        return Plan(events, outcome)

    def report(self, result: Imported[Outcome]) -> Report:
        scheduled, unknown = result.outcome
        would = "would be " if result.dry_run else ""
        return Report(
            {"batch": result.batch, "scheduled": scheduled,
             "unknown": [row.email for row in unknown]},
            [f"{result.path}: {len(scheduled)} {would}scheduled, {len(unknown)} unknown"],
            [f"line {row.line}: {row.email} is no contact's address" for row in unknown])


def read_people_json(path: str) -> Parsed:
    with open(path, encoding="utf-8") as file:
        people = json.load(file)
    good, bad = [], []
    for row, person in enumerate(people, start=1):
        if not person.get("name"):
            bad.append(RowError(row, "no name"))
            continue
        good.append(Person(row=row, name=person["name"], email=person.get("email"),
                           emails=[person["email"]] if person.get("email") else [],
                           company=person.get("company"), how_met="people-json"))
    return Parsed(good, bad)


@hookimpl
def register_importers(register):
    register(MeetingsCsv())
    register("people-json", read_people_json)
