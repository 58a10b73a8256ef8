"""A separate process that appends to a store, for the concurrency and crash tests.

    python append_worker.py DB NAME COUNT BATCH [GO_FILE]

Appends COUNT note events in batches of BATCH (one transaction each) to stream
``contact:NAME``, printing ``committed <n>`` after every commit. With GO_FILE,
it waits for that file to exist first, so two workers start together.
"""

from __future__ import annotations

import os
import sys
import time

from coffeechat.events import NoteAdded
from coffeechat.store import NewEvent, open_store


def main() -> None:
    db, name, count, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    go = sys.argv[5] if len(sys.argv) > 5 else None
    store = open_store(db)
    print("ready", flush=True)
    while go and not os.path.exists(go):
        time.sleep(0.001)
    done = 0
    while done < count:
        size = min(batch, count - done)
        events = [NewEvent(stream=f"contact:{name}",
                           payload=NoteAdded(text=f"{name} batch {done // batch} item {i}"),
                           occurred_at="2026-11-20T18:00:00Z") for i in range(size)]
        store.append(events, source=f"test:{name}")
        done += size
        print(f"committed {done}", flush=True)
    store.close()


if __name__ == "__main__":
    main()
