"""Imports and exports: a 10,000-row LinkedIn export, and the 1M-event log as JSON Lines.

- LinkedIn: `coffeechat import linkedin Connections.csv` on a fresh store (the
  whole command), then the same file again (nothing to record);
- JSONL: `coffeechat export jsonl --out FILE` of the 1M-event store made by
  `rebuild.py` (cached in the data folder), then `coffeechat import jsonl FILE`
  into an empty store;
- JSONL against its raw limit: in child processes, `import_jsonl` of that export
  into an empty store (the timed part: reading, checking the hash chain and every
  payload, appending) against one apsw `executemany` of the very same rows
  (decoded before the timer) into the same schema with the same page cache,
  interleaved; each child reports the wall and CPU time of its timed part.

    python bench/imports.py [--rows 10000] [--repeats 3] [--python PY] [--data DIR]
                            [--only jsonl] [--json]

``--only jsonl`` exports the 1M store once and runs only the last part (import_jsonl
against its raw limit).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit_json, machine, median, print_goals, print_table, run_child
from history import cached_store

FIRST = ("Jane", "Raj", "Zoë", "Sam", "Li", "Ana", "Tom", "Mei", "Dana", "Priya", "Chris",
         "Tomás", "Aisha", "Kenji", "Olga", "Marcus", "Ines", "Noah", "Fatima", "Lars")
LAST = ("Doe", "Patel", "Ångström", "O'Brien", "Wei", "Silva", "Berg", "Chen", "Kim",
        "Raman", "Lee", "Nakamura", "Okafor", "Novak", "Haddad", "Jensen", "Moreau")
COMPANIES = ("Acme", "Globex", "Initech, Inc.", "Northwind", "Contoso", "Fabrikam",
             "Tailspin Toys", "Litware", "Wide World Importers", "Adventure Works")
ROLES = ("Software Engineer", "Staff Engineer, Platform", "Engineering Manager",
         "UX Researcher", "Product Designer", "Data Scientist", "Recruiter", "CTO")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def linkedin_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    lines = ["Notes:", '"When exporting your connection data, you may notice that some of the '
             'email addresses are missing."', "",
             "First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    for n in range(rows):
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)}{n}"
        email = f"{first.lower()}.{n}@example.com" if rng.random() < 0.15 else ""
        cells = [first, last, f"https://www.linkedin.com/in/{first.lower()}-{n}", email,
                 rng.choice(COMPANIES), rng.choice(ROLES),
                 f"{rng.randint(1, 28):02d} {rng.choice(MONTHS)} {rng.randint(2012, 2026)}"]
        lines.append(",".join(f'"{c}"' if "," in c or "'" in c else c for c in cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def env_for(db: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
    env.update(COFFEECHAT_DB=str(db), COFFEECHAT_HOME=str(home),
               COFFEECHAT_NOW="2026-11-20T12:00:00Z", COFFEECHAT_LOAD_PLUGINS="")
    return env


def child(mode: str, path: str, folder: str) -> None:
    """One timed jsonl import (``ours``) or its raw limit (``raw``); prints wall and CPU s."""
    import msgspec

    from coffeechat.codec import EVENT_COLUMNS
    from coffeechat.store import open_store
    from coffeechat.transfer import IMPORT_CACHE_KIB, ExportedEvent, JsonlFile, import_jsonl

    store = open_store(Path(folder) / "events.db")
    db = store.conn
    if mode == "raw":
        decode = msgspec.json.Decoder(ExportedEvent).decode
        with open(path, "rb") as handle:
            rows = [(e.seq, e.id, e.stream, e.version, e.type, e.schema, e.occurred_at,
                     e.recorded_at, e.source, e.key, e.batch, bytes(e.data).decode(), e.hash)
                    for e in map(decode, handle)]

        def work() -> None:
            db.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
            db.execute("BEGIN IMMEDIATE")
            db.executemany(f"INSERT INTO events({EVENT_COLUMNS}) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            db.execute("COMMIT")
    else:
        def work() -> None:
            with open(path, "rb") as handle:
                import_jsonl(store, JsonlFile(handle, path))
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    print(time.perf_counter() - wall, time.process_time() - cpu, store.count())
    store.close()


def jsonl_limit(python: str, path: Path, repeats: int, work: Path
                ) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) of the timed part of each child, ours and the raw limit interleaved."""
    runs: dict[str, list[tuple[float, float]]] = {"raw": [], "ours": []}
    for n in range(repeats):
        for mode in ("raw", "ours") if n % 2 == 0 else ("ours", "raw"):
            folder = Path(tempfile.mkdtemp(dir=work))
            done = run_child([python, __file__, "--child", mode, str(path), str(folder)])
            wall, cpu, _count = done.stdout.split()
            runs[mode].append((float(wall), float(cpu)))
            for leftover in folder.iterdir():
                leftover.unlink()
            folder.rmdir()
        print(f"  jsonl against the raw limit, round {n + 1}/{repeats} done", file=sys.stderr,
              flush=True)
    return runs


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--data", type=Path, default=Path(
        os.environ.get("COFFEECHAT_BENCH_DATA", "/tmp/coffeechat-bench")))
    parser.add_argument("--only", choices=["jsonl"],
                        help="only import_jsonl against its raw limit (the export made once)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cmd = [args.python, "-m", "coffeechat"]
    big = cached_store(args.data, args.events, args.events // 10)
    times: dict[str, list[float]] = {"linkedin": [], "linkedin again": [], "export": [],
                                     "import": []}
    with tempfile.TemporaryDirectory(prefix="coffeechat-imports-bench-") as tmp:
        work = Path(tmp)
        csv_path = work / "Connections.csv"
        linkedin_csv(csv_path, args.rows)
        out = work / "log.jsonl"
        if args.only == "jsonl":
            subprocess.run([*cmd, "export", "jsonl", "--out", str(out)], env=env_for(big, work),
                           check=True, stdout=subprocess.DEVNULL)
        for n in range(0 if args.only else args.repeats):
            env = env_for(work / f"li-{n}.db", work)
            times["linkedin"].append(timed([*cmd, "import", "linkedin", str(csv_path)], env))
            times["linkedin again"].append(
                timed([*cmd, "import", "linkedin", str(csv_path)], env))
            times["export"].append(timed([*cmd, "export", "jsonl", "--out", str(out)],
                                         env_for(big, work)))
            times["import"].append(timed([*cmd, "import", "jsonl", str(out)],
                                         env_for(work / f"copy-{n}.db", work)))
            for leftover in work.glob(f"copy-{n}.db*"):
                leftover.unlink()
            print(f"  round {n + 1}/{args.repeats} done", file=sys.stderr, flush=True)
        limit = jsonl_limit(args.python, out, args.repeats, work)
    if args.only:
        times = {}
    medians = {name: median(values) for name, values in times.items()}
    raw_wall, raw_cpu = (median([r[i] for r in limit["raw"]]) for i in (0, 1))
    ours_wall, ours_cpu = (median([r[i] for r in limit["ours"]]) for i in (0, 1))
    ratio, cpu_ratio = ours_wall / raw_wall, ours_cpu / raw_cpu
    goals = [] if args.only else [
        (f"import of {args.rows:,} LinkedIn rows ≤ 2 s: {medians['linkedin']:.2f} s",
         medians["linkedin"] <= 2.0),
        (f"re-import of the same file ≤ 1 s: {medians['linkedin again']:.2f} s",
         medians["linkedin again"] <= 1.0),
        (f"export of {args.events:,} events ≤ 10 s: {medians['export']:.2f} s",
         medians["export"] <= 10.0),
        (f"import of {args.events:,} events ≤ 10 s: {medians['import']:.2f} s",
         medians["import"] <= 10.0),
    ]
    goals.append(
        (f"import_jsonl ≤ 2× raw executemany of the same rows: {ratio:.2f}× wall "
         f"({ours_wall:.2f} s vs {raw_wall:.2f} s), {cpu_ratio:.2f}× CPU "
         f"({ours_cpu:.2f} s vs {raw_cpu:.2f} s)", ratio <= 2.0))
    if args.json:
        emit_json({"benchmark": "imports", "machine": machine(), "runs_s": times,
                   "jsonl_vs_raw_s": limit,
                   "goals": [{"goal": text, "pass": ok} for text, ok in goals]})
        return
    if times:
        print(f"imports benchmark: {args.rows:,} LinkedIn rows, {args.events:,}-event log, "
              f"median of {args.repeats}, whole commands ({' '.join(cmd)})")
        print_table(["command", "median s", "min s", "max s"],
                    [[name, medians[name], min(v), max(v)] for name, v in times.items()])
    print(f"\nimport_jsonl of the {args.events:,}-event export, timed in the child, against "
          "its raw limit in the same run")
    print_table(["contender", "median s", "CPU s", "× raw (wall)", "× raw (CPU)"],
                [["raw apsw executemany, same rows and schema (limit)", raw_wall, raw_cpu,
                  "1.00×", "1.00×"],
                 ["coffeechat import_jsonl", ours_wall, ours_cpu, f"{ratio:.2f}×",
                  f"{cpu_ratio:.2f}×"]])
    print_goals(goals)


if __name__ == "__main__":
    main()
