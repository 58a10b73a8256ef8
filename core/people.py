"""Bringing people in from other tools: matching them to contacts, and what to record.

A reader (linkedin, vcard, google, or a plugin's) turns a file into
:class:`Person` rows; :class:`PeopleImporter` makes it an importer (see
``coffeechat.importing``). The rows are validated as the file is read; inside
the write transaction :func:`plan_import` matches each person to the contacts
the store already has (``coffeechat.people_matching``: by LinkedIn URL, then
email, current or past, then name and company together) and works out the
events: a ``contact.added`` for someone new, a ``contact.updated`` for someone
known, nothing for someone unchanged. Rows of one file that are one person are
combined first (the later row's values win). A known contact's field changes
only where the source's value changed since that source last gave one (a
three-way comparison: what the user or another source set since stays), or,
for a field this source never gave, where the contact has none; the fields
that differ and were kept are reported. A person who matches two different
contacts is not merged into either: they are reported. People this source
brought in before but missing from the file are reported, never removed.
"""

from __future__ import annotations

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
from coffeechat.people_matching import FIELDS, History, Known, Matcher, fold_text, read_history
from coffeechat.plugin_calls import Refused, shown
from coffeechat.resolve import company_key, free_id, id_taken
from coffeechat.resolve import linkedin_key as linkedin_key  # (importers use it from here)
from coffeechat.store import NewEvent, Store


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
    unchanged: int  # people (rows of one person count once) with nothing to record
    conflicts: list[RowError]  # people matching two different contacts
    missing: list[str]  # names this source brought in before, not in the file
    kept: list[tuple[str, str, list[str]]]  # (contact id, name, fields the file differs in)
    repeated: list[RowError]  # a later row of one person that changed what an earlier gave


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
    history = read_history(db, source)
    matcher = Matcher(db, history)
    conflicts: list[RowError] = []
    repeated: list[RowError] = []
    found: dict[str, Person] = {}  # contact -> the person (their rows combined), file order
    new: set[str] = set()
    for done, person in enumerate(people, start=1):
        if progress is not None and done % 500 == 0:
            progress(done)
        matches = matcher.match(person.name, person.company, _emails(person), person.linkedin)
        if len(matches) > 1:
            names = ", ".join(sorted(found[m].name if m in new else matcher.known[m].name
                                     for m in matches))
            conflicts.append(RowError(person.row, f"{person.name} matches several contacts "
                                                  f"({names}); not imported"))
            continue
        if matches:
            contact_id = matches.pop()
        else:
            contact_id = free_id(person.name, lambda c: c in matcher.known or c in new
                                 or id_taken(db, c))
            new.add(contact_id)
        earlier = found.get(contact_id)
        if earlier is not None:
            person, differs = _combined(earlier, person)
            if differs:
                repeated.append(RowError(differs, f"the same person as row {earlier.row} "
                                                  f"({earlier.name}): this row's values win"))
        found[contact_id] = person
        matcher.remember_identities(contact_id, person.name, person.company, _emails(person),
                                    person.linkedin)
    plan = _planned(found, new, matcher, history)
    return plan._replace(conflicts=conflicts, repeated=repeated)


def _emails(person: Person) -> list[str]:
    return person.emails or ([person.email] if person.email else [])


def _planned(found: dict[str, Person], new: set[str], matcher: Matcher,
             history: History) -> PeoplePlan:
    """The events for each person found: added if new, else what changed."""
    plan = PeoplePlan([], [], [], 0, [], [], [], [])
    unchanged = 0
    for contact_id, person in found.items():
        if contact_id in new:
            plan.events.append((contact_id, ContactAdded(
                name=person.name, company=person.company, role=person.role,
                email=person.email, linkedin=person.linkedin, phone=person.phone,
                how_met=person.how_met, tags=person.tags, birthday=person.birthday,
                dates=person.dates), person.met_on))
            plan.added.append(contact_id)
            continue
        known = matcher.known[contact_id]
        changes, kept = _changes(known, person, history.gave.get(contact_id, {}))
        if changes:
            plan.events.append((contact_id, ContactUpdated(**changes), None))
            plan.updated.append(contact_id)
        else:
            unchanged += 1
        if kept:
            plan.kept.append((contact_id, known.name, kept))
    missing = sorted(matcher.known[c].name for c in history.brought_in
                     if c in matcher.known and c not in found)
    return plan._replace(unchanged=unchanged, missing=missing)


def _same(field: str, value: str, other: object) -> bool:
    """Whether a field's ``value`` says nothing new over ``other`` (a value or None)."""
    if not isinstance(other, str) or not other:
        return False
    if field == "linkedin":
        return linkedin_key(value) == linkedin_key(other)
    if field == "company" and company_key(value):  # ("Acme Inc." is Acme)
        return company_key(value) == company_key(other)
    if field in ("birthday", "date"):  # a day without its year says nothing new
        return value == other or (len(value) == 5 and other.endswith("-" + value))
    return fold_text(value) == fold_text(other)


def _changes(known: Known, person: Person, gave: dict[str, Any]
             ) -> tuple[dict[str, Any], list[str]]:
    """The fields to update, and those the file differs in but the contact keeps.

    A field changes where the source's value changed since this source last gave
    one, or, if it never gave one, where the contact has none. A file never
    blanks a field.
    """
    changes: dict[str, Any] = {}
    kept: list[str] = []

    def weigh(field: str, value: str, current: object, last: object) -> bool | None:
        """True: update; False: keep the contact's; None: the same already."""
        what = "date" if field.startswith("dates") else field
        if _same(what, value, current):
            return None
        return not _same(what, value, last) if last else not current

    for field in (*FIELDS, "birthday"):
        value = getattr(person, field)
        if value:
            verdict = weigh(field, value, known.fields.get(field), gave.get(field))
            if verdict:
                changes[field] = value
            elif verdict is False:
                kept.append(field)
    had = known.fields.get("dates")
    if isinstance(had, str):
        try:
            had = msgspec.json.decode(had)
        except msgspec.DecodeError:
            had = None
    had = had if isinstance(had, dict) else {}
    named = {label.casefold(): label for label in had}  # (labels match whatever their case)
    gave_dates = gave.get("dates", {})
    dates = {}
    for label, day in person.dates.items():
        stored = named.get(label.casefold(), label)
        verdict = weigh("dates", day, had.get(stored), gave_dates.get(label.casefold()))
        if verdict:
            dates[stored] = day
        elif verdict is False and "dates" not in kept:
            kept.append("dates")
    if dates:
        changes["dates"] = dates
    return changes, kept


def _combined(earlier: Person, later: Person) -> tuple[Person, int]:
    """Two rows of one person as one: the later row's values win where it has them.

    Also the later row's number if it changed a value the earlier row gave, else 0.
    """
    changes: dict[str, Any] = {}
    differs = False
    for field in (*FIELDS, "birthday", "how_met", "met_on"):
        value = getattr(later, field)
        if value:
            before = getattr(earlier, field)
            differs = differs or (field in (*FIELDS, "birthday") and bool(before)
                                  and not _same(field, value, before)
                                  and not _same(field, before, value))
            changes[field] = value
    dates = {label: day for label, day in earlier.dates.items()
             if label.casefold() not in {other.casefold() for other in later.dates}}
    for label, day in later.dates.items():
        before = next((d for other, d in earlier.dates.items()
                       if other.casefold() == label.casefold()), None)
        differs = differs or (before is not None and before != day)
        dates[label] = day
    emails = list(dict.fromkeys([*_emails(later), *_emails(earlier)]))
    person = msgspec.structs.replace(
        earlier, **changes, emails=emails, email=later.email or earlier.email,
        tags=list(dict.fromkeys([*earlier.tags, *later.tags])), dates=dates)
    return person, later.row if differs else 0


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
            "company: new people are added, details this source changed since its last "
            "import updated (your own edits are kept), and nobody is removed. "
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
            "kept": [{"contact": contact, "name": name, "fields": fields}
                     for contact, name, fields in plan.kept],
            "repeated": [{"row": e.row, "message": e.message} for e in plan.repeated],
        }
        would = "would be " if result.dry_run else ""
        text = [f"{result.path}: {len(plan.added)} {would}added, {len(plan.updated)} {would}"
                f"updated, {plan.unchanged} unchanged"]
        if result.dry_run:
            text += [f"  {line}" for line in planned_changes(plan)]
            text += [f"  keep {contact}: {', '.join(fields)} (the file differs; yours kept)"
                     for contact, _name, fields in plan.kept]
        elif plan.kept:
            text.append("kept your values where the file differs: " + ", ".join(
                f"{name} ({', '.join(fields)})" for _id, name, fields in plan.kept[:10])
                + (" ..." if len(plan.kept) > 10 else ""))
        if batch:
            text.append(f"batch {batch} (undo it with: coffeechat undo --batch {batch})")
        if plan.missing:
            text.append(f"{len(plan.missing)} people imported before are not in this file "
                        "(kept): " + ", ".join(plan.missing[:10])
                        + (" ..." if len(plan.missing) > 10 else ""))
        notes = [f"skipped row {row.row}: {row.message}" for row in skipped]
        notes += [f"row {row.row}: {row.message}"
                  for row in sorted([*plan.conflicts, *plan.repeated])]
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
