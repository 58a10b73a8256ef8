"""What ``verify`` checks, and the head: the store's last event, remembered outside it.

The log guards itself three ways, and this module checks all three:

- SQLite's own ``integrity_check``, and the triggers that refuse UPDATE and
  DELETE on events (a store whose triggers were dropped is reported);
- the hash chain: each event's hash covers its content and the previous hash,
  so a changed or removed event in the middle breaks every hash after it;
- the **head**: after each commit that adds events, the last seq and hash are
  written to a small file beside the store (``coffeechat.db.head``). Deleting
  the newest events, or truncating or replacing the store with an older copy,
  leaves the store behind its head, and verify says so; a missing or empty
  store file where a head says a store was is refused when opened.

None of this is a signature: the chain is unkeyed, so whoever can write the
store and its head can rewrite both consistently. It catches accidents
(a sync tool restoring an old copy, a truncated file) and casual tampering.
Every event is checked with :func:`coffeechat.usable.event_problem`: an event
this version cannot use is left out of every projection, and reported here.
Finally, a table coffeechat keeps beside the log (its bookkeeping, or a built-in
projection's) that has gone missing is reported: nothing is lost, since the
projector recreates it from the log on the next command, but only something
other than coffeechat removes one.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, NamedTuple

import msgspec

if TYPE_CHECKING:
    import apsw

TRIGGERS = ("events_no_update", "events_no_delete")
HEAD_SUFFIX = ".head"
MAX_PROBLEMS = 20


class Head(msgspec.Struct):
    """The last event a store was seen to hold."""

    seq: int
    hash: str


class VerifyReport(msgspec.Struct, frozen=True):
    """What :meth:`coffeechat.store.Store.verify` found (``notes`` are not problems)."""

    events: int
    problems: list[str]
    notes: list[str] = []

    @property
    def ok(self) -> bool:
        return not self.problems


def head_path(store_path: str) -> str:
    return store_path + HEAD_SUFFIX


HEAD_BYTES = 160  # a head is written as one fixed-size record, padded with spaces


def _decode_head(data: bytes) -> Head | None:
    try:
        return msgspec.json.decode(data, type=Head)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _encode_head(head: Head) -> bytes:
    return msgspec.json.encode(head).ljust(HEAD_BYTES)


def read_head(store_path: str) -> Head | None:
    """The head remembered for the store at ``store_path`` (None: none, or unreadable)."""
    try:
        with open(head_path(store_path), "rb") as file:
            return _decode_head(file.read(HEAD_BYTES))
    except OSError:
        return None


class HeadFile:
    """The head of one open store, kept open so each commit costs a read and a write.

    Best effort: a folder that cannot be written only loses the evidence, and a
    head torn by a crash reads as none. The head only moves forward: a writer
    that finds a later head (another process's, or one the store fell behind)
    leaves it.
    """

    def __init__(self, store_path: str) -> None:
        self.path = head_path(store_path)
        self.fd: int | None = None

    def remember(self, seq: int, last_hash: str) -> None:
        """Write (seq, last_hash) as the head, unless the head already says later."""
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            known = _decode_head(os.pread(self.fd, HEAD_BYTES, 0))
            if known is not None and known.seq >= seq:
                return
            os.pwrite(self.fd, _encode_head(Head(seq, last_hash)), 0)
        except OSError:
            pass

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def reset_head(store_path: str, head: Head | None) -> None:
    """Forget what was remembered and start from ``head`` (after restoring a backup)."""
    from coffeechat.files import replace_file

    if head is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(head_path(store_path))
        return
    replace_file(head_path(store_path), _encode_head(head))


NO_HEAD_YET = ("no head beside the store yet (a store from an older version, or a copy "
               "made without it): the next event recorded writes it")


def check_head(db: apsw.Connection, store_path: str) -> tuple[list[str], list[str]]:
    """(problems, notes) about the store against its remembered head."""
    try:
        with open(head_path(store_path), "rb") as file:
            raw = file.read(HEAD_BYTES + 1)
    except FileNotFoundError:
        return [], [NO_HEAD_YET]
    except OSError as error:
        return [f"the head beside the store cannot be read ({error.strerror})"], []
    head = _decode_head(raw[:HEAD_BYTES]) if len(raw) <= HEAD_BYTES else None
    if head is None:
        return [f"the head beside the store cannot be read ({head_path(store_path)} was "
                "changed or damaged); if you know why, run `coffeechat verify --reset-head`"
                ], []
    row = db.execute("SELECT hash FROM events WHERE seq = ?", (head.seq,)).fetchone()
    if row is None:
        last = db.execute("SELECT coalesce(max(seq), 0) FROM events").get
        return [f"the store ends at seq {last}, but it held {head.seq} events before "
                "(the newest were removed, or an older copy replaced the store); "
                "if you restored a backup on purpose, run `coffeechat verify --reset-head`"
                ], []
    if row[0] != head.hash:
        return [f"the event at seq {head.seq} is not the one the store held before "
                "(its history was rewritten); if you restored a backup on purpose, "
                "run `coffeechat verify --reset-head`"], []
    return [], []


def missing_triggers(db: apsw.Connection) -> list[str]:
    present = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")}
    return [f"the trigger {name} is gone: the events table is no longer append-only"
            for name in TRIGGERS if name not in present]


def missing_tables(db: apsw.Connection) -> list[str]:
    """A problem for each bookkeeping or built-in projection table that is gone."""
    from coffeechat.projections import SHADOWS, VERSIONS
    from coffeechat.store import missing_bookkeeping, table_names

    present = table_names(db)
    gone = [(name, "coffeechat's bookkeeping") for name in missing_bookkeeping(present)]
    if "projections" in present:  # (a projection never built yet has no table to miss)
        built = {row[0] for row in db.execute("SELECT name FROM projections")}
        gone += [(name, "a view derived from the log") for name in VERSIONS
                 if name in built and name not in present]
        gone += [(table, f"part of the {name} view") for name, tables in SHADOWS.items()
                 if name in built and name in present for table in tables
                 if table not in present]
    return [f"the table {name} is missing ({what}: nothing is lost); the next command, or "
            "`coffeechat rebuild`, recreates it" for name, what in gone]


class _Chain(NamedTuple):
    events: int  # how many the chain holds
    problems: list[str]
    unusable: list[tuple[str, str, str]]  # (seq, id, what is wrong)


def _walk(db: apsw.Connection) -> _Chain:
    """Seq continuity, the hash chain and usability of every event, in one scan."""
    from coffeechat.chain import event_hash
    from coffeechat.usable import event_problem

    problems: list[str] = []
    unusable: list[tuple[str, str, str]] = []
    previous = ""
    expected_seq = count = 0
    for row in db.execute(
        "SELECT seq, id, stream, version, type, schema, occurred_at, recorded_at, source, "
        "key, batch, data, hash FROM events ORDER BY seq"
    ):
        count += 1
        expected_seq += 1
        seq = row[0]
        if seq != expected_seq:
            problems.append(f"seq {seq}: expected seq {expected_seq} (a gap in the log)")
            expected_seq = seq
        if event_hash(previous, *row[1:12]) != row[12]:
            problems.append(f"seq {seq} (event {row[1]}): hash does not match its content")
        previous = row[12]
        problem = event_problem(str(row[4]), row[5], row[6], row[11] or "")
        if problem is not None:
            unusable.append((str(seq), str(row[1]), problem))
        if len(problems) >= MAX_PROBLEMS:
            problems.append(f"stopped after {MAX_PROBLEMS} problems")
            break
    return _Chain(count, problems, unusable)


def verify(db: apsw.Connection, store_path: str | None) -> VerifyReport:
    """Everything ``coffeechat verify`` checks (see the module docs)."""
    import apsw

    missing = missing_tables(db)
    try:
        problems = [f"integrity_check: {row[0]}" for row in db.execute("PRAGMA integrity_check")
                    if row[0] != "ok"]
    except apsw.SQLError as error:  # (an index missing a table of its own cannot be checked)
        if not missing:
            raise
        problems = [f"integrity_check could not read every table: {error}"]
    problems += missing_triggers(db)
    problems += missing

    chain = _walk(db)
    problems += chain.problems
    if chain.unusable:
        from coffeechat.queries import retracted_everywhere

        undone = retracted_everywhere(db)
        problems += [f"seq {seq} (event {event_id}): this version cannot use it ({problem}); "
                     "it is left out of every projection (undo it with "
                     f"`coffeechat undo {event_id}`)"
                     for seq, event_id, problem in chain.unusable if event_id not in undone]
    notes: list[str] = []
    if store_path is not None and chain.events:
        head_problems, notes = check_head(db, store_path)
        problems += head_problems
    return VerifyReport(events=chain.events, problems=problems, notes=notes)
