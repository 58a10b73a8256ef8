"""Rebuilding every projection from a realistic log of 1,000,000 events.

The store (1M events over 100k contacts by default: asks, nudges, answers,
meetings with notes and takeaways, thank-yous, commitments, check-ins, notes,
a few referrals, back-dated entries and retractions) is generated once and
cached in ``--data`` (default /tmp/coffeechat-bench). Each run is a fresh child
process that opens the store and calls ``Projector(store).rebuild()``; the
child times the call itself, and the parent reads the child's peak RSS
(``wait4``), cross-checked by the child's own VmHWM. An idle child (same
imports, no rebuild) shows the floor. Generation runs in its own process so
that this parent stays small: a child's ru_maxrss counts its parent's size at
fork.

    python bench/rebuild.py [--events 1000000] [--contacts 100000] [--repeats 3]
                            [--python [LABEL=]PY ...] [--parts] [--json]

Each repeat also runs a raw-limit child (every row read in seq order and every
payload decoded with msgspec, nothing else), interleaved with the rebuild, and
the goal is a ratio to it, so a slow machine is not mistaken for a slow program.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    contender,
    emit_json,
    machine,
    median,
    print_goals,
    print_table,
    run_child,
)
from history import BENCH_NOW_TEXT, DEFAULT_DATA, cached_store

GOAL_RATIO = 3.0  # rebuild ≤ 3× the raw limit, measured in the same run
GOAL_RSS_MB = 200

# What the child runs: only coffeechat, so its peak RSS is the rebuild's.
CHILD = """
import json, sys, time
from coffeechat.store import open_store
from coffeechat.projections.projector import Projector
store = open_store(sys.argv[1])
projector = Projector(store)
seconds, cpu, events = 0.0, 0.0, 0
if sys.argv[2] == "rebuild":
    start, start_cpu = time.perf_counter(), time.process_time()
    events = projector.rebuild()
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
elif sys.argv[2] == "raw":  # the limit: every row in seq order, every payload decoded
    import msgspec
    decode = msgspec.json.decode
    start, start_cpu = time.perf_counter(), time.process_time()
    for row in store.conn.execute("SELECT seq, id, type, occurred_at, schema, data, stream, "
                                  "source FROM events ORDER BY seq"):
        decode(row[5])
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
elif sys.argv[2] == "parts":  # where a rebuild's time goes, each part alone
    import coffeechat.projections.folding as folding
    from coffeechat.contact_state import ContactState
    setup = projector.setup(record=False)
    real = folding.fold, folding.due_items  # the read as a rebuild does it, folding nothing
    folding.fold = lambda stream, rows: ContactState(stream)
    folding.due_items = lambda state, rules, extra: []
    start = time.perf_counter()
    for _chunk, _read in folding.fold_all(store.conn, setup.rules, ()):
        pass
    parts = {"sorted read": time.perf_counter() - start}
    folding.fold, folding.due_items = real

    class Timed:  # the connection, timing what the projections write (rows built already)
        def __init__(self, conn):
            self.conn, self.spent = conn, 0.0
        def __getattr__(self, name):
            return getattr(self.conn, name)
        def executemany(self, *args):
            begun = time.perf_counter()
            try:
                return self.conn.executemany(*args)
            finally:
                self.spent += time.perf_counter() - begun
        def execute(self, sql, *args):
            if sql.lstrip()[:6].upper() == "SELECT":  # (the read: its first step sorts)
                return self.conn.execute(sql, *args)
            begun = time.perf_counter()
            try:
                return self.conn.execute(sql, *args)
            finally:
                self.spent += time.perf_counter() - begun
    store.conn = timed = Timed(store.conn)
    start, start_cpu = time.perf_counter(), time.process_time()
    events = projector.rebuild()
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    parts["SQLite writes (rows, indexes, commit)"] = timed.spent
    parts["the rest: folding, rules, building rows"] = \
        seconds - parts["sorted read"] - timed.spent
    store.conn = timed.conn
counts = {t: store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
          for t in ("contacts", "followups", "referrals", "search_pending")} if events else {}
store.close()
with open("/proc/self/status") as status:  # this process's own high-water mark
    hwm = [int(line.split()[1]) for line in status if line.startswith("VmHWM:")]
print(json.dumps({"seconds": seconds, "cpu": cpu, "events": events, "rows": counts,
                  "vm_hwm_mb": hwm[0] / 1024 if hwm else None,
                  "parts": parts if sys.argv[2] == "parts" else None}))
"""


def child_env(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(COFFEECHAT_HOME=home, COFFEECHAT_NOW=BENCH_NOW_TEXT)
    env.pop("COFFEECHAT_DB", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="where generated stores are cached")
    parser.add_argument("--python", dest="contenders", type=contender, action="append",
                        metavar="[LABEL=]PYTHON",
                        help="an interpreter with coffeechat installed, whose child rebuilds "
                             "(repeatable: each rebuilds in turn, interleaved; default: this one)")
    parser.add_argument("--parts", action="store_true",
                        help="also time where a rebuild goes, each part alone (one more child "
                             "per contender a round): the sorted read, SQLite's writes, the rest")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead")
    args = parser.parse_args()
    contenders = dict(args.contenders or [("coffeechat", sys.executable)])
    parts: dict[str, list[dict[str, float]]] = {label: [] for label in contenders}

    path = cached_store(args.data, args.events, args.contacts)
    first = next(iter(contenders.values()))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in contenders}
    raws = []
    with tempfile.TemporaryDirectory(prefix="coffeechat-home-") as home:
        env = child_env(home)
        idle = run_child([first, "-c", CHILD, str(path), "idle"], env)
        for n in range(args.repeats):  # interleaved: the raw limit, then each rebuild
            raw = json.loads(run_child([first, "-c", CHILD, str(path), "raw"], env).stdout)
            raws.append({"seconds": raw["seconds"], "cpu": raw["cpu"]})
            order = list(contenders) if n % 2 == 0 else list(reversed(contenders))
            for label in order:
                run = run_child([contenders[label], "-c", CHILD, str(path), "rebuild"], env)
                report = json.loads(run.stdout)
                runs[label].append({
                    "seconds": report["seconds"], "cpu": report["cpu"],
                    "events": report["events"], "process_s": run.seconds,
                    "max_rss_mb": run.max_rss_mb, "vm_hwm_mb": report["vm_hwm_mb"],
                    "rows": report["rows"], "ratio": report["seconds"] / raw["seconds"],
                    "cpu_ratio": report["cpu"] / raw["cpu"]})
                print(f"  run {n + 1}/{args.repeats}, {label}: {report['seconds']:.2f} s "
                      f"(raw {raw['seconds']:.2f} s), {run.max_rss_mb:.0f} MB",
                      file=sys.stderr, flush=True)
                if args.parts:
                    found = json.loads(run_child([contenders[label], "-c", CHILD, str(path),
                                                  "parts"], env).stdout)["parts"]
                    parts[label].append({**found, "raw": raw["seconds"]})

    raw_s = median([r["seconds"] for r in raws])
    summary = {label: _summary(label, done) for label, done in runs.items()}
    events = next(iter(runs.values()))[0]["events"]
    parted = {label: _parts(done) for label, done in parts.items() if done}
    if args.json:
        emit_json({"benchmark": "rebuild", "machine": machine(), "store": str(path),
                   "parts": parted,
                   "store_mb": path.stat().st_size / 1e6, "events": events,
                   "raw_limit_s": raw_s, "idle_rss_mb": idle.max_rss_mb, "raw_runs": raws,
                   "contenders": {label: {**summary[label], "runs": runs[label]}
                                  for label in runs},
                   "goals": [{"goal": text, "pass": ok} for label in summary
                             for text, ok in summary[label]["goals"]]})
        return
    print(f"rebuild benchmark: {events:,} events over {args.contacts:,} contacts "
          f"({path}, {path.stat().st_size / 1e6:,.0f} MB), median of {args.repeats} runs; "
          "raw limit: every row in seq order, every payload decoded, same store, same run")
    rows: list[list[object]] = []
    for label, done in runs.items():
        rows += [[f"{label}, run {n + 1}", r["seconds"], r["cpu"], w["seconds"], w["cpu"],
                  r["ratio"], events / r["seconds"], r["max_rss_mb"], r["vm_hwm_mb"]]
                 for n, (r, w) in enumerate(zip(done, raws, strict=True))]
        s = summary[label]
        rows.append([f"{label}, median", s["median_s"], s["median_cpu_s"], raw_s,
                     median([r["cpu"] for r in raws]), s["ratio"], s["events_per_s"],
                     s["median_rss_mb"], ""])
    rows.append(["idle child (no rebuild)", "", "", "", "", "", "", idle.max_rss_mb,
                 json.loads(idle.stdout)["vm_hwm_mb"]])
    print_table(["", "rebuild s", "CPU s", "raw limit s", "raw CPU s", "ratio", "events/s",
                 "peak RSS MB", "VmHWM MB"], rows)
    print("rows:", ", ".join(f"{k} {v:,}" for k, v in next(iter(runs.values()))[0]["rows"].items()),
          "(search_pending: indexed by the first search)")
    for label, medians in parted.items():
        print(f"\n{label}: where a rebuild goes, each part timed alone (medians; × the raw "
              "limit of the same round)")
        print_table(["part", "s", "× raw"], [[name, seconds, ratio]
                                             for name, (seconds, ratio) in medians.items()])
    print_goals([goal for label in summary for goal in summary[label]["goals"]])


def _parts(runs: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Each part's median seconds and median ratio to its round's raw limit."""
    names = [name for name in runs[0] if name != "raw"]
    return {name: (median([r[name] for r in runs]), median([r[name] / r["raw"] for r in runs]))
            for name in names}


def _summary(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One contender's medians, ratios (each run against its own round's raw limit) and goals."""
    seconds = median([r["seconds"] for r in runs])
    ratio = median([r["ratio"] for r in runs])
    cpu_ratio = median([r["cpu_ratio"] for r in runs])
    peak = max(r["max_rss_mb"] for r in runs)
    return {
        "median_s": seconds, "median_cpu_s": median([r["cpu"] for r in runs]),
        "ratio": ratio, "cpu_ratio": cpu_ratio, "events_per_s": runs[0]["events"] / seconds,
        "median_rss_mb": median([r["max_rss_mb"] for r in runs]), "peak_rss_mb": peak,
        "goals": [
            (f"{label}: rebuild ≤ {GOAL_RATIO}× the raw limit: {ratio:.2f}× wall, "
             f"{cpu_ratio:.2f}× CPU ({seconds:.2f} s)", ratio <= GOAL_RATIO),
            (f"{label}: peak RSS ≤ {GOAL_RSS_MB} MB: {peak:.0f} MB", peak <= GOAL_RSS_MB)]}


if __name__ == "__main__":
    main()
