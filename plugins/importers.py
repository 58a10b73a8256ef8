"""The built-in importers: people from LinkedIn, vCard and Google Contacts exports,
meetings from calendar invitations, replies from mailboxes.

Each people reader here turns a file into :class:`coffeechat.people.Person`
rows and :class:`coffeechat.people.RowError` items (a row it cannot read, with
where it is); :class:`coffeechat.people.PeopleImporter` does the rest. The
``ics``, ``mbox`` and ``maildir`` importers come whole from core
(``coffeechat.invitations``, ``coffeechat.replies``). All six are registered
with the ``register_importers`` hook, as a plugin registers its own.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from coffeechat.clock import WINDOW_TEXT, in_window, stamp
from coffeechat.errors import BadInput
from coffeechat.files import read_input
from coffeechat.hookspecs import hookimpl
from coffeechat.invitations import IcsImporter
from coffeechat.people import Parsed, PeopleImporter, Person, RowError, linkedin_key
from coffeechat.replies import MAILDIR, MBOX

if TYPE_CHECKING:
    from coffeechat.importing import RegisterImporter


def _text(path: str) -> str:
    """A text file's content: UTF-8 (with or without a BOM), UTF-16 with a BOM (as Excel
    and Outlook save "Unicode text"), else Windows-1252.

    Anything else (a binary file, text in another encoding) is a BadInput naming
    the line, never a traceback.
    """
    raw = read_input(path)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) and not raw.startswith(b"\xff\xfe\0\0"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise BadInput(f"{path}: it begins as UTF-16 text but is not UTF-16 throughout: "
                           "save the file as UTF-8 and import it again") from None
    nul = raw.find(b"\0")
    if nul >= 0:
        raise BadInput(f"{path}: line {_line_at(raw, nul)}: a NUL byte: this is a binary file, "
                       "not a text export")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        try:
            return raw.decode("cp1252")  # older Windows exports
        except UnicodeDecodeError:
            raise BadInput(f"{path}: line {_line_at(raw, error.start)}: byte "
                           f"0x{raw[error.start]:02x} is neither UTF-8 nor Windows-1252 text: "
                           "save the file as UTF-8 and import it again") from None


def _line_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _rows(text: str, path: str, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """CSV records with the line each starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    start = 1
    try:
        for record in reader:
            rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise BadInput(f"{path}: line {start}: a field is longer than "
                           f"{csv.field_size_limit():,} characters (is this a contacts "
                           "export?)") from None
        raise BadInput(f"{path}: line {start}: cannot read the CSV ({error})") from None
    return rows


def _header_rows(path: str, names: set[str]) -> list[tuple[int, list[str]]]:
    """The CSV's records, split at commas, or at semicolons when only then does a row hold
    one of ``names`` (Excel saves "CSV" with ';' where ',' is the decimal mark)."""
    text = _text(path)
    rows = _rows(text, path)
    if ";" in text and not any(names & {c.strip() for c in cells} for _l, cells in rows):
        try:
            by_semicolon = _rows(text, path, ";")
        except BadInput:
            return rows
        if any(names & {c.strip() for c in cells} for _l, cells in by_semicolon):
            return by_semicolon
    return rows


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


# -- LinkedIn -----------------------------------------------------------------------------

_LINKEDIN_DATES = ("%d %b %Y", "%d %B %Y", "%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d")
_DAY_FIRST = ("%d %b %Y", "%d %B %Y", "%d/%m/%y", "%d/%m/%Y", "%Y-%m-%d")
_SLASHED = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{2,4}\s*")


def read_linkedin(path: str) -> Parsed:
    """LinkedIn's Connections.csv: a notes preamble, then the header, then a row a person."""
    rows = _header_rows(path, {"First Name", "Last Name"})
    header_at = next((i for i, (_line, cells) in enumerate(rows)
                      if {"First Name", "Last Name"} <= {c.strip() for c in cells}), None)
    if header_at is None:
        raise BadInput(f"{path}: no header row with 'First Name' and 'Last Name' "
                       "(is this LinkedIn's Connections.csv?)")
    header = [c.strip() for c in rows[header_at][1]]
    column = {name: i for i, name in enumerate(header)}
    forms = _date_forms([cells[column["Connected On"]] for _line, cells in rows[header_at + 1:]
                         if "Connected On" in column and len(cells) == len(header)])
    people, errors = [], []
    for line, cells in rows[header_at + 1:]:
        if _blank(cells):
            continue
        if len(cells) != len(header):
            errors.append(RowError(line, f"expected {len(header)} fields, found {len(cells)}"))
            continue

        def cell(name: str, cells: list[str] = cells) -> str | None:
            index = column.get(name)
            value = cells[index].strip() if index is not None else ""
            return value or None

        name = " ".join(p for p in (cell("First Name"), cell("Last Name")) if p)
        if not name:
            errors.append(RowError(line, "no first or last name"))
            continue
        connected = cell("Connected On")
        met_on, how = None, "LinkedIn"
        if connected:
            moment = _date(connected, forms)
            if moment is None:
                errors.append(RowError(line, f"cannot read Connected On {connected!r}"))
                continue
            if not in_window(moment):  # (kept in UTC: 01 Jan 1900 east of it is 1899)
                utc = moment.astimezone(UTC).date()
                errors.append(RowError(line, f"Connected On {connected!r} is {utc} in UTC, "
                                             "outside the dates coffeechat keeps "
                                             f"({WINDOW_TEXT}, UTC)"))
                continue
            met_on = stamp(moment)
            # (the day as it was read, in LinkedIn's own words: 03/12/2024 is 12 Mar 2024)
            day = moment.strftime("%d %b %Y") if _SLASHED.fullmatch(connected) else connected
            how = f"LinkedIn, connected on {day}"
        email = cell("Email Address")
        people.append(Person(row=line, name=name, company=cell("Company"),
                             role=cell("Position"), email=email,
                             emails=[email] if email else [], linkedin=cell("URL"),
                             how_met=how, met_on=met_on))
    return Parsed(people, errors)


def _date_forms(texts: list[str]) -> tuple[str, ...]:
    """How a file writes its dates: LinkedIn writes ``02 Feb 2022``; a copy saved in some
    locales writes 29/02/2024 or 02/29/2024. A file is read day first when one of its
    slashed dates can only be (its first number past 12), else month first."""
    for text in texts:
        found = _SLASHED.fullmatch(text)
        if found is not None and int(found.group(1)) > 12:
            return _DAY_FIRST
    return _LINKEDIN_DATES


def _date(text: str, forms: tuple[str, ...] = _LINKEDIN_DATES) -> datetime | None:
    """The moment a LinkedIn date means (its day's start, local time), if it is one."""
    for form in forms:
        try:
            return datetime.strptime(text, form).astimezone()
        except (ValueError, OverflowError):  # (9999-12-31 west of UTC overflows)
            continue
    return None


# -- Google Contacts ----------------------------------------------------------------------

def read_google(path: str) -> Parsed:
    """Google Contacts' CSV (both the older and the current column names)."""
    rows = [(line, cells) for line, cells in _header_rows(path, {"Name", "Given Name",
                                                                 "First Name"})
            if not _blank(cells)]
    if not rows:
        raise BadInput(f"{path}: the file is empty")
    header = [c.strip() for c in rows[0][1]]
    if not ({"Name", "Given Name", "First Name"} & set(header)):
        raise BadInput(f"{path}: no 'Name' or 'First Name' column (is this a Google Contacts "
                       "CSV export?)")
    people: list[Person] = []
    errors: list[RowError] = []
    skipped: list[RowError] = []
    for line, cells in rows[1:]:
        if len(cells) < len(header):
            cells = cells + [""] * (len(header) - len(cells))
        record = dict(zip(header, (c.strip() for c in cells), strict=False))
        emails = _google_values(record, "E-mail")
        phones = _google_values(record, "Phone")
        sites = _google_values(record, "Website")
        company = record.get("Organization 1 - Name") or record.get("Organization Name") or None
        name = record.get("Name") or " ".join(
            p for p in (record.get("Given Name") or record.get("First Name"),
                        record.get("Additional Name") or record.get("Middle Name"),
                        record.get("Family Name") or record.get("Last Name")) if p)
        # Google keeps contacts with only an email or a company: named after what they have.
        name = name or record.get("Nickname") or record.get("File As") or company or next(
            iter(emails + phones), "")
        if not name:
            skipped.append(RowError(line, "no name, organisation, email or phone: "
                                          "not imported"))
            continue
        linkedin = next((s for s in sites if "linkedin.com" in s.lower()), None)
        birthday, dates = _google_dates(record)
        people.append(Person(
            row=line, name=name, emails=emails, email=emails[0] if emails else None,
            company=company,
            role=record.get("Organization 1 - Title") or record.get("Organization Title")
            or None,
            phone=phones[0] if phones else None, linkedin=linkedin,
            how_met="Google Contacts", birthday=birthday, dates=dates,
            tags=[g.strip().lower() for g in _split(record.get("Group Membership")
                                                    or record.get("Labels") or "")
                  if g.strip() and not g.strip().startswith("*")]))
    return Parsed(people, errors, skipped)


def _google_dates(record: dict[str, str]) -> tuple[str | None, dict[str, str]]:
    """The Birthday column, and each "Event N - Label/Value" (an event labelled birthday,
    when there is no Birthday column, is the birthday). As written: people.checked reads them.
    """
    birthday = record.get("Birthday") or None
    dates: dict[str, str] = {}
    n = 1
    while f"Event {n} - Value" in record:
        value = record[f"Event {n} - Value"]
        label = (record.get(f"Event {n} - Label") or record.get(f"Event {n} - Type")
                 or "").strip().lstrip("* ").strip() or "event"
        if value:
            if label.lower() == "birthday":
                birthday = birthday or value
            else:
                dates[label] = value
        n += 1
    return birthday, dates


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(":::") if part.strip()]


def _google_values(record: dict[str, str], kind: str) -> list[str]:
    """Every "<kind> N - Value" (each may hold several, joined by ' ::: '); preferred first."""
    values: list[tuple[int, str]] = []
    n = 1
    while f"{kind} {n} - Value" in record:
        label = record.get(f"{kind} {n} - Label") or record.get(f"{kind} {n} - Type") or ""
        rank = 0 if "pref" in label.lower() or label.startswith("*") else n  # * = primary
        values += [(rank, v) for v in _split(record[f"{kind} {n} - Value"])]
        n += 1
    ordered = [v for _rank, v in sorted(values, key=lambda item: item[0])]
    return list(dict.fromkeys(ordered))


# -- vCard ----------------------------------------------------------------------------------

def read_vcard(path: str) -> Parsed:
    """vCard 2.1, 3.0 and 4.0, as Android, Apple, Google and others write them (parsed
    by vobject).

    Cards that are not a person (a group, an organisation, Apple's company
    cards) are left out and listed.
    """
    import vobject

    original = _text(path)
    text = _soft_breaks_joined(original)
    people: list[Person] = []
    errors: list[RowError] = []
    skipped: list[RowError] = []
    starts = [n + 1 for n, line in enumerate(original.splitlines())  # (the file's own lines)
              if line.strip().upper() == "BEGIN:VCARD"]
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=False))
    except Exception as error:  # vobject raises several kinds for a broken file
        line = _broken_line(original, error)
        where = f"line {line}" if line else "a card"
        # (without vobject's own "At line N:", which counts lines its own way)
        message = re.sub(r"^At line \d+: ", "", " ".join(str(error).splitlines()))[:200]
        raise BadInput(f"{path}: {where}: cannot read the vCard ({message})") from None
    for number, card in enumerate(cards):
        row = starts[number] if number < len(starts) else number + 1
        try:
            not_a_person = _not_a_person(card.contents)
            if not_a_person:
                skipped.append(RowError(row, f"card {number + 1}: {not_a_person}"))
                continue
            people.append(_person_of(card, row))
        except (KeyError, IndexError, AttributeError, TypeError, ValueError) as error:
            errors.append(RowError(row, f"card {number + 1}: {error}"))
    return Parsed(people, errors, skipped)


def _broken_line(original: str, error: Exception) -> int | None:
    """The file line where the line vobject could not read begins: found by its text in
    the file's logical lines (folded lines and quoted-printable soft breaks joined, each
    at the line it starts on), as vobject's own count of lines is not the file's."""
    lines = _logical_lines(original)
    said = re.search(r"Failed to parse line: (.+)$", str(error).strip())
    if said is not None:
        broken = said.group(1).strip()
        for start, line in lines:
            if broken in (line.strip(), line.replace("\n", "").strip()):
                return start
    return _unbalanced(lines)


def _unbalanced(lines: list[tuple[int, str]]) -> int | None:
    """The line of an END that closes nothing open (END:VCALENDAR in a card, a stray
    END:VCARD), or of a BEGIN never closed; None when every BEGIN has its END."""
    open_: list[tuple[int, str]] = []
    for start, line in lines:
        name, _, value = line.strip().partition(":")
        if name.upper() == "BEGIN":
            open_.append((start, value.strip().upper()))
        elif name.upper() == "END":
            if not open_ or open_[-1][1] != value.strip().upper():
                return start
            open_.pop()
    return open_[-1][0] if open_ else None


def _logical_lines(original: str) -> list[tuple[int, str]]:
    """(the file line it starts on, its text) of each vCard line: a line that begins with
    a space or tab goes on the one before it (vCard's folding, as either of two forms),
    and so does one after a quoted-printable value ending in "=" (a soft break)."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(original.splitlines(), 1):
        if found and line[:1] in (" ", "\t"):
            start, before = found[-1]
            found[-1] = (start, before + "\n" + line[1:])
        elif found and found[-1][1].endswith("=") and _QUOTED_PRINTABLE.match(found[-1][1]):
            start, before = found[-1]
            found[-1] = (start, before[:-1] + line)
        else:
            found.append((number, line))
    return found


# A vCard 2.1 property whose value is quoted-printable (ENCODING=QUOTED-PRINTABLE, or the
# bare QUOTED-PRINTABLE 2.1 allows), as Android and older Outlook write non-ASCII names.
_QUOTED_PRINTABLE = re.compile(r"^[^:]*;(?:ENCODING=)?QUOTED-PRINTABLE[;:]", re.IGNORECASE)


def _soft_breaks_joined(text: str) -> str:
    """vCard 2.1's quoted-printable values go on past a line that ends with "=" (a soft
    line break, with no space before the next line, unlike vCard's own folding): each
    such value on one line, which is how vobject reads it (and decodes it).

    A value without a CHARSET whose bytes are not UTF-8 gets CHARSET=windows-1252,
    as older phones and Outlook wrote them (vobject would read UTF-8 and fail).
    """
    if "QUOTED-PRINTABLE" not in text.upper():
        return text
    lines = text.split("\n")
    joined = []
    n = 0
    while n < len(lines):
        line = lines[n]
        if _QUOTED_PRINTABLE.match(line):
            while line.rstrip("\r").endswith("=") and n + 1 < len(lines):
                n += 1
                line = line.rstrip("\r")[:-1] + lines[n]
            line = _with_a_charset(line)
        joined.append(line)
        n += 1
    return "\n".join(joined)


def _with_a_charset(line: str) -> str:
    """A quoted-printable property line, with CHARSET=windows-1252 added where it names
    no charset and its value is not UTF-8."""
    params, _colon, value = line.partition(":")
    if "CHARSET=" in params.upper():
        return line
    import quopri

    try:
        raw = quopri.decodestring(value.rstrip("\r").encode("ascii"))
    except UnicodeEncodeError:  # (not quoted-printable as written: let vobject judge)
        return line
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"{params};CHARSET=windows-1252:{value}"
    return line


_NOT_PEOPLE = {"group": "a group", "org": "an organisation", "location": "a place"}


def _not_a_person(contents: dict[str, list[Any]]) -> str | None:
    """Why a card is not a person (vCard 4 KIND, Apple's group and company cards), or None.

    An unknown KIND counts as a person, as RFC 6350 asks.
    """
    name = _value(contents["fn"][0].value) if "fn" in contents else ""
    shown = f" ({name})" if name else ""
    for key in ("kind", "x-addressbookserver-kind"):
        kind = _value(contents[key][0].value).lower() if key in contents else ""
        if kind in _NOT_PEOPLE:
            return f"{_NOT_PEOPLE[kind]} card{shown}, not a person: not imported"
    if "x-abshowas" in contents and _value(contents["x-abshowas"][0].value).upper() == "COMPANY":
        return f"a company card{shown}, not a person: not imported"
    return None


def _value(text: object) -> str:
    """A vCard value as text: Google escapes ':' as '\\:', which vCard does not define."""
    return str(text).replace("\\:", ":").strip()


def _phone(value: str) -> str:
    """A TEL value as a number: vCard 4 writes it as a URI (``tel:+34-600-000-111``)."""
    if value[:4].lower() != "tel:":
        return value
    number, *params = value[4:].split(";")
    extension = next((p[4:] for p in params if p[:4].lower() == "ext="), None)
    return f"{number} ext. {extension}" if extension else number


def _person_of(card: Any, row: int) -> Person:
    contents = card.contents
    name = _value(contents["fn"][0].value) if "fn" in contents else ""
    if not name and "n" in contents:
        n = contents["n"][0].value
        name = " ".join(_value(p) for p in (n.given, n.additional, n.family) if p).strip()
    org = contents["org"][0].value if "org" in contents else None
    company = _value((org[0] if org else "") if isinstance(org, list) else org or "") or None
    emails = [e for _rank, e in sorted(
        (_preference(e.params), _value(e.value)) for e in contents.get("email", []))]
    phones = [_phone(_value(t.value)) for t in sorted(contents.get("tel", []),
                                                      key=lambda t: _preference(t.params))]
    # (Apple keeps social profiles apart: X-SOCIALPROFILE;type=linkedin holds the URL)
    urls = [_value(u.value) for key in ("url", "x-socialprofile")
            for u in contents.get(key, [])]
    linkedin = next((u for u in urls if linkedin_key(u) and "linkedin.com" in u.lower()), None)
    title = _value(contents["title"][0].value) if "title" in contents else None
    birthday = _value(contents["bday"][0].value) if "bday" in contents else None
    return Person(row=row, name=name, company=company, role=title or None,
                  emails=emails, email=emails[0] if emails else None,
                  phone=phones[0] if phones else None, linkedin=linkedin,
                  how_met="address book", birthday=birthday or None,
                  dates=_vcard_dates(contents))


def _vcard_dates(contents: dict[str, list[Any]]) -> dict[str, str]:
    """ANNIVERSARY (vCard 4), and Apple's X-ABDATE, each labelled by the X-ABLABEL of its
    group (``_$!<Anniversary>!$_`` is Apple's own "anniversary"). As written."""
    dates: dict[str, str] = {}
    if "anniversary" in contents:
        dates["anniversary"] = _value(contents["anniversary"][0].value)
    labels = {label.group: _value(label.value) for label in contents.get("x-ablabel", [])
              if getattr(label, "group", None)}
    for number, line in enumerate(contents.get("x-abdate", []), start=1):
        label = labels.get(getattr(line, "group", None) or "", "") or f"date {number}"
        if label.startswith("_$!<") and label.endswith(">!$_"):
            label = label[4:-4].lower()
        dates.setdefault(label, _value(line.value))
    return dates


def _preference(params: dict[str, list[str]]) -> int:
    """0 for the preferred one (vCard 3.0 TYPE=pref, 4.0 PREF=1), then the rest."""
    kinds = [t.lower() for t in params.get("TYPE", [])]
    if "pref" in kinds:
        return 0
    pref = params.get("PREF", [])
    return int(pref[0]) if pref and pref[0].isdigit() else 100


PEOPLE = (
    PeopleImporter("linkedin", read_linkedin, "Import people from LinkedIn's Connections.csv "
                   "(Settings → Data privacy → Get a copy)."),
    PeopleImporter("vcard", read_vcard, "Import people from a vCard file (.vcf) from Apple, "
                   "Google, Outlook and others."),
    PeopleImporter("google", read_google, "Import people from a Google Contacts CSV export."),
)


@hookimpl
def register_importers(register: RegisterImporter) -> None:
    for importer in (*PEOPLE, IcsImporter(), MBOX, MAILDIR):
        register(importer)
