"""Review: long random sessions of real commands, the views compared every way we can.

A Hypothesis state machine drives the real CLI in-process (one fresh folder per
example) with commands whose arguments come from small pools, so that they collide
often: a handful of names (namesakes too), two companies, two tags, times before and
after now, the same contact scheduled twice, merges, undo of the last command, of an
older event or of a whole batch, handles taken from ``due --json``, notes written and
deleted for ``watch --once``, settings and time zone changed, and a second device
that records on a copy of the store and syncs through ``export``/``import jsonl``.
The clock only moves forward.

After every step:

1. the projections' rows (contacts, follow-ups, referrals, merges) caught up
   incrementally equal those of a copy of the store after a full ``rebuild``; every
   third step so do the views (``contacts``, ``due --all``, ``today``, ``stats``,
   ``referrals``, ``search``, ``reconnect``, ``show`` of every contact, all
   ``--json``, and ``export ics``);
   nothing is normalised: the copy has the same log, settings and clock;
2. ``verify`` passes;
3. every sixth step: ``export jsonl`` imported into a fresh store gives the same log
   and views; imported into the store itself it adds nothing; shuffled and imported
   without hashes it gives the same views (seq and version aside); and the views
   ``--as-of`` an earlier moment equal what the store showed then;
4. every command exits 0, or 1 with one line on stderr (and the log untouched),
   never with a traceback;
5. the views agree with each other (``show`` against its ``contacts`` row and its
   items in ``due``), an open item keeps its handle, handles are unique, ``done``
   and ``skip`` close what they name, a snooze never brings an item forward, an
   archived contact has no follow-ups, and a command then ``undo`` leaves every
   view as it was.

Runs are derandomized with a modest budget for CI. To hunt:
``STATEFUL_EXAMPLES=500 STATEFUL_STEPS=50 STATEFUL_SHRINK=0 STATEFUL_TRACE=trace.txt``
(fresh random examples each run; ``STATEFUL_FULL_EVERY=1`` compares every view
every step; ``STATEFUL_START=2027-03-08T09:00:00`` starts near a change of daylight
saving time). Bugs found are kept at the end as plain, deterministic tests.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import apsw
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.conftest import InProcessCLI, Result

EXPLORE = int(os.environ.get("STATEFUL_EXAMPLES", "0"))
STEPS = int(os.environ.get("STATEFUL_STEPS", "0"))

# (STATEFUL_START=2027-03-10T09:00:00 starts near a change of daylight saving time)
START = datetime.fromisoformat(os.environ.get("STATEFUL_START", "2026-11-02T09:00:00")
                               ).replace(tzinfo=UTC)

# Small pools, so that commands run into each other.
NAMES = ("Ann Lee", "Bob Ray", "Cy Young", "Di Fox", "Ann Leigh")
REFS = ("ann-lee", "bob-ray", "cy-young", "di-fox", "ann-leigh", "ann", "bob-ray-2")
COMPANIES = ("Acme", "Globex")
TAGS = ("mentor", "peer")
WHEN = ("-3d", "-1d", "-2h", "+2h", "+1d", "+3d", "+2w", "tomorrow", "yesterday")
PAST = ("-3d", "-1d", "-2h", "yesterday", "-5w")
STEP = (timedelta(minutes=7), timedelta(hours=3), timedelta(days=1), timedelta(days=3),
        timedelta(days=8), timedelta(days=40))
# Commands for the rules that run several at once ("@": a contact)
BURST = (
    ("ask", "@"), ("answer", "@", "accepted"), ("schedule", "@", "--at", "+1d"),
    ("met", "@", "--referral", "Di Fox", "--commitment", "send cv"), ("thank", "@"),
    ("checkin", "@", "--on", "-2d"), ("note", "@", "cv"), ("archive", "@"), ("merge", "@", "@"),
    ("edit", "@", "--name", "Bob Ray"), ("edit", "@", "--tag", "mentor", "--birthday", "11-03"),
    ("cancel", "@"), ("add", "Ann Lee"), ("cadence", "@", "7"), ("refer", "@", "Cy Young"),
)
CONFIGS = tuple("[views]\nreport = false\n" + text for text in (
    "",
    "[followups]\ncheckin_days = 30\nnudge_days = 3\n",
    "[keep_in_touch]\nmentor = { ideal = 20, max = 50 }\n",
    "[rules]\nbirthdays = false\n[followups]\nthank_you_hours = 48\n",
))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def settled(result: Result, args: tuple[str, ...]) -> None:
    """Exit 0, or 1 with one line on stderr naming coffeechat; never a traceback.

    (``watch --once`` names each bad note on a line of its own.)
    """
    where = f"coffeechat {' '.join(args)}"
    assert result.code in (0, 1), f"{where} exited {result.code}: {result.err[-2000:]}"
    assert "Traceback" not in result.err + result.out, f"{where}: {result.err[-2000:]}"
    if result.code == 1:
        lines = result.err.splitlines()
        if args[0] == "watch":
            assert lines and all(line.startswith("coffeechat: ") for line in lines), where
            lines = lines[-1:]
        assert len(lines) == 1, f"{where}: stderr is not one line: {result.err[-2000:]}"
        assert lines[0].startswith("coffeechat: "), f"{where}: {lines[0]}"


def log_rows(db: Path) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    except apsw.SQLError:
        return []
    finally:
        conn.close()


# The projections' own tables, compared row for row (search is left to `search`: a
# rebuild only lists what to index, and the first search indexes it).
PROJECTED = {
    "contacts": "SELECT * FROM contacts",
    "followups": "SELECT * FROM followups",
    "referrals": "SELECT * FROM referrals",
    "merges": "SELECT * FROM merges",
}
FULL_EVERY = int(os.environ.get("STATEFUL_FULL_EVERY", "3"))


def copy_store(source: Path, dest: Path) -> None:
    """A consistent copy of the store (its -wal included), by SQLite's backup API."""
    into = apsw.Connection(str(dest))
    try:
        from_ = apsw.Connection(str(source), flags=apsw.SQLITE_OPEN_READONLY)
        try:
            with into.backup("main", from_, "main") as backup:
                backup.step()
        finally:
            from_.close()
    finally:
        into.close()


def projected(db: Path) -> dict[str, Any]:
    """Every row of the projections' tables, in one order."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return {name: sorted(map(repr, conn.execute(sql))) for name, sql in PROJECTED.items()}
    finally:
        conn.close()


def batches_of(db: Path) -> list[str]:
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return [row[0] for row in conn.execute(
            "SELECT DISTINCT batch FROM events WHERE batch IS NOT NULL ORDER BY batch")]
    finally:
        conn.close()


def views(run: InProcessCLI, slugs: list[str], db: Path | None = None,
          as_of: str | None = None) -> dict[str, Any]:
    """Every read view as JSON, from the store at ``db`` (default: the live one)."""
    env = {"COFFEECHAT_DB": str(db)} if db is not None else {}
    extra = ("--as-of", as_of) if as_of else ()

    def read(*args: str) -> Any:
        result = run.run(*args, *extra, "--json", expect=None, **env)
        settled(result, args)
        return result.json() if result.code == 0 else ("refused", result.err.strip())

    got: dict[str, Any] = {
        "contacts": read("contacts"),
        "archived": read("contacts", "--stage", "archived"),
        "due": read("due", "--all"),
        "today": read("today"),
        "stats": read("stats"),
        "referrals": read("referrals"),
        "search": read("search", "cv"),
        "reconnect": read("reconnect"),
    }
    if not as_of:  # (the calendar is always of now)
        calendar = run.run("export", "ics", expect=None, **env)
        settled(calendar, ("export", "ics"))
        got["export ics"] = calendar.out
    if as_of and isinstance(got["stats"], dict):
        got["stats"].pop("as_of", None)  # the echo of the option itself
    for slug in slugs:
        got[f"show {slug}"] = read("show", slug)
    return got


def _open_key(item: dict[str, Any]) -> tuple[Any, ...]:
    """What an open item is (its handle is a hash of this)."""
    return item["contact"], item["kind"], item["event"], item.get("commitment")


def _item_key(item: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(item.get(key)) for key in ("due_at", "name", "kind", "contact", "event",
                                                  "commitment", "handle"))


def unordered(got: dict[str, Any]) -> dict[str, Any]:
    """Views without what the order of arrival decides: the timeline's ``seq`` and
    ``version`` (numbered anew on import) and its order by them."""
    fixed = dict(got)
    for key, value in got.items():
        if key.startswith("show ") and isinstance(value, dict) and "timeline" in value:
            timeline = [{k: v for k, v in entry.items() if k not in ("seq", "version")}
                        for entry in value["timeline"]]
            fixed[key] = {**value, "timeline": sorted(timeline, key=lambda e: e["id"])}
    return fixed


def first_difference(a: Any, b: Any, path: str = "", whole: tuple[Any, Any] = ()) -> str:
    """Where two JSON values first differ, for a readable failure."""
    whole = whole or (a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key, "<missing>") != b.get(key, "<missing>"):
                return first_difference(a.get(key, "<missing>"), b.get(key, "<missing>"),
                                        f"{path}.{key}", whole)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items against {len(b)}:\n  {a}\n  {b}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]", whole)
    return f"{path}: {a!r}\n  against {b!r}\n  (in {whole[0]!r}\n  against {whole[1]!r})"


def assert_same(expected: dict[str, Any], got: dict[str, Any], what: str,
                history: list[str]) -> None:
    for key in expected.keys() | got.keys():
        if expected.get(key) != got.get(key):
            steps = "\n".join(history[-40:])
            raise AssertionError(
                f"{what}: `{key}` differs at {first_difference(expected.get(key), got.get(key))}"
                f"\nlast commands:\n{steps}")


class ZonedCLI(InProcessCLI):
    """The in-process CLI in a time zone of the test's choosing (TZ)."""

    zone = "UTC"

    def env(self, **extra: str) -> dict[str, str]:
        return super().env(**{"TZ": self.zone, **extra})


ZONES = ("UTC", "America/New_York", "Asia/Kolkata")


class Session(RuleBasedStateMachine):
    """One user's random session against one fresh store."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="stateful-"))
        (self.folder / "home").mkdir()
        self.run = ZonedCLI(self.folder / "home")
        self.now = START
        self.run.now = stamp(self.now)
        self.commitments: list[str] = []
        self.steps = 0
        self.history: list[str] = []
        self.seen: dict[str, dict[str, Any]] = {}  # moment -> the live views then
        self.copies = 0
        (self.run.home / "config.toml").write_text(CONFIGS[0])  # (watch: no report.html)
        self.undoable = 0  # roughly: commands recorded and not undone since
        self.device: InProcessCLI | None = None
        self.handles: dict[tuple[Any, ...], str] = {}  # open item -> its handle

    def teardown(self) -> None:
        if os.environ.get("STATEFUL_TRACE"):
            with open(os.environ["STATEFUL_TRACE"], "a") as trace:
                trace.write("\n".join(["== example", *self.history, ""]))
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- running commands ---------------------------------------------------------------

    def cli(self, *args: str, where: InProcessCLI | None = None) -> Result:
        """A recording command: settled, the log untouched when refused."""
        run = where or self.run
        before = log_rows(run.db)
        result = run.run(*args, "--json", expect=None)
        self.history.append(f"[{run.now}]{' (device)' if where else ''} {' '.join(args)} "
                            f"-> {result.code}" + (f" {result.err.strip()}" if result.code else ""))
        settled(result, args)
        if (result.code == 0 or args[0] == "watch") and where is None:
            self.seen.pop(self.run.now, None)  # what was seen at this moment is not final
            self.undoable += 1
            for event in result.json().get("recorded", []):
                if isinstance(event, dict) and event["type"] == "commitment.made":
                    self.commitments.append(event["id"])
        elif result.code != 0 and args[0] != "watch":  # (watch records the good notes)
            assert log_rows(run.db) == before, f"{args!r} was refused but changed the log"
        return result

    def who(self, data: st.DataObject, label: str = "contact") -> str:
        """Mostly a contact the log has (or a short form of one); sometimes one it has not."""
        known = self.slugs()
        pool = [*known, *(slug.split("-")[0] for slug in known)] if known else list(REFS)
        if data.draw(st.integers(0, 5), label=f"{label}: one it has not") == 5:
            pool = list(REFS)
        return data.draw(st.sampled_from(pool), label=label)

    def advance(self, data: st.DataObject) -> None:
        """Time passes between commands (often not at all: the same second)."""
        step = data.draw(st.sampled_from((timedelta(0), timedelta(0), *STEP[:4])), label="wait")
        if step:
            self.now += step
            self.run.now = stamp(self.now)

    def slugs(self) -> list[str]:
        """Every contact the log names, merged-away ones too."""
        found = {row[2].removeprefix("contact:") for row in log_rows(self.run.db)
                 if row[2].startswith("contact:")}
        return sorted(found)

    # -- the clock -----------------------------------------------------------------------

    @rule(step=st.sampled_from(STEP))
    def tick(self, step: timedelta) -> None:
        self.now += step
        self.run.now = stamp(self.now)
        self.history.append(f"(clock: {self.run.now})")

    # -- recording ----------------------------------------------------------------------

    @initialize(names=st.lists(st.sampled_from(NAMES), min_size=2, max_size=3))
    def first_contacts(self, names: list[str]) -> None:
        for name in names:
            self.cli("add", name)

    @rule(data=st.data(), name=st.sampled_from(NAMES),
          company=st.sampled_from((None, *COMPANIES)), tag=st.sampled_from((None, *TAGS)),
          birthday=st.sampled_from((None, "11-05", "1990-12-01")),
          on=st.sampled_from((None, *PAST)))
    def add(self, data: st.DataObject, name: str, company: str | None, tag: str | None,
            birthday: str | None, on: str | None) -> None:
        self.advance(data)
        args = ["add", name]
        for option, value in (("--company", company), ("--tag", tag), ("--birthday", birthday),
                              ("--on", on)):
            if value is not None:
                args += [option, value]
        self.cli(*args)

    @rule(data=st.data(), change=st.sampled_from((
        ("--company", "Globex"), ("--company", ""), ("--tag", "mentor"), ("--no-tags",),
        ("--name", "Ann Lee"), ("--name", "Eve Stone"), ("--birthday", ""),
        ("--birthday", "11-20"), ("--referred-by", "bob-ray"))))
    def edit(self, data: st.DataObject, change: tuple[str, ...]) -> None:
        self.advance(data)
        self.cli("edit", self.who(data), *change)

    @rule(data=st.data(), via=st.sampled_from(("email", "linkedin")),
          on=st.sampled_from((None, None, *PAST)))
    def ask(self, data: st.DataObject, via: str, on: str | None) -> None:
        self.advance(data)
        self.cli("ask", self.who(data), "--via", via, *(("--on", on) if on else ()))

    @rule(data=st.data(), answer=st.sampled_from(("accepted", "accepted", "declined")))
    def answer(self, data: st.DataObject, answer: str) -> None:
        self.advance(data)
        self.cli("answer", self.who(data), answer)

    @rule(data=st.data(), at=st.sampled_from(WHEN))
    def schedule(self, data: st.DataObject, at: str) -> None:
        self.advance(data)
        self.cli("schedule", self.who(data), "--at", at)

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self.advance(data)
        self.cli("cancel", self.who(data))

    @rule(data=st.data(), commitment=st.sampled_from((None, "send cv")),
          due=st.sampled_from((None, "+2d", "yesterday")),
          referral=st.sampled_from((None, *NAMES)), on=st.sampled_from((None, None, *PAST)))
    def met(self, data: st.DataObject, commitment: str | None, due: str | None,
            referral: str | None, on: str | None) -> None:
        self.advance(data)
        args = ["met", self.who(data), "--notes", "talked about cv"]
        if commitment:
            args += ["--commitment", commitment]
            if due:
                args += ["--due", due]
        if referral:
            args += ["--referral", referral]
        if on:
            args += ["--on", on]
        self.cli(*args)

    @rule(data=st.data(), on=st.sampled_from((None, None, *PAST)))
    def thank(self, data: st.DataObject, on: str | None) -> None:
        self.advance(data)
        self.cli("thank", self.who(data), *(("--on", on) if on else ()))

    @rule(data=st.data(), on=st.sampled_from((None, None, *PAST)))
    def checkin(self, data: st.DataObject, on: str | None) -> None:
        self.advance(data)
        self.cli("checkin", self.who(data), *(("--on", on) if on else ()))

    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def refer(self, data: st.DataObject, name: str) -> None:
        self.advance(data)
        self.cli("refer", self.who(data), name)

    @rule(data=st.data(), due=st.sampled_from((None, "+1d", "-1d")))
    def commit(self, data: st.DataObject, due: str | None) -> None:
        self.advance(data)
        self.cli("commit", self.who(data), "intro cv", *(("--due", due) if due else ()))

    @rule(data=st.data(), days=st.sampled_from(("7", "30")))
    def cadence(self, data: st.DataObject, days: str) -> None:
        self.advance(data)
        self.cli("cadence", self.who(data), days)

    @rule(data=st.data())
    def note(self, data: st.DataObject) -> None:
        self.advance(data)
        self.cli("note", self.who(data), "cv sent")

    @rule(data=st.data())
    def archive(self, data: st.DataObject) -> None:
        self.advance(data)
        self.cli("archive", self.who(data))

    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        self.advance(data)
        self.cli("merge", self.who(data, "kept"), self.who(data, "merged"))

    @rule(data=st.data(), action=st.sampled_from(("done", "skip", "snooze")),
          on=st.sampled_from((None, "-1h")))
    def close(self, data: st.DataObject, action: str, on: str | None) -> None:
        self.advance(data)
        items = self.run.json("due", "--all")
        if not items:
            return
        item = data.draw(st.sampled_from(items), label="item")
        args = [action, item["handle"]]
        if action == "snooze":
            args.append(data.draw(st.sampled_from(("+2d", "tomorrow", "+5w")), label="until"))
        if on:
            args += ["--on", on]
        if self.cli(*args).code != 0:
            return
        # Closed: no longer open as it was (a check-in or birthday comes round again).
        # Snoozed: open, due at DATE or its own due time if that is later
        # (docs/events.md): never before DATE (and the latest snooze counts, so one to
        # an earlier DATE than a snooze before it moves the item earlier).
        key = _open_key(item)
        after = [i for i in self.run.json("due", "--all") if _open_key(i) == key]
        if action == "snooze":
            until = self.run.json("log", "--type", "followup.snoozed")[-1]["data"]["until"]
            assert after and all(i["due_at"] >= until for i in after), (
                f"{' '.join(args)}: {item} is now {after}\n" + "\n".join(self.history[-20:]))
        else:
            assert all(i["due_at"] != item["due_at"] for i in after), (
                f"{' '.join(args)} left {item} open as it was: {after}\n"
                + "\n".join(self.history[-20:]))

    @precondition(lambda self: self.commitments)
    @rule(data=st.data())
    def commitment_done(self, data: st.DataObject) -> None:
        self.cli("done", data.draw(st.sampled_from(self.commitments), label="commitment"))

    @precondition(lambda self: self.undoable > 0)
    @rule(data=st.data())
    def undo_last(self, data: st.DataObject) -> None:
        self.advance(data)
        if self.cli("undo").code == 0:
            self.undoable -= 2  # (the undo itself counted one)

    @precondition(lambda self: self.run.db.exists())
    @rule(data=st.data(), on=st.sampled_from((None, None, "-1d")))
    def undo_event(self, data: st.DataObject, on: str | None) -> None:
        """Retract an older event (a retraction too: that brings its event back),
        sometimes back-dated before it."""
        self.advance(data)
        rows = log_rows(self.run.db)
        if data.draw(st.booleans(), label="a whole batch"):
            batches = batches_of(self.run.db)
            if batches:
                self.cli("undo", "--batch", data.draw(st.sampled_from(batches), label="batch"))
                return
        event = data.draw(st.sampled_from([row[1] for row in rows]), label="event")
        self.cli("undo", event, *(("--on", on) if on else ()))

    @rule(data=st.data(), commands=st.lists(st.sampled_from((*BURST, ("undo",))),
                                            min_size=2, max_size=6))
    def burst(self, data: st.DataObject, commands: list[tuple[str, ...]]) -> None:
        """Several commands with no read between them: one catch-up takes them all."""
        for command in commands:
            self.advance(data)
            self.cli(*[self.who(data) if arg == "@" else arg for arg in command])

    @rule(data=st.data(), command=st.sampled_from(BURST))
    def do_and_undo(self, data: st.DataObject, command: tuple[str, ...]) -> None:
        """A command then ``undo``, in the same second: the views are as they were
        (undo is exact), the timelines aside (they show the undone events)."""
        self.advance(data)
        slugs = self.slugs()
        before = views(self.run, slugs)
        if self.cli(*[self.who(data) if arg == "@" else arg for arg in command]).code != 0:
            return
        undone = self.cli("undo")
        assert undone.code == 0, "the command just recorded cannot be undone"
        self.undoable -= 2

        def untimed(got: dict[str, Any]) -> dict[str, Any]:
            return {key: {k: v for k, v in value.items() if k != "timeline"}
                    if key.startswith("show ") and isinstance(value, dict) else value
                    for key, value in got.items()}

        assert_same(untimed(before), untimed(views(self.run, slugs)),
                    f"views before `{' '.join(command)}` against after it and undo",
                    self.history)

    # -- the notes folder -----------------------------------------------------------------

    @rule(data=st.data(), slot=st.sampled_from(("a.md", "b.md", "c.md")),
          kind=st.sampled_from(("meeting", "note", "checkin", "ask", "thanks", None)),
          back=st.sampled_from((timedelta(0), timedelta(hours=5), timedelta(days=2))),
          commitment=st.booleans())
    def note_file(self, data: st.DataObject, slot: str, kind: str | None, back: timedelta,
                  commitment: bool) -> None:
        """Write, rewrite or (kind None) delete a note, then ``watch --once``."""
        self.advance(data)
        notes = self.folder / "notes"
        notes.mkdir(exist_ok=True)
        path = notes / slot
        if kind is None:
            path.unlink(missing_ok=True)
            self.history.append(f"(notes: {slot} deleted)")
        else:
            when = (self.now - back).strftime("%Y-%m-%d %H:%M")
            lines = ["---", f"type: {kind}", f"contact: {self.who(data)}", f"date: {when}Z"]
            if commitment and kind == "meeting":
                lines += ["commitments:", "  - text: send the cv", "    due: +3d"]
            text = "\n".join([*lines, "---", f"Talked about the cv ({kind}).", ""])
            path.write_text(text)
            self.history.append(f"(notes: {slot} = {lines[1:]})")
        self.cli("watch", str(notes), "--once")

    # -- another device -------------------------------------------------------------------

    @precondition(lambda self: self.device is None and self.run.db.exists())
    @rule()
    def fork(self) -> None:
        """A second device starts from a copy of this store."""
        (self.folder / "device").mkdir()
        self.device = ZonedCLI(self.folder / "device")
        copy_store(self.run.db, self.device.db)
        self.history.append("(a second device starts from a copy of the store)")

    @precondition(lambda self: self.device is not None)
    @rule(data=st.data(), command=st.sampled_from((
        ("note", "@", "from the phone"), ("ask", "@"), ("checkin", "@"), ("thank", "@"),
        ("met", "@", "--commitment", "send cv"), ("archive", "@"), ("undo",),
        ("add", "Di Fox"), ("edit", "@", "--company", "Initech"), ("schedule", "@", "--at", "+1d"),
        ("merge", "@", "@"))))
    def on_device(self, data: st.DataObject, command: tuple[str, ...]) -> None:
        assert self.device is not None
        self.device.now = self.run.now
        args = [self.who(data, "device contact") if arg == "@" else arg for arg in command]
        self.cli(*args, where=self.device)

    @precondition(lambda self: self.device is not None)
    @rule(both=st.booleans())
    def sync(self, both: bool) -> None:
        """The device's log merged in here (and, ``both``, this log merged in there)."""
        assert self.device is not None
        exported = self.folder / "device.jsonl"
        self.device.run("export", "jsonl", "--out", str(exported))
        self.cli("import", "jsonl", str(exported))
        # (the device's events keep their own recorded_at: what this store showed
        # earlier is no longer what --as-of then shows, and need not be)
        self.seen.clear()
        if both:
            self.run.run("export", "jsonl", "--out", str(exported))
            self.cli("import", "jsonl", str(exported), where=self.device)

    @rule(text=st.sampled_from(CONFIGS))
    def edit_config(self, text: str) -> None:
        """Change config.toml as an editor would (a new file put in place)."""
        config = self.run.home / "config.toml"
        if config.exists() and config.read_text() == text:
            return
        fresh = config.with_suffix(".new")
        fresh.write_text(text)
        fresh.replace(config)
        self.seen.clear()  # --as-of reads with the current settings
        self.history.append(f"(config.toml: {text!r})")

    @rule(zone=st.sampled_from(ZONES))
    def move_zone(self, zone: str) -> None:
        """The user travels: due times in days are local, so they are worked out again."""
        if zone != self.run.zone:
            self.run.zone = zone
            self.seen.clear()  # (the views of earlier moments were shown in another zone)
            self.history.append(f"(TZ={zone})")

    @rule(which=st.sampled_from(REFS))
    def read_text(self, which: str) -> None:
        """The text views: exit 0 (or 1 for an unknown contact), never a traceback."""
        for args in (("show", which), ("due",), ("today",), ("contacts",), ("log",),
                     ("reconnect",), ("stats",)):
            settled(self.run.run(*args, expect=None), args)

    # -- what must always hold ----------------------------------------------------------

    @invariant()
    def views_agree(self) -> None:
        if not self.run.db.exists():
            return
        self.steps += 1
        slugs = self.slugs()
        full = self.steps % FULL_EVERY == 0
        live = views(self.run, slugs) if full else {"due": self.run.json("due", "--all")}

        self.handles_stay(live["due"])

        self.copies += 1
        copy = self.folder / f"rebuilt-{self.copies}.db"
        copy_store(self.run.db, copy)
        settled(self.run.run("rebuild", expect=None, COFFEECHAT_DB=str(copy)), ("rebuild",))
        assert_same(projected(self.run.db), projected(copy),
                    "live projection rows against a full rebuild", self.history)
        if full:
            assert_same(live, views(self.run, slugs, copy), "live views against a full rebuild",
                        self.history)
            self.seen[self.run.now] = live
            self.views_consistent(live)
        copy.unlink()

        verified = self.run.run("verify", "--json", expect=None)
        assert verified.code == 0, f"verify failed: {verified.out} {verified.err}"

        if self.steps % (2 * FULL_EVERY) == 0:
            self.round_trip(live, slugs)
            self.as_of_agrees()

    def views_consistent(self, live: dict[str, Any]) -> None:
        """A contact's ``show`` has its ``contacts`` row, and its follow-ups are its
        items in ``due --all``."""
        rows = {row["id"]: row for row in [*live["contacts"], *live["archived"]]}
        for slug, row in rows.items():
            shown = live.get(f"show {slug}")
            assert isinstance(shown, dict), f"show {slug}: {shown}"
            profile = {k: v for k, v in shown.items() if k not in ("followups", "timeline")}
            assert_same({"row": row}, {"row": profile}, f"show {slug} against its contacts row",
                        self.history)
            assert row["stage"] != "archived" or not shown["followups"], (
                f"archived {slug} has follow-ups: {shown['followups']}")
            # (a birthday is never a contact's next follow-up: it has a column of its own)
            steps = [item for item in shown["followups"] if item["kind"] != "birthday"]
            first = min((item["due_at"] for item in steps), default=None)
            kinds = {item["kind"] for item in steps if item["due_at"] == first}
            assert row["next_due_at"] == first and (first is None or row["next_due_kind"]
                                                    in kinds), (
                f"{slug}: next due {row['next_due_kind']} at {row['next_due_at']}, but its "
                f"follow-ups are {shown['followups']}\n" + "\n".join(self.history[-20:]))
            mine = [item for item in live["due"] if item["contact"] == slug]
            assert_same({"items": sorted(mine, key=_item_key)},
                        {"items": sorted(shown["followups"], key=_item_key)},
                        f"show {slug}'s follow-ups against due --all", self.history)

    def handles_stay(self, items: list[dict[str, Any]]) -> None:
        """An item still open keeps its handle (grown from four characters to eight at
        most, while another open item shares the first four)."""
        now = {_open_key(i): i["handle"] for i in items}
        handles = [i["handle"] for i in items]
        assert len(set(handles)) == len(handles), f"two open items share a handle: {items}"
        for key, handle in now.items():
            before = self.handles.get(key)
            if before is not None:
                assert handle[:4] == before[:4], (
                    f"the open item {key} had handle {before}, now {handle}\n"
                    + "\n".join(self.history[-20:]))
        self.handles = now

    def round_trip(self, live: dict[str, Any], slugs: list[str]) -> None:
        exported = self.folder / "export.jsonl"
        fresh = self.folder / f"fresh-{self.copies}.db"
        self.run.run("export", "jsonl", "--out", str(exported))
        self.run.run("import", "jsonl", str(exported), COFFEECHAT_DB=str(fresh))
        assert log_rows(fresh) == log_rows(self.run.db), "export then import changed the log"
        assert_same(live, views(self.run, slugs, fresh), "live views against export+import",
                    self.history)
        fresh.unlink()
        before = log_rows(self.run.db)
        again = self.run.json("import", "jsonl", str(exported))
        assert again["added"] == 0 and log_rows(self.run.db) == before, (
            f"importing the store's own export added to it: {again}")

        # The same events arriving in another order (a file without hashes, shuffled:
        # seq, version and the chain are assigned anew) fold to the same views.
        lines = exported.read_text().splitlines()
        random.Random(self.steps).shuffle(lines)
        shuffled = [json.dumps({k: v for k, v in json.loads(line).items() if k != "hash"})
                    for line in lines]
        exported.write_text("\n".join(shuffled) + "\n")
        other = self.folder / f"shuffled-{self.copies}.db"
        settled(self.run.run("import", "jsonl", str(exported), expect=None,
                             COFFEECHAT_DB=str(other)), ("import", "jsonl", "(shuffled)"))
        assert_same(unordered(live), unordered(views(self.run, slugs, other)),
                    "live views against the log imported in another order", self.history)
        other.unlink()
        exported.unlink()

    def as_of_agrees(self) -> None:
        """``--as-of`` an earlier moment shows what the live views showed then."""
        earlier = [moment for moment in self.seen if moment < self.run.now]
        if not earlier:
            return
        for moment in (earlier[0], earlier[-1]):
            then = dict(self.seen[moment])
            then.pop("export ics")  # (no --as-of: the calendar is always of now)
            then["stats"] = dict(then["stats"])
            then["stats"].pop("as_of", None)
            shown = [key.removeprefix("show ") for key in then if key.startswith("show ")]
            assert_same(then, views(self.run, shown, as_of=moment),
                        f"views --as-of {moment} against the live views at {moment}",
                        self.history)
            self.history.append(f"(checked: views --as-of {moment})")


Session.TestCase.settings = settings(
    max_examples=EXPLORE or 8,
    stateful_step_count=STEPS or 25,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    print_blob=False,
    # (STATEFUL_SHRINK=0 while hunting: shrinking a long session can take minutes)
    phases=[phase for phase in Phase
            if phase is not Phase.shrink or os.environ.get("STATEFUL_SHRINK", "1") != "0"],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)
TestSession = Session.TestCase


# -- what the sessions found, each on its own --------------------------------------------


@pytest.fixture
def session(run: InProcessCLI) -> InProcessCLI:
    run.now = stamp(START)
    return run


def rebuilt(run: InProcessCLI, *args: str) -> Any:
    """``args --json`` read from a copy of the store after a full rebuild."""
    copy = run.home / "rebuilt.db"
    run.run("backup", str(copy), "--force")
    run.run("rebuild", COFFEECHAT_DB=str(copy))
    return run.json(*args, COFFEECHAT_DB=str(copy))


def test_due_order_of_namesakes_survives_a_rebuild(session: InProcessCLI) -> None:
    session.run("add", "Ann Lee")
    session.run("add", "Ann Lee")  # another person of the same name: ann-lee-2
    session.run("note", "ann-lee", "met at a meetup")  # re-folds ann-lee only
    live = [item["contact"] for item in session.json("due", "--all")]
    assert live == [item["contact"] for item in rebuilt(session, "due", "--all")]


def test_search_ties_do_not_follow_arrival(session: InProcessCLI) -> None:
    session.run("add", "Ann Lee")
    session.run("add", "Bob Ray")
    session.run("note", "ann-lee", "cv sent")
    session.run("note", "bob-ray", "cv sent")
    lines = session.run("export", "jsonl").out.splitlines()
    # another device's copy of the same events, received last first (a file without
    # hashes: seq, version and the chain are assigned anew)
    reversed_file = session.home / "reversed.jsonl"
    reversed_file.write_text("".join(
        json.dumps({k: v for k, v in json.loads(line).items() if k != "hash"}) + "\n"
        for line in reversed(lines)))
    other = str(session.home / "other.db")
    session.run("import", "jsonl", str(reversed_file), COFFEECHAT_DB=other)
    here = [hit["contact"] for hit in session.json("search", "cv")]
    there = [hit["contact"] for hit in session.json("search", "cv", COFFEECHAT_DB=other)]
    assert here == there


def test_calendar_export_survives_a_rebuild(session: InProcessCLI) -> None:
    session.run("add", "Ann Leigh")
    session.run("add", "Ann Lee")  # both reach-outs are due at the same time
    live = session.run("export", "ics").out
    copy = session.home / "rebuilt.db"
    session.run("backup", str(copy))
    session.run("rebuild", COFFEECHAT_DB=str(copy))
    assert session.run("export", "ics", COFFEECHAT_DB=str(copy)).out == live
