"""A process appending single events and large batches in turn (test_session_hostile.py).

    python mixed_worker.py DB STREAM ROUNDS BIG [GO_FILE]

Each round appends one event (its id from ``uuid7``), then BIG events in one
transaction (ids from ``uuid7_batch``), printing ``committed <n>`` after every
commit. With GO_FILE, it waits for that file first, so two workers start together;
``MIXED_PAUSE`` (seconds) is slept after each commit.
"""

from __future__ import annotations

import os
import sys
import time

from coffeechat.events import NoteAdded
from coffeechat.store import NewEvent, open_store


def main() -> None:
    db, stream, rounds, big = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    go = sys.argv[5] if len(sys.argv) > 5 else None
    store = open_store(db)
    print("ready", flush=True)
    while go and not os.path.exists(go):
        time.sleep(0.001)
    pause = float(os.environ.get("MIXED_PAUSE", "0"))
    done = 0
    for round_ in range(rounds):
        for size in (1, big):
            events = [NewEvent(stream=stream, payload=NoteAdded(text=f"r{round_} n{n}"),
                               occurred_at="2026-11-20T18:00:00Z") for n in range(size)]
            store.append(events, source=f"test:{os.getpid()}")
            done += size
            print(f"committed {done}", flush=True)
            time.sleep(pause)
    store.close()


if __name__ == "__main__":
    main()
