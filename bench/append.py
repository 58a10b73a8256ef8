"""Appending events: coffeechat's store against the eventsourcing library, both on SQLite files.

Two workloads, each on a fresh file every time:

- batch: N events (default 100,000 over 10,000 contacts) committed in one transaction;
- single: M events (default 5,000) committed one transaction each; every contender
  has its file open at once and their commits of event i follow one another (the
  order turning with i), each commit timed alone: median and p90 per commit, CPU too.

The timed path is "domain event objects → committed rows" on both sides:

- coffeechat: ``Store.append(new_events)`` (ids, versions, hash chain, JSON encoding,
  de-duplication and the INSERTs all inside the timer; payload objects built before);
- eventsourcing, application: aggregates whose events were triggered beforehand,
  then ``app.save(*aggregates)`` (batch) or ``app.save(event)`` per event (single);
- eventsourcing, recorder: ``mapper.to_stored_event`` for every event plus
  ``recorder.insert_events`` (batch: once; single: once per event).

Both libraries run SQLite in WAL mode with synchronous=FULL (checked below).

    python bench/append.py [--events 100000] [--single 5000] [--repeats 7] [--json]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import msgspec
from common import (
    emit_json,
    machine,
    median,
    print_goals,
    print_table,
)
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from history import contact_events

from coffeechat.events import type_name
from coffeechat.store import NewEvent, open_store

GOAL_RATIO = 1.5
GOAL_RATE = 100_000


# -- the same domain, written the eventsourcing way ------------------------------

class Contact(Aggregate):
    """A contact whose events carry the same fields as coffeechat's payloads."""

    @event("Added")
    def __init__(self, name: str, company: str | None = None, role: str | None = None,
                 email: str | None = None, linkedin: str | None = None,
                 phone: str | None = None, how_met: str | None = None,
                 referred_by: str | None = None, tags: list[str] | None = None) -> None:
        self.name = name
        self.meetings = 0

    @event("RequestSent")
    def request_sent(self, channel: str, subject: str | None = None, body: str | None = None,
                     template: str | None = None, nudge: bool = False) -> None:
        pass

    @event("RequestAnswered")
    def request_answered(self, answer: str, request: str | None = None) -> None:
        pass

    @event("MeetingScheduled")
    def meeting_scheduled(self, at: datetime, minutes: int = 30,
                          where: str | None = None) -> None:
        pass

    @event("MeetingHeld")
    def meeting_held(self, notes: str | None = None, takeaways: list[str] | None = None,
                     minutes: int | None = None, meeting: str | None = None) -> None:
        self.meetings += 1

    @event("MeetingCancelled")
    def meeting_cancelled(self, reason: str | None = None, meeting: str | None = None) -> None:
        pass

    @event("ThanksSent")
    def thanks_sent(self, channel: str, subject: str | None = None, body: str | None = None,
                    template: str | None = None) -> None:
        pass

    @event("CheckinDone")
    def checkin_done(self, channel: str, note: str | None = None) -> None:
        pass

    @event("ReferralMade")
    def referral_made(self, contact: str, name: str, company: str | None = None,
                      role: str | None = None, note: str | None = None) -> None:
        pass

    @event("CommitmentMade")
    def commitment_made(self, text: str, due: datetime | None = None,
                        meeting: str | None = None) -> None:
        pass

    @event("CommitmentDone")
    def commitment_done(self, commitment: str) -> None:
        pass

    @event("NoteAdded")
    def note_added(self, text: str) -> None:
        pass

    @event("EventRetracted")
    def event_retracted(self, target: str, reason: str | None = None) -> None:
        pass


def es_aggregates(events: list[NewEvent]) -> tuple[list[Contact], list[Any]]:
    """Trigger every event on its aggregate; return the aggregates and the events in order."""
    contacts: dict[str, Contact] = {}
    triggered: list[Any] = []
    for new in events:
        # The fields coffeechat stores (those not at their default), as Python values.
        fields = {name: getattr(new.payload, name) for name in msgspec.to_builtins(new.payload)}
        kind = type_name(new.payload)
        if kind == "contact.added":
            contact = contacts[new.stream] = Contact(**fields)
        else:
            contact = contacts[new.stream]
            getattr(contact, kind.replace(".", "_"))(**fields)
        triggered.append(contact.pending_events[-1])
    return list(contacts.values()), triggered


def es_app(path: Path) -> Application:
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                            "SQLITE_DBNAME": str(path)})


def es_rows(app: Application) -> int:
    with app.factory.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT count(*) FROM stored_events")
        return int(cursor.fetchone()[0])


def es_pragmas(app: Application) -> tuple[str, int]:
    with app.factory.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        return mode, cursor.fetchone()[0]


# -- the batch: one timed run of each contender -------------------------------------

def timed(func: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (this process's, user + system) that ``func()`` took."""
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


Run = tuple[float, float]  # (wall s, CPU s)


def run_coffeechat(path: Path, events: list[NewEvent]) -> Run:
    store = open_store(path)
    try:
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        seconds = timed(lambda: store.append(events))
        assert store.count() == len(events)
    finally:
        store.close()
    return seconds


def run_es_app(path: Path, events: list[NewEvent]) -> Run:
    aggregates, _triggered = es_aggregates(events)  # not timed: the domain objects
    app = es_app(path)
    try:
        assert es_pragmas(app) == ("wal", 2)
        seconds = timed(lambda: app.save(*aggregates))
        assert es_rows(app) == len(events)
    finally:
        app.close()
    return seconds


def run_es_recorder(path: Path, events: list[NewEvent]) -> Run:
    _aggregates, triggered = es_aggregates(events)
    app = es_app(path)
    mapper, recorder = app.mapper, app.recorder
    try:
        seconds = timed(lambda: recorder.insert_events(
            [mapper.to_stored_event(e) for e in triggered]))
        assert es_rows(app) == len(events)
    finally:
        app.close()
    return seconds


def raw_rows(events: list[NewEvent]) -> list[tuple[Any, ...]]:
    """The rows Store.append writes for ``events``, made beforehand (ids, versions, hashes)."""
    from coffeechat.chain import chain_hash
    from coffeechat.codec import encode_payloads
    from coffeechat.events import SCHEMAS
    from coffeechat.ids import uuid7_batch

    datas = encode_payloads([e.payload for e in events])
    versions: dict[str, int] = {}
    rows, previous = [], ""
    recorded, batch = "2026-11-20T12:00:00Z", "0190aaaa-0000-7000-8000-000000000000"
    for seq, (new, data, event_id) in enumerate(zip(events, datas, uuid7_batch(len(events)),
                                                    strict=True), start=1):
        kind = type_name(new.payload)
        version = versions[new.stream] = versions.get(new.stream, 0) + 1
        schema = SCHEMAS.get(kind, 1)
        previous = chain_hash(previous, (event_id, new.stream, str(version), kind, str(schema),
                                         new.occurred_at, recorded, "cli", "", batch, data))
        rows.append((seq, event_id, new.stream, version, kind, schema, new.occurred_at,
                     recorded, "cli", None, batch, data, previous))
    return rows


INSERT = "INSERT INTO events({columns}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"


def run_raw(path: Path, events: list[NewEvent]) -> Run:
    """The limit: the same rows, made before the timer, into coffeechat's own schema."""
    from coffeechat.codec import EVENT_COLUMNS

    rows = raw_rows(events)
    store = open_store(path)
    db = store.conn
    sql = INSERT.format(columns=EVENT_COLUMNS)
    try:
        def batch() -> None:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(sql, rows)
            db.execute("COMMIT")

        seconds = timed(batch)
        assert store.count() == len(events)
    finally:
        store.close()
    return seconds


RAW = "raw apsw, coffeechat's schema (limit)"
OURS = "coffeechat Store.append"
APP = "eventsourcing app.save"
RECORDER = "eventsourcing mapper+recorder"

CONTENDERS: dict[str, Callable[[Path, list[NewEvent]], Run]] = {
    RAW: run_raw, OURS: run_coffeechat, APP: run_es_app, RECORDER: run_es_recorder,
}


def measure(events: list[NewEvent], repeats: int, work: Path) -> dict[str, list[Run]]:
    """(wall, CPU) per run for every contender, rounds interleaved so noise hits all alike."""
    results: dict[str, list[Run]] = {name: [] for name in CONTENDERS}
    names = list(CONTENDERS)
    for round_no in range(repeats):
        for name in names[round_no % len(names):] + names[:round_no % len(names)]:
            folder = Path(tempfile.mkdtemp(dir=work))
            gc.collect()  # start every run without the previous run's garbage
            try:
                results[name].append(CONTENDERS[name](folder / "events.db", events))
            finally:
                shutil.rmtree(folder)
        print(f"  batch round {round_no + 1}/{repeats} done", file=sys.stderr, flush=True)
    return results


# -- single commits: every contender open at once, interleaved per event ---------------

Commit = Callable[[int], object]  # commit event i in a transaction of its own
Finish = Callable[[], None]  # check every event is there, and close


def single_raw(path: Path, events: list[NewEvent]) -> tuple[Commit, Finish]:
    from coffeechat.codec import EVENT_COLUMNS

    rows = raw_rows(events)
    store = open_store(path)
    db, sql = store.conn, INSERT.format(columns=EVENT_COLUMNS)

    def commit(i: int) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute(sql, rows[i])
        db.execute("COMMIT")

    def finish() -> None:
        assert store.count() == len(events)
        store.close()
    return commit, finish


def single_coffeechat(path: Path, events: list[NewEvent]) -> tuple[Commit, Finish]:
    store = open_store(path)
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    append = store.append

    def finish() -> None:
        assert store.count() == len(events)
        store.close()
    return lambda i: append([events[i]]), finish


def single_es_app(path: Path, events: list[NewEvent]) -> tuple[Commit, Finish]:
    _aggregates, triggered = es_aggregates(events)
    app = es_app(path)
    assert es_pragmas(app) == ("wal", 2)
    save = app.save

    def finish() -> None:
        assert es_rows(app) == len(events)
        app.close()
    return lambda i: save(triggered[i]), finish


def single_es_recorder(path: Path, events: list[NewEvent]) -> tuple[Commit, Finish]:
    _aggregates, triggered = es_aggregates(events)
    app = es_app(path)
    to_stored, insert = app.mapper.to_stored_event, app.recorder.insert_events

    def finish() -> None:
        assert es_rows(app) == len(events)
        app.close()
    return lambda i: insert([to_stored(triggered[i])]), finish


SINGLE: dict[str, Callable[[Path, list[NewEvent]], tuple[Commit, Finish]]] = {
    RAW: single_raw, OURS: single_coffeechat, APP: single_es_app, RECORDER: single_es_recorder,
}


def measure_single(events: list[NewEvent], repeats: int, work: Path
                   ) -> dict[str, list[Run]]:
    """(wall, CPU) of every commit, each contender's commit of event i one after another.

    Every contender has its own fresh file; the order is shuffled for each event
    (seeded), so an fsync stall or a burst of other work on the machine hits all of
    them alike, and no contender always runs right after the same other one (what
    ran before a commit decides how cold the CPU's caches are: with the order only
    turning, each contender kept its neighbours, and the ratios moved by ~0.1).
    """
    samples: dict[str, list[Run]] = {name: [] for name in SINGLE}
    names = list(SINGLE)
    wall, cpu = time.perf_counter, time.process_time
    for round_no in range(repeats):
        folders = {name: Path(tempfile.mkdtemp(dir=work)) for name in names}
        opened = {name: SINGLE[name](folders[name] / "events.db", events) for name in names}
        gc.collect()
        try:
            order = list(names)
            shuffle = random.Random(round_no).shuffle
            for i in range(len(events)):
                shuffle(order)  # (a fixed turn would always put the same contender after each)
                for name in order:
                    commit = opened[name][0]
                    w, c = wall(), cpu()
                    commit(i)
                    samples[name].append((wall() - w, cpu() - c))
        finally:
            for name in names:
                opened[name][1]()
                shutil.rmtree(folders[name])
        print(f"  single round {round_no + 1}/{repeats} done", file=sys.stderr, flush=True)
    return samples


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summarize(count: int, results: dict[str, list[Run]]) -> dict[str, Any]:
    walls = {name: median([w for w, _c in runs]) for name, runs in results.items()}
    cpus = {name: median([c for _w, c in runs]) for name, runs in results.items()}
    return {
        "workload": "batch (one transaction)", "events": count,
        "contenders": {name: {"median_s": walls[name], "cpu_s": cpus[name],
                              "best_s": min(w for w, _c in runs),
                              "events_per_s": count / walls[name],
                              "runs_s": [w for w, _c in runs],
                              "coffeechat_ratio": walls[name] / walls[OURS],
                              "coffeechat_cpu_ratio": cpus[name] / cpus[OURS]}
                       for name, runs in results.items()},
    }


def summarize_single(count: int, samples: dict[str, list[Run]]) -> dict[str, Any]:
    medians = {name: median([w for w, _c in runs]) for name, runs in samples.items()}
    cpus = {name: median([c for _w, c in runs]) for name, runs in samples.items()}
    return {
        "workload": "single (one transaction per event, interleaved per event)",
        "events": count, "commits_timed": len(samples[OURS]),
        "contenders": {name: {"median_commit_s": medians[name],
                              "p90_commit_s": percentile([w for w, _c in runs], 0.9),
                              "median_commit_cpu_s": cpus[name],
                              "total_s": sum(w for w, _c in runs),
                              "total_cpu_s": sum(c for _w, c in runs),
                              "coffeechat_ratio": medians[name] / medians[OURS],
                              "coffeechat_cpu_ratio": cpus[name] / cpus[OURS]}
                       for name, runs in samples.items()},
    }


def print_summary(summary: dict[str, Any]) -> None:
    print(f"\n{summary['workload']}: {summary['events']:,} events")
    print_table(["contender", "median s", "CPU s", "best s", "events/s", "coffeechat ×",
                 "× by CPU"],
                [[name, c["median_s"], c["cpu_s"], c["best_s"], c["events_per_s"],
                  f"{c['coffeechat_ratio']:.2f}×", f"{c['coffeechat_cpu_ratio']:.2f}×"]
                 for name, c in summary["contenders"].items()])


def print_single(summary: dict[str, Any]) -> None:
    print(f"\n{summary['workload']}: {summary['events']:,} events, "
          f"{summary['commits_timed']:,} commits timed per contender")
    print_table(["contender", "median µs", "p90 µs", "CPU µs (median)", "total s",
                 "total CPU s", "coffeechat ×", "× by CPU"],
                [[name, c["median_commit_s"] * 1e6, c["p90_commit_s"] * 1e6,
                  c["median_commit_cpu_s"] * 1e6, c["total_s"], c["total_cpu_s"],
                  f"{c['coffeechat_ratio']:.2f}×", f"{c['coffeechat_cpu_ratio']:.2f}×"]
                 for name, c in summary["contenders"].items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events in the batch")
    parser.add_argument("--contacts", type=int, default=10_000, help="streams in the batch")
    parser.add_argument("--single", type=int, default=5_000, help="events, one per commit")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="where the store files go")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead")
    args = parser.parse_args()

    batch_events = [e for chunk in contact_events(args.events, args.contacts, group=args.contacts)
                    for e in chunk]
    single_people = max(1, min(args.contacts, args.single // 10))
    single_events = [e for chunk in contact_events(args.single, single_people, seed=2,
                                                   group=single_people) for e in chunk]
    work = Path(tempfile.mkdtemp(prefix="coffeechat-append-", dir=args.dir))
    try:
        batch = summarize(len(batch_events), measure(batch_events, args.repeats, work))
        single = summarize_single(len(single_events),
                                  measure_single(single_events, args.repeats, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ours = batch["contenders"][OURS]
    vs_app = batch["contenders"][APP]["coffeechat_ratio"]
    vs_rec = batch["contenders"][RECORDER]["coffeechat_ratio"]
    vs_raw = batch["contenders"][RAW]["coffeechat_ratio"]
    single_rec = single["contenders"][RECORDER]["coffeechat_ratio"]
    goals = [
        (f"batched ≥ 0.8× raw apsw on coffeechat's schema: {vs_raw:.2f}×", vs_raw >= 0.8),
        (f"single ≥ 1.0× eventsourcing mapper+recorder (median commit): {single_rec:.2f}×",
         single_rec >= 1.0),
        (f"batched ≥ {GOAL_RATIO}× eventsourcing app.save: {vs_app:.2f}×", vs_app >= GOAL_RATIO),
        (f"batched ≥ {GOAL_RATIO}× eventsourcing mapper+recorder: {vs_rec:.2f}×",
         vs_rec >= GOAL_RATIO),
        (f"batched ≥ {GOAL_RATE:,} events/s: {ours['events_per_s']:,.0f}",
         ours["events_per_s"] >= GOAL_RATE),
    ]
    if args.json:
        emit_json({"benchmark": "append", "machine": machine(), "repeats": args.repeats,
                   "results": [batch, single],
                   "goals": [{"goal": text, "pass": ok} for text, ok in goals]})
        return
    print(f"append benchmark, {args.repeats} rounds, fresh SQLite file per run "
          f"(pid {os.getpid()}); coffeechat × = the contender's time / coffeechat's "
          "(above 1: coffeechat is faster)")
    print_summary(batch)
    print_single(single)
    print_goals(goals)


if __name__ == "__main__":
    main()
