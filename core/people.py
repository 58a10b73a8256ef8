"""Bringing people in from other tools: matching them to contacts, and what to record.

A reader (linkedin, vcard, google, or a plugin's) turns a file into
:class:`Person` rows; :class:`PeopleImporter` makes it an importer (see
``coffeechat.importing``). The rows are validated as the file is read; inside
the write transaction :func:`plan_import` matches each person to the contacts
the store already has, by stable identity (LinkedIn URL, then email, then
name and company together), and works out the events: a ``contact.added``
for someone new, a ``contact.updated`` with just the fields that changed for
someone known, nothing for someone unchanged. A person who matches two
different contacts is not merged into either: they are reported. People this
source brought in before but missing from the file are reported, never
removed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import apsw
import msgspec

from coffeechat import validate, yearly_dates
from coffeechat.clock import now, stamp
from coffeechat.errors import BadInput, CoffeechatError
from coffeechat.events import ContactAdded, ContactUpdated, Payload
from coffeechat.fold import CONTACT_PREFIX
from coffeechat.importing import ImportContext, Imported, Option, Reads, Report
from coffeechat.importing import Plan as ImportPlan
from coffeechat.plugin_calls import Refused, shown
from coffeechat.resolve import fold, free_id, id_taken
from coffeechat.resolve import linkedin_key as linkedin_key  # (importers use it from here)
from coffeechat.store import NewEvent, Store

FIELDS = ("company", "role", "email", "linkedin", "phone")


class Person(msgspec.Struct, kw_only=True):
    """One person as a source file has them."""

    row: int  # where in the file (a line, or a card number), for messages
    name: str
    company: str | None = None
    role: str | None = None
    email: str | None = None  # the preferred address
    emails: list[str] = []  # every address, the preferred first
    linkedin: str | None = None
    phone: str | None = None
    how_met: str | None = None
    tags: list[str] = []
    met_on: str | None = None  # a stamp: when the connection was made, if known
    # As the file writes them (19850412, --04-12, ...: coffeechat.yearly_dates.from_export);
    # checked() gives them in the stored form (MM-DD or YYYY-MM-DD).
    birthday: str | None = None
    dates: dict[str, str] = {}  # other important dates by label (anniversary, ...)


class RowError(NamedTuple):
    row: int
    message: str


class Parsed(NamedTuple):
    people: list[Person]
    errors: list[RowError]  # rows that cannot be read: the file imports nothing without --skip-bad
    skipped: Sequence[RowError] = ()  # rows that are not people (a group card): listed, left out


class PeoplePlan(NamedTuple):
    events: list[tuple[str, Payload, str | None]]  # (contact id, payload, occurred_at)
    added: list[str]
    updated: list[str]
    unchanged: int
    conflicts: list[RowError]  # people matching two different contacts
    missing: list[str]  # names this source brought in before, not in the file


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


def _same_person(name: str | None, company: str | None) -> tuple[str, str]:
    """Name and company as :func:`coffeechat.resolve.fold` compares them (accents, case,
    spaces and zero-width characters aside): the key a person is matched by."""
    return fold(name or ""), fold(company or "")


class _Known(NamedTuple):
    id: str
    name: str
    fields: dict[str, Any]  # FIELDS, birthday, and dates (JSON text or a dict)


class Matcher:
    """The store's contacts, indexed by each kind of identity."""

    def __init__(self, db: apsw.Connection) -> None:
        self.by_linkedin: dict[str, str] = {}
        self.by_email: dict[str, str] = {}
        self.by_name_company: dict[tuple[str, str], list[str]] = {}
        self.known: dict[str, _Known] = {}
        for row in db.execute("SELECT id, name, company, role, email, linkedin, phone, "
                              "birthday, dates FROM contacts"):
            fields = dict(zip(FIELDS, row[2:7], strict=True))
            fields["birthday"] = row[7]
            fields["dates"] = row[8]  # JSON text, or None
            self.remember(_Known(row[0], row[1], fields))

    def remember(self, known: _Known) -> None:
        self.known[known.id] = known
        key = linkedin_key(known.fields.get("linkedin"))
        if key:
            self.by_linkedin.setdefault(key, known.id)
        if known.fields.get("email"):
            self.by_email.setdefault(_fold(known.fields["email"]), known.id)
        self.by_name_company.setdefault(
            _same_person(known.name, known.fields.get("company")), []).append(known.id)

    def match(self, person: Person) -> set[str]:
        """Every contact this person's identities point at (one, none, or a conflict)."""
        found: set[str] = set()
        key = linkedin_key(person.linkedin)
        if key and key in self.by_linkedin:
            found.add(self.by_linkedin[key])
        for address in person.emails or ([person.email] if person.email else []):
            if _fold(address) in self.by_email:
                found.add(self.by_email[_fold(address)])
        if not found:
            same = self.by_name_company.get(_same_person(person.name, person.company), [])
            found.update(same[:2])  # two contacts of that name at one company: a conflict
        return found


def checked(person: Person) -> Person:
    """The person with every field validated (raises BadInput naming the field)."""
    return msgspec.structs.replace(
        person,
        name=validate.name(person.name, "name"),
        company=validate.optional(person.company, "company"),
        role=validate.optional(person.role, "role"),
        email=_email(person.email),
        emails=[e for e in (_email(a) for a in person.emails) if e],
        linkedin=validate.optional(person.linkedin, "linkedin"),
        phone=validate.optional(person.phone, "phone", limit=50),
        how_met=validate.optional(person.how_met, "how_met"),
        birthday=yearly_dates.from_export(person.birthday, "birthday")
        if person.birthday else None,
        dates=_dates(person.dates),
    )


def _dates(dates: dict[str, str]) -> dict[str, str]:
    """Important dates from a file, checked and in the stored form; empty ones left out."""
    found = {}
    for label, value in dates.items():
        name = yearly_dates.checked_label(label, "date label")
        day = yearly_dates.from_export(value, name)
        if day:
            found[name] = day
    if len(found) > yearly_dates.DATES_LIMIT:
        raise BadInput(f"{len(found)} important dates is too many "
                       f"(the limit is {yearly_dates.DATES_LIMIT})")
    return found


def _email(address: str | None) -> str | None:
    return validate.email(address, "email")


def plan_import(db: apsw.Connection, people: list[Person], source: str,
                progress: Callable[[int], None] | None = None) -> PeoplePlan:
    """What importing ``people`` records (see the module docs)."""
    matcher = Matcher(db)
    events: list[tuple[str, Payload, str | None]] = []
    added: list[str] = []
    updated: list[str] = []
    conflicts: list[RowError] = []
    unchanged = 0
    seen: set[str] = set()
    for done, person in enumerate(people, start=1):
        if progress is not None and done % 500 == 0:
            progress(done)
        matches = matcher.match(person)
        if len(matches) > 1:
            names = ", ".join(sorted(matcher.known[m].name for m in matches))
            conflicts.append(RowError(person.row, f"{person.name} matches several contacts "
                                                  f"({names}); not imported"))
            continue
        if matches:
            contact_id = matches.pop()
            seen.add(contact_id)
            changes = _changes(matcher.known[contact_id], person)
            if changes:
                events.append((contact_id, ContactUpdated(**changes), None))
                updated.append(contact_id)
                known = matcher.known[contact_id]
                matcher.remember(known._replace(fields={**known.fields, **changes}))
            else:
                unchanged += 1
            continue
        contact_id = _new_id(person.name, matcher, db)
        payload = ContactAdded(name=person.name, company=person.company, role=person.role,
                               email=person.email, linkedin=person.linkedin,
                               phone=person.phone, how_met=person.how_met, tags=person.tags,
                               birthday=person.birthday, dates=person.dates)
        events.append((contact_id, payload, person.met_on))
        added.append(contact_id)
        seen.add(contact_id)
        matcher.remember(_Known(contact_id, person.name,
                                {**{f: getattr(person, f) for f in FIELDS},
                                 "birthday": person.birthday, "dates": person.dates}))
    missing = [name for contact_id, name in _brought_in_by(db, source) if contact_id not in seen]
    return PeoplePlan(events, added, updated, unchanged, conflicts, missing)


def _changes(known: _Known, person: Person) -> dict[str, Any]:
    """Fields the source gives that differ from what the contact has (never blanks one)."""
    changes: dict[str, Any] = {}
    for field in FIELDS:
        value = getattr(person, field)
        if not value:
            continue
        current = known.fields.get(field)
        same = (linkedin_key(value) == linkedin_key(current) if field == "linkedin"
                else _fold(value) == _fold(current))
        if not same:
            changes[field] = value
    current = known.fields.get("birthday")
    # A birthday without its year says nothing new about one with the year.
    if person.birthday and person.birthday != current and not (
            len(person.birthday) == 5 and str(current).endswith("-" + person.birthday)):
        changes["birthday"] = person.birthday
    had = known.fields.get("dates")
    if isinstance(had, str):
        try:
            had = msgspec.json.decode(had)
        except msgspec.DecodeError:
            had = None
    had = had if isinstance(had, dict) else {}
    named = {label.casefold(): label for label in had}  # (labels match whatever their case)
    dates = {}
    for label, day in person.dates.items():
        label = named.get(label.casefold(), label)
        if day != had.get(label) and not (
                len(day) == 5 and str(had.get(label)).endswith("-" + day)):
            dates[label] = day
    if dates:
        changes["dates"] = dates
    return changes


def _new_id(name: str, matcher: Matcher, db: apsw.Connection) -> str:
    return free_id(name, lambda c: c in matcher.known or id_taken(db, c))


def _brought_in_by(db: apsw.Connection, source: str) -> list[tuple[str, str]]:
    """(id, name) of live contacts whose contact.added came from ``source``."""
    return list(db.execute(
        "SELECT c.id, c.name FROM contacts c WHERE EXISTS (SELECT 1 FROM events e "
        "WHERE e.stream = 'contact:' || c.id AND e.type = 'contact.added' AND e.source = ?) "
        "ORDER BY c.name", (source,)))


def validate_people(people: list[Person]) -> Parsed:
    """Validate every person; a row that fails becomes a :class:`RowError`."""
    good, bad = [], []
    for person in people:
        try:
            good.append(checked(person))
        except CoffeechatError as error:
            bad.append(RowError(person.row, error.message))
    return Parsed(good, bad)


# -- the importer -------------------------------------------------------------------------

MATCHING = ("People are matched to your contacts by LinkedIn URL, then email, then name and "
            "company: new people are added, changed details updated, and nobody is removed. "
            "Rows that are not a person (a group card) are listed and left out. A file with "
            "bad rows imports nothing unless --skip-bad is given.")
SKIP_BAD = Option("skip-bad", "Import the good rows; list the bad ones.")


class PeopleRead(NamedTuple):
    people: list[Person]  # validated
    skipped: list[RowError]  # left out: not people, or bad (with --skip-bad)


class PeopleOutcome(NamedTuple):
    plan: PeoplePlan
    skipped: list[RowError]


class PeopleImporter:
    """An importer of people: ``reader(path)`` gives the rows, this does the rest.

    The rows are validated as the file is read (before the store is locked): a
    file with bad rows imports nothing unless ``--skip-bad``. The plan matches
    them to the contacts (:func:`plan_import`) inside the write transaction.
    """

    reads: Reads = "file"
    options = (SKIP_BAD,)

    def __init__(self, name: str, reader: Callable[[str], Parsed],
                 summary: str | None = None) -> None:
        self.name = name
        self.reader = reader
        self.help = f"{summary or f'Import people from a {name} file.'}\n\n{MATCHING}"

    def read(self, path: str, context: ImportContext) -> PeopleRead:
        parsed = self.reader(path)
        if not isinstance(parsed, Parsed):
            raise Refused(f"read returned {shown(parsed)}, not a coffeechat.people.Parsed")
        checked_people = validate_people(parsed.people)
        bad = sorted([*parsed.errors, *checked_people.errors])
        if bad and not context.options.get(SKIP_BAD.name):
            first = bad[0]
            more = f" (and {len(bad) - 1} more bad rows)" if len(bad) > 1 else ""
            raise BadInput(f"{path}: row {first.row}: {first.message}{more}; nothing was "
                           "imported (fix the file, or --skip-bad imports the rest)")
        return PeopleRead(checked_people.people, sorted([*parsed.skipped, *bad]))

    def plan(self, store: Store, data: PeopleRead, context: ImportContext
             ) -> ImportPlan[PeopleOutcome]:
        with context.progress(len(data.people), f"importing {self.name}") as advance:
            plan = plan_import(store.conn, data.people, context.source, advance)
        at = stamp(now())
        events = [NewEvent(stream=CONTACT_PREFIX + contact_id, payload=payload,
                           occurred_at=occurred_at or at)
                  for contact_id, payload, occurred_at in plan.events]
        return ImportPlan(events, PeopleOutcome(plan, data.skipped))

    def report(self, result: Imported[PeopleOutcome]) -> Report:
        plan, skipped = result.outcome
        batch = result.batch
        document: dict[str, object] = {
            "batch": batch, "added": plan.added, "updated": plan.updated,
            "unchanged": plan.unchanged,
            "skipped": [{"row": e.row, "message": e.message} for e in skipped],
            "conflicts": [{"row": e.row, "message": e.message} for e in plan.conflicts],
            "missing": plan.missing,
        }
        would = "would be " if result.dry_run else ""
        text = [f"{result.path}: {len(plan.added)} {would}added, {len(plan.updated)} {would}"
                f"updated, {plan.unchanged} unchanged"]
        if result.dry_run:
            text += [f"  {line}" for line in planned_changes(plan)]
        if batch:
            text.append(f"batch {batch} (undo it with: coffeechat undo --batch {batch})")
        if plan.missing:
            text.append(f"{len(plan.missing)} people imported before are not in this file "
                        "(kept): " + ", ".join(plan.missing[:10])
                        + (" ..." if len(plan.missing) > 10 else ""))
        notes = [f"skipped row {row.row}: {row.message}" for row in skipped]
        notes += [f"row {row.row}: {row.message}" for row in plan.conflicts]
        return Report(document, text, notes)


def planned_changes(plan: PeoplePlan) -> list[str]:
    """What a plan records, one line a contact: ``add jane-doe (Jane Doe)``, ``update ...``."""
    lines = []
    for contact_id, payload, _at in plan.events:
        if isinstance(payload, ContactAdded):
            lines.append(f"add {contact_id} ({payload.name})")
        else:
            fields = [f for f in payload.__struct_fields__
                      if getattr(payload, f) is not msgspec.UNSET]
            lines.append(f"update {contact_id}: {', '.join(fields)}")
    return lines
