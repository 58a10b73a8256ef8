"""Fuzzing: no input bricks the log.

Hypothesis feeds mutated exports through `import jsonl` (with the export's
hash chain left as it was, and recomputed so the mutation reaches the deeper
checks) and random arguments through the recording commands. Whatever comes
in, a command exits 0, 1 with one line on stderr, or 2 (click's usage error);
nothing raises; a refused command leaves the log exactly as it was; and every
read command still works afterwards.

Each example starts from a copy of a small template store (copying is much
faster than recording it again). Runs are derandomized, so CI sees the same
examples every time; `FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py` explores
further, with fresh random examples each run.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from coffeechat.chain import chain_hash
from coffeechat.events import EVENT_TYPES
from tests.conftest import InProcessCLI, Result

EXPLORE = int(os.environ.get("FUZZ_EXAMPLES", "0"))


def fuzz(examples: int) -> settings:
    return settings(max_examples=EXPLORE or examples, deadline=None, derandomize=not EXPLORE,
                    database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- the template stores -------------------------------------------------------------------


class Templates:
    """Stores built once per module; each example works on a copy of one of them.

    (Not a dataclass: hypothesis would print every field with each failing example.)
    """

    def __init__(self, folder: Path, full: Path, other: Path, export: list[bytes],
                 ids: list[str]) -> None:
        self.folder = folder
        self.full = full  # a home with a store that has seen most event types
        self.other = other  # another device's home: some of the same people, other events
        self.export = export  # the full store's export, line by line
        self.ids = ids  # event ids, commitment ids and batch ids of the full store
        self.counter = itertools.count()

    def __repr__(self) -> str:
        return f"Templates({self.folder})"

    def copy(self, which: str) -> InProcessCLI:
        """A fresh home: a copy of a template's (``empty``: no store yet)."""
        home = self.folder / f"example-{next(self.counter)}"
        if which == "empty":
            home.mkdir()
        else:
            shutil.copytree(self.full if which == "full" else self.other, home)
        return InProcessCLI(home)


def _record(run: InProcessCLI, *commands: tuple[str, ...]) -> None:
    for args in commands:
        run.run(*args)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    folder = tmp_path_factory.mktemp("fuzz")
    full = InProcessCLI(folder / "full")
    full.home.mkdir()
    _record(
        full,
        ("add", "Jane Doe", "--company", "Acme", "--tag", "mentor", "--email", "jane@example.com"),
        ("add", "Carol King", "--referred-by", "jane"),
        ("add", "Dan Brown"),
        ("ask", "jane"),
        ("answer", "jane", "accepted"),
        ("schedule", "jane", "--at", "2026-11-10T10:00", "--where", "Blue Bottle"),
        ("met", "jane", "--notes", "talked about x", "--takeaway", "learn y",
         "--referral", "Bob Smith", "--commitment", "send my cv", "--due", "2026-11-20",
         "--on", "2026-11-01T10:00"),
        ("thank", "jane", "--on", "2026-11-01T12:00"),
        ("checkin", "carol", "--note", "hello"),
        ("refer", "carol", "Erin Hill", "--company", "Initech"),
        ("commit", "carol", "intro to Dan", "--due", "+3d"),
        ("note", "dan", "Prefers mornings"),
        ("cadence", "dan", "30"),
        ("edit", "dan", "--role", "CTO"),
        ("ask", "dan"),
        ("schedule", "dan", "--at", "2026-12-01T10:00"),
        ("cancel", "dan", "--reason", "sick"),
        ("archive", "erin"),
        ("add", "Jane D."),
        ("merge", "jane-doe", "jane-d"),
        ("note", "carol", "to be undone"),
        ("undo",),
    )
    events = full.json("log")
    commitments = [e["id"] for e in events if e["type"] == "commitment.made"]
    full.run("done", commitments[0])
    export = full.run("export", "jsonl").out.encode().splitlines()
    ids = [e["id"] for e in events]
    batches = sorted({json.loads(line)["batch"] for line in export} - {None})
    other = InProcessCLI(folder / "other")
    other.home.mkdir()
    _record(other, ("add", "Jane Doe", "--company", "Globex"), ("ask", "jane"),
            ("note", "jane", "met at a conference"), ("add", "Zoë Ångström"))
    return Templates(folder, full.home, other.home, export,
                     [*commitments, *ids, *(i[:8] for i in ids[:5]), *batches])


# -- what must hold after every command ----------------------------------------------------


def snapshot(run: InProcessCLI) -> tuple[list[tuple[Any, ...]], bytes | None]:
    """Every row of the log, byte for byte, and the head file beside it."""
    head = Path(str(run.db) + ".head")
    if not run.db.exists():
        return [], head.read_bytes() if head.exists() else None
    db = apsw.Connection(str(run.db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        rows = db.execute("SELECT * FROM events ORDER BY seq").fetchall()
    except apsw.SQLError:  # (a store not created yet)
        rows = []
    finally:
        db.close()
    return rows, head.read_bytes() if head.exists() else None


def settled(result: Result, args: tuple[str, ...], codes: tuple[int, ...] = (0, 1)) -> None:
    """Exit 0, 1 with one line on stderr, or (where allowed) 2; never a traceback.

    A dry run lists each conflict on a line of its own before the error line.
    """
    where = f"coffeechat {' '.join(repr(a)[:80] for a in args)}"
    assert result.code in codes, f"{where} exited {result.code}: {result.err[-2000:]}"
    assert "Traceback" not in result.err + result.out, f"{where}: {result.err[-2000:]}"
    if result.code == 1:
        lines = result.err.splitlines()
        if "--dry-run" in args:
            assert lines and all(line.startswith("coffeechat: ") for line in lines), where
            lines = lines[-1:]
        assert len(lines) == 1, f"{where}: stderr is not one line: {result.err[-2000:]}"
        assert lines[0].startswith("coffeechat: "), f"{where}: {lines[0]}"


def attempt(run: InProcessCLI, *args: str, codes: tuple[int, ...] = (0, 1)) -> Result:
    """Run a command that may be refused: the log must be unchanged when it is."""
    before = snapshot(run)
    result = run.run(*args, expect=None)
    settled(result, args, codes)
    if result.code != 0:
        assert snapshot(run) == before, f"{args!r} exited {result.code} but changed the log"
    return result


def reads_still_work(run: InProcessCLI, templates: Templates) -> None:
    """Every read command, then rebuild and undo, on whatever the log now holds.

    Everything that got in was checked on the way, so verify finds nothing, and the
    log's export imports into an empty store.
    """
    contacts = run.json("contacts")
    assert isinstance(contacts, list)
    for args in (("contacts",), ("due", "--all"), ("due", "--all", "--json"), ("log",),
                 ("search", "x"), ("referrals",), ("referrals", "--json"),
                 ("export", "jsonl"), ("export", "ics")):
        run.run(*args)
    for contact in contacts[:2]:
        run.run("show", contact["id"])
        run.json("show", contact["id"])
    assert isinstance(run.json("log"), list)
    run.run("verify")
    run.run("rebuild")
    run.run("contacts")
    exported = run.home / "round-trip.jsonl"
    run.run("export", "jsonl", "--out", str(exported))
    copy = templates.copy("empty")
    try:
        copy.run("import", "jsonl", str(exported))
        assert snapshot(copy)[0] == snapshot(run)[0], "export then import changed the log"
    finally:
        cleanup(copy)
    settled(run.run("undo", expect=None), ("undo",))
    run.run("due", "--all")


def cleanup(run: InProcessCLI) -> None:
    shutil.rmtree(run.home, ignore_errors=True)


def note(what: str) -> None:
    """Count an outcome for `pytest --hypothesis-show-statistics` (how deep the examples go)."""
    if currently_in_test_context():
        event(what)


# -- import jsonl -----------------------------------------------------------------------------

TIMES = ["9999-99-99T99:99:99Z", "0001-01-01T00:00:00Z", "2026-02-30T10:00:00Z",
         "1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z", "1900-01-01T00:00:00Z",
         "2200-12-31T23:59:59Z", "2026-11-02T09:00:00", "2026-11-02T09:00:00+02:00",
         "2026-11-02T09:00:00.5Z", "2026-11-02", "2026-11-02T24:00:00Z", "now", ""]
STRINGS = ["", " ", "\x00", "\n", "\r\n", "\t", "\x1b[31m", "\u202e", "\ufeff", "\u2028",
           "😀", "é", "contact:", "contact:jane-doe", "contact:bob-smith", "contact:../x",
           "contact:a b", "contact:Ünï", "contact:" + "x" * 990, "other", "x" * 300,
           "a" * 5000, "null", "{}", *TIMES]
text = st.text(max_size=30) | st.sampled_from(STRINGS)
number = (st.integers() | st.sampled_from([0, -1, 1, 2, 2**31, 2**63, 2**64, -(2**63) - 1,
                                             10**30]) | st.floats())
scalar = st.none() | st.booleans() | number | text
junk = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(text, inner, max_size=4), max_leaves=8)
PAYLOAD_FIELDS = sorted({f for cls in EVENT_TYPES.values() for f in cls.__struct_fields__})
TYPES = [*EVENT_TYPES, "x.unknown", "", "contact.added ", "CONTACT.ADDED"]
ENVELOPE = ("seq", "id", "stream", "version", "type", "schema", "occurred_at", "recorded_at",
            "source", "key", "batch", "data", "hash")


@dataclass
class Raw:
    """A payload as the bytes that go in the line (so an untouched one stays byte for byte)."""

    data: bytes


Line = dict[str, Any] | bytes  # an envelope (data as Raw), or a line that is not one


def parse(line: bytes) -> dict[str, Any]:
    envelope = json.loads(line)
    start = line.index(b'"data":') + len(b'"data":')
    end = line.rindex(b',"hash":')  # (export writes hash last, after data)
    envelope["data"] = Raw(line[start:end])
    return envelope


def serialize(line: Line, ascii_only: bool) -> bytes:
    if isinstance(line, bytes):
        return line
    parts = []
    for name, value in line.items():
        if isinstance(value, Raw):
            encoded = value.data
        else:
            encoded = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        parts.append(json.dumps(name).encode() + b":" + encoded)
    return b"{" + b",".join(parts) + b"}"


def _field(value: Any) -> str:
    """A field as the hash covers it (a field of the wrong type is refused before hashing)."""
    if isinstance(value, Raw):
        return value.data.decode("utf-8", "replace")
    return value if isinstance(value, str) else json.dumps(value)


def rechain(lines: list[Line]) -> None:
    """Recompute seq and hash the way `export jsonl` does, so only the content is judged."""
    previous = ""
    seq = 0
    for line in lines:
        if isinstance(line, bytes) or "hash" not in line:
            continue
        seq += 1
        line["seq"] = seq
        previous = line["hash"] = chain_hash(previous, (
            _field(line.get("id")), _field(line.get("stream")), str(line.get("version")),
            _field(line.get("type")), str(line.get("schema", 1)), _field(line.get("occurred_at")),
            _field(line.get("recorded_at")), _field(line.get("source")),
            _field(line.get("key") or ""), _field(line.get("batch") or ""),
            _field(line.get("data"))))


# A mutation is a function of the lines and a few drawn values; st.builds draws them.
Mutation = Callable[[list[Line]], None]


def _pick(lines: list[Line], at: int) -> dict[str, Any] | None:
    envelopes = [line for line in lines if isinstance(line, dict)]
    return envelopes[at % len(envelopes)] if envelopes else None


def set_field(at: int, name: str, value: Any) -> Mutation:
    def mutate(lines: list[Line]) -> None:
        if (line := _pick(lines, at)) is not None:
            line[name] = value
    return mutate


def drop_field(at: int, name: str) -> Mutation:
    def mutate(lines: list[Line]) -> None:
        if (line := _pick(lines, at)) is not None:
            line.pop(name, None)
    return mutate


def copy_field(at: int, source: int, name: str) -> Mutation:
    """A field taken from another line: duplicate ids, another type's payload, ..."""
    def mutate(lines: list[Line]) -> None:
        line, other = _pick(lines, at), _pick(lines, source)
        if line is not None and other is not None and name in other:
            line[name] = other[name]
    return mutate


def set_payload(at: int, key: str, value: Any, drop: bool) -> Mutation:
    """Change (or remove) one payload field, or replace a payload that is not an object."""
    def mutate(lines: list[Line]) -> None:
        line = _pick(lines, at)
        if line is None or not isinstance(line.get("data"), Raw):
            return
        try:
            payload = json.loads(line["data"].data)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            payload = {}
        if drop:
            payload.pop(key, None)
        else:
            payload[key] = value
        line["data"] = Raw(json.dumps(payload, ensure_ascii=False).encode("utf-8",
                                                                            "surrogatepass"))
    return mutate


def raw_payload(at: int, data: bytes) -> Mutation:
    def mutate(lines: list[Line]) -> None:
        if (line := _pick(lines, at)) is not None:
            line["data"] = Raw(data)
    return mutate


def insert_line(at: int, content: bytes) -> Mutation:
    def mutate(lines: list[Line]) -> None:
        lines.insert(at % (len(lines) + 1), content)
    return mutate


def duplicate_line(at: int) -> Mutation:
    def mutate(lines: list[Line]) -> None:
        if (line := _pick(lines, at)) is not None:
            lines.insert(at % (len(lines) + 1), dict(line))
    return mutate


def drop_line(at: int) -> Mutation:
    def mutate(lines: list[Line]) -> None:
        if lines:
            del lines[at % len(lines)]
    return mutate


def swap_lines(a: int, b: int) -> Mutation:
    def mutate(lines: list[Line]) -> None:
        if lines:
            i, j = a % len(lines), b % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
    return mutate


# Payloads that decode, pointing at another line's event (ref) or contact (slug), so a
# rechained file gets past every check and tests what the views make of it: merges into
# oneself or in a circle, retractions of retractions, answers to a note, far-out dates.
POINTED: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "contact.merged": lambda ref, slug: {"into": slug},
    "event.retracted": lambda ref, slug: {"target": ref},
    "commitment.done": lambda ref, slug: {"commitment": ref},
    "request.answered": lambda ref, slug: {"answer": "declined", "request": ref},
    "meeting.held": lambda ref, slug: {"meeting": ref, "minutes": 1440, "takeaways": [ref]},
    "meeting.cancelled": lambda ref, slug: {"meeting": ref, "sequence": 1_000_000},
    "referral.made": lambda ref, slug: {"contact": slug, "name": slug},
    "contact.added": lambda ref, slug: {"name": "", "referred_by": slug, "tags": [""] * 200},
    "contact.updated": lambda ref, slug: {"referred_by": slug, "name": "", "email": None},
    "cadence.set": lambda ref, slug: {"days": 3650},
    "meeting.scheduled": lambda ref, slug: {"at": "2200-12-31T23:59:59Z", "minutes": 1440},
    "commitment.made": lambda ref, slug: {"text": "", "due": "1900-01-01T00:00:00Z",
                                          "meeting": ref},
    "note.added": lambda ref, slug: {"text": "\x00\x1b[2J\u202e"},
    "x.plugin": lambda ref, slug: {"anything": [ref, slug]},
}


def pointed(at: int, kind: str, source: int) -> Mutation:
    """Make a line an event of ``kind`` that points at another line's event or contact."""
    def mutate(lines: list[Line]) -> None:
        line, other = _pick(lines, at), _pick(lines, source)
        if line is None or other is None:
            return
        ref, stream = str(other.get("id")), str(other.get("stream"))
        line["type"] = kind
        line["data"] = Raw(json.dumps(POINTED[kind](ref, stream.partition(":")[2])).encode())
    return mutate


def drop_every_hash() -> Mutation:
    def mutate(lines: list[Line]) -> None:
        for line in lines:
            if isinstance(line, dict):
                line.pop("hash", None)
    return mutate


index = st.integers(0, 200)
huge = st.sampled_from([1000, 256 * 1024 - 40, 256 * 1024 + 1, 2 * 1024 * 1024])
binary = st.binary(max_size=40) | st.sampled_from(
    [b"{", b"[]", b"null", b"{}", b"42", b'"x"', b"\xff\xfe\x00", b'{"id": 1}',
     b'{"id":"\\ud800"}', b"\x00" * 8, b"[" * 500 + b"]" * 500, b"[" * 5000 + b"]" * 5000,
     b'{"a":' * 300 + b"1" + b"}" * 300, b"{" * 10_000, b"[" * 100_000])
payload_value = junk | st.sampled_from(TIMES) | huge.map(lambda n: "x" * n)
mutation = st.one_of(
    st.builds(set_field, index, st.sampled_from(ENVELOPE), junk),
    st.builds(set_field, index, st.sampled_from(["occurred_at", "recorded_at"]),
              st.sampled_from(TIMES)),
    st.builds(set_field, index, st.just("type"), st.sampled_from(TYPES)),
    st.builds(set_field, index, st.just("schema"),
              st.sampled_from([0, -1, 2, 99, 2**63, None, "1", 1.0])),
    st.builds(set_field, index, st.just("hash"), st.sampled_from(["", "0" * 64, "x"]) | text),
    st.builds(drop_field, index, st.sampled_from(ENVELOPE)),
    st.builds(copy_field, index, index, st.sampled_from(["id", "data", "type", "stream", "key",
                                                         "batch", "hash"])),
    st.builds(set_payload, index, st.sampled_from(PAYLOAD_FIELDS) | text, payload_value,
              st.booleans()),
    st.builds(raw_payload, index, junk.map(lambda v: json.dumps(v).encode()) | binary
              | huge.map(lambda n: b'{"text":"' + b"y" * n + b'"}')),
    st.builds(insert_line, index, binary | text.map(lambda t: t.encode("utf-8",
                                                                         "surrogatepass"))),
    st.builds(duplicate_line, index),
    st.builds(drop_line, index),
    st.builds(swap_lines, index, index),
    st.builds(drop_every_hash),
    st.builds(pointed, index, st.sampled_from(sorted(POINTED)), index),
    st.builds(pointed, index, st.sampled_from(sorted(POINTED)), index),
)


def _why(err: str) -> str:
    """The kind of refusal, for hypothesis' statistics (--hypothesis-show-statistics)."""
    message = err.partition(": line ")[2].partition(": ")[2] or err
    return " ".join(message.split()[:4])[:40]


def check_import(templates: Templates, target: str, mutations: list[Mutation],
                 chained: bool, ascii_only: bool, dry_run: bool = False) -> None:
    lines: list[Line] = [parse(line) for line in templates.export]
    for mutate in mutations:
        mutate(lines)
    if chained:
        rechain(lines)
    run = templates.copy(target)
    try:
        path = run.home / "fuzz.jsonl"
        path.write_bytes(b"\n".join(serialize(line, ascii_only) for line in lines) + b"\n")
        if dry_run:
            before = snapshot(run)
            result = attempt(run, "import", "jsonl", "--dry-run", str(path))
            assert snapshot(run) == before, "a dry run changed the log"
        else:
            result = attempt(run, "import", "jsonl", str(path))
        note(f"import exit {result.code}: {_why(result.err)}")
        if result.code == 0:
            reads_still_work(run, templates)
        else:  # (the log is as it was: the template's, which verifies clean)
            run.run("contacts")
            run.run("verify")
    finally:
        cleanup(run)


targets = st.sampled_from(["full", "other", "empty"])
mutations = st.lists(mutation, min_size=1, max_size=4)
dry_runs = st.sampled_from([False, False, False, True])


@pytest.mark.slow
@fuzz(150)
@given(target=targets, mutations=mutations, ascii_only=st.booleans(), dry_run=dry_runs)
def test_import_jsonl_of_a_mutated_export(templates: Templates, target: str,
                                          mutations: list[Mutation], ascii_only: bool,
                                          dry_run: bool) -> None:
    """The chain as exported: most mutations are caught by the hash check."""
    check_import(templates, target, mutations, False, ascii_only, dry_run)


@pytest.mark.slow
@fuzz(150)
@given(target=targets, mutations=mutations, ascii_only=st.booleans(), dry_run=dry_runs)
def test_import_jsonl_of_a_mutated_export_rechained(templates: Templates, target: str,
                                                    mutations: list[Mutation],
                                                    ascii_only: bool, dry_run: bool) -> None:
    """The chain recomputed after the mutation, so the content itself is judged."""
    check_import(templates, target, mutations, True, ascii_only, dry_run)


def test_the_untouched_export_imports_everywhere(templates: Templates) -> None:
    """The baseline the mutations start from is itself importable."""
    for target in ("full", "other", "empty"):
        check_import(templates, target, [], chained=False, ascii_only=False)


DEEP = b"[" * 1000 + b"]" * 1000


@pytest.mark.parametrize("where", ["alone", "in an exported line"])
def test_deep_nesting_is_refused(templates: Templates, where: str) -> None:
    """Found by this fuzzer: JSON nested deeper than the decoder's recursion limit
    raised RecursionError (a traceback) instead of a one-line refusal."""
    line = templates.export[0]
    if where == "alone":
        line = b'{"data":' + DEEP + b"}"
    else:
        line = line.replace(b'"data":{', b'"data":' + DEEP[:-1] + b'{', 1)
    run = templates.copy("full")
    try:
        path = run.home / "deep.jsonl"
        path.write_bytes(line + b"\n")
        assert attempt(run, "import", "jsonl", str(path)).code == 1
    finally:
        cleanup(run)


def test_merging_an_edited_contact_keeps_the_views_working(templates: Templates) -> None:
    """Found by this fuzzer: merging a contact that had an edit leaving its tags alone
    made every fold raise TypeError (the edit's tags were UNSET), so contacts, due, show
    and even undo failed from then on."""
    run = templates.copy("empty")
    try:
        for args in (("add", "Jane Doe"), ("add", "Dan Brown"), ("edit", "dan", "--role", "CTO"),
                     ("merge", "jane", "dan")):
            attempt(run, *args)
        reads_still_work(run, templates)
    finally:
        cleanup(run)


# -- recording commands -----------------------------------------------------------------------

# argv cannot hold NUL; anything else a shell can pass may come in.
arg_text = st.text(st.characters(exclude_characters="\x00"), max_size=40)
LONG = ["x" * 2000, "x" * 25_000, "line\nbreak", "tab\there", "\x1b[2J", "\u202eevil", "😀" * 50,
        "", " ", "-", "--", "-x", "--json", "{{ name }}", "%s%n", "Robert'); DROP TABLE events;--"]
# Mostly text a person would type, so that commands get past the first check.
plain = st.text("abcdefghij XYZ.,'-éü李😀0123", min_size=1, max_size=30)
words = st.one_of(plain, plain, st.sampled_from(LONG), arg_text)
CONTACTS = ["Jane Doe", "jane", "jane-doe", "JANE DOE", "carol", "Carol King", "dan", "bob",
            "bob-smith", "erin", "Erin Hill", "jane-d", "a", "e", "Nobody", "李", "%", "_",
            "jane%", "'", '"']
contact = st.one_of(st.sampled_from(CONTACTS), st.sampled_from(CONTACTS), words)
DATES = ["2026-11-28", "2026-11-28T10:00", "2026-11-28T10:00+02:00", "2026-11-28T10:00:00Z",
         "2026-11-28T10:00:00.123456-11:30", "2026-10-01", "today", "tomorrow", "yesterday",
         "now", "monday", "Sunday", "+3d", "-2w", "+5m", "-1h", "+0d", "1900-01-01",
         "1900-01-01T00:00:00Z", "2200-12-31", "2200-12-31T23:59:59Z"]
BAD_DATES = ["+99999w", "-99999d", "+1000000d", "1899-12-31", "2201-01-01", "9999-12-31",
             "0001-01-01", "2026-02-30", "9999-99-99T99:99:99Z", "2026-13-45", "20261128",
             "2026-W48", "next fryday", "", " ", "+3", "3d", "2026-11-28T25:00", "1e9"]
date = st.one_of(st.sampled_from(DATES), st.sampled_from(DATES), st.sampled_from(BAD_DATES),
                 words)
count = st.integers(-5, 4000).map(str) | st.integers().map(str) | st.sampled_from(
    ["0", "-1", "1", "30", "1440", "1441", "3650", "3651", "99999999999999999999", "1e3",
     "abc", "", " 5"])
CHANNELS = ["email", "linkedin", "phone", "in-person", "video", "pigeon", ""]


def options(*pairs: tuple[str, st.SearchStrategy[str] | None]) -> st.SearchStrategy[list[str]]:
    """Some of the given options (a flag when its strategy is None), in any order, repeated."""
    choices = [st.just([flag]) if values is None else values.map(lambda v, f=flag: [f, v])
               for flag, values in pairs]
    return st.lists(st.one_of(*choices), max_size=3).map(lambda xs: [a for x in xs for a in x])


def command(name: str, *positional: st.SearchStrategy[str],
            opts: tuple[tuple[str, st.SearchStrategy[str] | None], ...] = ()
            ) -> st.SearchStrategy[list[str]]:
    common = (("--on", date), ("--json", None))
    return st.tuples(*positional, options(*opts, *common)).map(
        lambda parts: [name, *parts[:-1], *parts[-1]])


def recording(ids: list[str]) -> st.SearchStrategy[list[str]]:
    an_id = st.sampled_from(ids) | st.sampled_from(["", "0123456789", "ffffffff", "0"]) | words
    delivery = (("--via", st.sampled_from(CHANNELS) | words),
                ("--template", st.sampled_from(["ask", "thank", "checkin", "nope"]) | words),
                ("--draft", None), ("--send", None))
    details = (("--company", words), ("--role", words), ("--email", words
               | st.sampled_from(["bob@example.com", "a@b", "x@y.z\nBcc: e@vil"])),
               ("--linkedin", words), ("--phone", words), ("--how-met", words),
               ("--referred-by", contact), ("--tag", words))
    return st.one_of(
        command("add", words, opts=details),
        command("ask", contact, opts=delivery),
        command("answer", contact, st.sampled_from(["accepted", "declined"]) | words),
        command("schedule", contact, opts=(("--at", date), ("--minutes", count),
                                           ("--where", words))),
        command("cancel", contact, opts=(("--reason", words),)),
        command("met", contact, opts=(("--notes", words), ("--takeaway", words),
                                      ("--referral", words), ("--commitment", words),
                                      ("--due", date), ("--minutes", count))),
        command("thank", contact, opts=delivery),
        command("checkin", contact, opts=(*delivery, ("--note", words))),
        command("refer", contact, words, opts=(("--company", words), ("--role", words),
                                               ("--email", words), ("--note", words))),
        command("commit", contact, words, opts=(("--due", date),)),
        command("done", an_id),
        command("note", contact, words),
        command("cadence", contact, count),
        command("edit", contact, opts=(("--name", words), *details, ("--no-tags", None))),
        command("archive", contact, opts=(("--reason", words),)),
        command("merge", contact, contact),
        command("undo", opts=(("--batch", an_id),)),
        command("undo", an_id),
    )


@pytest.mark.slow
@fuzz(100)
@given(data=st.data())
def test_recording_commands_with_random_arguments(templates: Templates,
                                                  data: st.DataObject) -> None:
    """A few recording commands with random arguments, each accepted or refused cleanly."""
    commands = data.draw(st.lists(recording(templates.ids), min_size=1, max_size=6))
    run = templates.copy("full")
    # Mostly the template's own day; sometimes the clock at either end of the window.
    run.now = data.draw(st.sampled_from([run.now] * 4 + ["1900-01-02T00:00:00Z",
                                                        "2200-12-30T23:00:00Z"]))
    try:
        for args in commands:
            result = attempt(run, *args, codes=(0, 1, 2))
            note(f"{args[0]} exit {result.code}")
        reads_still_work(run, templates)
    finally:
        cleanup(run)
