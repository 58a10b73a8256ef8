"""Realistic coffeechat histories for the benchmarks, and a cache of generated stores.

Each contact's story is a small state machine over the real payload types:
contact.added, the ask (sometimes a nudge), the answer, scheduling, the meeting
with notes and takeaways, the thank-you, commitments made and kept, check-ins,
notes, a few referrals, and now and then a back-dated entry or a retraction.
Near the end of a story the user is caught up (loops closed), so the due list
holds what recent activity left open, as it would for someone using the tool.
The same seed always gives the same log.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import clock

from coffeechat.clock import stamp
from coffeechat.events import (
    CheckinDone,
    CommitmentDone,
    CommitmentMade,
    ContactAdded,
    EventRetracted,
    MeetingCancelled,
    MeetingHeld,
    MeetingScheduled,
    NoteAdded,
    Payload,
    ReferralMade,
    RequestAnswered,
    RequestSent,
    ThanksSent,
)
from coffeechat.store import NewEvent, open_store

# Every story ends before this moment; the CLI benchmark pins COFFEECHAT_NOW
# to it so `due` judges the same data the same way on every run.
BENCH_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BENCH_NOW_TEXT = stamp(BENCH_NOW)
DEFAULT_DATA = Path(os.environ.get("COFFEECHAT_BENCH_DATA", "/tmp/coffeechat-bench"))
GENERATOR_VERSION = 6  # bump when the generator or the store schema changes: stores are remade

DAY = 86400.0
HOUR = 3600.0

FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas",
         "Kemi", "Lars", "Mei", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tomás",
         "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë")
LAST = ("Okafor", "Lindqvist", "Martín", "Chen", "Novak", "Haddad", "Kowalski", "Tanaka",
        "Ferreira", "Müller", "Osei", "Rahman", "Dubois", "Kaur", "Andersen", "Rossi",
        "Nakamura", "Silva", "Petrov", "Nguyen", "O'Brien", "Schmidt", "Moreau")
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella Health", "Stark Industries", "Hooli",
             "Pied Piper", "Vandelay Imports", "Wonka Labs", "Cyberdyne", "Tyrell", "Soylent")
ROLES = ("Staff Engineer", "Product Manager", "Design Lead", "Data Scientist", "Recruiter",
         "Engineering Manager", "Founder", "VP Engineering", "UX Researcher", "SRE")
HOW_MET = ("PyCon hallway track", "alumni mixer", "LinkedIn cold message", "meetup talk",
           "friend of a friend", "Slack community", "conference dinner")
TAGS = ("python", "design", "data", "hiring", "mentor", "startup", "infra", "ml", "alumni")
WORDS = ("team", "roadmap", "interview", "portfolio", "mentoring", "hiring", "culture",
         "onboarding", "promotion", "architecture", "migration", "on-call", "growth",
         "career", "startup", "equity", "remote", "feedback", "research", "metrics",
         "customers", "pricing", "latency", "reliability", "budget", "reorg", "visa")
CHANNELS = ("email", "linkedin", "email", "email", "phone", "video")


def person_name(index: int) -> str:
    return f"{FIRST[index % len(FIRST)]} {LAST[(index // len(FIRST)) % len(LAST)]}"


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


@dataclass
class _Planned:
    recorded: float  # seconds after the contact's start: when it reached the log
    occurred: float  # seconds after the start: when it happened (earlier when back-dated)
    kind: str
    fields: dict[str, Any]  # payload fields; "*_ref" values are indexes of other plans


_LATE = frozenset({"note.added", "checkin.done", "referral.made"})  # may be back-dated
_MISTAKES = frozenset({"note.added", "checkin.done", "referral.made", "commitment.made",
                       "meeting.scheduled"})  # what gets undone now and then


def _plan(rng: random.Random, person: int, length: int, people: int) -> list[_Planned]:
    """One contact's story, ``length`` events long, as a small state machine."""
    plans: list[_Planned] = []
    t = 0.0
    stage = "prospect"
    request = scheduled = -1
    nudged = False
    open_commitments: list[int] = []

    def emit(gap: float, kind: str, **fields: Any) -> int:
        nonlocal t
        t += gap
        occurred = t
        if kind in _LATE and rng.random() < 0.1:  # written up late: back-dated past earlier events
            occurred = max(1.0, t - rng.uniform(1, 20) * DAY)
        plans.append(_Planned(t, occurred, kind, fields))
        return len(plans) - 1

    added: dict[str, Any] = {
        "name": person_name(person), "company": rng.choice(COMPANIES),
        "role": rng.choice(ROLES), "how_met": rng.choice(HOW_MET),
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
    }
    if rng.random() < 0.6:
        added["email"] = f"person{person}@example.com"
    if rng.random() < 0.4:
        added["linkedin"] = f"https://www.linkedin.com/in/person-{person}"
    if person and rng.random() < 0.1:
        added["referred_by"] = f"person-{rng.randrange(person)}"
    emit(0.0, "contact.added", **added)

    while len(plans) < length:
        # Near the end of a story the user is caught up: loops get closed, no new ones open.
        last = length - len(plans) == 1
        retractable = [i for i, p in enumerate(plans) if p.kind in _MISTAKES]
        if retractable and rng.random() < 0.04:
            emit(rng.uniform(60, 2 * DAY), "event.retracted",
                 target_ref=rng.choice(retractable), reason="entered by mistake")
        elif stage == "prospect":
            request = emit(rng.uniform(0.2, 10) * DAY, "request.sent",
                           channel=rng.choice(CHANNELS), subject="20 minutes to chat?",
                           body=_sentence(rng, 25, 60), template="ask")
            stage, nudged = "asked", False
        elif stage == "asked":
            if not nudged and (last or rng.random() < 0.25):
                emit(rng.uniform(7, 9) * DAY, "request.sent", channel="email", nudge=True,
                     subject="Following up")
                nudged = True
                continue
            accepted = rng.random() < 0.8
            emit(rng.uniform(0.5, 7) * DAY, "request.answered",
                 answer="accepted" if accepted else "declined", request_ref=request)
            stage = "accepted" if accepted else "declined"
        elif stage == "accepted":
            gap = rng.uniform(0.1, 2) * DAY
            scheduled = emit(gap, "meeting.scheduled", at_rel=t + gap + rng.uniform(3, 14) * DAY,
                             minutes=rng.choice((20, 30, 30, 45)),
                             where=rng.choice(("Zoom", "Blue Bottle, Market St", "Google Meet")))
            stage = "scheduled"
        elif stage == "scheduled":
            at = plans[scheduled].fields["at_rel"]
            if last or rng.random() < 0.05:
                emit(rng.uniform(0.1, 1) * DAY, "meeting.cancelled", reason="conflict",
                     meeting_ref=scheduled)
                stage = "accepted"
                continue
            emit(max(at - t, 60.0), "meeting.held", notes=_sentence(rng, 40, 120),
                 takeaways=[_sentence(rng, 6, 14) for _ in range(rng.randint(1, 4))],
                 minutes=rng.choice((20, 30, 40, 55)), meeting_ref=scheduled)
            stage = "met"
        elif open_commitments and (last or rng.random() < 0.85):
            # Most promises are kept, soon after they were made: old loops get closed.
            made = open_commitments.pop(0)
            due = plans[made].fields["due_rel"]
            emit(max(60.0, rng.uniform(0.5, 1.0) * (due - t)), "commitment.done",
                 commitment_ref=made)
        elif stage == "met":
            if rng.random() < 0.97:
                emit(rng.uniform(2, 30) * HOUR, "thanks.sent", channel="email",
                     subject="Thank you!", body=_sentence(rng, 20, 50), template="thank-you")
            stage = "keep"
        elif stage == "declined":
            if rng.random() < 0.5:
                emit(rng.uniform(10, 60) * DAY, "note.added", text=_sentence(rng, 10, 40))
            else:
                t += rng.uniform(90, 180) * DAY
                stage = "prospect"
        else:  # keeping in touch
            roll = rng.random()
            if length - len(plans) < 4:  # this close to the end: no new meeting or promise
                roll = rng.choice((0.1, 0.4))  # a check-in or a note
            if roll < 0.3:
                emit(rng.uniform(50, 120) * DAY, "checkin.done", channel=rng.choice(CHANNELS),
                     note=_sentence(rng, 8, 30))
            elif roll < 0.5:
                emit(rng.uniform(1, 30) * DAY, "note.added", text=_sentence(rng, 10, 60))
            elif roll < 0.65:
                gap = rng.uniform(0.1, 3) * DAY
                open_commitments.append(emit(
                    gap, "commitment.made", text=_sentence(rng, 4, 12),
                    due_rel=t + gap + rng.uniform(2, 21) * DAY))
            elif roll < 0.72:
                other = rng.randrange(people)
                emit(rng.uniform(0.1, 5) * DAY, "referral.made", contact=f"person-{other}",
                     name=person_name(other), company=rng.choice(COMPANIES),
                     note=_sentence(rng, 6, 20))
            else:
                stage = "accepted"  # another meeting
    return plans


def _payload(kind: str, fields: dict[str, Any], ids: list[str], base: datetime) -> Payload:
    values = {}
    for name, value in fields.items():
        if name.endswith("_ref"):
            values[name[:-4]] = ids[value]
        elif name.endswith("_rel"):
            values[name[:-4]] = base + timedelta(seconds=int(value))
        else:
            values[name] = value
    return _PAYLOADS[kind](**values)


_PAYLOADS: dict[str, type[Payload]] = {
    "contact.added": ContactAdded, "request.sent": RequestSent,
    "request.answered": RequestAnswered, "meeting.scheduled": MeetingScheduled,
    "meeting.held": MeetingHeld, "meeting.cancelled": MeetingCancelled,
    "thanks.sent": ThanksSent, "checkin.done": CheckinDone, "note.added": NoteAdded,
    "commitment.made": CommitmentMade, "commitment.done": CommitmentDone,
    "referral.made": ReferralMade, "event.retracted": EventRetracted,
}


def _event_id(rng: random.Random, moment: datetime) -> str:
    """A UUIDv7-shaped id made from the seeded generator (so a seed gives the same log)."""
    ms = int(moment.timestamp() * 1000)
    high = f"{ms:012x}7{rng.getrandbits(12):03x}"
    low = f"{0x8000 | rng.getrandbits(14):04x}{rng.getrandbits(48):012x}"
    return f"{high[:8]}-{high[8:12]}-{high[12:16]}-{low[:4]}-{low[4:]}"


def _lengths(rng: random.Random, total: int, people: int) -> list[int]:
    weights = [rng.uniform(0.3, 1.7) for _ in range(people)]
    scale = total / sum(weights)
    lengths = [max(1, int(w * scale)) for w in weights]
    index = 0
    while sum(lengths) != total:  # spread the rounding error one event at a time
        step = 1 if sum(lengths) < total else -1
        if lengths[index % people] + step >= 1:
            lengths[index % people] += step
        index += 1
    return lengths


def contact_events(total: int, people: int, *, seed: int = 1, group: int = 2000,
                   ) -> Iterator[list[NewEvent]]:
    """``total`` realistic events over ``people`` contacts (``contact:person-N``).

    Yields lists of events for ``group`` contacts at a time, interleaved across
    those contacts in the order they would have been recorded (back-dated
    entries are recorded late; retractions follow their targets).
    """
    if total < people:
        raise ValueError("need at least one event per contact")
    rng = random.Random(seed)
    lengths = _lengths(rng, total, people)
    for first in range(0, people, group):
        timed: list[tuple[datetime, int, int, NewEvent]] = []
        for person in range(first, min(first + group, people)):
            plans = _plan(rng, person, lengths[person], people)
            span = plans[-1].recorded
            base = BENCH_NOW - timedelta(seconds=int(span + rng.uniform(HOUR, 60 * DAY)))
            moments = [base + timedelta(seconds=int(p.occurred)) for p in plans]
            ids = [_event_id(rng, m) for m in moments]
            stream = f"contact:person-{person}"
            for n, p in enumerate(plans):
                new = NewEvent(stream=stream, payload=_payload(p.kind, p.fields, ids, base),
                               occurred_at=stamp(moments[n]), id=ids[n])
                timed.append((base + timedelta(seconds=p.recorded), person, n, new))
        timed.sort(key=lambda item: item[:3])
        yield [item[3] for item in timed]


def store_path(data_dir: Path, total: int, people: int, seed: int = 1) -> Path:
    return data_dir / f"store-{total}-{people}-s{seed}-g{GENERATOR_VERSION}.db"


def build_store(path: Path, total: int, people: int, *, seed: int = 1,
                batch: int = 50_000) -> None:
    """Write a fresh store of generated events (appended in large batches)."""
    partial = path.with_name(path.name + ".partial")
    for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        stale.unlink(missing_ok=True)
    store = open_store(partial)
    try:
        pending: list[NewEvent] = []
        for chunk in contact_events(total, people, seed=seed):
            pending.extend(chunk)
            if len(pending) >= batch:
                store.append(pending, source="import:bench")
                pending = []
        store.append(pending, source="import:bench")
        assert store.count() == total, (store.count(), total)
    finally:
        store.close()
    os.replace(partial, path)


def cached_store(data_dir: Path, total: int, people: int, *, seed: int = 1) -> Path:
    """The generated store for these parameters, made once and kept in ``data_dir``."""
    path = store_path(data_dir, total, people, seed)
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"generating {total:,} events over {people:,} contacts → {path} ...",
              file=sys.stderr, flush=True)
        # In a child process, so this process stays small: a child's ru_maxrss
        # starts from its parent's size at fork, which would blur RSS readings.
        argv = [sys.executable, __file__, "build", str(path), str(total), str(people), str(seed)]
        seconds = clock(lambda: subprocess.run(argv, check=True))
        print(f"  done in {seconds:.1f} s", file=sys.stderr, flush=True)
    return path


if __name__ == "__main__":  # python history.py build PATH TOTAL PEOPLE SEED
    if sys.argv[1:2] != ["build"] or len(sys.argv) != 6:
        raise SystemExit("usage: history.py build PATH TOTAL PEOPLE SEED")
    build_store(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), seed=int(sys.argv[5]))
